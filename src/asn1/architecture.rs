//! "One place decodes DER lengths" (issue 13): a grep over `src/` for the shapes hand-written
//! identifier/length decoding (and length encoding) takes, failing on any hit outside
//! `src/asn1/`. The patterns are checked against the decoders this module replaced, so a pattern
//! that stops matching real decoders fails too.

use std::path::{Path, PathBuf};

/// Fragments of code (whitespace removed) that hand-written TLV decoding or length encoding
/// needs, with what each one gives away.
const PATTERNS: &[(&str, &str)] = &[
    ("&0x7f", "masking the long-form length octet count (X.690 §8.1.3.5)"),
    ("&=0x7f", "masking the long-form length octet count"),
    ("<0x80", "testing for the short length form"),
    (">=0x80", "testing for the long length form"),
    ("<=0x7f", "testing for the short length form"),
    (">0x7f", "testing for the long length form"),
    ("==0x80", "testing for the indefinite length octet"),
    ("0x80==", "testing for the indefinite length octet"),
    ("!=0x80", "testing for the indefinite length octet"),
    ("0x80|", "encoding the long-form length octet count"),
    ("|0x80", "encoding the long-form length octet count"),
    ("<<8", "accumulating big-endian length octets"),
    ("&0x1f", "decoding the tag number of an identifier octet"),
    ("len_bytes", "a length-octets decoder by name"),
    ("length_octets", "a length-octets decoder by name"),
    ("read_len", "a length decoder by name"),
    ("parse_len", "a length decoder by name"),
    ("der_header", "a header decoder by name"),
];

/// Lines outside `src/asn1/` that match a pattern for another reason: (path, code fragment as
/// written, why it is not length handling). Each entry must still match, so the list cannot go
/// stale silently.
const ALLOWED: &[(&str, &str, &str)] = &[
    ("src/ca/issue.rs", "b[0] &= 0x7f;", "clears the sign bit of a random certificate serial number"),
    ("src/ca/issue.rs", "s[0] & 0x80 == 0", "a test that serial numbers are positive INTEGER contents"),
    ("src/tsp/server.rs", "(prefix[0] & 0x7f) | 0x40", "makes a timestamp serial number positive and 16 bytes long"),
];

/// The code part of a line: `//` comments removed (naively: a `//` inside a string literal also
/// ends the code, which can only hide a hit in a string, never invent one), whitespace removed.
fn code(line: &str) -> String {
    let code = line.split("//").next().unwrap_or_default();
    code.chars().filter(|c| !c.is_whitespace()).collect()
}

/// (line number, pattern, reason) of every pattern hit in `text`.
fn hits(text: &str) -> Vec<(usize, &'static str, &'static str)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let c = code(line);
        for (p, why) in PATTERNS {
            if c.contains(p) {
                out.push((i + 1, *p, *why));
            }
        }
    }
    out
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

#[test]
fn only_the_asn1_module_decodes_lengths() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    files.sort();
    assert!(files.len() > 40, "src/ not found: {} files", files.len());
    let mut violations = Vec::new();
    let mut allowed_used = vec![false; ALLOWED.len()];
    for f in &files {
        let rel = f.strip_prefix(root).unwrap().to_string_lossy().replace('\\', "/");
        if rel.starts_with("src/asn1/") {
            continue;
        }
        let text = std::fs::read_to_string(f).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        for (n, pattern, why) in hits(&text) {
            let line = lines[n - 1];
            let allowed = ALLOWED.iter().position(|(path, fragment, _)| *path == rel && line.contains(fragment));
            match allowed {
                Some(i) => allowed_used[i] = true,
                None => violations.push(format!("{rel}:{n}: `{}` ({why}; pattern `{pattern}`)", line.trim())),
            }
        }
    }
    assert!(
        violations.is_empty(),
        "hand-written DER length/tag handling outside src/asn1/ (use crate::asn1's reader, normaliser or writer, \
         or add the line to ALLOWED with a reason if it is not length handling):\n{}",
        violations.join("\n")
    );
    for (used, (path, fragment, _)) in allowed_used.iter().zip(ALLOWED) {
        assert!(used, "stale ALLOWED entry: {path}: {fragment}");
    }
}

/// The decoders this module replaced (verbatim excerpts from the removed code) are each caught,
/// as is the asn1 module itself: the patterns find real decoders, not only what is absent.
#[test]
fn the_patterns_catch_the_decoders_that_were_removed() {
    let removed = [
        // objects::der_header
        "let n = (first & 0x7f) as usize;\nif n == 0 || n > 4 {\n    return None;\n}\nlen = (len << 8) | *bytes.get(2 + i)? as usize;",
        // pdf::dss::is_one_der_sequence
        "let (header, len) = if first < 0x80 {\n    (2usize, usize::from(first))\n} else {\n    let n = usize::from(first & 0x7f);",
        // pdf::extract::trim_der
        "if first < 0x80 {\n    return Some(2 + usize::from(first));\n}",
        // verify::der::read
        "} else if first == 0x80 {\n    return Err(DerError(\"indefinite length (BER) where DER is required\"));",
        // tsp::tlv::parse_at
        "if first == 0x80 {\n    if tag & 0x20 == 0 {",
        // cms::assemble::read_tlv
        "let len = bytes.iter().fold(0usize, |acc, &b| (acc << 8) | b as usize);",
        // cms::assemble::push_header / tsp::tlv::encode
        "out.push(0x80 | significant.len() as u8);",
        // cms::ber::tag_len
        "if first & 0x1f != 0x1f {\n    return Ok(1);\n}",
    ];
    for r in removed {
        assert!(!hits(r).is_empty(), "not caught:\n{r}");
    }
    let own = [include_str!("reader.rs"), include_str!("write.rs")];
    for text in own {
        assert!(hits(text).len() >= 3, "the asn1 module's own decoder/encoder is not caught");
    }
    // comments do not count
    assert!(hits("// the long form: first & 0x7f octets follow").is_empty());
}
