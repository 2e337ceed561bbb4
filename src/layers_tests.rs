//! The crate's top-level modules form layers: no module reaches, through
//! the modules it uses, back to itself. Tests (a `*_tests.rs` file, or what
//! follows `#[cfg(test)]` at a file's top level) and comments do not count.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The top-level module each source file belongs to, and its code.
fn sources() -> Vec<(String, String)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut stack: Vec<PathBuf> = vec![src.clone()];
    let mut out = Vec::new();
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            continue;
        }
        let rel = path
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .into_owned();
        if !rel.ends_with(".rs") || rel.ends_with("_tests.rs") {
            continue;
        }
        let top = rel
            .split('/')
            .next()
            .unwrap()
            .trim_end_matches(".rs")
            .to_owned();
        if top == "lib" || top == "main" || top == "bin" {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let code: String = text
            .split("\n#[cfg(test)]\n")
            .next()
            .unwrap_or_default()
            .lines()
            .filter(|l| !l.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        out.push((top, code));
    }
    out
}

/// The top-level modules `code` names: `crate::x` and `crate::{x, y::z}`.
fn uses(code: &str) -> BTreeSet<String> {
    let ident = |s: &str| -> String {
        s.chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect()
    };
    let mut found = BTreeSet::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let (mut depth, mut start) = (0usize, true);
            for (j, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => break,
                    '}' => depth -= 1,
                    ',' if depth == 0 => start = true,
                    c if c.is_whitespace() => {}
                    _ if start => {
                        found.insert(ident(&group[j..]));
                        start = false;
                    }
                    _ => {}
                }
            }
        } else {
            found.insert(ident(rest));
        }
    }
    found
}

/// A path from `from` back to itself through `edges`, if there is one.
fn loop_through(from: &str, edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    let mut stack = vec![vec![from.to_owned()]];
    let mut seen = BTreeSet::new();
    while let Some(path) = stack.pop() {
        for next in edges.get(path.last().unwrap()).into_iter().flatten() {
            if next == from {
                let mut cycle = path.clone();
                cycle.push(next.clone());
                return Some(cycle);
            }
            if seen.insert(next.clone()) {
                let mut longer = path.clone();
                longer.push(next.clone());
                stack.push(longer);
            }
        }
    }
    None
}

/// What the crate root re-exports (`pub use module::{item, ...};`), by item:
/// `crate::serve` is a use of `server`.
fn reexports() -> BTreeMap<String, String> {
    let lib = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    let text = std::fs::read_to_string(lib).unwrap();
    let mut found = BTreeMap::new();
    for statement in text.split(';') {
        let Some(path) = statement.trim().strip_prefix("pub use ") else {
            continue;
        };
        let Some((module, items)) = path.split_once("::") else {
            continue;
        };
        for item in items.split(|c: char| "{},".contains(c)) {
            let name = item.trim().rsplit("::").next().unwrap_or_default();
            if !name.is_empty() {
                found.insert(name.to_owned(), module.to_owned());
            }
        }
    }
    found
}

#[test]
fn no_module_reaches_back_to_itself() {
    let reexports = reexports();
    assert_eq!(reexports.get("serve").map(String::as_str), Some("server"));
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (top, code) in sources() {
        let used: Vec<String> = uses(&code)
            .into_iter()
            .map(|m| reexports.get(&m).cloned().unwrap_or(m))
            .filter(|m| *m != top && !m.is_empty())
            .collect();
        edges.entry(top).or_default().extend(used);
    }
    assert!(edges.len() > 20, "found too few modules: {edges:?}");
    assert!(edges["state"].contains("providers"), "the scan misses uses");
    let loops: Vec<String> = edges
        .keys()
        .filter_map(|m| loop_through(m, &edges))
        .map(|cycle| cycle.join(" → "))
        .collect();
    assert!(loops.is_empty(), "{loops:#?}");
}

#[test]
fn the_scan_sees_grouped_and_nested_uses() {
    let code = "use crate::{a::x, b::{c, d}, e};\nlet x = crate::f::g();";
    let found: Vec<String> = uses(code).into_iter().collect();
    assert_eq!(found, ["a", "b", "e", "f"]);
}
