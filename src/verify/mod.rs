//! The verification core (DESIGN.md §4): detached CMS/CAdES signatures and single certificates,
//! checked against trust anchors at a validation time given by the caller (the library never
//! reads the clock), with CRLs and an algorithm policy. Results are ETSI EN 319 102-1 style
//! reports ([`crate::report`]).
//!
//! Per SignerInfo, in order: the signature file parses (DER, or BER normalised to DER, raw or
//! PEM, zero padding cut); the signer certificate is found by its sid (issuer compared by RFC 5280
//! §7.1); content-type equals the eContentType (any type: a detached signature signs the document
//! whatever type its signer named); the document digest equals the message-digest attribute; the
//! signature verifies over the signed-attribute bytes as received (re-tagged as SET) or, when
//! they are not in DER order and that fails, over their DER form (a warning says which);
//! signing-certificate-v2 (or v1) matches the signer certificate (issuerSerial compared as
//! names); the algorithm policy allows what was used (strict: SHA-2/SHA-3, RSA ≥ 2048, ECDSA on
//! P-256/P-384/P-521/brainpoolP256r1/P384r1, Ed25519, Ed448; legacy adds SHA-1 and RSA ≥ 1024,
//! each with a warning; a refusal is INDETERMINATE/CRYPTO_CONSTRAINTS_FAILURE, never
//! SIG_CRYPTO_FAILURE); the path to a trust anchor validates (`src/verify/path.rs`); revocation
//! from verified CRLs. A SignerInfo **without signed attributes** (PKCS#7) is verified over the
//! document's digest and reported with a warning: not CAdES (no signed signing time, no signed
//! certificate binding).
//!
//! Signature timestamps (CAdES-B-T) are verified and used as proof of existence (see
//! `src/verify/poe.rs` for the rule and the revocation reasons it accepts).
//!
//! What is **not** checked: archive attributes and evidence records (B-LT/B-LTA),
//! signature policies, counter-signatures, CAdES revocation-values attributes (OCSP answers are
//! read from the SignedData's `crls` field, RFC 5940, and from a PDF's /DSS), attached (non-detached) content, and pure
//! EdDSA signatures without signed attributes (they sign the document itself, of which only the
//! digests are kept: INDETERMINATE). Attached content is accepted only when it equals the given
//! document.
//!
//! ```
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let ex = |p: &str| std::fs::read(format!("{}/certs-example/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap();
//! # let pass = String::from_utf8(ex("passphrase.txt"))?;
//! # let key = kyso::PrivateKey::load(&ex("units/so-y-te/person.key"), Some(pass.trim().as_bytes()))?;
//! # let cert = kyso::objects::certificates(&ex("units/so-y-te/person.pem"))?.remove(0);
//! # let signer = kyso::DocumentSigner::new(key, &cert, &kyso::objects::certificates(&ex("chain.pem"))?)?;
//! use kyso::{verify::Verifier, Indication, RevocationMode};
//! let at = time::macros::datetime!(2026-12-01 08:00 +07:00);
//! let document = ex("docs/cong-van.txt");
//! let p7s = signer.sign_bytes(&document, at)?; // what `kyso sign` writes to cong-van.txt.p7s
//!
//! let verifier = Verifier::builder(at)
//!     .trust(&ex("root.pem"))
//!     .crls(&ex("ca/crl.pem"))
//!     .crls(&ex("root/crl.pem"))
//!     .revocation(RevocationMode::Require)
//!     .build()?;
//! let report = verifier.verify_detached("cong-van.txt", document.as_slice(), &p7s);
//! assert_eq!(report.indication, Indication::TotalPassed);
//! let signature = &report.signatures[0];
//! assert_eq!(signature.signer.as_ref().unwrap().subject.parts.title.as_deref(), Some("Giám đốc"));
//! println!("{}", kyso::report::render_run(&kyso::report::RunReport::new(vec![report]), kyso::report::Lang::Vi));
//! # Ok(()) }
//! ```

mod crl;
#[cfg(feature = "pdf")]
mod doc_ts;
mod path;
#[cfg(feature = "pdf")]
mod pdf;
mod poe;

pub use crl::MAX_CRL_ENTRIES;
pub use path::{KeyUsageBit, PolicyInputs, MAX_CHAIN_DEPTH};

use crate::alg::{DigestAlgorithm, Policy};
use crate::cms::certs::{self as certcache, CertFacts};
use crate::cms::signer::{self, Candidate, Content, SignerInput};
use crate::cms::signed_data;
use crate::findings::{
    Check, CheckName, CheckStatus, Element, EvidenceSource, Finding, FormatKind, FormatProblem, IoProblem, Name,
};
use crate::report::{
    CertReport, DocumentReport, Indication, RunReport, SignatureReport, Signer, SubIndication, Validity,
};
use crate::revocation::source::RevocationSource;
use crate::revocation::OcspResponse;
use rustls_pki_types::CertificateDer;
use std::collections::HashMap;
use std::io::Read;
use std::path::PathBuf;
use std::sync::Mutex;
use x509_parser::prelude::*;

/// Limit on a `.p7s` file's size. A CAdES-B-B signature with two signers and their chains is
/// ~5 KB; embedded CRLs of a provincial CA add well under 1 MB. 32 MiB leaves room for large
/// national CRLs while bounding the memory of each of the files verified in parallel.
pub const MAX_SIGNATURE_FILE_SIZE: u64 = 32 * 1024 * 1024;

pub use crate::cms::{MAX_ATTRIBUTES, MAX_CERTIFICATES, MAX_CRLS, MAX_SIGNERS};

/// Limit on cached path-validation results (one per distinct signer certificate and context);
/// the cache is cleared when it reaches this size, which bounds its memory in long batches.
pub const MAX_CACHE_ENTRIES: usize = 10_000;

/// Validation data that comes with a signature but outside its SignedData (a PDF's /DSS).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Evidence<'a> {
    /// Where it comes from, for warnings.
    pub source: EvidenceSource,
    /// DER certificates: path-building candidates only.
    pub certificates: &'a [Vec<u8>],
    /// DER CRLs: verified like embedded ones before use.
    pub crls: &'a [Vec<u8>],
    /// DER OCSPResponses: verified like embedded ones before use.
    pub ocsps: &'a [Vec<u8>],
    /// A proof of existence from outside the signature: a valid document timestamp that covers
    /// it (used like a signature timestamp, see `poe`).
    pub poe: Option<&'a ExternalPoe>,
}

/// A proof that a signature existed at `time`: a valid document timestamp.
#[derive(Debug, Clone)]
pub(crate) struct ExternalPoe {
    pub time: ::time::OffsetDateTime,
    /// The document timestamp's field name.
    pub field: String,
    /// Its TSA.
    pub tsa: Option<Name>,
}

impl Default for Evidence<'_> {
    fn default() -> Self {
        Evidence { source: EvidenceSource::Signature, certificates: &[], crls: &[], ocsps: &[], poe: None }
    }
}

/// How missing revocation information is treated (DESIGN.md §4 rule 4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum RevocationMode {
    /// No usable CRL → INDETERMINATE/TRY_LATER.
    Require,
    /// No usable CRL → a warning (the default).
    #[default]
    Warn,
    /// Revocation is not checked.
    Off,
}

/// What the end-entity certificate must be good for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Purpose {
    /// DESIGN.md §4 rule 3: not a CA, keyUsage digitalSignature or nonRepudiation, EKU (if
    /// present) allows id-kp-documentSigning or emailProtection.
    #[default]
    DocumentSigning,
    /// No key usage or EKU imposed.
    Any,
    /// Explicit requirements (used by the x509-limbo harness).
    Custom {
        /// EKU the leaf must list (and that CAs with an EKU must allow); None imposes none.
        required_eku: Option<const_oid::ObjectIdentifier>,
        /// Key usage bits the leaf must have.
        key_usage: Vec<KeyUsageBit>,
        /// Maximum number of intermediates (self-issued ones not counted).
        max_chain_depth: Option<usize>,
    },
}

/// Verification options.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// The validation time (the CLI passes now or `--at`).
    pub time: ::time::OffsetDateTime,
    /// Algorithm policy.
    pub policy: Policy,
    /// Revocation mode.
    pub revocation: RevocationMode,
}

impl Options {
    /// Strict policy, revocation `warn`, at `time`.
    pub fn at(time: ::time::OffsetDateTime) -> Options {
        Options { time, policy: Policy::Strict, revocation: RevocationMode::Warn }
    }

    /// With another policy.
    pub fn policy(mut self, policy: Policy) -> Options {
        self.policy = policy;
        self
    }

    /// With another revocation mode.
    pub fn revocation(mut self, revocation: RevocationMode) -> Options {
        self.revocation = revocation;
        self
    }
}

/// Errors setting a verifier up (inputs that stop the whole run).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// No trust anchor given.
    #[error("no trust anchor given")]
    NoTrustAnchor,
    /// A trust anchor certificate cannot be used.
    #[error("trust anchor {index} cannot be used: {reason}")]
    BadTrustAnchor {
        /// 0-based position.
        index: usize,
        /// Why.
        reason: String,
    },
    /// A CRL does not parse.
    #[error("CRL {index} cannot be read: {reason}")]
    BadCrl {
        /// 0-based position.
        index: usize,
        /// Why.
        reason: crate::findings::CrlProblem,
    },
    /// A limit was exceeded.
    #[error("more than {limit} {what}")]
    TooMany {
        /// What.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// Certificates or CRLs given to the builder cannot be read (PEM or DER).
    #[error("{what} cannot be read: {reason}")]
    Unreadable {
        /// What ("trust anchors", "certificates", "CRLs").
        what: &'static str,
        /// Why.
        reason: crate::objects::ObjectError,
    },
}

/// The inputs of a [`Verifier`], gathered before it is built: trust anchors, extra
/// certificates and CRLs (each PEM or DER, one or more objects per input), the validation time,
/// the algorithm policy and the revocation mode.
///
/// ```
/// # fn main() -> Result<(), kyso::VerifyError> {
/// use kyso::verify::Verifier;
/// let root = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/certs-example/root.pem")).unwrap();
/// let verifier = Verifier::builder(time::macros::datetime!(2026-12-01 00:00 UTC))
///     .trust(&root)
///     .revocation(kyso::RevocationMode::Require)
///     .build()?;
/// assert_eq!(verifier.options().revocation, kyso::RevocationMode::Require);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
#[must_use]
pub struct VerifierBuilder {
    anchors: Vec<Vec<u8>>,
    certificates: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    opts: Options,
}

impl VerifierBuilder {
    /// Trusts the certificates in `pem_or_der` (one or more).
    pub fn trust(mut self, pem_or_der: &[u8]) -> VerifierBuilder {
        self.anchors.push(pem_or_der.to_vec());
        self
    }

    /// Offers the certificates in `pem_or_der` for path building (intermediate CAs).
    pub fn certificates(mut self, pem_or_der: &[u8]) -> VerifierBuilder {
        self.certificates.push(pem_or_der.to_vec());
        self
    }

    /// Uses the CRLs in `pem_or_der` (each is verified before use).
    pub fn crls(mut self, pem_or_der: &[u8]) -> VerifierBuilder {
        self.crls.push(pem_or_der.to_vec());
        self
    }

    /// The algorithm policy (default strict).
    pub fn policy(mut self, policy: Policy) -> VerifierBuilder {
        self.opts.policy = policy;
        self
    }

    /// The revocation mode (default [`RevocationMode::Warn`] in the library; the CLI's default
    /// is `require`).
    pub fn revocation(mut self, revocation: RevocationMode) -> VerifierBuilder {
        self.opts.revocation = revocation;
        self
    }

    /// Reads the inputs and builds the verifier.
    pub fn build(self) -> Result<Verifier, VerifyError> {
        let split = |inputs: &[Vec<u8>], what: &'static str, read: fn(&[u8]) -> Result<Vec<Vec<u8>>, crate::objects::ObjectError>| {
            let mut out = Vec::new();
            for i in inputs {
                out.extend(read(i).map_err(|reason| VerifyError::Unreadable { what, reason })?);
            }
            Ok::<_, VerifyError>(out)
        };
        let anchors = split(&self.anchors, "trust anchors", crate::objects::certificates)?;
        let certificates = split(&self.certificates, "certificates", crate::objects::certificates)?;
        let crls = split(&self.crls, "CRLs", crate::objects::crls)?;
        Verifier::new(&anchors, &certificates, &crls, self.opts)
    }
}

/// A verifier: trust anchors, extra intermediates and CRLs, options, and a cache of path
/// validation results shared by the documents of a run (safe to use from several threads).
#[derive(Debug)]
pub struct Verifier {
    anchors: Vec<path::Anchor>,
    intermediates: Vec<CertificateDer<'static>>,
    crls: Vec<crl::Crl>,
    opts: Options,
    config_hash: Vec<u8>,
    cache: Mutex<HashMap<Vec<u8>, path::PathOutcome>>,
    /// RFC 5280 policy inputs (user-initial-policy-set, initial-explicit-policy).
    policy_inputs: path::PolicyInputs,
    /// Embedded and `--chain` certificates, parsed (and decoded strictly, see
    /// `cms_crate_check`) once per run (see `certcache`).
    signer_certs: certcache::CertCache,
    /// OCSP responses given by the caller.
    ocsp: Vec<OcspResponse>,
    /// Where missing revocation data may be fetched (the CLI's HTTP fetcher); None: never.
    source: Option<SourceHandle>,
}

/// A revocation source held by a verifier.
#[derive(Clone)]
struct SourceHandle(std::sync::Arc<dyn RevocationSource>);

impl std::fmt::Debug for SourceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RevocationSource")
    }
}

/// One document of a batch: the document and its signature file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The document.
    pub document: PathBuf,
    /// The detached signature (`.p7s`).
    pub signature: PathBuf,
}

impl Verifier {
    /// A builder for a verifier that validates at `time` (see [`VerifierBuilder`]).
    pub fn builder(time: ::time::OffsetDateTime) -> VerifierBuilder {
        VerifierBuilder { anchors: Vec::new(), certificates: Vec::new(), crls: Vec::new(), opts: Options::at(time) }
    }

    /// A verifier trusting `anchors` (DER certificates), with extra intermediates `chain` (DER)
    /// and CRLs `crls` (DER).
    pub fn new(anchors: &[Vec<u8>], chain: &[Vec<u8>], crls: &[Vec<u8>], opts: Options) -> Result<Verifier, VerifyError> {
        if anchors.is_empty() {
            return Err(VerifyError::NoTrustAnchor);
        }
        if anchors.len() > crate::objects::MAX_OBJECTS_PER_FILE {
            return Err(VerifyError::TooMany { what: "trust anchors", limit: crate::objects::MAX_OBJECTS_PER_FILE });
        }
        if chain.len() > MAX_CERTIFICATES {
            return Err(VerifyError::TooMany { what: "extra certificates", limit: MAX_CERTIFICATES });
        }
        if crls.len() > MAX_CRLS {
            return Err(VerifyError::TooMany { what: "CRLs", limit: MAX_CRLS });
        }
        let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
        let mut out_anchors = Vec::new();
        for (index, a) in anchors.iter().enumerate() {
            let engine = crate::path::Anchor::from_der(a).map_err(|e| VerifyError::BadTrustAnchor { index, reason: e.to_string() })?;
            feed(&mut hasher, a);
            out_anchors.push(path::Anchor { engine, der: a.clone() });
        }
        hasher.update(b"|chain");
        for c in chain {
            feed(&mut hasher, c);
        }
        hasher.update(b"|crls");
        let mut parsed = Vec::new();
        for (index, c) in crls.iter().enumerate() {
            parsed.push(crl::parse(c).map_err(|reason| VerifyError::BadCrl { index, reason })?);
            feed(&mut hasher, c);
        }
        hasher.update(&opts.time.unix_timestamp().to_be_bytes());
        hasher.update(format!("{:?}{:?}", opts.policy, opts.revocation).as_bytes());
        Ok(Verifier {
            anchors: out_anchors,
            intermediates: chain.iter().map(|c| CertificateDer::from(c.clone())).collect(),
            crls: parsed,
            opts,
            config_hash: hasher.finish().as_ref().to_vec(),
            cache: Mutex::new(HashMap::new()),
            signer_certs: certcache::CertCache::default(),
            policy_inputs: path::PolicyInputs::default(),
            ocsp: Vec::new(),
            source: None,
        })
    }

    /// With OCSP responses (DER OCSPResponses) to use like CRLs: each is verified before use
    /// (responder authorisation, signature, freshness, CertID); one that cannot be read is
    /// left out.
    pub fn with_ocsp_responses(mut self, responses: &[Vec<u8>]) -> Verifier {
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        h.update(&self.config_hash);
        h.update(b"|ocsp");
        for r in responses.iter().take(MAX_CRLS) {
            feed(&mut h, r);
            self.ocsp.push(OcspResponse::from_der(r));
        }
        self.config_hash = h.finish().as_ref().to_vec();
        self
    }

    /// With a source of revocation data to fetch from when what is given or embedded leaves a
    /// certificate's status unknown (see [`crate::revocation::source`]); every fetch is named in
    /// the report.
    pub fn with_revocation_source(mut self, source: std::sync::Arc<dyn RevocationSource>) -> Verifier {
        self.source = Some(SourceHandle(source));
        self
    }

    pub(crate) fn source(&self) -> Option<&dyn RevocationSource> {
        self.source.as_ref().map(|s| s.0.as_ref())
    }

    /// With RFC 5280 policy inputs: the user-initial-policy-set (`policies`, empty = any-policy)
    /// and initial-explicit-policy (`require_explicit`). A path is valid only for policies of
    /// that set (and must have one when `require_explicit`); the report names the valid ones.
    pub fn with_policies(mut self, policies: Vec<const_oid::ObjectIdentifier>, require_explicit: bool) -> Verifier {
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        h.update(&self.config_hash);
        for p in &policies {
            feed(&mut h, p.as_bytes());
        }
        h.update(&[u8::from(require_explicit)]);
        self.config_hash = h.finish().as_ref().to_vec();
        self.policy_inputs = path::PolicyInputs { policies, require_explicit };
        self
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// The extra certificates given for path building (`--chain`), DER.
    #[cfg_attr(not(feature = "mail"), allow(dead_code))]
    pub(crate) fn chain_certificates(&self) -> impl Iterator<Item = &[u8]> {
        self.intermediates.iter().map(|c| c.as_ref())
    }

    /// Validates one certificate's path (`kyso cert verify`): same core and rules as for a
    /// signer certificate, with `purpose` applied to the leaf.
    pub fn verify_certificate(&self, cert_der: &[u8], purpose: &Purpose) -> CertReport {
        let mut checks = Vec::new();
        let mut warnings = Vec::new();
        let outcome = self.path_outcome(cert_der, None, &self.intermediates, &self.crls, &self.ocsp, &[], purpose);
        let leaf_validity = validity_check(cert_der, self.opts.time.unix_timestamp());
        checks.extend(outcome.checks.iter().cloned());
        if let Some(c) = leaf_validity {
            checks.push(c);
        }
        warnings.extend(outcome.warnings.iter().cloned());
        let sub = rank(&outcome.failures);
        CertReport {
            indication: sub.map_or(Indication::TotalPassed, |s| s.indication()),
            sub_indication: sub,
            chain: outcome.chain,
            checks,
            warnings,
        }
    }

    /// Verifies a detached signature: `p7s` (DER, BER or PEM) over the document read from
    /// `document` (streamed). `label` is the document's name in the report.
    pub fn verify_detached(&self, label: &str, document: impl Read, p7s: &[u8]) -> DocumentReport {
        self.verify_detached_with(label, document, p7s, &Evidence::default())
    }

    /// [`Verifier::verify_detached`] with validation data found beside the signature (a PDF's
    /// /DSS): its certificates are path-building candidates and its CRLs are used like embedded
    /// ones — each verified before use, a problem reported as a warning.
    pub(crate) fn verify_detached_with(&self, label: &str, document: impl Read, p7s: &[u8], extra: &Evidence<'_>) -> DocumentReport {
        let label = label.to_string();
        let parsed = decode_p7s(p7s);
        // Which digests the document needs: SHA-256 for the report, plus each signer's.
        let mut needed = vec![DigestAlgorithm::Sha256];
        if let Ok(der) = &parsed {
            if let Ok(parts) = signed_data::parse(der) {
                for s in &parts.signers {
                    for d in signer::needed_digests(s) {
                        if !needed.contains(&d) {
                            needed.push(d);
                        }
                    }
                }
            }
        }
        let digests = match stream_digests(document, &needed) {
            Ok(d) => d,
            Err(e) => return DocumentReport::failed(label, None, SubIndication::FormatFailure, Finding::DocumentUnreadable(IoProblem::from(&e))),
        };
        let sha256 = digests.get(&DigestAlgorithm::Sha256).map(hex::encode);
        let der = match parsed {
            Ok(d) => d,
            Err(why) => return DocumentReport::failed(label, sha256, SubIndication::FormatFailure, Finding::Malformed(why)),
        };
        let parts = match signed_data::parse(&der).and_then(|p| cms_crate_check(&der, &self.signer_certs).map(|_| p)) {
            Ok(p) => p,
            Err(why) => return DocumentReport::failed(label, sha256, SubIndication::FormatFailure, Finding::Malformed(why)),
        };
        // Any eContentType: a detached signature signs the document whatever type the signer
        // named; the content-type attribute must equal it (the signer check), and a SignerInfo
        // without signed attributes needs id-data (RFC 5652 §5.3).
        // An attached signature (what `openssl cms -sign -stream` writes) is verified over the
        // given document like a detached one; the embedded copy must be the same bytes.
        let mut attached_warning = None;
        if let Some(content) = parts.econtent {
            let same = sha256.as_deref() == Some(hex::encode(DigestAlgorithm::Sha256.digest(content)).as_str());
            if !same {
                return DocumentReport::failed(label, sha256, SubIndication::FormatFailure, Finding::EmbeddedContentDiffers);
            }
            attached_warning = Some(Finding::AttachedContentEqual);
        }
        // The same SignerInfo twice would be reported as two signatures: a reader counting
        // signatures (person + agency) would be fooled by a copy of one of them.
        for (i, a) in parts.signers.iter().enumerate() {
            if parts.signers[..i].contains(a) {
                return DocumentReport::failed(label, sha256, SubIndication::FormatFailure, Finding::DuplicateSignerInfo);
            }
        }
        // Certificates: embedded ones, --chain ones and the extra evidence, all candidates for
        // sids and paths.
        let chain_ders: Vec<&[u8]> = self.intermediates.iter().map(|c| c.as_ref()).collect();
        let pool: Vec<&[u8]> =
            parts.certificates.iter().copied().chain(chain_ders.iter().copied()).chain(extra.certificates.iter().map(Vec::as_slice)).collect();
        let candidates: Vec<Candidate<'_>> = pool.iter().map(|c| Candidate { der: c, entry: self.signer_certs.get(c) }).collect();
        let mut intermediates = self.intermediates.clone();
        intermediates.extend(parts.certificates.iter().map(|c| CertificateDer::from(c.to_vec())));
        intermediates.extend(extra.certificates.iter().map(|c| CertificateDer::from(c.clone())));
        // The --crl CRLs are borrowed, not cloned per document (a CRL with many entries is a
        // large map); a copy is made only when the signature embeds CRLs of its own.
        let mut crls: std::borrow::Cow<'_, [crl::Crl]> = std::borrow::Cow::Borrowed(&self.crls);
        let mut crl_problems = Vec::new();
        for (c, source) in parts
            .crls
            .iter()
            .map(|c| (*c, EvidenceSource::Signature))
            .chain(extra.crls.iter().map(|c| (c.as_slice(), extra.source)))
        {
            match crl::parse(c) {
                Ok(p) => crls.to_mut().push(p),
                Err(problem) => crl_problems.push(Finding::CrlIgnored { source, problem }),
            }
        }
        // OCSP responses: the caller's, the SignedData's (RevocationInfoChoices other,
        // id-ri-ocsp-response), the extra evidence's (/DSS /OCSPs).
        let mut ocsp: std::borrow::Cow<'_, [OcspResponse]> = std::borrow::Cow::Borrowed(&self.ocsp);
        for r in parts.ocsps.iter().copied().chain(extra.ocsps.iter().map(Vec::as_slice)).take(MAX_CRLS) {
            ocsp.to_mut().push(OcspResponse::from_der(r));
        }
        let context_hash = self.context_hash(
            parts.certificates.iter().copied().chain(extra.certificates.iter().map(Vec::as_slice)),
            parts.crls.iter().copied().chain(extra.crls.iter().map(Vec::as_slice)).chain(parts.ocsps.iter().copied()).chain(extra.ocsps.iter().map(Vec::as_slice)),
        );
        let ctx = FileContext {
            candidates: &candidates,
            intermediates: &intermediates,
            crls: &crls,
            ocsp: &ocsp,
            context_hash: &context_hash,
            listed_digests: &parts.digest_algorithms,
            econtent_type: parts.econtent_type,
            digests: &digests,
            external_poe: extra.poe,
        };
        let mut signatures = Vec::new();
        for raw in &parts.signers {
            let mut r = self.verify_signer(raw, &ctx);
            r.warnings.extend(crl_problems.iter().cloned());
            r.warnings.extend(attached_warning.iter().cloned());
            signatures.push(r);
        }
        let mut doc = DocumentReport {
            path: label,
            sha256,
            indication: Indication::TotalPassed,
            sub_indication: None,
            detail: None,
            signatures,
        };
        doc.summarise();
        doc
    }

    /// Verifies many documents in parallel (rayon) into one report. A document or signature
    /// file that cannot be read fails that document only.
    pub fn verify_batch(&self, jobs: &[Job]) -> RunReport {
        use rayon::prelude::*;
        let docs: Vec<DocumentReport> = jobs.par_iter().map(|j| self.verify_job(j)).collect();
        RunReport::new(docs)
    }

    /// Verifies one document against its signature file (read with the size limit); a file that
    /// cannot be read fails the document.
    pub fn verify_job(&self, job: &Job) -> DocumentReport {
        let label = job.document.display().to_string();
        let p7s = match crate::files::read_limited(&job.signature, MAX_SIGNATURE_FILE_SIZE) {
            Ok(b) => b,
            Err(e) => {
                let finding = Finding::SignatureFileUnreadable { path: job.signature.display().to_string(), error: IoProblem::from(&e) };
                return DocumentReport::failed(label, None, SubIndication::FormatFailure, finding);
            }
        };
        // A regular file only: a FIFO or a device would block or never end.
        match crate::files::InputFile::open(&job.document) {
            Ok(f) => self.verify_detached(&label, std::io::BufReader::with_capacity(1 << 16, f), &p7s),
            Err(e) => DocumentReport::failed(label, None, SubIndication::FormatFailure, Finding::DocumentUnreadable(IoProblem::from(&e))),
        }
    }

    /// The path outcome of `leaf`, from the cache when this run has validated the same leaf
    /// (identified by its SHA-256, `leaf_sha256` when the caller has it) in the same context.
    fn path_outcome(
        &self,
        leaf: &[u8],
        leaf_sha256: Option<&[u8; 32]>,
        intermediates: &[CertificateDer<'static>],
        crls: &[crl::Crl],
        ocsp: &[OcspResponse],
        context_hash: &[u8],
        purpose: &Purpose,
    ) -> path::PathOutcome {
        let mut h = ring::digest::Context::new(&ring::digest::SHA256);
        h.update(&self.config_hash);
        feed(&mut h, context_hash);
        match leaf_sha256 {
            Some(d) => h.update(d),
            None => h.update(DigestAlgorithm::Sha256.digest(leaf).as_slice()),
        }
        match purpose {
            Purpose::DocumentSigning => h.update(b"DocumentSigning"),
            other => h.update(format!("{other:?}").as_bytes()),
        }
        let key = h.finish().as_ref().to_vec();
        if let Ok(cache) = self.cache.lock() {
            if let Some(hit) = cache.get(&key) {
                return hit.clone();
            }
        }
        let params = path::PathParams {
            anchors: &self.anchors,
            intermediates,
            crls,
            time: self.opts.time.unix_timestamp(),
            policy: self.opts.policy,
            revocation: self.opts.revocation,
            purpose,
            policies: &self.policy_inputs,
            ocsp,
            source: self.source(),
        };
        let outcome = path::validate(leaf, &params);
        if let Ok(mut cache) = self.cache.lock() {
            if cache.len() >= MAX_CACHE_ENTRIES {
                cache.clear();
            }
            cache.insert(key, outcome.clone());
        }
        outcome
    }

    /// The part of the path-cache key that the signature file (and any extra evidence given
    /// with it) adds: its certificates, by their SHA-256 from the certificate cache (computed
    /// once per run), and its CRLs.
    fn context_hash<'a>(&self, certificates: impl Iterator<Item = &'a [u8]>, crls: impl Iterator<Item = &'a [u8]>) -> Vec<u8> {
        let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
        for c in certificates {
            feed(&mut ctx, &self.signer_certs.get(c).sha256);
        }
        ctx.update(b"|crls");
        for c in crls {
            feed(&mut ctx, c);
        }
        ctx.finish().as_ref().to_vec()
    }

    /// Number of cached path validations (for tests and benchmarks).
    pub fn cached_paths(&self) -> usize {
        self.cache.lock().map(|c| c.len()).unwrap_or(0)
    }

    /// One SignerInfo, in named steps: the CMS signer check (shared with timestamp tokens),
    /// the signer's facts and claimed signing time, the path (cached), the proofs of existence.
    fn verify_signer(&self, raw: &[u8], ctx: &FileContext<'_>) -> SignatureReport {
        // 1. The CMS signer check.
        let cms = signer::check_signer(&SignerInput {
            signer_info: raw,
            listed_digests: ctx.listed_digests,
            econtent_type: ctx.econtent_type,
            candidates: ctx.candidates,
            content: Content::Digests(ctx.digests),
            policy: self.opts.policy,
            require_ess: false,
        });
        let mut r = SignatureReport::new(Indication::TotalPassed, None);
        r.digest_algorithm = cms.digest;
        r.signature_algorithm = cms.scheme;
        r.checks = cms.checks;
        r.warnings = cms.warnings;
        let mut failures = cms.failures;
        let Some(cand) = cms.signer.and_then(|i| ctx.candidates.get(i)) else { return finish(r, &failures) };
        let Some(facts) = cand.entry.facts.as_ref() else { return finish(r, &failures) };
        // 2. The signer, and the time it claims.
        r.signer = Some(signer_of(facts));
        r.certificate = Some(validity_of(facts));
        claimed_signing_time(&mut r, cms.signing_time, facts);
        // 3. Path, purpose, revocation (cached per certificate and context).
        let outcome = self.path_outcome(cand.der, Some(&cand.entry.sha256), ctx.intermediates, ctx.crls, ctx.ocsp, ctx.context_hash, &Purpose::DocumentSigning);
        // 4. Signature timestamps and document timestamps: a valid one may prove the signature
        // existed before a revocation or an expiry; then the path is judged at that time (poe.rs).
        let (outcome, check_time) = self.proof_of_existence(&mut r, raw, cms.signature, ctx, cand.der, outcome);
        r.checks.extend(outcome.checks.iter().cloned());
        r.checks.push(validity_period_check(facts.not_before, facts.not_after, check_time));
        r.warnings.extend(outcome.warnings.iter().cloned());
        r.chain = outcome.chain.clone();
        r.revocation = Some(outcome.revocation);
        failures.extend(outcome.failures.iter().copied());
        finish(r, &failures)
    }
}

/// What one signature file gives each of its SignerInfos.
pub(crate) struct FileContext<'a> {
    /// Certificates the sids may name (embedded, --chain, extra evidence).
    pub candidates: &'a [Candidate<'a>],
    /// Path-building candidates.
    pub intermediates: &'a [CertificateDer<'static>],
    /// CRLs (given, embedded, extra evidence), parsed.
    pub crls: &'a [crl::Crl],
    /// OCSP responses (given, embedded, extra evidence), parsed.
    pub ocsp: &'a [OcspResponse],
    /// The path-cache key part of the file's certificates and CRLs.
    pub context_hash: &'a [u8],
    /// SignedData.digestAlgorithms.
    pub listed_digests: &'a [&'a [u8]],
    /// SignedData eContentType (OID TLV).
    pub econtent_type: &'a [u8],
    /// The document's digests.
    pub digests: &'a HashMap<DigestAlgorithm, Vec<u8>>,
    /// A proof of existence from outside the signature (a document timestamp).
    pub external_poe: Option<&'a ExternalPoe>,
}

/// The report's signer facts of a certificate (also the TSA of a document timestamp).
pub(crate) fn signer_of(f: &CertFacts) -> Signer {
    Signer { subject: f.subject.clone(), serial: f.serial_hex.clone(), issuer: f.issuer.clone() }
}

/// The report's validity period of a certificate.
pub(crate) fn validity_of(f: &CertFacts) -> Validity {
    Validity { not_before: path::at(f.not_before), not_after: path::at(f.not_after) }
}

/// The signing-time attribute: a claim of the signer, shown to the recipient with whether the
/// certificate's validity covered it.
fn claimed_signing_time(r: &mut SignatureReport, t: Option<i64>, f: &CertFacts) {
    match t {
        Some(t) => {
            r.signing_time = Some(path::at(t));
            let covered = f.not_before <= t && t <= f.not_after;
            r.covered_signing_time = Some(covered);
            if !covered {
                r.warnings.push(Finding::SigningTimeOutsideValidity);
            }
        }
        // A SignerInfo that stopped before its attributes were read says nothing about time.
        None if r.checks.iter().any(|c| c.finding == Finding::SignerInfoParses) => r.warnings.push(Finding::NoSigningTime),
        None => {}
    }
}

fn feed(ctx: &mut ring::digest::Context, bytes: &[u8]) {
    ctx.update(&(bytes.len() as u64).to_be_bytes());
    ctx.update(bytes);
}

/// The most significant failure: TOTAL_FAILED ones before INDETERMINATE ones, then in the
/// order the checks ran (format → identification → integrity → signature → path → revocation).
fn rank(failures: &[SubIndication]) -> Option<SubIndication> {
    failures
        .iter()
        .find(|s| s.indication() == Indication::TotalFailed)
        .or_else(|| failures.first())
        .copied()
}

fn finish(mut r: SignatureReport, failures: &[SubIndication]) -> SignatureReport {
    let sub = rank(failures);
    r.indication = sub.map_or(Indication::TotalPassed, |s| s.indication());
    r.sub_indication = sub;
    r
}

fn validity_check(cert_der: &[u8], time: i64) -> Option<Check> {
    let (_, c) = X509Certificate::from_der(cert_der).ok()?;
    Some(validity_period_check(c.validity().not_before.timestamp(), c.validity().not_after.timestamp(), time))
}

/// The validity check of a certificate valid from `nb` to `na` (Unix seconds) at `time`.
fn validity_period_check(nb: i64, na: i64, time: i64) -> Check {
    let (not_before, not_after, at) = (path::at(nb), path::at(na), path::at(time));
    if time < nb {
        Check::new(CheckName::Validity, CheckStatus::Failed, Finding::CertificateNotYetValid { at, not_before, not_after })
    } else if time > na {
        Check::new(CheckName::Validity, CheckStatus::Failed, Finding::CertificateExpired { at, not_before, not_after })
    } else {
        Check::new(CheckName::Validity, CheckStatus::Passed, Finding::CertificateValid { not_before, not_after })
    }
}

/// Decodes the `.p7s` bytes: PEM ("CMS" / "PKCS7" labels) or binary; BER normalised to DER.
fn decode_p7s(bytes: &[u8]) -> Result<Vec<u8>, FormatProblem> {
    let file = |kind| FormatProblem::new(Element::SignatureFile, kind);
    if bytes.len() as u64 > MAX_SIGNATURE_FILE_SIZE {
        return Err(file(FormatKind::TooLarge { limit: MAX_SIGNATURE_FILE_SIZE }));
    }
    let binary = if crate::objects::is_pem(bytes) {
        let blocks = crate::objects::pem_blocks(bytes).map_err(|_| file(FormatKind::NotRecognised))?;
        let mut found = blocks.into_iter().filter(|(l, _)| l == "CMS" || l == "PKCS7");
        let Some((_, der)) = found.next() else {
            return Err(file(FormatKind::NotRecognised));
        };
        if found.next().is_some() {
            return Err(file(FormatKind::SeveralPemBlocks));
        }
        der
    } else {
        bytes.to_vec()
    };
    if binary.is_empty() {
        return Err(file(FormatKind::Empty));
    }
    // BER normalised, zero padding cut (`normalise` reports both: `was_der`, `padding`).
    match crate::asn1::normalise(&binary) {
        Ok(crate::asn1::Normalised { der: std::borrow::Cow::Borrowed(d), .. }) => {
            let len = d.len();
            let mut binary = binary;
            binary.truncate(len);
            Ok(binary)
        }
        Ok(n) => Ok(n.der.into_owned()),
        Err(e) => Err(file(signed_data::der_kind(e))),
    }
}

/// Cross-check with the RustCrypto `cms` types: the SignedData must decode strictly as well.
/// The certificate set is decoded element by element; each distinct certificate is decoded as
/// `CertificateChoices` once per run (the same signer and chain in every file of a batch), its
/// result kept in the certificate cache. Decoding the embedded certificates was ~40% of a
/// cached verification's overhead.
fn cms_crate_check(der_bytes: &[u8], certs: &certcache::CertCache) -> Result<(), FormatProblem> {
    use ::der::{Decode, Encode};
    let bad = |element| FormatProblem::new(element, FormatKind::InvalidValue);
    let ci = cms::content_info::ContentInfo::from_der(der_bytes).map_err(|_| bad(Element::ContentInfo))?;
    let sd = ci.content.decode_as::<strict::SignedData<'_>>().map_err(|_| bad(Element::SignedData))?;
    for c in sd.certificates.iter().flat_map(|set| set.iter()) {
        let bytes = c.to_der().map_err(|_| bad(Element::Certificates))?;
        if certs.get(&bytes).strict.is_err() {
            return Err(bad(Element::Certificates));
        }
    }
    // RevocationInfoChoices element by element: a CertificateList must decode strictly; an
    // `other` choice ([1] IMPLICIT OtherRevocationInfoFormat, RFC 5652 §10.2.1 — e.g. an OCSP
    // response, RFC 5940) is read by kyso's own walker. (cms 0.3.0-rc.0 decodes `other` as
    // if it were EXPLICIT and refuses RFC-conforming OCSP entries.)
    for c in sd.crls.iter().flat_map(|set| set.iter()) {
        if ::der::Tagged::tag(c) == ::der::Tag::Sequence {
            let bytes = c.to_der().map_err(|_| bad(Element::Crls))?;
            <x509_cert::crl::CertificateList>::from_der(&bytes).map_err(|_| bad(Element::Crls))?;
        }
    }
    Ok(())
}

mod strict {
    //! `cms::signed_data::SignedData` with the certificate set kept as raw elements (each is
    //! then decoded as `CertificateChoices` by `cms_crate_check`, unless already seen).
    use cms::content_info::CmsVersion;
    use cms::signed_data::{DigestAlgorithmIdentifiers, EncapsulatedContentInfo, SignerInfos};
    use der::asn1::{AnyRef, SetOfVec};

    /// RFC 5652 §5.1 SignedData; `certificates` and `crls` as DER SETs OF any element.
    #[derive(Clone, Debug, der::Sequence)]
    pub(super) struct SignedData<'a> {
        pub version: CmsVersion,
        pub digest_algorithms: DigestAlgorithmIdentifiers,
        pub encap_content_info: EncapsulatedContentInfo,
        #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
        pub certificates: Option<SetOfVec<AnyRef<'a>>>,
        #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
        pub crls: Option<SetOfVec<AnyRef<'a>>>,
        pub signer_infos: SignerInfos,
    }
}

/// Reads the document once, computing every digest in `algs`.
fn stream_digests(mut r: impl Read, algs: &[DigestAlgorithm]) -> std::io::Result<HashMap<DigestAlgorithm, Vec<u8>>> {
    let mut ctxs: Vec<(DigestAlgorithm, crate::alg::Hasher)> = algs.iter().map(|a| (*a, crate::alg::Hasher::new(*a))).collect();
    // One 64 KiB buffer per thread, reused: zeroing a fresh one per document was 6% of a
    // cached verification.
    thread_local! {
        static BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    BUF.with(|cell| {
        // A re-entrant call (not done today) gets a buffer of its own instead of a panic.
        let mut own = Vec::new();
        let mut borrowed = cell.try_borrow_mut();
        let buf: &mut Vec<u8> = match borrowed.as_deref_mut() {
            Ok(b) => b,
            Err(_) => &mut own,
        };
        if buf.len() != STREAM_BUFFER {
            buf.resize(STREAM_BUFFER, 0);
        }
        read_into(&mut r, buf, &mut ctxs)
    })?;
    Ok(ctxs.into_iter().map(|(a, c)| (a, c.finish())).collect())
}

/// Read size for documents (64 KiB: fits the L2 cache with the hash state; see benches/RESULTS.md).
const STREAM_BUFFER: usize = 1 << 16;

fn read_into(r: &mut impl Read, buf: &mut [u8], ctxs: &mut [(DigestAlgorithm, crate::alg::Hasher)]) -> std::io::Result<()> {
    loop {
        let n = match r.read(buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        let chunk = buf.get(..n).unwrap_or(&[]);
        for (_, c) in ctxs.iter_mut() {
            c.update(chunk);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn garbage_p7s_is_format_failure_not_panic() {
        let anchor_less = Verifier::new(&[], &[], &[], Options::at(::time::OffsetDateTime::UNIX_EPOCH));
        assert_eq!(anchor_less.err(), Some(VerifyError::NoTrustAnchor));
        for input in [&b""[..], b"\x30", b"\x30\x80", b"hello world", b"-----BEGIN CMS-----\nMAA=\n-----END CMS-----\n", b"\x30\x03\x02\x01\x01\x00"] {
            let d = decode_p7s(input).and_then(|d| signed_data::parse(&d).map(|_| ()));
            assert!(d.is_err(), "{input:?}");
        }
    }

    #[test]
    fn rank_prefers_total_failed() {
        assert_eq!(rank(&[SubIndication::TryLater, SubIndication::HashFailure]), Some(SubIndication::HashFailure));
        assert_eq!(rank(&[SubIndication::NoCertificateChainFound, SubIndication::TryLater]), Some(SubIndication::NoCertificateChainFound));
        assert_eq!(rank(&[]), None);
    }
}
