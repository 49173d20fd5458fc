//! A minimal BER/DER tag-length-value walker, used where kyso must work on the bytes as received:
//! the signed attributes of a token (verified as received, not re-encoded), and the splice of an
//! unsigned attribute into an existing SignedData (everything else kept byte for byte).
//!
//! Only single-byte tags are supported (every tag in CMS up to the SignerInfo fields is one).
//! Indefinite lengths (BER, e.g. `openssl cms -sign -stream`) are accepted on constructed values.

use std::fmt;

/// Nesting budget for indefinite-length values: CMS nests fewer than 10 levels down to a
/// SignerInfo; 32 leaves room for BER constructed strings and stops stack exhaustion.
const MAX_DEPTH: usize = 32;

/// Budget on the children listed of one constructed value: a SignedData has 6 fields, a
/// SignerInfo 7; a signer set or attribute list beyond 1,000 is not a document signature.
pub(crate) const MAX_CHILDREN: usize = 1_000;

/// A structural error in BER/DER input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct TlvError(pub &'static str);

impl fmt::Display for TlvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// One encoded value.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents (without the end-of-contents octets of an indefinite length).
    pub content: &'a [u8],
    /// The whole encoding: identifier, length, contents (and end-of-contents).
    pub full: &'a [u8],
    /// Whether the length was indefinite.
    #[allow(dead_code)] // read by tests; kept for callers that must know
    pub indefinite: bool,
}

impl<'a> Tlv<'a> {
    /// Whether the constructed bit is set.
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// The children of a constructed value.
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, TlvError> {
        if !self.constructed() {
            return Err(TlvError("expected a constructed value"));
        }
        children(self.content, 0)
    }
}

/// Parses the one value at the start of `input`, returning it and the rest.
pub(crate) fn parse(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    parse_at(input, 0)
}

/// Parses `input` as exactly one value (no trailing bytes).
pub(crate) fn parse_exact(input: &[u8]) -> Result<Tlv<'_>, TlvError> {
    let (t, rest) = parse(input)?;
    if !rest.is_empty() {
        return Err(TlvError("trailing bytes after the value"));
    }
    Ok(t)
}

fn children(mut content: &[u8], depth: usize) -> Result<Vec<Tlv<'_>>, TlvError> {
    let mut out = Vec::new();
    while !content.is_empty() {
        if out.len() >= MAX_CHILDREN {
            return Err(TlvError("too many elements in one value"));
        }
        let (t, rest) = parse_at(content, depth + 1)?;
        out.push(t);
        content = rest;
    }
    Ok(out)
}

fn parse_at(input: &[u8], depth: usize) -> Result<(Tlv<'_>, &[u8]), TlvError> {
    if depth > MAX_DEPTH {
        return Err(TlvError("nesting too deep"));
    }
    let tag = *input.first().ok_or(TlvError("truncated: missing tag"))?;
    if tag & 0x1f == 0x1f {
        return Err(TlvError("multi-byte tags are not supported here"));
    }
    let first = *input.get(1).ok_or(TlvError("truncated: missing length"))?;
    if first == 0x80 {
        if tag & 0x20 == 0 {
            return Err(TlvError("indefinite length on a primitive value"));
        }
        // Walk children until the end-of-contents octets 00 00.
        let mut pos = 2usize;
        loop {
            let rest = input.get(pos..).ok_or(TlvError("truncated indefinite-length value"))?;
            if rest.starts_with(&[0, 0]) {
                let content = input.get(2..pos).ok_or(TlvError("truncated"))?;
                let full = input.get(..pos + 2).ok_or(TlvError("truncated"))?;
                let after = input.get(pos + 2..).ok_or(TlvError("truncated"))?;
                return Ok((Tlv { tag, content, full, indefinite: true }, after));
            }
            if rest.is_empty() {
                return Err(TlvError("truncated indefinite-length value"));
            }
            let (child, after) = parse_at(rest, depth + 1)?;
            pos += child.full.len();
            debug_assert_eq!(input.len() - pos, after.len());
        }
    }
    let (len, hdr) = if first < 0x80 {
        (first as usize, 2usize)
    } else {
        let n = (first & 0x7f) as usize;
        // 4 length octets = 4 GiB, beyond any input kyso reads.
        if n > 4 {
            return Err(TlvError("length too large"));
        }
        let bytes = input.get(2..2 + n).ok_or(TlvError("truncated length"))?;
        let len = bytes.iter().fold(0usize, |acc, b| (acc << 8) | *b as usize);
        (len, 2 + n)
    };
    let end = hdr.checked_add(len).ok_or(TlvError("length overflow"))?;
    let content = input.get(hdr..end).ok_or(TlvError("truncated: value longer than the input"))?;
    let full = input.get(..end).ok_or(TlvError("truncated"))?;
    let after = input.get(end..).ok_or(TlvError("truncated"))?;
    Ok((Tlv { tag, content, full, indefinite: false }, after))
}

/// DER-encodes a value with `tag` and `content` (definite, minimal length).
pub(crate) fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(content.len() + 6);
    out.push(tag);
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let sig = bytes.get(skip..).unwrap_or(&[]);
        out.push(0x80 | sig.len() as u8);
        out.extend_from_slice(sig);
    }
    out.extend_from_slice(content);
    out
}

/// DER-encodes a SET OF from already-encoded elements: sorted by their encodings (X.690 §11.6).
pub(crate) fn encode_set_of(mut elements: Vec<Vec<u8>>) -> Vec<u8> {
    elements.sort();
    let content: Vec<u8> = elements.concat();
    encode(0x31, &content)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_definite_and_indefinite_lengths() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        let t = parse_exact(&der).unwrap();
        assert_eq!(t.tag, 0x30);
        let c = t.children().unwrap();
        assert_eq!(c.len(), 2);
        assert_eq!(c[1].content, &[0xaa]);

        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00];
        let t = parse_exact(&ber).unwrap();
        assert!(t.indefinite);
        let c = t.children().unwrap();
        assert_eq!(c.len(), 2);
        assert!(c[1].indefinite);
        assert_eq!(c[1].children().unwrap()[0].tag, 0x05);
    }

    #[test]
    fn rejects_truncation_depth_and_trailing_bytes() {
        assert_eq!(parse(&[0x30, 0x05, 0x02]).unwrap_err(), TlvError("truncated: value longer than the input"));
        assert_eq!(parse_exact(&[0x05, 0x00, 0x00]).unwrap_err(), TlvError("trailing bytes after the value"));
        assert_eq!(parse(&[0x04, 0x80, 0x00, 0x00]).unwrap_err(), TlvError("indefinite length on a primitive value"));
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 100).flatten().collect();
        assert_eq!(parse(&deep).unwrap_err(), TlvError("nesting too deep"));
        assert_eq!(parse(&[0x30, 0x85, 1, 1, 1, 1, 1]).unwrap_err(), TlvError("length too large"));
    }

    #[test]
    fn encodes_long_lengths_minimally() {
        assert_eq!(&encode(0x04, &[0u8; 0x80])[..3], &[0x04, 0x81, 0x80]);
        assert_eq!(&encode(0x04, &[0u8; 0x100])[..4], &[0x04, 0x82, 0x01, 0x00]);
        assert_eq!(encode_set_of(vec![vec![0x05, 0x00], vec![0x02, 0x01, 0x01]]), vec![0x31, 0x05, 0x02, 0x01, 0x01, 0x05, 0x00]);
    }
}
