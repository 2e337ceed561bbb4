//! Individuals and their onboarding, as Intergiro's onboarding guide gives
//! it: an individual is `created`; onboarding (behind consent, as KYC is in
//! the SCA guide) hands out a form link and makes it `onboarding_requested`;
//! the user sends the form (`onboarding_data_provided`); Intergiro's review
//! makes it `active` or `blocked`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use parking_lot::Mutex;
use serde::Serialize;
use serde_json::Value;

use super::config::{Individual as Fixture, Review};
use super::store::{stamp, Ctx};
use crate::limits::{Capped, Full};

/// An individual as `GET /v3/individuals/{id}` answers it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Individual {
    pub(crate) id: String,
    pub(crate) first_name: String,
    pub(crate) last_name: String,
    pub(crate) email: String,
    pub(crate) phone_number: String,
    pub(crate) date_of_birth: String,
    #[serde(skip_serializing_if = "Value::is_null")]
    pub(crate) address: Value,
    pub(crate) status: &'static str,
    pub(crate) created_at: String,
    /// The live form link's token: one per individual, so the links never
    /// outnumber the individuals.
    #[serde(skip)]
    pub(crate) form: Option<String>,
    /// Payment-method consents not yet decided, oldest first (at most
    /// [`OPEN_METHOD_CONSENTS`]), and the methods saved.
    #[serde(skip)]
    pub(crate) method_consents: Vec<String>,
    #[serde(skip)]
    pub(crate) methods: Vec<Value>,
}

/// Undecided payment-method consents kept per individual; a newer one
/// pushes out the oldest, which expires on its own anyway.
pub(crate) const OPEN_METHOD_CONSENTS: usize = 16;

/// An onboarding form link: whose, until when, and where the user goes after.
#[derive(Debug, Clone)]
struct Form {
    individual: String,
    expires_at: DateTime<Utc>,
    return_url: Option<String>,
}

#[derive(Debug, Default)]
struct Inner {
    individuals: Capped<String, Individual>,
    forms: HashMap<String, Form>,
}

#[derive(Debug, Default)]
pub(crate) struct Individuals {
    inner: Mutex<Inner>,
}

/// What the user's sending the form did.
#[derive(Debug)]
pub(crate) struct Provided {
    pub(crate) id: String,
    pub(crate) status: &'static str,
    pub(crate) return_url: Option<String>,
}

impl Individuals {
    pub(crate) fn new(fixtures: &[Fixture], now: DateTime<Utc>) -> Self {
        let mut inner = Inner::default();
        for f in fixtures {
            let status = if f.status == "active" {
                "active"
            } else {
                "created"
            };
            inner.individuals.insert(
                f.id.value.clone(),
                Individual {
                    id: f.id.value.clone(),
                    first_name: f.first_name.clone(),
                    last_name: f.last_name.clone(),
                    email: f.email.clone(),
                    phone_number: f.phone_number.clone(),
                    date_of_birth: f.date_of_birth.clone(),
                    address: Value::Null,
                    status,
                    created_at: stamp(&now),
                    form: None,
                    method_consents: Vec::new(),
                    methods: Vec::new(),
                },
            );
        }
        Self {
            inner: Mutex::new(inner),
        }
    }

    /// Keeps a new individual. Individuals never finish, so a full store
    /// refuses.
    pub(crate) fn create(&self, ctx: Ctx<'_>, individual: Individual) -> Result<Individual, Full> {
        let mut inner = self.inner.lock();
        inner.individuals.make_room(ctx.cap, |_| false)?;
        inner
            .individuals
            .insert(individual.id.clone(), individual.clone());
        Ok(individual)
    }

    pub(crate) fn get(&self, id: &str) -> Option<Individual> {
        self.inner.lock().individuals.get(id).cloned()
    }

    /// Consent was given: a form link that lives `ctx.settings.consent_ttl`,
    /// and the individual is `onboarding_requested`. An earlier link of
    /// theirs stops working. `Err` with the status of one already onboarded.
    pub(crate) fn request(
        &self,
        ctx: Ctx<'_>,
        id: &str,
        return_url: Option<String>,
    ) -> Result<(String, DateTime<Utc>), &'static str> {
        let mut inner = self.inner.lock();
        let individual = inner.individuals.get_mut(id).ok_or("not_found")?;
        if matches!(individual.status, "active" | "blocked") {
            return Err(individual.status);
        }
        individual.status = "onboarding_requested";
        let token = ctx.ids.token(32);
        let expires_at = ctx.now + ctx.settings.consent_ttl.as_delta();
        let earlier = individual.form.replace(token.clone());
        if let Some(earlier) = earlier {
            inner.forms.remove(&earlier);
        }
        inner.forms.insert(
            token.clone(),
            Form {
                individual: id.to_owned(),
                expires_at,
                return_url,
            },
        );
        Ok((token, expires_at))
    }

    /// The individual a live form link is for.
    pub(crate) fn form(&self, now: DateTime<Utc>, token: &str) -> Option<Individual> {
        let inner = self.inner.lock();
        let form = inner.forms.get(token).filter(|f| f.expires_at > now)?;
        inner.individuals.get(&form.individual).cloned()
    }

    /// The user sends the form: the link is spent, the data is provided, and
    /// the review decides as `review` says.
    pub(crate) fn provide(
        &self,
        now: DateTime<Utc>,
        token: &str,
        review: Review,
    ) -> Option<Provided> {
        let mut inner = self.inner.lock();
        let form = inner.forms.remove(token).filter(|f| f.expires_at > now)?;
        let individual = inner.individuals.get_mut(&form.individual)?;
        individual.form = None;
        individual.status = match review {
            Review::Activate => "active",
            Review::Block => "blocked",
            Review::Manual => "onboarding_data_provided",
        };
        Some(Provided {
            id: form.individual,
            status: individual.status,
            return_url: form.return_url,
        })
    }

    /// The control API's review of provided data: `Err` with the status when
    /// the individual has provided none (or is decided already).
    pub(crate) fn review(
        &self,
        id: &str,
        activate: bool,
    ) -> Result<Individual, Option<&'static str>> {
        let mut inner = self.inner.lock();
        let individual = inner.individuals.get_mut(id).ok_or(None)?;
        if individual.status != "onboarding_data_provided" {
            return Err(Some(individual.status));
        }
        individual.status = if activate { "active" } else { "blocked" };
        Ok(individual.clone())
    }

    /// Watches a payment-method consent of the individual; `false` when
    /// there is no such individual.
    pub(crate) fn watch(&self, id: &str, consent: String) -> bool {
        let mut inner = self.inner.lock();
        let Some(individual) = inner.individuals.get_mut(id) else {
            return false;
        };
        if individual.method_consents.len() >= OPEN_METHOD_CONSENTS {
            individual.method_consents.remove(0);
        }
        individual.method_consents.push(consent);
        true
    }

    /// The consents to look at, without holding the lock while the consent
    /// store is asked about them.
    pub(crate) fn watched(&self, id: &str) -> Option<Vec<String>> {
        let inner = self.inner.lock();
        Some(inner.individuals.get(id)?.method_consents.clone())
    }

    /// Settles the watched consents: approved ones become `saved` methods,
    /// decided ones are no longer watched. The methods saved so far.
    pub(crate) fn settle_methods(
        &self,
        id: &str,
        decided: &[(String, Option<Value>)],
    ) -> Option<Vec<Value>> {
        let mut inner = self.inner.lock();
        let individual = inner.individuals.get_mut(id)?;
        for (consent, method) in decided {
            individual.method_consents.retain(|c| c != consent);
            individual.methods.extend(method.clone());
        }
        Some(individual.methods.clone())
    }

    pub(crate) fn count(&self) -> usize {
        self.inner.lock().individuals.len()
    }
}
