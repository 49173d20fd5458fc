//! Signing: the output checked with ring and the typed `cms` decoder, the certificate rules,
//! adding signers, encodings.

use super::attributes::{signing_certificate_v2_der, ATTR_SIGNING_TIME_TLV};
use super::digest::digest_reader;
use super::*;
use crate::asn1;
use crate::alg::oid;
use crate::cms::assemble::{self, RawSignedData, SignedDataParts};
use crate::keys::PrivateKey;
use der::{Decode, Encode};
use crate::cms::SigningCertificateV2;
use crate::KeyAlgorithm;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyUsagePurpose};
use time::macros::datetime;

struct Ca {
    params: CertificateParams,
    key: rcgen::KeyPair,
    der: Vec<u8>,
}

fn root() -> Ca {
    let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap().rcgen_key_pair().unwrap();
    let mut p = CertificateParams::new(vec![]).unwrap();
    p.distinguished_name.push(DnType::CommonName, "Root CA Bắc Ninh");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    p.not_before = datetime!(2020-01-01 0:00 UTC);
    p.not_after = datetime!(2040-01-01 0:00 UTC);
    let der = p.self_signed(&key).unwrap().der().to_vec();
    Ca { params: p, key, der }
}

fn leaf(ca: &Ca, alg: KeyAlgorithm, cn: &str, f: impl FnOnce(&mut CertificateParams)) -> (PrivateKey, Vec<u8>) {
    let key = PrivateKey::generate(alg).unwrap();
    let kp = key.rcgen_key_pair().unwrap();
    let mut p = CertificateParams::new(vec![]).unwrap();
    p.distinguished_name.push(DnType::CommonName, cn);
    p.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::ContentCommitment];
    p.not_before = datetime!(2026-01-01 0:00 UTC);
    p.not_after = datetime!(2027-01-01 0:00 UTC);
    p.serial_number = Some(rcgen::SerialNumber::from_slice(&DigestAlgorithm::Sha256.digest(cn.as_bytes())[..8]));
    f(&mut p);
    let issuer = Issuer::from_params(&ca.params, &ca.key);
    let der = p.signed_by(&kp, &issuer).unwrap().der().to_vec();
    (key, der)
}

const AT: OffsetDateTime = datetime!(2026-11-30 08:00 +07:00);

/// Verifies the one-signer-or-more output with ring, independently of the signer's code:
/// re-tags the received signed attributes as SET and checks the ECDSA signature.
fn check_ecdsa_signer(p7s: &[u8], doc: &[u8], cert: &[u8], index: usize) {
    let raw = RawSignedData::parse(p7s).unwrap();
    let si = crate::cms::SignerInfo::from_der(raw.signer_infos.iter().map(|t| t.raw).find(|r| {
        let s = crate::cms::SignerInfo::from_der(r).unwrap();
        let x = x509_cert::Certificate::from_der(cert).unwrap();
        matches!(&s.sid, crate::cms::SignerIdentifier::IssuerAndSerialNumber(i) if i.serial_number == *x.tbs_certificate().serial_number())
    }).unwrap_or_else(|| panic!("signer {index} not found"))).unwrap();
    let attrs = si.signed_attrs.as_ref().unwrap();
    let digest = DigestAlgorithm::from_oid(&si.digest_alg.oid).unwrap();
    let md: Option<der::asn1::OctetString> = crate::cms::decode_attribute(attrs, &oid::ATTR_MESSAGE_DIGEST).unwrap();
    assert_eq!(md.unwrap().as_bytes(), digest.digest(doc).as_slice());
    let ess = crate::cms::single_attribute_value(attrs, &oid::ATTR_SIGNING_CERTIFICATE_V2).unwrap().unwrap();
    let ess = SigningCertificateV2::from_der(&ess.to_der().unwrap()).unwrap();
    assert!(ess.certs[0].matches(cert));
    let mut set = attrs.to_der().unwrap();
    set[0] = 0x31;
    let x = x509_cert::Certificate::from_der(cert).unwrap();
    let pk = x.tbs_certificate().subject_public_key_info().subject_public_key.raw_bytes().to_vec();
    let alg: &dyn ring::signature::VerificationAlgorithm = if digest == DigestAlgorithm::Sha384 {
        &ring::signature::ECDSA_P384_SHA384_ASN1
    } else {
        &ring::signature::ECDSA_P256_SHA256_ASN1
    };
    ring::signature::UnparsedPublicKey::new(alg, pk).verify(&set, si.signature.as_bytes()).expect("signature verifies");
}

#[test]
fn signs_and_the_signature_checks_out() {
    let ca = root();
    let (key, cert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Sở Y tế tỉnh Bắc Ninh", |_| {});
    let s = DocumentSigner::new(key, &cert, std::slice::from_ref(&ca.der)).unwrap();
    assert_eq!(s.embedded_certificates().len(), 1, "the root is left out");
    let doc = "Giấy mời số 45/GM-SYT".as_bytes();
    let p7s = s.sign_bytes(doc, AT).unwrap();
    check_ecdsa_signer(&p7s, doc, &cert, 1);
    // strict decoders accept it and re-encode it byte for byte (it is DER)
    let ci = crate::cms::ContentInfo::from_der(&p7s).unwrap();
    assert_eq!(ci.to_der().unwrap(), p7s);
    // streaming gives the same digest as in-memory
    let p2 = s.sign_reader(std::io::Cursor::new(doc), AT).unwrap();
    check_ecdsa_signer(&p2, doc, &cert, 1);
    let text = crate::cms::describe(&p7s).unwrap();
    assert!(text.contains("signing time: 2026-11-30T01:00:00Z"), "{text}");
    assert!(text.contains("signing-certificate-v2 present (SHA-256), matches the signer certificate"), "{text}");
    assert!(text.contains("Sở Y tế tỉnh Bắc Ninh"), "{text}");
}

#[test]
fn hand_built_ess_and_sid_equal_the_typed_encodings() {
    let ca = root();
    for alg in [KeyAlgorithm::EcdsaP256, KeyAlgorithm::EcdsaP384] {
        let (_, cert) = leaf(&ca, alg, "Sở Kế hoạch và Đầu tư", |_| {});
        let digest = if alg == KeyAlgorithm::EcdsaP384 { DigestAlgorithm::Sha384 } else { DigestAlgorithm::Sha256 };
        let (issuer, serial) = assemble::issuer_and_serial(&cert).unwrap();
        let typed = SigningCertificateV2::for_certificate(&cert, digest).unwrap().to_der().unwrap();
        assert_eq!(signing_certificate_v2_der(&cert, digest, issuer, serial).unwrap(), typed);
        let x = x509_cert::Certificate::from_der(&cert).unwrap();
        let isn = crate::cms::IssuerAndSerialNumber {
            issuer: x.tbs_certificate().issuer().clone(),
            serial_number: x.tbs_certificate().serial_number().clone(),
        };
        assert_eq!(asn1::tlv(asn1::TAG_SEQUENCE, &[issuer, serial]), isn.to_der().unwrap());
    }
}

#[test]
fn pades_profile_has_no_signing_time_attribute() {
    let ca = root();
    let (key, cert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Sở Y tế", |_| {});
    let s = DocumentSigner::new(key, &cert, &[]).unwrap().with_profile(Profile::Pades);
    assert_eq!(s.profile(), Profile::Pades);
    let p7s = s.sign_bytes(b"pdf ranges", AT).unwrap();
    check_ecdsa_signer(&p7s, b"pdf ranges", &cert, 1);
    let raw = RawSignedData::parse(&p7s).unwrap();
    let si = crate::cms::SignerInfo::from_der(raw.signer_infos[0].raw).unwrap();
    let attrs = si.signed_attrs.unwrap();
    let oids: Vec<_> = attrs.iter().map(|a| a.oid).collect();
    assert_eq!(oids.len(), 3, "{oids:?}");
    assert!(!oids.contains(&oid::ATTR_SIGNING_TIME));
    assert!(oids.contains(&oid::ATTR_SIGNING_CERTIFICATE_V2) && oids.contains(&oid::ATTR_MESSAGE_DIGEST));
    assert!(matches!(si.sid, crate::cms::SignerIdentifier::IssuerAndSerialNumber(_)));
    // validity is still checked at the signing time given
    assert!(matches!(s.sign_bytes(b"x", time::macros::datetime!(2028-01-01 0:00 UTC)), Err(SignError::Expired { .. })));
}

#[test]
fn p384_uses_sha384() {
    let ca = root();
    let (key, cert) = leaf(&ca, KeyAlgorithm::EcdsaP384, "P384", |_| {});
    let s = DocumentSigner::new(key, &cert, &[]).unwrap();
    assert_eq!(s.digest_algorithm(), DigestAlgorithm::Sha384);
    let p7s = s.sign_bytes(b"x", AT).unwrap();
    check_ecdsa_signer(&p7s, b"x", &cert, 1);
}

#[test]
fn time_is_checked_at_the_signing_time_given() {
    let ca = root();
    let (key, cert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Unit", |_| {});
    let s = DocumentSigner::new(key, &cert, &[]).unwrap();
    match s.sign_bytes(b"x", datetime!(2027-01-01 0:00:01 UTC)) {
        Err(e @ SignError::Expired { .. }) => {
            assert_eq!(e.to_string(), "the certificate expired on 2027-01-01T00:00:00Z (checked at 2027-01-01T00:00:01Z)")
        }
        other => panic!("{other:?}"),
    }
    assert!(matches!(s.sign_bytes(b"x", datetime!(2025-12-31 23:59 UTC)), Err(SignError::NotYetValid { .. })));
    assert!(s.sign_bytes(b"x", datetime!(2026-01-01 0:00 UTC)).is_ok());
}

#[test]
fn unusable_certificates_and_keys_are_refused() {
    let ca = root();
    let (_, cert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "A", |_| {});
    let other = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    assert!(matches!(DocumentSigner::new(other, &cert, &[]), Err(SignError::KeyMismatch)));

    let (k, c) = leaf(&ca, KeyAlgorithm::EcdsaP256, "CA", |p| p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained));
    assert!(matches!(DocumentSigner::new(k, &c, &[]), Err(SignError::CaCertificate)));
    let (k, c) = leaf(&ca, KeyAlgorithm::EcdsaP256, "KE", |p| p.key_usages = vec![KeyUsagePurpose::KeyEncipherment]);
    assert!(matches!(DocumentSigner::new(k, &c, &[]), Err(SignError::KeyUsage)));
    let (k, c) = leaf(&ca, KeyAlgorithm::EcdsaP256, "NoKU", |p| p.key_usages = vec![]);
    assert!(matches!(DocumentSigner::new(k, &c, &[]), Err(SignError::NoKeyUsage)));
    let (k, c) = leaf(&ca, KeyAlgorithm::EcdsaP256, "TLS", |p| {
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth]
    });
    assert!(matches!(DocumentSigner::new(k, &c, &[]), Err(SignError::ExtendedKeyUsage)));
    let (k, c) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Doc", |p| {
        p.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::Other(vec![1, 3, 6, 1, 5, 5, 7, 3, 36])]
    });
    assert!(DocumentSigner::new(k, &c, &[]).is_ok());
    assert!(matches!(DocumentSigner::new(PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap(), b"junk", &[]), Err(SignError::CertificateMalformed(_))));
}

#[test]
fn add_appends_a_signer_and_refuses_other_documents() {
    let ca = root();
    let (pk, pcert) = leaf(&ca, KeyAlgorithm::EcdsaP384, "Giám đốc", |_| {});
    let (ak, acert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Sở Y tế", |_| {});
    let person = DocumentSigner::new(pk, &pcert, &[]).unwrap();
    let agency = DocumentSigner::new(ak, &acert, &[]).unwrap();
    let doc = b"van ban";
    let first = person.sign_bytes(doc, AT).unwrap();
    let both = agency.add_to(&first, &doc[..], AT).unwrap();
    check_ecdsa_signer(&both, doc, &pcert, 1);
    check_ecdsa_signer(&both, doc, &acert, 2);
    let raw = RawSignedData::parse(&both).unwrap();
    assert_eq!(raw.signer_infos.len(), 2);
    assert_eq!(raw.certificates.len(), 2);
    assert_eq!(raw.digest_algorithms.len(), 2, "SHA-384 and SHA-256");
    // the person's SignerInfo is kept byte for byte
    let first_raw = RawSignedData::parse(&first).unwrap();
    assert!(raw.signer_infos.iter().any(|t| t.raw == first_raw.signer_infos[0].raw));
    // strict DER throughout
    assert_eq!(crate::cms::ContentInfo::from_der(&both).unwrap().to_der().unwrap(), both);

    match agency.add_to(&first, &b"another document"[..], AT) {
        Err(e @ SignError::DifferentDocument { index: 1, algorithm: DigestAlgorithm::Sha384 }) => assert_eq!(
            e.to_string(),
            "the existing signature is not a signature of this document: signer 1's message digest (SHA-384) differs from the document's"
        ),
        other => panic!("{other:?}"),
    }
    assert!(matches!(agency.add_to(&both, &doc[..], AT), Err(SignError::AlreadySigned { index: _ })));
    // a third signer with the same digest: no duplicate digest algorithm
    let (ck, ccert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Văn thư", |_| {});
    let clerk = DocumentSigner::new(ck, &ccert, &[]).unwrap();
    let three = clerk.add_to(&both, &doc[..], AT).unwrap();
    let raw3 = RawSignedData::parse(&three).unwrap();
    assert_eq!((raw3.signer_infos.len(), raw3.digest_algorithms.len(), raw3.certificates.len()), (3, 2, 3));
    assert!(matches!(clerk.add_to(b"\x30\x03\x02\x01\x01", &doc[..], AT), Err(SignError::Existing(_))));
}

#[test]
fn mutated_signatures_never_panic() {
    let ca = root();
    let (pk, pcert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Person", |_| {});
    let (ak, acert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Agency", |_| {});
    let person = DocumentSigner::new(pk, &pcert, &[]).unwrap();
    let agency = DocumentSigner::new(ak, &acert, &[]).unwrap();
    let p7s = person.sign_bytes(b"doc", AT).unwrap();
    for i in 0..p7s.len() {
        for delta in [0x01u8, 0x80, 0xff] {
            let mut m = p7s.clone();
            m[i] ^= delta;
            let _ = crate::cms::describe(&m);
            let _ = agency.add_to(&m, &b"doc"[..], AT);
        }
        let _ = crate::cms::describe(&p7s[..i]);
        assert!(agency.add_to(&p7s[..i], &b"doc"[..], AT).is_err(), "truncated at {i} accepted");
    }
}

#[test]
fn add_keeps_encapsulated_content_and_checks_it() {
    let ca = root();
    let (pk, pcert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Person", |_| {});
    let (ak, acert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "Agency", |_| {});
    let person = DocumentSigner::new(pk, &pcert, &[]).unwrap();
    let agency = DocumentSigner::new(ak, &acert, &[]).unwrap();
    let detached = person.sign_bytes(b"doc", AT).unwrap();
    let raw = RawSignedData::parse(&detached).unwrap();
    // Re-assemble with an encapsulated content: the real document, then another one.
    for (content, ok) in [(&b"doc"[..], true), (&b"other"[..], false)] {
        let oct = asn1::tlv(asn1::TAG_OCTET_STRING, &[content]);
        let eci = asn1::tlv(
            asn1::TAG_SEQUENCE,
            &[&assemble::DETACHED_DATA_ECI[2..], &asn1::tlv(asn1::TAG_CTX0, &[&oct])],
        );
        let attached = assemble::signed_data(SignedDataParts {
            version: 1,
            digest_algorithms: raw.digest_algorithms.iter().map(|t| t.raw).collect(),
            encap_content_info: &eci,
            certificates: raw.certificates.iter().map(|t| t.raw).collect(),
            crls: None,
            signer_infos: raw.signer_infos.iter().map(|t| t.raw).collect(),
        });
        let r = agency.add_to(&attached, &b"doc"[..], AT);
        if ok {
            let both = r.unwrap();
            assert_eq!(RawSignedData::parse(&both).unwrap().econtent, Some(&b"doc"[..]));
        } else {
            assert!(matches!(r, Err(SignError::ContentDiffers)), "{r:?}");
        }
    }
}

#[test]
fn signing_time_attribute_matches_the_generic_encoding() {
    assert_eq!(ATTR_SIGNING_TIME_TLV.to_vec(), oid::ATTR_SIGNING_TIME.to_der().unwrap());
    let ca = root();
    let (key, cert) = leaf(&ca, KeyAlgorithm::EcdsaP256, "T", |_| {});
    let s = DocumentSigner::new(key, &cert, &[]).unwrap();
    let si = crate::cms::SignerInfo::from_der(&s.signer_info(&[7u8; 32], AT).unwrap()).unwrap();
    let attrs = si.signed_attrs.unwrap();
    let st = attrs.iter().find(|a| a.oid == oid::ATTR_SIGNING_TIME).unwrap();
    let expected = assemble::attribute_der(&oid::ATTR_SIGNING_TIME, &signing_time_der(AT).unwrap()).unwrap();
    assert_eq!(st.to_der().unwrap(), expected);
}

#[test]
fn signing_time_encoding_switches_in_2050() {
    assert_eq!(signing_time_der(datetime!(2049-12-31 23:59:59 UTC)).unwrap(), b"\x17\x0d491231235959Z");
    assert_eq!(signing_time_der(datetime!(2050-01-01 0:00 UTC)).unwrap(), b"\x18\x0f20500101000000Z");
    assert_eq!(signing_time_der(datetime!(2026-11-30 08:00:00.999 +07:00)).unwrap(), b"\x17\x0d261130010000Z");
}

#[test]
fn digest_reader_matches_one_shot_for_any_buffer() {
    let data: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    for buf in [1, 7, 4096, 1 << 20] {
        let d = digest_reader(&data[..], &[DigestAlgorithm::Sha256, DigestAlgorithm::Sha384], buf).unwrap();
        assert_eq!(d[0], DigestAlgorithm::Sha256.digest(&data));
        assert_eq!(d[1], DigestAlgorithm::Sha384.digest(&data));
    }
}
