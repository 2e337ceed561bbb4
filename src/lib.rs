//! # sca-sandbox
//!
//! A local sandbox for payment providers' Strong Customer Authentication (PSD2
//! SCA) APIs. One process imitates each provider under its own path prefix,
//! keeps its state in memory, runs on a controllable clock, and follows a YAML
//! scenario that scripts the world: fixtures, simulated users, delays and faults.
//!
//! ## Use it from your tests
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), sca_sandbox::Error> {
//! use sca_sandbox::Sandbox;
//!
//! // Arrange: a sandbox on a free port with the embedded demo scenario.
//! let sandbox = Sandbox::builder().start().await?;
//! let base = sandbox.base_url(); // e.g. http://127.0.0.1:41234
//! assert!(base.starts_with("http://127.0.0.1:"));
//!
//! // Point the Shine client at `{base}/shine`; move time without sleeping.
//! let clock = sandbox.clock();
//! clock.set_frozen(true);
//! let before = clock.now();
//! clock.advance(chrono::TimeDelta::minutes(3));
//! assert_eq!(clock.now() - before, chrono::TimeDelta::minutes(3));
//!
//! // Dropping the handle stops the server; `shutdown` also waits for the drain.
//! sandbox.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! ## Layout
//!
//! The top-level modules form layers; a unit test fails when one reaches
//! back to itself through the modules it uses. From the bottom:
//!
//! - shared pieces: `http` (the buffered request, decoding that names the
//!   bad field, response builders), `clock` ([`Clock`], system time with an
//!   offset, or frozen), `ids`, `outbox` (the SMS outbox and the event
//!   timeline), `limits` (the cap on live objects per store and the process's memory budget), `deadlines`
//!   (the queue of lifetimes the stores sweep), `crypto` (ECDSA P-256 with
//!   SHA-256), `display` (what the pages show a person), `control` (the
//!   control API's error envelope), `idempotency`, and `terms` (what a
//!   scenario file is written in that the providers' sections share:
//!   durations, OTP and SMS-arrival choices, OAuth clients).
//! - `providers`: the registry, one line per provider. `api` holds the
//!   traits a provider implements (`ProviderApi`; `ProviderError`, its
//!   envelope; `EndUser`, its control routes and dashboard buttons;
//!   `RouteTable` and `Operation`, its routes with their operation ids).
//!   `host` holds `Host`, the world as a provider sees it, so providers need
//!   nothing above them. `sections` generates the scenario file's
//!   per-provider blocks, and `dispatch` what the rest of the sandbox calls,
//!   both from the registry, so nothing outside a provider's folder names a
//!   provider.
//! - `providers/<name>/`: one module per provider, each with `routes`,
//!   `handlers`, `model`, `error`, `store`, `config` and `control`.
//! - `scenario`: the YAML model, its validation with line and column, and
//!   rules; `library`: named scenarios from a file or folder, and `--watch`;
//!   `templates`: the handlebars pages, the providers' among them.
//! - `state`: a tenant's clock and its current world, which holds the
//!   providers' stores and implements `Host`; a reset swaps in a new world
//!   whole. `journal`: the request journal.
//! - `tls` (HTTPS beside HTTP, with a local CA kept in a data directory),
//!   `wire` (the socket: resets and slow bodies), `proxy` (`CONNECT`).
//! - `sandbox`: [`Sandbox`] and [`SandboxBuilder`], the embedding API.
//! - `admin` (the control API under `/__admin`; below
//!   `/__admin/<provider>/` the provider's own control routes answer) and
//!   `dashboard` (the pages at `/`, `/timeline` and `/journal`).
//! - `router`: buffers a request once under the body limit, picks the control
//!   API or a provider, applies scenario rules, records the journal.
//! - [`server`](crate::serve): the accept loop and graceful drain;
//!   `serve(listener, sandbox, shutdown)` takes a bound listener, and
//!   [`RunningSandbox`] is a served sandbox.
//! - `fuzzing` (feature `fuzzing`): the fuzz targets' entry points.

mod admin;
mod clock;
mod control;
mod crypto;
mod dashboard;
mod deadlines;
mod display;
mod error;
#[cfg(any(test, feature = "fuzzing"))]
#[doc(hidden)]
pub mod fuzzing;
mod http;
mod idempotency;
mod ids;
mod journal;
#[cfg(test)]
mod layers_tests;
mod library;
mod limits;
mod origin;
mod outbound;
mod outbox;
mod providers;
mod proxy;
mod report;
mod router;
mod sandbox;
mod scenario;
mod secret;
mod server;
mod state;
mod templates;
mod terms;
mod timefmt;
mod tls;
mod validate;
mod wire;

pub use clock::{Clock, ClockRangeError, ClockState};
pub use error::Error;
pub use http::DEFAULT_BODY_LIMIT;
pub use journal::JournalEntry;
pub use library::{MAX_UPLOADS_PER_TENANT, MAX_UPLOAD_BYTES, WATCH_EVERY};
pub use limits::{
    Budget, Limits, DEFAULT_LIVE_OBJECTS, DEFAULT_MEMORY_BUDGET, OBJECT_COST,
    OUTBOUND_ANSWER_LIMIT, PROBES, RENDERED_ANSWER_LIMIT,
};
pub use outbox::{Event, Sms};
pub use providers::Provider;
pub use sandbox::{
    Sandbox, SandboxBuilder, DEFAULT_BODY_TIMEOUT, MIN_EXPOSED_TOKEN_DISTINCT,
    MIN_EXPOSED_TOKEN_LEN,
};
pub use scenario::{
    read_file as read_scenario_file, scenario_schema, Arrival, Delay, Dur, Fault, Otp, Scenario,
    ScenarioError, SlowBody, SmsUser, DEFAULT_SCENARIO, FORMAT_VERSION,
};
pub use server::{serve, RunningSandbox, DRAIN_TIMEOUT};
pub use tls::default_data_dir;
