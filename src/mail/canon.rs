//! Canonical form (RFC 8551 §3.1): CRLF line ends, 7-bit content for multipart/signed.

use std::borrow::Cow;

/// `bytes` with every bare LF (and bare CR) made a CRLF: the canonical form of text (RFC 8551
/// §3.1.1), and what a message stored with Unix line ends looked like when it was signed.
pub(crate) fn crlf(bytes: &[u8]) -> Cow<'_, [u8]> {
    let bare = bytes.iter().enumerate().any(|(i, &b)| match b {
        b'\n' => i == 0 || bytes.get(i - 1) != Some(&b'\r'),
        b'\r' => bytes.get(i + 1) != Some(&b'\n'),
        _ => false,
    });
    if !bare {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len() + bytes.len() / 32);
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                out.extend_from_slice(b"\r\n");
                i += 2;
                continue;
            }
            b'\r' | b'\n' => out.extend_from_slice(b"\r\n"),
            _ => out.push(b),
        }
        i += 1;
    }
    Cow::Owned(out)
}

/// Text with CRLF line ends (for a body written by kyso).
pub(crate) fn crlf_text(text: &str) -> String {
    String::from_utf8_lossy(&crlf(text.as_bytes())).into_owned()
}

/// Why bytes are not fit to be signed in a multipart/signed (RFC 8551 §3.1.3): they must
/// survive any mail transport unchanged.
pub(crate) fn seven_bit_problem(bytes: &[u8]) -> Option<&'static str> {
    let mut line_len = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\n' if i == 0 || bytes.get(i - 1) != Some(&b'\r') => return Some("a bare LF"),
            b'\n' => line_len = 0,
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => return Some("a bare CR"),
            b'\r' => {}
            0 => return Some("a NUL byte"),
            0x80.. => return Some("an 8-bit byte"),
            _ => {
                line_len += 1;
                // RFC 5322 §2.1.1: at most 998 characters per line.
                if line_len > 998 {
                    return Some("a line longer than 998 characters");
                }
            }
        }
    }
    None
}

/// Base64 with CRLF after every 76 characters (RFC 2045 §6.8), ending with CRLF.
pub(crate) fn base64_lines(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len() / 57 * 78 + 80);
    for line in data.chunks(57) {
        for c in line.chunks(3) {
            // Three octets as one 24-bit group (RFC 4648 §4), padded with zero octets.
            let b = |i: usize| c.get(i).copied().unwrap_or(0);
            let n = u32::from_be_bytes([0, b(0), b(1), b(2)]);
            for k in 0..4 {
                if k <= c.len() {
                    out.push(char::from(T[((n >> (18 - 6 * k)) & 63) as usize]));
                } else {
                    out.push('=');
                }
            }
        }
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_ends_become_crlf() {
        assert_eq!(&*crlf(b"a\r\nb"), b"a\r\nb");
        assert!(matches!(crlf(b"a\r\nb"), Cow::Borrowed(_)));
        assert_eq!(&*crlf(b"a\nb\rc\r\n\n"), b"a\r\nb\r\nc\r\n\r\n");
        assert_eq!(&*crlf(b"\n"), b"\r\n");
    }

    #[test]
    fn seven_bit_canonical_form() {
        assert_eq!(seven_bit_problem(b"abc\r\ndef\r\n"), None);
        assert_eq!(seven_bit_problem(b"abc\ndef"), Some("a bare LF"));
        assert_eq!(seven_bit_problem("Công".as_bytes()), Some("an 8-bit byte"));
        assert_eq!(seven_bit_problem(&[b'a'; 999]), Some("a line longer than 998 characters"));
    }

    #[test]
    fn base64_matches_the_standard_vectors() {
        // RFC 4648 §10.
        for (plain, enc) in [("", ""), ("f", "Zg==\r\n"), ("fo", "Zm8=\r\n"), ("foo", "Zm9v\r\n"), ("foobar", "Zm9vYmFy\r\n")] {
            assert_eq!(base64_lines(plain.as_bytes()), enc);
        }
        let long = base64_lines(&[0u8; 58]);
        assert_eq!(long.split("\r\n").map(str::len).collect::<Vec<_>>(), vec![76, 4, 0]);
        assert_eq!(mail_parser::decoders::base64::base64_decode(long.as_bytes()).unwrap(), vec![0u8; 58]);
    }
}
