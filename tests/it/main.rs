//! kyso's integration tests: one binary, grouped by topic (CLI, OpenSSL interop, attack cases).

mod cli;
mod pki;
mod readme;
mod snapshots;
mod tsa;
