//! The generated client's builders, read back from its syn tree: for each
//! operation (by the route its `send` documents, `GET /api/v1/users`), the
//! `Client` method that starts it, its arguments and its answer type. The
//! surfaces take names and types from here, so that no naming rule of
//! progenitor's is repeated in xtask.

use std::collections::BTreeMap;

use quote::quote;

/// One argument of a generated builder.
#[derive(Clone)]
pub(crate) struct Field {
    pub(crate) ident: syn::Ident,
    /// The type inside `Result<Option<T>, String>` or `Result<T, String>`.
    pub(crate) ty: syn::Type,
    pub(crate) optional: bool,
}

/// One operation's generated builder.
pub(crate) struct Builder {
    pub(crate) fields: Vec<Field>,
    /// `T` in `send`'s `ResponseValue<T>`.
    pub(crate) answer: syn::Type,
    /// The `Client` method that starts it.
    pub(crate) method: syn::Ident,
}

/// The generated client's builders, by the route their `send` documents
/// (`GET /api/v1/users`), so no naming rule of progenitor's is repeated
/// here.
pub(crate) struct Builders {
    pub(crate) by_route: BTreeMap<String, Builder>,
}

impl Builders {
    pub(crate) fn read(file: &syn::File) -> Result<Builders, String> {
        let items = file
            .items
            .iter()
            .find_map(|item| match item {
                syn::Item::Mod(syn::ItemMod {
                    ident,
                    content: Some((_, items)),
                    ..
                }) if ident == "builder" => Some(items),
                _ => None,
            })
            .ok_or("the generated client has no `builder` module")?;
        let mut fields = BTreeMap::new();
        let mut answers = BTreeMap::new();
        let mut operation_ids = BTreeMap::new();
        for item in items {
            match item {
                syn::Item::Struct(item) => {
                    let list = item
                        .fields
                        .iter()
                        .filter_map(|field| {
                            let ident = field.ident.clone()?;
                            (ident != "client").then(|| builder_field(ident, &field.ty))
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    fields.insert(item.ident.to_string(), list);
                }
                syn::Item::Impl(item) if item.trait_.is_none() => {
                    let Some(name) = last_ident(&item.self_ty) else {
                        continue;
                    };
                    for inner in &item.items {
                        if let syn::ImplItem::Fn(function) = inner
                            && function.sig.ident == "send"
                        {
                            answers.insert(name.clone(), answer_type(&function.sig.output)?);
                            if let Some(route) = documented_route(&function.attrs) {
                                operation_ids.insert(name.clone(), route);
                            }
                        }
                    }
                }
                _ => {}
            }
        }
        // `impl Client { pub fn list_users(&self) -> builder::ListUsers<'_> }`
        let mut methods = BTreeMap::new();
        for item in &file.items {
            let syn::Item::Impl(item) = item else {
                continue;
            };
            if item.trait_.is_some() || last_ident(&item.self_ty).as_deref() != Some("Client") {
                continue;
            }
            for inner in &item.items {
                if let syn::ImplItem::Fn(function) = inner
                    && let syn::ReturnType::Type(_, ty) = &function.sig.output
                    && let Some(builder) = last_ident(ty)
                {
                    methods.insert(builder, function.sig.ident.clone());
                }
            }
        }
        let by_route = fields
            .into_iter()
            .filter_map(|(name, fields)| {
                let answer = answers.remove(&name)?;
                let method = methods.remove(&name)?;
                let id = operation_ids.remove(&name)?;
                Some((
                    id,
                    Builder {
                        fields,
                        answer,
                        method,
                    },
                ))
            })
            .collect();
        Ok(Builders { by_route })
    }
}

/// `GET /path` from a generated `send`'s doc, "Sends a `GET` request to
/// `/path`".
fn documented_route(attributes: &[syn::Attribute]) -> Option<String> {
    attributes.iter().find_map(|attribute| {
        let syn::Meta::NameValue(meta) = &attribute.meta else {
            return None;
        };
        let syn::Expr::Lit(syn::ExprLit {
            lit: syn::Lit::Str(text),
            ..
        }) = &meta.value
        else {
            return None;
        };
        let text = text.value();
        let rest = text.trim().strip_prefix("Sends a `")?;
        let (method, rest) = rest.split_once("` request to `")?;
        let path = rest.strip_suffix('`')?;
        Some(format!("{method} {path}"))
    })
}

/// A builder field `Result<Option<T>, String>` (optional) or `Result<T, String>`.
fn builder_field(ident: syn::Ident, ty: &syn::Type) -> Result<Field, String> {
    let inner = first_generic(ty, "Result")
        .ok_or_else(|| format!("the builder field `{ident}` is not a `Result`"))?;
    Ok(match first_generic(&inner, "Option") {
        Some(ty) => Field {
            ident,
            ty: in_api_crate(&ty)?,
            optional: true,
        },
        None => Field {
            ident,
            ty: in_api_crate(&inner)?,
            optional: false,
        },
    })
}

/// `T` in `Result<ResponseValue<T>, Error<()>>`.
fn answer_type(output: &syn::ReturnType) -> Result<syn::Type, String> {
    let syn::ReturnType::Type(_, ty) = output else {
        return Err("a generated `send` returns nothing".to_string());
    };
    first_generic(ty, "Result")
        .and_then(|value| first_generic(&value, "ResponseValue"))
        .map(|ty| in_api_crate(&ty))
        .ok_or("a generated `send` does not return `Result<ResponseValue<T>, _>`")?
}

pub(crate) fn first_generic(ty: &syn::Type, outer: &str) -> Option<syn::Type> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let segment = path.path.segments.last()?;
    if segment.ident != outer {
        return None;
    }
    let syn::PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    arguments.args.iter().find_map(|argument| match argument {
        syn::GenericArgument::Type(ty) => Some(ty.clone()),
        _ => None,
    })
}

pub(crate) fn last_ident(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(path) => path.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// A type of the generated client's as `recallr-ext` names it:
/// `crate::types::X` and `types::builder::X` become `recallr_api::types::X`.
pub(crate) fn in_api_crate(ty: &syn::Type) -> Result<syn::Type, String> {
    let text = quote!(#ty).to_string();
    let text = text
        .replace("types :: builder ::", "types ::")
        .replace("crate :: types ::", "types ::");
    let text = replace_word(&text, "types ::", "recallr_api :: types ::");
    syn::parse_str(&text).map_err(|err| format!("cannot name the type `{text}`: {err}"))
}

/// Replaces `from` where it starts a path (not inside another identifier).
fn replace_word(text: &str, from: &str, to: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(at) = rest.find(from) {
        let before = &rest[..at];
        let starts_path = before
            .chars()
            .last()
            .is_none_or(|c| !(c.is_alphanumeric() || c == '_'));
        let after_colons = before.trim_end().ends_with("::");
        out.push_str(before);
        out.push_str(if starts_path && !after_colons {
            to
        } else {
            from
        });
        rest = &rest[at + from.len()..];
    }
    out.push_str(rest);
    out
}
