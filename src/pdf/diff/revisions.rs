//! The revisions of a PDF, each with the objects its own cross-reference sections write, and
//! every version of every object, read on demand from its offset (ISO 32000-1 §7.5.6
//! incremental updates, §7.5.4 cross-reference tables, §7.5.8 cross-reference streams, §7.5.7
//! object streams).
//!
//! A revision ends at a `%%EOF` that follows `startxref N` with N ≠ 0 (a linearized file's
//! first-page trailer says `startxref 0`; it is no revision). Its cross-reference data starts at
//! N; a /Prev that stays inside the revision's bytes is followed too (the main section of a
//! linearized file), and the /Prev that leaves them must name the previous revision's
//! `startxref`: the revisions form one chain, or the file is not analysed (a reader may assemble
//! such a file differently from what was signed). Nothing is repaired.
//!
//! Work is linear in the file: each cross-reference section is read once, each object version
//! is parsed at most once (cached), each object stream decoded at most once. Budgets (see
//! [`Store::new`]) bound what a hostile file can make this do beyond its own size.

use super::syntax::{self, Cursor};
use lopdf::{Dictionary, Object, ObjectId};
use std::cell::{Cell, RefCell};
use super::hash::{NumMap, NumSet};
use std::rc::Rc;

/// Cross-reference sections read per revision: one, two in a linearized first revision or a
/// hybrid file (table + /XRefStm); 8 leaves room and bounds a /Prev loop inside a revision.
const MAX_SECTIONS_PER_REVISION: usize = 8;
/// Largest decoded cross-reference or object stream (bytes). A 20-byte entry per object makes
/// 64 MiB room for 3 million objects, far beyond real documents.
const MAX_DECODED_STREAM: usize = 64 * 1024 * 1024;
/// Total decoded bytes of cross-reference and object streams per file: 256 MiB, lopdf's own
/// per-stream default, so that a file of many small bombs cannot use more memory than one.
const MAX_DECODED_TOTAL: usize = 256 * 1024 * 1024;

/// One end of a revision: a `%%EOF` after `startxref N`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Marker {
    /// Offset just after `%%EOF`.
    pub end: usize,
    /// Offset after the end-of-line that follows `%%EOF`, if any.
    pub end_eol: usize,
    /// The `startxref` value.
    pub startxref: usize,
}

/// The `%%EOF` markers that follow `startxref N`, in file order (N = 0 included: callers decide).
pub(crate) fn markers(pdf: &[u8]) -> Vec<Marker> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(p) = syntax::memchr_find(pdf.get(i..).unwrap_or_default(), b"%%EOF") {
        let at = i + p;
        i = at + 5;
        let t = pdf[..at].trim_ascii_end();
        let digits = t.iter().rev().take_while(|b| b.is_ascii_digit()).count();
        if digits == 0 || digits > 19 {
            continue;
        }
        let number = std::str::from_utf8(&t[t.len() - digits..]).ok().and_then(|d| d.parse::<usize>().ok());
        let t = t[..t.len() - digits].trim_ascii_end();
        let Some(startxref) = number.filter(|_| t.ends_with(b"startxref")) else { continue };
        let mut e2 = i;
        if pdf.get(e2) == Some(&b'\r') {
            e2 += 1;
        }
        if pdf.get(e2) == Some(&b'\n') {
            e2 += 1;
        }
        out.push(Marker { end: i, end_eol: e2, startxref });
    }
    out
}

/// Where an object version is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Entry {
    /// At a byte offset, with its generation.
    InUse { offset: usize, generation: u16 },
    /// In an object stream.
    Compressed { container: u32, index: u32 },
    /// Freed.
    Free,
}

/// One revision.
#[derive(Debug)]
pub(crate) struct Revision {
    /// Offset just after its `%%EOF`.
    pub end: usize,
    /// Offset after the end-of-line that follows `%%EOF`.
    pub end_eol: usize,
    /// Its trailer (for a cross-reference stream, the stream's dictionary).
    pub trailer: Dictionary,
    /// The objects its cross-reference sections list, in object-number order.
    pub entries: Vec<(u32, Entry)>,
}

/// Why the file's revisions cannot be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum StructureError {
    /// No `startxref … %%EOF`.
    NoRevision,
    /// Revision `revision` (1-based): no cross-reference data at its `startxref`, or an entry
    /// naming bytes after the revision's end.
    Xref { revision: usize },
    /// Revision `revision`'s /Prev does not lead to the previous revision.
    Chain { revision: usize },
    /// Too much work (decoded streams, sections).
    TooComplex,
}

/// Why one object version cannot be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ObjectError {
    /// It does not parse, or is not where its entry says.
    Unreadable,
    /// A work budget ran out.
    Budget,
}

/// A decoded object stream: its data, where the objects start, and (number, offset) pairs.
struct ObjStm {
    data: Vec<u8>,
    first: usize,
    offsets: Vec<(u32, usize)>,
}

/// The revisions and every object version.
pub(crate) struct Store<'a> {
    pdf: &'a [u8],
    /// In file order; index 0 is the first revision.
    pub revisions: Vec<Revision>,
    /// Per object number: (revision index, entry), in revision order.
    versions: NumMap<u32, Vec<(usize, Entry)>>,
    /// Parsed versions by (number, revision of its entry, revision of its container's entry).
    parsed: RefCell<NumMap<(u32, usize, usize), Result<Rc<Object>, ObjectError>>>,
    objstms: RefCell<NumMap<(u32, usize), Option<Rc<ObjStm>>>>,
    decoded: Cell<usize>,
    work: Cell<u64>,
    budget: u64,
    /// Byte offsets of the cross-reference streams the revisions were read from.
    xref_streams: NumSet<usize>,
}

impl<'a> Store<'a> {
    /// Reads the revisions of `pdf`. `budget` caps the units of work (objects parsed, bytes of
    /// structure read) the store will do in all; the caller derives it from the file's size.
    pub(crate) fn new(pdf: &'a [u8], budget: u64) -> Result<Store<'a>, StructureError> {
        let marks: Vec<Marker> = markers(pdf).into_iter().filter(|m| m.startxref != 0).collect();
        if marks.is_empty() {
            return Err(StructureError::NoRevision);
        }
        let mut store = Store {
            pdf,
            revisions: Vec::new(),
            versions: NumMap::default(),
            parsed: RefCell::new(NumMap::default()),
            objstms: RefCell::new(NumMap::default()),
            decoded: Cell::new(0),
            work: Cell::new(0),
            budget,
            xref_streams: NumSet::default(),
        };
        let mut span_start = 0usize;
        let mut prev_startxref: Option<usize> = None;
        for (k, m) in marks.iter().enumerate() {
            let revision = k + 1;
            let mut entries: NumMap<u32, Entry> = NumMap::default();
            let mut trailer: Option<Dictionary> = None;
            let mut off = m.startxref;
            let mut sections = 0;
            loop {
                sections += 1;
                if sections > MAX_SECTIONS_PER_REVISION {
                    return Err(StructureError::Chain { revision });
                }
                let sec = store.section(off, m.end).ok_or(StructureError::Xref { revision })?;
                if sec.is_stream {
                    store.xref_streams.insert(off);
                }
                store.charge(sec.entries.len() as u64 + 1).map_err(|_| StructureError::TooComplex)?;
                for (n, e) in sec.entries {
                    entries.entry(n).or_insert(e);
                }
                // A hybrid file's table names a cross-reference stream with more entries.
                if let Some(x) = sec.xref_stm {
                    let extra = store.section(x, m.end).filter(|s| s.is_stream).ok_or(StructureError::Xref { revision })?;
                    store.xref_streams.insert(x);
                    for (n, e) in extra.entries {
                        match entries.get(&n) {
                            Some(Entry::InUse { .. } | Entry::Compressed { .. }) => {}
                            _ => {
                                entries.insert(n, e);
                            }
                        }
                    }
                }
                if trailer.is_none() {
                    trailer = Some(sec.trailer);
                }
                match sec.prev {
                    None if prev_startxref.is_none() => break,
                    Some(p) if Some(p) == prev_startxref => break,
                    Some(p) if p >= span_start && p < m.end && p != off => off = p,
                    _ => return Err(StructureError::Chain { revision }),
                }
            }
            let trailer = trailer.ok_or(StructureError::Xref { revision })?;
            // An entry naming bytes after the revision's end names an object the signer of that
            // revision could not have seen, which later bytes would supply.
            if entries.values().any(|e| matches!(e, Entry::InUse { offset, .. } if *offset >= m.end)) {
                return Err(StructureError::Xref { revision });
            }
            let mut entries: Vec<(u32, Entry)> = entries.into_iter().collect();
            entries.sort_unstable_by_key(|(n, _)| *n);
            for (n, e) in &entries {
                store.versions.entry(*n).or_default().push((k, *e));
            }
            store.revisions.push(Revision { end: m.end, end_eol: m.end_eol, trailer, entries });
            span_start = m.end;
            prev_startxref = Some(m.startxref);
        }
        Ok(store)
    }

    /// Counts `units` of work against the budget.
    pub(crate) fn charge(&self, units: u64) -> Result<(), ObjectError> {
        let w = self.work.get().saturating_add(units);
        self.work.set(w);
        if w > self.budget {
            Err(ObjectError::Budget)
        } else {
            Ok(())
        }
    }

    /// The version of object `n` visible in revision index `rev` (0-based): the revision that
    /// wrote it and its entry; `None` when it was never written or its latest entry is free.
    pub(crate) fn entry_at(&self, n: u32, rev: usize) -> Option<(usize, Entry)> {
        let v = self.versions.get(&n)?;
        let i = v.partition_point(|(r, _)| *r <= rev);
        let (r, e) = *v.get(i.checked_sub(1)?)?;
        match e {
            Entry::Free => None,
            e => Some((r, e)),
        }
    }

    /// Whether the version of object `n` visible in revision index `rev` is one of the
    /// cross-reference streams the revisions were read from (file structure, not document
    /// content; a stream that only says /Type /XRef is not enough).
    pub(crate) fn is_xref_stream(&self, n: u32, rev: usize) -> bool {
        matches!(self.entry_at(n, rev), Some((_, Entry::InUse { offset, .. })) if self.xref_streams.contains(&offset))
    }

    /// Whether object `n` exists (is in use) in revision index `rev`.
    pub(crate) fn exists(&self, n: u32, rev: usize) -> bool {
        self.entry_at(n, rev).is_some()
    }

    /// Object `id` as revision index `rev` sees it: `Ok(None)` when it does not exist there or
    /// its generation differs (a reference to it is then to the null object).
    pub(crate) fn get(&self, id: ObjectId, rev: usize) -> Result<Option<Rc<Object>>, ObjectError> {
        let Some((defined, entry)) = self.entry_at(id.0, rev) else { return Ok(None) };
        let generation = match entry {
            Entry::InUse { generation, .. } => generation,
            _ => 0,
        };
        if generation != id.1 {
            return Ok(None);
        }
        self.version(id.0, defined, entry, rev).map(Some)
    }

    /// Object number `n` in revision index `rev`, whatever its generation.
    pub(crate) fn get_number(&self, n: u32, rev: usize) -> Result<Option<Rc<Object>>, ObjectError> {
        let Some((defined, entry)) = self.entry_at(n, rev) else { return Ok(None) };
        self.version(n, defined, entry, rev).map(Some)
    }

    /// The generation of object `n` in revision index `rev`.
    pub(crate) fn generation(&self, n: u32, rev: usize) -> u16 {
        match self.entry_at(n, rev) {
            Some((_, Entry::InUse { generation, .. })) => generation,
            _ => 0,
        }
    }

    /// The version of object `n` whose entry revision `defined` wrote, as revision index `rev`
    /// reads it: an object in an object stream is read from the container that revision `rev`
    /// has (what a reader does with the cross-reference data in force), so rewriting a container
    /// changes what its objects read as.
    fn version(&self, n: u32, defined: usize, entry: Entry, rev: usize) -> Result<Rc<Object>, ObjectError> {
        let container = match entry {
            Entry::Compressed { container, .. } => match self.entry_at(container, rev) {
                Some((d, Entry::InUse { .. })) => d,
                _ => return Err(ObjectError::Unreadable),
            },
            _ => 0,
        };
        let key = (n, defined, container);
        if let Some(r) = self.parsed.borrow().get(&key) {
            return r.clone();
        }
        let r = self.parse(n, defined, entry, container);
        self.parsed.borrow_mut().insert(key, r.clone());
        r
    }

    /// The bytes revision index `rev` consists of (and those before it): an entry cannot name
    /// an object the signer could not have seen.
    fn bytes_of(&self, rev: usize) -> &'a [u8] {
        let end = self.revisions.get(rev).map_or(self.pdf.len(), |r| r.end);
        self.pdf.get(..end).unwrap_or(self.pdf)
    }

    fn parse(&self, n: u32, defined: usize, entry: Entry, container_rev: usize) -> Result<Rc<Object>, ObjectError> {
        self.charge(1)?;
        match entry {
            Entry::Free => Err(ObjectError::Unreadable),
            Entry::InUse { offset, generation } => {
                // An indirect /Length is resolved in the revision that wrote the stream (a later
                // change to that length object is a change of its own, judged by the analysis).
                let mut length_of = |id: ObjectId| -> Option<i64> {
                    if id.0 == n {
                        return None;
                    }
                    match self.get(id, defined).ok()??.as_ref() {
                        Object::Integer(i) => Some(*i),
                        _ => None,
                    }
                };
                let (id, obj) = syntax::indirect_object(self.bytes_of(defined), offset, &mut length_of).map_err(|_| ObjectError::Unreadable)?;
                if id != (n, generation) {
                    return Err(ObjectError::Unreadable);
                }
                self.charge(object_size(&obj))?;
                Ok(Rc::new(obj))
            }
            Entry::Compressed { container, index } => {
                let stm = self.objstm(container, container_rev)?;
                let (num, off) = *stm.offsets.get(index as usize).ok_or(ObjectError::Unreadable)?;
                if num != n {
                    return Err(ObjectError::Unreadable);
                }
                let at = stm.first.checked_add(off).ok_or(ObjectError::Unreadable)?;
                let (obj, _) = syntax::direct_object(&stm.data, at).map_err(|_| ObjectError::Unreadable)?;
                if matches!(obj, Object::Reference(_)) {
                    // ISO 32000-1 §7.5.7: an object in an object stream is not a bare reference.
                    return Err(ObjectError::Unreadable);
                }
                self.charge(object_size(&obj))?;
                Ok(Rc::new(obj))
            }
        }
    }

    /// The object stream `container` as revision index `rev` sees it.
    fn objstm(&self, container: u32, rev: usize) -> Result<Rc<ObjStm>, ObjectError> {
        let (defined, entry) = self.entry_at(container, rev).ok_or(ObjectError::Unreadable)?;
        if let Some(s) = self.objstms.borrow().get(&(container, defined)) {
            return s.clone().ok_or(ObjectError::Unreadable);
        }
        let decoded = match entry {
            Entry::InUse { .. } => self.decode_objstm(container, defined, entry),
            _ => Err(ObjectError::Unreadable),
        };
        if matches!(decoded, Err(ObjectError::Budget)) {
            return Err(ObjectError::Budget);
        }
        let stm = decoded.ok().map(Rc::new);
        self.objstms.borrow_mut().insert((container, defined), stm.clone());
        stm.ok_or(ObjectError::Unreadable)
    }

    fn decode_objstm(&self, container: u32, defined: usize, entry: Entry) -> Result<ObjStm, ObjectError> {
        let obj = self.version(container, defined, entry, defined)?;
        let Object::Stream(s) = obj.as_ref() else { return Err(ObjectError::Unreadable) };
        if !matches!(s.dict.get(b"Type"), Ok(Object::Name(t)) if t == b"ObjStm") {
            return Err(ObjectError::Unreadable);
        }
        let int = |k: &[u8]| match s.dict.get(k) {
            Ok(Object::Integer(i)) => usize::try_from(*i).ok(),
            _ => None,
        };
        let (count, first) = (int(b"N").ok_or(ObjectError::Unreadable)?, int(b"First").ok_or(ObjectError::Unreadable)?);
        let data = self.decode(s)?;
        if first > data.len() || count > data.len() {
            return Err(ObjectError::Unreadable);
        }
        let mut c = Cursor::new(&data, 0);
        let mut offsets = Vec::with_capacity(count);
        for _ in 0..count {
            let num = c.unsigned().and_then(|v| u32::try_from(v).ok()).ok_or(ObjectError::Unreadable)?;
            let off = c.unsigned().and_then(|v| usize::try_from(v).ok()).ok_or(ObjectError::Unreadable)?;
            if c.pos > first {
                return Err(ObjectError::Unreadable);
            }
            offsets.push((num, off));
        }
        self.charge(count as u64)?;
        Ok(ObjStm { data, first, offsets })
    }

    /// Decodes a stream's data within the budgets.
    pub(crate) fn decode(&self, s: &lopdf::Stream) -> Result<Vec<u8>, ObjectError> {
        let left = MAX_DECODED_TOTAL.saturating_sub(self.decoded.get());
        let limit = left.min(MAX_DECODED_STREAM);
        let data = if s.dict.has(b"Filter") {
            // lopdf's decoders are used whole, and may panic on crafted data: caught here as
            // the PDF loader does (a panic is an unreadable stream, not an abort).
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| s.decompressed_content_with_limit(limit)))
                .map_err(|_| ObjectError::Unreadable)?
                .map_err(|_| if limit < MAX_DECODED_STREAM { ObjectError::Budget } else { ObjectError::Unreadable })?
        } else {
            if s.content.len() > limit {
                return Err(ObjectError::Budget);
            }
            s.content.clone()
        };
        self.decoded.set(self.decoded.get().saturating_add(data.len()));
        self.charge(data.len() as u64 / 64)?;
        Ok(data)
    }

    /// A cross-reference section at `off`, in the bytes before `limit` (the end of its
    /// revision): a table (`xref` … `trailer`) or a stream.
    fn section(&self, off: usize, limit: usize) -> Option<Section> {
        let pdf = self.pdf.get(..limit)?;
        let mut c = Cursor::new(pdf, off);
        c.skip_ws();
        if c.keyword(b"xref") {
            return self.table(c, pdf);
        }
        let (_, obj) = syntax::indirect_object(pdf, off, &mut |_| None).ok()?;
        let Object::Stream(s) = obj else { return None };
        if !matches!(s.dict.get(b"Type"), Ok(Object::Name(t)) if t == b"XRef") {
            return None;
        }
        let data = self.decode(&s).ok()?;
        let ints = |o: &Object| -> Option<Vec<usize>> {
            match o {
                Object::Array(a) => a.iter().map(|v| if let Object::Integer(i) = v { usize::try_from(*i).ok() } else { None }).collect(),
                _ => None,
            }
        };
        let w = ints(s.dict.get(b"W").ok()?)?;
        let [w0, w1, w2] = <[usize; 3]>::try_from(w).ok()?;
        if w0 > 8 || w1 > 8 || w2 > 8 || w0 + w1 + w2 == 0 {
            return None;
        }
        let size = match s.dict.get(b"Size") {
            Ok(Object::Integer(i)) => usize::try_from(*i).ok()?,
            _ => return None,
        };
        let index = match s.dict.get(b"Index") {
            Ok(o) => ints(o)?,
            Err(_) => vec![0, size],
        };
        if index.len() % 2 != 0 {
            return None;
        }
        let row = w0 + w1 + w2;
        let mut entries = Vec::new();
        let mut rows = data.chunks_exact(row);
        for pair in index.chunks_exact(2) {
            let (start, count) = (pair[0], pair[1]);
            for i in 0..count {
                let r = rows.next()?;
                // A big-endian field of `width` ≤ 8 bytes (ISO 32000-1 §7.5.8.2).
                let field = |from: usize, width: usize| {
                    let mut be = [0u8; 8];
                    be[8 - width..].copy_from_slice(&r[from..from + width]);
                    u64::from_be_bytes(be)
                };
                let kind = if w0 == 0 { 1 } else { field(0, w0) };
                let (f2, f3) = (field(w0, w1), field(w0 + w1, w2));
                let n = u32::try_from(start.checked_add(i)?).ok()?;
                let e = match kind {
                    0 => Entry::Free,
                    1 => Entry::InUse { offset: usize::try_from(f2).ok()?, generation: u16::try_from(f3).ok()? },
                    2 => Entry::Compressed { container: u32::try_from(f2).ok()?, index: u32::try_from(f3).ok()? },
                    // ISO 32000-1 §7.5.8.3: other types are references to the null object.
                    _ => Entry::Free,
                };
                entries.push((n, e));
            }
        }
        let prev = match s.dict.get(b"Prev") {
            Ok(Object::Integer(p)) => Some(usize::try_from(*p).ok()?),
            Ok(_) => return None,
            Err(_) => None,
        };
        Some(Section { entries, trailer: s.dict, prev, xref_stm: None, is_stream: true })
    }

    fn table(&self, mut c: Cursor<'_>, pdf: &[u8]) -> Option<Section> {
        let mut entries = Vec::new();
        loop {
            c.skip_ws();
            if c.keyword(b"trailer") {
                break;
            }
            let start = c.unsigned()?;
            let count = c.unsigned()?;
            // Each entry takes at least 18 bytes: no count beyond what the file can hold.
            if count > (pdf.len() as u64) / 18 + 1 {
                return None;
            }
            for i in 0..count {
                let offset = c.unsigned()?;
                let generation = c.unsigned()?;
                c.skip_ws();
                let n = u32::try_from(start.checked_add(i)?).ok()?;
                let e = if c.keyword(b"n") {
                    match (usize::try_from(offset).ok()?, u16::try_from(generation).ok()?) {
                        (0, _) => Entry::Free,
                        (offset, generation) => Entry::InUse { offset, generation },
                    }
                } else if c.keyword(b"f") {
                    Entry::Free
                } else {
                    return None;
                };
                entries.push((n, e));
            }
        }
        let (trailer, _) = syntax::direct_object(pdf, c.pos).ok()?;
        let Object::Dictionary(trailer) = trailer else { return None };
        let num = |k: &[u8]| -> Option<Option<usize>> {
            match trailer.get(k) {
                Ok(Object::Integer(p)) => Some(Some(usize::try_from(*p).ok()?)),
                Ok(_) => None,
                Err(_) => Some(None),
            }
        };
        let (prev, xref_stm) = (num(b"Prev")?, num(b"XRefStm")?);
        Some(Section { entries, trailer, prev, xref_stm, is_stream: false })
    }
}

struct Section {
    entries: Vec<(u32, Entry)>,
    trailer: Dictionary,
    prev: Option<usize>,
    xref_stm: Option<usize>,
    is_stream: bool,
}

/// A size measure of an object, for the work budget: its values, and its stream data in 64-byte
/// units.
pub(crate) fn object_size(o: &Object) -> u64 {
    let mut n = 0u64;
    let mut stack = vec![o];
    while let Some(o) = stack.pop() {
        n += 1;
        match o {
            Object::Array(a) => stack.extend(a.iter()),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| v)),
            Object::Stream(s) => {
                n += s.content.len() as u64 / 64;
                stack.extend(s.dict.iter().map(|(_, v)| v));
            }
            _ => {}
        }
    }
    n
}

#[cfg(test)]
mod tests {
    use super::*;

    const BASE: &str = "%PDF-1.7\n1 0 obj <</Type/Catalog/Pages 2 0 R>> endobj\n2 0 obj <</Type/Pages/Kids[]/Count 0>> endobj\n";

    fn with_table(body: &str) -> String {
        let o1 = body.find("1 0 obj").unwrap();
        let o2 = body.find("2 0 obj").unwrap();
        let x = body.len();
        format!("{body}xref\n0 3\n0000000000 65535 f \n{o1:010} 00000 n \n{o2:010} 00000 n \ntrailer <</Size 3/Root 1 0 R>>\nstartxref\n{x}\n%%EOF\n")
    }

    #[test]
    fn markers_need_startxref() {
        let pdf = b"%PDF-1.7\nstream %%EOF endstream\nstartxref\n123\n%%EOF\nmore\nstartxref 9 %%EOF";
        let m = markers(pdf);
        assert_eq!(m.len(), 2);
        assert_eq!((m[0].startxref, m[1].startxref), (123, 9));
        assert_eq!(m[1].end, pdf.len());
    }

    #[test]
    fn an_update_is_a_revision_with_its_own_entries() {
        let one = with_table(BASE);
        let upd_at = one.len();
        let obj2 = format!("2 0 obj <</Type/Pages/Kids[]/Count 0/X 1>> endobj\n");
        let x = upd_at + obj2.len();
        let two = format!("{one}{obj2}xref\n0 1\n0000000000 65535 f \n2 1\n{upd_at:010} 00000 n \ntrailer <</Size 3/Root 1 0 R/Prev {}>>\nstartxref\n{x}\n%%EOF\n", one.find("xref").unwrap());
        let s = Store::new(two.as_bytes(), 1 << 20).unwrap();
        assert_eq!(s.revisions.len(), 2);
        assert_eq!(s.revisions[1].entries, vec![(0, Entry::Free), (2, Entry::InUse { offset: upd_at, generation: 0 })]);
        let old = s.get((2, 0), 0).unwrap().unwrap();
        let new = s.get((2, 0), 1).unwrap().unwrap();
        assert!(!old.as_dict().unwrap().has(b"X"));
        assert!(new.as_dict().unwrap().has(b"X"));
        assert!(s.get((1, 0), 1).unwrap().is_some());
        assert!(s.get((1, 1), 1).unwrap().is_none(), "generation differs");
        // A /Prev that does not name the previous revision breaks the chain.
        let broken = two.replace(&format!("/Prev {}", one.find("xref").unwrap()), "/Prev 9");
        assert!(matches!(Store::new(broken.as_bytes(), 1 << 20), Err(StructureError::Chain { revision: 2 })));
    }

    #[test]
    fn entries_cannot_name_bytes_after_their_revision() {
        // The revision lists object 3 at an offset after its own %%EOF: a reader of that
        // revision saw nothing there; appended bytes would make it appear.
        let o1 = BASE.find("1 0 obj").unwrap();
        let o2 = BASE.find("2 0 obj").unwrap();
        let x = BASE.len();
        let rev = |far: usize| format!("{BASE}xref\n0 4\n0000000000 65535 f \n{o1:010} 00000 n \n{o2:010} 00000 n \n{far:010} 00000 n \ntrailer <</Size 4/Root 1 0 R>>\nstartxref\n{x}\n%%EOF\n");
        let far = rev(0).len();
        let pdf = format!("{}3 0 obj (later) endobj\n", rev(far));
        assert_eq!(pdf.find("3 0 obj"), Some(far));
        assert_eq!(Store::new(pdf.as_bytes(), 1 << 20).err(), Some(StructureError::Xref { revision: 1 }));
        // Inside the revision, the same entry is fine.
        let inside = format!("{BASE}3 0 obj (now) endobj\n");
        let o3 = BASE.len();
        let x = inside.len();
        let pdf = format!("{inside}xref\n0 4\n0000000000 65535 f \n{o1:010} 00000 n \n{o2:010} 00000 n \n{o3:010} 00000 n \ntrailer <</Size 4/Root 1 0 R>>\nstartxref\n{x}\n%%EOF\n");
        assert!(Store::new(pdf.as_bytes(), 1 << 20).unwrap().get((3, 0), 0).unwrap().is_some());
    }

    #[test]
    fn objects_in_a_stream_read_from_the_container_in_force() {
        // Revision 1: object 5 in object stream 4. Revision 2 rewrites the container only: a
        // reader now reads object 5 from the new container, though no entry for 5 changed.
        let data1 = "5 0 (old)";
        let data2 = "5 0 (new)";
        let mut pdf = String::from("%PDF-1.7\n");
        let o1 = pdf.len();
        pdf += "1 0 obj <</Type/Catalog/X 5 0 R>> endobj\n";
        let o4 = pdf.len();
        pdf += &format!("4 0 obj <</Type/ObjStm/N 1/First 4/Length {}>> stream\n{data1}\nendstream endobj\n", data1.len());
        let x1 = pdf.len();
        pdf += &format!("xref\n0 2\n0000000000 65535 f \n{o1:010} 00000 n \n4 1\n{o4:010} 00000 n \ntrailer <</Size 6/Root 1 0 R>>\nstartxref\n{x1}\n%%EOF\n");
        // object 5 is compressed: a cross-reference stream would say so; a table cannot, so the
        // test puts the entry in by hand after reading.
        let o4b = pdf.len();
        pdf += &format!("4 0 obj <</Type/ObjStm/N 1/First 4/Length {}>> stream\n{data2}\nendstream endobj\n", data2.len());
        let x2 = pdf.len();
        pdf += &format!("xref\n4 1\n{o4b:010} 00000 n \ntrailer <</Size 6/Root 1 0 R/Prev {x1}>>\nstartxref\n{x2}\n%%EOF\n");
        let mut s = Store::new(pdf.as_bytes(), 1 << 20).unwrap();
        s.versions.entry(5).or_default().push((0, Entry::Compressed { container: 4, index: 0 }));
        let lit = |o: Option<Rc<Object>>| match o.as_deref() {
            Some(Object::String(v, _)) => String::from_utf8_lossy(v).into_owned(),
            other => panic!("{other:?}"),
        };
        assert_eq!(lit(s.get((5, 0), 0).unwrap()), "old");
        assert_eq!(lit(s.get((5, 0), 1).unwrap()), "new");
    }

    #[test]
    fn budgets_stop_work() {
        let one = with_table(BASE);
        assert_eq!(Store::new(one.as_bytes(), 3).err(), Some(StructureError::TooComplex));
        // 4 units for the section, then each object costs 1 + its size.
        let s = Store::new(one.as_bytes(), 10).unwrap();
        assert!(s.get((1, 0), 0).is_ok());
        assert_eq!(s.get((2, 0), 0).err(), Some(ObjectError::Budget));
        let s = Store::new(one.as_bytes(), 100).unwrap();
        assert!(s.get((2, 0), 0).unwrap().is_some());
    }
}
