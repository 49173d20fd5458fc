//! Issuing tokens: the timestamp authority's core, independent of any transport.

use super::asn1::{Accuracy, GenTime, PkiStatusInfo, TimeStampReq, TimeStampResp, TstInfo};
use crate::cms::ess::SigningCertificateV2;
use super::{malformed, positive_int, TspError};
use crate::alg::{oid, DigestAlgorithm};
use crate::keys::Signer;
use cms::cert::{CertificateChoices, IssuerAndSerialNumber};
use cms::content_info::{CmsVersion, ContentInfo};
use cms::signed_data::{CertificateSet, EncapsulatedContentInfo, SignedData, SignerIdentifier, SignerInfo, SignerInfos};
use der::asn1::{Any, BitStringRef, ObjectIdentifier, OctetString, SetOfVec, Utf8StringRef};
use der::{Decode, Encode, Tag};
use spki::AlgorithmIdentifierOwned;
use std::sync::Arc;
use x509_cert::attr::Attribute;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::Certificate;

/// The policy kyso's TSA states when none is configured: ETSI EN 319 421 best-practices
/// time-stamp policy (`0.4.0.2023.1.1`). Configure your own with `--policy`.
pub const DEFAULT_POLICY: ObjectIdentifier = ObjectIdentifier::new_unwrap("0.4.0.2023.1.1");

/// Budget on certificates in a TSA's `--chain`: a TSA sits at most a few levels below a root.
const MAX_CHAIN: usize = 8;

/// PKIFailureInfo bits (RFC 3161 §2.4.2) a TSA can answer with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureInfo {
    /// Unrecognized or unsupported algorithm (bit 0).
    BadAlg,
    /// Transaction not permitted or supported (bit 2).
    BadRequest,
    /// The data submitted has the wrong format (bit 5).
    BadDataFormat,
    /// The TSA's time source is not available (bit 14).
    TimeNotAvailable,
    /// The requested policy is not supported (bit 15).
    UnacceptedPolicy,
    /// The requested extension is not supported (bit 16).
    UnacceptedExtension,
    /// The additional information requested could not be understood (bit 17).
    AddInfoNotAvailable,
    /// The request cannot be handled due to system failure (bit 25).
    SystemFailure,
}

const FAILURE_BITS: [(FailureInfo, u32, &str); 8] = [
    (FailureInfo::BadAlg, 0, "badAlg"),
    (FailureInfo::BadRequest, 2, "badRequest"),
    (FailureInfo::BadDataFormat, 5, "badDataFormat"),
    (FailureInfo::TimeNotAvailable, 14, "timeNotAvailable"),
    (FailureInfo::UnacceptedPolicy, 15, "unacceptedPolicy"),
    (FailureInfo::UnacceptedExtension, 16, "unacceptedExtension"),
    (FailureInfo::AddInfoNotAvailable, 17, "addInfoNotAvailable"),
    (FailureInfo::SystemFailure, 25, "systemFailure"),
];

impl FailureInfo {
    /// The bit number.
    pub fn bit(self) -> u32 {
        FAILURE_BITS.iter().find(|(f, _, _)| *f == self).map(|(_, b, _)| *b).unwrap_or(25)
    }

    /// The ASN.1 name ("badAlg").
    pub fn name(self) -> &'static str {
        FAILURE_BITS.iter().find(|(f, _, _)| *f == self).map(|(_, _, n)| *n).unwrap_or("systemFailure")
    }

    /// DER BIT STRING contents (unused-bit count, bytes) with this one bit set.
    fn bit_string(self) -> (u8, Vec<u8>) {
        let bit = self.bit() as usize;
        let mut bytes = vec![0u8; bit / 8 + 1];
        if let Some(b) = bytes.last_mut() {
            *b = 0x80 >> (bit % 8);
        }
        (7 - (bit % 8) as u8, bytes)
    }

    /// The names of the bits set in a received PKIFailureInfo.
    pub(crate) fn names_of(bytes: &[u8]) -> Vec<&'static str> {
        FAILURE_BITS
            .iter()
            .filter(|(_, bit, _)| {
                let (i, m) = (*bit as usize / 8, 0x80u8 >> (bit % 8));
                bytes.get(i).is_some_and(|b| b & m != 0)
            })
            .map(|(_, _, n)| *n)
            .collect()
    }
}

/// What [`Tsa::respond`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Outcome {
    /// A token was issued.
    Granted {
        /// Its serial number (hex).
        serial: String,
        /// The imprint's algorithm.
        algorithm: DigestAlgorithm,
        /// Whether the request had a nonce.
        nonce: bool,
        /// Whether the TSA certificate was included (certReq).
        cert_included: bool,
    },
    /// The request was rejected.
    Rejected {
        /// Why.
        fail_info: FailureInfo,
        /// The text sent to the client.
        reason: String,
    },
}

/// A DER `TimeStampResp` and what it says.
#[derive(Debug, Clone)]
pub struct Reply {
    /// The DER `TimeStampResp` to send.
    pub der: Vec<u8>,
    /// What happened, for the log.
    pub outcome: Outcome,
}

/// A timestamp authority: its certificate, chain, key and policy.
pub struct Tsa {
    signer: Arc<dyn Signer>,
    cert: Certificate,
    chain: Vec<Certificate>,
    policy: ObjectIdentifier,
    accuracy: Accuracy,
    digest: DigestAlgorithm,
    sid: SignerIdentifier,
    ess_attr: Attribute,
    tsa_name: GeneralName,
    /// The certificate's validity (Unix seconds): no token is issued outside it.
    valid: (u64, u64),
}

impl std::fmt::Debug for Tsa {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tsa").field("policy", &self.policy).finish_non_exhaustive()
    }
}

impl Tsa {
    /// A TSA with certificate `cert_der` (whose public key must be `signer`'s, and whose EKU must
    /// be id-kp-timeStamping, critical — RFC 3161 §2.3), `chain_der` (its issuers, up to but not
    /// including the root), and `policy`. Accuracy is one second.
    pub fn new(cert_der: &[u8], chain_der: &[Vec<u8>], signer: Arc<dyn Signer>, policy: ObjectIdentifier) -> Result<Tsa, TspError> {
        let cert = Certificate::from_der(cert_der).map_err(|e| TspError::Config(format!("TSA certificate: {e}")))?;
        let spki = cert.tbs_certificate().subject_public_key_info().to_der().map_err(|e| TspError::Config(e.to_string()))?;
        if spki != signer.public_key_spki() {
            return Err(TspError::Config("the key does not belong to the TSA certificate".into()));
        }
        super::verify::check_tsa_certificate(cert_der).map_err(|p| {
            TspError::Invalid(Box::new(super::TokenFailure {
                finding: crate::findings::Finding::NotATsaCertificate(p),
                sub_indication: crate::findings::SubIndication::ChainConstraintsFailure,
                claimed: None,
            }))
        })?;
        if chain_der.len() > MAX_CHAIN {
            return Err(TspError::Config(format!("more than {MAX_CHAIN} chain certificates")));
        }
        let chain = chain_der
            .iter()
            .map(|c| Certificate::from_der(c).map_err(|e| TspError::Config(format!("chain certificate: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let digest = signer.signature_algorithm().digest();
        let issuer = cert.tbs_certificate().issuer().clone();
        let serial = cert.tbs_certificate().serial_number().clone();
        let sid = SignerIdentifier::IssuerAndSerialNumber(IssuerAndSerialNumber { issuer, serial_number: serial });
        // ESSCertIDv2 with SHA-256 (the DEFAULT, left out of the encoding) and issuerSerial.
        let ess = SigningCertificateV2::for_certificate(cert_der, DigestAlgorithm::Sha256).map_err(|e| TspError::Config(e.to_string()))?;
        let ess_attr = attribute(oid::ATTR_SIGNING_CERTIFICATE_V2, Any::encode_from(&ess).map_err(|e| TspError::Config(e.to_string()))?)?;
        let tsa_name = GeneralName::DirectoryName(cert.tbs_certificate().subject().clone());
        let validity = cert.tbs_certificate().validity();
        let valid = (validity.not_before.to_unix_duration().as_secs(), validity.not_after.to_unix_duration().as_secs());
        Ok(Tsa {
            signer,
            cert,
            chain,
            policy,
            accuracy: Accuracy { seconds: Some(1), millis: None, micros: None },
            digest,
            sid,
            ess_attr,
            tsa_name,
            valid,
        })
    }

    /// The policy stated in tokens.
    pub fn policy(&self) -> ObjectIdentifier {
        self.policy
    }

    /// Answers a DER `TimeStampReq` at `time` with serial number `serial` (big-endian unsigned
    /// bytes; the caller keeps serials unique). Never fails: a bad request gets a rejection with
    /// the matching PKIFailureInfo (badDataFormat, badAlg, badRequest, unacceptedPolicy,
    /// unacceptedExtension), an internal failure gets systemFailure.
    pub fn respond(&self, request_der: &[u8], time: time::OffsetDateTime, serial: &[u8]) -> Reply {
        match self.grant(request_der, time, serial) {
            Ok((der, outcome)) => Reply { der, outcome },
            Err((fail_info, reason)) => Reply { der: rejection(fail_info, &reason), outcome: Outcome::Rejected { fail_info, reason } },
        }
    }

    fn grant(&self, request_der: &[u8], time: time::OffsetDateTime, serial: &[u8]) -> Result<(Vec<u8>, Outcome), (FailureInfo, String)> {
        let req = TimeStampReq::from_der(request_der).map_err(|e| (FailureInfo::BadDataFormat, format!("not a DER TimeStampReq: {e}")))?;
        if req.version != 1 {
            return Err((FailureInfo::BadRequest, format!("unsupported version {}", req.version)));
        }
        let alg = DigestAlgorithm::from_oid(&req.message_imprint.hash_algorithm.oid)
            .filter(|a| *a != DigestAlgorithm::Sha1)
            .ok_or_else(|| (FailureInfo::BadAlg, format!("unsupported hash algorithm {}", req.message_imprint.hash_algorithm.oid)))?;
        if let Some(p) = &req.message_imprint.hash_algorithm.parameters {
            if !p.is_null() {
                return Err((FailureInfo::BadAlg, "hash algorithm parameters must be absent or NULL".into()));
            }
        }
        if req.message_imprint.hashed_message.as_bytes().len() != alg.output_len() {
            return Err((FailureInfo::BadDataFormat, format!("a {alg} imprint is {} bytes", alg.output_len())));
        }
        if let Some(p) = req.req_policy {
            if p != self.policy {
                return Err((FailureInfo::UnacceptedPolicy, format!("policy {p} is not offered (this TSA: {})", self.policy)));
            }
        }
        if req.extensions.as_ref().is_some_and(|e| !e.is_empty()) {
            return Err((FailureInfo::UnacceptedExtension, "request extensions are not supported".into()));
        }
        let gen_time = GenTime::from_time(time, 3).ok_or((FailureInfo::TimeNotAvailable, "time out of range".to_string()))?;
        let secs = u64::try_from(time.unix_timestamp()).unwrap_or(0);
        if secs < self.valid.0 || secs > self.valid.1 {
            // A token outside the certificate's validity would be refused by every verifier.
            return Err((FailureInfo::SystemFailure, "the TSA certificate is not valid at this time".into()));
        }
        let serial_int = positive_int(serial).map_err(|e| (FailureInfo::SystemFailure, e.to_string()))?;
        let tst = TstInfo {
            version: 1,
            policy: self.policy,
            message_imprint: req.message_imprint.clone(),
            serial_number: serial_int.clone(),
            gen_time,
            accuracy: Some(self.accuracy),
            ordering: false,
            nonce: req.nonce.clone(),
            tsa: Some(self.tsa_name.clone()),
            extensions: None,
        };
        let token = self.sign_tst_info(&tst, req.cert_req).map_err(|e| (FailureInfo::SystemFailure, e.to_string()))?;
        let resp = TimeStampResp {
            status: PkiStatusInfo { status: 0, status_string: None, fail_info: None },
            time_stamp_token: Some(Any::from_der(&token).map_err(|e| (FailureInfo::SystemFailure, e.to_string()))?),
        };
        let der = resp.to_der().map_err(|e| (FailureInfo::SystemFailure, e.to_string()))?;
        Ok((
            der,
            Outcome::Granted { serial: hex::encode(serial_int.as_bytes()), algorithm: alg, nonce: req.nonce.is_some(), cert_included: req.cert_req },
        ))
    }

    /// Signs a TSTInfo into a token (CMS SignedData v3, eContentType id-ct-TSTInfo, signed
    /// attributes content-type, message-digest, signing-certificate-v2).
    fn sign_tst_info(&self, tst: &TstInfo, include_certs: bool) -> Result<Vec<u8>, TspError> {
        let tst_der = tst.to_der().map_err(|e| malformed("TSTInfo", e))?;
        let digest_alg = AlgorithmIdentifierOwned::from_der(self.digest.algorithm_identifier_der()).map_err(|e| malformed("algorithm", e))?;
        let sig_alg = AlgorithmIdentifierOwned::from_der(self.signer.signature_algorithm().algorithm_identifier_der())
            .map_err(|e| malformed("algorithm", e))?;
        let content_type = attribute(oid::ATTR_CONTENT_TYPE, Any::encode_from(&oid::CT_TST_INFO).map_err(|e| malformed("attribute", e))?)?;
        let md = OctetString::new(self.digest.digest(&tst_der)).map_err(|e| malformed("attribute", e))?;
        let message_digest = attribute(oid::ATTR_MESSAGE_DIGEST, Any::encode_from(&md).map_err(|e| malformed("attribute", e))?)?;
        let signed_attrs: SetOfVec<Attribute> =
            SetOfVec::try_from(vec![content_type, message_digest, self.ess_attr.clone()]).map_err(|e| malformed("attributes", e))?;
        let to_sign = signed_attrs.to_der().map_err(|e| malformed("attributes", e))?;
        let signature = self.signer.sign(&to_sign)?;
        let signer_info = SignerInfo {
            version: CmsVersion::V1,
            sid: self.sid.clone(),
            digest_alg: digest_alg.clone(),
            signed_attrs: Some(signed_attrs),
            signature_algorithm: sig_alg,
            signature: OctetString::new(signature).map_err(|e| malformed("signature", e))?,
            unsigned_attrs: None,
        };
        let certificates = if include_certs {
            let mut v = vec![CertificateChoices::Certificate(self.cert.clone())];
            v.extend(self.chain.iter().cloned().map(CertificateChoices::Certificate));
            Some(CertificateSet::try_from(v).map_err(|e| malformed("certificates", e))?)
        } else {
            None
        };
        let sd = SignedData {
            version: CmsVersion::V3,
            digest_algorithms: SetOfVec::try_from(vec![digest_alg]).map_err(|e| malformed("algorithms", e))?,
            encap_content_info: EncapsulatedContentInfo {
                econtent_type: oid::CT_TST_INFO,
                econtent: Some(Any::new(Tag::OctetString, tst_der).map_err(|e| malformed("TSTInfo", e))?),
            },
            certificates,
            crls: None,
            signer_infos: SignerInfos::try_from(vec![signer_info]).map_err(|e| malformed("SignerInfos", e))?,
        };
        let ci = ContentInfo { content_type: oid::CT_SIGNED_DATA, content: Any::encode_from(&sd).map_err(|e| malformed("SignedData", e))? };
        ci.to_der().map_err(|e| malformed("ContentInfo", e))
    }
}

fn attribute(oid: ObjectIdentifier, value: Any) -> Result<Attribute, TspError> {
    let values = SetOfVec::try_from(vec![value]).map_err(|e| malformed("attribute", e))?;
    Ok(Attribute { oid, values })
}

/// A DER rejection `TimeStampResp` (status 2) with one failure bit and a text.
pub(crate) fn rejection(fail_info: FailureInfo, text: &str) -> Vec<u8> {
    let (unused, bytes) = fail_info.bit_string();
    let encode = || -> der::Result<Vec<u8>> {
        let text = Utf8StringRef::new(text)?;
        let strings = vec![text];
        TimeStampResp {
            status: PkiStatusInfo { status: 2, status_string: Some(strings), fail_info: Some(BitStringRef::new(unused, &bytes)?) },
            time_stamp_token: None,
        }
        .to_der()
    };
    // The fallback is a fixed, valid DER rejection with systemFailure and no text.
    encode().unwrap_or_else(|_| vec![0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failure_bits_encode_as_der_named_bits() {
        assert_eq!(FailureInfo::BadAlg.bit_string(), (7, vec![0x80]));
        assert_eq!(FailureInfo::BadRequest.bit_string(), (5, vec![0x20]));
        assert_eq!(FailureInfo::BadDataFormat.bit_string(), (2, vec![0x04]));
        assert_eq!(FailureInfo::UnacceptedPolicy.bit_string(), (0, vec![0x00, 0x01]));
        assert_eq!(FailureInfo::SystemFailure.bit_string(), (6, vec![0, 0, 0, 0x40]));
        assert_eq!(FailureInfo::names_of(&[0x04]), vec!["badDataFormat"]);
    }

    #[test]
    fn rejection_parses_back_with_its_failure_and_text() {
        for f in [FailureInfo::BadAlg, FailureInfo::BadDataFormat, FailureInfo::UnacceptedExtension, FailureInfo::SystemFailure] {
            let der = rejection(f, "no");
            match super::super::parse_response(&der) {
                Err(TspError::Rejected { status: 2, fail_info, text }) => {
                    assert_eq!(fail_info, vec![f.name()]);
                    assert_eq!(text.as_deref(), Some("no"));
                }
                other => panic!("{other:?}"),
            }
        }
        // The fallback constant is itself a valid rejection.
        let fallback = [0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40];
        assert!(matches!(super::super::parse_response(&fallback), Err(TspError::Rejected { status: 2, .. })));
    }
}
