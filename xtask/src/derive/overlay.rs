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
//! - after each action, `x-recallr-name` markers rename the components they
//!   point at ([`component_names`]), so later actions can target the
//!   project's stable names whatever the vendor calls them.

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
    pub fn apply_first(&self, document: &mut Value, count: usize) -> Result<(), XtaskError> {
        for (index, action) in self.document.actions.iter().take(count).enumerate() {
            let name = describe(index, action.description.as_deref());
            let failed = |message: String| XtaskError::Overlay {
                path: self.path.clone(),
                message: format!("{name}: {message}"),
            };
            let may_match_nothing = action
                .extensions
                .as_ref()
                .and_then(|extensions| extensions.get(MAY_MATCH_NOTHING))
                .is_some_and(|value| value == &Value::Bool(true));
            let options = if may_match_nothing {
                EnumSet::empty()
            } else {
                EnumSet::only(ApplyOptions::ErrorOnZeroMatch)
            };
            // One action at a time, so that names marked by this action are
            // in place for the next one.
            let single = OverlayDocument {
                actions: vec![action.clone()],
                ..self.document.clone()
            };
            single
                .apply(document, options)
                .map_err(|err| match err.kind {
                    ApplyErrorKind::ZeroMatch => failed(format!(
                        "its target `{}` matches nothing in the upstream document. The vendor \
                         may have renamed or removed what it selects: fix the target, or mark \
                         the action `{MAY_MATCH_NOTHING}: true` if matching nothing is expected",
                        action.target
                    )),
                    kind => failed(format!("target `{}`: {kind}", action.target)),
                })?;
            component_names::apply_markers(document).map_err(failed)?;
        }
        Ok(())
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
}
