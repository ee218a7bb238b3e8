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
fn check_renders_a_closure_cycle_exactly() {
    let dir = scratch("check_closure_cycle");
    std::fs::write(
        dir.join("cycle.rhai"),
        "// engine: returns\nfn eligibility(item, request) {\n    let seen = [];\n    seen.push(|| seen.len());\n    ()\n}\n",
    )
    .unwrap();
    let out = run(&dir, &["check", "cycle.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stdout(&out), "");
    assert_eq!(
        stderr(&out),
        "\
error[policy.closure_cycle]: this call of `push` may store a closure in `seen`, which a closure captures at 4:18; the two would keep each other alive and leak memory on every call
 --> cycle.rhai:4:5
  |
4 |     seen.push(|| seen.len());
  |     ^^^^
  = help: store only plain values (numbers, strings, arrays and maps of them) in `seen`; for a function that calls itself, write a `_helper` function instead of a closure

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

// ---------------------------------------------------------------------------------------
// Subcommands that run an engine. They use the routing engine and its example policy.

/// Whether the engine has landed in this build.
fn have(kind: &str) -> bool {
    backoffice::engine::ENGINE_KINDS.contains(&kind)
}

const ROUTING_CONFIG: &str = r#"{"chain": ["policy", "priority"], "max_shipments": 1}"#;

/// A one-line order that the store, the drop-shipper and the warehouse can all fill.
const ROUTING_REQUEST: &str = r#"{
  "order": {"id": "SO-1", "channel": "web",
            "ship_to": {"country": "DE", "postal_code": "10115", "latitude": "52.5200", "longitude": "13.4050"},
            "lines": [{"line_id": "1", "sku": "MUG", "quantity": 2}]},
  "nodes": [
    {"id": "STORE-BERLIN", "kind": "store", "country": "DE", "priority": 1, "location": {"latitude": "52.5246", "longitude": "13.4027"}},
    {"id": "DC-MUNICH", "kind": "warehouse", "country": "DE", "priority": 3, "location": {"latitude": "48.1351", "longitude": "11.5820"}}
  ],
  "stock": [
    {"node_id": "STORE-BERLIN", "sku": "MUG", "on_hand": 5},
    {"node_id": "DC-MUNICH", "sku": "MUG", "on_hand": 5}
  ],
  "now": "2026-03-01T09:30:00Z"
}"#;

/// A scratch directory holding the routing example policy, a config and a request.
fn routing_scratch(name: &str) -> PathBuf {
    let dir = scratch(name);
    std::fs::copy(
        repo().join("examples/policies/routing.rhai"),
        dir.join("routing.rhai"),
    )
    .unwrap();
    std::fs::write(dir.join("config.json"), ROUTING_CONFIG).unwrap();
    std::fs::write(dir.join("order.json"), ROUTING_REQUEST).unwrap();
    dir
}

#[test]
fn check_passes_the_shipped_example_policies() {
    let mut args = vec!["check".to_string()];
    for kind in backoffice::engine::ENGINE_KINDS {
        let path = format!("examples/policies/{kind}.rhai");
        if repo().join(&path).exists() {
            args.push(path);
        }
    }
    if args.len() == 1 {
        return;
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = run(repo(), &args);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    if have("routing") {
        assert!(stdout(&out).contains(
            "ok: examples/policies/routing.rhai (routing engine; hooks: chain, eligible, rank)\n"
        ));
    }
}

#[test]
fn check_reports_an_unknown_hook_and_a_wrong_arity() {
    if !have("routing") {
        return;
    }
    let dir = scratch("check_unknown_hook");
    std::fs::write(
        dir.join("typo.rhai"),
        "// engine: routing\n\nfn eligble(node, order) { () }\n\nfn rank(node) { 0 }\n",
    )
    .unwrap();
    let out = run(&dir, &["check", "typo.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "\
error[policy.unknown_hook]: `fn eligble` is not a hook of the routing engine
 --> typo.rhai:3:1
  |
3 | fn eligble(node, order) { () }
  | ^^^^^^^^^^^^^^^^^^^^^^^
  = help: did you mean `fn eligible(node, order)`? known hooks: eligible/2, rank/2, chain/1; prefix private helpers with `_`

error[policy.hook_arity]: hook `rank` takes 2 parameters but `fn rank` has 1
 --> typo.rhai:5:1
  |
5 | fn rank(node) { 0 }
  | ^^^^^^^^^^^^^
  = help: write `fn rank(node, order)`

error: 2 errors in 1 of 1 policy
"
    );
    let out = run(&dir, &["check", "--error-format", "json", "typo.rhai"]);
    let report = json(&out);
    assert_eq!(report["files"][0]["engine"], "routing");
    assert_eq!(
        report["files"][0]["diagnostics"][0]["code"],
        "policy.unknown_hook"
    );
    assert_eq!(
        report["files"][0]["diagnostics"][1]["code"],
        "policy.hook_arity"
    );
}

#[test]
fn eval_prints_the_decision_as_json() {
    if !have("routing") {
        return;
    }
    let dir = routing_scratch("eval_json");
    let out = run(
        &dir,
        &[
            "eval",
            "--policy",
            "routing.rhai",
            "--config",
            "config.json",
            "--input",
            "order.json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let decision = json(&out);
    // The policy ranks warehouses before stores.
    assert_eq!(decision["outcome"]["status"], "routed");
    assert_eq!(decision["outcome"]["shipments"][0]["node_id"], "DC-MUNICH");
    assert_eq!(decision["reasons"][0]["code"], "routed");
    assert!(decision.get("trace").is_none());
    assert!(stdout(&out).starts_with("{\n  \"outcome\": {\n"));

    let out = run(
        &dir,
        &[
            "eval",
            "--engine",
            "routing",
            "--input",
            "order.json",
            "--trace",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let decision = json(&out);
    // Without the policy, the default chain picks the closest node, the store.
    assert_eq!(
        decision["outcome"]["shipments"][0]["node_id"],
        "STORE-BERLIN"
    );
    assert!(decision["trace"]["steps"]
        .as_array()
        .is_some_and(|s| !s.is_empty()));
}

#[test]
fn eval_explain_prints_tables() {
    if !have("routing") {
        return;
    }
    let dir = routing_scratch("eval_explain");
    let out = run(
        &dir,
        &[
            "eval",
            "--policy",
            "routing.rhai",
            "--config",
            "config.json",
            "--input",
            "order.json",
            "--explain",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(text.starts_with("OUTCOME\nfield"), "{text}");
    assert!(
        text.contains("\nchain                           policy, priority\n"),
        "{text}"
    );
    assert!(
        text.contains("\nshipments[0].node_id            DC-MUNICH\n"),
        "{text}"
    );
    assert!(
        text.contains("\nREASONS\ncode              source                subject  message\n"),
        "{text}"
    );
    assert!(
        text.contains("\nrouted            rule routing                   routed in 1 shipment(s): DC-MUNICH (2)\n"),
        "{text}"
    );
}

#[test]
fn eval_reports_missing_files_and_bad_input() {
    if !have("routing") {
        return;
    }
    let dir = routing_scratch("eval_errors");
    let out = run(
        &dir,
        &[
            "eval",
            "--policy",
            "routing.rhai",
            "--input",
            "nowhere.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot read `nowhere.json`: "),
        "{}",
        stderr(&out)
    );

    let out = run(
        &dir,
        &["eval", "--policy", "missing.rhai", "--input", "order.json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: cannot read `missing.rhai`: "),
        "{}",
        stderr(&out)
    );

    std::fs::write(dir.join("bad.json"), r#"{"order": 1, "nope": true}"#).unwrap();
    let out = run(
        &dir,
        &["eval", "--engine", "routing", "--input", "bad.json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: order: expected an object (an order), got integer 1\n"
    );

    std::fs::write(dir.join("broken.rhai"), "fn chain(order) { [ }\n").unwrap();
    let out = run(
        &dir,
        &[
            "eval",
            "--engine",
            "routing",
            "--policy",
            "broken.rhai",
            "--input",
            "order.json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error[policy.syntax]: "),
        "{}",
        stderr(&out)
    );
    assert!(
        stderr(&out).contains("\n --> broken.rhai:1:"),
        "{}",
        stderr(&out)
    );
}

/// A suite with two passing cases (one decision, one hook) and one failing case.
const ROUTING_SUITE: &str = r#"{
  "engine": "routing",
  "policy": "routing.rhai",
  "config": "config.json",
  "cases": [
    {"name": "warehouse first", "input_file": "order.json",
     "expect": {"outcome": {"status": "routed", "shipments": [{"node_id": "DC-MUNICH"}]},
                "reasons": {"exactly": ["routed", "rank_from_policy"]}}},
    {"name": "stores rank second", "hook": "rank",
     "args": [{"kind": "store"}, {}], "expect": 1},
    {"name": "wrong expectation", "input_file": "order.json",
     "expect": {"outcome": {"shipments": [{"node_id": "STORE-BERLIN"}]},
                "reasons": {"contains": ["chain_from_policy"]}}}
  ]
}"#;

#[test]
fn test_reports_passes_failures_and_diffs_like_cargo() {
    if !have("routing") {
        return;
    }
    let dir = routing_scratch("test_human");
    std::fs::write(dir.join("routing.test.json"), ROUTING_SUITE).unwrap();
    let out = run(&dir, &["test", "."]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    let expected_start = "\
running 3 cases from 1 file
test routing.test.json :: warehouse first ... ok
test routing.test.json :: stores rank second ... ok
test routing.test.json :: wrong expectation ... FAILED

failures:

---- routing.test.json :: wrong expectation ----
reasons: expected to contain [chain_from_policy], got [routed, rank_from_policy]
(- expected, + actual)
  outcome.shipments[0].node_id
    - \"STORE-BERLIN\"
    + \"DC-MUNICH\"

failures:
    routing.test.json :: wrong expectation

coverage:
  routing.rhai: ";
    assert!(text.starts_with(expected_start), "{text}");
    assert!(text.contains("\n    never run: "), "{text}");
    assert!(text.ends_with("\n\nresult: 2 passed, 1 failed\n"), "{text}");

    // --run filters by name; the rest count as skipped.
    let out = run(
        &dir,
        &["test", "routing.test.json", "--run", "^(warehouse|stores)"],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("\nresult: 2 passed, 0 failed, 1 skipped\n"),
        "{}",
        stdout(&out)
    );

    let out = run(&dir, &["test", ".", "--run", "("]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).starts_with("error: --run: invalid regular expression"));
}

#[test]
fn test_json_format_and_coverage_threshold() {
    if !have("routing") {
        return;
    }
    let dir = routing_scratch("test_json");
    std::fs::write(dir.join("routing.test.json"), ROUTING_SUITE).unwrap();
    let out = run(
        &dir,
        &[
            "test",
            "routing.test.json",
            "--format",
            "json",
            "--threshold",
            "100",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["ok"], false);
    assert_eq!(report["passed"], 2);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["skipped"], 0);
    let failed = &report["cases"][2];
    assert_eq!(failed["name"], "wrong expectation");
    assert_eq!(failed["kind"], "decision");
    assert_eq!(failed["passed"], false);
    assert_eq!(
        failed["mismatches"][0],
        serde_json::json!({"path": "outcome.shipments[0].node_id", "expected": "STORE-BERLIN", "actual": "DC-MUNICH"})
    );
    assert_eq!(
        failed["failures"][0],
        "reasons: expected to contain [chain_from_policy], got [routed, rank_from_policy]"
    );
    assert_eq!(failed["actual"]["outcome"]["status"], "routed");
    assert_eq!(report["cases"][1]["kind"], "hook");
    assert_eq!(report["cases"][1]["actual"], 1);
    let coverage = &report["coverage"][0];
    assert_eq!(coverage["policy"], "routing.rhai");
    assert!(!coverage["missed_lines"].as_array().unwrap().is_empty());
    assert_eq!(report["threshold"], "100");
    assert_eq!(
        report["below_threshold"],
        serde_json::json!(["routing.rhai"])
    );

    // Passing cases only, but coverage below the threshold still fails.
    let out = run(
        &dir,
        &[
            "test",
            "routing.test.json",
            "--run",
            "warehouse",
            "--threshold",
            "100",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("\nerror: coverage of routing.rhai is "),
        "{text}"
    );
    assert!(text.contains("%, below the threshold of 100%\n"), "{text}");
    assert!(
        text.ends_with("\nresult: 1 passed, 0 failed, 2 skipped\n"),
        "{text}"
    );
}

#[test]
fn test_passes_the_shipped_suites_above_90_percent() {
    let present = backoffice::engine::ENGINE_KINDS.iter().any(|kind| {
        repo()
            .join(format!("examples/policies/{kind}.test.json"))
            .exists()
    });
    if !present {
        return;
    }
    let out = run(repo(), &["test", "examples/policies", "--threshold", "90"]);
    assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
    assert!(stdout(&out).contains("\nresult: "));
    assert!(stdout(&out).ends_with(" 0 failed\n"));
}

#[test]
fn hooks_lists_each_engines_hooks() {
    if !have("routing") {
        return;
    }
    let out = run(repo(), &["hooks", "--engine", "routing"]);
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "routing engine (3 hooks)\n  fn eligible(node: node, order: order)\n      "
        ),
        "{text}"
    );
    assert!(text.contains("\n  fn chain(order: order)\n"), "{text}");

    let out = run(repo(), &["hooks", "--format", "json"]);
    assert!(out.status.success());
    let report = json(&out);
    let engines: Vec<&str> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["engine"].as_str().unwrap())
        .collect();
    assert_eq!(engines, backoffice::engine::ENGINE_KINDS);
    let routing = report
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["engine"] == "routing")
        .unwrap();
    assert_eq!(routing["hooks"][0]["name"], "eligible");
    assert_eq!(
        routing["hooks"][0]["params"],
        serde_json::json!(["node", "order"])
    );
    assert!(routing["hooks"][0]["returns"].is_string());
    assert!(routing["hooks"][0]["doc"].is_string());
}

#[test]
fn bench_measures_evaluations_per_second() {
    if !have("routing") {
        return;
    }
    let dir = routing_scratch("bench");
    let out = run(
        &dir,
        &[
            "bench",
            "--policy",
            "routing.rhai",
            "--config",
            "config.json",
            "--input",
            "order.json",
            // The count ends the measurement, never the clock: the assertions below hold
            // however loaded the machine is.
            "--seconds",
            "3600",
            "--max-iterations",
            "20",
            "--format",
            "json",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let report = json(&out);
    assert_eq!(report["engine"], "routing");
    assert_eq!(report["policy"], "routing.rhai");
    assert!(report["digest"].as_str().unwrap().starts_with("sha256:"));
    for key in ["measured", "builtin_baseline"] {
        let m = &report[key];
        let number = |field: &str| {
            m[field]
                .as_u64()
                .unwrap_or_else(|| panic!("{key}.{field}: {report}"))
        };
        assert_eq!(number("iterations"), 20, "{report}");
        // The rate is the count over the measured time, in whole evaluations per second.
        let expected = 20 * 1_000_000_000 / number("elapsed_ns").max(1);
        assert_eq!(number("evaluations_per_second"), expected, "{report}");
        assert!(number("min_ns") > 0, "{report}");
        assert!(number("min_ns") <= number("median_ns"), "{report}");
        assert!(number("median_ns") <= number("p90_ns"), "{report}");
    }

    let out = run(
        &dir,
        &[
            "bench",
            "--engine",
            "routing",
            "--input",
            "order.json",
            "--seconds",
            "3600",
            "--max-iterations",
            "50",
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with("engine routing, policy none (built-in behaviour)\n"),
        "{text}"
    );
    assert!(text.contains("evaluations/s   median "), "{text}");
    assert!(text.contains("(50 runs)"), "{text}");

    // A request the engine refuses is not measured.
    std::fs::write(dir.join("bad.json"), "{}").unwrap();
    let out = run(
        &dir,
        &["bench", "--engine", "routing", "--input", "bad.json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("error: invalid JSON"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn eval_batch_reads_an_array_from_standard_input() {
    if !have("routing") {
        return;
    }
    use std::io::Write;
    let dir = routing_scratch("eval_batch");
    let input = format!("[{ROUTING_REQUEST}, {{\"order\": 1}}]");
    let mut child = Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .args(["eval", "--engine", "routing", "--input", "-", "--batch"])
        .current_dir(&dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let decisions = json(&out);
    assert_eq!(decisions[0]["outcome"]["status"], "routed");
    assert_eq!(decisions[1]["error"]["code"], "invalid_json");
}

/// Runs the binary in `dir` with `input` on standard input.
fn run_with_stdin(dir: &Path, args: &[&str], input: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_backoffice"))
        .args(args)
        .current_dir(dir)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // A run that fails before reading standard input closes it: the write then fails
    // with a broken pipe, depending on timing, and the output says what happened.
    let written = child.stdin.take().unwrap().write_all(input.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "{e}");
    }
    child.wait_with_output().unwrap()
}

#[test]
fn config_and_input_read_standard_input_for_a_dash() {
    if !have("returns") {
        return;
    }
    let policy = "examples/policies/returns.rhai";
    let config_file = "examples/data/returns_config.json";
    let request_file = "examples/data/returns_request.json";
    let config = std::fs::read_to_string(repo().join(config_file)).unwrap();
    let request = std::fs::read_to_string(repo().join(request_file)).unwrap();
    let from_files = run(
        repo(),
        &[
            "eval",
            "--policy",
            policy,
            "--config",
            config_file,
            "--input",
            request_file,
        ],
    );
    assert!(from_files.status.success(), "{}", stderr(&from_files));
    let decision = json(&from_files);
    assert_eq!(decision["outcome"]["refund"]["total"]["amount"], "138.33");

    let input_dash = run_with_stdin(
        repo(),
        &[
            "eval",
            "--policy",
            policy,
            "--config",
            config_file,
            "--input",
            "-",
        ],
        &request,
    );
    assert!(input_dash.status.success(), "{}", stderr(&input_dash));
    assert_eq!(json(&input_dash), decision);

    let config_dash = run_with_stdin(
        repo(),
        &[
            "eval",
            "--policy",
            policy,
            "--config",
            "-",
            "--input",
            request_file,
        ],
        &config,
    );
    assert!(config_dash.status.success(), "{}", stderr(&config_dash));
    assert_eq!(json(&config_dash), decision);

    let both = run_with_stdin(
        repo(),
        &["eval", "--policy", policy, "--config", "-", "--input", "-"],
        &config,
    );
    assert_eq!(both.status.code(), Some(1));
    assert_eq!(
        stderr(&both),
        "error: --config and --input cannot both be `-`: standard input can be read only once; give one of them as a file\n"
    );
}

#[test]
fn eval_prints_failures_as_json_with_error_format_json() {
    if !have("returns") {
        return;
    }
    let dir = scratch("eval_error_json");
    std::fs::write(
        dir.join("returns.rhai"),
        "fn settlement(request) {\n    return 42;\n}\n",
    )
    .unwrap();
    std::fs::copy(
        repo().join("examples/data/returns_request.json"),
        dir.join("request.json"),
    )
    .unwrap();
    let args = [
        "eval",
        "--policy",
        "returns.rhai",
        "--input",
        "request.json",
    ];
    let human = run(&dir, &args);
    assert_eq!(human.status.code(), Some(1));
    assert_eq!(stdout(&human), "");
    assert_eq!(
        stderr(&human),
        "\
error[policy.bad_return]: hook `settlement` returned integer 42, expected \"original_payment\", \"store_credit\", \"exchange\" or ()
 --> returns.rhai:2:12
  |
2 |     return 42;
  |            ^^
  = in hook `settlement`
  = help: make `settlement` return \"original_payment\", \"store_credit\", \"exchange\" or ()
"
    );
    let out = run(&dir, &[&args[..], &["--error-format", "json"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out), "");
    let error = &json(&out)["error"];
    assert_eq!(error["code"], "policy_error");
    assert_eq!(
        error["diagnostics"],
        serde_json::json!([{
            "code": "policy.bad_return",
            "severity": "error",
            "message": "hook `settlement` returned integer 42, expected \"original_payment\", \"store_credit\", \"exchange\" or ()",
            "help": "make `settlement` return \"original_payment\", \"store_credit\", \"exchange\" or ()",
            "policy": "returns.rhai",
            "hook": "settlement",
            "line": 2,
            "column": 12,
            "snippet": "    return 42;",
            "end_line": 2,
            "end_column": 14
        }])
    );
    // A failure of the tool itself has the same shape.
    let out = run(
        &dir,
        &[
            "eval",
            "--policy",
            "missing.rhai",
            "--input",
            "request.json",
            "--error-format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let error = &json(&out)["error"];
    assert_eq!(error["code"], "cli_error");
    assert!(error["message"]
        .as_str()
        .unwrap()
        .starts_with("cannot read `missing.rhai`: "));
}

#[test]
fn test_cases_that_check_nothing_or_call_hooks_wrongly_fail_with_the_reason() {
    if !have("returns") {
        return;
    }
    let dir = scratch("test_case_problems");
    std::fs::copy(
        repo().join("examples/policies/returns.rhai"),
        dir.join("returns.rhai"),
    )
    .unwrap();
    std::fs::copy(
        repo().join("examples/data/returns_request.json"),
        dir.join("request.json"),
    )
    .unwrap();
    std::fs::write(
        dir.join("cases.test.json"),
        r#"{"policy": "returns.rhai", "cases": [
 {"name": "two args for one", "hook": "settlement", "args": [{}, {}], "expect": null},
 {"name": "misspelt hook", "hook": "setlement", "args": [{}], "expect": null},
 {"name": "null is checked", "hook": "settlement",
  "args": [{"requested_settlement": "original_payment", "days_since_delivery": 70}], "expect": null},
 {"name": "no expectation", "hook": "settlement", "args": [{}]},
 {"name": "empty expect", "input_file": "request.json", "expect": {}},
 {"name": "empty reasons", "input_file": "request.json", "expect": {"reasons": {}}},
 {"name": "misspelt exclusion", "input_file": "request.json",
  "expect": {"reasons": {"excludes": ["fraud_reveiw", "opened_cosmetic", "fraud_deny"]}}}
]}"#,
    )
    .unwrap();
    let out = run(&dir, &["test", "cases.test.json", "--no-coverage"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "\
running 7 cases from 1 file
test cases.test.json :: two args for one ... FAILED
test cases.test.json :: misspelt hook ... FAILED
test cases.test.json :: null is checked ... FAILED
test cases.test.json :: no expectation ... FAILED
test cases.test.json :: empty expect ... FAILED
test cases.test.json :: empty reasons ... FAILED
test cases.test.json :: misspelt exclusion ... ok
warning: `excludes` names `fraud_reveiw`, which neither the returns engine nor the policy can emit, so it always holds; check the spelling (did you mean `fraud_review`?)
warning: `excludes` names `opened_cosmetic`, which neither the returns engine nor the policy can emit, so it always holds; check the spelling (did you mean `opened_cosmetics`?)

failures:

---- cases.test.json :: two args for one ----
`fn settlement(request)` (line 30) takes 1 argument, but `args` gives 2

---- cases.test.json :: misspelt hook ----
the policy defines no function `setlement`; did you mean `settlement`?

---- cases.test.json :: null is checked ----
(- expected, + actual)
  settlement(…)
    - null
    + \"store_credit\"

---- cases.test.json :: no expectation ----
the case expects nothing: give `expect` (the return value, `null` for `()`), `expect_error` or `expect_output`

---- cases.test.json :: empty expect ----
the case expects nothing, so it would always pass: give `expect` at least one of `outcome`, `fields`, `reasons` (`contains`, `exactly` or `excludes`), `error` or `output`

---- cases.test.json :: empty reasons ----
the case expects nothing, so it would always pass: give `expect` at least one of `outcome`, `fields`, `reasons` (`contains`, `exactly` or `excludes`), `error` or `output`

failures:
    cases.test.json :: two args for one
    cases.test.json :: misspelt hook
    cases.test.json :: null is checked
    cases.test.json :: no expectation
    cases.test.json :: empty expect
    cases.test.json :: empty reasons

result: 1 passed, 6 failed
"
    );
    // `--strict` turns the warnings into a failure.
    let out = run(
        &dir,
        &[
            "test",
            "cases.test.json",
            "--no-coverage",
            "--strict",
            "--run",
            "exclusion",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let report = json(&out);
    assert_eq!(report["failed"], 1);
    assert_eq!(report["warnings"], 2);
    assert_eq!(report["cases"][0]["passed"], false);
}

#[test]
fn test_prints_policy_diagnostics_as_json_with_error_format_json() {
    if !have("returns") {
        return;
    }
    let dir = scratch("test_error_json");
    std::fs::write(
        dir.join("returns.rhai"),
        "fn settlement(request) {\n    let x = ;\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("cases.test.json"),
        r#"{"policy": "returns.rhai", "cases": [
 {"name": "settles", "hook": "settlement", "args": [{}], "expect": null}
]}"#,
    )
    .unwrap();
    let out = run(
        &dir,
        &[
            "test",
            "cases.test.json",
            "--no-coverage",
            "--error-format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "\
running 1 case from 1 file
test cases.test.json :: settles ... FAILED

failures:

---- cases.test.json :: settles ----
the policy does not compile:
{\"code\":\"policy.syntax\",\"severity\":\"error\",\"message\":\"unexpected ';'\",\"policy\":\"returns.rhai\",\"line\":2,\"column\":13,\"snippet\":\"    let x = ;\",\"end_line\":2,\"end_column\":14}

failures:
    cases.test.json :: settles

result: 0 passed, 1 failed
"
    );
}

#[path = "../src/bin/backoffice/reason_codes.rs"]
mod reason_codes;

/// Every `.rs` file under `dir`, concatenated.
fn sources(dir: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            text.push_str(&sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            text.push_str(&std::fs::read_to_string(&path).unwrap());
        }
    }
    text
}

#[test]
fn the_reason_code_catalogue_matches_the_engines() {
    let src = sources(&repo().join("src"));
    for kind in backoffice::engine::ENGINE_KINDS {
        let catalogue = reason_codes::builtin(kind);
        assert!(catalogue.len() > 1, "{kind}");
        // Every code in the catalogue is written somewhere in the library.
        for code in &catalogue {
            let written = match code.strip_prefix("condition_") {
                // `format!("condition_{}", item.condition.as_str())`
                Some(condition) => {
                    src.contains("format!(\"condition_{}\"")
                        && src.contains(&format!("\"{condition}\""))
                }
                None => src.contains(&format!("\"{code}\"")),
            };
            assert!(written, "`{code}` ({kind}) is not in the library's source");
        }
        // Every reason of every golden fixture is in it, or a string of the policy.
        let dir = repo().join("tests/fixtures").join(kind);
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let fixture: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let policy = fixture["policy"].as_str().map_or_else(String::new, |name| {
                let local = dir.join(name);
                let shipped = repo().join("examples/policies").join(name);
                std::fs::read_to_string(if local.exists() { local } else { shipped }).unwrap()
            });
            for reason in fixture["expected"]["reasons"]
                .as_array()
                .into_iter()
                .flatten()
            {
                let code = reason["code"].as_str().unwrap();
                assert!(
                    catalogue.contains(&code) || policy.contains(&format!("\"{code}\"")),
                    "{}: reason `{code}` is neither in the {kind} catalogue nor in the policy",
                    path.display()
                );
            }
        }
    }
}

#[test]
fn hooks_lists_every_field_of_every_argument_with_its_type() {
    let out = run(repo(), &["hooks", "--engine", "returns"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let hooks = backoffice::engine::hooks_of("returns").unwrap();
    let mut records: Vec<&'static backoffice::policy::schema::Record> = Vec::new();
    for ty in hooks.iter().flat_map(|h| h.args) {
        for record in ty.record().unwrap().reachable() {
            if !records.iter().any(|r| std::ptr::eq(*r, record)) {
                records.push(record);
            }
        }
    }
    let names: Vec<&str> = records.iter().map(|r| r.name).collect();
    for wanted in ["item", "request"] {
        assert!(names.contains(&wanted), "{names:?}");
    }
    for record in records {
        let header = format!("  {}: {}\n", record.name, record.doc);
        assert!(text.contains(&header), "no {header:?} in\n{text}");
        let width = record.fields.iter().map(|f| f.name.len()).max().unwrap();
        for field in record.fields {
            let live = if field.live {
                " (set as the decision goes on)"
            } else {
                ""
            };
            let line = format!(
                "    {:width$}  {}  {}{live}\n",
                field.name, field.ty, field.doc
            );
            assert!(text.contains(&line), "no {line:?} in\n{text}");
        }
    }
    // Typed parameters.
    assert!(
        text.contains("  fn eligibility(item: item, request: request)\n"),
        "{text}"
    );
}

#[test]
fn the_docs_list_of_hook_arguments_is_what_the_schemas_say() {
    let out = run(repo(), &["hooks", "--markdown"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let generated = stdout(&out);
    let path = repo().join("docs/hook-arguments.md");
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap();
    assert!(
        committed == generated,
        "docs/hook-arguments.md is stale: run `BLESS=1 cargo test --all-features --test cli the_docs_list` and commit it"
    );
}

#[test]
fn a_misspelt_engine_header_names_its_position_and_the_engines() {
    let dir = scratch("engine_header");
    std::fs::write(
        dir.join("name.rhai"),
        "// Returns policy.\n//   engine: retuns\nfn eligibility(item, request) { () }\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("key.rhai"),
        "// engin: returns\nfn eligibility(item, request) { () }\n",
    )
    .unwrap();
    std::fs::write(dir.join("request.json"), "{}").unwrap();
    let out = run(&dir, &["check", "name.rhai"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "\
error: unknown engine `retuns` in the `// engine:` header
 --> name.rhai:2:14
  = help: did you mean `returns`? engines: routing, returns, refunds, address

error: 1 error in 1 of 1 policy
"
    );
    let out = run(
        &dir,
        &["eval", "--policy", "key.rhai", "--input", "request.json"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "\
error: `// engin:` is not a policy header
 --> key.rhai:1:4
  = help: did you mean `// engine: returns`? engines: routing, returns, refunds, address
"
    );
    // `--engine` decides; the header is not read then.
    let out = run(&dir, &["check", "name.rhai", "--engine", "returns"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn test_writes_lcov_coverage_beside_the_summary() {
    let dir = scratch("lcov");
    std::fs::write(
        dir.join("fees.rhai"),
        "// engine: returns\nfn restocking_fee_percent(item, request) {\n    if item.condition == \"new\" {\n        return 0;\n    }\n    15\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("fees.test.json"),
        r#"{"engine": "returns", "policy": "fees.rhai", "cases": [
  {"name": "new items are free", "hook": "restocking_fee_percent",
   "args": [{"condition": "new"}, {}], "expect": 0}
]}"#,
    )
    .unwrap();
    let expected = "\
TN:
SF:fees.rhai
DA:3,1
DA:4,1
DA:6,0
LF:3
LH:2
end_of_record
";
    let out = run(&dir, &["test", ".", "--coverage-format", "lcov"]);
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(
        stdout(&out),
        "\
running 1 case from 1 file
test fees.test.json :: new items are free ... ok

coverage:
  fees.rhai: 66.6% of 3 lines (2 run)
    never run: 6
    6 |     15
  lcov tracefile: lcov.info

result: 1 passed, 0 failed
"
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("lcov.info")).unwrap(),
        expected
    );

    let out = run(
        &dir,
        &[
            "test",
            "fees.test.json",
            "--format",
            "json",
            "--coverage-format",
            "lcov",
            "--coverage-output",
            "out.lcov",
        ],
    );
    assert!(out.status.success(), "{}", stdout(&out));
    assert_eq!(json(&out)["lcov"], "out.lcov");
    assert_eq!(
        std::fs::read_to_string(dir.join("out.lcov")).unwrap(),
        expected
    );
    // Without --coverage-format the report has no `lcov` key.
    let out = run(&dir, &["test", "fees.test.json", "--format", "json"]);
    assert_eq!(json(&out).get("lcov"), None);

    let out = run(
        &dir,
        &["test", ".", "--coverage-format", "lcov", "--no-coverage"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stderr(&out),
        "error: --coverage-format lcov needs coverage; drop --no-coverage\n"
    );
}

#[test]
fn eval_explain_json_is_the_decision_log() {
    let dir = scratch("decision_log");
    std::fs::write(
        dir.join("fees.rhai"),
        "// engine: returns\nfn restocking_fee_percent(item, request) {\n    if item.condition == \"new\" {\n        return ();\n    }\n    15\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.join("config.json"),
        r#"{"window": {"default_days": 30}}"#,
    )
    .unwrap();
    let request = |condition: &str| {
        serde_json::json!({
            "order": {
                "order_id": "SO-1", "currency": "EUR", "customer_id": "c-1", "payment_method": "card",
                "placed_at": "2025-03-01T10:00:00Z", "delivered_at": "2025-03-04T12:00:00Z",
                "lines": [{"line_id": "1", "sku": "HEADPHONES", "category": "electronics", "quantity": 1,
                           "unit_price": {"amount": "99.99", "currency": "EUR"}}]
            },
            "items": [{"line_id": "1", "quantity": 1, "reason": "changed_mind", "condition": condition}],
            "now": "2025-03-10T09:00:00Z"
        })
    };
    std::fs::write(dir.join("opened.json"), request("opened").to_string()).unwrap();
    std::fs::write(
        dir.join("both.json"),
        serde_json::json!([request("opened"), request("new")]).to_string(),
    )
    .unwrap();
    let eval = |extra: &[&str]| {
        let mut args = vec!["eval", "--policy", "fees.rhai", "--config", "config.json"];
        args.extend_from_slice(extra);
        let out = run(&dir, &args);
        assert!(out.status.success(), "{}", stderr(&out));
        json(&out)
    };
    let buckets = [
        "under_100us",
        "100us_to_1ms",
        "1ms_to_10ms",
        "10ms_to_100ms",
        "100ms_or_more",
    ];
    let log = eval(&["--input", "opened.json", "--explain", "--format", "json"]);
    // The decision is what `--trace` prints.
    assert_eq!(
        log["decision"],
        eval(&["--input", "opened.json", "--trace"])
    );
    assert!(log["decision"]["trace"]["steps"].as_array().unwrap().len() > 1);
    let calls = log["hook_calls"].as_array().unwrap();
    assert_eq!(calls.len(), 1, "{log}");
    let call = calls[0].as_object().unwrap();
    assert_eq!(
        call.keys().map(String::as_str).collect::<Vec<_>>(),
        ["args_digest", "duration", "error", "hook", "result"]
    );
    assert_eq!(call["hook"], "restocking_fee_percent");
    assert_eq!(call["result"], 15);
    assert_eq!(call["error"], serde_json::Value::Null);
    let digest = call["args_digest"].as_str().unwrap();
    assert!(
        digest.starts_with("sha256:") && digest.len() == 23,
        "{digest}"
    );
    assert!(buckets.contains(&call["duration"].as_str().unwrap()));
    assert!(buckets.contains(&log["duration"].as_str().unwrap()));
    assert_eq!(
        log.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["decision", "duration", "hook_calls"]
    );

    // One log per request with --batch; the same arguments give the same digest, other
    // arguments another; `()` is `null`.
    let logs = eval(&[
        "--input",
        "both.json",
        "--batch",
        "--explain",
        "--format",
        "json",
    ]);
    let logs = logs.as_array().unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0]["hook_calls"][0]["args_digest"], digest);
    assert_eq!(logs[0]["hook_calls"][0]["result"], 15);
    let second = &logs[1]["hook_calls"][0];
    assert_ne!(second["args_digest"], digest);
    assert_eq!(second["result"], serde_json::Value::Null);

    // `--format` needs `--explain`.
    let out = run(
        &dir,
        &[
            "eval",
            "--policy",
            "fees.rhai",
            "--input",
            "opened.json",
            "--format",
            "json",
        ],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn check_explain_says_which_hooks_run_natively() {
    let dir = scratch("check_explain");
    std::fs::write(
        dir.join("p.rhai"),
        "// engine: returns\nfn window_days(item, request) { if item.sku == \"A\" { 60 } else { () } }\nfn settlement(request) {\n    let n = 0;\n    do { n += 1; } while n < 2;\n    ()\n}\n",
    )
    .unwrap();
    let out = run(&dir, &["check", "--explain", "p.rhai"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "ok: p.rhai (returns engine; hooks: window_days, settlement)\n  window_days: native\n  settlement: interpreted (p.rhai:5:5: `do` loop)\n"
    );
    let out = run(
        &dir,
        &["check", "--explain", "--error-format", "json", "p.rhai"],
    );
    let native = &json(&out)["files"][0]["native"];
    assert_eq!(native[0]["compiled"], true);
    assert_eq!(native[1]["reason"], "`do` loop");
}

#[test]
fn eval_decides_the_same_with_the_interpreter_forced() {
    let dir = scratch("eval_interpret");
    let policy = repo().join("examples/policies/returns.rhai");
    let input = repo().join("examples/data/returns_request.json");
    let args = |extra: &[&'static str]| {
        let mut a = vec![
            "eval",
            "--engine",
            "returns",
            "--policy",
            policy.to_str().unwrap(),
            "--input",
            input.to_str().unwrap(),
        ];
        a.extend_from_slice(extra);
        a.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let native = run(
        &dir,
        &args(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
    );
    let interpreted = run(
        &dir,
        &args(&["--interpret"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
    );
    assert_eq!(native.status.code(), Some(0), "{}", stderr(&native));
    assert_eq!(stdout(&native), stdout(&interpreted));
}

/// `backoffice test` reports the same line coverage for the example policies whether
/// their hooks run on the native evaluator or on the interpreter (`--interpret`).
#[test]
fn test_coverage_is_the_same_on_the_native_evaluator() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let report = |extra: &[&str]| {
        let mut args = vec!["test", "examples/policies", "--format", "json"];
        args.extend_from_slice(extra);
        let out = run(root, &args);
        assert!(out.status.success(), "{}{}", stdout(&out), stderr(&out));
        json(&out)
    };
    let native = report(&[]);
    let interpreted = report(&["--interpret"]);
    let coverage = native["coverage"].as_array().unwrap();
    assert_eq!(coverage.len(), 5, "{native}");
    assert!(coverage
        .iter()
        .all(|c| c["executed_lines"].as_u64().unwrap() > 0));
    assert_eq!(native["coverage"], interpreted["coverage"]);
    assert_eq!(native["passed"], interpreted["passed"]);
    // Case by case, where most lines are missed.
    let mut partial = 0;
    for case in native["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let pattern: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_punctuation() {
                    format!("\\{c}")
                } else {
                    c.to_string()
                }
            })
            .collect();
        let pattern = format!("^{pattern}$");
        let native = report(&["--run", &pattern]);
        let interpreted = report(&["--run", &pattern, "--interpret"]);
        assert_eq!(native["coverage"], interpreted["coverage"], "{name}");
        let missed = native["coverage"].as_array().unwrap().iter();
        partial += missed
            .filter(|c| !c["missed_lines"].as_array().unwrap().is_empty())
            .count();
    }
    assert!(partial > 20, "{partial}");
}
