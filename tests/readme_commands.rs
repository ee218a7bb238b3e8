//! Runs the `backoffice` commands of the README's policy-author section and every
//! example of `docs/policy-tests.md`, as written, from a copy of the repository root
//! (the shipped `examples/`), so that the documentation cannot drift from the tool.
//!
//! In a Markdown file, a fenced block preceded by `<!-- file: NAME -->` is written to
//! `NAME` first; then every `$ backoffice ...` line of a `console` block runs through
//! `sh` (globs and redirections as a user's shell would do them) and must succeed. Lines
//! after a command, up to the next command, are its expected output, where a line `...`
//! stands for any number of lines.
#![cfg(all(feature = "cli", unix))]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// A console command and the output shown after it.
struct Example {
    command: String,
    output: Vec<String>,
}

/// The files to write and the console examples of a Markdown text.
fn examples(markdown: &str) -> (Vec<(String, String)>, Vec<Example>) {
    let mut files = Vec::new();
    let mut commands: Vec<Example> = Vec::new();
    let mut lines = markdown.lines().peekable();
    let mut pending_file: Option<String> = None;
    while let Some(line) = lines.next() {
        if let Some(name) = line
            .strip_prefix("<!-- file: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        {
            pending_file = Some(name.to_string());
            continue;
        }
        let Some(info) = line.strip_prefix("```") else {
            continue;
        };
        let mut body = Vec::new();
        for inner in lines.by_ref() {
            if inner.starts_with("```") {
                break;
            }
            body.push(inner);
        }
        if let Some(name) = pending_file.take() {
            files.push((name, body.join("\n") + "\n"));
        } else if info == "console" {
            let mut current: Option<Example> = None;
            for line in body {
                match line.strip_prefix("$ ") {
                    Some(command) => {
                        commands.extend(current.take());
                        current = command.starts_with("backoffice ").then(|| Example {
                            command: command.to_string(),
                            output: Vec::new(),
                        });
                    }
                    None => {
                        if let Some(example) = current.as_mut() {
                            example.output.push(line.to_string());
                        }
                    }
                }
            }
            commands.extend(current);
        }
    }
    (files, commands)
}

/// Whether `actual` matches `expected`, where an expected line `...` matches any run of
/// lines (none included).
fn matches(expected: &[String], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((first, rest)) if first == "..." => {
            (0..=actual.len()).any(|skip| matches(rest, &actual[skip..]))
        }
        Some((first, rest)) => actual
            .split_first()
            .is_some_and(|(line, tail)| line == first && matches(rest, tail)),
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A scratch copy of the repository's examples, standing in for its root.
fn root_copy(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("readme_commands")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    for part in ["examples/policies", "examples/data"] {
        copy_dir(&repo.join(part), &dir.join(part));
    }
    dir
}

/// Runs every example of `markdown` in a fresh root copy; returns how many commands ran.
fn run_examples(name: &str, markdown: &str) -> usize {
    let dir = root_copy(name);
    let (files, commands) = examples(markdown);
    for (file, text) in &files {
        std::fs::write(dir.join(file), text).unwrap();
    }
    let bin = Path::new(env!("CARGO_BIN_EXE_backoffice"));
    let path = format!(
        "{}:{}",
        bin.parent().unwrap().display(),
        std::env::var("PATH").unwrap_or_default()
    );
    for example in &commands {
        let out = Command::new("sh")
            .arg("-c")
            .arg(&example.command)
            .current_dir(&dir)
            .env("PATH", &path)
            .output()
            .unwrap();
        let stdout = String::from_utf8(out.stdout).unwrap();
        assert!(
            out.status.success(),
            "`{}` failed in {}:\n{stdout}\n{}",
            example.command,
            dir.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        if !example.output.is_empty() {
            let actual: Vec<&str> = stdout.lines().collect();
            assert!(
                matches(&example.output, &actual),
                "`{}` printed\n{stdout}\nbut the documentation shows\n{}",
                example.command,
                example.output.join("\n")
            );
        }
    }
    commands.len()
}

#[test]
fn every_backoffice_command_of_the_readme_runs_as_written() {
    let readme = include_str!("../README.md");
    let ran = run_examples("readme", readme);
    // hooks, check (twice), eval (twice), test, definitions, bench.
    assert_eq!(ran, 8);
}

#[test]
fn every_example_of_the_policy_test_docs_runs() {
    let docs = include_str!("../docs/policy-tests.md");
    let (files, _) = examples(docs);
    let names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["fees.rhai", "fees.test.json"]);
    assert_eq!(run_examples("policy_tests", docs), 2);
}

#[test]
fn the_output_matcher_treats_dots_as_any_lines() {
    let expected: Vec<String> = ["a", "...", "c"].map(String::from).to_vec();
    assert!(matches(&expected, &["a", "c"]));
    assert!(matches(&expected, &["a", "b", "b", "c"]));
    assert!(!matches(&expected, &["a", "b"]));
    assert!(!matches(&expected, &["x", "c"]));
}
