//! Parsing a `.p7s`: PEM/DER input checking, the BER normaliser, the raw SignedData splitter used
//! by `sign --add`, and the describer used by `kyso inspect`. Any outcome but a panic, a hang or an
//! out-of-memory is fine.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kyso::cms::signature_der(data);
    if let Ok(der) = kyso::cms::ber::to_der(data) {
        let _ = kyso::cms::assemble::RawSignedData::parse(&der);
        let _ = kyso::cms::describe(&der);
    }
    let _ = kyso::cms::assemble::RawSignedData::parse(data);
    let _ = kyso::cms::describe(data);
});
