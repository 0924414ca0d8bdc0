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

/// The validator of the schema at `pointer` (JSON pointer into the spec),
/// built once.
fn validator(pointer: &str, schema: &Value) -> std::sync::Arc<jsonschema::Validator> {
    static VALIDATORS: OnceLock<Mutex<HashMap<String, std::sync::Arc<jsonschema::Validator>>>> =
        OnceLock::new();
    let mut cache = VALIDATORS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    cache
        .entry(pointer.to_string())
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
}

/// The events of a `text/event-stream` body as the objects a
/// `text/event-stream` schema describes (and Schemathesis checks): `data`
/// (its lines joined), `event` (`message` unless named), `id`.
pub fn parsed_events(text: &str) -> Vec<Value> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut data: Vec<&str> = Vec::new();
            let mut event = Map::new();
            for line in block.lines() {
                let (field, value) = line.split_once(':').unwrap_or((line, ""));
                let value = value.strip_prefix(' ').unwrap_or(value);
                match field {
                    "data" => data.push(value),
                    "event" | "id" => {
                        event.insert(field.to_string(), Value::from(value));
                    }
                    _ => {}
                }
            }
            if data.is_empty() {
                return None;
            }
            event.insert("data".into(), Value::from(data.join("\n")));
            event
                .entry("event")
                .or_insert_with(|| Value::from("message"));
            Some(Value::Object(event))
        })
        .collect()
}

/// Panics when `body` does not fit the spec's schema for the answer (a
/// `text/event-stream` body: each event, against that media type's
/// schema). An answer on a route or with a status the spec does not
/// describe (404 for an unknown path, 405, 431, 413, injected faults) has
/// nothing to check.
pub fn check_response(method: &str, path_and_query: &str, status: u16, body: &Value) {
    let path = path_and_query.split('?').next().unwrap_or_default();
    let Some(template) = template(method, path) else {
        return;
    };
    let (media, instances) = match body {
        Value::String(text) if status == 200 => ("text~1event-stream", parsed_events(text)),
        _ => ("application~1json", vec![body.clone()]),
    };
    let pointer = format!(
        "/paths/{}/{}/responses/{status}/content/{media}/schema",
        template.replace('~', "~0").replace('/', "~1"),
        method.to_ascii_lowercase()
    );
    let Some(schema) = spec().pointer(&pointer) else {
        return;
    };
    let validator = validator(&pointer, schema);
    for instance in &instances {
        let errors: Vec<String> = validator
            .iter_errors(instance)
            .map(|error| format!("{} at {}", error, error.instance_path()))
            .collect();
        assert!(
            errors.is_empty(),
            "{method} {path_and_query} answered {status} with a body the spec does not allow:\n{}\n{instance}",
            errors.join("\n")
        );
    }
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
