//! Scenario files: the world (fixtures), its settings, the simulated end users
//! and the rules that script faults, all in one YAML document.
//!
//! A file is parsed, then validated, and only then used: a bad file changes
//! nothing and is reported as `file:line:column: message`. Unknown keys are
//! refused, so a typo never silently does nothing.

mod error;
mod fault;
mod matcher;
pub(crate) mod probe;
mod rules;
mod schema;
mod suggest;
mod template;

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::Spanned;

use crate::providers;

pub(crate) use crate::providers::{Fixtures, Settings, Users};
pub use crate::terms::{Arrival, Delay, Dur, Otp, SmsUser};
pub use error::ScenarioError;
pub(crate) use rules::RuleSet;
pub use rules::{Fault, SlowBody};
pub use schema::scenario_schema;
pub(crate) use template::Env;

/// The scenario embedded in the binary and used when none is given.
pub const DEFAULT_SCENARIO: &str = include_str!("../../scenarios/default.yaml");

/// The newest scenario format this build understands.
pub const FORMAT_VERSION: u32 = 1;

/// A parsed and validated scenario.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The file format version; absent means the current one.
    #[serde(default)]
    #[schemars(with = "Option<u32>")]
    pub version: Option<Spanned<u32>>,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// Seeds ids, OTPs, tokens and probabilistic choices.
    #[serde(default)]
    pub seed: Option<u64>,
    #[serde(default)]
    pub settings: Settings,
    /// Absent: the demo world of the embedded default. `fixtures: {}` is empty.
    #[serde(default = "Fixtures::absent")]
    pub fixtures: Fixtures,
    #[serde(default)]
    pub users: Users,
    #[serde(default)]
    pub rules: Vec<Rule>,
    /// Whether this is the embedded default, the demo world whose
    /// credentials the pages may hint at (the Intergiro passcode).
    #[serde(skip)]
    #[schemars(skip)]
    pub(crate) embedded: bool,
}

/// One scripted reaction to requests of an operation.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Rule {
    #[serde(default)]
    pub name: Option<String>,
    pub when: When,
    /// Wait this long (sandbox time) before answering: `2s`, or `1s..3s`.
    #[serde(default)]
    pub delay: Option<Delay>,
    /// Answer with this instead of running the operation.
    #[serde(default)]
    pub respond: Option<Respond>,
    /// Misbehave at the connection level.
    #[serde(default)]
    pub fault: Option<Fault>,
}

/// Which requests a rule applies to. Every condition given must hold.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct When {
    /// An operation id such as `shine.action_request.create`.
    #[schemars(with = "String")]
    pub operation: Spanned<String>,
    /// Only the n-th request (1-based) that meets the other conditions.
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub nth: Option<Spanned<u64>>,
    /// At most this many times: `times: 1` is once; without it, always.
    #[serde(default)]
    #[schemars(with = "Option<u64>")]
    pub times: Option<Spanned<u64>>,
    /// Applies with this chance, drawn from the scenario's seed.
    #[serde(default)]
    #[schemars(with = "Option<f64>")]
    pub probability: Option<Spanned<f64>>,
    /// Conditions on body fields, keyed by JSON pointer (`/amount/value`).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub body: BTreeMap<String, Spanned<serde_json::Value>>,
    /// Conditions on headers, keyed by name (any case).
    #[serde(default)]
    #[schemars(with = "BTreeMap<String, serde_json::Value>")]
    pub headers: BTreeMap<String, Spanned<serde_json::Value>>,
}

/// A canned response.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Respond {
    #[serde(default = "default_status")]
    #[schemars(with = "u16")]
    pub status: Spanned<u16>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// JSON; strings may quote the request with `{{...}}` placeholders.
    #[serde(default)]
    #[schemars(with = "Option<serde_json::Value>")]
    pub body: Option<Spanned<serde_json::Value>>,
}

fn default_status() -> Spanned<u16> {
    Spanned {
        value: 200,
        referenced: serde_saphyr::Location::UNKNOWN,
        defined: serde_saphyr::Location::UNKNOWN,
    }
}

impl Scenario {
    /// Parses and validates a scenario; `source` names it in errors.
    pub fn parse(source: &str, yaml: &str) -> Result<Self, ScenarioError> {
        let mut scenario: Scenario = serde_saphyr::from_str(yaml).map_err(|e| {
            let (line, column) = e.location().map_or((0, 0), |l| (l.line(), l.column()));
            ScenarioError {
                source: source.to_owned(),
                line,
                column,
                message: bare_message(&e),
            }
        })?;
        if !scenario.fixtures.given {
            // A script without a world plays in the demo world, so an
            // example can be the few lines that make it different.
            static DEMO: std::sync::OnceLock<Fixtures> = std::sync::OnceLock::new();
            scenario.fixtures = DEMO
                .get_or_init(|| Self::embedded_default().fixtures)
                .clone();
        }
        scenario
            .validate()
            .map_err(|(loc, message)| ScenarioError {
                source: source.to_owned(),
                line: loc.line(),
                column: loc.column(),
                message,
            })?;
        providers::apply_users(&mut scenario.sections_mut());
        Ok(scenario)
    }

    /// Every problem of a scenario's text, each with its line and column:
    /// a file that does not read as a scenario has one; one that does may
    /// have many (rules, hosts, fixtures), and all are listed. Empty when
    /// the file is good.
    pub fn check(source: &str, yaml: &str) -> Vec<ScenarioError> {
        let at = |(loc, message): (serde_saphyr::Location, String)| ScenarioError {
            source: source.to_owned(),
            line: loc.line(),
            column: loc.column(),
            message,
        };
        match serde_saphyr::from_str::<Scenario>(yaml) {
            Err(_) => Self::parse(source, yaml).err().into_iter().collect(),
            Ok(mut scenario) => {
                if !scenario.fixtures.given {
                    scenario.fixtures = Self::embedded_default().fixtures;
                }
                scenario.problems().into_iter().map(at).collect()
            }
        }
    }

    /// Reads and parses a scenario file.
    pub fn from_file(path: &Path) -> Result<Self, ScenarioError> {
        Self::parse(&path.display().to_string(), &read_file(path)?)
    }

    /// The scenario embedded in the binary.
    pub fn embedded_default() -> Self {
        // The embedded file is checked by a unit test, so this cannot fail in a
        // released build; an empty world is the harmless fallback regardless.
        let mut scenario =
            Self::parse("<embedded>", DEFAULT_SCENARIO).unwrap_or_else(|_| Self::empty());
        scenario.embedded = true;
        scenario
    }

    /// A world with nothing in it and every setting at its default.
    pub fn empty() -> Self {
        Self {
            version: None,
            name: None,
            description: None,
            seed: None,
            settings: Settings::default(),
            fixtures: Fixtures {
                given: true,
                ..Fixtures::default()
            },
            users: Users::default(),
            rules: Vec::new(),
            embedded: false,
        }
    }

    /// Its per-provider sections, as the providers read them.
    pub(crate) fn sections(&self) -> providers::Sections<'_> {
        providers::Sections {
            settings: &self.settings,
            fixtures: &self.fixtures,
            users: &self.users,
        }
    }

    fn sections_mut(&mut self) -> providers::SectionsMut<'_> {
        providers::SectionsMut {
            settings: &mut self.settings,
            fixtures: &mut self.fixtures,
            users: &self.users,
        }
    }

    /// The first problem, in the file's order.
    fn validate(&self) -> Result<(), (serde_saphyr::Location, String)> {
        match self.problems().into_iter().next() {
            Some(first) => Err(first),
            None => Ok(()),
        }
    }

    /// Every problem serde could not see, in the file's order: each rule's,
    /// each host's, the version's and the providers' sections'.
    fn problems(&self) -> Vec<(serde_saphyr::Location, String)> {
        let mut out = Vec::new();
        if let Some(version) = &self.version {
            if version.value == 0 || version.value > FORMAT_VERSION {
                out.push((
                    version.referenced,
                    format!(
                        "unsupported scenario version {}: this build reads version {FORMAT_VERSION}",
                        version.value
                    ),
                ));
            }
        }
        out.extend(
            self.rules
                .iter()
                .filter_map(|rule| rules::validate(rule).err()),
        );
        for (host, provider) in &self.settings.hosts {
            if providers::Provider::from_name(&provider.value).is_none() {
                out.push((
                    provider.referenced,
                    format!(
                        "settings.hosts: `{host}` names no provider: `{}`",
                        provider.value
                    ),
                ));
                continue;
            }
            let bare = host.to_ascii_lowercase();
            let ok = !bare.is_empty()
                && bare.len() <= 253
                && bare
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if !ok || host != &bare {
                out.push((
                    provider.referenced,
                    format!("settings.hosts: `{host}` is not a lower-case host name"),
                ));
            }
        }
        out.extend(providers::validate(&self.sections()).err());
        out.extend(
            self.settings
                .report
                .validate(|id| providers::all_rules().any(|r| r.id == id))
                .err(),
        );
        out.sort_by_key(|(at, _)| (at.line(), at.column()));
        out
    }
}

/// A scenario file's text; a file that cannot be read is an error at line 0.
pub fn read_file(path: &Path) -> Result<String, ScenarioError> {
    std::fs::read_to_string(path).map_err(|e| ScenarioError {
        source: path.display().to_string(),
        line: 0,
        column: 0,
        message: format!("cannot read the file: {e}"),
    })
}

/// The error text without the position and source snippet, which we report in
/// our own `file:line:column:` form.
fn bare_message(e: &serde_saphyr::Error) -> String {
    let text = e.without_snippet().to_string();
    let text = text.lines().next().unwrap_or_default();
    match text.rfind(" at line ") {
        Some(i) => text[..i].to_owned(),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_default_scenario_is_valid() {
        let scenario = Scenario::parse("default.yaml", DEFAULT_SCENARIO).unwrap();
        assert_eq!(scenario.name.as_deref(), Some("default"));
    }

    #[test]
    fn an_unknown_key_is_refused_with_its_position() {
        let err = Scenario::parse("x.yaml", "name: a\nsetings: {}\n").unwrap_err();
        assert_eq!((err.line, err.column), (2, 1), "{err}");
        assert!(err.message.contains("setings"), "{err}");
        assert!(err.to_string().starts_with("x.yaml:2:1: "), "{err}");
    }

    #[test]
    fn an_unknown_operation_is_refused_with_its_position() {
        let yaml = "rules:\n  - when: { operation: shine.nope.create }\n    delay: 1s\n";
        let err = Scenario::parse("x.yaml", yaml).unwrap_err();
        assert_eq!(err.line, 2, "{err}");
        assert!(err.message.contains("unknown operation"), "{err}");
    }

    #[test]
    fn a_file_without_fixtures_plays_in_the_demo_world() {
        let without = Scenario::parse("x.yaml", "name: x\n").unwrap();
        assert_eq!(without.fixtures.shine.clients.len(), 1);
        assert_eq!(without.fixtures.solaris.persons.len(), 2);
        let empty = Scenario::parse("x.yaml", "name: x\nfixtures: {}\n").unwrap();
        assert!(empty.fixtures.shine.clients.is_empty());
        assert!(Scenario::empty().fixtures.shine.clients.is_empty());
    }

    #[test]
    fn a_future_version_is_refused() {
        let err = Scenario::parse("x.yaml", "version: 9\n").unwrap_err();
        assert!(
            err.message.contains("unsupported scenario version 9"),
            "{err}"
        );
    }

    #[test]
    fn malformed_yaml_is_refused_with_its_position() {
        let err = Scenario::parse("x.yaml", "name: [unclosed\n").unwrap_err();
        assert!(err.line >= 1, "{err}");
    }
}
