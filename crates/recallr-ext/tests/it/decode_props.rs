//! Whatever bytes a server answers with, the client returns a value or an
//! error: it never panics.

use crate::common::{USER, builder, raw, start, store_with};
use proptest::prelude::*;
use recallr_ext::{Error, RetryPolicy};

const VALID_PAGE: &str = r#"{"sessions": [{"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "pending", "created_at": "2023-11-07T05:31:56Z", "metadata": {"a": {"b": [1, 2]}}}], "total": 1, "has_more": false}"#;

fn bodies() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300),
        // A valid page cut short, or with one byte changed.
        (0..VALID_PAGE.len()).prop_map(|cut| VALID_PAGE.as_bytes()[..cut].to_vec()),
        (0..VALID_PAGE.len(), any::<u8>()).prop_map(|(at, byte)| {
            let mut body = VALID_PAGE.as_bytes().to_vec();
            body[at] = byte;
            body
        }),
        Just(VALID_PAGE.as_bytes().to_vec()),
    ]
}

#[test]
fn arbitrary_bodies_never_panic() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let server = runtime.block_on(start(store_with(1)));
    let client = builder(&server)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("a valid configuration");
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 256,
        ..ProptestConfig::default()
    });
    let result = runner.run(&bodies(), |body| {
        server.push_faults([raw(200, &[("content-type", "application/json")], &body)]);
        let result = runtime.block_on(client.user(USER).sessions().send());
        match result {
            Ok(page) => prop_assert!(page.sessions.len() <= 1),
            Err(Error::Decode { snippet, .. }) => {
                prop_assert!(snippet.chars().count() <= crate::common::SNIPPET_LEN)
            }
            Err(other) => prop_assert!(false, "a 200 body gave {other:?}"),
        }
        Ok(())
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
