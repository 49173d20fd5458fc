//! A minimal strict-DER TLV reader over received bytes. The verification core walks the
//! SignedData with it so that it keeps the exact bytes of every SignerInfo and of its signed
//! attributes (`der` 0.8 re-sorts SET OF values on decode, which would lose them).

/// One DER element: its tag byte, its full encoding and its contents.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet (low tag-number form only).
    pub tag: u8,
    /// The whole element as received.
    pub raw: &'a [u8],
    /// The contents octets.
    pub body: &'a [u8],
}

/// Why the reader stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DerError(pub &'static str);

/// Reads one element at the start of `input`; returns it and the rest. Lengths must be definite
/// and minimal (DER); high tag numbers are refused (CMS does not use them where kyso walks).
pub(crate) fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let tag = *input.first().ok_or(DerError("truncated element"))?;
    if tag & 0x1f == 0x1f {
        return Err(DerError("high tag number"));
    }
    let first = *input.get(1).ok_or(DerError("truncated length"))?;
    let (len, hdr) = if first < 0x80 {
        (first as usize, 2)
    } else if first == 0x80 {
        return Err(DerError("indefinite length (BER) where DER is required"));
    } else {
        let n = (first & 0x7f) as usize;
        if n > 4 {
            return Err(DerError("length longer than 4 bytes"));
        }
        let bytes = input.get(2..2 + n).ok_or(DerError("truncated length"))?;
        if bytes[0] == 0 {
            return Err(DerError("non-minimal length"));
        }
        let len = bytes.iter().fold(0usize, |a, &b| (a << 8) | b as usize);
        if len < 0x80 {
            return Err(DerError("non-minimal length"));
        }
        (len, 2 + n)
    };
    let end = hdr.checked_add(len).ok_or(DerError("length overflow"))?;
    let raw = input.get(..end).ok_or(DerError("truncated contents"))?;
    Ok((Tlv { tag, raw, body: &raw[hdr..] }, &input[end..]))
}

/// Reads one element that must be all of `input`.
pub(crate) fn read_all(input: &[u8]) -> Result<Tlv<'_>, DerError> {
    let (t, rest) = read(input)?;
    if !rest.is_empty() {
        return Err(DerError("trailing data"));
    }
    Ok(t)
}

/// Reads one element with the expected tag.
pub(crate) fn expect<'a>(input: &'a [u8], tag: u8, what: &'static str) -> Result<(Tlv<'a>, &'a [u8]), DerError> {
    let (t, rest) = read(input)?;
    if t.tag != tag {
        return Err(DerError(what));
    }
    Ok((t, rest))
}

/// The elements of a constructed body, at most `limit` of them.
pub(crate) fn children<'a>(mut body: &'a [u8], limit: usize, what: &'static str) -> Result<Vec<Tlv<'a>>, DerError> {
    let mut v = Vec::new();
    while !body.is_empty() {
        if v.len() >= limit {
            return Err(DerError(what));
        }
        let (t, rest) = read(body)?;
        v.push(t);
        body = rest;
    }
    Ok(v)
}

/// A small non-negative INTEGER's value (versions).
pub(crate) fn small_uint(t: &Tlv<'_>) -> Option<u32> {
    if t.tag != 0x02 || t.body.is_empty() || t.body.len() > 4 || t.body[0] & 0x80 != 0 {
        return None;
    }
    Some(t.body.iter().fold(0u32, |a, &b| (a << 8) | u32::from(b)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_lengths() {
        assert!(read(&[0x04, 0x81, 0x01, 0x00]).is_err());
        assert!(read(&[0x04, 0x80, 0x00, 0x00]).is_err());
        assert!(read(&[0x04, 0x02, 0x00]).is_err());
        let (t, rest) = read(&[0x04, 0x01, 0x07, 0x05]).unwrap();
        assert_eq!((t.tag, t.body, rest), (0x04, &[0x07][..], &[0x05][..]));
        assert!(read_all(&[0x04, 0x01, 0x07, 0x05]).is_err());
        assert_eq!(small_uint(&read_all(&[0x02, 0x01, 0x03]).unwrap()), Some(3));
    }
}
