//! PKCS#12 (RFC 7292): the `.p12`/`.pfx` files that hold a private key, its certificate and
//! the chain under one password — what Windows, browsers, Adobe Reader and OpenSSL import and
//! export (feature `pkcs12`).
//!
//! - [`parse`] opens a file with its password: the MAC is checked first (SHA-1 or SHA-2), then
//!   every encrypted part is decrypted (PBES2 with PBKDF2 or scrypt and AES or 3DES, or the
//!   legacy PKCS#12 PBEs: 3DES, RC2-128, RC2-40, RC4). BER input (indefinite lengths,
//!   constructed strings: NSS, Java and Windows write them) goes through the one normaliser,
//!   [`crate::asn1::normalise`]. Files holding only certificates are read too.
//! - [`Pkcs12::identity`] picks one key with its certificate and chain; a file with several keys
//!   needs a friendly name ([`Pkcs12Error::SeveralKeys`] lists them).
//! - [`write()`] makes a file for one key: PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC) for the key
//!   and the certificates and an HMAC-SHA-256 MAC, as Windows 10+ and OpenSSL 3 write; or, with
//!   [`WriteOptions::legacy`], what `openssl pkcs12 -export -legacy` writes (3DES key, RC2-40
//!   certificates, HMAC-SHA-1) for readers older than those.
//!
//! A wrong password is told apart from a damaged file as far as the format allows:
//! [`Pkcs12Error::MacMismatch`] when the integrity MAC does not verify (wrong password, or
//! altered bytes), [`Pkcs12Error::DecryptionFailed`] when a part cannot be decrypted (saying
//! whether the MAC had verified with the same password: then the file uses a second password,
//! or is damaged).
//!
//! Budgets (a hostile file states its own iteration counts, unauthenticated):
//! [`MAX_ITERATIONS`] per key derivation, [`MAX_TOTAL_ITERATIONS`] per file, [`MAX_BAGS`] bags,
//! [`MAX_NESTING`] levels of nested bags, [`MAX_PKCS12_BYTES`] of input.
//!
//! Not supported (typed errors): the public-key integrity and privacy modes (a PFX signed, or
//! parts enveloped, with a certificate instead of a password), PBMAC1 (RFC 9579) MACs.
//!
//! Why kyso's own code for the format: the RustCrypto `pkcs12` crate's only release for `der`
//! 0.8 (0.2.0-pre.0) pins `cms = "=0.3.0-pre.1"`, and kyso pins `cms = "=0.3.0-rc.0"`: Cargo
//! cannot put both in one build; `p12-keystore` depends on that `pkcs12`; `p12` 0.6 has no PBES2
//! and no SHA-2 MAC (what OpenSSL 3 and Windows write) and brings a second copy of the RustCrypto
//! cipher and digest traits. The structures are a few SEQUENCEs walked with kyso's DER reader;
//! every cryptographic part comes from maintained crates (`pkcs5`, `des`, `rc2`, `rc4`, `cbc`,
//! `hmac`, `sha1`, `sha2`), and the key-derivation function is checked against OpenSSL's.

mod crypt;
mod kdf;
mod read;
mod write;

pub use read::{is_pkcs12, parse, parse_with_limits};
pub use write::{write, WriteOptions};

use crate::keys::{KeyError, PrivateKey};
use std::fmt;
use zeroize::Zeroizing;

/// PBKDF2 iterations (and MAC iterations) of the files kyso writes: 200,000. Chosen under
/// .NET's default loader limits (`Pkcs12LoaderLimits`: 300,000 per key derivation, 1,000,000
/// per file), so that the three derivations of a kyso file (MAC, key, certificates) stay under
/// both; 100× OpenSSL 3's default (2,048). Opening costs about 50 ms.
pub const WRITE_ITERATIONS: u32 = 200_000;

/// Iterations of legacy files ([`WriteOptions::legacy`]): 2,048, what `openssl pkcs12 -export
/// -legacy` writes, the count old readers were tested with. The legacy ciphers are weak anyway.
pub const LEGACY_ITERATIONS: u32 = 2_048;

/// The most iterations one key derivation of a file may ask for: [`crate::keys::MAX_PBKDF2_ITERATIONS`]
/// (10,000,000, RFC 8018's figure for especially critical keys), the cap on key files.
pub const MAX_ITERATIONS: u32 = crate::keys::MAX_PBKDF2_ITERATIONS;

/// The most iterations all the key derivations of one file may ask for together: twice
/// [`MAX_ITERATIONS`] (a MAC and a key at the cap; about 2 s). Without it, a file of many
/// encrypted parts each under the cap would multiply the work.
pub const MAX_TOTAL_ITERATIONS: u64 = 2 * MAX_ITERATIONS as u64;

/// The most bags (keys, certificates, CRLs, secrets) one file may hold: 200, .NET's default
/// `MaxCertificates` and `MaxKeys`. A real file holds a key and 2–5 certificates.
pub const MAX_BAGS: usize = 200;

/// The most levels of SafeContents nested in SafeContentsBags: 4 (real files use none).
pub const MAX_NESTING: usize = 4;

/// The largest input [`parse`] reads: 1 MiB. A key with a ten-certificate chain is about 15 KB.
pub const MAX_PKCS12_BYTES: usize = 1 << 20;

/// Errors of reading or writing PKCS#12 files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Pkcs12Error {
    /// The input is larger than [`MAX_PKCS12_BYTES`].
    #[error("the file is {size} bytes long (at most {limit} for a PKCS#12 file)")]
    TooLarge {
        /// The input's size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The input ends inside its structure.
    #[error("the PKCS#12 file is truncated")]
    Truncated,
    /// The input is not a PKCS#12 file at all.
    #[error("not a PKCS#12 file")]
    NotPkcs12,
    /// A part of the structure is not what RFC 7292 says.
    #[error("damaged PKCS#12 file: {what} is malformed")]
    Malformed {
        /// Which part.
        what: &'static str,
    },
    /// A version other than 3.
    #[error("PKCS#12 version {0} (only version 3 exists)")]
    UnsupportedVersion(u64),
    /// An algorithm or mode kyso does not implement.
    #[error("unsupported {what}: {oid}")]
    Unsupported {
        /// What kind of algorithm or content.
        what: &'static str,
        /// Its OID.
        oid: der::asn1::ObjectIdentifier,
    },
    /// The integrity MAC does not verify with this password: the password is wrong (or the file
    /// was altered).
    #[error("wrong password: the file's integrity check (MAC) fails with it (or the file was altered)")]
    MacMismatch,
    /// A part cannot be decrypted with this password.
    #[error("{}", if *mac_verified {
        format!("{part} cannot be decrypted although the file's MAC verifies with this password: the file uses a second password, or is damaged")
    } else {
        format!("wrong password: {part} cannot be decrypted with it (the file has no MAC to check the password first)")
    })]
    DecryptionFailed {
        /// What could not be decrypted.
        part: Part,
        /// Whether the MAC had verified with the same password.
        mac_verified: bool,
    },
    /// Key derivation parameters over [`MAX_ITERATIONS`] or [`MAX_TOTAL_ITERATIONS`] (or the
    /// scrypt caps of [`crate::keys`]): refused before any work.
    #[error("the file asks for too much key-derivation work: {what} {stated} (at most {limit})")]
    ExcessiveWork {
        /// Which parameter.
        what: &'static str,
        /// The value the file states (or the running total).
        stated: u64,
        /// The limit.
        limit: u64,
    },
    /// More bags or nesting than [`MAX_BAGS`] / [`MAX_NESTING`].
    #[error("the file holds too many {what} (at most {limit})")]
    TooMany {
        /// What there are too many of.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// The file holds no private key (certificates only).
    #[error("the PKCS#12 file holds no private key (only {certificates} certificate(s))")]
    NoKey {
        /// How many certificates it holds.
        certificates: usize,
    },
    /// The file holds several keys and none was chosen.
    #[error("the PKCS#12 file holds {} keys: {}", names.len(), Names(names))]
    SeveralKeys {
        /// The keys' friendly names (`None` for a key without one).
        names: Vec<Option<String>>,
    },
    /// No key has the friendly name asked for.
    #[error("no key named '{name}' in the PKCS#12 file; it holds: {}", Names(names))]
    NoSuchName {
        /// The name asked for.
        name: String,
        /// The keys' friendly names.
        names: Vec<Option<String>>,
    },
    /// No key of the file matches the certificate given.
    #[error("no key of the PKCS#12 file belongs to the certificate given")]
    NoKeyForCertificate,
    /// The chosen key has no certificate in the file (and none was given).
    #[error("the PKCS#12 file holds no certificate for the key{}", name.as_ref().map(|n| format!(" '{n}'")).unwrap_or_default())]
    NoCertificateForKey {
        /// The key's friendly name.
        name: Option<String>,
    },
    /// A decrypted key kyso cannot use (an unsupported algorithm, a weak or damaged key).
    #[error("the key in the PKCS#12 file: {0}")]
    Key(KeyError),
    /// A certificate to write could not be read.
    #[error("certificate {index} cannot be read")]
    BadCertificate {
        /// 0 for the key's certificate, then the chain's from 1.
        index: usize,
    },
    /// The certificate to write does not belong to the key.
    #[error("the certificate does not belong to the key")]
    CertificateKeyMismatch,
    /// Writing failed in a cryptographic step.
    #[error("cryptographic failure: {0}")]
    Crypto(&'static str),
}

/// The friendly names of a file's keys, for messages: `'name'`, or `(no name)`.
struct Names<'a>(&'a [Option<String>]);

impl fmt::Display for Names<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, n) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            match n {
                Some(n) => write!(f, "'{n}'")?,
                None => f.write_str("(no name)")?,
            }
        }
        Ok(())
    }
}

/// What could not be decrypted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// A shrouded private key (PKCS#8ShroudedKeyBag).
    PrivateKey,
    /// An encrypted part of the file (EncryptedData: usually the certificates).
    EncryptedContents,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::PrivateKey => "the private key",
            Part::EncryptedContents => "an encrypted part (the certificates)",
        })
    }
}

/// One encryption or MAC scheme found in a file, for display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Scheme {
    /// The algorithm, e.g. `PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC)` or
    /// `pbeWithSHAAnd3-KeyTripleDES-CBC`.
    pub name: &'static str,
    /// Its iteration count (0 where there is none, e.g. scrypt).
    pub iterations: u64,
    /// A legacy scheme: RC2, RC4, 3DES, SHA-1 MAC.
    pub legacy: bool,
}

impl fmt::Display for Scheme {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.iterations > 0 {
            write!(f, "{}, {} iterations", self.name, self.iterations)
        } else {
            f.write_str(self.name)
        }
    }
}

/// How a file was protected.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Protection {
    /// The integrity MAC, if the file has one.
    pub mac: Option<Scheme>,
    /// The encryption of each encrypted part and shrouded key, in file order.
    pub encryption: Vec<Scheme>,
    /// Keys stored without encryption (KeyBags).
    pub plain_keys: usize,
}

impl Protection {
    /// Whether any scheme is a legacy one.
    pub fn uses_legacy(&self) -> bool {
        self.mac.iter().chain(&self.encryption).any(|s| s.legacy)
    }
}

/// A private key found in a file.
pub struct KeyEntry {
    pkcs8: Zeroizing<Vec<u8>>,
    /// Its friendly name (PKCS#9 friendlyName).
    pub friendly_name: Option<String>,
    /// Its localKeyId.
    pub local_key_id: Option<Vec<u8>>,
}

impl fmt::Debug for KeyEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyEntry").field("friendly_name", &self.friendly_name).finish_non_exhaustive()
    }
}

impl KeyEntry {
    /// The key as unencrypted PKCS#8 DER, as stored (secret!).
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }
}

/// A certificate found in a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertEntry {
    /// The certificate (DER, as stored).
    pub der: Vec<u8>,
    /// Its friendly name.
    pub friendly_name: Option<String>,
    /// Its localKeyId.
    pub local_key_id: Option<Vec<u8>>,
}

/// The decrypted contents of a PKCS#12 file.
#[derive(Debug)]
#[non_exhaustive]
pub struct Pkcs12 {
    /// The private keys, in file order.
    pub keys: Vec<KeyEntry>,
    /// The certificates, in file order.
    pub certificates: Vec<CertEntry>,
    /// How the file was protected.
    pub protection: Protection,
    /// Bags kyso does not use (CRLs, secrets, other certificate types), skipped.
    pub skipped_bags: usize,
}

/// One key of a file with its certificate and the file's other certificates.
pub struct Identity {
    /// The key.
    pub key: PrivateKey,
    /// Its certificate (DER): the one whose public key is the key's.
    pub certificate: Vec<u8>,
    /// The file's other certificates, in file order (the chain; may include the root).
    pub chain: Vec<Vec<u8>>,
    /// The key's friendly name (or its certificate's).
    pub friendly_name: Option<String>,
}

impl fmt::Debug for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Identity")
            .field("key", &self.key)
            .field("friendly_name", &self.friendly_name)
            .field("chain", &self.chain.len())
            .finish_non_exhaustive()
    }
}

impl Pkcs12 {
    /// The friendly names of the keys, in file order.
    pub fn key_names(&self) -> Vec<Option<String>> {
        self.keys.iter().map(|k| k.friendly_name.clone()).collect()
    }

    /// Chooses a key and returns it with its certificate and chain.
    ///
    /// - `name`: the key with this friendly name (or whose certificate has it);
    /// - else `certificate` (DER): the key whose public key is the certificate's;
    /// - else the file's only key ([`Pkcs12Error::SeveralKeys`] when there are more).
    ///
    /// The key's certificate is the file's certificate with the key's public key (the
    /// localKeyId attributes are not trusted for that), or `certificate` when given; the chain
    /// is every other certificate of the file. [`Pkcs12Error::NoCertificateForKey`] when there
    /// is none and `certificate` is `None`.
    pub fn identity(&self, name: Option<&str>, certificate: Option<&[u8]>) -> Result<Identity, Pkcs12Error> {
        let (index, key) = self.select(name, certificate)?;
        let own = self.certificate_of(&key);
        let friendly_name = self.keys.get(index).and_then(|k| k.friendly_name.clone());
        let certificate = match (certificate, own.and_then(|i| self.certificates.get(i))) {
            (Some(c), _) => c.to_vec(),
            (None, Some(c)) => c.der.clone(),
            (None, None) => return Err(Pkcs12Error::NoCertificateForKey { name: friendly_name }),
        };
        let chain = self
            .certificates
            .iter()
            .enumerate()
            .filter(|(i, c)| Some(*i) != own && c.der != certificate)
            .map(|(_, c)| c.der.clone())
            .collect();
        let friendly_name = friendly_name.or_else(|| own.and_then(|i| self.certificates.get(i)).and_then(|c| c.friendly_name.clone()));
        Ok(Identity { key, certificate, chain, friendly_name })
    }

    /// Chooses a key as [`Pkcs12::identity`] does, without needing its certificate: the key and
    /// its certificate (DER) when the file holds it.
    pub fn key(&self, name: Option<&str>) -> Result<(PrivateKey, Option<Vec<u8>>), Pkcs12Error> {
        let (_, key) = self.select(name, None)?;
        let cert = self.certificate_of(&key).and_then(|i| self.certificates.get(i)).map(|c| c.der.clone());
        Ok((key, cert))
    }

    /// The index of the certificate whose public key is `key`'s.
    fn certificate_of(&self, key: &PrivateKey) -> Option<usize> {
        self.certificates.iter().position(|c| spki_of(&c.der).is_some_and(|s| key.matches_spki(&s)))
    }

    /// The chosen key (see [`Pkcs12::identity`]) and its index.
    fn select(&self, name: Option<&str>, certificate: Option<&[u8]>) -> Result<(usize, PrivateKey), Pkcs12Error> {
        if self.keys.is_empty() {
            return Err(Pkcs12Error::NoKey { certificates: self.certificates.len() });
        }
        // Every key is opened to match it with its certificate; one kyso cannot use (DSA, …)
        // is an error only when it is the one chosen.
        let mut opened: Vec<Result<PrivateKey, KeyError>> = self.keys.iter().map(|k| PrivateKey::from_pkcs8_der(&k.pkcs8)).collect();
        let index = match (name, certificate) {
            (Some(n), _) => self
                .keys
                .iter()
                .zip(&opened)
                .position(|(k, key)| {
                    k.friendly_name.as_deref() == Some(n)
                        || key.as_ref().ok().and_then(|key| self.certificate_of(key)).and_then(|c| self.certificates.get(c)).and_then(|c| c.friendly_name.as_deref())
                            == Some(n)
                })
                .ok_or_else(|| Pkcs12Error::NoSuchName { name: n.to_string(), names: self.key_names() })?,
            (None, Some(cert)) => {
                let spki = spki_of(cert).ok_or(Pkcs12Error::BadCertificate { index: 0 })?;
                opened.iter().position(|k| k.as_ref().is_ok_and(|k| k.matches_spki(&spki))).ok_or(Pkcs12Error::NoKeyForCertificate)?
            }
            (None, None) if self.keys.len() == 1 => 0,
            (None, None) => return Err(Pkcs12Error::SeveralKeys { names: self.key_names() }),
        };
        if index >= opened.len() {
            return Err(Pkcs12Error::NoKey { certificates: self.certificates.len() });
        }
        Ok((index, opened.swap_remove(index).map_err(Pkcs12Error::Key)?))
    }
}

/// A certificate's SubjectPublicKeyInfo (DER), `None` when it does not parse.
fn spki_of(cert: &[u8]) -> Option<Vec<u8>> {
    x509_parser::parse_x509_certificate(cert).ok().map(|(_, c)| c.tbs_certificate.subject_pki.raw.to_vec())
}

/// The work [`parse_with_limits`] allows a file to ask for. [`Limits::default`] is
/// [`MAX_ITERATIONS`] per key derivation and [`MAX_TOTAL_ITERATIONS`] per file (what [`parse`]
/// uses); a caller that opens files from strangers in bulk (a server, a fuzzer) can lower them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Iterations of one key derivation (the MAC's, or one encrypted part's).
    pub max_iterations: u32,
    /// Iterations of all the key derivations of one file together.
    pub max_total_iterations: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { max_iterations: MAX_ITERATIONS, max_total_iterations: MAX_TOTAL_ITERATIONS }
    }
}

impl Limits {
    /// Limits with the given per-derivation and per-file iteration caps (each at most the
    /// defaults' values: they can only be lowered).
    pub fn new(max_iterations: u32, max_total_iterations: u64) -> Limits {
        Limits { max_iterations: max_iterations.min(MAX_ITERATIONS), max_total_iterations: max_total_iterations.min(MAX_TOTAL_ITERATIONS) }
    }
}

/// Key-derivation work allowed to one file ([`Limits`]), and what was spent.
pub(crate) struct Budget {
    limits: Limits,
    spent: u64,
}

impl Budget {
    fn new(limits: Limits) -> Budget {
        Budget { limits, spent: 0 }
    }

    /// Checks one derivation's stated iteration count against the per-derivation cap and
    /// charges it to the file; returns it as the KDFs take it. Nothing is derived on failure.
    pub(crate) fn charge(&mut self, what: &'static str, iterations: u64) -> Result<u32, Pkcs12Error> {
        let limit = self.limits.max_iterations;
        let too_much = || Pkcs12Error::ExcessiveWork { what, stated: iterations, limit: limit.into() };
        let n = u32::try_from(iterations).map_err(|_| too_much())?;
        if n > limit {
            return Err(too_much());
        }
        self.spend(iterations)?;
        Ok(n)
    }

    /// Charges `iterations` to the file, or fails when its total would pass the cap.
    pub(crate) fn spend(&mut self, iterations: u64) -> Result<(), Pkcs12Error> {
        let total = self.spent.saturating_add(iterations);
        let limit = self.limits.max_total_iterations;
        if total > limit {
            return Err(Pkcs12Error::ExcessiveWork { what: "iterations in all (MAC and encrypted parts)", stated: total, limit });
        }
        self.spent = total;
        Ok(())
    }
}

/// The OIDs of RFC 7292 and PKCS#9 that the module uses.
pub(crate) mod oids {
    use der::asn1::ObjectIdentifier as O;
    /// id-data (PKCS#7)
    pub const DATA: O = O::new_unwrap("1.2.840.113549.1.7.1");
    /// id-signedData: the public-key integrity mode
    pub const SIGNED_DATA: O = O::new_unwrap("1.2.840.113549.1.7.2");
    /// id-envelopedData: the public-key privacy mode
    pub const ENVELOPED_DATA: O = O::new_unwrap("1.2.840.113549.1.7.3");
    /// id-encryptedData: password privacy mode
    pub const ENCRYPTED_DATA: O = O::new_unwrap("1.2.840.113549.1.7.6");
    /// keyBag
    pub const KEY_BAG: O = O::new_unwrap("1.2.840.113549.1.12.10.1.1");
    /// pkcs8ShroudedKeyBag
    pub const SHROUDED_KEY_BAG: O = O::new_unwrap("1.2.840.113549.1.12.10.1.2");
    /// certBag
    pub const CERT_BAG: O = O::new_unwrap("1.2.840.113549.1.12.10.1.3");
    /// safeContentsBag
    pub const SAFE_CONTENTS_BAG: O = O::new_unwrap("1.2.840.113549.1.12.10.1.6");
    /// x509Certificate (PKCS#9 certTypes)
    pub const X509_CERTIFICATE: O = O::new_unwrap("1.2.840.113549.1.9.22.1");
    /// friendlyName (PKCS#9)
    pub const FRIENDLY_NAME: O = O::new_unwrap("1.2.840.113549.1.9.20");
    /// localKeyId (PKCS#9)
    pub const LOCAL_KEY_ID: O = O::new_unwrap("1.2.840.113549.1.9.21");
    /// PBES2 (RFC 8018)
    pub const PBES2: O = O::new_unwrap("1.2.840.113549.1.5.13");
    /// PBMAC1 (RFC 8018, used as a PKCS#12 MAC by RFC 9579)
    pub const PBMAC1: O = O::new_unwrap("1.2.840.113549.1.5.14");
    /// pbeWithSHAAnd128BitRC4
    pub const PBE_SHA1_RC4_128: O = O::new_unwrap("1.2.840.113549.1.12.1.1");
    /// pbeWithSHAAnd40BitRC4
    pub const PBE_SHA1_RC4_40: O = O::new_unwrap("1.2.840.113549.1.12.1.2");
    /// pbeWithSHAAnd3-KeyTripleDES-CBC
    pub const PBE_SHA1_3DES: O = O::new_unwrap("1.2.840.113549.1.12.1.3");
    /// pbeWithSHAAnd2-KeyTripleDES-CBC
    pub const PBE_SHA1_2DES: O = O::new_unwrap("1.2.840.113549.1.12.1.4");
    /// pbeWithSHAAnd128BitRC2-CBC
    pub const PBE_SHA1_RC2_128: O = O::new_unwrap("1.2.840.113549.1.12.1.5");
    /// pbeWithSHAAnd40BitRC2-CBC
    pub const PBE_SHA1_RC2_40: O = O::new_unwrap("1.2.840.113549.1.12.1.6");
    /// id-sha224
    pub const SHA224: O = O::new_unwrap("2.16.840.1.101.3.4.2.4");
}

#[cfg(test)]
mod tests;
