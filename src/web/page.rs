//! The page of `kyso web`: HTML rendered on the server from the typed report
//! ([`crate::report::document_view`], the lines `kyso verify` prints), every string escaped;
//! its style sheet and script are constants served by kyso (no external resource, no inline
//! script or style: the Content-Security-Policy allows neither).

use crate::report::{document_view, DocumentView, Indication, Lang, Line, RenderOptions, RunReport};
use std::fmt::Write as _;

/// A verification's outcome to show.
pub(super) struct Result<'a> {
    pub report: &'a RunReport,
    pub checked_at: time::OffsetDateTime,
}

/// What one page shows.
pub(super) struct Page<'a> {
    pub lang: Lang,
    pub result: Option<Result<'a>>,
    pub error: Option<String>,
    pub anchors: &'a [super::AnchorInfo],
}

/// HTML-escapes text for element content and quoted attribute values.
pub(crate) fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

struct T {
    html_lang: &'static str,
    title: &'static str,
    intro: &'static str,
    choose: &'static str,
    hint: &'static str,
    drop: &'static str,
    submit: &'static str,
    result: &'static str,
    print: &'static str,
    record_link: &'static str,
    json: &'static str,
    record_title: &'static str,
    checked_at: &'static str,
    anchors: &'static str,
    verdict: &'static str,
    error: &'static str,
    back: &'static str,
    switch_label: &'static str,
    other_lang: &'static str,
    other_code: &'static str,
    footer: &'static str,
    documents: &'static str,
    language: &'static str,
}

const VI: T = T {
    html_lang: "vi",
    title: "Kiểm tra chữ ký số",
    intro: "Chọn tệp đã nhận: một tệp PDF đã ký, hoặc văn bản kèm tệp chữ ký .p7s của nó, hoặc nhiều tệp cùng lúc (văn bản và tệp .p7s được ghép theo tên). Tệp không được lưu lại trên máy chủ.",
    choose: "Tệp cần kiểm tra",
    hint: "Có thể chọn nhiều tệp; văn bản ABC.docx được ghép với ABC.docx.p7s.",
    drop: "Hoặc kéo thả tệp vào đây",
    submit: "Kiểm tra",
    result: "Kết quả kiểm tra",
    print: "In biên bản",
    record_link: "Xem bản in (biên bản)",
    json: "Tải báo cáo JSON",
    record_title: "Biên bản kiểm tra chữ ký số",
    checked_at: "Thời điểm kiểm tra",
    anchors: "Chứng thư số gốc tin cậy được dùng",
    verdict: "Kết luận",
    error: "Không kiểm tra được",
    back: "Quay lại trang kiểm tra",
    switch_label: "Ngôn ngữ",
    other_lang: "English",
    other_code: "en",
    footer: "kyso — kiểm tra theo các quy tắc xác thực chữ ký số (ETSI EN 319 102-1); chứng thư số gốc và dữ liệu thu hồi do máy chủ này cấu hình.",
    documents: "Tài liệu",
    language: "Ngôn ngữ kết quả",
};

const EN: T = T {
    html_lang: "en",
    title: "Signature verification",
    intro: "Choose the files you received: a signed PDF, or a document with its .p7s signature file, or several files at once (documents and .p7s files are paired by name). Nothing is stored on the server.",
    choose: "Files to verify",
    hint: "Several files may be chosen; ABC.docx is paired with ABC.docx.p7s.",
    drop: "Or drop the files here",
    submit: "Verify",
    result: "Result",
    print: "Print the record",
    record_link: "Printable view (record)",
    json: "Download the JSON report",
    record_title: "Signature verification record",
    checked_at: "Time of checking",
    anchors: "Trust anchors used",
    verdict: "Verdict",
    error: "Could not verify",
    back: "Back to the verification page",
    switch_label: "Language",
    other_lang: "Tiếng Việt",
    other_code: "vi",
    footer: "kyso — verified by the rules of ETSI EN 319 102-1; the trust anchors and revocation data are configured on this server.",
    documents: "Documents",
    language: "Language of the result",
};

fn t(lang: Lang) -> &'static T {
    match lang {
        Lang::En => &EN,
        _ => &VI,
    }
}

fn class(i: Indication) -> &'static str {
    match i {
        Indication::TotalPassed => "passed",
        Indication::TotalFailed => "failed",
        Indication::Indeterminate => "indeterminate",
    }
}

fn lines(s: &mut String, lines: &[Line]) {
    s.push_str("<dl>");
    for l in lines {
        match l {
            Line::Field { label, value } => {
                let _ = write!(s, "<div class=\"row\"><dt>{}</dt><dd>{}</dd></div>", escape(label), escape(value));
            }
            Line::Text(t) => {
                let _ = write!(s, "<div class=\"row note\"><dd>{}</dd></div>", escape(t.trim_start()));
            }
        }
    }
    s.push_str("</dl>");
}

fn base64(data: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for c in data.chunks(3) {
        // Three octets as one 24-bit group (RFC 4648 §4), padded with zero octets.
        let b = |i: usize| c.get(i).copied().unwrap_or(0);
        let n = u32::from_be_bytes([0, b(0), b(1), b(2)]);
        for (i, shift) in [18u32, 12, 6, 0].iter().enumerate() {
            if i <= c.len() {
                out.push(char::from(A[((n >> shift) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn document(s: &mut String, view: &DocumentView, indication: Indication, path: &str, k: usize) {
    let _ = write!(s, "<section class=\"document {}\" id=\"doc-{k}\" aria-labelledby=\"doc-{k}-title\">", class(indication));
    let _ = write!(s, "<h3 id=\"doc-{k}-title\" class=\"docname\">{}</h3>", escape(path));
    lines(s, &view.lines);
    for (j, sig) in view.signatures.iter().enumerate() {
        let _ = write!(
            s,
            "<article class=\"card {}\" aria-labelledby=\"doc-{k}-sig-{j}\"><h4 id=\"doc-{k}-sig-{j}\"><span class=\"heading\">{}</span>: <span class=\"verdict\">{}</span></h4>",
            class(sig.indication),
            escape(&sig.heading),
            escape(&sig.verdict)
        );
        lines(s, &sig.lines);
        s.push_str("</article>");
    }
    s.push_str("</section>");
}

/// The whole page.
pub(super) fn render(p: &Page<'_>) -> String {
    let w = t(p.lang);
    let mut s = String::with_capacity(16 * 1024);
    let _ = write!(
        s,
        "<!DOCTYPE html>\n<html lang=\"{}\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{}</title><link rel=\"stylesheet\" href=\"/kyso.css\"><script src=\"/kyso.js\" defer></script></head><body>",
        w.html_lang, w.title
    );
    let _ = write!(
        s,
        "<header class=\"screen\"><h1>{}</h1><nav aria-label=\"{}\"><a id=\"lang-switch\" data-lang=\"{}\" href=\"/?lang={}\" lang=\"{}\">{}</a></nav></header>",
        w.title, w.switch_label, w.other_code, w.other_code, w.other_code, w.other_lang
    );
    s.push_str("<main>");
    // The form: a plain multipart POST; kyso.js adds drag and drop and posts without reloading.
    let _ = write!(
        s,
        "<form id=\"upload\" class=\"screen\" method=\"post\" action=\"/verify\" enctype=\"multipart/form-data\"><p>{}</p><label for=\"files\">{}</label> <input type=\"file\" id=\"files\" name=\"files\" multiple required aria-describedby=\"files-hint\"><p id=\"files-hint\" class=\"hint\">{}</p><div id=\"drop\" class=\"drop\" hidden>{}</div><label for=\"lang\">{}</label> <select id=\"lang\" name=\"lang\"><option value=\"vi\"{}>Tiếng Việt</option><option value=\"en\"{}>English</option></select> <button type=\"submit\" id=\"submit\">{}</button></form>",
        w.intro,
        w.choose,
        w.hint,
        w.drop,
        w.language,
        if p.lang == Lang::En { "" } else { " selected" },
        if p.lang == Lang::En { " selected" } else { "" },
        w.submit
    );
    if let Some(e) = &p.error {
        let _ = write!(s, "<section id=\"error\" role=\"alert\" class=\"error\"><h2>{}</h2><p>{}</p></section>", w.error, escape(e));
    }
    if let Some(r) = &p.result {
        let opts = RenderOptions::new(p.lang).validation_time(r.checked_at);
        let views: Vec<DocumentView> = r.report.documents.iter().map(|d| document_view(d, &opts)).collect();
        let verdict = crate::report::verdict_text(r.report.indication, p.lang, &r.report.documents);
        let json = serde_json::to_string_pretty(r.report).unwrap_or_default();
        let _ = write!(
            s,
            "<section id=\"result\" class=\"screen\" aria-labelledby=\"result-title\" aria-live=\"polite\"><h2 id=\"result-title\" tabindex=\"-1\">{}: <span class=\"overall {}\" id=\"overall\">{}</span></h2><p class=\"actions\"><a id=\"record-link\" href=\"#record\">{}</a> <a id=\"json-link\" download=\"kyso-report.json\" href=\"data:application/json;base64,{}\">{}</a> <button type=\"button\" id=\"print\" hidden>{}</button></p>",
            w.result,
            class(r.report.indication),
            escape(&verdict),
            w.record_link,
            base64(json.as_bytes()),
            w.json,
            w.print
        );
        for (k, (d, v)) in r.report.documents.iter().zip(&views).enumerate() {
            document(&mut s, v, d.indication, &d.path, k);
        }
        s.push_str("</section>");
        // The printable record: hidden on screen until #record is the target (a link, no
        // script needed), shown alone when printing.
        let _ = write!(
            s,
            "<section id=\"record\" aria-labelledby=\"record-title\"><h2 id=\"record-title\">{}</h2><dl><div class=\"row\"><dt>{}</dt><dd>{}</dd></div><div class=\"row\"><dt>{}</dt><dd>{}</dd></div></dl><h3>{}</h3><ul>",
            w.record_title,
            w.verdict,
            escape(&verdict),
            w.checked_at,
            escape(&crate::report::format_local(r.checked_at, p.lang, true)),
            w.anchors
        );
        for a in p.anchors {
            let _ = write!(s, "<li>{} <span class=\"fp\">SHA-256 {}</span></li>", escape(&a.subject), escape(&a.sha256));
        }
        let _ = write!(s, "</ul><h3>{}</h3>", w.documents);
        for (k, (d, v)) in r.report.documents.iter().zip(&views).enumerate() {
            document(&mut s, v, d.indication, &d.path, k + 1000);
        }
        let _ = write!(s, "<p class=\"noprint\"><a href=\"#result\">{}</a></p></section>", w.back);
    }
    let _ = write!(s, "</main><footer class=\"screen\"><p>{}</p></footer></body></html>\n", w.footer);
    s
}

/// The style sheet (served at /kyso.css). Contrast: text #1a1a1a on white (17:1); verdict
/// colours #0b5d1e, #a4161a, #7a4b00 on their light backgrounds (all above 7:1).
pub(super) const CSS: &str = r#"
body { font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", Arial, sans-serif; color: #1a1a1a; background: #fff; margin: 0 auto; max-width: 60rem; padding: 1rem; line-height: 1.45; }
header { display: flex; justify-content: space-between; align-items: baseline; border-bottom: 2px solid #1a1a1a; }
h1 { font-size: 1.6rem; margin: .5rem 0; }
a { color: #0a3d91; }
a:focus, button:focus, input:focus, select:focus { outline: 3px solid #0a3d91; outline-offset: 2px; }
form { margin: 1rem 0; padding: 1rem; border: 1px solid #8a8a8a; border-radius: 6px; }
label { font-weight: 600; }
.hint { color: #3d3d3d; font-size: .9rem; }
.drop { border: 2px dashed #555; border-radius: 6px; padding: 1.5rem; text-align: center; margin: .75rem 0; }
.drop.over { background: #eef3fb; border-color: #0a3d91; }
button { font: inherit; padding: .4rem 1.2rem; background: #0a3d91; color: #fff; border: 0; border-radius: 4px; cursor: pointer; }
.error { border-left: 6px solid #a4161a; background: #fdecea; padding: .5rem 1rem; }
.overall.passed, .document.passed > h3, .card.passed h4 { color: #0b5d1e; }
.overall.failed, .document.failed > h3, .card.failed h4 { color: #a4161a; }
.overall.indeterminate, .document.indeterminate > h3, .card.indeterminate h4 { color: #7a4b00; }
.document { border: 1px solid #8a8a8a; border-radius: 6px; margin: 1rem 0; padding: .5rem 1rem; }
.document.passed { border-left: 8px solid #0b5d1e; }
.document.failed { border-left: 8px solid #a4161a; }
.document.indeterminate { border-left: 8px solid #7a4b00; }
.card { border-top: 1px solid #c4c4c4; padding: .5rem 0; }
.card.passed { background: #f1f8f3; }
.card.failed { background: #fdf1f0; }
.card.indeterminate { background: #fdf6e8; }
h3, h4 { margin: .5rem 0; overflow-wrap: anywhere; }
dl { margin: 0; }
.row { display: grid; grid-template-columns: 14rem 1fr; gap: .75rem; padding: .1rem .5rem; }
.row.note { grid-template-columns: 1fr; }
dt { font-weight: 600; }
dd { margin: 0; overflow-wrap: anywhere; }
.fp { font-family: ui-monospace, monospace; font-size: .85rem; overflow-wrap: anywhere; }
.actions a { margin-right: 1rem; }
#record { display: none; }
#record:target { display: block; }
body:has(#record:target) .screen { display: none; }
footer { margin-top: 2rem; font-size: .85rem; color: #3d3d3d; }
@media (max-width: 40rem) { .row { grid-template-columns: 1fr; gap: 0; } }
@media print {
  .screen, .noprint { display: none !important; }
  #record { display: block !important; }
  body { max-width: none; padding: 0; }
  .document, .card { break-inside: avoid; }
}
"#;

/// The progressive enhancement (served at /kyso.js): drag and drop, posting without a reload,
/// switching the language of a result (the files are posted again: nothing is kept on the
/// server), printing. Without it, the form posts and the links work as they are.
pub(super) const JS: &str = r#""use strict";
(function () {
  var last = null;
  function swap(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    document.documentElement.lang = doc.documentElement.lang;
    document.title = doc.title;
    document.body.replaceWith(doc.body);
    init();
    var t = document.getElementById("result-title") || document.getElementById("error");
    if (t) { t.setAttribute("tabindex", "-1"); t.focus(); }
  }
  function post(data) {
    last = data;
    document.body.setAttribute("aria-busy", "true");
    fetch("/verify", { method: "POST", body: data }).then(function (r) { return r.text(); }).then(swap).catch(function () {
      document.body.removeAttribute("aria-busy");
      var f = document.getElementById("upload"); if (f) { f.submit(); }
    });
  }
  function init() {
    var form = document.getElementById("upload");
    var input = document.getElementById("files");
    var drop = document.getElementById("drop");
    if (form && input) {
      form.addEventListener("submit", function (e) { e.preventDefault(); post(new FormData(form)); });
    }
    if (drop && input && form) {
      drop.hidden = false;
      ["dragenter", "dragover"].forEach(function (n) { drop.addEventListener(n, function (e) { e.preventDefault(); drop.classList.add("over"); }); });
      ["dragleave", "drop"].forEach(function (n) { drop.addEventListener(n, function (e) { e.preventDefault(); drop.classList.remove("over"); }); });
      drop.addEventListener("drop", function (e) {
        if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; post(new FormData(form)); }
      });
    }
    var sw = document.getElementById("lang-switch");
    if (sw) {
      sw.addEventListener("click", function (e) {
        if (!last || !document.getElementById("result")) { return; }
        e.preventDefault();
        var d = new FormData();
        last.getAll("files").forEach(function (f) { d.append("files", f); });
        d.append("lang", sw.getAttribute("data-lang"));
        post(d);
      });
    }
    var pr = document.getElementById("print");
    if (pr) { pr.hidden = false; pr.addEventListener("click", function () { location.hash = "record"; window.print(); }); }
    document.body.removeAttribute("aria-busy");
  }
  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("<img src=x onerror=alert(1)>"), "&lt;img src=x onerror=alert(1)&gt;");
        assert_eq!(escape("a\"b'c&d"), "a&quot;b&#39;c&amp;d");
        assert_eq!(escape("x\u{0}y"), "x\u{fffd}y");
    }

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [("", ""), ("f", "Zg=="), ("fo", "Zm8="), ("foo", "Zm9v"), ("foob", "Zm9vYg=="), ("fooba", "Zm9vYmE="), ("foobar", "Zm9vYmFy")] {
            assert_eq!(base64(i.as_bytes()), o);
        }
    }

    #[test]
    fn the_page_has_no_inline_script_or_style() {
        let html = render(&Page { lang: Lang::Vi, result: None, error: Some("<b>x</b>".into()), anchors: &[] });
        assert!(!html.contains("<script>") && !html.contains("<style") && !html.contains("style=") && !html.contains("onerror=") && !html.contains("onclick="), "{html}");
        assert!(html.contains("&lt;b&gt;x&lt;/b&gt;"));
        assert!(html.contains("<html lang=\"vi\">"));
    }
}
