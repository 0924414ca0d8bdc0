//! The facts of a schema that the rules compare, read the same way whatever
//! form the schema takes: references and single-element `allOf` wrappers are
//! looked through, and openapiv3's catch-all `SchemaKind::Any` is read like
//! the typed kinds.

use indexmap::IndexMap;
use openapiv3::{
    AdditionalProperties, ReferenceOr, Schema, SchemaKind, Type, VariantOrUnknownOrEmpty,
};
use serde_json::Value;

use super::resolve::{Resolver, SchemaNode};
use crate::error::XtaskError;

/// Deeper than this, looking through wrappers (and comparing nested
/// schemas) stops: a guard against absurd documents, not a limit real specs
/// reach.
pub(crate) const MAX_DEPTH: usize = 64;

/// A schema after references and single-element `allOf` wrappers (the 3.0
/// way to put `nullable` or a default beside a `$ref`) are looked through.
pub(crate) struct View<'a> {
    pub schema: &'a Schema,
    /// The last reference followed, which identifies the component.
    pub reference: Option<&'a str>,
    pub nullable: bool,
    pub default: Option<&'a Value>,
}

impl<'a> View<'a> {
    /// `nullable` and the default, the wrappers' included.
    pub fn facts(&self) -> (bool, Option<&'a Value>) {
        (self.nullable, self.default)
    }

    /// `nullable` and the default of the schema itself, without wrappers.
    pub fn own_facts(&self) -> (bool, Option<&'a Value>) {
        (
            self.schema.schema_data.nullable,
            self.schema.schema_data.default.as_ref(),
        )
    }
}

pub(crate) fn view<'a>(
    resolver: &Resolver<'a>,
    node: SchemaNode<'a>,
) -> Result<View<'a>, XtaskError> {
    let (mut schema, mut reference) = resolver.schema(node)?;
    let mut nullable = schema.schema_data.nullable;
    let mut default = schema.schema_data.default.as_ref();
    let mut hops = 0;
    while let SchemaKind::AllOf { all_of } = &schema.schema_kind
        && let [only] = all_of.as_slice()
        && hops < MAX_DEPTH
    {
        let (inner, inner_reference) = resolver.schema(only.into())?;
        schema = inner;
        reference = inner_reference.or(reference);
        nullable |= inner.schema_data.nullable;
        default = default.or(inner.schema_data.default.as_ref());
        hops += 1;
    }
    Ok(View {
        schema,
        reference,
        nullable,
        default,
    })
}

/// A bound of a range: `minimum`/`maximum` (possibly exclusive) or a count
/// (`minLength`, `maxItems`...).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bound {
    pub value: f64,
    pub exclusive: bool,
}

/// The facts of one schema that the rules look at, whatever `SchemaKind`
/// openapiv3 filed it under.
#[derive(Default)]
pub(crate) struct Shape<'a> {
    pub kind: Kind<'a>,
    pub format: Option<String>,
    pub enumeration: Vec<Value>,
    pub minimum: Option<Bound>,
    pub maximum: Option<Bound>,
    pub min_length: Option<usize>,
    pub max_length: Option<usize>,
    pub min_items: Option<usize>,
    pub max_items: Option<usize>,
    pub properties: Option<&'a IndexMap<String, ReferenceOr<Box<Schema>>>>,
    pub required: &'a [String],
    pub additional: Option<&'a AdditionalProperties>,
    pub items: Option<&'a ReferenceOr<Box<Schema>>>,
}

#[derive(Default)]
pub(crate) enum Kind<'a> {
    #[default]
    Any,
    Typed(String),
    Alternatives(&'static str, &'a [ReferenceOr<Schema>]),
    Not,
}

fn format_name<T: serde::Serialize>(format: &VariantOrUnknownOrEmpty<T>) -> Option<String> {
    match format {
        VariantOrUnknownOrEmpty::Item(item) => match serde_json::to_value(item) {
            Ok(Value::String(name)) => Some(name),
            _ => None,
        },
        VariantOrUnknownOrEmpty::Unknown(name) => Some(name.clone()),
        VariantOrUnknownOrEmpty::Empty => None,
    }
}

pub(crate) fn inclusive(value: Option<f64>) -> Option<Bound> {
    value.map(|value| Bound {
        value,
        exclusive: false,
    })
}

fn bound(value: Option<f64>, exclusive: bool) -> Option<Bound> {
    value.map(|value| Bound { value, exclusive })
}

pub(crate) fn count(value: Option<usize>) -> Option<f64> {
    // Counts are far below 2^53, so the conversion is exact.
    value.map(|value| value as f64)
}

fn values<T: Into<Value> + Clone>(values: &[Option<T>]) -> Vec<Value> {
    values
        .iter()
        .map(|value| value.clone().map(Into::into).unwrap_or(Value::Null))
        .collect()
}

pub(crate) fn shape(schema: &Schema) -> Shape<'_> {
    match &schema.schema_kind {
        SchemaKind::Type(Type::String(string)) => Shape {
            kind: Kind::Typed("string".into()),
            format: format_name(&string.format),
            enumeration: values(&string.enumeration),
            min_length: string.min_length,
            max_length: string.max_length,
            ..Shape::default()
        },
        SchemaKind::Type(Type::Number(number)) => Shape {
            kind: Kind::Typed("number".into()),
            format: format_name(&number.format),
            enumeration: values(&number.enumeration),
            minimum: bound(number.minimum, number.exclusive_minimum),
            maximum: bound(number.maximum, number.exclusive_maximum),
            ..Shape::default()
        },
        SchemaKind::Type(Type::Integer(integer)) => Shape {
            kind: Kind::Typed("integer".into()),
            format: format_name(&integer.format),
            enumeration: values(&integer.enumeration),
            // Integer bounds in real specs are far below 2^53.
            minimum: bound(integer.minimum.map(|v| v as f64), integer.exclusive_minimum),
            maximum: bound(integer.maximum.map(|v| v as f64), integer.exclusive_maximum),
            ..Shape::default()
        },
        SchemaKind::Type(Type::Boolean(boolean)) => Shape {
            kind: Kind::Typed("boolean".into()),
            enumeration: values(&boolean.enumeration),
            ..Shape::default()
        },
        SchemaKind::Type(Type::Object(object)) => Shape {
            kind: Kind::Typed("object".into()),
            properties: Some(&object.properties),
            required: &object.required,
            additional: object.additional_properties.as_ref(),
            ..Shape::default()
        },
        SchemaKind::Type(Type::Array(array)) => Shape {
            kind: Kind::Typed("array".into()),
            min_items: array.min_items,
            max_items: array.max_items,
            items: array.items.as_ref(),
            ..Shape::default()
        },
        SchemaKind::OneOf { one_of } => Shape {
            kind: Kind::Alternatives("oneOf", one_of),
            ..Shape::default()
        },
        SchemaKind::AnyOf { any_of } => Shape {
            kind: Kind::Alternatives("anyOf", any_of),
            ..Shape::default()
        },
        SchemaKind::AllOf { all_of } => Shape {
            kind: Kind::Alternatives("allOf", all_of),
            ..Shape::default()
        },
        SchemaKind::Not { .. } => Shape {
            kind: Kind::Not,
            ..Shape::default()
        },
        // openapiv3 files a schema here when its keywords mix kinds, so the
        // same facts are read from the catch-all.
        SchemaKind::Any(any) => Shape {
            kind: match any.typ.as_deref() {
                Some(typ) => Kind::Typed(typ.to_string()),
                None if !any.one_of.is_empty() => Kind::Alternatives("oneOf", &any.one_of),
                None if !any.any_of.is_empty() => Kind::Alternatives("anyOf", &any.any_of),
                None if !any.all_of.is_empty() => Kind::Alternatives("allOf", &any.all_of),
                None if !any.properties.is_empty() => Kind::Typed("object".into()),
                None => Kind::Any,
            },
            format: any.format.clone(),
            enumeration: any.enumeration.clone(),
            minimum: bound(any.minimum, any.exclusive_minimum.unwrap_or(false)),
            maximum: bound(any.maximum, any.exclusive_maximum.unwrap_or(false)),
            min_length: any.min_length,
            max_length: any.max_length,
            min_items: any.min_items,
            max_items: any.max_items,
            properties: (!any.properties.is_empty()).then_some(&any.properties),
            required: &any.required,
            additional: any.additional_properties.as_ref(),
            items: any.items.as_ref(),
        },
    }
}

/// The type as a client sees it: a change of label is a change of type.
pub(crate) fn label<'a>(resolver: &Resolver<'a>, shape: &Shape<'a>) -> Result<String, XtaskError> {
    Ok(match &shape.kind {
        Kind::Any => "any value".to_string(),
        Kind::Not => "not".to_string(),
        Kind::Typed(typ) => match &shape.format {
            Some(format) => format!("{typ} ({format})"),
            None => typ.clone(),
        },
        Kind::Alternatives(keyword, list) => {
            // anyOf over alternatives no value can match twice is the
            // same as oneOf (FastAPI writes anyOf, hand-written specs
            // often oneOf).
            let keyword = if *keyword == "anyOf" && disjoint(resolver, list)? {
                "oneOf"
            } else {
                keyword
            };
            format!("{keyword} of {} schemas", list.len())
        }
    })
}

/// Whether no value can match two of `alternatives`: each is a plain type
/// and no two share one (integer counts as number).
fn disjoint<'a>(
    resolver: &Resolver<'a>,
    alternatives: &'a [ReferenceOr<Schema>],
) -> Result<bool, XtaskError> {
    let mut seen = Vec::new();
    for alternative in alternatives {
        let (schema, _) = resolver.schema(alternative.into())?;
        let kind = match &schema.schema_kind {
            SchemaKind::Type(Type::String(_)) => "string",
            SchemaKind::Type(Type::Number(_) | Type::Integer(_)) => "number",
            SchemaKind::Type(Type::Boolean(_)) => "boolean",
            SchemaKind::Type(Type::Object(_)) => "object",
            SchemaKind::Type(Type::Array(_)) => "array",
            _ => return Ok(false),
        };
        if schema.schema_data.nullable || seen.contains(&kind) {
            return Ok(false);
        }
        seen.push(kind);
    }
    Ok(true)
}
