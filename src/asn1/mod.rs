//! The one DER/BER layer: the only place in kyso that decodes ASN.1 identifier and length
//! octets (X.690 §8.1.2–8.1.5), and the only place that encodes lengths.
//!
//! - [`read`], [`read_all`], [`expect`], [`children`]: a borrowed reader over **DER** (definite,
//!   minimal lengths). Each [`Tlv`] keeps the bytes as received ([`Tlv::raw`]): signatures are
//!   checked over received bytes, never over a re-encoding (`der` 0.8 re-sorts a SET OF on decode).
//! - [`read_ber`], [`read_ber_all`]: the same view over **BER** (indefinite lengths, non-minimal
//!   lengths), for the byte-level edits of a signature file (adding a timestamp or CRLs) that must
//!   keep everything they do not change as received.
//! - [`normalise`]: the one BER → DER normaliser ([`ber`]), tolerant of the zero padding that
//!   follows a signature in a PDF /Contents or a padded `.sig` file, and saying whether its input
//!   was DER already.
//! - [`write`](mod@write): DER headers, TLVs and SET OF ordering for the byte-level writers
//!   (`cms::assemble`, `sign`, the TSP upgrades).
//!
//! Typed decoding (certificates, SignedData, TSTInfo…) goes through the `der` crate
//! ([`Tlv::decode`] hands a TLV's received bytes to any `der::Decode` type). `der` is not used
//! for the walk itself: its `Tag` refuses valid DER tags that certificates carry (UniversalString,
//! GraphicString) and universal constructed tags other than OCTET STRING, its BER `Length` refuses
//! non-minimal definite lengths, and its indefinite-length support re-scans each nested level;
//! the reader here needs none of that, only offsets into the received bytes. The unit tests use
//! `der::Header` as an oracle for the DER header decoding.
//!
//! Budgets (habit 2 of STYLE.md): [`MAX_DEPTH`] nesting levels, [`MAX_ELEMENTS`] elements per
//! normalised input, [`MAX_CHILDREN`] children per [`Tlv::children`] call, at most
//! [`MAX_LENGTH_OCTETS`] length octets.

pub mod ber;
mod reader;
pub mod write;

pub use ber::{normalise, Normalised};
pub use reader::{children, expect, head, read, read_all, read_ber, read_ber_all, small_uint, without_padding, Head, Tlv};
pub use write::{der_set_order, header_len, push_header, push_len, set_of, tlv};
pub use write::{TAG_CTX0, TAG_CTX1, TAG_INTEGER, TAG_OCTET_STRING, TAG_OID, TAG_SEQUENCE, TAG_SET};

/// Nesting limit for every walk that recurses (the normaliser, the BER reader's scan of
/// indefinite lengths). CMS SignedData with embedded certificates nests about 20 levels deep
/// (ContentInfo → SignedData → certificates → Certificate → TBS → extensions → …); 64 leaves room
/// for unusual but legal input while bounding the recursion an attacker can cause.
pub const MAX_DEPTH: usize = 64;

/// Limit on TLV elements in one normalised input. A SignedData with a chain and a large CRL has
/// tens of thousands; one million bounds the work per input (each element costs O(1) plus its
/// copy).
pub const MAX_ELEMENTS: usize = 1_000_000;

/// Default budget on the children listed by [`Tlv::children`]: a SignedData has 6 fields, a
/// SignerInfo 7; a signer set or attribute list beyond 1,000 is not a document signature.
/// [`children`] takes its limit from the caller.
pub const MAX_CHILDREN: usize = 1_000;

/// Most length octets accepted after the initial one: 8 octets address 2^64 bytes, the size of
/// `usize` on the 64-bit targets kyso runs on. BER allows up to 126 (with leading zeros); no real
/// encoder writes more than 4.
pub const MAX_LENGTH_OCTETS: usize = 8;

/// Why an input could not be read or normalised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The input ended inside an element (its header, contents or end-of-contents octets).
    #[error("truncated BER/DER input")]
    Truncated,
    /// Bytes other than zero padding follow the single top-level element.
    #[error("trailing data after the top-level element")]
    TrailingData,
    /// Nothing but zero bytes (or nothing at all) where an element was expected.
    #[error("no ASN.1 element (the input is empty or only zero bytes)")]
    Empty,
    /// An indefinite length where DER is required.
    #[error("indefinite length (BER) where DER is required")]
    IndefiniteLength,
    /// A definite length not in its shortest form where DER is required.
    #[error("non-minimal length (BER) where DER is required")]
    NonMinimalLength,
    /// An indefinite length on a primitive element (never valid, X.690 §8.1.3.2).
    #[error("indefinite length on a primitive element")]
    IndefinitePrimitive,
    /// More than [`MAX_LENGTH_OCTETS`] length octets, or a length beyond the address space.
    #[error("invalid length encoding")]
    BadLength,
    /// A multi-byte identifier where the reader supports single-byte tags only (every tag of the
    /// CMS, TSP and PKIX structures kyso walks is one byte).
    #[error("high tag number")]
    HighTagNumber,
    /// Nesting deeper than [`MAX_DEPTH`] or more than [`MAX_ELEMENTS`] elements.
    #[error("nesting deeper than {MAX_DEPTH} or more than {MAX_ELEMENTS} elements")]
    TooComplex,
    /// A BER feature the normaliser does not rewrite.
    #[error("unsupported BER encoding: {0}")]
    Unsupported(&'static str),
    /// [`expect`] found another tag than the one the structure requires.
    #[error("{what}: unexpected tag 0x{found:02x}")]
    UnexpectedTag {
        /// The field that was expected (the caller's words).
        what: &'static str,
        /// The tag found instead.
        found: u8,
    },
    /// More children than the caller's budget allows.
    #[error("{what}")]
    TooMany {
        /// The caller's description (e.g. "too many certificates").
        what: &'static str,
        /// The budget.
        limit: usize,
    },
    /// Children were asked of a primitive element.
    #[error("expected a constructed element")]
    NotConstructed,
}

#[cfg(test)]
mod architecture;
