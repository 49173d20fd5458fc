//! Fuzz target `http_head`: see `http_head` in fuzz/bodies.rs (shared with the regression test).
#![no_main]
use libfuzzer_sys::fuzz_target;

#[path = "../bodies.rs"]
mod bodies;

fuzz_target!(|data: &[u8]| bodies::http_head(data));
