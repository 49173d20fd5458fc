//! An RFC 3161 HTTP server (RFC 3161 §3.4): `POST` a DER `TimeStampReq` as
//! `application/timestamp-query`, get a DER `TimeStampResp` as `application/timestamp-reply`.
//!
//! The HTTP side is kyso's shared server layer, [`crate::http`] (the one `kyso ca serve` uses),
//! built so that slow or idle clients cannot take it down (issue 24):
//!
//! - one thread accepts; each admitted connection is read by a thread of its own (small stack),
//!   so a client that trickles its request holds its own thread, never one that signs;
//! - at most [`ServerOptions::max_connections`] connections are open at once and at most
//!   [`ServerOptions::max_connections_per_client`] from one client address: beyond either, an
//!   immediate HTTP 503 and close (no thread, no waiting);
//! - the request line and headers must arrive within [`ServerOptions::header_timeout`] of the
//!   connection, the body within [`ServerOptions::body_timeout`] of the headers, the whole
//!   request within [`ServerOptions::request_timeout`]: a slower client is dropped (HTTP 408);
//! - signing is done by at most [`ServerOptions::workers`] threads at once (tens of microseconds
//!   each), only for requests that have fully arrived.
//!
//! Every attacker-driven quantity is bounded: request-header bytes and lines, body bytes, the
//! times above, the connections per address and in total. One request per connection
//! (`Connection: close`). The server stops when the caller's stop flag is set (the CLI sets it
//! on SIGTERM/SIGINT): connections already accepted are answered, then [`TsaServer::run`]
//! returns.

use super::token::{Outcome, Tsa};
use super::TspError;
use crate::http::{HttpServer, Limits, Request, Response};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

/// The time source of a server: the library never reads the clock itself, the caller passes one
/// (the CLI passes `OffsetDateTime::now_utc`).
pub type Clock = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

/// Default request-size limit: a TimeStampReq with a SHA-512 imprint, a 20-byte nonce and a
/// policy is about 110 bytes; 8 KiB leaves room for request extensions and stops anyone making
/// the server buffer large bodies.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 8 * 1024;

pub use crate::http::{CONNECTION_STACK, DEFAULT_BODY_TIMEOUT, DEFAULT_HEADER_TIMEOUT, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_CONNECTIONS_PER_CLIENT};

/// Server settings.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Largest request body accepted (HTTP 413 beyond).
    pub max_request_bytes: usize,
    /// Requests signed at once (at least 1). Signing takes tens of microseconds; reading a
    /// request happens before, in the connection's own thread, so a slow client never holds
    /// one of these.
    pub workers: usize,
    /// Time a client has to send its whole request after the connection is accepted (HTTP 408
    /// beyond); also the timeout of writing the answer.
    pub request_timeout: Duration,
    /// Time for the request line and headers to arrive after the connection is accepted.
    pub header_timeout: Duration,
    /// Time for the body to arrive after the headers.
    pub body_timeout: Duration,
    /// Connections open at once (HTTP 503 beyond).
    pub max_connections: usize,
    /// Connections open at once from one client address (HTTP 503 beyond).
    pub max_connections_per_client: usize,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            max_request_bytes: DEFAULT_MAX_REQUEST_BYTES,
            workers: 8,
            request_timeout: Duration::from_secs(10),
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
        }
    }
}

/// Counts of what a server did, returned when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ServeStats {
    /// Tokens issued.
    pub granted: u64,
    /// Requests rejected with a PKIStatus failure.
    pub rejected: u64,
    /// Requests refused at the HTTP level (method, content type, size, timeout, overload).
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
    http: HttpServer,
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

/// At most `n` holders at once (the signing stage).
struct Permits {
    free: Mutex<usize>,
    cv: Condvar,
}

struct Permit<'a>(&'a Permits);

impl Permits {
    fn new(n: usize) -> Permits {
        Permits { free: Mutex::new(n.max(1)), cv: Condvar::new() }
    }
    fn acquire(&self) -> Option<Permit<'_>> {
        let mut free = self.free.lock().ok()?;
        while *free == 0 {
            free = self.cv.wait(free).ok()?;
        }
        *free -= 1;
        Some(Permit(self))
    }
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        if let Ok(mut free) = self.0.free.lock() {
            *free += 1;
        }
        self.0.cv.notify_one();
    }
}

/// The TSA's side of a running server: what [`crate::http`] calls for each request.
struct Handler<'a> {
    server: &'a TsaServer,
    permits: Permits,
    granted: AtomicU64,
    rejected: AtomicU64,
    refused: AtomicU64,
    log: &'a (dyn Fn(&str) + Sync),
}

impl Handler<'_> {
    fn refuse(&self, peer: SocketAddr, code: u16, why: &str) -> Response {
        self.refused.fetch_add(1, Ordering::Relaxed);
        (self.log)(&format!("tsa: refused HTTP {code} from={peer}: {why}"));
        Response::text(code, why)
    }
}

impl crate::http::Handler for Handler<'_> {
    fn handle(&self, req: &Request) -> Response {
        let peer = req.peer;
        if req.method != "POST" {
            return self.refuse(peer, 405, "use POST with an application/timestamp-query body").with_header("Allow", "POST");
        }
        if let Some(ct) = req.header("content-type") {
            // RFC 3161 §3.4 names application/timestamp-query; some old clients send the name of
            // an earlier draft, application/timestamp-request.
            let ct = ct.trim().to_ascii_lowercase();
            if !ct.starts_with("application/timestamp-query") && !ct.starts_with("application/timestamp-request") {
                return self.refuse(peer, 415, "the body must be application/timestamp-query");
            }
        }
        let s = self.server;
        let (reply, now) = {
            let _permit = self.permits.acquire();
            let now = (s.clock)();
            let serial = s.serials.next_serial();
            (s.tsa.respond(&req.body, now, &serial), now)
        };
        match &reply.outcome {
            Outcome::Granted { serial, algorithm, nonce, cert_included } => {
                self.granted.fetch_add(1, Ordering::Relaxed);
                let t = super::GenTime::from_time(now, 3).map(|t| t.to_rfc3339()).unwrap_or_default();
                (self.log)(&format!(
                    "tsa: token serial={serial} time={t} imprint={algorithm} nonce={} cert={} from={peer}",
                    if *nonce { "yes" } else { "no" },
                    if *cert_included { "yes" } else { "no" }
                ));
            }
            Outcome::Rejected { fail_info, reason } => {
                self.rejected.fetch_add(1, Ordering::Relaxed);
                (self.log)(&format!("tsa: rejected {} from={peer}: {reason}", fail_info.name()));
            }
        }
        Response::new(200, "application/timestamp-reply", reply.der)
    }

    fn refused(&self, peer: SocketAddr, status: u16, why: &str) {
        self.refused.fetch_add(1, Ordering::Relaxed);
        (self.log)(&format!("tsa: refused HTTP {status} from={peer}: {why}"));
    }

    fn accept_failed(&self, error: &std::io::Error) {
        (self.log)(&format!("tsa: accept error: {error}"));
    }
}

impl TsaServer {
    /// Binds `addr` (e.g. `127.0.0.1:3180`; port 0 picks a free port).
    pub fn bind(addr: &str, tsa: Tsa, clock: Clock, options: ServerOptions) -> Result<TsaServer, TspError> {
        let limits = Limits {
            max_connections: options.max_connections,
            max_connections_per_client: options.max_connections_per_client,
            header_timeout: options.header_timeout,
            body_timeout: options.body_timeout,
            request_timeout: options.request_timeout,
            keep_alive: None,
            max_body_bytes: options.max_request_bytes,
            max_requests_per_connection: 1,
            max_body_bytes_in_flight: usize::MAX,
        };
        let http = HttpServer::bind(addr, limits).map_err(|e| TspError::Config(format!("cannot listen on {addr}: {e}")))?;
        Ok(TsaServer { http, tsa: Arc::new(tsa), serials: SerialSource::new()?, clock, options })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.http.local_addr()
    }

    /// Serves until `stop` is set, then answers the connections already accepted and returns.
    /// `log` receives one line per token issued or request refused.
    pub fn run(&self, stop: &AtomicBool, log: &(dyn Fn(&str) + Sync)) -> ServeStats {
        let handler = Handler {
            server: self,
            permits: Permits::new(self.options.workers),
            granted: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            refused: AtomicU64::new(0),
            log,
        };
        self.http.run(&handler, stop);
        ServeStats { granted: handler.granted.into_inner(), rejected: handler.rejected.into_inner(), refused: handler.refused.into_inner() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Instant;

    /// A TSA with a fresh key and a self-signed certificate carrying the critical timestamping EKU.
    fn test_tsa() -> Tsa {
        use crate::{KeyAlgorithm, PrivateKey};
        let key = PrivateKey::generate(KeyAlgorithm::EcdsaP256).unwrap();
        let mut p = rcgen::CertificateParams::new(vec![]).unwrap();
        p.distinguished_name.push(rcgen::DnType::CommonName, "TSA thử");
        p.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        let mut eku = rcgen::CustomExtension::from_oid_content(&[2, 5, 29, 37], vec![0x30, 0x0a, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x08]);
        eku.set_criticality(true);
        p.custom_extensions = vec![eku];
        let cert = p.self_signed(&key.rcgen_key_pair().unwrap()).unwrap();
        Tsa::new(cert.der(), &[], Arc::new(key), crate::tsp::DEFAULT_POLICY).unwrap()
    }

    fn good_request(addr: SocketAddr, body: &[u8]) -> (String, Duration) {
        let t = Instant::now();
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
        let head = format!("POST / HTTP/1.1\r\nHost: t\r\nContent-Type: application/timestamp-query\r\nContent-Length: {}\r\n\r\n", body.len());
        // a refused connection may be closed before the request is written: the answer counts
        let _ = s.write_all(head.as_bytes()).and_then(|()| s.write_all(body));
        let mut answer = Vec::new();
        let _ = s.read_to_end(&mut answer);
        (String::from_utf8_lossy(answer.get(..12).unwrap_or(&answer)).into_owned(), t.elapsed())
    }

    /// Issue 24: forty clients holding connections without finishing their requests do not
    /// keep good requests waiting (on main, with two workers, every good request waited for the
    /// 10-s deadline of the slow ones); the slow ones are dropped after the header timeout; past
    /// the connection limit a new connection gets 503 at once.
    #[test]
    fn slow_connections_do_not_hold_the_signers() {
        let options = ServerOptions {
            workers: 2,
            header_timeout: Duration::from_secs(2),
            max_connections: 50,
            max_connections_per_client: 50,
            ..ServerOptions::default()
        };
        let server = TsaServer::bind("127.0.0.1:0", test_tsa(), Arc::new(time::OffsetDateTime::now_utc), options).unwrap();
        let addr = server.local_addr().unwrap();
        let stop = AtomicBool::new(false);
        let imprint = crate::tsp::Imprint::of(crate::DigestAlgorithm::Sha256, b"document");
        let body = crate::tsp::request(&imprint, None, true, None).unwrap();
        std::thread::scope(|sc| {
            let h = sc.spawn(|| server.run(&stop, &|_| {}));
            struct StopOnDrop<'a>(&'a AtomicBool);
            impl Drop for StopOnDrop<'_> {
                fn drop(&mut self) {
                    self.0.store(true, Ordering::SeqCst);
                }
            }
            let _guard = StopOnDrop(&stop);
            let mut slow: Vec<TcpStream> = (0..40)
                .map(|_| {
                    let mut s = TcpStream::connect(addr).unwrap();
                    s.write_all(b"P").unwrap();
                    s
                })
                .collect();
            std::thread::sleep(Duration::from_millis(100));
            for i in 0..20 {
                let (status, took) = good_request(addr, &body);
                assert_eq!(status, "HTTP/1.1 200", "request {i}");
                assert!(took < Duration::from_secs(1), "request {i} took {took:?}");
            }
            // ten more slow ones reach the limit of 50: the next connection is refused at once
            slow.extend((0..10).map(|_| TcpStream::connect(addr).unwrap()));
            std::thread::sleep(Duration::from_millis(100));
            let (status, took) = good_request(addr, &body);
            assert_eq!(status, "HTTP/1.1 503");
            assert!(took < Duration::from_secs(1), "{took:?}");
            // the slow ones are dropped with 408 once their headers are late
            let mut first = slow.remove(0);
            first.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
            let t = Instant::now();
            let mut answer = Vec::new();
            let _ = first.read_to_end(&mut answer);
            assert!(answer.starts_with(b"HTTP/1.1 408"), "{}", String::from_utf8_lossy(&answer));
            assert!(t.elapsed() < Duration::from_secs(3), "{:?}", t.elapsed());
            drop(slow);
            drop(_guard);
            let stats = h.join().unwrap();
            assert_eq!(stats.granted, 20);
        });
    }

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
