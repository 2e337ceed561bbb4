//! The scenario file's per-provider sections: `settings`, `fixtures` and
//! `users` each hold one block per registered provider, beside the few keys
//! every provider shares. Generated from the registry, so the file's reader
//! names no provider.

use serde::Deserialize;
use serde_saphyr::Spanned;

use super::registry;
use crate::terms::{Arrival, SmsUser};

macro_rules! sections {
    (() $($name:ident $ty:ident,)*) => {
        /// Lifetimes, limits and switches, per provider.
        #[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct Settings {
            $(
                #[serde(default)]
                pub $name: super::$name::config::Settings,
            )*
            /// What a tenant's stores keep at most.
            #[serde(default)]
            pub limits: crate::limits::Limits,
            /// The integration report's rules: ignored, or judged otherwise.
            #[serde(default)]
            pub report: crate::report::Tuning,
            /// More host names that reach a provider without its path
            /// prefix (`host: provider`), over the providers' own hosts.
            #[serde(default)]
            #[schemars(with = "std::collections::BTreeMap<String, String>")]
            pub hosts: std::collections::BTreeMap<String, Spanned<String>>,
        }

        /// The objects that exist when the world starts.
        #[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct Fixtures {
            /// False when the file has no `fixtures` key at all.
            #[serde(skip, default = "given")]
            pub(crate) given: bool,
            $(
                #[serde(default)]
                pub $name: super::$name::config::Fixtures,
            )*
        }

        /// The simulated end users, per provider.
        #[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
        #[serde(deny_unknown_fields)]
        pub struct Users {
            /// How every provider's SMS arrive, unless the provider's block says otherwise.
            #[serde(default)]
            pub sms: SmsUser,
            $(
                #[serde(default)]
                pub $name: super::$name::config::Users,
            )*
        }
    };
}
registry!(sections);

fn given() -> bool {
    true
}

impl Fixtures {
    /// What a file without a `fixtures` key starts from (see `given`).
    pub(crate) fn absent() -> Self {
        Self::default()
    }
}

impl Users {
    /// How SMS of `provider` (a provider name, or `sandbox`) arrive.
    pub(crate) fn sms_for(&self, provider: &str) -> Option<Arrival> {
        super::own_sms(self, provider)
            .unwrap_or(self.sms)
            .deliver_after
    }
}

/// A scenario's provider sections, as a provider's store starts from them
/// and its checks read them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Sections<'a> {
    pub(crate) settings: &'a Settings,
    pub(crate) fixtures: &'a Fixtures,
    pub(crate) users: &'a Users,
}

/// The same, while the simulated users' choices are folded into the
/// settings and fixtures.
#[derive(Debug)]
pub(crate) struct SectionsMut<'a> {
    pub(crate) settings: &'a mut Settings,
    pub(crate) fixtures: &'a mut Fixtures,
    pub(crate) users: &'a Users,
}
