//! The real-world corpus (issue 15): signed files that no one here wrote — public test suites of
//! other validators (EU DSS, pyHanko, NIST PKITS), sample files of signing tools (endesive) and
//! documents attached to public bug reports (pdf.js) — in tests/corpus/, one row per `kyso verify`
//! run in tests/corpus/MANIFEST.tsv (origin, licence, trust anchors, validation time, policy, the
//! oracles' verdict, the expected ETSI verdict, kyso's verdict today). tests/corpus/README.md says
//! how the expected verdicts follow from the oracles.
//!
//! `real_world_corpus_verdicts` (plain `cargo test`, needs only kyso): every row without `xfail`
//! must give its expected verdict; a row with `xfail` (a known issue-15 bug, named) must still fail
//! exactly as recorded in `kyso_today` — when a fix makes it give the expected verdict the test fails
//! and says which row to update, so a fix is noticed and the row becomes a regression test.
//!
//! After a deliberate change, `KYSO_BLESS=1 cargo test --test it corpus` rewrites `kyso_today` for
//! the rows that changed and clears `xfail` for the rows that now give the expected verdict (the
//! `expected` column is never touched); review the diff in git.
//!
//! `corpus_oracles_agree_with_manifest` (#[ignore]d, run by .ci/run): re-runs the oracles
//! (tests/corpus/oracle.py: pyHanko's API and the OpenSSL CLI) and checks that the manifest's
//! `oracle_verdict` column is still what they say; it fails when pyHanko or OpenSSL is missing.

use rayon::prelude::*;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

const COLUMNS: [&str; 13] =
    ["id", "file", "content", "trust", "at", "policy", "oracle_verdict", "expected", "kyso_today", "xfail", "licence", "origin", "note"];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// One manifest row, by column name.
struct Row(BTreeMap<&'static str, String>);

impl Row {
    fn get(&self, col: &str) -> &str {
        self.0.get(col).map(String::as_str).unwrap_or_else(|| panic!("no column {col}"))
    }
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(corpus().join("MANIFEST.tsv")).expect("tests/corpus/MANIFEST.tsv");
    let mut lines = text.lines().filter(|l| !l.starts_with('#'));
    let header: Vec<&str> = lines.next().expect("a header line").split('\t').collect();
    assert_eq!(header, COLUMNS, "MANIFEST.tsv columns");
    lines
        .enumerate()
        .map(|(i, line)| {
            let cells: Vec<&str> = line.split('\t').collect();
            assert_eq!(cells.len(), COLUMNS.len(), "MANIFEST.tsv data line {}: {} cells", i + 1, cells.len());
            Row(COLUMNS.iter().copied().zip(cells.iter().map(|c| c.to_string())).collect())
        })
        .collect()
}

/// Runs `kyso verify` for a row; the verdict as `DOC | name=IND[/SUB] ; …` (PDF signatures are named
/// by their field, CMS signers `#1`, `#2`, …; whitespace runs collapsed), or `exitN` when kyso
/// printed no report. Also checks that the exit code agrees with the document's indication.
fn kyso_verdict(row: &Row) -> String {
    let dir = corpus();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kyso"));
    cmd.arg("verify");
    if row.get("content") == "-" {
        cmd.arg(dir.join(row.get("file")));
    } else {
        cmd.arg(dir.join(row.get("content"))).arg("--sig").arg(dir.join(row.get("file")));
    }
    // No root of the file's chains is known: an unrelated anchor, so that the path check fails
    // with NO_CERTIFICATE_CHAIN_FOUND rather than the run stopping for want of --trust.
    let trust = match row.get("trust") {
        "-" => vec!["roots/unrelated-anchor.pem"],
        t => t.split(',').collect(),
    };
    for t in trust {
        cmd.arg("--trust").arg(dir.join(t));
    }
    cmd.args(["--at", row.get("at"), "--revocation", "off", "--policy", row.get("policy"), "--json", "--lang", "en"]);
    let out = cmd.output().expect("run kyso");
    let code = out.status.code().unwrap_or(-1);
    let Ok(report) = serde_json::from_slice::<Value>(&out.stdout) else {
        return format!("exit{code}");
    };
    let ind = |v: &Value| match v["sub_indication"].as_str() {
        Some(sub) => format!("{}/{sub}", v["indication"].as_str().unwrap_or("?")),
        None => v["indication"].as_str().unwrap_or("?").to_string(),
    };
    let doc = &report["documents"][0];
    let want_code = match doc["indication"].as_str() {
        Some("TOTAL_PASSED") => 0,
        Some("TOTAL_FAILED") => 1,
        Some("INDETERMINATE") => 3,
        other => panic!("{}: indication {other:?}", row.get("id")),
    };
    assert_eq!(code, want_code, "{}: exit code and JSON indication disagree", row.get("id"));
    let sigs: Vec<String> = doc["signatures"]
        .as_array()
        .map(|a| {
            a.iter()
                .enumerate()
                .map(|(i, s)| {
                    let name = s["field_name"].as_str().map(|n| n.split_whitespace().collect::<Vec<_>>().join(" "));
                    format!("{}={}", name.unwrap_or_else(|| format!("#{}", i + 1)), ind(s))
                })
                .collect()
        })
        .unwrap_or_default();
    let sigs = if sigs.is_empty() { "(none)".to_string() } else { sigs.join(" ; ") };
    format!("{} | {sigs}", ind(doc))
}

/// `IND[/SUB]` against a pattern: a literal, or `{A|B|…}` alternatives (used where several
/// INDETERMINATE reasons apply at once and which one ranks first is kyso's choice).
fn element_matches(pattern: &str, value: &str) -> bool {
    match pattern.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
        Some(alts) => alts.split('|').any(|a| a == value),
        None => pattern == value,
    }
}

/// A whole verdict against an expected pattern: the document's verdict, then every signature in
/// order, by name.
fn verdict_matches(pattern: &str, value: &str) -> bool {
    let (Some((pd, ps)), Some((vd, vs))) = (pattern.split_once(" | "), value.split_once(" | ")) else {
        return pattern == value;
    };
    let (p, v): (Vec<&str>, Vec<&str>) = (ps.split(" ; ").collect(), vs.split(" ; ").collect());
    element_matches(pd, vd)
        && p.len() == v.len()
        && p.iter().zip(&v).all(|(p, v)| match (p.rsplit_once('='), v.rsplit_once('=')) {
            (Some((pn, pv)), Some((vn, vv))) => pn == vn && element_matches(pv, vv),
            _ => p == v,
        })
}

#[test]
fn verdict_patterns() {
    let v = "INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND | Sig1=TOTAL_PASSED ; a=b / c=INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND";
    assert!(verdict_matches(v, v));
    assert!(verdict_matches(
        "{INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND|TOTAL_PASSED} | Sig1=TOTAL_PASSED ; a=b / c={INDETERMINATE/X|INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND}",
        v
    ));
    assert!(!verdict_matches("INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND | Sig1=TOTAL_PASSED", v), "a signature fewer");
    assert!(!verdict_matches("INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND | Sig2=TOTAL_PASSED ; a=b / c=INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND", v));
    assert!(!verdict_matches("TOTAL_PASSED | Sig1=TOTAL_PASSED ; a=b / c=INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND", v));
    assert!(!verdict_matches("{TOTAL_PASSED|TOTAL_FAILED} | Sig1=TOTAL_PASSED ; a=b / c=INDETERMINATE/NO_CERTIFICATE_CHAIN_FOUND", v));
    assert!(verdict_matches("exit2", "exit2") && !verdict_matches("exit2", v) && !verdict_matches(v, "exit2"));
}

/// The manifest itself: unique ids, files present, at least 30 distinct signed files from at least
/// three sources, every row's origin and licence noted, and the recorded verdicts consistent with
/// the xfail column (a row that is not xfail was recorded agreeing; an xfail row disagreeing).
#[test]
fn corpus_manifest_is_complete() {
    let rows = manifest();
    let dir = corpus();
    let mut ids = BTreeSet::new();
    let mut files = BTreeSet::new();
    let mut sources = BTreeSet::new();
    for r in &rows {
        let id = r.get("id");
        assert!(ids.insert(id.to_string()), "duplicate id {id}");
        assert!(dir.join(r.get("file")).is_file(), "{id}: {} missing", r.get("file"));
        if r.get("content") != "-" {
            assert!(dir.join(r.get("content")).is_file(), "{id}: content {} missing", r.get("content"));
        }
        if r.get("trust") != "-" {
            for t in r.get("trust").split(',') {
                assert!(dir.join(t).is_file(), "{id}: trust anchor {t} missing");
            }
        }
        assert!(time::OffsetDateTime::parse(r.get("at"), &time::format_description::well_known::Rfc3339).is_ok(), "{id}: at");
        assert!(matches!(r.get("policy"), "strict" | "legacy"), "{id}: policy");
        for col in ["oracle_verdict", "expected", "kyso_today", "licence", "origin", "note"] {
            assert!(!r.get(col).trim().is_empty(), "{id}: empty {col}");
        }
        let agrees = verdict_matches(r.get("expected"), r.get("kyso_today"));
        assert_eq!(agrees, r.get("xfail").is_empty(), "{id}: kyso_today vs expected vs xfail inconsistent");
        files.insert(r.get("file").to_string());
        sources.insert(r.get("file").split('/').next().unwrap_or("").to_string());
    }
    assert!(files.len() >= 30, "only {} distinct files", files.len());
    assert!(sources.len() >= 3, "sources: {sources:?}");
}

#[test]
fn real_world_corpus_verdicts() {
    let rows = manifest();
    let results: Vec<(String, String)> = rows.par_iter().map(|r| (r.get("id").to_string(), kyso_verdict(r))).collect();
    let mut problems = Vec::new();
    let (mut agreeing, mut known) = (0, 0);
    for (r, (id, actual)) in rows.iter().zip(&results) {
        let (expected, today, xfail) = (r.get("expected"), r.get("kyso_today"), r.get("xfail"));
        if xfail.is_empty() {
            if verdict_matches(expected, actual) {
                agreeing += 1;
            } else {
                problems.push(format!("{id}: expected {expected}\n    got      {actual}"));
            }
        } else if verdict_matches(expected, actual) {
            problems.push(format!(
                "{id}: now gives the expected verdict ({actual}) — the known bug \"{xfail}\" looks fixed: clear the row's xfail and set kyso_today"
            ));
        } else if actual != today {
            problems.push(format!(
                "{id} (xfail: {xfail}): still not the expected {expected}, but it changed\n    recorded {today}\n    now      {actual}\n    (update kyso_today if this is still the known bug)"
            ));
        } else {
            known += 1;
        }
    }
    if std::env::var_os("KYSO_BLESS").is_some() && !problems.is_empty() {
        bless(&rows, &results);
        eprintln!("corpus: MANIFEST.tsv updated for {} rows; review the diff", problems.len());
        return;
    }
    assert!(problems.is_empty(), "{} of {} corpus rows changed:\n{}", problems.len(), rows.len(), problems.join("\n"));
    assert_eq!(agreeing + known, rows.len());
    eprintln!("corpus: {agreeing} rows as expected, {known} known issue-15 failures (xfail)");
}

/// Rewrites MANIFEST.tsv with kyso's verdicts of this run: `kyso_today` set, `xfail` cleared where
/// the row now gives the expected verdict (kept otherwise). Comment lines are kept in place.
fn bless(rows: &[Row], results: &[(String, String)]) {
    let path = corpus().join("MANIFEST.tsv");
    let text = std::fs::read_to_string(&path).unwrap();
    let by_id: BTreeMap<&str, &str> = results.iter().map(|(id, v)| (id.as_str(), v.as_str())).collect();
    let col = |name: &str| COLUMNS.iter().position(|c| *c == name).unwrap();
    let mut out = String::new();
    let mut header_seen = false;
    for line in text.lines() {
        if line.starts_with('#') || !header_seen {
            header_seen |= !line.starts_with('#');
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let mut cells: Vec<String> = line.split('\t').map(str::to_string).collect();
        if let Some(actual) = by_id.get(cells[col("id")].as_str()) {
            cells[col("kyso_today")] = actual.to_string();
            if verdict_matches(&cells[col("expected")], actual) {
                cells[col("xfail")].clear();
            }
        }
        out.push_str(&cells.join("\t"));
        out.push('\n');
    }
    assert_eq!(rows.len(), results.len());
    std::fs::write(&path, out).unwrap();
}

/// The Python beside $PYHANKO (the CI venv), else python3 on PATH.
fn python() -> Command {
    let exe = std::env::var("PYHANKO")
        .ok()
        .map(|p| Path::new(&p).with_file_name("python3"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| PathBuf::from("python3"));
    Command::new(exe)
}

#[test]
#[ignore = "needs pyHanko 0.38 (pip install pyhanko==0.38.0 pyhanko-cli==0.6.0; $PYHANKO's venv) and openssl; run by .ci/run with --ignored"]
fn corpus_oracles_agree_with_manifest() {
    let probe = python().args(["-c", "import importlib.metadata as m, pyhanko_certvalidator; print(m.version('pyhanko'))"]).output();
    let probe = probe.expect("python3 must be installed");
    assert!(probe.status.success(), "pyHanko is required (pip install pyhanko==0.38.0 pyhanko-cli==0.6.0, or set PYHANKO): {}", String::from_utf8_lossy(&probe.stderr));
    // The recorded verdicts (error messages included) are pyHanko 0.38's, the version .ci/run installs.
    let version = String::from_utf8_lossy(&probe.stdout).trim().to_string();
    assert!(version.starts_with("0.38."), "the manifest records pyHanko 0.38's verdicts; this is pyHanko {version}");
    assert!(Command::new("openssl").arg("version").output().is_ok_and(|o| o.status.success()), "openssl is required");
    let dir = corpus();
    let out = python().arg(dir.join("oracle.py")).arg(dir.join("MANIFEST.tsv")).output().expect("run oracle.py");
    assert!(out.status.success(), "oracle.py failed:\n{}", String::from_utf8_lossy(&out.stderr));
    let said: BTreeMap<String, String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('\t'))
        .map(|(id, v)| (id.to_string(), v.to_string()))
        .collect();
    let rows = manifest();
    let mut problems = Vec::new();
    for r in &rows {
        let id = r.get("id");
        match said.get(id) {
            None => problems.push(format!("{id}: no oracle verdict")),
            Some(v) if v != r.get("oracle_verdict") => {
                problems.push(format!("{id}:\n    manifest {}\n    oracles  {v}", r.get("oracle_verdict")))
            }
            Some(_) => {}
        }
    }
    assert_eq!(said.len(), rows.len(), "oracle.py printed {} verdicts for {} rows", said.len(), rows.len());
    assert!(problems.is_empty(), "the oracles no longer say what MANIFEST.tsv records:\n{}", problems.join("\n"));
}

/// `kyso verify FILE --trust ROOT… --at AT --revocation off --json` on a corpus file (paths
/// relative to tests/corpus/): the JSON report.
fn corpus_report(file: &str, roots: &[&str], at: &str) -> Value {
    let dir = corpus();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_kyso"));
    cmd.arg("verify").arg(dir.join(file));
    for r in roots {
        cmd.arg("--trust").arg(dir.join(r));
    }
    let out = cmd.args(["--at", at, "--revocation", "off", "--json", "--lang", "en"]).output().expect("run kyso");
    serde_json::from_slice(&out.stdout).expect("JSON report")
}

/// dss/DSS-2821.pdf (row dss-2821): the changes after its document timestamp include a refused
/// one (a /StructTreeRoot entry of the catalog), and its signature is followed by /DSS and /Info
/// updates in cross-reference-stream revisions. pyHanko (the row's oracle column: OTHER, then
/// LTA_UPDATES) and DSS's own test (undefined changes for the timestamp only) allow what follows
/// the signature. kyso used to count each cross-reference stream's /Info reference as a document
/// reference once a refused revision made it carry every new object's references, so the
/// signature's later in-place /Info update looked like a change to a shared object.
#[test]
fn dss_2821_info_updates_after_a_refused_revision_are_allowed() {
    let report = corpus_report(
        "dss/DSS-2821.pdf",
        &["roots/QuoVadis-Root-CA-1-G3-1b8eea57.pem", "roots/Entrust-net-Certification-Authority-2048-50300609.pem"],
        "2022-08-04T12:00:00Z",
    );
    let sigs = report["documents"][0]["signatures"].as_array().expect("signatures");
    let by_field = |f: &str| sigs.iter().find(|s| s["field_name"] == f).unwrap_or_else(|| panic!("no signature {f}: {sigs:?}"));
    let signature = by_field("6831d54d-907d-4ddc-8d58-94a6ac69697b");
    assert_eq!(signature["modifications"], "signatures_and_form_filling", "{signature}");
    let timestamp = by_field("Signature1");
    assert_eq!(timestamp["modifications"], "other", "{timestamp}");
    let refused: Vec<&str> = timestamp["checks"].as_array().unwrap().iter().filter(|c| c["name"] == "pdf_modifications").filter_map(|c| c["detail"].as_str()).collect();
    assert!(refused.iter().any(|d| d.contains("/StructTreeRoot")) && !refused.iter().any(|d| d.contains("object 5 0")), "{refused:?}");
}

/// dss/DSS-2155.pdf (row dss-2155): 242 non-zero bytes follow the CMS inside /Contents, before
/// the zero padding. The CMS is read as DSS, pyHanko and OpenSSL read it (the first element):
/// its signature verifies (OpenSSL agrees: the row's oracle column), and the stray bytes are a
/// warning, not a FORMAT_FAILURE. The same bytes in a detached `.p7s` stay an error.
#[test]
fn dss_2155_stray_bytes_after_the_cms_are_a_warning() {
    let dir = corpus();
    let run = |args: &[&std::ffi::OsStr]| {
        let out = Command::new(env!("CARGO_BIN_EXE_kyso")).arg("verify").args(args).args(["--revocation", "off", "--json", "--lang", "en"]).output().expect("run kyso");
        serde_json::from_slice::<Value>(&out.stdout).expect("JSON report")
    };
    let pdf = dir.join("dss/DSS-2155.pdf");
    let root = dir.join("roots/test-nsdl-com-ea067492.pem");
    let report = run(&[pdf.as_os_str(), "--trust".as_ref(), root.as_os_str(), "--at".as_ref(), "2020-07-24T12:00:00Z".as_ref()]);
    let sig = &report["documents"][0]["signatures"][0];
    let check = |name: &str| sig["checks"].as_array().unwrap().iter().find(|c| c["name"] == name).map(|c| c["status"].as_str().unwrap_or("").to_string());
    assert_eq!(check("signature").as_deref(), Some("passed"), "{sig}");
    assert_eq!(check("message_digest").as_deref(), Some("passed"), "{sig}");
    assert!(sig["warning_codes"].as_array().unwrap().iter().any(|c| c == "pdf_contents_trailing_bytes"), "{sig}");
    assert!(sig["warnings"].as_array().unwrap().iter().any(|w| w.as_str().is_some_and(|w| w.contains("holds 242 bytes after the CMS"))), "{sig}");
    // Its signature timestamp has a SHA-1 imprint, refused under `strict` before its time and TSA
    // count: the text report says they were not verified (it said "unreadable").
    let text = Command::new(env!("CARGO_BIN_EXE_kyso")).arg("verify").arg(&pdf).arg("--trust").arg(&root).args(["--at", "2020-07-24T12:00:00Z", "--revocation", "off", "--lang", "en"]).output().expect("run kyso");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("Timestamp: (not verified) — (not verified) (INVALID, not used as proof)"), "{text}");
    // The /Contents bytes as a detached signature over the signed bytes: still refused.
    let bytes = std::fs::read(&pdf).unwrap();
    let at = bytes.windows(10).position(|w| w == b"/ByteRange").unwrap();
    let br = &bytes[at..];
    let (open, close) = (br.iter().position(|&x| x == b'[').unwrap(), br.iter().position(|&x| x == b']').unwrap());
    let nums: Vec<usize> = String::from_utf8_lossy(&br[open + 1..close]).split_whitespace().map(|n| n.parse().unwrap()).collect();
    let (a, b, c, d) = (nums[0], nums[1], nums[2], nums[3]);
    let hexed = String::from_utf8_lossy(&bytes[a + b..c]).into_owned();
    let contents = hex::decode(hexed.trim().trim_start_matches('<').trim_end_matches('>')).unwrap();
    let t = tempfile::tempdir().unwrap();
    let doc = t.path().join("signed.bin");
    std::fs::write(&doc, [&bytes[a..a + b], &bytes[c..c + d]].concat()).unwrap();
    std::fs::write(t.path().join("signed.bin.p7s"), &contents).unwrap();
    let detached = run(&[doc.as_os_str(), "--trust".as_ref(), root.as_os_str(), "--at".as_ref(), "2020-07-24T12:00:00Z".as_ref()]);
    let doc_report = &detached["documents"][0];
    assert_eq!((doc_report["indication"].as_str(), doc_report["sub_indication"].as_str()), (Some("TOTAL_FAILED"), Some("FORMAT_FAILURE")), "{detached}");
}

/// dss/DSS-3577.pdf (row dss-3577): the revision after the certification signature fills one
/// text field; the change list names it once (it said "form field … filled in" twice), and the
/// change is allowed form filling under P=3, as DSS's own test says (pyHanko refuses: the row's
/// note).
#[test]
fn dss_3577_a_field_filled_through_two_widgets_is_listed_once() {
    let report = corpus_report("dss/DSS-3577.pdf", &["roots/unrelated-anchor.pem"], "2025-03-01T12:00:00Z");
    let sig = &report["documents"][0]["signatures"][0];
    assert_eq!(sig["modifications"], "signatures_and_form_filling", "{sig}");
    let revisions = sig["checks"].as_array().unwrap().iter().find(|c| c["name"] == "pdf_revisions").and_then(|c| c["detail"].as_str()).unwrap_or_default().to_string();
    assert_eq!(revisions.matches("form field \"FullName_a6e77c05-1aad-495c-9b3b-d6ef8e9102d5\" filled in").count(), 1, "{revisions}");
}
