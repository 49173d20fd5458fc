//! RFC 5280 §6.1.2–§6.1.5 over one ordered path whose signatures the builder has verified.

use super::cert::{Cert, KU_KEY_CERT_SIGN};
use super::name::{matches, well_formed, wildcard_meets, GenName};
use super::policy::{Graph, PolicySet, ANY_POLICY};
use super::{datetime, Anchor, Budget, CertRef, EkuRule, PathError, Settings, MAX_NAME_CONSTRAINT_CHECKS};

/// anyExtendedKeyUsage (2.5.29.37.0), contents octets.
const ANY_EKU: &[u8] = &[0x55, 0x1d, 0x25, 0x00];

type Constraints = (Option<Vec<GenName>>, Vec<GenName>);

/// Validates `path` (the certificate issued by the anchor first, the leaf last) under `s`;
/// returns the user-constrained policy set.
pub(crate) fn validate(anchor: &Anchor, path: &[Cert], s: &Settings) -> Result<PolicySet, PathError> {
    let n = path.len();
    let cref = |k: usize| CertRef { index: n - 1 - k, subject: path[k].subject().report() };
    let a = anchor.cert();
    if s.time < a.not_before() || s.time > a.not_after() {
        return Err(PathError::AnchorValidity {
            anchor: a.subject().report(),
            not_before: datetime(a.not_before()),
            not_after: datetime(a.not_after()),
        });
    }
    let counted = path[..n.saturating_sub(1)].iter().filter(|c| !c.is_self_issued()).count();
    if counted > s.max_intermediates {
        return Err(PathError::TooLong { max: s.max_intermediates });
    }
    // §6.1.2 initialisation.
    let mut explicit_policy = if s.initial_explicit_policy { 0 } else { n + 1 };
    let mut inhibit_any = if s.initial_any_policy_inhibit { 0 } else { n + 1 };
    let mut policy_mapping = if s.initial_policy_mapping_inhibit { 0 } else { n + 1 };
    let mut max_path_length = n;
    let mut graph: Option<Graph> = Some(Graph::new());
    // The anchor's own nameConstraints bound the whole path (RFC 5937 §2 takes them as initial
    // constraints; national roots use them to keep subordinate CAs in their namespace).
    let mut constraints: Vec<&Constraints> = a.0.name_constraints.iter().collect();
    let mut nc_budget = MAX_NAME_CONSTRAINT_CHECKS;
    let leaf = &path[n - 1];
    let mut issuer_name = a.subject();

    for (k, c) in path.iter().enumerate() {
        let last = k == n - 1;
        let inner = &c.0;
        // (a)(2) validity, (a)(4) name chaining.
        if s.time < c.not_before() {
            return Err(PathError::NotYetValid { cert: cref(k), not_before: datetime(c.not_before()) });
        }
        if s.time > c.not_after() {
            return Err(PathError::Expired { cert: cref(k), not_after: datetime(c.not_after()) });
        }
        if c.issuer() != issuer_name {
            return Err(PathError::NoIssuer { cert: cref(k), issuer: c.issuer().report() });
        }
        // (b), (c) name constraints (not on self-issued intermediates).
        if last || !c.is_self_issued() {
            check_names(c, &constraints, &mut nc_budget, || cref(k))?;
        }
        // (d), (e) policies.
        if let Some(g) = graph.as_mut() {
            match &inner.policies {
                Some(p) => {
                    g.add_certificate(p, inhibit_any > 0 || (!last && c.is_self_issued()));
                    if g.is_empty() {
                        graph = None;
                    }
                }
                None => graph = None,
            }
        }
        // (f)
        if explicit_policy == 0 && graph.is_none() {
            return Err(PathError::NoValidPolicy { cert: cref(k) });
        }
        // EKU rule.
        if let Some(eku) = &inner.eku {
            let ok = match &s.eku {
                EkuRule::None => true,
                EkuRule::AnyOf(list) => eku.iter().any(|o| o == ANY_EKU || list.iter().any(|l| l.as_bytes() == o.as_slice())),
                EkuRule::LeafPurposes => match (&leaf.0.eku, last) {
                    (Some(leaf_ekus), false) => eku.iter().any(|o| o == ANY_EKU || leaf_ekus.contains(o)),
                    _ => true,
                },
            };
            if !ok {
                return Err(PathError::Eku { cert: cref(k) });
            }
        }
        if last {
            if let Some(oid) = inner.unknown_critical.first() {
                return Err(PathError::UnknownCriticalExtension { cert: cref(k), oid: *oid });
            }
            break;
        }
        // §6.1.4 preparation for the next certificate.
        // (k) a CA certificate: version 3 with basicConstraints cA (versions 1 and 2 only as anchors).
        if inner.version < 2 || !c.is_ca() {
            return Err(PathError::NotCa { cert: cref(k) });
        }
        // (a), (b) policy mappings.
        if let Some(m) = &inner.mappings {
            if m.iter().any(|(i, s)| i == ANY_POLICY || s == ANY_POLICY) {
                return Err(PathError::AnyPolicyMapping { cert: cref(k) });
            }
            if let Some(g) = graph.as_mut() {
                g.apply_mappings(m, policy_mapping > 0);
                if g.is_empty() {
                    graph = None;
                }
            }
        }
        // (c), (d) working issuer name and key: the next certificate must chain to this one.
        issuer_name = c.subject();
        // (g) name constraints.
        if let Some(nc) = &inner.name_constraints {
            constraints.push(nc);
        }
        // (h) counters (self-issued certificates do not count).
        if !c.is_self_issued() {
            explicit_policy = explicit_policy.saturating_sub(1);
            policy_mapping = policy_mapping.saturating_sub(1);
            inhibit_any = inhibit_any.saturating_sub(1);
        }
        // (i) policyConstraints, (j) inhibitAnyPolicy.
        if let Some((req, inh)) = inner.policy_constraints {
            if let Some(r) = req {
                explicit_policy = explicit_policy.min(r as usize);
            }
            if let Some(m) = inh {
                policy_mapping = policy_mapping.min(m as usize);
            }
        }
        if let Some(x) = inner.inhibit_any {
            inhibit_any = inhibit_any.min(x as usize);
        }
        // (l), (m) path length.
        if !c.is_self_issued() {
            if max_path_length == 0 {
                return Err(PathError::PathLength { cert: cref(k) });
            }
            max_path_length -= 1;
        }
        if let Some((_, Some(pl))) = inner.basic_constraints {
            max_path_length = max_path_length.min(pl as usize);
        }
        // (n) keyCertSign.
        if !c.ku_allows(KU_KEY_CERT_SIGN) {
            return Err(PathError::NoKeyCertSign { cert: cref(k) });
        }
        // (o) unknown critical extensions.
        if let Some(oid) = inner.unknown_critical.first() {
            return Err(PathError::UnknownCriticalExtension { cert: cref(k), oid: *oid });
        }
    }
    // §6.1.5 wrap-up.
    explicit_policy = explicit_policy.saturating_sub(1);
    if let Some((Some(0), _)) = leaf.0.policy_constraints {
        explicit_policy = 0;
    }
    let set = match &graph {
        None => PolicySet::Oids(Vec::new()),
        Some(g) => g.user_constrained(s.initial_policy_set.as_deref()),
    };
    let null = matches!(&set, PolicySet::Oids(v) if v.is_empty());
    if explicit_policy == 0 && null {
        return Err(PathError::NoValidPolicy { cert: cref(n - 1) });
    }
    Ok(set)
}

/// The names of `c` that name constraints apply to: its subject (when not empty), its
/// subjectAltName entries, and — without a subjectAltName — its emailAddress attributes as
/// rfc822Names (RFC 5280 §4.2.1.10).
fn names_of(c: &Cert) -> Vec<GenName> {
    let mut v = Vec::new();
    if !c.subject().is_empty() {
        v.push(GenName::Directory(c.subject().clone()));
    }
    match &c.0.san {
        Some(san) => v.extend(san.iter().cloned()),
        None => v.extend(c.subject().email_addresses().into_iter().map(GenName::Rfc822)),
    }
    v
}

fn check_names(c: &Cert, constraints: &[&Constraints], budget: &mut usize, cref: impl Fn() -> CertRef) -> Result<(), PathError> {
    if constraints.is_empty() {
        return Ok(());
    }
    let names = names_of(c);
    for (permitted, excluded) in constraints {
        for name in &names {
            let kind = name.kind();
            let constrained = excluded.iter().chain(permitted.iter().flatten()).any(|b| b.kind() == kind);
            if constrained && !well_formed(name) {
                return Err(PathError::NameConstraint { cert: cref(), kind, name: name.text() });
            }
            for base in excluded.iter().filter(|b| b.kind() == kind) {
                *budget = budget.checked_sub(1).ok_or(PathError::Budget(Budget::NameConstraintChecks))?;
                if wildcard_meets(name, base) {
                    return Err(PathError::NameConstraint { cert: cref(), kind, name: name.text() });
                }
                match matches(name, base) {
                    Some(true) => return Err(PathError::NameConstraint { cert: cref(), kind, name: name.text() }),
                    Some(false) => {}
                    None => return Err(PathError::NameConstraintUnsupported { cert: cref(), kind }),
                }
            }
            let Some(permitted) = permitted else { continue };
            let mut of_kind = permitted.iter().filter(|b| b.kind() == kind).peekable();
            if of_kind.peek().is_none() {
                continue;
            }
            let mut ok = false;
            for base in of_kind {
                *budget = budget.checked_sub(1).ok_or(PathError::Budget(Budget::NameConstraintChecks))?;
                match matches(name, base) {
                    Some(true) => {
                        ok = true;
                        break;
                    }
                    Some(false) => {}
                    None => return Err(PathError::NameConstraintUnsupported { cert: cref(), kind }),
                }
            }
            if !ok {
                return Err(PathError::NameConstraint { cert: cref(), kind, name: name.text() });
            }
        }
    }
    Ok(())
}
