"""Sign a PDF with pyHanko as PAdES-B-LT or PAdES-B-LTA, offline: the revocation data comes from
the CRL files given (no fetching), the signature timestamp and (for B-LTA) the document timestamp
from the TSA at TSA_URL.

Usage: python3 pyhanko_sign_lt.py b-lt|b-lta KEY.pem CERT.pem CHAIN.pem ROOT.pem TSA_URL IN.pdf OUT.pdf CRL.pem...
KEY.pem is an unencrypted private key; CHAIN.pem holds the issuing CA certificates. Validation
of the signer's and the TSA's chains is strict (hard-fail revocation): pyHanko refuses to sign
when the CRLs do not cover them. Prints one line "signed LEVEL OUT.pdf" and exits 0 on success.
"""
import sys

from pyhanko.keys import load_cert_from_pemder, load_certs_from_pemder
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import signers, timestamps
from pyhanko.sign.fields import SigSeedSubFilter
from pyhanko_certvalidator import ValidationContext


def read_crls(paths):
    import base64
    import re

    out = []
    for p in paths:
        data = open(p, "rb").read()
        blocks = re.findall(rb"-----BEGIN X509 CRL-----(.*?)-----END X509 CRL-----", data, re.S)
        if blocks:
            out.extend(base64.b64decode(b"".join(b.split())) for b in blocks)
        else:
            out.append(data)
    return out


def main() -> int:
    level, key, cert, chain, root, url, src, dst, *crl_files = sys.argv[1:]
    if level not in ("b-lt", "b-lta") or not crl_files:
        print(__doc__, file=sys.stderr)
        return 2
    signer = signers.SimpleSigner.load(key, cert, ca_chain_files=(chain,), key_passphrase=None)
    vc = ValidationContext(
        trust_roots=[load_cert_from_pemder(root)],
        other_certs=list(load_certs_from_pemder([chain])),
        crls=read_crls(crl_files),
        allow_fetching=False,
        revocation_mode="hard-fail",
    )
    meta = signers.PdfSignatureMetadata(
        field_name="ChuKyPyHanko",
        subfilter=SigSeedSubFilter.PADES,
        embed_validation_info=True,
        use_pades_lta=(level == "b-lta"),
        validation_context=vc,
    )
    with open(src, "rb") as f:
        writer = IncrementalPdfFileWriter(f)
        with open(dst, "wb") as out:
            signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamps.HTTPTimeStamper(url), output=out)
    print(f"signed {level} {dst}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
