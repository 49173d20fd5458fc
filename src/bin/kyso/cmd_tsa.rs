//! `kyso tsa serve`: an RFC 3161 timestamp authority over HTTP.

use crate::keyload::PinArgs;
use crate::util::{read_input, CliError, PassArgs};
use clap::{Args, Subcommand};
use kyso::tsp::server::{ServerOptions, TsaServer, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_CLIENT, DEFAULT_MAX_REQUEST_BYTES};
use kyso::tsp::{Tsa, DEFAULT_POLICY};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// Certificate and key files are small; 1 MiB bounds a hostile or mistaken input.
const INPUT_LIMIT: u64 = 1024 * 1024;

const EXAMPLES: &str = "\
EXAMPLES:
  # a TSA certificate from the provincial CA, then serve on loopback
  kyso ca issue --dir ca --profile tsa --cn 'TSA tỉnh Bắc Ninh' \\
      --key-out tsa.key --cert-out tsa.pem
  kyso tsa serve --cert tsa.pem --key tsa.key --chain ca/chain.pem \\
      --listen 127.0.0.1:3180 --pass-file pass.txt

  # the TSA key on an HSM or token (its certificate stored next to it, or --cert)
  kyso tsa serve --key 'pkcs11:token=tsa;object=tsa' --pin-file pin.txt \\
      --chain ca/chain.pem --listen 127.0.0.1:3180

  # ask it for a timestamp with OpenSSL and check the answer
  openssl ts -query -data doc.pdf -sha256 -cert -out req.tsq
  curl -s -H 'Content-Type: application/timestamp-query' --data-binary @req.tsq \\
      http://127.0.0.1:3180/ -o resp.tsr
  openssl ts -verify -data doc.pdf -in resp.tsr -CAfile root.pem -untrusted tsa.pem

One line per token issued or request refused goes to stderr. SIGTERM or SIGINT stops the
server cleanly: requests already received are answered first.

Slow clients: each connection has 5 s for its request line and headers and 5 s more for its
body (HTTP 408 beyond, and the connection is closed); connections beyond --max-connections,
or beyond --max-connections-per-client from one address, get HTTP 503 at once.

EXIT CODES:
  0  stopped cleanly (SIGTERM/SIGINT)
  1  the server could not start (address in use, …)
  2  usage error or unusable certificate/key (e.g. no critical id-kp-timeStamping EKU)";

/// `kyso tsa …`
#[derive(Debug, Args)]
pub struct TsaArgs {
    #[command(subcommand)]
    pub command: TsaCommand,
}

/// Timestamp authority commands.
#[derive(Debug, Subcommand)]
pub enum TsaCommand {
    /// Serve RFC 3161 timestamps over HTTP (POST application/timestamp-query)
    #[command(after_help = EXAMPLES)]
    Serve(ServeArgs),
}

/// `kyso tsa serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The TSA certificate (PEM or DER; EKU id-kp-timeStamping, critical); optional with a
    /// .p12/.pfx --key or a key on a token, which hold it
    #[arg(long, value_name = "FILE")]
    pub cert: Option<PathBuf>,
    /// The TSA's private key (encrypted PKCS#8 PEM, an unencrypted key with a warning, or a
    /// .p12/.pfx with the certificate and chain), or a key on a token (pkcs11: URI)
    #[arg(long, value_name = "FILE|URI")]
    pub key: PathBuf,
    /// With a .p12/.pfx holding several keys: the friendly name of the one to use
    #[arg(long, value_name = "NAME")]
    pub p12_name: Option<String>,
    /// Issuing CA certificates to include in tokens (PEM bundle)
    #[arg(long, value_name = "FILE")]
    pub chain: Option<PathBuf>,
    /// Address to listen on, e.g. 127.0.0.1:3180 (port 0 picks a free port, printed at start)
    #[arg(long, value_name = "ADDR")]
    pub listen: String,
    /// TSA policy OID stated in every token [default: 0.4.0.2023.1.1, the ETSI best-practices
    /// time-stamp policy]
    #[arg(long, value_name = "OID")]
    pub policy: Option<String>,
    /// Requests signed at once (each connection is read by its own thread first, so a slow
    /// client never holds one of these)
    #[arg(long, value_name = "N", default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub workers: u16,
    /// Connections open at once (HTTP 503 beyond)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS as u32, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_connections: u32,
    /// Connections open at once from one client address (HTTP 503 beyond)
    #[arg(long, value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS_PER_CLIENT as u32, value_parser = clap::value_parser!(u32).range(1..=65_536))]
    pub max_connections_per_client: u32,
    /// Largest request body accepted, in bytes (HTTP 413 beyond)
    #[arg(long, value_name = "BYTES", default_value_t = DEFAULT_MAX_REQUEST_BYTES as u64, value_parser = clap::value_parser!(u64).range(64..=1_048_576))]
    pub max_request_bytes: u64,
    #[command(flatten)]
    pub pass: PassArgs,
    #[command(flatten)]
    pub pin: PinArgs,
}

/// Runs `kyso tsa …`.
pub fn run(args: TsaArgs) -> Result<ExitCode, CliError> {
    match args.command {
        TsaCommand::Serve(a) => serve(a),
    }
}

fn serve(a: ServeArgs) -> Result<ExitCode, CliError> {
    let policy = match &a.policy {
        Some(p) => p.parse::<const_oid::ObjectIdentifier>().map_err(|e| CliError::usage(format!("--policy {p} is not an OID: {e}")))?,
        None => DEFAULT_POLICY,
    };
    let given_cert = match &a.cert {
        Some(path) => {
            let b = read_input(path, "the certificate", INPUT_LIMIT)?;
            let c = kyso::objects::certificates(&b)
                .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?
                .into_iter()
                .next()
                .ok_or_else(|| CliError::usage(format!("{} holds no certificate", path.display())))?;
            Some(c)
        }
        None => None,
    };
    let given_chain = match &a.chain {
        Some(p) => {
            let b = read_input(p, "the chain file", INPUT_LIMIT)?;
            Some(kyso::objects::certificates(&b).map_err(|e| CliError::usage(format!("{}: {e}", p.display())))?)
        }
        None => None,
    };
    let creds = crate::keyload::credentials(
        &a.key,
        &a.pass,
        &a.pin,
        a.p12_name.as_deref(),
        given_cert.map(|c| vec![c]),
        given_chain.unwrap_or_default(),
        CliError::usage,
        "give the TSA certificate with --cert FILE",
    )?;
    let (cert, mut chain) = (creds.cert, creds.chain);
    let key = creds.opener.open()?;
    chain.retain(|c| *c != cert);
    let cert_name = match (&a.cert, crate::keyload::is_token_uri(&a.key)) {
        (Some(p), _) => p.display().to_string(),
        (None, true) => "the token's certificate".into(),
        (None, false) => a.key.display().to_string(),
    };
    let tsa = Tsa::new(&cert, &chain, Arc::new(key), policy).map_err(|e| {
        CliError::usage(format!("{cert_name}: {e}"))
            .hint("a TSA certificate needs the extended key usage id-kp-timeStamping alone, marked critical (kyso ca issue --profile tsa)")
    })?;
    let max_request_bytes = usize::try_from(a.max_request_bytes).unwrap_or(DEFAULT_MAX_REQUEST_BYTES);
    let options = ServerOptions {
        max_request_bytes,
        workers: usize::from(a.workers),
        max_connections: a.max_connections as usize,
        max_connections_per_client: a.max_connections_per_client as usize,
        ..ServerOptions::default()
    };
    let server = TsaServer::bind(&a.listen, tsa, Arc::new(time::OffsetDateTime::now_utc), options)
        .map_err(|e| CliError::failed(e.to_string()))?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .map_err(|e| CliError::failed(format!("cannot install a signal handler: {e}")))?;
    }
    let addr = server.local_addr().map(|a| a.to_string()).unwrap_or_else(|| a.listen.clone());
    eprintln!("kyso tsa: listening on http://{addr}/ (policy {policy}, {} workers)", a.workers);
    let stats = server.run(&stop, &|line| eprintln!("{line}"));
    eprintln!(
        "kyso tsa: stopped: {} tokens issued, {} requests rejected, {} refused",
        stats.granted, stats.rejected, stats.refused
    );
    Ok(ExitCode::SUCCESS)
}
