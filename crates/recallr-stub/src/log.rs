//! The request log: the most recent requests, bounded by count and by the
//! memory the entries really hold.

use std::collections::VecDeque;

/// How many requests [`StubServer::requests`](crate::StubServer::requests)
/// keeps (the most recent).
pub const REQUEST_LOG_LIMIT: usize = 100_000;
/// How many bytes of memory the log's entries may hold at most (strings,
/// their headers' per-entry overhead, the entries themselves); the oldest
/// entries go first.
pub const REQUEST_LOG_BYTES: usize = 64 * 1024 * 1024;

/// One request, as it arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// 0-based position among the requests the stub routed to an operation.
    pub index: u64,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path exactly as sent, still percent-encoded.
    pub path: String,
    /// The query string exactly as sent (`""` if there was none).
    pub query: String,
    /// Header names (lower case) and values (lossily decoded), in order.
    /// Empty for a request without valid credentials: those are logged
    /// without their headers, so a flood of them cannot fill the log.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// The memory the entry holds: its strings' allocations, one
    /// `(String, String)` slot per header, and its own slot in the log.
    pub(crate) fn cost(&self) -> usize {
        let strings = self
            .method
            .capacity()
            .saturating_add(self.path.capacity())
            .saturating_add(self.query.capacity());
        let slot = std::mem::size_of::<(String, String)>();
        self.headers
            .iter()
            .fold(strings, |sum, (name, value)| {
                sum.saturating_add(slot)
                    .saturating_add(name.capacity())
                    .saturating_add(value.capacity())
            })
            .saturating_add(std::mem::size_of::<(usize, Self)>())
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(have, _)| have.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

/// The most recent requests, bounded by count and by bytes.
#[derive(Default)]
pub(crate) struct RequestLog {
    pub entries: VecDeque<(usize, RecordedRequest)>,
    bytes: usize,
}

impl RequestLog {
    pub fn push(&mut self, mut entry: RecordedRequest) {
        entry.headers.shrink_to_fit();
        let size = entry.cost();
        while !self.entries.is_empty()
            && (self.entries.len() >= REQUEST_LOG_LIMIT
                || self.bytes.saturating_add(size) > REQUEST_LOG_BYTES)
        {
            if let Some((old, _)) = self.entries.pop_front() {
                self.bytes = self.bytes.saturating_sub(old);
            }
        }
        self.bytes = self.bytes.saturating_add(size);
        self.entries.push_back((size, entry));
        // A burst of large entries followed by small ones leaves the deque
        // with a large capacity; give it back.
        if self.entries.capacity() > 2 * REQUEST_LOG_LIMIT.min(self.entries.len().max(1024)) {
            self.entries.shrink_to_fit();
        }
    }

    #[cfg(test)]
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_cost_their_slot_not_only_their_text() {
        let entry = |headers: usize| RecordedRequest {
            index: 0,
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            headers: (0..headers).map(|_| ("a".into(), "b".into())).collect(),
        };
        let per_header = entry(99).cost() - entry(98).cost();
        assert!(per_header >= std::mem::size_of::<(String, String)>() + 2);
        let mut log = RequestLog::default();
        for _ in 0..10_000 {
            log.push(entry(98));
        }
        assert!(log.bytes() >= 10_000 * 98 * 50, "{}", log.bytes());
    }
}
