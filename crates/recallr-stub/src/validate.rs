//! Generic request validation from the spec, with FastAPI's (pydantic
//! v2's) error shapes: path and query parameters (types, bounds, enums,
//! arrays as repeated keys, required, defaults) and JSON bodies (malformed
//! JSON, types, required fields, bounds, enums, nullable). Unknown query
//! parameters and unknown body fields are ignored, as FastAPI does.
//!
//! A string parameter the spec describes as a "JSON string" must hold a
//! JSON object (the metadata filters), as the API parses them.

use recallr_api::types::ValidationErrorLocItem;
use serde::Serialize;
use serde_json::{Map, Number, Value, json};

use crate::spec::{Location, Operation, Spec};

/// One entry of a 422 body, in FastAPI's shape: it is the spec's
/// `ValidationError` plus the `input` and `ctx` that FastAPI also sends.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct FieldError {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub loc: Vec<ValidationErrorLocItem>,
    pub msg: String,
    pub input: Value,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ctx: Option<Box<Value>>,
}

impl FieldError {
    fn new(
        loc: Vec<ValidationErrorLocItem>,
        kind: &'static str,
        msg: String,
        input: Value,
    ) -> Self {
        Self {
            kind,
            loc,
            msg,
            input,
            ctx: None,
        }
    }

    fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(Box::new(ctx));
        self
    }
}

/// A validated request: every declared parameter that was sent or has a
/// default, as JSON, and the body with its defaults filled in.
#[derive(Debug, Clone, Default)]
pub(crate) struct Input {
    pub params: Map<String, Value>,
    pub body: Option<Value>,
}

impl Input {
    pub fn str(&self, name: &str) -> &str {
        self.params
            .get(name)
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn opt_str(&self, name: &str) -> Option<&str> {
        self.params.get(name).and_then(Value::as_str)
    }

    pub fn u64(&self, name: &str) -> Option<u64> {
        self.params.get(name).and_then(Value::as_u64)
    }

    pub fn bool(&self, name: &str) -> bool {
        self.params
            .get(name)
            .and_then(Value::as_bool)
            .unwrap_or(false)
    }

    pub fn strings(&self, name: &str) -> Vec<String> {
        self.params
            .get(name)
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|item| item.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A "JSON string" parameter, already checked to be an object.
    pub fn object(&self, name: &str) -> Option<Map<String, Value>> {
        match serde_json::from_str(self.opt_str(name)?) {
            Ok(Value::Object(map)) => Some(map),
            _ => None,
        }
    }
}

fn loc(parts: &[ValidationErrorLocItem]) -> Vec<ValidationErrorLocItem> {
    parts.to_vec()
}

fn key(text: &str) -> ValidationErrorLocItem {
    ValidationErrorLocItem::String(text.to_string())
}

fn position(index: usize) -> ValidationErrorLocItem {
    ValidationErrorLocItem::Integer(i64::try_from(index).unwrap_or(i64::MAX))
}

/// Validates a request against its operation. All problems are reported at
/// once: parameters in the order the spec declares them, then the body.
pub(crate) fn validate(
    spec: &Spec,
    operation: &Operation,
    path_params: &[(String, String)],
    raw_query: Option<&str>,
    body: &[u8],
) -> Result<Input, Vec<FieldError>> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw_query.unwrap_or("").as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    let mut errors = Vec::new();
    let mut input = Input::default();
    for param in &operation.params {
        let schema = spec.resolve(&param.schema);
        let default = param
            .schema
            .get("default")
            .or_else(|| schema.get("default"));
        let at = vec![key(param.location.as_str()), key(&param.name)];
        match param.location {
            Location::Header => continue,
            Location::Path => {
                let value = path_params
                    .iter()
                    .find(|(name, _)| *name == param.name)
                    .map(|(_, value)| value.as_str())
                    .unwrap_or_default();
                match scalar(spec, schema, value, &at) {
                    Ok(value) => {
                        input.params.insert(param.name.clone(), value);
                    }
                    Err(error) => errors.push(error),
                }
            }
            Location::Query if schema.get("type").and_then(Value::as_str) == Some("array") => {
                let items = schema.get("items").unwrap_or(&Value::Null);
                let items = spec.resolve(items);
                let sent: Vec<&str> = pairs
                    .iter()
                    .filter(|(name, _)| *name == param.name)
                    .map(|(_, value)| value.as_str())
                    .collect();
                if sent.is_empty() {
                    if param.required {
                        errors.push(missing(at));
                    } else if let Some(default) = default {
                        input.params.insert(param.name.clone(), default.clone());
                    }
                    continue;
                }
                let mut values = Vec::new();
                for (index, text) in sent.iter().enumerate() {
                    let mut at = at.clone();
                    at.push(position(index));
                    match scalar(spec, items, text, &at) {
                        Ok(value) => values.push(value),
                        Err(error) => errors.push(error),
                    }
                }
                input
                    .params
                    .insert(param.name.clone(), Value::Array(values));
            }
            Location::Query => {
                // Starlette hands a scalar parameter its last value.
                let sent = pairs
                    .iter()
                    .rev()
                    .find(|(name, _)| *name == param.name)
                    .map(|(_, value)| value.as_str());
                let Some(text) = sent else {
                    if param.required {
                        errors.push(missing(at));
                    } else if let Some(default) = default {
                        input.params.insert(param.name.clone(), default.clone());
                    }
                    continue;
                };
                let checked = scalar(spec, schema, text, &at).and_then(|value| {
                    if param.description.contains("JSON string") {
                        json_object(text, &at)?;
                    }
                    Ok(value)
                });
                match checked {
                    Ok(value) => {
                        input.params.insert(param.name.clone(), value);
                    }
                    Err(error) => errors.push(error),
                }
            }
        }
    }
    if let Some(schema) = &operation.body {
        let at = vec![key("body")];
        if body.iter().all(u8::is_ascii_whitespace) {
            if operation.body_required {
                errors.push(missing(at));
            }
        } else {
            match serde_json::from_slice::<Value>(body) {
                Ok(value) => {
                    input.body = check(spec, schema, value, &at, &mut errors);
                }
                Err(error) => {
                    // Python's `pos`: where the problem is, the end for a
                    // body cut short.
                    let offset = if error.is_eof() {
                        body.len()
                    } else {
                        byte_offset(body, error.line(), error.column())
                    };
                    let mut at = at;
                    at.push(position(offset));
                    errors.push(
                        FieldError::new(
                            at,
                            "json_invalid",
                            "JSON decode error".to_string(),
                            json!({}),
                        )
                        .with_ctx(json!({ "error": error.to_string() })),
                    );
                }
            }
        }
    }
    if errors.is_empty() {
        Ok(input)
    } else {
        Err(errors)
    }
}

/// The 0-based byte offset of serde_json's 1-based line and column.
fn byte_offset(body: &[u8], line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (index, text) in body.split(|b| *b == b'\n').enumerate() {
        if index + 1 == line {
            return offset + column.saturating_sub(1).min(text.len());
        }
        offset += text.len() + 1;
    }
    body.len()
}

fn missing(at: Vec<ValidationErrorLocItem>) -> FieldError {
    FieldError::new(at, "missing", "Field required".to_string(), Value::Null)
}

/// A parameter's text as the schema's scalar type.
fn scalar(
    spec: &Spec,
    schema: &Value,
    text: &str,
    at: &[ValidationErrorLocItem],
) -> Result<Value, FieldError> {
    let input = || Value::String(text.to_string());
    if let Some(values) = schema.get("enum").and_then(Value::as_array) {
        return enumerated(values, input(), text, at);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("integer") => {
            let Some(value) = parse_int(text) else {
                return Err(FieldError::new(
                    loc(at),
                    "int_parsing",
                    "Input should be a valid integer, unable to parse string as an integer"
                        .to_string(),
                    input(),
                ));
            };
            bounds(schema, value as f64, input(), at)?;
            Ok(integer(value))
        }
        Some("number") => {
            let value = text
                .trim()
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite());
            let Some(value) = value else {
                return Err(FieldError::new(
                    loc(at),
                    "float_parsing",
                    "Input should be a valid number, unable to parse string as a number"
                        .to_string(),
                    input(),
                ));
            };
            bounds(schema, value, input(), at)?;
            Ok(Number::from_f64(value).map_or(Value::Null, Value::Number))
        }
        Some("boolean") => match text.trim().to_ascii_lowercase().as_str() {
            "1" | "on" | "t" | "true" | "y" | "yes" => Ok(Value::Bool(true)),
            "0" | "off" | "f" | "false" | "n" | "no" => Ok(Value::Bool(false)),
            _ => Err(FieldError::new(
                loc(at),
                "bool_parsing",
                "Input should be a valid boolean, unable to interpret input".to_string(),
                input(),
            )),
        },
        _ => {
            if schema.get("format").and_then(Value::as_str) == Some("uuid")
                && let Err(error) = uuid::Uuid::try_parse(text)
            {
                return Err(FieldError::new(
                    loc(at),
                    "uuid_parsing",
                    format!("Input should be a valid UUID, {error}"),
                    input(),
                )
                .with_ctx(json!({ "error": error.to_string() })));
            }
            let _ = spec;
            Ok(Value::String(text.to_string()))
        }
    }
}

fn integer(value: i128) -> Value {
    if let Ok(value) = i64::try_from(value) {
        Value::from(value)
    } else if let Ok(value) = u64::try_from(value) {
        Value::from(value)
    } else if value > 0 {
        // Any value past u64::MAX is past every end all the same.
        Value::from(u64::MAX)
    } else {
        Value::from(i64::MIN)
    }
}

/// `'a', 'b' or 'c'`, as pydantic lists expected values.
fn expected(values: &[Value]) -> String {
    let quoted: Vec<String> = values
        .iter()
        .map(|value| match value {
            Value::String(text) => format!("'{text}'"),
            other => other.to_string(),
        })
        .collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

fn enumerated(
    values: &[Value],
    input: Value,
    text: &str,
    at: &[ValidationErrorLocItem],
) -> Result<Value, FieldError> {
    if values.iter().any(|value| value.as_str() == Some(text)) {
        return Ok(Value::String(text.to_string()));
    }
    let expected = expected(values);
    Err(FieldError::new(
        loc(at),
        "enum",
        format!("Input should be {expected}"),
        input,
    )
    .with_ctx(json!({ "expected": expected })))
}

/// `minimum`/`maximum` (and the exclusive forms) with pydantic's messages.
fn bounds(
    schema: &Value,
    value: f64,
    input: Value,
    at: &[ValidationErrorLocItem],
) -> Result<(), FieldError> {
    let limit = |name| schema.get(name).filter(|value| value.is_number());
    let exclusive = |name| schema.get(name).and_then(Value::as_bool).unwrap_or(false);
    let as_f64 = |value: &Value| value.as_f64().unwrap_or(0.0);
    if let Some(min) = limit("minimum") {
        let (kind, word, key, failed) = if exclusive("exclusiveMinimum") {
            ("greater_than", "greater than", "gt", value <= as_f64(min))
        } else {
            (
                "greater_than_equal",
                "greater than or equal to",
                "ge",
                value < as_f64(min),
            )
        };
        if failed {
            return Err(FieldError::new(
                loc(at),
                kind,
                format!("Input should be {word} {min}"),
                input,
            )
            .with_ctx(json!({ key: min })));
        }
    }
    if let Some(max) = limit("maximum") {
        let (kind, word, key, failed) = if exclusive("exclusiveMaximum") {
            ("less_than", "less than", "lt", value >= as_f64(max))
        } else {
            (
                "less_than_equal",
                "less than or equal to",
                "le",
                value > as_f64(max),
            )
        };
        if failed {
            return Err(FieldError::new(
                loc(at),
                kind,
                format!("Input should be {word} {max}"),
                input,
            )
            .with_ctx(json!({ key: max })));
        }
    }
    Ok(())
}

/// A "JSON string" parameter must hold a JSON object.
fn json_object(text: &str, at: &[ValidationErrorLocItem]) -> Result<(), FieldError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(_)) => Ok(()),
        Ok(other) => Err(FieldError::new(
            loc(at),
            "dict_type",
            "Input should be a valid dictionary".to_string(),
            other,
        )),
        Err(error) => {
            let error = error.to_string();
            Err(FieldError::new(
                loc(at),
                "json_invalid",
                format!("Invalid JSON: {error}"),
                Value::String(text.to_string()),
            )
            .with_ctx(json!({ "error": error })))
        }
    }
}

/// Checks a JSON value against a schema, pydantic's lax way; returns the
/// value with object defaults filled in, or `None` after pushing errors.
fn check(
    spec: &Spec,
    schema: &Value,
    value: Value,
    at: &[ValidationErrorLocItem],
    errors: &mut Vec<FieldError>,
) -> Option<Value> {
    let nullable = schema.get("nullable").and_then(Value::as_bool) == Some(true);
    let resolved = spec.resolve(schema);
    let nullable = nullable || resolved.get("nullable").and_then(Value::as_bool) == Some(true);
    if value.is_null() && nullable {
        return Some(value);
    }
    let fail = |errors: &mut Vec<FieldError>, kind, msg: &str, value: Value| {
        errors.push(FieldError::new(loc(at), kind, msg.to_string(), value));
        None
    };
    if let Some(values) = resolved.get("enum").and_then(Value::as_array) {
        return match &value {
            Value::String(text) => match enumerated(values, value.clone(), text, at) {
                Ok(value) => Some(value),
                Err(error) => {
                    errors.push(error);
                    None
                }
            },
            _ => fail(
                errors,
                "enum",
                &format!("Input should be {}", expected(values)),
                value,
            ),
        };
    }
    match resolved.get("type").and_then(Value::as_str) {
        Some("object") => {
            let Value::Object(mut fields) = value else {
                let msg = if resolved.get("properties").is_some() {
                    "Input should be a valid dictionary or object to extract fields from"
                } else {
                    "Input should be a valid dictionary"
                };
                let kind = if resolved.get("properties").is_some() {
                    "model_attributes_type"
                } else {
                    "dict_type"
                };
                return fail(errors, kind, msg, value);
            };
            let before = errors.len();
            let required: Vec<&str> = resolved
                .get("required")
                .and_then(Value::as_array)
                .map(|names| names.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            if let Some(properties) = crate::spec::properties(resolved) {
                for (name, property) in properties {
                    let mut here = at.to_vec();
                    here.push(key(name));
                    match fields.remove(name) {
                        Some(field) => {
                            if let Some(checked) = check(spec, property, field, &here, errors) {
                                fields.insert(name.clone(), checked);
                            }
                        }
                        None if required.contains(&name.as_str()) => {
                            let mut error = missing(here);
                            error.input = Value::Object(fields.clone());
                            errors.push(error);
                        }
                        None => {
                            let default = property
                                .get("default")
                                .or_else(|| spec.resolve(property).get("default"));
                            if let Some(default) = default {
                                fields.insert(name.clone(), default.clone());
                            }
                        }
                    }
                }
            }
            (errors.len() == before).then_some(Value::Object(fields))
        }
        Some("array") => {
            let Value::Array(items) = value else {
                return fail(errors, "list_type", "Input should be a valid list", value);
            };
            let item_schema = resolved.get("items").cloned().unwrap_or(Value::Null);
            let before = errors.len();
            let mut checked = Vec::with_capacity(items.len());
            for (index, item) in items.into_iter().enumerate() {
                let mut here = at.to_vec();
                here.push(position(index));
                if let Some(item) = check(spec, &item_schema, item, &here, errors) {
                    checked.push(item);
                }
            }
            (errors.len() == before).then_some(Value::Array(checked))
        }
        Some("string") => match &value {
            Value::String(text) => {
                if resolved.get("format").and_then(Value::as_str) == Some("date-time")
                    && chrono::DateTime::parse_from_rfc3339(text).is_err()
                {
                    return fail(
                        errors,
                        "datetime_from_date_parsing",
                        "Input should be a valid datetime or date, invalid character in year",
                        value,
                    );
                }
                Some(value)
            }
            _ => fail(
                errors,
                "string_type",
                "Input should be a valid string",
                value,
            ),
        },
        Some("integer") => {
            let number = match &value {
                Value::Number(number) => number
                    .as_i64()
                    .map(i128::from)
                    .or_else(|| number.as_u64().map(i128::from))
                    .or_else(|| {
                        number
                            .as_f64()
                            .filter(|f| f.fract() == 0.0 && f.abs() < 1e38)
                            .map(|f| f as i128)
                    }),
                Value::String(text) => parse_int(text),
                _ => None,
            };
            let Some(number) = number else {
                return match value {
                    Value::Number(_) => fail(
                        errors,
                        "int_from_float",
                        "Input should be a valid integer, got a number with a fractional part",
                        value,
                    ),
                    _ => fail(errors, "int_type", "Input should be a valid integer", value),
                };
            };
            match bounds(resolved, number as f64, value, at) {
                Ok(()) => Some(integer(number)),
                Err(error) => {
                    errors.push(error);
                    None
                }
            }
        }
        Some("number") => {
            let Some(number) = value.as_f64() else {
                return fail(
                    errors,
                    "float_type",
                    "Input should be a valid number",
                    value,
                );
            };
            match bounds(resolved, number, value.clone(), at) {
                Ok(()) => Some(value),
                Err(error) => {
                    errors.push(error);
                    None
                }
            }
        }
        Some("boolean") => match value {
            Value::Bool(_) => Some(value),
            _ => fail(
                errors,
                "bool_type",
                "Input should be a valid boolean",
                value,
            ),
        },
        _ => Some(value),
    }
}

/// pydantic's lax integer syntax: surrounding whitespace, an optional sign,
/// ASCII digits with single underscores between them, and an optional
/// fraction of zeros only (`"1.00"` is 1). Values beyond `i128` saturate,
/// which keeps every range check right.
fn parse_int(text: &str) -> Option<i128> {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (digits, fraction) = match rest.split_once('.') {
        Some((digits, fraction)) => (digits, Some(fraction)),
        None => (rest, None),
    };
    if let Some(fraction) = fraction
        && (fraction.is_empty() || !fraction.bytes().all(|b| b == b'0'))
    {
        return None;
    }
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let mut value: i128 = 0;
    for byte in digits.bytes() {
        match byte {
            b'_' => {}
            b'0'..=b'9' => {
                value = value
                    .saturating_mul(10)
                    .saturating_add(i128::from(byte - b'0'));
            }
            _ => return None,
        }
    }
    Some(if negative { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::Method;

    fn errors(method: Method, path: &str, query: &str, body: &str) -> Value {
        let spec = Spec::embedded().unwrap_or_else(|e| panic!("{e}"));
        let crate::spec::RouteMatch::Found(operation, params) = spec.route(&method, path) else {
            panic!("no route {path}");
        };
        match validate(spec, operation, &params, Some(query), body.as_bytes()) {
            Ok(_) => Value::Null,
            Err(errors) => serde_json::to_value(errors).unwrap_or_default(),
        }
    }

    #[test]
    fn integers_follow_pydantics_lax_rules() {
        for (text, value) in [
            ("5", Some(5)),
            (" 5 ", Some(5)),
            ("\t7\n", Some(7)),
            ("+5", Some(5)),
            ("-0", Some(0)),
            ("00012", Some(12)),
            ("1_0", Some(10)),
            ("1.00", Some(1)),
            ("1_000.0", Some(1000)),
            ("-0.0", Some(0)),
            ("99999999999999999999999999999999999999999", Some(i128::MAX)),
            ("", None),
            ("  ", None),
            ("abc", None),
            ("1.5", None),
            ("1.", None),
            (".0", None),
            ("1e2", None),
            ("0x10", None),
            ("_1", None),
            ("1_", None),
            ("1__0", None),
            ("+-1", None),
            ("- 1", None),
            ("1 0", None),
            ("\u{663}", None),
        ] {
            assert_eq!(parse_int(text), value, "{text:?}");
        }
    }

    #[test]
    fn every_problem_is_reported_in_declaration_order() {
        let errors = errors(
            Method::GET,
            "/api/v1/users/u/sessions",
            "status_filter=pending&status_filter=archived&metadata_filter=[1]&limit=0&offset=-1",
            "",
        );
        assert_eq!(
            errors,
            json!([
                {"type": "greater_than_equal", "loc": ["query", "offset"],
                 "msg": "Input should be greater than or equal to 0", "input": "-1", "ctx": {"ge": 0}},
                {"type": "greater_than_equal", "loc": ["query", "limit"],
                 "msg": "Input should be greater than or equal to 1", "input": "0", "ctx": {"ge": 1}},
                {"type": "dict_type", "loc": ["query", "metadata_filter"],
                 "msg": "Input should be a valid dictionary", "input": [1]},
                {"type": "enum", "loc": ["query", "status_filter", 1],
                 "msg": "Input should be 'pending', 'processing', 'processed', 'failed' or 'insufficient_balance'",
                 "input": "archived",
                 "ctx": {"expected": "'pending', 'processing', 'processed', 'failed' or 'insufficient_balance'"}},
            ])
        );
    }

    #[test]
    fn bodies_are_checked_against_their_schema() {
        let path = "/api/v1/users/u/sessions";
        assert_eq!(
            errors(
                Method::POST,
                path,
                "",
                r#"{"auto_process_after_seconds": 10}"#
            ),
            json!([{"type": "greater_than_equal", "loc": ["body", "auto_process_after_seconds"],
                    "msg": "Input should be greater than or equal to 600", "input": 10, "ctx": {"ge": 600}}])
        );
        assert_eq!(errors(Method::POST, path, "", "{}"), Value::Null);
        let broken = errors(Method::POST, path, "", "{\"metadata\": ");
        assert_eq!(broken[0]["type"], "json_invalid");
        assert_eq!(broken[0]["loc"], json!(["body", 13]));
        let wrong = errors(Method::POST, "/api/v1/users", "", r#"{"metadata": []}"#);
        assert_eq!(wrong[0]["type"], "missing");
        assert_eq!(wrong[0]["loc"], json!(["body", "custom_user_id"]));
        assert_eq!(wrong[1]["type"], "dict_type");
        let text = errors(Method::POST, "/api/v1/users", "", r#"[1]"#);
        assert_eq!(text[0]["type"], "model_attributes_type");
    }

    #[test]
    fn path_uuids_and_booleans_and_numbers_are_checked() {
        let bad = errors(
            Method::GET,
            "/api/v1/users/u/sessions/nope",
            "include_summary=maybe",
            "",
        );
        assert_eq!(bad[0]["type"], "uuid_parsing");
        assert_eq!(bad[0]["loc"], json!(["path", "session_id"]));
        assert_eq!(bad[1]["type"], "bool_parsing");
        let context = "/api/v1/users/u/sessions/00000000-0000-4000-8000-000000000001/context";
        let bad = errors(
            Method::GET,
            context,
            "memories_threshold=0.9&recall_strategy=deep",
            "",
        );
        assert_eq!(bad[0]["type"], "enum");
        assert_eq!(bad[1]["type"], "less_than_equal");
    }
}
