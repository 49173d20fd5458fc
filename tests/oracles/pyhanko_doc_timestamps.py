"""Validate every document timestamp (/DocTimeStamp) of a PDF with pyHanko's API.

Usage: python3 pyhanko_doc_timestamps.py ROOT.pem FILE.pdf
Prints one line per document timestamp: "<field> intact=<bool> valid=<bool> trusted=<bool> time=<iso>"
and exits 0 only if there is at least one and every one is intact, valid and trusted.
Revocation is not checked here (no network); kyso's own test checks the TSA's revocation.
"""
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_timestamp
from pyhanko_certvalidator import ValidationContext


def main() -> int:
    root = load_cert_from_pemder(sys.argv[1])
    ok = True
    count = 0
    with open(sys.argv[2], "rb") as f:
        reader = PdfFileReader(f)
        for sig in reader.embedded_timestamp_signatures:
            count += 1
            vc = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
            st = validate_pdf_timestamp(sig, validation_context=vc)
            print(f"{sig.field_name} intact={st.intact} valid={st.valid} trusted={st.trusted} time={st.timestamp.isoformat()}")
            ok = ok and st.intact and st.valid and st.trusted
    return 0 if ok and count > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
