//! The scenario file's JSON Schema, generated from its types, so editors
//! complete and check scenario files (`yaml-language-server`). The types
//! with their own text forms describe them here.

use std::borrow::Cow;

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

use super::{Arrival, Delay, Dur, Otp, Scenario};

/// A duration's text: numbers with units, `1h`, `5m`, `2s`, `150ms`, `1m30s`.
const DURATION: &str = "^([0-9]+(ms|s|m|h))+$";

impl JsonSchema for Dur {
    fn schema_name() -> Cow<'static, str> {
        "Duration".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": DURATION,
            "description": "A duration: numbers with units ms, s, m or h, such as 150ms, 2s, 5m, 1h or 1m30s; ten years at most.",
        })
    }
}

impl JsonSchema for Delay {
    fn schema_name() -> Cow<'static, str> {
        "Delay".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^([0-9]+(ms|s|m|h))+(\\.\\.([0-9]+(ms|s|m|h))+)?$",
            "description": "A fixed delay (2s) or a range drawn uniformly (1s..3s).",
        })
    }
}

impl JsonSchema for Otp {
    fn schema_name() -> Cow<'static, str> {
        "Otp".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^([0-9]{6}|random)$",
            "description": "Six digits, the code every message carries, or `random` for a fresh code each time.",
        })
    }
}

impl JsonSchema for Arrival {
    fn schema_name() -> Cow<'static, str> {
        "Arrival".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "type": "string",
            "pattern": "^(never|([0-9]+(ms|s|m|h))+)$",
            "description": "When a message arrives: a delay such as 0s or 20s, or `never`.",
        })
    }
}

/// The whole schema, as served at `/__admin/scenario.schema.json` and
/// shipped as `scenario.schema.json`.
pub fn scenario_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Scenario);
    schema.insert(
        "$id".to_owned(),
        "https://sca-sandbox.local/scenario.schema.json".into(),
    );
    schema.insert("title".to_owned(), "sca-sandbox scenario".into());
    schema.to_value()
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_shipped_schema_is_the_generated_one() {
        let shipped: serde_json::Value =
            serde_json::from_str(include_str!("../../scenario.schema.json")).unwrap();
        assert_eq!(
            shipped,
            super::scenario_schema(),
            "scenario.schema.json is stale: run `cargo run -- schema > scenario.schema.json`"
        );
    }

    #[test]
    fn every_example_scenario_names_the_schema_for_editors() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            assert!(
                text.starts_with("# yaml-language-server: $schema=../scenario.schema.json\n"),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn the_schema_describes_the_top_level_keys_and_refuses_others() {
        let schema = super::scenario_schema();
        for key in [
            "version", "name", "seed", "settings", "fixtures", "users", "rules",
        ] {
            assert!(schema["properties"][key].is_object(), "{key}");
        }
        assert_eq!(schema["additionalProperties"], false);
        let text = schema.to_string();
        assert!(
            text.contains(super::DURATION),
            "durations carry their pattern"
        );
    }
}
