//! The bridge between kyso's [`Signer`] trait and rcgen's `SigningKey`: issuance works with any
//! signer (a file key today, a PKCS#11 token later), never with raw key bytes.

use crate::alg::SignatureAlgorithm;
use crate::keys::{KeyError, Signer};
use der::Decode;

/// A kyso [`Signer`] seen by rcgen.
pub(crate) struct RcgenSigner<'a> {
    signer: &'a dyn Signer,
    alg: &'static rcgen::SignatureAlgorithm,
    raw_public_key: Vec<u8>,
}

impl<'a> RcgenSigner<'a> {
    /// Wraps `signer`; fails for algorithms rcgen cannot write (RSASSA-PSS).
    pub(crate) fn new(signer: &'a dyn Signer) -> Result<Self, KeyError> {
        let alg: &'static rcgen::SignatureAlgorithm = match signer.signature_algorithm() {
            SignatureAlgorithm::EcdsaP256Sha256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            SignatureAlgorithm::EcdsaP384Sha384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            SignatureAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
            SignatureAlgorithm::RsaPkcs1Sha256 => &rcgen::PKCS_RSA_SHA256,
            SignatureAlgorithm::RsaPssSha256 => {
                return Err(KeyError::Unsupported(
                    "RSASSA-PSS for certificates and CRLs (use PKCS#1 v1.5 or an ECDSA key)".into(),
                ))
            }
        };
        let spki = spki::SubjectPublicKeyInfoRef::from_der(signer.public_key_spki())
            .map_err(|e| KeyError::Malformed(format!("public key: {e}")))?;
        let raw_public_key = spki.subject_public_key.raw_bytes().to_vec();
        Ok(RcgenSigner { signer, alg, raw_public_key })
    }
}

impl rcgen::PublicKeyData for RcgenSigner<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.raw_public_key
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        self.alg
    }
}

impl rcgen::SigningKey for RcgenSigner<'_> {
    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        self.signer.sign(msg).map_err(|_| rcgen::Error::RingUnspecified)
    }
}
