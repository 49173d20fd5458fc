//! Fetching revocation data over HTTP for `verify`, `cert verify` and `sign --embed-revocation`:
//! the CLI's [`RevocationSource`] (the library does no I/O).
//!
//! - http:// only: CRLs and OCSP responses are signed, so transport security adds nothing to
//!   their trust, and a TLS stack is not worth its weight here; an https:// URL is named in the
//!   report as not fetched.
//! - One overall timeout per fetch (connect, send, receive); answers larger than the budget are
//!   cut off; redirects are not followed (a 3xx is reported with its code).
//! - A cache folder (`--cache DIR`, default `$XDG_CACHE_HOME/kyso` or `~/.cache/kyso`): a CRL or
//!   OCSP answer is reused while its nextUpdate is in the future, fetched again after that.
//!   Cached files are named by the SHA-256 of the URL (and, for OCSP, of the CertIDs asked).

use kyso::findings::FetchFailure;
use kyso::revocation::source::{Fetched, RevocationSource};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Largest CRL fetched: national CRLs reach tens of MB; 64 MiB is the `--crl` file limit.
pub const MAX_CRL_BYTES: usize = 64 * 1024 * 1024;
/// Largest OCSP answer fetched (the library's own limit).
pub const MAX_OCSP_BYTES: usize = kyso::ocsp::MAX_RESPONSE_BYTES;
/// Room for the status line and headers on top of the body.
const HEADER_ROOM: usize = 16 * 1024;

/// Fetches over HTTP with a cache.
#[derive(Debug, Clone)]
pub struct HttpFetcher {
    timeout: Duration,
    cache: Option<PathBuf>,
    /// The current time (read by the CLI once), for cache freshness.
    now: i64,
}

/// The default cache folder: `$XDG_CACHE_HOME/kyso`, else `$HOME/.cache/kyso`.
pub fn default_cache_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(x).join("kyso"));
    }
    std::env::var_os("HOME").filter(|v| !v.is_empty()).map(|h| PathBuf::from(h).join(".cache").join("kyso"))
}

struct Url {
    host: String,
    port: u16,
    path: String,
}

fn parse_url(url: &str) -> Result<Url, FetchFailure> {
    let rest = url.strip_prefix("http://").ok_or(FetchFailure::NotHttp)?;
    let (authority, path) = match rest.find('/') {
        Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("/")),
        None => (rest, "/"),
    };
    let bad = |m: &str| FetchFailure::Protocol { message: format!("{url}: {m}") };
    if authority.contains('@') {
        return Err(bad("user information in the URL"));
    }
    let (host, port) = if let Some(r) = authority.strip_prefix('[') {
        let end = r.find(']').ok_or_else(|| bad("bad IPv6 address"))?;
        let port = match r.get(end + 1..).unwrap_or("") {
            "" => 80,
            p => p.strip_prefix(':').and_then(|p| p.parse().ok()).ok_or_else(|| bad("bad port"))?,
        };
        (r.get(..end).unwrap_or("").to_string(), port)
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), p.parse().map_err(|_| bad("bad port"))?),
            None => (authority.to_string(), 80),
        }
    };
    if host.is_empty() || path.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("no host, or spaces in the path"));
    }
    Ok(Url { host, port, path: path.to_string() })
}

impl HttpFetcher {
    /// A fetcher with `timeout` per fetch, caching in `cache` (created when needed), judging
    /// cached items' freshness at `now` (Unix seconds).
    pub fn new(timeout: Duration, cache: Option<PathBuf>, now: i64) -> HttpFetcher {
        HttpFetcher { timeout, cache, now }
    }

    fn cache_path(&self, kind: &str, key: &[u8]) -> Option<PathBuf> {
        let dir = self.cache.as_ref()?;
        let h = ring::digest::digest(&ring::digest::SHA256, key);
        Some(dir.join(format!("{kind}-{}.der", hex::encode(h.as_ref().get(..16).unwrap_or(&[])))))
    }

    fn store(&self, path: &Option<PathBuf>, bytes: &[u8]) {
        if let Some(p) = path {
            if let Some(d) = p.parent() {
                let _ = std::fs::create_dir_all(d);
            }
            let _ = kyso::files::write_atomic(p, bytes, kyso::files::Overwrite::Replace, kyso::files::Secrecy::Public);
        }
    }

    /// One HTTP exchange: GET (no body) or POST `body` as `content_type`; the 200 body.
    pub fn exchange(&self, url: &str, body: Option<(&str, &[u8])>, accept: &str, limit: usize) -> Result<Vec<u8>, FetchFailure> {
        let u = parse_url(url)?;
        let deadline = Instant::now() + self.timeout;
        let timeout = || FetchFailure::Timeout { seconds: self.timeout.as_secs().max(1) };
        let addrs = (u.host.as_str(), u.port).to_socket_addrs().map_err(|e| FetchFailure::Connect { message: format!("cannot resolve {}: {e}", u.host) })?;
        let mut stream = None;
        let mut last = String::from("no address");
        for a in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(timeout());
            }
            match TcpStream::connect_timeout(&a, left) {
                Ok(s) => {
                    stream = Some(s);
                    break;
                }
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => return Err(timeout()),
                Err(e) => last = e.to_string(),
            }
        }
        let mut s = stream.ok_or(FetchFailure::Connect { message: last })?;
        let io = |e: std::io::Error| {
            if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
                timeout()
            } else {
                FetchFailure::Connect { message: e.to_string() }
            }
        };
        let left = || deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        s.set_write_timeout(Some(left())).map_err(io)?;
        let host = if u.host.contains(':') { format!("[{}]", u.host) } else { u.host.clone() };
        let (method, extra) = match body {
            Some((ct, b)) => ("POST", format!("Content-Type: {ct}\r\nContent-Length: {}\r\n", b.len())),
            None => ("GET", String::new()),
        };
        let head = format!(
            "{method} {} HTTP/1.1\r\nHost: {host}:{}\r\nAccept: {accept}\r\n{extra}Connection: close\r\nUser-Agent: kyso/{}\r\n\r\n",
            u.path,
            u.port,
            env!("CARGO_PKG_VERSION")
        );
        s.write_all(head.as_bytes()).map_err(io)?;
        if let Some((_, b)) = body {
            s.write_all(b).map_err(io)?;
        }
        s.flush().map_err(io)?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            if Instant::now() >= deadline {
                return Err(timeout());
            }
            s.set_read_timeout(Some(left())).map_err(io)?;
            let n = s.read(&mut chunk).map_err(io)?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
            if buf.len() > limit + HEADER_ROOM {
                return Err(FetchFailure::TooLarge { limit });
            }
            if let Some(b) = complete(&buf, false, limit)? {
                return Ok(b);
            }
        }
        complete(&buf, true, limit)?.ok_or(FetchFailure::Protocol { message: "the server closed the connection before a complete answer".into() })
    }
}

/// The body of a complete HTTP answer in `buf` (None: more bytes needed).
fn complete(buf: &[u8], eof: bool, limit: usize) -> Result<Option<Vec<u8>>, FetchFailure> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return if eof { Err(FetchFailure::Protocol { message: "not an HTTP answer".into() }) } else { Ok(None) };
    };
    let head = String::from_utf8_lossy(buf.get(..end).unwrap_or(&[]));
    let body = buf.get(end + 4..).unwrap_or(&[]);
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or("");
    let mut parts = status.splitn(3, ' ');
    let (proto, code) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !proto.starts_with("HTTP/1.") {
        return Err(FetchFailure::Protocol { message: "not an HTTP answer".into() });
    }
    let code: u16 = code.parse().map_err(|_| FetchFailure::Protocol { message: "bad HTTP status line".into() })?;
    if code != 200 {
        // Redirects are not followed: a CRL or responder URL that moved is reported as such.
        return Err(FetchFailure::HttpStatus { code });
    }
    let mut length = None;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let k = k.trim().to_ascii_lowercase();
            if k == "content-length" {
                length = Some(v.trim().parse::<usize>().map_err(|_| FetchFailure::Protocol { message: "bad Content-Length".into() })?);
            } else if k == "transfer-encoding" && !v.trim().eq_ignore_ascii_case("identity") {
                return Err(FetchFailure::Protocol { message: "chunked answers are not read".into() });
            }
        }
    }
    match length {
        Some(n) if n > limit => Err(FetchFailure::TooLarge { limit }),
        Some(n) if body.len() >= n => Ok(Some(body.get(..n).unwrap_or(&[]).to_vec())),
        Some(n) if eof => Err(FetchFailure::Protocol { message: format!("the answer ended after {} of {n} bytes", body.len()) }),
        None if eof => Ok(Some(body.to_vec())),
        _ => Ok(None),
    }
}

/// nextUpdate of a cached CRL (DER or PEM).
fn crl_next_update(bytes: &[u8]) -> Option<i64> {
    let der = kyso::objects::crls(bytes).ok()?.into_iter().next()?;
    kyso::revocation::Crl::from_der(&der).ok()?.next_update()
}

/// The earliest nextUpdate of a successful OCSP answer.
fn ocsp_next_update(bytes: &[u8]) -> Option<i64> {
    match kyso::ocsp::Response::from_der(bytes).ok()? {
        kyso::ocsp::Response::Basic(b) => b.responses.iter().map(|s| s.next_update).collect::<Option<Vec<i64>>>()?.into_iter().min(),
        _ => None,
    }
}

impl RevocationSource for HttpFetcher {
    fn crl(&self, url: &str) -> Result<Fetched, FetchFailure> {
        parse_url(url)?;
        let path = self.cache_path("crl", url.as_bytes());
        if let Some(p) = &path {
            if let Ok(b) = kyso::files::read_limited(p, MAX_CRL_BYTES as u64) {
                // Reused while current; a stale copy is fetched again.
                if crl_next_update(&b).is_some_and(|n| n > self.now) {
                    return Ok(Fetched::new(b, true));
                }
            }
        }
        let body = self.exchange(url, None, "application/pkix-crl", MAX_CRL_BYTES)?;
        if crl_next_update(&body).is_some() {
            self.store(&path, &body);
        }
        Ok(Fetched::new(body, false))
    }

    fn ocsp(&self, url: &str, request: &[u8]) -> Result<Fetched, FetchFailure> {
        parse_url(url)?;
        let mut key = url.as_bytes().to_vec();
        if let Ok(r) = kyso::ocsp::Request::from_der(request) {
            for id in &r.cert_ids {
                key.extend_from_slice(&id.to_der());
            }
        }
        let path = self.cache_path("ocsp", &key);
        if let Some(p) = &path {
            if let Ok(b) = kyso::files::read_limited(p, MAX_OCSP_BYTES as u64) {
                if ocsp_next_update(&b).is_some_and(|n| n > self.now) {
                    return Ok(Fetched::new(b, true));
                }
            }
        }
        let body = self.exchange(url, Some(("application/ocsp-request", request)), "application/ocsp-response", MAX_OCSP_BYTES)?;
        if ocsp_next_update(&body).is_some() {
            self.store(&path, &body);
        }
        Ok(Fetched::new(body, false))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;

    /// A one-file HTTP server on loopback counting the requests it answers.
    fn serve_file(body: Vec<u8>, requests: usize) -> (String, Arc<AtomicUsize>, std::thread::JoinHandle<()>) {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}/ca/crl", l.local_addr().unwrap());
        let count = Arc::new(AtomicUsize::new(0));
        let c = Arc::clone(&count);
        let t = std::thread::spawn(move || {
            for _ in 0..requests {
                let (mut s, _) = l.accept().unwrap();
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf);
                c.fetch_add(1, Ordering::SeqCst);
                let _ = s.write_all(format!("HTTP/1.1 200 OK\r\nContent-Type: application/pkix-crl\r\nContent-Length: {}\r\n\r\n", body.len()).as_bytes());
                let _ = s.write_all(&body);
            }
        });
        (url, count, t)
    }

    #[test]
    fn a_cached_crl_is_reused_until_its_next_update_then_fetched_again() {
        let pem = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/certs-example/ca/crl.pem")).unwrap();
        let next = crl_next_update(&pem).unwrap();
        let cache = tempfile::tempdir().unwrap();
        let (url, count, server) = serve_file(pem.clone(), 2);
        let at = |now: i64| HttpFetcher::new(Duration::from_secs(5), Some(cache.path().to_path_buf()), now);
        let first = at(next - 3600).crl(&url).unwrap();
        assert_eq!((first.cached, first.bytes.as_slice(), count.load(Ordering::SeqCst)), (false, pem.as_slice(), 1));
        let second = at(next - 60).crl(&url).unwrap();
        assert_eq!((second.cached, count.load(Ordering::SeqCst)), (true, 1), "a current cached CRL is reused");
        let third = at(next + 1).crl(&url).unwrap();
        assert_eq!((third.cached, count.load(Ordering::SeqCst)), (false, 2), "a stale cached CRL is fetched again");
        server.join().unwrap();
        // Without a cache folder nothing is kept.
        let (url, count, server) = serve_file(pem, 2);
        for _ in 0..2 {
            assert!(!HttpFetcher::new(Duration::from_secs(5), None, next - 60).crl(&url).unwrap().cached);
        }
        assert_eq!(count.load(Ordering::SeqCst), 2);
        server.join().unwrap();
    }

    #[test]
    fn urls_and_answers() {
        assert!(matches!(parse_url("https://x/"), Err(FetchFailure::NotHttp)));
        assert!(matches!(parse_url("ldap://x/"), Err(FetchFailure::NotHttp)));
        let u = parse_url("http://127.0.0.1:8080/ca/crl").unwrap();
        assert_eq!((u.host.as_str(), u.port, u.path.as_str()), ("127.0.0.1", 8080, "/ca/crl"));
        assert!(matches!(parse_url("http://user@h/"), Err(FetchFailure::Protocol { .. })));
        assert_eq!(complete(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nab", false, 10).unwrap(), Some(b"ab".to_vec()));
        assert_eq!(complete(b"HTTP/1.1 301 Moved\r\nLocation: https://x/\r\n\r\n", false, 10), Err(FetchFailure::HttpStatus { code: 301 }));
        assert_eq!(complete(b"HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n", false, 10), Err(FetchFailure::TooLarge { limit: 10 }));
        assert!(matches!(complete(b"SSH-2.0-x\r\n\r\n", true, 10), Err(FetchFailure::Protocol { .. })));
    }
}

/// Revocation evidence to embed for the certificates of a signature (`sign` / `timestamp
/// --embed-revocation`): for each certificate whose issuer is among `certs` (a self-signed root
/// needs none), an OCSP answer from its authorityInfoAccess responder; when that gives nothing
/// and no CRL was given, the CRLs of its distribution points. What could not be had is said on
/// stderr (the signature is still written). Returns (CRLs, OCSP responses), DER.
pub fn revocation_evidence(certs: &[Vec<u8>], crls_given: bool, source: &HttpFetcher) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    use x509_parser::prelude::*;
    let mut crls: Vec<Vec<u8>> = Vec::new();
    let mut ocsps: Vec<Vec<u8>> = Vec::new();
    // A signature carries its chain up to, not including, the root: the last CA's issuer is
    // fetched from its caIssuers URL (authorityInfoAccess), as a recipient's software would.
    let mut all: Vec<Vec<u8>> = certs.to_vec();
    for _ in 0..4 {
        let have = |name: &[u8], all: &[Vec<u8>]| all.iter().any(|d| X509Certificate::from_der(d).is_ok_and(|(_, x)| x.subject().as_raw() == name));
        let mut fetched = None;
        for d in &all {
            let Ok((_, c)) = X509Certificate::from_der(d) else { continue };
            if c.subject().as_raw() == c.issuer().as_raw() || have(c.issuer().as_raw(), &all) {
                continue;
            }
            for url in ca_issuers_urls(&c).iter().take(2) {
                if let Ok(b) = source.exchange(url, None, "application/pkix-cert", 1 << 20) {
                    if let Some(der) = kyso::objects::certificates(&b).ok().and_then(|v| v.into_iter().next()) {
                        fetched = Some(der);
                        break;
                    }
                }
            }
            if fetched.is_some() {
                break;
            }
        }
        match fetched {
            Some(f) if !all.contains(&f) => all.push(f),
            _ => break,
        }
    }
    let parsed: Vec<(&Vec<u8>, X509Certificate<'_>)> = all.iter().filter_map(|d| X509Certificate::from_der(d).ok().map(|(_, c)| (d, c))).collect();
    for (der, c) in parsed.iter().filter(|(d, _)| certs.contains(d)) {
        if c.subject().as_raw() == c.issuer().as_raw() {
            continue;
        }
        let Some((issuer_der, _)) = parsed.iter().find(|(_, i)| i.subject().as_raw() == c.issuer().as_raw()) else { continue };
        let who = c.subject().to_string();
        let (ocsp_urls, crl_urls) = kyso::ocsp::certificate_urls(der);
        let mut got = false;
        if let Ok(issuer) = kyso::ocsp::IssuerKey::from_cert(issuer_der) {
            let id = kyso::ocsp::CertId::new(kyso::ocsp::CertIdHash::Sha1, &issuer, c.raw_serial());
            let request = kyso::ocsp::request_der(&[id], None);
            for url in ocsp_urls.iter().take(2) {
                match source.ocsp(url, &request) {
                    Ok(f) => match kyso::ocsp::Response::from_der(&f.bytes) {
                        Ok(kyso::ocsp::Response::Basic(_)) => {
                            if !ocsps.contains(&f.bytes) {
                                ocsps.push(f.bytes);
                            }
                            got = true;
                            break;
                        }
                        Ok(kyso::ocsp::Response::Error(s)) => eprintln!("warning: {url} answered {} for {who}", s.name()),
                        Ok(_) | Err(_) => eprintln!("warning: {url} did not answer with an OCSP response for {who}"),
                    },
                    Err(e) => eprintln!("warning: no OCSP answer for {who} from {url}: {e:?}"),
                }
            }
        }
        if got || crls_given {
            continue;
        }
        for url in crl_urls.iter().take(2) {
            match source.crl(url) {
                Ok(f) => {
                    for d in kyso::objects::crls(&f.bytes).unwrap_or_default() {
                        if !crls.contains(&d) {
                            crls.push(d);
                        }
                    }
                    got = true;
                    break;
                }
                Err(e) => eprintln!("warning: no CRL for {who} from {url}: {e:?}"),
            }
        }
        if !got {
            eprintln!("warning: no revocation evidence embedded for {who} (its CA publishes no OCSP responder or CRL kyso could fetch)");
        }
    }
    (crls, ocsps)
}

/// The caIssuers URLs (http) of a certificate's authorityInfoAccess.
fn ca_issuers_urls(c: &x509_parser::certificate::X509Certificate<'_>) -> Vec<String> {
    c.extensions()
        .iter()
        .filter(|e| e.oid.to_id_string() == "1.3.6.1.5.5.7.1.1")
        .flat_map(|e| kyso::ocsp::aia_urls(e.value, kyso::ocsp::OID_AD_CA_ISSUERS))
        .filter(|u| u.starts_with("http://"))
        .collect()
}
