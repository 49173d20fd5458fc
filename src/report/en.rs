//! The English rendering of findings: for the JSON `detail` (RFC 3339 UTC times, full
//! distinguished names) and for the human report (Vietnam time, short names).

use super::text::{clean, Ctx};
use crate::findings::*;

/// A finding in English.
pub(crate) fn finding(f: &Finding, c: &Ctx<'_>) -> String {
    use Finding::*;
    match f {
        DocumentUnreadable(e) => format!("cannot read the document: {}", clean(&e.message)),
        SignatureMissing { signature } => format!("the document has no signature: {} does not exist", clean(signature)),
        DocumentMissing { document } => format!("the document of this signature, {}, does not exist", clean(document)),
        SignatureFileUnreadable { path, error } => format!("cannot read the signature file {}: {}", clean(path), clean(&error.message)),
        Malformed(p) => format_problem(p),
        EContentTypeNotData { econtent_type } => {
            format!("the encapsulated content type {} is not id-data: signed attributes are then required (RFC 5652 §5.3)", oid_name(econtent_type))
        }
        EmbeddedContentDiffers => "the signature file embeds content that differs from the document".into(),
        DuplicateSignerInfo => "the signature file holds the same SignerInfo twice".into(),
        NoSignerInfo => "the signature file holds no SignerInfo".into(),
        PdfNoSignature => "the PDF has no signature".into(),
        PdfUnreadable(p) => pdf_problem(p),

        SignerInfoParses => "SignerInfo and signed attributes parse".into(),
        DigestAlgorithmNotListed => "the SignerInfo's digest algorithm is not listed in SignedData digestAlgorithms".into(),
        NoSignedAttributes => "no signed attributes (CAdES requires content-type and message-digest)".into(),
        Pkcs7WithoutSignedAttributes => {
            "PKCS#7 signature without signed attributes, verified over the document: not CAdES (no signed signing time, no signed link to the signer certificate)".into()
        }
        SignedAttributesNotDer { signed_form } => match signed_form {
            SignedAttributesForm::AsReceived => {
                "the signed attributes are not in DER order; the signature covers them in the order sent (RFC 5652 §5.4 signs their DER form)".into()
            }
            SignedAttributesForm::DerSorted => {
                "the signed attributes were sent out of DER order; the signature covers their DER (sorted) form, as RFC 5652 §5.4 requires".into()
            }
        },
        EdDsaOverContentUnsupported { scheme } => format!(
            "{} without signed attributes signs the whole document, which kyso does not keep in memory (only its digests): not verified",
            scheme_name(*scheme)
        ),
        AttributeRepeated => "a CMS signed attribute is repeated or multi-valued".into(),
        SigningTimeMalformed => "the signing-time attribute is malformed".into(),
        SignerCertificateFound { subject } => format!("found: {}", c.name(subject)),
        SignerCertificateNotFound => "no certificate in the signature file or among the extra certificates matches the SignerInfo's sid".into(),
        ContentTypeMatches { content_type } => oid_name(content_type),
        ContentTypeMismatch { expected, found } => match found {
            Some(o) => format!("the content-type attribute is {}, not {}", oid_name(o), oid_name(expected)),
            None => format!("the content-type attribute is not an OID (expected {})", oid_name(expected)),
        },
        ContentTypeMissing => "the content-type signed attribute is missing".into(),
        MessageDigestMissing => "the message-digest signed attribute is missing".into(),
        MessageDigestNotOctetString => "the message-digest attribute is not an OCTET STRING".into(),
        DigestAlgorithmUnknown => "unknown digest algorithm".into(),
        DigestMatches { algorithm } => format!("{algorithm} of the document matches"),
        DigestMismatch { algorithm, computed, signed } => {
            format!("{algorithm} of the document is {}, the signature says {}", hex::encode(computed), hex::encode(signed))
        }
        DocumentDigestUnavailable => "document digest unavailable".into(),
        SignatureAlgorithmUnsupported => "unsupported signature algorithm".into(),
        SignatureVerifies { scheme } => format!("{} signature verifies", scheme_name(*scheme)),
        SignatureInvalid => "the signature value does not verify with the signer certificate's key".into(),
        SchemeUnsupportedWithKey { scheme } => format!("{} is not supported with this key", scheme_name(*scheme)),
        AlgorithmAllowed { scheme } => format!("{} allowed", scheme_name(*scheme)),
        Sha1NotAllowed => "SHA-1 is not allowed by the strict policy (the legacy policy accepts it for old documents)".into(),
        DigestNotAllowedWithScheme { digest, scheme } => {
            format!("{} requires another digest than {digest} for the signed data (RFC 8419)", scheme_name(*scheme))
        }
        Sha1AcceptedLegacy => "SHA-1 accepted by the legacy policy".into(),
        LegacySha1Signature => "legacy policy: the signature uses SHA-1".into(),
        NoSigningCertificateAttribute => "no signing-certificate attribute".into(),
        SigningCertificateUnbound => "no signing-certificate attribute: the signature does not bind its certificate (not CAdES)".into(),
        SigningCertificateMatches { version } => format!("{} matches the signer certificate", ess_name(*version, true)),
        SigningCertificateProblem { version, problem } => {
            let name = ess_name(*version, false);
            match problem {
                EssProblem::Malformed => format!("malformed {name} attribute"),
                EssProblem::Empty => format!("the {name} attribute lists no certificate"),
                EssProblem::UnknownHash => format!("the {name} attribute uses an unknown or refused hash algorithm"),
                EssProblem::HashMismatch { algorithm } => {
                    format!("the {name} attribute's {algorithm} hash does not match the signer certificate (certificate substitution?)")
                }
                EssProblem::IssuerSerialMismatch => format!("the {name} attribute names another issuer or serial number than the signer certificate"),
                EssProblem::Missing => "the signing-certificate attribute is missing (RFC 3161 requires it in a timestamp token)".into(),
            }
        }
        SigningTimeOutsideValidity => "the signing time lies outside the certificate's validity period".into(),
        NoSigningTime => "no signing-time attribute".into(),
        AttachedContentEqual => "the signature file also embeds the document (attached signature); it equals the given document".into(),
        CrlIgnored { source, problem } => match source {
            EvidenceSource::Signature => format!("an embedded CRL was ignored: {}", crl_problem(problem, c)),
            EvidenceSource::Dss => format!("a CRL of the document's /DSS was ignored: {}", crl_problem(problem, c)),
        },

        CertificateUnparseable => "the certificate does not parse".into(),
        PathFailed(p) => path_problem(p, c),
        PathFound { length, anchor } => format!("path of {length} certificate(s) to the trust anchor {}", c.name(anchor)),
        ValidPolicies { policies } => match policies {
            None => "valid policies: any policy".into(),
            Some(v) if v.is_empty() => "valid policies: none (no explicit policy required)".into(),
            Some(v) => format!("valid policies: {}", v.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", ")),
        },
        KeyUsageMalformed => "malformed keyUsage extension".into(),
        KeyCertSignInEndEntity => "keyCertSign in a certificate that is not a CA (RFC 5280 §4.2.1.3)".into(),
        NameConstraintsInEndEntity => "nameConstraints in a certificate that is not a CA (RFC 5280 §4.2.1.10)".into(),
        PurposeAny => "purpose any: no key usage or EKU imposed".into(),
        SignerIsCa => "the signer certificate is a CA certificate (basicConstraints cA=TRUE)".into(),
        NoKeyUsage => "the signer certificate has no keyUsage extension (digitalSignature or nonRepudiation needed)".into(),
        KeyUsageInsufficient { bits } => format!("keyUsage {} has neither digitalSignature nor nonRepudiation", bit_list(bits)),
        EkuNotDocumentSigning => "the extendedKeyUsage allows neither documentSigning nor emailProtection".into(),
        SignerKeyUsageOk { bits, eku } => {
            format!("end-entity certificate, keyUsage {}{}", bit_list(bits), if *eku { ", EKU allows document signing" } else { "" })
        }
        LeafLacksEku { eku } => format!("the leaf lacks the required EKU {eku}"),
        LeafLacksKeyUsage { bit } => format!("the leaf lacks key usage {}", bit.asn1_name()),
        RequiredUsagePresent => "the required key usage and EKU are present".into(),
        LegacyNonRepudiationOnly => "legacy policy: the signer certificate has nonRepudiation only (no digitalSignature)".into(),
        LegacyRsaKey { bits, strict_minimum } => {
            format!("legacy policy: RSA key of {bits} bits accepted (the strict policy requires {strict_minimum})")
        }
        CertificateKey(k) => format!("certificate key: {}", key_description(k)),
        CertificateKeyRejected(p) => format!("certificate key: {}", key_problem(p)),
        LegacySha1Certificate { subject } => format!("legacy policy: the certificate of {} is signed with SHA-1", c.name(subject)),
        CertificateValid { not_before, not_after } => format!("valid {}", c.period(*not_before, *not_after)),
        CertificateExpired { at, not_before, not_after } => {
            format!("expired at {} (valid {})", c.time(*at), c.period(*not_before, *not_after))
        }
        CertificateNotYetValid { at, not_before, not_after } => {
            format!("not yet valid at {} (valid {})", c.time(*at), c.period(*not_before, *not_after))
        }

        RevocationOff => "revocation checking is off".into(),
        NotRevoked { subjects } => subjects.iter().map(|s| format!("{}: not revoked", c.name(s))).collect::<Vec<_>>().join("; "),
        Revoked { subject, date, reason, poe } => {
            let mut s = if c.human {
                revocation_sentence(subject, *date, *reason, c)
            } else {
                let code = reason.map(|r| format!(", reason code {}", r.code())).unwrap_or_default();
                format!("{} was revoked at {}{code}", c.name(subject), c.time(*date))
            };
            if let Some(p) = poe {
                let name = reason_name(*reason);
                if p.accepted {
                    s.push_str(&format!(
                        " — after the proven existence time {} (reason {name}): the signature existed before the revocation",
                        c.time(p.time)
                    ));
                } else {
                    s.push_str(&format!(
                        " — after the signature timestamp {}, but the reason {name} does not allow the proof-of-existence exception (the compromise may predate the revocation)",
                        c.time(p.time)
                    ));
                }
            }
            s
        }
        RevocationUnknown { certificates } => unknown_list(certificates, c),
        RevocationNotChecked { certificates } => format!("revocation not checked: {}", unknown_list(certificates, c)),
        RevocationFetched { subject, fetch } => format!("for {}: {}", c.name(subject), fetch_text(fetch)),
        StatusFrom { subject, source } => match source {
            StatusSource::Crl { issuer } => format!("status of {} from the CRL of {}", c.name(subject), c.name(issuer)),
            StatusSource::Ocsp { responder, produced_at } => {
                format!("status of {} from the OCSP responder {} (answer of {})", c.name(subject), c.name(responder), c.time(*produced_at))
            }
        },

        TimestampAttributeUnreadable(p) => format!("the signature timestamp attribute cannot be read: {}", format_problem(p)),
        SignatureTimestampValid { time, tsa, serial, chain, tsa_revocation } => {
            let mut s = format!(
                "signature timestamp {} by {} (serial {}) verifies over this signature; TSA chain: {}",
                c.time(*time),
                c.name(tsa),
                clean(serial),
                chain.iter().map(|n| c.name(n)).collect::<Vec<_>>().join(" → ")
            );
            match tsa_revocation {
                TsaRevocation::NotChecked => {}
                TsaRevocation::Good => s.push_str("; the TSA certificate is not revoked"),
                TsaRevocation::Unknown => s.push_str("; the TSA certificate's revocation status is unknown"),
                TsaRevocation::RevokedLater { date, reason } => s.push_str(&format!(
                    "; the TSA certificate was revoked later, at {} ({}), which does not affect earlier timestamps",
                    c.time(*date),
                    reason_name(*reason)
                )),
            }
            s
        }
        TimestampNotUsed(r) => format!("signature timestamp not used as proof of existence: {}", rejection(r, c)),
        TsaRevocationUnknown { certificates } => {
            format!("the TSA certificate's revocation could not be checked: {}", unknown_list(certificates, c))
        }
        CoveredByDocumentTimestamp { field, tsa, time } => format!(
            "the signature is covered by the document timestamp {:?} by {}: it existed at {}",
            clean(field),
            tsa.as_ref().map(|t| c.name(t)).unwrap_or_else(|| "an unknown TSA".into()),
            c.time(*time)
        ),
        RevokedAfterPoeAccepted { date, reason, poe } => format!(
            "the certificate was revoked at {} ({}), after the signature timestamp {}: accepted with the timestamp as proof of existence",
            c.time(*date),
            reason_name(*reason),
            c.time(*poe)
        ),
        TokenTooLarge { limit } => format!("the timestamp token is larger than {limit} bytes"),
        TokenSignerCount { count } => format!("the timestamp token holds {count} SignerInfos; a token has exactly one (RFC 3161 §2.4.2)"),
        ImprintMismatch { part } => format!(
            "the token's message imprint does not match the data ({})",
            match part {
                ImprintPart::Algorithm => "another hash algorithm",
                ImprintPart::Parameters => "unexpected hash algorithm parameters",
                ImprintPart::Hash => "the hash differs",
            }
        ),
        NonceMismatch => "the token's nonce does not match the request".into(),
        NotATsaCertificate(p) => format!("not a timestamping certificate: {}", tsa_certificate_problem(*p)),
        GenTimeOutsideValidity { gen_time, not_before, not_after } => format!(
            "the token's time {} is outside the TSA certificate's validity ({} to {})",
            c.time(*gen_time),
            c.time(*not_before),
            c.time(*not_after)
        ),
        TsaUntrusted(p) => format!("the TSA certificate is not trusted: {}", path_problem(p, c)),
        NoTsaTrustAnchor => "no trust anchor was given for the TSA".into(),
        DocumentTimestampValid { time, tsa, serial, algorithm, chain } => format!(
            "document timestamp {} by {} (serial {}) over the signed byte ranges ({}); TSA chain: {}",
            c.time(*time),
            c.name(tsa),
            clean(serial),
            algorithm.name(),
            chain.iter().map(|n| c.name(n)).collect::<Vec<_>>().join(" → ")
        ),
        DocumentTimestampInvalid(inner) => format!("the document timestamp does not verify: {}", finding(inner, c)),
        ImprintAlgorithmUnsupported { oid } => format!("the imprint's hash algorithm {oid} is not supported"),
        ImprintSha1Refused => "the imprint uses SHA-1, refused by the strict policy".into(),

        PdfSubFilterUnsupported { sub_filter } => format!(
            "/SubFilter {} is not supported (kyso verifies ETSI.CAdES.detached, adbe.pkcs7.detached and ETSI.RFC3161)",
            clean(sub_filter)
        ),
        PdfByteRange(p) => byte_range_problem(p),
        PdfByteRangeOk { range, revision, count } => {
            format!("/ByteRange {range:?} signs revision {revision} of {count} without its /Contents")
        }
        PdfSignatureField { field, revision, count, whole } => format!(
            "field {:?}, revision {revision} of {count}, {}",
            clean(field),
            if *whole { "covers the whole document" } else { "does not cover the whole document" }
        ),
        PdfSubFilter { sub_filter } => clean(sub_filter),
        PdfSignerInfoCount { count } => format!("the signature's CMS holds {count} SignerInfos; a PDF signature has exactly one"),
        PdfDss { certificates, crls, ocsps } => {
            let mut s = format!(
                "the document security store (/DSS) holds {certificates} certificate(s) and {crls} CRL(s), used for the path and revocation checks"
            );
            if *ocsps > 0 {
                s.push_str(&format!("; its {ocsps} OCSP response(s) are not used (kyso checks revocation with CRLs)"));
            }
            s
        }
        DssPartIgnored(p) => format!("part of the /DSS was ignored: {}", dss_problem(p)),
        DssBudget { certificates, crls } => {
            format!("only the first {certificates} certificates and {crls} CRLs of the /DSS were used (verifier budget)")
        }
        PdfCoversWholeFile => "the signature covers the whole file".into(),
        PdfOnlySignaturesAndForms => "later revisions only add signatures or fill in form fields".into(),
        PdfChanged { changes } => format!(
            "the document was changed after this signature: {}",
            changes.iter().map(pdf_change).collect::<Vec<_>>().join("; ")
        ),
        PdfEncrypted(e) => match e {
            PdfEncryption::EmptyUserPassword => {
                "the PDF is encrypted with an empty user password (readers open it without asking); the signature was verified over the file's bytes as signed, without decrypting the file".into()
            }
            _ => "the PDF is encrypted for particular recipients or with a password; the signature was verified over the encrypted bytes as signed (a signature's /Contents and /ByteRange are not encrypted), but the field name, the signing time written in the PDF and the document's content cannot be read without the key".into(),
        },
        PdfChangesUnknown(p) => format!(
            "changes after this signature could not be analysed: {}",
            match p {
                PdfAnalysisProblem::NotARevision => "the byte range does not delimit a revision".to_string(),
                PdfAnalysisProblem::SignedRevisionUnreadable { message } => format!("the signed revision does not parse: {}", clean(message)),
                PdfAnalysisProblem::BrokenRevisionChain { revision } => format!(
                    "the cross-reference data of revision {revision} is missing, names bytes after that revision, or does not lead back to the previous revision"
                ),
                PdfAnalysisProblem::TooComplex => "the file needs more work than the analysis allows for its size".into(),
                PdfAnalysisProblem::SignatureNotInRevision => {
                    "the signature dictionary is not the value of a signature field in the signed revision".into()
                }
            }
        ),
        PdfUnexplainedBytes { bytes } => format!("{bytes} bytes after the signed revision are not a signature or form filling"),
        PdfContentsTrailingBytes { bytes } => {
            format!("the signature's /Contents holds {bytes} bytes after the CMS that are not zero padding (outside what was signed; ignored)")
        }
        PdfLaterRevisions { revisions } => revisions.iter().map(pdf_revision).collect::<Vec<_>>().join("; "),
        PdfPermissions(p) => pdf_permissions(p),
        PdfPermissionsViolated { violations } => format!(
            "later revisions break this signature's permissions: {}",
            violations.iter().map(violation).collect::<Vec<_>>().join("; ")
        ),
        MailMalformed(p) => mail_problem(p),
        MailFromMatches { address } => format!("the sender's address {} is one of the signer certificate's e-mail addresses", clean(address)),
        MailFromMismatch { from, certificate } => format!(
            "the sender's address (From: {}) is not an address of the signer certificate ({}): the message may not come from the signer's mailbox",
            address_list(from),
            address_list(certificate)
        ),
        MailFromMissing => "the message has no sender address (From) to compare with the signer certificate".into(),
        MailCertificateNoAddress { from } => format!(
            "the signer certificate holds no e-mail address: nothing binds the sender's address (From: {}) to the signer",
            address_list(from)
        ),
        MailHeadersProtected { headers } => format!("the header fields {} shown equal the signed copy of them", names(headers)),
        MailHeaderChanged { header, signed, shown } => match (signed.is_empty(), shown.is_empty()) {
            (true, _) => format!("the header field {} was added after signing (shown: \"{}\")", clean(header), clean(shown)),
            (_, true) => format!("the signed header field {} (\"{}\") was removed in transit", clean(header), clean(signed)),
            _ => format!(
                "the header field {} was changed after signing: signed \"{}\", shown \"{}\"",
                clean(header),
                clean(signed),
                clean(shown)
            ),
        },
        MailHeadersNotProtected { headers } => format!(
            "the header fields {} are outside the signature: a change to them in transit would go unnoticed",
            names(headers)
        ),
        MailLineEndingsConverted => {
            "the signed part was stored with bare LF line ends; it was verified in its canonical form with CRLF line ends (RFC 8551 §3.1.1)".into()
        }
        MailAttachmentUnsigned { name } => format!(
            "the attachment {} carries no signature of its own: only the message's signature covers it, and nothing will once it is saved out of the message",
            clean(name)
        ),
        MailSignatureWithoutDocument { name } => format!("the signature file {} is attached without its document", clean(name)),
    }
}

fn quoted(s: &str) -> String {
    format!("{:?}", clean(s))
}

fn object_role(r: &ObjectRole) -> String {
    match r {
        ObjectRole::Other => String::new(),
        ObjectRole::Catalog => "the document catalog".into(),
        ObjectRole::PageTree => "the page tree".into(),
        ObjectRole::Page { page } => format!("page {page}"),
        ObjectRole::PageContent { page } => format!("the content of page {page}"),
        ObjectRole::PageResource { page } => format!("used by page {page}"),
        ObjectRole::AnnotationList { page } => format!("the annotation list of page {page}"),
        ObjectRole::Annotation { page, subtype } => {
            let what = match subtype {
                Some(t) => format!("a /{} annotation", clean(t)),
                None => "an annotation".into(),
            };
            if *page == 0 {
                what
            } else {
                format!("{what} on page {page}")
            }
        }
        ObjectRole::AcroForm => "the form (/AcroForm)".into(),
        ObjectRole::FieldList => "a list of form fields".into(),
        ObjectRole::FormField { name } => format!("form field {}", quoted(name)),
        ObjectRole::SignatureField { name, signed } => {
            format!("signature field {} ({})", quoted(name), if *signed { "signed" } else { "empty" })
        }
        ObjectRole::Widget { field } => format!("the widget of field {}", quoted(field)),
        ObjectRole::Appearance { field } => format!("the appearance of field {}", quoted(field)),
        ObjectRole::SignatureValue { field } => format!("the signature dictionary of field {}", quoted(field)),
        ObjectRole::Dss => "the document security store (/DSS)".into(),
        ObjectRole::Metadata => "the XMP metadata".into(),
        ObjectRole::Info => "the document information (/Info)".into(),
    }
}

fn pdf_update(u: &PdfUpdate) -> String {
    let vis = |v: bool| if v { "visible" } else { "invisible" };
    match u {
        PdfUpdate::SignatureAdded { field, timestamp: true, visible } => format!("document timestamp {} added ({})", quoted(field), vis(*visible)),
        PdfUpdate::SignatureAdded { field, visible, .. } => format!("signature {} added ({})", quoted(field), vis(*visible)),
        PdfUpdate::SignatureFieldAdded { field, visible } => format!("empty signature field {} added ({})", quoted(field), vis(*visible)),
        PdfUpdate::FormFilled { field } => format!("form field {} filled in", quoted(field)),
        PdfUpdate::FormResources => "the form's default resources (/DR) updated".into(),
        PdfUpdate::Dss => "validation data added to the /DSS".into(),
        PdfUpdate::Metadata => "the XMP metadata updated".into(),
        PdfUpdate::Info => "the document information (/Info) updated".into(),
        PdfUpdate::UnusedObjects { count } => format!("{count} unused object(s) added"),
    }
}

fn pdf_revision(r: &PdfRevision) -> String {
    let mut parts: Vec<String> = r.updates.iter().map(pdf_update).collect();
    if !r.changes.is_empty() {
        parts.push(format!("CHANGED: {}", r.changes.iter().map(pdf_change).collect::<Vec<_>>().join(", ")));
    }
    if parts.is_empty() {
        parts.push("no change".into());
    }
    format!("revision {}: {}", r.revision, parts.join(", "))
}

fn mdp_level(l: MdpLevel) -> String {
    let what = match l {
        MdpLevel::NoChanges => "no change allowed",
        MdpLevel::FormFilling => "form filling and signing allowed",
        MdpLevel::Annotations => "form filling and signing allowed (annotations too by the standard; kyso accepts none)",
    };
    format!("P={} ({what})", l.p())
}

fn field_list(f: &[String]) -> String {
    f.iter().map(|n| quoted(n)).collect::<Vec<_>>().join(", ")
}

fn pdf_permissions(p: &PdfPermissions) -> String {
    let mut parts = Vec::new();
    if let Some(l) = p.certification {
        parts.push(format!("certification signature, {}", mdp_level(l)));
    }
    match &p.lock {
        Some(FieldLock::All) => parts.push("locks every form field".into()),
        Some(FieldLock::Include(f)) => parts.push(format!("locks the form fields {}", field_list(f))),
        Some(FieldLock::Exclude(f)) => parts.push(format!("locks every form field but {}", field_list(f))),
        None => {}
    }
    if parts.is_empty() {
        "no certification and no field lock".into()
    } else {
        parts.join("; ")
    }
}

fn violation(v: &PermissionViolation) -> String {
    match v {
        PermissionViolation::DocMdp { level, revision, update } => {
            format!("revision {revision}: {} (the certification's {} does not allow it)", pdf_update(update), mdp_level(*level))
        }
        PermissionViolation::VisibleSignatureAfterCertification { revision, field } => {
            format!("revision {revision}: visible signature field {} added after the certification signature", quoted(field))
        }
        PermissionViolation::FieldLocked { revision, field } => format!("revision {revision}: locked form field {} changed", quoted(field)),
    }
}

/// E-mail addresses, comma-separated ("none" for an empty list).
fn address_list(a: &[String]) -> String {
    if a.is_empty() {
        "none".into()
    } else {
        a.iter().map(|x| clean(x)).collect::<Vec<_>>().join(", ")
    }
}

/// Header field names, comma-separated.
pub(crate) fn names(h: &[String]) -> String {
    h.iter().map(|x| clean(x)).collect::<Vec<_>>().join(", ")
}

/// Why a message cannot be verified as a signed message.
fn mail_problem(p: &MailProblem) -> String {
    match p {
        MailProblem::TooLarge { limit } => format!("the message is larger than {limit} bytes (verifier budget)"),
        MailProblem::TooManyParts { limit } => format!("the message has more than {limit} MIME parts or delimiter lines (verifier budget)"),
        MailProblem::TooManyHeaderLines { limit } => format!("the message has more than {limit} header lines (verifier budget)"),
        MailProblem::TooDeep { limit } => format!("the message's multiparts are nested more than {limit} deep (verifier budget)"),
        MailProblem::DecodedTooLarge { limit } => format!("the message's decoded parts are larger than {limit} bytes together (verifier budget)"),
        MailProblem::PartUndecodable { name } => format!("the part {} is not valid base64 or quoted-printable", clean(name)),
        MailProblem::NotAMessage => "this is not an e-mail message (no header section)".into(),
        MailProblem::NotSigned { content_type } => format!(
            "the message is not signed: its type is {}, neither multipart/signed nor application/pkcs7-mime signed-data",
            clean(content_type)
        ),
        MailProblem::Encrypted => "the message is encrypted (enveloped-data); kyso verifies signatures and decrypts nothing".into(),
        MailProblem::UnknownProtocol { protocol } => format!(
            "the multipart/signed protocol is {}, not application/pkcs7-signature (S/MIME)",
            clean(protocol)
        ),
        MailProblem::PartCount { count } => format!("the multipart/signed has {count} parts; it must have two (the signed content and its signature)"),
        MailProblem::BrokenBoundary => "the multipart/signed has no boundary or no closing delimiter line".into(),
        MailProblem::SignatureUndecodable => "the signature part is not a base64-encoded CMS SignedData".into(),
        MailProblem::NoContent => "the application/pkcs7-mime signed-data holds no message (eContent absent)".into(),
    }
}

/// A structural problem.
pub(crate) fn format_problem(p: &FormatProblem) -> String {
    match (p.element, p.kind) {
        (Element::SignatureFile, FormatKind::TooLarge { limit }) => format!("the signature file is larger than {limit} bytes"),
        (Element::SignatureFile, FormatKind::Empty) => "the signature file is empty".into(),
        (Element::SignatureFile, FormatKind::NotRecognised) => "the signature file is not CMS".into(),
        (Element::SignatureFile, FormatKind::SeveralPemBlocks) => "the PEM file holds several CMS blocks".into(),
        (e, k) => format!("{}: {}", element(e), format_kind(k)),
    }
}

fn element(e: Element) -> &'static str {
    match e {
        Element::SignatureFile => "the signature file",
        Element::ContentInfo => "ContentInfo",
        Element::SignedData => "SignedData",
        Element::DigestAlgorithms => "digestAlgorithms",
        Element::EncapContentInfo => "encapContentInfo",
        Element::EContent => "eContent",
        Element::Certificates => "certificates",
        Element::Crls => "crls",
        Element::SignerInfos => "signerInfos",
        Element::SignerInfo => "SignerInfo",
        Element::Sid => "sid",
        Element::DigestAlgorithm => "digestAlgorithm",
        Element::SignedAttributes => "signedAttrs",
        Element::UnsignedAttributes => "unsignedAttrs",
        Element::SignatureAlgorithm => "signatureAlgorithm",
        Element::Signature => "signature",
        Element::TimestampToken => "timestamp token",
        Element::TstInfo => "TSTInfo",
        Element::Crl => "CRL",
        Element::Certificate => "certificate",
    }
}

fn format_kind(k: FormatKind) -> String {
    match k {
        FormatKind::Truncated => "truncated".into(),
        FormatKind::HighTagNumber => "high tag number".into(),
        FormatKind::IndefiniteLength => "indefinite length (BER) where DER is required".into(),
        FormatKind::NonMinimalLength => "non-minimal length".into(),
        FormatKind::LengthTooLong => "length longer than 4 bytes".into(),
        FormatKind::LengthOverflow => "length overflow".into(),
        FormatKind::TrailingData => "trailing data".into(),
        FormatKind::UnexpectedTag => "unexpected element".into(),
        FormatKind::TooMany { limit } => format!("more than {limit} elements (verifier budget)"),
        FormatKind::TooDeep => format!("nesting deeper than {} or more than {} elements (verifier budget)", crate::asn1::MAX_DEPTH, crate::asn1::MAX_ELEMENTS),
        FormatKind::Missing => "missing".into(),
        FormatKind::UnknownVersion => "unknown or inconsistent version".into(),
        FormatKind::WrongContentType => "wrong content type".into(),
        FormatKind::InvalidValue => "invalid value".into(),
        FormatKind::NotRecognised => "not the expected structure".into(),
        FormatKind::TooLarge { limit } => format!("larger than {limit} bytes"),
        FormatKind::Empty => "empty".into(),
        FormatKind::SeveralPemBlocks => "several CMS blocks in one PEM file".into(),
    }
}

fn pdf_problem(p: &PdfProblem) -> String {
    match p {
        PdfProblem::Parse { message } => format!("not a readable PDF: {}", clean(message)),
        PdfProblem::ParserFailed => "not a readable PDF: the PDF parser failed on malformed input".into(),
        PdfProblem::Encrypted => {
            "the PDF is encrypted and even its structure cannot be read without the document's key or password: its signatures cannot be found; kyso verifies signatures without decrypting a document, and decrypting it (rewriting the file) would invalidate them".into()
        }
        PdfProblem::DamagedXref => "the PDF's cross-reference table is damaged".into(),
        PdfProblem::Structure { message } => format!("invalid PDF structure: {}", clean(message)),
    }
}

/// The name of an OID the report may show (content types), else its dotted form.
pub(crate) fn oid_name(o: &const_oid::ObjectIdentifier) -> String {
    use crate::alg::oid;
    if *o == oid::CT_DATA {
        "id-data".into()
    } else if *o == oid::CT_TST_INFO {
        "id-ct-TSTInfo".into()
    } else {
        o.to_string()
    }
}

/// A signature scheme's name.
pub(crate) fn scheme_name(s: SignatureScheme) -> String {
    match s {
        SignatureScheme::Ecdsa(d) => format!("ECDSA with {d}"),
        SignatureScheme::RsaPkcs1(d) => format!("RSA PKCS#1 v1.5 with {d}"),
        SignatureScheme::RsaPss(d) => format!("RSASSA-PSS with {d}"),
        SignatureScheme::RsaPssSalt { hash, salt_len } => format!("RSASSA-PSS with {hash} (salt {salt_len} bytes)"),
        SignatureScheme::Ed25519 => "Ed25519".into(),
        SignatureScheme::Ed448 => "Ed448".into(),
    }
}

fn ess_name(v: EssVersion, matches: bool) -> &'static str {
    match (v, matches) {
        (EssVersion::V2, _) => "signing-certificate-v2",
        (EssVersion::V1, true) => "signing-certificate (v1)",
        (EssVersion::V1, false) => "signing-certificate",
    }
}

pub(crate) fn bit_list(bits: &[KeyUsageBit]) -> String {
    if bits.is_empty() {
        return "(none)".into();
    }
    bits.iter().map(|b| b.asn1_name()).collect::<Vec<_>>().join(", ")
}

fn key_description(k: &KeyDescription) -> String {
    match k {
        KeyDescription::Rsa { bits } => format!("RSA {bits} bits"),
        KeyDescription::EcdsaP256 => "ECDSA P-256".into(),
        KeyDescription::EcdsaP384 => "ECDSA P-384".into(),
        KeyDescription::EcdsaP521 => "ECDSA P-521".into(),
        KeyDescription::EcdsaBrainpoolP256 => "ECDSA brainpoolP256r1".into(),
        KeyDescription::EcdsaBrainpoolP384 => "ECDSA brainpoolP384r1".into(),
        KeyDescription::Ed25519 => "Ed25519".into(),
        KeyDescription::Ed448 => "Ed448".into(),
    }
}

fn key_problem(p: &KeyProblem) -> String {
    match p {
        KeyProblem::RsaTooSmall { bits, minimum } => format!("RSA key of {bits} bits (at least {minimum} required)"),
        KeyProblem::RsaTooLarge { bits, maximum } => format!("RSA key of {bits} bits (at most {maximum} supported)"),
        KeyProblem::CurveNotAllowed { curve } => {
            format!("elliptic curve {} not allowed (P-256, P-384, P-521, brainpoolP256r1 or brainpoolP384r1 required)", clean(curve))
        }
        KeyProblem::AlgorithmNotAllowed { algorithm } => format!("public key algorithm {} not allowed", clean(algorithm)),
    }
}

fn cert(c: &Ctx<'_>, x: &CertInPath) -> String {
    if x.position == 0 {
        format!("the certificate {}", c.name(&x.subject))
    } else {
        format!("the CA certificate {}", c.name(&x.subject))
    }
}

pub(crate) fn name_kind(k: NameKind) -> &'static str {
    match k {
        NameKind::Directory => "directoryName",
        NameKind::Email => "rfc822Name",
        NameKind::Dns => "dNSName",
        NameKind::Uri => "uniformResourceIdentifier",
        NameKind::IpAddress => "iPAddress",
        NameKind::Other => "otherName",
    }
}

pub(crate) fn path_problem(p: &PathProblem, c: &Ctx<'_>) -> String {
    match p {
        PathProblem::Malformed { cert: x } => format!("{} cannot be read", cert(c, x)),
        PathProblem::NoIssuer { cert: x, issuer } => {
            format!("no path to a trust anchor: no issuer {} found for {}", c.name(issuer), cert(c, x))
        }
        PathProblem::BadSignature { cert: x } => {
            format!("no path to a trust anchor: the signature on {} does not verify with its issuer's key", cert(c, x))
        }
        PathProblem::AlgorithmNotAllowed { cert: x, algorithm } => {
            format!("the signature algorithm {} of {} is not allowed by the policy", clean(algorithm), cert(c, x))
        }
        PathProblem::WeakKey { cert: x, key } => format!("the key that signed {} is not allowed ({})", cert(c, x), clean(key)),
        PathProblem::Expired { cert: x, not_after, time } => {
            format!("{} expired at {} (validation time {})", cert(c, x), c.time(*not_after), c.time(*time))
        }
        PathProblem::NotYetValid { cert: x, not_before, time } => {
            format!("{} is valid only from {} (validation time {})", cert(c, x), c.time(*not_before), c.time(*time))
        }
        PathProblem::NotCa { cert: x } => format!("{} is used as an issuer but is not a CA certificate", cert(c, x)),
        PathProblem::NoKeyCertSign { cert: x } => format!("{} lacks keyCertSign in its keyUsage", cert(c, x)),
        PathProblem::PathLengthExceeded { cert: x } => format!("{} exceeds a CA's path length constraint", cert(c, x)),
        PathProblem::TooLong { max } => format!("the path has more than {max} intermediate certificates"),
        PathProblem::UnknownCriticalExtension { cert: x, oid } => format!("{} has an unknown critical extension {oid}", cert(c, x)),
        PathProblem::NameConstraintViolated { cert: x, kind, name } => {
            format!("the {} {} of {} violates a CA's name constraints", name_kind(*kind), clean(name), cert(c, x))
        }
        PathProblem::NameConstraintUnsupported { cert: x, kind } => {
            format!("{} has a {} under a name constraint of that type, which kyso does not process", cert(c, x), name_kind(*kind))
        }
        PathProblem::AnyPolicyMapping { cert: x } => format!("{} maps a policy to or from anyPolicy", cert(c, x)),
        PathProblem::NoValidPolicy { cert: x } => {
            format!("no acceptable certificate policy remains at {} while an explicit policy is required", cert(c, x))
        }
        PathProblem::EkuNotAllowed { cert: x } => format!("the extended key usage of {} does not allow this purpose", cert(c, x)),
        PathProblem::AnchorOutsideValidity { anchor, not_before, not_after } => {
            format!("the trust anchor {} is valid only from {} to {}", c.name(anchor), c.time(*not_before), c.time(*not_after))
        }
        PathProblem::Budget(b) => format!(
            "path validation stopped: the budget on {} ran out",
            match b {
                PathBudget::SignatureChecks => "signature checks",
                PathBudget::BuildSteps => "path-building steps",
                PathBudget::NameConstraintChecks => "name-constraint comparisons",
                PathBudget::Policies => "policies per certificate",
                PathBudget::Names => "names per extension",
            }
        ),
    }
}

fn reasons(r: &[CrlReason]) -> String {
    r.iter().map(|r| reason_name(Some(*r))).collect::<Vec<_>>().join(", ")
}

pub(crate) fn crl_problem(p: &CrlProblem, c: &Ctx<'_>) -> String {
    match p {
        CrlProblem::Malformed(fp) => format_problem(fp),
        CrlProblem::TooManyEntries { limit } => format!("CRL has more than {limit} entries"),
        CrlProblem::NoCrl => "no CRL of its issuer".into(),
        CrlProblem::ReasonsNotCovered { missing } => format!("the CRLs given do not cover every revocation reason (missing: {})", reasons(missing)),
        CrlProblem::Stale { issuer, next_update } => {
            format!("the CRL of {} is stale (nextUpdate {})", c.name(issuer), c.time(*next_update))
        }
        CrlProblem::UnknownCriticalExtension { issuer, oid } => {
            format!("the CRL of {} has an unknown critical extension {}", c.name(issuer), clean(oid))
        }
        CrlProblem::AttributeCertificates => "the CRL covers attribute certificates only".into(),
        CrlProblem::NoCrlNumber { issuer } => format!("the CRL of {} has no CRL number (RFC 5280 §5.2.3)", c.name(issuer)),
        CrlProblem::NoValidSigner { issuer, why } => match why {
            None => format!("no certificate of {} to verify its CRL with", c.name(issuer)),
            Some(CrlSignerProblem::BadSignature) => format!("the CRL of {} has a wrong signature", c.name(issuer)),
            Some(CrlSignerProblem::Algorithm) => format!("the signature algorithm of the CRL of {} is not allowed by the policy", c.name(issuer)),
            Some(CrlSignerProblem::NoCrlSign) => format!("the key that signed the CRL of {} lacks cRLSign", c.name(issuer)),
            Some(CrlSignerProblem::Path(p)) => format!("the CRL signer of {} has no valid path: {}", c.name(issuer), path_problem(p, c)),
            Some(CrlSignerProblem::NotGood) => format!("the CRL signer of {} is revoked or its status is unknown", c.name(issuer)),
        },
        CrlProblem::DeltaUnusable { issuer } => format!("a delta CRL of {} applies but cannot be used", c.name(issuer)),
        CrlProblem::Budget => "the CRL-checking budget ran out".into(),
    }
}

fn unknown_list(certs: &[UnknownStatus], c: &Ctx<'_>) -> String {
    if certs.is_empty() {
        return "no usable CRL or OCSP response".into();
    }
    certs
        .iter()
        .map(|u| {
            let mut s = format!("no usable CRL or OCSP response for {}", c.name(&u.subject));
            let problems: Vec<String> = u.problems.iter().map(|p| crl_problem(p, c)).chain(u.ocsp.iter().map(|p| ocsp_problem(p, c))).collect();
            if !problems.is_empty() {
                s.push_str(&format!(" ({})", problems.join("; ")));
            }
            if !u.fetches.is_empty() {
                s.push_str(&format!("; looked at: {}", u.fetches.iter().map(fetch_text).collect::<Vec<_>>().join(", ")));
            }
            let issuer = u.issuer.as_ref().map(|i| format!("the CRL of {}", c.name(i))).unwrap_or_else(|| "its issuer's CRL".into());
            let mut todo = format!("; to check it, give {issuer}");
            if !u.crl_urls.is_empty() {
                todo.push_str(&format!(" (published at {})", u.crl_urls.iter().map(|x| clean(x)).collect::<Vec<_>>().join(", ")));
            }
            let fetchable: Vec<String> = u.ocsp_urls.iter().chain(u.crl_urls.iter()).map(|x| clean(x)).collect();
            if !fetchable.is_empty() {
                todo.push_str(&format!(", or let kyso fetch {}", fetchable.join(", ")));
            }
            s.push_str(&todo);
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn fetch_kind(k: FetchKind) -> &'static str {
    match k {
        FetchKind::Crl => "CRL",
        FetchKind::Ocsp => "OCSP response",
    }
}

/// One fetch, as the report names it.
pub(crate) fn fetch_text(f: &Fetch) -> String {
    let url = clean(&f.url);
    match &f.outcome {
        FetchOutcome::Received { bytes, cached: false } => format!("{} fetched from {url} ({bytes} bytes)", fetch_kind(f.kind)),
        FetchOutcome::Received { bytes, cached: true } => format!("{} from the local cache of {url} ({bytes} bytes)", fetch_kind(f.kind)),
        FetchOutcome::Failed(e) => match e {
            FetchFailure::Offline => format!("{url}: not fetched (working offline)"),
            FetchFailure::NotHttp => format!("{url}: not fetched (only http:// addresses are fetched)"),
            FetchFailure::Connect { message } => format!("{url}: cannot connect ({})", clean(message)),
            FetchFailure::Timeout { seconds } => format!("{url}: no answer within {seconds} s"),
            FetchFailure::HttpStatus { code } => format!("{url}: the server answered HTTP {code}"),
            FetchFailure::TooLarge { limit } => format!("{url}: the answer is larger than {limit} bytes"),
            FetchFailure::Protocol { message } => format!("{url}: not a usable HTTP answer ({})", clean(message)),
            FetchFailure::Budget => format!("{url}: not fetched (the fetch budget is spent)"),
        },
    }
}

fn ocsp_status_name(s: OcspErrorStatus) -> String {
    match s {
        OcspErrorStatus::MalformedRequest => "malformedRequest".into(),
        OcspErrorStatus::InternalError => "internalError".into(),
        OcspErrorStatus::TryLater => "tryLater".into(),
        OcspErrorStatus::SigRequired => "sigRequired".into(),
        OcspErrorStatus::Unauthorized => "unauthorized".into(),
        OcspErrorStatus::Other(c) => format!("status {c}"),
    }
}

pub(crate) fn ocsp_problem(p: &OcspProblem, c: &Ctx<'_>) -> String {
    match p {
        OcspProblem::Malformed => "the OCSP response cannot be read".into(),
        OcspProblem::ErrorStatus(s) => format!("the OCSP responder answered {}", ocsp_status_name(*s)),
        OcspProblem::NotAboutCertificate => "the OCSP response is about another certificate".into(),
        OcspProblem::UnknownToResponder { responder } => format!("the OCSP responder {} does not know the certificate (status unknown)", c.name(responder)),
        OcspProblem::BadSignature { responder } => format!("the OCSP response of {} has a wrong signature", c.name(responder)),
        OcspProblem::AlgorithmNotAllowed { responder } => {
            format!("the signature algorithm of the OCSP response of {} is not allowed by the policy", c.name(responder))
        }
        OcspProblem::ResponderNotAuthorised => {
            "the OCSP response is signed neither by the certificate's issuer nor by a responder it authorised (RFC 6960 §4.2.2.2)".into()
        }
        OcspProblem::ResponderNotValid { responder, produced_at } => {
            format!("the OCSP responder certificate of {} was not valid when it signed ({})", c.name(responder), c.time(*produced_at))
        }
        OcspProblem::ResponderUnchecked { responder } => {
            format!("the OCSP responder {} has no ocsp-nocheck extension and its own status is unknown", c.name(responder))
        }
        OcspProblem::Stale { responder, next_update } => format!("the OCSP response of {} is stale (nextUpdate {})", c.name(responder), c.time(*next_update)),
        OcspProblem::NonceMismatch => "the OCSP response's nonce is not the request's (a replayed answer?)".into(),
        OcspProblem::UnknownCriticalExtension { oid } => format!("the OCSP response has an unknown critical extension {}", clean(oid)),
        OcspProblem::Budget => "the OCSP-checking budget ran out".into(),
    }
}

/// The RFC 5280 name of a reason, or "no reason code".
pub(crate) fn reason_name(r: Option<CrlReason>) -> String {
    match r {
        None => "no reason code".into(),
        Some(r) => r.asn1_name().map(str::to_string).unwrap_or_else(|| format!("reason code {}", r.code())),
    }
}

/// "revoked at T, reason: R" for the reader, naming the certificate when it is not the signer's.
pub(crate) fn revocation_sentence(subject: &Name, date: time::OffsetDateTime, reason: Option<CrlReason>, c: &Ctx<'_>) -> String {
    let at = c.time(date);
    let reason = reason.map(|r| format!(", reason: {}", reason_name(Some(r)))).unwrap_or_default();
    match c.signer {
        Some(s) if s.dn == subject.dn => format!("revoked at {at}{reason}"),
        _ => format!("the certificate of {} (in the chain) was revoked at {at}{reason}", c.name(subject)),
    }
}

fn rejection(r: &TimestampRejection, c: &Ctx<'_>) -> String {
    match r {
        TimestampRejection::Token(f) => finding(f, c),
        TimestampRejection::TsaRevokedBefore { date, reason } => {
            format!("the TSA certificate was revoked at {} ({}), before the timestamp", c.time(*date), reason_name(*reason))
        }
        TimestampRejection::TsaRevokedCompromise { date, reason } => format!(
            "the TSA certificate was revoked at {} ({}): its key may have made backdated timestamps",
            c.time(*date),
            reason_name(*reason)
        ),
    }
}

fn tsa_certificate_problem(p: TsaCertificateProblem) -> &'static str {
    match p {
        TsaCertificateProblem::UnreadableEku => "unreadable extended key usage",
        TsaCertificateProblem::NoEku => "no extended key usage (id-kp-timeStamping is required)",
        TsaCertificateProblem::EkuNotCritical => "the extended key usage is not critical",
        TsaCertificateProblem::NoTimeStamping => "the extended key usage lacks id-kp-timeStamping",
        TsaCertificateProblem::OtherPurposes => "the extended key usage has purposes besides id-kp-timeStamping",
        TsaCertificateProblem::KeyUsage => "the key usage allows neither digitalSignature nor nonRepudiation",
        TsaCertificateProblem::IsCa => "it is a CA certificate",
    }
}

fn byte_range_problem(p: &ByteRangeProblem) -> String {
    match p {
        ByteRangeProblem::NoContents => "malformed signature dictionary: no /Contents string".into(),
        ByteRangeProblem::NotFourIntegers => "malformed signature dictionary: /ByteRange is not four non-negative integers".into(),
        ByteRangeProblem::NotFromStart => "the byte range does not start at the beginning of the file".into(),
        ByteRangeProblem::OutOfBounds => "the byte range lies outside the file or its ranges overlap".into(),
        ByteRangeProblem::GapIsNotContents => "the unsigned gap is not exactly the signature's /Contents".into(),
        ByteRangeProblem::NotAtRevisionEnd => "the signed bytes do not end at the end of a revision".into(),
    }
}

fn dss_problem(p: &DssProblem) -> String {
    match p {
        DssProblem::NotAnArray { key } => format!("/DSS /{key} is not an array"),
        DssProblem::TooManyEntries { key, ignored, limit } => format!("/DSS /{key}: {ignored} entries beyond the first {limit} were ignored"),
        DssProblem::NotAStream { key, index } => format!("/DSS /{key} entry {index} is not a stream"),
        DssProblem::NotOneDerObject { key, index } => format!("/DSS /{key} entry {index} is not one DER object (damaged or empty stream)"),
        DssProblem::Undecodable { key, index, message } => format!("/DSS /{key} entry {index} cannot be read: {}", clean(message)),
    }
}

pub(crate) fn pdf_object(o: &PdfObject) -> String {
    let mut s = match &o.kind {
        Some(k) => format!("object {} {} (/{})", o.number, o.generation, clean(k)),
        None => format!("object {} {}", o.number, o.generation),
    };
    let role = object_role(&o.role);
    if !role.is_empty() {
        s.push_str(", ");
        s.push_str(&role);
    }
    s
}

pub(crate) fn pdf_keys(keys: &[String]) -> String {
    keys.iter().map(|k| format!("/{}", clean(k))).collect::<Vec<_>>().join(" ")
}

fn pdf_change(ch: &PdfChange) -> String {
    match ch {
        PdfChange::TrailingBytes { bytes } => format!("{bytes} bytes of data after the last revision (not an incremental update)"),
        PdfChange::AcroFormChanged { keys } => format!("AcroForm changed: {}", pdf_keys(keys)),
        PdfChange::AcroFormRemoved => "AcroForm removed".into(),
        PdfChange::ObjectAdded(o) => format!("{} added", pdf_object(o)),
        PdfChange::ObjectDeleted(o) => format!("{} deleted", pdf_object(o)),
        PdfChange::ObjectChanged { object, change } => match change {
            ObjectChange::Keys(k) => format!("{} changed: {}", pdf_object(object), pdf_keys(k)),
            ObjectChange::StreamContent => format!("{} changed: stream content", pdf_object(object)),
            ObjectChange::Annots => format!("{} changed: /Annots other than new widgets", pdf_object(object)),
            ObjectChange::Fields => format!("{} changed: /Fields other than new fields", pdf_object(object)),
            ObjectChange::Array => format!("{} changed (array)", pdf_object(object)),
            ObjectChange::Replaced => format!("{} changed", pdf_object(object)),
            ObjectChange::Unreadable => format!("{} cannot be read", pdf_object(object)),
            ObjectChange::NotXmp => format!("{} changed: not an XMP packet", pdf_object(object)),
            ObjectChange::Structure => format!("{} changed: not the structure its role needs", pdf_object(object)),
        },
        PdfChange::TrailerChanged { keys } => format!("the trailer changed: {}", pdf_keys(keys)),
        PdfChange::AnnotationRemoved { page, object } => format!("{} removed from page {page}", pdf_object(object)),
        PdfChange::FieldAdded { name, field_type } => match field_type {
            Some(t) => format!("form field {} (/FT /{}) added", quoted(name), clean(t)),
            None => format!("form field {} added", quoted(name)),
        },
        PdfChange::FieldRemoved { name } => format!("form field {} removed", quoted(name)),
        PdfChange::ObjectReused { field, object } => {
            format!("the new signature field {} reuses {} of an earlier revision", quoted(field), pdf_object(object))
        }
        PdfChange::SignatureShared { fields } => format!("one signature dictionary is the value of several fields: {}", field_list(fields)),
        PdfChange::DanglingReferenceFilled(o) => {
            format!("{} was added where an earlier revision referred to an object it did not contain", pdf_object(o))
        }
    }
}
