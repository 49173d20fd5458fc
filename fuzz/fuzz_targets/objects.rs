//! Reading certificates, CRLs and CSRs (PEM and DER) as every command does, plus `kyso inspect`.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = kyso::objects::pem_blocks(data);
    let _ = kyso::objects::check_single_der(data);
    let _ = kyso::objects::der_header(data);
    let _ = kyso::objects::certificates(data);
    let _ = kyso::objects::crls(data);
    let _ = kyso::objects::csr(data);
    let _ = kyso::csr::verify_csr(data);
    let _ = kyso::inspect::inspect(data, None);
});
