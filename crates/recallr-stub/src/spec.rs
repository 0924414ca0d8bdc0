//! The effective spec the stub serves, and its route table.
//!
//! `spec/recallr.json` is a copy of the workspace's `openapi/recallr.json`,
//! embedded so that the published crate needs nothing outside itself. xtask
//! writes it with the client (`@generated`, never edited by hand), and the
//! drift test fails when it differs from the original. Every route, method,
//! parameter and body schema the stub knows comes from here: an operation
//! added to the spec is routed and validated with no code change.

use std::sync::OnceLock;

use axum::http::Method;
use serde_json::{Map, Value};

/// The embedded effective spec.
pub(crate) const SPEC_TEXT: &str = include_str!("../spec/recallr.json");

/// Where a parameter is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Location {
    Path,
    Query,
    Header,
}

impl Location {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Path => "path",
            Self::Query => "query",
            Self::Header => "header",
        }
    }
}

/// One declared parameter, its schema with `$ref`s resolved.
#[derive(Debug, Clone)]
pub(crate) struct Param {
    pub name: String,
    pub location: Location,
    pub required: bool,
    pub schema: Value,
    pub description: String,
}

/// One operation of the spec.
#[derive(Debug, Clone)]
pub(crate) struct Operation {
    pub method: Method,
    /// The path template, for example `/api/v1/users/{custom_user_id}`.
    pub path: String,
    /// The spec's `operationId` (the overlay's name for it).
    pub name: String,
    pub params: Vec<Param>,
    /// The JSON body's schema, if the operation takes one.
    pub body: Option<Value>,
    pub body_required: bool,
    /// The first 2xx status and its JSON schema (`None` for no body).
    pub success: (u16, Option<Value>),
}

impl Operation {
    /// `METHOD /path`, the key handlers are chosen by.
    pub fn key(&self) -> String {
        format!("{} {}", self.method, self.path)
    }
}

/// The parsed spec.
#[derive(Debug)]
pub(crate) struct Spec {
    pub document: Value,
    pub operations: Vec<Operation>,
}

/// What a request path matched.
#[derive(Debug)]
pub(crate) enum RouteMatch<'a> {
    /// The operation and its path parameters, percent-decoded.
    Found(&'a Operation, Vec<(String, String)>),
    /// The path exists, the method does not.
    MethodNotAllowed,
    NotFound,
}

impl Spec {
    /// The embedded spec, parsed once.
    pub fn embedded() -> Result<&'static Spec, String> {
        static SPEC: OnceLock<Result<Spec, String>> = OnceLock::new();
        SPEC.get_or_init(|| Spec::parse(SPEC_TEXT))
            .as_ref()
            .map_err(Clone::clone)
    }

    pub fn parse(text: &str) -> Result<Spec, String> {
        let document: Value =
            serde_json::from_str(text).map_err(|error| format!("invalid spec: {error}"))?;
        let mut operations = Vec::new();
        let paths = document
            .get("paths")
            .and_then(Value::as_object)
            .ok_or("invalid spec: it has no paths")?;
        for (path, item) in paths {
            let Some(item) = item.as_object() else {
                continue;
            };
            for (method, operation) in item {
                let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else {
                    continue;
                };
                if !matches!(
                    method,
                    Method::GET | Method::POST | Method::PUT | Method::PATCH | Method::DELETE
                ) {
                    continue;
                }
                operations.push(operation_of(&document, method, path, operation));
            }
        }
        Ok(Spec {
            document,
            operations,
        })
    }

    /// The operation a method and a raw (percent-encoded) path select.
    pub fn route(&self, method: &Method, raw_path: &str) -> RouteMatch<'_> {
        let segments: Vec<&str> = raw_path.split('/').collect();
        let mut path_exists = false;
        for operation in &self.operations {
            let Some(params) = match_template(&operation.path, &segments) else {
                continue;
            };
            path_exists = true;
            if operation.method == *method {
                return RouteMatch::Found(operation, params);
            }
        }
        if path_exists {
            RouteMatch::MethodNotAllowed
        } else {
            RouteMatch::NotFound
        }
    }

    /// `schema` with `$ref` (and a lone `allOf`) followed.
    pub fn resolve<'a>(&'a self, schema: &'a Value) -> &'a Value {
        resolve(&self.document, schema)
    }
}

/// Follows `$ref` and single-entry `allOf` wrappers, keeping nothing of the
/// wrapper but what the caller reads from the original (defaults).
pub(crate) fn resolve<'a>(document: &'a Value, schema: &'a Value) -> &'a Value {
    let mut current = schema;
    for _ in 0..32 {
        if let Some(reference) = current.get("$ref").and_then(Value::as_str) {
            let pointer = reference.trim_start_matches('#');
            match document.pointer(pointer) {
                Some(target) => current = target,
                None => return current,
            }
        } else if let Some([only]) = current
            .get("allOf")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
        {
            current = only;
        } else {
            return current;
        }
    }
    current
}

fn operation_of(document: &Value, method: Method, path: &str, operation: &Value) -> Operation {
    let params = operation
        .get("parameters")
        .and_then(Value::as_array)
        .map(|params| {
            params
                .iter()
                .filter_map(|param| {
                    let param = resolve(document, param);
                    let location = match param.get("in").and_then(Value::as_str)? {
                        "path" => Location::Path,
                        "query" => Location::Query,
                        "header" => Location::Header,
                        _ => return None,
                    };
                    Some(Param {
                        name: param.get("name")?.as_str()?.to_string(),
                        location,
                        required: param
                            .get("required")
                            .and_then(Value::as_bool)
                            .unwrap_or(location == Location::Path),
                        schema: param.get("schema").cloned().unwrap_or(Value::Null),
                        description: param
                            .get("description")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    let body = operation
        .get("requestBody")
        .map(|body| resolve(document, body));
    let body_required = body
        .and_then(|body| body.get("required"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let body = body
        .and_then(|body| body.pointer("/content/application~1json/schema"))
        .cloned();
    let success = operation
        .get("responses")
        .and_then(Value::as_object)
        .and_then(|responses| {
            responses
                .iter()
                .filter_map(|(code, response)| Some((code.parse::<u16>().ok()?, response)))
                .find(|(code, _)| (200..300).contains(code))
        })
        .map(|(code, response)| {
            let response = resolve(document, response);
            (
                code,
                response
                    .pointer("/content/application~1json/schema")
                    .cloned(),
            )
        })
        .unwrap_or((200, None));
    Operation {
        method,
        path: path.to_string(),
        name: operation
            .get("operationId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        params,
        body,
        body_required,
        success,
    }
}

/// The path parameters if `segments` fit `template`, each segment
/// percent-decoded on its own (so `a%2Fb` is one segment, `a/b`).
fn match_template(template: &str, segments: &[&str]) -> Option<Vec<(String, String)>> {
    let parts: Vec<&str> = template.split('/').collect();
    if parts.len() != segments.len() {
        return None;
    }
    let mut params = Vec::new();
    for (part, segment) in parts.iter().zip(segments) {
        if let Some(name) = part.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            if segment.is_empty() {
                return None;
            }
            let value = percent_encoding::percent_decode_str(segment)
                .decode_utf8_lossy()
                .into_owned();
            params.push((name.to_string(), value));
        } else if part != segment {
            return None;
        }
    }
    Some(params)
}

/// The object schema's properties, if it has any.
pub(crate) fn properties(schema: &Value) -> Option<&Map<String, Value>> {
    schema.get("properties").and_then(Value::as_object)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_spec_parses_and_routes() {
        let spec = Spec::embedded().unwrap_or_else(|e| panic!("{e}"));
        assert!(spec.operations.len() >= 21, "{}", spec.operations.len());
        match spec.route(&Method::GET, "/api/v1/users/a%2Fb/sessions") {
            RouteMatch::Found(operation, params) => {
                assert_eq!(operation.path, "/api/v1/users/{custom_user_id}/sessions");
                assert_eq!(params, vec![("custom_user_id".into(), "a/b".into())]);
            }
            other => panic!("{other:?}"),
        }
        assert!(matches!(
            spec.route(&Method::PATCH, "/api/v1/users/u/sessions"),
            RouteMatch::MethodNotAllowed
        ));
        assert!(matches!(
            spec.route(&Method::GET, "/api/v1/nothing"),
            RouteMatch::NotFound
        ));
        assert!(matches!(
            spec.route(&Method::GET, "/api/v1/users//sessions"),
            RouteMatch::NotFound
        ));
    }
}
