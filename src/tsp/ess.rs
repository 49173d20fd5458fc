//! ESS signing-certificate attributes (RFC 2634 §5.4 v1 with SHA-1, RFC 5035 §3 v2).
//!
//! A private copy for timestamp tokens: the signing branch owns `src/cms/ess.rs`; unify once
//! both are on main.

use crate::alg::{oid, DigestAlgorithm};
use der::asn1::{Any, OctetString};
use der::Sequence;
use spki::AlgorithmIdentifierOwned;
use x509_cert::ext::pkix::name::GeneralNames;
use x509_cert::serial_number::SerialNumber;

/// ```text
/// IssuerSerial ::= SEQUENCE {
///     issuer                   GeneralNames,
///     serialNumber             CertificateSerialNumber }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct IssuerSerial {
    pub issuer: GeneralNames,
    pub serial_number: SerialNumber,
}

/// ```text
/// ESSCertIDv2 ::= SEQUENCE {
///     hashAlgorithm  AlgorithmIdentifier DEFAULT {algorithm id-sha256},
///     certHash       Hash,
///     issuerSerial   IssuerSerial OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertIdV2 {
    pub hash_algorithm: Option<AlgorithmIdentifierOwned>,
    pub cert_hash: OctetString,
    pub issuer_serial: Option<IssuerSerial>,
}

/// ```text
/// SigningCertificateV2 ::= SEQUENCE {
///     certs        SEQUENCE OF ESSCertIDv2,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificateV2 {
    pub certs: Vec<EssCertIdV2>,
    pub policies: Option<Any>,
}

/// ```text
/// ESSCertID ::= SEQUENCE {
///     certHash                 Hash,  -- SHA-1
///     issuerSerial             IssuerSerial OPTIONAL }
/// SigningCertificate ::= SEQUENCE {
///     certs        SEQUENCE OF ESSCertID,
///     policies     SEQUENCE OF PolicyInformation OPTIONAL }
/// ```
/// OpenSSL's `ts -reply` writes this v1 form unless `ess_cert_id_alg` is set.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct EssCertId {
    pub cert_hash: OctetString,
    pub issuer_serial: Option<IssuerSerial>,
}

/// v1 attribute value.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub(crate) struct SigningCertificate {
    pub certs: Vec<EssCertId>,
    pub policies: Option<Any>,
}

/// The hash algorithm of an ESSCertIDv2 (absent = SHA-256).
pub(crate) fn cert_id_v2_digest(id: &EssCertIdV2) -> Option<DigestAlgorithm> {
    match &id.hash_algorithm {
        None => Some(DigestAlgorithm::Sha256),
        Some(a) if a.oid == oid::SHA1 => None, // v2 exists to get away from SHA-1
        Some(a) => DigestAlgorithm::from_oid(&a.oid),
    }
}
