//! Quickstart section: routing an order, explaining the choice, and replenishment.

use backoffice::policy::{DecideOptions, Policy, PolicyRuntime};
use backoffice::routing::replenishment::{self, ReplenishmentInput};
use backoffice::routing::{RoutingConfig, RoutingEngine, RoutingOutcome, RoutingRequest};
use serde::Deserialize;

#[derive(Deserialize)]
struct Sample {
    config: RoutingConfig,
    request: RoutingRequest,
}

fn print_outcome(outcome: &RoutingOutcome) {
    match outcome {
        RoutingOutcome::Routed {
            shipments,
            reservations,
            ..
        } => {
            for s in shipments {
                let distance = s
                    .distance_km
                    .map_or_else(String::new, |d| format!(" ({d} km)"));
                println!("  ship from {}{distance}:", s.node_id);
                for l in &s.lines {
                    let backorder = if l.backordered > 0 {
                        format!(" + {} backordered", l.backordered)
                    } else {
                        String::new()
                    };
                    println!(
                        "    line {:<2} {:<10} x{}{backorder}",
                        l.line_id, l.sku, l.quantity
                    );
                }
            }
            let holds: Vec<String> = reservations
                .iter()
                .map(|r| format!("{}/{} x{}", r.node_id, r.sku, r.quantity))
                .collect();
            println!("  reserve: {}", holds.join(", "));
        }
        RoutingOutcome::Unfillable { short_lines } => {
            for l in short_lines {
                println!(
                    "  short: line {} {} requested {}, available {}",
                    l.line_id, l.sku, l.requested, l.available
                );
            }
        }
    }
}

/// Prints the routing section of the quickstart report.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let sample: Sample = serde_json::from_str(include_str!("../data/routing.json"))?;
    let engine = RoutingEngine::new(sample.config)?;

    println!(
        "\n== Routing: where does order {} ship from? ==",
        sample.request.order.id
    );
    let decision = engine.decide_with(&sample.request, &DecideOptions::traced())?;
    print_outcome(&decision.outcome);
    for reason in &decision.reasons {
        println!("  reason {}: {}", reason.code, reason.message);
    }
    println!("  how the rule chain decided:");
    if let Some(trace) = &decision.trace {
        for step in &trace.steps {
            println!("    [{}] {}", step.stage, step.message);
        }
    }

    println!("\n== Routing with examples/policies/routing.rhai (VIP closest-first, no oversized items from stores) ==");
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/policies/routing.rhai"),
    )?;
    let policy = Policy::compile("routing.rhai", &source, &PolicyRuntime::new())?;
    let with_policy = engine.clone().with_policy(policy)?;
    let decision = with_policy.decide_with(&sample.request, &DecideOptions::traced())?;
    print_outcome(&decision.outcome);
    for reason in &decision.reasons {
        println!("  reason {}: {}", reason.code, reason.message);
    }
    if let Some(trace) = &decision.trace {
        for step in trace
            .steps
            .iter()
            .filter(|s| s.message.contains("by policy"))
        {
            println!("    [{}] {}", step.stage, step.message);
        }
    }

    println!("\n== Replenishment: reorder points and order quantities ==");
    let inputs: Vec<ReplenishmentInput> =
        serde_json::from_str(include_str!("../data/routing_replenishment.json"))?;
    for input in &inputs {
        let plan = replenishment::plan(input)?;
        println!(
            "  {:<9} service {:>5}: z {} safety stock {:>3}, reorder point {:>3}, EOQ {:>3}, min/max {}/{}",
            plan.sku,
            input.service_level,
            plan.z,
            plan.safety_stock,
            plan.reorder_point,
            plan.economic_order_quantity,
            plan.min,
            plan.max
        );
    }
    Ok(())
}
