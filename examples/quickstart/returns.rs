//! Quickstart section: deciding return requests with the example returns policy.

use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use backoffice::returns::{ReturnRequest, ReturnsConfig, ReturnsEngine};
use serde::Deserialize;

#[derive(Deserialize)]
struct Sample {
    title: String,
    request: ReturnRequest,
}

/// Prints the returns section of the quickstart report.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let config: ReturnsConfig = serde_json::from_str(include_str!("../data/returns_config.json"))?;
    let samples: Vec<Sample> = serde_json::from_str(include_str!("../data/returns_requests.json"))?;
    let runtime = PolicyRuntime::new();
    let policy = Policy::compile(
        "returns.rhai",
        include_str!("../policies/returns.rhai"),
        &runtime,
    )?;
    let engine = ReturnsEngine::new(config)?.with_policy(policy)?;

    println!("\n== Returns: eligibility, refund, settlement, disposition, fraud ==");
    for sample in &samples {
        let decision = engine.decide_with(&sample.request, &DecideOptions::default())?;
        let outcome = &decision.outcome;
        println!(
            "\n  {} (order {})",
            sample.title, sample.request.order.order_id
        );
        println!(
            "  request: {}{}",
            outcome.status.as_str(),
            outcome
                .review_queue
                .as_deref()
                .map(|q| format!(" -> queue `{q}`"))
                .unwrap_or_default()
        );
        for item in &outcome.items {
            let r = &item.refund;
            let window = item
                .window
                .last_day
                .map_or("unlimited".to_string(), |d| format!("until {d}"));
            println!(
                "    line {} {} x{}: {}, refund {} (paid {}, restocking {}, return shipping {}), window {}, goods: {}",
                item.line_id,
                item.sku,
                item.quantity,
                item.status.as_str(),
                r.total,
                r.merchandise.amount(),
                r.restocking_fee.amount(),
                r.return_shipping_fee.amount(),
                window,
                item.disposition.map_or("-", |d| d.as_str()),
            );
        }
        println!(
            "  refund {} by {}",
            outcome.settlement.amount,
            outcome.settlement.method.as_str()
        );
        let signals: Vec<String> = outcome
            .fraud
            .signals
            .iter()
            .map(|s| format!("{} {:+} ({})", s.code, s.weight, s.observed))
            .collect();
        println!(
            "  fraud score {} ({}): {}",
            outcome.fraud.score,
            outcome.fraud.action.as_str(),
            if signals.is_empty() {
                "no signals".to_string()
            } else {
                signals.join(", ")
            }
        );
        println!("  reasons:");
        for reason in &decision.reasons {
            let subject = reason
                .subject
                .as_deref()
                .map(|s| format!("[line {s}] "))
                .unwrap_or_default();
            println!("    - {subject}{}: {}", reason.code, reason.message);
        }
    }
    Ok(())
}
