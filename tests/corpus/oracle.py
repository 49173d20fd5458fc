#!/usr/bin/env python3
"""The independent verdicts on the real-world corpus (tests/corpus/MANIFEST.tsv).

Usage: python3 oracle.py MANIFEST.tsv [ID...]
Prints one line per manifest row (or per row whose `id` is given): "<id>\t<verdict>",
where <verdict> is what the manifest's `oracle_verdict` column must hold. Exit status 0 unless a
row could not be evaluated at all (then 2).

Oracles (see README.md for the policy):
- PDF: pyHanko's API (validate_pdf_signature / validate_pdf_timestamp), every embedded signature,
  in document order, one token per field:
      <field>=<intact|broken>,<valid|invalid>,<trusted|untrusted(SUB_INDICATION)>,<coverage>,<modification level>
  or <field>=error(<exception class>). pyHanko does not read /SubFilter adbe.pkcs7.sha1: for such a
  field OpenSSL checks the CMS (`cms -verify -noverify` over its encapsulated SHA-1 digest) and this
  script compares that digest with SHA-1 of the /ByteRange, and pyHanko's difference analysis
  (its DEFAULT_DIFF_POLICY.review_file, what validate_pdf_signature runs) judges the revisions after
  the one the field signs: <field>=openssl-sha1:<ok|fail>,digest:<match|mismatch>,diff:<level|SUSPICIOUS>.
- CMS (.p7s/.p7m with its content): OpenSSL for the cryptographic integrity of every SignerInfo
  (`openssl cms -verify -noverify`), OpenSSL again for the path to the trust anchors at the row's time
  (`-CAfile -purpose any -attime`), and pyHanko (async_validate_detached_cms, or async_validate_cms_signature over the
  encapsulated content of an attached signature; one signer only):
      openssl=<ok|fail(signature|content|other)>[,chain=<ok|fail>] ; pyhanko=<... as for PDF, or error(...)>

Settings shared by every pyHanko run: trust = the row's roots only, no fetching, no revocation
(kyso runs with --revocation off), validation time = the row's `at`, every algorithm accepted
(AcceptAllAlgorithms: the oracle reports the mathematics; kyso's algorithm policy is applied when the
expected verdict is derived), key usage = digitalSignature or nonRepudiation (DESIGN §4 rule 3;
its EKU half is applied when the expected verdict is derived).
"""
import asyncio
import csv
import datetime
import hashlib
import os
import re
import subprocess
import sys
import tempfile

from asn1crypto import cms, pem
from pyhanko.keys import load_certs_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.fields import enumerate_sig_fields
from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
from pyhanko.sign.validation.generic_cms import async_validate_cms_signature, async_validate_detached_cms
from pyhanko.sign.validation.settings import KeyUsageConstraints
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.policy_decl import AcceptAllAlgorithms

HERE = os.path.dirname(os.path.abspath(__file__))
# DESIGN §4 rule 3, key-usage half: digitalSignature or nonRepudiation. (Its EKU half is not
# expressed here: pyHanko 0.38's PDF path does not honour explicit_extd_key_usage_required=False,
# so certificates without an EKU would be refused; the manifest notes where kyso's EKU rule bites.)
KEY_USAGE = KeyUsageConstraints(key_usage={"digital_signature", "non_repudiation"}, match_all_key_usages=False)


def roots_of(row):
    if row["trust"] == "-":
        return []
    out = []
    for p in row["trust"].split(","):
        out += list(load_certs_from_pemder([os.path.join(HERE, p)]))
    return out


def moment(row):
    return datetime.datetime.fromisoformat(row["at"].replace("Z", "+00:00"))


def context(row):
    return ValidationContext(
        trust_roots=roots_of(row),
        allow_fetching=False,
        revocation_mode="soft-fail",
        moment=moment(row),
        algorithm_usage_policy=AcceptAllAlgorithms(),
    )


def trust_token(st):
    if st.trusted:
        return "trusted"
    sub = getattr(st, "trust_problem_indic", None)
    name = getattr(sub, "name", None) or "unknown"
    return f"untrusted({name})"


def status_token(st, pdf=True):
    parts = ["intact" if st.intact else "broken", "valid" if st.valid else "invalid", trust_token(st)]
    if pdf:
        cov = getattr(st, "coverage", None)
        mod = getattr(st, "modification_level", None)
        parts.append(getattr(cov, "name", "-"))
        parts.append(getattr(mod, "name", "-"))
    return ",".join(parts)


def openssl_class(stderr):
    if "CMS_SignerInfo_verify_content" in stderr or "content verify error" in stderr or "digest failure" in stderr:
        return "content"
    if "CMS_SignerInfo_verify" in stderr or "bad signature" in stderr or "digest does not match" in stderr:
        return "signature"
    return "other"


def tlv_split(b):
    """The TLVs of a definite-length DER/BER body, as (offset, length) pairs."""
    out, i = [], 0
    while i < len(b):
        j = i + 2
        n = b[i + 1]
        if n & 0x80:
            k = n & 0x7F
            n = int.from_bytes(b[j:j + k], "big")
            j += k
        out.append((i, j - i + n))
        i = j + n
    return out


def der_sorted(data):
    """The SignedData with each SignerInfo's signed attributes put in DER (sorted) order, same
    length; None when nothing changes or the structure cannot be read."""
    try:
        sd = cms.ContentInfo.load(data, strict=False)["content"]
        out = data
        for si in sd["signer_infos"]:
            sa = si["signed_attrs"]
            if not sa.contents:
                continue
            raw = sa.dump()
            body = sa.contents
            items = sorted(body[o:o + l] for o, l in tlv_split(body))
            fixed = raw[: len(raw) - len(body)] + b"".join(items)
            if fixed != raw and out.count(raw) == 1:
                out = out.replace(raw, fixed)
        return out if out != data else None
    except Exception:
        return None


def openssl_integrity(der, content, attached):
    """OpenSSL's verdict on every SignerInfo's signature and message digest (-noverify), and, when
    it fails on the signature, the verdict on the same structure with its signed attributes in
    DER order (RFC 5652 §5.4 signs the DER form; OpenSSL verifies the order as received)."""
    def run(blob):
        with tempfile.NamedTemporaryFile("wb", suffix=".p7", delete=False) as f:
            f.write(blob)
            p7 = f.name
        with tempfile.NamedTemporaryFile("wb", suffix=".bin", delete=False) as f:
            f.write(content)
            doc = f.name
        try:
            cmd = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", p7, "-noverify", "-out", os.devnull]
            if not attached:
                cmd += ["-content", doc]
            r = subprocess.run(cmd, capture_output=True, text=True)
            return "ok" if r.returncode == 0 else f"fail({openssl_class(r.stderr)})"
        finally:
            os.unlink(p7)
            os.unlink(doc)
    tok = "openssl=" + run(der)
    if tok == "openssl=fail(signature)":
        sorted_der = der_sorted(der)
        if sorted_der is not None:
            tok += ",der-sorted=" + run(sorted_der)
    return tok


def openssl_chain(sig_path, content_path, attached, roots, at):
    """OpenSSL's path verdict to the row's roots at the row's time (no revocation)."""
    with tempfile.NamedTemporaryFile("wb", suffix=".pem", delete=False) as f:
        for c in roots:
            f.write(pem.armor("CERTIFICATE", c.dump()))
        ca = f.name
    try:
        cmd = ["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", sig_path, "-out", os.devnull,
               "-CAfile", ca, "-purpose", "any", "-attime", str(int(at.timestamp()))]
        if not attached:
            cmd += ["-content", content_path]
        r = subprocess.run(cmd, capture_output=True, text=True)
        return "chain=ok" if r.returncode == 0 else "chain=fail"
    finally:
        os.unlink(ca)


def cms_row(row):
    sig_path = os.path.join(HERE, row["file"])
    content_path = os.path.join(HERE, row["content"])
    data = open(sig_path, "rb").read()
    if pem.detect(data):
        _, _, data = pem.unarmor(data)
    attached = True
    try:
        ci = cms.ContentInfo.load(data, strict=False)
        sd = ci["content"]
        attached = sd["encap_content_info"]["content"].native is not None
    except Exception:
        sd = None
        # Decide attached/detached with OpenSSL when asn1crypto cannot read the structure.
        r = subprocess.run(["openssl", "cms", "-cmsout", "-print", "-inform", "DER", "-in", sig_path], capture_output=True, text=True)
        attached = "eContent: <ABSENT>" not in r.stdout
    tok = openssl_integrity(data, open(content_path, "rb").read(), attached)
    if roots_of(row):
        tok += "," + openssl_chain(sig_path, content_path, attached, roots_of(row), moment(row))
    tokens = [tok]
    try:
        if sd is None:
            raise ValueError("asn1crypto cannot parse the SignedData")
        vc = context(row)
        if attached:
            # The digest is taken over the encapsulated content (which equals the row's content file).
            st = asyncio.run(async_validate_cms_signature(sd, validation_context=vc, key_usage_settings=KEY_USAGE))
        else:
            with open(content_path, "rb") as content:
                st = asyncio.run(async_validate_detached_cms(content, sd, signer_validation_context=vc, key_usage_settings=KEY_USAGE))
        tokens.append("pyhanko=" + status_token(st, pdf=False))
    except Exception as e:
        tokens.append(f"pyhanko=error({type(e).__name__}: {str(e)[:70]})")
    return " ; ".join(tokens)


def signed_bytes(sig_object, path):
    data = open(path, "rb").read()
    br = [int(x) for x in sig_object["/ByteRange"]]
    return b"".join(data[br[i]:br[i] + br[i + 1]] for i in range(0, len(br), 2))


def sha1_diff(reader, sig_ref):
    """pyHanko's difference analysis of what follows the revision that the signature dictionary
    `sig_ref` was written in (as EmbeddedPdfSignature.signed_revision): the modification level, or
    SUSPICIOUS when pyHanko's policy refuses a change."""
    from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY, SuspiciousModification
    rev = reader.xrefs.get_last_change(sig_ref)
    try:
        result = DEFAULT_DIFF_POLICY.review_file(reader, rev)
    except SuspiciousModification:
        return "SUSPICIOUS"
    if isinstance(result, SuspiciousModification):
        return "SUSPICIOUS"
    return result.modification_level.name


def sha1_field(sig_object, path):
    """adbe.pkcs7.sha1: the CMS signs (attached) the SHA-1 of the /ByteRange."""
    signed = signed_bytes(sig_object, path)
    der = sig_object["/Contents"]
    with tempfile.NamedTemporaryFile("wb", suffix=".p7", delete=False) as f:
        f.write(der)
        p7 = f.name
    with tempfile.NamedTemporaryFile("rb", suffix=".out", delete=False) as f:
        out = f.name
    try:
        r = subprocess.run(["openssl", "cms", "-verify", "-binary", "-inform", "DER", "-in", p7, "-noverify", "-out", out], capture_output=True)
        ok = r.returncode == 0
        digest = open(out, "rb").read() if ok else b""
        # The eContent is an OCTET STRING holding the 20-byte digest, or the bare digest.
        match = hashlib.sha1(signed).digest() in (digest, digest[2:])
    finally:
        os.unlink(p7)
        os.unlink(out)
    return f"openssl-sha1:{'ok' if ok else 'fail'},digest:{'match' if match else 'mismatch'}"


def pdf_row(row):
    path = os.path.join(HERE, row["file"])
    with open(path, "rb") as f:
        r = PdfFileReader(f, strict=False)
        if r.encrypted:
            # Public-key security handler: the recipient's key and certificate lie beside the file
            # (<file>.decrypter.{key.pem,cert.pem,pass}: test material of the same source); else
            # the standard handler with the empty user password.
            key, cert, pw = (path + ".decrypter." + ext for ext in ("key.pem", "cert.pem", "pass"))
            if os.path.exists(key):
                from pyhanko.pdf_utils.crypt import SimpleEnvelopeKeyDecrypter
                r.decrypt_pubkey(SimpleEnvelopeKeyDecrypter.load(key, cert, open(pw, "rb").read().strip()))
            else:
                r.decrypt(b"")
        tokens = []
        for es in r.embedded_signatures:
            name = es.field_name
            try:
                vc = context(row)
                if es.sig_object_type == "/DocTimeStamp":
                    st = validate_pdf_timestamp(es, validation_context=vc)
                else:
                    st = validate_pdf_signature(es, signer_validation_context=vc, ts_validation_context=vc, key_usage_settings=KEY_USAGE)
                tok = f"{name}={status_token(st)}"
            except Exception as e:
                tok = f"{name}=error({type(e).__name__}: {str(e)[:70]})"
            if es.sig_object_type != "/DocTimeStamp" and str(es.sig_object.get("/SubFilter")) != "/ETSI.RFC3161":
                try:
                    tok += " " + openssl_integrity(es.pkcs7_content, signed_bytes(es.sig_object, path), attached=False)
                except Exception as e:
                    tok += f" openssl=error({type(e).__name__})"
            tokens.append(tok)
        # pyHanko skips /SubFilter adbe.pkcs7.sha1 fields ("unsupported SubFilter"): OpenSSL checks them.
        for name, value, field_ref in enumerate_sig_fields(r, filled_status=True):
            sig_ref = field_ref.get_object().raw_get("/V")
            value = value.get_object()
            if str(value.get("/SubFilter")) == "/adbe.pkcs7.sha1":
                try:
                    tokens.append(f"{name}={sha1_field(value, path)},diff:{sha1_diff(r, sig_ref.reference)}")
                except Exception as e:
                    tokens.append(f"{name}=error({type(e).__name__}: {str(e)[:70]})")
        return " ; ".join(tokens) if tokens else "no-signatures"


def read_manifest(path):
    with open(path, newline="", encoding="utf-8") as f:
        lines = [l for l in f if not l.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t", quoting=csv.QUOTE_NONE))


def main():
    rows = read_manifest(sys.argv[1])
    wanted = set(sys.argv[2:])
    status = 0
    for row in rows:
        if wanted and row["id"] not in wanted:
            continue
        try:
            verdict = pdf_row(row) if row["content"] == "-" else cms_row(row)
        except Exception as e:
            verdict = f"error({type(e).__name__}: {str(e)[:80]})"
            status = 2
        verdict = re.sub(r"\s+", " ", verdict)
        print(f"{row['id']}\t{verdict}", flush=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
