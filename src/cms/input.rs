//! Reading a signature file as received: PEM armour removed, BER normalised to DER with
//! [`super::ber::to_der`] (which keeps DER parts such as signed attributes byte-identical), and
//! the result checked to be DER throughout.

use super::assemble::{read_tlv, RawError};

/// Maximum nesting depth walked when checking DER: CMS structures nest about 15 levels deep
/// (ContentInfo → SignedData → SignerInfo → attributes → ESS → GeneralNames → Name → …); 64 is
/// far above that and keeps a hostile input from exhausting the stack.
pub const MAX_DEPTH: usize = 64;

/// Why a signature file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// PEM armour without a PKCS7 / CMS block, or broken base64.
    #[error("PEM signature file without a readable PKCS7 or CMS block: {0}")]
    Pem(String),
    /// BER that [`super::ber::to_der`] cannot normalise, or that is still not DER afterwards.
    #[error("the signature's BER encoding cannot be normalised to DER: {0}")]
    Ber(String),
    /// Not a DER structure at all.
    #[error("not a CMS signature: {0}")]
    Malformed(&'static str),
}

/// The DER bytes of a signature file: PEM (`PKCS7` or `CMS` blocks) is unwrapped, BER
/// (indefinite lengths, constructed OCTET STRINGs, non-minimal lengths) normalised; the result is
/// checked to be DER throughout (definite minimal lengths, primitive strings, no trailing data).
pub fn signature_der(bytes: &[u8]) -> Result<Vec<u8>, InputError> {
    let der = if crate::objects::is_pem(bytes) {
        let blocks = crate::objects::pem_blocks(bytes).map_err(|e| InputError::Pem(e.to_string()))?;
        blocks
            .into_iter()
            .find(|(label, _)| label == "PKCS7" || label == "CMS")
            .map(|(_, der)| der)
            .ok_or_else(|| InputError::Pem("no PKCS7 or CMS block".into()))?
    } else {
        bytes.to_vec()
    };
    let der = match super::ber::to_der(&der) {
        Ok(std::borrow::Cow::Borrowed(_)) => der,
        Ok(std::borrow::Cow::Owned(normalised)) => normalised,
        Err(e) => return Err(InputError::Ber(e.to_string())),
    };
    check_der(&der, 0).map_err(|e| match e {
        RawError::Ber => InputError::Ber("still not DER after normalisation".into()),
        RawError::Malformed(m) => InputError::Malformed(m),
        _ => InputError::Malformed("invalid structure"),
    })?;
    Ok(der)
}

/// Checks that `input` is exactly one DER TLV whose constructed parts are DER too.
fn check_der(input: &[u8], depth: usize) -> Result<(), RawError> {
    let (t, rest) = read_tlv(input)?;
    if !rest.is_empty() {
        return Err(RawError::Malformed("trailing bytes"));
    }
    check_tlv_value(t.tag, t.value, depth)
}

fn check_tlv_value(tag: u8, value: &[u8], depth: usize) -> Result<(), RawError> {
    if depth > MAX_DEPTH {
        return Err(RawError::Malformed("nested too deeply"));
    }
    let constructed = tag & 0x20 != 0;
    if !constructed {
        return Ok(());
    }
    // Constructed forms of universal string types (OCTET STRING, BIT STRING, …) are BER only.
    if tag & 0xc0 == 0 && !matches!(tag & 0x1f, 0x10 | 0x11) {
        return Err(RawError::Ber);
    }
    let mut contents = value;
    while !contents.is_empty() {
        let (t, rest) = read_tlv(contents)?;
        check_tlv_value(t.tag, t.value, depth + 1)?;
        contents = rest;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ber_is_normalised_and_der_kept() {
        // SEQUENCE { SEQUENCE (indefinite) { NULL } EOC } → DER
        let ber = [0x30, 0x80, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00];
        assert_eq!(signature_der(&ber).unwrap(), [0x30, 0x04, 0x30, 0x02, 0x05, 0x00]);
        // constructed OCTET STRING → primitive
        let ber = [0x30, 0x05, 0x24, 0x03, 0x04, 0x01, 0x41];
        assert_eq!(signature_der(&ber).unwrap(), [0x30, 0x03, 0x04, 0x01, 0x41]);
        let der = [0x30, 0x04, 0x30, 0x02, 0x05, 0x00];
        assert_eq!(signature_der(&der).unwrap(), der);
        assert!(signature_der(&[0x30, 0x04, 0x30, 0x02, 0x05, 0x00, 0x00]).is_err());
        assert!(signature_der(&[0x30, 0x80, 0x05, 0x00]).is_err(), "missing end-of-contents");
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let mut v = vec![0x05, 0x00];
        for _ in 0..200 {
            let mut w = vec![0x30];
            let len = v.len();
            if len < 0x80 {
                w.push(len as u8);
            } else {
                w.push(0x82);
                w.push((len >> 8) as u8);
                w.push(len as u8);
            }
            w.extend_from_slice(&v);
            v = w;
        }
        assert!(signature_der(&v).is_err());
    }
}
