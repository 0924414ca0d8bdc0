//! Open enums: string enums that decode values the spec does not list yet.
//!
//! typify turns a string enum into a closed Rust enum, so one new upstream
//! value (say a session status `"archived"`) would make a whole page fail to
//! decode. Every string enum among the spec's component schemas is therefore
//! replaced by an enum with the documented variants plus `Unknown`, whose
//! payload is the opaque [`UNKNOWN_VALUE`] type shared by all open enums.

use openapiv3::{OpenAPI, ReferenceOr, SchemaKind, Type};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

use super::syn_tree::{PassInput, UNKNOWN_VALUE, parse_items, types_module};

/// The pass: adds every open enum of the document progenitor was given, and
/// the [`UNKNOWN_VALUE`] type they share, to the `types` module (progenitor
/// was told to leave those types to us, see [`OpenEnum::replacement_path`]).
pub fn apply(file: &mut syn::File, input: &PassInput<'_>) -> Result<(), String> {
    let items = parse_items(all_tokens(&find(input.prepared))?)?;
    if !items.is_empty() {
        types_module(file)?.1.extend(items);
    }
    Ok(())
}

/// Every open enum's items, preceded by the [`UNKNOWN_VALUE`] type they
/// share (left out when there is no open enum).
pub fn all_tokens(open_enums: &[OpenEnum]) -> Result<TokenStream, String> {
    if open_enums.is_empty() {
        return Ok(TokenStream::new());
    }
    let mut tokens = unknown_value_tokens();
    for open_enum in open_enums {
        tokens.extend(open_enum.tokens()?);
    }
    Ok(tokens)
}

/// The opaque payload of every `Unknown` variant.
///
/// Its field is private and it has no constructor or `Deserialize`, so
/// code outside the generated crate can read it but never build one or
/// match on its text: the only way to get one is to decode a value the
/// enum does not name.
fn unknown_value_tokens() -> TokenStream {
    let name = format_ident!("{}", UNKNOWN_VALUE);
    quote! {
        /// A value of an enum that this version of the client does not
        /// name, as it was on the wire.
        ///
        /// Read it with [`as_str`](Self::as_str) or `Display`; it cannot be
        /// built or matched on by content. This is deliberate: a value that
        /// is `Unknown` today becomes a named variant when the client is
        /// regenerated from a newer spec, and then stops reaching the
        /// `Unknown` arm. A pattern like `Unknown("archived")` would silently
        /// stop matching on that day; matching the named variant, or
        /// comparing `as_str()` on the enum itself (which returns the wire
        /// value for every variant), keeps working.
        #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct #name(::std::string::String);

        impl #name {
            /// The value as it appeared on the wire.
            pub fn as_str(&self) -> &str {
                self.0.as_str()
            }
        }

        impl ::std::fmt::Display for #name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::serde::Serialize for #name {
            fn serialize<S: ::serde::Serializer>(
                &self,
                serializer: S,
            ) -> ::std::result::Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }
    }
}

/// A string enum found among the spec's component schemas.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpenEnum {
    /// The component's name, which is also the Rust type's name.
    pub name: String,
    /// The schema's description, for the type's rustdoc.
    pub description: Option<String>,
    /// The documented wire values, in spec order.
    pub values: Vec<String>,
}

/// Finds every component schema that is a plain string enum.
pub fn find(document: &OpenAPI) -> Vec<OpenEnum> {
    let Some(components) = &document.components else {
        return Vec::new();
    };
    components
        .schemas
        .iter()
        .filter_map(|(name, schema)| {
            let ReferenceOr::Item(schema) = schema else {
                return None;
            };
            let SchemaKind::Type(Type::String(string)) = &schema.schema_kind else {
                return None;
            };
            if string.enumeration.is_empty() || schema.schema_data.nullable {
                return None;
            }
            let values = string
                .enumeration
                .iter()
                .cloned()
                .collect::<Option<Vec<String>>>()?;
            Some(OpenEnum {
                name: name.clone(),
                description: schema.schema_data.description.clone(),
                values,
            })
        })
        .collect()
}

impl OpenEnum {
    /// The path typify is told to use instead of generating the type.
    pub fn replacement_path(&self) -> String {
        format!("crate::types::{}", self.name)
    }

    /// The Rust items for this enum, to be placed in the `types` module.
    pub fn tokens(&self) -> Result<TokenStream, String> {
        // Values typify would name alike (`unknown` and the catch-all
        // `Unknown`, `in-progress` and `in_progress`) are all kept: a later
        // one gets the first free numbered name (`Unknown2`), so a new
        // upstream value never stops the import and earlier names stay.
        let mut variants: Vec<String> = Vec::with_capacity(self.values.len());
        for value in &self.values {
            let mut base = pascal_case(value);
            if base.is_empty() || base.starts_with(|c: char| c.is_ascii_digit()) {
                base.insert(0, 'V');
            }
            let taken = |name: &str| name == "Unknown" || variants.iter().any(|v| v == name);
            let mut name = base.clone();
            let mut number = 2_usize;
            while taken(&name) {
                name = format!("{base}{number}");
                number = number
                    .checked_add(1)
                    .ok_or_else(|| format!("enum `{}`: too many values named alike", self.name))?;
            }
            variants.push(name);
        }
        // A component name that is not a Rust identifier would make
        // `format_ident!` panic; refuse it with a message instead.
        let type_name: proc_macro2::Ident = syn::parse_str(&self.name).map_err(|_| {
            format!(
                "the enum schema `{}` does not have a name that can be a Rust type",
                self.name
            )
        })?;
        let idents = variants
            .iter()
            .map(|variant| format_ident!("{}", variant))
            .collect::<Vec<_>>();
        let values = &self.values;
        let value_docs = values.iter().map(|value| format!("`{value}`"));
        let count = values.len();
        let description = self
            .description
            .clone()
            .unwrap_or_else(|| format!("The `{}` values.", self.name));
        let schema_name = &self.name;
        let unknown_value = format_ident!("{}", UNKNOWN_VALUE);
        let unknown_doc = format!(
            "A value the spec did not list when this client was generated, kept verbatim. Read it with `as_str()`; see [`{UNKNOWN_VALUE}`] for why it cannot be matched by content."
        );

        Ok(quote! {
            #[doc = #description]
            ///
            /// Values this version of the client does not know decode into
            /// `Unknown`, so a new upstream value never fails a whole response.
            /// The enum is `#[non_exhaustive]` because a newer spec adds
            /// variants: match it with a wildcard arm, and compare
            /// [`as_str`](Self::as_str) to tell unnamed values apart.
            #[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
            #[non_exhaustive]
            pub enum #type_name {
                #(
                    #[doc = #value_docs]
                    #idents,
                )*
                #[doc = #unknown_doc]
                Unknown(#unknown_value),
            }

            impl #type_name {
                /// Every value the spec documents, in the spec's order.
                pub const KNOWN: [Self; #count] = [#(Self::#idents),*];

                /// The value as it appears on the wire.
                pub fn as_str(&self) -> &str {
                    match self {
                        #(Self::#idents => #values,)*
                        Self::Unknown(value) => value.as_str(),
                    }
                }

                /// Whether the spec documents this value.
                pub fn is_known(&self) -> bool {
                    !matches!(self, Self::Unknown(_))
                }
            }

            impl ::std::convert::From<&str> for #type_name {
                fn from(value: &str) -> Self {
                    match value {
                        #(#values => Self::#idents,)*
                        other => Self::Unknown(#unknown_value(other.to_string())),
                    }
                }
            }

            impl ::std::convert::From<::std::string::String> for #type_name {
                fn from(value: ::std::string::String) -> Self {
                    Self::from(value.as_str())
                }
            }

            impl ::std::str::FromStr for #type_name {
                type Err = ::std::convert::Infallible;

                fn from_str(value: &str) -> ::std::result::Result<Self, Self::Err> {
                    Ok(Self::from(value))
                }
            }

            impl ::std::fmt::Display for #type_name {
                fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                    f.write_str(self.as_str())
                }
            }

            impl ::serde::Serialize for #type_name {
                fn serialize<S: ::serde::Serializer>(
                    &self,
                    serializer: S,
                ) -> ::std::result::Result<S::Ok, S::Error> {
                    serializer.serialize_str(self.as_str())
                }
            }

            impl<'de> ::serde::Deserialize<'de> for #type_name {
                fn deserialize<D: ::serde::Deserializer<'de>>(
                    deserializer: D,
                ) -> ::std::result::Result<Self, D::Error> {
                    let value = <::std::string::String as ::serde::Deserialize>::deserialize(deserializer)?;
                    Ok(Self::from(value))
                }
            }

            impl ::schemars::JsonSchema for #type_name {
                fn schema_name() -> ::std::string::String {
                    #schema_name.to_string()
                }

                fn json_schema(
                    _: &mut ::schemars::r#gen::SchemaGenerator,
                ) -> ::schemars::schema::Schema {
                    ::schemars::schema::SchemaObject {
                        metadata: Some(Box::new(::schemars::schema::Metadata {
                            description: Some(#description.to_string()),
                            ..Default::default()
                        })),
                        instance_type: Some(::schemars::schema::InstanceType::String.into()),
                        enum_values: Some(vec![#(::serde_json::Value::from(#values)),*]),
                        ..Default::default()
                    }
                    .into()
                }
            }
        })
    }
}

/// `insufficient_balance` -> `InsufficientBalance`.
fn pascal_case(name: &str) -> String {
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
