//! Reading a signature file as received: PEM armour removed, BER normalised to DER and zero
//! padding cut with [`crate::asn1::normalise`] (which keeps DER parts such as signed attributes
//! byte-identical, and whose output is DER throughout: definite minimal lengths, primitive
//! strings).

/// Why a signature file cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InputError {
    /// PEM armour without a PKCS7 / CMS block, or broken base64.
    #[error("PEM signature file without a readable PKCS7 or CMS block: {0}")]
    Pem(String),
    /// BER that [`crate::asn1::normalise`] cannot normalise (or not an ASN.1 element at all).
    #[error("the signature's BER encoding cannot be normalised to DER: {0}")]
    Ber(String),
}

/// The DER bytes of a signature file: PEM (`PKCS7` or `CMS` blocks) is unwrapped, BER
/// (indefinite lengths, constructed OCTET STRINGs, non-minimal lengths) normalised, zero padding
/// after the signature cut; any other trailing byte is an error.
pub fn signature_der(bytes: &[u8]) -> Result<Vec<u8>, InputError> {
    let mut der = if crate::objects::is_pem(bytes) {
        let blocks = crate::objects::pem_blocks(bytes).map_err(|e| InputError::Pem(e.to_string()))?;
        blocks
            .into_iter()
            .find(|(label, _)| label == "PKCS7" || label == "CMS")
            .map(|(_, der)| der)
            .ok_or_else(|| InputError::Pem("no PKCS7 or CMS block".into()))?
    } else {
        bytes.to_vec()
    };
    let len = match crate::asn1::normalise(&der) {
        Ok(crate::asn1::Normalised { der: std::borrow::Cow::Borrowed(d), .. }) => d.len(),
        Ok(n) => return Ok(n.der.into_owned()),
        Err(e) => return Err(InputError::Ber(e.to_string())),
    };
    der.truncate(len);
    Ok(der)
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
        // zero padding is cut, after DER and after BER
        assert_eq!(signature_der(&[0x30, 0x04, 0x30, 0x02, 0x05, 0x00, 0x00]).unwrap(), der);
        assert_eq!(signature_der(&[0x30, 0x80, 0x30, 0x80, 0x05, 0x00, 0x00, 0x00, 0x00, 0x00, 0, 0, 0]).unwrap(), der);
        assert_eq!(
            signature_der(&[0x30, 0x04, 0x30, 0x02, 0x05, 0x00, 0x01]).unwrap_err(),
            InputError::Ber("trailing data after the top-level element".into())
        );
        assert_eq!(
            signature_der(&[0x30, 0x80, 0x05, 0x00]).unwrap_err(),
            InputError::Ber("truncated BER/DER input".into()),
            "missing end-of-contents"
        );
    }

    #[test]
    fn deep_nesting_is_refused_without_overflow() {
        let mut v = vec![0x05, 0x00];
        for _ in 0..200 {
            v = crate::asn1::tlv(0x30, &[&v]);
        }
        assert_eq!(
            signature_der(&v).unwrap_err(),
            InputError::Ber("nesting deeper than 64 or more than 1000000 elements".into())
        );
    }
}
