//! BER → DER normalisation for CMS input (RFC 5652 §5.1 allows BER for SignedData; the signed
//! attributes themselves must be DER, §5.3).
//!
//! Signers that stream (`openssl cms -sign -stream`, many Java and Windows tools) write
//! indefinite lengths and constructed OCTET STRINGs, which `der` 0.8 rejects. [`to_der`]
//! rewrites exactly these BER features:
//! - indefinite lengths (`0x80` … end-of-contents `00 00`) become definite lengths;
//! - non-minimal definite lengths become minimal;
//! - constructed OCTET STRINGs (universal tag 4, constructed) become one primitive OCTET STRING.
//!
//! It does **not** reorder SET OF elements or touch primitive contents: bytes that were DER stay
//! byte-identical, so a signature over DER signed attributes still verifies after
//! normalisation. Other BER-only encodings (constructed BIT STRINGs or character strings) are
//! refused with [`BerError::Unsupported`]; the strict DER decoders catch anything else.

use std::borrow::Cow;
use std::fmt;

/// Nesting limit. CMS SignedData with embedded certificates nests about 20 levels deep
/// (ContentInfo → SignedData → certificates → Certificate → TBS → extensions → …); 64 leaves
/// room for unusual but legal input while bounding the recursion an attacker can cause.
pub const MAX_DEPTH: usize = 64;

/// Limit on TLV elements in one input. A SignedData with a chain and a large CRL has tens of
/// thousands; one million bounds the work per input (each element costs O(1) plus its copy).
pub const MAX_ELEMENTS: usize = 1_000_000;

/// Why an input could not be normalised.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BerError {
    /// The input ended inside an element.
    Truncated,
    /// Bytes follow the single top-level element.
    TrailingData,
    /// A length that cannot be (indefinite on a primitive element, longer than 8 bytes…).
    BadLength,
    /// Nesting deeper than [`MAX_DEPTH`] or more than [`MAX_ELEMENTS`] elements.
    TooComplex,
    /// A BER feature this normaliser does not rewrite.
    Unsupported(&'static str),
}

impl fmt::Display for BerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BerError::Truncated => write!(f, "truncated BER/DER input"),
            BerError::TrailingData => write!(f, "trailing data after the top-level element"),
            BerError::BadLength => write!(f, "invalid length encoding"),
            BerError::TooComplex => {
                write!(f, "nesting deeper than {MAX_DEPTH} or more than {MAX_ELEMENTS} elements")
            }
            BerError::Unsupported(what) => write!(f, "unsupported BER encoding: {what}"),
        }
    }
}

impl std::error::Error for BerError {}

/// Normalises one BER element (the whole input, nothing may follow) to DER as described in the
/// module documentation. Input that is already DER is returned borrowed, unchanged.
pub fn to_der(input: &[u8]) -> Result<Cow<'_, [u8]>, BerError> {
    // Fast path: most input is already DER (kyso's own signatures, `openssl cms` without
    // -stream). A walk that only reads, without copying, confirms it; anything else (BER,
    // or an error to report) takes the normalising path below.
    let mut budget = MAX_ELEMENTS;
    if der_walk(input, 0, &mut budget) == Some(input.len()) {
        return Ok(Cow::Borrowed(input));
    }
    let mut out = Vec::with_capacity(input.len());
    let mut budget = MAX_ELEMENTS;
    let used = element(input, &mut out, 0, &mut budget)?;
    if used != input.len() {
        return Err(BerError::TrailingData);
    }
    if out == input {
        Ok(Cow::Borrowed(input))
    } else {
        Ok(Cow::Owned(out))
    }
}

/// Length of the identifier octets at the start of `input` (low and high tag-number forms).
fn tag_len(input: &[u8]) -> Result<usize, BerError> {
    let first = *input.first().ok_or(BerError::Truncated)?;
    if first & 0x1f != 0x1f {
        return Ok(1);
    }
    // High tag number: continuation bytes with bit 8 set, the last one without. Five bytes
    // cover tag numbers up to 2^28, far beyond anything CMS uses.
    for i in 1..6 {
        let b = *input.get(i).ok_or(BerError::Truncated)?;
        if b & 0x80 == 0 {
            return Ok(i + 1);
        }
    }
    Err(BerError::Unsupported("tag number too large"))
}

/// `Some(len)` for a definite length, `None` for indefinite; plus the length octets' size.
fn read_len(input: &[u8]) -> Result<(Option<usize>, usize), BerError> {
    let first = *input.first().ok_or(BerError::Truncated)?;
    if first < 0x80 {
        return Ok((Some(first as usize), 1));
    }
    if first == 0x80 {
        return Ok((None, 1));
    }
    let n = (first & 0x7f) as usize;
    if n > 8 || first == 0xff {
        return Err(BerError::BadLength);
    }
    let mut len: u64 = 0;
    for i in 0..n {
        len = (len << 8) | u64::from(*input.get(1 + i).ok_or(BerError::Truncated)?);
    }
    let len = usize::try_from(len).map_err(|_| BerError::BadLength)?;
    Ok((Some(len), 1 + n))
}

/// Appends a minimal DER length.
pub(crate) fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
        return;
    }
    let bytes = len.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    out.push(0x80 | (bytes.len() - skip) as u8);
    out.extend_from_slice(&bytes[skip..]);
}

/// The size of the element at the start of `input` when it is already DER in the sense of
/// [`element`] (definite minimal lengths, no constructed OCTET STRING or other constructed
/// string type), so that normalising it would copy it unchanged; `None` otherwise. Same depth
/// and element budgets as [`element`].
fn der_walk(input: &[u8], depth: usize, budget: &mut usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    *budget = budget.checked_sub(1)?;
    let tl = tag_len(input).ok()?;
    let first = *input.first()?;
    let (len, ll) = read_len(input.get(tl..)?).ok()?;
    let len = len?;
    let minimal_ll = if len < 0x80 { 1 } else { 1 + (usize::BITS / 8 - len.leading_zeros() / 8) as usize };
    if ll != minimal_ll {
        return None;
    }
    let body_start = tl + ll;
    let end = body_start.checked_add(len)?;
    let body = input.get(body_start..end)?;
    if first & 0x20 != 0 {
        if tl == 1 && (0x21..=0x3e).contains(&first) && first != 0x30 && first != 0x31 {
            return None; // constructed OCTET STRING (rewritten) or string type (refused)
        }
        let mut pos = 0;
        while pos < body.len() {
            pos += der_walk(body.get(pos..)?, depth + 1, budget)?;
        }
    }
    Some(end)
}

/// Normalises the element at the start of `input` into `out`; returns the input bytes consumed.
fn element(input: &[u8], out: &mut Vec<u8>, depth: usize, budget: &mut usize) -> Result<usize, BerError> {
    if depth > MAX_DEPTH {
        return Err(BerError::TooComplex);
    }
    *budget = budget.checked_sub(1).ok_or(BerError::TooComplex)?;
    let tl = tag_len(input)?;
    let tag = &input[..tl];
    let constructed = tag[0] & 0x20 != 0;
    let rest = input.get(tl..).ok_or(BerError::Truncated)?;
    let (len, ll) = read_len(rest)?;
    let body_start = tl + ll;
    if !constructed {
        let len = len.ok_or(BerError::BadLength)?; // indefinite length only on constructed
        let end = body_start.checked_add(len).ok_or(BerError::BadLength)?;
        let body = input.get(body_start..end).ok_or(BerError::Truncated)?;
        out.extend_from_slice(tag);
        push_len(out, len);
        out.extend_from_slice(body);
        return Ok(end);
    }
    // Constructed: normalise the children into a scratch buffer, then write the header.
    let mut children = Vec::new();
    let consumed = match len {
        Some(len) => {
            let end = body_start.checked_add(len).ok_or(BerError::BadLength)?;
            let body = input.get(body_start..end).ok_or(BerError::Truncated)?;
            let mut pos = 0;
            while pos < body.len() {
                pos += element(&body[pos..], &mut children, depth + 1, budget)?;
            }
            end
        }
        None => {
            let mut pos = body_start;
            loop {
                let here = input.get(pos..).ok_or(BerError::Truncated)?;
                if here.len() < 2 {
                    return Err(BerError::Truncated);
                }
                if here[0] == 0 && here[1] == 0 {
                    break pos + 2;
                }
                pos += element(here, &mut children, depth + 1, budget)?;
            }
        }
    };
    if tag == [0x24] {
        // Constructed OCTET STRING: concatenate the (already normalised) segments.
        let data = octet_segments(&children)?;
        out.push(0x04);
        push_len(out, data.len());
        out.extend_from_slice(&data);
    } else if tag.len() == 1 && (0x21..=0x3e).contains(&tag[0]) && tag[0] != 0x30 && tag[0] != 0x31 {
        return Err(BerError::Unsupported("constructed universal string type other than OCTET STRING"));
    } else {
        out.extend_from_slice(tag);
        push_len(out, children.len());
        out.extend_from_slice(&children);
    }
    Ok(consumed)
}

/// The concatenated contents of a sequence of DER OCTET STRING segments.
fn octet_segments(mut der: &[u8]) -> Result<Vec<u8>, BerError> {
    let mut data = Vec::with_capacity(der.len());
    while !der.is_empty() {
        if der[0] != 0x04 {
            return Err(BerError::Unsupported("constructed OCTET STRING with a non-OCTET STRING segment"));
        }
        let (len, ll) = read_len(&der[1..])?;
        let len = len.ok_or(BerError::BadLength)?;
        let start = 1 + ll;
        let end = start.checked_add(len).ok_or(BerError::BadLength)?;
        data.extend_from_slice(der.get(start..end).ok_or(BerError::Truncated)?);
        der = &der[end..];
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_is_returned_unchanged() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x01, 0x31, 0x01, 0x05];
        // 0x31 0x01 0x05 is malformed for a SET but the normaliser does not judge contents
        assert!(matches!(to_der(&der[..5]), Err(BerError::TrailingData) | Err(BerError::Truncated)));
        let ok = [0x30, 0x03, 0x02, 0x01, 0x01];
        assert!(matches!(to_der(&ok), Ok(Cow::Borrowed(_))));
    }

    #[test]
    fn indefinite_lengths_and_constructed_octets_become_der() {
        // SEQUENCE (indefinite) { INTEGER 1, [0] (indefinite) { OCTET STRING (constructed) { "ab", "c" } } }
        let ber = [
            0x30, 0x80, 0x02, 0x01, 0x01, 0xa0, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00,
            0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let der = to_der(&ber).unwrap();
        assert_eq!(&der[..], &[0x30, 0x0a, 0x02, 0x01, 0x01, 0xa0, 0x05, 0x04, 0x03, b'a', b'b', b'c']);
    }

    #[test]
    fn fast_path_agrees_with_the_normaliser() {
        // DER with long-form lengths (0x81, 0x82) is borrowed; each BER variant is rewritten.
        let mut long = vec![0x30, 0x82, 0x01, 0x04, 0x04, 0x81, 0xff];
        long.extend(std::iter::repeat_n(7u8, 0xff));
        long.extend_from_slice(&[0x05, 0x00]);
        assert!(matches!(to_der(&long), Ok(Cow::Borrowed(_))));
        for ber in [&[0x30, 0x81, 0x03, 0x02, 0x01, 0x01][..], &[0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00], &[0x24, 0x03, 0x04, 0x01, 0x07]] {
            let mut out = Vec::new();
            let used = element(ber, &mut out, 0, &mut MAX_ELEMENTS.clone()).unwrap();
            assert_eq!(used, ber.len());
            assert!(matches!(to_der(ber), Ok(Cow::Owned(ref o)) if *o == out), "{ber:?}");
        }
        // a constructed UTF8String is refused, not borrowed
        assert!(matches!(to_der(&[0x2c, 0x03, 0x0c, 0x01, b'a']), Err(BerError::Unsupported(_))));
    }

    #[test]
    fn non_minimal_length_is_fixed() {
        assert_eq!(&to_der(&[0x04, 0x81, 0x01, 0x07]).unwrap()[..], &[0x04, 0x01, 0x07]);
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        for bad in [
            &[][..],
            &[0x30],
            &[0x30, 0x80],
            &[0x30, 0x80, 0x00],
            &[0x04, 0x80, 0x00, 0x00],
            &[0x30, 0x85, 1, 0, 0, 0, 0],
            &[0x30, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1],
            &[0x3f, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81],
            &[0x30, 0x03, 0x02, 0x05, 0x01],
        ] {
            assert!(to_der(bad).is_err(), "{bad:?}");
        }
        // deep nesting is bounded
        let mut deep = Vec::new();
        for _ in 0..200 {
            deep.extend_from_slice(&[0x30, 0x80]);
        }
        for _ in 0..200 {
            deep.extend_from_slice(&[0x00, 0x00]);
        }
        assert_eq!(to_der(&deep), Err(BerError::TooComplex));
    }
}
