//! [`TokenKey`]: a private key on a token behind the [`Signer`] trait, with a pool of sessions so
//! that no session is ever used by two threads.

use super::error::{code, TokenError};
use super::uri::{ObjectType, Pkcs11Uri};
use super::MAX_SESSIONS;
use crate::alg::{oid, SignatureAlgorithm};
use crate::keys::{KeyAlgorithm, KeyError, RsaPadding, Signer};
use cryptoki::context::Pkcs11;
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::mechanism::rsa::{PkcsMgfType, PkcsPssParams};
use cryptoki::mechanism::{Mechanism, MechanismType};
use cryptoki::object::{Attribute, AttributeType, KeyType, ObjectHandle};
use cryptoki::session::Session;
use cryptoki::slot::{Limit, Slot};
use der::asn1::{AnyRef, ObjectIdentifier, OctetStringRef, UintRef};
use der::{Decode, Encode};
use std::sync::{Condvar, Mutex};

/// DigestInfo prefix of a SHA-256 digest (RFC 8017 §9.2 note 1), for CKM_RSA_PKCS.
const SHA256_DIGEST_INFO: [u8; 19] = [0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20];

/// The signing mechanisms the token offers for this key.
#[derive(Debug, Clone, Copy, Default)]
struct Mechanisms {
    sha256_rsa_pkcs: bool,
    sha256_rsa_pss: bool,
}

#[derive(Default)]
struct Pool {
    idle: Vec<Session>,
    open: usize,
    /// Lowered when the token refuses one more session (CKR_SESSION_COUNT).
    limit: usize,
}

/// A private key on a PKCS#11 token. Signs through the [`Signer`] trait; never exports the key.
///
/// Thread-safe: each signature takes a session of its own from the key's pool (opening one when
/// none is free, up to the token's limit and [`MAX_SESSIONS`]; waiting beyond). The first session
/// (the one logged in) stays open as long as the key, so the login does too.
pub struct TokenKey {
    ctx: Pkcs11,
    slot: Slot,
    handle: ObjectHandle,
    token_label: String,
    label: String,
    id: Vec<u8>,
    uri: Pkcs11Uri,
    wanted: String,
    algorithm: KeyAlgorithm,
    spki: Vec<u8>,
    certificate: Option<Vec<u8>>,
    rsa_padding: RsaPadding,
    mechanisms: Mechanisms,
    pool: Mutex<Pool>,
    free: Condvar,
}

impl std::fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKey").field("uri", &self.uri.to_string()).field("algorithm", &self.algorithm).finish_non_exhaustive()
    }
}

fn attr_bytes(session: &Session, h: ObjectHandle, t: AttributeType) -> Option<Vec<u8>> {
    let a = session.get_attributes(h, &[t]).ok()?.into_iter().next()?;
    match a {
        Attribute::EcParams(v)
        | Attribute::EcPoint(v)
        | Attribute::Modulus(v)
        | Attribute::PublicExponent(v)
        | Attribute::Value(v)
        | Attribute::Id(v)
        | Attribute::Label(v)
        | Attribute::PublicKeyInfo(v) => Some(v),
        _ => None,
    }
}

fn attr_bool(session: &Session, h: ObjectHandle, t: AttributeType) -> Option<bool> {
    match session.get_attributes(h, &[t]).ok()?.into_iter().next()? {
        Attribute::AlwaysAuthenticate(b) | Attribute::Sign(b) => Some(b),
        _ => None,
    }
}

fn curve(ec_params: &[u8]) -> Option<(KeyAlgorithm, ObjectIdentifier)> {
    let oid = ObjectIdentifier::from_der(ec_params).ok()?;
    if oid == oid::P256 {
        Some((KeyAlgorithm::EcdsaP256, oid))
    } else if oid == oid::P384 {
        Some((KeyAlgorithm::EcdsaP384, oid))
    } else {
        None
    }
}

/// Significant bits of a big-endian unsigned integer.
fn bit_len(n: &[u8]) -> usize {
    let n = match n.iter().position(|b| *b != 0) {
        Some(i) => &n[i..],
        None => return 0,
    };
    n.len() * 8 - n.first().map_or(0, |b| b.leading_zeros() as usize)
}

/// The algorithm of a key object, when kyso knows it (for listings).
pub(super) fn algorithm_of(session: &Session, h: ObjectHandle, kt: KeyType) -> Option<KeyAlgorithm> {
    if kt == KeyType::EC {
        attr_bytes(session, h, AttributeType::EcParams).and_then(|p| curve(&p)).map(|(a, _)| a)
    } else if kt == KeyType::RSA {
        attr_bytes(session, h, AttributeType::Modulus).map(|m| KeyAlgorithm::Rsa(bit_len(&m)))
    } else {
        None
    }
}

/// An EC point from CKA_EC_POINT: DER OCTET STRING around the point (PKCS#11 §2.3.3), or the
/// bare point as some modules give it.
fn ec_point(v: &[u8], field_len: usize) -> Option<Vec<u8>> {
    let ok = |p: &[u8]| p.len() == 1 + 2 * field_len && p.first() == Some(&0x04);
    if let Ok(o) = <&OctetStringRef>::from_der(v) {
        if ok(o.as_bytes()) {
            return Some(o.as_bytes().to_vec());
        }
    }
    ok(v).then(|| v.to_vec())
}

fn rsa_spki(modulus: &[u8], exponent: &[u8]) -> Option<Vec<u8>> {
    #[derive(der::Sequence)]
    struct RsaPublicKey<'a> {
        modulus: UintRef<'a>,
        public_exponent: UintRef<'a>,
    }
    let k = RsaPublicKey { modulus: UintRef::new(modulus).ok()?, public_exponent: UintRef::new(exponent).ok()? };
    crate::keys::spki_der(oid::RSA_ENCRYPTION, Some(AnyRef::NULL), &k.to_der().ok()?).ok()
}

/// The key's algorithm and DER SubjectPublicKeyInfo: CKA_PUBLIC_KEY_INFO when the module gives
/// it, else the public key object with the same id, else (RSA) the private key's own modulus and
/// exponent, else the certificate.
fn public_key(session: &Session, h: ObjectHandle, id: &[u8], cert: Option<&[u8]>) -> Result<Option<(KeyAlgorithm, Vec<u8>)>, String> {
    let kt = match session.get_attributes(h, &[AttributeType::KeyType]).map_err(|e| code(&e))?.into_iter().next() {
        Some(Attribute::KeyType(k)) => k,
        _ => return Err("the key has no CKA_KEY_TYPE".into()),
    };
    let pub_obj = if id.is_empty() {
        None
    } else {
        session
            .find_objects(&[Attribute::Class(cryptoki::object::ObjectClass::PUBLIC_KEY), Attribute::Id(id.to_vec())])
            .ok()
            .and_then(|v| v.first().copied())
    };
    if kt == KeyType::EC {
        let params = attr_bytes(session, h, AttributeType::EcParams)
            .or_else(|| pub_obj.and_then(|p| attr_bytes(session, p, AttributeType::EcParams)))
            .ok_or("the EC key has no CKA_EC_PARAMS")?;
        let (alg, curve_oid) = curve(&params).ok_or_else(|| "an EC key on a curve other than P-256 and P-384".to_string())?;
        let field_len = if alg == KeyAlgorithm::EcdsaP256 { 32 } else { 48 };
        let point = pub_obj.and_then(|p| attr_bytes(session, p, AttributeType::EcPoint)).and_then(|v| ec_point(&v, field_len));
        let spki = match point {
            Some(p) => Some(crate::keys::spki_der(oid::EC_PUBLIC_KEY, Some(AnyRef::from(&curve_oid)), &p).map_err(|e| e.to_string())?),
            None => attr_bytes(session, h, AttributeType::PublicKeyInfo).filter(|v| !v.is_empty()).or_else(|| cert.and_then(cert_spki)),
        };
        return Ok(spki.map(|s| (alg, s)));
    }
    if kt == KeyType::RSA {
        let from = |o: ObjectHandle| Some((attr_bytes(session, o, AttributeType::Modulus)?, attr_bytes(session, o, AttributeType::PublicExponent)?));
        let parts = from(h).or_else(|| pub_obj.and_then(from));
        let spki = match parts {
            Some((m, e)) => Some((KeyAlgorithm::Rsa(bit_len(&m)), rsa_spki(&m, &e).ok_or("unreadable RSA public key")?)),
            None => cert.and_then(cert_spki).and_then(|s| rsa_bits(&s).map(|b| (KeyAlgorithm::Rsa(b), s))),
        };
        return Ok(spki);
    }
    Err(format!("key type {kt} (kyso signs with EC P-256/P-384 and RSA keys)"))
}

fn cert_spki(cert: &[u8]) -> Option<Vec<u8>> {
    use x509_parser::prelude::FromDer;
    let (_, c) = x509_parser::certificate::X509Certificate::from_der(cert).ok()?;
    Some(c.public_key().raw.to_vec())
}

fn rsa_bits(spki: &[u8]) -> Option<usize> {
    use x509_parser::prelude::FromDer;
    let (_, s) = x509_parser::x509::SubjectPublicKeyInfo::from_der(spki).ok()?;
    match s.parsed().ok()? {
        x509_parser::public_key::PublicKey::RSA(r) => Some(bit_len(r.modulus)),
        _ => None,
    }
}

/// The certificate on the token for the key: one with the key's id whose public key is the
/// key's; else any certificate on the token whose public key is the key's.
fn find_certificate(session: &Session, id: &[u8], spki: Option<&[u8]>) -> Option<Vec<u8>> {
    let class = Attribute::Class(cryptoki::object::ObjectClass::CERTIFICATE);
    let by_id = if id.is_empty() { Vec::new() } else { session.find_objects(&[class.clone(), Attribute::Id(id.to_vec())]).unwrap_or_default() };
    let value = |h: ObjectHandle| attr_bytes(session, h, AttributeType::Value);
    let fits = |c: &[u8]| spki.is_none_or(|s| cert_spki(c).is_some_and(|cs| crate::keys::same_public_key(&cs, s)));
    if let Some(c) = by_id.iter().filter_map(|h| value(*h)).find(|c| fits(c)) {
        return Some(c);
    }
    let spki = spki?;
    session
        .find_objects(&[class])
        .unwrap_or_default()
        .into_iter()
        .filter_map(value)
        .find(|c| cert_spki(c).is_some_and(|cs| crate::keys::same_public_key(&cs, spki)))
}

/// Builds the [`TokenKey`] for the private key `handle` of `token`.
/// What a key takes over from the [`super::Token`] it was found on (its logged-in session
/// among them): handed over by the token, so that this module does not depend on it.
pub(super) struct TokenParts {
    pub(super) ctx: Pkcs11,
    pub(super) module: std::path::PathBuf,
    pub(super) slot: Slot,
    pub(super) label: String,
    pub(super) serial: String,
    pub(super) session: Session,
}

pub(super) fn open(token: TokenParts, handle: ObjectHandle, wanted: String) -> Result<TokenKey, TokenError> {
    let s = &token.session;
    let label = attr_bytes(s, handle, AttributeType::Label).map(|l| String::from_utf8_lossy(&l).into_owned()).unwrap_or_default();
    let id = attr_bytes(s, handle, AttributeType::Id).unwrap_or_default();
    if attr_bool(s, handle, AttributeType::AlwaysAuthenticate) == Some(true) {
        return Err(TokenError::Unsupported(format!(
            "the key {wanted} on the token '{}' asks for the PIN again before every signature (CKA_ALWAYS_AUTHENTICATE)",
            token.label
        )));
    }
    if attr_bool(s, handle, AttributeType::Sign) == Some(false) {
        return Err(TokenError::Unsupported(format!("the key {wanted} on the token '{}' may not sign (CKA_SIGN is false)", token.label)));
    }
    // The certificate by id first (it can also give the public key), then the public key.
    let cert_by_id = find_certificate(s, &id, None);
    let (algorithm, spki) = match public_key(s, handle, &id, cert_by_id.as_deref()) {
        Ok(Some(k)) => k,
        Ok(None) => return Err(TokenError::NoPublicKey { token: token.label.clone(), wanted }),
        Err(what) => return Err(TokenError::Unsupported(format!("{wanted} on the token '{}': {what}", token.label))),
    };
    if let KeyAlgorithm::Rsa(bits) = algorithm {
        if bits < 2048 {
            return Err(TokenError::Unsupported(format!("{wanted} on the token '{}' is RSA {bits}: at least 2048 bits", token.label)));
        }
    }
    let certificate = find_certificate(s, &id, Some(&spki));
    let mech_list = token.ctx.get_mechanism_list(token.slot).unwrap_or_default();
    let mechanisms = Mechanisms {
        sha256_rsa_pkcs: mech_list.contains(&MechanismType::SHA256_RSA_PKCS),
        sha256_rsa_pss: mech_list.contains(&MechanismType::SHA256_RSA_PKCS_PSS),
    };
    let limit = match token.ctx.get_token_info(token.slot).map(|t| t.max_session_count()) {
        Ok(Limit::Max(n)) => usize::try_from(n).unwrap_or(MAX_SESSIONS).clamp(1, MAX_SESSIONS),
        _ => MAX_SESSIONS,
    };
    let uri = Pkcs11Uri {
        token: Some(token.label.clone()),
        serial: Some(token.serial.clone()),
        object: (!label.is_empty()).then(|| label.clone()),
        object_type: Some(ObjectType::Private),
        id: (!id.is_empty()).then(|| id.clone()),
        module_path: Some(token.module.clone()),
        ..Pkcs11Uri::default()
    };
    let TokenParts { ctx, slot, label: token_label, session, .. } = token;
    Ok(TokenKey {
        ctx,
        slot,
        handle,
        token_label,
        label,
        id,
        uri,
        wanted,
        algorithm,
        spki,
        certificate,
        rsa_padding: RsaPadding::Pss,
        mechanisms,
        pool: Mutex::new(Pool { idle: vec![session], open: 1, limit }),
        free: Condvar::new(),
    })
}

/// Generates a key pair on the token (see [`super::Token::generate_key`]); returns the private key.
pub(super) fn generate(token: &TokenParts, label: &str, algorithm: KeyAlgorithm) -> Result<ObjectHandle, TokenError> {
    let fail = |operation: &'static str| move |e: CkError| TokenError::Failed { token: token.label.clone(), operation, code: code(&e) };
    let l = label.as_bytes().to_vec();
    let (mechanism, mut public) = match algorithm {
        KeyAlgorithm::EcdsaP256 | KeyAlgorithm::EcdsaP384 => {
            let oid = if algorithm == KeyAlgorithm::EcdsaP256 { oid::P256 } else { oid::P384 };
            let params = oid.to_der().map_err(|e| TokenError::Unsupported(e.to_string()))?;
            (Mechanism::EccKeyPairGen, vec![Attribute::EcParams(params)])
        }
        KeyAlgorithm::Rsa(bits) if (2048..=4096).contains(&bits) => (
            Mechanism::RsaPkcsKeyPairGen,
            vec![Attribute::ModulusBits((bits as u64).into()), Attribute::PublicExponent(vec![0x01, 0x00, 0x01])],
        ),
        other => return Err(TokenError::Unsupported(format!("generating {other} keys on a token (P-256, P-384, RSA 2048–4096)"))),
    };
    // A signing key and nothing else: no decryption, wrapping or derivation.
    public.extend([
        Attribute::Token(true),
        Attribute::Private(false),
        Attribute::Verify(true),
        Attribute::Encrypt(false),
        Attribute::Wrap(false),
        Attribute::Label(l.clone()),
    ]);
    let private = vec![
        Attribute::Token(true),
        Attribute::Private(true),
        Attribute::Sensitive(true),
        Attribute::Extractable(false),
        Attribute::Sign(true),
        Attribute::Decrypt(false),
        Attribute::Unwrap(false),
        Attribute::Derive(false),
        Attribute::Label(l),
    ];
    let (pub_h, priv_h) = token.session.generate_key_pair(&mechanism, &public, &private).map_err(fail("generate the key pair"))?;
    // CKA_ID = SHA-1 of the public key bits, on both halves.
    let s = &token.session;
    let bits = if matches!(algorithm, KeyAlgorithm::Rsa(_)) {
        let m = attr_bytes(s, pub_h, AttributeType::Modulus).ok_or_else(|| TokenError::Unsupported("the new RSA key has no modulus".into()))?;
        let e = attr_bytes(s, pub_h, AttributeType::PublicExponent).ok_or_else(|| TokenError::Unsupported("the new RSA key has no exponent".into()))?;
        rsa_spki(&m, &e).and_then(|spki| {
            spki::SubjectPublicKeyInfoRef::from_der(&spki).ok().map(|s| s.subject_public_key.raw_bytes().to_vec())
        })
    } else {
        let field_len = if algorithm == KeyAlgorithm::EcdsaP256 { 32 } else { 48 };
        attr_bytes(s, pub_h, AttributeType::EcPoint).and_then(|v| ec_point(&v, field_len))
    }
    .ok_or_else(|| TokenError::Unsupported("the token did not give the new public key".into()))?;
    let id = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &bits).as_ref().to_vec();
    for h in [pub_h, priv_h] {
        s.update_attributes(h, &[Attribute::Id(id.clone())]).map_err(fail("set the key id"))?;
    }
    Ok(priv_h)
}

/// ECDSA r‖s (PKCS#11 §2.3.1) → DER `Ecdsa-Sig-Value` (RFC 3279 §2.2.3).
fn ecdsa_der(raw: &[u8], field_len: usize) -> Result<Vec<u8>, KeyError> {
    #[derive(der::Sequence)]
    struct EcdsaSig<'a> {
        r: UintRef<'a>,
        s: UintRef<'a>,
    }
    if raw.len() != 2 * field_len {
        return Err(KeyError::Token { operation: "sign", code: format!("an ECDSA signature of {} bytes (expected {})", raw.len(), 2 * field_len) });
    }
    let (r, s) = raw.split_at(field_len);
    let bad = |_| KeyError::Crypto("ECDSA signature encoding");
    EcdsaSig { r: UintRef::new(r).map_err(bad)?, s: UintRef::new(s).map_err(bad)? }.to_der().map_err(bad)
}

impl TokenKey {
    /// The key's algorithm.
    pub fn algorithm(&self) -> KeyAlgorithm {
        self.algorithm
    }

    /// Chooses the RSA padding of new signatures (no effect on EC keys).
    pub fn set_rsa_padding(&mut self, padding: RsaPadding) {
        self.rsa_padding = padding;
    }

    /// The certificate stored on the token for this key (DER), if any.
    pub fn certificate(&self) -> Option<&[u8]> {
        self.certificate.as_deref()
    }

    /// A URI naming exactly this key (token label and serial, object label, id, module path).
    pub fn uri(&self) -> &Pkcs11Uri {
        &self.uri
    }

    /// The token's label.
    pub fn token_label(&self) -> &str {
        &self.token_label
    }

    /// The key's CKA_LABEL.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The key's CKA_ID.
    pub fn id(&self) -> &[u8] {
        &self.id
    }

    /// How many sessions may sign at once with this key: the token's own limit
    /// (ulMaxSessionCount, or the count at which it refused one more) capped at [`MAX_SESSIONS`].
    /// Signatures beyond it wait for a free session.
    pub fn max_sessions(&self) -> usize {
        self.pool.lock().unwrap_or_else(|p| p.into_inner()).limit
    }

    pub(super) fn wanted(&self) -> &str {
        &self.wanted
    }

    /// A session for this thread: an idle one, a new one (up to the limit), or the next freed.
    fn take(&self) -> Result<Session, KeyError> {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(s) = pool.idle.pop() {
                return Ok(s);
            }
            if pool.open < pool.limit {
                pool.open += 1;
                drop(pool);
                match self.ctx.open_ro_session(self.slot) {
                    Ok(s) => return Ok(s),
                    Err(e) => {
                        pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
                        pool.open -= 1;
                        if matches!(e, CkError::Pkcs11(RvError::SessionCount, _)) && pool.open > 0 {
                            pool.limit = pool.open;
                            continue;
                        }
                        return Err(KeyError::Token { operation: "open a session", code: code(&e) });
                    }
                }
            }
            pool = self.free.wait(pool).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn give(&self, s: Session) {
        let mut pool = self.pool.lock().unwrap_or_else(|p| p.into_inner());
        pool.idle.push(s);
        drop(pool);
        self.free.notify_one();
    }

    fn sign_on_token(&self, mechanism: &Mechanism, data: &[u8]) -> Result<Vec<u8>, KeyError> {
        let session = self.take()?;
        let r = session.sign(mechanism, self.handle, data);
        self.give(session);
        r.map_err(|e| KeyError::Token { operation: "sign", code: code(&e) })
    }
}

impl Signer for TokenKey {
    fn signature_algorithm(&self) -> SignatureAlgorithm {
        match (self.algorithm, self.rsa_padding) {
            (KeyAlgorithm::EcdsaP384, _) => SignatureAlgorithm::EcdsaP384Sha384,
            (KeyAlgorithm::Rsa(_), RsaPadding::Pss) => SignatureAlgorithm::RsaPssSha256,
            (KeyAlgorithm::Rsa(_), RsaPadding::Pkcs1) => SignatureAlgorithm::RsaPkcs1Sha256,
            _ => SignatureAlgorithm::EcdsaP256Sha256,
        }
    }

    fn public_key_spki(&self) -> &[u8] {
        &self.spki
    }

    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let sha256 = || ring::digest::digest(&ring::digest::SHA256, message);
        let pss = PkcsPssParams { hash_alg: MechanismType::SHA256, mgf: PkcsMgfType::MGF1_SHA256, s_len: 32u64.into() };
        match (self.algorithm, self.rsa_padding) {
            (KeyAlgorithm::EcdsaP256, _) => ecdsa_der(&self.sign_on_token(&Mechanism::Ecdsa, sha256().as_ref())?, 32),
            (KeyAlgorithm::EcdsaP384, _) => {
                let d = ring::digest::digest(&ring::digest::SHA384, message);
                ecdsa_der(&self.sign_on_token(&Mechanism::Ecdsa, d.as_ref())?, 48)
            }
            (KeyAlgorithm::Rsa(_), RsaPadding::Pkcs1) if self.mechanisms.sha256_rsa_pkcs => self.sign_on_token(&Mechanism::Sha256RsaPkcs, message),
            (KeyAlgorithm::Rsa(_), RsaPadding::Pkcs1) => {
                let mut info = SHA256_DIGEST_INFO.to_vec();
                info.extend_from_slice(sha256().as_ref());
                self.sign_on_token(&Mechanism::RsaPkcs, &info)
            }
            (KeyAlgorithm::Rsa(_), RsaPadding::Pss) if self.mechanisms.sha256_rsa_pss => self.sign_on_token(&Mechanism::Sha256RsaPkcsPss(pss), message),
            (KeyAlgorithm::Rsa(_), RsaPadding::Pss) => self.sign_on_token(&Mechanism::RsaPkcsPss(pss), sha256().as_ref()),
            (other, _) => Err(KeyError::Unsupported(format!("{other} keys on a token"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdsa_raw_signatures_become_der() {
        // r with its high bit set gains a 0x00; s with leading zeros loses them.
        let mut raw = vec![0x80; 32];
        raw.extend(std::iter::repeat_n(0u8, 31));
        raw.push(0x05);
        let der = ecdsa_der(&raw, 32).unwrap();
        let mut want = vec![0x30, 0x26, 0x02, 0x21, 0x00];
        want.extend([0x80; 32]);
        want.extend([0x02, 0x01, 0x05]);
        assert_eq!(der, want);
        assert!(matches!(ecdsa_der(&raw[..63], 32), Err(KeyError::Token { .. })));
    }

    #[test]
    fn ec_points_with_or_without_the_octet_string() {
        let mut point = vec![0x04];
        point.extend([7u8; 64]);
        let mut wrapped = vec![0x04, 65];
        wrapped.extend(&point);
        assert_eq!(ec_point(&wrapped, 32).as_deref(), Some(&point[..]));
        assert_eq!(ec_point(&point, 32).as_deref(), Some(&point[..]));
        assert_eq!(ec_point(&point, 48), None);
        assert_eq!(ec_point(&[0x04, 0x01, 0x04], 32), None);
    }

    #[test]
    fn rsa_public_keys_and_sizes() {
        assert_eq!(bit_len(&[0x00, 0x01, 0xff]), 9);
        assert_eq!(bit_len(&[0x80; 256]), 2048);
        assert_eq!(bit_len(&[0, 0]), 0);
        // modulus with its high bit set (DER INTEGER gains a 0x00), exponent 65537
        let n = [0xc3u8; 256];
        let spki_der = rsa_spki(&n, &[0x01, 0x00, 0x01]).unwrap();
        let spki = spki::SubjectPublicKeyInfoRef::from_der(&spki_der).unwrap();
        assert_eq!(spki.algorithm.oid, oid::RSA_ENCRYPTION);
        #[derive(der::Sequence)]
        struct R<'a> {
            n: UintRef<'a>,
            e: UintRef<'a>,
        }
        let r = R::from_der(spki.subject_public_key.raw_bytes()).unwrap();
        assert_eq!((r.n.as_bytes(), r.e.as_bytes()), (&n[..], &[0x01, 0x00, 0x01][..]));
        assert_eq!(rsa_bits(&spki_der), Some(2048));
    }
}
