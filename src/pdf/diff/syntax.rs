//! PDF object syntax (ISO 32000-1 §7.2–7.3), read at a byte offset: direct objects, indirect
//! objects (`N G obj … endobj`) and streams, into `lopdf` values.
//!
//! The difference analysis reads every *version* of an object — the one the signed revision
//! holds and the ones later revisions write — from the offsets of each revision's own
//! cross-reference section; `lopdf` loads only the newest version of each object, so this small
//! reader sits beside it. It never repairs: what does not parse is an error, and the analysis
//! reports the file as not analysable rather than guess what a reader would show.
//!
//! Budgets: nesting deeper than [`MAX_DEPTH`] is refused (real files nest a handful of levels;
//! the bound keeps recursion off the stack's edge); everything else is bounded by the input's
//! length, each byte being read once per object parsed.

use lopdf::{Dictionary, Object, ObjectId, Stream, StringFormat};

/// Deepest nesting of arrays and dictionaries accepted (lopdf's own parser allows 100).
pub(crate) const MAX_DEPTH: usize = 64;

/// Why an object could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SyntaxError {
    /// The input ended inside the object.
    Eof,
    /// A byte that cannot start or continue the expected token.
    Unexpected(usize),
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep,
    /// A number out of range.
    Number(usize),
    /// Not `N G obj` at the offset.
    NotAnObject(usize),
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'\x0c' | b'\0')
}

fn is_delim(b: u8) -> bool {
    matches!(b, b'(' | b')' | b'<' | b'>' | b'[' | b']' | b'{' | b'}' | b'/' | b'%')
}

fn is_regular(b: u8) -> bool {
    !is_ws(b) && !is_delim(b)
}

/// A cursor over the file.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pub(crate) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8], pos: usize) -> Cursor<'a> {
        Cursor { buf, pos }
    }

    fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Skips white space and comments.
    pub(crate) fn skip_ws(&mut self) {
        while let Some(b) = self.peek() {
            if is_ws(b) {
                self.pos += 1;
            } else if b == b'%' {
                while let Some(c) = self.peek() {
                    if c == b'\r' || c == b'\n' {
                        break;
                    }
                    self.pos += 1;
                }
            } else {
                break;
            }
        }
    }

    /// The next token is the keyword `kw` (followed by a delimiter, white space or the end).
    pub(crate) fn at_keyword(&self, kw: &[u8]) -> bool {
        self.rest().starts_with(kw) && self.buf.get(self.pos + kw.len()).is_none_or(|b| !is_regular(*b))
    }

    /// Consumes the keyword `kw` if it is next (after white space).
    pub(crate) fn keyword(&mut self, kw: &[u8]) -> bool {
        self.skip_ws();
        if self.at_keyword(kw) {
            self.pos += kw.len();
            true
        } else {
            false
        }
    }

    /// An unsigned decimal integer token (no sign, no point).
    pub(crate) fn unsigned(&mut self) -> Option<u64> {
        self.skip_ws();
        let start = self.pos;
        let mut v: u64 = 0;
        while let Some(b) = self.peek().filter(u8::is_ascii_digit) {
            v = v.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
            self.pos += 1;
        }
        if self.pos == start || self.peek().is_some_and(is_regular) {
            self.pos = start;
            return None;
        }
        Some(v)
    }

    /// One direct object. References (`N G R`) are recognised.
    pub(crate) fn object(&mut self, depth: usize) -> Result<Object, SyntaxError> {
        if depth > MAX_DEPTH {
            return Err(SyntaxError::TooDeep);
        }
        self.skip_ws();
        let start = self.pos;
        let b = self.peek().ok_or(SyntaxError::Eof)?;
        match b {
            b'/' => Ok(Object::Name(self.name()?)),
            b'(' => Ok(Object::String(self.literal()?, StringFormat::Literal)),
            b'<' if self.buf.get(self.pos + 1) == Some(&b'<') => Ok(Object::Dictionary(self.dict(depth)?)),
            b'<' => Ok(Object::String(self.hex()?, StringFormat::Hexadecimal)),
            b'[' => {
                self.pos += 1;
                let mut items = Vec::new();
                loop {
                    self.skip_ws();
                    match self.peek() {
                        None => return Err(SyntaxError::Eof),
                        Some(b']') => {
                            self.pos += 1;
                            return Ok(Object::Array(items));
                        }
                        Some(_) => items.push(self.object(depth + 1)?),
                    }
                }
            }
            b'+' | b'-' | b'.' | b'0'..=b'9' => self.number_or_reference(),
            _ if self.at_keyword(b"true") => {
                self.pos += 4;
                Ok(Object::Boolean(true))
            }
            _ if self.at_keyword(b"false") => {
                self.pos += 5;
                Ok(Object::Boolean(false))
            }
            _ if self.at_keyword(b"null") => {
                self.pos += 4;
                Ok(Object::Null)
            }
            _ => Err(SyntaxError::Unexpected(start)),
        }
    }

    fn dict(&mut self, depth: usize) -> Result<Dictionary, SyntaxError> {
        self.pos += 2;
        let mut d = Dictionary::new();
        loop {
            self.skip_ws();
            match self.peek() {
                None => return Err(SyntaxError::Eof),
                Some(b'>') => {
                    if self.buf.get(self.pos + 1) == Some(&b'>') {
                        self.pos += 2;
                        return Ok(d);
                    }
                    return Err(SyntaxError::Unexpected(self.pos));
                }
                Some(b'/') => {
                    let key = self.name()?;
                    let value = self.object(depth + 1)?;
                    // ISO 32000-1 §7.3.7: a null value is the same as an absent entry. A key
                    // written twice keeps its first value, as most readers do.
                    if !matches!(value, Object::Null) && !d.has(&key) {
                        d.set(key, value);
                    }
                }
                Some(_) => return Err(SyntaxError::Unexpected(self.pos)),
            }
        }
    }

    fn name(&mut self) -> Result<Vec<u8>, SyntaxError> {
        self.pos += 1; // '/'
        let mut out = Vec::new();
        while let Some(b) = self.peek().filter(|b| is_regular(*b)) {
            if b == b'#' {
                let h = self.buf.get(self.pos + 1..self.pos + 3).and_then(|h| std::str::from_utf8(h).ok()).and_then(|h| u8::from_str_radix(h, 16).ok());
                match h {
                    Some(v) => {
                        out.push(v);
                        self.pos += 3;
                        continue;
                    }
                    None => return Err(SyntaxError::Unexpected(self.pos)),
                }
            }
            out.push(b);
            self.pos += 1;
        }
        Ok(out)
    }

    fn literal(&mut self) -> Result<Vec<u8>, SyntaxError> {
        self.pos += 1; // '('
        let mut out = Vec::new();
        let mut level = 1usize;
        loop {
            let b = self.peek().ok_or(SyntaxError::Eof)?;
            self.pos += 1;
            match b {
                b'(' => {
                    level += 1;
                    out.push(b);
                }
                b')' => {
                    level -= 1;
                    if level == 0 {
                        return Ok(out);
                    }
                    out.push(b);
                }
                b'\\' => {
                    let e = self.peek().ok_or(SyntaxError::Eof)?;
                    self.pos += 1;
                    match e {
                        b'n' => out.push(b'\n'),
                        b'r' => out.push(b'\r'),
                        b't' => out.push(b'\t'),
                        b'b' => out.push(0x08),
                        b'f' => out.push(0x0c),
                        b'0'..=b'7' => {
                            let mut v = u32::from(e - b'0');
                            for _ in 0..2 {
                                match self.peek() {
                                    Some(d @ b'0'..=b'7') => {
                                        v = v * 8 + u32::from(d - b'0');
                                        self.pos += 1;
                                    }
                                    _ => break,
                                }
                            }
                            out.push((v & 0xff) as u8);
                        }
                        b'\r' => {
                            if self.peek() == Some(b'\n') {
                                self.pos += 1;
                            }
                        }
                        b'\n' => {}
                        other => out.push(other),
                    }
                }
                b'\r' => {
                    // An end-of-line in a literal string is read as \n (ISO 32000-1 §7.3.4.2).
                    if self.peek() == Some(b'\n') {
                        self.pos += 1;
                    }
                    out.push(b'\n');
                }
                other => out.push(other),
            }
        }
    }

    fn hex(&mut self) -> Result<Vec<u8>, SyntaxError> {
        self.pos += 1; // '<'
        let mut out = Vec::new();
        let mut high: Option<u8> = None;
        loop {
            let b = self.peek().ok_or(SyntaxError::Eof)?;
            self.pos += 1;
            let v = match b {
                b'>' => {
                    if let Some(h) = high {
                        out.push(h << 4);
                    }
                    return Ok(out);
                }
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ if is_ws(b) => continue,
                _ => return Err(SyntaxError::Unexpected(self.pos - 1)),
            };
            match high.take() {
                Some(h) => out.push(h << 4 | v),
                None => high = Some(v),
            }
        }
    }

    fn number_or_reference(&mut self) -> Result<Object, SyntaxError> {
        let start = self.pos;
        let first = self.number()?;
        if let Object::Integer(n) = first {
            // `N G R`: two unsigned integers and the keyword R.
            let after = self.pos;
            let is_ref = (|| {
                let num = u32::try_from(n).ok()?;
                if self.buf.get(start).is_some_and(|b| !b.is_ascii_digit()) {
                    return None;
                }
                let g = self.unsigned()?;
                let g = u16::try_from(g).ok()?;
                self.keyword(b"R").then_some((num, g))
            })();
            match is_ref {
                Some(id) => return Ok(Object::Reference(id)),
                None => self.pos = after,
            }
        }
        Ok(first)
    }

    fn number(&mut self) -> Result<Object, SyntaxError> {
        let start = self.pos;
        while self.peek().is_some_and(|b| matches!(b, b'+' | b'-' | b'.' | b'0'..=b'9')) {
            self.pos += 1;
        }
        let tok = &self.buf[start..self.pos];
        if self.peek().is_some_and(is_regular) {
            return Err(SyntaxError::Unexpected(self.pos));
        }
        let text = std::str::from_utf8(tok).map_err(|_| SyntaxError::Number(start))?;
        if !tok.contains(&b'.') {
            return text.parse::<i64>().map(Object::Integer).map_err(|_| SyntaxError::Number(start));
        }
        // Reals: optional sign, digits with one point (`-.5`, `3.`); no exponent in PDF.
        let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
        if unsigned.is_empty() || unsigned == "." || unsigned.contains(['+', '-']) || unsigned.matches('.').count() != 1 {
            return Err(SyntaxError::Number(start));
        }
        let v: f64 = text.trim_end_matches('.').parse().or_else(|_| format!("{text}0").parse()).map_err(|_| SyntaxError::Number(start))?;
        if !v.is_finite() || v.abs() > f64::from(f32::MAX) {
            return Err(SyntaxError::Number(start));
        }
        Ok(Object::Real(v as f32))
    }
}

/// Reads one direct object at `pos`.
pub(crate) fn direct_object(buf: &[u8], pos: usize) -> Result<(Object, usize), SyntaxError> {
    let mut c = Cursor::new(buf, pos);
    let o = c.object(0)?;
    Ok((o, c.pos))
}

/// The header of an indirect object at `pos`: `N G obj`, its id and the offset after `obj`.
pub(crate) fn object_header(buf: &[u8], pos: usize) -> Result<(ObjectId, usize), SyntaxError> {
    let mut c = Cursor::new(buf, pos);
    let num = c.unsigned().and_then(|n| u32::try_from(n).ok()).ok_or(SyntaxError::NotAnObject(pos))?;
    let generation = c.unsigned().and_then(|g| u16::try_from(g).ok()).ok_or(SyntaxError::NotAnObject(pos))?;
    if !c.keyword(b"obj") {
        return Err(SyntaxError::NotAnObject(pos));
    }
    Ok(((num, generation), c.pos))
}

/// Reads the indirect object at `pos`. A stream's length comes from its /Length when that is
/// an integer or a reference `length_of` can resolve, and is followed by `endstream`;
/// otherwise the data runs to the first `endstream` (as readers do for a wrong /Length).
pub(crate) fn indirect_object(
    buf: &[u8],
    pos: usize,
    length_of: &mut dyn FnMut(ObjectId) -> Option<i64>,
) -> Result<(ObjectId, Object), SyntaxError> {
    let (id, body) = object_header(buf, pos)?;
    let mut c = Cursor::new(buf, body);
    let obj = c.object(0)?;
    let Object::Dictionary(dict) = obj else { return Ok((id, obj)) };
    if !c.keyword(b"stream") {
        return Ok((id, Object::Dictionary(dict)));
    }
    // `stream` is followed by CRLF or LF (a lone CR is accepted too).
    let mut start = c.pos;
    if buf.get(start) == Some(&b'\r') {
        start += 1;
    }
    if buf.get(start) == Some(&b'\n') {
        start += 1;
    }
    let declared = match dict.get(b"Length") {
        Ok(Object::Integer(n)) => Some(*n),
        Ok(Object::Reference(r)) if *r != id => length_of(*r),
        _ => None,
    };
    let by_length = declared.and_then(|n| usize::try_from(n).ok()).and_then(|n| start.checked_add(n)).filter(|end| {
        let mut e = Cursor::new(buf, *end);
        *end <= buf.len() && e.keyword(b"endstream")
    });
    let end = match by_length {
        Some(end) => end,
        None => {
            let rest = buf.get(start..).ok_or(SyntaxError::Eof)?;
            let at = memchr_find(rest, b"endstream").ok_or(SyntaxError::Eof)?;
            let mut end = start + at;
            // The end-of-line before `endstream` is not data.
            if end > start && buf.get(end - 1) == Some(&b'\n') {
                end -= 1;
            }
            if end > start && buf.get(end - 1) == Some(&b'\r') {
                end -= 1;
            }
            end
        }
    };
    let content = buf.get(start..end).ok_or(SyntaxError::Eof)?.to_vec();
    // Not `Stream::new`, which would overwrite an indirect /Length: the reference is an edge of
    // the object graph the analysis follows.
    let mut s = Stream::with_position(dict, start);
    s.content = content;
    Ok((id, Object::Stream(s)))
}

/// First occurrence of `needle` in `hay`.
pub(crate) fn memchr_find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    let first = *needle.first()?;
    let mut i = 0;
    while i + needle.len() <= hay.len() {
        match hay[i..].iter().position(|b| *b == first) {
            Some(p) => {
                i += p;
                if hay.get(i..i + needle.len()) == Some(needle) {
                    return Some(i);
                }
                i += 1;
            }
            None => return None,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obj(s: &str) -> Object {
        direct_object(s.as_bytes(), 0).unwrap().0
    }

    #[test]
    fn direct_objects_parse() {
        assert_eq!(obj("  42 "), Object::Integer(42));
        assert_eq!(obj("-.5"), Object::Real(-0.5));
        assert_eq!(obj("3."), Object::Real(3.0));
        assert_eq!(obj("12 0 R"), Object::Reference((12, 0)));
        assert_eq!(obj("/A#20B"), Object::Name(b"A B".to_vec()));
        assert_eq!(obj("(a(b)\\)\\101\\\n)"), Object::String(b"a(b))A".to_vec(), StringFormat::Literal));
        assert_eq!(obj("<41 4>"), Object::String(b"A@".to_vec(), StringFormat::Hexadecimal));
        assert_eq!(obj("[1 2 R 3 4 0 R]"), Object::Array(vec![Object::Reference((1, 2)), Object::Integer(3), Object::Reference((4, 0))]));
        let Object::Dictionary(d) = obj("<</Type/Page/Kids[1 0 R]/N null % comment\n/X true>>") else { panic!() };
        assert_eq!(d.get(b"Type").unwrap(), &Object::Name(b"Page".to_vec()));
        assert!(!d.has(b"N"));
        assert_eq!(d.get(b"X").unwrap(), &Object::Boolean(true));
    }

    #[test]
    fn references_need_unsigned_integers_and_r() {
        assert_eq!(direct_array("[1 2 R]"), vec![Object::Reference((1, 2))]);
        assert_eq!(direct_array("[1 2 3 4 0 R]"), vec![Object::Integer(1), Object::Integer(2), Object::Integer(3), Object::Reference((4, 0))]);
        // A sign or a point is no object number: what is left (a bare `R`) is not an object.
        assert!(direct_object(b"[-1 0 R]", 0).is_err());
        assert!(direct_object(b"[1 0.5 R]", 0).is_err());
        assert!(direct_object(b"[5 0 Rx]", 0).is_err());
    }

    fn direct_array(s: &str) -> Vec<Object> {
        match direct_object(s.as_bytes(), 0).map(|o| o.0) {
            Ok(Object::Array(a)) => a,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn malformed_input_is_an_error() {
        for bad in ["", "<<", "<</A>>", "[1 2", "(abc", "<4G>", "1.2.3", "--1", "12abc", "@"] {
            assert!(direct_object(bad.as_bytes(), 0).is_err(), "{bad}");
        }
        let deep = "[".repeat(MAX_DEPTH + 2) + &"]".repeat(MAX_DEPTH + 2);
        assert_eq!(direct_object(deep.as_bytes(), 0).unwrap_err(), SyntaxError::TooDeep);
    }

    #[test]
    fn streams_use_length_or_endstream() {
        let pdf = b"7 0 obj <</Length 5>> stream\r\nhello\nendstream endobj";
        let (id, o) = indirect_object(pdf, 0, &mut |_| None).unwrap();
        assert_eq!(id, (7, 0));
        let Object::Stream(s) = o else { panic!() };
        assert_eq!(s.content, b"hello");
        // A wrong /Length: the data runs to `endstream`, without the end-of-line.
        let pdf = b"7 0 obj <</Length 99>> stream\nhello!\nendstream endobj";
        let Object::Stream(s) = indirect_object(pdf, 0, &mut |_| None).unwrap().1 else { panic!() };
        assert_eq!(s.content, b"hello!");
        // An indirect /Length.
        let pdf = b"7 0 obj <</Length 8 0 R>> stream\nab endstream cd\nendstream endobj";
        let Object::Stream(s) = indirect_object(pdf, 0, &mut |id| (id == (8, 0)).then_some(15)).unwrap().1 else { panic!() };
        assert_eq!(s.content, b"ab endstream cd");
        assert!(indirect_object(b"7 0 ob <<>>", 0, &mut |_| None).is_err());
    }
}
