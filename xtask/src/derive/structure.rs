//! The structural check of a document against OpenAPI 3.0's model
//! (`openapiv3`), with errors that carry a JSON pointer to the deepest
//! node at fault.
//!
//! serde reports a typed parse error only down to the first untagged or
//! flattened type (`ReferenceOr`, `Parameter`, `Schema`), which in an
//! OpenAPI document is `/paths` or a component: useless to a reader. From
//! there, the node is checked part by part (map entries by what the map
//! holds, fields by their own type) until no part fails alone.

use indexmap::IndexMap;
use openapiv3::{
    Example, Header, MediaType, OpenAPI, Parameter, PathItem, ReferenceOr, RequestBody, Response,
    Schema, SecurityScheme,
};
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::json_pointer;

/// A problem: the JSON pointer of the node at fault, and what is wrong.
pub type Problem = (String, String);

/// Checks `document` as OpenAPI 3.0.
pub fn check(document: &Value) -> Result<(), Problem> {
    let problem = match typed::<OpenAPI>(document) {
        Ok(()) => return Ok(()),
        Err(problem) => problem,
    };
    let node = document.pointer(&problem.0).unwrap_or(document);
    Err(deepest(node, problem))
}

/// Deserializes `value` as `T`; on failure, the pointer (relative to
/// `value`) as deep as serde can tell, and serde's message.
fn typed<T: DeserializeOwned>(value: &Value) -> Result<(), Problem> {
    serde_path_to_error::deserialize::<_, T>(value)
        .map(|_| ())
        .map_err(|err| {
            let mut pointer = String::new();
            for segment in err.path().iter() {
                match segment {
                    serde_path_to_error::Segment::Seq { index } => {
                        pointer = json_pointer::push(&pointer, &index.to_string());
                    }
                    serde_path_to_error::Segment::Map { key } => {
                        pointer = json_pointer::push(&pointer, key);
                    }
                    _ => {}
                }
            }
            (pointer, err.into_inner().to_string())
        })
}

/// Checks an entry that may be a Reference Object.
fn entry<T: DeserializeOwned>(value: &Value) -> Result<(), Problem> {
    if value.get("$ref").is_some() {
        typed::<ReferenceOr<T>>(value)
    } else {
        typed::<T>(value)
    }
}

type Check = fn(&Value) -> Result<(), Problem>;

/// What the entries of a map under `key` are, where that decides it.
fn entries_of(key: &str) -> Option<Check> {
    Some(match key {
        "paths" => typed::<PathItem>,
        "schemas" | "properties" => entry::<Schema>,
        "parameters" => entry::<Parameter>,
        "responses" => entry::<Response>,
        "requestBodies" => entry::<RequestBody>,
        "headers" => entry::<Header>,
        "securitySchemes" => entry::<SecurityScheme>,
        "examples" => entry::<Example>,
        "content" => typed::<MediaType>,
        _ => return None,
    })
}

/// The type of a field named `key`, where the name decides it.
fn field(key: &str) -> Option<Check> {
    Some(match key {
        "examples" => typed::<IndexMap<String, ReferenceOr<Example>>>,
        "schema" | "items" | "not" => entry::<Schema>,
        "content" => typed::<IndexMap<String, MediaType>>,
        "headers" => typed::<IndexMap<String, ReferenceOr<Header>>>,
        "parameters" => typed::<Vec<ReferenceOr<Parameter>>>,
        "requestBody" => entry::<RequestBody>,
        "allOf" | "anyOf" | "oneOf" => typed::<Vec<ReferenceOr<Schema>>>,
        "required" | "deprecated" | "explode" | "allowEmptyValue" | "allowReserved"
        | "nullable" | "readOnly" | "writeOnly" | "uniqueItems" => typed::<bool>,
        "name" | "in" | "description" | "summary" | "operationId" | "title" | "format"
        | "pattern" | "style" | "$ref" => typed::<String>,
        "minimum" | "maximum" | "multipleOf" => typed::<f64>,
        "minLength" | "maxLength" | "minItems" | "maxItems" | "minProperties" | "maxProperties" => {
            typed::<usize>
        }
        _ => return None,
    })
}

/// From `node`, which fails with `problem`, the deepest part that fails
/// alone.
fn deepest(node: &Value, problem: Problem) -> Problem {
    let (pointer, message) = problem;
    let last = pointer.rsplit('/').next().unwrap_or_default().to_string();
    let mut parts: Vec<(String, &Value, Check)> = Vec::new();
    match node {
        Value::Object(map) => {
            if let Some(check) = entries_of(&json_pointer::unescape(&last)) {
                for (key, child) in map {
                    parts.push((key.clone(), child, check));
                }
            }
            for (key, child) in map {
                if let Some(check) = field(key) {
                    parts.push((key.clone(), child, check));
                }
            }
        }
        Value::Array(items) if last == "parameters" => {
            for (index, child) in items.iter().enumerate() {
                parts.push((index.to_string(), child, entry::<Parameter>));
            }
        }
        _ => {}
    }
    for (key, child, check) in parts {
        if let Err((inner, inner_message)) = check(child) {
            let at = format!("{}{inner}", json_pointer::push(&pointer, &key));
            let part = child.pointer(&inner).unwrap_or(child);
            if part == node {
                break;
            }
            return deepest(part, (at, inner_message));
        }
    }
    (pointer, readable(&last, &message))
}

/// serde's message in a reader's words where it is cryptic.
fn readable(key: &str, message: &str) -> String {
    let found = |unexpected: &str| {
        let kind = unexpected.split([' ', ',']).next().unwrap_or_default();
        match kind {
            "sequence" => "an array",
            "map" => "an object",
            "string" => "a string",
            "integer" | "floating" => "a number",
            "boolean" => "a boolean",
            "null" | "unit" => "null",
            _ => "something else",
        }
    };
    match message.strip_prefix("invalid type: ") {
        Some(rest) if key == "examples" && rest.contains("expected a map") => {
            format!("expected a map of Example objects, found {}", found(rest))
        }
        Some(rest) => match rest.split_once(", expected ") {
            Some((_, expected)) => format!("expected {expected}, found {}", found(rest)),
            None => message.to_string(),
        },
        None => message.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document(parameter: Value) -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "paths": {"/users/{id}/sessions": {"get": {
                "parameters": [
                    {"name": "id", "in": "path", "required": true, "schema": {"type": "string"}},
                    parameter
                ],
                "responses": {"200": {"description": "ok"}}
            }}}
        })
    }

    #[test]
    fn a_valid_document_passes() {
        let valid = document(json!({"name": "q", "in": "query", "schema": {"type": "string"}}));
        assert_eq!(check(&valid), Ok(()));
    }

    #[test]
    fn the_pointer_reaches_the_field_at_fault() {
        let wrong = document(json!({
            "name": "q", "in": "query", "schema": {"type": "string"}, "examples": "billing"
        }));
        assert_eq!(
            check(&wrong),
            Err((
                "/paths/~1users~1{id}~1sessions/get/parameters/1/examples".to_string(),
                "expected a map of Example objects, found a string".to_string()
            ))
        );
        let wrong = document(json!({"name": "q", "in": "query", "required": "yes", "schema": {}}));
        let (pointer, message) = check(&wrong).expect_err("refused");
        assert_eq!(
            pointer,
            "/paths/~1users~1{id}~1sessions/get/parameters/1/required"
        );
        assert!(message.contains("found a string"), "{message}");
    }
}
