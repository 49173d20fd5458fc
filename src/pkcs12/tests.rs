//! Unit tests of the PKCS#12 reader and writer (the OpenSSL and pyca oracles are in
//! tests/it/pkcs12.rs).
