//! Values read through the revision store: resolving references, comparing objects by value,
//! collecting the references an object holds.

use super::revisions::{ObjectError, Store};
use lopdf::{Dictionary, Object};
use std::rc::Rc;

pub(crate) use super::hash::{NumMap, NumSet};

/// An object as found in a container, resolved: borrowed when direct, held when indirect.
pub(crate) enum Val<'a> {
    Direct(&'a Object),
    Indirect(u32, Rc<Object>),
    Missing,
}

impl Val<'_> {
    pub(crate) fn get(&self) -> &Object {
        match self {
            Val::Direct(o) => o,
            Val::Indirect(_, o) => o,
            Val::Missing => &Object::Null,
        }
    }
    pub(crate) fn dict(&self) -> Option<&Dictionary> {
        dict_of(self.get())
    }
    pub(crate) fn array(&self) -> Option<&Vec<Object>> {
        match self.get() {
            Object::Array(a) => Some(a),
            _ => None,
        }
    }
    /// The object number, when the value was reached through a reference.
    pub(crate) fn id(&self) -> Option<u32> {
        match self {
            Val::Indirect(n, _) => Some(*n),
            _ => None,
        }
    }
}

/// Resolves `o` in revision index `rev` (one reference; an object that is itself a reference is
/// not meaningful PDF and reads as null).
pub(crate) fn resolve<'a>(store: &Store<'_>, o: &'a Object, rev: usize) -> Result<Val<'a>, ObjectError> {
    match o {
        Object::Reference(id) => match store.get(*id, rev)? {
            Some(v) if !matches!(v.as_ref(), Object::Reference(_)) => Ok(Val::Indirect(id.0, v)),
            _ => Ok(Val::Missing),
        },
        Object::Null => Ok(Val::Missing),
        o => Ok(Val::Direct(o)),
    }
}

/// A dictionary entry, resolved.
pub(crate) fn entry<'a>(store: &Store<'_>, d: &'a Dictionary, key: &[u8], rev: usize) -> Result<Val<'a>, ObjectError> {
    match d.get(key) {
        Ok(o) => resolve(store, o, rev),
        Err(_) => Ok(Val::Missing),
    }
}

/// A name entry, resolved through a reference (`/Type 5 0 R` counts as its value).
pub(crate) fn name_entry(store: &Store<'_>, d: &Dictionary, key: &[u8], rev: usize) -> Option<Vec<u8>> {
    match entry(store, d, key, rev).ok()?.get() {
        Object::Name(n) => Some(n.clone()),
        _ => None,
    }
}

/// The object number a dictionary entry refers to, if it is a reference.
pub(crate) fn ref_of(d: &Dictionary, key: &[u8]) -> Option<u32> {
    match d.get(key) {
        Ok(Object::Reference(id)) => Some(id.0),
        _ => None,
    }
}

pub(crate) fn dict_of(o: &Object) -> Option<&Dictionary> {
    match o {
        Object::Dictionary(d) => Some(d),
        Object::Stream(s) => Some(&s.dict),
        _ => None,
    }
}

/// Equality by value, as a reader sees it: strings by their bytes (literal or hex alike),
/// numbers by value, dictionaries as maps, streams by dictionary and raw data; references by
/// object number and generation (what they point to is judged where it changed).
pub(crate) fn same(a: &Object, b: &Object) -> bool {
    match (a, b) {
        (Object::String(x, _), Object::String(y, _)) => x == y,
        (Object::Integer(x), Object::Real(y)) | (Object::Real(y), Object::Integer(x)) => (*x as f64) == f64::from(*y),
        (Object::Array(x), Object::Array(y)) => x.len() == y.len() && x.iter().zip(y).all(|(p, q)| same(p, q)),
        (Object::Dictionary(x), Object::Dictionary(y)) => same_dict(x, y),
        (Object::Stream(x), Object::Stream(y)) => x.content == y.content && same_dict(&x.dict, &y.dict),
        _ => a == b,
    }
}

pub(crate) fn same_dict(x: &Dictionary, y: &Dictionary) -> bool {
    x.len() == y.len() && x.iter().all(|(k, v)| y.get(k).is_ok_and(|w| same(v, w)))
}

/// Keys whose values differ between two dictionaries (added, removed or changed), except
/// those in `except`, sorted.
pub(crate) fn diff_keys(a: &Dictionary, b: &Dictionary, except: &[&[u8]]) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    for (k, v) in a.iter() {
        if !except.contains(&k.as_slice()) && !b.get(k).is_ok_and(|w| same(v, w)) {
            keys.push(String::from_utf8_lossy(k).into_owned());
        }
    }
    for (k, _) in b.iter() {
        if !except.contains(&k.as_slice()) && !a.has(k) {
            keys.push(String::from_utf8_lossy(k).into_owned());
        }
    }
    keys.sort();
    keys.dedup();
    keys
}

/// Every object number `o` refers to, in order (with repetitions).
pub(crate) fn refs_of(o: &Object, out: &mut Vec<u32>) {
    let mut stack = vec![o];
    while let Some(o) = stack.pop() {
        match o {
            Object::Reference(id) => out.push(id.0),
            Object::Array(a) => stack.extend(a.iter().rev()),
            Object::Dictionary(d) => stack.extend(d.iter().map(|(_, v)| v)),
            Object::Stream(s) => stack.extend(s.dict.iter().map(|(_, v)| v)),
            _ => {}
        }
    }
}

/// A rectangle with a non-zero area (ISO 32000-1 §12.5.2 /Rect), resolved.
pub(crate) fn has_area(store: &Store<'_>, d: &Dictionary, rev: usize) -> bool {
    let Ok(r) = entry(store, d, b"Rect", rev) else { return false };
    let Some(a) = r.array() else { return false };
    let v: Vec<f64> = a
        .iter()
        .filter_map(|o| match resolve(store, o, rev).ok()?.get() {
            Object::Integer(i) => Some(*i as f64),
            Object::Real(r) => Some(f64::from(*r)),
            _ => None,
        })
        .collect();
    match v.as_slice() {
        [x0, y0, x1, y1] => ((x1 - x0) * (y1 - y0)).abs() > 0.0,
        _ => false,
    }
}

/// A PDF text string as text (UTF-16BE with BOM, UTF-8 with BOM, else Latin-1).
pub(crate) fn text(o: &Object) -> Option<String> {
    match o {
        Object::String(s, _) => Some(if let Some(rest) = s.strip_prefix(&[0xFE, 0xFF]) {
            let units: Vec<u16> = rest.chunks_exact(2).map(|c| u16::from_be_bytes([c[0], c[1]])).collect();
            String::from_utf16_lossy(&units)
        } else if let Some(rest) = s.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
            String::from_utf8_lossy(rest).into_owned()
        } else {
            s.iter().map(|&b| char::from(b)).collect()
        }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use lopdf::StringFormat;

    #[test]
    fn values_compare_as_readers_see_them() {
        let lit = Object::String(b"A".to_vec(), StringFormat::Literal);
        let hex = Object::String(b"A".to_vec(), StringFormat::Hexadecimal);
        assert!(same(&lit, &hex));
        assert!(same(&Object::Integer(2), &Object::Real(2.0)));
        assert!(!same(&Object::Integer(2), &Object::Real(2.5)));
        let mut a = Dictionary::new();
        a.set("X", lit.clone());
        a.set("Y", Object::Integer(1));
        let mut b = Dictionary::new();
        b.set("Y", Object::Real(1.0));
        b.set("X", hex);
        assert!(same_dict(&a, &b));
        b.set("Z", Object::Null);
        assert_eq!(diff_keys(&a, &b, &[]), vec!["Z".to_string()]);
        assert_eq!(diff_keys(&a, &b, &[b"Z"]), Vec::<String>::new());
        let mut refs = Vec::new();
        refs_of(&Object::Array(vec![Object::Reference((3, 0)), Object::Dictionary(a), Object::Reference((4, 1))]), &mut refs);
        assert_eq!(refs, vec![3, 4]);
    }
}
