//! kyso's integration tests: one binary, grouped by topic (CLI, OpenSSL interop, attack cases).

mod cli;
mod pdf;
mod pki;
mod snapshots;
