//! Private keys: generation, encrypted PKCS#8 at rest (PBES2: PBKDF2-SHA256 or scrypt with
//! AES-256-CBC), reading keys made by OpenSSL, and the [`Signer`] abstraction that file keys and
//! hardware-token keys (`pkcs11::TokenKey`, feature `pkcs11`) both implement.
//!
//! Key material is held in [`Zeroizing`] buffers and never printed: [`PrivateKey`]'s `Debug`
//! shows only the algorithm.

use crate::alg::{oid, SignatureAlgorithm};
use der::asn1::{AnyRef, BitString, ObjectIdentifier};
use der::{Decode, Encode};
use ring::rand::SystemRandom;
use ring::signature::{self as rsig, KeyPair as _};
use std::fmt;
use zeroize::Zeroizing;

/// PBKDF2-SHA256 iteration count for new keys: OWASP's 2023 recommendation (600,000),
/// about 60 ms to open on this kind of machine.
pub const PBKDF2_ITERATIONS: u32 = 600_000;

/// The most PBKDF2 iterations a key file may ask for before kyso refuses to open it: RFC 8018
/// §4.2's figure for "especially critical keys" (10,000,000), about 17× [`PBKDF2_ITERATIONS`]
/// and 4,900× OpenSSL's default (2,048), about 1 s to open on this kind of machine. The count is
/// written in the (unauthenticated) file, so without a cap a hostile key file could state
/// 2³²−1 iterations and keep `KeyFile::open` busy for minutes.
pub const MAX_PBKDF2_ITERATIONS: u32 = 10_000_000;

/// The most memory an scrypt key file may ask for, in bytes, counted as OpenSSL counts it
/// (128·r·(N+2) + 128·r·p): 32 MiB, OpenSSL's own default limit (`SCRYPT_MAX_MEM` in
/// providers/implementations/kdfs/scrypt.c), so every scrypt key OpenSSL can open with its
/// defaults opens here too. Without it a stated N of 2⁴⁰ asks the allocator for a petabyte.
pub const MAX_SCRYPT_MEMORY: u64 = 32 * 1024 * 1024;

/// The most scrypt work (N·r·p, to which its running time is proportional) a key file may ask
/// for: 2²¹, 16× the parameters kyso and OpenSSL write (N = 2¹⁴, r = 8, p = 1), the same order
/// of cost as [`MAX_PBKDF2_ITERATIONS`]. The memory cap alone would still let p (up to 65,535)
/// multiply the time.
pub const MAX_SCRYPT_WORK: u64 = 1 << 21;

/// The algorithm of a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyAlgorithm {
    /// ECDSA on P-256.
    EcdsaP256,
    /// ECDSA on P-384.
    EcdsaP384,
    /// Ed25519.
    Ed25519,
    /// RSA with a modulus of this many bits.
    Rsa(usize),
}

impl fmt::Display for KeyAlgorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyAlgorithm::EcdsaP256 => f.write_str("ECDSA P-256"),
            KeyAlgorithm::EcdsaP384 => f.write_str("ECDSA P-384"),
            KeyAlgorithm::Ed25519 => f.write_str("Ed25519"),
            KeyAlgorithm::Rsa(bits) => write!(f, "RSA {bits}"),
        }
    }
}

/// RSA signature padding for new signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RsaPadding {
    /// RSASSA-PSS (the default: Vietnamese rules ask for PSS in new signatures).
    #[default]
    Pss,
    /// PKCS#1 v1.5, for recipients that need it.
    Pkcs1,
}

/// The key-derivation function used to encrypt a key at rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kdf {
    /// PBKDF2-HMAC-SHA256 with this many iterations.
    Pbkdf2Sha256 {
        /// Iteration count ([`PBKDF2_ITERATIONS`] by default).
        iterations: u32,
    },
    /// scrypt with log2(N) = 14, r = 8, p = 1 (within OpenSSL's default memory limit).
    Scrypt,
}

impl Default for Kdf {
    fn default() -> Self {
        Kdf::Pbkdf2Sha256 { iterations: PBKDF2_ITERATIONS }
    }
}

/// Errors of key handling.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum KeyError {
    /// The key file is encrypted and no passphrase was given.
    #[error("the key is encrypted and no passphrase was given")]
    PassphraseRequired,
    /// Decryption failed: the passphrase is wrong (or the file is damaged).
    #[error("wrong passphrase (or a damaged key file)")]
    WrongPassphrase,
    /// The file is not a private key kyso can read.
    #[error("not a private key: {0}")]
    Malformed(String),
    /// A key algorithm or curve kyso does not support.
    #[error("unsupported key: {0}")]
    Unsupported(String),
    /// The key is too weak for the policy (e.g. RSA < 2048).
    #[error("key too weak: {0}")]
    TooWeak(String),
    /// Key generation or signing failed in the crypto library.
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
    /// The key file asks for more key-derivation work than kyso allows
    /// ([`MAX_PBKDF2_ITERATIONS`], [`MAX_SCRYPT_MEMORY`], [`MAX_SCRYPT_WORK`]): a hostile or
    /// damaged file. Nothing was derived.
    #[error("the key file asks for too much key-derivation work: {kdf} {parameter} {stated} (at most {limit})")]
    ExcessiveWork {
        /// `PBKDF2` or `scrypt`.
        kdf: &'static str,
        /// What is over the limit: `iterations`, `memory (bytes)` or `work (N·r·p)`.
        parameter: &'static str,
        /// The value the file states (or implies).
        stated: u64,
        /// The limit.
        limit: u64,
    },
    /// A hardware token (PKCS#11) failed an operation on a key it holds.
    #[error("the token failed to {operation}: {code}")]
    Token {
        /// What was asked of the token (`sign`, `open a session`).
        operation: &'static str,
        /// The PKCS#11 return value (`CKR_DEVICE_REMOVED`, …) or the binding's words.
        code: String,
    },
}

/// Signs messages with a private key. File keys implement it; a PKCS#11 token can too.
pub trait Signer: Send + Sync {
    /// The algorithm of the signatures this signer makes.
    fn signature_algorithm(&self) -> SignatureAlgorithm;
    /// The public key as a DER SubjectPublicKeyInfo.
    fn public_key_spki(&self) -> &[u8];
    /// Signs `message` (the signer hashes it).
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError>;
}

/// A boxed signer signs as the signer inside (file and token keys chosen at run time).
impl<S: Signer + ?Sized> Signer for Box<S> {
    fn signature_algorithm(&self) -> SignatureAlgorithm {
        (**self).signature_algorithm()
    }
    fn public_key_spki(&self) -> &[u8] {
        (**self).public_key_spki()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        (**self).sign(message)
    }
}

/// A shared signer signs as the signer inside.
impl<S: Signer + ?Sized> Signer for std::sync::Arc<S> {
    fn signature_algorithm(&self) -> SignatureAlgorithm {
        (**self).signature_algorithm()
    }
    fn public_key_spki(&self) -> &[u8] {
        (**self).public_key_spki()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        (**self).sign(message)
    }
}

/// True when two DER SubjectPublicKeyInfos hold the same key: the algorithm OID and the key bits
/// (parameter encodings may differ).
pub(crate) fn same_public_key(a: &[u8], b: &[u8]) -> bool {
    match (spki::SubjectPublicKeyInfoRef::from_der(a), spki::SubjectPublicKeyInfoRef::from_der(b)) {
        (Ok(a), Ok(b)) => a.algorithm.oid == b.algorithm.oid && a.subject_public_key == b.subject_public_key,
        _ => false,
    }
}

enum Inner {
    Ecdsa(rsig::EcdsaKeyPair),
    Ed25519(rsig::Ed25519KeyPair),
    Rsa(rsig::RsaKeyPair),
}

/// A private key held in memory.
pub struct PrivateKey {
    pkcs8: Zeroizing<Vec<u8>>,
    algorithm: KeyAlgorithm,
    spki: Vec<u8>,
    rsa_padding: RsaPadding,
    inner: Inner,
    rng: SystemRandom,
}

impl fmt::Debug for PrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PrivateKey").field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

/// A key file as read from disk, before decryption.
pub enum KeyFile {
    /// An EncryptedPrivateKeyInfo (DER).
    Encrypted(Vec<u8>),
    /// A plain PKCS#8 PrivateKeyInfo (DER); SEC1 and PKCS#1 inputs are converted to it.
    Plain(Zeroizing<Vec<u8>>),
}

impl fmt::Debug for KeyFile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeyFile::Encrypted(_) => f.write_str("KeyFile::Encrypted"),
            KeyFile::Plain(_) => f.write_str("KeyFile::Plain"),
        }
    }
}

impl KeyFile {
    /// Reads a key file: PEM (`ENCRYPTED PRIVATE KEY`, `PRIVATE KEY`, `EC PRIVATE KEY`,
    /// `RSA PRIVATE KEY`) or DER (PKCS#8, encrypted or not).
    pub fn parse(bytes: &[u8]) -> Result<KeyFile, KeyError> {
        if crate::objects::is_pem(bytes) {
            let blocks = crate::objects::pem_blocks(bytes).map_err(|e| KeyError::Malformed(e.to_string()))?;
            for (label, der) in blocks {
                let der = Zeroizing::new(der);
                match label.as_str() {
                    "ENCRYPTED PRIVATE KEY" => return Ok(KeyFile::Encrypted(der.to_vec())),
                    "PRIVATE KEY" => return Ok(KeyFile::Plain(der)),
                    "EC PRIVATE KEY" => return sec1_to_pkcs8(&der).map(KeyFile::Plain),
                    "RSA PRIVATE KEY" => {
                        return Ok(KeyFile::Plain(wrap_pkcs8(oid::RSA_ENCRYPTION, Some(AnyRef::NULL), &der)?))
                    }
                    "CERTIFICATE" | "CERTIFICATE REQUEST" | "X509 CRL" | "PUBLIC KEY" => {
                        return Err(KeyError::Malformed(format!(
                            "this file holds a '{label}', not a private key"
                        )))
                    }
                    _ => continue,
                }
            }
            return Err(KeyError::Malformed("no PRIVATE KEY block in the PEM file".into()));
        }
        crate::objects::check_single_der(bytes).map_err(|e| KeyError::Malformed(e.to_string()))?;
        if pkcs8::EncryptedPrivateKeyInfoRef::try_from(bytes).is_ok() {
            return Ok(KeyFile::Encrypted(bytes.to_vec()));
        }
        if pkcs8::PrivateKeyInfoRef::try_from(bytes).is_ok() {
            return Ok(KeyFile::Plain(Zeroizing::new(bytes.to_vec())));
        }
        Err(KeyError::Malformed("neither a PKCS#8 key nor an encrypted PKCS#8 key".into()))
    }

    /// How the key is encrypted, for display (`kyso inspect`): the key-derivation function with
    /// its parameters as the file states them, and the cipher, e.g. `PBES2: PBKDF2 with
    /// HMAC-SHA-256, 600000 iterations; AES-256-CBC`. None for a plain key. Nothing is derived.
    pub fn encryption(&self) -> Option<String> {
        use pkcs8::pkcs5::{pbes2, EncryptionScheme};
        let KeyFile::Encrypted(der) = self else { return None };
        let Ok(info) = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_slice()) else {
            return Some("unreadable encryption parameters".into());
        };
        let params = match &info.encryption_algorithm {
            EncryptionScheme::Pbes2(p) => p,
            EncryptionScheme::Pbes1(p) => return Some(format!("PBES1 ({}), not supported", p.oid())),
            _ => return Some("an unknown encryption scheme".into()),
        };
        let kdf = match &params.kdf {
            pbes2::Kdf::Pbkdf2(p) => {
                let prf = match p.prf {
                    pbes2::Pbkdf2Prf::HmacWithSha1 => "HMAC-SHA-1",
                    pbes2::Pbkdf2Prf::HmacWithSha224 => "HMAC-SHA-224",
                    pbes2::Pbkdf2Prf::HmacWithSha256 => "HMAC-SHA-256",
                    pbes2::Pbkdf2Prf::HmacWithSha384 => "HMAC-SHA-384",
                    pbes2::Pbkdf2Prf::HmacWithSha512 => "HMAC-SHA-512",
                    _ => "another PRF",
                };
                format!("PBKDF2 with {prf}, {} iterations", p.iteration_count)
            }
            pbes2::Kdf::Scrypt(p) => format!("scrypt N = {}, r = {}, p = {}", p.cost_parameter, p.block_size, p.parallelization),
            other => format!("key derivation {}", other.oid()),
        };
        let cipher = match params.encryption {
            pbes2::EncryptionScheme::Aes128Cbc { .. } => "AES-128-CBC".to_string(),
            pbes2::EncryptionScheme::Aes192Cbc { .. } => "AES-192-CBC".to_string(),
            pbes2::EncryptionScheme::Aes256Cbc { .. } => "AES-256-CBC".to_string(),
            pbes2::EncryptionScheme::Aes128Gcm { .. } => "AES-128-GCM".to_string(),
            pbes2::EncryptionScheme::Aes256Gcm { .. } => "AES-256-GCM".to_string(),
            other => format!("cipher {}", other.oid()),
        };
        Some(format!("PBES2: {kdf}; {cipher}"))
    }

    /// True when a passphrase is needed to open it.
    pub fn is_encrypted(&self) -> bool {
        matches!(self, KeyFile::Encrypted(_))
    }

    /// Decrypts (if needed) and loads the key. The key-derivation cost the file states is
    /// checked first ([`MAX_PBKDF2_ITERATIONS`], [`MAX_SCRYPT_MEMORY`], [`MAX_SCRYPT_WORK`]):
    /// over a cap, [`KeyError::ExcessiveWork`] is returned without deriving anything.
    pub fn open(&self, passphrase: Option<&[u8]>) -> Result<PrivateKey, KeyError> {
        match self {
            KeyFile::Plain(der) => PrivateKey::from_pkcs8_der(der),
            KeyFile::Encrypted(der) => {
                let pass = passphrase.ok_or(KeyError::PassphraseRequired)?;
                let info: pkcs8::EncryptedPrivateKeyInfoRef<'_> = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_slice())
                    .map_err(|e| KeyError::Malformed(e.to_string()))?;
                check_kdf_cost(&info.encryption_algorithm)?;
                let doc = info.decrypt(pass).map_err(|_| KeyError::WrongPassphrase)?;
                match PrivateKey::from_pkcs8_der(doc.as_bytes()) {
                    // A wrong passphrase that happens to give valid padding yields garbage.
                    Err(KeyError::Malformed(_)) => Err(KeyError::WrongPassphrase),
                    other => other,
                }
            }
        }
    }
}

/// Refuses key-derivation parameters over kyso's caps before any work is done (the parameters
/// come from the file and are not authenticated). PBES1 is not capped here: it cannot be
/// decrypted at all (pkcs5 refuses it).
pub(crate) fn check_kdf_cost(scheme: &pkcs8::pkcs5::EncryptionScheme) -> Result<(), KeyError> {
    use pkcs8::pkcs5::pbes2::Kdf as K;
    let pkcs8::pkcs5::EncryptionScheme::Pbes2(params) = scheme else { return Ok(()) };
    match &params.kdf {
        K::Pbkdf2(p) if p.iteration_count > MAX_PBKDF2_ITERATIONS => Err(KeyError::ExcessiveWork {
            kdf: "PBKDF2",
            parameter: "iterations",
            stated: p.iteration_count.into(),
            limit: MAX_PBKDF2_ITERATIONS.into(),
        }),
        K::Pbkdf2(_) => Ok(()),
        K::Scrypt(p) => {
            let (n, r, par) = (p.cost_parameter, u64::from(p.block_size), u64::from(p.parallelization));
            // RFC 7914 §2: N is a power of 2 greater than 1; r and p are positive.
            if n < 2 || !n.is_power_of_two() || r == 0 || par == 0 {
                return Err(KeyError::Malformed(format!("scrypt parameters N = {n}, r = {r}, p = {par} are invalid (RFC 7914)")));
            }
            // r, p < 2^16 and N ≤ 2^63: the products are computed in u128 so that none overflows.
            let wide = |v: u128| u64::try_from(v).unwrap_or(u64::MAX);
            let (n, r, par) = (u128::from(n), u128::from(r), u128::from(par));
            let memory = wide(128 * r * (n + 2) + 128 * r * par);
            if memory > MAX_SCRYPT_MEMORY {
                return Err(KeyError::ExcessiveWork { kdf: "scrypt", parameter: "memory (bytes)", stated: memory, limit: MAX_SCRYPT_MEMORY });
            }
            let work = wide(n * r * par);
            if work > MAX_SCRYPT_WORK {
                return Err(KeyError::ExcessiveWork { kdf: "scrypt", parameter: "work (N·r·p)", stated: work, limit: MAX_SCRYPT_WORK });
            }
            Ok(())
        }
        // A KDF pkcs5 does not know cannot be run either.
        _ => Ok(()),
    }
}

fn wrap_pkcs8(alg: ObjectIdentifier, params: Option<AnyRef<'_>>, key: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let ai = spki::AlgorithmIdentifier { oid: alg, parameters: params };
    let pki = pkcs8::PrivateKeyInfoRef::new(
        ai,
        der::asn1::OctetStringRef::new(key).map_err(|e| KeyError::Malformed(e.to_string()))?,
    );
    pki.to_der().map(Zeroizing::new).map_err(|e| KeyError::Malformed(e.to_string()))
}

/// SEC1 ECPrivateKey (RFC 5915) → PKCS#8, taking the curve from the \[0\] parameters.
fn sec1_to_pkcs8(sec1: &[u8]) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    #[derive(der::Sequence)]
    struct EcPrivateKey<'a> {
        version: u8,
        private_key: &'a der::asn1::OctetStringRef,
        #[asn1(context_specific = "0", optional = "true")]
        parameters: Option<ObjectIdentifier>,
        #[asn1(context_specific = "1", optional = "true")]
        public_key: Option<der::asn1::BitStringRef<'a>>,
    }
    let k = EcPrivateKey::from_der(sec1).map_err(|e| KeyError::Malformed(format!("EC private key: {e}")))?;
    let _ = (k.version, k.private_key, k.public_key);
    let curve = k.parameters.ok_or_else(|| KeyError::Malformed("EC private key without a named curve".into()))?;
    let curve_any = AnyRef::from(&curve);
    // ring wants the curve only in the PKCS#8 algorithm; the inner key may keep it too.
    wrap_pkcs8(oid::EC_PUBLIC_KEY, Some(curve_any), sec1)
}

pub(crate) fn spki_der(alg: ObjectIdentifier, params: Option<AnyRef<'_>>, public_key: &[u8]) -> Result<Vec<u8>, KeyError> {
    let spki = spki::SubjectPublicKeyInfo {
        algorithm: spki::AlgorithmIdentifier { oid: alg, parameters: params },
        subject_public_key: BitString::from_bytes(public_key).map_err(|e| KeyError::Malformed(e.to_string()))?,
    };
    spki.to_der().map_err(|e| KeyError::Malformed(e.to_string()))
}

impl PrivateKey {
    /// Generates a new key. RSA generation is not available (ring cannot generate RSA keys):
    /// import one made by OpenSSL instead.
    pub fn generate(algorithm: KeyAlgorithm) -> Result<PrivateKey, KeyError> {
        let rng = SystemRandom::new();
        let pkcs8 = match algorithm {
            KeyAlgorithm::EcdsaP256 => {
                rsig::EcdsaKeyPair::generate_pkcs8(&rsig::ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
                    .map_err(|_| KeyError::Crypto("P-256 key generation"))?
                    .as_ref()
                    .to_vec()
            }
            KeyAlgorithm::EcdsaP384 => {
                rsig::EcdsaKeyPair::generate_pkcs8(&rsig::ECDSA_P384_SHA384_ASN1_SIGNING, &rng)
                    .map_err(|_| KeyError::Crypto("P-384 key generation"))?
                    .as_ref()
                    .to_vec()
            }
            KeyAlgorithm::Ed25519 => {
                let v2 = rsig::Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| KeyError::Crypto("Ed25519 key generation"))?;
                // ring writes PKCS#8 v2 (RFC 5958), which OpenSSL 3.0 cannot read: export v1.
                let seed = v2.as_ref().get(16..48).ok_or(KeyError::Crypto("Ed25519 PKCS#8 layout"))?;
                let mut v1 = vec![0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20];
                v1.extend_from_slice(seed);
                v1
            }
            KeyAlgorithm::Rsa(_) => {
                return Err(KeyError::Unsupported(
                    "kyso cannot generate RSA keys; make one with `openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072` and import it".into(),
                ))
            }
        };
        PrivateKey::from_pkcs8_der(&pkcs8)
    }

    /// Loads an unencrypted PKCS#8 PrivateKeyInfo (v1 or v2).
    pub fn from_pkcs8_der(der: &[u8]) -> Result<PrivateKey, KeyError> {
        let info = pkcs8::PrivateKeyInfoRef::try_from(der).map_err(|e| KeyError::Malformed(e.to_string()))?;
        let alg_oid = info.algorithm.oid;
        let rng = SystemRandom::new();
        let (algorithm, inner, spki) = if alg_oid == oid::EC_PUBLIC_KEY {
            let curve: ObjectIdentifier = info
                .algorithm
                .parameters
                .ok_or_else(|| KeyError::Malformed("EC key without curve parameters".into()))?
                .decode_as::<ObjectIdentifier>()
                .map_err(|e: der::Error| KeyError::Malformed(e.to_string()))?;
            let (ka, ring_alg) = if curve == oid::P256 {
                (KeyAlgorithm::EcdsaP256, &rsig::ECDSA_P256_SHA256_ASN1_SIGNING)
            } else if curve == oid::P384 {
                (KeyAlgorithm::EcdsaP384, &rsig::ECDSA_P384_SHA384_ASN1_SIGNING)
            } else {
                return Err(KeyError::Unsupported(format!("elliptic curve {curve} (only P-256 and P-384)")));
            };
            let kp = rsig::EcdsaKeyPair::from_pkcs8(ring_alg, der, &rng)
                .map_err(|e| KeyError::Malformed(format!("EC key rejected: {e}")))?;
            let spki = spki_der(oid::EC_PUBLIC_KEY, Some(AnyRef::from(&curve)), kp.public_key().as_ref())?;
            (ka, Inner::Ecdsa(kp), spki)
        } else if alg_oid == oid::ED25519 {
            let kp = rsig::Ed25519KeyPair::from_pkcs8_maybe_unchecked(der)
                .map_err(|e| KeyError::Malformed(format!("Ed25519 key rejected: {e}")))?;
            let spki = spki_der(oid::ED25519, None, kp.public_key().as_ref())?;
            (KeyAlgorithm::Ed25519, Inner::Ed25519(kp), spki)
        } else if alg_oid == oid::RSA_ENCRYPTION {
            let kp = rsig::RsaKeyPair::from_pkcs8(der).map_err(|e| match e.to_string().as_str() {
                // ring refuses moduli under 2048 bits itself, before the check below can.
                "TooSmall" => KeyError::TooWeak("RSA key under 2048 bits (at least 2048 required)".into()),
                _ => KeyError::Malformed(format!("RSA key rejected: {e}")),
            })?;
            let bits = kp.public().modulus_len() * 8;
            if bits < 2048 {
                return Err(KeyError::TooWeak(format!("RSA {bits} bits (at least 2048 required)")));
            }
            let spki = spki_der(oid::RSA_ENCRYPTION, Some(AnyRef::NULL), kp.public().as_ref())?;
            (KeyAlgorithm::Rsa(bits), Inner::Rsa(kp), spki)
        } else {
            return Err(KeyError::Unsupported(format!("key algorithm {alg_oid}")));
        };
        Ok(PrivateKey { pkcs8: Zeroizing::new(der.to_vec()), algorithm, spki, rsa_padding: RsaPadding::Pss, inner, rng })
    }

    /// Reads a key file and opens it with `passphrase` when it is encrypted.
    pub fn load(bytes: &[u8], passphrase: Option<&[u8]>) -> Result<PrivateKey, KeyError> {
        KeyFile::parse(bytes)?.open(passphrase)
    }

    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// Chooses the RSA padding of new signatures (no effect on other keys).
    pub fn set_rsa_padding(&mut self, padding: RsaPadding) {
        self.rsa_padding = padding;
    }

    /// The unencrypted PKCS#8 DER (secret!).
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The key encrypted as PKCS#8 PEM (`ENCRYPTED PRIVATE KEY`), PBES2 with AES-256-CBC.
    pub fn to_encrypted_pem(&self, passphrase: &[u8], kdf: Kdf) -> Result<Zeroizing<String>, KeyError> {
        let mut salt = [0u8; 16];
        let mut iv = [0u8; 16];
        ring::rand::SecureRandom::fill(&self.rng, &mut salt).map_err(|_| KeyError::Crypto("random salt"))?;
        ring::rand::SecureRandom::fill(&self.rng, &mut iv).map_err(|_| KeyError::Crypto("random IV"))?;
        let params = match kdf {
            Kdf::Pbkdf2Sha256 { iterations } if iterations > MAX_PBKDF2_ITERATIONS => {
                // Never write a key that KeyFile::open would refuse.
                return Err(KeyError::ExcessiveWork {
                    kdf: "PBKDF2",
                    parameter: "iterations",
                    stated: iterations.into(),
                    limit: MAX_PBKDF2_ITERATIONS.into(),
                });
            }
            Kdf::Pbkdf2Sha256 { iterations } => {
                pkcs8::pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(iterations, &salt, iv)
            }
            Kdf::Scrypt => {
                let sp = pkcs8::pkcs5::scrypt::Params::new(14, 8, 1).map_err(|_| KeyError::Crypto("scrypt parameters"))?;
                pkcs8::pkcs5::pbes2::Parameters::generate_scrypt_aes256cbc(sp, &salt, iv)
            }
        }
        .map_err(|_| KeyError::Crypto("PBES2 parameters"))?;
        let info = pkcs8::PrivateKeyInfoRef::try_from(self.pkcs8.as_slice()).map_err(|e| KeyError::Malformed(e.to_string()))?;
        let doc = info.encrypt_with_params(params, passphrase).map_err(|_| KeyError::Crypto("key encryption"))?;
        let pem = der::pem::encode_string("ENCRYPTED PRIVATE KEY", der::pem::LineEnding::LF, doc.as_bytes())
            .map_err(|_| KeyError::Crypto("PEM encoding"))?;
        Ok(Zeroizing::new(pem))
    }

    /// The key as unencrypted PKCS#8 PEM (`PRIVATE KEY`) — only on explicit request.
    pub fn to_unencrypted_pem(&self) -> Result<Zeroizing<String>, KeyError> {
        der::pem::encode_string("PRIVATE KEY", der::pem::LineEnding::LF, &self.pkcs8)
            .map(Zeroizing::new)
            .map_err(|_| KeyError::Crypto("PEM encoding"))
    }

    /// An rcgen key pair for certificate and CRL issuance (feature `ca`).
    #[cfg(any(feature = "ca", test))]
    pub fn rcgen_key_pair(&self) -> Result<rcgen::KeyPair, KeyError> {
        let der = rustls_pki_types::PrivatePkcs8KeyDer::from(self.pkcs8.to_vec());
        let alg: &'static rcgen::SignatureAlgorithm = match self.algorithm {
            KeyAlgorithm::EcdsaP256 => &rcgen::PKCS_ECDSA_P256_SHA256,
            KeyAlgorithm::EcdsaP384 => &rcgen::PKCS_ECDSA_P384_SHA384,
            KeyAlgorithm::Ed25519 => &rcgen::PKCS_ED25519,
            KeyAlgorithm::Rsa(_) => &rcgen::PKCS_RSA_SHA256,
        };
        rcgen::KeyPair::from_pkcs8_der_and_sign_algo(&der, alg).map_err(|e| KeyError::Malformed(e.to_string()))
    }

    /// True when `spki_der` (a certificate's SubjectPublicKeyInfo) is this key's public key.
    pub fn matches_spki(&self, spki_der: &[u8]) -> bool {
        // Compare the algorithm OID and the key bits, not the encoding of the parameters.
        same_public_key(spki_der, &self.spki)
    }
}

impl Signer for PrivateKey {
    fn signature_algorithm(&self) -> SignatureAlgorithm {
        match (self.algorithm, self.rsa_padding) {
            (KeyAlgorithm::EcdsaP256, _) => SignatureAlgorithm::EcdsaP256Sha256,
            (KeyAlgorithm::EcdsaP384, _) => SignatureAlgorithm::EcdsaP384Sha384,
            (KeyAlgorithm::Ed25519, _) => SignatureAlgorithm::Ed25519,
            (KeyAlgorithm::Rsa(_), RsaPadding::Pss) => SignatureAlgorithm::RsaPssSha256,
            (KeyAlgorithm::Rsa(_), RsaPadding::Pkcs1) => SignatureAlgorithm::RsaPkcs1Sha256,
        }
    }

    fn public_key_spki(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        match &self.inner {
            Inner::Ecdsa(kp) => kp
                .sign(&self.rng, message)
                .map(|s| s.as_ref().to_vec())
                .map_err(|_| KeyError::Crypto("ECDSA signing")),
            Inner::Ed25519(kp) => Ok(kp.sign(message).as_ref().to_vec()),
            Inner::Rsa(kp) => {
                let mut sig = vec![0u8; kp.public().modulus_len()];
                let pad: &'static dyn rsig::RsaEncoding = match self.rsa_padding {
                    RsaPadding::Pss => &rsig::RSA_PSS_SHA256,
                    RsaPadding::Pkcs1 => &rsig::RSA_PKCS1_SHA256,
                };
                kp.sign(pad, &self.rng, message, &mut sig).map_err(|_| KeyError::Crypto("RSA signing"))?;
                Ok(sig)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_encrypted_and_wrong_passphrase() {
        let k = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let pem = k.to_encrypted_pem(b"pass", Kdf::Pbkdf2Sha256 { iterations: 1000 }).unwrap();
        assert!(pem.starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));
        let f = KeyFile::parse(pem.as_bytes()).unwrap();
        assert!(f.is_encrypted());
        assert_eq!(f.open(None).unwrap_err(), KeyError::PassphraseRequired);
        assert_eq!(f.open(Some(b"nope")).unwrap_err(), KeyError::WrongPassphrase);
        let k2 = f.open(Some(b"pass")).unwrap();
        assert_eq!(k2.public_key_spki(), k.public_key_spki());
        assert!(k2.matches_spki(k.public_key_spki()));
    }

    #[test]
    fn scrypt_and_other_algorithms() {
        for alg in [KeyAlgorithm::EcdsaP384, KeyAlgorithm::Ed25519] {
            let k = PrivateKey::generate(alg).unwrap();
            let pem = k.to_encrypted_pem(b"x", Kdf::Scrypt).unwrap();
            let k2 = PrivateKey::load(pem.as_bytes(), Some(b"x")).unwrap();
            assert_eq!(k2.algorithm(), alg);
            assert!(!k2.sign(b"msg").unwrap().is_empty());
        }
    }

    /// A kyso-encrypted key file whose KDF parameters are replaced by `kdf` (made by hand: the
    /// parameters are not authenticated, so an attacker can write any).
    fn with_kdf(kdf: pkcs8::pkcs5::pbes2::Kdf) -> KeyFile {
        let pem = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().to_encrypted_pem(b"x", Kdf::Scrypt).unwrap();
        let der = pem::parse(pem.as_bytes()).unwrap().into_contents();
        let info = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der.as_slice()).unwrap();
        let pkcs8::pkcs5::EncryptionScheme::Pbes2(mut params) = info.encryption_algorithm.clone() else { panic!("PBES2 expected") };
        params.kdf = kdf;
        let hostile = pkcs8::EncryptedPrivateKeyInfoRef { encryption_algorithm: params.into(), encrypted_data: info.encrypted_data };
        KeyFile::parse(&hostile.to_der().unwrap()).unwrap()
    }

    fn pbkdf2(iterations: u32) -> pkcs8::pkcs5::pbes2::Kdf {
        pkcs8::pkcs5::pbes2::Pbkdf2Params::hmac_sha256(1, &[7; 16]).map(|mut p| {
            p.iteration_count = iterations;
            p.into()
        }).unwrap()
    }

    fn scrypt(n: u64, r: u16, p: u16) -> pkcs8::pkcs5::pbes2::Kdf {
        let mut sp = pkcs8::pkcs5::pbes2::ScryptParams::from_params_and_salt(pkcs8::pkcs5::scrypt::Params::new(1, 1, 1).unwrap(), &[7; 16]).unwrap();
        (sp.cost_parameter, sp.block_size, sp.parallelization) = (n, r, p);
        sp.into()
    }

    fn excessive(kdf: &'static str, parameter: &'static str, stated: u64, limit: u64) -> KeyError {
        KeyError::ExcessiveWork { kdf, parameter, stated, limit }
    }

    #[test]
    fn hostile_kdf_parameters_are_refused_before_any_work() {
        // Without the caps: minutes of PBKDF2, a petabyte allocation (abort), a panic in pkcs5.
        let cases = [
            (pbkdf2(u32::MAX), excessive("PBKDF2", "iterations", u32::MAX.into(), 10_000_000)),
            (pbkdf2(MAX_PBKDF2_ITERATIONS + 1), excessive("PBKDF2", "iterations", 10_000_001, 10_000_000)),
            (scrypt(1 << 40, 8, 1), excessive("scrypt", "memory (bytes)", 128 * 8 * ((1 << 40) + 2) + 128 * 8, MAX_SCRYPT_MEMORY)),
            (scrypt(1 << 63, u16::MAX, u16::MAX), excessive("scrypt", "memory (bytes)", u64::MAX, MAX_SCRYPT_MEMORY)),
            // OpenSSL refuses this one too ("memory limit exceeded"): 128·8·(2^15+2) + 128·8 bytes.
            (scrypt(1 << 15, 8, 1), excessive("scrypt", "memory (bytes)", 33_557_504, MAX_SCRYPT_MEMORY)),
            (scrypt(1 << 10, 8, 300), excessive("scrypt", "work (N·r·p)", 1024 * 8 * 300, MAX_SCRYPT_WORK)),
            (scrypt(1 << 17, 1, 17), excessive("scrypt", "work (N·r·p)", (1 << 17) * 17, MAX_SCRYPT_WORK)),
        ];
        for (kdf, want) in cases {
            assert_eq!(with_kdf(kdf).open(Some(b"x")).unwrap_err(), want);
        }
        for (n, r, p) in [(0, 8, 1), (1, 8, 1), (3, 8, 1), (1 << 14, 0, 1), (1 << 14, 8, 0)] {
            match with_kdf(scrypt(n, r, p)).open(Some(b"x")) {
                Err(KeyError::Malformed(m)) => assert!(m.contains("RFC 7914"), "{m}"),
                other => panic!("N={n} r={r} p={p}: {other:?}"),
            }
        }
    }

    #[test]
    fn kdf_caps_admit_kyso_and_openssl_defaults_and_their_boundaries() {
        use pkcs8::pkcs5::{pbes2, EncryptionScheme};
        let check = |kdf: pbes2::Kdf| {
            let params = pbes2::Parameters { kdf, encryption: pbes2::EncryptionScheme::Aes256Cbc { iv: [0; 16] } };
            check_kdf_cost(&EncryptionScheme::Pbes2(params))
        };
        // kyso's PBKDF2, OpenSSL's (2,048), the cap itself; kyso's and OpenSSL's scrypt
        // (2^14, 8, 1), and the memory and work caps reached exactly.
        for kdf in [pbkdf2(PBKDF2_ITERATIONS), pbkdf2(2048), pbkdf2(MAX_PBKDF2_ITERATIONS), scrypt(1 << 14, 8, 1), scrypt(1 << 17, 1, 16), scrypt(1 << 14, 15, 1)] {
            assert_eq!(check(kdf), Ok(()));
        }
        // 128·15·(2^14+2) + 128·15 = 31,463,040 ≤ 32 MiB; 128·16·(2^14+2) + 128·16 = 33,560,576.
        assert_eq!(check(scrypt(1 << 14, 16, 1)), Err(excessive("scrypt", "memory (bytes)", 33_560_576, MAX_SCRYPT_MEMORY)));
        // kyso never writes a key it would refuse to open.
        let k = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        assert_eq!(
            k.to_encrypted_pem(b"x", Kdf::Pbkdf2Sha256 { iterations: MAX_PBKDF2_ITERATIONS + 1 }).unwrap_err(),
            excessive("PBKDF2", "iterations", 10_000_001, 10_000_000)
        );
    }

    #[test]
    fn encryption_is_described_from_the_file_without_deriving() {
        let k = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let describe = |kdf| KeyFile::parse(k.to_encrypted_pem(b"x", kdf).unwrap().as_bytes()).unwrap().encryption();
        assert_eq!(describe(Kdf::default()).as_deref(), Some("PBES2: PBKDF2 with HMAC-SHA-256, 600000 iterations; AES-256-CBC"));
        assert_eq!(describe(Kdf::Scrypt).as_deref(), Some("PBES2: scrypt N = 16384, r = 8, p = 1; AES-256-CBC"));
        assert_eq!(with_kdf(scrypt(1 << 40, 8, 1)).encryption().as_deref(), Some("PBES2: scrypt N = 1099511627776, r = 8, p = 1; AES-256-CBC"));
        let plain = KeyFile::parse(k.to_unencrypted_pem().unwrap().as_bytes()).unwrap();
        assert_eq!(plain.encryption(), None);
    }

    #[test]
    fn debug_never_shows_key_material() {
        let k = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        assert_eq!(format!("{k:?}"), "PrivateKey { algorithm: EcdsaP256, .. }");
    }

    #[test]
    fn garbage_is_malformed_not_panic() {
        assert!(matches!(KeyFile::parse(b"hello"), Err(KeyError::Malformed(_))));
        assert!(matches!(KeyFile::parse(&[0x30, 0x03, 0x02, 0x01, 0x00]), Err(KeyError::Malformed(_))));
        let cert = b"-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
        match KeyFile::parse(cert) {
            Err(KeyError::Malformed(m)) => assert!(m.contains("'CERTIFICATE'"), "{m}"),
            other => panic!("{other:?}"),
        }
    }
}
