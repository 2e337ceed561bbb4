//! [`SandboxBuilder`]: where the scenario comes from, the listeners, the
//! limits and the admin token, then [`SandboxBuilder::start`].

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::Duration;

use super::{
    Redacted, Sandbox, Shared, DEFAULT_BODY_TIMEOUT, MIN_EXPOSED_TOKEN_DISTINCT,
    MIN_EXPOSED_TOKEN_LEN,
};
use crate::error::Error;
use crate::http::DEFAULT_BODY_LIMIT;
use crate::library::{Library, DEFAULT_NAME};
use crate::limits::{Budget, DEFAULT_MEMORY_BUDGET};
use crate::scenario::Scenario;
use crate::state::Tenant;
use crate::tls::TlsOptions;

/// Where the scenario comes from.
#[derive(Debug, Default)]
enum Source {
    #[default]
    Embedded,
    File(PathBuf),
    Yaml(String),
    Parsed(Box<Scenario>),
}

/// Configures a [`Sandbox`]; [`SandboxBuilder::start`] also binds and serves it.
#[derive(Debug)]
pub struct SandboxBuilder {
    source: Source,
    pub(crate) addr: SocketAddr,
    body_limit: usize,
    body_timeout: Duration,
    pub(crate) watch: bool,
    admin_token: Option<Redacted>,
    allowed_hosts: Vec<String>,
    /// Where HTTPS listens and where its CA is kept (see [`SandboxBuilder::tls`]).
    pub(crate) tls: Option<TlsOptions>,
    memory_budget: usize,
}

impl Default for SandboxBuilder {
    fn default() -> Self {
        Self {
            source: Source::Embedded,
            addr: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            body_limit: DEFAULT_BODY_LIMIT,
            body_timeout: DEFAULT_BODY_TIMEOUT,
            watch: false,
            admin_token: None,
            allowed_hosts: Vec::new(),
            tls: None,
            memory_budget: DEFAULT_MEMORY_BUDGET,
        }
    }
}

impl SandboxBuilder {
    /// Uses an already parsed scenario.
    pub fn scenario(mut self, scenario: Scenario) -> Self {
        self.source = Source::Parsed(Box::new(scenario));
        self
    }

    /// Reads scenarios when the sandbox is built: one YAML file, which becomes
    /// the active scenario, or a folder whose files all join the library
    /// (named after their files; `default.yaml`, if there, is active).
    pub fn scenario_file(mut self, path: impl Into<PathBuf>) -> Self {
        self.source = Source::File(path.into());
        self
    }

    /// Parses the scenario from YAML text when the sandbox is built.
    pub fn scenario_yaml(mut self, yaml: impl Into<String>) -> Self {
        self.source = Source::Yaml(yaml.into());
        self
    }

    /// The address [`SandboxBuilder::start`] binds; default `127.0.0.1:0`.
    pub fn bind(mut self, addr: SocketAddr) -> Self {
        self.addr = addr;
        self
    }

    /// Watch the scenario file or folder and reload what changes
    /// ([`Sandbox::spawn_watcher`]), from [`SandboxBuilder::start`].
    pub fn watch(mut self, watch: bool) -> Self {
        self.watch = watch;
        self
    }

    /// The largest request body accepted; default 1 MiB.
    pub fn body_limit(mut self, bytes: usize) -> Self {
        self.body_limit = bytes;
        self
    }

    /// The memory the whole process may give to objects and uploaded
    /// scenarios, in bytes, across every tenant; default
    /// [`DEFAULT_MEMORY_BUDGET`] (see `docs/limits.md` for how it is counted).
    pub fn memory_budget(mut self, bytes: usize) -> Self {
        self.memory_budget = bytes;
        self
    }

    /// Requires `token` on the control API and the dashboard (see the
    /// README's security section). Needed to bind anything but loopback,
    /// where it must have [`MIN_EXPOSED_TOKEN_LEN`] characters. An empty or blank token is refused by [`SandboxBuilder::build`]
    /// rather than taken as "no token".
    pub fn admin_token(mut self, token: impl Into<String>) -> Self {
        self.admin_token = Some(Redacted(token.into()));
        self
    }

    /// Whether the token fits the address: none, or a blank one, is refused
    /// off loopback, and so is one easy to guess: short, or of few
    /// different characters, counted without the blanks around it.
    fn check_exposure(&self) -> Result<(), Error> {
        let addr = self.addr;
        let token = match &self.admin_token {
            Some(Redacted(token)) if token.trim().is_empty() => return Err(Error::AdminTokenBlank),
            None if !addr.ip().is_loopback() => return Err(Error::AdminTokenRequired { addr }),
            Some(Redacted(token)) if !addr.ip().is_loopback() => token.trim(),
            _ => return Ok(()),
        };
        let len = token.chars().count();
        if len < MIN_EXPOSED_TOKEN_LEN {
            return Err(Error::AdminTokenTooShort {
                addr,
                min: MIN_EXPOSED_TOKEN_LEN,
                len,
            });
        }
        let distinct = token
            .chars()
            .collect::<std::collections::BTreeSet<_>>()
            .len();
        if distinct < MIN_EXPOSED_TOKEN_DISTINCT {
            return Err(Error::AdminTokenWeak {
                addr,
                min: MIN_EXPOSED_TOKEN_DISTINCT,
                distinct,
            });
        }
        Ok(())
    }

    /// How long a request body may take to arrive once its head has;
    /// default [`DEFAULT_BODY_TIMEOUT`]. A slower one is answered 408 and
    /// its connection closed.
    pub fn body_timeout(mut self, timeout: Duration) -> Self {
        self.body_timeout = timeout;
        self
    }

    /// A host name the control API and the dashboard answer to, besides IP
    /// addresses and `localhost`: the name a compose network or a hosts file
    /// gives the sandbox. Requests that name any other host are refused, so
    /// that a web page cannot rebind its own name to the sandbox and read it.
    pub fn allowed_host(mut self, name: impl Into<String>) -> Self {
        let name = name.into();
        self.allowed_hosts
            .push(name.trim().trim_end_matches('.').to_ascii_lowercase());
        self
    }

    /// Builds the state without serving it (see [`crate::serve`]). The
    /// admin token is checked against the address given to
    /// [`SandboxBuilder::bind`], so a binary that binds the socket itself
    /// passes its address there first.
    pub fn build(self) -> Result<Sandbox, Error> {
        self.check_exposure()?;
        let single = |scenario: Scenario, source: &str| Library::single(Arc::new(scenario), source);
        let library = match self.source {
            Source::Embedded => single(Scenario::embedded_default(), "<embedded>"),
            Source::File(path) => Library::load(&path)?,
            Source::Yaml(yaml) => single(Scenario::parse("<yaml>", &yaml)?, "<yaml>"),
            Source::Parsed(scenario) => single(*scenario, "<library>"),
        };
        let active = library
            .get(DEFAULT_NAME)
            .unwrap_or_else(|| Arc::new(Scenario::empty()));
        let tls = match &self.tls {
            Some(options) => Some(Arc::new(crate::tls::Tls::for_scenario(options, &active)?)),
            None => None,
        };
        let budget = Arc::new(Budget::new(self.memory_budget));
        let mut library = library;
        library.set_budget(budget.clone());
        let tenant = Tenant::new(None, active, Some(DEFAULT_NAME.to_owned()), budget.clone());
        Ok(Sandbox {
            inner: Arc::new(Shared {
                tenant: Arc::new(tenant),
                library: parking_lot::Mutex::new(library),
                tenants: parking_lot::RwLock::new(HashMap::new()),
                body_limit: self.body_limit,
                body_timeout: self.body_timeout,
                admin_token: self.admin_token,
                allowed_hosts: self.allowed_hosts,
                in_flight: AtomicU64::new(0),
                tls,
                budget,
            }),
        })
    }
}

// HTTPS beside HTTP; the certificates are made in `crate::tls`.
impl SandboxBuilder {
    /// Serves HTTPS on `addr` beside HTTP, with a certificate for every
    /// provider host signed by the CA kept in `data_dir` (made there on first
    /// start; trust its `ca.pem`, also served at `/__admin/ca.pem`).
    pub fn tls(mut self, addr: std::net::SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        self.tls = Some(TlsOptions {
            addr,
            data_dir: data_dir.into(),
            any_client_certificate: false,
        });
        self
    }

    /// With [`SandboxBuilder::tls`], mutual-TLS hosts take any client
    /// certificate (the handshake still proves the client holds its key),
    /// not only one the sandbox's CA signed.
    pub fn tls_any_client_certificate(mut self, any: bool) -> Self {
        if let Some(options) = &mut self.tls {
            options.any_client_certificate = any;
        }
        self
    }
}
