//! An RFC 3161 HTTP server (RFC 3161 §3.4): `POST` a DER `TimeStampReq` as
//! `application/timestamp-query`, get a DER `TimeStampResp` as `application/timestamp-reply`.
//!
//! A small HTTP/1.x server on std: one thread accepts; a fixed pool of `workers` threads each
//! serves one connection at a time (read the request, sign, answer, close). Every attacker-driven
//! quantity is bounded: request-header bytes, body bytes, the time a client may take to send its
//! request, and the connections waiting for a worker (beyond that, an immediate HTTP 503).
//! The server stops when the caller's stop flag is set (the CLI sets it on SIGTERM/SIGINT):
//! connections already accepted are answered, then [`TsaServer::run`] returns.

use super::token::{Outcome, Tsa};
use super::TspError;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The time source of a server: the library never reads the clock itself, the caller passes one
/// (the CLI passes `OffsetDateTime::now_utc`).
pub type Clock = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

/// Default request-size limit: a TimeStampReq with a SHA-512 imprint, a 20-byte nonce and a
/// policy is about 110 bytes; 8 KiB leaves room for request extensions and stops anyone making
/// the server buffer large bodies.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 8 * 1024;

/// Budget on the request line and headers: curl and OpenSSL-based clients send under 300 bytes;
/// 8 KiB is the usual limit of HTTP servers (HTTP 431 beyond).
const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Budget on header lines, for the same reason (a flood of tiny headers).
const MAX_HEADERS: usize = 64;

/// Connections accepted but waiting for a worker, per worker: a short burst is absorbed, a flood
/// gets HTTP 503 at once instead of growing memory and latency without bound.
const QUEUE_PER_WORKER: usize = 16;

/// How often idle workers and the stop watcher look at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// Bytes drained (and time spent) after an error answer so that the client reads the answer
/// instead of a connection reset caused by its unread request.
const LINGER_BYTES: usize = 64 * 1024;
const LINGER_TIME: Duration = Duration::from_millis(500);

/// Server settings.
#[derive(Debug, Clone, Copy)]
pub struct ServerOptions {
    /// Largest request body accepted (HTTP 413 beyond).
    pub max_request_bytes: usize,
    /// Threads serving connections (at least 1). A worker is busy for one request: reading it
    /// (at most `request_timeout`), signing (tens of microseconds), answering.
    pub workers: usize,
    /// Time a client has to send its whole request after the connection is accepted (HTTP 408
    /// beyond); also the timeout of writing the answer.
    pub request_timeout: Duration,
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions { max_request_bytes: DEFAULT_MAX_REQUEST_BYTES, workers: 8, request_timeout: Duration::from_secs(10) }
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
    listener: TcpListener,
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

enum Handled {
    Granted,
    Rejected,
    Refused,
    /// The client went away before sending a request (nothing to count).
    Nothing,
}

struct Counters {
    granted: AtomicU64,
    rejected: AtomicU64,
    refused: AtomicU64,
}

impl Counters {
    fn add(&self, h: Handled) {
        match h {
            Handled::Granted => self.granted.fetch_add(1, Ordering::Relaxed),
            Handled::Rejected => self.rejected.fetch_add(1, Ordering::Relaxed),
            Handled::Refused => self.refused.fetch_add(1, Ordering::Relaxed),
            Handled::Nothing => 0,
        };
    }
}

/// A request as read from the wire.
struct HttpRequest {
    method: String,
    content_type: Option<String>,
    body: Vec<u8>,
}

/// Why a request could not be read: the HTTP status to answer, and a reason for the log.
struct HttpRefusal(u16, String);

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        400 => "Bad Request",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

impl TsaServer {
    /// Binds `addr` (e.g. `127.0.0.1:3180`; port 0 picks a free port).
    pub fn bind(addr: &str, tsa: Tsa, clock: Clock, options: ServerOptions) -> Result<TsaServer, TspError> {
        let listener = TcpListener::bind(addr).map_err(|e| TspError::Config(format!("cannot listen on {addr}: {e}")))?;
        Ok(TsaServer { listener, tsa: Arc::new(tsa), serials: SerialSource::new()?, clock, options })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// Serves until `stop` is set, then answers the connections already accepted and returns.
    /// `log` receives one line per token issued or request refused.
    pub fn run(&self, stop: &AtomicBool, log: &(dyn Fn(&str) + Sync)) -> ServeStats {
        let counters = Counters { granted: AtomicU64::new(0), rejected: AtomicU64::new(0), refused: AtomicU64::new(0) };
        let workers = self.options.workers.max(1);
        let (tx, rx) = sync_channel::<(TcpStream, SocketAddr)>(workers * QUEUE_PER_WORKER);
        let rx: Mutex<Receiver<(TcpStream, SocketAddr)>> = Mutex::new(rx);
        let accepting = AtomicBool::new(true);
        std::thread::scope(|s| {
            for _ in 0..workers {
                s.spawn(|| loop {
                    let next = match rx.lock() {
                        Ok(r) => r.recv_timeout(POLL),
                        Err(_) => Err(RecvTimeoutError::Disconnected),
                    };
                    match next {
                        Ok((stream, peer)) => counters.add(self.serve_connection(stream, peer, log)),
                        Err(RecvTimeoutError::Timeout) => continue,
                        Err(RecvTimeoutError::Disconnected) => break,
                    }
                });
            }
            // The acceptor: blocking accept; woken for shutdown by a connection to itself.
            let acceptor = s.spawn(|| {
                let tx = tx;
                for conn in self.listener.incoming() {
                    if !accepting.load(Ordering::SeqCst) {
                        break;
                    }
                    let stream = match conn {
                        Ok(c) => c,
                        Err(e) => {
                            log(&format!("tsa: accept error: {e}"));
                            std::thread::sleep(POLL);
                            continue;
                        }
                    };
                    let peer = stream.peer_addr().unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
                    match tx.try_send((stream, peer)) {
                        Ok(()) => {}
                        Err(TrySendError::Full((stream, peer))) => {
                            log(&format!("tsa: refused HTTP 503 from={peer}: all workers busy"));
                            // No lingering here: the acceptor must not stall under a flood.
                            answer_error(stream, 503, "all workers are busy, try again", self.options.request_timeout, false);
                            counters.refused.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(TrySendError::Disconnected(_)) => break,
                    }
                }
                // Dropping `tx` here lets the workers drain the queue and stop.
            });
            while !stop.load(Ordering::SeqCst) {
                std::thread::sleep(POLL);
            }
            accepting.store(false, Ordering::SeqCst);
            if let Some(addr) = self.local_addr() {
                let wake = match addr.ip() {
                    IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
                    IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port()),
                    _ => addr,
                };
                let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
            }
            let _ = acceptor.join();
        });
        ServeStats {
            granted: counters.granted.into_inner(),
            rejected: counters.rejected.into_inner(),
            refused: counters.refused.into_inner(),
        }
    }

    fn serve_connection(&self, mut stream: TcpStream, peer: SocketAddr, log: &(dyn Fn(&str) + Sync)) -> Handled {
        let timeout = self.options.request_timeout;
        let _ = stream.set_write_timeout(Some(timeout));
        let req = match read_request(&mut stream, Instant::now() + timeout, self.options.max_request_bytes) {
            Ok(Some(r)) => r,
            Ok(None) => return Handled::Nothing,
            Err(HttpRefusal(code, why)) => {
                log(&format!("tsa: refused HTTP {code} from={peer}: {why}"));
                answer_error(stream, code, &why, timeout, true);
                return Handled::Refused;
            }
        };
        if req.method != "POST" {
            let why = "use POST with an application/timestamp-query body";
            log(&format!("tsa: refused HTTP 405 from={peer}: {why}"));
            answer_error(stream, 405, why, timeout, true);
            return Handled::Refused;
        }
        if let Some(ct) = &req.content_type {
            // RFC 3161 §3.4 names application/timestamp-query; some old clients send the name of
            // an earlier draft, application/timestamp-request.
            let ct = ct.trim().to_ascii_lowercase();
            if !ct.starts_with("application/timestamp-query") && !ct.starts_with("application/timestamp-request") {
                let why = "the body must be application/timestamp-query";
                log(&format!("tsa: refused HTTP 415 from={peer}: {why}"));
                answer_error(stream, 415, why, timeout, true);
                return Handled::Refused;
            }
        }
        let now = (self.clock)();
        let serial = self.serials.next_serial();
        let reply = self.tsa.respond(&req.body, now, &serial);
        let handled = match &reply.outcome {
            Outcome::Granted { serial, algorithm, nonce, cert_included } => {
                let t = super::GenTime::from_time(now, 3).map(|t| t.to_rfc3339()).unwrap_or_default();
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
        let head = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            reply.der.len()
        );
        let sent = stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(&reply.der)).and_then(|_| stream.flush());
        if let Err(e) = sent {
            log(&format!("tsa: cannot send the answer to {peer}: {e}"));
        }
        let _ = stream.shutdown(Shutdown::Write);
        handled
    }
}

/// Reads one request within `deadline`: `Ok(None)` when the client closed without sending one.
fn read_request(stream: &mut TcpStream, deadline: Instant, max_body: usize) -> Result<Option<HttpRequest>, HttpRefusal> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEADER_BYTES {
            return Err(HttpRefusal(431, format!("request headers larger than {MAX_HEADER_BYTES} bytes")));
        }
        let n = read_some(stream, &mut chunk, deadline)?;
        if n == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            return Err(HttpRefusal(400, "the connection closed inside the request headers".into()));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    };
    if head_end > MAX_HEADER_BYTES {
        return Err(HttpRefusal(431, format!("request headers larger than {MAX_HEADER_BYTES} bytes")));
    }
    let head = std::str::from_utf8(buf.get(..head_end).unwrap_or(&[])).map_err(|_| HttpRefusal(400, "request headers are not text".into()))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or("");
    let mut parts = request_line.split(' ');
    let (method, _target, version) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method.is_empty() || !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return Err(HttpRefusal(400, "not an HTTP/1.x request line".into()));
    }
    let mut content_length: Option<usize> = None;
    let mut content_type = None;
    let mut expect_continue = false;
    for (count, line) in lines.enumerate() {
        if count >= MAX_HEADERS {
            return Err(HttpRefusal(431, format!("more than {MAX_HEADERS} header lines")));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| HttpRefusal(400, "malformed header line".into()))?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let n: usize = value.parse().map_err(|_| HttpRefusal(400, "bad Content-Length".into()))?;
                if content_length.is_some_and(|m| m != n) {
                    return Err(HttpRefusal(400, "conflicting Content-Length headers".into()));
                }
                content_length = Some(n);
            }
            "transfer-encoding" => return Err(HttpRefusal(411, "send the request with a Content-Length (no transfer coding)".into())),
            "content-type" => content_type = Some(value.to_string()),
            "expect" => expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
    }
    if method != "POST" {
        return Ok(Some(HttpRequest { method: method.to_string(), content_type, body: Vec::new() }));
    }
    let length = content_length.ok_or_else(|| HttpRefusal(411, "a Content-Length is required".into()))?;
    if length > max_body {
        return Err(HttpRefusal(413, format!("request larger than {max_body} bytes")));
    }
    let mut body: Vec<u8> = buf.get(head_end + 4..).unwrap_or(&[]).to_vec();
    if expect_continue && body.len() < length {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    while body.len() < length {
        let n = read_some(stream, &mut chunk, deadline)?;
        if n == 0 {
            return Err(HttpRefusal(400, format!("the body ended after {} of {length} bytes", body.len())));
        }
        body.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    }
    body.truncate(length); // bytes beyond the body (pipelining) are not served: one request per connection
    Ok(Some(HttpRequest { method: method.to_string(), content_type, body }))
}

/// One read bounded by the request deadline; timeouts become HTTP 408.
fn read_some(stream: &mut TcpStream, chunk: &mut [u8], deadline: Instant) -> Result<usize, HttpRefusal> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(HttpRefusal(408, "the request took too long to arrive".into()));
    }
    stream.set_read_timeout(Some(left)).map_err(|e| HttpRefusal(400, e.to_string()))?;
    match stream.read(chunk) {
        Ok(n) => Ok(n),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => {
            Err(HttpRefusal(408, "the request took too long to arrive".into()))
        }
        Err(e) => Err(HttpRefusal(400, format!("read error: {e}"))),
    }
}

/// Sends an error status with a one-line text body, then closes gracefully: stop writing and,
/// with `linger`, drain what the client still sends (bounded), so that it reads the answer
/// rather than a reset caused by its unread request.
fn answer_error(mut stream: TcpStream, code: u16, why: &str, timeout: Duration, linger: bool) {
    let _ = stream.set_write_timeout(Some(timeout));
    let body = format!("{why}\n");
    let allow = if code == 405 { "Allow: POST\r\n" } else { "" };
    let head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n",
        reason_phrase(code),
        body.len()
    );
    if stream.write_all(head.as_bytes()).and_then(|_| stream.write_all(body.as_bytes())).is_err() {
        return;
    }
    let _ = stream.shutdown(Shutdown::Write);
    if !linger {
        return;
    }
    let _ = stream.set_read_timeout(Some(LINGER_TIME));
    let started = Instant::now();
    let mut drained = 0;
    let mut sink = [0u8; 4096];
    while drained < LINGER_BYTES && started.elapsed() < LINGER_TIME {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
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
