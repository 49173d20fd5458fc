//! The human rendering of a verification report, in Vietnamese (the default) or English.
//!
//! Layout, the same in both languages: for each document the verdict first (result, reason,
//! how many signatures and how they fared), then each signature numbered in signing-time order
//! (the JSON keeps the file's order) with its verdict, then its facts (signer, unit, issuing
//! CA, signing time, timestamps, integrity, certificate validity, revocation, chain,
//! algorithm), then its warnings. Times are shown in Vietnam time (+07:00); names as
//! "CN — title — O", the full DN under `verbose`.

use super::text::{self, clean, format_local, words, Ctx, Words};
use super::{
    CertReport, Check, CheckStatus, DocumentReport, Indication, Lang, PdfFacts, RevocationStatus, RunReport,
    SignatureReport, SubIndication, TimestampStatus,
};
use crate::findings::{CheckName, Finding};
use std::fmt::Write as _;

/// How to render a report for a human reader.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct RenderOptions {
    /// Language.
    pub lang: Lang,
    /// Also show full distinguished names, serial numbers, the signature's position in the
    /// file and every check.
    pub verbose: bool,
    /// The validation time, shown once per document (the caller knows it; the report does not
    /// read the clock).
    pub validation_time: Option<time::OffsetDateTime>,
    /// How the reader selects the legacy algorithm policy in the caller's interface (the CLI
    /// passes its flag, `--policy legacy`), added to the advice given when the strict policy
    /// refuses an algorithm or key size that the legacy policy accepts.
    pub legacy_policy_hint: Option<String>,
}

impl RenderOptions {
    /// Options for `lang`, not verbose, without a validation time line.
    pub fn new(lang: Lang) -> RenderOptions {
        RenderOptions { lang, verbose: false, validation_time: None, legacy_policy_hint: None }
    }

    /// Sets `verbose`.
    pub fn verbose(mut self, verbose: bool) -> RenderOptions {
        self.verbose = verbose;
        self
    }

    /// Sets how the reader selects the legacy policy (e.g. a command-line flag).
    pub fn legacy_policy_hint(mut self, hint: impl Into<String>) -> RenderOptions {
        self.legacy_policy_hint = Some(hint.into());
        self
    }

    /// Sets the validation time shown.
    pub fn validation_time(mut self, time: time::OffsetDateTime) -> RenderOptions {
        self.validation_time = Some(time);
        self
    }
}

fn verdict(w: &Words, i: Indication) -> &'static str {
    match i {
        Indication::TotalPassed => w.passed,
        Indication::TotalFailed => w.failed,
        Indication::Indeterminate => w.indeterminate,
    }
}

/// "HỢP LỆ (TOTAL_PASSED)"; the ETSI name alone when it is the word itself (English
/// INDETERMINATE).
fn verdict_with_code(w: &Words, i: Indication) -> String {
    let word = verdict(w, i);
    if word == i.as_str() {
        word.to_string()
    } else {
        format!("{word} ({})", i.as_str())
    }
}

/// "HỢP LỆ (TOTAL_PASSED)" in `lang` for other reports built on this one (an e-mail's), with
/// "revocation not checked" beside a VALID when any of `docs`' signatures was not checked.
#[cfg(any(feature = "mail", feature = "web"))]
pub(crate) fn verdict_text<'a>(i: Indication, lang: Lang, docs: impl IntoIterator<Item = &'a DocumentReport>) -> String {
    let unchecked = docs.into_iter().any(|d| d.signatures.iter().any(sig_unchecked));
    verdict_noting(words(lang), i, unchecked)
}

/// The verdict, with "revocation not checked" next to a VALID whose revocation was not checked
/// (`--revocation warn` or `off`): a reader never sees VALID alone for an unchecked certificate.
fn verdict_noting(w: &Words, i: Indication, unchecked: bool) -> String {
    let v = verdict_with_code(w, i);
    if unchecked && i == Indication::TotalPassed {
        format!("{v} — {}", w.unchecked_note)
    } else {
        v
    }
}

fn sig_unchecked(sig: &SignatureReport) -> bool {
    matches!(sig.revocation, Some(RevocationStatus::Unknown | RevocationStatus::NotChecked))
}

/// Renders a run for a human reader (not verbose, no validation time line).
pub fn render_run(run: &RunReport, lang: Lang) -> String {
    render_run_with(run, &RenderOptions::new(lang))
}

/// Renders a run for a human reader with these options.
pub fn render_run_with(run: &RunReport, opts: &RenderOptions) -> String {
    let w = words(opts.lang);
    let mut s = String::new();
    for (i, doc) in run.documents.iter().enumerate() {
        if i > 0 {
            s.push('\n');
        }
        render_document(&mut s, doc, opts);
    }
    if run.documents.len() > 1 {
        let count = |i: Indication| run.documents.iter().filter(|d| d.indication == i).count();
        let _ = writeln!(
            s,
            "\n{}: {} {} — {} {}, {} {}, {} {}",
            w.summary,
            run.documents.len(),
            w.documents,
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

/// The signatures of a document in the order a reader expects: by signing time (the claimed
/// signing time, else the proven time of a timestamp); within the same time, in a detached
/// signature (whose SignerInfos are a DER SET, sorted by their bytes, not by signing order) a
/// person's signature before an agency's (Decree 30/2020: the competent person signs, then the
/// agency's seal); then in file order (a PDF's revisions are in signing order); signatures with
/// no time last. Returns indices into `doc.signatures`.
pub(super) fn reading_order(doc: &DocumentReport) -> Vec<usize> {
    let mut order: Vec<usize> = (0..doc.signatures.len()).collect();
    let key = |i: &usize| doc.signatures.get(*i).and_then(|s| s.signing_time.or(s.poe_time)).map(|t| t.unix_timestamp_nanos());
    let agency = |i: &usize| doc.signatures.get(*i).is_some_and(|s| s.pdf.is_none() && s.signer.as_ref().is_some_and(|x| is_agency(&x.subject)));
    // Stable: equal keys keep the file's order. `None` sorts after every time.
    order.sort_by_key(|i| match key(i) {
        Some(t) => (0u8, t, agency(i)),
        None => (1u8, 0, agency(i)),
    });
    order
}

/// An agency's certificate names the agency itself (CN = O, DESIGN §2's agency profile); a
/// person's names a person of an organisation.
fn is_agency(subject: &crate::findings::Name) -> bool {
    let p = &subject.parts;
    p.common_name.is_some() && p.common_name == p.organization && p.title.is_none()
}

/// One line of a rendered report: a labelled fact or a line of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Line {
    /// `label: value` (e.g. "Người ký" and the signer's name).
    Field {
        /// The label, in the report's language.
        label: String,
        /// The value, in the report's language (names and texts from the document as found,
        /// control characters removed; escape them for the medium you write to).
        value: String,
    },
    /// A line of its own (advice, a verbose detail; may start with spaces for indentation).
    Text(String),
}

/// A document's rendering as data: what the text report shows, line by line, for renderers of
/// other media (the HTML page of `kyso web`). [`render_run_with`] prints exactly this.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct DocumentView {
    /// The document's verdict lines (name, result, reason, counts, SHA-256, time of checking).
    pub lines: Vec<Line>,
    /// The signatures, in reading order (signing time).
    pub signatures: Vec<SignatureView>,
}

/// One signature's rendering as data (see [`DocumentView`]).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SignatureView {
    /// "Chữ ký 1/2" / "Signature 1/2" (with "(document timestamp)" for a PDF document timestamp).
    pub heading: String,
    /// The verdict in words with its ETSI name ("HỢP LỆ (TOTAL_PASSED)"), with a note on warnings.
    pub verdict: String,
    /// The signature's indication.
    pub indication: Indication,
    /// Position of the signature in the signature file or PDF (0-based; the JSON's order).
    pub file_index: usize,
    /// The facts: reason, signer, unit, CA, times, integrity, validity, revocation, chain,
    /// algorithm, PDF revision, warnings.
    pub lines: Vec<Line>,
}

/// Collects lines.
#[derive(Default)]
struct Out {
    lines: Vec<Line>,
}

impl Out {
    fn field(&mut self, label: impl std::fmt::Display, value: impl std::fmt::Display) {
        self.lines.push(Line::Field { label: label.to_string(), value: value.to_string() });
    }

    fn text(&mut self, t: impl std::fmt::Display) {
        self.lines.push(Line::Text(t.to_string()));
    }
}

fn write_lines(s: &mut String, lines: &[Line], ind: &str) {
    for l in lines {
        let _ = match l {
            Line::Field { label, value } => writeln!(s, "{ind}{label}: {value}"),
            Line::Text(t) => writeln!(s, "{ind}{t}"),
        };
    }
}

fn render_document(s: &mut String, doc: &DocumentReport, opts: &RenderOptions) {
    let view = document_view(doc, opts);
    write_lines(s, &view.lines, "");
    for sig in &view.signatures {
        s.push('\n');
        let _ = writeln!(s, "  {}: {}", sig.heading, sig.verdict);
        write_lines(s, &sig.lines, "    ");
    }
}

/// The rendering of one document as data, in `opts.lang` (the text report prints it).
pub fn document_view(doc: &DocumentReport, opts: &RenderOptions) -> DocumentView {
    let lang = opts.lang;
    let w = words(lang);
    let mut o = Out::default();
    let mut signatures = Vec::new();
    o.field(w.document, clean(&doc.path));
    o.field(w.result, verdict_noting(w, doc.indication, doc.signatures.iter().any(sig_unchecked)));
    // A missing file is said as such, not as the sub-indication's general explanation (a
    // document without its signature is not a "malformed signature file").
    let missing = matches!(doc.detail, Some(Finding::SignatureMissing { .. } | Finding::DocumentMissing { .. }));
    match (doc.sub_indication, &doc.detail) {
        (Some(sub), Some(d)) if missing => {
            o.field(w.reason, format!("{} — {}", sub.as_str(), Ctx::human(lang, None).finding(d)));
        }
        (sub, detail) => {
            if let Some(sub) = sub {
                o.field(w.reason, format!("{} — {}", sub.as_str(), text::explain(sub, lang)));
            }
            if let Some(d) = detail {
                o.field(w.detail, Ctx::human(lang, None).finding(d));
            }
        }
    }
    let n = doc.signatures.len();
    if n > 0 {
        let count = |i: Indication| doc.signatures.iter().filter(|x| x.indication == i).count();
        let parts: Vec<String> = [
            (Indication::TotalPassed, w.n_passed),
            (Indication::TotalFailed, w.n_failed),
            (Indication::Indeterminate, w.n_indeterminate),
        ]
        .iter()
        .filter(|(i, _)| count(*i) > 0)
        .map(|(i, word)| format!("{} {word}", count(*i)))
        .collect();
        let order_note = match (n > 1, lang) {
            (false, _) => "",
            (true, Lang::Vi) => ", liệt kê theo thời điểm ký",
            (true, Lang::En) => ", listed in signing-time order",
        };
        o.field(w.signatures, format!("{n} ({}){order_note}", parts.join(", ")));
    }
    if let Some(h) = &doc.sha256 {
        o.field("SHA-256", clean(h));
    }
    if let Some(t) = opts.validation_time {
        o.field(w.checked_at, text::format_local(t, lang, true));
    }
    for (k, &i) in reading_order(doc).iter().enumerate() {
        let Some(sig) = doc.signatures.get(i) else { continue };
        // Say up front that warnings follow, so that a VALID with reservations is not read as
        // a plain VALID (e.g. SHA-1 accepted by the legacy policy).
        let warnings = distinct_warnings(sig).len();
        let note = match (warnings, lang) {
            (0, _) => String::new(),
            (c, Lang::Vi) => format!(" — có {c} cảnh báo, xem cuối mục"),
            (1, Lang::En) => " — 1 warning, see below".to_string(),
            (c, Lang::En) => format!(" — {c} warnings, see below"),
        };
        let kind = match (is_document_timestamp(sig), lang) {
            (false, _) => "",
            (true, Lang::Vi) => " (dấu thời gian cho tài liệu)",
            (true, Lang::En) => " (document timestamp)",
        };
        let mut so = Out::default();
        render_signature(&mut so, sig, i, opts);
        signatures.push(SignatureView {
            heading: format!("{} {}/{n}{kind}", w.signature, k + 1),
            verdict: format!("{}{note}", verdict_noting(w, sig.indication, sig_unchecked(sig))),
            indication: sig.indication,
            file_index: i,
            lines: so.lines,
        });
    }
    DocumentView { lines: o.lines, signatures }
}

fn failing(checks: &[Check]) -> Option<&Check> {
    checks.iter().find(|c| c.status == CheckStatus::Failed)
}

fn render_signature(o: &mut Out, sig: &SignatureReport, file_index: usize, opts: &RenderOptions) {
    let lang = opts.lang;
    let w = words(lang);
    let ctx = Ctx::human(lang, sig.signer.as_ref().map(|x| &x.subject));
    // 1. Why, when it did not pass.
    let fail = failing(&sig.checks);
    if let Some(sub) = sig.sub_indication {
        o.field(w.reason, format!("{} — {}", sub.as_str(), text::explain(sub, lang)));
        // The revocation line below states the revocation itself.
        if let Some(c) = fail.filter(|c| c.name != CheckName::Revocation) {
            o.field(w.detail, ctx.finding(&c.finding));
        }
        // A policy INDETERMINATE: which rule, and how to proceed.
        let legacy = sig.checks.iter().any(|c| c.status == CheckStatus::Failed && c.finding.legacy_policy_accepts());
        if sub == SubIndication::CryptoConstraintsFailure && legacy {
            let hint = opts.legacy_policy_hint.as_deref().map(|h| format!(" ({})", clean(h))).unwrap_or_default();
            let line = match lang {
                Lang::Vi => format!(
                    "Cách xử lý: chính sách strict (mặc định) không chấp nhận SHA-1 hay khóa RSA dưới 2048 bit; văn bản ký khi các thuật toán này còn được dùng (khoảng năm 2012) có thể kiểm tra bằng chính sách legacy{hint}, chính sách này chấp nhận chúng kèm cảnh báo"
                ),
                Lang::En => format!(
                    "How to proceed: the strict policy (the default) refuses SHA-1 and RSA keys under 2048 bits; a document signed when these were in use (around 2012) can be verified with the legacy policy{hint}, which accepts them with a warning"
                ),
            };
            o.text(line);
        }
    }
    // 2. Who signed, and who vouches for them. Without a validated path to a trust anchor the
    // names are only what the certificate claims: said on the lines themselves.
    // (A path that failed only on time — expired, not yet valid — is not in doubt.)
    let path_failed = sig.checks.iter().any(|c| c.name == CheckName::CertificatePath && c.status == CheckStatus::Failed)
        && !matches!(sig.sub_indication, Some(SubIndication::OutOfBoundsNoPoe | SubIndication::NotYetValid));
    let no_path = matches!(sig.sub_indication, Some(SubIndication::NoCertificateChainFound));
    let doc_ts = is_document_timestamp(sig);
    let unverified = match (path_failed || no_path, lang) {
        (false, _) => "",
        (true, Lang::Vi) => " (chưa xác thực)",
        (true, Lang::En) => " (unverified)",
    };
    match &sig.signer {
        Some(signer) => {
            let label = match (doc_ts, lang) {
                (false, _) => w.signer,
                (true, Lang::Vi) => "Đơn vị cấp dấu thời gian (TSA)",
                (true, Lang::En) => "Timestamping authority (TSA)",
            };
            o.field(label, format!("{}{unverified}", text::person_line(&signer.subject)));
            if let Some(uid) = &signer.subject.parts.uid {
                o.field(w.identifier, clean(uid));
            }
            o.field(w.unit, signer.organization().map(clean).unwrap_or_else(|| w.none.to_string()));
            o.field(w.issuing_ca, format!("{}{unverified}", text::ca_line(&signer.issuer)));
            if opts.verbose {
                o.field(w.subject_dn, clean(&signer.subject.dn));
                o.field(w.issuer_dn, clean(&signer.issuer.dn));
                o.field(w.serial, clean(&signer.serial));
            }
        }
        None => {
            o.field(w.signer, w.none);
        }
    }
    // 3. When.
    // (A document timestamp's time is the token's, on its "Dấu thời gian" line.)
    if !doc_ts {
        let when = match sig.signing_time {
            Some(t) => format!("{}, {}", format_local(t, lang, true), w.claimed),
            None => w.none.to_string(),
        };
        o.field(w.signing_time, when);
    }
    render_timestamps(o, sig, lang);
    // 4. Integrity (and, for a PDF, what changed after the signature).
    let digest_check = sig.check(CheckName::MessageDigest).map(|c| c.status);
    let ts_verified = sig.checks.iter().any(|c| c.name == CheckName::DocumentTimestamp && c.status == CheckStatus::Passed);
    let integrity = match (digest_check, doc_ts, sig.sub_indication) {
        (Some(CheckStatus::Passed), _, _) => w.intact,
        (Some(CheckStatus::Failed), _, _) | (_, true, Some(SubIndication::HashFailure)) => w.modified,
        // A document timestamp that verifies has matched the digest of the signed bytes.
        (_, true, _) if ts_verified => w.intact,
        _ => w.not_checked,
    };
    // A PDF signature whose signed revision is intact but whose file changed afterwards.
    let changed_after = sig.checks.iter().any(|c| c.name == CheckName::PdfModifications && c.status == CheckStatus::Failed);
    let integrity = match (changed_after, lang) {
        (true, Lang::Vi) => "phần đã ký còn nguyên vẹn, nhưng tệp ĐÃ BỊ THAY ĐỔI sau khi ký",
        (true, Lang::En) => "the signed revision is intact, but the file was CHANGED after signing",
        (false, _) => integrity,
    };
    o.field(w.integrity, integrity);
    if let Some(p) = &sig.pdf {
        render_pdf_facts(o, p, lang);
    }
    // What each revision after this signature did, and the permissions it sets.
    if let Some(c) = sig.check(CheckName::PdfRevisions) {
        let label = if lang == Lang::Vi { "Các phiên bản sau chữ ký" } else { "Revisions after the signature" };
        o.field(label, ctx.finding(&c.finding));
    }
    if let Some(c) = sig.check(CheckName::PdfPermissions) {
        let label = if lang == Lang::Vi { "Quyền sửa đổi" } else { "Modification permissions" };
        o.field(label, ctx.finding(&c.finding));
    }
    // PAdES-B-LT: the validation data the document carries.
    if let Some(c) = sig.check(CheckName::PdfDss) {
        let label = if lang == Lang::Vi { "Dữ liệu kiểm tra gắn trong PDF" } else { "Validation data in the PDF" };
        o.field(label, ctx.finding(&c.finding));
    }
    // 5. The certificate: validity and revocation.
    if let Some(v) = &sig.certificate {
        let covered = match sig.covered_signing_time {
            Some(true) => format!("; {}", w.covered_yes),
            Some(false) => format!("; {}", w.covered_no),
            None => String::new(),
        };
        o.field(w.cert_validity, format!("{}{covered}", text::local_period(v.not_before, v.not_after, lang)));
    }
    o.field(w.revocation, revocation_line(sig, &ctx));
    // A path that failed holds the signer certificate alone: nothing to show as a chain.
    if sig.chain.len() > 1 {
        let names: Vec<String> = sig.chain.iter().map(|c| ctx.name(c)).collect();
        o.field(w.chain, names.join(" → "));
        if opts.verbose {
            for c in &sig.chain {
                o.text(format!("  {}", clean(&c.dn)));
            }
        }
    }
    if let Some(a) = sig.signature_algorithm {
        let name = match lang {
            Lang::En => super::en::scheme_name(a),
            Lang::Vi => super::vi::scheme_name(a),
        };
        o.field(w.algorithm, name);
    }
    if opts.verbose {
        let position = match lang {
            Lang::Vi => "Vị trí trong tệp chữ ký",
            Lang::En => "Position in the signature file",
        };
        o.field(position, file_index + 1);
        o.text(format!("{}:", w.checks));
        for c in &sig.checks {
            o.text(format!("  [{}] {}: {}", status_word(c.status, lang), check_name(c.name, lang), ctx.finding(&c.finding)));
        }
    }
    // 6. Warnings last.
    for warn in distinct_warnings(sig) {
        o.field(w.warning, ctx.finding(warn));
    }
}

/// A PDF document timestamp (/SubFilter ETSI.RFC3161): a TSA's token over the document, listed
/// with the signatures.
fn is_document_timestamp(sig: &SignatureReport) -> bool {
    sig.pdf.as_ref().is_some_and(|p| p.sub_filter.as_deref() == Some("ETSI.RFC3161")) || sig.check(CheckName::DocumentTimestamp).is_some()
}

/// The signature's warnings, each once, in order.
fn distinct_warnings(sig: &SignatureReport) -> Vec<&Finding> {
    let mut out: Vec<&Finding> = Vec::new();
    for warn in &sig.warnings {
        if !out.contains(&warn) {
            out.push(warn);
        }
    }
    out
}

/// The revocation line: the status, and for a revoked certificate when and why.
fn revocation_line(sig: &SignatureReport, ctx: &Ctx<'_>) -> String {
    let w = words(ctx.lang);
    let check = sig.check(CheckName::Revocation);
    match sig.revocation {
        Some(RevocationStatus::Good) => w.rev_good.to_string(),
        Some(RevocationStatus::Revoked) => match check {
            // Revoked after a trusted timestamp, with a reason that allows it: the signature
            // existed before the revocation.
            Some(c) if c.status == CheckStatus::Passed => ctx.finding(&c.finding),
            Some(c) if matches!(c.finding, Finding::Revoked { .. }) => format!("{} — {}", w.rev_revoked, ctx.finding(&c.finding)),
            _ => w.rev_revoked.to_string(),
        },
        // No revocation check at all: the path failed before it (the status is the default).
        Some(RevocationStatus::Unknown) if check.is_none() => match ctx.lang {
            Lang::Vi => "không kiểm tra (không xác lập được chuỗi chứng thư tới CA tin cậy)".to_string(),
            Lang::En => "not checked (no valid path to a trusted CA)".to_string(),
        },
        // Which certificate's status is missing, where kyso looked, and what to give.
        Some(RevocationStatus::Unknown) => match check {
            Some(c) if matches!(c.finding, Finding::RevocationUnknown { .. }) => {
                // The finding says what is missing: the short form of the status before it.
                format!("{} — {}", w.rev_unknown.split(" (").next().unwrap_or(w.rev_unknown), ctx.finding(&c.finding))
            }
            _ => w.rev_unknown.to_string(),
        },
        Some(RevocationStatus::NotChecked) => w.rev_off.to_string(),
        None => w.not_checked.to_string(),
    }
}

/// The PDF lines of a signature: field, revision, and what changed after it.
fn render_pdf_facts(o: &mut Out, p: &PdfFacts, lang: Lang) {
    let (field, revision, of, changes) = match lang {
        Lang::Vi => ("Trường chữ ký", "Phiên bản được ký", "trên", "Thay đổi sau khi ký"),
        Lang::En => ("Signature field", "Signed revision", "of", "Changes after signing"),
    };
    let what = match (lang, p.modifications) {
        (Lang::Vi, "none") => "không có (chữ ký bao trùm toàn bộ tệp)",
        (Lang::Vi, "signatures_and_form_filling") => "chỉ thêm chữ ký sau hoặc điền biểu mẫu (được phép)",
        (Lang::Vi, "other") => "CÓ THAY ĐỔI NỘI DUNG sau khi ký (tài liệu hiển thị có thể khác bản đã ký)",
        (Lang::Vi, _) => "không phân tích được",
        (Lang::En, "none") => "none (the signature covers the whole file)",
        (Lang::En, "signatures_and_form_filling") => "only later signatures or form filling (allowed)",
        (Lang::En, "other") => "OTHER CHANGES after signing (the document shown may differ from the one signed)",
        (Lang::En, _) => "could not be analysed",
    };
    o.field(field, clean(&p.field_name));
    o.field(revision, format!("{} {of} {}", p.revision, p.revision_count));
    o.field(changes, what);
}

/// The signature timestamps and the time the verdict used (CAdES-B-T, proof of existence).
/// Why a timestamp was not used is said among the warnings.
fn render_timestamps(o: &mut Out, sig: &SignatureReport, lang: Lang) {
    let vi = lang == Lang::Vi;
    let ctx = Ctx::human(lang, None);
    for t in &sig.timestamps {
        let status = match (t.status, vi) {
            (TimestampStatus::Valid, true) => "hợp lệ, TSA được tin cậy",
            (TimestampStatus::Valid, false) => "valid, trusted TSA",
            (TimestampStatus::Untrusted, true) => "TSA KHÔNG được tin cậy, không dùng làm bằng chứng",
            (TimestampStatus::Untrusted, false) => "TSA NOT trusted, not used as proof",
            (TimestampStatus::Revoked, true) => "chứng thư số của TSA ĐÃ BỊ THU HỒI, không dùng làm bằng chứng",
            (TimestampStatus::Revoked, false) => "the TSA certificate is REVOKED, not used as proof",
            (TimestampStatus::Invalid, true) => "KHÔNG HỢP LỆ, không dùng làm bằng chứng",
            (TimestampStatus::Invalid, false) => "INVALID, not used as proof",
        };
        let label = if vi { "Dấu thời gian" } else { "Timestamp" };
        // No time or TSA when the token was not verified: unreadable, or refused before its
        // contents count (an imprint algorithm the policy refuses).
        let unknown = if vi { "(chưa xác minh)" } else { "(not verified)" };
        let time = t.time.map(|x| format_local(x, lang, true)).unwrap_or_else(|| unknown.to_string());
        let tsa = t.tsa.as_ref().map(|n| ctx.name(n)).unwrap_or_else(|| unknown.to_string());
        o.field(label, format!("{time} — {tsa} ({status})"));
    }
    if let (true, Some(used)) = (sig.poe_used, sig.verdict_time) {
        let used = format_local(used, lang, true);
        match lang {
            Lang::Vi => o.field("Thời điểm dùng để kết luận", format!("{used} (bằng chứng tồn tại từ dấu thời gian)")),
            Lang::En => o.field("Time used for the verdict", format!("{used} (proof of existence from the timestamp)")),
        }
    }
}

/// Renders a `cert verify` result for a human reader.
pub fn render_cert(r: &CertReport, lang: Lang) -> String {
    let w = words(lang);
    let mut s = String::new();
    let unchecked = r.checks.iter().any(|c| c.name == CheckName::Revocation && matches!(c.status, CheckStatus::Warning | CheckStatus::Skipped));
    let _ = writeln!(s, "{}: {}", w.result, verdict_noting(w, r.indication, unchecked));
    let leaf = r.chain.first();
    let ctx = Ctx::human(lang, leaf);
    if let Some(sub) = r.sub_indication {
        let _ = writeln!(s, "{}: {} — {}", w.reason, sub.as_str(), text::explain(sub, lang));
        if let Some(c) = failing(&r.checks) {
            let _ = writeln!(s, "{}: {}", w.detail, ctx.finding(&c.finding));
        }
    }
    if let Some(l) = leaf {
        let label = if lang == Lang::Vi { "Chứng thư số" } else { "Certificate" };
        let unverified = match (r.sub_indication, lang) {
            (Some(SubIndication::NoCertificateChainFound), Lang::Vi) => " (chưa xác thực)",
            (Some(SubIndication::NoCertificateChainFound), Lang::En) => " (unverified)",
            _ => "",
        };
        let _ = writeln!(s, "{label}: {}{unverified}", ctx.name(l));
        let _ = writeln!(s, "  {}: {}", w.subject_dn, clean(&l.dn));
    }
    if r.chain.len() > 1 {
        let names: Vec<String> = r.chain.iter().map(|c| ctx.name(c)).collect();
        let _ = writeln!(s, "{}: {}", w.chain, names.join(" → "));
    }
    let _ = writeln!(s, "{}:", w.checks);
    for c in &r.checks {
        let _ = writeln!(s, "  [{}] {}: {}", status_word(c.status, lang), check_name(c.name, lang), ctx.finding(&c.finding));
    }
    for warn in &r.warnings {
        let _ = writeln!(s, "{}: {}", w.warning, ctx.finding(warn));
    }
    s
}

fn status_word(st: CheckStatus, lang: Lang) -> &'static str {
    match (st, lang) {
        (CheckStatus::Passed, Lang::Vi) => "đạt",
        (CheckStatus::Failed, Lang::Vi) => "KHÔNG ĐẠT",
        (CheckStatus::Warning, Lang::Vi) => "cảnh báo",
        (CheckStatus::Skipped, Lang::Vi) => "bỏ qua",
        (CheckStatus::Passed, Lang::En) => "ok",
        (CheckStatus::Failed, Lang::En) => "FAILED",
        (CheckStatus::Warning, Lang::En) => "warning",
        (CheckStatus::Skipped, Lang::En) => "skipped",
    }
}

/// A check's name for the reader (the JSON keeps the machine name).
fn check_name(name: CheckName, lang: Lang) -> &'static str {
    let (vi, en) = match name {
        CheckName::Format => ("Định dạng", "Format"),
        CheckName::SignerCertificate => ("Chứng thư số của người ký", "Signer certificate"),
        CheckName::ContentType => ("Kiểu nội dung", "Content type"),
        CheckName::MessageDigest => ("Giá trị băm của tài liệu", "Document digest"),
        CheckName::Signature => ("Giá trị chữ ký", "Signature value"),
        CheckName::SigningCertificate => ("Thuộc tính signing-certificate", "Signing-certificate attribute"),
        CheckName::AlgorithmPolicy => ("Chính sách thuật toán", "Algorithm policy"),
        CheckName::CertificateKeyPolicy => ("Chính sách khóa của chứng thư", "Certificate key policy"),
        CheckName::CertificatePath => ("Chuỗi chứng thư", "Certificate path"),
        CheckName::CertificatePolicies => ("Chính sách chứng thư", "Certificate policies"),
        CheckName::SignerKeyUsage => ("Mục đích sử dụng khóa", "Key usage"),
        CheckName::Validity => ("Thời hạn chứng thư số", "Certificate validity"),
        CheckName::Revocation => ("Tình trạng thu hồi", "Revocation"),
        CheckName::RevocationData => ("Nguồn tình trạng thu hồi", "Revocation data"),
        CheckName::SignatureTimestamp => ("Dấu thời gian", "Signature timestamp"),
        CheckName::PdfSignatureField => ("Trường chữ ký PDF", "PDF signature field"),
        CheckName::PdfSubFilter => ("Định dạng chữ ký PDF (SubFilter)", "PDF SubFilter"),
        CheckName::PdfByteRange => ("Phạm vi byte được ký (PDF)", "PDF byte range"),
        CheckName::PdfModifications => ("Thay đổi sau khi ký (PDF)", "PDF changes after signing"),
        CheckName::PdfDss => ("Dữ liệu kiểm tra gắn trong PDF (/DSS)", "PDF document security store (/DSS)"),
        CheckName::PdfRevisions => ("Các phiên bản sau chữ ký (PDF)", "PDF revisions after the signature"),
        CheckName::PdfPermissions => ("Quyền sửa đổi do chữ ký đặt ra (PDF)", "PDF modification permissions"),
        CheckName::DocumentTimestamp => ("Dấu thời gian cho tài liệu", "Document timestamp"),
        CheckName::DocumentTimestampPoe => ("Bằng chứng tồn tại từ dấu thời gian cho tài liệu", "Proof of existence from a document timestamp"),
        CheckName::MailFrom => ("Địa chỉ người gửi (From)", "Sender address (From)"),
        CheckName::MailHeaders => ("Các trường tiêu đề thư", "Message header fields"),
    };
    if lang == Lang::Vi {
        vi
    } else {
        en
    }
}
