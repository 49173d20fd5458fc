//! kyso ("ký số", to sign digitally): a provincial certificate authority, CAdES signatures on
//! official documents, and their verification against the provincial CA with revocation.
//!
//! Layers, bottom up: [`objects`] and [`alg`] (encodings and algorithms) → [`keys`] (private
//! keys and the [`Signer`] trait) → `ca` (issuance, registry, CRLs), `cms` (CMS/CAdES
//! types), `sign` and `verify` (the flows) → `report` (what a recipient is shown). The `kyso`
//! binary is a thin shell over this library.
//!
//! The library never reads the clock: every validation or issuance time is an argument.
//!
//! ```
//! use kyso::{KeyAlgorithm, PrivateKey, Signer};
//! let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
//! let signature = key.sign("Công văn số 123/UBND-VP".as_bytes())?;
//! assert!(!signature.is_empty());
//! # Ok::<(), kyso::KeyError>(())
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod alg;
pub mod files;
pub mod keys;
pub mod objects;
pub mod util;

// --- section: ca (issue 2) ---
#[cfg(feature = "ca")]
pub mod ca;
#[cfg(feature = "ca")]
pub use ca::csr;
pub mod inspect;
#[cfg(feature = "ca")]
pub use ca::{Ca, CaError};
// --- section: sign (issue 3) ---
pub mod cms;
#[cfg(feature = "sign")]
pub mod sign;
#[cfg(feature = "sign")]
pub use sign::{DocumentSigner, SignError};
// --- section: verify (issue 4) ---
#[cfg(feature = "verify")]
pub mod report;
#[cfg(feature = "verify")]
pub mod verify;
// --- section: tsp (issue 9) ---
#[cfg(feature = "verify")]
pub mod tsp;
// --- section: pdf (issue 8) ---
#[cfg(feature = "pdf")]
pub mod pdf;
#[cfg(feature = "verify")]
pub use report::{Indication, SubIndication};
#[cfg(feature = "verify")]
pub use verify::{Purpose, RevocationMode, Verifier, VerifyError};

pub use alg::{DigestAlgorithm, Policy, SignatureAlgorithm};
pub use keys::{Kdf, KeyAlgorithm, KeyError, KeyFile, PrivateKey, RsaPadding, Signer};
