//! A strict, bounded `multipart/form-data` parser (RFC 7578, over the multipart syntax of
//! RFC 2046 §5.1.1) for the uploads of `kyso web`.
//!
//! What it accepts is what browsers, curl and Python's `requests` send: a body that starts with
//! the first delimiter (no preamble), parts whose headers end with an empty line and which carry
//! a `Content-Disposition: form-data; name="…"` (with an optional `filename="…"`), the close
//! delimiter, and at most a CRLF after it. Anything else is a typed [`MultipartError`] (the server
//! answers 400). Every quantity an attacker drives is bounded by [`Limits`]: parts, header bytes
//! per part, the length of names and file names; the body itself is bounded by the HTTP layer
//! before it gets here. The delimiter is searched with `memchr::memmem` (linear time, whatever
//! the body holds).
//!
//! Not supported (refused, never guessed): `Content-Transfer-Encoding` other than 7bit, 8bit or
//! binary (RFC 7578 §4.7 deprecates it), nested `multipart/mixed` parts, RFC 2231 `filename*=`
//! parameters (browsers send UTF-8 in a plain `filename=`), header folding.

use std::ops::Range;

/// Budgets of one parse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Parts in one body. Default 64: a recipient uploads a handful of documents with their
    /// `.p7s` (the web page allows 32 files) plus a few form fields.
    pub max_parts: usize,
    /// Header bytes of one part. Default 4 KiB: a browser sends under 300 bytes (disposition
    /// and content type).
    pub max_part_header_bytes: usize,
    /// Bytes of a field name or a file name (after decoding). Default 255: the longest file
    /// name of common file systems.
    pub max_name_bytes: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_parts: 64, max_part_header_bytes: 4096, max_name_bytes: 255 }
    }
}

/// Why a body is not acceptable `multipart/form-data`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum MultipartError {
    /// The Content-Type is not `multipart/form-data`.
    #[error("the request is not multipart/form-data")]
    NotFormData,
    /// The Content-Type has no usable `boundary` parameter (RFC 2046: 1 to 70 characters).
    #[error("the multipart boundary is missing or invalid")]
    BadBoundary,
    /// The body does not start with the first delimiter.
    #[error("the body does not start with the multipart delimiter")]
    MissingStart,
    /// The body ends before the close delimiter.
    #[error("the body ends before the closing delimiter")]
    Unterminated,
    /// Something other than a CRLF follows the close delimiter, or a delimiter is followed by
    /// neither CRLF nor `--`.
    #[error("unexpected bytes after a multipart delimiter")]
    BadDelimiter,
    /// More parts than allowed.
    #[error("more than {limit} parts")]
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// A part's headers are larger than allowed, or do not end with an empty line.
    #[error("the headers of part {part} are larger than {limit} bytes or unterminated")]
    HeaderTooLarge {
        /// 0-based part index.
        part: usize,
        /// The limit.
        limit: usize,
    },
    /// A part's header line is not `Name: value` text.
    #[error("part {part} has a malformed header line")]
    MalformedHeader {
        /// 0-based part index.
        part: usize,
    },
    /// A part has no `Content-Disposition: form-data` with a `name`.
    #[error("part {part} has no Content-Disposition: form-data with a name")]
    NoDisposition {
        /// 0-based part index.
        part: usize,
    },
    /// A part uses a Content-Transfer-Encoding other than 7bit, 8bit or binary.
    #[error("part {part} uses an unsupported Content-Transfer-Encoding")]
    UnsupportedEncoding {
        /// 0-based part index.
        part: usize,
    },
    /// A name or file name is too long, empty where one is needed, or holds control characters.
    #[error("part {part} has an unacceptable name or file name")]
    BadName {
        /// 0-based part index.
        part: usize,
    },
}

/// One part of the body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Part {
    /// The form field name.
    pub name: String,
    /// The file name sent by the client, reduced to its last path component (a browser on
    /// Windows may send `C:\…\a.pdf`); `None` for a plain field, empty for a file input left
    /// empty (browsers send such a part with no content).
    pub filename: Option<String>,
    /// The part's Content-Type, if given.
    pub content_type: Option<String>,
    /// Where the part's content lies in the body.
    pub data: Range<usize>,
}

/// The boundary of a `multipart/form-data` Content-Type.
pub fn boundary(content_type: &str) -> Result<String, MultipartError> {
    let mut params = content_type.split(';');
    let essence = params.next().unwrap_or("").trim();
    if !essence.eq_ignore_ascii_case("multipart/form-data") {
        return Err(MultipartError::NotFormData);
    }
    for p in params {
        let Some((k, v)) = p.split_once('=') else { continue };
        if !k.trim().eq_ignore_ascii_case("boundary") {
            continue;
        }
        let v = v.trim();
        let v = match v.strip_prefix('"') {
            Some(q) => q.strip_suffix('"').ok_or(MultipartError::BadBoundary)?,
            None => v,
        };
        // RFC 2046 §5.1.1: 1*70 bchars, not ending with a space.
        let bchar = |c: char| c.is_ascii_alphanumeric() || "'()+_,-./:=? ".contains(c);
        if v.is_empty() || v.len() > 70 || v.ends_with(' ') || !v.chars().all(bchar) {
            return Err(MultipartError::BadBoundary);
        }
        return Ok(v.to_string());
    }
    Err(MultipartError::BadBoundary)
}

/// Parses `body` sent with `content_type`.
pub fn parse(content_type: &str, body: &[u8], limits: &Limits) -> Result<Vec<Part>, MultipartError> {
    let b = boundary(content_type)?;
    let first = format!("--{b}");
    let delim = format!("\r\n--{b}");
    let finder = memchr::memmem::Finder::new(delim.as_bytes());
    let mut pos = body.strip_prefix(first.as_bytes()).map(|_| first.len()).ok_or(MultipartError::MissingStart)?;
    let mut parts = Vec::new();
    loop {
        // After a delimiter: `--` closes, CRLF opens a part.
        let rest = body.get(pos..).unwrap_or(&[]);
        if let Some(after) = rest.strip_prefix(b"--") {
            return match after {
                b"" | b"\r\n" => Ok(parts),
                _ => Err(MultipartError::BadDelimiter),
            };
        }
        if rest.is_empty() {
            return Err(MultipartError::Unterminated);
        }
        if !rest.starts_with(b"\r\n") {
            return Err(MultipartError::BadDelimiter);
        }
        pos += 2;
        let index = parts.len();
        if index >= limits.max_parts {
            return Err(MultipartError::TooManyParts { limit: limits.max_parts });
        }
        let rest = body.get(pos..).unwrap_or(&[]);
        let window = rest.get(..rest.len().min(limits.max_part_header_bytes + 4)).unwrap_or(rest);
        // A part with no header at all starts with the empty line.
        let head_len = if window.starts_with(b"\r\n") {
            0
        } else {
            memchr::memmem::find(window, b"\r\n\r\n")
                .map(|i| i + 2)
                .ok_or(MultipartError::HeaderTooLarge { part: index, limit: limits.max_part_header_bytes })?
        };
        if head_len > limits.max_part_header_bytes {
            return Err(MultipartError::HeaderTooLarge { part: index, limit: limits.max_part_header_bytes });
        }
        let head = rest.get(..head_len).unwrap_or(&[]);
        let mut part = part_headers(head, index, limits)?;
        let data_start = pos + head_len + 2;
        let tail = body.get(data_start..).ok_or(MultipartError::Unterminated)?;
        let end = finder.find(tail).ok_or(MultipartError::Unterminated)?;
        part.data = data_start..data_start + end;
        parts.push(part);
        pos = data_start + end + delim.len();
    }
}

/// The headers of one part (`head`: header lines, each ending with CRLF).
fn part_headers(head: &[u8], part: usize, limits: &Limits) -> Result<Part, MultipartError> {
    let text = std::str::from_utf8(head).map_err(|_| MultipartError::MalformedHeader { part })?;
    let (mut name, mut filename, mut content_type) = (None, None, None);
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        if line.starts_with([' ', '\t']) || line.chars().any(|c| c.is_control() && c != '\t') {
            return Err(MultipartError::MalformedHeader { part });
        }
        let (k, v) = line.split_once(':').ok_or(MultipartError::MalformedHeader { part })?;
        let k = k.trim();
        if k.is_empty() || !k.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-') {
            return Err(MultipartError::MalformedHeader { part });
        }
        let v = v.trim();
        match k.to_ascii_lowercase().as_str() {
            "content-disposition" => {
                if name.is_some() {
                    return Err(MultipartError::MalformedHeader { part });
                }
                let (n, f) = disposition(v, part, limits)?;
                name = Some(n);
                filename = f;
            }
            "content-type" => content_type = Some(v.to_string()),
            "content-transfer-encoding" => {
                if !["7bit", "8bit", "binary"].iter().any(|e| v.eq_ignore_ascii_case(e)) {
                    return Err(MultipartError::UnsupportedEncoding { part });
                }
            }
            _ => {}
        }
    }
    let name = name.ok_or(MultipartError::NoDisposition { part })?;
    Ok(Part { name, filename, content_type, data: 0..0 })
}

/// `form-data; name="files"; filename="a.pdf"` → (name, file name).
fn disposition(v: &str, part: usize, limits: &Limits) -> Result<(String, Option<String>), MultipartError> {
    let (kind, mut rest) = match v.split_once(';') {
        Some((k, r)) => (k.trim(), r),
        None => (v.trim(), ""),
    };
    if !kind.eq_ignore_ascii_case("form-data") {
        return Err(MultipartError::NoDisposition { part });
    }
    let (mut name, mut filename) = (None, None);
    loop {
        rest = rest.trim_start_matches([' ', '\t', ';']);
        if rest.is_empty() {
            break;
        }
        let (key, after) = rest.split_once('=').ok_or(MultipartError::MalformedHeader { part })?;
        let key = key.trim().to_ascii_lowercase();
        let after = after.trim_start();
        let (value, next) = if let Some(q) = after.strip_prefix('"') {
            quoted(q).ok_or(MultipartError::MalformedHeader { part })?
        } else {
            let end = after.find(';').unwrap_or(after.len());
            (after.get(..end).unwrap_or("").trim().to_string(), after.get(end..).unwrap_or(""))
        };
        rest = next;
        let slot = match key.as_str() {
            "name" => &mut name,
            "filename" => &mut filename,
            // RFC 7578 §4.2: `filename*` is not to be used; refuse rather than guess.
            "filename*" => return Err(MultipartError::BadName { part }),
            _ => continue,
        };
        if slot.is_some() {
            return Err(MultipartError::MalformedHeader { part });
        }
        *slot = Some(value);
    }
    let name = name.ok_or(MultipartError::NoDisposition { part })?;
    if name.is_empty() || name.len() > limits.max_name_bytes {
        return Err(MultipartError::BadName { part });
    }
    let filename = match filename {
        None => None,
        Some(f) => {
            // Browsers percent-encode `"` and CR/LF in file names (WHATWG HTML, multipart/form-data
            // encoding algorithm); a Windows browser may send a full path: keep the last component.
            let f = f.replace("%22", "\"").replace("%0D", "\r").replace("%0A", "\n");
            let base = f.rsplit(['/', '\\']).next().unwrap_or("").to_string();
            // An empty name is what a browser sends for a file input left empty.
            if (base.is_empty() && !f.is_empty()) || base == "." || base == ".." || base.len() > limits.max_name_bytes || base.chars().any(char::is_control) {
                return Err(MultipartError::BadName { part });
            }
            Some(base)
        }
    };
    Ok((name, filename))
}

/// A quoted value (after its opening quote): the value and what follows the closing quote.
/// Browsers do not backslash-escape (WHATWG HTML: `"` is sent as `%22`), so a backslash is
/// itself (a Windows path separator), never an escape.
fn quoted(s: &str) -> Option<(String, &str)> {
    let i = s.find('"')?;
    Some((s.get(..i)?.to_string(), s.get(i + 1..).unwrap_or("")))
}

#[cfg(test)]
mod tests {
    use super::*;

    const CT: &str = "multipart/form-data; boundary=XyZ";

    fn body(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
        let mut b = Vec::new();
        for (name, file, data) in parts {
            b.extend_from_slice(b"--XyZ\r\n");
            match file {
                Some(f) => b.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes()),
                None => b.extend_from_slice(format!("Content-Disposition: form-data; name=\"{name}\"\r\n\r\n").as_bytes()),
            }
            b.extend_from_slice(data);
            b.extend_from_slice(b"\r\n");
        }
        b.extend_from_slice(b"--XyZ--\r\n");
        b
    }

    #[test]
    fn parses_files_and_fields_with_binary_content() {
        let bin: Vec<u8> = (0..=255u8).chain(b"\r\n--Xy".iter().copied()).collect();
        let b = body(&[("files", Some("C:\\Users\\a\\cong van.pdf"), &bin), ("lang", None, b"en"), ("files", Some("a.pdf.p7s"), b"")]);
        let parts = parse(CT, &b, &Limits::default()).unwrap();
        assert_eq!(parts.len(), 3);
        assert_eq!(parts[0].filename.as_deref(), Some("cong van.pdf"));
        assert_eq!(&b[parts[0].data.clone()], &bin[..]);
        assert_eq!(parts[1].name, "lang");
        assert_eq!(parts[1].filename, None);
        assert_eq!(&b[parts[1].data.clone()], b"en");
        assert_eq!(parts[2].data.len(), 0);
        assert_eq!(parts[0].content_type.as_deref(), Some("application/octet-stream"));
    }

    #[test]
    fn boundaries() {
        assert_eq!(boundary("multipart/form-data; boundary=\"a b\"").unwrap(), "a b");
        assert_eq!(boundary("Multipart/Form-Data;charset=utf-8; Boundary=----WebKitFormBoundaryx").unwrap(), "----WebKitFormBoundaryx");
        assert_eq!(boundary("application/json"), Err(MultipartError::NotFormData));
        assert_eq!(boundary("multipart/form-data"), Err(MultipartError::BadBoundary));
        assert_eq!(boundary("multipart/form-data; boundary="), Err(MultipartError::BadBoundary));
        assert_eq!(boundary(&format!("multipart/form-data; boundary={}", "a".repeat(71))), Err(MultipartError::BadBoundary));
        assert_eq!(boundary("multipart/form-data; boundary=a\u{7f}"), Err(MultipartError::BadBoundary));
    }

    #[test]
    fn malformed_bodies_are_typed_errors() {
        let l = Limits::default();
        let good = body(&[("files", Some("a.pdf"), b"x")]);
        assert!(parse(CT, &good, &l).is_ok());
        assert_eq!(parse(CT, b"preamble\r\n--XyZ--", &l), Err(MultipartError::MissingStart));
        assert_eq!(parse(CT, &good[..good.len() - 9], &l), Err(MultipartError::Unterminated));
        assert_eq!(parse(CT, b"--XyZ", &l), Err(MultipartError::Unterminated));
        assert_eq!(parse(CT, b"--XyZ--trailing", &l), Err(MultipartError::BadDelimiter));
        assert_eq!(parse(CT, b"--XyZjunk\r\n", &l), Err(MultipartError::BadDelimiter));
        assert_eq!(parse(CT, b"--XyZ\r\nContent-Type: a\r\n\r\nx\r\n--XyZ--", &l), Err(MultipartError::NoDisposition { part: 0 }));
        assert_eq!(parse(CT, b"--XyZ\r\nContent-Disposition: attachment; name=\"a\"\r\n\r\nx\r\n--XyZ--", &l), Err(MultipartError::NoDisposition { part: 0 }));
        assert_eq!(parse(CT, b"--XyZ\r\nno colon\r\n\r\nx\r\n--XyZ--", &l), Err(MultipartError::MalformedHeader { part: 0 }));
        assert_eq!(parse(CT, b"--XyZ\r\nContent-Disposition: form-data; name=\"a\r\n\r\nx\r\n--XyZ--", &l), Err(MultipartError::MalformedHeader { part: 0 }));
        assert_eq!(
            parse(CT, b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"; filename=\"..\"\r\n\r\nx\r\n--XyZ--", &l),
            Err(MultipartError::BadName { part: 0 })
        );
        assert_eq!(
            parse(CT, b"--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nContent-Transfer-Encoding: base64\r\n\r\nx\r\n--XyZ--", &l),
            Err(MultipartError::UnsupportedEncoding { part: 0 })
        );
        let big = format!("--XyZ\r\nContent-Disposition: form-data; name=\"a\"\r\nX: {}\r\n\r\nx\r\n--XyZ--", "y".repeat(5000));
        assert_eq!(parse(CT, big.as_bytes(), &l), Err(MultipartError::HeaderTooLarge { part: 0, limit: 4096 }));
        let many: Vec<(&str, Option<&str>, &[u8])> = (0..65).map(|_| ("f", None, &b"1"[..])).collect();
        assert_eq!(parse(CT, &body(&many), &l), Err(MultipartError::TooManyParts { limit: 64 }));
    }

    #[test]
    fn every_prefix_of_a_body_is_an_error_not_a_panic() {
        let b = body(&[("files", Some("a.pdf"), b"%PDF-1.7 data"), ("lang", None, b"vi")]);
        for n in 0..b.len() - 2 {
            assert!(parse(CT, &b[..n], &Limits::default()).is_err(), "prefix {n}");
        }
    }
}
