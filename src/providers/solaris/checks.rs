//! The checks Solaris makes of a body before anything happens: phone
//! numbers, IBANs, transfers and person updates.

use serde_json::Value;

use super::error::SolarisError;

type Result<T> = std::result::Result<T, SolarisError>;

pub(super) fn check_e164(number: &str) -> Result<()> {
    let digits = number.strip_prefix('+').unwrap_or("");
    if (7..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(SolarisError::validation(
            "number",
            "number must be in E.164 format, e.g. +15550101",
        ))
    }
}

pub(super) fn check_iban(field: &str, iban: &str) -> Result<()> {
    let ok = crate::validate::is_iban(iban);
    if ok {
        Ok(())
    } else {
        Err(SolarisError::validation(field, "not a valid IBAN"))
    }
}

pub(super) fn check_transfer(body: &Value) -> Result<()> {
    let amount = &body["amount"];
    if amount["value"].as_i64().is_none_or(|v| v <= 0) {
        return Err(SolarisError::validation(
            "amount.value",
            "amount.value must be a positive number of cents",
        ));
    }
    if amount["unit"] != "cents" {
        return Err(SolarisError::validation(
            "amount.unit",
            "amount.unit must be cents",
        ));
    }
    if amount["currency"] != "EUR" {
        return Err(SolarisError::validation(
            "amount.currency",
            "amount.currency must be EUR",
        ));
    }
    if body["recipient_name"]
        .as_str()
        .is_none_or(|n| n.trim().is_empty())
    {
        return Err(SolarisError::validation(
            "recipient_name",
            "recipient_name is required",
        ));
    }
    check_iban(
        "recipient_iban",
        body["recipient_iban"].as_str().unwrap_or_default(),
    )
}

pub(super) fn check_person_patch(patch: &Value) -> Result<()> {
    let fields = patch
        .as_object()
        .ok_or_else(|| SolarisError::validation("body", "a JSON object is required"))?;
    for (key, value) in fields {
        match key.as_str() {
            "first_name" | "last_name" if value.is_string() => {}
            "address" if value.is_object() => {}
            "first_name" | "last_name" | "address" => {
                return Err(SolarisError::validation(key, "has the wrong type"))
            }
            other => {
                return Err(SolarisError::validation(
                    other,
                    "cannot be changed through this endpoint",
                ))
            }
        }
    }
    Ok(())
}
