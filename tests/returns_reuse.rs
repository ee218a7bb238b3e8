//! The returns engine reuses its script maps between decisions: a policy that changes
//! the maps it is given (adds or removes keys, changes values) must not leak into the
//! next decision.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

use backoffice::policy::{Policy, PolicyRuntime};
use backoffice::returns::{ReturnRequest, ReturnsConfig, ReturnsEngine};
use serde_json::json;

fn request(tier: &str) -> ReturnRequest {
    serde_json::from_value(json!({
        "order": {
            "order_id": "SO-1", "currency": "EUR", "customer_id": "cust-1", "payment_method": "card",
            "placed_at": "2025-02-24T18:12:00Z", "delivered_at": "2025-02-28T13:40:00Z", "ship_to_country": "DE",
            "lines": [
                {"line_id": "1", "sku": "DRESS-S", "product_id": "DRESS", "category": "apparel", "quantity": 1,
                 "unit_price": {"amount": "129.00", "currency": "EUR"}, "attributes": {"size": "S"}},
                {"line_id": "2", "sku": "BOOT-42", "category": "shoes", "quantity": 3,
                 "unit_price": {"amount": "100.00", "currency": "EUR"}}
            ]
        },
        "items": [
            {"line_id": "1", "quantity": 1, "reason": "changed_mind", "condition": "new"},
            {"line_id": "2", "quantity": 2, "reason": "size_too_small", "condition": "new"}
        ],
        "customer": {"account_age_days": 400, "loyalty_tier": tier, "orders_365d": 12, "returns_365d": 3},
        "now": "2025-03-20T09:00:00Z"
    }))
    .unwrap()
}

const MUTATING: &str = r#"
fn window_days(item, request) {
    let seen = "extra" in item;
    item.extra = 1;
    item.remove("category");
    item.remove("inside_window");
    item.zzz = 2;
    item.status = "tampered";
    item.sku = "CHANGED";
    request.customer.loyalty_tier = "gold";
    request.items[0].status = "tampered";
    if seen { 1 } else { () }
}

fn eligibility(item, request) {
    if "category" in item || item.sku != "CHANGED" {
        return #{decision: "reject", reason: "not_mutated"};
    }
    // The engine writes the window and the built-in verdict over what the script did.
    if item.inside_window != true || item.status != "accepted" || item.window_days != 30 {
        return #{decision: "reject", reason: "engine_fields_missing"};
    }
    ()
}

fn fraud_signals(request) {
    let n = 0;
    for item in request.items { n += item.keys().len(); }
    [#{code: "keys", weight: 1, detail: `${n} keys, tier ${request.customer.loyalty_tier}`}]
}
"#;

fn engine() -> ReturnsEngine {
    let policy = Policy::compile("mutating.rhai", MUTATING, &PolicyRuntime::new()).unwrap();
    ReturnsEngine::new(ReturnsConfig::default())
        .unwrap()
        .with_policy(policy)
        .unwrap()
}

#[test]
fn a_policy_that_changes_its_maps_does_not_leak_into_the_next_decision() {
    let reused = engine();
    for tier in ["silver", "bronze", "silver"] {
        let request = request(tier);
        let expected = serde_json::to_value(engine().decide(&request).unwrap()).unwrap();
        let statuses: Vec<&str> = expected["outcome"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["accepted", "accepted"], "{expected}");
        for _ in 0..3 {
            let got = serde_json::to_value(reused.decide(&request).unwrap()).unwrap();
            assert_eq!(got, expected);
        }
    }
}
