//! The sessions the stub serves: per user, a vector kept in server order
//! (newest `created_at` first, then `session_id` descending), so an
//! unfiltered page is a slice and inserts and deletes are binary searches.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::{Arc, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};
use recallr_api::types::{SessionInfo, SessionStatus};
use serde::Deserialize;
use serde_json::{Map, Value};
use uuid::Uuid;

use crate::error::StubError;
use crate::filter::Filter;
use crate::model::{Record, UserData};

/// Server order: `Less` means "listed earlier".
fn order(a: (DateTime<Utc>, Uuid), b: (DateTime<Utc>, Uuid)) -> Ordering {
    b.0.cmp(&a.0).then(b.1.cmp(&a.1))
}

fn key(record: &Record) -> (DateTime<Utc>, Uuid) {
    (record.created_at, record.session_id)
}

/// One user's sessions.
#[derive(Debug, Default)]
pub(crate) struct UserSessions {
    sorted: Vec<Arc<Record>>,
    /// `session_id` to `created_at`, to find a session's place by id. Built
    /// on the first change by id, so loading a million sessions does not
    /// pay for it.
    created: Option<HashMap<Uuid, DateTime<Utc>>>,
    /// Sessions per status, counted by the first status-filtered request
    /// after a change, so that such requests stop scanning once their page
    /// is full instead of scanning everything to count `total`.
    status_counts: OnceLock<HashMap<SessionStatus, u64>>,
}

impl UserSessions {
    /// Builds from records in any order; the last of equal ids wins.
    pub fn from_records(records: Vec<Record>) -> Self {
        let mut latest: HashMap<Uuid, usize> = HashMap::with_capacity(records.len());
        for (index, record) in records.iter().enumerate() {
            latest.insert(record.session_id, index);
        }
        let unique = records
            .into_iter()
            .enumerate()
            .filter(|(index, record)| latest.get(&record.session_id) == Some(index))
            .map(|(_, record)| record)
            .collect();
        Self::from_unique_records(unique)
    }

    /// Builds from records in any order whose ids are known to differ.
    pub fn from_unique_records(records: Vec<Record>) -> Self {
        let mut sorted: Vec<Arc<Record>> = records.into_iter().map(Arc::new).collect();
        sorted.sort_unstable_by(|a, b| order(key(a), key(b)));
        Self {
            sorted,
            created: None,
            status_counts: OnceLock::new(),
        }
    }

    fn index(&mut self) -> &mut HashMap<Uuid, DateTime<Utc>> {
        let sorted = &self.sorted;
        self.created.get_or_insert_with(|| {
            sorted
                .iter()
                .map(|record| (record.session_id, record.created_at))
                .collect()
        })
    }

    fn position(&self, key: (DateTime<Utc>, Uuid)) -> Result<usize, usize> {
        self.sorted
            .binary_search_by(|probe| order((probe.created_at, probe.session_id), key))
    }

    pub fn insert(&mut self, record: Record) {
        self.remove(record.session_id);
        self.status_counts = OnceLock::new();
        self.index().insert(record.session_id, record.created_at);
        let at = match self.position(key(&record)) {
            Ok(at) | Err(at) => at,
        };
        self.sorted.insert(at, Arc::new(record));
    }

    pub fn remove(&mut self, id: Uuid) -> Option<Arc<Record>> {
        let created_at = self.index().remove(&id)?;
        self.status_counts = OnceLock::new();
        let at = self.position((created_at, id)).ok()?;
        Some(self.sorted.remove(at))
    }

    /// The session, for a change (of status) that keeps its place.
    pub fn get_mut(&mut self, id: Uuid) -> Option<&mut Arc<Record>> {
        let created_at = *self.index().get(&id)?;
        self.status_counts = OnceLock::new();
        let at = self.position((created_at, id)).ok()?;
        self.sorted.get_mut(at)
    }

    /// The session with this id.
    pub fn get(&mut self, id: Uuid) -> Option<Arc<Record>> {
        let created_at = *self.index().get(&id)?;
        let at = self.position((created_at, id)).ok()?;
        self.sorted.get(at).cloned()
    }

    /// Every session, in server order.
    pub fn iter(&self) -> impl Iterator<Item = &Arc<Record>> {
        self.sorted.iter()
    }

    /// The page at `offset` of at most `limit` matches, and the number of
    /// matches. Unfiltered pages are slices; status-filtered ones scan until
    /// the page is full (the total comes from per-status counts); pages with
    /// a metadata filter scan everything.
    pub fn page(&self, filter: &Filter, offset: u64, limit: usize) -> (Vec<Arc<Record>>, u64) {
        let offset = usize::try_from(offset).unwrap_or(usize::MAX);
        if filter.is_empty() {
            let start = offset.min(self.sorted.len());
            let end = start.saturating_add(limit).min(self.sorted.len());
            return (self.sorted[start..end].to_vec(), self.sorted.len() as u64);
        }
        if filter.metadata.is_none() {
            return self.status_page(filter, offset, limit);
        }
        let mut page = Vec::with_capacity(limit.min(self.sorted.len()));
        let mut total: usize = 0;
        for record in &self.sorted {
            if filter.matches(record) {
                if total >= offset && page.len() < limit {
                    page.push(Arc::clone(record));
                }
                total += 1;
            }
        }
        (page, total as u64)
    }

    fn status_page(&self, filter: &Filter, offset: usize, limit: usize) -> (Vec<Arc<Record>>, u64) {
        let counts = self.status_counts.get_or_init(|| {
            let mut counts = HashMap::new();
            for record in &self.sorted {
                *counts.entry(record.status.clone()).or_insert(0) += 1;
            }
            counts
        });
        let mut statuses = filter.statuses.clone();
        statuses.sort();
        statuses.dedup();
        let total = statuses
            .iter()
            .map(|status| counts.get(status).copied().unwrap_or(0))
            .sum();
        let page = self
            .sorted
            .iter()
            .filter(|record| filter.matches(record))
            .skip(offset)
            .take(limit)
            .cloned()
            .collect();
        (page, total)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Inner {
    pub users: Users,
}

/// Every user by id, plus the ids in list order, collected on the first
/// list after a user is added or removed: a page at offset 500,000 of a
/// million users is then a slice, not a walk of the tree.
#[derive(Debug, Default)]
pub(crate) struct Users {
    by_id: BTreeMap<String, UserData>,
    ids: OnceLock<Vec<String>>,
}

impl std::ops::Deref for Users {
    type Target = BTreeMap<String, UserData>;
    fn deref(&self) -> &Self::Target {
        &self.by_id
    }
}

impl Users {
    /// The user's data, to change (its id stays).
    pub fn get_mut(&mut self, id: &str) -> Option<&mut UserData> {
        self.by_id.get_mut(id)
    }

    pub fn insert(&mut self, id: String, data: UserData) -> Option<UserData> {
        self.ids = OnceLock::new();
        self.by_id.insert(id, data)
    }

    pub fn remove(&mut self, id: &str) -> Option<UserData> {
        self.ids = OnceLock::new();
        self.by_id.remove(id)
    }

    /// The user's data, made empty first if the user is new.
    pub fn get_or_default(&mut self, id: &str) -> &mut UserData {
        if !self.by_id.contains_key(id) {
            self.ids = OnceLock::new();
        }
        self.by_id.entry(id.to_string()).or_default()
    }

    /// Every id, in list order (sorted).
    pub fn ids(&self) -> &[String] {
        self.ids
            .get_or_init(|| self.by_id.keys().cloned().collect())
    }
}

/// The stub's data: users and their sessions, in server order.
///
/// A `Store` is a cheap, shared handle (`Arc<RwLock<..>>` inside): clones
/// see and make the same changes, so a test can change the data a running
/// [`StubServer`](crate::StubServer) serves, even while a client is paging.
///
/// ```
/// use recallr_stub::{Store, session_with_id};
/// use recallr_api::types::SessionStatus;
/// use chrono::{TimeZone, Utc};
/// use uuid::Uuid;
///
/// let store = Store::new();
/// let at = Utc.with_ymd_and_hms(2024, 1, 1, 0, 0, 0).unwrap();
/// let id = Uuid::from_u128(1);
/// store.insert("u1", session_with_id(id, at, SessionStatus::Pending, serde_json::json!({})));
/// assert!(store.set_status("u1", id, SessionStatus::Processed));
/// assert_eq!(store.len("u1"), 1);
/// assert!(store.delete("u1", id));
/// assert_eq!(store.sessions("u1").map(|s| s.len()), Some(0), "the user remains");
/// assert_eq!(store.sessions("nobody").map(|s| s.len()), None);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Store {
    inner: Arc<RwLock<Inner>>,
}

/// The seed data format: `{"users": {"<user id>": <user>}}`, where a
/// user is either a list of sessions (the original format) or an object
/// [`DataUser`].
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DataFile {
    users: BTreeMap<String, DataUserEntry>,
}

/// A user in a data file, in its full form: every field is optional.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct DataUser {
    #[serde(default)]
    metadata: Map<String, Value>,
    #[serde(default)]
    created_at: Option<DateTime<Utc>>,
    #[serde(default)]
    merge_conflict_enabled: Option<bool>,
    #[serde(default)]
    sessions: Vec<SessionInfo>,
    /// `{"<session_id>": [<Message>, ...]}`, each list chronological.
    #[serde(default)]
    messages: BTreeMap<Uuid, Vec<recallr_api::types::Message>>,
    #[serde(default)]
    memories: Vec<recallr_api::types::Memory>,
    #[serde(default)]
    merge_conflicts: Vec<recallr_api::types::MergeConflict>,
}

/// A list of sessions or a [`DataUser`].
struct DataUserEntry(DataUser);

impl<'de> Deserialize<'de> for DataUserEntry {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = DataUserEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a list of sessions or a user object")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                seq: A,
            ) -> Result<Self::Value, A::Error> {
                let sessions = Vec::<SessionInfo>::deserialize(
                    serde::de::value::SeqAccessDeserializer::new(seq),
                )?;
                Ok(DataUserEntry(DataUser {
                    sessions,
                    ..DataUser::default()
                }))
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                map: A,
            ) -> Result<Self::Value, A::Error> {
                DataUser::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(DataUserEntry)
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl Store {
    /// An empty store: no users.
    pub fn new() -> Self {
        Self::default()
    }

    /// Users `user-0` … `user-{users-1}`, each with `sessions_per_user`
    /// sessions, the same for the same arguments. Statuses cover all five
    /// documented values, metadata is nested (for example
    /// `{"topic": "billing", "lang": {"code": "en"}, "priority": 3}`), and
    /// `created_at` is spread over time with some exact ties. A user's data
    /// depends only on `seed`, the user's index and `sessions_per_user`.
    ///
    /// ```
    /// let store = recallr_stub::Store::generate(2, 50, 7);
    /// assert_eq!(store.len("user-1"), 50);
    /// let again = recallr_stub::Store::generate(2, 50, 7);
    /// let ids = |s: &recallr_stub::Store| {
    ///     s.sessions("user-0").unwrap_or_default().iter().map(|s| s.session_id).collect::<Vec<_>>()
    /// };
    /// assert_eq!(ids(&store), ids(&again));
    /// ```
    pub fn generate(users: usize, sessions_per_user: usize, seed: u64) -> Self {
        let store = Self::new();
        {
            let mut inner = store.write();
            for index in 0..users {
                let records = crate::generate::user_sessions(seed, index as u64, sessions_per_user);
                // Random v4 ids: 122 random bits do not collide.
                inner.users.insert(
                    format!("user-{index}"),
                    UserData {
                        sessions: UserSessions::from_unique_records(records),
                        ..UserData::default()
                    },
                );
            }
        }
        store
    }

    /// Loads `{"users": {"<user id>": [<SessionInfo as the API returns it>, ...]}}`.
    /// A session without `status` is stored as `pending`; unknown fields of
    /// a session are kept and served. A `session_id` may appear once per
    /// user.
    ///
    /// ```
    /// let store = recallr_stub::Store::from_json(r#"{"users": {"u1": [
    ///     {"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    ///      "status": "pending", "created_at": "2023-11-07T05:31:56Z", "metadata": {}}
    /// ], "u2": []}}"#)?;
    /// assert_eq!(store.len("u1"), 1);
    /// assert!(recallr_stub::Store::from_json(r#"{"users": {"u1": [{}]}}"#).is_err());
    /// # Ok::<(), recallr_stub::StubError>(())
    /// ```
    pub fn from_json(text: &str) -> Result<Self, StubError> {
        Self::parse(text, None)
    }

    /// Reads a file in the [`from_json`](Self::from_json) format.
    pub fn from_file(path: &Path) -> Result<Self, StubError> {
        let text = std::fs::read_to_string(path).map_err(|source| StubError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        Self::parse(&text, Some(path))
    }

    fn parse(text: &str, path: Option<&Path>) -> Result<Self, StubError> {
        let invalid = |message: String| StubError::Invalid {
            path: path.map(Path::to_path_buf),
            message,
        };
        if !text.trim_start().starts_with('{') {
            return Err(invalid(
                "expected a JSON object of the form {\"users\": {\"<user id>\": [<session>, ...]}}"
                    .to_string(),
            ));
        }
        let mut deserializer = serde_json::Deserializer::from_str(text);
        let data: DataFile =
            serde_path_to_error::deserialize(&mut deserializer).map_err(|error| {
                let at = error.path().to_string();
                let inner = error.into_inner();
                if at.is_empty() || at == "." {
                    invalid(inner.to_string())
                } else {
                    invalid(format!("at {at}: {inner}"))
                }
            })?;
        deserializer
            .end()
            .map_err(|error| invalid(error.to_string()))?;
        let store = Self::new();
        {
            let mut inner = store.write();
            for (user, DataUserEntry(entry)) in data.users {
                let mut seen = std::collections::HashSet::with_capacity(entry.sessions.len());
                for session in &entry.sessions {
                    if !seen.insert(session.session_id) {
                        return Err(invalid(format!(
                            "user {user:?} has session_id {} twice",
                            session.session_id
                        )));
                    }
                }
                if let Some(id) = entry.messages.keys().find(|id| !seen.contains(id)) {
                    return Err(invalid(format!(
                        "user {user:?} has messages for session {id}, which it does not have"
                    )));
                }
                let records = entry.sessions.into_iter().map(Record::from_info).collect();
                let mut meta = crate::model::UserMeta {
                    metadata: entry.metadata,
                    merge_conflict_enabled: entry.merge_conflict_enabled,
                    ..Default::default()
                };
                if let Some(created_at) = entry.created_at {
                    meta.created_at = created_at;
                    meta.last_active_at = created_at;
                }
                inner.users.insert(
                    user,
                    UserData {
                        meta,
                        sessions: UserSessions::from_unique_records(records),
                        messages: entry.messages.into_iter().collect(),
                        memories: entry.memories.into(),
                        conflicts: entry.merge_conflicts.into(),
                        ..UserData::default()
                    },
                );
            }
        }
        Ok(store)
    }

    /// Makes `user` exist, with no sessions if it is new.
    pub fn add_user(&self, user: &str) {
        self.write().users.get_or_default(user);
    }

    /// Removes a user and all its sessions; later requests for it get 404.
    /// Returns whether the user existed.
    pub fn remove_user(&self, user: &str) -> bool {
        self.write().users.remove(user).is_some()
    }

    /// Adds `session` to `user` (creating the user if needed) at its place
    /// in server order, replacing any session with the same `session_id`.
    /// A session without a status is stored as `pending`.
    pub fn insert(&self, user: &str, session: SessionInfo) {
        let record = Record::from_info(session);
        self.write()
            .users
            .get_or_default(user)
            .sessions
            .insert(record);
    }

    /// Adds many sessions at once, sorting once: faster than repeated
    /// [`insert`](Self::insert) for large batches. Same rules as `insert`.
    pub fn extend(&self, user: &str, sessions: impl IntoIterator<Item = SessionInfo>) {
        let mut inner = self.write();
        let entry = &mut inner.users.get_or_default(user).sessions;
        let mut records: Vec<Record> = entry.sorted.iter().map(|r| (**r).clone()).collect();
        records.extend(sessions.into_iter().map(Record::from_info));
        *entry = UserSessions::from_records(records);
    }

    /// Removes a session; returns whether it existed. The user remains.
    pub fn delete(&self, user: &str, session_id: Uuid) -> bool {
        self.write()
            .users
            .get_mut(user)
            .and_then(|data| crate::resources::sessions::remove(data, session_id))
            .is_some()
    }

    /// Changes a session's status in place (its position does not depend
    /// on the status); returns whether the session exists.
    pub fn set_status(&self, user: &str, session_id: Uuid, status: SessionStatus) -> bool {
        let mut inner = self.write();
        let Some(record) = inner
            .users
            .get_mut(user)
            .and_then(|data| data.sessions.get_mut(session_id))
        else {
            return false;
        };
        Arc::make_mut(record).status = status;
        true
    }

    /// A snapshot of a user's sessions in server order, or `None` for an
    /// unknown user.
    pub fn sessions(&self, user: &str) -> Option<Vec<SessionInfo>> {
        let inner = self.read();
        let sessions = &inner.users.get(user)?.sessions;
        Some(
            sessions
                .sorted
                .iter()
                .map(|record| record.to_info())
                .collect(),
        )
    }

    /// How many sessions `user` has (0 for an unknown user).
    pub fn len(&self, user: &str) -> usize {
        self.read()
            .users
            .get(user)
            .map_or(0, |data| data.sessions.sorted.len())
    }

    /// Whether `user` exists.
    pub fn contains_user(&self, user: &str) -> bool {
        self.read().users.contains_key(user)
    }

    /// Every user id, sorted.
    pub fn users(&self) -> Vec<String> {
        let mut users: Vec<String> = self.read().users.keys().cloned().collect();
        users.sort();
        users
    }

    /// Appends messages to a session, in order; returns whether the
    /// session exists. The session's status is not checked (the API's
    /// `add_message` checks it).
    pub fn add_messages(
        &self,
        user: &str,
        session_id: Uuid,
        messages: impl IntoIterator<Item = recallr_api::types::Message>,
    ) -> bool {
        let mut inner = self.write();
        let Some(data) = inner.users.get_mut(user) else {
            return false;
        };
        if data.sessions.get(session_id).is_none() {
            return false;
        }
        data.messages
            .entry(session_id)
            .or_default()
            .extend(messages);
        true
    }

    /// A session's messages, chronological, or `None` if there is no such
    /// user or session.
    pub fn messages(
        &self,
        user: &str,
        session_id: Uuid,
    ) -> Option<Vec<recallr_api::types::Message>> {
        let mut inner = self.write();
        let data = inner.users.get_mut(user)?;
        data.sessions.get(session_id)?;
        Some(data.messages.get(&session_id).cloned().unwrap_or_default())
    }

    /// Adds (or replaces, by `memory_id`) a memory of `user`, creating the
    /// user if needed.
    pub fn insert_memory(&self, user: &str, memory: recallr_api::types::Memory) {
        let mut inner = self.write();
        let data = inner.users.get_or_default(user);
        data.memories
            .retain(|have| have.memory_id != memory.memory_id);
        data.memories.push(memory);
    }

    /// Adds (or replaces, by `memory_id`) many memories of `user` in one
    /// pass, creating the user if needed: seeding a million memories one
    /// [`insert_memory`](Self::insert_memory) at a time would be quadratic.
    pub fn extend_memories(
        &self,
        user: &str,
        memories: impl IntoIterator<Item = recallr_api::types::Memory>,
    ) {
        let memories: Vec<_> = memories.into_iter().collect();
        let mut inner = self.write();
        inner
            .users
            .get_or_default(user)
            .memories
            .upsert_all(memories, |memory| memory.memory_id);
    }

    /// A user's current memories, in insertion order.
    pub fn memories(&self, user: &str) -> Option<Vec<recallr_api::types::Memory>> {
        Some(self.read().users.get(user)?.memories.to_vec())
    }

    /// Adds (or replaces, by `id`) a merge conflict of `user`, creating the
    /// user if needed: this is how tests seed conflicts to resolve.
    pub fn insert_merge_conflict(&self, user: &str, conflict: recallr_api::types::MergeConflict) {
        let mut inner = self.write();
        let data = inner.users.get_or_default(user);
        data.conflicts.retain(|have| have.id != conflict.id);
        data.conflicts.push(conflict);
    }

    /// Adds (or replaces, by `id`) many merge conflicts of `user` in one
    /// pass, creating the user if needed.
    pub fn extend_merge_conflicts(
        &self,
        user: &str,
        conflicts: impl IntoIterator<Item = recallr_api::types::MergeConflict>,
    ) {
        let conflicts: Vec<_> = conflicts.into_iter().collect();
        let mut inner = self.write();
        inner
            .users
            .get_or_default(user)
            .conflicts
            .upsert_all(conflicts, |conflict| conflict.id);
    }

    /// A user's merge conflicts, in insertion order.
    pub fn merge_conflicts(&self, user: &str) -> Option<Vec<recallr_api::types::MergeConflict>> {
        Some(self.read().users.get(user)?.conflicts.to_vec())
    }

    /// One page, or `None` for an unknown user. The lock is held only to
    /// copy the page's `Arc`s.
    #[cfg(test)]
    pub(crate) fn page(
        &self,
        user: &str,
        filter: &Filter,
        offset: u64,
        limit: usize,
    ) -> Option<(Vec<Arc<Record>>, u64)> {
        let inner = self.read();
        Some(inner.users.get(user)?.sessions.page(filter, offset, limit))
    }

    // A panic elsewhere while holding the lock leaves the data consistent
    // (every change is a single step), so poisoning is ignored.
    pub(crate) fn read(&self) -> RwLockReadGuard<'_, Inner> {
        self.inner.read().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn write(&self) -> RwLockWriteGuard<'_, Inner> {
        self.inner.write().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A fixed instant, 2023-11-14T22:13:20Z (Unix time 1 700 000 000), plus
/// `seconds`: reproducible `created_at` values for test data, larger being
/// newer. Clamped to the range `DateTime` can hold.
///
/// ```
/// let older = recallr_stub::timestamp(1);
/// assert!(recallr_stub::timestamp(2) > older);
/// assert_eq!(older.to_rfc3339(), "2023-11-14T22:13:21+00:00");
/// ```
pub fn timestamp(seconds: i64) -> DateTime<Utc> {
    let clamped = if seconds < 0 {
        DateTime::<Utc>::MIN_UTC
    } else {
        DateTime::<Utc>::MAX_UTC
    };
    DateTime::from_timestamp(1_700_000_000_i64.saturating_add(seconds), 0).unwrap_or(clamped)
}

/// A session with a random (v4) `session_id`. For reproducible data use
/// [`session_with_id`].
///
/// `metadata` should be a JSON object; anything else is stored as `{}`.
pub fn session(created_at: DateTime<Utc>, status: SessionStatus, metadata: Value) -> SessionInfo {
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    session_with_id(id, created_at, status, metadata)
}

/// A session with the given `session_id`.
///
/// `metadata` should be a JSON object; anything else is stored as `{}`.
///
/// ```
/// use chrono::{TimeZone, Utc};
/// use recallr_api::types::SessionStatus;
/// use uuid::Uuid;
///
/// let at = Utc.with_ymd_and_hms(2024, 5, 1, 12, 0, 0).unwrap();
/// let s = recallr_stub::session_with_id(
///     Uuid::from_u128(7), at, SessionStatus::Failed, serde_json::json!({"topic": "billing"}));
/// assert_eq!(s.status, Some(SessionStatus::Failed));
/// assert_eq!(s.metadata["topic"], "billing");
/// ```
pub fn session_with_id(
    session_id: Uuid,
    created_at: DateTime<Utc>,
    status: SessionStatus,
    metadata: Value,
) -> SessionInfo {
    let metadata = match metadata {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let mut info = SessionInfo::new(created_at, metadata, session_id);
    info.status = Some(status);
    info
}

#[cfg(test)]
mod tests {
    use super::timestamp as at;
    use super::*;

    #[test]
    fn optional_and_unknown_fields_are_served_back() {
        let mut info = session(at(0), SessionStatus::Pending, serde_json::json!({}));
        info.session_summary = Some("a summary".to_string());
        info.extra.insert("plan".to_string(), Value::from("pro"));
        let served = Record::from_info(info.clone()).to_info();
        assert_eq!(served.session_summary.as_deref(), Some("a summary"));
        assert_eq!(served.extra.get("plan"), Some(&Value::from("pro")));
        assert_eq!(
            serde_json::to_value(&served).ok(),
            serde_json::to_value(&info).ok()
        );
    }

    fn ids(store: &Store, user: &str) -> Vec<u128> {
        store
            .sessions(user)
            .unwrap_or_default()
            .iter()
            .map(|s| s.session_id.as_u128())
            .collect()
    }

    #[test]
    fn status_filtered_totals_follow_every_change() {
        let store = Store::new();
        for id in 0..10_u128 {
            let status = if id % 2 == 0 {
                SessionStatus::Pending
            } else {
                SessionStatus::Failed
            };
            store.insert(
                "u",
                session_with_id(Uuid::from_u128(id), at(id as i64), status, Value::Null),
            );
        }
        let pending = Filter {
            statuses: vec![SessionStatus::Pending, SessionStatus::Pending],
            metadata: None,
        };
        let page = |offset| store.page("u", &pending, offset, 2).unwrap_or_default();
        let (first, total) = page(0);
        assert_eq!(total, 5, "a repeated status counts once");
        let first: Vec<u128> = first.iter().map(|r| r.session_id.as_u128()).collect();
        assert_eq!(first, [8, 6]);
        assert_eq!(page(4).0.len(), 1);
        assert!(page(5).0.is_empty());

        assert!(store.set_status("u", Uuid::from_u128(1), SessionStatus::Pending));
        assert_eq!(page(0).1, 6);
        assert!(store.delete("u", Uuid::from_u128(8)));
        assert_eq!(page(0).1, 5);
        store.insert(
            "u",
            session_with_id(
                Uuid::from_u128(20),
                at(99),
                SessionStatus::Pending,
                Value::Null,
            ),
        );
        let (first, total) = page(0);
        assert_eq!(total, 6);
        assert_eq!(first[0].session_id.as_u128(), 20);
    }

    #[test]
    fn order_is_newest_first_then_id_descending() {
        let store = Store::new();
        for (id, seconds) in [(1, 10), (2, 30), (3, 20), (4, 30), (5, 10)] {
            store.insert(
                "u",
                session_with_id(
                    Uuid::from_u128(id),
                    at(seconds),
                    SessionStatus::Pending,
                    Value::Null,
                ),
            );
        }
        assert_eq!(ids(&store, "u"), vec![4, 2, 3, 5, 1]);
    }

    #[test]
    fn insert_replaces_the_same_id_and_moves_it() {
        let store = Store::new();
        store.insert(
            "u",
            session_with_id(
                Uuid::from_u128(1),
                at(1),
                SessionStatus::Pending,
                Value::Null,
            ),
        );
        store.insert(
            "u",
            session_with_id(
                Uuid::from_u128(2),
                at(2),
                SessionStatus::Pending,
                Value::Null,
            ),
        );
        store.insert(
            "u",
            session_with_id(
                Uuid::from_u128(1),
                at(3),
                SessionStatus::Failed,
                Value::Null,
            ),
        );
        assert_eq!(ids(&store, "u"), vec![1, 2]);
        assert_eq!(store.len("u"), 2);
        let first = store.sessions("u").unwrap_or_default();
        assert_eq!(first[0].status, Some(SessionStatus::Failed));
    }

    #[test]
    fn delete_and_set_status_find_sessions_by_id() {
        let store = Store::new();
        for id in 0..50u128 {
            store.insert(
                "u",
                session_with_id(
                    Uuid::from_u128(id),
                    at((id % 7) as i64),
                    SessionStatus::Pending,
                    Value::Null,
                ),
            );
        }
        assert!(store.delete("u", Uuid::from_u128(13)));
        assert!(!store.delete("u", Uuid::from_u128(13)));
        assert!(!store.delete("nobody", Uuid::from_u128(1)));
        assert!(store.set_status("u", Uuid::from_u128(14), SessionStatus::Processing));
        assert!(!store.set_status("u", Uuid::from_u128(13), SessionStatus::Processing));
        let sessions = store.sessions("u").unwrap_or_default();
        assert_eq!(sessions.len(), 49);
        let changed = sessions
            .iter()
            .find(|s| s.session_id == Uuid::from_u128(14));
        assert_eq!(
            changed.and_then(|s| s.status.clone()),
            Some(SessionStatus::Processing)
        );
        let keys: Vec<_> = sessions
            .iter()
            .map(|s| (s.created_at, s.session_id))
            .collect();
        let mut sorted = keys.clone();
        sorted.sort_by(|a, b| order(*a, *b));
        assert_eq!(keys, sorted);
    }

    #[test]
    fn a_clone_shares_the_data() {
        let store = Store::new();
        let clone = store.clone();
        clone.add_user("u");
        assert!(store.contains_user("u"));
        assert_eq!(store.users(), vec!["u".to_string()]);
        assert!(store.remove_user("u"));
        assert!(!clone.contains_user("u"));
    }

    #[test]
    fn extend_merges_and_sorts_once() {
        let store = Store::new();
        store.insert(
            "u",
            session_with_id(
                Uuid::from_u128(1),
                at(5),
                SessionStatus::Pending,
                Value::Null,
            ),
        );
        store.extend(
            "u",
            (2..6u128).map(|id| {
                session_with_id(
                    Uuid::from_u128(id),
                    at(id as i64),
                    SessionStatus::Pending,
                    Value::Null,
                )
            }),
        );
        assert_eq!(ids(&store, "u"), vec![5, 1, 4, 3, 2]);
        assert!(store.delete("u", Uuid::from_u128(3)));
        assert_eq!(ids(&store, "u"), vec![5, 1, 4, 2]);
    }

    #[test]
    fn pages_slice_or_scan() {
        let store = Store::new();
        for id in 0..30u128 {
            let status = SessionStatus::KNOWN[(id % 5) as usize].clone();
            store.insert(
                "u",
                session_with_id(Uuid::from_u128(id), at(id as i64), status, Value::Null),
            );
        }
        let all = Filter::default();
        let (page, total) = store.page("u", &all, 28, 10).unwrap_or_default();
        assert_eq!((page.len(), total), (2, 30));
        let (page, _) = store.page("u", &all, u64::MAX, 10).unwrap_or_default();
        assert!(page.is_empty());
        let failed = Filter {
            statuses: vec![SessionStatus::Failed],
            metadata: None,
        };
        let (page, total) = store.page("u", &failed, 1, 2).unwrap_or_default();
        assert_eq!(total, 6);
        let got: Vec<u128> = page.iter().map(|r| r.session_id.as_u128()).collect();
        assert_eq!(got, vec![23, 18]);
        assert!(store.page("nobody", &all, 0, 10).is_none());
    }
}
