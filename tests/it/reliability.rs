//! Reliability, round two (issue 24): no lost signatures under concurrency, bounded inputs,
//! non-regular inputs refused at once, documents changed while signed refused, temporaries of
//! killed runs removed, `ca issue` outputs that appear together under SIGKILL, a reserved
//! `--cert-out`, quiet broken pipes. Each test failed on main before the fixes (see the issue).
//!
//! The slow-client load tests of `tsa serve` and `ca serve` are `#[ignore]`d (30 s of load each)
//! and run by `.ci/run`; `slow_client_load` takes the server's address and a good request, so that
//! a future `web` can be tested the same way.

use super::cli::{kyso, summary};
use super::pki::{openssl, openssl_cms_verify, write, KeyKind, Leaf, Party, Pki};
use super::robust_mutation::Rng;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const PASS: &str = "Mật-khẩu-độ-tin-cậy-24";

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn mkfifo(p: &Path) {
    rustix::fs::mknodat(rustix::fs::CWD, p, rustix::fs::FileType::Fifo, rustix::fs::Mode::from_raw_mode(0o600), 0).unwrap();
}

/// The subjects (CN) of the signers in a `.p7s`, as OpenSSL sees them: `openssl cms -verify`
/// checks every signature and writes the signers' certificates.
fn openssl_signers(dir: &Path, p7s: &Path, doc: &Path, root: &Path) -> BTreeSet<String> {
    let out = dir.join("signers.pem");
    let (ok, err) = openssl_cms_verify(dir, p7s, doc, root, &["-signer", s(&out)]);
    assert!(ok, "openssl cms -verify: {err}");
    let pems = std::fs::read_to_string(&out).unwrap();
    let mut cns = BTreeSet::new();
    for block in pems.split("-----END CERTIFICATE-----").filter(|b| b.contains("BEGIN")) {
        let one = dir.join("one.pem");
        std::fs::write(&one, format!("{block}-----END CERTIFICATE-----\n")).unwrap();
        let o = openssl(dir, &["x509", "-in", s(&one), "-noout", "-subject", "-nameopt", "multiline,utf8,-esc_msb"]);
        let text = String::from_utf8_lossy(&o.stdout).into_owned();
        let cn = text.lines().find_map(|l| l.trim().strip_prefix("commonName").map(|v| v.trim().trim_start_matches('=').trim().to_string()));
        cns.insert(cn.unwrap_or(text));
    }
    cns
}

/// The signers kyso finds valid in a `.p7s` (subject text of each TOTAL_PASSED signature).
fn kyso_valid_signers(pki: &Pki, doc: &Path) -> Vec<String> {
    let o = kyso().args(["verify", s(doc), "--trust", s(&pki.root.cert), "--revocation", "off", "--json"]).current_dir(pki.dir.path()).output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", summary(&o).2));
    v["documents"][0]["signatures"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["indication"] == "TOTAL_PASSED")
        .map(|s| s["signer"]["subject"].as_str().unwrap_or_default().to_string())
        .collect()
}

// ---------------------------------------------------------------------------------------------
// 1. Lost signatures

/// 20 trials of two, and of eight, simultaneous `kyso sign --add` on one `.p7s`: every run that
/// exits 0 has its signer in the final file, as `openssl cms -verify` and `kyso verify` see it.
/// (On main, 5 of 20 trials of two lost a signer.)
#[test]
fn simultaneous_sign_add_runs_never_lose_a_signer() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let signers: Vec<Party> = (0..9).map(|i| pki.leaf(&format!("Người ký {i}"), Leaf::default())).collect();
    let doc = write(d, "cong-van.txt", "Công văn số 24/UBND-VP".as_bytes());
    let p7s = d.join("cong-van.txt.p7s");
    let mut figures = Vec::new();
    for n in [2usize, 8] {
        let (mut ran, mut succeeded, mut present) = (0, 0, 0);
        for trial in 0..20 {
            let _ = std::fs::remove_file(&p7s);
            let first = &signers[0];
            let o = kyso().args(["sign", "--cert", s(&first.cert), "--key", s(&first.key), "--chain", s(&pki.sub.cert), s(&doc)]).current_dir(d).output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
            let children: Vec<(usize, std::process::Child)> = (1..=n)
                .map(|i| {
                    let p = &signers[i];
                    let c = kyso()
                        .args(["sign", "--add", "--cert", s(&p.cert), "--key", s(&p.key), "--chain", s(&pki.sub.cert), s(&doc)])
                        .current_dir(d)
                        .stdout(Stdio::piped())
                        .stderr(Stdio::piped())
                        .spawn()
                        .unwrap();
                    (i, c)
                })
                .collect();
            let mut ok_signers = vec![signers[0].name.clone()];
            for (i, c) in children {
                let o = c.wait_with_output().unwrap();
                ran += 1;
                let (code, _, err) = summary(&o);
                if code == 0 {
                    succeeded += 1;
                    assert!(err.contains("added a signature to"), "{err}");
                    ok_signers.push(signers[i].name.clone());
                } else {
                    // a run that does not add its signer must say so clearly
                    assert!(err.contains("error:"), "trial {trial}, signer {i}: exit {code} without an error: {err}");
                }
            }
            let by_openssl = openssl_signers(d, &p7s, &doc, &pki.root.cert);
            let by_kyso = kyso_valid_signers(&pki, &doc);
            for name in &ok_signers {
                assert!(by_openssl.contains(name), "{n} at once, trial {trial}: {name} exited 0 but OpenSSL finds only {by_openssl:?}");
                assert!(by_kyso.iter().any(|s| s.contains(name.as_str())), "{n} at once, trial {trial}: {name} exited 0 but kyso finds only {by_kyso:?}");
            }
            present += ok_signers.len() - 1;
            assert_eq!(by_openssl.len(), ok_signers.len(), "no signer beyond those that exited 0: {by_openssl:?}");
        }
        figures.push(format!("{n} at once: {succeeded}/{ran} runs exited 0, {present}/{succeeded} of their signers in the final file"));
        assert_eq!(present, succeeded);
    }
    eprintln!("sign --add concurrency: {}", figures.join("; "));
}

// ---------------------------------------------------------------------------------------------
// 3, 4. Bounded and non-regular inputs

/// A document, key, certificate or signature that is a FIFO (no writer) or /dev/zero: `sign`
/// and `verify` return within a second with a clear error naming it; in a batch, that document
/// fails alone and the others are signed.
/// Hang watchdog of the runs below that must not block (a FIFO without a writer, /dev/zero):
/// a run still going after this long is killed and the test fails. Far above the milliseconds a
/// refusal takes, so a loaded machine never trips it; no speed is asserted (issue 23: no
/// wall-clock threshold in plain tests).
const HANG_WATCHDOG: Duration = Duration::from_secs(60);

/// Runs `cmd` (stdout and stderr piped) to its end; returns its output and whether it ended by
/// itself (false: killed by [`HANG_WATCHDOG`]).
fn run_watched(cmd: &mut Command) -> (Output, bool) {
    let t = Instant::now();
    let mut c = cmd.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    let by_itself = loop {
        if c.try_wait().unwrap().is_some() {
            break true;
        }
        if t.elapsed() > HANG_WATCHDOG {
            let _ = c.kill();
            break false;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    (c.wait_with_output().unwrap(), by_itself)
}

#[test]
fn fifos_and_devices_as_inputs_fail_within_a_second() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let unit = pki.leaf("Văn thư", Leaf::default());
    let fifo = d.join("fifo.pdf");
    mkfifo(&fifo);
    let doc = write(d, "doc.txt", b"a document");
    let cert = s(&unit.cert).to_string();
    let key = s(&unit.key).to_string();
    let chain = s(&pki.sub.cert).to_string();
    // (the name says "within a second"; what is checked is that the run ends by itself, not
    // blocked on the FIFO or reading /dev/zero forever: no speed threshold, issue 23)
    let timed = |args: &[&str]| -> (i32, String, bool) {
        let (o, by_itself) = run_watched(kyso().args(args).current_dir(d));
        let (code, _, err) = summary(&o);
        (code, err, by_itself)
    };
    for bad in [s(&fifo), "/dev/zero"] {
        let cases: Vec<(&str, Vec<&str>)> = vec![
            ("document", vec!["sign", "--cert", &cert, "--key", &key, "--out", "x.p7s", bad]),
            ("key", vec!["sign", "--cert", &cert, "--key", bad, "--out", "y.p7s", s(&doc)]),
            ("certificate", vec!["sign", "--cert", bad, "--key", &key, "--out", "z.p7s", s(&doc)]),
            ("chain", vec!["sign", "--cert", &cert, "--key", &key, "--chain", bad, "--out", "w.p7s", s(&doc)]),
            ("verified document", vec!["verify", bad, "--sig", "doc.txt.p7s", "--trust", s(&pki.root.cert), "--revocation", "off"]),
            ("signature", vec!["verify", s(&doc), "--sig", bad, "--trust", s(&pki.root.cert), "--revocation", "off"]),
            ("trust anchor", vec!["verify", s(&doc), "--trust", bad, "--revocation", "off"]),
        ];
        let o = kyso().args(["sign", "--cert", &cert, "--key", &key, "--chain", &chain, "--force", s(&doc)]).current_dir(d).output().unwrap();
        assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
        for (what, args) in cases {
            let (code, err, by_itself) = timed(&args);
            assert!(by_itself, "{what} {bad}: still running after {HANG_WATCHDOG:?} (blocked): {err}");
            assert_ne!(code, 0, "{what} {bad}: {err}");
            let kind = if bad == "/dev/zero" { "character device" } else { "named pipe (FIFO)" };
            let said = err.contains(kind) || err.contains("regular file");
            // verify reports an unreadable document or signature in its report (stdout)
            assert!(said || what.starts_with("verified") || what == "signature", "{what} {bad}: {err}");
        }
    }
    // verify's report says why, in both languages' JSON detail
    let o = kyso().args(["verify", s(&fifo), "--sig", "doc.txt.p7s", "--trust", s(&pki.root.cert), "--revocation", "off", "--json"]).current_dir(d).output().unwrap();
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.contains("named pipe (FIFO)"), "{text}");
    // a batch: the FIFO and /dev/zero fail alone, the others are signed
    let a = write(d, "a.txt", b"A");
    let b = write(d, "b.txt", b"B");
    std::fs::create_dir(d.join("out")).unwrap();
    let (o, by_itself) = run_watched(kyso().args(["sign", "--cert", &cert, "--key", &key, "--out-dir", "out", s(&a), s(&fifo), "/dev/zero", s(&b)]).current_dir(d));
    let (code, _, err) = summary(&o);
    assert!(by_itself, "the batch blocked: {err}");
    assert_eq!(code, 1, "{err}");
    assert!(err.contains(&format!("error: {}: cannot open the document: the file is a named pipe (FIFO)", fifo.display())), "{err}");
    assert!(err.contains("error: /dev/zero: cannot open the document: the file is a character device"), "{err}");
    assert!(err.contains("signed 2 of 4 files, 2 failed"), "{err}");
    assert_eq!(names(&d.join("out")), ["a.txt.p7s", "b.txt.p7s"]);
}

/// Runs `cmd` with its stderr a full pipe, so that the program stops at its first message
/// (here: the error, written after the passphrase file was read), and reads
/// /proc/PID/status's VmHWM (peak RSS, KiB) while it is stopped there — for 300 ms once the
/// program itself runs (before its exec the child shares the test process's memory and reports
/// that). A process that never writes (reading /dev/zero without a bound) is sampled as it
/// grows. Then the pipe is drained; returns the peak seen, the output (stderr without the
/// filling) and the run time; killed after 20 s.
fn peak_rss_kib(mut cmd: Command) -> (u64, Output, Duration) {
    use std::io::{Read, Write};
    use std::os::fd::FromRawFd;
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: fds is valid for two ints; the descriptors are owned below.
    assert_eq!(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC | libc::O_NONBLOCK) }, 0);
    // SAFETY: fresh descriptors from pipe2, owned by nobody else.
    let (mut reader, mut writer) = unsafe { (std::fs::File::from_raw_fd(fds[0]), std::fs::File::from_raw_fd(fds[1])) };
    // Fill the pipe (writes of PIPE_BUF bytes are whole or refused), then make writes block.
    let filler = [b'.'; 4096];
    let mut filled = 0usize;
    loop {
        match writer.write(&filler) {
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
            Err(e) => panic!("filling the pipe: {e}"),
        }
    }
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        let flags = libc::fcntl(fds[1], libc::F_GETFL);
        assert_eq!(libc::fcntl(fds[1], libc::F_SETFL, flags & !libc::O_NONBLOCK), 0);
        let flags = libc::fcntl(fds[0], libc::F_GETFL);
        assert_eq!(libc::fcntl(fds[0], libc::F_SETFL, flags & !libc::O_NONBLOCK), 0);
    }
    let t = Instant::now();
    let program: String = Path::new(cmd.get_program()).file_name().map(|n| n.to_string_lossy().chars().take(15).collect()).unwrap_or_default();
    let mut c = cmd.stdout(Stdio::piped()).stderr(Stdio::from(writer)).spawn().unwrap();
    drop(cmd); // the parent's copy of the write end goes with it
    let status = format!("/proc/{}/status", c.id());
    let (mut peak, mut seen) = (0u64, None::<Instant>);
    loop {
        if let Ok(text) = std::fs::read_to_string(&status) {
            let name = text.lines().find_map(|l| l.strip_prefix("Name:")).map(str::trim);
            if name == Some(program.as_str()) {
                seen.get_or_insert_with(Instant::now);
                if let Some(v) = text.lines().find_map(|l| l.strip_prefix("VmHWM:")) {
                    peak = peak.max(v.trim().trim_end_matches("kB").trim().parse().unwrap_or(0));
                }
            }
        }
        if seen.is_some_and(|s| s.elapsed() > Duration::from_millis(300)) || c.try_wait().unwrap().is_some() || t.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let took = t.elapsed();
    if t.elapsed() > Duration::from_secs(20) {
        let _ = c.kill();
    }
    let mut err = Vec::new();
    let _ = reader.read_to_end(&mut err);
    let o = c.wait_with_output().unwrap();
    let err = err.get(filled..).unwrap_or(&[]).to_vec();
    (peak, Output { status: o.status, stdout: o.stdout, stderr: err }, took)
}

/// `--pass-file /dev/zero` reads at most the bounded first line (RSS stays under 32 MiB; on main
/// it grew past 4 GB), a FIFO without a writer is an empty passphrase at once, and a normal file
/// still works.
#[test]
fn pass_file_reads_one_bounded_line() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    let o = kyso().args(["key", "new", "--out", "k.pem"]).env("KYSO_PASSPHRASE", PASS).current_dir(d).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    let mut cmd = kyso();
    cmd.args(["inspect", "k.pem", "--pass-file", "/dev/zero"]).current_dir(d);
    let (peak, o, took) = peak_rss_kib(cmd);
    let (code, _, err) = summary(&o);
    assert_eq!(code, 2, "{err}");
    // the error is the first thing written: the process was stopped after reading
    assert!(err.starts_with("error: cannot read the passphrase file /dev/zero: the first line is longer than 4096 bytes"), "{err}");
    assert!(peak > 1024 && peak < 32 * 1024, "peak RSS {peak} KiB");
    // (no speed threshold, issue 23: a run past peak_rss_kib's 20 s watchdog is killed, and
    // then has no exit code 2)
    eprintln!("--pass-file /dev/zero: peak RSS {peak} KiB, {took:?}");
    let fifo = d.join("pass.fifo");
    mkfifo(&fifo);
    let (o, by_itself) = run_watched(kyso().args(["inspect", "k.pem", "--pass-file", s(&fifo)]).current_dir(d));
    let (code, _, err) = summary(&o);
    assert!(by_itself, "blocked on a FIFO without a writer");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("is empty"), "{err}");
    std::fs::write(d.join("pass.txt"), format!("{PASS}\nignored second line\n")).unwrap();
    let o = kyso().args(["inspect", "k.pem", "--pass-file", "pass.txt"]).current_dir(d).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
}

// ---------------------------------------------------------------------------------------------
// 5. A document that changes while it is signed

/// A large document appended to while `kyso sign` hashes it: refused ("changed while it was
/// being signed"), no signature written; alone, in a batch (hashed ahead while the key opens)
/// and with --add. (On main: exit 0 and a signature of a state that existed for a moment.)
#[test]
fn a_document_appended_to_while_signed_is_refused() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let unit = pki.leaf("Văn thư", Leaf::default());
    let second = pki.leaf("Chánh văn phòng", Leaf::default());
    let big = d.join("big.bin");
    let other = write(d, "other.txt", b"unchanged");
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let appending = |path: PathBuf| {
        let stop = std::sync::Arc::clone(&stop);
        std::thread::spawn(move || {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
            let mut n = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                f.write_all(b"x").unwrap();
                n += 1;
                std::thread::sleep(Duration::from_millis(1));
            }
            n
        })
    };
    let cases: [(&str, Vec<String>); 3] = [
        ("single", vec!["--out".into(), "single.p7s".into(), s(&big).into()]),
        ("batch", vec!["--out-dir".into(), "out".into(), s(&other).into(), s(&big).into()]),
        ("add", vec!["--add".into(), s(&big).into()]),
    ];
    std::fs::create_dir(d.join("out")).unwrap();
    for (what, rest) in cases {
        // a sparse 512 MiB file: hashing it takes long enough for appends to land
        let f = std::fs::File::create(&big).unwrap();
        f.set_len(1 << 29).unwrap();
        drop(f);
        let signer = if what == "add" {
            // the first signature, made while nothing changes
            let o = kyso().args(["sign", "--cert", s(&unit.cert), "--key", s(&unit.key), s(&big)]).current_dir(d).output().unwrap();
            assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
            &second
        } else {
            &unit
        };
        let before = std::fs::read(d.join("big.bin.p7s")).ok();
        stop.store(false, std::sync::atomic::Ordering::Relaxed);
        let appender = appending(big.clone());
        let mut args: Vec<String> = ["sign", "--cert", s(&signer.cert), "--key", s(&signer.key)].iter().map(|a| a.to_string()).collect();
        args.extend(rest);
        let o = kyso().args(&args).env("KYSO_PASSPHRASE", PASS).current_dir(d).output().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let appended = appender.join().unwrap();
        let (code, _, err) = summary(&o);
        assert!(appended > 10, "{what}: the appender wrote {appended} bytes");
        assert_eq!(code, 1, "{what}: {err}");
        assert!(err.contains("the document changed while it was being signed"), "{what}: {err}");
        match what {
            "single" => assert!(!d.join("single.p7s").exists()),
            "batch" => assert_eq!(names(&d.join("out")), ["other.txt.p7s"], "{err}"),
            _ => assert_eq!(std::fs::read(d.join("big.bin.p7s")).ok(), before, "the signature file is untouched"),
        }
        std::fs::remove_file(&big).unwrap();
    }
}

// ---------------------------------------------------------------------------------------------
// 7. Temporaries of a killed batch

/// A batch killed while it writes leaves temporary files; the next run in that folder removes
/// them at once (their owner is gone), however young they are. (On main they were kept for an
/// hour, and a killed batch could leave 512.)
#[test]
fn a_killed_batchs_temporaries_are_gone_after_the_next_run() {
    let pki = Pki::new(KeyKind::P256);
    let d = pki.dir.path();
    let unit = pki.leaf("Văn thư", Leaf::default());
    std::fs::create_dir(d.join("in")).unwrap();
    let files: Vec<String> = (0..1500)
        .map(|i| {
            write(d, &format!("in/d{i:04}.txt"), format!("Văn bản {i}").as_bytes());
            format!("in/d{i:04}.txt")
        })
        .collect();
    let out = d.join("out");
    let mut rng = Rng::new(24);
    let mut left = 0;
    let mut attempts = 0;
    // kill batches at random moments until one leaves temporaries behind
    while left == 0 {
        attempts += 1;
        assert!(attempts <= 40, "no kill left a temporary file in {attempts} attempts");
        let _ = std::fs::remove_dir_all(&out);
        std::fs::create_dir(&out).unwrap();
        let mut c = kyso()
            .args(["sign", "--cert", s(&unit.cert), "--key", s(&unit.key), "--out-dir", "out"])
            .args(&files)
            .current_dir(d)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // wait until the first temporaries appear, then a random moment more
        let t = Instant::now();
        while !names(&out).iter().any(|n| n.starts_with(".kyso-tmp-")) && t.elapsed() < Duration::from_secs(20) {
            if c.try_wait().unwrap().is_some() {
                break;
            }
            std::thread::sleep(Duration::from_micros(200));
        }
        std::thread::sleep(Duration::from_micros(rng.next() % 3000));
        let _ = c.kill();
        let _ = c.wait();
        left = names(&out).iter().filter(|n| n.starts_with(".kyso-tmp-")).count();
    }
    // the next run, at once (the temporaries are seconds old)
    let doc = write(d, "next.txt", b"next");
    let o = kyso().args(["sign", "--cert", s(&unit.cert), "--key", s(&unit.key), "--out-dir", "out", s(&doc)]).current_dir(d).output().unwrap();
    let (code, _, err) = summary(&o);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains(&format!("note: removed {left} temporary file(s) left in out by an interrupted kyso")), "{left} left: {err}");
    let after: Vec<String> = names(&out).into_iter().filter(|n| n.starts_with('.')).collect();
    assert!(after.is_empty(), "left after the next run: {after:?}");
    eprintln!("killed batch: {left} temporaries left (attempt {attempts}), all removed by the next run");
}

// ---------------------------------------------------------------------------------------------
// 7, 8. `ca issue`: outputs under SIGKILL, and a reserved --cert-out

fn ca_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = kyso();
    // the units' keys under their own passphrase (ca issue --key-out never takes the CA's)
    c.args(args).current_dir(dir).env("KYSO_PASSPHRASE", PASS).env("KYSO_KEY_PASSPHRASE", "reliability unit passphrase").stdout(Stdio::piped()).stderr(Stdio::piped());
    c
}

/// (serial → revoked?) of the CA's registry, from `ca list --json`.
fn ca_list(dir: &Path) -> std::collections::BTreeMap<String, bool> {
    let o = ca_cmd(dir, &["ca", "list", "--dir", "ca", "--json"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    v.as_array().unwrap().iter().map(|r| (r["serial"].as_str().unwrap().to_string(), r["status"] == "revoked")).collect()
}

/// The serial (lower-case hex, as kyso prints it) of a PEM certificate file.
fn serial_of(dir: &Path, cert: &Path) -> String {
    let o = openssl(dir, &["x509", "-in", s(cert), "-noout", "-serial"]);
    let t = String::from_utf8_lossy(&o.stdout).trim().trim_start_matches("serial=").to_ascii_lowercase();
    t.trim_start_matches('0').to_string()
}

/// Whether the key file and the certificate file hold the same public key (OpenSSL).
fn key_matches_cert(dir: &Path, key: &Path, cert: &Path) -> bool {
    let k = Command::new("openssl").args(["pkey", "-in", s(key), "-passin", &format!("pass:{PASS}"), "-pubout"]).current_dir(dir).output().unwrap();
    let c = Command::new("openssl").args(["x509", "-in", s(cert), "-noout", "-pubkey"]).current_dir(dir).output().unwrap();
    k.status.success() && c.status.success() && k.stdout == c.stdout
}

/// Whether any file in `dir` (other than `except`) holds a private key.
fn keys_in_temporaries(dir: &Path) -> Vec<String> {
    names(dir)
        .into_iter()
        .filter(|n| n.starts_with('.'))
        .filter(|n| std::fs::read(dir.join(n)).is_ok_and(|b| String::from_utf8_lossy(&b).contains("PRIVATE KEY")))
        .collect()
}

/// SIGKILL of `ca issue --key-out` at random points (60 trials): right after the kill, there is
/// never a key without its certificate, and never a key in a temporary file; the same command
/// run again succeeds (no "exists"), leaves key and certificate that belong together, and
/// every certificate the killed run may have recorded without delivering it is revoked.
#[test]
fn sigkill_of_ca_issue_never_leaves_an_orphan_key_or_a_key_in_a_temporary() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let certs = root.join("certs");
    std::fs::create_dir(&certs).unwrap();
    let o = ca_cmd(root, &["ca", "init", "--dir", "ca", "--name", "CA Độ tin cậy"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    let issue = |cn: &str| {
        let (key, cert) = (format!("certs/{cn}.key"), format!("certs/{cn}.pem"));
        // --no-passphrase: the new key's KDF would only lengthen the runs (the CA key's stays)
        ca_cmd(root, &["ca", "issue", "--dir", "ca", "--cn", cn, "--org", "Sở Y tế", "--no-passphrase", "--key-out", &key, "--cert-out", &cert])
    };
    // Crash points counted in events, not in time (issue 23; tests/it/killer.rs): a run to its
    // end counts its mutating system calls, then runs are killed at the entry of the k-th for 60
    // k spread over all of them (every state a SIGKILL can leave is "before call k"), and five
    // more run to their end.
    let full = crate::killer::run(issue("calibrate"), |_, _| false);
    assert_eq!(full.code, Some(0), "{}", full.stderr);
    let mut points: Vec<Option<usize>> = crate::robust_crash::spread(full.mutating, 60).into_iter().map(Some).collect();
    let kill_points = points.len();
    points.extend([None; 5]);
    let (mut kills, mut completions, mut recorded_by_killed, mut repaired) = (0, 0, 0, 0);
    let mut trial = 0;
    for point in points {
        trial += 1;
        let cn = format!("unit-{trial}");
        let (key, cert) = (certs.join(format!("{cn}.key")), certs.join(format!("{cn}.pem")));
        let before = ca_list(root);
        let t = crate::killer::run(issue(&cn), |n, _| Some(n) == point);
        if t.killed_at.is_none() {
            assert_eq!(t.code, Some(0), "{}", t.stderr);
            assert!(key_matches_cert(root, &key, &cert));
            completions += 1;
            continue;
        }
        kills += 1;
        let step = format!("trial {trial}, killed at mutating system call {point:?} of {}", full.mutating);
        // right after the kill
        assert!(!key.exists() || cert.exists(), "{step}: a key without its certificate");
        if key.exists() {
            assert!(key_matches_cert(root, &key, &cert), "{step}: key and certificate do not belong together");
        }
        let in_tmp = keys_in_temporaries(&certs);
        assert!(in_tmp.is_empty(), "{step}: a private key in a temporary file: {in_tmp:?}");
        let after_kill = ca_list(root);
        let new: Vec<String> = after_kill.keys().filter(|k| !before.contains_key(*k)).cloned().collect();
        assert!(new.len() <= 1, "{step}: {new:?}");
        if !new.is_empty() {
            recorded_by_killed += 1;
        }
        // the same command again
        let o = issue(&cn).output().unwrap();
        let (code, _, err) = summary(&o);
        if key.exists() && cert.exists() && code != 0 {
            // the killed run had finished both files: "exists" is right
            assert!(err.contains("already exists"), "{step}: {err}");
        } else {
            assert_eq!(code, 0, "{step}: the rerun failed: {err}");
            if err.contains("now revoked (superseded)") {
                repaired += 1;
            }
        }
        assert!(key_matches_cert(root, &key, &cert), "{step}: after the rerun");
        let delivered = serial_of(root, &cert);
        // every certificate recorded for this unit is delivered, or revoked
        let now = ca_list(root);
        for (serial, revoked) in now.iter().filter(|(k, _)| !before.contains_key(*k)) {
            assert!(*serial == delivered || *revoked, "{step}: certificate {serial} recorded, valid, never delivered (delivered {delivered})");
        }
        assert!(keys_in_temporaries(&certs).is_empty());
        // what may stay until the next run in the folder: empty lock files (a kill after the
        // journal was cleared); nothing else
        let litter: Vec<String> = names(&certs)
            .into_iter()
            .filter(|n| n.starts_with('.'))
            .filter(|n| !(n.ends_with(".kyso-lock") && std::fs::metadata(certs.join(n)).unwrap().len() == 0))
            .collect();
        assert!(litter.is_empty(), "{step}: {litter:?}");
    }
    // the next run in the folder removes the idle lock files too
    let o = issue("last").output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    let litter: Vec<String> = names(&certs).into_iter().filter(|n| n.starts_with('.')).collect();
    assert!(litter.is_empty(), "{litter:?}");
    let o = ca_cmd(root, &["ca", "audit", "--dir", "ca"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    // counted, not hoped for: (nearly) every kill point falls inside its run (later runs make
    // about as many mutating calls as the first: 49 here, all of them kill points), and the
    // five unkilled runs completed
    assert!(kills * 10 >= kill_points * 9 && completions >= 5, "only {kills} kills of {kill_points} kill points and {completions} completions in {trial} trials ({} mutating calls in a full run)", full.mutating);
    eprintln!("ca issue SIGKILL: {kills} kills and {completions} completions in {trial} trials; {recorded_by_killed} killed runs had recorded their certificate ({repaired} repaired by the rerun: revoked as superseded)");
}

/// Eight parallel `ca issue --csr x.csr --cert-out same.pem`: one succeeds, seven fail before
/// the CA signs; exactly one certificate is recorded. (On main: 1 success, 8 recorded.)
#[test]
fn parallel_issues_to_one_cert_out_record_exactly_one_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let o = ca_cmd(root, &["ca", "init", "--dir", "ca", "--name", "CA Độ tin cậy"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    openssl(root, &["genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", "x.key"]);
    openssl(root, &["req", "-new", "-key", "x.key", "-subj", "/CN=Sở Y tế/O=Sở Y tế", "-utf8", "-out", "x.csr"]);
    for round in 0..3 {
        let out = format!("same-{round}.pem");
        let children: Vec<std::process::Child> = (0..8)
            .map(|_| ca_cmd(root, &["ca", "issue", "--dir", "ca", "--cn", "Sở Y tế", "--csr", "x.csr", "--cert-out", &out]).spawn().unwrap())
            .collect();
        let outs: Vec<Output> = children.into_iter().map(|c| c.wait_with_output().unwrap()).collect();
        let ok = outs.iter().filter(|o| o.status.code() == Some(0)).count();
        assert_eq!(ok, 1, "round {round}: {ok} successes");
        for o in outs.iter().filter(|o| o.status.code() != Some(0)) {
            let (code, _, err) = summary(o);
            assert_eq!(code, 1, "{err}");
            assert!(err.contains("already exists"), "{err}");
        }
        let list = ca_list(root);
        assert_eq!(list.len(), round + 1, "round {round}: {list:?}");
        assert!(list.values().all(|r| !r));
        assert!(list.contains_key(&serial_of(root, &root.join(&out))));
    }
}

// ---------------------------------------------------------------------------------------------
// 9. Broken pipes

/// `ca list`, `ca audit` and `inspect` writing into a pipe whose reader has gone: exit 0, no
/// panic. (On main: exit 101.)
#[test]
fn a_closed_pipe_ends_list_audit_and_inspect_quietly() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let o = ca_cmd(root, &["ca", "init", "--dir", "ca", "--name", "CA Ống"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    let o = ca_cmd(root, &["ca", "issue", "--dir", "ca", "--cn", "Sở Y tế", "--key-out", "u.key", "--cert-out", "u.pem"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    for args in [
        &["ca", "list", "--dir", "ca"][..],
        &["ca", "list", "--dir", "ca", "--json"],
        &["ca", "audit", "--dir", "ca"],
        &["inspect", "u.pem"],
        &["inspect", "ca/ca.pem"],
    ] {
        for _ in 0..3 {
            let mut c = ca_cmd(root, args).spawn().unwrap();
            drop(c.stdout.take()); // the reader goes away at once
            let o = c.wait_with_output().unwrap();
            let (code, _, err) = summary(&o);
            assert_eq!(code, 0, "{args:?}: {err}");
            assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
        }
    }
}

// ---------------------------------------------------------------------------------------------
// 2. Servers under slow clients (loopback, bounded)

/// What the slow-client load did, seen from the clients.
#[derive(Debug)]
pub(crate) struct LoadFigures {
    /// Good requests sent.
    pub sent: usize,
    /// Good requests answered as the server should.
    pub answered: usize,
    /// Latencies of the good requests (answered or not), sorted.
    pub latencies: Vec<Duration>,
    /// Connections the slow clients opened in all (the server drops them, they come back).
    pub slow_connects: usize,
    /// Slow connections found closed by the server when the next byte was due.
    pub slow_dropped: usize,
}

impl LoadFigures {
    fn percentile(&self, p: f64) -> Duration {
        let i = ((self.latencies.len() as f64 * p).ceil() as usize).saturating_sub(1);
        self.latencies.get(i).copied().unwrap_or_default()
    }

    /// One line: answered share, p50/p99/max latency, slow connection churn.
    pub fn describe(&self) -> String {
        format!(
            "{}/{} good requests answered ({:.1}%), latency p50 {:?} p99 {:?} max {:?}; slow clients opened {} connections, {} dropped by the server",
            self.answered,
            self.sent,
            100.0 * self.answered as f64 / self.sent.max(1) as f64,
            self.percentile(0.50),
            self.percentile(0.99),
            self.latencies.last().copied().unwrap_or_default(),
            self.slow_connects,
            self.slow_dropped
        )
    }
}

/// A TCP connection to `to` from the local address `from` (another loopback address stands for
/// another client machine).
fn connect_from(from: std::net::IpAddr, to: std::net::SocketAddr) -> std::io::Result<std::net::TcpStream> {
    use rustix::net::{AddressFamily, SocketType};
    let family = if to.is_ipv4() { AddressFamily::INET } else { AddressFamily::INET6 };
    let fd = rustix::net::socket(family, SocketType::STREAM, None)?;
    rustix::net::bind(&fd, &std::net::SocketAddr::new(from, 0))?;
    rustix::net::connect(&fd, &to)?;
    Ok(std::net::TcpStream::from(fd))
}

/// The slow-client load of issue 24 against any HTTP server at `server` (loopback only, bounded
/// in time and connections): `slow` connections from 127.0.0.1, each sending one byte of a
/// request per second (reconnecting when the server drops it) for `duration`, while a good
/// client on 127.0.0.2 sends `request` (a whole HTTP request) one after the other, every 50 ms,
/// and judges each answer with `good`. Used for `kyso tsa serve`; point it at `kyso ca serve`
/// (an OCSP POST or a CRL GET as `request`) and `web` the same way.
pub(crate) fn slow_client_load(server: std::net::SocketAddr, request: &[u8], good: &(dyn Fn(&[u8]) -> bool + Sync), slow: usize, duration: Duration) -> LoadFigures {
    use std::io::{Read, Write};
    use std::sync::atomic::{AtomicBool, Ordering};
    const TRICKLE: &[u8] = b"POST / HTTP/1.1\r\nHost: kyso\r\nContent-Type: application/timestamp-query\r\nContent-Length: 100\r\n\r\n";
    let done = AtomicBool::new(false);
    let slow_from: std::net::IpAddr = "127.0.0.1".parse().unwrap();
    let good_from: std::net::IpAddr = "127.0.0.2".parse().unwrap();
    std::thread::scope(|sc| {
        let slow_side = sc.spawn(|| {
            let (mut connects, mut dropped) = (0usize, 0usize);
            let mut conns: Vec<Option<(std::net::TcpStream, usize)>> = (0..slow).map(|_| None).collect();
            while !done.load(Ordering::Relaxed) {
                let tick = Instant::now();
                for c in conns.iter_mut() {
                    if c.is_none() {
                        if let Ok(s) = connect_from(slow_from, server) {
                            let _ = s.set_nonblocking(true);
                            connects += 1;
                            *c = Some((s, 0));
                        }
                    }
                    if let Some((s, sent)) = c {
                        // one byte per second; a closed connection shows as an error or EOF
                        // (an answer from the server — 408, 503 — means it is closing it)
                        let mut sink = [0u8; 512];
                        let answered = match s.read(&mut sink) {
                            Err(e) => e.kind() != std::io::ErrorKind::WouldBlock,
                            Ok(_) => true,
                        };
                        let byte = TRICKLE.get(*sent % TRICKLE.len()..).and_then(|b| b.get(..1)).unwrap_or(b"P");
                        let closed = answered || s.write_all(byte).is_err();
                        if closed {
                            dropped += 1;
                            *c = None;
                        } else {
                            *sent += 1;
                        }
                    }
                }
                std::thread::sleep(Duration::from_secs(1).saturating_sub(tick.elapsed()));
            }
            (connects, dropped)
        });
        // let the slow connections build up first
        std::thread::sleep(Duration::from_secs(2));
        let start = Instant::now();
        let (mut sent, mut answered, mut latencies) = (0usize, 0usize, Vec::new());
        while start.elapsed() < duration {
            sent += 1;
            let t = Instant::now();
            let answer = connect_from(good_from, server).and_then(|mut s| {
                s.set_read_timeout(Some(Duration::from_secs(5)))?;
                s.set_write_timeout(Some(Duration::from_secs(5)))?;
                s.write_all(request)?;
                let mut v = Vec::new();
                s.read_to_end(&mut v)?;
                Ok(v)
            });
            latencies.push(t.elapsed());
            if answer.is_ok_and(|a| good(&a)) {
                answered += 1;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        done.store(true, Ordering::Relaxed);
        let (slow_connects, slow_dropped) = slow_side.join().unwrap();
        latencies.sort();
        LoadFigures { sent, answered, latencies, slow_connects, slow_dropped }
    })
}

/// Issue 24's slow-client test of `kyso tsa serve` (30 s of load per setting, so `#[ignore]`d;
/// `.ci/run` runs it): 200 connections sending a byte a second while a good client sends
/// requests from another address — ≥ 95 % of the good requests answered, p99 under 1 s. Once
/// with the default limits (the slow address is held to 32 connections, the rest refused at
/// once), once with the per-client limit above 200 (all 200 slow connections open at once, each
/// dropped after the 5-s header timeout and coming back).
#[test]
#[ignore]
fn tsa_serve_keeps_serving_under_200_slow_clients() {
    let pki = Pki::new(KeyKind::P256);
    let party = pki.leaf(
        "TSA chịu tải",
        Leaf { eku: Some("critical,timeStamping".into()), key_usage: Some("critical,digitalSignature".into()), ..Leaf::default() },
    );
    let imprint = kyso::tsp::Imprint::of(kyso::DigestAlgorithm::Sha256, b"document");
    let body = kyso::tsp::request(&imprint, None, true, None).unwrap();
    let mut request = format!("POST / HTTP/1.1\r\nHost: kyso\r\nContent-Type: application/timestamp-query\r\nContent-Length: {}\r\n\r\n", body.len()).into_bytes();
    request.extend_from_slice(&body);
    let good = |answer: &[u8]| {
        let text = String::from_utf8_lossy(answer.get(..120).unwrap_or(answer)).into_owned();
        let body = answer.windows(4).position(|w| w == b"\r\n\r\n").and_then(|i| answer.get(i + 4..));
        text.starts_with("HTTP/1.1 200 OK") && body.is_some_and(|b| kyso::tsp::parse_response(b).is_ok())
    };
    let mut lines = Vec::new();
    for (setting, extra) in [("default limits", &[][..]), ("--max-connections-per-client 1000", &["--max-connections-per-client", "1000"][..])] {
        let server = super::tsa::Server::start(&pki, &party, extra);
        let addr: std::net::SocketAddr = server.url.trim_start_matches("http://").trim_end_matches('/').parse().unwrap();
        let f = slow_client_load(addr, &request, &good, 200, Duration::from_secs(30));
        let (code, _) = server.terminate();
        assert_eq!(code, Some(0));
        let line = format!("kyso tsa serve, {setting}: {}", f.describe());
        eprintln!("{line}");
        assert!(f.answered * 100 >= f.sent * 95, "{line}");
        assert!(f.percentile(0.99) < Duration::from_secs(1), "{line}");
        assert!(f.sent >= 100, "{line}");
        lines.push(line);
    }
    eprintln!("{}", lines.join("\n"));
}

/// Issue 24's slow-client test of `kyso ca serve` (30 s of load, so `#[ignore]`d; `.ci/run` runs
/// it): the same 200 connections sending a byte a second from 127.0.0.1 while a good client on
/// 127.0.0.2 asks the OCSP responder about u1 (POST /ocsp, `Connection: close`) — ≥ 95 % of the
/// good requests answered with a successful OCSP answer saying good, p99 under 1 s. Once with the
/// default limits (128 connections per address: the rest of the slow ones refused at once), once
/// with the per-address limit above 200 (all held, each dropped by its request timeout).
#[test]
#[ignore]
fn ca_serve_keeps_serving_under_200_slow_clients() {
    use super::ocsp::{Province, Publish};
    let mut p = Province::new(Publish::Ocsp);
    let out = openssl(p.dir.path(), &["ocsp", "-issuer", "ca/ca.pem", "-cert", "u1.pem", "-no_nonce", "-reqout", "req.der"]);
    assert!(out.status.success());
    let body = std::fs::read(p.path("req.der")).unwrap();
    let mut request =
        format!("POST /ocsp HTTP/1.1\r\nHost: kyso\r\nContent-Type: application/ocsp-request\r\nContent-Length: {}\r\nConnection: close\r\n\r\n", body.len()).into_bytes();
    request.extend_from_slice(&body);
    let good = |answer: &[u8]| {
        let text = String::from_utf8_lossy(answer.get(..120).unwrap_or(answer)).into_owned();
        let body = answer.windows(4).position(|w| w == b"\r\n\r\n").and_then(|i| answer.get(i + 4..));
        text.starts_with("HTTP/1.1 200 OK")
            && body.is_some_and(|b| match kyso::ocsp::Response::from_der(b) {
                Ok(kyso::ocsp::Response::Basic(r)) => r.responses.len() == 1 && r.responses.iter().all(|s| s.status == kyso::ocsp::SingleStatus::Good),
                _ => false,
            })
    };
    let addr: std::net::SocketAddr = format!("127.0.0.1:{}", p.port).parse().unwrap();
    let mut lines = Vec::new();
    for (setting, extra) in [("default limits", &[][..]), ("--max-connections-per-client 1000", &["--max-connections-per-client", "1000"][..])] {
        p.serve(extra);
        let f = slow_client_load(addr, &request, &good, 200, Duration::from_secs(30));
        let alive = p.server_alive();
        p.stop();
        let line = format!("kyso ca serve, {setting}: {}", f.describe());
        eprintln!("{line}");
        assert!(alive, "the server died under load: {line}");
        assert!(f.answered * 100 >= f.sent * 95, "{line}");
        assert!(f.percentile(0.99) < Duration::from_secs(1), "{line}");
        assert!(f.sent >= 100, "{line}");
        lines.push(line);
    }
    eprintln!("{}", lines.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// Bounded reads everywhere: a static check

/// No code outside src/files.rs reads a file by itself (whole-file reads, `File::open`,
/// `read_to_end`): every input goes through `kyso::files` (a bound, regular files only, change
/// detection). Test modules are not looked at; the exceptions say why.
#[test]
fn every_file_read_goes_through_kyso_files() {
    let allowed: &[(&str, &str)] = &[
        // a test-only module (the architecture check reads the sources)
        ("asn1/architecture.rs", "read_to_string("),
        // opens the CA folder itself to fsync it, reads nothing
        ("ca/issue.rs", "File::open(&self.dir)"),
        // the demo reads back a file it wrote itself in its own temporary folder
        ("bin/kyso/cmd_demo.rs", "fs::read(d.dir.join(signed))"),
        // ca serve reads 4 bytes of the registry's SQLite header (the change counter at offset
        // 24) with read_exact_at: bounded by construction; the file is kept open for that
        ("ca/store/sqlite.rs", "File::open(db)"),
        ("ca/store/sqlite.rs", "File::open(&self.path)"),
    ];
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| x == "rs") {
                out.push(p);
            }
        }
    }
    walk(&src, &mut files);
    let forbidden = ["fs::read(", "fs::read_to_string(", "read_to_string(", "File::open(", "read_to_end("];
    let mut found = Vec::new();
    for f in files {
        let rel = f.strip_prefix(&src).unwrap().to_string_lossy().into_owned();
        // test-only modules in files of their own (`#[cfg(test)] mod tests;`)
        if rel == "files.rs" || rel == "tests.rs" || rel.ends_with("/tests.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for (n, line) in code.lines().enumerate() {
            let t = line.trim_start();
            if t.starts_with("//") {
                continue;
            }
            let line = line.replace("InputFile::open(", "kyso's own(");
            if forbidden.iter().any(|p| line.contains(p)) && !allowed.iter().any(|(file, what)| rel == *file && line.contains(what)) {
                found.push(format!("src/{rel}:{}: {}", n + 1, t));
            }
        }
    }
    assert!(found.is_empty(), "file reads that bypass kyso::files:\n{}", found.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// 6. `ca audit` and the columns `ca list` shows

/// A forged subject, a notAfter moved to 2041 and a changed profile, each written straight into
/// registry.db: `ca list` shows them, and `ca audit` now reports each one, naming the column
/// (on main it said "intact").
#[test]
fn ca_audit_detects_edited_subject_not_after_and_profile() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let o = ca_cmd(root, &["ca", "init", "--dir", "ca", "--name", "CA Kiểm toán"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    let o = ca_cmd(root, &["ca", "issue", "--dir", "ca", "--cn", "Sở Y tế", "--key-out", "u.key", "--cert-out", "u.pem"]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", summary(&o).2);
    let db = root.join("ca/registry.db");
    let pristine = std::fs::read(&db).unwrap();
    for (sql, column, shown) in [
        ("UPDATE certificates SET subject = 'CN=Giả mạo, O=Giả mạo'", "subject", "CN=Giả mạo"),
        ("UPDATE certificates SET not_after = 2250000000", "not_after", "2041-"),
        ("UPDATE certificates SET profile = 'person'", "profile", "person"),
    ] {
        std::fs::write(&db, &pristine).unwrap();
        rusqlite::Connection::open(&db).unwrap().execute_batch(sql).unwrap();
        let o = ca_cmd(root, &["ca", "list", "--dir", "ca"]).output().unwrap();
        let (code, out, _) = summary(&o);
        assert_eq!(code, 0);
        assert!(out.contains(shown), "ca list shows the edit: {out}");
        let o = ca_cmd(root, &["ca", "audit", "--dir", "ca"]).output().unwrap();
        let (code, out, err) = summary(&o);
        assert_eq!(code, 1, "{sql}: {out}{err}");
        assert!(err.contains(&format!("the registry's {column} differs from the certificate and its log entry")), "{sql}: {err}");
    }
}
