//! What the rest of the sandbox reaches through the registry: the world's
//! stores, their sweep and stats, the scenario file's per-provider checks,
//! the control API's provider routes, and the dashboard's pending work,
//! buttons and pages. Each item is generated from the registry's list and
//! calls the providers' [`ProviderApi`] implementations.

use std::sync::Arc;

use hyper::Method;
use serde_json::Value;

use super::Provider;
#[cfg(any(test, feature = "fuzzing"))]
use super::SignIn;
use super::Users;
use super::{registry, EndUser, Operation, Parts, ProviderApi, RouteMatch, RouteTable};
use super::{Sections, SectionsMut};
use crate::control::Reply;
use crate::http::{Request, Response};
use crate::ids::IdGen;
use crate::providers::World;
use crate::terms::SmsUser;

macro_rules! dispatch {
    (() $($name:ident $ty:ident,)*) => {
        use super::{$($name),*};

        $(
            impl Parts for $name::$ty {
                type Store = $name::Store;
                type Settings = $name::config::Settings;
                type Users = $name::config::Users;

                fn settings(all: &super::Settings) -> &Self::Settings {
                    &all.$name
                }

                fn users(all: &super::Users) -> &Self::Users {
                    &all.$name
                }
            }
        )*

        /// Every provider's store, one field each, named like the provider.
        #[derive(Debug)]
        pub(crate) struct Stores {
            $(pub(crate) $name: $name::Store,)*
        }

        impl Stores {
            /// Fresh stores holding the scenario's fixtures. Providers draw
            /// from `ids` in the order of the registry, so a seed gives the
            /// same world every time.
            pub(crate) fn new(scenario: &Sections<'_>, ids: &IdGen) -> Self {
                Self {
                    $($name: $name::Store::new(scenario, ids),)*
                }
            }
        }

        /// Settles every provider's store at the world's current time.
        pub(crate) fn sweep(world: &World) {
            $($name::sweep(world);)*
        }

        /// Live objects per provider, keyed by name.
        pub(crate) fn stats(world: &World) -> serde_json::Map<String, Value> {
            let mut all = serde_json::Map::new();
            $(all.insert(stringify!($name).to_owned(), world.stores().$name.stats());)*
            all
        }

        /// What waits for the end user, for the dashboard: one section per
        /// provider that shows any, `{partial, items}`, drawn by the
        /// provider's `<name>/pending` template.
        pub(crate) fn pending(world: &World) -> Vec<Value> {
            let mut sections = Vec::new();
            $(
                let items = <$name::$ty as ProviderApi>::pending(world);
                if !items.is_null() {
                    sections.push(serde_json::json!({
                        "partial": concat!(stringify!($name), "/pending"),
                        "items": items,
                    }));
                }
            )*
            sections
        }

        /// How the scenario's users receive `provider`'s SMS, when its own
        /// section says (`None`: as `users.sms` says).
        pub(crate) fn own_sms(users: &Users, provider: &str) -> Option<SmsUser> {
            match provider {
                $(stringify!($name) => <$name::$ty as ProviderApi>::own_sms(users),)*
                _ => None,
            }
        }

        /// Checks every provider's part of a scenario, then folds the
        /// simulated users' choices into what the providers read.
        pub(crate) fn validate(scenario: &Sections<'_>) -> Result<(), (serde_saphyr::Location, String)> {
            $($name::config::validate(scenario)?;)*
            Ok(())
        }

        pub(crate) fn apply_users(scenario: &mut SectionsMut<'_>) {
            $(<$name::$ty as ProviderApi>::apply_users(scenario);)*
        }

        /// A control-API route of one provider, below `/__admin/<name>/`.
        #[derive(Debug, PartialEq, Eq)]
        pub(crate) enum ControlRoute {
            $($ty(<$name::$ty as ProviderApi>::Control),)*
        }

        impl ControlRoute {
            /// `rest` is the path below `/__admin/<provider>/`.
            pub(crate) fn parse(method: &Method, provider: &str, rest: &[&str]) -> RouteMatch<Self> {
                match provider {
                    $(stringify!($name) => {
                        <<$name::$ty as ProviderApi>::Control as RouteTable>::parse(method, rest)
                            .map(Self::$ty)
                    })*
                    _ => RouteMatch::NotFound,
                }
            }

            pub(crate) fn operation(&self) -> &'static str {
                match self {
                    $(Self::$ty(route) => route.operation(),)*
                }
            }

            pub(crate) fn handle(self, req: &Request, world: Arc<World>) -> Reply<Response> {
                match self {
                    $(Self::$ty(route) => route.handle(req, world),)*
                }
            }
        }

        /// Every provider's control-API operation ids, for the OpenAPI check.
        #[cfg(test)]
        pub(crate) fn control_operations() -> impl Iterator<Item = &'static str> {
            [$(<<$name::$ty as ProviderApi>::Control as Operation>::ALL,)*]
                .into_iter()
                .flatten()
                .copied()
        }

        impl Provider {
            /// The rules the integration report judges this provider's clients by.
            pub(crate) fn rules(self) -> &'static [crate::report::Rule] {
                match self {
                    $(Self::$ty => <$name::$ty as ProviderApi>::RULES,)*
                }
            }

            /// The operation ids of the calls the sandbox makes as this provider.
            pub(crate) fn outbound_operations(self) -> &'static [&'static str] {
                match self {
                    $(Self::$ty => <$name::$ty as ProviderApi>::OUTBOUND_OPERATIONS,)*
                }
            }

            /// A request that only a signed-in caller gets past, and its answer.
            #[cfg(test)]
            pub(crate) fn signed_in_probe(self) -> (&'static str, &'static str, &'static str, u16) {
                match self {
                    $(Self::$ty => <$name::$ty as ProviderApi>::SIGNED_IN_PROBE,)*
                }
            }

            /// How a fuzz run signs in as this provider's demo user.
            #[cfg(any(test, feature = "fuzzing"))]
            pub(crate) fn sign_in(self) -> &'static [SignIn] {
                match self {
                    $(Self::$ty => <$name::$ty as ProviderApi>::SIGN_IN,)*
                }
            }
        }

        /// Every provider's page templates.
        pub(crate) fn templates() -> impl Iterator<Item = &'static (&'static str, &'static str)> {
            [$(<$name::$ty as ProviderApi>::TEMPLATES,)*].into_iter().flatten()
        }

        /// Whether `action` is a provider's dashboard button, `<provider>_<verb>`.
        pub(crate) fn is_button(action: &str) -> bool {
            let Some((provider, verb)) = action.split_once('_') else {
                return false;
            };
            match provider {
                $(stringify!($name) => <<$name::$ty as ProviderApi>::Control as EndUser>::BUTTONS.contains(&verb),)*
                _ => false,
            }
        }

        /// Presses the dashboard button `<provider>_<verb>` on `id`: the
        /// notice to show, or why it did nothing. `None`: no such button.
        pub(crate) fn button(world: &World, action: &str, id: &str, code: &str) -> Option<Result<String, String>> {
            let (provider, verb) = action.split_once('_')?;
            match provider {
                $(stringify!($name) => <<$name::$ty as ProviderApi>::Control as EndUser>::press(world, verb, id, code),)*
                _ => None,
            }
        }
    };
}
registry!(dispatch);
