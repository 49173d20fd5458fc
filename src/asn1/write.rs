//! DER writing helpers: headers with definite, minimal lengths (the one length encoder in kyso),
//! complete TLVs and SET OF ordering. The byte-level writers (`cms::assemble`, `sign`, the TSP
//! upgrades) concatenate precomputed encodings with these instead of building `der` structures.

/// Tag of SEQUENCE.
pub const TAG_SEQUENCE: u8 = 0x30;
/// Tag of SET.
pub const TAG_SET: u8 = 0x31;
/// Tag of `[0]` constructed (implicit SET, or explicit content).
pub const TAG_CTX0: u8 = 0xa0;
/// Tag of `[1]` constructed.
pub const TAG_CTX1: u8 = 0xa1;
/// Tag of OCTET STRING.
pub const TAG_OCTET_STRING: u8 = 0x04;
/// Tag of INTEGER.
pub const TAG_INTEGER: u8 = 0x02;
/// Tag of OBJECT IDENTIFIER.
pub const TAG_OID: u8 = 0x06;

/// Number of bytes of a DER header (one-byte tag + length) for contents of `len` bytes.
pub fn header_len(len: usize) -> usize {
    1 + if len < 0x80 { 1 } else { 1 + (usize::BITS as usize / 8 - len.leading_zeros() as usize / 8) }
}

/// Appends a definite, minimal DER length (X.690 §10.1).
pub fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let significant = bytes.get(len.leading_zeros() as usize / 8..).unwrap_or(&bytes);
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }
}

/// Appends a DER header: `tag` (one byte) and the definite, minimal length `len`.
pub fn push_header(out: &mut Vec<u8>, tag: u8, len: usize) {
    out.push(tag);
    push_len(out, len);
}

/// A complete TLV: `tag`, then `parts` concatenated as contents.
pub fn tlv(tag: u8, parts: &[&[u8]]) -> Vec<u8> {
    let len: usize = parts.iter().map(|p| p.len()).sum();
    let mut out = Vec::with_capacity(header_len(len) + len);
    push_header(&mut out, tag, len);
    for p in parts {
        out.extend_from_slice(p);
    }
    out
}

/// DER ordering of SET OF elements (X.690 §11.6): compare the encodings as octet strings,
/// the shorter one padded at its end with zero octets.
pub fn der_set_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    let n = a.len().min(b.len());
    let (head_a, rest_a) = a.split_at(n);
    let (head_b, rest_b) = b.split_at(n);
    match head_a.cmp(head_b) {
        std::cmp::Ordering::Equal => {
            if rest_a.iter().any(|&x| x != 0) {
                std::cmp::Ordering::Greater
            } else if rest_b.iter().any(|&x| x != 0) {
                std::cmp::Ordering::Less
            } else {
                std::cmp::Ordering::Equal
            }
        }
        other => other,
    }
}

/// A DER SET OF: the elements (complete TLVs) sorted and concatenated under `tag`
/// (0x31 for SET, 0xa0 for `[0] IMPLICIT SET OF`, 0xa1 for `[1] IMPLICIT SET OF`).
pub fn set_of(tag: u8, elements: &mut [&[u8]]) -> Vec<u8> {
    elements.sort_by(|a, b| der_set_order(a, b));
    tlv(tag, elements)
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::Encode;

    #[test]
    fn headers_are_minimal_and_agree_with_the_der_crate() {
        for len in [0usize, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x123456, 0x0100_0000] {
            let mut v = Vec::new();
            push_header(&mut v, 0x04, len);
            assert_eq!(v.len(), header_len(len), "{len}");
            let theirs = der::Header::new(der::Tag::OctetString, der::Length::try_from(len).unwrap()).to_der().unwrap();
            assert_eq!(v, theirs, "{len}");
            // and the reader reads it back
            let h = super::super::head(&v).unwrap();
            assert_eq!((h.length, h.header_len, h.minimal_length), (Some(len), v.len(), true));
        }
    }

    #[test]
    fn set_order_pads_with_zeros() {
        use std::cmp::Ordering::*;
        assert_eq!(der_set_order(&[1, 2], &[1, 2, 0]), Equal);
        assert_eq!(der_set_order(&[1, 2], &[1, 2, 1]), Less);
        assert_eq!(der_set_order(&[1, 3], &[1, 2, 9]), Greater);
        assert_eq!(set_of(TAG_SET, &mut [&[0x05, 0x00], &[0x02, 0x01, 0x01]]), [0x31, 0x05, 0x02, 0x01, 0x01, 0x05, 0x00]);
    }
}
