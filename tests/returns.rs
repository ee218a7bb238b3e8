#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The returns engine: every example of the issue, bad input, and the built-in rules.

use backoffice::policy::{DecideOptions, OnHookError};
use backoffice::returns::{
    Disposition, FraudAction, ItemStatus, RequestStatus, ReturnRequest, ReturnsConfig,
    ReturnsEngine, SettlementMethod, WindowBasis,
};
use serde_json::{json, Value};

fn engine(config: Value) -> ReturnsEngine {
    ReturnsEngine::new(serde_json::from_value(config).unwrap()).unwrap()
}

fn eur(amount: &str) -> Value {
    json!({"amount": amount, "currency": "EUR"})
}

/// One line of 3 × 100.00 with a 10.00 order discount, delivered Friday 2025-02-28.
fn base_request() -> Value {
    json!({
        "order": {
            "order_id": "A-1001",
            "currency": "EUR",
            "customer_id": "C-1",
            "placed_at": "2025-02-20T10:00:00Z",
            "shipped_at": "2025-02-25T10:00:00Z",
            "delivered_at": "2025-02-28T15:00:00Z",
            "payment_method": "card",
            "ship_to_country": "DE",
            "order_discount": eur("10.00"),
            "lines": [{
                "line_id": "1", "sku": "BOOT-42", "category": "shoes", "quantity": 3,
                "unit_price": eur("100.00")
            }]
        },
        "items": [{"line_id": "1", "quantity": 1, "reason": "size_too_small", "condition": "new"}],
        "now": "2025-03-10T09:00:00Z"
    })
}

fn request(value: Value) -> ReturnRequest {
    serde_json::from_value(value).unwrap()
}

fn with(mut base: Value, path: &[&str], value: Value) -> Value {
    let mut cursor = &mut base;
    for key in path {
        cursor = match key.parse::<usize>() {
            Ok(i) => &mut cursor[i],
            Err(_) => &mut cursor[*key],
        };
    }
    *cursor = value;
    base
}

// ---- the window example ----------------------------------------------------------------

#[test]
fn delivered_friday_30_days_deadline_is_end_of_sunday() {
    let e = engine(json!({"time_zone": "Europe/Berlin"}));
    // Sunday 2025-03-30, 23:30 in Berlin (21:30 UTC; summer time began that morning).
    let sunday = request(with(
        base_request(),
        &["now"],
        json!("2025-03-30T21:30:00Z"),
    ));
    let d = e.decide(&sunday).unwrap();
    let item = &d.outcome.items[0];
    assert_eq!(item.status, ItemStatus::Accepted);
    assert_eq!(item.window.basis, WindowBasis::Delivered);
    assert_eq!(item.window.basis_date.to_string(), "2025-02-28");
    assert_eq!(item.window.last_day.unwrap().to_string(), "2025-03-30");
    assert_eq!(
        item.window.deadline.unwrap().to_rfc3339(),
        "2025-03-30T21:59:59.999999999+00:00"
    );
    assert!(!item.window.extended);
    assert!(d.has_reason("within_return_window"));

    // Monday 2025-03-31, 00:10 in Berlin: late.
    let monday = request(with(
        base_request(),
        &["now"],
        json!("2025-03-30T22:10:00Z"),
    ));
    let d = e.decide(&monday).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert_eq!(d.outcome.status, RequestStatus::Rejected);
    assert_eq!(d.outcome.items[0].reason_codes, ["outside_return_window"]);
    assert_eq!(d.outcome.refund.total.to_string(), "0.00 EUR");
}

#[test]
fn with_the_business_day_extension_monday_is_inside() {
    let e =
        engine(json!({"time_zone": "Europe/Berlin", "window": {"business_day_extension": true}}));
    let monday = request(with(
        base_request(),
        &["now"],
        json!("2025-03-31T21:59:00Z"),
    ));
    let d = e.decide(&monday).unwrap();
    let item = &d.outcome.items[0];
    assert_eq!(item.status, ItemStatus::Accepted);
    assert_eq!(item.window.last_day.unwrap().to_string(), "2025-03-31");
    assert!(item.window.extended);
    assert_eq!(
        item.window.deadline.unwrap().to_rfc3339(),
        "2025-03-31T21:59:59.999999999+00:00"
    );
    // Tuesday in Berlin is late even with the extension.
    let tuesday = request(with(
        base_request(),
        &["now"],
        json!("2025-03-31T22:00:00Z"),
    ));
    assert_eq!(
        e.decide(&tuesday).unwrap().outcome.items[0].status,
        ItemStatus::Rejected
    );
}

#[test]
fn the_window_uses_the_merchant_zone_and_fixed_offsets() {
    // 2025-03-30T23:30Z is still Sunday in New York (-04:00) but Monday in Berlin.
    let late_utc = with(base_request(), &["now"], json!("2025-03-30T23:30:00Z"));
    let ny = engine(json!({"time_zone": "America/New_York"}));
    assert_eq!(
        ny.decide(&request(late_utc.clone())).unwrap().outcome.items[0].status,
        ItemStatus::Accepted
    );
    let fixed = engine(json!({"time_zone": "-04:00"}));
    assert_eq!(
        fixed
            .decide(&request(late_utc.clone()))
            .unwrap()
            .outcome
            .items[0]
            .status,
        ItemStatus::Accepted
    );
    let plus_one = engine(json!({"time_zone": "+01:00"}));
    assert_eq!(
        plus_one.decide(&request(late_utc)).unwrap().outcome.items[0].status,
        ItemStatus::Rejected
    );
}

#[test]
fn the_window_falls_back_to_shipment_then_placement() {
    let e = engine(json!({"validators": {"not_delivered": "off"}}));
    let mut r = base_request();
    r["order"].as_object_mut().unwrap().remove("delivered_at");
    let d = e.decide(&request(r.clone())).unwrap();
    assert_eq!(d.outcome.items[0].window.basis, WindowBasis::Shipped);
    assert_eq!(
        d.outcome.items[0].window.basis_date.to_string(),
        "2025-02-25"
    );
    r["order"].as_object_mut().unwrap().remove("shipped_at");
    let d = e.decide(&request(r)).unwrap();
    assert_eq!(d.outcome.items[0].window.basis, WindowBasis::Placed);
    assert_eq!(
        d.outcome.items[0].window.last_day.unwrap().to_string(),
        "2025-03-22"
    );
}

#[test]
fn not_yet_delivered_is_rejected_by_default() {
    let mut r = base_request();
    r["order"].as_object_mut().unwrap().remove("delivered_at");
    let d = engine(json!({})).decide(&request(r)).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert_eq!(
        d.outcome.items[0].reason_codes,
        ["within_return_window", "not_yet_delivered"]
    );
}

#[test]
fn category_windows_unlimited_and_statutory_minimum() {
    let late = with(base_request(), &["now"], json!("2026-01-10T09:00:00Z"));
    let unlimited = engine(json!({"window": {"category_days": {"shoes": "unlimited"}}}));
    let d = unlimited.decide(&request(late)).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Accepted);
    assert_eq!(d.outcome.items[0].window.days, None);

    // A 7-day category window is lengthened to the 14-day statutory minimum.
    let day_12 = with(base_request(), &["now"], json!("2025-03-12T09:00:00Z"));
    let short =
        engine(json!({"window": {"category_days": {"shoes": 7}, "statutory_minimum_days": 14}}));
    let d = short.decide(&request(day_12.clone())).unwrap();
    assert_eq!(d.outcome.items[0].window.days, Some(14));
    assert_eq!(d.outcome.items[0].status, ItemStatus::Accepted);
    let no_statute = engine(json!({"window": {"category_days": {"shoes": 7}}}));
    assert_eq!(
        no_statute.decide(&request(day_12)).unwrap().outcome.items[0].status,
        ItemStatus::Rejected
    );
}

// ---- refund amounts ----------------------------------------------------------------------

#[test]
fn three_units_with_an_order_discount_refund_290_and_one_unit_96_67() {
    let e = engine(json!({}));
    let one = e.decide(&request(base_request())).unwrap();
    assert_eq!(one.outcome.status, RequestStatus::Accepted);
    let refund = &one.outcome.items[0].refund;
    assert_eq!(refund.price.to_string(), "100.00 EUR");
    assert_eq!(refund.discount.to_string(), "-3.33 EUR");
    assert_eq!(refund.merchandise.to_string(), "96.67 EUR");
    assert_eq!(refund.total.to_string(), "96.67 EUR");
    assert_eq!(one.outcome.settlement.amount.to_string(), "96.67 EUR");
    assert_eq!(
        one.outcome.settlement.method,
        SettlementMethod::OriginalPayment
    );

    let all = with(base_request(), &["items", "0", "quantity"], json!(3));
    let d = e.decide(&request(all)).unwrap();
    assert_eq!(d.outcome.refund.total.to_string(), "290.00 EUR");
    assert_eq!(d.outcome.items[0].refund.discount.to_string(), "-10.00 EUR");
}

#[test]
fn returning_the_units_one_by_one_adds_up_to_290() {
    let e = engine(json!({}));
    let mut previous = Vec::new();
    let mut refunds = Vec::new();
    for _ in 0..3 {
        let r = with(
            base_request(),
            &["previous_returns"],
            json!(previous.clone()),
        );
        let d = e.decide(&request(r)).unwrap();
        let paid = d.outcome.refund.total;
        refunds.push(paid.amount().to_string());
        previous.push(json!({"line_id": "1", "quantity": 1, "refunded": paid}));
    }
    assert_eq!(refunds, ["96.67", "96.67", "96.66"]);
}

#[test]
fn restocking_fee_and_flat_return_fee_refund_60_50() {
    let e = engine(json!({
        "restocking_fee": {"by_condition": {"opened": "15"}},
        "return_shipping_fee": {"kind": "flat", "amount": "7.50"}
    }));
    let r = json!({
        "order": {
            "order_id": "A-2", "currency": "EUR", "payment_method": "card",
            "placed_at": "2025-03-01T10:00:00Z", "delivered_at": "2025-03-03T10:00:00Z",
            "lines": [{"line_id": "1", "sku": "KETTLE", "category": "kitchen", "quantity": 2, "unit_price": eur("40.00")}]
        },
        "items": [{"line_id": "1", "quantity": 2, "reason": "changed_mind", "condition": "opened"}],
        "now": "2025-03-10T10:00:00Z"
    });
    let d = e.decide(&request(r.clone())).unwrap();
    let refund = &d.outcome.items[0].refund;
    assert_eq!(refund.merchandise.to_string(), "80.00 EUR");
    assert_eq!(refund.restocking_fee_percent.to_string(), "15");
    assert_eq!(refund.restocking_fee.to_string(), "-12.00 EUR");
    assert_eq!(refund.return_shipping_fee.to_string(), "-7.50 EUR");
    assert_eq!(refund.total.to_string(), "60.50 EUR");
    assert_eq!(d.outcome.refund.total.to_string(), "60.50 EUR");
    assert_eq!(d.outcome.refund.restocking_fees.to_string(), "-12.00 EUR");
    assert_eq!(
        d.outcome.refund.return_shipping_fees.to_string(),
        "-7.50 EUR"
    );

    // A defective item is the merchant's fault: no fees.
    let defective = with(r, &["items", "0", "reason"], json!("defective"));
    let d = e.decide(&request(defective)).unwrap();
    assert_eq!(d.outcome.refund.total.to_string(), "80.00 EUR");
    assert_eq!(
        d.outcome.items[0].disposition,
        Some(Disposition::ReturnToVendor)
    );
}

#[test]
fn a_flat_fee_is_shared_across_items_and_the_total_never_goes_below_zero() {
    let e = engine(json!({"return_shipping_fee": {"kind": "flat", "amount": "10.00"}}));
    let r = json!({
        "order": {
            "order_id": "A-3", "currency": "EUR", "payment_method": "card",
            "placed_at": "2025-03-01T10:00:00Z", "delivered_at": "2025-03-03T10:00:00Z",
            "lines": [
                {"line_id": "1", "sku": "A", "category": "home", "quantity": 1, "unit_price": eur("20.00")},
                {"line_id": "2", "sku": "B", "category": "home", "quantity": 1, "unit_price": eur("1.00")},
                {"line_id": "3", "sku": "C", "category": "home", "quantity": 1, "unit_price": eur("9.00")}
            ]
        },
        "items": [
            {"line_id": "1", "quantity": 1, "reason": "changed_mind", "condition": "new"},
            {"line_id": "2", "quantity": 1, "reason": "changed_mind", "condition": "new"},
            {"line_id": "3", "quantity": 1, "reason": "changed_mind", "condition": "new"}
        ],
        "now": "2025-03-10T10:00:00Z"
    });
    let d = e.decide(&request(r)).unwrap();
    let fees: Vec<String> = d
        .outcome
        .items
        .iter()
        .map(|i| i.refund.return_shipping_fee.to_string())
        .collect();
    assert_eq!(fees, ["-6.67 EUR", "-0.33 EUR", "-3.00 EUR"]);
    assert_eq!(
        d.outcome.refund.return_shipping_fees.to_string(),
        "-10.00 EUR"
    );
    assert_eq!(d.outcome.refund.total.to_string(), "20.00 EUR");

    let tiny = engine(json!({"return_shipping_fee": {"kind": "per_item", "amount": "5.00"}}));
    let r = json!({
        "order": {
            "order_id": "A-4", "currency": "EUR", "payment_method": "card",
            "placed_at": "2025-03-01T10:00:00Z", "delivered_at": "2025-03-03T10:00:00Z",
            "lines": [{"line_id": "1", "sku": "PEN", "category": "office", "quantity": 2, "unit_price": eur("2.00")}]
        },
        "items": [{"line_id": "1", "quantity": 2, "reason": "changed_mind", "condition": "new"}],
        "now": "2025-03-10T10:00:00Z"
    });
    let d = tiny.decide(&request(r)).unwrap();
    assert_eq!(
        d.outcome.items[0].refund.return_shipping_fee.to_string(),
        "-10.00 EUR"
    );
    assert_eq!(d.outcome.refund.total.to_string(), "0.00 EUR");
}

#[test]
fn tax_and_line_discount_are_shared_per_unit() {
    let r = json!({
        "order": {
            "order_id": "A-5", "currency": "EUR", "payment_method": "card",
            "placed_at": "2025-03-01T10:00:00Z", "delivered_at": "2025-03-03T10:00:00Z",
            "lines": [{"line_id": "1", "sku": "MUG", "category": "home", "quantity": 3,
                       "unit_price": eur("10.00"), "discount": eur("1.00"), "tax": eur("5.51")}]
        },
        "items": [{"line_id": "1", "quantity": 2, "reason": "changed_mind", "condition": "new"}],
        "now": "2025-03-10T10:00:00Z"
    });
    let d = engine(json!({})).decide(&request(r)).unwrap();
    let refund = &d.outcome.items[0].refund;
    // Paid 30.00 − 1.00 + 5.51 = 34.51 → 11.51, 11.50, 11.50; tax 5.51 → 1.84, 1.84, 1.83.
    assert_eq!(refund.merchandise.to_string(), "23.01 EUR");
    assert_eq!(refund.tax.to_string(), "3.68 EUR");
    assert_eq!(refund.price.to_string(), "20.00 EUR");
    assert_eq!(refund.discount.to_string(), "-0.67 EUR");
}

#[test]
fn earlier_refunds_cap_the_refund() {
    // One unit of three returned before, but 200.00 was already refunded.
    let r = with(
        with(
            base_request(),
            &["previous_returns"],
            json!([{"line_id": "1", "quantity": 1, "refunded": eur("200.00")}]),
        ),
        &["items", "0", "quantity"],
        json!(2),
    );
    let d = engine(json!({})).decide(&request(r)).unwrap();
    assert_eq!(d.outcome.refund.total.to_string(), "90.00 EUR");
    assert!(d.has_reason("refund_capped"));
}

// ---- eligibility ------------------------------------------------------------------------

#[test]
fn a_final_sale_line_is_rejected() {
    let r = with(
        base_request(),
        &["order", "lines", "0", "final_sale"],
        json!(true),
    );
    let d = engine(json!({})).decide(&request(r)).unwrap();
    assert_eq!(d.outcome.status, RequestStatus::Rejected);
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert_eq!(
        d.outcome.items[0].reason_codes,
        ["within_return_window", "final_sale"]
    );
    assert_eq!(d.outcome.items[0].disposition, None);
    assert_eq!(d.outcome.settlement.amount.to_string(), "0.00 EUR");
    let final_sale = d.reasons.iter().find(|r| r.code == "final_sale").unwrap();
    assert_eq!(final_sale.subject.as_deref(), Some("1"));
    assert_eq!(final_sale.message, "line 1 was sold as final sale");
}

#[test]
fn review_wins_over_reject_and_all_reasons_are_kept() {
    // Final sale (reject) and damaged (review) → review.
    let r = with(
        with(
            base_request(),
            &["order", "lines", "0", "final_sale"],
            json!(true),
        ),
        &["items", "0", "condition"],
        json!("damaged"),
    );
    let d = engine(json!({})).decide(&request(r)).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Review);
    assert_eq!(
        d.outcome.items[0].reason_codes,
        ["within_return_window", "final_sale", "condition_damaged"]
    );
    assert_eq!(d.outcome.status, RequestStatus::Review);
    assert_eq!(d.outcome.review_queue.as_deref(), Some("returns_review"));
    assert_eq!(d.outcome.items[0].disposition, Some(Disposition::Liquidate));
}

#[test]
fn gift_cards_hygiene_and_returnable_quantity() {
    let e = engine(json!({}));
    let gift = with(
        base_request(),
        &["order", "lines", "0", "gift_card"],
        json!(true),
    );
    assert!(e.decide(&request(gift)).unwrap().outcome.items[0]
        .reason_codes
        .contains(&"gift_card_not_returnable".to_string()));

    let lipstick = with(
        with(
            base_request(),
            &["order", "lines", "0", "category"],
            json!("cosmetics"),
        ),
        &["items", "0", "condition"],
        json!("opened"),
    );
    let d = e.decide(&request(lipstick)).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert!(d.has_reason("hygiene_opened"));

    let partly = with(
        with(
            base_request(),
            &["order", "lines", "0", "delivered_quantity"],
            json!(1),
        ),
        &["items", "0", "quantity"],
        json!(2),
    );
    let d = e.decide(&request(partly)).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert!(d.has_reason("exceeds_returnable_quantity"));

    let again = with(
        with(
            base_request(),
            &["previous_returns"],
            json!([{"line_id": "1", "quantity": 3, "refunded": eur("290.00")}]),
        ),
        &["items", "0", "quantity"],
        json!(1),
    );
    let d = e.decide(&request(again)).unwrap();
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert!(d.has_reason("exceeds_returnable_quantity"));
}

#[test]
fn a_mixed_request_is_partially_accepted() {
    let mut r = base_request();
    r["order"]["lines"].as_array_mut().unwrap().push(json!({
        "line_id": "2", "sku": "SOCKS", "category": "apparel", "quantity": 1,
        "unit_price": eur("10.00"), "final_sale": true
    }));
    r["items"]
        .as_array_mut()
        .unwrap()
        .push(json!({"line_id": "2", "quantity": 1, "reason": "changed_mind", "condition": "new"}));
    let d = engine(json!({})).decide(&request(r)).unwrap();
    assert_eq!(d.outcome.status, RequestStatus::PartiallyAccepted);
    // Order discount 10.00 shared 300 : 10 → 9.68 and 0.32; one boot of 290.32 → 96.78.
    assert_eq!(d.outcome.refund.total.to_string(), "96.78 EUR");
}

// ---- settlement -------------------------------------------------------------------------

#[test]
fn store_credit_after_n_days_and_exchanges() {
    let e = engine(json!({"settlement": {"store_credit_after_days": 7}}));
    let d = e.decide(&request(base_request())).unwrap();
    assert_eq!(d.outcome.settlement.method, SettlementMethod::StoreCredit);
    assert!(d.has_reason("store_credit_after_days"));
    let early = with(base_request(), &["now"], json!("2025-03-07T09:00:00Z"));
    assert_eq!(
        e.decide(&request(early)).unwrap().outcome.settlement.method,
        SettlementMethod::OriginalPayment
    );

    let exchange = with(
        with(base_request(), &["requested_settlement"], json!("exchange")),
        &["items", "0", "exchange_sku"],
        json!("BOOT-43"),
    );
    let d = engine(json!({}))
        .decide(&request(exchange.clone()))
        .unwrap();
    assert_eq!(d.outcome.settlement.method, SettlementMethod::Exchange);
    assert_eq!(d.outcome.settlement.amount.to_string(), "0.00 EUR");
    assert_eq!(d.outcome.settlement.replacements[0].sku, "BOOT-43");
    assert_eq!(d.outcome.refund.total.to_string(), "96.67 EUR");

    let no_exchange = engine(json!({"settlement": {"allow_exchange": false}}));
    let d = no_exchange.decide(&request(exchange)).unwrap();
    assert_eq!(
        d.outcome.settlement.method,
        SettlementMethod::OriginalPayment
    );
    assert!(d.has_reason("exchange_not_offered"));
}

// ---- fraud ------------------------------------------------------------------------------

fn fraud_request(customer: Value) -> ReturnRequest {
    request(with(base_request(), &["customer"], customer))
}

#[test]
fn fraud_thresholds_are_inclusive() {
    // chargebacks (30) + new account (10) = 40 = the review threshold.
    let customer = json!({"chargebacks": 1, "account_age_days": 3});
    let d = engine(json!({}))
        .decide(&fraud_request(customer.clone()))
        .unwrap();
    assert_eq!(d.outcome.fraud.score, 40);
    assert_eq!(d.outcome.fraud.action, FraudAction::Review);
    assert_eq!(d.outcome.status, RequestStatus::Review);
    assert_eq!(d.outcome.review_queue.as_deref(), Some("fraud_review"));
    let codes: Vec<&str> = d
        .outcome
        .fraud
        .signals
        .iter()
        .map(|s| s.code.as_str())
        .collect();
    assert_eq!(codes, ["chargebacks", "new_account"]);
    assert_eq!(d.outcome.fraud.signals[1].observed, "3 days");

    // One point below: approve.
    let lower = engine(json!({"fraud": {"new_account": {"weight": 9, "threshold": 30}}}));
    let d = lower.decide(&fraud_request(customer.clone())).unwrap();
    assert_eq!(
        (d.outcome.fraud.score, d.outcome.fraud.action),
        (39, FraudAction::Approve)
    );
    assert_eq!(d.outcome.status, RequestStatus::Accepted);

    // Exactly the deny threshold: deny rejects the whole request.
    let deny = engine(json!({"fraud": {"deny_threshold": 40}}));
    let d = deny.decide(&fraud_request(customer)).unwrap();
    assert_eq!(d.outcome.fraud.action, FraudAction::Deny);
    assert_eq!(d.outcome.status, RequestStatus::Rejected);
    assert_eq!(d.outcome.items[0].status, ItemStatus::Rejected);
    assert_eq!(d.outcome.refund.total.to_string(), "0.00 EUR");
    assert!(d.has_reason("fraud_deny"));
}

#[test]
fn allow_list_wins_over_block_list_which_wins_over_score() {
    let heavy =
        json!({"chargebacks": 3, "linked_flagged_accounts": 2, "refunds_without_return": 4});
    let both = engine(json!({"fraud": {"allow_list": ["C-1"], "block_list": ["C-1"]}}));
    let d = both.decide(&fraud_request(heavy)).unwrap();
    assert_eq!(d.outcome.fraud.score, 80);
    assert_eq!(d.outcome.fraud.action, FraudAction::Approve);
    assert_eq!(d.outcome.status, RequestStatus::Accepted);
    assert!(d.has_reason("customer_allow_listed"));

    let blocked = engine(json!({"fraud": {"block_list": ["C-1"]}}));
    let d = blocked.decide(&fraud_request(json!({}))).unwrap();
    assert_eq!(
        (d.outcome.fraud.score, d.outcome.fraud.action),
        (0, FraudAction::Deny)
    );
    assert_eq!(d.outcome.status, RequestStatus::Rejected);
}

#[test]
fn built_in_signals_report_what_they_saw() {
    let r = json!({
        "order": {
            "order_id": "A-9", "currency": "EUR", "payment_method": "card", "ship_to_country": "DE",
            "placed_at": "2025-03-01T10:00:00Z", "delivered_at": "2025-03-03T10:00:00Z",
            "lines": [
                {"line_id": "1", "sku": "DRESS-S", "product_id": "DRESS", "category": "apparel", "quantity": 1,
                 "unit_price": eur("300.00"), "attributes": {"size": "S"}, "unit_weight_grams": 800},
                {"line_id": "2", "sku": "DRESS-M", "product_id": "DRESS", "category": "apparel", "quantity": 1,
                 "unit_price": eur("300.00"), "attributes": {"size": "M"}, "unit_weight_grams": 800,
                 "discount": eur("150.00")}
            ]
        },
        "items": [
            {"line_id": "1", "quantity": 1, "reason": "size_too_small", "condition": "used", "returned_weight_grams": 200}
        ],
        "ship_from_country": "PL",
        "customer": {"orders_365d": 10, "returns_365d": 6, "returns_30d": 3},
        "now": "2025-03-06T10:00:00Z"
    });
    let e = engine(json!({"fraud": {"deny_threshold": 100, "review_threshold": 100}}));
    let d = e.decide(&request(r)).unwrap();
    let fired: Vec<(&str, i32, &str)> = d
        .outcome
        .fraud
        .signals
        .iter()
        .map(|s| (s.code.as_str(), s.weight, s.observed.as_str()))
        .collect();
    assert_eq!(
        fired,
        [
            (
                "weight_mismatch",
                40,
                "line 1: 200 g of 800 g expected (0.25)"
            ),
            ("serial_returner", 25, "6 returns / 10 orders = 0.6"),
            (
                "wardrobing",
                20,
                "line 1 used, returned 3 days after delivery"
            ),
            ("bracketing", 15, "2 sizes of DRESS, all but one returned"),
            ("velocity", 15, "3 returns in 30 days"),
            ("ship_from_mismatch", 10, "PL (delivered to DE)"),
        ]
    );
    assert_eq!(d.outcome.fraud.score, 100);
}

// ---- bad input --------------------------------------------------------------------------

fn error_field(value: Value) -> (String, String) {
    let err = engine(json!({})).decide(&request(value)).unwrap_err();
    (err.field().unwrap_or("").to_string(), err.to_string())
}

#[test]
fn bad_input_names_the_field() {
    let (field, message) =
        error_field(with(base_request(), &["items", "0", "line_id"], json!("9")));
    assert_eq!(field, "items[0].line_id");
    assert_eq!(
        message,
        "invalid `items[0].line_id`: order A-1001 has no line `9`"
    );

    let (field, message) = error_field(with(base_request(), &["items", "0", "quantity"], json!(4)));
    assert_eq!(field, "items[0].quantity");
    assert_eq!(
        message,
        "invalid `items[0].quantity`: returns 4 units of line `1` but only 3 were bought"
    );

    let (field, message) = error_field(with(
        base_request(),
        &["order", "delivered_at"],
        json!("2025-02-19T10:00:00Z"),
    ));
    assert_eq!(field, "order.delivered_at");
    assert_eq!(
        message,
        "invalid `order.delivered_at`: 2025-02-19T10:00:00+00:00 is before the order was placed (2025-02-20T10:00:00+00:00)"
    );

    let (field, message) = error_field(with(
        base_request(),
        &["order", "lines", "0", "unit_price"],
        json!({"amount": "100.00", "currency": "USD"}),
    ));
    assert_eq!(field, "order.lines[0].unit_price");
    assert_eq!(
        message,
        "invalid `order.lines[0].unit_price`: 100.00 USD is in USD but the order is in EUR"
    );

    let (field, message) = error_field(with(
        base_request(),
        &["items", "0", "reason"],
        json!("bored"),
    ));
    assert_eq!(field, "items[0].reason");
    assert!(message.starts_with("invalid `items[0].reason`: unknown reason code `bored`; known codes: arrived_late, changed_mind,"), "{message}");

    let (field, _) = error_field(with(base_request(), &["items", "0", "quantity"], json!(0)));
    assert_eq!(field, "items[0].quantity");
    let (field, _) = error_field(with(
        base_request(),
        &["previous_returns"],
        json!([{"line_id": "1", "quantity": 1, "refunded": {"amount": "1.00", "currency": "GBP"}}]),
    ));
    assert_eq!(field, "previous_returns[0].refunded");
    let (field, _) = error_field(with(
        base_request(),
        &["order", "order_discount"],
        eur("400.00"),
    ));
    assert_eq!(field, "order.order_discount");
    let (field, _) = error_field(with(
        base_request(),
        &["order", "lines", "0", "unit_price"],
        eur("10.005"),
    ));
    assert_eq!(field, "order.lines[0].unit_price");
    let (field, _) = error_field(with(
        base_request(),
        &["requested_settlement"],
        json!("exchange"),
    ));
    assert_eq!(field, "items[0].exchange_sku");
    let (field, _) = error_field(with(base_request(), &["items"], json!([])));
    assert_eq!(field, "items");
}

#[test]
fn unknown_json_fields_and_bad_configuration_are_errors() {
    let mut r = base_request();
    r["items"][0]["colour"] = json!("red");
    assert!(serde_json::from_value::<ReturnRequest>(r).is_err());
    let config: ReturnsConfig =
        serde_json::from_value(json!({"restocking_fee": {"by_condition": {"opened": "150"}}}))
            .unwrap();
    let err = ReturnsEngine::new(config).unwrap_err();
    assert_eq!(err.field(), Some("restocking_fee.by_condition.opened"));
    let config: ReturnsConfig =
        serde_json::from_value(json!({"fraud": {"review_threshold": 50, "deny_threshold": 40}}))
            .unwrap();
    assert_eq!(
        ReturnsEngine::new(config).unwrap_err().field(),
        Some("fraud.deny_threshold")
    );
}

#[test]
fn additional_reason_codes_extend_the_taxonomy() {
    let e = engine(
        json!({"additional_reason_codes": [{"code": "missing_accessory", "merchant_fault": true}]}),
    );
    let r = with(
        base_request(),
        &["items", "0", "reason"],
        json!("missing_accessory"),
    );
    assert_eq!(
        e.decide(&request(r)).unwrap().outcome.status,
        RequestStatus::Accepted
    );
}

#[test]
fn decide_with_can_trace() {
    let e = engine(json!({}));
    let d = e
        .decide_with(
            &request(base_request()),
            &DecideOptions {
                trace: true,
                on_hook_error: OnHookError::Fail,
            },
        )
        .unwrap();
    let stages: Vec<&str> = d
        .trace
        .as_ref()
        .unwrap()
        .steps
        .iter()
        .map(|s| s.stage.as_str())
        .collect();
    assert_eq!(stages, ["eligibility", "fraud", "outcome"]);
    assert!(e.decide(&request(base_request())).unwrap().trace.is_none());
}
