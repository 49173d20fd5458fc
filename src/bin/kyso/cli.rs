//! The top-level clap definition. Each command group's arguments live in its own module; this
//! file only lists them and dispatches.

use crate::util::CliError;
use clap::{CommandFactory, Parser, Subcommand};
use std::process::ExitCode;

/// Exit codes shared by every command (DESIGN.md §3).
pub const EXIT_CODES_HELP: &str = "\
EXIT CODES:
  0  success / every signature TOTAL_PASSED
  1  an operation failed / some signature TOTAL_FAILED / in a batch, some file failed
  2  usage error, or an input that stops the whole run
  3  verification INDETERMINATE (and none failed)";

/// kyso — digital signatures for official documents (ký số văn bản).
#[derive(Debug, Parser)]
#[command(name = "kyso", version, about, long_about = None, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The provincial CA: init, issue, revoke, crl, list, audit
    Ca {
        #[command(subcommand)]
        cmd: crate::cmd_ca::CaCommand,
    },
    /// Private keys: new, export (to .p12/.pfx), import (from .p12/.pfx); --token: on a token
    Key {
        #[command(subcommand)]
        cmd: crate::cmd_key::KeyCommand,
    },
    /// Keys on USB tokens and HSMs (PKCS#11): list, import-cert
    Token {
        #[command(subcommand)]
        cmd: crate::cmd_token::TokenCommand,
    },
    /// Certificate requests (PKCS#10): new
    Csr {
        #[command(subcommand)]
        cmd: crate::cmd_key::CsrCommand,
    },
    /// Describe a certificate, request, CRL or key (never key material)
    Inspect(crate::cmd_inspect::InspectArgs),
    /// Play the whole story on an example province: CA, signing, verification, revocation
    Demo(crate::cmd_demo::DemoArgs),
    /// Sign documents: a detached CAdES signature FILE.p7s beside each file (--add: add a signer; --pades: inside a PDF)
    Sign(crate::cmd_sign::SignArgs),
    /// Verify detached signatures (.p7s), or the signatures inside PDFs, against trust anchors
    Verify(crate::cmd_verify::VerifyArgs),
    /// Certificate commands (`cert verify`: validate a certificate's path)
    Cert(crate::cmd_verify::CertArgs),
    /// Run an RFC 3161 timestamp authority (kyso tsa serve)
    Tsa(crate::cmd_tsa::TsaArgs),
    /// Add a signature timestamp to an existing .p7s (CAdES-B-T)
    Timestamp(crate::cmd_timestamp::TimestampArgs),
    /// Signed documents by e-mail (S/MIME): mail sign, mail verify
    Mail(crate::cmd_mail::MailArgs),
    /// Serve the recipients' verification page and its JSON API over HTTP
    Web(crate::cmd_web::WebArgs),
    /// Print shell completions (bash, zsh or fish)
    #[command(after_help = "EXAMPLES:\n  kyso completions bash > /etc/bash_completion.d/kyso\n  kyso completions zsh > ~/.zfunc/_kyso")]
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
    /// Write man pages (kyso.1 and one per subcommand) into a folder
    #[command(after_help = "EXAMPLES:\n  kyso man --out /usr/local/share/man/man1")]
    Man {
        /// The folder to write into (created if missing)
        #[arg(long, value_name = "DIR")]
        out: std::path::PathBuf,
    },
}

/// Parses the command line and runs the command.
pub fn run() -> Result<ExitCode, CliError> {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) if e.kind() == clap::error::ErrorKind::DisplayHelp => {
            // EXAMPLES verbatim: clap would reflow them to the terminal's width (and a
            // wrapped shell line is no longer a command one can paste).
            match help_with_verbatim_examples(&e.render().to_string()) {
                Some(text) => {
                    use std::io::Write;
                    let _ = std::io::stdout().lock().write_all(text.as_bytes());
                }
                None => {
                    let _ = e.print();
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        Err(e) => {
            // --help and --version print and exit 0; real usage errors exit 2.
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return Ok(ExitCode::from(code));
        }
    };
    match cli.command {
        Command::Ca { cmd } => crate::cmd_ca::run(cmd),
        Command::Key { cmd } => crate::cmd_key::run_key(cmd),
        Command::Csr { cmd } => crate::cmd_key::run_csr(cmd),
        Command::Token { cmd } => crate::cmd_token::run(cmd),
        Command::Inspect(a) => crate::cmd_inspect::run(a),
        Command::Demo(a) => crate::cmd_demo::run(a),
        Command::Sign(a) => crate::cmd_sign::run(a),
        Command::Verify(a) => crate::cmd_verify::run_verify(a),
        Command::Cert(a) => crate::cmd_verify::run_cert(a),
        Command::Tsa(a) => crate::cmd_tsa::run(a),
        Command::Timestamp(a) => crate::cmd_timestamp::run(a),
        Command::Mail(a) => crate::cmd_mail::run(a),
        Command::Web(a) => crate::cmd_web::run(a),
        Command::Completions { shell } => {
            let mut cmd = Cli::command();
            clap_complete::generate(shell, &mut cmd, "kyso", &mut std::io::stdout());
            Ok(ExitCode::SUCCESS)
        }
        Command::Man { out } => {
            std::fs::create_dir_all(&out)
                .map_err(|e| CliError::failed(format!("cannot create {}: {e}", out.display())))?;
            write_man_pages(Cli::command().disable_help_subcommand(true), &out)
                .map_err(|e| CliError::failed(format!("cannot write man pages into {}: {e}", out.display())))?;
            eprintln!("man pages written to {}", out.display());
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// The help clap `rendered` for the (sub)command the command line names, with its EXAMPLES
/// (after-help) text as written instead of reflowed; `None` when it has none.
fn help_with_verbatim_examples(rendered: &str) -> Option<String> {
    let mut cmd = Cli::command();
    cmd.build();
    let mut cur = cmd;
    for a in std::env::args().skip(1).filter(|a| !a.starts_with('-')) {
        if a == "help" {
            continue;
        }
        match cur.find_subcommand(&a) {
            Some(s) => cur = s.clone(),
            None => break,
        }
    }
    let after = cur.get_after_help()?.to_string();
    let first = after.lines().next()?;
    let cut = rendered.find(&format!("\n\n{first}"))?;
    Some(format!("{}\n\n{after}\n", rendered.get(..cut)?.trim_end()))
}

/// The after-help text (EXAMPLES, EXIT CODES) as a man page section, line for line (`.nf`):
/// roff would fill it like a paragraph and read a backslash as an escape.
fn man_examples(after: &str) -> String {
    let mut s = String::from(".SH \"EXAMPLES AND EXIT CODES\"\n.nf\n");
    for line in after.lines() {
        let line = line.replace('\\', "\\e").replace('-', "\\-");
        if line.starts_with('.') || line.starts_with('\'') {
            s.push_str("\\&");
        }
        s.push_str(&line);
        s.push('\n');
    }
    s.push_str(".fi\n");
    s
}

/// Man pages for `cmd` and its subcommands (what `clap_mangen::generate_to` makes), each written
/// atomically (it would write into files it creates in place).
fn write_man_pages(mut cmd: clap::Command, out: &std::path::Path) -> std::io::Result<()> {
    cmd.build();
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()).cloned() {
        write_man_pages(sub, out)?;
    }
    let after = cmd.get_after_help().map(|a| a.to_string());
    let has_args = cmd.get_arguments().any(|a| !a.is_hide_set());
    let has_subcommands = cmd.get_subcommands().any(|s| !s.is_hide_set());
    let has_version = cmd.get_version().is_some();
    let man = clap_mangen::Man::new(cmd);
    let mut page = Vec::new();
    // clap_mangen's sections, but EXAMPLES line for line (see man_examples)
    man.render_title(&mut page)?;
    man.render_name_section(&mut page)?;
    man.render_synopsis_section(&mut page)?;
    man.render_description_section(&mut page)?;
    if has_args {
        man.render_options_section(&mut page)?;
    }
    if has_subcommands {
        man.render_subcommands_section(&mut page)?;
    }
    if let Some(a) = &after {
        page.extend_from_slice(man_examples(a).as_bytes());
    }
    if has_version {
        man.render_version_section(&mut page)?;
    }
    let path = out.join(man.get_filename());
    kyso::files::write_atomic(&path, &page, kyso::files::Overwrite::Replace, kyso::files::Secrecy::Public)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clap_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
