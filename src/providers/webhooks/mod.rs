//! Webhooks: the calls a provider makes to its integrator when something
//! happens on its side (a push approved on the phone, a transaction done).
//!
//! One engine serves every provider that sends them. A provider hands over
//! a [`Hook`]: the URL, the signed headers, the body and its retry policy.
//! The engine keeps each delivery with its attempts, sends the first attempt
//! at once and every retry when the sandbox clock reaches it (the world's
//! sweep asks [`Webhooks::take_due`]), so advancing the clock delivers them
//! and a frozen clock holds them. Scenario rules name each event as an
//! operation and can delay, drop, duplicate, reorder, corrupt or misdirect
//! one attempt (see `engine`).
//!
//! A receiver URL of `inbox:<name>` is the built-in receiver: the delivery
//! lands in [`Webhooks::inbox`], with its signature checked, and a test reads
//! it from the control API without a listener of its own.

mod engine;
mod store;

use std::time::Duration;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

pub(crate) use engine::{redeliver, send, start_due};
pub(crate) use store::{Arrival, State, Webhooks};

use crate::outbound::Target;
use crate::providers::Provider;

/// Where one provider sends its webhooks: `settings.<provider>.webhooks`.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Receiver {
    /// `http://` or `https://` base URL (each event's path is appended, as
    /// the provider does), or `inbox:<name>` for the built-in receiver.
    #[schemars(with = "String")]
    pub url: Spanned<String>,
    /// The key the signatures are made with; by default the provider's own
    /// (Weavr: the tenant's first API key).
    #[serde(default)]
    pub secret: Option<String>,
    /// Only these events (as the provider names them); all by default.
    #[serde(default)]
    #[schemars(with = "Option<Vec<String>>")]
    pub events: Option<Vec<Spanned<String>>>,
}

impl Receiver {
    /// Checks the URL and that every event named is one of `known`.
    pub(crate) fn validate(&self, known: &[&str]) -> Result<(), (Location, String)> {
        let url = &self.url;
        if Endpoint::parse(&url.value).is_none() {
            return Err((
                url.referenced,
                "a webhook `url` is http://…, https://… or inbox:<name> (letters, digits, `-` and `_`, at most 64)".to_owned(),
            ));
        }
        for event in self.events.iter().flatten() {
            if !known.contains(&event.value.as_str()) {
                return Err((
                    event.referenced,
                    format!(
                        "unknown event `{}`; this provider sends {}",
                        event.value,
                        known.join(", ")
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Whether `event` goes to this receiver.
    pub(crate) fn wants(&self, event: &str) -> bool {
        self.events
            .as_ref()
            .is_none_or(|events| events.iter().any(|e| e.value == event))
    }

    /// The URL `event` goes to: the base URL with the event's path appended,
    /// or the inbox itself.
    pub(crate) fn url_for(&self, path: &str) -> String {
        let base = &self.url.value;
        if base.starts_with("inbox:") {
            base.clone()
        } else {
            format!("{}{path}", base.trim_end_matches('/'))
        }
    }
}

/// Where a delivery goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Endpoint {
    Http(Target),
    Inbox(String),
}

impl Endpoint {
    pub(crate) fn parse(url: &str) -> Option<Self> {
        match url.strip_prefix("inbox:") {
            Some(name) => inbox_name(name).then(|| Self::Inbox(name.to_owned())),
            None => Target::parse(url).map(Self::Http),
        }
    }
}

/// An inbox is named with letters, digits, `-` and `_`, at most 64.
pub(crate) fn inbox_name(name: &str) -> bool {
    (1..=64).contains(&name.len())
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// What a receiver's status means to the provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Delivered,
    /// Failed: retried while the policy has retries left.
    Retry,
    /// Refused for good: never retried.
    Rejected,
    /// The receiver wants no more: the provider cancels its subscription.
    Gone,
}

/// How a provider retries, and what answer counts as received.
#[derive(Debug)]
pub(crate) struct Policy {
    /// Sandbox time before each retry; its length is the number of retries.
    pub(crate) backoff: &'static [Duration],
    /// What the receiver's status means.
    pub(crate) verdict: fn(u16) -> Verdict,
    /// What no answer at all means (a refused connection, a timeout).
    pub(crate) unanswered: Verdict,
    /// How long (real time) an attempt waits for the receiver's answer.
    pub(crate) timeout: Duration,
    /// A header that carries the attempt's number, where the provider sends one.
    pub(crate) attempt_header: Option<&'static str>,
    /// What a receiver answers, as the provider documents it: the built-in
    /// receiver answers it.
    pub(crate) expects: u16,
}

/// Sandbox time before each retry, growing: 1 min, 5 min, 30 min, 2 h,
/// 6 h, 12 h, 24 h and 48 h (about 4.6 days in all). A provider takes as
/// many steps as its policy says.
pub(crate) const LADDER: [Duration; 8] = [
    Duration::from_secs(60),
    Duration::from_secs(300),
    Duration::from_secs(1_800),
    Duration::from_secs(7_200),
    Duration::from_secs(21_600),
    Duration::from_secs(43_200),
    Duration::from_secs(86_400),
    Duration::from_secs(172_800),
];

/// Any 2xx is received; anything else is retried.
pub(crate) fn any_2xx(status: u16) -> Verdict {
    if (200..300).contains(&status) {
        Verdict::Delivered
    } else {
        Verdict::Retry
    }
}

/// Checks a delivery's signature: the secret, a header by name, the body.
pub(crate) type Verify = fn(&str, &dyn Fn(&str) -> Option<String>, &str) -> bool;

/// Checks a call that reached the built-in receiver over HTTP, by a
/// header's name and the body: `Some(verified)` when it carries the
/// provider's signature headers.
pub(crate) type Check = fn(&super::World, &dyn Fn(&str) -> Option<String>, &str) -> Option<bool>;

/// One event for the engine to deliver, signed by its provider.
#[derive(Debug, Clone)]
pub(crate) struct Hook {
    pub(crate) provider: Provider,
    /// The event as the provider names it (Weavr: `/stepup/watch`).
    pub(crate) event: &'static str,
    /// The scenario operation id that rules name it by.
    pub(crate) operation: &'static str,
    pub(crate) url: String,
    pub(crate) headers: Vec<(&'static str, String)>,
    /// The headers a `corrupt_signature` fault spoils.
    pub(crate) signatures: &'static [&'static str],
    pub(crate) body: String,
    /// The key the signatures use, for the inbox's check.
    pub(crate) secret: String,
    pub(crate) verify: Verify,
    pub(crate) policy: &'static Policy,
    /// The object the event is about, for the timeline.
    pub(crate) subject: String,
    pub(crate) extras: Extras,
}

/// What only some providers' deliveries have.
#[derive(Debug, Clone, Default)]
pub(crate) struct Extras {
    /// What the provider does when the receiver answers [`Verdict::Gone`]:
    /// called with the world and `subscription`.
    pub(crate) on_gone: Option<fn(&super::World, &str)>,
    /// The provider's subscription the delivery belongs to, if any.
    pub(crate) subscription: Option<String>,
    /// What the provider does once the delivery ends (delivered, failed or
    /// dropped), such as Thredd's session going on without an answer.
    pub(crate) on_done: Option<fn(&super::World, &Hook, &Outcome)>,
    /// The answer is due by then on the sandbox clock too, as well as
    /// within the timeout.
    pub(crate) answer_by: Option<chrono::DateTime<chrono::Utc>>,
    /// The timeout of this delivery, where a setting decides it.
    pub(crate) timeout: Option<Duration>,
    /// Certificates trusted beside the system's roots over HTTPS.
    pub(crate) trusted: Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>>,
}

/// How a delivery ended, for [`Extras::on_done`].
#[derive(Debug, Clone)]
pub(crate) struct Outcome {
    pub(crate) state: store::State,
    pub(crate) status: Option<u16>,
    pub(crate) error: Option<String>,
    pub(crate) latency_ms: f64,
    pub(crate) sent_at: chrono::DateTime<chrono::Utc>,
    /// The receiver's certificate was not one the sandbox trusts.
    pub(crate) untrusted: bool,
}
