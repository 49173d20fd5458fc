//! The verification report (DESIGN.md §3 `--json` shape) and its human rendering in Vietnamese
//! (the default) and English.
//!
//! Indications and sub-indications use the names of ETSI EN 319 102-1. The human rendering shows
//! what Vietnamese rules ask a verifier to show: valid or not and why, the signer, the signer's
//! unit, the issuing CA, the signing time, integrity, the certificate's validity period and
//! whether it covered the signing time, and the revocation status (with a warning when it could
//! not be checked).

use crate::findings::{CheckName, Finding, Name};
use serde::ser::{SerializeSeq, SerializeStruct};
use serde::{Serialize, Serializer};
use time::OffsetDateTime;

mod en;
mod render;
#[cfg(test)]
mod tests;
mod text;
mod vi;

pub use crate::findings::{Check, CheckStatus, Indication, NameParts, SubIndication};
pub use render::{document_view, render_cert, render_run, render_run_with, DocumentView, Line, RenderOptions, SignatureView};
#[cfg(any(feature = "mail", feature = "web"))]
pub(crate) use render::verdict_text;
#[cfg(feature = "mail")]
pub(crate) use text::clean;
#[cfg(any(feature = "mail", feature = "web"))]
pub(crate) use text::format_local;
pub use text::{explain, rfc3339};

impl Serialize for Check {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Check", 4)?;
        st.serialize_field("name", self.name.as_str())?;
        st.serialize_field("status", &self.status)?;
        st.serialize_field("detail", &self.finding.to_string())?;
        st.serialize_field("code", self.finding.code())?;
        st.end()
    }
}

impl text::Ctx<'_> {
    /// A finding in this context's language.
    pub(crate) fn finding(&self, f: &Finding) -> String {
        match self.lang {
            Lang::En => en::finding(f, self),
            Lang::Vi => vi::finding(f, self),
        }
    }
}

/// A finding rendered for a human reader in `lang` (for reports built on this one).
#[cfg_attr(not(feature = "mail"), allow(dead_code))]
pub(crate) fn finding_text(f: &Finding, lang: Lang) -> String {
    text::Ctx::human(lang, None).finding(f)
}

impl std::fmt::Display for Finding {
    /// The English rendering of the JSON (RFC 3339 UTC times, full distinguished names).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&text::Ctx::JSON.finding(self))
    }
}

impl std::fmt::Display for crate::findings::CrlProblem {
    /// The English rendering of the JSON.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&en::crl_problem(self, &text::Ctx::JSON))
    }
}

/// Serialises a time as RFC 3339.
fn ser_time<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&text::rfc3339(*t))
}

/// Serialises an optional time as RFC 3339 or null.
fn ser_opt_time<S: Serializer>(t: &Option<OffsetDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&text::rfc3339(*t)),
        None => s.serialize_none(),
    }
}

/// Serialises names as their DN texts.
fn ser_names<S: Serializer>(names: &[Name], s: S) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(names.len()))?;
    for n in names {
        seq.serialize_element(&n.dn)?;
    }
    seq.end()
}



/// Serialises an optional finding as its English text or null.
fn ser_opt_finding<S: Serializer>(f: &Option<Finding>, s: S) -> Result<S::Ok, S::Error> {
    match f {
        Some(f) => s.serialize_str(&f.to_string()),
        None => s.serialize_none(),
    }
}

/// Serialises a finding as its English text.
fn ser_finding<S: Serializer>(f: &Finding, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&f.to_string())
}

/// The signer as shown to a recipient.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Signer {
    /// Subject name.
    pub subject: Name,
    /// Serial number, hex.
    pub serial: String,
    /// Issuer name (the issuing CA).
    pub issuer: Name,
}

impl Signer {
    /// The subject's organisation (O) — the signer's unit.
    pub fn organization(&self) -> Option<&str> {
        self.subject.parts.organization.as_deref()
    }
}

impl Serialize for Signer {
    /// DESIGN.md §3: `subject`, `organization`, `serial`, `issuer` (DN texts); and the name parts
    /// as separate fields: `common_name`, `title`, `organizational_unit`, `identifier` (UID).
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = &self.subject.parts;
        let mut st = s.serialize_struct("Signer", 8)?;
        st.serialize_field("subject", &self.subject.dn)?;
        st.serialize_field("organization", &p.organization)?;
        st.serialize_field("serial", &self.serial)?;
        st.serialize_field("issuer", &self.issuer.dn)?;
        st.serialize_field("common_name", &p.common_name)?;
        st.serialize_field("title", &p.title)?;
        st.serialize_field("organizational_unit", &p.organizational_unit)?;
        st.serialize_field("identifier", &p.uid)?;
        st.end()
    }
}

/// The signer certificate's validity period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Validity {
    /// notBefore.
    #[serde(serialize_with = "ser_time")]
    pub not_before: OffsetDateTime,
    /// notAfter.
    #[serde(serialize_with = "ser_time")]
    pub not_after: OffsetDateTime,
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

/// One SignerInfo's verdict (serialised as DESIGN.md §3 `signatures[]`, plus `warning_codes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureReport {
    /// Main indication.
    pub indication: Indication,
    /// Sub-indication (null when TOTAL_PASSED).
    pub sub_indication: Option<SubIndication>,
    /// The signer, when its certificate was found.
    pub signer: Option<Signer>,
    /// The signing-time signed attribute (or a PDF's /M), a claim of the signer.
    pub signing_time: Option<OffsetDateTime>,
    /// Digest algorithm (JSON: its name, e.g. `SHA-256`).
    pub digest_algorithm: Option<crate::alg::DigestAlgorithm>,
    /// Signature scheme (JSON: its name, e.g. `ECDSA with SHA-256`).
    pub signature_algorithm: Option<crate::findings::SignatureScheme>,
    /// Signer certificate validity.
    pub certificate: Option<Validity>,
    /// Subjects of the validated path, signer first, trust anchor last.
    pub chain: Vec<Name>,
    /// Every check performed.
    pub checks: Vec<Check>,
    /// Warnings (legacy algorithms, unchecked revocation, …): their English texts in the JSON,
    /// their codes in `warning_codes`.
    pub warnings: Vec<Finding>,
    /// Revocation outcome (for rendering; not part of the DESIGN.md JSON shape).
    pub revocation: Option<RevocationStatus>,
    /// Whether the certificate's validity covered the claimed signing time.
    pub covered_signing_time: Option<bool>,
    /// The signature timestamps (id-aa-signatureTimeStampToken) found, each with its status.
    pub timestamps: Vec<TimestampReport>,
    /// The proven existence time: genTime of the earliest valid signature timestamp, null
    /// without one.
    pub poe_time: Option<OffsetDateTime>,
    /// The time at which certificate validity and revocation were judged: the validation time,
    /// or `poe_time` when the proof of existence was needed (revocation or expiry after it).
    /// Null when the signature failed before its certificate was checked.
    pub verdict_time: Option<OffsetDateTime>,
    /// Whether the verdict needed the proof of existence (`verdict_time` is then `poe_time`).
    pub poe_used: bool,
    /// For a signature inside a PDF: where it is and what changed after it (flattened into the
    /// JSON object: `field_name`, `revision`, `covers_whole_document`, …).
    pub pdf: Option<PdfFacts>,
}

impl Serialize for SignatureReport {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            indication: Indication,
            sub_indication: Option<SubIndication>,
            signer: &'a Option<Signer>,
            signing_time: Option<String>,
            digest_algorithm: Option<&'static str>,
            signature_algorithm: Option<String>,
            certificate: &'a Option<Validity>,
            chain: Vec<&'a str>,
            checks: &'a [Check],
            warnings: Vec<String>,
            warning_codes: Vec<&'static str>,
            timestamps: &'a [TimestampReport],
            poe_time: Option<String>,
            verdict_time: Option<String>,
            poe_used: bool,
            #[serde(flatten)]
            pdf: &'a Option<PdfFacts>,
        }
        View {
            indication: self.indication,
            sub_indication: self.sub_indication,
            signer: &self.signer,
            signing_time: self.signing_time.map(text::rfc3339),
            digest_algorithm: self.digest_algorithm.map(|d| d.name()),
            signature_algorithm: self.signature_algorithm.map(en::scheme_name),
            certificate: &self.certificate,
            chain: self.chain.iter().map(|n| n.dn.as_str()).collect(),
            checks: &self.checks,
            warnings: self.warnings.iter().map(ToString::to_string).collect(),
            warning_codes: self.warning_codes(),
            timestamps: &self.timestamps,
            poe_time: self.poe_time.map(text::rfc3339),
            verdict_time: self.verdict_time.map(text::rfc3339),
            poe_used: self.poe_used,
            pdf: &self.pdf,
        }
        .serialize(s)
    }
}

impl SignatureReport {
    /// The codes of the warnings (JSON `warning_codes`).
    pub fn warning_codes(&self) -> Vec<&'static str> {
        self.warnings.iter().map(Finding::code).collect()
    }

    /// The check named `name`, the first one if several.
    pub fn check(&self, name: CheckName) -> Option<&Check> {
        self.checks.iter().find(|c| c.name == name)
    }

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

/// What a signature timestamp is worth.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum TimestampStatus {
    /// Verified, TSA trusted: a proof of existence.
    Valid,
    /// Verifies, but the TSA does not chain to a trust anchor at the validation time.
    Untrusted,
    /// The TSA certificate was revoked in a way that makes the token no proof.
    Revoked,
    /// Does not verify or does not cover this signature.
    Invalid,
}

/// One signature timestamp of a SignerInfo.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TimestampReport {
    /// What it is worth.
    pub status: TimestampStatus,
    /// genTime, when the token could be read.
    #[serde(serialize_with = "ser_opt_time")]
    pub time: Option<OffsetDateTime>,
    /// The TSA certificate's subject, when the token could be read.
    #[serde(serialize_with = "ser_opt_name")]
    pub tsa: Option<Name>,
    /// The token's serial number (hex), when it could be read.
    pub serial: Option<String>,
    /// What was found (English in the JSON).
    #[serde(serialize_with = "ser_finding")]
    pub detail: Finding,
}

/// Serialises an optional name as its DN text or null.
fn ser_opt_name<S: Serializer>(n: &Option<Name>, s: S) -> Result<S::Ok, S::Error> {
    match n {
        Some(n) => s.serialize_str(&n.dn),
        None => s.serialize_none(),
    }
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
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_opt_finding")]
    pub detail: Option<Finding>,
    /// One entry per SignerInfo, in the order of the signature file.
    pub signatures: Vec<SignatureReport>,
}

impl DocumentReport {
    /// A document that failed as a whole (no signature could be examined).
    pub fn failed(path: String, sha256: Option<String>, sub: SubIndication, detail: Finding) -> DocumentReport {
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
                self.detail = Some(Finding::NoSignerInfo);
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
    #[serde(serialize_with = "ser_names")]
    pub chain: Vec<Name>,
    /// Every check performed.
    pub checks: Vec<Check>,
    /// Warnings.
    #[serde(skip)]
    pub warnings: Vec<Finding>,
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
mod report_tests {
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
