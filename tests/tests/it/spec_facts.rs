//! Every documented fact about List Sessions (`openapi/vendor/`) is in the
//! committed spec: a careless edit to the spec fails here.

use crate::common::committed_spec;
use openapiv3::{
    APIKeyLocation, IntegerType, OpenAPI, Operation, Parameter, ParameterData,
    ParameterSchemaOrContent, QueryStyle, ReferenceOr, Schema, SchemaKind, SecurityScheme,
    StatusCode, Type, VariantOrUnknownOrEmpty,
};

const PATH: &str = "/api/v1/users/{custom_user_id}/sessions";

fn list_sessions(spec: &OpenAPI) -> &Operation {
    let item = spec
        .paths
        .paths
        .get(PATH)
        .and_then(ReferenceOr::as_item)
        .unwrap_or_else(|| panic!("the spec has no path {PATH}"));
    item.get
        .as_ref()
        .unwrap_or_else(|| panic!("{PATH} has no GET"))
}

fn component<'a>(spec: &'a OpenAPI, name: &str) -> &'a Schema {
    spec.components
        .as_ref()
        .and_then(|components| components.schemas.get(name))
        .and_then(ReferenceOr::as_item)
        .unwrap_or_else(|| panic!("no component schema {name}"))
}

fn resolve<'a>(spec: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> &'a Schema {
    match schema {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { reference } => component(
            spec,
            reference
                .strip_prefix("#/components/schemas/")
                .unwrap_or_else(|| panic!("unexpected $ref {reference}")),
        ),
    }
}

fn reference_name(schema: &ReferenceOr<Schema>) -> &str {
    match schema {
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or(reference),
        ReferenceOr::Item(_) => panic!("expected a $ref, found an inline schema"),
    }
}

fn parameter<'a>(operation: &'a Operation, name: &str) -> &'a Parameter {
    operation
        .parameters
        .iter()
        .filter_map(ReferenceOr::as_item)
        .find(|parameter| parameter.parameter_data_ref().name == name)
        .unwrap_or_else(|| panic!("list_sessions has no parameter {name}"))
}

fn schema_of(data: &ParameterData) -> &ReferenceOr<Schema> {
    match &data.format {
        ParameterSchemaOrContent::Schema(schema) => schema,
        ParameterSchemaOrContent::Content(_) => panic!("{} uses content, not schema", data.name),
    }
}

fn integer(schema: &Schema) -> &IntegerType {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Integer(integer)) => integer,
        other => panic!("expected an integer schema, found {other:?}"),
    }
}

fn required(schema: &Schema) -> Vec<&str> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            object.required.iter().map(String::as_str).collect()
        }
        other => panic!("expected an object schema, found {other:?}"),
    }
}

fn property<'a>(spec: &'a OpenAPI, schema: &'a Schema, name: &str) -> &'a Schema {
    match &schema.schema_kind {
        SchemaKind::Type(Type::Object(object)) => {
            let property = object
                .properties
                .get(name)
                .unwrap_or_else(|| panic!("no property {name}"));
            match property {
                ReferenceOr::Item(schema) => schema,
                ReferenceOr::Reference { reference } => {
                    component(spec, reference.trim_start_matches("#/components/schemas/"))
                }
            }
        }
        other => panic!("expected an object schema, found {other:?}"),
    }
}

fn string_format(schema: &Schema) -> Option<String> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => match &string.format {
            VariantOrUnknownOrEmpty::Item(format) => Some(format!("{format:?}").to_lowercase()),
            VariantOrUnknownOrEmpty::Unknown(format) => Some(format.clone()),
            VariantOrUnknownOrEmpty::Empty => None,
        },
        other => panic!("expected a string schema, found {other:?}"),
    }
}

#[test]
fn is_openapi_3_0_with_the_vendor_server() {
    let spec = committed_spec();
    assert_eq!(spec.openapi, "3.0.3");
    let urls: Vec<&str> = spec
        .servers
        .iter()
        .map(|server| server.url.as_str())
        .collect();
    assert_eq!(urls, ["https://api.recallrai.com"]);
}

#[test]
fn list_sessions_operation_is_documented() {
    let spec = committed_spec();
    let operation = list_sessions(&spec);
    assert_eq!(operation.operation_id.as_deref(), Some("list_sessions"));
    assert_eq!(operation.summary.as_deref(), Some("List Sessions"));
    let description = operation.description.as_deref().unwrap_or_default();
    assert!(description.contains("List all sessions for a user with pagination and filtering."));
    assert!(description.contains("newest first"));
}

#[test]
fn user_id_is_a_required_path_string() {
    let spec = committed_spec();
    let Parameter::Path { parameter_data, .. } = parameter(list_sessions(&spec), "custom_user_id")
    else {
        panic!("custom_user_id is not a path parameter");
    };
    assert!(parameter_data.required);
    let schema = resolve(&spec, schema_of(parameter_data));
    assert!(matches!(
        schema.schema_kind,
        SchemaKind::Type(Type::String(_))
    ));
}

#[test]
fn offset_is_a_non_negative_integer_defaulting_to_zero() {
    let spec = committed_spec();
    let Parameter::Query { parameter_data, .. } = parameter(list_sessions(&spec), "offset") else {
        panic!("offset is not a query parameter");
    };
    assert!(!parameter_data.required);
    let schema = resolve(&spec, schema_of(parameter_data));
    let range = integer(schema);
    assert_eq!(range.minimum, Some(0));
    assert_eq!(range.maximum, None);
    assert_eq!(schema.schema_data.default, Some(serde_json::json!(0)));
}

#[test]
fn limit_is_one_to_one_hundred_defaulting_to_ten() {
    let spec = committed_spec();
    let Parameter::Query { parameter_data, .. } = parameter(list_sessions(&spec), "limit") else {
        panic!("limit is not a query parameter");
    };
    assert!(!parameter_data.required);
    let schema = resolve(&spec, schema_of(parameter_data));
    let range = integer(schema);
    assert_eq!((range.minimum, range.maximum), (Some(1), Some(100)));
    assert!(!range.exclusive_minimum && !range.exclusive_maximum);
    assert_eq!(schema.schema_data.default, Some(serde_json::json!(10)));
}

#[test]
fn metadata_filter_is_an_optional_json_string() {
    let spec = committed_spec();
    let Parameter::Query { parameter_data, .. } =
        parameter(list_sessions(&spec), "metadata_filter")
    else {
        panic!("metadata_filter is not a query parameter");
    };
    assert!(!parameter_data.required);
    let schema = resolve(&spec, schema_of(parameter_data));
    assert_eq!(string_format(schema), None);
    let description = parameter_data.description.as_deref().unwrap_or_default();
    assert!(description.contains("JSON"), "{description}");
}

#[test]
fn status_filter_is_an_exploded_array_of_statuses() {
    let spec = committed_spec();
    let Parameter::Query {
        parameter_data,
        style,
        ..
    } = parameter(list_sessions(&spec), "status_filter")
    else {
        panic!("status_filter is not a query parameter");
    };
    assert!(matches!(style, QueryStyle::Form));
    assert_eq!(parameter_data.explode, Some(true));
    assert!(!parameter_data.required);
    let schema = resolve(&spec, schema_of(parameter_data));
    let SchemaKind::Type(Type::Array(array)) = &schema.schema_kind else {
        panic!("status_filter is not an array");
    };
    let items = array.items.as_ref().expect("status_filter has items");
    let items = match items {
        ReferenceOr::Reference { reference } => reference.as_str(),
        ReferenceOr::Item(_) => panic!("status_filter items should $ref SessionStatus"),
    };
    assert_eq!(items, "#/components/schemas/SessionStatus");
}

#[test]
fn session_status_has_all_five_values() {
    let spec = committed_spec();
    let SchemaKind::Type(Type::String(string)) = &component(&spec, "SessionStatus").schema_kind
    else {
        panic!("SessionStatus is not a string enum");
    };
    assert_eq!(
        string.enumeration,
        [
            "pending",
            "processing",
            "processed",
            "failed",
            "insufficient_balance"
        ]
        .map(|value| Some(value.to_string()))
    );
}

#[test]
fn session_info_fields_and_formats() {
    let spec = committed_spec();
    let info = component(&spec, "SessionInfo");
    let mut required_fields = required(info);
    required_fields.sort_unstable();
    // `status` is modelled but optional: the vendor's sample leaves it out.
    assert_eq!(required_fields, ["created_at", "metadata", "session_id"]);
    assert_eq!(
        string_format(property(&spec, info, "session_id")).as_deref(),
        Some("uuid")
    );
    assert_eq!(
        string_format(property(&spec, info, "created_at")).as_deref(),
        Some("datetime")
    );
    assert!(matches!(
        property(&spec, info, "metadata").schema_kind,
        SchemaKind::Type(Type::Object(_))
    ));
    let SchemaKind::Type(Type::Object(object)) = &info.schema_kind else {
        panic!("SessionInfo is not an object");
    };
    let status = object
        .properties
        .get("status")
        .expect("SessionInfo has status");
    assert_eq!(reference_name_boxed(status), "SessionStatus");
}

fn reference_name_boxed(schema: &ReferenceOr<Box<Schema>>) -> &str {
    match schema {
        ReferenceOr::Reference { reference } => reference
            .strip_prefix("#/components/schemas/")
            .unwrap_or(reference),
        ReferenceOr::Item(_) => panic!("expected a $ref, found an inline schema"),
    }
}

#[test]
fn session_list_requires_sessions_total_and_has_more() {
    let spec = committed_spec();
    let mut required_fields = required(component(&spec, "SessionList"));
    required_fields.sort_unstable();
    assert_eq!(required_fields, ["has_more", "sessions", "total"]);
}

#[test]
fn both_auth_headers_are_required() {
    let spec = committed_spec();
    let schemes = &spec
        .components
        .as_ref()
        .expect("the spec has components")
        .security_schemes;
    let mut headers = Vec::new();
    for (name, scheme) in schemes {
        let Some(SecurityScheme::APIKey {
            location: APIKeyLocation::Header,
            name: header,
            ..
        }) = scheme.as_item()
        else {
            panic!("security scheme {name} is not an apiKey in a header");
        };
        headers.push((name.as_str(), header.as_str()));
    }
    headers.sort_unstable();
    assert_eq!(
        headers,
        [
            ("ApiKey", "X-Recallr-Api-Key"),
            ("ProjectId", "X-Recallr-Project-Id")
        ]
    );
    // One requirement naming both schemes means both headers are needed.
    let requirements = list_sessions(&spec)
        .security
        .as_ref()
        .expect("list_sessions declares its security");
    assert_eq!(requirements.len(), 1);
    let mut names: Vec<&str> = requirements[0].keys().map(String::as_str).collect();
    names.sort_unstable();
    assert_eq!(names, ["ApiKey", "ProjectId"]);
    let project = schemes
        .get("ProjectId")
        .and_then(ReferenceOr::as_item)
        .expect("ProjectId scheme");
    let SecurityScheme::APIKey { description, .. } = project else {
        panic!("ProjectId is not an apiKey");
    };
    assert!(description.as_deref().unwrap_or_default().contains("UUID"));
}

fn response_schema(spec: &OpenAPI, status: u16) -> &ReferenceOr<Schema> {
    list_sessions(spec)
        .responses
        .responses
        .get(&StatusCode::Code(status))
        .and_then(ReferenceOr::as_item)
        .unwrap_or_else(|| panic!("list_sessions documents no {status} response"))
        .content
        .get("application/json")
        .and_then(|media| media.schema.as_ref())
        .unwrap_or_else(|| panic!("the {status} response has no JSON schema"))
}

#[test]
fn success_and_error_bodies() {
    let spec = committed_spec();
    assert_eq!(reference_name(response_schema(&spec, 200)), "SessionList");
    assert_eq!(
        reference_name(response_schema(&spec, 422)),
        "HTTPValidationError"
    );
    for status in [401, 404, 429, 500] {
        assert_eq!(
            reference_name(response_schema(&spec, status)),
            "ErrorDetail",
            "status {status}"
        );
    }
    let documented: Vec<String> = list_sessions(&spec)
        .responses
        .responses
        .keys()
        .map(ToString::to_string)
        .collect();
    assert_eq!(documented, ["200", "401", "404", "422", "429", "500"]);
}

#[test]
fn error_body_shapes() {
    let spec = committed_spec();
    let detail = component(&spec, "ErrorDetail");
    assert_eq!(required(detail), ["detail"]);
    assert!(matches!(
        property(&spec, detail, "detail").schema_kind,
        SchemaKind::Type(Type::String(_))
    ));

    let validation = component(&spec, "HTTPValidationError");
    assert_eq!(required(validation), ["detail"]);
    let SchemaKind::Type(Type::Array(list)) = &property(&spec, validation, "detail").schema_kind
    else {
        panic!("HTTPValidationError.detail is not a list");
    };
    let item = list.items.as_ref().expect("detail has items");
    assert_eq!(reference_name_boxed(item), "ValidationError");
    let mut fields = required(component(&spec, "ValidationError"));
    fields.sort_unstable();
    assert_eq!(fields, ["loc", "msg", "type"]);
}

/// Hand-written crates take page-size facts from `recallr_api::facts`: no
/// match arm of theirs (a fallback) spells the limit's default or maximum.
#[test]
fn hand_written_crates_type_no_page_size_fact() {
    use recallr_api::facts::list_sessions::{LIMIT_DEFAULT, LIMIT_MAX};
    let root = xtask::paths::workspace_root();
    let mut typed = Vec::new();
    for krate in ["recallr-ext", "recallr-cli"] {
        let src = root.join("crates").join(krate).join("src");
        for entry in std::fs::read_dir(&src).expect("src/ lists") {
            let path = entry.expect("an entry").path();
            let Ok(text) = std::fs::read_to_string(&path) else {
                continue;
            };
            for (index, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or_default();
                for value in [LIMIT_DEFAULT, LIMIT_MAX] {
                    let value = value.to_string();
                    let arm = format!("=> {value},");
                    if code.trim_end().ends_with(&arm) {
                        typed.push(format!("{}:{}: {}", path.display(), index + 1, line.trim()));
                    }
                }
            }
        }
    }
    assert!(
        typed.is_empty(),
        "facts typed by hand:\n{}",
        typed.join("\n")
    );
}
