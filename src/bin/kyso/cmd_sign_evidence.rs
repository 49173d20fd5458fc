//! `kyso sign --tsa … --embed-revocation --crl …`: CAdES-B-T (a signature timestamp over each
//! new signature) and offline evidence (CRLs in the SignedData), applied to each signature file
//! after signing and before it is written.

use crate::util::{read_input, CliError};
use kyso::tsp::{add_signature_timestamp, embed_revocation, HttpClient, TokenCheck, TspError};
use std::path::PathBuf;
use std::time::Duration;

/// Certificate and CRL files are small; a national CRL may reach tens of MB.
const CERT_LIMIT: u64 = 1 << 20;
/// A provincial CA's CRL is kilobytes; 32 MiB matches the verifier's signature-file limit.
const CRL_LIMIT: u64 = 32 << 20;

/// Trusted-time and evidence options of `kyso sign`.
#[derive(Debug, clap::Args)]
pub struct TrustedTimeArgs {
    /// Add a signature timestamp from this RFC 3161 TSA (http://host:port/path): CAdES-B-T
    #[arg(long, value_name = "URL")]
    pub tsa: Option<String>,
    /// Trust anchors for the TSA certificate (PEM bundle or DER); repeatable. Without it the
    /// TSA chain is not checked (a warning says so)
    #[arg(long, value_name = "FILE", requires = "tsa")]
    pub tsa_trust: Vec<PathBuf>,
    /// Seconds before giving up on the TSA (per request)
    #[arg(long, value_name = "SECS", default_value_t = 30, requires = "tsa", value_parser = clap::value_parser!(u64).range(1..=600))]
    pub tsa_timeout: u64,
    /// Embed revocation evidence for offline verification: the CRLs given with --crl, and an
    /// OCSP answer for each certificate of the signature fetched from its CA's responder (its
    /// CRL when there is no responder and no --crl): in the SignedData (crls) of a .p7s; in the
    /// document security store (/DSS with a /VRI entry, and the certificates) of a PDF:
    /// PAdES-B-LT
    #[arg(long)]
    pub embed_revocation: bool,
    /// Seconds allowed for each OCSP or CRL fetch of --embed-revocation
    #[arg(long, value_name = "SECS", default_value_t = 10, requires = "embed_revocation", value_parser = clap::value_parser!(u64).range(1..=300))]
    pub fetch_timeout: u64,
    /// A CRL to embed (PEM or DER; repeatable); needs --embed-revocation
    #[arg(long, value_name = "FILE", requires = "embed_revocation")]
    pub crl: Vec<PathBuf>,
}

/// Reads the CRL files to embed (PEM bundles or DER), at most `tsp::MAX_EMBEDDED_CRLS` CRLs.
pub fn read_crls(paths: &[PathBuf]) -> Result<Vec<Vec<u8>>, CliError> {
    let mut crls = Vec::new();
    for p in paths {
        let b = read_input(p, "the CRL file", CRL_LIMIT)?;
        crls.extend(kyso::objects::crls(&b).map_err(|e| CliError::usage(format!("{}: {e}", p.display())))?);
    }
    if crls.len() > kyso::tsp::MAX_EMBEDDED_CRLS {
        return Err(CliError::usage(format!("more than {} CRLs to embed", kyso::tsp::MAX_EMBEDDED_CRLS)));
    }
    Ok(crls)
}

/// What is done to each signature file before it is written.
pub struct Finisher {
    tsa: Option<(HttpClient, String)>,
    anchors: Vec<Vec<u8>>,
    crls: Vec<Vec<u8>>,
    /// With --embed-revocation: where OCSP answers (and missing CRLs) are fetched.
    fetcher: Option<crate::fetch::HttpFetcher>,
}

impl Finisher {
    /// Reads the anchors and CRLs once, checks the URL.
    pub fn new(a: &TrustedTimeArgs) -> Result<Finisher, CliError> {
        let tsa = match &a.tsa {
            Some(url) => Some((
                HttpClient::new(url, Duration::from_secs(a.tsa_timeout)).map_err(|e| CliError::usage(format!("--tsa: {e}")))?,
                url.clone(),
            )),
            None => None,
        };
        let mut anchors = Vec::new();
        for p in &a.tsa_trust {
            let b = read_input(p, "the TSA trust file", CERT_LIMIT)?;
            anchors.extend(kyso::objects::certificates(&b).map_err(|e| CliError::usage(format!("{}: {e}", p.display())))?);
        }
        if tsa.is_some() && anchors.is_empty() {
            eprintln!("warning: no --tsa-trust given: the TSA's certificate chain is NOT checked");
        }
        let crls = read_crls(&a.crl)?;
        let fetcher = a.embed_revocation.then(|| {
            crate::fetch::HttpFetcher::new(Duration::from_secs(a.fetch_timeout), crate::fetch::default_cache_dir(), time::OffsetDateTime::now_utc().unix_timestamp())
        });
        Ok(Finisher { tsa, anchors, crls, fetcher })
    }

    /// The CRLs (given and fetched) and OCSP answers (fetched) to embed for the certificates of
    /// the signature `cms` (nothing without --embed-revocation).
    pub fn evidence(&self, certs: &[Vec<u8>]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
        let Some(f) = &self.fetcher else { return (self.crls.clone(), Vec::new()) };
        let (fetched, ocsps) = crate::fetch::revocation_evidence(certs, !self.crls.is_empty(), f);
        // The given CRLs first, in their order; then what was fetched.
        let mut crls = self.crls.clone();
        for c in fetched {
            if !crls.contains(&c) {
                crls.push(c);
            }
        }
        (crls, ocsps)
    }

    /// Embeds the CRLs, then timestamps every SignerInfo that has no signature timestamp yet
    /// (one TSA request each; with --add, an earlier signer without one gets one too). The
    /// token is checked (imprint, nonce, TSA EKU and, with --tsa-trust, its chain now) before
    /// it is embedded.
    pub fn apply(&self, p7s: Vec<u8>) -> Result<Vec<u8>, String> {
        let mut p7s = p7s;
        if self.fetcher.is_some() {
            let certs = kyso::tsp::evidence_certificates(&p7s).map_err(|e| format!("cannot list the signature's certificates: {e}"))?;
            let (crls, ocsps) = self.evidence(&certs);
            p7s = embed_revocation(&p7s, &crls, &ocsps).map_err(|e| format!("cannot embed the revocation evidence: {e}"))?;
        }
        self.timestamp(p7s)
    }

    /// With --tsa: timestamps every SignerInfo that has no signature timestamp yet (see
    /// [`Finisher::apply`]); without it, returns `p7s` unchanged.
    pub fn timestamp(&self, p7s: Vec<u8>) -> Result<Vec<u8>, String> {
        let mut p7s = p7s;
        if let Some((client, url)) = &self.tsa {
            let now = time::OffsetDateTime::now_utc();
            let check = if self.anchors.is_empty() { TokenCheck::without_trust(now) } else { TokenCheck::new(&self.anchors, now) };
            p7s = match add_signature_timestamp(&p7s, client, &check) {
                Ok(t) => t.p7s,
                Err(TspError::Transport(e)) => return Err(format!("timestamp from {url}: cannot reach the TSA: {e}")),
                Err(e) => return Err(format!("timestamp from {url}: {e}")),
            };
        }
        Ok(p7s)
    }
}
