//! Writing a signed message: RFC 8551 multipart/signed over a multipart/mixed that carries the
//! body text and the documents with their own signatures.
//!
//! mail-builder writes the header fields (RFC 2047 encoded words for a Vietnamese subject or
//! display name, RFC 2231 parameters for file names, folding) and the multiparts; kyso chooses
//! every transfer encoding (base64 for the text and every attachment, so the signed part is
//! 7-bit with CRLF line ends whatever the documents hold, RFC 8551 §3.1.2–3.1.3), and gives the
//! boundaries, the Date and the Message-ID itself (derived from the content and the date it is
//! given: the library never reads the clock). The written message is checked before it is
//! returned: its signed part is 7-bit canonical and reads back, with kyso's own reader, as the
//! body and the attachments it was given.

use super::canon;
use super::mime::{self, Budget};
use super::MailError;
use crate::alg::DigestAlgorithm;
use crate::keys::Signer;
use crate::sign::DocumentSigner;
use mail_builder::headers::address::Address;
use mail_builder::headers::content_type::ContentType;
use mail_builder::headers::message_id::MessageId;
use mail_builder::headers::raw::Raw;
use mail_builder::headers::text::Text;
use mail_builder::mime::{BodyPart, MimePart};
use mail_builder::MessageBuilder;
use time::OffsetDateTime;

/// Limit on attachments of one message (documents and their `.p7s` together), so that the
/// message stays within the reader's part budget ([`mime::MAX_PARTS`]).
pub const MAX_ATTACHMENTS: usize = mime::MAX_PARTS - 8;

/// An e-mail address with an optional display name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mailbox {
    /// Display name (any Unicode; written as an RFC 2047 encoded word when not ASCII).
    pub name: Option<String>,
    /// The address (`local@domain`, ASCII).
    pub address: String,
}

impl Mailbox {
    /// A mailbox from an address and an optional display name; the address is checked.
    pub fn new(name: Option<&str>, address: &str) -> Result<Mailbox, MailError> {
        let address = address.trim();
        let ok_char = |c: char| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '(' | ')' | ',' | ';' | ':' | '"' | '[' | ']' | '\\');
        let mut halves = address.split('@');
        let valid = match (halves.next(), halves.next(), halves.next()) {
            (Some(l), Some(d), None) => !l.is_empty() && !d.is_empty() && address.chars().all(ok_char),
            _ => false,
        };
        if !valid {
            return Err(MailError::BadAddress(address.to_string()));
        }
        let name = name.map(str::trim).filter(|n| !n.is_empty());
        if name.is_some_and(|n| n.chars().any(char::is_control)) {
            return Err(MailError::BadAddress(address.to_string()));
        }
        Ok(Mailbox { name: name.map(str::to_string), address: address.to_string() })
    }

    /// Reads `Name <local@domain>` or `local@domain` (mail-parser reads it as a From field).
    pub fn parse(text: &str) -> Result<Mailbox, MailError> {
        if text.contains(['\r', '\n']) {
            return Err(MailError::BadAddress(text.to_string()));
        }
        let field = format!("From: {text}\r\n\r\n");
        let parsed = mail_parser::MessageParser::new().parse_headers(field.as_bytes());
        let addrs: Vec<(Option<String>, String)> = parsed
            .as_ref()
            .and_then(|m| m.from())
            .map(|a| a.iter().map(|x| (x.name().map(str::to_string), x.address().unwrap_or_default().to_string())).collect())
            .unwrap_or_default();
        match addrs.as_slice() {
            [(name, address)] => Mailbox::new(name.as_deref(), address),
            _ => Err(MailError::BadAddress(text.to_string())),
        }
    }

    /// The domain part of the address.
    pub fn domain(&self) -> &str {
        self.address.rsplit('@').next().unwrap_or_default()
    }

    fn builder_address(&self) -> Address<'static> {
        Address::new_address(self.name.clone(), self.address.clone())
    }
}

impl std::fmt::Display for Mailbox {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.name {
            Some(n) => write!(f, "{n} <{}>", self.address),
            None => f.write_str(&self.address),
        }
    }
}

/// A file attached to a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    /// Its file name (no folders).
    pub file_name: String,
    /// Its media type (`application/pdf`, `application/octet-stream`, …).
    pub content_type: String,
    /// Its bytes.
    pub data: Vec<u8>,
}

impl Attachment {
    /// An attachment whose media type follows from its name: `application/pdf` for `.pdf`,
    /// `application/octet-stream` otherwise — never `text/*`, whose line ends mail software
    /// may rewrite: a document's bytes must arrive exactly as signed.
    pub fn new(file_name: &str, data: Vec<u8>) -> Attachment {
        let content_type = if file_name.to_ascii_lowercase().ends_with(".pdf") { "application/pdf" } else { "application/octet-stream" };
        Attachment { file_name: file_name.to_string(), content_type: content_type.into(), data }
    }
}

/// What a signed message says: sender, recipients, subject, the body text, the attachments and
/// the date (which is also the signing time).
#[derive(Debug, Clone)]
pub struct OutgoingMessage {
    /// The sender (From); mail clients compare it with the signer certificate's addresses.
    pub from: Mailbox,
    /// Recipients (To), at least one.
    pub to: Vec<Mailbox>,
    /// Copies (Cc).
    pub cc: Vec<Mailbox>,
    /// The subject (any Unicode, one line).
    pub subject: String,
    /// The body text (UTF-8; line ends are made CRLF).
    pub body: String,
    /// The attachments, in order.
    pub attachments: Vec<Attachment>,
    /// The Date field and the signing time.
    pub date: OffsetDateTime,
}

/// RFC 5322 §3.3 date-time in the date's own offset: `Mon, 30 Nov 2026 09:00:00 +0700`.
pub(crate) fn rfc5322_date(t: OffsetDateTime) -> Result<String, MailError> {
    let f = time::macros::format_description!(
        "[weekday repr:short], [day padding:none] [month repr:short] [year] [hour]:[minute]:[second] [offset_hour sign:mandatory][offset_minute]"
    );
    t.format(&f).map_err(|_| MailError::BadDate)
}

/// The micalg parameter for a digest (RFC 8551 §3.5.3.2).
pub(crate) fn micalg(d: DigestAlgorithm) -> &'static str {
    match d {
        DigestAlgorithm::Sha1 => "sha-1",
        DigestAlgorithm::Sha384 => "sha-384",
        DigestAlgorithm::Sha512 => "sha-512",
        _ => "sha-256",
    }
}

fn check(message: &OutgoingMessage) -> Result<(), MailError> {
    if message.to.is_empty() {
        return Err(MailError::NoRecipient);
    }
    if message.subject.chars().any(char::is_control) {
        return Err(MailError::BadSubject);
    }
    if message.attachments.len() > MAX_ATTACHMENTS {
        return Err(MailError::TooManyAttachments { count: message.attachments.len(), limit: MAX_ATTACHMENTS });
    }
    let mut seen = std::collections::HashSet::new();
    for a in &message.attachments {
        let n = &a.file_name;
        if n.is_empty() || n.chars().any(|c| c.is_control() || c == '/' || c == '\\') || n == "." || n == ".." {
            return Err(MailError::BadFileName(n.clone()));
        }
        if !seen.insert(n.to_lowercase()) {
            return Err(MailError::DuplicateFileName(n.clone()));
        }
        if a.content_type.to_ascii_lowercase().starts_with("text/") || a.content_type.to_ascii_lowercase().starts_with("multipart/") {
            return Err(MailError::BadContentType(a.content_type.clone()));
        }
    }
    Ok(())
}

/// Writes `message` as an S/MIME multipart/signed message (RFC 8551 §3.5.3) signed by `signer`
/// at `message.date`: the signed part is a multipart/mixed carrying the header fields From, To,
/// Cc, Subject, Date and Message-ID (protected headers: a reader compares them with the ones
/// shown), the body text and the attachments; the signature is `signer`'s CAdES-B-B
/// SignedData over it (application/pkcs7-signature, micalg from its digest).
pub fn sign_message<K: Signer>(signer: &DocumentSigner<K>, message: &OutgoingMessage) -> Result<Vec<u8>, MailError> {
    check(message)?;
    let date = rfc5322_date(message.date)?;
    let body = canon::crlf_text(&message.body);
    // Message-ID and boundaries: from the content and the date (reproducible, never in the
    // base64 or in the text, which is base64 too: '_' is not a base64 character).
    let mut h = ring::digest::Context::new(&ring::digest::SHA256);
    for s in [message.from.to_string(), date.clone(), message.subject.clone(), body.clone()] {
        h.update(&(s.len() as u64).to_be_bytes());
        h.update(s.as_bytes());
    }
    for m in message.to.iter().chain(&message.cc) {
        h.update(m.to_string().as_bytes());
        h.update(b"\n");
    }
    for a in &message.attachments {
        h.update(a.file_name.as_bytes());
        h.update(&ring::digest::digest(&ring::digest::SHA256, &a.data).as_ref()[..]);
    }
    let seed = hex::encode(h.finish().as_ref());
    let message_id = format!("{}.kyso@{}", &seed[..32], message.from.domain());
    let inner_boundary = format!("kyso_m_{}", &seed[32..56]);
    let outer_boundary = format!("kyso_s_{}", &seed[40..64]);

    // The signed part.
    let text = format!("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}", canon::base64_lines(body.as_bytes()));
    // MimePart::raw writes the part as given; the CRLF ending the base64 belongs to the
    // next delimiter.
    let text = text.strip_suffix("\r\n").unwrap_or(&text).to_string();
    let mut parts = vec![MimePart::raw(BodyPart::Text(text.into()))];
    for a in &message.attachments {
        let ct = ContentType::new(a.content_type.clone()).attribute("name", a.file_name.clone());
        parts.push(MimePart::new(ct, BodyPart::Binary(a.data.clone().into())).attachment(a.file_name.clone()));
    }
    let mut inner = MimePart::new(
        ContentType::new("multipart/mixed").attribute("boundary", inner_boundary.clone()).attribute("protected-headers", "v1"),
        BodyPart::Multipart(parts),
    )
    .header("From", message.from.builder_address())
    .header("To", Address::new_list(message.to.iter().map(Mailbox::builder_address).collect()));
    if !message.cc.is_empty() {
        inner = inner.header("Cc", Address::new_list(message.cc.iter().map(Mailbox::builder_address).collect()));
    }
    let inner = inner
        .header("Subject", Text::new(message.subject.clone()))
        .header("Date", Raw::new(date.clone()))
        .header("Message-ID", MessageId::new(message_id.clone()));
    let mut signed = Vec::new();
    inner.write_part(&mut signed);
    if let Some(why) = canon::seven_bit_problem(&signed) {
        return Err(MailError::NotCanonical(why));
    }
    check_reads_back(&signed, &body, message)?;

    let p7s = signer.sign_bytes(&signed, message.date)?;
    let signature = MimePart::new(
        ContentType::new("application/pkcs7-signature").attribute("name", "smime.p7s"),
        BodyPart::Binary(p7s.into()),
    )
    .attachment("smime.p7s");
    let outer = MimePart::new(
        ContentType::new("multipart/signed")
            .attribute("protocol", "application/pkcs7-signature")
            .attribute("micalg", micalg(signer.digest_algorithm()))
            .attribute("boundary", outer_boundary),
        BodyPart::Multipart(vec![MimePart::raw(BodyPart::Binary(signed.into())), signature]),
    );
    let mut b = MessageBuilder::new()
        .from(message.from.builder_address())
        .to(Address::new_list(message.to.iter().map(Mailbox::builder_address).collect()));
    if !message.cc.is_empty() {
        b = b.cc(Address::new_list(message.cc.iter().map(Mailbox::builder_address).collect()));
    }
    let out = b
        .subject(Text::new(message.subject.clone()))
        .header("Date", Raw::new(date))
        .message_id(MessageId::new(message_id))
        .body(outer)
        .write_to_vec()
        .map_err(|_| MailError::NotCanonical("the message could not be written"))?;
    if out.len() as u64 > mime::MAX_MESSAGE_SIZE {
        return Err(MailError::TooLarge { limit: mime::MAX_MESSAGE_SIZE });
    }
    Ok(out)
}

/// The signed part reads back, with kyso's reader, as the text and attachments given (the
/// boundaries occur nowhere else, the encodings round-trip).
fn check_reads_back(signed: &[u8], body: &str, message: &OutgoingMessage) -> Result<(), MailError> {
    let bad = || MailError::NotCanonical("the signed part does not read back as written");
    let mut budget = Budget::default();
    let tree = mime::parse(signed, 1, &mut budget).map_err(|_| bad())?;
    let (text, attachments) = tree.children.split_first().ok_or_else(bad)?;
    if text.decode(&mut budget, "text").map_err(|_| bad())? != body.as_bytes() || attachments.len() != message.attachments.len() {
        return Err(bad());
    }
    for (got, want) in attachments.iter().zip(&message.attachments) {
        if got.file_name() != Some(want.file_name.as_str()) || got.decode(&mut budget, &want.file_name).map_err(|_| bad())? != want.data {
            return Err(bad());
        }
    }
    Ok(())
}
