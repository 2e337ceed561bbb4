//! The README's endpoint tables and the OpenAPI description say the same:
//! every provider operation the description has is in a README table, every
//! operation id a table names exists, and each table row's method and path
//! are the operation's in the description.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::TestSandbox;

const PROVIDERS: &[&str] = &["intergiro", "weavr", "solaris", "shine", "thredd"];

/// What the README calls but the sandbox does not serve: the outbound call it
/// makes to the program manager.
const OUTBOUND: &[&str] = &["thredd.notify_initiate_action.send"];

/// The backticked words of a table cell.
fn ticks(cell: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut rest = cell;
    let mut offset = 0;
    while let Some(open) = rest.find('`') {
        let Some(len) = rest[open + 1..].find('`') else {
            break;
        };
        out.push((offset + open, &rest[open + 1..open + 1 + len]));
        let next = open + len + 2;
        offset += next;
        rest = &rest[next..];
    }
    out
}

/// Operation ids, with the shorthand `.create` after a full id expanded.
fn operations(cell: &str) -> Vec<String> {
    let mut last = String::new();
    ticks(cell)
        .into_iter()
        .filter_map(|(_, word)| {
            if let Some(tail) = word.strip_prefix('.') {
                let base = last
                    .rsplit_once('.')
                    .map_or("", |(base, _)| base)
                    .to_owned();
                Some(format!("{base}.{tail}"))
            } else if PROVIDERS.iter().any(|p| word.starts_with(&format!("{p}."))) {
                last = word.to_owned();
                Some(last.clone())
            } else {
                None
            }
        })
        .collect()
}

/// Paths, with the shorthands expanded: `(+`/verify`)` appends to the
/// previous path, and `/confirm` or `…/x` replaces its last segment.
fn paths(cell: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (at, word) in ticks(cell) {
        let previous = out.last().cloned().unwrap_or_default();
        let path = if cell[..at].ends_with("(+") {
            format!("{previous}{word}")
        } else if let Some(tail) = word.strip_prefix('…') {
            format!("{}{tail}", previous.rsplit_once('/').map_or("", |(b, _)| b))
        } else if word.matches('/').count() == 1 && !previous.is_empty() {
            format!("{}{word}", previous.rsplit_once('/').map_or("", |(b, _)| b))
        } else {
            word.to_owned()
        };
        // A query string shows how to call it; the description's path has none.
        out.push(path.split('?').next().unwrap_or_default().to_owned());
    }
    out
}

/// The README may name a value where the description has a parameter
/// (`otp/SMS` for `otp/{channel}`), and name parameters its own way.
fn same_path(readme: &str, described: &str) -> bool {
    let (a, b): (Vec<&str>, Vec<&str>) =
        (readme.split('/').collect(), described.split('/').collect());
    a.len() == b.len() && a.iter().zip(&b).all(|(x, y)| x == y || y.starts_with('{'))
}

#[tokio::test]
async fn the_readme_tables_and_the_description_name_the_same_operations() {
    let sandbox = TestSandbox::start().await;
    let description = sandbox.get("/__admin/openapi.json").await.body;
    // operation id → each (METHOD, path) the description serves it at (Shine's
    // transfers have two paths, and its poll two methods).
    let mut described: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (path, item) in description["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op["x-sandbox-operation"].as_str() {
                if PROVIDERS.iter().any(|p| id.starts_with(&format!("{p}."))) {
                    described
                        .entry(id.to_owned())
                        .or_default()
                        .push((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    assert!(
        described.len() > 90,
        "{} provider operations",
        described.len()
    );

    let readme = include_str!("../../README.md");
    let mut documented = BTreeSet::new();
    let mut checked = 0;
    for line in readme.lines().filter(|l| l.starts_with("| ")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        if cells.len() < 4 {
            continue;
        }
        let ops = operations(cells[2]);
        if ops.is_empty() {
            continue;
        }
        let provider = ops[0].split('.').next().unwrap();
        let methods: Vec<&str> = cells[0].trim_start_matches("| ").split(", ").collect();
        let paths = paths(cells[1]);
        for op in &ops {
            assert!(
                described.contains_key(op) || OUTBOUND.contains(&op.as_str()),
                "the README names {op}, which the description does not have"
            );
            documented.insert(op.clone());
        }
        // A row pairs its methods, or its paths, with its operations.
        let pairs: Vec<(&str, &str, &String)> = if paths.len() == 1 && methods.len() == ops.len() {
            methods
                .iter()
                .zip(&ops)
                .map(|(m, o)| (*m, paths[0].as_str(), o))
                .collect()
        } else if methods.len() == 1 && paths.len() == ops.len() {
            paths
                .iter()
                .zip(&ops)
                .map(|(p, o)| (methods[0], p.as_str(), o))
                .collect()
        } else {
            Vec::new()
        };
        for (method, path, op) in pairs {
            let Some(served) = described.get(op) else {
                continue;
            };
            let row = (method.to_owned(), format!("/{provider}{path}"));
            assert!(
                served
                    .iter()
                    .any(|(m, p)| *m == row.0 && same_path(&row.1, p)),
                "the README's row for {op} says {row:?}; the description serves it at {served:?}"
            );
            checked += 1;
        }
    }
    let missing: Vec<&String> = described
        .keys()
        .filter(|op| !documented.contains(*op))
        .collect();
    assert!(
        missing.is_empty(),
        "not in the README's tables: {missing:?}"
    );
    assert!(
        checked > 80,
        "only {checked} rows had their method and path checked"
    );
}

#[test]
fn the_shorthands_expand() {
    assert_eq!(
        operations("`solaris.mobile_number.get`, `.create`, `.delete`"),
        [
            "solaris.mobile_number.get",
            "solaris.mobile_number.create",
            "solaris.mobile_number.delete"
        ]
    );
    assert_eq!(
        paths("`/multi/stepup/challenges/otp/SMS` (+`/verify`)"),
        [
            "/multi/stepup/challenges/otp/SMS",
            "/multi/stepup/challenges/otp/SMS/verify"
        ]
    );
    assert_eq!(
        paths("`/v1/persons/{id}/mobile_number/authorize`, `/confirm`"),
        [
            "/v1/persons/{id}/mobile_number/authorize",
            "/v1/persons/{id}/mobile_number/confirm"
        ]
    );
    assert_eq!(
        paths("`/a/{id}/verify_invalid`, `…/verify_expired`"),
        ["/a/{id}/verify_invalid", "/a/{id}/verify_expired"]
    );
}

/// A heading's anchor as the README's host writes it: lower case, spaces to
/// hyphens, punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

#[test]
fn every_link_inside_the_readme_reaches_a_heading() {
    let readme = include_str!("../../README.md");
    let anchors: BTreeSet<String> = readme
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .map(anchor)
        .collect();
    let links: Vec<&str> = readme
        .split("](#")
        .skip(1)
        .map(|rest| &rest[..rest.find(')').unwrap()])
        .collect();
    assert!(links.len() > 25, "the contents link every section");
    for link in links {
        assert!(
            anchors.contains(link),
            "#{link} is no heading of the README"
        );
    }
}
