//! The bodies of the fuzz targets, shared with the regression test that replays every input kept
//! in tests/regressions/<target>/ under `cargo test` (tests/it/robust_regressions.rs includes this
//! file). Any outcome but a panic, a hang or an out-of-memory is fine, except where an invariant
//! is asserted.

#![allow(dead_code)]

use std::sync::OnceLock;

/// The example root of certs-example, copied by fuzz/make-seeds.sh.
pub static ANCHOR: &[u8] = include_bytes!("fixtures/anchor.der");
/// The root of the certs-example that signed fuzz/seeds/pdf_verify (B-LT and document timestamp
/// PDFs made in session 2), so that the seeds reach path, revocation and /DSS checks.
pub static PDF_ANCHOR: &[u8] = include_bytes!("fixtures/pdf-anchor.der");
/// The document the fixture signatures sign.
pub static DOCUMENT: &[u8] = include_bytes!("fixtures/document.txt");
/// 2027-01-01T00:00:00Z: inside the fixture certificates' validity.
pub const AT_UNIX: i64 = 1_798_761_600;

/// Parsing a `.p7s`: PEM/DER input checking, the BER normaliser and reader, the raw SignedData
/// splitter used by `sign --add`, and the describer used by `kyso inspect`. Invariant: the
/// normaliser is idempotent.
pub fn p7s_parse(data: &[u8]) {
    let _ = kyso::cms::signature_der(data);
    if let Ok(n) = kyso::asn1::normalise(data) {
        let _ = kyso::cms::assemble::RawSignedData::parse(&n.der);
        let _ = kyso::cms::describe(&n.der);
        // the normaliser's output is DER: normalising it again changes nothing
        let again = kyso::asn1::normalise(&n.der).expect("normalised output normalises");
        assert!(again.was_der && again.padding == 0 && again.der == n.der);
    }
    let _ = kyso::asn1::read_ber(data);
    let _ = kyso::asn1::without_padding(data);
    let _ = kyso::cms::assemble::RawSignedData::parse(data);
    let _ = kyso::cms::describe(data);
}

fn verifier() -> &'static kyso::verify::Verifier {
    static V: OnceLock<kyso::verify::Verifier> = OnceLock::new();
    V.get_or_init(|| {
        let t = time::OffsetDateTime::from_unix_timestamp(AT_UNIX).expect("fixed time");
        kyso::verify::Verifier::new(&[ANCHOR.to_vec()], &[], &[], kyso::verify::Options::at(t)).expect("fixed anchor")
    })
}

/// The whole verification of the fixed document + `data` as the `.p7s`, against the fixed
/// anchor. Invariant: the report serialises to JSON (what `kyso verify --json` prints).
pub fn verify(data: &[u8]) {
    let report = verifier().verify_detached("document.txt", DOCUMENT, data);
    let run = kyso::report::RunReport::new(vec![report]);
    let json = serde_json::to_string(&run).expect("the report serialises");
    assert!(json.starts_with('{'));
}

/// Reading certificates, CRLs and CSRs (PEM and DER) as every command does, plus `kyso inspect`.
pub fn objects(data: &[u8]) {
    let _ = kyso::objects::pem_blocks(data);
    let _ = kyso::objects::check_single_der(data);
    let _ = kyso::asn1::head(data);
    let _ = kyso::objects::certificates(data);
    let _ = kyso::objects::crls(data);
    let _ = kyso::objects::csr(data);
    let _ = kyso::csr::verify_csr(data);
    let _ = kyso::inspect::inspect(data, None);
}

/// Whether opening an encrypted key costs no more than the seeds' KDF (PBKDF2 up to 2048
/// iterations, scrypt up to N = 1024, r 8, p 1). A mutated iteration count would make one
/// execution take seconds and drown the fuzzer in timeouts; real key files are the user's own,
/// not attacker input.
fn cheap(der: &[u8]) -> bool {
    use pkcs8::pkcs5::{pbes2::Kdf, EncryptionScheme};
    let Ok(info) = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der) else { return true };
    match info.encryption_algorithm {
        EncryptionScheme::Pbes2(p) => match p.kdf {
            Kdf::Pbkdf2(k) => k.iteration_count <= 2048,
            Kdf::Scrypt(s) => s.cost_parameter <= 1024 && s.block_size <= 8 && s.parallelization <= 1,
            _ => true,
        },
        _ => true,
    }
}

/// Reading key files (PEM and DER; PKCS#8 encrypted or not, SEC1, PKCS#1) and opening them with
/// the seeds' passphrase ("fuzz"), then signing with the key.
pub fn keys(data: &[u8]) {
    if let Ok(kf) = kyso::KeyFile::parse(data) {
        let _ = kf.is_encrypted();
        let costly = match &kf {
            kyso::KeyFile::Encrypted(d) => !cheap(d),
            _ => false,
        };
        if !costly {
            if let Ok(k) = kf.open(Some(b"fuzz")) {
                let _ = kyso::Signer::sign(&k, b"data");
            }
        }
    }
}

/// PKCS#12 files (`--key unit.p12`, `kyso key import`): the sniffer, the parser with the seeds'
/// password ("fuzz") and the empty one, under key-derivation caps low enough that a mutated
/// iteration count stays fast (the defaults allow seconds per file: right for a user's own
/// file, too slow for a fuzzer), then choosing a key and signing with it.
pub fn pkcs12(data: &[u8]) {
    let _ = kyso::pkcs12::is_pkcs12(data);
    let limits = kyso::pkcs12::Limits::new(2048, 8192);
    for password in [&b"fuzz"[..], b""] {
        if let Ok(p) = kyso::pkcs12::parse_with_limits(data, password, limits) {
            let _ = p.key_names();
            let _ = p.key(None);
            if let Ok(id) = p.identity(None, None) {
                let _ = kyso::Signer::sign(&id.key, b"data");
            }
        }
    }
}

/// PDF signature extraction (`kyso verify FILE.pdf`): signature fields, /ByteRange checks and
/// the classification of later changes.
pub fn pdf(data: &[u8]) {
    if let Ok(sigs) = kyso::pdf::signatures(data) {
        for s in sigs {
            if let Ok(r) = s.signed_ranges(data) {
                let _ = r.len();
            }
            let _ = kyso::cms::signature_der(&s.contents);
        }
    }
    if let Ok(Some(dss)) = kyso::pdf::document_security_store(data) {
        let _ = dss.is_empty();
    }
}

/// RFC 3161: a TimeStampResp as a client reads it, the token verified against the fixed anchor,
/// and the timestamp tokens of a CAdES-B-T signature.
pub fn tsp(data: &[u8]) {
    let imprint = kyso::tsp::Imprint::of(kyso::DigestAlgorithm::Sha256, b"fuzz");
    let at = time::OffsetDateTime::from_unix_timestamp(AT_UNIX as i64).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let anchors = [ANCHOR.to_vec()];
    if let Ok(token) = kyso::tsp::parse_response(data) {
        let _ = kyso::tsp::verify_token(&token, &imprint, &anchors, at);
    }
    let _ = kyso::tsp::verify_token(data, &imprint, &anchors, at);
    let _ = kyso::tsp::signature_timestamp_tokens(data);
    let _ = kyso::tsp::evidence_certificates(data);
}

/// RFC 6960: an OCSP request as `kyso ca serve` reads it (invariant: each CertID re-encoded
/// reads back the same), and an OCSP response as the verifier reads it.
pub fn ocsp(data: &[u8]) {
    if let Ok(r) = kyso::ocsp::Request::from_der(data) {
        for id in &r.cert_ids {
            let again = kyso::ocsp::request_der(std::slice::from_ref(id), r.nonce.as_deref());
            let back = kyso::ocsp::Request::from_der(&again).expect("a re-encoded request reads back");
            assert!(back.cert_ids.first().is_some_and(|b| b.same(id)) && back.nonce == r.nonce);
        }
    }
    let _ = kyso::ocsp::Response::from_der(data);
    let _ = kyso::revocation::OcspResponse::from_der(data).is_about(ANCHOR, &[1]);
}

/// The whole verification of `data` as a signed PDF (`kyso verify FILE.pdf`): signatures,
/// document timestamps, the /DSS, the difference analysis of every revision (DocMDP/FieldMDP),
/// against the fixed anchor. Invariant: the report serialises to JSON. Work per input is capped
/// by the analysis's own budget, linear in the input's size (8 units per byte + 10⁶:
/// src/pdf/diff/mod.rs `work_budget`), so a slow input is a bug, not bad luck.
pub fn pdf_verify(data: &[u8]) {
    static V: OnceLock<kyso::verify::Verifier> = OnceLock::new();
    let v = V.get_or_init(|| {
        let t = time::OffsetDateTime::from_unix_timestamp(AT_UNIX).expect("fixed time");
        kyso::verify::Verifier::new(&[PDF_ANCHOR.to_vec()], &[], &[], kyso::verify::Options::at(t)).expect("fixed anchor")
    });
    let report = v.verify_pdf("document.pdf", data);
    let run = kyso::report::RunReport::new(vec![report]);
    let json = serde_json::to_string(&run).expect("the report serialises");
    assert!(json.starts_with('{'));
}

/// The body of target `name`.
/// `kyso mail verify` of `data` as a received message, against the fixed anchor: the bounded MIME
/// reader, the S/MIME layers (multipart/signed, pkcs7-mime), the header and From checks and the
/// attached documents' verification. Invariants: the report serialises to JSON and renders in
/// both languages; one attachment description per attachment returned.
pub fn mail(data: &[u8]) {
    let verified = kyso::mail::verify_message(verifier(), "message.eml", data);
    assert_eq!(verified.attachments.len(), verified.report.message.attachments.len());
    let json = serde_json::to_string(&verified.report).expect("the report serialises");
    assert!(json.starts_with('{'));
    for lang in [kyso::Lang::Vi, kyso::Lang::En] {
        let text = kyso::mail::render_mail(&verified.report, &kyso::report::RenderOptions::new(lang));
        assert!(!text.is_empty());
    }
}

pub fn by_name(name: &str) -> Option<fn(&[u8])> {
    Some(match name {
        "p7s_parse" => p7s_parse,
        "verify" => verify,
        "objects" => objects,
        "keys" => keys,
        "pdf" => pdf,
        "pdf_verify" => pdf_verify,
        "tsp" => tsp,
        "ocsp" => ocsp,
        "pkcs12" => pkcs12,
        "mail" => mail,
        "multipart" => multipart,
        "http_head" => http_head,
        _ => return None,
    })
}

/// The upload path of `kyso web` (`POST /api/verify`): the multipart/form-data parser and the
/// pairing and verification of the uploaded files against `ANCHOR` at 2027-01-01. The input is
/// the Content-Type (its first line, when it starts with `multipart/`) and the body. Invariants:
/// parts lie inside the body in order without overlap, within the part budget; file names are a
/// last path component; an accepted upload's report serialises to JSON.
pub fn multipart(data: &[u8]) {
    use kyso::web::multipart::{parse, Limits};
    let (ct, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) if data.starts_with(b"multipart/") && i < 300 => (String::from_utf8_lossy(&data[..i]).into_owned(), &data[i + 1..]),
        _ => ("multipart/form-data; boundary=XyZ".to_string(), data),
    };
    let limits = Limits::default();
    if let Ok(parts) = parse(&ct, body, &limits) {
        assert!(parts.len() <= limits.max_parts);
        let mut end = 0;
        for p in &parts {
            assert!(p.data.start >= end && p.data.end >= p.data.start && p.data.end <= body.len(), "{:?}", p.data);
            end = p.data.end;
            if let Some(f) = &p.filename {
                assert!(!f.contains('/') && !f.contains('\\') && f.len() <= limits.max_name_bytes, "{f:?}");
            }
        }
    }
    static VERIFIER: OnceLock<kyso::Verifier> = OnceLock::new();
    let v = VERIFIER.get_or_init(|| {
        let at = time::OffsetDateTime::from_unix_timestamp(AT_UNIX).unwrap();
        kyso::Verifier::new(&[ANCHOR.to_vec()], &[], &[], kyso::verify::Options::at(at)).unwrap()
    });
    if let Ok((report, _)) = kyso::web::verify_multipart(v, &ct, body, &kyso::web::WebOptions::default()) {
        serde_json::to_string(&report).expect("the report serialises");
    }
}

/// The request-head parser of kyso's HTTP layer (`kyso tsa serve`, `ca serve`, `web`):
/// `http::parse_head` of the input, the bytes before a request's empty line. Invariants: an
/// accepted head has a token method, a target without white space or control characters, at
/// most `MAX_HEADERS` fields whose names are lower-case tokens and whose values hold no control
/// character but HTAB and no surrounding blanks, no Transfer-Encoding, and a `content_length`
/// equal to every Content-Length field; a refusal is 400, 411 or 431 with a one-line reason that
/// does not copy the request.
pub fn http_head(data: &[u8]) {
    use kyso::http::{parse_head, Refusal, MAX_HEADERS};
    let token = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    match parse_head(data) {
        Ok(h) => {
            assert!(token(&h.method), "{:?}", h.method);
            assert!(!h.target.is_empty() && !h.target.bytes().any(|b| b <= b' ' || b == 0x7f), "{:?}", h.target);
            assert!(h.headers.len() <= MAX_HEADERS);
            for (n, v) in &h.headers {
                assert!(token(n) && !n.bytes().any(|b| b.is_ascii_uppercase()), "{n:?}");
                assert!(!v.bytes().any(|b| (b < 0x20 && b != b'\t') || b == 0x7f) && v.trim_matches([' ', '\t']) == v, "{v:?}");
                assert_ne!(n, "transfer-encoding");
                if n == "content-length" {
                    assert_eq!(v.parse::<usize>().ok(), Some(h.content_length), "{v:?}");
                }
            }
            if !h.headers.iter().any(|(n, _)| n == "content-length") {
                assert_eq!(h.content_length, 0);
            }
        }
        Err(Refusal(code, why)) => {
            assert!(matches!(code, 400 | 411 | 431), "{code}");
            assert!(!why.contains(['\r', '\n']) && why.len() < 120, "{why:?}");
        }
    }
}
