//! Stable names for components, whatever the vendor calls them.
//!
//! An overlay action puts `x-recallr-name: Name` beside a `$ref` to a schema
//! component, choosing the component by the role it plays (the response of an
//! operation, the items of a property) rather than by its upstream name.
//! [`apply_markers`] then renames that component to `Name` and rewrites every
//! reference to it, so an upstream rename of the component changes no
//! generated type name.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use crate::json_pointer;

/// The marker an overlay puts beside a `$ref`.
pub const MARKER: &str = "x-recallr-name";

const SCHEMAS: &str = "#/components/schemas/";

/// Renames every marked component and removes the markers.
pub fn apply_markers(document: &mut Value) -> Result<(), String> {
    let mut wanted: BTreeMap<String, String> = BTreeMap::new();
    collect_markers(document, "", &mut wanted)?;
    if wanted.is_empty() {
        return Ok(());
    }
    let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    else {
        return Err(format!(
            "`{MARKER}` is used, but the document has no `/components/schemas`"
        ));
    };
    let mut renames = BTreeMap::new();
    for (old, new) in wanted {
        if old == new {
            continue;
        }
        if schemas.contains_key(&new) {
            return Err(format!(
                "`{MARKER}: {new}` would rename `{old}`, but a component named `{new}` already exists"
            ));
        }
        let Some(schema) = schemas.remove(&old) else {
            return Err(format!(
                "`{MARKER}: {new}` points at `{SCHEMAS}{}`, which does not exist",
                json_pointer::escape(&old)
            ));
        };
        schemas.insert(new.clone(), retitle(schema, &new));
        renames.insert(
            format!("{SCHEMAS}{}", json_pointer::escape(&old)),
            format!("{SCHEMAS}{}", json_pointer::escape(&new)),
        );
    }
    rewrite_references(document, &renames);
    Ok(())
}

/// FastAPI titles a component with its class name; a renamed component is
/// titled with its stable name, so a vendor's rename leaves no trace.
fn retitle(mut schema: Value, new: &str) -> Value {
    if let Some(object) = schema.as_object_mut()
        && object.contains_key("title")
    {
        object.insert("title".to_string(), Value::String(new.to_string()));
    }
    schema
}

/// Finds the markers (removing them) and what each asks for, keyed by the
/// component's current name.
fn collect_markers(
    value: &mut Value,
    pointer: &str,
    wanted: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    match value {
        Value::Object(object) => {
            if let Some(marker) = object.remove(MARKER) {
                take_marker(object, &marker, pointer, wanted)?;
            }
            for (key, child) in object.iter_mut() {
                collect_markers(child, &json_pointer::push(pointer, key), wanted)?;
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                collect_markers(
                    child,
                    &json_pointer::push(pointer, &index.to_string()),
                    wanted,
                )?;
            }
        }
        _ => {}
    }
    Ok(())
}

fn take_marker(
    object: &Map<String, Value>,
    marker: &Value,
    pointer: &str,
    wanted: &mut BTreeMap<String, String>,
) -> Result<(), String> {
    let Some(new) = marker.as_str().filter(|name| valid_name(name)) else {
        return Err(format!(
            "`{pointer}/{MARKER}` must be a component name (letters, digits, `_`, starting with a letter), not {marker}"
        ));
    };
    let Some(old) = object
        .get("$ref")
        .and_then(Value::as_str)
        .and_then(|reference| reference.strip_prefix(SCHEMAS))
        .filter(|name| !name.contains('/'))
    else {
        return Err(format!(
            "`{pointer}/{MARKER}` must stand beside a `$ref` to `{SCHEMAS}<name>`"
        ));
    };
    let old = json_pointer::unescape(old);
    match wanted.get(&old) {
        Some(other) if other != new => Err(format!(
            "`{old}` is given two names, `{other}` and `{new}` (at `{pointer}`)"
        )),
        _ => {
            wanted.insert(old, new.to_string());
            Ok(())
        }
    }
}

fn valid_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|first| first.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Rewrites `$ref`s and discriminator mappings from old to new targets.
fn rewrite_references(value: &mut Value, renames: &BTreeMap<String, String>) {
    match value {
        Value::Object(object) => {
            for (key, child) in object.iter_mut() {
                match child {
                    Value::String(target) if key == "$ref" => {
                        if let Some(new) = renames.get(target.as_str()) {
                            *target = new.clone();
                        }
                    }
                    _ => rewrite_references(child, renames),
                }
            }
            if let Some(mapping) = object
                .get_mut("discriminator")
                .and_then(|discriminator| discriminator.get_mut("mapping"))
                .and_then(Value::as_object_mut)
            {
                for target in mapping.values_mut() {
                    if let Some(new) = target.as_str().and_then(|old| renames.get(old)) {
                        *target = Value::String(new.clone());
                    }
                }
            }
        }
        Value::Array(items) => {
            for child in items {
                rewrite_references(child, renames);
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_marked_component_is_renamed_everywhere_and_the_marker_removed() {
        let mut document = json!({
            "paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/A_Resp", "x-recallr-name": "Page"}}}}}}}},
            "components": {"schemas": {
                "A_Resp": {"title": "A_Resp", "properties": {"next": {"$ref": "#/components/schemas/A_Resp"}}},
                "Other": {"items": {"$ref": "#/components/schemas/A_Resp"}}
            }}
        });
        apply_markers(&mut document).expect("renamed");
        assert_eq!(
            document,
            json!({
                "paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/Page"}}}}}}}},
                "components": {"schemas": {
                    "Page": {"title": "Page", "properties": {"next": {"$ref": "#/components/schemas/Page"}}},
                    "Other": {"items": {"$ref": "#/components/schemas/Page"}}
                }}
            })
        );
    }

    #[test]
    fn conflicts_and_misplaced_markers_are_errors() {
        let mut taken = json!({"x": {"$ref": "#/components/schemas/A", "x-recallr-name": "B"},
            "components": {"schemas": {"A": {}, "B": {}}}});
        let error = apply_markers(&mut taken).expect_err("B exists");
        assert!(error.contains("already exists"), "{error}");

        let mut loose = json!({"x": {"type": "string", "x-recallr-name": "B"}});
        let error = apply_markers(&mut loose).expect_err("no $ref");
        assert!(
            error.contains("`/x/x-recallr-name` must stand beside a `$ref`"),
            "{error}"
        );

        let mut twice = json!({
            "x": {"$ref": "#/components/schemas/A", "x-recallr-name": "B"},
            "y": {"$ref": "#/components/schemas/A", "x-recallr-name": "C"},
            "components": {"schemas": {"A": {}}}});
        let error = apply_markers(&mut twice).expect_err("two names");
        assert!(error.contains("two names"), "{error}");

        let mut bad =
            json!({"x": {"$ref": "#/components/schemas/A", "x-recallr-name": "not a name"}});
        assert!(apply_markers(&mut bad).is_err());
    }
}
