//! The outcome of a decision: the shipments and reservations of the chosen plan, or the
//! lines that cannot be covered.

use super::plan::{Fill, Problem};
use super::{KitComponent, ReservationToPlace, RoutingOutcome, Shipment, ShipmentLine, ShortLine};
use crate::policy::session::HookSession;
use crate::{Decision, Reason, Trace};
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// The routed outcome of a complete plan: shipments in rank order with their lines (stock
/// and backorders merged per line), the reservations to place, a `routed` reason first
/// and a `backordered` reason per backordered line.
pub(super) fn routed(
    problem: &Problem<'_>,
    fill: &Fill,
    holder: &str,
    reasons: &mut Vec<Reason>,
) -> RoutingOutcome {
    let mut order_of_shipments = fill.used.clone();
    order_of_shipments.sort_by(|a, b| problem.compare_positions(*a, *b));
    let mut shipments = Vec::with_capacity(fill.used.len());
    let mut holds: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for c in order_of_shipments {
        let Some(candidate) = problem.candidates.get(c) else {
            continue;
        };
        // Merge the allocations of one line at this node (stock and backorder).
        let mut per_need: BTreeMap<usize, (u64, u64)> = BTreeMap::new();
        for a in fill.allocs.iter().filter(|a| a.candidate == c) {
            let entry = per_need.entry(a.need).or_insert((0, 0));
            entry.0 = entry.0.saturating_add(a.quantity);
            entry.1 = entry.1.saturating_add(a.backordered);
        }
        let mut lines = Vec::with_capacity(per_need.len());
        for (n, (quantity, backordered)) in per_need {
            let Some(need) = problem.needs.get(n) else {
                continue;
            };
            let expected_at = if backordered > 0 {
                need.parts
                    .iter()
                    .filter_map(|p| candidate.expected_at(p.sku))
                    .max()
            } else {
                None
            };
            for p in &need.parts {
                let sku = p.name;
                let units = quantity.saturating_mul(p.per);
                if units > 0 {
                    let slot = holds.entry((candidate.node.id.as_str(), sku)).or_insert(0);
                    *slot = slot.saturating_add(units);
                }
            }
            if backordered > 0 {
                reasons.push(
                    Reason::builtin(
                        "backordered",
                        "backorder",
                        format!(
                            "line {}: {backordered} of {} backordered at node {}{}",
                            need.line_id,
                            need.demand,
                            candidate.node.id,
                            expected_at.map_or_else(String::new, |d: DateTime<Utc>| format!(
                                ", expected {}",
                                d.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
                            ))
                        ),
                    )
                    .about(need.line_id),
                );
            }
            lines.push(ShipmentLine {
                line_id: need.line_id.to_string(),
                sku: need.sku.to_string(),
                quantity,
                backordered,
                expected_at,
                components: need
                    .kit
                    .map(|components| {
                        components
                            .iter()
                            .map(|k| KitComponent {
                                sku: k.sku.clone(),
                                quantity: u32::try_from(
                                    u64::from(k.quantity)
                                        .saturating_mul(quantity.saturating_add(backordered)),
                                )
                                .unwrap_or(u32::MAX),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
            });
        }
        shipments.push(Shipment {
            node_id: candidate.node.id.clone(),
            lines,
            distance_km: candidate.distance,
        });
    }
    let summary: Vec<String> = shipments
        .iter()
        .map(|s| format!("{} ({})", s.node_id, s.total_quantity()))
        .collect();
    reasons.insert(
        0,
        Reason::builtin(
            "routed",
            "routing",
            format!(
                "routed in {} shipment(s): {}",
                shipments.len(),
                summary.join(", ")
            ),
        ),
    );
    let reservations = holds
        .into_iter()
        .map(|((node, sku), quantity)| ReservationToPlace {
            node_id: node.to_string(),
            sku: sku.to_string(),
            quantity,
            holder: holder.to_string(),
        })
        .collect();
    RoutingOutcome::Routed {
        shipments,
        reservations,
        chain: problem.chain.clone(),
    }
}

/// The unfillable outcome: every line the fill leaves short, with what is available over
/// all eligible nodes (an `insufficient_stock` or `split_constraints` reason each), after an
/// `unfillable` reason.
pub(super) fn unfillable(
    problem: &Problem<'_>,
    fill: &Fill,
    reasons: &mut Vec<Reason>,
) -> RoutingOutcome {
    let mut short_lines = Vec::new();
    for (n, need) in problem.needs.iter().enumerate() {
        if fill.short.get(n).copied().unwrap_or(0) == 0 {
            continue;
        }
        let available = (0..problem.candidates.len())
            .fold(0u64, |a, c| a.saturating_add(problem.fresh_capacity(c, n)));
        let (code, message) = if available < need.demand {
            (
                "insufficient_stock",
                format!(
                    "line {} ({}): requested {}, available {} over all eligible nodes",
                    need.line_id, need.sku, need.demand, available
                ),
            )
        } else {
            (
                "split_constraints",
                format!(
                    "line {} ({}): requested {}, available {} in total but not within {} shipment(s) under `{}` splitting",
                    need.line_id, need.sku, need.demand, available, problem.max_shipments, problem.mode.as_str()
                ),
            )
        };
        reasons.push(Reason::builtin(code, "available_to_promise", message).about(need.line_id));
        short_lines.push(ShortLine {
            line_id: need.line_id.to_string(),
            sku: need.sku.to_string(),
            requested: need.demand,
            available,
        });
    }
    reasons.insert(
        0,
        Reason::builtin(
            "unfillable",
            "routing",
            format!(
                "{} line(s) cannot be covered from stock or backorders; nothing is promised",
                short_lines.len()
            ),
        ),
    );
    RoutingOutcome::Unfillable { short_lines }
}

/// The decision: the outcome, its reasons followed by those of failing hooks, and the
/// trace with what the hooks printed.
pub(super) fn finish(
    outcome: RoutingOutcome,
    mut reasons: Vec<Reason>,
    failures: Vec<Reason>,
    mut session: HookSession<'_>,
    trace: Option<Trace>,
) -> Decision<RoutingOutcome> {
    reasons.extend(failures);
    let trace = trace.map(|mut t| {
        t.policy_output = session.take_output();
        t
    });
    Decision {
        outcome,
        reasons,
        trace,
    }
}
