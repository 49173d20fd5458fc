//! CLI snapshot tests: every subcommand's `--help` and the main error messages are compared
//! with the files in tests/snapshots/. After an intended change, regenerate them with
//! `KYSO_BLESS=1 cargo test --test it snapshots` and review the diff in git.

use crate::cli::{kyso, summary};
use std::path::PathBuf;

fn snapshot_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots")
}

/// Compares `actual` with the snapshot `name`, or writes it when KYSO_BLESS is set.
pub fn check_snapshot(name: &str, actual: &str) {
    let path = snapshot_dir().join(format!("{name}.txt"));
    if std::env::var_os("KYSO_BLESS").is_some() {
        std::fs::create_dir_all(snapshot_dir()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("missing snapshot {}; run with KYSO_BLESS=1 to create it", path.display()));
    if expected != actual {
        let mut diff = String::new();
        for (i, (e, a)) in expected.lines().zip(actual.lines()).enumerate() {
            if e != a {
                diff.push_str(&format!("line {}:\n  expected: {e}\n  actual:   {a}\n", i + 1));
            }
        }
        panic!(
            "snapshot {name} differs ({} vs {} lines):\n{diff}\n--- actual ---\n{actual}",
            expected.lines().count(),
            actual.lines().count()
        );
    }
}

/// Subcommand names listed in the "Commands:" section of a help text.
fn subcommands(help: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_cmds = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            in_cmds = true;
            continue;
        }
        if in_cmds {
            if !line.starts_with("  ") {
                break;
            }
            // "  name   description": continuation lines of a wrapped description are indented deeper
            let t = line.trim_start();
            if line.len() - t.len() == 2 {
                if let Some(name) = t.split_whitespace().next() {
                    if name != "help" {
                        out.push(name.to_string());
                    }
                }
            }
        }
    }
    out
}

fn help_of(path: &[String]) -> String {
    let o = kyso().args(path).arg("--help").env("COLUMNS", "100").output().unwrap();
    let (code, out, err) = summary(&o);
    assert_eq!(code, 0, "kyso {path:?} --help: {err}");
    out
}

#[test]
fn every_subcommand_help_matches_its_snapshot_and_has_examples() {
    let mut queue: Vec<Vec<String>> = vec![vec![]];
    let mut seen = 0;
    while let Some(path) = queue.pop() {
        let help = help_of(&path);
        let name = if path.is_empty() { "help-kyso".to_string() } else { format!("help-kyso-{}", path.join("-")) };
        let subs = subcommands(&help);
        if subs.is_empty() {
            assert!(help.contains("EXAMPLES:"), "kyso {} --help has no EXAMPLES section", path.join(" "));
        }
        check_snapshot(&name, &help);
        seen += 1;
        for s in subs {
            let mut p = path.clone();
            p.push(s);
            queue.push(p);
        }
    }
    assert!(seen >= 2, "found only {seen} help pages");
}
