//! Judging one revision against the one before it: every object the revision writes must be
//! explained by a rule over the roles of the previous revision (which come from the signed
//! revision, see `roles`), or it is a change that no rule allows.
//!
//! The rules (after pyHanko's `DEFAULT_DIFF_POLICY`, `pyhanko/sign/diff_analysis/`):
//! - the trailer keeps /Root and every key but the cross-reference bookkeeping (/Size, /Prev,
//!   /ID, /XRefStm, the stream keys) and /Info;
//! - the catalog may change only in /AcroForm, /DSS, /Extensions, /Metadata, /MarkInfo, /Version;
//! - /Info may be rewritten; /Metadata may be rewritten in place or replaced by a new stream
//!   that is an XMP packet; /DSS and /VRI may grow with new streams (old /VRI entries stay);
//! - the AcroForm may change only in /Fields, /DR, /DA, /Q, /NeedAppearances, /SigFlags;
//!   /Fields may only gain new **signature** fields, made of new objects only; a new field's
//!   value must be a new signature dictionary, used by that field alone;
//! - a page may change only in /Annots, which may only gain the widgets of those new fields;
//! - a field may change in /V, /AP, /AS, /F, /DA, /Q, /Ff, /Type (value updates): a signature
//!   field only when it goes from unsigned to signed; a signed one never (but /Ff); an
//!   appearance stream may be rewritten in place only for a field that is not a signature
//!   field, not stateful (/AS), when nothing else refers to it;
//! - new objects nothing refers to are harmless; every other new or changed object, every
//!   freed object, and every object that fills a reference dangling in the previous revision
//!   is a change no rule allows.
//!
//! Work: proportional to what the revision writes (each written object is compared once, sets
//! are hashed), plus the /Fields and /Annots arrays it rewrites.

use super::revisions::{Entry, ObjectError, Store};
use super::roles::{mark_appearance_of, Field, Role, State, TRAILER};
use super::value::{dict_of, diff_keys, entry, has_area, name_entry, ref_of, refs_of, resolve, same, text, NumMap, NumSet};
use crate::findings::{ObjectChange, ObjectRole, PdfChange, PdfObject, PdfUpdate};
use lopdf::{Dictionary, Object};
use std::collections::HashSet;

/// At most this many changes are described per revision (the first ones tell the story; the
/// bound keeps a revision that rewrites a million objects from making a million descriptions).
const MAX_STEP_CHANGES: usize = 64;

/// Catalog keys a later revision may change (their content is judged by other rules).
const CATALOG_MAY_CHANGE: [&[u8]; 6] = [b"AcroForm", b"DSS", b"Extensions", b"Metadata", b"MarkInfo", b"Version"];
/// AcroForm keys a later revision may change.
const ACROFORM_MAY_CHANGE: [&[u8]; 6] = [b"Fields", b"DR", b"DA", b"Q", b"NeedAppearances", b"SigFlags"];
/// Field keys a value update may change (pyHanko's VALUE_UPDATE_KEYS).
const VALUE_UPDATE_KEYS: [&[u8]; 8] = [b"AP", b"AS", b"V", b"F", b"DA", b"Q", b"Ff", b"Type"];
/// Field keys that may change even on a locked or signed field.
const ALWAYS_MODIFIABLE: [&[u8]; 2] = [b"Ff", b"Type"];
/// Trailer keys that are cross-reference bookkeeping, or judged by their own rule (/Info).
const TRAILER_MAY_CHANGE: [&[u8]; 11] =
    [b"Size", b"Prev", b"ID", b"XRefStm", b"Info", b"Type", b"W", b"Index", b"Length", b"Filter", b"DecodeParms"];

/// What one revision did.
#[derive(Debug, Clone, Default)]
pub(crate) struct StepResult {
    /// Updates the rules allow.
    pub updates: Vec<PdfUpdate>,
    /// Changes no rule allows.
    pub changes: Vec<PdfChange>,
    /// Fields changed in a way a field lock forbids.
    pub locked_changes: Vec<String>,
    /// New visible signature fields (forbidden after a certification signature).
    pub visible_new_signatures: Vec<String>,
    /// /VRI keys removed or changed, with the change to report for a signature whose signed
    /// revision had that key.
    pub vri_dropped: Vec<(Vec<u8>, PdfChange)>,
}

struct Cx<'s, 'a> {
    store: &'s Store<'a>,
    st: &'s mut State,
    p: usize,
    t: usize,
    updated: NumSet<u32>,
    added: NumSet<u32>,
    claimed: NumSet<u32>,
    handled: NumSet<u32>,
    new_widgets: NumMap<u32, String>,
    values_now: NumMap<u32, String>,
    res: StepResult,
}

type R<T> = Result<T, ObjectError>;

/// Judges revision index `t` against `st`, the state of revision index `t - 1`; on return
/// `st` describes revision `t`.
pub(crate) fn judge(store: &Store<'_>, st: &mut State, t: usize) -> R<StepResult> {
    let p = st.rev;
    let mut cx = Cx {
        store,
        st,
        p,
        t,
        updated: NumSet::default(),
        added: NumSet::default(),
        claimed: NumSet::default(),
        handled: NumSet::default(),
        new_widgets: NumMap::default(),
        values_now: NumMap::default(),
        res: StepResult::default(),
    };
    let mut freed = Vec::new();
    let entries = &store.revisions.get(t).ok_or(ObjectError::Unreadable)?.entries;
    for &(n, e) in entries {
        store.charge(1)?;
        let old = store.exists(n, p);
        if e == Entry::Free {
            if old {
                let l = cx.st.label(store, n, p);
                cx.reject(PdfChange::ObjectDeleted(l));
                freed.push(n);
            }
            continue;
        }
        let new = match store.get_number(n, t) {
            Err(ObjectError::Unreadable) => {
                let mut l = cx.st.label(store, n, p);
                if !old {
                    l.role = ObjectRole::Other;
                }
                cx.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Unreadable });
                cx.handled.insert(n);
                continue;
            }
            r => r?,
        };
        if !old {
            cx.added.insert(n);
            continue;
        }
        let before = match store.get_number(n, p) {
            Err(ObjectError::Unreadable) => None,
            r => r?,
        };
        let same_version = match (&before, &new) {
            (Some(a), Some(b)) => store.generation(n, p) == store.generation(n, t) && same(a, b),
            _ => false,
        };
        if !same_version {
            cx.updated.insert(n);
        }
    }
    cx.trailer()?;
    cx.dangling()?;
    let (old_catalog, new_catalog) = cx.catalogs()?;
    if let (Some(oc), Some(nc)) = (&old_catalog, &new_catalog) {
        cx.catalog(oc, nc)?;
        cx.metadata(oc, nc)?;
        cx.dss(oc, nc)?;
        cx.form(oc, nc)?;
    }
    cx.info()?;
    cx.pages()?;
    cx.appearances_in_place()?;
    cx.orphans()?;
    cx.leftovers()?;
    cx.update_state(&freed)?;
    Ok(cx.res)
}

impl Cx<'_, '_> {
    fn reject(&mut self, c: PdfChange) {
        if self.res.changes.len() < MAX_STEP_CHANGES {
            self.res.changes.push(c);
        }
    }

    fn changed(&self, n: u32) -> bool {
        self.updated.contains(&n) || self.added.contains(&n)
    }

    /// Claims `n` as explained, when this revision wrote it.
    fn claim(&mut self, n: u32) {
        if self.changed(n) {
            self.claimed.insert(n);
        }
    }

    fn label_old(&self, n: u32) -> PdfObject {
        self.st.label(self.store, n, self.p)
    }

    /// A label for an object this revision added.
    fn label_new(&self, n: u32, role: ObjectRole) -> PdfObject {
        let obj = self.store.get_number(n, self.t).ok().flatten();
        let kind = obj.as_deref().and_then(dict_of).and_then(|d| name_entry(self.store, d, b"Type", self.t)).map(|t| String::from_utf8_lossy(&t).into_owned());
        PdfObject { number: n, generation: self.store.generation(n, self.t), kind, role }
    }

    /// Claims every new object reachable from `o` through new objects, giving it `role`.
    fn claim_new_deps(&mut self, o: &Object, role: Option<Role>) -> R<()> {
        let mut stack = Vec::new();
        refs_of(o, &mut stack);
        while let Some(n) = stack.pop() {
            if !self.added.contains(&n) || self.claimed.contains(&n) || self.handled.contains(&n) {
                continue;
            }
            self.store.charge(1)?;
            self.claimed.insert(n);
            if let Some(r) = role {
                self.st.add_role(n, r);
            }
            if let Some(obj) = self.store.get_number(n, self.t)? {
                refs_of(&obj, &mut stack);
            }
        }
        Ok(())
    }

    /// Marks `n` and the new objects below it as reported (one description per overlay).
    fn swallow(&mut self, n: u32) -> R<()> {
        let mut stack = vec![n];
        while let Some(m) = stack.pop() {
            if !self.handled.insert(m) || !self.added.contains(&m) && m != n {
                continue;
            }
            self.store.charge(1)?;
            if let Some(obj) = self.store.get_number(m, self.t)? {
                refs_of(&obj, &mut stack);
            }
        }
        Ok(())
    }

    fn trailer(&mut self) -> R<()> {
        let old = &self.store.revisions[self.p].trailer;
        let new = &self.store.revisions[self.t].trailer;
        let keys = diff_keys(old, new, &TRAILER_MAY_CHANGE);
        if !keys.is_empty() {
            self.reject(PdfChange::TrailerChanged { keys });
        }
        Ok(())
    }

    /// A new object whose number the previous revision already referred to fills a dangling
    /// reference: what refers to it (page content, resources, …) now shows something else.
    fn dangling(&mut self) -> R<()> {
        let mut filled: Vec<u32> = self.added.iter().copied().filter(|n| self.st.incoming(*n).count > 0).collect();
        filled.sort_unstable();
        for n in filled {
            let role = match self.st.incoming(n).single() {
                Some(TRAILER) | None => ObjectRole::Other,
                Some(from) => self.st.public_role(self.store, from, self.p),
            };
            let l = self.label_new(n, role);
            self.reject(PdfChange::DanglingReferenceFilled(l));
            self.swallow(n)?;
        }
        Ok(())
    }

    fn catalogs(&self) -> R<(Option<Dictionary>, Option<Dictionary>)> {
        let get = |rev: usize| -> R<Option<Dictionary>> {
            let Some(r) = ref_of(&self.store.revisions[rev].trailer, b"Root") else { return Ok(None) };
            Ok(self.store.get_number(r, rev)?.as_deref().and_then(dict_of).cloned())
        };
        let old = match get(self.p) {
            Err(ObjectError::Unreadable) => None,
            r => r?,
        };
        let new = match get(self.t) {
            Err(ObjectError::Unreadable) => None,
            r => r?,
        };
        Ok((old, new))
    }

    fn catalog(&mut self, old: &Dictionary, new: &Dictionary) -> R<()> {
        let Some(root) = ref_of(&self.store.revisions[self.t].trailer, b"Root") else { return Ok(()) };
        if !self.updated.contains(&root) {
            return Ok(());
        }
        let keys = diff_keys(old, new, &CATALOG_MAY_CHANGE);
        if !keys.is_empty() {
            let l = self.label_old(root);
            self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Keys(keys) });
            self.handled.insert(root);
            return Ok(());
        }
        self.claim(root);
        for key in [&b"Extensions"[..], b"MarkInfo"] {
            if let Some(r) = ref_of(new, key) {
                if self.added.contains(&r) || (self.updated.contains(&r) && ref_of(old, key) == Some(r) && self.st.incoming(r).count <= 1) {
                    self.claim(r);
                    if let Some(o) = self.store.get_number(r, self.t)? {
                        self.claim_new_deps(&o, None)?;
                    }
                }
            }
        }
        Ok(())
    }

    fn metadata(&mut self, old: &Dictionary, new: &Dictionary) -> R<()> {
        let Some(m) = ref_of(new, b"Metadata") else { return Ok(()) };
        if !self.changed(m) || self.handled.contains(&m) {
            return Ok(());
        }
        let in_place = self.updated.contains(&m)
            && ref_of(old, b"Metadata") == Some(m)
            && self.st.incoming(m).count <= 1
            && self.st.roles_of(m).iter().all(|r| *r == Role::Metadata);
        if !(in_place || self.added.contains(&m)) {
            return Ok(()); // a leftover: reported with its role
        }
        let obj = self.store.get_number(m, self.t)?;
        let xmp = match obj.as_deref() {
            Some(Object::Stream(s)) => self.store.decode(s).map(|d| is_xmp(&d)).unwrap_or(false),
            _ => false,
        };
        if !xmp {
            let l = if in_place { self.label_old(m) } else { self.label_new(m, ObjectRole::Metadata) };
            self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::NotXmp });
            self.handled.insert(m);
            return Ok(());
        }
        self.claim(m);
        self.st.add_role(m, Role::Metadata);
        self.push_update(PdfUpdate::Metadata);
        Ok(())
    }

    fn info(&mut self) -> R<()> {
        let old = ref_of(&self.store.revisions[self.p].trailer, b"Info");
        let Some(i) = ref_of(&self.store.revisions[self.t].trailer, b"Info") else { return Ok(()) };
        if !self.changed(i) || self.handled.contains(&i) {
            return Ok(());
        }
        let in_place = self.updated.contains(&i) && old == Some(i) && self.st.roles_of(i).iter().all(|r| *r == Role::Info) && self.st.incoming(i).count <= 1;
        if !(in_place || self.added.contains(&i)) {
            return Ok(());
        }
        let obj = self.store.get_number(i, self.t)?;
        if obj.as_deref().and_then(dict_of).is_none() || matches!(obj.as_deref(), Some(Object::Stream(_))) {
            return Ok(());
        }
        self.claim(i);
        self.st.add_role(i, Role::Info);
        if let Some(o) = obj {
            self.claim_new_deps(&o, Some(Role::Info))?;
        }
        self.push_update(PdfUpdate::Info);
        Ok(())
    }

    /// The document security store: /Certs, /CRLs, /OCSPs arrays of streams and /VRI entries
    /// may be added; old /VRI entries stay as they were; existing streams are never rewritten.
    fn dss(&mut self, old: &Dictionary, new: &Dictionary) -> R<()> {
        let dss_ref = ref_of(new, b"DSS");
        let touched = dss_ref.is_some_and(|d| self.changed(d))
            || !new.get(b"DSS").ok().zip(old.get(b"DSS").ok()).is_some_and(|(a, b)| same(a, b))
            || self.updated.iter().any(|n| self.st.roles_of(*n).contains(&Role::Dss));
        if !touched || !new.has(b"DSS") {
            if old.has(b"DSS") && !new.has(b"DSS") {
                let root = ref_of(&self.store.revisions[self.t].trailer, b"Root").unwrap_or(0);
                let l = self.label_old(root);
                self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Keys(vec!["DSS".into()]) });
            }
            return Ok(());
        }
        let old_dss_val = entry(self.store, old, b"DSS", self.p)?;
        let old_dss = old_dss_val.dict().cloned().unwrap_or_default();
        if let Some(d) = dss_ref {
            if self.updated.contains(&d) && ref_of(old, b"DSS") != Some(d) {
                return Ok(()); // points at another existing object: a leftover
            }
        }
        let new_dss_val = entry(self.store, new, b"DSS", self.t)?;
        let Some(new_dss) = new_dss_val.dict().cloned() else { return self.dss_structure(dss_ref) };
        if matches!(new_dss_val.get(), Object::Stream(_)) {
            return self.dss_structure(dss_ref);
        }
        let unexpected: Vec<String> = new_dss
            .iter()
            .map(|(k, _)| k)
            .filter(|k| !matches!(k.as_slice(), b"Type" | b"VRI" | b"Certs" | b"CRLs" | b"OCSPs"))
            .map(|k| String::from_utf8_lossy(k).into_owned())
            .collect();
        if !unexpected.is_empty() {
            let l = match dss_ref {
                Some(d) if self.updated.contains(&d) => self.label_old(d),
                Some(d) => self.label_new(d, ObjectRole::Dss),
                None => self.label_old(ref_of(&self.store.revisions[self.t].trailer, b"Root").unwrap_or(0)),
            };
            self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Keys(unexpected) });
            return Ok(());
        }
        for key in [&b"Certs"[..], b"CRLs", b"OCSPs"] {
            if !self.stream_array(&old_dss, &new_dss, key)? {
                return self.dss_structure(dss_ref);
            }
        }
        // /VRI
        if let Some(v) = ref_of(&new_dss, b"VRI") {
            if self.added.contains(&v) || (self.updated.contains(&v) && ref_of(&old_dss, b"VRI") == Some(v)) {
                self.claim(v);
                self.st.add_role(v, Role::Dss);
            }
        }
        let old_vri = entry(self.store, &old_dss, b"VRI", self.p)?.dict().cloned().unwrap_or_default();
        let new_vri_val = entry(self.store, &new_dss, b"VRI", self.t)?;
        match new_vri_val.dict() {
            None if new_dss.has(b"VRI") => return self.dss_structure(dss_ref),
            None => {
                if old_dss.has(b"VRI") {
                    return self.dss_structure(dss_ref);
                }
            }
            Some(new_vri) => {
                let new_vri = new_vri.clone();
                // An entry removed or changed: a change only for the signatures whose own
                // revision had it (PAdES lets later validation data be pruned; pyHanko compares
                // /VRI with the signed revision's).
                for (k, v) in old_vri.iter() {
                    if !new_vri.get(k).is_ok_and(|w| same(v, w)) {
                        let l = match dss_ref {
                            Some(d) if !self.added.contains(&d) => self.label_old(d),
                            Some(d) => self.label_new(d, ObjectRole::Dss),
                            None => self.label_old(ref_of(&self.store.revisions[self.t].trailer, b"Root").unwrap_or(0)),
                        };
                        self.res.vri_dropped.push((k.clone(), PdfChange::ObjectChanged { object: l, change: ObjectChange::Structure }));
                    }
                }
                for (k, v) in new_vri.iter() {
                    if old_vri.has(k) {
                        continue;
                    }
                    // The base-16 SHA-1 of the signature (ISO 32000-2 §12.8.4.4); some signing
                    // tools (seen: Slovak ones, DSS's Signature-P-SK-6.pdf) key by SHA-256. The
                    // key only names validation data, nothing a reader shows.
                    let key_ok = matches!(k.len(), 40 | 64) && k.iter().all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(b));
                    if !key_ok {
                        return self.dss_structure(dss_ref);
                    }
                    if let Object::Reference(id) = v {
                        if !self.added.contains(&id.0) {
                            return self.dss_structure(dss_ref);
                        }
                        self.claim(id.0);
                        self.st.add_role(id.0, Role::Dss);
                    }
                    let v = v.clone();
                    let val = resolve(self.store, &v, self.t)?;
                    let Some(entry_dict) = val.dict().cloned() else { return self.dss_structure(dss_ref) };
                    if matches!(val.get(), Object::Stream(_)) || entry_dict.iter().any(|(k, _)| !matches!(k.as_slice(), b"Type" | b"TU" | b"TS" | b"Cert" | b"CRL" | b"OCSP")) {
                        return self.dss_structure(dss_ref);
                    }
                    for key in [&b"Cert"[..], b"CRL", b"OCSP"] {
                        if !self.stream_array(&Dictionary::new(), &entry_dict, key)? {
                            return self.dss_structure(dss_ref);
                        }
                    }
                    // Everything new below the entry (/TS, indirect lengths) is part of it.
                    self.claim_new_deps(&v, Some(Role::Dss))?;
                }
            }
        }
        if let Some(d) = dss_ref {
            self.claim(d);
            self.st.add_role(d, Role::Dss);
        }
        self.push_update(PdfUpdate::Dss);
        Ok(())
    }

    fn dss_structure(&mut self, dss_ref: Option<u32>) -> R<()> {
        let l = match dss_ref {
            Some(d) if self.updated.contains(&d) || !self.added.contains(&d) => self.label_old(d),
            Some(d) => self.label_new(d, ObjectRole::Dss),
            None => self.label_old(ref_of(&self.store.revisions[self.t].trailer, b"Root").unwrap_or(0)),
        };
        self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Structure });
        if let Some(d) = dss_ref {
            self.swallow(d)?;
        }
        Ok(())
    }

    /// A /DSS or /VRI array entry: an array (direct, or an object of its own that is new or
    /// the same as before) of references to streams; new streams are claimed. Returns false
    /// when the structure is wrong.
    fn stream_array(&mut self, old: &Dictionary, new: &Dictionary, key: &[u8]) -> R<bool> {
        let Ok(raw) = new.get(key) else { return Ok(true) };
        if let Object::Reference(id) = raw {
            if self.added.contains(&id.0) || (self.updated.contains(&id.0) && ref_of(old, key) == Some(id.0)) {
                self.claim(id.0);
                self.st.add_role(id.0, Role::Dss);
            }
        }
        let val = resolve(self.store, raw, self.t)?;
        let Some(arr) = val.array().cloned() else { return Ok(false) };
        self.store.charge(arr.len() as u64)?;
        for item in &arr {
            let Object::Reference(id) = item else { return Ok(false) };
            if !matches!(self.store.get(*id, self.t)?.as_deref(), Some(Object::Stream(_))) {
                return Ok(false);
            }
            if self.added.contains(&id.0) {
                // The stream and what is new below it (an indirect /Length).
                self.claim_new_deps(item, Some(Role::Dss))?;
            }
        }
        Ok(true)
    }

    /// The interactive form: the AcroForm dictionary, /Fields, /DR, new signature fields, and
    /// changes to existing fields and widgets.
    fn form(&mut self, old_catalog: &Dictionary, new_catalog: &Dictionary) -> R<()> {
        let old_af = entry(self.store, old_catalog, b"AcroForm", self.p)?;
        let new_af = entry(self.store, new_catalog, b"AcroForm", self.t)?;
        let (old_d, new_d) = (old_af.dict().cloned(), new_af.dict().cloned());
        let af_ref = ref_of(new_catalog, b"AcroForm");
        let new_d = match (&old_d, new_d) {
            (Some(_), None) => {
                self.reject(PdfChange::AcroFormRemoved);
                return Ok(());
            }
            (_, Some(d)) => d,
            (None, None) => return self.existing_fields(),
        };
        let old_d = old_d.unwrap_or_default();
        if let Some(a) = af_ref {
            if self.updated.contains(&a) && ref_of(old_catalog, b"AcroForm") != Some(a) {
                return Ok(()); // another existing object: a leftover
            }
        }
        let keys = diff_keys(&old_d, &new_d, &ACROFORM_MAY_CHANGE);
        if !keys.is_empty() {
            self.reject(PdfChange::AcroFormChanged { keys });
            if let Some(a) = af_ref {
                self.handled.insert(a);
            }
            return Ok(());
        }
        if let Some(a) = af_ref {
            self.claim(a);
            self.st.add_role(a, Role::AcroForm);
        }
        // /Fields
        let fields_ref = ref_of(&new_d, b"Fields");
        if let Some(f) = fields_ref {
            if self.added.contains(&f) || (self.updated.contains(&f) && ref_of(&old_d, b"Fields") == Some(f)) {
                self.claim(f);
                self.st.add_role(f, Role::FieldList);
            }
        }
        let old_list = entry(self.store, &old_d, b"Fields", self.p)?.array().cloned().unwrap_or_default();
        let new_list = entry(self.store, &new_d, b"Fields", self.t)?.array().cloned().unwrap_or_default();
        if !same(&Object::Array(old_list.clone()), &Object::Array(new_list.clone())) {
            self.store.charge((old_list.len() + new_list.len()) as u64)?;
            let old_set: NumSet<u32> = old_list.iter().filter_map(|o| if let Object::Reference(id) = o { Some(id.0) } else { None }).collect();
            let mut new_set: NumSet<u32> = NumSet::default();
            let mut list_ok = true;
            let mut new_entries = Vec::new();
            for o in &new_list {
                match o {
                    Object::Reference(id) if new_set.insert(id.0) => {
                        if !old_set.contains(&id.0) {
                            new_entries.push(id.0);
                        }
                    }
                    _ => list_ok = false,
                }
            }
            if !list_ok {
                let l = match fields_ref {
                    Some(f) if !self.added.contains(&f) => self.label_old(f),
                    Some(f) => self.label_new(f, ObjectRole::FieldList),
                    None => self.label_old(af_ref.unwrap_or(0)),
                };
                self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Fields });
            }
            let mut removed: Vec<u32> = old_set.difference(&new_set).copied().collect();
            removed.sort_unstable();
            for r in removed {
                let name = self.st.roles_of(r).iter().find_map(|ro| match ro {
                    Role::Field(f) => self.st.fields.get(*f).map(|f| f.name.clone()),
                    _ => None,
                });
                self.reject(PdfChange::FieldRemoved { name: name.unwrap_or_default() });
            }
            for n in new_entries {
                self.new_field(n, "", None)?;
            }
        }
        // /DR
        let dr_changed = !new_d.get(b"DR").ok().zip(old_d.get(b"DR").ok()).is_some_and(|(a, b)| same(a, b))
            || ref_of(&new_d, b"DR").is_some_and(|r| self.changed(r));
        if dr_changed && new_d.has(b"DR") {
            let mut ok = true;
            if let Some(r) = ref_of(&new_d, b"DR") {
                if self.added.contains(&r) || (self.updated.contains(&r) && ref_of(&old_d, b"DR") == Some(r)) {
                    self.claim(r);
                } else if self.updated.contains(&r) {
                    ok = false;
                }
            }
            if ok {
                let dr = entry(self.store, &new_d, b"DR", self.t)?;
                let dr = dr.get().clone();
                self.claim_new_deps(&dr, None)?;
                self.push_update(PdfUpdate::FormResources);
            }
        }
        self.existing_fields()
    }

    /// A new entry of /Fields (or a kid with /T of a new field): it must be a new signature
    /// field made of new objects.
    fn new_field(&mut self, n: u32, parent: &str, inherited: Option<Vec<u8>>) -> R<()> {
        let obj = self.store.get_number(n, self.t)?;
        let d = obj.as_deref().and_then(dict_of).cloned();
        let part = d.as_ref().and_then(|d| d.get(b"T").ok()).and_then(text);
        let name = match (&part, parent.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{parent}.{p}"),
            (None, _) => parent.to_string(),
        };
        let Some(d) = d else {
            self.reject(PdfChange::FieldAdded { name, field_type: None });
            return Ok(());
        };
        let ft = name_entry(self.store, &d, b"FT", self.t).or(inherited);
        if !self.added.contains(&n) {
            let l = self.label_old(n);
            self.reject(PdfChange::ObjectReused { field: name, object: l });
            self.handled.insert(n);
            return Ok(());
        }
        if ft.as_deref() != Some(b"Sig") || self.st.field_names.contains_key(&name) {
            self.reject(PdfChange::FieldAdded { name, field_type: ft.map(|t| String::from_utf8_lossy(&t).into_owned()) });
            self.swallow(n)?;
            return Ok(());
        }
        let f = self.st.add_field(Field { name: name.clone(), ft: ft.clone(), value: None });
        self.claim(n);
        self.st.add_role(n, Role::Field(f));
        let mut visible = has_area(self.store, &d, self.t);
        let mut widgets = Vec::new();
        if d.has(b"Kids") {
            if let Some(k) = ref_of(&d, b"Kids") {
                if !self.added.contains(&k) {
                    let l = self.label_old(k);
                    self.reject(PdfChange::ObjectReused { field: name, object: l });
                    return Ok(());
                }
                self.claim(k);
                self.st.add_role(k, Role::Kids(f));
            }
            let kids = entry(self.store, &d, b"Kids", self.t)?.array().cloned().unwrap_or_default();
            self.store.charge(kids.len() as u64)?;
            for kid in kids {
                let Object::Reference(id) = kid else {
                    self.reject(PdfChange::FieldAdded { name: name.clone(), field_type: Some("Sig".into()) });
                    continue;
                };
                let k = id.0;
                if !self.added.contains(&k) {
                    let l = self.label_old(k);
                    self.reject(PdfChange::ObjectReused { field: name.clone(), object: l });
                    self.handled.insert(k);
                    continue;
                }
                let kobj = self.store.get_number(k, self.t)?;
                let Some(kd) = kobj.as_deref().and_then(dict_of).cloned() else { continue };
                if kd.has(b"T") {
                    self.new_field(k, &name, ft.clone())?;
                    continue;
                }
                self.claim(k);
                self.st.add_role(k, Role::Widget(f));
                visible |= has_area(self.store, &kd, self.t);
                widgets.push((k, kd));
            }
        } else {
            widgets.push((n, d.clone()));
        }
        for (w, wd) in &widgets {
            self.new_widgets.insert(*w, name.clone());
            if let Ok(ap) = wd.get(b"AP") {
                let ap = ap.clone();
                self.claim_new_deps(&ap, None)?;
                let added = self.added.clone();
                mark_appearance_of(self.store, self.st, wd, f, self.t, &|x| added.contains(&x))?;
            }
        }
        for key in [&b"Lock"[..], b"SV"] {
            if let Ok(v) = d.get(key) {
                let v = v.clone();
                self.claim_new_deps(&v, None)?;
            }
        }
        match d.get(b"V") {
            Ok(Object::Reference(id)) => {
                let timestamp = self.signature_value(f, &name, id.0)?;
                if let Some(timestamp) = timestamp {
                    self.push_update(PdfUpdate::SignatureAdded { field: name.clone(), timestamp, visible });
                    if !timestamp || visible {
                        self.res.locked_changes.push(name.clone());
                    }
                }
            }
            Ok(_) => {
                let l = self.label_new(n, ObjectRole::SignatureField { name: name.clone(), signed: true });
                self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Structure });
            }
            Err(_) => {
                self.push_update(PdfUpdate::SignatureFieldAdded { field: name.clone(), visible });
                if visible {
                    self.res.locked_changes.push(name.clone());
                }
            }
        }
        if visible {
            self.res.visible_new_signatures.push(name);
        }
        Ok(())
    }

    /// A signature field's new value `v`: a new dictionary used by this field alone. Returns
    /// whether it is a document timestamp, or `None` when it was rejected.
    fn signature_value(&mut self, f: usize, name: &str, v: u32) -> R<Option<bool>> {
        if !self.added.contains(&v) {
            let l = self.label_old(v);
            self.reject(PdfChange::ObjectReused { field: name.to_string(), object: l });
            self.handled.insert(v);
            return Ok(None);
        }
        if let Some(other) = self.values_now.get(&v) {
            let fields = vec![other.clone(), name.to_string()];
            self.reject(PdfChange::SignatureShared { fields });
            return Ok(None);
        }
        let obj = self.store.get_number(v, self.t)?;
        let Some(sig) = obj.as_deref().filter(|o| matches!(o, Object::Dictionary(_))).and_then(dict_of).cloned() else {
            let l = self.label_new(v, ObjectRole::SignatureValue { field: name.to_string() });
            self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Structure });
            self.handled.insert(v);
            return Ok(None);
        };
        self.values_now.insert(v, name.to_string());
        self.claim(v);
        self.st.add_role(v, Role::SigValue(f));
        if let Some(o) = obj {
            self.claim_new_deps(&o, None)?;
        }
        if let Some(field) = self.st.fields.get_mut(f) {
            field.value = Some(v);
        }
        Ok(Some(name_entry(self.store, &sig, b"Type", self.t).as_deref() == Some(b"DocTimeStamp")))
    }

    /// Existing fields and widgets this revision rewrote.
    fn existing_fields(&mut self) -> R<()> {
        let mut fields: Vec<(u32, usize)> = Vec::new();
        let mut widgets: Vec<(u32, usize)> = Vec::new();
        for &n in &self.updated {
            for r in self.st.roles_of(n) {
                match *r {
                    Role::Field(f) => fields.push((n, f)),
                    Role::Widget(f) => widgets.push((n, f)),
                    _ => {}
                }
            }
        }
        fields.sort_unstable();
        widgets.sort_unstable();
        let mut signed_now: HashSet<usize> = HashSet::new();
        for (n, f) in fields {
            if !self.claimed.contains(&n) && !self.handled.contains(&n) {
                self.existing_field(n, f, true, &mut signed_now)?;
            }
        }
        for (n, f) in widgets {
            if !self.claimed.contains(&n) && !self.handled.contains(&n) {
                self.existing_field(n, f, false, &mut signed_now)?;
            }
        }
        Ok(())
    }

    fn existing_field(&mut self, n: u32, f: usize, is_field: bool, signed_now: &mut HashSet<usize>) -> R<()> {
        let Some(field) = self.st.fields.get(f).cloned() else { return Ok(()) };
        let old = self.store.get_number(n, self.p).ok().flatten();
        let new = self.store.get_number(n, self.t)?;
        let (Some(old), Some(new)) = (old.as_deref().and_then(dict_of).cloned(), new.as_deref().and_then(dict_of).cloned()) else {
            return Ok(()); // a leftover
        };
        let keys = diff_keys(&old, &new, &[]);
        let mut bad: Vec<String> = keys.iter().filter(|k| !VALUE_UPDATE_KEYS.contains(&k.as_bytes())).cloned().collect();
        match (old.get(b"Type").ok(), new.get(b"Type").ok()) {
            (None, Some(t)) if !matches!(t, Object::Name(n) if n == b"Annot") => bad.push("Type".into()),
            (Some(a), Some(b)) if !same(a, b) => bad.push("Type".into()),
            (Some(_), None) => bad.push("Type".into()),
            _ => {}
        }
        let only_always = keys.iter().all(|k| ALWAYS_MODIFIABLE.contains(&k.as_bytes())) && bad.is_empty();
        if only_always {
            self.claim(n);
            return Ok(());
        }
        let reject = |cx: &mut Self, keys: Vec<String>| {
            let l = cx.label_old(n);
            cx.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Keys(keys) });
            cx.handled.insert(n);
        };
        if !bad.is_empty() {
            reject(self, bad);
            return Ok(());
        }
        let stateful = old.has(b"AS");
        if field.is_sig() {
            // Only the step that signs it may touch a signature field; never a signed one.
            let becomes_signed = is_field && !old.has(b"V") && new.has(b"V") && field.value.is_none();
            if becomes_signed {
                let Ok(Object::Reference(v)) = new.get(b"V") else {
                    reject(self, vec!["V".into()]);
                    return Ok(());
                };
                let v = v.0;
                self.claim(n);
                if !self.appearance_update(n, &old, &new, f, stateful, true)? {
                    return Ok(());
                }
                if let Some(timestamp) = self.signature_value(f, &field.name, v)? {
                    signed_now.insert(f);
                    let visible = has_area(self.store, &new, self.t);
                    self.push_update(PdfUpdate::SignatureAdded { field: field.name.clone(), timestamp, visible });
                    if !timestamp || visible {
                        self.res.locked_changes.push(field.name.clone());
                    }
                }
            } else if !is_field && signed_now.contains(&f) && !keys.iter().any(|k| k == "V") {
                self.claim(n);
                self.appearance_update(n, &old, &new, f, stateful, true)?;
            } else {
                reject(self, keys);
            }
            return Ok(());
        }
        self.claim(n);
        if is_field && keys.iter().any(|k| k == "V") {
            if let Ok(v) = new.get(b"V") {
                let v = v.clone();
                self.claim_new_deps(&v, None)?;
            }
        }
        if !self.appearance_update(n, &old, &new, f, stateful, true)? {
            return Ok(());
        }
        self.res.locked_changes.push(field.name.clone());
        self.push_update(PdfUpdate::FormFilled { field: field.name.clone() });
        Ok(())
    }

    /// A widget's /AP going from `old` to `new`: new appearance streams are claimed; a stream
    /// rewritten in place is claimed when `in_place` allows it, the widget is not stateful and
    /// nothing but this widget's appearance dictionary refers to it. Returns false when the
    /// change was rejected.
    fn appearance_update(&mut self, owner: u32, old: &Dictionary, new: &Dictionary, f: usize, stateful: bool, in_place: bool) -> R<bool> {
        let Ok(new_raw) = new.get(b"AP") else {
            if old.has(b"AP") {
                let l = self.label_old(owner);
                self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Keys(vec!["AP".into()]) });
                self.handled.insert(owner);
                return Ok(false);
            }
            return Ok(true);
        };
        let old_ap_ref = ref_of(old, b"AP");
        if let Some(a0) = old_ap_ref {
            // An appearance dictionary shared with another widget cannot be redrawn for one.
            if self.st.incoming(a0).count > 1 && (ref_of(new, b"AP") != Some(a0) || self.updated.contains(&a0)) {
                let l = self.label_old(a0);
                self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Structure });
                return Ok(false);
            }
        }
        if let Object::Reference(id) = new_raw {
            let a = id.0;
            if self.added.contains(&a) {
                self.claim(a);
                self.st.add_role(a, Role::ApDict(f));
            } else if self.updated.contains(&a) {
                if old_ap_ref == Some(a) && self.st.incoming(a).single() == Some(owner) {
                    self.claim(a);
                } else {
                    return Ok(true); // a leftover
                }
            }
        }
        let old_ap = match old.get(b"AP") {
            Ok(o) => resolve(self.store, o, self.p)?.dict().cloned().unwrap_or_default(),
            Err(_) => Dictionary::new(),
        };
        let new_ap_val = resolve(self.store, new_raw, self.t)?;
        let Some(new_ap) = new_ap_val.dict().cloned() else {
            let l = self.label_old(owner);
            self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Structure });
            return Ok(false);
        };
        let ap_holder = ref_of(new, b"AP").unwrap_or(owner);
        for key in [&b"N"[..], b"R", b"D"] {
            let Ok(v) = new_ap.get(key) else { continue };
            let v = v.clone();
            self.claim_new_deps(&v, Some(Role::Appearance { field: f, stateful }))?;
            if let Object::Reference(x) = v {
                let x = x.0;
                let same_ref = ref_of(&old_ap, key) == Some(x);
                // Through an appearance dictionary of its own, referred to by this widget alone:
                // one reached from elsewhere too (another key of any object) would change there.
                let holder_own = ap_holder == owner || self.st.incoming(ap_holder).single() == Some(owner);
                if in_place && !stateful && same_ref && holder_own && self.updated.contains(&x) && self.appearance_owned(x, f, ap_holder) {
                    self.claim(x);
                    if let Some(o) = self.store.get_number(x, self.t)? {
                        self.claim_new_deps(&o, Some(Role::Appearance { field: f, stateful }))?;
                    }
                }
            }
        }
        Ok(true)
    }

    /// `x` is an appearance stream of field `f` only, referred to by `holder` alone.
    fn appearance_owned(&self, x: u32, f: usize, holder: u32) -> bool {
        self.st.incoming(x).single() == Some(holder)
            && !self.st.roles_of(x).is_empty()
            && self.st.roles_of(x).iter().all(|r| matches!(r, Role::Appearance { field, stateful: false } if *field == f))
    }

    /// Appearance streams rewritten in place while their field's dictionary stayed the same
    /// (form filling that only redraws): allowed for fields that are not signature fields.
    fn appearances_in_place(&mut self) -> R<()> {
        let mut cands: Vec<(u32, usize)> = self
            .updated
            .iter()
            .filter(|n| !self.claimed.contains(n) && !self.handled.contains(n))
            .filter_map(|n| match self.st.roles_of(*n) {
                [Role::Appearance { field, stateful: false }] => Some((*n, *field)),
                _ => None,
            })
            .collect();
        cands.sort_unstable();
        for (x, f) in cands {
            let Some(field) = self.st.fields.get(f).cloned() else { continue };
            if field.is_sig() {
                continue; // a leftover: a signature's appearance never changes
            }
            let Some(holder) = self.st.incoming(x).single() else { continue };
            // The holder is the widget (or its appearance dictionary, referred to once) and its
            // /AP names `x` under /N, /R or /D in the previous revision.
            let holder_ok = self.st.roles_of(holder).iter().any(|r| match r {
                Role::Field(g) | Role::Widget(g) => *g == f,
                Role::ApDict(g) => *g == f && self.st.incoming(holder).count == 1,
                _ => false,
            });
            if !holder_ok || !self.appearance_owned(x, f, holder) {
                continue;
            }
            let hobj = self.store.get_number(holder, self.p)?;
            let Some(hd) = hobj.as_deref().and_then(dict_of) else { continue };
            let ap = if self.st.roles_of(holder).iter().any(|r| matches!(r, Role::ApDict(_))) {
                Some(hd.clone())
            } else {
                entry(self.store, hd, b"AP", self.p)?.dict().cloned()
            };
            let named = ap.is_some_and(|ap| [&b"N"[..], b"R", b"D"].iter().any(|k| ref_of(&ap, k) == Some(x)));
            if !named {
                continue;
            }
            self.claim(x);
            if let Some(o) = self.store.get_number(x, self.t)? {
                self.claim_new_deps(&o, Some(Role::Appearance { field: f, stateful: false }))?;
            }
            self.res.locked_changes.push(field.name.clone());
            self.push_update(PdfUpdate::FormFilled { field: field.name.clone() });
        }
        Ok(())
    }

    /// Pages may change only in /Annots, and /Annots may only gain the widgets of new
    /// signature fields.
    fn pages(&mut self) -> R<()> {
        let mut pages: Vec<(u32, usize)> = Vec::new();
        let mut lists: Vec<(u32, usize)> = Vec::new();
        for &n in &self.updated {
            for r in self.st.roles_of(n) {
                match *r {
                    Role::Page(i) => pages.push((n, i)),
                    Role::AnnotationList(i) => lists.push((n, i)),
                    _ => {}
                }
            }
        }
        pages.sort_unstable();
        lists.sort_unstable();
        let mut pages_done = HashSet::new();
        for (n, i) in pages {
            if self.handled.contains(&n) {
                continue;
            }
            let old = self.store.get_number(n, self.p).ok().flatten().as_deref().and_then(dict_of).cloned();
            let new = self.store.get_number(n, self.t)?.as_deref().and_then(dict_of).cloned();
            let (Some(old), Some(new)) = (old, new) else { continue };
            let keys = diff_keys(&old, &new, &[b"Annots"]);
            if !keys.is_empty() {
                let l = self.label_old(n);
                self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Keys(keys) });
                self.handled.insert(n);
                continue;
            }
            if ref_of(&new, b"Annots").is_some_and(|a| self.updated.contains(&a) && ref_of(&old, b"Annots") != Some(a)) {
                continue; // /Annots now names another existing object: a leftover
            }
            if self.annots(n, i, old.get(b"Annots").ok(), new.get(b"Annots").ok())? {
                self.claim(n);
                if let Some(a) = ref_of(&new, b"Annots") {
                    self.claim(a);
                    self.st.add_role(a, Role::AnnotationList(i));
                }
            }
            pages_done.insert(i);
        }
        for (n, i) in lists {
            if self.handled.contains(&n) || self.claimed.contains(&n) || pages_done.contains(&i) {
                continue;
            }
            let r = Object::Reference((n, 0));
            if self.annots(n, i, Some(&r), Some(&r))? {
                self.claim(n);
            }
        }
        Ok(())
    }

    /// Compares a page's /Annots before and after; true when only new signature widgets came.
    fn annots(&mut self, holder: u32, page: usize, old: Option<&Object>, new: Option<&Object>) -> R<bool> {
        let list = |cx: &Self, o: Option<&Object>, rev: usize| -> R<Vec<Object>> {
            Ok(match o {
                Some(Object::Reference(id)) => match cx.store.get_number(id.0, rev)?.as_deref() {
                    Some(Object::Array(a)) => a.clone(),
                    _ => Vec::new(),
                },
                Some(Object::Array(a)) => a.clone(),
                _ => Vec::new(),
            })
        };
        let old_l = list(self, old, self.p)?;
        let new_l = list(self, new, self.t)?;
        self.store.charge((old_l.len() + new_l.len()) as u64)?;
        let ids = |l: &[Object]| -> (NumSet<u32>, bool) {
            let mut s = NumSet::default();
            let mut direct = false;
            for o in l {
                match o {
                    Object::Reference(id) => {
                        s.insert(id.0);
                    }
                    _ => direct = true,
                }
            }
            (s, direct)
        };
        let (old_s, _) = ids(&old_l);
        let (new_s, direct) = ids(&new_l);
        let mut ok = true;
        if direct && !same(&Object::Array(old_l.clone()), &Object::Array(new_l.clone())) {
            let l = self.label_old(holder);
            self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Annots });
            ok = false;
        }
        let mut removed: Vec<u32> = old_s.difference(&new_s).copied().collect();
        removed.sort_unstable();
        for r in removed {
            let l = self.label_old(r);
            self.reject(PdfChange::AnnotationRemoved { page, object: l });
            ok = false;
        }
        let mut added: Vec<u32> = new_s.difference(&old_s).copied().collect();
        added.sort_unstable();
        for a in added {
            if self.new_widgets.contains_key(&a) {
                continue;
            }
            ok = false;
            if self.added.contains(&a) {
                let subtype = self.store.get_number(a, self.t)?.as_deref().and_then(dict_of).and_then(|d| name_entry(self.store, d, b"Subtype", self.t));
                let l = self.label_new(a, ObjectRole::Annotation { page, subtype: subtype.map(|s| String::from_utf8_lossy(&s).into_owned()) });
                self.reject(PdfChange::ObjectAdded(l));
                self.swallow(a)?;
            } else {
                // An object of an earlier revision now shown on the page.
                let l = self.label_old(holder);
                self.reject(PdfChange::ObjectChanged { object: l, change: ObjectChange::Annots });
            }
        }
        Ok(ok)
    }

    /// New objects nothing reaches (from the new trailer, or through the objects this revision
    /// rewrote): they cannot be seen.
    fn orphans(&mut self) -> R<()> {
        let mut reached: NumSet<u32> = NumSet::default();
        let mut stack = Vec::new();
        refs_of(&Object::Dictionary(self.store.revisions[self.t].trailer.clone()), &mut stack);
        for &n in &self.updated {
            if let Some(o) = self.store.get_number(n, self.t)? {
                refs_of(&o, &mut stack);
            }
        }
        while let Some(n) = stack.pop() {
            if !self.added.contains(&n) || !reached.insert(n) {
                continue;
            }
            self.store.charge(1)?;
            if let Some(o) = self.store.get_number(n, self.t)? {
                refs_of(&o, &mut stack);
            }
        }
        let orphans: Vec<u32> = self.added.iter().copied().filter(|n| !reached.contains(n) && !self.claimed.contains(n) && !self.handled.contains(n)).collect();
        // Cross-reference and object streams are file structure, not objects a reader could be
        // shown: they are not counted.
        let mut count = 0;
        for &n in &orphans {
            let structure = self.store.get_number(n, self.t)?.as_deref().and_then(dict_of).and_then(|d| name_entry(self.store, d, b"Type", self.t));
            if !matches!(structure.as_deref(), Some(b"XRef" | b"ObjStm")) {
                count += 1;
            }
        }
        if count > 0 {
            self.push_update(PdfUpdate::UnusedObjects { count });
        }
        self.claimed.extend(orphans);
        Ok(())
    }

    fn leftovers(&mut self) -> R<()> {
        let mut upd: Vec<u32> = self.updated.iter().copied().filter(|n| !self.claimed.contains(n) && !self.handled.contains(n)).collect();
        upd.sort_unstable();
        // New objects that only a forbidden change uses are part of that change: one
        // description each (the content stream a rewritten page now shows, …).
        let mut rejected: Vec<u32> = self.updated.iter().copied().filter(|n| !self.claimed.contains(n)).collect();
        rejected.sort_unstable();
        for n in rejected {
            if let Some(o) = self.store.get_number(n, self.t)? {
                let mut refs = Vec::new();
                refs_of(&o, &mut refs);
                for r in refs {
                    if self.added.contains(&r) && !self.claimed.contains(&r) {
                        self.swallow(r)?;
                    }
                }
            }
        }
        for n in upd {
            let old = self.store.get_number(n, self.p).ok().flatten();
            let new = self.store.get_number(n, self.t)?;
            let change = match (old.as_deref(), new.as_deref()) {
                (Some(Object::Stream(a)), Some(Object::Stream(b))) if a.content != b.content => ObjectChange::StreamContent,
                (Some(a), Some(b)) if dict_of(a).is_some() && dict_of(b).is_some() && std::mem::discriminant(a) == std::mem::discriminant(b) => {
                    ObjectChange::Keys(diff_keys(dict_of(a).unwrap_or(&Dictionary::new()), dict_of(b).unwrap_or(&Dictionary::new()), &[]))
                }
                (Some(Object::Array(_)), Some(Object::Array(_))) => ObjectChange::Array,
                _ => ObjectChange::Replaced,
            };
            let l = self.label_old(n);
            self.reject(PdfChange::ObjectChanged { object: l, change });
        }
        let mut add: Vec<u32> = self.added.iter().copied().filter(|n| !self.claimed.contains(n) && !self.handled.contains(n)).collect();
        add.sort_unstable();
        for n in add {
            if self.handled.contains(&n) {
                continue;
            }
            let l = self.label_new(n, ObjectRole::Other);
            self.reject(PdfChange::ObjectAdded(l));
            self.swallow(n)?;
        }
        Ok(())
    }

    /// Carries the state to revision `t`: references of rewritten and new objects, the trailer.
    fn update_state(&mut self, freed: &[u32]) -> R<()> {
        let (p, t) = (self.p, self.t);
        let mut refs = Vec::new();
        refs_of(&Object::Dictionary(self.store.revisions[p].trailer.clone()), &mut refs);
        for r in refs.drain(..) {
            self.st.remove_edge(TRAILER, r);
        }
        refs_of(&Object::Dictionary(self.store.revisions[t].trailer.clone()), &mut refs);
        for r in refs.drain(..) {
            self.st.add_edge(TRAILER, r);
        }
        let freed_set: NumSet<u32> = freed.iter().copied().collect();
        let mut touched: Vec<u32> = self.updated.iter().chain(freed.iter()).copied().collect();
        touched.sort_unstable();
        for n in touched {
            if self.st.counted.contains(&n) {
                if let Some(o) = self.store.get_number(n, p).ok().flatten() {
                    refs_of(&o, &mut refs);
                    for r in refs.drain(..) {
                        self.st.remove_edge(n, r);
                    }
                }
            }
            if freed_set.contains(&n) {
                self.st.counted.remove(&n);
                continue;
            }
            self.add_edges_of(n, &mut refs)?;
        }
        let mut news: Vec<u32> = self.added.iter().copied().filter(|n| self.claimed.contains(n) || !self.res.changes.is_empty()).collect();
        news.sort_unstable();
        for n in news {
            self.add_edges_of(n, &mut refs)?;
        }
        // Roles are carried only through allowed updates. A forbidden change that rewrote only
        // leaves (content, resources, appearance streams: objects whose rewriting cannot make
        // anything a page, an annotation, a field or a signature) leaves the roles of every
        // other object as they were; anything else (the trailer, structure, a dangling
        // reference filled, an object freed) and the roles are computed again at the next
        // signed revision.
        if !self.res.changes.is_empty() {
            let leaf = |r: &Role| matches!(r, Role::Reached(_) | Role::PageContent(_) | Role::Appearance { .. });
            let structural = !freed.is_empty()
                || self.res.changes.iter().any(|c| matches!(c, PdfChange::TrailerChanged { .. } | PdfChange::DanglingReferenceFilled(_)))
                || self.updated.iter().any(|n| !self.st.roles_of(*n).iter().all(leaf));
            if structural {
                self.st.tainted = true;
            }
        }
        self.st.rev = t;
        Ok(())
    }

    /// Records an allowed update once per revision (a field with two widgets is filled once).
    fn push_update(&mut self, u: PdfUpdate) {
        if !self.res.updates.contains(&u) {
            self.res.updates.push(u);
        }
    }

    fn add_edges_of(&mut self, n: u32, refs: &mut Vec<u32>) -> R<()> {
        if let Some(o) = self.store.get_number(n, self.t).ok().flatten() {
            // A cross-reference stream the file's revisions were read from is file structure,
            // not a document object: its /Root and /Info are the trailer's (counted as such), and
            // counting them again made every later in-place /Info update look shared after a
            // revision with a refused change. (By its offset, not its /Type: a stream that only
            // calls itself /XRef could be drawn as a form XObject, and its references count.)
            if self.store.is_xref_stream(n, self.t) {
                return Ok(());
            }
            refs_of(&o, refs);
            self.store.charge(refs.len() as u64)?;
            for r in refs.drain(..) {
                self.st.add_edge(n, r);
            }
            self.st.counted.insert(n);
        }
        Ok(())
    }
}

/// An XMP packet (ISO 16684-1): UTF-8 XML whose root element is `x:xmpmeta` in the namespace
/// `adobe:ns:meta/`, with no DTD or entity declarations. Not a full XML parser: the checks
/// pyHanko's MetadataUpdateRule makes (well-formed root, no entities), on the structure that
/// matters here.
pub(crate) fn is_xmp(data: &[u8]) -> bool {
    let data = data.strip_prefix(&[0xEF, 0xBB, 0xBF]).unwrap_or(data);
    let Ok(text) = std::str::from_utf8(data) else { return false };
    if text.contains("<!DOCTYPE") || text.contains("<!ENTITY") {
        return false;
    }
    let mut rest = text;
    // Skip the prolog: white space, processing instructions (<?xpacket …?>), comments.
    loop {
        rest = rest.trim_start();
        if let Some(r) = rest.strip_prefix("<?") {
            match r.find("?>") {
                Some(e) => rest = &r[e + 2..],
                None => return false,
            }
        } else if let Some(r) = rest.strip_prefix("<!--") {
            match r.find("-->") {
                Some(e) => rest = &r[e + 3..],
                None => return false,
            }
        } else {
            break;
        }
    }
    let Some(r) = rest.strip_prefix('<') else { return false };
    let end = r.find(|c: char| c.is_whitespace() || c == '>' || c == '/').unwrap_or(r.len());
    let name = &r[..end];
    let Some(tag_end) = r.find('>') else { return false };
    let attrs = &r[end..tag_end];
    let (prefix, local) = match name.split_once(':') {
        Some((p, l)) => (Some(p), l),
        None => (None, name),
    };
    if local != "xmpmeta" {
        return false;
    }
    let decl = match prefix {
        Some(p) => format!("xmlns:{p}="),
        None => "xmlns=".to_string(),
    };
    let declared = attrs.trim_end().trim_end_matches('/').split_whitespace().any(|a| a.strip_prefix(decl.as_str()).is_some_and(|v| v.trim_matches(['"', '\'']) == "adobe:ns:meta/"));
    let closed = attrs.trim_end().ends_with('/') || r[tag_end..].contains(&format!("</{name}"));
    declared && closed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xmp_packets_are_recognised() {
        let ok = "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\n<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF/></x:xmpmeta>\n<?xpacket end=\"w\"?>";
        assert!(is_xmp(ok.as_bytes()));
        assert!(is_xmp(b"<xmpmeta xmlns='adobe:ns:meta/'/>"));
        assert!(!is_xmp(b"<x:xmpmeta xmlns:x=\"urn:other\"></x:xmpmeta>"));
        assert!(!is_xmp(b"<!DOCTYPE x [<!ENTITY a \"b\">]><x:xmpmeta xmlns:x=\"adobe:ns:meta/\"></x:xmpmeta>"));
        assert!(!is_xmp(b"<x:xmpmeta xmlns:x=\"adobe:ns:meta/\">"));
        assert!(!is_xmp(b"BT /F1 12 Tf (hello) Tj ET"));
        assert!(!is_xmp(&[0xff, 0xfe, 0x3c]));
    }
}
