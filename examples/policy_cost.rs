//! Runs one policy workload `N` times, for instruction counts under callgrind, natively
//! compiled or on the forced interpreter: `native`/`interpreted` decide the example
//! returns request with the example returns policy; `score-native`/`score-interpreted`
//! call the bench's 10-condition scoring hook (benches/policy.rs) on a 5-line order
//! converted beforehand.
//!
//! ```sh
//! cargo build --profile ci --example policy_cost
//! valgrind --tool=callgrind target/ci/examples/policy_cost native 1001   # and 1, then subtract
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use backoffice::returns::{ReturnRequest, ReturnsConfig, ReturnsEngine};

/// The bench's 10-condition scoring hook (benches/policy.rs).
const SCORING: &str = include_str!("../benches/scoring_hook.rhai");

fn score(runtime: &PolicyRuntime, n: usize) -> String {
    let spec = [backoffice::policy::HookSpec {
        name: "fraud_score",
        params: &["order"],
        args: &[],
        returns: "a score",
        doc: "",
    }];
    let policy = Policy::compile("scoring.rhai", SCORING, runtime).unwrap();
    policy.bind("cost", &spec).unwrap();
    let line = |q: i64, c: &str, f: bool, p: &str| {
        serde_json::json!({"quantity": q, "category": c, "final_sale": f,
            "price": {"amount": p, "currency": "EUR"}})
    };
    let order = serde_json::json!({
        "total": {"amount": "780.19", "currency": "EUR"}, "customer_orders": 0,
        "country": "FR", "express": true,
        "lines": [line(1, "electronics", false, "249.99"), line(4, "apparel", false, "19.99"),
                  line(1, "books", true, "12.50"), line(2, "electronics", false, "89.00"),
                  line(5, "toys", false, "9.99")],
    });
    let input = backoffice::policy::bridge::to_dynamic_with_decimals(&order, &["amount"])
        .unwrap()
        .into_read_only()
        .into_shared();
    let mut last = String::new();
    for _ in 0..n {
        let out = policy
            .call("fraud_score", (std::hint::black_box(&input).clone(),))
            .unwrap();
        last = out.value.to_string();
    }
    format!("score {last}, calls {:?}", policy.native_calls())
}

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "native".to_string());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let runtime = match mode.as_str() {
        "interpreted" | "score-interpreted" => PolicyRuntime::new().interpreted(),
        _ => PolicyRuntime::new(),
    };
    if mode.starts_with("score") {
        println!("{mode}: {}", score(&runtime, n));
        return;
    }
    let config: ReturnsConfig =
        serde_json::from_value(serde_json::json!({"validators": {"hygiene": "off"}})).unwrap();
    let policy = Policy::compile(
        "returns.rhai",
        include_str!("policies/returns.rhai"),
        &runtime,
    )
    .unwrap();
    let engine = ReturnsEngine::new(config)
        .unwrap()
        .with_policy(policy)
        .unwrap();
    let request: ReturnRequest =
        serde_json::from_str(include_str!("data/returns_request.json")).unwrap();
    let options = DecideOptions::default();
    let mut refunds = 0usize;
    for _ in 0..n {
        let decision = engine
            .decide_with(std::hint::black_box(&request), &options)
            .unwrap();
        refunds += decision.outcome.items.len();
    }
    println!("{mode}: {n} decisions, {refunds} items");
}
