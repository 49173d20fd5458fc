//! Reading a signature file as received: PEM armour removed, the encoding checked to be DER
//! throughout (BER must go through [`super::ber`] first).

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
    /// The encoding is BER (indefinite lengths, constructed strings, non-minimal lengths).
    #[error("the signature is BER-encoded (e.g. written by `openssl cms -sign -stream`); kyso needs DER here — re-encode it with `openssl cms -cmsout -inform DER -outform DER -in FILE -out FILE.der`")]
    Ber,
    /// Not a DER structure at all.
    #[error("not a CMS signature: {0}")]
    Malformed(&'static str),
}

/// The DER bytes of a signature file: PEM (`PKCS7` or `CMS` blocks) is unwrapped; the result is
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
    check_der(&der, 0).map_err(|e| match e {
        RawError::Ber => InputError::Ber,
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
    fn ber_is_detected_deep_inside() {
        // SEQUENCE { SEQUENCE (indefinite) { NULL } EOC }
        let ber = [0x30, 0x06, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00];
        assert_eq!(signature_der(&ber).unwrap_err(), InputError::Ber);
        // constructed OCTET STRING
        let ber = [0x30, 0x05, 0x24, 0x03, 0x04, 0x01, 0x41];
        assert_eq!(signature_der(&ber).unwrap_err(), InputError::Ber);
        let der = [0x30, 0x04, 0x30, 0x02, 0x05, 0x00];
        assert_eq!(signature_der(&der).unwrap(), der);
        assert!(matches!(signature_der(&[0x30, 0x04, 0x30, 0x02, 0x05, 0x00, 0x00]), Err(InputError::Malformed(_))));
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
        assert_eq!(signature_der(&v).unwrap_err(), InputError::Malformed("nested too deeply"));
    }
}
