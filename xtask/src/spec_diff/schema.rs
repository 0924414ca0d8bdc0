//! Comparing the two schemas found at the same place, in the direction the
//! data flows: a change that breaks a request (a client sends it) is often
//! harmless in a response (a client reads it), and the other way round.

use indexmap::IndexMap;
use openapiv3::{AdditionalProperties, ReferenceOr, Schema};
use serde_json::Value;

use super::reach::{Enter, PairKey, component_pointer};
use super::resolve::SchemaNode;
use super::rules::Rule;
use super::shape::{Bound, Kind, MAX_DEPTH, Shape, View, count, inclusive, label, shape, view};
use super::{Differ, Subject, capitalized};
use crate::error::XtaskError;
use crate::json_pointer;

/// Where a pair of schemas sits: a pointer into each document and a name
/// for messages (`query parameter `limit``, then a property path).
#[derive(Debug, Clone)]
pub(crate) struct Place {
    pub old: String,
    pub new: String,
    /// What the root schema belongs to, e.g. "`200` response body".
    pub prefix: String,
    /// The property path below the root, e.g. `sessions[].status`.
    pub property: String,
}

impl Place {
    pub fn new(old: String, new: String, prefix: String) -> Self {
        Place {
            old,
            new,
            prefix,
            property: String::new(),
        }
    }

    /// The root of a pair of components, for changes reported once at the
    /// component rather than at each place that reaches it.
    fn component(old_reference: &str, new_reference: &str) -> Self {
        let new = component_pointer(new_reference);
        let name = new
            .rsplit('/')
            .next()
            .map(json_pointer::unescape)
            .unwrap_or_default();
        Place {
            old: component_pointer(old_reference),
            new,
            prefix: format!("component `{name}`"),
            property: String::new(),
        }
    }

    fn join(&self, old_tokens: &[&str], new_tokens: &[&str], property: String) -> Place {
        let extend = |base: &str, tokens: &[&str]| {
            tokens.iter().fold(base.to_string(), |pointer, token| {
                json_pointer::push(&pointer, token)
            })
        };
        Place {
            old: extend(&self.old, old_tokens),
            new: extend(&self.new, new_tokens),
            prefix: self.prefix.clone(),
            property,
        }
    }

    fn property(&self, name: &str) -> Place {
        let property = if self.property.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.property)
        };
        self.join(&["properties", name], &["properties", name], property)
    }

    fn items(&self) -> Place {
        self.join(&["items"], &["items"], format!("{}[]", self.property))
    }

    fn what(&self) -> String {
        if self.property.is_empty() {
            self.prefix.clone()
        } else {
            format!("`{}` in {}", self.property, self.prefix)
        }
    }

    fn old_at(&self, keyword: &str) -> String {
        json_pointer::push(&self.old, keyword)
    }

    fn new_at(&self, keyword: &str) -> String {
        json_pointer::push(&self.new, keyword)
    }
}

/// One bound of both schemas, with the keywords that spell it.
struct BoundPair {
    keyword: &'static str,
    exclusive_keyword: Option<&'static str>,
    lower: bool,
    old: Option<Bound>,
    new: Option<Bound>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeChange {
    Tightened,
    Loosened,
}

impl BoundPair {
    fn change(&self) -> Option<RangeChange> {
        use RangeChange::*;
        match (self.old, self.new) {
            (None, None) => None,
            (None, Some(_)) => Some(Tightened),
            (Some(_), None) => Some(Loosened),
            (Some(old), Some(new)) => {
                let tightened = if new.value != old.value {
                    // Raising a lower bound, or lowering an upper one, tightens.
                    (new.value > old.value) == self.lower
                } else if new.exclusive != old.exclusive {
                    // Becoming exclusive tightens either bound.
                    new.exclusive
                } else {
                    return None;
                };
                Some(if tightened { Tightened } else { Loosened })
            }
        }
    }

    fn describe(&self, bound: Option<Bound>) -> String {
        match bound {
            None => "none".to_string(),
            Some(bound) => {
                let operator = match (self.lower, bound.exclusive) {
                    (true, false) => ">=",
                    (true, true) => ">",
                    (false, false) => "<=",
                    (false, true) => "<",
                };
                format!("{operator} {}", bound.value)
            }
        }
    }

    /// The keyword that changed: the bound itself, or only its exclusivity.
    fn pointer(&self, place: &Place) -> String {
        match (self.old, self.new) {
            (Some(_), None) => place.old_at(self.keyword),
            (Some(old), Some(new)) if old.value == new.value => {
                place.new_at(self.exclusive_keyword.unwrap_or(self.keyword))
            }
            _ => place.new_at(self.keyword),
        }
    }
}

/// What a client does with properties a schema does not list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Extra {
    Ignored,
    Refused,
    Kept,
}

impl Extra {
    fn of(additional: Option<&AdditionalProperties>) -> Extra {
        match additional {
            None | Some(AdditionalProperties::Any(true)) => Extra::Ignored,
            Some(AdditionalProperties::Any(false)) => Extra::Refused,
            Some(AdditionalProperties::Schema(_)) => Extra::Kept,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Extra::Ignored => "allowed and dropped by the generated type",
            Extra::Refused => "refused (`additionalProperties: false`)",
            Extra::Kept => "kept in the generated type's `extra` map",
        }
    }
}

/// The schema with its annotations removed, for telling whether a removed
/// and an added property are the same one renamed.
fn canonical(node: &ReferenceOr<Box<Schema>>) -> Option<Value> {
    fn strip(value: &mut Value) {
        if let Value::Object(map) = value {
            for annotation in ["title", "description", "example", "externalDocs"] {
                map.remove(annotation);
            }
            for (key, child) in map.iter_mut() {
                match (key.as_str(), child) {
                    // Property names are not annotations, their schemas may hold some.
                    ("properties", Value::Object(properties)) => {
                        properties.values_mut().for_each(strip)
                    }
                    (_, child) => strip(child),
                }
            }
        } else if let Value::Array(items) = value {
            items.iter_mut().for_each(strip);
        }
    }
    let mut value = serde_json::to_value(node).ok()?;
    strip(&mut value);
    Some(value)
}

impl<'a> Differ<'a> {
    /// Compares the schemas `old` and `new`, which sit at `place`.
    pub(crate) fn schema(
        &mut self,
        subject: Subject,
        old: SchemaNode<'a>,
        new: SchemaNode<'a>,
        place: &Place,
    ) -> Result<(), XtaskError> {
        let old_view = view(&self.old, old)?;
        let new_view = view(&self.new, new)?;
        // A pair of components already being compared further up: the
        // schema is recursive, and that comparison covers this one.
        let key = (old_view.reference, new_view.reference);
        if (key.0.is_some() || key.1.is_some()) && self.stack.contains(&key) {
            return Ok(());
        }
        // Fails closed: a change past the limit would otherwise read as no
        // change, and be judged compatible.
        if self.stack.len() >= MAX_DEPTH {
            return Err(XtaskError::TooDeep {
                path: self.new.path.to_path_buf(),
                pointer: place.new.clone(),
                limit: MAX_DEPTH,
            });
        }
        let (Some(old_reference), Some(new_reference)) = key else {
            // Inline on one side at least: the place is the schema's own.
            self.stack.push(key);
            self.facts(subject, old_view.facts(), new_view.facts(), place);
            let result = self.structure(subject, &old_view, &new_view, place);
            self.stack.pop();
            return result;
        };
        // Both sides are components. What a wrapper beside the `$ref` adds
        // (`nullable`, a default) belongs to this place; the rest belongs to
        // the components, compared once for all the places that reach them.
        let (old_own, new_own) = (old_view.own_facts(), new_view.own_facts());
        let (old_facts, new_facts) = (old_view.facts(), new_view.facts());
        // When the components agree on a fact, any difference comes from
        // the wrappers; when they do not, the components report it.
        let nullable = if old_own.0 == new_own.0 {
            (old_facts.0, new_facts.0)
        } else {
            (false, false)
        };
        let default = if old_own.1 == new_own.1 {
            (old_facts.1, new_facts.1)
        } else {
            (None, None)
        };
        self.facts(
            subject,
            (nullable.0, default.0),
            (nullable.1, default.1),
            place,
        );
        let pair = PairKey {
            subject,
            old: old_reference,
            new: new_reference,
        };
        let component;
        let at = match self.pairs.enter(pair, &place.new) {
            Enter::Skip => return Ok(()),
            Enter::InPlace => place,
            Enter::AtComponent => {
                component = Place::component(old_reference, new_reference);
                &component
            }
        };
        self.stack.push(key);
        self.facts(subject, old_own, new_own, at);
        let result = self.structure(subject, &old_view, &new_view, at);
        self.stack.pop();
        self.pairs.leave();
        result
    }

    /// Compares `nullable` and the default, given as such pairs.
    fn facts(
        &mut self,
        subject: Subject,
        (old_nullable, old_default): (bool, Option<&'a Value>),
        (new_nullable, new_default): (bool, Option<&'a Value>),
        place: &Place,
    ) {
        if !subject.is_request() && !old_nullable && new_nullable {
            self.report(
                Rule::ResponsePropertyBecameNullable,
                place.new_at("nullable"),
                format!("{} may now be null.", capitalized(&place.what())),
            );
        }
        if old_default != new_default {
            let pointer = if new_default.is_some() {
                place.new_at("default")
            } else {
                place.old_at("default")
            };
            let show = |default: Option<&Value>| {
                default.map_or_else(|| "none".to_string(), Value::to_string)
            };
            self.report(
                Rule::DefaultChanged,
                pointer,
                format!(
                    "The default of {} changed from {} to {}.",
                    place.what(),
                    show(old_default),
                    show(new_default)
                ),
            );
        }
    }

    /// Compares everything but `nullable` and the default.
    fn structure(
        &mut self,
        subject: Subject,
        old: &View<'a>,
        new: &View<'a>,
        place: &Place,
    ) -> Result<(), XtaskError> {
        let old_shape = shape(old.schema);
        let new_shape = shape(new.schema);
        let old_label = label(&self.old, &old_shape)?;
        let new_label = label(&self.new, &new_shape)?;
        if old_label != new_label {
            self.report(
                subject.type_changed(),
                place.new.clone(),
                format!(
                    "{} changed type from {old_label} to {new_label}.",
                    capitalized(&place.what())
                ),
            );
            return Ok(());
        }

        self.ranges(subject, &old_shape, &new_shape, place);
        self.enumeration(subject, &old_shape, &new_shape, place);
        self.additional_properties(subject, &old_shape, &new_shape, place)?;
        if let (Some(old_properties), Some(new_properties)) =
            (old_shape.properties, new_shape.properties)
        {
            self.properties(
                subject,
                (old_properties, old_shape.required),
                (new_properties, new_shape.required),
                place,
            )?;
        }
        if let (Some(old_items), Some(new_items)) = (old_shape.items, new_shape.items) {
            self.schema(subject, old_items.into(), new_items.into(), &place.items())?;
        }
        if let (
            Kind::Alternatives(old_keyword, old_list),
            Kind::Alternatives(new_keyword, new_list),
        ) = (&old_shape.kind, &new_shape.kind)
        {
            // Equal labels mean equal lengths.
            for (index, (old_item, new_item)) in old_list.iter().zip(new_list.iter()).enumerate() {
                let index = index.to_string();
                let child = place.join(
                    &[old_keyword, &index],
                    &[new_keyword, &index],
                    place.property.clone(),
                );
                self.schema(subject, old_item.into(), new_item.into(), &child)?;
            }
        }
        Ok(())
    }

    fn ranges(&mut self, subject: Subject, old: &Shape<'a>, new: &Shape<'a>, place: &Place) {
        let counted = |keyword, lower, old: Option<usize>, new: Option<usize>| BoundPair {
            keyword,
            exclusive_keyword: None,
            lower,
            old: inclusive(count(old)),
            new: inclusive(count(new)),
        };
        let pairs = [
            BoundPair {
                keyword: "minimum",
                exclusive_keyword: Some("exclusiveMinimum"),
                lower: true,
                old: old.minimum,
                new: new.minimum,
            },
            BoundPair {
                keyword: "maximum",
                exclusive_keyword: Some("exclusiveMaximum"),
                lower: false,
                old: old.maximum,
                new: new.maximum,
            },
            counted("minLength", true, old.min_length, new.min_length),
            counted("maxLength", false, old.max_length, new.max_length),
            counted("minItems", true, old.min_items, new.min_items),
            counted("maxItems", false, old.max_items, new.max_items),
        ];
        for pair in pairs {
            let Some(change) = pair.change() else {
                continue;
            };
            let (rule, consequence) = match (subject.is_request(), change) {
                (true, RangeChange::Tightened) => (
                    Rule::RequestRangeTightened,
                    "values that were accepted may now be refused",
                ),
                (true, RangeChange::Loosened) => {
                    (Rule::RequestRangeLoosened, "more values are accepted")
                }
                (false, RangeChange::Loosened) => (
                    Rule::ResponseRangeLoosened,
                    "the server may send values outside the old range",
                ),
                (false, RangeChange::Tightened) => (
                    Rule::ResponseRangeTightened,
                    "the server sends fewer values",
                ),
            };
            self.report(
                rule,
                pair.pointer(place),
                format!(
                    "The `{}` bound of {} went from {} to {}: {consequence}.",
                    pair.keyword,
                    place.what(),
                    pair.describe(pair.old),
                    pair.describe(pair.new)
                ),
            );
        }
    }

    fn enumeration(&mut self, subject: Subject, old: &Shape<'a>, new: &Shape<'a>, place: &Place) {
        // No enum means any value; going to or from that is a different
        // change (a restriction), which these rules do not judge.
        if old.enumeration.is_empty() || new.enumeration.is_empty() {
            return;
        }
        let missing = |from: &[Value], to: &[Value]| -> Vec<String> {
            from.iter()
                .filter(|value| !to.contains(value))
                .map(Value::to_string)
                .collect()
        };
        let removed = missing(&old.enumeration, &new.enumeration);
        let added = missing(&new.enumeration, &old.enumeration);
        let request = subject.is_request();
        if !removed.is_empty() {
            let (rule, consequence) = if request {
                (
                    Rule::RequestEnumValueRemoved,
                    "calls sending them are refused",
                )
            } else {
                (
                    Rule::ResponseEnumValueRemoved,
                    "the server no longer sends them",
                )
            };
            self.report(
                rule,
                place.new_at("enum"),
                format!(
                    "{} lost the enum value(s) {}: {consequence}.",
                    capitalized(&place.what()),
                    removed.join(", ")
                ),
            );
        }
        if !added.is_empty() {
            let (rule, consequence) = if request {
                (Rule::RequestEnumValueAdded, "more values are accepted")
            } else {
                (
                    Rule::ResponseEnumValueAdded,
                    "a client with a closed enum fails to decode them",
                )
            };
            self.report(
                rule,
                place.new_at("enum"),
                format!(
                    "{} gained the enum value(s) {}: {consequence}.",
                    capitalized(&place.what()),
                    added.join(", ")
                ),
            );
        }
    }

    fn additional_properties(
        &mut self,
        subject: Subject,
        old: &Shape<'a>,
        new: &Shape<'a>,
        place: &Place,
    ) -> Result<(), XtaskError> {
        if old.properties.is_none()
            && new.properties.is_none()
            && old.additional.is_none()
            && new.additional.is_none()
        {
            return Ok(());
        }
        let (old_extra, new_extra) = (Extra::of(old.additional), Extra::of(new.additional));
        if old_extra != new_extra {
            let pointer = if new.additional.is_some() {
                place.new_at("additionalProperties")
            } else {
                place.old_at("additionalProperties")
            };
            self.report(
                Rule::AdditionalPropertiesChanged,
                pointer,
                format!(
                    "Unknown properties of {} were {} and are now {}.",
                    place.what(),
                    old_extra.describe(),
                    new_extra.describe()
                ),
            );
        } else if let (
            Some(AdditionalProperties::Schema(old_schema)),
            Some(AdditionalProperties::Schema(new_schema)),
        ) = (old.additional, new.additional)
        {
            let child = place.join(
                &["additionalProperties"],
                &["additionalProperties"],
                format!("{}.*", place.property),
            );
            self.schema(
                subject,
                (&**old_schema).into(),
                (&**new_schema).into(),
                &child,
            )?;
        }
        Ok(())
    }

    fn properties(
        &mut self,
        subject: Subject,
        (old, old_required): (&'a IndexMap<String, ReferenceOr<Box<Schema>>>, &'a [String]),
        (new, new_required): (&'a IndexMap<String, ReferenceOr<Box<Schema>>>, &'a [String]),
        place: &Place,
    ) -> Result<(), XtaskError> {
        let mut removed: Vec<&String> =
            old.keys().filter(|name| !new.contains_key(*name)).collect();
        let mut added: Vec<&String> = new.keys().filter(|name| !old.contains_key(*name)).collect();

        if !subject.is_request() {
            for (from, to) in renames(old, new, &removed, &added) {
                removed.retain(|name| *name != from);
                added.retain(|name| *name != to);
                self.report(
                    Rule::ResponsePropertyRenamed,
                    place.property(to).new,
                    format!(
                        "In {}, property `{from}` was renamed to `{to}` (same schema): code reading `{from}` breaks.",
                        place.what()
                    ),
                );
            }
        }
        for name in removed {
            let rule = if subject.is_request() {
                Rule::RequestPropertyRemoved
            } else {
                Rule::ResponsePropertyRemoved
            };
            let child = place.property(name);
            self.report(
                rule,
                child.old.clone(),
                format!("{} was removed.", capitalized(&child.what())),
            );
        }
        for name in added {
            let child = place.property(name);
            let required = new_required.contains(name);
            let (rule, note) = match (subject.is_request(), required) {
                (true, true) => (
                    Rule::RequestPropertyRequiredAdded,
                    "required; existing calls do not send it",
                ),
                (true, false) => (Rule::RequestPropertyOptionalAdded, "optional"),
                (false, _) => (Rule::ResponsePropertyAdded, "new in the response"),
            };
            self.report(
                rule,
                child.new.clone(),
                format!("{} was added ({note}).", capitalized(&child.what())),
            );
        }
        for (name, old_schema) in old {
            let Some(new_schema) = new.get(name) else {
                continue;
            };
            let child = place.property(name);
            let was_required = old_required.contains(name);
            let is_required = new_required.contains(name);
            if subject.is_request() && !was_required && is_required {
                self.report(
                    Rule::RequestPropertyBecameRequired,
                    child.new.clone(),
                    format!(
                        "{} became required; calls that omit it are refused.",
                        capitalized(&child.what())
                    ),
                );
            }
            if !subject.is_request() && was_required && !is_required {
                self.report(
                    Rule::ResponsePropertyBecameOptional,
                    child.new.clone(),
                    format!(
                        "{} became optional: it may be missing.",
                        capitalized(&child.what())
                    ),
                );
            }
            self.schema(subject, old_schema.into(), new_schema.into(), &child)?;
        }
        Ok(())
    }
}

/// Pairs of (removed, added) properties with the same schema, where the
/// pairing is unambiguous.
fn renames<'n>(
    old: &IndexMap<String, ReferenceOr<Box<Schema>>>,
    new: &IndexMap<String, ReferenceOr<Box<Schema>>>,
    removed: &[&'n String],
    added: &[&'n String],
) -> Vec<(&'n str, &'n str)> {
    let canonical_of = |map: &IndexMap<String, ReferenceOr<Box<Schema>>>, name: &str| {
        map.get(name).and_then(canonical)
    };
    let same = |from: &str, to: &str| {
        let left = canonical_of(old, from);
        left.is_some() && left == canonical_of(new, to)
    };
    let mut pairs = Vec::new();
    for from in removed {
        let candidates: Vec<&&String> = added.iter().filter(|to| same(from, to)).collect();
        if let [to] = candidates.as_slice() {
            let rivals = removed.iter().filter(|other| same(other, to)).count();
            if rivals == 1 {
                pairs.push((from.as_str(), to.as_str()));
            }
        }
    }
    pairs
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pair(
        lower: bool,
        old: Option<(f64, bool)>,
        new: Option<(f64, bool)>,
    ) -> Option<RangeChange> {
        let bound = |(value, exclusive)| Bound { value, exclusive };
        BoundPair {
            keyword: if lower { "minimum" } else { "maximum" },
            exclusive_keyword: None,
            lower,
            old: old.map(bound),
            new: new.map(bound),
        }
        .change()
    }

    #[test]
    fn bounds_tighten_inward_and_loosen_outward() {
        use RangeChange::*;
        assert_eq!(
            pair(true, Some((1.0, false)), Some((2.0, false))),
            Some(Tightened)
        );
        assert_eq!(
            pair(true, Some((1.0, false)), Some((0.0, false))),
            Some(Loosened)
        );
        assert_eq!(
            pair(false, Some((100.0, false)), Some((50.0, false))),
            Some(Tightened)
        );
        assert_eq!(
            pair(false, Some((100.0, false)), Some((200.0, false))),
            Some(Loosened)
        );
        assert_eq!(pair(true, None, Some((0.0, false))), Some(Tightened));
        assert_eq!(pair(false, Some((9.0, false)), None), Some(Loosened));
        assert_eq!(pair(false, Some((9.0, false)), Some((9.0, false))), None);
    }

    #[test]
    fn becoming_exclusive_tightens_either_bound() {
        use RangeChange::*;
        assert_eq!(
            pair(true, Some((0.0, false)), Some((0.0, true))),
            Some(Tightened)
        );
        assert_eq!(
            pair(false, Some((9.0, false)), Some((9.0, true))),
            Some(Tightened)
        );
        assert_eq!(
            pair(false, Some((9.0, true)), Some((9.0, false))),
            Some(Loosened)
        );
    }
}
