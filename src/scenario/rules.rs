//! Scenario rules: validation, and the compiled form the router consults on
//! every request.
//!
//! Only operations that some rule names are counted, so a request to an
//! operation no rule mentions costs one hash lookup and nothing else.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::StatusCode;
use serde::Deserialize;
use serde_saphyr::Location;

use super::Rule;
use crate::providers::all_operations;

/// A connection-level misbehaviour.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Fault {
    /// Close the connection without answering.
    Drop,
    /// Never answer, until the client gives up or the server stops.
    Hang,
}

/// What a matched rule does to a request.
#[derive(Debug)]
pub(crate) struct Effect {
    /// How the journal names the rule: its `name`, or `#<index>`.
    pub(crate) label: std::sync::Arc<str>,
    pub(crate) delay: Option<Duration>,
    pub(crate) respond: Option<CannedResponse>,
    pub(crate) fault: Option<Fault>,
}

/// A response prepared once, when the scenario is loaded.
#[derive(Debug)]
pub(crate) struct CannedResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) body: Option<Bytes>,
}

#[derive(Debug)]
struct CompiledRule {
    nth: Option<u64>,
    effect: Effect,
}

/// The rules of the active scenario, with their per-operation call counters.
#[derive(Debug, Default)]
pub(crate) struct RuleSet {
    by_operation: HashMap<&'static str, (AtomicU64, Vec<CompiledRule>)>,
}

impl RuleSet {
    /// Compiles validated rules. Counters start at zero, so a new world (after a
    /// reset or a scenario load) counts `nth` afresh.
    pub(crate) fn compile(rules: &[Rule]) -> Self {
        let mut by_operation: HashMap<&'static str, (AtomicU64, Vec<CompiledRule>)> =
            HashMap::new();
        for (index, rule) in rules.iter().enumerate() {
            let Some(op) = all_operations().find(|op| *op == rule.when.operation.value) else {
                continue; // refused by `validate`; unreachable for a parsed scenario
            };
            let compiled = CompiledRule {
                nth: rule.when.nth.as_ref().map(|n| n.value),
                effect: Effect {
                    label: rule
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("#{index}"))
                        .into(),
                    delay: rule.delay.map(|d| d.0),
                    respond: rule.respond.as_ref().map(canned),
                    fault: rule.fault,
                },
            };
            by_operation
                .entry(op)
                .or_insert_with(|| (AtomicU64::new(0), Vec::new()))
                .1
                .push(compiled);
        }
        Self { by_operation }
    }

    /// Counts a request of `operation` and returns the first rule that applies.
    pub(crate) fn apply(&self, operation: &str) -> Option<&Effect> {
        if self.by_operation.is_empty() {
            return None;
        }
        let (count, rules) = self.by_operation.get(operation)?;
        let n = count.fetch_add(1, Ordering::Relaxed) + 1;
        rules
            .iter()
            .find(|r| r.nth.is_none_or(|nth| nth == n))
            .map(|r| &r.effect)
    }
}

fn canned(respond: &super::Respond) -> CannedResponse {
    CannedResponse {
        status: StatusCode::from_u16(respond.status.value).unwrap_or(StatusCode::OK),
        headers: respond
            .headers
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    HeaderName::from_bytes(k.as_bytes()).ok()?,
                    HeaderValue::from_str(v).ok()?,
                ))
            })
            .collect(),
        body: respond
            .body
            .as_ref()
            .and_then(|b| serde_json::to_vec(b).ok())
            .map(Bytes::from),
    }
}

/// Checks what serde cannot: known operation ids, sane values, one effect.
pub(super) fn validate(rule: &Rule) -> Result<(), (Location, String)> {
    let op = &rule.when.operation;
    if !all_operations().any(|known| known == op.value) {
        return Err((
            op.referenced,
            format!(
                "unknown operation `{}` (the README lists every operation id)",
                op.value
            ),
        ));
    }
    if let Some(nth) = &rule.when.nth {
        if nth.value == 0 {
            return Err((nth.referenced, "`nth` counts from 1".to_owned()));
        }
    }
    if rule.respond.is_some() && rule.fault.is_some() {
        return Err((
            op.referenced,
            "a rule has either `respond` or `fault`, not both".to_owned(),
        ));
    }
    if rule.delay.is_none() && rule.respond.is_none() && rule.fault.is_none() {
        return Err((
            op.referenced,
            "a rule needs an effect: `delay`, `respond` or `fault`".to_owned(),
        ));
    }
    if let Some(respond) = &rule.respond {
        let status = &respond.status;
        if !(100..=599).contains(&status.value) {
            return Err((
                status.referenced,
                format!("status {} is not an HTTP status", status.value),
            ));
        }
        for (name, value) in &respond.headers {
            if HeaderName::from_bytes(name.as_bytes()).is_err()
                || HeaderValue::from_str(value).is_err()
            {
                return Err((
                    status.referenced,
                    format!("header `{name}: {value}` is not a valid HTTP header"),
                ));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::scenario::Scenario;

    use super::*;

    fn rules(yaml: &str) -> RuleSet {
        RuleSet::compile(&Scenario::parse("t.yaml", yaml).unwrap().rules)
    }

    #[test]
    fn nth_applies_to_that_request_only() {
        let set = rules(
            "rules:\n  - when: { operation: shine.action_request.poll, nth: 2 }\n    respond: { status: 503 }\n",
        );
        assert!(set.apply("shine.action_request.poll").is_none());
        let effect = set.apply("shine.action_request.poll").unwrap();
        assert_eq!(
            effect.respond.as_ref().unwrap().status,
            StatusCode::SERVICE_UNAVAILABLE
        );
        assert!(set.apply("shine.action_request.poll").is_none());
        assert!(set.apply("shine.action_request.create").is_none());
    }

    #[test]
    fn the_first_matching_rule_wins() {
        let set = rules(
            "rules:\n  - name: first\n    when: { operation: shine.action_request.poll }\n    fault: drop\n  - when: { operation: shine.action_request.poll }\n    fault: hang\n",
        );
        let effect = set.apply("shine.action_request.poll").unwrap();
        assert_eq!(&*effect.label, "first");
        assert_eq!(effect.fault, Some(Fault::Drop));
    }

    #[test]
    fn a_rule_without_effect_or_with_two_is_refused() {
        let none = "rules:\n  - when: { operation: shine.action_request.poll }\n";
        assert!(Scenario::parse("t", none)
            .unwrap_err()
            .message
            .contains("needs an effect"));
        let both = "rules:\n  - when: { operation: shine.action_request.poll }\n    fault: drop\n    respond: { status: 500 }\n";
        assert!(Scenario::parse("t", both)
            .unwrap_err()
            .message
            .contains("not both"));
    }

    #[test]
    fn a_bad_status_or_nth_is_refused_with_its_line() {
        let yaml = "rules:\n  - when: { operation: shine.action_request.poll }\n    respond:\n      status: 999\n";
        let err = Scenario::parse("t", yaml).unwrap_err();
        assert_eq!(err.line, 4, "{err}");
        let yaml =
            "rules:\n  - when: { operation: shine.action_request.poll, nth: 0 }\n    fault: drop\n";
        assert!(Scenario::parse("t", yaml)
            .unwrap_err()
            .message
            .contains("counts from 1"));
    }
}
