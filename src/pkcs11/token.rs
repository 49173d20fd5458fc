//! Choosing a token, logging in, finding and listing objects, making keys and storing
//! certificates.

use super::error::{code, ObjectClass, PinTries, TokenError};
use super::key::{self, TokenKey};
use super::uri::{ObjectType, Pkcs11Uri};
use crate::keys::KeyAlgorithm;
use cryptoki::context::Pkcs11;
use cryptoki::error::{Error as CkError, RvError};
use cryptoki::object::{Attribute, AttributeType, CertificateType, ObjectHandle};
use cryptoki::session::{Session, SessionState, UserType};
use cryptoki::slot::{Slot, TokenInfo};
use std::path::{Path, PathBuf};

/// A slot of a module, and the token in it if any.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SlotEntry {
    /// The slot id.
    pub id: u64,
    /// The slot description.
    pub description: String,
    /// The slot manufacturer.
    pub manufacturer: String,
    /// The token in the slot.
    pub token: Option<TokenEntry>,
}

/// A token's description.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenEntry {
    /// The label.
    pub label: String,
    /// The manufacturer.
    pub manufacturer: String,
    /// The model.
    pub model: String,
    /// The serial number.
    pub serial: String,
    /// Whether the token is initialised.
    pub initialized: bool,
    /// Whether the user must log in to use private objects.
    pub login_required: bool,
    /// Whether the PIN is entered on the device itself (a PIN pad).
    pub protected_authentication_path: bool,
    /// What the token reports about PIN tries.
    pub pin_tries: PinTries,
}

/// An object on a token, as listed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct TokenObject {
    /// Its class.
    pub class: ObjectClass,
    /// CKA_LABEL (lossy UTF-8).
    pub label: String,
    /// CKA_ID.
    pub id: Vec<u8>,
    /// For keys: the algorithm, when kyso knows it.
    pub key_algorithm: Option<KeyAlgorithm>,
    /// For certificates: the DER certificate.
    pub certificate: Option<Vec<u8>>,
    /// A URI that names this object on this token.
    pub uri: Pkcs11Uri,
}

fn tries(info: &TokenInfo) -> PinTries {
    if info.user_pin_locked() {
        PinTries::Locked
    } else if info.user_pin_final_try() {
        PinTries::FinalTry
    } else if info.user_pin_count_low() {
        PinTries::Low
    } else {
        PinTries::NotReported
    }
}

fn entry(info: &TokenInfo) -> TokenEntry {
    TokenEntry {
        label: info.label().trim_end().to_string(),
        manufacturer: info.manufacturer_id().trim_end().to_string(),
        model: info.model().trim_end().to_string(),
        serial: info.serial_number().trim_end().to_string(),
        initialized: info.token_initialized(),
        login_required: info.login_required(),
        protected_authentication_path: info.protected_authentication_path(),
        pin_tries: tries(info),
    }
}

/// The slots of the module at `module` and their tokens.
pub fn slots(module: &Path) -> Result<Vec<SlotEntry>, TokenError> {
    let ctx = super::context(module)?;
    let fail = |operation: &'static str| move |e: CkError| TokenError::Failed { token: module.display().to_string(), operation, code: code(&e) };
    let mut out = Vec::new();
    for slot in ctx.get_all_slots().map_err(fail("list its slots"))? {
        let si = ctx.get_slot_info(slot).map_err(fail("describe a slot"))?;
        let token = if si.token_present() { ctx.get_token_info(slot).ok().map(|t| entry(&t)) } else { None };
        out.push(SlotEntry {
            id: slot.id(),
            description: si.slot_description().trim_end().to_string(),
            manufacturer: si.manufacturer_id().trim_end().to_string(),
            token,
        });
    }
    Ok(out)
}

/// An open token: a session on it (read-only or read-write), logged in or not.
pub struct Token {
    pub(super) ctx: Pkcs11,
    pub(super) module: PathBuf,
    pub(super) slot: Slot,
    pub(super) label: String,
    pub(super) serial: String,
    pub(super) session: Session,
    login_required: bool,
    protected_path: bool,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token").field("module", &self.module).field("label", &self.label).field("serial", &self.serial).finish_non_exhaustive()
    }
}

fn matches(want: &Option<String>, have: &str) -> bool {
    want.as_deref().is_none_or(|w| w == have.trim_end())
}

impl Token {
    /// Opens the one token of the module at `module` that matches `uri`'s token, slot and library
    /// attributes, with a read-only session (`write`: read-write, to make keys or store
    /// certificates).
    pub fn open(module: &Path, uri: &Pkcs11Uri, write: bool) -> Result<Token, TokenError> {
        let ctx = super::context(module)?;
        let fail = |operation: &'static str| move |e: CkError| TokenError::Failed { token: module.display().to_string(), operation, code: code(&e) };
        let library_ok = match (&uri.library_manufacturer, &uri.library_description, uri.library_version) {
            (None, None, None) => true,
            _ => {
                let li = ctx.get_library_info().map_err(fail("describe the module"))?;
                let v = li.library_version();
                matches(&uri.library_manufacturer, li.manufacturer_id())
                    && matches(&uri.library_description, li.library_description())
                    && uri.library_version.is_none_or(|w| w == (v.major(), v.minor()))
            }
        };
        let mut present = Vec::new();
        let mut found = Vec::new();
        for slot in ctx.get_slots_with_token().map_err(fail("list its tokens"))? {
            let Ok(ti) = ctx.get_token_info(slot) else { continue };
            present.push(if ti.token_initialized() { ti.label().trim_end().to_string() } else { "(an uninitialised token)".into() });
            if !library_ok || uri.slot_id.is_some_and(|id| id != slot.id()) {
                continue;
            }
            if uri.slot_description.is_some() || uri.slot_manufacturer.is_some() {
                let Ok(si) = ctx.get_slot_info(slot) else { continue };
                if !matches(&uri.slot_description, si.slot_description()) || !matches(&uri.slot_manufacturer, si.manufacturer_id()) {
                    continue;
                }
            }
            if matches(&uri.token, ti.label())
                && matches(&uri.manufacturer, ti.manufacturer_id())
                && matches(&uri.serial, ti.serial_number())
                && matches(&uri.model, ti.model())
            {
                found.push((slot, ti));
            }
        }
        let (slot, ti) = match found.len() {
            0 => return Err(TokenError::NoToken { module: module.to_path_buf(), wanted: uri.token_part(), present }),
            1 => found.swap_remove(0),
            _ => {
                let matches = found.iter().map(|(_, t)| format!("{} (serial {})", t.label().trim_end(), t.serial_number().trim_end())).collect();
                return Err(TokenError::AmbiguousToken { module: module.to_path_buf(), wanted: uri.token_part(), matches });
            }
        };
        let label = ti.label().trim_end().to_string();
        let session = if write { ctx.open_rw_session(slot) } else { ctx.open_ro_session(slot) };
        let session = session.map_err(|e| TokenError::Failed { token: label.clone(), operation: "open a session", code: code(&e) })?;
        Ok(Token {
            module: module.to_path_buf(),
            slot,
            serial: ti.serial_number().trim_end().to_string(),
            login_required: ti.login_required(),
            protected_path: ti.protected_authentication_path(),
            label,
            session,
            ctx,
        })
    }

    /// The token label.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// The token serial number.
    pub fn serial(&self) -> &str {
        &self.serial
    }

    /// The module file.
    pub fn module(&self) -> &Path {
        &self.module
    }

    fn fail(&self, operation: &'static str) -> impl Fn(CkError) -> TokenError + '_ {
        move |e| TokenError::Failed { token: self.label.clone(), operation, code: code(&e) }
    }

    /// True when the session is logged in as the user (or another session of this process is:
    /// PKCS#11 login state is per application and token).
    pub fn logged_in(&self) -> bool {
        matches!(self.session.get_session_info().map(|i| i.session_state()), Ok(SessionState::RoUser | SessionState::RwUser))
    }

    /// True when private keys need a login first and the session is not logged in yet.
    pub fn needs_login(&self) -> bool {
        self.login_required && !self.logged_in()
    }

    /// True when the PIN is entered on the device (a PIN pad): [`Token::login`] takes no PIN.
    pub fn has_pin_pad(&self) -> bool {
        self.protected_path
    }

    /// What the token reports about PIN tries now.
    pub fn pin_tries(&self) -> PinTries {
        self.ctx.get_token_info(self.slot).map(|t| tries(&t)).unwrap_or(PinTries::NotReported)
    }

    /// Logs in as the user. `pin` is handed to the token in a buffer wiped when the call returns;
    /// `None` uses the token's PIN pad. A token that already reports its PIN locked is not tried
    /// (a login attempt could only fail). A wrong PIN gives [`TokenError::PinIncorrect`] with
    /// what the token reports afterwards.
    pub fn login(&mut self, pin: Option<&[u8]>) -> Result<(), TokenError> {
        if self.logged_in() {
            return Ok(());
        }
        if self.pin_tries() == PinTries::Locked {
            return Err(TokenError::PinLocked { token: self.label.clone() });
        }
        let r = match pin {
            Some(p) => {
                let secret: cryptoki::types::RawAuthPin = secrecy::SecretBox::new(Box::new(p.to_vec()));
                self.session.login_with_raw(UserType::User, &secret)
            }
            None if self.protected_path => self.session.login(UserType::User, None),
            None => return Err(TokenError::PinRequired { token: self.label.clone() }),
        };
        match r {
            Ok(()) | Err(CkError::Pkcs11(RvError::UserAlreadyLoggedIn, _)) => Ok(()),
            Err(CkError::Pkcs11(RvError::PinIncorrect | RvError::PinLenRange | RvError::PinInvalid, _)) => match self.pin_tries() {
                PinTries::Locked => Err(TokenError::PinLocked { token: self.label.clone() }),
                tries => Err(TokenError::PinIncorrect { token: self.label.clone(), tries }),
            },
            Err(CkError::Pkcs11(RvError::PinLocked, _)) => Err(TokenError::PinLocked { token: self.label.clone() }),
            Err(CkError::Pkcs11(RvError::PinExpired, _)) => Err(TokenError::PinExpired { token: self.label.clone() }),
            Err(e) => Err(self.fail("log in")(e)),
        }
    }

    fn class_of(&self, h: ObjectHandle) -> ObjectClass {
        match self.session.get_attributes(h, &[AttributeType::Class]).ok().and_then(|a| a.into_iter().next()) {
            Some(Attribute::Class(c)) => class(c),
            _ => ObjectClass::Other,
        }
    }

    /// What a key found on this token takes over (the session keeps the login).
    fn into_parts(self) -> key::TokenParts {
        let Token { ctx, module, slot, label, serial, session, .. } = self;
        key::TokenParts { ctx, module, slot, label, serial, session }
    }

    fn labelled(&self, label: &str) -> Result<Vec<ObjectHandle>, TokenError> {
        self.session.find_objects(&[Attribute::Label(label.as_bytes().to_vec())]).map_err(self.fail("search objects"))
    }

    /// The private key `uri` names (its `object`, `id` and `type` attributes), with its public
    /// half and its certificate when the token holds one. Consumes the token: the key keeps its
    /// session (and so the login).
    pub fn key(self, uri: &Pkcs11Uri) -> Result<TokenKey, TokenError> {
        let wanted = uri.object_part();
        if let Some(t) = uri.object_type.filter(|t| *t != ObjectType::Private) {
            let found = match t {
                ObjectType::Public => ObjectClass::PublicKey,
                ObjectType::Cert => ObjectClass::Certificate,
                ObjectType::SecretKey => ObjectClass::SecretKey,
                _ => ObjectClass::Data,
            };
            return Err(TokenError::NotAPrivateKey { token: self.label.clone(), wanted, found });
        }
        let mut template = vec![Attribute::Class(cryptoki::object::ObjectClass::PRIVATE_KEY)];
        if let Some(l) = &uri.object {
            template.push(Attribute::Label(l.as_bytes().to_vec()));
        }
        if let Some(id) = &uri.id {
            template.push(Attribute::Id(id.clone()));
        }
        let found = self.session.find_objects(&template).map_err(self.fail("search objects"))?;
        let handle = match found.as_slice() {
            [h] => *h,
            [] => {
                // Something else by that name (a certificate, a public key)?
                if let Some(l) = &uri.object {
                    if let Some(h) = self.labelled(l)?.into_iter().find(|h| self.class_of(*h) != ObjectClass::PrivateKey) {
                        if uri.id.is_none() {
                            return Err(TokenError::NotAPrivateKey { token: self.label.clone(), wanted, found: self.class_of(h) });
                        }
                    }
                }
                let keys = self
                    .objects()?
                    .into_iter()
                    .filter(|o| o.class == ObjectClass::PrivateKey)
                    .map(|o| describe(&o.label, &o.id))
                    .collect();
                return Err(TokenError::ObjectNotFound { token: self.label.clone(), wanted, keys, logged_in: self.logged_in() || !self.login_required });
            }
            many => return Err(TokenError::AmbiguousObject { token: self.label.clone(), wanted, count: many.len() }),
        };
        key::open(self.into_parts(), handle, wanted)
    }

    /// Every object the session can see (private ones only after [`Token::login`]).
    pub fn objects(&self) -> Result<Vec<TokenObject>, TokenError> {
        let handles = self.session.find_objects(&[]).map_err(self.fail("list objects"))?;
        let mut out = Vec::new();
        for h in handles {
            let attrs = self
                .session
                .get_attributes(h, &[AttributeType::Class, AttributeType::Label, AttributeType::Id, AttributeType::KeyType])
                .map_err(self.fail("read object attributes"))?;
            let (mut cls, mut label, mut id, mut key_type) = (ObjectClass::Other, String::new(), Vec::new(), None);
            for a in attrs {
                match a {
                    Attribute::Class(c) => cls = class(c),
                    Attribute::Label(l) => label = String::from_utf8_lossy(&l).into_owned(),
                    Attribute::Id(i) => id = i,
                    Attribute::KeyType(k) => key_type = Some(k),
                    _ => {}
                }
            }
            let key_algorithm = match (cls, key_type) {
                (ObjectClass::PrivateKey | ObjectClass::PublicKey, Some(k)) => key::algorithm_of(&self.session, h, k),
                _ => None,
            };
            let certificate = if cls == ObjectClass::Certificate {
                match self.session.get_attributes(h, &[AttributeType::Value]).ok().and_then(|a| a.into_iter().next()) {
                    Some(Attribute::Value(v)) => Some(v),
                    _ => None,
                }
            } else {
                None
            };
            let uri = Pkcs11Uri {
                token: Some(self.label.clone()),
                serial: Some(self.serial.clone()),
                object: (!label.is_empty()).then(|| label.clone()),
                object_type: match cls {
                    ObjectClass::PrivateKey => Some(ObjectType::Private),
                    ObjectClass::PublicKey => Some(ObjectType::Public),
                    ObjectClass::Certificate => Some(ObjectType::Cert),
                    ObjectClass::SecretKey => Some(ObjectType::SecretKey),
                    ObjectClass::Data => Some(ObjectType::Data),
                    ObjectClass::Other => None,
                },
                id: (!id.is_empty()).then(|| id.clone()),
                ..Pkcs11Uri::default()
            };
            out.push(TokenObject { class: cls, label, id, key_algorithm, certificate, uri });
        }
        out.sort_by(|a, b| (a.label.as_str(), &a.id, a.class as u8).cmp(&(b.label.as_str(), &b.id, b.class as u8)));
        Ok(out)
    }

    /// Generates a key pair of `algorithm` (P-256, P-384, RSA 2048–4096) on the token, labelled
    /// `label`, private key sensitive and not extractable, CKA_ID = the SHA-1 of the public key
    /// (RFC 5280 §4.2.1.2 method 1, the subject key identifier kyso's CA writes). Needs a
    /// read-write session, logged in. Refused when an object with this label exists.
    pub fn generate_key(self, label: &str, algorithm: KeyAlgorithm) -> Result<TokenKey, TokenError> {
        // The module returns the objects in no fixed order: name the first class in the order
        // private key, public key, certificate, … so that the message does not change by chance.
        if let Some(class) = self.labelled(label)?.into_iter().map(|h| self.class_of(h)).min_by_key(|c| *c as u8) {
            return Err(TokenError::ObjectExists { token: self.label.clone(), label: label.to_string(), class });
        }
        let parts = self.into_parts();
        let handle = key::generate(&parts, label, algorithm)?;
        let wanted = Pkcs11Uri { object: Some(label.to_string()), object_type: Some(ObjectType::Private), ..Pkcs11Uri::default() }.object_part();
        key::open(parts, handle, wanted)
    }

    /// Stores `certificate` (DER) on the token with `key`'s label and id, after checking that it
    /// certifies that key. A certificate already stored with this id is replaced when `replace`
    /// is set, refused otherwise. Needs a read-write session, logged in if the token says so.
    pub fn import_certificate(&self, key: &TokenKey, certificate: &[u8], replace: bool) -> Result<(), TokenError> {
        use x509_parser::prelude::FromDer;
        let (rest, cert) = x509_parser::certificate::X509Certificate::from_der(certificate)
            .map_err(|e| TokenError::BadCertificate(e.to_string()))?;
        if !rest.is_empty() {
            return Err(TokenError::BadCertificate("trailing data after the certificate".into()));
        }
        if !crate::keys::same_public_key(cert.public_key().raw, crate::keys::Signer::public_key_spki(key)) {
            return Err(TokenError::CertificateMismatch { token: self.label.clone(), wanted: key.wanted().to_string() });
        }
        let mut existing = self
            .session
            .find_objects(&[Attribute::Class(cryptoki::object::ObjectClass::CERTIFICATE), Attribute::Id(key.id().to_vec())])
            .map_err(self.fail("search objects"))?;
        if !existing.is_empty() && !replace {
            return Err(TokenError::ObjectExists { token: self.label.clone(), label: key.label().to_string(), class: ObjectClass::Certificate });
        }
        let serial = cert.tbs_certificate.raw_serial();
        let serial_der = crate::asn1::tlv(crate::asn1::TAG_INTEGER, &[serial]);
        let template = vec![
            Attribute::Class(cryptoki::object::ObjectClass::CERTIFICATE),
            Attribute::CertificateType(CertificateType::X_509),
            Attribute::Token(true),
            Attribute::Private(false),
            Attribute::Modifiable(true),
            Attribute::Label(key.label().as_bytes().to_vec()),
            Attribute::Id(key.id().to_vec()),
            Attribute::Subject(cert.tbs_certificate.subject.as_raw().to_vec()),
            Attribute::Issuer(cert.tbs_certificate.issuer.as_raw().to_vec()),
            Attribute::SerialNumber(serial_der),
            Attribute::Value(certificate.to_vec()),
        ];
        self.session.create_object(&template).map_err(self.fail("store the certificate"))?;
        for old in existing.drain(..) {
            self.session.destroy_object(old).map_err(self.fail("remove the previous certificate"))?;
        }
        Ok(())
    }
}

/// `label (id 01ab)` for messages.
pub(super) fn describe(label: &str, id: &[u8]) -> String {
    match (label.is_empty(), id.is_empty()) {
        (false, false) => format!("{label} (id {})", hex::encode(id)),
        (false, true) => label.to_string(),
        (true, false) => format!("id {}", hex::encode(id)),
        (true, true) => "(no label, no id)".into(),
    }
}

pub(super) fn class(c: cryptoki::object::ObjectClass) -> ObjectClass {
    use cryptoki::object::ObjectClass as C;
    match c {
        C::PRIVATE_KEY => ObjectClass::PrivateKey,
        C::PUBLIC_KEY => ObjectClass::PublicKey,
        C::CERTIFICATE => ObjectClass::Certificate,
        C::SECRET_KEY => ObjectClass::SecretKey,
        C::DATA => ObjectClass::Data,
        _ => ObjectClass::Other,
    }
}
