//! Identifier and length octets ([`head`], the one decoder of X.690 §8.1.2–8.1.3 in kyso) and the
//! borrowed TLV reader built on it.

use super::{Error, MAX_CHILDREN, MAX_DEPTH, MAX_LENGTH_OCTETS};

/// Most identifier octets accepted: the first plus four continuation octets carry tag numbers up
/// to 2^28, far beyond anything CMS, TSP or PKIX use (all their tags are single octets).
const MAX_TAG_OCTETS: usize = 5;

/// The identifier and length octets at the start of an element, as received.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Head {
    /// The first identifier octet (class, constructed bit, low tag number or 0x1f).
    pub tag: u8,
    /// Identifier octets: 1, or more for a high tag number.
    pub tag_len: usize,
    /// The definite length of the contents; `None` for an indefinite length.
    pub length: Option<usize>,
    /// Identifier plus length octets.
    pub header_len: usize,
    /// Whether the length is definite and in its shortest form (what DER requires, X.690 §10.1).
    pub minimal_length: bool,
}

impl Head {
    /// Whether the constructed bit is set.
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }
}

/// Decodes the identifier and length octets at the start of `input` (BER: definite lengths in
/// any form up to [`MAX_LENGTH_OCTETS`] octets, or indefinite on a constructed element). The
/// contents are not looked at.
#[inline]
pub fn head(input: &[u8]) -> Result<Head, Error> {
    let (&tag, _) = input.split_first().ok_or(Error::Truncated)?;
    let mut tag_len = 1;
    if tag & 0x1f == 0x1f {
        // High tag number: continuation octets with bit 8 set, the last one without.
        loop {
            let b = *input.get(tag_len).ok_or(Error::Truncated)?;
            tag_len += 1;
            if b & 0x80 == 0 {
                break;
            }
            if tag_len == MAX_TAG_OCTETS {
                return Err(Error::Unsupported("tag number too large"));
            }
        }
    }
    let first = *input.get(tag_len).ok_or(Error::Truncated)?;
    if first < 0x80 {
        return Ok(Head { tag, tag_len, length: Some(usize::from(first)), header_len: tag_len + 1, minimal_length: true });
    }
    if first == 0x80 {
        if tag & 0x20 == 0 {
            return Err(Error::IndefinitePrimitive);
        }
        return Ok(Head { tag, tag_len, length: None, header_len: tag_len + 1, minimal_length: false });
    }
    let n = usize::from(first & 0x7f);
    if n > MAX_LENGTH_OCTETS {
        return Err(Error::BadLength);
    }
    let start = tag_len + 1;
    let octets = input.get(start..start + n).ok_or(Error::Truncated)?;
    // n ≤ 8: the value fits a u64 without overflow.
    let value = octets.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
    let length = usize::try_from(value).map_err(|_| Error::BadLength)?;
    let minimal_length = octets.first().is_some_and(|&b| b != 0) && (n > 1 || length >= 0x80);
    Ok(Head { tag, tag_len, length: Some(length), header_len: start + n, minimal_length })
}

/// One element as received: its tag, its whole encoding and its contents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tlv<'a> {
    /// The identifier octet (single-byte tags only).
    pub tag: u8,
    /// The whole element as received: identifier, length, contents (and the end-of-contents
    /// octets of an indefinite length).
    pub raw: &'a [u8],
    /// The contents octets (without end-of-contents).
    pub body: &'a [u8],
    /// Whether the length was indefinite (only from [`read_ber`]).
    pub indefinite: bool,
    /// Whether the element was read with BER rules (its children are read the same way).
    ber: bool,
}

impl<'a> Tlv<'a> {
    /// Whether the constructed bit is set.
    pub fn constructed(&self) -> bool {
        self.tag & 0x20 != 0
    }

    /// The identifier and length octets as received.
    pub fn header(&self) -> &'a [u8] {
        let eoc = if self.indefinite { 2 } else { 0 };
        let n = self.raw.len().saturating_sub(self.body.len() + eoc);
        self.raw.get(..n).unwrap_or_default()
    }

    /// The elements of a constructed element's contents, read with the rules this element was
    /// read with (DER for [`read`], BER for [`read_ber`]), at most [`MAX_CHILDREN`].
    pub fn children(&self) -> Result<Vec<Tlv<'a>>, Error> {
        if !self.constructed() {
            return Err(Error::NotConstructed);
        }
        if !self.ber {
            return children(self.body, MAX_CHILDREN, "too many elements in one value");
        }
        let mut out = Vec::new();
        let mut body = self.body;
        while !body.is_empty() {
            if out.len() >= MAX_CHILDREN {
                return Err(Error::TooMany { what: "too many elements in one value", limit: MAX_CHILDREN });
            }
            let (t, rest) = read_ber(body)?;
            out.push(t);
            body = rest;
        }
        Ok(out)
    }

    /// Decodes the element's received bytes as a `der` type (strict DER).
    pub fn decode<T: der::Decode<'a>>(&self) -> Result<T, T::Error> {
        T::from_der(self.raw)
    }
}

/// Reads one DER element at the start of `input`; returns it and the rest. Lengths must be
/// definite and minimal; high tag numbers are refused (CMS does not use them where kyso walks).
#[inline]
pub fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), Error> {
    let h = head(input)?;
    if h.tag_len != 1 {
        return Err(Error::HighTagNumber);
    }
    let len = h.length.ok_or(Error::IndefiniteLength)?;
    if !h.minimal_length {
        return Err(Error::NonMinimalLength);
    }
    let end = h.header_len.checked_add(len).ok_or(Error::BadLength)?;
    if end > input.len() {
        return Err(Error::Truncated);
    }
    let (raw, rest) = input.split_at(end);
    let body = raw.get(h.header_len..).unwrap_or_default();
    Ok((Tlv { tag: h.tag, raw, body, indefinite: false, ber: false }, rest))
}

/// Reads one DER element that must be all of `input`.
pub fn read_all(input: &[u8]) -> Result<Tlv<'_>, Error> {
    let (t, rest) = read(input)?;
    if !rest.is_empty() {
        return Err(Error::TrailingData);
    }
    Ok(t)
}

/// Reads one DER element with the expected tag; `what` names the field in the error.
pub fn expect<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<(Tlv<'a>, &'a [u8]), Error> {
    let (t, rest) = read(input)?;
    if t.tag != tag {
        return Err(Error::UnexpectedTag { what, found: t.tag });
    }
    Ok((t, rest))
}

/// The DER elements of a constructed element's contents, at most `limit` of them (`what` is the
/// error's text when there are more).
pub fn children<'a>(mut body: &'a [u8], limit: usize, what: &'static str) -> Result<Vec<Tlv<'a>>, Error> {
    let mut v = Vec::new();
    while !body.is_empty() {
        if v.len() >= limit {
            return Err(Error::TooMany { what, limit });
        }
        let (t, rest) = read(body)?;
        v.push(t);
        body = rest;
    }
    Ok(v)
}

/// Reads one BER element at the start of `input` (indefinite and non-minimal lengths accepted);
/// returns it and the rest. An indefinite length is resolved by walking the contents up to the
/// end-of-contents octets, at most [`MAX_DEPTH`] levels deep.
pub fn read_ber(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), Error> {
    read_ber_at(input, 0)
}

/// Reads one BER element that must be all of `input`.
pub fn read_ber_all(input: &[u8]) -> Result<Tlv<'_>, Error> {
    let (t, rest) = read_ber(input)?;
    if !rest.is_empty() {
        return Err(Error::TrailingData);
    }
    Ok(t)
}

fn read_ber_at(input: &[u8], depth: usize) -> Result<(Tlv<'_>, &[u8]), Error> {
    if depth > MAX_DEPTH {
        return Err(Error::TooComplex);
    }
    let h = head(input)?;
    if h.tag_len != 1 {
        return Err(Error::HighTagNumber);
    }
    let (body_end, end) = match h.length {
        Some(len) => {
            let end = h.header_len.checked_add(len).ok_or(Error::BadLength)?;
            (end, end)
        }
        None => {
            let mut pos = h.header_len;
            loop {
                match input.get(pos..).unwrap_or_default() {
                    [0, 0, ..] => break (pos, pos + 2),
                    [] | [_] => return Err(Error::Truncated),
                    rest => {
                        let (child, _) = read_ber_at(rest, depth + 1)?;
                        pos += child.raw.len();
                    }
                }
            }
        }
    };
    if end > input.len() {
        return Err(Error::Truncated);
    }
    let (raw, rest) = input.split_at(end);
    let body = raw.get(h.header_len..body_end).unwrap_or_default();
    Ok((Tlv { tag: h.tag, raw, body, indefinite: h.length.is_none(), ber: true }, rest))
}

/// The element at the start of `input` when nothing but zero bytes follows it (the padding of a
/// PDF /Contents or of a padded `.sig` file), read with BER rules; otherwise all of `input`,
/// unchanged, for the caller's decoder to judge.
pub fn without_padding(input: &[u8]) -> &[u8] {
    match read_ber(input) {
        Ok((t, rest)) if rest.iter().all(|&b| b == 0) => t.raw,
        _ => input,
    }
}

/// A small non-negative INTEGER's value (versions), `None` for anything else.
pub fn small_uint(t: &Tlv<'_>) -> Option<u32> {
    if t.tag != 0x02 || t.body.is_empty() || t.body.len() > 4 || t.body.first().is_some_and(|&b| b & 0x80 != 0) {
        return None;
    }
    Some(t.body.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn der_lengths_are_strict() {
        assert_eq!(read(&[0x04, 0x81, 0x01, 0x00]).unwrap_err(), Error::NonMinimalLength);
        assert_eq!(read(&[0x04, 0x82, 0x00, 0x80]).unwrap_err(), Error::NonMinimalLength);
        assert_eq!(read(&[0x30, 0x80, 0x00, 0x00]).unwrap_err(), Error::IndefiniteLength);
        assert_eq!(read(&[0x04, 0x80, 0x00, 0x00]).unwrap_err(), Error::IndefinitePrimitive);
        assert_eq!(read(&[0x04, 0x02, 0x00]).unwrap_err(), Error::Truncated);
        assert_eq!(read(&[0x04]).unwrap_err(), Error::Truncated);
        assert_eq!(read(&[]).unwrap_err(), Error::Truncated);
        assert_eq!(read(&[0x1f, 0x81, 0x01, 0x00]).unwrap_err(), Error::HighTagNumber);
        let (t, rest) = read(&[0x04, 0x01, 0x07, 0x05]).unwrap();
        assert_eq!((t.tag, t.body, t.raw, t.header(), rest), (0x04, &[0x07][..], &[0x04, 0x01, 0x07][..], &[0x04, 0x01][..], &[0x05][..]));
        assert_eq!(read_all(&[0x04, 0x01, 0x07, 0x05]).unwrap_err(), Error::TrailingData);
        assert_eq!(small_uint(&read_all(&[0x02, 0x01, 0x03]).unwrap()), Some(3));
        assert_eq!(small_uint(&read_all(&[0x02, 0x01, 0x83]).unwrap()), None);
        assert_eq!(expect(&[0x05, 0x00], 0x04, "the value").unwrap_err(), Error::UnexpectedTag { what: "the value", found: 0x05 });
        assert_eq!(
            children(&[0x05, 0x00, 0x05, 0x00, 0x05, 0x00], 2, "too many NULLs").unwrap_err(),
            Error::TooMany { what: "too many NULLs", limit: 2 }
        );
        assert_eq!(children(&[0x05, 0x00, 0x05, 0x00], 2, "too many NULLs").unwrap().len(), 2);
    }

    #[test]
    fn long_form_lengths() {
        let mut v = vec![0x04, 0x82, 0x01, 0x00];
        v.extend([7u8; 0x100]);
        let t = read_all(&v).unwrap();
        assert_eq!((t.body.len(), t.header().len()), (0x100, 4));
        // the same length with a leading zero octet, and in 8 octets: BER only
        let mut ber = vec![0x04, 0x88, 0, 0, 0, 0, 0, 0, 0x01, 0x00];
        ber.extend([7u8; 0x100]);
        assert_eq!(read(&ber).unwrap_err(), Error::NonMinimalLength);
        let t = read_ber_all(&ber).unwrap();
        assert_eq!((t.body.len(), t.header().len()), (0x100, 10));
    }

    #[test]
    fn length_overflow_and_absurd_lengths_are_errors() {
        // 9 length octets: refused before reading them
        assert_eq!(head(&[0x30, 0x89, 1, 1, 1, 1, 1, 1, 1, 1, 1]).unwrap_err(), Error::BadLength);
        assert_eq!(head(&[0x30, 0xff]).unwrap_err(), Error::BadLength);
        // 2^64 - 1: header + length overflows usize
        let max = [0x30, 0x88, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff];
        assert_eq!(read(&max).unwrap_err(), Error::BadLength);
        assert_eq!(read_ber(&max).unwrap_err(), Error::BadLength);
        // 4 GiB: more than the input
        assert_eq!(read(&[0x30, 0x85, 1, 0, 0, 0, 0]).unwrap_err(), Error::Truncated);
        assert_eq!(read(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff, 0x00]).unwrap_err(), Error::Truncated);
        // length octets cut off
        assert_eq!(head(&[0x30, 0x82, 0x01]).unwrap_err(), Error::Truncated);
    }

    #[test]
    fn ber_reader_keeps_received_bytes() {
        let der = [0x30, 0x06, 0x02, 0x01, 0x05, 0x04, 0x01, 0xaa];
        let t = read_ber_all(&der).unwrap();
        let c = t.children().unwrap();
        assert_eq!((c.len(), c[1].body), (2, &[0xaa][..]));

        // SEQUENCE (indefinite) { INTEGER 5, SEQUENCE (indefinite) { NULL } }
        let ber = [0x30, 0x80, 0x02, 0x01, 0x05, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00];
        let t = read_ber_all(&ber).unwrap();
        assert!(t.indefinite);
        assert_eq!((t.raw, t.header(), t.body), (&ber[..], &ber[..2], &ber[2..11]));
        let c = t.children().unwrap();
        assert_eq!(c.len(), 2);
        assert!(c[1].indefinite);
        assert_eq!(c[1].raw, &ber[5..11]);
        assert_eq!(c[1].children().unwrap()[0].tag, 0x05);
        assert_eq!(c[0].children().unwrap_err(), Error::NotConstructed);
        // the DER reader refuses the same bytes
        assert_eq!(read(&ber).unwrap_err(), Error::IndefiniteLength);
    }

    #[test]
    fn ber_reader_errors() {
        assert_eq!(read_ber(&[0x30, 0x05, 0x02]).unwrap_err(), Error::Truncated);
        assert_eq!(read_ber(&[0x30, 0x80, 0x05, 0x00]).unwrap_err(), Error::Truncated, "missing end-of-contents");
        assert_eq!(read_ber(&[0x30, 0x80, 0x05, 0x00, 0x00]).unwrap_err(), Error::Truncated);
        assert_eq!(read_ber_all(&[0x05, 0x00, 0x00]).unwrap_err(), Error::TrailingData);
        assert_eq!(read_ber(&[0x04, 0x80, 0x00, 0x00]).unwrap_err(), Error::IndefinitePrimitive);
        let deep: Vec<u8> = std::iter::repeat_n([0x30u8, 0x80], 100).flatten().collect();
        assert_eq!(read_ber(&deep).unwrap_err(), Error::TooComplex);
        // a depth bomb that is complete: refused by depth, not by truncation
        let mut bomb = [0x30u8, 0x80].repeat(10_000);
        bomb.extend([0u8; 2].repeat(10_000));
        assert_eq!(read_ber(&bomb).unwrap_err(), Error::TooComplex);
        let n = MAX_CHILDREN + 1;
        let mut many = vec![0x30, 0x83, ((2 * n) >> 16) as u8, ((2 * n) >> 8) as u8, (2 * n) as u8];
        many.extend([0x05u8, 0x00].repeat(n));
        let t = read_ber_all(&many).unwrap();
        assert_eq!(t.children().unwrap_err(), Error::TooMany { what: "too many elements in one value", limit: MAX_CHILDREN });
    }

    #[test]
    fn padding_is_cut_after_definite_and_indefinite_lengths() {
        assert_eq!(without_padding(&[0x30, 0x02, 1, 2, 0, 0, 0]), &[0x30, 0x02, 1, 2]);
        assert_eq!(without_padding(&[0x30, 0x81, 0x01, 9, 0, 0]), &[0x30, 0x81, 0x01, 9]);
        assert_eq!(without_padding(&[0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0, 0, 0]), &[0x30, 0x80, 0x05, 0x00, 0x00, 0x00]);
        // not padding: returned whole
        assert_eq!(without_padding(&[0x30, 0x80, 1, 0, 0]), &[0x30, 0x80, 1, 0, 0]);
        assert_eq!(without_padding(&[0x30, 0x05, 1]), &[0x30, 0x05, 1]);
        assert_eq!(without_padding(&[0x30, 0x01, 1, 7]), &[0x30, 0x01, 1, 7]);
        assert_eq!(without_padding(&[0x30, 0x01, 1, 0, 7]), &[0x30, 0x01, 1, 0, 7]);
    }

    /// `der::Header` (RustCrypto) as an oracle for the DER header decoding: on random headers
    /// over the tags both support, both accept the same inputs with the same lengths.
    #[test]
    fn der_headers_agree_with_the_der_crate() {
        use der::{Decode, Encode, Reader};
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut compared = 0;
        for _ in 0..200_000 {
            let r = next().to_le_bytes();
            // tags der knows (universal simple types, SEQUENCE, SET, context-specific), then a
            // length octet biased towards the interesting forms
            let tag = [0x02, 0x04, 0x05, 0x06, 0x0c, 0x13, 0x17, 0x30, 0x31, 0x80, 0xa0, 0xa3][usize::from(r[0]) % 12];
            let first = match r[1] % 4 {
                0 => r[2] & 0x7f,
                1 => 0x80 | (r[2] % 6),
                _ => 0x81 + r[2] % 2,
            };
            let mut input = vec![tag, first, r[3], r[4], r[5], r[6]];
            input.extend(std::iter::repeat_n(0u8, 300));
            let ours = read(&input);
            let mut reader = der::SliceReader::new(&input).unwrap();
            let theirs = der::Header::decode(&mut reader);
            match (&ours, &theirs) {
                (Ok((t, _)), Ok(h)) => {
                    let hl = usize::try_from(h.encoded_len().unwrap()).unwrap();
                    let len = usize::try_from(h.length()).unwrap();
                    assert_eq!((t.header().len(), t.body.len()), (hl, len), "{input:02x?}");
                    assert_eq!(reader.position(), der::Length::try_from(hl).unwrap());
                    compared += 1;
                }
                // der decodes the header only; ours also needs the contents to be there
                (Err(Error::Truncated), Ok(h)) => assert!(usize::try_from(h.length()).unwrap() + 4 > input.len(), "{input:02x?}"),
                (Err(_), Err(_)) => {}
                _ => panic!("disagreement on {input:02x?}: ours {ours:?}, der {theirs:?}"),
            }
        }
        assert!(compared > 50_000, "{compared}");
    }
}
