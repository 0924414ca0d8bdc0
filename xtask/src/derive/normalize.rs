//! Writing a document in the workspace's style, with a fixed key order, so
//! that two imports of the same API produce the same bytes and a change
//! upstream shows up as a small diff.
//!
//! Known objects (document, operation, parameter, schema...) list their keys
//! in the order of the hand-written spec, unknown keys after them in
//! alphabetical order; maps keyed by name (paths, responses, components,
//! properties...) are sorted. Arrays keep their order. Output is 2-space
//! indented JSON with a trailing newline.

use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::Value;

const DOCUMENT: &[&str] = &[
    "openapi",
    "info",
    "servers",
    "security",
    "tags",
    "paths",
    "components",
    "externalDocs",
];
const INFO: &[&str] = &[
    "title",
    "description",
    "termsOfService",
    "contact",
    "license",
    "version",
];
const SERVER: &[&str] = &["url", "description", "variables"];
const TAG: &[&str] = &["name", "description", "externalDocs"];
const PATH_ITEM: &[&str] = &[
    "$ref",
    "summary",
    "description",
    "servers",
    "parameters",
    "get",
    "put",
    "post",
    "delete",
    "options",
    "head",
    "patch",
    "trace",
];
const OPERATION: &[&str] = &[
    "tags",
    "summary",
    "description",
    "externalDocs",
    "operationId",
    "deprecated",
    "security",
    "parameters",
    "requestBody",
    "responses",
    "callbacks",
    "servers",
];
const PARAMETER: &[&str] = &[
    "$ref",
    "name",
    "in",
    "required",
    "deprecated",
    "allowEmptyValue",
    "description",
    "style",
    "explode",
    "allowReserved",
    "schema",
    "content",
    "example",
    "examples",
];
const REQUEST_BODY: &[&str] = &["$ref", "description", "required", "content"];
const RESPONSE: &[&str] = &["$ref", "description", "headers", "content", "links"];
const MEDIA_TYPE: &[&str] = &["schema", "example", "examples", "encoding"];
// Normalizing follows the 3.0 conversion.
const COMPONENTS: &[&str] = crate::spec::COMPONENT_SECTIONS_3_0;
const SECURITY_SCHEME: &[&str] = &[
    "$ref",
    "type",
    "in",
    "name",
    "scheme",
    "bearerFormat",
    "flows",
    "openIdConnectUrl",
    "description",
];
const SCHEMA: &[&str] = &[
    "$ref",
    "title",
    "description",
    "type",
    "format",
    "nullable",
    "allOf",
    "oneOf",
    "anyOf",
    "not",
    "discriminator",
    "required",
    "properties",
    "additionalProperties",
    "items",
    "enum",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "multipleOf",
    "minLength",
    "maxLength",
    "pattern",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minProperties",
    "maxProperties",
    "default",
    "example",
    "readOnly",
    "writeOnly",
    "deprecated",
    "externalDocs",
    "xml",
];

/// What a JSON value is in an OpenAPI document, as far as key order goes.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Document,
    Info,
    Server,
    Tag,
    PathItem,
    Operation,
    Parameter,
    RequestBody,
    Response,
    Header,
    MediaType,
    Components,
    SecurityScheme,
    Schema,
    /// A map from names to values of one kind.
    MapOf(&'static Kind),
    /// Anything else: keys sorted.
    Other,
}

impl Kind {
    fn key_order(self) -> &'static [&'static str] {
        match self {
            Kind::Document => DOCUMENT,
            Kind::Info => INFO,
            Kind::Server => SERVER,
            Kind::Tag => TAG,
            Kind::PathItem => PATH_ITEM,
            Kind::Operation => OPERATION,
            Kind::Parameter | Kind::Header => PARAMETER,
            Kind::RequestBody => REQUEST_BODY,
            Kind::Response => RESPONSE,
            Kind::MediaType => MEDIA_TYPE,
            Kind::Components => COMPONENTS,
            Kind::SecurityScheme => SECURITY_SCHEME,
            Kind::Schema => SCHEMA,
            Kind::MapOf(_) | Kind::Other => &[],
        }
    }

    /// The kind of the value under `key` (or of each element, for arrays).
    fn child(self, key: &str) -> Kind {
        const PATH_ITEM: Kind = Kind::PathItem;
        const RESPONSE: Kind = Kind::Response;
        const MEDIA_TYPE: Kind = Kind::MediaType;
        const HEADER: Kind = Kind::Header;
        const SCHEMA: Kind = Kind::Schema;
        const PARAMETER: Kind = Kind::Parameter;
        const REQUEST_BODY: Kind = Kind::RequestBody;
        const SECURITY_SCHEME: Kind = Kind::SecurityScheme;
        match (self, key) {
            (Kind::MapOf(element), _) => *element,
            (Kind::Document, "info") => Kind::Info,
            (Kind::Document | Kind::PathItem | Kind::Operation, "servers") => Kind::Server,
            (Kind::Document, "tags") => Kind::Tag,
            (Kind::Document, "paths") => Kind::MapOf(&PATH_ITEM),
            (Kind::Document, "components") => Kind::Components,
            (
                Kind::PathItem,
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" | "trace",
            ) => Kind::Operation,
            (Kind::PathItem | Kind::Operation, "parameters") => Kind::Parameter,
            (Kind::Operation, "requestBody") => Kind::RequestBody,
            (Kind::Operation, "responses") => Kind::MapOf(&RESPONSE),
            (Kind::Parameter | Kind::Header | Kind::MediaType, "schema") => Kind::Schema,
            (Kind::Parameter | Kind::Header | Kind::RequestBody | Kind::Response, "content") => {
                Kind::MapOf(&MEDIA_TYPE)
            }
            (Kind::Response, "headers") => Kind::MapOf(&HEADER),
            (Kind::Components, "schemas") => Kind::MapOf(&SCHEMA),
            (Kind::Components, "responses") => Kind::MapOf(&RESPONSE),
            (Kind::Components, "parameters") => Kind::MapOf(&PARAMETER),
            (Kind::Components, "requestBodies") => Kind::MapOf(&REQUEST_BODY),
            (Kind::Components, "headers") => Kind::MapOf(&HEADER),
            (Kind::Components, "securitySchemes") => Kind::MapOf(&SECURITY_SCHEME),
            (Kind::Schema, "properties") => Kind::MapOf(&SCHEMA),
            (
                Kind::Schema,
                "items" | "additionalProperties" | "not" | "allOf" | "anyOf" | "oneOf",
            ) => Kind::Schema,
            _ => Kind::Other,
        }
    }
}

/// A JSON value with its object keys in the order they are written.
enum Ordered<'a> {
    Leaf(&'a Value),
    Array(Vec<Ordered<'a>>),
    Object(Vec<(&'a str, Ordered<'a>)>),
}

impl Serialize for Ordered<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Ordered::Leaf(value) => value.serialize(serializer),
            Ordered::Array(items) => {
                let mut sequence = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    sequence.serialize_element(item)?;
                }
                sequence.end()
            }
            Ordered::Object(entries) => {
                let mut map = serializer.serialize_map(Some(entries.len()))?;
                for (key, value) in entries {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    }
}

fn order(value: &Value, kind: Kind) -> Ordered<'_> {
    match value {
        Value::Array(items) => Ordered::Array(items.iter().map(|item| order(item, kind)).collect()),
        Value::Object(map) => {
            let known = kind.key_order();
            // serde_json's map iterates in sorted key order, which is the
            // order of unknown keys and of name-keyed maps.
            let mut entries: Vec<(&str, Ordered)> = known
                .iter()
                .filter_map(|key| map.get_key_value(*key))
                .map(|(key, child)| (key.as_str(), order(child, kind.child(key))))
                .collect();
            entries.extend(
                map.iter()
                    .filter(|(key, _)| !known.contains(&key.as_str()))
                    .map(|(key, child)| (key.as_str(), order(child, kind.child(key)))),
            );
            Ordered::Object(entries)
        }
        leaf => Ordered::Leaf(leaf),
    }
}

/// The text of `document` in the workspace's style.
pub fn to_text(document: &Value) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(&order(document, Kind::Document))?;
    text.push('\n');
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn known_keys_come_in_a_fixed_order_and_maps_are_sorted() {
        let document = json!({
            "paths": {"/b": {}, "/a": {"get": {"responses": {}, "operationId": "x", "tags": ["t"]}}},
            "info": {"version": "1", "title": "t"},
            "openapi": "3.0.3",
            "components": {"schemas": {"Z": {"type": "object", "title": "Z",
                "properties": {"b": {"type": "string"}, "a": {"type": "integer", "description": "d"}}}}}
        });
        let text = to_text(&document).expect("serializes");
        let expected = r#"{
  "openapi": "3.0.3",
  "info": {
    "title": "t",
    "version": "1"
  },
  "paths": {
    "/a": {
      "get": {
        "tags": [
          "t"
        ],
        "operationId": "x",
        "responses": {}
      }
    },
    "/b": {}
  },
  "components": {
    "schemas": {
      "Z": {
        "title": "Z",
        "type": "object",
        "properties": {
          "a": {
            "description": "d",
            "type": "integer"
          },
          "b": {
            "type": "string"
          }
        }
      }
    }
  }
}
"#;
        assert_eq!(text, expected);
    }

    #[test]
    fn the_committed_spec_keeps_its_shape_up_to_map_order() {
        let text = std::fs::read_to_string(crate::paths::spec()).expect("the spec is readable");
        let value: Value = serde_json::from_str(&text).expect("the spec is JSON");
        let normalized = to_text(&value).expect("serializes");
        let reparsed: Value = serde_json::from_str(&normalized).expect("the output is JSON");
        assert_eq!(reparsed, value, "normalizing changes no value");
        // The operation's keys stay in the hand-written order.
        let operation_keys = |text: &str| -> Vec<String> {
            let start = text.find("\"get\": {").unwrap_or(0);
            text[start..]
                .lines()
                .filter(|line| line.starts_with("        \"") && !line.starts_with("         "))
                .map(|line| {
                    line.trim()
                        .split('"')
                        .nth(1)
                        .unwrap_or_default()
                        .to_string()
                })
                .take(7)
                .collect()
        };
        let keys = operation_keys(&normalized);
        assert_eq!(keys.len(), 7, "{keys:?}");
        assert_eq!(keys, operation_keys(&text));
    }
}
