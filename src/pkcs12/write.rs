//! Writing PKCS#12 files: one key, its certificate and the chain, in the layout OpenSSL and
//! Windows use — an EncryptedData with the certificates, then a Data with the shrouded key,
//! under an HMAC — with friendlyName and localKeyId on the key and its certificate.

use super::crypt::{self, Encrypt, Password};
use super::kdf::Hash;
use super::oids;
use super::{spki_of, Pkcs12Error, LEGACY_ITERATIONS, MAX_ITERATIONS, MAX_TOTAL_ITERATIONS, WRITE_ITERATIONS};
use crate::asn1::{set_of, tlv, TAG_CTX0, TAG_OCTET_STRING, TAG_SEQUENCE, TAG_SET};
use crate::keys::PrivateKey;
use der::asn1::ObjectIdentifier;
use der::Encode;
use ring::rand::SecureRandom;
use sha1::Digest;

const TAG_BMP_STRING: u8 = 0x1e;
/// `[0] IMPLICIT OCTET STRING`, primitive (the encrypted content).
const TAG_CTX0_PRIMITIVE: u8 = 0x80;

/// How [`write()`] protects a file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct WriteOptions {
    /// Write what `openssl pkcs12 -export -legacy` writes (pbeWithSHAAnd3-KeyTripleDES-CBC for
    /// the key, pbeWithSHAAnd40BitRC2-CBC for the certificates, HMAC-SHA-1) for readers that
    /// know nothing newer (Windows 7, old Java and macOS). Weak: only for such readers.
    pub legacy: bool,
    /// The iteration count of every key derivation; default [`WRITE_ITERATIONS`], or
    /// [`LEGACY_ITERATIONS`] with `legacy`.
    pub iterations: Option<u32>,
    /// The friendly name of the key and its certificate (what Windows and browsers show);
    /// default the certificate's common name.
    pub friendly_name: Option<String>,
}

impl WriteOptions {
    /// The default options: PBES2 with AES-256-CBC, HMAC-SHA-256.
    pub fn new() -> WriteOptions {
        WriteOptions::default()
    }

    /// The legacy options (see [`WriteOptions::legacy`]).
    pub fn legacy() -> WriteOptions {
        WriteOptions { legacy: true, ..WriteOptions::default() }
    }
}

pub(super) fn oid(o: ObjectIdentifier) -> Vec<u8> {
    // An OID constant always encodes.
    o.to_der().unwrap_or_default()
}

pub(super) fn content_info(content_type: ObjectIdentifier, content: &[u8]) -> Vec<u8> {
    tlv(TAG_SEQUENCE, &[&oid(content_type), &tlv(TAG_CTX0, &[content])])
}

pub(super) fn safe_bag(bag_type: ObjectIdentifier, value: &[u8], attributes: Option<&[u8]>) -> Vec<u8> {
    let id = oid(bag_type);
    let value = tlv(TAG_CTX0, &[value]);
    match attributes {
        Some(a) => tlv(TAG_SEQUENCE, &[&id, &value, a]),
        None => tlv(TAG_SEQUENCE, &[&id, &value]),
    }
}

/// The bag attributes of the key and its certificate: friendlyName (BMPString) and localKeyId.
pub(super) fn attributes(friendly_name: Option<&str>, local_key_id: &[u8]) -> Vec<u8> {
    let mut attrs = Vec::new();
    if let Some(name) = friendly_name {
        let bmp: Vec<u8> = name.encode_utf16().flat_map(u16::to_be_bytes).collect();
        attrs.push(tlv(TAG_SEQUENCE, &[&oid(oids::FRIENDLY_NAME), &tlv(TAG_SET, &[&tlv(TAG_BMP_STRING, &[&bmp])])]));
    }
    attrs.push(tlv(TAG_SEQUENCE, &[&oid(oids::LOCAL_KEY_ID), &tlv(TAG_SET, &[&tlv(TAG_OCTET_STRING, &[local_key_id])])]));
    let mut refs: Vec<&[u8]> = attrs.iter().map(Vec::as_slice).collect();
    set_of(TAG_SET, &mut refs)
}

/// A certificate's common name (the default friendly name).
fn common_name(cert: &[u8]) -> Option<String> {
    let (_, c) = x509_parser::parse_x509_certificate(cert).ok()?;
    let cn = c.subject().iter_common_name().next()?.as_str().ok()?.to_string();
    Some(cn)
}

/// Writes a PKCS#12 file holding `key`, its `certificate` (DER) and `chain` (DER, in the order
/// given; a root may be included), protected by `password` (see [`WriteOptions`]). The
/// certificate must be the key's ([`Pkcs12Error::CertificateKeyMismatch`]); the iteration count
/// must be one [`super::parse`] accepts.
pub fn write(key: &PrivateKey, certificate: &[u8], chain: &[Vec<u8>], password: &[u8], options: &WriteOptions) -> Result<Vec<u8>, Pkcs12Error> {
    let spki = spki_of(certificate).ok_or(Pkcs12Error::BadCertificate { index: 0 })?;
    if !key.matches_spki(&spki) {
        return Err(Pkcs12Error::CertificateKeyMismatch);
    }
    for (i, c) in chain.iter().enumerate() {
        if spki_of(c).is_none() {
            return Err(Pkcs12Error::BadCertificate { index: i + 1 });
        }
    }
    let iterations = options.iterations.unwrap_or(if options.legacy { LEGACY_ITERATIONS } else { WRITE_ITERATIONS });
    // Never write a file that parse() would refuse: three derivations (MAC, key, certificates).
    if iterations > MAX_ITERATIONS {
        return Err(Pkcs12Error::ExcessiveWork { what: "iterations", stated: iterations.into(), limit: MAX_ITERATIONS.into() });
    }
    if 3 * u64::from(iterations) > MAX_TOTAL_ITERATIONS {
        return Err(Pkcs12Error::ExcessiveWork { what: "iterations in all (MAC and encrypted parts)", stated: 3 * u64::from(iterations), limit: MAX_TOTAL_ITERATIONS });
    }
    let iterations = iterations.max(1);
    let rng = ring::rand::SystemRandom::new();
    let pw = Password::new(password);
    let friendly_name = options.friendly_name.clone().or_else(|| common_name(certificate));
    // localKeyId: the SHA-1 of the certificate, as OpenSSL writes it.
    let local_key_id = sha1::Sha1::digest(certificate).to_vec();
    let attrs = attributes(friendly_name.as_deref(), &local_key_id);

    let (key_scheme, cert_scheme) = if options.legacy {
        (
            Encrypt::Legacy { pbe: crypt::LEGACY_KEY_PBE, iterations },
            Encrypt::Legacy { pbe: crypt::LEGACY_CERT_PBE, iterations },
        )
    } else {
        (Encrypt::Pbes2 { iterations }, Encrypt::Pbes2 { iterations })
    };

    // The certificates: the key's first, with the attributes; then the chain.
    let mut cert_bags = Vec::new();
    for (i, c) in std::iter::once(certificate).chain(chain.iter().map(Vec::as_slice)).enumerate() {
        cert_bags.push(cert_bag(c, (i == 0).then_some(attrs.as_slice())));
    }
    let encrypted = encrypted_data(cert_scheme, &pw, &safe_contents(&cert_bags), &rng)?;
    let key_bag = shrouded_key_bag(key_scheme, &pw, key.pkcs8_der(), Some(&attrs), &rng)?;
    let auth_safe = [content_info(oids::ENCRYPTED_DATA, &encrypted), content_info(oids::DATA, &tlv(TAG_OCTET_STRING, &[&safe_contents(&[key_bag])]))];
    let (hash, salt_len) = if options.legacy { (Hash::Sha1, 8) } else { (Hash::Sha256, 16) };
    pfx(&auth_safe, Some((hash, &pw, iterations, salt_len)), &rng)
}

/// A SafeContents of these bags.
pub(super) fn safe_contents(bags: &[Vec<u8>]) -> Vec<u8> {
    let refs: Vec<&[u8]> = bags.iter().map(Vec::as_slice).collect();
    tlv(TAG_SEQUENCE, &refs)
}

/// A SafeBag holding a CertBag with an X.509 certificate.
pub(super) fn cert_bag(cert: &[u8], attributes: Option<&[u8]>) -> Vec<u8> {
    let value = tlv(TAG_SEQUENCE, &[&oid(oids::X509_CERTIFICATE), &tlv(TAG_CTX0, &[&tlv(TAG_OCTET_STRING, &[cert])])]);
    safe_bag(oids::CERT_BAG, &value, attributes)
}

/// A SafeBag holding a PKCS8ShroudedKeyBag (an EncryptedPrivateKeyInfo).
pub(super) fn shrouded_key_bag(how: Encrypt, pw: &Password<'_>, pkcs8: &[u8], attributes: Option<&[u8]>, rng: &dyn SecureRandom) -> Result<Vec<u8>, Pkcs12Error> {
    let (alg, ct) = crypt::encrypt(how, pw, pkcs8, rng)?;
    let shrouded = tlv(TAG_SEQUENCE, &[&alg, &tlv(TAG_OCTET_STRING, &[&ct])]);
    Ok(safe_bag(oids::SHROUDED_KEY_BAG, &shrouded, attributes))
}

/// An EncryptedData (version 0) holding `plaintext` encrypted.
pub(super) fn encrypted_data(how: Encrypt, pw: &Password<'_>, plaintext: &[u8], rng: &dyn SecureRandom) -> Result<Vec<u8>, Pkcs12Error> {
    let (alg, ct) = crypt::encrypt(how, pw, plaintext, rng)?;
    let info = tlv(TAG_SEQUENCE, &[&oid(oids::DATA), &alg, &tlv(TAG_CTX0_PRIMITIVE, &[&ct])]);
    Ok(tlv(TAG_SEQUENCE, &[&[0x02, 0x01, 0x00], &info]))
}

/// The PFX: version 3, the AuthenticatedSafe of `content_infos`, and a MAC (digest, password,
/// iterations, salt length) over it.
pub(super) fn pfx(content_infos: &[Vec<u8>], mac: Option<(Hash, &Password<'_>, u32, usize)>, rng: &dyn SecureRandom) -> Result<Vec<u8>, Pkcs12Error> {
    let refs: Vec<&[u8]> = content_infos.iter().map(Vec::as_slice).collect();
    let auth_safe = tlv(TAG_SEQUENCE, &refs);
    let auth = content_info(oids::DATA, &tlv(TAG_OCTET_STRING, &[&auth_safe]));
    let Some((hash, pw, iterations, salt_len)) = mac else {
        return Ok(tlv(TAG_SEQUENCE, &[&[0x02, 0x01, 0x03], &auth]));
    };
    let digest_oid = match hash {
        Hash::Sha1 => crate::alg::oid::SHA1,
        Hash::Sha224 => oids::SHA224,
        Hash::Sha256 => crate::alg::oid::SHA256,
        Hash::Sha384 => crate::alg::oid::SHA384,
        Hash::Sha512 => crate::alg::oid::SHA512,
    };
    let mut salt = vec![0u8; salt_len];
    rng.fill(&mut salt).map_err(|_| Pkcs12Error::Crypto("random salt"))?;
    let mac = crypt::mac(hash, pw, &salt, iterations, &auth_safe);
    if mac.is_empty() {
        return Err(Pkcs12Error::Crypto("MAC"));
    }
    let digest_info = tlv(TAG_SEQUENCE, &[&tlv(TAG_SEQUENCE, &[&oid(digest_oid), &[0x05, 0x00]]), &tlv(TAG_OCTET_STRING, &[&mac])]);
    let count = iterations.to_der().map_err(|_| Pkcs12Error::Crypto("MAC iterations"))?;
    let mac_data = tlv(TAG_SEQUENCE, &[&digest_info, &tlv(TAG_OCTET_STRING, &[&salt]), &count]);
    Ok(tlv(TAG_SEQUENCE, &[&[0x02, 0x01, 0x03], &auth, &mac_data]))
}
