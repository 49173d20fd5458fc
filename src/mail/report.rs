//! The report of a received message: the message's own signature (with the From and header
//! checks) and one document report per attached document, in JSON and in Vietnamese or
//! English. The findings are the report module's; only the section labels are written here.

use crate::findings::{Indication, SubIndication};
use crate::findings::CheckName;
use crate::report::{clean, finding_text, format_local, render_run_with, verdict_text, DocumentReport, Lang, RenderOptions, RunReport};
use serde::Serialize;
use std::fmt::Write as _;

/// How the message is signed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum MailFormat {
    /// multipart/signed with an application/pkcs7-signature part (clear-signed, RFC 8551 §3.5.3).
    MultipartSigned,
    /// application/pkcs7-mime signed-data (the content inside the SignedData, RFC 8551 §3.5.2).
    Pkcs7Mime,
}

/// What an attachment is to the verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AttachmentRole {
    /// A document verified with the `.p7s` attached beside it.
    Document,
    /// The detached signature (`.p7s`) of an attached document.
    DocumentSignature,
    /// A PDF with signatures inside, verified in place.
    SignedPdf,
    /// A `.p7s` whose document is not attached.
    SignatureWithoutDocument,
    /// An attachment with no signature of its own.
    Unsigned,
}

/// One attachment of the signed content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AttachmentInfo {
    /// Its file name as sent (the part's position when it has none).
    pub name: String,
    /// Its media type.
    pub content_type: String,
    /// Its size in bytes, decoded.
    pub size: usize,
    /// SHA-256 of its bytes (hex).
    pub sha256: String,
    /// What it is to the verification.
    pub role: AttachmentRole,
}

/// The message: its header fields as shown, how it is signed, its attachments, and the verdict
/// on its own signature (`path`, `sha256` of the signed content, `indication`,
/// `sub_indication`, `detail`, `signatures` — as for a document).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MessageReport {
    /// How the message is signed (null when it could not be read as a signed message).
    pub format: Option<MailFormat>,
    /// From, as shown (the signed copy when the header fields are protected).
    pub from: Vec<String>,
    /// To.
    pub to: Vec<String>,
    /// Cc.
    pub cc: Vec<String>,
    /// Subject.
    pub subject: Option<String>,
    /// Date (RFC 3339).
    pub date: Option<String>,
    /// The e-mail addresses of the message signer's certificate.
    pub signer_addresses: Vec<String>,
    /// The attachments of the signed content, in order.
    pub attachments: Vec<AttachmentInfo>,
    /// The verdict on the message's signature.
    #[serde(flatten)]
    pub signature: DocumentReport,
}

/// `kyso mail verify`'s report: the overall verdict (the worst of the message's and the
/// documents'), the message, and each attached document with its own signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MailReport {
    /// Worst indication of the message and its documents.
    pub indication: Indication,
    /// Its sub-indication.
    pub sub_indication: Option<SubIndication>,
    /// The message.
    pub message: MessageReport,
    /// The attached documents, each verified with its own signatures.
    pub documents: Vec<DocumentReport>,
}

impl MailReport {
    /// A report from the message's and the documents' verdicts (the worst wins).
    pub fn new(message: MessageReport, documents: Vec<DocumentReport>) -> MailReport {
        let mut all = vec![message.signature.clone()];
        all.extend(documents.iter().cloned());
        let run = RunReport::new(all);
        MailReport { indication: run.indication, sub_indication: run.sub_indication, message, documents }
    }

    /// Exit code (DESIGN.md §3): 0 all passed, 1 something failed, 3 indeterminate.
    pub fn exit_code(&self) -> u8 {
        self.indication.exit_code()
    }
}

struct Labels {
    message: &'static str,
    overall: &'static str,
    from: &'static str,
    to: &'static str,
    cc: &'static str,
    subject: &'static str,
    date: &'static str,
    format: &'static str,
    attachments: &'static str,
    none: &'static str,
    signature_section: &'static str,
    document_section: &'static str,
    signer_addresses: &'static str,
    from_check: &'static str,
    header_check: &'static str,
}

const VI: Labels = Labels {
    message: "Thư",
    overall: "Kết quả chung",
    from: "Người gửi (From)",
    to: "Người nhận (To)",
    cc: "Đồng gửi (Cc)",
    subject: "Tiêu đề",
    date: "Ngày gửi",
    format: "Định dạng",
    attachments: "Tệp đính kèm",
    none: "không có",
    signature_section: "Chữ ký số của thư (S/MIME)",
    document_section: "Văn bản đính kèm",
    signer_addresses: "Địa chỉ thư trong chứng thư số của người ký thư",
    from_check: "Đối chiếu người gửi",
    header_check: "Đối chiếu tiêu đề thư",
};

const EN: Labels = Labels {
    message: "Message",
    overall: "Overall result",
    from: "From",
    to: "To",
    cc: "Cc",
    subject: "Subject",
    date: "Date",
    format: "Format",
    attachments: "Attachments",
    none: "none",
    signature_section: "The message's signature (S/MIME)",
    document_section: "Attached document",
    signer_addresses: "E-mail addresses in the message signer's certificate",
    from_check: "Sender check",
    header_check: "Header check",
};

impl Labels {
    fn check_label(&self, name: CheckName) -> &'static str {
        if name == CheckName::MailFrom {
            self.from_check
        } else {
            self.header_check
        }
    }
}

fn role_text(r: AttachmentRole, lang: Lang) -> &'static str {
    match (r, lang) {
        (AttachmentRole::Document, Lang::Vi) => "văn bản, có tệp chữ ký riêng",
        (AttachmentRole::DocumentSignature, Lang::Vi) => "tệp chữ ký của văn bản",
        (AttachmentRole::SignedPdf, Lang::Vi) => "PDF có chữ ký bên trong",
        (AttachmentRole::SignatureWithoutDocument, Lang::Vi) => "tệp chữ ký không kèm văn bản",
        (AttachmentRole::Unsigned, Lang::Vi) => "không có chữ ký riêng",
        (AttachmentRole::Document, _) => "document, with its own signature file",
        (AttachmentRole::DocumentSignature, _) => "a document's signature file",
        (AttachmentRole::SignedPdf, _) => "PDF with signatures inside",
        (AttachmentRole::SignatureWithoutDocument, _) => "signature file without its document",
        (AttachmentRole::Unsigned, _) => "no signature of its own",
    }
}

fn list(v: &[String], none: &str) -> String {
    if v.is_empty() {
        none.to_string()
    } else {
        v.iter().map(|x| clean(x)).collect::<Vec<_>>().join(", ")
    }
}

/// Renders the report for a human reader: the message (header fields, attachments, overall
/// verdict), its signature, then each attached document as `kyso verify` shows it.
pub fn render_mail(r: &MailReport, opts: &RenderOptions) -> String {
    let lang = opts.lang;
    let l = if lang == Lang::Vi { &VI } else { &EN };
    let mut s = String::new();
    let m = &r.message;
    let _ = writeln!(s, "{}: {}", l.message, clean(&m.signature.path));
    let _ = writeln!(s, "{}: {}", l.overall, verdict_text(r.indication, lang, std::iter::once(&m.signature).chain(&r.documents)));
    let _ = writeln!(s, "{}: {}", l.from, list(&m.from, l.none));
    let _ = writeln!(s, "{}: {}", l.to, list(&m.to, l.none));
    if !m.cc.is_empty() {
        let _ = writeln!(s, "{}: {}", l.cc, list(&m.cc, l.none));
    }
    let _ = writeln!(s, "{}: {}", l.subject, m.subject.as_deref().map(clean).unwrap_or_else(|| l.none.to_string()));
    let date = m
        .date
        .as_deref()
        .and_then(|d| time::OffsetDateTime::parse(d, &time::format_description::well_known::Rfc3339).ok())
        .map(|d| format_local(d, lang, true));
    let _ = writeln!(s, "{}: {}", l.date, date.unwrap_or_else(|| l.none.to_string()));
    if let Some(f) = m.format {
        let f = match f {
            MailFormat::MultipartSigned => "S/MIME multipart/signed",
            MailFormat::Pkcs7Mime => "S/MIME application/pkcs7-mime (signed-data)",
        };
        let _ = writeln!(s, "{}: {f}", l.format);
    }
    if !m.signer_addresses.is_empty() {
        let _ = writeln!(s, "{}: {}", l.signer_addresses, list(&m.signer_addresses, l.none));
    }
    // The message's own checks, said up front: From against the certificate, the header
    // fields against their signed copy (the first signature's; a message has one).
    if let Some(sig) = m.signature.signatures.first() {
        for name in [CheckName::MailFrom, CheckName::MailHeaders] {
            for c in sig.checks.iter().filter(|c| c.name == name) {
                let _ = writeln!(s, "{}: {}", l.check_label(name), finding_text(&c.finding, lang));
            }
        }
    }
    let _ = writeln!(s, "{}: {}", l.attachments, if m.attachments.is_empty() { l.none.to_string() } else { m.attachments.len().to_string() });
    for a in &m.attachments {
        let unit = if lang == Lang::Vi { "byte" } else { "bytes" };
        let _ = writeln!(s, "  - {} ({}, {} {unit})", clean(&a.name), role_text(a.role, lang), a.size);
    }
    let _ = writeln!(s, "\n== {} ==", l.signature_section);
    s.push_str(&render_run_with(&RunReport::new(vec![m.signature.clone()]), opts));
    let n = r.documents.len();
    for (i, d) in r.documents.iter().enumerate() {
        let _ = writeln!(s, "\n== {} {}/{n} ==", l.document_section, i + 1);
        s.push_str(&render_run_with(&RunReport::new(vec![d.clone()]), opts));
    }
    s
}
