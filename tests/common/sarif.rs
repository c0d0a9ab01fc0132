//! The SARIF 2.1.0 schema check every test of SARIF output uses.

use serde_json::Value;

const SARIF_SCHEMA: &str = include_str!("../data/schemas/sarif-schema-2.1.0.json");

/// A validator of the SARIF 2.1.0 schema (draft 4), formats checked.
pub fn sarif_validator() -> jsonschema::Validator {
    let schema: Value = serde_json::from_str(SARIF_SCHEMA).expect("the SARIF schema is JSON");
    jsonschema::draft4::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles")
}

/// Every schema error of `document`, with where it is.
pub fn schema_errors(validator: &jsonschema::Validator, document: &Value) -> Vec<String> {
    validator
        .iter_errors(document)
        .map(|e| format!("{} at {}", e, e.instance_path))
        .collect()
}
