//! Conditions on request fields and headers: `when.body` and `when.headers`.
//!
//! A condition is written as the value itself (equals), or as a map of
//! operators, all of which must hold:
//!
//! ```yaml
//! when:
//!   operation: solaris.change_request.confirm
//!   body:
//!     /tan: "000000"                        # equals
//!     /amount/value: { gt: 10000, lte: 50000 }
//!     /currency: { one_of: [EUR, GBP] }
//!   headers:
//!     x-test-case: { exists: true }
//! ```
//!
//! Numbers compare as numbers even when the request writes them as strings
//! (`"12.50"`), because providers differ in how they encode amounts.

use serde_json::Value;

/// The operator keys a condition map may use.
const OPERATORS: &[&str] = &["equals", "one_of", "gt", "gte", "lt", "lte", "exists"];

/// One compiled condition; every part that is set must hold.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Matcher {
    equals: Option<Value>,
    one_of: Option<Vec<Value>>,
    gt: Option<f64>,
    gte: Option<f64>,
    lt: Option<f64>,
    lte: Option<f64>,
    exists: Option<bool>,
}

impl Matcher {
    /// Reads a condition as the scenario file writes it.
    pub(crate) fn compile(raw: &Value) -> Result<Self, String> {
        let Value::Object(map) = raw else {
            return Ok(Self {
                equals: Some(raw.clone()),
                ..Self::default()
            });
        };
        if map.keys().all(|k| !OPERATORS.contains(&k.as_str())) {
            return Err(format!(
                "a condition is a value or a map of {}; to match a whole object write `equals: {{...}}`",
                OPERATORS.join(", ")
            ));
        }
        let mut matcher = Self::default();
        for (key, value) in map {
            let number =
                || number(value).ok_or_else(|| format!("`{key}` takes a number, not {value}"));
            match key.as_str() {
                "equals" => matcher.equals = Some(value.clone()),
                "one_of" => match value {
                    Value::Array(items) if !items.is_empty() => {
                        matcher.one_of = Some(items.clone());
                    }
                    _ => return Err("`one_of` takes a list of values".to_owned()),
                },
                "gt" => matcher.gt = Some(number()?),
                "gte" => matcher.gte = Some(number()?),
                "lt" => matcher.lt = Some(number()?),
                "lte" => matcher.lte = Some(number()?),
                "exists" => match value {
                    Value::Bool(b) => matcher.exists = Some(*b),
                    _ => return Err("`exists` takes true or false".to_owned()),
                },
                other => {
                    return Err(format!(
                        "unknown condition `{other}`; use {}",
                        OPERATORS.join(", ")
                    ))
                }
            }
        }
        Ok(matcher)
    }

    /// Whether `found` (absent when the field or header is missing) passes.
    pub(crate) fn test(&self, found: Option<&Value>) -> bool {
        if let Some(exists) = self.exists {
            if exists != found.is_some() {
                return false;
            }
        }
        let Some(found) = found else {
            // Only `exists: false` (checked above) can match what is not there.
            return self.exists == Some(false)
                && self.equals.is_none()
                && self.one_of.is_none()
                && self.bounds_unset();
        };
        if let Some(expected) = &self.equals {
            if !loose_eq(expected, found) {
                return false;
            }
        }
        if let Some(options) = &self.one_of {
            if !options.iter().any(|o| loose_eq(o, found)) {
                return false;
            }
        }
        if self.bounds_unset() {
            return true;
        }
        let Some(n) = number(found) else { return false };
        self.gt.is_none_or(|b| n > b)
            && self.gte.is_none_or(|b| n >= b)
            && self.lt.is_none_or(|b| n < b)
            && self.lte.is_none_or(|b| n <= b)
    }

    fn bounds_unset(&self) -> bool {
        self.gt.is_none() && self.gte.is_none() && self.lt.is_none() && self.lte.is_none()
    }
}

/// A number, or a string that holds one.
fn number(value: &Value) -> Option<f64> {
    match value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// Equality that lets `"100"` equal `100` and `"true"` equal `true`: headers
/// and form fields are always text, and scenario authors write natural YAML.
fn loose_eq(expected: &Value, found: &Value) -> bool {
    if expected == found {
        return true;
    }
    match (expected, found) {
        (Value::String(s), other) | (other, Value::String(s)) => match other {
            Value::Number(_) => number(other) == s.trim().parse().ok(),
            Value::Bool(b) => s == if *b { "true" } else { "false" },
            _ => false,
        },
        (Value::Number(_), Value::Number(_)) => number(expected) == number(found),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn m(raw: Value) -> Matcher {
        Matcher::compile(&raw).unwrap()
    }

    #[test]
    fn a_plain_value_means_equals_loosely() {
        assert!(m(json!("EUR")).test(Some(&json!("EUR"))));
        assert!(!m(json!("EUR")).test(Some(&json!("GBP"))));
        assert!(m(json!(100)).test(Some(&json!("100"))));
        assert!(m(json!("100")).test(Some(&json!(100.0))));
        assert!(m(json!(true)).test(Some(&json!("true"))));
        assert!(!m(json!(1)).test(None));
    }

    #[test]
    fn operators_combine() {
        let range = m(json!({ "gt": 100, "lte": 500 }));
        assert!(range.test(Some(&json!(101))));
        assert!(range.test(Some(&json!("500.00"))));
        assert!(!range.test(Some(&json!(100))));
        assert!(!range.test(Some(&json!("lots"))));
        let one_of = m(json!({ "one_of": ["EUR", "GBP"] }));
        assert!(one_of.test(Some(&json!("GBP"))));
        assert!(!one_of.test(Some(&json!("USD"))));
        assert!(m(json!({ "exists": false })).test(None));
        assert!(!m(json!({ "exists": false })).test(Some(&json!(1))));
        assert!(m(json!({ "exists": true })).test(Some(&Value::Null)));
        assert!(m(json!({ "lt": 0 })).test(Some(&json!(-1))));
        assert!(m(json!({ "gte": 3 })).test(Some(&json!(3))));
        assert!(m(json!({ "equals": { "a": 1 } })).test(Some(&json!({ "a": 1 }))));
    }

    #[test]
    fn mistakes_are_refused() {
        for (raw, says) in [
            (json!({ "a": 1 }), "equals: {...}"),
            (
                json!({ "gt": 1, "greater": 2 }),
                "unknown condition `greater`",
            ),
            (json!({ "gt": "x" }), "takes a number"),
            (json!({ "one_of": [] }), "a list of values"),
            (json!({ "exists": "yes" }), "true or false"),
        ] {
            let err = Matcher::compile(&raw).unwrap_err();
            assert!(err.contains(says), "{raw}: {err}");
        }
    }
}
