//! What changed after each signature of a PDF, judged the way attackers cannot fool: a
//! difference analysis per revision by the roles objects play in the **signed** revision, with
//! the signature's DocMDP and FieldMDP permissions.
//!
//! The arrangement follows pyHanko's `pyhanko/sign/diff_analysis/` (rules over the signed
//! revision's object roles, a whitelist of allowed changes, every other change flagged) and the
//! attacks of the PDF-Insecurity research (Mladenov et al. 2019: incremental saving, signature
//! wrapping, universal forgery; Mainka et al. 2021: shadow attacks hide / replace /
//! hide-and-replace, evil annotation and sneaky signature attacks on certified documents):
//!
//! 1. [`revisions`]: the file's revisions, each with the objects its own cross-reference
//!    sections write; every version of every object readable on demand ([`syntax`]).
//! 2. [`roles`]: for a signed revision, who refers to what, and what each object is (catalog,
//!    page tree, page n, its content, its annotations by subtype, form fields, widgets,
//!    appearance streams owned by one field, signature fields and their values, /DSS, /Metadata,
//!    /Info).
//! 3. [`step`]: each later revision judged against the one before it by rules over those roles;
//!    the allowed updates carry the roles forward (a new signature's widget gets its role from
//!    the rule that allowed it, never an old object a new role). Steps are computed once per
//!    revision and shared by every signature.
//! 4. Per signature: the steps after its revision, and its permissions — a certification
//!    signature's /P (1: no change but document timestamps and validation data; 2 and 3: also
//!    form filling and signing, but no new visible signature field, after pyHanko) and its field
//!    locks (FieldMDP /TransformParams, or the field's /Lock).
//!
//! Not done: annotations are never accepted, not even under P = 3 (as in pyHanko's default
//! policy; the evil annotation attack is exactly such an annotation); page templates are not
//! instantiated; a field's widgets that are not its own dictionary may be redrawn when the field
//! is filled (pyHanko does not look at them).
//!
//! Work is linear in the file (see [`work_budget`]): each object version is read once, each
//! revision's rules look at what that revision wrote, and the roles are computed in full once,
//! again only at a signed revision that follows a change no rule allows.

mod hash;
mod revisions;
mod roles;
mod step;
mod syntax;
mod value;

pub(crate) use revisions::markers;

use crate::findings::{FieldLock, MdpLevel, PdfAnalysisProblem, PdfChange, PdfPermissions, PdfRevision, PermissionViolation};
use lopdf::Object;
use revisions::{ObjectError, Store, StructureError};
use roles::{Role, State};
use std::collections::HashSet;
use step::StepResult;
use value::{dict_of, entry, name_entry, text};

/// What changed after a signature's revision.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Modifications {
    /// Nothing: the signature covers the whole file.
    None,
    /// Only later signatures (fields, widgets, appearances, signature dictionaries, validation
    /// data) and form filling.
    SignaturesAndFormFilling,
    /// Anything else: the document a reader sees may differ from what was signed.
    Other {
        /// What changed.
        changes: Vec<PdfChange>,
    },
    /// The later file could not be compared.
    Unknown(PdfAnalysisProblem),
}

impl Modifications {
    /// A stable machine-readable name: `none`, `signatures_and_form_filling`, `other`, `unknown`.
    pub fn code(&self) -> &'static str {
        match self {
            Modifications::None => "none",
            Modifications::SignaturesAndFormFilling => "signatures_and_form_filling",
            Modifications::Other { .. } => "other",
            Modifications::Unknown(_) => "unknown",
        }
    }

    /// True when the document a reader sees is the one signed (no change, or only later
    /// signatures and form filling).
    pub fn is_acceptable(&self) -> bool {
        matches!(self, Modifications::None | Modifications::SignaturesAndFormFilling)
    }
}

/// At most this many change descriptions are kept per signature (the first ones tell the story).
const MAX_REPORTED_CHANGES: usize = 20;
/// At most this many permission violations are kept per signature.
const MAX_VIOLATIONS: usize = 20;

/// The work the analysis may do for a file of `len` bytes, in units of one object read or one
/// reference followed: 8 units per byte, plus a constant for small files. Reading every object
/// version costs about one unit per byte at most (an object or a reference takes a few bytes);
/// the reference walk of the first signed revision and each computation of roles cost about as
/// much again; so the budget allows the roles to be computed afresh for several signed
/// revisions that follow forbidden changes (each such revision asks for it), and then stops: a
/// file that needs more is reported as too complex to analyse (never as unchanged).
pub(crate) fn work_budget(len: usize) -> u64 {
    8u64.saturating_mul(len as u64).saturating_add(1_000_000)
}

/// A signature to analyse.
#[derive(Debug, Clone)]
pub(crate) struct Signed {
    /// Offset where its signed bytes end.
    pub signed_end: usize,
    /// The object number of its signature dictionary (the field's /V), if indirect.
    pub value: Option<u32>,
    /// The object number of its field, if indirect.
    pub field: Option<u32>,
}

/// What the analysis says about one signature.
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub modifications: Modifications,
    pub later: Vec<PdfRevision>,
    pub permissions: PdfPermissions,
    pub violations: Vec<PermissionViolation>,
}

impl Outcome {
    fn unknown(p: PdfAnalysisProblem) -> Outcome {
        Outcome { modifications: Modifications::Unknown(p), later: Vec::new(), permissions: PdfPermissions::default(), violations: Vec::new() }
    }
}

fn structure_problem(e: StructureError) -> PdfAnalysisProblem {
    match e {
        StructureError::NoRevision => PdfAnalysisProblem::NotARevision,
        StructureError::Xref { revision } | StructureError::Chain { revision } => PdfAnalysisProblem::BrokenRevisionChain { revision },
        StructureError::TooComplex => PdfAnalysisProblem::TooComplex,
    }
}

fn object_problem(e: ObjectError) -> PdfAnalysisProblem {
    match e {
        ObjectError::Budget => PdfAnalysisProblem::TooComplex,
        ObjectError::Unreadable => PdfAnalysisProblem::SignedRevisionUnreadable { message: "an object of the signed revision cannot be read".into() },
    }
}

/// Analyses every signature of `pdf`.
pub(crate) fn analyse(pdf: &[u8], sigs: &[Signed]) -> Vec<Outcome> {
    analyse_within(pdf, sigs, work_budget(pdf.len()))
}

/// [`analyse`] with a given work budget.
fn analyse_within(pdf: &[u8], sigs: &[Signed], budget: u64) -> Vec<Outcome> {
    let store = match Store::new(pdf, budget) {
        Ok(s) => s,
        Err(e) => return sigs.iter().map(|_| Outcome::unknown(structure_problem(e.clone()))).collect(),
    };
    let count = store.revisions.len();
    let bases: Vec<Option<usize>> =
        sigs.iter().map(|s| store.revisions.iter().position(|r| r.end == s.signed_end || r.end_eol == s.signed_end)).collect();
    let base_set: HashSet<usize> = bases.iter().flatten().copied().collect();
    let mut steps: Vec<Option<StepResult>> = (0..count).map(|_| None).collect();
    let mut in_revision: Vec<Option<bool>> = sigs.iter().map(|_| None).collect();
    let mut failure: Option<(usize, PdfAnalysisProblem)> = None;
    if let Some(first) = base_set.iter().min().copied() {
        let mut state: Option<State> = None;
        for t in first + 1..count {
            let p = t - 1;
            if base_set.contains(&p) {
                let r = match state.as_mut() {
                    None => roles::compute(&store, p).map(|s| state = Some(s)),
                    Some(s) if s.tainted => roles::recompute_roles(&store, s, p),
                    Some(_) => Ok(()),
                };
                if let Err(e) = r {
                    failure = Some((p, object_problem(e)));
                    break;
                }
            }
            let Some(st) = state.as_mut() else { break };
            for (i, b) in bases.iter().enumerate() {
                if *b == Some(p) {
                    in_revision[i] = Some(sigs[i].value.is_some_and(|v| st.roles_of(v).iter().any(|r| matches!(r, Role::SigValue(_)))));
                }
            }
            match step::judge(&store, st, t) {
                Ok(r) => steps[t] = Some(r),
                Err(e) => {
                    failure = Some((t, object_problem(e)));
                    break;
                }
            }
        }
    }
    sigs.iter()
        .zip(&bases)
        .zip(&in_revision)
        .map(|((sig, base), in_rev)| {
            let Some(base) = *base else { return Outcome::unknown(PdfAnalysisProblem::NotARevision) };
            if let Some((from, p)) = &failure {
                if *from >= base {
                    // The analysis stopped before the end; a change no rule allows found before
                    // that point is still this signature's verdict.
                    let seen = steps.get(base + 1..*from).unwrap_or_default();
                    if seen.iter().flatten().any(|s| !s.changes.is_empty()) {
                        let permissions = permissions(&store, base, sig);
                        return outcome(base, &steps[..*from], permissions, &vri_keys(&store, base));
                    }
                    return Outcome::unknown(p.clone());
                }
            }
            if *in_rev == Some(false) {
                return Outcome::unknown(PdfAnalysisProblem::SignatureNotInRevision);
            }
            let permissions = permissions(&store, base, sig);
            outcome(base, &steps, permissions, &vri_keys(&store, base))
        })
        .collect()
}

fn outcome(base: usize, steps: &[Option<StepResult>], permissions: PdfPermissions, vri: &HashSet<Vec<u8>>) -> Outcome {
    let mut later = Vec::new();
    let mut violations = Vec::new();
    let mut violate = |v: PermissionViolation| {
        if violations.len() < MAX_VIOLATIONS {
            violations.push(v);
        }
    };
    for (t, s) in steps.iter().enumerate().skip(base + 1) {
        let Some(s) = s else { return Outcome::unknown(PdfAnalysisProblem::TooComplex) };
        let revision = t + 1;
        if let Some(level) = permissions.certification {
            for u in &s.updates {
                if level == MdpLevel::NoChanges && u.needs_form_filling() {
                    violate(PermissionViolation::DocMdp { level, revision, update: u.clone() });
                }
            }
            for f in &s.visible_new_signatures {
                violate(PermissionViolation::VisibleSignatureAfterCertification { revision, field: f.clone() });
            }
        }
        if let Some(lock) = &permissions.lock {
            for f in s.locked_changes.iter().filter(|f| lock.locks(f)) {
                violate(PermissionViolation::FieldLocked { revision, field: f.clone() });
            }
        }
        let mut changes = s.changes.clone();
        changes.extend(s.vri_dropped.iter().filter(|(k, _)| vri.contains(k)).map(|(_, c)| c.clone()).take(1));
        later.push(PdfRevision { revision, updates: s.updates.clone(), changes });
    }
    let changes: Vec<PdfChange> = later.iter().flat_map(|r| r.changes.iter().cloned()).take(MAX_REPORTED_CHANGES).collect();
    let modifications = if !changes.is_empty() {
        Modifications::Other { changes }
    } else if later.iter().any(|r| !r.updates.is_empty()) {
        Modifications::SignaturesAndFormFilling
    } else {
        Modifications::None
    };
    Outcome { modifications, later, permissions, violations }
}

/// The /VRI keys of the /DSS in revision index `rev`.
fn vri_keys(store: &Store<'_>, rev: usize) -> HashSet<Vec<u8>> {
    let get = || -> Option<HashSet<Vec<u8>>> {
        let root = value::ref_of(&store.revisions.get(rev)?.trailer, b"Root")?;
        let catalog = store.get_number(root, rev).ok()??;
        let dss = entry(store, dict_of(&catalog)?, b"DSS", rev).ok()?;
        let vri = entry(store, dss.dict()?, b"VRI", rev).ok()?;
        Some(vri.dict()?.iter().map(|(k, _)| k.clone()).collect())
    };
    get().unwrap_or_default()
}

/// A signature's permissions, read in its signed revision: /Reference's DocMDP and FieldMDP
/// transforms in its dictionary, else its field's /Lock (ISO 32000-1 §12.8.2, ISO 32000-2
/// §12.7.5.5: /Lock /P).
fn permissions(store: &Store<'_>, base: usize, sig: &Signed) -> PdfPermissions {
    let mut out = PdfPermissions::default();
    let get = |n: Option<u32>| n.and_then(|n| store.get_number(n, base).ok().flatten());
    if let Some(v) = get(sig.value) {
        if let Some(d) = dict_of(&v) {
            if let Ok(refs) = entry(store, d, b"Reference", base) {
                for r in refs.array().cloned().unwrap_or_default().iter().take(16) {
                    let Ok(r) = value::resolve(store, r, base) else { continue };
                    let Some(rd) = r.dict() else { continue };
                    let method = name_entry(store, rd, b"TransformMethod", base);
                    let Ok(tp) = entry(store, rd, b"TransformParams", base) else { continue };
                    let tp = tp.dict().cloned().unwrap_or_default();
                    match method.as_deref() {
                        Some(b"DocMDP") => {
                            // ISO 32000-1 Table 254: /P defaults to 2.
                            let p = match entry(store, &tp, b"P", base).ok().map(|v| v.get().clone()) {
                                Some(Object::Integer(p)) => p,
                                _ => 2,
                            };
                            out.certification = out.certification.or(MdpLevel::from_p(p).or(Some(MdpLevel::NoChanges)));
                        }
                        Some(b"FieldMDP") => out.lock = out.lock.take().or_else(|| field_lock(store, &tp, base)),
                        _ => {}
                    }
                }
            }
        }
    }
    if let Some(f) = get(sig.field) {
        if let Some(fd) = dict_of(&f) {
            if let Ok(lock) = entry(store, fd, b"Lock", base) {
                if let Some(ld) = lock.dict() {
                    if out.lock.is_none() {
                        out.lock = field_lock(store, ld, base);
                    }
                    if out.certification.is_none() {
                        if let Ok(p) = entry(store, ld, b"P", base) {
                            if let Object::Integer(p) = p.get() {
                                out.certification = MdpLevel::from_p(*p);
                            }
                        }
                    }
                }
            }
        }
    }
    out
}

/// A FieldMDP /TransformParams or a /Lock dictionary: /Action and /Fields.
fn field_lock(store: &Store<'_>, d: &lopdf::Dictionary, rev: usize) -> Option<FieldLock> {
    let names = || -> Vec<String> {
        entry(store, d, b"Fields", rev)
            .ok()
            .and_then(|f| f.array().cloned())
            .unwrap_or_default()
            .iter()
            .take(10_000)
            .filter_map(|o| value::resolve(store, o, rev).ok().and_then(|v| text(v.get())))
            .collect()
    };
    match name_entry(store, d, b"Action", rev).as_deref() {
        Some(b"All") => Some(FieldLock::All),
        Some(b"Include") => Some(FieldLock::Include(names())),
        Some(b"Exclude") => Some(FieldLock::Exclude(names())),
        // An unknown action locks everything (fail closed).
        Some(_) => Some(FieldLock::All),
        None => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of raw revisions: each is (object number, body) pairs written with its own
    /// cross-reference table chained by /Prev. Returns the file and each revision's end.
    fn file(revisions: &[&[(u32, &str)]]) -> (Vec<u8>, Vec<usize>) {
        let mut out = b"%PDF-1.7\n".to_vec();
        let mut ends = Vec::new();
        let mut prev: Option<usize> = None;
        for objects in revisions {
            let mut offsets = Vec::new();
            for (n, body) in *objects {
                offsets.push((*n, out.len()));
                out.extend_from_slice(format!("{n} 0 obj {body} endobj\n").as_bytes());
            }
            let x = out.len();
            let mut table = String::from("xref\n0 1\n0000000000 65535 f \n");
            for (n, off) in &offsets {
                table += &format!("{n} 1\n{off:010} 00000 n \n");
            }
            let prev_key = prev.map(|p| format!("/Prev {p}")).unwrap_or_default();
            table += &format!("trailer <</Size 10/Root 1 0 R{prev_key}>>\nstartxref\n{x}\n%%EOF\n");
            out.extend_from_slice(table.as_bytes());
            ends.push(out.len());
            prev = Some(x);
        }
        (out, ends)
    }

    /// A signed one-page document (signature field 4, its value 5) and a later revision that
    /// rewrites the page tree: a change no rule allows.
    fn changed_after_signing() -> (Vec<u8>, Signed) {
        let signed: &[(u32, &str)] = &[
            (1, "<</Type/Catalog/Pages 2 0 R/AcroForm <</Fields[4 0 R]/SigFlags 3>>>>"),
            (2, "<</Type/Pages/Kids[3 0 R]/Count 1>>"),
            (3, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]/Annots[4 0 R]>>"),
            (4, "<</FT/Sig/T(S1)/V 5 0 R/Type/Annot/Subtype/Widget/Rect[0 0 0 0]/F 132/P 3 0 R>>"),
            (5, "<</Type/Sig/Filter/Adobe.PPKLite/SubFilter/ETSI.CAdES.detached/ByteRange[0 0 0 0]/Contents<00>>>"),
        ];
        let later: &[(u32, &str)] = &[(2, "<</Type/Pages/Kids[3 0 R 6 0 R]/Count 2>>"), (6, "<</Type/Page/Parent 2 0 R/MediaBox[0 0 100 100]>>")];
        let (pdf, ends) = file(&[signed, later]);
        (pdf, Signed { signed_end: ends[0], value: Some(5), field: Some(4) })
    }

    #[test]
    fn a_change_after_signing_is_named_and_no_budget_makes_it_pass() {
        let (pdf, sig) = changed_after_signing();
        let full = analyse(&pdf, std::slice::from_ref(&sig));
        let Modifications::Other { changes } = &full[0].modifications else { panic!("{:?}", full[0].modifications) };
        assert!(!changes.is_empty());
        // The budget caps the work, not the wall time: with less work allowed than the file
        // needs, the verdict is "too complex" — never acceptable — and from some budget on it is
        // the full verdict. Every budget from 0 up is tried.
        let mut first_full = None;
        for budget in 0..=work_budget(pdf.len()) {
            let m = &analyse_within(&pdf, std::slice::from_ref(&sig), budget)[0].modifications;
            assert!(!m.is_acceptable(), "budget {budget}: {m:?}");
            match m {
                Modifications::Unknown(PdfAnalysisProblem::TooComplex) => assert!(first_full.is_none(), "budget {budget}: too complex after a full verdict"),
                Modifications::Other { .. } => {
                    first_full.get_or_insert(budget);
                }
                other => panic!("budget {budget}: {other:?}"),
            }
            if first_full.is_some_and(|f| budget > f + 64) {
                break;
            }
        }
        let needed = first_full.expect("the full budget gives the full verdict");
        assert!(needed > 0 && needed < work_budget(pdf.len()), "{needed}");
    }

    #[test]
    fn the_budget_is_linear_in_the_size() {
        assert_eq!(work_budget(0), 1_000_000);
        assert_eq!(work_budget(20_000_000), 161_000_000);
        assert_eq!(work_budget(usize::MAX), u64::MAX);
    }
}
