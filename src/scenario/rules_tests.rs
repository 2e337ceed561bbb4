//! Unit tests of rule compilation, matching and validation.

use crate::scenario::Scenario;

use super::*;

const POLL: &str = "shine.action_request.poll";

fn rules(yaml: &str) -> RuleSet {
    let scenario = Scenario::parse("t.yaml", yaml).unwrap();
    RuleSet::compile(&scenario.rules, scenario.seed)
}

fn empty() -> Probe<'static> {
    Probe::new("GET", "/", None, None, b"")
}

fn label(set: &RuleSet, op: &str, probe: &Probe<'_>) -> Option<String> {
    set.apply(op, probe).map(|a| a.effect.label.to_string())
}

#[test]
fn nth_applies_to_that_request_only() {
    let set = rules(&format!(
        "rules:\n  - when: {{ operation: {POLL}, nth: 2 }}\n    respond: {{ status: 503 }}\n"
    ));
    assert!(set.apply(POLL, &empty()).is_none());
    let applied = set.apply(POLL, &empty()).unwrap();
    assert_eq!(
        applied.effect.respond.as_ref().unwrap().status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    assert!(set.apply(POLL, &empty()).is_none());
    assert!(set.apply("shine.action_request.create", &empty()).is_none());
}

#[test]
fn the_first_matching_rule_wins_and_later_rules_still_count() {
    let set = rules(&format!(
        "rules:\n  - name: first\n    when: {{ operation: {POLL}, times: 1 }}\n    fault: drop\n  - name: second\n    when: {{ operation: {POLL}, nth: 2 }}\n    fault: hang\n"
    ));
    let applied = set.apply(POLL, &empty()).unwrap();
    assert_eq!(&*applied.effect.label, "first");
    assert_eq!(applied.effect.fault, Some(Fault::Drop));
    assert_eq!(label(&set, POLL, &empty()).as_deref(), Some("second"));
    assert_eq!(label(&set, POLL, &empty()), None);
}

#[test]
fn times_limits_how_often_a_rule_applies() {
    let set = rules(&format!(
        "rules:\n  - when: {{ operation: {POLL}, times: 2 }}\n    delay: 1s\n"
    ));
    let hits = (0..5)
        .filter(|_| set.apply(POLL, &empty()).is_some())
        .count();
    assert_eq!(hits, 2);
}

#[test]
fn probability_is_seeded() {
    let yaml = format!(
        "seed: 7\nrules:\n  - when: {{ operation: {POLL}, probability: 0.3 }}\n    fault: drop\n"
    );
    let run = || {
        let set = rules(&yaml);
        (0..1000)
            .map(|_| set.apply(POLL, &empty()).is_some())
            .collect::<Vec<_>>()
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b, "the same seed makes the same choices");
    let hits = a.iter().filter(|h| **h).count();
    assert!((220..380).contains(&hits), "about 30% of 1000: {hits}");
}

#[test]
fn body_and_header_conditions_select_requests() {
    let set = rules(&format!(
        "rules:\n  - name: big\n    when:\n      operation: {POLL}\n      body: {{ /amount: {{ gt: 100 }}, /currency: EUR }}\n      headers: {{ X-Case: slow }}\n    delay: 1s\n"
    ));
    let mut headers = hyper::HeaderMap::new();
    headers.insert("x-case", "slow".parse().unwrap());
    let probe = |body: &'static [u8], h| Probe::new("POST", "/", h, None, body);
    let big = br#"{"amount": 150, "currency": "EUR"}"#;
    assert_eq!(
        label(&set, POLL, &probe(big, Some(&headers))).as_deref(),
        Some("big")
    );
    assert_eq!(label(&set, POLL, &probe(big, None)), None);
    let small = br#"{"amount": 50, "currency": "EUR"}"#;
    assert_eq!(label(&set, POLL, &probe(small, Some(&headers))), None);
}

#[test]
fn delay_ranges_are_drawn_within_bounds() {
    let set = rules(&format!(
        "seed: 1\nrules:\n  - when: {{ operation: {POLL} }}\n    delay: 100ms..300ms\n"
    ));
    let delays: Vec<_> = (0..200)
        .map(|_| set.apply(POLL, &empty()).unwrap().delay.unwrap())
        .collect();
    assert!(delays.iter().all(|d| (100..=300).contains(&d.as_millis())));
    assert!(delays.iter().any(|d| d.as_millis() < 150));
    assert!(delays.iter().any(|d| d.as_millis() > 250));
}

#[test]
fn a_rule_without_effect_or_with_clashing_ones_is_refused() {
    let none = format!("rules:\n  - when: {{ operation: {POLL} }}\n");
    assert!(Scenario::parse("t", &none)
        .unwrap_err()
        .message
        .contains("needs an effect"));
    let both = format!(
        "rules:\n  - when: {{ operation: {POLL} }}\n    fault: drop\n    respond: {{ status: 500 }}\n"
    );
    assert!(Scenario::parse("t", &both)
        .unwrap_err()
        .message
        .contains("not both"));
    let slow = format!(
        "rules:\n  - when: {{ operation: {POLL} }}\n    fault: {{ slow_body: {{ chunk: 4, every: 1s }} }}\n    respond: {{ status: 500 }}\n"
    );
    assert!(
        Scenario::parse("t", &slow).is_ok(),
        "a slow body may carry a canned answer"
    );
}

#[test]
fn bad_values_are_refused_with_their_line() {
    for (yaml, says, line) in [
        (
            "  - when: { operation: OP }\n    respond:\n      status: 999\n",
            "not an HTTP status",
            4,
        ),
        (
            "  - when: { operation: OP, nth: 0 }\n    fault: drop\n",
            "counts from 1",
            2,
        ),
        (
            "  - when: { operation: OP, times: 0 }\n    fault: drop\n",
            "counts from 1",
            2,
        ),
        (
            "  - when: { operation: OP, probability: 1.5 }\n    fault: drop\n",
            "probability",
            2,
        ),
        (
            "  - when:\n      operation: OP\n      body: { amount: 1 }\n    fault: drop\n",
            "JSON pointer",
            4,
        ),
        (
            "  - when:\n      operation: OP\n      body: { /a: { gt: x } }\n    fault: drop\n",
            "takes a number",
            4,
        ),
        (
            "  - when: { operation: OP }\n    respond:\n      body:\n        a: \"{{ nope }}\"\n",
            "unknown placeholder",
            5,
        ),
        (
            "  - when: { operation: OP }\n    delay: 3s..1s\n",
            "backwards",
            3,
        ),
        (
            "  - when: { operation: OP }\n    fault: explode\n",
            "explode",
            3,
        ),
    ] {
        let yaml = format!("rules:\n{}", yaml.replace("OP", POLL));
        let err = Scenario::parse("t", &yaml).unwrap_err();
        assert!(err.message.contains(says), "{yaml}: {err}");
        assert_eq!(err.line, line, "{yaml}: {err}");
    }
}
