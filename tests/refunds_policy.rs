#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The refunds engine with policies: `examples/policies/refunds.rhai` (EU customers in
//! the EUR store currency, merchant absorbs FX under 30 days) and each hook's contract.

use backoffice::engine::{AnyEngine, Engine};
use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use backoffice::refunds::{is_balanced, RefundRequest, RefundsConfig, RefundsEngine, HOOKS};
use backoffice::ReasonSource;
use serde_json::{json, Value};

const EXAMPLE: &str = include_str!("../examples/policies/refunds.rhai");

fn policy(name: &str, source: &str) -> Policy {
    Policy::compile(name, source, &PolicyRuntime::new()).unwrap()
}

fn engine(config: Value, source: &str) -> RefundsEngine {
    RefundsEngine::new(serde_json::from_value(config).unwrap())
        .unwrap()
        .with_policy(policy("refunds.rhai", source))
        .unwrap()
}

fn money(amount: &str, currency: &str) -> Value {
    json!({"amount": amount, "currency": currency})
}

/// A USD order settled in CAD, captured at 1.35, placed `placed_at`, refunded at 1.40.
fn request(country: Option<&str>, placed_at: &str) -> RefundRequest {
    serde_json::from_value(json!({
        "order": {
            "order_id": "o-eu", "presentment_currency": "USD", "settlement_currency": "CAD",
            "placed_at": placed_at, "customer_country": country,
            "captures": [{"amount": money("40.00", "USD"), "settled": money("54.00", "CAD"),
                          "rate": "1.35", "captured_at": placed_at}],
            "lines": [{"line_id": "L1", "quantity": 1, "amount": money("40.00", "USD"),
                       "tax": money("0.00", "USD")}]
        },
        "refund": {"idempotency_key": "rf-1", "lines": [{"line_id": "L1", "quantity": 1}],
                   "reason": "damaged", "method": "original_payment"},
        "rates": {"rates": [
            {"from": "USD", "to": "CAD", "rate": "1.40", "as_of": "2026-03-09T09:00:00Z"},
            {"from": "CAD", "to": "EUR", "rate": "0.68", "as_of": "2026-03-09T09:00:00Z"},
            {"from": "USD", "to": "EUR", "rate": "0.92", "as_of": "2026-03-09T09:00:00Z"}]},
        "now": "2026-03-09T12:00:00Z"
    }))
    .unwrap()
}

fn example_engine() -> RefundsEngine {
    engine(
        json!({"store_currency": "EUR", "rate_source": "current"}),
        EXAMPLE,
    )
}

#[test]
fn eu_customer_on_a_recent_order_gets_eur_and_the_merchant_absorbs_fx() {
    let decision = example_engine()
        .decide(&request(Some("FR"), "2026-02-27T10:00:00Z"))
        .unwrap();
    let plan = &decision.outcome.plan;
    // USD 40.00 x 0.92 = EUR 36.80; the merchant pays CAD 56.00 against CAD 54.00.
    assert_eq!(plan.amount.to_string(), "36.80 EUR");
    assert_eq!(plan.refund_currency.as_str(), "store");
    assert_eq!(plan.fx.settlement_amount.to_string(), "56.00 CAD");
    assert_eq!(plan.fx.gain_loss.to_string(), "-2.00 CAD");
    assert!(is_balanced(&plan.ledger));
    assert_eq!(
        decision.reason_codes(),
        vec!["refund_planned", "fx_loss", "refund_currency_from_policy",]
    );
    let ReasonSource::Policy(source) = &decision.reasons[2].source else {
        panic!("not a policy reason")
    };
    assert_eq!(
        (source.policy.as_str(), source.hook.as_str(), source.line),
        ("refunds.rhai", "refund_currency", Some(10))
    );
    assert!(source.digest.starts_with("sha256:"));
    assert_eq!(
        decision.reasons[2].message,
        "the policy's `refund_currency` changes the refund currency from presentment to store"
    );
    // `remainder_absorbed_by` answered "merchant", the configured choice: no reason.
    assert!(!decision.has_reason("remainder_absorbed_by_from_policy"));
}

#[test]
fn eu_customer_on_an_old_order_bears_the_fx_difference() {
    let decision = example_engine()
        .decide(&request(Some("de"), "2026-01-15T10:00:00Z"))
        .unwrap();
    let plan = &decision.outcome.plan;
    // The settlement amount stays at CAD 54.00; 54.00 x 0.68 = EUR 36.72.
    assert_eq!(plan.fx.remainder_absorbed_by.as_str(), "customer");
    assert_eq!(plan.fx.settlement_amount.to_string(), "54.00 CAD");
    assert!(plan.fx.gain_loss.is_zero());
    assert_eq!(plan.amount.to_string(), "36.72 EUR");
    assert!(is_balanced(&plan.ledger));
}

#[test]
fn customers_outside_the_eu_keep_the_configured_currency() {
    for country in [Some("US"), None] {
        let decision = example_engine()
            .decide(&request(country, "2026-02-27T10:00:00Z"))
            .unwrap();
        assert_eq!(
            decision.outcome.plan.amount.to_string(),
            "40.00 USD",
            "{country:?}"
        );
        assert_eq!(
            decision.outcome.plan.refund_currency.as_str(),
            "presentment"
        );
        assert!(!decision.has_reason("refund_currency_from_policy"));
    }
    // 30 days old exactly: no longer under 30 days, so the customer absorbs.
    let decision = example_engine()
        .decide(&request(Some("US"), "2026-02-07T12:00:00Z"))
        .unwrap();
    assert_eq!(
        decision.outcome.plan.fx.remainder_absorbed_by.as_str(),
        "customer"
    );
    assert_eq!(decision.outcome.plan.amount.to_string(), "38.57 USD");
}

#[test]
fn rate_source_and_minimum_refund_hooks() {
    let source = r#"
        fn rate_source(order, refund) { if refund.method == "store_credit" { "capture" } else { "current" } }
        fn minimum_refund(order, refund) {
            print(`minimum for ${refund.amount.amount} ${refund.amount.currency}`);
            money(50, "USD")
        }
    "#;
    let engine = engine(json!({}), source);
    let error = engine
        .decide(&request(None, "2026-02-27T10:00:00Z"))
        .unwrap_err();
    assert_eq!(error.code(), "below_minimum_refund");
    assert_eq!(
        error.to_string(),
        "the refund comes to 40.00 USD, below the minimum refund of 50.00 USD"
    );

    let lenient = self::engine(
        json!({}),
        r#"
        fn rate_source(order, refund) { "current" }
        fn minimum_refund(order, refund) { print("no minimum"); 0 }
    "#,
    );
    let decision = lenient
        .decide_with(
            &request(None, "2026-02-27T10:00:00Z"),
            &DecideOptions::traced(),
        )
        .unwrap();
    assert_eq!(decision.outcome.plan.fx.rate_used.to_string(), "1.40");
    assert_eq!(
        decision.reason_codes(),
        vec![
            "refund_planned",
            "fx_loss",
            "rate_source_from_policy",
            "minimum_refund_from_policy"
        ]
    );
    assert_eq!(
        decision.trace.unwrap().policy_output,
        vec!["no minimum".to_string()]
    );
}

#[test]
fn a_bad_hook_result_fails_or_falls_back_to_the_configuration() {
    let engine = engine(
        json!({"rate_source": "current"}),
        r#"fn refund_currency(order, refund) { "yen" }"#,
    );
    let request = request(None, "2026-02-27T10:00:00Z");
    let error = engine.decide(&request).unwrap_err();
    assert_eq!(error.code(), "policy_error");
    let diagnostic = &error.diagnostics()[0];
    assert_eq!(diagnostic.code, "policy.bad_return");
    assert_eq!(diagnostic.hook.as_deref(), Some("refund_currency"));
    assert_eq!(
        diagnostic.message,
        r#"hook `refund_currency` returned string "yen", expected "presentment", "settlement", "store", "customer" or ()"#
    );
    assert_eq!(diagnostic.line, Some(1));

    let fallback = DecideOptions {
        trace: false,
        on_hook_error: OnHookError::Fallback,
    };
    let decision = engine.decide_with(&request, &fallback).unwrap();
    assert_eq!(decision.outcome.plan.amount.to_string(), "40.00 USD");
    assert_eq!(
        decision.reason_codes(),
        vec!["refund_planned", "fx_loss", "policy_error"]
    );
    assert!(decision.reasons[2]
        .message
        .ends_with("used the configured refund currency"));

    // A field the `order` argument does not have is refused when the policy is attached.
    let error = RefundsEngine::new(RefundsConfig::default())
        .unwrap()
        .with_policy(policy(
            "refunds.rhai",
            r#"fn remainder_absorbed_by(order, refund) { order.nope }"#,
        ))
        .unwrap_err();
    let diagnostic = &error.diagnostics()[0];
    assert_eq!(diagnostic.code, "policy.unknown_field");
    assert_eq!(diagnostic.message, "no field `nope` on `order`");
    assert_eq!((diagnostic.line, diagnostic.column), (Some(1), Some(49)));

    // A script error at run time (here a missing property read through a dynamic key) is
    // handled like a bad result.
    let engine = self::engine(
        json!({}),
        r#"fn remainder_absorbed_by(order, refund) { let k = "nope"; order[k] }"#,
    );
    let error = engine.decide(&request).unwrap_err();
    assert_eq!(error.code(), "policy_error");
    let diagnostic = &error.diagnostics()[0];
    assert_eq!(diagnostic.hook.as_deref(), Some("remainder_absorbed_by"));
    assert_eq!(diagnostic.code, "policy.runtime");
    assert_eq!(diagnostic.message, "property `nope` not found");
    let decision = engine.decide_with(&request, &fallback).unwrap();
    assert!(decision.has_reason("policy_error"));
}

#[test]
fn binding_checks_hook_names_and_arity() {
    let base = RefundsEngine::new(RefundsConfig::default()).unwrap();
    let error = base
        .clone()
        .with_policy(policy("p.rhai", "fn refund_currency(order) { () }"))
        .unwrap_err();
    assert_eq!(error.diagnostics()[0].code, "policy.hook_arity");
    let error = base
        .with_policy(policy("p.rhai", "fn refund_amount(order, refund) { () }"))
        .unwrap_err();
    assert_eq!(error.diagnostics()[0].code, "policy.unknown_hook");
    let names: Vec<&str> = HOOKS.iter().map(|h| h.name).collect();
    assert_eq!(
        names,
        vec![
            "refund_currency",
            "rate_source",
            "remainder_absorbed_by",
            "minimum_refund"
        ]
    );
}

#[test]
fn replays_do_not_call_the_policy() {
    // A policy that would fail: a replay returns the earlier plan without running it.
    let engine = engine(json!({}), r#"fn rate_source(order, refund) { 42 }"#);
    let plain = RefundsEngine::new(RefundsConfig::default()).unwrap();
    let mut request = request(None, "2026-02-27T10:00:00Z");
    let plan = plain.decide(&request).unwrap().outcome.plan;
    request
        .earlier_refunds
        .push(backoffice::refunds::EarlierRefund {
            idempotency_key: "rf-1".into(),
            fingerprint: plan.fingerprint.clone(),
            plan: plan.clone(),
        });
    let replay = engine.decide(&request).unwrap();
    assert!(replay.outcome.replay);
    assert_eq!(replay.outcome.plan, plan);
}

#[test]
fn any_engine_speaks_json_for_refunds() {
    assert_eq!(<RefundsEngine as Engine>::KIND, "refunds");
    assert!(backoffice::engine::ENGINE_KINDS.contains(&"refunds"));
    assert_eq!(backoffice::engine::hooks_of("refunds").unwrap().len(), 4);
    let any = AnyEngine::new(
        "refunds",
        Some(r#"{"store_currency": "EUR", "rate_source": "current"}"#),
        Some(policy("refunds.rhai", EXAMPLE)),
    )
    .unwrap();
    let input = serde_json::to_string(&request(Some("FR"), "2026-02-27T10:00:00Z")).unwrap();
    let out = any.decide_json(&input, &DecideOptions::default()).unwrap();
    assert_eq!(
        out["outcome"]["plan"]["amount"],
        json!({"amount": "36.80", "currency": "EUR"})
    );
    assert_eq!(out["outcome"]["replay"], json!(false));
    let batch = any
        .decide_batch_json(
            &format!("[{input}, {{\"order\": 1}}]"),
            &DecideOptions::default(),
        )
        .unwrap();
    assert_eq!(
        batch[0]["outcome"]["plan"]["fx"]["gain_loss"],
        json!({"amount": "-2.00", "currency": "CAD"})
    );
    assert_eq!(batch[1]["error"]["code"], json!("invalid_json"));
}

/// Hooks get the maps described in `HOOKS`, whatever part of them they read: a hook that
/// looks at the whole map sees every field, one that reads a few properties sees those.
#[test]
fn hooks_see_what_they_read() {
    let traced = DecideOptions {
        trace: true,
        on_hook_error: OnHookError::Fail,
    };
    let request = request(Some("US"), "2026-03-01T10:00:00Z");
    let whole = engine(
        json!({}),
        r#"fn rate_source(order, refund) {
            print(order.keys().len()); print(refund.keys().len());
            print(order.lines[0].line_id); print(refund.amount.amount); ()
        }"#,
    );
    let decision = whole.decide_with(&request, &traced).unwrap();
    assert_eq!(
        decision.trace.unwrap().policy_output,
        ["9", "8", "L1", "40.00"]
    );
    let fields = engine(
        json!({}),
        r#"fn rate_source(o, r) { print(o.age_days); print(r.amount.amount); print(o.order_id); () }
           fn minimum_refund(o, r) { print(r.lines.len()); print(o.customer_country); () }"#,
    );
    let decision = fields.decide_with(&request, &traced).unwrap();
    assert_eq!(
        decision.trace.unwrap().policy_output,
        ["8", "40.00", "o-eu", "1", "US"]
    );
}

/// The maps are read-only and shared by the hooks of one decision: a hook cannot change
/// what the next one sees (trying is a hook failure); a copy may be changed.
#[test]
fn hooks_cannot_change_their_arguments() {
    // Assigning into an argument is refused when the policy is attached, at its position.
    let err = RefundsEngine::new(RefundsConfig::default())
        .unwrap()
        .with_policy(policy(
            "refunds.rhai",
            "fn refund_currency(order, refund) { order.age_days = 99; () }",
        ))
        .unwrap_err();
    let diagnostics = err.diagnostics();
    assert_eq!(diagnostics.len(), 1, "{err:?}");
    assert_eq!(diagnostics[0].code, "policy.read_only_argument");
    assert_eq!(
        diagnostics[0].message,
        "hook `refund_currency` assigns to a property of its argument `order`; hook arguments are read-only"
    );
    assert_eq!(
        (diagnostics[0].line, diagnostics[0].column),
        (Some(1), Some(37))
    );
    // A changing method fails when the hook runs; a copy may be changed.
    let engine = engine(
        json!({"rate_source": "current"}),
        r#"fn refund_currency(order, refund) { order.lines.push(1); () }
           fn rate_source(order, refund) { let copy = order; copy.age_days = 99; () }
           fn remainder_absorbed_by(order, refund) {
               if order.age_days == 99 { "customer" } else { "merchant" }
           }"#,
    );
    let request = request(None, "2026-03-01T10:00:00Z");
    let fallback = DecideOptions {
        trace: false,
        on_hook_error: OnHookError::Fallback,
    };
    let decision = engine.decide_with(&request, &fallback).unwrap();
    let failed: Vec<_> = decision
        .reasons
        .iter()
        .filter(|r| r.code == "policy_error")
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", decision.reasons);
    assert_eq!(
        decision.outcome.plan.fx.remainder_absorbed_by.as_str(),
        "merchant"
    );
    let err = engine
        .decide_with(&request, &DecideOptions::default())
        .unwrap_err();
    assert_eq!(err.diagnostics()[0].code, "policy.runtime", "{err:?}");
}

/// A hook sees what the engine worked out before it ran: the refund's lines, shipping and
/// total as prorated against what earlier refunds left (the second of three units takes
/// half of what remains, rounded by largest remainder), not the request's raw input.
#[test]
fn hooks_see_the_prorated_refund() {
    let order = json!({
        "order_id": "o-3", "presentment_currency": "USD", "settlement_currency": "USD",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("16.00", "USD"), "settled": money("16.00", "USD"),
                      "rate": "1", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "L1", "quantity": 3, "amount": money("10.00", "USD"),
                   "tax": money("1.00", "USD")}],
        "shipping": money("5.00", "USD")
    });
    let request = |key: &str, shipping: &str, earlier: Value| -> RefundRequest {
        serde_json::from_value(json!({
            "order": order,
            "earlier_refunds": earlier,
            "refund": {"idempotency_key": key, "lines": [{"line_id": "L1", "quantity": 1}],
                       "shipping": shipping, "reason": "damaged", "method": "store_credit"},
            "now": "2026-03-09T12:00:00Z"
        }))
        .unwrap()
    };
    let first = RefundsEngine::new(RefundsConfig::default())
        .unwrap()
        .decide(&request("rf-1", "none", json!([])))
        .unwrap()
        .outcome
        .plan;
    assert_eq!(first.lines[0].amount.to_string(), "3.33 USD");
    let earlier = json!([{"idempotency_key": "rf-1", "fingerprint": first.fingerprint,
                          "plan": first}]);
    let engine = engine(
        json!({}),
        r#"fn minimum_refund(order, refund) {
            let line = refund.lines[0];
            print(`${line.quantity} ${line.amount.amount} ${line.tax.amount}`);
            print(`${refund.shipping.amount} ${refund.shipping_requested} ${refund.amount.amount}`);
            print(`${refund.method} ${order.lines[0].quantity} ${order.captured.amount}`);
            ()
        }"#,
    );
    let traced = DecideOptions {
        trace: true,
        on_hook_error: OnHookError::Fail,
    };
    let decision = engine
        .decide_with(&request("rf-2", "all", earlier), &traced)
        .unwrap();
    assert_eq!(decision.outcome.plan.amount.to_string(), "8.68 USD");
    assert_eq!(
        decision.trace.unwrap().policy_output,
        ["1 3.34 0.34", "5.00 all 8.68", "store_credit 3 16.00"]
    );
}
