//! The rules of `spec diff`: a stable id and a fixed class for each kind of
//! change, judged from the point of view of a client of the API (and of the
//! code generated for it).

use std::fmt;

/// How much a change matters to an existing client.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Class {
    /// Nothing an existing client does stops working.
    Info,
    /// Possibly breaking: depends on how the client reads or sends the value.
    Warning,
    /// An existing client, or code written against the generated client,
    /// stops working.
    Breaking,
}

impl Class {
    /// The lower-case name used in reports (`info`, `warning`, `breaking`).
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Info => "info",
            Class::Warning => "warning",
            Class::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! rules {
    ($($(#[doc = $doc:literal])+ $variant:ident = $id:literal, $class:ident;)+) => {
        /// A kind of change `spec diff` reports.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum Rule {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl Rule {
            /// Every rule, in report order.
            pub const ALL: &'static [Rule] = &[$(Rule::$variant),+];

            /// The stable kebab-case id, e.g. `parameter-required-added`.
            pub fn id(self) -> &'static str {
                match self {
                    $(Rule::$variant => $id,)+
                }
            }

            /// The class of every change this rule reports.
            pub fn class(self) -> Class {
                match self {
                    $(Rule::$variant => Class::$class,)+
                }
            }
        }
    };
}

rules! {
    /// A path and all its operations were removed.
    PathRemoved = "path-removed", Breaking;
    /// A new path.
    PathAdded = "path-added", Info;
    /// An operation (method) of a kept path was removed.
    OperationRemoved = "operation-removed", Breaking;
    /// A new operation on an existing path.
    OperationAdded = "operation-added", Info;
    /// The operationId changed: the generated method is renamed.
    OperationIdChanged = "operation-id-changed", Breaking;
    /// A new required parameter (not a header): existing calls do not send it.
    ParameterRequiredAdded = "parameter-required-added", Breaking;
    /// A new required request header: existing calls do not send it.
    RequestHeaderRequiredAdded = "request-header-required-added", Breaking;
    /// A new optional parameter.
    ParameterOptionalAdded = "parameter-optional-added", Info;
    /// A parameter was removed. Breaking, not a warning: the regenerated
    /// client loses the setter, so code calling it stops compiling, and the
    /// server now ignores the value, so the request silently means something
    /// else (a filter that no longer filters).
    ParameterRemoved = "parameter-removed", Breaking;
    /// An optional parameter became required.
    ParameterBecameRequired = "parameter-became-required", Breaking;
    /// A required parameter became optional.
    ParameterBecameOptional = "parameter-became-optional", Info;
    /// A parameter moved (e.g. from the query to a header).
    ParameterLocationChanged = "parameter-location-changed", Breaking;
    /// A parameter's type or format changed.
    ParameterTypeChanged = "parameter-type-changed", Breaking;
    /// A parameter's serialization (`style`/`explode`) changed, so the same
    /// value is written differently on the wire.
    ParameterStyleChanged = "parameter-style-changed", Breaking;
    /// A new required request body.
    RequestBodyRequiredAdded = "request-body-required-added", Breaking;
    /// A new optional request body.
    RequestBodyOptionalAdded = "request-body-optional-added", Info;
    /// The request body was removed.
    RequestBodyRemoved = "request-body-removed", Breaking;
    /// An optional request body became required.
    RequestBodyBecameRequired = "request-body-became-required", Breaking;
    /// A request content type is no longer accepted.
    RequestContentTypeRemoved = "request-content-type-removed", Breaking;
    /// A new required property in a request body.
    RequestPropertyRequiredAdded = "request-property-required-added", Breaking;
    /// A new optional property in a request body.
    RequestPropertyOptionalAdded = "request-property-optional-added", Info;
    /// A request body property was removed (breaking for the same reasons as
    /// `parameter-removed`).
    RequestPropertyRemoved = "request-property-removed", Breaking;
    /// An optional request body property became required.
    RequestPropertyBecameRequired = "request-property-became-required", Breaking;
    /// A request body property (or the body) changed type or format.
    RequestPropertyTypeChanged = "request-property-type-changed", Breaking;
    /// A request value's allowed range shrank (minimum/maximum, exclusive
    /// bounds, minLength/maxLength, minItems/maxItems): values that were
    /// accepted are now refused.
    RequestRangeTightened = "request-range-tightened", Breaking;
    /// A request value's allowed range grew.
    RequestRangeLoosened = "request-range-loosened", Info;
    /// A response value's range grew: a client that relies on the old bounds
    /// (or a generated unsigned type) may fail on new values.
    ResponseRangeLoosened = "response-range-loosened", Warning;
    /// A response value's range shrank.
    ResponseRangeTightened = "response-range-tightened", Info;
    /// A request enum lost values: calls sending them are refused.
    RequestEnumValueRemoved = "request-enum-value-removed", Breaking;
    /// A request enum gained values.
    RequestEnumValueAdded = "request-enum-value-added", Info;
    /// A response enum gained values: clients with closed enums fail to decode
    /// them (the generated open enums do not).
    ResponseEnumValueAdded = "response-enum-value-added", Warning;
    /// A response enum lost values.
    ResponseEnumValueRemoved = "response-enum-value-removed", Info;
    /// A default changed, appeared or disappeared: omitting the value now
    /// means something else.
    DefaultChanged = "default-changed", Warning;
    /// What happens to unknown object properties changed (ignored, kept in
    /// `extra`, or refused), which changes the generated type.
    AdditionalPropertiesChanged = "additional-properties-changed", Warning;
    /// A response status is no longer documented.
    ResponseStatusRemoved = "response-status-removed", Breaking;
    /// A new response status.
    ResponseStatusAdded = "response-status-added", Info;
    /// A response content type is no longer sent.
    ResponseContentTypeRemoved = "response-content-type-removed", Breaking;
    /// A new response content type.
    ResponseContentTypeAdded = "response-content-type-added", Info;
    /// A response property was removed.
    ResponsePropertyRemoved = "response-property-removed", Breaking;
    /// A response property was renamed: one removed and one added with the
    /// same schema.
    ResponsePropertyRenamed = "response-property-renamed", Breaking;
    /// A required response property became optional: it may be missing.
    ResponsePropertyBecameOptional = "response-property-became-optional", Breaking;
    /// A response value became nullable: it may be `null`.
    ResponsePropertyBecameNullable = "response-property-became-nullable", Breaking;
    /// A response property (or the body) changed type or format.
    ResponsePropertyTypeChanged = "response-property-type-changed", Breaking;
    /// A new response property.
    ResponsePropertyAdded = "response-property-added", Info;
    /// The operation requires a credential it did not require before.
    SecurityRequirementAdded = "security-requirement-added", Breaking;
    /// A security scheme kept its name but changed what the client sends
    /// (another header name, location or type).
    SecuritySchemeChanged = "security-scheme-changed", Breaking;
    /// The operation no longer requires a credential.
    SecurityRequirementRemoved = "security-requirement-removed", Info;
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for rule in Rule::ALL {
            let id = rule.id();
            assert!(seen.insert(id), "duplicate id {id}");
            assert!(
                id.chars().all(|c| c.is_ascii_lowercase() || c == '-'),
                "{id} is not kebab-case"
            );
        }
    }
}
