//! Every answer the tests get is checked against the effective spec's
//! response schema for its operation and status, with a JSON Schema
//! validator (the spec's OpenAPI 3.0 `nullable` turned into JSON Schema).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use serde_json::{Map, Value, json};

fn spec() -> &'static Value {
    static SPEC: OnceLock<Value> = OnceLock::new();
    SPEC.get_or_init(|| serde_json::from_str(recallr_stub::EFFECTIVE_SPEC).expect("the spec"))
}

/// OpenAPI 3.0's `nullable: true` as JSON Schema's `anyOf [.., null]`.
fn json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(fields) => {
            let mut out: Map<String, Value> = fields
                .iter()
                .filter(|(key, _)| !matches!(key.as_str(), "nullable" | "example" | "x-source"))
                .map(|(key, value)| (key.clone(), json_schema(value)))
                .collect();
            if fields.get("nullable") == Some(&Value::Bool(true)) {
                let inner = Value::Object(std::mem::take(&mut out));
                json!({"anyOf": [inner, {"type": "null"}]})
            } else {
                Value::Object(out)
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(json_schema).collect()),
        other => other.clone(),
    }
}

/// The operation's path template for a concrete path.
fn template(method: &str, path: &str) -> Option<String> {
    let segments: Vec<&str> = path.split('/').collect();
    spec()["paths"]
        .as_object()?
        .iter()
        .find(|(template, item)| {
            let parts: Vec<&str> = template.split('/').collect();
            item.get(method.to_ascii_lowercase()).is_some()
                && parts.len() == segments.len()
                && parts
                    .iter()
                    .zip(&segments)
                    .all(|(part, segment)| part.starts_with('{') || part == segment)
        })
        .map(|(template, _)| template.clone())
}

/// Panics when `body` does not fit the spec's schema for the answer. An
/// answer on a route or with a status the spec does not describe (404 for
/// an unknown path, 405, 431, 413, injected faults) has nothing to check.
pub fn check_response(method: &str, path_and_query: &str, status: u16, body: &Value) {
    let path = path_and_query.split('?').next().unwrap_or_default();
    let Some(template) = template(method, path) else {
        return;
    };
    let pointer = format!(
        "/paths/{}/{}/responses/{status}/content/application~1json/schema",
        template.replace('~', "~0").replace('/', "~1"),
        method.to_ascii_lowercase()
    );
    let Some(schema) = spec().pointer(&pointer) else {
        return;
    };
    if body.is_string() && status == 200 {
        // A text/event-stream body: each event is checked by its test.
        return;
    }
    static VALIDATORS: OnceLock<Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let validator = {
        let mut cache = VALIDATORS
            .get_or_init(Default::default)
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        cache
            .entry(pointer.clone())
            .or_insert_with(|| {
                let document = json!({
                    "components": json_schema(&spec()["components"]),
                    "allOf": [json_schema(schema)],
                });
                std::sync::Arc::new(
                    jsonschema::options()
                        .with_draft(jsonschema::Draft::Draft4)
                        .build(&document)
                        .unwrap_or_else(|error| panic!("schema at {pointer}: {error}")),
                )
            })
            .clone()
    };
    let errors: Vec<String> = validator
        .iter_errors(body)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect();
    assert!(
        errors.is_empty(),
        "{method} {path_and_query} answered {status} with a body the spec does not allow:\n{}\n{body}",
        errors.join("\n")
    );
}

/// A context stream's events, each checked against `ContextResponse`.
pub fn stream_events(text: &str) -> Vec<Value> {
    let schema = json!({
        "components": json_schema(&spec()["components"]),
        "$ref": "#/components/schemas/ContextResponse",
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft4)
        .build(&schema)
        .expect("the ContextResponse schema");
    text.split("\n\n")
        .filter(|event| !event.trim().is_empty())
        .map(|event| {
            let data = event.strip_prefix("data: ").expect("a data event");
            let value: Value = serde_json::from_str(data).expect("JSON data");
            assert!(validator.is_valid(&value), "{value}");
            value
        })
        .collect()
}
