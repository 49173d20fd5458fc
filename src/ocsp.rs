//! RFC 6960 OCSP messages over the received DER bytes: requests (read by the CA's responder,
//! written by the verifier's fetcher) and responses (written by the responder, read by the
//! verifier). Structure only: nothing here verifies a signature or judges a status — the CA
//! signs in `ca::ocsp`, the verifier validates in `revocation::ocsp`.
//!
//! ```text
//! OCSPRequest ::= SEQUENCE { tbsRequest TBSRequest, optionalSignature [0] EXPLICIT Signature OPTIONAL }
//! TBSRequest ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1,
//!   requestorName [1] EXPLICIT GeneralName OPTIONAL, requestList SEQUENCE OF Request,
//!   requestExtensions [2] EXPLICIT Extensions OPTIONAL }
//! Request ::= SEQUENCE { reqCert CertID, singleRequestExtensions [0] EXPLICIT Extensions OPTIONAL }
//! CertID ::= SEQUENCE { hashAlgorithm AlgorithmIdentifier, issuerNameHash OCTET STRING,
//!   issuerKeyHash OCTET STRING, serialNumber CertificateSerialNumber }
//! OCSPResponse ::= SEQUENCE { responseStatus OCSPResponseStatus,
//!   responseBytes [0] EXPLICIT ResponseBytes OPTIONAL }
//! ResponseBytes ::= SEQUENCE { responseType OBJECT IDENTIFIER, response OCTET STRING }
//! BasicOCSPResponse ::= SEQUENCE { tbsResponseData ResponseData, signatureAlgorithm
//!   AlgorithmIdentifier, signature BIT STRING, certs [0] EXPLICIT SEQUENCE OF Certificate OPTIONAL }
//! ResponseData ::= SEQUENCE { version [0] EXPLICIT Version DEFAULT v1, responderID ResponderID,
//!   producedAt GeneralizedTime, responses SEQUENCE OF SingleResponse,
//!   responseExtensions [1] EXPLICIT Extensions OPTIONAL }
//! ResponderID ::= CHOICE { byName [1] Name, byKey [2] KeyHash }
//! SingleResponse ::= SEQUENCE { certID CertID, certStatus CertStatus, thisUpdate GeneralizedTime,
//!   nextUpdate [0] EXPLICIT GeneralizedTime OPTIONAL, singleExtensions [1] EXPLICIT Extensions OPTIONAL }
//! CertStatus ::= CHOICE { good [0] IMPLICIT NULL, revoked [1] IMPLICIT RevokedInfo,
//!   unknown [2] IMPLICIT UnknownInfo }
//! RevokedInfo ::= SEQUENCE { revocationTime GeneralizedTime, revocationReason [0] EXPLICIT CRLReason OPTIONAL }
//! ```
//!
//! Budgets: [`MAX_REQUEST_BYTES`], [`MAX_RESPONSE_BYTES`], [`MAX_REQUESTS`] CertIDs per request,
//! [`MAX_SINGLE_RESPONSES`] per response, [`MAX_RESPONSE_CERTS`] certificates per response,
//! [`MAX_EXTENSIONS`] extensions per list. Every input-driven read goes through [`crate::asn1`].

use crate::asn1::{self as der, Tlv};
use const_oid::ObjectIdentifier;

/// Limit on an OCSP request's size. OpenSSL's request for one certificate with a nonce is
/// ~120 bytes; a signed request with the requestor's certificate ~2 KB. 64 KiB (the responder's
/// HTTP body limit is the same) bounds what a client can make the responder parse.
pub const MAX_REQUEST_BYTES: usize = 64 * 1024;

/// Limit on an OCSP response's size. A response for one certificate with the responder's
/// certificate is ~1–2 KB; a response listing a whole CA's certificates could be larger. 1 MiB
/// bounds what a responder (or an attacker-chosen URL) can make the verifier read.
pub const MAX_RESPONSE_BYTES: usize = 1024 * 1024;

/// Limit on CertIDs in one request. Clients ask for one (OpenSSL, browsers) or a handful;
/// RFC 5019 lightweight responders accept one. 16 bounds the signing work per request.
pub const MAX_REQUESTS: usize = 16;

/// Limit on SingleResponses read from one response. A responder answers the CertIDs asked
/// (one, at most a few); some pre-produce responses for many certificates: 4096 bounds the
/// search for a matching CertID.
pub const MAX_SINGLE_RESPONSES: usize = 4096;

/// Limit on certificates in a response's `certs`: the delegated responder's certificate and
/// perhaps its issuers; 16 bounds the candidate-signer search.
pub const MAX_RESPONSE_CERTS: usize = 16;

/// Limit on extensions in one Extensions list (nonce, CRL references, archive cutoff, …).
pub const MAX_EXTENSIONS: usize = 32;

/// Limit on a nonce's length: RFC 8954 §2.1 says 1 to 32 octets (OpenSSL sends 16).
pub const MAX_NONCE_BYTES: usize = 32;

/// id-pkix-ocsp-basic (1.3.6.1.5.5.7.48.1.1).
pub const OID_OCSP_BASIC: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
/// id-pkix-ocsp-nonce (1.3.6.1.5.5.7.48.1.2).
pub const OID_OCSP_NONCE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.2");
/// id-pkix-ocsp-nocheck (1.3.6.1.5.5.7.48.1.5): the responder certificate need not be checked.
pub const OID_OCSP_NOCHECK: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.5");
/// id-kp-OCSPSigning (1.3.6.1.5.5.7.3.9).
pub const OID_KP_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");
/// id-ri-ocsp-response (1.3.6.1.5.5.7.16.2): an OCSPResponse in CMS RevocationInfoChoices
/// (RFC 5940 §4.1).
pub const OID_RI_OCSP_RESPONSE: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.16.2");
/// id-ad-ocsp (1.3.6.1.5.5.7.48.1), an accessMethod of authorityInfoAccess.
pub const OID_AD_OCSP: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1");
/// id-ad-caIssuers (1.3.6.1.5.5.7.48.2).
pub const OID_AD_CA_ISSUERS: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.2");

/// Why an OCSP message cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum OcspError {
    /// Not the structure RFC 6960 defines (the element and what is wrong).
    #[error("malformed OCSP {what}: {why}")]
    Malformed {
        /// The element.
        what: &'static str,
        /// What is wrong.
        why: String,
    },
    /// Larger than the budget.
    #[error("OCSP {what} larger than {limit} bytes")]
    TooLarge {
        /// Request or response.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// More elements than a budget allows.
    #[error("more than {limit} {what} in an OCSP message")]
    TooMany {
        /// What.
        what: &'static str,
        /// The limit.
        limit: usize,
    },
    /// A hash algorithm kyso does not compute for CertIDs.
    #[error("unsupported CertID hash algorithm {0}")]
    UnsupportedHash(String),
}

fn bad(what: &'static str) -> impl Fn(der::Error) -> OcspError {
    move |e| OcspError::Malformed { what, why: e.to_string() }
}

fn malformed(what: &'static str, why: &str) -> OcspError {
    OcspError::Malformed { what, why: why.to_string() }
}

/// The hash of a CertID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CertIdHash {
    /// SHA-1 (what RFC 5019 clients and OpenSSL use by default).
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-384.
    Sha384,
    /// SHA-512.
    Sha512,
}

impl CertIdHash {
    const SHA1: &'static [u8] = &[0x2b, 0x0e, 0x03, 0x02, 0x1a];
    const SHA256: &'static [u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01];
    const SHA384: &'static [u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x02];
    const SHA512: &'static [u8] = &[0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x03];

    fn from_oid(body: &[u8]) -> Option<CertIdHash> {
        Some(match body {
            b if b == Self::SHA1 => CertIdHash::Sha1,
            b if b == Self::SHA256 => CertIdHash::Sha256,
            b if b == Self::SHA384 => CertIdHash::Sha384,
            b if b == Self::SHA512 => CertIdHash::Sha512,
            _ => return None,
        })
    }

    fn oid(self) -> &'static [u8] {
        match self {
            CertIdHash::Sha1 => Self::SHA1,
            CertIdHash::Sha256 => Self::SHA256,
            CertIdHash::Sha384 => Self::SHA384,
            CertIdHash::Sha512 => Self::SHA512,
        }
    }

    /// The digest of `data`.
    pub fn digest(self, data: &[u8]) -> Vec<u8> {
        let alg = match self {
            CertIdHash::Sha1 => &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            CertIdHash::Sha256 => &ring::digest::SHA256,
            CertIdHash::Sha384 => &ring::digest::SHA384,
            CertIdHash::Sha512 => &ring::digest::SHA512,
        };
        ring::digest::digest(alg, data).as_ref().to_vec()
    }
}

/// The parts of an issuer certificate a CertID is made from: its subject Name (DER, as
/// received) and its public key (the BIT STRING value without the unused-bits octet).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuerKey {
    /// The issuer's subject Name, DER.
    pub name_der: Vec<u8>,
    /// The issuer's subjectPublicKey bits.
    pub key_bits: Vec<u8>,
}

impl IssuerKey {
    /// The name and key of a DER certificate.
    pub fn from_cert(cert_der: &[u8]) -> Result<IssuerKey, OcspError> {
        let m = bad("issuer certificate");
        let top = der::read_all(cert_der).map_err(&m)?;
        let (tbs, _) = der::expect(top.body, 0x30, "tbsCertificate").map_err(&m)?;
        let mut rest = tbs.body;
        let (first, r) = der::read(rest).map_err(&m)?;
        if first.tag == 0xa0 {
            rest = r; // version
        }
        let (_serial, r) = der::expect(rest, 0x02, "serialNumber").map_err(&m)?;
        let (_sig, r) = der::expect(r, 0x30, "signature").map_err(&m)?;
        let (_issuer, r) = der::expect(r, 0x30, "issuer").map_err(&m)?;
        let (_validity, r) = der::expect(r, 0x30, "validity").map_err(&m)?;
        let (subject, r) = der::expect(r, 0x30, "subject").map_err(&m)?;
        let (spki, _) = der::expect(r, 0x30, "subjectPublicKeyInfo").map_err(&m)?;
        Ok(IssuerKey { name_der: subject.raw.to_vec(), key_bits: spki_key_bits(spki.raw)?.to_vec() })
    }

    /// The name (DER) and key (a SubjectPublicKeyInfo, DER).
    pub fn from_parts(name_der: &[u8], spki_der: &[u8]) -> Result<IssuerKey, OcspError> {
        Ok(IssuerKey { name_der: name_der.to_vec(), key_bits: spki_key_bits(spki_der)?.to_vec() })
    }

    /// SHA-1 of the key bits: a responder's KeyHash (RFC 6960 §4.2.1) and what `byKey` names.
    pub fn key_sha1(&self) -> Vec<u8> {
        CertIdHash::Sha1.digest(&self.key_bits)
    }
}

/// The subjectPublicKey bits of a SubjectPublicKeyInfo.
pub fn spki_key_bits(spki_der: &[u8]) -> Result<&[u8], OcspError> {
    let m = bad("subjectPublicKeyInfo");
    let top = der::read_all(spki_der).map_err(&m)?;
    let (_alg, r) = der::expect(top.body, 0x30, "algorithm").map_err(&m)?;
    let (bits, _) = der::expect(r, 0x03, "subjectPublicKey").map_err(&m)?;
    match bits.body.split_first() {
        Some((0, key)) => Ok(key),
        _ => Err(malformed("subjectPublicKeyInfo", "the key is not a whole-octet BIT STRING")),
    }
}

/// A CertID: which certificate a request or response is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CertId {
    /// The hash algorithm of the two issuer hashes.
    pub hash: CertIdHash,
    /// Whether the AlgorithmIdentifier carried NULL parameters (echoed in answers: some clients
    /// compare CertIDs byte for byte).
    pub null_params: bool,
    /// Hash of the issuer's Name.
    pub issuer_name_hash: Vec<u8>,
    /// Hash of the issuer's public key bits.
    pub issuer_key_hash: Vec<u8>,
    /// The serial number's contents octets (as encoded).
    pub serial: Vec<u8>,
}

impl CertId {
    /// The CertID of the certificate with `serial` (INTEGER contents octets) issued by `issuer`.
    pub fn new(hash: CertIdHash, issuer: &IssuerKey, serial: &[u8]) -> CertId {
        CertId {
            hash,
            null_params: true,
            issuer_name_hash: hash.digest(&issuer.name_der),
            issuer_key_hash: hash.digest(&issuer.key_bits),
            serial: serial.to_vec(),
        }
    }

    /// Whether this CertID names a certificate of `issuer` (the hashes recomputed with its
    /// algorithm).
    pub fn issued_by(&self, issuer: &IssuerKey) -> bool {
        self.hash.digest(&issuer.name_der) == self.issuer_name_hash && self.hash.digest(&issuer.key_bits) == self.issuer_key_hash
    }

    /// Same certificate (algorithm parameters aside).
    pub fn same(&self, other: &CertId) -> bool {
        self.hash == other.hash
            && self.issuer_name_hash == other.issuer_name_hash
            && self.issuer_key_hash == other.issuer_key_hash
            && self.serial == other.serial
    }

    fn from_tlv(t: &Tlv<'_>) -> Result<CertId, OcspError> {
        let m = bad("CertID");
        if t.tag != 0x30 {
            return Err(malformed("CertID", "not a SEQUENCE"));
        }
        let (alg, r) = der::expect(t.body, 0x30, "hashAlgorithm").map_err(&m)?;
        let (oid, params) = der::expect(alg.body, 0x06, "algorithm").map_err(&m)?;
        let hash = CertIdHash::from_oid(oid.body).ok_or_else(|| OcspError::UnsupportedHash(ObjectIdentifier::from_bytes(oid.body).map(|o| o.to_string()).unwrap_or_else(|_| hex::encode(oid.body))))?;
        let null_params = match params {
            [] => false,
            [0x05, 0x00] => true,
            _ => return Err(malformed("CertID", "hash algorithm parameters are not NULL")),
        };
        let (name_hash, r) = der::expect(r, 0x04, "issuerNameHash").map_err(&m)?;
        let (key_hash, r) = der::expect(r, 0x04, "issuerKeyHash").map_err(&m)?;
        let serial = der::read_all(r).map_err(&m)?;
        if serial.tag != 0x02 || serial.body.is_empty() {
            return Err(malformed("CertID", "serialNumber is not an INTEGER"));
        }
        Ok(CertId {
            hash,
            null_params,
            issuer_name_hash: name_hash.body.to_vec(),
            issuer_key_hash: key_hash.body.to_vec(),
            serial: serial.body.to_vec(),
        })
    }

    /// DER encoding.
    pub fn to_der(&self) -> Vec<u8> {
        let oid = der::tlv(0x06, &[self.hash.oid()]);
        let alg = if self.null_params { der::tlv(0x30, &[&oid, &[0x05, 0x00]]) } else { der::tlv(0x30, &[&oid]) };
        der::tlv(
            0x30,
            &[
                &alg,
                &der::tlv(0x04, &[&self.issuer_name_hash]),
                &der::tlv(0x04, &[&self.issuer_key_hash]),
                &der::tlv(0x02, &[&self.serial]),
            ],
        )
    }
}

/// One extension (RFC 5280 §4.1): OID, criticality, value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// extnID.
    pub oid: ObjectIdentifier,
    /// critical.
    pub critical: bool,
    /// extnValue's contents.
    pub value: Vec<u8>,
}

/// Reads an Extensions SEQUENCE (contents of the EXPLICIT wrapper).
fn extensions(wrapper_body: &[u8]) -> Result<Vec<Extension>, OcspError> {
    let m = bad("extensions");
    let seq = der::read_all(wrapper_body).map_err(&m)?;
    if seq.tag != 0x30 {
        return Err(malformed("extensions", "not a SEQUENCE"));
    }
    let items = der::children(seq.body, MAX_EXTENSIONS, "too many extensions")
        .map_err(|_| OcspError::TooMany { what: "extensions", limit: MAX_EXTENSIONS })?;
    let mut out: Vec<Extension> = Vec::with_capacity(items.len());
    for e in items {
        if e.tag != 0x30 {
            return Err(malformed("extensions", "an extension is not a SEQUENCE"));
        }
        let (oid, mut r) = der::expect(e.body, 0x06, "extnID").map_err(&m)?;
        let oid = ObjectIdentifier::from_bytes(oid.body).map_err(|_| malformed("extensions", "bad extnID"))?;
        let mut critical = false;
        let (t, rest) = der::read(r).map_err(&m)?;
        if t.tag == 0x01 {
            critical = match t.body {
                [0xff] => true,
                [0x00] => false,
                _ => return Err(malformed("extensions", "bad BOOLEAN")),
            };
            r = rest;
        }
        let value = der::read_all(r).map_err(&m)?;
        if value.tag != 0x04 {
            return Err(malformed("extensions", "extnValue is not an OCTET STRING"));
        }
        if out.iter().any(|x| x.oid == oid) {
            return Err(malformed("extensions", "an extension appears twice"));
        }
        out.push(Extension { oid, critical, value: value.body.to_vec() });
    }
    Ok(out)
}

fn encode_extensions(exts: &[Extension]) -> Vec<u8> {
    let items: Vec<Vec<u8>> = exts
        .iter()
        .map(|e| {
            let oid = der::tlv(0x06, &[e.oid.as_bytes()]);
            let value = der::tlv(0x04, &[&e.value]);
            if e.critical {
                der::tlv(0x30, &[&oid, &[0x01, 0x01, 0xff], &value])
            } else {
                der::tlv(0x30, &[&oid, &value])
            }
        })
        .collect();
    let parts: Vec<&[u8]> = items.iter().map(Vec::as_slice).collect();
    der::tlv(0x30, &parts)
}

/// The nonce of an extension list: the OCTET STRING inside the extension value (RFC 8954), or
/// the raw value for clients that put the nonce bytes there directly (RFC 2560 was vague).
fn nonce_of(exts: &[Extension]) -> Option<Vec<u8>> {
    let e = exts.iter().find(|e| e.oid == OID_OCSP_NONCE)?;
    match der::read_all(&e.value) {
        Ok(t) if t.tag == 0x04 => Some(t.body.to_vec()),
        _ => Some(e.value.clone()),
    }
}

/// A nonce extension (value: an OCTET STRING holding `nonce`).
pub fn nonce_extension(nonce: &[u8]) -> Extension {
    Extension { oid: OID_OCSP_NONCE, critical: false, value: der::tlv(0x04, &[nonce]) }
}

/// An OCSP request as read by a responder.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Request {
    /// The certificates asked about.
    pub cert_ids: Vec<CertId>,
    /// The request's nonce extension, if any.
    pub nonce: Option<Vec<u8>>,
    /// The raw nonce extension value (echoed as received).
    pub nonce_extension: Option<Extension>,
    /// Whether the request carries a signature (kyso's responder does not require or check it).
    pub signed: bool,
    /// Critical request extensions other than the nonce (a responder should refuse them).
    pub unknown_critical: Vec<ObjectIdentifier>,
}

impl Request {
    /// Reads a DER OCSPRequest.
    pub fn from_der(bytes: &[u8]) -> Result<Request, OcspError> {
        if bytes.len() > MAX_REQUEST_BYTES {
            return Err(OcspError::TooLarge { what: "request", limit: MAX_REQUEST_BYTES });
        }
        let m = bad("request");
        let top = der::read_all(bytes).map_err(&m)?;
        if top.tag != 0x30 {
            return Err(malformed("request", "not a SEQUENCE"));
        }
        let (tbs, rest) = der::expect(top.body, 0x30, "tbsRequest").map_err(&m)?;
        let signed = match rest {
            [] => false,
            _ => {
                let sig = der::read_all(rest).map_err(&m)?;
                if sig.tag != 0xa0 {
                    return Err(malformed("request", "unexpected element after tbsRequest"));
                }
                true
            }
        };
        let mut fields = tbs.body;
        let (mut t, mut r) = der::read(fields).map_err(&m)?;
        if t.tag == 0xa0 {
            let v = der::read_all(t.body).map_err(&m)?;
            if v.tag != 0x02 || v.body != [0] {
                return Err(malformed("request", "version is not v1"));
            }
            fields = r;
            (t, r) = der::read(fields).map_err(&m)?;
        }
        if t.tag == 0xa1 {
            fields = r; // requestorName: not used
            (t, r) = der::read(fields).map_err(&m)?;
        }
        if t.tag != 0x30 {
            return Err(malformed("request", "requestList is not a SEQUENCE"));
        }
        let list = der::children(t.body, MAX_REQUESTS, "too many requests")
            .map_err(|_| OcspError::TooMany { what: "certificates asked about", limit: MAX_REQUESTS })?;
        if list.is_empty() {
            return Err(malformed("request", "requestList is empty"));
        }
        let mut cert_ids = Vec::with_capacity(list.len());
        let mut unknown_critical = Vec::new();
        for req in &list {
            if req.tag != 0x30 {
                return Err(malformed("request", "a Request is not a SEQUENCE"));
            }
            let (cid, rest) = der::read(req.body).map_err(&m)?;
            cert_ids.push(CertId::from_tlv(&cid)?);
            if !rest.is_empty() {
                let x = der::read_all(rest).map_err(&m)?;
                if x.tag != 0xa0 {
                    return Err(malformed("request", "unexpected element in a Request"));
                }
                for e in extensions(x.body)? {
                    if e.critical {
                        unknown_critical.push(e.oid);
                    }
                }
            }
        }
        let mut nonce = None;
        let mut nonce_extension = None;
        if !r.is_empty() {
            let x = der::read_all(r).map_err(&m)?;
            if x.tag != 0xa2 {
                return Err(malformed("request", "unexpected element after requestList"));
            }
            let exts = extensions(x.body)?;
            if let Some(n) = nonce_of(&exts) {
                if n.is_empty() || n.len() > MAX_NONCE_BYTES {
                    return Err(malformed("request", "the nonce is empty or longer than 32 octets"));
                }
                nonce = Some(n);
            }
            nonce_extension = exts.iter().find(|e| e.oid == OID_OCSP_NONCE).cloned();
            unknown_critical.extend(exts.iter().filter(|e| e.critical && e.oid != OID_OCSP_NONCE).map(|e| e.oid));
        }
        Ok(Request { cert_ids, nonce, nonce_extension, signed, unknown_critical })
    }
}

/// An unsigned OCSPRequest for `ids`, with a nonce extension when `nonce` is given.
pub fn request_der(ids: &[CertId], nonce: Option<&[u8]>) -> Vec<u8> {
    let reqs: Vec<Vec<u8>> = ids.iter().map(|id| der::tlv(0x30, &[&id.to_der()])).collect();
    let parts: Vec<&[u8]> = reqs.iter().map(Vec::as_slice).collect();
    let list = der::tlv(0x30, &parts);
    let tbs = match nonce {
        Some(n) => der::tlv(0x30, &[&list, &der::tlv(0xa2, &[&encode_extensions(&[nonce_extension(n)])])]),
        None => der::tlv(0x30, &[&list]),
    };
    der::tlv(0x30, &[&tbs])
}

/// OCSPResponseStatus (RFC 6960 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ResponseStatus {
    /// successful (0).
    Successful,
    /// malformedRequest (1).
    MalformedRequest,
    /// internalError (2).
    InternalError,
    /// tryLater (3).
    TryLater,
    /// sigRequired (5).
    SigRequired,
    /// unauthorized (6).
    Unauthorized,
    /// A value RFC 6960 does not define.
    Other(u8),
}

impl ResponseStatus {
    /// The ENUMERATED value.
    pub fn code(self) -> u8 {
        match self {
            ResponseStatus::Successful => 0,
            ResponseStatus::MalformedRequest => 1,
            ResponseStatus::InternalError => 2,
            ResponseStatus::TryLater => 3,
            ResponseStatus::SigRequired => 5,
            ResponseStatus::Unauthorized => 6,
            ResponseStatus::Other(c) => c,
        }
    }

    /// From the ENUMERATED value.
    pub fn from_code(c: u8) -> ResponseStatus {
        match c {
            0 => ResponseStatus::Successful,
            1 => ResponseStatus::MalformedRequest,
            2 => ResponseStatus::InternalError,
            3 => ResponseStatus::TryLater,
            5 => ResponseStatus::SigRequired,
            6 => ResponseStatus::Unauthorized,
            c => ResponseStatus::Other(c),
        }
    }

    /// The RFC 6960 name.
    pub fn name(self) -> &'static str {
        match self {
            ResponseStatus::Successful => "successful",
            ResponseStatus::MalformedRequest => "malformedRequest",
            ResponseStatus::InternalError => "internalError",
            ResponseStatus::TryLater => "tryLater",
            ResponseStatus::SigRequired => "sigRequired",
            ResponseStatus::Unauthorized => "unauthorized",
            ResponseStatus::Other(_) => "unknown status",
        }
    }
}

/// An OCSPResponse without responseBytes: the error answers of RFC 6960 §2.3.
pub fn error_response(status: ResponseStatus) -> Vec<u8> {
    der::tlv(0x30, &[&[0x0a, 0x01, status.code()]])
}

/// A certificate's status in a SingleResponse.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SingleStatus {
    /// good.
    Good,
    /// revoked at `time` (Unix seconds), with the CRLReason code when given.
    Revoked {
        /// revocationTime.
        time: i64,
        /// revocationReason.
        reason: Option<u8>,
    },
    /// unknown: the responder does not know the certificate.
    Unknown,
}

/// One SingleResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleResponse {
    /// Which certificate.
    pub cert_id: CertId,
    /// Its status.
    pub status: SingleStatus,
    /// thisUpdate (Unix seconds).
    pub this_update: i64,
    /// nextUpdate (Unix seconds).
    pub next_update: Option<i64>,
    /// Critical single extensions (none is understood: the response must be refused).
    pub unknown_critical: Vec<ObjectIdentifier>,
}

/// ResponderID.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponderId {
    /// byName: the responder's subject Name (DER as received).
    ByName(Vec<u8>),
    /// byKey: SHA-1 of the responder's public key bits.
    ByKey(Vec<u8>),
}

/// A BasicOCSPResponse as received.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct BasicResponse {
    /// The whole OCSPResponse as received.
    pub der: Vec<u8>,
    /// tbsResponseData's byte range within `der` (what the signature covers).
    pub tbs: std::ops::Range<usize>,
    /// responderID.
    pub responder: ResponderId,
    /// producedAt (Unix seconds).
    pub produced_at: i64,
    /// The SingleResponses.
    pub responses: Vec<SingleResponse>,
    /// The response nonce.
    pub nonce: Option<Vec<u8>>,
    /// Critical response extensions other than the nonce.
    pub unknown_critical: Vec<ObjectIdentifier>,
    /// signatureAlgorithm (AlgorithmIdentifier contents).
    pub sig_alg: Vec<u8>,
    /// The signature value.
    pub signature: Vec<u8>,
    /// The certificates sent with the response (DER).
    pub certs: Vec<Vec<u8>>,
}

impl BasicResponse {
    /// The signed bytes.
    pub fn tbs_bytes(&self) -> &[u8] {
        self.der.get(self.tbs.clone()).unwrap_or(&[])
    }
}

/// A parsed OCSPResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Response {
    /// successful, with a BasicOCSPResponse.
    Basic(Box<BasicResponse>),
    /// Any other status (no responseBytes).
    Error(ResponseStatus),
}

/// GeneralizedTime `YYYYMMDDHHMMSS[.f*]Z` → Unix seconds (fractions dropped).
pub(crate) fn generalized_time(t: &Tlv<'_>) -> Option<i64> {
    if t.tag != 0x18 {
        return None;
    }
    let s = std::str::from_utf8(t.body).ok()?;
    let s = s.strip_suffix('Z')?;
    let (main, frac) = match s.split_once('.') {
        Some((m, f)) if !f.is_empty() && f.bytes().all(|b| b.is_ascii_digit()) => (m, Some(f)),
        Some(_) => return None,
        None => (s, None),
    };
    let _ = frac;
    if main.len() != 14 || !main.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n = |a: usize, b: usize| main.get(a..b).and_then(|x| x.parse::<u32>().ok());
    let month = time::Month::try_from(n(4, 6)? as u8).ok()?;
    let date = time::Date::from_calendar_date(n(0, 4)? as i32, month, n(6, 8)? as u8).ok()?;
    let t = time::Time::from_hms(n(8, 10)? as u8, n(10, 12)? as u8, n(12, 14)? as u8).ok()?;
    Some(time::PrimitiveDateTime::new(date, t).assume_utc().unix_timestamp())
}

/// A GeneralizedTime TLV for Unix seconds `t` (`YYYYMMDDHHMMSSZ`).
pub fn generalized_time_der(t: i64) -> Vec<u8> {
    let d = time::OffsetDateTime::from_unix_timestamp(t).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let s = format!("{:04}{:02}{:02}{:02}{:02}{:02}Z", d.year(), u8::from(d.month()), d.day(), d.hour(), d.minute(), d.second());
    der::tlv(0x18, &[s.as_bytes()])
}

fn single_response(t: &Tlv<'_>) -> Result<SingleResponse, OcspError> {
    let m = bad("SingleResponse");
    if t.tag != 0x30 {
        return Err(malformed("SingleResponse", "not a SEQUENCE"));
    }
    let (cid, r) = der::read(t.body).map_err(&m)?;
    let cert_id = CertId::from_tlv(&cid)?;
    let (st, r) = der::read(r).map_err(&m)?;
    let status = match st.tag {
        0x80 if st.body.is_empty() => SingleStatus::Good,
        0xa1 => {
            let (rt, rr) = der::read(st.body).map_err(&m)?;
            let time = generalized_time(&rt).ok_or_else(|| malformed("SingleResponse", "bad revocationTime"))?;
            let reason = if rr.is_empty() {
                None
            } else {
                let w = der::read_all(rr).map_err(&m)?;
                let e = der::read_all(w.body).map_err(&m)?;
                match (w.tag, e.tag, e.body) {
                    (0xa0, 0x0a, [c]) => Some(*c),
                    _ => return Err(malformed("SingleResponse", "bad revocationReason")),
                }
            };
            SingleStatus::Revoked { time, reason }
        }
        0x82 if st.body.is_empty() => SingleStatus::Unknown,
        _ => return Err(malformed("SingleResponse", "bad certStatus")),
    };
    let (tu, mut r) = der::read(r).map_err(&m)?;
    let this_update = generalized_time(&tu).ok_or_else(|| malformed("SingleResponse", "bad thisUpdate"))?;
    let mut next_update = None;
    let mut unknown_critical = Vec::new();
    while !r.is_empty() {
        let (x, rest) = der::read(r).map_err(&m)?;
        match x.tag {
            0xa0 if next_update.is_none() => {
                let g = der::read_all(x.body).map_err(&m)?;
                next_update = Some(generalized_time(&g).ok_or_else(|| malformed("SingleResponse", "bad nextUpdate"))?);
            }
            0xa1 if rest.is_empty() => {
                unknown_critical.extend(extensions(x.body)?.into_iter().filter(|e| e.critical).map(|e| e.oid));
            }
            _ => return Err(malformed("SingleResponse", "unexpected element")),
        }
        r = rest;
    }
    Ok(SingleResponse { cert_id, status, this_update, next_update, unknown_critical })
}

impl Response {
    /// Reads a DER OCSPResponse.
    pub fn from_der(bytes: &[u8]) -> Result<Response, OcspError> {
        if bytes.len() > MAX_RESPONSE_BYTES {
            return Err(OcspError::TooLarge { what: "response", limit: MAX_RESPONSE_BYTES });
        }
        let m = bad("response");
        let top = der::read_all(bytes).map_err(&m)?;
        if top.tag != 0x30 {
            return Err(malformed("response", "not a SEQUENCE"));
        }
        let (st, r) = der::expect(top.body, 0x0a, "responseStatus").map_err(&m)?;
        let status = match st.body {
            [c] => ResponseStatus::from_code(*c),
            _ => return Err(malformed("response", "bad responseStatus")),
        };
        if status != ResponseStatus::Successful {
            return Ok(Response::Error(status));
        }
        let rb = der::read_all(r).map_err(&m)?;
        if rb.tag != 0xa0 {
            return Err(malformed("response", "no responseBytes"));
        }
        let rb = der::read_all(rb.body).map_err(&m)?;
        let (ty, r) = der::expect(rb.body, 0x06, "responseType").map_err(&m)?;
        if ty.body != OID_OCSP_BASIC.as_bytes() {
            return Err(malformed("response", "the response type is not id-pkix-ocsp-basic"));
        }
        let octets = der::read_all(r).map_err(&m)?;
        if octets.tag != 0x04 {
            return Err(malformed("response", "response is not an OCTET STRING"));
        }
        let basic = der::read_all(octets.body).map_err(bad("BasicOCSPResponse"))?;
        let mb = bad("BasicOCSPResponse");
        if basic.tag != 0x30 {
            return Err(malformed("BasicOCSPResponse", "not a SEQUENCE"));
        }
        let (tbs, r) = der::expect(basic.body, 0x30, "tbsResponseData").map_err(&mb)?;
        let (alg, r) = der::expect(r, 0x30, "signatureAlgorithm").map_err(&mb)?;
        let (sig, r) = der::expect(r, 0x03, "signature").map_err(&mb)?;
        let signature = match sig.body.split_first() {
            Some((0, s)) => s.to_vec(),
            _ => return Err(malformed("BasicOCSPResponse", "the signature is not a whole-octet BIT STRING")),
        };
        let mut certs = Vec::new();
        if !r.is_empty() {
            let w = der::read_all(r).map_err(&mb)?;
            if w.tag != 0xa0 {
                return Err(malformed("BasicOCSPResponse", "unexpected element after the signature"));
            }
            let seq = der::read_all(w.body).map_err(&mb)?;
            if seq.tag != 0x30 {
                return Err(malformed("BasicOCSPResponse", "certs is not a SEQUENCE"));
            }
            for c in der::children(seq.body, MAX_RESPONSE_CERTS, "too many certificates")
                .map_err(|_| OcspError::TooMany { what: "certificates", limit: MAX_RESPONSE_CERTS })?
            {
                if c.tag != 0x30 {
                    return Err(malformed("BasicOCSPResponse", "a certificate is not a SEQUENCE"));
                }
                certs.push(c.raw.to_vec());
            }
        }
        // ResponseData
        let md = bad("ResponseData");
        let mut fields = tbs.body;
        let (mut t, mut r) = der::read(fields).map_err(&md)?;
        if t.tag == 0xa0 {
            let v = der::read_all(t.body).map_err(&md)?;
            if v.tag != 0x02 || v.body != [0] {
                return Err(malformed("ResponseData", "version is not v1"));
            }
            fields = r;
            (t, r) = der::read(fields).map_err(&md)?;
        }
        let responder = match t.tag {
            0xa1 => {
                let n = der::read_all(t.body).map_err(&md)?;
                if n.tag != 0x30 {
                    return Err(malformed("ResponseData", "byName is not a Name"));
                }
                ResponderId::ByName(n.raw.to_vec())
            }
            0xa2 => {
                let k = der::read_all(t.body).map_err(&md)?;
                if k.tag != 0x04 {
                    return Err(malformed("ResponseData", "byKey is not an OCTET STRING"));
                }
                ResponderId::ByKey(k.body.to_vec())
            }
            _ => return Err(malformed("ResponseData", "bad responderID")),
        };
        let (pa, r) = der::read(r).map_err(&md)?;
        let produced_at = generalized_time(&pa).ok_or_else(|| malformed("ResponseData", "bad producedAt"))?;
        let (list, r) = der::expect(r, 0x30, "responses").map_err(&md)?;
        let singles = der::children(list.body, MAX_SINGLE_RESPONSES, "too many responses")
            .map_err(|_| OcspError::TooMany { what: "single responses", limit: MAX_SINGLE_RESPONSES })?;
        let mut responses = Vec::with_capacity(singles.len());
        for s in &singles {
            responses.push(single_response(s)?);
        }
        let mut nonce = None;
        let mut unknown_critical = Vec::new();
        if !r.is_empty() {
            let x = der::read_all(r).map_err(&md)?;
            if x.tag != 0xa1 {
                return Err(malformed("ResponseData", "unexpected element after responses"));
            }
            let exts = extensions(x.body)?;
            nonce = nonce_of(&exts);
            unknown_critical = exts.iter().filter(|e| e.critical && e.oid != OID_OCSP_NONCE).map(|e| e.oid).collect();
        }
        let tbs_start = tbs.raw.as_ptr() as usize - bytes.as_ptr() as usize;
        Ok(Response::Basic(Box::new(BasicResponse {
            der: bytes.to_vec(),
            tbs: tbs_start..tbs_start + tbs.raw.len(),
            responder,
            produced_at,
            responses,
            nonce,
            unknown_critical,
            sig_alg: alg.body.to_vec(),
            signature,
            certs,
        })))
    }
}

/// What a responder puts in one SingleResponse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SingleAnswer {
    /// The CertID as asked.
    pub cert_id: CertId,
    /// The status.
    pub status: SingleStatus,
    /// thisUpdate (Unix seconds).
    pub this_update: i64,
    /// nextUpdate (Unix seconds).
    pub next_update: Option<i64>,
}

/// The DER tbsResponseData (ResponseData) of an answer: responder by key hash, producedAt,
/// the single responses, and the nonce extension echoed when given.
pub fn response_data_der(responder_key_sha1: &[u8], produced_at: i64, answers: &[SingleAnswer], nonce: Option<&Extension>) -> Vec<u8> {
    let singles: Vec<Vec<u8>> = answers
        .iter()
        .map(|a| {
            let status = match a.status {
                SingleStatus::Good => vec![0x80, 0x00],
                SingleStatus::Unknown => vec![0x82, 0x00],
                SingleStatus::Revoked { time, reason } => {
                    let t = generalized_time_der(time);
                    match reason {
                        Some(c) => der::tlv(0xa1, &[&t, &der::tlv(0xa0, &[&[0x0a, 0x01, c]])]),
                        None => der::tlv(0xa1, &[&t]),
                    }
                }
            };
            let this = generalized_time_der(a.this_update);
            let next = a.next_update.map(|n| der::tlv(0xa0, &[&generalized_time_der(n)])).unwrap_or_default();
            der::tlv(0x30, &[&a.cert_id.to_der(), &status, &this, &next])
        })
        .collect();
    let parts: Vec<&[u8]> = singles.iter().map(Vec::as_slice).collect();
    let responses = der::tlv(0x30, &parts);
    let responder = der::tlv(0xa2, &[&der::tlv(0x04, &[responder_key_sha1])]);
    let produced = generalized_time_der(produced_at);
    let exts = nonce.map(|n| der::tlv(0xa1, &[&encode_extensions(std::slice::from_ref(n))])).unwrap_or_default();
    der::tlv(0x30, &[&responder, &produced, &responses, &exts])
}

/// A successful OCSPResponse around a signed ResponseData.
pub fn basic_response_der(tbs: &[u8], sig_alg_der: &[u8], signature: &[u8], certs: &[&[u8]]) -> Vec<u8> {
    let bits = {
        let mut b = Vec::with_capacity(signature.len() + 1);
        b.push(0);
        b.extend_from_slice(signature);
        der::tlv(0x03, &[&b])
    };
    let certs = if certs.is_empty() { Vec::new() } else { der::tlv(0xa0, &[&der::tlv(0x30, certs)]) };
    let basic = der::tlv(0x30, &[tbs, sig_alg_der, &bits, &certs]);
    let rb = der::tlv(0x30, &[&der::tlv(0x06, &[OID_OCSP_BASIC.as_bytes()]), &der::tlv(0x04, &[&basic])]);
    der::tlv(0x30, &[&[0x0a, 0x01, 0x00], &der::tlv(0xa0, &[&rb])])
}

/// The URLs of an authorityInfoAccess extension value for `method` (id-ad-ocsp or
/// id-ad-caIssuers), uniformResourceIdentifier names only.
pub fn aia_urls(value: &[u8], method: ObjectIdentifier) -> Vec<String> {
    let Ok(seq) = der::read_all(value) else { return Vec::new() };
    let Ok(items) = der::children(seq.body, MAX_EXTENSIONS, "too many access descriptions") else { return Vec::new() };
    let mut out = Vec::new();
    for ad in items {
        let Ok((oid, r)) = der::expect(ad.body, 0x06, "accessMethod") else { continue };
        if oid.body != method.as_bytes() {
            continue;
        }
        if let Ok(name) = der::read_all(r) {
            if name.tag == 0x86 {
                if let Ok(s) = std::str::from_utf8(name.body) {
                    out.push(s.to_string());
                }
            }
        }
    }
    out
}

/// The DER value of an authorityInfoAccess extension with the given OCSP and caIssuers URLs.
pub fn aia_value(ocsp: &[String], ca_issuers: &[String]) -> Vec<u8> {
    let mut ads: Vec<Vec<u8>> = Vec::new();
    for (method, urls) in [(OID_AD_OCSP, ocsp), (OID_AD_CA_ISSUERS, ca_issuers)] {
        for u in urls {
            ads.push(der::tlv(0x30, &[&der::tlv(0x06, &[method.as_bytes()]), &der::tlv(0x86, &[u.as_bytes()])]));
        }
    }
    let parts: Vec<&[u8]> = ads.iter().map(Vec::as_slice).collect();
    der::tlv(0x30, &parts)
}

/// The OCSP and CRL URLs (http only) of a DER certificate: (OCSP from authorityInfoAccess, CRL
/// distribution points' fullName URIs).
pub fn certificate_urls(cert_der: &[u8]) -> (Vec<String>, Vec<String>) {
    use x509_parser::prelude::*;
    let Ok((_, c)) = X509Certificate::from_der(cert_der) else { return (Vec::new(), Vec::new()) };
    let mut ocsp = Vec::new();
    let mut crl = Vec::new();
    for e in c.extensions() {
        match e.oid.to_id_string().as_str() {
            "1.3.6.1.5.5.7.1.1" => ocsp.extend(aia_urls(e.value, OID_AD_OCSP)),
            "2.5.29.31" => {
                if let ParsedExtension::CRLDistributionPoints(dps) = e.parsed_extension() {
                    for dp in dps.iter() {
                        if let Some(x509_parser::extensions::DistributionPointName::FullName(names)) = &dp.distribution_point {
                            for n in names {
                                if let GeneralName::URI(u) = n {
                                    crl.push(u.to_string());
                                }
                            }
                        }
                    }
                }
            }
            _ => {}
        }
    }
    let http = |v: Vec<String>| v.into_iter().filter(|u| u.starts_with("http://")).collect::<Vec<_>>();
    (http(ocsp), http(crl))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn issuer() -> IssuerKey {
        IssuerKey { name_der: der::tlv(0x30, &[]), key_bits: vec![4, 1, 2, 3] }
    }

    #[test]
    fn request_roundtrip_with_nonce() {
        let id = CertId::new(CertIdHash::Sha1, &issuer(), &[0x01, 0x02]);
        let req = request_der(&[id.clone()], Some(b"0123456789abcdef"));
        let r = Request::from_der(&req).unwrap();
        assert_eq!(r.cert_ids, vec![id.clone()]);
        assert_eq!(r.nonce.as_deref(), Some(&b"0123456789abcdef"[..]));
        assert!(!r.signed);
        assert!(id.issued_by(&issuer()));
        let other = IssuerKey { name_der: der::tlv(0x30, &[]), key_bits: vec![4, 9] };
        assert!(!id.issued_by(&other));
    }

    #[test]
    fn response_roundtrip() {
        let id = CertId::new(CertIdHash::Sha256, &issuer(), &[0x05]);
        let answers = [
            SingleAnswer { cert_id: id.clone(), status: SingleStatus::Good, this_update: 1_800_000_000, next_update: Some(1_800_086_400) },
            SingleAnswer { cert_id: id.clone(), status: SingleStatus::Revoked { time: 1_700_000_000, reason: Some(1) }, this_update: 1_800_000_000, next_update: None },
            SingleAnswer { cert_id: id.clone(), status: SingleStatus::Unknown, this_update: 1_800_000_000, next_update: None },
        ];
        let nonce = nonce_extension(b"abc");
        let tbs = response_data_der(&[7; 20], 1_800_000_001, &answers, Some(&nonce));
        let resp = basic_response_der(&tbs, &[0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02], &[1, 2, 3], &[]);
        let Response::Basic(b) = Response::from_der(&resp).unwrap() else { panic!("not basic") };
        assert_eq!(b.tbs_bytes(), tbs.as_slice());
        assert_eq!(b.responder, ResponderId::ByKey(vec![7; 20]));
        assert_eq!(b.produced_at, 1_800_000_001);
        assert_eq!(b.nonce.as_deref(), Some(&b"abc"[..]));
        assert_eq!(b.signature, vec![1, 2, 3]);
        assert_eq!(b.responses.len(), 3);
        assert_eq!(b.responses[0].status, SingleStatus::Good);
        assert_eq!(b.responses[0].next_update, Some(1_800_086_400));
        assert_eq!(b.responses[1].status, SingleStatus::Revoked { time: 1_700_000_000, reason: Some(1) });
        assert_eq!(b.responses[2].status, SingleStatus::Unknown);
        assert!(b.responses[0].cert_id.same(&id));
    }

    #[test]
    fn error_statuses_and_garbage() {
        assert_eq!(Response::from_der(&error_response(ResponseStatus::TryLater)).unwrap(), Response::Error(ResponseStatus::TryLater));
        for g in [&b""[..], b"\x30", b"\x30\x00", b"\x30\x03\x0a\x01\x00", b"hello", b"\x30\x80\x00\x00"] {
            assert!(matches!(Request::from_der(g), Err(OcspError::Malformed { .. })), "{g:?}");
            assert!(Response::from_der(g).is_err(), "{g:?}");
        }
        let big = vec![0u8; MAX_REQUEST_BYTES + 1];
        assert_eq!(Request::from_der(&big), Err(OcspError::TooLarge { what: "request", limit: MAX_REQUEST_BYTES }));
    }

    #[test]
    fn aia_roundtrip() {
        let v = aia_value(&["http://127.0.0.1/ocsp".into()], &["http://127.0.0.1/ca.crt".into()]);
        assert_eq!(aia_urls(&v, OID_AD_OCSP), vec!["http://127.0.0.1/ocsp".to_string()]);
        assert_eq!(aia_urls(&v, OID_AD_CA_ISSUERS), vec!["http://127.0.0.1/ca.crt".to_string()]);
    }
}
