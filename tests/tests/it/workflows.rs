//! The GitHub workflows hold to their trust rules: every action pinned by a
//! commit SHA, and the spec sync's project code kept away from write tokens.

use std::path::{Path, PathBuf};

use serde_yaml_ng::Value;

fn workflows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../.github/workflows")
}

fn load(name: &str) -> Value {
    let path = workflows_dir().join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn jobs(workflow: &Value) -> Vec<(String, &Value)> {
    workflow["jobs"]
        .as_mapping()
        .expect("jobs")
        .iter()
        .map(|(name, job)| (name.as_str().unwrap_or_default().to_string(), job))
        .collect()
}

fn steps(job: &Value) -> &[Value] {
    job["steps"]
        .as_sequence()
        .map(Vec::as_slice)
        .unwrap_or_default()
}

#[test]
fn every_action_is_pinned_by_a_commit_sha() {
    let mut unpinned = Vec::new();
    for entry in std::fs::read_dir(workflows_dir()).expect("the workflows folder") {
        let path = entry.expect("an entry").path();
        let name = path
            .file_name()
            .and_then(|name| name.to_str())
            .unwrap_or_default()
            .to_string();
        if !name.ends_with(".yml") {
            continue;
        }
        let workflow = load(&name);
        for (job, body) in jobs(&workflow) {
            for step in steps(body) {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                let pinned = uses.rsplit_once('@').is_some_and(|(_, reference)| {
                    reference.len() == 40 && reference.bytes().all(|byte| byte.is_ascii_hexdigit())
                });
                if !pinned && !uses.starts_with("./") {
                    unpinned.push(format!("{name}: job {job}: {uses}"));
                }
            }
        }
    }
    assert!(
        unpinned.is_empty(),
        "actions pinned to a mutable reference:\n{}",
        unpinned.join("\n")
    );
}

#[test]
fn the_spec_sync_runs_project_code_only_without_write_permissions() {
    let workflow = load("spec-sync.yml");
    let top = &workflow["permissions"];
    assert_eq!(
        top["contents"].as_str(),
        Some("read"),
        "the default token is read-only"
    );
    for (name, job) in jobs(&workflow) {
        let permissions = job["permissions"]
            .as_mapping()
            .expect("each job says its permissions");
        let writes = permissions
            .values()
            .any(|level| level.as_str() == Some("write"));
        let runs_project_code = steps(job)
            .iter()
            .filter_map(|step| step["run"].as_str())
            .any(|script| script.contains("cargo") || script.contains(".ci/"));
        assert!(
            !(writes && runs_project_code),
            "job {name} holds a write token and runs project code"
        );
        for step in steps(job) {
            if step["uses"]
                .as_str()
                .is_some_and(|uses| uses.starts_with("actions/checkout@"))
            {
                assert_eq!(
                    step["with"]["persist-credentials"].as_bool(),
                    Some(false),
                    "job {name}: checkout must not keep the token in .git/config"
                );
            }
        }
    }
}
