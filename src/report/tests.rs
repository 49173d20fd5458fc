//! Every finding, in both languages: each variant (and each variant of the enums it carries) is
//! rendered in English and Vietnamese, and no English word of the English templates may appear
//! in the Vietnamese rendering. The sample data is Vietnamese or technical, so an English word
//! in the Vietnamese output can only come from a template.
//!
//! Coverage is enforced: [`finding_index`] matches every `Finding` variant without a wildcard
//! (adding a variant does not compile until it has an index), and the test fails unless the
//! samples cover every index. The nested enums are listed whole by their own exhaustive guards.

use super::text::Ctx;
use super::Lang;
use crate::alg::DigestAlgorithm;
use crate::findings::*;
use std::collections::BTreeSet;
use time::macros::datetime;

fn name(cn: &str) -> Name {
    Name {
        dn: format!("C=VN, O=Sở Thông tin và Truyền thông tỉnh Bắc Ninh, CN={cn}"),
        parts: NameParts {
            common_name: Some(cn.to_string()),
            organization: Some("Sở Thông tin và Truyền thông tỉnh Bắc Ninh".into()),
            ..NameParts::default()
        },
    }
}

fn t0() -> time::OffsetDateTime {
    datetime!(2026-11-30 06:30:27 UTC)
}

fn t1() -> time::OffsetDateTime {
    datetime!(2031-11-30 06:30:27 UTC)
}

fn io(kind: std::io::ErrorKind) -> IoProblem {
    IoProblem { kind, message: "Lỗi hệ thống giả lập".into() }
}

/// Index of a finding variant: one arm per variant, no wildcard.
fn finding_index(f: &Finding) -> usize {
    use Finding::*;
    match f {
        DocumentUnreadable(_) => 0,
        SignatureFileUnreadable { .. } => 1,
        Malformed(_) => 2,
        EContentTypeNotData { .. } => 3,
        EmbeddedContentDiffers => 4,
        DuplicateSignerInfo => 5,
        NoSignerInfo => 6,
        PdfNoSignature => 7,
        PdfUnreadable(_) => 8,
        SignerInfoParses => 9,
        DigestAlgorithmNotListed => 10,
        NoSignedAttributes => 11,
        AttributeRepeated => 12,
        SigningTimeMalformed => 13,
        SignerCertificateFound { .. } => 14,
        SignerCertificateNotFound => 15,
        ContentTypeMatches { .. } => 16,
        ContentTypeMismatch { .. } => 17,
        ContentTypeMissing => 18,
        MessageDigestMissing => 19,
        MessageDigestNotOctetString => 20,
        DigestAlgorithmUnknown => 21,
        DigestMatches { .. } => 22,
        DigestMismatch { .. } => 23,
        DocumentDigestUnavailable => 24,
        SignatureAlgorithmUnsupported => 25,
        SignatureVerifies { .. } => 26,
        SignatureInvalid => 27,
        SchemeUnsupportedWithKey { .. } => 28,
        AlgorithmAllowed { .. } => 29,
        Sha1NotAllowed => 30,
        Sha1AcceptedLegacy => 31,
        LegacySha1Signature => 32,
        NoSigningCertificateAttribute => 33,
        SigningCertificateUnbound => 34,
        SigningCertificateMatches { .. } => 35,
        SigningCertificateProblem { .. } => 36,
        SigningTimeOutsideValidity => 37,
        NoSigningTime => 38,
        AttachedContentEqual => 39,
        CrlIgnored { .. } => 40,
        CertificateUnparseable => 41,
        ValidPolicies { .. } => 42,
        PathFailed(_) => 43,
        PathFound { .. } => 44,
        KeyUsageMalformed => 45,
        KeyCertSignInEndEntity => 46,
        NameConstraintsInEndEntity => 47,
        PurposeAny => 48,
        SignerIsCa => 49,
        NoKeyUsage => 50,
        KeyUsageInsufficient { .. } => 51,
        EkuNotDocumentSigning => 52,
        SignerKeyUsageOk { .. } => 53,
        LeafLacksEku { .. } => 54,
        LeafLacksKeyUsage { .. } => 55,
        RequiredUsagePresent => 56,
        LegacyNonRepudiationOnly => 57,
        CertificateKey(_) => 58,
        CertificateKeyRejected(_) => 59,
        LegacySha1Certificate { .. } => 60,
        CertificateValid { .. } => 61,
        CertificateExpired { .. } => 62,
        CertificateNotYetValid { .. } => 63,
        RevocationOff => 64,
        NotRevoked { .. } => 65,
        Revoked { .. } => 66,
        RevocationUnknown { .. } => 67,
        RevocationNotChecked { .. } => 68,
        TimestampAttributeUnreadable(_) => 69,
        SignatureTimestampValid { .. } => 70,
        TimestampNotUsed(_) => 71,
        TsaRevocationUnknown { .. } => 72,
        CoveredByDocumentTimestamp { .. } => 73,
        RevokedAfterPoeAccepted { .. } => 74,
        TokenTooLarge { .. } => 75,
        TokenSignerCount { .. } => 76,
        ImprintMismatch { .. } => 77,
        NonceMismatch => 78,
        NotATsaCertificate(_) => 79,
        GenTimeOutsideValidity { .. } => 80,
        TsaUntrusted(_) => 81,
        NoTsaTrustAnchor => 82,
        DocumentTimestampValid { .. } => 83,
        DocumentTimestampInvalid(_) => 84,
        ImprintAlgorithmUnsupported { .. } => 85,
        ImprintSha1Refused => 86,
        PdfSubFilterUnsupported { .. } => 87,
        PdfByteRange(_) => 88,
        PdfByteRangeOk { .. } => 89,
        PdfSignatureField { .. } => 90,
        PdfSubFilter { .. } => 91,
        PdfSignerInfoCount { .. } => 92,
        PdfDss { .. } => 93,
        DssPartIgnored(_) => 94,
        DssBudget { .. } => 95,
        PdfCoversWholeFile => 96,
        PdfOnlySignaturesAndForms => 97,
        PdfChanged { .. } => 98,
        PdfChangesUnknown(_) => 99,
        PdfUnexplainedBytes { .. } => 100,
        Pkcs7WithoutSignedAttributes => 101,
        SignedAttributesNotDer { .. } => 102,
        EdDsaOverContentUnsupported { .. } => 103,
        LegacyRsaKey { .. } => 104,
        DigestNotAllowedWithScheme { .. } => 105,
        PdfEncrypted(_) => 106,
        MailMalformed(_) => 107,
        MailFromMatches { .. } => 108,
        MailFromMismatch { .. } => 109,
        MailFromMissing => 110,
        MailCertificateNoAddress { .. } => 111,
        MailHeadersProtected { .. } => 112,
        MailHeaderChanged { .. } => 113,
        MailHeadersNotProtected { .. } => 114,
        MailLineEndingsConverted => 115,
        MailAttachmentUnsigned { .. } => 116,
        MailSignatureWithoutDocument { .. } => 117,
        RevocationFetched { .. } => 118,
        StatusFrom { .. } => 119,
        PdfLaterRevisions { .. } => 120,
        PdfPermissions(_) => 121,
        PdfPermissionsViolated { .. } => 122,
        SignatureMissing { .. } => 123,
        DocumentMissing { .. } => 124,
        PdfContentsTrailingBytes { .. } => 125,
    }
}

/// Number of `Finding` variants (the indices above are 0..FINDING_VARIANTS).
const FINDING_VARIANTS: usize = 126;

/// Every variant of a nested enum, checked by a guard that matches without a wildcard.
macro_rules! all_of {
    ($ty:ty, [$($v:expr),* $(,)?], $guard:expr) => {{
        let all: Vec<$ty> = vec![$($v),*];
        let guard: fn(&$ty) -> usize = $guard;
        let seen: BTreeSet<usize> = all.iter().map(guard).collect();
        assert_eq!(seen.len(), all.len(), "{}: duplicate or missing variants", stringify!($ty));
        assert_eq!(seen.iter().max().map(|m| m + 1), Some(all.len()), "{}: a variant is missing from the list", stringify!($ty));
        all
    }};
}

fn format_kinds() -> Vec<FormatKind> {
    use FormatKind::*;
    all_of!(
        FormatKind,
        [
            Truncated,
            HighTagNumber,
            IndefiniteLength,
            NonMinimalLength,
            LengthTooLong,
            LengthOverflow,
            TrailingData,
            UnexpectedTag,
            TooMany { limit: 64 },
            TooDeep,
            Missing,
            UnknownVersion,
            WrongContentType,
            InvalidValue,
            NotRecognised,
            TooLarge { limit: 1024 },
            Empty,
            SeveralPemBlocks,
        ],
        |k| match k {
            Truncated => 0,
            HighTagNumber => 1,
            IndefiniteLength => 2,
            NonMinimalLength => 3,
            LengthTooLong => 4,
            LengthOverflow => 5,
            TrailingData => 6,
            UnexpectedTag => 7,
            TooMany { .. } => 8,
            TooDeep => 9,
            Missing => 10,
            UnknownVersion => 11,
            WrongContentType => 12,
            InvalidValue => 13,
            NotRecognised => 14,
            TooLarge { .. } => 15,
            Empty => 16,
            SeveralPemBlocks => 17,
        }
    )
}

fn elements() -> Vec<Element> {
    use Element::*;
    all_of!(
        Element,
        [
            SignatureFile,
            ContentInfo,
            SignedData,
            DigestAlgorithms,
            EncapContentInfo,
            EContent,
            Certificates,
            Crls,
            SignerInfos,
            SignerInfo,
            Sid,
            DigestAlgorithm,
            SignedAttributes,
            UnsignedAttributes,
            SignatureAlgorithm,
            Signature,
            TimestampToken,
            TstInfo,
            Crl,
            Certificate,
        ],
        |e| match e {
            SignatureFile => 0,
            ContentInfo => 1,
            SignedData => 2,
            DigestAlgorithms => 3,
            EncapContentInfo => 4,
            EContent => 5,
            Certificates => 6,
            Crls => 7,
            SignerInfos => 8,
            SignerInfo => 9,
            Sid => 10,
            DigestAlgorithm => 11,
            SignedAttributes => 12,
            UnsignedAttributes => 13,
            SignatureAlgorithm => 14,
            Signature => 15,
            TimestampToken => 16,
            TstInfo => 17,
            Crl => 18,
            Certificate => 19,
        }
    )
}

fn in_path(position: usize) -> CertInPath {
    CertInPath { position, subject: name(if position == 0 { "Nguyễn Văn An" } else { "CA Tỉnh Bắc Ninh" }) }
}

fn path_problems() -> Vec<PathProblem> {
    use PathProblem::*;
    let kinds = all_of!(
        NameKind,
        [NameKind::Directory, NameKind::Email, NameKind::Dns, NameKind::Uri, NameKind::IpAddress, NameKind::Other],
        |k| match k {
            NameKind::Directory => 0,
            NameKind::Email => 1,
            NameKind::Dns => 2,
            NameKind::Uri => 3,
            NameKind::IpAddress => 4,
            NameKind::Other => 5,
        }
    );
    let budgets = all_of!(
        PathBudget,
        [PathBudget::SignatureChecks, PathBudget::BuildSteps, PathBudget::NameConstraintChecks, PathBudget::Policies, PathBudget::Names],
        |b| match b {
            PathBudget::SignatureChecks => 0,
            PathBudget::BuildSteps => 1,
            PathBudget::NameConstraintChecks => 2,
            PathBudget::Policies => 3,
            PathBudget::Names => 4,
        }
    );
    let mut all = all_of!(
        PathProblem,
        [
            Malformed { cert: in_path(1) },
            NoIssuer { cert: in_path(1), issuer: name("Root CA Tỉnh Bắc Ninh") },
            BadSignature { cert: in_path(0) },
            AlgorithmNotAllowed { cert: in_path(1), algorithm: "1.2.840.113549.1.1.4".into() },
            WeakKey { cert: in_path(0), key: "RSA 1024".into() },
            Expired { cert: in_path(1), not_after: t0(), time: t1() },
            NotYetValid { cert: in_path(0), not_before: t1(), time: t0() },
            NotCa { cert: in_path(1) },
            NoKeyCertSign { cert: in_path(1) },
            PathLengthExceeded { cert: in_path(1) },
            TooLong { max: 8 },
            UnknownCriticalExtension { cert: in_path(1), oid: const_oid::ObjectIdentifier::new_unwrap("1.2.3.4") },
            NameConstraintViolated { cert: in_path(0), kind: NameKind::Dns, name: "ubnd.bacninh.gov.vn".into() },
            NameConstraintUnsupported { cert: in_path(0), kind: NameKind::Other },
            AnyPolicyMapping { cert: in_path(1) },
            NoValidPolicy { cert: in_path(0) },
            EkuNotAllowed { cert: in_path(1) },
            AnchorOutsideValidity { anchor: name("Root CA Tỉnh Bắc Ninh"), not_before: t0(), not_after: t1() },
            Budget(PathBudget::BuildSteps),
        ],
        |p| match p {
            Malformed { .. } => 0,
            NoIssuer { .. } => 1,
            BadSignature { .. } => 2,
            AlgorithmNotAllowed { .. } => 3,
            WeakKey { .. } => 4,
            Expired { .. } => 5,
            NotYetValid { .. } => 6,
            NotCa { .. } => 7,
            NoKeyCertSign { .. } => 8,
            PathLengthExceeded { .. } => 9,
            TooLong { .. } => 10,
            UnknownCriticalExtension { .. } => 11,
            NameConstraintViolated { .. } => 12,
            NameConstraintUnsupported { .. } => 13,
            AnyPolicyMapping { .. } => 14,
            NoValidPolicy { .. } => 15,
            EkuNotAllowed { .. } => 16,
            AnchorOutsideValidity { .. } => 17,
            Budget(_) => 18,
        }
    );
    all.extend(kinds.into_iter().map(|kind| NameConstraintViolated { cert: in_path(0), kind, name: "@bacninh.gov.vn".into() }));
    all.extend(budgets.into_iter().map(Budget));
    all
}

fn crl_problems() -> Vec<CrlProblem> {
    use CrlProblem::*;
    let signer = all_of!(
        CrlSignerProblem,
        [
            CrlSignerProblem::BadSignature,
            CrlSignerProblem::Algorithm,
            CrlSignerProblem::NoCrlSign,
            CrlSignerProblem::Path(Box::new(PathProblem::NotCa { cert: in_path(1) })),
            CrlSignerProblem::NotGood,
        ],
        |p| match p {
            CrlSignerProblem::BadSignature => 0,
            CrlSignerProblem::Algorithm => 1,
            CrlSignerProblem::NoCrlSign => 2,
            CrlSignerProblem::Path(_) => 3,
            CrlSignerProblem::NotGood => 4,
        }
    );
    let mut all = all_of!(
        CrlProblem,
        [
            Malformed(FormatProblem::new(Element::Crl, FormatKind::Truncated)),
            TooManyEntries { limit: 1_000_000 },
            NoCrl,
            ReasonsNotCovered { missing: vec![CrlReason::KeyCompromise, CrlReason::CaCompromise] },
            Stale { issuer: name("CA Tỉnh Bắc Ninh"), next_update: t0() },
            UnknownCriticalExtension { issuer: name("CA Tỉnh Bắc Ninh"), oid: "1.2.3.4".into() },
            AttributeCertificates,
            NoCrlNumber { issuer: name("CA Tỉnh Bắc Ninh") },
            NoValidSigner { issuer: name("CA Tỉnh Bắc Ninh"), why: None },
            DeltaUnusable { issuer: name("CA Tỉnh Bắc Ninh") },
            Budget,
        ],
        |p| match p {
            Malformed(_) => 0,
            TooManyEntries { .. } => 1,
            NoCrl => 2,
            ReasonsNotCovered { .. } => 3,
            Stale { .. } => 4,
            UnknownCriticalExtension { .. } => 5,
            AttributeCertificates => 6,
            NoCrlNumber { .. } => 7,
            NoValidSigner { .. } => 8,
            DeltaUnusable { .. } => 9,
            Budget => 10,
        }
    );
    all.extend(signer.into_iter().map(|why| NoValidSigner { issuer: name("CA Tỉnh Bắc Ninh"), why: Some(why) }));
    all
}

fn reasons() -> Vec<Option<CrlReason>> {
    use CrlReason::*;
    let all = all_of!(
        CrlReason,
        [
            Unspecified,
            KeyCompromise,
            CaCompromise,
            AffiliationChanged,
            Superseded,
            CessationOfOperation,
            CertificateHold,
            RemoveFromCrl,
            PrivilegeWithdrawn,
            AaCompromise,
            Other(7),
        ],
        |r| match r {
            Unspecified => 0,
            KeyCompromise => 1,
            CaCompromise => 2,
            AffiliationChanged => 3,
            Superseded => 4,
            CessationOfOperation => 5,
            CertificateHold => 6,
            RemoveFromCrl => 7,
            PrivilegeWithdrawn => 8,
            AaCompromise => 9,
            Other(_) => 10,
        }
    );
    std::iter::once(None).chain(all.into_iter().map(Some)).collect()
}

fn ess_problems() -> Vec<EssProblem> {
    use EssProblem::*;
    all_of!(
        EssProblem,
        [Malformed, Empty, UnknownHash, HashMismatch { algorithm: DigestAlgorithm::Sha256 }, IssuerSerialMismatch, Missing],
        |p| match p {
            Malformed => 0,
            Empty => 1,
            UnknownHash => 2,
            HashMismatch { .. } => 3,
            IssuerSerialMismatch => 4,
            Missing => 5,
        }
    )
}

fn schemes() -> Vec<SignatureScheme> {
    use SignatureScheme::*;
    all_of!(
        SignatureScheme,
        [
            Ecdsa(DigestAlgorithm::Sha256),
            RsaPkcs1(DigestAlgorithm::Sha1),
            RsaPss(DigestAlgorithm::Sha384),
            RsaPssSalt { hash: DigestAlgorithm::Sha512, salt_len: 64 },
            Ed25519,
            Ed448,
        ],
        |s| match s {
            Ecdsa(_) => 0,
            RsaPkcs1(_) => 1,
            RsaPss(_) => 2,
            RsaPssSalt { .. } => 3,
            Ed25519 => 4,
            Ed448 => 5,
        }
    )
}

fn key_descriptions() -> Vec<KeyDescription> {
    use KeyDescription::*;
    all_of!(
        KeyDescription,
        [Rsa { bits: 3072 }, EcdsaP256, EcdsaP384, EcdsaP521, EcdsaBrainpoolP256, EcdsaBrainpoolP384, Ed25519, Ed448],
        |k| match k {
            Rsa { .. } => 0,
            EcdsaP256 => 1,
            EcdsaP384 => 2,
            EcdsaP521 => 3,
            EcdsaBrainpoolP256 => 4,
            EcdsaBrainpoolP384 => 5,
            Ed25519 => 6,
            Ed448 => 7,
        }
    )
}

fn key_problems() -> Vec<KeyProblem> {
    use KeyProblem::*;
    all_of!(
        KeyProblem,
        [
            RsaTooSmall { bits: 1024, minimum: 2048 },
            RsaTooLarge { bits: 32768, maximum: 16384 },
            CurveNotAllowed { curve: "1.3.132.0.10".into() },
            AlgorithmNotAllowed { algorithm: "1.2.840.10040.4.1".into() }
        ],
        |p| match p {
            RsaTooSmall { .. } => 0,
            RsaTooLarge { .. } => 1,
            CurveNotAllowed { .. } => 2,
            AlgorithmNotAllowed { .. } => 3,
        }
    )
}

fn tsa_certificate_problems() -> Vec<TsaCertificateProblem> {
    use TsaCertificateProblem::*;
    all_of!(
        TsaCertificateProblem,
        [UnreadableEku, NoEku, EkuNotCritical, NoTimeStamping, OtherPurposes, KeyUsage, IsCa],
        |p| match p {
            UnreadableEku => 0,
            NoEku => 1,
            EkuNotCritical => 2,
            NoTimeStamping => 3,
            OtherPurposes => 4,
            KeyUsage => 5,
            IsCa => 6,
        }
    )
}

fn pdf_problems() -> Vec<PdfProblem> {
    use PdfProblem::*;
    all_of!(
        PdfProblem,
        [Parse { message: "lỗi".into() }, ParserFailed, Encrypted, DamagedXref, Structure { message: "lỗi".into() }],
        |p| match p {
            Parse { .. } => 0,
            ParserFailed => 1,
            Encrypted => 2,
            DamagedXref => 3,
            Structure { .. } => 4,
        }
    )
}

fn byte_range_problems() -> Vec<ByteRangeProblem> {
    use ByteRangeProblem::*;
    all_of!(
        ByteRangeProblem,
        [NoContents, NotFourIntegers, NotFromStart, OutOfBounds, GapIsNotContents, NotAtRevisionEnd],
        |p| match p {
            NoContents => 0,
            NotFourIntegers => 1,
            NotFromStart => 2,
            OutOfBounds => 3,
            GapIsNotContents => 4,
            NotAtRevisionEnd => 5,
        }
    )
}

fn dss_problems() -> Vec<DssProblem> {
    use DssProblem::*;
    all_of!(
        DssProblem,
        [
            NotAnArray { key: "Certs" },
            TooManyEntries { key: "CRLs", ignored: 3, limit: 256 },
            NotAStream { key: "OCSPs", index: 2 },
            NotOneDerObject { key: "CRLs", index: 1 },
            Undecodable { key: "Certs", index: 4, message: "lỗi".into() },
        ],
        |p| match p {
            NotAnArray { .. } => 0,
            TooManyEntries { .. } => 1,
            NotAStream { .. } => 2,
            NotOneDerObject { .. } => 3,
            Undecodable { .. } => 4,
        }
    )
}

fn object_roles() -> Vec<ObjectRole> {
    use ObjectRole::*;
    all_of!(
        ObjectRole,
        [
            Other,
            Catalog,
            PageTree,
            Page { page: 1 },
            PageContent { page: 2 },
            PageResource { page: 3 },
            AnnotationList { page: 1 },
            Annotation { page: 1, subtype: Some("FreeText".into()) },
            AcroForm,
            FieldList,
            FormField { name: "Họ tên".into() },
            SignatureField { name: "Chữ ký Giám đốc".into(), signed: true },
            Widget { field: "Chữ ký Văn phòng".into() },
            Appearance { field: "Chữ ký Giám đốc".into() },
            SignatureValue { field: "Chữ ký Giám đốc".into() },
            Dss,
            Metadata,
            Info,
        ],
        |r| match r {
            Other => 0,
            Catalog => 1,
            PageTree => 2,
            Page { .. } => 3,
            PageContent { .. } => 4,
            PageResource { .. } => 5,
            AnnotationList { .. } => 6,
            Annotation { .. } => 7,
            AcroForm => 8,
            FieldList => 9,
            FormField { .. } => 10,
            SignatureField { .. } => 11,
            Widget { .. } => 12,
            Appearance { .. } => 13,
            SignatureValue { .. } => 14,
            Dss => 15,
            Metadata => 16,
            Info => 17,
        }
    )
}

fn pdf_changes() -> Vec<PdfChange> {
    let obj = PdfObject { number: 12, generation: 0, kind: Some("Page".into()), role: ObjectRole::Page { page: 1 } };
    let bare = PdfObject { number: 9, generation: 0, kind: None, role: ObjectRole::Other };
    use ObjectChange as C;
    let changes = all_of!(
        ObjectChange,
        [C::Keys(vec!["Contents".into(), "MediaBox".into()]), C::StreamContent, C::Annots, C::Fields, C::Array, C::Replaced, C::Unreadable, C::NotXmp, C::Structure],
        |c| match c {
            C::Keys(_) => 0,
            C::StreamContent => 1,
            C::Annots => 2,
            C::Fields => 3,
            C::Array => 4,
            C::Replaced => 5,
            C::Unreadable => 6,
            C::NotXmp => 7,
            C::Structure => 8,
        }
    );
    use PdfChange::*;
    let mut all = all_of!(
        PdfChange,
        [
            TrailingBytes { bytes: 30 },
            AcroFormChanged { keys: vec!["XFA".into()] },
            AcroFormRemoved,
            ObjectAdded(obj.clone()),
            ObjectChanged { object: obj.clone(), change: C::Array },
            ObjectDeleted(bare.clone()),
            TrailerChanged { keys: vec!["Root".into()] },
            AnnotationRemoved { page: 2, object: bare.clone() },
            FieldAdded { name: "Ghi chú".into(), field_type: Some("Tx".into()) },
            FieldRemoved { name: "Chữ ký Giám đốc".into() },
            ObjectReused { field: "Chữ ký Văn phòng".into(), object: obj.clone() },
            SignatureShared { fields: vec!["Chữ ký Giám đốc".into(), "Chữ ký Văn phòng".into()] },
            DanglingReferenceFilled(bare.clone()),
        ],
        |c| match c {
            TrailingBytes { .. } => 0,
            AcroFormChanged { .. } => 1,
            AcroFormRemoved => 2,
            ObjectAdded(_) => 3,
            ObjectChanged { .. } => 4,
            ObjectDeleted(_) => 5,
            TrailerChanged { .. } => 6,
            AnnotationRemoved { .. } => 7,
            FieldAdded { .. } => 8,
            FieldRemoved { .. } => 9,
            ObjectReused { .. } => 10,
            SignatureShared { .. } => 11,
            DanglingReferenceFilled(_) => 12,
        }
    );
    all.push(FieldAdded { name: "Ghi chú".into(), field_type: None });
    all.extend(changes.into_iter().map(|change| ObjectChanged { object: bare.clone(), change }));
    all.extend(object_roles().into_iter().map(|role| ObjectChanged { object: PdfObject { number: 14, generation: 0, kind: Some("XObject".into()), role }, change: C::StreamContent }));
    all.push(ObjectAdded(PdfObject { number: 30, generation: 0, kind: Some("Annot".into()), role: ObjectRole::Annotation { page: 0, subtype: None } }));
    all
}

fn pdf_updates() -> Vec<PdfUpdate> {
    use PdfUpdate::*;
    let mut all = all_of!(
        PdfUpdate,
        [
            SignatureAdded { field: "Chữ ký Văn phòng".into(), timestamp: false, visible: true },
            SignatureFieldAdded { field: "Chữ ký 3".into(), visible: false },
            FormFilled { field: "Họ tên".into() },
            FormResources,
            Dss,
            Metadata,
            Info,
            UnusedObjects { count: 3 },
        ],
        |u| match u {
            SignatureAdded { .. } => 0,
            SignatureFieldAdded { .. } => 1,
            FormFilled { .. } => 2,
            FormResources => 3,
            Dss => 4,
            Metadata => 5,
            Info => 6,
            UnusedObjects { .. } => 7,
        }
    );
    all.push(SignatureAdded { field: "Dấu thời gian".into(), timestamp: true, visible: false });
    all.push(SignatureFieldAdded { field: "Chữ ký 4".into(), visible: true });
    all
}

fn pdf_revisions() -> Vec<PdfRevision> {
    vec![
        PdfRevision { revision: 3, updates: pdf_updates(), changes: Vec::new() },
        PdfRevision { revision: 4, updates: vec![PdfUpdate::Dss], changes: pdf_changes() },
        PdfRevision { revision: 5, updates: Vec::new(), changes: Vec::new() },
    ]
}

fn pdf_permissions() -> Vec<PdfPermissions> {
    let levels = all_of!(MdpLevel, [MdpLevel::NoChanges, MdpLevel::FormFilling, MdpLevel::Annotations], |l| match l {
        MdpLevel::NoChanges => 0,
        MdpLevel::FormFilling => 1,
        MdpLevel::Annotations => 2,
    });
    let locks = all_of!(
        FieldLock,
        [FieldLock::All, FieldLock::Include(vec!["Họ tên".into()]), FieldLock::Exclude(vec!["Ghi chú".into(), "Ngày".into()])],
        |l| match l {
            FieldLock::All => 0,
            FieldLock::Include(_) => 1,
            FieldLock::Exclude(_) => 2,
        }
    );
    let mut v = vec![PdfPermissions::default()];
    v.extend(levels.into_iter().map(|l| PdfPermissions { certification: Some(l), lock: None }));
    v.extend(locks.into_iter().map(|l| PdfPermissions { certification: None, lock: Some(l) }));
    v.push(PdfPermissions { certification: Some(MdpLevel::FormFilling), lock: Some(FieldLock::All) });
    v
}

fn permission_violations() -> Vec<PermissionViolation> {
    use PermissionViolation::*;
    all_of!(
        PermissionViolation,
        [
            DocMdp { level: MdpLevel::NoChanges, revision: 3, update: PdfUpdate::FormFilled { field: "Họ tên".into() } },
            VisibleSignatureAfterCertification { revision: 3, field: "Chữ ký 2".into() },
            FieldLocked { revision: 4, field: "Họ tên".into() },
        ],
        |v| match v {
            DocMdp { .. } => 0,
            VisibleSignatureAfterCertification { .. } => 1,
            FieldLocked { .. } => 2,
        }
    )
}

fn analysis_problems() -> Vec<PdfAnalysisProblem> {
    use PdfAnalysisProblem::*;
    all_of!(
        PdfAnalysisProblem,
        [NotARevision, SignedRevisionUnreadable { message: "lỗi".into() }, BrokenRevisionChain { revision: 3 }, TooComplex, SignatureNotInRevision],
        |p| match p {
            NotARevision => 0,
            SignedRevisionUnreadable { .. } => 1,
            BrokenRevisionChain { .. } => 2,
            TooComplex => 3,
            SignatureNotInRevision => 4,
        }
    )
}

fn mail_problems() -> Vec<MailProblem> {
    use MailProblem::*;
    all_of!(
        MailProblem,
        [
            TooLarge { limit: 33_554_432 },
            TooManyParts { limit: 256 },
            TooManyHeaderLines { limit: 8192 },
            TooDeep { limit: 8 },
            DecodedTooLarge { limit: 67_108_864 },
            PartUndecodable { name: "công-văn.pdf".into() },
            NotAMessage,
            NotSigned { content_type: "text/plain".into() },
            Encrypted,
            UnknownProtocol { protocol: "application/pgp-signature".into() },
            PartCount { count: 3 },
            BrokenBoundary,
            SignatureUndecodable,
            NoContent,
        ],
        |p| match p {
            TooLarge { .. } => 0,
            TooManyParts { .. } => 1,
            TooManyHeaderLines { .. } => 2,
            TooDeep { .. } => 3,
            DecodedTooLarge { .. } => 4,
            PartUndecodable { .. } => 5,
            NotAMessage => 6,
            NotSigned { .. } => 7,
            Encrypted => 8,
            UnknownProtocol { .. } => 9,
            PartCount { .. } => 10,
            BrokenBoundary => 11,
            SignatureUndecodable => 12,
            NoContent => 13,
        }
    )
}

fn ocsp_problems() -> Vec<OcspProblem> {
    use OcspProblem::*;
    let statuses = all_of!(
        OcspErrorStatus,
        [
            OcspErrorStatus::MalformedRequest,
            OcspErrorStatus::InternalError,
            OcspErrorStatus::TryLater,
            OcspErrorStatus::SigRequired,
            OcspErrorStatus::Unauthorized,
            OcspErrorStatus::Other(4),
        ],
        |s| match s {
            OcspErrorStatus::MalformedRequest => 0,
            OcspErrorStatus::InternalError => 1,
            OcspErrorStatus::TryLater => 2,
            OcspErrorStatus::SigRequired => 3,
            OcspErrorStatus::Unauthorized => 4,
            OcspErrorStatus::Other(_) => 5,
        }
    );
    let mut all = all_of!(
        OcspProblem,
        [
            Malformed,
            ErrorStatus(OcspErrorStatus::TryLater),
            NotAboutCertificate,
            UnknownToResponder { responder: name("OCSP CA Tỉnh Bắc Ninh") },
            BadSignature { responder: name("OCSP CA Tỉnh Bắc Ninh") },
            AlgorithmNotAllowed { responder: name("OCSP CA Tỉnh Bắc Ninh") },
            ResponderNotAuthorised,
            ResponderNotValid { responder: name("OCSP CA Tỉnh Bắc Ninh"), produced_at: t0() },
            ResponderUnchecked { responder: name("OCSP CA Tỉnh Bắc Ninh") },
            Stale { responder: name("OCSP CA Tỉnh Bắc Ninh"), next_update: t0() },
            NonceMismatch,
            UnknownCriticalExtension { oid: "1.2.3.4".into() },
            Budget,
        ],
        |p| match p {
            Malformed => 0,
            ErrorStatus(_) => 1,
            NotAboutCertificate => 2,
            UnknownToResponder { .. } => 3,
            BadSignature { .. } => 4,
            AlgorithmNotAllowed { .. } => 5,
            ResponderNotAuthorised => 6,
            ResponderNotValid { .. } => 7,
            ResponderUnchecked { .. } => 8,
            Stale { .. } => 9,
            NonceMismatch => 10,
            UnknownCriticalExtension { .. } => 11,
            Budget => 12,
        }
    );
    all.extend(statuses.into_iter().map(ErrorStatus));
    all
}

fn fetches() -> Vec<Fetch> {
    use FetchFailure::*;
    let failures = all_of!(
        FetchFailure,
        [
            Offline,
            NotHttp,
            Connect { message: "Connection refused (os error 111)".into() },
            Timeout { seconds: 10 },
            HttpStatus { code: 404 },
            TooLarge { limit: 1_048_576 },
            Protocol { message: "not an HTTP answer".into() },
            Budget,
        ],
        |f| match f {
            Offline => 0,
            NotHttp => 1,
            Connect { .. } => 2,
            Timeout { .. } => 3,
            HttpStatus { .. } => 4,
            TooLarge { .. } => 5,
            Protocol { .. } => 6,
            Budget => 7,
        }
    );
    let url = "http://ca.bacninh.example/ocsp".to_string();
    let mut v = vec![
        Fetch { url: url.clone(), kind: FetchKind::Ocsp, outcome: FetchOutcome::Received { bytes: 1500, cached: false } },
        Fetch { url: "http://ca.bacninh.example/ca/crl".into(), kind: FetchKind::Crl, outcome: FetchOutcome::Received { bytes: 400, cached: true } },
    ];
    v.extend(failures.into_iter().map(|f| Fetch { url: url.clone(), kind: FetchKind::Ocsp, outcome: FetchOutcome::Failed(f) }));
    v
}

fn unknown() -> Vec<UnknownStatus> {
    vec![
        UnknownStatus::new(name("Nguyễn Văn An"), crl_problems()),
        UnknownStatus::new(name("CA Tỉnh Bắc Ninh"), Vec::new()),
    ]
}

/// One or more samples of every finding variant, with every variant of the enums they carry.
fn samples() -> Vec<Finding> {
    use Finding::*;
    let mut v = vec![
        DocumentUnreadable(io(std::io::ErrorKind::NotFound)),
        DocumentUnreadable(io(std::io::ErrorKind::PermissionDenied)),
        DocumentUnreadable(io(std::io::ErrorKind::IsADirectory)),
        DocumentUnreadable(io(std::io::ErrorKind::UnexpectedEof)),
        DocumentUnreadable(io(std::io::ErrorKind::InvalidData)),
        DocumentUnreadable(io(std::io::ErrorKind::OutOfMemory)),
        DocumentUnreadable(io(std::io::ErrorKind::Other)),
        SignatureFileUnreadable { path: "cong-van.pdf.p7s".into(), error: io(std::io::ErrorKind::NotFound) },
        SignatureMissing { signature: "cong-van.pdf.p7s".into() },
        DocumentMissing { document: "cong-van.pdf".into() },
        EContentTypeNotData { econtent_type: crate::alg::oid::CT_TST_INFO },
        EmbeddedContentDiffers,
        DuplicateSignerInfo,
        NoSignerInfo,
        PdfNoSignature,
        SignerInfoParses,
        DigestAlgorithmNotListed,
        NoSignedAttributes,
        AttributeRepeated,
        SigningTimeMalformed,
        SignerCertificateFound { subject: name("Trần Thị Bình") },
        SignerCertificateNotFound,
        ContentTypeMatches { content_type: crate::alg::oid::CT_DATA },
        ContentTypeMatches { content_type: crate::alg::oid::CT_TST_INFO },
        ContentTypeMismatch { expected: crate::alg::oid::CT_DATA, found: Some(crate::alg::oid::CT_TST_INFO) },
        ContentTypeMismatch { expected: crate::alg::oid::CT_DATA, found: None },
        ContentTypeMissing,
        MessageDigestMissing,
        MessageDigestNotOctetString,
        DigestAlgorithmUnknown,
        DigestMatches { algorithm: DigestAlgorithm::Sha256 },
        DigestMismatch { algorithm: DigestAlgorithm::Sha384, computed: vec![0xab; 4], signed: vec![0xcd; 4] },
        DocumentDigestUnavailable,
        SignatureAlgorithmUnsupported,
        SignatureInvalid,
        Sha1NotAllowed,
        Sha1AcceptedLegacy,
        LegacySha1Signature,
        NoSigningCertificateAttribute,
        SigningCertificateUnbound,
        SigningTimeOutsideValidity,
        NoSigningTime,
        AttachedContentEqual,
        CertificateUnparseable,
        PathFound { length: 3, anchor: name("Root CA Tỉnh Bắc Ninh") },
        ValidPolicies { policies: None },
        ValidPolicies { policies: Some(Vec::new()) },
        ValidPolicies { policies: Some(vec![const_oid::ObjectIdentifier::new_unwrap("2.16.704.1.2.3")]) },
        KeyUsageMalformed,
        KeyCertSignInEndEntity,
        NameConstraintsInEndEntity,
        PurposeAny,
        SignerIsCa,
        NoKeyUsage,
        KeyUsageInsufficient { bits: vec![KeyUsageBit::KeyEncipherment] },
        KeyUsageInsufficient { bits: Vec::new() },
        EkuNotDocumentSigning,
        SignerKeyUsageOk { bits: vec![KeyUsageBit::DigitalSignature, KeyUsageBit::NonRepudiation], eku: true },
        SignerKeyUsageOk { bits: vec![KeyUsageBit::NonRepudiation], eku: false },
        LeafLacksEku { eku: crate::alg::oid::KP_DOCUMENT_SIGNING },
        RequiredUsagePresent,
        LegacyNonRepudiationOnly,
        LegacySha1Certificate { subject: name("CA cũ") },
        CertificateValid { not_before: t0(), not_after: t1() },
        CertificateExpired { at: t1(), not_before: t0(), not_after: t0() },
        CertificateNotYetValid { at: t0(), not_before: t1(), not_after: t1() },
        RevocationOff,
        NotRevoked { subjects: vec![name("Nguyễn Văn An"), name("CA Tỉnh Bắc Ninh")] },
        RevocationUnknown { certificates: unknown() },
        RevocationUnknown { certificates: Vec::new() },
        RevocationNotChecked { certificates: unknown() },
        RevocationUnknown {
            certificates: vec![{
                let mut u = UnknownStatus::new(name("Nguyễn Văn An"), vec![CrlProblem::NoCrl]);
                u.ocsp = ocsp_problems();
                u.fetches = fetches();
                u.issuer = Some(name("CA Tỉnh Bắc Ninh"));
                u.crl_urls = vec!["http://ca.bacninh.example/ca/crl".into()];
                u.ocsp_urls = vec!["http://ca.bacninh.example/ocsp".into()];
                u
            }],
        },
        StatusFrom { subject: name("Nguyễn Văn An"), source: StatusSource::Crl { issuer: name("CA Tỉnh Bắc Ninh") } },
        StatusFrom { subject: name("Nguyễn Văn An"), source: StatusSource::Ocsp { responder: name("OCSP CA Tỉnh Bắc Ninh"), produced_at: t0() } },
        TsaRevocationUnknown { certificates: unknown() },
        CoveredByDocumentTimestamp { field: "Dấu thời gian 1".into(), tsa: Some(name("TSA Tỉnh Bắc Ninh")), time: t0() },
        CoveredByDocumentTimestamp { field: "Dấu thời gian 2".into(), tsa: None, time: t0() },
        TokenTooLarge { limit: 262_144 },
        TokenSignerCount { count: 2 },
        NonceMismatch,
        GenTimeOutsideValidity { gen_time: t1(), not_before: t0(), not_after: t0() },
        NoTsaTrustAnchor,
        DocumentTimestampValid {
            time: t0(),
            tsa: name("TSA Tỉnh Bắc Ninh"),
            serial: "0a1b".into(),
            algorithm: DigestAlgorithm::Sha256,
            chain: vec![name("TSA Tỉnh Bắc Ninh"), name("Root CA Tỉnh Bắc Ninh")],
        },
        DocumentTimestampInvalid(Box::new(ImprintMismatch { part: ImprintPart::Hash })),
        ImprintAlgorithmUnsupported { oid: const_oid::ObjectIdentifier::new_unwrap("1.2.3.4") },
        ImprintSha1Refused,
        PdfSubFilterUnsupported { sub_filter: "adbe.x509.rsa_sha1".into() },
        PdfByteRangeOk { range: [0, 1000, 9000, 200], revision: 2, count: 3 },
        PdfSignatureField { field: "Chữ ký Giám đốc".into(), revision: 2, count: 3, whole: true },
        PdfSignatureField { field: "Chữ ký Văn phòng".into(), revision: 2, count: 3, whole: false },
        PdfSubFilter { sub_filter: "ETSI.CAdES.detached".into() },
        PdfSignerInfoCount { count: 2 },
        PdfDss { certificates: 4, crls: 2, ocsps: 0 },
        PdfDss { certificates: 4, crls: 2, ocsps: 1 },
        DssBudget { certificates: 64, crls: 32 },
        PdfCoversWholeFile,
        PdfOnlySignaturesAndForms,
        PdfChanged { changes: pdf_changes() },
        PdfUnexplainedBytes { bytes: 42 },
        PdfContentsTrailingBytes { bytes: 275 },
        PdfLaterRevisions { revisions: pdf_revisions() },
        PdfPermissionsViolated { violations: permission_violations() },
        Pkcs7WithoutSignedAttributes,
        SignedAttributesNotDer { signed_form: SignedAttributesForm::AsReceived },
        SignedAttributesNotDer { signed_form: SignedAttributesForm::DerSorted },
        EdDsaOverContentUnsupported { scheme: SignatureScheme::Ed25519 },
        EdDsaOverContentUnsupported { scheme: SignatureScheme::Ed448 },
        LegacyRsaKey { bits: 1024, strict_minimum: 2048 },
        DigestNotAllowedWithScheme { digest: DigestAlgorithm::Sha256, scheme: SignatureScheme::Ed448 },
        PdfEncrypted(PdfEncryption::EmptyUserPassword),
        PdfEncrypted(PdfEncryption::Opaque),
        MailFromMatches { address: "vanthu@soyte.bacninh.gov.vn".into() },
        MailFromMismatch { from: vec!["giamdoc@soyte.bacninh.gov.vn".into()], certificate: vec!["vanthu@soyte.bacninh.gov.vn".into()] },
        MailFromMismatch { from: vec!["giamdoc@soyte.bacninh.gov.vn".into()], certificate: Vec::new() },
        MailFromMissing,
        MailCertificateNoAddress { from: vec!["vanthu@soyte.bacninh.gov.vn".into()] },
        MailHeadersProtected { headers: vec!["From".into(), "To".into(), "Subject".into(), "Date".into()] },
        MailHeaderChanged { header: "Subject".into(), signed: "Giấy mời họp".into(), shown: "Giấy mời họp khẩn".into() },
        MailHeaderChanged { header: "Cc".into(), signed: String::new(), shown: "ketoan@soyte.bacninh.gov.vn".into() },
        MailHeaderChanged { header: "Date".into(), signed: "Mon, 30 Nov 2026 09:00:00 +0700".into(), shown: String::new() },
        MailHeadersNotProtected { headers: vec!["Subject".into(), "To".into()] },
        MailLineEndingsConverted,
        MailAttachmentUnsigned { name: "ảnh-hiện-trường.jpg".into() },
        MailSignatureWithoutDocument { name: "công-văn.pdf.p7s".into() },
    ];
    v.extend(analysis_problems().into_iter().map(PdfChangesUnknown));
    v.extend(pdf_permissions().into_iter().map(PdfPermissions));
    v.extend(mail_problems().into_iter().map(MailMalformed));
    for element in elements() {
        for kind in format_kinds() {
            v.push(Malformed(FormatProblem::new(element, kind)));
        }
    }
    v.push(TimestampAttributeUnreadable(FormatProblem::new(Element::UnsignedAttributes, FormatKind::TooMany { limit: 4 })));
    v.extend(pdf_problems().into_iter().map(PdfUnreadable));
    for scheme in schemes() {
        v.push(SignatureVerifies { scheme });
        v.push(SchemeUnsupportedWithKey { scheme });
        v.push(AlgorithmAllowed { scheme });
    }
    for version in [EssVersion::V1, EssVersion::V2] {
        v.push(SigningCertificateMatches { version });
        for problem in ess_problems() {
            v.push(SigningCertificateProblem { version, problem });
        }
    }
    for source in [EvidenceSource::Signature, EvidenceSource::Dss] {
        for problem in crl_problems() {
            v.push(CrlIgnored { source, problem });
        }
    }
    for p in path_problems() {
        v.push(PathFailed(p.clone()));
        v.push(TsaUntrusted(p));
    }
    for bit in KeyUsageBit::ALL {
        v.push(LeafLacksKeyUsage { bit });
    }
    v.extend(key_descriptions().into_iter().map(CertificateKey));
    v.extend(key_problems().into_iter().map(CertificateKeyRejected));
    for reason in reasons() {
        for poe in [None, Some(PoeJudgement { time: t0(), accepted: true }), Some(PoeJudgement { time: t0(), accepted: false })] {
            v.push(Revoked { subject: name("Nguyễn Văn An"), date: t1(), reason, poe });
        }
        v.push(RevokedAfterPoeAccepted { date: t1(), reason, poe: t0() });
        v.push(TimestampNotUsed(TimestampRejection::TsaRevokedBefore { date: t0(), reason }));
        v.push(TimestampNotUsed(TimestampRejection::TsaRevokedCompromise { date: t1(), reason }));
        v.push(SignatureTimestampValid {
            time: t0(),
            tsa: name("TSA Tỉnh Bắc Ninh"),
            serial: "01".into(),
            chain: vec![name("TSA Tỉnh Bắc Ninh"), name("Root CA Tỉnh Bắc Ninh")],
            tsa_revocation: TsaRevocation::RevokedLater { date: t1(), reason },
        });
    }
    for tsa_revocation in [TsaRevocation::NotChecked, TsaRevocation::Good, TsaRevocation::Unknown] {
        v.push(SignatureTimestampValid { time: t0(), tsa: name("TSA"), serial: "02".into(), chain: vec![name("TSA")], tsa_revocation });
    }
    v.push(TimestampNotUsed(TimestampRejection::Token(Box::new(SignatureInvalid))));
    for part in [ImprintPart::Algorithm, ImprintPart::Parameters, ImprintPart::Hash] {
        v.push(ImprintMismatch { part });
    }
    v.extend(tsa_certificate_problems().into_iter().map(NotATsaCertificate));
    v.extend(byte_range_problems().into_iter().map(PdfByteRange));
    v.extend(dss_problems().into_iter().map(DssPartIgnored));
    v.extend(fetches().into_iter().map(|fetch| RevocationFetched { subject: name("Nguyễn Văn An"), fetch }));
    v
}

/// The lower-case words of a text (runs of letters; hyphenated and camel-case identifiers such
/// as `id-data` or `keyUsage` are kept whole and so never count as English words).
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | ':' | '(' | ')' | '"' | '/' | '[' | ']' | '→' | '—' | '='))
        .map(|w| w.trim_matches(|c: char| matches!(c, '.' | '\'' | '?' | '!')))
        .filter(|w| w.len() >= 2 && w.chars().all(|c| c.is_ascii_lowercase()))
        // hex digests and serial numbers are data, not words
        .filter(|w| !(w.len() >= 4 && w.chars().all(|c| c.is_ascii_hexdigit())))
        .map(str::to_string)
        .collect()
}

/// Words that are technical terms in both languages (PDF object names, RFC identifiers written
/// as plain words, units) and may appear in Vietnamese text.
const TECHNICAL: &[&str] = &[
    "stream", "salt", "unspecified", "superseded", "nonce", "bit", "byte", "id", "data", "detached", "adbe", "pkcs7", "rsa", "kyso", "tag",
    "token", "strict", "legacy", "delta", "critical", "elliptic",
    // Vietnamese words spelled like English ones ("do" = by)
    "do",
];

/// The words of the sample data (names, field names, messages): the quoted strings of a
/// finding's `Debug` form.
fn data_words(f: &Finding) -> Vec<String> {
    let debug = format!("{f:?}");
    debug.split('"').skip(1).step_by(2).flat_map(words).collect()
}

#[test]
fn every_finding_renders_in_both_languages_without_english_in_vietnamese() {
    let samples = samples();
    let covered: BTreeSet<usize> = samples.iter().map(finding_index).collect();
    let missing: Vec<usize> = (0..FINDING_VARIANTS).filter(|i| !covered.contains(i)).collect();
    assert!(missing.is_empty(), "finding variants without a sample (indices): {missing:?}");
    assert_eq!(covered.iter().max().map(|m| m + 1), Some(FINDING_VARIANTS), "FINDING_VARIANTS is out of date");

    let signer = name("Nguyễn Văn An");
    // The English vocabulary: every lower-case word the English templates write.
    let mut english: BTreeSet<String> = BTreeSet::new();
    for f in &samples {
        for ctx in [Ctx::JSON, Ctx::human(Lang::En, Some(&signer))] {
            english.extend(words(&ctx.finding(f)));
        }
    }
    let data: BTreeSet<String> = samples.iter().flat_map(data_words).collect();
    english.retain(|w| !TECHNICAL.contains(&w.as_str()) && !data.contains(w));
    assert!(english.len() > 150, "the English vocabulary looks too small: {}", english.len());
    let mut leaks = Vec::new();
    for f in &samples {
        let en = Ctx::human(Lang::En, Some(&signer)).finding(f);
        let vi = Ctx::human(Lang::Vi, Some(&signer)).finding(f);
        let json = f.to_string();
        for text in [&en, &vi, &json] {
            assert!(!text.is_empty() && !text.contains('\n'), "{f:?}: {text:?}");
        }
        // A finding that is only an identifier (a /SubFilter value) reads the same in both.
        if !words(&en).is_empty() {
            assert_ne!(en, vi, "{f:?} is not translated");
        }
        let english_words: Vec<String> = words(&vi).into_iter().filter(|w| english.contains(w)).collect();
        if !english_words.is_empty() {
            leaks.push(format!("{}: {vi}  ← {english_words:?}", f.code()));
        }
    }
    assert!(leaks.is_empty(), "English in the Vietnamese report:\n{}", leaks.join("\n"));
}

#[test]
fn the_leak_check_catches_an_english_template() {
    // The check itself can fail: an English sentence among Vietnamese ones is found.
    let english: BTreeSet<String> = words("the signature value does not verify").into_iter().collect();
    let leak: Vec<String> = words("chữ ký: the signature value does not verify").into_iter().filter(|w| english.contains(w)).collect();
    assert_eq!(leak, ["the", "signature", "value", "does", "not", "verify"]);
    assert!(words("keyUsage id-data signing-certificate-v2 (superseded)").iter().all(|w| !english.contains(w)));
}

#[test]
fn json_details_keep_utc_times_and_full_names() {
    let f = Finding::Revoked { subject: name("Nguyễn Văn An"), date: t0(), reason: Some(CrlReason::KeyCompromise), poe: None };
    assert_eq!(
        f.to_string(),
        "C=VN, O=Sở Thông tin và Truyền thông tỉnh Bắc Ninh, CN=Nguyễn Văn An was revoked at 2026-11-30T06:30:27Z, reason code 1"
    );
    let signer = name("Nguyễn Văn An");
    assert_eq!(
        Ctx::human(Lang::Vi, Some(&signer)).finding(&f),
        "bị thu hồi lúc 30/11/2026 13:30:27 (+07:00), lý do: lộ khóa bí mật (keyCompromise)"
    );
    assert_eq!(
        Ctx::human(Lang::En, None).finding(&f),
        "the certificate of Nguyễn Văn An (in the chain) was revoked at 2026-11-30 13:30:27 +07:00, reason: keyCompromise"
    );
}

/// Issue 18, finding 6: two signatures of a detached `.p7s` made in the same second, the
/// agency's first in the file (the SignerInfos are a DER SET, sorted by their bytes): the
/// report lists the person's first, as Decree 30 orders them and as "listed by signing time"
/// promises; a PDF keeps its revisions' order.
#[test]
fn finding_6_same_second_signatures_are_listed_person_then_agency() {
    use super::{render_run_with, DocumentReport, RenderOptions, RunReport, SignatureReport, Signer};
    let agency_name = "Sở Y tế tỉnh Bắc Ninh";
    let agency = Name {
        dn: format!("C=VN, O={agency_name}, CN={agency_name}"),
        parts: NameParts { common_name: Some(agency_name.into()), organization: Some(agency_name.into()), ..NameParts::default() },
    };
    let person = Name {
        dn: format!("C=VN, O={agency_name}, T=Giám đốc, CN=Trần Thị Bình"),
        parts: NameParts {
            common_name: Some("Trần Thị Bình".into()),
            title: Some("Giám đốc".into()),
            organization: Some(agency_name.into()),
            ..NameParts::default()
        },
    };
    let sig = |subject: &Name| {
        let mut s = SignatureReport::new(Indication::TotalPassed, None);
        s.signer = Some(Signer { subject: subject.clone(), serial: "01".into(), issuer: name("CA Tỉnh Bắc Ninh") });
        s.signing_time = Some(t0());
        s
    };
    let doc = |pdf: bool| {
        let mut d = DocumentReport::failed("cong-van.txt".into(), None, SubIndication::FormatFailure, Finding::NoSignerInfo);
        d.detail = None;
        d.signatures = vec![sig(&agency), sig(&person)];
        if pdf {
            for (i, s) in d.signatures.iter_mut().enumerate() {
                s.pdf = Some(super::PdfFacts {
                    field_name: format!("Signature{}", i + 1),
                    revision: i + 1,
                    revision_count: 2,
                    covers_whole_document: i == 1,
                    modifications: "none",
                    sub_filter: Some("ETSI.CAdES.detached".into()),
                });
            }
        }
        d.summarise();
        d
    };
    let text = render_run_with(&RunReport::new(vec![doc(false)]), &RenderOptions::new(Lang::Vi));
    let (p, a) = (text.find("Trần Thị Bình"), text.find(&format!("{agency_name} (")).or(text.rfind(agency_name)));
    assert!(p.is_some() && a.is_some() && p < text.find("Chữ ký 2/2"), "{text}");
    assert!(text.contains("liệt kê theo thời điểm ký"), "{text}");
    // a PDF: the revisions' order stands
    let text = render_run_with(&RunReport::new(vec![doc(true)]), &RenderOptions::new(Lang::Vi));
    assert!(text.find("Trần Thị Bình") > text.find("Chữ ký 2/2"), "{text}");
}
