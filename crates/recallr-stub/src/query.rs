//! Parsing and validating the query string of List Sessions, with
//! FastAPI's (pydantic v2's) error messages.

use recallr_api::types::{SessionStatus, ValidationErrorLocItem};
use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::filter::Filter;

use recallr_api::facts::list_sessions as facts;

/// The default and the bounds the API documents, from the spec.
pub(crate) const DEFAULT_LIMIT: usize = facts::LIMIT_DEFAULT as usize;
const MIN_LIMIT: i128 = facts::LIMIT_MIN as i128;
const MAX_LIMIT: i128 = facts::LIMIT_MAX as i128;

/// A valid request.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ListQuery {
    pub offset: u64,
    pub limit: usize,
    pub filter: Filter,
}

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
    fn new(loc: Vec<ValidationErrorLocItem>, kind: &'static str, msg: String, input: &str) -> Self {
        Self {
            kind,
            loc,
            msg,
            input: Value::String(input.to_string()),
            ctx: None,
        }
    }

    fn with_ctx(mut self, ctx: Value) -> Self {
        self.ctx = Some(Box::new(ctx));
        self
    }
}

fn loc(name: &str) -> Vec<ValidationErrorLocItem> {
    vec![
        ValidationErrorLocItem::String("query".to_string()),
        ValidationErrorLocItem::String(name.to_string()),
    ]
}

/// Parses a raw (still percent-encoded) query string. All problems are
/// reported at once, in the order the API declares its parameters.
pub(crate) fn parse(raw: Option<&str>) -> Result<ListQuery, Vec<FieldError>> {
    let pairs: Vec<(String, String)> = form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(key, value)| (key.into_owned(), value.into_owned()))
        .collect();
    // Starlette hands a scalar parameter its last value.
    let last = |name: &str| {
        pairs
            .iter()
            .rev()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };
    let mut errors = Vec::new();

    let offset = match last("offset") {
        None => 0,
        Some(text) => match bounded_int(text, "offset", 0, None) {
            // Any offset past u64::MAX is past the end all the same.
            Ok(value) => u64::try_from(value).unwrap_or(u64::MAX),
            Err(error) => {
                errors.push(error);
                0
            }
        },
    };
    let limit = match last("limit") {
        None => DEFAULT_LIMIT,
        Some(text) => match bounded_int(text, "limit", MIN_LIMIT, Some(MAX_LIMIT)) {
            Ok(value) => usize::try_from(value).unwrap_or(DEFAULT_LIMIT),
            Err(error) => {
                errors.push(error);
                DEFAULT_LIMIT
            }
        },
    };
    let metadata = match last("metadata_filter") {
        None => None,
        Some(text) => match metadata_filter(text) {
            Ok(map) => Some(map),
            Err(error) => {
                errors.push(error);
                None
            }
        },
    };
    let mut statuses = Vec::new();
    let listed = pairs.iter().filter(|(key, _)| key == "status_filter");
    for (index, (_, text)) in listed.enumerate() {
        match status(text) {
            Some(status) if !statuses.contains(&status) => statuses.push(status),
            Some(_) => {}
            None => {
                let mut at = loc("status_filter");
                at.push(ValidationErrorLocItem::Integer(
                    i64::try_from(index).unwrap_or(i64::MAX),
                ));
                let expected = expected_statuses();
                errors.push(
                    FieldError::new(at, "enum", format!("Input should be {expected}"), text)
                        .with_ctx(json!({ "expected": expected })),
                );
            }
        }
    }

    if errors.is_empty() {
        Ok(ListQuery {
            offset,
            limit,
            filter: Filter { statuses, metadata },
        })
    } else {
        Err(errors)
    }
}

/// `'pending', 'processing', 'processed', 'failed' or 'insufficient_balance'`.
fn expected_statuses() -> String {
    let quoted: Vec<String> = SessionStatus::KNOWN
        .iter()
        .map(|status| format!("'{}'", status.as_str()))
        .collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.join(""),
    }
}

/// Only the documented values; matching is exact, as pydantic's enums are.
fn status(text: &str) -> Option<SessionStatus> {
    SessionStatus::KNOWN
        .iter()
        .find(|known| known.as_str() == text)
        .cloned()
}

fn metadata_filter(text: &str) -> Result<Map<String, Value>, FieldError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(FieldError {
            kind: "dict_type",
            loc: loc("metadata_filter"),
            msg: "Input should be a valid dictionary".to_string(),
            input: other,
            ctx: None,
        }),
        Err(error) => {
            let error = error.to_string();
            Err(FieldError::new(
                loc("metadata_filter"),
                "json_invalid",
                format!("Invalid JSON: {error}"),
                text,
            )
            .with_ctx(json!({ "error": error })))
        }
    }
}

/// An integer parameter with pydantic's lax string rules and its
/// `ge`/`le` messages.
fn bounded_int(text: &str, name: &str, min: i128, max: Option<i128>) -> Result<i128, FieldError> {
    let Some(value) = parse_int(text) else {
        return Err(FieldError::new(
            loc(name),
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer".to_string(),
            text,
        ));
    };
    if value < min {
        return Err(FieldError::new(
            loc(name),
            "greater_than_equal",
            format!("Input should be greater than or equal to {min}"),
            text,
        )
        .with_ctx(json!({ "ge": min as i64 })));
    }
    if let Some(max) = max.filter(|max| value > *max) {
        return Err(FieldError::new(
            loc(name),
            "less_than_equal",
            format!("Input should be less than or equal to {max}"),
            text,
        )
        .with_ctx(json!({ "le": max as i64 })));
    }
    Ok(value)
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

    fn errors(query: &str) -> Vec<FieldError> {
        parse(Some(query)).err().unwrap_or_default()
    }

    #[test]
    fn defaults_apply_to_an_empty_query() {
        let query = parse(None).ok();
        assert_eq!(
            query,
            Some(ListQuery {
                offset: 0,
                limit: 10,
                filter: Filter::default()
            })
        );
        assert_eq!(parse(Some("")).ok(), query);
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
    fn limit_bounds_have_fastapis_messages() {
        let [error] = errors("limit=0")
            .try_into()
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(error.kind, "greater_than_equal");
        assert_eq!(error.msg, "Input should be greater than or equal to 1");
        let [error] = errors("limit=101")
            .try_into()
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(error.kind, "less_than_equal");
        assert_eq!(error.msg, "Input should be less than or equal to 100");
        let [error] = errors("limit=ten")
            .try_into()
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(error.kind, "int_parsing");
    }

    #[test]
    fn the_last_value_of_a_scalar_wins_and_statuses_repeat() {
        let query = parse(Some(
            "limit=5&limit=7&offset=3&status_filter=failed&status_filter=pending&status_filter=failed",
        ));
        let query = query.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!((query.offset, query.limit), (3, 7));
        assert_eq!(
            query.filter.statuses,
            vec![SessionStatus::Failed, SessionStatus::Pending]
        );
    }

    #[test]
    fn every_problem_is_reported_in_declaration_order() {
        let errors = errors(
            "status_filter=pending&status_filter=archived&metadata_filter=[1]&limit=0&offset=-1",
        );
        let rendered = serde_json::to_value(&errors).unwrap_or_default();
        assert_eq!(
            rendered,
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
    fn metadata_must_be_a_json_object() {
        let [error] = errors("metadata_filter=not%20json")
            .try_into()
            .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(error.kind, "json_invalid");
        assert!(error.msg.starts_with("Invalid JSON: "), "{}", error.msg);
        let query = parse(Some(
            "metadata_filter=%7B%22lang%22%3A+%7B%22code%22%3A+%22en%22%7D%7D",
        ))
        .unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(
            query.filter.metadata,
            Some(object(json!({"lang": {"code": "en"}})))
        );
    }

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }
}
