//! `kyso sign` batches: signatures are staged (fsynced temporary files) and committed per chunk
//! (renames, one fsync per folder); temporary files an interrupted run left behind are removed.
//! Every signature is checked with `openssl cms -verify`.

use crate::cli::{kyso, summary};
use crate::pki::{openssl_cms_verify, write, KeyKind, Leaf, Pki};
use std::path::Path;
use std::process::Output;
use std::time::{Duration, SystemTime};

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

fn sign(pki: &Pki, args: &[&str]) -> Output {
    kyso().arg("sign").args(args).current_dir(pki.dir.path()).output().unwrap()
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    v.sort();
    v
}

fn aged(path: &Path, age: Duration) {
    let f = std::fs::File::create(path).unwrap();
    f.set_modified(SystemTime::now() - age).unwrap();
}

#[test]
fn stale_temporaries_in_the_output_folder_are_removed_and_nothing_else() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Văn thư", Leaf::default());
    let d = pki.dir.path();
    let out = d.join("out");
    std::fs::create_dir(&out).unwrap();
    // what a SIGKILL during a write leaves (an hour and more ago), and look-alikes
    aged(&out.join(".kyso-tmp-Ab3dE9"), Duration::from_secs(2 * 3600));
    aged(&out.join(".kyso-tmp-Zz0000"), Duration::from_secs(40 * 3600));
    aged(&out.join(".kyso-tmp-fresh1"), Duration::from_secs(10)); // a running kyso's
    aged(&out.join(".kyso-tmp-notours"), Duration::from_secs(2 * 3600));
    aged(&out.join("old.txt.p7s"), Duration::from_secs(2 * 3600));
    let docs: Vec<String> = (0..3).map(|i| s(&write(d, &format!("doc-{i}.txt"), format!("Công văn {i}").as_bytes())).to_string()).collect();
    let mut args = vec!["--cert", s(&unit.cert), "--key", s(&unit.key), "--chain", s(&pki.sub.cert), "--out-dir", "out"];
    args.extend(docs.iter().map(String::as_str));
    let (code, _, err) = summary(&sign(&pki, &args));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("note: removed 2 temporary file(s) left in out by an interrupted kyso"), "{err}");
    assert!(err.contains("signed 3 of 3 files, 0 failed"), "{err}");
    assert_eq!(
        names(&out),
        [".kyso-tmp-fresh1", ".kyso-tmp-notours", "doc-0.txt.p7s", "doc-1.txt.p7s", "doc-2.txt.p7s", "old.txt.p7s"]
    );
    for doc in &docs {
        let doc = d.join(doc);
        let sig = out.join(format!("{}.p7s", doc.file_name().unwrap().to_str().unwrap()));
        assert!(openssl_cms_verify(d, &sig, &doc, &pki.root.cert, &[]).0, "{}", doc.display());
    }
    // nothing stale any more: no note
    std::fs::remove_dir_all(&out).unwrap();
    std::fs::create_dir(&out).unwrap();
    let (code, _, err) = summary(&sign(&pki, &args));
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("note:"), "{err}");
}

/// More files than one commit chunk (512), two of them with a signature already there: those
/// two fail with the usual message and keep their bytes, every other file is signed (across the
/// chunk boundary) and no temporary file is left.
#[test]
fn batch_across_commit_chunks_refuses_existing_signatures() {
    let pki = Pki::new(KeyKind::P256);
    let unit = pki.leaf("Văn thư", Leaf::default());
    let d = pki.dir.path();
    std::fs::create_dir(d.join("in")).unwrap();
    let files: Vec<String> = (0..600)
        .map(|i| {
            write(d, &format!("in/doc-{i:03}.txt"), format!("Văn bản số {i}/VP").as_bytes());
            format!("in/doc-{i:03}.txt")
        })
        .collect();
    for i in [10, 520] {
        std::fs::write(d.join(format!("in/doc-{i:03}.txt.p7s")), b"precious").unwrap();
    }
    let mut args = vec!["--cert", s(&unit.cert), "--key", s(&unit.key), "--chain", s(&pki.sub.cert)];
    args.extend(files.iter().map(String::as_str));
    let (code, _, err) = summary(&sign(&pki, &args));
    assert_eq!(code, 1, "{err}");
    for i in [10, 520] {
        assert!(
            err.contains(&format!("error: in/doc-{i:03}.txt: in/doc-{i:03}.txt.p7s already exists (use --force to replace it, or --add to add a signature)")),
            "{err}"
        );
        assert_eq!(std::fs::read(d.join(format!("in/doc-{i:03}.txt.p7s"))).unwrap(), b"precious");
    }
    assert!(err.contains("signed 598 of 600 files, 2 failed"), "{err}");
    for i in [0, 511, 512, 513, 599] {
        let doc = d.join(format!("in/doc-{i:03}.txt"));
        let sig = d.join(format!("in/doc-{i:03}.txt.p7s"));
        assert!(openssl_cms_verify(d, &sig, &doc, &pki.root.cert, &[]).0, "doc {i}");
    }
    let n = names(&d.join("in"));
    assert_eq!(n.iter().filter(|n| n.ends_with(".p7s")).count(), 600);
    assert!(n.iter().all(|n| !n.starts_with(".kyso-tmp")), "temporary file left behind");

    // --add over the batch: each file gets a second signer, openssl verifies both
    let agency = pki.leaf("Sở Y tế", Leaf::default());
    let few: Vec<&str> = files.iter().take(3).map(String::as_str).collect();
    let mut args = vec!["--add", "--cert", s(&agency.cert), "--key", s(&agency.key), "--chain", s(&pki.sub.cert)];
    args.extend(&few);
    let (code, _, err) = summary(&sign(&pki, &args));
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("added a signature to 3 of 3 files, 0 failed"), "{err}");
    for f in few {
        let doc = d.join(f);
        let sig = d.join(format!("{f}.p7s"));
        let (ok, out) = openssl_cms_verify(d, &sig, &doc, &pki.root.cert, &[]);
        assert!(ok, "{out}");
        let der = std::fs::read(&sig).unwrap();
        let print = crate::pki::openssl(d, &["cms", "-cmsout", "-print", "-inform", "DER", "-in", s(&sig)]);
        let text = String::from_utf8_lossy(&print.stdout);
        assert_eq!(text.matches("signatureAlgorithm:").count(), 2, "two SignerInfos in {f} ({} bytes)", der.len());
    }
}

/// With an encrypted key, a batch hashes its documents while the passphrase is stretched, with
/// the digest algorithm guessed from the certificate: for P-256, P-384 (SHA-384) and RSA keys
/// every signature verifies with openssl and names the right digest; a missing document fails
/// alone with the usual message; a wrong passphrase still stops the run before anything is
/// written.
#[test]
fn encrypted_key_batches_hash_ahead_with_the_right_digest() {
    for (kind, digest) in [(KeyKind::P256, "sha256"), (KeyKind::P384, "sha384"), (KeyKind::Rsa2048, "sha256")] {
        let pki = Pki::new(KeyKind::P256);
        let unit = pki.leaf("Văn thư", Leaf { key: kind, ..Leaf::default() });
        let d = pki.dir.path();
        crate::pki::openssl(d, &["pkcs8", "-topk8", "-v2", "aes-256-cbc", "-in", s(&unit.key), "-out", "enc.key", "-passout", "pass:mật khẩu"]);
        let docs: Vec<String> = (0..4).map(|i| s(&write(d, &format!("doc-{i}.txt"), format!("Công văn {i}").as_bytes())).to_string()).collect();
        let mut args = vec!["--cert", s(&unit.cert), "--key", "enc.key", "--chain", s(&pki.sub.cert)];
        args.extend(docs.iter().map(String::as_str));
        args.push("missing.txt");

        let o = kyso().arg("sign").args(&args).env("KYSO_PASSPHRASE", "sai").current_dir(d).output().unwrap();
        let (code, _, err) = summary(&o);
        assert_eq!(code, 2, "{kind:?}: {err}");
        assert!(err.contains("wrong passphrase"), "{kind:?}: {err}");
        assert!(names(d).iter().all(|n| !n.ends_with(".p7s") && !n.starts_with(".kyso-tmp")), "{kind:?}: {:?}", names(d));

        let o = kyso().arg("sign").args(&args).env("KYSO_PASSPHRASE", "mật khẩu").current_dir(d).output().unwrap();
        let (code, _, err) = summary(&o);
        assert_eq!(code, 1, "{kind:?}: {err}");
        assert!(err.contains("error: missing.txt: the document does not exist"), "{kind:?}: {err}");
        assert!(err.contains("signed 4 of 5 files, 1 failed"), "{kind:?}: {err}");
        for doc in &docs {
            let sig = d.join(format!("{doc}.p7s"));
            let (ok, out) = openssl_cms_verify(d, &sig, &d.join(doc), &pki.root.cert, &[]);
            assert!(ok, "{kind:?} {doc}: {out}");
            let print = crate::pki::openssl(d, &["cms", "-cmsout", "-print", "-inform", "DER", "-in", s(&sig)]);
            let text = String::from_utf8_lossy(&print.stdout);
            assert!(text.contains(&format!("algorithm: {digest} ")), "{kind:?} {doc}: digest {digest} expected in\n{text}");
        }
    }
}
