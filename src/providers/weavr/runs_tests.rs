//! The payment run's checks, field by field.
use super::*;
use serde_json::json;

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
    assert!(check_payment_run(&run("INV.2", json!({"iban": "GB33BUKB20201555555555"}))).is_ok());
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
