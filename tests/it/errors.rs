//! Snapshot tests of the main error messages: each names the problem and, where it helps, the
//! fix (a `hint:` line), with the exit code of DESIGN.md §3. Temporary paths are replaced by
//! `<tmp>` so the snapshots are stable. Regenerate with `KYSO_BLESS=1` after an intended change.

use crate::cli::kyso;
use crate::snapshots::check_snapshot;
use std::path::{Path, PathBuf};

/// The example province made now (tests/it/example.rs): the checked-in certificates expire, and
/// `kyso sign` with an expired certificate stops at that (another snapshot).
fn example() -> PathBuf {
    crate::example::fresh().to_path_buf()
}

/// Runs kyso in `dir` and renders "exit N" + stderr with `dir` and the repository replaced.
fn err_of(dir: &Path, args: &[&str], env_pass: Option<&str>) -> String {
    let mut c = kyso();
    c.args(args).current_dir(dir);
    if let Some(p) = env_pass {
        c.env("KYSO_PASSPHRASE", p);
    }
    let o = c.output().unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr)
        .replace(&dir.display().to_string(), "<tmp>")
        .replace(&example().display().to_string(), "<example>");
    format!("exit {}\n{}", o.status.code().unwrap_or(-1), stderr)
}

#[test]
fn main_error_messages_name_the_problem_and_the_fix() {
    let t = tempfile::tempdir().unwrap();
    let d = t.path();
    let ex = example();
    let e = |p: &str| ex.join(p).display().to_string();
    std::fs::write(d.join("doc.txt"), "Công văn số 1").unwrap();
    std::fs::write(d.join("wrong-pass.txt"), "not the passphrase\n").unwrap();

    let cases: Vec<(&str, Vec<String>, Option<&str>)> = vec![
        // wrong passphrase
        ("error-wrong-passphrase", vec!["sign".into(), "--cert".into(), e("units/so-y-te/agency.pem"), "--key".into(), e("units/so-y-te/agency.key"), "--pass-file".into(), "wrong-pass.txt".into(), "doc.txt".into()], None),
        // no passphrase available (no terminal, no env, no file)
        ("error-no-passphrase", vec!["sign".into(), "--cert".into(), e("units/so-y-te/agency.pem"), "--key".into(), e("units/so-y-te/agency.key"), "doc.txt".into()], None),
        // a document that does not exist
        ("error-document-missing", vec!["sign".into(), "--cert".into(), e("units/so-y-te/agency.pem"), "--key".into(), e("units/so-y-te/agency.key"), "no-such-doc.txt".into()], Some("kyso-demo-2026")),
        // a key file that does not exist
        ("error-key-missing", vec!["sign".into(), "--cert".into(), e("units/so-y-te/agency.pem"), "--key".into(), "missing.key".into(), "doc.txt".into()], Some("kyso-demo-2026")),
        // a certificate used with the wrong key
        ("error-wrong-key", vec!["sign".into(), "--cert".into(), e("units/so-y-te/agency.pem"), "--key".into(), e("units/so-y-te/person.key"), "doc.txt".into()], Some("kyso-demo-2026")),
        // a certificate request given where a certificate is expected (wrong PEM kind)
        ("error-csr-as-certificate", vec!["verify".into(), "signed.txt".into(), "--trust".into(), "req.csr".into()], None),
        // a key given where a certificate is expected
        ("error-key-as-certificate", vec!["sign".into(), "--cert".into(), e("units/so-y-te/agency.key"), "--key".into(), e("units/so-y-te/agency.key"), "doc.txt".into()], Some("kyso-demo-2026")),
        // DER garbage where a certificate is expected
        ("error-garbage-der-trust", vec!["verify".into(), "signed.txt".into(), "--trust".into(), "garbage.der".into()], None),
        // verify without --trust
        ("error-verify-without-trust", vec!["verify".into(), "doc.txt".into()], None),
        // verify of a document without a signature file
        ("error-verify-no-signature", vec!["verify".into(), "doc.txt".into(), "--trust".into(), e("root.pem")], None),
        // an unknown CA directory
        ("error-unknown-ca-dir", vec!["ca".into(), "list".into(), "--dir".into(), "no-such-ca".into()], None),
        // a folder that is not a CA
        ("error-not-a-ca-dir", vec!["ca".into(), "list".into(), "--dir".into(), ".".into()], None),
        // ca init on an existing CA
        ("error-ca-init-existing", vec!["ca".into(), "init".into(), "--dir".into(), e("ca"), "--name".into(), "X".into()], Some("kyso-demo-2026")),
        // an unknown option
        ("error-unknown-option", vec!["sign".into(), "--frobnicate".into()], None),
        // --sig with several documents
        ("error-sig-with-several-documents", vec!["verify".into(), "doc.txt".into(), "doc.txt".into(), "--sig".into(), "x.p7s".into(), "--trust".into(), e("root.pem")], None),
    ];
    // inputs of some cases
    let csr = std::process::Command::new("openssl")
        .args(["req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "req.key", "-subj", "/CN=x", "-out", "req.csr"])
        .current_dir(d)
        .output()
        .unwrap();
    assert!(csr.status.success());
    std::fs::write(d.join("garbage.der"), [0x30u8, 0x82, 0x10, 0x00, 1, 2, 3]).unwrap();
    // signed.txt has a valid signature, so that verify gets as far as reading --trust
    std::fs::write(d.join("signed.txt"), "Giấy mời số 2").unwrap();
    let o = kyso()
        .args(["sign", "--cert", &e("units/so-y-te/agency.pem"), "--key", &e("units/so-y-te/agency.key"), "signed.txt"])
        .env("KYSO_PASSPHRASE", "kyso-demo-2026")
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));

    let mut n = 0;
    for (name, args, pass) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let got = err_of(d, &args, *pass);
        assert!(!got.starts_with("exit 0"), "{name} succeeded: {got}");
        assert!(!got.contains("panicked"), "{name} panicked: {got}");
        check_snapshot(name, &got);
        n += 1;
    }
    assert!(n >= 10);
}
