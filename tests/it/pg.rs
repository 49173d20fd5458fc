//! A private PostgreSQL cluster for the registry tests (issue 22): `initdb` into a temporary
//! folder, `pg_ctl start` on a free loopback port, `pg_ctl stop -m immediate` on drop. As root
//! (CI containers) the server binaries refuse to run, so they run as the `postgres` user
//! (`runuser -u postgres --`), which owns the folder.
//!
//! The binaries: `$KYSO_PG_BIN` (set by .ci/run), else the newest `/usr/lib/postgresql/*/bin`
//! (Debian's layout). A test that needs them and finds none **fails**: the PostgreSQL tests are
//! `#[ignore]`d in plain `cargo test` and run by .ci/run, which installs the server.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};


/// The folder holding initdb, pg_ctl and postgres.
pub fn bin_dir() -> PathBuf {
    if let Some(d) = std::env::var_os("KYSO_PG_BIN") {
        let d = PathBuf::from(d);
        assert!(d.join("initdb").is_file(), "KYSO_PG_BIN={} holds no initdb", d.display());
        return d;
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let v: u32 = e.file_name().to_str()?.parse().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").is_file().then_some((v, bin))
        })
        .collect();
    found.sort();
    match found.pop() {
        Some((_, b)) => b,
        None => panic!("PostgreSQL server binaries not found (no $KYSO_PG_BIN, no /usr/lib/postgresql/*/bin/initdb): .ci/run installs Debian's postgresql"),
    }
}

fn is_root() -> bool {
    Command::new("id").arg("-u").output().is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

/// A running private cluster.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    pub port: u16,
    as_postgres: bool,
    durable: bool,
}

impl PgCluster {
    /// Makes and starts a cluster (user `kyso`, trust authentication on loopback, fsync off).
    pub fn start() -> PgCluster {
        PgCluster::start_with(false)
    }

    /// As [`PgCluster::start`] with fsync and synchronous commits on (benches/registry.rs).
    #[allow(dead_code)]
    pub fn start_durable() -> PgCluster {
        PgCluster::start_with(true)
    }

    fn start_with(durable: bool) -> PgCluster {
        let bin = bin_dir();
        let dir = tempfile::Builder::new().prefix("kyso-pg-").tempdir().unwrap();
        let as_postgres = is_root();
        if as_postgres {
            let st = Command::new("chown").args(["postgres", dir.path().to_str().unwrap()]).status().unwrap();
            assert!(st.success(), "chown postgres {}", dir.path().display());
        }
        let mut c = PgCluster { dir, bin, port: 0, as_postgres, durable };
        let data = c.data();
        c.run("initdb", &["-D", data.to_str().unwrap(), "-A", "trust", "-U", "kyso", "-E", "UTF8", "--locale=C", "--no-sync"]);
        for attempt in 0.. {
            c.port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            if c.try_pg_ctl(&["start"]) {
                break;
            }
            assert!(attempt < 5, "pg_ctl start failed 5 times: {}", c.log());
        }
        c
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn log_path(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    /// The server log (for failure messages).
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn command(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        let mut c = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(exe);
            c
        } else {
            Command::new(exe)
        };
        c.current_dir(self.dir.path());
        c
    }

    fn run(&self, tool: &str, args: &[&str]) {
        let o = self.command(tool).args(args).output().unwrap();
        assert!(o.status.success(), "{tool} {args:?}: {}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr));
    }

    fn try_pg_ctl(&self, action: &[&str]) -> bool {
        let speed = if self.durable { "" } else { " -c fsync=off -c synchronous_commit=off -c full_page_writes=off" };
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c max_connections=300{speed}",
            self.port,
            self.dir.path().display()
        );
        let data = self.data();
        let log = self.log_path();
        let mut args = vec!["-w", "-t", "60", "-D", data.to_str().unwrap(), "-l", log.to_str().unwrap(), "-o", &opts];
        args.extend_from_slice(action);
        self.command("pg_ctl").args(&args).output().is_ok_and(|o| o.status.success())
    }

    /// `pg_ctl restart -m fast`: every connection is cut, in-flight transactions roll back.
    pub fn restart(&self) {
        assert!(self.try_pg_ctl(&["restart", "-m", "fast"]), "pg_ctl restart failed: {}", self.log());
    }

    /// Makes a superuser `role` that must log in over TCP with `password` (SCRAM-SHA-256; the
    /// cluster trusts everyone else).
    pub fn password_role(&self, role: &str, password: &str) {
        self.exec("postgres", &format!("SET password_encryption = 'scram-sha-256'; CREATE ROLE {role} LOGIN SUPERUSER PASSWORD '{password}'")).unwrap();
        let hba = self.data().join("pg_hba.conf");
        let old = std::fs::read_to_string(&hba).unwrap();
        std::fs::write(&hba, format!("host all {role} 127.0.0.1/32 scram-sha-256\n{old}")).unwrap();
        self.exec("postgres", "SELECT pg_reload_conf()").unwrap();
    }

    /// `postgres://kyso@127.0.0.1:PORT/DB`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://kyso@127.0.0.1:{}/{db}", self.port)
    }

    /// A connection to `db`.
    pub fn client(&self, db: &str) -> postgres::Client {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match postgres::Client::connect(&self.url(db), postgres::NoTls) {
                Ok(c) => return c,
                Err(e) if Instant::now() < deadline => {
                    let _ = e;
                    std::thread::sleep(Duration::from_millis(100));
                }
                Err(e) => panic!("connect to {}: {e}", self.url(db)),
            }
        }
    }

    /// Creates database `name` (UTF-8) and returns its URL.
    pub fn create_db(&self, name: &str) -> String {
        self.client("postgres").batch_execute(&format!("CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0")).unwrap();
        self.url(name)
    }

    /// Runs SQL in `db`.
    pub fn exec(&self, db: &str, sql: &str) -> Result<(), postgres::Error> {
        self.client(db).batch_execute(sql)
    }

}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data();
        let _ = self.command("pg_ctl").args(["-D", data.to_str().unwrap(), "stop", "-m", "immediate", "-w"]).output();
    }
}

/// The schema a CA directory's registry uses in a database (as kyso derives it).
pub fn schema_of(ca_dir: &Path) -> String {
    let pem = std::fs::read(ca_dir.join("ca.pem")).unwrap();
    let der = kyso::objects::certificates(&pem).unwrap().remove(0);
    kyso::ca::default_schema(&der)
}

/// The lookup alone (run by `registry_suite::a_missing_postgresql_fails_the_test_rather_than_passing`
/// with `KYSO_PG_BIN` naming an empty folder: it must panic).
#[test]
#[ignore = "run by a_missing_postgresql_fails_the_test_rather_than_passing"]
fn lookup_only() {
    let _ = bin_dir();
}
