//! A fresh clone has nothing beside it: no file of the project may read or
//! cite a path outside the repository.

use std::path::{Path, PathBuf};

use xtask::paths::workspace_root;

/// Directories that are build output or local tool state, not project files.
const SKIPPED_DIRS: &[&str] = &["target", ".git", "node_modules", "__pycache__"];

/// Spellings of the sibling folder the project's sources were once read from.
/// Built with `concat!` so that this file does not match itself.
const OUTSIDE_PATHS: &[&str] = &[
    concat!("..", "/shared"),
    concat!("..", "\\shared"),
    concat!("shared", "/api/"),
];

fn project_files(dir: &Path, found: &mut Vec<PathBuf>) {
    let entries =
        std::fs::read_dir(dir).unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()));
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let kind = entry
            .file_type()
            .unwrap_or_else(|err| panic!("cannot stat {}: {err}", path.display()));
        if kind.is_dir() {
            if !SKIPPED_DIRS.contains(&name.as_ref()) && !name.starts_with(".venv") {
                project_files(&path, found);
            }
        } else if kind.is_file() {
            found.push(path);
        }
    }
}

#[test]
fn no_file_reads_or_cites_a_path_outside_the_repository() {
    let root = workspace_root();
    let mut files = Vec::new();
    project_files(&root, &mut files);
    assert!(
        files.len() > 50,
        "walked only {} files under {}",
        files.len(),
        root.display()
    );
    let mut offenders = Vec::new();
    for file in &files {
        // Binary files cannot cite a path in a way a reader would follow.
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        for needle in OUTSIDE_PATHS {
            for (number, line) in text.lines().enumerate() {
                if line.contains(needle) {
                    let shown = file.strip_prefix(&root).unwrap_or(file);
                    offenders.push(format!("{}:{}: {line}", shown.display(), number + 1));
                }
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "project files mention a path outside the repository (a fresh clone has \
         nothing beside it; copy what is needed into the repository instead):\n{}",
        offenders.join("\n")
    );
}
