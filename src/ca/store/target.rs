//! Where a CA's registry is: [`RegistryLocation`], and a PostgreSQL database as named by a
//! `postgres://` URL ([`PgTarget`], whose `Display` never shows a password).

use std::fmt;
use std::path::PathBuf;
use zeroize::Zeroizing;

/// Where a CA's registry is.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum RegistryLocation {
    /// An SQLite file (`registry.db` in the CA directory).
    Sqlite(PathBuf),
    /// A PostgreSQL database (feature `postgres`): one schema per CA.
    Postgres(PgTarget),
}

impl fmt::Display for RegistryLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegistryLocation::Sqlite(p) => write!(f, "{}", p.display()),
            RegistryLocation::Postgres(t) => t.fmt(f),
        }
    }
}

/// Why a database URL or schema name cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Not a `postgres://` or `postgresql://` URL (only its scheme is kept: the rest might
    /// hold a password in a form kyso does not know).
    #[error("a URL of scheme '{0}' is not a postgres:// or postgresql:// URL")]
    NotPostgres(String),
    /// The URL does not parse.
    #[error("the database URL {url} cannot be used: {message}")]
    BadUrl {
        /// The URL, password hidden.
        url: String,
        /// Why.
        message: String,
    },
    /// The URL names a database on another machine and does not say `sslmode=disable`: kyso
    /// makes no TLS connections to PostgreSQL yet, so the registry (certificates, revocations,
    /// the audit log) would cross the network in the clear without the operator having said so.
    #[error(
        "the database URL {url} names {host}, another machine, and kyso does not make TLS connections to PostgreSQL yet: \
         the registry would cross the network unencrypted; reach the database over a Unix socket or loopback \
         (an SSH tunnel, stunnel or a VPN), or add sslmode=disable to the URL to accept an unencrypted connection"
    )]
    Unencrypted {
        /// The URL, password hidden.
        url: String,
        /// The first host (or hostaddr) that is neither loopback nor a Unix socket.
        host: String,
    },
    /// The URL asks for TLS (`sslmode=require`), which kyso cannot make yet.
    #[error("the database URL {url} asks for TLS (sslmode=require), and kyso does not make TLS connections to PostgreSQL yet: reach the database over a Unix socket or loopback (an SSH tunnel or stunnel)")]
    TlsRequired {
        /// The URL, password hidden.
        url: String,
    },
    /// A schema name other than 1–63 of `a-z`, `0-9` and `_`, starting with a letter or `_`.
    #[error("'{0}' is not a usable schema name (1 to 63 of a-z, 0-9 and _, not starting with a digit)")]
    BadSchema(String),
}

/// A PostgreSQL database for a CA's registry: a `postgres://user@host:port/dbname` URL, an
/// optional password kept apart from it, and an optional schema name (default: derived from
/// the CA certificate, so every machine with a copy of the CA directory finds the same one).
#[derive(Clone)]
pub struct PgTarget {
    url: String,
    password: Option<Zeroizing<String>>,
    schema: Option<String>,
}

impl fmt::Debug for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgTarget").field("url", &redact(&self.url)).field("schema", &self.schema).finish_non_exhaustive()
    }
}

impl fmt::Display for PgTarget {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact(&self.url))
    }
}

/// A `postgres://` URL cut where the driver (tokio-postgres's URL parser) cuts it: the user-info
/// ends at the *first* `@` anywhere after the scheme (a `/` or `?` before it does not end it),
/// and a query key counts after percent-decoding (`pass%77ord=` is `password=`). Redaction that
/// cuts elsewhere shows passwords the driver uses.
struct UrlParts<'a> {
    scheme: &'a str,
    user: Option<&'a str>,
    password: Option<&'a str>,
    /// host, port, path (everything up to the query)
    rest: &'a str,
    /// `key=value` pairs, raw, with whether the key is a password
    params: Vec<(&'a str, bool)>,
}

fn split_url(url: &str) -> Option<UrlParts<'_>> {
    let scheme_end = url.find("://")? + 3;
    let (scheme, after) = url.split_at(scheme_end);
    let (user, password, tail) = match after.find('@') {
        Some(at) => {
            let creds = &after[..at];
            let (u, p) = match creds.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (creds, None),
            };
            (Some(u), p, &after[at + 1..])
        }
        None => (None, None, after),
    };
    let (rest, query) = match tail.find('?') {
        Some(q) => (&tail[..q], Some(&tail[q + 1..])),
        None => (tail, None),
    };
    let params = query
        .map(|q| {
            q.split('&')
                .filter(|kv| !kv.is_empty())
                .map(|kv| {
                    let key = kv.split('=').next().unwrap_or_default();
                    (kv, percent_decoded(key).eq_ignore_ascii_case(b"password"))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(UrlParts { scheme, user, password, rest, params })
}

/// `%XY` sequences decoded (others kept as they are), as the driver decodes query keys.
fn percent_decoded(s: &str) -> Vec<u8> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        match (b[i], b.get(i + 1).copied().and_then(hex), b.get(i + 2).copied().and_then(hex)) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (c, _, _) => {
                out.push(c);
                i += 1;
            }
        }
    }
    out
}

impl UrlParts<'_> {
    fn render(&self, password: Option<&str>, keep_password_params: Option<&str>) -> String {
        let mut out = self.scheme.to_string();
        if let Some(u) = self.user {
            out.push_str(u);
            if let Some(p) = password {
                out.push(':');
                out.push_str(p);
            }
            out.push('@');
        }
        out.push_str(self.rest);
        let params: Vec<String> = self
            .params
            .iter()
            .filter_map(|(kv, is_pw)| match (is_pw, keep_password_params) {
                (false, _) => Some(kv.to_string()),
                (true, Some(mask)) => Some(format!("{}={mask}", kv.split('=').next().unwrap_or_default())),
                (true, None) => None,
            })
            .collect();
        if !params.is_empty() {
            out.push('?');
            out.push_str(&params.join("&"));
        }
        out
    }

    fn has_password(&self) -> bool {
        self.password.is_some() || self.params.iter().any(|(_, pw)| *pw)
    }
}

/// The URL with any password replaced by `***` (in the user-info part and in a `password=`
/// query parameter, however its key is percent-encoded).
pub(crate) fn redact(url: &str) -> String {
    match split_url(url) {
        Some(parts) => parts.render(parts.password.map(|_| "***"), Some("***")),
        None => "***".into(),
    }
}

/// Whether `s` is a schema name kyso accepts (it is written into SQL as an identifier).
pub(crate) fn valid_schema(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 63
        && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
        && !s.as_bytes()[0].is_ascii_digit()
}

impl PgTarget {
    /// A target from a `postgres://` or `postgresql://` URL.
    pub fn parse(url: &str) -> Result<PgTarget, TargetError> {
        let url = url.trim();
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            let scheme = url.split_once("://").map_or("", |(s, _)| s).chars().take(20).collect();
            return Err(TargetError::NotPostgres(scheme));
        }
        if url.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(TargetError::BadUrl { url: redact(url), message: "it contains spaces or control characters".into() });
        }
        #[cfg(feature = "postgres")]
        {
            use std::str::FromStr;
            let config = ::postgres::Config::from_str(url).map_err(|e| TargetError::BadUrl { url: redact(url), message: e.to_string() })?;
            // the driver and the redaction must agree on whether there is a password
            if config.get_password().is_some() != split_url(url).is_some_and(|p| p.has_password()) {
                return Err(TargetError::BadUrl {
                    url: redact(url),
                    message: "kyso cannot tell which part of it is a password: leave the password out of the URL and give it apart (from a file or the environment)".into(),
                });
            }
            transport_check(&config, url)?;
        }
        Ok(PgTarget { url: url.to_string(), password: None, schema: None })
    }

    /// The same target with a password (from a file or the environment) that overrides the
    /// URL's.
    pub fn with_password(mut self, password: &str) -> PgTarget {
        self.password = Some(Zeroizing::new(password.to_string()));
        self
    }

    /// The same target with an explicit schema name.
    pub fn with_schema(mut self, schema: &str) -> Result<PgTarget, TargetError> {
        if !valid_schema(schema) {
            return Err(TargetError::BadSchema(schema.to_string()));
        }
        self.schema = Some(schema.to_string());
        Ok(self)
    }

    /// The explicit schema name, if one was given.
    pub fn schema(&self) -> Option<&str> {
        self.schema.as_deref()
    }

    /// Whether the URL itself carries a password.
    pub fn url_has_password(&self) -> bool {
        split_url(&self.url).is_none_or(|p| p.has_password())
    }

    /// The URL as given (it may hold a password: never print it; use `Display`).
    pub(crate) fn url(&self) -> &str {
        &self.url
    }

    /// The password given apart from the URL.
    pub(crate) fn password(&self) -> Option<&str> {
        self.password.as_ref().map(|p| p.as_str())
    }

    /// The URL without its password, fit to be written into `ca.conf`.
    pub fn url_without_password(&self) -> String {
        match split_url(&self.url) {
            Some(parts) => parts.render(None, None),
            None => String::new(),
        }
    }
}

/// kyso connects without TLS (`NoTls`): a URL must keep the connection on this machine (Unix
/// sockets, loopback addresses, `localhost`) unless it says `sslmode=disable`, the operator's
/// statement that the network is protected otherwise. `sslmode=require` cannot be honoured.
#[cfg(feature = "postgres")]
fn transport_check(config: &::postgres::Config, url: &str) -> Result<(), TargetError> {
    use ::postgres::config::{Host, SslMode};
    let mode = config.get_ssl_mode();
    if matches!(mode, SslMode::Require) {
        return Err(TargetError::TlsRequired { url: redact(url) });
    }
    let loopback = |h: &str| {
        let h = h.trim_start_matches('[').trim_end_matches(']');
        h.eq_ignore_ascii_case("localhost") || h.parse::<std::net::IpAddr>().is_ok_and(|a| a.is_loopback())
    };
    let hosts = config.get_hosts().iter().filter_map(|h| match h {
        Host::Tcp(name) => Some(name.clone()),
        Host::Unix(_) => None,
    });
    let addrs = config.get_hostaddrs().iter().map(|a| a.to_string());
    // a hostaddr, when given, is where the connection goes; the host name then only names it
    let remote = if config.get_hostaddrs().is_empty() { hosts.filter(|h| !loopback(h)).next() } else { addrs.filter(|a| !loopback(a)).next() };
    match remote {
        Some(host) if !matches!(mode, SslMode::Disable) => Err(TargetError::Unencrypted { url: redact(url), host }),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_never_shown() {
        let t = PgTarget::parse("postgres://kyso:s3cret@db.example:5432/ca?password=other&sslmode=disable").unwrap();
        let shown = format!("{t} {t:?}");
        assert!(!shown.contains("s3cret") && !shown.contains("other"), "{shown}");
        assert_eq!(t.to_string(), "postgres://kyso:***@db.example:5432/ca?password=***&sslmode=disable");
        assert_eq!(t.url_without_password(), "postgres://kyso@db.example:5432/ca?sslmode=disable");
        assert!(t.url_has_password());
        let plain = PgTarget::parse("postgresql://kyso@127.0.0.1/ca").unwrap();
        assert!(!plain.url_has_password());
        assert_eq!(plain.to_string(), "postgresql://kyso@127.0.0.1/ca");
        // a password with an unescaped '@' in it: hidden up to the last '@' (more than the
        // driver, which ends the user-info at the first, would call the password)
        let t = PgTarget::parse("postgres://u:a@b@h/d?sslmode=disable").unwrap();
        assert_eq!(t.to_string(), "postgres://u:***@b@h/d?sslmode=disable");
        // cut where the driver cuts: the user-info ends at the first '@' even after a '/'; a
        // query key counts after percent-decoding
        for (url, shown, stored) in [
            ("postgres://kyso:pa/ss@127.0.0.1/ca", "postgres://kyso:***@127.0.0.1/ca", "postgres://kyso@127.0.0.1/ca"),
            ("postgres://kyso:pa?ss@127.0.0.1/ca", "postgres://kyso:***@127.0.0.1/ca", "postgres://kyso@127.0.0.1/ca"),
            ("postgres://kyso@127.0.0.1/ca?pass%77ord=s3cret&application_name=k", "postgres://kyso@127.0.0.1/ca?pass%77ord=***&application_name=k", "postgres://kyso@127.0.0.1/ca?application_name=k"),
            ("postgres://kyso@127.0.0.1/ca?PASSWORD=s3cret", "postgres://kyso@127.0.0.1/ca?PASSWORD=***", "postgres://kyso@127.0.0.1/ca"),
        ] {
            let t = PgTarget::parse(url);
            #[cfg(feature = "postgres")]
            let t = match t {
                // the driver may refuse a form outright (an upper-case key): refused is fine too
                Err(TargetError::BadUrl { url: u, .. }) => {
                    assert!(!u.contains("s3cret") && !u.contains("pa/ss") && !u.contains("pa?ss"), "{u}");
                    continue;
                }
                t => t,
            };
            let t = t.unwrap();
            assert_eq!(t.to_string(), shown, "{url}");
            assert_eq!(format!("{t:?}").contains("s3cret"), false, "{url}");
            assert!(t.url_has_password(), "{url}");
            assert_eq!(t.url_without_password(), stored, "{url}");
        }
    }

    #[test]
    fn refusals() {
        assert!(matches!(PgTarget::parse("mysql://x"), Err(TargetError::NotPostgres(_))));
        match PgTarget::parse("sqlite:///u:pw@x") {
            Err(TargetError::NotPostgres(s)) => assert!(!s.contains("pw")),
            r => panic!("{r:?}"),
        }
        assert!(matches!(PgTarget::parse("postgres://h/d b"), Err(TargetError::BadUrl { .. })));
        let t = PgTarget::parse("postgres://127.0.0.1/d").unwrap();
        for bad in ["", "A", "1a", "a-b", "a;drop", &"a".repeat(64)] {
            assert!(matches!(t.clone().with_schema(bad), Err(TargetError::BadSchema(_))), "{bad}");
        }
        assert_eq!(t.with_schema("kyso_ab12").unwrap().schema(), Some("kyso_ab12"));
    }

    /// No TLS yet: another machine only with an explicit sslmode=disable; TLS asked for is refused.
    #[cfg(feature = "postgres")]
    #[test]
    fn connections_stay_on_this_machine_unless_the_url_says_sslmode_disable() {
        for local in [
            "postgres://kyso@127.0.0.1:5432/ca",
            "postgres://kyso@localhost/ca",
            "postgres://kyso@[::1]:5432/ca",
            "postgresql://kyso@127.0.0.2/ca",
            "postgres://kyso@%2Fvar%2Frun%2Fpostgresql/ca",
            "postgres:///ca?host=/var/run/postgresql",
            "postgres://kyso@db.example/ca?hostaddr=127.0.0.1",
            "postgres://kyso@db.example/ca?sslmode=prefer&hostaddr=::1",
            "postgres://kyso@db.example:5432/ca?sslmode=disable",
            "postgres://kyso@10.0.0.5/ca?sslmode=disable",
        ] {
            assert!(PgTarget::parse(local).is_ok(), "{local}: {:?}", PgTarget::parse(local).err());
        }
        for (remote, host) in [
            ("postgres://kyso:pw@db.example:5432/ca", "db.example"),
            ("postgres://kyso@10.0.0.5/ca?sslmode=prefer", "10.0.0.5"),
            ("postgres://kyso@localhost,db2.example/ca", "db2.example"),
            ("postgres://kyso@localhost/ca?hostaddr=192.0.2.7", "192.0.2.7"),
        ] {
            match PgTarget::parse(remote) {
                Err(e @ TargetError::Unencrypted { .. }) => {
                    let text = e.to_string();
                    assert!(text.contains(&format!("names {host}, another machine")) && text.contains("sslmode=disable") && !text.contains(":pw@"), "{text}");
                }
                r => panic!("{remote}: {r:?}"),
            }
        }
        match PgTarget::parse("postgres://kyso@127.0.0.1/ca?sslmode=require") {
            Err(e @ TargetError::TlsRequired { .. }) => assert!(e.to_string().contains("asks for TLS"), "{e}"),
            r => panic!("{r:?}"),
        }
    }
}
