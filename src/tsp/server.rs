//! An RFC 3161 HTTP server (RFC 3161 §3.4): `POST` a DER `TimeStampReq` as
//! `application/timestamp-query`, get a DER `TimeStampResp` as `application/timestamp-reply`.
//!
//! Connections are read by tiny_http's own threads; `workers` threads sign tokens. The server
//! stops when the caller's stop flag is set (the CLI sets it on SIGTERM/SIGINT): requests
//! already received are answered, then [`TsaServer::run`] returns.

use super::token::{Outcome, Tsa};
use super::TspError;
use std::io::Read;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

/// The time source of a server: the library never reads the clock itself, the caller passes one
/// (the CLI passes `SystemTime::now`).
pub type Clock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// Default request-size limit: a TimeStampReq with a SHA-512 imprint, a 20-byte nonce and a
/// policy is about 110 bytes; 8 KiB leaves room for request extensions and stops anyone making
/// the server buffer large bodies.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 8 * 1024;

/// How often idle workers look at the stop flag.
const POLL: Duration = Duration::from_millis(100);

/// Server settings.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Largest request body accepted (HTTP 413 beyond).
    pub max_request_bytes: usize,
    /// Threads that sign tokens (at least 1).
    pub workers: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions { max_request_bytes: DEFAULT_MAX_REQUEST_BYTES, workers: 4 }
    }
}

/// Counts of what a server did, returned when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServeStats {
    /// Tokens issued.
    pub granted: u64,
    /// Requests rejected with a PKIStatus failure.
    pub rejected: u64,
    /// Requests refused at the HTTP level (wrong method, content type, size).
    pub refused: u64,
}

/// Serial numbers unique within a process and, with a random 63-bit prefix chosen at start,
/// distinct across restarts with overwhelming probability: `prefix (8 bytes) ‖ counter (8 bytes)`,
/// always positive.
#[derive(Debug)]
pub struct SerialSource {
    prefix: [u8; 8],
    counter: AtomicU64,
}

impl SerialSource {
    /// A source with a fresh random prefix.
    pub fn new() -> Result<SerialSource, TspError> {
        let mut prefix = super::random_nonce()?;
        prefix[0] = (prefix[0] & 0x7f) | 0x40; // positive, and never shorter than 16 bytes
        Ok(SerialSource { prefix, counter: AtomicU64::new(0) })
    }

    /// The next serial (16 bytes, big-endian).
    pub fn next_serial(&self) -> [u8; 16] {
        let n = self.counter.fetch_add(1, Ordering::Relaxed) + 1;
        let mut s = [0u8; 16];
        s[..8].copy_from_slice(&self.prefix);
        s[8..].copy_from_slice(&n.to_be_bytes());
        s
    }
}

/// A bound RFC 3161 server.
pub struct TsaServer {
    http: tiny_http::Server,
    tsa: Arc<Tsa>,
    serials: SerialSource,
    clock: Clock,
    options: ServerOptions,
}

impl std::fmt::Debug for TsaServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TsaServer").field("addr", &self.local_addr()).finish_non_exhaustive()
    }
}

impl TsaServer {
    /// Binds `addr` (e.g. `127.0.0.1:3180`; port 0 picks a free port).
    pub fn bind(addr: &str, tsa: Tsa, clock: Clock, options: ServerOptions) -> Result<TsaServer, TspError> {
        let http = tiny_http::Server::http(addr).map_err(|e| TspError::Config(format!("cannot listen on {addr}: {e}")))?;
        Ok(TsaServer { http, tsa: Arc::new(tsa), serials: SerialSource::new()?, clock, options })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.http.server_addr().to_ip()
    }

    /// Serves until `stop` is set, then finishes the requests already received and returns.
    /// `log` receives one line per token issued or request refused.
    pub fn run(&self, stop: &AtomicBool, log: &(dyn Fn(&str) + Sync)) -> ServeStats {
        let granted = AtomicU64::new(0);
        let rejected = AtomicU64::new(0);
        let refused = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..self.options.workers.max(1) {
                s.spawn(|| {
                    while !stop.load(Ordering::SeqCst) {
                        match self.http.recv_timeout(POLL) {
                            Ok(Some(req)) => match self.handle(req, log) {
                                Handled::Granted => granted.fetch_add(1, Ordering::Relaxed),
                                Handled::Rejected => rejected.fetch_add(1, Ordering::Relaxed),
                                Handled::Refused => refused.fetch_add(1, Ordering::Relaxed),
                            },
                            Ok(None) => continue,
                            Err(e) => {
                                log(&format!("tsa: accept error: {e}"));
                                std::thread::sleep(POLL);
                                0
                            }
                        };
                    }
                });
            }
        });
        // Requests tiny_http already accepted but no worker picked up: answer them too.
        while let Ok(Some(req)) = self.http.try_recv() {
            match self.handle(req, log) {
                Handled::Granted => granted.fetch_add(1, Ordering::Relaxed),
                Handled::Rejected => rejected.fetch_add(1, Ordering::Relaxed),
                Handled::Refused => refused.fetch_add(1, Ordering::Relaxed),
            };
        }
        ServeStats { granted: granted.into_inner(), rejected: rejected.into_inner(), refused: refused.into_inner() }
    }

    fn handle(&self, mut req: tiny_http::Request, log: &(dyn Fn(&str) + Sync)) -> Handled {
        let peer = req.remote_addr().map(|a| a.to_string()).unwrap_or_else(|| "-".into());
        let refuse = |req: tiny_http::Request, code: u16, why: &str| {
            log(&format!("tsa: refused HTTP {code} from={peer}: {why}"));
            let mut r = tiny_http::Response::from_string(format!("{why}\n")).with_status_code(code);
            if code == 405 {
                if let Ok(h) = tiny_http::Header::from_bytes("Allow", "POST") {
                    r = r.with_header(h);
                }
            }
            let _ = req.respond(r);
            Handled::Refused
        };
        if *req.method() != tiny_http::Method::Post {
            return refuse(req, 405, "use POST with an application/timestamp-query body");
        }
        let content_type = req.headers().iter().find(|h| h.field.equiv("Content-Type")).map(|h| h.value.as_str().to_ascii_lowercase());
        if let Some(ct) = content_type {
            // RFC 3161 §3.4 names application/timestamp-query; some old clients send the name of
            // an earlier draft, application/timestamp-request.
            let ct = ct.trim();
            if !ct.starts_with("application/timestamp-query") && !ct.starts_with("application/timestamp-request") {
                return refuse(req, 415, "the body must be application/timestamp-query");
            }
        }
        let limit = self.options.max_request_bytes;
        if req.body_length().is_some_and(|n| n > limit) {
            return refuse(req, 413, &format!("request larger than {limit} bytes"));
        }
        let mut body = Vec::new();
        // Read at most limit + 1 bytes, whatever the (possibly chunked) body claims.
        if let Err(e) = req.as_reader().take(limit as u64 + 1).read_to_end(&mut body) {
            return refuse(req, 400, &format!("cannot read the body: {e}"));
        }
        if body.len() > limit {
            return refuse(req, 413, &format!("request larger than {limit} bytes"));
        }
        let now = (self.clock)();
        let serial = self.serials.next_serial();
        let reply = self.tsa.respond(&body, now, &serial);
        let handled = match &reply.outcome {
            Outcome::Granted { serial, algorithm, nonce, cert_included } => {
                let t = super::GenTime::from_system_time(now, 3).map(|t| t.to_rfc3339()).unwrap_or_default();
                log(&format!(
                    "tsa: token serial={serial} time={t} imprint={algorithm} nonce={} cert={} from={peer}",
                    if *nonce { "yes" } else { "no" },
                    if *cert_included { "yes" } else { "no" }
                ));
                Handled::Granted
            }
            Outcome::Rejected { fail_info, reason } => {
                log(&format!("tsa: rejected {} from={peer}: {reason}", fail_info.name()));
                Handled::Rejected
            }
        };
        let mut resp = tiny_http::Response::from_data(reply.der);
        if let Ok(h) = tiny_http::Header::from_bytes("Content-Type", "application/timestamp-reply") {
            resp = resp.with_header(h);
        }
        if let Err(e) = req.respond(resp) {
            log(&format!("tsa: cannot send the answer to {peer}: {e}"));
        }
        handled
    }
}

enum Handled {
    Granted,
    Rejected,
    Refused,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_positive_sixteen_bytes_and_increasing() {
        let s = SerialSource::new().unwrap();
        let a = s.next_serial();
        let b = s.next_serial();
        assert_ne!(a, b);
        assert_eq!(a[0] & 0xc0, 0x40);
        assert_eq!(&a[8..], &1u64.to_be_bytes());
        assert_eq!(&b[8..], &2u64.to_be_bytes());
        assert_eq!(&a[..8], &b[..8]);
    }
}
