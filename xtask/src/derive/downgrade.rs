//! OpenAPI 3.1 to 3.0.3, on the JSON tree.
//!
//! FastAPI services publish 3.1 and progenitor reads 3.0 only. The walk
//! knows where schemas sit (so a property *named* `const` is left alone) and
//! rewrites what FastAPI and pydantic emit:
//!
//! - `type: [X, "null"]` and `anyOf`/`oneOf` with a `{"type": "null"}`
//!   alternative become `nullable: true` (X inlined, or `allOf: [$ref]` for a
//!   reference). In a parameter or header schema the null alternative is
//!   dropped instead: a query string or header cannot carry JSON null, so
//!   there it only means "may be absent", which `required: false` says;
//! - numeric `exclusiveMinimum`/`exclusiveMaximum` become `minimum` plus
//!   `exclusiveMinimum: true` (and the same for maximum);
//! - `const` becomes a one-value `enum`; a schema's `examples` array becomes
//!   `example` (its first value); the boolean schema `true` becomes `{}`;
//! - `$ref` with siblings: titles and descriptions are dropped (3.0 ignores
//!   them), anything else (a default, `readOnly`...) moves beside an
//!   `allOf: [$ref]`;
//! - titles are kept on component schemas only, as in the hand-written spec
//!   (pydantic titles every property), and a parameter schema's description
//!   is dropped when it repeats the parameter's;
//! - `$schema`, `$comment`, `jsonSchemaDialect`, `webhooks`, callbacks,
//!   `components/pathItems`, `info.summary` and `license.identifier` are
//!   dropped: a generated client uses none of them.
//!
//! Constructs with no 3.0 form are refused, naming the construct and its
//! JSON pointer (see [`NO_3_0_FORM`]), as are `type` arrays with two non-null
//! types, `type: "null"` alone, the schema `false`, tuple `items` and
//! `mutualTLS` security schemes.

use serde_json::{Map, Value, json};

use crate::json_pointer;
use crate::spec::OPERATION_METHODS as METHODS;

/// Schema keywords of JSON Schema 2020-12 that OpenAPI 3.0 cannot express.
pub const NO_3_0_FORM: &[&str] = &[
    "prefixItems",
    "$dynamicRef",
    "$dynamicAnchor",
    "$recursiveRef",
    "$recursiveAnchor",
    "$anchor",
    "$id",
    "$defs",
    "definitions",
    "unevaluatedProperties",
    "unevaluatedItems",
    "if",
    "then",
    "else",
    "dependentSchemas",
    "dependentRequired",
    "dependencies",
    "patternProperties",
    "propertyNames",
    "contains",
    "minContains",
    "maxContains",
    "contentEncoding",
    "contentMediaType",
    "contentSchema",
];

/// Keys beside a `$ref` that only document it.
const ANNOTATIONS: [&str; 3] = ["title", "description", "$comment"];

/// Where a schema sits, which decides how `null` and titles are treated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    /// `#/components/schemas/<Name>`: keeps its title.
    Component,
    /// The schema of a parameter or header: null means absent.
    Parameter,
    /// Anywhere else.
    Nested,
}

/// Converts the OpenAPI 3.1 `document` in place, returning a warning for
/// each mistake it mended (see [`examples_arrays`]); on a construct with no
/// 3.0 form, returns a message naming it and its JSON pointer.
pub fn downgrade(document: &mut Value) -> Result<Vec<String>, String> {
    let warnings = examples_arrays(document);
    convert(document)?;
    Ok(warnings)
}

/// Generated documents put a JSON Schema style `examples` array where a
/// parameter, header or media type wants a map of Example objects; the
/// array's first value becomes `example` (unless there is one), with a
/// warning naming its pointer. A schema's `examples` array is 3.1 and is
/// converted with the schema.
pub fn examples_arrays(document: &mut Value) -> Vec<String> {
    fn mend(value: &mut Value, pointer: &str, warnings: &mut Vec<String>) {
        let Some(map) = value.as_object_mut() else {
            return;
        };
        if !map.get("examples").is_some_and(Value::is_array) {
            return;
        }
        let examples = map.remove("examples").unwrap_or_default();
        let first = examples.as_array().and_then(|list| list.first()).cloned();
        let kept = match first {
            Some(first) if !map.contains_key("example") => {
                map.insert("example".to_string(), first);
                "its first value is now `example`"
            }
            _ => "it was dropped",
        };
        warnings.push(format!(
            "`{}`: an array where OpenAPI wants a map of Example objects; {kept}",
            json_pointer::push(pointer, "examples").escape_debug()
        ));
    }
    fn entries(map: &mut Value, key: &str, pointer: &str, each: &mut dyn FnMut(&mut Value, &str)) {
        if let Some(entries) = map.get_mut(key).and_then(Value::as_object_mut) {
            let base = json_pointer::push(pointer, key);
            for (name, value) in entries.iter_mut() {
                each(value, &json_pointer::push(&base, name));
            }
        }
    }
    fn elements(map: &mut Value, key: &str, pointer: &str, each: &mut dyn FnMut(&mut Value, &str)) {
        if let Some(elements) = map.get_mut(key).and_then(Value::as_array_mut) {
            let base = json_pointer::push(pointer, key);
            for (index, value) in elements.iter_mut().enumerate() {
                each(value, &json_pointer::push(&base, &index.to_string()));
            }
        }
    }
    /// A request body or response: its media types and headers.
    fn body(value: &mut Value, pointer: &str, warnings: &mut Vec<String>) {
        entries(value, "content", pointer, &mut |media, at| {
            mend(media, at, warnings)
        });
        entries(value, "headers", pointer, &mut |header, at| {
            mend(header, at, warnings)
        });
    }

    let mut warnings = Vec::new();
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            let pointer = json_pointer::push("/paths", path);
            elements(item, "parameters", &pointer, &mut |parameter, at| {
                mend(parameter, at, &mut warnings)
            });
            for method in METHODS {
                let Some(operation) = item.get_mut(method) else {
                    continue;
                };
                let pointer = json_pointer::push(&pointer, method);
                elements(operation, "parameters", &pointer, &mut |parameter, at| {
                    mend(parameter, at, &mut warnings)
                });
                if let Some(request) = operation.get_mut("requestBody") {
                    body(
                        request,
                        &json_pointer::push(&pointer, "requestBody"),
                        &mut warnings,
                    );
                }
                entries(operation, "responses", &pointer, &mut |response, at| {
                    body(response, at, &mut warnings)
                });
            }
        }
    }
    if let Some(components) = document.get_mut("components") {
        entries(
            components,
            "parameters",
            "/components",
            &mut |parameter, at| mend(parameter, at, &mut warnings),
        );
        entries(components, "headers", "/components", &mut |header, at| {
            mend(header, at, &mut warnings)
        });
        for section in ["requestBodies", "responses"] {
            entries(components, section, "/components", &mut |value, at| {
                body(value, at, &mut warnings)
            });
        }
    }
    warnings
}

fn convert(document: &mut Value) -> Result<(), String> {
    let Some(root) = document.as_object_mut() else {
        return Err("not an OpenAPI document: the top level is not a JSON object".to_string());
    };
    root.insert("openapi".to_string(), json!("3.0.3"));
    root.remove("jsonSchemaDialect");
    root.remove("webhooks");
    if let Some(info) = root.get_mut("info").and_then(Value::as_object_mut) {
        info.remove("summary");
        if let Some(license) = info.get_mut("license").and_then(Value::as_object_mut) {
            license.remove("identifier");
        }
    }
    if !root.contains_key("paths") {
        root.insert("paths".to_string(), json!({}));
    }
    if let Some(paths) = root.get_mut("paths").and_then(Value::as_object_mut) {
        for (path, item) in paths.iter_mut() {
            path_item(item, &json_pointer::push("/paths", path))?;
        }
    }
    if let Some(components) = root.get_mut("components").and_then(Value::as_object_mut) {
        components.remove(crate::spec::PATH_ITEMS_SECTION);
        for_each_entry(components, "schemas", "/components", |value, pointer| {
            schema(value, pointer, Place::Component)
        })?;
        for_each_entry(components, "parameters", "/components", parameter)?;
        for_each_entry(components, "responses", "/components", response)?;
        for_each_entry(components, "requestBodies", "/components", request_body)?;
        for_each_entry(components, "headers", "/components", header)?;
        for_each_entry(
            components,
            "securitySchemes",
            "/components",
            security_scheme,
        )?;
    }
    Ok(())
}

fn refuse(pointer: &str, message: impl std::fmt::Display) -> Result<(), String> {
    Err(format!("`{pointer}`: {message}"))
}

/// Calls `convert` on each value of the map `map[key]`.
fn for_each_entry(
    map: &mut Map<String, Value>,
    key: &str,
    base: &str,
    mut convert: impl FnMut(&mut Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    let pointer = json_pointer::push(base, key);
    if let Some(entries) = map.get_mut(key).and_then(Value::as_object_mut) {
        for (name, value) in entries.iter_mut() {
            convert(value, &json_pointer::push(&pointer, name))?;
        }
    }
    Ok(())
}

/// Calls `convert` on each element of the array `map[key]`.
fn for_each_element(
    map: &mut Map<String, Value>,
    key: &str,
    base: &str,
    mut convert: impl FnMut(&mut Value, &str) -> Result<(), String>,
) -> Result<(), String> {
    let pointer = json_pointer::push(base, key);
    if let Some(elements) = map.get_mut(key).and_then(Value::as_array_mut) {
        for (index, value) in elements.iter_mut().enumerate() {
            convert(value, &json_pointer::push(&pointer, &index.to_string()))?;
        }
    }
    Ok(())
}

/// A Reference Object: 3.1 allows `summary`/`description` beside `$ref`,
/// 3.0 nothing. Returns whether `map` was one.
fn reference_only(map: &mut Map<String, Value>) -> bool {
    if map.contains_key("$ref") {
        map.retain(|key, _| key == "$ref");
        true
    } else {
        false
    }
}

fn path_item(value: &mut Value, pointer: &str) -> Result<(), String> {
    let Some(item) = value.as_object_mut() else {
        return Ok(());
    };
    if item.contains_key("$ref") {
        return refuse(
            &json_pointer::push(pointer, "$ref"),
            "a path item that is a `$ref` is not supported; inline it",
        );
    }
    for_each_element(item, "parameters", pointer, parameter)?;
    for method in METHODS {
        if let Some(operation) = item.get_mut(method) {
            self::operation(operation, &json_pointer::push(pointer, method))?;
        }
    }
    Ok(())
}

fn operation(value: &mut Value, pointer: &str) -> Result<(), String> {
    let Some(operation) = value.as_object_mut() else {
        return Ok(());
    };
    // Callbacks are requests the server makes; a client does not use them.
    operation.remove("callbacks");
    for_each_element(operation, "parameters", pointer, parameter)?;
    if let Some(body) = operation.get_mut("requestBody") {
        request_body(body, &json_pointer::push(pointer, "requestBody"))?;
    }
    for_each_entry(operation, "responses", pointer, response)
}

fn parameter(value: &mut Value, pointer: &str) -> Result<(), String> {
    let Some(parameter) = value.as_object_mut() else {
        return Ok(());
    };
    if reference_only(parameter) {
        return Ok(());
    }
    // FastAPI repeats the parameter's description inside its schema.
    let description = parameter.get("description").cloned();
    if let Some(schema) = parameter.get_mut("schema").and_then(Value::as_object_mut)
        && description.is_some()
        && schema.get("description") == description.as_ref()
    {
        schema.remove("description");
    }
    if let Some(schema) = parameter.get_mut("schema") {
        self::schema(
            schema,
            &json_pointer::push(pointer, "schema"),
            Place::Parameter,
        )?;
    }
    for_each_entry(parameter, "content", pointer, media_type)
}

fn header(value: &mut Value, pointer: &str) -> Result<(), String> {
    parameter(value, pointer)
}

fn request_body(value: &mut Value, pointer: &str) -> Result<(), String> {
    let Some(body) = value.as_object_mut() else {
        return Ok(());
    };
    if reference_only(body) {
        return Ok(());
    }
    for_each_entry(body, "content", pointer, media_type)
}

fn response(value: &mut Value, pointer: &str) -> Result<(), String> {
    let Some(response) = value.as_object_mut() else {
        return Ok(());
    };
    if reference_only(response) {
        return Ok(());
    }
    for_each_entry(response, "headers", pointer, header)?;
    for_each_entry(response, "content", pointer, media_type)
}

fn media_type(value: &mut Value, pointer: &str) -> Result<(), String> {
    let Some(media) = value.as_object_mut() else {
        return Ok(());
    };
    if let Some(schema) = media.get_mut("schema") {
        self::schema(
            schema,
            &json_pointer::push(pointer, "schema"),
            Place::Nested,
        )?;
    }
    if let Some(encodings) = media.get_mut("encoding").and_then(Value::as_object_mut) {
        let base = json_pointer::push(pointer, "encoding");
        for (name, encoding) in encodings.iter_mut() {
            if let Some(encoding) = encoding.as_object_mut() {
                for_each_entry(
                    encoding,
                    "headers",
                    &json_pointer::push(&base, name),
                    header,
                )?;
            }
        }
    }
    Ok(())
}

fn security_scheme(value: &mut Value, pointer: &str) -> Result<(), String> {
    if value.get("type").and_then(Value::as_str) == Some("mutualTLS") {
        return refuse(
            &json_pointer::push(pointer, "type"),
            "the `mutualTLS` security scheme has no OpenAPI 3.0 form",
        );
    }
    Ok(())
}

fn is_null_schema(value: &Value) -> bool {
    value.as_object().is_some_and(|map| {
        map.get("type").and_then(Value::as_str) == Some("null")
            && map
                .keys()
                .all(|key| key == "type" || ANNOTATIONS.contains(&key.as_str()))
    })
}

fn schema(value: &mut Value, pointer: &str, place: Place) -> Result<(), String> {
    match value {
        Value::Bool(true) => {
            *value = json!({});
            return Ok(());
        }
        Value::Bool(false) => {
            return refuse(
                pointer,
                "the schema `false` (no value is valid) has no OpenAPI 3.0 form",
            );
        }
        Value::Object(_) => {}
        _ => return refuse(pointer, "a schema must be a JSON object"),
    }
    let Some(map) = value.as_object_mut() else {
        return Ok(());
    };

    null_alternatives(map, pointer, place)?;
    type_array(map, pointer, place)?;
    for keyword in NO_3_0_FORM {
        if map.contains_key(*keyword) {
            return refuse(
                &json_pointer::push(pointer, keyword),
                format_args!("`{keyword}` has no OpenAPI 3.0 form"),
            );
        }
    }
    map.remove("$schema");
    map.remove("$comment");
    if let Some(constant) = map.remove("const") {
        if map.contains_key("enum") {
            return refuse(
                &json_pointer::push(pointer, "const"),
                "`const` beside `enum` is not supported",
            );
        }
        map.insert("enum".to_string(), json!([constant]));
    }
    if let Some(examples) = map.remove("examples")
        && let Some(first) = examples.as_array().and_then(|list| list.first())
        && !map.contains_key("example")
    {
        map.insert("example".to_string(), first.clone());
    }
    exclusive_bound(map, "exclusiveMinimum", "minimum", |candidate, bound| {
        candidate >= bound
    });
    exclusive_bound(map, "exclusiveMaximum", "maximum", |candidate, bound| {
        candidate <= bound
    });
    if place != Place::Component {
        map.remove("title");
    }
    reference_siblings(map);

    if let Some(properties) = map.get_mut("properties").and_then(Value::as_object_mut) {
        let base = json_pointer::push(pointer, "properties");
        for (name, property) in properties.iter_mut() {
            self::schema(property, &json_pointer::push(&base, name), Place::Nested)?;
        }
    }
    if let Some(items) = map.get_mut("items") {
        let items_pointer = json_pointer::push(pointer, "items");
        if items.is_array() {
            return refuse(
                &items_pointer,
                "`items` as an array (a tuple) has no OpenAPI 3.0 form",
            );
        }
        self::schema(items, &items_pointer, Place::Nested)?;
    }
    if let Some(additional) = map.get_mut("additionalProperties")
        && additional.is_object()
    {
        self::schema(
            additional,
            &json_pointer::push(pointer, "additionalProperties"),
            Place::Nested,
        )?;
    }
    for keyword in ["allOf", "anyOf", "oneOf"] {
        for_each_element(map, keyword, pointer, |alternative, at| {
            self::schema(alternative, at, Place::Nested)
        })?;
    }
    if let Some(not) = map.get_mut("not") {
        self::schema(not, &json_pointer::push(pointer, "not"), Place::Nested)?;
    }
    Ok(())
}

/// `anyOf`/`oneOf` with a `{"type": "null"}` alternative.
fn null_alternatives(
    map: &mut Map<String, Value>,
    pointer: &str,
    place: Place,
) -> Result<(), String> {
    for keyword in ["anyOf", "oneOf"] {
        let Some(Value::Array(alternatives)) = map.get(keyword) else {
            continue;
        };
        if !alternatives.iter().any(is_null_schema) {
            continue;
        }
        let mut rest: Vec<Value> = alternatives
            .iter()
            .filter(|alternative| !is_null_schema(alternative))
            .cloned()
            .collect();
        map.remove(keyword);
        mark_nullable(map, place);
        match rest.len() {
            0 => {
                return refuse(
                    &json_pointer::push(pointer, keyword),
                    format_args!(
                        "`{keyword}` whose only alternative is `null` has no OpenAPI 3.0 form"
                    ),
                );
            }
            1 => {
                let only = rest.remove(0);
                match only {
                    Value::Object(only) if only.contains_key("$ref") => {
                        map.insert("allOf".to_string(), json!([only]));
                        collapse_bare_all_of(map);
                    }
                    Value::Object(only) => {
                        // The wrapper's own keys (title, default...) win.
                        for (key, value) in only {
                            map.entry(key).or_insert(value);
                        }
                    }
                    _ => {}
                }
            }
            _ => {
                map.insert(keyword.to_string(), Value::Array(rest));
            }
        }
    }
    Ok(())
}

/// Records that a schema admits null: `nullable` in 3.0, except where null
/// only means absent (a parameter), where it and a `null` default go.
fn mark_nullable(map: &mut Map<String, Value>, place: Place) {
    if place == Place::Parameter {
        if map.get("default") == Some(&Value::Null) {
            map.remove("default");
        }
    } else {
        map.insert("nullable".to_string(), Value::Bool(true));
    }
}

/// `allOf: [{$ref}]` with nothing but annotations beside it is the `$ref`.
fn collapse_bare_all_of(map: &mut Map<String, Value>) {
    let bare = map
        .keys()
        .all(|key| key == "allOf" || ANNOTATIONS.contains(&key.as_str()));
    if !bare {
        return;
    }
    if let Some(Value::Array(list)) = map.get("allOf")
        && let [Value::Object(only)] = list.as_slice()
        && only.contains_key("$ref")
    {
        *map = only.clone();
    }
}

fn type_array(map: &mut Map<String, Value>, pointer: &str, place: Place) -> Result<(), String> {
    let type_pointer = json_pointer::push(pointer, "type");
    match map.get("type") {
        Some(Value::Array(types)) => {
            let mut names = Vec::new();
            for typ in types {
                match typ.as_str() {
                    Some(name) => names.push(name.to_string()),
                    None => return refuse(&type_pointer, "a `type` array may hold only strings"),
                }
            }
            let nullable = names.iter().any(|name| name == "null");
            names.retain(|name| name != "null");
            match names.as_slice() {
                [] => return refuse(&type_pointer, "`type: [\"null\"]` has no OpenAPI 3.0 form"),
                [only] => {
                    map.insert("type".to_string(), Value::String(only.clone()));
                }
                several => {
                    return refuse(
                        &type_pointer,
                        format_args!(
                            "a `type` array with several non-null types ({}) has no OpenAPI 3.0 form",
                            several.join(", ")
                        ),
                    );
                }
            }
            if nullable {
                mark_nullable(map, place);
            }
        }
        Some(Value::String(name)) if name == "null" => {
            return refuse(
                &type_pointer,
                "`type: \"null\"` alone has no OpenAPI 3.0 form",
            );
        }
        _ => {}
    }
    Ok(())
}

/// A numeric `exclusiveMinimum: n` (3.1) becomes `minimum: n,
/// exclusiveMinimum: true` (3.0), unless an inclusive bound that is at least
/// as strict is there already.
fn exclusive_bound(
    map: &mut Map<String, Value>,
    exclusive: &str,
    inclusive: &str,
    inclusive_is_stricter: impl Fn(f64, f64) -> bool,
) {
    let Some(Value::Number(bound)) = map.get(exclusive).cloned() else {
        return;
    };
    let existing = map.get(inclusive).and_then(Value::as_f64);
    match (existing, bound.as_f64()) {
        (Some(candidate), Some(bound))
            if candidate != bound && inclusive_is_stricter(candidate, bound) =>
        {
            map.remove(exclusive);
        }
        _ => {
            map.insert(inclusive.to_string(), Value::Number(bound));
            map.insert(exclusive.to_string(), Value::Bool(true));
        }
    }
}

/// 3.0 ignores everything beside a `$ref`: annotations are dropped, other
/// keywords keep their meaning next to an `allOf` of the reference.
fn reference_siblings(map: &mut Map<String, Value>) {
    if !map.contains_key("$ref") || map.len() == 1 {
        return;
    }
    for annotation in ANNOTATIONS {
        map.remove(annotation);
    }
    if map.len() > 1
        && let Some(reference) = map.remove("$ref")
    {
        map.insert("allOf".to_string(), json!([{ "$ref": reference }]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn converted(schema_json: Value) -> Result<Value, String> {
        let mut document = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {},
            "components": {"schemas": {"S": {"type": "object", "properties": {"p": schema_json}}}}
        });
        downgrade(&mut document)?;
        Ok(document["components"]["schemas"]["S"]["properties"]["p"].clone())
    }

    fn parameter_schema(schema_json: Value) -> Result<Value, String> {
        let mut document = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x": {"get": {"parameters": [
                {"name": "q", "in": "query", "description": "d", "schema": schema_json}
            ], "responses": {}}}}
        });
        downgrade(&mut document)?;
        Ok(document["paths"]["/x"]["get"]["parameters"][0]["schema"].clone())
    }

    #[test]
    fn a_parameter_examples_array_becomes_example_with_a_warning() {
        let mut document = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/x/{id}": {"get": {"parameters": [
                {"name": "q", "in": "query", "schema": {"type": "string"},
                 "examples": ["{\"topic\": \"billing\"}"]},
                {"name": "r", "in": "query", "schema": {"type": "string"},
                 "examples": {"one": {"value": "a"}}}
            ], "responses": {"200": {"description": "ok", "content": {"application/json": {
                "schema": {"type": "string", "examples": ["s"]}, "examples": [1]
            }}}}}}}
        });
        let warnings = downgrade(&mut document).expect("converts");
        assert_eq!(
            warnings,
            [
                "`/paths/~1x~1{id}/get/parameters/0/examples`: an array where OpenAPI wants a map of Example objects; its first value is now `example`",
                "`/paths/~1x~1{id}/get/responses/200/content/application~1json/examples`: an array where OpenAPI wants a map of Example objects; its first value is now `example`",
            ]
        );
        let get = &document["paths"]["/x/{id}"]["get"];
        assert_eq!(get["parameters"][0]["example"], "{\"topic\": \"billing\"}");
        assert!(get["parameters"][0].get("examples").is_none());
        // A map of Example objects is right and stays.
        assert_eq!(get["parameters"][1]["examples"]["one"]["value"], "a");
        let media = &get["responses"]["200"]["content"]["application/json"];
        assert_eq!(media["example"], 1);
        // The schema's own 3.1 `examples` is converted with the schema.
        assert_eq!(media["schema"]["example"], "s");
    }

    #[test]
    fn null_alternatives_become_nullable() {
        assert_eq!(
            converted(
                json!({"anyOf": [{"type": "string", "maxLength": 5}, {"type": "null"}], "title": "P"})
            ),
            Ok(json!({"type": "string", "maxLength": 5, "nullable": true}))
        );
        assert_eq!(
            converted(
                json!({"anyOf": [{"$ref": "#/components/schemas/S"}, {"type": "null"}], "default": null})
            ),
            Ok(
                json!({"allOf": [{"$ref": "#/components/schemas/S"}], "nullable": true, "default": null})
            )
        );
        assert_eq!(
            converted(json!({"type": ["integer", "null"]})),
            Ok(json!({"type": "integer", "nullable": true}))
        );
        assert_eq!(
            converted(
                json!({"oneOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]})
            ),
            Ok(json!({"oneOf": [{"type": "string"}, {"type": "integer"}], "nullable": true}))
        );
    }

    #[test]
    fn in_a_parameter_null_means_absent() {
        assert_eq!(
            parameter_schema(
                json!({"anyOf": [{"type": "string"}, {"type": "null"}], "title": "Q", "description": "d"})
            ),
            Ok(json!({"type": "string"}))
        );
        assert_eq!(
            parameter_schema(
                json!({"anyOf": [{"$ref": "#/components/schemas/S"}, {"type": "null"}], "default": null})
            ),
            Ok(json!({"$ref": "#/components/schemas/S"}))
        );
    }

    #[test]
    fn json_schema_keywords_get_their_3_0_spelling() {
        assert_eq!(
            converted(
                json!({"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 10, "maximum": 5})
            ),
            Ok(json!({"type": "number", "minimum": 0, "exclusiveMinimum": true, "maximum": 5}))
        );
        assert_eq!(converted(json!({"const": "x"})), Ok(json!({"enum": ["x"]})));
        assert_eq!(
            converted(json!({"type": "string", "examples": ["a", "b"]})),
            Ok(json!({"type": "string", "example": "a"}))
        );
        assert_eq!(converted(json!(true)), Ok(json!({})));
        assert_eq!(
            converted(json!({"$ref": "#/components/schemas/S", "description": "d"})),
            Ok(json!({"$ref": "#/components/schemas/S"}))
        );
        assert_eq!(
            converted(json!({"$ref": "#/components/schemas/S", "readOnly": true})),
            Ok(json!({"allOf": [{"$ref": "#/components/schemas/S"}], "readOnly": true}))
        );
    }

    #[test]
    fn a_property_named_like_a_keyword_is_left_alone() {
        let schema = json!({"type": "object", "properties": {"const": {"type": "string"}, "if": {"type": "string"}}});
        assert_eq!(converted(schema.clone()), Ok(schema));
    }

    #[test]
    fn constructs_without_a_3_0_form_are_refused_with_their_pointer() {
        let refused = |schema_json: Value| converted(schema_json).expect_err("refused");
        let at = "/components/schemas/S/properties/p";
        assert_eq!(
            refused(json!({"type": "array", "prefixItems": [{"type": "string"}]})),
            format!("`{at}/prefixItems`: `prefixItems` has no OpenAPI 3.0 form")
        );
        assert!(
            refused(json!({"type": ["string", "integer"]}))
                .contains("several non-null types (string, integer)")
        );
        assert!(refused(json!({"type": "null"})).starts_with(&format!("`{at}/type`")));
        assert!(
            refused(json!({"if": {"type": "string"}})).contains("`if` has no OpenAPI 3.0 form")
        );
        assert!(
            refused(json!({"anyOf": [{"type": "null"}]})).contains("only alternative is `null`")
        );
        assert!(refused(json!(false)).contains("schema `false`"));
    }

    #[test]
    fn titles_stay_on_component_schemas_only() {
        let mut document = json!({
            "openapi": "3.1.0", "info": {"title": "t", "version": "1", "summary": "s"},
            "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
            "webhooks": {},
            "components": {"schemas": {"S": {"title": "S", "type": "object",
                "properties": {"p": {"title": "P", "type": "string"}}}}}
        });
        assert_eq!(downgrade(&mut document), Ok(Vec::new()));
        assert_eq!(
            document,
            json!({
                "openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
                "components": {"schemas": {"S": {"title": "S", "type": "object",
                    "properties": {"p": {"type": "string"}}}}}
            })
        );
    }
}
