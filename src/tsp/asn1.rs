//! RFC 3161 ASN.1 types (module PKIXTSP, `DEFINITIONS IMPLICIT TAGS`), with der 0.8 derives.
//!
//! `x509-tsp` 0.1 is tied to der 0.7, so these are written here. Decoding is strict DER
//! (`from_der` rejects trailing bytes and non-minimal encodings).

use der::asn1::{Any, GeneralizedTime, Int, ObjectIdentifier, OctetString, Utf8StringRef};
use der::{DecodeValue, EncodeValue, FixedTag, Header, Length, Reader, Sequence, Tag, Writer};
use spki::AlgorithmIdentifierOwned;
use std::time::Duration;
use x509_cert::ext::pkix::name::GeneralName;
use x509_cert::ext::Extensions;

/// ```text
/// MessageImprint ::= SEQUENCE  {
///      hashAlgorithm                AlgorithmIdentifier,
///      hashedMessage                OCTET STRING  }
/// ```
/// The algorithm identifier is kept as received (absent or NULL parameters alike), so that a
/// server copies it exactly into its TSTInfo.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct MessageImprint {
    /// The hash algorithm.
    pub hash_algorithm: AlgorithmIdentifierOwned,
    /// The hash of the data being timestamped.
    pub hashed_message: OctetString,
}

/// ```text
/// TimeStampReq ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    messageImprint               MessageImprint,
///    reqPolicy             TSAPolicyId              OPTIONAL,
///    nonce                 INTEGER                  OPTIONAL,
///    certReq               BOOLEAN                  DEFAULT FALSE,
///    extensions            [0] IMPLICIT Extensions  OPTIONAL  }
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampReq {
    /// Always 1.
    pub version: u8,
    /// What is timestamped.
    pub message_imprint: MessageImprint,
    /// The policy the client asks for.
    pub req_policy: Option<ObjectIdentifier>,
    /// A nonce the server must echo.
    pub nonce: Option<Int>,
    /// Whether the TSA certificate must be included in the token.
    #[asn1(default = "Default::default")]
    pub cert_req: bool,
    /// Request extensions (kyso's server accepts none).
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// ```text
/// PKIStatusInfo ::= SEQUENCE {
///     status        PKIStatus,
///     statusString  PKIFreeText     OPTIONAL,
///     failInfo      PKIFailureInfo  OPTIONAL  }
/// PKIFreeText ::= SEQUENCE SIZE (1..MAX) OF UTF8String
/// ```
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct PkiStatusInfo<'a> {
    /// PKIStatus: 0 granted, 1 grantedWithMods, 2 rejection, 3 waiting, 4 revocationWarning,
    /// 5 revocationNotification.
    pub status: u8,
    /// Free text for a human.
    pub status_string: Option<Vec<Utf8StringRef<'a>>>,
    /// PKIFailureInfo bits.
    pub fail_info: Option<der::asn1::BitStringRef<'a>>,
}

/// ```text
/// TimeStampResp ::= SEQUENCE  {
///      status                  PKIStatusInfo,
///      timeStampToken          TimeStampToken     OPTIONAL  }
/// TimeStampToken ::= ContentInfo
/// ```
/// The token is kept as an opaque [`Any`] so that its bytes are exactly the server's.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TimeStampResp<'a> {
    /// The status.
    pub status: PkiStatusInfo<'a>,
    /// The token (a CMS ContentInfo holding SignedData), present when granted.
    pub time_stamp_token: Option<Any>,
}

/// ```text
/// Accuracy ::= SEQUENCE {
///       seconds        INTEGER              OPTIONAL,
///       millis     [0] INTEGER  (1..999)    OPTIONAL,
///       micros     [1] INTEGER  (1..999)    OPTIONAL  }
/// ```
#[derive(Clone, Copy, Debug, Eq, PartialEq, Sequence)]
pub struct Accuracy {
    /// Whole seconds.
    pub seconds: Option<u32>,
    /// Milliseconds (1..999).
    #[asn1(context_specific = "0", tag_mode = "IMPLICIT", optional = "true")]
    pub millis: Option<u16>,
    /// Microseconds (1..999).
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub micros: Option<u16>,
}

impl Accuracy {
    /// The accuracy as a duration (values out of their range are treated as given).
    pub fn as_duration(&self) -> Duration {
        Duration::from_secs(u64::from(self.seconds.unwrap_or(0)))
            + Duration::from_millis(u64::from(self.millis.unwrap_or(0)))
            + Duration::from_micros(u64::from(self.micros.unwrap_or(0)))
    }
}

/// ```text
/// TSTInfo ::= SEQUENCE  {
///    version                      INTEGER  { v1(1) },
///    policy                       TSAPolicyId,
///    messageImprint               MessageImprint,
///    serialNumber                 INTEGER,
///    genTime                      GeneralizedTime,
///    accuracy                     Accuracy                 OPTIONAL,
///    ordering                     BOOLEAN             DEFAULT FALSE,
///    nonce                        INTEGER                  OPTIONAL,
///    tsa                          [0] GeneralName          OPTIONAL,
///    extensions                   [1] IMPLICIT Extensions   OPTIONAL  }
/// ```
/// `tsa` is a CHOICE, hence EXPLICIT despite the module's implicit tagging.
#[derive(Clone, Debug, Eq, PartialEq, Sequence)]
pub struct TstInfo {
    /// Always 1.
    pub version: u8,
    /// The TSA's policy.
    pub policy: ObjectIdentifier,
    /// Copied from the request.
    pub message_imprint: MessageImprint,
    /// Unique per TSA, positive.
    pub serial_number: Int,
    /// The time, possibly with a fraction of a second.
    pub gen_time: GenTime,
    /// Accuracy of `gen_time`.
    pub accuracy: Option<Accuracy>,
    /// Whether tokens of this TSA can be ordered by `gen_time` alone.
    #[asn1(default = "Default::default")]
    pub ordering: bool,
    /// Copied from the request.
    pub nonce: Option<Int>,
    /// The TSA's name.
    #[asn1(context_specific = "0", tag_mode = "EXPLICIT", optional = "true")]
    pub tsa: Option<GeneralName>,
    /// Extensions.
    #[asn1(context_specific = "1", tag_mode = "IMPLICIT", optional = "true")]
    pub extensions: Option<Extensions>,
}

/// A GeneralizedTime with an optional fraction of a second, as RFC 3161 §2.4.2 allows:
/// `YYYYMMDDHHMMSS[.f...]Z`, no trailing zeros in the fraction, no `.` without digits.
/// (der's own [`GeneralizedTime`] follows RFC 5280 and rejects fractions, which real TSAs send.)
#[derive(Clone, Copy, Debug, Eq, PartialEq, Ord, PartialOrd, Hash)]
pub struct GenTime {
    unix_secs: u64,
    nanos: u32,
}

/// Longest fraction accepted: nanoseconds (9 digits). No TSA claims better.
const MAX_FRACTION_DIGITS: usize = 9;

impl GenTime {
    /// From a time, truncated to `precision_digits` decimal digits of a second (0–9). Times
    /// before 1970 or after 9999 are out of range.
    pub fn from_time(t: time::OffsetDateTime, precision_digits: u32) -> Option<GenTime> {
        let unix_secs = u64::try_from(t.unix_timestamp()).ok()?;
        let p = precision_digits.min(9);
        let unit = 10u32.pow(9 - p);
        let g = GenTime { unix_secs, nanos: t.nanosecond() / unit * unit };
        // 9999-12-31T23:59:59Z
        (g.unix_secs <= 253_402_300_799).then_some(g)
    }

    /// The time as a time value (UTC).
    pub fn to_offset_date_time(self) -> time::OffsetDateTime {
        let secs = i64::try_from(self.unix_secs).unwrap_or(i64::MAX);
        time::OffsetDateTime::from_unix_timestamp(secs)
            .map(|t| t + time::Duration::nanoseconds(i64::from(self.nanos)))
            .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
    }

    /// RFC 3339 text in UTC, with the fraction when there is one.
    pub fn to_rfc3339(self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.unix_secs);
        let frac = fraction_digits(self.nanos);
        if frac.is_empty() {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
        } else {
            format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{frac}Z")
        }
    }

    fn encoded(self) -> String {
        let (y, mo, d, h, mi, s) = civil_from_unix(self.unix_secs);
        let frac = fraction_digits(self.nanos);
        let mut out = format!("{y:04}{mo:02}{d:02}{h:02}{mi:02}{s:02}");
        if !frac.is_empty() {
            out.push('.');
            out.push_str(&frac);
        }
        out.push('Z');
        out
    }

    fn parse(b: &[u8]) -> Option<GenTime> {
        if b.len() < 15 || b.last() != Some(&b'Z') {
            return None;
        }
        let num = |r: std::ops::Range<usize>| -> Option<u32> {
            let s = b.get(r)?;
            if !s.iter().all(u8::is_ascii_digit) {
                return None;
            }
            std::str::from_utf8(s).ok()?.parse().ok()
        };
        let (y, mo, d, h, mi, s) = (num(0..4)?, num(4..6)?, num(6..8)?, num(8..10)?, num(10..12)?, num(12..14)?);
        let rest = b.get(14..b.len() - 1)?;
        let nanos = match rest {
            [] => 0,
            [b'.', digits @ ..] => {
                if digits.is_empty()
                    || digits.len() > MAX_FRACTION_DIGITS
                    || digits.last() == Some(&b'0')
                    || !digits.iter().all(u8::is_ascii_digit)
                {
                    return None;
                }
                let mut n: u32 = 0;
                for (i, c) in digits.iter().enumerate() {
                    n += u32::from(c - b'0') * 10u32.pow(8 - i as u32);
                }
                n
            }
            _ => return None,
        };
        if !(1..=12).contains(&mo) || d < 1 || d > days_in_month(y, mo) || h > 23 || mi > 59 || s > 59 || y < 1970 {
            return None;
        }
        let days = days_from_civil(y, mo, d);
        Some(GenTime { unix_secs: days * 86_400 + u64::from(h * 3600 + mi * 60 + s), nanos })
    }
}

fn fraction_digits(nanos: u32) -> String {
    if nanos == 0 {
        return String::new();
    }
    let s = format!("{nanos:09}");
    s.trim_end_matches('0').to_string()
}

fn is_leap(y: u32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: u32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        _ => 28,
    }
}

/// Days since 1970-01-01 for a date from 1970 on (H. Hinnant's algorithm).
fn days_from_civil(y: u32, m: u32, d: u32) -> u64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468).max(0) as u64
}

fn civil_from_unix(secs: u64) -> (u32, u32, u32, u32, u32, u32) {
    let days = (secs / 86_400) as i64;
    let sod = (secs % 86_400) as u32;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as u32;
    (y, m, d, sod / 3600, sod % 3600 / 60, sod % 60)
}

impl<'a> DecodeValue<'a> for GenTime {
    type Error = der::Error;

    fn decode_value<R: Reader<'a>>(reader: &mut R, header: Header) -> der::Result<Self> {
        let len = usize::try_from(header.length())?;
        // 15 characters without a fraction, at most 1 + MAX_FRACTION_DIGITS more.
        if !(15..=16 + MAX_FRACTION_DIGITS).contains(&len) {
            return Err(reader.error(Tag::GeneralizedTime.value_error()));
        }
        let mut buf = [0u8; 16 + MAX_FRACTION_DIGITS];
        let slot = buf.get_mut(..len).ok_or_else(|| reader.error(Tag::GeneralizedTime.value_error()))?;
        reader.read_into(slot)?;
        GenTime::parse(slot).ok_or_else(|| reader.error(Tag::GeneralizedTime.value_error()))
    }
}

impl EncodeValue for GenTime {
    fn value_len(&self) -> der::Result<Length> {
        Length::try_from(self.encoded().len())
    }

    fn encode_value(&self, writer: &mut impl Writer) -> der::Result<()> {
        writer.write(self.encoded().as_bytes())
    }
}

impl FixedTag for GenTime {
    const TAG: Tag = Tag::GeneralizedTime;
}

impl From<GeneralizedTime> for GenTime {
    fn from(t: GeneralizedTime) -> Self {
        let d = t.to_unix_duration();
        GenTime { unix_secs: d.as_secs(), nanos: 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use der::{Decode, Encode};

    fn enc(s: &str) -> Vec<u8> {
        let mut v = vec![0x18, s.len() as u8];
        v.extend_from_slice(s.as_bytes());
        v
    }

    #[test]
    fn gentime_round_trips_with_and_without_fraction() {
        for s in ["20261130063027Z", "20261130063027.5Z", "20261130063027.123Z", "20000229235959.000001Z"] {
            let t = GenTime::from_der(&enc(s)).unwrap_or_else(|e| panic!("{s}: {e}"));
            assert_eq!(t.to_der().unwrap(), enc(s), "{s}");
        }
        let t = GenTime::from_der(&enc("20261130063027.25Z")).unwrap();
        assert_eq!(t.to_rfc3339(), "2026-11-30T06:30:27.25Z");
        assert_eq!(t.to_offset_date_time().unix_timestamp_nanos(), 1_796_020_227_250_000_000);
    }

    #[test]
    fn gentime_rejects_non_der_forms() {
        for s in [
            "20261130063027.50Z", // trailing zero
            "20261130063027.Z",   // dot without digits
            "20261130063027",     // no Z
            "202611300630Z",      // no seconds
            "20261130063027+0700",
            "20261330063027Z", // month 13
            "20260230063027Z", // 30 February
            "20261130063027.1234567891Z", // 10 fraction digits
            "2026113006302aZ",
        ] {
            assert!(GenTime::from_der(&enc(s)).is_err(), "{s} accepted");
        }
    }

    #[test]
    fn gentime_from_time_truncates_to_precision() {
        let at = |nanos: i128| time::OffsetDateTime::from_unix_timestamp_nanos(1_796_020_227_000_000_000 + nanos).unwrap();
        let g = GenTime::from_time(at(123_456_789), 3).unwrap();
        assert_eq!(g.to_der().unwrap(), enc("20261130063027.123Z"));
        let g = GenTime::from_time(at(100_000_000), 3).unwrap();
        assert_eq!(g.to_der().unwrap(), enc("20261130063027.1Z"));
        let g = GenTime::from_time(at(999_999), 3).unwrap();
        assert_eq!(g.to_der().unwrap(), enc("20261130063027Z"));
        assert_eq!(GenTime::from_time(time::OffsetDateTime::UNIX_EPOCH - time::Duration::seconds(1), 3), None);
    }

    #[test]
    fn civil_conversion_matches_known_dates() {
        assert_eq!(civil_from_unix(0), (1970, 1, 1, 0, 0, 0));
        assert_eq!(civil_from_unix(951_782_400), (2000, 2, 29, 0, 0, 0));
        assert_eq!(days_from_civil(2000, 2, 29), 11_016);
        for secs in [0u64, 86_399, 951_782_400, 1_796_020_227, 4_102_444_800] {
            let (y, mo, d, h, mi, s) = civil_from_unix(secs);
            assert_eq!(days_from_civil(y, mo, d) * 86_400 + u64::from(h * 3600 + mi * 60 + s), secs);
        }
    }
}
