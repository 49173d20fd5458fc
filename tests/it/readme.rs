//! Every `sh` command block of README.md, after the first (the two set-up commands, which CI
//! runs itself), is executed as written, in order, in a scratch copy of the repository's
//! certs-example/ (regenerated now by its generate.sh, so that the blocks keep working after the
//! checked-in certificates expire), with this build's `kyso` first on PATH — as a newcomer would
//! paste them.
//! Blocks marked ```` ```sh external ```` need tools a fresh machine may lack (a font, pyHanko,
//! pdfsig): the ignored twin test runs every block including those, and CI runs it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The ```sh blocks of a Markdown text, in order (with `external`, also the ```sh external ones).
fn sh_blocks_with(md: &str, external: bool) -> Vec<String> {
    let mut blocks = Vec::new();
    let mut cur: Option<String> = None;
    for line in md.lines() {
        let info = line.trim_start();
        match &mut cur {
            None if info == "```sh" || (external && info == "```sh external") => cur = Some(String::new()),
            Some(_) if line.trim_start().starts_with("```") => blocks.push(cur.take().unwrap_or_default()),
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
            None => {}
        }
    }
    blocks
}

fn sh_blocks(md: &str) -> Vec<String> {
    sh_blocks_with(md, false)
}

#[test]
fn readme_command_blocks_run_as_written() {
    run_blocks(false);
}

/// The same with the ```sh external blocks (they need fonts-liberation2, pyHanko, pdfsig, SoftHSM2 and
/// certutil; each fails when its tool is missing). CI runs it with `--ignored`.
#[test]
#[ignore = "needs fonts-liberation2, pyHanko, pdfsig, certutil, softhsm2 and opensc; .ci/run runs it"]
fn readme_external_blocks_run_as_written() {
    run_blocks(true);
}

fn run_blocks(external: bool) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let md = std::fs::read_to_string(root.join("README.md")).unwrap();
    let blocks = sh_blocks_with(&md, external);
    assert!(!blocks.is_empty(), "README.md has no sh blocks");
    assert!(blocks[0].contains("cargo run --release -- demo") && blocks[0].contains("cargo test"), "the first block must be the two set-up commands");
    let scratch = tempfile::tempdir().unwrap();
    // The example province as generate.sh makes it now (the checked-in certificates expire and
    // the blocks sign at the current time): same layout, names and passphrase.
    crate::example::copy_dir(crate::example::fresh(), &scratch.path().join("certs-example"));
    let bin_dir = Path::new(env!("CARGO_BIN_EXE_kyso")).parent().unwrap().to_path_buf();
    let path = format!("{}:{}", bin_dir.display(), std::env::var("PATH").unwrap_or_default());
    for (i, b) in blocks.iter().enumerate().skip(1) {
        let out = Command::new("bash")
            .args(["-euo", "pipefail", "-c", b])
            .current_dir(scratch.path())
            .env("PATH", &path)
            .env_remove("KYSO_PASSPHRASE")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "README block {} failed (exit {:?}):\n{b}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            i + 1,
            out.status.code(),
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

#[test]
fn sh_block_extraction() {
    let md = "x\n```sh\na\nb\n```\n```json\n{}\n```\n```sh external\nd\n```\n```sh\nc\n```\n";
    assert_eq!(sh_blocks(md), vec!["a\nb\n".to_string(), "c\n".to_string()]);
    assert_eq!(sh_blocks_with(md, true), vec!["a\nb\n".to_string(), "d\n".to_string(), "c\n".to_string()]);
}
