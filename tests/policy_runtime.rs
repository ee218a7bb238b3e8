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
