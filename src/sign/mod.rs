//! Signing documents: detached CMS SignedData (RFC 5652), DER, profile CAdES-B-B (ETSI EN
//! 319 122-1) — signed attributes content-type, message-digest, signing-time and
//! signing-certificate-v2 (RFC 5035); the signer certificate and its chain (not the root)
//! embedded; `sid` = issuerAndSerialNumber.
//!
//! A [`DocumentSigner`] loads a certificate, its chain and a key once and then signs any number
//! of documents, from any thread. Everything that depends only on the signer (certificate hash,
//! issuer and serial, algorithm identifiers, the attribute encodings, the certificates field) is
//! encoded once in [`DocumentSigner::new`]; per document there remain the streaming digest, two
//! small attributes, one signature and the concatenation of precomputed bytes.
//!
//! [`DocumentSigner::add_to`] appends a signer to an existing signature (the agency's after
//! the competent person's), after checking that the existing signers signed this document.
//!
//! The library never reads the clock: the signing time is an argument of every call.
//!
//! ```
//! use kyso::sign::DocumentSigner;
//! use kyso::{KeyAlgorithm, PrivateKey};
//! # let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
//! # let kp = key.rcgen_key_pair()?;
//! # let mut p = rcgen::CertificateParams::new(vec![]).unwrap();
//! # p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
//! # p.not_before = time::macros::datetime!(2026-01-01 0:00 UTC);
//! # p.not_after = time::macros::datetime!(2027-01-01 0:00 UTC);
//! # let cert = p.self_signed(&kp).unwrap().der().to_vec();
//! let signer = DocumentSigner::new(key, &cert, &[])?;
//! let at = time::macros::datetime!(2026-11-30 08:00 +07:00);
//! let p7s = signer.sign_bytes("Công văn số 123/UBND-VP".as_bytes(), at)?;
//! assert_eq!(p7s[0], 0x30);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod attributes;
pub mod batch;
mod digest;
mod signer;
#[cfg(test)]
mod tests;

pub use attributes::{content_type_name, signing_time_der};
pub use digest::{digest_file, digest_reader, READ_BUFFER};
pub use signer::DocumentSigner;

use crate::alg::DigestAlgorithm;
use crate::cms::assemble::RawError;
use crate::keys::KeyError;
use crate::util::rfc3339;
use std::io;
use time::OffsetDateTime;

/// Errors of signing.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SignError {
    /// The signer or a chain certificate cannot be parsed.
    #[error("cannot read the certificate: {0}")]
    CertificateMalformed(String),
    /// The private key is not the certificate's key.
    #[error("the private key does not match the certificate (the certificate holds a different public key)")]
    KeyMismatch,
    /// The certificate is not yet valid at the time given.
    #[error("the certificate is not yet valid: valid from {} (checked at {})", rfc3339(.not_before), rfc3339(.at))]
    NotYetValid {
        /// Its notBefore.
        not_before: OffsetDateTime,
        /// The time checked.
        at: OffsetDateTime,
    },
    /// The certificate has expired at the time given.
    #[error("the certificate expired on {} (checked at {})", rfc3339(.not_after), rfc3339(.at))]
    Expired {
        /// Its notAfter.
        not_after: OffsetDateTime,
        /// The time checked.
        at: OffsetDateTime,
    },
    /// A CA certificate cannot sign documents.
    #[error("the certificate is a CA certificate (basicConstraints CA:TRUE); documents are signed with a unit's or a person's certificate")]
    CaCertificate,
    /// keyUsage has neither digitalSignature nor nonRepudiation.
    #[error("the certificate's keyUsage has neither digitalSignature nor nonRepudiation, which document signatures need")]
    KeyUsage,
    /// The certificate has no keyUsage extension (DESIGN.md §4 rule 3 needs one of the bits).
    #[error("the certificate has no keyUsage extension; document signatures need digitalSignature or nonRepudiation")]
    NoKeyUsage,
    /// extendedKeyUsage is present and allows neither documentSigning nor emailProtection.
    #[error("the certificate's extendedKeyUsage allows neither documentSigning (1.3.6.1.5.5.7.3.36) nor emailProtection")]
    ExtendedKeyUsage,
    /// The key failed to sign.
    #[error("signing failed: {0}")]
    Key(#[from] KeyError),
    /// Reading the document failed.
    #[error("cannot read the document: {0}")]
    Io(#[from] io::Error),
    /// An encoding step failed (should not happen with valid certificates).
    #[error("encoding failed: {0}")]
    Encoding(der::Error),
    /// The signing time cannot be encoded (year outside 0–9999).
    #[error("the signing time {0} cannot be encoded")]
    Time(String),
    /// The existing signature (for `add_to`) cannot be used.
    #[error("the existing signature cannot be extended: {0}")]
    Existing(#[from] RawError),
    /// An existing signer cannot be checked against the document.
    #[error("existing signer {index}: {reason}")]
    ExistingSigner {
        /// 1-based position in the file.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// An existing signer's message digest differs from the document's: the signature
    /// belongs to a different document (or the document was changed since).
    #[error("the existing signature is not a signature of this document: signer {index}'s message digest ({algorithm}) differs from the document's")]
    DifferentDocument {
        /// 1-based position of the signer in the file.
        index: usize,
        /// The digest algorithm compared.
        algorithm: DigestAlgorithm,
    },
    /// The existing signature encapsulates a content that is not this document.
    #[error("the existing signature encapsulates a different content than this document")]
    ContentDiffers,
    /// This certificate has already signed.
    #[error("this certificate has already signed it (signer {index})")]
    AlreadySigned {
        /// 1-based position of the existing SignerInfo.
        index: usize,
    },
}

impl From<der::Error> for SignError {
    fn from(e: der::Error) -> Self {
        SignError::Encoding(e)
    }
}

/// The signed-attribute profile of the signatures a [`DocumentSigner`] makes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Profile {
    /// CAdES-B-B (detached `.p7s`): content-type, message-digest, signing-time,
    /// signing-certificate-v2.
    #[default]
    Cades,
    /// PAdES-B-B (the CMS inside a PDF, ETSI EN 319 142-1 §6.3): content-type, message-digest,
    /// signing-certificate-v2 and **no** signing-time attribute (the time goes in the signature
    /// dictionary's /M).
    Pades,
}

