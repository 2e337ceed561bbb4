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
//! - [`server`](crate::serve): the accept loop and graceful drain;
//! - `tls`: HTTPS beside HTTP, with a local CA kept in a data directory;
//!   `serve(listener, sandbox, shutdown)` takes a bound listener.
//! - `sandbox`: [`Sandbox`], [`SandboxBuilder`] and [`RunningSandbox`], the
//!   embedding API.
//! - `router`: buffers a request once under the body limit, picks the control
//!   API or a provider, applies scenario rules, records the journal.
//! - `http`: the buffered request, decoding that names the bad field, response
//!   builders.
//! - `clock`: [`Clock`], system time with an offset, or frozen.
//! - `state`: a tenant's clock and its current world; a reset swaps in a new
//!   world whole.
//! - `scenario`: the YAML model, its validation with line and column, and rules.
//! - `library`: named scenarios from a file or folder, and `--watch`.
//! - `wire`: the socket, which closes with a reset for the `reset` fault, and
//!   slow bodies.
//! - `deadlines`: the queue of lifetimes the stores sweep, earliest first.
//! - `dashboard`: the pages at `/`, `/timeline` and `/journal`.
//! - `outbox` and `journal`: the SMS outbox, the event timeline, the request
//!   journal.
//! - `admin`: the control API under `/__admin`; below `/__admin/<provider>/`
//!   the provider's own control routes answer.
//! - `control`: the control API's error envelope, shared with the providers'
//!   control routes.
//! - `idempotency`: idempotency keys for providers that honour one.
//! - `templates`: the handlebars pages, embedded, compiled once, escaped;
//!   `display`: what the pages show a person (a pending item's summary, money,
//!   grouped IBANs, masked cards, times relative to the sandbox clock).
//! - `crypto`: ECDSA P-256 with SHA-256, hex DER signatures and keys.
//! - `limits`: the cap on live objects per store.
//! - `providers`: the registry, one line per provider; `api` holds the
//!   `ProviderApi` trait every provider implements, `dispatch` what the rest
//!   of the sandbox calls, generated from the registry, so that nothing
//!   outside a provider's folder names a provider.
//! - `providers/<name>/`: one module per provider, each with `routes`,
//!   `handlers`, `model`, `error`, `store` and `config`, and `control` when
//!   it has control routes or dashboard buttons.
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
mod outbox;
mod providers;
mod proxy;
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
pub use limits::{Limits, DEFAULT_LIVE_OBJECTS};
pub use outbox::{Event, Sms};
pub use providers::Provider;
pub use sandbox::{Sandbox, SandboxBuilder, DEFAULT_BODY_TIMEOUT, MIN_EXPOSED_TOKEN_LEN};
pub use scenario::{
    scenario_schema, Arrival, Delay, Dur, Fault, Otp, Scenario, ScenarioError, SlowBody, SmsUser,
    DEFAULT_SCENARIO, FORMAT_VERSION,
};
pub use server::{serve, RunningSandbox, DRAIN_TIMEOUT};
pub use tls::default_data_dir;
