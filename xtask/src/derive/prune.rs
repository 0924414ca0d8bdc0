//! Keeping only the operations the workspace supports, and the components
//! they reach through `$ref`s (transitively) and security requirements.
//!
//! Pruning runs before the 3.1 conversion, so a construct with no 3.0 form
//! in an operation the workspace does not use cannot block an import.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value};

use super::select::OperationKey;
use crate::json_pointer;

use crate::spec::OPERATION_METHODS as METHODS;

/// The component sections whose entries are kept only when reached: all
/// of them, 3.1's `pathItems` included, since pruning precedes the 3.0
/// conversion.
const SECTIONS: &[&str] = crate::spec::COMPONENT_SECTIONS;

/// Removes every operation not in `keep` (resolved by
/// [`super::select::resolve`]), then every component nothing kept refers to.
/// References outside `#/components` and references to missing components
/// are errors.
pub fn prune(document: &mut Value, keep: &[OperationKey]) -> Result<(), String> {
    let Some(root) = document.as_object_mut() else {
        return Err("not an OpenAPI document: the top level is not a JSON object".to_string());
    };

    let mut used_tags = BTreeSet::new();
    let mut security_schemes = BTreeSet::new();
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let Some(item) = item.as_object_mut() else {
                continue;
            };
            item.retain(|key, operation| {
                if !METHODS.contains(&key.as_str()) {
                    return true;
                }
                let kept = keep
                    .iter()
                    .any(|kept| kept.method.eq_ignore_ascii_case(key) && &kept.path == path);
                if kept {
                    collect_names(operation.get("tags"), &mut used_tags);
                    collect_security(operation.get("security"), &mut security_schemes);
                }
                kept
            });
        }
        paths.retain(|_, item| {
            item.as_object()
                .is_some_and(|item| METHODS.iter().any(|method| item.contains_key(*method)))
        });
    }
    collect_security(root.get("security"), &mut security_schemes);
    prune_tags(root, &used_tags);

    let mut reached: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    reached.insert("securitySchemes".to_string(), security_schemes.clone());
    let mut pending = Vec::new();
    if let Some(paths) = root.get("paths") {
        collect_references(paths, "/paths", &mut pending);
    }
    let components = root.get("components").cloned().unwrap_or(Value::Null);
    for name in &security_schemes {
        let pointer = format!("/components/securitySchemes/{}", json_pointer::escape(name));
        match components
            .get("securitySchemes")
            .and_then(|schemes| schemes.get(name))
        {
            Some(scheme) => collect_references(scheme, &pointer, &mut pending),
            None => {
                return Err(format!(
                    "a kept operation requires the security scheme `{name}`, which `/components/securitySchemes` does not define"
                ));
            }
        }
    }
    while let Some((reference, at)) = pending.pop() {
        let (section, name) = component_of(&reference)
            .ok_or_else(|| format!("`{at}`: only references into `#/components/<section>/<name>` are supported, not `{reference}`"))?;
        if !reached
            .entry(section.clone())
            .or_default()
            .insert(name.clone())
        {
            continue;
        }
        let target = components
            .get(&section)
            .and_then(|entries| entries.get(&name))
            .ok_or_else(|| {
                format!("`{at}`: `{reference}` refers to a component that does not exist")
            })?;
        collect_references(target, &reference[1..], &mut pending);
    }

    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        for &section in SECTIONS {
            let Some(entries) = components.get_mut(section).and_then(Value::as_object_mut) else {
                continue;
            };
            let kept = reached.get(section);
            entries.retain(|name, _| kept.is_some_and(|kept| kept.contains(name)));
            if entries.is_empty() {
                components.remove(section);
            }
        }
        if components.is_empty() {
            root.remove("components");
        }
    }
    Ok(())
}

fn collect_names(list: Option<&Value>, into: &mut BTreeSet<String>) {
    for name in list.and_then(Value::as_array).into_iter().flatten() {
        if let Some(name) = name.as_str() {
            into.insert(name.to_string());
        }
    }
}

fn collect_security(requirements: Option<&Value>, into: &mut BTreeSet<String>) {
    for requirement in requirements.and_then(Value::as_array).into_iter().flatten() {
        if let Some(requirement) = requirement.as_object() {
            into.extend(requirement.keys().cloned());
        }
    }
}

fn prune_tags(root: &mut Map<String, Value>, used: &BTreeSet<String>) {
    if let Some(tags) = root.get_mut("tags").and_then(Value::as_array_mut) {
        tags.retain(|tag| {
            tag.get("name")
                .and_then(Value::as_str)
                .is_some_and(|name| used.contains(name))
        });
        if tags.is_empty() {
            root.remove("tags");
        }
    }
}

/// `#/components/schemas/A~1B` -> `("schemas", "A/B")`.
fn component_of(reference: &str) -> Option<(String, String)> {
    let rest = reference.strip_prefix("#/components/")?;
    let (section, name) = rest.split_once('/')?;
    if name.contains('/') {
        return None;
    }
    Some((section.to_string(), json_pointer::unescape(name)))
}

/// Every `$ref` (and discriminator mapping target) under `value`, with the
/// pointer where it was found.
fn collect_references(value: &Value, pointer: &str, into: &mut Vec<(String, String)>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(reference)) = map.get("$ref") {
                into.push((reference.clone(), json_pointer::push(pointer, "$ref")));
            }
            if let Some(mapping) = map
                .get("discriminator")
                .and_then(|discriminator| discriminator.get("mapping"))
                .and_then(Value::as_object)
            {
                let at = json_pointer::push(pointer, "discriminator");
                for target in mapping.values().filter_map(Value::as_str) {
                    if target.starts_with("#/") {
                        into.push((target.to_string(), json_pointer::push(&at, "mapping")));
                    }
                }
            }
            for (key, child) in map {
                collect_references(child, &json_pointer::push(pointer, key), into);
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                collect_references(
                    child,
                    &json_pointer::push(pointer, &index.to_string()),
                    into,
                );
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn get_a() -> OperationKey {
        OperationKey {
            method: "GET".to_string(),
            path: "/a".to_string(),
        }
    }

    fn document() -> Value {
        json!({
            "openapi": "3.0.3",
            "info": {"title": "t", "version": "1"},
            "tags": [{"name": "a"}, {"name": "b"}],
            "paths": {
                "/a": {"get": {"operationId": "get_a", "tags": ["a"], "security": [{"Key": []}],
                    "responses": {"200": {"description": "ok", "content": {"application/json":
                        {"schema": {"$ref": "#/components/schemas/A"}}}}}}},
                "/b": {"get": {"operationId": "get_b", "tags": ["b"],
                    "responses": {"200": {"description": "ok", "content": {"application/json":
                        {"schema": {"$ref": "#/components/schemas/B"}}}}}},
                       "post": {"operationId": "post_b", "responses": {}}}
            },
            "components": {
                "schemas": {
                    "A": {"type": "object", "properties": {"c": {"$ref": "#/components/schemas/C"},
                        "self": {"$ref": "#/components/schemas/A"}}},
                    "B": {"type": "string"},
                    "C": {"type": "string"}
                },
                "securitySchemes": {"Key": {"type": "apiKey", "in": "header", "name": "K"},
                    "Other": {"type": "http", "scheme": "bearer"}}
            }
        })
    }

    #[test]
    fn kept_operations_keep_what_they_reach_transitively() {
        let mut value = document();
        assert_eq!(prune(&mut value, &[get_a()]), Ok(()));
        let kept: Vec<String> = super::super::select::operations(&value)
            .into_iter()
            .map(|(key, _)| key.to_string())
            .collect();
        assert_eq!(kept, ["GET /a"]);
        let schemas: Vec<&String> = value["components"]["schemas"]
            .as_object()
            .map(|map| map.keys().collect())
            .unwrap_or_default();
        assert_eq!(schemas, ["A", "C"]);
        let schemes: Vec<&String> = value["components"]["securitySchemes"]
            .as_object()
            .map(|map| map.keys().collect())
            .unwrap_or_default();
        assert_eq!(schemes, ["Key"]);
        assert_eq!(value["tags"], json!([{"name": "a"}]));
    }

    #[test]
    fn a_dangling_reference_is_an_error() {
        let mut value = document();
        value["components"]["schemas"]
            .as_object_mut()
            .map(|schemas| schemas.remove("C"));
        let error = prune(&mut value, &[get_a()]).expect_err("refused");
        assert!(
            error.contains("`#/components/schemas/C` refers to a component that does not exist"),
            "{error}"
        );
    }
}
