//! Additive spec changes stay additive for Rust users: generated types are
//! `#[non_exhaustive]`, unknown enum values are opaque, and values are still
//! easy to build from outside `recallr-api`.

use chrono::{TimeZone, Utc};
use recallr_api::types::{SessionInfo, SessionList, SessionStatus};
use serde_json::json;
use syn::{Item, Type, Visibility};
use xtask::paths;

#[test]
fn an_unknown_status_round_trips_and_reads_as_its_wire_value() {
    let status: SessionStatus = serde_json::from_value(json!("archived")).expect("decodes");
    // A wildcard pattern is the only way to match it; its text is read.
    let text = match &status {
        SessionStatus::Unknown(value) => value.as_str(),
        _ => panic!("`archived` decoded as a named variant: {status:?}"),
    };
    assert_eq!(text, "archived");
    assert_eq!(status.as_str(), "archived");
    assert_eq!(status.to_string(), "archived");
    assert!(!status.is_known());
    assert_eq!(
        serde_json::to_value(&status).expect("encodes"),
        json!("archived")
    );
    assert_eq!("archived".parse::<SessionStatus>(), Ok(status.clone()));
    assert_eq!(SessionStatus::from("archived"), status);
    if let SessionStatus::Unknown(value) = &status {
        assert_eq!(value.to_string(), "archived");
        assert_eq!(
            serde_json::to_value(value).expect("encodes"),
            json!("archived")
        );
    }
}

#[test]
fn every_variant_reads_as_its_wire_value() {
    for status in SessionStatus::KNOWN {
        let wire = serde_json::to_value(&status).expect("encodes");
        assert_eq!(wire, json!(status.as_str()));
        let decoded: SessionStatus = serde_json::from_value(wire).expect("decodes");
        assert_eq!(decoded, status);
        assert!(!matches!(decoded, SessionStatus::Unknown(_)));
    }
}

#[test]
fn structs_build_from_outside_the_crate_without_naming_extra_fields() {
    let at = Utc
        .with_ymd_and_hms(2024, 5, 1, 12, 0, 0)
        .single()
        .expect("a valid date");
    let id = uuid::Uuid::from_u128(7);

    let mut by_new = SessionInfo::new(at, serde_json::Map::new(), id);
    by_new.status = Some(SessionStatus::Failed);
    // The builder leaves the flattened `extra` empty unless it is set.
    let by_builder: SessionInfo = SessionInfo::builder()
        .session_id(id)
        .created_at(at)
        .metadata(serde_json::Map::new())
        .status(Some(SessionStatus::Failed))
        .try_into()
        .expect("every required field is set");
    assert_eq!(
        serde_json::to_value(&by_new).expect("encodes"),
        serde_json::to_value(&by_builder).expect("encodes")
    );
    assert!(by_builder.extra.is_empty());

    let missing = SessionInfo::builder().session_id(id).created_at(at);
    let error = SessionInfo::try_from(missing).expect_err("metadata is required");
    assert!(error.to_string().contains("metadata"), "{error}");

    let page = SessionList::new(false, vec![by_new], 1);
    let SessionList { total, .. } = &page;
    assert_eq!(*total, 1);
}

/// What a generated file breaks of the forward-compatibility rules.
fn rule_violations(source: &str) -> Vec<String> {
    let file = syn::parse_file(source).expect("the generated file parses");
    let Some(types) = file.items.iter().find_map(|item| match item {
        Item::Mod(module) if module.ident == "types" => {
            module.content.as_ref().map(|(_, items)| items)
        }
        _ => None,
    }) else {
        return vec!["no `types` module".to_string()];
    };
    let non_exhaustive = |attrs: &[syn::Attribute]| {
        attrs
            .iter()
            .any(|attr| attr.path().is_ident("non_exhaustive"))
    };
    let mut violations = Vec::new();
    let mut unknown_payloads = Vec::new();
    for item in types {
        match item {
            Item::Struct(item)
                if matches!(item.vis, Visibility::Public(_)) && !non_exhaustive(&item.attrs) =>
            {
                violations.push(format!("struct {} is exhaustive", item.ident));
            }
            Item::Enum(item) if matches!(item.vis, Visibility::Public(_)) => {
                if !non_exhaustive(&item.attrs) {
                    violations.push(format!("enum {} is exhaustive", item.ident));
                }
                for variant in item.variants.iter().filter(|v| v.ident == "Unknown") {
                    match variant.fields.iter().map(|field| &field.ty).next() {
                        Some(Type::Path(path)) if variant.fields.len() == 1 => {
                            match path.path.get_ident() {
                                Some(name) => unknown_payloads.push(name.to_string()),
                                None => violations
                                    .push(format!("{}::Unknown holds a foreign type", item.ident)),
                            }
                        }
                        _ => violations.push(format!(
                            "{}::Unknown does not hold one named type",
                            item.ident
                        )),
                    }
                }
            }
            _ => {}
        }
    }
    if unknown_payloads.is_empty() {
        violations.push("no enum has an `Unknown` variant".to_string());
    }
    for payload in &unknown_payloads {
        violations.extend(payload_violations(types, payload));
    }
    violations
}

/// An `Unknown` payload must be unbuildable outside the crate: no public
/// field, no inherent function returning it, no `Deserialize` or `From`.
fn payload_violations(types: &[Item], payload: &str) -> Vec<String> {
    let mut violations = Vec::new();
    let Some(definition) = types.iter().find_map(|item| match item {
        Item::Struct(item) if item.ident == payload => Some(item),
        _ => None,
    }) else {
        return vec![format!("{payload} is not a struct in `types`")];
    };
    if definition
        .fields
        .iter()
        .any(|field| !matches!(field.vis, Visibility::Inherited))
    {
        violations.push(format!("{payload} has a non-private field"));
    }
    for item in types {
        let Item::Impl(block) = item else { continue };
        let for_payload =
            matches!(block.self_ty.as_ref(), Type::Path(path) if path.path.is_ident(payload));
        if !for_payload {
            continue;
        }
        match &block.trait_ {
            Some((_, path, _)) => {
                let name = path
                    .segments
                    .last()
                    .map(|segment| segment.ident.to_string())
                    .unwrap_or_default();
                if ["Deserialize", "From", "TryFrom", "FromStr", "Default"].contains(&name.as_str())
                {
                    violations.push(format!("{payload} implements {name}"));
                }
            }
            None => {
                for impl_item in &block.items {
                    if let syn::ImplItem::Fn(function) = impl_item
                        && let syn::ReturnType::Type(_, returned) = &function.sig.output
                        && matches!(returned.as_ref(), Type::Path(path)
                            if path.path.is_ident("Self") || path.path.is_ident(payload))
                    {
                        violations.push(format!("{payload}::{} builds one", function.sig.ident));
                    }
                }
            }
        }
    }
    violations
}

#[test]
fn the_committed_client_follows_the_rules() {
    let source = std::fs::read_to_string(paths::generated()).expect("the generated file reads");
    assert_eq!(rule_violations(&source), Vec::<String>::new());
}

#[test]
fn new_schemas_follow_the_rules_too() {
    let text = std::fs::read_to_string(paths::spec()).expect("the committed spec reads");
    let mut spec: serde_json::Value = serde_json::from_str(&text).expect("the spec is JSON");
    let schemas = &mut spec["components"]["schemas"];
    schemas["SessionInfo"]["properties"]["message_count"] = json!({"type": "integer"});
    schemas["Priority"] = json!({"type": "string", "enum": ["low", "high"]});
    schemas["SessionInfo"]["properties"]["priority"] =
        json!({"$ref": "#/components/schemas/Priority"});
    schemas["Summary"] = json!({
        "type": "object",
        "required": ["text"],
        "properties": {"text": {"type": "string"}}
    });
    schemas["SessionInfo"]["properties"]["summary"] =
        json!({"$ref": "#/components/schemas/Summary"});
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("recallr.json");
    std::fs::write(&path, spec.to_string()).expect("the temp dir is writable");

    let source = xtask::generate(&path).expect("the extended spec generates");
    assert!(
        source.contains("pub struct Summary"),
        "Summary was not generated"
    );
    assert!(
        source.contains("pub enum Priority"),
        "Priority was not generated"
    );
    assert_eq!(rule_violations(&source), Vec::<String>::new());
}

#[test]
fn an_exhaustive_type_or_a_public_payload_is_caught() {
    let source = "pub mod types {
        #[non_exhaustive] pub enum E { A, Unknown(V) }
        pub struct V(pub String);
        pub struct S { pub a: u8 }
        impl V { pub fn new(text: String) -> Self { Self(text) } }
    }";
    assert_eq!(
        rule_violations(source),
        vec![
            "struct V is exhaustive".to_string(),
            "struct S is exhaustive".to_string(),
            "V has a non-private field".to_string(),
            "V::new builds one".to_string(),
        ]
    );
}
