//! `kyso sign --pades` and `kyso verify FILE.pdf` through the CLI, on the certs-example province
//! (made now by its generate.sh: tests/it/example.rs) and its sample PDFs. Oracles: `openssl cms -verify` on each signature's CMS over the byte
//! ranges; a PDF whose CMS OpenSSL made is verified by kyso; and — in the #[ignore]d tests —
//! pyHanko and poppler's pdfsig on kyso CLI-signed PDFs, and kyso on a pyHanko-signed PDF.

use crate::cli::{kyso, summary};
use crate::pdf::{append_content_change, pdfsig_validate, pyhanko, pyhanko_validate, samples, KINDS};
use crate::pki;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Output;

/// The example province made now (tests/it/example.rs): `kyso sign` needs a current
/// certificate, and the checked-in one expires.
fn example() -> PathBuf {
    crate::example::fresh().to_path_buf()
}

fn ex(rel: &str) -> String {
    example().join(rel).to_str().unwrap().to_string()
}

/// `kyso sign --pades` as `who` (`units/<slug>/person` or `…/agency`) with extra args, in `dir`.
fn sign<S: AsRef<str>>(dir: &Path, who: &str, extra: &[S]) -> Output {
    let mut args: Vec<String> = vec![
        "sign".into(),
        "--pades".into(),
        "--cert".into(),
        ex(&format!("{who}.pem")),
        "--key".into(),
        ex(&format!("{who}.key")),
        "--chain".into(),
        ex("chain.pem"),
        "--pass-file".into(),
        ex("passphrase.txt"),
    ];
    args.extend(extra.iter().map(|s| s.as_ref().to_string()));
    kyso().args(&args).current_dir(dir).output().unwrap()
}

fn sign_ok<S: AsRef<str> + std::fmt::Debug>(dir: &Path, who: &str, extra: &[S]) {
    let o = sign(dir, who, extra);
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "kyso sign {extra:?}:\n{out}\n{err}");
}

const PERSON: &str = "units/van-phong-ubnd/person";
const AGENCY: &str = "units/van-phong-ubnd/agency";

fn sig_png() -> String {
    samples().join("signature.png").to_str().unwrap().to_string()
}

fn seal_png() -> String {
    samples().join("seal.png").to_str().unwrap().to_string()
}

/// The person's visible signature (the sample's signature space), written to `out`.
fn person_signature(out: &str, input: &str) -> Vec<String> {
    ["--appearance", "signature", "--image", &sig_png(), "--rect", "115,205,65,25", "--out", out, input].map(String::from).to_vec()
}

/// `kyso verify FILE --trust root.pem --crl crl.pem --json` → (exit code, report).
fn verify_json(dir: &Path, file: &str) -> (i32, Value) {
    let o = kyso()
        .args(["verify", file, "--trust", &ex("root.pem"), "--crl", &ex("crl.pem"), "--json"])
        .current_dir(dir)
        .output()
        .unwrap();
    let (code, out, err) = summary(&o);
    let v: Value = serde_json::from_str(&out).unwrap_or_else(|e| panic!("not JSON ({e}):\n{out}\n{err}"));
    (code, v)
}

fn sigs(v: &Value) -> Vec<Value> {
    v["documents"][0]["signatures"].as_array().cloned().unwrap_or_default()
}

/// openssl cms -verify of every signature of the PDF at `path`, over the ranges kyso extracts,
/// and the PAdES profile of each CMS.
fn openssl_verifies_all(dir: &Path, path: &Path, expected: usize) {
    let pdf = std::fs::read(path).unwrap();
    for cms in crate::pdf::openssl_verifies_all(dir, &example().join("root.pem"), &pdf, expected) {
        // The PAdES profile: no signing-time signed attribute (the time is in /M).
        let o = pki::openssl(dir, &["cms", "-cmsout", "-print", "-inform", "DER", "-in", cms.to_str().unwrap()]);
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(text.contains("messageDigest") && text.contains("id-smime-aa-signingCertificateV2"), "{text}");
        assert!(!text.contains("signingTime"), "a PAdES CMS has no signing-time attribute:\n{text}");
    }
}

#[test]
fn single_signature_through_the_cli_verifies_total_passed() {
    for kind in KINDS {
        let d = tempfile::tempdir().unwrap();
        let input = samples().join(kind);
        sign_ok(d.path(), AGENCY, &person_signature("ky.pdf", input.to_str().unwrap()));
        let signed = std::fs::read(d.path().join("ky.pdf")).unwrap();
        assert!(signed.starts_with(&std::fs::read(&input).unwrap()), "an incremental update");
        openssl_verifies_all(d.path(), &d.path().join("ky.pdf"), 1);
        let (code, v) = verify_json(d.path(), "ky.pdf");
        assert_eq!(code, 0, "{v:#}");
        assert_eq!(v["indication"], "TOTAL_PASSED");
        let s = sigs(&v);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0]["indication"].as_str(), s[0]["field_name"].as_str()), (Some("TOTAL_PASSED"), Some("Signature1")));
        assert_eq!((s[0]["revision"].as_u64(), s[0]["revision_count"].as_u64()), (Some(2), Some(2)), "{kind}");
        assert_eq!(s[0]["covers_whole_document"], true);
        assert_eq!(s[0]["modifications"], "none");
        assert_eq!(s[0]["sub_filter"], "ETSI.CAdES.detached");
        assert!(s[0]["signer"]["subject"].as_str().unwrap().contains("Văn phòng UBND tỉnh Bắc Ninh"));
        // The time comes from /M (no signing-time attribute) and no warning says it is missing.
        assert!(s[0]["signing_time"].as_str().is_some_and(|t| t.ends_with('Z')), "{:#}", s[0]);
        assert!(!s[0]["warnings"].to_string().contains("no signing-time"), "{:#}", s[0]);
        let names: Vec<&str> = s[0]["checks"].as_array().unwrap().iter().filter_map(|c| c["name"].as_str()).collect();
        assert!(names.contains(&"pdf_byte_range") && names.contains(&"pdf_modifications") && names.contains(&"message_digest"), "{names:?}");
    }
}

#[test]
fn person_then_agency_on_the_same_file_both_pass_and_the_human_report_shows_revisions() {
    for kind in KINDS {
        let d = tempfile::tempdir().unwrap();
        let input = samples().join(kind);
        sign_ok(d.path(), PERSON, &person_signature("cv.pdf", input.to_str().unwrap()));
        sign_ok(d.path(), AGENCY, &["--appearance", "seal", "--image", &seal_png(), "--in-place", "cv.pdf"]);
        openssl_verifies_all(d.path(), &d.path().join("cv.pdf"), 2);
        let (code, v) = verify_json(d.path(), "cv.pdf");
        assert_eq!(code, 0, "{v:#}");
        let s = sigs(&v);
        assert_eq!(s.len(), 2);
        let facts: Vec<(&str, &str, u64, bool, &str)> = s
            .iter()
            .map(|x| {
                (
                    x["indication"].as_str().unwrap(),
                    x["field_name"].as_str().unwrap(),
                    x["revision"].as_u64().unwrap(),
                    x["covers_whole_document"].as_bool().unwrap(),
                    x["modifications"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(
            facts,
            [
                ("TOTAL_PASSED", "Signature1", 2, false, "signatures_and_form_filling"),
                ("TOTAL_PASSED", "Signature2", 3, true, "none"),
            ]
        );
        assert!(s[0]["signer"]["subject"].as_str().unwrap().contains("Nguyễn Văn An"));
        assert!(s[1]["signer"]["subject"].as_str().unwrap().contains("CN=Văn phòng UBND tỉnh Bắc Ninh"));
    }
    // Human output, both languages.
    let d = tempfile::tempdir().unwrap();
    let input = samples().join("cong-van.pdf");
    sign_ok(d.path(), PERSON, &person_signature("cv.pdf", input.to_str().unwrap()));
    sign_ok(d.path(), AGENCY, &["--appearance", "seal", "--image", &seal_png(), "--in-place", "cv.pdf"]);
    for (lang, lines) in [
        ("vi", ["Trường chữ ký: Signature1", "Phiên bản được ký: 2 trên 3", "Thay đổi sau khi ký: chỉ thêm chữ ký sau hoặc điền biểu mẫu (được phép)", "Trường chữ ký: Signature2", "Thay đổi sau khi ký: không có (chữ ký bao trùm toàn bộ tệp)"]),
        ("en", ["Signature field: Signature1", "Signed revision: 2 of 3", "Changes after signing: only later signatures or form filling (allowed)", "Signature field: Signature2", "Changes after signing: none (the signature covers the whole file)"]),
    ] {
        let o = kyso().args(["verify", "cv.pdf", "--trust", &ex("root.pem"), "--crl", &ex("crl.pem"), "--lang", lang]).current_dir(d.path()).output().unwrap();
        let (code, out, err) = summary(&o);
        assert_eq!(code, 0, "{out}\n{err}");
        for l in lines {
            assert!(out.contains(l), "{lang}: missing {l:?} in\n{out}");
        }
    }
}

#[test]
fn stamp_on_an_attachment_verifies_or_names_the_missing_font() {
    let d = tempfile::tempdir().unwrap();
    let input = samples().join("to-khai-form.pdf");
    let args = ["--appearance", "stamp", "--doc-number", "Số: 123/UBND-VP", "--out", "phu-luc.pdf", input.to_str().unwrap()];
    if kyso::pdf::default_font_path().is_none() {
        let (code, _, err) = summary(&sign(d.path(), AGENCY, &args));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains("no font for the stamp text") && err.contains("fonts-liberation2"), "{err}");
        return;
    }
    sign_ok(d.path(), AGENCY, &args);
    openssl_verifies_all(d.path(), &d.path().join("phu-luc.pdf"), 1);
    let (code, v) = verify_json(d.path(), "phu-luc.pdf");
    assert_eq!(code, 0, "{v:#}");
    let s = sigs(&v);
    assert_eq!((s[0]["indication"].as_str(), s[0]["field_name"].as_str(), s[0]["revision"].as_u64()), (Some("TOTAL_PASSED"), Some("Signature1"), Some(2)));
    // The form's own field is kept: the widget count grows by one.
    let pdf = std::fs::read(d.path().join("phu-luc.pdf")).unwrap();
    let before = std::fs::read(&input).unwrap();
    let widgets = |b: &[u8]| b.windows(7).filter(|w| w == b"/Widget").count();
    assert!(widgets(&pdf) > widgets(&before), "a widget was added");
}

#[test]
fn changes_after_signing_are_indeterminate_sig_constraints_failure() {
    let d = tempfile::tempdir().unwrap();
    let input = samples().join("cong-van.pdf");
    sign_ok(d.path(), AGENCY, &person_signature("ky.pdf", input.to_str().unwrap()));
    let signed = std::fs::read(d.path().join("ky.pdf")).unwrap();

    // 1. A later revision that draws on the page; 2. bytes appended that are no revision at all.
    let mut junk = signed.clone();
    junk.extend_from_slice(b"\n% appended after signing\n1 0 obj (x) endobj\n");
    for (name, bytes, detail) in [
        ("drawn.pdf", append_content_change(&signed), "(/Page), page 1 changed: /Contents"),
        ("junk.pdf", junk, "bytes of data after the last revision (not an incremental update)"),
    ] {
        pki::write(d.path(), name, &bytes);
        let (code, v) = verify_json(d.path(), name);
        assert_eq!(code, 3, "{name}: {v:#}");
        assert_eq!((v["indication"].as_str(), v["sub_indication"].as_str()), (Some("INDETERMINATE"), Some("SIG_CONSTRAINTS_FAILURE")), "{name}");
        let s = sigs(&v);
        assert_eq!(s.len(), 1);
        assert_eq!((s[0]["indication"].as_str(), s[0]["sub_indication"].as_str()), (Some("INDETERMINATE"), Some("SIG_CONSTRAINTS_FAILURE")));
        assert_eq!(s[0]["covers_whole_document"], false);
        let checks = s[0]["checks"].as_array().unwrap();
        let changes = checks.iter().find(|c| c["name"] == "pdf_modifications").unwrap();
        assert_eq!(changes["status"], "failed");
        assert!(changes["detail"].as_str().unwrap().contains(detail), "{name}: {changes}");
        // The signed revision itself is intact: digest and signature pass.
        for n in ["message_digest", "signature"] {
            assert_eq!(checks.iter().find(|c| c["name"] == n).unwrap()["status"], "passed", "{name}: {n}");
        }
        let o = kyso().args(["verify", name, "--trust", &ex("root.pem"), "--lang", "en"]).current_dir(d.path()).output().unwrap();
        let (code, out, _) = summary(&o);
        assert_eq!(code, 3);
        assert!(out.contains("Integrity: the signed revision is intact, but the file was CHANGED after signing"), "{out}");
    }

    // Junk after a person + agency pair: both signatures report it (not only the last one).
    sign_ok(d.path(), PERSON, &person_signature("pair.pdf", input.to_str().unwrap()));
    sign_ok(d.path(), AGENCY, &["--appearance", "seal", "--image", &seal_png(), "--in-place", "pair.pdf"]);
    let mut pair = std::fs::read(d.path().join("pair.pdf")).unwrap();
    pair.extend_from_slice(b"% added\n");
    pki::write(d.path(), "pair-junk.pdf", &pair);
    let (code, v) = verify_json(d.path(), "pair-junk.pdf");
    assert_eq!(code, 3, "{v:#}");
    let all = sigs(&v);
    let got: Vec<(&str, &str)> = all.iter().map(|s| (s["sub_indication"].as_str().unwrap(), s["modifications"].as_str().unwrap())).collect();
    assert_eq!(got, [("SIG_CONSTRAINTS_FAILURE", "other"), ("SIG_CONSTRAINTS_FAILURE", "other")]);

    // A byte flipped inside the signed range: the digest no longer matches.
    let mut flipped = signed.clone();
    let at = signed.windows(7).position(|w| w == b"/Length").unwrap();
    flipped[at + 1] = b'l';
    pki::write(d.path(), "flipped.pdf", &flipped);
    let (code, v) = verify_json(d.path(), "flipped.pdf");
    assert_eq!(code, 1, "{v:#}");
    assert_eq!((v["indication"].as_str(), v["sub_indication"].as_str()), (Some("TOTAL_FAILED"), Some("HASH_FAILURE")));
}

#[test]
fn unsigned_or_unreadable_pdfs_are_format_failures() {
    let d = tempfile::tempdir().unwrap();
    std::fs::copy(samples().join("cong-van.pdf"), d.path().join("unsigned.pdf")).unwrap();
    let (code, v) = verify_json(d.path(), "unsigned.pdf");
    assert_eq!(code, 1);
    assert_eq!((v["indication"].as_str(), v["sub_indication"].as_str()), (Some("TOTAL_FAILED"), Some("FORMAT_FAILURE")));
    assert_eq!(v["documents"][0]["detail"], "the PDF has no signature");
    std::fs::copy(samples().join("cong-van-encrypted.pdf"), d.path().join("enc.pdf")).unwrap();
    // An encrypted PDF is read without decrypting it (issue 15): this unsigned one has no
    // signature — and no advice to decrypt it.
    let (code, v) = verify_json(d.path(), "enc.pdf");
    assert_eq!(code, 1);
    assert_eq!(v["documents"][0]["detail"], "the PDF has no signature", "{v:#}");
    assert!(!v.to_string().contains("qpdf") && !v.to_string().contains("decrypt"), "{v:#}");
    // Signing an encrypted PDF is refused with the same clear message (exit 1: the document).
    let (code, _, err) = summary(&sign(d.path(), AGENCY, &["--out", "x.pdf", "enc.pdf"]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("enc.pdf: the PDF is encrypted"), "{err}");
    assert!(!d.path().join("x.pdf").exists());
}

#[test]
fn a_p7s_beside_a_pdf_is_still_used_and_pdf_cms_made_by_openssl_verifies() {
    let d = tempfile::tempdir().unwrap();
    // The PDF structure by kyso::pdf::sign, the CMS by `openssl cms -sign` (with signing-time):
    // kyso accepts what OpenSSL produces.
    let input = std::fs::read(samples().join("cong-van.pdf")).unwrap();
    let opts = kyso::pdf::PadesOptions::new(time::OffsetDateTime::now_utc(), kyso::pdf::Appearance::None);
    let dir = d.path().to_path_buf();
    let signed = kyso::pdf::sign(&input, &opts, |r| -> Result<Vec<u8>, std::io::Error> {
        let data = pki::write(&dir, "ranges.bin", &r.to_vec());
        let o = pki::openssl(
            &dir,
            &[
                "cms", "-sign", "-binary", "-outform", "DER", "-md", "sha256", "-nosmimecap", "-in", data.to_str().unwrap(),
                "-signer", &ex(&format!("{AGENCY}.pem")), "-inkey", &ex(&format!("{AGENCY}.key")),
                "-passin", &format!("file:{}", ex("passphrase.txt")), "-certfile", &ex("ca/ca.pem"), "-out", "cms.der",
            ],
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        std::fs::read(dir.join("cms.der"))
    })
    .unwrap();
    pki::write(d.path(), "openssl.pdf", &signed.bytes);
    let (code, v) = verify_json(d.path(), "openssl.pdf");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(sigs(&v)[0]["field_name"], "Signature1");

    // A detached .p7s beside the PDF wins over the signatures inside (the .p7s contract).
    let o = kyso()
        .args(["sign", "--cert", &ex(&format!("{AGENCY}.pem")), "--key", &ex(&format!("{AGENCY}.key")), "--chain", &ex("chain.pem"), "--pass-file", &ex("passphrase.txt"), "openssl.pdf"])
        .current_dir(d.path())
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let (code, v) = verify_json(d.path(), "openssl.pdf");
    assert_eq!(code, 0, "{v:#}");
    assert!(sigs(&v)[0].get("field_name").is_none(), "verified as a .p7s: {v:#}");
    // --sig forces the detached path as well, even for a PDF.
    std::fs::rename(d.path().join("openssl.pdf.p7s"), d.path().join("other.p7s")).unwrap();
    let o = kyso().args(["verify", "openssl.pdf", "--sig", "other.p7s", "--trust", &ex("root.pem"), "--json", "--revocation", "warn", "--offline"]).current_dir(d.path()).output().unwrap();
    let v: Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(sigs(&v)[0].get("revision").is_none(), "{v:#}");
}

#[test]
fn out_refuses_to_overwrite_without_force_and_in_place_replaces_atomically() {
    let d = tempfile::tempdir().unwrap();
    let input = samples().join("cong-van.pdf");
    let inp = input.to_str().unwrap();
    std::fs::write(d.path().join("taken.pdf"), b"precious").unwrap();
    let (code, _, err) = summary(&sign(d.path(), AGENCY, &["--out", "taken.pdf", inp]));
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("taken.pdf already exists") && err.contains("--force"), "{err}");
    assert_eq!(std::fs::read(d.path().join("taken.pdf")).unwrap(), b"precious");
    sign_ok(d.path(), AGENCY, &["--force", "--out", "taken.pdf", inp]);
    assert_eq!(verify_json(d.path(), "taken.pdf").0, 0);

    // --in-place: the same path now holds the input plus one update; written by rename (a new
    // inode), so a reader never sees a half-written file.
    std::fs::copy(&input, d.path().join("cv.pdf")).unwrap();
    let before = std::fs::read(d.path().join("cv.pdf")).unwrap();
    #[cfg(unix)]
    let ino = std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(d.path().join("cv.pdf")).unwrap());
    sign_ok(d.path(), AGENCY, &["--in-place", "cv.pdf"]);
    let after = std::fs::read(d.path().join("cv.pdf")).unwrap();
    assert!(after.len() > before.len() && after.starts_with(&before));
    #[cfg(unix)]
    assert_ne!(ino, std::os::unix::fs::MetadataExt::ino(&std::fs::metadata(d.path().join("cv.pdf")).unwrap()));
    let leftovers: Vec<_> = std::fs::read_dir(d.path()).unwrap().filter_map(|e| e.ok()).map(|e| e.file_name()).collect();
    assert_eq!(leftovers.len(), 2, "no temporary file left behind: {leftovers:?}");

    // Flag combinations: usage errors (2) naming the flag, nothing written.
    let seal = seal_png();
    for (args, msg) in [
        (vec!["--out", "a.pdf", "--in-place", "cv.pdf"], "give either --out or --in-place, not both"),
        (vec!["cv.pdf"], "a PDF signature needs --out OUT.pdf or --in-place"),
        (vec!["--add", "--in-place", "cv.pdf"], "--add is for .p7s files"),
        (vec!["--appearance", "signature", "--image", &seal, "--in-place", "cv.pdf"], "--appearance signature needs --rect"),
        (vec!["--appearance", "seal", "--in-place", "cv.pdf"], "--appearance seal needs --image PNG"),
        (vec!["--out", "cv.pdf", "cv.pdf"], "--out names the input file"),
        (vec!["--embed-revocation", "--crl", "cv.pdf", "--in-place", "cv.pdf"], "cv.pdf: not a DER object"),
    ] {
        let (code, _, err) = summary(&sign(d.path(), AGENCY, &args));
        assert_eq!(code, 2, "{args:?}: {err}");
        assert!(err.contains(msg), "{args:?}: {err}");
    }
    assert_eq!(std::fs::read(d.path().join("cv.pdf")).unwrap(), after);
    // --appearance without --pades is refused by the argument parser.
    let o = kyso().args(["sign", "--cert", "a", "--key", "b", "--appearance", "seal", "x.pdf"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--pades"), "{}", String::from_utf8_lossy(&o.stderr));
}

// ---------------------------------------------------------------------------------------------
// External validators (#[ignore]: pyHanko via $PYHANKO or PATH, pdfsig + certutil). Each FAILS
// if its tool is missing (see crate::pdf::pyhanko_validate / pdfsig_validate).

fn pyhanko_validate_example(pdf: &Path, expected: usize) {
    pyhanko_validate(&example().join("root.pem"), &example().join("chain.pem"), pdf, expected);
}

fn pdfsig_validate_example(dir: &Path, pdf: &Path, expected: usize) {
    pdfsig_validate(dir, &example().join("root.pem"), pdf, expected);
}

#[test]
#[ignore = "needs pyHanko ($PYHANKO or PATH), pdfsig (poppler-utils, libnss3-tools) and fonts-liberation2"]
fn pyhanko_and_pdfsig_accept_pdfs_signed_with_the_kyso_cli() {
    let d = tempfile::tempdir().unwrap();
    for kind in KINDS {
        let input = samples().join(kind);
        let inp = input.to_str().unwrap();
        let single = format!("single-{kind}");
        sign_ok(d.path(), AGENCY, &person_signature(&single, inp));
        let pair = format!("pair-{kind}");
        sign_ok(d.path(), PERSON, &person_signature(&pair, inp));
        sign_ok(d.path(), AGENCY, &["--appearance", "seal", "--image", &seal_png(), "--in-place", &pair]);
        let stamp = format!("stamp-{kind}");
        sign_ok(d.path(), AGENCY, &["--appearance", "stamp", "--doc-number", "Số: 123/UBND-VP", "--out", &stamp, inp]);
        for (f, n) in [(single, 1), (pair, 2), (stamp, 1)] {
            let p = d.path().join(&f);
            pyhanko_validate_example(&p, n);
            pdfsig_validate_example(d.path(), &p, n);
        }
    }
}

#[test]
#[ignore = "needs pyHanko ($PYHANKO or PATH)"]
fn kyso_verify_accepts_pyhanko_signed_pdfs_then_adds_a_signature() {
    let d = tempfile::tempdir().unwrap();
    // pyHanko needs an unencrypted key: export the example agency key with openssl.
    let key = d.path().join("agency-plain.key");
    let o = pki::openssl(d.path(), &["pkey", "-in", &ex(&format!("{AGENCY}.key")), "-passin", &format!("file:{}", ex("passphrase.txt")), "-out", key.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for kind in KINDS {
        let out = d.path().join(format!("pyhanko-{kind}"));
        let o = pyhanko()
            .args(["sign", "addsig", "--field", "ChuKyPyHanko", "pemder", "--no-pass", "--key"])
            .arg(&key)
            .args(["--cert", &ex(&format!("{AGENCY}.pem")), "--chain", &ex("ca/ca.pem")])
            .arg(samples().join(kind))
            .arg(&out)
            .output()
            .unwrap();
        assert!(o.status.success(), "pyhanko addsig: {}", String::from_utf8_lossy(&o.stderr));
        let name = out.file_name().unwrap().to_str().unwrap();
        let (code, v) = verify_json(d.path(), name);
        assert_eq!(code, 0, "{v:#}");
        let s = sigs(&v);
        assert_eq!((s[0]["indication"].as_str(), s[0]["field_name"].as_str(), s[0]["revision"].as_u64()), (Some("TOTAL_PASSED"), Some("ChuKyPyHanko"), Some(2)));
        // kyso adds the person's signature after pyHanko's; both pass in kyso and in pyHanko.
        sign_ok(d.path(), PERSON, &["--appearance", "signature", "--image", &sig_png(), "--rect", "115,205,65,25", "--in-place", name]);
        let (code, v) = verify_json(d.path(), name);
        assert_eq!(code, 0, "{v:#}");
        assert_eq!(sigs(&v).len(), 2);
        assert_eq!(sigs(&v)[0]["modifications"], "signatures_and_form_filling");
        pyhanko_validate_example(&out, 2);
    }
}

/// Issue 15: a PDF with bytes before `%PDF-` (within the first 1,024, as PDF readers accept) is
/// recognised as a PDF: kyso signs it and verifies it in place.
#[test]
fn pdf_with_bytes_before_the_header_is_signed_and_verified() {
    let d = tempfile::tempdir().unwrap();
    let mut pdf = b"Content-Type: application/pdf\r\n\r\n".to_vec();
    pdf.extend(std::fs::read(crate::pdf::samples().join("cong-van.pdf")).unwrap());
    std::fs::write(d.path().join("pre.pdf"), &pdf).unwrap();
    sign_ok(d.path(), AGENCY, &["--out", "signed.pdf", "pre.pdf"]);
    let (code, v) = verify_json(d.path(), "signed.pdf");
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["documents"][0]["signatures"][0]["indication"], "TOTAL_PASSED", "{v:#}");
}
