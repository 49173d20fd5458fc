//! The whole verification of a fixed document + a fuzzed `.p7s` against a fixed trust anchor (the
//! example root of certs-example, copied into fuzz/fixtures by fuzz/make-seeds.sh), at a fixed
//! time inside the certificates' validity. Besides "no panic", it checks an invariant: the report
//! serialises to JSON (what `kyso verify --json` prints).
#![no_main]
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

static ANCHOR: &[u8] = include_bytes!("../fixtures/anchor.der");
static DOCUMENT: &[u8] = include_bytes!("../fixtures/document.txt");

fn verifier() -> &'static kyso::verify::Verifier {
    static V: OnceLock<kyso::verify::Verifier> = OnceLock::new();
    V.get_or_init(|| {
        // 2027-01-01T00:00:00Z
        let t = time::OffsetDateTime::from_unix_timestamp(1_798_761_600).expect("fixed time");
        kyso::verify::Verifier::new(&[ANCHOR.to_vec()], &[], &[], kyso::verify::Options::at(t)).expect("fixed anchor")
    })
}

fuzz_target!(|data: &[u8]| {
    let report = verifier().verify_detached("document.txt", DOCUMENT, data);
    let run = kyso::report::RunReport::new(vec![report]);
    let json = serde_json::to_string(&run).expect("the report serialises");
    assert!(json.starts_with('{'));
});
