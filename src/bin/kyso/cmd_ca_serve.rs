//! `kyso ca serve`: publish one or more CAs over HTTP (CRLs, CA certificates, OCSP). Argument
//! definitions, key opening and start-up output; the server is `kyso::ca::serve`.

use crate::keyload::{Key, KeySpec, PinArgs};
use crate::util::{read_input, CliError, PassArgs};
use clap::Args;
use kyso::ca::ocsp::{Publisher, DEFAULT_OCSP_VALIDITY_SECS, OCSP_CERT_FILE, OCSP_KEY_FILE};
use kyso::ca::serve::{CaServer, ServeOptions};
use kyso::ca::{Ca, CaKeyRef};
use kyso::keys::Signer;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

pub const EXAMPLES: &str = "\
EXAMPLES:
  # a root and an issuing CA whose certificates say where to look
  kyso ca init --dir root --name 'Root CA Tỉnh Bắc Ninh' \\
      --crl-url http://ca.bacninh.example/root/crl \\
      --ca-issuers-url http://ca.bacninh.example/root/ca.crt \\
      --ocsp-url http://ca.bacninh.example/ocsp
  kyso ca init --dir ca --name 'CA Tỉnh Bắc Ninh' --parent root \\
      --crl-url http://ca.bacninh.example/ca/crl \\
      --ca-issuers-url http://ca.bacninh.example/ca/ca.crt \\
      --ocsp-url http://ca.bacninh.example/ocsp
  # optional: a delegated responder, so that the CA key can stay offline
  kyso ca issue --dir ca --profile ocsp --cn 'OCSP CA Tỉnh Bắc Ninh' \\
      --key-out ca/ocsp.key --cert-out ca/ocsp.pem
  kyso ca serve --dir root --dir ca --listen 127.0.0.1:8080 --pass-file pass.txt

  # what a recipient (or OpenSSL) sees
  curl -sI http://127.0.0.1:8080/ca/crl        # application/pkix-crl
  openssl ocsp -issuer ca/ca.pem -cert unit.pem -url http://127.0.0.1:8080/ocsp \\
      -CAfile root/ca.pem

Each CA is served at the paths of its --crl-url, --ca-issuers-url and --ocsp-url, and at
/DIR/crl, /DIR/ca.crt and /DIR/ocsp (DIR: the CA directory's name); /ocsp answers for every CA.
OCSP answers are signed with DIR/ocsp.key (certificate DIR/ocsp.pem) when both exist, else with
the CA key; every key is opened with the same passphrase source. A revocation (kyso ca revoke)
is in the next answer and the next CRL fetched. SIGTERM or SIGINT stops the server.

Keys on a token (PKCS#11): a CA made with `ca init --key URI` signs with its token key; a
delegated responder's key on a token is named by DIR/ocsp-key.uri (one line, a pkcs11: URI)
instead of DIR/ocsp.key, its certificate DIR/ocsp.pem or, without it, the one on the token.
The PIN comes from pin-source in the URI, --pin-file, KYSO_PIN or a prompt.
  kyso key new --token 'pkcs11:token=ca' --label ocsp --csr ocsp.csr --cn 'OCSP CA Tỉnh Bắc Ninh'
  kyso ca issue --dir ca --profile ocsp --cn 'OCSP CA Tỉnh Bắc Ninh' --csr ocsp.csr \\
      --cert-out ca/ocsp.pem
  echo 'pkcs11:token=ca;object=ocsp' > ca/ocsp-key.uri
  kyso ca serve --dir ca --pin-file pin.txt

Several servers, one registry: with the registry in PostgreSQL (ca init --db, or DIR/ca.conf),
run `kyso ca serve` on several machines behind any HTTP load balancer; each answers from the
database, sees a revocation in its next answer, and the CRL is re-published once between them.
  kyso ca serve --dir root --dir ca --listen 0.0.0.0:8080 --db-pass-file db-pass.txt

EXIT CODES:
  0  stopped cleanly (SIGTERM/SIGINT)
  1  the server could not start (address in use, the registry database cannot be reached, …)
  2  usage error, CA directory missing or not a CA, unusable responder, no or wrong passphrase";

/// `kyso ca serve`
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// A CA directory to publish (repeatable: root and issuing CA from one server)
    #[arg(long, value_name = "DIR", required = true)]
    pub dir: Vec<PathBuf>,
    /// Address to listen on (port 0 picks a free port, printed at start)
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Validity of an OCSP answer in seconds (its nextUpdate − thisUpdate)
    #[arg(long, value_name = "SECS", default_value_t = DEFAULT_OCSP_VALIDITY_SECS as u64, value_parser = clap::value_parser!(u64).range(60..=864_000))]
    pub ocsp_validity: u64,
    /// Simultaneous connections (HTTP 503 beyond)
    #[arg(long, value_name = "N", default_value_t = kyso::ca::serve::DEFAULT_MAX_CONNECTIONS as u64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_connections: u64,
    /// Simultaneous connections from one client address (HTTP 503 beyond)
    #[arg(long, value_name = "N", default_value_t = kyso::ca::serve::DEFAULT_MAX_CONNECTIONS_PER_CLIENT as u64, value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub max_connections_per_client: u64,
    /// Seconds a client has to send a whole request once it started (HTTP 408 beyond); also the
    /// idle time allowed between requests on a kept-alive connection
    #[arg(long, value_name = "SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=300))]
    pub request_timeout: u64,
    /// Also log every OCSP answer that is not good and every refused request (stderr)
    #[arg(long)]
    pub verbose: bool,
    #[command(flatten)]
    pub db: crate::cmd_db::DbArgs,
    #[command(flatten)]
    pub pass: PassArgs,
    #[command(flatten)]
    pub pin: PinArgs,
}

/// The file that names a delegated responder's key on a token (a `pkcs11:` URI on its first
/// line), in place of [`OCSP_KEY_FILE`].
pub const OCSP_KEY_URI_FILE: &str = "ocsp-key.uri";

/// Longest `ocsp-key.uri` read: a URI is a few hundred bytes (as for the CA's `ca-key.uri`).
const MAX_URI_FILE: u64 = 16 * 1024;

/// The responder key that `DIR/ocsp-key.uri` names, and the certificate stored next to it on
/// the token (if any). RSA keys sign with PKCS#1 v1.5, as the CA's own do.
fn open_token_responder(uri_path: &std::path::Path, pass: &PassArgs, pin: &PinArgs) -> Result<(Key, Option<Vec<u8>>), CliError> {
    let bytes = read_input(uri_path, "the responder key URI", MAX_URI_FILE)?;
    let text = String::from_utf8(bytes).map_err(|_| CliError::usage(format!("{}: not UTF-8 text", uri_path.display())))?;
    let uri = text.lines().next().unwrap_or_default().trim().to_string();
    let in_file = |e: CliError| CliError { message: format!("the OCSP responder key ({}): {}", uri_path.display(), e.message), ..e };
    if !crate::keyload::is_token_uri(std::path::Path::new(&uri)) {
        return Err(CliError::usage(format!("{}: the first line is not a pkcs11: URI", uri_path.display()))
            .hint("write the URI of the responder's key, e.g. pkcs11:token=ca;object=ocsp (a key file goes in ocsp.key)"));
    }
    let opener = KeySpec::read(std::path::Path::new(&uri), pass, None, CliError::usage)
        .and_then(|k| k.prepare(pass, pin, None))
        .map_err(in_file)?;
    let cert = opener.token_certificate();
    let mut key = opener.open().map_err(in_file)?;
    key.set_rsa_padding(kyso::RsaPadding::Pkcs1);
    Ok((key, cert))
}

/// The first certificate of a PEM/DER file.
fn read_responder_cert(path: &std::path::Path) -> Result<Vec<u8>, CliError> {
    let bytes = read_input(path, "the responder certificate", 1 << 20)?;
    kyso::objects::certificates(&bytes)
        .map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?
        .into_iter()
        .next()
        .ok_or_else(|| CliError::usage(format!("{} holds no certificate", path.display())))
}

fn open_key(path: &std::path::Path, pass: &PassArgs) -> Result<kyso::PrivateKey, CliError> {
    let bytes = read_input(path, "the key", 1 << 20)?;
    let kf = kyso::KeyFile::parse(&bytes).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))?;
    if kf.is_encrypted() {
        let p = pass.get(&path.display().to_string())?;
        kf.open(Some(&p)).map_err(|e| CliError::usage(format!("{}: {e}", path.display())).hint("check --pass-file / KYSO_PASSPHRASE"))
    } else {
        eprintln!("warning: {} is not encrypted", path.display());
        kf.open(None).map_err(|e| CliError::usage(format!("{}: {e}", path.display())))
    }
}

/// A key shared by the OCSP signer and the CRL re-publisher.
struct Shared(Arc<Key>);

impl Signer for Shared {
    fn signature_algorithm(&self) -> kyso::SignatureAlgorithm {
        self.0.signature_algorithm()
    }
    fn public_key_spki(&self) -> &[u8] {
        self.0.public_key_spki()
    }
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, kyso::KeyError> {
        self.0.sign(message)
    }
}

/// Runs `kyso ca serve`.
pub fn run(a: ServeArgs) -> Result<ExitCode, CliError> {
    let now = time::OffsetDateTime::now_utc();
    let mut publishers = Vec::new();
    // the CA keys at hand, each with a handle of its own on the CA for re-publishing CRLs
    let mut ca_keys: Vec<(usize, Arc<Key>, Ca)> = Vec::new();
    let open = |dir: &std::path::Path| -> Result<Ca, CliError> {
        Ca::open_with(dir, &a.db.options()?).map_err(|e| {
            crate::cmd_db::db_error(e).unwrap_or_else(|e| {
                CliError::usage(e.to_string()).hint("a CA directory holds ca.pem, ca.key and registry.db made by `kyso ca init`")
            })
        })
    };
    for dir in &a.dir {
        let ca = open(dir)?;
        let (cert_path, key_path, uri_path) = (dir.join(OCSP_CERT_FILE), dir.join(OCSP_KEY_FILE), dir.join(OCSP_KEY_URI_FILE));
        let (signer, responder): (Box<dyn Signer>, _) = if uri_path.is_file() {
            if key_path.exists() {
                return Err(CliError::usage(format!("{} and {} both name the OCSP responder's key", key_path.display(), uri_path.display()))
                    .hint("keep ocsp.key for a key file or ocsp-key.uri for a key on a token, not both"));
            }
            let (key, on_token) = open_token_responder(&uri_path, &a.pass, &a.pin)?;
            let (path, der) = if cert_path.is_file() {
                (cert_path.clone(), read_responder_cert(&cert_path)?)
            } else {
                let der = on_token.ok_or_else(|| {
                    CliError::usage(format!("no {} and the token holds no certificate for the key {} names", cert_path.display(), uri_path.display()))
                        .hint("issue one with `kyso ca issue --profile ocsp --csr …` and store it with `kyso token import-cert`, or write it to ocsp.pem")
                })?;
                (uri_path.clone(), der)
            };
            (Box::new(key), Some((path, der)))
        } else if cert_path.is_file() && key_path.is_file() {
            (Box::new(Key::File(open_key(&key_path, &a.pass)?)), Some((cert_path.clone(), read_responder_cert(&cert_path)?)))
        } else {
            let key = match ca.key_ref().map_err(|e| CliError::usage(e.to_string()))? {
                // a CA key on a token (`ca init --key URI`); Publisher::new checks it against
                // the CA certificate
                CaKeyRef::Uri(uri) => {
                    let mut key = crate::keyload::load_key(std::path::Path::new(&uri), &a.pass, &a.pin, None)
                        .map_err(|e| CliError { message: format!("the key of the CA {} ({}): {}", dir.display(), ca.key_path().display(), e.message), ..e })?;
                    key.set_rsa_padding(kyso::RsaPadding::Pkcs1);
                    key
                }
                _ => Key::File(open_key(&dir.join(kyso::ca::CA_KEY_FILE), &a.pass)?),
            };
            let key = Arc::new(key);
            ca_keys.push((publishers.len(), Arc::clone(&key), open(dir)?));
            (Box::new(Shared(key)), None)
        };
        let responder = responder.as_ref().map(|(p, d): &(PathBuf, Vec<u8>)| (p.as_path(), d.clone()));
        let p = Publisher::new(ca, signer, responder, a.ocsp_validity as i64, now.unix_timestamp())
            .map_err(|e| CliError::usage(e.to_string()).hint("issue a responder certificate with `kyso ca issue --profile ocsp`, or remove ocsp.pem/ocsp.key to sign with the CA key"))?;
        publishers.push(Arc::new(p));
    }
    let options = {
        let mut o = ServeOptions::default();
        o.max_connections = a.max_connections as usize;
        o.max_connections_per_client = a.max_connections_per_client as usize;
        o.request_timeout = Duration::from_secs(a.request_timeout);
        o.keep_alive = Duration::from_secs(a.request_timeout.min(5));
        o
    };
    let server = CaServer::bind(&a.listen, publishers.clone(), Arc::new(time::OffsetDateTime::now_utc), options)
        .map_err(|e| CliError::failed(format!("cannot listen on {}: {e}", a.listen)))?;
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(sig, Arc::clone(&stop)).map_err(|e| CliError::failed(format!("cannot install a signal handler: {e}")))?;
    }
    let addr = server.local_addr().map(|a| a.to_string()).unwrap_or_else(|| a.listen.clone());
    eprintln!("kyso ca serve: listening on http://{addr}/");
    for p in &publishers {
        match p.delegated_until() {
            Some(t) => eprintln!("  {}: OCSP signed by the delegated responder (valid until {})", p.name(), kyso::ca::rfc3339(time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(now))),
            None => eprintln!("  {}: OCSP signed by the CA key", p.name()),
        }
    }
    for r in server.routes() {
        eprintln!("  http://{addr}{}  {}", r.path, r.what);
    }
    // With the CA key at hand, the CRL is re-published when half its validity has passed (the
    // server would otherwise keep serving a CRL that recipients will soon call stale).
    let republisher = {
        let stop = Arc::clone(&stop);
        let publishers = publishers.clone();
        let mut ca_keys = ca_keys;
        std::thread::spawn(move || {
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                for (i, key, ca) in ca_keys.iter_mut() {
                    if let Some(p) = publishers.get(*i) {
                        match p.republish_if_due_with(ca, key.as_ref(), time::OffsetDateTime::now_utc()) {
                            Ok(Some(n)) => eprintln!("kyso ca serve: {}: CRL number {n} published", p.name()),
                            Ok(None) => {}
                            Err(e) => eprintln!("kyso ca serve: {}: cannot publish a CRL: {e}", p.name()),
                        }
                    }
                }
                for _ in 0..600 {
                    if stop.load(std::sync::atomic::Ordering::SeqCst) {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(100));
                }
            }
        })
    };
    let verbose = a.verbose;
    let stats = server.run(&stop, &|line| {
        if verbose || line.contains("accept error") || line.contains("cannot read the registry") {
            eprintln!("{line}")
        }
    });
    let _ = republisher.join();
    eprintln!(
        "kyso ca serve: stopped: {} OCSP answers, {} OCSP error answers, {} CRLs/certificates, {} refused, {} connections",
        stats.ocsp_answers, stats.ocsp_errors, stats.files, stats.refused, stats.connections
    );
    Ok(ExitCode::SUCCESS)
}
