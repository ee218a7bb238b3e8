#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Returns hooks receive read-only arguments: a hook that changes one fails (with the
//! hook and the position), a copy may be changed, and later hooks see what the engine
//! built.

mod common;

use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use backoffice::returns::{ItemStatus, RequestStatus, ReturnsConfig, ReturnsEngine};

fn engine(source: &str) -> ReturnsEngine {
    let policy = Policy::compile("read_only.rhai", source, &PolicyRuntime::new()).unwrap();
    ReturnsEngine::new(ReturnsConfig::default())
        .unwrap()
        .with_policy(policy)
        .unwrap()
}

fn fail(engine: &ReturnsEngine) -> backoffice::Diagnostic {
    let err = engine
        .decide_with(
            &common::returns_request("silver"),
            &DecideOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err:?}");
    err.diagnostics()[0].clone()
}

const FALLBACK: DecideOptions = DecideOptions {
    trace: true,
    on_hook_error: OnHookError::Fallback,
};

/// Every hook kind: assigning to an argument, or to a value nested in it, is rhai's
/// "constant" error at the assignment.
#[test]
fn every_hook_kind_fails_when_it_assigns_to_an_argument() {
    for (hook, params, statement, message) in [
        (
            "eligibility",
            "item, request",
            r#"item.sku = "X""#,
            "Cannot modify constant item",
        ),
        (
            "window_days",
            "item, request",
            r#"item.attributes.size = "L""#,
            "Cannot modify constant item",
        ),
        (
            "restocking_fee_percent",
            "item, request",
            "item.quantity += 1",
            "Cannot modify constant item",
        ),
        (
            "disposition",
            "item, request",
            r#"request.customer.loyalty_tier = "gold""#,
            "Cannot modify constant request",
        ),
        (
            "settlement",
            "request",
            r#"request.items[0].sku = "X""#,
            "Cannot modify constant request",
        ),
        (
            "fraud_signals",
            "request",
            "request.order_id = 1",
            "Cannot modify constant request",
        ),
    ] {
        let source = format!("fn {hook}({params}) {{\n    {statement};\n    ()\n}}\n");
        let engine = engine(&source);
        let diagnostic = fail(&engine);
        assert_eq!(diagnostic.code, "policy.runtime", "{hook}");
        assert_eq!(diagnostic.message, message, "{hook}");
        assert_eq!(diagnostic.hook.as_deref(), Some(hook));
        assert_eq!(diagnostic.policy.as_deref(), Some("read_only.rhai"));
        assert_eq!(
            (diagnostic.line, diagnostic.column),
            (Some(2), Some(5)),
            "{hook}"
        );

        // The usual fallback: the built-in behaviour, a `policy_error` reason per call,
        // and the request goes to review.
        let decision = engine.decide(&common::returns_request("silver")).unwrap();
        let failed: Vec<_> = decision
            .reasons
            .iter()
            .filter(|r| r.code == "policy_error")
            .collect();
        let calls = if params == "request" { 1 } else { 2 };
        assert_eq!(failed.len(), calls, "{hook}: {:?}", decision.reasons);
        assert_eq!(decision.outcome.status, RequestStatus::Review, "{hook}");
        let statuses: Vec<ItemStatus> = decision.outcome.items.iter().map(|i| i.status).collect();
        assert_eq!(
            statuses,
            [ItemStatus::Accepted, ItemStatus::Accepted],
            "{hook}"
        );
    }
}

/// The fields the engine writes between hooks (status, reason codes, window, refunds)
/// are read-only like the rest, in the item and in its copy in `request.items`.
#[test]
fn fields_the_engine_updates_are_read_only_too() {
    for (hook, params, statement, message, column) in [
        (
            "eligibility",
            "item, request",
            r#"item.status = "x""#,
            "Cannot modify constant item",
            5,
        ),
        (
            "eligibility",
            "item, request",
            "item.window_days = 1",
            "Cannot modify constant item",
            5,
        ),
        (
            "restocking_fee_percent",
            "item, request",
            r#"request.items[1].status = "x""#,
            "Cannot modify constant request",
            5,
        ),
        (
            "disposition",
            "item, request",
            "item.refund = 0",
            "Cannot modify constant item",
            5,
        ),
        (
            "settlement",
            "request",
            "request.refund_total = 0",
            "Cannot modify constant request",
            5,
        ),
        (
            "fraud_signals",
            "request",
            r#"request.items[1].reason_codes.push("x")"#,
            "Non-pure method 'push' cannot be called on constant",
            35,
        ),
    ] {
        let source = format!("fn {hook}({params}) {{\n    {statement};\n    ()\n}}\n");
        let diagnostic = fail(&engine(&source));
        assert_eq!(diagnostic.code, "policy.runtime", "{hook}: {statement}");
        assert_eq!(diagnostic.message, message, "{hook}: {statement}");
        assert_eq!(diagnostic.hook.as_deref(), Some(hook));
        assert_eq!(
            (diagnostic.line, diagnostic.column),
            (Some(2), Some(column)),
            "{hook}: {statement}"
        );
    }
}

/// Rhai lets a script add a key to a read-only map; the engine finds it when the hook
/// returns, removes it and fails the hook (at the hook's definition: the script gives
/// no position for it).
#[test]
fn adding_a_key_to_an_argument_fails_the_hook_and_is_undone() {
    for (hook, params, statement, path, argument) in [
        (
            "eligibility",
            "item, request",
            "item.extra = 1",
            "item.extra",
            "item",
        ),
        (
            "window_days",
            "item, request",
            r#"item.attributes.colour = "red""#,
            "item.attributes.colour",
            "item",
        ),
        (
            "restocking_fee_percent",
            "item, request",
            r#"request["extra"] = 1"#,
            "request.extra",
            "request",
        ),
        (
            "disposition",
            "item, request",
            "request.customer.vip = true",
            "request.customer.vip",
            "request",
        ),
        (
            "settlement",
            "request",
            "request.items[1].extra = 1",
            "request.items[1].extra",
            "request",
        ),
        (
            "fraud_signals",
            "request",
            r#"request.items[0].attributes.colour = "red""#,
            "request.items[0].attributes.colour",
            "request",
        ),
    ] {
        let source = format!("fn {hook}({params}) {{\n    {statement};\n    ()\n}}\n");
        let diagnostic = fail(&engine(&source));
        assert_eq!(diagnostic.code, "policy.runtime", "{hook}");
        assert_eq!(
            diagnostic.message,
            format!("cannot add property `{path}`: `{argument}` is read-only")
        );
        assert_eq!(
            diagnostic.help,
            Some(format!(
                "hook arguments are read-only; copy one into a variable to change it (`let copy = {argument}; ...`)"
            ))
        );
        assert_eq!(diagnostic.hook.as_deref(), Some(hook));
        assert_eq!(
            (diagnostic.line, diagnostic.column),
            (Some(1), Some(1)),
            "{hook}"
        );
    }
}

/// A copy of an argument (or of a part of it) may be changed freely.
#[test]
fn a_hook_may_change_a_copy() {
    let engine = engine(
        r#"
fn window_days(item, request) {
    let c = item;
    c.sku = "X";
    c.extra = 1;
    c.attributes.colour = "red";
    let codes = item.reason_codes;
    codes.push("mine");
    let r = request;
    r.customer.loyalty_tier = "gold";
    r.items[0].status = "x";
    let items = request.items;
    items.push(1);
    items[0].sku = "Y";
    print(`${c.sku} ${codes.len()} ${r.customer.loyalty_tier} ${items.len()} ${items[0].sku}`);
    ()
}
fn eligibility(item, request) {
    print(`${item.sku} ${item.reason_codes.len()} ${request.customer.loyalty_tier} ${request.items.len()} ${"extra" in item}`);
    ()
}
"#,
    );
    let decision = engine
        .decide_with(&common::returns_request("silver"), &FALLBACK)
        .unwrap();
    assert!(
        decision.reasons.iter().all(|r| r.code != "policy_error"),
        "{:?}",
        decision.reasons
    );
    assert_eq!(decision.outcome.status, RequestStatus::Accepted);
    assert_eq!(
        decision.trace.unwrap().policy_output,
        [
            "X 1 gold 3 Y",
            "DRESS-S 1 silver 2 false",
            "X 1 gold 3 Y",
            "BOOT-42 1 silver 2 false",
        ]
    );
}

/// What one hook tried to change, later hooks of the same decision do not see.
#[test]
fn later_hooks_see_the_original_values() {
    let engine = engine(
        r#"
fn window_days(item, request) {
    item.sku = "CHANGED";
    ()
}
fn eligibility(item, request) {
    item.extra = 1;
    request.customer.vip = true;
    request.items[0].attributes.colour = "red";
    ()
}
fn disposition(item, request) {
    print(`${item.sku} ${"extra" in item} ${"vip" in request.customer} ${request.items[0].attributes.len()}`);
    ()
}
fn fraud_signals(request) {
    for item in request.items {
        print(`${item.sku} ${item.status} ${item.keys().len()} ${item.attributes.len()}`);
    }
    print(`${request.keys().len()} ${request.customer.keys().len()}`);
    []
}
"#,
    );
    let decision = engine
        .decide_with(&common::returns_request("silver"), &FALLBACK)
        .unwrap();
    let failed: Vec<&str> = decision
        .reasons
        .iter()
        .filter(|r| r.code == "policy_error")
        .map(|r| r.diagnostic.as_ref().unwrap().hook.as_deref().unwrap())
        .collect();
    assert_eq!(
        failed,
        ["window_days", "eligibility", "window_days", "eligibility"]
    );
    assert_eq!(
        decision.trace.unwrap().policy_output,
        [
            "DRESS-S false false 1",
            "BOOT-42 false false 1",
            "DRESS-S accepted 21 1",
            "BOOT-42 accepted 21 0",
            "12 12",
        ]
    );
}
