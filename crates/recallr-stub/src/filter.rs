//! Which sessions a request's filters select.

use recallr_api::types::SessionStatus;
use serde_json::{Map, Value};

use crate::model::Record;

/// The filters of one request; empty filters select everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Filter {
    /// A session matches if its status is any of these (or this is empty).
    pub statuses: Vec<SessionStatus>,
    /// A session matches if its metadata contains this object.
    pub metadata: Option<Map<String, Value>>,
}

impl Filter {
    /// Whether the filter selects every session, so a page can be sliced.
    pub fn is_empty(&self) -> bool {
        self.statuses.is_empty() && self.metadata.is_none()
    }

    pub fn matches(&self, record: &Record) -> bool {
        (self.statuses.is_empty() || self.statuses.contains(&record.status))
            && self
                .metadata
                .as_ref()
                .is_none_or(|filter| contains(&record.metadata, filter))
    }
}

/// Containment: every key of `filter` is in `metadata` with an equal value;
/// objects are compared the same way, recursively.
pub(crate) fn contains(metadata: &Map<String, Value>, filter: &Map<String, Value>) -> bool {
    filter.iter().all(|(key, wanted)| {
        metadata
            .get(key)
            .is_some_and(|have| value_contains(have, wanted))
    })
}

fn value_contains(have: &Value, wanted: &Value) -> bool {
    match (have, wanted) {
        (Value::Object(have), Value::Object(wanted)) => contains(have, wanted),
        _ => equal(have, wanted),
    }
}

/// JSON equality where numbers compare by value, so `3` equals `3.0`
/// (serde_json's `==` tells them apart; a JSON database would not).
fn equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => {
            match (a.as_i64(), b.as_i64(), a.as_u64(), b.as_u64()) {
                (Some(a), Some(b), _, _) => a == b,
                (_, _, Some(a), Some(b)) => a == b,
                _ => a.as_f64() == b.as_f64(),
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| equal(a, b))
        }
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| equal(a, b)))
        }
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            _ => Map::new(),
        }
    }

    fn check(metadata: Value, filter: Value) -> bool {
        contains(&object(metadata), &object(filter))
    }

    #[test]
    fn the_empty_filter_matches_everything() {
        assert!(check(json!({}), json!({})));
        assert!(check(json!({"a": 1}), json!({})));
    }

    #[test]
    fn every_key_must_be_present_and_equal() {
        let metadata = json!({"topic": "billing", "priority": 3});
        assert!(check(metadata.clone(), json!({"topic": "billing"})));
        assert!(check(
            metadata.clone(),
            json!({"topic": "billing", "priority": 3})
        ));
        assert!(!check(metadata.clone(), json!({"topic": "support"})));
        assert!(!check(metadata.clone(), json!({"missing": null})));
        assert!(!check(metadata, json!({"topic": "billing", "priority": 4})));
    }

    #[test]
    fn nested_objects_are_compared_by_containment() {
        let metadata = json!({"lang": {"code": "en", "region": "US"}, "n": 1});
        assert!(check(metadata.clone(), json!({"lang": {"code": "en"}})));
        assert!(check(metadata.clone(), json!({"lang": {}})));
        assert!(!check(metadata.clone(), json!({"lang": {"code": "de"}})));
        assert!(!check(metadata.clone(), json!({"lang": "en"})));
        assert!(!check(metadata, json!({"n": {"code": "en"}})));
    }

    #[test]
    fn numbers_compare_by_value_and_arrays_exactly() {
        assert!(check(json!({"p": 3}), json!({"p": 3.0})));
        assert!(!check(json!({"p": 3}), json!({"p": "3"})));
        assert!(check(json!({"t": [1, 2]}), json!({"t": [1.0, 2]})));
        assert!(!check(json!({"t": [1, 2]}), json!({"t": [1]})));
        assert!(check(json!({"x": null}), json!({"x": null})));
        assert!(check(json!({"b": -1}), json!({"b": -1})));
        assert!(check(json!({"b": u64::MAX}), json!({"b": u64::MAX})));
    }
}
