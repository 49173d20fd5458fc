//! Reading PKCS#12 files (RFC 7292 §4–5): the PFX, its MAC, the AuthenticatedSafe and the bags.

use super::crypt::{self, Password};
use super::oids;
use super::{Budget, CertEntry, KeyEntry, Limits, Part, Pkcs12, Pkcs12Error, Protection, Scheme, MAX_BAGS, MAX_NESTING, MAX_PKCS12_BYTES};
use crate::asn1::{self, Tlv};
use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef};
use der::Decode;
use zeroize::Zeroizing;

const TAG_INTEGER: u8 = 0x02;
const TAG_OCTET_STRING: u8 = 0x04;
const TAG_OID: u8 = 0x06;
const TAG_BMP_STRING: u8 = 0x1e;
const TAG_SEQUENCE: u8 = 0x30;
const TAG_SET: u8 = 0x31;
/// `[0]` constructed: an EXPLICIT content, or a constructed `[0] IMPLICIT OCTET STRING`.
const TAG_CTX0_CONSTRUCTED: u8 = 0xa0;
/// `[0] IMPLICIT OCTET STRING`, primitive.
const TAG_CTX0_PRIMITIVE: u8 = 0x80;

/// Whether `bytes` looks like a PKCS#12 file: a SEQUENCE (DER or BER) whose contents start
/// with the INTEGER 3 and a SEQUENCE (the authSafe ContentInfo). Only the first bytes are
/// looked at, so a truncated file is still recognised (and [`parse`] then says it is truncated);
/// nothing is decrypted. Used to tell a `.p12` from a PEM or PKCS#8 key file.
pub fn is_pkcs12(bytes: &[u8]) -> bool {
    let Ok(outer) = asn1::head(bytes) else { return false };
    outer.tag == TAG_SEQUENCE && bytes.get(outer.header_len..).is_some_and(|body| body.starts_with(&[TAG_INTEGER, 0x01, 0x03, TAG_SEQUENCE]))
}

/// Maps a DER/BER reading error of part `what` to the file's error: truncation anywhere is
/// [`Pkcs12Error::Truncated`].
fn enc(what: &'static str) -> impl Fn(asn1::Error) -> Pkcs12Error {
    move |e| match e {
        asn1::Error::Truncated => Pkcs12Error::Truncated,
        asn1::Error::TooComplex => Pkcs12Error::TooMany { what: "nested elements", limit: asn1::MAX_DEPTH },
        _ => Pkcs12Error::Malformed { what },
    }
}

fn oid_of(t: &Tlv<'_>, what: &'static str) -> Result<ObjectIdentifier, Pkcs12Error> {
    if t.tag != TAG_OID {
        return Err(Pkcs12Error::Malformed { what });
    }
    t.decode::<ObjectIdentifier>().map_err(|_| Pkcs12Error::Malformed { what })
}

/// The elements of a SEQUENCE `t`, at most `limit`.
fn seq<'a>(t: &Tlv<'a>, limit: usize, what: &'static str) -> Result<Vec<Tlv<'a>>, Pkcs12Error> {
    if t.tag != TAG_SEQUENCE {
        return Err(Pkcs12Error::Malformed { what });
    }
    asn1::children(t.body, limit, what).map_err(|e| match e {
        asn1::Error::TooMany { .. } => Pkcs12Error::TooMany { what: "bags", limit: MAX_BAGS },
        other => enc(what)(other),
    })
}

/// The one element inside an EXPLICIT `[0]`.
fn explicit0<'a>(t: &Tlv<'a>, what: &'static str) -> Result<Tlv<'a>, Pkcs12Error> {
    if t.tag != TAG_CTX0_CONSTRUCTED {
        return Err(Pkcs12Error::Malformed { what });
    }
    asn1::read_all(t.body).map_err(enc(what))
}

/// A normalised (DER) copy of `bytes`, which may be BER.
fn normalised(bytes: &[u8], what: &'static str) -> Result<Vec<u8>, Pkcs12Error> {
    asn1::normalise(bytes).map(|n| n.der.into_owned()).map_err(|e| match e {
        asn1::Error::Empty => Pkcs12Error::Malformed { what },
        other => enc(what)(other),
    })
}

/// Opens a PKCS#12 file with its password: checks the MAC (when there is one), decrypts every
/// part and returns the keys and certificates. See the module documentation for the errors.
///
/// An empty password is tried in both forms OpenSSL writes (with and without the BMPString
/// terminator), choosing the one the MAC verifies with.
pub fn parse(bytes: &[u8], password: &[u8]) -> Result<Pkcs12, Pkcs12Error> {
    parse_with_limits(bytes, password, Limits::default())
}

/// [`parse`] with lower key-derivation caps than the defaults (see [`Limits`]).
pub fn parse_with_limits(bytes: &[u8], password: &[u8], limits: Limits) -> Result<Pkcs12, Pkcs12Error> {
    if bytes.len() > MAX_PKCS12_BYTES {
        return Err(Pkcs12Error::TooLarge { size: bytes.len(), limit: MAX_PKCS12_BYTES });
    }
    if !looks_like_a_sequence(bytes) {
        return Err(Pkcs12Error::NotPkcs12);
    }
    let der = normalised(bytes, "the PFX")?;
    let pfx = asn1::read_all(&der).map_err(enc("the PFX"))?;
    let fields = seq(&pfx, 3, "the PFX").map_err(|e| match e {
        Pkcs12Error::TooMany { .. } => Pkcs12Error::Malformed { what: "the PFX" },
        other => other,
    })?;
    let (version, auth_safe, mac_data) = match fields.as_slice() {
        [v, a] => (v, a, None),
        [v, a, m] => (v, a, Some(m)),
        _ => return Err(Pkcs12Error::Malformed { what: "the PFX" }),
    };
    if version.tag != TAG_INTEGER {
        return Err(Pkcs12Error::NotPkcs12);
    }
    match asn1::small_uint(version) {
        Some(3) => {}
        Some(v) => return Err(Pkcs12Error::UnsupportedVersion(v.into())),
        None => return Err(Pkcs12Error::Malformed { what: "the version" }),
    }
    // authSafe: ContentInfo { id-data, [0] EXPLICIT OCTET STRING } (id-signedData is the
    // public-key integrity mode).
    let ci = seq(auth_safe, 2, "the authSafe ContentInfo")?;
    let [content_type, content] = ci.as_slice() else {
        return Err(Pkcs12Error::Malformed { what: "the authSafe ContentInfo" });
    };
    let ct = oid_of(content_type, "the authSafe content type")?;
    if ct != oids::DATA {
        return Err(Pkcs12Error::Unsupported {
            what: if ct == oids::SIGNED_DATA { "integrity mode (a PFX signed with a key, not protected by a password)" } else { "authSafe content type" },
            oid: ct,
        });
    }
    let octets = explicit0(content, "the authSafe content")?;
    if octets.tag != TAG_OCTET_STRING {
        return Err(Pkcs12Error::Malformed { what: "the authSafe content" });
    }
    let auth_data = octets.body;

    let mut budget = Budget::new(limits);
    let mut protection = Protection::default();
    let candidates: Vec<Password<'_>> = if password.is_empty() {
        vec![Password::new(password), Password::empty_without_terminator()]
    } else {
        vec![Password::new(password)]
    };
    let (password, mac_verified) = match mac_data {
        Some(m) => {
            let (scheme, chosen) = check_mac(m, candidates, auth_data, &mut budget)?;
            protection.mac = Some(scheme);
            (chosen, true)
        }
        None => (candidates.into_iter().next().unwrap_or_else(|| Password::new(b"")), false),
    };

    let mut reader = Reader { password, mac_verified, budget, protection, keys: Vec::new(), certificates: Vec::new(), bags: 0, skipped: 0 };
    let auth = normalised(auth_data, "the AuthenticatedSafe")?;
    let auth = asn1::read_all(&auth).map_err(enc("the AuthenticatedSafe"))?;
    for ci in seq(&auth, MAX_BAGS, "the AuthenticatedSafe")? {
        reader.content_info(&ci)?;
    }
    Ok(Pkcs12 { keys: reader.keys, certificates: reader.certificates, protection: reader.protection, skipped_bags: reader.skipped })
}

/// Whether the first byte is a SEQUENCE tag (what every PFX starts with): anything else is not
/// a PKCS#12 file, whatever follows.
fn looks_like_a_sequence(bytes: &[u8]) -> bool {
    bytes.first() == Some(&TAG_SEQUENCE)
}

/// MacData (RFC 7292 §4).
#[derive(der::Sequence)]
struct MacData<'a> {
    mac: DigestInfo<'a>,
    mac_salt: &'a OctetStringRef,
    #[asn1(optional = "true")]
    iterations: Option<u64>,
}

/// DigestInfo (PKCS#1).
#[derive(der::Sequence)]
struct DigestInfo<'a> {
    algorithm: spki::AlgorithmIdentifier<AnyRef<'a>>,
    digest: &'a OctetStringRef,
}

/// Verifies the MAC with each password candidate; returns the MAC's description and the
/// candidate that verified.
fn check_mac<'p>(m: &Tlv<'_>, candidates: Vec<Password<'p>>, data: &[u8], budget: &mut Budget) -> Result<(Scheme, Password<'p>), Pkcs12Error> {
    let mac: MacData<'_> = m.decode().map_err(|_| Pkcs12Error::Malformed { what: "the MAC" })?;
    let oid = mac.mac.algorithm.oid;
    let Some((hash, name)) = crypt::mac_hash(&oid) else {
        return Err(Pkcs12Error::Unsupported { what: if oid == oids::PBMAC1 { "MAC (PBMAC1)" } else { "MAC digest" }, oid });
    };
    // A missing count is the DEFAULT 1; 0 counts as 1 (OpenSSL reads it so). Checked and charged
    // once here; each further password candidate is charged again below.
    let stated = mac.iterations.unwrap_or(1);
    let iterations = budget.charge("MAC iterations", stated)?;
    let scheme = Scheme { name, iterations: stated, legacy: hash == super::kdf::Hash::Sha1 };
    for (i, candidate) in candidates.into_iter().enumerate() {
        if i > 0 {
            budget.spend(stated)?;
        }
        let computed = crypt::mac(hash, &candidate, mac.mac_salt.as_bytes(), iterations, data);
        if crypt::same_mac(&computed, mac.mac.digest.as_bytes()) {
            return Ok((scheme, candidate));
        }
    }
    Err(Pkcs12Error::MacMismatch)
}

/// The state of one parse: the password, what was found, the budgets.
struct Reader<'p> {
    password: Password<'p>,
    mac_verified: bool,
    budget: Budget,
    protection: Protection,
    keys: Vec<KeyEntry>,
    certificates: Vec<CertEntry>,
    bags: usize,
    skipped: usize,
}

impl Reader<'_> {
    /// One ContentInfo of the AuthenticatedSafe: Data or EncryptedData.
    fn content_info(&mut self, ci: &Tlv<'_>) -> Result<(), Pkcs12Error> {
        let fields = seq(ci, 2, "a ContentInfo")?;
        let [content_type, content] = fields.as_slice() else {
            return Err(Pkcs12Error::Malformed { what: "a ContentInfo" });
        };
        let ct = oid_of(content_type, "a content type")?;
        let inner = explicit0(content, "a ContentInfo's content")?;
        match ct {
            oids::DATA => {
                if inner.tag != TAG_OCTET_STRING {
                    return Err(Pkcs12Error::Malformed { what: "a Data content" });
                }
                self.safe_contents(inner.body, 0, false)
            }
            oids::ENCRYPTED_DATA => {
                let plain = self.encrypted_data(&inner)?;
                self.safe_contents(&plain, 0, true)
            }
            oids::ENVELOPED_DATA => Err(Pkcs12Error::Unsupported { what: "privacy mode (a part enveloped for a certificate, not protected by a password)", oid: ct }),
            other => Err(Pkcs12Error::Unsupported { what: "content type", oid: other }),
        }
    }

    /// EncryptedData { version, EncryptedContentInfo { contentType, algorithm, \[0\] IMPLICIT
    /// OCTET STRING } } → the decrypted SafeContents. The encrypted content may arrive as a
    /// constructed `[0]` of OCTET STRING segments (BER, which the normaliser cannot recognise
    /// under an implicit tag): the segments are joined here.
    fn encrypted_data(&mut self, ed: &Tlv<'_>) -> Result<Zeroizing<Vec<u8>>, Pkcs12Error> {
        let fields = seq(ed, 3, "an EncryptedData")?;
        let eci = match fields.as_slice() {
            [version, eci, ..] if version.tag == TAG_INTEGER => eci,
            _ => return Err(Pkcs12Error::Malformed { what: "an EncryptedData" }),
        };
        let parts = seq(eci, 3, "an EncryptedContentInfo")?;
        let [_content_type, algorithm, content] = parts.as_slice() else {
            return Err(Pkcs12Error::Malformed { what: "an EncryptedContentInfo (no encrypted content)" });
        };
        let ciphertext: Vec<u8> = match content.tag {
            TAG_CTX0_PRIMITIVE => content.body.to_vec(),
            TAG_CTX0_CONSTRUCTED => {
                let mut joined = Vec::new();
                for segment in asn1::children(content.body, asn1::MAX_CHILDREN, "encrypted content segments").map_err(enc("the encrypted content"))? {
                    if segment.tag != TAG_OCTET_STRING {
                        return Err(Pkcs12Error::Malformed { what: "the encrypted content" });
                    }
                    joined.extend_from_slice(segment.body);
                }
                joined
            }
            _ => return Err(Pkcs12Error::Malformed { what: "the encrypted content" }),
        };
        let (plain, scheme) = crypt::decrypt(algorithm.raw, &self.password, &ciphertext, &mut self.budget)?;
        self.protection.encryption.push(scheme);
        plain.ok_or(Pkcs12Error::DecryptionFailed { part: Part::EncryptedContents, mac_verified: self.mac_verified })
    }

    /// SafeContents: a SEQUENCE OF SafeBag. `decrypted`: the bytes came out of a decryption, so a
    /// parse failure there means a wrong key when the MAC did not vouch for the password.
    fn safe_contents(&mut self, bytes: &[u8], depth: usize, decrypted: bool) -> Result<(), Pkcs12Error> {
        if depth > MAX_NESTING {
            return Err(Pkcs12Error::TooMany { what: "levels of nested bags", limit: MAX_NESTING });
        }
        let mac_verified = self.mac_verified;
        let wrong_key = |e: Pkcs12Error| match e {
            Pkcs12Error::Malformed { .. } | Pkcs12Error::Truncated | Pkcs12Error::NotPkcs12 if decrypted && !mac_verified => {
                Pkcs12Error::DecryptionFailed { part: Part::EncryptedContents, mac_verified: false }
            }
            other => other,
        };
        // Zeroizing: a decrypted SafeContents may hold unencrypted KeyBags.
        let der = Zeroizing::new(normalised(bytes, "a SafeContents").map_err(wrong_key)?);
        let contents = asn1::read_all(&der).map_err(enc("a SafeContents")).map_err(wrong_key)?;
        let bags = seq(&contents, MAX_BAGS, "a SafeContents").map_err(wrong_key)?;
        for bag in bags {
            self.bags += 1;
            if self.bags > MAX_BAGS {
                return Err(Pkcs12Error::TooMany { what: "bags", limit: MAX_BAGS });
            }
            self.safe_bag(&bag, depth)?;
        }
        Ok(())
    }

    /// SafeBag { bagId, \[0\] EXPLICIT bagValue, bagAttributes SET OF Attribute OPTIONAL }.
    fn safe_bag(&mut self, bag: &Tlv<'_>, depth: usize) -> Result<(), Pkcs12Error> {
        let fields = seq(bag, 3, "a SafeBag")?;
        let (id, value, attributes) = match fields.as_slice() {
            [id, value] => (id, value, None),
            [id, value, attrs] if attrs.tag == TAG_SET => (id, value, Some(attrs)),
            _ => return Err(Pkcs12Error::Malformed { what: "a SafeBag" }),
        };
        let bag_id = oid_of(id, "a bag type")?;
        let value = explicit0(value, "a bag value")?;
        let (friendly_name, local_key_id) = match attributes {
            Some(a) => bag_attributes(a)?,
            None => (None, None),
        };
        match bag_id {
            oids::KEY_BAG => {
                self.protection.plain_keys += 1;
                self.keys.push(KeyEntry { pkcs8: Zeroizing::new(value.raw.to_vec()), friendly_name, local_key_id });
            }
            oids::SHROUDED_KEY_BAG => {
                // EncryptedPrivateKeyInfo { encryptionAlgorithm, encryptedData OCTET STRING }
                let parts = seq(&value, 2, "a shrouded key")?;
                let [algorithm, data] = parts.as_slice() else {
                    return Err(Pkcs12Error::Malformed { what: "a shrouded key" });
                };
                if data.tag != TAG_OCTET_STRING {
                    return Err(Pkcs12Error::Malformed { what: "a shrouded key" });
                }
                let (plain, scheme) = crypt::decrypt(algorithm.raw, &self.password, data.body, &mut self.budget)?;
                self.protection.encryption.push(scheme);
                let failed = Pkcs12Error::DecryptionFailed { part: Part::PrivateKey, mac_verified: self.mac_verified };
                let plain = plain.ok_or(failed.clone())?;
                // A wrong key can leave valid padding by chance (1 in 256 with CBC): the result
                // is then not a PrivateKeyInfo. Normalised: some writers use BER here too.
                let pkcs8 = match asn1::normalise(&plain) {
                    Ok(n) if pkcs8::PrivateKeyInfoRef::from_der(&n.der).is_ok() => Zeroizing::new(n.der.into_owned()),
                    _ => return Err(failed),
                };
                self.keys.push(KeyEntry { pkcs8, friendly_name, local_key_id });
            }
            oids::CERT_BAG => {
                // CertBag { certId, [0] EXPLICIT certValue }
                let parts = seq(&value, 2, "a certificate bag")?;
                let [cert_id, cert_value] = parts.as_slice() else {
                    return Err(Pkcs12Error::Malformed { what: "a certificate bag" });
                };
                if oid_of(cert_id, "a certificate type")? != oids::X509_CERTIFICATE {
                    self.skipped += 1;
                    return Ok(());
                }
                let octets = explicit0(cert_value, "a certificate")?;
                if octets.tag != TAG_OCTET_STRING {
                    return Err(Pkcs12Error::Malformed { what: "a certificate" });
                }
                let der = normalised(octets.body, "a certificate")?;
                self.certificates.push(CertEntry { der, friendly_name, local_key_id });
            }
            oids::SAFE_CONTENTS_BAG => {
                // The value is a SafeContents: re-encoded from its received (normalised) bytes.
                self.safe_contents(value.raw, depth + 1, false)?;
            }
            // CRL and secret bags, and types this version of RFC 7292 does not define.
            _ => self.skipped += 1,
        }
        Ok(())
    }
}

/// friendlyName (BMPString) and localKeyId (OCTET STRING) from a bag's attributes; other
/// attributes (Microsoft's CSP name, …) are ignored.
fn bag_attributes(set: &Tlv<'_>) -> Result<(Option<String>, Option<Vec<u8>>), Pkcs12Error> {
    let mut name = None;
    let mut id = None;
    for attr in asn1::children(set.body, asn1::MAX_CHILDREN, "bag attributes").map_err(enc("bag attributes"))? {
        let fields = seq(&attr, 2, "a bag attribute")?;
        let [attr_id, values] = fields.as_slice() else {
            return Err(Pkcs12Error::Malformed { what: "a bag attribute" });
        };
        if values.tag != TAG_SET {
            return Err(Pkcs12Error::Malformed { what: "a bag attribute" });
        }
        let first = asn1::children(values.body, asn1::MAX_CHILDREN, "attribute values").map_err(enc("a bag attribute"))?.into_iter().next();
        match (oid_of(attr_id, "a bag attribute")?, first) {
            (oids::FRIENDLY_NAME, Some(v)) if v.tag == TAG_BMP_STRING => name = Some(from_bmp(v.body)),
            (oids::LOCAL_KEY_ID, Some(v)) if v.tag == TAG_OCTET_STRING => id = Some(v.body.to_vec()),
            _ => {}
        }
    }
    Ok((name, id))
}

/// A BMPString's text (UTF-16 big endian; unpaired surrogates become U+FFFD).
fn from_bmp(bytes: &[u8]) -> String {
    let units: Vec<u16> = bytes.chunks(2).map(|c| u16::from_be_bytes([c.first().copied().unwrap_or(0), c.get(1).copied().unwrap_or(0)])).collect();
    String::from_utf16_lossy(&units)
}
