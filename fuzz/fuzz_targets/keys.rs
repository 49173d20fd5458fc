//! Reading key files (PEM and DER; PKCS#8 encrypted or not, SEC1, PKCS#1) and opening them with a
//! fixed passphrase ("fuzz", the one of the seeds).
//!
//! Opening runs the key's KDF with the parameters the file states: a mutated PBKDF2 iteration
//! count or scrypt cost would make one execution take seconds and drown the fuzzer in timeouts,
//! so keys whose KDF costs more than the seeds' (PBKDF2 up to 2048 iterations, scrypt up to
//! log_n 10) are parsed but not opened. Real key files are the user's own, not attacker input.
#![no_main]
use libfuzzer_sys::fuzz_target;
use pkcs8::pkcs5::EncryptionScheme;

fn cheap(der: &[u8]) -> bool {
    let Ok(info) = pkcs8::EncryptedPrivateKeyInfoRef::try_from(der) else { return true };
    match info.encryption_algorithm {
        EncryptionScheme::Pbes2(p) => match p.kdf {
            pkcs8::pkcs5::pbes2::Kdf::Pbkdf2(k) => k.iteration_count <= 2048,
            pkcs8::pkcs5::pbes2::Kdf::Scrypt(s) => s.log_n <= 10 && s.r <= 8 && s.p <= 1,
        },
        _ => true,
    }
}

fuzz_target!(|data: &[u8]| {
    if let Ok(kf) = kyso::KeyFile::parse(data) {
        let _ = kf.is_encrypted();
        let der: Option<Vec<u8>> = match &kf {
            kyso::KeyFile::Encrypted(d) => Some(d.to_vec()),
            _ => None,
        };
        if der.as_deref().map_or(true, cheap) {
            if let Ok(k) = kf.open(Some(b"fuzz")) {
                let _ = kyso::Signer::sign(&k, b"data");
            }
        }
    }
});
