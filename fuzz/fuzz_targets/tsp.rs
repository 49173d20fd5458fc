//! RFC 3161: a TimeStampResp as a client reads it, the token verified against a fixed anchor, and
//! the timestamp tokens of a CAdES-B-T signature.
#![no_main]
use libfuzzer_sys::fuzz_target;

static ANCHOR: &[u8] = include_bytes!("../fixtures/anchor.der");

fuzz_target!(|data: &[u8]| {
    let imprint = kyso::tsp::Imprint::of(kyso::DigestAlgorithm::Sha256, b"fuzz");
    let at = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_798_761_600);
    let anchors = [ANCHOR.to_vec()];
    if let Ok(token) = kyso::tsp::parse_response(data) {
        let _ = kyso::tsp::verify_token(&token, &imprint, &anchors, at);
    }
    let _ = kyso::tsp::verify_token(data, &imprint, &anchors, at);
    let _ = kyso::tsp::signature_timestamp_tokens(data);
});
