//! The encodings of the signed attributes that depend on the signer or the time: signing-time
//! (RFC 5652 §11.3) and signing-certificate-v2 (RFC 5035).

use super::SignError;
use crate::asn1;
use crate::alg::{oid, DigestAlgorithm};
use crate::util::rfc3339;
use der::asn1::ObjectIdentifier;
use time::{OffsetDateTime, UtcOffset};

/// `OBJECT IDENTIFIER id-signingTime` (1.2.840.113549.1.9.5).
pub(super) const ATTR_SIGNING_TIME_TLV: [u8; 11] = [0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x05];

/// `SigningTime ::= Time`: UTCTime for 1950–2049, GeneralizedTime otherwise (RFC 5652 §11.3),
/// in UTC, whole seconds.
pub fn signing_time_der(t: OffsetDateTime) -> Result<Vec<u8>, SignError> {
    let (tag, text, n) = time_text(t)?;
    Ok(asn1::tlv(tag, &[text.get(..n).unwrap_or_default()]))
}

/// The tag (UTCTime 0x17 or GeneralizedTime 0x18) and the characters of a signing time.
pub(super) fn time_text(t: OffsetDateTime) -> Result<(u8, [u8; 15], usize), SignError> {
    let t = t.to_offset(UtcOffset::UTC);
    let y = t.year();
    let mut text = [0u8; 15];
    let mut n = 0;
    let push2 = |v: u32, text: &mut [u8; 15], n: &mut usize| {
        for d in [(v / 10 % 10) as u8, (v % 10) as u8] {
            if let Some(c) = text.get_mut(*n) {
                *c = b'0' + d;
            }
            *n += 1;
        }
    };
    let tag = if (1950..2050).contains(&y) {
        push2(y as u32 % 100, &mut text, &mut n);
        0x17
    } else if (0..=9999).contains(&y) {
        push2(y as u32 / 100, &mut text, &mut n);
        push2(y as u32 % 100, &mut text, &mut n);
        0x18
    } else {
        return Err(SignError::Time(rfc3339(&t)));
    };
    for v in [t.month() as u32, t.day() as u32, t.hour() as u32, t.minute() as u32, t.second() as u32] {
        push2(v, &mut text, &mut n);
    }
    if let Some(c) = text.get_mut(n) {
        *c = b'Z';
    }
    Ok((tag, text, n + 1))
}

/// `SigningCertificateV2 { certs { ESSCertIDv2 { [hashAlgorithm], certHash, issuerSerial } } }`
/// (RFC 5035) built from the certificate's bytes; hashAlgorithm omitted for SHA-256 (DEFAULT).
/// Same value as [`crate::cms::SigningCertificateV2::for_certificate`], without re-encoding the
/// issuer.
pub(super) fn signing_certificate_v2_der(cert: &[u8], digest: DigestAlgorithm, issuer: &[u8], serial: &[u8]) -> Result<Vec<u8>, SignError> {
    let hash = asn1::tlv(asn1::TAG_OCTET_STRING, &[&digest.digest(cert)]);
    let general_names = asn1::tlv(asn1::TAG_SEQUENCE, &[&asn1::tlv(0xa4, &[issuer])]);
    let issuer_serial = asn1::tlv(asn1::TAG_SEQUENCE, &[&general_names, serial]);
    let hash_alg: &[u8] = if digest == DigestAlgorithm::Sha256 { &[] } else { digest.algorithm_identifier_der() };
    let id = asn1::tlv(asn1::TAG_SEQUENCE, &[hash_alg, &hash, &issuer_serial]);
    Ok(asn1::tlv(asn1::TAG_SEQUENCE, &[&asn1::tlv(asn1::TAG_SEQUENCE, &[&id])]))
}

/// The object identifier of a signature's content type, for messages.
pub fn content_type_name(o: &ObjectIdentifier) -> String {
    if *o == oid::CT_DATA {
        "id-data".into()
    } else {
        o.to_string()
    }
}
