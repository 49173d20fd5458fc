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
//! How it is built: on kyso's shared HTTP/1.1 layer, [`crate::http`] (the one `kyso tsa serve`
//! uses): std threads, one per open connection, at most `max_connections` at once and
//! `max_connections_per_client` from one address (beyond that an immediate HTTP 503); HTTP/1.1
//! keep-alive (HTTP/1.0 with `Connection: keep-alive`) so that a busy client pays for one TCP
//! handshake, not one per request. Every attacker-driven quantity is bounded: header bytes and
//! lines, body bytes, the time a request may take to arrive, the idle time between requests,
//! requests per connection. Errors in an OCSP request are answered with the RFC 6960 error
//! statuses (malformedRequest, unauthorized, tryLater); HTTP errors (400, 404, 405, 408, 411, 413,
//! 415, 431, 503) for what is not an OCSP request at all.
//!
//! Load (benches/ocsp_load.rs, loopback, this 2-core machine): see benches/RESULTS.md.

use super::ocsp::{answer_request, Publisher};
use crate::ocsp::ResponseStatus;
use crate::http::{HttpServer, Limits, Request, Response};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// The time source (the library never reads the clock; the CLI passes `OffsetDateTime::now_utc`).
pub type Clock = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

pub use crate::http::{DEFAULT_MAX_CONNECTIONS, MAX_HEADER_BYTES};

/// Default limit on open connections from one client address: the recipients of a province
/// may reach the responder through one NAT address of a government network, each verifying
/// client keeping a connection open for a few seconds; 128 (a quarter of
/// [`DEFAULT_MAX_CONNECTIONS`]) leaves room for that while one address cannot take them all.
pub const DEFAULT_MAX_CONNECTIONS_PER_CLIENT: usize = 128;

/// Requests served on one connection before it is closed (bounds how long one client holds a
/// thread).
const MAX_REQUESTS_PER_CONNECTION: usize = 10_000;

/// Server settings.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct ServeOptions {
    /// Largest request body (HTTP 413 beyond). Default: [`crate::ocsp::MAX_REQUEST_BYTES`].
    pub max_request_bytes: usize,
    /// Simultaneous connections (HTTP 503 beyond).
    pub max_connections: usize,
    /// Simultaneous connections from one client address (HTTP 503 beyond).
    pub max_connections_per_client: usize,
    /// Time a request may take to arrive once its first byte came (HTTP 408 beyond); also the
    /// timeout of writing an answer.
    pub request_timeout: Duration,
    /// Idle time allowed between requests on a kept-alive connection.
    pub keep_alive: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            max_request_bytes: crate::ocsp::MAX_REQUEST_BYTES,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_client: DEFAULT_MAX_CONNECTIONS_PER_CLIENT,
            request_timeout: Duration::from_secs(10),
            keep_alive: Duration::from_secs(5),
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
    http: HttpServer,
    publishers: Vec<Arc<Publisher>>,
    routes: Vec<(String, Target)>,
    clock: Clock,
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
        // The request timeout counts from the connection (first request) or the request's first
        // byte, for the headers and the whole request alike.
        let limits = Limits {
            max_connections: options.max_connections,
            max_connections_per_client: options.max_connections_per_client,
            header_timeout: options.request_timeout,
            body_timeout: options.request_timeout,
            request_timeout: options.request_timeout,
            keep_alive: Some(options.keep_alive),
            max_body_bytes: options.max_request_bytes,
            max_requests_per_connection: MAX_REQUESTS_PER_CONNECTION,
            max_body_bytes_in_flight: usize::MAX,
        };
        let http = HttpServer::bind(addr, limits)?;
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
        Ok(CaServer { http, publishers, routes, clock })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.http.local_addr()
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
        let handler = Handler { server: self, counters: Counters::default(), log };
        let stats = self.http.run(&handler, stop);
        let c = handler.counters;
        ServeStats {
            ocsp_answers: c.ocsp_answers.into_inner(),
            ocsp_errors: c.ocsp_errors.into_inner(),
            files: c.files.into_inner(),
            refused: c.refused.into_inner(),
            connections: stats.connections,
        }
    }

    fn handle(&self, req: &Request, counters: &Counters, log: &(dyn Fn(&str) + Sync)) -> Response {
        let peer = req.peer;
        let now = (self.clock)();
        let t = now.unix_timestamp();
        if !req.target.starts_with('/') {
            counters.refused.fetch_add(1, Ordering::Relaxed);
            log(&format!("serve: refused HTTP 400 from={peer}: not an origin-form request target"));
            return Response::text(400, "not an HTTP/1.x request line").closing();
        }
        let path = req.path();
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
            Response::text(code, why)
        };
        let is_get = req.method == "GET" || req.method == "HEAD";
        match (exact, req.method.as_str()) {
            (Some(Target::Crl(i)), _) if is_get => {
                let Some(p) = self.publishers.get(i) else { return refuse(404, "no such CA") };
                match p.crl(t) {
                    Ok(Some(crl)) => {
                        counters.files.fetch_add(1, Ordering::Relaxed);
                        let etag = format!("\"crl-{}-{}\"", crl.number, hex::encode(ring::digest::digest(&ring::digest::SHA256, &crl.der).as_ref().get(..8).unwrap_or(&[])));
                        if req.header("if-none-match").is_some_and(|v| v.split(',').any(|x| x.trim() == etag || x.trim() == "*")) {
                            return Response::empty(304).with_header("ETag", etag);
                        }
                        let max_age = (crl.next_update - t).max(0);
                        Response::new(200, "application/pkix-crl", crl.der.clone())
                            .with_header("Last-Modified", http_date(crl.this_update))
                            .with_header("Expires", http_date(crl.next_update))
                            .with_header("ETag", etag)
                            .with_header("Cache-Control", format!("public, max-age={max_age}, no-transform, must-revalidate"))
                    }
                    Ok(None) => refuse(404, "this CA has published no CRL"),
                    Err(e) => {
                        log(&format!("serve: cannot read the registry of {}: {e}", p.dir().display()));
                        Response::text(503, "the CA registry cannot be read now, try again")
                    }
                }
            }
            (Some(Target::CaCert(i)), _) if is_get => {
                let Some(p) = self.publishers.get(i) else { return refuse(404, "no such CA") };
                counters.files.fetch_add(1, Ordering::Relaxed);
                let der = p.ca_certificate();
                let etag = format!("\"cert-{}\"", hex::encode(ring::digest::digest(&ring::digest::SHA256, &der).as_ref().get(..8).unwrap_or(&[])));
                if req.header("if-none-match").is_some_and(|v| v.split(',').any(|x| x.trim() == etag)) {
                    return Response::empty(304).with_header("ETag", etag);
                }
                Response::new(200, "application/pkix-cert", der).with_header("ETag", etag).with_header("Cache-Control", "public, max-age=86400")
            }
            (Some(Target::Ocsp), "POST") => self.ocsp_post(req, t, counters, log),
            (None, "POST") if path == "/" || path.is_empty() => self.ocsp_post(req, t, counters, log),
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
            (Some(_), _) => refuse(405, "method not allowed here (GET for CRLs and certificates, POST or GET for OCSP)").with_header("Allow", "GET, HEAD, POST"),
            (None, _) => refuse(404, "not found"),
        }
    }

    fn ocsp_post(&self, req: &Request, t: i64, counters: &Counters, log: &(dyn Fn(&str) + Sync)) -> Response {
        let peer = req.peer;
        if let Some(ct) = req.header("content-type") {
            if !ct.trim().to_ascii_lowercase().starts_with("application/ocsp-request") {
                counters.refused.fetch_add(1, Ordering::Relaxed);
                log(&format!("serve: refused HTTP 415 from={peer}: content type {}", clip(ct)));
                return Response::text(415, "the body must be application/ocsp-request");
            }
        }
        self.ocsp_answer(&req.body, t, false, counters, log, peer)
    }

    fn ocsp_answer(&self, der: &[u8], t: i64, get: bool, counters: &Counters, log: &(dyn Fn(&str) + Sync), peer: SocketAddr) -> Response {
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

fn clip(s: &str) -> String {
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

fn ocsp_reply(der: Vec<u8>, times: Option<(i64, i64)>, get: bool, now: i64) -> Response {
    ocsp_reply_arc(Arc::new(der), times, get, now)
}

/// RFC 5019 §6.2: a GET answer may be cached until nextUpdate; a POST answer is not cached.
fn ocsp_reply_arc(der: Arc<Vec<u8>>, times: Option<(i64, i64)>, get: bool, now: i64) -> Response {
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
    let mut r = Response::new(200, "application/ocsp-response", der);
    r.headers.extend(headers);
    r
}

/// The server's side of a running server: what [`crate::http`] calls for each request.
struct Handler<'a> {
    server: &'a CaServer,
    counters: Counters,
    log: &'a (dyn Fn(&str) + Sync),
}

impl crate::http::Handler for Handler<'_> {
    fn handle(&self, request: &Request) -> Response {
        self.server.handle(request, &self.counters, self.log)
    }

    fn refused(&self, peer: SocketAddr, status: u16, why: &str) {
        self.counters.refused.fetch_add(1, Ordering::Relaxed);
        (self.log)(&format!("serve: refused HTTP {status} from={peer}: {why}"));
    }

    fn accept_failed(&self, error: &std::io::Error) {
        (self.log)(&format!("serve: accept error: {error}"));
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
