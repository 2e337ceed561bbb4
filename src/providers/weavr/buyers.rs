//! Payment Run's buyers and their authorised users. Each fixture user
//! administers one buyer. Changing the buyer or adding a user needs a
//! stepped-up token (403 `STEP_UP_REQUIRED`) and the admin's credentials
//! (409 `INSUFFICIENT_PERMISSIONS`), as the description gives them.

use serde::{Deserialize, Serialize};

use super::error::{InvalidFields, WeavrError};
use super::model::{credentials_id, identity_id, Listing, Page, FIXTURES_CREATED_MS};
use super::store::SessionMut;

/// What a buyer's admin may change.
#[derive(Debug, Clone)]
pub(crate) struct Buyer {
    admin_roles: Vec<String>,
    currencies: Vec<String>,
}

impl Default for Buyer {
    fn default() -> Self {
        Self {
            admin_roles: vec!["ADMIN".to_owned()],
            currencies: vec!["GBP".to_owned()],
        }
    }
}

/// An authorised user a buyer's admin added.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AuthorisedUser {
    id: String,
    buyer_id: String,
    name: String,
    surname: String,
    email: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    mobile: Option<Mobile>,
    active: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_of_birth: Option<DateOfBirth>,
    roles: Vec<String>,
    #[serde(skip)]
    owner: usize,
}

/// The description's `Buyer`: the identity, its admin user and company.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BuyerView<'a> {
    id: String,
    admin_user: AdminUser<'a>,
    company: Company<'a>,
    accepted_terms: bool,
    supported_currencies: Vec<SupportedCurrency<'a>>,
    creation_timestamp: i64,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct AdminUser<'a> {
    id: String,
    name: &'a str,
    surname: &'a str,
    email: &'a str,
    mobile: Mobile,
    active: bool,
    email_verified: bool,
    mobile_number_verified: bool,
    company_position: &'static str,
    roles: &'a [String],
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Company<'a> {
    name: &'a str,
    #[serde(rename = "type")]
    kind: &'static str,
    country_of_registration: &'static str,
}

#[derive(Debug, Serialize)]
struct SupportedCurrency<'a> {
    currency: &'a str,
    status: &'static str,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct Mobile {
    country_code: String,
    number: String,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct DateOfBirth {
    year: i64,
    month: i64,
    day: i64,
}

/// `POST /v1/users`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UserCreate {
    name: String,
    surname: String,
    email: String,
    #[serde(default)]
    mobile: Option<Mobile>,
    #[serde(default)]
    date_of_birth: Option<DateOfBirth>,
    roles: Vec<String>,
}

/// `PATCH /v1/buyers`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct BuyerUpdate {
    #[serde(default)]
    admin_user: Option<AdminUpdate>,
    #[serde(default)]
    supported_currencies: Option<Vec<String>>,
}

#[derive(Debug, Default, Deserialize)]
pub(crate) struct AdminUpdate {
    #[serde(default)]
    roles: Option<Vec<String>>,
}

/// `SIZE` for no roles, `IN` for a role outside `allowed`.
fn check_roles(bad: &mut InvalidFields, name: &str, roles: &[String], allowed: &[&str]) {
    if roles.is_empty() {
        bad.flag(name, "SIZE", &["1", "2147483647"]);
    }
    if roles.iter().any(|r| !allowed.contains(&r.as_str())) {
        bad.flag(name, "IN", allowed);
    }
}

fn digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

impl UserCreate {
    fn check(&self) -> Result<(), WeavrError> {
        let mut bad = InvalidFields::default();
        bad.size("name", &self.name, 1, 20);
        bad.size("surname", &self.surname, 1, 20);
        if !crate::validate::is_email(&self.email) {
            bad.flag("email", "REGEX", &["email"]);
        }
        if let Some(m) = &self.mobile {
            let code = m.country_code.strip_prefix('+').unwrap_or_default();
            if !digits(code) || code.len() > 5 {
                bad.flag("mobile.countryCode", "REGEX", &["^[\\+][0-9]{1,5}$"]);
            }
            if !digits(&m.number) || m.number.len() > 15 {
                bad.flag("mobile.number", "REGEX", &["^[0-9]+$"]);
            }
        }
        if let Some(d) = self.date_of_birth {
            for (name, v, lo, hi) in [
                ("dateOfBirth.year", d.year, 1900, 2100),
                ("dateOfBirth.month", d.month, 1, 12),
                ("dateOfBirth.day", d.day, 1, 31),
            ] {
                if !(lo..=hi).contains(&v) {
                    bad.flag(name, "RANGE", &[&lo.to_string(), &hi.to_string()]);
                }
            }
        }
        check_roles(&mut bad, "roles", &self.roles, &["CREATOR", "CONTROLLER"]);
        bad.done()
    }
}

/// Splits `+447700900123` into the calling code and the number, by the
/// ITU's plan: codes starting 1 or 7 have one digit, the listed ones two,
/// the rest three.
pub(crate) fn split_mobile(mobile: &str) -> Mobile {
    const TWO: &[&str] = &[
        "20", "27", "30", "31", "32", "33", "34", "36", "39", "40", "41", "43", "44", "45", "46",
        "47", "48", "49", "51", "52", "53", "54", "55", "56", "57", "58", "60", "61", "62", "63",
        "64", "65", "66", "81", "82", "84", "86", "90", "91", "92", "93", "94", "95", "98",
    ];
    let digits = mobile.trim_start_matches('+');
    let len = match digits.get(..2) {
        _ if digits.starts_with('1') || digits.starts_with('7') => 1,
        Some(two) if TWO.contains(&two) => 2,
        _ => 3,
    }
    .min(digits.len());
    Mobile {
        country_code: format!("+{}", &digits[..len]),
        number: digits[len..].to_owned(),
    }
}

impl SessionMut<'_> {
    /// Changing the buyer and its users needs the step-up and the admin.
    fn require_admin(&self) -> Result<(), WeavrError> {
        self.require_step_up()?;
        if self.user.role == "ADMIN" {
            Ok(())
        } else {
            Err(WeavrError::conflict("INSUFFICIENT_PERMISSIONS"))
        }
    }

    pub(crate) fn create_user(&mut self, body: UserCreate) -> Result<AuthorisedUser, WeavrError> {
        self.require_admin()?;
        body.check()?;
        let email = body.email.to_ascii_lowercase();
        let taken = self.data.users.iter().any(|u| u.email == email)
            || self
                .fixtures
                .iter()
                .any(|u| u.email.value.eq_ignore_ascii_case(&email));
        if taken {
            return Err(WeavrError::conflict("EMAIL_NOT_UNIQUE"));
        }
        if self.data.users.len() >= self.ctx.cap.live.get() {
            return Err(WeavrError::too_many(crate::limits::Full::kind(
                self.ctx.cap.live.get(),
            )));
        }
        let user = AuthorisedUser {
            id: format!(
                "{}",
                110_747_174_434_380_000u64 + self.data.users.len() as u64
            ),
            buyer_id: identity_id(self.user_index),
            name: body.name,
            surname: body.surname,
            email,
            mobile: body.mobile,
            active: true,
            date_of_birth: body.date_of_birth,
            roles: body.roles,
            owner: self.user_index,
        };
        self.data.users.push(user.clone());
        Ok(user)
    }

    /// This buyer's authorised users, filtered by `active` and `email`.
    pub(crate) fn users(
        &self,
        active: Option<bool>,
        email: Option<&str>,
        page: Page,
    ) -> Listing<&AuthorisedUser> {
        let users: Vec<&AuthorisedUser> = self
            .data
            .users
            .iter()
            .filter(|u| u.owner == self.user_index)
            .filter(|u| active.is_none_or(|a| u.active == a))
            .filter(|u| email.is_none_or(|e| u.email.eq_ignore_ascii_case(e)))
            .collect();
        Listing {
            key: "users",
            items: page.of(&users).to_vec(),
            count: users.len(),
        }
    }

    /// The buyer as the description's `Buyer` gives it.
    pub(crate) fn buyer(&self) -> BuyerView<'_> {
        let user = self.user;
        let buyer = &self.account.buyer;
        BuyerView {
            id: identity_id(self.user_index),
            admin_user: AdminUser {
                id: credentials_id(self.user_index),
                name: &user.name,
                surname: &user.surname,
                email: &user.email.value,
                mobile: split_mobile(user.mobile.as_deref().unwrap_or("+440000000000")),
                active: true,
                email_verified: true,
                mobile_number_verified: self.account.enrolled,
                company_position: "DIRECTOR",
                roles: &buyer.admin_roles,
            },
            company: Company {
                name: &user.company,
                kind: "LLC",
                country_of_registration: "GB",
            },
            accepted_terms: true,
            supported_currencies: buyer
                .currencies
                .iter()
                .map(|currency| SupportedCurrency {
                    currency,
                    status: "ACTIVE",
                })
                .collect(),
            creation_timestamp: FIXTURES_CREATED_MS,
        }
    }

    pub(crate) fn update_buyer(&mut self, body: BuyerUpdate) -> Result<BuyerView<'_>, WeavrError> {
        self.require_admin()?;
        let mut bad = InvalidFields::default();
        let roles = body.admin_user.and_then(|a| a.roles);
        if let Some(roles) = &roles {
            check_roles(
                &mut bad,
                "adminUser.roles",
                roles,
                &["ADMIN", "CREATOR", "CONTROLLER"],
            );
        }
        if let Some(currencies) = &body.supported_currencies {
            if currencies.iter().any(|c| c.len() != 3) {
                bad.flag("supportedCurrencies", "SIZE", &["3", "3"]);
            }
        }
        bad.done()?;
        if let Some(currencies) = &body.supported_currencies {
            if currencies.iter().any(|c| c != "GBP" && c != "EUR") {
                return Err(WeavrError::conflict("CURRENCY_UNSUPPORTED"));
            }
        }
        let buyer = &mut self.account.buyer;
        if let Some(roles) = roles {
            buyer.admin_roles = roles;
        }
        if let Some(mut currencies) = body.supported_currencies {
            currencies.dedup();
            buyer.currencies = currencies;
        }
        Ok(self.buyer())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles_split_at_the_calling_code() {
        for (mobile, code, number) in [
            ("+447700900123", "+44", "7700900123"),
            ("+15550101", "+1", "5550101"),
            ("+4915112345678", "+49", "15112345678"),
            ("+353861234567", "+353", "861234567"),
        ] {
            let m = split_mobile(mobile);
            assert_eq!((m.country_code.as_str(), m.number.as_str()), (code, number));
        }
    }
}
