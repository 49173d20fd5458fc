//! Shared CLI plumbing: the error type with its exit code, passphrase sources, reading input
//! files with clear messages.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use zeroize::Zeroizing;

/// A command failure: the message, an optional hint saying how to fix it, and the exit code.
#[derive(Debug)]
pub struct CliError {
    /// 1 = operation failed, 2 = usage error / input that stops the run.
    pub code: u8,
    /// What went wrong.
    pub message: String,
    /// How to fix it.
    pub hint: Option<String>,
}

impl CliError {
    /// An operation failed (exit 1).
    pub fn failed(message: impl Into<String>) -> Self {
        CliError { code: 1, message: message.into(), hint: None }
    }
    /// A usage error or an input that stops the run (exit 2).
    pub fn usage(message: impl Into<String>) -> Self {
        CliError { code: 2, message: message.into(), hint: None }
    }
    /// Adds a hint.
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    /// The reader of standard output went away (a closed pipe): the command ends quietly,
    /// exit 0 — like `head` closing `cat`'s pipe, it is not an error of the command.
    pub fn quiet() -> Self {
        CliError { code: 0, message: String::new(), hint: None }
    }
    /// Prints `error: …` and `hint: …` to stderr (nothing for [`CliError::quiet`]).
    pub fn print(&self) {
        if self.code == 0 && self.message.is_empty() {
            return;
        }
        eprintln!("error: {}", self.message);
        if let Some(h) = &self.hint {
            eprintln!("hint: {h}");
        }
    }
    /// The process exit code.
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(self.code)
    }
}

/// Bound of a passphrase file's first line, the only one read: passphrases are tens of bytes;
/// 4 KiB is far above any real one and keeps `--pass-file /dev/zero` from filling memory.
pub const MAX_PASSPHRASE: usize = 4096;

/// How long a `--pass-file` pipe (`<(…)`, a FIFO) may take to deliver its line.
pub const PIPE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Where a passphrase comes from: `--pass-file FILE` (first line), else `KYSO_PASSPHRASE`, else a
/// prompt on a terminal. Never the command line itself.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PassArgs {
    /// Read the key passphrase from the first line of FILE (else $KYSO_PASSPHRASE, else a prompt)
    #[arg(long, value_name = "FILE")]
    pub pass_file: Option<PathBuf>,
}

impl PassArgs {
    /// The passphrase to open an existing key.
    pub fn get(&self, what: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
        self.obtain(what, false)
    }

    /// The passphrase for a new key (asked twice on a terminal).
    pub fn get_new(&self, what: &str) -> Result<Zeroizing<Vec<u8>>, CliError> {
        self.obtain(what, true)
    }

    fn obtain(&self, what: &str, confirm: bool) -> Result<Zeroizing<Vec<u8>>, CliError> {
        let source = PassSource { file: self.pass_file.as_deref(), env: "KYSO_PASSPHRASE", flag: "--pass-file" };
        source.obtain(what, confirm)
    }
}

/// A passphrase source other than the default one: a file flag and an environment variable,
/// then a prompt on a terminal (e.g. `--key-pass-file` / `KYSO_KEY_PASSPHRASE` for a unit's own
/// passphrase, which never falls back to the CA's).
#[derive(Debug, Clone, Copy)]
pub struct PassSource<'a> {
    /// The file given with `flag`, if any.
    pub file: Option<&'a Path>,
    /// The environment variable read when no file is given.
    pub env: &'static str,
    /// The flag that gives the file (for messages).
    pub flag: &'static str,
}

impl PassSource<'_> {
    /// The passphrase from the file or the environment variable, without prompting: `None`
    /// when neither is given.
    pub fn given(&self) -> Result<Option<Zeroizing<Vec<u8>>>, CliError> {
        if let Some(f) = self.file {
            let line = kyso::files::read_first_line(f, MAX_PASSPHRASE, PIPE_WAIT).map_err(|e| {
                CliError::usage(format!("cannot read the passphrase file {}: {e}", f.display()))
            })?;
            if line.is_empty() {
                return Err(CliError::usage(format!("the passphrase file {} is empty", f.display())));
            }
            return Ok(Some(line));
        }
        if let Some(v) = std::env::var_os(self.env) {
            let v = Zeroizing::new(v.into_encoded_bytes());
            if !v.is_empty() {
                return Ok(Some(v));
            }
        }
        Ok(None)
    }

    /// The passphrase from the file, the environment variable or a prompt (asked twice when
    /// `confirm`); an error naming `flag` and `env` when none is available.
    pub fn obtain(&self, what: &str, confirm: bool) -> Result<Zeroizing<Vec<u8>>, CliError> {
        if let Some(p) = self.given()? {
            return Ok(p);
        }
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            let p = Zeroizing::new(
                rpassword::prompt_password(format!("Passphrase for {what}: "))
                    .map_err(|e| CliError::usage(format!("cannot read the passphrase: {e}")))?,
            );
            if confirm {
                let again = Zeroizing::new(
                    rpassword::prompt_password("Repeat the passphrase: ")
                        .map_err(|e| CliError::usage(format!("cannot read the passphrase: {e}")))?,
                );
                if *again != *p {
                    return Err(CliError::usage("the two passphrases differ"));
                }
            }
            if p.is_empty() {
                return Err(CliError::usage("empty passphrase"));
            }
            return Ok(Zeroizing::new(p.as_bytes().to_vec()));
        }
        Err(CliError::usage(format!("a passphrase is needed for {what} and none is available"))
            .hint(format!("use {} FILE or set {} (passphrases are never taken on the command line)", self.flag, self.env)))
    }
}

/// Writes command output to stdout: a closed pipe is [`CliError::quiet`], another write error
/// fails the command.
pub fn out_str(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(CliError::quiet()),
        Err(e) => Err(CliError::failed(format!("cannot write to standard output: {e}"))),
    }
}

/// Reads an input file, with "file not found" and size errors that name the file (exit 2).
pub fn read_input(path: &Path, what: &str, limit: u64) -> Result<Vec<u8>, CliError> {
    kyso::files::read_limited(path, limit).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => {
            CliError::usage(format!("{what} {} does not exist", path.display())).hint("check the path")
        }
        _ => CliError::usage(format!("cannot read {what} {}: {e}", path.display())),
    })
}
