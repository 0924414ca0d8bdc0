//! Answers for operations the stub does not model (the vendor added them
//! after this stub was written): the spec's success status with a body
//! synthesised from its response schema (the schema's `example`, then its
//! first `examples` entry, then its `default`, then a value built from the
//! schema, every property filled), marked by [`SYNTHESISED_HEADER`].

use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::response::{self, SYNTHESISED_HEADER};
use crate::spec::{Operation, Spec};

/// How deep synthesis follows nested schemas (recursive ones stop here).
const MAX_DEPTH: usize = 8;

pub(crate) fn respond(spec: &Spec, operation: &Operation) -> Response {
    let (code, schema) = &operation.success;
    let status = StatusCode::from_u16(*code).unwrap_or(StatusCode::OK);
    let mut response = match schema {
        Some(schema) => response::json(status, &example(spec, schema, 0)),
        None => status.into_response(),
    };
    response
        .headers_mut()
        .insert(SYNTHESISED_HEADER, HeaderValue::from_static("true"));
    response
}

/// A value that fits `schema`.
pub(crate) fn example(spec: &Spec, schema: &Value, depth: usize) -> Value {
    let resolved = spec.resolve(schema);
    for source in [schema, resolved] {
        if let Some(example) = source.get("example") {
            return example.clone();
        }
        if let Some(first) = source
            .get("examples")
            .and_then(Value::as_array)
            .and_then(|examples| examples.first())
        {
            return first.clone();
        }
        if let Some(default) = source.get("default") {
            return default.clone();
        }
    }
    if let Some(first) = resolved
        .get("enum")
        .and_then(Value::as_array)
        .and_then(|values| values.first())
    {
        return first.clone();
    }
    if depth >= MAX_DEPTH {
        return Value::Null;
    }
    if let Some(first) = ["anyOf", "oneOf"]
        .iter()
        .find_map(|key| resolved.get(*key).and_then(Value::as_array)?.first())
    {
        return example(spec, first, depth + 1);
    }
    let number = |name| resolved.get(name).and_then(Value::as_f64);
    match resolved.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut fields = Map::new();
            if let Some(properties) = crate::spec::properties(resolved) {
                for (name, property) in properties {
                    fields.insert(name.clone(), example(spec, property, depth + 1));
                }
            }
            Value::Object(fields)
        }
        Some("array") => {
            let items = resolved.get("items").cloned().unwrap_or(Value::Null);
            Value::Array(vec![example(spec, &items, depth + 1)])
        }
        Some("integer") => Value::from(number("minimum").map_or(0, |min| min.ceil() as i64)),
        Some("number") => Value::from(number("minimum").unwrap_or(0.0)),
        Some("boolean") => Value::Bool(false),
        Some("string") => Value::from(match resolved.get("format").and_then(Value::as_str) {
            Some("date-time") => "2024-01-01T00:00:00Z",
            Some("date") => "2024-01-01",
            Some("uuid") => "00000000-0000-4000-8000-000000000000",
            Some("uri") => "https://example.com/",
            _ => "string",
        }),
        _ => Value::Null,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_success_schema_of_the_spec_can_be_synthesised() {
        let spec = Spec::embedded().unwrap_or_else(|e| panic!("{e}"));
        for operation in &spec.operations {
            if let (_, Some(schema)) = &operation.success {
                let value = example(spec, schema, 0);
                assert!(value.is_object(), "{}: {value}", operation.name);
            }
        }
        let page = example(
            spec,
            &serde_json::json!({"$ref": "#/components/schemas/SessionList"}),
            0,
        );
        let decoded: Result<recallr_api::types::SessionList, _> = serde_json::from_value(page);
        assert!(decoded.is_ok(), "{decoded:?}");
    }
}
