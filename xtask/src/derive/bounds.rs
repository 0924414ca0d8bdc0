//! The integer bounds and defaults of query parameters become constants
//! (`recallr_api::facts`) that the pager and the CLI compute with, so a
//! document's numbers are checked before anything is generated from them:
//! a page size of 10^12 would make the pager search for hours, and a
//! maximum of 0 would not compile (`MAX - 1` in a const).

use serde_json::Value;

use crate::json_pointer;
use crate::spec::OPERATION_METHODS as METHODS;

/// The largest bound or default an integer query parameter may declare.
pub const MAX_BOUND: i64 = 10_000;

/// The most operations a document may keep (the API has 22).
pub const MAX_OPERATIONS: usize = 1_000;
/// The most component schemas a kept document may reach (the API has about
/// 50). Generating types is the costly step: 8,000 schemas took 4 GB.
pub const MAX_SCHEMAS: usize = 2_000;

/// Checks that the kept document is of a size the generator handles in
/// bounded memory: at most [`MAX_OPERATIONS`] operations and
/// [`MAX_SCHEMAS`] component schemas.
pub fn check_size(document: &Value) -> Result<(), String> {
    let operations = document
        .get("paths")
        .and_then(Value::as_object)
        .map_or(0, |paths| {
            paths
                .values()
                .map(|item| {
                    METHODS
                        .iter()
                        .filter(|method| item.get(**method).is_some())
                        .count()
                })
                .sum()
        });
    if operations > MAX_OPERATIONS {
        return Err(format!(
            "it keeps {operations} operations; at most {MAX_OPERATIONS} are supported. Keep fewer \
             with `--keep`"
        ));
    }
    let schemas = document
        .pointer("/components/schemas")
        .and_then(Value::as_object)
        .map_or(0, serde_json::Map::len);
    if schemas > MAX_SCHEMAS {
        return Err(format!(
            "the kept operations reach {schemas} component schemas; at most {MAX_SCHEMAS} are \
             supported. Keep fewer operations with `--keep`"
        ));
    }
    Ok(())
}

/// Checks every integer query parameter of `document` (OpenAPI 3.0 shapes):
/// `0 ≤ minimum ≤ default ≤ maximum ≤` [`MAX_BOUND`], and `maximum ≥ 1`.
/// An error names the parameter and its JSON pointer.
pub fn check(document: &Value) -> Result<(), String> {
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return Ok(());
    };
    for (path, item) in paths {
        let item_pointer = json_pointer::push("/paths", path);
        let mut lists = vec![(item.get("parameters"), item_pointer.clone())];
        for method in METHODS {
            if let Some(operation) = item.get(method) {
                lists.push((
                    operation.get("parameters"),
                    json_pointer::push(&item_pointer, method),
                ));
            }
        }
        for (list, base) in lists {
            let Some(list) = list.and_then(Value::as_array) else {
                continue;
            };
            for (index, parameter) in list.iter().enumerate() {
                let pointer = json_pointer::push(
                    &json_pointer::push(&base, "parameters"),
                    &index.to_string(),
                );
                let parameter = resolve(document, parameter);
                parameter_bounds(document, parameter, &pointer)?;
            }
        }
    }
    Ok(())
}

/// `value`, or what its local `$ref` points at (one hop: enough for
/// parameters and their schemas).
fn resolve<'a>(document: &'a Value, value: &'a Value) -> &'a Value {
    value
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix('#'))
        .and_then(|pointer| document.pointer(pointer))
        .unwrap_or(value)
}

fn parameter_bounds(document: &Value, parameter: &Value, pointer: &str) -> Result<(), String> {
    if parameter.get("in").and_then(Value::as_str) != Some("query") {
        return Ok(());
    }
    let Some(schema) = parameter
        .get("schema")
        .map(|schema| resolve(document, schema))
    else {
        return Ok(());
    };
    if schema.get("type").and_then(Value::as_str) != Some("integer") {
        return Ok(());
    }
    let name = parameter.get("name").and_then(Value::as_str).unwrap_or("?");
    let refuse = |what: String| {
        Err(format!(
            "`{pointer}`: query parameter {:?}: {what}; integer bounds and defaults must satisfy 0 ≤ minimum ≤ default ≤ maximum ≤ {MAX_BOUND}, with a maximum of at least 1",
            name
        ))
    };
    let number = |key: &str| -> Result<Option<i64>, String> {
        match schema.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(value) => match value.as_i64() {
                Some(number) => Ok(Some(number)),
                None => Err(format!("its {key} {value} is not an integer")),
            },
        }
    };
    let exclusive = |key: &str| schema.get(key) == Some(&Value::Bool(true));
    let (minimum, maximum, default) =
        match (number("minimum"), number("maximum"), number("default")) {
            (Ok(minimum), Ok(maximum), Ok(default)) => (minimum, maximum, default),
            (Err(what), _, _) | (_, Err(what), _) | (_, _, Err(what)) => return refuse(what),
        };
    let minimum =
        minimum.map(|value| value.saturating_add(i64::from(exclusive("exclusiveMinimum"))));
    let maximum =
        maximum.map(|value| value.saturating_sub(i64::from(exclusive("exclusiveMaximum"))));
    for (what, value) in [
        ("minimum", minimum),
        ("maximum", maximum),
        ("default", default),
    ] {
        if let Some(value) = value
            && !(0..=MAX_BOUND).contains(&value)
        {
            return refuse(format!("its {what} {value} is outside 0 to {MAX_BOUND}"));
        }
    }
    if let Some(maximum) = maximum
        && maximum < 1
    {
        return refuse(format!("its maximum {maximum} allows no value above 0"));
    }
    if let (Some(minimum), Some(maximum)) = (minimum, maximum)
        && minimum > maximum
    {
        return refuse(format!(
            "its minimum {minimum} is above its maximum {maximum}"
        ));
    }
    if let Some(default) = default
        && (minimum.is_some_and(|minimum| default < minimum)
            || maximum.is_some_and(|maximum| default > maximum))
    {
        return refuse(format!("its default {default} is outside its bounds"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn limit(schema: Value) -> Result<(), String> {
        check(&json!({"paths": {"/s": {"get": {"parameters": [
            {"name": "limit", "in": "query", "schema": schema}
        ]}}}}))
    }

    #[test]
    fn sane_bounds_pass() {
        assert_eq!(
            limit(json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 10})),
            Ok(())
        );
        assert_eq!(limit(json!({"type": "integer", "minimum": 0})), Ok(()));
        assert_eq!(
            limit(json!({"type": "string", "maxLength": 1000000})),
            Ok(())
        );
    }

    #[test]
    fn absurd_bounds_are_refused_naming_the_parameter() {
        for (schema, says) in [
            (
                json!({"type": "integer", "maximum": 1_000_000_000_000_i64}),
                "maximum 1000000000000 is outside 0 to 10000",
            ),
            (
                json!({"type": "integer", "maximum": 0}),
                "maximum 0 allows no value above 0",
            ),
            (
                json!({"type": "integer", "minimum": 1, "maximum": 1, "exclusiveMaximum": true}),
                "maximum 0 allows no value above 0",
            ),
            (
                json!({"type": "integer", "minimum": -1}),
                "minimum -1 is outside",
            ),
            (
                json!({"type": "integer", "minimum": 50, "maximum": 10}),
                "minimum 50 is above its maximum 10",
            ),
            (
                json!({"type": "integer", "minimum": 1, "maximum": 100, "default": 500}),
                "default 500 is outside its bounds",
            ),
            (
                json!({"type": "integer", "maximum": 2.5}),
                "maximum 2.5 is not an integer",
            ),
        ] {
            let error = limit(schema).expect_err("refused");
            assert!(
                error.starts_with("`/paths/~1s/get/parameters/0`: query parameter \"limit\": ")
                    && error.contains(says),
                "{error}"
            );
        }
    }
}
