//! Issue 22's oracles on PostgreSQL: several machines issuing into one registry, several
//! `ca serve` answering from it, and faults (a server restart, a killed `ca issue`).
//! Every test here needs PostgreSQL's server binaries and is `#[ignore]`d in plain `cargo test`
//! (.ci/run runs them with `--ignored`).

use crate::cli::summary;
use crate::pg::PgCluster;
use crate::registry_suite::{crl_number_of, http_get, list_json, ok, openssl, province, Backend, Server, PASS};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Re-encrypts `dir/ca.key` with 1,000 PBKDF2 iterations: a thousand `ca issue` runs would
/// otherwise spend most of their time deriving the key (600,000 iterations each).
fn cheap_ca_key(dir: &Path) {
    let path = dir.join("ca.key");
    let key = kyso::PrivateKey::load(&std::fs::read(&path).unwrap(), Some(PASS.as_bytes())).unwrap();
    let pem = key.to_encrypted_pem(PASS.as_bytes(), kyso::Kdf::Pbkdf2Sha256 { iterations: 1000 }).unwrap();
    std::fs::write(&path, pem.as_bytes()).unwrap();
}

/// A copy of a CA directory as another machine would hold it: certificate, chain, key and
/// ca.conf — no registry file.
fn copy_ca(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for f in ["ca.pem", "ca.key", "chain.pem", "ca.conf"] {
        if from.join(f).exists() {
            std::fs::copy(from.join(f), to.join(f)).unwrap();
        }
    }
    assert!(!to.join("registry.db").exists());
}

/// `unit.csr` in `d`: one request whose public key every test issuance certifies (the CA takes
/// only the key from it; each issuance names its own subject).
fn unit_csr(d: &Path) {
    ok(d, &["key", "new", "--out", "unit.key"]);
    ok(d, &["csr", "new", "--key", "unit.key", "--cn", "x", "--out", "unit.csr"]);
}

/// A "machine": a folder with its own copy of the kyso binary and of the CA directories.
fn machine(d: &Path, name: &str) -> PathBuf {
    let m = d.join(name);
    for ca in ["root", "ca"] {
        copy_ca(&d.join(ca), &m.join(ca));
    }
    std::fs::copy(env!("CARGO_BIN_EXE_kyso"), m.join("kyso")).unwrap();
    m
}

fn run(exe: &Path, cwd: &Path, args: &[&str]) -> Output {
    Command::new(exe)
        .args(args)
        .env_remove("KYSO_DB")
        .env("KYSO_PASSPHRASE", PASS)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .unwrap()
}

/// The serial that `ca issue` printed.
fn printed_serial(out: &str) -> String {
    out.split("serial ").nth(1).and_then(|r| r.split_whitespace().next()).unwrap_or_else(|| panic!("no serial in {out}")).to_string()
}

/// OCSP statuses of `serials` (at most 16 per request) from the server at `port`, asked with
/// `openssl ocsp` from `cwd` (which holds root/ and ca/).
fn ocsp_statuses(cwd: &Path, port: u16, serials: &[String]) -> Vec<String> {
    let url = format!("http://127.0.0.1:{port}/ocsp");
    let mut out = Vec::new();
    for chunk in serials.chunks(16) {
        let ids: Vec<String> = chunk.iter().map(|s| format!("0x{s}")).collect();
        let mut args = vec!["ocsp", "-issuer", "ca/ca.pem", "-url", &url, "-CAfile", "root/ca.pem"];
        for id in &ids {
            args.extend(["-serial", id.as_str()]);
        }
        let (_, text) = openssl(cwd, &args);
        assert!(text.contains("Response verify OK"), "{text}");
        for id in &ids {
            let status = text
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{id}: ")))
                .unwrap_or_else(|| panic!("no status for {id}: {text}"));
            out.push(status.trim().to_string());
        }
    }
    out
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl): .ci/run installs them"]
fn pg_four_processes_1000_issuances_50_revocations_two_binaries_two_servers() {
    let b = Backend::pg();
    let Backend::Pg(cluster) = &b else { unreachable!() };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(&b, d, 9);
    cheap_ca_key(&d.join("ca"));
    unit_csr(d);
    let machines = [machine(d, "m1"), machine(d, "m2")];
    for m in &machines {
        std::fs::copy(d.join("unit.csr"), m.join("unit.csr")).unwrap();
        std::fs::create_dir(m.join("out")).unwrap();
    }
    let servers = [Server::start(&machines[0].join("kyso"), &machines[0], &[]), Server::start(&machines[1].join("kyso"), &machines[1], &[])];
    let ports = [servers[0].port, servers[1].port];
    let done = Arc::new(AtomicBool::new(false));
    // `ca audit` in a loop all along: each run reads one snapshot and must find the log intact
    let auditor = {
        let (done, m) = (done.clone(), machines[0].clone());
        std::thread::spawn(move || {
            let mut runs = 0;
            while !done.load(Ordering::SeqCst) {
                let o = run(&m.join("kyso"), &m, &["ca", "audit", "--dir", "ca"]);
                let (code, out, err) = summary(&o);
                assert_eq!(code, 0, "ca audit during the run: {out}{err}");
                runs += 1;
            }
            runs
        })
    };
    let revoked: Arc<Mutex<Vec<String>>> = Arc::default();
    let asked = Arc::new(AtomicUsize::new(0));
    let workers: Vec<_> = (0..4)
        .map(|w| {
            let m = machines[w / 2].clone();
            let (revoked, asked) = (revoked.clone(), asked.clone());
            std::thread::spawn(move || {
                let exe = m.join("kyso");
                let quota = if w < 2 { 13 } else { 12 };
                let mut mine = Vec::new();
                let mut failures = Vec::new();
                for i in 0..250 {
                    let (cn, out_file) = (format!("Đơn vị {w}-{i}"), format!("out/{w}-{i}.pem"));
                    let o = run(&exe, &m, &["ca", "issue", "--dir", "ca", "--csr", "unit.csr", "--cn", &cn, "--cert-out", &out_file]);
                    let (code, out, err) = summary(&o);
                    if code != 0 {
                        failures.push(format!("issue {w}-{i}: {out}{err}"));
                        continue;
                    }
                    let serial = printed_serial(&out);
                    mine.push(serial.clone());
                    if i % 5 == 2 && revoked.lock().unwrap().iter().filter(|s| s.starts_with(&format!("{w}:"))).count() < quota {
                        let o = run(&exe, &m, &["ca", "revoke", "--dir", "ca", "--serial", &serial, "--reason", "key-compromise"]);
                        let (code, out, err) = summary(&o);
                        if code != 0 {
                            failures.push(format!("revoke {serial}: {out}{err}"));
                            continue;
                        }
                        revoked.lock().unwrap().push(format!("{w}:{serial}"));
                        // at once: the next answer of either server (alternating) says revoked
                        let port = ports[asked.fetch_add(1, Ordering::SeqCst) % 2];
                        let st = ocsp_statuses(&m, port, std::slice::from_ref(&serial));
                        if !st[0].starts_with("revoked") {
                            failures.push(format!("{serial} revoked but the server on {port} says {st:?}"));
                        }
                    }
                }
                (mine, failures)
            })
        })
        .collect();
    let mut issued = Vec::new();
    let mut failures = Vec::new();
    for w in workers {
        let (mine, f) = w.join().unwrap();
        issued.extend(mine);
        failures.extend(f);
    }
    done.store(true, Ordering::SeqCst);
    let audits = auditor.join().unwrap();
    assert!(failures.is_empty(), "{} failures, first: {:?}", failures.len(), failures.iter().take(5).collect::<Vec<_>>());
    assert!(audits >= 1, "ca audit ran during the issuance");
    // 1,000 distinct serials, the files and the registry agree
    assert_eq!(issued.len(), 1000);
    let distinct: BTreeSet<String> = issued.iter().cloned().collect();
    assert_eq!(distinct.len(), 1000, "serials must be distinct");
    let mut from_files = BTreeSet::new();
    for m in &machines {
        for e in std::fs::read_dir(m.join("out")).unwrap() {
            let (_, s) = openssl(m, &["x509", "-noout", "-serial", "-in", e.unwrap().path().to_str().unwrap()]);
            from_files.insert(s.trim().trim_start_matches("serial=").to_ascii_lowercase().trim_start_matches('0').to_string());
        }
    }
    assert_eq!(from_files, distinct);
    let list = list_json(&machines[1], "ca");
    let listed: BTreeSet<String> = list.iter().map(|c| c["serial"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed, distinct);
    let revoked: BTreeSet<String> = revoked.lock().unwrap().iter().map(|s| s.split(':').nth(1).unwrap().to_string()).collect();
    assert_eq!(revoked.len(), 50);
    let listed_revoked: BTreeSet<String> = list.iter().filter(|c| c["status"] == "revoked").map(|c| c["serial"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed_revoked, revoked);
    // the chain: init, first CRL, 1,000 issues, 50 × (revoke + CRL)
    let out = ok(&machines[0], &["ca", "audit", "--dir", "ca"]);
    assert!(out.contains("audit log intact: 1102 entries, 1000 certificates and 51 CRLs"), "{out}");
    // CRL numbers: 1..=51, in the log's order
    let mut c = cluster.client("kyso");
    let schema = crate::pg::schema_of(&d.join("ca"));
    let numbers: Vec<i64> = c
        .query(&format!("SELECT detail FROM {schema}.audit WHERE operation = 'crl' ORDER BY seq"), &[])
        .unwrap()
        .iter()
        .map(|r| serde_json::from_str::<serde_json::Value>(r.get::<_, &str>(0)).unwrap()["number"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=51).collect::<Vec<i64>>());
    // every serial asked of both servers: revoked exactly when revoked
    let all: Vec<String> = distinct.iter().cloned().collect();
    for (m, port) in machines.iter().zip(ports) {
        let st = ocsp_statuses(m, port, &all);
        for (s, status) in all.iter().zip(&st) {
            let expected = if revoked.contains(s) { "revoked" } else { "good" };
            assert!(status.starts_with(expected), "{s}: {status} from the server on {port}");
        }
    }
    // the final CRL, as both servers serve it and as both machines' crl.pem hold it (every
    // command rewrites crl.pem to the newest): number 51, exactly the 50 revoked serials
    for (m, port) in machines.iter().zip(ports) {
        std::fs::write(m.join("served.crl"), http_get(port, "/ca/crl")).unwrap();
        assert_eq!(crl_number_of(m, "served.crl", "DER"), 51);
        ok(m, &["ca", "list", "--dir", "ca"]);
        for (file, inform) in [("served.crl", "DER"), ("ca/crl.pem", "PEM")] {
            assert_eq!(crl_number_of(m, file, inform), 51);
            let (okc, text) = openssl(m, &["crl", "-inform", inform, "-in", file, "-noout", "-text", "-CAfile", "ca/ca.pem"]);
            assert!(okc && text.contains("verify OK"), "{text}");
            let listed: BTreeSet<String> = text
                .lines()
                .filter_map(|l| l.trim().strip_prefix("Serial Number: "))
                .map(|s| s.to_ascii_lowercase().trim_start_matches('0').to_string())
                .collect();
            assert_eq!(listed, revoked, "{file} on {}", m.display());
        }
    }
    drop(servers);
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl): .ci/run installs them"]
fn pg_crl_republication_by_several_servers_happens_once() {
    let b = Backend::pg();
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(&b, d, 9);
    let key = {
        let ca = kyso::ca::Ca::open(&d.join("ca")).unwrap();
        ca.open_key(Some(PASS.as_bytes())).unwrap()
    };
    let key = Arc::new(key);
    // 20 days after a 30-day CRL: due; two "servers" (two connections) race for it
    let later = time::OffsetDateTime::now_utc() + time::Duration::days(20);
    let results: Vec<Option<i64>> = (0..4)
        .map(|_| {
            let (dir, key) = (d.join("ca"), key.clone());
            std::thread::spawn(move || {
                let mut ca = kyso::ca::Ca::open(&dir).unwrap();
                ca.publish_crl_if_due(key.as_ref(), later).unwrap().map(|c| c.number)
            })
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|h| h.join().unwrap())
        .collect();
    let published: Vec<i64> = results.iter().flatten().copied().collect();
    assert_eq!(published, [2], "exactly one publishes: {results:?}");
    let out = ok(d, &["ca", "audit", "--dir", "ca"]);
    assert!(out.contains("2 CRLs"), "{out}");
}

// ------------------------------------------------------------------------------- faults

/// Backends of the registry database busy on a query that waits for a lock.
fn waiting_inserts(c: &mut postgres::Client) -> i64 {
    c.query_one(
        "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kyso' AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO audit%'",
        &[],
    )
    .unwrap()
    .get(0)
}

fn wait_for(what: &str, mut cond: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !cond() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl): .ci/run installs them"]
fn pg_restart_mid_run_fails_clearly_or_completes_and_nothing_is_half_applied() {
    let b = Backend::pg();
    let Backend::Pg(cluster) = &b else { unreachable!() };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(&b, d, 9);
    cheap_ca_key(&d.join("ca"));
    unit_csr(d);
    let schema = crate::pg::schema_of(&d.join("ca"));
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kyso"));
    let server = Server::start(&exe, d, &[]);
    // Park three issuances inside their transaction, after the certificate row and before the
    // audit entry: the test's own transaction holds the audit table (reads still pass).
    let mut locker = cluster.client("kyso");
    let mut tx = locker.transaction().unwrap();
    tx.batch_execute(&format!("LOCK TABLE {schema}.audit IN EXCLUSIVE MODE")).unwrap();
    let parked: Vec<_> = (0..3)
        .map(|i| {
            Command::new(&exe)
                .args(["ca", "issue", "--dir", "ca", "--csr", "unit.csr", "--cn", &format!("Parked {i}"), "--cert-out", &format!("parked{i}.pem")])
                .env_remove("KYSO_DB")
                .env("KYSO_PASSPHRASE", PASS)
                .current_dir(d)
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let mut watcher = cluster.client("kyso");
    // one of them holds the CA's lock and waits on the table; the others wait on the CA's lock
    wait_for("a parked issuance", || waiting_inserts(&mut watcher) == 1);
    // two free-running loops alongside (they queue behind the parked one)
    let stop = Arc::new(AtomicBool::new(false));
    let loops: Vec<_> = (0..2)
        .map(|w| {
            let (stop, exe, d) = (stop.clone(), exe.clone(), d.to_path_buf());
            std::thread::spawn(move || {
                let mut results = Vec::new();
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let cn = format!("Loop {w}-{i}");
                    let o = run(&exe, &d, &["ca", "issue", "--dir", "ca", "--csr", "unit.csr", "--cn", &cn, "--cert-out", &format!("loop{w}-{i}.pem")]);
                    results.push((cn, summary(&o)));
                    i += 1;
                }
                results
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(500));
    // the restart cuts every connection: the parked transactions' and the test's own (which
    // held the table)
    drop(watcher);
    cluster.restart();
    drop(tx);
    drop(locker);
    std::thread::sleep(Duration::from_millis(1500));
    stop.store(true, Ordering::SeqCst);
    let mut outcomes: Vec<(String, (i32, String, String))> = Vec::new();
    let mut parked_cut = 0;
    for (i, c) in parked.into_iter().enumerate() {
        let (code, out, err) = summary(&c.wait_with_output().unwrap());
        // The one that held the CA's lock had written its certificate row: cut before its
        // commit, it fails clearly and nothing of it is recorded (checked below). The two
        // waiting for the lock had written nothing: they may reconnect once and complete.
        if code == 1 {
            assert!(err.contains("the CA registry database failed") && err.contains("the operation was not recorded"), "Parked {i}: {err}");
            parked_cut += 1;
        }
        outcomes.push((format!("Parked {i}"), (code, out, err)));
    }
    assert!(parked_cut >= 1, "the restart cut no parked transaction: {outcomes:?}");
    for l in loops {
        outcomes.extend(l.join().unwrap());
    }
    let listed: BTreeSet<String> = list_json(d, "ca").iter().map(|c| c["subject"].as_str().unwrap().to_string()).collect();
    for (cn, (code, out, err)) in &outcomes {
        let present = listed.iter().any(|s| s.ends_with(&format!("CN={cn}")));
        match code {
            0 => assert!(present, "{cn} succeeded but is not in the registry: {out}"),
            1 => {
                // a clear error: the database, and whether it was recorded
                assert!(err.contains("database"), "{cn}: {err}");
                if err.contains("was not recorded") || err.contains("cannot reach") {
                    assert!(!present, "{cn} said not recorded but is in the registry: {err}");
                } else {
                    assert!(err.contains("may or may not have been recorded"), "{cn}: {err}");
                }
            }
            other => panic!("{cn}: exit {other}: {out}{err}"),
        }
    }
    // nothing half-applied: the audit accounts for every row, and the next run succeeds
    ok(d, &["ca", "audit", "--dir", "ca"]);
    ok(d, &["ca", "issue", "--dir", "ca", "--csr", "unit.csr", "--cn", "After", "--cert-out", "after.pem"]);
    // the server reconnected: it answers, and sees the newest certificate
    let serial = {
        let (_, s) = openssl(d, &["x509", "-noout", "-serial", "-in", "after.pem"]);
        s.trim().trim_start_matches("serial=").to_ascii_lowercase().trim_start_matches('0').to_string()
    };
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let (_, text) = openssl(d, &["ocsp", "-issuer", "ca/ca.pem", "-url", &format!("http://127.0.0.1:{}/ocsp", server.port), "-CAfile", "root/ca.pem", "-serial", &format!("0x{serial}")]);
        if text.contains(&format!("0x{serial}: good")) {
            break;
        }
        assert!(Instant::now() < deadline, "ca serve did not come back after the restart: {text}");
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl): .ci/run installs them"]
fn pg_sigkill_mid_transaction_leaves_no_serial_without_its_audit_entry() {
    let b = Backend::pg();
    let Backend::Pg(cluster) = &b else { unreachable!() };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(&b, d, 9);
    cheap_ca_key(&d.join("ca"));
    unit_csr(d);
    let schema = crate::pg::schema_of(&d.join("ca"));
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kyso"));
    let mut watcher = cluster.client("kyso");
    // 1. parked after its certificate row (inside the transaction), then killed
    let mut locker = cluster.client("kyso");
    let mut tx = locker.transaction().unwrap();
    tx.batch_execute(&format!("LOCK TABLE {schema}.audit IN EXCLUSIVE MODE")).unwrap();
    let mut child = Command::new(&exe)
        .args(["ca", "issue", "--dir", "ca", "--csr", "unit.csr", "--cn", "Killed", "--cert-out", "killed.pem"])
        .env_remove("KYSO_DB")
        .env("KYSO_PASSPHRASE", PASS)
        .current_dir(d)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    wait_for("the parked issuance", || waiting_inserts(&mut watcher) == 1);
    // its row is there, uncommitted: invisible to everyone else
    let inside: i64 = watcher.query_one(&format!("SELECT count(*) FROM {schema}.certificates"), &[]).unwrap().get(0);
    assert_eq!(inside, 0);
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    drop(tx);
    drop(locker);
    // the server notices the closed socket and rolls back: no session left in a transaction,
    // no advisory lock held
    wait_for("the killed session to go", || {
        let n: i64 = watcher
            .query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kyso' AND state <> 'idle'", &[])
            .unwrap()
            .get(0);
        let locks: i64 = watcher.query_one("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'", &[]).unwrap().get(0);
        n == 0 && locks == 0
    });
    let rows: i64 = watcher.query_one(&format!("SELECT count(*) FROM {schema}.certificates"), &[]).unwrap().get(0);
    assert_eq!(rows, 0, "the killed issuance left a certificate row");
    ok(d, &["ca", "audit", "--dir", "ca"]);
    // 2. twenty kills at random moments: whatever is recorded is whole
    let mut seed: u64 = 0x2222_1234_abcd;
    for i in 0..20 {
        let mut child = Command::new(&exe)
            .args(["ca", "issue", "--dir", "ca", "--csr", "unit.csr", "--cn", &format!("Kill {i}"), "--cert-out", &format!("kill{i}.pem")])
            .env_remove("KYSO_DB")
            .env("KYSO_PASSPHRASE", PASS)
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        std::thread::sleep(Duration::from_millis(5 + seed % 120));
        let _ = child.kill();
        let _ = child.wait();
    }
    wait_for("every killed session to go", || {
        let n: i64 = watcher
            .query_one("SELECT count(*) FROM pg_stat_activity WHERE application_name = 'kyso' AND state <> 'idle'", &[])
            .unwrap()
            .get(0);
        n == 0
    });
    let rows: i64 = watcher.query_one(&format!("SELECT count(*) FROM {schema}.certificates"), &[]).unwrap().get(0);
    let issues: i64 = watcher.query_one(&format!("SELECT count(*) FROM {schema}.audit WHERE operation = 'issue'"), &[]).unwrap().get(0);
    assert_eq!(rows, issues, "every certificate row has its audit entry");
    ok(d, &["ca", "audit", "--dir", "ca"]);
    ok(d, &["ca", "issue", "--dir", "ca", "--csr", "unit.csr", "--cn", "After", "--cert-out", "after.pem"]);
}

// ---------------------------------------------------------------------------- migration

fn schemas(c: &mut postgres::Client) -> Vec<String> {
    c.query("SELECT nspname FROM pg_namespace WHERE nspname LIKE 'kyso_%' ORDER BY 1", &[]).unwrap().iter().map(|r| r.get(0)).collect()
}

fn names_in(dir: &Path) -> BTreeSet<String> {
    std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect()
}

#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl): .ci/run installs them"]
fn pg_migrate_moves_everything_verifies_and_refuses_what_it_must() {
    let cluster = PgCluster::start();
    let url = cluster.create_db("kyso");
    let mut c = cluster.client("kyso");
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(&Backend::Sqlite, d, 9);
    unit_csr(d);
    for i in 0..3 {
        ok(d, &["ca", "issue", "--dir", "ca", "--csr", "unit.csr", "--cn", &format!("Đơn vị {i}"), "--cert-out", &format!("u{i}.pem")]);
    }
    let list = list_json(d, "ca");
    let (s0, s1) = (list[0]["serial"].as_str().unwrap().to_string(), list[1]["serial"].as_str().unwrap().to_string());
    ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &s0, "--reason", "superseded"]);
    ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &s1, "--reason", "certificate-hold"]);
    ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &s1, "--reason", "remove-from-crl"]);
    ok(d, &["ca", "crl", "--dir", "ca", "--days", "9"]);
    let before = ok(d, &["ca", "list", "--dir", "ca", "--json"]);
    let crl_before = std::fs::read(d.join("ca/crl.pem")).unwrap();
    let audit_before = ok(d, &["ca", "audit", "--dir", "ca"]);
    let head = audit_before.lines().find_map(|l| l.strip_prefix("head ")).unwrap().to_string();
    let files_before = names_in(&d.join("ca"));

    // refused: a registry that fails its audit (nothing in the database, DIR untouched)
    let sq = rusqlite::Connection::open(d.join("ca/registry.db")).unwrap();
    sq.execute_batch("UPDATE meta SET value = '1' WHERE key = 'crl_days'").unwrap();
    let (code, _, err) = summary(&crate::registry_suite::k(d, &["ca", "migrate", "--dir", "ca", "--to", &url]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("audit log broken") && err.contains("nothing was moved"), "{err}");
    assert!(schemas(&mut c).is_empty());
    assert_eq!(names_in(&d.join("ca")), files_before);
    sq.execute_batch("UPDATE meta SET value = '9' WHERE key = 'crl_days'").unwrap();
    drop(sq);
    // refused: the schema exists already (another copy of this CA moved there?)
    let schema = crate::pg::schema_of(&d.join("ca"));
    c.batch_execute(&format!("CREATE SCHEMA {schema}")).unwrap();
    let (code, _, err) = summary(&crate::registry_suite::k(d, &["ca", "migrate", "--dir", "ca", "--to", &url]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("already has a schema"), "{err}");
    assert_eq!(names_in(&d.join("ca")), files_before);
    c.batch_execute(&format!("DROP SCHEMA {schema}")).unwrap();
    // refused: not a PostgreSQL URL (a usage error)
    let (code, _, _) = summary(&crate::registry_suite::k(d, &["ca", "migrate", "--dir", "ca", "--to", "sqlite:///x"]));
    assert_eq!(code, 2);

    // a `ca serve` that has registry.db open from before the move
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_kyso"));
    let old_server = Server::start(&exe, d, &[]);
    let s2 = list[2]["serial"].as_str().unwrap().to_string();
    let ask_old = |serial: &str| {
        let url = format!("http://127.0.0.1:{}/ocsp", old_server.port);
        openssl(d, &["ocsp", "-issuer", "ca/ca.pem", "-url", &url, "-CAfile", "root/ca.pem", "-serial", &format!("0x{serial}")]).1
    };
    let text = ask_old(&s2);
    assert!(text.contains(&format!("0x{s2}: good")), "{text}");

    // the move
    let out = ok(d, &["ca", "migrate", "--dir", "ca", "--to", &url]);
    assert!(out.contains(&format!("schema {schema}")) && out.contains("3 certificates, 5 CRLs") && out.contains(&format!("head {head}")), "{out}");
    let files: BTreeSet<String> = names_in(&d.join("ca"));
    assert!(files.contains("ca.conf") && files.contains("registry.db.migrated") && !files.contains("registry.db"), "{files:?}");
    assert_eq!(ok(d, &["ca", "list", "--dir", "ca", "--json"]), before);
    assert_eq!(std::fs::read(d.join("ca/crl.pem")).unwrap(), crl_before);
    let audit_after = ok(d, &["ca", "audit", "--dir", "ca"]);
    let entries = |s: &str| s.split("intact: ").nth(1).unwrap().split(' ').next().unwrap().parse::<usize>().unwrap();
    assert_eq!(entries(&audit_after), entries(&audit_before) + 1, "{audit_after}");
    assert_eq!(schemas(&mut c), [schema.clone()]);
    // the old server does not answer from the retired copy: a revocation made now, in the
    // database, is never "good" there — the file is marked moved, so it says tryLater
    ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &s2, "--reason", "key-compromise"]);
    let text = ask_old(&s2);
    assert!(!text.contains(": good") && text.contains("Responder Error: trylater"), "{text}");
    // and a command that opened the SQLite file before the move cannot write into it: the
    // mark is in the file (what a waiting `ca issue` finds once it gets the lock)
    let moved: String = rusqlite::Connection::open(d.join("ca/registry.db.migrated"))
        .unwrap()
        .query_row("SELECT value FROM meta WHERE key = 'moved_to'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(moved, url, "the mark names the database without its password");
    drop(old_server);
    // a forged migration entry is caught: its head must name the entry before it
    c.batch_execute(&format!(
        "SET search_path TO {schema}; DROP TRIGGER audit_no_update ON audit;
         UPDATE audit SET detail = replace(detail, '\"head\":\"', '\"head\":\"0') WHERE operation = 'migrate'"
    ))
    .unwrap();
    let (code, _, err) = summary(&crate::registry_suite::k(d, &["ca", "audit", "--dir", "ca"]));
    assert_eq!(code, 1);
    assert!(err.contains("audit log broken at entry"), "{err}");
    // it works on: a new issuance and revocation in the database; migrating again is refused
    let (code, _, err) = summary(&crate::registry_suite::k(d, &["ca", "migrate", "--dir", "ca", "--to", &url]));
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("already in a database"), "{err}");
    ok(d, &["ca", "issue", "--dir", "ca", "--csr", "unit.csr", "--cn", "Sau khi chuyển", "--cert-out", "after.pem"]);
    // the root moves too, into its own schema in the same database
    ok(d, &["ca", "migrate", "--dir", "root", "--to", &url]);
    assert_eq!(schemas(&mut c).len(), 2);
    ok(d, &["ca", "audit", "--dir", "root"]);
    ok(d, &["ca", "crl", "--dir", "ca", "--out", "all.pem", "--with-parents"]);
}

/// Two `ca serve` processes on one registry, started 20 days after a 30-day CRL (faketime): the
/// CRL is due, one publishes, the other does not publish again, and both then serve the new CRL.
/// (They start one after the other, so this does not force the race between two publishers:
/// `pg_crl_republication_by_several_servers_happens_once` does, with four handles at one instant
/// — it fails when "due" is decided outside the write transaction; this one did not.)
#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl) and faketime: .ci/run installs them"]
fn pg_two_servers_republish_a_due_crl_once() {
    let b = Backend::pg();
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(&b, d, 9);
    let out = ok(d, &["ca", "audit", "--dir", "ca"]);
    assert!(out.contains("0 certificates and 1 CRLs"), "{out}");
    let (okf, text) = {
        let o = Command::new("faketime").args(["-f", "+20d", "date"]).output().expect("faketime (Debian's faketime package)");
        (o.status.success(), String::from_utf8_lossy(&o.stdout).into_owned())
    };
    assert!(okf, "faketime does not run: {text}");
    let wrapper = d.join("kyso-later");
    std::fs::write(&wrapper, format!("#!/bin/sh\nexec faketime -f +20d '{}' \"$@\"\n", env!("CARGO_BIN_EXE_kyso"))).unwrap();
    std::process::Command::new("chmod").args(["+x", wrapper.to_str().unwrap()]).status().unwrap();
    let servers = [Server::start(&wrapper, d, &[]), Server::start(&wrapper, d, &[])];
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let numbers: Vec<i64> = servers
            .iter()
            .map(|s| {
                std::fs::write(d.join("served.crl"), http_get(s.port, "/ca/crl")).unwrap();
                crl_number_of(d, "served.crl", "DER")
            })
            .collect();
        if numbers == [2, 2] {
            break;
        }
        assert!(Instant::now() < deadline, "the servers serve CRLs {numbers:?}");
        std::thread::sleep(Duration::from_millis(200));
    }
    // give a second publication (the bug this prevents) time to happen, then count
    std::thread::sleep(Duration::from_secs(2));
    drop(servers);
    let out = ok(d, &["ca", "audit", "--dir", "ca"]);
    assert!(out.contains("0 certificates and 2 CRLs"), "exactly one re-publication: {out}");
}
