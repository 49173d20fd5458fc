//! kyso ("ký số", to sign digitally): a provincial certificate authority, CAdES signatures on
//! official documents, and their verification against the provincial CA with revocation.
//!
//! Layers, bottom up: [`asn1`], [`objects`] and [`alg`] (encodings and algorithms) → [`keys`] (private
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
pub mod asn1;
pub mod files;
pub mod findings;
pub mod keys;
pub mod objects;
pub mod ocsp;

// --- section: ca (issue 2) ---
pub mod ca;
pub mod csr;
pub mod inspect;
pub use ca::{Ca, CaError};
// --- section: sign (issue 3) ---
pub mod cms;
pub mod sign;
pub use sign::{DocumentSigner, SignError};
// --- section: verify (issue 4) ---
pub mod path;
pub mod report;
pub mod revocation;
pub mod verify;
// --- section: tsp (issue 9) ---
pub mod tsp;
// --- section: pdf (issue 8) ---
pub mod pdf;
pub use report::{Indication, SubIndication};
pub use verify::{Purpose, RevocationMode, Verifier, VerifyError};

pub use alg::{DigestAlgorithm, Policy, SignatureAlgorithm};
pub use keys::{Kdf, KeyAlgorithm, KeyError, KeyFile, PrivateKey, RsaPadding, Signer};
