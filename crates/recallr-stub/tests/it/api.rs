//! The sessions route over real HTTP: auth, users, validation, filters,
//! order, pages, the response shape, and the request log and hook.

use crate::common::{USER, at, get, get_with, keys, known_store, ns, page, sessions_path, start};
use recallr_stub::{DEFAULT_API_KEY, DEFAULT_PROJECT_ID, SessionStatus, Store, session_with_id};
use serde_json::{Value, json};
use uuid::Uuid;

const KEY: &str = "X-Recallr-Api-Key";
const PROJECT: &str = "X-Recallr-Project-Id";

// ---- auth ----

#[tokio::test]
async fn every_missing_or_wrong_credential_is_a_401_with_a_detail() {
    let server = start(known_store(3)).await;
    let path = sessions_path(USER, "");
    let cases: [&[(&str, &str)]; 7] = [
        &[],
        &[(PROJECT, DEFAULT_PROJECT_ID)],
        &[(KEY, "rai_wrong"), (PROJECT, DEFAULT_PROJECT_ID)],
        &[(KEY, DEFAULT_API_KEY)],
        &[
            (KEY, DEFAULT_API_KEY),
            (PROJECT, "11111111-1111-4111-8111-111111111111"),
        ],
        &[(KEY, DEFAULT_API_KEY), (PROJECT, "")],
        &[
            (KEY, &DEFAULT_API_KEY.to_uppercase()),
            (PROJECT, DEFAULT_PROJECT_ID),
        ],
    ];
    for headers in cases {
        let answer = get_with(&server, &path, headers).await;
        assert_eq!(answer.status, 401, "{headers:?}");
        assert!(
            answer.body["detail"].is_string(),
            "{headers:?}: {}",
            answer.body
        );
        assert_eq!(answer.body.as_object().map(|o| o.len()), Some(1));
        assert_eq!(
            answer.headers["content-type"], "application/json",
            "{headers:?}"
        );
    }
    // Header names are case-insensitive.
    let answer = get_with(
        &server,
        &path,
        &[
            ("x-recallr-api-key", DEFAULT_API_KEY),
            ("X-RECALLR-PROJECT-ID", DEFAULT_PROJECT_ID),
        ],
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(server.request_count(), 8, "401s are counted too");
}

#[tokio::test]
async fn auth_comes_before_validation_and_the_user() {
    let server = start(known_store(3)).await;
    let answer = get_with(&server, &sessions_path("nobody", "limit=0"), &[]).await;
    assert_eq!(answer.status, 401);
    let answer = get(&server, &sessions_path("nobody", "limit=0")).await;
    assert_eq!(answer.status, 422, "validation before the user lookup");
}

#[tokio::test]
async fn configured_credentials_replace_the_defaults() {
    let config = recallr_stub::StubConfig {
        api_key: "rai_other".to_string(),
        project_id: "p-1".to_string(),
        ..Default::default()
    };
    let server = recallr_stub::StubServer::start(config, known_store(1))
        .await
        .expect("starts");
    let path = sessions_path(USER, "");
    assert_eq!(get(&server, &path).await.status, 401);
    let answer = get_with(&server, &path, &[(KEY, "rai_other"), (PROJECT, "p-1")]).await;
    assert_eq!(answer.status, 200);
}

// ---- users ----

#[tokio::test]
async fn an_unknown_user_is_a_404_with_a_detail() {
    let server = start(known_store(3)).await;
    let answer = get(&server, &sessions_path("nobody", "")).await;
    assert_eq!(answer.status, 404);
    let detail = answer.body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("nobody"), "{detail}");
    serde_json::from_value::<recallr_stub::SessionList>(answer.body.clone())
        .expect_err("not a page");
    let decoded: recallr_api::types::ErrorDetail =
        serde_json::from_value(answer.body).expect("an ErrorDetail");
    assert!(!decoded.detail.is_empty());
}

#[tokio::test]
async fn a_user_without_sessions_gets_an_empty_page() {
    let store = Store::new();
    store.add_user("empty");
    let server = start(store).await;
    let answer = get(&server, &sessions_path("empty", "")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(
        answer.body,
        json!({"sessions": [], "total": 0, "has_more": false})
    );
}

#[tokio::test]
async fn user_ids_are_percent_decoded_from_one_segment() {
    let store = Store::new();
    for user in ["a/b?c#d", "with space", "ünï+cøde", "100%"] {
        store.insert(
            user,
            session_with_id(
                Uuid::from_u128(1),
                at(0),
                SessionStatus::Pending,
                json!({"n": 0}),
            ),
        );
    }
    let server = start(store).await;
    for user in ["a/b?c#d", "with space", "ünï+cøde", "100%"] {
        let answer = get(&server, &sessions_path(user, "")).await;
        assert_eq!(answer.status, 200, "{user}: {}", answer.body);
        assert_eq!(answer.body["total"], 1, "{user}");
    }
    // Unencoded, `a/b?c#d` is another path, and not this user.
    let answer = get(&server, "/api/v1/users/a/b/sessions").await;
    assert_eq!(answer.status, 404);
    assert_eq!(answer.body, json!({"detail": "Not Found"}));
    // A `+` in a path is a plus, not a space.
    let answer = get(&server, "/api/v1/users/with+space/sessions").await;
    assert_eq!(answer.status, 404);
}

#[tokio::test]
async fn other_paths_and_methods_get_fastapis_bodies() {
    let server = start(known_store(1)).await;
    for path in ["/api/v1/nothing", "/api/v1/users/u/sessions/x/y/z", "/"] {
        let answer = get(&server, path).await;
        assert_eq!(
            (answer.status, answer.body),
            (404, json!({"detail": "Not Found"})),
            "{path}"
        );
    }
    let response = crate::common::client()
        .patch(format!("{}{}", server.base_url(), sessions_path(USER, "")))
        .send()
        .await
        .expect("a response");
    assert_eq!(response.status().as_u16(), 405);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body, json!({"detail": "Method Not Allowed"}));
    assert_eq!(server.request_count(), 0, "only routed requests count");
}

// ---- validation ----

/// The single error of a 422, checked against the generated type too.
async fn one_error(query: &str) -> Value {
    let server = start(known_store(3)).await;
    let answer = get(&server, &sessions_path(USER, query)).await;
    assert_eq!(answer.status, 422, "{query}: {}", answer.body);
    let typed: recallr_api::types::HttpValidationError =
        serde_json::from_value(answer.body.clone()).expect("an HTTPValidationError");
    assert_eq!(typed.detail.len(), 1, "{query}: {}", answer.body);
    answer.body["detail"][0].clone()
}

#[tokio::test]
async fn a_limit_outside_1_to_100_or_not_an_integer_is_a_422() {
    for (query, kind, msg) in [
        (
            "limit=0",
            "greater_than_equal",
            "Input should be greater than or equal to 1",
        ),
        (
            "limit=-5",
            "greater_than_equal",
            "Input should be greater than or equal to 1",
        ),
        (
            "limit=101",
            "less_than_equal",
            "Input should be less than or equal to 100",
        ),
        (
            "limit=abc",
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "limit=2.5",
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            "limit=",
            "int_parsing",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
    ] {
        let error = one_error(query).await;
        assert_eq!(error["loc"], json!(["query", "limit"]), "{query}");
        assert_eq!(error["type"], kind, "{query}");
        assert_eq!(error["msg"], msg, "{query}");
    }
}

#[tokio::test]
async fn a_negative_or_non_integer_offset_is_a_422() {
    for (query, kind) in [
        ("offset=-1", "greater_than_equal"),
        ("offset=1.5", "int_parsing"),
        ("offset=ten", "int_parsing"),
    ] {
        let error = one_error(query).await;
        assert_eq!(error["loc"], json!(["query", "offset"]), "{query}");
        assert_eq!(error["type"], kind, "{query}");
    }
    let error = one_error("offset=-1").await;
    assert_eq!(error["msg"], "Input should be greater than or equal to 0");
}

#[tokio::test]
async fn an_unknown_status_is_a_422_naming_its_position() {
    let error = one_error("status_filter=pending&status_filter=archived").await;
    assert_eq!(error["loc"], json!(["query", "status_filter", 1]));
    assert_eq!(error["type"], "enum");
    assert_eq!(
        error["msg"],
        "Input should be 'pending', 'processing', 'processed', 'failed' or 'insufficient_balance'"
    );
    let error = one_error("status_filter=PENDING").await;
    assert_eq!(error["type"], "enum", "values are case-sensitive");
}

#[tokio::test]
async fn a_metadata_filter_that_is_not_a_json_object_is_a_422() {
    for (raw, kind) in [
        ("not%20json", "json_invalid"),
        ("%7B%22a%22%3A", "json_invalid"),
        ("%5B1%2C2%5D", "dict_type"),
        ("%22text%22", "dict_type"),
        ("null", "dict_type"),
        ("", "json_invalid"),
    ] {
        let query = format!("metadata_filter={raw}");
        let error = one_error(&query).await;
        assert_eq!(error["loc"], json!(["query", "metadata_filter"]), "{query}");
        assert_eq!(error["type"], kind, "{query}");
    }
}

#[tokio::test]
async fn every_problem_is_reported_at_once() {
    let server = start(known_store(3)).await;
    let answer = get(
        &server,
        &sessions_path(
            USER,
            "offset=-1&limit=0&metadata_filter=x&status_filter=nope",
        ),
    )
    .await;
    assert_eq!(answer.status, 422);
    let locs: Vec<Value> = answer.body["detail"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|error| error["loc"][1].clone())
        .collect();
    assert_eq!(
        locs,
        vec![
            json!("offset"),
            json!("limit"),
            json!("metadata_filter"),
            json!("status_filter")
        ]
    );
}

#[tokio::test]
async fn lax_integers_and_unknown_parameters_are_accepted() {
    let server = start(known_store(30)).await;
    let answer = get(
        &server,
        &sessions_path(USER, "limit=+05&offset=1.00&whatever=1"),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.body);
    assert_eq!(ns(&answer.body), vec![28, 27, 26, 25, 24]);
    // The last value of a repeated scalar wins, as in Starlette.
    let answer = get(&server, &sessions_path(USER, "limit=50&limit=2")).await;
    assert_eq!(ns(&answer.body).len(), 2);
}

// ---- filters ----

#[tokio::test]
async fn a_status_filter_matches_any_of_the_listed_statuses() {
    let server = start(known_store(40)).await;
    let answer = get(
        &server,
        &sessions_path(USER, "status_filter=failed&status_filter=pending&limit=100"),
    )
    .await;
    assert_eq!(answer.status, 200);
    let page = page(&answer.body);
    assert_eq!(page.total, 16, "n % 5 in {{0, 3}}");
    assert!(page.sessions.iter().all(|s| matches!(
        s.status,
        Some(SessionStatus::Failed | SessionStatus::Pending)
    )));
    assert_eq!(ns(&answer.body)[..4], [38, 35, 33, 30]);
    for status in SessionStatus::KNOWN {
        let query = format!("status_filter={}&limit=100", status.as_str());
        let answer = get(&server, &sessions_path(USER, &query)).await;
        assert_eq!(answer.body["total"], 8, "{status}");
    }
}

#[tokio::test]
async fn a_metadata_filter_matches_by_nested_containment() {
    let server = start(known_store(30)).await;
    let filter = |value: Value| {
        let text = value.to_string();
        let encoded: String = form_encode(&text);
        sessions_path(USER, &format!("limit=100&metadata_filter={encoded}"))
    };
    // n % 3 == 0 is "de".
    let answer = get(&server, &filter(json!({"lang": {"code": "de"}}))).await;
    assert_eq!(answer.body["total"], 10);
    assert!(ns(&answer.body).iter().all(|n| n % 3 == 0));
    // Several keys, nested and not: all must match.
    let answer = get(
        &server,
        &filter(json!({"topic": "billing", "lang": {"code": "de"}})),
    )
    .await;
    assert_eq!(ns(&answer.body), vec![24, 18, 12, 6, 0]);
    // A nested object needs only the listed keys...
    let answer = get(&server, &filter(json!({"lang": {"region": "EU"}}))).await;
    assert_eq!(answer.body["total"], 30);
    // ...but every one of them.
    let answer = get(
        &server,
        &filter(json!({"lang": {"code": "en", "region": "US"}})),
    )
    .await;
    assert_eq!(answer.body["total"], 0);
    assert_eq!(answer.body["has_more"], false);
    // Values compare exactly otherwise; numbers by value.
    let answer = get(&server, &filter(json!({"n": 7.0}))).await;
    assert_eq!(ns(&answer.body), vec![7]);
    let answer = get(&server, &filter(json!({"n": "7"}))).await;
    assert_eq!(answer.body["total"], 0);
    let answer = get(&server, &filter(json!({"missing": null}))).await;
    assert_eq!(answer.body["total"], 0);
    let answer = get(&server, &filter(json!({}))).await;
    assert_eq!(answer.body["total"], 30);
}

#[tokio::test]
async fn filters_combine_and_total_counts_every_match() {
    let server = start(known_store(60)).await;
    let metadata = form_encode(&json!({"topic": "support"}).to_string());
    let query = format!("status_filter=processing&metadata_filter={metadata}&limit=2&offset=1");
    let answer = get(&server, &sessions_path(USER, &query)).await;
    // Odd n with n % 5 == 1: 1, 11, 21, 31, 41, 51.
    assert_eq!(answer.body["total"], 6);
    assert_eq!(ns(&answer.body), vec![41, 31]);
    assert_eq!(answer.body["has_more"], true);
}

/// What the official SDK does to a query value (httpx: form encoding).
fn form_encode(text: &str) -> String {
    form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

// ---- order and pages ----

#[tokio::test]
async fn sessions_are_newest_first_with_ties_broken_by_id_descending() {
    let store = Store::new();
    for (id, seconds) in [(5u128, 10), (9, 10), (7, 20), (1, 10), (3, 5), (8, 20)] {
        store.insert(
            USER,
            session_with_id(
                Uuid::from_u128(id),
                at(seconds),
                SessionStatus::Processed,
                json!({"n": id as u64}),
            ),
        );
    }
    let server = start(store.clone()).await;
    let answer = get(&server, &sessions_path(USER, "")).await;
    assert_eq!(ns(&answer.body), vec![8, 7, 9, 5, 1, 3]);
    let snapshot: Vec<u128> = store
        .sessions(USER)
        .unwrap_or_default()
        .iter()
        .map(|s| s.session_id.as_u128())
        .collect();
    assert_eq!(
        snapshot,
        vec![8, 7, 9, 5, 1, 3],
        "the snapshot is in server order"
    );
}

#[tokio::test]
async fn page_edges() {
    let server = start(known_store(250)).await;
    let pages = |query: &'static str| {
        let server = &server;
        async move { get(server, &sessions_path(USER, query)).await.body }
    };
    // Defaults: offset 0, limit 10.
    let body = pages("").await;
    assert_eq!(ns(&body), (240..250).rev().collect::<Vec<_>>());
    assert_eq!(
        (body["total"].clone(), body["has_more"].clone()),
        (json!(250), json!(true))
    );
    // limit 1 and limit 100.
    let body = pages("limit=1&offset=5").await;
    assert_eq!(ns(&body), vec![244]);
    assert_eq!(body["has_more"], true);
    let body = pages("limit=100&offset=100").await;
    assert_eq!(ns(&body), (50..150).rev().collect::<Vec<_>>());
    assert_eq!(body["has_more"], true);
    // The last, partial page.
    let body = pages("limit=100&offset=200").await;
    assert_eq!(ns(&body).len(), 50);
    assert_eq!(body["has_more"], false);
    // A page that ends exactly at the end.
    let body = pages("limit=50&offset=200").await;
    assert_eq!(ns(&body).len(), 50);
    assert_eq!(body["has_more"], false);
    // offset = total and offset > total: empty, total still counted.
    for query in [
        "offset=250",
        "offset=251",
        "offset=18446744073709551615",
        "offset=99999999999999999999999",
    ] {
        let body = get(&server, &sessions_path(USER, query)).await.body;
        assert_eq!(
            body,
            json!({"sessions": [], "total": 250, "has_more": false}),
            "{query}"
        );
    }
}

#[tokio::test]
async fn a_walk_by_pages_sees_every_session_once() {
    let server = start(known_store(95)).await;
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let body = get(
            &server,
            &sessions_path(USER, &format!("limit=7&offset={offset}")),
        )
        .await
        .body;
        seen.extend(ns(&body));
        offset += 7;
        if body["has_more"] != true {
            break;
        }
    }
    assert_eq!(seen, (0..95).rev().collect::<Vec<_>>());
}

// ---- response shape ----

#[tokio::test]
async fn the_page_is_exactly_the_specs_session_list() {
    let server = start(known_store(3)).await;
    let answer = get(&server, &sessions_path(USER, "")).await;
    assert_eq!(answer.headers["content-type"], "application/json");
    assert_eq!(keys(&answer.body), ["has_more", "sessions", "total"]);
    for session in answer.body["sessions"].as_array().expect("sessions") {
        assert_eq!(
            keys(session),
            ["created_at", "metadata", "session_id", "status"]
        );
        let created = session["created_at"].as_str().expect("a string");
        chrono::DateTime::parse_from_rfc3339(created).expect("RFC 3339");
        assert!(created.ends_with('Z'), "{created}");
        Uuid::parse_str(session["session_id"].as_str().expect("a string")).expect("a UUID");
    }
    let page = page(&answer.body);
    assert!(page.extra.is_empty());
    assert!(
        page.sessions
            .iter()
            .all(|s| s.status.as_ref().is_some_and(SessionStatus::is_known))
    );
}

#[tokio::test]
async fn a_session_stored_without_a_status_is_served_as_pending() {
    let store = Store::from_json(
        r#"{"users": {"u": [{"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "created_at": "2023-11-07T05:31:56Z", "metadata": {}, "origin": "import"}]}}"#,
    )
    .expect("valid data");
    let server = start(store).await;
    let answer = get(&server, &sessions_path("u", "")).await;
    assert_eq!(
        answer.body["sessions"][0],
        json!({"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "pending",
               "created_at": "2023-11-07T05:31:56Z", "metadata": {}, "origin": "import"})
    );
}

// ---- log, count and hook ----

#[tokio::test]
async fn requests_are_recorded_as_sent() {
    let server = start(known_store(3)).await;
    let query = "offset=0&limit=100&metadata_filter=%7B%22topic%22%3A+%22billing%22%7D&status_filter=failed&status_filter=pending";
    get(&server, &sessions_path("a/b", query)).await;
    get(&server, &sessions_path(USER, "")).await;
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(server.request_count(), 2);
    let first = &requests[0];
    assert_eq!(first.index, 0);
    assert_eq!(first.method, "GET");
    assert_eq!(first.path, "/api/v1/users/a%2Fb/sessions");
    assert_eq!(first.query, query);
    assert_eq!(first.header("x-recallr-api-key"), Some(DEFAULT_API_KEY));
    assert_eq!(
        first.header("X-Recallr-Project-Id"),
        Some(DEFAULT_PROJECT_ID)
    );
    assert_eq!((requests[1].index, requests[1].query.as_str()), (1, ""));
}

#[tokio::test]
async fn the_hook_runs_before_each_answer_and_can_change_the_store() {
    let server = start(known_store(10)).await;
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = std::sync::Arc::clone(&seen);
    server.set_request_hook(move |index, store| {
        if let Ok(mut log) = log.lock() {
            log.push(index);
        }
        // Request 1 sees a new newest session; request 2 one fewer.
        match index {
            1 => store.insert(USER, crate::common::known_session(100)),
            2 => {
                store.delete(USER, Uuid::from_u128(101));
                store.delete(USER, Uuid::from_u128(10));
            }
            3 => {
                store.set_status(USER, Uuid::from_u128(9), SessionStatus::Processing);
            }
            _ => {}
        }
    });
    let path = sessions_path(USER, "limit=1");
    assert_eq!(get(&server, &path).await.body["total"], 10);
    let body = get(&server, &path).await.body;
    assert_eq!((body["total"].clone(), ns(&body)), (json!(11), vec![100]));
    let body = get(&server, &path).await.body;
    assert_eq!((body["total"].clone(), ns(&body)), (json!(9), vec![8]));
    let body = get(&server, &path).await.body;
    assert_eq!(body["sessions"][0]["status"], "processing", "was failed");
    // Failed requests run it too.
    get_with(&server, &path, &[]).await;
    assert_eq!(*seen.lock().expect("the log"), vec![0, 1, 2, 3, 4]);
    server.clear_request_hook();
    get(&server, &path).await;
    assert_eq!(seen.lock().expect("the log").len(), 5);
}

#[tokio::test]
async fn the_store_handle_changes_what_is_served() {
    let server = start(known_store(5)).await;
    server.store().add_user("late");
    assert_eq!(get(&server, &sessions_path("late", "")).await.status, 200);
    server.store().remove_user("late");
    assert_eq!(get(&server, &sessions_path("late", "")).await.status, 404);
}
