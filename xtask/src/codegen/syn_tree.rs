//! What every pass over the generated syn tree shares: the input a pass is
//! given, where progenitor's `types` module is, and how serde attributes
//! read.

use openapiv3::OpenAPI;
use syn::Attribute;

/// The name of the generated type that holds an unknown enum value (the
/// `open_enum` pass makes it; others refuse a schema that takes its name).
pub const UNKNOWN_VALUE: &str = "UnknownValue";

/// What a pass may read besides the tree it edits.
#[derive(Debug, Clone, Copy)]
pub struct PassInput<'a> {
    /// The effective spec's document, error responses included (every
    /// bound, default and status).
    pub document: &'a OpenAPI,
    /// The copy of the document progenitor generated from.
    pub prepared: &'a OpenAPI,
}

/// A pass: edits the generated file, or says why it cannot.
pub type Pass = fn(&mut syn::File, &PassInput<'_>) -> Result<(), String>;

/// The attributes and items of progenitor's `types` module in `file`, which
/// the passes edit.
pub fn types_module(
    file: &mut syn::File,
) -> Result<(&mut Vec<syn::Attribute>, &mut Vec<syn::Item>), String> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(syn::ItemMod {
                ident,
                attrs,
                content: Some((_, items)),
                ..
            }) if ident == "types" => Some((attrs, items)),
            _ => None,
        })
        .ok_or_else(|| "progenitor's output has no `types` module with a body".to_string())
}

/// Parses `tokens` as items (a pass's own output, so a failure is a bug in
/// the pass, reported with syn's explanation).
pub fn parse_items(tokens: proc_macro2::TokenStream) -> Result<Vec<syn::Item>, String> {
    syn::parse2::<syn::File>(tokens)
        .map(|file| file.items)
        .map_err(|err| format!("generated tokens do not parse: {err}"))
}

/// Whether a `#[serde(..)]` attribute among `attrs` has the argument `name`
/// (`flatten`, or `with = ".."`).
pub fn has_serde_arg(attrs: &[Attribute], name: &str) -> bool {
    attrs.iter().any(|attr| {
        let mut found = false;
        if attr.path().is_ident("serde") {
            // Other serde arguments (`rename = ".."`) are skipped, not errors.
            let _ = attr.parse_nested_meta(|meta| {
                if meta.path.is_ident(name) {
                    found = true;
                }
                if meta.input.peek(syn::Token![=]) {
                    meta.value()?.parse::<syn::Expr>()?;
                } else if meta.input.peek(syn::token::Paren) {
                    // A list argument, `rename(deserialize = "..")`: skipped
                    // whole so that the arguments after it are still read.
                    let list;
                    syn::parenthesized!(list in meta.input);
                    list.parse::<proc_macro2::TokenStream>()?;
                }
                Ok(())
            });
        }
        found
    })
}
