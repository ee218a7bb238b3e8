//! The returns engine reuses its script maps between decisions: a policy that tries to
//! change the maps it is given (add or remove keys, change values) fails, and nothing of
//! it leaks into a later hook or the next decision.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
use backoffice::returns::{ReturnsConfig, ReturnsEngine};
use serde_json::json;

/// Hook arguments are read-only: for a "bronze" customer every hook tries to change
/// them with a changing method (assignments into arguments are refused when the policy
/// is attached), and each attempt fails the hook; for the others the hooks check that
/// nothing of it is visible, in this decision or the next.
const MUTATING: &str = r#"
fn window_days(item, request) {
    if request.customer.loyalty_tier == "bronze" {
        item.attributes.clear();
    }
    ()
}

fn eligibility(item, request) {
    if request.customer.loyalty_tier == "bronze" {
        request.items.pop();
    }
    if "extra" in item || "zzz" in request.items[0] || "vip" in request.customer {
        return #{decision: "reject", reason: "leaked_key"};
    }
    if item.inside_window != true || item.status != "accepted" || item.window_days != 30 {
        return #{decision: "reject", reason: "engine_fields_missing"};
    }
    ()
}

fn disposition(item, request) {
    if request.customer.loyalty_tier == "bronze" {
        item.reason_codes.push("tampered");
        item.remove("category");
    }
    ()
}

fn fraud_signals(request) {
    let n = 0;
    for item in request.items { n += item.keys().len() + item.reason_codes.len(); }
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
fn a_policy_that_tries_to_change_its_maps_does_not_leak_into_the_next_decision() {
    // The failing hooks fall back (sending the request to review) when asked to.
    let fallback = DecideOptions {
        trace: false,
        on_hook_error: OnHookError::Fallback,
    };
    let reused = engine();
    for tier in ["silver", "bronze", "silver", "bronze", "silver"] {
        let request = common::returns_request(tier);
        let expected =
            serde_json::to_value(engine().decide_with(&request, &fallback).unwrap()).unwrap();
        let statuses: Vec<&str> = expected["outcome"]["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["status"].as_str().unwrap())
            .collect();
        let failures = expected["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["code"] == "policy_error")
            .count();
        let signal = expected["outcome"]["fraud"]["signals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == "keys")
            .map(|s| s["detail"].clone());
        assert_eq!(
            signal,
            Some(json!(format!("44 keys, tier {tier}"))),
            "{expected}"
        );
        if tier == "bronze" {
            // window_days, eligibility and disposition fail for both items.
            assert_eq!(failures, 6, "{expected}");
        } else {
            assert_eq!(statuses, ["accepted", "accepted"], "{expected}");
            assert_eq!(failures, 0, "{expected}");
        }
        for _ in 0..3 {
            let got =
                serde_json::to_value(reused.decide_with(&request, &fallback).unwrap()).unwrap();
            assert_eq!(got, expected);
        }
    }
}
