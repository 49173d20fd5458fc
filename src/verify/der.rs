//! The verification core's name for [`crate::asn1`]'s DER reader (the one place that decodes DER
//! lengths), kept so that the core's `der::read`/`read_all`/`expect`/`children` call sites stay
//! as they are while the core is rewritten. New code can use `crate::asn1` directly.

pub(crate) use crate::asn1::{children, expect, read, read_all, small_uint, Error as DerError, Tlv};
