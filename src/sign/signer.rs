//! [`DocumentSigner`]: one certificate, its chain and a key, checked and encoded once, then any
//! number of signatures (new ones, or a signer added to an existing signature).

use super::attributes::{signing_certificate_v2_der, time_text, ATTR_SIGNING_TIME_TLV};
use super::digest::{buffer_for, digest_reader, READ_BUFFER};
use super::{Profile, SignError};
use crate::alg::{oid, DigestAlgorithm, SignatureAlgorithm};
use crate::asn1;
use crate::cms::assemble::{self, RawError, RawSignedData, SignedDataParts};
use crate::keys::{PrivateKey, Signer};
use der::{Decode, Encode};
use std::io::Read;
use std::path::Path;
use time::OffsetDateTime;

/// Signs documents with one certificate and key; see the [module docs](crate::sign).
pub struct DocumentSigner<K: Signer = PrivateKey> {
    key: K,
    signature_algorithm: SignatureAlgorithm,
    digest: DigestAlgorithm,
    certificate: Vec<u8>,
    certificates: Vec<Vec<u8>>,
    subject: String,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    /// SignerIdentifier (issuerAndSerialNumber) TLV.
    sid: Vec<u8>,
    /// `[0] IMPLICIT SubjectKeyIdentifier` sid form, when the certificate has an SKI.
    sid_ski: Option<Vec<u8>>,
    /// `INTEGER 1`, sid and digestAlgorithm: the start of every SignerInfo.
    signer_info_head: Vec<u8>,
    /// The content-type attribute (id-data).
    content_type_attr: Vec<u8>,
    /// The signing-certificate-v2 attribute.
    ess_attr: Vec<u8>,
    /// The message-digest attribute up to the digest bytes.
    message_digest_head: Vec<u8>,
    /// SignedData contents before signerInfos, for a signature with this signer alone.
    prefix: Vec<u8>,
    /// Which signed attributes go in (see [`Profile`]).
    profile: Profile,
}

impl<K: Signer> std::fmt::Debug for DocumentSigner<K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocumentSigner")
            .field("subject", &self.subject)
            .field("signature_algorithm", &self.signature_algorithm)
            .finish_non_exhaustive()
    }
}

/// The parts of a certificate the signer checks, read with x509-parser.
struct CertFacts {
    subject: String,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    self_issued: bool,
    spki: Vec<u8>,
}

fn cert_facts<'a>(der: &'a [u8], what: &str) -> Result<(CertFacts, x509_parser::certificate::X509Certificate<'a>), SignError> {
    use x509_parser::prelude::FromDer;
    let (rest, cert) = x509_parser::certificate::X509Certificate::from_der(der)
        .map_err(|e| SignError::CertificateMalformed(format!("{what}: {e}")))?;
    if !rest.is_empty() {
        return Err(SignError::CertificateMalformed(format!("{what}: trailing bytes after the certificate")));
    }
    let facts = CertFacts {
        subject: cert.subject().to_string(),
        not_before: cert.validity().not_before.to_datetime(),
        not_after: cert.validity().not_after.to_datetime(),
        self_issued: cert.subject().as_raw() == cert.issuer().as_raw(),
        spki: cert.public_key().raw.to_vec(),
    };
    Ok((facts, cert))
}

/// Checks what makes a certificate usable for document signatures (DESIGN.md §4 rule 3, the
/// parts that do not depend on time): not a CA; keyUsage with digitalSignature or
/// nonRepudiation; an extendedKeyUsage, if present, allowing documentSigning or emailProtection.
fn check_signer_certificate(cert: &x509_parser::certificate::X509Certificate<'_>) -> Result<(), SignError> {
    let bc = cert.basic_constraints().map_err(|e| SignError::CertificateMalformed(format!("basicConstraints: {e}")))?;
    if bc.is_some_and(|b| b.value.ca) {
        return Err(SignError::CaCertificate);
    }
    match cert.key_usage().map_err(|e| SignError::CertificateMalformed(format!("keyUsage: {e}")))? {
        None => return Err(SignError::NoKeyUsage),
        Some(ku) if !(ku.value.digital_signature() || ku.value.non_repudiation()) => return Err(SignError::KeyUsage),
        Some(_) => {}
    }
    if let Some(eku) = cert
        .extended_key_usage()
        .map_err(|e| SignError::CertificateMalformed(format!("extendedKeyUsage: {e}")))?
    {
        let doc_signing = eku.value.other.iter().any(|o| o.to_id_string() == oid::KP_DOCUMENT_SIGNING.to_string());
        if !(doc_signing || eku.value.email_protection) {
            return Err(SignError::ExtendedKeyUsage);
        }
    }
    Ok(())
}

/// True when two DER SubjectPublicKeyInfos hold the same key (algorithm OID and key bits;
/// parameter encodings may differ).
fn same_public_key(a: &[u8], b: &[u8]) -> bool {
    match (spki::SubjectPublicKeyInfoRef::from_der(a), spki::SubjectPublicKeyInfoRef::from_der(b)) {
        (Ok(a), Ok(b)) => a.algorithm.oid == b.algorithm.oid && a.subject_public_key == b.subject_public_key,
        _ => false,
    }
}

impl<K: Signer> DocumentSigner<K> {
    /// Prepares to sign with `key` and the DER certificate `certificate`; `chain` holds the
    /// DER certificates of its issuers. Self-issued certificates (roots) and duplicates are
    /// left out of the signatures; the order does not matter.
    ///
    /// Refused: a key that is not the certificate's ([`SignError::KeyMismatch`]), a CA
    /// certificate, a certificate whose keyUsage lacks digitalSignature and nonRepudiation,
    /// or whose extendedKeyUsage excludes document signing. Validity is checked at each
    /// signing time (and by [`DocumentSigner::check_validity`]).
    pub fn new(key: K, certificate: &[u8], chain: &[Vec<u8>]) -> Result<DocumentSigner<K>, SignError> {
        let (facts, parsed) = cert_facts(certificate, "signer certificate")?;
        if !same_public_key(&facts.spki, key.public_key_spki()) {
            return Err(SignError::KeyMismatch);
        }
        check_signer_certificate(&parsed)?;
        let ski = parsed
            .iter_extensions()
            .find_map(|e| match e.parsed_extension() {
                x509_parser::extensions::ParsedExtension::SubjectKeyIdentifier(k) => Some(k.0.to_vec()),
                _ => None,
            })
            .map(|k| asn1::tlv(0x80, &[&k]));
        drop(parsed);

        let mut certificates = vec![certificate.to_vec()];
        for (i, c) in chain.iter().enumerate() {
            let (f, _) = cert_facts(c, &format!("chain certificate {}", i + 1))?;
            if f.self_issued || certificates.iter().any(|x| x == c) {
                continue;
            }
            certificates.push(c.clone());
        }

        let signature_algorithm = key.signature_algorithm();
        let digest = signature_algorithm.digest();
        // sid and ESS IssuerSerial from the certificate's own bytes (no re-encoding).
        let (issuer, serial) = assemble::issuer_and_serial(certificate)
            .map_err(|e| SignError::CertificateMalformed(format!("signer certificate: {e}")))?;
        let sid = asn1::tlv(asn1::TAG_SEQUENCE, &[issuer, serial]);
        let mut signer_info_head = vec![asn1::TAG_INTEGER, 0x01, 0x01];
        signer_info_head.extend_from_slice(&sid);
        signer_info_head.extend_from_slice(digest.algorithm_identifier_der());

        let content_type_attr = assemble::attribute_der(&oid::ATTR_CONTENT_TYPE, &oid::CT_DATA.to_der()?)?;
        let ess = signing_certificate_v2_der(certificate, digest, issuer, serial)?;
        let ess_attr = assemble::attribute_der(&oid::ATTR_SIGNING_CERTIFICATE_V2, &ess)?;
        let md_len = digest.output_len();
        let md_oid = oid::ATTR_MESSAGE_DIGEST.to_der()?;
        let mut message_digest_head = Vec::new();
        let set_len = 2 + md_len;
        asn1::push_header(&mut message_digest_head, asn1::TAG_SEQUENCE, md_oid.len() + 2 + set_len);
        message_digest_head.extend_from_slice(&md_oid);
        asn1::push_header(&mut message_digest_head, asn1::TAG_SET, set_len);
        asn1::push_header(&mut message_digest_head, asn1::TAG_OCTET_STRING, md_len);

        let mut certs: Vec<&[u8]> = certificates.iter().map(Vec::as_slice).collect();
        let prefix = assemble::signed_data_prefix(
            1,
            &mut [digest.algorithm_identifier_der()],
            &assemble::DETACHED_DATA_ECI,
            &mut certs,
            None,
        );
        Ok(DocumentSigner {
            key,
            signature_algorithm,
            digest,
            certificate: certificate.to_vec(),
            certificates,
            subject: facts.subject,
            not_before: facts.not_before,
            not_after: facts.not_after,
            sid,
            sid_ski: ski,
            signer_info_head,
            content_type_attr,
            ess_attr,
            message_digest_head,
            prefix,
            profile: Profile::Cades,
        })
    }

    /// The same signer with another signed-attribute profile (e.g. [`Profile::Pades`] for the
    /// CMS of a PDF signature).
    pub fn with_profile(mut self, profile: Profile) -> DocumentSigner<K> {
        self.profile = profile;
        self
    }

    /// The signed-attribute profile.
    pub fn profile(&self) -> Profile {
        self.profile
    }

    /// The signature algorithm.
    pub fn signature_algorithm(&self) -> SignatureAlgorithm {
        self.signature_algorithm
    }

    /// The digest algorithm (matched to the key: SHA-384 for P-384, SHA-256 for P-256 and RSA).
    pub fn digest_algorithm(&self) -> DigestAlgorithm {
        self.digest
    }

    /// The signer certificate (DER).
    pub fn certificate(&self) -> &[u8] {
        &self.certificate
    }

    /// The certificates embedded in each signature: the signer's first, then its chain
    /// without the root (DER).
    pub fn embedded_certificates(&self) -> &[Vec<u8>] {
        &self.certificates
    }

    /// The signer's subject, for messages.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The certificate's validity period (notBefore, notAfter).
    pub fn validity(&self) -> (OffsetDateTime, OffsetDateTime) {
        (self.not_before, self.not_after)
    }

    /// Checks that the certificate is valid at `at`.
    pub fn check_validity(&self, at: OffsetDateTime) -> Result<(), SignError> {
        if at < self.not_before {
            return Err(SignError::NotYetValid { not_before: self.not_before, at });
        }
        if at > self.not_after {
            return Err(SignError::Expired { not_after: self.not_after, at });
        }
        Ok(())
    }

    /// Signs the bytes of a document in memory.
    pub fn sign_bytes(&self, document: &[u8], signing_time: OffsetDateTime) -> Result<Vec<u8>, SignError> {
        let digest = self.digest.digest(document);
        self.sign_digest(digest.as_ref(), signing_time)
    }

    /// Signs a document read from `reader` (streamed: constant memory, any size).
    pub fn sign_reader<R: Read>(&self, reader: R, signing_time: OffsetDateTime) -> Result<Vec<u8>, SignError> {
        self.check_validity(signing_time)?;
        let digest = digest_reader(reader, &[self.digest], READ_BUFFER)?;
        self.sign_digest(digest.first().map(Vec::as_slice).unwrap_or_default(), signing_time)
    }

    /// Signs the file at `path` (streamed). The file must be a regular file and must not change
    /// while it is hashed (size, modification time, the file at the path): otherwise
    /// [`SignError::Io`] with a [`crate::files::FileProblem`] (`NotRegular`, `Changed`), and no
    /// signature.
    pub fn sign_file(&self, path: &Path, signing_time: OffsetDateTime) -> Result<Vec<u8>, SignError> {
        self.check_validity(signing_time)?;
        let mut f = crate::files::InputFile::open(path)?;
        let len = f.len();
        let digest = digest_reader(&mut f, &[self.digest], buffer_for(len))?;
        f.finish()?;
        self.sign_digest(digest.first().map(Vec::as_slice).unwrap_or_default(), signing_time)
    }

    /// Signs a document given by its digest (computed with [`Self::digest_algorithm`]):
    /// a DER `ContentInfo` holding a detached SignedData with this one signer.
    pub fn sign_digest(&self, digest: &[u8], signing_time: OffsetDateTime) -> Result<Vec<u8>, SignError> {
        let (signed_attrs, signature) = self.signed_attributes_and_signature(digest, signing_time)?;
        // Written in one pass into one buffer: ContentInfo { id-signedData, [0] SignedData {
        // prefix, SET { SignerInfo } } }.
        let si_len = self.signer_info_len(signed_attrs.len(), signature.len());
        let set_len = asn1::header_len(si_len) + si_len;
        let sd_len = self.prefix.len() + asn1::header_len(set_len) + set_len;
        let explicit_len = asn1::header_len(sd_len) + sd_len;
        let ci_len = assemble::ID_SIGNED_DATA_TLV.len() + asn1::header_len(explicit_len) + explicit_len;
        let mut out = Vec::with_capacity(asn1::header_len(ci_len) + ci_len);
        asn1::push_header(&mut out, asn1::TAG_SEQUENCE, ci_len);
        out.extend_from_slice(&assemble::ID_SIGNED_DATA_TLV);
        asn1::push_header(&mut out, asn1::TAG_CTX0, explicit_len);
        asn1::push_header(&mut out, asn1::TAG_SEQUENCE, sd_len);
        out.extend_from_slice(&self.prefix);
        asn1::push_header(&mut out, asn1::TAG_SET, set_len);
        self.push_signer_info(&mut out, si_len, &signed_attrs, &signature);
        Ok(out)
    }

    /// The SignerInfo (DER) for a document digest.
    pub fn signer_info(&self, digest: &[u8], signing_time: OffsetDateTime) -> Result<Vec<u8>, SignError> {
        let (signed_attrs, signature) = self.signed_attributes_and_signature(digest, signing_time)?;
        let si_len = self.signer_info_len(signed_attrs.len(), signature.len());
        let mut out = Vec::with_capacity(asn1::header_len(si_len) + si_len);
        self.push_signer_info(&mut out, si_len, &signed_attrs, &signature);
        Ok(out)
    }

    /// The signed attributes as a DER SET (the bytes signed, RFC 5652 §5.4) and their signature.
    fn signed_attributes_and_signature(
        &self,
        digest: &[u8],
        signing_time: OffsetDateTime,
    ) -> Result<(Vec<u8>, Vec<u8>), SignError> {
        self.check_validity(signing_time)?;
        if digest.len() != self.digest.output_len() {
            return Err(SignError::Encoding(der::Error::from(der::ErrorKind::Length { tag: der::Tag::OctetString })));
        }
        // message-digest and signing-time attributes, side by side in one buffer.
        let (time_tag, time, time_len) = time_text(signing_time)?;
        let st_oid = ATTR_SIGNING_TIME_TLV;
        let st_len = st_oid.len() + 2 + 2 + time_len;
        let mut scratch = Vec::with_capacity(self.message_digest_head.len() + digest.len() + 2 + st_len);
        scratch.extend_from_slice(&self.message_digest_head);
        scratch.extend_from_slice(digest);
        let md_end = scratch.len();
        asn1::push_header(&mut scratch, asn1::TAG_SEQUENCE, st_len);
        scratch.extend_from_slice(&st_oid);
        asn1::push_header(&mut scratch, asn1::TAG_SET, 2 + time_len);
        asn1::push_header(&mut scratch, time_tag, time_len);
        scratch.extend_from_slice(time.get(..time_len).unwrap_or_default());
        let (md, st) = scratch.split_at(md_end);
        let mut all: [&[u8]; 4] = [&self.content_type_attr, md, &self.ess_attr, st];
        // The PAdES profile leaves the signing-time attribute out (the time goes in /M).
        let attrs = match self.profile {
            Profile::Pades => all.get_mut(..3).unwrap_or_default(),
            _ => &mut all[..],
        };
        // DER SET OF order (X.690 §11.6); RFC 5652 §5.4 signs the SET encoding.
        let signed_attrs = asn1::set_of(asn1::TAG_SET, attrs);
        let signature = self.key.sign(&signed_attrs)?;
        Ok((signed_attrs, signature))
    }

    /// Length of the SignerInfo contents.
    fn signer_info_len(&self, signed_attrs_len: usize, signature_len: usize) -> usize {
        self.signer_info_head.len()
            + signed_attrs_len
            + self.signature_algorithm.algorithm_identifier_der().len()
            + asn1::header_len(signature_len)
            + signature_len
    }

    /// Appends the SignerInfo TLV (contents of `si_len` bytes).
    fn push_signer_info(&self, out: &mut Vec<u8>, si_len: usize, signed_attrs: &[u8], signature: &[u8]) {
        asn1::push_header(out, asn1::TAG_SEQUENCE, si_len);
        out.extend_from_slice(&self.signer_info_head);
        // signedAttrs [0] IMPLICIT: the signed SET bytes with the tag replaced by [0].
        out.push(asn1::TAG_CTX0);
        out.extend_from_slice(signed_attrs.get(1..).unwrap_or_default());
        out.extend_from_slice(self.signature_algorithm.algorithm_identifier_der());
        asn1::push_header(out, asn1::TAG_OCTET_STRING, signature.len());
        out.extend_from_slice(signature);
    }

    /// Adds this signer to `existing` (a DER SignedData of the same document, e.g. the
    /// competent person's signature), reading the document from `document`. A detached
    /// signature stays detached; one that encapsulates the document keeps it (its content must
    /// equal the document: [`SignError::ContentDiffers`]).
    ///
    /// Every existing signer's message-digest attribute must equal the document's digest
    /// (computed in one pass with each algorithm they used), otherwise
    /// [`SignError::DifferentDocument`]. Existing SignerInfos, certificates and CRLs are kept
    /// byte for byte; this signer's certificates are added unless present; its digest
    /// algorithm is added to `digestAlgorithms` if new. The existing signatures are not
    /// cryptographically verified here (that is `verify`'s job), and BER input must be
    /// normalised to DER first ([`RawError::Ber`]).
    pub fn add_to<R: Read>(&self, existing: &[u8], document: R, signing_time: OffsetDateTime) -> Result<Vec<u8>, SignError> {
        self.check_validity(signing_time)?;
        let raw = RawSignedData::parse(existing)?;
        // Decoding with the strict `cms` types catches structural errors the splitter skips.
        let sd_ci = crate::cms::ContentInfo::from_der(existing).map_err(|e| RawError::Malformed(leak_der_error(e)))?;
        let _: crate::cms::SignedData = sd_ci.content.decode_as().map_err(|e| RawError::Malformed(leak_der_error(e)))?;

        struct Existing {
            digest: DigestAlgorithm,
            message_digest: Vec<u8>,
            version: u8,
        }
        let mut existing_signers = Vec::new();
        for (i, si) in raw.signer_infos.iter().enumerate() {
            let index = i + 1;
            let info = crate::cms::SignerInfo::from_der(si.raw)
                .map_err(|e| SignError::ExistingSigner { index, reason: format!("malformed SignerInfo: {e}") })?;
            let sid = info.sid.to_der()?;
            if sid == self.sid || self.sid_ski.as_ref() == Some(&sid) {
                return Err(SignError::AlreadySigned { index });
            }
            let digest = DigestAlgorithm::from_oid(&info.digest_alg.oid).ok_or_else(|| SignError::ExistingSigner {
                index,
                reason: format!("unknown digest algorithm {}", info.digest_alg.oid),
            })?;
            let attrs = info.signed_attrs.as_ref().ok_or_else(|| SignError::ExistingSigner {
                index,
                reason: "no signed attributes, so its message digest cannot be checked".into(),
            })?;
            let md: Option<der::asn1::OctetString> = crate::cms::decode_attribute(attrs, &oid::ATTR_MESSAGE_DIGEST)
                .map_err(|e| SignError::ExistingSigner { index, reason: e.to_string() })?;
            let md = md.ok_or_else(|| SignError::ExistingSigner { index, reason: "no message-digest attribute".into() })?;
            existing_signers.push(Existing { digest, message_digest: md.as_bytes().to_vec(), version: info.version as u8 });
        }

        let mut algorithms = vec![self.digest];
        for e in &existing_signers {
            if !algorithms.contains(&e.digest) {
                algorithms.push(e.digest);
            }
        }
        let digests = digest_reader(document, &algorithms, READ_BUFFER)?;
        let digest_of = |a: DigestAlgorithm| algorithms.iter().position(|x| *x == a).and_then(|i| digests.get(i));
        for (i, e) in existing_signers.iter().enumerate() {
            if digest_of(e.digest).map(Vec::as_slice) != Some(e.message_digest.as_slice()) {
                return Err(SignError::DifferentDocument { index: i + 1, algorithm: e.digest });
            }
        }
        let mine = digest_of(self.digest).ok_or(SignError::Encoding(der::ErrorKind::Failed.into()))?;
        if let Some(content) = raw.econtent {
            // An attached signature keeps its content: it must be this document.
            if self.digest.digest(content) != *mine {
                return Err(SignError::ContentDiffers);
            }
        }
        let signer_info = self.signer_info(mine, signing_time)?;

        let mut digest_algorithms: Vec<&[u8]> = raw.digest_algorithms.iter().map(|t| t.raw).collect();
        let have_digest = raw
            .digest_algorithms
            .iter()
            .any(|t| spki::AlgorithmIdentifierRef::from_der(t.raw).is_ok_and(|a| a.oid == self.digest.oid()));
        if !have_digest {
            digest_algorithms.push(self.digest.algorithm_identifier_der());
        }
        let mut certificates: Vec<&[u8]> = raw.certificates.iter().map(|t| t.raw).collect();
        for c in &self.certificates {
            if !certificates.contains(&c.as_slice()) {
                certificates.push(c);
            }
        }
        let mut signer_infos: Vec<&[u8]> = raw.signer_infos.iter().map(|t| t.raw).collect();
        signer_infos.push(&signer_info);
        let version = raw.version.max(assemble::signed_data_version(existing_signers.iter().map(|e| e.version)));
        Ok(assemble::signed_data(SignedDataParts {
            version,
            digest_algorithms,
            encap_content_info: raw.encap_content_info.raw,
            certificates,
            crls: raw.crls.map(|t| t.raw),
            signer_infos,
        }))
    }
}

/// der errors as a static description (RawError carries `&'static str`).
fn leak_der_error(e: der::Error) -> &'static str {
    match e.kind() {
        der::ErrorKind::TrailingData { .. } => "trailing data",
        der::ErrorKind::Length { .. } | der::ErrorKind::Incomplete { .. } => "bad length",
        der::ErrorKind::TagUnexpected { .. } | der::ErrorKind::TagUnknown { .. } => "unexpected tag",
        der::ErrorKind::Noncanonical { .. } => "non-canonical DER",
        der::ErrorKind::Value { .. } => "invalid value",
        _ => "structure does not decode as SignedData",
    }
}
