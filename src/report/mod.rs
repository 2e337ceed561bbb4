//! The integration report: where the client broke the provider's rules.
//!
//! The sandbox enforces each provider's rules; where it refuses a client
//! (or lets it through against the guide), the provider records a
//! [`Deviation`] under a stable rule id, with its severity, one sentence and
//! the guide or reference section that states the rule. A world keeps its
//! deviations (the newest [`KEEP`]) and a count per rule, and renders them as
//! JSON, JUnit XML or Markdown (`render`). Recording costs nothing on a
//! request that follows the rules: the providers look for deviations only on
//! the paths that break them.

mod render;

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::{Deserialize, Serialize};
use serde_saphyr::{Location, Spanned};

pub(crate) use render::{rendered, Format};

/// How many deviations a world keeps; counts go on past it.
const KEEP: usize = 2_000;

/// How much a deviation matters.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, schemars::JsonSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// It works, but goes against the guide.
    Warning,
    /// The real provider refuses it, or the flow breaks.
    Error,
}

/// One rule a client can break.
#[derive(Debug, Clone, Copy, Serialize)]
pub(crate) struct Rule {
    /// Stable: `weavr.stepup.retry_within_15s`.
    pub(crate) id: &'static str,
    pub(crate) severity: Severity,
    /// What the guide expects, in one sentence.
    pub(crate) expects: &'static str,
    /// The guide or reference section that says so, by name.
    pub(crate) source: &'static str,
    /// The operations whose requests the rule looks at: a rule is exercised
    /// once the client called one of them.
    #[serde(skip)]
    pub(crate) operations: &'static [&'static str],
}

/// One place the client broke a rule.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Deviation {
    pub(crate) seq: u64,
    pub(crate) rule: &'static str,
    pub(crate) severity: Severity,
    pub(crate) provider: &'static str,
    pub(crate) operation: Option<&'static str>,
    /// The request's `seq` in the journal.
    pub(crate) request: Option<u64>,
    /// What the client did, and what the guide expects.
    pub(crate) message: String,
    pub(crate) source: &'static str,
    pub(crate) at: DateTime<Utc>,
}

/// `settings.report`: rules ignored, or judged otherwise.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Tuning {
    /// Rule ids that are never recorded.
    #[serde(default)]
    #[schemars(with = "Vec<String>")]
    pub ignore: Vec<Spanned<String>>,
    /// Rule ids with the severity they get instead of their own.
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, Severity>")]
    pub severity: BTreeMap<String, Spanned<Severity>>,
    /// The shortest interval between two polls of one Shine action request
    /// that follows the guide's "reasonable poll interval" (1s).
    #[serde(default)]
    pub poll_interval: Option<crate::terms::Dur>,
}

impl Tuning {
    /// Every rule id named must be one of `known`.
    pub(crate) fn validate(&self, known: impl Fn(&str) -> bool) -> Result<(), (Location, String)> {
        let named = self
            .ignore
            .iter()
            .map(|r| (r.value.as_str(), r.referenced))
            .chain(
                self.severity
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.referenced)),
            );
        for (id, at) in named {
            if !known(id) {
                return Err((
                    at,
                    format!("no report rule `{id}` (docs/report.md lists them)"),
                ));
            }
        }
        Ok(())
    }

    fn judge(&self, rule: &Rule) -> Option<Severity> {
        if self.ignore.iter().any(|r| r.value == rule.id) {
            return None;
        }
        Some(
            self.severity
                .get(rule.id)
                .map_or(rule.severity, |s| s.value),
        )
    }
}

#[derive(Debug, Default)]
struct Inner {
    kept: VecDeque<Deviation>,
    counts: HashMap<&'static str, (Severity, u64)>,
    next: u64,
}

/// A world's deviations.
#[derive(Debug, Default)]
pub(crate) struct Deviations(Mutex<Inner>);

/// What the provider says of one deviation.
#[derive(Debug)]
pub(crate) struct Found<'a> {
    pub(crate) rule: &'static Rule,
    pub(crate) provider: &'static str,
    pub(crate) operation: Option<&'static str>,
    pub(crate) request: Option<u64>,
    pub(crate) message: String,
    pub(crate) at: DateTime<Utc>,
    pub(crate) tuning: &'a Tuning,
}

impl Deviations {
    /// Records a deviation, as the scenario's tuning judges it.
    pub(crate) fn record(&self, found: Found<'_>) {
        let Some(severity) = found.tuning.judge(found.rule) else {
            return;
        };
        let mut inner = self.0.lock();
        inner.next += 1;
        let deviation = Deviation {
            seq: inner.next,
            rule: found.rule.id,
            severity,
            provider: found.provider,
            operation: found.operation,
            request: found.request,
            message: found.message,
            source: found.rule.source,
            at: found.at,
        };
        let count = inner.counts.entry(found.rule.id).or_insert((severity, 0));
        count.1 += 1;
        if inner.kept.len() == KEEP {
            inner.kept.pop_front();
        }
        inner.kept.push_back(deviation);
    }

    /// The report: per rule, its count, and the deviations kept. `exercised`
    /// are the rules whose operations the client called.
    pub(crate) fn report(
        &self,
        rules: &[&'static Rule],
        exercised: &BTreeSet<&'static str>,
        tuning: &Tuning,
    ) -> Report {
        let inner = self.0.lock();
        let mut by_rule = Vec::new();
        for rule in rules {
            let Some(severity) = tuning.judge(rule) else {
                continue;
            };
            let count = inner.counts.get(rule.id).map_or(0, |c| c.1);
            if count == 0 && !exercised.contains(rule.id) {
                continue;
            }
            by_rule.push(RuleCount {
                rule: rule.id,
                severity,
                count,
                expects: rule.expects,
                source: rule.source,
            });
        }
        let errors = by_rule
            .iter()
            .filter(|r| r.severity == Severity::Error)
            .map(|r| r.count)
            .sum();
        let warnings = by_rule
            .iter()
            .filter(|r| r.severity == Severity::Warning)
            .map(|r| r.count)
            .sum();
        Report {
            errors,
            warnings,
            rules: by_rule,
            deviations: inner.kept.iter().cloned().collect(),
        }
    }
}

/// One rule in the report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct RuleCount {
    pub(crate) rule: &'static str,
    pub(crate) severity: Severity,
    pub(crate) count: u64,
    pub(crate) expects: &'static str,
    pub(crate) source: &'static str,
}

/// A tenant's report.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    pub(crate) errors: u64,
    pub(crate) warnings: u64,
    /// Every rule exercised or broken, with its count.
    pub(crate) rules: Vec<RuleCount>,
    /// The deviations, oldest first (the newest 2,000).
    pub(crate) deviations: Vec<Deviation>,
}
