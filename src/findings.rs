//! Typed findings: every check result, warning and failure reason of a verification as a value
//! with its facts as fields — times as [`OffsetDateTime`], names as [`Name`] (the DN text and its
//! parts), serial numbers and digests as bytes, algorithms and reasons as enums.
//!
//! This module is the vocabulary only: the layers that check (the CMS signer check, path
//! validation, revocation, PDF analysis) produce these values, and [`crate::report`] renders them
//! for a reader in English or Vietnamese (one `match` per language) and for the JSON (English,
//! with RFC 3339 times and full distinguished names, plus the stable [`Finding::code`]). Nothing
//! is ever parsed back from a rendered text.
//!
//! Free text from other software (an operating-system error, a PDF parser's message) is kept only
//! as a technical detail for the English rendering; the Vietnamese rendering says what kind of
//! problem it is from the typed part ([`IoProblem::kind`], [`PdfProblem`]).

use crate::alg::DigestAlgorithm;
pub use crate::alg::{KeyDescription, KeyProblem, SignatureScheme};
use const_oid::ObjectIdentifier;
use time::OffsetDateTime;

/// The attributes of a distinguished name that a reader looks for, read from the certificate
/// (not from the DN text, whose values are not escaped).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct NameParts {
    /// commonName (CN): a person's full name, or the unit's name.
    pub common_name: Option<String>,
    /// title: a competent person's position (e.g. "Giám đốc").
    pub title: Option<String>,
    /// organizationName (O): the unit.
    pub organization: Option<String>,
    /// organizationalUnitName (OU).
    pub organizational_unit: Option<String>,
    /// UID (0.9.2342.19200300.100.1.1): identifiers such as `MST:…`, `MNS:…`, `CCCD:…`.
    pub uid: Option<String>,
}

impl NameParts {
    /// The parts of an X.509 name (the first value of each attribute; values that are not
    /// strings are left out).
    pub(crate) fn from_x509(name: &x509_parser::x509::X509Name<'_>) -> NameParts {
        use x509_parser::oid_registry as oids;
        let first = |oid: &x509_parser::der_parser::oid::Oid<'_>| {
            name.iter_by_oid(oid).next().and_then(|a| a.as_str().ok()).map(str::to_string)
        };
        NameParts {
            common_name: first(&oids::OID_X509_COMMON_NAME),
            title: first(&oids::OID_X509_TITLE),
            organization: first(&oids::OID_X509_ORGANIZATION_NAME),
            organizational_unit: first(&oids::OID_X509_ORGANIZATIONAL_UNIT),
            uid: first(&oids::OID_USERID),
        }
    }
}

/// A certificate's (or CRL issuer's) name: the distinguished name as text (RFC 4514-like, as
/// x509-parser writes it; for the JSON and verbose output) and the parts a reader looks for.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub struct Name {
    /// The whole distinguished name as text.
    pub dn: String,
    /// Its parts.
    pub parts: NameParts,
}

impl Name {
    /// The name of an x509-parser `X509Name`.
    pub(crate) fn from_x509(name: &x509_parser::x509::X509Name<'_>) -> Name {
        Name { dn: name.to_string(), parts: NameParts::from_x509(name) }
    }

    /// The name of a DER Name (full TLV); an unreadable one is named as such.
    pub(crate) fn from_der(raw: &[u8]) -> Name {
        use x509_parser::prelude::FromDer;
        match x509_parser::x509::X509Name::from_der(raw) {
            Ok((_, n)) => Name::from_x509(&n),
            Err(_) => Name { dn: "(unreadable name)".into(), parts: NameParts::default() },
        }
    }

    /// The subject of a DER certificate.
    pub(crate) fn subject_of(cert_der: &[u8]) -> Name {
        use x509_parser::prelude::FromDer;
        match x509_parser::certificate::X509Certificate::from_der(cert_der) {
            Ok((_, c)) => Name::from_x509(c.subject()),
            Err(_) => Name { dn: "(unreadable certificate)".into(), parts: NameParts::default() },
        }
    }

    /// The short form a reader recognises: the CN, else the O, else the OU, else the DN text.
    pub fn short(&self) -> &str {
        let p = &self.parts;
        p.common_name
            .as_deref()
            .or(p.organization.as_deref())
            .or(p.organizational_unit.as_deref())
            .unwrap_or(&self.dn)
    }
}

/// A key usage bit (RFC 5280 §4.2.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum KeyUsageBit {
    /// digitalSignature (0)
    DigitalSignature,
    /// nonRepudiation / contentCommitment (1)
    NonRepudiation,
    /// keyEncipherment (2)
    KeyEncipherment,
    /// dataEncipherment (3)
    DataEncipherment,
    /// keyAgreement (4)
    KeyAgreement,
    /// keyCertSign (5)
    KeyCertSign,
    /// cRLSign (6)
    CrlSign,
    /// encipherOnly (7)
    EncipherOnly,
    /// decipherOnly (8)
    DecipherOnly,
}

impl KeyUsageBit {
    /// Every bit, in bit order.
    pub const ALL: [KeyUsageBit; 9] = [
        KeyUsageBit::DigitalSignature,
        KeyUsageBit::NonRepudiation,
        KeyUsageBit::KeyEncipherment,
        KeyUsageBit::DataEncipherment,
        KeyUsageBit::KeyAgreement,
        KeyUsageBit::KeyCertSign,
        KeyUsageBit::CrlSign,
        KeyUsageBit::EncipherOnly,
        KeyUsageBit::DecipherOnly,
    ];

    /// The ASN.1 name (RFC 5280), e.g. `digitalSignature`.
    pub fn asn1_name(self) -> &'static str {
        match self {
            KeyUsageBit::DigitalSignature => "digitalSignature",
            KeyUsageBit::NonRepudiation => "nonRepudiation",
            KeyUsageBit::KeyEncipherment => "keyEncipherment",
            KeyUsageBit::DataEncipherment => "dataEncipherment",
            KeyUsageBit::KeyAgreement => "keyAgreement",
            KeyUsageBit::KeyCertSign => "keyCertSign",
            KeyUsageBit::CrlSign => "cRLSign",
            KeyUsageBit::EncipherOnly => "encipherOnly",
            KeyUsageBit::DecipherOnly => "decipherOnly",
        }
    }

    /// Whether x509-parser's key usage value has this bit.
    pub(crate) fn is_set(self, ku: &x509_parser::extensions::KeyUsage) -> bool {
        match self {
            KeyUsageBit::DigitalSignature => ku.digital_signature(),
            KeyUsageBit::NonRepudiation => ku.non_repudiation(),
            KeyUsageBit::KeyEncipherment => ku.key_encipherment(),
            KeyUsageBit::DataEncipherment => ku.data_encipherment(),
            KeyUsageBit::KeyAgreement => ku.key_agreement(),
            KeyUsageBit::KeyCertSign => ku.key_cert_sign(),
            KeyUsageBit::CrlSign => ku.crl_sign(),
            KeyUsageBit::EncipherOnly => ku.encipher_only(),
            KeyUsageBit::DecipherOnly => ku.decipher_only(),
        }
    }

    /// The bits set in x509-parser's key usage value.
    pub(crate) fn set_in(ku: &x509_parser::extensions::KeyUsage) -> Vec<KeyUsageBit> {
        KeyUsageBit::ALL.into_iter().filter(|b| b.is_set(ku)).collect()
    }
}

/// A CRLReason (RFC 5280 §5.3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CrlReason {
    /// unspecified (0)
    Unspecified,
    /// keyCompromise (1)
    KeyCompromise,
    /// cACompromise (2)
    CaCompromise,
    /// affiliationChanged (3)
    AffiliationChanged,
    /// superseded (4)
    Superseded,
    /// cessationOfOperation (5)
    CessationOfOperation,
    /// certificateHold (6)
    CertificateHold,
    /// removeFromCRL (8)
    RemoveFromCrl,
    /// privilegeWithdrawn (9)
    PrivilegeWithdrawn,
    /// aACompromise (10)
    AaCompromise,
    /// A code RFC 5280 does not define.
    Other(u8),
}

impl CrlReason {
    /// The reason of a CRLReason code.
    pub fn from_code(code: u8) -> CrlReason {
        match code {
            0 => CrlReason::Unspecified,
            1 => CrlReason::KeyCompromise,
            2 => CrlReason::CaCompromise,
            3 => CrlReason::AffiliationChanged,
            4 => CrlReason::Superseded,
            5 => CrlReason::CessationOfOperation,
            6 => CrlReason::CertificateHold,
            8 => CrlReason::RemoveFromCrl,
            9 => CrlReason::PrivilegeWithdrawn,
            10 => CrlReason::AaCompromise,
            c => CrlReason::Other(c),
        }
    }

    /// The code.
    pub fn code(self) -> u8 {
        match self {
            CrlReason::Unspecified => 0,
            CrlReason::KeyCompromise => 1,
            CrlReason::CaCompromise => 2,
            CrlReason::AffiliationChanged => 3,
            CrlReason::Superseded => 4,
            CrlReason::CessationOfOperation => 5,
            CrlReason::CertificateHold => 6,
            CrlReason::RemoveFromCrl => 8,
            CrlReason::PrivilegeWithdrawn => 9,
            CrlReason::AaCompromise => 10,
            CrlReason::Other(c) => c,
        }
    }

    /// The ASN.1 name (RFC 5280), e.g. `keyCompromise`; `None` for an undefined code.
    pub fn asn1_name(self) -> Option<&'static str> {
        Some(match self {
            CrlReason::Unspecified => "unspecified",
            CrlReason::KeyCompromise => "keyCompromise",
            CrlReason::CaCompromise => "cACompromise",
            CrlReason::AffiliationChanged => "affiliationChanged",
            CrlReason::Superseded => "superseded",
            CrlReason::CessationOfOperation => "cessationOfOperation",
            CrlReason::CertificateHold => "certificateHold",
            CrlReason::RemoveFromCrl => "removeFromCRL",
            CrlReason::PrivilegeWithdrawn => "privilegeWithdrawn",
            CrlReason::AaCompromise => "aACompromise",
            CrlReason::Other(_) => return None,
        })
    }
}

/// Where a structural problem was found (ASN.1 element names of RFC 5652, 5280, 3161).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Element {
    /// The signature file as a whole (PEM armour, BER/DER encoding).
    SignatureFile,
    /// ContentInfo.
    ContentInfo,
    /// SignedData.
    SignedData,
    /// SignedData.digestAlgorithms.
    DigestAlgorithms,
    /// encapContentInfo.
    EncapContentInfo,
    /// eContent.
    EContent,
    /// SignedData.certificates.
    Certificates,
    /// SignedData.crls.
    Crls,
    /// signerInfos.
    SignerInfos,
    /// A SignerInfo.
    SignerInfo,
    /// SignerInfo.sid.
    Sid,
    /// SignerInfo.digestAlgorithm.
    DigestAlgorithm,
    /// signedAttrs.
    SignedAttributes,
    /// unsignedAttrs.
    UnsignedAttributes,
    /// SignerInfo.signatureAlgorithm.
    SignatureAlgorithm,
    /// SignerInfo.signature.
    Signature,
    /// An RFC 3161 TimeStampToken.
    TimestampToken,
    /// TSTInfo.
    TstInfo,
    /// A CRL (CertificateList).
    Crl,
    /// A certificate.
    Certificate,
}

/// What is wrong with an element's encoding or structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FormatKind {
    /// The input ends inside an element.
    Truncated,
    /// A tag number above 30 where the structure has none.
    HighTagNumber,
    /// An indefinite length where DER is required.
    IndefiniteLength,
    /// A length not in its shortest form.
    NonMinimalLength,
    /// A length longer than kyso reads (4 bytes).
    LengthTooLong,
    /// A length that overflows.
    LengthOverflow,
    /// Bytes after the element.
    TrailingData,
    /// An element of another type than the structure requires.
    UnexpectedTag,
    /// More elements than the verifier's budget.
    TooMany {
        /// The budget.
        limit: usize,
    },
    /// Nested deeper than the verifier's budget.
    TooDeep,
    /// A mandatory element is missing.
    Missing,
    /// A version number the standard does not define (or that contradicts the structure).
    UnknownVersion,
    /// The content type is not the one the structure needs (e.g. not SignedData).
    WrongContentType,
    /// A value that does not decode (a bad OID, time, BIT STRING or INTEGER).
    InvalidValue,
    /// Not the expected structure at all (e.g. not CMS, not PEM with a CMS block).
    NotRecognised,
    /// Larger than the verifier's size budget.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// The input is empty.
    Empty,
    /// A PEM file with several CMS blocks.
    SeveralPemBlocks,
}

/// A structural problem: which element, and what is wrong with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FormatProblem {
    /// The element.
    pub element: Element,
    /// The problem.
    pub kind: FormatKind,
}

impl FormatProblem {
    /// A problem in `element`.
    pub fn new(element: Element, kind: FormatKind) -> FormatProblem {
        FormatProblem { element, kind }
    }
}

/// An input/output problem: its kind (rendered per language) and the system's message (shown in
/// the English renderings only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IoProblem {
    /// The kind of problem.
    pub kind: std::io::ErrorKind,
    /// The operating system's message.
    pub message: String,
}

impl From<&std::io::Error> for IoProblem {
    fn from(e: &std::io::Error) -> IoProblem {
        IoProblem { kind: e.kind(), message: e.to_string() }
    }
}

/// Why a PDF cannot be read for verification.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PdfProblem {
    /// The PDF parser refused the file (its message, English).
    Parse {
        /// The parser's message.
        message: String,
    },
    /// The PDF parser failed on malformed input.
    ParserFailed,
    /// The PDF is encrypted.
    Encrypted,
    /// The cross-reference data is damaged.
    DamagedXref,
    /// A structure every PDF must have is missing or wrong (its description, English).
    Structure {
        /// What is wrong.
        message: String,
    },
}

/// Which form of the signed attributes a signature covers (RFC 5652 §5.4 signs their DER form;
/// some signers sign them in the order they send them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SignedAttributesForm {
    /// The bytes as received (not DER: the SET OF is unsorted).
    AsReceived,
    /// Their DER form (sorted), not the order they were sent in.
    DerSorted,
}

/// How an encrypted PDF was read for verification (ISO 32000-1 §7.6; issue 15: kyso never
/// decrypts a file to verify it, and never asks the user to).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PdfEncryption {
    /// Not encrypted.
    None,
    /// Encrypted with the standard handler and an empty user password (what every reader opens
    /// without asking): the structure was read decrypted in memory; the signatures are verified
    /// over the file's bytes as signed.
    EmptyUserPassword,
    /// Encrypted for particular recipients (public key) or with a user password: the structure
    /// (dictionaries, names, numbers) was read without decrypting; strings and streams stay
    /// encrypted, so field names, /M and the content cannot be shown. A signature dictionary's
    /// /Contents is never encrypted (ISO 32000-1 §7.6.2) and /ByteRange is numbers: the
    /// signatures are verified all the same.
    Opaque,
}

/// Which version of the ESS signing-certificate attribute (RFC 2634 / RFC 5035).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EssVersion {
    /// signing-certificate (SHA-1 ESSCertID).
    V1,
    /// signing-certificate-v2 (ESSCertIDv2).
    V2,
}

/// What is wrong with an ESS signing-certificate(-v2) attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EssProblem {
    /// It does not decode.
    Malformed,
    /// It lists no certificate.
    Empty,
    /// Its hash algorithm is unknown (or SHA-1 in a v2 attribute, which exists to avoid it).
    UnknownHash,
    /// Its hash is not the signer certificate's (certificate substitution?).
    HashMismatch {
        /// The hash algorithm.
        algorithm: DigestAlgorithm,
    },
    /// Its issuerSerial names another issuer or serial number.
    IssuerSerialMismatch,
    /// A timestamp token has neither version (RFC 3161 §2.4.1, RFC 5816).
    Missing,
}

/// A certificate of a path, as a path failure names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertInPath {
    /// Its position: 0 is the end entity, counting towards the trust anchor.
    pub position: usize,
    /// Its subject.
    pub subject: Name,
}

/// The type of a name under a name constraint (RFC 5280 §4.2.1.10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameKind {
    /// directoryName.
    Directory,
    /// rfc822Name (and the emailAddress attribute of a subject without subjectAltName).
    Email,
    /// dNSName.
    Dns,
    /// uniformResourceIdentifier.
    Uri,
    /// iPAddress.
    IpAddress,
    /// otherName, x400Address, ediPartyName or registeredID.
    Other,
}

/// A limited resource of path validation (a budget on attacker-driven work).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PathBudget {
    /// Signature verifications while building a path.
    SignatureChecks,
    /// Candidate issuers examined.
    BuildSteps,
    /// Name-constraint comparisons.
    NameConstraintChecks,
    /// Policies in one extension.
    Policies,
    /// Names in one extension.
    Names,
}

/// Why a path to a trust anchor could not be validated (RFC 5280 §6.1), the most specific
/// failure over every candidate path.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PathProblem {
    /// A certificate of the path cannot be read.
    Malformed {
        /// Which.
        cert: CertInPath,
    },
    /// No issuer for a certificate among the trust anchors and the certificates at hand.
    NoIssuer {
        /// Whose issuer is missing.
        cert: CertInPath,
        /// The issuer it names.
        issuer: Name,
    },
    /// A certificate's signature does not verify with its issuer's key.
    BadSignature {
        /// Which.
        cert: CertInPath,
    },
    /// A certificate's signature algorithm is not allowed by the policy.
    AlgorithmNotAllowed {
        /// Which.
        cert: CertInPath,
        /// The algorithm's OID (dotted).
        algorithm: String,
    },
    /// The key that signed a certificate is too weak or not allowed.
    WeakKey {
        /// Which certificate's signature.
        cert: CertInPath,
        /// The key (algorithm and size, as the path validator writes it).
        key: String,
    },
    /// A certificate of the path had expired.
    Expired {
        /// Which.
        cert: CertInPath,
        /// Its notAfter.
        not_after: OffsetDateTime,
        /// The validation time.
        time: OffsetDateTime,
    },
    /// A certificate of the path was not yet valid.
    NotYetValid {
        /// Which.
        cert: CertInPath,
        /// Its notBefore.
        not_before: OffsetDateTime,
        /// The validation time.
        time: OffsetDateTime,
    },
    /// An intermediate is not a CA certificate.
    NotCa {
        /// Which.
        cert: CertInPath,
    },
    /// A CA certificate's keyUsage lacks keyCertSign.
    NoKeyCertSign {
        /// Which.
        cert: CertInPath,
    },
    /// A pathLenConstraint is exceeded.
    PathLengthExceeded {
        /// The certificate that does not fit.
        cert: CertInPath,
    },
    /// More intermediates than allowed.
    TooLong {
        /// The limit.
        max: usize,
    },
    /// A critical extension kyso does not process.
    UnknownCriticalExtension {
        /// Which certificate.
        cert: CertInPath,
        /// The extension's OID.
        oid: ObjectIdentifier,
    },
    /// A name is outside a CA's permitted subtrees or inside its excluded ones.
    NameConstraintViolated {
        /// Which certificate.
        cert: CertInPath,
        /// The name's type.
        kind: NameKind,
        /// The name.
        name: String,
    },
    /// A name constraint of a type kyso does not implement applies (fails closed).
    NameConstraintUnsupported {
        /// Which certificate.
        cert: CertInPath,
        /// The type.
        kind: NameKind,
    },
    /// A policy mapping to or from anyPolicy.
    AnyPolicyMapping {
        /// Which certificate.
        cert: CertInPath,
    },
    /// No acceptable certificate policy while an explicit policy is required.
    NoValidPolicy {
        /// Where the policy set became empty.
        cert: CertInPath,
    },
    /// An extended key usage in the path does not allow the purpose.
    EkuNotAllowed {
        /// Which certificate.
        cert: CertInPath,
    },
    /// The trust anchor is outside its validity period.
    AnchorOutsideValidity {
        /// The anchor.
        anchor: Name,
        /// Its notBefore.
        not_before: OffsetDateTime,
        /// Its notAfter.
        not_after: OffsetDateTime,
    },
    /// A budget on path-building work ran out.
    Budget(PathBudget),
}

/// Why a candidate signer of a CRL was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrlSignerProblem {
    /// The CRL's signature does not verify with its key.
    BadSignature,
    /// The signature algorithm or key is not allowed by the policy.
    Algorithm,
    /// Its keyUsage lacks cRLSign.
    NoCrlSign,
    /// Its own path does not validate.
    Path(Box<PathProblem>),
    /// It is revoked, or its own status is unknown.
    NotGood,
}

/// Why the revocation status of a certificate could not be established from a CRL (RFC 5280
/// §6.3; what kyso does not understand fails closed), or why a CRL was ignored.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum CrlProblem {
    /// The CRL cannot be read.
    Malformed(FormatProblem),
    /// More entries than the verifier's budget.
    TooManyEntries {
        /// The budget.
        limit: usize,
    },
    /// No CRL of the certificate's issuer (or of its distribution points' CRL issuers).
    NoCrl,
    /// CRLs were given but they do not cover every revocation reason.
    ReasonsNotCovered {
        /// The reasons not covered.
        missing: Vec<CrlReason>,
    },
    /// The CRL was past its nextUpdate at the validation time.
    Stale {
        /// The CRL's issuer.
        issuer: Name,
        /// Its nextUpdate.
        next_update: OffsetDateTime,
    },
    /// A critical CRL or entry extension kyso does not understand (or the CRL number marked
    /// critical).
    UnknownCriticalExtension {
        /// The CRL's issuer.
        issuer: Name,
        /// The extension's OID (dotted).
        oid: String,
    },
    /// The CRL covers attribute certificates only.
    AttributeCertificates,
    /// The CRL has no CRL number (RFC 5280 §5.2.3).
    NoCrlNumber {
        /// The CRL's issuer.
        issuer: Name,
    },
    /// No certificate of the CRL's issuer with a valid path and cRLSign verifies it.
    NoValidSigner {
        /// The CRL's issuer.
        issuer: Name,
        /// The most specific reason about the candidates, when there were any.
        why: Option<CrlSignerProblem>,
    },
    /// A delta CRL applies but cannot be used.
    DeltaUnusable {
        /// The CRL's issuer.
        issuer: Name,
    },
    /// The CRL-checking budget ran out.
    Budget,
}

/// A certificate whose revocation status could not be established, and why: what kyso looked
/// at (the CRLs and OCSP responses given, embedded or fetched), each fetch, and where the
/// certificate says its status is published (what a recipient can give or fetch).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct UnknownStatus {
    /// The certificate's subject.
    pub subject: Name,
    /// Why each CRL of its issuer could not be used (empty: there was none).
    pub problems: Vec<CrlProblem>,
    /// Why each OCSP response about it could not be used.
    pub ocsp: Vec<OcspProblem>,
    /// Every fetch made for it (CRL distribution points, OCSP responder).
    pub fetches: Vec<Fetch>,
    /// Its issuer (whose CRL settles its status).
    pub issuer: Option<Name>,
    /// The CRL distribution points it names (http URLs).
    pub crl_urls: Vec<String>,
    /// The OCSP responders it names (authorityInfoAccess, http URLs).
    pub ocsp_urls: Vec<String>,
}

impl UnknownStatus {
    /// A certificate whose CRLs could not be used for `problems`.
    pub fn new(subject: Name, problems: Vec<CrlProblem>) -> UnknownStatus {
        UnknownStatus { subject, problems, ..Default::default() }
    }
}

/// An error status of an OCSP responder (RFC 6960 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OcspErrorStatus {
    /// malformedRequest.
    MalformedRequest,
    /// internalError.
    InternalError,
    /// tryLater.
    TryLater,
    /// sigRequired.
    SigRequired,
    /// unauthorized.
    Unauthorized,
    /// A value RFC 6960 does not define.
    Other(u8),
}

/// Why an OCSP response did not settle a certificate's status (RFC 6960 §3.2; fails closed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum OcspProblem {
    /// The response cannot be read.
    Malformed,
    /// The responder answered with an error status.
    ErrorStatus(OcspErrorStatus),
    /// No answer of the response is about this certificate (CertID of another certificate or
    /// issuer).
    NotAboutCertificate,
    /// The responder does not know the certificate (status `unknown`).
    UnknownToResponder {
        /// The responder.
        responder: Name,
    },
    /// The response's signature does not verify.
    BadSignature {
        /// The responder.
        responder: Name,
    },
    /// The response's signature algorithm or key is not allowed by the policy.
    AlgorithmNotAllowed {
        /// The responder.
        responder: Name,
    },
    /// Neither the certificate's issuer nor a responder it delegated (a certificate it issued
    /// with id-kp-OCSPSigning) signed the response (RFC 6960 §4.2.2.2).
    ResponderNotAuthorised,
    /// The delegated responder's certificate was not valid when it signed (producedAt).
    ResponderNotValid {
        /// The responder.
        responder: Name,
        /// producedAt.
        produced_at: OffsetDateTime,
    },
    /// The delegated responder's certificate has no id-pkix-ocsp-nocheck and its own status
    /// could not be established.
    ResponderUnchecked {
        /// The responder.
        responder: Name,
    },
    /// The answer was past its nextUpdate (or, without one, a day after its thisUpdate) at the
    /// validation time.
    Stale {
        /// The responder.
        responder: Name,
        /// nextUpdate (or thisUpdate + 1 day).
        next_update: OffsetDateTime,
    },
    /// The response's nonce is not the request's (a replayed answer?).
    NonceMismatch,
    /// A critical extension kyso does not understand.
    UnknownCriticalExtension {
        /// The extension's OID (dotted).
        oid: String,
    },
    /// The OCSP-checking budget ran out.
    Budget,
}

/// What was fetched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum FetchKind {
    /// A CRL, from a CRL distribution point.
    Crl,
    /// An OCSP response, from the authorityInfoAccess OCSP responder.
    Ocsp,
}

/// Why a fetch gave nothing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchFailure {
    /// Not attempted: the verifier works offline.
    Offline,
    /// Not attempted: only plain http URLs are fetched (CRLs and OCSP responses are signed).
    NotHttp,
    /// The connection could not be made (the system's message, English).
    Connect {
        /// The system's message.
        message: String,
    },
    /// No complete answer in time.
    Timeout {
        /// The time allowed, in seconds.
        seconds: u64,
    },
    /// The server answered with an HTTP error status (or a redirect, which is not followed).
    HttpStatus {
        /// The status code.
        code: u16,
    },
    /// The answer is larger than the budget.
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The answer is not HTTP, or broken (a technical message, English).
    Protocol {
        /// What is wrong.
        message: String,
    },
    /// Not attempted: the run's fetch budget is spent.
    Budget,
}

/// The outcome of one fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FetchOutcome {
    /// Bytes received (or taken from the cache, still within their nextUpdate).
    Received {
        /// How many.
        bytes: usize,
        /// From the local cache rather than the network.
        cached: bool,
    },
    /// Nothing received.
    Failed(FetchFailure),
}

/// One fetch of revocation data, as the report names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetch {
    /// The URL.
    pub url: String,
    /// What was asked for.
    pub kind: FetchKind,
    /// What came of it.
    pub outcome: FetchOutcome,
}

/// Where a certificate's revocation status came from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StatusSource {
    /// A CRL of this issuer (given, embedded or fetched).
    Crl {
        /// The CRL's issuer.
        issuer: Name,
    },
    /// An OCSP response.
    Ocsp {
        /// The responder that signed it.
        responder: Name,
        /// Its producedAt.
        produced_at: OffsetDateTime,
    },
}

/// How a proof of existence bears on a revocation after it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PoeJudgement {
    /// The proven existence time.
    pub time: OffsetDateTime,
    /// Whether the revocation reason allows the proof to excuse the revocation.
    pub accepted: bool,
}

/// Where validation data came from, when not from the signature itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EvidenceSource {
    /// The SignedData's own `crls`/`certificates`.
    Signature,
    /// The PDF's document security store.
    Dss,
}

/// The revocation status of a TSA certificate at its token's time.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TsaRevocation {
    /// Revocation checking is off.
    NotChecked,
    /// Not revoked.
    Good,
    /// Unknown (no usable CRL).
    Unknown,
    /// Revoked after the token's time for a reason that says nothing against earlier tokens.
    RevokedLater {
        /// The revocation date.
        date: OffsetDateTime,
        /// The reason, when given.
        reason: Option<CrlReason>,
    },
}

/// Why a timestamp token is not used as a proof of existence.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimestampRejection {
    /// The token itself failed (the finding of the check that failed).
    Token(Box<Finding>),
    /// The TSA certificate was revoked at or before the token's time.
    TsaRevokedBefore {
        /// The revocation date.
        date: OffsetDateTime,
        /// The reason.
        reason: Option<CrlReason>,
    },
    /// The TSA certificate was revoked later, but for a compromise-type reason: its key may have
    /// made backdated tokens.
    TsaRevokedCompromise {
        /// The revocation date.
        date: OffsetDateTime,
        /// The reason.
        reason: Option<CrlReason>,
    },
}

/// Which part of a timestamp's message imprint differs from the data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ImprintPart {
    /// The hash algorithm.
    Algorithm,
    /// Parameters on the hash algorithm.
    Parameters,
    /// The hash value.
    Hash,
}

/// Why a certificate is not fit for timestamping (RFC 3161 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum TsaCertificateProblem {
    /// The extended key usage cannot be read.
    UnreadableEku,
    /// No extended key usage.
    NoEku,
    /// The extended key usage is not critical.
    EkuNotCritical,
    /// The extended key usage lacks id-kp-timeStamping.
    NoTimeStamping,
    /// The extended key usage has other purposes too.
    OtherPurposes,
    /// The key usage allows neither digitalSignature nor nonRepudiation.
    KeyUsage,
    /// It is a CA certificate.
    IsCa,
}

/// An object of a PDF (number, generation, its /Type when it has one, and what it is in the
/// document).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PdfObject {
    /// Object number.
    pub number: u32,
    /// Generation.
    pub generation: u16,
    /// Its /Type (a PDF name, e.g. `Page`), if any.
    pub kind: Option<String>,
    /// Its role in the revision before the change.
    pub role: ObjectRole,
}

/// What an object is in a document: the role it plays in the revision a change is judged
/// against (the signed revision and the allowed updates after it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectRole {
    /// None of the roles below (an object the document does not reach, or one the analysis does
    /// not name).
    Other,
    /// The document catalog (trailer /Root).
    Catalog,
    /// A node of the page tree.
    PageTree,
    /// A page (1-based).
    Page {
        /// The page number.
        page: usize,
    },
    /// A page's content stream, or its array of content streams.
    PageContent {
        /// The page number.
        page: usize,
    },
    /// An object a page uses (resources, fonts, images, …), reached from that page.
    PageResource {
        /// The page number.
        page: usize,
    },
    /// A page's array of annotations.
    AnnotationList {
        /// The page number.
        page: usize,
    },
    /// An annotation that is not a form widget.
    Annotation {
        /// The page number (0 when it is on no page).
        page: usize,
        /// Its /Subtype (a PDF name, e.g. `FreeText`), if any.
        subtype: Option<String>,
    },
    /// The interactive form dictionary (/AcroForm).
    AcroForm,
    /// The form's list of fields, or a field's list of kids.
    FieldList,
    /// A form field that is not a signature field.
    FormField {
        /// Its fully qualified name.
        name: String,
    },
    /// A signature field.
    SignatureField {
        /// Its fully qualified name.
        name: String,
        /// Whether it holds a signature.
        signed: bool,
    },
    /// A widget annotation of a field (or its appearance dictionary).
    Widget {
        /// The field's fully qualified name.
        field: String,
    },
    /// An appearance stream of a field's widget (or something it uses).
    Appearance {
        /// The field's fully qualified name.
        field: String,
    },
    /// A signature dictionary (a signature field's value).
    SignatureValue {
        /// The field's fully qualified name.
        field: String,
    },
    /// The document security store (/DSS) or part of it.
    Dss,
    /// The document's XMP metadata stream.
    Metadata,
    /// The document information dictionary (trailer /Info).
    Info,
}

/// How an object changed after a signature.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectChange {
    /// These dictionary keys (PDF names without the slash) changed.
    Keys(Vec<String>),
    /// The stream's content changed.
    StreamContent,
    /// /Annots changed otherwise than by new widgets.
    Annots,
    /// /Fields changed otherwise than by new fields.
    Fields,
    /// An array object changed otherwise than by appending.
    Array,
    /// The object was replaced by one of another kind.
    Replaced,
    /// The new version cannot be read.
    Unreadable,
    /// The new metadata is not an XMP packet.
    NotXmp,
    /// The new version does not have the structure its role needs (e.g. a /DSS entry that is
    /// not an array of streams).
    Structure,
}

/// One change found in a PDF after a signature's revision, that no rule allows.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PdfChange {
    /// Bytes after the last revision that are not an incremental update.
    TrailingBytes {
        /// How many.
        bytes: usize,
    },
    /// The AcroForm changed in these keys.
    AcroFormChanged {
        /// The keys (PDF names without the slash).
        keys: Vec<String>,
    },
    /// The AcroForm was removed.
    AcroFormRemoved,
    /// An object was added that no allowed update explains.
    ObjectAdded(PdfObject),
    /// An object changed.
    ObjectChanged {
        /// The object.
        object: PdfObject,
        /// How.
        change: ObjectChange,
    },
    /// An object was deleted.
    ObjectDeleted(PdfObject),
    /// The trailer changed in these keys (e.g. `Root`: the document now starts from another
    /// catalog).
    TrailerChanged {
        /// The keys (PDF names without the slash).
        keys: Vec<String>,
    },
    /// An annotation was taken off a page.
    AnnotationRemoved {
        /// The page number.
        page: usize,
        /// The annotation.
        object: PdfObject,
    },
    /// A form field that is not a signature field was added.
    FieldAdded {
        /// Its fully qualified name.
        name: String,
        /// Its field type (/FT, a PDF name), if any.
        field_type: Option<String>,
    },
    /// A form field was removed.
    FieldRemoved {
        /// Its fully qualified name.
        name: String,
    },
    /// A new signature field uses an object that already existed as its value, widget or
    /// part of its structure (a signature dictionary, an annotation, … reused).
    ObjectReused {
        /// The new field's fully qualified name.
        field: String,
        /// The object.
        object: PdfObject,
    },
    /// One signature dictionary is the value of several signature fields.
    SignatureShared {
        /// The fields' fully qualified names.
        fields: Vec<String>,
    },
    /// An object that an earlier revision referred to without defining it was defined.
    DanglingReferenceFilled(PdfObject),
}

/// An update after a signature that the rules allow (what a later revision did, as a reader
/// would describe it).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PdfUpdate {
    /// A signature (or a document timestamp) was added.
    SignatureAdded {
        /// The field's fully qualified name.
        field: String,
        /// It is a document timestamp (/Type /DocTimeStamp).
        timestamp: bool,
        /// Its widget has an area on a page.
        visible: bool,
    },
    /// An empty signature field was added.
    SignatureFieldAdded {
        /// The field's fully qualified name.
        field: String,
        /// Its widget has an area on a page.
        visible: bool,
    },
    /// A form field that is not a signature field was filled in (its value or its own
    /// appearance changed).
    FormFilled {
        /// The field's fully qualified name.
        field: String,
    },
    /// The form's default resources (/DR) changed.
    FormResources,
    /// The document security store (/DSS: certificates, CRLs, OCSP responses) was updated.
    Dss,
    /// The XMP metadata was updated.
    Metadata,
    /// The document information dictionary (/Info) was updated.
    Info,
    /// Objects nothing refers to were added.
    UnusedObjects {
        /// How many.
        count: usize,
    },
}

impl PdfUpdate {
    /// The modification level the update needs: `true` for form filling and signing (DocMDP
    /// P ≥ 2), `false` for what P = 1 allows (document timestamps, /DSS, metadata).
    pub fn needs_form_filling(&self) -> bool {
        match self {
            PdfUpdate::SignatureAdded { timestamp, visible, .. } => !timestamp || *visible,
            PdfUpdate::SignatureFieldAdded { visible, .. } => *visible,
            PdfUpdate::FormFilled { .. } | PdfUpdate::FormResources => true,
            PdfUpdate::Dss | PdfUpdate::Metadata | PdfUpdate::Info | PdfUpdate::UnusedObjects { .. } => false,
        }
    }
}

/// One revision after a signature: what it updated (allowed) and what it changed (not allowed).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct PdfRevision {
    /// The revision (1-based).
    pub revision: usize,
    /// Allowed updates.
    pub updates: Vec<PdfUpdate>,
    /// Changes no rule allows.
    pub changes: Vec<PdfChange>,
}

/// A certification signature's DocMDP level (ISO 32000-1 §12.8.2.2, /TransformParams /P).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
#[non_exhaustive]
pub enum MdpLevel {
    /// P = 1: no change (document timestamps and validation data only).
    NoChanges,
    /// P = 2: filling in forms and signing.
    FormFilling,
    /// P = 3: also annotations (kyso, like pyHanko, still accepts no annotation change).
    Annotations,
}

impl MdpLevel {
    /// The /P value.
    pub fn p(self) -> u8 {
        match self {
            MdpLevel::NoChanges => 1,
            MdpLevel::FormFilling => 2,
            MdpLevel::Annotations => 3,
        }
    }
    /// The level of a /P value.
    pub fn from_p(p: i64) -> Option<MdpLevel> {
        match p {
            1 => Some(MdpLevel::NoChanges),
            2 => Some(MdpLevel::FormFilling),
            3 => Some(MdpLevel::Annotations),
            _ => None,
        }
    }
}

/// Which form fields a signature locks (FieldMDP, ISO 32000-1 §12.8.2.4, or the signature
/// field's /Lock).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldLock {
    /// Every field.
    All,
    /// These fields (fully qualified names; a name also covers the fields below it).
    Include(Vec<String>),
    /// Every field but these.
    Exclude(Vec<String>),
}

impl FieldLock {
    /// Whether the lock covers the field `name` (as pyHanko's `FieldMDPSpec.is_locked`).
    pub fn locks(&self, name: &str) -> bool {
        let listed = |fields: &[String]| fields.iter().any(|f| name == f || name.strip_prefix(f.as_str()).is_some_and(|r| r.starts_with('.')));
        match self {
            FieldLock::All => true,
            FieldLock::Include(f) => listed(f),
            FieldLock::Exclude(f) => !listed(f),
        }
    }
}

/// The modification permissions a signature sets.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct PdfPermissions {
    /// It is a certification signature (or its field's /Lock sets /P) with this level.
    pub certification: Option<MdpLevel>,
    /// The fields it locks.
    pub lock: Option<FieldLock>,
}

impl PdfPermissions {
    /// No certification and no lock.
    pub fn is_empty(&self) -> bool {
        self.certification.is_none() && self.lock.is_none()
    }
}

/// An update after a signature that its permissions forbid.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PermissionViolation {
    /// The certification level does not allow this update.
    DocMdp {
        /// The level in force.
        level: MdpLevel,
        /// The revision (1-based) that made the update.
        revision: usize,
        /// The update.
        update: PdfUpdate,
    },
    /// A visible signature field was added after a certification signature (the "sneaky
    /// signature" overlay; pyHanko refuses it too).
    VisibleSignatureAfterCertification {
        /// The revision (1-based).
        revision: usize,
        /// The new field's fully qualified name.
        field: String,
    },
    /// A locked field was changed.
    FieldLocked {
        /// The revision (1-based).
        revision: usize,
        /// The field's fully qualified name.
        field: String,
    },
}

/// Why the changes after a signature could not be analysed.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PdfAnalysisProblem {
    /// The byte range does not delimit a revision.
    NotARevision,
    /// The signed revision does not parse (the parser's message, English).
    SignedRevisionUnreadable {
        /// The parser's message.
        message: String,
    },
    /// The revisions do not form one chain of cross-reference sections, or an entry names bytes
    /// after its revision (revision 1-based).
    BrokenRevisionChain {
        /// The first revision whose cross-reference data is missing or does not lead back to
        /// the previous revision.
        revision: usize,
    },
    /// The file needs more work than the analysis allows for its size.
    TooComplex,
    /// The signature's dictionary is not a signature field's value in the signed revision.
    SignatureNotInRevision,
}

/// What is wrong with a PDF signature's /ByteRange.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ByteRangeProblem {
    /// The signature dictionary has no /Contents string.
    NoContents,
    /// /ByteRange is not four non-negative integers.
    NotFourIntegers,
    /// The first range does not start at byte 0.
    NotFromStart,
    /// A range lies outside the file or the ranges overlap.
    OutOfBounds,
    /// The excluded gap is not exactly the /Contents hex string of this signature.
    GapIsNotContents,
    /// The signed part does not end at the end of a revision (a `%%EOF` after `startxref`).
    NotAtRevisionEnd,
}

/// A problem with the document security store (/DSS).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum DssProblem {
    /// `/DSS /{key}` is not an array.
    NotAnArray {
        /// The key (`Certs`, `CRLs`, `OCSPs`).
        key: &'static str,
    },
    /// Entries beyond the budget were ignored.
    TooManyEntries {
        /// The key.
        key: &'static str,
        /// How many were ignored.
        ignored: usize,
        /// The budget.
        limit: usize,
    },
    /// An entry is not a stream.
    NotAStream {
        /// The key.
        key: &'static str,
        /// The entry's 1-based position.
        index: usize,
    },
    /// An entry is not one DER object (damaged or empty stream).
    NotOneDerObject {
        /// The key.
        key: &'static str,
        /// The entry's 1-based position.
        index: usize,
    },
    /// An entry's stream cannot be decoded (the decoder's message, English).
    Undecodable {
        /// The key.
        key: &'static str,
        /// The entry's 1-based position.
        index: usize,
        /// The decoder's message.
        message: String,
    },
}

/// Why an e-mail message cannot be verified as a signed message (RFC 8551), or why kyso refused
/// it before reading it whole (its budgets on hostile messages: `kyso::mail`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum MailProblem {
    /// The message is larger than the size budget.
    TooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// More MIME parts (or delimiter lines) than the budget.
    TooManyParts {
        /// The limit.
        limit: usize,
    },
    /// More header lines than the budget.
    TooManyHeaderLines {
        /// The limit.
        limit: usize,
    },
    /// Multiparts nested deeper than the budget.
    TooDeep {
        /// The limit.
        limit: usize,
    },
    /// The decoded parts together are larger than the budget.
    DecodedTooLarge {
        /// The limit in bytes.
        limit: u64,
    },
    /// A part's base64 or quoted-printable content does not decode.
    PartUndecodable {
        /// The part's file name (or its position, `part N`).
        name: String,
    },
    /// Not an Internet message (no header section).
    NotAMessage,
    /// Neither multipart/signed nor application/pkcs7-mime signed-data.
    NotSigned {
        /// The message's Content-Type (type/subtype).
        content_type: String,
    },
    /// An encrypted message (enveloped-data): kyso verifies signatures, it decrypts nothing.
    Encrypted,
    /// A multipart/signed whose protocol is not application/pkcs7-signature.
    UnknownProtocol {
        /// The protocol parameter.
        protocol: String,
    },
    /// A multipart/signed with another number of parts than two.
    PartCount {
        /// How many it has.
        count: usize,
    },
    /// The multipart/signed has no boundary or no closing delimiter.
    BrokenBoundary,
    /// The signature part (or the pkcs7-mime body) is not base64-encoded DER.
    SignatureUndecodable,
    /// An application/pkcs7-mime signed-data without the message inside (eContent absent).
    NoContent,
}

/// Main indication (ETSI EN 319 102-1 §5.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum Indication {
    /// Every check passed.
    TotalPassed,
    /// Validation cannot conclude with the information at hand (e.g. no chain, no revocation data).
    Indeterminate,
    /// The signature is definitely not valid.
    TotalFailed,
}

impl Indication {
    /// The ETSI name.
    pub fn as_str(self) -> &'static str {
        match self {
            Indication::TotalPassed => "TOTAL_PASSED",
            Indication::Indeterminate => "INDETERMINATE",
            Indication::TotalFailed => "TOTAL_FAILED",
        }
    }

    /// The process exit code of DESIGN.md §3 for a run whose worst result is this.
    pub fn exit_code(self) -> u8 {
        match self {
            Indication::TotalPassed => 0,
            Indication::TotalFailed => 1,
            Indication::Indeterminate => 3,
        }
    }
}

/// Sub-indication (ETSI EN 319 102-1 §5.1.3, Table 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
#[non_exhaustive]
pub enum SubIndication {
    /// The signature file does not parse, or a mandatory element is missing or malformed.
    FormatFailure,
    /// The document digest differs from the signed message-digest.
    HashFailure,
    /// The signature value does not verify with the signer's public key.
    SigCryptoFailure,
    /// The signer (or a CA of its path) was revoked at or before the validation time.
    Revoked,
    /// Revoked after the validation time, and no proof that the signature existed before.
    RevokedNoPoe,
    /// A certificate of the path had expired at the validation time (no proof of existence).
    OutOfBoundsNoPoe,
    /// A certificate of the path was not yet valid at the validation time.
    NotYetValid,
    /// No path to a trust anchor.
    NoCertificateChainFound,
    /// The path or the signer certificate violates a constraint (CA as signer, key usage, EKU,
    /// path length, name constraints, unknown critical extension).
    ChainConstraintsFailure,
    /// Other path validation failure.
    CertificateChainGeneralFailure,
    /// An algorithm or key size is not allowed by the policy.
    CryptoConstraintsFailure,
    /// A signature constraint (signed attributes) is not met.
    SigConstraintsFailure,
    /// The signer certificate is missing, or does not match the signing-certificate attribute.
    NoSigningCertificateFound,
    /// Revocation status could not be established (no usable CRL) under `--revocation require`.
    TryLater,
    /// The signed data cannot be obtained (an encrypted PDF whose structure cannot be read
    /// without its key or password).
    SignedDataNotFound,
}

impl SubIndication {
    /// The ETSI name.
    pub fn as_str(self) -> &'static str {
        match self {
            SubIndication::FormatFailure => "FORMAT_FAILURE",
            SubIndication::HashFailure => "HASH_FAILURE",
            SubIndication::SigCryptoFailure => "SIG_CRYPTO_FAILURE",
            SubIndication::Revoked => "REVOKED",
            SubIndication::RevokedNoPoe => "REVOKED_NO_POE",
            SubIndication::OutOfBoundsNoPoe => "OUT_OF_BOUNDS_NO_POE",
            SubIndication::NotYetValid => "NOT_YET_VALID",
            SubIndication::NoCertificateChainFound => "NO_CERTIFICATE_CHAIN_FOUND",
            SubIndication::ChainConstraintsFailure => "CHAIN_CONSTRAINTS_FAILURE",
            SubIndication::CertificateChainGeneralFailure => "CERTIFICATE_CHAIN_GENERAL_FAILURE",
            SubIndication::CryptoConstraintsFailure => "CRYPTO_CONSTRAINTS_FAILURE",
            SubIndication::SigConstraintsFailure => "SIG_CONSTRAINTS_FAILURE",
            SubIndication::NoSigningCertificateFound => "NO_SIGNING_CERTIFICATE_FOUND",
            SubIndication::TryLater => "TRY_LATER",
            SubIndication::SignedDataNotFound => "SIGNED_DATA_NOT_FOUND",
        }
    }

    /// The main indication this sub-indication belongs to (ETSI EN 319 102-1 Table 5).
    pub fn indication(self) -> Indication {
        match self {
            SubIndication::FormatFailure
            | SubIndication::HashFailure
            | SubIndication::SigCryptoFailure
            | SubIndication::Revoked
            | SubIndication::NotYetValid => Indication::TotalFailed,
            _ => Indication::Indeterminate,
        }
    }
}

/// Status of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum CheckStatus {
    /// The check passed.
    Passed,
    /// The check failed.
    Failed,
    /// The check passed with a reservation (e.g. revocation unknown under `warn`).
    Warning,
    /// The check was not performed.
    Skipped,
}

/// One named check with its outcome and what it found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Stable machine name.
    pub name: CheckName,
    /// Outcome.
    pub status: CheckStatus,
    /// What was found (typed; the JSON carries its English rendering as `detail` and its
    /// [`Finding::code`] as `code`).
    pub finding: Finding,
}

impl Check {
    /// A new check.
    pub fn new(name: CheckName, status: CheckStatus, finding: Finding) -> Check {
        Check { name, status, finding }
    }

}

/// The machine name of a check (DESIGN.md §3 `checks[].name`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CheckName {
    /// `format`
    Format,
    /// `signer_certificate`
    SignerCertificate,
    /// `content_type`
    ContentType,
    /// `message_digest`
    MessageDigest,
    /// `signature`
    Signature,
    /// `signing_certificate`
    SigningCertificate,
    /// `algorithm_policy`
    AlgorithmPolicy,
    /// `certificate_key_policy`: the keys and signature algorithms of the certificates of the
    /// path (apart from the signature's own algorithm, `algorithm_policy`)
    CertificateKeyPolicy,
    /// `certificate_path`
    CertificatePath,
    /// `certificate_policies` (named when policy inputs were given)
    CertificatePolicies,
    /// `signer_key_usage`
    SignerKeyUsage,
    /// `validity`
    Validity,
    /// `revocation`
    Revocation,
    /// `revocation_data`: where each status came from, and every fetch
    RevocationData,
    /// `signature_timestamp`
    SignatureTimestamp,
    /// `pdf_signature_field`
    PdfSignatureField,
    /// `pdf_sub_filter`
    PdfSubFilter,
    /// `pdf_byte_range`
    PdfByteRange,
    /// `pdf_modifications`
    PdfModifications,
    /// `pdf_dss`
    PdfDss,
    /// `pdf_revisions`: what each revision after the signed one did.
    PdfRevisions,
    /// `pdf_permissions`: the certification level and field locks the signature sets, and
    /// whether later revisions kept to them.
    PdfPermissions,
    /// `document_timestamp`
    DocumentTimestamp,
    /// `document_timestamp_poe`
    DocumentTimestampPoe,
    /// `mail_from` (an e-mail message's From against the signer certificate's addresses)
    MailFrom,
    /// `mail_headers` (an e-mail message's header fields against the signed copy of them)
    MailHeaders,
}

impl CheckName {
    /// The stable machine name.
    pub fn as_str(self) -> &'static str {
        match self {
            CheckName::Format => "format",
            CheckName::SignerCertificate => "signer_certificate",
            CheckName::ContentType => "content_type",
            CheckName::MessageDigest => "message_digest",
            CheckName::Signature => "signature",
            CheckName::SigningCertificate => "signing_certificate",
            CheckName::AlgorithmPolicy => "algorithm_policy",
            CheckName::CertificateKeyPolicy => "certificate_key_policy",
            CheckName::CertificatePath => "certificate_path",
            CheckName::CertificatePolicies => "certificate_policies",
            CheckName::SignerKeyUsage => "signer_key_usage",
            CheckName::Validity => "validity",
            CheckName::Revocation => "revocation",
            CheckName::RevocationData => "revocation_data",
            CheckName::SignatureTimestamp => "signature_timestamp",
            CheckName::PdfSignatureField => "pdf_signature_field",
            CheckName::PdfSubFilter => "pdf_sub_filter",
            CheckName::PdfByteRange => "pdf_byte_range",
            CheckName::PdfModifications => "pdf_modifications",
            CheckName::PdfDss => "pdf_dss",
            CheckName::PdfRevisions => "pdf_revisions",
            CheckName::PdfPermissions => "pdf_permissions",
            CheckName::DocumentTimestamp => "document_timestamp",
            CheckName::DocumentTimestampPoe => "document_timestamp_poe",
            CheckName::MailFrom => "mail_from",
            CheckName::MailHeaders => "mail_headers",
        }
    }

    /// Every check name (for tests and documentation).
    pub const ALL: [CheckName; 25] = [
        CheckName::Format,
        CheckName::SignerCertificate,
        CheckName::ContentType,
        CheckName::MessageDigest,
        CheckName::Signature,
        CheckName::SigningCertificate,
        CheckName::AlgorithmPolicy,
        CheckName::CertificateKeyPolicy,
        CheckName::CertificatePath,
        CheckName::CertificatePolicies,
        CheckName::SignerKeyUsage,
        CheckName::Validity,
        CheckName::Revocation,
        CheckName::SignatureTimestamp,
        CheckName::PdfSignatureField,
        CheckName::PdfSubFilter,
        CheckName::PdfByteRange,
        CheckName::PdfModifications,
        CheckName::PdfDss,
        CheckName::PdfRevisions,
        CheckName::PdfPermissions,
        CheckName::DocumentTimestamp,
        CheckName::DocumentTimestampPoe,
        CheckName::MailFrom,
        CheckName::MailHeaders,
    ];
}

impl std::fmt::Display for CheckName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding: what a check established (passed, failed or with a reservation), a warning, or
/// why a document failed as a whole. See the module documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Finding {
    // ----- the document and its signature file -----
    /// The document cannot be read.
    DocumentUnreadable(IoProblem),
    /// The document has no detached signature beside it (`FILE.p7s` is absent) and carries
    /// none inside.
    SignatureMissing {
        /// The signature file that was looked for.
        signature: String,
    },
    /// A detached signature file was given whose document (the file name without `.p7s`) is
    /// absent: the signed data cannot be obtained.
    DocumentMissing {
        /// The document that was looked for.
        document: String,
    },
    /// The signature file cannot be read.
    SignatureFileUnreadable {
        /// Its path as given.
        path: String,
        /// The problem.
        error: IoProblem,
    },
    /// A structural problem in the signature file, a timestamp token or a CRL.
    Malformed(FormatProblem),
    /// A SignerInfo without signed attributes in a SignedData whose eContentType is not id-data
    /// (RFC 5652 §5.3: signed attributes are then required).
    EContentTypeNotData {
        /// The eContentType.
        econtent_type: ObjectIdentifier,
    },
    /// The signature file embeds content that differs from the document.
    EmbeddedContentDiffers,
    /// The signature file holds the same SignerInfo twice.
    DuplicateSignerInfo,
    /// The signature file holds no SignerInfo.
    NoSignerInfo,
    /// The PDF has no signature.
    PdfNoSignature,
    /// The PDF cannot be read.
    PdfUnreadable(PdfProblem),

    // ----- one SignerInfo (the CMS signer check) -----
    /// The SignerInfo and its signed attributes parse.
    SignerInfoParses,
    /// The SignerInfo's digest algorithm is not listed in SignedData.digestAlgorithms.
    DigestAlgorithmNotListed,
    /// No signed attributes (where they are required, or reported as a check).
    NoSignedAttributes,
    /// Warning: a PKCS#7 signature without signed attributes, verified over the content: not
    /// CAdES — no signed signing time, no signed binding to the signer certificate.
    Pkcs7WithoutSignedAttributes,
    /// Warning: the signed attributes are not in DER order (an unsorted SET OF); the signature
    /// verified over this form of them.
    SignedAttributesNotDer {
        /// The form the signature covers.
        signed_form: SignedAttributesForm,
    },
    /// An EdDSA signature without signed attributes signs the document itself, which kyso does
    /// not keep (it keeps the document's digests only).
    EdDsaOverContentUnsupported {
        /// The scheme.
        scheme: SignatureScheme,
    },
    /// A signed attribute is repeated or multi-valued.
    AttributeRepeated,
    /// The signing-time attribute is malformed.
    SigningTimeMalformed,
    /// The signer certificate was found by the sid.
    SignerCertificateFound {
        /// Its subject.
        subject: Name,
    },
    /// No certificate matches the sid.
    SignerCertificateNotFound,
    /// The content-type attribute equals the eContentType.
    ContentTypeMatches {
        /// The content type.
        content_type: ObjectIdentifier,
    },
    /// The content-type attribute differs from what it must be.
    ContentTypeMismatch {
        /// What it must be.
        expected: ObjectIdentifier,
        /// What it is (None: not an OID).
        found: Option<ObjectIdentifier>,
    },
    /// The content-type attribute is missing.
    ContentTypeMissing,
    /// The message-digest attribute is missing.
    MessageDigestMissing,
    /// The message-digest attribute is not an OCTET STRING.
    MessageDigestNotOctetString,
    /// The digest algorithm is unknown.
    DigestAlgorithmUnknown,
    /// The content's digest equals the message-digest attribute.
    DigestMatches {
        /// The algorithm.
        algorithm: DigestAlgorithm,
    },
    /// The content's digest differs from the message-digest attribute.
    DigestMismatch {
        /// The algorithm.
        algorithm: DigestAlgorithm,
        /// The digest of the content.
        computed: Vec<u8>,
        /// The digest the signature states.
        signed: Vec<u8>,
    },
    /// The content's digest could not be computed.
    DocumentDigestUnavailable,
    /// The signature algorithm is unsupported.
    SignatureAlgorithmUnsupported,
    /// The signature verifies.
    SignatureVerifies {
        /// The scheme.
        scheme: SignatureScheme,
    },
    /// The signature value does not verify with the signer certificate's key.
    SignatureInvalid,
    /// The scheme cannot be used with the signer's key.
    SchemeUnsupportedWithKey {
        /// The scheme.
        scheme: SignatureScheme,
    },
    /// The scheme is allowed by the policy.
    AlgorithmAllowed {
        /// The scheme.
        scheme: SignatureScheme,
    },
    /// SHA-1 is not allowed by the strict policy.
    Sha1NotAllowed,
    /// The SignerInfo's digest algorithm cannot go with its signature scheme (RFC 8419 §3:
    /// SHA-512 for Ed25519, SHAKE256 for Ed448).
    DigestNotAllowedWithScheme {
        /// The SignerInfo's digest algorithm.
        digest: DigestAlgorithm,
        /// The scheme.
        scheme: SignatureScheme,
    },
    /// SHA-1 accepted by the legacy policy (check).
    Sha1AcceptedLegacy,
    /// Warning: the signature uses SHA-1 (legacy policy).
    LegacySha1Signature,
    /// No signing-certificate attribute (check).
    NoSigningCertificateAttribute,
    /// Warning: the signature does not bind its certificate.
    SigningCertificateUnbound,
    /// The signing-certificate attribute matches the signer certificate.
    SigningCertificateMatches {
        /// Which version.
        version: EssVersion,
    },
    /// The signing-certificate attribute is wrong.
    SigningCertificateProblem {
        /// Which version.
        version: EssVersion,
        /// What is wrong.
        problem: EssProblem,
    },
    /// Warning: the signing time lies outside the certificate's validity period.
    SigningTimeOutsideValidity,
    /// Warning: no signing-time attribute.
    NoSigningTime,
    /// Warning: the signature file embeds the document (attached), equal to the given one.
    AttachedContentEqual,
    /// Warning: a CRL was ignored.
    CrlIgnored {
        /// Where it came from.
        source: EvidenceSource,
        /// Why.
        problem: CrlProblem,
    },

    // ----- the certificate path -----
    /// The certificate does not parse.
    CertificateUnparseable,
    /// No valid path.
    PathFailed(PathProblem),
    /// A path to a trust anchor.
    PathFound {
        /// Certificates in the path, anchor included.
        length: usize,
        /// The trust anchor.
        anchor: Name,
    },
    /// The certificate policies the path is valid for (RFC 5280 §6.1.6), when policy inputs
    /// were given.
    ValidPolicies {
        /// The policies; `None` is any policy.
        policies: Option<Vec<ObjectIdentifier>>,
    },
    /// The keyUsage extension is malformed.
    KeyUsageMalformed,
    /// keyCertSign in a certificate that is not a CA (RFC 5280 §4.2.1.3).
    KeyCertSignInEndEntity,
    /// nameConstraints in a certificate that is not a CA (RFC 5280 §4.2.1.10).
    NameConstraintsInEndEntity,
    /// Purpose any: no key usage or EKU imposed (check skipped).
    PurposeAny,
    /// The signer certificate is a CA certificate.
    SignerIsCa,
    /// The signer certificate has no keyUsage extension.
    NoKeyUsage,
    /// The keyUsage has neither digitalSignature nor nonRepudiation.
    KeyUsageInsufficient {
        /// The bits it has.
        bits: Vec<KeyUsageBit>,
    },
    /// The extendedKeyUsage allows neither documentSigning nor emailProtection.
    EkuNotDocumentSigning,
    /// The signer's key usage (and EKU) allow document signing.
    SignerKeyUsageOk {
        /// The keyUsage bits.
        bits: Vec<KeyUsageBit>,
        /// Whether an EKU is present (and allows document signing).
        eku: bool,
    },
    /// The leaf lacks a required EKU.
    LeafLacksEku {
        /// The EKU.
        eku: ObjectIdentifier,
    },
    /// The leaf lacks a required key usage bit.
    LeafLacksKeyUsage {
        /// The bit.
        bit: KeyUsageBit,
    },
    /// The required key usage and EKU are present.
    RequiredUsagePresent,
    /// Warning: nonRepudiation only, accepted by the legacy policy.
    LegacyNonRepudiationOnly,
    /// Warning: an RSA key below the strict policy's minimum, accepted by the legacy policy.
    LegacyRsaKey {
        /// Its size.
        bits: usize,
        /// The strict policy's minimum.
        strict_minimum: usize,
    },
    /// The certificate's key is allowed.
    CertificateKey(KeyDescription),
    /// The certificate's key is not allowed.
    CertificateKeyRejected(KeyProblem),
    /// Warning: a certificate of the path is signed with SHA-1 (legacy policy).
    LegacySha1Certificate {
        /// Its subject.
        subject: Name,
    },
    /// The certificate is valid at the time used.
    CertificateValid {
        /// notBefore.
        not_before: OffsetDateTime,
        /// notAfter.
        not_after: OffsetDateTime,
    },
    /// The certificate had expired at `at`.
    CertificateExpired {
        /// The time used.
        at: OffsetDateTime,
        /// notBefore.
        not_before: OffsetDateTime,
        /// notAfter.
        not_after: OffsetDateTime,
    },
    /// The certificate was not yet valid at `at`.
    CertificateNotYetValid {
        /// The time used.
        at: OffsetDateTime,
        /// notBefore.
        not_before: OffsetDateTime,
        /// notAfter.
        not_after: OffsetDateTime,
    },

    // ----- revocation -----
    /// Revocation checking is off (a skipped check, and a warning).
    RevocationOff,
    /// Every certificate of the path was checked: none revoked.
    NotRevoked {
        /// The certificates checked, signer first.
        subjects: Vec<Name>,
    },
    /// A certificate of the path was revoked.
    Revoked {
        /// The revoked certificate.
        subject: Name,
        /// The revocation date.
        date: OffsetDateTime,
        /// The reason, when given.
        reason: Option<CrlReason>,
        /// How a proof of existence bears on it, when there is one before the revocation.
        poe: Option<PoeJudgement>,
    },
    /// The status of some certificates could not be established (check).
    RevocationUnknown {
        /// Which, and why.
        certificates: Vec<UnknownStatus>,
    },
    /// Warning: revocation not checked (same facts as [`Finding::RevocationUnknown`]).
    RevocationNotChecked {
        /// Which, and why.
        certificates: Vec<UnknownStatus>,
    },
    /// Revocation data was fetched for a certificate of the path.
    RevocationFetched {
        /// The certificate.
        subject: Name,
        /// The fetch.
        fetch: Fetch,
    },
    /// Where a certificate's status came from.
    StatusFrom {
        /// The certificate.
        subject: Name,
        /// The source.
        source: StatusSource,
    },

    // ----- timestamps and proofs of existence -----
    /// The signature timestamp attribute cannot be read.
    TimestampAttributeUnreadable(FormatProblem),
    /// A signature timestamp verifies over this signature and its TSA is trusted.
    SignatureTimestampValid {
        /// genTime.
        time: OffsetDateTime,
        /// The TSA certificate's subject.
        tsa: Name,
        /// The token's serial number (hex).
        serial: String,
        /// The TSA's path, TSA first, anchor last.
        chain: Vec<Name>,
        /// The TSA certificate's revocation.
        tsa_revocation: TsaRevocation,
    },
    /// A signature timestamp is not used as proof of existence.
    TimestampNotUsed(TimestampRejection),
    /// Warning: the TSA certificate's revocation could not be checked.
    TsaRevocationUnknown {
        /// Which certificates of the TSA's path, and why.
        certificates: Vec<UnknownStatus>,
    },
    /// The signature is covered by a valid document timestamp.
    CoveredByDocumentTimestamp {
        /// The document timestamp's field name.
        field: String,
        /// Its TSA.
        tsa: Option<Name>,
        /// Its genTime.
        time: OffsetDateTime,
    },
    /// Warning: revoked after a proof of existence, for a reason that allows it.
    RevokedAfterPoeAccepted {
        /// The revocation date.
        date: OffsetDateTime,
        /// The reason.
        reason: Option<CrlReason>,
        /// The proven existence time.
        poe: OffsetDateTime,
    },
    /// A timestamp token is larger than the verifier's budget.
    TokenTooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// A timestamp token must hold exactly one SignerInfo (RFC 3161 §2.4.2).
    TokenSignerCount {
        /// How many it holds.
        count: usize,
    },
    /// The token's message imprint does not match the data.
    ImprintMismatch {
        /// Which part differs.
        part: ImprintPart,
    },
    /// The token's nonce does not match the request.
    NonceMismatch,
    /// The TSA certificate is not fit for timestamping.
    NotATsaCertificate(TsaCertificateProblem),
    /// The token's time lies outside the TSA certificate's validity.
    GenTimeOutsideValidity {
        /// genTime.
        gen_time: OffsetDateTime,
        /// The TSA certificate's notBefore.
        not_before: OffsetDateTime,
        /// Its notAfter.
        not_after: OffsetDateTime,
    },
    /// The TSA certificate does not chain to a trust anchor.
    TsaUntrusted(PathProblem),
    /// No trust anchor was given for the TSA.
    NoTsaTrustAnchor,
    /// A document timestamp verifies over the signed byte ranges.
    DocumentTimestampValid {
        /// genTime.
        time: OffsetDateTime,
        /// The TSA certificate's subject.
        tsa: Name,
        /// The token's serial number (hex).
        serial: String,
        /// The imprint's hash algorithm.
        algorithm: DigestAlgorithm,
        /// The TSA's path, TSA first, anchor last.
        chain: Vec<Name>,
    },
    /// A document timestamp does not verify (the finding of the check that failed).
    DocumentTimestampInvalid(Box<Finding>),
    /// The imprint's hash algorithm is not supported.
    ImprintAlgorithmUnsupported {
        /// Its OID.
        oid: ObjectIdentifier,
    },
    /// The imprint uses SHA-1, refused by the strict policy.
    ImprintSha1Refused,

    // ----- PDF -----
    /// The /SubFilter is not supported.
    PdfSubFilterUnsupported {
        /// The /SubFilter (or "(none)").
        sub_filter: String,
    },
    /// The signature's /ByteRange is wrong.
    PdfByteRange(ByteRangeProblem),
    /// The /ByteRange signs a whole revision without its /Contents.
    PdfByteRangeOk {
        /// The /ByteRange.
        range: [u64; 4],
        /// The revision signed (1-based).
        revision: usize,
        /// Revisions in the file.
        count: usize,
    },
    /// The signature field and what it covers.
    PdfSignatureField {
        /// The field's fully qualified name.
        field: String,
        /// The revision signed (1-based).
        revision: usize,
        /// Revisions in the file.
        count: usize,
        /// Whether the signature covers the whole file.
        whole: bool,
    },
    /// The /SubFilter.
    PdfSubFilter {
        /// Its value.
        sub_filter: String,
    },
    /// The signature's CMS holds another number of SignerInfos than one.
    PdfSignerInfoCount {
        /// How many.
        count: usize,
    },
    /// The document security store and what it holds.
    PdfDss {
        /// Certificates.
        certificates: usize,
        /// CRLs.
        crls: usize,
        /// OCSP responses (not used).
        ocsps: usize,
    },
    /// Warning: part of the /DSS was ignored.
    DssPartIgnored(DssProblem),
    /// Warning: only part of the /DSS was used (verifier budget).
    DssBudget {
        /// Certificates used.
        certificates: usize,
        /// CRLs used.
        crls: usize,
    },
    /// The signature covers the whole file.
    PdfCoversWholeFile,
    /// Later revisions only add signatures or fill in form fields.
    PdfOnlySignaturesAndForms,
    /// The document was changed after the signature.
    PdfChanged {
        /// What changed.
        changes: Vec<PdfChange>,
    },
    /// The changes after the signature could not be analysed.
    PdfChangesUnknown(PdfAnalysisProblem),
    /// Warning: the PDF is encrypted; the signature was verified without decrypting the file.
    PdfEncrypted(PdfEncryption),
    /// Bytes after the signed revision that are not a signature or form filling.
    PdfUnexplainedBytes {
        /// How many.
        bytes: usize,
    },
    /// Warning: the signature's /Contents holds other bytes than zero padding after the CMS
    /// (outside the signed bytes and the signature; the CMS is the first element).
    PdfContentsTrailingBytes {
        /// How many, up to the last non-zero byte.
        bytes: usize,
    },
    /// The revisions after the signed one, each with what it did.
    PdfLaterRevisions {
        /// In file order.
        revisions: Vec<PdfRevision>,
    },
    /// The permissions the signature sets (certification level, field locks).
    PdfPermissions(PdfPermissions),
    /// Later revisions made updates the signature's permissions forbid.
    PdfPermissionsViolated {
        /// What was forbidden.
        violations: Vec<PermissionViolation>,
    },

    // ----- e-mail (S/MIME, RFC 8551; `kyso::mail`) -----
    /// The message cannot be verified as a signed message (why the message fails as a whole).
    MailMalformed(MailProblem),
    /// The From address is one of the signer certificate's e-mail addresses (RFC 8550 §3).
    MailFromMatches {
        /// The address.
        address: String,
    },
    /// Warning: the From address is none of the signer certificate's e-mail addresses.
    MailFromMismatch {
        /// The From addresses.
        from: Vec<String>,
        /// The certificate's addresses (rfc822Name, emailAddress).
        certificate: Vec<String>,
    },
    /// Warning: the message has no From address.
    MailFromMissing,
    /// Warning: the signer certificate holds no e-mail address, so nothing binds the From to it.
    MailCertificateNoAddress {
        /// The From addresses.
        from: Vec<String>,
    },
    /// The header fields shown equal the signed copy of them (protected headers).
    MailHeadersProtected {
        /// The fields compared.
        headers: Vec<String>,
    },
    /// A header field shown differs from the signed copy: changed in transit.
    MailHeaderChanged {
        /// The field's name (e.g. `Subject`).
        header: String,
        /// The signed value ("" when the message shows a field the signature does not have).
        signed: String,
        /// The value shown ("" when absent).
        shown: String,
    },
    /// Warning: these header fields are outside the signature (a change would go unnoticed).
    MailHeadersNotProtected {
        /// The fields.
        headers: Vec<String>,
    },
    /// Warning: the signed part was stored with bare LF line ends; verified over its canonical
    /// CRLF form (RFC 8551 §3.1.1).
    MailLineEndingsConverted,
    /// Warning: an attachment carries no signature of its own (only the message's covers it).
    MailAttachmentUnsigned {
        /// Its file name.
        name: String,
    },
    /// An attached `.p7s` whose document is not attached.
    MailSignatureWithoutDocument {
        /// The signature's file name.
        name: String,
    },
}

impl Finding {
    /// Whether this is a refusal of the strict algorithm policy that the legacy policy lifts
    /// (DESIGN.md §4 rule 5: SHA-1 with RSA or ECDSA, RSA keys of 1024–2047 bits): the report
    /// then says how to proceed with a document signed when those were in use.
    pub fn legacy_policy_accepts(&self) -> bool {
        const SHA1_SIG_ALGS: [&str; 2] = ["1.2.840.113549.1.1.5", "1.2.840.10045.4.1"];
        let rsa_bits = |key: &str| key.strip_prefix("RSA ").and_then(|k| k.strip_suffix(" bits")).and_then(|n| n.parse::<usize>().ok());
        match self {
            Finding::Sha1NotAllowed | Finding::ImprintSha1Refused => true,
            Finding::CertificateKeyRejected(KeyProblem::RsaTooSmall { bits, .. }) => *bits >= 1024,
            Finding::PathFailed(PathProblem::AlgorithmNotAllowed { algorithm, .. })
            | Finding::TsaUntrusted(PathProblem::AlgorithmNotAllowed { algorithm, .. }) => SHA1_SIG_ALGS.contains(&algorithm.as_str()),
            Finding::PathFailed(PathProblem::WeakKey { key, .. }) | Finding::TsaUntrusted(PathProblem::WeakKey { key, .. }) => {
                rsa_bits(key).is_some_and(|b| (1024..2048).contains(&b))
            }
            Finding::DocumentTimestampInvalid(f) => f.legacy_policy_accepts(),
            _ => false,
        }
    }

    /// A stable machine-readable code (JSON `code`), snake_case.
    pub fn code(&self) -> &'static str {
        use Finding::*;
        match self {
            DocumentUnreadable(_) => "document_unreadable",
            SignatureFileUnreadable { .. } => "signature_file_unreadable",
            SignatureMissing { .. } => "signature_missing",
            DocumentMissing { .. } => "document_missing",
            Malformed(_) => "malformed",
            EContentTypeNotData { .. } => "econtent_type_not_data",
            EmbeddedContentDiffers => "embedded_content_differs",
            DuplicateSignerInfo => "duplicate_signer_info",
            NoSignerInfo => "no_signer_info",
            PdfNoSignature => "pdf_no_signature",
            PdfUnreadable(_) => "pdf_unreadable",
            SignerInfoParses => "signer_info_parses",
            DigestAlgorithmNotListed => "digest_algorithm_not_listed",
            NoSignedAttributes => "no_signed_attributes",
            Pkcs7WithoutSignedAttributes => "pkcs7_without_signed_attributes",
            SignedAttributesNotDer { .. } => "signed_attributes_not_der",
            EdDsaOverContentUnsupported { .. } => "eddsa_over_content_unsupported",
            AttributeRepeated => "attribute_repeated",
            SigningTimeMalformed => "signing_time_malformed",
            SignerCertificateFound { .. } => "signer_certificate_found",
            SignerCertificateNotFound => "signer_certificate_not_found",
            ContentTypeMatches { .. } => "content_type_matches",
            ContentTypeMismatch { .. } => "content_type_mismatch",
            ContentTypeMissing => "content_type_missing",
            MessageDigestMissing => "message_digest_missing",
            MessageDigestNotOctetString => "message_digest_not_octet_string",
            DigestAlgorithmUnknown => "digest_algorithm_unknown",
            DigestMatches { .. } => "digest_matches",
            DigestMismatch { .. } => "digest_mismatch",
            DocumentDigestUnavailable => "document_digest_unavailable",
            SignatureAlgorithmUnsupported => "signature_algorithm_unsupported",
            SignatureVerifies { .. } => "signature_verifies",
            SignatureInvalid => "signature_invalid",
            SchemeUnsupportedWithKey { .. } => "scheme_unsupported_with_key",
            AlgorithmAllowed { .. } => "algorithm_allowed",
            Sha1NotAllowed => "sha1_not_allowed",
            DigestNotAllowedWithScheme { .. } => "digest_not_allowed_with_scheme",
            Sha1AcceptedLegacy => "sha1_accepted_legacy",
            LegacySha1Signature => "legacy_sha1_signature",
            NoSigningCertificateAttribute => "no_signing_certificate_attribute",
            SigningCertificateUnbound => "signing_certificate_unbound",
            SigningCertificateMatches { .. } => "signing_certificate_matches",
            SigningCertificateProblem { .. } => "signing_certificate_problem",
            SigningTimeOutsideValidity => "signing_time_outside_validity",
            NoSigningTime => "no_signing_time",
            AttachedContentEqual => "attached_content_equal",
            CrlIgnored { .. } => "crl_ignored",
            CertificateUnparseable => "certificate_unparseable",
            PathFailed(_) => "path_failed",
            PathFound { .. } => "path_found",
            ValidPolicies { .. } => "valid_policies",
            KeyUsageMalformed => "key_usage_malformed",
            KeyCertSignInEndEntity => "key_cert_sign_in_end_entity",
            NameConstraintsInEndEntity => "name_constraints_in_end_entity",
            PurposeAny => "purpose_any",
            SignerIsCa => "signer_is_ca",
            NoKeyUsage => "no_key_usage",
            KeyUsageInsufficient { .. } => "key_usage_insufficient",
            EkuNotDocumentSigning => "eku_not_document_signing",
            SignerKeyUsageOk { .. } => "signer_key_usage_ok",
            LeafLacksEku { .. } => "leaf_lacks_eku",
            LeafLacksKeyUsage { .. } => "leaf_lacks_key_usage",
            RequiredUsagePresent => "required_usage_present",
            LegacyNonRepudiationOnly => "legacy_non_repudiation_only",
            LegacyRsaKey { .. } => "legacy_rsa_key",
            CertificateKey(_) => "certificate_key",
            CertificateKeyRejected(_) => "certificate_key_rejected",
            LegacySha1Certificate { .. } => "legacy_sha1_certificate",
            CertificateValid { .. } => "certificate_valid",
            CertificateExpired { .. } => "certificate_expired",
            CertificateNotYetValid { .. } => "certificate_not_yet_valid",
            RevocationOff => "revocation_off",
            NotRevoked { .. } => "not_revoked",
            Revoked { .. } => "revoked",
            RevocationUnknown { .. } => "revocation_unknown",
            RevocationNotChecked { .. } => "revocation_not_checked",
            RevocationFetched { .. } => "revocation_fetched",
            StatusFrom { .. } => "status_from",
            TimestampAttributeUnreadable(_) => "timestamp_attribute_unreadable",
            SignatureTimestampValid { .. } => "signature_timestamp_valid",
            TimestampNotUsed(_) => "timestamp_not_used",
            TsaRevocationUnknown { .. } => "tsa_revocation_unknown",
            CoveredByDocumentTimestamp { .. } => "covered_by_document_timestamp",
            RevokedAfterPoeAccepted { .. } => "revoked_after_poe_accepted",
            TokenTooLarge { .. } => "token_too_large",
            TokenSignerCount { .. } => "token_signer_count",
            ImprintMismatch { .. } => "imprint_mismatch",
            NonceMismatch => "nonce_mismatch",
            NotATsaCertificate(_) => "not_a_tsa_certificate",
            GenTimeOutsideValidity { .. } => "gen_time_outside_validity",
            TsaUntrusted(_) => "tsa_untrusted",
            NoTsaTrustAnchor => "no_tsa_trust_anchor",
            DocumentTimestampValid { .. } => "document_timestamp_valid",
            DocumentTimestampInvalid(_) => "document_timestamp_invalid",
            ImprintAlgorithmUnsupported { .. } => "imprint_algorithm_unsupported",
            ImprintSha1Refused => "imprint_sha1_refused",
            PdfSubFilterUnsupported { .. } => "pdf_sub_filter_unsupported",
            PdfByteRange(_) => "pdf_byte_range_problem",
            PdfByteRangeOk { .. } => "pdf_byte_range_ok",
            PdfSignatureField { .. } => "pdf_signature_field",
            PdfSubFilter { .. } => "pdf_sub_filter",
            PdfSignerInfoCount { .. } => "pdf_signer_info_count",
            PdfDss { .. } => "pdf_dss",
            DssPartIgnored(_) => "dss_part_ignored",
            DssBudget { .. } => "dss_budget",
            PdfCoversWholeFile => "pdf_covers_whole_file",
            PdfOnlySignaturesAndForms => "pdf_only_signatures_and_forms",
            PdfChanged { .. } => "pdf_changed",
            PdfChangesUnknown(_) => "pdf_changes_unknown",
            PdfLaterRevisions { .. } => "pdf_later_revisions",
            PdfPermissions(_) => "pdf_permissions",
            PdfPermissionsViolated { .. } => "pdf_permissions_violated",
            PdfEncrypted(_) => "pdf_encrypted",
            PdfUnexplainedBytes { .. } => "pdf_unexplained_bytes",
            PdfContentsTrailingBytes { .. } => "pdf_contents_trailing_bytes",
            MailMalformed(_) => "mail_malformed",
            MailFromMatches { .. } => "mail_from_matches",
            MailFromMismatch { .. } => "mail_from_mismatch",
            MailFromMissing => "mail_from_missing",
            MailCertificateNoAddress { .. } => "mail_certificate_no_address",
            MailHeadersProtected { .. } => "mail_headers_protected",
            MailHeaderChanged { .. } => "mail_header_changed",
            MailHeadersNotProtected { .. } => "mail_headers_not_protected",
            MailLineEndingsConverted => "mail_line_endings_converted",
            MailAttachmentUnsigned { .. } => "mail_attachment_unsigned",
            MailSignatureWithoutDocument { .. } => "mail_signature_without_document",
        }
    }
}
