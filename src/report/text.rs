//! The words of the human report in Vietnamese and English, times in Vietnam time, short names
//! from distinguished names, and the Vietnamese rendering of the verifier's English details.
//!
//! The verifier writes its check details and warnings in English (they go to the JSON as they
//! are, for logs and scripts). The Vietnamese report translates the ones it knows by their
//! stable shape; anything else is shown as a technical detail, labelled as English.

use super::{Lang, NameParts, SubIndication};
use crate::util::VIETNAM;

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
    rev_good: "chưa bị thu hồi (đã kiểm tra CRL)",
    rev_revoked: "ĐÃ BỊ THU HỒI",
    rev_unknown: "không kiểm tra được (không có CRL dùng được)",
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
    rev_good: "not revoked (checked against a CRL)",
    rev_revoked: "REVOKED",
    rev_unknown: "could not be checked (no usable CRL)",
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
            TryLater => "không có thông tin thu hồi (CRL) dùng được; hãy kiểm tra lại khi có CRL mới",
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
            TryLater => "no usable revocation information (CRL); try again when a fresh CRL is available",
        },
    }
}

/// Text from a certificate or a file name, made safe to print: control characters (line
/// breaks, terminal escapes) and bidirectional overrides are replaced by U+FFFD, so that a
/// crafted name cannot forge a line of the report or reorder what the reader sees.
pub(super) fn clean(s: &str) -> String {
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

/// Parses an RFC 3339 time of the report.
pub(super) fn parse_time(t: &str) -> Option<time::OffsetDateTime> {
    time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).ok()
}

/// A time in Vietnam time: `30/11/2026 06:30:27` (vi) or `2026-11-30 06:30:27` (en), followed
/// by ` (+07:00)` / ` +07:00` when `zone` is set. Text that is not an RFC 3339 time is
/// returned cleaned, unchanged otherwise.
pub(super) fn local_time(t: &str, lang: Lang, zone: bool) -> String {
    let Some(d) = parse_time(t) else { return clean(t) };
    format_local(d, lang, zone)
}

/// [`local_time`] for a parsed time.
pub(super) fn format_local(d: time::OffsetDateTime, lang: Lang, zone: bool) -> String {
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
pub(super) fn local_period(from: &str, to: &str, lang: Lang) -> String {
    let w = words(lang);
    let zone = if lang == Lang::Vi { " (+07:00)" } else { " +07:00" };
    match (parse_time(from), parse_time(to)) {
        (Some(a), Some(b)) => format!("{} {} {} {}{zone}", w.from, format_local(a, lang, false), w.to, format_local(b, lang, false)),
        _ => format!("{} {} {} {}", w.from, clean(from), w.to, clean(to)),
    }
}

/// Replaces every RFC 3339 UTC time (`2026-11-30T00:13:43Z`, as the verifier writes them) in
/// a detail text by its Vietnam time.
pub(super) fn localise_times(text: &str, lang: Lang) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(pos) = rest.find(|c: char| c.is_ascii_digit()) {
        let (head, tail) = rest.split_at(pos);
        out.push_str(head);
        // An RFC 3339 time written by the verifier: `YYYY-MM-DDTHH:MM:SS` + optional fraction + `Z`.
        // At most 40 bytes are looked at (the longest such time is 35), so a crafted run of
        // digits in a name cannot make this quadratic.
        let end = tail
            .bytes()
            .take(40)
            .position(|b| !(b.is_ascii_digit() || matches!(b, b'-' | b':' | b'T' | b'Z' | b'.' | b'+')))
            .unwrap_or(tail.len().min(40));
        // Punctuation after the time (": accepted …") is not part of it.
        let end = tail.get(..end).map_or(end, |c| c.trim_end_matches([':', '.', '-', '+']).len());
        let candidate = tail.get(..end).unwrap_or("");
        match parse_time(candidate) {
            Some(d) if candidate.len() >= 20 => {
                out.push_str(&format_local(d, lang, true));
                rest = tail.get(end..).unwrap_or("");
            }
            _ => {
                let step = tail.find(|c: char| !c.is_ascii_digit()).unwrap_or(tail.len());
                out.push_str(tail.get(..step).unwrap_or(""));
                rest = tail.get(step..).unwrap_or("");
            }
        }
    }
    out.push_str(rest);
    out
}

/// The attributes of a distinguished name as the verifier writes it (x509-parser's text:
/// `C=VN, O=…, CN=…`, RDNs joined by ", ", multi-valued ones by " + "). Values are not escaped
/// in that text, so a value holding ", X=" would be split: used only for names of the chain and
/// of a TSA, shown as a short name beside the full DN.
pub(super) fn dn_attributes(dn: &str) -> Vec<(&str, &str)> {
    // Split points: ", " or " + " followed by `key=`, where key is an attribute short name or
    // a dotted OID. Each is (where the separator starts, where the next attribute starts).
    let mut cuts: Vec<(usize, usize)> = Vec::new();
    for (i, _) in dn.char_indices() {
        for sep in [", ", " + "] {
            if dn.get(i..).is_some_and(|t| t.starts_with(sep)) && looks_like_key(dn.get(i + sep.len()..).unwrap_or("")) {
                cuts.push((i, i + sep.len()));
            }
        }
    }
    let starts = std::iter::once(0).chain(cuts.iter().map(|c| c.1));
    let ends = cuts.iter().map(|c| c.0).chain(std::iter::once(dn.len()));
    starts
        .zip(ends)
        .filter_map(|(s, e)| dn.get(s..e))
        .filter_map(|part| part.split_once('='))
        .collect()
}

/// Whether `t` starts with `key=`. Only the first 64 bytes are looked at (the longest dotted
/// OID of a name attribute is far shorter), so scanning a huge crafted DN stays linear.
fn looks_like_key(t: &str) -> bool {
    let head = t.as_bytes().get(..t.len().min(64)).unwrap_or(&[]);
    let Some(eq) = head.iter().position(|&b| b == b'=') else { return false };
    let key = head.get(..eq).unwrap_or(&[]);
    key.first().is_some_and(u8::is_ascii_alphanumeric) && key.iter().all(|&b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// The short name of a DN text: its last CN, else its last O, else the text itself.
pub(super) fn short_name(dn: &str) -> String {
    let attrs = dn_attributes(dn);
    let pick = |key: &str| attrs.iter().rev().find(|(k, _)| *k == key).map(|(_, v)| *v);
    clean(pick("CN").or_else(|| pick("O")).unwrap_or(dn))
}

/// "CN — title — O" for a signer (title and O when present and different from the CN).
pub(super) fn person_line(p: &NameParts, dn: &str) -> String {
    let Some(cn) = &p.common_name else { return short_name(dn) };
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
pub(super) fn ca_line(p: &NameParts, dn: &str) -> String {
    let Some(cn) = &p.common_name else { return short_name(dn) };
    match p.organization.as_ref().filter(|o| *o != cn) {
        Some(o) => format!("{} — {}", clean(cn), clean(o)),
        None => clean(cn),
    }
}

/// A signature algorithm name of the report, in the reader's language.
pub(super) fn algorithm(name: &str, lang: Lang) -> String {
    match lang {
        Lang::En => clean(name),
        Lang::Vi if name == "unknown" => "không rõ".into(),
        Lang::Vi => clean(&name.replace(" with ", " với ").replace(" bytes)", " byte)")),
    }
}

/// CRLReason (RFC 5280 §5.3.1) by its code, in the reader's language.
fn reason_text(code: u8, lang: Lang) -> String {
    let (vi, en) = match code {
        0 => ("không nêu lý do", "unspecified"),
        1 => ("lộ khóa bí mật", "keyCompromise"),
        2 => ("CA bị lộ khóa", "cACompromise"),
        3 => ("thay đổi đơn vị công tác", "affiliationChanged"),
        4 => ("được thay thế bằng chứng thư mới", "superseded"),
        5 => ("ngừng hoạt động", "cessationOfOperation"),
        6 => ("tạm dừng hiệu lực", "certificateHold"),
        8 => ("gỡ khỏi CRL", "removeFromCRL"),
        9 => ("bị rút quyền", "privilegeWithdrawn"),
        10 => ("AA bị lộ khóa", "aACompromise"),
        _ => return format!("{code}"),
    };
    match lang {
        Lang::Vi => format!("{vi} ({en})"),
        Lang::En => en.to_string(),
    }
}

/// The same reason from its RFC 5280 name (as the proof-of-existence texts write it).
fn reason_from_name(name: &str, lang: Lang) -> String {
    const NAMES: [&str; 11] = [
        "unspecified",
        "keyCompromise",
        "cACompromise",
        "affiliationChanged",
        "superseded",
        "cessationOfOperation",
        "certificateHold",
        "",
        "removeFromCRL",
        "privilegeWithdrawn",
        "aACompromise",
    ];
    match NAMES.iter().position(|n| !n.is_empty() && *n == name) {
        Some(code) => reason_text(code as u8, lang),
        None => clean(name),
    }
}

/// A revocation fact read from the revocation check's detail:
/// `{subject} was revoked at {time}[, reason code {n}][ — …]`.
pub(super) struct Revocation {
    pub who: String,
    pub at: String,
    pub reason: Option<u8>,
}

pub(super) fn parse_revocation(detail: &str) -> Option<Revocation> {
    let (who, rest) = detail.split_once(" was revoked at ")?;
    let at_end = rest.find([',', ' ']).unwrap_or(rest.len());
    let at = rest.get(..at_end)?.to_string();
    let reason = rest
        .get(at_end..)
        .and_then(|r| r.strip_prefix(", reason code "))
        .and_then(|r| r.split(|c: char| !c.is_ascii_digit()).next())
        .and_then(|n| n.parse().ok());
    Some(Revocation { who: who.to_string(), at, reason })
}

/// "revoked at T (reason)" in the reader's language, the certificate named by its short name
/// when it is not the signer's own.
pub(super) fn revocation_sentence(r: &Revocation, lang: Lang, signer_dn: Option<&str>) -> String {
    let at = local_time(&r.at, lang, true);
    let whose = match signer_dn {
        Some(s) if s == r.who => None,
        _ => Some(short_name(&r.who)),
    };
    match lang {
        Lang::Vi => {
            let reason = r.reason.map(|c| format!(", lý do: {}", reason_text(c, lang))).unwrap_or_default();
            match whose {
                Some(w) => format!("chứng thư số của {w} (trong chuỗi) bị thu hồi lúc {at}{reason}"),
                None => format!("bị thu hồi lúc {at}{reason}"),
            }
        }
        Lang::En => {
            let reason = r.reason.map(|c| format!(", reason: {}", reason_text(c, lang))).unwrap_or_default();
            match whose {
                Some(w) => format!("the certificate of {w} (in the chain) was revoked at {at}{reason}"),
                None => format!("revoked at {at}{reason}"),
            }
        }
    }
}

/// A check's detail (English, from the verifier) for the reader: in English with times in
/// Vietnam time and names shortened where they are known; in Vietnamese when its shape is
/// known, otherwise labelled as an English technical detail.
pub(super) fn detail(name: &str, text: &str, lang: Lang, signer_dn: Option<&str>) -> String {
    if let Some(r) = parse_revocation(text) {
        let mut s = revocation_sentence(&r, lang, signer_dn);
        if text.contains("does not allow the proof-of-existence exception") {
            s.push_str(match lang {
                Lang::Vi => "; thu hồi sau thời điểm của dấu thời gian, nhưng lý do này không cho phép dùng dấu thời gian làm bằng chứng (khóa có thể đã bị lộ từ trước)",
                Lang::En => "; after the signature timestamp, but this reason does not allow the timestamp as proof (the compromise may predate the revocation)",
            });
        } else if text.contains("the signature existed before the revocation") {
            s.push_str(match lang {
                Lang::Vi => "; sau thời điểm của dấu thời gian: chữ ký đã có trước khi thu hồi",
                Lang::En => "; after the signature timestamp: the signature existed before the revocation",
            });
        }
        return s;
    }
    if lang == Lang::En {
        return localise_times(&clean(text), lang);
    }
    match translate_vi(name, text) {
        Some(t) => t,
        None => format!("(tiếng Anh) {}", localise_times(&clean(text), lang)),
    }
}

/// Vietnamese for the known shapes of check details and warnings.
fn translate_vi(name: &str, text: &str) -> Option<String> {
    let lang = Lang::Vi;
    let t = |s: &str| localise_times(&clean(s), lang);
    // Exact texts and fixed prefixes (the rest of the text, if any, is appended).
    const PREFIXES: &[(&str, &str)] = &[
        ("legacy policy: the signer certificate has nonRepudiation only (no digitalSignature)", "chính sách legacy: chứng thư số của người ký chỉ có mục đích nonRepudiation (không có digitalSignature)"),
        ("legacy policy: the signature uses SHA-1", "chính sách legacy: chữ ký dùng SHA-1 (thuật toán cũ, chỉ chấp nhận cho văn bản cũ)"),
        ("revocation checking is off", "đã tắt kiểm tra thu hồi (--revocation off)"),
        ("no signing-certificate attribute: the signature does not bind its certificate (not CAdES)", "không có thuộc tính signing-certificate: chữ ký không gắn với chứng thư số của nó (không theo CAdES)"),
        ("no signing-time attribute", "không có thuộc tính thời điểm ký (signing-time)"),
        ("the signing time lies outside the certificate's validity period", "thời điểm ký nằm ngoài thời hạn của chứng thư số"),
        ("the signature file also embeds the document (attached signature); it equals the given document", "tệp chữ ký chứa kèm nội dung tài liệu (chữ ký gắn liền); nội dung này trùng với tài liệu được kiểm tra"),
        ("SHA-1 is not allowed by the strict policy (use --policy legacy for old documents)", "chính sách strict không cho phép SHA-1 (với văn bản cũ, dùng --policy legacy)"),
        ("the signature value does not verify with the signer certificate's key", "giá trị chữ ký không đúng với khóa công khai trong chứng thư số của người ký"),
        ("no certificate in the signature file or --chain matches the SignerInfo's sid", "không có chứng thư số nào trong tệp chữ ký hoặc --chain khớp với người ký"),
        ("no path to a trust anchor (unknown issuer, or a signature in the path does not verify)", "không có đường dẫn tới CA tin cậy (không rõ tổ chức cấp, hoặc một chữ ký trong chuỗi không đúng)"),
        ("no path to a trust anchor: a certificate's signature does not verify with its issuer's key", "không có đường dẫn tới CA tin cậy: chữ ký trên một chứng thư số không đúng với khóa của tổ chức cấp"),
        ("a CA certificate is used as the end entity", "chứng thư số của CA được dùng làm chứng thư của người ký"),
        ("the signer certificate is a CA certificate (basicConstraints cA=TRUE)", "chứng thư số của người ký là chứng thư CA (basicConstraints cA=TRUE)"),
        ("the signer certificate has no keyUsage extension (digitalSignature or nonRepudiation needed)", "chứng thư số của người ký không có phần mở rộng keyUsage (cần digitalSignature hoặc nonRepudiation)"),
        ("the extendedKeyUsage allows neither documentSigning nor emailProtection", "extendedKeyUsage không cho phép ký tài liệu (documentSigning hoặc emailProtection)"),
        ("keyCertSign in a certificate that is not a CA", "keyCertSign trong chứng thư không phải CA"),
        ("nameConstraints in a certificate that is not a CA", "nameConstraints trong chứng thư không phải CA"),
        ("the signature file holds the same SignerInfo twice", "tệp chữ ký chứa cùng một chữ ký hai lần"),
        ("the signature file holds no SignerInfo", "tệp chữ ký không chứa chữ ký nào"),
        ("the content-type attribute is not id-data", "thuộc tính content-type không phải id-data"),
        ("the content-type signed attribute is missing", "thiếu thuộc tính content-type"),
        ("the message-digest signed attribute is missing", "thiếu thuộc tính message-digest"),
        ("a CMS signed attribute is repeated or multi-valued", "một thuộc tính ký bị lặp lại hoặc có nhiều giá trị"),
        ("the signing-time attribute is malformed", "thuộc tính thời điểm ký sai định dạng"),
        ("unsupported signature algorithm", "thuật toán chữ ký không được hỗ trợ"),
        ("unknown digest algorithm", "thuật toán băm không được hỗ trợ"),
        ("the encapsulated content type is not id-data", "kiểu nội dung được bọc trong tệp chữ ký không phải id-data"),
        ("the signature file embeds content that differs from the document", "tệp chữ ký chứa kèm một nội dung khác với tài liệu được kiểm tra"),
        ("the PDF has no signature", "tệp PDF không có chữ ký nào"),
        ("not verified", "không được kiểm tra"),
        ("SignerInfo and signed attributes parse", "cấu trúc chữ ký và các thuộc tính ký đọc được"),
        ("id-data", "id-data (dữ liệu)"),
        ("signing-certificate-v2 matches the signer certificate", "signing-certificate-v2 khớp với chứng thư số của người ký"),
        ("signing-certificate (v1) matches the signer certificate", "signing-certificate (v1) khớp với chứng thư số của người ký"),
        ("no signing-certificate attribute", "không có thuộc tính signing-certificate"),
        ("SHA-1 accepted by the legacy policy", "SHA-1 được chấp nhận theo chính sách legacy"),
        ("purpose any: no key usage or EKU imposed", "mục đích bất kỳ: không đòi hỏi keyUsage hay EKU"),
        ("the required key usage and EKU are present", "có đủ keyUsage và EKU cần thiết"),
        ("the signature covers the whole file", "chữ ký bao trùm toàn bộ tệp"),
        ("later revisions only add signatures or fill in form fields", "các phiên bản sau chỉ thêm chữ ký hoặc điền biểu mẫu"),
    ];
    for (en, vi) in PREFIXES {
        if let Some(rest) = text.strip_prefix(en) {
            return Some(format!("{vi}{}", t(rest)));
        }
    }
    // Shapes with values.
    if let Some(rest) = text.strip_prefix("legacy policy: the certificate ") {
        let who = rest.strip_suffix(" is signed with SHA-1")?;
        return Some(format!("chính sách legacy: chứng thư số {} được ký bằng SHA-1 (thuật toán cũ)", short_name(who)));
    }
    if let Some(rest) = text.strip_prefix("signature timestamp not used as proof of existence: the TSA certificate is not trusted") {
        let head = "dấu thời gian không được dùng làm bằng chứng tồn tại: chứng thư số của TSA không được tin cậy";
        let why = rest.strip_prefix(": ").unwrap_or(rest);
        return Some(match why {
            "" => head.to_string(),
            "UnknownIssuer" => format!("{head} (không có đường dẫn tới CA tin cậy)"),
            "InvalidSignatureForPublicKey" => format!("{head} (chữ ký trên một chứng thư số trong chuỗi của TSA không đúng: không có đường dẫn tới CA tin cậy)"),
            w if w.starts_with("RequiredEkuNotFound") => format!("{head} (chứng thư số không có mục đích đóng dấu thời gian)"),
            w if w.starts_with("CertExpired") => format!("{head} (chứng thư số của TSA đã hết hạn)"),
            w if w.starts_with("CertNotValidYet") => format!("{head} (chứng thư số của TSA chưa có hiệu lực)"),
            w => format!("{head}: (tiếng Anh) {}", t(w)),
        });
    }
    if let Some(rest) = text.strip_prefix("the TSA certificate's revocation could not be checked: ") {
        return Some(format!("chưa kiểm tra được tình trạng thu hồi của chứng thư số TSA: {}", unknown_revocation_vi(rest)));
    }
    if let Some(rest) = text.strip_prefix("signature timestamp not used as proof of existence: the TSA certificate was revoked at ") {
        // "{T} ({reason}), before the timestamp" or "{T} ({reason}): its key may have made backdated timestamps"
        let (at, rest) = rest.split_once(" (")?;
        let (reason, tail) = rest.split_once(')')?;
        let why = match tail {
            ", before the timestamp" => "trước thời điểm của dấu thời gian",
            ": its key may have made backdated timestamps" => "khóa của TSA có thể đã bị dùng để tạo dấu thời gian lùi ngày",
            _ => return None,
        };
        return Some(format!(
            "dấu thời gian không được dùng làm bằng chứng tồn tại: chứng thư số của TSA bị thu hồi lúc {} (lý do: {}), {why}",
            local_time(at, lang, true),
            reason_from_name(reason, lang)
        ));
    }
    if let Some(rest) = text.strip_prefix("only the first ") {
        let (certs, rest) = rest.split_once(" certificates and ")?;
        let crls = rest.strip_suffix(" CRLs of the /DSS were used (verifier budget)")?;
        return Some(format!("chỉ dùng {} chứng thư số và {} CRL đầu tiên của /DSS (giới hạn của trình kiểm tra)", clean(certs), clean(crls)));
    }
    if let Some(rest) = text.strip_prefix("the document security store (/DSS) holds ") {
        let (certs, rest) = rest.split_once(" certificate(s) and ")?;
        let (crls, rest) = rest.split_once(" CRL(s), used for the path and revocation checks")?;
        let mut out = format!("kho dữ liệu kiểm tra của tài liệu (/DSS) có {} chứng thư số và {} CRL, dùng để kiểm tra chuỗi và thu hồi", clean(certs), clean(crls));
        if let Some(n) = rest.strip_prefix("; its ").and_then(|r| r.strip_suffix(" OCSP response(s) are not used (kyso checks revocation with CRLs)")) {
            out.push_str(&format!("; {} phản hồi OCSP không được dùng (kyso kiểm tra thu hồi bằng CRL)", clean(n)));
        } else if !rest.is_empty() {
            return None;
        }
        return Some(out);
    }
    if let Some(rest) = text.strip_prefix("revocation not checked: ") {
        return Some(format!("chưa kiểm tra được tình trạng thu hồi: {}", unknown_revocation_vi(rest)));
    }
    if name == "revocation" && text.starts_with("no usable CRL for ") {
        return Some(unknown_revocation_vi(text));
    }
    if let Some(rest) = text.strip_prefix("the certificate was revoked at ") {
        // "{T} ({reason}), after the signature timestamp {T2}: accepted with the timestamp as proof of existence"
        let (at, rest) = rest.split_once(" (")?;
        let (reason, rest) = rest.split_once("), after the signature timestamp ")?;
        let poe = rest.strip_suffix(": accepted with the timestamp as proof of existence")?;
        return Some(format!(
            "chứng thư số bị thu hồi lúc {} (lý do: {}), sau thời điểm của dấu thời gian {}: chữ ký được chấp nhận vì dấu thời gian chứng minh chữ ký có trước khi thu hồi",
            local_time(at, lang, true),
            reason_from_name(reason, lang),
            local_time(poe, lang, true)
        ));
    }
    if let Some(rest) = text.strip_prefix("expired at ") {
        let (at, period) = rest.split_once(" (valid ")?;
        return Some(format!("đã hết hạn tại thời điểm {} (thời hạn {})", local_time(at, lang, true), period_vi(period.strip_suffix(')')?)));
    }
    if let Some(rest) = text.strip_prefix("not yet valid at ") {
        let (at, period) = rest.split_once(" (valid ")?;
        return Some(format!("chưa có hiệu lực tại thời điểm {} (thời hạn {})", local_time(at, lang, true), period_vi(period.strip_suffix(')')?)));
    }
    if let Some(rest) = text.strip_prefix("a certificate of the path expired at ") {
        let (at, now) = rest.split_once(" (validation time ")?;
        return Some(format!(
            "một chứng thư số trong chuỗi đã hết hạn lúc {} (thời điểm kiểm tra {})",
            local_time(at, lang, true),
            local_time(now.strip_suffix(')')?, lang, true)
        ));
    }
    if let Some(rest) = text.strip_prefix("a certificate of the path is valid only from ") {
        let (from, now) = rest.split_once(" (validation time ")?;
        return Some(format!(
            "một chứng thư số trong chuỗi chỉ có hiệu lực từ {} (thời điểm kiểm tra {})",
            local_time(from, lang, true),
            local_time(now.strip_suffix(')')?, lang, true)
        ));
    }
    if let Some((algo, rest)) = text.split_once(" of the document is ") {
        let (actual, signed) = rest.split_once(", the signature says ")?;
        return Some(format!("giá trị băm {algo} của tài liệu là {}, chữ ký ghi {}", clean(actual), clean(signed)));
    }
    if let Some(who) = text.strip_prefix("found: ") {
        return Some(format!("tìm thấy: {}", short_name(who)));
    }
    if let Some(algo) = text.strip_suffix(" of the document matches") {
        return Some(format!("giá trị băm {} của tài liệu khớp với giá trị đã ký", clean(algo)));
    }
    if let Some(algo) = text.strip_suffix(" signature verifies") {
        return Some(format!("chữ ký {} đúng", algorithm(algo, lang)));
    }
    if let Some(algo) = text.strip_suffix(" allowed") {
        return Some(format!("{} được phép", algorithm(algo, lang)));
    }
    if let Some(key) = text.strip_prefix("certificate key: ") {
        return Some(format!("khóa của chứng thư số: {}", clean(key)));
    }
    if let Some(rest) = text.strip_prefix("end-entity certificate, keyUsage ") {
        return Some(match rest.strip_suffix(", EKU allows document signing") {
            Some(ku) => format!("chứng thư số của người dùng cuối, keyUsage {}, EKU cho phép ký tài liệu", clean(ku)),
            None => format!("chứng thư số của người dùng cuối, keyUsage {}", clean(rest)),
        });
    }
    if let Some(rest) = text.strip_prefix("path of ") {
        let (n, anchor) = rest.split_once(" certificate(s) to the trust anchor ")?;
        return Some(format!("chuỗi {} chứng thư số tới CA tin cậy {}", clean(n), short_name(anchor)));
    }
    if let Some(period) = text.strip_prefix("valid ") {
        return Some(format!("có hiệu lực {}", period_vi(period)));
    }
    if name == "revocation" && text.ends_with(": not revoked") {
        let names: Vec<String> = text.split("; ").map(|e| format!("{}: chưa bị thu hồi", short_name(e.strip_suffix(": not revoked").unwrap_or(e)))).collect();
        return Some(names.join("; "));
    }
    if let Some(rest) = text.strip_prefix("signature timestamp ") {
        // "{T} by {TSA} (serial {S}) verifies over this signature; TSA chain: {A → B}[; note]"
        let (time, rest) = rest.split_once(" by ")?;
        let (tsa, rest) = rest.split_once(" (serial ")?;
        let (serial, rest) = rest.split_once(") verifies over this signature; TSA chain: ")?;
        let (chain, notes) = rest.split_once("; ").unwrap_or((rest, ""));
        let chain: Vec<String> = chain.split(" → ").map(short_name).collect();
        let mut out = format!(
            "dấu thời gian {} của {} (số hiệu {}) đúng với chữ ký này; chuỗi của TSA: {}",
            local_time(time, lang, true),
            short_name(tsa),
            clean(serial),
            chain.join(" → ")
        );
        for note in notes.split("; ").filter(|n| !n.is_empty()) {
            out.push_str("; ");
            out.push_str(&tsa_note_vi(note));
        }
        return Some(out);
    }
    if let Some(rest) = text.strip_prefix("the signature is covered by the document timestamp ") {
        // "{field:?} by {TSA}: it existed at {T}"
        let (field, rest) = rest.split_once(" by ")?;
        let (tsa, time) = rest.rsplit_once(": it existed at ")?;
        return Some(format!(
            "chữ ký nằm trong phạm vi của dấu thời gian cho tài liệu {} của {}: chữ ký đã tồn tại lúc {}",
            clean(field),
            short_name(tsa),
            local_time(time, lang, true)
        ));
    }
    if let Some(rest) = text.strip_prefix("document timestamp ") {
        // "{T} by {TSA} (serial {S}) over the signed byte ranges ({alg}); TSA chain: {A → B}"
        let (time, rest) = rest.split_once(" by ")?;
        let (tsa, rest) = rest.split_once(" (serial ")?;
        let (serial, rest) = rest.split_once(") over the signed byte ranges (")?;
        let (alg, chain) = rest.split_once("); TSA chain: ")?;
        let chain: Vec<String> = chain.split(" → ").map(short_name).collect();
        return Some(format!(
            "dấu thời gian {} của {} (số hiệu {}) trên các đoạn byte được ký ({}); chuỗi của TSA: {}",
            local_time(time, lang, true),
            short_name(tsa),
            clean(serial),
            clean(alg),
            chain.join(" → ")
        ));
    }
    if let Some(rest) = text.strip_prefix("the imprint's hash algorithm ") {
        let alg = rest.strip_suffix(" is not supported")?;
        return Some(format!("thuật toán băm {} của dấu thời gian không được hỗ trợ", clean(alg)));
    }
    if let Some(rest) = text.strip_prefix("the signature's CMS holds ") {
        let n = rest.strip_suffix(" SignerInfos; a PDF signature has exactly one")?;
        return Some(format!("CMS của chữ ký chứa {} SignerInfo; một chữ ký PDF chỉ được có một", clean(n)));
    }
    if let Some(rest) = text.strip_prefix("/SubFilter ") {
        let sf = rest.strip_suffix(" is not supported (kyso verifies ETSI.CAdES.detached, adbe.pkcs7.detached and ETSI.RFC3161)")?;
        return Some(format!("/SubFilter {} không được hỗ trợ (kyso kiểm tra ETSI.CAdES.detached, adbe.pkcs7.detached và ETSI.RFC3161)", clean(sf)));
    }
    if let Some(rest) = text.strip_prefix("field ") {
        // `field "{name}", revision {r} of {n}, (does not )cover(s) the whole document`
        let (field, rest) = rest.rsplit_once(", revision ")?;
        let (rev, rest) = rest.split_once(" of ")?;
        let (count, whole) = rest.split_once(", ")?;
        let whole = match whole {
            "covers the whole document" => "bao trùm toàn bộ tệp",
            "does not cover the whole document" => "không bao trùm toàn bộ tệp",
            _ => return None,
        };
        return Some(format!("trường {}, phiên bản {} trên {}, {whole}", clean(field), clean(rev), clean(count)));
    }
    if name == "pdf_sub_filter" {
        return Some(clean(text));
    }
    if let Some(rest) = text.strip_prefix("/ByteRange ") {
        let (range, rest) = rest.split_once(" signs revision ")?;
        let (rev, total) = rest.strip_suffix(" without its /Contents")?.split_once(" of ")?;
        return Some(format!("/ByteRange {} ký phiên bản {} trên {}, trừ /Contents", clean(range), clean(rev), clean(total)));
    }
    if let Some(n) = text.strip_suffix(" bytes after the signed revision are not a signature or form filling") {
        return Some(format!("{} byte sau phiên bản đã ký không phải chữ ký hay điền biểu mẫu", clean(n)));
    }
    if let Some(algo) = text.strip_suffix(" is not supported with this key") {
        return Some(format!("{} không dùng được với khóa này", algorithm(algo, lang)));
    }
    if let Some(rest) = text.strip_prefix("the document was changed after this signature: ") {
        let changes: Vec<String> = rest.split("; ").map(pdf_change_vi).collect();
        return Some(format!("tệp đã bị thay đổi sau chữ ký này: {}", changes.join("; ")));
    }
    if let Some(rest) = text.strip_prefix("changes after this signature could not be analysed: ") {
        return Some(format!("không phân tích được các thay đổi sau chữ ký này — (tiếng Anh) {}", t(rest)));
    }
    if let Some(rest) = text.strip_prefix("keyUsage ") {
        let bits = rest.strip_suffix(" has neither digitalSignature nor nonRepudiation")?;
        return Some(format!("keyUsage {} không có digitalSignature lẫn nonRepudiation", clean(bits)));
    }
    if let Some(rest) = text.strip_prefix("the leaf lacks the required EKU ") {
        return Some(format!("chứng thư số thiếu EKU bắt buộc {}", clean(rest)));
    }
    if let Some(rest) = text.strip_prefix("the leaf lacks key usage ") {
        return Some(format!("chứng thư số thiếu mục đích sử dụng khóa {}", clean(rest)));
    }
    // Known beginnings whose rest is a technical text (an OS or parser error): the beginning in
    // Vietnamese, the rest labelled as English. Tried last, after the precise shapes above.
    const FALLBACK: &[(&str, &str)] = &[
        ("cannot read the document: ", "không đọc được tài liệu: (tiếng Anh) "),
        ("cannot open the document: ", "không mở được tài liệu: (tiếng Anh) "),
        ("cannot read the signature file ", "không đọc được tệp chữ ký: (tiếng Anh) "),
        ("a CRL of the signature was ignored: ", "một CRL gắn trong chữ ký bị bỏ qua: (tiếng Anh) "),
        ("a CRL of the document's /DSS was ignored: ", "một CRL trong /DSS của tài liệu bị bỏ qua: (tiếng Anh) "),
        ("part of the /DSS was ignored: ", "một phần của /DSS bị bỏ qua: (tiếng Anh) "),
        ("signature timestamp not used as proof of existence: ", "dấu thời gian không được dùng làm bằng chứng tồn tại: (tiếng Anh) "),
        ("the document timestamp does not verify: ", "dấu thời gian cho tài liệu không đúng: (tiếng Anh) "),
        ("the document timestamp is not an RFC 3161 token: ", "dấu thời gian cho tài liệu không phải token RFC 3161: (tiếng Anh) "),
        ("the signature timestamp attribute cannot be read: ", "không đọc được dấu thời gian: (tiếng Anh) "),
        ("an embedded CRL was ignored: ", "một CRL gắn kèm bị bỏ qua: (tiếng Anh) "),
    ];
    for (en, vi) in FALLBACK {
        if let Some(rest) = text.strip_prefix(en) {
            return Some(format!("{vi}{}", t(rest)));
        }
    }
    None
}

/// A note on the TSA certificate's revocation, appended to a valid timestamp's detail.
fn tsa_note_vi(note: &str) -> String {
    if note == "the TSA certificate is not revoked" {
        return "chứng thư số của TSA chưa bị thu hồi".into();
    }
    if let Some(rest) = note.strip_prefix("the TSA certificate was revoked later, at ") {
        if let Some((at, reason)) = rest.strip_suffix("), which does not affect earlier timestamps").and_then(|r| r.split_once(" (")) {
            return format!(
                "chứng thư số của TSA bị thu hồi sau đó, lúc {} (lý do: {}), không ảnh hưởng tới các dấu thời gian có trước",
                local_time(at, Lang::Vi, true),
                reason_from_name(reason, Lang::Vi)
            );
        }
    }
    format!("(tiếng Anh) {}", localise_times(&clean(note), Lang::Vi))
}

/// One change found in a PDF after a signature (src/pdf/extract.rs), in Vietnamese; PDF
/// names (/Annots, object numbers) are kept as they are.
fn pdf_change_vi(change: &str) -> String {
    if let Some(n) = change.strip_suffix(" bytes of data after the last revision (not an incremental update)") {
        return format!("{} byte dữ liệu sau phiên bản cuối (không phải một lần cập nhật gia tăng)", clean(n));
    }
    if change == "AcroForm removed" {
        return "biểu mẫu (AcroForm) bị xóa".into();
    }
    if let Some(rest) = change.strip_prefix("AcroForm changed: ") {
        return format!("biểu mẫu (AcroForm) bị sửa: {}", clean(rest));
    }
    if let Some(obj) = change.strip_suffix(" deleted") {
        return format!("{} bị xóa", clean(obj));
    }
    if let Some(obj) = change.strip_suffix(" added") {
        return format!("{} được thêm vào", clean(obj));
    }
    if let Some((obj, what)) = change.split_once(" changed: ") {
        let what = match what {
            "stream content" => "nội dung luồng (stream)".to_string(),
            "/Annots other than new widgets" => "/Annots, ngoài các widget mới".to_string(),
            "/Fields other than new fields" => "/Fields, ngoài các trường mới".to_string(),
            other => clean(other),
        };
        return format!("{} bị sửa: {what}", clean(obj));
    }
    if let Some(obj) = change.strip_suffix(" changed (array)") {
        return format!("{} (mảng) bị sửa", clean(obj));
    }
    if let Some(obj) = change.strip_suffix(" changed") {
        return format!("{} bị sửa", clean(obj));
    }
    format!("(tiếng Anh) {}", clean(change))
}

/// "no usable CRL for {DN} ({reasons})" entries joined by "; ", in Vietnamese.
fn unknown_revocation_vi(text: &str) -> String {
    let mut out = Vec::new();
    for entry in split_top_level(text) {
        match entry.strip_prefix("no usable CRL for ") {
            Some(rest) => {
                let (who, why) = match rest.find(" (") {
                    Some(i) if rest.ends_with(')') => (rest.get(..i).unwrap_or(rest), rest.get(i + 2..rest.len() - 1)),
                    _ => (rest, None),
                };
                let mut s = format!("không có CRL dùng được cho {}", short_name(who));
                if let Some(why) = why {
                    s.push_str(&format!(" ({})", crl_reasons_vi(why)));
                }
                out.push(s);
            }
            None => out.push(format!("(tiếng Anh) {}", localise_times(&clean(entry), Lang::Vi))),
        }
    }
    out.join("; ")
}

/// The reasons a CRL was not usable, in Vietnamese where known.
fn crl_reasons_vi(text: &str) -> String {
    text.split("; ")
        .map(|r| {
            if let Some(rest) = r.strip_prefix("the CRL of ") {
                if let Some((who, next)) = rest.split_once(" is stale (nextUpdate ") {
                    return format!("CRL của {} đã quá hạn (nextUpdate {})", short_name(who), local_time(next.trim_end_matches(')'), Lang::Vi, true));
                }
                if let Some(who) = rest.strip_suffix(" has a wrong signature") {
                    return format!("CRL của {} có chữ ký sai", short_name(who));
                }
            }
            if let Some(who) = r.strip_prefix("CRL issued by ").and_then(|x| x.strip_suffix(", not by the certificate's issuer")) {
                return format!("CRL do {} phát hành, không phải tổ chức cấp chứng thư", short_name(who));
            }
            format!("(tiếng Anh) {}", localise_times(&clean(r), Lang::Vi))
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Splits "a (x; y); b" at the "; " that are outside parentheses.
fn split_top_level(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let (mut depth, mut start) = (0i32, 0usize);
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ';' if depth == 0 && text.get(i + 1..).is_some_and(|t| t.starts_with(' ')) => {
                out.push(text.get(start..i).unwrap_or(""));
                start = i + 2;
            }
            _ => {}
        }
    }
    out.push(text.get(start..).unwrap_or(""));
    out
}

/// "A to B" (RFC 3339) as "từ A đến B (+07:00)".
fn period_vi(period: &str) -> String {
    match period.split_once(" to ") {
        Some((a, b)) => local_period(a, b, Lang::Vi),
        None => localise_times(&clean(period), Lang::Vi),
    }
}

/// A warning for the reader (see [`detail`]).
pub(super) fn warning(text: &str, lang: Lang) -> String {
    if lang == Lang::En {
        return localise_english_warning(text);
    }
    match translate_vi("", text) {
        Some(t) => t,
        None => format!("(tiếng Anh) {}", localise_times(&clean(text), lang)),
    }
}

/// English warnings keep their words; full DNs become short names where the shape is known,
/// and times are shown in Vietnam time.
fn localise_english_warning(text: &str) -> String {
    if let Some(rest) = text.strip_prefix("revocation not checked: ") {
        let entries: Vec<String> = split_top_level(rest)
            .into_iter()
            .map(|e| match e.strip_prefix("no usable CRL for ") {
                Some(r) => match r.find(" (") {
                    Some(i) if r.ends_with(')') => {
                        format!("no usable CRL for {} {}", short_name(r.get(..i).unwrap_or(r)), localise_times(&clean(r.get(i + 1..).unwrap_or("")), Lang::En))
                    }
                    _ => format!("no usable CRL for {}", short_name(r)),
                },
                None => localise_times(&clean(e), Lang::En),
            })
            .collect();
        return format!("revocation not checked: {}", entries.join("; "));
    }
    if let Some(who) = text.strip_prefix("legacy policy: the certificate ").and_then(|r| r.strip_suffix(" is signed with SHA-1")) {
        return format!("legacy policy: the certificate of {} is signed with SHA-1", short_name(who));
    }
    localise_times(&clean(text), Lang::En)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_shown_in_vietnam_time() {
        assert_eq!(local_time("2026-11-29T23:30:27Z", Lang::Vi, true), "30/11/2026 06:30:27 (+07:00)");
        assert_eq!(local_time("2026-11-29T23:30:27Z", Lang::En, true), "2026-11-30 06:30:27 +07:00");
        assert_eq!(local_time("2026-11-30T06:30:27.25+07:00", Lang::Vi, false), "30/11/2026 06:30:27");
        assert_eq!(local_time("not a time\n", Lang::Vi, true), "not a time\u{fffd}");
        assert_eq!(local_period("2026-01-01T00:00:00Z", "2031-01-01T00:00:00Z", Lang::Vi), "từ 01/01/2026 07:00:00 đến 01/01/2031 07:00:00 (+07:00)");
        assert_eq!(
            localise_times("expired at 2026-11-29T23:30:27Z (valid 2020-01-01T00:00:00Z to x) 12", Lang::En),
            "expired at 2026-11-30 06:30:27 +07:00 (valid 2020-01-01 07:00:00 +07:00 to x) 12"
        );
        assert_eq!(localise_times("timestamp 2026-11-29T23:30:27Z: accepted", Lang::En), "timestamp 2026-11-30 06:30:27 +07:00: accepted");
        assert_eq!(localise_times("2026-11-29T23:30:27.5Z.", Lang::Vi), "30/11/2026 06:30:27 (+07:00).");
        assert_eq!(localise_times("serial 12345678901234567890123456789012345678901234567890", Lang::En), "serial 12345678901234567890123456789012345678901234567890");
    }

    #[test]
    fn names_are_shortened_and_cleaned() {
        let dn = "C=VN, ST=Bắc Ninh, O=Sở Y tế tỉnh Bắc Ninh, title=Giám đốc, CN=Trần Thị Bình, uid=CCCD:027185000002";
        assert_eq!(short_name(dn), "Trần Thị Bình");
        assert_eq!(short_name("C=VN, O=Chỉ có O, 2.5.4.97=x"), "Chỉ có O");
        assert_eq!(short_name("O=A, B + CN=C"), "C");
        assert_eq!(dn_attributes("O=A, B, CN=C"), vec![("O", "A, B"), ("CN", "C")]);
        let p = NameParts {
            common_name: Some("Trần Thị Bình".into()),
            title: Some("Giám đốc".into()),
            organization: Some("Sở Y tế".into()),
            ..NameParts::default()
        };
        assert_eq!(person_line(&p, dn), "Trần Thị Bình — Giám đốc — Sở Y tế");
        let agency = NameParts { common_name: Some("Sở Y tế".into()), organization: Some("Sở Y tế".into()), ..NameParts::default() };
        assert_eq!(person_line(&agency, ""), "Sở Y tế");
        assert_eq!(ca_line(&p, ""), "Trần Thị Bình — Sở Y tế");
        assert_eq!(person_line(&NameParts::default(), dn), "Trần Thị Bình");
        // A crafted name cannot start a new line of the report or reorder the text.
        assert_eq!(clean("A\nKết quả: HỢP LỆ\u{1b}[2J\u{202e}"), "A\u{fffd}Kết quả: HỢP LỆ\u{fffd}[2J\u{fffd}");
    }

    #[test]
    fn odd_texts_never_panic_and_stay_on_one_line() {
        let odd = [
            "",
            " was revoked at ",
            "x was revoked at , reason code 99999999999",
            "field ",
            "field \"a\", revision  of , ",
            "expired at  (valid ",
            "revocation not checked: no usable CRL for  (",
            "revocation not checked: no usable CRL for )",
            "revocation not checked: ; ; (((",
            "the certificate was revoked at x (y), after the signature timestamp z: accepted with the timestamp as proof of existence",
            "signature timestamp  by  (serial ) verifies over this signature; TSA chain: ",
            "signature timestamp not used as proof of existence: the TSA certificate was revoked at  (",
            "the document was changed after this signature: ; ;  changed: ",
            "only the first  certificates and ",
            "2026-11-30T00:00:00Z2026-11-30T00:00:00Z:::---TTTZZZ",
            "Tỉnh Bắc Ninh\n\u{1b}[31m\u{202e} was revoked at 2026-11-30T00:00:00Z, reason code 1 — after",
            "C=VN, CN=, O=, , =, CN=Ạ",
        ];
        for text in odd {
            for lang in [Lang::Vi, Lang::En] {
                for name in ["revocation", "validity", "pdf_signature_field", "x"] {
                    let d = detail(name, text, lang, Some(text));
                    assert!(!d.contains('\n') && !d.contains('\u{1b}'), "{d:?}");
                }
                let w = warning(text, lang);
                assert!(!w.contains('\n') && !w.contains('\u{1b}'), "{w:?}");
                let _ = short_name(text);
                let _ = local_time(text, lang, true);
            }
        }
        // A long crafted DN is handled (linear scans; no timing asserted here).
        let big = ", CN=x".repeat(20_000);
        assert_eq!(short_name(&big), "x");
        let digits = "1-".repeat(50_000);
        assert_eq!(localise_times(&digits, Lang::En).len(), digits.len());
    }

    #[test]
    fn known_details_are_translated_and_unknown_ones_are_labelled() {
        let d = detail("revocation", "C=VN, CN=X was revoked at 2026-11-29T23:00:00Z, reason code 1", Lang::Vi, Some("C=VN, CN=X"));
        assert_eq!(d, "bị thu hồi lúc 30/11/2026 06:00:00 (+07:00), lý do: lộ khóa bí mật (keyCompromise)");
        let d = detail("revocation", "C=VN, CN=Sub CA was revoked at 2026-11-29T23:00:00Z", Lang::En, Some("C=VN, CN=X"));
        assert_eq!(d, "the certificate of Sub CA (in the chain) was revoked at 2026-11-30 06:00:00 +07:00");
        let d = detail("validity", "expired at 2026-11-29T23:00:00Z (valid 2020-01-01T00:00:00Z to 2025-01-01T00:00:00Z)", Lang::Vi, None);
        assert_eq!(d, "đã hết hạn tại thời điểm 30/11/2026 06:00:00 (+07:00) (thời hạn từ 01/01/2020 07:00:00 đến 01/01/2025 07:00:00 (+07:00))");
        assert_eq!(detail("x", "something new", Lang::Vi, None), "(tiếng Anh) something new");
        assert_eq!(detail("x", "something new", Lang::En, None), "something new");
        let w = warning("revocation not checked: no usable CRL for C=VN, CN=A (the CRL of C=VN, CN=CA is stale (nextUpdate 2026-01-01T00:00:00Z)); no usable CRL for C=VN, CN=CA", Lang::Vi);
        assert_eq!(
            w,
            "chưa kiểm tra được tình trạng thu hồi: không có CRL dùng được cho A (CRL của CA đã quá hạn (nextUpdate 01/01/2026 07:00:00 (+07:00))); không có CRL dùng được cho CA"
        );
        let w = warning(
            "the certificate was revoked at 2026-11-29T23:00:00Z (superseded), after the signature timestamp 2026-11-29T22:00:00Z: accepted with the timestamp as proof of existence",
            Lang::Vi,
        );
        assert!(w.starts_with("chứng thư số bị thu hồi lúc 30/11/2026 06:00:00 (+07:00) (lý do: được thay thế bằng chứng thư mới (superseded)), sau thời điểm của dấu thời gian 30/11/2026 05:00:00 (+07:00)"), "{w}");
        let d = detail("pdf_modifications", "the document was changed after this signature: object 12 0 (/Page) changed: stream content; object 9 0 deleted; 6 bytes of data after the last revision (not an incremental update)", Lang::Vi, None);
        assert_eq!(d, "tệp đã bị thay đổi sau chữ ký này: object 12 0 (/Page) bị sửa: nội dung luồng (stream); object 9 0 bị xóa; 6 byte dữ liệu sau phiên bản cuối (không phải một lần cập nhật gia tăng)");
        let d = detail(
            "signature_timestamp",
            "signature timestamp 2026-11-29T23:00:00Z by C=VN, CN=TSA (serial 01) verifies over this signature; TSA chain: C=VN, CN=TSA → C=VN, CN=Root; the TSA certificate was revoked later, at 2026-12-29T23:00:00Z (superseded), which does not affect earlier timestamps",
            Lang::Vi,
            None,
        );
        assert_eq!(d, "dấu thời gian 30/11/2026 06:00:00 (+07:00) của TSA (số hiệu 01) đúng với chữ ký này; chuỗi của TSA: TSA → Root; chứng thư số của TSA bị thu hồi sau đó, lúc 30/12/2026 06:00:00 (+07:00) (lý do: được thay thế bằng chứng thư mới (superseded)), không ảnh hưởng tới các dấu thời gian có trước");
        assert_eq!(detail("pdf_signature_field", "field \"Chữ ký, số 1\", revision 2 of 3, covers the whole document", Lang::Vi, None), "trường \"Chữ ký, số 1\", phiên bản 2 trên 3, bao trùm toàn bộ tệp");
        assert_eq!(
            warning("signature timestamp not used as proof of existence: the TSA certificate is not trusted: UnknownIssuer", Lang::Vi),
            "dấu thời gian không được dùng làm bằng chứng tồn tại: chứng thư số của TSA không được tin cậy (không có đường dẫn tới CA tin cậy)"
        );
        assert_eq!(warning("legacy policy: the certificate C=VN, CN=Old CA is signed with SHA-1", Lang::Vi), "chính sách legacy: chứng thư số Old CA được ký bằng SHA-1 (thuật toán cũ)");
        let w = warning("signature timestamp not used as proof of existence: the TSA certificate was revoked at 2026-11-29T23:00:00Z (keyCompromise): its key may have made backdated timestamps", Lang::Vi);
        assert_eq!(w, "dấu thời gian không được dùng làm bằng chứng tồn tại: chứng thư số của TSA bị thu hồi lúc 30/11/2026 06:00:00 (+07:00) (lý do: lộ khóa bí mật (keyCompromise)), khóa của TSA có thể đã bị dùng để tạo dấu thời gian lùi ngày");
        assert_eq!(warning("legacy policy: the certificate C=VN, CN=Old CA is signed with SHA-1", Lang::En), "legacy policy: the certificate of Old CA is signed with SHA-1");
        let w = warning("revocation not checked: no usable CRL for C=VN, CN=A (the CRL of C=VN, CN=CA is stale (nextUpdate 2026-01-01T00:00:00Z)); no usable CRL for C=VN, CN=CA", Lang::En);
        assert_eq!(w, "revocation not checked: no usable CRL for A (the CRL of C=VN, CN=CA is stale (nextUpdate 2026-01-01 07:00:00 +07:00)); no usable CRL for CA");
    }
}
