//! Runs the `backoffice` binary: every subcommand's success path, every error path, the
//! exact rendering of a diagnostic, and the JSON formats.
#![cfg(feature = "cli")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("cli")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the binary in `dir`.
fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the binary runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8(out.stdout.clone()).unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8(out.stderr.clone()).unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(out)))
}

/// The repository root, for the shipped example policies.
fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn check_renders_a_syntax_error_exactly() {
    let dir = scratch("check_syntax");
    std::fs::write(
        dir.join("broken.rhai"),
        "// engine: returns\nfn eligibility(item, request) {\n    let limit = ;\n}\n",
    )
    .unwrap();
    let out = run(&dir, &["check", "broken.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        "\
error[policy.syntax]: unexpected ';'
 --> broken.rhai:3:17
  |
3 |     let limit = ;
  |                 ^

error: 1 error in 1 of 1 policy
"
    );
}

#[test]
fn check_json_format_lists_diagnostics_per_file() {
    let dir = scratch("check_json");
    std::fs::write(dir.join("broken.rhai"), "fn f() {\n    let = 1;\n}\n").unwrap();
    let out = run(
        &dir,
        &[
            "check",
            "--error-format",
            "json",
            "broken.rhai",
            "missing.rhai",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["checked"], 2);
    assert_eq!(report["failed"], 2);
    assert_eq!(report["errors"], 2);
    let broken = &report["files"][0];
    assert_eq!(broken["path"], "broken.rhai");
    assert_eq!(broken["ok"], false);
    let diagnostic = &broken["diagnostics"][0];
    assert_eq!(diagnostic["code"], "policy.syntax");
    assert_eq!(diagnostic["severity"], "error");
    assert_eq!(diagnostic["line"], 2);
    assert_eq!(diagnostic["column"], 9);
    assert_eq!(diagnostic["snippet"], "    let = 1;");
    assert_eq!(diagnostic["policy"], "broken.rhai");
    let missing = &report["files"][1];
    assert_eq!(missing["ok"], false);
    assert!(missing["error"]
        .as_str()
        .unwrap()
        .starts_with("cannot read `missing.rhai`: "));
}

#[test]
fn check_reports_a_missing_file() {
    let dir = scratch("check_missing");
    let out = run(&dir, &["check", "nowhere.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.starts_with("error: cannot read `nowhere.rhai`: "),
        "{err}"
    );
    assert!(err.ends_with("error: 1 error in 1 of 1 policy\n"), "{err}");
}

#[test]
fn check_needs_to_know_the_engine() {
    let dir = scratch("check_engine");
    std::fs::write(dir.join("policy.rhai"), "fn _helper() { 1 }\n").unwrap();
    let out = run(&dir, &["check", "policy.rhai", "--engine", "teleport"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: invalid `kind`: unknown engine kind `teleport`"),
        "{}",
        stderr(&out)
    );
    let out = run(&dir, &["check", "policy.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot tell which engine `policy.rhai` is for\n  = help: pass --engine ENGINE or start the policy with a `// engine: ENGINE` line"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn hooks_rejects_an_unknown_engine() {
    let out = run(repo(), &["hooks", "--engine", "teleport"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: invalid `kind`: unknown engine kind `teleport`"));
}

#[test]
fn definitions_writes_rhai_definition_files() {
    let dir = scratch("definitions");
    let out = run(&dir, &["definitions", "defs"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let helpers = std::fs::read_to_string(dir.join("defs/__static__.d.rhai")).unwrap();
    assert!(helpers.contains("fn round_money("), "{helpers}");
    assert!(helpers.contains("fn percent_of("), "{helpers}");
    assert!(stdout(&out).contains("wrote defs/__static__.d.rhai\n"));
    for kind in backoffice::engine::ENGINE_KINDS {
        let hooks = std::fs::read_to_string(dir.join(format!("defs/hooks_{kind}.d.rhai"))).unwrap();
        for hook in backoffice::engine::hooks_of(kind).unwrap() {
            assert!(hooks.contains(&format!("fn {}(", hook.name)), "{hooks}");
        }
    }
}

#[test]
fn test_reports_a_missing_path_and_a_broken_file() {
    let dir = scratch("test_errors");
    let out = run(&dir, &["test", "nowhere.test.json"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: cannot read `nowhere.test.json`: no such file or directory\n"
    );

    std::fs::write(dir.join("broken.test.json"), "{\"cases\": [}").unwrap();
    let out = run(&dir, &["test", "broken.test.json"]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("test broken.test.json :: (file) ... FAILED\n"),
        "{text}"
    );
    assert!(
        text.contains("`broken.test.json` is not valid JSON"),
        "{text}"
    );
    assert!(text.ends_with("\nresult: 0 passed, 1 failed\n"), "{text}");

    std::fs::write(
        dir.join("typo.test.json"),
        r#"{"cases": [], "polcy": "x.rhai"}"#,
    )
    .unwrap();
    let out = run(&dir, &["test", "typo.test.json", "--format", "json"]);
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["ok"], false);
    assert_eq!(report["failed"], 1);
    assert!(report["cases"][0]["failures"][0]
        .as_str()
        .unwrap()
        .contains("unknown field `polcy`"));

    let empty = scratch("test_errors_empty");
    let out = run(&empty, &["test", "."]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "error: no `*.test.json` files under `.`\n");
}

#[test]
fn help_links_the_test_file_format() {
    let out = run(repo(), &["test", "--help"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("docs/policy-tests.md"));
    let out = run(repo(), &["--help"]);
    assert!(stdout(&out).contains("docs/policy-tests.md"));
}
