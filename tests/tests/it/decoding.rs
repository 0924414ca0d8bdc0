//! The generated types decode what the vendor documents, and stay usable
//! when the vendor adds statuses or fields.

use crate::common::vendor_sample_response;
use chrono::{DateTime, Utc};
use recallr_api::types::{
    ErrorDetail, HttpValidationError, SessionInfo, SessionList, SessionStatus,
};
use serde_json::json;

fn decode(value: serde_json::Value) -> SessionList {
    serde_json::from_value(value).unwrap_or_else(|err| panic!("the page does not decode: {err}"))
}

#[test]
fn vendor_sample_decodes_without_status() {
    let page = decode(vendor_sample_response());
    assert_eq!(page.total, 123);
    assert!(page.has_more);
    assert_eq!(page.sessions.len(), 1);
    let session = &page.sessions[0];
    assert_eq!(
        session.session_id.to_string(),
        "3c90c3cc-0d44-4b50-8888-8dd25736052a"
    );
    assert_eq!(session.created_at.to_rfc3339(), "2023-11-07T05:31:56+00:00");
    assert!(session.metadata.is_empty());
    assert_eq!(session.status, None);
}

#[test]
fn every_documented_status_decodes_to_its_variant() {
    for status in SessionStatus::KNOWN {
        let mut sample = vendor_sample_response();
        sample["sessions"][0]["status"] = json!(status.as_str());
        let page = decode(sample);
        assert_eq!(page.sessions[0].status.as_ref(), Some(&status));
        assert!(status.is_known());
    }
}

#[test]
fn an_unknown_status_decodes_and_round_trips() {
    let mut sample = vendor_sample_response();
    sample["sessions"][0]["status"] = json!("archived");
    let page = decode(sample.clone());
    let status = page.sessions[0].status.clone();
    assert_eq!(status, Some(SessionStatus::from("archived")));
    assert!(!SessionStatus::from("archived").is_known());
    let reencoded = serde_json::to_value(&page).expect("a page serializes");
    assert_eq!(reencoded["sessions"][0]["status"], json!("archived"));
}

#[test]
fn unknown_fields_decode_and_are_kept() {
    let mut sample = vendor_sample_response();
    sample["next_cursor"] = json!("abc");
    sample["sessions"][0]["message_count"] = json!(7);
    sample["sessions"][0]["metadata"] = json!({"topic": {"lang": "en"}});
    let page = decode(sample.clone());
    assert_eq!(page.extra.get("next_cursor"), Some(&json!("abc")));
    assert_eq!(page.sessions[0].extra.get("message_count"), Some(&json!(7)));
    let reencoded = serde_json::to_value(&page).expect("a page serializes");
    assert_eq!(reencoded, sample);
}

#[test]
fn a_missing_required_field_is_an_error_not_a_default() {
    let mut sample = vendor_sample_response();
    if let Some(object) = sample.as_object_mut() {
        object.remove("has_more");
    }
    assert!(serde_json::from_value::<SessionList>(sample).is_err());
}

#[test]
fn both_error_bodies_decode() {
    let validation: HttpValidationError = serde_json::from_value(json!({
        "detail": [{"loc": ["query", "limit"], "msg": "Input should be less than or equal to 100",
                    "type": "less_than_equal", "input": "500", "ctx": {"le": 100}}]
    }))
    .expect("a FastAPI 422 body decodes");
    assert_eq!(validation.detail[0].loc.len(), 2);
    assert_eq!(validation.detail[0].type_, "less_than_equal");

    let plain: ErrorDetail =
        serde_json::from_value(json!({"detail": "User not found"})).expect("detail decodes");
    assert_eq!(plain.detail, "User not found");
    // Each body is refused as the other, so a client can tell them apart.
    assert!(serde_json::from_value::<ErrorDetail>(json!({"detail": []})).is_err());
    assert!(serde_json::from_value::<HttpValidationError>(json!({"detail": "x"})).is_err());
}

/// `created_at` as the generated types decode it, and as chrono's own
/// `Deserialize` does: the generated decoder tries chrono's RFC 3339 parser
/// first for speed, and must agree with chrono on every string.
fn both_decodings(text: &str) -> (Option<DateTime<Utc>>, Option<DateTime<Utc>>) {
    let session = json!({
        "session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "created_at": text,
        "metadata": {},
    });
    let generated = serde_json::from_value::<SessionInfo>(session)
        .ok()
        .map(|session| session.created_at);
    let chrono_own = serde_json::from_value::<DateTime<Utc>>(json!(text)).ok();
    (generated, chrono_own)
}

#[test]
fn timestamps_decode_exactly_as_chrono_decodes_them() {
    let accepted = [
        "2023-11-07T05:31:56Z",
        "2023-11-07T05:31:56.123456789Z",
        "2023-11-07T05:31:56+05:30",
        "2023-11-07T05:31:56-00:00",
        "2023-11-07t05:31:56z",
        "2023-12-31T23:59:60Z",
        // Only chrono's lenient parser takes these.
        "2023-11-07 05:31:56Z",
        "2023-11-07T05:31:56 +05:30",
    ];
    for text in accepted {
        let (generated, chrono_own) = both_decodings(text);
        assert!(chrono_own.is_some(), "chrono takes {text}");
        assert_eq!(generated, chrono_own, "{text}");
    }
    let refused = [
        "",
        "yesterday",
        "2023-02-30T00:00:00Z",
        "2023-11-07T05:31:56",
        "2023-11-07T25:31:56Z",
        "2023-11-07T05:31:56.Z",
    ];
    for text in refused {
        assert_eq!(both_decodings(text), (None, None), "{text}");
    }
    // Not a string at all.
    let session = json!({
        "session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
        "created_at": 1_699_335_116,
        "metadata": {},
    });
    let error = serde_json::from_value::<SessionInfo>(session)
        .err()
        .map(|err| err.to_string())
        .unwrap_or_default();
    assert!(error.contains("RFC 3339"), "{error}");
}

proptest::proptest! {
    #[test]
    fn generated_timestamp_decoding_agrees_with_chrono(
        text in r"[0-9]{4}-[01][0-9]-[0-3][0-9][Tt ][0-2][0-9]:[0-6][0-9]:[0-6][0-9](\.[0-9]{0,12})?( ?([Zz]|[+-][0-2][0-9]:?[0-5][0-9]))?"
    ) {
        let (generated, chrono_own) = both_decodings(&text);
        proptest::prop_assert_eq!(generated, chrono_own, "{}", text);
    }
}
