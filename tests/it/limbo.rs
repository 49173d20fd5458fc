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

fn pem_list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().filter_map(|p| p.as_str()).flat_map(|p| kyso::objects::certificates(p.as_bytes()).unwrap_or_default()).collect())
        .unwrap_or_default()
}

fn crl_list(v: &Value) -> Vec<Vec<u8>> {
    v.as_array()
        .map(|a| a.iter().filter_map(|p| p.as_str()).flat_map(|p| kyso::objects::crls(p.as_bytes()).unwrap_or_default()).collect())
        .unwrap_or_default()
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

/// kyso's answer for one case: Ok(true) = SUCCESS, Ok(false) = FAILURE, Err = cannot express it.
fn run_case(tc: &Value, now: time::OffsetDateTime) -> Result<(bool, String), String> {
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
    let crls = crl_list(&tc["crls"]);
    let revocation = if crls.is_empty() { RevocationMode::Off } else { RevocationMode::Require };
    let anchors = pem_list(&tc["trusted_certs"]);
    let chain = pem_list(&tc["untrusted_intermediates"]);
    let leaf = pem_list(&serde_json::json!([tc["peer_certificate"].clone()]));
    let Some(leaf) = leaf.into_iter().next() else { return Ok((false, "leaf does not parse as PEM".into())) };
    let v = match Verifier::new(&anchors, &chain, &crls, Options::at(time).revocation(revocation)) {
        Ok(v) => v,
        Err(e) => return Ok((false, format!("setup: {e}"))),
    };
    let r = v.verify_certificate(&leaf, &Purpose::Custom { required_eku, key_usage, max_chain_depth });
    let why = r.sub_indication.map(|s| s.as_str().to_string()).unwrap_or_default();
    let detail = r.checks.iter().find(|c| c.status == kyso::report::CheckStatus::Failed).map(|c| c.finding.to_string()).unwrap_or_default();
    Ok((r.indication == Indication::TotalPassed, format!("{why} {detail}")))
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Skip,
    Diverge,
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
    type Outcome = (String, bool, Result<(bool, String), String>);
    let results: Vec<Outcome> = cases
        .par_iter()
        .map(|tc| {
            let id = tc["id"].as_str().unwrap_or("").to_string();
            let expected = tc["expected_result"] == "SUCCESS";
            (id, expected, run_case(tc, now))
        })
        .collect();
    let (mut passed, mut skipped, mut divergent) = (0usize, 0usize, 0usize);
    let mut problems = Vec::new();
    let mut report = Vec::new();
    for (id, expected, got) in &results {
        let listed = exc.get(id);
        match (got, listed) {
            (_, Some((Kind::Skip, _))) => skipped += 1,
            (Err(why), None) => problems.push(format!("{id}: cannot be expressed ({why}) and is not listed as skip")),
            (Err(_), Some((Kind::Diverge, _))) => problems.push(format!("{id}: listed as diverge but cannot be run")),
            (Ok((ok, why)), listed) => {
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
    println!("x509-limbo: {} cases: passed {passed}, skipped {skipped}, divergent {divergent}; agreement {:.2}% of non-skipped", results.len(), agreement * 100.0);
    if std::env::var_os("KYSO_LIMBO_REPORT").is_some() {
        for line in &report {
            println!("DIVERGENT\t{line}");
        }
    }
    assert!(problems.is_empty(), "{} problem(s):\n{}", problems.len(), problems.join("\n"));
    assert!(agreement >= 0.97, "agreement {:.2}% < 97%", agreement * 100.0);
}
