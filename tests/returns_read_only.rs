#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Returns hooks receive read-only arguments: a policy that assigns into one is refused
//! when it is attached, a hook that changes one with a method fails (with the hook and
//! the position), a copy may be changed, and later hooks see what the engine built.

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

/// The first diagnostic attaching `source` gives. Adding a key the argument's schema
/// does not have is also reported as an unknown field (the only other diagnostic).
fn refused(source: &str) -> backoffice::Diagnostic {
    let policy = Policy::compile("read_only.rhai", source, &PolicyRuntime::new()).unwrap();
    let err = ReturnsEngine::new(ReturnsConfig::default())
        .unwrap()
        .with_policy(policy)
        .unwrap_err();
    let (first, rest) = err.diagnostics().split_first().unwrap();
    assert!(rest.len() <= 1, "{err:?}");
    for other in rest {
        assert_eq!(other.code, "policy.unknown_field", "{err:?}");
    }
    first.clone()
}

/// Checks that `statement`, the first line of a `hook(params)` body, is refused when the
/// policy is attached, as an assignment into the hook's argument `argument`.
fn assert_refused(hook: &str, params: &str, statement: &str, argument: &str) {
    let source = format!("fn {hook}({params}) {{\n    {statement};\n    ()\n}}\n");
    let diagnostic = refused(&source);
    assert_eq!(diagnostic.code, "policy.read_only_argument", "{statement}");
    assert_eq!(
        diagnostic.message,
        format!(
            "hook `{hook}` assigns to a property of its argument `{argument}`; hook arguments are read-only"
        )
    );
    assert_eq!(diagnostic.hook.as_deref(), Some(hook));
    assert_eq!(diagnostic.policy.as_deref(), Some("read_only.rhai"));
    assert_eq!(
        (diagnostic.line, diagnostic.column),
        (Some(2), Some(5)),
        "{statement}"
    );
}

const FALLBACK: DecideOptions = DecideOptions {
    trace: true,
    on_hook_error: OnHookError::Fallback,
};

/// Every hook kind: assigning to an argument, or to a value nested in it, is refused
/// when the policy is attached; a changing method on one fails when the hook runs
/// (rhai's "constant" error), with the usual fallback.
#[test]
fn every_hook_kind_fails_when_it_changes_an_argument() {
    for (hook, params, statement, argument) in [
        ("eligibility", "item, request", r#"item.sku = "X""#, "item"),
        (
            "window_days",
            "item, request",
            r#"item.attributes.size = "L""#,
            "item",
        ),
        (
            "restocking_fee_percent",
            "item, request",
            "item.quantity += 1",
            "item",
        ),
        (
            "disposition",
            "item, request",
            r#"request.customer.loyalty_tier = "gold""#,
            "request",
        ),
        (
            "settlement",
            "request",
            r#"request.items[0].sku = "X""#,
            "request",
        ),
        (
            "fraud_signals",
            "request",
            "request.order_id = 1",
            "request",
        ),
        (
            "return_shipping_fee",
            "item, request",
            "item.condition = \"new\"",
            "item",
        ),
    ] {
        assert_refused(hook, params, statement, argument);

        // The same hook changing its argument with a method.
        let statement = "request.items.pop()";
        let source = format!("fn {hook}({params}) {{\n    {statement};\n    ()\n}}\n");
        let engine = engine(&source);
        let diagnostic = fail(&engine);
        assert_eq!(diagnostic.code, "policy.runtime", "{hook}");
        assert_eq!(
            diagnostic.message, "Non-pure method 'pop' cannot be called on constant",
            "{hook}"
        );
        assert_eq!(diagnostic.hook.as_deref(), Some(hook));
        assert_eq!(
            (diagnostic.line, diagnostic.column),
            (Some(2), Some(19)),
            "{hook}"
        );

        // `decide` fails, like every engine's; the fallback, asked for, uses the
        // built-in behaviour, a `policy_error` reason per call, and sends the request to
        // review.
        let err = engine
            .decide(&common::returns_request("silver"))
            .unwrap_err();
        assert_eq!(err.diagnostics()[0].hook.as_deref(), Some(hook));
        let fallback = DecideOptions {
            trace: false,
            on_hook_error: OnHookError::Fallback,
        };
        let decision = engine
            .decide_with(&common::returns_request("silver"), &fallback)
            .unwrap();
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
    for (hook, params, statement, argument) in [
        (
            "eligibility",
            "item, request",
            r#"item.status = "x""#,
            "item",
        ),
        (
            "eligibility",
            "item, request",
            "item.window_days = 1",
            "item",
        ),
        (
            "restocking_fee_percent",
            "item, request",
            r#"request.items[1].status = "x""#,
            "request",
        ),
        ("disposition", "item, request", "item.refund = 0", "item"),
        (
            "settlement",
            "request",
            "request.refund_total = 0",
            "request",
        ),
    ] {
        assert_refused(hook, params, statement, argument);
    }
    let source =
        "fn fraud_signals(request) {\n    request.items[1].reason_codes.push(\"x\");\n    ()\n}\n";
    let diagnostic = fail(&engine(source));
    assert_eq!(diagnostic.code, "policy.runtime");
    assert_eq!(
        diagnostic.message,
        "Non-pure method 'push' cannot be called on constant"
    );
    assert_eq!(diagnostic.hook.as_deref(), Some("fraud_signals"));
    assert_eq!((diagnostic.line, diagnostic.column), (Some(2), Some(35)));
}

/// Rhai would let a script add a key to a read-only map; assignments that would are
/// refused when the policy is attached, including through a method that assigns to
/// `this` and through `call` with `this` bound to an argument.
#[test]
fn adding_a_key_to_an_argument_is_refused_when_attached() {
    for (hook, params, statement, argument) in [
        ("eligibility", "item, request", "item.extra = 1", "item"),
        (
            "window_days",
            "item, request",
            r#"item.attributes.colour = "red""#,
            "item",
        ),
        (
            "restocking_fee_percent",
            "item, request",
            r#"request["extra"] = 1"#,
            "request",
        ),
        (
            "disposition",
            "item, request",
            "request.customer.vip = true",
            "request",
        ),
        (
            "settlement",
            "request",
            "request.items[1].extra = 1",
            "request",
        ),
        (
            "fraud_signals",
            "request",
            r#"request.items[0].attributes.colour = "red""#,
            "request",
        ),
        (
            "review_route",
            "request",
            r#"request.review_queue = "vip""#,
            "request",
        ),
    ] {
        assert_refused(hook, params, statement, argument);
    }
    // The added key is also a field `item` does not have.
    let policy = Policy::compile(
        "read_only.rhai",
        "fn eligibility(item, request) {\n    item.extra = 1;\n    ()\n}\n",
        &PolicyRuntime::new(),
    )
    .unwrap();
    let err = ReturnsEngine::new(ReturnsConfig::default())
        .unwrap()
        .with_policy(policy)
        .unwrap_err();
    let unknown = &err.diagnostics()[1];
    assert_eq!(unknown.code, "policy.unknown_field");
    assert_eq!(unknown.message, "no field `extra` on `item`");
    assert_eq!((unknown.line, unknown.column), (Some(2), Some(10)));
    let source = "fn _mark() { this.seen = true; }\nfn eligibility(item, request) {\n    item._mark();\n    ()\n}\n";
    let diagnostic = refused(source);
    assert_eq!(diagnostic.code, "policy.read_only_argument");
    assert_eq!(
        diagnostic.message,
        "hook `eligibility` calls `item._mark()`, which assigns to a property of `this`, so it writes into its argument `item`; hook arguments are read-only"
    );
    assert_eq!((diagnostic.line, diagnostic.column), (Some(3), Some(5)));
    let source = "fn _mark() { this.seen = true; }\nfn fraud_signals(request) {\n    request.call(Fn(\"_mark\"));\n    []\n}\n";
    let diagnostic = refused(source);
    assert_eq!(diagnostic.code, "policy.read_only_argument");
    assert_eq!((diagnostic.line, diagnostic.column), (Some(3), Some(5)));
    // A hook that binds its parameter's name to something else writes into that.
    let engine = engine(
        "fn eligibility(item, request) {\n    let item = #{};\n    item.extra = 1;\n    ()\n}\n",
    );
    let decision = engine.decide(&common::returns_request("silver")).unwrap();
    assert!(decision.reasons.iter().all(|r| r.code != "policy_error"));
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
    item.reason_codes.push("CHANGED");
    ()
}
fn eligibility(item, request) {
    request.items.pop();
    ()
}
fn disposition(item, request) {
    print(`${item.sku} ${item.reason_codes.len()} ${request.items.len()}`);
    ()
}
fn fraud_signals(request) {
    for item in request.items {
        print(`${item.sku} ${item.status} ${item.keys().len()} ${item.reason_codes.len()}`);
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
    // One reason code each (the customer's), two items: nothing was changed.
    assert_eq!(
        decision.trace.unwrap().policy_output,
        [
            "DRESS-S 1 2",
            "BOOT-42 1 2",
            "DRESS-S accepted 21 1",
            "BOOT-42 accepted 21 1",
            "13 12",
        ]
    );
}
