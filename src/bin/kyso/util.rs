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

    /// The passphrase for a new key (asked twice on a terminal), of checked strength unless
    /// `weak_ok` (`--weak-passphrase`).
    pub fn get_new(&self, what: &str, weak_ok: bool) -> Result<Zeroizing<Vec<u8>>, CliError> {
        self.source().obtain_new(what, weak_ok)
    }

    fn obtain(&self, what: &str, confirm: bool) -> Result<Zeroizing<Vec<u8>>, CliError> {
        self.source().obtain(what, confirm)
    }

    fn source(&self) -> PassSource<'_> {
        PassSource { file: self.pass_file.as_deref(), env: "KYSO_PASSPHRASE", flag: "--pass-file" }
    }

    /// Opens something with the passphrase: from the file or the environment once; from a
    /// prompt up to [`PROMPT_TRIES`] times while `wrong` says the passphrase was wrong.
    pub fn open_with<T, E>(
        &self,
        what: &str,
        mut open: impl FnMut(&[u8]) -> Result<T, E>,
        wrong: impl Fn(&E) -> bool,
    ) -> Result<Result<T, E>, CliError> {
        let source = self.source();
        if let Some(p) = source.given()? {
            return Ok(open(&p));
        }
        let mut last = None;
        for attempt in 1..=PROMPT_TRIES {
            let p = source.obtain(what, false)?;
            match open(&p) {
                Err(e) if wrong(&e) && attempt < PROMPT_TRIES && source.prompts() => {
                    eprintln!("wrong passphrase ({} of {PROMPT_TRIES} tries left)", PROMPT_TRIES - attempt);
                    last = Some(e);
                }
                r => return Ok(r),
            }
        }
        Ok(Err(last.expect("the loop runs at least once and returns unless an error was kept")))
    }
}

/// How many times a prompt asks before giving up (as sudo and ssh do).
pub const PROMPT_TRIES: usize = 3;

/// The shortest new passphrase accepted without --weak-passphrase: 8 characters, NIST SP
/// 800-63B §5.1.1.2's minimum for memorised secrets.
pub const MIN_PASSPHRASE_CHARS: usize = 8;

/// Why a new passphrase is refused (None: strong enough). A key file can be attacked offline,
/// so the bar is zxcvbn's score 3 ("safely unguessable: moderate protection from an offline
/// slow-hash scenario", about 10^8 guesses) and at least [`MIN_PASSPHRASE_CHARS`] characters.
pub fn passphrase_weakness(p: &[u8]) -> Option<String> {
    let Ok(text) = std::str::from_utf8(p) else { return None };
    let chars = text.chars().count();
    if chars < MIN_PASSPHRASE_CHARS {
        return Some(format!("it has {chars} characters; at least {MIN_PASSPHRASE_CHARS} are needed"));
    }
    let e = zxcvbn::zxcvbn(text, &[]);
    if (e.score() as u8) < 3 {
        let mut why = format!("it is easy to guess (strength {} of 4", e.score() as u8);
        if let Some(w) = e.feedback().and_then(|f| f.warning()) {
            why.push_str(&format!(": {w}"));
        }
        why.push(')');
        return Some(why);
    }
    None
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

    /// True when no file or variable gives the passphrase and a terminal will be asked.
    pub fn prompts(&self) -> bool {
        self.file.is_none()
            && std::env::var_os(self.env).is_none_or(|v| v.is_empty())
            && std::io::stdin().is_terminal()
            && std::io::stderr().is_terminal()
    }

    /// The passphrase from the file, the environment variable or a prompt (asked twice when
    /// `confirm`, up to [`PROMPT_TRIES`] times); an error naming `flag` and `env` when none is
    /// available.
    pub fn obtain(&self, what: &str, confirm: bool) -> Result<Zeroizing<Vec<u8>>, CliError> {
        self.obtain_checked(what, confirm, |_| None)
    }

    /// A new passphrase: as [`PassSource::obtain`] (asked twice), refused when
    /// [`passphrase_weakness`] finds it weak unless `weak_ok` (then a warning).
    pub fn obtain_new(&self, what: &str, weak_ok: bool) -> Result<Zeroizing<Vec<u8>>, CliError> {
        let check = |p: &[u8]| if weak_ok { None } else { passphrase_weakness(p) };
        let p = self.obtain_checked(what, true, check)?;
        if weak_ok {
            if let Some(why) = passphrase_weakness(&p) {
                eprintln!("warning: the passphrase for {what} is weak ({why}); accepted because of --weak-passphrase");
            }
        }
        Ok(p)
    }

    fn obtain_checked(&self, what: &str, confirm: bool, weak: impl Fn(&[u8]) -> Option<String>) -> Result<Zeroizing<Vec<u8>>, CliError> {
        let weak_error = |why: String| {
            CliError::usage(format!("the passphrase for {what} is too weak: {why}"))
                .hint("choose a longer one (four or five unrelated words are easy to remember), or add --weak-passphrase to accept it")
        };
        if let Some(p) = self.given()? {
            return match weak(&p) {
                Some(why) => Err(weak_error(why)),
                None => Ok(p),
            };
        }
        if std::io::stdin().is_terminal() && std::io::stderr().is_terminal() {
            let mut last = CliError::usage("no passphrase");
            for attempt in 1..=PROMPT_TRIES {
                let p = Zeroizing::new(
                    rpassword::prompt_password(format!("Passphrase for {what}: "))
                        .map_err(|e| CliError::usage(format!("cannot read the passphrase: {e}")))?,
                );
                let problem = if p.is_empty() {
                    Some(CliError::usage("empty passphrase").hint("type a passphrase, then Enter (nothing is shown while you type)"))
                } else if let Some(why) = weak(p.as_bytes()) {
                    Some(weak_error(why))
                } else if confirm {
                    let again = Zeroizing::new(
                        rpassword::prompt_password("Repeat the passphrase: ")
                            .map_err(|e| CliError::usage(format!("cannot read the passphrase: {e}")))?,
                    );
                    (*again != *p).then(|| CliError::usage("the two passphrases differ"))
                } else {
                    None
                };
                match problem {
                    None => return Ok(Zeroizing::new(p.as_bytes().to_vec())),
                    Some(e) => {
                        if attempt < PROMPT_TRIES {
                            eprintln!("{}; try again ({} of {PROMPT_TRIES} tries left)", e.message, PROMPT_TRIES - attempt);
                        }
                        last = e;
                    }
                }
            }
            return Err(last);
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

/// Certificates without repeats, in first-seen order: a certificate file that carries its chain
/// (as `kyso ca issue --cert-out` writes it) given together with --chain names the CAs twice.
pub fn distinct_certs(certs: impl IntoIterator<Item = Vec<u8>>) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    for c in certs {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    out
}
