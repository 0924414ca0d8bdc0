//! Configuration: every mistake is a clear error before anything is sent.

use std::collections::HashMap;
use std::time::Duration;

use recallr_ext::{Error, Recallr, RecallrBuilder};

const KEY: &str = "rai_config_test_key_8b1f";
const PROJECT: &str = "6f2c1f8e-2f0a-4c1e-9a55-0c5b8f1d2e3a";

fn config_error(result: Result<Recallr, Error>) -> String {
    match result {
        Err(Error::Config { message }) => message,
        Err(other) => panic!("expected a configuration error, got {other:?}"),
        Ok(client) => panic!("expected a configuration error, got {client:?}"),
    }
}

fn valid() -> RecallrBuilder {
    Recallr::builder().api_key(KEY).project_id(PROJECT)
}

#[test]
fn a_complete_configuration_builds() {
    let client = valid().build().expect("valid");
    assert_eq!(client.base_url(), "https://api.recallrai.com");
    assert_eq!(client.project_id().to_string(), PROJECT);
}

#[test]
fn a_missing_key_or_project_is_named() {
    let missing_key = config_error(Recallr::builder().project_id(PROJECT).build());
    assert!(missing_key.contains("API key") && missing_key.contains("RECALLR_API_KEY"));
    let missing_project = config_error(Recallr::builder().api_key(KEY).build());
    assert!(missing_project.contains("project ID"));
}

#[test]
fn an_empty_key_is_refused() {
    let message = config_error(valid().api_key("  ").build());
    assert!(message.contains("empty"), "{message}");
}

#[test]
fn a_key_that_cannot_be_a_header_is_refused_without_echoing_it() {
    let bad_key = "rai_line\nbreak";
    let message = config_error(valid().api_key(bad_key).build());
    assert!(message.contains("API key"), "{message}");
    assert!(!message.contains("rai_line"), "the key leaked: {message}");
}

#[test]
fn a_project_id_that_is_not_a_uuid_is_refused() {
    let message = config_error(valid().project_id("project-7").build());
    assert!(message.contains("not a UUID"), "{message}");
    // A key passed as the project ID by mistake is not echoed back.
    let swapped = config_error(valid().project_id(KEY).build());
    assert!(!swapped.contains(KEY), "the key leaked: {swapped}");
}

#[test]
fn bad_base_urls_are_refused() {
    for bad in ["", "localhost:8080", "ftp://example.test", "http://h/?x=1"] {
        let message = config_error(valid().base_url(bad).build());
        assert!(message.contains("base URL"), "{bad:?}: {message}");
    }
    let client = valid()
        .base_url("http://127.0.0.1:9/")
        .build()
        .expect("valid");
    assert_eq!(client.base_url(), "http://127.0.0.1:9");
}

#[test]
fn timeouts_with_a_caller_supplied_http_client_are_refused() {
    let message = config_error(
        valid()
            .http_client(reqwest::Client::new())
            .timeout(Duration::from_secs(1))
            .build(),
    );
    assert!(message.contains("timeout"), "{message}");
    assert!(valid().http_client(reqwest::Client::new()).build().is_ok());
}

fn from_map(vars: &[(&str, &str)]) -> Result<Recallr, Error> {
    let vars: HashMap<String, String> = vars
        .iter()
        .map(|(name, value)| (name.to_string(), value.to_string()))
        .collect();
    RecallrBuilder::from_env_with(|name| vars.get(name).cloned())?.build()
}

#[test]
fn environment_variables_configure_the_client() {
    let client = from_map(&[
        ("RECALLR_API_KEY", KEY),
        ("RECALLR_PROJECT_ID", PROJECT),
        ("RECALLR_BASE_URL", "http://127.0.0.1:9"),
    ])
    .expect("a complete environment");
    assert_eq!(client.base_url(), "http://127.0.0.1:9");
    let default_url = from_map(&[("RECALLR_API_KEY", KEY), ("RECALLR_PROJECT_ID", PROJECT)])
        .expect("the base URL is optional");
    assert_eq!(default_url.base_url(), "https://api.recallrai.com");
}

#[test]
fn a_missing_or_empty_variable_is_named() {
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("RECALLR_PROJECT_ID", PROJECT)],
            "RECALLR_API_KEY is not set",
        ),
        (
            &[("RECALLR_API_KEY", ""), ("RECALLR_PROJECT_ID", PROJECT)],
            "RECALLR_API_KEY is set but empty",
        ),
        (&[("RECALLR_API_KEY", KEY)], "RECALLR_PROJECT_ID is not set"),
        (
            &[
                ("RECALLR_API_KEY", KEY),
                ("RECALLR_PROJECT_ID", PROJECT),
                ("RECALLR_BASE_URL", " "),
            ],
            "RECALLR_BASE_URL is set but empty",
        ),
    ];
    for (vars, expected) in cases {
        let message = config_error(from_map(vars));
        assert_eq!(message, expected);
    }
}

#[test]
fn debug_output_never_shows_the_key() {
    let builder = valid();
    let client = valid().build().expect("valid");
    for text in [format!("{builder:?}"), format!("{client:?}")] {
        assert!(!text.contains(KEY), "the key leaked: {text}");
    }
    assert!(format!("{builder:?}").contains("<redacted>"));
}
