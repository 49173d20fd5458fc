//! The `kyso` command: a thin shell over the library. `main → run() → ExitCode`.

mod cli;
#[allow(dead_code)] // PAdES glue (issue 8): wired into `kyso sign --pades` by the lead once `sign` lands
mod cmd_pdf;
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
