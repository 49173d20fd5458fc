//! The Vietnamese rendering of findings (the human report's default language). Technical
//! identifiers (ASN.1 element names such as `SignerInfo`, PDF names such as `/ByteRange`, OIDs,
//! algorithm names) are kept as they are; everything else is said in Vietnamese. Free text from
//! other software (an operating-system or PDF-parser message) is not shown here: the kind of
//! problem is, from the typed part of the finding (the JSON keeps the English detail).

use super::en::{bit_list, oid_name, pdf_keys};
use super::text::{clean, Ctx};
use crate::alg::DigestAlgorithm;
use crate::findings::*;

/// A finding in Vietnamese.
pub(crate) fn finding(f: &Finding, c: &Ctx<'_>) -> String {
    use Finding::*;
    match f {
        DocumentUnreadable(e) => format!("không đọc được tài liệu: {}", io_problem(e)),
        SignatureMissing { signature } => format!("tài liệu chưa có chữ ký: không có tệp {}", clean(signature)),
        DocumentMissing { document } => format!("không có tài liệu {} của tệp chữ ký này", clean(document)),
        SignatureFileUnreadable { path, error } => format!("không đọc được tệp chữ ký {}: {}", clean(path), io_problem(error)),
        Malformed(p) => format_problem(p),
        EContentTypeNotData { econtent_type } => {
            format!(
                "kiểu nội dung được bọc trong tệp chữ ký ({}) không phải id-data, nên chữ ký phải có thuộc tính ký (RFC 5652 §5.3)",
                oid_name(econtent_type)
            )
        }
        EmbeddedContentDiffers => "tệp chữ ký chứa kèm một nội dung khác với tài liệu được kiểm tra".into(),
        DuplicateSignerInfo => "tệp chữ ký chứa cùng một chữ ký hai lần".into(),
        NoSignerInfo => "tệp chữ ký không chứa chữ ký nào".into(),
        PdfNoSignature => "tệp PDF không có chữ ký nào".into(),
        PdfUnreadable(p) => pdf_problem(p),

        SignerInfoParses => "cấu trúc chữ ký và các thuộc tính ký đọc được".into(),
        DigestAlgorithmNotListed => "thuật toán băm của chữ ký không có trong danh sách digestAlgorithms của SignedData".into(),
        NoSignedAttributes => "chữ ký không có thuộc tính ký (CAdES đòi hỏi content-type và message-digest)".into(),
        Pkcs7WithoutSignedAttributes => {
            "chữ ký PKCS#7 không có thuộc tính ký, đã kiểm tra trên chính tài liệu: không phải CAdES (không có thời điểm ký được ký, không gắn với chứng thư số của người ký)".into()
        }
        SignedAttributesNotDer { signed_form } => match signed_form {
            SignedAttributesForm::AsReceived => {
                "các thuộc tính ký không theo thứ tự DER; chữ ký được tính trên đúng thứ tự đã gửi (RFC 5652 §5.4 quy định ký trên dạng DER)".into()
            }
            SignedAttributesForm::DerSorted => {
                "các thuộc tính ký được gửi không theo thứ tự DER; chữ ký được tính trên dạng DER (đã sắp xếp) của chúng, đúng RFC 5652 §5.4".into()
            }
        },
        EdDsaOverContentUnsupported { scheme } => format!(
            "chữ ký {} không có thuộc tính ký thì ký trên toàn bộ tài liệu, mà kyso chỉ giữ giá trị băm của tài liệu: chưa kiểm tra được",
            scheme_name(*scheme)
        ),
        AttributeRepeated => "một thuộc tính ký bị lặp lại hoặc có nhiều giá trị".into(),
        SigningTimeMalformed => "thuộc tính thời điểm ký sai định dạng".into(),
        SignerCertificateFound { subject } => format!("tìm thấy: {}", c.name(subject)),
        SignerCertificateNotFound => "không có chứng thư số nào trong tệp chữ ký hoặc trong các chứng thư bổ sung khớp với người ký".into(),
        ContentTypeMatches { content_type } => {
            if *content_type == crate::alg::oid::CT_DATA {
                "id-data (dữ liệu)".into()
            } else {
                format!("{} (khớp với kiểu nội dung được ký)", oid_name(content_type))
            }
        }
        ContentTypeMismatch { expected, found } => match found {
            Some(o) => format!("thuộc tính content-type là {}, không phải {}", oid_name(o), oid_name(expected)),
            None => format!("thuộc tính content-type không phải một OID (cần {})", oid_name(expected)),
        },
        ContentTypeMissing => "thiếu thuộc tính content-type".into(),
        MessageDigestMissing => "thiếu thuộc tính message-digest".into(),
        MessageDigestNotOctetString => "thuộc tính message-digest không phải OCTET STRING".into(),
        DigestAlgorithmUnknown => "thuật toán băm không được hỗ trợ".into(),
        DigestMatches { algorithm } => format!("giá trị băm {} của tài liệu khớp với giá trị đã ký", digest(*algorithm)),
        DigestMismatch { algorithm, computed, signed } => format!(
            "giá trị băm {} của tài liệu là {}, chữ ký ghi {}",
            digest(*algorithm),
            hex::encode(computed),
            hex::encode(signed)
        ),
        DocumentDigestUnavailable => "không tính được giá trị băm của tài liệu".into(),
        SignatureAlgorithmUnsupported => "thuật toán chữ ký không được hỗ trợ".into(),
        SignatureVerifies { scheme } => format!("chữ ký {} đúng", scheme_name(*scheme)),
        SignatureInvalid => "giá trị chữ ký không đúng với khóa công khai trong chứng thư số của người ký".into(),
        SchemeUnsupportedWithKey { scheme } => format!("{} không dùng được với khóa này", scheme_name(*scheme)),
        AlgorithmAllowed { scheme } => format!("{} được phép", scheme_name(*scheme)),
        DigestNotAllowedWithScheme { digest, scheme } => {
            format!("{} không dùng được với thuật toán băm {} cho dữ liệu được ký (RFC 8419)", scheme_name(*scheme), digest.name())
        }
        Sha1NotAllowed => "chính sách strict không cho phép SHA-1 (với văn bản cũ, dùng chính sách legacy)".into(),
        Sha1AcceptedLegacy => "SHA-1 được chấp nhận theo chính sách legacy".into(),
        LegacySha1Signature => "chính sách legacy: chữ ký dùng SHA-1 (thuật toán cũ, chỉ chấp nhận cho văn bản cũ)".into(),
        NoSigningCertificateAttribute => "không có thuộc tính signing-certificate".into(),
        SigningCertificateUnbound => {
            "không có thuộc tính signing-certificate: chữ ký không gắn với chứng thư số của nó (không theo CAdES)".into()
        }
        SigningCertificateMatches { version } => format!("{} khớp với chứng thư số của người ký", ess_name(*version, true)),
        SigningCertificateProblem { version, problem } => {
            let name = ess_name(*version, false);
            match problem {
                EssProblem::Malformed => format!("thuộc tính {name} sai định dạng"),
                EssProblem::Empty => format!("thuộc tính {name} không liệt kê chứng thư số nào"),
                EssProblem::UnknownHash => format!("thuộc tính {name} dùng thuật toán băm không được hỗ trợ hoặc bị từ chối"),
                EssProblem::HashMismatch { algorithm } => format!(
                    "giá trị băm {} trong thuộc tính {name} không khớp với chứng thư số của người ký (chứng thư có thể đã bị tráo)",
                    digest(*algorithm)
                ),
                EssProblem::IssuerSerialMismatch => {
                    format!("thuộc tính {name} ghi tổ chức cấp hoặc số hiệu khác với chứng thư số của người ký")
                }
                EssProblem::Missing => "thiếu thuộc tính signing-certificate (RFC 3161 bắt buộc trong token dấu thời gian)".into(),
            }
        }
        SigningTimeOutsideValidity => "thời điểm ký nằm ngoài thời hạn của chứng thư số".into(),
        NoSigningTime => "không có thuộc tính thời điểm ký (signing-time)".into(),
        AttachedContentEqual => {
            "tệp chữ ký chứa kèm nội dung tài liệu (chữ ký gắn liền); nội dung này trùng với tài liệu được kiểm tra".into()
        }
        CrlIgnored { source, problem } => match source {
            EvidenceSource::Signature => format!("một CRL gắn trong chữ ký bị bỏ qua: {}", crl_problem(problem, c)),
            EvidenceSource::Dss => format!("một CRL trong /DSS của tài liệu bị bỏ qua: {}", crl_problem(problem, c)),
        },

        CertificateUnparseable => "không đọc được chứng thư số".into(),
        PathFailed(p) => path_problem(p, c),
        PathFound { length, anchor } => format!("chuỗi {length} chứng thư số tới CA tin cậy {}", c.name(anchor)),
        ValidPolicies { policies } => match policies {
            None => "chính sách chứng thư hợp lệ: mọi chính sách (anyPolicy)".into(),
            Some(v) if v.is_empty() => "chính sách chứng thư hợp lệ: không có (không bắt buộc chính sách)".into(),
            Some(v) => format!("chính sách chứng thư hợp lệ: {}", v.iter().map(|o| o.to_string()).collect::<Vec<_>>().join(", ")),
        },
        KeyUsageMalformed => "phần mở rộng keyUsage sai định dạng".into(),
        KeyCertSignInEndEntity => "keyCertSign trong chứng thư không phải CA (RFC 5280 §4.2.1.3)".into(),
        NameConstraintsInEndEntity => "nameConstraints trong chứng thư không phải CA (RFC 5280 §4.2.1.10)".into(),
        PurposeAny => "mục đích bất kỳ: không đòi hỏi keyUsage hay EKU".into(),
        SignerIsCa => "chứng thư số của người ký là chứng thư CA (basicConstraints cA=TRUE)".into(),
        NoKeyUsage => "chứng thư số của người ký không có phần mở rộng keyUsage (cần digitalSignature hoặc nonRepudiation)".into(),
        KeyUsageInsufficient { bits } => format!("keyUsage {} không có digitalSignature lẫn nonRepudiation", bits_vi(bits)),
        EkuNotDocumentSigning => "extendedKeyUsage không cho phép ký tài liệu (documentSigning hoặc emailProtection)".into(),
        SignerKeyUsageOk { bits, eku } => format!(
            "chứng thư số của người dùng cuối, keyUsage {}{}",
            bits_vi(bits),
            if *eku { ", EKU cho phép ký tài liệu" } else { "" }
        ),
        LeafLacksEku { eku } => format!("chứng thư số thiếu EKU bắt buộc {eku}"),
        LeafLacksKeyUsage { bit } => format!("chứng thư số thiếu mục đích sử dụng khóa {}", bit.asn1_name()),
        RequiredUsagePresent => "có đủ keyUsage và EKU cần thiết".into(),
        LegacyNonRepudiationOnly => {
            "chính sách legacy: chứng thư số của người ký chỉ có mục đích nonRepudiation (không có digitalSignature)".into()
        }
        LegacyRsaKey { bits, strict_minimum } => {
            format!("chính sách legacy: chấp nhận khóa RSA {bits} bit (chính sách strict cần ít nhất {strict_minimum} bit)")
        }
        CertificateKey(k) => format!("khóa của chứng thư số: {}", key_description(k)),
        CertificateKeyRejected(p) => format!("khóa của chứng thư số: {}", key_problem(p)),
        LegacySha1Certificate { subject } => {
            format!("chính sách legacy: chứng thư số {} được ký bằng SHA-1 (thuật toán cũ)", c.name(subject))
        }
        CertificateValid { not_before, not_after } => format!("có hiệu lực {}", c.period(*not_before, *not_after)),
        CertificateExpired { at, not_before, not_after } => format!(
            "đã hết hạn tại thời điểm {} (thời hạn {})",
            c.time(*at),
            c.period(*not_before, *not_after)
        ),
        CertificateNotYetValid { at, not_before, not_after } => format!(
            "chưa có hiệu lực tại thời điểm {} (thời hạn {})",
            c.time(*at),
            c.period(*not_before, *not_after)
        ),

        RevocationOff => "đã tắt kiểm tra thu hồi".into(),
        NotRevoked { subjects } => subjects.iter().map(|s| format!("{}: chưa bị thu hồi", c.name(s))).collect::<Vec<_>>().join("; "),
        Revoked { subject, date, reason, poe } => {
            let mut s = revocation_sentence(subject, *date, *reason, c);
            if let Some(p) = poe {
                if p.accepted {
                    s.push_str("; sau thời điểm của dấu thời gian: chữ ký đã có trước khi thu hồi");
                } else {
                    s.push_str(
                        "; thu hồi sau thời điểm của dấu thời gian, nhưng lý do này không cho phép dùng dấu thời gian làm bằng chứng (khóa có thể đã bị lộ từ trước)",
                    );
                }
            }
            s
        }
        RevocationUnknown { certificates } => unknown_list(certificates, c),
        RevocationNotChecked { certificates } => format!("chưa kiểm tra được tình trạng thu hồi: {}", unknown_list(certificates, c)),
        RevocationFetched { subject, fetch } => format!("cho {}: {}", c.name(subject), fetch_text(fetch)),
        StatusFrom { subject, source } => match source {
            StatusSource::Crl { issuer } => format!("tình trạng của {} theo CRL của {}", c.name(subject), c.name(issuer)),
            StatusSource::Ocsp { responder, produced_at } => {
                format!("tình trạng của {} theo máy chủ OCSP {} (trả lời lúc {})", c.name(subject), c.name(responder), c.time(*produced_at))
            }
        },

        TimestampAttributeUnreadable(p) => format!("không đọc được dấu thời gian: {}", format_problem(p)),
        SignatureTimestampValid { time, tsa, serial, chain, tsa_revocation } => {
            let mut s = format!(
                "dấu thời gian {} của {} (số hiệu {}) đúng với chữ ký này; chuỗi của TSA: {}",
                c.time(*time),
                c.name(tsa),
                clean(serial),
                chain.iter().map(|n| c.name(n)).collect::<Vec<_>>().join(" → ")
            );
            match tsa_revocation {
                TsaRevocation::NotChecked => {}
                TsaRevocation::Good => s.push_str("; chứng thư số của TSA chưa bị thu hồi"),
                TsaRevocation::Unknown => s.push_str("; chưa xác định được tình trạng thu hồi của chứng thư số TSA"),
                TsaRevocation::RevokedLater { date, reason } => s.push_str(&format!(
                    "; chứng thư số của TSA bị thu hồi sau đó, lúc {} (lý do: {}), không ảnh hưởng tới các dấu thời gian có trước",
                    c.time(*date),
                    reason_vi(*reason)
                )),
            }
            s
        }
        TimestampNotUsed(r) => format!("dấu thời gian không được dùng làm bằng chứng tồn tại: {}", rejection(r, c)),
        TsaRevocationUnknown { certificates } => {
            format!("chưa kiểm tra được tình trạng thu hồi của chứng thư số TSA: {}", unknown_list(certificates, c))
        }
        CoveredByDocumentTimestamp { field, tsa, time } => format!(
            "chữ ký nằm trong phạm vi của dấu thời gian cho tài liệu \"{}\" của {}: chữ ký đã tồn tại lúc {}",
            clean(field),
            tsa.as_ref().map(|t| c.name(t)).unwrap_or_else(|| "một TSA không rõ".into()),
            c.time(*time)
        ),
        RevokedAfterPoeAccepted { date, reason, poe } => format!(
            "chứng thư số bị thu hồi lúc {} (lý do: {}), sau thời điểm của dấu thời gian {}: chữ ký được chấp nhận vì dấu thời gian chứng minh chữ ký có trước khi thu hồi",
            c.time(*date),
            reason_vi(*reason),
            c.time(*poe)
        ),
        TokenTooLarge { limit } => format!("token dấu thời gian lớn hơn {limit} byte"),
        TokenSignerCount { count } => format!("token dấu thời gian chứa {count} SignerInfo; một token chỉ được có một (RFC 3161 §2.4.2)"),
        ImprintMismatch { part } => format!(
            "giá trị băm trong dấu thời gian không khớp với dữ liệu ({})",
            match part {
                ImprintPart::Algorithm => "khác thuật toán băm",
                ImprintPart::Parameters => "tham số thuật toán băm không đúng",
                ImprintPart::Hash => "giá trị băm khác",
            }
        ),
        NonceMismatch => "số nonce trong dấu thời gian không khớp với yêu cầu".into(),
        NotATsaCertificate(p) => format!("không phải chứng thư số đóng dấu thời gian: {}", tsa_certificate_problem(*p)),
        GenTimeOutsideValidity { gen_time, not_before, not_after } => format!(
            "thời điểm {} của dấu thời gian nằm ngoài thời hạn của chứng thư số TSA ({})",
            c.time(*gen_time),
            c.period(*not_before, *not_after)
        ),
        TsaUntrusted(p) => format!("chứng thư số của TSA không được tin cậy ({})", path_problem(p, c)),
        NoTsaTrustAnchor => "không có CA tin cậy cho TSA".into(),
        DocumentTimestampValid { time, tsa, serial, algorithm, chain } => format!(
            "dấu thời gian {} của {} (số hiệu {}) trên các đoạn byte được ký ({}); chuỗi của TSA: {}",
            c.time(*time),
            c.name(tsa),
            clean(serial),
            digest(*algorithm),
            chain.iter().map(|n| c.name(n)).collect::<Vec<_>>().join(" → ")
        ),
        DocumentTimestampInvalid(inner) => format!("dấu thời gian cho tài liệu không đúng: {}", finding(inner, c)),
        ImprintAlgorithmUnsupported { oid } => format!("thuật toán băm {oid} của dấu thời gian không được hỗ trợ"),
        ImprintSha1Refused => "dấu thời gian dùng SHA-1, chính sách strict không cho phép".into(),

        PdfSubFilterUnsupported { sub_filter } => format!(
            "/SubFilter {} không được hỗ trợ (kyso kiểm tra ETSI.CAdES.detached, adbe.pkcs7.detached và ETSI.RFC3161)",
            clean(sub_filter)
        ),
        PdfByteRange(p) => byte_range_problem(p),
        PdfByteRangeOk { range, revision, count } => {
            format!("/ByteRange {range:?} ký phiên bản {revision} trên {count}, trừ /Contents")
        }
        PdfSignatureField { field, revision, count, whole } => format!(
            "trường \"{}\", phiên bản {revision} trên {count}, {}",
            clean(field),
            if *whole { "bao trùm toàn bộ tệp" } else { "không bao trùm toàn bộ tệp" }
        ),
        PdfSubFilter { sub_filter } => clean(sub_filter),
        PdfSignerInfoCount { count } => format!("CMS của chữ ký chứa {count} SignerInfo; một chữ ký PDF chỉ được có một"),
        PdfDss { certificates, crls, ocsps } => {
            let mut s = format!(
                "kho dữ liệu kiểm tra của tài liệu (/DSS) có {certificates} chứng thư số và {crls} CRL, dùng để kiểm tra chuỗi và thu hồi"
            );
            if *ocsps > 0 {
                s.push_str(&format!("; {ocsps} phản hồi OCSP không được dùng (kyso kiểm tra thu hồi bằng CRL)"));
            }
            s
        }
        DssPartIgnored(p) => format!("một phần của /DSS bị bỏ qua: {}", dss_problem(p)),
        DssBudget { certificates, crls } => {
            format!("chỉ dùng {certificates} chứng thư số và {crls} CRL đầu tiên của /DSS (giới hạn của trình kiểm tra)")
        }
        PdfCoversWholeFile => "chữ ký bao trùm toàn bộ tệp".into(),
        PdfOnlySignaturesAndForms => "các phiên bản sau chỉ thêm chữ ký hoặc điền biểu mẫu".into(),
        PdfChanged { changes } => format!(
            "tệp đã bị thay đổi sau chữ ký này: {}",
            changes.iter().map(pdf_change).collect::<Vec<_>>().join("; ")
        ),
        PdfEncrypted(e) => match e {
            PdfEncryption::EmptyUserPassword => {
                "tệp PDF được mã hóa với mật khẩu người dùng rỗng (trình đọc mở được mà không hỏi); chữ ký đã được kiểm tra trên đúng các byte đã ký, không giải mã tệp".into()
            }
            _ => "tệp PDF được mã hóa cho người nhận xác định hoặc bằng mật khẩu; chữ ký đã được kiểm tra trên các byte đã mã hóa như khi ký (/Contents và /ByteRange của chữ ký không bị mã hóa), nhưng không đọc được tên trường chữ ký, thời điểm ký ghi trong PDF và nội dung tài liệu khi không có khóa".into(),
        },
        PdfChangesUnknown(p) => format!(
            "không phân tích được các thay đổi sau chữ ký này: {}",
            match p {
                PdfAnalysisProblem::NotARevision => "phạm vi byte không giới hạn đúng một phiên bản".to_string(),
                PdfAnalysisProblem::SignedRevisionUnreadable { .. } => "không đọc được phiên bản đã ký".to_string(),
                PdfAnalysisProblem::BrokenRevisionChain { revision } => {
                    format!("dữ liệu tham chiếu chéo (xref) của phiên bản {revision} bị thiếu, trỏ ra ngoài phiên bản đó, hoặc không dẫn về phiên bản trước")
                }
                PdfAnalysisProblem::TooComplex => "tệp đòi hỏi nhiều xử lý hơn mức cho phép với kích thước của nó".into(),
                PdfAnalysisProblem::SignatureNotInRevision => "từ điển chữ ký không phải giá trị của một trường chữ ký trong phiên bản đã ký".into(),
            }
        ),
        PdfUnexplainedBytes { bytes } => format!("{bytes} byte sau phiên bản đã ký không phải chữ ký hay điền biểu mẫu"),
        PdfContentsTrailingBytes { bytes } => {
            format!("vùng /Contents của chữ ký có {bytes} byte sau khối CMS không phải byte 0 đệm (nằm ngoài phần được ký; bỏ qua)")
        }
        PdfLaterRevisions { revisions } => revisions.iter().map(pdf_revision).collect::<Vec<_>>().join("; "),
        PdfPermissions(p) => pdf_permissions(p),
        PdfPermissionsViolated { violations } => format!(
            "các phiên bản sau vi phạm quyền sửa đổi do chữ ký này đặt ra: {}",
            violations.iter().map(violation).collect::<Vec<_>>().join("; ")
        ),
        MailMalformed(p) => mail_problem(p),
        MailFromMatches { address } => format!("địa chỉ người gửi {} là một địa chỉ thư điện tử ghi trong chứng thư số của người ký", clean(address)),
        MailFromMismatch { from, certificate } => format!(
            "địa chỉ người gửi (From: {}) không phải địa chỉ ghi trong chứng thư số của người ký ({}): thư có thể không được gửi từ hộp thư của người ký",
            address_list(from),
            address_list(certificate)
        ),
        MailFromMissing => "thư không có địa chỉ người gửi (From) nên không đối chiếu được với chứng thư số của người ký".into(),
        MailCertificateNoAddress { from } => format!(
            "chứng thư số của người ký không ghi địa chỉ thư điện tử nào, nên không có gì gắn địa chỉ người gửi (From: {}) với người ký",
            address_list(from)
        ),
        MailHeadersProtected { headers } => format!("các trường tiêu đề thư {} khớp với bản đã ký của chúng", super::en::names(headers)),
        MailHeaderChanged { header, signed, shown } => match (signed.is_empty(), shown.is_empty()) {
            (true, _) => format!("trường tiêu đề thư {} được thêm vào sau khi ký (hiển thị: \"{}\")", clean(header), clean(shown)),
            (_, true) => format!("trường tiêu đề thư {} đã ký (\"{}\") bị xóa trên đường truyền", clean(header), clean(signed)),
            _ => format!(
                "trường tiêu đề thư {} bị thay đổi sau khi ký: bản đã ký \"{}\", bản hiển thị \"{}\"",
                clean(header),
                clean(signed),
                clean(shown)
            ),
        },
        MailHeadersNotProtected { headers } => format!(
            "các trường tiêu đề thư {} nằm ngoài phạm vi chữ ký: nếu bị sửa trên đường truyền sẽ không phát hiện được",
            super::en::names(headers)
        ),
        MailLineEndingsConverted => {
            "phần đã ký được lưu với ký tự xuống dòng LF; đã kiểm tra trên dạng chuẩn của nó với xuống dòng CRLF (RFC 8551 §3.1.1)".into()
        }
        MailAttachmentUnsigned { name } => format!(
            "tệp đính kèm {} không có chữ ký riêng: chỉ chữ ký của thư bao trùm nó, và khi lưu ra khỏi thư thì không còn chữ ký nào",
            clean(name)
        ),
        MailSignatureWithoutDocument { name } => format!("tệp chữ ký {} được đính kèm mà không có văn bản của nó", clean(name)),
    }
}

fn quoted(s: &str) -> String {
    format!("{:?}", clean(s))
}

fn object_role(r: &ObjectRole) -> String {
    match r {
        ObjectRole::Other => String::new(),
        ObjectRole::Catalog => "danh mục gốc của tài liệu (/Root)".into(),
        ObjectRole::PageTree => "cây trang".into(),
        ObjectRole::Page { page } => format!("trang {page}"),
        ObjectRole::PageContent { page } => format!("nội dung của trang {page}"),
        ObjectRole::PageResource { page } => format!("tài nguyên dùng trên trang {page}"),
        ObjectRole::AnnotationList { page } => format!("danh sách chú thích của trang {page}"),
        ObjectRole::Annotation { page, subtype } => {
            let what = match subtype {
                Some(t) => format!("chú thích /{}", clean(t)),
                None => "một chú thích".into(),
            };
            if *page == 0 {
                what
            } else {
                format!("{what} trên trang {page}")
            }
        }
        ObjectRole::AcroForm => "biểu mẫu (/AcroForm)".into(),
        ObjectRole::FieldList => "danh sách trường biểu mẫu".into(),
        ObjectRole::FormField { name } => format!("trường biểu mẫu {}", quoted(name)),
        ObjectRole::SignatureField { name, signed } => {
            format!("trường chữ ký {} ({})", quoted(name), if *signed { "đã ký" } else { "còn trống" })
        }
        ObjectRole::Widget { field } => format!("ô hiển thị của trường {}", quoted(field)),
        ObjectRole::Appearance { field } => format!("hình hiển thị của trường {}", quoted(field)),
        ObjectRole::SignatureValue { field } => format!("từ điển chữ ký của trường {}", quoted(field)),
        ObjectRole::Dss => "kho dữ liệu kiểm tra (/DSS)".into(),
        ObjectRole::Metadata => "siêu dữ liệu XMP".into(),
        ObjectRole::Info => "thông tin tài liệu (/Info)".into(),
    }
}

fn pdf_update(u: &PdfUpdate) -> String {
    let vis = |v: bool| if v { "hiển thị" } else { "không hiển thị" };
    match u {
        PdfUpdate::SignatureAdded { field, timestamp: true, visible } => format!("thêm dấu thời gian cho tài liệu {} ({})", quoted(field), vis(*visible)),
        PdfUpdate::SignatureAdded { field, visible, .. } => format!("thêm chữ ký {} ({})", quoted(field), vis(*visible)),
        PdfUpdate::SignatureFieldAdded { field, visible } => format!("thêm trường chữ ký trống {} ({})", quoted(field), vis(*visible)),
        PdfUpdate::FormFilled { field } => format!("điền trường biểu mẫu {}", quoted(field)),
        PdfUpdate::FormResources => "cập nhật tài nguyên mặc định của biểu mẫu (/DR)".into(),
        PdfUpdate::Dss => "thêm dữ liệu kiểm tra vào /DSS".into(),
        PdfUpdate::Metadata => "cập nhật siêu dữ liệu XMP".into(),
        PdfUpdate::Info => "cập nhật thông tin tài liệu (/Info)".into(),
        PdfUpdate::UnusedObjects { count } => format!("thêm {count} đối tượng không được dùng đến"),
    }
}

fn pdf_revision(r: &PdfRevision) -> String {
    let mut parts: Vec<String> = r.updates.iter().map(pdf_update).collect();
    if !r.changes.is_empty() {
        parts.push(format!("BỊ THAY ĐỔI: {}", r.changes.iter().map(pdf_change).collect::<Vec<_>>().join(", ")));
    }
    if parts.is_empty() {
        parts.push("không thay đổi gì".into());
    }
    format!("phiên bản {}: {}", r.revision, parts.join(", "))
}

fn mdp_level(l: MdpLevel) -> String {
    let what = match l {
        MdpLevel::NoChanges => "không cho phép thay đổi",
        MdpLevel::FormFilling => "cho phép điền biểu mẫu và ký",
        MdpLevel::Annotations => "cho phép điền biểu mẫu và ký; tiêu chuẩn cho phép cả chú thích nhưng kyso không chấp nhận",
    };
    format!("P={} ({what})", l.p())
}

fn field_list(f: &[String]) -> String {
    f.iter().map(|n| quoted(n)).collect::<Vec<_>>().join(", ")
}

fn pdf_permissions(p: &PdfPermissions) -> String {
    let mut parts = Vec::new();
    if let Some(l) = p.certification {
        parts.push(format!("chữ ký chứng nhận tài liệu, {}", mdp_level(l)));
    }
    match &p.lock {
        Some(FieldLock::All) => parts.push("khóa mọi trường biểu mẫu".into()),
        Some(FieldLock::Include(f)) => parts.push(format!("khóa các trường biểu mẫu {}", field_list(f))),
        Some(FieldLock::Exclude(f)) => parts.push(format!("khóa mọi trường biểu mẫu trừ {}", field_list(f))),
        None => {}
    }
    if parts.is_empty() {
        "không chứng nhận tài liệu và không khóa trường nào".into()
    } else {
        parts.join("; ")
    }
}

fn violation(v: &PermissionViolation) -> String {
    match v {
        PermissionViolation::DocMdp { level, revision, update } => {
            format!("phiên bản {revision}: {} (mức chứng nhận {} không cho phép)", pdf_update(update), mdp_level(*level))
        }
        PermissionViolation::VisibleSignatureAfterCertification { revision, field } => {
            format!("phiên bản {revision}: thêm trường chữ ký hiển thị {} sau chữ ký chứng nhận tài liệu", quoted(field))
        }
        PermissionViolation::FieldLocked { revision, field } => format!("phiên bản {revision}: trường bị khóa {} đã bị sửa", quoted(field)),
    }
}

/// Địa chỉ thư điện tử, cách nhau bằng dấu phẩy ("không có" khi danh sách rỗng).
fn address_list(a: &[String]) -> String {
    if a.is_empty() {
        "không có".into()
    } else {
        a.iter().map(|x| clean(x)).collect::<Vec<_>>().join(", ")
    }
}

/// Vì sao không kiểm tra được thư như một thư có ký số.
fn mail_problem(p: &MailProblem) -> String {
    match p {
        MailProblem::TooLarge { limit } => format!("thư lớn hơn {limit} byte (giới hạn của trình kiểm tra)"),
        MailProblem::TooManyParts { limit } => format!("thư có hơn {limit} phần MIME hoặc dòng phân cách (giới hạn của trình kiểm tra)"),
        MailProblem::TooManyHeaderLines { limit } => format!("thư có hơn {limit} dòng tiêu đề (giới hạn của trình kiểm tra)"),
        MailProblem::TooDeep { limit } => format!("các phần của thư lồng nhau sâu hơn {limit} mức (giới hạn của trình kiểm tra)"),
        MailProblem::DecodedTooLarge { limit } => format!("các phần của thư sau khi giải mã lớn hơn {limit} byte (giới hạn của trình kiểm tra)"),
        MailProblem::PartUndecodable { name } => format!("phần {} của thư không giải mã được (base64 hoặc quoted-printable hỏng)", clean(name)),
        MailProblem::NotAMessage => "đây không phải một thư điện tử (không có phần tiêu đề)".into(),
        MailProblem::NotSigned { content_type } => format!(
            "thư không được ký số theo S/MIME: kiểu nội dung của thư là {}",
            clean(content_type)
        ),
        MailProblem::Encrypted => "thư được mã hóa (enveloped-data); kyso chỉ kiểm tra chữ ký, không giải mã".into(),
        MailProblem::UnknownProtocol { protocol } => format!(
            "giao thức chữ ký của thư là {}, không phải S/MIME",
            clean(protocol)
        ),
        MailProblem::PartCount { count } => format!("thư ký số S/MIME dạng tách rời có {count} phần; phải có đúng hai phần (nội dung đã ký và chữ ký)"),
        MailProblem::BrokenBoundary => "thư ký số S/MIME dạng tách rời không có chuỗi phân cách hoặc thiếu dòng phân cách kết thúc".into(),
        MailProblem::SignatureUndecodable => "phần chữ ký không phải CMS SignedData mã hóa base64".into(),
        MailProblem::NoContent => "thư S/MIME dạng đóng gói (pkcs7-mime) không chứa nội dung thư (thiếu eContent)".into(),
    }
}

fn io_problem(e: &IoProblem) -> &'static str {
    use std::io::ErrorKind as K;
    match e.kind {
        K::NotFound => "không tìm thấy tệp",
        K::PermissionDenied => "không có quyền đọc tệp",
        K::IsADirectory => "đây là một thư mục, không phải tệp",
        K::UnexpectedEof => "tệp kết thúc đột ngột",
        K::InvalidData => "dữ liệu không hợp lệ",
        K::OutOfMemory => "không đủ bộ nhớ",
        _ => "lỗi đọc/ghi của hệ thống",
    }
}

fn pdf_problem(p: &PdfProblem) -> String {
    match p {
        PdfProblem::Parse { .. } | PdfProblem::ParserFailed => "không đọc được tệp PDF (cấu trúc PDF hỏng hoặc không phải PDF)".into(),
        PdfProblem::Encrypted => {
            "tệp PDF được mã hóa và không đọc được cả cấu trúc khi không có khóa hoặc mật khẩu của tài liệu, nên không tìm được chữ ký; kyso kiểm tra chữ ký mà không giải mã tài liệu, còn giải mã (ghi lại tệp) sẽ làm mất hiệu lực các chữ ký".into()
        }
        PdfProblem::DamagedXref => "bảng tham chiếu chéo (xref) của tệp PDF bị hỏng".into(),
        PdfProblem::Structure { .. } => "cấu trúc tệp PDF không hợp lệ".into(),
    }
}

fn format_problem(p: &FormatProblem) -> String {
    match (p.element, p.kind) {
        (Element::SignatureFile, FormatKind::TooLarge { limit }) => format!("tệp chữ ký lớn hơn {limit} byte"),
        (Element::SignatureFile, FormatKind::Empty) => "tệp chữ ký rỗng".into(),
        (Element::SignatureFile, FormatKind::NotRecognised) => "tệp chữ ký không phải CMS".into(),
        (Element::SignatureFile, FormatKind::SeveralPemBlocks) => "tệp PEM chứa nhiều khối CMS".into(),
        (e, k) => format!("{}: {}", element(e), format_kind(k)),
    }
}

fn element(e: Element) -> &'static str {
    match e {
        Element::SignatureFile => "tệp chữ ký",
        Element::ContentInfo => "ContentInfo",
        Element::SignedData => "SignedData",
        Element::DigestAlgorithms => "digestAlgorithms",
        Element::EncapContentInfo => "encapContentInfo",
        Element::EContent => "eContent",
        Element::Certificates => "SignedData.certificates",
        Element::Crls => "SignedData.crls",
        Element::SignerInfos => "signerInfos",
        Element::SignerInfo => "SignerInfo",
        Element::Sid => "SignerInfo.sid",
        Element::DigestAlgorithm => "SignerInfo.digestAlgorithm",
        Element::SignedAttributes => "signedAttrs",
        Element::UnsignedAttributes => "unsignedAttrs",
        Element::SignatureAlgorithm => "signatureAlgorithm",
        Element::Signature => "SignerInfo.signature",
        Element::TimestampToken => "token dấu thời gian",
        Element::TstInfo => "TSTInfo",
        Element::Crl => "CRL",
        Element::Certificate => "chứng thư số",
    }
}

fn format_kind(k: FormatKind) -> String {
    match k {
        FormatKind::Truncated => "dữ liệu bị cắt cụt".into(),
        FormatKind::HighTagNumber => "số hiệu thẻ (tag) quá lớn".into(),
        FormatKind::IndefiniteLength => "độ dài không xác định (BER) ở chỗ bắt buộc DER".into(),
        FormatKind::NonMinimalLength => "độ dài không ở dạng ngắn nhất".into(),
        FormatKind::LengthTooLong => "trường độ dài dài hơn 4 byte".into(),
        FormatKind::LengthOverflow => "độ dài bị tràn số".into(),
        FormatKind::TrailingData => "có dữ liệu thừa phía sau".into(),
        FormatKind::UnexpectedTag => "thành phần không đúng kiểu".into(),
        FormatKind::TooMany { limit } => format!("nhiều hơn {limit} phần tử (giới hạn của trình kiểm tra)"),
        FormatKind::TooDeep => "lồng nhau quá sâu".into(),
        FormatKind::Missing => "bị thiếu".into(),
        FormatKind::UnknownVersion => "số phiên bản không hợp lệ hoặc không nhất quán".into(),
        FormatKind::WrongContentType => "sai kiểu nội dung".into(),
        FormatKind::InvalidValue => "giá trị không hợp lệ".into(),
        FormatKind::NotRecognised => "không đúng cấu trúc cần có".into(),
        FormatKind::TooLarge { limit } => format!("lớn hơn {limit} byte"),
        FormatKind::Empty => "rỗng".into(),
        FormatKind::SeveralPemBlocks => "tệp PEM chứa nhiều khối CMS".into(),
    }
}

fn digest(d: DigestAlgorithm) -> &'static str {
    d.name()
}

/// A signature scheme's name, in Vietnamese ("với" for "with").
pub(crate) fn scheme_name(s: SignatureScheme) -> String {
    match s {
        SignatureScheme::Ecdsa(d) => format!("ECDSA với {}", digest(d)),
        SignatureScheme::RsaPkcs1(d) => format!("RSA PKCS#1 v1.5 với {}", digest(d)),
        SignatureScheme::RsaPss(d) => format!("RSASSA-PSS với {}", digest(d)),
        SignatureScheme::RsaPssSalt { hash, salt_len } => format!("RSASSA-PSS với {} (salt {salt_len} byte)", digest(hash)),
        SignatureScheme::Ed25519 => "Ed25519".into(),
        SignatureScheme::Ed448 => "Ed448".into(),
    }
}

fn ess_name(v: EssVersion, matches: bool) -> &'static str {
    match (v, matches) {
        (EssVersion::V2, _) => "signing-certificate-v2",
        (EssVersion::V1, true) => "signing-certificate (v1)",
        (EssVersion::V1, false) => "signing-certificate",
    }
}

fn bits_vi(bits: &[KeyUsageBit]) -> String {
    if bits.is_empty() {
        "(không có)".into()
    } else {
        bit_list(bits)
    }
}

fn key_description(k: &KeyDescription) -> String {
    match k {
        KeyDescription::Rsa { bits } => format!("RSA {bits} bit"),
        KeyDescription::EcdsaP256 => "ECDSA P-256".into(),
        KeyDescription::EcdsaP384 => "ECDSA P-384".into(),
        KeyDescription::EcdsaP521 => "ECDSA P-521".into(),
        KeyDescription::EcdsaBrainpoolP256 => "ECDSA brainpoolP256r1".into(),
        KeyDescription::EcdsaBrainpoolP384 => "ECDSA brainpoolP384r1".into(),
        KeyDescription::Ed25519 => "Ed25519".into(),
        KeyDescription::Ed448 => "Ed448".into(),
    }
}

fn key_problem(p: &KeyProblem) -> String {
    match p {
        KeyProblem::RsaTooSmall { bits, minimum } => format!("khóa RSA {bits} bit (cần ít nhất {minimum} bit)"),
        KeyProblem::RsaTooLarge { bits, maximum } => format!("khóa RSA {bits} bit (tối đa {maximum} bit)"),
        KeyProblem::CurveNotAllowed { curve } => format!(
            "đường cong elliptic (EC) {} không được phép (cần P-256, P-384, P-521, brainpoolP256r1 hoặc brainpoolP384r1)",
            clean(curve)
        ),
        KeyProblem::AlgorithmNotAllowed { algorithm } => format!("thuật toán khóa công khai {} không được phép", clean(algorithm)),
    }
}

fn cert(c: &Ctx<'_>, x: &CertInPath) -> String {
    if x.position == 0 {
        format!("chứng thư số {}", c.name(&x.subject))
    } else {
        format!("chứng thư CA {}", c.name(&x.subject))
    }
}

fn path_problem(p: &PathProblem, c: &Ctx<'_>) -> String {
    use super::en::name_kind;
    match p {
        PathProblem::Malformed { cert: x } => format!("không đọc được {}", cert(c, x)),
        PathProblem::NoIssuer { cert: x, issuer } => {
            format!("không có đường dẫn tới CA tin cậy: không tìm thấy tổ chức cấp {} của {}", c.name(issuer), cert(c, x))
        }
        PathProblem::BadSignature { cert: x } => {
            format!("không có đường dẫn tới CA tin cậy: chữ ký trên {} không đúng với khóa của tổ chức cấp", cert(c, x))
        }
        PathProblem::AlgorithmNotAllowed { cert: x, algorithm } => {
            format!("thuật toán chữ ký {} của {} không được chính sách cho phép", clean(algorithm), cert(c, x))
        }
        PathProblem::WeakKey { cert: x, .. } => format!("khóa dùng để ký {} không được chính sách cho phép (yếu hoặc không hỗ trợ)", cert(c, x)),
        PathProblem::Expired { cert: x, not_after, time } => {
            format!("{} đã hết hạn lúc {} (thời điểm kiểm tra {})", cert(c, x), c.time(*not_after), c.time(*time))
        }
        PathProblem::NotYetValid { cert: x, not_before, time } => {
            format!("{} chỉ có hiệu lực từ {} (thời điểm kiểm tra {})", cert(c, x), c.time(*not_before), c.time(*time))
        }
        PathProblem::NotCa { cert: x } => format!("{} được dùng làm tổ chức cấp nhưng không phải chứng thư CA", cert(c, x)),
        PathProblem::NoKeyCertSign { cert: x } => format!("keyUsage của {} thiếu keyCertSign", cert(c, x)),
        PathProblem::PathLengthExceeded { cert: x } => format!("{} vượt quá giới hạn độ dài chuỗi (pathLenConstraint) của một CA", cert(c, x)),
        PathProblem::TooLong { max } => format!("chuỗi có nhiều hơn {max} chứng thư CA trung gian"),
        PathProblem::UnknownCriticalExtension { cert: x, oid } => {
            format!("{} có phần mở rộng bắt buộc (critical) không được hỗ trợ {oid}", cert(c, x))
        }
        PathProblem::NameConstraintViolated { cert: x, kind, name } => {
            format!("tên {} {} của {} vi phạm ràng buộc tên (nameConstraints) của một CA", name_kind(*kind), clean(name), cert(c, x))
        }
        PathProblem::NameConstraintUnsupported { cert: x, kind } => {
            format!("{} có tên loại {} chịu ràng buộc tên loại này, kyso chưa xử lý được", cert(c, x), name_kind(*kind))
        }
        PathProblem::AnyPolicyMapping { cert: x } => format!("{} ánh xạ chính sách tới hoặc từ anyPolicy", cert(c, x)),
        PathProblem::NoValidPolicy { cert: x } => {
            format!("không còn chính sách chứng thư nào được chấp nhận tại {} trong khi bắt buộc phải có chính sách", cert(c, x))
        }
        PathProblem::EkuNotAllowed { cert: x } => format!("extendedKeyUsage của {} không cho phép mục đích này", cert(c, x)),
        PathProblem::AnchorOutsideValidity { anchor, not_before, not_after } => {
            format!("CA tin cậy {} chỉ có hiệu lực {}", c.name(anchor), c.period(*not_before, *not_after))
        }
        PathProblem::Budget(b) => format!(
            "dừng kiểm tra chuỗi: hết giới hạn {}",
            match b {
                PathBudget::SignatureChecks => "số lần kiểm tra chữ ký",
                PathBudget::BuildSteps => "số bước xây dựng chuỗi",
                PathBudget::NameConstraintChecks => "số lần so khớp ràng buộc tên",
                PathBudget::Policies => "số chính sách trong một chứng thư",
                PathBudget::Names => "số tên trong một phần mở rộng",
            }
        ),
    }
}

fn crl_problem(p: &CrlProblem, c: &Ctx<'_>) -> String {
    match p {
        CrlProblem::Malformed(fp) => format!("CRL sai định dạng ({})", format_problem(fp)),
        CrlProblem::TooManyEntries { limit } => format!("CRL có hơn {limit} mục"),
        CrlProblem::NoCrl => "không có CRL của tổ chức cấp".into(),
        CrlProblem::ReasonsNotCovered { missing } => format!(
            "các CRL được cung cấp không bao gồm mọi lý do thu hồi (thiếu: {})",
            missing.iter().map(|r| reason_vi(Some(*r))).collect::<Vec<_>>().join(", ")
        ),
        CrlProblem::Stale { issuer, next_update } => {
            format!("CRL của {} đã quá hạn (nextUpdate {})", c.name(issuer), c.time(*next_update))
        }
        CrlProblem::UnknownCriticalExtension { issuer, oid } => {
            format!("CRL của {} có phần mở rộng critical không rõ {}", c.name(issuer), clean(oid))
        }
        CrlProblem::AttributeCertificates => "CRL chỉ dành cho chứng thư thuộc tính".into(),
        CrlProblem::NoCrlNumber { issuer } => format!("CRL của {} không có số hiệu CRL (RFC 5280 §5.2.3)", c.name(issuer)),
        CrlProblem::NoValidSigner { issuer, why } => match why {
            None => format!("không có chứng thư số nào của {} để kiểm tra CRL", c.name(issuer)),
            Some(CrlSignerProblem::BadSignature) => format!("CRL của {} có chữ ký sai", c.name(issuer)),
            Some(CrlSignerProblem::Algorithm) => format!("thuật toán chữ ký của CRL của {} không được chính sách cho phép", c.name(issuer)),
            Some(CrlSignerProblem::NoCrlSign) => format!("khóa ký CRL của {} không có mục đích cRLSign", c.name(issuer)),
            Some(CrlSignerProblem::Path(p)) => format!("chứng thư ký CRL của {} không có chuỗi hợp lệ: {}", c.name(issuer), path_problem(p, c)),
            Some(CrlSignerProblem::NotGood) => format!("chứng thư ký CRL của {} đã bị thu hồi hoặc chưa rõ tình trạng", c.name(issuer)),
        },
        CrlProblem::DeltaUnusable { issuer } => format!("có CRL bổ sung (delta CRL) của {} nhưng không dùng được", c.name(issuer)),
        CrlProblem::Budget => "hết giới hạn kiểm tra CRL".into(),
    }
}

fn unknown_list(certs: &[UnknownStatus], c: &Ctx<'_>) -> String {
    if certs.is_empty() {
        return "không có CRL hoặc phản hồi OCSP dùng được".into();
    }
    certs
        .iter()
        .map(|u| {
            let mut s = format!("không có CRL hoặc phản hồi OCSP dùng được cho {}", c.name(&u.subject));
            let problems: Vec<String> = u.problems.iter().map(|p| crl_problem(p, c)).chain(u.ocsp.iter().map(|p| ocsp_problem(p, c))).collect();
            if !problems.is_empty() {
                s.push_str(&format!(" ({})", problems.join("; ")));
            }
            if !u.fetches.is_empty() {
                s.push_str(&format!("; đã thử: {}", u.fetches.iter().map(fetch_text).collect::<Vec<_>>().join(", ")));
            }
            let issuer = u.issuer.as_ref().map(|i| format!("CRL của {}", c.name(i))).unwrap_or_else(|| "CRL của tổ chức cấp".into());
            let mut todo = format!("; để kiểm tra, hãy cung cấp {issuer}");
            if !u.crl_urls.is_empty() {
                todo.push_str(&format!(" (công bố tại {})", u.crl_urls.iter().map(|x| clean(x)).collect::<Vec<_>>().join(", ")));
            }
            let fetchable: Vec<String> = u.ocsp_urls.iter().chain(u.crl_urls.iter()).map(|x| clean(x)).collect();
            if !fetchable.is_empty() {
                todo.push_str(&format!(" hoặc cho phép kyso tải từ {}", fetchable.join(", ")));
            }
            s.push_str(&todo);
            s
        })
        .collect::<Vec<_>>()
        .join("; ")
}

fn fetch_kind(k: FetchKind) -> &'static str {
    match k {
        FetchKind::Crl => "CRL",
        FetchKind::Ocsp => "phản hồi OCSP",
    }
}

/// One fetch, in Vietnamese (the system's own message is left out: it is English).
fn fetch_text(f: &Fetch) -> String {
    let url = clean(&f.url);
    match &f.outcome {
        FetchOutcome::Received { bytes, cached: false } => format!("đã tải {} từ {url} ({bytes} byte)", fetch_kind(f.kind)),
        FetchOutcome::Received { bytes, cached: true } => format!("{} lấy từ bộ nhớ đệm của {url} ({bytes} byte)", fetch_kind(f.kind)),
        FetchOutcome::Failed(e) => match e {
            FetchFailure::Offline => format!("{url}: không tải (đang làm việc ngoại tuyến)"),
            FetchFailure::NotHttp => format!("{url}: không tải (chỉ tải địa chỉ http://)"),
            FetchFailure::Connect { .. } => format!("{url}: không kết nối được"),
            FetchFailure::Timeout { seconds } => format!("{url}: không có trả lời trong {seconds} giây"),
            FetchFailure::HttpStatus { code } => format!("{url}: máy chủ trả lời HTTP {code}"),
            FetchFailure::TooLarge { limit } => format!("{url}: dữ liệu trả về lớn hơn {limit} byte"),
            FetchFailure::Protocol { .. } => format!("{url}: trả lời HTTP không dùng được"),
            FetchFailure::Budget => format!("{url}: không tải (đã hết giới hạn số lần tải)"),
        },
    }
}

fn ocsp_status_vi(s: OcspErrorStatus) -> String {
    match s {
        OcspErrorStatus::MalformedRequest => "yêu cầu sai định dạng (mã 1)".into(),
        OcspErrorStatus::InternalError => "lỗi nội bộ (mã 2)".into(),
        OcspErrorStatus::TryLater => "hãy thử lại sau (mã 3)".into(),
        OcspErrorStatus::SigRequired => "yêu cầu phải được ký (mã 5)".into(),
        OcspErrorStatus::Unauthorized => "không có thẩm quyền trả lời (mã 6)".into(),
        OcspErrorStatus::Other(c) => format!("mã {c}"),
    }
}

fn ocsp_problem(p: &OcspProblem, c: &Ctx<'_>) -> String {
    match p {
        OcspProblem::Malformed => "phản hồi OCSP sai định dạng".into(),
        OcspProblem::ErrorStatus(s) => format!("máy chủ OCSP trả lời lỗi: {}", ocsp_status_vi(*s)),
        OcspProblem::NotAboutCertificate => "phản hồi OCSP nói về chứng thư khác".into(),
        OcspProblem::UnknownToResponder { responder } => format!("máy chủ OCSP {} không biết chứng thư này (trạng thái không xác định)", c.name(responder)),
        OcspProblem::BadSignature { responder } => format!("chữ ký của phản hồi OCSP từ {} không hợp lệ", c.name(responder)),
        OcspProblem::AlgorithmNotAllowed { responder } => {
            format!("thuật toán ký của phản hồi OCSP từ {} không được chính sách cho phép", c.name(responder))
        }
        OcspProblem::ResponderNotAuthorised => {
            "phản hồi OCSP không do tổ chức cấp chứng thư hoặc máy chủ OCSP được tổ chức đó ủy quyền ký (RFC 6960 §4.2.2.2)".into()
        }
        OcspProblem::ResponderNotValid { responder, produced_at } => {
            format!("chứng thư của máy chủ OCSP {} không có hiệu lực lúc ký phản hồi ({})", c.name(responder), c.time(*produced_at))
        }
        OcspProblem::ResponderUnchecked { responder } => {
            format!("chứng thư của máy chủ OCSP {} không có phần mở rộng ocsp-nocheck và không xác định được tình trạng của nó", c.name(responder))
        }
        OcspProblem::Stale { responder, next_update } => format!("phản hồi OCSP của {} đã quá hạn (nextUpdate {})", c.name(responder), c.time(*next_update)),
        OcspProblem::NonceMismatch => "nonce của phản hồi OCSP không khớp với yêu cầu (phản hồi bị phát lại?)".into(),
        OcspProblem::UnknownCriticalExtension { oid } => format!("phản hồi OCSP có phần mở rộng critical không xác định {}", clean(oid)),
        OcspProblem::Budget => "hết giới hạn kiểm tra OCSP".into(),
    }
}

/// A CRLReason in Vietnamese, with its RFC 5280 name.
pub(crate) fn reason_vi(r: Option<CrlReason>) -> String {
    let Some(r) = r else { return "không có mã lý do".into() };
    let vi = match r {
        CrlReason::Unspecified => "không nêu lý do",
        CrlReason::KeyCompromise => "lộ khóa bí mật",
        CrlReason::CaCompromise => "CA bị lộ khóa",
        CrlReason::AffiliationChanged => "thay đổi đơn vị công tác",
        CrlReason::Superseded => "được thay thế bằng chứng thư mới",
        CrlReason::CessationOfOperation => "ngừng hoạt động",
        CrlReason::CertificateHold => "tạm dừng hiệu lực",
        CrlReason::RemoveFromCrl => "gỡ khỏi CRL",
        CrlReason::PrivilegeWithdrawn => "bị rút quyền",
        CrlReason::AaCompromise => "AA bị lộ khóa",
        CrlReason::Other(code) => return format!("mã lý do {code}"),
    };
    match r.asn1_name() {
        Some(n) => format!("{vi} ({n})"),
        None => vi.to_string(),
    }
}

/// "bị thu hồi lúc T, lý do: R", naming the certificate when it is not the signer's.
pub(crate) fn revocation_sentence(subject: &Name, date: time::OffsetDateTime, reason: Option<CrlReason>, c: &Ctx<'_>) -> String {
    let at = c.time(date);
    let reason = reason.map(|r| format!(", lý do: {}", reason_vi(Some(r)))).unwrap_or_default();
    match c.signer {
        Some(s) if s.dn == subject.dn => format!("bị thu hồi lúc {at}{reason}"),
        _ => format!("chứng thư số của {} (trong chuỗi) bị thu hồi lúc {at}{reason}", c.name(subject)),
    }
}

fn rejection(r: &TimestampRejection, c: &Ctx<'_>) -> String {
    match r {
        TimestampRejection::Token(f) => finding(f, c),
        TimestampRejection::TsaRevokedBefore { date, reason } => format!(
            "chứng thư số của TSA bị thu hồi lúc {} (lý do: {}), trước thời điểm của dấu thời gian",
            c.time(*date),
            reason_vi(*reason)
        ),
        TimestampRejection::TsaRevokedCompromise { date, reason } => format!(
            "chứng thư số của TSA bị thu hồi lúc {} (lý do: {}), khóa của TSA có thể đã bị dùng để tạo dấu thời gian lùi ngày",
            c.time(*date),
            reason_vi(*reason)
        ),
    }
}

fn tsa_certificate_problem(p: TsaCertificateProblem) -> &'static str {
    match p {
        TsaCertificateProblem::UnreadableEku => "không đọc được extendedKeyUsage",
        TsaCertificateProblem::NoEku => "không có extendedKeyUsage (cần id-kp-timeStamping)",
        TsaCertificateProblem::EkuNotCritical => "extendedKeyUsage không được đánh dấu critical",
        TsaCertificateProblem::NoTimeStamping => "extendedKeyUsage thiếu id-kp-timeStamping",
        TsaCertificateProblem::OtherPurposes => "extendedKeyUsage có mục đích khác ngoài id-kp-timeStamping",
        TsaCertificateProblem::KeyUsage => "keyUsage không có digitalSignature lẫn nonRepudiation",
        TsaCertificateProblem::IsCa => "đây là chứng thư CA",
    }
}

fn byte_range_problem(p: &ByteRangeProblem) -> String {
    match p {
        ByteRangeProblem::NoContents => "từ điển chữ ký sai: không có chuỗi /Contents".into(),
        ByteRangeProblem::NotFourIntegers => "từ điển chữ ký sai: /ByteRange không phải bốn số nguyên không âm".into(),
        ByteRangeProblem::NotFromStart => "phạm vi byte được ký không bắt đầu từ đầu tệp".into(),
        ByteRangeProblem::OutOfBounds => "phạm vi byte được ký nằm ngoài tệp hoặc các đoạn chồng lên nhau".into(),
        ByteRangeProblem::GapIsNotContents => "khoảng không được ký không đúng bằng /Contents của chữ ký".into(),
        ByteRangeProblem::NotAtRevisionEnd => "phần được ký không kết thúc ở cuối một phiên bản của tệp".into(),
    }
}

fn dss_problem(p: &DssProblem) -> String {
    match p {
        DssProblem::NotAnArray { key } => format!("/DSS /{key} không phải một mảng"),
        DssProblem::TooManyEntries { key, ignored, limit } => format!("/DSS /{key}: bỏ qua {ignored} mục sau {limit} mục đầu tiên"),
        DssProblem::NotAStream { key, index } => format!("mục {index} của /DSS /{key} không phải một luồng (stream)"),
        DssProblem::NotOneDerObject { key, index } => {
            format!("mục {index} của /DSS /{key} không phải đúng một đối tượng DER (luồng hỏng hoặc rỗng)")
        }
        DssProblem::Undecodable { key, index, .. } => format!("không giải mã được mục {index} của /DSS /{key}"),
    }
}

fn pdf_object(o: &PdfObject) -> String {
    let mut s = match &o.kind {
        Some(k) => format!("đối tượng {} {} (/{})", o.number, o.generation, clean(k)),
        None => format!("đối tượng {} {}", o.number, o.generation),
    };
    let role = object_role(&o.role);
    if !role.is_empty() {
        s.push_str(", ");
        s.push_str(&role);
    }
    s
}

fn pdf_change(ch: &PdfChange) -> String {
    match ch {
        PdfChange::TrailingBytes { bytes } => format!("{bytes} byte dữ liệu sau phiên bản cuối (không phải một lần cập nhật gia tăng)"),
        PdfChange::AcroFormChanged { keys } => format!("biểu mẫu (AcroForm) bị sửa: {}", pdf_keys(keys)),
        PdfChange::AcroFormRemoved => "biểu mẫu (AcroForm) bị xóa".into(),
        PdfChange::ObjectAdded(o) => format!("{} được thêm vào", pdf_object(o)),
        PdfChange::ObjectDeleted(o) => format!("{} bị xóa", pdf_object(o)),
        PdfChange::ObjectChanged { object, change } => match change {
            ObjectChange::Keys(k) => format!("{} bị sửa: {}", pdf_object(object), pdf_keys(k)),
            ObjectChange::StreamContent => format!("{} bị sửa: nội dung luồng (stream)", pdf_object(object)),
            ObjectChange::Annots => format!("{} bị sửa: /Annots, ngoài các ô chữ ký mới", pdf_object(object)),
            ObjectChange::Fields => format!("{} bị sửa: /Fields, ngoài các trường mới", pdf_object(object)),
            ObjectChange::Array => format!("{} (mảng) bị sửa", pdf_object(object)),
            ObjectChange::Replaced => format!("{} bị thay bằng đối tượng khác loại", pdf_object(object)),
            ObjectChange::Unreadable => format!("{} không đọc được", pdf_object(object)),
            ObjectChange::NotXmp => format!("{} bị sửa: không phải gói XMP", pdf_object(object)),
            ObjectChange::Structure => format!("{} bị sửa: cấu trúc không đúng với vai trò của nó", pdf_object(object)),
        },
        PdfChange::TrailerChanged { keys } => format!("phần cuối tệp bị sửa: {}", pdf_keys(keys)),
        PdfChange::AnnotationRemoved { page, object } => format!("{} bị gỡ khỏi trang {page}", pdf_object(object)),
        PdfChange::FieldAdded { name, field_type } => match field_type {
            Some(t) => format!("thêm trường biểu mẫu {} (/FT /{})", quoted(name), clean(t)),
            None => format!("thêm trường biểu mẫu {}", quoted(name)),
        },
        PdfChange::FieldRemoved { name } => format!("trường biểu mẫu {} bị xóa", quoted(name)),
        PdfChange::ObjectReused { field, object } => {
            format!("trường chữ ký mới {} dùng lại {} của phiên bản trước", quoted(field), pdf_object(object))
        }
        PdfChange::SignatureShared { fields } => format!("một từ điển chữ ký là giá trị của nhiều trường: {}", field_list(fields)),
        PdfChange::DanglingReferenceFilled(o) => {
            format!("{} được thêm vào chỗ một phiên bản trước tham chiếu tới đối tượng không có", pdf_object(o))
        }
    }
}
