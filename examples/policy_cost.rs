//! Runs one policy workload `N` times, for instruction counts under callgrind: the
//! returns engine deciding the bench's 3-item request with the example policy, natively
//! compiled or on the forced interpreter.
//!
//! ```sh
//! cargo build --profile ci --example policy_cost
//! valgrind --tool=callgrind target/ci/examples/policy_cost native 1001   # and 1, then subtract
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use backoffice::returns::{ReturnRequest, ReturnsConfig, ReturnsEngine};

fn main() {
    let mut args = std::env::args().skip(1);
    let mode = args.next().unwrap_or_else(|| "native".to_string());
    let n: usize = args.next().and_then(|n| n.parse().ok()).unwrap_or(1);
    let runtime = match mode.as_str() {
        "interpreted" => PolicyRuntime::new().interpreted(),
        _ => PolicyRuntime::new(),
    };
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
