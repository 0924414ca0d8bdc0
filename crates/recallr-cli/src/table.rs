//! The shapes of the generated command table (`commands.rs`): what one
//! operation is, as the command line sees it. Read at run time to build
//! the clap tree, read the arguments and render the answer.

/// One operation of the API, one command.
#[derive(Debug)]
pub struct Operation {
    /// The spec's operationId, which names the generated builder.
    pub id: &'static str,
    /// Where the command sits: `["sessions", "add-message"]`, or one word.
    pub command: &'static [&'static str],
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template.
    pub path: &'static str,
    /// The spec's summary: the command's one-line help.
    pub summary: &'static str,
    /// The spec's description: the command's long help.
    pub description: &'static str,
    /// Path, query and body parameters, each a flag.
    pub params: &'static [Param],
    /// Whether the operation takes a JSON body (`--body`).
    pub has_body: bool,
    /// Whether success is a 204 without a body.
    pub no_content: bool,
    /// The array field that holds a list answer's items.
    pub items: Option<&'static str>,
    /// The one field that wraps a single answer (`{"user": {...}}`).
    pub unwrap: Option<&'static str>,
    /// How the list pages, when it does.
    pub paging: Option<Paging>,
    /// Table columns for listed items.
    pub columns: &'static [Column],
    /// The boolean parameter that turns the answer into Server-Sent Events.
    pub stream: Option<&'static str>,
}

/// Where a parameter goes in the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    Path,
    Query,
    Body,
}

/// What a parameter's value is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Text,
    Uuid,
    Integer,
    Number,
    Boolean,
    DateTime,
    /// A JSON value (a body's object or array).
    Json,
    /// A string that must hold a JSON object (a metadata filter).
    JsonText,
    /// A string from a list of known values; others are sent with a warning.
    Enum,
}

/// One flag.
#[derive(Debug)]
pub struct Param {
    /// The spec's name (the query key, body field or path placeholder).
    pub name: &'static str,
    /// The long flag, without `--`.
    pub flag: &'static str,
    pub place: Place,
    pub kind: Kind,
    /// Repeatable (an array query parameter).
    pub many: bool,
    pub required: bool,
    /// The values the spec lists (from `recallr_api::facts`).
    pub values: &'static [&'static str],
    /// Bounds (integer query bounds from `recallr_api::facts`).
    pub min: Option<f64>,
    pub max: Option<f64>,
    /// The API's default, shown in help.
    pub default: Option<&'static str>,
    pub help: &'static str,
    /// What it names, in messages: "session", "recall strategy".
    pub noun: &'static str,
}

/// A list's paging parameters and answer fields.
#[derive(Debug)]
pub struct Paging {
    pub offset: &'static str,
    pub limit: &'static str,
    /// The field that identifies an item (duplicates are dropped).
    pub id: Option<&'static str>,
    pub has_more: &'static str,
    pub total: Option<&'static str>,
    pub pager: Pager,
}

/// Which pager walks a list with `--all`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pager {
    /// recallr-ext's exactly-once sessions pager.
    Sessions,
    /// The CLI's offset walk with duplicates dropped (no item twice; items
    /// may be missed if others are deleted during the walk, which is
    /// reported). The generic pager of recallr-ext replaces it.
    OffsetWalk,
}

/// One table column.
#[derive(Debug)]
pub struct Column {
    pub field: &'static str,
    pub kind: Kind,
    pub width: usize,
}

impl Operation {
    /// The parameter with this spec name.
    pub fn param(&self, name: &str) -> Option<&'static Param> {
        self.params.iter().find(|param| param.name == name)
    }

    /// The path parameters, innermost first: what the command acts on.
    pub fn targets(&self) -> impl Iterator<Item = &'static Param> {
        self.params
            .iter()
            .filter(|param| param.place == Place::Path)
            .rev()
    }
}
