//! Refuses a generated struct with two fields of one name.
//!
//! typify turns JSON property names into Rust identifiers lossily (`self`
//! and `Self` both become `self_`; `''` and `_` both `x`), so a document
//! with both would give a client that does not compile. The clash is
//! refused here, before anything is written, naming the schema and both
//! properties.

use std::collections::BTreeMap;

use syn::{Fields, Item, ItemStruct};

use crate::codegen::syn_tree::PassInput;

/// Checks every struct of `file` (nested modules included); edits nothing.
pub fn apply(file: &mut syn::File, _input: &PassInput<'_>) -> Result<(), String> {
    check_items(&file.items)
}

fn check_items(items: &[Item]) -> Result<(), String> {
    for item in items {
        match item {
            Item::Struct(item) => check_struct(item)?,
            Item::Mod(module) => {
                if let Some((_, items)) = &module.content {
                    check_items(items)?;
                }
            }
            _ => {}
        }
    }
    Ok(())
}

fn check_struct(item: &ItemStruct) -> Result<(), String> {
    let Fields::Named(fields) = &item.fields else {
        return Ok(());
    };
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for field in &fields.named {
        let Some(ident) = &field.ident else {
            continue;
        };
        let rust_name = ident.to_string();
        let property = serde_rename(field).unwrap_or_else(|| rust_name.clone());
        if let Some(earlier) = seen.insert(rust_name.clone(), property.clone()) {
            return Err(format!(
                "schema `{}`: the properties {earlier:?} and {property:?} would both become \
                 the Rust field `{rust_name}`; drop or rename one of them in overlay.yaml",
                item.ident
            ));
        }
    }
    Ok(())
}

/// The JSON name of a field typify renamed (`#[serde(rename = "...")]`).
fn serde_rename(field: &syn::Field) -> Option<String> {
    let mut renamed = None;
    for attribute in field.attrs.iter().filter(|a| a.path().is_ident("serde")) {
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
