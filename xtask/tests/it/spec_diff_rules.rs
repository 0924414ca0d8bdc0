//! `spec diff` rule by rule: each `tests/fixtures/diff/<rule-id>.json`
//! patches one base document into an old and a new one and holds the
//! expected JSON report (see `spec_diff_fixture`). The report must match
//! exactly, so a rule fires where it should, with its class and message, and
//! no unrelated rule fires with it. `UPDATE_EXPECT=1` rewrites the expected
//! reports instead of failing on them.

use std::collections::BTreeSet;
use std::path::PathBuf;

use crate::spec_diff_fixture::Entry;
use xtask::spec::Spec;
use xtask::spec_diff::{self, Change, Reach, Rule, report};

fn spec(rule: &str, side: &str, document: &serde_json::Value) -> Spec {
    let path = PathBuf::from(format!("{rule}.json ({side})"));
    let text = serde_json::to_string_pretty(document).expect("JSON serializes");
    let document = xtask::spec::parse(&path, &text)
        .unwrap_or_else(|err| panic!("{rule}: the {side} document: {err}"));
    Spec {
        path,
        text,
        document,
    }
}

/// The JSON report of the diff, read back as entries.
fn entries(changes: &[Change]) -> Vec<Entry> {
    serde_json::from_str(&report::json(changes)).expect("the report is JSON entries")
}

fn updating() -> bool {
    std::env::var_os("UPDATE_EXPECT").is_some_and(|value| value == "1")
}

#[test]
fn every_fixture_reports_exactly_its_rule() {
    let mut failures = Vec::new();
    for name in crate::spec_diff_fixture::rules() {
        let mut fixture = crate::spec_diff_fixture::load(&name);
        let (old, new) = fixture.documents();
        let (old, new) = (spec(&name, "old", &old), spec(&name, "new", &new));
        let changes = spec_diff::diff(&old, &new).unwrap_or_else(|err| panic!("{name}: {err}"));
        let got = entries(&changes);
        if got != fixture.expect {
            if updating() {
                fixture.expect = got;
                fixture.save();
            } else {
                failures.push(format!(
                    "{name}:\n  expected {:?}\n  got      {got:?}\n  (UPDATE_EXPECT=1 rewrites the expectation)",
                    fixture.expect
                ));
            }
        }
        let rule = Rule::ALL.iter().find(|rule| rule.id() == name);
        assert_eq!(
            rule.map(|rule| rule.class().as_str()),
            Some(fixture.class.as_str()),
            "{name}.json must name a rule and its class"
        );
        assert_eq!(fixture.rule, name, "{name}.json is the fixture of its rule");
        assert!(
            !fixture.expect.is_empty()
                && fixture
                    .expect
                    .iter()
                    .all(|entry| entry.rule == name && entry.class == fixture.class),
            "{name}.json must expect only `{name}` changes"
        );
        // Reversing the pair is not silent either, except for relaxations
        // no client can notice, which are deliberately not reported.
        let unreported_reversal = [
            "request-body-became-required",
            "request-content-type-removed",
            "request-property-became-required",
            "response-property-became-nullable",
            "response-property-became-optional",
        ];
        if unreported_reversal.contains(&name.as_str()) {
            continue;
        }
        let reversed =
            spec_diff::diff(&new, &old).unwrap_or_else(|err| panic!("{name} reversed: {err}"));
        if reversed.is_empty() {
            failures.push(format!("{name}: the reversed pair reports nothing"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_rule_has_a_fixture_and_every_fixture_is_a_rule() {
    let rules: BTreeSet<String> = Rule::ALL.iter().map(|rule| rule.id().to_string()).collect();
    let fixtures: BTreeSet<String> = crate::spec_diff_fixture::rules().into_iter().collect();
    assert_eq!(rules, fixtures);
}

#[test]
fn a_document_compared_with_itself_has_no_changes() {
    let committed = xtask::paths::spec();
    assert_eq!(
        spec_diff::diff_files(&committed, &committed).ok(),
        Some(vec![])
    );
    for name in crate::spec_diff_fixture::rules() {
        let (old, new) = crate::spec_diff_fixture::load(&name).documents();
        for (side, document) in [("old", old), ("new", new)] {
            let document = spec(&name, side, &document);
            assert_eq!(
                spec_diff::diff(&document, &document).ok(),
                Some(vec![]),
                "{name} ({side})"
            );
        }
    }
}

/// A temp dir holding an `old.json` and a `new.json`.
struct Pair {
    dir: tempfile::TempDir,
}

impl Pair {
    fn new(old: &serde_json::Value, new: &serde_json::Value) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        for (name, document) in [("old.json", old), ("new.json", new)] {
            let text = serde_json::to_string_pretty(document).expect("JSON serializes");
            std::fs::write(dir.path().join(name), text).expect("the temp dir is writable");
        }
        Pair { dir }
    }

    fn diff(&self) -> Result<Vec<Change>, xtask::XtaskError> {
        spec_diff::diff_files(
            &self.dir.path().join("old.json"),
            &self.dir.path().join("new.json"),
        )
    }
}

/// A document whose `GET /tree` returns the component `root` of `schemas`.
fn returning(root: &str, schemas: serde_json::Value) -> serde_json::Value {
    serde_json::json!({
        "openapi": "3.0.3",
        "info": {"title": "t", "version": "1"},
        "paths": {"/tree": {"get": {"operationId": "tree", "responses": {"200": {
            "description": "ok",
            "content": {"application/json": {"schema": {"$ref": format!("#/components/schemas/{root}")}}}
        }}}}},
        "components": {"schemas": schemas}
    })
}

const BODY: &str = "/paths/~1tree/get/responses/200/content/application~1json/schema";

#[test]
fn recursive_schemas_are_compared_without_looping() {
    let node = |extra: Option<&str>| {
        let mut properties = serde_json::json!({
            "name": {"type": "string"},
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
            "parent": {"$ref": "#/components/schemas/Parent"}
        });
        if let Some(extra) = extra {
            properties[extra] = serde_json::json!({"type": "integer"});
        }
        serde_json::json!({
            "Node": {"type": "object", "required": ["name"], "properties": properties},
            // Mutual recursion as well.
            "Parent": {"type": "object", "properties": {"node": {"$ref": "#/components/schemas/Node"}}}
        })
    };
    let pair = Pair::new(
        &returning("Node", node(None)),
        &returning("Node", node(Some("weight"))),
    );
    let changes = pair.diff().expect("recursive schemas resolve");
    let rules: Vec<(Rule, &str)> = changes
        .iter()
        .map(|change| (change.rule, change.pointer.as_str()))
        .collect();
    let added = format!("{BODY}/properties/weight");
    assert_eq!(rules, [(Rule::ResponsePropertyAdded, added.as_str())]);
}

#[test]
fn a_change_in_a_component_two_places_reach_is_reported_once_with_both() {
    let schemas = |maximum: u64| {
        serde_json::json!({
            "Page": {"type": "object", "properties": {"first": {"$ref": "#/components/schemas/Count"},
                "last": {"$ref": "#/components/schemas/Count"}}},
            "Count": {"$ref": "#/components/schemas/Integer"},
            "Integer": {"type": "integer", "maximum": maximum}
        })
    };
    let pair = Pair::new(
        &returning("Page", schemas(10)),
        &returning("Page", schemas(20)),
    );
    let changes = pair.diff().expect("references resolve");
    let [change] = changes.as_slice() else {
        panic!("one change expected: {changes:?}");
    };
    // The component is the one the chain of references ends at.
    assert_eq!(change.pointer, "/components/schemas/Integer/maximum");
    assert_eq!(
        change.reach,
        Some(Reach {
            count: 2,
            places: vec![
                format!("{BODY}/properties/first"),
                format!("{BODY}/properties/last")
            ],
        })
    );
    assert!(
        change
            .message
            .starts_with("The `maximum` bound of component `Integer`"),
        "{}",
        change.message
    );
}

#[test]
fn a_recursive_component_two_places_reach_counts_two_places() {
    let schemas = |extra: bool| {
        let mut node = serde_json::json!({"type": "object", "properties": {
            "children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}}});
        if extra {
            node["properties"]["weight"] = serde_json::json!({"type": "integer"});
        }
        serde_json::json!({
            "Pair": {"type": "object", "properties": {"left": {"$ref": "#/components/schemas/Node"},
                "right": {"$ref": "#/components/schemas/Node"}}},
            "Node": node
        })
    };
    let pair = Pair::new(
        &returning("Pair", schemas(false)),
        &returning("Pair", schemas(true)),
    );
    let changes = pair.diff().expect("references resolve");
    let found: Vec<(&str, Option<u64>)> = changes
        .iter()
        .map(|change| {
            (
                change.pointer.as_str(),
                change.reach.as_ref().map(|reach| reach.count),
            )
        })
        .collect();
    // The use inside Node itself is recursion, not a third place.
    assert_eq!(
        found,
        [("/components/schemas/Node/properties/weight", Some(2))]
    );
}

#[test]
fn a_change_in_a_component_one_place_reaches_is_reported_there() {
    let schemas = |maximum: u64| {
        serde_json::json!({
            "Page": {"type": "object", "properties": {"first": {"$ref": "#/components/schemas/Count"}}},
            "Count": {"type": "integer", "maximum": maximum}
        })
    };
    let pair = Pair::new(
        &returning("Page", schemas(10)),
        &returning("Page", schemas(20)),
    );
    let changes = pair.diff().expect("references resolve");
    let found: Vec<(&str, Option<&Reach>)> = changes
        .iter()
        .map(|change| (change.pointer.as_str(), change.reach.as_ref()))
        .collect();
    let expected = format!("{BODY}/properties/first/maximum");
    assert_eq!(found, [(expected.as_str(), None)]);
}

#[test]
fn a_wrapper_beside_a_shared_reference_is_judged_where_it_is() {
    // `first` becomes nullable through an allOf wrapper: that is a fact of
    // the property, not of the component `last` shares.
    let schemas = |wrapped: bool| {
        let first = if wrapped {
            serde_json::json!({"allOf": [{"$ref": "#/components/schemas/Count"}], "nullable": true})
        } else {
            serde_json::json!({"$ref": "#/components/schemas/Count"})
        };
        serde_json::json!({
            "Page": {"type": "object", "properties": {"first": first,
                "last": {"$ref": "#/components/schemas/Count"}}},
            "Count": {"type": "integer"}
        })
    };
    let pair = Pair::new(
        &returning("Page", schemas(false)),
        &returning("Page", schemas(true)),
    );
    let changes = pair.diff().expect("references resolve");
    let found: Vec<(Rule, &str, Option<&Reach>)> = changes
        .iter()
        .map(|change| (change.rule, change.pointer.as_str(), change.reach.as_ref()))
        .collect();
    let expected = format!("{BODY}/properties/first/nullable");
    assert_eq!(
        found,
        [(
            Rule::ResponsePropertyBecameNullable,
            expected.as_str(),
            None
        )]
    );
}

/// Components `N0`..`N{depth}`, each but the last holding two references
/// to the next (so `2^depth` paths reach the last); the last's `leaf` has
/// type `leaf`.
fn chain(depth: usize, leaf: &str) -> serde_json::Value {
    let mut schemas = serde_json::Map::new();
    for index in 0..depth {
        let next = format!("#/components/schemas/N{}", index + 1);
        schemas.insert(
            format!("N{index}"),
            serde_json::json!({"type": "object", "properties": {
                "a": {"$ref": next}, "b": {"$ref": next}}}),
        );
    }
    schemas.insert(
        format!("N{depth}"),
        serde_json::json!({"type": "object", "properties": {"leaf": {"type": leaf}}}),
    );
    returning("N0", serde_json::Value::Object(schemas))
}

/// Diffs `old` and `new` on another thread, failing if it takes longer than
/// a bound no linear walk comes near (an exponential one never ends).
fn diff_within_bound(old: serde_json::Value, new: serde_json::Value) -> Vec<Change> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = Pair::new(&old, &new).diff().map_err(|err| err.to_string());
        // The receiver is gone only once the test has failed already.
        let _ = sender.send(result);
    });
    receiver
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the diff finishes in time: the walk is linear, not exponential")
        .expect("the documents resolve")
}

#[test]
fn a_chain_of_doubly_referenced_components_40_deep_is_diffed_in_linear_time() {
    const DEPTH: usize = 40;
    let same = diff_within_bound(chain(DEPTH, "integer"), chain(DEPTH, "integer"));
    assert_eq!(same, []);

    let changes = diff_within_bound(chain(DEPTH, "integer"), chain(DEPTH, "string"));
    let [change] = changes.as_slice() else {
        panic!("the changed leaf is reported once: {changes:?}");
    };
    assert_eq!(change.rule, Rule::ResponsePropertyTypeChanged);
    assert_eq!(
        change.pointer,
        format!("/components/schemas/N{DEPTH}/properties/leaf")
    );
    let reach = change
        .reach
        .as_ref()
        .expect("the change says who reaches it");
    assert_eq!(reach.count, 1 << DEPTH);
    // The first places, in walk order: through `a` every time, then `b` last.
    let through = |last: &str| {
        format!(
            "{BODY}{}/properties/{last}",
            "/properties/a".repeat(DEPTH - 1)
        )
    };
    assert_eq!(reach.places.len(), spec_diff::REACH_EXAMPLES);
    assert_eq!(reach.places[0], through("a"));
    assert_eq!(reach.places[1], through("b"));
}

#[test]
fn any_of_over_disjoint_types_is_the_same_as_one_of() {
    let loc = |keyword: &str, second: &str| serde_json::json!({"Loc": {"type": "array", "items": {keyword: [{"type": "string"}, {"type": second}]}}});
    let same = Pair::new(
        &returning("Loc", loc("oneOf", "integer")),
        &returning("Loc", loc("anyOf", "integer")),
    );
    assert_eq!(same.diff().ok(), Some(vec![]));
    // integer and number overlap: anyOf is not oneOf there.
    let overlapping = Pair::new(
        &returning("Loc", loc("oneOf", "integer")),
        &returning("Loc", loc("anyOf", "number")),
    );
    let rules: Vec<Rule> = overlapping
        .diff()
        .expect("resolves")
        .into_iter()
        .map(|change| change.rule)
        .collect();
    assert_eq!(rules, [Rule::ResponsePropertyTypeChanged]);
}

#[test]
fn descriptions_titles_and_key_order_are_not_changes() {
    let old = returning(
        "A",
        serde_json::json!({"A": {"type": "object", "properties": {"a": {"type": "string"}}}}),
    );
    let new = returning(
        "A",
        serde_json::json!({"A": {"properties": {"a": {"description": "now documented", "title": "A", "type": "string"}},
            "title": "A", "description": "An A.", "type": "object"}}),
    );
    assert_eq!(Pair::new(&old, &new).diff().ok(), Some(vec![]));
}

#[test]
fn a_broken_reference_is_an_error_naming_the_file_and_the_reference() {
    let old = returning("A", serde_json::json!({"A": {"type": "string"}}));
    let new = returning("Missing", serde_json::json!({"A": {"type": "string"}}));
    let message = Pair::new(&old, &new)
        .diff()
        .err()
        .map(|err| err.to_string())
        .unwrap_or_default();
    assert!(message.contains("new.json"), "{message}");
    assert!(
        message.contains("cannot resolve `#/components/schemas/Missing`: no such component"),
        "{message}"
    );
}

#[test]
fn a_change_deeper_than_the_limit_fails_closed() {
    // 70 components deep, a leaf's type changes: too deep to compare, so
    // an error, never "no changes".
    let error = Pair::new(&chain(70, "string"), &chain(70, "integer"))
        .diff()
        .expect_err("too deep to judge");
    let message = error.to_string();
    assert!(
        message.contains("new.json: the schemas at `")
            && message.contains("nest more than 64 levels deep: too deep to compare"),
        "{message}"
    );
    // Within the limit the same change is found.
    let changes = Pair::new(&chain(40, "string"), &chain(40, "integer"))
        .diff()
        .expect("compares");
    assert!(!changes.is_empty());
}
