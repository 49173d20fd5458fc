//! Digest and signature algorithms: their identifiers (RFC 5754, RFC 4055, RFC 8410, RFC 5758),
//! their ring implementations, and the strict/legacy algorithm policy of DESIGN.md §4 rule 5.

use const_oid::ObjectIdentifier;
use std::fmt;

pub(crate) mod pss;
pub(crate) mod pubkey;
pub(crate) mod verify;

/// OIDs used across kyso: the `const-oid` database's constants under kyso's names, hand-typed
/// only where the database (const-oid 0.10) has no entry.
pub mod oid {
    use const_oid::db::{rfc2985, rfc3161, rfc4519, rfc5280, rfc5911, rfc5912, rfc6211, rfc8410};
    use const_oid::ObjectIdentifier as O;
    /// id-sha1
    pub const SHA1: O = rfc5912::ID_SHA_1;
    /// id-sha256
    pub const SHA256: O = rfc5912::ID_SHA_256;
    /// id-sha384
    pub const SHA384: O = rfc5912::ID_SHA_384;
    /// id-sha512
    pub const SHA512: O = rfc5912::ID_SHA_512;
    /// id-ecPublicKey
    pub const EC_PUBLIC_KEY: O = rfc5912::ID_EC_PUBLIC_KEY;
    /// prime256v1 / secp256r1
    pub const P256: O = rfc5912::SECP_256_R_1;
    /// secp384r1
    pub const P384: O = rfc5912::SECP_384_R_1;
    /// secp521r1
    pub const P521: O = rfc5912::SECP_521_R_1;
    /// rsaEncryption
    pub const RSA_ENCRYPTION: O = rfc5912::RSA_ENCRYPTION;
    /// id-RSASSA-PSS
    pub const RSASSA_PSS: O = rfc5912::ID_RSASSA_PSS;
    /// id-mgf1
    pub const MGF1: O = rfc5912::ID_MGF_1;
    /// sha1WithRSAEncryption
    pub const SHA1_WITH_RSA: O = rfc5912::SHA_1_WITH_RSA_ENCRYPTION;
    /// sha256WithRSAEncryption
    pub const SHA256_WITH_RSA: O = rfc5912::SHA_256_WITH_RSA_ENCRYPTION;
    /// sha384WithRSAEncryption
    pub const SHA384_WITH_RSA: O = rfc5912::SHA_384_WITH_RSA_ENCRYPTION;
    /// sha512WithRSAEncryption
    pub const SHA512_WITH_RSA: O = rfc5912::SHA_512_WITH_RSA_ENCRYPTION;
    /// ecdsa-with-SHA1 (RFC 3279 §2.2.3). Hand-typed: not in const-oid 0.10's database.
    pub const ECDSA_SHA1: O = O::new_unwrap("1.2.840.10045.4.1");
    /// ecdsa-with-SHA256
    pub const ECDSA_SHA256: O = rfc5912::ECDSA_WITH_SHA_256;
    /// ecdsa-with-SHA384
    pub const ECDSA_SHA384: O = rfc5912::ECDSA_WITH_SHA_384;
    /// ecdsa-with-SHA512
    pub const ECDSA_SHA512: O = rfc5912::ECDSA_WITH_SHA_512;
    /// id-Ed25519
    pub const ED25519: O = rfc8410::ID_ED_25519;
    /// id-Ed448
    pub const ED448: O = rfc8410::ID_ED_448;
    /// id-sha3-256 (NIST CSOR). Hand-typed, as are the other SHA-3/SHAKE and brainpool OIDs.
    pub const SHA3_256: O = O::new_unwrap("2.16.840.1.101.3.4.2.8");
    /// id-sha3-384
    pub const SHA3_384: O = O::new_unwrap("2.16.840.1.101.3.4.2.9");
    /// id-sha3-512
    pub const SHA3_512: O = O::new_unwrap("2.16.840.1.101.3.4.2.10");
    /// id-shake256 (RFC 8419 §2.3, digest of Ed448 signatures: 512 bits of output)
    pub const SHAKE256: O = O::new_unwrap("2.16.840.1.101.3.4.2.12");
    /// id-shake256-len (RFC 8702 §2: SHAKE256 with the output length as parameter)
    pub const SHAKE256_LEN: O = O::new_unwrap("2.16.840.1.101.3.4.2.18");
    /// brainpoolP256r1 (RFC 5639)
    pub const BRAINPOOL_P256R1: O = O::new_unwrap("1.3.36.3.3.2.8.1.1.7");
    /// brainpoolP384r1 (RFC 5639)
    pub const BRAINPOOL_P384R1: O = O::new_unwrap("1.3.36.3.3.2.8.1.1.11");
    /// id-kp-documentSigning (RFC 9336). Hand-typed: not in const-oid 0.10's database.
    pub const KP_DOCUMENT_SIGNING: O = O::new_unwrap("1.3.6.1.5.5.7.3.36");
    /// id-kp-emailProtection
    pub const KP_EMAIL_PROTECTION: O = rfc5280::ID_KP_EMAIL_PROTECTION;
    /// id-kp-timeStamping
    pub const KP_TIME_STAMPING: O = rfc5280::ID_KP_TIME_STAMPING;
    /// id-data
    pub const CT_DATA: O = rfc5911::ID_DATA;
    /// id-signedData
    pub const CT_SIGNED_DATA: O = rfc5911::ID_SIGNED_DATA;
    /// id-ct-TSTInfo
    pub const CT_TST_INFO: O = rfc3161::ID_CT_TST_INFO;
    /// id-contentType (signed attribute)
    pub const ATTR_CONTENT_TYPE: O = rfc2985::PKCS_9_AT_CONTENT_TYPE;
    /// id-messageDigest (signed attribute)
    pub const ATTR_MESSAGE_DIGEST: O = rfc2985::PKCS_9_AT_MESSAGE_DIGEST;
    /// id-signingTime (signed attribute)
    pub const ATTR_SIGNING_TIME: O = rfc2985::PKCS_9_AT_SIGNING_TIME;
    /// id-aa-signingCertificate (ESS v1, SHA-1)
    pub const ATTR_SIGNING_CERTIFICATE: O = rfc5911::ID_AA_SIGNING_CERTIFICATE;
    /// id-aa-signingCertificateV2 (RFC 5035)
    pub const ATTR_SIGNING_CERTIFICATE_V2: O = rfc5911::ID_AA_SIGNING_CERTIFICATE_V_2;
    /// id-aa-signatureTimeStampToken (unsigned attribute, RFC 3161 appendix A)
    pub const ATTR_SIGNATURE_TIMESTAMP: O = rfc3161::ID_AA_TIME_STAMP_TOKEN;
    /// id-aa-CMSAlgorithmProtection (RFC 6211)
    pub const ATTR_CMS_ALGORITHM_PROTECTION: O = rfc6211::ID_AA_CMS_ALGORITHM_PROTECTION;
    /// UID attribute (RFC 4519), used for MST:/MNS:/CCCD: identifiers
    pub const AT_UID: O = rfc4519::UID;
    /// title attribute (X.520)
    pub const AT_TITLE: O = rfc4519::TITLE;

    #[cfg(test)]
    mod tests {
        /// The database constants are the OIDs kyso's documents and tests name (dotted form as
        /// in the RFCs): a renamed or re-numbered database entry fails here, not in the field.
        #[test]
        fn database_constants_are_the_expected_oids() {
            for (o, dotted) in [
                (super::SHA1, "1.3.14.3.2.26"),
                (super::SHA256, "2.16.840.1.101.3.4.2.1"),
                (super::SHA384, "2.16.840.1.101.3.4.2.2"),
                (super::SHA512, "2.16.840.1.101.3.4.2.3"),
                (super::EC_PUBLIC_KEY, "1.2.840.10045.2.1"),
                (super::P256, "1.2.840.10045.3.1.7"),
                (super::P384, "1.3.132.0.34"),
                (super::P521, "1.3.132.0.35"),
                (super::RSA_ENCRYPTION, "1.2.840.113549.1.1.1"),
                (super::RSASSA_PSS, "1.2.840.113549.1.1.10"),
                (super::MGF1, "1.2.840.113549.1.1.8"),
                (super::SHA1_WITH_RSA, "1.2.840.113549.1.1.5"),
                (super::SHA256_WITH_RSA, "1.2.840.113549.1.1.11"),
                (super::SHA384_WITH_RSA, "1.2.840.113549.1.1.12"),
                (super::SHA512_WITH_RSA, "1.2.840.113549.1.1.13"),
                (super::ECDSA_SHA256, "1.2.840.10045.4.3.2"),
                (super::ECDSA_SHA384, "1.2.840.10045.4.3.3"),
                (super::ECDSA_SHA512, "1.2.840.10045.4.3.4"),
                (super::ED25519, "1.3.101.112"),
                (super::ED448, "1.3.101.113"),
                (super::KP_EMAIL_PROTECTION, "1.3.6.1.5.5.7.3.4"),
                (super::KP_TIME_STAMPING, "1.3.6.1.5.5.7.3.8"),
                (super::CT_DATA, "1.2.840.113549.1.7.1"),
                (super::CT_SIGNED_DATA, "1.2.840.113549.1.7.2"),
                (super::CT_TST_INFO, "1.2.840.113549.1.9.16.1.4"),
                (super::ATTR_CONTENT_TYPE, "1.2.840.113549.1.9.3"),
                (super::ATTR_MESSAGE_DIGEST, "1.2.840.113549.1.9.4"),
                (super::ATTR_SIGNING_TIME, "1.2.840.113549.1.9.5"),
                (super::ATTR_SIGNING_CERTIFICATE, "1.2.840.113549.1.9.16.2.12"),
                (super::ATTR_SIGNING_CERTIFICATE_V2, "1.2.840.113549.1.9.16.2.47"),
                (super::ATTR_SIGNATURE_TIMESTAMP, "1.2.840.113549.1.9.16.2.14"),
                (super::ATTR_CMS_ALGORITHM_PROTECTION, "1.2.840.113549.1.9.52"),
                (super::AT_UID, "0.9.2342.19200300.100.1.1"),
                (super::AT_TITLE, "2.5.4.12"),
            ] {
                assert_eq!(o.to_string(), dotted);
            }
        }
    }
}

/// A message digest algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DigestAlgorithm {
    /// SHA-1: accepted only under the legacy policy.
    Sha1,
    /// SHA-256
    Sha256,
    /// SHA-384
    Sha384,
    /// SHA-512
    Sha512,
    /// SHA3-256 (FIPS 202)
    Sha3_256,
    /// SHA3-384
    Sha3_384,
    /// SHA3-512
    Sha3_512,
    /// SHAKE256 with 512 bits of output (the digest of Ed448 signatures, RFC 8419).
    Shake256,
}

impl DigestAlgorithm {
    /// Every algorithm.
    pub const ALL: [DigestAlgorithm; 8] = [
        DigestAlgorithm::Sha1,
        DigestAlgorithm::Sha256,
        DigestAlgorithm::Sha384,
        DigestAlgorithm::Sha512,
        DigestAlgorithm::Sha3_256,
        DigestAlgorithm::Sha3_384,
        DigestAlgorithm::Sha3_512,
        DigestAlgorithm::Shake256,
    ];

    /// The algorithm's OID (for SHAKE256, id-shake256 without a length).
    pub fn oid(self) -> ObjectIdentifier {
        match self {
            DigestAlgorithm::Sha1 => oid::SHA1,
            DigestAlgorithm::Sha256 => oid::SHA256,
            DigestAlgorithm::Sha384 => oid::SHA384,
            DigestAlgorithm::Sha512 => oid::SHA512,
            DigestAlgorithm::Sha3_256 => oid::SHA3_256,
            DigestAlgorithm::Sha3_384 => oid::SHA3_384,
            DigestAlgorithm::Sha3_512 => oid::SHA3_512,
            DigestAlgorithm::Shake256 => oid::SHAKE256,
        }
    }

    /// Looks an OID up (id-shake256-len is read with its parameter by the CMS layer).
    pub fn from_oid(o: &ObjectIdentifier) -> Option<Self> {
        Self::ALL.into_iter().find(|d| d.oid() == *o)
    }

    /// The ring implementation, for the algorithms ring has (SHA-1 and SHA-2).
    pub(crate) fn ring(self) -> Option<&'static ring::digest::Algorithm> {
        match self {
            DigestAlgorithm::Sha1 => Some(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY),
            DigestAlgorithm::Sha256 => Some(&ring::digest::SHA256),
            DigestAlgorithm::Sha384 => Some(&ring::digest::SHA384),
            DigestAlgorithm::Sha512 => Some(&ring::digest::SHA512),
            _ => None,
        }
    }

    /// Output length in bytes.
    pub fn output_len(self) -> usize {
        match self {
            DigestAlgorithm::Sha1 => 20,
            DigestAlgorithm::Sha256 | DigestAlgorithm::Sha3_256 => 32,
            DigestAlgorithm::Sha384 | DigestAlgorithm::Sha3_384 => 48,
            DigestAlgorithm::Sha512 | DigestAlgorithm::Sha3_512 | DigestAlgorithm::Shake256 => 64,
        }
    }

    /// DER AlgorithmIdentifier with absent parameters, as RFC 5754 §2 prescribes for SHA-2
    /// (and NIST's CSOR for SHA-3 and RFC 8419 for SHAKE256).
    pub fn algorithm_identifier_der(self) -> &'static [u8] {
        match self {
            DigestAlgorithm::Sha1 => &[0x30, 0x07, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02, 0x1a],
            DigestAlgorithm::Sha256 => &[0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01],
            DigestAlgorithm::Sha384 => &[0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02],
            DigestAlgorithm::Sha512 => &[0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03],
            DigestAlgorithm::Sha3_256 => &[0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x08],
            DigestAlgorithm::Sha3_384 => &[0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x09],
            DigestAlgorithm::Sha3_512 => &[0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x0a],
            DigestAlgorithm::Shake256 => &[0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x0c],
        }
    }

    /// Display name ("SHA-256").
    pub fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Sha1 => "SHA-1",
            DigestAlgorithm::Sha256 => "SHA-256",
            DigestAlgorithm::Sha384 => "SHA-384",
            DigestAlgorithm::Sha512 => "SHA-512",
            DigestAlgorithm::Sha3_256 => "SHA3-256",
            DigestAlgorithm::Sha3_384 => "SHA3-384",
            DigestAlgorithm::Sha3_512 => "SHA3-512",
            DigestAlgorithm::Shake256 => "SHAKE256",
        }
    }

    /// Whether this is SHA-1 (allowed by the legacy policy only).
    pub fn is_sha1(self) -> bool {
        self == DigestAlgorithm::Sha1
    }

    /// One-shot digest.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let mut h = Hasher::new(self);
        h.update(data);
        h.finish()
    }
}

/// An incremental digest of any [`DigestAlgorithm`]: ring for SHA-1 and SHA-2 (the fast path
/// every document takes), RustCrypto `sha3` for SHA-3 and SHAKE256.
#[derive(Clone)]
pub struct Hasher(HasherInner);

#[derive(Clone)]
enum HasherInner {
    Ring(ring::digest::Context),
    Sha3_256(sha3::Sha3_256),
    Sha3_384(sha3::Sha3_384),
    Sha3_512(sha3::Sha3_512),
    Shake256(shake::Shake256),
}

impl fmt::Debug for Hasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Hasher")
    }
}

impl Hasher {
    /// A new digest computation.
    pub fn new(alg: DigestAlgorithm) -> Hasher {
        use sha3::Digest as _;
        Hasher(match alg.ring() {
            Some(r) => HasherInner::Ring(ring::digest::Context::new(r)),
            None => match alg {
                DigestAlgorithm::Sha3_256 => HasherInner::Sha3_256(sha3::Sha3_256::new()),
                DigestAlgorithm::Sha3_384 => HasherInner::Sha3_384(sha3::Sha3_384::new()),
                DigestAlgorithm::Sha3_512 => HasherInner::Sha3_512(sha3::Sha3_512::new()),
                _ => HasherInner::Shake256(shake::Shake256::default()),
            },
        })
    }

    /// Feeds bytes.
    pub fn update(&mut self, data: &[u8]) {
        use sha3::digest::Update as _;
        match &mut self.0 {
            HasherInner::Ring(c) => c.update(data),
            HasherInner::Sha3_256(h) => h.update(data),
            HasherInner::Sha3_384(h) => h.update(data),
            HasherInner::Sha3_512(h) => h.update(data),
            HasherInner::Shake256(h) => h.update(data),
        }
    }

    /// The digest.
    pub fn finish(self) -> Vec<u8> {
        use sha3::digest::{ExtendableOutput as _, FixedOutput as _, XofReader as _};
        match self.0 {
            HasherInner::Ring(c) => c.finish().as_ref().to_vec(),
            HasherInner::Sha3_256(h) => h.finalize_fixed().to_vec(),
            HasherInner::Sha3_384(h) => h.finalize_fixed().to_vec(),
            HasherInner::Sha3_512(h) => h.finalize_fixed().to_vec(),
            HasherInner::Shake256(h) => {
                let mut out = vec![0u8; 64];
                h.finalize_xof().read(&mut out);
                out
            }
        }
    }
}

impl fmt::Display for DigestAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A CMS signature scheme as resolved from a SignerInfo (signature and digest algorithms).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignatureScheme {
    /// ECDSA with this digest.
    Ecdsa(DigestAlgorithm),
    /// RSA PKCS#1 v1.5 with this digest.
    RsaPkcs1(DigestAlgorithm),
    /// RSASSA-PSS with this digest (MGF1 with the same digest, salt = digest length).
    RsaPss(DigestAlgorithm),
    /// RSASSA-PSS with another salt length.
    RsaPssSalt {
        /// The digest (and MGF1 digest).
        hash: DigestAlgorithm,
        /// The salt length in bytes.
        salt_len: usize,
    },
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
}

impl SignatureScheme {
    /// The digest inside the scheme.
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            SignatureScheme::Ecdsa(d) | SignatureScheme::RsaPkcs1(d) | SignatureScheme::RsaPss(d) => d,
            SignatureScheme::RsaPssSalt { hash, .. } => hash,
            SignatureScheme::Ed25519 => DigestAlgorithm::Sha512,
            SignatureScheme::Ed448 => DigestAlgorithm::Shake256,
        }
    }
}

/// A public key as the algorithm policy sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyDescription {
    /// RSA with this modulus size.
    Rsa {
        /// Modulus bits.
        bits: usize,
    },
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// ECDSA on P-521.
    EcdsaP521,
    /// ECDSA on brainpoolP256r1.
    EcdsaBrainpoolP256,
    /// ECDSA on brainpoolP384r1.
    EcdsaBrainpoolP384,
    /// Ed25519.
    Ed25519,
    /// Ed448.
    Ed448,
}

/// Why the algorithm policy refuses a certificate's key.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeyProblem {
    /// An RSA key below the policy's minimum.
    RsaTooSmall {
        /// Its size.
        bits: usize,
        /// The minimum.
        minimum: usize,
    },
    /// An RSA key above the largest size kyso computes with.
    RsaTooLarge {
        /// Its size.
        bits: usize,
        /// The maximum.
        maximum: usize,
    },
    /// An elliptic curve the policy does not allow.
    CurveNotAllowed {
        /// The curve's OID (dotted), empty when absent.
        curve: String,
    },
    /// A public-key algorithm the policy does not allow.
    AlgorithmNotAllowed {
        /// The algorithm's OID (dotted).
        algorithm: String,
    },
}

/// A signature algorithm kyso can create (and, with SHA-1 variants, verify).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SignatureAlgorithm {
    /// ECDSA P-256 with SHA-256 (kyso's default).
    EcdsaP256Sha256,
    /// ECDSA P-384 with SHA-384.
    EcdsaP384Sha384,
    /// Ed25519 (OpenSSL 3.0's CMS cannot verify it).
    Ed25519,
    /// RSASSA-PSS with SHA-256, MGF1-SHA-256, salt 32 (the default for new RSA signatures).
    RsaPssSha256,
    /// RSA PKCS#1 v1.5 with SHA-256.
    RsaPkcs1Sha256,
}

impl SignatureAlgorithm {
    /// The digest the signature uses.
    pub fn digest(self) -> DigestAlgorithm {
        match self {
            SignatureAlgorithm::EcdsaP384Sha384 => DigestAlgorithm::Sha384,
            SignatureAlgorithm::Ed25519 => DigestAlgorithm::Sha512,
            _ => DigestAlgorithm::Sha256,
        }
    }

    /// DER AlgorithmIdentifier for certificates and CMS signatureAlgorithm fields.
    pub fn algorithm_identifier_der(self) -> &'static [u8] {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02],
            SignatureAlgorithm::EcdsaP384Sha384 => &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03],
            SignatureAlgorithm::Ed25519 => &[0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70],
            SignatureAlgorithm::RsaPkcs1Sha256 => &[
                0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00,
            ],
            SignatureAlgorithm::RsaPssSha256 => &RSA_PSS_SHA256_ALG_ID,
        }
    }

    /// Display name.
    pub fn name(self) -> &'static str {
        match self {
            SignatureAlgorithm::EcdsaP256Sha256 => "ECDSA P-256 with SHA-256",
            SignatureAlgorithm::EcdsaP384Sha384 => "ECDSA P-384 with SHA-384",
            SignatureAlgorithm::Ed25519 => "Ed25519",
            SignatureAlgorithm::RsaPssSha256 => "RSASSA-PSS with SHA-256",
            SignatureAlgorithm::RsaPkcs1Sha256 => "RSA PKCS#1 v1.5 with SHA-256",
        }
    }
}

impl fmt::Display for SignatureAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// id-RSASSA-PSS AlgorithmIdentifier with SHA-256, MGF1-SHA-256, saltLength 32, trailerField 1
/// (default, omitted) — RFC 4055 §3.1, the form OpenSSL writes for `-keyopt rsa_padding_mode:pss`.
pub const RSA_PSS_SHA256_ALG_ID: [u8; 67] = [
    0x30, 0x41, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a, 0x30, 0x34, 0xa0, 0x0f, 0x30,
    0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa1, 0x1c, 0x30, 0x1a,
    0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48,
    0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2, 0x03, 0x02, 0x01, 0x20,
];

/// Algorithm policy of DESIGN.md §4 rule 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Policy {
    /// SHA-2 and SHA-3 (and SHAKE256 for Ed448); RSA ≥ 2048 bits (PKCS#1 v1.5 and PSS); ECDSA
    /// on P-256, P-384, P-521, brainpoolP256r1 and brainpoolP384r1; Ed25519 and Ed448.
    #[default]
    Strict,
    /// Strict plus SHA-1 (RSA and ECDSA) and RSA keys of 1024–2047 bits (documents signed
    /// around 2012), each reported with a warning on every signature that needed it.
    Legacy,
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    #[test]
    fn algorithm_identifiers_decode_to_their_oids() {
        for (d, o) in [
            (DigestAlgorithm::Sha1, oid::SHA1),
            (DigestAlgorithm::Sha256, oid::SHA256),
            (DigestAlgorithm::Sha384, oid::SHA384),
            (DigestAlgorithm::Sha512, oid::SHA512),
            (DigestAlgorithm::Sha3_256, oid::SHA3_256),
            (DigestAlgorithm::Sha3_384, oid::SHA3_384),
            (DigestAlgorithm::Sha3_512, oid::SHA3_512),
            (DigestAlgorithm::Shake256, oid::SHAKE256),
        ] {
            let ai = spki::AlgorithmIdentifierOwned::from_der(d.algorithm_identifier_der()).unwrap();
            assert_eq!(ai.oid, o);
            assert!(ai.parameters.is_none());
            assert_eq!(ai.to_der().unwrap(), d.algorithm_identifier_der());
        }
        for (s, o) in [
            (SignatureAlgorithm::EcdsaP256Sha256, oid::ECDSA_SHA256),
            (SignatureAlgorithm::EcdsaP384Sha384, oid::ECDSA_SHA384),
            (SignatureAlgorithm::Ed25519, oid::ED25519),
            (SignatureAlgorithm::RsaPkcs1Sha256, oid::SHA256_WITH_RSA),
            (SignatureAlgorithm::RsaPssSha256, oid::RSASSA_PSS),
        ] {
            let ai = spki::AlgorithmIdentifierOwned::from_der(s.algorithm_identifier_der()).unwrap();
            assert_eq!(ai.oid, o, "{s}");
            assert_eq!(ai.to_der().unwrap(), s.algorithm_identifier_der());
        }
    }

    /// Known-answer tests (FIPS 202 / NIST examples for "abc"), the length of every digest, and
    /// incremental hashing equal to one-shot.
    #[test]
    fn digests_known_answers() {
        let h = |d: DigestAlgorithm| hex::encode(d.digest(b"abc"));
        assert_eq!(h(DigestAlgorithm::Sha3_256), "3a985da74fe225b2045c172d6bd390bd855f086e3e9d525b46bfe24511431532");
        assert!(h(DigestAlgorithm::Sha3_384).starts_with("ec01498288516fc926459f58e2c6ad8df9b473cb0fc08c25"));
        assert!(h(DigestAlgorithm::Sha3_512).starts_with("b751850b1a57168a5693cd924b6b096e08f621827444f70d"));
        assert!(h(DigestAlgorithm::Shake256).starts_with("483366601360a8771c6863080cc4114d8db44530f8f1e1ee4f94ea37e78b5739"));
        for d in DigestAlgorithm::ALL {
            assert_eq!(d.digest(b"").len(), d.output_len(), "{d}");
            let mut inc = Hasher::new(d);
            inc.update(b"ab");
            inc.update(b"c");
            assert_eq!(inc.finish(), d.digest(b"abc"), "{d}");
            assert_eq!(DigestAlgorithm::from_oid(&d.oid()), Some(d));
        }
    }
}
