//! The imitated providers, one module each, all of the same shape:
//!
//! - `mod.rs`: the marker type and its [`ProviderApi`] implementation;
//! - `routes.rs`: the `Route` enum, its pure `parse(method, segments)`, and the
//!   operation id of each route, written beside it ([`operation_ids!`]);
//! - `handlers.rs`: `handle`, which dispatches a route, and one function per
//!   operation, from a buffered request and the world to a response or the
//!   provider's error;
//! - `model.rs`: the provider's wire types, requests and typed answers;
//! - `error.rs`: the provider's error type, a [`ProviderError`] that renders
//!   its envelope;
//! - `store.rs`: the provider's in-memory state and its lifetimes;
//! - `config.rs`: its part of a scenario file (settings, fixtures, simulated user);
//! - `control.rs`: its `Control` routes, an [`EndUser`]: the control-API
//!   routes and dashboard buttons that play its end user ([`api::NoControl`]
//!   for a provider without).
//!
//! A provider reaches the world only through [`Host`] ([`World`] is
//! `dyn Host`), and its part of a scenario file through [`Sections`], so it
//! depends on nothing above this module.
//!
//! What the registry calls by this layout: `<name>::Store::new(&Sections<'_>,
//! &IdGen)` and its `stats()`, `<name>::sweep(&World)`, and `<name>::config`'s
//! `Settings`, `Fixtures`, `Users` and `validate`. Everything that varies
//! more is in the provider's [`ProviderApi`] implementation.
//!
//! [`registry!`] lists the providers, one line each. `api.rs` holds the seam
//! (the traits, common failures, the store context); `host.rs` the world as
//! a provider sees it; `webhooks/` the one delivery engine every provider's
//! webhooks go through; `sections.rs` and `dispatch.rs` generate from the list
//! the scenario file's per-provider blocks and what the rest of the sandbox
//! calls (the world's stores, the control API's and dashboard's provider
//! parts), so nothing outside a provider's folder names a provider. A new
//! provider is a folder and one line in the list.

mod api;
mod dispatch;
mod host;
mod sections;
pub(crate) mod webhooks;

use std::collections::BTreeMap;

use serde::Serialize;

pub(crate) use api::{
    operation_ids, CommonError, Ctx, EndUser, Operation, Parts, ProviderApi, ProviderError,
    RouteMatch, RouteTable, SignIn,
};
#[cfg(test)]
pub(crate) use dispatch::control_operations;
pub(crate) use dispatch::{
    apply_users, button, is_button, own_sms, pending, stats, sweep, templates, validate,
    ControlRoute, Stores,
};
pub(crate) use host::{CallFault, Host, ScriptedCall, World};
pub(crate) use sections::{Fixtures, Sections, SectionsMut, Settings, Users};

/// The providers the sandbox imitates, one line each: the module (and name,
/// path prefix and scenario key) and its marker type. Calls `$callback!` with
/// the list, after any tokens given in parentheses.
macro_rules! registry {
    ($callback:ident $(($($args:tt)*))?) => {
        $callback! { ($($($args)*)?)
            intergiro Intergiro,
            weavr Weavr,
            solaris Solaris,
            shine Shine,
            thredd Thredd,
        }
    };
}
pub(crate) use registry;

macro_rules! declare {
    (() $($name:ident $ty:ident,)*) => {
        $(pub(crate) mod $name;)*

        /// A provider the sandbox imitates, named by its path prefix.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
        #[serde(rename_all = "lowercase")]
        pub enum Provider {
            $($ty,)*
        }

        impl Provider {
            /// Every provider, in the order of the README.
            pub const ALL: &'static [Provider] = &[$(Provider::$ty,)*];

            /// The provider's name and path prefix without the slash.
            pub fn name(self) -> &'static str {
                match self {
                    $(Self::$ty => stringify!($name),)*
                }
            }

            /// Every routed operation id of this provider.
            pub(crate) fn operations(self) -> &'static [&'static str] {
                match self {
                    $(Self::$ty => <<$name::$ty as ProviderApi>::Route as Operation>::ALL,)*
                }
            }

            /// The provider's own API host names.
            pub(crate) fn hosts(self) -> &'static [&'static str] {
                match self {
                    $(Self::$ty => <$name::$ty as ProviderApi>::HOSTS,)*
                }
            }

            /// Its hosts that ask for a client certificate.
            pub(crate) fn mutual_tls_hosts(self) -> &'static [&'static str] {
                match self {
                    $(Self::$ty => <$name::$ty as ProviderApi>::MUTUAL_TLS_HOSTS,)*
                }
            }
        }

    };
}
registry!(declare);

impl Provider {
    pub(crate) fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.name() == name)
    }

    /// The provider a request's host name stands for: the scenario's
    /// `settings.hosts` first, then the providers' own hosts. `host` may
    /// carry a port; names compare without case.
    pub(crate) fn for_host(host: &str, extra: &Hosts) -> Option<Self> {
        let name = crate::validate::host_name(host);
        if let Some(p) = extra.get(&name) {
            return Self::from_name(&p.value);
        }
        Self::ALL
            .iter()
            .copied()
            .find(|p| p.hosts().iter().any(|h| *h == name))
    }
}

/// The scenario's `settings.hosts`: host name to provider name.
pub(crate) type Hosts = BTreeMap<String, serde_saphyr::Spanned<String>>;

/// Every host the sandbox answers as a provider, with the provider's name:
/// the providers' own hosts, then the scenario's `settings.hosts` over them.
pub(crate) fn host_map(extra: &Hosts) -> BTreeMap<String, &'static str> {
    let mut map: BTreeMap<String, &'static str> = Provider::ALL
        .iter()
        .flat_map(|p| p.hosts().iter().map(move |h| ((*h).to_owned(), p.name())))
        .collect();
    for (host, name) in extra {
        if let Some(p) = Provider::from_name(&name.value) {
            map.insert(host.clone(), p.name());
        }
    }
    map
}

/// The provider that asks for mutual TLS on `host`, if one does.
pub(crate) fn mutual_tls_provider(host: &str) -> Option<Provider> {
    let name = crate::validate::host_name(host);
    Provider::ALL
        .iter()
        .copied()
        .find(|p| p.mutual_tls_hosts().iter().any(|h| *h == name))
}

#[cfg(test)]
mod host_tests {
    use super::*;

    #[test]
    fn hosts_compare_without_port_case_or_trailing_dot() {
        use crate::validate::host_name;
        assert_eq!(host_name("Sandbox.Weavr.IO:443"), "sandbox.weavr.io");
        assert_eq!(host_name("api.shine.fr."), "api.shine.fr");
        assert_eq!(host_name("[::1]:4242"), "[::1]");
        assert_eq!(host_name("127.0.0.1"), "127.0.0.1");
        let none = Hosts::new();
        assert_eq!(Provider::for_host("127.0.0.1:4242", &none), None);
        let mut extra = Hosts::new();
        let spanned = |v: &str| serde_saphyr::Spanned {
            value: v.to_owned(),
            referenced: serde_saphyr::Location::UNKNOWN,
            defined: serde_saphyr::Location::UNKNOWN,
        };
        extra.insert("pm.example".to_owned(), spanned("thredd"));
        assert_eq!(
            Provider::for_host("PM.example:80", &extra),
            Some(Provider::Thredd)
        );
        for p in Provider::ALL {
            for h in p.hosts() {
                assert_eq!(Provider::for_host(h, &none), Some(*p), "{h}");
                assert_eq!(
                    *h,
                    crate::validate::host_name(h),
                    "hosts are written bare: {h}"
                );
            }
        }
    }
}

/// Every provider's report rules.
pub(crate) fn all_rules() -> impl Iterator<Item = &'static crate::report::Rule> {
    Provider::ALL.iter().flat_map(|p| p.rules().iter())
}

/// Every operation id of every provider, routed or outbound, for
/// validating scenario rules.
pub(crate) fn all_operations() -> impl Iterator<Item = &'static str> {
    Provider::ALL.iter().flat_map(|p| {
        p.operations()
            .iter()
            .chain(p.outbound_operations())
            .copied()
    })
}

/// Which provider signed a webhook that reached the built-in receiver over
/// HTTP, and whether its signature checks out (`None`: no provider's).
pub(crate) fn check_webhook(
    world: &World,
    header: &dyn Fn(&str) -> Option<String>,
    body: &str,
) -> (&'static str, Option<bool>) {
    for provider in Provider::ALL {
        let check = with_provider!(*provider, P => <P as ProviderApi>::CHECK_WEBHOOK);
        if let Some(verified) = check.and_then(|check| check(world, header, body)) {
            return (provider.name(), Some(verified));
        }
    }
    ("unknown", None)
}

macro_rules! declare_with_provider {
    (($d:tt) $($name:ident $ty:ident,)*) => {
        /// Runs `$body` with `$api` standing for the marker type of `$provider`.
        macro_rules! with_provider {
            ($d provider:expr, $d api:ident => $d body:expr) => {
                match $d provider {
                    $($crate::providers::Provider::$ty => {
                        type $d api = $crate::providers::$name::$ty;
                        $d body
                    })*
                }
            };
        }
        pub(crate) use with_provider;
    };
}
registry!(declare_with_provider($));

/// Splits `path` and parses it with `parse`, for route tables' unit tests.
#[cfg(test)]
pub(crate) fn parse_path<R>(
    parse: fn(&hyper::Method, &[&str]) -> RouteMatch<R>,
    method: hyper::Method,
    path: &str,
) -> RouteMatch<R> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    parse(&method, &segments)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_report_rule_is_unique_its_providers_own_and_in_the_docs() {
        let docs = include_str!("../../docs/report.md");
        let mut seen = std::collections::HashSet::new();
        for provider in Provider::ALL {
            for rule in provider.rules() {
                assert!(seen.insert(rule.id), "{} twice", rule.id);
                assert!(
                    rule.id.starts_with(&format!("{}.", provider.name())),
                    "{}",
                    rule.id
                );
                assert!(
                    docs.contains(&format!("| `{}` |", rule.id)) && docs.contains(rule.source),
                    "docs/report.md lacks {} or its source",
                    rule.id
                );
                for op in rule.operations {
                    assert!(
                        all_operations().any(|known| known == *op),
                        "{}: {op}",
                        rule.id
                    );
                }
            }
        }
    }

    #[test]
    fn operation_ids_are_unique_and_well_formed() {
        let mut seen = std::collections::HashSet::new();
        for op in all_operations() {
            assert!(seen.insert(op), "duplicate operation id {op}");
            let parts: Vec<&str> = op.split('.').collect();
            assert_eq!(parts.len(), 3, "{op} is not <provider>.<resource>.<verb>");
            assert!(Provider::from_name(parts[0]).is_some(), "{op}");
        }
    }

    /// The seam holds: outside a provider's folder, only this registry
    /// names a provider. Comments, and tests (a `*_tests.rs` file or what
    /// follows `#[cfg(test)]` at the top level), may use one as an example.
    #[test]
    fn nothing_outside_a_providers_folder_names_a_provider() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = vec![src.clone()];
        let mut offences = Vec::new();
        while let Some(path) = files.pop() {
            if path.is_dir() {
                let in_a_provider = Provider::ALL
                    .iter()
                    .any(|p| path == src.join("providers").join(p.name()));
                if !in_a_provider {
                    files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
                }
                continue;
            }
            let name = path.to_string_lossy();
            if !name.ends_with(".rs")
                || name.ends_with("_tests.rs")
                || path == src.join("providers").join("mod.rs")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let code = text.split("\n#[cfg(test)]\n").next().unwrap_or_default();
            for (i, line) in code.lines().enumerate() {
                let lower = line.trim_start().to_ascii_lowercase();
                if lower.starts_with("//") {
                    continue;
                }
                for p in Provider::ALL {
                    if lower.contains(p.name()) {
                        offences.push(format!("{name}:{}: {}", i + 1, line.trim()));
                    }
                }
            }
        }
        assert!(offences.is_empty(), "{offences:#?}");
    }
}
