//! The ciphers and MACs of PKCS#12 files: PBES2 (RFC 8018, through the `pkcs5` crate), the
//! legacy PKCS#12 PBEs of RFC 7292 Appendix C (3DES, RC2, RC4 from RustCrypto's `des`, `rc2` and
//! `rc4`, CBC from `cbc`), and the integrity MAC (RFC 7292 §5: HMAC with a key from the PKCS#12
//! KDF). Every key derivation is checked against the iteration caps and charged to the file's
//! [`Budget`] before it runs.

use super::kdf::{self, Hash, Purpose};
use super::oids;
use super::{Budget, Pkcs12Error, Scheme};
use cbc::cipher::block_padding::Pkcs7;
use cbc::cipher::{BlockModeDecrypt, BlockModeEncrypt, InnerIvInit, KeyInit, KeyIvInit, StreamCipher};
use der::asn1::{ObjectIdentifier, OctetStringRef};
use der::{Decode, Encode};
use zeroize::Zeroizing;

/// The password in the two forms PKCS#12 uses: the bytes as given (PBES2) and the BMPString
/// (the legacy PBEs and the MAC).
pub(crate) struct Password<'a> {
    pub raw: &'a [u8],
    pub bmp: Zeroizing<Vec<u8>>,
}

impl<'a> Password<'a> {
    pub(crate) fn new(raw: &'a [u8]) -> Password<'a> {
        Password { raw, bmp: kdf::bmp_password(raw) }
    }

    /// The empty password in OpenSSL's second form: no BMPString terminator at all (a file
    /// written with a NULL password).
    pub(crate) fn empty_without_terminator() -> Password<'static> {
        Password { raw: b"", bmp: Zeroizing::new(Vec::new()) }
    }
}

/// The legacy PKCS#12 password-based encryption schemes (RFC 7292 Appendix C).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LegacyPbe {
    Rc4With128BitKey,
    Rc4With40BitKey,
    TripleDes3Key,
    TripleDes2Key,
    Rc2With128BitKey,
    Rc2With40BitKey,
}

impl LegacyPbe {
    fn from_oid(oid: &ObjectIdentifier) -> Option<LegacyPbe> {
        Some(match *oid {
            oids::PBE_SHA1_RC4_128 => LegacyPbe::Rc4With128BitKey,
            oids::PBE_SHA1_RC4_40 => LegacyPbe::Rc4With40BitKey,
            oids::PBE_SHA1_3DES => LegacyPbe::TripleDes3Key,
            oids::PBE_SHA1_2DES => LegacyPbe::TripleDes2Key,
            oids::PBE_SHA1_RC2_128 => LegacyPbe::Rc2With128BitKey,
            oids::PBE_SHA1_RC2_40 => LegacyPbe::Rc2With40BitKey,
            _ => return None,
        })
    }

    fn oid(self) -> ObjectIdentifier {
        match self {
            LegacyPbe::Rc4With128BitKey => oids::PBE_SHA1_RC4_128,
            LegacyPbe::Rc4With40BitKey => oids::PBE_SHA1_RC4_40,
            LegacyPbe::TripleDes3Key => oids::PBE_SHA1_3DES,
            LegacyPbe::TripleDes2Key => oids::PBE_SHA1_2DES,
            LegacyPbe::Rc2With128BitKey => oids::PBE_SHA1_RC2_128,
            LegacyPbe::Rc2With40BitKey => oids::PBE_SHA1_RC2_40,
        }
    }

    fn key_len(self) -> usize {
        match self {
            LegacyPbe::Rc4With128BitKey | LegacyPbe::Rc2With128BitKey | LegacyPbe::TripleDes2Key => 16,
            LegacyPbe::Rc4With40BitKey | LegacyPbe::Rc2With40BitKey => 5,
            LegacyPbe::TripleDes3Key => 24,
        }
    }

    fn name(self) -> &'static str {
        match self {
            LegacyPbe::Rc4With128BitKey => "pbeWithSHAAnd128BitRC4",
            LegacyPbe::Rc4With40BitKey => "pbeWithSHAAnd40BitRC4",
            LegacyPbe::TripleDes3Key => "pbeWithSHAAnd3-KeyTripleDES-CBC",
            LegacyPbe::TripleDes2Key => "pbeWithSHAAnd2-KeyTripleDES-CBC",
            LegacyPbe::Rc2With128BitKey => "pbeWithSHAAnd128BitRC2-CBC",
            LegacyPbe::Rc2With40BitKey => "pbeWithSHAAnd40BitRC2-CBC",
        }
    }
}

/// pkcs-12PbeParams (RFC 7292 Appendix C).
#[derive(der::Sequence)]
struct PbeParams<'a> {
    salt: &'a OctetStringRef,
    iterations: u64,
}

/// Decrypts `ciphertext` with the algorithm `algorithm` (a DER AlgorithmIdentifier as received).
/// `Ok((None, scheme))` when decryption fails (bad padding, or a cipher error): the caller knows
/// what was being decrypted and whether the MAC verified, so it chooses the error. An
/// algorithm kyso cannot run, parameters over the caps, or malformed parameters are errors.
pub(crate) fn decrypt(
    algorithm: &[u8],
    password: &Password<'_>,
    ciphertext: &[u8],
    budget: &mut Budget,
) -> Result<(Option<Zeroizing<Vec<u8>>>, Scheme), Pkcs12Error> {
    let alg = spki::AlgorithmIdentifierRef::from_der(algorithm)
        .map_err(|_| Pkcs12Error::Malformed { what: "an encryption algorithm identifier" })?;
    if alg.oid == oids::PBES2 {
        let scheme = pkcs5::EncryptionScheme::try_from(alg)
            .map_err(|_| Pkcs12Error::Unsupported { what: "PBES2 parameters (key derivation or cipher)", oid: oids::PBES2 })?;
        let pkcs5::EncryptionScheme::Pbes2(params) = &scheme else {
            return Err(Pkcs12Error::Unsupported { what: "encryption algorithm", oid: alg.oid });
        };
        let described = describe_pbes2(params);
        match &params.kdf {
            pkcs5::pbes2::Kdf::Pbkdf2(p) => {
                budget.charge("PBKDF2 iterations", p.iteration_count.into())?;
            }
            pkcs5::pbes2::Kdf::Scrypt(p) => {
                crate::keys::check_kdf_cost(&scheme).map_err(|e| match e {
                    crate::keys::KeyError::ExcessiveWork { parameter, stated, limit, .. } => {
                        Pkcs12Error::ExcessiveWork { what: scrypt_parameter(parameter), stated, limit }
                    }
                    _ => Pkcs12Error::Malformed { what: "scrypt parameters" },
                })?;
                // N·r·p is at most MAX_SCRYPT_WORK here: charged like as many iterations.
                let work = p.cost_parameter.saturating_mul(u64::from(p.block_size)).saturating_mul(u64::from(p.parallelization));
                budget.spend(work)?;
            }
            _ => return Err(Pkcs12Error::Unsupported { what: "PBES2 key derivation", oid: oids::PBES2 }),
        }
        return Ok(match scheme.decrypt(password.raw, ciphertext) {
            Ok(plain) => (Some(Zeroizing::new(plain)), described),
            Err(pkcs5::Error::UnsupportedAlgorithm { oid }) => {
                return Err(Pkcs12Error::Unsupported { what: "PBES2 key derivation or cipher", oid })
            }
            Err(_) => (None, described),
        });
    }
    let Some(pbe) = LegacyPbe::from_oid(&alg.oid) else {
        return Err(Pkcs12Error::Unsupported { what: "encryption algorithm", oid: alg.oid });
    };
    let params: PbeParams<'_> = alg
        .parameters
        .ok_or(Pkcs12Error::Malformed { what: "PBE parameters" })?
        .decode_as()
        .map_err(|_| Pkcs12Error::Malformed { what: "PBE parameters" })?;
    let iterations = budget.charge("PBE iterations", params.iterations)?;
    let salt = params.salt.as_bytes();
    let scheme = Scheme { name: pbe.name(), iterations: iterations.into(), legacy: true };
    let key = kdf::derive(Hash::Sha1, Purpose::Key, &password.bmp, salt, iterations, pbe.key_len());
    let iv = || kdf::derive(Hash::Sha1, Purpose::Iv, &password.bmp, salt, iterations, 8);
    let plain = match pbe {
        LegacyPbe::TripleDes3Key => cbc::Decryptor::<des::TdesEde3>::new_from_slices(&key, &iv())
            .ok()
            .and_then(|d| d.decrypt_padded_vec::<Pkcs7>(ciphertext).ok()),
        LegacyPbe::TripleDes2Key => cbc::Decryptor::<des::TdesEde2>::new_from_slices(&key, &iv())
            .ok()
            .and_then(|d| d.decrypt_padded_vec::<Pkcs7>(ciphertext).ok()),
        LegacyPbe::Rc2With128BitKey | LegacyPbe::Rc2With40BitKey => {
            let cipher = rc2::Rc2::new_with_eff_key_len(&key, key.len() * 8);
            cbc::Decryptor::<rc2::Rc2>::inner_iv_slice_init(cipher, &iv())
                .ok()
                .and_then(|d| d.decrypt_padded_vec::<Pkcs7>(ciphertext).ok())
        }
        LegacyPbe::Rc4With128BitKey | LegacyPbe::Rc4With40BitKey => rc4::Rc4::new_from_slice(&key).ok().map(|mut c| {
            // A stream cipher cannot tell a wrong key: the caller's parse of the plaintext does.
            let mut buf = ciphertext.to_vec();
            c.apply_keystream(&mut buf);
            buf
        }),
    };
    Ok((plain.map(Zeroizing::new), scheme))
}

fn scrypt_parameter(parameter: &'static str) -> &'static str {
    match parameter {
        "memory (bytes)" => "scrypt memory (bytes)",
        _ => "scrypt work (N·r·p)",
    }
}

/// How PBES2 parameters are shown: the KDF with its PRF and the cipher.
fn describe_pbes2(params: &pkcs5::pbes2::Parameters) -> Scheme {
    use pkcs5::pbes2::{EncryptionScheme as E, Kdf, Pbkdf2Prf as P};
    let cipher = match params.encryption {
        E::Aes128Cbc { .. } => "AES-128-CBC",
        E::Aes192Cbc { .. } => "AES-192-CBC",
        E::Aes256Cbc { .. } => "AES-256-CBC",
        E::DesEde3Cbc { .. } => "DES-EDE3-CBC",
        _ => "another cipher",
    };
    let (name, iterations) = match &params.kdf {
        Kdf::Pbkdf2(p) => {
            let name = match (p.prf, cipher) {
                (P::HmacWithSha256, "AES-256-CBC") => "PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC)",
                (P::HmacWithSha256, "AES-128-CBC") => "PBES2 (PBKDF2-HMAC-SHA-256, AES-128-CBC)",
                (P::HmacWithSha1, "AES-256-CBC") => "PBES2 (PBKDF2-HMAC-SHA-1, AES-256-CBC)",
                (P::HmacWithSha1, "AES-128-CBC") => "PBES2 (PBKDF2-HMAC-SHA-1, AES-128-CBC)",
                (P::HmacWithSha1, "DES-EDE3-CBC") => "PBES2 (PBKDF2-HMAC-SHA-1, DES-EDE3-CBC)",
                (P::HmacWithSha256, "DES-EDE3-CBC") => "PBES2 (PBKDF2-HMAC-SHA-256, DES-EDE3-CBC)",
                _ => "PBES2 (PBKDF2)",
            };
            (name, u64::from(p.iteration_count))
        }
        Kdf::Scrypt(_) => ("PBES2 (scrypt)", 0),
        _ => ("PBES2", 0),
    };
    Scheme { name, iterations, legacy: matches!(params.encryption, E::DesEde3Cbc { .. }) }
}

/// How kyso encrypts what it writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encrypt {
    /// PBES2: PBKDF2-HMAC-SHA-256 with this many iterations, AES-256-CBC.
    Pbes2 { iterations: u32 },
    /// A legacy PKCS#12 PBE with this many iterations (3DES for keys, RC2-40 for certificates).
    Legacy { pbe: LegacyPbe, iterations: u32 },
}

/// The 3DES and RC2-40 schemes of `openssl pkcs12 -export -legacy`.
pub(crate) const LEGACY_KEY_PBE: LegacyPbe = LegacyPbe::TripleDes3Key;
pub(crate) const LEGACY_CERT_PBE: LegacyPbe = LegacyPbe::Rc2With40BitKey;

/// Encrypts `plaintext`; returns the AlgorithmIdentifier (DER) and the ciphertext.
pub(crate) fn encrypt(how: Encrypt, password: &Password<'_>, plaintext: &[u8], rng: &dyn ring::rand::SecureRandom) -> Result<(Vec<u8>, Vec<u8>), Pkcs12Error> {
    match how {
        Encrypt::Pbes2 { iterations } => {
            let mut salt = [0u8; 16];
            let mut iv = [0u8; 16];
            rng.fill(&mut salt).map_err(|_| Pkcs12Error::Crypto("random salt"))?;
            rng.fill(&mut iv).map_err(|_| Pkcs12Error::Crypto("random IV"))?;
            let params = pkcs5::pbes2::Parameters::generate_pbkdf2_sha256_aes256cbc(iterations, &salt, iv)
                .map_err(|_| Pkcs12Error::Crypto("PBES2 parameters"))?;
            let ciphertext = params.encrypt(password.raw, plaintext).map_err(|_| Pkcs12Error::Crypto("PBES2 encryption"))?;
            let alg = pkcs5::EncryptionScheme::from(params).to_der().map_err(|_| Pkcs12Error::Crypto("PBES2 parameters"))?;
            Ok((alg, ciphertext))
        }
        Encrypt::Legacy { pbe, iterations } => {
            // OpenSSL's PKCS12_SALT_LEN: 8 bytes.
            let mut salt = [0u8; 8];
            rng.fill(&mut salt).map_err(|_| Pkcs12Error::Crypto("random salt"))?;
            let key = kdf::derive(Hash::Sha1, Purpose::Key, &password.bmp, &salt, iterations, pbe.key_len());
            let iv = kdf::derive(Hash::Sha1, Purpose::Iv, &password.bmp, &salt, iterations, 8);
            let ciphertext = match pbe {
                LegacyPbe::TripleDes3Key => cbc::Encryptor::<des::TdesEde3>::new_from_slices(&key, &iv)
                    .map_err(|_| Pkcs12Error::Crypto("3DES key"))?
                    .encrypt_padded_vec::<Pkcs7>(plaintext),
                LegacyPbe::Rc2With40BitKey | LegacyPbe::Rc2With128BitKey => {
                    let cipher = rc2::Rc2::new_with_eff_key_len(&key, key.len() * 8);
                    cbc::Encryptor::<rc2::Rc2>::inner_iv_slice_init(cipher, &iv)
                        .map_err(|_| Pkcs12Error::Crypto("RC2 IV"))?
                        .encrypt_padded_vec::<Pkcs7>(plaintext)
                }
                // kyso writes only the two schemes of `openssl pkcs12 -legacy`.
                _ => return Err(Pkcs12Error::Crypto("this legacy scheme is read, not written")),
            };
            let params = PbeParams { salt: OctetStringRef::new(&salt).map_err(|_| Pkcs12Error::Crypto("PBE parameters"))?, iterations: iterations.into() };
            let alg = spki::AlgorithmIdentifier { oid: pbe.oid(), parameters: Some(der::asn1::Any::encode_from(&params).map_err(|_| Pkcs12Error::Crypto("PBE parameters"))?) };
            Ok((alg.to_der().map_err(|_| Pkcs12Error::Crypto("PBE parameters"))?, ciphertext))
        }
    }
}

/// The MAC digests of RFC 7292 §5 that kyso reads (SHA-1 and SHA-2), by OID.
pub(crate) fn mac_hash(oid: &ObjectIdentifier) -> Option<(Hash, &'static str)> {
    Some(match *oid {
        crate::alg::oid::SHA1 => (Hash::Sha1, "HMAC-SHA-1"),
        oids::SHA224 => (Hash::Sha224, "HMAC-SHA-224"),
        crate::alg::oid::SHA256 => (Hash::Sha256, "HMAC-SHA-256"),
        crate::alg::oid::SHA384 => (Hash::Sha384, "HMAC-SHA-384"),
        crate::alg::oid::SHA512 => (Hash::Sha512, "HMAC-SHA-512"),
        _ => return None,
    })
}

/// HMAC of `data` under the MAC key derived from the password (RFC 7292 §5 and B.4).
pub(crate) fn mac(hash: Hash, password: &Password<'_>, salt: &[u8], iterations: u32, data: &[u8]) -> Vec<u8> {
    use hmac::Mac as _;
    let key = kdf::derive(hash, Purpose::Mac, &password.bmp, salt, iterations, hash.output_len());
    // HMAC takes keys of any length: new_from_slice cannot fail.
    macro_rules! run {
        ($d:ty) => {
            match hmac::Hmac::<$d>::new_from_slice(&key) {
                Ok(mut m) => {
                    m.update(data);
                    m.finalize().into_bytes().to_vec()
                }
                Err(_) => Vec::new(),
            }
        };
    }
    match hash {
        Hash::Sha1 => run!(sha1::Sha1),
        Hash::Sha224 => run!(sha2::Sha224),
        Hash::Sha256 => run!(sha2::Sha256),
        Hash::Sha384 => run!(sha2::Sha384),
        Hash::Sha512 => run!(sha2::Sha512),
    }
}

/// Constant-time comparison of a computed MAC with the received one.
pub(crate) fn same_mac(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && !a.is_empty() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
