//! kyso's integration tests: one binary, grouped by topic (CLI, OpenSSL interop, attack cases).

mod ca;
mod cli;
mod demo;
mod errors;
mod limbo;
mod pades;
mod pdf;
mod pki;
mod readme;
mod report;
mod sign;
mod sign_batch;
mod snapshots;
mod verify;
mod tsa;
mod bt;
mod robust_mutation;
mod robust_limits;
mod robust_crash;
mod robust_files;
mod robust_regressions;
mod dss;
mod doc_ts;
mod ber;
mod corpus;
mod pkits;
