//! The shared HTTP layer on loopback: keep-alive and HEAD, the refusals with their codes, the
//! per-address and total caps (503 at once), the deadlines (408), and a stop that returns while
//! idle connections are open.

use super::*;
use std::sync::atomic::AtomicUsize;

/// Echoes method, path and body length; counts what the layer refused, by code.
#[derive(Default)]
struct Echo {
    refused: Mutex<Vec<u16>>,
    handled: AtomicUsize,
}

impl Handler for Echo {
    fn handle(&self, r: &Request) -> Response {
        self.handled.fetch_add(1, Ordering::SeqCst);
        let text = format!("{} {} {} {}", r.method, r.path(), r.body.len(), r.header("X-Kyso").unwrap_or("-"));
        Response::text(200, &text)
    }
    fn refused(&self, _peer: SocketAddr, status: u16, _why: &str) {
        self.refused.lock().unwrap().push(status);
    }
}

/// Runs `f` against a server with `limits` serving `h`, then stops it and returns its stats.
fn with_server(limits: Limits, h: &Echo, f: impl FnOnce(SocketAddr)) -> Stats {
    let server = HttpServer::bind("127.0.0.1:0", limits).unwrap();
    let addr = server.local_addr().unwrap();
    let stop = AtomicBool::new(false);
    std::thread::scope(|s| {
        let t = s.spawn(|| server.run(h, &stop));
        struct StopOnDrop<'a>(&'a AtomicBool);
        impl Drop for StopOnDrop<'_> {
            fn drop(&mut self) {
                self.0.store(true, Ordering::SeqCst);
            }
        }
        let guard = StopOnDrop(&stop);
        f(addr);
        drop(guard);
        t.join().unwrap()
    })
}

fn exchange(addr: SocketAddr, bytes: &[u8]) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let _ = s.write_all(bytes);
    let mut v = Vec::new();
    let _ = s.read_to_end(&mut v);
    String::from_utf8_lossy(&v).into_owned()
}

/// Reads one answer with a Content-Length from a kept-alive connection.
fn read_answer(s: &mut TcpStream) -> String {
    let mut v = Vec::new();
    let mut b = [0u8; 1];
    while !v.ends_with(b"\r\n\r\n") {
        assert_eq!(s.read(&mut b).unwrap(), 1, "closed after {:?}", String::from_utf8_lossy(&v));
        v.push(b[0]);
    }
    let head = String::from_utf8_lossy(&v).into_owned();
    let len: usize = head.lines().find_map(|l| l.strip_prefix("Content-Length: ")).map(|n| n.trim().parse().unwrap()).unwrap_or(0);
    let mut body = vec![0u8; len];
    if !head.starts_with("HTTP/1.1 304") && !head.contains("HEAD") {
        s.read_exact(&mut body).unwrap();
    }
    head + &String::from_utf8_lossy(&body)
}

#[test]
fn keep_alive_pipelining_head_and_close() {
    let h = Echo::default();
    let stats = with_server(Limits::default(), &h, |addr| {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        // two requests in one write (pipelining), then a third on the same connection
        s.write_all(b"POST /a?q=1 HTTP/1.1\r\nX-Kyso: v\r\nContent-Length: 3\r\n\r\nabcGET /b HTTP/1.1\r\n\r\n").unwrap();
        let a = read_answer(&mut s);
        assert!(a.starts_with("HTTP/1.1 200 OK\r\n") && a.contains("Connection: keep-alive") && a.ends_with("POST /a 3 v\n"), "{a}");
        let b = read_answer(&mut s);
        assert!(b.ends_with("GET /b 0 -\n"), "{b}");
        s.write_all(b"HEAD /c HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        let c = String::from_utf8_lossy(&rest);
        // HEAD: the length of the body a GET would get, no body; then the server closes
        assert!(c.starts_with("HTTP/1.1 200 OK\r\n") && c.contains("Content-Length: 12\r\n") && c.contains("Connection: close") && c.ends_with("\r\n\r\n"), "{c}");
        // HTTP/1.0 without keep-alive: one request
        let d = exchange(addr, b"GET /d HTTP/1.0\r\n\r\n");
        assert!(d.contains("Connection: close") && d.ends_with("GET /d 0 -\n"), "{d}");
    });
    assert_eq!(h.handled.load(Ordering::SeqCst), 4);
    assert_eq!((stats.connections, stats.requests, stats.refused), (2, 4, 0));
}

#[test]
fn malformed_requests_get_their_status_before_the_body_is_read() {
    let limits = Limits { max_body_bytes: 100, ..Limits::default() };
    let h = Echo::default();
    with_server(limits, &h, |addr| {
        let cases: [(&[u8], &str); 8] = [
            (b"POST / HTTP/1.1\r\nContent-Length: 101\r\n\r\n", "413"),
            (b"POST / HTTP/1.1\r\n\r\n", "411"),
            (b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", "411"),
            (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab", "400"),
            (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n", "400"),
            (b"GET / HTTP/2\r\n\r\n", "400"),
            (b"GET / HTTP/1.1\r\nno colon\r\n\r\n", "400"),
            (b"POST / HTTP/1.1\r\nContent-Length : 1\r\n\r\na", "400"),
        ];
        for (req, code) in cases {
            let a = exchange(addr, req);
            assert!(a.starts_with(&format!("HTTP/1.1 {code} ")) && a.contains("Connection: close"), "{:?}: {a}", String::from_utf8_lossy(req));
        }
        let flood = format!("GET / HTTP/1.1\r\n{}\r\n", "X-A: b\r\n".repeat(100));
        assert!(exchange(addr, flood.as_bytes()).starts_with("HTTP/1.1 431 "));
        let long = format!("GET /{} HTTP/1.1\r\n\r\n", "a".repeat(MAX_HEADER_BYTES));
        assert!(exchange(addr, long.as_bytes()).starts_with("HTTP/1.1 431 "));
    });
    assert_eq!(*h.refused.lock().unwrap(), [413, 411, 411, 400, 400, 400, 400, 400, 431, 431]);
    assert_eq!(h.handled.load(Ordering::SeqCst), 0);
}

#[test]
fn late_headers_and_late_bodies_get_408_and_idle_kept_connections_are_closed() {
    let t = Duration::from_millis(600);
    let limits = Limits { header_timeout: t, body_timeout: t, keep_alive: Some(t), ..Limits::default() };
    let h = Echo::default();
    with_server(limits, &h, |addr| {
        for start in [&b""[..], b"GET / HT", b"POST / HTTP/1.1\r\nContent-Length: 5\r\n\r\nab"] {
            let t = Instant::now();
            let a = exchange(addr, start);
            assert!(a.starts_with("HTTP/1.1 408 "), "{a}");
            // met to within READ_SLICE
            assert!(t.elapsed() < Duration::from_millis(600) + READ_SLICE + Duration::from_millis(300), "{:?}", t.elapsed());
        }
        // a kept-alive connection idle past the keep-alive time is closed without an answer
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        s.write_all(b"GET / HTTP/1.1\r\n\r\n").unwrap();
        assert!(read_answer(&mut s).starts_with("HTTP/1.1 200"));
        let mut rest = Vec::new();
        s.read_to_end(&mut rest).unwrap();
        assert!(rest.is_empty());
    });
    assert_eq!(*h.refused.lock().unwrap(), [408, 408, 408]);
}

#[test]
fn caps_per_address_and_in_total_answer_503_at_once() {
    let limits = Limits { max_connections_per_client: 3, max_connections: 5, ..Limits::default() };
    let h = Echo::default();
    with_server(limits, &h, |addr| {
        let held: Vec<TcpStream> = (0..3).map(|_| TcpStream::connect(addr).unwrap()).collect();
        std::thread::sleep(Duration::from_millis(200));
        let t = Instant::now();
        let a = exchange(addr, b"GET / HTTP/1.1\r\n\r\n");
        assert!(a.starts_with("HTTP/1.1 503 ") && a.contains("3 connections open from this address, the limit"), "{a}");
        assert!(t.elapsed() < Duration::from_millis(500), "{:?}", t.elapsed());
        // another address (127.0.0.2 is loopback too) still gets in, up to the total of five
        let other = |_| {
            let fd = rustix::net::socket(rustix::net::AddressFamily::INET, rustix::net::SocketType::STREAM, None).unwrap();
            rustix::net::bind(&fd, &SocketAddr::from(([127, 0, 0, 2], 0))).unwrap();
            rustix::net::connect(&fd, &addr).unwrap();
            TcpStream::from(fd)
        };
        let mut more: Vec<TcpStream> = (0..2).map(other).collect();
        std::thread::sleep(Duration::from_millis(200));
        let mut sixth = other(0);
        sixth.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut v = Vec::new();
        let _ = sixth.read_to_end(&mut v);
        assert!(String::from_utf8_lossy(&v).contains("5 connections open, the limit"), "{}", String::from_utf8_lossy(&v));
        // a slot given back is usable again
        drop(held);
        more[0].write_all(b"GET /x HTTP/1.1\r\nConnection: close\r\n\r\n").unwrap();
        let mut v = Vec::new();
        more[0].set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let _ = more[0].read_to_end(&mut v);
        assert!(String::from_utf8_lossy(&v).ends_with("GET /x 0 -\n"));
        std::thread::sleep(Duration::from_millis(200));
        assert!(exchange(addr, b"GET /y HTTP/1.1\r\nConnection: close\r\n\r\n").ends_with("GET /y 0 -\n"));
    });
    assert_eq!(*h.refused.lock().unwrap(), [503, 503]);
}

#[test]
fn stop_returns_while_idle_connections_are_open() {
    let h = Echo::default();
    let server = HttpServer::bind("127.0.0.1:0", Limits::default()).unwrap();
    let addr = server.local_addr().unwrap();
    let stop = AtomicBool::new(false);
    let idle: Vec<TcpStream> = (0..10).map(|_| TcpStream::connect(addr).unwrap()).collect();
    let t = std::thread::scope(|s| {
        let run = s.spawn(|| server.run(&h, &stop));
        std::thread::sleep(Duration::from_millis(200));
        let t = Instant::now();
        stop.store(true, Ordering::SeqCst);
        let stats = run.join().unwrap();
        assert_eq!(stats.connections, 10);
        t.elapsed()
    });
    assert!(t < READ_SLICE + Duration::from_millis(500), "{t:?}");
    drop(idle);
}

#[test]
fn bodies_beyond_the_in_flight_budget_get_503_before_they_are_read_and_the_budget_is_released() {
    let mut l = Limits::default();
    l.max_body_bytes_in_flight = 100;
    let h = Echo::default();
    with_server(l, &h, |addr| {
        // A body that is still arriving holds 80 bytes of the budget.
        let mut slow = TcpStream::connect(addr).unwrap();
        slow.write_all(b"POST /a HTTP/1.1\r\nContent-Length: 80\r\n\r\nxx").unwrap();
        std::thread::sleep(Duration::from_millis(300));
        // 30 more would exceed 100: refused at once, unread.
        let a = exchange(addr, b"POST /b HTTP/1.1\r\nContent-Length: 30\r\nConnection: close\r\n\r\n");
        assert!(a.starts_with("HTTP/1.1 503"), "{a}");
        // 20 fit.
        let a = exchange(addr, b"POST /c HTTP/1.1\r\nContent-Length: 20\r\nConnection: close\r\n\r\n01234567890123456789");
        assert!(a.starts_with("HTTP/1.1 200") && a.ends_with("POST /c 20 -\n"), "{a}");
        // The slow body completes and is answered; its 80 bytes are given back.
        slow.write_all(&[b'y'; 78]).unwrap();
        slow.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        assert!(read_answer(&mut slow).ends_with("POST /a 80 -\n"));
        drop(slow);
        let a = exchange(addr, b"POST /d HTTP/1.1\r\nContent-Length: 90\r\nConnection: close\r\n\r\n".iter().chain([b'z'; 90].iter()).copied().collect::<Vec<u8>>().as_slice());
        assert!(a.starts_with("HTTP/1.1 200"), "the budget was not released: {a}");
    });
    assert_eq!(*h.refused.lock().unwrap(), vec![503]);
}

#[test]
fn heads_that_a_proxy_in_front_could_read_otherwise_are_refused_with_their_reason() {
    let h = parse_head(b"POST /ocsp HTTP/1.1\r\nHost: ca.example\r\nContent-Type:application/ocsp-request\r\nContent-Length: \t12 \r\ncontent-length: 12\r\nExpect: 100-Continue").unwrap();
    assert_eq!((h.method.as_str(), h.target.as_str(), h.http10, h.content_length, h.expect_continue), ("POST", "/ocsp", false, 12, true));
    assert_eq!(h.headers.len(), 5);
    assert_eq!(h.headers[1], ("content-type".to_string(), "application/ocsp-request".to_string()));
    let h = parse_head(b"GET /ca.crl HTTP/1.0\r\nConnection: keep-alive").unwrap();
    assert_eq!((h.http10, h.content_length, h.expect_continue), (true, 0, false));
    let cases: [(&[u8], u16, &str); 21] = [
        (b"POST / HTTP/1.1\r\nContent-Length : 5", 400, "not a token (white space before the colon?)"),
        (b"POST / HTTP/1.1\r\nContent Length: 5", 400, "not a token"),
        (b"POST / HTTP/1.1\r\nContent-Length: +5", 400, "bad Content-Length"),
        (b"POST / HTTP/1.1\r\nContent-Length: 5, 5", 400, "bad Content-Length"),
        (b"POST / HTTP/1.1\r\nContent-Length: 0x5", 400, "bad Content-Length"),
        (b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999", 400, "bad Content-Length"),
        (b"POST / HTTP/1.1\r\nContent-Length:", 400, "bad Content-Length"),
        (b"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2", 400, "conflicting Content-Length"),
        (b"POST / HTTP/1.1\r\nX-A: a\nContent-Length: 5", 400, "a bare CR or LF"),
        (b"POST / HTTP/1.1\r\nX-A: a\rContent-Length: 5", 400, "a bare CR or LF"),
        (b"GET / HTTP/1.1\r\nX-A: a\r\n b", 400, "obsolete line folding"),
        (b"GET / HTTP/1.1\r\n\tX-A: b", 400, "obsolete line folding"),
        (b"GET / HTTP/1.1\r\nX-A: a\x00b", 400, "a control character"),
        (b"GET /\x7f HTTP/1.1", 400, "a control character"),
        (b"GET / HTTP/1.9", 400, "not an HTTP/1.x request line"),
        (b"GET  / HTTP/1.1", 400, "not an HTTP/1.x request line"),
        (b"GET / HTTP/1.1 ", 400, "not an HTTP/1.x request line"),
        (b"G\xc3\xa9T / HTTP/1.1", 400, "not an HTTP/1.x request line"),
        (b"GET / HTTP/1.1\r\nX: \xff", 400, "not text"),
        (b"POST / HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: identity", 411, "no transfer coding"),
        (b"PUT / HTTP/1.1", 411, "a Content-Length is required"),
    ];
    for (head, code, why) in cases {
        match parse_head(head) {
            Err(Refusal(c, w)) => assert!(c == code && w.contains(why), "{:?}: {c} {w}", String::from_utf8_lossy(head)),
            Ok(h) => panic!("{:?} accepted: {h:?}", String::from_utf8_lossy(head)),
        }
    }
    let many = format!("GET / HTTP/1.1{}", "\r\nX-A: b".repeat(MAX_HEADERS + 1));
    assert_eq!(parse_head(many.as_bytes()).unwrap_err(), Refusal(431, format!("more than {MAX_HEADERS} header lines")));
}
