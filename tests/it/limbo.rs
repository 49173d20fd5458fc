//! x509-limbo (C2SP) over kyso's certificate-verification core — the same code as
//! `kyso cert verify` (`Verifier::verify_certificate`). The data lives outside the repository
//! (../shared/oracles/x509-limbo/limbo-nontls.json.gz, or the path in `KYSO_LIMBO`); the test is
//! ignored in plain `cargo test` and, when run (`cargo test --test it -- --ignored limbo`), FAILS
//! if the data is missing.
//!
//! How a case is read (../shared/oracles/README.md): anchors = trusted_certs; intermediates =
//! untrusted_intermediates; time = validation_time or now; crls non-empty → revocation required
//! for the whole chain; extended_key_usage non-empty → the leaf must have it (and CAs with an EKU
//! must allow it), else no EKU is imposed; key_usage → required bits; max_chain_depth → limit on
//! intermediates. Every divergence and every skipped case is listed with its reason in
//! tests/limbo-exceptions.tsv; the test fails when agreement on non-skipped cases is below 97%,
//! when a divergence is not listed, or when a listed divergence no longer diverges.

use kyso::report::Indication;
use kyso::verify::{KeyUsageBit, Options, Purpose, RevocationMode, Verifier};
use rayon::prelude::*;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;

fn limbo_path() -> PathBuf {
    match std::env::var_os("KYSO_LIMBO") {
        Some(p) => PathBuf::from(p),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/oracles/x509-limbo/limbo-nontls.json.gz"),
    }
}

fn load() -> Value {
    let path = limbo_path();
    assert!(path.exists(), "x509-limbo data not found at {} (set KYSO_LIMBO)", path.display());
    let out = std::process::Command::new("gunzip").arg("-c").arg(&path).output().expect("gunzip must be installed");
    assert!(out.status.success(), "gunzip -c {} failed", path.display());
    serde_json::from_slice(&out.stdout).expect("limbo JSON")
}

/// The certificates of a list of PEM strings; a string that does not read is a setup error (it
/// must not silently shrink the anchors or the chain, which would turn into a FAILURE verdict).
fn pem_list(v: &Value) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for p in v.as_array().into_iter().flatten() {
        let p = p.as_str().ok_or("a PEM entry that is not a string")?;
        out.extend(kyso::objects::certificates(p.as_bytes()).map_err(|e| format!("certificate PEM: {e}"))?);
    }
    Ok(out)
}

fn crl_list(v: &Value) -> Result<Vec<Vec<u8>>, String> {
    let mut out = Vec::new();
    for p in v.as_array().into_iter().flatten() {
        let p = p.as_str().ok_or("a PEM entry that is not a string")?;
        out.extend(kyso::objects::crls(p.as_bytes()).map_err(|e| format!("CRL PEM: {e}"))?);
    }
    Ok(out)
}

fn eku_oid(name: &str) -> Option<const_oid::ObjectIdentifier> {
    let s = match name {
        "serverAuth" => "1.3.6.1.5.5.7.3.1",
        "clientAuth" => "1.3.6.1.5.5.7.3.2",
        "codeSigning" => "1.3.6.1.5.5.7.3.3",
        "emailProtection" => "1.3.6.1.5.5.7.3.4",
        "timeStamping" => "1.3.6.1.5.5.7.3.8",
        "OCSPSigning" | "ocspSigning" => "1.3.6.1.5.5.7.3.9",
        "anyExtendedKeyUsage" => "2.5.29.37.0",
        _ => return None,
    };
    const_oid::ObjectIdentifier::new(s).ok()
}

fn ku_bit(name: &str) -> Option<KeyUsageBit> {
    Some(match name {
        "digitalSignature" => KeyUsageBit::DigitalSignature,
        "contentCommitment" | "nonRepudiation" => KeyUsageBit::NonRepudiation,
        "keyEncipherment" => KeyUsageBit::KeyEncipherment,
        "dataEncipherment" => KeyUsageBit::DataEncipherment,
        "keyAgreement" => KeyUsageBit::KeyAgreement,
        "keyCertSign" => KeyUsageBit::KeyCertSign,
        "cRLSign" => KeyUsageBit::CrlSign,
        _ => return None,
    })
}

/// kyso's answer for one case.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// A verdict: true = SUCCESS, false = FAILURE, with kyso's reason.
    Verdict(bool, String),
    /// The case needs something this harness cannot express (listed as `skip` with a reason).
    Inexpressible(String),
    /// The harness could not set the case up — the case's PEM did not read, or
    /// `Verifier::new` refused its anchors, chain or CRLs. Not a verdict: counting it as FAILURE
    /// would match every FAILURE-expected case for the wrong reason (issue 23). Always a problem.
    Setup(String),
}

fn run_case(tc: &Value, now: time::OffsetDateTime) -> Outcome {
    match run_case_inner(tc, now) {
        Ok(o) => o,
        Err(why) => Outcome::Inexpressible(why),
    }
}

fn run_case_inner(tc: &Value, now: time::OffsetDateTime) -> Result<Outcome, String> {
    let time = match tc["validation_time"].as_str() {
        Some(t) => time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).map_err(|e| format!("time: {e}"))?,
        None => now,
    };
    let ekus: Vec<&str> = tc["extended_key_usage"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect()).unwrap_or_default();
    if ekus.len() > 1 {
        return Err("several required EKUs".into());
    }
    let required_eku = match ekus.first() {
        Some(n) => Some(eku_oid(n).ok_or_else(|| format!("unknown EKU {n}"))?),
        None => None,
    };
    let mut key_usage = Vec::new();
    for k in tc["key_usage"].as_array().into_iter().flatten() {
        let n = k.as_str().unwrap_or("");
        key_usage.push(ku_bit(n).ok_or_else(|| format!("unknown key usage {n}"))?);
    }
    let max_chain_depth = tc["max_chain_depth"].as_u64().map(|d| d as usize);
    let setup = |what: &str, r: Result<Vec<Vec<u8>>, String>| r.map_err(|e| format!("{what}: {e}"));
    let (crls, anchors, chain, leaf) = match (
        setup("crls", crl_list(&tc["crls"])),
        setup("trusted_certs", pem_list(&tc["trusted_certs"])),
        setup("untrusted_intermediates", pem_list(&tc["untrusted_intermediates"])),
        setup("peer_certificate", pem_list(&serde_json::json!([tc["peer_certificate"].clone()]))),
    ) {
        (Ok(c), Ok(a), Ok(ch), Ok(l)) => (c, a, ch, l),
        (c, a, ch, l) => return Ok(Outcome::Setup([c.err(), a.err(), ch.err(), l.err()].into_iter().flatten().collect::<Vec<_>>().join("; "))),
    };
    let revocation = if crls.is_empty() { RevocationMode::Off } else { RevocationMode::Require };
    let [leaf] = <[Vec<u8>; 1]>::try_from(leaf).map_err(|l| format!("peer_certificate holds {} certificates", l.len()))?;
    let v = match Verifier::new(&anchors, &chain, &crls, Options::at(time).revocation(revocation)) {
        Ok(v) => v,
        Err(e) => return Ok(Outcome::Setup(format!("Verifier::new: {e}"))),
    };
    let r = v.verify_certificate(&leaf, &Purpose::Custom { required_eku, key_usage, max_chain_depth });
    let why = r.sub_indication.map(|s| s.as_str().to_string()).unwrap_or_default();
    let detail = r.checks.iter().find(|c| c.status == kyso::report::CheckStatus::Failed).map(|c| c.finding.to_string()).unwrap_or_default();
    Ok(Outcome::Verdict(r.indication == Indication::TotalPassed, format!("{why} {detail}")))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Skip,
    Diverge,
    /// A FAILURE-expected case that kyso refuses before validation (`Verifier::new` refuses the
    /// anchors, chain or CRLs: a budget, a malformed constraint). The reason quotes the error
    /// text in "…"; the harness checks that the setup error says it and that the case expects
    /// FAILURE. Counted apart from agreement (issue 23).
    Setup,
}

/// The quoted part of a `setup` exception's reason: the text the setup error must contain.
fn quoted(reason: &str) -> Option<&str> {
    let start = reason.find('"')? + 1;
    let len = reason[start..].find('"')?;
    Some(&reason[start..start + len]).filter(|q| !q.is_empty())
}

fn exceptions() -> BTreeMap<String, (Kind, String)> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/limbo-exceptions.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let mut m = BTreeMap::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let mut parts = line.splitn(3, '\t');
        let (Some(id), Some(kind), Some(reason)) = (parts.next(), parts.next(), parts.next()) else {
            panic!("limbo-exceptions.tsv line {}: expected id<TAB>skip|diverge<TAB>reason", n + 1);
        };
        assert!(!reason.trim().is_empty(), "line {}: empty reason", n + 1);
        let kind = match kind {
            "skip" => Kind::Skip,
            "diverge" => Kind::Diverge,
            "setup" => {
                assert!(quoted(reason).is_some(), "line {}: a setup exception quotes the expected error text in \"…\"", n + 1);
                Kind::Setup
            }
            k => panic!("line {}: unknown kind {k}", n + 1),
        };
        assert!(m.insert(id.to_string(), (kind, reason.to_string())).is_none(), "duplicate exception {id}");
    }
    m
}

#[test]
#[ignore = "needs ../shared/oracles/x509-limbo (CI runs it with --ignored)"]
fn x509_limbo_agreement() {
    let data = load();
    let cases = data["testcases"].as_array().expect("testcases");
    let exc = exceptions();
    let now = time::OffsetDateTime::now_utc();
    let results: Vec<(String, bool, Outcome)> = cases
        .par_iter()
        .map(|tc| {
            let id = tc["id"].as_str().unwrap_or("").to_string();
            let expected = tc["expected_result"] == "SUCCESS";
            (id, expected, run_case(tc, now))
        })
        .collect();
    let (mut passed, mut skipped, mut divergent, mut setup_errors, mut setup_refusals) = (0usize, 0usize, 0usize, 0usize, 0usize);
    let mut problems = Vec::new();
    let mut report = Vec::new();
    for (id, expected, got) in &results {
        let listed = exc.get(id);
        match (got, listed) {
            // A setup error is never a verdict: a problem unless listed as a setup refusal of a
            // FAILURE-expected case, with the error it must give.
            (Outcome::Setup(why), Some((Kind::Setup, reason))) if !*expected && quoted(reason).is_some_and(|q| why.contains(q)) => setup_refusals += 1,
            (Outcome::Setup(why), _) => {
                setup_errors += 1;
                problems.push(format!("{id}: setup error ({why}), expected {}: not a verdict", if *expected { "SUCCESS" } else { "FAILURE" }));
            }
            (_, Some((Kind::Setup, _))) => problems.push(format!("{id}: listed as a setup refusal but kyso sets it up (remove its line)")),
            (_, Some((Kind::Skip, _))) => skipped += 1,
            (Outcome::Inexpressible(why), None) => problems.push(format!("{id}: cannot be expressed ({why}) and is not listed as skip")),
            (Outcome::Inexpressible(_), Some((Kind::Diverge, _))) => problems.push(format!("{id}: listed as diverge but cannot be run")),
            (Outcome::Verdict(ok, why), listed) => {
                let agrees = ok == expected;
                if agrees {
                    passed += 1;
                    if let Some((Kind::Diverge, _)) = listed {
                        problems.push(format!("{id}: listed as a divergence but now agrees (remove it)"));
                    }
                } else {
                    divergent += 1;
                    report.push(format!("{id}\texpected {}\tkyso: {why}", if *expected { "SUCCESS" } else { "FAILURE" }));
                    if listed.is_none() {
                        problems.push(format!("{id}: divergence not in tests/limbo-exceptions.tsv (expected {}, kyso: {why})", if *expected { "SUCCESS" } else { "FAILURE" }));
                    }
                }
            }
        }
    }
    for id in exc.keys() {
        if !results.iter().any(|(i, _, _)| i == id) {
            problems.push(format!("{id}: listed in the exceptions but not in the data"));
        }
    }
    let considered = passed + divergent;
    let agreement = if considered == 0 { 0.0 } else { passed as f64 / considered as f64 };
    println!(
        "x509-limbo: {} cases: passed {passed}, skipped {skipped}, divergent {divergent}, refused at setup as listed {setup_refusals}, setup errors {setup_errors}; agreement {:.2}% of the verdicts",
        results.len(),
        agreement * 100.0
    );
    if std::env::var_os("KYSO_LIMBO_REPORT").is_some() {
        for line in &report {
            println!("DIVERGENT\t{line}");
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
    assert!(agreement >= 0.97, "agreement {:.2}% < 97%", agreement * 100.0);
}

/// A case whose anchor cannot be set up is a setup error, not a FAILURE verdict — the harness
/// used to report it as FAILURE, agreeing with every FAILURE-expected case for the wrong reason.
/// Also: a PEM that does not read is a setup error (it used to be dropped silently); a good case
/// gives a verdict. Plain test (no limbo data needed).
#[test]
fn limbo_setup_errors_are_not_verdicts() {
    let pki = crate::pki::Pki::new(crate::pki::KeyKind::P256);
    let leaf = pki.leaf("limbo leaf", crate::pki::Leaf { eku: None, ..crate::pki::Leaf::default() });
    let pem = |p: &std::path::Path| std::fs::read_to_string(p).unwrap();
    let case = |anchors: Vec<String>, peer: String| {
        serde_json::json!({
            "id": "synthetic", "expected_result": "FAILURE", "validation_time": null,
            "trusted_certs": anchors, "untrusted_intermediates": [pem(&pki.sub.cert)], "peer_certificate": peer,
            "crls": [], "key_usage": [], "extended_key_usage": [], "max_chain_depth": null,
        })
    };
    let now = time::OffsetDateTime::now_utc();
    // a good case: a verdict (SUCCESS)
    assert!(matches!(run_case(&case(vec![pem(&pki.root.cert)], pem(&leaf.cert)), now), Outcome::Verdict(true, _)));
    // an anchor that is a certificate block holding garbage: Verifier::new refuses it
    let garbage = "-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n".to_string();
    match run_case(&case(vec![garbage], pem(&leaf.cert)), now) {
        Outcome::Setup(why) => assert!(why.starts_with("Verifier::new: "), "{why}"),
        other => panic!("expected a setup error, got {other:?}"),
    }
    // no anchor at all
    match run_case(&case(vec![], pem(&leaf.cert)), now) {
        Outcome::Setup(why) => assert!(why.starts_with("Verifier::new: "), "{why}"),
        other => panic!("expected a setup error, got {other:?}"),
    }
    // a PEM that does not read
    match run_case(&case(vec![pem(&pki.root.cert)], "-----BEGIN CERTIFICATE-----\n!!!\n".into()), now) {
        Outcome::Setup(why) => assert!(why.starts_with("peer_certificate: "), "{why}"),
        other => panic!("expected a setup error, got {other:?}"),
    }
}
