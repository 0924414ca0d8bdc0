//! Which upstream operations the client keeps, matched by method and path
//! template, never by operationId: FastAPI derives operationIds from handler
//! names, which the vendor renames at will.

use std::fmt;

use serde_json::Value;

use crate::spec::OPERATION_METHODS;

/// One operation: an HTTP method and a path template.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct OperationKey {
    /// Upper-case HTTP method, e.g. `GET`.
    pub method: String,
    /// The path template as the document spells it.
    pub path: String,
}

impl OperationKey {
    /// Whether `self` and `other` are the same operation: same method, same
    /// path with parameter names ignored (`/users/{}/sessions`).
    pub fn same_operation(&self, method: &str, path: &str) -> bool {
        self.method.eq_ignore_ascii_case(method)
            && template_shape(&self.path) == template_shape(path)
    }

    /// Parses `GET /api/v1/users/{custom_user_id}/sessions`.
    pub fn parse(text: &str) -> Option<OperationKey> {
        let (method, path) = text.trim().split_once(char::is_whitespace)?;
        let method = method.to_ascii_lowercase();
        let path = path.trim();
        (OPERATION_METHODS.contains(&method.as_str()) && path.starts_with('/')).then(|| {
            OperationKey {
                method: method.to_ascii_uppercase(),
                path: path.to_string(),
            }
        })
    }
}

impl fmt::Display for OperationKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.method, self.path)
    }
}

/// `/users/{custom_user_id}/sessions` -> `/users/{}/sessions`.
fn template_shape(path: &str) -> String {
    let mut shape = String::with_capacity(path.len());
    let mut in_parameter = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_parameter = true;
                shape.push('{');
            }
            '}' => {
                in_parameter = false;
                shape.push('}');
            }
            _ if in_parameter => {}
            _ => shape.push(c),
        }
    }
    shape
}

/// Every operation of `document` with its operationId, in document order.
pub fn operations(document: &Value) -> Vec<(OperationKey, Option<String>)> {
    let mut found = Vec::new();
    let Some(paths) = document.get("paths").and_then(Value::as_object) else {
        return found;
    };
    for (path, item) in paths {
        for method in OPERATION_METHODS {
            if let Some(operation) = item.get(method) {
                found.push((
                    OperationKey {
                        method: method.to_ascii_uppercase(),
                        path: path.clone(),
                    },
                    operation
                        .get("operationId")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                ));
            }
        }
    }
    found
}

/// Resolves `--keep` entries (operationIds of `document`, `METHOD /path`, or
/// `all`) to the operations of `document` they name, in document order.
/// An entry with a leading `!` leaves the operations it names out, whatever
/// the other entries say; one that names nothing is no error, since the
/// vendor may remove an operation the rule leaves out. Any other entry that
/// names no operation is an error listing what exists.
pub fn resolve(document: &Value, requested: &[String]) -> Result<Vec<OperationKey>, String> {
    let available = operations(document);
    let mut keep: Vec<OperationKey> = Vec::new();
    let mut excluded: Vec<OperationKey> = Vec::new();
    let mut unknown = Vec::new();
    for entry in requested
        .iter()
        .map(|entry| entry.trim())
        .filter(|entry| !entry.is_empty())
    {
        if let Some(left_out) = entry.strip_prefix('!') {
            excluded.extend(matching(&available, left_out.trim()).into_iter().cloned());
            continue;
        }
        let matched = matching(&available, entry);
        if matched.is_empty() {
            unknown.push(format!("`{entry}`"));
        }
        for key in matched {
            if !keep.contains(key) {
                keep.push(key.clone());
            }
        }
    }
    if !unknown.is_empty() {
        let listed: Vec<String> = available
            .iter()
            .map(|(key, _)| format!("`{key}`"))
            .collect();
        return Err(format!(
            "no operation matches {} (operations are matched by method and path, parameter names ignored); the document has: {}",
            unknown.join(", "),
            if listed.is_empty() {
                "no operations".to_string()
            } else {
                listed.join(", ")
            }
        ));
    }
    keep.retain(|key| !excluded.contains(key));
    if keep.is_empty() {
        return Err("no operations to keep: pass --keep with an operation (`GET /path`, an operationId, or `all`)".to_string());
    }
    // Document order, whatever order --keep named them in.
    keep.sort_by_key(|key| available.iter().position(|(known, _)| known == key));
    Ok(keep)
}

/// The operations one `--keep` entry names: `all`, `METHOD /path` (by
/// method and path template), or an operationId.
fn matching<'a>(
    available: &'a [(OperationKey, Option<String>)],
    entry: &str,
) -> Vec<&'a OperationKey> {
    if entry == "all" {
        available.iter().map(|(key, _)| key).collect()
    } else if let Some(wanted) = OperationKey::parse(entry) {
        available
            .iter()
            .map(|(key, _)| key)
            .filter(|key| wanted.same_operation(&key.method, &key.path))
            .collect()
    } else {
        available
            .iter()
            .filter(|(_, id)| id.as_deref() == Some(entry))
            .map(|(key, _)| key)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn document() -> Value {
        json!({"paths": {
            "/users/{user_id}/sessions": {"get": {"operationId": "list_sessions_api_get"},
                                          "post": {"operationId": "create_session_api_post"}},
            "/system": {"get": {}}
        }})
    }

    fn keys(entries: &[&str]) -> Result<Vec<String>, String> {
        let requested: Vec<String> = entries.iter().map(|entry| entry.to_string()).collect();
        resolve(&document(), &requested).map(|keys| keys.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn methods_and_paths_match_whatever_the_parameter_names() {
        assert_eq!(
            keys(&["get /users/{custom_user_id}/sessions"]),
            Ok(vec!["GET /users/{user_id}/sessions".to_string()])
        );
        assert_eq!(
            keys(&["create_session_api_post", "GET /system"]),
            // Document order, not the order of --keep.
            Ok(vec![
                "GET /system".to_string(),
                "POST /users/{user_id}/sessions".to_string()
            ])
        );
        assert_eq!(keys(&["all"]).map(|keys| keys.len()), Ok(3));
    }

    #[test]
    fn a_bang_leaves_an_operation_out_and_may_name_nothing() {
        assert_eq!(
            keys(&["all", "!POST /users/{id}/sessions", "!DELETE /gone"]),
            Ok(vec![
                "GET /users/{user_id}/sessions".to_string(),
                "GET /system".to_string()
            ])
        );
        // An operation the vendor adds later is kept by the same rule.
        let mut grown = document();
        grown["paths"]["/new"] = json!({"post": {}});
        let rule = vec!["all".to_string(), "!create_session_api_post".to_string()];
        let kept = resolve(&grown, &rule).expect("resolves");
        assert!(
            kept.iter().any(|key| key.to_string() == "POST /new"),
            "{kept:?}"
        );
        assert!(
            keys(&["!all"]).is_err(),
            "a rule that keeps nothing is refused"
        );
    }

    #[test]
    fn unknown_entries_are_named_with_what_exists() {
        let error = keys(&["DELETE /system", "nope"]).expect_err("refused");
        assert!(error.contains("`DELETE /system`, `nope`"), "{error}");
        assert!(error.contains("`GET /system`"), "{error}");
        assert!(keys(&[" "]).is_err());
    }
}
