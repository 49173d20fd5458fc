//! `kyso ca serve`: one HTTP/1.1 server publishing what the certificates of one or more CAs
//! point at — each CA's current CRL (`application/pkix-crl`, DER, with Last-Modified, ETag,
//! Expires and Cache-Control from thisUpdate/nextUpdate), its certificate (`application/pkix-cert`)
//! and an RFC 6960 OCSP responder (POST `application/ocsp-request`, or GET with the base64
//! request in the path, RFC 6960 Appendix A.1).
//!
//! Paths: the path of each URL the CA writes in its certificates (`ca init --crl-url`,
//! `--ca-issuers-url`, `--ocsp-url`), and always `/<dir>/crl`, `/<dir>/ca.crt`, `/<dir>/ocsp`
//! (`<dir>` is the CA directory's last component) and `/ocsp`. Every OCSP path answers for every
//! CA of the server: the CertID says which CA is asked.
//!
//! How it is built (the approach of the TSA server, `tsp::server`, with persistent connections;
//! the HTTP layer — `serve_http`, `read_request`, `Reply` — is shared with `kyso web`,
//! `kyso::web`, which adds a header deadline and a budget of body bytes in memory):
//! std threads, one per open connection, at most `max_connections` at once (beyond that an
//! immediate HTTP 503); HTTP/1.1 keep-alive (HTTP/1.0 with `Connection: keep-alive`) so that a
//! busy client pays for one TCP handshake, not one per request. Every attacker-driven quantity is
//! bounded: header bytes and lines, body bytes, the time a request may take to arrive once its
//! first byte came, the idle time between requests, requests per connection. Errors in an OCSP
//! request are answered with the RFC 6960 error statuses (malformedRequest, unauthorized,
//! tryLater); HTTP errors (405, 408, 413, 415, 431, 503) for what is not an OCSP request at all.
//!
//! Load (benches/ocsp_load.rs, loopback, this 2-core machine): see benches/RESULTS.md.

use super::ocsp::{answer_request, Publisher};
use crate::ocsp::ResponseStatus;
use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The time source (the library never reads the clock; the CLI passes `OffsetDateTime::now_utc`).
pub type Clock = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

/// Budget on the request line and headers (HTTP 431 beyond): OpenSSL and curl send under
/// 300 bytes; a GET OCSP request carries ~200 bytes of base64 in its path.
pub const MAX_HEADER_BYTES: usize = 8 * 1024;
/// Budget on header lines (a flood of tiny headers).
const MAX_HEADERS: usize = 64;
/// Default limit on simultaneous connections (one thread each, 64 KiB stacks): a provincial
/// responder has tens of clients at once; 512 absorbs a burst while bounding threads and memory.
pub const DEFAULT_MAX_CONNECTIONS: usize = 512;
/// Requests served on one connection before it is closed (bounds how long one client holds a
/// thread).
const MAX_REQUESTS_PER_CONNECTION: usize = 10_000;
/// Stack size of connection threads: the handler's deepest path (parsing, signing) needs a few
/// kilobytes; 256 KiB leaves a wide margin while keeping 512 threads under 128 MiB reserved.
const THREAD_STACK: usize = 256 * 1024;
const POLL: Duration = Duration::from_millis(50);
/// How often a blocked read wakes to check its deadline and the stop flag: deadlines (request
/// timeout, keep-alive) are met to within this.
const READ_SLICE: Duration = Duration::from_millis(250);

/// Server settings.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Largest request body (HTTP 413 beyond). Default: [`crate::ocsp::MAX_REQUEST_BYTES`].
    pub max_request_bytes: usize,
    /// Simultaneous connections (HTTP 503 beyond).
    pub max_connections: usize,
    /// Time a request may take to arrive once its first byte came (HTTP 408 beyond); also the
    /// timeout of writing an answer.
    pub request_timeout: Duration,
    /// Idle time allowed between requests on a kept-alive connection.
    pub keep_alive: Duration,
    /// Time the request line and headers may take to arrive once the first byte came (HTTP 408
    /// beyond; never more than `request_timeout`): a slow-loris client trickling headers is
    /// dropped after this even when bodies may take longer.
    pub header_timeout: Duration,
    /// Request body bytes held in memory at once across all connections (HTTP 503 for a
    /// request whose body would go beyond): with `max_connections` uploads of
    /// `max_request_bytes` each, memory would otherwise grow with the number of clients.
    pub max_body_bytes_in_flight: usize,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_request_bytes: crate::ocsp::MAX_REQUEST_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            request_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(5),
            header_timeout: Duration::from_secs(10),
            max_body_bytes_in_flight: usize::MAX,
        }
    }
}

/// What the server did, returned when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct ServeStats {
    /// OCSP answers with status successful.
    pub ocsp_answers: u64,
    /// OCSP error answers (malformedRequest, unauthorized, tryLater, internalError).
    pub ocsp_errors: u64,
    /// CRLs and CA certificates served.
    pub files: u64,
    /// Requests refused at the HTTP level.
    pub refused: u64,
    /// Connections accepted.
    pub connections: u64,
}

#[derive(Default)]
struct Counters {
    ocsp_answers: AtomicU64,
    ocsp_errors: AtomicU64,
    files: AtomicU64,
    refused: AtomicU64,
}

/// What a path serves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Crl(usize),
    CaCert(usize),
    Ocsp,
}

/// One route, for the start-up listing.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Route {
    /// The path.
    pub path: String,
    /// What it serves, e.g. `CRL of CA Tỉnh Bắc Ninh`.
    pub what: String,
}

/// A bound publication server.
pub struct CaServer {
    listener: TcpListener,
    publishers: Vec<Arc<Publisher>>,
    routes: Vec<(String, Target)>,
    clock: Clock,
    options: ServeOptions,
}

impl std::fmt::Debug for CaServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CaServer").field("addr", &self.local_addr()).finish_non_exhaustive()
    }
}

/// The path of an `http://` URL (`/` when it has none).
fn url_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("http://")?;
    Some(match rest.find('/') {
        Some(i) => rest.get(i..).unwrap_or("/").to_string(),
        None => "/".to_string(),
    })
}

/// A path component for a CA directory: its last component, URL-safe.
fn slug(dir: &std::path::Path) -> String {
    let name = dir.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "ca".into());
    let s: String = name.chars().map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' { c } else { '-' }).collect();
    if s.is_empty() {
        "ca".into()
    } else {
        s
    }
}

impl CaServer {
    /// Binds `addr` (port 0 picks a free port) for `publishers`.
    pub fn bind(addr: &str, publishers: Vec<Arc<Publisher>>, clock: Clock, options: ServeOptions) -> std::io::Result<CaServer> {
        let listener = TcpListener::bind(addr)?;
        let mut routes: Vec<(String, Target)> = Vec::new();
        let add = |path: String, t: Target, routes: &mut Vec<(String, Target)>| {
            if !routes.iter().any(|(p, _)| *p == path) {
                routes.push((path, t));
            }
        };
        add("/ocsp".into(), Target::Ocsp, &mut routes);
        for (i, p) in publishers.iter().enumerate() {
            let s = slug(p.dir());
            let publication = p.publication().unwrap_or_default();
            if let Some(path) = publication.crl_url.as_deref().and_then(url_path) {
                add(path, Target::Crl(i), &mut routes);
            }
            if let Some(path) = publication.ca_issuers_url.as_deref().and_then(url_path) {
                add(path, Target::CaCert(i), &mut routes);
            }
            if let Some(path) = publication.ocsp_url.as_deref().and_then(url_path) {
                add(path.trim_end_matches('/').to_string(), Target::Ocsp, &mut routes);
            }
            add(format!("/{s}/crl"), Target::Crl(i), &mut routes);
            add(format!("/{s}/ca.crt"), Target::CaCert(i), &mut routes);
            add(format!("/{s}/ocsp"), Target::Ocsp, &mut routes);
        }
        Ok(CaServer { listener, publishers, routes, clock, options })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.listener.local_addr().ok()
    }

    /// The paths served.
    pub fn routes(&self) -> Vec<Route> {
        self.routes
            .iter()
            .map(|(path, t)| Route {
                path: if path.is_empty() { "/".into() } else { path.clone() },
                what: match t {
                    Target::Crl(i) => format!("CRL of {}", self.publishers.get(*i).map(|p| p.name()).unwrap_or("")),
                    Target::CaCert(i) => format!("certificate of {}", self.publishers.get(*i).map(|p| p.name()).unwrap_or("")),
                    Target::Ocsp => "OCSP responder (every CA of this server)".into(),
                },
            })
            .collect()
    }

    /// Serves until `stop` is set; connections in progress finish their current request.
    /// `log` receives one line per refused request and per non-good OCSP answer.
    pub fn run(&self, stop: &AtomicBool, log: &(dyn Fn(&str) + Sync)) -> ServeStats {
        let counters = Counters::default();
        let handler = |req: &HttpRequest, peer: &str| self.handle(req, &counters, log, peer);
        let (connections, refused) = serve_http(&self.listener, &self.options, stop, log, &handler);
        ServeStats {
            ocsp_answers: counters.ocsp_answers.into_inner(),
            ocsp_errors: counters.ocsp_errors.into_inner(),
            files: counters.files.into_inner(),
            refused: counters.refused.into_inner() + refused,
            connections,
        }
    }

    fn handle(&self, req: &HttpRequest, counters: &Counters, log: &(dyn Fn(&str) + Sync), peer: &str) -> Reply {
        let now = (self.clock)();
        let t = now.unix_timestamp();
        let path = req.target.split('?').next().unwrap_or("");
        let path = if path.len() > 1 { path.trim_end_matches('/') } else { path };
        let exact = self.routes.iter().find(|(p, _)| p == path).map(|(_, t)| *t);
        // GET {ocsp path}/{base64 request} (RFC 6960 Appendix A.1), or POST to `/`.
        let ocsp_get = || {
            self.routes.iter().filter(|(_, t)| *t == Target::Ocsp).find_map(|(p, _)| {
                let rest = req.target.strip_prefix(p.as_str())?.strip_prefix('/')?;
                (!rest.is_empty()).then_some(rest)
            })
        };
        let refuse = |code: u16, why: &str| {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            log(&format!("serve: refused HTTP {code} {} {} from={peer}: {why}", req.method, clip(&req.target)));
            Reply::text(code, why)
        };
        let is_get = req.method == "GET" || req.method == "HEAD";
        match (exact, req.method.as_str()) {
            (Some(Target::Crl(i)), _) if is_get => {
                let Some(p) = self.publishers.get(i) else { return refuse(404, "no such CA") };
                match p.crl(t) {
                    Ok(Some(crl)) => {
                        counters.files.fetch_add(1, Ordering::Relaxed);
                        let etag = format!("\"crl-{}-{}\"", crl.number, hex::encode(ring::digest::digest(&ring::digest::SHA256, &crl.der).as_ref().get(..8).unwrap_or(&[])));
                        if req.if_none_match.as_deref().is_some_and(|v| v.split(',').any(|x| x.trim() == etag || x.trim() == "*")) {
                            return Reply::not_modified(etag);
                        }
                        let max_age = (crl.next_update - t).max(0);
                        Reply {
                            code: 200,
                            content_type: "application/pkix-crl",
                            body: crl.der.clone(),
                            headers: vec![
                                ("Last-Modified", http_date(crl.this_update)),
                                ("Expires", http_date(crl.next_update)),
                                ("ETag", etag),
                                ("Cache-Control", format!("public, max-age={max_age}, no-transform, must-revalidate")),
                            ],
                            close: false,
                        }
                    }
                    Ok(None) => refuse(404, "this CA has published no CRL"),
                    Err(e) => {
                        log(&format!("serve: cannot read the registry of {}: {e}", p.dir().display()));
                        Reply::text(503, "the CA registry cannot be read now, try again")
                    }
                }
            }
            (Some(Target::CaCert(i)), _) if is_get => {
                let Some(p) = self.publishers.get(i) else { return refuse(404, "no such CA") };
                counters.files.fetch_add(1, Ordering::Relaxed);
                let der = p.ca_certificate();
                let etag = format!("\"cert-{}\"", hex::encode(ring::digest::digest(&ring::digest::SHA256, &der).as_ref().get(..8).unwrap_or(&[])));
                if req.if_none_match.as_deref().is_some_and(|v| v.split(',').any(|x| x.trim() == etag)) {
                    return Reply::not_modified(etag);
                }
                Reply { code: 200, content_type: "application/pkix-cert", body: der, headers: vec![("ETag", etag), ("Cache-Control", "public, max-age=86400".into())], close: false }
            }
            (Some(Target::Ocsp), "POST") => self.ocsp_post(req, t, counters, log, peer),
            (None, "POST") if path == "/" || path.is_empty() => self.ocsp_post(req, t, counters, log, peer),
            (_, "GET" | "HEAD") if ocsp_get().is_some() => {
                let Some(encoded) = ocsp_get() else { return refuse(404, "not found") };
                match decode_get(encoded) {
                    Some(der) => self.ocsp_answer(&der, t, true, counters, log, peer),
                    None => {
                        counters.ocsp_errors.fetch_add(1, Ordering::Relaxed);
                        ocsp_reply(crate::ocsp::error_response(ResponseStatus::MalformedRequest), None, false, t)
                    }
                }
            }
            (Some(_), _) => refuse(405, "method not allowed here (GET for CRLs and certificates, POST or GET for OCSP)"),
            (None, _) => refuse(404, "not found"),
        }
    }

    fn ocsp_post(&self, req: &HttpRequest, t: i64, counters: &Counters, log: &(dyn Fn(&str) + Sync), peer: &str) -> Reply {
        if let Some(ct) = &req.content_type {
            if !ct.trim().to_ascii_lowercase().starts_with("application/ocsp-request") {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                log(&format!("serve: refused HTTP 415 from={peer}: content type {}", clip(ct)));
                return Reply::text(415, "the body must be application/ocsp-request");
            }
        }
        self.ocsp_answer(&req.body, t, false, counters, log, peer)
    }

    fn ocsp_answer(&self, der: &[u8], t: i64, get: bool, counters: &Counters, log: &(dyn Fn(&str) + Sync), peer: &str) -> Reply {
        let (answer, who) = answer_request(&self.publishers, der, t);
        if answer.status == ResponseStatus::Successful {
            counters.ocsp_answers.fetch_add(1, Ordering::Relaxed);
            for st in &answer.statuses {
                match st {
                    crate::ocsp::SingleStatus::Good => {}
                    other => log(&format!(
                        "serve: ocsp {} for a certificate of {} from={peer}",
                        match other {
                            crate::ocsp::SingleStatus::Revoked { .. } => "revoked",
                            _ => "unknown",
                        },
                        who.and_then(|i| self.publishers.get(i)).map(|p| p.name()).unwrap_or("")
                    )),
                }
            }
        } else {
            counters.ocsp_errors.fetch_add(1, Ordering::Relaxed);
            log(&format!("serve: ocsp {} from={peer}", answer.status.name()));
        }
        let (der, times) = (answer.der, answer.times);
        ocsp_reply_arc(der, times, get, t)
    }
}

/// A request handler of the shared HTTP layer: the request and the peer's address → the reply.
pub(crate) type Handler<'a> = dyn Fn(&HttpRequest, &str) -> Reply + Sync + 'a;

/// The shared HTTP/1.1 layer (`kyso ca serve`, `kyso web`): accepts on `listener` until `stop`
/// is set, one thread per connection up to `options.max_connections` (an immediate 503
/// beyond), keep-alive, every request read within the budgets of `options` and answered by
/// `handle`. Returns (connections accepted, requests refused at the HTTP level).
pub(crate) fn serve_http(listener: &TcpListener, options: &ServeOptions, stop: &AtomicBool, log: &(dyn Fn(&str) + Sync), handle: &Handler<'_>) -> (u64, u64) {
    let connections = AtomicU64::new(0);
    let refused = AtomicU64::new(0);
    let active = AtomicUsize::new(0);
    let in_flight = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let acceptor = s.spawn(|| {
            for conn in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    break;
                }
                let stream = match conn {
                    Ok(c) => c,
                    Err(e) => {
                        log(&format!("serve: accept error: {e}"));
                        std::thread::sleep(POLL);
                        continue;
                    }
                };
                connections.fetch_add(1, Ordering::Relaxed);
                if active.fetch_add(1, Ordering::SeqCst) >= options.max_connections {
                    active.fetch_sub(1, Ordering::SeqCst);
                    refused.fetch_add(1, Ordering::Relaxed);
                    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
                    write_simple(&stream, 503, "too many connections, try again", false);
                    let _ = stream.shutdown(Shutdown::Both);
                    continue;
                }
                let (refused, active, in_flight) = (&refused, &active, &in_flight);
                let spawned = std::thread::Builder::new().stack_size(THREAD_STACK).spawn_scoped(s, move || {
                    serve_connection(stream, options, stop, refused, in_flight, log, handle);
                    active.fetch_sub(1, Ordering::SeqCst);
                });
                if spawned.is_err() {
                    active.fetch_sub(1, Ordering::SeqCst);
                    refused.fetch_add(1, Ordering::Relaxed);
                }
            }
        });
        while !stop.load(Ordering::SeqCst) {
            std::thread::sleep(POLL);
        }
        if let Ok(addr) = listener.local_addr() {
            let wake = match addr.ip() {
                IpAddr::V4(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), addr.port()),
                IpAddr::V6(ip) if ip.is_unspecified() => SocketAddr::new(IpAddr::V6(Ipv6Addr::LOCALHOST), addr.port()),
                _ => addr,
            };
            let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        }
        let _ = acceptor.join();
    });
    (connections.into_inner(), refused.into_inner())
}

fn serve_connection(
    mut stream: TcpStream,
    options: &ServeOptions,
    stop: &AtomicBool,
    refused: &AtomicU64,
    in_flight: &AtomicUsize,
    log: &(dyn Fn(&str) + Sync),
    handle: &Handler<'_>,
) {
    let _ = stream.set_nodelay(true);
    let _ = stream.set_write_timeout(Some(options.request_timeout));
    // One read timeout for the connection's life (a system call per request otherwise):
    // reads wake at least this often to check the deadlines and the stop flag.
    let _ = stream.set_read_timeout(Some(READ_SLICE));
    let peer = stream.peer_addr().map(|a| a.to_string()).unwrap_or_default();
    let mut buf: Vec<u8> = Vec::with_capacity(2048);
    for _ in 0..MAX_REQUESTS_PER_CONNECTION {
        let req = match read_request(&mut stream, &mut buf, options, stop, in_flight) {
            Ok(Some(r)) => r,
            Ok(None) => break,
            Err(Refusal(code, why)) => {
                refused.fetch_add(1, Ordering::Relaxed);
                log(&format!("serve: refused HTTP {code} from={peer}: {why}"));
                write_simple(&stream, code, &why, true);
                linger(&mut stream);
                return;
            }
        };
        let keep = req.keep_alive && !stop.load(Ordering::SeqCst);
        let reply = handle(&req, &peer);
        let keep = keep && !reply.close;
        let written = write_reply(&mut stream, &req, &reply, keep);
        in_flight.fetch_sub(req.body.len(), Ordering::SeqCst);
        drop(req);
        if written.is_err() || !keep {
            break;
        }
    }
    let _ = stream.shutdown(Shutdown::Write);
}

pub(crate) fn clip(s: &str) -> String {
    s.chars().take(80).filter(|c| !c.is_control()).collect()
}

/// RFC 6960 Appendix A.1: the path holds the URL-encoded base64 of the DER request. Base64url
/// is accepted too (some clients), and so is a missing padding.
fn decode_get(encoded: &str) -> Option<Vec<u8>> {
    let mut s = String::with_capacity(encoded.len());
    let b = encoded.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b.get(i) {
            Some(b'%') => {
                let h = std::str::from_utf8(b.get(i + 1..i + 3)?).ok()?;
                s.push(u8::from_str_radix(h, 16).ok()? as char);
                i += 3;
            }
            Some(&c) => {
                s.push(match c {
                    b'-' => '+',
                    b'_' => '/',
                    c => c as char,
                });
                i += 1;
            }
            None => break,
        }
        if s.len() > 4 * crate::ocsp::MAX_REQUEST_BYTES / 3 + 4 {
            return None;
        }
    }
    let s = s.trim_end_matches('=');
    base64_decode(s)
}

fn base64_decode(s: &str) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => (c - b'A') as u32,
            b'a'..=b'z' => (c - b'a' + 26) as u32,
            b'0'..=b'9' => (c - b'0' + 52) as u32,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        })
    };
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for &c in s.as_bytes() {
        acc = (acc << 6) | val(c)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// An HTTP-date (RFC 9110 §5.6.7), e.g. `Mon, 07 Dec 2026 02:23:40 GMT`.
pub fn http_date(t: i64) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let wd = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][d.weekday().number_days_from_monday() as usize];
    let mo = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"][u8::from(d.month()) as usize - 1];
    format!("{wd}, {:02} {mo} {:04} {:02}:{:02}:{:02} GMT", d.day(), d.year(), d.hour(), d.minute(), d.second())
}

/// An answer of the shared HTTP layer.
pub(crate) struct Reply {
    pub(crate) code: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Arc<Vec<u8>>,
    pub(crate) headers: Vec<(&'static str, String)>,
    /// Close the connection after this answer.
    pub(crate) close: bool,
}

impl Reply {
    pub(crate) fn text(code: u16, why: &str) -> Reply {
        Reply { code, content_type: "text/plain; charset=utf-8", body: Arc::new(format!("{why}\n").into_bytes()), headers: Vec::new(), close: false }
    }

    fn not_modified(etag: String) -> Reply {
        Reply { code: 304, content_type: "", body: Arc::new(Vec::new()), headers: vec![("ETag", etag)], close: false }
    }
}

fn ocsp_reply(der: Vec<u8>, times: Option<(i64, i64)>, get: bool, now: i64) -> Reply {
    ocsp_reply_arc(Arc::new(der), times, get, now)
}

/// RFC 5019 §6.2: a GET answer may be cached until nextUpdate; a POST answer is not cached.
fn ocsp_reply_arc(der: Arc<Vec<u8>>, times: Option<(i64, i64)>, get: bool, now: i64) -> Reply {
    let mut headers = Vec::new();
    match (get, times) {
        (true, Some((this, next))) => {
            headers.push(("Last-Modified", http_date(this)));
            headers.push(("Expires", http_date(next)));
            headers.push(("ETag", format!("\"{}\"", hex::encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &der).as_ref()))));
            headers.push(("Cache-Control", format!("max-age={}, public, no-transform, must-revalidate", (next - now).max(0))));
        }
        _ => headers.push(("Cache-Control", "no-cache".into())),
    }
    Reply { code: 200, content_type: "application/ocsp-response", body: der, headers, close: false }
}

fn reason_phrase(code: u16) -> &'static str {
    match code {
        200 => "OK",
        304 => "Not Modified",
        400 => "Bad Request",
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

fn write_reply(stream: &mut TcpStream, req: &HttpRequest, r: &Reply, keep: bool) -> std::io::Result<()> {
    let mut head = format!("HTTP/1.1 {} {}\r\n", r.code, reason_phrase(r.code));
    if !r.content_type.is_empty() {
        head.push_str(&format!("Content-Type: {}\r\n", r.content_type));
    }
    head.push_str(&format!("Content-Length: {}\r\n", if r.code == 304 { 0 } else { r.body.len() }));
    for (k, v) in &r.headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(if keep { "Connection: keep-alive\r\n\r\n" } else { "Connection: close\r\n\r\n" });
    let mut out = head.into_bytes();
    if req.method != "HEAD" && r.code != 304 {
        out.extend_from_slice(&r.body);
    }
    stream.write_all(&out)?;
    stream.flush()
}

fn write_simple(mut stream: &TcpStream, code: u16, why: &str, _linger: bool) {
    let body = format!("{why}\n");
    let allow = if code == 405 { "Allow: GET, POST\r\n" } else { "" };
    let head = format!(
        "HTTP/1.1 {code} {}\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\n{allow}Connection: close\r\n\r\n{body}",
        reason_phrase(code),
        body.len()
    );
    let _ = stream.write_all(head.as_bytes());
    let _ = stream.flush();
}

/// After an error answer: stop writing and drain (bounded) what the client still sends, so that
/// it reads the answer rather than a reset caused by its unread request.
fn linger(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let _ = stream.set_read_timeout(Some(Duration::from_millis(300)));
    let started = Instant::now();
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < 64 * 1024 && started.elapsed() < Duration::from_millis(300) {
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// A request read by the shared HTTP layer.
pub(crate) struct HttpRequest {
    pub(crate) method: String,
    pub(crate) target: String,
    pub(crate) content_type: Option<String>,
    pub(crate) if_none_match: Option<String>,
    pub(crate) keep_alive: bool,
    pub(crate) body: Vec<u8>,
}

pub(crate) struct Refusal(u16, String);

/// Reads one request. `buf` holds bytes already received beyond the previous request
/// (pipelining). `Ok(None)`: the client closed, or stayed idle past the keep-alive time.
/// `in_flight` counts the body bytes held by all connections: the body's length is reserved
/// before it is read (HTTP 503 beyond `max_body_bytes_in_flight`) and released by the caller
/// once the request is answered (`body.len()`), or here when reading it fails.
pub(crate) fn read_request(stream: &mut TcpStream, buf: &mut Vec<u8>, o: &ServeOptions, stop: &AtomicBool, in_flight: &AtomicUsize) -> Result<Option<HttpRequest>, Refusal> {
    let mut chunk = [0u8; 8192];
    // Wait for the first byte: idle time (keep-alive), checked against the stop flag.
    let idle_until = Instant::now() + o.keep_alive;
    while buf.is_empty() {
        if stop.load(Ordering::SeqCst) || Instant::now() >= idle_until {
            return Ok(None);
        }
        match stream.read(&mut chunk) {
            Ok(0) => return Ok(None),
            Ok(n) => buf.extend_from_slice(chunk.get(..n).unwrap_or(&[])),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut | std::io::ErrorKind::Interrupted) => continue,
            Err(_) => return Ok(None),
        }
    }
    let started = Instant::now();
    let deadline = started + o.request_timeout;
    let head_deadline = started + o.header_timeout.min(o.request_timeout);
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i;
        }
        if buf.len() > MAX_HEADER_BYTES {
            return Err(Refusal(431, format!("request headers larger than {MAX_HEADER_BYTES} bytes")));
        }
        let n = read_some(stream, &mut chunk, head_deadline)?;
        if n == 0 {
            return Err(Refusal(400, "the connection closed inside the request headers".into()));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    };
    if head_end > MAX_HEADER_BYTES {
        return Err(Refusal(431, format!("request headers larger than {MAX_HEADER_BYTES} bytes")));
    }
    let head = std::str::from_utf8(buf.get(..head_end).unwrap_or(&[])).map_err(|_| Refusal(400, "request headers are not text".into()))?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next().unwrap_or("").split(' ');
    let (method, target, version) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if method.is_empty() || !target.starts_with('/') || !version.starts_with("HTTP/1.") || parts.next().is_some() {
        return Err(Refusal(400, "not an HTTP/1.x request line".into()));
    }
    let http10 = version == "HTTP/1.0";
    let mut keep_alive = !http10;
    let (mut content_length, mut content_type, mut if_none_match, mut expect) = (None::<usize>, None, None, false);
    for (count, line) in lines.enumerate() {
        if count >= MAX_HEADERS {
            return Err(Refusal(431, format!("more than {MAX_HEADERS} header lines")));
        }
        let (name, value) = line.split_once(':').ok_or_else(|| Refusal(400, "malformed header line".into()))?;
        let value = value.trim();
        match name.trim().to_ascii_lowercase().as_str() {
            "content-length" => {
                let n: usize = value.parse().map_err(|_| Refusal(400, "bad Content-Length".into()))?;
                if content_length.is_some_and(|m| m != n) {
                    return Err(Refusal(400, "conflicting Content-Length headers".into()));
                }
                content_length = Some(n);
            }
            "transfer-encoding" => return Err(Refusal(411, "send the request with a Content-Length (no transfer coding)".into())),
            "content-type" => content_type = Some(value.to_string()),
            "if-none-match" => if_none_match = Some(value.to_string()),
            "expect" => expect = value.eq_ignore_ascii_case("100-continue"),
            "connection" => {
                let v = value.to_ascii_lowercase();
                if v.split(',').any(|x| x.trim() == "close") {
                    keep_alive = false;
                } else if v.split(',').any(|x| x.trim() == "keep-alive") {
                    keep_alive = true;
                }
            }
            _ => {}
        }
    }
    let (method, target) = (method.to_string(), target.to_string());
    let length = match (method.as_str(), content_length) {
        ("POST", None) => return Err(Refusal(411, "a Content-Length is required".into())),
        (_, n) => n.unwrap_or(0),
    };
    if length > o.max_request_bytes {
        return Err(Refusal(413, format!("request larger than {} bytes", o.max_request_bytes)));
    }
    let body_start = head_end + 4;
    if in_flight.fetch_add(length, Ordering::SeqCst).saturating_add(length) > o.max_body_bytes_in_flight {
        in_flight.fetch_sub(length, Ordering::SeqCst);
        return Err(Refusal(503, "the server is receiving too many uploads at once, try again".into()));
    }
    if expect && buf.len() < body_start + length {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    while buf.len() < body_start + length {
        let n = match read_some(stream, &mut chunk, deadline) {
            Ok(n) => n,
            Err(e) => {
                in_flight.fetch_sub(length, Ordering::SeqCst);
                return Err(e);
            }
        };
        if n == 0 {
            in_flight.fetch_sub(length, Ordering::SeqCst);
            return Err(Refusal(400, format!("the body ended after {} of {length} bytes", buf.len().saturating_sub(body_start))));
        }
        buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
    }
    let body = buf.get(body_start..body_start + length).unwrap_or(&[]).to_vec();
    let req = HttpRequest { method, target, content_type, if_none_match, keep_alive, body };
    buf.drain(..body_start + length);
    Ok(Some(req))
}

/// One read bounded by the request deadline (the socket's read timeout is [`READ_SLICE`]).
fn read_some(stream: &mut TcpStream, chunk: &mut [u8], deadline: Instant) -> Result<usize, Refusal> {
    loop {
        if Instant::now() >= deadline {
            return Err(Refusal(408, "the request took too long to arrive".into()));
        }
        match stream.read(chunk) {
            Ok(n) => return Ok(n),
            Err(e) if matches!(e.kind(), std::io::ErrorKind::Interrupted | std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) => continue,
            Err(e) => return Err(Refusal(400, format!("read error: {e}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn get_paths_decode_base64_url_and_percent_forms() {
        let der = vec![0x30, 0x03, 0x02, 0x01, 0xff, 0xfb];
        assert_eq!(decode_get("MAMCAf/7"), Some(der.clone()));
        assert_eq!(decode_get("MAMCAf%2F7"), Some(der.clone()));
        assert_eq!(decode_get("MAMCAf_7"), Some(der));
        assert_eq!(decode_get("M*"), None);
        assert_eq!(decode_get("%zz"), None);
    }

    #[test]
    fn http_dates_and_url_paths() {
        assert_eq!(http_date(784111777), "Sun, 06 Nov 1994 08:49:37 GMT");
        assert_eq!(url_path("http://127.0.0.1:8080/ca/crl.crl").as_deref(), Some("/ca/crl.crl"));
        assert_eq!(url_path("http://h").as_deref(), Some("/"));
        assert_eq!(url_path("https://h/x"), None);
        assert_eq!(slug(std::path::Path::new("/tmp/issuing ca")), "issuing-ca");
    }
}
