//! Showing a list of changes: a table for people, JSON for tools. Both list
//! breaking changes first, then warnings, then info, each in document order.

use serde::Serialize;

use super::{Change, Class};

fn by_severity(changes: &[Change]) -> Vec<&Change> {
    let mut sorted: Vec<&Change> = changes.iter().collect();
    sorted.sort_by_key(|change| std::cmp::Reverse(change.class()));
    sorted
}

/// A table: class, rule and pointer on one line, the message under it, and
/// a count per class at the end.
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
    for change in by_severity(changes) {
        out.push_str(&format!(
            "{:class_width$}  {:rule_width$}  {}\n{:indent$}{}\n",
            change.class().as_str(),
            change.rule.id(),
            change.pointer,
            "",
            change.message,
            indent = class_width + 2 + rule_width + 2,
        ));
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

#[derive(Serialize)]
struct Entry<'a> {
    rule: &'a str,
    class: &'a str,
    pointer: &'a str,
    message: &'a str,
}

/// A JSON array of `{"rule", "class", "pointer", "message"}`, with a
/// trailing newline.
pub fn json(changes: &[Change]) -> String {
    let entries: Vec<Entry> = by_severity(changes)
        .into_iter()
        .map(|change| Entry {
            rule: change.rule.id(),
            class: change.class().as_str(),
            pointer: &change.pointer,
            message: &change.message,
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
        }
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
