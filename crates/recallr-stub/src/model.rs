//! The data model: what the stub stores for each user, independent of
//! where it is kept (`store`) and how it is served (`resources`).

use std::cmp::Ordering;
use std::collections::{HashMap, HashSet};
use std::hash::Hash;
use std::ops::Deref;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use recallr_api::types::{Memory, MergeConflict, Message, SessionInfo, SessionStatus, UserInfo};
use serde_json::{Map, Value};
use uuid::Uuid;

/// One stored session. Metadata is shared (`Arc`) so that generated users
/// with a million sessions hold a few hundred metadata objects, not a
/// million.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub session_id: Uuid,
    pub created_at: DateTime<Utc>,
    pub status: SessionStatus,
    pub metadata: Arc<Map<String, Value>>,
    /// Every other field as JSON: the optional fields of `SessionInfo` and
    /// unknown ones alike, so a field upstream adds is served back whether
    /// the regenerated type knows it or not.
    pub extra: Arc<Map<String, Value>>,
}

/// The fields a `Record` holds in its own typed columns.
const INDEXED_FIELDS: [&str; 4] = ["session_id", "created_at", "status", "metadata"];

impl Record {
    /// A session without a status is stored as `pending`, the state every
    /// session starts in, because every listed session carries a status.
    pub fn from_info(info: SessionInfo) -> Self {
        let mut extra = match serde_json::to_value(&info) {
            Ok(Value::Object(fields)) => fields,
            _ => info.extra.clone(),
        };
        for field in INDEXED_FIELDS {
            extra.remove(field);
        }
        Self {
            session_id: info.session_id,
            created_at: info.created_at,
            status: info.status.unwrap_or(SessionStatus::Pending),
            metadata: Arc::new(info.metadata),
            extra: Arc::new(extra),
        }
    }

    pub fn to_info(&self) -> SessionInfo {
        let mut info = SessionInfo::new(self.created_at, (*self.metadata).clone(), self.session_id);
        info.status = Some(self.status.clone());
        if self.extra.is_empty() {
            return info;
        }
        // The other fields go back through serde, which puts each in its
        // typed field or in `extra`; they came from a `SessionInfo`, so this
        // cannot fail, but if it did the fields would still be served.
        let mut fields = match serde_json::to_value(&info) {
            Ok(Value::Object(fields)) => fields,
            _ => Map::new(),
        };
        fields.extend(
            self.extra
                .iter()
                .map(|(key, value)| (key.clone(), value.clone())),
        );
        serde_json::from_value(Value::Object(fields)).unwrap_or_else(|_| {
            info.extra = (*self.extra).clone();
            info
        })
    }
}

/// A user's own fields.
#[derive(Debug, Clone)]
pub(crate) struct UserMeta {
    pub created_at: DateTime<Utc>,
    pub last_active_at: DateTime<Utc>,
    pub metadata: Map<String, Value>,
    pub merge_conflict_enabled: Option<bool>,
}

impl Default for UserMeta {
    /// Users made without the API (generated, loaded, inserted) were
    /// created at [`crate::timestamp(0)`].
    fn default() -> Self {
        Self {
            created_at: crate::timestamp(0),
            last_active_at: crate::timestamp(0),
            metadata: Map::new(),
            merge_conflict_enabled: None,
        }
    }
}

impl UserMeta {
    pub fn to_info(&self, id: &str) -> UserInfo {
        let mut info = UserInfo::new(
            self.created_at,
            id.to_string(),
            self.last_active_at,
            self.metadata.clone(),
        );
        info.merge_conflict_enabled = self.merge_conflict_enabled;
        info
    }
}

/// The timers of a session that the clock moves on: created through the
/// API (auto-processing) or being processed.
#[derive(Debug, Clone)]
pub(crate) struct SessionLife {
    /// `auto_process_after_seconds`, for sessions created through the API.
    pub auto_process_after: Option<i64>,
    /// Creation or the last message: the auto-process timer's start.
    pub last_activity: DateTime<Utc>,
    /// When processing started, once it has.
    pub processing_since: Option<DateTime<Utc>>,
}

/// Everything of one user; deleting the user drops it all.
#[derive(Debug, Default)]
pub(crate) struct UserData {
    pub meta: UserMeta,
    pub sessions: crate::store::UserSessions,
    pub life: HashMap<Uuid, SessionLife>,
    /// Per session, chronological.
    pub messages: HashMap<Uuid, Vec<Message>>,
    /// Current memories, in insertion order.
    pub memories: Listed<Memory>,
    pub conflicts: Listed<MergeConflict>,
    /// Conflicts resolved through the API and when they were queued.
    pub queued: HashMap<Uuid, DateTime<Utc>>,
}

/// How many list orders a [`Listed`] keeps.
const ORDERS: usize = 2;

/// Items in insertion order, plus the orders they are listed in, each
/// sorted on the first list after a change and kept until the next: a page
/// of a million memories is then a slice of an index, not a sort.
#[derive(Debug)]
pub(crate) struct Listed<T> {
    items: Vec<T>,
    orders: [OnceLock<Vec<usize>>; ORDERS],
}

impl<T> Default for Listed<T> {
    fn default() -> Self {
        Self::from(Vec::new())
    }
}

impl<T> From<Vec<T>> for Listed<T> {
    fn from(items: Vec<T>) -> Self {
        Self {
            items,
            orders: Default::default(),
        }
    }
}

impl<T> Deref for Listed<T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        &self.items
    }
}

impl<T> Listed<T> {
    /// Every change goes through here: the cached orders are dropped.
    fn changed(&mut self) -> &mut Vec<T> {
        self.orders = Default::default();
        &mut self.items
    }

    pub fn push(&mut self, item: T) {
        self.changed().push(item);
    }

    pub fn retain(&mut self, keep: impl FnMut(&T) -> bool) {
        self.changed().retain(keep);
    }

    pub fn remove(&mut self, at: usize) -> T {
        self.changed().remove(at)
    }

    pub fn insert(&mut self, at: usize, item: T) {
        self.changed().insert(at, item);
    }

    /// Mutable access to the item at `at` (its sort keys may change).
    pub fn get_mut(&mut self, at: usize) -> Option<&mut T> {
        self.changed().get_mut(at)
    }

    /// Adds `items`, each replacing the item with the same key, in one
    /// pass (repeated single replacements would be quadratic).
    pub fn upsert_all<K: Hash + Eq>(&mut self, items: Vec<T>, key: impl Fn(&T) -> K) {
        let new: HashSet<K> = items.iter().map(&key).collect();
        let all = self.changed();
        all.retain(|have| !new.contains(&key(have)));
        all.extend(items);
    }

    /// The items' indices in order number `slot` (below [`ORDERS`]), as
    /// `before` sorts them; the caller uses one `before` per slot.
    pub fn order(&self, slot: usize, before: impl Fn(&T, &T) -> Ordering) -> &[usize] {
        let Some(cell) = self.orders.get(slot) else {
            return &[];
        };
        cell.get_or_init(|| {
            let mut order: Vec<usize> = (0..self.items.len()).collect();
            order.sort_unstable_by(|&a, &b| before(&self.items[a], &self.items[b]));
            order
        })
    }
}
