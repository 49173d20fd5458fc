//! Where fetched revocation data comes from: the library does no I/O (DESIGN §4 rule 6), so a
//! caller that may go online gives the verifier a [`RevocationSource`]; the CLI's fetches over
//! HTTP with a cache (`src/bin/kyso/fetch.rs`), a test can answer from memory, and [`Offline`]
//! fetches nothing (every fetch is then named in the report as not attempted).
//!
//! The verifier asks only for certificates of a path that validated to a trust anchor, and only
//! when the CRLs and OCSP responses it was given (or found embedded) leave the status unknown:
//! first the OCSP responders of the certificate's authorityInfoAccess, then its CRL
//! distribution points, http URLs only, at most [`MAX_FETCHES_PER_PATH`] per path.

use crate::findings::FetchFailure;

/// Limit on fetches for one path: a provincial path has two or three certificates below the
/// anchor, each naming one OCSP responder and one or two CRL distribution points (nine); twelve
/// bounds what hostile certificates listing many URLs can make the verifier fetch.
pub const MAX_FETCHES_PER_PATH: usize = 12;

/// Limit on URLs of each kind tried for one certificate.
pub const MAX_URLS_PER_CERTIFICATE: usize = 2;

/// What a source returns: the bytes, and whether they came from a local cache.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Fetched {
    /// A DER (or PEM) CRL, or a DER OCSPResponse.
    pub bytes: Vec<u8>,
    /// Taken from a cache rather than the network.
    pub cached: bool,
}

impl Fetched {
    /// Bytes just received.
    pub fn new(bytes: Vec<u8>, cached: bool) -> Fetched {
        Fetched { bytes, cached }
    }
}

/// A source of revocation data the verifier may fetch from.
pub trait RevocationSource: Send + Sync {
    /// The CRL published at `url` (an http URL from a cRLDistributionPoints extension).
    fn crl(&self, url: &str) -> Result<Fetched, FetchFailure>;
    /// The OCSP responder at `url` (from authorityInfoAccess) asked `request` (a DER
    /// OCSPRequest): the DER OCSPResponse.
    fn ocsp(&self, url: &str, request: &[u8]) -> Result<Fetched, FetchFailure>;
}

/// A source that fetches nothing: every request fails with [`FetchFailure::Offline`] without
/// any connection attempt.
#[derive(Debug, Clone, Copy, Default)]
pub struct Offline;

impl RevocationSource for Offline {
    fn crl(&self, _url: &str) -> Result<Fetched, FetchFailure> {
        Err(FetchFailure::Offline)
    }

    fn ocsp(&self, _url: &str, _request: &[u8]) -> Result<Fetched, FetchFailure> {
        Err(FetchFailure::Offline)
    }
}
