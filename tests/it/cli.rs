//! Helpers to run the kyso binary.

#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output};

/// A `kyso` command with a clean environment (no passphrase unless the test sets one).
pub fn kyso() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_kyso"));
    c.env_remove("KYSO_PASSPHRASE");
    // a registry database named by the environment would redirect every `ca` command
    c.env_remove("KYSO_DB").env_remove("KYSO_DB_PASSWORD");
    c
}

/// Runs kyso with `args` in `dir` and returns its output.
pub fn run(dir: &Path, args: &[&str]) -> Output {
    kyso().args(args).current_dir(dir).output().expect("run kyso")
}

/// Limits the command's CPU time to `seconds` (RLIMIT_CPU, inherited through `exec`): the
/// kernel stops it with SIGXCPU when its work exceeds the budget. A bound on work done, not on
/// wall-clock time, so a loaded machine does not make a test flaky (issue 23); see
/// [`assert_within_cpu_budget`].
pub fn cpu_budget(cmd: &mut Command, seconds: u32) -> &mut Command {
    use std::os::unix::process::CommandExt;
    let seconds = libc::rlim_t::from(seconds);
    // SAFETY: the closure only calls setrlimit (async-signal-safe) and allocates nothing.
    unsafe {
        cmd.pre_exec(move || {
            let limit = libc::rlimit { rlim_cur: seconds, rlim_max: seconds + 5 };
            if libc::setrlimit(libc::RLIMIT_CPU, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        })
    }
}

/// Fails, naming `what`, when a run under [`cpu_budget`] was stopped at its budget.
pub fn assert_within_cpu_budget(o: &Output, what: &str) {
    use std::os::unix::process::ExitStatusExt;
    assert_ne!(o.status.signal(), Some(libc::SIGXCPU), "{what}: stopped at its CPU-time budget (SIGXCPU)\n{}", String::from_utf8_lossy(&o.stderr));
}

/// The budget stops a run-away process (a busy loop, 1 CPU second), and the check names it.
#[test]
fn cpu_budget_stops_a_busy_loop_and_the_check_fails() {
    use std::os::unix::process::ExitStatusExt;
    let o = cpu_budget(Command::new("sh").args(["-c", "while :; do :; done"]), 1).output().unwrap();
    assert_eq!(o.status.signal(), Some(libc::SIGXCPU), "{:?}", o.status);
    let e = std::panic::catch_unwind(|| assert_within_cpu_budget(&o, "busy loop")).unwrap_err();
    assert!(e.downcast_ref::<String>().is_some_and(|m| m.contains("busy loop: stopped at its CPU-time budget")), "{e:?}");
    let o = cpu_budget(Command::new("true").arg("x"), 1).output().unwrap();
    assert!(o.status.success());
    assert_within_cpu_budget(&o, "true");
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
