//! Tests against the real RecallrAI API. Ignored by default; they never run
//! in CI. With credentials, run:
//!
//! ```sh
//! RECALLR_API_KEY=rai_... RECALLR_PROJECT_ID=... RECALLR_TEST_USER=... \
//!     cargo test -p recallr-ext --test it live:: -- --ignored
//! ```

use std::collections::HashSet;

use futures::TryStreamExt;
use recallr_ext::{Error, Recallr};

fn live_client() -> (Recallr, String) {
    let client =
        Recallr::from_env().unwrap_or_else(|err| panic!("live tests need credentials: {err}"));
    let user = std::env::var("RECALLR_TEST_USER")
        .unwrap_or_else(|_| panic!("live tests need RECALLR_TEST_USER, an existing user id"));
    (client, user)
}

#[tokio::test]
#[ignore = "talks to the real API; needs RECALLR_API_KEY, RECALLR_PROJECT_ID and RECALLR_TEST_USER"]
async fn live_one_page_decodes() {
    let (client, user) = live_client();
    let page = client
        .user(&user)
        .sessions()
        .page_size(5)
        .send()
        .await
        .expect("a page");
    assert!(page.sessions.len() <= 5);
    assert!(page.total >= page.sessions.len() as u64);
}

#[tokio::test]
#[ignore = "talks to the real API; needs RECALLR_API_KEY, RECALLR_PROJECT_ID and RECALLR_TEST_USER"]
async fn live_walk_is_ordered_and_unique() {
    let (client, user) = live_client();
    let sessions: Vec<_> = client
        .user(&user)
        .sessions()
        .page_size(20)
        .max_items(200)
        .items()
        .try_collect()
        .await
        .expect("a walk");
    let ids: HashSet<_> = sessions.iter().map(|session| session.session_id).collect();
    assert_eq!(ids.len(), sessions.len());
    for pair in sessions.windows(2) {
        assert!(pair[0].created_at >= pair[1].created_at);
    }
}

#[tokio::test]
#[ignore = "talks to the real API; needs RECALLR_API_KEY, RECALLR_PROJECT_ID and RECALLR_TEST_USER"]
async fn live_unknown_user_is_not_found() {
    let (client, _) = live_client();
    let error = client
        .user("recallr-rs-live-test-no-such-user")
        .sessions()
        .send()
        .await
        .expect_err("404");
    assert!(
        matches!(
            error,
            Error::NotFound {
                resource: "user",
                ..
            }
        ),
        "{error:?}"
    );
}
