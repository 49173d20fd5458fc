#!/usr/bin/env python3
"""Signs test PDFs with pyHanko (tests/it/pdfdiff.rs, issue 16): certified, locked and
multi-signature documents made by another implementation, for kyso to enforce.

Usage: python3 make_pyhanko.py ACTION OUT.pdf IN.pdf
ACTION: certify-1 | certify-2 | certify-3 (a visible certification signature, DocMDP P=1 / 2 / 3),
        lock-hoten (an approval signature whose FieldMDP locks the field "HoTen"),
        sign-twice (two approval signatures, the second visible),
        sign-invisible (one invisible approval signature).
The signer is certs-example's unit (units/van-phong-ubnd/agency, its key opened with
$KYSO_PASSPHRASE), certs-example at $KYSO_EXAMPLE; the signing time is pyHanko's clock.
"""
import os
import sys

from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.sign import fields, signers

EX = os.environ["KYSO_EXAMPLE"]
PASS = os.environ["KYSO_PASSPHRASE"].encode()


def signer(who="agency"):
    return signers.SimpleSigner.load(
        os.path.join(EX, f"units/van-phong-ubnd/{who}.key"),
        os.path.join(EX, f"units/van-phong-ubnd/{who}.pem"),
        ca_chain_files=[os.path.join(EX, "ca/ca.pem")],
        key_passphrase=PASS,
    )


def sign(data, meta, spec=None, who="agency"):
    import io

    w = IncrementalPdfFileWriter(io.BytesIO(data))
    out = signers.sign_pdf(w, meta, signer=signer(who), new_field_spec=spec)
    return out.getvalue()


def main(action, out_path, in_path):
    data = open(in_path, "rb").read()
    box = (330, 60, 530, 120)
    if action in ("certify-1", "certify-2", "certify-3"):
        perm = {
            "certify-1": fields.MDPPerm.NO_CHANGES,
            "certify-2": fields.MDPPerm.FILL_FORMS,
            "certify-3": fields.MDPPerm.ANNOTATE,
        }[action]
        meta = signers.PdfSignatureMetadata(field_name="PyCert", certify=True, docmdp_permissions=perm)
        data = sign(data, meta, fields.SigFieldSpec("PyCert", box=box))
    elif action == "lock-hoten":
        spec = fields.SigFieldSpec(
            "PyLock", box=box, field_mdp_spec=fields.FieldMDPSpec(fields.FieldMDPAction.INCLUDE, ["HoTen"])
        )
        data = sign(data, signers.PdfSignatureMetadata(field_name="PyLock"), spec)
    elif action == "sign-twice":
        data = sign(data, signers.PdfSignatureMetadata(field_name="PyOne"), fields.SigFieldSpec("PyOne"), who="person")
        data = sign(data, signers.PdfSignatureMetadata(field_name="PyTwo"), fields.SigFieldSpec("PyTwo", box=box))
    elif action == "sign-invisible":
        data = sign(data, signers.PdfSignatureMetadata(field_name="PyInvisible"), fields.SigFieldSpec("PyInvisible"))
    else:
        raise SystemExit(f"unknown action {action}")
    with open(out_path, "wb") as f:
        f.write(data)


if __name__ == "__main__":
    main(*sys.argv[1:4])
