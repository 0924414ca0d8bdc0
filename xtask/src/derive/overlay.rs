//! `openapi/overlay.yaml`: the project's local choices, as an OpenAPI
//! Overlay 1.0.0 document applied to the vendor's document.
//!
//! `roas-overlay` parses, validates and applies the overlay (RFC 9535
//! JSONPath, the specification's merge rules). This module adds what the
//! project needs on top:
//!
//! - an action whose target matches nothing is an error naming the action,
//!   because an overlay that silently stopped applying is the failure a sync
//!   must catch; `x-recallr-may-match-nothing: true` opts an action out;
//! - after an action that sets `x-recallr-name` markers, they rename the
//!   components they point at ([`component_names`]), so later actions can
//!   target the project's stable names whatever the vendor calls them.

use std::path::{Path, PathBuf};

use enumset::EnumSet;
use roas_overlay::apply::{Apply, ApplyErrorKind, ApplyOptions};
use roas_overlay::v1_0::Overlay as OverlayDocument;
use roas_overlay::validation::Validate;
use serde_json::Value;

use super::component_names;
use crate::error::XtaskError;

/// The extension that lets an action match nothing without an error.
pub const MAY_MATCH_NOTHING: &str = "x-recallr-may-match-nothing";

/// Overlay files larger than this are refused: the real one is a few KiB.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// A parsed and validated overlay, with the file it came from.
#[derive(Debug, Clone)]
pub struct Overlay {
    path: PathBuf,
    document: OverlayDocument,
}

impl Overlay {
    /// Reads, parses and validates the overlay at `path`.
    pub fn load(path: &Path) -> Result<Overlay, XtaskError> {
        let text = crate::bounded_read::read_to_string(path, MAX_BYTES)?;
        Overlay::parse(path, &text)
    }

    /// Parses `text` (named `path` in errors) as an Overlay 1.0 document.
    pub fn parse(path: &Path, text: &str) -> Result<Overlay, XtaskError> {
        let invalid = |message: String| XtaskError::Overlay {
            path: path.to_path_buf(),
            message,
        };
        let value: Value = serde_yaml_ng::from_str(text).map_err(|err| {
            let position = err
                .location()
                .map(|at| format!("line {} column {}: ", at.line(), at.column()))
                .unwrap_or_default();
            invalid(format!("{position}not valid YAML: {err}"))
        })?;
        let document: OverlayDocument = serde_path_to_error::deserialize(&value)
            .map_err(|err| invalid(format!("at `{}`: {}", err.path(), err.inner())))?;
        document
            .validate(EnumSet::empty())
            .map_err(|err| invalid(format!("not a valid Overlay 1.0 document: {err}")))?;
        Ok(Overlay {
            path: path.to_path_buf(),
            document,
        })
    }

    /// How many actions the overlay has.
    pub fn len(&self) -> usize {
        self.document.actions.len()
    }

    /// Whether the overlay has no actions (a valid one always has some).
    pub fn is_empty(&self) -> bool {
        self.document.actions.is_empty()
    }

    /// Applies every action in order to `document`, renaming marked
    /// components after each. On error `document` may be partly changed;
    /// callers work on a copy.
    pub fn apply(&self, document: &mut Value) -> Result<(), XtaskError> {
        self.apply_first(document, self.len())
    }

    /// Applies the first `count` actions, as [`apply`](Self::apply) does
    /// all of them: finds which action a later check blames.
    ///
    /// Linear in the overlay and the document: consecutive actions run as
    /// one `roas-overlay` batch (one copy of the document per batch, not per
    /// action), and a batch ends after an action that sets an
    /// `x-recallr-name` marker, so that the renamed components are in place
    /// for the next action.
    pub fn apply_first(&self, document: &mut Value, count: usize) -> Result<(), XtaskError> {
        let actions = &self.document.actions[..count.min(self.len())];
        let mut start = 0;
        while start < actions.len() {
            let end = actions[start..]
                .iter()
                .position(|action| action.update.as_ref().is_some_and(has_marker))
                .map_or(actions.len(), |at| start + at + 1);
            self.apply_batch(document, start, &actions[start..end])?;
            component_names::apply_markers(document).map_err(|message| {
                self.failed(
                    end - 1,
                    &format!("renaming the marked components: {message}"),
                )
            })?;
            start = end;
        }
        Ok(())
    }

    /// Applies `batch`, the actions from index `first` on, in one pass.
    fn apply_batch(
        &self,
        document: &mut Value,
        first: usize,
        batch: &[roas_overlay::v1_0::Action],
    ) -> Result<(), XtaskError> {
        // Only an action's own opt-out lets it match nothing, so a batch
        // mixing both kinds is applied with the strict option and a
        // zero match of an opted-out action is excused below.
        let all_may_match_nothing = batch.iter().all(may_match_nothing);
        let options = if all_may_match_nothing {
            EnumSet::empty()
        } else {
            EnumSet::only(ApplyOptions::ErrorOnZeroMatch)
        };
        let batch_document = OverlayDocument {
            overlay: self.document.overlay.clone(),
            info: self.document.info.clone(),
            extends: self.document.extends.clone(),
            actions: batch.to_vec(),
            extensions: None,
        };
        match batch_document.apply(document, options) {
            Ok(_) => Ok(()),
            Err(err) => {
                let index = first + err.action_index;
                let action = &batch[err.action_index];
                match err.kind {
                    ApplyErrorKind::ZeroMatch if may_match_nothing(action) => {
                        // The batch was rolled back: apply its part before
                        // the action, the action alone (leniently), and
                        // the rest.
                        let (before, rest) = batch.split_at(err.action_index);
                        let Some((excused, after)) = rest.split_first() else {
                            return Ok(());
                        };
                        self.apply_batch(document, first, before)?;
                        self.apply_batch(document, index, std::slice::from_ref(excused))?;
                        self.apply_batch(document, index + 1, after)
                    }
                    ApplyErrorKind::ZeroMatch => Err(self.failed(
                        index,
                        &format!(
                            "its target `{}` matches nothing in the upstream document. The vendor \
                             may have renamed or removed what it selects: fix the target, or mark \
                             the action `{MAY_MATCH_NOTHING}: true` if matching nothing is expected",
                            action.target
                        ),
                    )),
                    kind => Err(self.failed(index, &format!("target `{}`: {kind}", action.target))),
                }
            }
        }
    }

    /// The error of action `index`.
    fn failed(&self, index: usize, message: &str) -> XtaskError {
        let description = self
            .document
            .actions
            .get(index)
            .and_then(|action| action.description.as_deref());
        XtaskError::Overlay {
            path: self.path.clone(),
            message: format!("{}: {message}", describe(index, description)),
        }
    }
}

/// Whether the action opts out of matching something.
fn may_match_nothing(action: &roas_overlay::v1_0::Action) -> bool {
    action
        .extensions
        .as_ref()
        .and_then(|extensions| extensions.get(MAY_MATCH_NOTHING))
        .is_some_and(|value| value == &Value::Bool(true))
}

/// Whether an action's update sets an `x-recallr-name` marker anywhere.
fn has_marker(update: &Value) -> bool {
    match update {
        Value::Object(map) => {
            map.contains_key(component_names::MARKER) || map.values().any(has_marker)
        }
        Value::Array(items) => items.iter().any(has_marker),
        _ => false,
    }
}

impl Overlay {
    /// The overlay file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// How errors name the action at `index` (see [`describe`]).
    pub fn action_name(&self, index: usize) -> String {
        let description = self
            .document
            .actions
            .get(index)
            .and_then(|action| action.description.as_deref());
        describe(index, description)
    }
}

/// `action 3 ("Auth headers are security schemes")`: how errors name an
/// action, by its index in `actions` and its description's first line.
fn describe(index: usize, description: Option<&str>) -> String {
    match description.and_then(|text| text.lines().next()) {
        Some(first_line) if !first_line.trim().is_empty() => {
            format!("action {index} (\"{}\")", first_line.trim())
        }
        _ => format!("action {index}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn overlay(actions: &str) -> Result<Overlay, XtaskError> {
        let text =
            format!("overlay: 1.0.0\ninfo:\n  title: test\n  version: 1.0.0\nactions:\n{actions}");
        Overlay::parse(Path::new("overlay.yaml"), &text)
    }

    fn document() -> Value {
        json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1"},
            "paths": {"/a": {"get": {"operationId": "get_a_api_get", "tags": ["x"],
                "responses": {"200": {"description": "ok", "content": {"application/json":
                    {"schema": {"$ref": "#/components/schemas/APage"}}}}}}}},
            "components": {"schemas": {"APage": {"type": "object", "required": ["a", "b"],
                "properties": {"a": {"type": "string"}, "b": {"type": "string"}}}}}
        })
    }

    #[test]
    fn update_merges_remove_removes_and_names_stick_for_later_actions() {
        let overlay = overlay(concat!(
            "  - target: $.paths['/a'].get\n    update: {operationId: get_a, tags: [y]}\n",
            "  - target: $.paths['/a'].get.responses['200'].content['application/json'].schema\n",
            "    update: {x-recallr-name: Page}\n",
            "  - target: $.components.schemas.Page\n    update: {additionalProperties: {}}\n",
            "  - target: $.components.schemas.Page.properties.b\n    remove: true\n",
        ))
        .expect("a valid overlay");
        let mut value = document();
        overlay.apply(&mut value).expect("applies");
        let operation = &value["paths"]["/a"]["get"];
        assert_eq!(operation["operationId"], "get_a");
        // Arrays are concatenated by the Overlay merge rules.
        assert_eq!(operation["tags"], json!(["x", "y"]));
        let schema = &operation["responses"]["200"]["content"]["application/json"]["schema"];
        assert_eq!(schema, &json!({"$ref": "#/components/schemas/Page"}));
        let page = &value["components"]["schemas"]["Page"];
        assert_eq!(page["additionalProperties"], json!({}));
        assert_eq!(page["properties"], json!({"a": {"type": "string"}}));
        assert!(value["components"]["schemas"].get("APage").is_none());
    }

    #[test]
    fn a_stale_target_is_an_error_naming_the_action() {
        let overlay = overlay(concat!(
            "  - target: $.info\n    update: {description: d}\n",
            "  - target: $.paths['/gone'].get\n    description: Keep the name stable\n",
            "    update: {operationId: x}\n",
        ))
        .expect("a valid overlay");
        let error = overlay
            .apply(&mut document())
            .expect_err("the second action matches nothing")
            .to_string();
        assert!(
            error.contains("action 1 (\"Keep the name stable\")")
                && error.contains("$.paths['/gone'].get")
                && error.contains("matches nothing"),
            "{error}"
        );
    }

    #[test]
    fn an_action_may_opt_out_of_matching() {
        let overlay = overlay(
            "  - target: $.paths['/gone'].get\n    x-recallr-may-match-nothing: true\n    update: {operationId: x}\n",
        )
        .expect("a valid overlay");
        let mut value = document();
        overlay
            .apply(&mut value)
            .expect("matching nothing is allowed");
        assert_eq!(value, document());
    }

    #[test]
    fn bad_documents_are_named() {
        let error = Overlay::parse(Path::new("o.yaml"), "overlay: [")
            .expect_err("not YAML")
            .to_string();
        assert!(
            error.starts_with("o.yaml: line 2 column 1: not valid YAML"),
            "{error}"
        );
        let error = overlay("  - target: '$.['\n    update: {}\n")
            .expect_err("a bad JSONPath")
            .to_string();
        assert!(
            error.contains("o.yaml") || error.contains("overlay.yaml"),
            "{error}"
        );
        let error = Overlay::parse(
            Path::new("o.yaml"),
            "overlay: 1.0.0\ninfo: {title: t, version: '1'}\nactions: []\n",
        )
        .expect_err("no actions")
        .to_string();
        assert!(error.contains("actions"), "{error}");
    }

    /// 20,000 actions (the scale at which applying them one copy of the
    /// document each took minutes) all apply, in order, around a rename and
    /// an excused action that matches nothing.
    #[test]
    fn many_actions_apply_in_one_pass_around_renames_and_excused_misses() {
        let mut actions = String::new();
        for index in 0..10_000 {
            actions.push_str(&format!(
                "  - target: $.info\n    update:\n      x-first-{index}: {index}\n"
            ));
        }
        actions.push_str(
            "  - target: \"$.paths['/a'].get.responses['200'].content['application/json'].schema\"\n    update:\n      x-recallr-name: Page\n",
        );
        actions.push_str(
            "  - target: $.components.schemas.Missing\n    x-recallr-may-match-nothing: true\n    update:\n      title: gone\n",
        );
        for index in 0..10_000 {
            actions.push_str(&format!(
                "  - target: $.components.schemas.Page\n    update:\n      x-second-{index}: {index}\n"
            ));
        }
        let overlay = overlay(&actions).expect("a valid overlay");
        let mut document = document();
        overlay.apply(&mut document).expect("applies");
        assert_eq!(document["info"]["x-first-9999"], 9999);
        assert_eq!(
            document["components"]["schemas"]["Page"]["x-second-9999"],
            9999
        );
        assert!(document["components"]["schemas"].get("Missing").is_none());

        // A miss that is not excused is named by its index in the file.
        let strict = format!(
            "{actions}  - target: $.components.schemas.Nowhere\n    description: The last.\n    update:\n      title: x\n"
        );
        let error = overlay_error(&strict);
        assert!(
            error.contains("action 20002 (\"The last.\"): its target `$.components.schemas.Nowhere` matches nothing"),
            "{error}"
        );
    }

    fn overlay_error(actions: &str) -> String {
        let overlay = overlay(actions).expect("a valid overlay");
        match overlay.apply(&mut document()) {
            Ok(()) => panic!("the overlay applied"),
            Err(error) => error.to_string(),
        }
    }
}
