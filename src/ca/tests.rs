//! The CA's life cycle: init, issue, revoke, hold and lift, list, audit, over one directory.

use super::registry;
use super::*;
use crate::keys::{Kdf, KeyAlgorithm, KeyError, Signer};
use crate::objects::serial_hex;
use x509_parser::prelude::FromDer;
use time::macros::datetime;

const FAST: Kdf = Kdf::Pbkdf2Sha256 { iterations: 1000 };

fn root(dir: &Path, years: u32) -> (Ca, PrivateKey) {
    let mut p = InitParams::new("Root CA Tỉnh Bắc Ninh");
    p.years = Some(years);
    let ca = Ca::init(dir, &p, None, b"pw", FAST, datetime!(2026-11-30 00:00 UTC)).unwrap();
    let key = ca.open_key(Some(b"pw")).unwrap();
    (ca, key)
}

fn agency() -> IssueRequest {
    IssueRequest {
        profile: Profile::Agency,
        subject: SubjectInfo { cn: "Sở Y tế tỉnh Bắc Ninh".into(), ..Default::default() },
        years: None,
    }
}

#[test]
fn time_is_a_parameter_and_the_ca_validity_is_enforced() {
    let d = tempfile::tempdir().unwrap();
    let (mut ca, key) = root(&d.path().join("r"), 2);
    let unit = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    // a certificate issued "in 2027" is clipped to the root's notAfter (2028-11-30)
    let i = ca.issue(&key, &agency(), unit.public_key_spki(), datetime!(2027-06-01 12:00 UTC)).unwrap();
    assert_eq!(i.not_before, datetime!(2027-06-01 12:00 UTC));
    assert_eq!(i.not_after, datetime!(2028-11-30 00:00 UTC));
    assert!(i.shortened);
    // before or after the CA's validity: refused
    for t in [datetime!(2026-11-29 00:00 UTC), datetime!(2028-11-30 00:00 UTC)] {
        match ca.issue(&key, &agency(), unit.public_key_spki(), t) {
            Err(CaError::CaNotValid { .. }) => {}
            other => panic!("{other:?}"),
        }
    }
    // status at a given time
    let later = ca.list(datetime!(2029-01-01 00:00 UTC)).unwrap();
    assert_eq!(later[0].status, Status::Expired);
    let now = ca.list(datetime!(2027-07-01 00:00 UTC)).unwrap();
    assert_eq!(now[0].status, Status::Valid);
}

#[test]
fn only_a_hold_is_lifted_and_the_audit_replays_it() {
    let d = tempfile::tempdir().unwrap();
    let (mut ca, key) = root(&d.path().join("r"), 5);
    let unit = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let t = |day: u8| OffsetDateTime::new_utc(time::Date::from_calendar_date(2027, time::Month::January, day).unwrap(), time::Time::MIDNIGHT);
    let a = ca.issue(&key, &agency(), unit.public_key_spki(), t(1)).unwrap().serial;
    let b = ca.issue(&key, &agency(), unit.public_key_spki(), t(1)).unwrap().serial;
    match ca.remove_from_crl(&key, &a, t(2)) {
        Err(CaError::NotOnHold { serial, state }) => assert_eq!((serial, state.as_str()), (a.clone(), "valid")),
        r => panic!("{r:?}"),
    }
    ca.revoke(&key, &b, Reason::Superseded, t(2)).unwrap();
    match ca.remove_from_crl(&key, &b, t(3)) {
        Err(CaError::NotOnHold { state, .. }) => assert_eq!(state, "revoked since 2027-01-02T00:00:00Z, reason superseded"),
        r => panic!("{r:?}"),
    }
    match ca.remove_from_crl(&key, "77", t(3)) {
        Err(CaError::UnknownSerial(s)) => assert_eq!(s, "77"),
        r => panic!("{r:?}"),
    }
    ca.revoke(&key, &a, Reason::CertificateHold, t(3)).unwrap();
    let crl = ca.remove_from_crl(&key, &a, t(4)).unwrap();
    let statuses: Vec<_> = ca.list(t(5)).unwrap().into_iter().map(|r| (r.serial, r.status)).collect();
    assert_eq!(statuses, [(a.clone(), Status::Valid), (b.clone(), Status::Revoked)]);
    let (_, parsed) = x509_parser::revocation_list::CertificateRevocationList::from_der(&crl.der).unwrap();
    let listed: Vec<String> = parsed.iter_revoked_certificates().map(|r| serial_hex(r.raw_serial())).collect();
    assert_eq!(listed, [b.clone()]);
    ca.audit().unwrap();
    // A registry row cleared without the log entry is caught; so is a logged lifting of a
    // certificate that was never on hold.
    ca.revoke(&key, &a, Reason::CertificateHold, t(6)).unwrap();
    {
        let mut tx = ca.registry.write().unwrap();
        tx.set_revocation(&a, None).unwrap();
        tx.commit().unwrap();
    }
    assert!(matches!(ca.audit(), Err(CaError::AuditBroken { seq: 0, .. })));
    {
        let mut tx = ca.registry.write().unwrap();
        tx.set_revocation(&a, Some((unix(t(6)), "certificate-hold"))).unwrap();
        let detail = serde_json::json!({ "serial": b, "held_since": "2027-01-02T00:00:00Z", "removed_at": "2027-01-07T00:00:00Z" });
        registry::append_audit(&mut *tx, unix(t(7)), "remove-from-crl", &detail.to_string()).unwrap();
        tx.commit().unwrap();
    }
    match ca.audit() {
        Err(CaError::AuditBroken { reason, .. }) => assert!(reason.contains("shows no hold to lift"), "{reason}"),
        r => panic!("{r:?}"),
    }
}

#[test]
fn wrong_key_wrong_passphrase_and_duplicate_init_are_typed_errors() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("r");
    let (mut ca, key) = root(&dir, 5);
    match ca.open_key(Some(b"wrong")) {
        Err(CaError::Key { source: KeyError::WrongPassphrase, .. }) => {}
        other => panic!("{other:?}"),
    }
    match ca.open_key(None) {
        Err(CaError::Key { source: KeyError::PassphraseRequired, .. }) => {}
        other => panic!("{other:?}"),
    }
    let other = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    match ca.issue(&other, &agency(), other.public_key_spki(), datetime!(2027-01-01 00:00 UTC)) {
        Err(CaError::KeyMismatch(_)) => {}
        r => panic!("{r:?}"),
    }
    // the key is checked before anything is recorded or signed (issue 19: a CA key on a token
    // is only known to be the right one once compared with the certificate)
    match ca.revoke(&other, "01", Reason::Superseded, datetime!(2027-01-01 00:00 UTC)) {
        Err(CaError::KeyMismatch(_)) => {}
        r => panic!("{r:?}"),
    }
    match ca.publish_crl(&other, None, datetime!(2027-01-01 00:00 UTC)) {
        Err(CaError::KeyMismatch(_)) => {}
        r => panic!("{r:?}"),
    }
    match ca.revoke(&key, "01", Reason::Superseded, datetime!(2027-01-01 00:00 UTC)) {
        Err(CaError::UnknownSerial(s)) => assert_eq!(s, "1"),
        r => panic!("{r:?}"),
    }
    match Ca::init(&dir, &InitParams::new("again"), None, b"pw", FAST, datetime!(2027-01-01 00:00 UTC)) {
        Err(CaError::AlreadyExists { found: "ca.pem", .. }) => {}
        r => panic!("{r:?}"),
    }
    match Ca::open(&d.path().join("missing")) {
        Err(CaError::NoSuchDir(_)) => {}
        r => panic!("{r:?}"),
    }
    match Ca::open(d.path()) {
        Err(CaError::NotACa { missing: "ca.pem", .. }) => {}
        r => panic!("{r:?}"),
    }
}

#[test]
fn weak_or_unsupported_subject_keys_are_refused() {
    let d = tempfile::tempdir().unwrap();
    let (mut ca, key) = root(&d.path().join("r"), 5);
    match ca.issue(&key, &agency(), b"\x30\x00", datetime!(2027-01-01 00:00 UTC)) {
        Err(CaError::SubjectKey(csr::CsrError::Malformed(_))) => {}
        r => panic!("{r:?}"),
    }
    assert!(ca.list(datetime!(2027-01-01 00:00 UTC)).unwrap().is_empty());
    assert_eq!(ca.audit().unwrap().certificates, 0);
}

/// Issue 24: `ca audit` covers every registry column a command shows or relies on. Each edit
/// below (as someone with write access to registry.db would make it) is detected, naming the
/// column; undone, the audit is intact again.
#[test]
fn the_audit_detects_an_edit_of_every_column_shown_or_relied_on() {
    let d = tempfile::tempdir().unwrap();
    let mut p = InitParams::new("Root CA Tỉnh Bắc Ninh");
    p.crl_url = Some("http://ca.bacninh.gov.vn/crl".into());
    let mut ca = Ca::init(&d.path().join("r"), &p, None, b"pw", FAST, datetime!(2026-11-30 00:00 UTC)).unwrap();
    let key = ca.open_key(Some(b"pw")).unwrap();
    let unit = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
    let serial = ca.issue(&key, &agency(), unit.public_key_spki(), datetime!(2027-01-01 00:00 UTC)).unwrap().serial;
    ca.revoke(&key, &serial, Reason::KeyCompromise, datetime!(2027-02-01 00:00 UTC)).unwrap();
    ca.audit().unwrap();
    let cases: &[(&str, &str)] = &[
        // certificates: what `ca list` shows (and OCSP/CRLs rely on)
        ("UPDATE certificates SET subject = 'CN=Giả mạo, O=Giả mạo'", "subject"),
        ("UPDATE certificates SET not_after = 2240524800", "not_after"),
        ("UPDATE certificates SET profile = 'person'", "profile"),
        ("UPDATE certificates SET profile = 'tsa'", "profile"),
        ("UPDATE certificates SET not_before = not_before - 86400", "not_before"),
        ("UPDATE certificates SET issued_at = issued_at + 1", "issued_at"),
        ("UPDATE certificates SET reason = 'superseded'", "revocation"),
        ("UPDATE certificates SET revoked_at = revoked_at + 1", "revocation"),
        // CRLs
        ("UPDATE crls SET next_update = next_update + 86400 WHERE number = (SELECT max(number) FROM crls)", "next_update"),
        ("UPDATE crls SET this_update = this_update - 1 WHERE number = 1", "this_update"),
        // settings that issuance and `ca crl` rely on
        ("UPDATE meta SET value = '365' WHERE key = 'crl_days'", "CRL validity"),
        ("UPDATE meta SET value = 'http://evil.example/crl' WHERE key = 'crl_url'", "CRL"),
        ("DELETE FROM meta WHERE key = 'crl_url'", "CRL"),
        ("UPDATE meta SET value = 'kyso-ca-0' WHERE key = 'format'", "format"),
    ];
    drop(ca);
    let pristine = d.path().join("r");
    for (n, (sql, column)) in cases.iter().enumerate() {
        // each edit on a fresh copy of the CA directory
        let dir = d.path().join(format!("case-{n}"));
        std::fs::create_dir(&dir).unwrap();
        for e in std::fs::read_dir(&pristine).unwrap() {
            let e = e.unwrap();
            std::fs::copy(e.path(), dir.join(e.file_name())).unwrap();
        }
        let mut ca = Ca::open(&dir).unwrap();
        ca.audit().unwrap();
        {
            // as someone with write access to the file would: with SQLite directly
            let conn = rusqlite::Connection::open(dir.join(super::REGISTRY_FILE)).unwrap();
            conn.execute_batch(sql).unwrap();
            drop(conn);
        }
        match ca.audit() {
            Err(CaError::AuditBroken { reason, .. }) => assert!(reason.contains(column), "{sql}: {reason}"),
            other => panic!("{sql}: not detected: {other:?}"),
        }
    }
}
