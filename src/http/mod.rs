//! The HTTP/1.1 server layer shared by kyso's servers (`kyso tsa serve`, `kyso ca serve`, and the
//! coming `kyso web`): listening, connection limits, deadlines, bounded request parsing,
//! keep-alive and response writing. What a server answers is its [`Handler`]'s business; this
//! layer only moves requests and responses, and keeps slow or hostile clients from taking the
//! server down (issue 24).
//!
//! ```no_run
//! use kyso::http::{Handler, HttpServer, Limits, Request, Response};
//! use std::sync::atomic::AtomicBool;
//!
//! struct Hello;
//! impl Handler for Hello {
//!     fn handle(&self, request: &Request) -> Response {
//!         match request.method.as_str() {
//!             "GET" | "HEAD" => Response::text(200, "xin chào"),
//!             _ => Response::text(405, "use GET").with_header("Allow", "GET, HEAD"),
//!         }
//!     }
//! }
//!
//! let server = HttpServer::bind("127.0.0.1:0", Limits::default())?;
//! let stop = AtomicBool::new(false); // set it (e.g. from a signal handler) to stop
//! let stats = server.run(&Hello, &stop);
//! # Ok::<(), std::io::Error>(())
//! ```
//!
//! How it is built: std threads, no async runtime. One thread accepts; each admitted connection
//! is read and answered by a thread of its own (small stack, [`CONNECTION_STACK`]), so a client
//! that trickles its request holds only its own thread. Every attacker-driven quantity is bounded:
//!
//! - connections open at once, in total ([`Limits::max_connections`]) and from one client address
//!   ([`Limits::max_connections_per_client`]): beyond either, an immediate HTTP 503 and close,
//!   written by the accepting thread (no thread started, no waiting);
//! - time: the request line and headers must arrive within [`Limits::header_timeout`], the body
//!   within [`Limits::body_timeout`] of the headers, the whole request within
//!   [`Limits::request_timeout`] (HTTP 408 beyond, and the connection is closed); an idle
//!   kept-alive connection is closed after [`Limits::keep_alive`]; deadlines are checked at least
//!   every [`READ_SLICE`], so they are met to within that;
//! - size: request-line and header bytes ([`MAX_HEADER_BYTES`], HTTP 431), header lines
//!   ([`MAX_HEADERS`], HTTP 431), body bytes ([`Limits::max_body_bytes`], HTTP 413, before the
//!   body is read), requests per connection ([`Limits::max_requests_per_connection`]);
//! - no chunked transfer coding (HTTP 411: a request needs a `Content-Length`, which the limits
//!   can check before reading).
//!
//! A request refused by this layer is told to the handler ([`Handler::refused`], for its log
//! and counters) and answered with a one-line `text/plain` body; the connection is then closed
//! after draining (bounded) what the client still sends, so that it reads the answer rather
//! than a reset. [`HttpServer::run`] returns when the stop flag is set: it stops accepting,
//! lets connections finish the request they are receiving (within its deadlines), closes idle
//! ones, and waits for their threads.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Budget on the request line and headers (HTTP 431 beyond): curl, OpenSSL and browsers send
/// well under 2 KiB; a GET OCSP request carries ~200 bytes of base64 in its path; 8 KiB is the
/// usual limit of HTTP servers.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;

/// Budget on header lines (HTTP 431 beyond): a flood of tiny headers. Clients send under 20.
pub const MAX_HEADERS: usize = 64;

/// Default limit on open connections: a provincial service has tens of clients at once; 512
/// absorbs a burst while bounding threads (512 × [`CONNECTION_STACK`] of address space) and
/// sockets.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;

/// Default limit on open connections from one client address: a workstation or a batch opens a
/// few at once (kyso's batches: one per document being finished, at most the number of cores);
/// 32 leaves room for a proxy in front of a few offices, and keeps one address from taking more
/// than a sixteenth of [`DEFAULT_MAX_CONNECTIONS`].
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 32;

/// Default time for the request line and headers to arrive: a client sends them in one packet
/// (well under a millisecond on a LAN, a few round trips on a slow link); 5 s.
pub const DEFAULT_HEADER_TIMEOUT: Duration = Duration::from_secs(5);

/// Default time for the body to arrive once the headers have: kyso's requests are a few hundred
/// bytes to a few KiB; 5 s.
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(5);

/// Stack of a connection thread: reading a request, answering it, and the handlers' deepest
/// paths (parsing, signing with ring) need a few tens of KiB; 256 KiB leaves a wide margin.
pub const CONNECTION_STACK: usize = 256 * 1024;

/// How often a blocked read wakes to check its deadline and the stop flag (one read timeout per
/// connection, set once: a system call per read would cost a busy keep-alive client).
pub const READ_SLICE: Duration = Duration::from_millis(250);

/// How often the stop watcher looks at the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// Write timeout of an answer to a client that is being dropped (503 from the accepting thread,
/// 408 to a client too slow to send its request): the answer fits in the socket's send buffer,
/// so the write does not wait unless something is badly wrong.
const REFUSAL_WRITE_TIMEOUT: Duration = Duration::from_millis(200);

/// Bytes drained (and time spent) after refusing a request that was not read whole, so that the
/// client reads the answer instead of a connection reset caused by its unread request.
const LINGER_BYTES: usize = 64 * 1024;
const LINGER_TIME: Duration = Duration::from_millis(500);

/// What a server accepts. `Limits::default()` holds the defaults above; set fields to change
/// them (`let mut l = Limits::default(); l.keep_alive = None;`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Connections open at once (HTTP 503 beyond). At least 1.
    pub max_connections: usize,
    /// Connections open at once from one client IP address (HTTP 503 beyond). At least 1.
    pub max_connections_per_client: usize,
    /// Time for the request line and headers to arrive, counted from the connection's accept
    /// for its first request and from the first byte for later ones (HTTP 408 beyond).
    pub header_timeout: Duration,
    /// Time for the body to arrive once the headers have (HTTP 408 beyond).
    pub body_timeout: Duration,
    /// Time for the whole request (HTTP 408 beyond); also the write timeout of an answer.
    pub request_timeout: Duration,
    /// Idle time allowed between requests on a connection; `None`: one request per connection
    /// (every answer says `Connection: close`).
    pub keep_alive: Option<Duration>,
    /// Largest request body (HTTP 413 beyond, before reading it).
    pub max_body_bytes: usize,
    /// Requests served on one connection before it is closed (bounds how long one client holds
    /// a thread).
    pub max_requests_per_connection: usize,
    /// Request body bytes held in memory at once across all connections (HTTP 503 for a
    /// request whose body would go beyond, before it is read): with large `max_body_bytes`
    /// (`kyso web`'s uploads), memory would otherwise grow with the number of clients.
    /// Default: no limit beyond `max_connections × max_body_bytes`.
    pub max_body_bytes_in_flight: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            header_timeout: DEFAULT_HEADER_TIMEOUT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            request_timeout: Duration::from_secs(10),
            keep_alive: Some(Duration::from_secs(5)),
            max_body_bytes: 64 * 1024,
            max_requests_per_connection: 10_000,
            max_body_bytes_in_flight: usize::MAX,
        }
    }
}

/// A request that has fully arrived.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The method as sent (`GET`, `POST`, …; case-sensitive, RFC 9110 §9.1).
    pub method: String,
    /// The request target as sent (origin form `/path?query` from ordinary clients).
    pub target: String,
    /// `true` for HTTP/1.0, `false` for HTTP/1.1.
    pub http10: bool,
    /// The header fields in order, names in lower case, values trimmed.
    pub headers: Vec<(String, String)>,
    /// The body (`Content-Length` bytes).
    pub body: Vec<u8>,
    /// The client's address.
    pub peer: SocketAddr,
}

impl Request {
    /// The first value of header `name` (any case).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(n, _)| n.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    /// The target's path: the part before `?`.
    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    /// Whether the client asked to keep the connection open (HTTP/1.1 unless `Connection:
    /// close`; HTTP/1.0 only with `Connection: keep-alive`).
    pub fn wants_keep_alive(&self) -> bool {
        let mut keep = !self.http10;
        for (_, v) in self.headers.iter().filter(|(n, _)| n == "connection") {
            for token in v.split(',').map(|t| t.trim()) {
                if token.eq_ignore_ascii_case("close") {
                    return false;
                }
                if token.eq_ignore_ascii_case("keep-alive") {
                    keep = true;
                }
            }
        }
        keep
    }
}

/// An answer. `Content-Length` and `Connection` are written by the layer; a `HEAD` request gets
/// the headers without the body, and a 304 gets neither body nor length.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// Header fields other than `Content-Length` and `Connection` (`Content-Type` included).
    pub headers: Vec<(&'static str, String)>,
    /// The body (shared, so that a cached CRL or certificate is not copied per answer).
    pub body: Arc<Vec<u8>>,
    /// Close the connection after this answer even if it could be kept open.
    pub close: bool,
}

impl Response {
    /// A `status` answer with `body` of type `content_type`.
    pub fn new(status: u16, content_type: &str, body: impl Into<Arc<Vec<u8>>>) -> Response {
        Response { status, headers: vec![("Content-Type", content_type.to_string())], body: body.into(), close: false }
    }

    /// A `status` answer whose body is `why` and a newline, as `text/plain; charset=utf-8`.
    pub fn text(status: u16, why: &str) -> Response {
        Response::new(status, "text/plain; charset=utf-8", format!("{why}\n").into_bytes())
    }

    /// A `status` answer without a body or a content type (e.g. 304 Not Modified).
    pub fn empty(status: u16) -> Response {
        Response { status, headers: Vec::new(), body: Arc::new(Vec::new()), close: false }
    }

    /// The same with header `name: value` added.
    pub fn with_header(mut self, name: &'static str, value: impl Into<String>) -> Response {
        self.headers.push((name, value.into()));
        self
    }

    /// The same, closing the connection once it is sent.
    pub fn closing(mut self) -> Response {
        self.close = true;
        self
    }
}

/// What a server does with requests. Called from the connection threads, several at once.
pub trait Handler: Sync {
    /// Answers a request that has fully arrived.
    fn handle(&self, request: &Request) -> Response;

    /// Told of each request or connection the layer refused itself (`status` 400, 408, 411, 413,
    /// 431 or 503, and why in English), before the answer is sent: for logs and counters. The
    /// default does nothing.
    fn refused(&self, peer: SocketAddr, status: u16, why: &str) {
        let _ = (peer, status, why);
    }

    /// Told when accepting a connection failed (e.g. too many open files); the layer waits
    /// 50 ms and goes on. The default does nothing.
    fn accept_failed(&self, error: &std::io::Error) {
        let _ = error;
    }
}

/// What the layer did, returned by [`HttpServer::run`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Stats {
    /// Connections accepted (refused ones included).
    pub connections: u64,
    /// Requests given to the handler.
    pub requests: u64,
    /// Requests and connections refused by the layer (each also told to [`Handler::refused`]).
    pub refused: u64,
}

/// The standard reason phrase of the codes kyso's servers send.
pub fn reason_phrase(code: u16) -> &'static str {
    match code {
        100 => "Continue",
        200 => "OK",
        204 => "No Content",
        304 => "Not Modified",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Payload Too Large",
        415 => "Unsupported Media Type",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// A bound HTTP/1.1 server.
#[derive(Debug)]
pub struct HttpServer {
    listener: TcpListener,
    limits: Limits,
    /// Body bytes reserved by requests being read or answered (see
    /// [`Limits::max_body_bytes_in_flight`]).
    in_flight: std::sync::atomic::AtomicUsize,
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

/// Why a connection was not admitted (the reason given to the handler and the client).
fn admit<'a>(slots: &'a Mutex<Slots>, ip: IpAddr, l: &Limits) -> Result<Admitted<'a>, String> {
    let mut s = slots.lock().map_err(|_| "the server is shutting down".to_string())?;
    if s.total >= l.max_connections.max(1) {
        return Err(format!("{} connections open, the limit", l.max_connections));
    }
    let n = s.per_client.entry(ip).or_insert(0);
    if *n >= l.max_connections_per_client.max(1) {
        return Err(format!("{} connections open from this address, the limit", l.max_connections_per_client));
    }
    *n += 1;
    s.total += 1;
    Ok(Admitted { slots, ip })
}

/// A request refused while it was read: the HTTP status (400, 408, 411, 413, 431, 503) and a
/// one-line reason (never a copy of the request's bytes).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal(pub u16, pub String);

/// A request's line and header fields, as [`parse_head`] reads them before the body.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RequestHead {
    /// The method (a token, case-sensitive).
    pub method: String,
    /// The request target as sent (no white space or control characters).
    pub target: String,
    /// `true` for HTTP/1.0, `false` for HTTP/1.1.
    pub http10: bool,
    /// The header fields in order, names in lower case, values without surrounding spaces and tabs.
    pub headers: Vec<(String, String)>,
    /// The body's length: the `Content-Length`, or 0 for a method sent without one.
    pub content_length: usize,
    /// The client sent `Expect: 100-continue`.
    pub expect_continue: bool,
}

/// Parses a request's head: the bytes before the empty line that ends it (without that CRLF
/// CRLF). Strict wherever a lenient reading could differ from that of a proxy or load balancer
/// in front (request smuggling, RFC 9112 §11.2): the request line is `method SP target SP
/// HTTP/1.x`; lines end with CRLF only (a bare CR or LF, NUL or any control character other
/// than HTAB is refused); a field name is a token with no white space before its colon
/// (§5.1); obsolete line folding is refused (§5.2); `Content-Length` is digits only, repeated
/// only with the same value; `Transfer-Encoding` is refused (411: no chunked bodies, so every
/// length is known before the body is read); POST, PUT and PATCH need a `Content-Length` (411).
/// More than [`MAX_HEADERS`] field lines: 431. The caller bounds the head's size
/// ([`MAX_HEADER_BYTES`]).
pub fn parse_head(head: &[u8]) -> Result<RequestHead, Refusal> {
    let bad = |why: &str| Refusal(400, why.into());
    let head = std::str::from_utf8(head).map_err(|_| bad("request headers are not text"))?;
    if head.bytes().any(|b| (b < 0x20 && !matches!(b, b'\t' | b'\r' | b'\n')) || b == 0x7f) {
        return Err(bad("a control character in the request headers"));
    }
    let mut lines = head.split("\r\n");
    if lines.clone().any(|line| line.contains(['\r', '\n'])) {
        return Err(bad("a bare CR or LF in the request headers (lines end with CRLF)"));
    }
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (method, target, version) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !token(method) || target.is_empty() || target.contains('\t') || !matches!(version, "HTTP/1.0" | "HTTP/1.1") || parts.next().is_some() {
        return Err(bad("not an HTTP/1.x request line"));
    }
    let mut headers = Vec::new();
    let (mut content_length, mut expect_continue) = (None::<usize>, false);
    for (count, line) in lines.enumerate() {
        if count >= MAX_HEADERS {
            return Err(Refusal(431, format!("more than {MAX_HEADERS} header lines")));
        }
        if line.starts_with([' ', '\t']) {
            return Err(bad("a header line starting with white space (obsolete line folding)"));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| bad("malformed header line"))?;
        if !token(name) {
            return Err(bad("a header field name that is not a token (white space before the colon?)"));
        }
        let (name, value) = (name.to_ascii_lowercase(), value.trim_matches([' ', '\t']));
        match name.as_str() {
            "content-length" => {
                let n = Some(value)
                    .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                    .and_then(|v| v.parse::<usize>().ok())
                    .ok_or_else(|| bad("bad Content-Length"))?;
                if content_length.is_some_and(|m| m != n) {
                    return Err(bad("conflicting Content-Length headers"));
                }
                content_length = Some(n);
            }
            "transfer-encoding" => return Err(Refusal(411, "send the request with a Content-Length (no transfer coding)".into())),
            "expect" => expect_continue = value.eq_ignore_ascii_case("100-continue"),
            _ => {}
        }
        headers.push((name, value.to_string()));
    }
    let content_length = match (method, content_length) {
        ("POST" | "PUT" | "PATCH", None) => return Err(Refusal(411, "a Content-Length is required".into())),
        (_, n) => n.unwrap_or(0),
    };
    Ok(RequestHead { method: method.to_string(), target: target.to_string(), http10: version == "HTTP/1.0", headers, content_length, expect_continue })
}

struct Counters {
    connections: AtomicU64,
    requests: AtomicU64,
    refused: AtomicU64,
}

impl HttpServer {
    /// Binds `addr` (e.g. `127.0.0.1:8080`; port 0 picks a free port).
    pub fn bind(addr: &str, limits: Limits) -> std::io::Result<HttpServer> {
        Ok(HttpServer { listener: TcpListener::bind(addr)?, limits, in_flight: std::sync::atomic::AtomicUsize::new(0) })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// The limits it serves under.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Serves `handler` until `stop` is set; then stops accepting, lets each open connection
    /// finish the request it is receiving (within its deadlines), and returns once every
    /// connection thread has ended.
    pub fn run(&self, handler: &dyn Handler, stop: &AtomicBool) -> Stats {
        let counters = Counters { connections: AtomicU64::new(0), requests: AtomicU64::new(0), refused: AtomicU64::new(0) };
        let slots = Mutex::new(Slots::default());
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
                            // EMFILE and the like: wait a little rather than spin.
                            handler.accept_failed(&e);
                            std::thread::sleep(POLL);
                            continue;
                        }
                    };
                    counters.connections.fetch_add(1, Ordering::Relaxed);
                    let peer = stream.peer_addr().unwrap_or(SocketAddr::from(([0, 0, 0, 0], 0)));
                    let admitted = match admit(&slots, peer.ip(), &self.limits) {
                        Ok(a) => a,
                        Err(why) => {
                            counters.refused.fetch_add(1, Ordering::Relaxed);
                            handler.refused(peer, 503, &why);
                            // No lingering here: the acceptor must not stall under a flood.
                            refuse(stream, 503, &format!("{why}; try again"), false);
                            continue;
                        }
                    };
                    let counters = &counters;
                    // The stream goes to the thread through a slot, so that it can still be
                    // answered here if no thread can be started.
                    let handoff = Arc::new(Mutex::new(Some(stream)));
                    let theirs = Arc::clone(&handoff);
                    let spawned = std::thread::Builder::new().stack_size(CONNECTION_STACK).spawn_scoped(s, move || {
                        let _admitted = admitted;
                        if let Some(stream) = theirs.lock().ok().and_then(|mut o| o.take()) {
                            self.serve_connection(stream, peer, handler, stop, counters);
                        }
                    });
                    if spawned.is_err() {
                        if let Some(stream) = handoff.lock().ok().and_then(|mut o| o.take()) {
                            let why = "no thread could be started for the connection";
                            counters.refused.fetch_add(1, Ordering::Relaxed);
                            handler.refused(peer, 503, why);
                            refuse(stream, 503, &format!("{why}; try again"), false);
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
        Stats {
            connections: counters.connections.into_inner(),
            requests: counters.requests.into_inner(),
            refused: counters.refused.into_inner(),
        }
    }

    fn serve_connection(&self, mut stream: TcpStream, peer: SocketAddr, handler: &dyn Handler, stop: &AtomicBool, counters: &Counters) {
        let l = &self.limits;
        let _ = stream.set_nodelay(true);
        let _ = stream.set_write_timeout(Some(l.request_timeout));
        let _ = stream.set_read_timeout(Some(READ_SLICE));
        let mut buf: Vec<u8> = Vec::with_capacity(2048);
        let accepted = Instant::now();
        for n in 0..l.max_requests_per_connection.max(1) {
            let first = n == 0;
            let read = read_request(&mut stream, &mut buf, l, stop, first.then_some(accepted), peer, &self.in_flight);
            let request = match read {
                Ok(Some(r)) => r,
                Ok(None) => break,
                Err(Refusal(code, why)) => {
                    counters.refused.fetch_add(1, Ordering::Relaxed);
                    handler.refused(peer, code, &why);
                    // A client too slow to send its request is not waited for again.
                    refuse(stream, code, &why, code != 408);
                    return;
                }
            };
            counters.requests.fetch_add(1, Ordering::Relaxed);
            let response = handler.handle(&request);
            let keep = l.keep_alive.is_some()
                && request.wants_keep_alive()
                && !response.close
                && !stop.load(Ordering::SeqCst)
                && n + 1 < l.max_requests_per_connection;
            let written = write_response(&mut stream, &request, &response, keep);
            self.in_flight.fetch_sub(request.body.len(), Ordering::SeqCst);
            drop(request);
            if written.is_err() || !keep {
                break;
            }
        }
        let _ = stream.shutdown(Shutdown::Write);
    }
}

/// Writes `r` as the answer to `req`.
fn write_response(stream: &mut TcpStream, req: &Request, r: &Response, keep: bool) -> std::io::Result<()> {
    use std::fmt::Write as _;
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.status, reason_phrase(r.status));
    for (k, v) in &r.headers {
        let _ = write!(head, "{k}: {v}\r\n");
    }
    let body = r.status != 304 && r.status >= 200 && r.status != 204;
    if r.status == 304 {
        head.push_str("Content-Length: 0\r\n");
    } else if body {
        let _ = write!(head, "Content-Length: {}\r\n", r.body.len());
    }
    head.push_str(if keep { "Connection: keep-alive\r\n\r\n" } else { "Connection: close\r\n\r\n" });
    let mut out = head.into_bytes();
    if body && req.method != "HEAD" {
        out.extend_from_slice(&r.body);
    }
    stream.write_all(&out)?;
    stream.flush()
}

/// Answers `code` with `why` and closes: stop writing and, with `linger`, drain what the client
/// still sends (bounded), so that it reads the answer rather than a reset caused by its unread
/// request.
fn refuse(mut stream: TcpStream, code: u16, why: &str, linger: bool) {
    if !linger {
        let _ = stream.set_write_timeout(Some(REFUSAL_WRITE_TIMEOUT));
    }
    let body = format!("{why}\n");
    let head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        reason_phrase(code),
        body.len()
    );
    if stream.write_all(head.as_bytes()).and_then(|()| stream.flush()).is_err() {
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

/// Reads one request. `buf` holds bytes already received beyond the previous request
/// (pipelining). `accepted`: when the connection was accepted, for its first request (whose
/// first byte is waited for within the header timeout, HTTP 408 beyond); later requests wait
/// for their first byte up to the keep-alive time. `Ok(None)`: the client closed, stayed idle
/// past the keep-alive time, or the server is stopping and no request had begun.
/// The body's length is reserved in `in_flight` before it is read (HTTP 503 beyond
/// [`Limits::max_body_bytes_in_flight`]); the caller releases `body.len()` once the request is
/// answered, this function when reading it fails.
fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    l: &Limits,
    stop: &AtomicBool,
    accepted: Option<Instant>,
    peer: SocketAddr,
    in_flight: &std::sync::atomic::AtomicUsize,
) -> Result<Option<Request>, Refusal> {
    let mut chunk = [0u8; 8192];
    let header_time = l.header_timeout.min(l.request_timeout);
    let idle_until = match accepted {
        Some(t) => t + header_time,
        None => Instant::now() + l.keep_alive.unwrap_or(Duration::ZERO),
    };
    while buf.is_empty() {
        if stop.load(Ordering::SeqCst) {
            return Ok(None);
        }
        if Instant::now() >= idle_until {
            return match accepted {
                Some(_) => Err(Refusal(408, "the request headers took too long to arrive".into())),
                None => Ok(None),
            };
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or(&[])),
            Err(e) if is_wait(&e) => continue,
            Err(_) => return Ok(None),
        }
    }
    let started = accepted.unwrap_or_else(Instant::now);
    let request_deadline = started + l.request_timeout;
    let header_deadline = started + header_time;
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEADER_BYTES {
            return Err(Refusal(431, format!("request headers larger than {MAX_HEADER_BYTES} bytes")));
        }
        let n = read_some(stream, &mut chunk, header_deadline, "the request headers took too long to arrive")?;
        if n == 0 {
            return Err(Refusal(400, "the connection closed inside the request headers".into()));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    };
    let body_deadline = (Instant::now() + l.body_timeout).min(request_deadline);
    if head_end > MAX_HEADER_BYTES {
        return Err(Refusal(431, format!("request headers larger than {MAX_HEADER_BYTES} bytes")));
    }
    let RequestHead { method, target, http10, headers, content_length: length, expect_continue } = parse_head(buf.get(..head_end).unwrap_or(&[]))?;
    if length > l.max_body_bytes {
        return Err(Refusal(413, format!("request larger than {} bytes", l.max_body_bytes)));
    }
    let body_start = head_end + 4;
    if in_flight.fetch_add(length, Ordering::SeqCst).saturating_add(length) > l.max_body_bytes_in_flight {
        in_flight.fetch_sub(length, Ordering::SeqCst);
        return Err(Refusal(503, "the server is receiving too many uploads at once, try again".into()));
    }
    let release = |e: Refusal| {
        in_flight.fetch_sub(length, Ordering::SeqCst);
        e
    };
    if expect_continue && buf.len() < body_start + length {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    while buf.len() < body_start + length {
        let n = read_some(stream, &mut chunk, body_deadline, "the request body took too long to arrive").map_err(release)?;
        if n == 0 {
            return Err(release(Refusal(400, format!("the body ended after {} of {length} bytes", buf.len().saturating_sub(body_start)))));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    }
    let request = Request {
        method,
        target,
        http10,
        headers,
        body: buf.get(body_start..body_start + length).unwrap_or(&[]).to_vec(),
        peer,
    };
    buf.drain(..(body_start + length).min(buf.len()));
    Ok(Some(request))
}

fn is_wait(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted)
}

/// One read bounded by `deadline` (the socket wakes every [`READ_SLICE`]); past it, HTTP 408
/// with `late` as the reason.
fn read_some(stream: &mut TcpStream, chunk: &mut [u8], deadline: Instant, late: &str) -> Result<usize, Refusal> {
    loop {
        if Instant::now() >= deadline {
            return Err(Refusal(408, late.into()));
        }
        match stream.read(chunk) {
            Ok(n) => return Ok(n),
            Err(e) if is_wait(&e) => continue,
            Err(e) => return Err(Refusal(400, format!("read error: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests;
