//! Verifying a received message: its S/MIME signature (multipart/signed or pkcs7-mime
//! signed-data) with the same core as `kyso verify`, the From address against the signer
//! certificate (RFC 8550 §3), the header fields shown against the signed copy of them, then
//! every attached document with its own signatures.

use super::canon;
use super::mime::{self, Budget, Entity};
use super::report::{AttachmentInfo, AttachmentRole, MailFormat, MailReport, MessageReport};
use crate::alg::DigestAlgorithm;
use crate::cms::certs::CertEntry;
use crate::cms::signed_data;
use crate::findings::{Check, CheckName, CheckStatus, Finding, Indication, MailProblem, SubIndication};
use crate::report::{DocumentReport, SignatureReport};
use crate::verify::Verifier;
use mail_parser::{Address, Message};

/// A verified message: the report, and the attachments of the signed content (for saving them
/// after verification: `kyso mail verify --extract`).
#[derive(Debug, Clone)]
pub struct VerifiedMessage {
    /// The report.
    pub report: MailReport,
    /// The attachments, decoded, in order (`report.message.attachments` describes them).
    pub attachments: Vec<ReceivedAttachment>,
}

/// One attachment of a received message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedAttachment {
    /// The file name as sent (not made safe for a file system: see [`safe_file_name`]).
    pub name: String,
    /// Its bytes.
    pub data: Vec<u8>,
    /// What it is to the verification.
    pub role: AttachmentRole,
}

/// A file name safe to create in a folder: the last path component of `name`, without control
/// characters, bidirectional overrides or leading dots; `fallback` when nothing is left.
pub fn safe_file_name(name: &str, fallback: &str) -> String {
    let last = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | ':'))
        .collect();
    let cleaned = cleaned.trim().trim_start_matches('.').trim().to_string();
    if cleaned.is_empty() {
        fallback.to_string()
    } else {
        cleaned.chars().take(200).collect()
    }
}

/// The header fields a signed copy protects, compared with the ones shown.
const PROTECTED: [&str; 6] = ["From", "To", "Cc", "Reply-To", "Subject", "Date"];

/// Verifies a received message (`raw`, as stored: CRLF or LF line ends) with `verifier`;
/// `label` names it in the report.
///
/// The message's signature is verified over the signed part's bytes as received, in their
/// canonical CRLF form (a warning says when the stored form had bare LFs). Not checked: the
/// micalg parameter (RFC 8551 §3.5.3.2 lets a receiver ignore it; the SignedData says the
/// digest), triple-wrapped or encrypted messages (refused), messages inside the message
/// (attachments like any other), DKIM and the transport.
pub fn verify_message(verifier: &Verifier, label: &str, raw: &[u8]) -> VerifiedMessage {
    let mut empty = MessageReport {
        format: None,
        from: Vec::new(),
        to: Vec::new(),
        cc: Vec::new(),
        subject: None,
        date: None,
        signer_addresses: Vec::new(),
        attachments: Vec::new(),
        signature: DocumentReport::failed(label.to_string(), None, SubIndication::FormatFailure, Finding::NoSignerInfo),
    };
    let failed = |mut m: MessageReport, p: MailProblem| {
        m.signature = DocumentReport::failed(label.to_string(), None, SubIndication::FormatFailure, Finding::MailMalformed(p));
        VerifiedMessage { report: MailReport::new(m, Vec::new()), attachments: Vec::new() }
    };
    if raw.len() as u64 > mime::MAX_MESSAGE_SIZE {
        return failed(empty, MailProblem::TooLarge { limit: mime::MAX_MESSAGE_SIZE });
    }
    let mut budget = Budget::default();
    let root = match mime::parse(raw, 0, &mut budget) {
        Ok(r) => r,
        Err(p) => return failed(empty, p),
    };
    let Some(outer) = root.headers.as_ref() else { return failed(empty, MailProblem::NotAMessage) };
    shown_fields(&mut empty, outer);
    let (ctype, subtype) = root.media_type();
    // The SignedData, the signed content and the entity it holds.
    let signed = match (ctype.as_str(), subtype.as_str()) {
        ("multipart", "signed") => clear_signed(&root, &mut budget).map(|(p7s, content)| (MailFormat::MultipartSigned, p7s, content, None)),
        ("application", "pkcs7-mime" | "x-pkcs7-mime") => opaque(&root, &mut budget).map(|(p7s, content)| (MailFormat::Pkcs7Mime, p7s, content.clone(), Some(content))),
        _ => Err(MailProblem::NotSigned { content_type: root.media_type_text() }),
    };
    let (format, p7s, content, opaque_content) = match signed {
        Ok(s) => s,
        Err(p) => return failed(empty, p),
    };
    empty.format = Some(format);
    // The entity inside: the clear-signed part, or the opaque message's content.
    let inner_entity;
    let entity: &Entity<'_> = match &opaque_content {
        None => match root.children.first() {
            Some(e) => e,
            None => return failed(empty, MailProblem::PartCount { count: 0 }),
        },
        Some(c) => match mime::parse(c, 1, &mut budget) {
            Ok(e) => {
                inner_entity = e;
                &inner_entity
            }
            Err(p) => return failed(empty, p),
        },
    };

    // 1. The message's signature, over the canonical form (CRLF) of the signed bytes.
    let mut report = verify_content(verifier, label, &content, &p7s, opaque_content.is_some());
    // 2. The header fields shown against the signed copy, and From against the certificate.
    let protected = entity.headers.as_ref().filter(|h| PROTECTED.iter().any(|f| h.header_raw(*f).is_some()));
    let header_checks = compare_headers(outer, protected);
    if let Some(inner) = protected {
        shown_fields(&mut empty, inner);
    }
    let from: Vec<String> = protected.unwrap_or(outer).from().map(addresses).unwrap_or_default();
    let signer_certs = signer_certificates(verifier, &p7s, report.signatures.len());
    let mut signer_addresses = Vec::new();
    for (sig, cert) in report.signatures.iter_mut().zip(&signer_certs) {
        let cert_addresses = cert.as_deref().map(certificate_addresses).unwrap_or_default();
        for a in &cert_addresses {
            if !signer_addresses.contains(a) {
                signer_addresses.push(a.clone());
            }
        }
        if sig.signer.is_some() {
            from_check(sig, &from, &cert_addresses);
        }
        for (check, warning) in &header_checks {
            if let Some(c) = check {
                sig.checks.push(c.clone());
                if c.status == CheckStatus::Failed {
                    fail(sig, SubIndication::HashFailure);
                }
            }
            if let Some(w) = warning {
                sig.warnings.push(w.clone());
            }
        }
    }
    empty.signer_addresses = signer_addresses;

    // 3. The attachments, and each document with its own signatures.
    let (attachments, documents, unsigned) = match attachments(verifier, entity, &mut budget) {
        Ok(a) => a,
        Err(p) => return failed(empty, p),
    };
    for sig in &mut report.signatures {
        sig.warnings.extend(unsigned.iter().map(|n| Finding::MailAttachmentUnsigned { name: n.clone() }));
    }
    report.summarise();
    empty.attachments = attachments
        .iter()
        .map(|a| AttachmentInfo {
            name: a.name.clone(),
            content_type: a.content_type.clone(),
            size: a.data.len(),
            sha256: hex::encode(DigestAlgorithm::Sha256.digest(&a.data)),
            role: a.role,
        })
        .collect();
    empty.signature = report;
    let received = attachments.into_iter().map(|a| ReceivedAttachment { name: a.name, data: a.data, role: a.role }).collect();
    VerifiedMessage { report: MailReport::new(empty, documents), attachments: received }
}

/// Sets a signature's verdict to `sub` unless it is already as bad.
fn fail(sig: &mut SignatureReport, sub: SubIndication) {
    if sig.indication != Indication::TotalFailed {
        sig.indication = sub.indication();
        sig.sub_indication = Some(sub);
    }
}

/// multipart/signed (RFC 8551 §3.5.3, RFC 1847): two parts, the second the SignedData; the
/// signed content is the first part's bytes.
fn clear_signed<'a>(root: &Entity<'a>, budget: &mut Budget) -> Result<(Vec<u8>, Vec<u8>), MailProblem> {
    let protocol = root.param("protocol").unwrap_or_default().trim().to_ascii_lowercase();
    if protocol != "application/pkcs7-signature" && protocol != "application/x-pkcs7-signature" {
        return Err(MailProblem::UnknownProtocol { protocol });
    }
    let [content, signature] = root.children.as_slice() else {
        return Err(MailProblem::PartCount { count: root.children.len() });
    };
    let p7s = signature.decode(budget, "smime.p7s").map_err(|_| MailProblem::SignatureUndecodable)?;
    if !looks_like_der(&p7s) {
        return Err(MailProblem::SignatureUndecodable);
    }
    Ok((p7s, content.raw.to_vec()))
}

/// application/pkcs7-mime signed-data (RFC 8551 §3.5.2): the SignedData holds the content.
fn opaque(root: &Entity<'_>, budget: &mut Budget) -> Result<(Vec<u8>, Vec<u8>), MailProblem> {
    let smime_type = root.param("smime-type").unwrap_or("signed-data").trim().to_ascii_lowercase();
    if smime_type.contains("enveloped") {
        return Err(MailProblem::Encrypted);
    }
    let p7s = root.decode(budget, "smime.p7m").map_err(|_| MailProblem::SignatureUndecodable)?;
    let der = crate::asn1::normalise(&p7s).map_err(|_| MailProblem::SignatureUndecodable)?;
    // envelopedData (1.2.840.113549.1.7.3) or authEnvelopedData (1.2.840.113549.1.9.16.1.23).
    let enveloped = [&b"\x06\x09\x2a\x86\x48\x86\xf7\x0d\x01\x07\x03"[..], b"\x06\x0b\x2a\x86\x48\x86\xf7\x0d\x01\x09\x10\x01\x17"];
    if enveloped.iter().any(|oid| der.der.get(2..2 + oid.len()) == Some(oid) || der.der.get(4..4 + oid.len()) == Some(oid)) {
        return Err(MailProblem::Encrypted);
    }
    let parts = signed_data::parse(&der.der).map_err(|_| MailProblem::SignatureUndecodable)?;
    let content = parts.econtent.ok_or(MailProblem::NoContent)?.to_vec();
    budget.decode(content.len())?;
    Ok((p7s, content))
}

fn looks_like_der(b: &[u8]) -> bool {
    b.first() == Some(&0x30) && b.len() > 16
}

/// The message's signature over `content`: its canonical CRLF form first; the bytes as stored
/// when that fails on the digest and they differ (a signer that signed bare LFs).
fn verify_content(verifier: &Verifier, label: &str, content: &[u8], p7s: &[u8], opaque: bool) -> DocumentReport {
    let canonical = canon::crlf(content);
    let mut report = verifier.verify_detached(label, &canonical[..], p7s);
    let converted = canonical.as_ref() != content;
    if converted {
        if report.sub_indication == Some(SubIndication::HashFailure) {
            let as_stored = verifier.verify_detached(label, content, p7s);
            if as_stored.sub_indication != Some(SubIndication::HashFailure) {
                report = as_stored;
            }
        } else {
            for s in &mut report.signatures {
                s.warnings.push(Finding::MailLineEndingsConverted);
            }
        }
    }
    if opaque {
        // The content was taken from the SignedData itself: that it equals it says nothing.
        for s in &mut report.signatures {
            s.warnings.retain(|w| *w != Finding::AttachedContentEqual);
        }
    }
    report
}

/// The certificate each SignerInfo names (by its sid, among the SignedData's certificates and
/// the verifier's `--chain`), in SignerInfo order.
fn signer_certificates(verifier: &Verifier, p7s: &[u8], n: usize) -> Vec<Option<Vec<u8>>> {
    let mut out = vec![None; n];
    let Ok(norm) = crate::asn1::normalise(p7s) else { return out };
    let Ok(parts) = signed_data::parse(&norm.der) else { return out };
    let pool: Vec<(&[u8], CertEntry)> =
        parts.certificates.iter().copied().chain(verifier.chain_certificates()).map(|c| (c, CertEntry::new(c))).collect();
    for (slot, si) in out.iter_mut().zip(&parts.signers) {
        let Ok(s) = signed_data::parse_signer(si) else { continue };
        *slot = pool.iter().find(|(_, e)| e.facts.as_ref().is_some_and(|f| f.matches_sid(&s.sid))).map(|(c, _)| c.to_vec());
    }
    out
}

/// The e-mail addresses of a certificate (DER): rfc822Name in subjectAltName, emailAddress in
/// the subject (RFC 8550 §3), lower case; empty when it does not parse.
pub fn certificate_addresses(der: &[u8]) -> Vec<String> {
    use x509_parser::prelude::*;
    let Ok((_, cert)) = X509Certificate::from_der(der) else { return Vec::new() };
    let mut out: Vec<String> = Vec::new();
    if let Ok(Some(san)) = cert.subject_alternative_name() {
        for n in &san.value.general_names {
            if let GeneralName::RFC822Name(a) = n {
                out.push(a.to_ascii_lowercase());
            }
        }
    }
    for a in cert.subject().iter_by_oid(&x509_parser::oid_registry::OID_PKCS9_EMAIL_ADDRESS) {
        if let Ok(s) = a.as_str() {
            out.push(s.to_ascii_lowercase());
        }
    }
    out.dedup();
    out
}

/// RFC 8550 §3: the From address must be one of the certificate's addresses, when it has any.
fn from_check(sig: &mut SignatureReport, from: &[String], cert: &[String]) {
    let addr_of = |m: &String| m.rsplit_once('<').map_or(m.as_str(), |(_, a)| a.trim_end_matches('>')).to_ascii_lowercase();
    let from_addrs: Vec<String> = from.iter().map(addr_of).collect();
    let (status, finding) = if from_addrs.is_empty() {
        (CheckStatus::Warning, Finding::MailFromMissing)
    } else if cert.is_empty() {
        (CheckStatus::Warning, Finding::MailCertificateNoAddress { from: from_addrs })
    } else if let Some(a) = from_addrs.iter().find(|a| cert.contains(a)) {
        (CheckStatus::Passed, Finding::MailFromMatches { address: a.clone() })
    } else {
        (CheckStatus::Warning, Finding::MailFromMismatch { from: from_addrs, certificate: cert.to_vec() })
    };
    if status == CheckStatus::Warning {
        sig.warnings.push(finding.clone());
    }
    sig.checks.push(Check::new(CheckName::MailFrom, status, finding));
}

/// `Name <address>` per mailbox (groups flattened).
fn addresses(a: &Address<'_>) -> Vec<String> {
    a.iter()
        .map(|m| match (m.name(), m.address()) {
            (Some(n), Some(a)) => format!("{n} <{a}>"),
            (None, Some(a)) => a.to_string(),
            (Some(n), None) => n.to_string(),
            (None, None) => String::new(),
        })
        .filter(|s| !s.is_empty())
        .collect()
}

/// A header field's value for comparison and display.
fn field(m: &Message<'_>, name: &str) -> Option<String> {
    match name {
        "From" => m.from().map(|a| addresses(a).join(", ")),
        "To" => m.to().map(|a| addresses(a).join(", ")),
        "Cc" => m.cc().map(|a| addresses(a).join(", ")),
        "Reply-To" => m.reply_to().map(|a| addresses(a).join(", ")),
        "Subject" => m.subject().map(|s| s.trim().to_string()),
        "Date" => m.date().map(|d| d.to_rfc3339()),
        _ => None,
    }
    .or_else(|| m.header_raw(name).map(|r| r.trim().to_string()))
}

/// Fills the shown header fields of the report from `m`.
fn shown_fields(r: &mut MessageReport, m: &Message<'_>) {
    r.from = m.from().map(addresses).unwrap_or_default();
    r.to = m.to().map(addresses).unwrap_or_default();
    r.cc = m.cc().map(addresses).unwrap_or_default();
    r.subject = m.subject().map(str::to_string);
    r.date = m.date().and_then(|d| {
        let t = time::OffsetDateTime::from_unix_timestamp(d.to_timestamp()).ok()?;
        let off = time::UtcOffset::from_whole_seconds(i32::from(d.tz_hour) * 3600 * if d.tz_before_gmt { -1 } else { 1 } + i32::from(d.tz_minute) * 60).ok()?;
        Some(crate::util::rfc3339(t.to_offset(off)))
    });
}

/// The header checks of the message: with a signed copy of the header fields (protected
/// headers), each one shown must equal it; without, the fields shown are reported as outside
/// the signature.
fn compare_headers(outer: &Message<'_>, inner: Option<&Message<'_>>) -> Vec<(Option<Check>, Option<Finding>)> {
    let present: Vec<String> = PROTECTED.iter().filter(|f| outer.header_raw(**f).is_some()).map(|f| f.to_string()).collect();
    let Some(inner) = inner else {
        return if present.is_empty() { Vec::new() } else { vec![(None, Some(Finding::MailHeadersNotProtected { headers: present }))] };
    };
    let mut out = Vec::new();
    let mut compared = Vec::new();
    let mut unprotected = Vec::new();
    for f in PROTECTED {
        match (field(inner, f), field(outer, f)) {
            (Some(signed), Some(shown)) if signed == shown => compared.push(f.to_string()),
            (Some(signed), shown) => out.push((
                Some(Check::new(
                    CheckName::MailHeaders,
                    CheckStatus::Failed,
                    Finding::MailHeaderChanged { header: f.to_string(), signed, shown: shown.unwrap_or_default() },
                )),
                None,
            )),
            (None, Some(_)) => unprotected.push(f.to_string()),
            (None, None) => {}
        }
    }
    if out.is_empty() {
        out.push((Some(Check::new(CheckName::MailHeaders, CheckStatus::Passed, Finding::MailHeadersProtected { headers: compared })), None));
    }
    if !unprotected.is_empty() {
        out.push((None, Some(Finding::MailHeadersNotProtected { headers: unprotected })));
    }
    out
}

/// An attachment found in the signed content.
struct Found {
    name: String,
    content_type: String,
    data: Vec<u8>,
    role: AttachmentRole,
}

/// The attachments of the signed content (leaves other than the body text), each document
/// verified with its own signatures: `X` with `X.p7s` beside it, a PDF with signatures inside.
/// Returns the attachments, the documents' reports and the names of unsigned attachments.
fn attachments(verifier: &Verifier, entity: &Entity<'_>, budget: &mut Budget) -> Result<(Vec<Found>, Vec<DocumentReport>, Vec<String>), MailProblem> {
    let mut leaves = Vec::new();
    collect_leaves(entity, &mut leaves);
    let mut found: Vec<Found> = Vec::new();
    let mut body_seen = false;
    for (i, leaf) in leaves.iter().enumerate() {
        let (t, s) = leaf.media_type();
        let named = leaf.file_name().is_some() || leaf.is_attachment();
        // The body: the first text/plain or text/html part that is not an attachment.
        if !named && t == "text" && (s == "plain" || s == "html") && !body_seen {
            body_seen = true;
            continue;
        }
        let name = leaf.file_name().map(str::to_string).unwrap_or_else(|| format!("part {}", i + 1));
        let data = leaf.decode(budget, &name)?;
        found.push(Found { name, content_type: leaf.media_type_text(), data, role: AttachmentRole::Unsigned });
    }
    let lower: Vec<String> = found.iter().map(|f| f.name.to_lowercase()).collect();
    let mut documents = Vec::new();
    for i in 0..found.len() {
        let sig_name = format!("{}.p7s", lower[i]);
        if let Some(j) = lower.iter().position(|n| *n == sig_name) {
            let r = verifier.verify_detached(&found[i].name, &found[i].data[..], &found[j].data);
            documents.push(r);
            found[i].role = AttachmentRole::Document;
            found[j].role = AttachmentRole::DocumentSignature;
            continue;
        }
        if found[i].role != AttachmentRole::Unsigned {
            continue;
        }
        #[cfg(feature = "pdf")]
        if is_pdf(&found[i].data) {
            let r = verifier.verify_pdf(&found[i].name, &found[i].data);
            if r.detail != Some(Finding::PdfNoSignature) {
                documents.push(r);
                found[i].role = AttachmentRole::SignedPdf;
            }
        }
    }
    for f in found.iter_mut() {
        let l = f.name.to_lowercase();
        if f.role == AttachmentRole::Unsigned && l.ends_with(".p7s") {
            let sha = Some(hex::encode(DigestAlgorithm::Sha256.digest(&f.data)));
            documents.push(DocumentReport::failed(f.name.clone(), sha, SubIndication::FormatFailure, Finding::MailSignatureWithoutDocument { name: f.name.clone() }));
            f.role = AttachmentRole::SignatureWithoutDocument;
        }
    }
    let unsigned = found.iter().filter(|f| f.role == AttachmentRole::Unsigned).map(|f| f.name.clone()).collect();
    Ok((found, documents, unsigned))
}

#[cfg(feature = "pdf")]
fn is_pdf(data: &[u8]) -> bool {
    data.get(..data.len().min(1024)).is_some_and(|h| h.windows(5).any(|w| w == b"%PDF-"))
}

fn collect_leaves<'e, 'a>(e: &'e Entity<'a>, out: &mut Vec<&'e Entity<'a>>) {
    if e.children.is_empty() && e.media_type().0 != "multipart" {
        out.push(e);
    }
    for c in &e.children {
        collect_leaves(c, out);
    }
}
