//! The spec's facts as constants next to the generated client: each kept
//! query parameter's integer bounds and default, and each string enum's
//! values. `recallr-ext`, the CLI and the stub take them from here, so a
//! regeneration carries an upstream change of a bound or a new status to
//! every crate with no hand edit.

use openapiv3::{
    OpenAPI, Parameter, ParameterSchemaOrContent, ReferenceOr, Schema, SchemaKind, Type,
};
use proc_macro2::TokenStream;
use quote::{format_ident, quote};

/// The `facts` module's tokens for `document`.
pub fn tokens(document: &OpenAPI) -> TokenStream {
    let mut modules = Vec::new();
    for (path, method, operation) in document.operations() {
        let Some(id) = operation.operation_id.as_deref() else {
            continue;
        };
        let constants: Vec<TokenStream> = operation
            .parameters
            .iter()
            .filter_map(|parameter| query_integer(document, parameter))
            .flat_map(|(name, schema)| integer_constants(&name, schema))
            .collect();
        if constants.is_empty() {
            continue;
        }
        let module = format_ident!("{}", snake(id));
        let doc = format!(
            "`{} {path}` (`{id}`): bounds and defaults of its integer query parameters.",
            method.to_ascii_uppercase()
        );
        modules.push(quote! {
            #[doc = #doc]
            pub mod #module {
                #(#constants)*
            }
        });
    }
    let enums = document
        .components
        .as_ref()
        .into_iter()
        .flat_map(|components| &components.schemas)
        .filter_map(|(name, schema)| match schema {
            ReferenceOr::Item(schema) => string_enum_constant(name, schema),
            ReferenceOr::Reference { .. } => None,
        });
    quote! {
        /// Facts of the spec for code that must agree with it: argument
        /// checks, command-line help, the stand-in server. Generated from
        /// the spec like everything in this crate, so they follow upstream.
        pub mod facts {
            #(#modules)*
            #(#enums)*
        }
    }
}

/// A query parameter whose schema is an inline integer.
fn query_integer<'a>(
    document: &'a OpenAPI,
    parameter: &'a ReferenceOr<Parameter>,
) -> Option<(String, &'a Schema)> {
    let parameter = match parameter {
        ReferenceOr::Item(parameter) => parameter,
        ReferenceOr::Reference { reference } => {
            let name = reference.strip_prefix("#/components/parameters/")?;
            match document.components.as_ref()?.parameters.get(name)? {
                ReferenceOr::Item(parameter) => parameter,
                ReferenceOr::Reference { .. } => return None,
            }
        }
    };
    let Parameter::Query { parameter_data, .. } = parameter else {
        return None;
    };
    let ParameterSchemaOrContent::Schema(ReferenceOr::Item(schema)) = &parameter_data.format else {
        return None;
    };
    matches!(schema.schema_kind, SchemaKind::Type(Type::Integer(_)))
        .then(|| (parameter_data.name.clone(), schema))
}

fn integer_constants(name: &str, schema: &Schema) -> Vec<TokenStream> {
    let SchemaKind::Type(Type::Integer(integer)) = &schema.schema_kind else {
        return Vec::new();
    };
    let upper = snake(name).to_ascii_uppercase();
    // Unsigned when the spec rules out negatives, as progenitor types it.
    let minimum = integer.minimum.map(|min| {
        if integer.exclusive_minimum {
            min.saturating_add(1)
        } else {
            min
        }
    });
    let maximum = integer.maximum.map(|max| {
        if integer.exclusive_maximum {
            max.saturating_sub(1)
        } else {
            max
        }
    });
    let unsigned = minimum.is_some_and(|min| min >= 0);
    let ty = if unsigned { quote!(u64) } else { quote!(i64) };
    let mut constants = Vec::new();
    let mut push = |suffix: &str, what: String, value: i64| {
        let ident = format_ident!("{upper}_{suffix}");
        let doc = format!("`{name}`: {what}.");
        let value = proc_macro2::Literal::i64_unsuffixed(value);
        constants.push(quote! {
            #[doc = #doc]
            pub const #ident: #ty = #value;
        });
    };
    if let Some(min) = minimum {
        push("MIN", "the smallest value the API accepts".to_string(), min);
    }
    if let Some(max) = maximum {
        push("MAX", "the largest value the API accepts".to_string(), max);
    }
    if let Some(default) = schema
        .schema_data
        .default
        .as_ref()
        .and_then(|value| value.as_i64())
    {
        push(
            "DEFAULT",
            "the value the API uses when it is not sent".to_string(),
            default,
        );
    }
    constants
}

fn string_enum_constant(name: &str, schema: &Schema) -> Option<TokenStream> {
    let SchemaKind::Type(Type::String(string)) = &schema.schema_kind else {
        return None;
    };
    if string.enumeration.is_empty() {
        return None;
    }
    let values: Vec<&str> = string
        .enumeration
        .iter()
        .flatten()
        .map(String::as_str)
        .collect();
    let ident = format_ident!("{}_VALUES", snake(name).to_ascii_uppercase());
    let doc = format!("The values the spec lists for `{name}`, in its order.");
    Some(quote! {
        #[doc = #doc]
        pub const #ident: &[&str] = &[#(#values),*];
    })
}

/// `SessionStatus` -> `session_status`, `list_sessions` stays,
/// `HTTPValidationError` -> `http_validation_error`, `X-Key` -> `x_key`.
pub(crate) fn snake(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (index, &c) in chars.iter().enumerate() {
        if c.is_ascii_alphanumeric() {
            let boundary = c.is_ascii_uppercase()
                && index > 0
                && (chars[index - 1].is_ascii_lowercase()
                    || chars[index - 1].is_ascii_digit()
                    || (chars[index - 1].is_ascii_uppercase()
                        && chars.get(index + 1).is_some_and(char::is_ascii_lowercase)));
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else if !out.is_empty() && !out.ends_with('_') {
            out.push('_');
        }
    }
    let out = out.trim_end_matches('_').to_string();
    if out.chars().next().is_some_and(|c| c.is_ascii_digit()) || out.is_empty() {
        format!("n_{out}")
    } else {
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_snake_case() {
        for (name, expected) in [
            ("SessionStatus", "session_status"),
            ("HTTPValidationError", "http_validation_error"),
            ("list_sessions", "list_sessions"),
            ("X-Recallr-Api-Key", "x_recallr_api_key"),
            // A Rust identifier cannot start with a digit.
            ("2fa", "n_2fa"),
        ] {
            assert_eq!(snake(name), expected, "{name}");
        }
    }
}
