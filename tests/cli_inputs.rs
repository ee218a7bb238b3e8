//! `backoffice eval` given a file of several requests, and `backoffice check` given an
//! empty policy.
#![cfg(feature = "cli")]
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

fn run(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8(bytes.to_vec()).unwrap()
}

const REQUESTS: &str = "examples/data/returns_requests.json";
const CONFIG: &str = "examples/data/returns_config.json";
const FIRST: &str = "Two sizes of a dress bought, one sent back, plus opened lipstick";
const SECOND: &str =
    "A defective blender from a new account, light on the scale and shipped back from abroad";

#[test]
fn a_file_of_several_requests_says_so_and_how_to_pick_one() {
    let out = run(&["eval", "--engine", "returns", "--input", REQUESTS]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stdout), "");
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: `{REQUESTS}` holds 2 requests (a JSON array), not one request\n  = help: add --batch to decide them all, or --pick INDEX or --pick TITLE to decide one\n  = requests: 0 {FIRST:?}, 1 {SECOND:?}\n"
        )
    );
}

#[test]
fn pick_chooses_one_request_by_index_or_title() {
    let decide = |pick: &str| {
        let out = run(&[
            "eval", "--engine", "returns", "--config", CONFIG, "--input", REQUESTS, "--pick", pick,
        ]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        serde_json::from_slice::<Value>(&out.stdout).unwrap()
    };
    let by_index = decide("1");
    assert_eq!(by_index, decide(SECOND));
    // The same decision as the request decided on its own.
    let samples: Value = serde_json::from_str(
        &std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(REQUESTS)).unwrap(),
    )
    .unwrap();
    let engine = backoffice::engine::AnyEngine::new(
        "returns",
        Some(&std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(CONFIG)).unwrap()),
        None,
    )
    .unwrap();
    let alone = engine
        .decide_json(
            &samples[1]["request"].to_string(),
            &backoffice::policy::DecideOptions::default(),
        )
        .unwrap();
    assert_eq!(by_index, alone);
    assert_eq!(decide("0")["outcome"]["status"], "accepted");
    assert_eq!(by_index["outcome"]["status"], "review");

    let out = run(&[
        "eval", "--engine", "returns", "--input", REQUESTS, "--pick", "7",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!(
            "error: `--pick 7`: `{REQUESTS}` has no request with that index or title\n  = requests: 0 {FIRST:?}, 1 {SECOND:?}\n"
        )
    );
}

#[test]
fn batch_reads_named_requests() {
    let out = run(&[
        "eval", "--engine", "returns", "--config", CONFIG, "--input", REQUESTS, "--batch",
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let decisions: Value = serde_json::from_slice(&out.stdout).unwrap();
    let statuses: Vec<&str> = decisions
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["outcome"]["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["accepted", "review"]);
}

#[test]
fn an_empty_policy_is_a_warning_in_check_and_an_error_in_eval() {
    let dir = std::env::temp_dir().join(format!("backoffice-cli-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let policy = dir.join("empty.rhai");
    std::fs::write(&policy, "// engine: returns\n// nothing yet\n").unwrap();
    let policy = policy.to_str().unwrap();
    let warning = format!(
        "warning[policy.empty]: the policy defines no hook of the returns engine, so attaching it changes nothing\n --> {policy}\n  = help: define one of the hooks (eligibility, window_days, restocking_fee_percent, disposition, settlement, fraud_signals, return_shipping_fee, review_route); to attach an empty policy on purpose, call `Policy::allow_empty` first"
    );

    let out = run(&["check", policy]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(text(&out.stderr), format!("{warning}\n\n"));
    assert_eq!(
        text(&out.stdout),
        format!("ok: {policy} (returns engine; no hooks)\n")
    );

    let out = run(&["check", "--error-format", "json", policy]);
    assert!(out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["errors"], 0);
    assert_eq!(report["files"][0]["ok"], true);
    assert_eq!(report["files"][0]["diagnostics"][0]["code"], "policy.empty");
    assert_eq!(report["files"][0]["diagnostics"][0]["severity"], "warning");

    let request = dir.join("request.json");
    std::fs::write(&request, "{}").unwrap();
    let out = run(&[
        "eval",
        "--policy",
        policy,
        "--input",
        request.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr),
        format!("{}\n", warning.replacen("warning[", "error[", 1))
    );
    let _ = std::fs::remove_dir_all(&dir);
}
