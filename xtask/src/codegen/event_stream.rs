//! The generated client's streaming variant of operations that may answer
//! `text/event-stream`.
//!
//! progenitor generates one `send` per operation, which decodes the JSON
//! answer (its code for other media types is `todo!()`). For an operation
//! whose success response also lists `text/event-stream`, this pass adds
//! `send_event_stream` to its builder: a copy of the generated `send` (the
//! same URL, query, headers and hooks, so the request is still the
//! generated one) that asks for `text/event-stream` and returns the body as
//! a `ByteStream`, capped like every body by the `exec` hook.

use openapiv3::{OpenAPI, ReferenceOr};

use super::syn_tree::PassInput;
use quote::ToTokens;

/// The media type of server-sent events.
const EVENT_STREAM: &str = "text/event-stream";

/// The name of the added method.
pub const METHOD: &str = "send_event_stream";

/// The operationIds whose success response lists `text/event-stream`.
pub fn streaming_operations(document: &OpenAPI) -> Vec<String> {
    document
        .operations()
        .filter(|(_, _, operation)| {
            operation
                .responses
                .responses
                .iter()
                .any(|(status, response)| {
                    let success = matches!(status, openapiv3::StatusCode::Code(200..=299));
                    success
                        && matches!(response, ReferenceOr::Item(response)
                        if response.content.contains_key(EVENT_STREAM))
                })
        })
        .filter_map(|(_, _, operation)| operation.operation_id.clone())
        .collect()
}

/// Adds `send_event_stream` to the builder of each streaming operation.
pub fn apply(file: &mut syn::File, input: &PassInput<'_>) -> Result<(), String> {
    let operations = streaming_operations(input.document);
    if operations.is_empty() {
        return Ok(());
    }
    let builder = file
        .items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(syn::ItemMod {
                ident,
                content: Some((_, items)),
                ..
            }) if ident == "builder" => Some(items),
            _ => None,
        })
        .ok_or("progenitor's output has no `builder` module")?;
    for operation in operations {
        let type_name = pascal(&operation);
        let implementation = builder
            .iter_mut()
            .find_map(|item| match item {
                syn::Item::Impl(implementation)
                    if implementation.trait_.is_none()
                        && type_ident(&implementation.self_ty).as_deref() == Some(&type_name) =>
                {
                    Some(implementation)
                }
                _ => None,
            })
            .ok_or_else(|| format!("progenitor's output has no `impl {type_name}` builder"))?;
        let send = implementation
            .items
            .iter()
            .find_map(|item| match item {
                syn::ImplItem::Fn(function) if function.sig.ident == "send" => {
                    Some(function.clone())
                }
                _ => None,
            })
            .ok_or_else(|| format!("the builder `{type_name}` has no `send`"))?;
        implementation
            .items
            .push(syn::ImplItem::Fn(streaming_variant(&send, &operation)?));
    }
    Ok(())
}

/// `send`, asking for events and returning the body unread.
fn streaming_variant(send: &syn::ImplItemFn, operation: &str) -> Result<syn::ImplItemFn, String> {
    let text = send.block.to_token_stream().to_string();
    let replace_once = |text: &str, from: &str, to: &str| -> Result<String, String> {
        match text.matches(from).count() {
            1 => Ok(text.replacen(from, to, 1)),
            count => Err(format!(
                "`{operation}`'s generated `send` has {count} occurrences of `{from}` (expected 1): \
                 progenitor's output changed shape"
            )),
        }
    };
    let text = replace_once(&text, "\"application/json\"", &format!("{EVENT_STREAM:?}"))?;
    let text = replace_once(
        &text,
        "ResponseValue :: from_response (response) . await",
        "Ok (ResponseValue :: stream (response))",
    )?;
    let block: syn::Block = syn::parse_str(&text).map_err(|err| err.to_string())?;
    let doc = format!(
        "Sends the request asking for `{EVENT_STREAM}`; the body is returned unread (and capped like every body)."
    );
    let ident = syn::Ident::new(METHOD, proc_macro2::Span::call_site());
    Ok(syn::parse_quote! {
        #[doc = #doc]
        pub async fn #ident(self) -> Result<ResponseValue<ByteStream>, Error<()>> #block
    })
}

fn type_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// `get_context` -> `GetContext`, as progenitor names builders.
pub fn pascal(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|part| !part.is_empty())
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|first| first.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}
