//! The module graph has no cycles (issue 13: "the layers only point down", DESIGN §5).
//!
//! How it works: every `src/**/*.rs` file is tokenised (comments, strings and character literals
//! dropped; every item under `#[cfg(test)]` skipped, and so are the files of `#[cfg(test)] mod x;`,
//! since test code may reach anywhere). Each module — a file, or an inline `mod name { … }` —
//! references other modules through `use` trees and through paths in code that start with
//! `crate::`, `super::` or `self::`. Each reference is resolved to the module it names (following
//! `pub use` re-exports, so `crate::Signer` counts as a use of `keys`) and becomes an edge between
//! the two **siblings** under the deepest common ancestor: `src/verify/path.rs` using
//! `crate::alg::…` is the edge `verify → alg`, `src/pdf/sign.rs` using `super::write::…` is
//! `pdf::sign → pdf::write`. A reference to one's own
//! ancestor or descendant (`use super::*` in a child) is not an edge. Any strongly connected
//! component of more than one module is a cycle; the test prints one cycle per component
//! with the file and line of each edge. The library (`src/lib.rs`) and each binary
//! (`src/bin/<name>/main.rs`) are separate crates, so `kyso::…` in the binary is not an edge.
//!
//! Not seen: references made only through a glob re-export (`pub use x::*`) or a macro.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Edges that may still close a cycle, each with who removes it. Nothing else may be added here;
/// an entry whose edge is gone makes the test fail until it is deleted.
const ALLOWED: &[(&str, &str, &str)] = &[];

// ---------------------------------------------------------------- tokens

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Ident(String),
    /// `::`
    PathSep,
    Punct(char),
    /// numbers, lifetimes: never part of a path
    Other,
    /// the contents of a string literal (escapes left as written)
    Str(String),
}

pub(crate) fn tokenize(src: &str) -> Vec<(Tok, usize)> {
    let c: Vec<char> = src.chars().collect();
    let mut out = Vec::new();
    let (mut i, mut line) = (0usize, 1usize);
    let at = |i: usize| c.get(i).copied().unwrap_or('\0');
    // Skips a quoted literal starting at the opening `"` at `i`; returns the index after it.
    let skip_str = |mut i: usize, line: &mut usize| {
        i += 1;
        while i < c.len() {
            match c[i] {
                '\\' => i += 1,
                '"' => return i + 1,
                '\n' => *line += 1,
                _ => {}
            }
            i += 1;
        }
        i
    };
    // Skips a raw string `r#…#"…"#…#` whose `r` is at `i`.
    let skip_raw = |mut i: usize, line: &mut usize| {
        i += 1;
        let mut hashes = 0;
        while at(i) == '#' {
            hashes += 1;
            i += 1;
        }
        i += 1; // the opening quote
        while i < c.len() {
            if c[i] == '\n' {
                *line += 1;
            }
            if c[i] == '"' && (1..=hashes).all(|k| at(i + k) == '#') {
                return i + 1 + hashes;
            }
            i += 1;
        }
        i
    };
    while i < c.len() {
        let ch = c[i];
        if ch == '\n' {
            line += 1;
            i += 1;
        } else if ch.is_whitespace() {
            i += 1;
        } else if ch == '/' && at(i + 1) == '/' {
            while i < c.len() && c[i] != '\n' {
                i += 1;
            }
        } else if ch == '/' && at(i + 1) == '*' {
            let mut depth = 0;
            while i < c.len() {
                if c[i] == '/' && at(i + 1) == '*' {
                    depth += 1;
                    i += 2;
                } else if c[i] == '*' && at(i + 1) == '/' {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    if c[i] == '\n' {
                        line += 1;
                    }
                    i += 1;
                }
            }
        } else if ch == '"' {
            let (s, l) = (i, line);
            i = skip_str(i, &mut line);
            out.push((Tok::Str(c[s + 1..i.saturating_sub(1).max(s + 1)].iter().collect()), l));
        } else if (ch == 'r' && (at(i + 1) == '"' || (at(i + 1) == '#' && (at(i + 2) == '"' || at(i + 2) == '#'))))
            || (ch == 'b' && at(i + 1) == 'r' && (at(i + 2) == '"' || at(i + 2) == '#'))
        {
            let (s, l) = (i, line);
            i = skip_raw(if ch == 'b' { i + 1 } else { i }, &mut line);
            out.push((Tok::Str(c[s..i.min(c.len())].iter().collect()), l));
        } else if (ch == 'b' || ch == 'c') && at(i + 1) == '"' {
            let (s, l) = (i, line);
            i = skip_str(i + 1, &mut line);
            out.push((Tok::Str(c[s + 2..i.saturating_sub(1).max(s + 2)].iter().collect()), l));
        } else if ch == '\'' {
            if at(i + 1) == '\\' {
                // escaped character literal: to the closing quote
                i += 2;
                while i < c.len() && c[i] != '\'' {
                    i += 1;
                }
                i += 1;
            } else if at(i + 2) == '\'' {
                i += 3; // 'x'
            } else {
                i += 1; // a lifetime or label
                while at(i).is_alphanumeric() || at(i) == '_' {
                    i += 1;
                }
                out.push((Tok::Other, line));
            }
        } else if ch == 'r' && at(i + 1) == '#' && (at(i + 2).is_alphabetic() || at(i + 2) == '_') {
            let s = i + 2;
            i = s;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            out.push((Tok::Ident(c[s..i].iter().collect()), line));
        } else if ch.is_alphabetic() || ch == '_' {
            let s = i;
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            out.push((Tok::Ident(c[s..i].iter().collect()), line));
        } else if ch.is_ascii_digit() {
            while at(i).is_alphanumeric() || at(i) == '_' {
                i += 1;
            }
            out.push((Tok::Other, line));
        } else if ch == ':' && at(i + 1) == ':' {
            out.push((Tok::PathSep, line));
            i += 2;
        } else {
            out.push((Tok::Punct(ch), line));
            i += 1;
        }
    }
    out
}

// ---------------------------------------------------------------- modules and references

type ModPath = Vec<String>;

/// One source file: its crate, its module path in that crate, its tokens.
struct File {
    krate: String,
    module: ModPath,
    display: String,
    toks: Vec<(Tok, usize)>,
}

/// A path as written (`crate::a::b`, `super::x`, or in a `use` tree `a::b` relative to the
/// module), where it was written, and whether it is a `pub use` (a re-export) under which name.
struct Reference {
    krate: String,
    from: ModPath,
    segs: Vec<String>,
    in_use: bool,
    reexport_as: Option<String>,
    at: String,
}

fn ident(t: Option<&(Tok, usize)>) -> Option<&str> {
    match t {
        Some((Tok::Ident(s), _)) => Some(s),
        _ => None,
    }
}

fn punct(t: Option<&(Tok, usize)>, p: char) -> bool {
    matches!(t, Some((Tok::Punct(q), _)) if *q == p)
}

/// From `i` at the start of an item (after its attributes), the index just after the item: its
/// `;` or its closing `}` at nesting level zero.
pub(crate) fn skip_item(toks: &[(Tok, usize)], mut i: usize) -> usize {
    // the item's own further attributes
    while punct(toks.get(i), '#') && punct(toks.get(i + 1), '[') {
        i = skip_group(toks, i + 1);
    }
    let mut depth = 0i32;
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Punct('(' | '[') => depth += 1,
            Tok::Punct(')' | ']') => depth -= 1,
            Tok::Punct('{') => {
                if depth == 0 {
                    return skip_group(toks, i);
                }
                depth += 1;
            }
            Tok::Punct('}') => depth -= 1,
            Tok::Punct(';') if depth == 0 => return i + 1,
            _ => {}
        }
        i += 1;
    }
    i
}

/// From an opening bracket at `i`, the index just after its matching closing bracket.
fn skip_group(toks: &[(Tok, usize)], mut i: usize) -> usize {
    let mut depth = 0i32;
    while i < toks.len() {
        match &toks[i].0 {
            Tok::Punct('(' | '[' | '{') => depth += 1,
            Tok::Punct(')' | ']' | '}') => {
                depth -= 1;
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    i
}

pub(crate) fn is_cfg_test(toks: &[(Tok, usize)], i: usize) -> bool {
    punct(toks.get(i), '#')
        && punct(toks.get(i + 1), '[')
        && ident(toks.get(i + 2)) == Some("cfg")
        && punct(toks.get(i + 3), '(')
        && ident(toks.get(i + 4)) == Some("test")
        && punct(toks.get(i + 5), ')')
        && punct(toks.get(i + 6), ']')
}

/// Parses a `use` tree from `i` with the segments before it; pushes each leaf (its full path and
/// the name it binds) and returns the index after the tree.
fn use_tree(toks: &[(Tok, usize)], mut i: usize, prefix: Vec<String>, leaves: &mut Vec<(Vec<String>, Option<String>, usize)>) -> usize {
    let mut segs = prefix;
    if matches!(toks.get(i), Some((Tok::PathSep, _))) {
        // `::name` — an external crate
        segs.push("::".into());
        i += 1;
    }
    loop {
        match toks.get(i) {
            Some((Tok::Punct('{'), _)) => {
                i += 1;
                loop {
                    if punct(toks.get(i), '}') {
                        return i + 1;
                    }
                    i = use_tree(toks, i, segs.clone(), leaves);
                    if punct(toks.get(i), ',') {
                        i += 1;
                    }
                    if i >= toks.len() {
                        return i;
                    }
                }
            }
            Some((Tok::Punct('*'), line)) => {
                leaves.push((segs, None, *line));
                return i + 1;
            }
            Some((Tok::Ident(s), line)) => {
                let line = *line;
                if s == "self" && !segs.is_empty() {
                    // `a::{self, …}` binds `a`
                    let name = segs.last().cloned();
                    i += 1;
                    let alias = if ident(toks.get(i)) == Some("as") { ident(toks.get(i + 1)).map(str::to_string) } else { None };
                    if alias.is_some() {
                        i += 2;
                    }
                    leaves.push((segs, alias.or(name), line));
                    return i;
                }
                segs.push(s.clone());
                i += 1;
                if matches!(toks.get(i), Some((Tok::PathSep, _))) {
                    i += 1;
                    continue;
                }
                let mut name = Some(s.clone());
                if ident(toks.get(i)) == Some("as") {
                    name = ident(toks.get(i + 1)).map(str::to_string);
                    i += 2;
                }
                leaves.push((segs, name, line));
                return i;
            }
            _ => return i + 1,
        }
    }
}

/// Walks one file: the modules it defines (itself and inline `mod x { … }`) and its references.
fn scan(file: &File, modules: &mut BTreeSet<(String, ModPath)>, test_modules: &mut BTreeSet<(String, ModPath)>, refs: &mut Vec<Reference>) {
    let toks = &file.toks;
    modules.insert((file.krate.clone(), file.module.clone()));
    // (module, brace depth at which its body opened)
    let mut stack: Vec<(ModPath, i32)> = vec![(file.module.clone(), 0)];
    let mut depth = 0i32;
    let mut i = 0;
    while i < toks.len() {
        let cur = stack.last().map(|s| s.0.clone()).unwrap_or_default();
        if is_cfg_test(toks, i) {
            // `#[cfg(test)] mod name;`: the file of that module is test code too
            let mut j = i + 7;
            if ident(toks.get(j)) == Some("pub") {
                j += 1;
            }
            if let (Some("mod"), Some(name), true) = (ident(toks.get(j)), ident(toks.get(j + 1)), punct(toks.get(j + 2), ';')) {
                let mut m = cur.clone();
                m.push(name.to_string());
                test_modules.insert((file.krate.clone(), m));
            }
            i = skip_item(toks, i + 7);
            continue;
        }
        match &toks[i].0 {
            Tok::Punct('{') => depth += 1,
            Tok::Punct('}') => {
                depth -= 1;
                if stack.len() > 1 && stack.last().map(|s| s.1) == Some(depth) {
                    stack.pop();
                }
            }
            Tok::Ident(k) if k == "mod" => {
                if let (Some(name), true) = (ident(toks.get(i + 1)), punct(toks.get(i + 2), '{')) {
                    let mut m = cur.clone();
                    m.push(name.to_string());
                    modules.insert((file.krate.clone(), m.clone()));
                    stack.push((m, depth));
                    depth += 1;
                    i += 3;
                    continue;
                }
            }
            Tok::Ident(k) if k == "use" => {
                // `pub use` / `pub(crate) use` …: a re-export
                let public = ident(toks.get(i.wrapping_sub(1))) == Some("pub")
                    || (punct(toks.get(i.wrapping_sub(1)), ')') && (2..6).any(|k| ident(toks.get(i.wrapping_sub(k))) == Some("pub")));
                let mut leaves = Vec::new();
                i = use_tree(toks, i + 1, Vec::new(), &mut leaves);
                for (segs, name, line) in leaves {
                    refs.push(Reference {
                        krate: file.krate.clone(),
                        from: cur.clone(),
                        segs,
                        in_use: true,
                        reexport_as: if public { name } else { None },
                        at: format!("{}:{line}", file.display),
                    });
                }
                continue;
            }
            Tok::Ident(k) if (k == "crate" || k == "super" || k == "self") => {
                let after_sep = i > 0 && matches!(toks[i - 1].0, Tok::PathSep);
                let macro_crate = i > 0 && punct(toks.get(i - 1), '$');
                // `pub(in crate::x)` names a visibility, not a dependency
                let visibility = ident(toks.get(i.wrapping_sub(1))) == Some("in") && punct(toks.get(i.wrapping_sub(2)), '(');
                if !after_sep && !macro_crate && !visibility && matches!(toks.get(i + 1), Some((Tok::PathSep, _))) {
                    let line = toks[i].1;
                    let mut segs = vec![k.clone()];
                    let mut j = i + 1;
                    while matches!(toks.get(j), Some((Tok::PathSep, _))) {
                        match ident(toks.get(j + 1)) {
                            Some(s) => segs.push(s.to_string()),
                            None => break,
                        }
                        j += 2;
                    }
                    refs.push(Reference {
                        krate: file.krate.clone(),
                        from: cur.clone(),
                        segs,
                        in_use: false,
                        reexport_as: None,
                        at: format!("{}:{line}", file.display),
                    });
                    i = j;
                    continue;
                }
            }
            _ => {}
        }
        i += 1;
    }
}

/// The absolute path (from the crate root) a reference names, or None for another crate.
fn absolute(r: &Reference, modules: &BTreeSet<(String, ModPath)>) -> Option<Vec<String>> {
    let first = r.segs.first()?;
    let mut rest = &r.segs[1..];
    let mut base: Vec<String> = match first.as_str() {
        "crate" => Vec::new(),
        "self" => r.from.clone(),
        "super" => {
            let mut b = r.from.clone();
            b.pop();
            while rest.first().map(String::as_str) == Some("super") {
                b.pop();
                rest = &rest[1..];
            }
            b
        }
        name if r.in_use => {
            // 2018 paths in a `use`: a child module of the current one, else another crate
            let mut child = r.from.clone();
            child.push(name.to_string());
            if !modules.contains(&(r.krate.clone(), child.clone())) {
                return None;
            }
            child
        }
        _ => return None,
    };
    base.extend(rest.iter().cloned());
    Some(base)
}

/// The module an absolute path lands in, following `pub use` re-exports.
fn target_module(
    krate: &str,
    mut path: Vec<String>,
    modules: &BTreeSet<(String, ModPath)>,
    reexports: &BTreeMap<(String, ModPath, String), Vec<String>>,
) -> ModPath {
    for _ in 0..16 {
        let mut n = path.len();
        while n > 0 && !modules.contains(&(krate.to_string(), path[..n].to_vec())) {
            n -= 1;
        }
        let module = path[..n].to_vec();
        let Some(next) = path.get(n) else { return module };
        match reexports.get(&(krate.to_string(), module.clone(), next.clone())) {
            Some(t) if t != &path[..=n] => {
                let mut p = t.clone();
                p.extend(path[n + 1..].iter().cloned());
                path = p;
            }
            _ => return module,
        }
    }
    path
}

/// An edge between two sibling modules of one crate: (crate, from, to) → where it is written.
type Edges = BTreeMap<(String, ModPath, ModPath), Vec<String>>;

fn module_edges(files: &[File]) -> Edges {
    let mut modules = BTreeSet::new();
    let mut test_modules = BTreeSet::new();
    let mut refs = Vec::new();
    for f in files {
        scan(f, &mut modules, &mut test_modules, &mut refs);
    }
    refs.retain(|r| !test_modules.iter().any(|(k, m)| *k == r.krate && r.from.starts_with(m)));
    let mut reexports = BTreeMap::new();
    for r in &refs {
        if let (Some(name), Some(abs)) = (&r.reexport_as, absolute(r, &modules)) {
            reexports.insert((r.krate.clone(), r.from.clone(), name.clone()), abs);
        }
    }
    let mut edges: Edges = BTreeMap::new();
    for r in &refs {
        let Some(abs) = absolute(r, &modules) else { continue };
        let to = target_module(&r.krate, abs, &modules, &reexports);
        let common = r.from.iter().zip(&to).take_while(|(a, b)| a == b).count();
        if common == r.from.len() || common == to.len() {
            continue; // self, an ancestor or a descendant
        }
        let from_sib = r.from[..=common].to_vec();
        let to_sib = to[..=common].to_vec();
        edges.entry((r.krate.clone(), from_sib, to_sib)).or_default().push(format!("{} ({})", r.at, r.segs.join("::")));
    }
    edges
}

fn show(m: &ModPath) -> String {
    m.join("::")
}

/// One cycle per strongly connected component of more than one module, each as the list of its
/// edges with where they are written.
fn cycles(edges: &Edges) -> Vec<String> {
    let mut adj: BTreeMap<(String, ModPath), Vec<(String, ModPath)>> = BTreeMap::new();
    for (k, f, t) in edges.keys() {
        adj.entry((k.clone(), f.clone())).or_default().push((k.clone(), t.clone()));
        adj.entry((k.clone(), t.clone())).or_default();
    }
    // Tarjan's strongly connected components
    struct St<'a> {
        adj: &'a BTreeMap<(String, ModPath), Vec<(String, ModPath)>>,
        index: BTreeMap<(String, ModPath), usize>,
        low: BTreeMap<(String, ModPath), usize>,
        on: BTreeSet<(String, ModPath)>,
        stack: Vec<(String, ModPath)>,
        comps: Vec<Vec<(String, ModPath)>>,
    }
    fn visit(s: &mut St, v: &(String, ModPath)) {
        let n = s.index.len();
        s.index.insert(v.clone(), n);
        s.low.insert(v.clone(), n);
        s.stack.push(v.clone());
        s.on.insert(v.clone());
        for w in s.adj.get(v).cloned().unwrap_or_default() {
            if !s.index.contains_key(&w) {
                visit(s, &w);
                let l = s.low[&v].min(s.low[&w]);
                s.low.insert(v.clone(), l);
            } else if s.on.contains(&w) {
                let l = s.low[&v].min(s.index[&w]);
                s.low.insert(v.clone(), l);
            }
        }
        if s.low[v] == s.index[v] {
            let mut comp = Vec::new();
            while let Some(w) = s.stack.pop() {
                s.on.remove(&w);
                let done = &w == v;
                comp.push(w);
                if done {
                    break;
                }
            }
            s.comps.push(comp);
        }
    }
    let mut st = St { adj: &adj, index: BTreeMap::new(), low: BTreeMap::new(), on: BTreeSet::new(), stack: Vec::new(), comps: Vec::new() };
    for v in adj.keys() {
        if !st.index.contains_key(v) {
            visit(&mut st, v);
        }
    }
    let mut out = Vec::new();
    for comp in st.comps.iter().filter(|c| c.len() > 1) {
        let set: BTreeSet<_> = comp.iter().cloned().collect();
        let start = comp.iter().min().cloned().unwrap();
        // shortest way back to `start` inside the component (breadth first)
        let mut prev: BTreeMap<(String, ModPath), (String, ModPath)> = BTreeMap::new();
        let mut queue = std::collections::VecDeque::from([start.clone()]);
        let mut back = None;
        'bfs: while let Some(v) = queue.pop_front() {
            for w in &adj[&v] {
                if !set.contains(w) {
                    continue;
                }
                if w == &start {
                    back = Some(v.clone());
                    break 'bfs;
                }
                if !prev.contains_key(w) {
                    prev.insert(w.clone(), v.clone());
                    queue.push_back(w.clone());
                }
            }
        }
        let mut path = vec![start.clone()];
        let mut v = back.unwrap();
        while v != start {
            path.push(v.clone());
            v = prev[&v].clone();
        }
        path[1..].reverse();
        path.push(start.clone());
        let mut text = format!(
            "cycle in crate `{}`: {} (the whole tangle: {})\n",
            start.0,
            path.iter().map(|m| show(&m.1)).collect::<Vec<_>>().join(" → "),
            set.iter().map(|m| show(&m.1)).collect::<Vec<_>>().join(", ")
        );
        for w in path.windows(2) {
            let at = &edges[&(w[0].0.clone(), w[0].1.clone(), w[1].1.clone())];
            text += &format!("  {} → {}: {}\n", show(&w[0].1), show(&w[1].1), at.iter().take(3).cloned().collect::<Vec<_>>().join(", "));
        }
        out.push(text);
    }
    out
}

// ---------------------------------------------------------------- the crate's files

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// Which crate a file of `src/` belongs to and its module path there: `src/lib.rs` is the
/// library's root, `src/bin/<name>/main.rs` (or `src/bin/<name>.rs`) a binary's.
fn place(rel: &Path) -> (String, ModPath) {
    let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
    let (krate, inner): (String, &[String]) = if parts.first().map(String::as_str) == Some("bin") {
        let name = parts[1].trim_end_matches(".rs").to_string();
        (format!("{name} (bin)"), if parts.len() > 2 { &parts[2..] } else { &[] })
    } else {
        ("kyso".to_string(), &parts[..])
    };
    let mut module: ModPath = inner.iter().map(|s| s.trim_end_matches(".rs").to_string()).collect();
    if matches!(module.last().map(String::as_str), Some("mod" | "lib" | "main")) {
        module.pop();
    }
    (krate, module)
}

fn crate_files() -> Vec<File> {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut paths = Vec::new();
    rust_files(&src, &mut paths);
    paths.sort();
    paths
        .into_iter()
        .map(|p| {
            let rel = p.strip_prefix(&src).unwrap().to_path_buf();
            let (krate, module) = place(&rel);
            File { krate, module, display: format!("src/{}", rel.display()), toks: tokenize(&std::fs::read_to_string(&p).unwrap()) }
        })
        .collect()
}

/// The string literals of a file outside `#[cfg(test)]` items, with their lines.
fn strings_outside_tests(toks: &[(Tok, usize)]) -> Vec<(String, usize)> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < toks.len() {
        if is_cfg_test(toks, i) {
            i = skip_item(toks, i + 7);
            continue;
        }
        if let (Tok::Str(s), line) = &toks[i] {
            out.push((s.clone(), *line));
        }
        i += 1;
    }
    out
}

/// A command-line flag (`--chain`) or one of the CLI's environment variables in a text.
fn names_a_cli_flag(text: &str) -> bool {
    let b = text.as_bytes();
    let flag = (0..b.len().saturating_sub(2)).any(|i| {
        b[i] == b'-' && b[i + 1] == b'-' && b[i + 2].is_ascii_lowercase() && (i == 0 || matches!(b[i - 1], b' ' | b'(' | b'`' | b'\'' | b'"'))
    });
    flag || text.contains("KYSO_")
}

/// Library messages that still name a CLI flag, each with who removes it. Nothing may be
/// added here.
const FLAG_MESSAGES_ALLOWED: &[(&str, &str)] = &[];

// ---------------------------------------------------------------- the tests

/// The library does not know the CLI: its messages name parameters, not flags; the binary
/// maps typed errors to the flag that changes them (issue 13).
#[test]
fn library_messages_name_no_cli_flag() {
    let mut found = Vec::new();
    let mut used = BTreeSet::new();
    for f in crate_files().iter().filter(|f| f.krate == "kyso") {
        for (text, line) in strings_outside_tests(&f.toks) {
            if !names_a_cli_flag(&text) {
                continue;
            }
            match FLAG_MESSAGES_ALLOWED.iter().position(|(file, part)| *file == f.display && text.contains(part)) {
                Some(k) => {
                    used.insert(k);
                }
                None => found.push(format!("{}:{line}: {text}", f.display)),
            }
        }
    }
    assert!(found.is_empty(), "library strings that name a CLI flag (return a typed error; let the CLI name the flag):\n{}", found.join("\n"));
    let stale: Vec<_> = (0..FLAG_MESSAGES_ALLOWED.len()).filter(|k| !used.contains(k)).map(|k| FLAG_MESSAGES_ALLOWED[k]).collect();
    assert!(stale.is_empty(), "allow-listed flag messages that no longer exist — delete them from FLAG_MESSAGES_ALLOWED: {stale:?}");
    assert!(names_a_cli_flag("use --pass-file") && names_a_cli_flag("(--title)") && names_a_cli_flag("KYSO_PASSPHRASE"));
    assert!(!names_a_cli_flag("-----BEGIN CERTIFICATE-----") && !names_a_cli_flag("a -- b") && !names_a_cli_flag("x--y"));
}

#[test]
fn module_graph_has_no_cycles() {
    let mut edges = module_edges(&crate_files());
    // The scan sees the layers it should: a few edges every build of kyso has.
    for (from, to) in [("verify", "alg"), ("sign", "keys"), ("ca", "keys")] {
        assert!(
            edges.contains_key(&("kyso".into(), vec![from.into()], vec![to.into()])),
            "the scan lost the edge {from} → {to}: the parser is broken"
        );
    }
    let mut stale = Vec::new();
    for (k, from, to) in ALLOWED {
        let path = |m: &str| m.split("::").map(str::to_string).collect::<ModPath>();
        let key = (k.to_string(), path(from), path(to));
        if edges.remove(&key).is_none() {
            stale.push(format!("{k}: {from} → {to}"));
        }
    }
    let found = cycles(&edges);
    assert!(found.is_empty(), "module cycles (the layers must only point down):\n{}", found.join("\n"));
    assert!(stale.is_empty(), "allow-listed edges that no longer exist — delete them from ALLOWED: {stale:?}");
}

fn files_of(sources: &[(&str, &str)]) -> Vec<File> {
    sources
        .iter()
        .map(|(path, text)| {
            let (krate, module) = place(Path::new(path));
            File { krate, module, display: format!("src/{path}"), toks: tokenize(text) }
        })
        .collect()
}

/// The checker finds what it must and nothing else, on small made-up crates.
#[test]
fn cycle_checker_sees_cycles_and_only_real_references() {
    // a ↔ b through a re-export, a `super::` path and a `use` tree with braces
    let cyclic = files_of(&[
        ("lib.rs", "pub mod a; pub mod b; pub use b::Thing;"),
        ("a/mod.rs", "mod inner; pub fn f() { crate::Thing::new(); }"),
        ("a/inner.rs", "use super::super::b::{x::{self, Y}, Z as W};"),
        ("b/mod.rs", "pub mod x; pub struct Thing; pub fn g() { let _ = crate::a::f; }"),
        ("b/x.rs", ""),
    ]);
    let found = cycles(&module_edges(&cyclic));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("a → b → a"), "{}", found[0]);
    assert!(found[0].contains("src/a/mod.rs:1 (crate::Thing::new)"), "{}", found[0]);

    // siblings inside a module, one reference inside an inline module's `super::`
    let nested = files_of(&[
        ("lib.rs", "pub mod p;"),
        ("p/mod.rs", "mod s; mod t;"),
        ("p/s.rs", "pub mod inl { use super::super::t::X; }"),
        ("p/t.rs", "use crate::p::s::inl::Y; pub struct X;"),
    ]);
    let found = cycles(&module_edges(&nested));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].contains("p::s → p::t → p::s") || found[0].contains("p::t → p::s → p::t"), "{}", found[0]);

    // not references: test code, comments, strings, visibility, macros' $crate, other crates,
    // a child using its parent
    let clean = files_of(&[
        ("lib.rs", "pub mod a; pub mod b;"),
        (
            "a/mod.rs",
            "// crate::b::x\n/* crate::b::y */ const S: &str = \"crate::b::z\"; const R: &str = r#\"crate::b::w\"#;\n\
             pub(in crate::b) fn v() {} macro_rules! m { () => { $crate::b::q() } }\n\
             use std::fmt; use ::b::other; fn l<'a>(x: &'a str) -> char { 'b' }\n\
             #[cfg(test)]\nmod tests { use crate::b::T; }\n\
             #[cfg(test)]\nfn helper() { crate::b::t(); }\n\
             pub fn real() {}",
        ),
        ("b/mod.rs", "mod c; use crate::a::real; #[cfg(test)]\nmod t;"),
        ("b/c.rs", "use super::*; use crate::b::X;"),
        ("b/t.rs", "use crate::b::c::x; fn f() { super::c::y(); }"),
        ("b/t/deeper.rs", "use crate::b::c::z;"),
    ]);
    let edges = module_edges(&clean);
    assert!(cycles(&edges).is_empty(), "{:?}", cycles(&edges));
    let keys: Vec<_> = edges.keys().map(|(_, f, t)| format!("{} → {}", show(f), show(t))).collect();
    assert_eq!(keys, ["b → a"]);

    // a binary is its own crate: `kyso::` is another crate, `crate::` is the binary
    let bin = files_of(&[
        ("lib.rs", "pub mod a;"),
        ("a.rs", ""),
        ("bin/tool/main.rs", "mod x; mod y; use kyso::a;"),
        ("bin/tool/x.rs", "use crate::y::f;"),
        ("bin/tool/y.rs", "pub fn f() { crate::x::g() }"),
    ]);
    let found = cycles(&module_edges(&bin));
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("cycle in crate `tool (bin)`: x → y → x"), "{}", found[0]);
}
