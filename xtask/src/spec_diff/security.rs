//! Comparing what credentials an operation needs.
//!
//! Schemes are compared by what the client sends (an API key in header
//! `X-Foo`, HTTP bearer...), not by their component names, so renaming a
//! scheme is not a change. Every scheme an operation names counts as
//! required: the alternatives of a requirement list are not told apart
//! (FastAPI lists one alternative per dependency even when all are needed).

use openapiv3::{APIKeyLocation, SecurityScheme};

use super::Differ;
use super::operations::OperationAt;
use super::resolve::Resolver;
use super::rules::Rule;
use crate::error::XtaskError;
use crate::json_pointer;

/// A scheme the operation requires: its component name and what it asks of
/// the client.
struct Requirement {
    name: String,
    sends: String,
}

fn sends(name: &str, scheme: &SecurityScheme) -> String {
    match scheme {
        SecurityScheme::APIKey { location, name, .. } => {
            let location = match location {
                APIKeyLocation::Query => "query parameter",
                APIKeyLocation::Header => "header",
                APIKeyLocation::Cookie => "cookie",
            };
            format!("an API key in {location} `{name}`")
        }
        SecurityScheme::HTTP { scheme, .. } => format!("HTTP `{scheme}` authentication"),
        SecurityScheme::OAuth2 { .. } => format!("OAuth 2.0 credentials (`{name}`)"),
        SecurityScheme::OpenIDConnect {
            open_id_connect_url,
            ..
        } => format!("OpenID Connect credentials from `{open_id_connect_url}`"),
    }
}

/// The requirements in effect and the pointer of the list that sets them.
fn requirements<'a>(
    resolver: &Resolver<'a>,
    at: &OperationAt<'a>,
) -> Result<(Vec<Requirement>, String), XtaskError> {
    let (list, pointer) = match &at.operation.security {
        Some(list) => (list, json_pointer::push(&at.pointer, "security")),
        None => match &resolver.document.security {
            Some(list) => (list, "/security".to_string()),
            None => return Ok((Vec::new(), json_pointer::push(&at.pointer, "security"))),
        },
    };
    let mut requirements: Vec<Requirement> = Vec::new();
    for alternative in list {
        for name in alternative.keys() {
            if requirements.iter().any(|known| &known.name == name) {
                continue;
            }
            let scheme = resolver.security_scheme(name)?;
            requirements.push(Requirement {
                name: name.clone(),
                sends: sends(name, scheme),
            });
        }
    }
    Ok((requirements, pointer))
}

impl<'a> Differ<'a> {
    pub(crate) fn security(
        &mut self,
        old: &OperationAt<'a>,
        new: &OperationAt<'a>,
    ) -> Result<(), XtaskError> {
        let (old_requirements, old_pointer) = requirements(&self.old, old)?;
        let (new_requirements, new_pointer) = requirements(&self.new, new)?;
        let mut added: Vec<&Requirement> = new_requirements
            .iter()
            .filter(|new| !old_requirements.iter().any(|old| old.sends == new.sends))
            .collect();
        let mut removed: Vec<&Requirement> = old_requirements
            .iter()
            .filter(|old| !new_requirements.iter().any(|new| new.sends == old.sends))
            .collect();

        // The same scheme name asking for something else: the scheme changed.
        removed.retain(
            |old| match added.iter().position(|new| new.name == old.name) {
                Some(index) => {
                    let new = added.remove(index);
                    self.report(
                        Rule::SecuritySchemeChanged,
                        json_pointer::push("/components/securitySchemes", &new.name),
                        format!(
                            "Security scheme `{}` changed from {} to {}.",
                            new.name, old.sends, new.sends
                        ),
                    );
                    false
                }
                None => true,
            },
        );
        for requirement in added {
            self.report(
                Rule::SecurityRequirementAdded,
                new_pointer.clone(),
                format!(
                    "The operation now requires {} (scheme `{}`).",
                    requirement.sends, requirement.name
                ),
            );
        }
        for requirement in removed {
            self.report(
                Rule::SecurityRequirementRemoved,
                old_pointer.clone(),
                format!(
                    "The operation no longer requires {} (scheme `{}`).",
                    requirement.sends, requirement.name
                ),
            );
        }
        Ok(())
    }
}
