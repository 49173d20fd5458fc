//! Replays every input kept in tests/regressions/<target>/ (reproducers of crashes the fuzzers
//! found, and hand-made hostile inputs) and every seed in fuzz/seeds/<target>/ through the body
//! of fuzz target <target> (fuzz/bodies.rs, the same code the fuzzers run): no panic, no hang.

#[path = "../../fuzz/bodies.rs"]
mod bodies;

use std::path::Path;
use std::time::Duration;

/// Watchdog per input: far above the milliseconds an input takes, so it only fires on a hang.
const BOUND: Duration = Duration::from_secs(30);

fn replay(root: &Path) -> usize {
    let mut n = 0;
    let Ok(dirs) = std::fs::read_dir(root) else { return 0 };
    for d in dirs.flatten() {
        let target = d.file_name().to_string_lossy().into_owned();
        if !d.path().is_dir() {
            continue;
        }
        let body = bodies::by_name(&target).unwrap_or_else(|| panic!("{}: no fuzz target named {target}", root.display()));
        let mut files: Vec<_> = std::fs::read_dir(d.path()).unwrap().flatten().map(|e| e.path()).collect();
        files.sort();
        for f in files {
            let data = std::fs::read(&f).unwrap();
            let (tx, rx) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let r = std::panic::catch_unwind(|| body(&data));
                let _ = tx.send(r.is_ok());
            });
            match rx.recv_timeout(BOUND) {
                Ok(true) => n += 1,
                Ok(false) => panic!("{target}: panic on {}", f.display()),
                Err(_) => panic!("{target}: no result within {BOUND:?} on {}", f.display()),
            }
        }
    }
    n
}

#[test]
fn regression_inputs_run_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let n = replay(&root.join("tests").join("regressions"));
    assert!(n >= 1, "no regression inputs found");
}

#[test]
fn fuzz_seeds_run_clean() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let n = replay(&root.join("fuzz").join("seeds"));
    assert!(n >= 20, "only {n} seeds");
}
