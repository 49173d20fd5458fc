//! Signed documents by e-mail (feature `mail`): S/MIME messages (RFC 8551) that mail clients
//! verify, and the verification of a received message whole.
//!
//! **Sending** ([`sign_message`]): a multipart/signed message (protocol
//! application/pkcs7-signature, micalg from the digest) whose signed part is a
//! multipart/mixed with the body text and the documents, each document with its own signatures
//! beside it (its `.p7s`, or a PDF signed inside), so that a document saved out of the mail
//! stays verifiable. The signed part carries a copy of From, To, Cc, Subject, Date and
//! Message-ID (protected headers), is 7-bit with CRLF line ends (RFC 8551 §3.1: the text and
//! every attachment in base64), and is signed with the agency's certificate by the same
//! [`DocumentSigner`](crate::sign::DocumentSigner) as documents (CAdES-B-B attributes).
//! Subjects and names in Vietnamese are RFC 2047 encoded words, file names RFC 2231
//! parameters. The library writes a message and never sends one: hand the `.eml` to a mail
//! client or `sendmail -t`.
//!
//! **Receiving** ([`verify_message`]): multipart/signed and application/pkcs7-mime
//! signed-data messages; the message's signature is verified by the same core as
//! [`Verifier::verify_detached`](crate::verify::Verifier::verify_detached); the From address
//! is compared with the signer certificate's addresses (a warning when it differs, RFC 8550
//! §3); the header fields shown are compared with the signed copy (a field changed in transit
//! fails the message and is named); then each attached document is verified with its own
//! signatures ([`Verifier::verify_detached`](crate::verify::Verifier::verify_detached) for `X`
//! beside `X.p7s`, `verify_pdf` for a signed PDF), all in one [`MailReport`].
//!
//! **Budgets** on hostile messages, each checked before the work it bounds: size
//! [`MAX_MESSAGE_SIZE`], parts [`MAX_PARTS`], nesting [`MAX_DEPTH`], header lines
//! [`MAX_HEADER_LINES`], decoded bytes [`MAX_DECODED_SIZE`]; multiparts are split with strict
//! RFC 2046 delimiters (see the `mime` module for why kyso splits them itself and lets
//! mail-parser read the header sections and decode the bodies).

mod canon;
mod compose;
mod mime;
mod report;
mod verify;

pub use compose::{sign_message, Attachment, Mailbox, OutgoingMessage, MAX_ATTACHMENTS};
pub use mime::{MAX_DECODED_SIZE, MAX_DEPTH, MAX_HEADER_LINES, MAX_MESSAGE_SIZE, MAX_PARTS};
pub use report::{render_mail, AttachmentInfo, AttachmentRole, MailFormat, MailReport, MessageReport};
pub use verify::{certificate_addresses, safe_file_name, verify_message, ReceivedAttachment, VerifiedMessage};

use crate::sign::SignError;

/// Errors of writing a signed message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MailError {
    /// Not an e-mail address (`local@domain`, ASCII, no spaces or brackets).
    #[error("{0:?} is not an e-mail address")]
    BadAddress(String),
    /// No recipient.
    #[error("a message needs at least one recipient (To)")]
    NoRecipient,
    /// The subject holds a line break or another control character.
    #[error("the subject holds a line break or another control character")]
    BadSubject,
    /// An attachment's file name is empty, a folder path or holds control characters.
    #[error("{0:?} cannot be an attachment's file name")]
    BadFileName(String),
    /// Two attachments with the same name (a reader pairs `X` with `X.p7s` by name).
    #[error("two attachments are named {0:?}")]
    DuplicateFileName(String),
    /// A text or multipart media type for an attachment (its bytes must arrive unchanged).
    #[error("attachments are sent as binary data; {0:?} is not allowed")]
    BadContentType(String),
    /// More attachments than a reader accepts.
    #[error("{count} attachments; at most {limit} go in one message")]
    TooManyAttachments {
        /// How many.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// The date cannot be written (a year outside 0–9999).
    #[error("the date cannot be written as an e-mail date")]
    BadDate,
    /// The message would exceed what a reader accepts.
    #[error("the message would be larger than {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: u64,
    },
    /// The written signed part is not canonical (an internal check; a bug if it happens).
    #[error("the signed part is not in canonical form: {0}")]
    NotCanonical(&'static str),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
}
