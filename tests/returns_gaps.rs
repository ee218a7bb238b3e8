#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! What returns policies could not express before: the `return_shipping_fee` hook (a
//! fee per item, not only by reason), review routing (`review_routing` configuration and
//! the `review_route` hook: queue, priority, expected handling time) and the
//! configurable not-yet-delivered check (`validators.not_delivered`: reject, review or
//! allow with the window counted from shipment).

use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use backoffice::returns::{
    ItemStatus, NotDeliveredAction, RequestStatus, ReturnRequest, ReturnsConfig, ReturnsEngine,
    ReviewPriority, ReviewRoute, WindowBasis,
};
use backoffice::{Decision, ReasonSource};
use serde_json::{json, Value};

const EXAMPLE: &str = include_str!("../examples/policies/returns_fees_and_routing.rhai");

fn config(value: Value) -> ReturnsConfig {
    serde_json::from_value(value).unwrap()
}

fn engine(value: Value, source: Option<&str>) -> ReturnsEngine {
    let engine = ReturnsEngine::new(config(value)).unwrap();
    match source {
        None => engine,
        Some(source) => {
            let policy = Policy::compile("gaps.rhai", source, &PolicyRuntime::new()).unwrap();
            engine.with_policy(policy).unwrap()
        }
    }
}

fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

/// A kettle (80.00) and a toaster (40.00) delivered 2025-03-05, returned 2025-03-12:
/// the kettle `defective` in condition `kettle_condition`, the toaster unwanted and new.
fn kettle_and_toaster(kettle_condition: &str) -> ReturnRequest {
    serde_json::from_value(json!({
        "order": {
            "order_id": "E-500", "currency": "EUR", "customer_id": "C-77", "payment_method": "card",
            "placed_at": "2025-03-01T10:00:00Z", "shipped_at": "2025-03-03T08:00:00Z",
            "delivered_at": "2025-03-05T14:00:00Z",
            "lines": [
                {"line_id": "1", "sku": "KETTLE-X", "category": "kitchen", "quantity": 1, "unit_price": eur("80.00")},
                {"line_id": "2", "sku": "TOASTER-2", "category": "kitchen", "quantity": 1, "unit_price": eur("40.00")}
            ]
        },
        "items": [
            {"line_id": "1", "quantity": 1, "reason": "defective", "condition": kettle_condition},
            {"line_id": "2", "quantity": 1, "reason": "changed_mind", "condition": "new"}
        ],
        "customer": {"account_age_days": 800, "orders_365d": 6, "returns_365d": 1},
        "now": "2025-03-12T09:00:00Z"
    }))
    .unwrap()
}

/// One item of `price` EUR in condition `condition` (`damaged` sends it to review).
fn one_item(price: &str, condition: &str) -> ReturnRequest {
    serde_json::from_value(json!({
        "order": {
            "order_id": "E-501", "currency": "EUR", "customer_id": "C-78", "payment_method": "card",
            "placed_at": "2025-03-01T10:00:00Z", "delivered_at": "2025-03-05T14:00:00Z",
            "lines": [{"line_id": "1", "sku": "LAPTOP-15", "category": "electronics", "quantity": 1,
                       "unit_price": eur(price)}]
        },
        "items": [{"line_id": "1", "quantity": 1, "reason": "changed_mind", "condition": condition}],
        "customer": {"account_age_days": 800, "orders_365d": 6, "returns_365d": 1},
        "now": "2025-03-12T09:00:00Z"
    }))
    .unwrap()
}

fn message<'d, T>(d: &'d Decision<T>, code: &str) -> &'d str {
    &d.reasons
        .iter()
        .find(|r| r.code == code)
        .unwrap_or_else(|| panic!("no reason `{code}`"))
        .message
}

fn codes<T>(d: &Decision<T>) -> Vec<&str> {
    d.reasons.iter().map(|r| &*r.code).collect()
}

fn fails_with(e: &ReturnsEngine, request: &ReturnRequest) -> backoffice::Diagnostic {
    let err = e.decide(request).unwrap_err();
    assert_eq!(err.diagnostics().len(), 1, "{err:?}");
    err.diagnostics()[0].clone()
}

// ---- return_shipping_fee ----------------------------------------------------------

#[test]
fn a_used_item_pays_return_shipping_even_when_defective() {
    let flat = json!({"return_shipping_fee": {"kind": "flat", "amount": "6.00"}});
    // Built in: the defective kettle is waived, the toaster pays the whole flat fee.
    let d = engine(flat.clone(), None)
        .decide(&kettle_and_toaster("used"))
        .unwrap();
    let fees: Vec<String> = d
        .outcome
        .items
        .iter()
        .map(|i| i.refund.return_shipping_fee.to_string())
        .collect();
    assert_eq!(fees, ["0.00 EUR", "-6.00 EUR"]);

    let d = engine(flat, Some(EXAMPLE))
        .decide(&kettle_and_toaster("used"))
        .unwrap();
    let kettle = &d.outcome.items[0];
    assert_eq!(kettle.refund.return_shipping_fee.to_string(), "-4.95 EUR");
    assert_eq!(kettle.refund.total.to_string(), "75.05 EUR");
    assert_eq!(
        kettle.reason_codes,
        ["within_return_window", "policy_return_shipping_fee"]
    );
    // The toaster keeps its share of the built-in fee.
    assert_eq!(
        d.outcome.items[1].refund.return_shipping_fee.to_string(),
        "-6.00 EUR"
    );
    assert_eq!(
        d.outcome.refund.return_shipping_fees.to_string(),
        "-10.95 EUR"
    );
    assert_eq!(d.outcome.refund.total.to_string(), "109.05 EUR");
    let reason = d
        .reasons
        .iter()
        .find(|r| r.code == "policy_return_shipping_fee")
        .unwrap();
    assert_eq!(
        reason.message,
        "the policy's `return_shipping_fee` changes the return-shipping fee of line 1 from 0.00 EUR (waived: reason `defective` is the merchant's fault) to 4.95 EUR"
    );
    assert_eq!(reason.subject.as_deref(), Some("1"));
    let ReasonSource::Policy(source) = &reason.source else {
        panic!("{reason:?}")
    };
    assert_eq!(
        (source.policy.as_str(), source.hook.as_str(), source.line),
        ("gaps.rhai", "return_shipping_fee", Some(11))
    );

    // A new defective kettle: the policy returns () and the built-in rule waives it.
    let d = engine(
        json!({"return_shipping_fee": {"kind": "flat", "amount": "6.00"}}),
        Some(EXAMPLE),
    )
    .decide(&kettle_and_toaster("new"))
    .unwrap();
    assert_eq!(
        d.outcome.items[0].refund.return_shipping_fee.to_string(),
        "0.00 EUR"
    );
    assert!(!codes(&d).contains(&"policy_return_shipping_fee"));
}

#[test]
fn a_fee_may_be_an_int_a_decimal_or_money_and_is_written_in_minor_units() {
    for (returned, fee, total) in [
        ("5", "-5.00 EUR", "75.00 EUR"),
        ("2.5", "-2.50 EUR", "77.50 EUR"),
        ("#{amount: 3, currency: \"EUR\"}", "-3.00 EUR", "77.00 EUR"),
        ("0", "0.00 EUR", "80.00 EUR"),
        ("100", "-100.00 EUR", "0.00 EUR"),
    ] {
        let source = format!(
            "fn return_shipping_fee(item, request) {{ if item.line_id == \"1\" {{ {returned} }} else {{ () }} }}"
        );
        let d = engine(json!({}), Some(&source))
            .decide(&kettle_and_toaster("used"))
            .unwrap();
        let kettle = &d.outcome.items[0].refund;
        assert_eq!(kettle.return_shipping_fee.to_string(), fee, "{returned}");
        assert_eq!(kettle.total.to_string(), total, "{returned}");
        assert_eq!(
            d.outcome.items[1].refund.return_shipping_fee.to_string(),
            "0.00 EUR"
        );
    }
}

#[test]
fn bad_fees_are_refused_with_what_was_wrong() {
    for (returned, wanted) in [
        (
            "#{amount: 5.00, currency: \"USD\"}",
            "hook `return_shipping_fee` returned a fee of 5.00 USD, but the order is in EUR",
        ),
        (
            "5.955",
            "hook `return_shipping_fee` returned a fee of 5.955 EUR, which has more decimal places than EUR allows",
        ),
        (
            "-1",
            "hook `return_shipping_fee` returned integer -1, expected a fee of 0 or more in the order's currency (#{amount, currency}, a decimal or an int) or ()",
        ),
        (
            "\"free\"",
            "hook `return_shipping_fee` returned string \"free\", expected a fee of 0 or more in the order's currency (#{amount, currency}, a decimal or an int) or ()",
        ),
    ] {
        let source = format!("fn return_shipping_fee(item, request) {{ {returned} }}");
        let e = engine(json!({}), Some(&source));
        let diagnostic = fails_with(&e, &kettle_and_toaster("used"));
        assert_eq!(diagnostic.code, "policy.bad_return", "{returned}");
        assert_eq!(diagnostic.message, wanted, "{returned}");
        assert_eq!(diagnostic.hook.as_deref(), Some("return_shipping_fee"));
    }
}

#[test]
fn a_failing_fee_hook_falls_back_to_the_built_in_fee_and_review() {
    let e = engine(
        json!({"return_shipping_fee": {"kind": "per_item", "amount": "3.00"}}),
        Some("fn return_shipping_fee(item, request) { throw \"down\" }"),
    );
    let fallback = DecideOptions {
        on_hook_error: OnHookError::Fallback,
        ..DecideOptions::default()
    };
    let d = e
        .decide_with(&kettle_and_toaster("used"), &fallback)
        .unwrap();
    assert_eq!(d.outcome.status, RequestStatus::Review);
    let fees: Vec<String> = d
        .outcome
        .items
        .iter()
        .map(|i| i.refund.return_shipping_fee.to_string())
        .collect();
    assert_eq!(fees, ["0.00 EUR", "-3.00 EUR"]);
    // One policy_error per item the hook failed on, then the review route.
    assert_eq!(
        codes(&d),
        [
            "within_return_window",
            "within_return_window",
            "policy_error",
            "policy_error",
            "review_route"
        ]
    );
}

#[test]
fn the_fee_hook_is_not_asked_about_rejected_items() {
    let source = "fn return_shipping_fee(item, request) { if item.status == \"rejected\" { throw \"asked\" } 1 }";
    let e = engine(
        json!({"validators": {"final_sale": "reject"}}),
        Some(source),
    );
    let mut request = kettle_and_toaster("used");
    request.order.lines[0].final_sale = true;
    let d = e.decide(&request).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert_eq!(
        d.outcome.items[0].refund.return_shipping_fee.to_string(),
        "0.00 EUR"
    );
    assert_eq!(
        d.outcome.items[1].refund.return_shipping_fee.to_string(),
        "-1.00 EUR"
    );
}

// ---- review routing --------------------------------------------------------------

fn route(queue: &str, priority: ReviewPriority, expected_hours: u32) -> Option<ReviewRoute> {
    Some(ReviewRoute {
        queue: queue.to_string(),
        priority,
        expected_hours,
    })
}

#[test]
fn reviews_get_the_configured_default_route() {
    let d = engine(json!({}), None)
        .decide(&one_item("899.00", "damaged"))
        .unwrap();
    assert_eq!(d.outcome.status, RequestStatus::Review);
    assert_eq!(d.outcome.review_queue.as_deref(), Some("returns_review"));
    assert_eq!(
        d.outcome.review,
        route("returns_review", ReviewPriority::Normal, 48)
    );
    assert_eq!(
        message(&d, "review_route"),
        "the review waits in queue `returns_review` with priority normal, to be handled within 48 hours (`review_routing.default`)"
    );
    let json = serde_json::to_value(&d).unwrap();
    assert_eq!(
        json["outcome"]["review"],
        json!({"queue": "returns_review", "priority": "normal", "expected_hours": 48})
    );
    // Accepted requests have no route and no such reason.
    let d = engine(json!({}), None)
        .decide(&one_item("899.00", "new"))
        .unwrap();
    assert_eq!(d.outcome.review, None);
    assert!(!codes(&d).contains(&"review_route"));
    assert!(serde_json::to_value(&d).unwrap()["outcome"]
        .get("review")
        .is_none());
}

#[test]
fn each_queue_may_have_its_own_route() {
    let e = engine(
        json!({"review_queue": "care_team", "review_routing": {
            "default": {"priority": "low", "expected_hours": 96},
            "queues": {"care_team": {"priority": "high", "expected_hours": 12}}
        }}),
        None,
    );
    let d = e.decide(&one_item("120.00", "missing_parts")).unwrap();
    assert_eq!(
        d.outcome.review,
        route("care_team", ReviewPriority::High, 12)
    );
    assert_eq!(
        message(&d, "review_route"),
        "the review waits in queue `care_team` with priority high, to be handled within 12 hours (`review_routing.queues.care_team`)"
    );
    // The fraud queue has no entry here any more: the default applies.
    let mut request = one_item("120.00", "new");
    request.customer.chargebacks = 1;
    request.customer.account_age_days = Some(3);
    let d = e.decide(&request).unwrap();
    assert_eq!(d.outcome.review_queue.as_deref(), Some("fraud_review"));
    assert_eq!(
        d.outcome.review,
        route("fraud_review", ReviewPriority::Low, 96)
    );
}

#[test]
fn the_fraud_queue_is_high_priority_by_default() {
    let mut request = one_item("120.00", "new");
    request.customer.chargebacks = 1;
    request.customer.account_age_days = Some(3);
    let d = engine(json!({}), None).decide(&request).unwrap();
    assert_eq!(
        d.outcome.review,
        route("fraud_review", ReviewPriority::High, 24)
    );
    assert_eq!(
        message(&d, "review_route"),
        "the review waits in queue `fraud_review` with priority high, to be handled within 24 hours (`review_routing.queues.fraud_review`)"
    );
}

#[test]
fn the_example_policy_routes_large_refunds_to_senior_review() {
    let e = engine(json!({}), Some(EXAMPLE));
    let d = e.decide(&one_item("899.00", "damaged")).unwrap();
    assert_eq!(d.outcome.review_queue.as_deref(), Some("senior_review"));
    assert_eq!(
        d.outcome.review,
        route("senior_review", ReviewPriority::Urgent, 8)
    );
    let reason = d.reasons.iter().find(|r| r.code == "review_route").unwrap();
    assert_eq!(
        reason.message,
        "the policy's `review_route` changes the review route from queue `returns_review`, priority normal, within 48 hours to queue `senior_review`, priority urgent, within 8 hours; a refund of 899.00 EUR is 500 or more"
    );
    let ReasonSource::Policy(source) = &reason.source else {
        panic!("{reason:?}")
    };
    assert_eq!(
        (source.policy.as_str(), source.hook.as_str(), source.line),
        ("gaps.rhai", "review_route", Some(18))
    );
    // A small refund keeps the queue and its hours, at low priority.
    let d = e.decide(&one_item("99.00", "damaged")).unwrap();
    assert_eq!(
        d.outcome.review,
        route("returns_review", ReviewPriority::Low, 48)
    );
    assert_eq!(
        message(&d, "review_route"),
        "the policy's `review_route` changes the review route from queue `returns_review`, priority normal, within 48 hours to queue `returns_review`, priority low, within 48 hours"
    );
    // Fraud reviews keep the configured route.
    let mut request = one_item("99.00", "new");
    request.customer.chargebacks = 1;
    request.customer.account_age_days = Some(3);
    let d = e.decide(&request).unwrap();
    assert_eq!(
        d.outcome.review,
        route("fraud_review", ReviewPriority::High, 24)
    );
    assert_eq!(
        d.reasons
            .iter()
            .find(|r| r.code == "review_route")
            .unwrap()
            .source,
        ReasonSource::Builtin {
            rule: "review_routing".into()
        }
    );
}

#[test]
fn the_route_hook_is_only_asked_about_reviews() {
    let e = engine(
        json!({}),
        Some("fn review_route(request) { throw \"asked\" }"),
    );
    let d = e.decide(&one_item("99.00", "new")).unwrap();
    assert_eq!(d.outcome.status, RequestStatus::Accepted);
    assert_eq!(d.outcome.review, None);
    let diagnostic = fails_with(&e, &one_item("99.00", "damaged"));
    assert_eq!(diagnostic.code, "policy.runtime");
    assert_eq!(diagnostic.hook.as_deref(), Some("review_route"));
    // With the fallback, the configured route applies and the failure is a reason.
    let fallback = DecideOptions {
        on_hook_error: OnHookError::Fallback,
        ..DecideOptions::default()
    };
    let d = e
        .decide_with(&one_item("99.00", "damaged"), &fallback)
        .unwrap();
    assert_eq!(
        d.outcome.review,
        route("returns_review", ReviewPriority::Normal, 48)
    );
    assert_eq!(
        codes(&d),
        [
            "within_return_window",
            "condition_damaged",
            "policy_error",
            "review_route"
        ]
    );
}

#[test]
fn bad_routes_are_refused_naming_the_key() {
    for (returned, wanted) in [
        (
            "#{priority: \"asap\"}",
            "hook `review_route` returned a map whose `priority` is string \"asap\", expected \"low\", \"normal\", \"high\" or \"urgent\"",
        ),
        (
            "#{expected_hours: 0}",
            "hook `review_route` returned a map whose `expected_hours` is integer 0, expected a number of hours from 1 to 8760",
        ),
        (
            "#{expected_hours: 9000}",
            "hook `review_route` returned a map whose `expected_hours` is integer 9000, expected a number of hours from 1 to 8760",
        ),
        (
            "#{queue: \" \"}",
            "hook `review_route` returned a map whose `queue` is string \" \", expected a non-empty string",
        ),
        (
            "#{queue: \"x\", prio: 1}",
            "hook `review_route` returned a map with the unknown key `prio`",
        ),
        (
            "\"senior\"",
            "hook `review_route` returned string \"senior\", expected #{queue?: string, priority?: \"low\"|\"normal\"|\"high\"|\"urgent\", expected_hours?: int, reason?: string} or ()",
        ),
    ] {
        let source = format!("fn review_route(request) {{ {returned} }}");
        let e = engine(json!({}), Some(&source));
        let diagnostic = fails_with(&e, &one_item("99.00", "damaged"));
        assert_eq!(diagnostic.code, "policy.bad_return", "{returned}");
        assert_eq!(diagnostic.message, wanted, "{returned}");
    }
}

#[test]
fn review_routing_configuration_errors_name_the_field() {
    for (value, field, wanted) in [
        (
            json!({"review_routing": {"default": {"priority": "normal", "expected_hours": 0}}}),
            "review_routing.default.expected_hours",
            "the expected handling time must be from 1 to 8760 hours, got 0",
        ),
        (
            json!({"review_routing": {"queues": {"fraud_review": {"priority": "high", "expected_hours": 9000}}}}),
            "review_routing.queues.fraud_review.expected_hours",
            "the expected handling time must be from 1 to 8760 hours, got 9000",
        ),
        (
            json!({"review_routing": {"queues": {" ": {"priority": "high", "expected_hours": 2}}}}),
            "review_routing.queues",
            "a queue name must not be empty",
        ),
        (
            json!({"review_queue": ""}),
            "review_queue",
            "a queue name must not be empty",
        ),
        (
            json!({"fraud": {"review_queue": " "}}),
            "fraud.review_queue",
            "a queue name must not be empty",
        ),
    ] {
        let err = ReturnsEngine::new(config(value)).unwrap_err();
        assert_eq!(err.field(), Some(field));
        assert!(err.to_string().ends_with(wanted), "{err}");
    }
    // Words and shapes are checked when the configuration is read.
    let err = backoffice::engine::from_json::<ReturnsConfig>(
        r#"{"review_routing": {"default": {"priority": "asap", "expected_hours": 1}}}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("review_routing.default.priority"),
        "{err}"
    );
}

// ---- not yet delivered -----------------------------------------------------------

/// A lamp shipped 2025-03-03 and never delivered, requested on `now`.
fn undelivered(now: &str) -> ReturnRequest {
    serde_json::from_value(json!({
        "order": {
            "order_id": "E-502", "currency": "EUR", "payment_method": "card",
            "placed_at": "2025-03-01T10:00:00Z", "shipped_at": "2025-03-03T08:00:00Z",
            "lines": [{"line_id": "1", "sku": "LAMP", "category": "home", "quantity": 1,
                       "unit_price": eur("45.00")}]
        },
        "items": [{"line_id": "1", "quantity": 1, "reason": "changed_mind", "condition": "new"}],
        "now": now
    }))
    .unwrap()
}

#[test]
fn not_yet_delivered_rejects_by_default() {
    assert_eq!(
        ReturnsConfig::default().validators.not_delivered,
        NotDeliveredAction::Reject
    );
    let d = engine(json!({}), None)
        .decide(&undelivered("2025-03-10T09:00:00Z"))
        .unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert_eq!(
        d.outcome.items[0].reason_codes,
        ["within_return_window", "not_yet_delivered"]
    );
}

#[test]
fn not_yet_delivered_may_go_to_review() {
    let d = engine(json!({"validators": {"not_delivered": "review"}}), None)
        .decide(&undelivered("2025-03-10T09:00:00Z"))
        .unwrap();
    assert_eq!(d.outcome.status, RequestStatus::Review);
    assert_eq!(d.outcome.items[0].status, ItemStatus::Review);
    assert_eq!(
        d.outcome.items[0].reason_codes,
        ["within_return_window", "not_yet_delivered"]
    );
    assert_eq!(
        message(&d, "not_yet_delivered"),
        "line 1 has no delivery date"
    );
    assert_eq!(
        d.outcome.review,
        route("returns_review", ReviewPriority::Normal, 48)
    );
}

#[test]
fn allowed_undelivered_items_count_their_window_from_shipment() {
    let e = engine(
        json!({"validators": {"not_delivered": "allow"}, "window": {"default_days": 14}}),
        None,
    );
    let d = e.decide(&undelivered("2025-03-17T09:00:00Z")).unwrap();
    let item = &d.outcome.items[0];
    assert_eq!(item.status, ItemStatus::Accepted);
    assert_eq!(item.window.basis, WindowBasis::Shipped);
    assert_eq!(item.window.basis_date.to_string(), "2025-03-03");
    assert_eq!(item.window.last_day.unwrap().to_string(), "2025-03-17");
    assert_eq!(
        item.reason_codes,
        ["within_return_window", "window_from_shipment"]
    );
    assert_eq!(
        message(&d, "window_from_shipment"),
        "line 1 has no delivery date; allowed by `validators.not_delivered`, its window counts from shipment on 2025-03-03"
    );
    // One day later the window counted from shipment is over.
    let d = e.decide(&undelivered("2025-03-18T09:00:00Z")).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert_eq!(
        d.outcome.items[0].reason_codes,
        ["window_from_shipment", "outside_return_window"]
    );
    // Nothing shipped: the window counts from the order.
    let mut request = undelivered("2025-03-10T09:00:00Z");
    request.order.shipped_at = None;
    let d = e.decide(&request).unwrap();
    assert_eq!(d.outcome.items[0].window.basis, WindowBasis::Placed);
    assert_eq!(
        message(&d, "window_from_shipment"),
        "line 1 has no delivery date; allowed by `validators.not_delivered`, its window counts from the order (nothing has shipped) on 2025-03-01"
    );
}

#[test]
fn off_is_another_spelling_of_allow() {
    let off = config(json!({"validators": {"not_delivered": "off"}}));
    assert_eq!(off.validators.not_delivered, NotDeliveredAction::Allow);
    let written = serde_json::to_value(&off).unwrap();
    assert_eq!(written["validators"]["not_delivered"], "allow");
    let err = backoffice::engine::from_json::<ReturnsConfig>(
        r#"{"validators": {"not_delivered": "maybe"}}"#,
    )
    .unwrap_err();
    assert!(
        err.to_string().contains("validators.not_delivered"),
        "{err}"
    );
}

// ---- the hook list ---------------------------------------------------------------

#[test]
fn the_new_hooks_are_listed_with_typed_params() {
    let names: Vec<(&str, &[&str])> = backoffice::returns::HOOKS
        .iter()
        .map(|h| (h.name, h.params))
        .collect();
    assert_eq!(
        names,
        [
            ("eligibility", &["item", "request"][..]),
            ("window_days", &["item", "request"][..]),
            ("restocking_fee_percent", &["item", "request"][..]),
            ("disposition", &["item", "request"][..]),
            ("settlement", &["request"][..]),
            ("fraud_signals", &["request"][..]),
            ("return_shipping_fee", &["item", "request"][..]),
            ("review_route", &["request"][..]),
        ]
    );
    let review = backoffice::returns::HOOKS
        .iter()
        .find(|h| h.name == "review_route")
        .unwrap();
    assert_eq!(review.args.len(), 1);
    let fee = backoffice::returns::HOOKS
        .iter()
        .find(|h| h.name == "return_shipping_fee")
        .unwrap();
    assert_eq!(fee.args.len(), 2);
}

// ---- properties ------------------------------------------------------------------

mod properties {
    use super::*;
    use proptest::prelude::*;
    use rust_decimal::Decimal;

    /// The policy's fee, in cents, for the kettle; the toaster's is left to the rules.
    fn fee_engine(cents: i64, flat_cents: i64) -> ReturnsEngine {
        let fee = Decimal::new(cents, 2);
        let source = format!(
            "fn return_shipping_fee(item, request) {{ if item.line_id == \"1\" {{ {fee} }} else {{ () }} }}"
        );
        let flat = Decimal::new(flat_cents, 2).to_string();
        engine(
            json!({"return_shipping_fee": {"kind": "flat", "amount": flat}}),
            Some(&source),
        )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(48))]

        /// The kettle refunds 80.00 less the policy's fee, never below zero; the toaster
        /// still pays the whole built-in flat fee (the kettle is waived by the rules),
        /// and the totals add up.
        #[test]
        fn the_policy_fee_replaces_one_items_share(cents in 0i64..12_000, flat in 0i64..4_000) {
            let d = fee_engine(cents, flat).decide(&kettle_and_toaster("used")).unwrap();
            let kettle = &d.outcome.items[0].refund;
            let toaster = &d.outcome.items[1].refund;
            let fee = Decimal::new(cents, 2);
            prop_assert_eq!(kettle.return_shipping_fee.amount(), -fee);
            prop_assert_eq!(kettle.total.amount(), (Decimal::new(8000, 2) - fee).max(Decimal::ZERO));
            prop_assert_eq!(toaster.return_shipping_fee.amount(), -Decimal::new(flat, 2));
            prop_assert_eq!(
                d.outcome.refund.total.amount(),
                kettle.total.amount() + toaster.total.amount()
            );
            prop_assert_eq!(
                d.outcome.refund.return_shipping_fees.amount(),
                kettle.return_shipping_fee.amount() + toaster.return_shipping_fee.amount()
            );
        }

        /// A route is reported exactly when the request is in review, in the queue the
        /// outcome names, with one `review_route` reason.
        #[test]
        fn a_route_exactly_for_reviews(
            condition in prop::sample::select(vec!["new", "opened", "used", "damaged", "missing_parts"]),
            not_delivered in prop::sample::select(vec!["reject", "review", "allow"]),
            delivered in any::<bool>(),
            chargebacks in 0u32..2,
        ) {
            let e = engine(json!({"validators": {"not_delivered": not_delivered}}), None);
            let mut request = one_item("120.00", condition);
            if !delivered {
                request.order.delivered_at = None;
                request.order.shipped_at = request.order.placed_at.checked_add_signed(chrono::Duration::days(1));
            }
            request.customer.chargebacks = chargebacks;
            request.customer.account_age_days = Some(3);
            let d = e.decide(&request).unwrap();
            let routes = d.reasons.iter().filter(|r| r.code == "review_route").count();
            if d.outcome.status == RequestStatus::Review {
                let review = d.outcome.review.as_ref().unwrap();
                prop_assert_eq!(Some(review.queue.as_str()), d.outcome.review_queue.as_deref());
                prop_assert_eq!(routes, 1);
            } else {
                prop_assert!(d.outcome.review.is_none());
                prop_assert!(d.outcome.review_queue.is_none());
                prop_assert_eq!(routes, 0);
            }
        }
    }
}
