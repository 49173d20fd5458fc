//! BER → DER normalisation, the one place where kyso's leniency towards encodings lives
//! (RFC 5652 §5.1 allows BER for SignedData; the signed attributes themselves must be DER, §5.3).
//!
//! Signers that stream (`openssl cms -sign -stream`, iText, BouncyCastle, many Java and Windows
//! tools) write indefinite lengths and constructed OCTET STRINGs, which `der` 0.8 rejects.
//! [`normalise`] rewrites exactly these BER features:
//! - indefinite lengths (`0x80` … end-of-contents `00 00`) become definite lengths;
//! - non-minimal definite lengths become minimal;
//! - constructed OCTET STRINGs (universal tag 4, constructed) become one primitive OCTET STRING.
//!
//! and tolerates zero bytes after the top-level element: a PDF reserves room for the signature in
//! /Contents and fills the rest with zeros, and some tools pad detached `.sig` files the same
//! way. Any other trailing byte is [`Error::TrailingData`].
//!
//! It does **not** reorder SET OF elements or touch primitive contents: bytes that were DER stay
//! byte-identical, so a signature over DER signed attributes still verifies after normalisation.
//! Other BER-only encodings (constructed BIT STRINGs or character strings) are refused with
//! [`Error::Unsupported`]; the strict DER decoders catch anything else. Limits: [`MAX_DEPTH`]
//! nesting levels and [`MAX_ELEMENTS`] elements per input.
//!
//! Known gap: a constructed string under an IMPLICIT context tag (e.g. `[0] IMPLICIT OCTET
//! STRING` sent in constructed form) cannot be recognised without the schema and is kept
//! constructed; the strict decoders then refuse it.

use super::reader::head;
use super::write::push_len;
use super::{Error, MAX_DEPTH, MAX_ELEMENTS};
use std::borrow::Cow;

/// The result of [`normalise`].
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Normalised<'a> {
    /// The element in DER, borrowed from the input when it was DER already.
    pub der: Cow<'a, [u8]>,
    /// Whether the element was DER as received (the verifier reports a BER signature).
    pub was_der: bool,
    /// Zero bytes that followed the element (cut off).
    pub padding: usize,
}

/// Normalises one BER element followed by nothing but zero padding to DER, as described in the
/// module documentation. An element that is already DER is returned borrowed, unchanged.
pub fn normalise(input: &[u8]) -> Result<Normalised<'_>, Error> {
    if input.iter().all(|&b| b == 0) {
        return Err(Error::Empty);
    }
    // Fast path: most input is already DER (kyso's own signatures, `openssl cms` without
    // -stream). A walk that only reads, without copying, confirms it; anything else (BER, or an
    // error to report) takes the normalising path below.
    let mut budget = MAX_ELEMENTS;
    if let Some(end) = der_walk(input, 0, &mut budget) {
        let (der, padding) = input.split_at(end);
        check_padding(padding)?;
        return Ok(Normalised { der: Cow::Borrowed(der), was_der: true, padding: padding.len() });
    }
    let mut out = Vec::with_capacity(input.len());
    let mut budget = MAX_ELEMENTS;
    let used = element(input, &mut out, 0, &mut budget)?;
    let padding = input.get(used..).unwrap_or_default();
    check_padding(padding)?;
    Ok(Normalised { der: Cow::Owned(out), was_der: false, padding: padding.len() })
}

fn check_padding(padding: &[u8]) -> Result<(), Error> {
    if padding.iter().all(|&b| b == 0) {
        Ok(())
    } else {
        Err(Error::TrailingData)
    }
}

/// Whether an element with this single-octet tag is a constructed universal type other than
/// SEQUENCE and SET: a constructed string, which DER forbids (X.690 §10.2).
fn constructed_string(tag: u8) -> bool {
    (0x21..=0x3e).contains(&tag) && tag != 0x30 && tag != 0x31
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
    let h = head(input).ok()?;
    if h.tag == 0 || !h.minimal_length {
        return None;
    }
    let end = h.header_len.checked_add(h.length?)?;
    let body = input.get(h.header_len..end)?;
    if h.constructed() {
        if h.tag_len == 1 && constructed_string(h.tag) {
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
fn element(input: &[u8], out: &mut Vec<u8>, depth: usize, budget: &mut usize) -> Result<usize, Error> {
    if depth > MAX_DEPTH {
        return Err(Error::TooComplex);
    }
    *budget = budget.checked_sub(1).ok_or(Error::TooComplex)?;
    let h = head(input)?;
    if h.tag == 0 {
        return Err(Error::Unsupported("end-of-contents octets outside an indefinite length"));
    }
    let tag = input.get(..h.tag_len).ok_or(Error::Truncated)?;
    if !h.constructed() {
        let len = h.length.ok_or(Error::IndefinitePrimitive)?;
        let end = h.header_len.checked_add(len).ok_or(Error::BadLength)?;
        let body = input.get(h.header_len..end).ok_or(Error::Truncated)?;
        out.extend_from_slice(tag);
        push_len(out, len);
        out.extend_from_slice(body);
        return Ok(end);
    }
    // Constructed: normalise the children into a scratch buffer, then write the header.
    let mut children = Vec::new();
    let consumed = match h.length {
        Some(len) => {
            let end = h.header_len.checked_add(len).ok_or(Error::BadLength)?;
            let mut body = input.get(h.header_len..end).ok_or(Error::Truncated)?;
            while !body.is_empty() {
                let used = element(body, &mut children, depth + 1, budget)?;
                body = body.get(used..).unwrap_or_default();
            }
            end
        }
        None => {
            let mut pos = h.header_len;
            loop {
                match input.get(pos..).unwrap_or_default() {
                    [0, 0, ..] => break pos + 2,
                    [] | [_] => return Err(Error::Truncated),
                    here => pos += element(here, &mut children, depth + 1, budget)?,
                }
            }
        }
    };
    if tag == [0x24] {
        // Constructed OCTET STRING: concatenate the (already normalised) segments.
        let data = octet_segments(&children)?;
        out.push(0x04);
        push_len(out, data.len());
        out.extend_from_slice(&data);
    } else if h.tag_len == 1 && constructed_string(h.tag) {
        return Err(Error::Unsupported("constructed universal string type other than OCTET STRING"));
    } else {
        out.extend_from_slice(tag);
        push_len(out, children.len());
        out.extend_from_slice(&children);
    }
    Ok(consumed)
}

/// The concatenated contents of a sequence of DER OCTET STRING segments (the normalised children
/// of a constructed OCTET STRING: nested constructed segments are primitive by now).
fn octet_segments(mut der: &[u8]) -> Result<Vec<u8>, Error> {
    let mut data = Vec::with_capacity(der.len());
    while !der.is_empty() {
        let (t, rest) = super::read(der)?;
        if t.tag != 0x04 {
            return Err(Error::Unsupported("constructed OCTET STRING with a non-OCTET STRING segment"));
        }
        data.extend_from_slice(t.body);
        der = rest;
    }
    Ok(data)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn der_of(input: &[u8]) -> Result<Vec<u8>, Error> {
        normalise(input).map(|n| n.der.into_owned())
    }

    #[test]
    fn der_is_returned_borrowed() {
        let ok = [0x30, 0x03, 0x02, 0x01, 0x01];
        let n = normalise(&ok).unwrap();
        assert!(matches!(n.der, Cow::Borrowed(_)));
        assert_eq!((n.was_der, n.padding), (true, 0));
        assert_eq!(normalise(&[0x30, 0x06, 0x02, 0x01, 0x01]).unwrap_err(), Error::Truncated);
    }

    #[test]
    fn indefinite_lengths_and_nested_constructed_octets_become_der() {
        // SEQUENCE (indefinite) { INTEGER 1, [0] (indefinite) { OCTET STRING (constructed,
        // indefinite) { "ab", OCTET STRING (constructed) { "c", "d" } } } }
        let ber = [
            0x30, 0x80, 0x02, 0x01, 0x01, 0xa0, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x24, 0x06, 0x04, 0x01, b'c', 0x04,
            0x01, b'd', 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        ];
        let n = normalise(&ber).unwrap();
        assert_eq!(&n.der[..], &[0x30, 0x0b, 0x02, 0x01, 0x01, 0xa0, 0x06, 0x04, 0x04, b'a', b'b', b'c', b'd']);
        assert_eq!((n.was_der, n.padding), (false, 0));
        // The `der` crate's own BER decoder (an independent implementation) agrees on one level
        // of segments. (On the nested form above, der 0.8.3's `OctetString::from_ber` returns
        // the inner segment's header bytes as content — "ab\x04\x01c\x04\x01d" — X.690 §8.7.3.2
        // allows constructed segments, hence kyso's own normaliser.)
        use der::Decode;
        let one_level = [0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x04, 0x01, b'c', 0x00, 0x00];
        let theirs = der::asn1::OctetString::from_ber(&one_level[..]).unwrap();
        assert_eq!(theirs.as_bytes(), b"abc");
        assert_eq!(&normalise(&one_level).unwrap().der[..], &[0x04, 0x03, b'a', b'b', b'c']);
    }

    #[test]
    fn zero_padding_is_tolerated_other_trailing_bytes_are_not() {
        // DER + padding: borrowed, padding counted
        let n = normalise(&[0x30, 0x03, 0x02, 0x01, 0x01, 0, 0, 0, 0]).unwrap();
        assert!(matches!(n.der, Cow::Borrowed(d) if d == [0x30, 0x03, 0x02, 0x01, 0x01]));
        assert_eq!((n.was_der, n.padding), (true, 4));
        // BER (indefinite) + padding: the case real PDFs carry
        let n = normalise(&[0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00, 0, 0, 0]).unwrap();
        assert_eq!(&n.der[..], &[0x30, 0x03, 0x02, 0x01, 0x01]);
        assert_eq!((n.was_der, n.padding), (false, 3));
        // anything but zeros after the element
        assert_eq!(normalise(&[0x30, 0x03, 0x02, 0x01, 0x01, 0, 0, 1]).unwrap_err(), Error::TrailingData);
        assert_eq!(normalise(&[0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00, 0, 7]).unwrap_err(), Error::TrailingData);
        assert_eq!(normalise(&[0x30, 0x03, 0x02, 0x01, 0x01, 0x30, 0x00]).unwrap_err(), Error::TrailingData);
        // zeros only, or nothing: no element
        assert_eq!(normalise(&[]).unwrap_err(), Error::Empty);
        assert_eq!(normalise(&[0; 64]).unwrap_err(), Error::Empty);
    }

    #[test]
    fn fast_path_agrees_with_the_normaliser() {
        // DER with long-form lengths (0x81, 0x82) is borrowed; each BER variant is rewritten.
        let mut long = vec![0x30, 0x82, 0x01, 0x04, 0x04, 0x81, 0xff];
        long.extend(std::iter::repeat_n(7u8, 0xff));
        long.extend_from_slice(&[0x05, 0x00]);
        assert!(matches!(normalise(&long).unwrap().der, Cow::Borrowed(_)));
        for ber in [&[0x30, 0x81, 0x03, 0x02, 0x01, 0x01][..], &[0x30, 0x80, 0x02, 0x01, 0x01, 0x00, 0x00], &[0x24, 0x03, 0x04, 0x01, 0x07]] {
            let mut out = Vec::new();
            let used = element(ber, &mut out, 0, &mut MAX_ELEMENTS.clone()).unwrap();
            assert_eq!(used, ber.len());
            let n = normalise(ber).unwrap();
            assert!(matches!(n.der, Cow::Owned(ref o) if *o == out), "{ber:?}");
            assert!(!n.was_der);
            // the output is DER: normalising it again borrows it
            let again = normalise(&out).unwrap();
            assert!(again.was_der && matches!(again.der, Cow::Borrowed(_)));
        }
        // a constructed UTF8String is refused, not borrowed
        assert!(matches!(normalise(&[0x2c, 0x03, 0x0c, 0x01, b'a']), Err(Error::Unsupported(_))));
    }

    #[test]
    fn non_minimal_lengths_are_fixed() {
        assert_eq!(der_of(&[0x04, 0x81, 0x01, 0x07]).unwrap(), [0x04, 0x01, 0x07]);
        assert_eq!(der_of(&[0x04, 0x84, 0, 0, 0, 0x01, 0x07]).unwrap(), [0x04, 0x01, 0x07]);
        assert_eq!(der_of(&[0x30, 0x88, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x05, 0x00]).unwrap(), [0x30, 0x02, 0x05, 0x00]);
    }

    #[test]
    fn truncation_is_an_error_at_every_cut() {
        let ber = [0x30, 0x80, 0x02, 0x01, 0x01, 0xa0, 0x80, 0x24, 0x80, 0x04, 0x02, b'a', b'b', 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];
        assert!(normalise(&ber).is_ok());
        for cut in 1..ber.len() {
            assert!(normalise(&ber[..cut]).is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn malformed_inputs_are_errors_not_panics() {
        for (bad, want) in [
            (&[0x30][..], Error::Truncated),
            (&[0x30, 0x80], Error::Truncated),
            (&[0x30, 0x80, 0x00], Error::Truncated),
            (&[0x04, 0x80, 0x00, 0x00], Error::IndefinitePrimitive),
            (&[0x30, 0x85, 1, 0, 0, 0, 0], Error::Truncated),
            (&[0x30, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1], Error::BadLength),
            (&[0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], Error::BadLength),
            (&[0x3f, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81], Error::Unsupported("tag number too large")),
            (&[0x30, 0x03, 0x02, 0x05, 0x01], Error::Truncated),
            (&[0x30, 0x02, 0x00, 0x00], Error::Unsupported("end-of-contents octets outside an indefinite length")),
            (&[0x24, 0x03, 0x02, 0x01, 0x07], Error::Unsupported("constructed OCTET STRING with a non-OCTET STRING segment")),
        ] {
            assert_eq!(normalise(bad).unwrap_err(), want, "{bad:02x?}");
        }
    }

    /// Every element below `t`, read with the strict DER reader.
    fn strict_walk(t: &crate::asn1::Tlv<'_>) -> Result<(), Error> {
        if t.constructed() {
            for c in crate::asn1::children(t.body, usize::MAX, "")? {
                strict_walk(&c)?;
            }
        }
        Ok(())
    }

    /// Random byte mutations of a BER sample (indefinite lengths, constructed and primitive
    /// OCTET STRINGs, padding): never a panic; whatever normalises is DER for the strict reader
    /// and normalises again to itself; what was DER is returned as received.
    #[test]
    fn mutants_never_panic_and_the_output_is_strict_der() {
        let sample: &[u8] = &[
            0x30, 0x80, 0x02, 0x01, 0x01, 0x31, 0x06, 0x05, 0x00, 0x04, 0x02, 0xaa, 0xbb, 0xa0, 0x80, 0x24, 0x80, 0x04, 0x01, b'a',
            0x24, 0x03, 0x04, 0x01, b'b', 0x00, 0x00, 0x30, 0x81, 0x03, 0x0c, 0x01, b'c', 0x00, 0x00, 0x00, 0x00, 0, 0, 0,
        ];
        let der_sample = [&normalise(sample).unwrap().der[..], &[0, 0]].concat();
        let mut seed = 0x9e37_79b9_7f4a_7c15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let (mut ok, mut der_inputs) = (0, 0);
        for i in 0..30_000 {
            let mut m = if i % 2 == 0 { sample.to_vec() } else { der_sample.clone() };
            for _ in 0..1 + next() % 3 {
                let r = next();
                let at = (r as usize >> 8) % m.len();
                match r % 4 {
                    0 => m[at] = (r >> 32) as u8,
                    1 => m[at] ^= 1 << ((r >> 40) % 8),
                    2 => {
                        m.remove(at);
                    }
                    _ => m.insert(at, (r >> 24) as u8),
                }
                if m.is_empty() {
                    m.push(0x30);
                }
            }
            let Ok(n) = normalise(&m) else { continue };
            ok += 1;
            // (the normaliser keeps high tag numbers, which the reader refuses by design)
            match crate::asn1::read_all(&n.der).and_then(|top| strict_walk(&top)) {
                Ok(()) | Err(Error::HighTagNumber) => {}
                Err(e) => panic!("normalised output is not DER throughout ({e}): {m:02x?}"),
            }
            let again = normalise(&n.der).unwrap();
            assert!(again.was_der && again.padding == 0 && again.der == n.der, "{m:02x?}");
            if n.was_der {
                der_inputs += 1;
                assert_eq!(&m[..n.der.len()], &n.der[..]);
            }
        }
        assert!(ok > 2_000 && der_inputs > 500, "{ok} mutants normalised, {der_inputs} of them DER");
    }

    #[test]
    fn depth_bombs_and_element_floods_are_bounded() {
        // indefinite lengths, complete (a real bomb, not a truncation)
        let mut deep = [0x30, 0x80].repeat(200);
        deep.extend([0x00, 0x00].repeat(200));
        assert_eq!(normalise(&deep).unwrap_err(), Error::TooComplex);
        // definite lengths (the DER fast path sees it first)
        let mut v = vec![0x05, 0x00];
        for _ in 0..200 {
            let mut w = vec![0x30];
            push_len(&mut w, v.len());
            w.extend_from_slice(&v);
            v = w;
        }
        assert_eq!(normalise(&v).unwrap_err(), Error::TooComplex);
        // exactly MAX_DEPTH levels below the top are fine
        let mut ok = [0x30, 0x80].repeat(MAX_DEPTH + 1);
        ok.extend([0x00, 0x00].repeat(MAX_DEPTH + 1));
        assert!(normalise(&ok).is_ok());
        // more elements than the budget: a million NULLs in one indefinite SEQUENCE
        let mut flood = vec![0x30, 0x80];
        flood.extend([0x05, 0x00].repeat(MAX_ELEMENTS));
        flood.extend([0x00, 0x00]);
        assert_eq!(normalise(&flood).unwrap_err(), Error::TooComplex);
    }
}
