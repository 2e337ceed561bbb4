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
    let names: Vec<String> = near.iter().take(3).map(|(_, k)| format!("`{k}`")).collect();
    let hint = if names.is_empty() {
        String::new()
    } else {
        format!("; did you mean {}?", names.join(" or "))
    };
    format!("unknown operation `{id}`{hint} (docs/scenarios.md lists every operation id)")
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
        let far = unknown_operation("nothing.like.this.at.all.really");
        assert!(!far.contains("did you mean"), "{far}");
        assert_eq!(edit_distance("kitten", "sitting"), 3);
    }
}
