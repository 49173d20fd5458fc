//! Enhanced Security Services signing-certificate attributes: `signingCertificateV2`
//! (RFC 5035, any hash) and the legacy `signingCertificate` (RFC 2634, SHA-1 only).
//!
//! The attribute binds a SignerInfo to its signer certificate by hash, which defeats certificate
//! substitution (a different certificate with the same public key). CAdES-B-B (ETSI EN 319 122-1
//! §5.2.2) requires one of them; kyso writes V2 and checks either.
//!
//! RFC 5035 §3 / RFC 2634 §5.4, the ASN.1 module as written there:
//!
//! ```text
//! id-aa-signingCertificateV2 OBJECT IDENTIFIER ::= { iso(1)
//!     member-body(2) us(840) rsadsi(113549) pkcs(1) pkcs9(9)
//!     smime(16) id-aa(2) 47 }
//!
//! SigningCertificateV2 ::=  SEQUENCE {
//!     certs        SEQUENCE OF ESSCertIDv2,
//!     policies     SEQUENCE OF PolicyInformation OPTIONAL
//! }
//!
//! ESSCertIDv2 ::=  SEQUENCE {
//!     hashAlgorithm           AlgorithmIdentifier
//!                             DEFAULT {algorithm id-sha256},
//!     certHash                 Hash,
//!     issuerSerial             IssuerSerial OPTIONAL
//! }
//!
//! Hash ::= OCTET STRING
//!
//! IssuerSerial ::= SEQUENCE {
//!     issuer                   GeneralNames,
//!     serialNumber             CertificateSerialNumber
//! }
//!
//! id-aa-signingCertificate OBJECT IDENTIFIER ::= { iso(1) member-body(2)
//!     us(840) rsadsi(113549) pkcs(1) pkcs9(9) smime(16) id-aa(2) 12 }
//!
//! SigningCertificate ::=  SEQUENCE {
//!     certs        SEQUENCE OF ESSCertID,
//!     policies     SEQUENCE OF PolicyInformation OPTIONAL
//! }
//!
//! ESSCertID ::=  SEQUENCE {
//!     certHash                 Hash,   -- SHA-1 hash of the entire certificate
//!     issuerSerial             IssuerSerial OPTIONAL
//! }
//! ```
//!
//! Decoding note: `hashAlgorithm` is DEFAULT, so DER omits it for SHA-256. Some signers still
//! write it explicitly, sometimes with NULL parameters; such input decodes to an
//! [`AlgorithmIdentifierOwned`] that is not `==` the default. Compare digest algorithms by OID
//! (see [`EssCertIdV2::digest_algorithm`]), never by structural equality.

use crate::alg::{oid, DigestAlgorithm};
use der::asn1::OctetString;
use der::{Decode, DecodeValue, Encode, EncodeValue, Header, Length, Reader, Sequence, Writer};
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::certpolicy::PolicyInformation;
use x509_cert::ext::pkix::name::{GeneralName, GeneralNames};
use x509_cert::serial_number::SerialNumber;
use x509_cert::Certificate;

/// `SigningCertificateV2` (RFC 5035 §3): the value of the `id-aa-signingCertificateV2`
/// signed attribute.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificateV2 {
    /// `certs`: the first entry identifies the signer certificate; further entries may
    /// identify certificates of its path.
    pub certs: Vec<EssCertIdV2>,
    /// `policies`: signature policies (kyso writes none).
    #[asn1(optional = "true")]
    pub policies: Option<Vec<PolicyInformation>>,
}

/// `ESSCertIDv2` (RFC 5035 §4): a certificate hash, its algorithm and optionally the
/// certificate's issuer and serial number.
///
/// (Encoded by hand: der's derive cannot express a DEFAULT of a non-`Copy` type.)
#[derive(Clone, Debug, Eq, PartialEq)]
pub struct EssCertIdV2 {
    /// `hashAlgorithm`, DEFAULT id-sha256 (omitted from the encoding when it is SHA-256
    /// with absent parameters; [`default_hash_algorithm`] when absent from the input).
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// `certHash`: the hash of the whole DER certificate.
    pub cert_hash: OctetString,
    /// `issuerSerial`: the certificate's issuer name and serial number.
    pub issuer_serial: Option<IssuerSerial>,
}

impl<'a> DecodeValue<'a> for EssCertIdV2 {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, _header: Header) -> der::Result<Self> {
        let hash_algorithm = Option::<AlgorithmIdentifierOwned>::decode(reader)?.unwrap_or_else(default_hash_algorithm);
        let cert_hash = OctetString::decode(reader)?;
        let issuer_serial = Option::<IssuerSerial>::decode(reader)?;
        Ok(EssCertIdV2 { hash_algorithm, cert_hash, issuer_serial })
    }
}

impl EssCertIdV2 {
    /// `hashAlgorithm` as encoded: `None` when it equals the DEFAULT.
    fn encoded_hash_algorithm(&self) -> Option<&AlgorithmIdentifierOwned> {
        (self.hash_algorithm != default_hash_algorithm()).then_some(&self.hash_algorithm)
    }
}

impl EncodeValue for EssCertIdV2 {
    fn value_len(&self) -> der::Result<Length> {
        let alg = match self.encoded_hash_algorithm() {
            Some(a) => a.encoded_len()?,
            None => Length::ZERO,
        };
        alg + self.cert_hash.encoded_len()? + self.issuer_serial.encoded_len()?
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        if let Some(a) = self.encoded_hash_algorithm() {
            a.encode(writer)?;
        }
        self.cert_hash.encode(writer)?;
        self.issuer_serial.encode(writer)
    }
}

impl<'a> Sequence<'a> for EssCertIdV2 {}

/// `SigningCertificate` (RFC 2634 §5.4): the legacy, SHA-1-only attribute
/// `id-aa-signingCertificate`. kyso never writes it; verification may meet it.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct SigningCertificate {
    /// `certs`: the first entry identifies the signer certificate.
    pub certs: Vec<EssCertId>,
    /// `policies`: signature policies.
    #[asn1(optional = "true")]
    pub policies: Option<Vec<PolicyInformation>>,
}

/// `ESSCertID` (RFC 2634 §5.4.1): the SHA-1 hash of a certificate and optionally its issuer
/// and serial number.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct EssCertId {
    /// `certHash`: SHA-1 of the whole DER certificate.
    pub cert_hash: OctetString,
    /// `issuerSerial`
    #[asn1(optional = "true")]
    pub issuer_serial: Option<IssuerSerial>,
}

/// `IssuerSerial` (RFC 5035 §4 / RFC 2634 §5.4.1): the certificate's issuer as GeneralNames
/// (in practice one `directoryName`) and its serial number.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct IssuerSerial {
    /// `issuer`
    pub issuer: GeneralNames,
    /// `serialNumber`
    pub serial_number: SerialNumber,
}

/// The DEFAULT of `ESSCertIDv2.hashAlgorithm`: id-sha256 with absent parameters.
pub fn default_hash_algorithm() -> AlgorithmIdentifierOwned {
    AlgorithmIdentifierOwned { oid: oid::SHA256, parameters: None }
}

impl IssuerSerial {
    /// The issuer (as one `directoryName`) and serial number of `cert`.
    pub fn of(cert: &Certificate) -> IssuerSerial {
        let tbs = cert.tbs_certificate();
        IssuerSerial {
            issuer: vec![GeneralName::DirectoryName(tbs.issuer().clone())],
            serial_number: tbs.serial_number().clone(),
        }
    }

    /// True when this identifies `cert`: one of the names is a `directoryName` equal to the
    /// certificate's issuer, and the serial numbers are equal.
    pub fn matches(&self, cert: &Certificate) -> bool {
        let tbs = cert.tbs_certificate();
        self.serial_number == *tbs.serial_number()
            && self.issuer.iter().any(|n| matches!(n, GeneralName::DirectoryName(d) if d == tbs.issuer()))
    }
}

impl EssCertIdV2 {
    /// Identifies `cert_der` (a DER certificate) with `digest`, including its issuer and serial.
    /// The hash algorithm is left out of the encoding when it is SHA-256 (DEFAULT).
    pub fn new(cert_der: &[u8], digest: DigestAlgorithm) -> der::Result<EssCertIdV2> {
        let cert = Certificate::from_der(cert_der)?;
        Ok(EssCertIdV2 {
            hash_algorithm: AlgorithmIdentifierOwned { oid: digest.oid(), parameters: None },
            cert_hash: OctetString::new(digest.digest(cert_der))?,
            issuer_serial: Some(IssuerSerial::of(&cert)),
        })
    }

    /// The hash algorithm, looked up by OID (parameters ignored); `None` when unknown.
    pub fn digest_algorithm(&self) -> Option<DigestAlgorithm> {
        DigestAlgorithm::from_oid(&self.hash_algorithm.oid)
    }

    /// True when this identifies `cert_der`: the hash matches and, if present, so does
    /// `issuerSerial`. False for an unknown hash algorithm.
    pub fn matches(&self, cert_der: &[u8]) -> bool {
        let Some(d) = self.digest_algorithm() else { return false };
        if d.digest(cert_der) != self.cert_hash.as_bytes() {
            return false;
        }
        match (&self.issuer_serial, Certificate::from_der(cert_der)) {
            (None, _) => true,
            (Some(is), Ok(cert)) => is.matches(&cert),
            (Some(_), Err(_)) => false,
        }
    }
}

impl EssCertId {
    /// True when this identifies `cert_der`: its SHA-1 matches and, if present, so does
    /// `issuerSerial`.
    pub fn matches(&self, cert_der: &[u8]) -> bool {
        if DigestAlgorithm::Sha1.digest(cert_der) != self.cert_hash.as_bytes() {
            return false;
        }
        match (&self.issuer_serial, Certificate::from_der(cert_der)) {
            (None, _) => true,
            (Some(is), Ok(cert)) => is.matches(&cert),
            (Some(_), Err(_)) => false,
        }
    }
}

impl SigningCertificateV2 {
    /// The attribute value for one signer certificate.
    pub fn for_certificate(cert_der: &[u8], digest: DigestAlgorithm) -> der::Result<SigningCertificateV2> {
        Ok(SigningCertificateV2 { certs: vec![EssCertIdV2::new(cert_der, digest)?], policies: None })
    }

    /// The DER encoding of the value.
    pub fn to_der_bytes(&self) -> der::Result<Vec<u8>> {
        self.to_der()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn test_cert() -> Vec<u8> {
        let key = crate::PrivateKey::generate(crate::KeyAlgorithm::EcdsaP256).unwrap();
        let kp = key.rcgen_key_pair().unwrap();
        let mut p = rcgen::CertificateParams::new(vec![]).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, "Sở Y tế tỉnh Bắc Ninh");
        p.serial_number = Some(rcgen::SerialNumber::from_slice(&[0x01, 0x23, 0x45]));
        p.self_signed(&kp).unwrap().der().to_vec()
    }

    #[test]
    fn sha256_hash_algorithm_is_omitted_and_roundtrips() {
        let cert = test_cert();
        let v = SigningCertificateV2::for_certificate(&cert, DigestAlgorithm::Sha256).unwrap();
        let der = v.to_der().unwrap();
        let back = SigningCertificateV2::from_der(&der).unwrap();
        assert_eq!(back, v);
        assert!(back.certs[0].matches(&cert));
        // SEQUENCE { SEQUENCE OF { SEQUENCE { OCTET STRING ... } } }: no AlgorithmIdentifier first.
        let inner = &der[2..];
        assert_eq!(inner[0], 0x30);
        let id = &inner[2..];
        assert_eq!(id[0], 0x30);
        assert_eq!(id[2], 0x04, "certHash must come first when hashAlgorithm is SHA-256");
    }

    #[test]
    fn sha384_hash_algorithm_is_written() {
        let cert = test_cert();
        let v = SigningCertificateV2::for_certificate(&cert, DigestAlgorithm::Sha384).unwrap();
        let der = v.to_der().unwrap();
        let back = SigningCertificateV2::from_der(&der).unwrap();
        assert_eq!(back.certs[0].digest_algorithm(), Some(DigestAlgorithm::Sha384));
        assert_eq!(back.certs[0].cert_hash.as_bytes().len(), 48);
        assert!(back.certs[0].matches(&cert));
    }

    #[test]
    fn explicit_sha256_with_null_parameters_decodes_and_matches() {
        let cert = test_cert();
        let mut v = SigningCertificateV2::for_certificate(&cert, DigestAlgorithm::Sha256).unwrap();
        v.certs[0].hash_algorithm.parameters = Some(der::Any::null());
        let der = v.to_der().unwrap();
        let back = SigningCertificateV2::from_der(&der).unwrap();
        assert_eq!(back.certs[0].digest_algorithm(), Some(DigestAlgorithm::Sha256));
        assert!(back.certs[0].matches(&cert));
    }

    #[test]
    fn other_certificate_does_not_match() {
        let a = test_cert();
        let b = test_cert();
        let v = SigningCertificateV2::for_certificate(&a, DigestAlgorithm::Sha256).unwrap();
        assert!(!v.certs[0].matches(&b));
        // Same hash but a wrong issuerSerial must not match either.
        let mut w = v.clone();
        w.certs[0].issuer_serial.as_mut().unwrap().serial_number = SerialNumber::new(&[0x07]).unwrap();
        assert!(!w.certs[0].matches(&a));
    }
}
