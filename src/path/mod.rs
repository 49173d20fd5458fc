//! RFC 5280 §6.1 certification path building and validation.
//!
//! Inputs: trust anchors, candidate certificates (untrusted), the validation time (an argument:
//! the library never reads the clock), the RFC 5280 policy inputs (user-initial-policy-set,
//! initial-explicit-policy, initial-policy-mapping-inhibit, initial-any-policy-inhibit), the
//! algorithm policy ([`crate::alg::Policy`]) and an EKU rule for the path. Output: a
//! [`ValidPath`] (the certificates, leaf first, and the valid policy set) or a typed
//! [`PathError`] naming the certificate it is about — the most specific failure over every
//! candidate path tried.
//!
//! What is checked, per RFC 5280 §6.1: signatures with the algorithm policy's algorithms and key
//! sizes; validity periods (UTCTime 1950–2049 and GeneralizedTime); name chaining by §7.1 (RFC
//! 4518 string preparation: case folding, NFKC, insignificant spaces, PrintableString ↔
//! UTF8String); basicConstraints cA on every CA certificate (version 1 and 2 certificates are
//! accepted only as trust anchors); pathLenConstraint, not counting self-issued certificates;
//! keyCertSign on every CA certificate with a keyUsage extension; certificate policies with the
//! policy graph of RFC 9618 (the RFC 5280 tree without its exponential blow-up): mappings,
//! requireExplicitPolicy, inhibitPolicyMapping, inhibitAnyPolicy; name constraints on
//! directoryName, rfc822Name (and the emailAddress attribute when there is no
//! subjectAltName), dNSName, uniformResourceIdentifier and iPAddress; unknown critical
//! extensions refused. The trust anchor's own validity period is checked too (kyso's rule: a
//! provincial root past its notAfter is no basis for trust).
//!
//! Not checked here: revocation ([`crate::revocation`] does RFC 5280 §6.3 on a validated
//! path), the leaf's key usage and purpose (the verification flows apply DESIGN §4 rule 3),
//! trust-anchor constraints of RFC 5937 (an anchor is a name and a key), name constraints on
//! otherName, x400Address, ediPartyName and registeredID (a certificate carrying such a name
//! under such a constraint fails closed), DSA.
//!
//! # Why kyso's own engine (and not `certval`)
//! A spike weighed `certval` 0.2.0-rc.1 (RFC 5280/5937 on the same der/x509-cert stack):
//! - it decodes certificates with `x509-cert`/`der` 0.8, whose `DateTime` starts in 1970
//!   (`der/src/datetime.rs` `MIN_YEAR`): a certificate valid from a UTCTime in 1950–1969 (NIST
//!   PKITS 4.2.3, and RFC 5280 §4.1.2.5 allows it) cannot even be read; kyso's certificates are
//!   read with x509-parser, which takes the whole UTCTime range;
//! - kyso needs its own §6.3 layer anyway (certval ignores delta CRLs — fail-open — and refuses
//!   indirect CRLs, onlySomeReasons and rollover keys), and §6.3 needs path building and §6.1
//!   validation for CRL issuers: the two belong together;
//! - its path builder drops candidates silently; kyso must report the most specific failure;
//! - it verifies signatures with RustCrypto's `rsa` release candidate and p256/p384/p521, a
//!   second crypto stack beside ring (kyso's algorithm policy is ring's lists), and adds 54
//!   crates to the verify build (218 → 272), with an MSRV of 1.88 against kyso's 1.85;
//! - its failures come back as one status enum and an index; kyso reports typed facts.
//!
//! What certval got right was the reference for this module's scope: policy graph, name
//! constraints of every type, self-issued certificates in pathLen and policy counters.

mod build;
mod findings;
pub(crate) mod cert;
pub(crate) mod name;
mod policy;
pub(crate) mod sig;
mod validate;

pub use build::build_and_validate;
pub(crate) use findings::path_problem;
pub use cert::{Cert, CertError};
pub use name::{GeneralNameKind, Name};
pub use policy::PolicySet;

use const_oid::ObjectIdentifier;
use std::fmt;

/// Limit on intermediates in a path (self-issued ones included). RFC 5280 sets none; webpki
/// caps sub-CAs at 6 (`MAX_SUB_CA_COUNT`); a national hierarchy (root → ministry or province →
/// issuing CA) has two or three; NIST PKITS's longest path has five. Eight bounds path building
/// on attacker-supplied certificate sets.
pub const MAX_PATH_INTERMEDIATES: usize = 8;

/// Limit on signature verifications while building one path (webpki's budget: 100). Each
/// costs ~70 µs with RSA-2048; 100 bounds an attacker's certificate soup to ~10 ms.
pub const MAX_SIGNATURE_CHECKS: usize = 100;

/// Limit on candidate issuers examined while building (the nodes of the search). webpki's
/// build-chain budget is 200,000 calls; kyso's pools hold at most a few hundred certificates
/// (64 per signature file plus `--chain`), so 10,000 is ample for honest inputs.
pub const MAX_BUILD_STEPS: usize = 10_000;

/// Limit on name-constraint comparisons (names × subtrees) in one path validation: webpki's
/// and Chromium's budget (250,000), which x509-limbo's name-constraint DoS cases exercise.
pub const MAX_NAME_CONSTRAINT_CHECKS: usize = 250_000;

/// Limit on policy OIDs in one certificatePolicies extension and on mappings in one
/// policyMappings extension. Real CAs list a handful; 64 bounds the policy graph (RFC 9618
/// keeps it at most one node per policy and depth).
pub const MAX_POLICIES_PER_CERT: usize = 64;

/// Limit on names in a subjectAltName and on subtrees in one nameConstraints extension.
/// x509-limbo's largest honest case has a few dozen, its denial-of-service cases 2,048; 4,096 bounds parsing, while
/// [`MAX_NAME_CONSTRAINT_CHECKS`] bounds the matching work.
pub const MAX_NAMES_PER_EXTENSION: usize = 4096;

/// A trust anchor: a certificate taken as name + key (version 1 certificates included).
#[derive(Debug, Clone)]
pub struct Anchor {
    cert: Cert,
}

impl Anchor {
    /// An anchor from a DER certificate. Its extensions are not profiled (RFC 5280 §6.1.1 (d)):
    /// only its name, key and validity period are used.
    pub fn from_der(der: &[u8]) -> Result<Anchor, CertError> {
        Ok(Anchor { cert: Cert::from_der(der)? })
    }

    /// The anchor's certificate.
    pub fn cert(&self) -> &Cert {
        &self.cert
    }
}

/// What the path must allow in extendedKeyUsage (checked on every certificate that has the
/// extension; anyExtendedKeyUsage always passes).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum EkuRule {
    /// No EKU rule.
    #[default]
    None,
    /// Each certificate with an EKU extension must list one of these.
    AnyOf(Vec<ObjectIdentifier>),
    /// Each CA certificate with an EKU extension must share one purpose with the leaf's EKU
    /// (when the leaf has one).
    LeafPurposes,
}

/// RFC 5280 §6.1.1 inputs and kyso's policies.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Settings {
    /// The validation time (Unix seconds).
    pub time: i64,
    /// Algorithm policy for certificate signatures and keys.
    pub alg_policy: crate::alg::Policy,
    /// user-initial-policy-set; `None` = {anyPolicy}.
    pub initial_policy_set: Option<Vec<ObjectIdentifier>>,
    /// initial-explicit-policy.
    pub initial_explicit_policy: bool,
    /// initial-policy-mapping-inhibit.
    pub initial_policy_mapping_inhibit: bool,
    /// initial-any-policy-inhibit.
    pub initial_any_policy_inhibit: bool,
    /// EKU rule over the path.
    pub eku: EkuRule,
    /// Maximum number of intermediates not counting self-issued ones (≤ [`MAX_PATH_INTERMEDIATES`]).
    pub max_intermediates: usize,
}

impl Settings {
    /// PKITS's default settings (RFC 5280's defaults) at `time`, strict algorithms.
    pub fn at(time: i64) -> Settings {
        Settings {
            time,
            alg_policy: crate::alg::Policy::Strict,
            initial_policy_set: None,
            initial_explicit_policy: false,
            initial_policy_mapping_inhibit: false,
            initial_any_policy_inhibit: false,
            eku: EkuRule::None,
            max_intermediates: MAX_PATH_INTERMEDIATES,
        }
    }
}

/// A path that validated.
#[derive(Debug, Clone)]
pub struct ValidPath {
    /// The certificates, leaf first, without the anchor.
    pub certs: Vec<Cert>,
    /// The trust anchor it ends at.
    pub anchor: Anchor,
    /// The user-constrained policy set (RFC 5280 §6.1.6): the policies the path is valid for.
    pub policies: PolicySet,
}

/// A certificate of a path: its position (0 = the leaf, counting toward the anchor; the anchor
/// itself is `path length`) and subject.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertRef {
    /// 0 = leaf.
    pub index: usize,
    /// The subject name.
    pub subject: crate::findings::Name,
}

impl fmt::Display for CertRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{} ({})", self.index, self.subject.dn)
    }
}

/// A limited resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Budget {
    /// [`MAX_SIGNATURE_CHECKS`].
    SignatureChecks,
    /// [`MAX_BUILD_STEPS`].
    BuildSteps,
    /// [`MAX_NAME_CONSTRAINT_CHECKS`].
    NameConstraintChecks,
    /// [`MAX_POLICIES_PER_CERT`].
    Policies,
    /// [`MAX_NAMES_PER_EXTENSION`].
    Names,
}

/// Why no path validated. Variants are ranked ([`PathError::rank`]): the builder reports the
/// highest-ranked failure over all candidate paths.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum PathError {
    /// A certificate cannot be read.
    #[error("certificate {cert} cannot be read: {error}")]
    Malformed {
        /// Which.
        cert: CertRef,
        /// Why.
        error: CertError,
    },
    /// No issuer for this certificate among the anchors and candidates.
    #[error("no issuer found for {cert} (issuer {})", issuer.dn)]
    NoIssuer {
        /// Whose issuer is missing.
        cert: CertRef,
        /// The issuer name it asks for.
        issuer: crate::findings::Name,
    },
    /// The signature does not verify with the issuer's key.
    #[error("the signature of {cert} does not verify with its issuer's key")]
    BadSignature {
        /// Which.
        cert: CertRef,
    },
    /// The signature algorithm (or its pairing with the key) is not allowed by the policy.
    #[error("the signature algorithm {algorithm} of {cert} is not allowed")]
    UnsupportedAlgorithm {
        /// Which certificate.
        cert: CertRef,
        /// The signatureAlgorithm OID.
        algorithm: String,
    },
    /// The issuer's key is too weak or not allowed.
    #[error("the key that signed {cert} is not allowed ({key})")]
    WeakKey {
        /// Which certificate's signature.
        cert: CertRef,
        /// Key description (algorithm, size).
        key: String,
    },
    /// Expired at the validation time.
    #[error("{cert} expired at {not_after}")]
    Expired {
        /// Which.
        cert: CertRef,
        /// notAfter.
        not_after: time::OffsetDateTime,
    },
    /// Not yet valid at the validation time.
    #[error("{cert} is valid only from {not_before}")]
    NotYetValid {
        /// Which.
        cert: CertRef,
        /// notBefore.
        not_before: time::OffsetDateTime,
    },
    /// An intermediate is not a CA certificate (no basicConstraints or cA FALSE; or version 1/2).
    #[error("{cert} is not a CA certificate")]
    NotCa {
        /// Which.
        cert: CertRef,
    },
    /// A CA's keyUsage lacks keyCertSign.
    #[error("{cert} lacks keyCertSign")]
    NoKeyCertSign {
        /// Which.
        cert: CertRef,
    },
    /// The path is longer than a pathLenConstraint allows.
    #[error("{cert} exceeds a pathLenConstraint")]
    PathLength {
        /// The certificate that does not fit.
        cert: CertRef,
    },
    /// The path has more intermediates than the caller allows.
    #[error("more than {max} intermediates")]
    TooLong {
        /// The limit.
        max: usize,
    },
    /// An unknown critical extension.
    #[error("{cert} has an unknown critical extension {oid}")]
    UnknownCriticalExtension {
        /// Which.
        cert: CertRef,
        /// The extension.
        oid: ObjectIdentifier,
    },
    /// A name is outside the permitted subtrees or inside excluded ones.
    #[error("{kind:?} name {name} of {cert} violates a name constraint")]
    NameConstraint {
        /// Which certificate.
        cert: CertRef,
        /// The name's type.
        kind: GeneralNameKind,
        /// The name (text).
        name: String,
    },
    /// A name constraint of a type kyso does not implement applies to a name of that type.
    #[error("{cert} has a {kind:?} name under a {kind:?} name constraint (not supported)")]
    NameConstraintUnsupported {
        /// Which.
        cert: CertRef,
        /// The type.
        kind: GeneralNameKind,
    },
    /// policyMappings maps to or from anyPolicy.
    #[error("{cert} maps to or from anyPolicy")]
    AnyPolicyMapping {
        /// Which.
        cert: CertRef,
    },
    /// No valid policy while an explicit policy is required.
    #[error("no acceptable certificate policy at {cert} while an explicit policy is required")]
    NoValidPolicy {
        /// Where the policy graph became empty (or the leaf at wrap-up).
        cert: CertRef,
    },
    /// The extendedKeyUsage does not allow the purpose.
    #[error("the extendedKeyUsage of {cert} does not allow the purpose")]
    Eku {
        /// Which.
        cert: CertRef,
    },
    /// The trust anchor is outside its validity period.
    #[error("the trust anchor {} is valid only from {not_before} to {not_after}", anchor.dn)]
    AnchorValidity {
        /// The anchor's subject.
        anchor: crate::findings::Name,
        /// notBefore.
        not_before: time::OffsetDateTime,
        /// notAfter.
        not_after: time::OffsetDateTime,
    },
    /// A budget ran out.
    #[error("path building stopped: budget {0:?} exhausted")]
    Budget(Budget),
}

impl PathError {
    /// How specific the failure is: higher is reported first. A bad signature or a missing
    /// issuer says least (another path might exist); failures found on a path whose signatures
    /// all verified say most.
    pub fn rank(&self) -> u8 {
        use PathError::*;
        match self {
            NoIssuer { .. } => 0,
            BadSignature { .. } => 1,
            Budget(_) | TooLong { .. } => 2,
            UnsupportedAlgorithm { .. } | WeakKey { .. } => 3,
            Malformed { .. } => 4,
            _ => 5,
        }
    }

    /// The certificate the failure is about, when it is one.
    pub fn cert(&self) -> Option<&CertRef> {
        use PathError::*;
        match self {
            Malformed { cert, .. }
            | NoIssuer { cert, .. }
            | BadSignature { cert }
            | UnsupportedAlgorithm { cert, .. }
            | WeakKey { cert, .. }
            | Expired { cert, .. }
            | NotYetValid { cert, .. }
            | NotCa { cert }
            | NoKeyCertSign { cert }
            | PathLength { cert }
            | UnknownCriticalExtension { cert, .. }
            | NameConstraint { cert, .. }
            | NameConstraintUnsupported { cert, .. }
            | AnyPolicyMapping { cert }
            | NoValidPolicy { cert }
            | Eku { cert } => Some(cert),
            TooLong { .. } | AnchorValidity { .. } | Budget(_) => None,
        }
    }
}

/// Unix seconds to a date-time (saturating at the representable range).
pub(crate) fn datetime(t: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(if t < 0 {
        time::OffsetDateTime::UNIX_EPOCH
    } else {
        time::macros::datetime!(9999-12-31 23:59:59 UTC)
    })
}
