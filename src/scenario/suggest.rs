//! Suggestions for a misspelt name in a scenario file.

use crate::providers::all_operations;

/// Why an operation id is refused, with the nearest known ones: a typo or a
/// Payment Run id where the Multi one was meant (`weavr.stepup.verify` for
/// `weavr.multi_stepup.verify`) names its likely meaning.
pub(super) fn unknown_operation(id: &str) -> String {
    let mut near: Vec<(usize, &str)> = all_operations()
        .map(|known| (edit_distance(id, known), known))
        .filter(|(d, _)| *d <= (id.len() / 3).max(3))
        .collect();
    near.sort();
    let mut names: Vec<&str> = near.iter().take(3).map(|(_, k)| *k).collect();
    if let Some(best) = names.first().copied() {
        names.extend(
            siblings(best)
                .filter(|s| !names.contains(s))
                .collect::<Vec<_>>(),
        );
    }
    let names: Vec<String> = names.iter().map(|k| format!("`{k}`")).collect();
    let hint = if names.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", names.join(" or "))
    };
    format!("unknown operation `{id}`{hint} (docs/scenarios.md lists every operation id)")
}

/// The same operation under another of the provider's APIs: the same
/// provider and verb, one resource ending with the other
/// (`weavr.stepup.verify` and `weavr.multi_stepup.verify`).
fn siblings(id: &str) -> impl Iterator<Item = &'static str> + '_ {
    let parts = |id: &str| -> Option<(String, String, String)> {
        let (provider, rest) = id.split_once('.')?;
        let (resource, verb) = rest.rsplit_once('.')?;
        Some((provider.to_owned(), resource.to_owned(), verb.to_owned()))
    };
    let me = parts(id);
    all_operations().filter(move |known| {
        let (Some((p, r, v)), Some((kp, kr, kv))) = (me.as_ref(), parts(known)) else {
            return false;
        };
        *known != id
            && *p == kp
            && *v == kv
            && (kr.ends_with(r.as_str()) || r.ends_with(kr.as_str()))
    })
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (diagonal + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(above + 1);
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_near_miss_names_the_operation_meant() {
        let message = unknown_operation("weavr.multi_stepup.verfy");
        assert!(
            message.contains("did you mean `weavr.multi_stepup.verify`"),
            "{message}"
        );
        // A misspelt Payment Run id names its Multi sibling too.
        let sibling = unknown_operation("weavr.stepup.verfy");
        assert!(sibling.contains("`weavr.stepup.verify`"), "{sibling}");
        assert!(sibling.contains("`weavr.multi_stepup.verify`"), "{sibling}");
        let far = unknown_operation("nothing.like.this.at.all.really");
        assert!(!far.contains("did you mean"), "{far}");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
