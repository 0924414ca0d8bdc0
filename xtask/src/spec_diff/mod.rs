//! `cargo xtask spec diff`: what changed between two OpenAPI 3.0 documents,
//! judged from a client's side.
//!
//! Every path and operation of both documents is walked in parallel,
//! following `$ref`s, so a change inside a shared component is reported at
//! each place a client meets it (a response property's pointer under the
//! operation, not the component's). Titles, descriptions, examples and key
//! order are ignored.

mod operations;
pub mod report;
mod resolve;
pub mod rules;
mod schema;
mod security;
mod shape;

use std::path::Path;

use crate::error::XtaskError;
use crate::spec::{self, Spec};
use resolve::Resolver;
pub use rules::{Class, Rule};

/// One change between two documents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What kind of change it is.
    pub rule: Rule,
    /// RFC 6901 pointer to the place in the new document (in the old one for
    /// removals).
    pub pointer: String,
    /// One sentence for a person.
    pub message: String,
}

impl Change {
    /// The class of the change's rule.
    pub fn class(&self) -> Class {
        self.rule.class()
    }
}

/// Compares two loaded documents; `old` and `new` name them in errors.
pub fn diff(old: &Spec, new: &Spec) -> Result<Vec<Change>, XtaskError> {
    let mut differ = Differ {
        old: Resolver {
            document: &old.document,
            path: &old.path,
        },
        new: Resolver {
            document: &new.document,
            path: &new.path,
        },
        changes: Vec::new(),
        stack: Vec::new(),
    };
    differ.paths()?;
    Ok(differ.changes)
}

/// Loads and compares the OpenAPI 3.0 documents at `old` and `new`.
pub fn diff_files(old: &Path, new: &Path) -> Result<Vec<Change>, XtaskError> {
    diff(&spec::load(old)?, &spec::load(new)?)
}

/// The most severe class among `changes`, if any.
pub fn worst(changes: &[Change]) -> Option<Class> {
    changes.iter().map(Change::class).max()
}

/// The walk over both documents; the comparisons live in the submodules.
pub(crate) struct Differ<'a> {
    old: Resolver<'a>,
    new: Resolver<'a>,
    changes: Vec<Change>,
    /// The component pairs being compared, outermost first: meeting one
    /// again means the schema is recursive.
    stack: Vec<(Option<&'a str>, Option<&'a str>)>,
}

impl Differ<'_> {
    fn report(&mut self, rule: Rule, pointer: String, message: String) {
        let change = Change {
            rule,
            pointer,
            message,
        };
        // A component shared by several operations (a security scheme) is
        // met once per operation but changed once.
        if !self.changes.contains(&change) {
            self.changes.push(change);
        }
    }
}

/// `text` with its first letter upper-cased, for messages that start with
/// a name.
fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
