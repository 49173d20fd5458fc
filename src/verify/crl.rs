//! CRLs as the verification flows use them: [`crate::revocation::Crl`] (RFC 5280 §5, read once;
//! checked by §6.3 in [`crate::revocation`]).

pub use crate::revocation::MAX_CRL_ENTRIES;

/// A parsed CRL.
pub(crate) type Crl = crate::revocation::Crl;

/// Parses one DER CRL.
pub(crate) fn parse(bytes: &[u8]) -> Result<Crl, crate::findings::CrlProblem> {
    use crate::findings::{CrlProblem, Element, FormatKind, FormatProblem};
    Crl::from_der(bytes).map_err(|e| match e {
        crate::revocation::CrlError::TooManyEntries => CrlProblem::TooManyEntries { limit: MAX_CRL_ENTRIES },
        _ => CrlProblem::Malformed(FormatProblem::new(Element::Crl, FormatKind::InvalidValue)),
    })
}
