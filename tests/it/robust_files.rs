//! File safety: every file kyso writes goes through `kyso::files::write_atomic` (temporary file,
//! fsync, rename); private keys are created 0600 before any byte is written; nothing secret (the
//! passphrase, the private key) is printed or left behind in a temporary file.

use super::cli::kyso;
use std::path::{Path, PathBuf};
use std::process::Output;

const PASS: &str = "Mật-khẩu-bí-mật-7Q2z";

fn rs_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rs_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Paths that create or write a file by themselves (`fs::copy` and `File::options` included: the
/// text search this replaces missed them, issue 23).
const FORBIDDEN_PATHS: [(&str, &str); 6] = [("fs", "write"), ("fs", "copy"), ("File", "create"), ("File", "create_new"), ("File", "options"), ("tempfile", "tempfile")];
/// Names whose only use is writing files.
const FORBIDDEN_NAMES: [&str; 5] = ["OpenOptions", "OpenOptionsExt", "create_new", "generate_to", "NamedTempFile"];

/// The places in a source file, outside `#[cfg(test)]` items, comments and string literals, that
/// create or write files without kyso::files: (line, what). Tokenised with the architecture
/// test's tokenizer, so `use std::fs::{self, write};` and a path split over lines count too.
fn bypassing_writes(src: &str) -> Vec<(usize, String)> {
    use crate::architecture::{is_cfg_test, skip_item, tokenize, Tok};
    let toks = tokenize(src);
    let ident = |i: usize| match toks.get(i) {
        Some((Tok::Ident(s), _)) => Some(s.as_str()),
        _ => None,
    };
    let is = |i: usize, t: Tok| toks.get(i).is_some_and(|(x, _)| *x == t);
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if is_cfg_test(&toks, i) {
            i = skip_item(&toks, i + 7);
            continue;
        }
        let line = toks[i].1;
        if let (Some(a), true, Some(b)) = (ident(i), is(i + 1, Tok::PathSep), ident(i + 2)) {
            if FORBIDDEN_PATHS.contains(&(a, b)) {
                out.push((line, format!("{a}::{b}")));
            }
        }
        if let Some(name) = ident(i).filter(|n| FORBIDDEN_NAMES.contains(n)) {
            out.push((line, name.to_string()));
        }
        // `fs::{…, write, …}` / `fs::{…, copy, …}` in a use tree
        if ident(i) == Some("fs") && is(i + 1, Tok::PathSep) && is(i + 2, Tok::Punct('{')) {
            let mut j = i + 3;
            let mut depth = 1;
            while j < toks.len() && depth > 0 {
                match &toks[j].0 {
                    Tok::Punct('{') => depth += 1,
                    Tok::Punct('}') => depth -= 1,
                    Tok::Ident(n) if depth == 1 && (n == "write" || n == "copy") => out.push((toks[j].1, format!("fs::{{{n}}}"))),
                    _ => {}
                }
                j += 1;
            }
        }
        i += 1;
    }
    out
}

/// A static check (regression for the man-page and demo writers, which bypassed it): no code
/// outside src/files.rs creates or writes files by itself. Test modules are not looked at.
#[test]
fn every_file_write_goes_through_write_atomic() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rs_files(&src, &mut files);
    assert!(files.len() > 20);
    // Test-only modules in files of their own (`#[cfg(test)] mod tests;` beside the file that
    // declares it, e.g. src/ca/tests.rs): skipped like the `#[cfg(test)]` items inside a file.
    let mut test_only = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).unwrap();
        let dir = if f.file_name().is_some_and(|n| n == "mod.rs" || n == "lib.rs" || n == "main.rs") {
            f.parent().unwrap().to_path_buf()
        } else {
            f.with_extension("")
        };
        for (i, _) in text.match_indices("#[cfg(test)]") {
            let rest = text[i + "#[cfg(test)]".len()..].trim_start();
            let Some(decl) = rest.strip_prefix("mod ") else { continue };
            let Some(name) = decl.split(';').next().filter(|n| n.chars().all(|c| c.is_alphanumeric() || c == '_')) else { continue };
            test_only.push(dir.join(format!("{name}.rs")));
            test_only.push(dir.join(name).join("mod.rs"));
        }
    }
    assert!(test_only.iter().any(|p| p.ends_with("ca/tests.rs")), "the test-only module files were not found: {test_only:?}");
    let mut found = Vec::new();
    for f in files {
        if f.ends_with("src/files.rs") || test_only.contains(&f) {
            continue;
        }
        let text = std::fs::read_to_string(&f).unwrap();
        for (line, what) in bypassing_writes(&text) {
            found.push(format!("{}:{line}: {what}", f.strip_prefix(&src).unwrap().display()));
        }
    }
    assert!(found.is_empty(), "file writes that bypass kyso::files::write_atomic:\n{}", found.join("\n"));
}

/// The check sees every way to create a file that the old text search missed (`File::options`,
/// `fs::copy`, a `use` tree, a path over two lines), and nothing in comments, strings or tests.
#[test]
fn the_write_check_fails_on_each_way_to_create_a_file() {
    let bad = [
        ("fn f(p: &Path) { let _ = std::fs::File::options().write(true).open(p); }", "File::options"),
        ("fn f(a: &Path, b: &Path) { std::fs::copy(a, b).unwrap(); }", "fs::copy"),
        ("use std::fs::{self, copy};", "fs::{copy}"),
        ("use std::fs::{self, write as put};", "fs::{write}"),
        ("fn f() { let o = std::fs::OpenOptions::new(); }", "OpenOptions"),
        ("fn f(p: &Path) { fs::write(p, b\"x\") }", "fs::write"),
        ("fn f(p: &Path) { std::fs::\n    write(p, b\"x\") }", "fs::write"),
        ("fn f(p: &Path) { File::create(p) }", "File::create"),
        ("fn f(p: &Path) { File::create_new(p) }", "File::create_new"),
        ("fn f(d: &Path) { tempfile::NamedTempFile::new_in(d) }", "NamedTempFile"),
        ("fn f() { let t = tempfile::tempfile(); }", "tempfile::tempfile"),
        ("fn f(c: &Command) { clap_mangen::generate_to(c, \"man\") }", "generate_to"),
    ];
    for (src, what) in bad {
        let found = bypassing_writes(src);
        assert!(found.iter().any(|(_, w)| w == what), "{src:?}: expected {what}, found {found:?}");
    }
    let fine = [
        "// std::fs::write(p, b)\nfn f() {}",
        "fn f() { let s = \"fs::copy(a, b) and File::options()\"; }",
        "#[cfg(test)]\nmod tests { fn t(p: &Path) { std::fs::write(p, b\"x\").unwrap(); std::fs::copy(p, p).unwrap(); } }",
        "fn f(p: &Path) -> Vec<u8> { std::fs::read(p).unwrap() }",
        "fn f(a: &Path, b: &Path) { std::fs::rename(a, b).unwrap(); }",
        "use std::fs::{self, File};",
    ];
    for src in fine {
        assert_eq!(bypassing_writes(src), vec![], "{src:?}");
    }
}

fn run(dir: &Path, args: &[&str]) -> Output {
    let o = kyso().args(args).current_dir(dir).env("KYSO_PASSPHRASE", PASS).output().unwrap();
    o
}

fn ok(o: &Output, what: &str) {
    assert_eq!(o.status.code(), Some(0), "{what}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
}

/// The secret forms of a key file: the decrypted PKCS#8 DER (as hex and base64, and its
/// private-key OCTET STRING as hex), from `openssl pkcs8` (an independent decoder).
fn secret_forms(dir: &Path, key: &str) -> Vec<String> {
    let out = std::process::Command::new("openssl")
        .args(["pkcs8", "-in", key, "-passin", "env:KYSO_PASSPHRASE", "-outform", "DER"])
        .env("KYSO_PASSPHRASE", PASS)
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(out.status.success(), "openssl pkcs8: {}", String::from_utf8_lossy(&out.stderr));
    let der = out.stdout;
    // ECPrivateKey inside PKCS#8: the 32/48-byte scalar follows 04 20 / 04 30 after the version.
    let scalar = der
        .windows(5)
        .position(|w| w[0] == 0x02 && w[1] == 0x01 && w[2] == 0x01 && w[3] == 0x04 && (w[4] == 0x20 || w[4] == 0x30))
        .map(|p| der[p + 5..p + 5 + der[p + 4] as usize].to_vec())
        .expect("an EC private key");
    let b64 = pem::encode(&pem::Pem::new("X", der.clone()));
    let b64_body: String = b64.lines().filter(|l| !l.starts_with("-----")).collect();
    vec![
        hex::encode(&der),
        hex::encode(&scalar),
        hex::encode_upper(&scalar),
        kyso::objects::colon_hex(&scalar),
        b64_body[..40.min(b64_body.len())].to_string(),
    ]
}

fn assert_no_secret(outputs: &[(&str, &Output)], secrets: &[String]) {
    for (what, o) in outputs {
        for stream in [&o.stdout, &o.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(!text.contains(PASS), "{what} printed the passphrase:\n{text}");
            for s in secrets {
                assert!(!text.contains(s.as_str()), "{what} printed key material ({s}):\n{text}");
            }
        }
    }
}

fn no_temporaries(dir: &Path) {
    for e in std::fs::read_dir(dir).unwrap() {
        let name = e.unwrap().file_name().to_string_lossy().into_owned();
        assert!(!name.starts_with(".kyso-tmp-"), "temporary file left behind: {name}");
    }
}

#[cfg(unix)]
fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).unwrap().permissions().mode() & 0o777
}

#[cfg(unix)]
#[test]
fn key_commands_never_print_secrets_and_write_0600_encrypted_keys() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let mut outputs: Vec<(String, Output)> = Vec::new();
    let o = run(d, &["key", "new", "--out", "k.pem"]);
    ok(&o, "key new");
    outputs.push(("key new".into(), o));
    assert_eq!(mode(&d.join("k.pem")), 0o600);
    assert!(std::fs::read_to_string(d.join("k.pem")).unwrap().starts_with("-----BEGIN ENCRYPTED PRIVATE KEY-----"));

    let o = run(d, &["ca", "init", "--dir", "ca", "--name", "Secret Test CA"]);
    ok(&o, "ca init");
    outputs.push(("ca init".into(), o));
    assert_eq!(mode(&d.join("ca/ca.key")), 0o600);
    let o = run(d, &["ca", "issue", "--dir", "ca", "--cn", "Nguyễn Văn An", "--org", "Sở Y tế", "--key-out", "u.key", "--cert-out", "u.pem"]);
    ok(&o, "ca issue");
    outputs.push(("ca issue".into(), o));
    assert_eq!(mode(&d.join("u.key")), 0o600);
    let o = run(d, &["csr", "new", "--key", "k.pem", "--cn", "Nguyễn Văn An", "--out", "k.csr"]);
    ok(&o, "csr new");
    outputs.push(("csr new".into(), o));
    std::fs::write(d.join("doc.txt"), "Công văn").unwrap();
    let o = run(d, &["sign", "--cert", "u.pem", "--key", "u.key", "--chain", "ca/ca.pem", "doc.txt"]);
    ok(&o, "sign");
    outputs.push(("sign".into(), o));
    let o = run(d, &["inspect", "u.key"]);
    ok(&o, "inspect key");
    outputs.push(("inspect key".into(), o));
    // error paths: a wrong passphrase, a passphrase file
    // (inspect still describes the storage form; what matters is what it prints)
    let o = kyso().args(["inspect", "u.key"]).current_dir(d).env("KYSO_PASSPHRASE", format!("{PASS}x")).output().unwrap();
    outputs.push(("inspect with a wrong passphrase".into(), o));
    std::fs::write(d.join("pass.txt"), format!("{PASS}\n")).unwrap();
    let o = kyso().args(["key", "new", "--out", "k2.pem", "--pass-file", "pass.txt"]).current_dir(d).output().unwrap();
    ok(&o, "key new --pass-file");
    outputs.push(("key new --pass-file".into(), o));
    let o = kyso().args(["sign", "--cert", "u.pem", "--key", "u.key", "--force", "doc.txt", "--pass-file", "k.pem"]).current_dir(d).output().unwrap();
    assert_ne!(o.status.code(), Some(0), "a key file is no passphrase file");
    outputs.push(("sign with a key file as passphrase file".into(), o));

    let mut secrets = Vec::new();
    for k in ["k.pem", "u.key", "ca/ca.key", "k2.pem"] {
        secrets.extend(secret_forms(d, k));
    }
    // the key file's own PEM body is not secret-free either (offline guessing): not printed
    for k in ["k.pem", "u.key"] {
        let body: String = std::fs::read_to_string(d.join(k)).unwrap().lines().nth(1).unwrap().to_string();
        secrets.push(body);
    }
    let refs: Vec<(&str, &Output)> = outputs.iter().map(|(w, o)| (w.as_str(), o)).collect();
    assert_no_secret(&refs, &secrets);
    no_temporaries(d);
    no_temporaries(&d.join("ca"));
}

/// Keys are created 0600, not chmod-ed later: with `umask 000` a file created with the default
/// mode would be 0666 until fixed. A watcher lists the directory while `key new` runs and fails
/// on any non-empty file not 0600 (the temporary file included). Observational: it cannot prove
/// the order, the strace test below does.
#[cfg(unix)]
#[test]
fn keys_are_never_visible_with_a_wider_mode() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path().to_path_buf();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let (s2, d2) = (stop.clone(), d.clone());
    let watcher = std::thread::spawn(move || {
        let mut bad = Vec::new();
        let mut seen = 0;
        while !s2.load(std::sync::atomic::Ordering::Relaxed) {
            if let Ok(rd) = std::fs::read_dir(&d2) {
                for e in rd.flatten() {
                    if let Ok(m) = e.metadata() {
                        use std::os::unix::fs::PermissionsExt;
                        seen += 1;
                        if m.len() > 0 && m.permissions().mode() & 0o777 != 0o600 {
                            bad.push(format!("{:?} {:o}", e.file_name(), m.permissions().mode() & 0o777));
                        }
                    }
                }
            }
        }
        (bad, seen)
    });
    for i in 0..5 {
        let o = std::process::Command::new("sh")
            .args(["-c", "umask 000; exec \"$0\" key new --out \"$1\"", env!("CARGO_BIN_EXE_kyso"), &format!("k{i}.pem")])
            .current_dir(&d)
            .env("KYSO_PASSPHRASE", PASS)
            .output()
            .unwrap();
        ok(&o, "key new under umask 000");
        assert_eq!(mode(&d.join(format!("k{i}.pem"))), 0o600);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let (bad, seen) = watcher.join().unwrap();
    assert!(seen > 0);
    assert!(bad.is_empty(), "key files seen with a wider mode: {bad:?}");
}

/// With strace (not installed everywhere: ignored by default; `.ci/run` runs it): the key file is
/// opened with O_CREAT and mode 0600 and no chmod follows; its only writes go to that descriptor.
#[cfg(unix)]
#[test]
#[ignore]
fn strace_shows_keys_created_0600() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let o = std::process::Command::new("strace")
        .args(["-f", "-e", "trace=openat,open,creat,chmod,fchmod,fchmodat", "-o", "trace.txt", env!("CARGO_BIN_EXE_kyso"), "key", "new", "--out", "k.pem"])
        .current_dir(d)
        .env("KYSO_PASSPHRASE", PASS)
        .output()
        .unwrap();
    ok(&o, "strace kyso key new");
    let trace = std::fs::read_to_string(d.join("trace.txt")).unwrap();
    let creates: Vec<&str> = trace.lines().filter(|l| l.contains(".kyso-tmp-") && l.contains("O_CREAT")).collect();
    assert_eq!(creates.len(), 1, "{trace}");
    assert!(creates[0].contains("0600"), "created with another mode: {}", creates[0]);
    assert!(!trace.lines().any(|l| l.contains("chmod") && !l.contains("0600") && !l.contains("= -1")), "{trace}");
}
