//! The verification core (DESIGN.md §4): detached CMS/CAdES signatures and single certificates,
//! checked against trust anchors at a validation time given by the caller (the library never
//! reads the clock), with CRLs and an algorithm policy. Results are ETSI EN 319 102-1 style
//! reports ([`crate::report`]).
//!
//! Per SignerInfo, in order: the signature file parses (DER, or BER normalised to DER, raw or
//! PEM); the signer certificate is found by its sid; content-type is id-data; the document digest
//! equals the message-digest attribute; the signature verifies over the signed-attribute bytes
//! as received (re-tagged as SET); signing-certificate-v2 (or v1) matches the signer
//! certificate; the algorithm policy allows what was used; the path to a trust anchor validates
//! (`src/verify/path.rs`); revocation from verified CRLs.
//!
//! Signature timestamps (CAdES-B-T) are verified and used as proof of existence (see
//! `src/verify/poe.rs` for the rule and the revocation reasons it accepts).
//!
//! What is **not** checked: archive attributes and evidence records (B-LT/B-LTA),
//! signature policies, counter-signatures, OCSP, attached (non-detached) content, and signatures
//! without signed attributes (CAdES requires them: they are a FORMAT_FAILURE). Attached content
//! is accepted only when it equals the given document.
//!
//! ```no_run
//! use kyso::verify::{Options, Verifier};
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let root = std::fs::read("root.der")?;
//! let time = ::time::OffsetDateTime::from_unix_timestamp(1_800_000_000)?;
//! let verifier = Verifier::new(&[root], &[], &[], Options::at(time))?;
//! let report = verifier.verify_detached("doc.pdf", std::fs::File::open("doc.pdf")?, &std::fs::read("doc.pdf.p7s")?);
//! println!("{}", report.indication.as_str());
//! # Ok(()) }
//! ```

mod algs;
mod certcache;
mod crl;
mod der;
#[cfg(feature = "pdf")]
mod doc_ts;
mod path;
#[cfg(feature = "pdf")]
mod pdf;
mod poe;
mod pss;
mod signed_data;

pub use crl::MAX_CRL_ENTRIES;
pub use path::{KeyUsageBit, MAX_CHAIN_DEPTH};

use crate::alg::{oid, DigestAlgorithm, Policy};
use crate::util::serial_hex;
use crate::report::{
    Check, CheckStatus, CertReport, DocumentReport, Indication, RevocationStatus, RunReport, SignatureReport,
    SubIndication,
};
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

/// Limit on SignerInfos per file. A Vietnamese administrative document carries two (the
/// competent person's and the agency's); a few more appear with co-signers. 32 bounds the
/// signature verifications and path validations one file can demand.
pub const MAX_SIGNERS: usize = 32;

/// Limit on certificates in one SignedData (and in `--chain` files together). Each signer brings
/// its chain of ≤ 3; 64 covers many signers while bounding path-building inputs.
pub const MAX_CERTIFICATES: usize = 64;

/// Limit on CRLs in one SignedData (and on `--crl` files together). One per CA of the paths is
/// what is needed; 32 bounds the CRL signature verifications per certificate checked
/// (at most `MAX_CRLS × (MAX_CHAIN_DEPTH + 1)` per path).
pub const MAX_CRLS: usize = 32;

/// Limit on signed attributes of one SignerInfo. CAdES-B-B has four or five; 64 bounds parsing.
pub const MAX_ATTRIBUTES: usize = 64;

/// Limit on cached path-validation results (one per distinct signer certificate and context);
/// the cache is cleared when it reaches this size, which bounds its memory in long batches.
pub const MAX_CACHE_ENTRIES: usize = 10_000;

/// Validation data that comes with a signature but outside its SignedData (a PDF's /DSS).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Evidence<'a> {
    /// Where it comes from, for warnings ("the document's /DSS").
    pub source: &'a str,
    /// DER certificates: path-building candidates only.
    pub certificates: &'a [Vec<u8>],
    /// DER CRLs: verified like embedded ones before use.
    pub crls: &'a [Vec<u8>],
    /// A proof of existence from outside the signature: a valid document timestamp that covers
    /// it (used like a signature timestamp, see `poe`).
    pub poe: Option<&'a ExternalPoe>,
}

/// A proof that a signature existed at `time` (Unix seconds), and what proves it.
#[derive(Debug, Clone)]
pub(crate) struct ExternalPoe {
    pub time: i64,
    /// E.g. "the document timestamp Timestamp1 by CN=TSA".
    pub what: String,
}

impl Default for Evidence<'_> {
    fn default() -> Self {
        Evidence { source: "the signature", certificates: &[], crls: &[], poe: None }
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
        reason: String,
    },
    /// A limit was exceeded.
    #[error("more than {limit} {what}")]
    TooMany {
        /// What.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
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
    /// Embedded and `--chain` certificates, parsed (and decoded strictly, see
    /// `cms_crate_check`) once per run (see `certcache`).
    signer_certs: certcache::CertCache,
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
            return Err(VerifyError::TooMany { what: "--chain certificates", limit: MAX_CERTIFICATES });
        }
        if crls.len() > MAX_CRLS {
            return Err(VerifyError::TooMany { what: "CRLs", limit: MAX_CRLS });
        }
        let mut hasher = ring::digest::Context::new(&ring::digest::SHA256);
        let mut out_anchors = Vec::new();
        for (index, a) in anchors.iter().enumerate() {
            let cd = CertificateDer::from(a.as_slice());
            let ta = webpki::anchor_from_trusted_cert(&cd)
                .map_err(|e| VerifyError::BadTrustAnchor { index, reason: e.to_string() })?
                .to_owned();
            feed(&mut hasher, a);
            out_anchors.push(path::Anchor { ta, der: a.clone() });
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
        })
    }

    /// The options.
    pub fn options(&self) -> &Options {
        &self.opts
    }

    /// Validates one certificate's path (`kyso cert verify`): same core and rules as for a
    /// signer certificate, with `purpose` applied to the leaf.
    pub fn verify_certificate(&self, cert_der: &[u8], purpose: &Purpose) -> CertReport {
        let mut checks = Vec::new();
        let mut warnings = Vec::new();
        let outcome = self.path_outcome(cert_der, None, &self.intermediates, &self.crls, &[], purpose);
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
                    if let Some(d) = signed_data::parse_signer(s).ok().and_then(|p| digest_of(p.digest_alg)) {
                        if !needed.contains(&d) {
                            needed.push(d);
                        }
                    }
                }
            }
        }
        let digests = match stream_digests(document, &needed) {
            Ok(d) => d,
            Err(e) => {
                return DocumentReport::failed(label, None, SubIndication::FormatFailure, format!("cannot read the document: {e}"))
            }
        };
        let sha256 = digests.get(&DigestAlgorithm::Sha256).map(hex::encode);
        let der = match parsed {
            Ok(d) => d,
            Err(why) => return DocumentReport::failed(label, sha256, SubIndication::FormatFailure, why),
        };
        let parts = match signed_data::parse(&der).and_then(|p| cms_crate_check(&der, &self.signer_certs).map(|_| p)) {
            Ok(p) => p,
            Err(why) => return DocumentReport::failed(label, sha256, SubIndication::FormatFailure, why),
        };
        if parts.econtent_type != signed_data::OID_DATA {
            return DocumentReport::failed(label, sha256, SubIndication::FormatFailure, "the encapsulated content type is not id-data".into());
        }
        // An attached signature (what `openssl cms -sign -stream` writes) is verified over the
        // given document like a detached one; the embedded copy must be the same bytes.
        let mut attached_warning = None;
        if let Some(content) = parts.econtent {
            let same = sha256.as_deref() == Some(hex::encode(DigestAlgorithm::Sha256.digest(content)).as_str());
            if !same {
                return DocumentReport::failed(
                    label,
                    sha256,
                    SubIndication::FormatFailure,
                    "the signature file embeds content that differs from the document".into(),
                );
            }
            attached_warning = Some("the signature file also embeds the document (attached signature); it equals the given document".to_string());
        }
        // Certificates: embedded ones and --chain ones, all candidates for sids and paths.
        let mut pool: Vec<Vec<u8>> = parts.certificates.iter().map(|c| c.to_vec()).collect();
        pool.extend(self.intermediates.iter().map(|c| c.as_ref().to_vec()));
        pool.extend(extra.certificates.iter().cloned());
        let mut intermediates = self.intermediates.clone();
        intermediates.extend(parts.certificates.iter().map(|c| CertificateDer::from(c.to_vec())));
        intermediates.extend(extra.certificates.iter().map(|c| CertificateDer::from(c.clone())));
        // The --crl CRLs are borrowed, not cloned per document (a CRL with many entries is a
        // large map); a copy is made only when the signature embeds CRLs of its own.
        let mut crls: std::borrow::Cow<'_, [crl::Crl]> = std::borrow::Cow::Borrowed(&self.crls);
        let mut embedded_crl_problems = Vec::new();
        for c in &parts.crls {
            match crl::parse(c) {
                Ok(p) => crls.to_mut().push(p),
                Err(why) => embedded_crl_problems.push(format!("an embedded CRL was ignored: {why}")),
            }
        }
        for c in extra.crls {
            match crl::parse(c) {
                Ok(p) => crls.to_mut().push(p),
                Err(why) => embedded_crl_problems.push(format!("a CRL of {} was ignored: {why}", extra.source)),
            }
        }
        let context_hash = self.context_hash(
            parts.certificates.iter().copied().chain(extra.certificates.iter().map(Vec::as_slice)),
            parts.crls.iter().copied().chain(extra.crls.iter().map(Vec::as_slice)),
        );

        // The same SignerInfo twice would be reported as two signatures: a reader counting
        // signatures (person + agency) would be fooled by a copy of one of them.
        for (i, a) in parts.signers.iter().enumerate() {
            if parts.signers[..i].contains(a) {
                return DocumentReport::failed(label, sha256, SubIndication::FormatFailure, "the signature file holds the same SignerInfo twice".into());
            }
        }
        let mut signatures = Vec::new();
        for raw in &parts.signers {
            let mut r = self.verify_signer(raw, &pool, &digests, &intermediates, &crls, &context_hash, &parts.digest_algorithms, extra.poe);
            r.warnings.extend(embedded_crl_problems.iter().cloned());
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

    fn verify_job(&self, job: &Job) -> DocumentReport {
        let label = job.document.display().to_string();
        let p7s = match crate::files::read_limited(&job.signature, MAX_SIGNATURE_FILE_SIZE) {
            Ok(b) => b,
            Err(e) => {
                return DocumentReport::failed(
                    label,
                    None,
                    SubIndication::FormatFailure,
                    format!("cannot read the signature file {}: {e}", job.signature.display()),
                )
            }
        };
        match std::fs::File::open(&job.document) {
            Ok(f) => self.verify_detached(&label, std::io::BufReader::with_capacity(1 << 16, f), &p7s),
            Err(e) => DocumentReport::failed(label, None, SubIndication::FormatFailure, format!("cannot open the document: {e}")),
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

    #[allow(clippy::too_many_arguments)] // the per-document context, passed as is
    fn verify_signer(
        &self,
        raw: &[u8],
        pool: &[Vec<u8>],
        digests: &HashMap<DigestAlgorithm, Vec<u8>>,
        intermediates: &[CertificateDer<'static>],
        crls: &[crl::Crl],
        context_hash: &[u8],
        listed_digests: &[&[u8]],
        external_poe: Option<&ExternalPoe>,
    ) -> SignatureReport {
        let mut r = SignatureReport::new(Indication::TotalPassed, None);
        let mut failures: Vec<SubIndication> = Vec::new();
        let fail = |r: &mut SignatureReport, failures: &mut Vec<SubIndication>, name, sub, detail: String| {
            r.checks.push(Check::new(name, CheckStatus::Failed, detail));
            failures.push(sub);
        };

        // 1. Structure.
        let si = match signed_data::parse_signer(raw) {
            Ok(s) => s,
            Err(why) => {
                fail(&mut r, &mut failures, "format", SubIndication::FormatFailure, why);
                return finish(r, &failures);
            }
        };
        let digest = digest_of(si.digest_alg);
        // RFC 5652 §5.1: digestAlgorithms lists the signers' digest algorithms (OpenSSL insists).
        let listed = der::read(si.digest_alg).map(|(oid, _)| listed_digests.contains(&oid.raw)).unwrap_or(false);
        if !listed {
            fail(&mut r, &mut failures, "format", SubIndication::FormatFailure, "the SignerInfo's digest algorithm is not listed in SignedData digestAlgorithms".into());
            return finish(r, &failures);
        }
        r.digest_algorithm = Some(digest.map(|d| d.name().to_string()).unwrap_or_else(|| "unknown".into()));
        let Some(attrs_tlv) = si.signed_attrs else {
            fail(&mut r, &mut failures, "format", SubIndication::FormatFailure, "no signed attributes (CAdES requires content-type and message-digest)".into());
            return finish(r, &failures);
        };
        let attrs = match signed_data::attributes(&attrs_tlv) {
            Ok(a) => a,
            Err(why) => {
                fail(&mut r, &mut failures, "format", SubIndication::FormatFailure, why);
                return finish(r, &failures);
            }
        };
        let single = |oid_der: &[u8]| -> Result<Option<der::Tlv<'_>>, String> {
            let mut found = attrs.iter().filter(|a| a.oid == oid_der);
            let Some(a) = found.next() else { return Ok(None) };
            if found.next().is_some() {
                return Err("a signed attribute appears twice".into());
            }
            match a.values.as_slice() {
                [v] => Ok(Some(*v)),
                _ => Err("a signed attribute does not have exactly one value".into()),
            }
        };
        let ct = single(&oid_tlv(&oid::ATTR_CONTENT_TYPE));
        let md = single(&oid_tlv(&oid::ATTR_MESSAGE_DIGEST));
        let st = single(&oid_tlv(&oid::ATTR_SIGNING_TIME));
        let scv2 = single(&oid_tlv(&oid::ATTR_SIGNING_CERTIFICATE_V2));
        let scv1 = single(&oid_tlv(&oid::ATTR_SIGNING_CERTIFICATE));
        let (ct, md, st, scv2, scv1) = match (ct, md, st, scv2, scv1) {
            (Ok(a), Ok(b), Ok(c), Ok(d), Ok(e)) => (a, b, c, d, e),
            _ => {
                fail(&mut r, &mut failures, "format", SubIndication::FormatFailure, "a CMS signed attribute is repeated or multi-valued".into());
                return finish(r, &failures);
            }
        };
        r.checks.push(Check::new("format", CheckStatus::Passed, "SignerInfo and signed attributes parse"));

        // 2. The signer certificate by its sid.
        // Several certificates may fit the sid (same key → same subjectKeyIdentifier): the
        // signing-certificate attribute, when present, identifies the right one (ETSI EN 319
        // 102-1 §5.2.3); otherwise the first fit is taken. Each candidate is parsed once.
        let entries: Vec<(&Vec<u8>, std::sync::Arc<certcache::CertEntry>)> = pool
            .iter()
            .filter_map(|c| {
                let e = self.signer_certs.get(c);
                e.facts.as_ref().is_some_and(|f| f.matches_sid(&si.sid)).then_some((c, e))
            })
            .collect();
        // With one fit there is nothing to choose (the attribute is checked in step 6).
        let pick = if entries.len() < 2 {
            0
        } else {
            entries
                .iter()
                .position(|(c, e)| match (scv2, scv1) {
                    (Some(v), _) => ess_matches(v.raw, c, e, true).is_ok(),
                    (None, Some(v)) => ess_matches(v.raw, c, e, false).is_ok(),
                    (None, None) => false,
                })
                .unwrap_or(0)
        };
        let Some((cert_der, entry)) = entries.into_iter().nth(pick) else {
            fail(&mut r, &mut failures, "signer_certificate", SubIndication::NoSigningCertificateFound, "no certificate in the signature file or --chain matches the SignerInfo's sid".into());
            return finish(r, &failures);
        };
        let Some(cert) = entry.facts.as_ref() else {
            // Unreachable: only certificates with facts match a sid.
            fail(&mut r, &mut failures, "signer_certificate", SubIndication::NoSigningCertificateFound, "no certificate in the signature file or --chain matches the SignerInfo's sid".into());
            return finish(r, &failures);
        };
        r.signer = Some(cert.signer.clone());
        let nb = cert.not_before;
        let na = cert.not_after;
        r.certificate = Some(cert.validity.clone());
        r.checks.push(Check::new("signer_certificate", CheckStatus::Passed, format!("found: {}", cert.signer.subject)));

        // 3. content-type.
        match ct {
            Some(v) if v.raw == signed_data::OID_DATA => {
                r.checks.push(Check::new("content_type", CheckStatus::Passed, "id-data"));
            }
            Some(_) => fail(&mut r, &mut failures, "content_type", SubIndication::FormatFailure, "the content-type attribute is not id-data".into()),
            None => fail(&mut r, &mut failures, "content_type", SubIndication::FormatFailure, "the content-type signed attribute is missing".into()),
        }

        // 4. message-digest against the streamed document digest.
        match (md, digest) {
            (None, _) => fail(&mut r, &mut failures, "message_digest", SubIndication::FormatFailure, "the message-digest signed attribute is missing".into()),
            (Some(v), _) if v.tag != 0x04 => fail(&mut r, &mut failures, "message_digest", SubIndication::FormatFailure, "the message-digest attribute is not an OCTET STRING".into()),
            (Some(_), None) => fail(&mut r, &mut failures, "message_digest", SubIndication::CryptoConstraintsFailure, "unknown digest algorithm".into()),
            (Some(v), Some(d)) => match digests.get(&d) {
                Some(actual) if actual.as_slice() == v.body => {
                    r.checks.push(Check::new("message_digest", CheckStatus::Passed, format!("{d} of the document matches")));
                }
                Some(actual) => fail(
                    &mut r,
                    &mut failures,
                    "message_digest",
                    SubIndication::HashFailure,
                    format!("{d} of the document is {}, the signature says {}", hex::encode(actual), hex::encode(v.body)),
                ),
                None => fail(&mut r, &mut failures, "message_digest", SubIndication::FormatFailure, "document digest unavailable".into()),
            },
        }

        // 5. The signature over the signed attributes as received, re-tagged [0] → SET.
        let sig_alg = digest.and_then(|d| algs::resolve_cms(si.sig_alg, d));
        r.signature_algorithm = Some(sig_alg.map(|a| a.name()).unwrap_or_else(|| "unknown".into()));
        match sig_alg {
            None => fail(&mut r, &mut failures, "signature", SubIndication::CryptoConstraintsFailure, "unsupported signature algorithm".into()),
            Some(alg) => {
                let mut msg = attrs_tlv.raw.to_vec();
                if let Some(tag) = msg.first_mut() {
                    *tag = 0x31; // [0] IMPLICIT → SET OF (RFC 5652 §5.4)
                }
                match algs::verify_cms(alg, &cert.spki_raw, &msg, si.signature) {
                    Ok(()) => r.checks.push(Check::new("signature", CheckStatus::Passed, format!("{} signature verifies", alg.name()))),
                    Err(algs::SigError::Invalid) | Err(algs::SigError::BadKey) => fail(
                        &mut r,
                        &mut failures,
                        "signature",
                        SubIndication::SigCryptoFailure,
                        "the signature value does not verify with the signer certificate's key".into(),
                    ),
                    Err(algs::SigError::Unsupported) => fail(
                        &mut r,
                        &mut failures,
                        "signature",
                        SubIndication::CryptoConstraintsFailure,
                        format!("{} is not supported with this key", alg.name()),
                    ),
                }
                // Algorithm policy (rule 5).
                let sha1 = digest == Some(DigestAlgorithm::Sha1) || alg.digest() == DigestAlgorithm::Sha1;
                match (sha1, self.opts.policy) {
                    (false, _) => r.checks.push(Check::new("algorithm_policy", CheckStatus::Passed, format!("{} allowed", alg.name()))),
                    (true, Policy::Strict) => fail(
                        &mut r,
                        &mut failures,
                        "algorithm_policy",
                        SubIndication::CryptoConstraintsFailure,
                        "SHA-1 is not allowed by the strict policy (use --policy legacy for old documents)".into(),
                    ),
                    (true, Policy::Legacy) => {
                        r.checks.push(Check::new("algorithm_policy", CheckStatus::Warning, "SHA-1 accepted by the legacy policy"));
                        r.warnings.push("legacy policy: the signature uses SHA-1".into());
                    }
                }
            }
        }

        // 6. signing-certificate-v2 and v1 (each when present) against the signer certificate.
        if scv2.is_none() && scv1.is_none() {
            r.checks.push(Check::new("signing_certificate", CheckStatus::Warning, "no signing-certificate attribute"));
            r.warnings.push("no signing-certificate attribute: the signature does not bind its certificate (not CAdES)".into());
        }
        for (attr, v2) in [(scv2, true), (scv1, false)] {
            let Some(v) = attr else { continue };
            match ess_matches(v.raw, cert_der, &entry, v2) {
                Ok(()) => r.checks.push(Check::new(
                    "signing_certificate",
                    CheckStatus::Passed,
                    format!("{} matches the signer certificate", if v2 { "signing-certificate-v2" } else { "signing-certificate (v1)" }),
                )),
                Err(why) => fail(&mut r, &mut failures, "signing_certificate", SubIndication::NoSigningCertificateFound, why),
            }
        }

        // 7. signing-time (a claim of the signer, shown to the recipient).
        match st {
            Some(v) => match signing_time(v.raw) {
                Some(t) => {
                    r.signing_time = Some(path::fmt_unix(t));
                    let covered = nb <= t && t <= na;
                    r.covered_signing_time = Some(covered);
                    if !covered {
                        r.warnings.push("the signing time lies outside the certificate's validity period".into());
                    }
                }
                None => fail(&mut r, &mut failures, "format", SubIndication::FormatFailure, "the signing-time attribute is malformed".into()),
            },
            None => r.warnings.push("no signing-time attribute".into()),
        }

        // 8. Path, purpose, revocation (cached per certificate and context).
        let outcome = self.path_outcome(cert_der, Some(&entry.sha256), intermediates, crls, context_hash, &Purpose::DocumentSigning);
        // 9. Signature timestamps: a valid one may prove the signature existed before a
        // revocation or an expiry; then the path is judged at that time (poe.rs).
        let (outcome, check_time) = self.proof_of_existence(&mut r, raw, si.signature, pool, cert_der, intermediates, crls, outcome, external_poe);
        r.checks.extend(outcome.checks.iter().cloned());
        r.checks.push(validity_period_check(nb, na, check_time));
        r.warnings.extend(outcome.warnings.iter().cloned());
        r.chain = outcome.chain.clone();
        r.revocation = Some(outcome.revocation);
        if outcome.revocation == RevocationStatus::NotChecked {
            r.revocation = Some(RevocationStatus::NotChecked);
        }
        failures.extend(outcome.failures.iter().copied());
        finish(r, &failures)
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
    let period = format!("{} to {}", path::fmt_unix(nb), path::fmt_unix(na));
    if time < nb {
        Check::new("validity", CheckStatus::Failed, format!("not yet valid at {} (valid {period})", path::fmt_unix(time)))
    } else if time > na {
        Check::new("validity", CheckStatus::Failed, format!("expired at {} (valid {period})", path::fmt_unix(time)))
    } else {
        Check::new("validity", CheckStatus::Passed, format!("valid {period}"))
    }
}

/// An OID as a DER TLV.
fn oid_tlv(o: &const_oid::ObjectIdentifier) -> Vec<u8> {
    let mut v = vec![0x06, o.as_bytes().len() as u8];
    v.extend_from_slice(o.as_bytes());
    v
}

fn digest_of(alg_body: &[u8]) -> Option<DigestAlgorithm> {
    let (oid, params) = der::read(alg_body).ok()?;
    if !(params.is_empty() || params == [0x05, 0x00]) || oid.tag != 0x06 {
        return None;
    }
    let o = const_oid::ObjectIdentifier::from_bytes(oid.body).ok()?;
    DigestAlgorithm::from_oid(&o)
}

/// Decodes the signing-time attribute value (UTCTime or GeneralizedTime) to Unix seconds.
fn signing_time(raw: &[u8]) -> Option<i64> {
    use ::der::Decode;
    let t = x509_cert::time::Time::from_der(raw).ok()?;
    i64::try_from(t.to_unix_duration().as_secs()).ok()
}

/// Checks an ESS signing-certificate (v1, SHA-1) or signing-certificate-v2 value (decoded with
/// [`crate::cms::ess`]) against the signer certificate `cert_der` (its cached digests and
/// x509-cert decoding in `entry`): the first ESSCertID's hash must be the certificate's, and
/// its issuerSerial, when present, must name the certificate's issuer and serial number.
fn ess_matches(value: &[u8], cert_der: &[u8], entry: &certcache::CertEntry, v2: bool) -> Result<(), String> {
    use crate::cms::ess::{IssuerSerial, SigningCertificate, SigningCertificateV2};
    use ::der::Decode;
    let (name, hash_alg, hash, issuer_serial): (_, _, Vec<u8>, Option<IssuerSerial>) = if v2 {
        let sc = SigningCertificateV2::from_der(value).map_err(|e| format!("malformed signing-certificate-v2 attribute: {e}"))?;
        let first = sc.certs.into_iter().next().ok_or("the signing-certificate-v2 attribute lists no certificate")?;
        let alg = first.digest_algorithm().ok_or("the signing-certificate-v2 attribute uses an unknown hash algorithm")?;
        ("signing-certificate-v2", alg, first.cert_hash.as_bytes().to_vec(), first.issuer_serial)
    } else {
        let sc = SigningCertificate::from_der(value).map_err(|e| format!("malformed signing-certificate attribute: {e}"))?;
        let first = sc.certs.into_iter().next().ok_or("the signing-certificate attribute lists no certificate")?;
        ("signing-certificate", DigestAlgorithm::Sha1, first.cert_hash.as_bytes().to_vec(), first.issuer_serial)
    };
    if entry.digest(hash_alg, cert_der).as_ref() != hash.as_slice() {
        return Err(format!(
            "the {name} attribute's {hash_alg} hash does not match the signer certificate (certificate substitution?)"
        ));
    }
    let matches = match (&issuer_serial, entry.facts.as_ref().and_then(|f| f.x509_cert.as_ref())) {
        (None, _) => true,
        (Some(is), Some(cert)) => is.matches(cert),
        (Some(_), None) => false,
    };
    if !matches {
        return Err(format!("the {name} attribute names another issuer or serial number than the signer certificate"));
    }
    Ok(())
}

/// Decodes the `.p7s` bytes: PEM ("CMS" / "PKCS7" labels) or binary; BER normalised to DER.
fn decode_p7s(bytes: &[u8]) -> Result<Vec<u8>, String> {
    if bytes.len() as u64 > MAX_SIGNATURE_FILE_SIZE {
        return Err(format!("the signature file is larger than {MAX_SIGNATURE_FILE_SIZE} bytes"));
    }
    let binary = if crate::objects::is_pem(bytes) {
        let blocks = crate::objects::pem_blocks(bytes).map_err(|e| e.to_string())?;
        let mut found = blocks.into_iter().filter(|(l, _)| l == "CMS" || l == "PKCS7");
        let Some((_, der)) = found.next() else {
            return Err("the PEM file holds no CMS or PKCS7 block".into());
        };
        if found.next().is_some() {
            return Err("the PEM file holds several CMS blocks".into());
        }
        der
    } else {
        bytes.to_vec()
    };
    if binary.is_empty() {
        return Err("the signature file is empty".into());
    }
    match crate::cms::ber::to_der(&binary) {
        Ok(d) => Ok(d.into_owned()),
        Err(e) => Err(format!("the signature file is not CMS: {e}")),
    }
}

/// Cross-check with the RustCrypto `cms` types: the SignedData must decode strictly as well.
/// The certificate set is decoded element by element; each distinct certificate is decoded as
/// `CertificateChoices` once per run (the same signer and chain in every file of a batch), its
/// result kept in the certificate cache. Decoding the embedded certificates was ~40% of a
/// cached verification's overhead.
fn cms_crate_check(der_bytes: &[u8], certs: &certcache::CertCache) -> Result<(), String> {
    use ::der::{Decode, Encode};
    let ci = cms::content_info::ContentInfo::from_der(der_bytes).map_err(|e| format!("CMS ContentInfo does not decode: {e}"))?;
    let sd = ci
        .content
        .decode_as::<strict::SignedData<'_>>()
        .map_err(|e| format!("CMS SignedData does not decode: {e}"))?;
    for c in sd.certificates.iter().flat_map(|set| set.iter()) {
        let bytes = c.to_der().map_err(|e| format!("CMS SignedData does not decode: {e}"))?;
        if let Err(e) = &certs.get(&bytes).strict {
            return Err(format!("CMS SignedData does not decode: {e}"));
        }
    }
    Ok(())
}

mod strict {
    //! `cms::signed_data::SignedData` with the certificate set kept as raw elements (each is
    //! then decoded as `CertificateChoices` by `cms_crate_check`, unless already seen).
    use cms::content_info::CmsVersion;
    use cms::revocation::RevocationInfoChoices;
    use cms::signed_data::{DigestAlgorithmIdentifiers, EncapsulatedContentInfo, SignerInfos};
    use der::asn1::{AnyRef, SetOfVec};

    /// RFC 5652 §5.1 SignedData; `certificates` as a DER SET OF any element.
    #[derive(Clone, Debug, der::Sequence)]
    pub(super) struct SignedData<'a> {
        pub version: CmsVersion,
        pub digest_algorithms: DigestAlgorithmIdentifiers,
        pub encap_content_info: EncapsulatedContentInfo,
        #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
        pub certificates: Option<SetOfVec<AnyRef<'a>>>,
        #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
        pub crls: Option<RevocationInfoChoices>,
        pub signer_infos: SignerInfos,
    }
}

/// Reads the document once, computing every digest in `algs`.
fn stream_digests(mut r: impl Read, algs: &[DigestAlgorithm]) -> std::io::Result<HashMap<DigestAlgorithm, Vec<u8>>> {
    let mut ctxs: Vec<(DigestAlgorithm, ring::digest::Context)> =
        algs.iter().map(|a| (*a, ring::digest::Context::new(a.ring()))).collect();
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
    Ok(ctxs.into_iter().map(|(a, c)| (a, c.finish().as_ref().to_vec())).collect())
}

/// Read size for documents (64 KiB: fits the L2 cache with the hash state; see benches/RESULTS.md).
const STREAM_BUFFER: usize = 1 << 16;

fn read_into(r: &mut impl Read, buf: &mut [u8], ctxs: &mut [(DigestAlgorithm, ring::digest::Context)]) -> std::io::Result<()> {
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
