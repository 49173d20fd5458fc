//! Unit tests of the PKCS#12 reader and writer: round trips, the typed errors, the budgets, and
//! hand-built files for what kyso never writes (several keys, plain KeyBags, no MAC, two
//! passwords). The OpenSSL and pyca/cryptography oracles are in tests/it/pkcs12.rs.

use super::crypt::{Encrypt, LegacyPbe, Password};
use super::kdf::Hash;
use super::write::{attributes, cert_bag, content_info, encrypted_data, oid, pfx, safe_bag, safe_contents, shrouded_key_bag};
use super::*;
use crate::asn1::{tlv, TAG_OCTET_STRING, TAG_SEQUENCE};
use crate::keys::{KeyAlgorithm, PrivateKey, Signer};

/// A key and a certificate for it, signed by `issuer` (or self-signed).
fn party(cn: &str, alg: KeyAlgorithm) -> (PrivateKey, Vec<u8>) {
    let key = PrivateKey::generate(alg).unwrap();
    let kp = key.rcgen_key_pair().unwrap();
    let mut params = rcgen::CertificateParams::new(vec![]).unwrap();
    params.distinguished_name.push(rcgen::DnType::CommonName, cn);
    let cert = params.self_signed(&kp).unwrap();
    (key, cert.der().to_vec())
}

fn quick(legacy: bool) -> WriteOptions {
    WriteOptions { legacy, iterations: Some(10), friendly_name: None }
}

fn rng() -> ring::rand::SystemRandom {
    ring::rand::SystemRandom::new()
}

#[test]
fn round_trip_keeps_key_certificate_chain_and_names() {
    let (key, cert) = party("Sở Y tế tỉnh Bắc Ninh", KeyAlgorithm::EcdsaP256);
    let (_, ca1) = party("CA Tỉnh Bắc Ninh", KeyAlgorithm::EcdsaP256);
    let (_, ca2) = party("Root CA Tỉnh Bắc Ninh", KeyAlgorithm::EcdsaP384);
    let chain = vec![ca1, ca2];
    for legacy in [false, true] {
        let file = write(&key, &cert, &chain, "mật khẩu đơn vị".as_bytes(), &quick(legacy)).unwrap();
        assert!(is_pkcs12(&file));
        let p = parse(&file, "mật khẩu đơn vị".as_bytes()).unwrap();
        assert_eq!(p.keys.len(), 1);
        assert_eq!(p.keys[0].pkcs8_der(), key.pkcs8_der());
        assert_eq!(p.keys[0].friendly_name.as_deref(), Some("Sở Y tế tỉnh Bắc Ninh"));
        let sha1_of_cert = {
            use sha1::Digest;
            sha1::Sha1::digest(&cert).to_vec()
        };
        assert_eq!(p.keys[0].local_key_id.as_deref(), Some(sha1_of_cert.as_slice()));
        assert_eq!(p.certificates.len(), 3);
        assert_eq!(p.certificates[0].local_key_id.as_deref(), Some(sha1_of_cert.as_slice()));
        assert_eq!(p.certificates[1].friendly_name, None);
        let id = p.identity(None, None).unwrap();
        assert_eq!(id.certificate, cert);
        assert_eq!(id.chain, chain);
        assert_eq!(id.key.public_key_spki(), key.public_key_spki());
        assert_eq!(id.friendly_name.as_deref(), Some("Sở Y tế tỉnh Bắc Ninh"));
        // what the file says about itself
        let mac = p.protection.mac.unwrap();
        assert_eq!((mac.name, mac.iterations, mac.legacy), (if legacy { "HMAC-SHA-1" } else { "HMAC-SHA-256" }, 10, legacy));
        let names: Vec<&str> = p.protection.encryption.iter().map(|s| s.name).collect();
        let want = if legacy {
            vec!["pbeWithSHAAnd40BitRC2-CBC", "pbeWithSHAAnd3-KeyTripleDES-CBC"]
        } else {
            vec!["PBES2 (PBKDF2-HMAC-SHA-256, AES-256-CBC)"; 2]
        };
        assert_eq!(names, want);
        assert_eq!(p.protection.uses_legacy(), legacy);
    }
}

#[test]
fn rsa_and_p384_keys_round_trip() {
    let (key, cert) = party("P-384", KeyAlgorithm::EcdsaP384);
    let p = parse(&write(&key, &cert, &[], b"x", &quick(false)).unwrap(), b"x").unwrap();
    assert_eq!(p.identity(None, None).unwrap().key.algorithm(), KeyAlgorithm::EcdsaP384);
}

#[test]
fn default_options_write_the_documented_iterations() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    let p = parse(&write(&key, &cert, &[], b"pw", &WriteOptions::new()).unwrap(), b"pw").unwrap();
    assert_eq!(p.protection.mac.unwrap().iterations, u64::from(WRITE_ITERATIONS));
    assert!(p.protection.encryption.iter().all(|s| s.iterations == u64::from(WRITE_ITERATIONS)));
    let p = parse(&write(&key, &cert, &[], b"pw", &WriteOptions::legacy()).unwrap(), b"pw").unwrap();
    assert!(p.protection.encryption.iter().all(|s| s.iterations == u64::from(LEGACY_ITERATIONS) && s.legacy));
}

#[test]
fn wrong_password_is_a_mac_mismatch() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    for legacy in [false, true] {
        let file = write(&key, &cert, &[], b"right", &quick(legacy)).unwrap();
        assert_eq!(parse(&file, b"wrong").unwrap_err(), Pkcs12Error::MacMismatch);
        assert_eq!(parse(&file, b"").unwrap_err(), Pkcs12Error::MacMismatch);
    }
}

#[test]
fn a_flipped_mac_byte_is_a_mac_mismatch() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    let mut file = write(&key, &cert, &[], b"pw", &quick(false)).unwrap();
    // The last bytes are the MacData's salt and count; the MAC's digest comes before: flip a
    // byte of the AuthenticatedSafe instead (the middle of the file).
    let mid = file.len() / 2;
    file[mid] ^= 1;
    assert!(matches!(parse(&file, b"pw").unwrap_err(), Pkcs12Error::MacMismatch | Pkcs12Error::Malformed { .. }));
}

/// A file without a MAC whose parts were encrypted with `enc_pw`.
fn no_mac_file(key: &PrivateKey, cert: &[u8], enc_pw: &[u8], how: Encrypt) -> Vec<u8> {
    let pw = Password::new(enc_pw);
    let attrs = attributes(Some("u"), b"id");
    let certs = encrypted_data(how, &pw, &safe_contents(&[cert_bag(cert, Some(&attrs))]), &rng()).unwrap();
    let keys = safe_contents(&[shrouded_key_bag(how, &pw, key.pkcs8_der(), Some(&attrs), &rng()).unwrap()]);
    pfx(&[content_info(oids::ENCRYPTED_DATA, &certs), content_info(oids::DATA, &tlv(TAG_OCTET_STRING, &[&keys]))], None, &rng()).unwrap()
}

#[test]
fn decryption_failure_is_told_apart_from_a_mac_failure() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    // No MAC: the wrong password shows when the first part does not decrypt.
    for how in [Encrypt::Pbes2 { iterations: 5 }, Encrypt::Legacy { pbe: LegacyPbe::TripleDes3Key, iterations: 5 }] {
        let file = no_mac_file(&key, &cert, b"right", how);
        let p = parse(&file, b"right").unwrap();
        assert_eq!(p.protection.mac, None);
        assert_eq!(p.identity(None, None).unwrap().certificate, cert);
        match parse(&file, b"wrong").unwrap_err() {
            Pkcs12Error::DecryptionFailed { part: Part::EncryptedContents, mac_verified: false } => {}
            other => panic!("{how:?}: {other:?}"),
        }
    }
    // A MAC made with one password, the parts with another (openssl pkcs12 -twopass).
    let pw_mac = Password::new(b"mac password");
    let pw_enc = Password::new(b"encryption password");
    let keys = safe_contents(&[shrouded_key_bag(Encrypt::Pbes2 { iterations: 5 }, &pw_enc, key.pkcs8_der(), None, &rng()).unwrap()]);
    let file = pfx(&[content_info(oids::DATA, &tlv(TAG_OCTET_STRING, &[&keys]))], Some((Hash::Sha256, &pw_mac, 5, 8)), &rng()).unwrap();
    assert_eq!(parse(&file, b"mac password").unwrap_err(), Pkcs12Error::DecryptionFailed { part: Part::PrivateKey, mac_verified: true });
    assert_eq!(parse(&file, b"encryption password").unwrap_err(), Pkcs12Error::MacMismatch);
    let msg = Pkcs12Error::DecryptionFailed { part: Part::PrivateKey, mac_verified: true }.to_string();
    assert!(msg.contains("second password"), "{msg}");
}

#[test]
fn every_truncation_is_an_error_not_a_panic() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    let file = write(&key, &cert, &[], b"pw", &quick(false)).unwrap();
    let mut truncated = 0;
    for n in 0..file.len() {
        match parse(&file[..n], b"pw") {
            Err(Pkcs12Error::Truncated) => truncated += 1,
            Err(Pkcs12Error::NotPkcs12 | Pkcs12Error::Malformed { .. }) => {}
            other => panic!("prefix of {n} bytes: {other:?}"),
        }
    }
    // All but the empty prefix and the bare tag are "truncated".
    assert!(truncated >= file.len() - 2, "{truncated} of {}", file.len());
    assert_eq!(parse(&file[..file.len() / 2], b"pw").unwrap_err(), Pkcs12Error::Truncated);
}

#[test]
fn single_byte_mutations_never_panic() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    let file = write(&key, &cert, &[], b"pw", &quick(true)).unwrap();
    for i in 0..file.len() {
        for x in [0x01u8, 0x80, 0xff] {
            let mut m = file.clone();
            m[i] ^= x;
            let _ = parse(&m, b"pw").map(|p| p.identity(None, None));
        }
    }
}

#[test]
fn other_inputs_are_not_pkcs12() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    assert!(!is_pkcs12(key.to_unencrypted_pem().unwrap().as_bytes()));
    assert!(!is_pkcs12(key.pkcs8_der()));
    assert!(!is_pkcs12(&cert));
    assert!(!is_pkcs12(b""));
    assert_eq!(parse(b"-----BEGIN PRIVATE KEY-----", b"pw").unwrap_err(), Pkcs12Error::NotPkcs12);
    assert_eq!(parse(&[], b"pw").unwrap_err(), Pkcs12Error::NotPkcs12);
    assert_eq!(parse(&vec![0x30; MAX_PKCS12_BYTES + 1], b"pw").unwrap_err(), Pkcs12Error::TooLarge { size: MAX_PKCS12_BYTES + 1, limit: MAX_PKCS12_BYTES });
    // version 2
    let mut file = write(&key, &cert, &[], b"pw", &quick(false)).unwrap();
    let at = file.windows(3).position(|w| w == [0x02, 0x01, 0x03]).unwrap();
    file[at + 2] = 2;
    assert_eq!(parse(&file, b"pw").unwrap_err(), Pkcs12Error::UnsupportedVersion(2));
}

/// The write side's MacData with its iteration count replaced (a hostile file).
fn with_mac_iterations(file: &[u8], iterations: u64) -> Vec<u8> {
    let pfx = crate::asn1::read_all(file).unwrap();
    let fields = pfx.children().unwrap();
    let mac = fields[2].children().unwrap();
    let count = der::Encode::to_der(&iterations).unwrap();
    let mac = tlv(TAG_SEQUENCE, &[mac[0].raw, mac[1].raw, &count]);
    tlv(TAG_SEQUENCE, &[fields[0].raw, fields[1].raw, &mac])
}

#[test]
fn absurd_iteration_counts_are_refused_before_any_work() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    let file = write(&key, &cert, &[], b"pw", &quick(false)).unwrap();
    // No clock (issue 23: no wall-clock threshold in plain tests): the refusal of 2^32 - 1 and
    // 2^64 - 1 iterations returning at all shows it comes before the iterations (they would run
    // for hours or never end), and the error names the stated count and the limit.
    for n in [u64::from(MAX_ITERATIONS) + 1, u64::from(u32::MAX), u64::MAX] {
        assert_eq!(
            parse(&with_mac_iterations(&file, n), b"pw").unwrap_err(),
            Pkcs12Error::ExcessiveWork { what: "MAC iterations", stated: n, limit: MAX_ITERATIONS.into() }
        );
    }
    // PBES2 and legacy PBE counts in the parts (no MAC, so that they are reached).
    for how in [Encrypt::Pbes2 { iterations: 1 }, Encrypt::Legacy { pbe: LegacyPbe::TripleDes3Key, iterations: 1 }] {
        let file = no_mac_file(&key, &cert, b"pw", how);
        // the count is the last INTEGER before the ciphertext's [0]: rewrite it to 2^31 - 1
        let hostile = rewrite_first_iteration_count(&file, 0x7fff_ffff);
        let e = parse(&hostile, b"pw").unwrap_err();
        assert!(matches!(e, Pkcs12Error::ExcessiveWork { stated: 0x7fff_ffff, .. }), "{how:?}: {e:?}");
    }
    // kyso never writes a file it would refuse
    let opts = WriteOptions { iterations: Some(MAX_ITERATIONS + 1), ..WriteOptions::new() };
    assert!(matches!(write(&key, &cert, &[], b"pw", &opts).unwrap_err(), Pkcs12Error::ExcessiveWork { .. }));
    let opts = WriteOptions { iterations: Some(MAX_ITERATIONS), ..WriteOptions::new() };
    assert!(matches!(write(&key, &cert, &[], b"pw", &opts).unwrap_err(), Pkcs12Error::ExcessiveWork { what: "iterations in all (MAC and encrypted parts)", .. }));
}

/// Replaces the first iteration count written by `encrypt` (a 1 encoded as `02 01 01` after the
/// salt) with `n`, fixing every enclosing length: re-encodes through the reader.
fn rewrite_first_iteration_count(file: &[u8], n: u32) -> Vec<u8> {
    fn walk(t: &crate::asn1::Tlv<'_>, n: u32, done: &mut bool) -> Vec<u8> {
        if !t.constructed() {
            if !*done && t.tag == 0x02 && t.body == [1] {
                *done = true;
                return der::Encode::to_der(&n).unwrap();
            }
            // Data's OCTET STRING holds DER too: descend into it.
            if t.tag == 0x04 {
                if let Ok(inner) = crate::asn1::read_all(t.body) {
                    if inner.constructed() {
                        return tlv(0x04, &[&walk(&inner, n, done)]);
                    }
                }
            }
            return t.raw.to_vec();
        }
        let kids: Vec<Vec<u8>> = t.children().unwrap().iter().map(|k| walk(k, n, done)).collect();
        let refs: Vec<&[u8]> = kids.iter().map(Vec::as_slice).collect();
        tlv(t.tag, &refs)
    }
    let mut done = false;
    // skip the version INTEGER 3 (it is `02 01 03`, not 1)
    let out = walk(&crate::asn1::read_all(file).unwrap(), n, &mut done);
    assert!(done);
    out
}

#[test]
fn lowered_limits_refuse_a_file_the_defaults_accept() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    let file = write(&key, &cert, &[], b"pw", &quick(false)).unwrap();
    // MAC (10) + certificates (10) + key (10)
    assert!(parse_with_limits(&file, b"pw", Limits::new(10, 30)).is_ok());
    assert_eq!(
        parse_with_limits(&file, b"pw", Limits::new(10, 29)).unwrap_err(),
        Pkcs12Error::ExcessiveWork { what: "iterations in all (MAC and encrypted parts)", stated: 30, limit: 29 }
    );
    assert_eq!(parse_with_limits(&file, b"pw", Limits::new(9, 30)).unwrap_err(), Pkcs12Error::ExcessiveWork { what: "MAC iterations", stated: 10, limit: 9 });
}

#[test]
fn the_budget_caps_the_whole_file() {
    let mut b = Budget::new(Limits::default());
    b.spend(MAX_TOTAL_ITERATIONS - 1).unwrap();
    b.spend(1).unwrap();
    assert!(matches!(b.spend(1), Err(Pkcs12Error::ExcessiveWork { stated, .. }) if stated == MAX_TOTAL_ITERATIONS + 1));
    let mut b = Budget::new(Limits::default());
    assert!(b.spend(u64::MAX).is_err());
    // two derivations under the per-derivation cap but over the file's
    let mut b = Budget::new(Limits::new(100, 150));
    assert_eq!(b.charge("MAC iterations", 100), Ok(100));
    assert_eq!(b.charge("PBE iterations", 60), Err(Pkcs12Error::ExcessiveWork { what: "iterations in all (MAC and encrypted parts)", stated: 160, limit: 150 }));
    assert_eq!(b.charge("PBE iterations", 101), Err(Pkcs12Error::ExcessiveWork { what: "PBE iterations", stated: 101, limit: 100 }));
    // the limits can only be lowered
    assert_eq!(Limits::new(u32::MAX, u64::MAX), Limits::default());
}

/// A file with the given bags (a Data part) and a SHA-256 MAC.
fn file_with_bags(bags: &[Vec<u8>], password: &[u8]) -> Vec<u8> {
    let pw = Password::new(password);
    pfx(&[content_info(oids::DATA, &tlv(TAG_OCTET_STRING, &[&safe_contents(bags)]))], Some((Hash::Sha256, &pw, 3, 8)), &rng()).unwrap()
}

#[test]
fn several_keys_are_chosen_by_friendly_name() {
    let (k1, c1) = party("Nguyễn Văn An", KeyAlgorithm::EcdsaP256);
    let (k2, c2) = party("Văn phòng UBND", KeyAlgorithm::EcdsaP256);
    let pw = Password::new(b"pw");
    let how = Encrypt::Pbes2 { iterations: 3 };
    let bags = vec![
        shrouded_key_bag(how, &pw, k1.pkcs8_der(), Some(&attributes(Some("an"), b"1")), &rng()).unwrap(),
        shrouded_key_bag(how, &pw, k2.pkcs8_der(), Some(&attributes(Some("ubnd"), b"2")), &rng()).unwrap(),
        cert_bag(&c1, Some(&attributes(Some("an"), b"1"))),
        cert_bag(&c2, Some(&attributes(Some("ubnd"), b"2"))),
    ];
    let p = parse(&file_with_bags(&bags, b"pw"), b"pw").unwrap();
    let names = vec![Some("an".to_string()), Some("ubnd".to_string())];
    assert_eq!(p.identity(None, None).unwrap_err(), Pkcs12Error::SeveralKeys { names: names.clone() });
    assert_eq!(Pkcs12Error::SeveralKeys { names: names.clone() }.to_string(), "the PKCS#12 file holds 2 keys: 'an', 'ubnd'");
    let id = p.identity(Some("ubnd"), None).unwrap();
    assert_eq!((id.certificate.clone(), id.chain.clone()), (c2.clone(), vec![c1.clone()]));
    assert_eq!(id.key.public_key_spki(), k2.public_key_spki());
    assert_eq!(p.identity(Some("nobody"), None).unwrap_err(), Pkcs12Error::NoSuchName { name: "nobody".into(), names });
    // a certificate given chooses its key
    assert_eq!(p.identity(None, Some(&c1)).unwrap().key.public_key_spki(), k1.public_key_spki());
    let (_, other) = party("x", KeyAlgorithm::EcdsaP256);
    assert_eq!(p.identity(None, Some(&other)).unwrap_err(), Pkcs12Error::NoKeyForCertificate);
}

#[test]
fn certificates_only_plain_key_bags_and_nested_contents() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    // certificates only
    let p = parse(&file_with_bags(&[cert_bag(&cert, None)], b"pw"), b"pw").unwrap();
    assert_eq!(p.certificates.len(), 1);
    assert_eq!(p.identity(None, None).unwrap_err(), Pkcs12Error::NoKey { certificates: 1 });
    // an unencrypted KeyBag inside a nested SafeContentsBag, and a CRL bag (skipped)
    let key_bag = safe_bag(oids::KEY_BAG, key.pkcs8_der(), None);
    let nested = safe_bag(oids::SAFE_CONTENTS_BAG, &safe_contents(&[key_bag]), None);
    let crl_bag = safe_bag(der::asn1::ObjectIdentifier::new_unwrap("1.2.840.113549.1.12.10.1.4"), &tlv(TAG_SEQUENCE, &[]), None);
    let p = parse(&file_with_bags(&[nested, cert_bag(&cert, None), crl_bag], b"pw"), b"pw").unwrap();
    assert_eq!((p.protection.plain_keys, p.skipped_bags), (1, 1));
    let id = p.identity(None, None).unwrap();
    assert_eq!(id.certificate, cert);
    // a key without its certificate
    let p = parse(&file_with_bags(&[safe_bag(oids::KEY_BAG, key.pkcs8_der(), Some(&attributes(Some("k"), b"1")))], b"pw"), b"pw").unwrap();
    assert_eq!(p.identity(None, None).unwrap_err(), Pkcs12Error::NoCertificateForKey { name: Some("k".into()) });
    assert_eq!(p.identity(None, Some(&cert)).unwrap().certificate, cert);
}

#[test]
fn nesting_and_bag_counts_are_bounded() {
    let (_, cert) = party("u", KeyAlgorithm::EcdsaP256);
    let mut bag = cert_bag(&cert, None);
    for _ in 0..=MAX_NESTING {
        bag = safe_bag(oids::SAFE_CONTENTS_BAG, &safe_contents(&[bag]), None);
    }
    assert_eq!(parse(&file_with_bags(&[bag], b"pw"), b"pw").unwrap_err(), Pkcs12Error::TooMany { what: "levels of nested bags", limit: MAX_NESTING });
    let many: Vec<Vec<u8>> = (0..=MAX_BAGS).map(|_| cert_bag(&cert, None)).collect();
    assert_eq!(parse(&file_with_bags(&many, b"pw"), b"pw").unwrap_err(), Pkcs12Error::TooMany { what: "bags", limit: MAX_BAGS });
    let enough: Vec<Vec<u8>> = (0..MAX_BAGS).map(|_| cert_bag(&cert, None)).collect();
    assert_eq!(parse(&file_with_bags(&enough, b"pw"), b"pw").unwrap().certificates.len(), MAX_BAGS);
}

#[test]
fn empty_passwords_in_both_openssl_forms() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    // with the BMPString terminator (what kyso and `-passout pass:` write)
    let file = write(&key, &cert, &[], b"", &quick(true)).unwrap();
    assert_eq!(parse(&file, b"").unwrap().identity(None, None).unwrap().certificate, cert);
    // without it (a NULL password): MAC and legacy encryption over an empty BMPString
    let none = Password::empty_without_terminator();
    let how = Encrypt::Legacy { pbe: LegacyPbe::TripleDes3Key, iterations: 3 };
    let bags = vec![shrouded_key_bag(how, &none, key.pkcs8_der(), None, &rng()).unwrap(), cert_bag(&cert, None)];
    let file = pfx(&[content_info(oids::DATA, &tlv(TAG_OCTET_STRING, &[&safe_contents(&bags)]))], Some((Hash::Sha1, &none, 3, 8)), &rng()).unwrap();
    assert_eq!(parse(&file, b"").unwrap().identity(None, None).unwrap().certificate, cert);
    assert_eq!(parse(&file, b"x").unwrap_err(), Pkcs12Error::MacMismatch);
}

#[test]
fn unsupported_modes_are_named() {
    let (_, cert) = party("u", KeyAlgorithm::EcdsaP256);
    // a PBMAC1 MAC (RFC 9579): the MAC's AlgorithmIdentifier replaced
    let file = file_with_bags(&[cert_bag(&cert, None)], b"pw");
    let pfx_t = crate::asn1::read_all(&file).unwrap();
    let f = pfx_t.children().unwrap();
    let mac = f[2].children().unwrap();
    let di = mac[0].children().unwrap();
    let alg = tlv(TAG_SEQUENCE, &[&oid(oids::PBMAC1)]);
    let hostile = tlv(TAG_SEQUENCE, &[f[0].raw, f[1].raw, &tlv(TAG_SEQUENCE, &[&tlv(TAG_SEQUENCE, &[&alg, di[1].raw]), mac[1].raw, mac[2].raw])]);
    assert_eq!(parse(&hostile, b"pw").unwrap_err(), Pkcs12Error::Unsupported { what: "MAC (PBMAC1)", oid: oids::PBMAC1 });
    // an enveloped part (public-key privacy mode)
    let file = pfx(&[content_info(oids::ENVELOPED_DATA, &tlv(TAG_SEQUENCE, &[]))], None, &rng()).unwrap();
    assert!(matches!(parse(&file, b"pw").unwrap_err(), Pkcs12Error::Unsupported { oid: oids::ENVELOPED_DATA, .. }));
}

#[test]
fn the_writer_refuses_a_certificate_of_another_key() {
    let (key, _) = party("a", KeyAlgorithm::EcdsaP256);
    let (_, other) = party("b", KeyAlgorithm::EcdsaP256);
    assert_eq!(write(&key, &other, &[], b"pw", &quick(false)).unwrap_err(), Pkcs12Error::CertificateKeyMismatch);
    assert_eq!(write(&key, b"junk", &[], b"pw", &quick(false)).unwrap_err(), Pkcs12Error::BadCertificate { index: 0 });
}

#[test]
fn debug_output_has_no_key_material() {
    let (key, cert) = party("u", KeyAlgorithm::EcdsaP256);
    let p = parse(&write(&key, &cert, &[], b"pw", &quick(false)).unwrap(), b"pw").unwrap();
    let shown = format!("{p:?} {:?}", p.identity(None, None).unwrap());
    let secret = hex::encode(key.pkcs8_der());
    assert!(!shown.contains(&secret[secret.len() - 40..]), "{shown}");
    assert!(!shown.to_lowercase().contains("pkcs8"), "{shown}");
}
