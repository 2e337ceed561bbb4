//! The embedding API: build a sandbox, start it on a port, get its URL and
//! clock, and stop it.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::library::{Library, WATCH_EVERY};
use crate::scenario::Scenario;
use crate::state::Tenant;

mod builder;
pub use builder::SandboxBuilder;

/// How long a request body may take to arrive, by default: as long as a
/// head may (a stalled or trickled upload must not hold a connection forever).
pub const DEFAULT_BODY_TIMEOUT: Duration = Duration::from_secs(30);

/// How many named tenants may live at once.
const MAX_TENANTS: usize = 1024;
/// The shortest admin token accepted off loopback: anyone on the network may
/// guess at it.
pub const MIN_EXPOSED_TOKEN_LEN: usize = 16;
/// How many different characters such a token needs at least.
pub const MIN_EXPOSED_TOKEN_DISTINCT: usize = 8;

/// A cheap-to-clone handle on a sandbox's state.
#[derive(Clone, Debug)]
pub struct Sandbox {
    inner: Arc<Shared>,
}

#[derive(Debug)]
struct Shared {
    tenant: Arc<Tenant>,
    /// Scenarios by name, and the files that failed to load.
    library: parking_lot::Mutex<Library>,
    /// Named tenants, made on first use, dropped by a reset.
    tenants: parking_lot::RwLock<HashMap<String, Arc<Tenant>>>,
    body_limit: usize,
    body_timeout: Duration,
    admin_token: Option<Redacted>,
    /// Host names the control API and the dashboard answer besides IP
    /// addresses and `localhost`.
    allowed_hosts: Vec<String>,
    /// Requests being held: provider requests a scenario rule delays or
    /// hangs, and open long-polls.
    in_flight: AtomicU64,
    /// HTTPS beside HTTP, when asked for.
    tls: Option<Arc<crate::tls::Tls>>,
    /// What every tenant's objects and uploads draw on.
    budget: Arc<crate::limits::Budget>,
}

/// Counts a provider request as in flight for as long as it lives, however
/// it ends (answered, dropped, or cancelled with its connection).
#[derive(Debug)]
pub(crate) struct InFlight(Sandbox);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.inner.in_flight.fetch_sub(1, Ordering::Relaxed);
    }
}

impl Sandbox {
    /// Starts configuring a sandbox.
    pub fn builder() -> SandboxBuilder {
        SandboxBuilder::default()
    }

    /// The sandbox clock, which every lifetime and delay runs on.
    pub fn clock(&self) -> Clock {
        self.inner.tenant.clock.clone()
    }

    /// Drops all state, resets the clock, reloads the scenario's fixtures,
    /// drops every named tenant, and forgets every uploaded scenario.
    pub fn reset(&self) {
        self.inner.tenant.reset();
        self.inner.tenants.write().clear();
        self.library().forget_all();
    }

    /// The tenant called `name`, made on first use with the default tenant's
    /// active scenario. Names are 1 to 64 of `A-Z a-z 0-9 _ -`.
    pub(crate) fn tenant_named(&self, name: &str) -> Result<Arc<Tenant>, String> {
        let valid = (1..=64).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
        if !valid {
            return Err(format!(
                "`{name}` is not a tenant name: 1 to 64 of A-Z a-z 0-9 _ -"
            ));
        }
        if let Some(tenant) = self.inner.tenants.read().get(name) {
            return Ok(tenant.clone());
        }
        let mut tenants = self.inner.tenants.write();
        if let Some(tenant) = tenants.get(name) {
            return Ok(tenant.clone());
        }
        if tenants.len() >= MAX_TENANTS {
            return Err(format!(
                "at most {MAX_TENANTS} tenants at once; reset to drop them"
            ));
        }
        let default = &self.inner.tenant;
        let tenant = Arc::new(Tenant::new(
            Some(name),
            default.world().scenario.clone(),
            default.origin(),
            self.inner.budget.clone(),
        ));
        tokio::spawn(Tenant::run_sweeper_while_alive(Arc::downgrade(&tenant)));
        tenants.insert(name.to_owned(), tenant.clone());
        Ok(tenant)
    }

    /// The named tenant, if a request has made it.
    pub(crate) fn existing_tenant(&self, name: &str) -> Option<Arc<Tenant>> {
        self.inner.tenants.read().get(name).cloned()
    }

    /// The named tenants, sorted.
    pub(crate) fn tenant_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.inner.tenants.read().keys().cloned().collect();
        names.sort();
        names
    }

    pub(crate) fn tenant_count(&self) -> usize {
        self.inner.tenants.read().len()
    }

    /// The default tenant's integration report, in the format `path`'s
    /// extension names (`.xml` JUnit, `.md` Markdown, else JSON), written to
    /// `path`: what `--report FILE` does when the sandbox stops.
    pub fn write_report(&self, path: &std::path::Path) -> std::io::Result<()> {
        let format = crate::report::Format::of_file(path);
        let (body, _) = crate::report::rendered(&self.inner.tenant.world().report(), format);
        std::fs::write(path, body)
    }

    /// Makes `scenario` the active one, with a fresh world.
    pub fn load_scenario(&self, scenario: Scenario) {
        self.inner.tenant.activate(Arc::new(scenario), None);
    }

    pub(crate) fn library(&self) -> parking_lot::MutexGuard<'_, Library> {
        self.inner.library.lock()
    }

    /// Every tenant, the default one first.
    fn all_tenants(&self) -> Vec<Arc<Tenant>> {
        let mut all = vec![self.inner.tenant.clone()];
        all.extend(self.inner.tenants.read().values().cloned());
        all
    }

    /// Reads the scenario files again (what `--watch` does every
    /// [`WATCH_EVERY`]): tenants running a changed scenario get a fresh world
    /// with it; a file that does not parse is logged and listed by
    /// `GET /__admin/scenarios`, and changes nothing.
    pub fn rescan_scenarios(&self) {
        let rescan = self.library().rescan();
        for e in &rescan.refused {
            tracing::error!(file = %e.source, line = e.line, column = e.column, message = %e.message, "scenario refused; the old one stays active");
        }
        for name in &rescan.reloaded {
            let Some(scenario) = self.library().get(name) else {
                continue;
            };
            tracing::info!(scenario = %name, "scenario reloaded");
            for tenant in self.all_tenants() {
                if tenant.origin().as_deref() == Some(name) {
                    tenant.activate(scenario.clone(), Some(name.clone()));
                }
            }
        }
    }

    /// Rescans the scenario files every [`WATCH_EVERY`] until the sandbox is
    /// dropped. Needs a tokio runtime.
    pub fn spawn_watcher(&self) -> JoinHandle<()> {
        let weak = Arc::downgrade(&self.inner);
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(WATCH_EVERY).await;
                let Some(inner) = weak.upgrade() else { return };
                Sandbox { inner }.rescan_scenarios();
            }
        })
    }

    pub(crate) fn tenant(&self) -> &Arc<Tenant> {
        &self.inner.tenant
    }

    pub(crate) fn in_flight(&self) -> u64 {
        self.inner.in_flight.load(Ordering::Relaxed)
    }

    pub(crate) fn track(&self) -> InFlight {
        self.inner.in_flight.fetch_add(1, Ordering::Relaxed);
        InFlight(self.clone())
    }

    pub(crate) fn body_limit(&self) -> usize {
        self.inner.body_limit
    }

    pub(crate) fn body_timeout(&self) -> Duration {
        self.inner.body_timeout
    }

    pub(crate) fn allowed_hosts(&self) -> &[String] {
        &self.inner.allowed_hosts
    }

    /// The process's memory budget.
    pub(crate) fn budget(&self) -> &Arc<crate::limits::Budget> {
        &self.inner.budget
    }

    pub(crate) fn tls(&self) -> Option<&crate::tls::Tls> {
        self.inner.tls.as_deref()
    }

    /// The token the control API and the dashboard require, if any.
    pub(crate) fn admin_token(&self) -> Option<&str> {
        self.inner.admin_token.as_ref().map(|t| t.0.as_str())
    }
}

/// A secret that prints as `<redacted>`, so `{:?}` of a sandbox or its
/// builder never shows it.
#[derive(Clone)]
struct Redacted(String);

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}
