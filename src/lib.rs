//! kyso ("ký số", to sign digitally): a provincial certificate authority, CAdES signatures on
//! official documents, and their verification against the provincial CA with revocation.
//!
//! The three jobs take a few lines each. The library never reads the clock: every issuance,
//! signing or validation time is an argument (the examples pin 30 November 2026, Hanoi time).
//!
#![cfg_attr(
    feature = "ca",
    doc = r##"
## Issue a certificate

A CA directory (created once), then a certificate for a unit's key, by profile: an agency's
seal certificate here (feature `ca`).

```
use kyso::ca::{Ca, InitParams, IssueRequest, Profile, Status, SubjectInfo};
use kyso::{Kdf, KeyAlgorithm, PrivateKey, Signer};
let dir = tempfile::tempdir()?;
let now = time::macros::datetime!(2026-11-30 09:00 +07:00);

let params = InitParams::new("CA Tỉnh Bắc Ninh");
let mut ca = Ca::init(&dir.path().join("ca"), &params, None, b"example only", Kdf::default(), now)?;
let ca_key = ca.open_key(Some(b"example only"))?;

let unit_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
let subject = SubjectInfo { cn: "Sở Y tế tỉnh Bắc Ninh".into(), uid: Some("MNS:1000001".into()), ..Default::default() };
let request = IssueRequest { profile: Profile::Agency, subject, years: Some(2) };
let issued = ca.issue(&ca_key, &request, unit_key.public_key_spki(), now)?;

assert_eq!(issued.not_after, kyso::ca::add_years(now, 2)?);
let inventory = ca.list(now)?;
assert_eq!((inventory[0].serial.as_str(), inventory[0].status), (issued.serial.as_str(), Status::Valid));
# Ok::<(), Box<dyn std::error::Error>>(())
```
"##
)]
#![cfg_attr(
    all(feature = "sign", feature = "ca"),
    doc = r##"
## Sign a document

A detached CAdES-B-B signature, `FILE.p7s` beside the document (feature `sign`; many documents
at once: [`sign::batch`]).

```
# use kyso::ca::{Ca, InitParams, IssueRequest, Profile, SubjectInfo};
# use kyso::{Kdf, KeyAlgorithm, PrivateKey, Signer};
# let dir = tempfile::tempdir()?;
# let now = time::macros::datetime!(2026-11-30 09:00 +07:00);
# let mut ca = Ca::init(&dir.path().join("ca"), &InitParams::new("CA Tỉnh Bắc Ninh"), None, b"pw", Kdf::default(), now)?;
# let ca_key = ca.open_key(Some(b"pw"))?;
# let unit_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
# let subject = SubjectInfo { cn: "Sở Y tế tỉnh Bắc Ninh".into(), ..Default::default() };
# let issued = ca.issue(&ca_key, &IssueRequest { profile: Profile::Agency, subject, years: None }, unit_key.public_key_spki(), now)?;
# let (unit_cert, chain) = (issued.der, vec![ca.certificate().to_vec()]);
use kyso::files::{write_atomic, Overwrite, Secrecy};
use kyso::sign::DocumentSigner;
let document = dir.path().join("cong-van-123.pdf");
# write_atomic(&document, "Công văn số 123/UBND-VP".as_bytes(), Overwrite::Refuse, Secrecy::Public)?;

// the unit's key and certificate, and the CAs above it (a root is left out of the signature)
let signer = DocumentSigner::new(unit_key, &unit_cert, &chain)?;
let p7s = signer.sign_file(&document, now)?;
write_atomic(&dir.path().join("cong-van-123.pdf.p7s"), &p7s, Overwrite::Refuse, Secrecy::Public)?;

let described = kyso::cms::describe(&p7s)?;
assert!(described.contains("Sở Y tế tỉnh Bắc Ninh") && described.contains("detached"), "{described}");
# Ok::<(), Box<dyn std::error::Error>>(())
```
"##
)]
#![cfg_attr(
    all(feature = "verify", feature = "sign", feature = "ca"),
    doc = r##"
## Verify a document

A [`Verifier`] from the trust anchor, the CRLs and the validation time (feature `verify`), then
one call per document and its `.p7s`; the report holds typed findings, rendered in Vietnamese or
English ([`report`]) or as JSON.

```
# use kyso::ca::{Ca, InitParams, IssueRequest, Profile, SubjectInfo};
# use kyso::{Kdf, KeyAlgorithm, PrivateKey, Signer};
# let dir = tempfile::tempdir()?;
# let now = time::macros::datetime!(2026-11-30 09:00 +07:00);
# let mut ca = Ca::init(&dir.path().join("ca"), &InitParams::new("CA Tỉnh Bắc Ninh"), None, b"pw", Kdf::default(), now)?;
# let ca_key = ca.open_key(Some(b"pw"))?;
# let unit_key = PrivateKey::generate(KeyAlgorithm::EcdsaP256)?;
# let subject = SubjectInfo { cn: "Sở Y tế tỉnh Bắc Ninh".into(), ..Default::default() };
# let issued = ca.issue(&ca_key, &IssueRequest { profile: Profile::Agency, subject, years: None }, unit_key.public_key_spki(), now)?;
# let signer = kyso::sign::DocumentSigner::new(unit_key, &issued.der, &[])?;
# let document = "Công văn số 123/UBND-VP".as_bytes();
# let p7s = signer.sign_bytes(document, now)?;
let crl = ca.publish_crl(&ca_key, None, now)?;
use kyso::{report, Indication, RevocationMode, Verifier};
let verifier = Verifier::builder(now + time::Duration::days(1))
    .trust(ca.certificate())
    .crls(&crl.der)
    .revocation(RevocationMode::Require)
    .build()?;
let result = verifier.verify_detached("cong-van-123.pdf", document, &p7s);
assert_eq!(result.indication, Indication::TotalPassed);

let text = report::render_run(&report::RunReport::new(vec![result]), report::Lang::Vi);
assert!(text.contains("Kết quả: HỢP LỆ (TOTAL_PASSED)"), "{text}");
# Ok::<(), Box<dyn std::error::Error>>(())
```
"##
)]
//!
//! Layers, bottom up: [`asn1`], [`objects`], [`alg`] and [`util`] (encodings, algorithms, how
//! times and names are written) → [`keys`] (private keys and the [`Signer`] trait) → `cms`
//! (CMS/CAdES types and the one signer check), `path` and `revocation` (RFC 5280), `ca`
//! (issuance, registry, CRLs) → `sign` and `verify` (the flows, single and batch) → `report`
//! ([`findings`] rendered for a recipient). The `kyso` binary is a thin shell over this library.
//!
//! Cargo features: `verify`, `sign`, `ca`, `pdf`, `tsa`, `mail`, `postgres` and `cli` (the
//! binary), all on by default; `default-features = false, features = ["verify"]` builds a
//! verifier without the CLI, the CA registry (SQLite, PostgreSQL), the TSA server or PDF support.
//! Only two features make the library do network I/O: `server` (the HTTP servers it runs) and
//! `postgres` (the CA registry in a PostgreSQL database: connections to the database that the CA
//! directory's `ca.conf` or the caller names, nowhere else). The core (keys, objects, CMS types)
//! is always built:
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
// Without `verify`, some helpers of the verification core (findings, CMS algorithms) that the
// core modules carry go unused.
#![cfg_attr(not(feature = "verify"), allow(dead_code))]

pub mod alg;
// The DER/BER layer (kyso's own; public for kyso's tests and fuzz targets, not a stable API).
#[doc(hidden)]
pub mod asn1;
pub mod files;
pub mod findings;
pub mod http;
pub mod keys;
pub mod objects;
pub mod ocsp;
// --- section: pkcs11 (issue 19) ---
#[cfg(feature = "pkcs11")]
pub mod pkcs11;
// Helpers at the bottom layer (public for kyso's binary and tests, not a stable API).
#[doc(hidden)]
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
pub mod path;
#[cfg(feature = "verify")]
pub mod report;
pub mod revocation;
#[cfg(feature = "verify")]
pub mod verify;
// --- section: tsp (issue 9) ---
#[cfg(feature = "verify")]
pub mod tsp;
// --- section: pkcs12 (issue 25) ---
#[cfg(feature = "pkcs12")]
pub mod pkcs12;
// --- section: pdf (issue 8) ---
#[cfg(feature = "pdf")]
pub mod pdf;
// --- section: mail (issue 21) ---
#[cfg(feature = "mail")]
pub mod mail;
// --- section: web (issue 20) ---
#[cfg(feature = "web")]
pub mod web;
#[cfg(feature = "verify")]
pub use report::{DocumentReport, Lang, RunReport, SignatureReport};
#[cfg(feature = "verify")]
pub use verify::{Purpose, RevocationMode, Verifier, VerifierBuilder, VerifyError};

pub use findings::{Check, CheckName, CheckStatus, Finding, Indication, SubIndication};
/// The one time type of kyso's API (validation, signing and issuance times; report times).
pub use time::OffsetDateTime;

pub use alg::{DigestAlgorithm, Policy, SignatureAlgorithm};
pub use keys::{Kdf, KeyAlgorithm, KeyError, KeyFile, PrivateKey, RsaPadding, Signer};
