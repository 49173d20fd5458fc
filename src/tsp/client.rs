//! How a timestamp request reaches a TSA: the [`TsaClient`] trait. kyso's HTTP client
//! (`HttpClient`, feature `tsa`) is one; a closure is another.

use super::TspError;

/// Budget on a TSA's HTTP answer (headers and body): a token is at most
/// [`super::MAX_TOKEN_BYTES`]; a little room for the reply's envelope and headers.
pub const MAX_RESPONSE_BYTES: usize = super::MAX_TOKEN_BYTES + 16 * 1024;

/// Something that exchanges a DER `TimeStampReq` for a DER `TimeStampResp`.
pub trait TsaClient: Send + Sync {
    /// Sends the request and returns the reply body.
    fn exchange(&self, request_der: &[u8]) -> Result<Vec<u8>, TspError>;
}

/// A closure can act as a client (tests, or a transport kyso does not provide).
impl<F> TsaClient for F
where
    F: Fn(&[u8]) -> Result<Vec<u8>, TspError> + Send + Sync,
{
    fn exchange(&self, request_der: &[u8]) -> Result<Vec<u8>, TspError> {
        self(request_der)
    }
}
