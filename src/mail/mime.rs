//! Reading a MIME entity within budgets: kyso splits multiparts itself (strict RFC 2046
//! delimiters) and lets mail-parser read each header section and decode each body.
//!
//! Why the split is kyso's own: S/MIME verifies the *exact bytes* of the signed part, so where a
//! part starts and ends must follow RFC 2046 §5.1.1 to the byte (a delimiter is a line of its
//! own; the line break before it belongs to it). mail-parser recovers from broken structure
//! (it finds a boundary in the middle of a line, closes unterminated parts at the end) and
//! parses an encoded message/rfc822 attachment as a message of its own, with no budget the
//! caller can set; given whole to it, a hostile message of a few megabytes becomes millions of
//! parts (measured: 170 bytes per part). Here every budget is checked *before* the work it
//! bounds: parts and depth while splitting, header lines before a header section is handed to
//! mail-parser, decoded bytes before a body is decoded.

use crate::findings::MailProblem;
use mail_parser::{Message, MessageParser, MimeHeaders};

/// Limit on a message's size. Mail systems refuse messages above 25–50 MB (base64 included),
/// so a message that could have been delivered is never refused for its size; the limit bounds
/// the memory of one verification (the message, its decoded parts, the verification of each).
pub const MAX_MESSAGE_SIZE: u64 = 64 * 1024 * 1024;

/// Limit on MIME parts (all levels, the signed content of an opaque message included). kyso's
/// messages have 3 + 2 per document (a document and its `.p7s`); 256 allows more than a hundred
/// documents in one message.
pub const MAX_PARTS: usize = 256;

/// Limit on the nesting of multiparts. kyso's messages are 2 deep (multipart/signed →
/// multipart/mixed → parts); mail clients write up to 4 (→ multipart/alternative →
/// multipart/related). Each level is one more pass over its bytes.
pub const MAX_DEPTH: usize = 8;

/// Limit on header lines, all parts together (mail-parser keeps ~120 bytes per header field).
/// A delivered message carries a few dozen `Received:` lines and each part a handful.
pub const MAX_HEADER_LINES: usize = 4096;

/// Limit on the bytes decoded from base64 / quoted-printable, all parts together: an opaque
/// message is decoded twice (its SignedData, then the parts of the content inside), each at
/// most 3/4 of the message, so 1.5 × [`MAX_MESSAGE_SIZE`].
pub const MAX_DECODED_SIZE: u64 = MAX_MESSAGE_SIZE / 2 * 3;

/// Limit on a boundary's length: RFC 2046 §5.1.1 allows 70 characters; generous for writers
/// that exceed it.
const MAX_BOUNDARY_LEN: usize = 200;

/// What the budgets have used so far (one per message).
#[derive(Debug, Default)]
pub(crate) struct Budget {
    parts: usize,
    header_lines: usize,
    decoded: u64,
}

impl Budget {
    /// Counts a part.
    fn part(&mut self) -> Result<(), MailProblem> {
        self.parts += 1;
        if self.parts > MAX_PARTS {
            return Err(MailProblem::TooManyParts { limit: MAX_PARTS });
        }
        Ok(())
    }

    /// Reserves `n` decoded bytes.
    pub(crate) fn decode(&mut self, n: usize) -> Result<(), MailProblem> {
        self.decoded = self.decoded.saturating_add(n as u64);
        if self.decoded > MAX_DECODED_SIZE {
            return Err(MailProblem::DecodedTooLarge { limit: MAX_DECODED_SIZE });
        }
        Ok(())
    }
}

/// One MIME entity: its bytes, its header section (parsed), its body and, for a multipart, its
/// parts.
pub(crate) struct Entity<'a> {
    /// The whole entity as received: header section, blank line, body.
    pub raw: &'a [u8],
    /// The body.
    pub body: &'a [u8],
    /// The header section read by mail-parser (None: an empty header section).
    pub headers: Option<Message<'a>>,
    /// The parts of a multipart, in order.
    pub children: Vec<Entity<'a>>,
}

impl<'a> Entity<'a> {
    /// The media type, lower case (`text/plain` without a Content-Type, RFC 2045 §5.2).
    pub(crate) fn media_type(&self) -> (String, String) {
        match self.headers.as_ref().and_then(|h| h.root_part().content_type()) {
            Some(ct) => (ct.ctype().to_ascii_lowercase(), ct.subtype().unwrap_or_default().to_ascii_lowercase()),
            None => ("text".into(), "plain".into()),
        }
    }

    /// `type/subtype`.
    pub(crate) fn media_type_text(&self) -> String {
        let (t, s) = self.media_type();
        format!("{t}/{s}")
    }

    /// A Content-Type parameter (mail-parser decodes RFC 2231 values).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        self.headers.as_ref().and_then(|h| h.root_part().content_type()).and_then(|ct| ct.attribute(name))
    }

    /// The file name (Content-Disposition filename, else Content-Type name).
    pub(crate) fn file_name(&self) -> Option<&str> {
        self.headers.as_ref().and_then(|h| h.root_part().attachment_name())
    }

    /// Content-Disposition is `attachment`.
    pub(crate) fn is_attachment(&self) -> bool {
        self.headers
            .as_ref()
            .and_then(|h| h.root_part().content_disposition())
            .is_some_and(|d| d.ctype().eq_ignore_ascii_case("attachment"))
    }

    /// The body with its transfer encoding undone (base64, quoted-printable; 7bit, 8bit and
    /// binary as they are), charged to `budget`. `name` names the part in an error.
    pub(crate) fn decode(&self, budget: &mut Budget, name: &str) -> Result<Vec<u8>, MailProblem> {
        // Decoding never yields more bytes than it reads: the body's length is charged first.
        budget.decode(self.body.len())?;
        let cte = self.headers.as_ref().and_then(|h| h.root_part().content_transfer_encoding()).unwrap_or("7bit");
        let undecodable = || MailProblem::PartUndecodable { name: name.to_string() };
        match cte.trim().to_ascii_lowercase().as_str() {
            "base64" => mail_parser::decoders::base64::base64_decode(self.body).ok_or_else(undecodable),
            "quoted-printable" => mail_parser::decoders::quoted_printable::quoted_printable_decode(self.body).ok_or_else(undecodable),
            _ => Ok(self.body.to_vec()),
        }
    }
}

/// Reads `raw` as a MIME entity nested `depth` deep, within `budget`.
pub(crate) fn parse<'a>(raw: &'a [u8], depth: usize, budget: &mut Budget) -> Result<Entity<'a>, MailProblem> {
    if depth > MAX_DEPTH {
        return Err(MailProblem::TooDeep { limit: MAX_DEPTH });
    }
    budget.part()?;
    let (header, body) = split_header(raw);
    budget.header_lines += header.iter().filter(|&&b| b == b'\n').count();
    if budget.header_lines > MAX_HEADER_LINES {
        return Err(MailProblem::TooManyHeaderLines { limit: MAX_HEADER_LINES });
    }
    let headers = if header.iter().all(|b| matches!(b, b'\r' | b'\n')) { None } else { MessageParser::new().parse_headers(header) };
    let mut entity = Entity { raw, body, headers, children: Vec::new() };
    let (ctype, _) = entity.media_type();
    if ctype == "multipart" {
        let boundary = entity.param("boundary").unwrap_or_default().as_bytes();
        if boundary.is_empty() || boundary.len() > MAX_BOUNDARY_LEN {
            return Err(MailProblem::BrokenBoundary);
        }
        let mut children = Vec::new();
        for part in split_multipart(body, boundary)? {
            children.push(parse(part, depth + 1, budget)?);
        }
        entity.children = children;
    }
    Ok(entity)
}

/// Splits an entity into its header section (up to and including the blank line) and its body
/// (RFC 5322 §2.1; a blank line is CRLF CRLF, or LF LF as stored on Unix). Without a blank
/// line, all of it is header.
pub(crate) fn split_header(raw: &[u8]) -> (&[u8], &[u8]) {
    if raw.first() == Some(&b'\n') {
        return raw.split_at(1);
    }
    if raw.starts_with(b"\r\n") {
        return raw.split_at(2);
    }
    let mut i = 0;
    while let Some(off) = raw.get(i..).and_then(|r| r.iter().position(|&b| b == b'\n')) {
        let lf = i + off;
        let next = lf + 1;
        match raw.get(next..) {
            Some([b'\n', ..]) => return raw.split_at(next + 1),
            Some([b'\r', b'\n', ..]) => return raw.split_at(next + 2),
            _ => i = next,
        }
    }
    (raw, &[])
}

/// The parts of a multipart body delimited by `boundary` (RFC 2046 §5.1.1): a delimiter line is
/// `--boundary` followed only by linear white space, the close delimiter `--boundary--`; the
/// line break before a delimiter belongs to it; the preamble and epilogue are dropped. A body
/// without a close delimiter is refused.
pub(crate) fn split_multipart<'a>(body: &'a [u8], boundary: &[u8]) -> Result<Vec<&'a [u8]>, MailProblem> {
    let mut parts = Vec::new();
    let mut open: Option<usize> = None;
    let mut start = 0;
    while start <= body.len() {
        let end = body.get(start..).and_then(|r| r.iter().position(|&b| b == b'\n')).map_or(body.len(), |p| start + p);
        let line = body.get(start..end).unwrap_or_default();
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if let Some(kind) = delimiter(line, boundary) {
            if let Some(s) = open.take() {
                // The part ends before the line break that precedes this delimiter.
                let mut e = start;
                if e > 0 && body.get(e - 1) == Some(&b'\n') {
                    e -= 1;
                    if e > 0 && body.get(e - 1) == Some(&b'\r') {
                        e -= 1;
                    }
                }
                parts.push(body.get(s..e.max(s)).unwrap_or_default());
            }
            if kind == Delimiter::Close {
                return Ok(parts);
            }
            if parts.len() >= MAX_PARTS {
                return Err(MailProblem::TooManyParts { limit: MAX_PARTS });
            }
            open = Some((end + 1).min(body.len()));
        }
        start = end + 1;
    }
    Err(MailProblem::BrokenBoundary)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Delimiter {
    Part,
    Close,
}

fn delimiter(line: &[u8], boundary: &[u8]) -> Option<Delimiter> {
    let rest = line.strip_prefix(b"--")?.strip_prefix(boundary)?;
    let blank = |r: &[u8]| r.iter().all(|b| matches!(b, b' ' | b'\t'));
    if blank(rest) {
        Some(Delimiter::Part)
    } else if rest.strip_prefix(b"--").is_some_and(blank) {
        Some(Delimiter::Close)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_end_before_the_line_break_of_the_next_delimiter() {
        let body = b"preamble\r\n--b\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b \r\n\r\nsecond\r\n\r\n--b--\r\nepilogue";
        let parts = split_multipart(body, b"b").unwrap();
        assert_eq!(parts, vec![&b"Content-Type: text/plain\r\n\r\nhello"[..], b"\r\nsecond\r\n"]);
        // LF-only storage, a delimiter at the very start, an empty part.
        let parts = split_multipart(b"--b\nx\n--b\n--b--\n", b"b").unwrap();
        assert_eq!(parts, vec![&b"x"[..], b""]);
        // A boundary that is only the prefix of a line's text is no delimiter.
        let parts = split_multipart(b"--b\r\n--bb\r\n--b--", b"b").unwrap();
        assert_eq!(parts, vec![&b"--bb"[..]]);
    }

    #[test]
    fn broken_structures_are_refused() {
        assert_eq!(split_multipart(b"--b\r\nno close delimiter\r\n", b"b"), Err(MailProblem::BrokenBoundary));
        assert_eq!(split_multipart(b"x--b--\r\n", b"b"), Err(MailProblem::BrokenBoundary), "mid-line is no delimiter");
        let many = "--b\r\n\r\n".repeat(MAX_PARTS + 1) + "--b--\r\n";
        assert_eq!(split_multipart(many.as_bytes(), b"b"), Err(MailProblem::TooManyParts { limit: MAX_PARTS }));
        let mut budget = Budget::default();
        let nested = |d: usize| {
            let mut s = String::new();
            for i in 0..d {
                s.push_str(&format!("Content-Type: multipart/mixed; boundary=\"b{i}\"\r\n\r\n--b{i}\r\n"));
            }
            s.push_str("\r\nx\r\n");
            for i in (0..d).rev() {
                s.push_str(&format!("--b{i}--\r\n"));
            }
            s
        };
        assert!(parse(nested(MAX_DEPTH).as_bytes(), 0, &mut budget).is_ok());
        let mut budget = Budget::default();
        assert_eq!(parse(nested(MAX_DEPTH + 1).as_bytes(), 0, &mut budget).err(), Some(MailProblem::TooDeep { limit: MAX_DEPTH }));
        let headers = "X: a\r\n".repeat(MAX_HEADER_LINES + 1) + "\r\nbody";
        assert_eq!(parse(headers.as_bytes(), 0, &mut Budget::default()).err(), Some(MailProblem::TooManyHeaderLines { limit: MAX_HEADER_LINES }));
    }

    #[test]
    fn headers_split_at_the_first_blank_line() {
        assert_eq!(split_header(b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nx"), (&b"A: 1\r\nB: 2\r\n\r\n"[..], &b"body\r\n\r\nx"[..]));
        assert_eq!(split_header(b"A: 1\n\nbody"), (&b"A: 1\n\n"[..], &b"body"[..]));
        assert_eq!(split_header(b"\r\nbody"), (&b"\r\n"[..], &b"body"[..]));
        assert_eq!(split_header(b"A: 1\r\n"), (&b"A: 1\r\n"[..], &b""[..]));
    }

    #[test]
    fn bodies_decode_within_the_budget() {
        let raw = b"Content-Transfer-Encoding: base64\r\n\r\nQUJD\r\nREVG\r\n";
        let e = parse(raw, 0, &mut Budget::default()).unwrap();
        let mut budget = Budget::default();
        assert_eq!(e.decode(&mut budget, "x").unwrap(), b"ABCDEF");
        let raw = b"Content-Transfer-Encoding: quoted-printable\r\n\r\nC=C3=B4ng v=C4=83n=\r\n s=E1=BB=91\r\n";
        let e = parse(raw, 0, &mut Budget::default()).unwrap();
        assert_eq!(String::from_utf8(e.decode(&mut budget, "x").unwrap()).unwrap(), "Công văn số\r\n");
        let mut spent = Budget { decoded: MAX_DECODED_SIZE, ..Budget::default() };
        assert_eq!(e.decode(&mut spent, "x"), Err(MailProblem::DecodedTooLarge { limit: MAX_DECODED_SIZE }));
        let raw = b"Content-Transfer-Encoding: base64\r\n\r\n!!!!\r\n";
        let e = parse(raw, 0, &mut Budget::default()).unwrap();
        assert_eq!(e.decode(&mut Budget::default(), "a.pdf"), Err(MailProblem::PartUndecodable { name: "a.pdf".into() }));
    }
}
