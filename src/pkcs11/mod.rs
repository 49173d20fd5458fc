//! Keys on hardware tokens and HSMs through a PKCS#11 module (feature `pkcs11`).
//!
//! A key on a token never leaves it: kyso asks the token to sign. [`TokenKey`] implements the
//! library's [`Signer`](crate::Signer) trait, so every signing flow — CAdES and PAdES documents,
//! batches, certificate requests, certificates and CRLs of a CA, RFC 3161 timestamps — takes a
//! token key where it takes a file key.
//!
//! - A key is named by an RFC 7512 URI ([`Pkcs11Uri`]):
//!   `pkcs11:token=kyso;object=unit?module-path=/usr/lib/softhsm/libsofthsm2.so`.
//! - The module (the vendor's `.so`) comes from the URI's `module-path` or `module-name`, else
//!   from the caller, else from [`KNOWN_MODULES`] ([`locate_module`]). It is loaded once per
//!   process and initialised once (C_Initialize with OS locking), whatever the number of keys
//!   opened from it.
//! - [`Token::open`] chooses the token, [`Token::login`] logs in with the user PIN (the caller
//!   reads the PIN from where it is kept and wipes its copy; kyso hands it to the token and keeps
//!   none), [`Token::key`] finds the private key and its public half and certificate.
//! - Signing ([`TokenKey`]): ECDSA hashes in software and signs with CKM_ECDSA (no token needs
//!   CKM_ECDSA_SHA256; the r‖s result is encoded as DER); RSA signs with CKM_SHA256_RSA_PKCS or
//!   CKM_SHA256_RSA_PKCS_PSS (salt 32), falling back to CKM_RSA_PKCS / CKM_RSA_PKCS_PSS over a
//!   software hash when the token lacks the combined mechanisms.
//! - Sessions are never shared between threads: a key keeps a pool of sessions on its token (at
//!   most [`MAX_SESSIONS`], fewer if the token says so) and each signature takes one for itself.
//!   A batch on eight threads therefore signs on up to eight sessions at once; a USB token
//!   serialises them internally anyway (2–20 signatures/s), an HSM or SoftHSM does not.
//! - [`Token::generate_key`] makes a key pair on the token, [`Token::import_certificate`] stores a
//!   certificate next to its key, [`slots`] and [`Token::objects`] list what a module offers.
//!
//! Not supported: keys that demand the PIN again for every signature (CKA_ALWAYS_AUTHENTICATE,
//! e.g. PIV "digital signature" keys) are refused with [`TokenError::Unsupported`]; Ed25519 and
//! curves other than P-256/P-384 are refused likewise; the security-officer PIN is never used.

mod error;
mod key;
mod token;
mod uri;

pub use error::{ModuleOrigin, ObjectClass, PinTries, TokenError};
pub use key::TokenKey;
pub use token::{slots, SlotEntry, Token, TokenEntry, TokenObject};
pub use uri::{ObjectType, Pkcs11Uri, UriError};

use cryptoki::context::{CInitializeArgs, CInitializeFlags, Pkcs11};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};

/// Most sessions a [`TokenKey`] opens on its token: one per signing thread, and 16 is above the
/// worker count of any batch on the machines kyso runs on. A token that allows fewer (its
/// ulMaxSessionCount, or CKR_SESSION_COUNT when one more is opened) gets fewer; signers then
/// wait for a free session.
pub const MAX_SESSIONS: usize = 16;

/// Where PKCS#11 modules usually are, in the order kyso tries them when neither the URI nor the
/// caller names one: p11-kit's proxy (every module registered with p11-kit), OpenSC (most smart
/// cards and USB tokens with a standard applet), the modules of the USB tokens Vietnamese CAs hand
/// out (Feitian ePass2003 `libcastle`, SafeNet eToken `libeTPkcs11`), then SoftHSM.
pub const KNOWN_MODULES: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so",
    "/usr/lib64/p11-kit-proxy.so",
    "/usr/lib/p11-kit-proxy.so",
    "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "/usr/lib64/opensc-pkcs11.so",
    "/usr/lib/opensc-pkcs11.so",
    "/usr/lib/libcastle.so.1",
    "/usr/lib/libeTPkcs11.so",
    "/usr/lib/softhsm/libsofthsm2.so",
    "/usr/lib/x86_64-linux-gnu/softhsm/libsofthsm2.so",
    "/usr/lib64/pkcs11/libsofthsm2.so",
];

/// Folders searched for a URI's `module-name` (as `NAME.so`, `libNAME.so` or `NAME`).
pub const MODULE_DIRS: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/pkcs11",
    "/usr/lib64/pkcs11",
    "/usr/lib/pkcs11",
    "/usr/lib/x86_64-linux-gnu",
    "/usr/lib64",
    "/usr/lib",
    "/usr/lib/softhsm",
    "/usr/local/lib",
];

/// The module file for `uri`: its `module-path` (a file, or a folder holding `module-name`), else
/// its `module-name` searched in [`MODULE_DIRS`], else `given` (the caller's setting), else the
/// first of `known` that exists (pass [`KNOWN_MODULES`]). Nothing is loaded.
pub fn locate_module(uri: &Pkcs11Uri, given: Option<&Path>, known: &[&str]) -> Result<PathBuf, TokenError> {
    let names = |name: &str| [format!("{name}.so"), format!("lib{name}.so"), name.to_string()];
    if let Some(p) = &uri.module_path {
        if p.is_dir() {
            let tried: Vec<PathBuf> = match &uri.module_name {
                Some(n) => names(n).iter().map(|f| p.join(f)).collect(),
                None => vec![p.clone()],
            };
            return tried.iter().find(|t| t.is_file()).cloned().ok_or(TokenError::ModuleNotFound { origin: ModuleOrigin::UriPath, tried });
        }
        return if p.is_file() {
            Ok(p.clone())
        } else {
            Err(TokenError::ModuleNotFound { origin: ModuleOrigin::UriPath, tried: vec![p.clone()] })
        };
    }
    if let Some(n) = &uri.module_name {
        let tried: Vec<PathBuf> = MODULE_DIRS.iter().flat_map(|d| names(n).map(|f| Path::new(d).join(f))).collect();
        return tried.iter().find(|t| t.is_file()).cloned().ok_or(TokenError::ModuleNotFound { origin: ModuleOrigin::UriName, tried });
    }
    if let Some(g) = given {
        return if g.is_file() {
            Ok(g.to_path_buf())
        } else {
            Err(TokenError::ModuleNotFound { origin: ModuleOrigin::Given, tried: vec![g.to_path_buf()] })
        };
    }
    let tried: Vec<PathBuf> = known.iter().map(PathBuf::from).collect();
    tried.iter().find(|t| t.is_file()).cloned().ok_or(TokenError::ModuleNotFound { origin: ModuleOrigin::KnownLocations, tried })
}

/// The process's one context per module (C_Initialize may be called once per process).
fn contexts() -> &'static Mutex<HashMap<PathBuf, Pkcs11>> {
    static CONTEXTS: OnceLock<Mutex<HashMap<PathBuf, Pkcs11>>> = OnceLock::new();
    CONTEXTS.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Loads and initialises the module at `path`, or returns the context this process already has
/// for it. Never finalised: the context lives as long as the process.
pub(crate) fn context(path: &Path) -> Result<Pkcs11, TokenError> {
    let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut map = contexts().lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = map.get(&key) {
        return Ok(c.clone());
    }
    let fail = |reason: String| TokenError::ModuleLoad { path: path.to_path_buf(), reason };
    if !key.is_file() {
        return Err(TokenError::ModuleNotFound { origin: ModuleOrigin::Given, tried: vec![path.to_path_buf()] });
    }
    let ctx = Pkcs11::new(&key).map_err(|e| fail(e.to_string()))?;
    match ctx.initialize(CInitializeArgs::new(CInitializeFlags::OS_LOCKING_OK)) {
        Ok(()) => {}
        // Another user of the same module in this process (a library kyso is linked with).
        Err(cryptoki::error::Error::Pkcs11(cryptoki::error::RvError::CryptokiAlreadyInitialized, _)) => {}
        Err(e) => return Err(fail(format!("C_Initialize: {}", error::code(&e)))),
    }
    map.insert(key, ctx.clone());
    Ok(ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn module_location_says_where_it_looked() {
        let dir = tempfile::tempdir().unwrap();
        let module = dir.path().join("libvendor.so");
        std::fs::write(&module, b"not really a module").unwrap();
        let missing = dir.path().join("missing.so");
        let (m, miss) = (module.to_str().unwrap(), missing.to_str().unwrap());
        let uri = |s: &str| Pkcs11Uri::parse(s).unwrap();

        // module-path: a file, a folder with module-name, a missing file
        assert_eq!(locate_module(&uri(&format!("pkcs11:?module-path={m}")), None, &[]).unwrap(), module);
        let in_dir = uri(&format!("pkcs11:?module-path={}&module-name=vendor", dir.path().display()));
        assert_eq!(locate_module(&in_dir, None, &[]).unwrap(), module);
        assert_eq!(
            locate_module(&uri(&format!("pkcs11:?module-path={miss}")), Some(&module), &[m]).unwrap_err(),
            TokenError::ModuleNotFound { origin: ModuleOrigin::UriPath, tried: vec![missing.clone()] }
        );
        // the caller's setting, then the known locations, first existing wins
        assert_eq!(locate_module(&Pkcs11Uri::default(), Some(&module), &[]).unwrap(), module);
        assert_eq!(
            locate_module(&Pkcs11Uri::default(), Some(&missing), &[m]).unwrap_err(),
            TokenError::ModuleNotFound { origin: ModuleOrigin::Given, tried: vec![missing.clone()] }
        );
        assert_eq!(locate_module(&Pkcs11Uri::default(), None, &[miss, m]).unwrap(), module);
        let e = locate_module(&Pkcs11Uri::default(), None, &[miss, "/nonexistent/b.so"]).unwrap_err();
        assert_eq!(e, TokenError::ModuleNotFound { origin: ModuleOrigin::KnownLocations, tried: vec![missing.clone(), "/nonexistent/b.so".into()] });
        assert_eq!(e.to_string(), format!("no PKCS#11 module found: looked for {miss}, /nonexistent/b.so"));
        // module-name searched in the usual folders: every candidate is named in the error
        match locate_module(&uri("pkcs11:?module-name=kyso-no-such-module"), None, &[]).unwrap_err() {
            TokenError::ModuleNotFound { origin: ModuleOrigin::UriName, tried } => {
                assert_eq!(tried.len(), MODULE_DIRS.len() * 3);
                assert!(tried.contains(&PathBuf::from("/usr/lib/pkcs11/libkyso-no-such-module.so")));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_file_that_is_not_a_module_is_a_load_error() {
        let dir = tempfile::tempdir().unwrap();
        let fake = dir.path().join("fake.so");
        std::fs::write(&fake, b"\x7fELF but not really").unwrap();
        match context(&fake) {
            Err(TokenError::ModuleLoad { path, reason }) => {
                assert_eq!(path, fake);
                assert!(!reason.is_empty());
            }
            other => panic!("{other:?}"),
        }
    }
}
