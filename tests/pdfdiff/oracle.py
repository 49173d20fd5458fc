#!/usr/bin/env python3
"""pyHanko's difference analysis on PDF files: the oracle of tests/it/pdfdiff.rs (issue 16).

Usage: python3 oracle.py FILE.pdf...
Prints one line per file: "<file>\t<verdict>", where <verdict> is, per embedded signature in
pyHanko's order, "<field>=<ok|not-ok>,<coverage>,<modification level>,<P=n|->,<lock=ACTION|->"
joined by " ; " — the last two are the certification level and field lock pyHanko reads — "ok"
meaning pyHanko's `docmdp_ok`: the changes after the signature are on pyHanko's whitelist and
within the signature's DocMDP and FieldMDP permissions — or "<field>=error(<exception>)" when
pyHanko cannot analyse that signature, or "error(<exception>)" when it cannot read the file's
signatures at all (an error is not ok). Only the difference analysis and the byte-range coverage
are run (EmbeddedPdfSignature.compute_integrity_info); no certificate is validated.
"""
import sys

from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DiffResult


def verdict(path):
    try:
        with open(path, "rb") as f:
            reader = PdfFileReader(f, strict=False)
            out = []
            for emb in reader.embedded_signatures:
                try:
                    emb.compute_integrity_info()
                    info = emb.summarise_integrity_info()
                    diff = info["diff_result"]
                    if isinstance(diff, DiffResult):
                        level = diff.modification_level.name
                    elif diff is None:
                        level = "-"
                    else:
                        level = "SUSPICIOUS(" + " ".join(str(diff).split())[:120].replace(";", ",") + ")"
                    ok = "ok" if info["docmdp_ok"] else "not-ok"
                    mdp = emb.docmdp_level
                    perm = f"P={mdp.value}" if mdp is not None else "-"
                    lock = emb.fieldmdp
                    lock = f"lock={lock.action.name}" if lock is not None else "-"
                    out.append(f"{emb.field_name}={ok},{info['coverage'].name},{level},{perm},{lock}")
                except Exception as e:  # noqa: BLE001 - every failure is a verdict
                    out.append(f"{emb.field_name}=error({type(e).__name__})")
            return " ; ".join(out) if out else "no-signatures"
    except Exception as e:  # noqa: BLE001
        return f"error({type(e).__name__})"


if __name__ == "__main__":
    for p in sys.argv[1:]:
        print(f"{p}\t{verdict(p)}")
