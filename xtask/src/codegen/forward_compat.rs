//! Forward compatibility: a spec that only adds keeps users' code compiling.
//!
//! A new response field or enum value is additive on the wire, but it breaks
//! a Rust user's struct literal or exhaustive `match` unless the type is
//! `#[non_exhaustive]`. This pass runs on the generated `types` module and,
//! by rule rather than by a list of names so that new schemas get it too:
//!
//! - marks every public struct and enum `#[non_exhaustive]` and says in its
//!   docs how to build or match it;
//! - documents each `builder()`, now the way to build a value outside the
//!   crate;
//! - gives each struct with a builder a `new` taking its required fields,
//!   an infallible constructor whose signature a new optional field leaves
//!   alone;
//! - lets a builder leave a flattened map of extra fields unset (empty), so
//!   building a value does not fail at run time on the day a schema starts
//!   allowing extra fields.

use syn::{Attribute, Expr, Fields, Item, Type, Visibility};

use super::syn_tree::{PassInput, UNKNOWN_VALUE, has_serde_arg, types_module};

/// What the `types` module's docs add about building and matching.
const TYPES_DOC: &str = "\
Every struct and enum here is `#[non_exhaustive]`, so a newer spec that adds a field, \
a variant or an enum value is an additive change for code that uses them, not a breaking one. \
Outside this crate:\n\n\
- build a struct with its `new`, which takes the required fields, then set optional fields \
on the value; or with its `builder()` (see [`builder`](crate::types::builder)): set the fields, then `try_into()`, \
which names a missing required field in its error;\n\
- read fields directly, and end struct patterns with `..`;\n\
- give a `match` on an enum a wildcard arm.";

/// Map types whose empty value is a sensible default for extra fields.
const MAP_TYPES: [&str; 4] = ["Map", "HashMap", "BTreeMap", "IndexMap"];

/// Applies the forward-compatibility rules to the `types` module of `file`.
pub fn apply(file: &mut syn::File, _input: &PassInput<'_>) -> Result<(), String> {
    let (module_attrs, items) = types_module(file)?;
    refuse_duplicate_names(items)?;
    let with_builder = document_builder_fns(items);
    let with_new = inherent_fns_named(items, "new");
    let flattened_maps = flattened_maps(items);
    // Constructors first: a struct's docs name `new` only if it got one.
    let mut constructed = Vec::new();
    if let Some(builders) = items.iter_mut().find_map(|item| match item {
        Item::Mod(module) if module.ident == "builder" => module.content.as_mut(),
        _ => None,
    }) {
        for (type_name, field) in &flattened_maps {
            default_to_empty(&mut builders.1, type_name, field);
        }
        for name in with_builder.iter().filter(|name| !with_new.contains(name)) {
            if let Some(constructor) = constructor(&builders.1, name)? {
                builders.1.push(constructor);
                constructed.push(name.clone());
            }
        }
    }
    for item in items.iter_mut() {
        match item {
            Item::Struct(item) if is_pub(&item.vis) && !has_non_exhaustive(&item.attrs) => {
                add_non_exhaustive(&mut item.attrs);
                let name = item.ident.to_string();
                let how = match (constructed.contains(&name), with_builder.contains(&name)) {
                    (true, _) => format!(
                        "build it with [`{name}::new`] from its required fields, or with \
                         [`{name}::builder`] and `try_into()`"
                    ),
                    (false, true) => format!("build it with [`{name}::builder`] and `try_into()`"),
                    // A newtype with a private field is built by conversion.
                    (false, false) => continue,
                };
                append_doc(
                    &mut item.attrs,
                    &format!(
                        "This struct is `#[non_exhaustive]`: a newer spec may add fields. \
                         Outside this crate, {how}, and end patterns on it with `..`."
                    ),
                );
            }
            Item::Enum(item) if is_pub(&item.vis) && !has_non_exhaustive(&item.attrs) => {
                add_non_exhaustive(&mut item.attrs);
                append_doc(
                    &mut item.attrs,
                    "This enum is `#[non_exhaustive]`: a newer spec may add variants, \
                     so give a `match` on it a wildcard arm.",
                );
            }
            _ => {}
        }
    }
    append_doc(module_attrs, TYPES_DOC);
    Ok(())
}

/// `(struct, field)` for every flattened map of extra fields.
fn flattened_maps(items: &[Item]) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for item in items {
        let Item::Struct(item) = item else { continue };
        let Fields::Named(fields) = &item.fields else {
            continue;
        };
        for field in &fields.named {
            if let Some(name) = &field.ident
                && is_flatten(&field.attrs)
                && is_map(&field.ty)
            {
                found.push((item.ident.to_string(), name.to_string()));
            }
        }
    }
    found
}

/// Two schemas whose Rust names collide (or one named like a type the
/// generator adds, such as `UnknownValue`) would not compile; say which.
fn refuse_duplicate_names(items: &[Item]) -> Result<(), String> {
    let mut seen = std::collections::BTreeSet::new();
    for item in items {
        let name = match item {
            Item::Struct(item) => &item.ident,
            Item::Enum(item) => &item.ident,
            Item::Type(item) => &item.ident,
            _ => continue,
        };
        if !seen.insert(name.to_string()) {
            return Err(format!(
                "two generated types are named `{name}`; rename one schema (the generator reserves `{}` for unknown enum values)",
                UNKNOWN_VALUE
            ));
        }
    }
    Ok(())
}

/// Gives every undocumented `builder()` a doc, and returns the names of the
/// types that have one.
fn document_builder_fns(items: &mut [Item]) -> Vec<String> {
    let mut names = Vec::new();
    for item in items {
        let Item::Impl(block) = item else { continue };
        if block.trait_.is_some() {
            continue;
        }
        let Type::Path(self_ty) = block.self_ty.as_ref() else {
            continue;
        };
        let Some(type_name) = self_ty.path.get_ident().map(ToString::to_string) else {
            continue;
        };
        for impl_item in &mut block.items {
            if let syn::ImplItem::Fn(function) = impl_item
                && function.sig.ident == "builder"
            {
                if !function
                    .attrs
                    .iter()
                    .any(|attr| attr.path().is_ident("doc"))
                {
                    append_doc(
                        &mut function.attrs,
                        &format!(
                            "Starts a [`builder::{type_name}`]: set its fields, then call `try_into()` to get the value."
                        ),
                    );
                }
                names.push(type_name.clone());
            }
        }
    }
    names
}

/// The names of the types with an inherent fn called `name`.
fn inherent_fns_named(items: &[Item], name: &str) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| match item {
            Item::Impl(block) if block.trait_.is_none() => Some(block),
            _ => None,
        })
        .filter(|block| {
            block.items.iter().any(
                |impl_item| matches!(impl_item, syn::ImplItem::Fn(function) if function.sig.ident == name),
            )
        })
        .filter_map(|block| match block.self_ty.as_ref() {
            Type::Path(path) => path.path.get_ident().map(ToString::to_string),
            _ => None,
        })
        .collect()
}

/// `impl super::<type_name> { pub fn new(required fields) -> Self }`, placed
/// in the `builder` module so it can reuse the builder's field types and
/// defaults as written there. A field is required when the builder's
/// `Default` starts it as an error; the others take that default. `None`
/// when the builder does not have the shape typify gives it.
fn constructor(builders: &[Item], type_name: &str) -> Result<Option<Item>, String> {
    let Some(fields) = builders.iter().find_map(|item| match item {
        Item::Struct(item) if item.ident == type_name => match &item.fields {
            Fields::Named(fields) => Some(&fields.named),
            _ => None,
        },
        _ => None,
    }) else {
        return Ok(None);
    };
    let Some(defaults) = builder_defaults(builders, type_name) else {
        return Ok(None);
    };
    let mut parameters = Vec::new();
    let mut initializers = Vec::new();
    for field in fields {
        let Some(name) = &field.ident else {
            return Ok(None);
        };
        let Some(default) = defaults
            .iter()
            .find_map(|(member, expr)| (*member == name).then_some(*expr))
        else {
            return Err(format!(
                "the builder of `{type_name}` does not give the field `{name}` a default"
            ));
        };
        match ok_or_err(default) {
            Some(OkOrErr::Ok(value)) => initializers.push(quote::quote!(#name: #value)),
            Some(OkOrErr::Err) => {
                let Some(ty) = result_ok_type(&field.ty) else {
                    return Ok(None);
                };
                parameters.push(quote::quote!(#name: #ty));
                initializers.push(quote::quote!(#name));
            }
            None => return Ok(None),
        }
    }
    let type_ident = syn::Ident::new(type_name, proc_macro2::Span::call_site());
    let doc = format!(
        " Builds a `{type_name}` from its required fields; every optional field starts empty. \
         A newer spec that adds an optional field leaves this signature as it is. \
         Set more fields on the value, or use [`{type_name}::builder`](super::{type_name}::builder)."
    );
    Ok(Some(syn::parse_quote! {
        impl super::#type_ident {
            #[doc = #doc]
            pub fn new(#(#parameters),*) -> Self {
                Self { #(#initializers),* }
            }
        }
    }))
}

/// The field initializers of `impl Default for builder::<type_name>`.
fn builder_defaults<'a>(
    builders: &'a [Item],
    type_name: &str,
) -> Option<Vec<(&'a syn::Ident, &'a Expr)>> {
    builders.iter().find_map(|item| {
        let Item::Impl(block) = item else { return None };
        if !is_default_impl_of(block, type_name) {
            return None;
        }
        block.items.iter().find_map(|impl_item| {
            let syn::ImplItem::Fn(function) = impl_item else {
                return None;
            };
            function.block.stmts.iter().find_map(|statement| {
                let syn::Stmt::Expr(Expr::Struct(value), _) = statement else {
                    return None;
                };
                value
                    .fields
                    .iter()
                    .map(|field| match &field.member {
                        syn::Member::Named(name) => Some((name, &field.expr)),
                        syn::Member::Unnamed(_) => None,
                    })
                    .collect()
            })
        })
    })
}

enum OkOrErr<'a> {
    Ok(&'a Expr),
    Err,
}

/// `Ok(value)` or `Err(..)`, as typify writes a builder field's default.
fn ok_or_err(expr: &Expr) -> Option<OkOrErr<'_>> {
    let Expr::Call(call) = expr else { return None };
    let Expr::Path(function) = call.func.as_ref() else {
        return None;
    };
    if function.path.is_ident("Ok") && call.args.len() == 1 {
        call.args.first().map(OkOrErr::Ok)
    } else if function.path.is_ident("Err") {
        Some(OkOrErr::Err)
    } else {
        None
    }
}

/// `T` in a builder field's `Result<T, String>`.
fn result_ok_type(ty: &Type) -> Option<&Type> {
    let Type::Path(path) = ty else { return None };
    let segment = path.path.segments.last()?;
    if segment.ident != "Result" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    match arguments.args.first()? {
        syn::GenericArgument::Type(ty) => Some(ty),
        _ => None,
    }
}

fn is_default_impl_of(block: &syn::ItemImpl, type_name: &str) -> bool {
    let is_default = block
        .trait_
        .as_ref()
        .and_then(|(_, path, _)| path.segments.last())
        .is_some_and(|segment| segment.ident == "Default");
    is_default
        && matches!(block.self_ty.as_ref(), Type::Path(path) if path.path.is_ident(type_name))
}

/// In `impl Default for builder::<type_name>`, starts `field` as `Ok` and
/// empty instead of as a "no value supplied" error.
fn default_to_empty(builders: &mut [Item], type_name: &str, field: &str) {
    for item in builders {
        let Item::Impl(block) = item else { continue };
        if !is_default_impl_of(block, type_name) {
            continue;
        }
        for impl_item in &mut block.items {
            let syn::ImplItem::Fn(function) = impl_item else {
                continue;
            };
            for statement in &mut function.block.stmts {
                let syn::Stmt::Expr(Expr::Struct(value), _) = statement else {
                    continue;
                };
                for field_value in &mut value.fields {
                    if matches!(&field_value.member, syn::Member::Named(name) if name == field) {
                        field_value.expr = syn::parse_quote!(Ok(Default::default()));
                    }
                }
            }
        }
    }
}

fn is_pub(visibility: &Visibility) -> bool {
    matches!(visibility, Visibility::Public(_))
}

fn has_non_exhaustive(attrs: &[Attribute]) -> bool {
    attrs
        .iter()
        .any(|attr| attr.path().is_ident("non_exhaustive"))
}

fn add_non_exhaustive(attrs: &mut Vec<Attribute>) {
    attrs.push(syn::parse_quote!(#[non_exhaustive]));
}

/// Adds a paragraph (one doc line per line of `text`, each indented by a
/// space like `///` comments) after the item's existing doc lines, so the
/// docs read in order however the other attributes are placed.
fn append_doc(attrs: &mut Vec<Attribute>, text: &str) {
    let after_docs = attrs
        .iter()
        .rposition(|attr| attr.path().is_ident("doc"))
        .map_or(0, |index| index + 1);
    let mut lines: Vec<Attribute> = Vec::new();
    if after_docs > 0 {
        lines.push(syn::parse_quote!(#[doc = ""]));
    }
    for line in text.lines() {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        lines.push(syn::parse_quote!(#[doc = #line]));
    }
    attrs.splice(after_docs..after_docs, lines);
}

fn is_flatten(attrs: &[Attribute]) -> bool {
    has_serde_arg(attrs, "flatten")
}

fn is_map(ty: &Type) -> bool {
    matches!(ty, Type::Path(path)
        if path.path.segments.last().is_some_and(|segment| MAP_TYPES.iter().any(|name| segment.ident == name)))
}
