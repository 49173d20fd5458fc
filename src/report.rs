//! The verification report (DESIGN.md §3 `--json` shape) and its human rendering in Vietnamese
//! (the default) and English.
//!
//! Indications and sub-indications use the names of ETSI EN 319 102-1. The human rendering shows
//! what Vietnamese rules ask a verifier to show: valid or not and why, the signer, the signer's
//! unit, the issuing CA, the signing time, integrity, the certificate's validity period and
//! whether it covered the signing time, and the revocation status (with a warning when it could
//! not be checked).

use serde::Serialize;

mod render;
mod text;

pub use render::{render_cert, render_run, render_run_with, RenderOptions};
pub use text::explain;

/// Main indication (ETSI EN 319 102-1 §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Indication {
    /// Every check passed.
    TotalPassed,
    /// Validation cannot conclude with the information at hand (e.g. no chain, no revocation data).
    Indeterminate,
    /// The signature is definitely not valid.
    TotalFailed,
}

impl Indication {
    /// The ETSI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Indication::TotalPassed => "TOTAL_PASSED",
            Indication::Indeterminate => "INDETERMINATE",
            Indication::TotalFailed => "TOTAL_FAILED",
        }
    }

    /// The process exit code of DESIGN.md §3 for a run whose worst result is this.
    pub fn exit_code(self) -> u8 {
        match self {
            Indication::TotalPassed => 0,
            Indication::TotalFailed => 1,
            Indication::Indeterminate => 3,
        }
    }
}

/// Sub-indication (ETSI EN 319 102-1 §5.1.3, Table 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SubIndication {
    /// The signature file does not parse, or a mandatory element is missing or malformed.
    FormatFailure,
    /// The document digest differs from the signed message-digest.
    HashFailure,
    /// The signature value does not verify with the signer's public key.
    SigCryptoFailure,
    /// The signer (or a CA of its path) was revoked at or before the validation time.
    Revoked,
    /// Revoked after the validation time, and no proof that the signature existed before.
    RevokedNoPoe,
    /// A certificate of the path had expired at the validation time (no proof of existence).
    OutOfBoundsNoPoe,
    /// A certificate of the path was not yet valid at the validation time.
    NotYetValid,
    /// No path to a trust anchor.
    NoCertificateChainFound,
    /// The path or the signer certificate violates a constraint (CA as signer, key usage, EKU,
    /// path length, name constraints, unknown critical extension).
    ChainConstraintsFailure,
    /// Other path validation failure.
    CertificateChainGeneralFailure,
    /// An algorithm or key size is not allowed by the policy.
    CryptoConstraintsFailure,
    /// A signature constraint (signed attributes) is not met.
    SigConstraintsFailure,
    /// The signer certificate is missing, or does not match the signing-certificate attribute.
    NoSigningCertificateFound,
    /// Revocation status could not be established (no usable CRL) under `--revocation require`.
    TryLater,
}

impl SubIndication {
    /// The ETSI name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubIndication::FormatFailure => "FORMAT_FAILURE",
            SubIndication::HashFailure => "HASH_FAILURE",
            SubIndication::SigCryptoFailure => "SIG_CRYPTO_FAILURE",
            SubIndication::Revoked => "REVOKED",
            SubIndication::RevokedNoPoe => "REVOKED_NO_POE",
            SubIndication::OutOfBoundsNoPoe => "OUT_OF_BOUNDS_NO_POE",
            SubIndication::NotYetValid => "NOT_YET_VALID",
            SubIndication::NoCertificateChainFound => "NO_CERTIFICATE_CHAIN_FOUND",
            SubIndication::ChainConstraintsFailure => "CHAIN_CONSTRAINTS_FAILURE",
            SubIndication::CertificateChainGeneralFailure => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
            SubIndication::CryptoConstraintsFailure => "CRYPTO_CONSTRAINTS_FAILURE",
            SubIndication::SigConstraintsFailure => "SIG_CONSTRAINTS_FAILURE",
            SubIndication::NoSigningCertificateFound => "NO_SIGNING_CERTIFICATE_FOUND",
            SubIndication::TryLater => "TRY_LATER",
        }
    }

    /// The main indication this sub-indication belongs to (ETSI EN 319 102-1 Table 5).
    pub fn indication(self) -> Indication {
        match self {
            SubIndication::FormatFailure
            | SubIndication::HashFailure
            | SubIndication::SigCryptoFailure
            | SubIndication::Revoked
            | SubIndication::NotYetValid => Indication::TotalFailed,
            _ => Indication::Indeterminate,
        }
    }
}

/// Status of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CheckStatus {
    /// The check passed.
    Passed,
    /// The check failed.
    Failed,
    /// The check passed with a reservation (e.g. revocation unknown under `warn`).
    Warning,
    /// The check was not performed.
    Skipped,
}

/// One named check with its outcome.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    /// Stable machine name (`format`, `signer_certificate`, `message_digest`, `content_type`,
    /// `signature`, `signing_certificate`, `algorithm_policy`, `certificate_path`,
    /// `signer_key_usage`, `validity`, `revocation`).
    pub name: &'static str,
    /// Outcome.
    pub status: CheckStatus,
    /// What was found (English, for logs and scripts).
    pub detail: String,
}

impl Check {
    /// A new check.
    pub fn new(name: &'static str, status: CheckStatus, detail: impl Into<String>) -> Check {
        Check { name, status, detail: detail.into() }
    }
}

/// The signer as shown to a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Signer {
    /// Subject distinguished name.
    pub subject: String,
    /// The subject's organisation (O) — the signer's unit.
    pub organization: Option<String>,
    /// Serial number, hex.
    pub serial: String,
    /// Issuer distinguished name (the issuing CA).
    pub issuer: String,
    /// The subject's name parts a reader looks for (for the human rendering; not in the JSON).
    #[serde(skip)]
    pub subject_parts: NameParts,
    /// The issuer's name parts (for the human rendering; not in the JSON).
    #[serde(skip)]
    pub issuer_parts: NameParts,
}

/// The attributes of a distinguished name that a reader looks for, read from the certificate
/// (not from the DN text, whose values are not escaped). Display only.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct NameParts {
    /// commonName (CN): a person's full name, or the unit's name.
    pub common_name: Option<String>,
    /// title: a competent person's position (e.g. "Giám đốc").
    pub title: Option<String>,
    /// organizationName (O): the unit.
    pub organization: Option<String>,
    /// organizationalUnitName (OU).
    pub organizational_unit: Option<String>,
    /// UID (0.9.2342.19200300.100.1.1): identifiers such as `MST:…`, `MNS:…`, `CCCD:…`.
    pub uid: Option<String>,
}

impl NameParts {
    /// The parts of an X.509 name (the first value of each attribute; values that are not
    /// strings are left out).
    pub(crate) fn from_x509(name: &x509_parser::x509::X509Name<'_>) -> NameParts {
        use x509_parser::oid_registry as oids;
        let first = |oid: &x509_parser::der_parser::oid::Oid<'_>| {
            name.iter_by_oid(oid).next().and_then(|a| a.as_str().ok()).map(str::to_string)
        };
        NameParts {
            common_name: first(&oids::OID_X509_COMMON_NAME),
            title: first(&oids::OID_X509_TITLE),
            organization: first(&oids::OID_X509_ORGANIZATION_NAME),
            organizational_unit: first(&oids::OID_X509_ORGANIZATIONAL_UNIT),
            uid: first(&oids::OID_USERID),
        }
    }
}

/// The signer certificate's validity period (RFC 3339).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Validity {
    /// notBefore.
    pub not_before: String,
    /// notAfter.
    pub not_after: String,
}

/// Revocation outcome of a certificate path, for rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RevocationStatus {
    /// Every certificate of the path was checked against a usable CRL: none revoked.
    Good,
    /// A certificate of the path is revoked.
    Revoked,
    /// No usable CRL for at least one certificate.
    Unknown,
    /// Revocation checking was switched off.
    NotChecked,
}

/// One SignerInfo's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SignatureReport {
    /// Main indication.
    pub indication: Indication,
    /// Sub-indication (null when TOTAL_PASSED).
    pub sub_indication: Option<SubIndication>,
    /// The signer, when its certificate was found.
    pub signer: Option<Signer>,
    /// The signing-time signed attribute (RFC 3339), a claim of the signer.
    pub signing_time: Option<String>,
    /// Digest algorithm name.
    pub digest_algorithm: Option<String>,
    /// Signature algorithm name.
    pub signature_algorithm: Option<String>,
    /// Signer certificate validity.
    pub certificate: Option<Validity>,
    /// Subjects of the validated path, signer first, trust anchor last.
    pub chain: Vec<String>,
    /// Every check performed.
    pub checks: Vec<Check>,
    /// Warnings (legacy algorithms, unchecked revocation, …).
    pub warnings: Vec<String>,
    /// Revocation outcome (for rendering; not part of the DESIGN.md JSON shape).
    #[serde(skip)]
    pub revocation: Option<RevocationStatus>,
    /// Whether the certificate's validity covered the claimed signing time.
    #[serde(skip)]
    pub covered_signing_time: Option<bool>,
    /// The signature timestamps (id-aa-signatureTimeStampToken) found, each with its status.
    pub timestamps: Vec<TimestampReport>,
    /// The proven existence time: genTime of the earliest valid signature timestamp (RFC 3339),
    /// null without one.
    pub poe_time: Option<String>,
    /// The time at which certificate validity and revocation were judged (RFC 3339): the
    /// validation time, or `poe_time` when the proof of existence was needed (revocation or
    /// expiry after it). Null when the signature failed before its certificate was checked.
    pub verdict_time: Option<String>,
    /// Whether the verdict needed the proof of existence (`verdict_time` is then `poe_time`).
    pub poe_used: bool,
    /// For a signature inside a PDF: where it is and what changed after it (flattened into the
    /// JSON object: `field_name`, `revision`, `covers_whole_document`, …).
    #[serde(flatten)]
    pub pdf: Option<PdfFacts>,
}

impl SignatureReport {
    /// A report with this verdict and nothing else known yet (checks are added as they run).
    pub fn new(indication: Indication, sub_indication: Option<SubIndication>) -> SignatureReport {
        SignatureReport {
            indication,
            sub_indication,
            signer: None,
            signing_time: None,
            digest_algorithm: None,
            signature_algorithm: None,
            certificate: None,
            chain: Vec::new(),
            checks: Vec::new(),
            warnings: Vec::new(),
            revocation: None,
            covered_signing_time: None,
            timestamps: Vec::new(),
            poe_time: None,
            verdict_time: None,
            poe_used: false,
            pdf: None,
        }
    }
}

/// The PDF facts of a PAdES signature (issue 8), shown beside the CMS checks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PdfFacts {
    /// The signature field's fully qualified name.
    pub field_name: String,
    /// The revision (1-based) the signature signs; 0 when its byte range ends at no revision.
    pub revision: usize,
    /// Number of revisions of the file.
    pub revision_count: usize,
    /// The signature covers the whole file (nothing was appended after it).
    pub covers_whole_document: bool,
    /// What changed after it: `none`, `signatures_and_form_filling`, `other`, `unknown`.
    pub modifications: &'static str,
    /// The /SubFilter (e.g. `ETSI.CAdES.detached`).
    pub sub_filter: Option<String>,
}

/// One signature timestamp of a SignerInfo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimestampReport {
    /// `valid` (verified, TSA trusted: a proof of existence), `untrusted` (verifies, but the TSA
    /// does not chain to a trust anchor at the validation time) or `invalid` (does not verify
    /// or does not cover this signature).
    pub status: &'static str,
    /// genTime (RFC 3339), when the token could be read.
    pub time: Option<String>,
    /// The TSA certificate's subject, when the token could be read.
    pub tsa: Option<String>,
    /// The token's serial number (hex), when it could be read.
    pub serial: Option<String>,
    /// What was found (English).
    pub detail: String,
}

/// One document's verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DocumentReport {
    /// The document's path as given.
    pub path: String,
    /// SHA-256 of the document (hex), when it could be read.
    pub sha256: Option<String>,
    /// Worst indication of its signatures (or of the file itself).
    pub indication: Indication,
    /// Sub-indication of the worst signature.
    pub sub_indication: Option<SubIndication>,
    /// Why the document as a whole failed (unreadable file, unparseable signature file).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// One entry per SignerInfo, in the order of the signature file.
    pub signatures: Vec<SignatureReport>,
}

impl DocumentReport {
    /// A document that failed as a whole (no signature could be examined).
    pub fn failed(path: String, sha256: Option<String>, sub: SubIndication, detail: String) -> DocumentReport {
        DocumentReport {
            path,
            sha256,
            indication: sub.indication(),
            sub_indication: Some(sub),
            detail: Some(detail),
            signatures: Vec::new(),
        }
    }

    /// Sets the indication from the signatures: the worst one wins; no signature at all is a
    /// FORMAT_FAILURE.
    pub fn summarise(&mut self) {
        if self.signatures.is_empty() {
            if self.detail.is_none() {
                self.detail = Some("the signature file holds no SignerInfo".into());
                self.indication = Indication::TotalFailed;
                self.sub_indication = Some(SubIndication::FormatFailure);
            }
            return;
        }
        let worst = self.signatures.iter().max_by_key(|s| s.indication).map(|s| (s.indication, s.sub_indication));
        if let Some((i, s)) = worst {
            self.indication = i;
            self.sub_indication = s;
        }
    }
}

/// A whole run: one or many documents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RunReport {
    /// Worst indication of all documents.
    pub indication: Indication,
    /// Sub-indication of the worst document.
    pub sub_indication: Option<SubIndication>,
    /// The documents, in the order given.
    pub documents: Vec<DocumentReport>,
}

impl RunReport {
    /// Combines document reports; the worst indication wins.
    pub fn new(documents: Vec<DocumentReport>) -> RunReport {
        let worst = documents.iter().max_by_key(|d| d.indication);
        let (indication, sub_indication) = match worst {
            Some(d) => (d.indication, d.sub_indication),
            None => (Indication::TotalFailed, Some(SubIndication::FormatFailure)),
        };
        RunReport { indication, sub_indication, documents }
    }

    /// Exit code: 0 all passed, 1 some failed, 3 some indeterminate and none failed.
    pub fn exit_code(&self) -> u8 {
        self.indication.exit_code()
    }
}

/// `kyso cert verify` result (DESIGN.md §3).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CertReport {
    /// Main indication.
    pub indication: Indication,
    /// Sub-indication (null when TOTAL_PASSED).
    pub sub_indication: Option<SubIndication>,
    /// Subjects of the validated path, leaf first (only the leaf when no path was found).
    pub chain: Vec<String>,
    /// Every check performed.
    pub checks: Vec<Check>,
    /// Warnings.
    #[serde(skip)]
    pub warnings: Vec<String>,
}

/// Language of the human rendering.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Lang {
    /// Tiếng Việt (default).
    #[default]
    Vi,
    /// English.
    En,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn worst_indication_wins_and_exit_codes() {
        let sig = SignatureReport::new;
        let mut d = DocumentReport {
            path: "a".into(),
            sha256: None,
            indication: Indication::TotalPassed,
            sub_indication: None,
            detail: None,
            signatures: vec![
                sig(Indication::TotalPassed, None),
                sig(Indication::Indeterminate, Some(SubIndication::TryLater)),
            ],
        };
        d.summarise();
        assert_eq!((d.indication, d.sub_indication), (Indication::Indeterminate, Some(SubIndication::TryLater)));
        let run = RunReport::new(vec![d.clone()]);
        assert_eq!(run.exit_code(), 3);
        d.signatures.push(sig(Indication::TotalFailed, Some(SubIndication::HashFailure)));
        d.summarise();
        assert_eq!(RunReport::new(vec![d]).exit_code(), 1);
        let json = serde_json::to_value(SubIndication::NoCertificateChainFound).unwrap();
        assert_eq!(json, "NO_CERTIFICATE_CHAIN_FOUND");
        for s in [SubIndication::TryLater, SubIndication::HashFailure, SubIndication::OutOfBoundsNoPoe] {
            assert_eq!(serde_json::to_value(s).unwrap(), s.as_str());
        }
    }
}
