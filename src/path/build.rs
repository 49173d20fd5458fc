//! Path building: a depth-first search from the leaf toward the anchors over every candidate
//! issuer (RFC 4158 in spirit): a certificate whose subject matches the issuer name (§7.1) and
//! whose key verifies the signature is an issuer; each complete path is validated by §6.1 and
//! the first that passes is returned. Otherwise the highest-ranked failure seen is reported.

use super::cert::Cert;
use super::sig::{self, SigError};
use super::validate::validate;
use super::{Anchor, Budget, CertRef, PathError, Settings, ValidPath, MAX_BUILD_STEPS, MAX_PATH_INTERMEDIATES, MAX_SIGNATURE_CHECKS};
use std::collections::HashMap;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Issuer {
    Anchor(usize),
    Candidate(usize),
}

struct Builder<'a> {
    leaf: &'a Cert,
    candidates: &'a [Cert],
    anchors: &'a [Anchor],
    settings: &'a Settings,
    signature_checks: usize,
    steps: usize,
    /// (child node, issuer) → signature result.
    signatures: HashMap<(usize, Issuer), Result<(), PathError>>,
    best: Option<PathError>,
    stop: bool,
}

/// Builds and validates a path from `leaf` to one of `anchors` through `candidates`.
pub fn build_and_validate(leaf: &Cert, candidates: &[Cert], anchors: &[Anchor], settings: &Settings) -> Result<ValidPath, PathError> {
    // Candidates that are anchors, or the leaf itself, add nothing but work.
    let useful: Vec<Cert> = candidates
        .iter()
        .filter(|c| c.der() != leaf.der() && !anchors.iter().any(|a| a.cert().der() == c.der()))
        .cloned()
        .collect();
    let mut b = Builder {
        leaf,
        candidates: &useful,
        anchors,
        settings,
        signature_checks: 0,
        steps: 0,
        signatures: HashMap::new(),
        best: None,
        stop: false,
    };
    let mut chain = vec![0usize];
    if let Some(v) = b.extend(&mut chain) {
        return Ok(v);
    }
    Err(b.best.unwrap_or_else(|| PathError::NoIssuer {
        cert: CertRef { index: 0, subject: leaf.subject().report() },
        issuer: leaf.issuer().report(),
    }))
}

impl Builder<'_> {
    /// Node 0 is the leaf, node j + 1 candidate j.
    fn node(&self, id: usize) -> &Cert {
        match id {
            0 => self.leaf,
            j => &self.candidates[j - 1],
        }
    }

    fn record(&mut self, e: PathError) {
        if self.best.as_ref().is_none_or(|b| e.rank() > b.rank()) {
            self.best = Some(e);
        }
    }

    fn signature(&mut self, child: usize, position: usize, issuer: Issuer) -> Result<(), PathError> {
        if let Some(r) = self.signatures.get(&(child, issuer)) {
            return r.clone();
        }
        if self.signature_checks >= MAX_SIGNATURE_CHECKS {
            self.stop = true;
            return Err(PathError::Budget(Budget::SignatureChecks));
        }
        self.signature_checks += 1;
        let c = self.node(child);
        let key = match issuer {
            Issuer::Anchor(i) => self.anchors[i].cert().spki(),
            Issuer::Candidate(j) => self.candidates[j].spki(),
        };
        // The failure names the certificate: its subject is rendered only when there is one.
        let r = sig::verify(self.settings.alg_policy, key, &c.0.sig_alg, c.tbs(), &c.0.signature).map_err(|e| {
            let cref = CertRef { index: position, subject: c.subject().report() };
            match e {
                SigError::Invalid | SigError::BadKey => PathError::BadSignature { cert: cref },
                SigError::Unsupported => PathError::UnsupportedAlgorithm { cert: cref, algorithm: sig::alg_text(&c.0.sig_alg) },
                SigError::WeakKey(key) => PathError::WeakKey { cert: cref, key },
            }
        });
        self.signatures.insert((child, issuer), r.clone());
        r
    }

    fn extend(&mut self, chain: &mut Vec<usize>) -> Option<ValidPath> {
        if self.stop {
            return None;
        }
        self.steps += 1;
        if self.steps > MAX_BUILD_STEPS {
            self.stop = true;
            self.record(PathError::Budget(Budget::BuildSteps));
            return None;
        }
        let position = chain.len() - 1;
        let cur_id = *chain.last()?;
        let cur = self.node(cur_id).clone();
        let mut any_issuer = false;
        for ai in 0..self.anchors.len() {
            if self.anchors[ai].cert().subject() != cur.issuer() {
                continue;
            }
            any_issuer = true;
            if let Err(e) = self.signature(cur_id, position, Issuer::Anchor(ai)) {
                self.record(e);
                if self.stop {
                    return None;
                }
                continue;
            }
            let path: Vec<Cert> = chain.iter().rev().map(|&id| self.node(id).clone()).collect();
            match validate(&self.anchors[ai], &path, self.settings) {
                Ok(policies) => {
                    let mut certs = path;
                    certs.reverse();
                    return Some(ValidPath { certs, anchor: self.anchors[ai].clone(), policies });
                }
                Err(e) => self.record(e),
            }
        }
        if position >= MAX_PATH_INTERMEDIATES {
            if !any_issuer {
                self.record(PathError::TooLong { max: MAX_PATH_INTERMEDIATES });
            }
            return None;
        }
        // Candidates whose subjectKeyIdentifier matches the authorityKeyIdentifier first.
        let mut order: Vec<usize> = (0..self.candidates.len())
            .filter(|&j| !chain.contains(&(j + 1)) && self.candidates[j].subject() == cur.issuer())
            .collect();
        if let Some(aki) = &cur.0.aki {
            order.sort_by_key(|&j| self.candidates[j].0.ski.as_ref() != Some(aki));
        }
        for j in order {
            any_issuer = true;
            if let Err(e) = self.signature(cur_id, position, Issuer::Candidate(j)) {
                self.record(e);
                if self.stop {
                    return None;
                }
                continue;
            }
            chain.push(j + 1);
            if let Some(v) = self.extend(chain) {
                return Some(v);
            }
            chain.pop();
            if self.stop {
                return None;
            }
        }
        if !any_issuer {
            self.record(PathError::NoIssuer {
                cert: CertRef { index: position, subject: cur.subject().report() },
                issuer: cur.issuer().report(),
            });
        }
        None
    }
}
