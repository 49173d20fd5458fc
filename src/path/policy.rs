//! Certificate policy processing (RFC 5280 §6.1.2 (a), §6.1.3 (d)–(f), §6.1.4 (a)–(b),
//! §6.1.5 (g)) with the valid_policy_graph of RFC 9618: at each depth at most one node per
//! policy OID, with several parents, which gives the results of RFC 5280's tree without its
//! exponential growth.

use const_oid::ObjectIdentifier;
use std::collections::BTreeSet;

/// anyPolicy (2.5.29.32.0), contents octets.
pub(crate) const ANY_POLICY: &[u8] = &[0x55, 0x1d, 0x20, 0x00];

type Oid = Vec<u8>;

#[derive(Debug, Clone)]
struct Node {
    policy: Oid,
    expected: BTreeSet<Oid>,
    /// Indices into the previous depth.
    parents: Vec<usize>,
}

/// The valid_policy_graph; `levels[0]` is the root (anyPolicy), `levels[i]` certificate i.
#[derive(Debug, Clone)]
pub(crate) struct Graph {
    levels: Vec<Vec<Node>>,
}

/// The policies a path is valid for (RFC 5280 §6.1.6 user-constrained-policy-set).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PolicySet {
    /// Any policy (the path asserted anyPolicy and the user asked for any).
    Any,
    /// These policies (possibly none, when no explicit policy was required).
    Oids(Vec<ObjectIdentifier>),
}

impl PolicySet {
    /// Is `oid` acceptable?
    pub fn contains(&self, oid: &ObjectIdentifier) -> bool {
        match self {
            PolicySet::Any => true,
            PolicySet::Oids(v) => v.contains(oid),
        }
    }
}

impl Graph {
    pub(crate) fn new() -> Graph {
        Graph { levels: vec![vec![Node { policy: ANY_POLICY.to_vec(), expected: [ANY_POLICY.to_vec()].into(), parents: Vec::new() }]] }
    }

    fn depth(&self) -> usize {
        self.levels.len() - 1
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.levels.last().is_none_or(Vec::is_empty)
    }

    /// §6.1.3 (d): certificate `policies` at the next depth. `any_allowed`: inhibit_anyPolicy > 0,
    /// or the certificate is a self-issued intermediate.
    pub(crate) fn add_certificate(&mut self, policies: &[Oid], any_allowed: bool) {
        let prev = self.levels.last().cloned().unwrap_or_default();
        let prev_any = prev.iter().position(|n| n.policy == ANY_POLICY);
        let mut level: Vec<Node> = Vec::new();
        let mut cert_any = false;
        // (d)(1)
        for p in policies {
            if p == ANY_POLICY {
                cert_any = true;
                continue;
            }
            let parents: Vec<usize> = prev.iter().enumerate().filter(|(_, n)| n.expected.contains(p)).map(|(i, _)| i).collect();
            let parents = if parents.is_empty() { prev_any.into_iter().collect() } else { parents };
            if !parents.is_empty() {
                level.push(Node { policy: p.clone(), expected: [p.clone()].into(), parents });
            }
        }
        // (d)(2)
        if cert_any && any_allowed {
            let mut wanted: BTreeSet<&Oid> = BTreeSet::new();
            for n in &prev {
                for e in &n.expected {
                    if !level.iter().any(|c| &c.policy == e) {
                        wanted.insert(e);
                    }
                }
            }
            for e in wanted {
                let parents: Vec<usize> = prev.iter().enumerate().filter(|(_, n)| n.expected.contains(e)).map(|(i, _)| i).collect();
                level.push(Node { policy: e.clone(), expected: [e.clone()].into(), parents });
            }
        }
        self.levels.push(level);
        // (d)(3)
        self.prune();
    }

    /// §6.1.4 (b): policy mappings of the certificate at the current depth.
    pub(crate) fn apply_mappings(&mut self, mappings: &[(Oid, Oid)], mapping_allowed: bool) {
        let depth = self.depth();
        let mut issuers: Vec<&Oid> = mappings.iter().map(|(i, _)| i).collect();
        issuers.sort();
        issuers.dedup();
        if mapping_allowed {
            let any_idx = self.levels[depth].iter().position(|n| n.policy == ANY_POLICY);
            let any_parents = any_idx.map(|i| self.levels[depth][i].parents.clone());
            for idp in issuers {
                let subjects: BTreeSet<Oid> = mappings.iter().filter(|(i, _)| i == idp).map(|(_, s)| s.clone()).collect();
                if let Some(n) = self.levels[depth].iter_mut().find(|n| &n.policy == idp) {
                    n.expected = subjects;
                } else if let Some(parents) = &any_parents {
                    self.levels[depth].push(Node { policy: idp.clone(), expected: subjects, parents: parents.clone() });
                }
            }
        } else {
            self.levels[depth].retain(|n| !issuers.contains(&&n.policy));
            self.prune();
        }
    }

    /// Removes nodes without children above the deepest level, bottom up.
    fn prune(&mut self) {
        for d in (0..self.depth()).rev() {
            let (upper, lower) = self.levels.split_at_mut(d + 1);
            let this = &mut upper[d];
            let below = &mut lower[0];
            let mut keep = vec![false; this.len()];
            for n in below.iter() {
                for &p in &n.parents {
                    if let Some(k) = keep.get_mut(p) {
                        *k = true;
                    }
                }
            }
            let mut remap = vec![usize::MAX; this.len()];
            let mut j = 0;
            for (i, k) in keep.iter().enumerate() {
                if *k {
                    remap[i] = j;
                    j += 1;
                }
            }
            let mut i = 0;
            this.retain(|_| {
                let k = keep[i];
                i += 1;
                k
            });
            for n in below.iter_mut() {
                n.parents = n.parents.iter().filter_map(|&p| remap.get(p).copied().filter(|&r| r != usize::MAX)).collect();
            }
        }
    }

    /// §6.1.5 (g): the user-constrained policy set for `user` (None = {anyPolicy}); an empty set
    /// means the graph intersected with the user's set is NULL.
    pub(crate) fn user_constrained(&self, user: Option<&[ObjectIdentifier]>) -> PolicySet {
        let depth = self.depth();
        let leaf = &self.levels[depth];
        let to_oid = |o: &Oid| ObjectIdentifier::from_bytes(o).ok();
        let Some(user) = user else {
            if leaf.iter().any(|n| n.policy == ANY_POLICY) {
                return PolicySet::Any;
            }
            return PolicySet::Oids(leaf.iter().filter_map(|n| to_oid(&n.policy)).collect());
        };
        let user_bytes: Vec<Oid> = user.iter().map(|o| o.as_bytes().to_vec()).collect();
        // A node is acceptable when some path from the root reaches it through anyPolicy nodes
        // and then a first explicit policy (the valid_policy_node_set) that the user accepts.
        let mut ok: Vec<Vec<bool>> = Vec::with_capacity(self.levels.len());
        // Policies of the valid_policy_node_set that the user accepts (RFC 5280 (g)(iii)(3)).
        let mut accepted_set: BTreeSet<Oid> = BTreeSet::new();
        for (d, level) in self.levels.iter().enumerate() {
            let mut row = Vec::with_capacity(level.len());
            for n in level {
                if n.policy == ANY_POLICY {
                    row.push(true);
                    continue;
                }
                let prev = if d == 0 { &[][..] } else { &self.levels[d - 1][..] };
                let via_any = n.parents.iter().any(|&p| prev.get(p).is_some_and(|pn| pn.policy == ANY_POLICY));
                let first_ok = via_any && user_bytes.contains(&n.policy);
                if first_ok {
                    accepted_set.insert(n.policy.clone());
                }
                let via_explicit =
                    n.parents.iter().any(|&p| prev.get(p).is_some_and(|pn| pn.policy != ANY_POLICY) && ok[d - 1].get(p).copied().unwrap_or(false));
                row.push(first_ok || via_explicit);
            }
            ok.push(row);
        }
        let mut out: BTreeSet<Oid> = BTreeSet::new();
        for (i, n) in leaf.iter().enumerate() {
            if n.policy == ANY_POLICY {
                for u in &user_bytes {
                    if !accepted_set.contains(u) {
                        out.insert(u.clone());
                    }
                }
            } else if ok[depth][i] {
                out.insert(n.policy.clone());
            }
        }
        PolicySet::Oids(out.iter().filter_map(to_oid).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn o(s: &str) -> Oid {
        ObjectIdentifier::new_unwrap(s).as_bytes().to_vec()
    }

    #[test]
    fn mapping_and_user_set() {
        let p1 = o("2.16.840.1.101.3.2.1.48.1");
        let p2 = o("2.16.840.1.101.3.2.1.48.2");
        let mut g = Graph::new();
        g.add_certificate(&[p1.clone()], true);
        g.apply_mappings(&[(p1.clone(), p2.clone())], true);
        g.add_certificate(&[p2.clone()], true);
        assert!(!g.is_empty());
        let u1 = [ObjectIdentifier::from_bytes(&p1).unwrap()];
        let u2 = [ObjectIdentifier::from_bytes(&p2).unwrap()];
        assert_eq!(g.user_constrained(Some(&u1)), PolicySet::Oids(u2.to_vec()));
        assert_eq!(g.user_constrained(Some(&u2)), PolicySet::Oids(vec![]));
    }
}
