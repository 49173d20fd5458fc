//! Trusted time (RFC 3161): timestamp requests and tokens, a timestamp authority, token
//! verification, an HTTP client and server, and the CAdES-B-T upgrade of a signature.
//!
//! - [`request`] builds a `TimeStampReq`; [`HttpClient`] (feature `tsa`) or any other
//!   [`TsaClient`] sends it; [`parse_response`] reads the reply.
//! - [`Tsa`] issues tokens and answers requests ([`Tsa::respond`]); [`server::TsaServer`]
//!   (feature `tsa`) serves them over HTTP.
//! - [`verify_token`] checks a token against an imprint, trust anchors and a time, for proof of
//!   existence; see its documentation for what it does **not** check.
//! - [`add_signature_timestamp`] adds a signature timestamp (id-aa-signatureTimeStampToken) to
//!   every SignerInfo of a `.p7s`, keeping the rest of the file as it was.
//! - [`embed_crls`] adds CRLs to a `.p7s` (offline evidence for `kyso sign --embed-revocation`);
//!   [`evidence_certificates`] lists the certificates a PDF's /DSS needs for the same purpose.
//!
//! The library never reads the clock: issuing takes the time as an argument, and the server takes
//! a clock function that the caller provides.
//!
//! ```
//! use kyso::tsp::{self, Imprint, TimeStampReq};
//! use kyso::DigestAlgorithm;
//! use der::Decode;
//! // What `openssl ts -query -data doc -sha256 -cert` sends, with a nonce.
//! let imprint = Imprint::of(DigestAlgorithm::Sha256, "Công văn số 123".as_bytes());
//! let der = tsp::request(&imprint, Some(&[0x12, 0x34]), true, None)?;
//! let req = TimeStampReq::from_der(&der).unwrap();
//! assert!(req.cert_req);
//! // A TSA's refusal is a typed error with the failure bits.
//! let refusal = [0x30, 0x0c, 0x30, 0x0a, 0x02, 0x01, 0x02, 0x03, 0x05, 0x06, 0x00, 0x00, 0x00, 0x40];
//! assert!(matches!(
//!     tsp::parse_response(&refusal),
//!     Err(tsp::TspError::Rejected { status: 2, ref fail_info, .. }) if fail_info == &["systemFailure"]
//! ));
//! # Ok::<(), kyso::tsp::TspError>(())
//! ```

mod asn1;
mod cades;
mod client;
mod evidence;
#[cfg(feature = "tsa")]
mod http;
#[cfg(feature = "tsa")]
pub mod server;
mod token;
mod verify;

pub use asn1::{Accuracy, GenTime, MessageImprint, PkiStatusInfo, TimeStampReq, TimeStampResp, TstInfo};
pub use cades::{
    add_signature_timestamp, signature_imprint, signature_timestamp_tokens, timestamp_signature, verify_signature_timestamp, SignerTimestamps,
    TimestampedSignature,
};
pub use evidence::{embed_crls, embed_revocation, evidence_certificates, MAX_EMBEDDED_CRLS};
pub use client::{TsaClient, MAX_RESPONSE_BYTES};
#[cfg(feature = "tsa")]
pub use http::HttpClient;
pub use token::{FailureInfo, Outcome, Reply, Tsa, DEFAULT_POLICY};
pub use verify::{verify_token, verify_token_with, TimestampInfo, TokenCheck, TokenFailure};
#[cfg(feature = "pdf")]
pub(crate) use cades::imprint_algorithm;
#[cfg(feature = "pdf")]
pub(crate) use verify::decode_tst_info;

use crate::alg::DigestAlgorithm;
use der::asn1::{Int, OctetString};
use der::{Decode, Encode};
use spki::AlgorithmIdentifierOwned;

/// Budget on a timestamp token's size: a token with a P-384 TSA certificate and a two-level chain
/// is about 3 KB, an RSA-4096 one with a long chain under 16 KB; 256 KiB is far beyond any real
/// token and keeps a hostile server from making kyso parse megabytes.
pub const MAX_TOKEN_BYTES: usize = 256 * 1024;

/// Errors of timestamp requests, tokens and the CAdES upgrade.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TspError {
    /// The input is not a well-formed structure of the expected kind.
    #[error("malformed {what}: {detail}")]
    Malformed {
        /// What was being read ("timestamp token", "TimeStampResp", "signature file", …).
        what: &'static str,
        /// The decoder's message.
        detail: String,
    },
    /// The input exceeds a size budget.
    #[error("{what} too large: {size} bytes (limit {limit})")]
    TooLarge {
        /// What was too large.
        what: &'static str,
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// The TSA answered with a failure status.
    #[error("the TSA rejected the request: status {status}{}{}", fail_info_text(fail_info), text.as_deref().map(|t| format!(" ({t})")).unwrap_or_default())]
    Rejected {
        /// PKIStatus value (2 = rejection, …).
        status: u8,
        /// Names of the PKIFailureInfo bits set (badAlg, badRequest, …).
        fail_info: Vec<&'static str>,
        /// The TSA's statusString, if any.
        text: Option<String>,
    },
    /// The reply said "granted" but carried no token.
    #[error("the TSA granted the request but sent no token")]
    MissingToken,
    /// A digest or signature algorithm kyso does not accept.
    #[error("unsupported algorithm: {0}")]
    UnsupportedAlgorithm(String),
    /// The imprint of a request does not fit its algorithm.
    #[error("the message imprint does not fit its algorithm ({detail})")]
    ImprintMismatch {
        /// What is wrong.
        detail: String,
    },
    /// A token does not verify (see [`TokenFailure`] for which check failed and why).
    #[error("{}", .0.finding)]
    Invalid(Box<TokenFailure>),
    /// An HTTP or network failure talking to the TSA.
    #[error("cannot reach the TSA: {0}")]
    Transport(String),
    /// The TSA configuration (certificate, key, chain) is unusable.
    #[error("TSA configuration: {0}")]
    Config(String),
    /// Signing the token failed.
    #[error("signing failed: {0}")]
    Key(#[from] crate::keys::KeyError),
    /// Every SignerInfo of the signature file already has a signature timestamp.
    #[error("every signature in the file already has a signature timestamp")]
    AlreadyTimestamped,
}

fn fail_info_text(bits: &[&str]) -> String {
    if bits.is_empty() {
        String::new()
    } else {
        format!(", failInfo {}", bits.join(", "))
    }
}

pub(crate) fn malformed(what: &'static str, e: impl std::fmt::Display) -> TspError {
    TspError::Malformed { what, detail: e.to_string() }
}

/// What a timestamp covers: a digest algorithm and the digest of the data.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Imprint {
    /// The digest algorithm.
    pub algorithm: DigestAlgorithm,
    /// The digest.
    pub digest: Vec<u8>,
}

impl Imprint {
    /// Hashes `data` with `algorithm`.
    pub fn of(algorithm: DigestAlgorithm, data: &[u8]) -> Imprint {
        Imprint { algorithm, digest: algorithm.digest(data) }
    }

    fn to_asn1(&self) -> Result<MessageImprint, TspError> {
        let hash_algorithm = AlgorithmIdentifierOwned::from_der(self.algorithm.algorithm_identifier_der())
            .map_err(|e| malformed("algorithm identifier", e))?;
        let hashed_message = OctetString::new(self.digest.clone()).map_err(|e| malformed("digest", e))?;
        Ok(MessageImprint { hash_algorithm, hashed_message })
    }
}

/// Builds a DER `TimeStampReq` (version 1) for `imprint`, with an optional nonce (big-endian
/// unsigned bytes; made positive), `cert_req` (ask the TSA to include its certificate) and an
/// optional policy.
pub fn request(
    imprint: &Imprint,
    nonce: Option<&[u8]>,
    cert_req: bool,
    policy: Option<der::asn1::ObjectIdentifier>,
) -> Result<Vec<u8>, TspError> {
    if imprint.digest.len() != imprint.algorithm.output_len() {
        return Err(TspError::ImprintMismatch {
            detail: format!("a {} digest is {} bytes, not {}", imprint.algorithm, imprint.algorithm.output_len(), imprint.digest.len()),
        });
    }
    let req = TimeStampReq {
        version: 1,
        message_imprint: imprint.to_asn1()?,
        req_policy: policy,
        nonce: nonce.map(positive_int).transpose()?,
        cert_req,
        extensions: None,
    };
    req.to_der().map_err(|e| malformed("TimeStampReq", e))
}

/// Reads a DER `TimeStampResp`: the token's bytes when the status is granted (0) or
/// grantedWithMods (1), else [`TspError::Rejected`] with the failure bits and text.
pub fn parse_response(der: &[u8]) -> Result<Vec<u8>, TspError> {
    if der.len() > MAX_RESPONSE_BYTES {
        return Err(TspError::TooLarge { what: "TimeStampResp", size: der.len(), limit: MAX_RESPONSE_BYTES });
    }
    let resp = TimeStampResp::from_der(der).map_err(|e| malformed("TimeStampResp", e))?;
    match resp.status.status {
        0 | 1 => {
            let tok = resp.time_stamp_token.ok_or(TspError::MissingToken)?;
            tok.to_der().map_err(|e| malformed("timestamp token", e))
        }
        status => {
            let text = resp.status.status_string.as_ref().map(|s| s.iter().map(|u| u.as_str()).collect::<Vec<_>>().join("; "));
            let fail_info = resp.status.fail_info.map(|b| FailureInfo::names_of(b.raw_bytes())).unwrap_or_default();
            Err(TspError::Rejected { status, fail_info, text })
        }
    }
}

/// A positive INTEGER from big-endian unsigned bytes (leading zeros removed, a 0x00 added when
/// the top bit is set). An empty slice is zero.
pub(crate) fn positive_int(bytes: &[u8]) -> Result<Int, TspError> {
    let skip = bytes.iter().take_while(|&&b| b == 0).count();
    let sig = bytes.get(skip..).unwrap_or(&[]);
    let mut v = Vec::with_capacity(sig.len() + 1);
    if sig.first().is_none_or(|&b| b & 0x80 != 0) {
        v.push(0);
    }
    v.extend_from_slice(sig);
    Int::new(&v).map_err(|e| malformed("integer", e))
}

/// Requests a token for `imprint` from `client` with a fresh random nonce and certReq set, and
/// returns the token after checking that it answers this request (imprint and nonce). The
/// token's signature and TSA are NOT checked here: call [`verify_token`] for that.
pub fn fetch_token(client: &dyn TsaClient, imprint: &Imprint) -> Result<Vec<u8>, TspError> {
    let nonce = random_nonce()?;
    let req = request(imprint, Some(&nonce), true, None)?;
    let reply = client.exchange(&req)?;
    let token = parse_response(&reply)?;
    let info = verify::decode_tst_info(&token)?;
    verify::check_imprint(&info, imprint)?;
    let expected = positive_int(&nonce)?;
    if info.nonce.as_ref() != Some(&expected) {
        return Err(TspError::Invalid(Box::new(TokenFailure {
            finding: crate::findings::Finding::NonceMismatch,
            sub_indication: crate::findings::SubIndication::FormatFailure,
            claimed: None,
        })));
    }
    Ok(token)
}

/// 64 random bits, as OpenSSL's `ts -query` uses.
pub(crate) fn random_nonce() -> Result<[u8; 8], TspError> {
    let mut n = [0u8; 8];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut n)
        .map_err(|_| TspError::Config("no system randomness".into()))?;
    Ok(n)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positive_int_is_minimal_and_positive() {
        assert_eq!(positive_int(&[0x00, 0x00, 0x7f]).unwrap().as_bytes(), &[0x7f]);
        assert_eq!(positive_int(&[0x80]).unwrap().as_bytes(), &[0x00, 0x80]);
        assert_eq!(positive_int(&[]).unwrap().as_bytes(), &[0x00]);
    }

    #[test]
    fn request_round_trips_and_checks_digest_length() {
        let imp = Imprint::of(DigestAlgorithm::Sha384, b"doc");
        let der = request(&imp, Some(&[1, 2, 3]), true, None).unwrap();
        let req = TimeStampReq::from_der(&der).unwrap();
        assert_eq!(req.version, 1);
        assert!(req.cert_req);
        assert_eq!(req.nonce.unwrap().as_bytes(), &[1, 2, 3]);
        assert_eq!(req.message_imprint.hashed_message.as_bytes(), imp.digest.as_slice());
        let bad = Imprint { algorithm: DigestAlgorithm::Sha256, digest: vec![0; 20] };
        assert!(matches!(request(&bad, None, false, None), Err(TspError::ImprintMismatch { .. })));
    }
}
