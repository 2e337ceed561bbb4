//! The reference in `docs/` and the OpenAPI description say the same: every
//! provider operation the description has is in the table of exactly one
//! provider page, every operation id a table names exists, each row's method
//! and path are the operation's in the description, and every control-API
//! and dashboard operation is listed on its page. Every link in the README
//! and the docs reaches a file, and a heading there.

use std::collections::{BTreeMap, BTreeSet};

use crate::support::TestSandbox;

const PROVIDERS: &[&str] = &["intergiro", "weavr", "solaris", "shine", "thredd"];

/// What the docs name but the sandbox does not serve: the calls it makes
/// itself, to the program manager and to webhook receivers.
const OUTBOUND: &[&str] = &[
    "thredd.notify_initiate_action.send",
    "weavr.webhook.stepup",
    "weavr.webhook.login",
    "weavr.webhook.authentication_factors",
    "weavr.webhook.send",
    "weavr.webhook.outgoing_wire_transfers",
    "solaris.webhook.person_changed",
    "solaris.webhook.person_mobile_number_created",
    "solaris.webhook.person_mobile_number_deleted",
    "solaris.webhook.booking",
    "solaris.webhook.subscription_check",
    "intergiro.webhook.individual_onboarding_data_provided",
    "intergiro.webhook.individual_activated",
    "intergiro.webhook.individual_blocked",
];

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

/// The provider pages, by name.
const PAGES: &[(&str, &str)] = &[
    (
        "intergiro",
        include_str!("../../docs/providers/intergiro.md"),
    ),
    ("weavr", include_str!("../../docs/providers/weavr.md")),
    ("solaris", include_str!("../../docs/providers/solaris.md")),
    ("shine", include_str!("../../docs/providers/shine.md")),
    ("thredd", include_str!("../../docs/providers/thredd.md")),
];

/// Every page of the guide and the reference, by path from the root.
const ALL_PAGES: &[(&str, &str)] = &[
    ("README.md", include_str!("../../README.md")),
    (
        "docs/providers/intergiro.md",
        include_str!("../../docs/providers/intergiro.md"),
    ),
    (
        "docs/providers/weavr.md",
        include_str!("../../docs/providers/weavr.md"),
    ),
    (
        "docs/providers/solaris.md",
        include_str!("../../docs/providers/solaris.md"),
    ),
    (
        "docs/providers/shine.md",
        include_str!("../../docs/providers/shine.md"),
    ),
    (
        "docs/providers/thredd.md",
        include_str!("../../docs/providers/thredd.md"),
    ),
    (
        "docs/control-api.md",
        include_str!("../../docs/control-api.md"),
    ),
    ("docs/webhooks.md", include_str!("../../docs/webhooks.md")),
    ("docs/report.md", include_str!("../../docs/report.md")),
    ("docs/dashboard.md", include_str!("../../docs/dashboard.md")),
    ("docs/scenarios.md", include_str!("../../docs/scenarios.md")),
    ("docs/unchanged.md", include_str!("../../docs/unchanged.md")),
    ("docs/container.md", include_str!("../../docs/container.md")),
    ("docs/security.md", include_str!("../../docs/security.md")),
    ("docs/limits.md", include_str!("../../docs/limits.md")),
    (
        "docs/development.md",
        include_str!("../../docs/development.md"),
    ),
];

/// Each operation id of the description with the (METHOD, path) pairs it is
/// served at, for ids under `prefixes`.
async fn described(prefixes: &[&str]) -> BTreeMap<String, Vec<(String, String)>> {
    let sandbox = TestSandbox::start().await;
    let description = sandbox.get("/__admin/openapi.json").await.body;
    let mut out: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
    for (path, item) in description["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if let Some(id) = op["x-sandbox-operation"].as_str() {
                if prefixes.iter().any(|p| id.starts_with(&format!("{p}."))) {
                    out.entry(id.to_owned())
                        .or_default()
                        .push((method.to_uppercase(), path.clone()));
                }
            }
        }
    }
    out
}

/// A table's rows: the cells of each line that starts with `| `.
fn rows(page: &str) -> impl Iterator<Item = Vec<&str>> {
    page.lines()
        .filter(|l| l.starts_with("| "))
        .map(|l| l.split(" | ").collect::<Vec<_>>())
}

#[tokio::test]
async fn each_provider_operation_is_on_exactly_one_page_as_the_description_serves_it() {
    // Shine's transfers have two paths, and its poll two methods.
    let described = described(PROVIDERS).await;
    assert!(
        described.len() > 90,
        "{} provider operations",
        described.len()
    );
    let mut pages_of: BTreeMap<String, BTreeSet<&str>> = BTreeMap::new();
    let mut checked = 0;
    for (page_name, page) in PAGES {
        for cells in rows(page) {
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
                    "docs/providers/{page_name}.md names {op}, which the description does not have"
                );
                pages_of.entry(op.clone()).or_default().insert(page_name);
            }
            // A row pairs its methods, or its paths, with its operations.
            let pairs: Vec<(&str, &str, &String)> =
                if paths.len() == 1 && methods.len() == ops.len() {
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
                    "the row for {op} says {row:?}; the description serves it at {served:?}"
                );
                checked += 1;
            }
        }
    }
    let missing: Vec<&String> = described
        .keys()
        .filter(|op| !pages_of.contains_key(*op))
        .collect();
    assert!(missing.is_empty(), "on no provider page: {missing:?}");
    let twice: Vec<_> = pages_of
        .iter()
        .filter(|(_, pages)| pages.len() > 1)
        .collect();
    assert!(twice.is_empty(), "on more than one page: {twice:?}");
    assert!(
        checked > 80,
        "only {checked} rows had their method and path checked"
    );
}

#[tokio::test]
async fn every_control_and_dashboard_operation_is_listed_on_its_page() {
    for (prefixes, page) in [
        (&["admin"][..], include_str!("../../docs/control-api.md")),
        (
            &["dashboard", "index"][..],
            include_str!("../../docs/dashboard.md"),
        ),
    ] {
        let prefix = prefixes[0];
        let described = described(prefixes).await;
        assert!(!described.is_empty(), "{prefix}");
        // (METHOD, path) of every row, shorthands expanded.
        let mut listed = Vec::new();
        for cells in rows(page) {
            // `| method | path | does |`, or the dashboard's `| page | shows |`,
            // whose methods the text gives.
            let (methods, path_cell): (Vec<&str>, &str) = match cells.len() {
                2 => (vec!["ANY"], cells[0].trim_start_matches("| ")),
                n if n >= 3 => (
                    cells[0].trim_start_matches("| ").split(", ").collect(),
                    cells[1],
                ),
                _ => continue,
            };
            for path in paths(path_cell) {
                for method in &methods {
                    listed.push((method.to_string(), path.clone()));
                }
            }
        }
        for (op, served) in &described {
            assert!(
                served.iter().any(
                    |(m, p)| listed.iter().any(|(lm, lp)| (lm == m || lm == "ANY")
                        && (same_path(lp, p) || same_path(&format!("/__admin{lp}"), p)))
                ),
                "{op} ({served:?}) is not listed on the {prefix} page"
            );
        }
    }
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

/// A heading's anchor as the pages' host writes it: lower case, spaces to
/// hyphens, punctuation dropped.
fn anchor(heading: &str) -> String {
    heading
        .to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, ' ' | '-' | '_'))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

/// The anchors of a page's headings, outside code blocks.
fn anchors(page: &str) -> BTreeSet<String> {
    let mut code = false;
    page.lines()
        .filter(|l| {
            if l.starts_with("```") {
                code = !code;
            }
            !code
        })
        .filter_map(|l| {
            l.trim_start_matches('#')
                .strip_prefix(' ')
                .filter(|_| l.starts_with('#'))
        })
        .map(anchor)
        .collect()
}

/// `a/b/../c` as `a/c`.
fn normalise(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            ".." => {
                parts.pop();
            }
            "." | "" => {}
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[test]
fn every_link_of_the_readme_and_the_docs_reaches_a_file_and_a_heading() {
    let root = env!("CARGO_MANIFEST_DIR");
    let mut links = 0;
    for (name, page) in ALL_PAGES {
        let dir = name.rsplit_once('/').map_or("", |(d, _)| d);
        for rest in page.split("](").skip(1) {
            let target = &rest[..rest.find(')').unwrap()];
            if target.starts_with("http") || target.starts_with("mailto:") {
                continue;
            }
            links += 1;
            let (file, fragment) = target.split_once('#').unwrap_or((target, ""));
            let file = if file.is_empty() {
                (*name).to_owned()
            } else {
                normalise(&format!("{dir}/{file}"))
            };
            assert!(
                std::path::Path::new(root).join(&file).exists(),
                "{name}: the link {target} reaches no file ({file})"
            );
            if !fragment.is_empty() {
                let text = ALL_PAGES
                    .iter()
                    .find(|(n, _)| *n == file)
                    .map(|(_, t)| *t)
                    .unwrap_or_else(|| {
                        panic!(
                            "{name}: {target} has a heading link into {file}, which is not a page"
                        )
                    });
                assert!(
                    anchors(text).contains(fragment),
                    "{name}: #{fragment} is no heading of {file}"
                );
            }
        }
    }
    assert!(links > 30, "only {links} links");
}

#[test]
fn the_readme_is_a_guide_and_every_page_is_in_the_list() {
    let readme = include_str!("../../README.md");
    assert!(
        readme.lines().count() <= 450,
        "the README has {} lines",
        readme.lines().count()
    );
    let docs = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/docs")).unwrap();
    for entry in docs {
        let name = entry.unwrap().file_name().into_string().unwrap();
        if name.ends_with(".md") {
            let path = format!("docs/{name}");
            assert!(
                ALL_PAGES.iter().any(|(n, _)| *n == path),
                "{path} is checked by no test"
            );
        }
    }
}
