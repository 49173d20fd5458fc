//! A human-readable description of a `.p7s` for `kyso inspect`: structure only — nothing here
//! verifies a signature, a certificate path or revocation (that is `kyso verify`).

use super::{input, single_attribute_value, SignedData, SignerIdentifier};
use crate::alg::{oid, DigestAlgorithm};
use crate::cms::ess::{SigningCertificate, SigningCertificateV2};
use der::asn1::{ObjectIdentifier, OctetString};
use der::{Decode, Encode};
use std::fmt::Write as _;
use x509_parser::prelude::FromDer;

/// Why a signature cannot be described.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DescribeError {
    /// Not DER / not PEM-armoured CMS.
    #[error(transparent)]
    Input(#[from] input::InputError),
    /// DER, but not a CMS ContentInfo / SignedData.
    #[error("not a CMS SignedData: {0}")]
    Structure(String),
}

/// Describes a CMS SignedData (DER, or PEM `PKCS7`/`CMS`): content, digest algorithms,
/// certificates, and per signer its certificate, algorithms, signing time, message digest and
/// whether an ESS signing-certificate attribute is present and names the signer certificate.
pub fn describe(bytes: &[u8]) -> Result<String, DescribeError> {
    let der = input::signature_der(bytes)?;
    let ci = super::ContentInfo::from_der(&der).map_err(|e| DescribeError::Structure(e.to_string()))?;
    if ci.content_type != oid::CT_SIGNED_DATA {
        return Err(DescribeError::Structure(format!("content type {} is not signedData", ci.content_type)));
    }
    let sd: SignedData = ci.content.decode_as().map_err(|e: der::Error| DescribeError::Structure(e.to_string()))?;
    let mut out = String::new();
    let detached = sd.encap_content_info.econtent.is_none();
    let _ = writeln!(out, "CMS SignedData, version {}", sd.version as u8);
    let _ = writeln!(
        out,
        "  content: {} ({})",
        content_type_name(&sd.encap_content_info.econtent_type),
        if detached { "detached" } else { "encapsulated" }
    );
    let digests: Vec<String> = sd.digest_algorithms.iter().map(|a| digest_name(&a.oid)).collect();
    let _ = writeln!(out, "  digest algorithms: {}", digests.join(", "));

    let certs: Vec<Vec<u8>> = sd
        .certificates
        .as_ref()
        .map(|s| {
            s.0.iter()
                .filter_map(|c| match c {
                    super::CertificateChoices::Certificate(c) => c.to_der().ok(),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    let _ = writeln!(out, "  certificates: {}", certs.len());
    for (i, c) in certs.iter().enumerate() {
        match x509_parser::certificate::X509Certificate::from_der(c) {
            Ok((_, x)) => {
                let _ = writeln!(out, "    [{}] subject: {}", i + 1, x.subject());
                let _ = writeln!(out, "        issuer:  {}", x.issuer());
                // one serial form (lower-case hex, as `kyso ca list`) and RFC 3339 times everywhere
                let _ = writeln!(out, "        serial:  {}", crate::objects::serial_hex(x.raw_serial()));
                let _ = writeln!(
                    out,
                    "        valid:   {} to {}",
                    crate::util::rfc3339(x.validity().not_before.to_datetime()),
                    crate::util::rfc3339(x.validity().not_after.to_datetime())
                );
            }
            Err(e) => {
                let _ = writeln!(out, "    [{}] unreadable certificate: {e}", i + 1);
            }
        }
    }
    if let Some(crls) = &sd.crls {
        let _ = writeln!(out, "  CRLs: {}", crls.0.len());
    }

    let _ = writeln!(out, "  signers: {}", sd.signer_infos.0.len());
    for (i, si) in sd.signer_infos.0.iter().enumerate() {
        let _ = writeln!(out, "    signer {}:", i + 1);
        let cert = certs.iter().find(|c| sid_matches(&si.sid, c));
        match (&si.sid, cert) {
            (_, Some(c)) => {
                let subject = x509_parser::certificate::X509Certificate::from_der(c)
                    .map(|(_, x)| x.subject().to_string())
                    .unwrap_or_default();
                let _ = writeln!(out, "      certificate: {subject}");
            }
            (SignerIdentifier::IssuerAndSerialNumber(isn), None) => {
                let _ = writeln!(
                    out,
                    "      certificate: not in the file (issuer {}, serial {})",
                    isn.issuer,
                    crate::objects::serial_hex(isn.serial_number.as_bytes())
                );
            }
            (SignerIdentifier::SubjectKeyIdentifier(ski), None) => {
                let _ = writeln!(out, "      certificate: not in the file (key identifier {})", hex::encode(ski.0.as_bytes()));
            }
        }
        let _ = writeln!(out, "      digest algorithm: {}", digest_name(&si.digest_alg.oid));
        let _ = writeln!(out, "      signature algorithm: {}", signature_name(&si.signature_algorithm));
        match &si.signed_attrs {
            None => {
                let _ = writeln!(out, "      signed attributes: none");
            }
            Some(attrs) => {
                let ct = single_attribute_value(attrs, &oid::ATTR_CONTENT_TYPE)
                    .ok()
                    .flatten()
                    .and_then(|v| v.decode_as::<ObjectIdentifier>().ok());
                if let Some(ct) = ct {
                    let _ = writeln!(out, "      content type: {}", content_type_name(&ct));
                }
                let time = single_attribute_value(attrs, &oid::ATTR_SIGNING_TIME)
                    .ok()
                    .flatten()
                    .and_then(|v| v.to_der().ok())
                    .and_then(|d| x509_cert::time::Time::from_der(&d).ok());
                match time {
                    Some(t) => {
                        let _ = writeln!(out, "      signing time: {}", t.to_date_time());
                    }
                    None => {
                        let _ = writeln!(out, "      signing time: (none)");
                    }
                }
                let md = single_attribute_value(attrs, &oid::ATTR_MESSAGE_DIGEST)
                    .ok()
                    .flatten()
                    .and_then(|v| v.decode_as::<OctetString>().ok());
                if let Some(md) = md {
                    let _ = writeln!(out, "      message digest: {}", hex::encode(md.as_bytes()));
                }
                let ess = ess_summary(attrs, cert.map(Vec::as_slice));
                let _ = writeln!(out, "      signing certificate (ESS): {ess}");
                let others: Vec<String> = attrs
                    .iter()
                    .map(|a| a.oid)
                    .filter(|o| {
                        ![
                            oid::ATTR_CONTENT_TYPE,
                            oid::ATTR_SIGNING_TIME,
                            oid::ATTR_MESSAGE_DIGEST,
                            oid::ATTR_SIGNING_CERTIFICATE_V2,
                            oid::ATTR_SIGNING_CERTIFICATE,
                        ]
                        .contains(o)
                    })
                    .map(|o| attribute_name(&o))
                    .collect();
                if !others.is_empty() {
                    let _ = writeln!(out, "      other signed attributes: {}", others.join(", "));
                }
            }
        }
        if let Some(u) = &si.unsigned_attrs {
            let names: Vec<String> = u.iter().map(|a| attribute_name(&a.oid)).collect();
            let _ = writeln!(out, "      unsigned attributes: {}", names.join(", "));
        }
    }
    Ok(out)
}

fn ess_summary(attrs: &super::Attributes, cert: Option<&[u8]>) -> String {
    let v2 = single_attribute_value(attrs, &oid::ATTR_SIGNING_CERTIFICATE_V2);
    let v1 = single_attribute_value(attrs, &oid::ATTR_SIGNING_CERTIFICATE);
    let verdict = |matches: Option<bool>| match matches {
        Some(true) => "matches the signer certificate",
        Some(false) => "DOES NOT match the signer certificate",
        None => "signer certificate not in the file",
    };
    match (v2, v1) {
        (Ok(Some(v)), _) => match v.to_der().ok().and_then(|d| SigningCertificateV2::from_der(&d).ok()) {
            Some(sc) => {
                let alg = sc.certs.first().map(|c| digest_name(&c.hash_algorithm.oid)).unwrap_or_default();
                let m = cert.map(|c| sc.certs.first().is_some_and(|id| id.matches(c)));
                format!("signing-certificate-v2 present ({alg}), {}", verdict(m))
            }
            None => "signing-certificate-v2 present but malformed".into(),
        },
        (_, Ok(Some(v))) => match v.to_der().ok().and_then(|d| SigningCertificate::from_der(&d).ok()) {
            Some(sc) => {
                let m = cert.map(|c| sc.certs.first().is_some_and(|id| id.matches(c)));
                format!("signing-certificate (v1, SHA-1) present, {}", verdict(m))
            }
            None => "signing-certificate (v1) present but malformed".into(),
        },
        (Err(e), _) | (_, Err(e)) => format!("malformed: {e}"),
        _ => "absent".into(),
    }
}

fn sid_matches(sid: &SignerIdentifier, cert_der: &[u8]) -> bool {
    let Ok(cert) = x509_cert::Certificate::from_der(cert_der) else { return false };
    match sid {
        SignerIdentifier::IssuerAndSerialNumber(isn) => {
            isn.issuer == *cert.tbs_certificate().issuer() && isn.serial_number == *cert.tbs_certificate().serial_number()
        }
        SignerIdentifier::SubjectKeyIdentifier(ski) => cert
            .tbs_certificate()
            .get_extension::<x509_cert::ext::pkix::SubjectKeyIdentifier>()
            .ok()
            .flatten()
            .is_some_and(|(_, k)| k == *ski),
    }
}

fn digest_name(o: &ObjectIdentifier) -> String {
    DigestAlgorithm::from_oid(o).map(|d| d.name().to_string()).unwrap_or_else(|| o.to_string())
}

fn content_type_name(o: &ObjectIdentifier) -> String {
    if *o == oid::CT_DATA {
        "id-data".into()
    } else if *o == oid::CT_TST_INFO {
        "id-ct-TSTInfo".into()
    } else {
        o.to_string()
    }
}

/// The name of a CMS signatureAlgorithm, including the PSS hash when it can be read.
fn signature_name(a: &spki::AlgorithmIdentifierOwned) -> String {
    let o = a.oid;
    let name = match o {
        _ if o == oid::ECDSA_SHA256 => "ECDSA with SHA-256",
        _ if o == oid::ECDSA_SHA384 => "ECDSA with SHA-384",
        _ if o == oid::ECDSA_SHA512 => "ECDSA with SHA-512",
        _ if o == oid::ECDSA_SHA1 => "ECDSA with SHA-1",
        _ if o == oid::ED25519 => "Ed25519",
        _ if o == oid::SHA256_WITH_RSA => "RSA PKCS#1 v1.5 with SHA-256",
        _ if o == oid::SHA384_WITH_RSA => "RSA PKCS#1 v1.5 with SHA-384",
        _ if o == oid::SHA512_WITH_RSA => "RSA PKCS#1 v1.5 with SHA-512",
        _ if o == oid::SHA1_WITH_RSA => "RSA PKCS#1 v1.5 with SHA-1",
        _ if o == oid::RSA_ENCRYPTION => "RSA PKCS#1 v1.5 (hash from the digest algorithm)",
        _ if o == oid::RSASSA_PSS => {
            let enc = a.to_der().unwrap_or_default();
            return if enc.as_slice() == crate::alg::RSA_PSS_SHA256_ALG_ID {
                "RSASSA-PSS (SHA-256, MGF1-SHA-256, salt 32)".into()
            } else {
                "RSASSA-PSS".into()
            };
        }
        _ => return o.to_string(),
    };
    name.into()
}

fn attribute_name(o: &ObjectIdentifier) -> String {
    let name = match *o {
        _ if *o == oid::ATTR_SIGNATURE_TIMESTAMP => "signature-time-stamp-token",
        _ if *o == oid::ATTR_CMS_ALGORITHM_PROTECTION => "cms-algorithm-protection",
        _ => return o.to_string(),
    };
    name.into()
}
