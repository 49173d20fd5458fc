//! The verification report (DESIGN.md §3 `--json` shape) and its human rendering in Vietnamese
//! (the default) and English.
//!
//! Indications and sub-indications use the names of ETSI EN 319 102-1. The human rendering shows
//! what Vietnamese rules ask a verifier to show: valid or not and why, the signer, the signer's
//! unit, the issuing CA, the signing time, integrity, the certificate's validity period and
//! whether it covered the signing time, and the revocation status (with a warning when it could
//! not be checked).

use serde::Serialize;
use std::fmt::Write as _;

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

struct Words {
    document: &'static str,
    result: &'static str,
    reason: &'static str,
    signature: &'static str,
    signer: &'static str,
    unit: &'static str,
    issuing_ca: &'static str,
    signing_time: &'static str,
    integrity: &'static str,
    intact: &'static str,
    modified: &'static str,
    not_checked: &'static str,
    cert_validity: &'static str,
    from: &'static str,
    to: &'static str,
    covered_yes: &'static str,
    covered_no: &'static str,
    revocation: &'static str,
    rev_good: &'static str,
    rev_revoked: &'static str,
    rev_unknown: &'static str,
    rev_off: &'static str,
    warning: &'static str,
    chain: &'static str,
    none: &'static str,
    summary: &'static str,
    passed: &'static str,
    failed: &'static str,
    indeterminate: &'static str,
}

const VI: Words = Words {
    document: "Tài liệu",
    result: "Kết quả",
    reason: "Lý do",
    signature: "Chữ ký",
    signer: "Người ký",
    unit: "Đơn vị",
    issuing_ca: "Tổ chức cấp chứng thư số (CA)",
    signing_time: "Thời điểm ký",
    integrity: "Tính toàn vẹn",
    intact: "nội dung còn nguyên vẹn, không bị thay đổi sau khi ký",
    modified: "nội dung ĐÃ BỊ THAY ĐỔI sau khi ký",
    not_checked: "không kiểm tra được",
    cert_validity: "Thời hạn chứng thư số",
    from: "từ",
    to: "đến",
    covered_yes: "còn hiệu lực tại thời điểm ký",
    covered_no: "KHÔNG có hiệu lực tại thời điểm ký",
    revocation: "Tình trạng thu hồi",
    rev_good: "chưa bị thu hồi (đã kiểm tra CRL)",
    rev_revoked: "ĐÃ BỊ THU HỒI",
    rev_unknown: "không kiểm tra được (không có CRL dùng được)",
    rev_off: "không kiểm tra (đã tắt)",
    warning: "Cảnh báo",
    chain: "Chuỗi chứng thư",
    none: "(không có)",
    summary: "Tổng hợp",
    passed: "HỢP LỆ",
    failed: "KHÔNG HỢP LỆ",
    indeterminate: "CHƯA XÁC ĐỊNH ĐƯỢC",
};

const EN: Words = Words {
    document: "Document",
    result: "Result",
    reason: "Reason",
    signature: "Signature",
    signer: "Signer",
    unit: "Unit",
    issuing_ca: "Issuing CA",
    signing_time: "Signing time",
    integrity: "Integrity",
    intact: "intact, not modified since signing",
    modified: "MODIFIED after signing",
    not_checked: "could not be checked",
    cert_validity: "Certificate validity",
    from: "from",
    to: "to",
    covered_yes: "valid at the signing time",
    covered_no: "NOT valid at the signing time",
    revocation: "Revocation",
    rev_good: "not revoked (checked against a CRL)",
    rev_revoked: "REVOKED",
    rev_unknown: "could not be checked (no usable CRL)",
    rev_off: "not checked (switched off)",
    warning: "Warning",
    chain: "Chain",
    none: "(none)",
    summary: "Summary",
    passed: "VALID",
    failed: "INVALID",
    indeterminate: "INDETERMINATE",
};

fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

fn verdict(w: &Words, i: Indication) -> &'static str {
    match i {
        Indication::TotalPassed => w.passed,
        Indication::TotalFailed => w.failed,
        Indication::Indeterminate => w.indeterminate,
    }
}

/// A one-line explanation of a sub-indication.
pub fn explain(sub: SubIndication, lang: Lang) -> &'static str {
    use SubIndication::*;
    match lang {
        Lang::Vi => match sub {
            FormatFailure => "tệp chữ ký sai định dạng hoặc thiếu thành phần bắt buộc",
            HashFailure => "giá trị băm của tài liệu không khớp với giá trị đã ký (tài liệu đã bị sửa)",
            SigCryptoFailure => "giá trị chữ ký không đúng với khóa công khai của người ký",
            Revoked => "chứng thư số đã bị thu hồi",
            RevokedNoPoe => "chứng thư số bị thu hồi và không có bằng chứng chữ ký có trước thời điểm thu hồi",
            OutOfBoundsNoPoe => "chứng thư số đã hết hạn tại thời điểm kiểm tra",
            NotYetValid => "chứng thư số chưa có hiệu lực tại thời điểm kiểm tra",
            NoCertificateChainFound => "không xây dựng được chuỗi chứng thư tới CA tin cậy",
            ChainConstraintsFailure => "chứng thư số không đáp ứng ràng buộc (mục đích sử dụng khóa, EKU, chứng thư CA, độ dài chuỗi)",
            CertificateChainGeneralFailure => "lỗi khi kiểm tra chuỗi chứng thư",
            CryptoConstraintsFailure => "thuật toán hoặc độ dài khóa không được chính sách cho phép",
            SigConstraintsFailure => "chữ ký không đáp ứng ràng buộc kiểm tra (thuộc tính ký; với PDF: tệp bị thay đổi sau khi ký)",
            NoSigningCertificateFound => "không tìm thấy chứng thư số của người ký, hoặc chứng thư không khớp thuộc tính signing-certificate",
            TryLater => "không có thông tin thu hồi (CRL) dùng được; hãy kiểm tra lại khi có CRL mới",
        },
        Lang::En => match sub {
            FormatFailure => "the signature file is malformed or lacks a mandatory element",
            HashFailure => "the document's digest differs from the signed digest (the document was modified)",
            SigCryptoFailure => "the signature value does not verify with the signer's public key",
            Revoked => "the certificate was revoked",
            RevokedNoPoe => "the certificate was revoked and nothing proves the signature existed before",
            OutOfBoundsNoPoe => "a certificate had expired at the validation time",
            NotYetValid => "a certificate was not yet valid at the validation time",
            NoCertificateChainFound => "no certificate path to a trusted CA",
            ChainConstraintsFailure => "the certificate violates a constraint (key usage, EKU, CA certificate as signer, path length)",
            CertificateChainGeneralFailure => "certificate path validation failed",
            CryptoConstraintsFailure => "an algorithm or key size is not allowed by the policy",
            SigConstraintsFailure => "the signature does not meet a validation constraint (a signed attribute; for a PDF: the file was changed after signing)",
            NoSigningCertificateFound => "the signer certificate is missing or does not match the signing-certificate attribute",
            TryLater => "no usable revocation information (CRL); try again when a fresh CRL is available",
        },
    }
}

fn failing_detail(checks: &[Check]) -> Option<&str> {
    checks.iter().find(|c| c.status == CheckStatus::Failed).map(|c| c.detail.as_str())
}

/// Renders a run for a human reader.
pub fn render_run(run: &RunReport, lang: Lang) -> String {
    let w = words(lang);
    let mut s = String::new();
    for doc in &run.documents {
        render_document(&mut s, doc, lang);
        s.push('\n');
    }
    if run.documents.len() > 1 {
        let count = |i: Indication| run.documents.iter().filter(|d| d.indication == i).count();
        let _ = writeln!(
            s,
            "{}: {} {}, {} {}, {} {}",
            w.summary,
            count(Indication::TotalPassed),
            w.passed,
            count(Indication::TotalFailed),
            w.failed,
            count(Indication::Indeterminate),
            w.indeterminate
        );
    }
    s
}

fn render_document(s: &mut String, doc: &DocumentReport, lang: Lang) {
    let w = words(lang);
    let _ = writeln!(s, "{}: {}", w.document, doc.path);
    if let Some(h) = &doc.sha256 {
        let _ = writeln!(s, "  SHA-256: {h}");
    }
    let _ = writeln!(s, "  {}: {} ({})", w.result, verdict(w, doc.indication), doc.indication.as_str());
    if let Some(sub) = doc.sub_indication {
        let _ = writeln!(s, "  {}: {} — {}", w.reason, sub.as_str(), explain(sub, lang));
    }
    if let Some(d) = &doc.detail {
        let _ = writeln!(s, "    {d}");
    }
    for (i, sig) in doc.signatures.iter().enumerate() {
        let _ = writeln!(s, "  {} {}:", w.signature, i + 1);
        render_signature(s, sig, lang, "    ");
    }
}

fn render_signature(s: &mut String, sig: &SignatureReport, lang: Lang, ind: &str) {
    let w = words(lang);
    let _ = writeln!(s, "{ind}{}: {} ({})", w.result, verdict(w, sig.indication), sig.indication.as_str());
    if let Some(sub) = sig.sub_indication {
        let _ = writeln!(s, "{ind}{}: {} — {}", w.reason, sub.as_str(), explain(sub, lang));
        if let Some(d) = failing_detail(&sig.checks) {
            let _ = writeln!(s, "{ind}  {d}");
        }
    }
    match &sig.signer {
        Some(signer) => {
            let _ = writeln!(s, "{ind}{}: {}", w.signer, signer.subject);
            let _ = writeln!(s, "{ind}{}: {}", w.unit, signer.organization.as_deref().unwrap_or(w.none));
            let _ = writeln!(s, "{ind}{}: {}", w.issuing_ca, signer.issuer);
        }
        None => {
            let _ = writeln!(s, "{ind}{}: {}", w.signer, w.none);
        }
    }
    let _ = writeln!(s, "{ind}{}: {}", w.signing_time, sig.signing_time.as_deref().unwrap_or(w.none));
    if let Some(p) = &sig.pdf {
        render_pdf_facts(s, p, lang, ind);
    }
    let integrity = match sig.checks.iter().find(|c| c.name == "message_digest").map(|c| c.status) {
        Some(CheckStatus::Passed) => w.intact,
        Some(CheckStatus::Failed) => w.modified,
        _ => w.not_checked,
    };
    // A PDF signature whose signed revision is intact but whose file changed afterwards.
    let changed_after = sig.checks.iter().any(|c| c.name == "pdf_modifications" && c.status == CheckStatus::Failed);
    let integrity = match (changed_after, lang) {
        (true, Lang::Vi) => "phần đã ký còn nguyên vẹn, nhưng tệp ĐÃ BỊ THAY ĐỔI sau khi ký",
        (true, _) => "the signed revision is intact, but the file was CHANGED after signing",
        (false, _) => integrity,
    };
    let _ = writeln!(s, "{ind}{}: {integrity}", w.integrity);
    if let Some(v) = &sig.certificate {
        let covered = match sig.covered_signing_time {
            Some(true) => format!("; {}", w.covered_yes),
            Some(false) => format!("; {}", w.covered_no),
            None => String::new(),
        };
        let _ = writeln!(s, "{ind}{}: {} {} {} {}{covered}", w.cert_validity, w.from, v.not_before, w.to, v.not_after);
    }
    let rev = match sig.revocation {
        Some(RevocationStatus::Good) => w.rev_good,
        Some(RevocationStatus::Revoked) => w.rev_revoked,
        Some(RevocationStatus::Unknown) => w.rev_unknown,
        Some(RevocationStatus::NotChecked) => w.rev_off,
        None => w.not_checked,
    };
    let _ = writeln!(s, "{ind}{}: {rev}", w.revocation);
    render_timestamps(s, sig, lang, ind);
    if !sig.chain.is_empty() {
        let _ = writeln!(s, "{ind}{}: {}", w.chain, sig.chain.join(" → "));
    }
    for warn in &sig.warnings {
        let _ = writeln!(s, "{ind}{}: {}", w.warning, translate_warning(warn, lang));
    }
}

/// The PDF lines of a signature: field, revision, and what changed after it.
fn render_pdf_facts(s: &mut String, p: &PdfFacts, lang: Lang, ind: &str) {
    let (field, revision, of, changes) = match lang {
        Lang::Vi => ("Trường chữ ký", "Phiên bản được ký", "trên", "Thay đổi sau khi ký"),
        Lang::En => ("Signature field", "Signed revision", "of", "Changes after signing"),
    };
    let what = match (lang, p.modifications) {
        (Lang::Vi, "none") => "không có (chữ ký bao trùm toàn bộ tệp)",
        (Lang::Vi, "signatures_and_form_filling") => "chỉ thêm chữ ký sau hoặc điền biểu mẫu (được phép)",
        (Lang::Vi, "other") => "CÓ THAY ĐỔI NỘI DUNG sau khi ký (tài liệu hiển thị có thể khác bản đã ký)",
        (Lang::Vi, _) => "không phân tích được",
        (_, "none") => "none (the signature covers the whole file)",
        (_, "signatures_and_form_filling") => "only later signatures or form filling (allowed)",
        (_, "other") => "OTHER CHANGES after signing (the document shown may differ from the one signed)",
        (_, _) => "could not be analysed",
    };
    let _ = writeln!(s, "{ind}{field}: {}", p.field_name);
    let _ = writeln!(s, "{ind}{revision}: {} {of} {}", p.revision, p.revision_count);
    let _ = writeln!(s, "{ind}{changes}: {what}");
}

/// The signature timestamps and the time the verdict used (CAdES-B-T, proof of existence).
fn render_timestamps(s: &mut String, sig: &SignatureReport, lang: Lang, ind: &str) {
    let vi = matches!(lang, Lang::Vi);
    for t in &sig.timestamps {
        let status = match (t.status, vi) {
            ("valid", true) => "hợp lệ, TSA được tin cậy",
            ("valid", false) => "valid, trusted TSA",
            ("untrusted", true) => "TSA KHÔNG được tin cậy, không dùng làm bằng chứng",
            ("untrusted", false) => "TSA NOT trusted, not used as proof",
            (_, true) => "KHÔNG HỢP LỆ, không dùng làm bằng chứng",
            (_, false) => "INVALID, not used as proof",
        };
        let label = if vi { "Dấu thời gian" } else { "Timestamp" };
        let unknown = if vi { "(không đọc được)" } else { "(unreadable)" };
        let _ = writeln!(
            s,
            "{ind}{label}: {} — {} ({status})",
            t.time.as_deref().unwrap_or(unknown),
            t.tsa.as_deref().unwrap_or(unknown)
        );
        if t.status != "valid" {
            let _ = writeln!(s, "{ind}  {}", t.detail);
        }
    }
    if let (true, Some(used)) = (sig.poe_used, &sig.verdict_time) {
        let text = if vi {
            "Thời điểm dùng để kết luận: {t} (bằng chứng tồn tại từ dấu thời gian)"
        } else {
            "Time used for the verdict: {t} (proof of existence from the timestamp)"
        };
        let _ = writeln!(s, "{ind}{}", text.replace("{t}", used));
    }
}

/// Renders a `cert verify` result for a human reader.
pub fn render_cert(r: &CertReport, lang: Lang) -> String {
    let w = words(lang);
    let mut s = String::new();
    let _ = writeln!(s, "{}: {} ({})", w.result, verdict(w, r.indication), r.indication.as_str());
    if let Some(sub) = r.sub_indication {
        let _ = writeln!(s, "{}: {} — {}", w.reason, sub.as_str(), explain(sub, lang));
        if let Some(d) = failing_detail(&r.checks) {
            let _ = writeln!(s, "  {d}");
        }
    }
    if !r.chain.is_empty() {
        let _ = writeln!(s, "{}: {}", w.chain, r.chain.join(" → "));
    }
    for c in &r.checks {
        let _ = writeln!(s, "  [{}] {}: {}", status_word(c.status), c.name, c.detail);
    }
    for warn in &r.warnings {
        let _ = writeln!(s, "{}: {}", w.warning, translate_warning(warn, lang));
    }
    s
}

fn status_word(st: CheckStatus) -> &'static str {
    match st {
        CheckStatus::Passed => "ok",
        CheckStatus::Failed => "FAILED",
        CheckStatus::Warning => "warning",
        CheckStatus::Skipped => "skipped",
    }
}

/// Warning texts are produced in English by the verifier (they go to JSON as such); the
/// Vietnamese rendering translates the known ones by their stable prefix.
fn translate_warning(warn: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return warn.to_string();
    }
    const TABLE: &[(&str, &str)] = &[
        ("legacy policy:", "chính sách legacy (thuật toán cũ):"),
        ("revocation not checked:", "chưa kiểm tra được tình trạng thu hồi:"),
        ("revocation checking is off", "đã tắt kiểm tra thu hồi"),
        ("no signing-certificate attribute:", "không có thuộc tính signing-certificate:"),
        ("no signing-time attribute", "không có thuộc tính thời điểm ký"),
        ("the signing time lies outside", "thời điểm ký nằm ngoài thời hạn chứng thư số"),
    ];
    for (en, vi) in TABLE {
        if let Some(rest) = warn.strip_prefix(en) {
            return format!("{vi}{rest}");
        }
    }
    warn.to_string()
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
