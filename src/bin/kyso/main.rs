//! The `kyso` command: a thin shell over the library. `main → run() → ExitCode`.

/// `println!` for command output: a reader that closed the pipe (`kyso ca list | head -1`)
/// ends the command quietly with exit 0 ([`util::CliError::quiet`]) instead of a panic.
macro_rules! outln {
    () => {
        $crate::util::out_str("\n")?
    };
    ($($t:tt)*) => {
        $crate::util::out_str(&format!("{}\n", format_args!($($t)*)))?
    };
}

/// `print!` for command output, as [`outln!`].
macro_rules! out {
    ($($t:tt)*) => {
        $crate::util::out_str(&format!($($t)*))?
    };
}

mod cli;
mod cmd_ca;
mod cmd_ca_serve;
mod cmd_db;
mod cmd_inspect;
mod cmd_key;
mod cmd_mail;
mod cmd_demo;
mod cmd_sign;
mod cmd_sign_evidence;
mod cmd_verify;
mod cmd_web;
mod fetch;
mod cmd_timestamp;
mod cmd_tsa;
mod cmd_pdf;
mod cmd_token;
mod keyload;
mod p12;
#[allow(dead_code)] // shared plumbing; each command module uses part of it
mod util;

use std::process::ExitCode;

fn main() -> ExitCode {
    match cli::run() {
        Ok(code) => code,
        Err(e) => {
            e.print();
            e.exit_code()
        }
    }
}
