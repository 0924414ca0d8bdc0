//! Faster decoding of `date-time` fields, with the same results.
//!
//! chrono's `Deserialize` for `DateTime<Utc>` parses with its lenient
//! `FromStr`, which goes through chrono's general format machinery: about
//! an eighth of the time to decode a page of sessions. Its dedicated RFC
//! 3339 parser is several times faster. This pass points every
//! `DateTime<Utc>` field of the `types` module (required or optional) at a
//! generated `timestamp` module that tries the RFC 3339 parser first and
//! falls back to the lenient parse, so every string decodes exactly as
//! before, including the ones only the lenient parser accepts.

use proc_macro2::TokenStream;
use quote::quote;
use syn::{Field, Fields, GenericArgument, Item, PathArguments, Type};

use super::syn_tree::{PassInput, has_serde_arg, types_module};

/// Where the generated decoder lives, as serde's `deserialize_with` names it.
const MODULE: &str = "crate::timestamp";

/// Points the `DateTime<Utc>` fields of `file`'s `types` module at the
/// `timestamp` module, and adds that module to `file`.
pub fn apply(file: &mut syn::File, _input: &PassInput<'_>) -> Result<(), String> {
    let mut used = Used::default();
    for item in types_module(file)?.1.iter_mut() {
        let Item::Struct(item) = item else { continue };
        let Fields::Named(fields) = &mut item.fields else {
            continue;
        };
        for field in fields.named.iter_mut() {
            match rewrite(field) {
                Some(Decoder::Required) => used.required = true,
                Some(Decoder::Optional) => used.optional = true,
                None => {}
            }
        }
    }
    if let Some(tokens) = module_tokens(used) {
        let module: syn::File = syn::parse2(tokens)
            .map_err(|err| format!("the timestamp module does not parse: {err}"))?;
        file.items.extend(module.items);
    }
    Ok(())
}

/// Which decoder a field was pointed at.
#[derive(Debug, PartialEq, Eq)]
enum Decoder {
    Required,
    Optional,
}

/// Which decoders the generated module needs: an unused one would be dead
/// code, which the workspace's lints refuse.
#[derive(Debug, Default, Clone, Copy)]
struct Used {
    required: bool,
    optional: bool,
}

/// Adds the attribute to one field if it is a `DateTime<Utc>` or an
/// `Option` of one that serde decodes the default way.
fn rewrite(field: &mut Field) -> Option<Decoder> {
    if ["with", "deserialize_with"]
        .iter()
        .any(|name| has_serde_arg(&field.attrs, name))
    {
        return None;
    }
    let (attribute, decoder): (syn::Attribute, _) = if is_utc_date_time(&field.ty) {
        let path = format!("{MODULE}::deserialize");
        (
            syn::parse_quote!(#[serde(deserialize_with = #path)]),
            Decoder::Required,
        )
    } else if option_of(&field.ty).is_some_and(is_utc_date_time) {
        let path = format!("{MODULE}::deserialize_option");
        // With `deserialize_with`, serde no longer treats a missing
        // `Option` as `None` unless told to.
        let attribute = if has_serde_arg(&field.attrs, "default") {
            syn::parse_quote!(#[serde(deserialize_with = #path)])
        } else {
            syn::parse_quote!(#[serde(default, deserialize_with = #path)])
        };
        (attribute, Decoder::Optional)
    } else {
        return None;
    };
    field.attrs.push(attribute);
    Some(decoder)
}

/// `::chrono::DateTime<::chrono::offset::Utc>`, however the path is spelled.
fn is_utc_date_time(ty: &Type) -> bool {
    let Some(argument) = last_segment_argument(ty, "DateTime") else {
        return false;
    };
    matches!(argument, Type::Path(path)
        if path.qself.is_none() && path.path.segments.last().is_some_and(|segment| segment.ident == "Utc"))
}

/// `T` of an `Option<T>`.
fn option_of(ty: &Type) -> Option<&Type> {
    last_segment_argument(ty, "Option")
}

/// The single generic type argument of a path type whose last segment is
/// `name`.
fn last_segment_argument<'a>(ty: &'a Type, name: &str) -> Option<&'a Type> {
    let Type::Path(path) = ty else { return None };
    if path.qself.is_some() {
        return None;
    }
    let segment = path.path.segments.last()?;
    if segment.ident != name {
        return None;
    }
    let PathArguments::AngleBracketed(arguments) = &segment.arguments else {
        return None;
    };
    let mut types = arguments.args.iter().filter_map(|argument| match argument {
        GenericArgument::Type(ty) => Some(ty),
        _ => None,
    });
    match (types.next(), types.next()) {
        (Some(ty), None) => Some(ty),
        _ => None,
    }
}

/// The generated module, with the decoders `used` asks for (none: no
/// module). Private to the crate, so it is no public API.
fn module_tokens(used: Used) -> Option<TokenStream> {
    if !used.required && !used.optional {
        return None;
    }
    let required = used.required.then(|| {
        quote! {
            pub(crate) fn deserialize<'de, D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<DateTime<Utc>, D::Error> {
                <Timestamp as ::serde::Deserialize>::deserialize(deserializer).map(|time| time.0)
            }
        }
    });
    let optional = used.optional.then(|| {
        quote! {
            pub(crate) fn deserialize_option<'de, D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Option<DateTime<Utc>>, D::Error> {
                <Option<Timestamp> as ::serde::Deserialize>::deserialize(deserializer).map(|time| time.map(|time| time.0))
            }
        }
    });
    Some(quote! {
        /// Decoding of `date-time` fields: chrono's RFC 3339 parser first,
        /// several times faster than the lenient `FromStr` behind chrono's
        /// own `Deserialize`, then that lenient parse, so that every string
        /// decodes exactly as with chrono's `Deserialize`.
        mod timestamp {
            use ::chrono::{DateTime, Utc};

            struct Timestamp(DateTime<Utc>);

            struct TimestampVisitor;

            impl ::serde::de::Visitor<'_> for TimestampVisitor {
                type Value = Timestamp;

                fn expecting(&self, formatter: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    formatter.write_str("an RFC 3339 date and time string")
                }

                fn visit_str<E: ::serde::de::Error>(self, value: &str) -> ::std::result::Result<Timestamp, E> {
                    match DateTime::parse_from_rfc3339(value) {
                        Ok(time) => Ok(Timestamp(time.with_timezone(&Utc))),
                        Err(_) => value.parse::<DateTime<Utc>>().map(Timestamp).map_err(E::custom),
                    }
                }
            }

            impl<'de> ::serde::Deserialize<'de> for Timestamp {
                fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> ::std::result::Result<Self, D::Error> {
                    deserializer.deserialize_str(TimestampVisitor)
                }
            }

            #required
            #optional
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(source: &str) -> Field {
        let item: syn::ItemStruct =
            syn::parse_str(&format!("struct S {{ {source} }}")).expect("a struct");
        let Fields::Named(fields) = item.fields else {
            panic!("named fields")
        };
        fields.named.into_iter().next().expect("one field")
    }

    fn attributes(field: &Field) -> Vec<String> {
        field
            .attrs
            .iter()
            .map(|attr| quote!(#attr).to_string())
            .collect()
    }

    #[test]
    fn required_and_optional_timestamps_get_the_decoder() {
        let mut required = field("pub at: ::chrono::DateTime<::chrono::offset::Utc>");
        assert_eq!(rewrite(&mut required), Some(Decoder::Required));
        assert_eq!(
            attributes(&required),
            ["# [serde (deserialize_with = \"crate::timestamp::deserialize\")]"]
        );
        let mut optional = field("pub at: Option<DateTime<Utc>>");
        assert_eq!(rewrite(&mut optional), Some(Decoder::Optional));
        assert_eq!(
            attributes(&optional),
            ["# [serde (default , deserialize_with = \"crate::timestamp::deserialize_option\")]"]
        );
        for source in [
            "#[serde(default)] pub at: Option<DateTime<Utc>>",
            "#[serde(rename(deserialize = \"when\"), default)] pub at: Option<DateTime<Utc>>",
        ] {
            let mut defaulted = field(source);
            assert_eq!(rewrite(&mut defaulted), Some(Decoder::Optional), "{source}");
            assert_eq!(attributes(&defaulted).len(), 2, "{source}");
            assert!(
                attributes(&defaulted)[1].starts_with("# [serde (deserialize_with"),
                "{source}"
            );
        }
    }

    #[test]
    fn only_the_decoders_used_are_generated() {
        assert!(module_tokens(Used::default()).is_none());
        let only_required = module_tokens(Used {
            required: true,
            optional: false,
        })
        .map(|tokens| tokens.to_string())
        .unwrap_or_default();
        assert!(
            only_required.contains("fn deserialize <"),
            "{only_required}"
        );
        assert!(
            !only_required.contains("deserialize_option"),
            "{only_required}"
        );
    }

    #[test]
    fn other_fields_are_left_alone() {
        for source in [
            "pub at: ::chrono::DateTime<::chrono::FixedOffset>",
            "pub at: ::std::vec::Vec<DateTime<Utc>>",
            "pub at: String",
            "#[serde(with = \"custom\")] pub at: DateTime<Utc>",
            "#[serde(deserialize_with = \"custom\")] pub at: DateTime<Utc>",
        ] {
            let mut untouched = field(source);
            let before = attributes(&untouched);
            assert_eq!(rewrite(&mut untouched), None, "{source}");
            assert_eq!(attributes(&untouched), before, "{source}");
        }
    }
}
