//! The `kyso` command: a thin shell over the library. `main → run() → ExitCode`.

mod cli;
mod cmd_ca;
mod cmd_ca_serve;
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
