//! Where a CA's registry is, for every `ca` command: `--db URL` / `KYSO_DB`, the database
//! password (`--db-pass-file`, `KYSO_DB_PASSWORD`), and what a database failure means for the
//! exit code (issue 22).

use crate::util::{read_input, CliError};
use clap::Args;
use kyso::ca::{CaError, DbOutcome};
use std::path::PathBuf;

/// Where the registry is, when not in DIR (`ca.conf` or `registry.db`): a PostgreSQL database.
#[derive(Debug, Args, Clone, Default)]
pub struct DbArgs {
    /// The CA registry in this PostgreSQL database (postgres://USER@HOST:PORT/DBNAME) instead of
    /// DIR/registry.db; overrides DIR/ca.conf. With `ca init`: the registry is created there and
    /// DIR/ca.conf records the URL (never a password)
    #[arg(long, value_name = "URL", env = "KYSO_DB", hide_env_values = true)]
    pub db: Option<String>,
    /// File whose first line is the database password (else $KYSO_DB_PASSWORD, else the URL's)
    #[arg(long, value_name = "FILE")]
    pub db_pass_file: Option<PathBuf>,
}

impl DbArgs {
    /// The registry options: the database (if given) and the password.
    pub fn options(&self) -> Result<kyso::ca::RegistryOptions, CliError> {
        let mut o = kyso::ca::RegistryOptions::default();
        if let Some(url) = &self.db {
            let t = kyso::ca::PgTarget::parse(url).map_err(|e| CliError::usage(format!("--db: {e}")))?;
            if t.url_has_password() && std::env::var("KYSO_DB").ok().as_deref() != Some(url.as_str()) {
                eprintln!("warning: the --db URL carries a password, which other users of this machine can see in the process list: use --db-pass-file or KYSO_DB_PASSWORD");
            }
            o.db = Some(t);
        }
        o.password = self.password()?;
        Ok(o)
    }

    fn password(&self) -> Result<Option<zeroize::Zeroizing<String>>, CliError> {
        if let Some(f) = &self.db_pass_file {
            let bytes = zeroize::Zeroizing::new(read_input(f, "the database password file", 4096)?);
            let text = std::str::from_utf8(&bytes).map_err(|_| CliError::usage(format!("--db-pass-file {}: not UTF-8 text", f.display())))?;
            let line = text.lines().next().unwrap_or_default().trim_end_matches('\r');
            if line.is_empty() {
                return Err(CliError::usage(format!("--db-pass-file {}: the first line is empty", f.display())));
            }
            return Ok(Some(zeroize::Zeroizing::new(line.to_string())));
        }
        Ok(std::env::var("KYSO_DB_PASSWORD").ok().filter(|p| !p.is_empty()).map(zeroize::Zeroizing::new))
    }

    /// Only the password (a parent CA finds its own registry through its directory).
    pub fn password_only(&self) -> Result<kyso::ca::RegistryOptions, CliError> {
        let mut o = kyso::ca::RegistryOptions::default();
        o.password = self.password()?;
        Ok(o)
    }

    /// The database for `ca init`, with its password.
    pub fn target(&self) -> Result<Option<kyso::ca::PgTarget>, CliError> {
        let o = self.options()?;
        Ok(match (o.db, o.password) {
            (Some(t), Some(p)) => Some(t.with_password(&p)),
            (t, _) => t,
        })
    }
}

/// The CLI error for a registry-database failure, or the error back when it is another one.
pub fn db_error(e: CaError) -> Result<CliError, CaError> {
    Ok(match e {
        CaError::DbUnreachable { .. } => CliError::failed(e.to_string())
            .hint("check --db (or DIR/ca.conf), that the database server is up, and the password (--db-pass-file, KYSO_DB_PASSWORD)"),
        CaError::Database { outcome: DbOutcome::NotApplied, .. } => {
            CliError::failed(e.to_string()).hint("nothing was recorded: run the command again when the database is back")
        }
        CaError::Database { .. } => CliError::failed(e.to_string())
            .hint("`kyso ca list` shows whether it was recorded; an interrupted `ca issue` is repaired by the next `ca issue` to the same --cert-out"),
        CaError::RegistryIsSqlite { dir } => CliError::usage(format!(
            "--db given, but the registry of {} is the SQLite file registry.db",
            dir.display()
        ))
        .hint(format!("move it to the database with `kyso ca migrate --dir {} --to URL`, or leave out --db (and unset KYSO_DB)", dir.display())),
        CaError::NoRegistry { .. } => CliError::usage(e.to_string()).hint("create the CA with `kyso ca init --db URL`, or check --db and DIR/ca.conf"),
        CaError::BadRegistryConfig { .. } | CaError::NoPostgresSupport | CaError::RegistryTooNew { .. } => CliError::usage(e.to_string()),
        other => return Err(other),
    })
}
