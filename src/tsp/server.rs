//! An RFC 3161 HTTP server (RFC 3161 §3.4): `POST` a DER `TimeStampReq` as
//! `application/timestamp-query`, get a DER `TimeStampResp` as `application/timestamp-reply`.
//!
//! A small HTTP/1.x server on std, built so that slow or idle clients cannot take it down
//! (issue 24):
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
//!
//! `kyso ca serve` has its own server (thread per connection with a total cap, keep-alive); a
//! shared module for both, and for a future `web`, is left for when they are merged.

use super::token::{Outcome, Tsa};
use super::TspError;
use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

/// The time source of a server: the library never reads the clock itself, the caller passes one
/// (the CLI passes `OffsetDateTime::now_utc`).
pub type Clock = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

/// Default request-size limit: a TimeStampReq with a SHA-512 imprint, a 20-byte nonce and a
/// policy is about 110 bytes; 8 KiB leaves room for request extensions and stops anyone making
/// the server buffer large bodies.
pub const DEFAULT_MAX_REQUEST_BYTES: usize = 8 * 1024;

/// Default limit on open connections: a provincial TSA has tens of clients at once; 512 absorbs
/// a burst while bounding threads (512 × [`CONNECTION_STACK`] of address space) and sockets.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Default limit on open connections from one client address: a signing workstation or a
/// batch sends a few requests at once (kyso's batches: one per document being finished, at
/// most the number of cores); 32 leaves room for a proxy in front of a few offices, and keeps
/// one address from taking more than a sixteenth of [`DEFAULT_MAX_CONNECTIONS`].
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 32;

/// Default time for the request line and headers to arrive: a client sends them in one packet
/// (well under a millisecond on a LAN, a few round trips on a slow link); 5 s.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Default time for the body to arrive once the headers have: a TimeStampReq is ~100 bytes; 5 s.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// Budget on the request line and headers: curl and OpenSSL-based clients send under 300 bytes;
/// 8 KiB is the usual limit of HTTP servers (HTTP 431 beyond).
const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Budget on header lines, for the same reason (a flood of tiny headers).
const MAX_HEADERS: usize = 64;

/// Stack of a connection thread: reading a request, answering it, and (with a permit) signing
/// with ring need a few tens of KiB; 256 KiB leaves a wide margin.
pub const CONNECTION_STACK: usize = 256 * 1024;

/// How often the stop watcher looks at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// Write timeout of an immediate refusal (HTTP 503 from the accepting thread): the answer fits
/// in the socket's send buffer, so the write does not wait unless something is badly wrong.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_millis(200);

/// Bytes drained (and time spent) after an error answer so that the client reads the answer
/// instead of a connection reset caused by its unread request.
const LINGER_BYTES: usize = 64 * 1024;
const LINGER_TIME: Duration = Duration::from_millis(500);

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

/// Open connections, in total and per client address.
#[derive(Default)]
struct Slots {
    total: usize,
    per_client: HashMap<IpAddr, usize>,
}

/// One admitted connection's place in [`Slots`], given back when dropped.
struct Admitted<'a> {
    slots: &'a Mutex<Slots>,
    ip: IpAddr,
}

impl Drop for Admitted<'_> {
    fn drop(&mut self) {
        if let Ok(mut s) = self.slots.lock() {
            s.total = s.total.saturating_sub(1);
            if let Some(n) = s.per_client.get_mut(&self.ip) {
                *n = n.saturating_sub(1);
                if *n == 0 {
                    s.per_client.remove(&self.ip);
                }
            }
        }
    }
}

/// Why a connection was not admitted.
enum Full {
    Total,
    Client,
}

fn admit<'a>(slots: &'a Mutex<Slots>, ip: IpAddr, o: &ServerOptions) -> Result<Admitted<'a>, Full> {
    let mut s = slots.lock().map_err(|_| Full::Total)?;
    if s.total >= o.max_connections.max(1) {
        return Err(Full::Total);
    }
    let n = s.per_client.entry(ip).or_insert(0);
    if *n >= o.max_connections_per_client.max(1) {
        return Err(Full::Client);
    }
    *n += 1;
    s.total += 1;
    Ok(Admitted { slots, ip })
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
        let slots = Mutex::new(Slots::default());
        let permits = Permits::new(self.options.workers);
        let accepting = AtomicBool::new(true);
        std::thread::scope(|s| {
            // The acceptor: blocking accept; woken for shutdown by a connection to itself.
            let acceptor = s.spawn(|| {
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
                    let admitted = match admit(&slots, peer.ip(), &self.options) {
                        Ok(a) => a,
                        Err(full) => {
                            let why = match full {
                                Full::Total => format!("{} connections open, the limit", self.options.max_connections),
                                Full::Client => format!("{} connections open from this address, the limit", self.options.max_connections_per_client),
                            };
                            log(&format!("tsa: refused HTTP 503 from={peer}: {why}"));
                            // No lingering here: the acceptor must not stall under a flood.
                            answer_error(stream, 503, &format!("{why}; try again"), REFUSAL_WRITE_TIMEOUT, false);
                            counters.refused.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                    };
                    let (counters, permits) = (&counters, &permits);
                    // The stream goes to the thread through a slot, so that it can still be
                    // answered here if no thread can be started.
                    let handoff = Arc::new(Mutex::new(Some(stream)));
                    let theirs = Arc::clone(&handoff);
                    let spawned = std::thread::Builder::new().stack_size(CONNECTION_STACK).spawn_scoped(s, move || {
                        let _admitted = admitted;
                        let stream = theirs.lock().ok().and_then(|mut o| o.take());
                        if let Some(stream) = stream {
                            counters.add(self.serve_connection(stream, peer, permits, log));
                        }
                    });
                    if let Err(e) = spawned {
                        if let Some(stream) = handoff.lock().ok().and_then(|mut o| o.take()) {
                            log(&format!("tsa: refused HTTP 503 from={peer}: cannot start a thread: {e}"));
                            answer_error(stream, 503, "the server is overloaded, try again", REFUSAL_WRITE_TIMEOUT, false);
                            counters.refused.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                }
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
            // The connection threads end within their deadlines; the scope waits for them.
        });
        ServeStats {
            granted: counters.granted.into_inner(),
            rejected: counters.rejected.into_inner(),
            refused: counters.refused.into_inner(),
        }
    }

    fn serve_connection(&self, mut stream: TcpStream, peer: SocketAddr, permits: &Permits, log: &(dyn Fn(&str) + Sync)) -> Handled {
        let o = &self.options;
        let timeout = o.request_timeout;
        let _ = stream.set_write_timeout(Some(timeout));
        let accepted = Instant::now();
        let deadlines = Deadlines {
            headers: accepted + o.header_timeout.min(timeout),
            body_time: o.body_timeout,
            request: accepted + timeout,
        };
        let req = match read_request(&mut stream, &deadlines, o.max_request_bytes) {
            Ok(Some(r)) => r,
            Ok(None) => return Handled::Nothing,
            Err(HttpRefusal(code, why)) => {
                log(&format!("tsa: refused HTTP {code} from={peer}: {why}"));
                // A client too slow to send its request is not waited for again.
                let write_timeout = if code == 408 { REFUSAL_WRITE_TIMEOUT } else { timeout };
                answer_error(stream, code, &why, write_timeout, code != 408);
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
        let (reply, now) = {
            let _permit = permits.acquire();
            let now = (self.clock)();
            let serial = self.serials.next_serial();
            (self.tsa.respond(&req.body, now, &serial), now)
        };
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

/// When the parts of a request must have arrived.
struct Deadlines {
    /// The request line and headers.
    headers: Instant,
    /// Time for the body after the headers.
    body_time: Duration,
    /// The whole request.
    request: Instant,
}

/// Reads one request within its deadlines: `Ok(None)` when the client closed without sending
/// one.
fn read_request(stream: &mut TcpStream, deadlines: &Deadlines, max_body: usize) -> Result<Option<HttpRequest>, HttpRefusal> {
    let mut buf: Vec<u8> = Vec::with_capacity(1024);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEADER_BYTES {
            return Err(HttpRefusal(431, format!("request headers larger than {MAX_HEADER_BYTES} bytes")));
        }
        let n = read_some(stream, &mut chunk, deadlines.headers, "the request headers took too long to arrive")?;
        if n == 0 {
            if buf.is_empty() {
                return Ok(None);
            }
            return Err(HttpRefusal(400, "the connection closed inside the request headers".into()));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    };
    let body_deadline = (Instant::now() + deadlines.body_time).min(deadlines.request);
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
        let n = read_some(stream, &mut chunk, body_deadline, "the request body took too long to arrive")?;
        if n == 0 {
            return Err(HttpRefusal(400, format!("the body ended after {} of {length} bytes", body.len())));
        }
        body.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    }
    body.truncate(length); // bytes beyond the body (pipelining) are not served: one request per connection
    Ok(Some(HttpRequest { method: method.to_string(), content_type, body }))
}

/// One read bounded by `deadline`; a timeout becomes HTTP 408 with `late` as the reason.
fn read_some(stream: &mut TcpStream, chunk: &mut [u8], deadline: Instant, late: &str) -> Result<usize, HttpRefusal> {
    let left = deadline.saturating_duration_since(Instant::now());
    if left.is_zero() {
        return Err(HttpRefusal(408, late.into()));
    }
    stream.set_read_timeout(Some(left)).map_err(|e| HttpRefusal(400, e.to_string()))?;
    match stream.read(chunk) {
        Ok(n) => Ok(n),
        Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => Err(HttpRefusal(408, late.into())),
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
