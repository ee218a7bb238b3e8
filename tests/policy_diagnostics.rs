//! Every policy diagnostic code, produced by a script, with its full rendering.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{bridge, HookSpec, Limits, Policy, PolicyRuntime};
use backoffice::{Diagnostic, Error};

static RETURNS_HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "eligibility",
        params: &["item", "request"],
        args: &[],
        returns: "#{decision, reason} or ()",
        doc: "Accept, reject or review one item.",
    },
    HookSpec {
        name: "window_days",
        params: &["item", "request"],
        args: &[],
        returns: "an integer number of days",
        doc: "The return window for one item.",
    },
];

fn compile_err(name: &str, source: &str) -> Error {
    Policy::compile(name, source, &PolicyRuntime::new()).unwrap_err()
}

fn only(err: &Error) -> &Diagnostic {
    assert_eq!(err.diagnostics().len(), 1, "{err}");
    &err.diagnostics()[0]
}

fn run_err(source: &str, hook: &str) -> Diagnostic {
    let policy = Policy::compile("returns.rhai", source, &PolicyRuntime::new()).unwrap();
    policy.call(hook, (1_i64,)).unwrap_err()
}

#[test]
fn syntax() {
    let err = compile_err(
        "returns.rhai",
        "fn eligibility(item, request) {\n    if item.price > 10 {\n        \"accept\n    }\n}",
    );
    let d = only(&err);
    assert_eq!(d.code, "policy.syntax");
    assert_eq!((d.line, d.column), (Some(3), Some(9)));
    assert_eq!(
        d.to_string(),
        "error[policy.syntax]: open string is not terminated
 --> returns.rhai:3:9
  |
3 |         \"accept
  |         ^^^^^^^"
    );
    assert_eq!(err.code(), "policy_error");
}

#[test]
fn undefined_variable() {
    let err = compile_err(
        "returns.rhai",
        "fn eligibility(item, request) {\n    if item.price > limit { \"reject\" } else { () }\n}",
    );
    assert_eq!(
        only(&err).to_string(),
        "error[policy.undefined_variable]: undefined variable `limit`
 --> returns.rhai:2:21
  |
2 |     if item.price > limit { \"reject\" } else { () }
  |                     ^^^^^
  = help: declare it with `let limit = ...;` or take it as a parameter; functions cannot see variables defined outside them"
    );
}

#[test]
fn unknown_hook_and_hook_arity_are_all_reported() {
    let source = "// loyalty tweaks\nfn eligibility(item) { () }\nfn refund_amount(item) { 0 }\nfn _bonus(x) { x }\n";
    let policy = Policy::compile("loyalty.rhai", source, &PolicyRuntime::new()).unwrap();
    let err = policy.bind("returns", RETURNS_HOOKS).unwrap_err();
    let d = err.diagnostics();
    assert_eq!(d.len(), 2);
    assert_eq!(
        d[0].to_string(),
        "error[policy.hook_arity]: hook `eligibility` takes 2 parameters but `fn eligibility` has 1
 --> loyalty.rhai:2:1
  |
2 | fn eligibility(item) { () }
  | ^^^^^^^^^^^^^^^^^^^^
  = help: write `fn eligibility(item, request)`"
    );
    assert_eq!(
        d[1].to_string(),
        "error[policy.unknown_hook]: `fn refund_amount` is not a hook of the returns engine
 --> loyalty.rhai:3:1
  |
3 | fn refund_amount(item) { 0 }
  | ^^^^^^^^^^^^^^^^^^^^^^
  = help: known hooks: eligibility/2, window_days/2; prefix private helpers with `_`"
    );
    // The whole error renders every diagnostic, one after the other.
    assert_eq!(err.to_string(), format!("{}\n{}", d[0], d[1]));
}

#[test]
fn a_bound_policy_with_helpers_binds() {
    let source = "fn eligibility(item, request) { _rule(item) }\nfn _rule(item) { () }";
    let policy = Policy::compile("ok.rhai", source, &PolicyRuntime::new()).unwrap();
    policy.bind("returns", RETURNS_HOOKS).unwrap();
    assert!(policy.has_hook("eligibility"));
    assert!(!policy.has_hook("window_days"));
}

#[test]
fn unknown_function() {
    let err = compile_err("returns.rhai", "fn score(x) {\n    undefined_fn(x)\n}");
    assert_eq!(
        only(&err).to_string(),
        "error[policy.unknown_function]: there is no function called `undefined_fn`
 --> returns.rhai:2:5
  |
2 |     undefined_fn(x)
  |     ^^^^^^^^^^^^
  = help: check the spelling; the functions policies can call are listed in the `backoffice::policy` documentation"
    );
}

#[test]
fn sandbox_eval() {
    let err = compile_err(
        "returns.rhai",
        "fn score(x) {\n    let r = eval(\"x + 1\");\n    r\n}",
    );
    assert_eq!(
        only(&err).to_string(),
        "error[policy.sandbox]: `eval` is not available in policies
 --> returns.rhai:2:13
  |
2 |     let r = eval(\"x + 1\");
  |             ^^^^
  = help: write the code directly in the hook"
    );
}

#[test]
fn sandbox_import() {
    let err = compile_err(
        "returns.rhai",
        "import \"shared\" as s;\n\nfn score(x) { 1 }",
    );
    assert_eq!(
        only(&err).to_string(),
        "error[policy.sandbox]: `import` is not available: policies cannot load modules or files
 --> returns.rhai:1:1
  |
1 | import \"shared\" as s;
  | ^^^^^^
  = help: keep the whole policy in one file; shared logic goes into `_helper` functions"
    );
}

#[test]
fn sandbox_timestamp() {
    let err = compile_err(
        "returns.rhai",
        "fn score(x) {\n    let now = timestamp();\n    now\n}",
    );
    assert_eq!(
        only(&err).to_string(),
        "error[policy.sandbox]: `timestamp()` is not available: policies cannot read the clock
 --> returns.rhai:2:15
  |
2 |     let now = timestamp();
  |               ^^^^^^^^^
  = help: use the time passed in the request (e.g. `request.now`), so that the same input always gives the same decision"
    );
}

#[test]
fn top_level_statements() {
    let err = compile_err("returns.rhai", "const FEE = 15;\n\nfn score(x) { x }");
    assert_eq!(
        only(&err).to_string(),
        "error[policy.top_level]: statements outside a function never run: a policy only defines functions
 --> returns.rhai:1:1
  |
1 | const FEE = 15;
  | ^^^^^
  = help: move this into a hook, or into a `_helper()` function that a hook calls"
    );
}

#[test]
fn every_compile_problem_is_reported_in_source_order() {
    let err = compile_err(
        "p.rhai",
        "fn a() { timestamp() }\nlet x = 1;\nfn b() { nope() }",
    );
    let codes: Vec<_> = err
        .diagnostics()
        .iter()
        .map(|d| (d.code.as_str(), d.line))
        .collect();
    assert_eq!(
        codes,
        [
            ("policy.sandbox", Some(1)),
            ("policy.top_level", Some(2)),
            ("policy.unknown_function", Some(3))
        ]
    );
}

#[test]
fn expression_depth() {
    let mut expr = String::from("x");
    for _ in 0..40 {
        expr = format!("1 + ({expr})");
    }
    let err = compile_err("deep.rhai", &format!("fn score(x) {{ {expr} }}"));
    let d = only(&err);
    assert_eq!(d.code, "policy.limit.expr_depth");
    assert_eq!(d.message, "expression nested too deeply");
    assert_eq!(d.line, Some(1));
    let rendered = d.to_string();
    assert!(rendered.starts_with(
        "error[policy.limit.expr_depth]: expression nested too deeply\n --> deep.rhai:1:"
    ));
    assert!(rendered.ends_with(
        "\n  = help: split the expression using `let` variables or `_helper` functions"
    ));
}

#[test]
fn operations_limit() {
    let d = run_err(
        "fn score(x) {\n    let n = 0;\n    loop { n += 1; }\n}",
        "score",
    );
    assert_eq!(
        d.to_string(),
        "error[policy.limit.operations]: the hook ran too many operations (is there an endless loop?)
 --> returns.rhai:1:1
  |
1 | fn score(x) {
  | ^^^^^^^^^^^
  = in hook `score`
  = help: loops must end; the operation limit is set with `Limits::max_operations`"
    );
}

#[test]
fn call_depth_limit() {
    let d = run_err(
        "fn score(x) {\n    _deeper(x)\n}\n\nfn _deeper(n) { _deeper(n + 1) }",
        "score",
    );
    assert_eq!(
        d.to_string(),
        "error[policy.limit.call_depth]: function calls nested too deeply (is there unbounded recursion?)
 --> returns.rhai:1:1
  |
1 | fn score(x) {
  | ^^^^^^^^^^^
  = in hook `score`
  = help: recursion must end; the depth limit is set with `Limits::max_call_depth`"
    );
}

#[test]
fn size_limit() {
    let d = run_err(
        "fn score(x) {\n    let s = \"ab\";\n    loop { s += s; }\n}",
        "score",
    );
    assert_eq!(
        d.to_string(),
        "error[policy.limit.size]: length of string exceeds its limit
 --> returns.rhai:1:1
  |
1 | fn score(x) {
  | ^^^^^^^^^^^
  = in hook `score`
  = help: string, array and map sizes are limited by `Limits`"
    );
    let d = run_err(
        "fn score(x) {\n    let a = [];\n    loop { a.push(1); }\n}",
        "score",
    );
    assert_eq!(d.code, "policy.limit.size");
    assert_eq!(d.message, "size of array/BLOB exceeds its limit");
    let d = run_err(
        "fn score(x) {\n    let m = #{};\n    while m.len() < 5000 { m[`k${m.len()}`] = 1; }\n}",
        "score",
    );
    assert_eq!(d.code, "policy.limit.size");
    assert_eq!(d.message, "size of object map exceeds its limit");
    // rhai 1.27 checks the assigned value but not the map on `m[key] = value`: a map grown
    // only that way is stopped by the operation limit instead.
    let d = run_err(
        "fn score(x) {\n    let m = #{};\n    let i = 0;\n    loop { m[`k${i}`] = i; i += 1; }\n}",
        "score",
    );
    assert_eq!(d.code, "policy.limit.operations");
}

#[test]
fn variables_limit() {
    let runtime = PolicyRuntime::new().with_limits(Limits {
        max_variables: 3,
        ..Limits::default()
    });
    let policy = Policy::compile(
        "vars.rhai",
        "fn score(x) {\n    let a = 1; let b = 2; let c = 3;\n    a + b + c\n}",
        &runtime,
    )
    .unwrap();
    let d = policy.call("score", (1_i64,)).unwrap_err();
    assert_eq!(
        d.to_string(),
        "error[policy.limit.variables]: too many variables alive at once
 --> vars.rhai:1:1
  |
1 | fn score(x) {
  | ^^^^^^^^^^^
  = in hook `score`"
    );
}

#[test]
fn runtime_errors_name_the_hook_and_the_position() {
    let d = run_err(
        "fn score(x) {\n    let m = #{price: 10};\n    m.prise * 2\n}",
        "score",
    );
    assert_eq!(
        d.to_string(),
        "error[policy.runtime]: property `prise` not found
 --> returns.rhai:3:7
  |
3 |     m.prise * 2
  |       ^^^^^
  = in hook `score`
  = help: check the spelling; test for an optional property with `\"prise\" in value`"
    );
    assert_eq!(d.hook.as_deref(), Some("score"));
    assert_eq!(d.policy.as_deref(), Some("returns.rhai"));

    let d = run_err("fn score(x) {\n    let fee = x / 0;\n    fee\n}", "score");
    assert_eq!(
        d.to_string(),
        "error[policy.runtime]: division by zero
 --> returns.rhai:2:17
  |
2 |     let fee = x / 0;
  |                 ^
  = in hook `score`"
    );

    // An error inside a helper points into the helper and names it.
    let d = run_err(
        "fn score(x) {\n    _check(x)\n}\nfn _check(x) {\n    if x > 0 { throw \"negative totals are not allowed\"; }\n}",
        "score",
    );
    assert_eq!(
        d.to_string(),
        "error[policy.runtime]: negative totals are not allowed (in `_check`)
 --> returns.rhai:5:16
  |
5 |     if x > 0 { throw \"negative totals are not allowed\"; }
  |                ^^^^^
  = in hook `score`"
    );

    let d = run_err("fn score(x) {\n    x.frobnicate(2)\n}", "score");
    assert_eq!(d.code, "policy.runtime");
    assert_eq!(d.message, "function not found: frobnicate (i64, i64)");
    assert_eq!((d.line, d.column), (Some(2), Some(7)));
}

#[test]
fn bad_return() {
    let policy = Policy::compile(
        "returns.rhai",
        "fn disposition(item) {\n    42\n}",
        &PolicyRuntime::new(),
    )
    .unwrap();
    let out = policy.call("disposition", (1_i64,)).unwrap();
    let expected = "one of \"restock\", \"refurbish\", \"scrap\"";
    let d = bridge::expect_string(&out.value, "disposition", expected).unwrap_err();
    assert_eq!(d.code, "policy.bad_return");
    assert_eq!(
        policy.annotate(d).to_string(),
        "error[policy.bad_return]: hook `disposition` returned integer 42, expected one of \"restock\", \"refurbish\", \"scrap\"
 --> returns.rhai:2:5
  |
2 |     42
  |     ^^
  = in hook `disposition`
  = help: make `disposition` return one of \"restock\", \"refurbish\", \"scrap\""
    );
}

#[test]
fn bad_return_from_every_reader() {
    use rhai::{Dynamic, Map};
    let map: Map = [("decision".into(), Dynamic::from("accept"))]
        .into_iter()
        .collect();
    let map = Dynamic::from_map(map);
    let text = Dynamic::from("accept");
    let int = Dynamic::from(3_i64);
    let msg = |d: Diagnostic| (d.code, d.message);
    assert_eq!(
        msg(bridge::expect_decimal(&text, "fee", "a decimal").unwrap_err()),
        (
            "policy.bad_return".into(),
            "hook `fee` returned string \"accept\", expected a decimal".into()
        )
    );
    assert_eq!(
        msg(bridge::expect_int(&map, "days", "an integer").unwrap_err()),
        (
            "policy.bad_return".into(),
            "hook `days` returned map #{\"decision\": \"accept\"}, expected an integer".into()
        )
    );
    assert_eq!(
        msg(bridge::expect_bool(&Dynamic::UNIT, "ok", "true or false").unwrap_err()),
        (
            "policy.bad_return".into(),
            "hook `ok` returned (), expected true or false".into()
        )
    );
    assert_eq!(
        msg(bridge::expect_map(&int, "eligibility", "#{decision, reason}").unwrap_err()),
        (
            "policy.bad_return".into(),
            "hook `eligibility` returned integer 3, expected #{decision, reason}".into()
        )
    );
    assert_eq!(
        msg(bridge::expect_array(&text, "rank", "an array of node ids").unwrap_err()),
        (
            "policy.bad_return".into(),
            "hook `rank` returned string \"accept\", expected an array of node ids".into()
        )
    );
    assert_eq!(
        msg(bridge::expect_money(&map, "refund", "a money map").unwrap_err()),
        (
            "policy.bad_return".into(),
            "hook `refund` returned map #{\"decision\": \"accept\"}, expected a money map".into()
        )
    );
    // And the happy paths.
    assert_eq!(
        bridge::expect_decimal(&int, "fee", "d")
            .unwrap()
            .to_string(),
        "3"
    );
    assert_eq!(bridge::expect_int(&int, "d", "i").unwrap(), 3);
    assert_eq!(bridge::expect_string(&text, "d", "s").unwrap(), "accept");
    assert_eq!(bridge::expect_map(&map, "d", "m").unwrap().len(), 1);
    assert!(bridge::is_unit(&Dynamic::UNIT));
    // Long values are cut in the message.
    let long = Dynamic::from("x".repeat(500));
    let d = bridge::expect_int(&long, "h", "an integer").unwrap_err();
    assert_eq!(
        d.message.chars().count(),
        "hook `h` returned string \"".len() + 79 + "…, expected an integer".chars().count()
    );
}

#[test]
fn columns_count_characters_so_the_caret_lines_up_after_unicode() {
    let err = compile_err("u.rhai", "fn h() { let s = \"日本\"; nope }");
    let d = only(&err);
    assert_eq!((d.line, d.column), (Some(1), Some(24)));
    assert_eq!(
        d.to_string(),
        "error[policy.undefined_variable]: undefined variable `nope`
 --> u.rhai:1:24
  |
1 | fn h() { let s = \"日本\"; nope }
  |                        ^^^^
  = help: declare it with `let nope = ...;` or take it as a parameter; functions cannot see variables defined outside them"
    );
}

#[test]
fn diagnostics_serialize_for_the_cli_and_the_c_abi() {
    let d = run_err("fn score(x) {\n    x.nope\n}", "score");
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json,
        serde_json::json!({
            "code": "policy.runtime",
            "severity": "error",
            "message": "Unknown property 'nope' - a getter is not registered for type 'i64'",
            "policy": "returns.rhai",
            "hook": "score",
            "line": 2,
            "column": 7,
            "end_line": 2,
            "end_column": 11,
            "snippet": "    x.nope"
        })
    );
}

/// The policy `source` decides the second example returns request (one item, inside
/// its window, so every hook runs); its error.
fn returns_failure(source: &str) -> Error {
    let policy = Policy::compile("returns.rhai", source, &PolicyRuntime::new()).unwrap();
    let engine = backoffice::engine::AnyEngine::new("returns", None, Some(policy)).unwrap();
    let samples: serde_json::Value =
        serde_json::from_str(include_str!("../examples/data/returns_requests.json")).unwrap();
    let request = samples[1]["request"].to_string();
    engine
        .decide_json(&request, &backoffice::policy::DecideOptions::default())
        .unwrap_err()
}

#[test]
fn a_misspelt_hook_gets_a_suggestion() {
    let policy = Policy::compile(
        "returns.rhai",
        "fn eligiblity(item, request) { () }\nfn window_day(item, request) { 30 }\nfn refund(item) { 0 }",
        &PolicyRuntime::new(),
    )
    .unwrap();
    let err = policy.bind("returns", RETURNS_HOOKS).unwrap_err();
    let rendered: Vec<String> = err.diagnostics().iter().map(|d| d.to_string()).collect();
    assert_eq!(
        rendered,
        [
            "error[policy.unknown_hook]: `fn eligiblity` is not a hook of the returns engine
 --> returns.rhai:1:1
  |
1 | fn eligiblity(item, request) { () }
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: did you mean `fn eligibility(item, request)`? known hooks: eligibility/2, window_days/2; prefix private helpers with `_`",
            "error[policy.unknown_hook]: `fn window_day` is not a hook of the returns engine
 --> returns.rhai:2:1
  |
2 | fn window_day(item, request) { 30 }
  | ^^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = help: did you mean `fn window_days(item, request)`? known hooks: eligibility/2, window_days/2; prefix private helpers with `_`",
            // Too far from every hook for a suggestion.
            "error[policy.unknown_hook]: `fn refund` is not a hook of the returns engine
 --> returns.rhai:3:1
  |
3 | fn refund(item) { 0 }
  | ^^^^^^^^^^^^^^^
  = help: known hooks: eligibility/2, window_days/2; prefix private helpers with `_`",
        ]
    );
    let d = &err.diagnostics()[0];
    assert_eq!(
        (d.line, d.column, d.end_line, d.end_column),
        (Some(1), Some(1), Some(1), Some(29))
    );
}

#[test]
fn a_misspelt_function_gets_a_suggestion() {
    let err = compile_err(
        "returns.rhai",
        "fn score(x) {\n    round_mony(x, \"half_even\") + _bonsu(x)\n}\nfn _bonus(x) { x }",
    );
    let rendered: Vec<String> = err.diagnostics().iter().map(|d| d.to_string()).collect();
    assert_eq!(
        rendered,
        [
            "error[policy.unknown_function]: there is no function called `round_mony`
 --> returns.rhai:2:5
  |
2 |     round_mony(x, \"half_even\") + _bonsu(x)
  |     ^^^^^^^^^^
  = help: did you mean `round_money`? the functions policies can call are listed in the `backoffice::policy` documentation",
            "error[policy.unknown_function]: there is no function called `_bonsu`
 --> returns.rhai:2:34
  |
2 |     round_mony(x, \"half_even\") + _bonsu(x)
  |                                  ^^^^^^
  = help: did you mean `_bonus`? the functions policies can call are listed in the `backoffice::policy` documentation",
        ]
    );
}

#[test]
fn bad_return_points_at_the_return_whose_value_has_the_wrong_type() {
    // Three places hand back a value; only one is a map.
    let err = returns_failure(
        "fn settlement(request) {\n    if request.days_since_delivery > 5 {\n        return #{ method: \"store_credit\" };\n    }\n    if request.days_since_delivery > 90 { return \"exchange\"; }\n    ()\n}",
    );
    assert_eq!(
        only(&err).to_string(),
        "error[policy.bad_return]: hook `settlement` returned map #{\"method\": \"store_credit\"}, expected \"original_payment\", \"store_credit\", \"exchange\" or ()
 --> returns.rhai:3:16
  |
3 |         return #{ method: \"store_credit\" };
  |                ^^^^^^^^^^^^^^^^^^^^^^^^^^^
  = in hook `settlement`
  = help: make `settlement` return \"original_payment\", \"store_credit\", \"exchange\" or ()"
    );
}

#[test]
fn bad_return_points_at_the_last_expression_and_spans_it_across_lines() {
    let err = returns_failure(
        "fn settlement(request) {\n    let late = request.days_since_delivery > 5;\n    if late { \"gift_voucher\" } else { () }\n}",
    );
    assert_eq!(
        only(&err).to_string(),
        "error[policy.bad_return]: hook `settlement` returned string \"gift_voucher\", expected \"original_payment\", \"store_credit\", \"exchange\" or ()
 --> returns.rhai:3:15
  |
3 |     if late { \"gift_voucher\" } else { () }
  |               ^^^^^^^^^^^^^^
  = in hook `settlement`
  = help: make `settlement` return \"original_payment\", \"store_credit\", \"exchange\" or ()"
    );

    // A returned expression over several lines is underlined to the end of its first.
    let err =
        returns_failure("fn settlement(request) {\n    return request.items\n        .len();\n}");
    let d = only(&err);
    assert_eq!(
        (d.line, d.column, d.end_line, d.end_column),
        (Some(2), Some(12), Some(3), Some(15))
    );
    assert_eq!(
        d.to_string(),
        "error[policy.bad_return]: hook `settlement` returned integer 1, expected \"original_payment\", \"store_credit\", \"exchange\" or ()
 --> returns.rhai:2:12
  |
2 |     return request.items
  |            ^^^^^^^^^^^^^
  = in hook `settlement`
  = help: make `settlement` return \"original_payment\", \"store_credit\", \"exchange\" or ()"
    );
}

#[test]
fn bad_return_that_cannot_be_told_apart_lists_the_lines() {
    let err = returns_failure(
        "fn settlement(request) {\n    if request.days_since_delivery > 60 { return \"voucher\"; }\n    \"coupon\"\n}",
    );
    assert_eq!(
        only(&err).to_string(),
        "error[policy.bad_return]: hook `settlement` returned string \"coupon\", expected \"original_payment\", \"store_credit\", \"exchange\" or ()
 --> returns.rhai:1:1
  |
1 | fn settlement(request) {
  | ^^^^^^^^^^^^^^^^^^^^^^
  = in hook `settlement`
  = help: make `settlement` return \"original_payment\", \"store_credit\", \"exchange\" or (); `settlement` hands back a value at lines 2, 3"
    );
}

#[test]
fn bad_fraud_signals_name_the_element_and_its_field() {
    let source = |signals: &str| {
        format!("fn fraud_signals(request) {{\n    let signals = {signals};\n    signals\n}}")
    };
    let cases = [
        (
            r#"[#{code: "a", weight: 5}, #{code: "b", weight: "high"}]"#,
            "element [1] has `weight` = string \"high\", expected an integer of 32 bits",
        ),
        (
            r#"[#{weight: 5}]"#,
            "element [0] has no `code`, expected a non-empty string",
        ),
        (
            r#"[#{code: "", weight: 5}]"#,
            "element [0] has `code` = string \"\", expected a non-empty string",
        ),
        (
            r#"[#{code: "a", weight: 5}, #{code: "b", weight: 1}, "c"]"#,
            "element [2] is string \"c\", expected a map",
        ),
        (
            r#"[#{code: "a", weight: 5, detail: 7}]"#,
            "element [0] has `detail` = integer 7, expected a string",
        ),
    ];
    for (signals, what) in cases {
        let err = returns_failure(&source(signals));
        assert_eq!(
            only(&err).to_string(),
            format!(
                "error[policy.bad_return]: hook `fraud_signals` returned an array whose {what}
 --> returns.rhai:3:5
  |
3 |     signals
  |     ^^^^^^^
  = in hook `fraud_signals`
  = help: make `fraud_signals` return an array of #{{code: string, weight: int, detail?: string, observed?: any}} or ()"
            )
        );
    }
}

#[test]
fn spans_cover_whole_tokens_and_expressions() {
    let source = "fn f(x) {\n    let s = \"a \\\" b\" + x;\n    x >= 10\n}";
    // A string literal with an escaped quote.
    let d = Diagnostic::error("t", "m").at(2, 13, source);
    assert_eq!((d.end_line, d.end_column), (Some(2), Some(21)));
    // A two-character operator.
    let d = Diagnostic::error("t", "m").at(3, 7, source);
    assert_eq!((d.end_line, d.end_column), (Some(3), Some(9)));
    // An expression ends before the `;` (a `;` inside a string does not count).
    let d = Diagnostic::error("t", "m").at_expression(2, 13, source);
    assert_eq!((d.end_line, d.end_column), (Some(2), Some(25)));
    // ... or before the brace that closes around it.
    let d = Diagnostic::error("t", "m").at_expression(3, 5, source);
    assert_eq!((d.end_line, d.end_column), (Some(3), Some(12)));
    assert_eq!(
        d.to_string(),
        "error[t]: m\n --> <policy>:3:5\n  |\n3 |     x >= 10\n  |     ^^^^^^^"
    );
    // A position past the end of its line keeps one caret.
    let d = Diagnostic::error("t", "m").at(3, 40, source);
    assert_eq!((d.end_line, d.end_column), (None, None));
    assert!(d.to_string().ends_with("3 |     x >= 10\n  |            ^"));
}

#[test]
fn closest_names() {
    use backoffice::error::closest_name;
    let names = ["eligibility", "window_days", "restocking_fee_percent"];
    assert_eq!(closest_name("eligibilty", names), Some("eligibility"));
    assert_eq!(closest_name("elgiibility", names), Some("eligibility")); // a swap
    assert_eq!(closest_name("restocking_fee", names), None);
    assert_eq!(
        closest_name("restocking_fee_precent", names),
        Some("restocking_fee_percent")
    );
    assert_eq!(closest_name("eligibility", names), None);
    assert_eq!(closest_name("ab", ["ac", "ab"]), Some("ac"));
    assert_eq!(closest_name("", names), None);
}
