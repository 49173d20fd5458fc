//! NIST PKITS (RFC 5280 path validation and CRLs) over kyso's engine. The data is not in the
//! repository: `.ci/run` fetches it (`pip download --no-deps cryptography-vectors`, the wheel's
//! `cryptography_vectors/x509/PKITS_data/`) and points `KYSO_PKITS` at that folder. The tests
//! are ignored in plain `cargo test` and, when run, FAIL without the data.
//!
//! Each `smime/Signed*.eml` is one test: a multipart/signed message whose second part is a
//! SignedData carrying the test's certificates and CRLs, signed by the end entity. Expected
//! verdict: the name's prefix (Valid/Invalid) under PKITS's default settings (§3: any-policy,
//! no explicit policy, no mapping or any-policy inhibition); the cases whose description asks for
//! other settings are also run with those, and the 22 cases without a prefix only with the
//! settings PKITS gives them — see [`SETTINGS`]. Agreement is counted per named case (all its
//! runs must agree); every divergence must be listed in tests/pkits-exceptions.tsv with a reason.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The validation time: PKITS's certificates and CRLs are valid from 2010 to 2030.
pub(crate) const TIME: &str = "2024-01-01T00:00:00Z";

pub(crate) fn data_dir() -> PathBuf {
    let dir = PathBuf::from(std::env::var_os("KYSO_PKITS").expect("KYSO_PKITS must name the PKITS_data folder (see .ci/run)"));
    assert!(dir.join("smime").is_dir() && dir.join("certs").is_dir(), "no PKITS data at {}", dir.display());
    dir
}

/// One run's RFC 5280 inputs and expected verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Run {
    /// user-initial-policy-set as NIST-test-policy numbers; empty = any-policy.
    pub policies: &'static [u8],
    pub explicit: bool,
    pub mapping_inhibit: bool,
    pub any_inhibit: bool,
    pub valid: bool,
}

const fn run(policies: &'static [u8], explicit: bool, valid: bool) -> Run {
    Run { policies, explicit, mapping_inhibit: false, any_inhibit: false, valid }
}

/// The non-default settings of PKITS (NIST PKITS 2011, §4.4.1 and §4.8–§4.12), as Chromium's
/// transcription of the PKITS document lists them (net/third_party/nist-pkits/
/// pkits_testcases-inl.h): case → the extra runs (policies are NIST-test-policy-N,
/// 2.16.840.1.101.3.2.1.48.N). The default-settings run of a named case is implied; a case
/// listed with `default_run: false` is run only with the settings given.
pub(crate) const SETTINGS: &[(&str, bool, &[Run])] = &[
    // 4.4.1: named "Invalid Missing CRL Test1" in PKITS; its file lacks the prefix.
    ("MissingCRLTest1", false, &[run(&[], false, false)]),
    ("AllCertificatesSamePolicyTest1", false, &[run(&[], true, true), run(&[1], true, true), run(&[2], true, false), run(&[1, 2], true, true)]),
    ("AllCertificatesNoPoliciesTest2", false, &[run(&[], false, true), run(&[], true, false)]),
    ("DifferentPoliciesTest3", false, &[run(&[], false, true), run(&[], true, false), run(&[1, 2], true, false)]),
    ("DifferentPoliciesTest4", false, &[run(&[], false, false)]),
    ("DifferentPoliciesTest5", false, &[run(&[], false, false)]),
    ("OverlappingPoliciesTest6", false, &[run(&[], false, true), run(&[1], false, true), run(&[2], false, false)]),
    ("DifferentPoliciesTest7", false, &[run(&[], false, false)]),
    ("DifferentPoliciesTest8", false, &[run(&[], false, false)]),
    ("DifferentPoliciesTest9", false, &[run(&[], false, false)]),
    ("AllCertificatesSamePoliciesTest10", false, &[run(&[], false, true), run(&[1], false, true), run(&[2], false, true)]),
    ("AllCertificatesAnyPolicyTest11", false, &[run(&[], false, true), run(&[1], false, true)]),
    ("DifferentPoliciesTest12", false, &[run(&[], false, false)]),
    ("AllCertificatesSamePoliciesTest13", false, &[run(&[1], false, true), run(&[2], false, true), run(&[3], false, true)]),
    ("AnyPolicyTest14", false, &[run(&[1], false, true), run(&[2], false, false)]),
    ("UserNoticeQualifierTest15", false, &[run(&[], false, true)]),
    ("UserNoticeQualifierTest16", false, &[run(&[], false, true)]),
    ("UserNoticeQualifierTest17", false, &[run(&[], false, true)]),
    ("UserNoticeQualifierTest18", false, &[run(&[1], false, true), run(&[2], false, true)]),
    ("UserNoticeQualifierTest19", false, &[run(&[], false, true)]),
    ("CPSPointerQualifierTest20", false, &[run(&[1], true, true)]),
    (
        "ValidPolicyMappingTest1",
        true,
        &[run(&[1], false, true), run(&[2], false, false), Run { policies: &[], explicit: false, mapping_inhibit: true, any_inhibit: false, valid: false }],
    ),
    ("InvalidPolicyMappingTest2", true, &[Run { policies: &[], explicit: false, mapping_inhibit: true, any_inhibit: false, valid: false }]),
    ("ValidPolicyMappingTest3", true, &[run(&[1], false, false), run(&[2], false, true)]),
    ("ValidPolicyMappingTest5", true, &[run(&[1], false, true), run(&[6], false, false)]),
    ("ValidPolicyMappingTest6", true, &[run(&[1], false, true), run(&[6], false, false)]),
    ("ValidPolicyMappingTest12", true, &[run(&[1], false, true), run(&[2], false, true)]),
    (
        "inhibitAnyPolicyTest3",
        false,
        &[run(&[], false, true), Run { policies: &[], explicit: false, mapping_inhibit: false, any_inhibit: true, valid: false }],
    ),
];

/// One PKITS message, taken apart.
pub(crate) struct Case {
    pub name: String,
    /// The signed content: the first MIME part as transmitted (CRLF line ends).
    pub content: Vec<u8>,
    /// The SignedData (DER).
    pub p7s: Vec<u8>,
    pub certificates: Vec<Vec<u8>>,
    pub crls: Vec<Vec<u8>>,
    /// The signer's certificate (found by the SignerInfo's issuerAndSerialNumber).
    pub leaf: Vec<u8>,
    /// The runs: (settings, expected valid).
    pub runs: Vec<Run>,
    /// Named Valid*/Invalid* (one of the 202).
    pub named: bool,
}

fn tlv(input: &[u8]) -> Option<(u8, &[u8], &[u8], &[u8])> {
    let tag = *input.first()?;
    let first = *input.get(1)? as usize;
    let (len, hdr) = if first < 0x80 {
        (first, 2)
    } else {
        let n = first & 0x7f;
        let bytes = input.get(2..2 + n)?;
        (bytes.iter().fold(0usize, |a, &b| (a << 8) | b as usize), 2 + n)
    };
    let raw = input.get(..hdr + len)?;
    Some((tag, raw, &raw[hdr..], &input[hdr + len..]))
}

fn children(mut body: &[u8]) -> Vec<(u8, &[u8], &[u8])> {
    let mut v = Vec::new();
    while let Some((t, raw, b, rest)) = tlv(body) {
        v.push((t, raw, b));
        body = rest;
    }
    v
}

/// (certificates, crls, (signer issuer DER, signer serial contents)) of a SignedData.
fn signed_data_parts(p7s: &[u8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>, Option<(Vec<u8>, Vec<u8>)>) {
    let (_, _, ci, _) = tlv(p7s).expect("ContentInfo");
    let parts = children(ci);
    let (_, _, explicit) = parts[1];
    let (_, _, sd, _) = tlv(explicit).expect("SignedData");
    let mut certs = Vec::new();
    let mut crls = Vec::new();
    let mut sid = None;
    for (tag, _, body) in children(sd) {
        match tag {
            0xa0 => certs = children(body).into_iter().map(|(_, raw, _)| raw.to_vec()).collect(),
            0xa1 => crls = children(body).into_iter().map(|(_, raw, _)| raw.to_vec()).collect(),
            0x31 => {
                if let Some((_, si_raw, si)) = children(body).first().copied() {
                    let _ = si_raw;
                    let f = children(si);
                    if let Some((0x30, _, ias)) = f.get(1).copied() {
                        let ias = children(ias);
                        if let (Some((_, issuer, _)), Some((_, _, serial))) = (ias.first(), ias.get(1)) {
                            sid = Some((issuer.to_vec(), serial.to_vec()));
                        }
                    }
                }
            }
            _ => {}
        }
    }
    (certs, crls, sid)
}

fn base64_decode(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut acc = 0u32;
    let mut bits = 0;
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => continue,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

fn to_crlf(s: &str) -> Vec<u8> {
    s.replace("\r\n", "\n").replace('\n', "\r\n").into_bytes()
}

pub(crate) fn load_case(path: &Path) -> Case {
    let text = std::fs::read_to_string(path).expect("eml");
    let file = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default();
    let name = file.strip_prefix("Signed").unwrap_or(file).to_string();
    let b = text.split("boundary=\"").nth(1).and_then(|r| r.split('"').next()).expect("boundary").to_string();
    let delim = format!("--{b}");
    let mut parts = text.split(delim.as_str());
    let _preamble = parts.next();
    let first = parts.next().expect("first part");
    let second = parts.next().expect("second part");
    // The part starts after the delimiter's line break and ends before the next delimiter's.
    let first = first.strip_prefix("\r\n").or_else(|| first.strip_prefix('\n')).unwrap_or(first);
    let first = first.strip_suffix("\r\n").or_else(|| first.strip_suffix('\n')).unwrap_or(first);
    let content = to_crlf(first);
    let body = second.split("\n\n").nth(1).or_else(|| second.split("\r\n\r\n").nth(1)).expect("base64 body");
    let p7s = base64_decode(body);
    let (certificates, crls, sid) = signed_data_parts(&p7s);
    let leaf = certificates
        .iter()
        .find(|c| {
            let Some((issuer, serial)) = &sid else { return false };
            let (_, _, cert, _) = tlv(c).unwrap();
            let (_, _, tbs, _) = tlv(cert).unwrap();
            let f = children(tbs);
            let off = usize::from(f.first().map(|x| x.0) == Some(0xa0));
            f.get(off).map(|x| x.2) == Some(serial.as_slice()) && f.get(off + 2).map(|x| x.1) == Some(issuer.as_slice())
        })
        .cloned()
        .expect("signer certificate in the SignedData");
    let named = name.starts_with("Valid") || name.starts_with("Invalid");
    let mut runs = Vec::new();
    let listed = SETTINGS.iter().find(|(n, _, _)| *n == name);
    if named && listed.is_none_or(|(_, default_run, _)| *default_run) {
        runs.push(run(&[], false, name.starts_with("Valid")));
    }
    if let Some((_, _, extra)) = listed {
        runs.extend(extra.iter().cloned());
    }
    Case { name, content, p7s, certificates, crls, leaf, runs, named }
}

pub(crate) fn load_all() -> Vec<Case> {
    let dir = data_dir().join("smime");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).expect("smime dir").filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "eml")).collect();
    files.sort();
    let cases: Vec<Case> = files.iter().map(|p| load_case(p)).collect();
    assert_eq!(cases.iter().filter(|c| c.named).count(), 202, "PKITS has 202 Valid*/Invalid* cases");
    assert!(cases.iter().all(|c| !c.runs.is_empty()), "a case without runs: {:?}", cases.iter().filter(|c| c.runs.is_empty()).map(|c| &c.name).collect::<Vec<_>>());
    cases
}

pub(crate) fn policy_oids(r: &Run) -> Vec<const_oid::ObjectIdentifier> {
    r.policies.iter().map(|n| const_oid::ObjectIdentifier::new_unwrap(&format!("2.16.840.1.101.3.2.1.48.{n}"))).collect()
}

/// One exceptions-file entry: where it applies (lib | verify | cert | mail | cli (= verify and
/// cert) | all), the reason, and — optional fourth column — the codes of the failed checks that every
/// divergent `kyso verify` / `kyso cert verify` run of the case must report, exactly (so that an
/// entry cannot hide a divergence for another reason).
#[derive(Debug, Clone)]
pub(crate) struct Exception {
    pub level: String,
    pub reason: String,
    pub codes: Option<Vec<String>>,
}

impl Exception {
    /// Does this entry apply to runs at `level` (lib, verify, cert or mail)?
    fn covers(&self, level: &str) -> bool {
        self.level == level || self.level == "all" || (self.level == "cli" && (level == "verify" || level == "cert"))
    }
}

/// The exceptions file: case → its entries (several when the levels differ in their codes; at
/// most one entry covers a level).
pub(crate) fn exceptions() -> BTreeMap<String, Vec<Exception>> {
    let text = std::fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/pkits-exceptions.tsv")).expect("tests/pkits-exceptions.tsv");
    let mut m = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut f = line.splitn(4, '\t');
        let (Some(id), Some(level), Some(reason)) = (f.next(), f.next(), f.next()) else {
            panic!("pkits-exceptions.tsv line {}: expected case<TAB>lib|verify|cert|mail|cli|all<TAB>reason[<TAB>codes]", i + 1)
        };
        assert!(matches!(level, "lib" | "verify" | "cert" | "mail" | "cli" | "all") && !reason.trim().is_empty(), "line {}", i + 1);
        let codes = f.next().map(|c| {
            let mut v: Vec<String> = c.split(',').map(|s| s.trim().to_string()).filter(|s| !s.is_empty()).collect();
            v.sort();
            assert!(!v.is_empty() && level != "lib", "line {}: a codes column needs codes and a CLI level", i + 1);
            v
        });
        let e = Exception { level: level.to_string(), reason: reason.to_string(), codes };
        let entries: &mut Vec<Exception> = m.entry(id.to_string()).or_default();
        for l in ["lib", "verify", "cert", "mail"] {
            assert!(!(e.covers(l) && entries.iter().any(|x| x.covers(l))), "line {}: a second entry for {id} at {l}", i + 1);
        }
        entries.push(e);
    }
    m
}

/// One run's outcome: settings, valid?, why not (text), and — for the CLI — the sorted codes of
/// the failed checks.
pub(crate) type RunResult = (Run, bool, String, Vec<String>);

/// Checks one level's results: every divergence listed, every listed one divergent, ≥ 196 of the
/// 202 named cases agree, no Invalid* case passes.
pub(crate) fn judge(level: &str, results: &[(String, bool, Vec<RunResult>)]) {
    let exc = exceptions();
    let mut problems = Vec::new();
    let mut agree_named = 0;
    let mut lines = Vec::new();
    for (name, named, runs) in results {
        let bad: Vec<&RunResult> = runs.iter().filter(|(r, got, _, _)| r.valid != *got).collect();
        let listed = exc.get(name).and_then(|v| v.iter().find(|e| e.covers(level)));
        if bad.is_empty() {
            if *named {
                agree_named += 1;
            }
            if listed.is_some() {
                problems.push(format!("{name}: listed as a divergence ({level}) but agrees: remove it"));
            }
        } else {
            for (r, got, why, codes) in &bad {
                lines.push(format!("{name}\t{r:?}\tgot {}\t[{}] {why}", if *got { "valid" } else { "invalid" }, codes.join(",")));
            }
            match listed {
                None => problems.push(format!(
                    "{name}: diverges and is not listed: {:?}",
                    bad.iter().map(|(r, g, w, c)| format!("{r:?} → {g} ([{}] {w})", c.join(","))).collect::<Vec<_>>()
                )),
                Some(Exception { codes: Some(want), reason, .. }) if level != "lib" => {
                    for (r, _, why, codes) in &bad {
                        if codes != want {
                            problems.push(format!("{name} ({level}, {r:?}): listed for [{}] ({reason}) but fails with [{}]: {why}", want.join(","), codes.join(",")));
                        }
                    }
                }
                Some(_) => {}
            }
            if name.starts_with("Invalid") && bad.iter().any(|(_, got, _, _)| *got) {
                problems.push(format!("{name}: an Invalid case PASSES"));
            }
        }
    }
    println!("PKITS ({level}): {agree_named}/202 named cases agree; {} runs in all", results.iter().map(|r| r.2.len()).sum::<usize>());
    for l in &lines {
        println!("DIVERGENT\t{l}");
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
    assert!(agree_named >= 196, "only {agree_named}/202 agree");
}

#[test]
#[ignore = "needs the PKITS data (KYSO_PKITS; .ci/run fetches it)"]
fn pkits_library() {
    use kyso::path::{build_and_validate, Anchor, Cert, Settings};
    use kyso::revocation::{check_path, CertStatus, Crl, Inputs};
    let dir = data_dir();
    let anchor = Anchor::from_der(&std::fs::read(dir.join("certs/TrustAnchorRootCertificate.crt")).unwrap()).unwrap();
    let time = time::OffsetDateTime::parse(TIME, &time::format_description::well_known::Rfc3339).unwrap().unix_timestamp();
    let mut results = Vec::new();
    for case in load_all() {
        let mut runs = Vec::new();
        for r in &case.runs {
            let got: Result<(), String> = (|| {
                let leaf = Cert::from_der(&case.leaf).map_err(|e| format!("leaf: {e}"))?;
                let certs: Vec<Cert> = case.certificates.iter().filter_map(|c| Cert::from_der(c).ok()).collect();
                let crls: Vec<Crl> = case.crls.iter().filter_map(|c| Crl::from_der(c).ok()).collect();
                let mut s = Settings::at(time);
                let oids = policy_oids(r);
                s.initial_policy_set = if oids.is_empty() { None } else { Some(oids) };
                s.initial_explicit_policy = r.explicit;
                s.initial_policy_mapping_inhibit = r.mapping_inhibit;
                s.initial_any_policy_inhibit = r.any_inhibit;
                let path = build_and_validate(&leaf, &certs, std::slice::from_ref(&anchor), &s).map_err(|e| e.to_string())?;
                let statuses = check_path(&path, Inputs { crls: &crls, certificates: &certs, settings: &s });
                for (k, st) in statuses.iter().enumerate() {
                    if *st != CertStatus::Good {
                        return Err(format!("certificate #{k}: {st:?}"));
                    }
                }
                Ok(())
            })();
            let why = got.as_ref().err().cloned().unwrap_or_default();
            runs.push((r.clone(), got.is_ok(), why, Vec::new()));
        }
        results.push((case.name.clone(), case.named, runs));
    }
    judge("lib", &results);
}

/// Can the CLI express this run? It has --policy-oid and --require-explicit-policy; the two
/// inhibit inputs are library settings only (those runs are checked by `pkits_library`).
pub(crate) fn cli_expressible(r: &Run) -> bool {
    !r.mapping_inhibit && !r.any_inhibit
}

pub(crate) fn cli_policy_args(r: &Run) -> Vec<String> {
    let mut a = Vec::new();
    for o in policy_oids(r) {
        a.push("--policy-oid".to_string());
        a.push(o.to_string());
    }
    if r.explicit {
        a.push("--require-explicit-policy".into());
    }
    a
}

fn pem(label: &str, der: &[u8]) -> String {
    use std::fmt::Write;
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::new();
    for c in der.chunks(3) {
        let n = (u32::from(c[0]) << 16) | (u32::from(*c.get(1).unwrap_or(&0)) << 8) | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                b64.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        let _ = writeln!(out, "{}", std::str::from_utf8(line).unwrap());
    }
    let _ = writeln!(out, "-----END {label}-----");
    out
}

/// The outcome of one `kyso … --json` run: exit 0 = valid; the failed checks' details (text,
/// for the log) and their codes (sorted, for the exceptions file).
fn cli_outcome(out: &std::process::Output) -> (bool, String, Vec<String>) {
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    // `kyso verify` reports documents → signatures → checks; `kyso cert verify` checks at the top.
    let mut lists: Vec<&serde_json::Value> = vec![&report["checks"]];
    for d in report["documents"].as_array().into_iter().flatten() {
        lists.extend(d["signatures"].as_array().into_iter().flatten().map(|s| &s["checks"]));
    }
    let failed: Vec<&serde_json::Value> = lists.iter().flat_map(|l| l.as_array().into_iter().flatten()).filter(|c| c["status"] == "failed").collect();
    let why = failed.iter().map(|c| c["detail"].as_str().unwrap_or_default()).collect::<Vec<_>>().join(" | ");
    let why = if report.is_null() { format!("no JSON report: {}", String::from_utf8_lossy(&out.stderr).trim()) } else { why };
    let mut codes: Vec<String> = failed.iter().map(|c| c["code"].as_str().unwrap_or_default().to_string()).collect();
    codes.sort();
    (out.status.code() == Some(0), why, codes)
}

/// `kyso verify` (the S/MIME content and its SignedData; chain and CRLs come from the SignedData)
/// and `kyso cert verify --purpose any` (the signer certificate, with the message's certificates
/// as --chain and its CRLs as --crl), both with `--revocation require`: exit 0 = valid.
#[test]
#[ignore = "needs the PKITS data (KYSO_PKITS; .ci/run fetches it)"]
fn pkits_cli() {
    use rayon::prelude::*;
    let dir = data_dir();
    let anchor = dir.join("certs/TrustAnchorRootCertificate.crt");
    let cases = load_all();
    let work = tempfile::tempdir().unwrap();
    let kyso = env!("CARGO_BIN_EXE_kyso");
    type Out = (String, bool, Vec<RunResult>);
    let results: Vec<(Out, Out)> = cases
        .par_iter()
        .map(|case| {
            let d = work.path().join(&case.name);
            std::fs::create_dir_all(&d).unwrap();
            let content = d.join("message.txt");
            std::fs::write(&content, &case.content).unwrap();
            std::fs::write(d.join("message.txt.p7s"), &case.p7s).unwrap();
            std::fs::write(d.join("leaf.der"), &case.leaf).unwrap();
            let chain: String = case.certificates.iter().filter(|c| **c != case.leaf).map(|c| pem("CERTIFICATE", c)).collect();
            std::fs::write(d.join("chain.pem"), chain).unwrap();
            let crls: String = case.crls.iter().map(|c| pem("X509 CRL", c)).collect();
            std::fs::write(d.join("crls.pem"), crls).unwrap();
            let mut v_runs = Vec::new();
            let mut c_runs = Vec::new();
            for r in case.runs.iter().filter(|r| cli_expressible(r)) {
                let common = ["--trust".to_string(), anchor.display().to_string(), "--at".into(), TIME.into(), "--revocation".into(), "require".into(), "--lang".into(), "en".into(), "--json".into()];
                let out = std::process::Command::new(kyso)
                    .arg("verify")
                    .arg(&content)
                    .args(&common)
                    .args(cli_policy_args(r))
                    .output()
                    .expect("kyso runs");
                let (ok, why, codes) = cli_outcome(&out);
                v_runs.push((r.clone(), ok, why, codes));
                let mut cmd = std::process::Command::new(kyso);
                cmd.args(["cert", "verify"]).arg(d.join("leaf.der")).args(&common).args(["--purpose", "any"]).args(cli_policy_args(r));
                if case.certificates.len() > 1 {
                    cmd.arg("--chain").arg(d.join("chain.pem"));
                }
                if !case.crls.is_empty() {
                    cmd.arg("--crl").arg(d.join("crls.pem"));
                }
                let out = cmd.output().expect("kyso runs");
                let (ok, why, codes) = cli_outcome(&out);
                c_runs.push((r.clone(), ok, why, codes));
            }
            ((case.name.clone(), case.named, v_runs), (case.name.clone(), case.named, c_runs))
        })
        .collect();
    let skipped_runs: usize = cases.iter().map(|c| c.runs.iter().filter(|r| !cli_expressible(r)).count()).sum();
    println!("PKITS (cli): {skipped_runs} runs need initial-policy-mapping-inhibit or initial-any-policy-inhibit, which the CLI does not take (pkits_library runs them)");
    let (verify, cert): (Vec<Out>, Vec<Out>) = results.into_iter().unzip();
    judge("verify", &verify);
    judge("cert", &cert);
}
