//! Weavr's wire types and the validation its specs describe.

use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{InvalidField, WeavrError};
use super::routes::Profile;
use super::store::StepUp;

/// `POST .../login_with_password`.
#[derive(Debug, Deserialize)]
pub(crate) struct Login {
    pub(crate) email: String,
    #[serde(deserialize_with = "crate::http::object")]
    pub(crate) password: Password,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Password {
    pub(crate) value: String,
}

/// `POST .../verify`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Verify {
    #[serde(default)]
    pub(crate) verification_code: Option<String>,
}

/// `POST /multi/access_token`.
#[derive(Debug, Deserialize)]
pub(crate) struct AccessToken {
    #[serde(deserialize_with = "crate::http::object")]
    pub(crate) identity: Identity,
}

#[derive(Debug, Deserialize)]
pub(crate) struct Identity {
    #[serde(rename = "type")]
    pub(crate) kind: String,
    pub(crate) id: String,
}

/// Stable numeric ids for a fixture user, shaped like Weavr's.
pub(crate) fn identity_id(user: usize) -> String {
    format!("{}", 110_747_174_434_373_600u64 + user as u64)
}

pub(crate) fn credentials_id(user: usize) -> String {
    format!("{}", 110_747_174_434_373_700u64 + user as u64)
}

/// The login answer of each product.
pub(crate) fn login_response(profile: Profile, token: &str, user: usize, role: &str) -> Value {
    let (identity_type, credentials_type) = match profile {
        Profile::PaymentRun => ("BUYER", role),
        Profile::Multi => ("CORPORATE", if role == "ADMIN" { "ROOT" } else { "USER" }),
    };
    json!({
        "token": token,
        "tokenType": "AUTH",
        "identity": { "type": identity_type, "id": identity_id(user) },
        "credentials": { "type": credentials_type, "id": credentials_id(user) },
    })
}

pub(crate) fn status_name(step_up: StepUp) -> &'static str {
    match step_up {
        StepUp::SteppedUp | StepUp::SpentOnTransaction => "STEPPED_UP",
        StepUp::Standard => "STANDARD",
    }
}

/// Checks a payment run as the Payment Run spec's schema does, collecting
/// every invalid field.
pub(crate) fn check_payment_run(body: &Value) -> Result<(), WeavrError> {
    let mut bad = Vec::new();
    let mut flag = |field: String, error: &'static str, params: &[&str]| {
        bad.push(InvalidField {
            params: params.iter().map(|p| (*p).to_owned()).collect(),
            field_name: field,
            error,
        });
    };
    match body.get("payments").and_then(Value::as_array) {
        None => flag("payments".to_owned(), "REQUIRED", &[]),
        Some(payments) if payments.is_empty() || payments.len() > 1000 => {
            flag("payments".to_owned(), "SIZE", &["1", "1000"])
        }
        Some(payments) => {
            for (i, p) in payments.iter().enumerate() {
                let at = |name: &str| format!("payments[{i}].{name}");
                let amount = &p["paymentAmount"];
                if !matches!(amount["currency"].as_str(), Some("GBP" | "EUR")) {
                    flag(at("paymentAmount.currency"), "IN", &["GBP", "EUR"]);
                }
                if amount["amount"].as_i64().is_none_or(|a| a < 1) {
                    flag(at("paymentAmount.amount"), "RANGE", &["1"]);
                }
                match p["reference"].as_str() {
                    None => flag(at("reference"), "REQUIRED", &[]),
                    Some(r) if r.is_empty() || r.len() > 18 => {
                        flag(at("reference"), "SIZE", &["1", "18"])
                    }
                    Some(r)
                        if !r
                            .bytes()
                            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-') =>
                    {
                        flag(at("reference"), "REGEX", &["^[0-9a-zA-Z.-]{1,18}$"])
                    }
                    Some(_) => {}
                }
                let supplier = &p["supplier"];
                match supplier["name"].as_str() {
                    Some(n) if !n.is_empty() && n.chars().count() <= 140 => {}
                    Some(_) => flag(at("supplier.name"), "SIZE", &["1", "140"]),
                    None => flag(at("supplier.name"), "REQUIRED", &[]),
                }
                check_bank_details(
                    &supplier["bankAccountDetails"],
                    &at("supplier.bankAccountDetails"),
                    &mut flag,
                );
            }
        }
    }
    if bad.is_empty() {
        Ok(())
    } else {
        Err(WeavrError::Syntax {
            message: format!("{} invalid field(s)", bad.len()),
            fields: bad,
        })
    }
}

fn check_bank_details(
    details: &Value,
    at: &str,
    flag: &mut impl FnMut(String, &'static str, &[&str]),
) {
    if let Some(iban) = details["iban"].as_str() {
        let ok = crate::validate::is_iban(iban);
        if !ok {
            flag(
                format!("{at}.iban"),
                "REGEX",
                &["^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$"],
            );
        }
        return;
    }
    let digits = |v: &Value, n: usize| {
        v.as_str()
            .is_some_and(|s| s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
    };
    if details.get("accountNumber").is_none() && details.get("sortCode").is_none() {
        flag(
            at.to_owned(),
            "REQUIRED",
            &["iban", "accountNumber+sortCode"],
        );
        return;
    }
    if !digits(&details["accountNumber"], 8) {
        flag(format!("{at}.accountNumber"), "REGEX", &["^[0-9]{8}$"]);
    }
    if !digits(&details["sortCode"], 6) {
        flag(format!("{at}.sortCode"), "REGEX", &["^[0-9]{6}$"]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(reference: &str, details: Value) -> Value {
        json!({ "payments": [{
            "paymentAmount": { "currency": "GBP", "amount": 1000 },
            "reference": reference,
            "supplier": { "name": "Acme Ltd", "bankAccountDetails": details },
        }]})
    }

    #[test]
    fn a_well_formed_run_passes() {
        assert!(check_payment_run(&run(
            "INV-1",
            json!({"accountNumber": "12345678", "sortCode": "123456"})
        ))
        .is_ok());
        assert!(
            check_payment_run(&run("INV.2", json!({"iban": "GB33BUKB20201555555555"}))).is_ok()
        );
        assert!(check_payment_run(&run("INV.3", json!({"iban": "GBé3BUKB2020155555"}))).is_err());
    }

    #[test]
    fn each_bad_field_is_named() {
        let err = check_payment_run(&run(
            "way too long reference!",
            json!({"accountNumber": "1"}),
        ))
        .unwrap_err();
        let WeavrError::Syntax { fields, .. } = err else {
            panic!()
        };
        let names: Vec<_> = fields
            .iter()
            .map(|f| (f.field_name.as_str(), f.error))
            .collect();
        assert_eq!(
            names,
            [
                ("payments[0].reference", "SIZE"),
                (
                    "payments[0].supplier.bankAccountDetails.accountNumber",
                    "REGEX"
                ),
                ("payments[0].supplier.bankAccountDetails.sortCode", "REGEX"),
            ]
        );
        let err = check_payment_run(&json!({"payments": []})).unwrap_err();
        assert!(matches!(err, WeavrError::Syntax { ref fields, .. } if fields[0].error == "SIZE"));
    }
}
