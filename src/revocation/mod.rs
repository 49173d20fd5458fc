//! RFC 5280 §6.3 (CRL validation) over a validated path.
