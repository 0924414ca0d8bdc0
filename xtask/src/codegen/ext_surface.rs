//! `recallr-ext`'s surface for every operation, generated from the effective
//! spec and the generated client: `crates/recallr-ext/src/generated/operations.rs`.
//!
//! Nothing here names an operation. The shape follows the paths:
//! - each `{param}` after a static segment is a *handle*, reached from its
//!   parent by the segment's singular (`/users/{custom_user_id}` is
//!   `client.user(id)`, a `UserHandle`);
//! - an operation on the handle's own path is named by its operationId's
//!   verb (`get`, `update`, `delete`); one on a static segment below it by
//!   the segment (`GET .../messages` is `messages()`, `POST .../process` is
//!   `process()`), a `POST` that creates an item of a handle's collection
//!   `create_<item>` (`create_session`);
//! - each operation gets a request object holding its arguments: path
//!   parameters from the handle, the body as the method's argument,
//!   optional query parameters as builder methods, and `send()` (plus
//!   `send_stream()` for an `x-recallr-event-stream` operation). `send`
//!   checks integer arguments against `recallr_api::facts`, builds the
//!   request with the generated builder and sends it through `recallr-ext`'s
//!   one call path.
//!
//! Per-operation data comes from the overlay's declarations:
//! `x-recallr-retry: safe | never` (otherwise GET, PUT and DELETE are
//! idempotent and other methods are retried only when unsent),
//! `x-recallr-pagination` (or, for an undeclared list whose shape says it is
//! paged, the unordered rule), `x-recallr-event-stream`. The types come
//! from the generated builders, so they are progenitor's.

use std::collections::{BTreeMap, BTreeSet};

use openapiv3::{OpenAPI, Operation, Parameter, ReferenceOr, Schema, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::client_builders::{Builder, Builders, Field, first_generic, in_api_crate, last_ident};
use super::event_stream;
use crate::spec::Spec;

/// The retry override: `safe` or `never`.
pub const RETRY: &str = "x-recallr-retry";
/// The pagination declaration of a list.
pub const PAGINATION: &str = "x-recallr-pagination";
/// The streaming declaration: `{enable: <bool query param>, final: <field>}`.
pub const EVENT_STREAM: &str = "x-recallr-event-stream";

/// Operations whose request object is hand-written in `recallr-ext`, for a
/// semantic choice the generic one cannot make: the exactly-once pager of
/// List Sessions (`statuses`, `metadata`, `items`, `pages`). The type is
/// built with `new(client, <path parameters>)`.
const HAND_WRITTEN: &[(&str, &str)] = &[("list_sessions", "crate::sessions::ListSessions")];

/// Names the client already uses.
const RESERVED: &[&str] = &[
    "builder",
    "from_env",
    "base_url",
    "project_id",
    "api",
    "retry_policy",
    "redactor",
    "operation_timeout",
    "id",
    "clone",
];

/// The lists the overlay does not declare but whose shape says they are
/// paged (they get the unordered rule), as `(operationId, "METHOD /path")`:
/// what `spec update` names so that an `x-recallr-pagination` declaration
/// can upgrade them.
pub fn undeclared_paged_lists(document: &OpenAPI) -> Vec<(String, String)> {
    document
        .operations()
        .filter(|(_, _, operation)| !operation.extensions.contains_key(PAGINATION))
        .filter(|(_, _, operation)| {
            let query: Vec<&str> = operation
                .parameters
                .iter()
                .filter_map(|parameter| match parameter {
                    ReferenceOr::Item(Parameter::Query { parameter_data, .. }) => {
                        Some(parameter_data.name.as_str())
                    }
                    _ => None,
                })
                .collect();
            inferred_pagination(&query, success_properties(document, operation).as_ref()).is_some()
        })
        .map(|(path, method, operation)| {
            (
                operation.operation_id.clone().unwrap_or_default(),
                format!("{} {path}", method.to_ascii_uppercase()),
            )
        })
        .collect()
}

/// The generated file's text for the effective spec and the generated
/// client's text.
pub fn render(spec: &Spec, generated_client: &str) -> Result<String, String> {
    let client: syn::File = syn::parse_file(generated_client)
        .map_err(|err| format!("the generated client does not parse: {err}"))?;
    let builders = Builders::read(&client)?;
    let types = Types::read(&client)?;
    let streaming: BTreeSet<String> = event_stream::streaming_operations(&spec.document)
        .into_iter()
        .collect();
    let operations = operations(&spec.document, &builders, &streaming)?;
    let tokens = surface(&operations, &types)?;
    let file: syn::File = syn::parse2(tokens)
        .map_err(|err| format!("the generated surface does not parse: {err}"))?;
    let file_name = spec
        .path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = Sha256::digest(spec.text.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    Ok(format!(
        "// @generated by cargo xtask codegen from openapi/{file_name} — do not edit\n// spec sha256: {hex}\n\n{}",
        prettyplease::unparse(&file)
    ))
}

/// One operation, as the surface needs it.
#[derive(Clone)]
struct Op {
    id: String,
    method: String,
    path: String,
    summary: String,
    /// Handle chain: (static segments before the parameter, parameter name).
    chain: Vec<(String, String)>,
    /// Static segments after the last parameter.
    rest: Vec<String>,
    path_params: Vec<Field>,
    query: Vec<(Field, String, Option<Bounds>)>,
    body: Option<syn::Type>,
    answer: syn::Type,
    /// The generated `Client`'s method for it.
    api_method: syn::Ident,
    retry: TokenStream,
    resources: Vec<String>,
    paging: Option<Paging>,
    /// The query parameter that asks for events, and the final-event field.
    stream: Option<(String, String)>,
    hand_written: Option<syn::Path>,
}

#[derive(Debug, Clone, Copy)]
struct Bounds {
    min: bool,
    max: bool,
}

fn operations(
    document: &OpenAPI,
    builders: &Builders,
    streaming: &BTreeSet<String>,
) -> Result<Vec<Op>, String> {
    let prefix = common_prefix(document);
    let mut ops = Vec::new();
    for (path, method, operation) in document.operations() {
        let Some(id) = operation.operation_id.clone() else {
            return Err(format!(
                "`{} {path}` has no operationId: give it one in the overlay",
                method.to_ascii_uppercase()
            ));
        };
        let failed =
            |message: String| format!("`{id}` ({} {path}): {message}", method.to_ascii_uppercase());
        let Builder {
            fields,
            answer,
            method: api_method,
        } = builders
            .by_route
            .get(&format!("{} {path}", method.to_ascii_uppercase()))
            .ok_or_else(|| failed("the generated client has no builder for it".to_string()))?;
        let segments: Vec<&str> = path
            .split('/')
            .filter(|s| !s.is_empty())
            .skip(prefix)
            .collect();
        let (chain, rest) = chain_of(&segments).map_err(&failed)?;
        let field = |name: &str| {
            fields
                .iter()
                .find(|field| field.ident == rust_name(name))
                .cloned()
                .ok_or_else(|| failed(format!("the generated builder has no `{name}`")))
        };
        let path_params = chain
            .iter()
            .map(|(_, name)| field(name))
            .collect::<Result<Vec<_>, _>>()?;
        let mut query = Vec::new();
        for parameter in &operation.parameters {
            let ReferenceOr::Item(Parameter::Query { parameter_data, .. }) = parameter else {
                continue;
            };
            let bounds = integer_bounds(parameter_data);
            query.push((
                field(&parameter_data.name)?,
                parameter_data.name.clone(),
                bounds,
            ));
        }
        let body = fields
            .iter()
            .find(|field| field.ident == "body")
            .map(|field| field.ty.clone());
        let resources = chain
            .iter()
            .map(|(segment, _)| singular(segment).replace(['-', '_'], " "))
            .collect();
        let retry = retry_rule(method, operation).map_err(&failed)?;
        let paging = pagination(document, operation).map_err(&failed)?;
        let stream = event_stream_declaration(operation, &query, streaming.contains(&id))
            .map_err(&failed)?;
        let hand_written = HAND_WRITTEN
            .iter()
            .find(|(op, _)| *op == id)
            .map(|(_, path)| syn::parse_str::<syn::Path>(path))
            .transpose()
            .map_err(|err| failed(err.to_string()))?;
        ops.push(Op {
            summary: summary(operation),
            id,
            method: method.to_ascii_uppercase(),
            path: path.to_string(),
            chain,
            rest,
            path_params,
            query,
            body,
            answer: answer.clone(),
            api_method: api_method.clone(),
            retry,
            resources,
            paging,
            stream,
            hand_written,
        });
    }
    Ok(ops)
}

/// How many leading static segments every path shares (`api`, `v1`).
fn common_prefix(document: &OpenAPI) -> usize {
    let paths: Vec<Vec<&str>> = document
        .paths
        .paths
        .keys()
        .map(|path| path.split('/').filter(|s| !s.is_empty()).collect())
        .collect();
    let Some(first) = paths.first() else {
        return 0;
    };
    let mut count = 0;
    while let Some(segment) = first.get(count) {
        let shared = !segment.starts_with('{')
            && paths
                .iter()
                .all(|path| path.get(count) == Some(segment) && path.len() > count + 1);
        if !shared {
            break;
        }
        count += 1;
    }
    // A segment that names a handle stays out of the prefix, whatever the
    // kept operations are (only `/users/{id}/...` kept: `users` still names
    // the user handle).
    while count > 0
        && paths.iter().any(|path| {
            path.get(count)
                .is_some_and(|segment| segment.starts_with('{'))
        })
    {
        count -= 1;
    }
    count
}

type Chain = (Vec<(String, String)>, Vec<String>);

fn chain_of(segments: &[&str]) -> Result<Chain, String> {
    let mut chain = Vec::new();
    let mut statics: Vec<String> = Vec::new();
    for segment in segments {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(param) => {
                if statics.is_empty() {
                    return Err(format!(
                        "the path parameter `{param}` follows no static segment to name its handle"
                    ));
                }
                chain.push((statics.join("_"), param.to_string()));
                statics.clear();
            }
            None => statics.push((*segment).to_string()),
        }
    }
    Ok((chain, statics))
}

fn retry_rule(method: &str, operation: &Operation) -> Result<TokenStream, String> {
    match operation.extensions.get(RETRY) {
        Some(Value::String(rule)) if rule == "safe" => {
            Ok(quote!(crate::operation::RetryRule::Idempotent))
        }
        Some(Value::String(rule)) if rule == "never" => {
            Ok(quote!(crate::operation::RetryRule::Never))
        }
        Some(other) => Err(format!("`{RETRY}` must be `safe` or `never`, not {other}")),
        None => Ok(match method {
            "get" | "put" | "delete" | "head" | "options" => {
                quote!(crate::operation::RetryRule::Idempotent)
            }
            _ => quote!(crate::operation::RetryRule::UnsentOnly),
        }),
    }
}

fn integer_bounds(data: &openapiv3::ParameterData) -> Option<Bounds> {
    let openapiv3::ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &data.format
    else {
        return None;
    };
    let SchemaKind::Type(Type::Integer(integer)) = &schema.schema_kind else {
        return None;
    };
    let bounds = Bounds {
        min: integer.minimum.is_some(),
        max: integer.maximum.is_some(),
    };
    (bounds.min || bounds.max).then_some(bounds)
}

/// The streaming declaration, checked against the spec.
fn event_stream_declaration(
    operation: &Operation,
    query: &[(Field, String, Option<Bounds>)],
    streams: bool,
) -> Result<Option<(String, String)>, String> {
    let Some(declaration) = operation.extensions.get(EVENT_STREAM) else {
        return Ok(None);
    };
    if !streams {
        return Err(format!(
            "`{EVENT_STREAM}` is declared but no success response lists `text/event-stream`"
        ));
    }
    let text = |key: &str| {
        declaration
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
            .ok_or_else(|| format!("`{EVENT_STREAM}` needs `{key}`, a string"))
    };
    let enable = text("enable")?;
    let last = text("final")?;
    if !query.iter().any(|(_, name, _)| *name == enable) {
        return Err(format!(
            "`{EVENT_STREAM}.enable` names `{enable}`, which is not a query parameter"
        ));
    }
    Ok(Some((enable, last)))
}

/// The pagination data of a list: declared, or inferred from its shape.
fn pagination(document: &OpenAPI, operation: &Operation) -> Result<Option<Paging>, String> {
    let query: Vec<&str> = operation
        .parameters
        .iter()
        .filter_map(|parameter| match parameter {
            ReferenceOr::Item(Parameter::Query { parameter_data, .. }) => {
                Some(parameter_data.name.as_str())
            }
            _ => None,
        })
        .collect();
    let properties = success_properties(document, operation);
    let Some(declaration) = operation.extensions.get(PAGINATION) else {
        return Ok(inferred_pagination(&query, properties.as_ref()));
    };
    let text = |key: &str| {
        declaration
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`{PAGINATION}` needs `{key}`, a string"))
    };
    let optional = |key: &str| match declaration.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(name)) => Ok(Some(name.as_str())),
        Some(other) => Err(format!(
            "`{PAGINATION}.{key}` must be a string, not {other}"
        )),
    };
    let offset = text("offset")?;
    let limit = text("limit")?;
    let items = text("items")?;
    let total = optional("total")?;
    let has_more = optional("has_more")?;
    for parameter in [offset, limit] {
        if !query.contains(&parameter) {
            return Err(format!(
                "`{PAGINATION}` names the query parameter `{parameter}`, which the operation does not have"
            ));
        }
    }
    let properties = properties.ok_or_else(|| {
        format!("`{PAGINATION}` is declared but the success response is not an object")
    })?;
    for field in [Some(items), total, has_more].into_iter().flatten() {
        if !properties.contains_key(field) {
            return Err(format!(
                "`{PAGINATION}` names the response field `{field}`, which the response does not have"
            ));
        }
    }
    let item_fields = item_fields(document, operation, items);
    let check_item = |field: &str| match &item_fields {
        Some(fields) if !fields.contains(field) => Err(format!(
            "`{PAGINATION}.order` names the item field `{field}`, which `{items}`'s items do not have"
        )),
        _ => Ok(()),
    };
    let order = declaration
        .get("order")
        .ok_or_else(|| format!("`{PAGINATION}` needs `order`"))?;
    let order_text = |key: &str| {
        order
            .get(key)
            .and_then(Value::as_str)
            .ok_or_else(|| format!("`{PAGINATION}.order` needs `{key}`, a string"))
    };
    let (order_tokens, promise, guarantee, walk) = match order_text("kind")? {
        "descending" => {
            let key = order_text("key")?;
            let tie_break = order_text("tie_break")?;
            check_item(key)?;
            check_item(tie_break)?;
            (
                quote!(crate::operation::Order::Descending { key: #key, tie_break: #tie_break }),
                format!("newest `{key}` first, `{tie_break}` breaking ties"),
                "every item that exists for the whole walk exactly once, under inserts, deletes and changes".to_string(),
                WalkKind::Sorted {
                    descending: true,
                    key: key.to_string(),
                    id: tie_break.to_string(),
                },
            )
        }
        "ascending" => {
            let key = order_text("key")?;
            check_item(key)?;
            let append_only = order
                .get("append_only")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            (
                quote!(crate::operation::Order::Ascending { key: #key, append_only: #append_only }),
                format!(
                    "oldest `{key}` first{}",
                    if append_only {
                        ", items only ever appended"
                    } else {
                        ""
                    }
                ),
                if append_only {
                    "every item exactly once while items are appended; a shrinking total is counted in `PagerStats::possible_losses`".to_string()
                } else {
                    POSITIONAL_GUARANTEE.to_string()
                },
                if append_only {
                    WalkKind::Appended {
                        key: key.to_string(),
                    }
                } else {
                    WalkKind::Positional
                },
            )
        }
        "by_request" => {
            let sort_by = order_text("sort_by")?;
            let sort_order = order_text("sort_order")?;
            let unique = order_text("unique")?;
            for parameter in [sort_by, sort_order] {
                if !query.contains(&parameter) {
                    return Err(format!(
                        "`{PAGINATION}.order` names the query parameter `{parameter}`, which the operation does not have"
                    ));
                }
            }
            check_item(unique)?;
            (
                quote!(crate::operation::Order::ByRequest { sort_by: #sort_by, sort_order: #sort_order, unique: #unique }),
                format!("chosen by the request (`{sort_by}`, `{sort_order}`), `{unique}` unique"),
                format!(
                    "a walk does not rely on the order requested (it may sort on a field that moves), so: {UNORDERED_GUARANTEE}"
                ),
                WalkKind::Unordered {
                    id: unique.to_string(),
                },
            )
        }
        "unordered" => {
            let unique = order.get("unique").and_then(Value::as_str);
            if let Some(unique) = unique {
                check_item(unique)?;
            }
            let unique_tokens = match unique {
                Some(unique) => quote!(Some(#unique)),
                None => quote!(None),
            };
            let (guarantee, walk) = match unique {
                Some(unique) => (
                    UNORDERED_GUARANTEE,
                    WalkKind::Unordered {
                        id: unique.to_string(),
                    },
                ),
                None => (POSITIONAL_GUARANTEE, WalkKind::Positional),
            };
            (
                quote!(crate::operation::Order::Unordered { unique: #unique_tokens }),
                "none documented".to_string(),
                guarantee.to_string(),
                walk,
            )
        }
        other => {
            return Err(format!(
                "`{PAGINATION}.order.kind` must be `descending`, `ascending`, `by_request` or `unordered`, not `{other}`"
            ));
        }
    };
    let total_tokens = option_tokens(total);
    let has_more_tokens = option_tokens(has_more);
    let tokens = quote! {
        Some(crate::operation::Pagination {
            offset: #offset,
            limit: #limit,
            items: #items,
            total: #total_tokens,
            has_more: #has_more_tokens,
            order: #order_tokens,
            declared: true,
        })
    };
    Ok(Some(Paging {
        tokens,
        doc: format!(
            "Paged by `{offset}`/`{limit}` (declared in the overlay). The order the server promises: {promise}. What a walk can guarantee: {guarantee}."
        ),
        offset: offset.to_string(),
        limit: limit.to_string(),
        items: items.to_string(),
        total: total.map(str::to_string),
        has_more: has_more.map(str::to_string),
        walk,
    }))
}

/// What a walk of a list with a unique id and no usable order guarantees.
const UNORDERED_GUARANTEE: &str = "no item twice (deduplicated by id); items may be missed if others are deleted or move during the walk, which is detected and counted in `PagerStats::possible_losses`, never passed off as a complete walk";

/// What a walk of a list with neither an order nor a unique id guarantees.
const POSITIONAL_GUARANTEE: &str = "pages read end to end, nothing more: with no unique id to deduplicate by, an item may be repeated or missed while the list changes; a shrinking total is counted in `PagerStats::possible_losses`";

/// How a list pages, as the surface's generator needs it: the data for
/// `operation_info` and what its pager is built from.
#[derive(Clone)]
struct Paging {
    /// The `operation_info` value.
    tokens: TokenStream,
    /// The order promised and the guarantee, for the docs.
    doc: String,
    offset: String,
    limit: String,
    items: String,
    total: Option<String>,
    has_more: Option<String>,
    walk: WalkKind,
}

/// Which walk of the generic pager a list gets, with the item fields it
/// reads (spec names).
#[derive(Clone)]
enum WalkKind {
    /// Sorted by `key`, `id` unique: exactly once.
    Sorted {
        descending: bool,
        key: String,
        id: String,
    },
    /// Ascending by `key`, append-only.
    Appended { key: String },
    /// No usable order, `id` unique.
    Unordered { id: String },
    /// No order, no id.
    Positional,
}

/// A list the overlay does not declare is paged when it takes `offset` and
/// `limit` and answers one array with `total` or `has_more`.
fn inferred_pagination(
    query: &[&str],
    properties: Option<&BTreeMap<String, bool>>,
) -> Option<Paging> {
    let properties = properties?;
    if !(query.contains(&"offset") && query.contains(&"limit")) {
        return None;
    }
    let arrays: Vec<&String> = properties
        .iter()
        .filter(|(_, is_array)| **is_array)
        .map(|(name, _)| name)
        .collect();
    let [items] = arrays.as_slice() else {
        return None;
    };
    let total = properties.contains_key("total").then_some("total");
    let has_more = properties.contains_key("has_more").then_some("has_more");
    if total.is_none() && has_more.is_none() {
        return None;
    }
    let items = items.as_str();
    let total_tokens = option_tokens(total);
    let has_more_tokens = option_tokens(has_more);
    Some(Paging {
        tokens: quote! {
            Some(crate::operation::Pagination {
                offset: "offset",
                limit: "limit",
                items: #items,
                total: #total_tokens,
                has_more: #has_more_tokens,
                order: crate::operation::Order::Unordered { unique: None },
                declared: false,
            })
        },
        doc: format!(
            "Paged by `offset`/`limit`, inferred from the response's shape: the overlay declares no `{PAGINATION}` for it (no order, no unique field), so a walk gets the weakest guarantee: {POSITIONAL_GUARANTEE}."
        ),
        offset: "offset".to_string(),
        limit: "limit".to_string(),
        items: items.to_string(),
        total: total.map(str::to_string),
        has_more: has_more.map(str::to_string),
        walk: WalkKind::Positional,
    })
}

fn option_tokens(value: Option<&str>) -> TokenStream {
    match value {
        Some(value) => quote!(Some(#value)),
        None => quote!(None),
    }
}

/// The success response's object properties: name -> is an array.
fn success_properties(document: &OpenAPI, operation: &Operation) -> Option<BTreeMap<String, bool>> {
    let response = operation
        .responses
        .responses
        .iter()
        .find(|(status, _)| matches!(status, openapiv3::StatusCode::Code(200..=299)))?
        .1;
    let ReferenceOr::Item(response) = response else {
        return None;
    };
    let schema = response.content.get("application/json")?.schema.as_ref()?;
    let schema = resolve(document, schema)?;
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return None;
    };
    Some(
        object
            .properties
            .iter()
            .map(|(name, property)| {
                let is_array = match property {
                    ReferenceOr::Item(schema) => {
                        matches!(schema.schema_kind, SchemaKind::Type(Type::Array(_)))
                    }
                    ReferenceOr::Reference { .. } => false,
                };
                (name.clone(), is_array)
            })
            .collect(),
    )
}

/// The field names of the items of the success response's array `items`,
/// when they are an object the spec describes.
fn item_fields(document: &OpenAPI, operation: &Operation, items: &str) -> Option<BTreeSet<String>> {
    let response = operation
        .responses
        .responses
        .iter()
        .find(|(status, _)| matches!(status, openapiv3::StatusCode::Code(200..=299)))?
        .1;
    let ReferenceOr::Item(response) = response else {
        return None;
    };
    let schema = resolve(
        document,
        response.content.get("application/json")?.schema.as_ref()?,
    )?;
    let SchemaKind::Type(Type::Object(object)) = &schema.schema_kind else {
        return None;
    };
    let property = match object.properties.get(items)? {
        ReferenceOr::Item(schema) => schema,
        ReferenceOr::Reference { .. } => return None,
    };
    let SchemaKind::Type(Type::Array(array)) = &property.schema_kind else {
        return None;
    };
    let item = match array.items.as_ref()? {
        ReferenceOr::Item(schema) => Some(schema.as_ref()),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            match document.components.as_ref()?.schemas.get(name)? {
                ReferenceOr::Item(schema) => Some(schema),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }?;
    let SchemaKind::Type(Type::Object(object)) = &item.schema_kind else {
        return None;
    };
    Some(object.properties.keys().cloned().collect())
}

fn resolve<'a>(document: &'a OpenAPI, schema: &'a ReferenceOr<Schema>) -> Option<&'a Schema> {
    match schema {
        ReferenceOr::Item(schema) => Some(schema),
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/schemas/")?;
            match document.components.as_ref()?.schemas.get(name)? {
                ReferenceOr::Item(schema) => Some(schema),
                ReferenceOr::Reference { .. } => None,
            }
        }
    }
}

/// The first line of the operation's summary, with nothing rustdoc could
/// read as markup or code (document text is data).
fn summary(operation: &Operation) -> String {
    let text = operation
        .summary
        .as_deref()
        .or(operation.description.as_deref())
        .and_then(|text| text.lines().next())
        .unwrap_or_default();
    let cleaned: String = text
        .chars()
        .filter(|c| !matches!(c, '`' | '<' | '>' | '[' | ']' | '*' | '_' | '#' | '\\'))
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    cleaned.trim().to_string()
}

/// `custom_user_id` stays, `X-Thing` becomes `x_thing`, as progenitor names
/// builder fields.
fn rust_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .collect()
}

/// `users` -> `user`, `merge-conflicts` -> `merge-conflict`, `memory` stays.
fn singular(segment: &str) -> String {
    segment
        .strip_suffix("ies")
        .map(|stem| format!("{stem}y"))
        .or_else(|| segment.strip_suffix('s').map(str::to_string))
        .unwrap_or_else(|| segment.to_string())
}

fn snake(segment: &str) -> String {
    rust_name(segment)
}

fn ident(name: &str) -> syn::Ident {
    syn::parse_str::<syn::Ident>(name)
        .unwrap_or_else(|_| syn::Ident::new_raw(name, proc_macro2::Span::call_site()))
}

fn pascal_ident(name: &str) -> syn::Ident {
    ident(&event_stream::pascal(name))
}

/// The constant `recallr_api::facts` holds for a parameter's bound, named
/// as `facts` names it.
fn fact(op: &str, name: &str, suffix: &str) -> TokenStream {
    let module = ident(&crate::codegen::facts::snake(op));
    let constant = format_ident!(
        "{}_{suffix}",
        crate::codegen::facts::snake(name).to_ascii_uppercase()
    );
    quote!(recallr_api::facts::#module::#constant)
}

/// A handle: the chain prefix that names it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct HandleKey(Vec<(String, String)>);

fn handle_type(key: &HandleKey) -> syn::Ident {
    match key.0.last() {
        Some((segment, _)) => format_ident!("{}Handle", event_stream::pascal(&singular(segment))),
        None => format_ident!("Recallr"),
    }
}

fn is_string(ty: &syn::Type) -> bool {
    last_ident(ty).as_deref() == Some("String")
}

fn surface(ops: &[Op], types: &Types) -> Result<TokenStream, String> {
    // Every handle, with the type of each of its parameters.
    let mut handles: BTreeMap<HandleKey, Vec<Field>> = BTreeMap::new();
    handles.insert(HandleKey(Vec::new()), Vec::new());
    for op in ops {
        for depth in 1..=op.chain.len() {
            handles
                .entry(HandleKey(op.chain[..depth].to_vec()))
                .or_insert_with(|| op.path_params[..depth].to_vec());
        }
    }
    // Handle names must not collide.
    let mut seen = BTreeSet::new();
    for key in handles.keys() {
        if !seen.insert(handle_type(key).to_string()) {
            return Err(format!(
                "two paths give a handle named `{}`: rename a path segment in the overlay",
                handle_type(key)
            ));
        }
    }
    // Collections: static segments that have an item handle below them.
    let collections: BTreeSet<(HandleKey, String)> = handles
        .keys()
        .filter_map(|key| {
            let (last, parents) = key.0.split_last()?;
            Some((HandleKey(parents.to_vec()), last.0.clone()))
        })
        .collect();

    let mut methods: BTreeMap<HandleKey, Vec<TokenStream>> = BTreeMap::new();
    let mut names: BTreeMap<HandleKey, BTreeSet<String>> = BTreeMap::new();
    // Methods that open a child handle.
    for (key, params) in &handles {
        let Some(((segment, _), parents)) = key.0.split_last() else {
            continue;
        };
        let parent = HandleKey(parents.to_vec());
        let name = snake(&singular(segment));
        claim(&mut names, &parent, &name)?;
        let child = handle_type(key);
        let Some(own) = params.last() else {
            continue;
        };
        let own_ident = &own.ident;
        let own_ty = &own.ty;
        let inherited: Vec<&syn::Ident> = params[..params.len() - 1]
            .iter()
            .map(|f| &f.ident)
            .collect();
        let (argument, value) = if is_string(own_ty) {
            (
                quote!(#own_ident: impl Into<String>),
                quote!(#own_ident.into()),
            )
        } else {
            (quote!(#own_ident: #own_ty), quote!(#own_ident))
        };
        let method = ident(&name);
        let doc = format!(
            "The operations on one {}: a handle holding its id, that sends nothing until a request made from it is sent.",
            singular(segment).replace(['-', '_'], " ")
        );
        methods.entry(parent).or_default().push(quote! {
            #[doc = #doc]
            pub fn #method(&self, #argument) -> #child {
                #child {
                    client: self.client().clone(),
                    #(#inherited: self.#inherited.clone(),)*
                    #own_ident: #value,
                }
            }
        });
    }

    let mut requests = Vec::new();
    let mut infos = Vec::new();
    let constants: Vec<syn::Ident> = ops
        .iter()
        .map(|op| format_ident!("{}", rust_name(&op.id).to_ascii_uppercase()))
        .collect();
    for op in ops {
        let key = HandleKey(op.chain.clone());
        let name = method_name(op, &collections, &key);
        let name = if RESERVED.contains(&name.as_str())
            || names.get(&key).is_some_and(|taken| taken.contains(&name))
        {
            rust_name(&op.id)
        } else {
            name
        };
        claim(&mut names, &key, &name)?;
        let (info, request, method) = operation_items(op, &name, &handles[&key], types)?;
        infos.push(info);
        requests.push(request);
        methods.entry(key).or_default().push(method);
    }

    let mut handle_items = Vec::new();
    for (key, params) in &handles {
        let ty = handle_type(key);
        let these = methods.remove(key).unwrap_or_default();
        if key.0.is_empty() {
            handle_items.push(quote! {
                impl Recallr {
                    fn client(&self) -> &Recallr {
                        self
                    }
                    #(#these)*
                }
            });
            continue;
        }
        let fields: Vec<TokenStream> = params
            .iter()
            .map(|field| {
                let ident = &field.ident;
                let ty = &field.ty;
                quote!(#ident: #ty)
            })
            .collect();
        let own = params.last().ok_or("a handle without a parameter")?;
        let own_ident = &own.ident;
        let own_ty = &own.ty;
        let (id_ty, id_value) = if is_string(own_ty) {
            (quote!(&str), quote!(self.#own_ident.as_str()))
        } else {
            (quote!(#own_ty), quote!(self.#own_ident))
        };
        let doc = format!(
            "A handle on one {} (from `{}`): it holds the client and the id, not the resource, and sends nothing until a request made from it is sent.",
            key.0
                .last()
                .map(|(s, _)| singular(s).replace(['-', '_'], " "))
                .unwrap_or_default(),
            key.0
                .iter()
                .map(|(s, p)| format!("/{s}/{{{p}}}"))
                .collect::<String>(),
        );
        handle_items.push(quote! {
            #[doc = #doc]
            #[derive(Debug, Clone)]
            pub struct #ty {
                client: Recallr,
                #(#fields,)*
            }

            impl #ty {
                fn client(&self) -> &Recallr {
                    &self.client
                }

                /// The id this handle holds.
                pub fn id(&self) -> #id_ty {
                    #id_value
                }

                #(#these)*
            }
        });
    }

    Ok(quote! {
        //! Every operation of the API, generated by `cargo xtask codegen` from
        //! the spec and the generated client (`xtask/src/ext_surface.rs`):
        //! handles that follow the paths, one request object per operation,
        //! and each operation's data (`operation_info`). Do not edit.
        #![cfg_attr(rustfmt, rustfmt::skip)]
        #![allow(clippy::all)]

        use crate::client::Recallr;
        use crate::error::Error;

        /// Each operation's data for the generic call path: method, path,
        /// retry rule, the resources its path names, how it pages.
        pub mod operation_info {
            #(#infos)*

            /// Every operation above, in the spec's order.
            pub const ALL: &[crate::operation::Operation] = &[#(#constants),*];
        }

        #(#handle_items)*

        #(#requests)*
    })
}

fn claim(
    names: &mut BTreeMap<HandleKey, BTreeSet<String>>,
    key: &HandleKey,
    name: &str,
) -> Result<(), String> {
    if names
        .entry(key.clone())
        .or_default()
        .insert(name.to_string())
    {
        Ok(())
    } else {
        Err(format!(
            "two operations would be `{}.{name}()`: give one an `operationId` that says how they differ",
            handle_type(key)
        ))
    }
}

fn method_name(op: &Op, collections: &BTreeSet<(HandleKey, String)>, key: &HandleKey) -> String {
    let verb = op.id.split('_').next().unwrap_or(&op.id).to_string();
    if op.rest.is_empty() {
        return verb;
    }
    let rest = op.rest.join("_");
    if op.method == "GET" {
        return snake(&rest);
    }
    if collections.contains(&(key.clone(), rest.clone())) {
        return if op.method == "POST" {
            format!("create_{}", snake(&singular(&rest)))
        } else {
            format!("{}_{}", verb, snake(&rest))
        };
    }
    snake(&rest)
}

fn operation_items(
    op: &Op,
    name: &str,
    handle_params: &[Field],
    types: &Types,
) -> Result<(TokenStream, TokenStream, TokenStream), String> {
    let constant = format_ident!("{}", rust_name(&op.id).to_ascii_uppercase());
    let id = &op.id;
    let method = &op.method;
    let path = &op.path;
    let retry = &op.retry;
    let resources = &op.resources;
    let pagination = op
        .paging
        .as_ref()
        .map_or_else(|| quote!(None), |paging| paging.tokens.clone());
    let mut info_doc = format!("`{method} {path}` (`{id}`).");
    if let Some(paging) = &op.paging {
        info_doc.push_str("\n\n");
        info_doc.push_str(&paging.doc);
    }
    let info = quote! {
        #[doc = #info_doc]
        pub const #constant: crate::operation::Operation = crate::operation::Operation {
            id: #id,
            method: #method,
            path: #path,
            retry: #retry,
            resources: &[#(#resources),*],
            pagination: #pagination,
        };
    };
    let method_ident = ident(name);
    let summary = if op.summary.is_empty() {
        String::new()
    } else {
        format!("{}. ", op.summary.trim_end_matches('.'))
    };
    let method_doc = format!("{summary}`{method} {path}` (`{id}`).");
    let params: Vec<&syn::Ident> = handle_params.iter().map(|field| &field.ident).collect();

    if let Some(hand_written) = &op.hand_written {
        let method_item = quote! {
            #[doc = #method_doc]
            pub fn #method_ident(&self) -> #hand_written {
                #hand_written::new(self.client().clone(), #(self.#params.clone()),*)
            }
        };
        return Ok((info, TokenStream::new(), method_item));
    }

    let request = pascal_ident(&op.id);
    let answer = &op.answer;
    let optional: Vec<&(Field, String, Option<Bounds>)> = op
        .query
        .iter()
        .filter(|(field, _, _)| field.optional)
        .collect();
    let required: Vec<&(Field, String, Option<Bounds>)> = op
        .query
        .iter()
        .filter(|(field, _, _)| !field.optional)
        .collect();

    // What the caller passes to the method.
    let mut arguments = Vec::new();
    let mut initialisers = Vec::new();
    let mut fields = Vec::new();
    for field in handle_params {
        let ident = &field.ident;
        let ty = &field.ty;
        fields.push(quote!(#ident: #ty));
        initialisers.push(quote!(#ident: self.#ident.clone()));
    }
    for (field, _, _) in &required {
        let ident = &field.ident;
        let ty = user_type(&field.ty);
        fields.push(quote!(#ident: #ty));
        arguments.push(quote!(#ident: #ty));
        initialisers.push(quote!(#ident));
    }
    if let Some(body) = &op.body {
        fields.push(quote!(body: #body));
        arguments.push(quote!(body: #body));
        initialisers.push(quote!(body));
    }
    for (field, _, _) in &optional {
        let ident = &field.ident;
        let ty = user_type(&field.ty);
        fields.push(quote!(#ident: Option<#ty>));
        initialisers.push(quote!(#ident: None));
    }

    let setters: Vec<TokenStream> = optional
        .iter()
        .filter(|(_, name, _)| op.stream.as_ref().is_none_or(|(enable, _)| enable != name))
        .map(|(field, name, _)| {
            let ident = &field.ident;
            let ty = user_type(&field.ty);
            let doc = format!("Sets the `{name}` query parameter.");
            if is_string(&ty) {
                quote! {
                    #[doc = #doc]
                    pub fn #ident(mut self, value: impl Into<String>) -> Self {
                        self.#ident = Some(value.into());
                        self
                    }
                }
            } else if let Some(item) = first_generic(&ty, "Vec") {
                quote! {
                    #[doc = #doc]
                    pub fn #ident(mut self, values: impl IntoIterator<Item = #item>) -> Self {
                        self.#ident = Some(values.into_iter().collect());
                        self
                    }
                }
            } else {
                quote! {
                    #[doc = #doc]
                    pub fn #ident(mut self, value: #ty) -> Self {
                        self.#ident = Some(value);
                        self
                    }
                }
            }
        })
        .collect();

    // Checks, in the order of the path and the query.
    let mut checks = Vec::new();
    let mut ids = Vec::new();
    let mut id_texts = Vec::new();
    for (field, (_, spec_name)) in handle_params.iter().zip(&op.chain) {
        let ident = &field.ident;
        if is_string(&field.ty) {
            checks.push(quote!(crate::call::check_path_param(#spec_name, &self.#ident)?;));
            ids.push(quote!(self.#ident.as_str()));
        } else {
            let text = format_ident!("{}_text", ident);
            id_texts.push(quote!(let #text = self.#ident.to_string();));
            ids.push(quote!(#text.as_str()));
        }
    }
    for (field, name, bounds) in &op.query {
        let Some(bounds) = bounds else { continue };
        let ident = &field.ident;
        let min = if bounds.min {
            let fact = fact(&op.id, name, "MIN");
            quote!(Some(i128::from(#fact)))
        } else {
            quote!(None)
        };
        let max = if bounds.max {
            let fact = fact(&op.id, name, "MAX");
            quote!(Some(i128::from(#fact)))
        } else {
            quote!(None)
        };
        if field.optional {
            checks.push(quote! {
                if let Some(value) = self.#ident {
                    crate::call::check_bounds(#name, i128::from(value), #min, #max)?;
                }
            });
        } else {
            checks.push(quote! {
                crate::call::check_bounds(#name, i128::from(self.#ident), #min, #max)?;
            });
        }
    }

    // The generated builder, filled in.
    let api_method = &op.api_method;
    // A page's offset and limit go into the request's span, as the
    // sessions' pager puts them.
    let span_fields = match &op.paging {
        Some(paging) => {
            let value = |name: &str| {
                op.query
                    .iter()
                    .find(|(_, spec_name, _)| spec_name == name)
                    .map_or_else(
                        || quote!(None),
                        |(field, _, _)| {
                            let ident = &field.ident;
                            if field.optional {
                                quote!(self.#ident.and_then(|value| u64::try_from(value).ok()))
                            } else {
                                quote!(u64::try_from(self.#ident).ok())
                            }
                        },
                    )
            };
            let offset = value(&paging.offset);
            let limit = value(&paging.limit);
            quote!(crate::call::SpanFields { offset: #offset, limit: #limit })
        }
        None => quote!(crate::call::SpanFields::default()),
    };
    let mut build = Vec::new();
    for field in handle_params {
        let ident = &field.ident;
        if is_string(&field.ty) {
            build.push(quote!(let request = request.#ident(self.#ident.as_str());));
        } else {
            build.push(quote!(let request = request.#ident(self.#ident);));
        }
    }
    for (field, _, _) in &required {
        let ident = &field.ident;
        build.push(quote!(let request = request.#ident(self.#ident);));
    }
    for (field, _, _) in &optional {
        let ident = &field.ident;
        build.push(quote! {
            let request = match self.#ident {
                Some(value) => request.#ident(value),
                None => request,
            };
        });
    }
    if op.body.is_some() {
        build.push(quote!(let request = request.body(self.body);));
    }

    let send_doc = "Sends the request through the client's call path (checks, retries, timeout, errors) and returns the answer.";
    let stream_method = match &op.stream {
        Some((enable, final_field)) => {
            let enable = ident(&rust_name(enable));
            let stream_call = ident(event_stream::METHOD);
            let event = answer;
            let doc = format!(
                "Asks for the answer as server-sent events (`{enable} = true`): a stream of typed events that ends with the one whose `{final_field}` is `true`. Bounded by the body cap and the operation timeout."
            );
            quote! {
                #[doc = #doc]
                pub fn send_stream(mut self) -> crate::events::EventStream<#event> {
                    self.#enable = Some(true);
                    let client = self.client.clone();
                    let deadline = crate::events::deadline(&client);
                    let opened = async move {
                        #(#checks)*
                        #(#id_texts)*
                        let api = self.client.api();
                        let request = api.#api_method();
                        #(#build)*
                        crate::events::open(
                            &self.client,
                            &operation_info::#constant,
                            &[#(#ids),*],
                            deadline,
                            || request.clone().#stream_call(),
                        )
                        .await
                    };
                    crate::events::EventStream::new(client, deadline, #final_field, opened)
                }
            }
        }
        None => TokenStream::new(),
    };
    let setter_names: BTreeSet<String> = optional
        .iter()
        .map(|(field, _, _)| field.ident.to_string())
        .collect();
    let paged = match &op.paging {
        Some(paging) => Some(paged_items(op, paging, &request, &setter_names, types)?),
        None => None,
    };
    if let Some(paged) = &paged {
        fields.push(paged.field.clone());
        initialisers.push(paged.initialiser.clone());
    }
    let paged_methods = paged.as_ref().map(|paged| paged.methods.clone());
    let list_impl = paged.as_ref().map(|paged| paged.list_impl.clone());
    let request_doc = if paged.is_some() {
        format!(
            "The `{id}` request (`{method} {path}`): set optional parameters, then [`send`](Self::send) it for one page, or walk every page with [`pages`](Self::pages) or [`items`](Self::items)."
        )
    } else {
        format!(
            "The `{id}` request (`{method} {path}`): set optional parameters, then [`send`](Self::send) it."
        )
    };
    let request_item = quote! {
        #[doc = #request_doc]
        #[derive(Debug, Clone)]
        #[must_use = "a request does nothing until it is sent"]
        pub struct #request {
            client: Recallr,
            #(#fields,)*
        }

        impl #request {
            #(#setters)*

            #[doc = #send_doc]
            pub async fn send(self) -> Result<#answer, Error> {
                #(#checks)*
                #(#id_texts)*
                let span_fields = #span_fields;
                let api = self.client.api();
                let request = api.#api_method();
                #(#build)*
                crate::call::call(
                    &self.client,
                    &operation_info::#constant,
                    &[#(#ids),*],
                    span_fields,
                    || request.clone().send(),
                )
                .await
                .map(recallr_api::ResponseValue::into_inner)
            }

            #stream_method

            #paged_methods
        }

        #list_impl
    };
    let method_item = quote! {
        #[doc = #method_doc]
        pub fn #method_ident(&self, #(#arguments),*) -> #request {
            #request {
                client: self.client().clone(),
                #(#initialisers,)*
            }
        }
    };
    Ok((info, request_item, method_item))
}

/// The type a caller passes: `u64` for a `NonZeroU64` (checked against the
/// facts' bounds before it is converted), the generated type otherwise.
fn user_type(ty: &syn::Type) -> syn::Type {
    if last_ident(ty).as_deref() == Some("NonZeroU64") {
        syn::parse_quote!(u64)
    } else {
        ty.clone()
    }
}

/// The generated client's types (`mod types`): each struct's fields by the
/// name the spec gives them, so a pager reads the fields a declaration
/// names with the types progenitor gave them.
struct Types {
    /// Every item `mod types` defines, for naming them from outside it.
    names: BTreeSet<String>,
    /// struct name -> spec field name -> (Rust field, its type).
    structs: BTreeMap<String, BTreeMap<String, (syn::Ident, syn::Type)>>,
}

impl Types {
    fn read(file: &syn::File) -> Result<Types, String> {
        let items = file
            .items
            .iter()
            .find_map(|item| match item {
                syn::Item::Mod(syn::ItemMod {
                    ident,
                    content: Some((_, items)),
                    ..
                }) if ident == "types" => Some(items),
                _ => None,
            })
            .ok_or("the generated client has no `types` module")?;
        let mut names = BTreeSet::new();
        let mut structs = BTreeMap::new();
        for item in items {
            match item {
                syn::Item::Struct(item) => {
                    names.insert(item.ident.to_string());
                    let mut fields = BTreeMap::new();
                    for field in &item.fields {
                        let Some(ident) = field.ident.clone() else {
                            continue;
                        };
                        let name = serde_rename(&field.attrs).unwrap_or_else(|| {
                            ident.to_string().trim_start_matches("r#").to_string()
                        });
                        fields.insert(name, (ident, field.ty.clone()));
                    }
                    structs.insert(item.ident.to_string(), fields);
                }
                syn::Item::Enum(item) => {
                    names.insert(item.ident.to_string());
                }
                syn::Item::Type(item) => {
                    names.insert(item.ident.to_string());
                }
                _ => {}
            }
        }
        Ok(Types { names, structs })
    }

    /// A type as written inside `mod types`, named from `recallr-ext`.
    fn qualify(&self, ty: &syn::Type) -> Result<syn::Type, String> {
        if let syn::Type::Path(path) = ty
            && path.qself.is_none()
            && path.path.leading_colon.is_none()
            && path.path.segments.len() == 1
            && path.path.segments[0].arguments.is_none()
        {
            let name = path.path.segments[0].ident.to_string();
            if self.names.contains(&name) {
                let name = format_ident!("{name}");
                return Ok(syn::parse_quote!(recallr_api::types::#name));
            }
        }
        in_api_crate(ty)
    }
}

/// `x` in a field's `#[serde(rename = "x")]`.
fn serde_rename(attributes: &[syn::Attribute]) -> Option<String> {
    let mut renamed = None;
    for attribute in attributes {
        if !attribute.path().is_ident("serde") {
            continue;
        }
        // Other serde options are skipped; a malformed one names nothing.
        let _ = attribute.parse_nested_meta(|meta| {
            if meta.path.is_ident("rename") {
                let value: syn::LitStr = meta.value()?.parse()?;
                renamed = Some(value.value());
            } else if meta.input.peek(syn::Token![=]) {
                let _: syn::Expr = meta.value()?.parse()?;
            }
            Ok(())
        });
    }
    renamed
}

/// The integer types a `total` may decode into (each converts to `i128`).
const COUNT_TYPES: &[&str] = &["i8", "i16", "i32", "i64", "u8", "u16", "u32", "u64"];
/// The types the pager can use as an item's id.
const ID_TYPES: &[&str] = &["String", "Uuid", "i32", "i64", "u32", "u64"];
/// The types the pager can compare as a sort key (`SortKey` impls).
const KEY_TYPES: &[&str] = &["DateTime", "String", "i32", "i64", "u32", "u64"];

/// What a generated paged list adds to its request object: the fields,
/// the methods (`page_size`, `max_items`, `concurrency`, `pages`, `items`)
/// and `impl PagedList`.
struct PagedItems {
    field: TokenStream,
    initialiser: TokenStream,
    methods: TokenStream,
    list_impl: TokenStream,
}

fn paged_items(
    op: &Op,
    paging: &Paging,
    request: &syn::Ident,
    setters: &BTreeSet<String>,
    types: &Types,
) -> Result<PagedItems, String> {
    let failed = |message: String| format!("`{}` ({} {}): {message}", op.id, op.method, op.path);
    for (field, name, _) in &op.query {
        if field.ident == "walk_settings" {
            return Err(failed(format!(
                "the query parameter `{name}` would clash with the pager's own field; rename it in the overlay"
            )));
        }
        if field.ident == "pages" || field.ident == "items" {
            return Err(failed(format!(
                "the query parameter `{name}` would clash with the pager's `{name}()`; rename it in the overlay"
            )));
        }
    }
    let parameter = |name: &str| {
        op.query
            .iter()
            .find(|(_, spec_name, _)| spec_name == name)
            .ok_or_else(|| failed(format!("the paged list has no query parameter `{name}`")))
    };
    let (offset_field, offset_name, _) = parameter(&paging.offset)?;
    let (limit_field, limit_name, limit_bounds) = parameter(&paging.limit)?;

    // The answer and its fields.
    let answer_name =
        last_ident(&op.answer).ok_or_else(|| failed("the answer type has no name".to_string()))?;
    let answer = types.structs.get(&answer_name).ok_or_else(|| {
        failed(format!(
            "the answer `{answer_name}` is not a struct of the generated types"
        ))
    })?;
    let answer_field = |name: &str| {
        answer.get(name).ok_or_else(|| {
            failed(format!(
                "`{PAGINATION}` names the response field `{name}`, which `{answer_name}` does not have"
            ))
        })
    };
    let (items_ident, items_ty) = answer_field(&paging.items)?;
    let (items_vec, items_optional) = match first_generic(items_ty, "Option") {
        Some(inner) => (inner, true),
        None => (items_ty.clone(), false),
    };
    let raw_item = first_generic(&items_vec, "Vec").ok_or_else(|| {
        failed(format!(
            "the response field `{}` is not an array",
            paging.items
        ))
    })?;
    let item_ty = types.qualify(&raw_item).map_err(&failed)?;
    let items_value = if items_optional {
        quote!(list.#items_ident.unwrap_or_default())
    } else {
        quote!(list.#items_ident)
    };
    let total_value = match &paging.total {
        None => quote!(None),
        Some(name) => {
            let (ident, ty) = answer_field(name)?;
            let (inner, optional) = match first_generic(ty, "Option") {
                Some(inner) => (inner, true),
                None => (ty.clone(), false),
            };
            if !last_ident(&inner).is_some_and(|name| COUNT_TYPES.contains(&name.as_str())) {
                return Err(failed(format!(
                    "the response field `{name}` is a `{}`, not an integer count",
                    quote!(#inner)
                )));
            }
            if optional {
                quote!(list.#ident.map(i128::from))
            } else {
                quote!(Some(i128::from(list.#ident)))
            }
        }
    };
    let has_more_value = match &paging.has_more {
        None => quote!(None),
        Some(name) => {
            let (ident, ty) = answer_field(name)?;
            match first_generic(ty, "Option") {
                Some(inner) if last_ident(&inner).as_deref() == Some("bool") => {
                    quote!(list.#ident)
                }
                None if last_ident(ty).as_deref() == Some("bool") => quote!(Some(list.#ident)),
                _ => {
                    return Err(failed(format!(
                        "the response field `{name}` is a `{}`, not a boolean",
                        quote!(#ty)
                    )));
                }
            }
        }
    };

    // The item fields the walk reads.
    let item_field = |name: &str, role: &str, allowed: &[&str]| {
        let absent = || {
            failed(format!(
                "`{PAGINATION}` names the item field `{name}` ({role}), which the items of `{}` (`{}`) do not have",
                paging.items,
                quote!(#raw_item)
            ))
        };
        let fields = last_ident(&raw_item)
            .and_then(|item| types.structs.get(&item))
            .ok_or_else(absent)?;
        let (ident, ty) = fields.get(name).ok_or_else(absent)?;
        let usable = last_ident(ty).is_some_and(|last| {
            allowed.contains(&last.as_str())
                && (last != "DateTime" || quote!(#ty).to_string().contains("Utc"))
        });
        if !usable {
            return Err(failed(format!(
                "the item field `{name}` ({role}) is a `{}`, which the pager cannot use as one (it takes {})",
                quote!(#ty),
                allowed.join(", ")
            )));
        }
        Ok((ident.clone(), in_api_crate(ty).map_err(&failed)?))
    };
    let unit: syn::Type = syn::parse_quote!(());
    let key_of = |name: &str| item_field(name, "the sort key", KEY_TYPES);
    let id_of = |name: &str| item_field(name, "the unique id", ID_TYPES);
    let (order, key_name, key, id) = match &paging.walk {
        WalkKind::Sorted {
            descending,
            key,
            id,
        } => {
            let direction = if *descending {
                quote!(crate::pager::Direction::Descending)
            } else {
                quote!(crate::pager::Direction::Ascending)
            };
            (
                quote!(crate::pager::Order::Sorted(#direction)),
                key.clone(),
                Some(key_of(key)?),
                Some(id_of(id)?),
            )
        }
        WalkKind::Appended { key } => (
            quote!(crate::pager::Order::Appended),
            key.clone(),
            Some(key_of(key)?),
            None,
        ),
        WalkKind::Unordered { id } => (
            quote!(crate::pager::Order::Unordered),
            id.clone(),
            None,
            Some(id_of(id)?),
        ),
        WalkKind::Positional => (
            quote!(crate::pager::Order::Positional),
            "position".to_string(),
            None,
            None,
        ),
    };
    let (key_ty, key_item) = match key {
        Some((ident, ty)) => (
            ty,
            quote!(fn key(item: &Self::Item) -> Self::Key { item.#ident.clone() }),
        ),
        None => (
            unit.clone(),
            quote!(
                fn key(_: &Self::Item) -> Self::Key {}
            ),
        ),
    };
    let (id_ty, id_item) = match id {
        Some((ident, ty)) => (
            ty,
            quote!(fn id(item: &Self::Item) -> Self::Id { item.#ident.clone() }),
        ),
        None => (
            unit.clone(),
            quote!(
                fn id(_: &Self::Item) -> Self::Id {}
            ),
        ),
    };
    let item_name = op
        .rest
        .last()
        .cloned()
        .unwrap_or_else(|| paging.items.clone())
        .replace(['-', '_'], " ");
    let max_page_size = match limit_bounds {
        Some(Bounds { max: true, .. }) => {
            let fact = fact(&op.id, limit_name, "MAX");
            quote!(u64::try_from(#fact).unwrap_or(u64::MAX))
        }
        _ => quote!(u64::MAX),
    };

    // The request's offset and limit, to and from the walk's counts.
    let offset_ident = &offset_field.ident;
    let limit_ident = &limit_field.ident;
    let set = |field: &Field, name: &str, value: TokenStream| {
        let ident = &field.ident;
        if field.optional {
            quote!(request.#ident = Some(crate::pager::from_u64(#name, #value)?);)
        } else {
            quote!(request.#ident = crate::pager::from_u64(#name, #value)?;)
        }
    };
    let set_offset = set(offset_field, offset_name, quote!(offset));
    let set_limit = set(limit_field, limit_name, quote!(limit));
    let start = if offset_field.optional {
        quote!(match self.#offset_ident {
            Some(value) => crate::pager::to_u64(#offset_name, value),
            None => Ok(0),
        })
    } else {
        quote!(crate::pager::to_u64(#offset_name, self.#offset_ident))
    };
    let limit = if limit_field.optional {
        quote!(self.#limit_ident.map(|value| crate::pager::to_u64(#limit_name, value)))
    } else {
        quote!(Some(crate::pager::to_u64(#limit_name, self.#limit_ident)))
    };

    let mut methods = Vec::new();
    if !setters.contains("page_size") {
        let doc = format!(
            "Items per request of the streams ([`pages`](Self::pages), [`items`](Self::items)); without it they use `{limit_name}` if set, else the largest page the server serves. At least 3 are asked for, because consecutive pages may overlap. [`send`](Self::send) sends `{limit_name}`."
        );
        methods.push(quote! {
            #[doc = #doc]
            pub fn page_size(mut self, page_size: u64) -> Self {
                self.walk_settings.page_size = Some(page_size);
                self
            }
        });
    }
    if !setters.contains("max_items") {
        methods.push(quote! {
            /// Stops the streams after this many items.
            pub fn max_items(mut self, max_items: u64) -> Self {
                self.walk_settings.max_items = Some(max_items);
                self
            }
        });
    }
    if !setters.contains("concurrency") {
        methods.push(quote! {
            /// How many pages the streams may fetch at once (1 to
            /// [`MAX_CONCURRENCY`](crate::MAX_CONCURRENCY); default 1, see
            /// [`ListSessions::concurrency`](crate::ListSessions::concurrency)).
            /// Items still come in order.
            pub fn concurrency(mut self, pages: usize) -> Self {
                self.walk_settings.concurrency = pages;
                self
            }
        });
    }
    let pages_doc = format!(
        "Every page of the walk as a stream, each holding the {item_name} not yielded before, fetched through [`send`](Self::send)'s call path (retries, timeout, errors). {} The stream ends after its first error; its `stats` count what the walk saw.",
        paging.doc
    );
    let items_doc = format!(
        "Every one of the {item_name} of the walk as a stream, in the server's order; the guarantees of [`pages`](Self::pages) hold."
    );
    methods.push(quote! {
        #[doc = #pages_doc]
        pub fn pages(self) -> crate::PageStream<#item_ty> {
            let offset = #start;
            let limit = #limit;
            let client = self.client.clone();
            let settings = self.walk_settings;
            crate::pager::walk_request(&client, self, offset, limit, settings)
        }

        #[doc = #items_doc]
        pub fn items(self) -> crate::ItemStream<#item_ty> {
            crate::ItemStream::new(self.pages())
        }
    });
    let list_impl = quote! {
        impl crate::pager::PagedList for #request {
            type Item = #item_ty;
            type Id = #id_ty;
            type Key = #key_ty;

            fn pagination(&self) -> crate::pager::Pagination {
                crate::pager::Pagination {
                    order: #order,
                    key_name: #key_name,
                    item_name: #item_name,
                    max_page_size: #max_page_size,
                }
            }

            #key_item

            #id_item

            async fn fetch(
                &self,
                offset: u64,
                limit: u64,
            ) -> Result<crate::pager::Page<Self::Item>, Error> {
                let mut request = self.clone();
                #set_offset
                #set_limit
                let list = request.send().await?;
                Ok(crate::pager::Page {
                    items: #items_value,
                    total: #total_value,
                    has_more: #has_more_value,
                })
            }
        }
    };
    Ok(PagedItems {
        field: quote!(walk_settings: crate::pager::WalkSettings),
        initialiser: quote!(walk_settings: crate::pager::WalkSettings::default()),
        methods: quote!(#(#methods)*),
        list_impl,
    })
}
