//! `kyso web` (issue 20): the recipients' verification page and its JSON API.
//!
//! Built on kyso's HTTP layer ([`crate::http`], shared with `ca serve` and `tsa serve`), with its
//! budget of body bytes in memory ([`crate::http::Limits::max_body_bytes_in_flight`]) set.
//!
//! Paths (nothing else answers: 404; no directory listing, no file is read from disk):
//! - `GET /` — the page (`?lang=en` for English; Vietnamese by default): a form to upload one
//!   PDF, a document with its `.p7s`, or several files at once (paired by name).
//! - `POST /verify` — the form's target (`multipart/form-data`, files in parts named `files`, the
//!   language in a part named `lang`): the page with the result, rendered from the same typed
//!   report as `kyso verify` ([`crate::report::document_view`]). Works without JavaScript.
//! - `POST /api/verify` — the same upload, answered with the report JSON of `kyso verify --json`.
//! - `GET /kyso.css`, `GET /kyso.js` — the page's style and its progressive enhancement
//!   (drag and drop, no reload, language switch of a result, printing), served by kyso: the
//!   page needs no external resource.
//!
//! Pairing (as `kyso verify` does on disk): `NAME` is verified against `NAME.p7s` when both are
//! uploaded; a PDF without one is verified in place (every signature inside); a document
//! without its `.p7s`, or a `.p7s` without its document, fails with the file named as missing.
//!
//! Nothing uploaded is stored: the body is held in memory for the request and dropped with it.
//! Limits: the body (HTTP 413 beyond, before it is read), files per request (400), the multipart
//! structure ([`multipart::Limits`]), the time a request may take to arrive (headers: a
//! slow-loris client is dropped with 408), connections (503), and verifications at once
//! (503 with `Retry-After`, never a queue). The trust anchors, CRLs and revocation fetching are
//! the server's ([`WebConfig`]); an upload can never add a trust anchor.
//!
//! Every answer carries a strict Content-Security-Policy (`default-src 'none'`; scripts and styles
//! from this server only, no inline script; `frame-ancestors 'none'`), `X-Content-Type-Options:
//! nosniff` and `Referrer-Policy: no-referrer`; every string from a document or certificate is
//! HTML-escaped.

pub mod multipart;
mod page;

use crate::findings::{Finding, IoProblem, SubIndication};
use crate::http::{Handler, HttpServer, Limits, Request, Response};
use crate::report::{DocumentReport, Lang, RunReport};
use crate::verify::{Verifier, VerifyError};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

/// The time source (the library never reads the clock; the CLI passes `OffsetDateTime::now_utc`).
pub type Clock = Arc<dyn Fn() -> time::OffsetDateTime + Send + Sync>;

/// Builds the verifier of one request, validating at the given time (the server's clock at
/// the request). The CLI builds it from `--trust`, `--chain`, `--crl`, `--ocsp` and its
/// revocation flags, read once at start-up.
pub type VerifierFactory = Arc<dyn Fn(time::OffsetDateTime) -> Result<Verifier, VerifyError> + Send + Sync>;

/// Default upload limit: 50 MiB (a scanned dispatch of a few hundred pages; the figure).
pub const DEFAULT_MAX_UPLOAD: usize = 50 * 1024 * 1024;
/// Default budget of upload bytes held in memory at once (all connections together).
pub const DEFAULT_BODY_BUDGET: usize = 256 * 1024 * 1024;
/// Default number of files in one upload: a dispatch with its annexes and their `.p7s`.
pub const DEFAULT_MAX_FILES: usize = 32;

/// A trust anchor as the printable record names it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct AnchorInfo {
    /// Its subject (distinguished name).
    pub subject: String,
    /// SHA-256 of its DER encoding, hex.
    pub sha256: String,
}

impl AnchorInfo {
    /// The record entry of a DER certificate.
    pub fn from_der(der: &[u8]) -> AnchorInfo {
        AnchorInfo {
            subject: crate::findings::Name::subject_of(der).dn,
            sha256: hex::encode(ring::digest::digest(&ring::digest::SHA256, der).as_ref()),
        }
    }
}

/// What the server verifies with.
#[non_exhaustive]
pub struct WebConfig {
    /// Builds each request's verifier.
    pub verifier: VerifierFactory,
    /// The trust anchors, named on the printable record.
    pub anchors: Vec<AnchorInfo>,
    /// The page's language when the request names none (`?lang=`, the form's `lang`).
    pub default_lang: Lang,
}

impl WebConfig {
    /// A configuration (the page in Vietnamese unless a request asks otherwise).
    pub fn new(verifier: VerifierFactory, anchors: Vec<AnchorInfo>) -> WebConfig {
        WebConfig { verifier, anchors, default_lang: Lang::Vi }
    }

    /// With another default language.
    pub fn default_lang(mut self, lang: Lang) -> WebConfig {
        self.default_lang = lang;
        self
    }
}

impl std::fmt::Debug for WebConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebConfig").field("anchors", &self.anchors).finish_non_exhaustive()
    }
}

/// Server limits.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct WebOptions {
    /// The HTTP layer's budgets ([`crate::http`]); `max_body_bytes` is the upload limit (HTTP
    /// 413 beyond).
    pub http: Limits,
    /// Files in one upload.
    pub max_files: usize,
    /// Verifications running at once (HTTP 503 with Retry-After beyond).
    pub max_verifications: usize,
    /// The multipart parser's budgets.
    pub multipart: multipart::Limits,
}

impl Default for WebOptions {
    fn default() -> Self {
        let mut http = Limits::default();
        http.max_body_bytes = DEFAULT_MAX_UPLOAD;
        // A 50 MiB upload over a slow office link (10 Mbit/s) takes ~40 s; the headers still
        // have to arrive within `header_timeout` (the layer's 5 s).
        http.body_timeout = std::time::Duration::from_secs(120);
        http.request_timeout = std::time::Duration::from_secs(120);
        // One thread per connection; a LAN page has tens of users, not hundreds.
        http.max_connections = 128;
        // Bodies in memory at once: five full uploads; beyond, 503 (memory stays bounded
        // whatever the number of clients).
        http.max_body_bytes_in_flight = DEFAULT_BODY_BUDGET;
        WebOptions {
            http,
            max_files: DEFAULT_MAX_FILES,
            // Verification is CPU-bound: twice the cores keeps them busy while one waits on a
            // revocation fetch.
            max_verifications: std::thread::available_parallelism().map(|n| n.get() * 2).unwrap_or(4),
            multipart: multipart::Limits::default(),
        }
    }
}

/// What the server did, returned when it stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebStats {
    /// Uploads verified (page and API).
    pub verified: u64,
    /// Requests refused (HTTP 4xx/5xx).
    pub refused: u64,
    /// Uploads refused because every verification slot was busy (HTTP 503).
    pub busy: u64,
    /// Connections accepted.
    pub connections: u64,
}

/// A bound verification server.
pub struct WebServer {
    server: HttpServer,
    config: WebConfig,
    clock: Clock,
    options: WebOptions,
}

impl std::fmt::Debug for WebServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebServer").field("addr", &self.local_addr()).finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Counters {
    verified: AtomicU64,
    refused: AtomicU64,
    busy: AtomicU64,
    running: AtomicUsize,
}

/// Why an upload cannot be verified (answered 4xx).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UploadError {
    /// The body is not acceptable multipart/form-data.
    #[error("{0}")]
    Multipart(#[from] multipart::MultipartError),
    /// No file in the upload.
    #[error("no file was uploaded (send each file as a part named \"files\")")]
    NoFile,
    /// More files than allowed.
    #[error("more than {limit} files in one upload")]
    TooManyFiles {
        /// The limit.
        limit: usize,
    },
    /// Two files with the same name.
    #[error("two files are named {name:?}")]
    DuplicateName {
        /// The name.
        name: String,
    },
}

/// An uploaded file.
struct Upload<'a> {
    name: String,
    data: &'a [u8],
}

/// The uploaded files and the requested language.
fn read_upload<'a>(content_type: &str, body: &'a [u8], o: &WebOptions) -> Result<(Vec<Upload<'a>>, Option<Lang>), UploadError> {
    let parts = multipart::parse(content_type, body, &o.multipart)?;
    let mut files: Vec<Upload<'a>> = Vec::new();
    let mut lang = None;
    for p in parts {
        let data = body.get(p.data.clone()).unwrap_or(&[]);
        match (p.name.as_str(), p.filename) {
            ("files", Some(name)) => {
                // A file input left empty.
                if name.is_empty() && data.is_empty() {
                    continue;
                }
                if files.len() >= o.max_files {
                    return Err(UploadError::TooManyFiles { limit: o.max_files });
                }
                if files.iter().any(|f| f.name == name) {
                    return Err(UploadError::DuplicateName { name });
                }
                files.push(Upload { name, data });
            }
            ("lang", None) => lang = parse_lang(std::str::from_utf8(data).unwrap_or("")),
            _ => {}
        }
    }
    if files.is_empty() {
        return Err(UploadError::NoFile);
    }
    Ok((files, lang))
}

fn parse_lang(s: &str) -> Option<Lang> {
    match s.trim() {
        "vi" => Some(Lang::Vi),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// True when `data` starts like a PDF (`%PDF-` in its first kilobyte, as readers accept).
fn looks_like_pdf(data: &[u8]) -> bool {
    data.get(..data.len().min(1024)).is_some_and(|h| h.windows(5).any(|w| w == b"%PDF-"))
}

fn missing(name: String) -> IoProblem {
    IoProblem { kind: std::io::ErrorKind::NotFound, message: format!("{name} was not uploaded") }
}

/// What `POST /api/verify` does with a body: parses `body` (sent as `content_type`) within the
/// limits of `options`, pairs the files by name and verifies them with `v`. Returns the report
/// and the language the form asked for (a part named `lang`), or why the upload is refused.
pub fn verify_multipart(v: &Verifier, content_type: &str, body: &[u8], options: &WebOptions) -> Result<(RunReport, Option<Lang>), UploadError> {
    let (files, lang) = read_upload(content_type, body, options)?;
    Ok((verify_uploads(v, &files), lang))
}

/// Verifies the uploaded files, paired by name as `kyso verify` pairs them on disk.
fn verify_uploads(v: &Verifier, files: &[Upload<'_>]) -> RunReport {
    let find = |name: &str| files.iter().find(|f| f.name == name);
    let is_sig = |n: &str| n.len() > 4 && n.get(n.len() - 4..).is_some_and(|e| e.eq_ignore_ascii_case(".p7s"));
    let mut docs = Vec::new();
    for f in files {
        if is_sig(&f.name) {
            let doc_name = f.name.get(..f.name.len() - 4).unwrap_or("");
            if find(doc_name).is_none() {
                docs.push(DocumentReport::failed(doc_name.to_string(), None, SubIndication::FormatFailure, Finding::DocumentUnreadable(missing(doc_name.to_string()))));
            }
            continue;
        }
        let sig_name = format!("{}.p7s", f.name);
        let sig = find(&sig_name).or_else(|| find(&format!("{}.P7S", f.name)));
        docs.push(match sig {
            Some(sig) => v.verify_detached(&f.name, f.data, sig.data),
            None if looks_like_pdf(f.data) => v.verify_pdf(&f.name, f.data),
            None => DocumentReport::failed(
                f.name.clone(),
                Some(hex::encode(ring::digest::digest(&ring::digest::SHA256, f.data).as_ref())),
                SubIndication::FormatFailure,
                Finding::SignatureFileUnreadable { path: sig_name.clone(), error: missing(sig_name) },
            ),
        });
    }
    RunReport::new(docs)
}

/// A request's path and its `lang` query parameter.
fn split_target(target: &str) -> (&str, Option<Lang>) {
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let lang = query.split('&').find_map(|kv| kv.strip_prefix("lang=")).and_then(parse_lang);
    (path, lang)
}

/// The headers of every answer of this server.
fn security_headers(r: Response) -> Response {
    r.with_header(
        "Content-Security-Policy",
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
    )
    .with_header("X-Content-Type-Options", "nosniff")
    .with_header("X-Frame-Options", "DENY")
    .with_header("Referrer-Policy", "no-referrer")
}

fn reply(code: u16, content_type: &str, body: Vec<u8>, cache: &str) -> Response {
    security_headers(Response::new(code, content_type, body).with_header("Cache-Control", cache))
}

/// The server's [`Handler`]: routes, counters, the log.
struct Served<'a> {
    server: &'a WebServer,
    counters: Counters,
    log: &'a (dyn Fn(&str) + Sync),
}

impl Handler for Served<'_> {
    fn handle(&self, req: &Request) -> Response {
        let r = self.server.handle(req, &self.counters);
        if r.status >= 400 {
            self.counters.refused.fetch_add(1, Ordering::Relaxed);
            (self.log)(&format!("web: HTTP {} {} {} from={}", r.status, req.method, req.target.chars().take(80).filter(|c| !c.is_control()).collect::<String>(), req.peer));
        }
        r
    }

    fn refused(&self, peer: SocketAddr, status: u16, why: &str) {
        (self.log)(&format!("web: refused HTTP {status} from={peer}: {why}"));
    }

    fn accept_failed(&self, error: &std::io::Error) {
        (self.log)(&format!("web: accept error: {error}"));
    }
}

/// Releases a verification slot when dropped.
struct Slot<'a>(&'a AtomicUsize);

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl WebServer {
    /// Binds `addr` (port 0 picks a free port).
    pub fn bind(addr: &str, config: WebConfig, clock: Clock, options: WebOptions) -> std::io::Result<WebServer> {
        Ok(WebServer { server: HttpServer::bind(addr, options.http)?, config, clock, options })
    }

    /// The address actually bound.
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.server.local_addr()
    }

    /// Serves until `stop` is set. `log` receives one line per refused request.
    pub fn run(&self, stop: &AtomicBool, log: &(dyn Fn(&str) + Sync)) -> WebStats {
        let handler = Served { server: self, counters: Counters::default(), log };
        let stats = self.server.run(&handler, stop);
        WebStats {
            verified: handler.counters.verified.into_inner(),
            refused: handler.counters.refused.into_inner() + stats.refused,
            busy: handler.counters.busy.into_inner(),
            connections: stats.connections,
        }
    }

    fn handle(&self, req: &Request, counters: &Counters) -> Response {
        let (path, query_lang) = split_target(&req.target);
        let get = req.method == "GET" || req.method == "HEAD";
        match (path, get, req.method.as_str()) {
            ("/", true, _) => {
                let html = page::render(&page::Page { lang: query_lang.unwrap_or(self.config.default_lang), result: None, error: None, anchors: &self.config.anchors });
                reply(200, "text/html; charset=utf-8", html.into_bytes(), "no-cache")
            }
            ("/kyso.css", true, _) => reply(200, "text/css; charset=utf-8", page::CSS.as_bytes().to_vec(), "public, max-age=3600"),
            ("/kyso.js", true, _) => reply(200, "text/javascript; charset=utf-8", page::JS.as_bytes().to_vec(), "public, max-age=3600"),
            ("/verify", _, "POST") => self.verify(req, counters, false, query_lang),
            ("/api/verify", _, "POST") => self.verify(req, counters, true, None),
            ("/" | "/kyso.css" | "/kyso.js" | "/verify" | "/api/verify", _, _) => {
                reply(405, "text/plain; charset=utf-8", b"method not allowed\n".to_vec(), "no-store")
                    .with_header("Allow", if path.contains("verify") { "POST" } else { "GET, HEAD" })
            }
            _ => reply(404, "text/plain; charset=utf-8", b"not found\n".to_vec(), "no-store"),
        }
    }

    fn verify(&self, req: &Request, counters: &Counters, api: bool, query_lang: Option<Lang>) -> Response {
        let now = (self.clock)();
        let error = |code: u16, e: &dyn std::fmt::Display, lang: Lang| {
            if api {
                let body = serde_json::json!({ "error": e.to_string() });
                reply(code, "application/json", format!("{body}\n").into_bytes(), "no-store")
            } else {
                let html = page::render(&page::Page { lang, result: None, error: Some(e.to_string()), anchors: &self.config.anchors });
                reply(code, "text/html; charset=utf-8", html.into_bytes(), "no-store")
            }
        };
        let ct = req.header("content-type").unwrap_or("");
        let (files, lang) = match read_upload(ct, &req.body, &self.options) {
            Ok(x) => x,
            Err(e) => {
                let code = if matches!(e, UploadError::Multipart(multipart::MultipartError::NotFormData)) { 415 } else { 400 };
                return error(code, &e, query_lang.unwrap_or(self.config.default_lang));
            }
        };
        let lang = lang.or(query_lang).unwrap_or(self.config.default_lang);
        // A verification slot, or 503 at once (no queue without bound).
        if counters.running.fetch_add(1, Ordering::SeqCst) >= self.options.max_verifications {
            counters.running.fetch_sub(1, Ordering::SeqCst);
            counters.busy.fetch_add(1, Ordering::Relaxed);
            return error(503, &"every verification slot is busy; try again in a few seconds", lang).with_header("Retry-After", "2");
        }
        let _slot = Slot(&counters.running);
        let verifier = match (self.config.verifier)(now) {
            Ok(v) => v,
            Err(e) => return error(500, &e, lang),
        };
        let report = verify_uploads(&verifier, &files);
        let checked_at = verifier.options().time;
        counters.verified.fetch_add(1, Ordering::Relaxed);
        if api {
            let text = serde_json::to_string_pretty(&report).unwrap_or_else(|_| "{}".into());
            return reply(200, "application/json", format!("{text}\n").into_bytes(), "no-store");
        }
        let result = page::Result { report: &report, checked_at };
        let html = page::render(&page::Page { lang, result: Some(result), error: None, anchors: &self.config.anchors });
        reply(200, "text/html; charset=utf-8", html.into_bytes(), "no-store")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_and_languages() {
        assert_eq!(split_target("/?lang=en"), ("/", Some(Lang::En)));
        assert_eq!(split_target("/verify?x=1&lang=vi"), ("/verify", Some(Lang::Vi)));
        assert_eq!(split_target("/api/verify"), ("/api/verify", None));
        assert_eq!(split_target("/?lang=fr"), ("/", None));
    }

    #[test]
    fn uploads_are_collected_and_limited() {
        let ct = "multipart/form-data; boundary=b";
        let body = b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a.txt\"\r\n\r\nhello\r\n--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"\"\r\n\r\n\r\n--b\r\nContent-Disposition: form-data; name=\"lang\"\r\n\r\nen\r\n--b--\r\n";
        let o = WebOptions::default();
        let (files, lang) = read_upload(ct, body, &o).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(files[0].name, "a.txt");
        assert_eq!(files[0].data, b"hello");
        assert_eq!(lang, Some(Lang::En));
        let dup = b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\n2\r\n--b--";
        assert_eq!(read_upload(ct, dup, &o).err(), Some(UploadError::DuplicateName { name: "a".into() }));
        let none = b"--b\r\nContent-Disposition: form-data; name=\"lang\"\r\n\r\nvi\r\n--b--";
        assert_eq!(read_upload(ct, none, &o).err(), Some(UploadError::NoFile));
        let mut few = o;
        few.max_files = 1;
        let two = b"--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"a\"\r\n\r\n1\r\n--b\r\nContent-Disposition: form-data; name=\"files\"; filename=\"b\"\r\n\r\n2\r\n--b--";
        assert_eq!(read_upload(ct, two, &few).err(), Some(UploadError::TooManyFiles { limit: 1 }));
    }
}
