//! Mutation test of verification: thousands of deterministic corruptions of valid signatures
//! (kyso's single and double signer `.p7s`, and OpenSSL's `-cades` one, all from fuzz/fixtures and
//! fuzz/seeds, made by fuzz/make-seeds.sh) go through [`kyso::verify::Verifier`] in-process, and a
//! smaller batch through `kyso verify --json`.
//!
//! Mutations (a tiny xorshift generator with fixed seeds, so every run makes the same cases): one
//! bit flipped, one byte inserted, one byte deleted, a truncation, and edits of the length octets
//! of every TLV header of the original (±1, a non-minimal long form, indefinite, a huge length).
//!
//! What must hold for every mutant:
//! 1. no panic (each case runs under `catch_unwind`, the case is named on failure);
//! 2. no hang: each case must finish within [`CASE_BOUND`] (a watchdog, not a speed assertion —
//!    a case takes milliseconds; the bound only catches runaway loops);
//! 3. no false TOTAL_PASSED, by this rule. The *protected* bytes of a signature file are, after
//!    BER→DER normalisation ([`kyso::asn1::normalise`], which is what the verifier does too):
//!    every SignerInfo in full (sid, digestAlgorithm, signedAttrs, signatureAlgorithm, signature;
//!    the originals have no unsignedAttrs, the only unsigned part of a SignerInfo), and every
//!    embedded certificate except copies of the trust anchor (OpenSSL embeds the root too; path
//!    building takes the anchor from `--trust`, so a corrupted copy of it is never used).
//!    Unprotected: the ContentInfo/SignedData framing, the SignedData version, the
//!    digestAlgorithms set (not covered by any signature), the order of certificates and of
//!    SignerInfos, and BER re-encodings that normalise back to the same DER.
//!    A mutant may be TOTAL_PASSED only if its normalised form parses as a detached SignedData
//!    whose SignerInfos are distinct and each byte-identical to one of the original's (or differs
//!    from it only in the spelling of the sid's issuer Name — string type, letter case — the same
//!    name by RFC 5280 §7.1, which kyso compares sids by), and which
//!    contains every protected original certificate unchanged. Dropping a whole SignerInfo is
//!    allowed (what remains is an honest signature, and the report lists exactly who signed);
//!    a duplicated SignerInfo is not (it would count as two signatures). Anything else that passes
//!    is a verifier bug.
//! 4. through the CLI: the exit code is 0, 1 or 3 (never a panic's 101 or a signal), stdout is one
//!    well-formed JSON object with the §3 shape, and exit 0 happens only under rule 3.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use kyso::report::Indication;
use kyso::verify::{Options, Verifier};

/// Watchdog bound per case (in-process) and per CLI run: far above the few milliseconds a case
/// takes in a debug build, so it only ever fires on a hang.
const CASE_BOUND: Duration = Duration::from_secs(20);

/// The validation time of the fixtures: 2027-01-01T00:00:00Z, inside every certificate's validity.
const AT_UNIX: i64 = 1_798_761_600;
const AT_RFC3339: &str = "2027-01-01T00:00:00Z";

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz").join("fixtures")
}

fn read(p: &Path) -> Vec<u8> {
    std::fs::read(p).unwrap_or_else(|e| panic!("read {}: {e}", p.display()))
}

/// xorshift64*: deterministic, no dependency.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Positions of every TLV header in a DER encoding: (offset of the length octets, number of
/// length octets, length value).
fn headers(der: &[u8]) -> Vec<(usize, usize, usize)> {
    fn walk(buf: &[u8], base: usize, out: &mut Vec<(usize, usize, usize)>, depth: usize) {
        let mut i = 0;
        while i + 2 <= buf.len() {
            let tag = buf[i];
            let first = buf[i + 1] as usize;
            let (n, len) = if first < 0x80 {
                (1, first)
            } else {
                let k = first & 0x7f;
                if k == 0 || k > 4 || i + 2 + k > buf.len() {
                    return;
                }
                (1 + k, buf[i + 2..i + 2 + k].iter().fold(0usize, |a, &b| (a << 8) | b as usize))
            };
            let start = i + 1 + n;
            if start + len > buf.len() {
                return;
            }
            out.push((base + i + 1, n, len));
            if tag & 0x20 != 0 && depth < 40 {
                walk(&buf[start..start + len], base + start, out, depth + 1);
            }
            i = start + len;
        }
    }
    let mut out = Vec::new();
    walk(der, 0, &mut out, 0);
    out
}

fn encode_len(len: usize) -> Vec<u8> {
    if len < 0x80 {
        vec![len as u8]
    } else {
        let bytes: Vec<u8> = len.to_be_bytes().iter().copied().skip_while(|&b| b == 0).collect();
        let mut v = vec![0x80 | bytes.len() as u8];
        v.extend(bytes);
        v
    }
}

/// A DER tree, to make mutants whose enclosing lengths stay consistent (so that they reach the
/// inner parsers instead of failing at the outermost length).
#[derive(Clone)]
pub struct Node {
    pub tag: u8,
    /// Length form: None = minimal DER, Some(0) = indefinite (constructed only), Some(k) = k octets.
    pub form: Option<usize>,
    pub prim: Vec<u8>,
    pub kids: Option<Vec<Node>>,
}

pub fn tree(buf: &[u8]) -> Option<Vec<Node>> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < buf.len() {
        let tag = *buf.get(i)?;
        let first = *buf.get(i + 1)? as usize;
        let (n, len) = if first < 0x80 {
            (1, first)
        } else {
            let k = first & 0x7f;
            (1 + k, buf.get(i + 2..i + 2 + k)?.iter().fold(0usize, |a, &b| (a << 8) | b as usize))
        };
        let body = buf.get(i + 1 + n..i + 1 + n + len)?;
        let kids = if tag & 0x20 != 0 { Some(tree(body)?) } else { None };
        out.push(Node { tag, form: None, prim: if kids.is_none() { body.to_vec() } else { Vec::new() }, kids });
        i += 1 + n + len;
    }
    Some(out)
}

pub fn serialize(nodes: &[Node], out: &mut Vec<u8>) {
    for nd in nodes {
        let mut body = Vec::new();
        match &nd.kids {
            Some(k) => serialize(k, &mut body),
            None => body.extend_from_slice(&nd.prim),
        }
        out.push(nd.tag);
        match nd.form {
            Some(0) => {
                out.push(0x80);
                out.extend_from_slice(&body);
                out.extend_from_slice(&[0, 0]);
                continue;
            }
            Some(k) => {
                out.push(0x80 | k as u8);
                out.extend_from_slice(&(body.len() as u64).to_be_bytes()[8 - k..]);
            }
            None => out.extend_from_slice(&encode_len(body.len())),
        }
        out.extend_from_slice(&body);
    }
}

/// Number of nodes, depth first.
fn count(nodes: &[Node]) -> usize {
    nodes.iter().map(|n| 1 + n.kids.as_deref().map_or(0, count)).sum()
}

/// Applies `f` to the `idx`-th node (depth first); returns whether it was found.
fn with_node(nodes: &mut Vec<Node>, idx: &mut usize, f: &mut dyn FnMut(&mut Vec<Node>, usize)) -> bool {
    for i in 0..nodes.len() {
        if *idx == 0 {
            f(nodes, i);
            return true;
        }
        *idx -= 1;
        if let Some(k) = nodes[i].kids.as_mut() {
            if with_node(k, idx, f) {
                return true;
            }
        }
    }
    false
}

/// Structure-aware mutants with consistent lengths: each node's length in a non-minimal long
/// form, constructed nodes with an indefinite length (both BER re-encodings of the same value),
/// each node dropped, duplicated, or its tag's low bit flipped.
pub fn tree_mutants(orig: &[u8]) -> Vec<Mutant> {
    let Some(t) = tree(orig) else { return Vec::new() };
    let mut out = Vec::new();
    for at in 0..count(&t) {
        for op in 0..5 {
            let mut m = t.clone();
            let mut idx = at;
            let mut what = String::new();
            let mut ok = true;
            with_node(&mut m, &mut idx, &mut |v: &mut Vec<Node>, i: usize| match op {
                0 => {
                    v[i].form = Some(4);
                    what = format!("node {at}: 4-octet length");
                }
                1 => {
                    if v[i].kids.is_none() {
                        ok = false;
                    }
                    v[i].form = Some(0);
                    what = format!("node {at}: indefinite length");
                }
                2 => {
                    v.remove(i);
                    what = format!("node {at}: dropped");
                }
                3 => {
                    let c = v[i].clone();
                    v.insert(i, c);
                    what = format!("node {at}: duplicated");
                }
                _ => {
                    v[i].tag ^= 1;
                    what = format!("node {at}: tag low bit flipped");
                }
            });
            if ok {
                let mut bytes = Vec::new();
                serialize(&m, &mut bytes);
                out.push(Mutant { what, bytes });
            }
        }
    }
    out
}

/// One mutant and how it was made (printed on failure, enough to reproduce it).
pub struct Mutant {
    pub what: String,
    pub bytes: Vec<u8>,
}

/// The deterministic mutants of `orig`: `n_random` random ones plus the length-field edits.
pub fn mutants(orig: &[u8], seed: u64, n_random: usize) -> Vec<Mutant> {
    let mut rng = Rng::new(seed);
    let mut out = Vec::new();
    for k in 0..n_random {
        let mut b = orig.to_vec();
        let what = match k % 4 {
            0 => {
                let p = rng.below(b.len());
                let bit = rng.below(8);
                b[p] ^= 1 << bit;
                format!("flip bit {bit} of byte {p}")
            }
            1 => {
                let p = rng.below(b.len() + 1);
                let v = rng.next() as u8;
                b.insert(p, v);
                format!("insert {v:#04x} at {p}")
            }
            2 => {
                let p = rng.below(b.len());
                b.remove(p);
                format!("delete byte {p}")
            }
            _ => {
                let n = rng.below(b.len());
                b.truncate(n);
                format!("truncate to {n}")
            }
        };
        out.push(Mutant { what, bytes: b });
    }
    for (pos, n, len) in headers(orig) {
        let edits: Vec<(String, Vec<u8>)> = vec![
            (format!("length at {pos}: {len}+1"), encode_len(len + 1)),
            (format!("length at {pos}: {len}-1"), encode_len(len.saturating_sub(1))),
            (format!("length at {pos}: {len} in non-minimal long form"), {
                let mut v = vec![0x84];
                v.extend_from_slice(&(len as u32).to_be_bytes());
                v
            }),
            (format!("length at {pos}: indefinite"), vec![0x80]),
            (format!("length at {pos}: 0xffffffff"), vec![0x84, 0xff, 0xff, 0xff, 0xff]),
        ];
        for (what, enc) in edits {
            let mut b = orig[..pos].to_vec();
            b.extend_from_slice(&enc);
            b.extend_from_slice(&orig[pos + n..]);
            out.push(Mutant { what, bytes: b });
        }
    }
    out
}

/// A SignerInfo whose only change is in its sid's issuer Name, the two names equal by RFC 5280
/// §7.1 — another string type, another letter case (e.g. "Bắc" → "BẮc": one bit of the UTF-8):
/// the sid is not signed, it only points at the certificate, and kyso compares it as a name
/// (issue 15); the signature and signing-certificate attribute still bind the same certificate.
/// The comparison here is the harness's own approximation of RFC 4518 (same attribute types in
/// the same order, values equal after lower-casing and collapsing spaces).
fn sid_respelt(orig: &[u8], mutant: &[u8]) -> bool {
    fn parts(si: &[u8]) -> Option<(&[u8], &[u8], &[u8], &[u8])> {
        let si = kyso::asn1::read_all(si).ok()?;
        let (version, rest) = kyso::asn1::read(si.body).ok()?;
        let (sid, after) = kyso::asn1::read(rest).ok()?;
        let (issuer, serial) = kyso::asn1::read(sid.body).ok()?;
        Some((version.raw, issuer.raw, serial, after))
    }
    fn name(der: &[u8]) -> Option<Vec<(String, String)>> {
        use x509_parser::prelude::FromDer;
        let (rest, n) = x509_parser::x509::X509Name::from_der(der).ok()?;
        if !rest.is_empty() {
            return None;
        }
        let fold = |s: &str| s.to_lowercase().split_whitespace().collect::<Vec<_>>().join(" ");
        n.iter_attributes()
            .map(|a| Some((a.attr_type().to_id_string(), a.as_str().ok().map(fold).unwrap_or_else(|| format!("{:?}", a.attr_value().data)))))
            .collect()
    }
    match (parts(orig), parts(mutant)) {
        (Some((v1, i1, s1, r1)), Some((v2, i2, s2, r2))) => {
            v1 == v2 && s1 == s2 && r1 == r2 && i1 != i2 && name(i1).is_some_and(|a| name(i2) == Some(a))
        }
        _ => false,
    }
}

/// Rule 3 of the module docs: may a mutant that verified TOTAL_PASSED be accepted?
pub fn protected_parts_intact(orig: &[u8], mutant: &[u8]) -> Result<(), String> {
    let anchor = read(&fixtures().join("anchor.der"));
    let o = kyso::cms::assemble::RawSignedData::parse(orig).map_err(|e| format!("original: {e}"))?;
    let norm = kyso::asn1::normalise(mutant).map_err(|e| format!("mutant does not normalise: {e}"))?.der;
    let m = kyso::cms::assemble::RawSignedData::parse(&norm).map_err(|e| format!("mutant does not split: {e}"))?;
    let os: Vec<&[u8]> = o.signer_infos.iter().map(|t| t.raw).collect();
    let mut ms: Vec<&[u8]> = m.signer_infos.iter().map(|t| t.raw).collect();
    ms.sort();
    let n = ms.len();
    ms.dedup();
    if ms.len() != n {
        return Err("a SignerInfo appears twice".into());
    }
    if ms.is_empty() || !ms.iter().all(|s| os.contains(s) || os.iter().any(|o| sid_respelt(o, s))) {
        return Err("the SignerInfos differ from the original's".into());
    }
    for c in o.certificates.iter().filter(|c| c.raw != anchor.as_slice()) {
        if !m.certificates.iter().any(|mc| mc.raw == c.raw) {
            return Err("an embedded certificate differs from the original's".into());
        }
    }
    Ok(())
}

pub fn verifier() -> Verifier {
    let anchor = read(&fixtures().join("anchor.der"));
    let at = time::OffsetDateTime::from_unix_timestamp(AT_UNIX).unwrap();
    Verifier::new(&[anchor], &[], &[], Options::at(at)).unwrap()
}

fn originals() -> Vec<(&'static str, Vec<u8>)> {
    let f = fixtures();
    vec![
        ("single.p7s", read(&f.join("single.p7s"))),
        ("double.p7s", read(&f.join("double.p7s"))),
        ("openssl.p7s", read(&f.join("..").join("seeds").join("verify").join("openssl.p7s"))),
    ]
}

#[test]
fn originals_pass_and_protected_rule_holds_on_them() {
    let v = verifier();
    let doc = read(&fixtures().join("document.txt"));
    for (name, p7s) in originals() {
        let r = v.verify_detached("document.txt", doc.as_slice(), &p7s);
        assert_eq!(r.indication, Indication::TotalPassed, "{name}: {r:?}");
        protected_parts_intact(&p7s, &p7s).unwrap();
    }
    // The rule itself must reject a change inside a SignerInfo and accept a BER length.
    let single = read(&fixtures().join("single.p7s"));
    let o = kyso::cms::assemble::RawSignedData::parse(&single).unwrap();
    let si = o.signer_infos[0].raw;
    let at = single.windows(si.len()).position(|w| w == si).unwrap();
    let mut changed = single.clone();
    changed[at + si.len() - 1] ^= 1;
    assert_eq!(protected_parts_intact(&single, &changed).unwrap_err(), "the SignerInfos differ from the original's");
    let (pos, n, len) = headers(&single)[0];
    let mut ber = single[..pos].to_vec();
    ber.extend_from_slice(&[0x84]);
    ber.extend_from_slice(&(len as u32).to_be_bytes());
    ber.extend_from_slice(&single[pos + n..]);
    protected_parts_intact(&single, &ber).unwrap();
}

/// Runs `f` on a worker thread with the watchdog; returns its value, or panics naming `what`.
fn bounded<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let r = catch_unwind(AssertUnwindSafe(f));
        let _ = tx.send(r);
    });
    match rx.recv_timeout(CASE_BOUND) {
        Ok(Ok(v)) => v,
        Ok(Err(_)) => panic!("verification panicked on mutant: {what}"),
        Err(_) => panic!("verification took more than {CASE_BOUND:?} on mutant: {what}"),
    }
}

/// Regression (found by this test): a `.p7s` holding the same SignerInfo twice was TOTAL_PASSED
/// with two signatures — one person's signature counted as the two that an original needs.
#[test]
fn duplicated_signer_info_is_format_failure() {
    let single = read(&fixtures().join("single.p7s"));
    let mut t = tree(&single).unwrap();
    // ContentInfo → [0] → SignedData → signerInfos (its last element)
    let sd = &mut t[0].kids.as_mut().unwrap()[1].kids.as_mut().unwrap()[0];
    let sis = sd.kids.as_mut().unwrap().last_mut().unwrap();
    assert_eq!(sis.tag, 0x31);
    let si = sis.kids.as_ref().unwrap()[0].clone();
    sis.kids.as_mut().unwrap().push(si);
    let mut bytes = Vec::new();
    serialize(&t, &mut bytes);
    let doc = read(&fixtures().join("document.txt"));
    let r = verifier().verify_detached("document.txt", doc.as_slice(), &bytes);
    assert_eq!(r.indication, Indication::TotalFailed);
    assert_eq!(r.sub_indication, Some(kyso::report::SubIndication::FormatFailure));
    assert_eq!(r.detail, Some(kyso::findings::Finding::DuplicateSignerInfo));
}

#[test]
fn thousands_of_mutants_never_panic_hang_or_pass_falsely() {
    let v = std::sync::Arc::new(verifier());
    let doc = std::sync::Arc::new(read(&fixtures().join("document.txt")));
    let mut total = 0;
    let mut passed = 0;
    let mut failures = Vec::new();
    for (i, (name, orig)) in originals().into_iter().enumerate() {
        let mut ms = mutants(&orig, 0x6b79_736f ^ (i as u64 + 1), 1200);
        ms.extend(tree_mutants(&orig));
        // Batches on a worker thread under the watchdog (a thread per case would be slow).
        for chunk in ms.chunks(50) {
            let chunk: Vec<(String, Vec<u8>)> = chunk.iter().map(|m| (m.what.clone(), m.bytes.clone())).collect();
            let label = format!("{name}: one of {} … {}", chunk[0].0, chunk[chunk.len() - 1].0);
            let (v2, d2) = (v.clone(), doc.clone());
            let results = bounded(&label, move || {
                chunk
                    .into_iter()
                    .map(|(what, bytes)| {
                        let r = catch_unwind(AssertUnwindSafe(|| v2.verify_detached("document.txt", d2.as_slice(), &bytes)));
                        (what, bytes, r.map(|r| r.indication).map_err(|_| ()))
                    })
                    .collect::<Vec<_>>()
            });
            for (what, bytes, r) in results {
                total += 1;
                match r {
                    Err(()) => failures.push(format!("{name}: PANIC on {what}")),
                    Ok(Indication::TotalPassed) => {
                        passed += 1;
                        if let Err(why) = protected_parts_intact(&orig, &bytes) {
                            failures.push(format!("{name}: TOTAL_PASSED on {what}: {why}"));
                        }
                    }
                    Ok(_) => {}
                }
            }
        }
    }
    assert!(total > 4000, "only {total} mutants");
    // Some mutants are benign by construction (digestAlgorithms, BER lengths of certificates):
    // if none passed, the harness is not exercising the rule.
    assert!(passed > 0, "no mutant passed: the benign cases are not reached");
    assert!(failures.is_empty(), "{} of {total} mutants misbehaved:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn cli_verify_json_is_well_formed_on_mutants() {
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("document.txt");
    std::fs::copy(fixtures().join("document.txt"), &doc).unwrap();
    let anchor = fixtures().join("anchor.der");
    let double = read(&fixtures().join("double.p7s"));
    let mut ms = mutants(&double, 0x5eed, 120);
    // plus a sample of the length edits, spread over the file
    let lengths: Vec<Mutant> = ms.drain(120..).collect();
    ms.extend(lengths.into_iter().step_by(7));
    let sig = dir.path().join("m.p7s");
    for m in &ms {
        std::fs::write(&sig, &m.bytes).unwrap();
        let mut child = super::cli::kyso()
            .args(["verify", doc.to_str().unwrap(), "--sig", sig.to_str().unwrap(), "--trust", anchor.to_str().unwrap()])
            .args(["--at", AT_RFC3339, "--json"])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let start = std::time::Instant::now();
        let status = loop {
            if let Some(s) = child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > CASE_BOUND {
                let _ = child.kill();
                panic!("kyso verify hung on mutant: {}", m.what);
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let code = status.code();
        assert!(matches!(code, Some(0 | 1 | 3)), "exit {code:?} on {}: {}", m.what, String::from_utf8_lossy(&out.stderr));
        let json: serde_json::Value =
            serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("bad JSON on {}: {e}\n{stdout}", m.what));
        let ind = json["indication"].as_str().unwrap_or_else(|| panic!("no indication on {}: {json}", m.what));
        assert!(["TOTAL_PASSED", "TOTAL_FAILED", "INDETERMINATE"].contains(&ind), "{ind}");
        let docs = json["documents"].as_array().unwrap_or_else(|| panic!("no documents on {}: {json}", m.what));
        assert_eq!(docs.len(), 1);
        assert!(docs[0]["signatures"].is_array(), "{json}");
        assert_eq!(code == Some(0), ind == "TOTAL_PASSED", "exit code vs indication on {}", m.what);
        if ind == "TOTAL_PASSED" {
            protected_parts_intact(&double, &m.bytes).unwrap_or_else(|why| panic!("TOTAL_PASSED on {}: {why}", m.what));
        }
    }
}
