//! A person's mobile number (add, authorize by SMS, confirm), and what the
//! other endpoints read of a person: the person, trusted IBANs, balances.

use chrono::{DateTime, Utc};

use super::error::SolarisError;
use super::model::{MobileNumberView, PersonView, TrustedIban};
use super::store::{sms_draft, Ctx, MobileNumber, Person, Store, MAX_WRONG_CODES};
use crate::outbox::SmsDraft;
use crate::secret;

/// Mobile number management: add, authorize (an SMS), confirm.
impl Store {
    pub(crate) fn mobile_number(&self, person_id: &str) -> Result<MobileNumberView, SolarisError> {
        let inner = self.lock();
        inner
            .person(person_id)?
            .mobile
            .as_ref()
            .map(MobileNumber::view)
            .ok_or_else(|| SolarisError::not_found("MobileNumber", person_id))
    }

    pub(crate) fn add_mobile_number(
        &self,
        ctx: Ctx<'_>,
        person_id: &str,
        number: &str,
    ) -> Result<MobileNumberView, SolarisError> {
        let mut inner = self.lock();
        let person = inner.person_mut(person_id)?;
        if person.mobile.is_some() {
            return Err(SolarisError::conflict(
                "mobile_number_exists",
                "The person already has a mobile number",
            ));
        }
        let mobile = MobileNumber {
            id: ctx.ids.hex(32),
            number: number.to_owned(),
            verified: false,
            pending: None,
        };
        let view = mobile.view();
        person.mobile = Some(mobile);
        Ok(view)
    }

    pub(crate) fn authorize_mobile_number(
        &self,
        ctx: Ctx<'_>,
        person_id: &str,
        number: &str,
    ) -> Result<(MobileNumberView, SmsDraft), SolarisError> {
        let mut inner = self.lock();
        let person = inner.person_mut(person_id)?;
        let code = person.otp(ctx.ids);
        let mobile = person
            .mobile
            .as_mut()
            .filter(|m| m.number == number)
            .ok_or_else(|| SolarisError::not_found("MobileNumber", number))?;
        mobile.pending = Some((code.clone(), ctx.expiry(), 0));
        let sms = sms_draft(number.to_owned(), &code, "mobile_number", &mobile.id);
        Ok((mobile.view(), sms))
    }

    pub(crate) fn confirm_mobile_number(
        &self,
        now: DateTime<Utc>,
        person_id: &str,
        number: &str,
        token: &str,
    ) -> Result<MobileNumberView, SolarisError> {
        let mut inner = self.lock();
        let mobile = inner
            .person_mut(person_id)?
            .mobile
            .as_mut()
            .filter(|m| m.number == number)
            .ok_or_else(|| SolarisError::not_found("MobileNumber", number))?;
        match &mut mobile.pending {
            Some((code, expires, _)) if now < *expires && secret::eq(code, token) => {
                mobile.verified = true;
                mobile.pending = None;
                Ok(mobile.view())
            }
            Some((_, _, wrong)) if *wrong + 1 < MAX_WRONG_CODES => {
                *wrong += 1;
                Err(SolarisError::invalid_tan())
            }
            // The last allowed try was wrong: the code is gone; authorize again.
            _ => {
                mobile.pending = None;
                Err(SolarisError::invalid_tan())
            }
        }
    }

    pub(crate) fn person_view(&self, id: &str) -> Result<PersonView, SolarisError> {
        self.lock().person(id).map(Person::view)
    }

    pub(crate) fn trusted_ibans(&self, id: &str) -> Result<Vec<TrustedIban>, SolarisError> {
        Ok(self.lock().person(id)?.trusted_ibans.clone())
    }

    /// The balance of a person's account in cents, checking it is theirs.
    pub(crate) fn balance(&self, person_id: &str, account_id: &str) -> Result<i64, SolarisError> {
        let inner = self.lock();
        inner
            .person(person_id)?
            .accounts
            .iter()
            .find(|a| a.0 == account_id)
            .map(|a| a.2)
            .ok_or_else(|| SolarisError::not_found("Account", account_id))
    }
}
