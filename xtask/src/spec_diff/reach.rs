//! Comparing each pair of schema components once, and saying how many
//! places reach it.
//!
//! A pair is an old and a new schema both reached through a `$ref` (the
//! old and the new component), compared in one direction ([`Subject`]).
//! Walking every path from every operation would compare a component once
//! per path, which is exponential when components nest (a schema that
//! references the next twice, 40 deep, has 2^40 paths to the last one).
//! So the diff walks the documents twice, each pair entered at most once
//! per walk:
//!
//! 1. *Discover*: compare each pair once, at its component, and record the
//!    places that use it. Uses from inside a pair being compared (recursion)
//!    are left out, so the uses form a DAG, whose paths are counted.
//! 2. *Report*: the same walk again. A pair reached by one path is compared
//!    where the client meets it, as if the `$ref` were inlined; a pair
//!    reached by several is compared once at its component, and its changes
//!    carry the count and the first few places ([`Reach`]).
//!
//! Both walks make the same decisions in the same order, so the ids given
//! to pairs in the first walk name the same pairs in the second.

use std::collections::HashMap;

use indexmap::IndexMap;

use super::{Reach, Subject};

/// How many places a change reached from several shows.
pub const REACH_EXAMPLES: usize = 3;

/// The identity of a pair: both components and the direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct PairKey<'a> {
    pub subject: Subject,
    /// The old side's last `$ref`, e.g. `#/components/schemas/Foo`.
    pub old: &'a str,
    /// The new side's last `$ref`.
    pub new: &'a str,
}

/// What to do on meeting a pair.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Enter {
    /// Compared already, or being compared further up (recursion).
    Skip,
    /// Compare it where it is met (reached by one path).
    InPlace,
    /// Compare it at its component (discovery, or reached by several paths).
    AtComponent,
}

/// One pair and the places that use it.
struct Node {
    /// The pointer of the new component, which relative uses extend.
    base: String,
    /// Each use: the pair it sits in (`None`: outside any pair, so the
    /// pointer is absolute) and its pointer relative to that pair's
    /// component.
    uses: Vec<(Option<usize>, String)>,
}

enum Pass {
    Discover,
    Report {
        /// Per pair id: how many paths reach it.
        reach: Vec<Reach>,
    },
}

/// The pairs of one diff, across both walks.
pub(crate) struct Pairs<'a> {
    pass: Pass,
    /// Pairs entered in this walk, with their ids.
    entered: HashMap<PairKey<'a>, usize>,
    /// Ids found by the discovery walk (kept for the report walk).
    discovered: HashMap<PairKey<'a>, usize>,
    nodes: Vec<Node>,
    /// Pairs being compared, outermost first, and whether each one reports
    /// at its component.
    open: Vec<(usize, bool)>,
    /// Ids in the order their comparison finished (discovery walk).
    finished: Vec<usize>,
}

impl<'a> Pairs<'a> {
    pub fn new() -> Self {
        Pairs {
            pass: Pass::Discover,
            entered: HashMap::new(),
            discovered: HashMap::new(),
            nodes: Vec::new(),
            open: Vec::new(),
            finished: Vec::new(),
        }
    }

    /// Whether the walk is the discovery one, whose changes are dropped.
    pub fn discovering(&self) -> bool {
        matches!(self.pass, Pass::Discover)
    }

    /// Meets `key` at the place whose new-document pointer is `at`. Every
    /// result but [`Enter::Skip`] must be followed by [`Pairs::leave`].
    pub fn enter(&mut self, key: PairKey<'a>, at: &str) -> Enter {
        match &self.pass {
            Pass::Discover => {
                let parent = self.open.last().map(|&(id, _)| id);
                let pointer = match parent.and_then(|id| self.nodes.get(id)) {
                    // Inside a pair, places are relative to its component.
                    Some(node) => at.strip_prefix(&node.base).unwrap_or(at).to_string(),
                    None => at.to_string(),
                };
                if let Some(&id) = self.entered.get(&key) {
                    // A use from inside the pair itself is recursion, not a
                    // path, so it is not counted.
                    let recursive = self.open.iter().any(|&(open, _)| open == id);
                    if !recursive && let Some(node) = self.nodes.get_mut(id) {
                        node.uses.push((parent, pointer));
                    }
                    return Enter::Skip;
                }
                let id = self.nodes.len();
                self.nodes.push(Node {
                    base: component_pointer(key.new),
                    uses: vec![(parent, pointer)],
                });
                self.entered.insert(key, id);
                self.open.push((id, true));
                Enter::AtComponent
            }
            Pass::Report { reach } => {
                if self.entered.contains_key(&key) {
                    return Enter::Skip;
                }
                // Both walks meet the same pairs, so the discovered id is
                // there; were it not, comparing in place is still correct.
                let id = self.discovered.get(&key).copied().unwrap_or(usize::MAX);
                let shared = reach.get(id).is_some_and(|reach| reach.count > 1);
                self.entered.insert(key, id);
                self.open.push((id, shared));
                if shared {
                    Enter::AtComponent
                } else {
                    Enter::InPlace
                }
            }
        }
    }

    /// Ends the comparison of the pair entered last.
    pub fn leave(&mut self) {
        if let Some((id, _)) = self.open.pop()
            && self.discovering()
        {
            self.finished.push(id);
        }
    }

    /// Ends the discovery walk: counts the paths to each pair and starts
    /// the report walk.
    pub fn start_reporting(&mut self) {
        let mut reach: Vec<Reach> = vec![
            Reach {
                count: 0,
                places: Vec::new(),
            };
            self.nodes.len()
        ];
        // A pair's uses all sit in pairs that finished after it (uses from
        // pairs still open were recursion, left out), so the reverse
        // finishing order settles every user before the pairs it uses.
        for &id in self.finished.iter().rev() {
            let Some(node) = self.nodes.get(id) else {
                continue;
            };
            let mut count: u64 = 0;
            let mut places: Vec<String> = Vec::new();
            // Uses grouped by the pair they sit in, so that the places come
            // out in walk order: each user's places, each extended by that
            // user's uses.
            let mut users: IndexMap<Option<usize>, Vec<&String>> = IndexMap::new();
            for (user, pointer) in &node.uses {
                users.entry(*user).or_default().push(pointer);
            }
            for (user, pointers) in users {
                match user.and_then(|user| reach.get(user)) {
                    None => {
                        count = count.saturating_add(pointers.len() as u64);
                        places.extend(
                            pointers
                                .into_iter()
                                .take(REACH_EXAMPLES.saturating_sub(places.len()))
                                .cloned(),
                        );
                    }
                    Some(user) => {
                        // The count saturates: a document can have more
                        // paths than a u64 counts, never fewer.
                        count =
                            count.saturating_add(user.count.saturating_mul(pointers.len() as u64));
                        for place in &user.places {
                            for pointer in &pointers {
                                if places.len() < REACH_EXAMPLES {
                                    places.push(format!("{place}{pointer}"));
                                }
                            }
                        }
                    }
                }
            }
            if let Some(slot) = reach.get_mut(id) {
                *slot = Reach { count, places };
            }
        }
        self.discovered = std::mem::take(&mut self.entered);
        self.open.clear();
        self.pass = Pass::Report { reach };
    }

    /// The reach of the innermost pair reported at its component, which
    /// every change found inside it carries.
    pub fn current(&self) -> Option<&Reach> {
        let Pass::Report { reach } = &self.pass else {
            return None;
        };
        self.open
            .iter()
            .rev()
            .find(|&&(_, shared)| shared)
            .and_then(|&(id, _)| reach.get(id))
    }
}

/// `#/components/schemas/Foo` as a pointer: `/components/schemas/Foo`.
pub(crate) fn component_pointer(reference: &str) -> String {
    reference.strip_prefix('#').unwrap_or(reference).to_string()
}
