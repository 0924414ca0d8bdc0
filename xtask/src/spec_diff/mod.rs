//! `cargo xtask spec diff`: what changed between two OpenAPI 3.0 documents,
//! judged from a client's side.
//!
//! Every path and operation of both documents is walked in parallel,
//! following `$ref`s. A change inside a schema component is reported where
//! a client meets it (a response property's pointer under the operation)
//! when one path leads there; when several do, it is reported once, at the
//! component, with how many places reach it and the first few of them
//! ([`Reach`]). Each pair of components is compared once, so the time is
//! linear in the size of the documents. Titles, descriptions, examples and
//! key order are ignored.

mod operations;
mod reach;
pub mod report;
mod resolve;
pub mod rules;
mod schema;
mod security;
mod shape;

use std::collections::HashSet;
use std::path::Path;

use crate::error::XtaskError;
use crate::spec::{self, Spec};
use reach::Pairs;
pub use reach::REACH_EXAMPLES;
use resolve::Resolver;
pub use rules::{Class, Rule};

/// One change between two documents.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Change {
    /// What kind of change it is.
    pub rule: Rule,
    /// RFC 6901 pointer to the place in the new document (in the old one for
    /// removals). Under `/components/schemas/` when several places reach it.
    pub pointer: String,
    /// One sentence for a person.
    pub message: String,
    /// For a change inside a component that several places reach: how many
    /// and which. `None` when the pointer is the one place a client meets it.
    pub reach: Option<Reach>,
}

/// The places that reach a component whose change is reported once.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Reach {
    /// How many paths from an operation lead to the component (uses from
    /// inside a recursive schema not counted). Saturates at `u64::MAX`.
    pub count: u64,
    /// The first [`REACH_EXAMPLES`] of those places, pointers into the new
    /// document, in the order the walk meets them.
    pub places: Vec<String>,
}

/// What the schema describes, which decides the direction and the rule ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Subject {
    /// A request parameter (sent by the client).
    Parameter,
    /// A request body (sent by the client).
    RequestBody,
    /// A response body (read by the client).
    Response,
}

impl Subject {
    pub(crate) fn is_request(self) -> bool {
        !matches!(self, Subject::Response)
    }

    pub(crate) fn type_changed(self) -> Rule {
        match self {
            Subject::Parameter => Rule::ParameterTypeChanged,
            Subject::RequestBody => Rule::RequestPropertyTypeChanged,
            Subject::Response => Rule::ResponsePropertyTypeChanged,
        }
    }
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
        reported: HashSet::new(),
        stack: Vec::new(),
        pairs: Pairs::new(),
    };
    // The first walk finds which components several places reach; the
    // second reports (see `reach`).
    differ.paths()?;
    differ.pairs.start_reporting();
    differ.stack.clear();
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
    /// `changes` as a set, to drop repeats without a quadratic search.
    reported: HashSet<Change>,
    /// The component pairs being compared, outermost first: meeting one
    /// again means the schema is recursive.
    stack: Vec<(Option<&'a str>, Option<&'a str>)>,
    /// Which pairs of schema components were compared, and how many places
    /// reach each.
    pairs: Pairs<'a>,
}

impl Differ<'_> {
    fn report(&mut self, rule: Rule, pointer: String, message: String) {
        if self.pairs.discovering() {
            return;
        }
        let change = Change {
            rule,
            pointer,
            message,
            reach: self.pairs.current().cloned(),
        };
        // A component shared by several operations (a security scheme) is
        // met once per operation but changed once.
        if self.reported.insert(change.clone()) {
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
