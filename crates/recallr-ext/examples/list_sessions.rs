//! Lists every session of a user, page by page.
//!
//! With `RECALLR_API_KEY` unset it starts an embedded `recallr-stub` with
//! demo data on loopback and lists from it:
//!
//! ```sh
//! cargo run -p recallr-ext --example list_sessions
//! ```
//!
//! With `RECALLR_API_KEY` and `RECALLR_PROJECT_ID` set it talks to the real
//! API; pass the user id as the first argument.

use futures::TryStreamExt;
use recallr_ext::{Recallr, RecallrBuilder};
use recallr_stub::{Store, StubConfig, StubServer};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let user = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "user-0".to_string());

    // Keep the stub alive for the whole run when we use it.
    let (client, _stub) = if std::env::var_os("RECALLR_API_KEY").is_some() {
        (Recallr::from_env()?, None)
    } else {
        let stub = StubServer::start(StubConfig::default(), Store::generate(2, 250, 7)).await?;
        println!(
            "RECALLR_API_KEY is not set: using a local stub at {}",
            stub.base_url()
        );
        let client = RecallrBuilder::default()
            .api_key(recallr_stub::DEFAULT_API_KEY)
            .project_id(recallr_stub::DEFAULT_PROJECT_ID)
            .base_url(stub.base_url())
            .build()?;
        (client, Some(stub))
    };

    let mut pages = client.user(&user).sessions().page_size(100).pages();
    let mut count = 0;
    while let Some(page) = pages.try_next().await? {
        println!(
            "page at offset {}: {} new sessions ({} in all)",
            page.offset,
            page.sessions.len(),
            page.total
        );
        for session in &page.sessions {
            let status = session
                .status
                .as_ref()
                .map_or("-".to_string(), ToString::to_string);
            println!("  {} {} {}", session.created_at, status, session.session_id);
        }
        count += page.sessions.len();
    }
    let stats = pages.stats();
    println!("{count} sessions in {} requests", stats.pages_fetched);
    Ok(())
}
