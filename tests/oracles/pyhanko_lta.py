"""Check a PAdES-B-LTA PDF with pyHanko's AdES validation (ETSI EN 319 102-1 §5.6.3), offline.

Usage: python3 pyhanko_lta.py ROOT.pem FILE.pdf

ROOT.pem is the only trust anchor. Revocation data is required (pyHanko's REQUIRE_REVINFO) and is
taken from the PDF alone (the /DSS, and revocation data inside the signatures): nothing is
fetched. Prints one line per fact:
  dss certs=N crls=M
  timestamp FIELD revision=R intact=B valid=B trusted=B coverage=LEVEL
  dss_under_last_timestamp=B
  signature FIELD revision=R bottom_line=B ades=SUBINDICATION evidence_record=TIME|None
and exits 0 only when the PDF is a sound B-LTA: a /DSS with CRLs; at least one document
timestamp, each intact, valid and trusted, the last one signing a revision that already has the
/DSS (later revisions may add validation data for that timestamp); every signature judged valid with pyHanko's evidence record (the document timestamp
chain after the signature) validated — `evidence_record` is None when that chain fails.
Exits 1 otherwise, 2 on a usage error.
"""
import asyncio
import sys

from pyhanko.keys import load_cert_from_pemder
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import DEFAULT_DIFF_POLICY
from pyhanko.sign.validation import validate_pdf_timestamp
from pyhanko.sign.validation.ades import ades_lta_validation
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko.sign.validation.policy_decl import (
    LocalKnowledge,
    PdfSignatureValidationSpec,
    SignatureValidationSpec,
)
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.context import CertValidationPolicySpec
from pyhanko_certvalidator.ltv.types import ValidationTimingInfo
from pyhanko_certvalidator.policy_decl import (
    REQUIRE_REVINFO,
    CertRevTrustPolicy,
    FreshnessReqType,
)
from pyhanko_certvalidator.registry import SimpleTrustManager


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    root = load_cert_from_pemder(sys.argv[1])
    ok = True
    with open(sys.argv[2], "rb") as f:
        reader = PdfFileReader(f)
        dss = DocumentSecurityStore.read_dss(reader)
        crls = len(dss.crls) if dss is not None else 0
        certs = len(dss.certs) if dss is not None else 0
        print(f"dss certs={certs} crls={crls}")
        ok = ok and crls > 0

        stamps = list(reader.embedded_timestamp_signatures)
        for ts in stamps:
            vc = ValidationContext(trust_roots=[root], allow_fetching=False, revocation_mode="soft-fail")
            st = validate_pdf_timestamp(ts, validation_context=vc)
            print(
                f"timestamp {ts.field_name} revision={ts.signed_revision} intact={st.intact} "
                f"valid={st.valid} trusted={st.trusted} coverage={st.coverage.name}"
            )
            ok = ok and st.intact and st.valid and st.trusted
        # The /DSS must be protected by the document timestamp chain: present in the revision the
        # last document timestamp signs (later revisions may only add validation data for it).
        under = bool(stamps) and "/DSS" in reader.get_historical_root(stamps[-1].signed_revision)
        print(f"dss_under_last_timestamp={under}")
        ok = ok and under

        policy = CertValidationPolicySpec(
            trust_manager=SimpleTrustManager.build(trust_roots=[root]),
            revinfo_policy=CertRevTrustPolicy(
                REQUIRE_REVINFO,
                freshness=None,
                freshness_req_type=FreshnessReqType.MAX_DIFF_REVOCATION_VALIDATION,
            ),
        )
        spec = PdfSignatureValidationSpec(
            signature_validation_spec=SignatureValidationSpec(cert_validation_policy=policy, local_knowledge=LocalKnowledge()),
            diff_policy=DEFAULT_DIFF_POLICY,
        )
        sigs = list(reader.embedded_regular_signatures)
        for sig in sigs:
            r = asyncio.run(ades_lta_validation(sig, spec, timing_info=ValidationTimingInfo.now()))
            er = r.oldest_evidence_record_timestamp
            print(
                f"signature {sig.field_name} revision={sig.signed_revision} bottom_line={r.api_status.bottom_line} "
                f"ades={r.ades_subindic} evidence_record={er.isoformat() if er else None}"
            )
            ok = ok and r.api_status.bottom_line and er is not None
        ok = ok and bool(sigs)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
