//! Adapts the committed spec to what progenitor 0.15 can generate from.
//!
//! The committed spec stays a faithful description of the vendor's API; the
//! adjustments progenitor needs are made here, on a copy, in one place.

use std::collections::BTreeMap;

use openapiv3::{
    OpenAPI, Operation, ReferenceOr, Response, Schema, SchemaData, SchemaKind, StatusCode,
};

/// Returns the copy of `document` that is handed to progenitor.
///
/// progenitor accepts one error body type per operation (it asserts on
/// more), while FastAPI services such as RecallrAI document two: a
/// validation body for 422 and `{"detail": string}` for the rest. Where an
/// operation's error responses use more than one JSON schema, they are
/// replaced by a `<OperationId>ErrorBody` component that is the `oneOf` of
/// them, which typify turns into an untagged enum.
pub fn prepare(document: &OpenAPI) -> Result<OpenAPI, String> {
    let mut prepared = document.clone();
    let shared_responses = prepared
        .components
        .as_ref()
        .map(|components| components.responses.clone())
        .unwrap_or_default();
    let mut new_schemas = BTreeMap::new();

    for (_, path_item) in prepared.paths.paths.iter_mut() {
        let ReferenceOr::Item(path_item) = path_item else {
            continue;
        };
        let operations = [
            &mut path_item.get,
            &mut path_item.put,
            &mut path_item.post,
            &mut path_item.delete,
            &mut path_item.options,
            &mut path_item.head,
            &mut path_item.patch,
            &mut path_item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            if let Some((name, schema)) = unify_error_bodies(operation, &shared_responses)? {
                new_schemas.insert(name, schema);
            }
        }
    }

    if !new_schemas.is_empty() {
        let components = prepared.components.get_or_insert_with(Default::default);
        for (name, schema) in new_schemas {
            if components.schemas.contains_key(&name) {
                return Err(format!(
                    "the spec already has a schema named `{name}`, which the generator needs for the union of the error bodies"
                ));
            }
            components.schemas.insert(name, ReferenceOr::Item(schema));
        }
    }
    Ok(prepared)
}

fn is_error(status: &StatusCode) -> bool {
    match status {
        StatusCode::Code(code) => *code >= 400,
        StatusCode::Range(range) => *range >= 4,
    }
}

fn unify_error_bodies(
    operation: &mut Operation,
    shared_responses: &indexmap::IndexMap<String, ReferenceOr<Response>>,
) -> Result<Option<(String, Schema)>, String> {
    let operation_id = operation.operation_id.clone().unwrap_or_default();
    let mut distinct: Vec<ReferenceOr<Schema>> = Vec::new();

    // Collect the distinct JSON bodies of the error responses, inlining
    // `$ref`ed responses so that they can be rewritten below.
    let mut error_responses: Vec<&mut Response> = Vec::new();
    let default = operation.responses.default.iter_mut();
    let coded = operation
        .responses
        .responses
        .iter_mut()
        .filter(|(status, _)| is_error(status))
        .map(|(_, response)| response);
    for response in default.chain(coded) {
        if let ReferenceOr::Reference { reference } = response {
            let name = reference.trim_start_matches("#/components/responses/");
            let resolved = match shared_responses.get(name) {
                Some(ReferenceOr::Item(item)) => item.clone(),
                _ => {
                    return Err(format!(
                        "operation `{operation_id}` refers to an unknown or nested response `{reference}`"
                    ));
                }
            };
            *response = ReferenceOr::Item(resolved);
        }
        if let ReferenceOr::Item(response) = response {
            error_responses.push(response);
        }
    }
    for response in &error_responses {
        if let Some(schema) = json_schema(response)
            && !distinct.contains(schema)
        {
            distinct.push(schema.clone());
        }
    }
    if distinct.len() < 2 {
        return Ok(None);
    }

    let name = format!("{}ErrorBody", pascal_case(&operation_id));
    let reference = ReferenceOr::Reference {
        reference: format!("#/components/schemas/{name}"),
    };
    for response in error_responses {
        if let Some(media) = response.content.get_mut("application/json")
            && media.schema.is_some()
        {
            media.schema = Some(reference.clone());
        }
    }
    let schema = Schema {
        schema_data: SchemaData {
            description: Some(format!(
                "Any error body that `{operation_id}` documents (one per status)."
            )),
            ..Default::default()
        },
        schema_kind: SchemaKind::OneOf { one_of: distinct },
    };
    Ok(Some((name, schema)))
}

fn json_schema(response: &Response) -> Option<&ReferenceOr<Schema>> {
    response
        .content
        .get("application/json")
        .and_then(|media| media.schema.as_ref())
}

/// `list_sessions` -> `ListSessions`; `insufficient_balance` -> `InsufficientBalance`.
pub fn pascal_case(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(|word| {
            let mut chars = word.chars();
            match chars.next() {
                Some(first) => first.to_ascii_uppercase().to_string() + chars.as_str(),
                None => String::new(),
            }
        })
        .collect()
}
