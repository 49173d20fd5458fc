//! `kyso demo` plays the whole story and exits 0; its key lines (chapters and verdicts) are
//! compared with a snapshot, in both languages.

use crate::cli::{kyso, summary};
use crate::snapshots::check_snapshot;

/// The lines that do not depend on time, serials or random keys: chapter titles, verdict lines,
/// the final line.
fn key_lines(out: &str) -> String {
    out.lines()
        .filter(|l| {
            l.starts_with("━━")
                || l.starts_with("    ✓ ") && (l.contains(".txt:") || l.contains(".pdf:"))
                || l.starts_with("    ✗")
                || l.starts_with("✓ ")
                || l.starts_with("✗ ")
        })
        .map(|l| format!("{l}\n"))
        .collect()
}

#[test]
fn demo_plays_the_whole_story_in_vietnamese_and_english() {
    for (lang, name) in [("vi", "demo-key-lines-vi"), ("en", "demo-key-lines-en")] {
        let o = kyso().args(["demo", "--lang", lang]).output().unwrap();
        let (code, out, err) = summary(&o);
        assert_eq!(code, 0, "demo failed:\n{out}\n{err}");
        check_snapshot(name, &key_lines(&out));
    }
}

#[test]
fn demo_keep_refuses_a_non_empty_folder() {
    let d = tempfile::tempdir().unwrap();
    std::fs::write(d.path().join("x"), "x").unwrap();
    let o = kyso().args(["demo", "--keep", d.path().to_str().unwrap()]).output().unwrap();
    let (code, _, err) = summary(&o);
    assert_eq!(code, 2);
    assert!(err.contains("is not an empty folder"), "{err}");
}

#[test]
fn demo_ends_with_the_command_that_opens_the_page_and_the_page_verifies_its_documents() {
    let d = tempfile::tempdir().unwrap();
    let keep = d.path().join("demo");
    let o = kyso().args(["demo", "--lang", "en", "--keep", keep.to_str().unwrap()]).output().unwrap();
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "demo failed:\n{out}\n{err}");
    let tail: Vec<&str> = out.lines().rev().take(3).collect();
    assert!(tail[0].trim() == "then open http://127.0.0.1:8090/", "{tail:?}");
    let cmd = tail[1].trim();
    assert!(cmd.starts_with("kyso web --trust "), "{cmd}");
    // Run the printed command (on a free port) and verify a demo document through the page's API.
    let args: Vec<&str> = cmd.split_whitespace().skip(2).map(|a| a.trim_matches('\'')).collect();
    let (trust, extra): (Vec<&str>, Vec<&str>) = (args.iter().take_while(|a| **a != "--listen").copied().collect(), vec![]);
    let web = crate::web::Web::start_with(&trust, &extra);
    let docs = keep.join("docs");
    let o = std::process::Command::new("curl")
        .args(["-s", "-F", "files=@cong-van-123-VP.txt", "-F", "files=@cong-van-123-VP.txt.p7s", &web.url("/api/verify")])
        .current_dir(&docs)
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", String::from_utf8_lossy(&o.stdout)));
    assert_eq!(v["indication"], "TOTAL_PASSED", "{v}");
    assert_eq!(v["documents"][0]["signatures"].as_array().unwrap().len(), 2);
}
