//! The policy runtime: sandbox, limits, diagnostics, helpers, threads.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{bridge, HookSpec, Policy, PolicyRuntime};
use rhai::Dynamic;

fn compile(source: &str) -> Policy {
    Policy::compile("test.rhai", source, &PolicyRuntime::new()).unwrap()
}

fn eval(body: &str) -> Dynamic {
    let policy = compile(&format!("fn h() {{ {body} }}"));
    policy.call("h", ()).unwrap().value
}

#[test]
fn integer_division_is_an_exact_decimal() {
    assert_eq!(eval("15 / 100").to_string(), "0.15");
    assert_eq!(eval("7 / 2").to_string(), "3.5");
    assert_eq!(eval("15 / 100 == 0.15").as_bool(), Ok(true));
    assert_eq!(eval("7 / 2 == 3.5").as_bool(), Ok(true));
    assert_eq!(
        eval("let price = 200; price * (1 - 15 / 100)").to_string(),
        "170.00"
    );
}

#[test]
fn decimal_literals_are_exact() {
    assert_eq!(eval("0.1 + 0.2 == 0.3").as_bool(), Ok(true));
    assert_eq!(eval("0.1 + 0.2").to_string(), "0.3");
}

#[test]
fn print_is_captured_not_written() {
    let policy = compile("fn h(x) { print(\"x\"); debug(x); x + 1 }");
    let out = policy.call("h", (41_i64,)).unwrap();
    assert_eq!(out.value.as_int(), Ok(42));
    assert_eq!(
        out.output,
        vec!["x".to_string(), "[debug line 1] 41".to_string()]
    );
    // Nothing is left over for the next call.
    let again = policy.call("h", (1_i64,)).unwrap();
    assert_eq!(again.output.len(), 2);
}

#[test]
fn digest_and_source_ref() {
    let policy = compile("fn h() { 1 }");
    assert_eq!(
        policy.digest(),
        "sha256:443956cf91b789466f7c255c0e661568ae74ab9111a1396c7a5551fa98e09925"
    );
    assert!(policy.digest().starts_with("sha256:"));
    assert_eq!(policy.digest().len(), 7 + 64);
    let r = policy.source_ref("h");
    assert_eq!(r.policy, "test.rhai");
    assert_eq!(r.line, Some(1));
}

#[test]
fn bind_reports_unknown_hooks_and_arity() {
    static HOOKS: &[HookSpec] = &[HookSpec {
        name: "eligibility",
        params: &["item", "request"],
        args: &[],
        returns: "map",
        doc: "d",
    }];
    let policy =
        compile("fn eligibility(item) { () }\nfn _helper() { 1 }\nfn refund_amount(item) { 0 }");
    let err = policy.bind("returns", HOOKS).unwrap_err();
    let codes: Vec<_> = err.diagnostics().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["policy.hook_arity", "policy.unknown_hook"]);
    let _ = bridge::is_unit(&Dynamic::UNIT);
}

#[test]
fn functions_are_found_by_the_tokenizer_not_fooled_by_comments_or_strings() {
    let source = r#"// fn commented_out(a) { }
/* fn in_block_comment(a, b) { } */
fn eligibility(item, request) {
    let s = "fn in_string(x) {}";
    let t = `fn in_template ${ item.a + 1 } fn after(y) {}`;
    _helper(s + t)
}

  private fn _helper(x) { x }
fn no_params() { 1 }
fn _helper(x, y) { x + y }
"#;
    let policy = compile(source);
    let found: Vec<_> = policy
        .functions()
        .iter()
        .map(|f| (f.name.as_str(), f.arity(), f.line, f.column))
        .collect();
    assert_eq!(
        found,
        [
            ("eligibility", 2, 3, 1),
            ("_helper", 1, 9, 11),
            ("no_params", 0, 10, 1),
            ("_helper", 2, 11, 1)
        ]
    );
    assert_eq!(policy.functions()[0].params, ["item", "request"]);
}

#[test]
fn eight_threads_share_one_policy_and_get_identical_results() {
    let policy = compile(
        r#"fn score(order) {
    let s = 0;
    for line in order.lines {
        if line.price.amount > 100 { s += 10; }
        if line.quantity >= 3 { s += 5; }
    }
    print(`order ${order.id}`);
    s + order.id / 4
}"#,
    );
    let order = |id: i64| {
        let lines: Vec<_> = (0..5)
            .map(|i| {
                serde_json::json!({
                    "price": {"amount": format!("{}.50", 60 + 20 * i + id % 7), "currency": "EUR"},
                    "quantity": (i + id) % 4
                })
            })
            .collect();
        bridge::to_dynamic(&serde_json::json!({"id": id, "lines": lines})).unwrap()
    };
    let run = |id: i64| {
        let out = policy.call("score", (order(id),)).unwrap();
        (out.value.to_string(), out.output)
    };
    let expected: Vec<_> = (0..200).map(run).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..8)
            .map(|_| scope.spawn(|| (0..200).map(run).collect::<Vec<_>>()))
            .collect();
        for handle in handles {
            assert_eq!(handle.join().unwrap(), expected);
        }
    });
    assert_eq!(
        expected[3],
        ("40.75".to_string(), vec!["order 3".to_string()])
    );
}

#[test]
fn policy_is_clone_send_sync_and_runtime_too() {
    fn assert_traits<T: Clone + Send + Sync + 'static>() {}
    assert_traits::<Policy>();
    assert_traits::<PolicyRuntime>();
}

#[cfg(feature = "coverage")]
#[test]
fn coverage_records_the_lines_that_ran() {
    let runtime = PolicyRuntime::new().with_coverage();
    let source = "fn fee(item) {
    let base = 5;
    if item.opened {
        base + 10
    } else {
        base
    }
}
fn _unused() {
    1
}";
    let policy = Policy::compile("cov.rhai", source, &runtime).unwrap();
    let item = |opened: bool| {
        let m: rhai::Map = [("opened".into(), Dynamic::from(opened))]
            .into_iter()
            .collect();
        m
    };
    let cov = policy.coverage().unwrap();
    assert_eq!(
        cov.statement_lines.iter().copied().collect::<Vec<_>>(),
        [2, 3, 4, 6, 10]
    );
    assert!(cov.executed_lines.is_empty());

    assert_eq!(
        policy.call("fee", (item(false),)).unwrap().value.as_int(),
        Ok(5)
    );
    let cov = policy.coverage().unwrap();
    assert_eq!(
        cov.executed_lines.iter().copied().collect::<Vec<_>>(),
        [2, 3, 6]
    );
    assert_eq!(cov.missed_lines().into_iter().collect::<Vec<_>>(), [4, 10]);
    assert_eq!(cov.percent().to_string(), "60");

    assert_eq!(
        policy.call("fee", (item(true),)).unwrap().value.as_int(),
        Ok(15)
    );
    let cov = policy.coverage().unwrap();
    assert_eq!(
        cov.executed_lines.iter().copied().collect::<Vec<_>>(),
        [2, 3, 4, 6]
    );
    assert_eq!(cov.percent().to_string(), "80");

    policy.reset_coverage();
    assert!(policy.coverage().unwrap().executed_lines.is_empty());

    // Without `with_coverage` nothing is recorded.
    let plain = compile(source);
    assert!(plain.coverage().is_none());
    assert!(!PolicyRuntime::new().records_coverage());
}

#[test]
fn top_level_only_runs_nothing_and_hooks_see_only_their_arguments() {
    let policy = compile("fn h(a, b) { a + b }");
    assert_eq!(
        policy.call("h", (1_i64, 2_i64)).unwrap().value.as_int(),
        Ok(3)
    );
    assert_eq!(
        policy
            .call("h", vec![Dynamic::from(4_i64), Dynamic::from(5_i64)])
            .unwrap()
            .value
            .as_int(),
        Ok(9)
    );
    // Calling a hook the policy does not define is a runtime diagnostic.
    let d = policy.call("missing", ()).unwrap_err();
    assert_eq!(d.code, "policy.runtime");
    assert_eq!(d.hook.as_deref(), Some("missing"));
    assert_eq!(policy.name(), "test.rhai");
    assert_eq!(policy.source(), "fn h(a, b) { a + b }");
}
