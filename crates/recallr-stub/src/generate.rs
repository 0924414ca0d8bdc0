//! Deterministic generated data, fast enough for a million sessions a user.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use recallr_api::types::SessionStatus;
use serde_json::{Map, Value, json};

use crate::model::Record;

const TOPICS: [&str; 6] = [
    "billing",
    "support",
    "onboarding",
    "feedback",
    "sales",
    "research",
];
const LANGS: [&str; 4] = ["en", "de", "fr", "ja"];
const PRIORITIES: u64 = 5;

/// The newest generated session; older ones step back from here.
const NEWEST_MS: i64 = 1_748_736_000_000; // 2025-06-01T00:00:00Z

/// Every combination of topic, language and priority, plus `{}`, built once
/// and shared by every generated session.
fn metadata_pool() -> Vec<Arc<Map<String, Value>>> {
    let mut pool = vec![Arc::new(Map::new())];
    for topic in TOPICS {
        for lang in LANGS {
            for priority in 1..=PRIORITIES {
                if let Value::Object(map) =
                    json!({"topic": topic, "lang": {"code": lang}, "priority": priority})
                {
                    pool.push(Arc::new(map));
                }
            }
        }
    }
    pool
}

/// SplitMix64: a few arithmetic steps per number, so a million sessions
/// generate quickly even in debug builds, and its output is fixed forever
/// (the `rand` crate promises neither for its fast generators).
struct SplitMix64(u64);

impl SplitMix64 {
    /// One generator per user, so a user's data does not depend on how many
    /// other users are generated.
    fn for_user(seed: u64, user: u64) -> Self {
        let mut mixer = Self(seed ^ user.wrapping_mul(0xD6E8_FEB8_6659_FD93));
        Self(mixer.next())
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0); the modulo bias is below 2^-40 for the
    /// small `n` used here.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn bytes(&mut self) -> [u8; 16] {
        let high = self.next().to_le_bytes();
        let low = self.next().to_le_bytes();
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&high);
        bytes[8..].copy_from_slice(&low);
        bytes
    }
}

/// Status weights: most sessions are processed, every state occurs.
fn status(roll: u64) -> SessionStatus {
    match roll {
        0..50 => SessionStatus::Processed,
        50..65 => SessionStatus::Pending,
        65..80 => SessionStatus::Processing,
        80..90 => SessionStatus::Failed,
        _ => SessionStatus::InsufficientBalance,
    }
}

/// `count` sessions for user number `user`, newest first. One in ten
/// shares its predecessor's `created_at` exactly; the others are 1 ms to
/// 5 minutes older, so a million sessions span about four years.
pub(crate) fn user_sessions(seed: u64, user: u64, count: usize) -> Vec<Record> {
    let mut rng = SplitMix64::for_user(seed, user);
    let pool = metadata_pool();
    let empty = Arc::new(Map::new());
    let mut at_ms = NEWEST_MS;
    let mut records = Vec::with_capacity(count);
    for index in 0..count {
        if index > 0 && rng.below(10) != 0 {
            at_ms -= 1 + rng.below(300_000) as i64;
        }
        let created_at =
            DateTime::<Utc>::from_timestamp_millis(at_ms).unwrap_or(DateTime::<Utc>::MIN_UTC);
        // One in twenty has no metadata.
        let metadata = if rng.below(20) == 0 {
            Arc::clone(&empty)
        } else {
            let pick = 1 + rng.below(pool.len() as u64 - 1) as usize;
            Arc::clone(pool.get(pick).unwrap_or(&empty))
        };
        records.push(Record {
            session_id: uuid::Builder::from_random_bytes(rng.bytes()).into_uuid(),
            created_at,
            status: status(rng.below(100)),
            metadata,
            extra: Arc::clone(&empty),
        });
    }
    records
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_arguments_give_the_same_sessions() {
        let ids = |seed| -> Vec<_> {
            user_sessions(seed, 1, 100)
                .iter()
                .map(|r| (r.session_id, r.created_at, r.status.clone()))
                .collect()
        };
        assert_eq!(ids(7), ids(7));
        assert_ne!(ids(7), ids(8));
        assert_ne!(
            user_sessions(7, 0, 5)[0].session_id,
            user_sessions(7, 1, 5)[0].session_id
        );
    }

    #[test]
    fn data_is_varied() {
        let records = user_sessions(3, 0, 2_000);
        for known in SessionStatus::KNOWN {
            assert!(records.iter().any(|r| r.status == known), "{known}");
        }
        let ties = records
            .windows(2)
            .filter(|pair| pair[0].created_at == pair[1].created_at)
            .count();
        assert!(ties > 0, "some created_at values are equal");
        assert!(records.iter().any(|r| r.metadata.is_empty()));
        assert!(
            records
                .iter()
                .any(|r| r.metadata.get("lang").is_some_and(Value::is_object))
        );
        assert!(records.iter().all(|r| r.session_id.get_version_num() == 4));
    }
}
