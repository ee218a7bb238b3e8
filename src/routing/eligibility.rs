//! Eligibility: which nodes may ship the order, and what the engine knows about each.
//!
//! Inactive nodes, nodes not serving the order's channel and nodes at their daily capacity
//! are out; so is a node without a stock row for the order's SKUs (it can neither ship nor
//! backorder anything, so it never reaches the hooks). The policy's `eligible` may exclude
//! more. Nodes are visited in node-id order whenever hook calls or the trace can see it.

use super::hooks::{
    read_eligible, settle, NodeView, Verdict, ELIGIBLE, ELIGIBLE_FALLBACK, ORDER_KEY,
};
use super::index::StockIndex;
use super::plan::{Candidate, Need};
use super::{available_to_promise, great_circle_km, Node, Order, RoutingRequest};
use crate::policy::session::{Arg, Change, Fallback, HookSession};
use crate::{Error, Reason, Trace};
use std::collections::BTreeMap;

/// The eligible nodes of `request`, as candidates (not yet ranked), in node-id order when
/// the `eligible` hook or the trace sees that order; a node the hook excludes has a
/// `node_excluded_by_policy` reason.
// The request, its index and needs, the session, and where reasons go: one stage's inputs.
#[allow(clippy::too_many_arguments)]
pub(super) fn candidates<'r>(
    request: &'r RoutingRequest,
    index: &StockIndex<'r>,
    skus: &BTreeMap<&'r str, usize>,
    needs: &[Need<'r>],
    session: &mut HookSession<'_>,
    failures: &mut Vec<Reason>,
    reasons: &mut Vec<Reason>,
    mut trace: Option<&mut Trace>,
) -> Result<Vec<Candidate<'r>>, Error> {
    let order = &request.order;
    let mut by_id: Vec<(usize, &Node)> = request.nodes.iter().enumerate().collect();
    if session.defines(ELIGIBLE) || trace.is_some() {
        // Only hook calls and the trace see this order; the ranking sorts anyway.
        by_id.sort_unstable_by(|a, b| a.1.id.cmp(&b.1.id));
    }
    let mut candidates: Vec<Candidate<'r>> = Vec::new();
    for (position, node) in by_id {
        if let Some(why) = builtin_ineligibility(node, order) {
            if let Some(t) = trace.as_deref_mut() {
                t.step("eligibility", format!("node {} excluded: {why}", node.id));
            }
            continue;
        }
        if !index.stocked(position) {
            if let Some(t) = trace.as_deref_mut() {
                t.step(
                    "eligibility",
                    format!("node {} holds nothing for this order", node.id),
                );
            }
            continue;
        }
        let candidate = candidate(request, index, skus.len(), needs, position, node);
        let view = NodeView {
            candidate: &candidate,
            skus,
        };
        let answer = session.call(
            ELIGIBLE,
            [Arg::fresh(&view), Arg::shared(ORDER_KEY, order)],
            Fallback::new(ELIGIBLE_FALLBACK),
            read_eligible,
        )?;
        if let Some(Verdict::Exclude(why)) = settle(answer, failures) {
            let what = format!("node {}", node.id);
            let change = Change::new("node_excluded_by_policy", &what, "eligible", "excluded")
                .note(&why)
                .about(&node.id);
            reasons.extend(session.changed(ELIGIBLE, change));
            if let Some(t) = trace.as_deref_mut() {
                t.step(
                    "eligibility",
                    format!("node {} excluded by policy: {why}", node.id),
                );
            }
            continue;
        }
        candidates.push(candidate);
    }
    if let Some(t) = trace {
        t.step(
            "eligibility",
            format!(
                "{} of {} node(s) eligible",
                candidates.len(),
                request.nodes.len()
            ),
        );
    }
    Ok(candidates)
}

/// The reason `preferred_node_ineligible` when the order's preferred node is not among the
/// candidates.
pub(super) fn check_preferred(
    order: &Order,
    candidates: &[Candidate<'_>],
    reasons: &mut Vec<Reason>,
) {
    if let Some(preferred) = &order.preferred_node {
        if !candidates.iter().any(|c| &c.node.id == preferred) {
            reasons.push(
                Reason::builtin(
                    "preferred_node_ineligible",
                    "preferred_node",
                    format!("the preferred node {preferred} is not eligible for this order or holds none of its SKUs"),
                )
                .about(preferred.clone()),
            );
        }
    }
}

/// The candidate for the node at `position` in the request: its ATP and backorder
/// allowance per order SKU, what it could fill of each line on its own, its distance to
/// the ship-to point and whether it is in the order's market.
fn candidate<'r>(
    request: &'r RoutingRequest,
    index: &StockIndex<'r>,
    width: usize,
    needs: &[Need<'r>],
    position: usize,
    node: &'r Node,
) -> Candidate<'r> {
    let order = &request.order;
    let holder = order.holder();
    let mut data = vec![0u64; width * 2 + needs.len()];
    let mut expected = Vec::new();
    for k in 0..width {
        if let Some(row) = index.row(position, k) {
            if let Some(slot) = data.get_mut(k) {
                *slot = available_to_promise(row, holder, request.now);
            }
            if let Some(slot) = data.get_mut(width + k) {
                *slot = row.backorder.units();
            }
            if let Some(at) = row.backorder_expected_at {
                expected.resize(width, None);
                if let Some(slot) = expected.get_mut(k) {
                    *slot = Some(at);
                }
            }
        }
    }
    for (n, need) in needs.iter().enumerate() {
        let cap = need.capacity(data.get(..width).unwrap_or(&[]));
        if let Some(slot) = data.get_mut(width * 2 + n) {
            *slot = cap;
        }
    }
    let distance = match (
        order.ship_to.latitude,
        order.ship_to.longitude,
        node.location,
    ) {
        (Some(lat), Some(lon), Some(at)) => {
            Some(great_circle_km(at.latitude, at.longitude, lat, lon))
        }
        _ => None,
    };
    let in_market = node.country == order.ship_to.country
        || matches!((&node.market, &order.ship_to.market), (Some(a), Some(b)) if a == b);
    Candidate {
        index: position,
        node,
        data,
        skus: width,
        expected,
        distance,
        in_market,
        keys: Vec::new(),
        rankable: false,
        cost: node.cost.map(|c| {
            (
                c.per_shipment.amount(),
                c.per_unit.amount(),
                c.per_km.amount(),
            )
        }),
    }
}

fn builtin_ineligibility(node: &Node, order: &Order) -> Option<String> {
    if !node.active {
        return Some("inactive".to_string());
    }
    if !node.channels.is_empty() && !node.channels.iter().any(|c| c == &order.channel) {
        return Some(format!(
            "does not serve channel `{}` (serves {})",
            order.channel,
            node.channels.join(", ")
        ));
    }
    if let Some(capacity) = node.daily_capacity {
        if node.orders_today >= capacity {
            return Some(format!(
                "at daily capacity ({} of {} orders taken)",
                node.orders_today, capacity
            ));
        }
    }
    None
}
