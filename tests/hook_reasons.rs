//! Every value a policy hook changes is explained: for every hook of every engine (walked
//! from the engines' `HOOKS` lists, so a new hook without a case here fails), a policy
//! whose hook changes a value gives exactly one reason with the expected code, message,
//! subject and policy source (name, digest, hook, line); the same hook answering the
//! built-in value gives none (docs/reasons.md, "What a policy changes").
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod common;

use backoffice::engine::AnyEngine;
use backoffice::policy::{DecideOptions, HookSpec, Policy, PolicyRuntime};
use serde_json::{json, Value};

/// One hook's case: a request (a golden fixture's, with its configuration or `config`),
/// a policy whose hook changes a value, one whose hook answers the built-in value, and
/// the reason the change must produce.
struct Case {
    engine: &'static str,
    hook: &'static str,
    /// The golden fixture whose request (and configuration, unless `config`) is decided.
    fixture: &'static str,
    config: Option<Value>,
    /// The hook's body, changing a value; the hook is defined on line 1.
    changes: &'static str,
    /// The hook's body, answering the built-in value (or `()` where there is none).
    keeps: &'static str,
    code: &'static str,
    message: &'static str,
    subject: Option<&'static str>,
}

fn cases() -> Vec<Case> {
    const FEES: &str = "shipping_fee_used_defective_policy.json";
    const ROUTE: &str = "review_route_configured_queue.json";
    const NODES: &str = "policy_rank_warehouses_first.json";
    const REFUND: &str = "policy_eu_store_currency.json";
    let two_rules = Some(json!({"chain": ["minimize_splits", "priority"]}));
    let with_minimum = Some(json!({
        "rate_source": "current",
        "store_currency": "EUR",
        "minimum_refund": [{"amount": "1.00", "currency": "USD"}]
    }));
    vec![
        Case {
            engine: "returns",
            hook: "eligibility",
            fixture: FEES,
            config: None,
            changes: r#"if item.line_id == "2" { #{decision: "reject", reason: "not_today"} }"#,
            keeps: r#"if item.line_id == "2" { #{decision: "accept", reason: "fine"} }"#,
            code: "eligibility_from_policy",
            message: "the policy's `eligibility` changes the status of line 2 from accepted to rejected",
            subject: Some("2"),
        },
        Case {
            engine: "returns",
            hook: "window_days",
            fixture: FEES,
            config: None,
            changes: r#"if item.line_id == "2" { 60 }"#,
            keeps: r#"if item.line_id == "2" { 30 }"#,
            code: "window_from_policy",
            message: "the policy's `window_days` changes the return window of line 2 from 30 days to 60 days",
            subject: Some("2"),
        },
        Case {
            engine: "returns",
            hook: "restocking_fee_percent",
            fixture: FEES,
            config: None,
            changes: r#"if item.line_id == "2" { 12.5 }"#,
            keeps: r#"if item.line_id == "2" { 0 }"#,
            code: "restocking_fee_from_policy",
            message: "the policy's `restocking_fee_percent` changes the restocking fee of line 2 from 0 % to 12.5 % (5.00 EUR)",
            subject: Some("2"),
        },
        Case {
            engine: "returns",
            hook: "disposition",
            fixture: FEES,
            config: None,
            changes: r#"if item.line_id == "2" { "donate" }"#,
            keeps: r#"if item.line_id == "2" { "restock" }"#,
            code: "disposition_from_policy",
            message: "the policy's `disposition` changes the disposition of line 2 from restock to donate",
            subject: Some("2"),
        },
        Case {
            engine: "returns",
            hook: "settlement",
            fixture: FEES,
            config: None,
            changes: r#""store_credit""#,
            keeps: r#""original_payment""#,
            code: "policy_settlement",
            message: "the policy's `settlement` changes the settlement from original_payment to store_credit",
            subject: None,
        },
        Case {
            engine: "returns",
            hook: "fraud_signals",
            fixture: FEES,
            config: None,
            changes: r#"[#{code: "odd_hours", weight: 45}]"#,
            keeps: "[]",
            code: "fraud_signals_from_policy",
            message: "the policy's `fraud_signals` changes the fraud score from 0 (approve: no signals) to 45 (review: odd_hours +45)",
            subject: None,
        },
        Case {
            engine: "returns",
            hook: "return_shipping_fee",
            fixture: FEES,
            config: None,
            changes: r#"if item.line_id == "2" { 1.5 }"#,
            // 6 is the built-in 6.00 EUR written without decimals: no change.
            keeps: r#"if item.line_id == "2" { 6 }"#,
            code: "policy_return_shipping_fee",
            message: "the policy's `return_shipping_fee` changes the return-shipping fee of line 2 from 6.00 EUR to 1.50 EUR",
            subject: Some("2"),
        },
        Case {
            engine: "returns",
            hook: "review_route",
            fixture: ROUTE,
            config: None,
            changes: r#"#{priority: "urgent", reason: "a long-standing customer"}"#,
            keeps: r#"#{priority: "high"}"#,
            code: "review_route",
            message: "the policy's `review_route` changes the review route from queue `care_team`, priority high, within 12 hours to queue `care_team`, priority urgent, within 12 hours; a long-standing customer",
            subject: None,
        },
        Case {
            engine: "routing",
            hook: "eligible",
            fixture: NODES,
            config: two_rules.clone(),
            changes: r#"if node.id == "BER-STORE" { "closed for stocktaking" }"#,
            keeps: "true",
            code: "node_excluded_by_policy",
            message: "the policy's `eligible` changes node BER-STORE from eligible to excluded; closed for stocktaking",
            subject: Some("BER-STORE"),
        },
        Case {
            engine: "routing",
            hook: "rank",
            fixture: NODES,
            config: None,
            changes: r#"if node.id == "POZ" { 0 } else { 1 }"#,
            keeps: "()",
            code: "rank_from_policy",
            message: "the policy's `rank` changes the rule `policy` ranks of the nodes that ship from none to POZ 0 (lower ships first)",
            subject: None,
        },
        Case {
            engine: "routing",
            hook: "chain",
            fixture: NODES,
            config: two_rules,
            changes: r#"["priority", "closest"]"#,
            keeps: r#"["minimize_splits", "priority"]"#,
            code: "chain_from_policy",
            message: "the policy's `chain` changes the rule chain from minimize_splits, priority to priority, closest",
            subject: None,
        },
        Case {
            engine: "refunds",
            hook: "refund_currency",
            fixture: REFUND,
            config: None,
            changes: r#""store""#,
            keeps: r#""presentment""#,
            code: "refund_currency_from_policy",
            message: "the policy's `refund_currency` changes the refund currency from presentment to store",
            subject: None,
        },
        Case {
            engine: "refunds",
            hook: "rate_source",
            fixture: REFUND,
            config: None,
            changes: r#""capture""#,
            keeps: r#""current""#,
            code: "rate_source_from_policy",
            message: "the policy's `rate_source` changes the rate source from current to capture",
            subject: None,
        },
        Case {
            engine: "refunds",
            hook: "remainder_absorbed_by",
            fixture: REFUND,
            config: None,
            changes: r#""customer""#,
            keeps: r#""merchant""#,
            code: "remainder_absorbed_by_from_policy",
            message: "the policy's `remainder_absorbed_by` changes who absorbs the FX difference from merchant to customer",
            subject: None,
        },
        Case {
            engine: "refunds",
            hook: "minimum_refund",
            fixture: REFUND,
            config: with_minimum,
            changes: "2.50",
            // 1 is the configured 1.00 USD written without decimals: no change.
            keeps: "1",
            code: "minimum_refund_from_policy",
            message: "the policy's `minimum_refund` changes the minimum refund from 1.00 USD to 2.50 USD",
            subject: None,
        },
        Case {
            engine: "address",
            hook: "validate",
            fixture: "us_valid.json",
            config: None,
            changes: r#"#{field: "recipient", code: "recipient_on_hold", message: "the recipient's account is on hold"}"#,
            keeps: "[]",
            code: "problems_from_policy",
            message: "the policy's `validate` changes the address from valid to not valid, 1 problem(s); it adds recipient_on_hold (recipient)",
            subject: None,
        },
    ]
}

fn hooks_of(engine: &str) -> &'static [HookSpec] {
    match engine {
        "returns" => backoffice::returns::HOOKS,
        "routing" => backoffice::routing::HOOKS,
        "refunds" => backoffice::refunds::HOOKS,
        "address" => backoffice::address::HOOKS,
        other => panic!("unknown engine {other}"),
    }
}

/// The policy defining `hook` with `body`, on line 1.
fn policy(case: &Case, body: &str) -> Policy {
    let spec = hooks_of(case.engine)
        .iter()
        .find(|h| h.name == case.hook)
        .unwrap();
    let source = format!("fn {}({}) {{ {body} }}", spec.name, spec.params.join(", "));
    Policy::compile("change.rhai", &source, &PolicyRuntime::new())
        .unwrap_or_else(|e| panic!("{}: {e}", case.hook))
}

/// The reasons of `case`'s request decided with `policy`.
fn reasons(case: &Case, policy: Policy) -> Vec<Value> {
    let fixture = common::fixtures(case.engine)
        .into_iter()
        .find(|f| f.name == case.fixture)
        .unwrap_or_else(|| panic!("no fixture {}", case.fixture));
    let config = case.config.clone().unwrap_or(fixture.config);
    let config = (!config.is_null()).then(|| config.to_string());
    let engine = AnyEngine::new(case.engine, config.as_deref(), Some(policy))
        .unwrap_or_else(|e| panic!("{}: {e}", case.hook));
    let decision = engine
        .decide_json(&fixture.request.to_string(), &DecideOptions::default())
        .unwrap_or_else(|e| panic!("{}: {e}", case.hook));
    decision["reasons"].as_array().unwrap().clone()
}

/// The reasons with `code` that the policy's `hook` produced.
fn from_hook<'a>(reasons: &'a [Value], code: &str, hook: &str) -> Vec<&'a Value> {
    reasons
        .iter()
        .filter(|r| r["code"] == code && r["source"]["kind"] == "policy")
        .filter(|r| r["source"]["hook"] == hook)
        .collect()
}

#[test]
fn every_hook_of_every_engine_explains_the_value_it_changes() {
    let cases = cases();
    let mut walked = 0;
    for engine in ["returns", "routing", "refunds", "address"] {
        for spec in hooks_of(engine) {
            let case = cases
                .iter()
                .find(|c| c.engine == engine && c.hook == spec.name)
                .unwrap_or_else(|| {
                    panic!("hook `{}` of {engine} has no case in this test", spec.name)
                });
            let changed = policy(case, case.changes);
            let digest = changed.digest().to_string();
            let all = reasons(case, changed);
            let found = from_hook(&all, case.code, case.hook);
            assert_eq!(found.len(), 1, "{engine}.{}: {all:#?}", case.hook);
            let reason = found[0];
            assert_eq!(reason["message"], case.message, "{engine}.{}", case.hook);
            assert_eq!(
                reason.get("subject").and_then(Value::as_str),
                case.subject,
                "{engine}.{}",
                case.hook
            );
            assert_eq!(
                reason["source"],
                json!({"kind": "policy", "policy": "change.rhai", "digest": digest,
                       "hook": case.hook, "line": 1}),
                "{engine}.{}",
                case.hook
            );

            let kept = reasons(case, policy(case, case.keeps));
            assert_eq!(
                from_hook(&kept, case.code, case.hook),
                Vec::<&Value>::new(),
                "{engine}.{}: the built-in value is no change",
                case.hook
            );
            let silent = reasons(case, policy(case, "()"));
            assert!(
                silent.iter().all(|r| r["source"]["kind"] == "builtin"),
                "{engine}.{}: `()` gives no policy reason: {silent:#?}",
                case.hook
            );
            walked += 1;
        }
    }
    assert_eq!(walked, cases.len(), "a case names a hook no engine has");
}
