//! Helpers to run the kyso binary.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// A `kyso` command with a clean environment (no passphrase unless the test sets one).
pub fn kyso() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kyso"));
    c.env_remove("KYSO_PASSPHRASE");
    c
}

/// Runs kyso with `args` in `dir` and returns its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    kyso().args(args).current_dir(dir).output().expect("run kyso")
}

/// The exit code, stdout and stderr of an output, for assertions.
pub fn summary(o: &Output) -> (i32, String, String) {
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

#[test]
fn completions_bash_prints_a_script() {
    let o = kyso().args(["completions", "bash"]).output().unwrap();
    let (code, out, _) = summary(&o);
    assert_eq!(code, 0);
    assert!(out.contains("_kyso()"), "{out}");
}

#[test]
fn unknown_option_is_usage_error_2() {
    let o = kyso().args(["--no-such-flag"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
}

#[test]
fn man_pages_are_generated() {
    let d = tempfile::tempdir().unwrap();
    let out = d.path().join("man");
    let o = kyso().args(["man", "--out", out.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let page = std::fs::read_to_string(out.join("kyso.1")).unwrap();
    assert!(page.contains(".TH kyso"), "{page}");
    assert!(out.join("kyso-completions.1").exists());
}
