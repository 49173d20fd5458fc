//! CMS (RFC 5652) and CAdES (ETSI EN 319 122-1) types: the `cms` crate's SignedData types
//! re-exported, the ESS signing-certificate attributes kyso adds ([`ess`]), and helpers to build
//! and look up attributes.
//!
//! kyso's own signatures are DER. Input may be BER where RFC 5652 allows it;
//! [`crate::asn1::normalise`] normalises it to DER before the strict decoders here see it.

// Byte-level SignedData assembly (kyso's signing and upgrades; not a stable API).
#[doc(hidden)]
pub mod assemble;
pub mod describe;
pub mod ess;
pub mod input;
pub(crate) mod certs;
pub(crate) mod signed_data;
pub(crate) mod signer;

pub use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
pub use cms::content_info::{CmsVersion, ContentInfo};
pub use cms::signed_data::{
    CertificateSet, DigestAlgorithmIdentifiers, EncapsulatedContentInfo, SignatureValue, SignedAttributes,
    SignedData, SignerIdentifier, SignerInfo, SignerInfos, UnsignedAttributes,
};
pub use ess::{EssCertId, EssCertIdV2, IssuerSerial, SigningCertificate, SigningCertificateV2};
pub use describe::{describe, DescribeError};
pub use input::{signature_der, InputError};
pub use x509_cert::attr::{Attribute, AttributeValue, Attributes};

/// Limit on SignerInfos per file. A Vietnamese administrative document carries two (the
/// competent person's and the agency's); a few more appear with co-signers. 32 bounds the
/// signature verifications and path validations one file can demand.
pub const MAX_SIGNERS: usize = 32;

/// Limit on certificates in one SignedData (and in `--chain` files together). Each signer brings
/// its chain of ≤ 3; 64 covers many signers while bounding path-building inputs.
pub const MAX_CERTIFICATES: usize = 64;

/// Limit on CRLs in one SignedData (and on `--crl` files together). One per CA of the paths is
/// what is needed; 32 bounds the CRL signature verifications per certificate checked
/// (at most `MAX_CRLS × (MAX_CHAIN_DEPTH + 1)` per path).
pub const MAX_CRLS: usize = 32;

/// Limit on signed attributes of one SignerInfo. CAdES-B-B has four or five; 64 bounds parsing.
pub const MAX_ATTRIBUTES: usize = 64;

use der::asn1::{ObjectIdentifier, SetOfVec};
use der::{Any, Decode, Encode};

/// A CMS attribute (`Attribute ::= SEQUENCE { attrType, attrValues SET OF }`, RFC 5652 §5.3)
/// with a single value given as its DER encoding.
pub fn attribute(oid: ObjectIdentifier, value_der: &[u8]) -> der::Result<Attribute> {
    let value = Any::from_der(value_der)?;
    let mut values = SetOfVec::new();
    values.insert(value)?;
    Ok(Attribute { oid, values })
}

/// A CMS attribute whose single value is `value` (encoded as DER).
pub fn attribute_of<T: Encode>(oid: ObjectIdentifier, value: &T) -> der::Result<Attribute> {
    attribute(oid, &value.to_der()?)
}

/// Every attribute of type `oid` in `attrs` (RFC 5652 §5.3 forbids more than one of the
/// CMS-defined types among signed attributes; callers decide what a repeat means).
pub fn find_attributes<'a>(attrs: &'a Attributes, oid: &'a ObjectIdentifier) -> impl Iterator<Item = &'a Attribute> + 'a {
    attrs.iter().filter(move |a| a.oid == *oid)
}

/// The single value of the single attribute of type `oid` in `attrs`.
///
/// - `Ok(None)`: absent.
/// - `Err(AttributeError::Repeated)`: the attribute appears more than once.
/// - `Err(AttributeError::NotSingleValued)`: it has zero or several values.
pub fn single_attribute_value<'a>(attrs: &'a Attributes, oid: &ObjectIdentifier) -> Result<Option<&'a Any>, AttributeError> {
    let mut found = attrs.iter().filter(|a| a.oid == *oid);
    let Some(first) = found.next() else { return Ok(None) };
    if found.next().is_some() {
        return Err(AttributeError::Repeated(*oid));
    }
    let mut values = first.values.iter();
    match (values.next(), values.next()) {
        (Some(v), None) => Ok(Some(v)),
        _ => Err(AttributeError::NotSingleValued { oid: *oid, count: first.values.len() }),
    }
}

/// Decodes the single value of the single attribute `oid` as `T` (`Ok(None)` when absent).
pub fn decode_attribute<'a, T: der::DecodeValue<'a, Error = der::Error> + der::FixedTag + 'a>(
    attrs: &'a Attributes,
    oid: &ObjectIdentifier,
) -> Result<Option<T>, AttributeError> {
    match single_attribute_value(attrs, oid)? {
        None => Ok(None),
        Some(v) => v.decode_as::<T>().map(Some).map_err(|e| AttributeError::Malformed { oid: *oid, error: e }),
    }
}

/// Problems with an attribute's shape.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AttributeError {
    /// The attribute type occurs more than once.
    #[error("attribute {0} occurs more than once")]
    Repeated(ObjectIdentifier),
    /// The attribute has zero or more than one value where exactly one is required.
    #[error("attribute {oid} has {count} values (exactly one required)")]
    NotSingleValued {
        /// The attribute type.
        oid: ObjectIdentifier,
        /// How many values it has.
        count: usize,
    },
    /// The value does not decode as the type the attribute requires.
    #[error("attribute {oid} is malformed: {error}")]
    Malformed {
        /// The attribute type.
        oid: ObjectIdentifier,
        /// The decoding error.
        error: der::Error,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alg::oid;

    #[test]
    fn single_value_lookup_and_errors() {
        let ct = attribute_of(oid::ATTR_CONTENT_TYPE, &oid::CT_DATA).unwrap();
        let md = attribute_of(oid::ATTR_MESSAGE_DIGEST, &der::asn1::OctetString::new(vec![1u8; 32]).unwrap()).unwrap();
        let attrs: Attributes = SetOfVec::try_from(vec![md.clone(), ct.clone()]).unwrap();
        let got: Option<ObjectIdentifier> = decode_attribute(&attrs, &oid::ATTR_CONTENT_TYPE).unwrap();
        assert_eq!(got, Some(oid::CT_DATA));
        let none: Option<ObjectIdentifier> = decode_attribute(&attrs, &oid::ATTR_SIGNING_TIME).unwrap();
        assert_eq!(none, None);
        // wrong type
        let wrong: Result<Option<ObjectIdentifier>, _> = decode_attribute(&attrs, &oid::ATTR_MESSAGE_DIGEST);
        assert!(matches!(wrong, Err(AttributeError::Malformed { oid, .. }) if oid == oid::ATTR_MESSAGE_DIGEST));
        // two values
        let mut two = ct.clone();
        two.values.insert(Any::from(&oid::CT_SIGNED_DATA)).unwrap();
        let attrs2: Attributes = SetOfVec::try_from(vec![two]).unwrap();
        assert_eq!(
            single_attribute_value(&attrs2, &oid::ATTR_CONTENT_TYPE).unwrap_err(),
            AttributeError::NotSingleValued { oid: oid::ATTR_CONTENT_TYPE, count: 2 }
        );
    }
}
