//! The CA registry suite, run against both backends (issue 22): every case is one function
//! over a [`Backend`], instantiated twice by `both!` — `…::sqlite` (plain `cargo test`) and
//! `…::pg` (a private PostgreSQL cluster; `#[ignore]`d, run by .ci/run with `--ignored`).
//! Commands are the same for both: only `ca init` gets `--db URL`; afterwards the CA
//! directory's `ca.conf` says where the registry is.

use crate::cli::{kyso, summary};
use crate::pg::PgCluster;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const PASS: &str = "mật khẩu thử nghiệm";
const UNIT_PASS: &str = crate::ca::UNIT_PASS;

/// Where the registries of a test live.
pub enum Backend {
    Sqlite,
    Pg(PgCluster),
}

impl Backend {
    pub fn sqlite() -> Backend {
        Backend::Sqlite
    }

    /// A fresh cluster with a database `kyso`.
    pub fn pg() -> Backend {
        let c = PgCluster::start();
        c.create_db("kyso");
        Backend::Pg(c)
    }

    /// What `ca init` needs to put the registry in this backend.
    pub fn init_args(&self) -> Vec<String> {
        match self {
            Backend::Sqlite => vec![],
            Backend::Pg(c) => vec!["--db".into(), c.url("kyso")],
        }
    }

    /// Runs SQL on the registry of the CA in `ca_dir` (its schema first in the search path).
    pub fn exec(&self, ca_dir: &Path, sql: &str) -> Result<(), String> {
        match self {
            Backend::Sqlite => {
                let c = rusqlite::Connection::open(ca_dir.join("registry.db")).map_err(|e| e.to_string())?;
                c.execute_batch(sql).map_err(|e| e.to_string())
            }
            Backend::Pg(c) => {
                let schema = crate::pg::schema_of(ca_dir);
                c.exec("kyso", &format!("SET search_path TO {schema}; {sql}")).map_err(|e| match e.as_db_error() {
                    Some(db) => db.message().to_string(),
                    None => e.to_string(),
                })
            }
        }
    }

    /// SQL that removes the audit log's append-only triggers (as someone with write access would).
    pub fn drop_audit_triggers(&self) -> &'static str {
        match self {
            Backend::Sqlite => "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;",
            Backend::Pg(_) => "DROP TRIGGER audit_no_update ON audit; DROP TRIGGER audit_no_truncate ON audit;",
        }
    }

    /// A binary literal for a `der` column.
    pub fn blob(&self, hex: &str) -> String {
        match self {
            Backend::Sqlite => format!("x'{hex}'"),
            Backend::Pg(_) => format!("decode('{hex}', 'hex')"),
        }
    }

    pub fn is_pg(&self) -> bool {
        matches!(self, Backend::Pg(_))
    }
}

/// Instantiates a suite case for both backends.
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[test]
            fn sqlite() {
                super::$name(&super::Backend::sqlite());
            }

            #[test]
            #[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl): .ci/run installs them"]
            fn pg() {
                super::$name(&super::Backend::pg());
            }
        }
    };
}

pub fn k(dir: &Path, args: &[&str]) -> Output {
    let pass = crate::ca::pass_for(args);
    kyso().args(args).current_dir(dir).env("KYSO_PASSPHRASE", pass).env("KYSO_KEY_PASSPHRASE", UNIT_PASS).output().expect("run kyso")
}

pub fn ok(dir: &Path, args: &[&str]) -> String {
    let (code, out, err) = summary(&k(dir, args));
    assert_eq!(code, 0, "kyso {args:?} failed:\n{out}\n{err}");
    out
}

fn fails(dir: &Path, args: &[&str], code: i32, needle: &str) -> String {
    let (c, out, err) = summary(&k(dir, args));
    assert_eq!(c, code, "kyso {args:?}: expected exit {code}, got {c}\n{out}\n{err}");
    assert!(err.contains(needle), "kyso {args:?}: stderr lacks '{needle}':\n{err}");
    err
}

pub fn openssl(dir: &Path, args: &[&str]) -> (bool, String) {
    let o = Command::new("openssl").args(args).current_dir(dir).output().expect("openssl");
    (o.status.success(), format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr)))
}

pub fn list_json(dir: &Path, ca: &str) -> Vec<serde_json::Value> {
    serde_json::from_str(&ok(dir, &["ca", "list", "--dir", ca, "--json"])).unwrap()
}

fn serial_of(dir: &Path, cert: &str) -> String {
    let (_, out) = openssl(dir, &["x509", "-noout", "-serial", "-in", cert]);
    out.trim().trim_start_matches("serial=").to_ascii_lowercase().trim_start_matches('0').to_string()
}

/// The CRL number of `ca/crl.pem` as OpenSSL reads it.
fn crl_file_number(dir: &Path, ca: &str) -> i64 {
    crl_number_of(dir, &format!("{ca}/crl.pem"), "PEM")
}

/// The CRL number of a CRL file as OpenSSL reads it.
pub fn crl_number_of(dir: &Path, file: &str, inform: &str) -> i64 {
    let (okk, out) = openssl(dir, &["crl", "-inform", inform, "-in", file, "-noout", "-crlnumber"]);
    assert!(okk, "{out}");
    i64::from_str_radix(out.trim().trim_start_matches("crlNumber=").trim_start_matches("0x"), 16).unwrap()
}

/// The number in kyso's "CRL number N" message.
fn printed_crl_number(out: &str) -> i64 {
    let rest = out.split("CRL number ").nth(1).unwrap_or_else(|| panic!("no CRL number in {out}"));
    rest.split(|c: char| !c.is_ascii_digit()).next().unwrap().parse().unwrap()
}

/// A province on `b`: root CA in `root/`, issuing CA in `ca/`, with publication URLs pointing
/// at 127.0.0.1:`port`.
pub fn province(b: &Backend, d: &Path, port: u16) {
    let base = format!("http://127.0.0.1:{port}");
    for (name, cn, parent) in [("root", "Root CA Thử nghiệm", None), ("ca", "CA Thử nghiệm", Some("root"))] {
        let (crl, cert, ocsp) = (format!("{base}/{name}/crl"), format!("{base}/{name}/ca.crt"), format!("{base}/ocsp"));
        let mut args: Vec<String> = ["ca", "init", "--dir", name, "--name", cn, "--crl-url", &crl, "--ca-issuers-url", &cert, "--ocsp-url", &ocsp]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(p) = parent {
            args.extend(["--parent".to_string(), p.to_string()]);
        }
        args.extend(b.init_args());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ok(d, &args);
        // where the registry is: ca.conf for PostgreSQL, registry.db for SQLite, never both
        assert_eq!(d.join(name).join("ca.conf").exists(), b.is_pg());
        assert_eq!(d.join(name).join("registry.db").exists(), !b.is_pg());
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

// ------------------------------------------------------------------------------------ cases

both!(issue_revoke_hold_crl_and_audit_agree_with_openssl);
fn issue_revoke_hold_crl_and_audit_agree_with_openssl(b: &Backend) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(b, d, 9);
    for (u, extra) in [("u1", vec!["--profile", "agency"]), ("u2", vec!["--profile", "agency"]), ("u3", vec!["--profile", "person", "--title", "Giám đốc", "--org", "Sở Y tế"])] {
        let (key, cert) = (format!("{u}.key"), format!("{u}.pem"));
        let cn = format!("Đơn vị {u}");
        let mut args = vec!["ca", "issue", "--dir", "ca", "--cn", &cn, "--key-out", &key, "--cert-out", &cert];
        args.extend(extra);
        ok(d, &args);
        let (okv, out) = openssl(d, &["verify", "-CAfile", "root/ca.pem", "-untrusted", "ca/chain.pem", &cert]);
        assert!(okv && out.contains("OK"), "{out}");
    }
    let list = list_json(d, "ca");
    assert_eq!(list.len(), 3);
    assert!(list.iter().all(|c| c["status"] == "valid"), "{list:?}");
    // list order: issue time, then insertion order
    let order: Vec<String> = list.iter().map(|c| c["serial"].as_str().unwrap().to_string()).collect();
    assert_eq!(order, ["u1.pem", "u2.pem", "u3.pem"].map(|c| serial_of(d, c)));
    let (s1, s2) = (serial_of(d, "u1.pem"), serial_of(d, "u2.pem"));
    // revocations: crl.pem is the newest CRL after each command
    let out = ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &s1, "--reason", "key-compromise"]);
    assert_eq!(crl_file_number(d, "ca"), printed_crl_number(&out));
    let out = ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &s2, "--reason", "certificate-hold"]);
    assert_eq!(crl_file_number(d, "ca"), printed_crl_number(&out));
    fails(d, &["ca", "revoke", "--dir", "ca", "--serial", &s1], 1, "already revoked");
    fails(d, &["ca", "revoke", "--dir", "ca", "--serial", "77"], 1, "no certificate with serial 77");
    let crls = "crls.pem";
    let both_crls = [std::fs::read(d.join("ca/crl.pem")).unwrap(), std::fs::read(d.join("root/crl.pem")).unwrap()].concat();
    std::fs::write(d.join(crls), both_crls).unwrap();
    let (okv, out) = openssl(d, &["verify", "-crl_check", "-CAfile", "root/ca.pem", "-untrusted", "ca/chain.pem", "-CRLfile", crls, "u1.pem"]);
    assert!(!okv && out.contains("certificate revoked"), "{out}");
    let (okv, out) = openssl(d, &["verify", "-crl_check", "-CAfile", "root/ca.pem", "-untrusted", "ca/chain.pem", "-CRLfile", crls, "u3.pem"]);
    assert!(okv, "{out}");
    // the hold is lifted: valid again, and off the next CRL
    let out = ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &s2, "--reason", "remove-from-crl"]);
    assert_eq!(crl_file_number(d, "ca"), printed_crl_number(&out));
    let statuses: Vec<String> = list_json(d, "ca").iter().map(|c| c["status"].as_str().unwrap().to_string()).collect();
    assert_eq!(statuses, ["revoked", "valid", "valid"]);
    let out = ok(d, &["ca", "crl", "--dir", "ca", "--days", "7", "--out", "ca7.crl"]);
    let n = printed_crl_number(&out);
    assert_eq!(n, 5, "init, revoke, hold, lift, crl: {out}");
    assert_eq!(crl_file_number(d, "ca"), n);
    let (_, text) = openssl(d, &["crl", "-inform", "DER", "-in", "ca7.crl", "-noout", "-text"]);
    assert_eq!(text.matches("Serial Number:").count(), 1, "{text}");
    assert!(text.to_ascii_lowercase().contains(&s1), "{text}");
    let out = ok(d, &["ca", "audit", "--dir", "ca"]);
    assert!(out.contains("audit log intact") && out.contains("3 certificates and 5 CRLs"), "{out}");
    let out = ok(d, &["ca", "audit", "--dir", "root"]);
    assert!(out.contains("1 certificates and 1 CRLs"), "{out}");
    // the parent's record of the issuing CA
    assert_eq!(list_json(d, "root")[0]["profile"], "ca");
}

both!(parallel_issues_get_distinct_serials_and_racing_revocations_all_land);
fn parallel_issues_get_distinct_serials_and_racing_revocations_all_land(b: &Backend) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().to_path_buf();
    province(b, &d, 9);
    let spawn = |args: Vec<String>| -> Child {
        kyso()
            .args(&args)
            .env("KYSO_PASSPHRASE", PASS)
            .env("KYSO_KEY_PASSPHRASE", UNIT_PASS)
            .current_dir(&d)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children: Vec<Child> = (0..20)
        .map(|i| {
            let a = format!("ca issue --dir ca --cn Đơn_vị_{i} --key-out u{i}.key --cert-out u{i}.pem");
            spawn(a.split(' ').map(str::to_string).collect())
        })
        .collect();
    for (i, c) in children.into_iter().enumerate() {
        let (code, out, err) = summary(&c.wait_with_output().unwrap());
        assert_eq!(code, 0, "issue {i}: {out}{err}");
    }
    let files: std::collections::BTreeSet<String> = (0..20).map(|i| serial_of(&d, &format!("u{i}.pem"))).collect();
    assert_eq!(files.len(), 20, "serials must be distinct");
    let list = list_json(&d, "ca");
    let listed: std::collections::BTreeSet<String> = list.iter().map(|c| c["serial"].as_str().unwrap().to_string()).collect();
    assert_eq!(listed, files);
    let children: Vec<Child> = list
        .iter()
        .take(10)
        .map(|c| spawn(vec!["ca".into(), "revoke".into(), "--dir".into(), "ca".into(), "--serial".into(), c["serial"].as_str().unwrap().into()]))
        .collect();
    for c in children {
        let (code, out, err) = summary(&c.wait_with_output().unwrap());
        assert_eq!(code, 0, "{out}{err}");
    }
    // every revocation is in the final CRL, which is CRL number 11 (init + 10), in crl.pem
    let (_, crl) = openssl(&d, &["crl", "-in", "ca/crl.pem", "-noout", "-text"]);
    assert_eq!(crl.matches("Serial Number:").count(), 10, "{crl}");
    assert_eq!(crl_file_number(&d, "ca"), 11);
    let out = ok(&d, &["ca", "audit", "--dir", "ca"]);
    assert!(out.contains("20 certificates and 11 CRLs"), "{out}");
}

both!(audit_detects_edits_and_the_log_is_append_only);
fn audit_detects_edits_and_the_log_is_append_only(b: &Backend) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(b, d, 9);
    let ca = d.join("ca");
    ok(d, &["ca", "issue", "--dir", "ca", "--cn", "Sở Y tế", "--key-out", "a.key", "--cert-out", "a.pem"]);
    ok(d, &["ca", "issue", "--dir", "ca", "--cn", "Sở Kế hoạch", "--key-out", "b.key", "--cert-out", "b.pem"]);
    ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &serial_of(d, "a.pem"), "--reason", "superseded"]);
    ok(d, &["ca", "audit", "--dir", "ca"]);
    // append-only, inside the database
    for sql in ["UPDATE audit SET detail = 'x' WHERE seq = 2", "DELETE FROM audit WHERE seq = 2"] {
        let e = b.exec(&ca, sql).unwrap_err();
        assert!(e.contains("append-only"), "{sql}: {e}");
    }
    if b.is_pg() {
        let e = b.exec(&ca, "TRUNCATE audit").unwrap_err();
        assert!(e.contains("append-only"), "{e}");
        // the chain's backstops: a second entry after the same one, a seq ≤ 0
        let e = b.exec(&ca, "INSERT INTO audit SELECT seq + 1000, time, operation, detail, prev_hash, hash FROM audit WHERE seq = 2").unwrap_err();
        assert!(e.contains("unique") || e.contains("duplicate"), "{e}");
    }
    b.exec(&ca, b.drop_audit_triggers()).unwrap();
    let hex_serial = "abcd";
    let fake = format!(
        "INSERT INTO certificates (serial, subject, profile, not_before, not_after, der, issued_at) VALUES ('{hex_serial}', 'CN=x', 'agency', 0, 1, {}, 0)",
        b.blob("3000")
    );
    let cases: Vec<(String, &str, String)> = vec![
        // (entry #1 is init, #2 the first CRL, #3 the first issue)
        (
            "UPDATE audit SET detail = replace(detail, '\"agency\"', '\"person\"') WHERE seq = 3".into(),
            "audit log broken at entry #3: its content does not match its hash",
            "UPDATE audit SET detail = replace(detail, '\"person\"', '\"agency\"') WHERE seq = 3".into(),
        ),
        (
            "CREATE TABLE saved AS SELECT * FROM audit WHERE seq = 2; DELETE FROM audit WHERE seq = 2".into(),
            "sequence number 3 where 2 was expected",
            "INSERT INTO audit SELECT * FROM saved; DROP TABLE saved".into(),
        ),
        (
            "CREATE TABLE saved AS SELECT serial, revoked_at, reason FROM certificates WHERE revoked_at IS NOT NULL;
             UPDATE certificates SET revoked_at = NULL, reason = NULL WHERE serial IN (SELECT serial FROM saved)"
                .into(),
            "was logged as revoked but the registry shows it valid",
            "UPDATE certificates SET revoked_at = (SELECT revoked_at FROM saved s WHERE s.serial = certificates.serial),
                 reason = (SELECT reason FROM saved s WHERE s.serial = certificates.serial) WHERE serial IN (SELECT serial FROM saved);
             DROP TABLE saved"
                .into(),
        ),
        (
            "CREATE TABLE saved AS SELECT serial, subject, profile, not_before, not_after, der, issued_at, revoked_at, reason FROM certificates WHERE revoked_at IS NULL;
             DELETE FROM certificates WHERE revoked_at IS NULL"
                .into(),
            "missing from the registry",
            "INSERT INTO certificates (serial, subject, profile, not_before, not_after, der, issued_at, revoked_at, reason)
                 SELECT serial, subject, profile, not_before, not_after, der, issued_at, revoked_at, reason FROM saved;
             DROP TABLE saved"
                .into(),
        ),
        (fake, "certificate abcd in the registry was never logged as issued", format!("DELETE FROM certificates WHERE serial = '{hex_serial}'")),
        ("UPDATE meta SET value = 'kyso-ca-0' WHERE key = 'format'".into(), "the registry's format is", "UPDATE meta SET value = 'kyso-ca-1' WHERE key = 'format'".into()),
    ];
    for (edit, needle, undo) in &cases {
        b.exec(&ca, edit).unwrap_or_else(|e| panic!("{edit}: {e}"));
        fails(d, &["ca", "audit", "--dir", "ca"], 1, needle);
        b.exec(&ca, undo).unwrap_or_else(|e| panic!("{undo}: {e}"));
        // undone: intact again (each case is detected on its own)
        ok(d, &["ca", "audit", "--dir", "ca"]);
    }
}

/// `openssl ocsp` asking the server at `port` about `target` (`-cert FILE` or `-serial 0x…`).
pub fn ocsp_ask(d: &Path, port: u16, target: &[&str]) -> String {
    let url = format!("http://127.0.0.1:{port}/ocsp");
    let mut args = vec!["ocsp", "-issuer", "ca/ca.pem", "-url", &url, "-CAfile", "root/ca.pem"];
    args.extend_from_slice(target);
    openssl(d, &args).1
}

/// A running `kyso ca serve`, stopped on drop.
pub struct Server {
    child: Child,
    pub port: u16,
}

impl Server {
    /// Starts `kyso ca serve --dir root --dir ca` on a free port (from `cwd`, with `exe`).
    pub fn start(exe: &Path, cwd: &Path, extra: &[&str]) -> Server {
        for _ in 0..5 {
            let port = free_port();
            let listen = format!("127.0.0.1:{port}");
            let mut child = Command::new(exe)
                .args(["ca", "serve", "--dir", "root", "--dir", "ca", "--listen", &listen])
                .args(extra)
                .env_remove("KYSO_DB")
                .env("KYSO_PASSPHRASE", PASS)
                .current_dir(cwd)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
            let mut early = String::new();
            let mut started = false;
            loop {
                let mut line = String::new();
                if std::io::BufRead::read_line(&mut stderr, &mut line).unwrap_or(0) == 0 {
                    break;
                }
                early.push_str(&line);
                if line.starts_with("kyso ca serve: listening on") {
                    started = true;
                    break;
                }
            }
            if started {
                // keep draining stderr so that the server never blocks on a full pipe
                std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
                return Server { child, port };
            }
            let _ = child.kill();
            let _ = child.wait();
            if !early.contains("in use") {
                panic!("ca serve did not start: {early}");
            }
        }
        panic!("ca serve: no free port");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

both!(serve_answers_good_revoked_unknown_and_sees_a_revocation_at_once);
fn serve_answers_good_revoked_unknown_and_sees_a_revocation_at_once(b: &Backend) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(b, d, 9);
    for u in ["u1", "u2"] {
        let (key, cert, cn) = (format!("{u}.key"), format!("{u}.pem"), format!("Đơn vị {u}"));
        ok(d, &["ca", "issue", "--dir", "ca", "--cn", &cn, "--key-out", &key, "--cert-out", &cert]);
    }
    let s = Server::start(Path::new(env!("CARGO_BIN_EXE_kyso")), d, &[]);
    let out = ocsp_ask(d, s.port, &["-cert", "u1.pem"]);
    assert!(out.contains("Response verify OK") && out.contains("u1.pem: good"), "{out}");
    // revoked while the server runs: in the very next answer
    ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &serial_of(d, "u2.pem"), "--reason", "key-compromise"]);
    let out = ocsp_ask(d, s.port, &["-cert", "u2.pem"]);
    assert!(out.contains("Response verify OK") && out.contains("u2.pem: revoked"), "{out}");
    let out = ocsp_ask(d, s.port, &["-serial", "0x1234"]);
    assert!(out.contains("Response verify OK") && out.contains("0x1234: unknown"), "{out}");
    // and the CRL it serves is the newest
    std::fs::write(d.join("served.crl"), http_get(s.port, "/ca/crl")).unwrap();
    assert_eq!(crl_number_of(d, "served.crl", "DER"), 2);
}

/// The body of a GET over plain HTTP/1.1.
pub fn http_get(port: u16, path: &str) -> Vec<u8> {
    use std::io::{Read, Write};
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).unwrap();
    assert!(Instant::now() < deadline);
    let i = buf.windows(4).position(|w| w == b"\r\n\r\n").expect("an HTTP answer");
    assert!(buf.starts_with(b"HTTP/1.1 200"), "{}", String::from_utf8_lossy(&buf[..i]));
    buf[i + 4..].to_vec()
}

// ------------------------------------------------------------------- without a server

#[test]
fn an_unreachable_database_fails_clearly_without_showing_its_password() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    // a closed port on loopback: refused at once
    let url = format!("postgres://kyso:s3cr3t-pw@127.0.0.1:{}/x", free_port());
    let o = kyso().args(["ca", "init", "--dir", "ca", "--name", "CA", "--db", &url]).env("KYSO_PASSPHRASE", PASS).current_dir(d).output().unwrap();
    let (code, out, err) = summary(&o);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("cannot reach the CA registry database postgres://kyso:***@127.0.0.1:"), "{err}");
    assert!(!out.contains("s3cr3t") && !err.contains("s3cr3t"), "{out}{err}");
    // nothing was left behind: init can be run again
    assert!(!d.join("ca").exists() || std::fs::read_dir(d.join("ca")).unwrap().next().is_none());
    // the password from a file, the URL without one: still never shown
    std::fs::write(d.join("pw"), "s3cr3t-pw\n").unwrap();
    let url = format!("postgres://kyso@127.0.0.1:{}/x", free_port());
    ok(d, &["ca", "init", "--dir", "sq", "--name", "CA"]);
    let o = kyso().args(["ca", "list", "--dir", "sq", "--db", &url, "--db-pass-file", "pw"]).current_dir(d).output().unwrap();
    let (code, _, err) = summary(&o);
    assert_eq!(code, 2, "--db on an SQLite CA is a usage error: {err}");
    assert!(err.contains("registry of sq is the SQLite file registry.db") && err.contains("kyso ca migrate"), "{err}");
    // KYSO_DB works like --db
    let o = kyso().args(["ca", "list", "--dir", "sq"]).env("KYSO_DB", &url).current_dir(d).output().unwrap();
    assert_eq!(summary(&o).0, 2);
    // a ca.conf naming an unreachable database: exit 1, the URL shown without its password
    let ca = d.join("pgca");
    std::fs::create_dir(&ca).unwrap();
    for f in ["ca.pem", "ca.key"] {
        std::fs::copy(d.join("sq").join(f), ca.join(f)).unwrap();
    }
    std::fs::write(ca.join("ca.conf"), format!("# test\ndb = postgres://kyso:s3cr3t-pw@127.0.0.1:{}/x\n", free_port())).unwrap();
    let o = kyso().args(["ca", "list", "--dir", "pgca"]).current_dir(d).output().unwrap();
    let (code, out, err) = summary(&o);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("cannot reach the CA registry database") && !err.contains("s3cr3t") && !out.contains("s3cr3t"), "{err}");
    // a broken ca.conf: a usage error naming the file and the line
    std::fs::write(ca.join("ca.conf"), "database = postgres://h/d\n").unwrap();
    let (code, _, err) = summary(&kyso().args(["ca", "list", "--dir", "pgca"]).current_dir(d).output().unwrap());
    assert_eq!(code, 2);
    assert!(err.contains("ca.conf: line 1: unknown setting 'database'"), "{err}");
    std::fs::write(ca.join("ca.conf"), "db = mysql://u:pw@h/d\n").unwrap();
    let (code, _, err) = summary(&kyso().args(["ca", "list", "--dir", "pgca"]).current_dir(d).output().unwrap());
    assert_eq!(code, 2);
    assert!(err.contains("not a postgres:// or postgresql:// URL") && !err.contains("pw@"), "{err}");
    // no TLS yet: another machine only with sslmode=disable, in ca.conf as on the command line
    std::fs::write(ca.join("ca.conf"), "db = postgres://kyso:s3cr3t-pw@db.bacninh.example/kyso\n").unwrap();
    let (code, _, err) = summary(&kyso().args(["ca", "list", "--dir", "pgca"]).current_dir(d).output().unwrap());
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("names db.bacninh.example, another machine") && err.contains("add sslmode=disable") && !err.contains("s3cr3t"), "{err}");
    let o = kyso()
        .args(["ca", "init", "--dir", "remote", "--name", "CA", "--db", "postgres://kyso:s3cr3t-pw@192.0.2.7/kyso?sslmode=require"])
        .env("KYSO_PASSPHRASE", PASS)
        .current_dir(d)
        .output()
        .unwrap();
    let (code, out, err) = summary(&o);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--db: ") && err.contains("asks for TLS (sslmode=require)") && !err.contains("s3cr3t") && !out.contains("s3cr3t"), "{err}");
    assert!(!d.join("remote").exists(), "nothing made");
}

/// A PostgreSQL test whose server binaries are missing fails (it never passes vacuously): the
/// harness's lookup, run in a child test process with `KYSO_PG_BIN` naming an empty folder.
#[test]
fn a_missing_postgresql_fails_the_test_rather_than_passing() {
    let d = tempfile::tempdir().unwrap();
    let o = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "pg::lookup_only", "--ignored", "--nocapture", "--test-threads", "1"])
        .env("KYSO_PG_BIN", d.path())
        .output()
        .unwrap();
    let (code, out, err) = summary(&o);
    assert_ne!(code, 0, "{out}{err}");
    assert!(format!("{out}{err}").contains("holds no initdb"), "{out}{err}");
}

both!(a_registry_from_a_newer_kyso_is_refused);
fn a_registry_from_a_newer_kyso_is_refused(b: &Backend) {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(b, d, 9);
    let ca = d.join("ca");
    // schema version 1 is what this build writes (absent = 1) and reads
    b.exec(&ca, "INSERT INTO meta (key, value) VALUES ('schema_version', '1')").unwrap();
    ok(d, &["ca", "list", "--dir", "ca"]);
    b.exec(&ca, "UPDATE meta SET value = '99' WHERE key = 'schema_version'").unwrap();
    for args in [&["ca", "list", "--dir", "ca"][..], &["ca", "issue", "--dir", "ca", "--cn", "X", "--key-out", "x.key", "--cert-out", "x.pem"]] {
        let err = fails(d, args, 2, "the registry has schema version 99; this kyso knows up to version 1");
        assert!(!err.contains("panicked"), "{err}");
    }
    assert!(!d.join("x.pem").exists());
}

/// The database password reaches the server from --db-pass-file or KYSO_DB_PASSWORD (SCRAM
/// authentication), is never written to ca.conf nor printed, and a wrong or missing one fails
/// with exit 1.
#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl): .ci/run installs them"]
fn pg_password_from_a_file_or_the_environment_never_shown_nor_stored() {
    let cluster = PgCluster::start();
    cluster.create_db("kyso");
    cluster.password_role("secured", "Mk-22-s3cret");
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    std::fs::write(d.join("pw"), "Mk-22-s3cret\n").unwrap();
    std::fs::write(d.join("wrong"), "not-it\n").unwrap();
    let url = format!("postgres://secured@127.0.0.1:{}/kyso", cluster.port);
    let run = |args: &[&str], env: &[(&str, &str)]| {
        let mut c = kyso();
        c.args(args).current_dir(d).env("KYSO_PASSPHRASE", PASS).env("KYSO_KEY_PASSPHRASE", UNIT_PASS);
        for (k, v) in env {
            c.env(k, v);
        }
        summary(&c.output().unwrap())
    };
    let (code, out, err) = run(&["ca", "init", "--dir", "ca", "--name", "CA", "--db", &url, "--db-pass-file", "pw"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let conf = std::fs::read_to_string(d.join("ca/ca.conf")).unwrap();
    assert!(conf.contains(&format!("db = {url}")) && !conf.contains("s3cret"), "{conf}");
    // without a password: refused by the server, exit 1
    let (code, out, err) = run(&["ca", "list", "--dir", "ca"], &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("cannot reach the CA registry database") && err.contains("password missing"), "{err}");
    // a wrong one: the server's refusal, and the password is not echoed
    let (code, _, err) = run(&["ca", "list", "--dir", "ca", "--db-pass-file", "wrong"], &[]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot reach the CA registry database") && err.contains("password authentication failed") && !err.contains("not-it"), "{err}");
    // from the environment, and from the file
    let (code, out, err) = run(&["ca", "issue", "--dir", "ca", "--cn", "Đơn vị", "--key-out", "u.key", "--cert-out", "u.pem"], &[("KYSO_DB_PASSWORD", "Mk-22-s3cret")]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run(&["ca", "audit", "--dir", "ca", "--db-pass-file", "pw"], &[]);
    assert_eq!(code, 0, "{out}{err}");
    // in the URL: works, with a warning, and the password is not shown anywhere
    let with_pw = format!("postgres://secured:Mk-22-s3cret@127.0.0.1:{}/kyso", cluster.port);
    let (code, out, err) = run(&["ca", "list", "--dir", "ca", "--db", &with_pw], &[]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(err.contains("warning: the --db URL carries a password") && !err.contains("s3cret") && !out.contains("s3cret"), "{err}");
}

/// A CA whose `ca.conf` names its schema with an SQL key word (`user`): kyso writes the name as
/// a quoted identifier, so every command works there (unquoted, `SET search_path TO user` and
/// `CREATE SCHEMA user` are syntax errors). The registry is moved there as an administrator
/// would: the schema renamed, the line added to `ca.conf`.
#[test]
#[ignore = "needs PostgreSQL server binaries (initdb, pg_ctl): .ci/run installs them"]
fn pg_a_schema_named_by_a_key_word_works() {
    let b = Backend::pg();
    let Backend::Pg(cluster) = &b else { unreachable!() };
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    province(&b, d, 9);
    ok(d, &["ca", "issue", "--dir", "ca", "--cn", "Đơn vị một", "--key-out", "u1.key", "--cert-out", "u1.pem"]);
    let old = crate::pg::schema_of(&d.join("ca"));
    cluster.exec("kyso", &format!("ALTER SCHEMA {old} RENAME TO \"user\"")).unwrap();
    let conf = d.join("ca/ca.conf");
    let text = std::fs::read_to_string(&conf).unwrap();
    std::fs::write(&conf, format!("{text}schema = user\n")).unwrap();
    ok(d, &["ca", "issue", "--dir", "ca", "--cn", "Đơn vị hai", "--key-out", "u2.key", "--cert-out", "u2.pem"]);
    let out = ok(d, &["ca", "revoke", "--dir", "ca", "--serial", &serial_of(d, "u1.pem"), "--reason", "superseded"]);
    assert_eq!(crl_file_number(d, "ca"), printed_crl_number(&out));
    let list = list_json(d, "ca");
    assert_eq!(list.iter().map(|c| c["status"].as_str().unwrap()).collect::<Vec<_>>(), ["revoked", "valid"], "{list:?}");
    let out = ok(d, &["ca", "audit", "--dir", "ca"]);
    assert!(out.contains("audit log intact"), "{out}");
    let mut c = cluster.client("kyso");
    let n: i64 = c.query_one("SELECT count(*) FROM \"user\".certificates", &[]).unwrap().get(0);
    assert_eq!(n, 2);
}
