//! CRLs as the verification flows use them: [`crate::revocation::Crl`] (RFC 5280 §5, read once;
//! checked by §6.3 in [`crate::revocation`]).

pub use crate::revocation::MAX_CRL_ENTRIES;

/// A parsed CRL.
pub(crate) type Crl = crate::revocation::Crl;

/// Parses one DER CRL. Errors are strings for the report's check details.
pub(crate) fn parse(bytes: &[u8]) -> Result<Crl, String> {
    Crl::from_der(bytes).map_err(|e| e.to_string())
}
