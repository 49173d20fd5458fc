//! The fixed words of the human report in Vietnamese and English, times in Vietnam time, names
//! as a reader recognises them, and the rendering context of findings ([`Ctx`]).

use super::{Lang, SubIndication};
use crate::findings::{Name, NameParts};
use crate::util::VIETNAM;
use time::OffsetDateTime;

/// The fixed words of the report.
pub(super) struct Words {
    pub document: &'static str,
    pub result: &'static str,
    pub reason: &'static str,
    pub detail: &'static str,
    pub signature: &'static str,
    pub signatures: &'static str,
    pub signer: &'static str,
    pub identifier: &'static str,
    pub unit: &'static str,
    pub issuing_ca: &'static str,
    pub signing_time: &'static str,
    pub claimed: &'static str,
    pub integrity: &'static str,
    pub intact: &'static str,
    pub modified: &'static str,
    pub not_checked: &'static str,
    pub cert_validity: &'static str,
    pub from: &'static str,
    pub to: &'static str,
    pub covered_yes: &'static str,
    pub covered_no: &'static str,
    pub revocation: &'static str,
    pub rev_good: &'static str,
    /// Said next to VALID when revocation was not checked (`--revocation warn/off`).
    pub unchecked_note: &'static str,
    pub rev_revoked: &'static str,
    pub rev_unknown: &'static str,
    pub rev_off: &'static str,
    pub algorithm: &'static str,
    pub warning: &'static str,
    pub chain: &'static str,
    pub none: &'static str,
    pub summary: &'static str,
    pub checked_at: &'static str,
    pub passed: &'static str,
    pub failed: &'static str,
    pub indeterminate: &'static str,
    pub n_passed: &'static str,
    pub n_failed: &'static str,
    pub n_indeterminate: &'static str,
    pub subject_dn: &'static str,
    pub issuer_dn: &'static str,
    pub serial: &'static str,
    pub checks: &'static str,
    pub documents: &'static str,
}

pub(super) const VI: Words = Words {
    document: "Tài liệu",
    result: "Kết quả",
    reason: "Lý do",
    detail: "Chi tiết",
    signature: "Chữ ký",
    signatures: "Số chữ ký",
    signer: "Người ký",
    identifier: "Mã định danh",
    unit: "Đơn vị",
    issuing_ca: "Tổ chức cấp chứng thư số (CA)",
    signing_time: "Thời điểm ký",
    claimed: "do người ký khai báo",
    integrity: "Tính toàn vẹn",
    intact: "nội dung còn nguyên vẹn, không bị thay đổi sau khi ký",
    modified: "nội dung ĐÃ BỊ THAY ĐỔI sau khi ký",
    not_checked: "không kiểm tra được",
    cert_validity: "Thời hạn chứng thư số",
    from: "từ",
    to: "đến",
    covered_yes: "còn hiệu lực tại thời điểm ký",
    covered_no: "KHÔNG có hiệu lực tại thời điểm ký",
    revocation: "Tình trạng thu hồi",
    rev_good: "chưa bị thu hồi (đã kiểm tra CRL hoặc phản hồi OCSP)",
    unchecked_note: "CHƯA KIỂM TRA tình trạng thu hồi",
    rev_revoked: "ĐÃ BỊ THU HỒI",
    rev_unknown: "không kiểm tra được (không có CRL hoặc phản hồi OCSP dùng được)",
    rev_off: "không kiểm tra (đã tắt)",
    algorithm: "Thuật toán",
    warning: "Cảnh báo",
    chain: "Chuỗi chứng thư",
    none: "(không có)",
    summary: "Tổng hợp",
    checked_at: "Thời điểm kiểm tra",
    passed: "HỢP LỆ",
    failed: "KHÔNG HỢP LỆ",
    indeterminate: "CHƯA XÁC ĐỊNH ĐƯỢC",
    n_passed: "hợp lệ",
    n_failed: "không hợp lệ",
    n_indeterminate: "chưa xác định được",
    subject_dn: "Tên đầy đủ (DN)",
    issuer_dn: "Tên đầy đủ của CA (DN)",
    serial: "Số hiệu chứng thư số",
    checks: "Các bước kiểm tra",
    documents: "tài liệu",
};

pub(super) const EN: Words = Words {
    document: "Document",
    result: "Result",
    reason: "Reason",
    detail: "Detail",
    signature: "Signature",
    signatures: "Signatures",
    signer: "Signer",
    identifier: "Identifier",
    unit: "Unit",
    issuing_ca: "Issuing CA",
    signing_time: "Signing time",
    claimed: "claimed by the signer",
    integrity: "Integrity",
    intact: "intact, not modified since signing",
    modified: "MODIFIED after signing",
    not_checked: "could not be checked",
    cert_validity: "Certificate validity",
    from: "from",
    to: "to",
    covered_yes: "valid at the signing time",
    covered_no: "NOT valid at the signing time",
    revocation: "Revocation",
    rev_good: "not revoked (checked against a CRL or an OCSP answer)",
    unchecked_note: "revocation NOT CHECKED",
    rev_revoked: "REVOKED",
    rev_unknown: "could not be checked (no usable CRL or OCSP answer)",
    rev_off: "not checked (switched off)",
    algorithm: "Algorithm",
    warning: "Warning",
    chain: "Chain",
    none: "(none)",
    summary: "Summary",
    checked_at: "Validation time",
    passed: "VALID",
    failed: "INVALID",
    indeterminate: "INDETERMINATE",
    n_passed: "valid",
    n_failed: "invalid",
    n_indeterminate: "indeterminate",
    subject_dn: "Distinguished name",
    issuer_dn: "CA distinguished name",
    serial: "Certificate serial number",
    checks: "Checks",
    documents: "documents",
};

pub(super) fn words(lang: Lang) -> &'static Words {
    match lang {
        Lang::Vi => &VI,
        Lang::En => &EN,
    }
}

/// A one-line explanation of a sub-indication.
pub fn explain(sub: SubIndication, lang: Lang) -> &'static str {
    use SubIndication::*;
    match lang {
        Lang::Vi => match sub {
            FormatFailure => "tệp chữ ký sai định dạng hoặc thiếu thành phần bắt buộc",
            HashFailure => "giá trị băm của tài liệu không khớp với giá trị đã ký (tài liệu đã bị sửa)",
            SigCryptoFailure => "giá trị chữ ký không đúng với khóa công khai của người ký",
            Revoked => "chứng thư số đã bị thu hồi",
            RevokedNoPoe => "chứng thư số bị thu hồi và không có bằng chứng chữ ký có trước thời điểm thu hồi",
            OutOfBoundsNoPoe => "chứng thư số đã hết hạn tại thời điểm kiểm tra và không có bằng chứng chữ ký có trước đó",
            NotYetValid => "chứng thư số chưa có hiệu lực tại thời điểm kiểm tra",
            NoCertificateChainFound => "không xây dựng được chuỗi chứng thư tới CA tin cậy",
            ChainConstraintsFailure => "chứng thư số không đáp ứng ràng buộc (mục đích sử dụng khóa, EKU, chứng thư CA, độ dài chuỗi)",
            CertificateChainGeneralFailure => "lỗi khi kiểm tra chuỗi chứng thư",
            CryptoConstraintsFailure => "thuật toán hoặc độ dài khóa không được chính sách cho phép",
            SigConstraintsFailure => "chữ ký không đáp ứng ràng buộc kiểm tra (thuộc tính ký; với PDF: tệp bị thay đổi sau khi ký)",
            NoSigningCertificateFound => "không tìm thấy chứng thư số của người ký, hoặc chứng thư không khớp thuộc tính signing-certificate",
            TryLater => "không có thông tin thu hồi (CRL, OCSP) dùng được; hãy kiểm tra lại khi có CRL mới hoặc máy chủ OCSP trả lời được",
            SignedDataNotFound => "không lấy được dữ liệu đã ký (tệp được mã hóa và không đọc được cấu trúc khi không có khóa)",
        },
        Lang::En => match sub {
            FormatFailure => "the signature file is malformed or lacks a mandatory element",
            HashFailure => "the document's digest differs from the signed digest (the document was modified)",
            SigCryptoFailure => "the signature value does not verify with the signer's public key",
            Revoked => "the certificate was revoked",
            RevokedNoPoe => "the certificate was revoked and nothing proves the signature existed before",
            OutOfBoundsNoPoe => "a certificate had expired at the validation time and nothing proves the signature existed before",
            NotYetValid => "a certificate was not yet valid at the validation time",
            NoCertificateChainFound => "no certificate path to a trusted CA",
            ChainConstraintsFailure => "the certificate violates a constraint (key usage, EKU, CA certificate as signer, path length)",
            CertificateChainGeneralFailure => "certificate path validation failed",
            CryptoConstraintsFailure => "an algorithm or key size is not allowed by the policy",
            SigConstraintsFailure => "the signature does not meet a validation constraint (a signed attribute; for a PDF: the file was changed after signing)",
            NoSigningCertificateFound => "the signer certificate is missing or does not match the signing-certificate attribute",
            TryLater => "no usable revocation information (CRL, OCSP); try again when a fresh CRL is available or the OCSP responder answers",
            SignedDataNotFound => "the signed data cannot be obtained (the file is encrypted and its structure cannot be read without its key)",
        },
    }
}

/// Text from a certificate or a file name, made safe to print: control characters (line
/// breaks, terminal escapes) and bidirectional overrides are replaced by U+FFFD, so that a
/// crafted name cannot forge a line of the report or reorder what the reader sees.
pub(crate) fn clean(s: &str) -> String {
    s.chars()
        .map(|c| {
            let bidi = matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
            if c.is_control() || bidi {
                '\u{fffd}'
            } else {
                c
            }
        })
        .collect()
}

/// RFC 3339 text of a time (as the JSON writes times).
pub use crate::util::rfc3339;

/// A time in Vietnam time: `30/11/2026 06:30:27` (vi) or `2026-11-30 06:30:27` (en), followed
/// by ` (+07:00)` / ` +07:00` when `zone` is set.
pub(crate) fn format_local(d: OffsetDateTime, lang: Lang, zone: bool) -> String {
    let d = d.to_offset(VIETNAM);
    let (y, m, day) = (d.year(), u8::from(d.month()), d.day());
    let (h, min, s) = (d.hour(), d.minute(), d.second());
    match (lang, zone) {
        (Lang::Vi, true) => format!("{day:02}/{m:02}/{y:04} {h:02}:{min:02}:{s:02} (+07:00)"),
        (Lang::Vi, false) => format!("{day:02}/{m:02}/{y:04} {h:02}:{min:02}:{s:02}"),
        (Lang::En, true) => format!("{y:04}-{m:02}-{day:02} {h:02}:{min:02}:{s:02} +07:00"),
        (Lang::En, false) => format!("{y:04}-{m:02}-{day:02} {h:02}:{min:02}:{s:02}"),
    }
}

/// A validity period in Vietnam time, the zone said once: `từ A đến B (+07:00)`.
pub(crate) fn local_period(from: OffsetDateTime, to: OffsetDateTime, lang: Lang) -> String {
    let w = words(lang);
    let zone = if lang == Lang::Vi { " (+07:00)" } else { " +07:00" };
    format!("{} {} {} {}{zone}", w.from, format_local(from, lang, false), w.to, format_local(to, lang, false))
}

/// How findings are rendered: the language, whether for a human reader (Vietnam time, short
/// names) or for the JSON (RFC 3339 UTC times, full distinguished names), and the signer (a
/// revocation of the signer's own certificate is said without naming it again).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ctx<'a> {
    /// The language.
    pub lang: Lang,
    /// For a human reader.
    pub human: bool,
    /// The signer whose report this is, if any.
    pub signer: Option<&'a Name>,
}

impl<'a> Ctx<'a> {
    /// The context of the JSON `detail` texts.
    pub(crate) const JSON: Ctx<'static> = Ctx { lang: Lang::En, human: false, signer: None };

    /// The context of a human report in `lang`.
    pub(crate) fn human(lang: Lang, signer: Option<&'a Name>) -> Ctx<'a> {
        Ctx { lang, human: true, signer }
    }

    /// A time.
    pub(crate) fn time(&self, t: OffsetDateTime) -> String {
        if self.human {
            format_local(t, self.lang, true)
        } else {
            rfc3339(t)
        }
    }

    /// A period "A to B" (en) / "từ A đến B" (vi).
    pub(crate) fn period(&self, from: OffsetDateTime, to: OffsetDateTime) -> String {
        if self.human {
            local_period(from, to, self.lang)
        } else {
            format!("{} to {}", rfc3339(from), rfc3339(to))
        }
    }

    /// A name: the short form for a reader, the whole DN for the JSON.
    pub(crate) fn name(&self, n: &Name) -> String {
        if self.human {
            clean(n.short())
        } else {
            clean(&n.dn)
        }
    }

}

/// "CN — title — O" for a signer (title and O when present and different from the CN).
pub(crate) fn person_line(n: &Name) -> String {
    let p: &NameParts = &n.parts;
    let Some(cn) = &p.common_name else { return clean(n.short()) };
    let mut parts = vec![clean(cn)];
    if let Some(t) = &p.title {
        parts.push(clean(t));
    }
    if let Some(o) = p.organization.as_ref().filter(|o| *o != cn) {
        parts.push(clean(o));
    }
    parts.join(" — ")
}

/// "CN — O" for a CA (O when present and different from the CN).
pub(crate) fn ca_line(n: &Name) -> String {
    let p = &n.parts;
    let Some(cn) = &p.common_name else { return clean(n.short()) };
    match p.organization.as_ref().filter(|o| *o != cn) {
        Some(o) => format!("{} — {}", clean(cn), clean(o)),
        None => clean(cn),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(dn: &str, cn: Option<&str>, title: Option<&str>, o: Option<&str>) -> Name {
        let parts = NameParts {
            common_name: cn.map(Into::into),
            title: title.map(Into::into),
            organization: o.map(Into::into),
            ..NameParts::default()
        };
        Name { dn: dn.into(), parts }
    }

    #[test]
    fn times_are_shown_in_vietnam_time() {
        let t = time::macros::datetime!(2026-11-29 23:30:27 UTC);
        assert_eq!(format_local(t, Lang::Vi, true), "30/11/2026 06:30:27 (+07:00)");
        assert_eq!(format_local(t, Lang::En, true), "2026-11-30 06:30:27 +07:00");
        assert_eq!(rfc3339(t), "2026-11-29T23:30:27Z");
        let a = time::macros::datetime!(2026-01-01 00:00:00 UTC);
        let b = time::macros::datetime!(2031-01-01 00:00:00 UTC);
        assert_eq!(local_period(a, b, Lang::Vi), "từ 01/01/2026 07:00:00 đến 01/01/2031 07:00:00 (+07:00)");
        assert_eq!(Ctx::JSON.period(a, b), "2026-01-01T00:00:00Z to 2031-01-01T00:00:00Z");
    }

    #[test]
    fn names_are_shortened_and_cleaned() {
        let dn = "C=VN, ST=Bắc Ninh, O=Sở Y tế tỉnh Bắc Ninh, title=Giám đốc, CN=Trần Thị Bình";
        let p = name(dn, Some("Trần Thị Bình"), Some("Giám đốc"), Some("Sở Y tế"));
        assert_eq!(p.short(), "Trần Thị Bình");
        assert_eq!(person_line(&p), "Trần Thị Bình — Giám đốc — Sở Y tế");
        assert_eq!(ca_line(&p), "Trần Thị Bình — Sở Y tế");
        let agency = name("", Some("Sở Y tế"), None, Some("Sở Y tế"));
        assert_eq!(person_line(&agency), "Sở Y tế");
        let only_o = name("C=VN, O=Chỉ có O", None, None, Some("Chỉ có O"));
        assert_eq!(only_o.short(), "Chỉ có O");
        assert_eq!(person_line(&only_o), "Chỉ có O");
        let nothing = name("2.5.4.97=x", None, None, None);
        assert_eq!(nothing.short(), "2.5.4.97=x");
        assert_eq!(Ctx::human(Lang::Vi, None).name(&p), "Trần Thị Bình");
        assert_eq!(Ctx::JSON.name(&p), dn);
        // A crafted name cannot start a new line of the report or reorder the text.
        assert_eq!(clean("A\nKết quả: HỢP LỆ\u{1b}[2J\u{202e}"), "A\u{fffd}Kết quả: HỢP LỆ\u{fffd}[2J\u{fffd}");
    }
}
