//! certs-example/ for tests, in the two forms a test can rely on whatever the date (issue 23):
//!
//! - [`checked_in`]: the folder as committed. Its unit, person and TSA certificates and its CRLs
//!   expire (2031-11-30 for the current set), so a test that uses it checks at a **pinned** time
//!   inside every validity ([`checked_in_time`], e.g. OpenSSL's `-attime`), or signs with
//!   the library at a chosen signing time (as the report snapshots do).
//! - [`fresh`]: the same province made **now** by `certs-example/generate.sh` (same layout,
//!   names, passphrase and sample documents; new keys, serials and dates), once per test
//!   process. `kyso sign` refuses an expired certificate by design, so every test that signs
//!   through the CLI at the current time uses this copy.
//!
//! Renewing the checked-in folder (`certs-example/generate.sh`, see its header) is then a
//! documentation chore, not something the suite depends on.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use time::OffsetDateTime;

/// The checked-in certs-example/.
pub fn checked_in() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example")
}

/// The files of certs-example/ that generate.sh makes (the rest is copied as it is).
const MADE_BY_GENERATE: [&str; 8] = ["root", "ca", "units", "revoked", "tsa", "root.pem", "chain.pem", "crl.pem"];

/// Certificates and CRLs of an example folder, for their dates.
const CERTIFICATES: [&str; 10] = [
    "root.pem",
    "ca/ca.pem",
    "units/van-phong-ubnd/agency.pem",
    "units/van-phong-ubnd/person.pem",
    "units/so-y-te/agency.pem",
    "units/so-y-te/person.pem",
    "units/so-ke-hoach-dau-tu/agency.pem",
    "units/so-ke-hoach-dau-tu/person.pem",
    "revoked/person.pem",
    "tsa/tsa.pem",
];
const CRLS: [&str; 2] = ["ca/crl.pem", "root/crl.pem"];

/// (latest notBefore / thisUpdate, earliest notAfter / nextUpdate) over an example folder.
pub fn validity_window(dir: &Path) -> (OffsetDateTime, OffsetDateTime) {
    let mut from = OffsetDateTime::UNIX_EPOCH;
    let mut until = OffsetDateTime::from_unix_timestamp(253_402_300_799).unwrap(); // 9999-12-31
    let asn1 = |t: x509_parser::time::ASN1Time| OffsetDateTime::from_unix_timestamp(t.timestamp()).unwrap();
    for f in CERTIFICATES {
        let der = kyso::objects::certificates(&std::fs::read(dir.join(f)).unwrap()).unwrap().remove(0);
        let (_, c) = x509_parser::parse_x509_certificate(&der).unwrap();
        from = from.max(asn1(c.validity().not_before));
        until = until.min(asn1(c.validity().not_after));
    }
    for f in CRLS {
        let der = kyso::objects::crls(&std::fs::read(dir.join(f)).unwrap()).unwrap().remove(0);
        let (_, crl) = x509_parser::parse_x509_crl(&der).unwrap();
        from = from.max(asn1(crl.last_update()));
        until = until.min(asn1(crl.next_update().expect("example CRLs have a nextUpdate")));
    }
    (from, until)
}

/// A time at which every certificate and CRL of the checked-in folder is current: one day after
/// the latest notBefore (it follows the folder when it is regenerated).
pub fn checked_in_time() -> OffsetDateTime {
    let (from, until) = validity_window(&checked_in());
    let at = from + time::Duration::days(1);
    assert!(at < until, "certs-example/ has no common validity window ({from} .. {until})");
    at
}

/// [`checked_in_time`] as seconds since the epoch (for OpenSSL's `-attime`).
pub fn checked_in_epoch() -> String {
    checked_in_time().unix_timestamp().to_string()
}

/// Copies `from` into `to` (regular files and folders).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let t = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &t);
        } else {
            std::fs::copy(e.path(), &t).unwrap();
        }
    }
}

static FRESH: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_fresh() {
    if let Some(p) = FRESH.get() {
        let _ = std::fs::remove_dir_all(p.parent().unwrap());
    }
}

/// The example province made now: the checked-in folder without what generate.sh makes, then
/// generate.sh run on it with this build's kyso. Made once per test process (≈ 10 s) under
/// target/tmp, removed when the process exits; folders left by killed runs are removed here.
/// Tests must not modify it (copy what they change).
pub fn fresh() -> &'static Path {
    FRESH.get_or_init(|| {
        let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
        for e in std::fs::read_dir(&tmp).into_iter().flatten().flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(pid) = name.strip_prefix("fresh-example-") {
                if !Path::new("/proc").join(pid).exists() {
                    let _ = std::fs::remove_dir_all(e.path());
                }
            }
        }
        let base = tmp.join(format!("fresh-example-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&base);
        let dst = base.join("certs-example");
        let src = checked_in();
        std::fs::create_dir_all(&dst).unwrap();
        for e in std::fs::read_dir(&src).unwrap() {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if MADE_BY_GENERATE.contains(&name.as_str()) {
                continue;
            }
            if e.file_type().unwrap().is_dir() {
                copy_dir(&e.path(), &dst.join(&name));
            } else {
                std::fs::copy(e.path(), dst.join(&name)).unwrap();
            }
        }
        let o = Command::new("bash")
            .arg(dst.join("generate.sh"))
            .env("KYSO", env!("CARGO_BIN_EXE_kyso"))
            .env_remove("KYSO_PASSPHRASE")
            .output()
            .unwrap();
        assert!(o.status.success(), "certs-example/generate.sh failed:\n{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
        // SAFETY: registers a plain function with no arguments; it only removes a folder.
        unsafe { libc::atexit(remove_fresh) };
        dst
    })
}

/// `fresh()/rel` as a string (for command lines).
pub fn fresh_path(rel: &str) -> String {
    fresh().join(rel).to_str().unwrap().to_string()
}

#[test]
fn fresh_example_is_current_and_checked_in_time_is_inside_every_validity() {
    let now = OffsetDateTime::now_utc();
    let (from, until) = validity_window(fresh());
    assert!(from <= now + time::Duration::minutes(5) && now < until, "fresh example valid {from} .. {until}, now {now}");
    let at = checked_in_time();
    let (from, until) = validity_window(&checked_in());
    assert!(from < at && at < until);
    // OpenSSL agrees that the checked-in chain is valid at the pinned time.
    let dir = checked_in();
    let o = Command::new("openssl")
        .args(["verify", "-x509_strict", "-attime", &checked_in_epoch(), "-CAfile", "root.pem", "-untrusted", "chain.pem", "-CRLfile", "crl.pem", "-crl_check_all", "units/so-y-te/person.pem"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

/// Every file below `dir` (relative paths, sorted).
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for e in std::fs::read_dir(&d).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                todo.push(e.path());
            } else {
                out.push(e.path().strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    out.sort();
    out
}

/// generate.sh, run now, makes the folder that is checked in: the same files, and each PEM file
/// holds as many objects (a unit's certificate alone, the chain two). It failed when `ca issue
/// --cert-out` began to append the chain: the fresh units' files held three certificates, and
/// pyHanko and pkilint, which read exactly one, refused them in CI.
#[test]
fn fresh_example_has_the_checked_in_shape() {
    let (old, new) = (checked_in(), fresh().to_path_buf());
    let (a, b) = (files_below(&old), files_below(&new));
    assert_eq!(a, b, "files of certs-example (checked in) vs made by generate.sh now");
    let blocks = |p: &Path| std::fs::read_to_string(p).unwrap().matches("-----BEGIN ").count();
    for f in a.iter().filter(|f| f.extension().is_some_and(|e| e == "pem")) {
        assert_eq!(blocks(&old.join(f)), blocks(&new.join(f)), "PEM objects in {}", f.display());
    }
}
