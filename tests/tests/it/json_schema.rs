//! The JSON Schema that schemars derives for the generated response types
//! agrees with the spec's components: same properties, same required set.

use std::collections::BTreeSet;

use crate::common::committed_spec;
use openapiv3::{ReferenceOr, SchemaKind, Type};
use schemars::schema::{RootSchema, Schema, SchemaObject};

fn derived_object(root: &RootSchema, name: &str) -> SchemaObject {
    if root
        .schema
        .metadata
        .as_ref()
        .and_then(|m| m.title.as_deref())
        == Some(name)
        || root.definitions.is_empty() && name == "root"
    {
        return root.schema.clone();
    }
    match root.definitions.get(name) {
        Some(Schema::Object(object)) => object.clone(),
        _ => panic!(
            "schemars has no definition {name}; it has {:?}",
            root.definitions.keys().collect::<Vec<_>>()
        ),
    }
}

fn derived_shape(object: &SchemaObject) -> (BTreeSet<String>, BTreeSet<String>) {
    let validation = object
        .object
        .as_ref()
        .expect("the derived schema is an object");
    (
        validation.properties.keys().cloned().collect(),
        validation.required.iter().cloned().collect(),
    )
}

fn spec_shape(name: &str) -> (BTreeSet<String>, BTreeSet<String>) {
    let spec = committed_spec();
    let schema = spec
        .components
        .as_ref()
        .and_then(|components| components.schemas.get(name))
        .and_then(ReferenceOr::as_item)
        .unwrap_or_else(|| panic!("no component {name}"));
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        panic!("{name} is not an object");
    };
    (
        object.properties.keys().cloned().collect(),
        object.required.iter().cloned().collect(),
    )
}

/// The derived schema of `SessionList`, whose definitions hold every type
/// it reaches.
fn session_list_root() -> RootSchema {
    schemars::schema_for!(recallr_api::types::SessionList)
}

#[test]
fn session_list_agrees_with_the_spec() {
    let root = session_list_root();
    let (properties, required) = derived_shape(&root.schema);
    let (spec_properties, spec_required) = spec_shape("SessionList");
    assert_eq!(properties, spec_properties);
    assert_eq!(required, spec_required);
}

#[test]
fn session_info_agrees_with_the_spec() {
    let root = session_list_root();
    let (properties, required) = derived_shape(&derived_object(&root, "SessionInfo"));
    let (spec_properties, spec_required) = spec_shape("SessionInfo");
    assert_eq!(properties, spec_properties);
    assert_eq!(required, spec_required);
}

#[test]
fn session_status_lists_the_spec_values() {
    let root = session_list_root();
    let status = derived_object(&root, "SessionStatus");
    let values: Vec<String> = status
        .enum_values
        .unwrap_or_default()
        .iter()
        .filter_map(|value| value.as_str().map(str::to_string))
        .collect();
    let spec = committed_spec();
    let status = spec
        .components
        .as_ref()
        .and_then(|components| components.schemas.get("SessionStatus"))
        .and_then(ReferenceOr::as_item)
        .expect("the spec has SessionStatus");
    let SchemaKind::Type(Type::String(string)) = &status.schema_kind else {
        panic!("SessionStatus is not a string enum");
    };
    let expected: Vec<String> = string.enumeration.iter().flatten().cloned().collect();
    assert_eq!(values, expected);
}

#[test]
fn error_bodies_agree_with_the_spec() {
    for (name, root) in [
        (
            "ErrorDetail",
            schemars::schema_for!(recallr_api::types::ErrorDetail),
        ),
        (
            "HTTPValidationError",
            schemars::schema_for!(recallr_api::types::HttpValidationError),
        ),
        (
            "ValidationError",
            schemars::schema_for!(recallr_api::types::ValidationError),
        ),
    ] {
        let (properties, required) = derived_shape(&root.schema);
        let (spec_properties, spec_required) = spec_shape(name);
        assert_eq!(properties, spec_properties, "{name}");
        assert_eq!(required, spec_required, "{name}");
    }
}
