//! Crash safety of the CA: `kyso ca issue` and `kyso ca revoke` are killed with SIGKILL at
//! seeded random points, dozens of times, and after every kill the CA directory is checked.
//!
//! What the CA promises (and this test checks):
//! - the registry opens, and `kyso ca audit` verifies its hash chain and accounts for every
//!   certificate, revocation and CRL;
//! - serials are unique (the registry's primary key; checked anyway), and none is lost: every
//!   `ca issue` that exited 0 has its serial in the registry;
//! - the registry is the source of truth, committed **before** any output file is written. So
//!   every certificate file that exists is complete (atomic write) and is byte-for-byte a
//!   registered certificate — the CA never hands out a certificate it does not know (one that
//!   could not be revoked). The reverse does not hold for a run that was killed: a certificate
//!   committed just before the kill may have no `--cert-out` file (and, with `--key-out`, its
//!   new key is lost with the process). It is listed by `ca list` (its DER is in the registry)
//!   and can be revoked; the test checks that every registered certificate has its file unless it
//!   was made by a killed run;
//! - `crl.pem` never lists a revocation the registry does not have and is never ahead of the
//!   registry's CRL numbers; after the next CA command it is exactly the newest CRL of the
//!   registry, whose revoked serials are exactly the registry's revoked certificates.
//!
//! Needs only the kyso binary (the registry is read with rusqlite, the CRL with x509-parser).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::cli::kyso;
use super::robust_mutation::Rng;

const PASS: &str = "crash-test passphrase";

fn ca_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = kyso();
    c.args(args).current_dir(dir).env("KYSO_PASSPHRASE", PASS).env("KYSO_KEY_PASSPHRASE", "crash-test unit passphrase").stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// Registry contents read directly: serial → (der, revoked).
fn registry(ca: &Path) -> (BTreeMap<String, (Vec<u8>, bool)>, Option<(i64, Vec<u8>)>) {
    // Read-write although nothing is written: a killed writer may leave a hot journal, which the
    // next connection rolls back (a read-only one cannot, and fails with SQLITE_READONLY).
    let db = rusqlite::Connection::open(ca.join("registry.db")).expect("the registry opens");
    let mut certs = BTreeMap::new();
    let mut st = db.prepare("SELECT serial, der, revoked_at FROM certificates").unwrap();
    let rows = st
        .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, Vec<u8>>(1)?, r.get::<_, Option<i64>>(2)?.is_some())))
        .unwrap();
    for row in rows {
        let (s, der, rev) = row.unwrap();
        assert!(certs.insert(s.clone(), (der, rev)).is_none(), "serial {s} twice");
    }
    let latest = db
        .query_row("SELECT number, der FROM crls ORDER BY number DESC LIMIT 1", [], |r| Ok((r.get(0)?, r.get(1)?)))
        .ok();
    (certs, latest)
}

/// crl.pem: (CRL number, revoked serials as lower-case hex without leading zeros, DER).
fn crl_file(ca: &Path) -> (i64, BTreeSet<String>, Vec<u8>) {
    let pem = std::fs::read(ca.join("crl.pem")).unwrap();
    let der = kyso::objects::crls(&pem).expect("crl.pem is a whole CRL").remove(0);
    let (_, crl) = x509_parser::parse_x509_crl(&der).unwrap();
    let number = crl.crl_number().map(|n| n.to_string().parse::<i64>().unwrap()).expect("a CRL number");
    let serials = crl
        .iter_revoked_certificates()
        .map(|r| {
            let h = hex::encode(r.raw_serial());
            let t = h.trim_start_matches('0');
            if t.is_empty() { "0".to_string() } else { t.to_string() }
        })
        .collect();
    (number, serials, der)
}

/// Runs `cmd`, killing it with SIGKILL after `delay` if it has not finished. Returns the exit
/// status code (None when killed) and stdout.
fn run_killed(mut cmd: Command, delay: Duration) -> (Option<i32>, String) {
    let mut child = cmd.spawn().unwrap();
    let start = std::time::Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if start.elapsed() >= delay {
            let _ = child.kill(); // SIGKILL
            break;
        }
        std::thread::sleep(Duration::from_micros(500));
    }
    let out = child.wait_with_output().unwrap();
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned())
}

fn check_invariants(ca: &Path, certs_dir: &Path, killed_outputs: &BTreeSet<String>, issued_ok: &BTreeSet<String>, step: &str) {
    let (reg, latest) = registry(ca);
    // no serial lost
    for s in issued_ok {
        assert!(reg.contains_key(s), "{step}: serial {s} was issued (exit 0) but is not in the registry");
    }
    // every certificate file is whole and registered; every registered one has its file unless
    // a killed run made it
    let mut files = BTreeSet::new();
    for e in std::fs::read_dir(certs_dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".pem") || name.starts_with('.') {
            continue;
        }
        let der = kyso::objects::certificates(&std::fs::read(&p).unwrap())
            .unwrap_or_else(|e| panic!("{step}: {name} is not a whole certificate: {e}"))
            .remove(0);
        assert!(reg.values().any(|(d, _)| *d == der), "{step}: {name} holds a certificate the registry does not know");
        files.insert(name);
    }
    for (serial, (der, _)) in &reg {
        let (_, c) = x509_parser::parse_x509_certificate(der).unwrap();
        let cn = c.subject().iter_common_name().next().unwrap().as_str().unwrap().to_string();
        let file = format!("{cn}.pem");
        assert!(
            files.contains(&file) || killed_outputs.contains(&file),
            "{step}: registered {serial} ({cn}) has no file and was not made by a killed run"
        );
    }
    // crl.pem never ahead of the registry, never lists a revocation the registry lacks
    let (number, serials, _) = crl_file(ca);
    let (latest_no, _) = latest.clone().expect("the registry has a CRL");
    assert!(number <= latest_no, "{step}: crl.pem number {number} is ahead of the registry's {latest_no}");
    for s in &serials {
        assert!(reg.get(s).is_some_and(|(_, r)| *r), "{step}: crl.pem lists {s}, which the registry does not have revoked");
    }
}

fn check_after_next_command(ca: &Path, step: &str) {
    // any CA command; `ca audit` also verifies the chain
    let o = ca_cmd(ca.parent().unwrap(), &["ca", "audit", "--dir", ca.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{step}: ca audit: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    let (reg, latest) = registry(ca);
    let (number, serials, der) = crl_file(ca);
    let (latest_no, latest_der) = latest.unwrap();
    assert_eq!(number, latest_no, "{step}: crl.pem is not the registry's newest CRL");
    assert_eq!(der, latest_der, "{step}: crl.pem differs from the registry's newest CRL");
    let revoked: BTreeSet<String> = reg.iter().filter(|(_, (_, r))| *r).map(|(s, _)| s.clone()).collect();
    assert_eq!(serials, revoked, "{step}: the CRL does not match the registry's revocations");
}

#[test]
fn sigkill_during_issue_and_revoke_loses_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let ca = root.join("ca");
    let certs = root.join("certs");
    std::fs::create_dir(&certs).unwrap();
    let o = ca_cmd(root, &["ca", "init", "--dir", "ca", "--name", "Crash Test CA"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));

    // Calibrate: how long an uninterrupted issue takes here, so kills land all over it.
    let t0 = std::time::Instant::now();
    let o = ca_cmd(root, &["ca", "issue", "--dir", "ca", "--cn", "calibrate", "--org", "Sở Y tế", "--key-out", "certs/calibrate.key", "--cert-out", "certs/calibrate.pem"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let full = t0.elapsed().as_micros().max(1000) as u64;

    let mut rng = Rng::new(0xdead_beef);
    let mut killed_outputs = BTreeSet::new();
    let mut issued_ok = BTreeSet::new();
    let (mut kills, mut completions) = (0, 0);
    // Delays adapt to the machine's speed: a run that completed shrinks the span, a kill widens
    // it, so that both kills at all points and some completions happen. Stops after 30 kills.
    let mut span = [full, full / 2]; // issue, revoke (about half the work: no new key)
    let mut i = 0;
    while kills < 30 || completions < 5 {
        assert!(i < 200, "{kills} kills and {completions} completions after {i} runs");
        i += 1;
        let revoke = i % 3 == 2;
        let delay = Duration::from_micros(rng.next() % (span[revoke as usize] + 1));
        let step = format!("step {i} ({}, killed after {delay:?})", if revoke { "revoke" } else { "issue" });
        if revoke {
            let (reg, _) = registry(&ca);
            let valid: Vec<&String> = reg.iter().filter(|(_, (_, r))| !*r).map(|(s, _)| s).collect();
            if valid.is_empty() {
                continue;
            }
            let serial = valid[rng.below(valid.len())].clone();
            let (code, _) = run_killed(ca_cmd(root, &["ca", "revoke", "--dir", "ca", "--serial", &serial, "--reason", "superseded"]), delay);
            match code {
                None => kills += 1,
                Some(0) => completions += 1,
                Some(c) => panic!("{step}: ca revoke exited {c}"),
            }
            span[1] = if code.is_none() { span[1] * 21 / 20 } else { span[1] * 17 / 20 };
        } else {
            let cn = format!("unit-{i}");
            let (key, cert) = (format!("certs/{cn}.key"), format!("certs/{cn}.pem"));
            let (code, out) = run_killed(
                ca_cmd(root, &["ca", "issue", "--dir", "ca", "--cn", &cn, "--org", "Sở Y tế", "--key-out", &key, "--cert-out", &cert]),
                delay,
            );
            match code {
                None => {
                    kills += 1;
                    killed_outputs.insert(format!("{cn}.pem"));
                }
                Some(0) => {
                    completions += 1;
                    let serial = out.split("serial ").nth(1).unwrap().lines().next().unwrap().trim().to_string();
                    issued_ok.insert(serial);
                    assert!(root.join(&key).exists() && root.join(&cert).exists(), "{step}: outputs missing after exit 0");
                }
                Some(c) => panic!("{step}: ca issue exited {c}"),
            }
            span[0] = if code.is_none() { span[0] * 21 / 20 } else { span[0] * 17 / 20 };
        }
        check_invariants(&ca, &certs, &killed_outputs, &issued_ok, &step);
        if i % 4 == 3 {
            check_after_next_command(&ca, &step);
        }
    }
    check_after_next_command(&ca, "end");
    // Temporary files a killed write left behind are never world-readable (keys: 0600 from creation).
    for dir in [&ca, &certs] {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.file_name().unwrap().to_string_lossy().starts_with(".kyso-tmp-") {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
                assert!(mode == 0o600 || mode == 0o644, "{}: mode {mode:o}", p.display());
            }
        }
    }
}

/// Kills aimed at the end of `ca revoke`, where the new CRL is written and the transaction
/// commits: the window in which `crl.pem` could get ahead of the registry.
#[test]
fn sigkill_at_the_end_of_revoke_keeps_crl_and_registry_in_step() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let ca = root.join("ca");
    let o = ca_cmd(root, &["ca", "init", "--dir", "ca", "--name", "Crash Test CA"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    for i in 0..30 {
        let o = ca_cmd(root, &["ca", "issue", "--dir", "ca", "--cn", &format!("u{i}"), "--org", "Sở Y tế", "--no-passphrase", "--key-out", &format!("u{i}.key"), "--cert-out", &format!("u{i}.pem")])
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    }
    let serials: Vec<String> = registry(&ca).0.keys().cloned().collect();
    // calibrate one revoke
    let t0 = std::time::Instant::now();
    let o = ca_cmd(root, &["ca", "revoke", "--dir", "ca", "--serial", &serials[0]]).output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    let full = t0.elapsed().as_micros() as u64;
    let mut rng = Rng::new(42);
    let mut kills = 0;
    // `full` adapts to the machine's load: shorter after a run that completed, longer after a kill
    let mut full = full;
    for (i, serial) in serials.iter().enumerate().skip(1) {
        // between 70% and 110% of a full run
        let delay = Duration::from_micros(full * 7 / 10 + rng.next() % (full * 4 / 10 + 1));
        let (code, _) = run_killed(ca_cmd(root, &["ca", "revoke", "--dir", "ca", "--serial", serial]), delay);
        if code.is_none() {
            kills += 1;
            full = full * 21 / 20;
        } else {
            full = full * 4 / 5;
        }
        let step = format!("revoke {i} killed={} after {delay:?}", code.is_none());
        let (reg, latest) = registry(&ca);
        let (number, listed, _) = crl_file(&ca);
        assert!(number <= latest.unwrap().0, "{step}: crl.pem is ahead of the registry");
        for s in &listed {
            assert!(reg.get(s).is_some_and(|(_, r)| *r), "{step}: crl.pem lists {s}, not revoked in the registry");
        }
        if i % 6 == 0 {
            check_after_next_command(&ca, &step);
        }
    }
    check_after_next_command(&ca, "end");
    assert!(kills >= 5, "only {kills} kills");
}

/// Regression: `ca revoke` wrote `crl.pem` inside its transaction, before the commit. Killed
/// between the two, `crl.pem` listed a revocation the registry never recorded, under a CRL
/// number the next CRL would reuse. Made deterministic by holding a read transaction on the
/// registry, which keeps the revoke waiting at its commit; the process is killed there.
#[test]
fn revoke_killed_while_waiting_to_commit_leaves_crl_pem_behind_not_ahead() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let ca = root.join("ca");
    let o = ca_cmd(root, &["ca", "init", "--dir", "ca", "--name", "Crash Test CA"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = ca_cmd(root, &["ca", "issue", "--dir", "ca", "--cn", "u", "--no-passphrase", "--key-out", "u.key", "--cert-out", "u.pem"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let serial = registry(&ca).0.keys().next().unwrap().clone();
    let before = std::fs::read(ca.join("crl.pem")).unwrap();

    let reader = rusqlite::Connection::open(ca.join("registry.db")).unwrap();
    reader.execute_batch("BEGIN").unwrap();
    let _: i64 = reader.query_row("SELECT count(*) FROM certificates", [], |r| r.get(0)).unwrap();
    let mut child = ca_cmd(root, &["ca", "revoke", "--dir", "ca", "--serial", &serial]).spawn().unwrap();
    // Wait until crl.pem changes (the old order) or 3 s (the revoke is then blocked at its commit).
    let start = std::time::Instant::now();
    while start.elapsed() < Duration::from_secs(3) && std::fs::read(ca.join("crl.pem")).unwrap() == before {
        assert!(child.try_wait().unwrap().is_none(), "the revoke finished despite the reader");
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    reader.execute_batch("ROLLBACK").unwrap();
    drop(reader);

    let (reg, latest) = registry(&ca);
    assert!(!reg[&serial].1, "the killed revoke did not commit");
    let (number, listed, _) = crl_file(&ca);
    assert!(number <= latest.unwrap().0, "crl.pem is ahead of the registry");
    assert!(listed.is_empty(), "crl.pem lists {listed:?}, which the registry does not have revoked");
    check_after_next_command(&ca, "after the kill");
}
