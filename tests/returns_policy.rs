#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Returns policies: the example policy `examples/policies/returns.rhai`, every hook, the
//! statutory minimum, and what a failing hook does.

use backoffice::engine::AnyEngine;
use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use backoffice::returns::{
    Disposition, FraudAction, ItemStatus, RequestStatus, ReturnRequest, ReturnsConfig,
    ReturnsEngine, SettlementMethod,
};
use backoffice::ReasonSource;
use serde_json::{json, Value};

const EXAMPLE: &str = include_str!("../examples/policies/returns.rhai");

fn policy(source: &str) -> Policy {
    Policy::compile("test.rhai", source, &PolicyRuntime::new()).unwrap()
}

fn engine(config: Value, source: &str) -> ReturnsEngine {
    let config: ReturnsConfig = serde_json::from_value(config).unwrap();
    ReturnsEngine::new(config)
        .unwrap()
        .with_policy(policy(source))
        .unwrap()
}

fn example(config: Value) -> ReturnsEngine {
    let config: ReturnsConfig = serde_json::from_value(config).unwrap();
    let p = Policy::compile("returns.rhai", EXAMPLE, &PolicyRuntime::new()).unwrap();
    ReturnsEngine::new(config).unwrap().with_policy(p).unwrap()
}

fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

/// A dress and a lipstick, delivered 2025-03-03; `days` after delivery.
fn request(days: i64, tier: Option<&str>, lipstick_condition: &str) -> ReturnRequest {
    let now = chrono::DateTime::parse_from_rfc3339("2025-03-03T12:00:00Z").unwrap()
        + chrono::Duration::days(days);
    let mut customer = json!({"account_age_days": 400, "orders_365d": 10, "returns_365d": 1});
    if let Some(tier) = tier {
        customer["loyalty_tier"] = json!(tier);
    }
    serde_json::from_value(json!({
        "order": {
            "order_id": "B-7", "currency": "EUR", "customer_id": "C-9", "payment_method": "card",
            "placed_at": "2025-02-27T10:00:00Z", "delivered_at": "2025-03-03T10:00:00Z",
            "lines": [
                {"line_id": "1", "sku": "DRESS-RED-M", "category": "apparel", "quantity": 1, "unit_price": eur("300.00")},
                {"line_id": "2", "sku": "LIPSTICK-07", "category": "cosmetics", "quantity": 2, "unit_price": eur("24.00")}
            ]
        },
        "items": [
            {"line_id": "1", "quantity": 1, "reason": "changed_mind", "condition": "new"},
            {"line_id": "2", "quantity": 1, "reason": "changed_mind", "condition": lipstick_condition}
        ],
        "customer": customer,
        "now": now.to_rfc3339()
    }))
    .unwrap()
}

#[test]
fn the_example_policy_compiles_and_binds() {
    let p = Policy::compile("returns.rhai", EXAMPLE, &PolicyRuntime::new()).unwrap();
    p.bind("returns", backoffice::returns::HOOKS).unwrap();
    for hook in ["window_days", "eligibility", "settlement", "fraud_signals"] {
        assert!(p.has_hook(hook), "{hook}");
    }
}

#[test]
fn loyalty_members_get_longer_windows() {
    let e = example(json!({}));
    let d = e.decide(&request(50, Some("gold"), "new")).unwrap();
    assert_eq!(d.outcome.items[0].window.days, Some(60));
    assert_eq!(d.outcome.items[0].status, ItemStatus::Accepted);
    let d = e.decide(&request(50, Some("silver"), "new")).unwrap();
    assert_eq!(d.outcome.items[0].window.days, Some(45));
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    let d = e.decide(&request(31, None, "new")).unwrap();
    assert_eq!(d.outcome.items[0].window.days, Some(30));
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert_eq!(d.outcome.items[0].reason_codes, ["outside_return_window"]);
}

#[test]
fn opened_cosmetics_are_rejected_by_the_policy() {
    // The built-in hygiene rule is off, so the policy alone decides.
    let e = example(json!({"validators": {"hygiene": "off"}}));
    let d = e.decide(&request(5, None, "opened")).unwrap();
    assert_eq!(d.outcome.status, RequestStatus::PartiallyAccepted);
    let lipstick = &d.outcome.items[1];
    assert_eq!(lipstick.status, ItemStatus::Rejected);
    assert_eq!(
        lipstick.reason_codes,
        [
            "within_return_window",
            "opened_cosmetics",
            "eligibility_from_policy"
        ]
    );
    let changed = d
        .reasons
        .iter()
        .find(|r| r.code == "eligibility_from_policy")
        .unwrap();
    assert_eq!(
        changed.message,
        "the policy's `eligibility` changes the status of line 2 from accepted to rejected"
    );
    let reason = d
        .reasons
        .iter()
        .find(|r| r.code == "opened_cosmetics")
        .unwrap();
    assert_eq!(
        reason.message,
        "opened cosmetics (LIPSTICK-07) cannot be returned"
    );
    assert_eq!(reason.subject.as_deref(), Some("2"));
    let ReasonSource::Policy(source) = &reason.source else {
        panic!("{reason:?}")
    };
    assert_eq!(
        (source.policy.as_str(), source.hook.as_str(), source.line),
        ("returns.rhai", "eligibility", Some(19))
    );
    assert!(source.digest.starts_with("sha256:"));
    // Unopened lipstick is fine.
    let d = e.decide(&request(5, None, "new")).unwrap();
    assert_eq!(d.outcome.status, RequestStatus::Accepted);
    assert_eq!(d.outcome.refund.total.to_string(), "324.00 EUR");
}

#[test]
fn store_credit_only_after_60_days() {
    let e = example(json!({"window": {"default_days": 90}}));
    let d = e.decide(&request(60, None, "new")).unwrap();
    assert_eq!(
        d.outcome.settlement.method,
        SettlementMethod::OriginalPayment
    );
    let d = e.decide(&request(61, None, "new")).unwrap();
    assert_eq!(d.outcome.settlement.method, SettlementMethod::StoreCredit);
    assert!(d.has_reason("policy_settlement"));
}

#[test]
fn the_extra_fraud_signal_adds_to_the_score() {
    let e = example(json!({}));
    let d = e.decide(&request(5, None, "new")).unwrap();
    let signal = &d.outcome.fraud.signals[0];
    assert_eq!(signal.code, "expensive_change_of_mind");
    assert_eq!(signal.weight, 15);
    assert_eq!(signal.observed, "DRESS-RED-M at 300.00");
    assert_eq!(signal.source, "fraud_signals");
    assert_eq!(d.outcome.fraud.score, 15);
    assert_eq!(d.outcome.fraud.action, FraudAction::Approve);
}

#[test]
fn a_policy_cannot_shorten_or_reject_inside_the_statutory_minimum() {
    let source = r#"
        fn window_days(item, request) { 3 }
        fn eligibility(item, request) { #{decision: "reject", reason: "no_returns"} }
    "#;
    let e = engine(json!({"window": {"statutory_minimum_days": 14}}), source);
    let d = e.decide(&request(10, None, "new")).unwrap();
    assert_eq!(d.outcome.items[0].window.days, Some(14));
    assert_eq!(d.outcome.items[0].status, ItemStatus::Review);
    assert_eq!(
        d.outcome.items[0].reason_codes,
        [
            "window_from_policy",
            "within_return_window",
            "no_returns",
            "statutory_window_protects",
            "eligibility_from_policy"
        ]
    );
    let messages: Vec<&str> = d.reasons.iter().map(|r| r.message.as_str()).collect();
    assert_eq!(
        messages[0],
        "the policy's `window_days` changes the return window of line 1 from 30 days to 14 days; the policy asked for 3 days, below the statutory minimum"
    );
    assert_eq!(
        messages[4],
        "the policy's `eligibility` changes the status of line 1 from accepted to review"
    );
    // After the statutory window the policy's rejection stands.
    let d = e.decide(&request(15, None, "new")).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    // Without a statute, a 3-day window and the rejection apply.
    let plain = engine(json!({}), source);
    let d = plain.decide(&request(10, None, "new")).unwrap();
    assert_eq!(d.outcome.items[0].window.days, Some(3));
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
}

#[test]
fn the_policy_may_accept_what_the_built_ins_reject() {
    let source = r#"
        fn eligibility(item, request) {
            if item.status == "rejected" && item.reason_codes.contains("final_sale") {
                return #{decision: "accept", reason: "goodwill", message: "final sale taken back as goodwill"};
            }
        }
    "#;
    let e = engine(json!({}), source);
    let mut r = request(5, None, "new");
    r.order.lines[0].final_sale = true;
    let d = e.decide(&r).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Accepted);
    assert_eq!(
        d.outcome.items[0].reason_codes,
        [
            "within_return_window",
            "final_sale",
            "goodwill",
            "eligibility_from_policy"
        ]
    );
}

#[test]
fn restocking_and_disposition_hooks() {
    let source = r#"
        fn restocking_fee_percent(item, request) { if item.category == "apparel" { 10 } }
        fn disposition(item, request) { if item.category == "apparel" { "donate" } }
    "#;
    let e = engine(json!({}), source);
    let d = e.decide(&request(5, None, "new")).unwrap();
    assert_eq!(
        d.outcome.items[0].refund.restocking_fee.to_string(),
        "-30.00 EUR"
    );
    assert_eq!(d.outcome.items[0].disposition, Some(Disposition::Donate));
    assert_eq!(
        d.outcome.items[1].refund.restocking_fee.to_string(),
        "0.00 EUR"
    );
    assert_eq!(d.outcome.items[1].disposition, Some(Disposition::Restock));
    assert_eq!(d.outcome.refund.total.to_string(), "294.00 EUR");
}

#[test]
fn a_failing_hook_sends_the_request_to_review_when_asked_for() {
    // A key the schema cannot see (read through a variable) fails when the hook runs.
    let source = r#"fn window_days(item, request) { let k = "nope"; item[k] }"#;
    let e = engine(json!({}), source);
    let fallback = DecideOptions {
        trace: false,
        on_hook_error: OnHookError::Fallback,
    };
    let d = e.decide_with(&request(5, None, "new"), &fallback).unwrap();
    assert_eq!(d.outcome.status, RequestStatus::Review);
    assert_eq!(d.outcome.review_queue.as_deref(), Some("returns_review"));
    // The configured window applied.
    assert_eq!(d.outcome.items[0].window.days, Some(30));
    let errors: Vec<_> = d
        .reasons
        .iter()
        .filter(|r| r.code == "policy_error")
        .collect();
    assert_eq!(errors.len(), 2);
    assert_eq!(errors[0].subject.as_deref(), Some("1"));
    let diagnostic = errors[0].diagnostic.as_ref().unwrap();
    assert_eq!(diagnostic.hook.as_deref(), Some("window_days"));
    assert!(
        errors[0]
            .message
            .contains("the configured window applies; the request goes to review"),
        "{}",
        errors[0].message
    );

    // `decide` uses DecideOptions::default(), which is `Fail` as in every engine: the
    // error comes back.
    let err = e.decide(&request(5, None, "new")).unwrap_err();
    assert_eq!(err.code(), "policy_error");
    assert_eq!(err.diagnostics()[0].hook.as_deref(), Some("window_days"));
    assert_eq!(
        e.decide_with(&request(5, None, "new"), &DecideOptions::default())
            .unwrap_err(),
        err
    );
}

#[test]
fn reading_a_field_the_item_does_not_have_is_refused_when_attached() {
    let p = policy("fn window_days(item, request) { item.nope }");
    let err = ReturnsEngine::new(serde_json::from_value(json!({})).unwrap())
        .unwrap()
        .with_policy(p)
        .unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err:?}");
    let d = &err.diagnostics()[0];
    assert_eq!(d.code, "policy.unknown_field");
    assert_eq!(d.message, "no field `nope` on `item`");
    assert_eq!((d.line, d.column), (Some(1), Some(38)));
    let p = policy(r#"fn eligibility(item, request) { if item.skus == "a" { () } }"#);
    let err = ReturnsEngine::new(serde_json::from_value(json!({})).unwrap())
        .unwrap()
        .with_policy(p)
        .unwrap_err();
    assert_eq!(
        err.diagnostics()[0].message,
        "no field `skus` on `item`; did you mean `sku`?"
    );
}

#[test]
fn a_wrong_return_shape_names_the_hook_and_the_value() {
    let e = engine(json!({}), r#"fn settlement(request) { 42 }"#);
    let err = e
        .decide_with(&request(5, None, "new"), &DecideOptions::default())
        .unwrap_err();
    let diagnostic = &err.diagnostics()[0];
    assert_eq!(diagnostic.code, "policy.bad_return");
    assert_eq!(
        diagnostic.message,
        r#"hook `settlement` returned integer 42, expected "original_payment", "store_credit", "exchange" or ()"#
    );
    assert_eq!(diagnostic.line, Some(1));
    let fallback = DecideOptions {
        trace: false,
        on_hook_error: OnHookError::Fallback,
    };
    let d = e.decide_with(&request(5, None, "new"), &fallback).unwrap();
    assert_eq!(d.outcome.status, RequestStatus::Review);
    assert_eq!(
        d.outcome.settlement.method,
        SettlementMethod::OriginalPayment
    );

    let e = engine(
        json!({}),
        r#"fn eligibility(item, request) { #{decision: "maybe", reason: "x"} }"#,
    );
    let err = e
        .decide_with(&request(5, None, "new"), &DecideOptions::default())
        .unwrap_err();
    assert!(
        err.diagnostics()[0]
            .message
            .starts_with("hook `eligibility` returned map"),
        "{err}"
    );

    let e = engine(json!({}), r#"fn fraud_signals(request) { [#{code: "x"}] }"#);
    let err = e
        .decide_with(&request(5, None, "new"), &DecideOptions::default())
        .unwrap_err();
    assert_eq!(
        err.diagnostics()[0].message,
        "hook `fraud_signals` returned an array whose element [0] has no `weight`, expected an integer of 32 bits",
        "{err}"
    );
}

#[test]
fn unknown_hooks_and_wrong_arity_are_refused_when_binding() {
    let p = policy("fn window_days(item) { 5 }\nfn refund_amount(item, request) { 0 }");
    let err = ReturnsEngine::new(ReturnsConfig::default())
        .unwrap()
        .with_policy(p)
        .unwrap_err();
    let codes: Vec<&str> = err.diagnostics().iter().map(|d| d.code.as_str()).collect();
    assert_eq!(codes, ["policy.hook_arity", "policy.unknown_hook"]);
}

#[test]
fn traces_carry_policy_output() {
    let e = engine(
        json!({}),
        r#"fn window_days(item, request) { print(`window for ${item.sku}`); () }"#,
    );
    let d = e
        .decide_with(&request(5, None, "new"), &DecideOptions::traced())
        .unwrap();
    assert_eq!(
        d.trace.unwrap().policy_output,
        ["window for DRESS-RED-M", "window for LIPSTICK-07"]
    );
}

#[test]
fn any_engine_speaks_json() {
    let p = Policy::compile("returns.rhai", EXAMPLE, &PolicyRuntime::new()).unwrap();
    let any = AnyEngine::new("returns", Some(r#"{"time_zone": "Europe/Paris"}"#), Some(p)).unwrap();
    assert_eq!(any.kind(), "returns");
    let input = serde_json::to_string(&request(5, Some("gold"), "new")).unwrap();
    let out = any.decide_json(&input, &DecideOptions::default()).unwrap();
    assert_eq!(out["outcome"]["status"], "accepted");
    assert_eq!(out["outcome"]["refund"]["total"]["amount"], "324.00");
    assert_eq!(backoffice::engine::hooks_of("returns").unwrap().len(), 8);
}

#[test]
fn hooks_see_what_the_engine_decided_so_far() {
    let e = engine(
        json!({}),
        r#"
fn window_days(item, request) {
    print(`window ${item.sku} ${item.status} ${item.window_days} ${request.items[0].window_days}`);
    ()
}
fn eligibility(item, request) {
    print(`eligibility ${item.sku} ${item.status} ${item.reason_codes} ${item.window_days} ${item.inside_window}`);
    ()
}
fn restocking_fee_percent(item, request) {
    print(`fee ${item.sku} ${item.refund} ${request.items[1].status} ${request.refund_total}`);
    ()
}
fn fraud_signals(request) {
    for i in request.items { print(`fraud ${i.sku} ${i.status} ${i.refund}`); }
    print(`total ${request.refund_total}`);
    []
}
"#,
    );
    let options = DecideOptions {
        trace: true,
        on_hook_error: OnHookError::Fail,
    };
    let d = e
        .decide_with(&request(5, None, "opened"), &options)
        .unwrap();
    assert_eq!(d.outcome.items[1].status, ItemStatus::Rejected);
    assert_eq!(
        d.trace.unwrap().policy_output,
        [
            "window DRESS-RED-M accepted  ",
            "eligibility DRESS-RED-M accepted [\"within_return_window\"] 30 true",
            "window LIPSTICK-07 accepted  30",
            "eligibility LIPSTICK-07 rejected [\"within_return_window\", \"hygiene_opened\"] 30 true",
            "fee DRESS-RED-M 300.00 rejected ",
            "fraud DRESS-RED-M accepted 300.00",
            "fraud LIPSTICK-07 rejected 0",
            "total 300.00",
        ]
    );
}
