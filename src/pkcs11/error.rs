//! [`TokenError`]: what went wrong with a PKCS#11 module, token, PIN or object — each naming what
//! was looked for and where.

use std::fmt;
use std::path::PathBuf;

/// Where the module path came from (so that an error can say what to change).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ModuleOrigin {
    /// The URI's `module-path`.
    UriPath,
    /// The URI's `module-name`, searched in [`MODULE_DIRS`](super::MODULE_DIRS).
    UriName,
    /// Given by the caller (a command-line option or setting).
    Given,
    /// kyso's list of known locations ([`KNOWN_MODULES`](super::KNOWN_MODULES)).
    KnownLocations,
}

/// How many PIN tries the token reports left (PKCS#11 gives flags, not a number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PinTries {
    /// No flag set: the token does not say (or has not counted a failure).
    NotReported,
    /// CKF_USER_PIN_COUNT_LOW: a wrong PIN was entered since the last success; fewer tries remain.
    Low,
    /// CKF_USER_PIN_FINAL_TRY: one wrong PIN more locks the token.
    FinalTry,
    /// CKF_USER_PIN_LOCKED: no try left.
    Locked,
}

impl fmt::Display for PinTries {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PinTries::NotReported => "the token does not report how many tries are left",
            PinTries::Low => "the token reports that fewer tries are left (CKF_USER_PIN_COUNT_LOW)",
            PinTries::FinalTry => "the token reports ONE try left: one more wrong PIN locks it (CKF_USER_PIN_FINAL_TRY)",
            PinTries::Locked => "the token reports no try left: the PIN is locked (CKF_USER_PIN_LOCKED)",
        })
    }
}

/// The class of an object found on a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectClass {
    /// A private key.
    PrivateKey,
    /// A public key.
    PublicKey,
    /// A certificate.
    Certificate,
    /// A secret key.
    SecretKey,
    /// A data object.
    Data,
    /// Something else.
    Other,
}

impl fmt::Display for ObjectClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ObjectClass::PrivateKey => "private key",
            ObjectClass::PublicKey => "public key",
            ObjectClass::Certificate => "certificate",
            ObjectClass::SecretKey => "secret key",
            ObjectClass::Data => "data object",
            ObjectClass::Other => "other object",
        })
    }
}

fn list(items: &[String]) -> String {
    if items.is_empty() {
        "none".into()
    } else {
        items.join(", ")
    }
}

fn paths(items: &[PathBuf]) -> String {
    items.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
}

/// Errors of PKCS#11 token use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TokenError {
    /// The URI does not parse.
    #[error("not a usable PKCS#11 URI: {0}")]
    Uri(#[from] super::UriError),
    /// No module file at any of the places looked at.
    #[error("no PKCS#11 module found: looked for {}", paths(tried))]
    ModuleNotFound {
        /// Where the path(s) came from.
        origin: ModuleOrigin,
        /// Every path looked at, in order.
        tried: Vec<PathBuf>,
    },
    /// The module exists but cannot be loaded or initialised.
    #[error("cannot load the PKCS#11 module {}: {reason}", path.display())]
    ModuleLoad {
        /// The module file.
        path: PathBuf,
        /// The loader's or the module's words.
        reason: String,
    },
    /// No token matches the URI.
    #[error("no token matching {wanted} in the module {}; tokens present: {}", module.display(), list(present))]
    NoToken {
        /// The module.
        module: PathBuf,
        /// The URI's token attributes.
        wanted: String,
        /// The labels of the tokens present (empty: no token inserted).
        present: Vec<String>,
    },
    /// Several tokens match the URI.
    #[error("{} tokens match {wanted} in the module {}: {}; name one (token=… or serial=…)", matches.len(), module.display(), list(matches))]
    AmbiguousToken {
        /// The module.
        module: PathBuf,
        /// The URI's token attributes.
        wanted: String,
        /// The matching tokens' labels and serials.
        matches: Vec<String>,
    },
    /// The token needs a PIN and none was given.
    #[error("the token '{token}' needs its user PIN")]
    PinRequired {
        /// The token label.
        token: String,
    },
    /// The PIN is wrong.
    #[error("wrong PIN for the token '{token}'; {tries}")]
    PinIncorrect {
        /// The token label.
        token: String,
        /// What the token reports after the failure.
        tries: PinTries,
    },
    /// The PIN is locked (no login was attempted when the token already said so).
    #[error("the user PIN of the token '{token}' is locked (CKF_USER_PIN_LOCKED / CKR_PIN_LOCKED): the token refuses every login until its security officer unlocks it")]
    PinLocked {
        /// The token label.
        token: String,
    },
    /// The PIN has expired or must be changed first.
    #[error("the user PIN of the token '{token}' has expired or must be changed before use (change it with the token's own tool)")]
    PinExpired {
        /// The token label.
        token: String,
    },
    /// No object matches the URI.
    #[error("no private key matching {wanted} on the token '{token}'{}; private keys on it: {}", if *logged_in { "" } else { " (not logged in: private objects are hidden)" }, list(keys))]
    ObjectNotFound {
        /// The token label.
        token: String,
        /// The URI's object attributes.
        wanted: String,
        /// The labels (and ids) of the private keys present.
        keys: Vec<String>,
        /// Whether the session was logged in (private keys are hidden otherwise).
        logged_in: bool,
    },
    /// The URI names an object that is not a private key.
    #[error("{wanted} on the token '{token}' is a {found}, not a private key")]
    NotAPrivateKey {
        /// The token label.
        token: String,
        /// The URI's object attributes.
        wanted: String,
        /// What was found instead.
        found: ObjectClass,
    },
    /// Several private keys match the URI.
    #[error("{count} private keys match {wanted} on the token '{token}'; add object=… or id=…")]
    AmbiguousObject {
        /// The token label.
        token: String,
        /// The URI's object attributes.
        wanted: String,
        /// How many match.
        count: usize,
    },
    /// An object with this label already exists.
    #[error("the token '{token}' already holds a {class} labelled '{label}'")]
    ObjectExists {
        /// The token label.
        token: String,
        /// The label.
        label: String,
        /// Its class.
        class: ObjectClass,
    },
    /// The key's public half is not on the token (no public key object, no certificate).
    #[error("the public half of the key {wanted} on the token '{token}' cannot be found (no public key object or certificate with its id)")]
    NoPublicKey {
        /// The token label.
        token: String,
        /// The URI's object attributes.
        wanted: String,
    },
    /// A certificate's public key is not the key's.
    #[error("the certificate's public key is not the one of the key {wanted} on the token '{token}'")]
    CertificateMismatch {
        /// The token label.
        token: String,
        /// The URI's object attributes.
        wanted: String,
    },
    /// A key type, curve, size or mechanism kyso does not use.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// A certificate that cannot be read.
    #[error("not a certificate: {0}")]
    BadCertificate(String),
    /// A PKCS#11 function failed.
    #[error("the token '{token}' failed to {operation}: {code}")]
    Failed {
        /// The token label (or the module when no token was chosen yet).
        token: String,
        /// What kyso asked for.
        operation: &'static str,
        /// The PKCS#11 return value (CKR_…) or the binding's words.
        code: String,
    },
}

/// The PKCS#11 name of a return value (`CKR_PIN_INCORRECT`) from cryptoki's variant name
/// (`PinIncorrect`).
pub(crate) fn ckr_name(rv: &cryptoki::error::RvError) -> String {
    let variant = format!("{rv:?}");
    let mut out = String::from("CKR");
    for c in variant.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
        }
        out.push(c.to_ascii_uppercase());
    }
    out
}

/// A cryptoki error in PKCS#11 terms.
pub(crate) fn code(e: &cryptoki::error::Error) -> String {
    match e {
        cryptoki::error::Error::Pkcs11(rv, _) => ckr_name(rv),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use cryptoki::error::RvError;

    #[test]
    fn return_values_read_as_pkcs11_names() {
        assert_eq!(ckr_name(&RvError::PinIncorrect), "CKR_PIN_INCORRECT");
        assert_eq!(ckr_name(&RvError::PinLocked), "CKR_PIN_LOCKED");
        assert_eq!(ckr_name(&RvError::DeviceRemoved), "CKR_DEVICE_REMOVED");
        assert_eq!(ckr_name(&RvError::KeyFunctionNotPermitted), "CKR_KEY_FUNCTION_NOT_PERMITTED");
    }

    #[test]
    fn messages_say_what_was_looked_for_and_where() {
        let e = TokenError::ModuleNotFound { origin: ModuleOrigin::KnownLocations, tried: vec!["/a.so".into(), "/b.so".into()] };
        assert_eq!(e.to_string(), "no PKCS#11 module found: looked for /a.so, /b.so");
        let e = TokenError::NoToken { module: "/m.so".into(), wanted: "token=kyso".into(), present: vec![] };
        assert_eq!(e.to_string(), "no token matching token=kyso in the module /m.so; tokens present: none");
        let e = TokenError::PinIncorrect { token: "kyso".into(), tries: PinTries::FinalTry };
        assert!(e.to_string().contains("ONE try left"), "{e}");
        let e = TokenError::ObjectNotFound { token: "kyso".into(), wanted: "object=x".into(), keys: vec!["unit (id 01)".into()], logged_in: true };
        assert_eq!(e.to_string(), "no private key matching object=x on the token 'kyso'; private keys on it: unit (id 01)");
    }
}
