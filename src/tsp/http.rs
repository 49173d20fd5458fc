//! A small RFC 3161 HTTP client over std's `TcpStream` (feature `tsa`) (RFC 3161 §3.4: POST
//! `application/timestamp-query`, answer `application/timestamp-reply`).
//!
//! Plain `http://` only: the token is signed, so transport security is not what makes it
//! trustworthy, and a TLS stack is not worth its weight here.

use super::{TsaClient, TspError, MAX_RESPONSE_BYTES};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// An HTTP TSA client with one overall timeout per exchange.
#[derive(Debug, Clone)]
pub struct HttpClient {
    host: String,
    port: u16,
    path: String,
    timeout: Duration,
}

impl HttpClient {
    /// A client for `url` (`http://host[:port][/path]`) whose exchanges fail after `timeout`.
    pub fn new(url: &str, timeout: Duration) -> Result<HttpClient, TspError> {
        let rest = if let Some(r) = url.strip_prefix("http://") {
            r
        } else if url.starts_with("https://") {
            return Err(TspError::Transport(format!("{url}: https is not supported; use the TSA's http:// address (the token itself is signed)")));
        } else {
            return Err(TspError::Transport(format!("{url}: not an http:// URL")));
        };
        let (authority, path) = match rest.find('/') {
            Some(i) => (rest.get(..i).unwrap_or(""), rest.get(i..).unwrap_or("/")),
            None => (rest, "/"),
        };
        let (host, port) = if let Some(r) = authority.strip_prefix('[') {
            // [IPv6]:port
            let end = r.find(']').ok_or_else(|| TspError::Transport(format!("{url}: bad IPv6 address")))?;
            let host = r.get(..end).unwrap_or("");
            let port = match r.get(end + 1..).unwrap_or("") {
                "" => 80,
                p => p.strip_prefix(':').and_then(|p| p.parse().ok()).ok_or_else(|| TspError::Transport(format!("{url}: bad port")))?,
            };
            (host.to_string(), port)
        } else {
            match authority.rsplit_once(':') {
                Some((h, p)) => (h.to_string(), p.parse().map_err(|_| TspError::Transport(format!("{url}: bad port")))?),
                None => (authority.to_string(), 80),
            }
        };
        if host.is_empty() {
            return Err(TspError::Transport(format!("{url}: no host")));
        }
        Ok(HttpClient { host, port, path: path.to_string(), timeout })
    }

    fn connect(&self, deadline: Instant) -> Result<TcpStream, TspError> {
        let addrs = (self.host.as_str(), self.port)
            .to_socket_addrs()
            .map_err(|e| TspError::Transport(format!("cannot resolve {}: {e}", self.host)))?;
        let mut last = None;
        for a in addrs {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            match TcpStream::connect_timeout(&a, left) {
                Ok(s) => return Ok(s),
                Err(e) => last = Some(e),
            }
        }
        Err(TspError::Transport(match last {
            Some(e) => format!("cannot connect to {}:{}: {e}", self.host, self.port),
            None => format!("cannot connect to {}:{}: timed out", self.host, self.port),
        }))
    }
}

impl TsaClient for HttpClient {
    fn exchange(&self, request_der: &[u8]) -> Result<Vec<u8>, TspError> {
        let deadline = Instant::now() + self.timeout;
        let mut s = self.connect(deadline)?;
        let io = |e: std::io::Error| {
            if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut) {
                TspError::Transport(format!("no answer within {} s", self.timeout.as_secs_f32()))
            } else {
                TspError::Transport(e.to_string())
            }
        };
        let left = || deadline.saturating_duration_since(Instant::now()).max(Duration::from_millis(1));
        s.set_write_timeout(Some(left())).map_err(io)?;
        let host = if self.host.contains(':') { format!("[{}]", self.host) } else { self.host.clone() };
        let head = format!(
            "POST {} HTTP/1.1\r\nHost: {host}:{}\r\nContent-Type: application/timestamp-query\r\nAccept: application/timestamp-reply\r\nContent-Length: {}\r\nConnection: close\r\nUser-Agent: kyso/{}\r\n\r\n",
            self.path,
            self.port,
            request_der.len(),
            env!("CARGO_PKG_VERSION")
        );
        s.write_all(head.as_bytes()).map_err(io)?;
        s.write_all(request_der).map_err(io)?;
        s.flush().map_err(io)?;
        let mut buf = Vec::new();
        let mut chunk = [0u8; 16 * 1024];
        loop {
            s.set_read_timeout(Some(left())).map_err(io)?;
            let n = s.read(&mut chunk).map_err(io)?;
            if n == 0 {
                break;
            }
            buf.extend_from_slice(chunk.get(..n).unwrap_or(&[]));
            if buf.len() > MAX_RESPONSE_BYTES {
                return Err(TspError::TooLarge { what: "TSA answer", size: buf.len(), limit: MAX_RESPONSE_BYTES });
            }
            if let Some(body) = complete_body(&buf, false)? {
                return Ok(body);
            }
            if Instant::now() >= deadline {
                return Err(TspError::Transport(format!("no complete answer within {} s", self.timeout.as_secs_f32())));
            }
        }
        complete_body(&buf, true)?.ok_or_else(|| TspError::Transport("the TSA closed the connection before a complete answer".into()))
    }
}

/// The body of a complete HTTP response in `buf`, `None` if more bytes are needed; an error for
/// a non-200 status or a malformed response. `eof`: the server closed the connection (which
/// ends a body sent without a length).
fn complete_body(buf: &[u8], eof: bool) -> Result<Option<Vec<u8>>, TspError> {
    let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") else { return Ok(None) };
    let head = String::from_utf8_lossy(buf.get(..end).unwrap_or(&[]));
    let body = buf.get(end + 4..).unwrap_or(&[]);
    let mut lines = head.split("\r\n");
    let status_line = lines.next().unwrap_or("");
    let mut parts = status_line.splitn(3, ' ');
    let (proto, code, reason) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    if !proto.starts_with("HTTP/1.") {
        return Err(TspError::Transport(format!("not an HTTP answer: {status_line:.60}")));
    }
    if code != "200" {
        return Err(TspError::Transport(format!("the TSA answered HTTP {code} {reason}")));
    }
    let mut length = None;
    let mut chunked = false;
    for l in lines {
        if let Some((k, v)) = l.split_once(':') {
            let (k, v) = (k.trim().to_ascii_lowercase(), v.trim());
            if k == "content-length" {
                length = Some(v.parse::<usize>().map_err(|_| TspError::Transport("bad Content-Length".into()))?);
            } else if k == "transfer-encoding" && v.eq_ignore_ascii_case("chunked") {
                chunked = true;
            }
        }
    }
    if chunked {
        return dechunk(body);
    }
    match length {
        Some(n) if n > MAX_RESPONSE_BYTES => Err(TspError::TooLarge { what: "TSA answer", size: n, limit: MAX_RESPONSE_BYTES }),
        Some(n) if body.len() >= n => Ok(Some(body.get(..n).unwrap_or(&[]).to_vec())),
        Some(n) if eof => Err(TspError::Transport(format!("the answer ended after {} of {n} bytes", body.len()))),
        None if eof => Ok(Some(body.to_vec())), // without a length the body ends when the server closes
        _ => Ok(None),
    }
}

/// Decodes a chunked body; `None` if incomplete.
fn dechunk(mut body: &[u8]) -> Result<Option<Vec<u8>>, TspError> {
    let mut out = Vec::new();
    loop {
        let Some(eol) = body.windows(2).position(|w| w == b"\r\n") else { return Ok(None) };
        let size_text = String::from_utf8_lossy(body.get(..eol).unwrap_or(&[]));
        let size_text = size_text.split(';').next().unwrap_or("").trim();
        let size = usize::from_str_radix(size_text, 16).map_err(|_| TspError::Transport("bad chunk size".into()))?;
        if size > MAX_RESPONSE_BYTES {
            return Err(TspError::TooLarge { what: "TSA answer", size, limit: MAX_RESPONSE_BYTES });
        }
        let start = eol + 2;
        if size == 0 {
            return Ok(Some(out));
        }
        let Some(data) = body.get(start..start + size) else { return Ok(None) };
        out.extend_from_slice(data);
        if out.len() > MAX_RESPONSE_BYTES {
            return Err(TspError::TooLarge { what: "TSA answer", size: out.len(), limit: MAX_RESPONSE_BYTES });
        }
        let Some(rest) = body.get(start + size + 2..) else { return Ok(None) };
        body = rest;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let c = HttpClient::new("http://127.0.0.1:3180/tsa", Duration::from_secs(1)).unwrap();
        assert_eq!((c.host.as_str(), c.port, c.path.as_str()), ("127.0.0.1", 3180, "/tsa"));
        let c = HttpClient::new("http://localhost", Duration::from_secs(1)).unwrap();
        assert_eq!((c.host.as_str(), c.port, c.path.as_str()), ("localhost", 80, "/"));
        let c = HttpClient::new("http://[::1]:8080/", Duration::from_secs(1)).unwrap();
        assert_eq!((c.host.as_str(), c.port), ("::1", 8080));
        assert!(matches!(HttpClient::new("https://tsa.example/", Duration::from_secs(1)), Err(TspError::Transport(m)) if m.contains("https is not supported")));
        assert!(matches!(HttpClient::new("http://h:x/", Duration::from_secs(1)), Err(TspError::Transport(m)) if m.contains("bad port")));
    }

    #[test]
    fn reads_bodies_by_length_and_chunks_and_reports_status() {
        assert_eq!(complete_body(b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nabc", false).unwrap(), Some(b"abc".to_vec()));
        assert_eq!(complete_body(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabc", false).unwrap(), None);
        assert!(matches!(complete_body(b"HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nabc", true), Err(TspError::Transport(m)) if m == "the answer ended after 3 of 4 bytes"));
        assert_eq!(complete_body(b"HTTP/1.0 200 OK\r\n\r\nabc", false).unwrap(), None);
        assert_eq!(complete_body(b"HTTP/1.0 200 OK\r\n\r\nabc", true).unwrap(), Some(b"abc".to_vec()));
        assert_eq!(
            complete_body(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n1\r\nc\r\n0\r\n\r\n", false).unwrap(),
            Some(b"abc".to_vec())
        );
        assert!(matches!(complete_body(b"HTTP/1.1 413 Payload Too Large\r\n\r\n", false), Err(TspError::Transport(m)) if m.contains("413")));
        assert!(matches!(complete_body(b"SSH-2.0\r\n\r\n", false), Err(TspError::Transport(m)) if m.contains("not an HTTP answer")));
    }
}
