//! Quickstart section: FX refunds of a USD order settled in CAD, refunded in parts at a
//! later rate, with a retry (replay), a reused key (conflict) and an over-refund.

use backoffice::policy::{Policy, PolicyRuntime};
use backoffice::refunds::{
    EarlierRefund, RefundRequest, RefundsConfig, RefundsEngine, RequestedRefund, Side,
};
use backoffice::ReasonSource;
use serde::Deserialize;

#[derive(Deserialize)]
struct Sample {
    config: RefundsConfig,
    order: serde_json::Value,
    rates: serde_json::Value,
    now: serde_json::Value,
    refunds: Vec<RequestedRefund>,
}

/// Prints the refunds section of the quickstart report.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let sample: Sample = serde_json::from_str(include_str!("../data/refunds.json"))?;
    let engine = RefundsEngine::new(sample.config)?;
    let mut request: RefundRequest = serde_json::from_value(serde_json::json!({
        "order": sample.order,
        "refund": serde_json::to_value(&sample.refunds[0])?,
        "rates": sample.rates,
        "now": sample.now,
    }))?;
    println!("\n== Refunds: a USD order settled in CAD (captured at 1.35), refunded at 1.40 ==");
    for refund in sample.refunds {
        let lines: Vec<String> = refund
            .lines
            .iter()
            .map(|l| match (l.quantity, &l.amount) {
                (Some(q), _) => format!("{q} x {}", l.line_id),
                (None, Some(a)) => format!("{a} of {}", l.line_id),
                _ => l.line_id.clone(),
            })
            .collect();
        println!(
            "  {} [{}]{}:",
            refund.idempotency_key,
            lines.join(", "),
            match refund.shipping {
                backoffice::refunds::ShippingRefund::None => String::new(),
                _ => " + shipping".to_string(),
            }
        );
        request.refund = refund;
        match engine.decide(&request) {
            Ok(decision) => {
                let plan = &decision.outcome.plan;
                if decision.outcome.replay {
                    println!(
                        "    replay: the earlier plan, unchanged ({} by {})",
                        plan.amount,
                        plan.method.as_str()
                    );
                    continue;
                }
                let parts: Vec<String> = plan
                    .lines
                    .iter()
                    .map(|l| format!("{} {} + tax {}", l.line_id, l.amount, l.tax))
                    .collect();
                println!(
                    "    prorated: {}; shipping {}",
                    parts.join("; "),
                    plan.shipping
                );
                println!(
                    "    customer gets {} by {}; merchant pays {} against a {} basis ({} {})",
                    plan.amount,
                    plan.method.as_str(),
                    plan.fx.settlement_amount,
                    plan.fx.basis,
                    if plan.fx.gain_loss.is_negative() {
                        "FX loss"
                    } else {
                        "FX gain"
                    },
                    if plan.fx.gain_loss.is_negative() {
                        plan.fx.gain_loss.neg()
                    } else {
                        plan.fx.gain_loss
                    }
                );
                for entry in &plan.ledger {
                    let (dr, cr) = match entry.side {
                        Side::Debit => (entry.amount.to_string(), String::new()),
                        Side::Credit => (String::new(), entry.amount.to_string()),
                    };
                    println!("      {:<24} {:>12} {:>12}", entry.account, dr, cr);
                }
                println!("    fingerprint {}", plan.fingerprint);
                request.earlier_refunds.push(EarlierRefund {
                    idempotency_key: plan.idempotency_key.clone(),
                    fingerprint: plan.fingerprint.clone(),
                    plan: plan.clone(),
                });
            }
            Err(error) => println!(
                "    refused: {} [{}] {}",
                error.code(),
                error.field().unwrap_or("-"),
                error
            ),
        }
    }
    let refunded: rust_decimal::Decimal = request
        .earlier_refunds
        .iter()
        .flat_map(|e| e.plan.lines.iter())
        .filter(|l| l.line_id == "mug")
        .map(|l| l.amount.amount())
        .sum();
    println!("  the mug line paid 100.00 USD; its refunds add up to {refunded} USD");
    run_policy()
}

#[derive(Deserialize)]
struct EuSample {
    config: RefundsConfig,
    orders: Vec<serde_json::Value>,
    refund: serde_json::Value,
    rates: serde_json::Value,
    now: serde_json::Value,
}

/// The same refund under `examples/policies/refunds.rhai`: EU customers in EUR, the
/// merchant absorbing FX on orders under 30 days old.
fn run_policy() -> Result<(), Box<dyn std::error::Error>> {
    let sample: EuSample = serde_json::from_str(include_str!("../data/refunds_eu.json"))?;
    let source = include_str!("../policies/refunds.rhai");
    let policy = Policy::compile("refunds.rhai", source, &PolicyRuntime::new())?;
    let engine = RefundsEngine::new(sample.config)?.with_policy(policy)?;
    println!("\n== Refunds with a policy: examples/policies/refunds.rhai ==");
    for order in sample.orders {
        let request: RefundRequest = serde_json::from_value(serde_json::json!({
            "order": order, "refund": sample.refund, "rates": sample.rates, "now": sample.now,
        }))?;
        let decision = engine.decide(&request)?;
        let plan = &decision.outcome.plan;
        let age = request
            .now
            .signed_duration_since(request.order.placed_at)
            .num_days();
        println!(
            "  {} ({}, {age} days old): customer gets {}; merchant pays {} (basis {}, {} absorbs FX)",
            plan.order_id,
            request.order.customer_country.as_deref().unwrap_or("-"),
            plan.amount,
            plan.fx.settlement_amount,
            plan.fx.basis,
            plan.fx.remainder_absorbed_by.as_str(),
        );
        for reason in decision
            .reasons
            .iter()
            .filter(|r| r.code.ends_with("_from_policy"))
        {
            if let ReasonSource::Policy(source) = &reason.source {
                println!(
                    "    {} ({}:{})",
                    reason.message,
                    source.policy,
                    source.line.unwrap_or(0)
                );
            }
        }
    }
    Ok(())
}
