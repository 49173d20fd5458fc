//! PDF signature extraction (`kyso verify FILE.pdf`): the signature fields, /ByteRange checks and
//! the classification of later changes.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(sigs) = kyso::pdf::signatures(data) {
        for s in sigs {
            if let Ok(r) = s.signed_ranges(data) {
                let _ = r.len();
            }
            let _ = kyso::cms::signature_der(&s.contents);
        }
    }
});
