//! `kyso web`: the recipients' verification page and JSON API. Argument definitions and start-up
//! output; the server is `kyso::web`.

use crate::cmd_verify::{parse_time, revocation_source, trust_inputs, TrustArgs};
use crate::util::CliError;
use clap::Args;
use kyso::web::{AnchorInfo, WebConfig, WebOptions, WebServer};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

pub const EXAMPLES: &str = "\
EXAMPLES:
  # the page on the office LAN; revocation fetched from the CAs (OCSP, CRLs), cached
  kyso web --trust root.pem --listen 0.0.0.0:8090
  # an offline LAN: the CRLs are given, nothing is fetched
  kyso web --trust root.pem --crl ca/crl.pem --offline --listen 127.0.0.1:8090

  # the JSON API (the same report as `kyso verify --json`)
  curl -F files=@cong-van.pdf http://127.0.0.1:8090/api/verify
  curl -F files=@to-trinh.docx -F files=@to-trinh.docx.p7s http://127.0.0.1:8090/api/verify

Open http://127.0.0.1:8090/ in a browser: choose or drop the files (a signed PDF, a document and
its .p7s, or several at once, paired by name), read the verdict in Vietnamese (English with the
switch), print the record or download the JSON. The page works without JavaScript and loads
nothing from outside this server. Nothing uploaded is stored. Trust anchors, CRLs and fetching
are this command's flags only: an upload can never add a trust anchor. The validation time is
the time of each request (--at pins it); --lang sets the page's default language. SIGTERM or
SIGINT stops the server.

EXIT CODES:
  0  stopped cleanly (SIGTERM/SIGINT)
  1  the server could not start (address in use, …)
  2  usage error, unreadable --trust/--chain/--crl file";

/// `kyso web`
#[derive(Debug, Args)]
#[command(after_help = EXAMPLES)]
pub struct WebArgs {
    /// Address to listen on (port 0 picks a free port, printed at start)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8090")]
    pub listen: String,
    /// Largest upload (the whole request body), e.g. 50MiB, 500KiB, 1000000 (HTTP 413 beyond)
    #[arg(long, value_name = "SIZE", default_value = "50MiB", value_parser = parse_size)]
    pub max_upload: usize,
    /// Files in one upload
    #[arg(long, value_name = "N", default_value_t = kyso::web::DEFAULT_MAX_FILES as u64, value_parser = clap::value_parser!(u64).range(1..=1000))]
    pub max_files: u64,
    /// Verifications running at once (HTTP 503 with Retry-After beyond) [default: twice the CPUs]
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=1024))]
    pub max_verifications: Option<u64>,
    /// Simultaneous connections (HTTP 503 beyond)
    #[arg(long, value_name = "N", default_value_t = 128, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_connections: u64,
    /// Simultaneous connections from one client address (HTTP 503 beyond)
    #[arg(long, value_name = "N", default_value_t = kyso::http::DEFAULT_MAX_CONNECTIONS_PER_CLIENT as u64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_connections_per_client: u64,
    /// Seconds a client has to send its request headers (HTTP 408 beyond: a slow client is
    /// dropped)
    #[arg(long, value_name = "SECS", default_value_t = 5, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub header_timeout: u64,
    /// Seconds a client has to send a whole request, upload included (HTTP 408 beyond)
    #[arg(long, value_name = "SECS", default_value_t = 120, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub request_timeout: u64,
    /// Log every refused request (stderr)
    #[arg(long)]
    pub verbose: bool,
    #[command(flatten)]
    pub trust: TrustArgs,
}

/// `50MiB`, `500KiB`, `2MB`, `1000000`.
fn parse_size(s: &str) -> Result<usize, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let n: usize = num.parse().map_err(|_| format!("{s:?} is not a size (for example 50MiB)"))?;
    let mult: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1_000_000,
        "mib" => 1 << 20,
        "g" | "gb" => 1_000_000_000,
        "gib" => 1 << 30,
        _ => return Err(format!("{s:?}: unknown unit (B, KiB, MiB, GiB, kB, MB, GB)")),
    };
    let v = n.checked_mul(mult).ok_or_else(|| format!("{s:?} is too large"))?;
    if !(1024..=(4usize << 30)).contains(&v) {
        return Err(format!("{s:?}: give between 1KiB and 4GiB"));
    }
    Ok(v)
}

/// Runs `kyso web`.
pub fn run(a: WebArgs) -> Result<ExitCode, CliError> {
    if a.trust.json {
        return Err(CliError::usage("--json has no meaning for kyso web").hint("the JSON report is at POST /api/verify"));
    }
    // Checked now (a usage error before the server starts), applied per request.
    let at = match &a.trust.at {
        Some(_) => Some(parse_time(&a.trust.at)?),
        None => None,
    };
    let inputs = Arc::new(trust_inputs(&a.trust)?);
    // The inputs must make a verifier: refuse a bad trust anchor or CRL at start-up.
    inputs
        .verifier(at.unwrap_or_else(time::OffsetDateTime::now_utc), Arc::new(kyso::revocation::source::Offline))
        .map_err(|e| CliError::usage(e.to_string()))?;
    let anchors: Vec<AnchorInfo> = inputs.anchors.iter().map(|d| AnchorInfo::from_der(d)).collect();
    let trust = a.trust.clone();
    let factory_inputs = Arc::clone(&inputs);
    let config = WebConfig::new(
        Arc::new(move |now: time::OffsetDateTime| {
            // A fetcher per request: its cache freshness is judged at the request's time.
            factory_inputs.verifier(at.unwrap_or(now), revocation_source(&trust, now.unix_timestamp()))
        }),
        anchors,
    )
    .default_lang(crate::cmd_verify::lang(a.trust.lang));
    let mut options = WebOptions::default();
    options.http.max_body_bytes = a.max_upload;
    options.http.max_connections = a.max_connections as usize;
    options.http.max_connections_per_client = a.max_connections_per_client as usize;
    options.http.header_timeout = Duration::from_secs(a.header_timeout);
    options.http.request_timeout = Duration::from_secs(a.request_timeout.max(a.header_timeout));
    options.http.body_timeout = options.http.request_timeout;
    options.http.max_body_bytes_in_flight = options.http.max_body_bytes_in_flight.max(a.max_upload);
    options.max_files = a.max_files as usize;
    if let Some(n) = a.max_verifications {
        options.max_verifications = n as usize;
    }
    let server = WebServer::bind(&a.listen, config, Arc::new(time::OffsetDateTime::now_utc), options)
        .map_err(|e| CliError::failed(format!("cannot listen on {}: {e}", a.listen)))?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(|e| CliError::failed(format!("cannot install a signal handler: {e}")))?;
    }
    let addr = server.local_addr().map(|a| a.to_string()).unwrap_or_else(|| a.listen.clone());
    eprintln!("kyso web: listening on http://{addr}/");
    eprintln!(
        "  trust anchors: {}; revocation: {:?}{}",
        inputs.anchors.len(),
        a.trust.revocation,
        if a.trust.offline { " (offline: nothing fetched)" } else { " (missing status fetched over http)" }
    );
    eprintln!("  GET  http://{addr}/             the page (?lang=en for English)");
    eprintln!("  POST http://{addr}/api/verify   the JSON report (multipart, parts named \"files\")");
    let verbose = a.verbose;
    let stats = server.run(&stop, &|line| {
        if verbose || line.contains("accept error") {
            eprintln!("{line}")
        }
    });
    eprintln!("kyso web: stopped: {} uploads verified, {} refused ({} busy), {} connections", stats.verified, stats.refused, stats.busy, stats.connections);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("50MiB"), Ok(50 << 20));
        assert_eq!(parse_size("500KiB"), Ok(500 << 10));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert_eq!(parse_size("1000000"), Ok(1_000_000));
        assert!(parse_size("10").is_err());
        assert!(parse_size("5XB").is_err());
        assert!(parse_size("99999999999999999999GiB").is_err());
    }
}
