//! Scenario rules: validation, and the compiled form the router consults on
//! every request.
//!
//! Only operations that some rule names are looked at, so a request to an
//! operation no rule mentions costs one hash lookup and nothing else.
//!
//! Each rule counts the requests that meet its conditions (`nth`) and the
//! times it applied (`times`) on its own, and draws `probability` and delay
//! ranges from its own generator seeded by the scenario's seed and the rule's
//! position: the same file and seed make the same choices for the same
//! sequence of requests, whatever else the sandbox generates meanwhile.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use hyper::header::{HeaderName, HeaderValue};
use hyper::StatusCode;
use serde_saphyr::Location;

pub use super::fault::{Fault, SlowBody};
use super::matcher::Matcher;
use super::probe::Probe;
use super::template::{Env, Template};
use super::{Delay, Rule};
use crate::http::{self, Response};
use crate::ids::IdGen;
use crate::providers::all_operations;

/// What a matched rule does to a request.
#[derive(Debug)]
pub(crate) struct Effect {
    /// How the journal names the rule: its `name`, or `#<index>`.
    pub(crate) label: Arc<str>,
    delay: Option<Delay>,
    pub(crate) respond: Option<CannedResponse>,
    pub(crate) fault: Option<Fault>,
}

/// A rule that applies to one request, with its drawn delay.
#[derive(Debug)]
pub(crate) struct Applied<'a> {
    pub(crate) effect: &'a Effect,
    pub(crate) delay: Option<Duration>,
}

/// A response prepared when the scenario is loaded.
#[derive(Debug)]
pub(crate) struct CannedResponse {
    pub(crate) status: StatusCode,
    headers: Vec<(HeaderName, HeaderValue)>,
    body: CannedBody,
}

#[derive(Debug)]
enum CannedBody {
    None,
    Fixed(Bytes),
    Templated(Template),
}

impl CannedResponse {
    /// The answer to one request; templated bodies quote it, up to
    /// `limit` bytes (`Err(limit)` past it).
    pub(crate) fn render(
        &self,
        probe: &Probe<'_>,
        env: Env<'_>,
        limit: usize,
    ) -> Result<Response, usize> {
        let mut res = match &self.body {
            CannedBody::None => http::empty(self.status),
            CannedBody::Fixed(bytes) => {
                http::with_type(self.status, bytes.clone(), "application/json")
            }
            CannedBody::Templated(t) => {
                let mut room = limit;
                let body = t.render(probe, env, &mut room).ok_or(limit)?;
                http::json(self.status, &body)
            }
        };
        for (name, value) in &self.headers {
            res.headers_mut().insert(name.clone(), value.clone());
        }
        // A rule may answer any content type, HTML included, on the
        // sandbox's own origin, where the dashboard lives: nothing it
        // answers may run as a page there or be sniffed into one.
        let headers = res.headers_mut();
        headers.insert(
            hyper::header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; sandbox"),
        );
        headers.insert(
            hyper::header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        );
        Ok(res)
    }
}

#[derive(Debug)]
struct CompiledRule {
    body: Vec<(String, Matcher)>,
    headers: Vec<(String, Matcher)>,
    nth: Option<u64>,
    times: Option<u64>,
    probability: Option<f64>,
    /// Requests that met the conditions, for `nth`.
    seen: AtomicU64,
    /// Times the rule applied, for `times`.
    applied: AtomicU64,
    draws: IdGen,
    effect: Effect,
}

impl CompiledRule {
    /// Whether the body and header conditions hold.
    fn matches(&self, probe: &Probe<'_>) -> bool {
        self.body
            .iter()
            .all(|(pointer, m)| m.test(probe.pointer(pointer)))
            && self.headers.iter().all(|(name, m)| {
                let value = probe
                    .header(name)
                    .map(|h| serde_json::Value::String(h.into()));
                m.test(value.as_ref())
            })
    }

    /// Decides, for the `n`-th request that met the conditions, whether the
    /// rule applies to it.
    fn take(&self, n: u64) -> bool {
        if self.nth.is_some_and(|nth| nth != n) {
            return false;
        }
        if let Some(p) = self.probability {
            // 53 random bits give a uniform float in [0, 1).
            let draw = (self.draws.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
            if draw >= p {
                return false;
            }
        }
        match self.times {
            None => true,
            // Claimed atomically: of concurrent requests, exactly `times` win.
            Some(limit) => self
                .applied
                .fetch_update(Ordering::AcqRel, Ordering::Acquire, |a| {
                    (a < limit).then_some(a + 1)
                })
                .is_ok(),
        }
    }
}

/// The rules of the active scenario, with their counters.
#[derive(Debug, Default)]
pub(crate) struct RuleSet {
    by_operation: HashMap<&'static str, Vec<CompiledRule>>,
}

impl RuleSet {
    /// Compiles validated rules. Counters start at zero, so a new world (after a
    /// reset or a scenario load) counts afresh.
    pub(crate) fn compile(rules: &[Rule], seed: Option<u64>) -> Self {
        let mut by_operation: HashMap<&'static str, Vec<CompiledRule>> = HashMap::new();
        for (index, rule) in rules.iter().enumerate() {
            let Some(op) = all_operations().find(|op| *op == rule.when.operation.value) else {
                continue; // refused by `validate`; unreachable for a parsed scenario
            };
            let when = &rule.when;
            let compiled = CompiledRule {
                body: when
                    .body
                    .iter()
                    .filter_map(|(k, v)| Some((k.clone(), Matcher::compile(&v.value).ok()?)))
                    .collect(),
                headers: when
                    .headers
                    .iter()
                    .filter_map(|(k, v)| {
                        Some((k.to_ascii_lowercase(), Matcher::compile(&v.value).ok()?))
                    })
                    .collect(),
                nth: when.nth.as_ref().map(|n| n.value),
                times: when.times.as_ref().map(|n| n.value),
                probability: when.probability.as_ref().map(|p| p.value),
                seen: AtomicU64::new(0),
                applied: AtomicU64::new(0),
                draws: IdGen::new(
                    seed.map(|s| s ^ (index as u64 + 1).wrapping_mul(0xA24B_AED4_963E_E407)),
                ),
                effect: Effect {
                    label: rule
                        .name
                        .clone()
                        .unwrap_or_else(|| format!("#{index}"))
                        .into(),
                    delay: rule.delay,
                    respond: rule.respond.as_ref().map(canned),
                    fault: rule.fault,
                },
            };
            by_operation.entry(op).or_default().push(compiled);
        }
        Self { by_operation }
    }

    /// Counts a request of `operation` against every rule of the operation
    /// and returns the first that applies. Every rule whose conditions hold
    /// counts the request, even after an earlier rule won, so each rule's
    /// `nth` means the same whatever rules come before it.
    pub(crate) fn apply(&self, operation: &str, probe: &Probe<'_>) -> Option<Applied<'_>> {
        if self.by_operation.is_empty() {
            return None;
        }
        let rules = self.by_operation.get(operation)?;
        let mut winner = None;
        for rule in rules {
            if !rule.matches(probe) {
                continue;
            }
            let n = rule.seen.fetch_add(1, Ordering::Relaxed) + 1;
            if winner.is_none() && rule.take(n) {
                winner = Some(rule);
            }
        }
        winner.map(|rule| Applied {
            effect: &rule.effect,
            delay: rule.effect.delay.map(|d| d.pick(rule.draws.next_u64())),
        })
    }
}

fn canned(respond: &super::Respond) -> CannedResponse {
    let body = match &respond.body {
        None => CannedBody::None,
        Some(body) => match Template::compile(&body.value) {
            Ok(Some(template)) => CannedBody::Templated(template),
            _ => CannedBody::Fixed(Bytes::from(
                serde_json::to_vec(&body.value).unwrap_or_default(),
            )),
        },
    };
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
        body,
    }
}

/// Checks what serde cannot: known operation ids, sane values, compatible effects.
pub(super) fn validate(rule: &Rule) -> Result<(), (Location, String)> {
    let when = &rule.when;
    let op = &when.operation;
    if !all_operations().any(|known| known == op.value) {
        return Err((op.referenced, super::suggest::unknown_operation(&op.value)));
    }
    for (key, count) in [("nth", &when.nth), ("times", &when.times)] {
        if let Some(n) = count.as_ref().filter(|n| n.value == 0) {
            return Err((n.referenced, format!("`{key}` counts from 1")));
        }
    }
    if let Some(p) = when.probability.as_ref() {
        if !(p.value > 0.0 && p.value <= 1.0) {
            return Err((
                p.referenced,
                "`probability` is a number above 0 and at most 1".to_owned(),
            ));
        }
    }
    for (pointer, raw) in &when.body {
        if !pointer.starts_with('/') {
            return Err((
                raw.referenced,
                format!("body conditions are keyed by JSON pointer: write `/{pointer}`"),
            ));
        }
        Matcher::compile(&raw.value).map_err(|e| (raw.referenced, e))?;
    }
    for (name, raw) in &when.headers {
        if HeaderName::from_bytes(name.as_bytes()).is_err() {
            return Err((raw.referenced, format!("`{name}` is not a header name")));
        }
        Matcher::compile(&raw.value).map_err(|e| (raw.referenced, e))?;
    }
    // Calls the sandbox makes itself (webhooks) take their own faults, and
    // no answer's.
    let outbound = crate::providers::Provider::ALL
        .iter()
        .any(|p| p.outbound_operations().contains(&op.value.as_str()));
    if let Some(fault) = rule.fault.filter(|f| f.webhook_only() && !outbound) {
        return Err((
            op.referenced,
            format!(
                "`fault: {}` is for webhooks: name one of the calls the sandbox makes (the operation ids marked outbound)",
                fault.name()
            ),
        ));
    }
    if outbound && matches!(rule.fault, Some(Fault::SlowBody(_)) | Some(Fault::Hang)) {
        return Err((
            op.referenced,
            "a webhook takes `fault: drop`, `duplicate`, `out_of_order`, `corrupt_signature` or `dead_endpoint`".to_owned(),
        ));
    }
    let blocking = rule
        .fault
        .is_some_and(|f| matches!(f, Fault::Drop | Fault::Reset | Fault::Hang));
    if rule.respond.is_some() && blocking {
        return Err((
            op.referenced,
            "a rule has either `respond` or `fault: drop | reset | hang`, not both".to_owned(),
        ));
    }
    if let Some(Fault::SlowBody(slow)) = rule.fault {
        if slow.chunk == 0 || slow.every.0.is_zero() {
            return Err((
                op.referenced,
                "slow_body needs a chunk of at least 1 byte and a non-zero `every`".to_owned(),
            ));
        }
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
        if let Some(body) = &respond.body {
            Template::compile(&body.value).map_err(|e| (body.referenced, e))?;
        }
    }
    Ok(())
}

#[cfg(test)]
#[path = "rules_tests.rs"]
mod tests;
