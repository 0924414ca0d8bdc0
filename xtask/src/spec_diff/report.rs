//! Showing a list of changes: a table for people, JSON for tools. Both list
//! breaking changes first, then warnings, then info, each in document order.
//! A change reported once for a component that several places reach says
//! how many and names the first few.

use serde::Serialize;

use super::{Change, Class, Reach};
use crate::output::terminal_text;

fn by_severity(changes: &[Change]) -> Vec<&Change> {
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by_key(|change| std::cmp::Reverse(change.class()));
    sorted
}

/// A table: class, rule and pointer on one line, the message under it (and
/// the places that reach a shared component), and a count per class at the
/// end.
pub fn text(changes: &[Change]) -> String {
    if changes.is_empty() {
        return "no changes\n".to_string();
    }
    let rule_width = changes
        .iter()
        .map(|change| change.rule.id().len())
        .max()
        .unwrap_or(0)
        .max("RULE".len());
    let class_width = "breaking".len();
    let mut out = format!(
        "{:class_width$}  {:rule_width$}  POINTER\n",
        "CLASS", "RULE"
    );
    let indent = class_width + 2 + rule_width + 2;
    for change in by_severity(changes) {
        out.push_str(&format!(
            "{:class_width$}  {:rule_width$}  {}\n{:indent$}{}\n",
            change.class().as_str(),
            change.rule.id(),
            terminal_text(&change.pointer),
            "",
            terminal_text(&change.message),
        ));
        if let Some(reach) = &change.reach {
            out.push_str(&format!("{:indent$}{}\n", "", reached(reach)));
            for place in &reach.places {
                out.push_str(&format!("{:indent$}  {}\n", "", terminal_text(place)));
            }
        }
    }
    let count = |class: Class| {
        changes
            .iter()
            .filter(|change| change.class() == class)
            .count()
    };
    let noun = if changes.len() == 1 {
        "change"
    } else {
        "changes"
    };
    out.push_str(&format!(
        "\n{} {noun}: {} breaking, {} warning, {} info\n",
        changes.len(),
        count(Class::Breaking),
        count(Class::Warning),
        count(Class::Info)
    ));
    out
}

/// "Reached from 4096 places, the first 3:", or "Reached from 2 places:"
/// when all are shown.
fn reached(reach: &Reach) -> String {
    let count = reach.count;
    let shown = reach.places.len();
    let noun = if count == 1 { "place" } else { "places" };
    if u64::try_from(shown).is_ok_and(|shown| shown == count) {
        format!("Reached from {count} {noun}:")
    } else {
        format!("Reached from {count} {noun}, the first {shown}:")
    }
}

#[derive(Serialize)]
struct Entry<'a> {
    rule: &'a str,
    class: &'a str,
    pointer: &'a str,
    message: &'a str,
    // Absent rather than null, so readers of the four-field form see no
    // difference for changes that have no reach.
    #[serde(skip_serializing_if = "Option::is_none")]
    reach: Option<&'a Reach>,
}

/// A JSON array of `{"rule", "class", "pointer", "message"}`, with a
/// trailing newline. A change inside a component that several places reach
/// also has `"reach": {"count", "places"}`.
pub fn json(changes: &[Change]) -> String {
    let entries: Vec<Entry> = by_severity(changes)
        .into_iter()
        .map(|change| Entry {
            rule: change.rule.id(),
            class: change.class().as_str(),
            pointer: &change.pointer,
            message: &change.message,
            reach: change.reach.as_ref(),
        })
        .collect();
    // Serializing plain strings cannot fail; fall back to an empty array
    // rather than panic all the same.
    let mut out = serde_json::to_string_pretty(&entries).unwrap_or_else(|_| "[]".to_string());
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec_diff::Rule;

    fn change(rule: Rule, pointer: &str) -> Change {
        Change {
            rule,
            pointer: pointer.to_string(),
            message: format!("{} happened.", rule.id()),
            reach: None,
        }
    }

    fn shared(count: u64, places: &[&str]) -> Change {
        Change {
            reach: Some(Reach {
                count,
                places: places.iter().map(|place| place.to_string()).collect(),
            }),
            ..change(Rule::ResponsePropertyTypeChanged, "/components/schemas/A")
        }
    }

    #[test]
    fn a_shared_change_names_its_count_and_first_places() {
        let table = text(&[shared(4096, &["/p/a", "/p/b", "/p/c"])]);
        let lines: Vec<&str> = table.lines().map(str::trim).collect();
        assert_eq!(
            &lines[1..6],
            [
                "breaking  response-property-type-changed  /components/schemas/A",
                "response-property-type-changed happened.",
                "Reached from 4096 places, the first 3:",
                "/p/a",
                "/p/b",
            ],
            "{table}"
        );
        assert_eq!(lines[6], "/p/c", "{table}");
        let two = text(&[shared(2, &["/p/a", "/p/b"])]);
        assert!(two.contains("Reached from 2 places:\n"), "{two}");

        let value: serde_json::Value =
            serde_json::from_str(&json(&[shared(2, &["/p/a", "/p/b"])])).expect("valid JSON");
        assert_eq!(
            value[0]["reach"],
            serde_json::json!({"count": 2, "places": ["/p/a", "/p/b"]})
        );
    }

    #[test]
    fn the_table_lists_breaking_changes_first_and_counts_them() {
        let changes = [
            change(Rule::ResponseStatusAdded, "/a"),
            change(Rule::ParameterRemoved, "/b"),
        ];
        let table = text(&changes);
        let lines: Vec<&str> = table.lines().collect();
        assert!(lines[0].starts_with("CLASS"), "{table}");
        assert!(
            lines[1].starts_with("breaking  parameter-removed"),
            "{table}"
        );
        assert!(lines[1].ends_with("/b"), "{table}");
        assert!(
            lines[2]
                .trim_start()
                .starts_with("parameter-removed happened.")
        );
        assert!(
            lines[3].starts_with("info      response-status-added"),
            "{table}"
        );
        assert_eq!(
            lines.last(),
            Some(&"2 changes: 1 breaking, 0 warning, 1 info")
        );
        assert_eq!(text(&[]), "no changes\n");
    }

    #[test]
    fn json_has_the_four_fields() {
        let out = json(&[change(Rule::ResponseEnumValueAdded, "/x/enum")]);
        let value: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
        assert_eq!(
            value,
            serde_json::json!([{
                "rule": "response-enum-value-added",
                "class": "warning",
                "pointer": "/x/enum",
                "message": "response-enum-value-added happened."
            }])
        );
        assert_eq!(json(&[]), "[]\n");
    }
}
