//! The roles objects play in one revision, and who refers to them.
//!
//! Computed in full for a signed revision (a walk from the trailer: every reachable object is
//! read once, every reference counted; then the catalog, the page tree, each page's content and
//! annotations, the form's field tree with widgets, appearance streams and signature values, the
//! /DSS, the metadata and /Info), then carried from one revision to the next by the updates the
//! rules allow (see `step`). Roles therefore always come from the signed revision: a later
//! revision can add roles only through an allowed update (a new signature field's widget, …),
//! never give an old object a new one.

use super::revisions::{ObjectError, Store};
use super::value::{dict_of, entry, name_entry, ref_of, refs_of, resolve, text, NumMap, NumSet};
use crate::findings::{ObjectRole, PdfObject};
use lopdf::{Dictionary, Object};
use std::collections::HashMap;

/// Pseudo object number of the trailer, as a referrer.
pub(crate) const TRAILER: u32 = u32::MAX;

/// Incoming references of an object: how many, and the XOR of the referrers' numbers (so that
/// when there is exactly one, it is known without keeping a list).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Incoming {
    pub count: u32,
    pub xor: u32,
}

impl Incoming {
    /// The only referrer, when there is exactly one.
    pub(crate) fn single(&self) -> Option<u32> {
        (self.count == 1).then_some(self.xor)
    }
}

/// What an object is (an object can have several roles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Catalog,
    PageTree,
    Page(usize),
    /// A page's content stream or content array.
    PageContent(usize),
    /// A page's /Annots array.
    AnnotationList(usize),
    /// A non-widget annotation on a page.
    Annotation(usize),
    /// Reached from a page's resources or its non-widget annotations.
    Reached(usize),
    AcroForm,
    /// /AcroForm /Fields when it is an object of its own.
    FieldList,
    /// A field (index into `State::fields`).
    Field(usize),
    /// A field's /Kids array.
    Kids(usize),
    /// A widget that is not its field's own dictionary.
    Widget(usize),
    /// An appearance dictionary (or a state sub-dictionary) of a field's widget.
    ApDict(usize),
    /// An appearance stream of a field's widget; `stateful` when the widget has /AS (check
    /// boxes, radio buttons: the appearance is chosen by state, not redrawn).
    Appearance { field: usize, stateful: bool },
    /// A signature field's value.
    SigValue(usize),
    Dss,
    Metadata,
    Info,
}

/// A form field.
#[derive(Debug, Clone)]
pub(crate) struct Field {
    pub name: String,
    /// /FT, inherited.
    pub ft: Option<Vec<u8>>,
    /// For a signature field: the object number of its value (a signature dictionary), when it
    /// has one.
    pub value: Option<u32>,
}

impl Field {
    pub(crate) fn is_sig(&self) -> bool {
        self.ft.as_deref() == Some(b"Sig")
    }
}

/// The roles and references of one revision.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    /// The revision index this state describes.
    pub rev: usize,
    pub incoming: NumMap<u32, Incoming>,
    pub roles: NumMap<u32, Vec<Role>>,
    pub fields: Vec<Field>,
    pub field_names: HashMap<String, usize>,
    /// Objects whose outgoing references are counted in `incoming` (those reachable when the
    /// state was computed, and those the allowed updates added since).
    pub counted: NumSet<u32>,
    /// Set when a revision made a change no rule allows: the roles are not carried further.
    pub tainted: bool,
}

impl State {
    pub(crate) fn add_role(&mut self, n: u32, r: Role) {
        let v = self.roles.entry(n).or_default();
        if !v.contains(&r) {
            v.push(r);
        }
    }

    pub(crate) fn roles_of(&self, n: u32) -> &[Role] {
        self.roles.get(&n).map_or(&[], Vec::as_slice)
    }

    pub(crate) fn incoming(&self, n: u32) -> Incoming {
        self.incoming.get(&n).copied().unwrap_or_default()
    }

    pub(crate) fn add_edge(&mut self, from: u32, to: u32) {
        let e = self.incoming.entry(to).or_default();
        e.count = e.count.saturating_add(1);
        e.xor ^= from;
    }

    pub(crate) fn remove_edge(&mut self, from: u32, to: u32) {
        if let Some(e) = self.incoming.get_mut(&to) {
            e.count = e.count.saturating_sub(1);
            e.xor ^= from;
        }
    }

    pub(crate) fn add_field(&mut self, f: Field) -> usize {
        let i = self.fields.len();
        self.field_names.entry(f.name.clone()).or_insert(i);
        self.fields.push(f);
        i
    }

    /// The label of object `n` for a report: number, generation, /Type, role.
    pub(crate) fn label(&self, store: &Store<'_>, n: u32, rev: usize) -> PdfObject {
        let obj = store.get_number(n, rev).ok().flatten();
        let kind = obj.as_deref().and_then(dict_of).and_then(|d| name_entry(store, d, b"Type", rev)).map(|t| String::from_utf8_lossy(&t).into_owned());
        let role = self.public_role(store, n, rev);
        PdfObject { number: n, generation: store.generation(n, rev), kind, role }
    }

    /// The most telling role of object `n`, as reported.
    pub(crate) fn public_role(&self, store: &Store<'_>, n: u32, rev: usize) -> ObjectRole {
        let roles = self.roles_of(n);
        // Most specific first: structural roles before "reached from a page".
        let rank = |r: &Role| match r {
            Role::Catalog => 0,
            Role::SigValue(_) => 1,
            Role::Field(_) => 2,
            Role::Widget(_) | Role::ApDict(_) => 3,
            Role::Appearance { .. } => 4,
            Role::Page(_) => 5,
            Role::PageContent(_) => 6,
            Role::Annotation(_) => 7,
            Role::AnnotationList(_) => 8,
            Role::PageTree => 9,
            Role::AcroForm => 10,
            Role::FieldList | Role::Kids(_) => 11,
            Role::Dss => 12,
            Role::Metadata => 13,
            Role::Info => 14,
            Role::Reached(_) => 15,
        };
        let Some(r) = roles.iter().min_by_key(|r| rank(r)) else { return ObjectRole::Other };
        let name = |f: usize| self.fields.get(f).map(|f| f.name.clone()).unwrap_or_default();
        match *r {
            Role::Catalog => ObjectRole::Catalog,
            Role::PageTree => ObjectRole::PageTree,
            Role::Page(p) => ObjectRole::Page { page: p },
            Role::PageContent(p) => ObjectRole::PageContent { page: p },
            Role::AnnotationList(p) => ObjectRole::AnnotationList { page: p },
            Role::Annotation(p) => {
                let subtype = store.get_number(n, rev).ok().flatten().as_deref().and_then(dict_of).and_then(|d| name_entry(store, d, b"Subtype", rev));
                ObjectRole::Annotation { page: p, subtype: subtype.map(|s| String::from_utf8_lossy(&s).into_owned()) }
            }
            Role::Reached(p) => ObjectRole::PageResource { page: p },
            Role::AcroForm => ObjectRole::AcroForm,
            Role::FieldList | Role::Kids(_) => ObjectRole::FieldList,
            Role::Field(f) => match self.fields.get(f) {
                Some(fd) if fd.is_sig() => ObjectRole::SignatureField { name: fd.name.clone(), signed: fd.value.is_some() },
                _ => ObjectRole::FormField { name: name(f) },
            },
            Role::Widget(f) | Role::ApDict(f) => ObjectRole::Widget { field: name(f) },
            Role::Appearance { field, .. } => ObjectRole::Appearance { field: name(field) },
            Role::SigValue(f) => ObjectRole::SignatureValue { field: name(f) },
            Role::Dss => ObjectRole::Dss,
            Role::Metadata => ObjectRole::Metadata,
            Role::Info => ObjectRole::Info,
        }
    }
}

/// Computes the state of revision index `rev` in full.
pub(crate) fn compute(store: &Store<'_>, rev: usize) -> Result<State, ObjectError> {
    let mut st = State { rev, ..State::default() };
    let trailer = &store.revisions.get(rev).ok_or(ObjectError::Unreadable)?.trailer;

    // 1. Every object reachable from the trailer, once; every reference counted.
    let mut seen: NumSet<u32> = NumSet::default();
    let mut queue: Vec<u32> = Vec::new();
    let mut refs = Vec::new();
    for (k, v) in trailer.iter() {
        // The cross-reference stream's own keys are not document structure.
        if matches!(k.as_slice(), b"Prev" | b"XRefStm" | b"Length") {
            continue;
        }
        refs_of(v, &mut refs);
    }
    for r in refs.drain(..) {
        st.add_edge(TRAILER, r);
        if seen.insert(r) {
            queue.push(r);
        }
    }
    while let Some(n) = queue.pop() {
        store.charge(1)?;
        // A reachable object that does not read is not analysable: what a reader shows for it
        // is a reader's guess, and later bytes could change that guess without any revision
        // saying so. (A missing one is a dangling reference, judged when a revision fills it.)
        let Some(obj) = store.get_number(n, rev)? else { continue };
        st.counted.insert(n);
        refs_of(&obj, &mut refs);
        store.charge(refs.len() as u64)?;
        for r in refs.drain(..) {
            st.add_edge(n, r);
            if seen.insert(r) {
                queue.push(r);
            }
        }
    }

    structure(store, &mut st, rev)?;
    Ok(st)
}

/// Computes the roles of revision index `rev` again, keeping the references `st` carries (they
/// are kept exact through every revision, allowed or not; roles are carried only through allowed
/// updates, so a signed revision after a forbidden change needs them computed again).
pub(crate) fn recompute_roles(store: &Store<'_>, st: &mut State, rev: usize) -> Result<(), ObjectError> {
    st.roles = NumMap::default();
    st.fields.clear();
    st.field_names.clear();
    st.rev = rev;
    st.tainted = false;
    structure(store, st, rev)
}

/// The roles of revision index `rev`: catalog, page tree and pages, the form, /DSS, metadata,
/// /Info, and what each page reaches.
fn structure(store: &Store<'_>, st: &mut State, rev: usize) -> Result<(), ObjectError> {
    let trailer = &store.revisions.get(rev).ok_or(ObjectError::Unreadable)?.trailer;
    let root = ref_of(trailer, b"Root");
    if let Some(r) = root {
        st.add_role(r, Role::Catalog);
    }
    if let Some(i) = ref_of(trailer, b"Info") {
        st.add_role(i, Role::Info);
    }
    let catalog = match root {
        Some(r) => store.get_number(r, rev).ok().flatten(),
        None => None,
    };
    let Some(catalog) = catalog.as_deref().and_then(dict_of).cloned() else { return Ok(()) };
    let pages = walk_pages(store, st, &catalog, rev)?;
    walk_form(store, st, &catalog, rev)?;
    if let Some(m) = ref_of(&catalog, b"Metadata") {
        st.add_role(m, Role::Metadata);
    }
    if let Some(d) = ref_of(&catalog, b"DSS") {
        mark_dss(store, st, d, rev)?;
    }
    label_page_resources(store, st, &pages, rev)
}

/// Walks the page tree in order; returns the pages' object numbers.
fn walk_pages(store: &Store<'_>, st: &mut State, catalog: &Dictionary, rev: usize) -> Result<Vec<u32>, ObjectError> {
    let mut pages = Vec::new();
    let Some(top) = ref_of(catalog, b"Pages") else { return Ok(pages) };
    let mut seen: NumSet<u32> = NumSet::default();
    let mut stack = vec![top];
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        store.charge(1)?;
        let Some(obj) = store.get_number(n, rev)? else { continue };
        let Some(d) = dict_of(&obj) else { continue };
        let kind = name_entry(store, d, b"Type", rev);
        let is_node = kind.as_deref() == Some(b"Pages") || (kind.is_none() && d.has(b"Kids"));
        if is_node {
            st.add_role(n, Role::PageTree);
            if let Some(k) = ref_of(d, b"Kids") {
                st.add_role(k, Role::PageTree);
            }
            let kids = entry(store, d, b"Kids", rev)?;
            if let Some(a) = kids.array() {
                store.charge(a.len() as u64)?;
                for k in a.iter().rev() {
                    if let Object::Reference(id) = k {
                        stack.push(id.0);
                    }
                }
            }
            continue;
        }
        pages.push(n);
        let p = pages.len();
        st.add_role(n, Role::Page(p));
        if let Some(c) = ref_of(d, b"Contents") {
            st.add_role(c, Role::PageContent(p));
        }
        if let Some(a) = entry(store, d, b"Contents", rev)?.array() {
            for c in a {
                if let Object::Reference(id) = c {
                    st.add_role(id.0, Role::PageContent(p));
                }
            }
        }
        if let Some(a) = ref_of(d, b"Annots") {
            st.add_role(a, Role::AnnotationList(p));
        }
        let annots = entry(store, d, b"Annots", rev)?;
        if let Some(a) = annots.array() {
            store.charge(a.len() as u64)?;
            // Each annotation once, however often the array names it.
            let mut classified: NumSet<u32> = NumSet::default();
            for x in a {
                let Object::Reference(id) = x else { continue };
                if !classified.insert(id.0) {
                    continue;
                }
                let Some(obj) = store.get_number(id.0, rev)? else { continue };
                let widget = dict_of(&obj).and_then(|d| name_entry(store, d, b"Subtype", rev)).as_deref() == Some(b"Widget");
                if !widget {
                    st.add_role(id.0, Role::Annotation(p));
                }
            }
        }
    }
    Ok(pages)
}

/// Walks the form's field tree.
fn walk_form(store: &Store<'_>, st: &mut State, catalog: &Dictionary, rev: usize) -> Result<(), ObjectError> {
    if let Some(a) = ref_of(catalog, b"AcroForm") {
        st.add_role(a, Role::AcroForm);
    }
    let form = entry(store, catalog, b"AcroForm", rev)?;
    let Some(form) = form.dict() else { return Ok(()) };
    if let Some(f) = ref_of(form, b"Fields") {
        st.add_role(f, Role::FieldList);
    }
    let fields = entry(store, form, b"Fields", rev)?;
    let Some(fields) = fields.array() else { return Ok(()) };
    // (object, parent name, inherited FT)
    let mut stack: Vec<(u32, String, Option<Vec<u8>>)> = fields.iter().rev().filter_map(|f| match f {
        Object::Reference(id) => Some((id.0, String::new(), None)),
        _ => None,
    }).collect();
    let mut seen: NumSet<u32> = NumSet::default();
    while let Some((n, parent, inherited)) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        store.charge(1)?;
        let Some(obj) = store.get_number(n, rev)? else { continue };
        let Some(d) = dict_of(&obj) else { continue };
        let part = d.get(b"T").ok().and_then(text);
        let name = match (&part, parent.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{parent}.{p}"),
            (None, _) => parent.clone(),
        };
        let ft = name_entry(store, d, b"FT", rev).or(inherited);
        let value = if ft.as_deref() == Some(b"Sig") { ref_of(d, b"V") } else { None };
        let f = st.add_field(Field { name: name.clone(), ft: ft.clone(), value });
        st.add_role(n, Role::Field(f));
        if let Some(v) = value {
            st.add_role(v, Role::SigValue(f));
        }
        mark_appearance(store, st, d, f, rev)?;
        if let Some(k) = ref_of(d, b"Kids") {
            st.add_role(k, Role::Kids(f));
        }
        let kids = entry(store, d, b"Kids", rev)?;
        if let Some(kids) = kids.array() {
            store.charge(kids.len() as u64)?;
            for k in kids.iter().rev() {
                let Object::Reference(id) = k else { continue };
                let Some(kobj) = store.get_number(id.0, rev)? else { continue };
                let Some(kd) = dict_of(&kobj) else { continue };
                if kd.has(b"T") {
                    stack.push((id.0, name.clone(), ft.clone()));
                } else if seen.insert(id.0) {
                    st.add_role(id.0, Role::Widget(f));
                    mark_appearance(store, st, kd, f, rev)?;
                }
            }
        }
    }
    Ok(())
}

/// Marks a widget's appearance dictionary and streams as the field's.
pub(crate) fn mark_appearance(store: &Store<'_>, st: &mut State, widget: &Dictionary, f: usize, rev: usize) -> Result<(), ObjectError> {
    mark_appearance_of(store, st, widget, f, rev, &|_| true)
}

/// [`mark_appearance`] for the objects `only` accepts (a later revision gives roles to its own
/// new objects only, never to objects of the signed revision).
pub(crate) fn mark_appearance_of(store: &Store<'_>, st: &mut State, widget: &Dictionary, f: usize, rev: usize, only: &dyn Fn(u32) -> bool) -> Result<(), ObjectError> {
    let stateful = widget.has(b"AS");
    let add = |st: &mut State, n: u32, r: Role| {
        if only(n) {
            st.add_role(n, r);
        }
    };
    if let Some(a) = ref_of(widget, b"AP") {
        add(st, a, Role::ApDict(f));
    }
    let ap = entry(store, widget, b"AP", rev)?;
    let Some(ap) = ap.dict() else { return Ok(()) };
    for key in [&b"N"[..], b"R", b"D"] {
        let Ok(v) = ap.get(key) else { continue };
        let val = resolve(store, v, rev)?;
        match val.get() {
            Object::Stream(_) => {
                if let Some(n) = val.id() {
                    add(st, n, Role::Appearance { field: f, stateful });
                }
            }
            Object::Dictionary(states) => {
                if let Some(n) = val.id() {
                    add(st, n, Role::ApDict(f));
                }
                store.charge(states.len() as u64)?;
                for (_, s) in states.iter() {
                    if let Object::Reference(id) = s {
                        add(st, id.0, Role::Appearance { field: f, stateful: true });
                    }
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// Marks the /DSS and what it holds.
fn mark_dss(store: &Store<'_>, st: &mut State, dss: u32, rev: usize) -> Result<(), ObjectError> {
    let mut stack = vec![dss];
    let mut seen: NumSet<u32> = NumSet::default();
    while let Some(n) = stack.pop() {
        if !seen.insert(n) {
            continue;
        }
        store.charge(1)?;
        st.add_role(n, Role::Dss);
        let Some(obj) = store.get_number(n, rev)? else { continue };
        if matches!(obj.as_ref(), Object::Stream(_)) {
            continue;
        }
        let mut refs = Vec::new();
        refs_of(&obj, &mut refs);
        stack.extend(refs);
    }
    Ok(())
}

/// Labels what each page reaches (resources, content, non-widget annotations and their
/// appearances) with the first page that reaches it, without entering other structure.
fn label_page_resources(store: &Store<'_>, st: &mut State, pages: &[u32], rev: usize) -> Result<(), ObjectError> {
    let mut seen: NumSet<u32> = NumSet::default();
    for (i, &p) in pages.iter().enumerate() {
        let page = i + 1;
        let mut stack = vec![p];
        while let Some(n) = stack.pop() {
            if !seen.insert(n) {
                continue;
            }
            let enter = n == p
                || st.roles_of(n).iter().all(|r| matches!(r, Role::PageContent(_) | Role::AnnotationList(_) | Role::Annotation(_) | Role::Reached(_)));
            if !enter {
                continue;
            }
            if st.roles_of(n).is_empty() {
                st.add_role(n, Role::Reached(page));
            }
            store.charge(1)?;
            let Some(obj) = store.get_number(n, rev)? else { continue };
            let mut refs = Vec::new();
            match dict_of(&obj) {
                Some(d) => {
                    for (k, v) in d.iter() {
                        // Back references and the page tree are not what the page shows.
                        if !matches!(k.as_slice(), b"Parent" | b"P" | b"B" | b"StructParent" | b"StructParents") {
                            refs_of(v, &mut refs);
                        }
                    }
                }
                None => refs_of(&obj, &mut refs),
            }
            store.charge(refs.len() as u64)?;
            stack.extend(refs);
        }
    }
    Ok(())
}
