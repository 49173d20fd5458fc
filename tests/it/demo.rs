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
