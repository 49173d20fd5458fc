//! The human verification report (`kyso verify` without `--json`), on the example province of
//! certs-example/: signatures made at chosen signing times with the library, verified by the
//! CLI at a chosen `--at`, so that the whole report is reproducible and kept as snapshots
//! (tests/snapshots/report-*.txt; after an intended change: `KYSO_BLESS=1 cargo test --test it
//! report` and review the diff). Other properties are asserted on every output: Vietnam time,
//! signing-time order with the JSON left in file order, no English in `--lang vi`.
//!
//! If certs-example/ is regenerated, the certificates' dates move: the times used here follow
//! them (they are computed from the certificates), and the snapshots need a re-bless.

use crate::cli::{run, summary};
use crate::snapshots::check_snapshot;
use kyso::objects::certificates;
use kyso::{DocumentSigner, PrivateKey};
use serde_json::Value;
use std::path::{Path, PathBuf};
use time::{Duration, OffsetDateTime};

fn ex(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("certs-example").join(p)
}

/// certs-example/ made now (tests/it/example.rs), for the tests that sign through the CLI at the
/// current time (the checked-in certificates expire; `kyso sign` refuses an expired one).
fn fresh(p: &str) -> PathBuf {
    crate::example::fresh().join(p)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// A signer of certs-example (`units/so-y-te/person`, `revoked/person`, …).
fn signer(stem: &str) -> DocumentSigner {
    let pass = std::fs::read_to_string(ex("passphrase.txt")).unwrap();
    let key = PrivateKey::load(&std::fs::read(ex(&format!("{stem}.key"))).unwrap(), Some(pass.trim().as_bytes())).unwrap();
    let cert = certificates(&std::fs::read(ex(&format!("{stem}.pem"))).unwrap()).unwrap().remove(0);
    let chain = certificates(&std::fs::read(ex("chain.pem")).unwrap()).unwrap();
    DocumentSigner::new(key, &cert, &chain).unwrap()
}

/// The day after the latest notBefore of the example certificates, 09:00 in Vietnam: a
/// signing time every example certificate covers.
fn day_one() -> OffsetDateTime {
    let latest = ["units/so-y-te/person", "units/so-y-te/agency", "revoked/person"]
        .iter()
        .map(|stem| signer(stem).validity().0)
        .max()
        .unwrap();
    let next = latest.date().next_day().unwrap();
    next.with_hms(2, 0, 0).unwrap().assume_utc()
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&time::format_description::well_known::Rfc3339).unwrap()
}

struct Fixture {
    dir: tempfile::TempDir,
    day: OffsetDateTime,
}

impl Fixture {
    fn new() -> Fixture {
        Fixture { dir: tempfile::tempdir().unwrap(), day: day_one() }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// Copies the example dispatch to `name` and signs it with `signers` in this order, each at
    /// day one + its minutes (the first makes the .p7s, the others are added).
    fn sign(&self, name: &str, signers: &[(&str, i64)]) {
        let doc = std::fs::read(ex("docs/cong-van.txt")).unwrap();
        std::fs::write(self.path(name), &doc).unwrap();
        let mut p7s: Option<Vec<u8>> = None;
        for (stem, minutes) in signers {
            let at = self.day + Duration::minutes(*minutes);
            let ds = signer(stem);
            p7s = Some(match p7s {
                None => ds.sign_bytes(&doc, at).unwrap(),
                Some(existing) => ds.add_to(&existing, doc.as_slice(), at).unwrap(),
            });
        }
        std::fs::write(self.path(&format!("{name}.p7s")), p7s.unwrap()).unwrap();
    }

    /// `kyso verify` at day one + 1 day, with the example trust anchor (and CRLs unless `args`
    /// set the trust themselves).
    fn verify(&self, args: &[&str]) -> (i32, String) {
        let at = rfc3339(self.day + Duration::days(1));
        let mut all: Vec<&str> = vec!["verify"];
        all.extend_from_slice(args);
        if !args.contains(&"--at") {
            all.extend_from_slice(&["--at", &at]);
        }
        let root = ex("root.pem");
        let crl = ex("crl.pem");
        if !args.contains(&"--trust") {
            all.extend_from_slice(&["--trust", s(&root)]);
            if !args.contains(&"--revocation") {
                all.extend_from_slice(&["--crl", s(&crl)]);
            }
        }
        let (code, out, err) = summary(&run(self.dir.path(), &all));
        assert!(err.is_empty() || code != 2, "{err}");
        (code, out)
    }

    fn json(&self, args: &[&str]) -> Value {
        let mut a = args.to_vec();
        a.push("--json");
        let (_, out) = self.verify(&a);
        serde_json::from_str(&out).unwrap()
    }
}

/// Every property a human report must have, whatever the result.
fn check_report(out: &str, vi: bool) {
    // Times are in Vietnam time: no RFC 3339 UTC time is left.
    for line in out.lines() {
        let utc = line.char_indices().any(|(i, c)| {
            c == 'T' && line.get(i.saturating_sub(2)..i).is_some_and(|d| d.chars().all(|x| x.is_ascii_digit()))
                && line.get(i + 1..i + 3).is_some_and(|d| d.chars().all(|x| x.is_ascii_digit()))
        });
        assert!(!utc, "an RFC 3339 time in {line:?}");
    }
    // Every line with a time of day (hh:mm:ss) says its offset.
    let has_time = |l: &str| {
        let b = l.as_bytes();
        b.windows(8).any(|w| {
            w.iter().enumerate().all(|(i, c)| if i == 2 || i == 5 { *c == b':' } else { c.is_ascii_digit() })
        })
    };
    for line in out.lines().filter(|l| has_time(l)) {
        assert!(line.contains("+07:00"), "a time without its offset: {line:?}");
    }
    // No decomposed diacritics.
    assert!(!out.chars().any(|ch| ('\u{300}'..='\u{36f}').contains(&ch)), "decomposed diacritics in:\n{out}");
    if vi {
        // No English words outside names, file names and ETSI codes.
        let mut text = out.to_string();
        for code in [
            "TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE", "FORMAT_FAILURE", "HASH_FAILURE", "SIG_CRYPTO_FAILURE", "REVOKED_NO_POE", "REVOKED",
            "OUT_OF_BOUNDS_NO_POE", "NOT_YET_VALID", "NO_CERTIFICATE_CHAIN_FOUND", "CHAIN_CONSTRAINTS_FAILURE", "CRYPTO_CONSTRAINTS_FAILURE",
            "SIG_CONSTRAINTS_FAILURE", "NO_SIGNING_CERTIFICATE_FOUND", "TRY_LATER", "signing-certificate", "digitalSignature", "nonRepudiation",
            "Digital Signature, Non Repudiation", "Signature1", "Signature2", "Timestamp1",
        ] {
            text = text.replace(code, "");
        }
        let lower = text.to_lowercase();
        for word in [
            " the ", " of ", "signature", "certificate", "revoked", "valid", " not ", "checked", "warning", "signer", "result", "document",
            "reason", "english", "claimed", "chain:", "timestamp",
        ] {
            let line = lower.lines().find(|l| l.contains(word));
            assert!(line.is_none(), "English {word:?} in --lang vi: {line:?} in\n{out}");
        }
        assert!(!out.contains("(tiếng Anh)"), "an untranslated detail in:\n{out}");
    }
}

/// The signers in the order the human report lists them ("Người ký: …" lines).
fn listed_signers(out: &str) -> Vec<String> {
    out.lines().filter_map(|l| l.trim_start().strip_prefix("Người ký: ").map(str::to_string)).collect()
}

const PERSON: &str = "Trần Thị Bình — Giám đốc — Sở Y tế tỉnh Bắc Ninh";
const AGENCY: &str = "Sở Y tế tỉnh Bắc Ninh";

#[test]
fn passed_person_and_agency_in_both_languages() {
    let f = Fixture::new();
    f.sign("cv.txt", &[("units/so-y-te/person", 0), ("units/so-y-te/agency", 5)]);
    let (code, vi) = f.verify(&["cv.txt"]);
    assert_eq!(code, 0, "{vi}");
    check_report(&vi, true);
    check_snapshot("report-passed-vi", &vi);
    let (code, en) = f.verify(&["cv.txt", "--lang", "en"]);
    assert_eq!(code, 0, "{en}");
    check_report(&en, false);
    check_snapshot("report-passed-en", &en);
    // The facts DESIGN.md §1 asks for, in Vietnamese.
    for want in [
        "Kết quả: HỢP LỆ (TOTAL_PASSED)",
        &format!("Người ký: {PERSON}"),
        "Mã định danh: CCCD:027185000002",
        "Đơn vị: Sở Y tế tỉnh Bắc Ninh",
        "Tổ chức cấp chứng thư số (CA): CA Tỉnh Bắc Ninh — Sở Thông tin và Truyền thông tỉnh Bắc Ninh",
        "Thời điểm ký: ",
        "Tính toàn vẹn: nội dung còn nguyên vẹn",
        "Thời hạn chứng thư số: từ ",
        "còn hiệu lực tại thời điểm ký",
        "Tình trạng thu hồi: chưa bị thu hồi (đã kiểm tra CRL hoặc phản hồi OCSP)",
    ] {
        assert!(vi.contains(want), "missing {want:?} in:\n{vi}");
    }
    // Signing time 09:00 in Vietnam (02:00 UTC) of day one.
    let d = f.day.to_offset(time::UtcOffset::from_hms(7, 0, 0).unwrap());
    let when = format!("Thời điểm ký: {:02}/{:02}/{} 09:00:00 (+07:00)", d.day(), u8::from(d.month()), d.year());
    assert!(vi.contains(&when), "missing {when:?} in:\n{vi}");
    let when = format!("Signing time: {}-{:02}-{:02} 09:05:00 +07:00", d.year(), u8::from(d.month()), d.day());
    assert!(en.contains(&when), "missing {when:?} in:\n{en}");
    // No full DN in the default report; all of it under --verbose.
    assert!(!vi.contains("CN=") && !en.contains("CN="), "{vi}{en}");
    let (_, verbose) = f.verify(&["cv.txt", "--verbose"]);
    check_report(&verbose, true);
    assert!(verbose.contains("Tên đầy đủ (DN): C=VN, ST=Bắc Ninh, O=Sở Y tế tỉnh Bắc Ninh, title=Giám đốc, CN=Trần Thị Bình, uid=CCCD:027185000002"), "{verbose}");
    assert!(verbose.contains("Số hiệu chứng thư số: ") && verbose.contains("Các bước kiểm tra:") && verbose.contains("[đạt] Giá trị chữ ký: chữ ký ECDSA với SHA-256 đúng"), "{verbose}");
    let (_, verbose) = f.verify(&["cv.txt", "-v", "--lang", "en"]);
    check_report(&verbose, false);
    assert!(verbose.contains("Distinguished name: C=VN") && verbose.contains("[ok] Signature value: ECDSA with SHA-256 signature verifies"), "{verbose}");
}

#[test]
fn signatures_are_listed_in_signing_time_order_and_the_json_keeps_the_file_order() {
    let f = Fixture::new();
    let file_order = |name: &str| -> Vec<&'static str> {
        let v = f.json(&[name]);
        let sigs = v["documents"][0]["signatures"].as_array().unwrap().clone();
        sigs.iter().map(|s| if s["signer"]["subject"].as_str().unwrap().contains("title=") { PERSON } else { AGENCY }).collect()
    };
    // The person signs at 09:10 and the agency's signature is added at 09:05 (a clerk whose
    // clock is behind). The SignerInfos are a DER SET, sorted by their encoding, which depends
    // on the (random) ECDSA signature lengths: sign again until the file holds the person
    // first, i.e. not in signing-time order (each try has about even odds; 40 tries).
    let mut found = false;
    for _ in 0..40 {
        f.sign("b.txt", &[("units/so-y-te/person", 10), ("units/so-y-te/agency", 5)]);
        if file_order("b.txt") == [PERSON, AGENCY] {
            found = true;
            break;
        }
    }
    assert!(found, "never stored person-first in 40 tries");
    let (_, b) = f.verify(&["b.txt"]);
    assert_eq!(listed_signers(&b), [AGENCY, PERSON], "{b}");
    assert!(b.contains("Chữ ký 1/2: HỢP LỆ") && b.contains("Chữ ký 2/2: HỢP LỆ"), "{b}");
    assert!(b.contains("Số chữ ký: 2 (2 hợp lệ), liệt kê theo thời điểm ký"), "{b}");
    let (_, en) = f.verify(&["b.txt", "--lang", "en"]);
    let signers: Vec<&str> = en.lines().filter_map(|l| l.trim_start().strip_prefix("Signer: ")).collect();
    assert_eq!(signers, [AGENCY, PERSON], "{en}");
    // The usual order (person, then agency) is kept whatever the file order.
    f.sign("a.txt", &[("units/so-y-te/person", 0), ("units/so-y-te/agency", 5)]);
    let (_, a) = f.verify(&["a.txt"]);
    assert_eq!(listed_signers(&a), [PERSON, AGENCY], "{a}");
}

#[test]
fn failed_hash_revoked_expired_untrusted_and_unchecked_revocation() {
    let f = Fixture::new();
    f.sign("cv.txt", &[("units/so-y-te/person", 0), ("units/so-y-te/agency", 5)]);
    f.sign("rev.txt", &[("revoked/person", 0)]);
    f.sign("changed.txt", &[("units/so-y-te/person", 0)]);
    let mut doc = std::fs::read(f.path("changed.txt")).unwrap();
    doc.extend_from_slice("Một dòng thêm vào sau khi ký.\n".as_bytes());
    std::fs::write(f.path("changed.txt"), doc).unwrap();

    // A document changed after signing.
    let (code, out) = f.verify(&["changed.txt"]);
    assert_eq!(code, 1);
    check_report(&out, true);
    check_snapshot("report-hash-vi", &out);
    assert!(out.contains("Lý do: HASH_FAILURE — giá trị băm của tài liệu không khớp") && out.contains("Tính toàn vẹn: nội dung ĐÃ BỊ THAY ĐỔI sau khi ký"), "{out}");
    let (_, out) = f.verify(&["changed.txt", "--lang", "en"]);
    check_report(&out, false);
    assert!(out.contains("Result: INVALID (TOTAL_FAILED)") && out.contains("Integrity: MODIFIED after signing"), "{out}");

    // A revoked signer: when and why.
    let (code, out) = f.verify(&["rev.txt"]);
    assert_eq!(code, 1);
    check_report(&out, true);
    check_snapshot("report-revoked-vi", &out);
    assert!(out.contains("Người ký: Phạm Văn Cường — Phó Giám đốc — Sở Y tế tỉnh Bắc Ninh"), "{out}");
    assert!(out.contains("Tình trạng thu hồi: ĐÃ BỊ THU HỒI — bị thu hồi lúc ") && out.contains("lý do: lộ khóa bí mật (keyCompromise)"), "{out}");
    let (_, out) = f.verify(&["rev.txt", "--lang", "en"]);
    check_report(&out, false);
    check_snapshot("report-revoked-en", &out);
    assert!(out.contains("Revocation: REVOKED — revoked at ") && out.contains("reason: keyCompromise"), "{out}");

    // Expired at the validation time (six years later), no proof of existence.
    let later = rfc3339(f.day + Duration::days(6 * 366));
    let (code, out) = f.verify(&["cv.txt", "--at", &later]);
    assert_eq!(code, 3);
    check_report(&out, true);
    check_snapshot("report-expired-vi", &out);
    assert!(out.contains("Lý do: OUT_OF_BOUNDS_NO_POE") && out.contains("Chi tiết: chứng thư số Trần Thị Bình đã hết hạn lúc "), "{out}");
    assert!(out.contains("Tình trạng thu hồi: không kiểm tra (không xác lập được chuỗi chứng thư tới CA tin cậy)"), "{out}");

    // Another trust anchor: no path.
    let tsa = ex("tsa/tsa.pem");
    let (code, out) = f.verify(&["cv.txt", "--trust", s(&tsa), "--lang", "en"]);
    assert_eq!(code, 3);
    check_report(&out, false);
    check_snapshot("report-untrusted-en", &out);
    assert!(out.contains("Result: INDETERMINATE\n") && out.contains("Reason: NO_CERTIFICATE_CHAIN_FOUND"), "{out}");
    // Names that no trusted CA vouches for are marked as such.
    assert!(out.contains(&format!("Signer: {PERSON} (unverified)")) && out.contains("Issuing CA: CA Tỉnh Bắc Ninh — Sở Thông tin và Truyền thông tỉnh Bắc Ninh (unverified)"), "{out}");
    let (_, out) = f.verify(&["cv.txt", "--trust", s(&tsa)]);
    check_report(&out, true);
    assert!(out.contains(&format!("Người ký: {PERSON} (chưa xác thực)")), "{out}");

    // No CRL, offline: the status of both certificates is unknown, so INDETERMINATE/TRY_LATER
    // (the default from wave 3); the report names each certificate, where kyso looked (each
    // fetch, here not attempted) and what to give.
    let root = ex("root.pem");
    let (code, out) = f.verify(&["cv.txt", "--trust", s(&root), "--offline"]);
    assert_eq!(code, 3, "{out}");
    check_report(&out, true);
    check_snapshot("report-no-crl-vi", &out);
    assert!(out.contains("TRY_LATER"), "{out}");
    for want in [
        "không có CRL hoặc phản hồi OCSP dùng được cho Trần Thị Bình",
        "http://ca.bacninh.example/crl/ca.crl: không tải (đang làm việc ngoại tuyến)",
        "hãy cung cấp CRL của CA Tỉnh Bắc Ninh (công bố tại http://ca.bacninh.example/crl/ca.crl)",
        "không có CRL hoặc phản hồi OCSP dùng được cho CA Tỉnh Bắc Ninh",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    let (code, out) = f.verify(&["cv.txt", "--trust", s(&root), "--offline", "--lang", "en"]);
    assert_eq!(code, 3, "{out}");
    for want in [
        "no usable CRL or OCSP response for Trần Thị Bình",
        "looked at: http://ca.bacninh.example/crl/ca.crl: not fetched (working offline)",
        "to check it, give the CRL of CA Tỉnh Bắc Ninh (published at http://ca.bacninh.example/crl/ca.crl)",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    // --revocation warn (offline triage): valid, but never VALID alone, both languages.
    let (code, out) = f.verify(&["cv.txt", "--trust", s(&root), "--offline", "--revocation", "warn"]);
    assert_eq!(code, 0);
    check_report(&out, true);
    assert!(out.contains("HỢP LỆ (TOTAL_PASSED) — CHƯA KIỂM TRA tình trạng thu hồi — có 1 cảnh báo, xem cuối mục"), "{out}");
    assert!(out.contains("Kết quả: HỢP LỆ (TOTAL_PASSED) — CHƯA KIỂM TRA tình trạng thu hồi\n"), "{out}");
    assert!(out.contains("Cảnh báo: chưa kiểm tra được tình trạng thu hồi: không có CRL hoặc phản hồi OCSP dùng được cho Trần Thị Bình"), "{out}");
    let (_, out) = f.verify(&["cv.txt", "--trust", s(&root), "--offline", "--revocation", "warn", "--lang", "en"]);
    check_report(&out, false);
    assert!(out.contains("Result: VALID (TOTAL_PASSED) — revocation NOT CHECKED\n"), "{out}");
    assert!(out.contains("Warning: revocation not checked: no usable CRL or OCSP response for Trần Thị Bình"), "{out}");
    // The warning comes after the facts.
    let warn = out.find("Warning:").unwrap();
    assert!(out.find("Revocation:").unwrap() < warn && out.find("Signer:").unwrap() < warn, "{out}");

    // A batch: one block per document, then the summary.
    let (code, out) = f.verify(&["cv.txt", "changed.txt", "rev.txt"]);
    assert_eq!(code, 1);
    check_report(&out, true);
    check_snapshot("report-batch-vi", &out);
    assert!(out.ends_with("Tổng hợp: 3 tài liệu — 1 HỢP LỆ, 2 KHÔNG HỢP LỆ, 0 CHƯA XÁC ĐỊNH ĐƯỢC\n"), "{out}");
}

#[test]
fn crafted_names_cannot_forge_report_lines() {
    // The document's name is printed: a line break in it must not start a line of the report.
    let f = Fixture::new();
    f.sign("cv.txt", &[("units/so-y-te/person", 0)]);
    let name = "x\nKết quả: HỢP LỆ (TOTAL_PASSED)\u{202e}.txt";
    std::fs::copy(f.path("cv.txt"), f.path(name)).unwrap();
    std::fs::copy(f.path("cv.txt.p7s"), f.path(&format!("{name}.p7s"))).unwrap();
    std::fs::write(f.path(name), "changed").unwrap();
    let (code, out) = f.verify(&[name]);
    assert_eq!(code, 1, "{out}");
    assert!(out.starts_with("Tài liệu: x\u{fffd}Kết quả: HỢP LỆ (TOTAL_PASSED)\u{fffd}.txt\nKết quả: KHÔNG HỢP LỆ (TOTAL_FAILED)\n"), "{out}");
    assert!(!out.lines().any(|l| l == "Kết quả: HỢP LỆ (TOTAL_PASSED)"), "{out}");
}

#[test]
fn json_output_is_unchanged_by_the_human_rendering() {
    // The JSON keeps DESIGN.md §3's fields and RFC 3339 UTC times, plus the machine-readable
    // fields added beside them (warning codes; the signer's name parts); the rendering-only
    // facts (revocation status for rendering) stay out of it.
    let f = Fixture::new();
    f.sign("cv.txt", &[("units/so-y-te/person", 0)]);
    let v = f.json(&["cv.txt"]);
    let sig = &v["documents"][0]["signatures"][0];
    let mut keys: Vec<&str> = sig.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "certificate", "chain", "checks", "digest_algorithm", "indication", "poe_time", "poe_used", "signature_algorithm", "signer", "signing_time",
            "sub_indication", "timestamps", "verdict_time", "warning_codes", "warnings"
        ]
    );
    let mut signer: Vec<&str> = sig["signer"].as_object().unwrap().keys().map(String::as_str).collect();
    signer.sort_unstable();
    assert_eq!(signer, ["common_name", "identifier", "issuer", "organization", "organizational_unit", "serial", "subject", "title"]);
    assert_eq!(sig["signer"]["common_name"], "Trần Thị Bình");
    assert_eq!(sig["signer"]["title"], "Giám đốc");
    for c in sig["checks"].as_array().unwrap() {
        assert!(c["code"].as_str().is_some_and(|s| !s.is_empty()), "{c}");
    }
    assert_eq!(sig["signing_time"].as_str().unwrap(), rfc3339(f.day));
    assert!(sig["signing_time"].as_str().unwrap().ends_with('Z'));
    assert!(sig["signer"]["subject"].as_str().unwrap().starts_with("C=VN, ST=Bắc Ninh, O=Sở Y tế tỉnh Bắc Ninh, title=Giám đốc, CN=Trần Thị Bình"));
}

#[test]
fn the_readme_sample_is_the_snapshot() {
    // The README's sample report is a cut of tests/snapshots/report-passed-vi.txt and
    // report-revoked-en.txt: it must not drift from what kyso prints.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let passed = std::fs::read_to_string(root.join("tests/snapshots/report-passed-vi.txt")).unwrap();
    let head: Vec<&str> = passed.lines().take_while(|l| !l.starts_with("    Mã định danh: MNS:")).collect();
    assert!(head.len() > 15, "{passed}");
    assert!(readme.contains(&head.join("\n")), "README.md's sample differs from report-passed-vi.txt:\n{}", head.join("\n"));
    let revoked = std::fs::read_to_string(root.join("tests/snapshots/report-revoked-en.txt")).unwrap();
    for l in revoked.lines().filter(|l| l.contains("Signature 1/1") || l.contains("Reason:") || l.contains("Signer:") || l.contains("Revocation:")) {
        assert!(readme.contains(l), "README.md lacks {l:?} of report-revoked-en.txt");
    }
}

#[test]
fn pdf_with_person_and_agency_signatures_in_both_languages() {
    // The PDF path of the report: signed with the CLI (the signing time is now), so only
    // properties are asserted, not a snapshot.
    let d = tempfile::tempdir().unwrap();
    let pass = fresh("passphrase.txt");
    let sign = |stem: &str, extra: &[&str]| {
        let cert = fresh(&format!("{stem}.pem"));
        let key = fresh(&format!("{stem}.key"));
        let chain = fresh("chain.pem");
        let mut args = vec!["sign", "--pades", "--cert", s(&cert), "--key", s(&key), "--chain", s(&chain), "--pass-file", s(&pass)];
        args.extend_from_slice(extra);
        let (code, _, err) = summary(&run(d.path(), &args));
        assert_eq!(code, 0, "{err}");
    };
    let input = fresh("pdf/cong-van.pdf");
    sign("units/so-y-te/person", &["--appearance", "none", "--out", "cv.pdf", s(&input)]);
    std::thread::sleep(std::time::Duration::from_millis(1100));
    sign("units/so-y-te/agency", &["--appearance", "none", "--in-place", "cv.pdf"]);
    let root = fresh("root.pem");
    let crl = fresh("crl.pem");
    for (lang, verbose) in [("vi", false), ("vi", true), ("en", false), ("en", true)] {
        let mut args = vec!["verify", "cv.pdf", "--trust", s(&root), "--crl", s(&crl), "--lang", lang];
        if verbose {
            args.push("--verbose");
        }
        let (code, out, err) = summary(&run(d.path(), &args));
        assert_eq!(code, 0, "{out}{err}");
        check_report(&out, lang == "vi");
        let signers: Vec<&str> = out.lines().filter_map(|l| l.trim_start().strip_prefix(if lang == "vi" { "Người ký: " } else { "Signer: " })).collect();
        assert_eq!(signers, [PERSON, AGENCY], "{out}");
        let want = if lang == "vi" {
            ["Trường chữ ký: Signature1", "Phiên bản được ký: 2 trên 3", "Thay đổi sau khi ký: không có (chữ ký bao trùm toàn bộ tệp)"]
        } else {
            ["Signature field: Signature1", "Signed revision: 2 of 3", "Changes after signing: none (the signature covers the whole file)"]
        };
        for w in want {
            assert!(out.contains(w), "{lang}: missing {w:?} in\n{out}");
        }
        if verbose && lang == "vi" {
            assert!(out.contains("[đạt] Trường chữ ký PDF: trường \"Signature1\", phiên bản 2 trên 3, không bao trùm toàn bộ tệp"), "{out}");
        }
    }
}

#[test]
fn cert_verify_human_output_in_both_languages() {
    let f = Fixture::new();
    let at = rfc3339(f.day);
    let (cert, root, chain, crl) = (ex("revoked/person.pem"), ex("root.pem"), ex("chain.pem"), ex("crl.pem"));
    let args = ["cert", "verify", s(&cert), "--trust", s(&root), "--chain", s(&chain), "--crl", s(&crl), "--at", &at];
    let (code, vi, _) = summary(&run(f.dir.path(), &args));
    assert_eq!(code, 1, "{vi}");
    check_report(&vi, true);
    check_snapshot("report-cert-revoked-vi", &vi);
    assert!(vi.contains("Chi tiết: bị thu hồi lúc ") && vi.contains("[KHÔNG ĐẠT] Tình trạng thu hồi: ") && vi.contains("Chứng thư số: Phạm Văn Cường"), "{vi}");
    let mut en_args = args.to_vec();
    en_args.extend_from_slice(&["--lang", "en"]);
    let (code, en, _) = summary(&run(f.dir.path(), &en_args));
    assert_eq!(code, 1, "{en}");
    check_report(&en, false);
    check_snapshot("report-cert-revoked-en", &en);
    assert!(en.contains("[FAILED] Revocation: revoked at ") && en.contains("reason: keyCompromise"), "{en}");
    // Without a path to the anchor, the name is marked as unverified.
    let tsa = ex("tsa/tsa.pem");
    let (code, vi, _) = summary(&run(f.dir.path(), &["cert", "verify", s(&cert), "--trust", s(&tsa), "--at", &at]));
    assert_eq!(code, 3, "{vi}");
    check_report(&vi, true);
    assert!(vi.contains("Chứng thư số: Phạm Văn Cường (chưa xác thực)") && vi.contains("Lý do: NO_CERTIFICATE_CHAIN_FOUND"), "{vi}");
}

#[test]
fn timestamps_and_a_pdf_document_timestamp_in_both_languages() {
    // A PAdES-B-T signature by the person, then a document timestamp over the whole PDF, from
    // certs-example's TSA (signing times are now: properties only).
    let d = tempfile::tempdir().unwrap();
    let (pass, chain, root, crl) = (fresh("passphrase.txt"), fresh("chain.pem"), fresh("root.pem"), fresh("crl.pem"));
    let server = crate::tsa::Server::start_with(&fresh("tsa/tsa.pem"), &fresh("tsa/tsa.key"), &chain, &["--pass-file", s(&pass)]);
    let (cert, key, input) = (fresh("units/so-y-te/person.pem"), fresh("units/so-y-te/person.key"), fresh("pdf/cong-van.pdf"));
    let sign = [
        "sign", "--pades", "--cert", s(&cert), "--key", s(&key), "--chain", s(&chain), "--pass-file", s(&pass), "--appearance", "none", "--tsa", &server.url,
        "--tsa-trust", s(&root), "--out", "bt.pdf", s(&input),
    ];
    let (code, _, err) = summary(&run(d.path(), &sign));
    assert_eq!(code, 0, "{err}");
    std::thread::sleep(std::time::Duration::from_millis(1100));
    let (code, _, err) = summary(&run(d.path(), &["timestamp", "--tsa", &server.url, "--tsa-trust", s(&root), "--out", "lta.pdf", "bt.pdf"]));
    assert_eq!(code, 0, "{err}");
    assert_eq!(server.terminate().0, Some(0));
    for (lang, verbose) in [("vi", false), ("vi", true), ("en", false)] {
        let mut args = vec!["verify", "lta.pdf", "--trust", s(&root), "--crl", s(&crl), "--lang", lang];
        if verbose {
            args.push("-v");
        }
        let (code, out, err) = summary(&run(d.path(), &args));
        assert_eq!(code, 0, "{out}{err}");
        check_report(&out, lang == "vi");
        let (second, wants) = if lang == "vi" {
            let second = out.split("Chữ ký 2/2").nth(1).unwrap_or_default().to_string();
            (
                second,
                [
                    "Chữ ký 1/2: HỢP LỆ (TOTAL_PASSED)",
                    " — TSA Tỉnh Bắc Ninh (hợp lệ, TSA được tin cậy)",
                    "Chữ ký 2/2 (dấu thời gian cho tài liệu): HỢP LỆ (TOTAL_PASSED)",
                    "Đơn vị cấp dấu thời gian (TSA): TSA Tỉnh Bắc Ninh — Sở Thông tin và Truyền thông tỉnh Bắc Ninh",
                ],
            )
        } else {
            let second = out.split("Signature 2/2").nth(1).unwrap_or_default().to_string();
            (
                second,
                [
                    "Signature 1/2: VALID (TOTAL_PASSED)",
                    " — TSA Tỉnh Bắc Ninh (valid, trusted TSA)",
                    "Signature 2/2 (document timestamp): VALID (TOTAL_PASSED)",
                    "Timestamping authority (TSA): TSA Tỉnh Bắc Ninh — Sở Thông tin và Truyền thông tỉnh Bắc Ninh",
                ],
            )
        };
        for w in wants {
            assert!(out.contains(w), "{lang}: missing {w:?} in\n{out}");
        }
        // The document timestamp's block: its integrity is known, it has no claimed signing time.
        assert!(second.contains(if lang == "vi" { "Tính toàn vẹn: nội dung còn nguyên vẹn" } else { "Integrity: intact" }), "{out}");
        assert!(!second.contains("Thời điểm ký:") && !second.contains("Signing time:") && !second.contains("chưa xác thực"), "{out}");
    }
}
