//! Quickstart section: checking, canonicalising and keying addresses, with a policy.

use backoffice::address::{self, Address, AddressConfig, AddressEngine, AddressRequest};
use backoffice::policy::{Policy, PolicyRuntime};
use serde::Deserialize;

#[derive(Deserialize)]
struct Sample {
    requests: Vec<AddressRequest>,
    duplicates: Vec<Address>,
}

/// Prints the address section of the quickstart report.
pub fn run() -> Result<(), Box<dyn std::error::Error>> {
    let sample: Sample = serde_json::from_str(include_str!("../data/address.json"))?;
    let source = include_str!("../policies/address.rhai");
    let policy = Policy::compile("address.rhai", source, &PolicyRuntime::new())?;
    let engine = AddressEngine::new(AddressConfig::default())?.with_policy(policy)?;

    println!("== Addresses: validate, canonical form, label (policy address.rhai) ==");
    for request in &sample.requests {
        let decision = engine.decide(request)?;
        let outcome = &decision.outcome;
        let input = &request.address;
        println!(
            "  {} / {} {}{}",
            input.country,
            input.address_lines.join(", "),
            input.postal_code,
            if request.tags.is_empty() {
                String::new()
            } else {
                format!("  [tags: {}]", request.tags.join(", "))
            }
        );
        if outcome.valid {
            println!("    valid");
        }
        for problem in &outcome.problems {
            println!(
                "    problem {} ({}): {}",
                problem.code, problem.field, problem.message
            );
        }
        for change in &outcome.changes {
            println!("    changed {}: {}", change.field, change.message);
        }
        for line in &outcome.street {
            if let Some(po_box) = &line.po_box {
                println!("    PO box: {} {}", po_box.designator, po_box.number);
            } else {
                println!(
                    "    street: number {:?}, name {:?}, type {:?}, units {:?}",
                    line.house_number.as_deref().unwrap_or("-"),
                    line.street_name.as_deref().unwrap_or("-"),
                    line.street_type.as_deref().unwrap_or("-"),
                    line.units
                        .iter()
                        .map(|u| format!("{} {}", u.designator, u.identifier))
                        .collect::<Vec<_>>()
                );
            }
        }
        println!("    label: {}", outcome.label.join(" | "));
        println!("    key:   {}", outcome.match_key);
    }

    println!("\n== Addresses: the same place written two ways gets one match key ==");
    for duplicate in &sample.duplicates {
        println!(
            "  {:<45} -> {}",
            duplicate.address_lines.join(", "),
            address::match_key(duplicate)?
        );
    }
    Ok(())
}
