//! Order routing: which fulfillment node ships each unit of an order.
//!
//! The engine answers one question per call: given an order, the nodes that could ship it
//! and their stock, which shipments should be made? It never oversells (every unit comes
//! from available-to-promise stock or an explicit backorder allowance), keeps splits rare,
//! applies the merchant's priorities in a fixed order, and gives the same answer however the
//! input lists are ordered.
//!
//! ```
//! use backoffice::routing::{
//!     Node, NodeKind, Order, OrderLine, RoutingConfig, RoutingEngine, RoutingRequest, Rule,
//!     ShipTo, StockRow,
//! };
//! use chrono::{TimeZone, Utc};
//!
//! let config = RoutingConfig {
//!     chain: vec![Rule::MinimizeSplits, Rule::Priority],
//!     ..RoutingConfig::default()
//! };
//! let engine = RoutingEngine::new(config).unwrap();
//! let node = |id: &str, priority| Node { priority, ..Node::new(id, NodeKind::Warehouse, "DE") };
//! let request = RoutingRequest {
//!     order: Order {
//!         id: "order-1".into(),
//!         channel: "web".into(),
//!         ship_to: ShipTo { country: "DE".into(), ..ShipTo::default() },
//!         preferred_node: None,
//!         lines: vec![OrderLine::new("1", "MUG", 5)],
//!         kits: vec![],
//!         tags: vec![],
//!         holder: None,
//!     },
//!     nodes: vec![node("A", 1), node("B", 2), node("C", 3)],
//!     stock: vec![StockRow::new("A", "MUG", 2), StockRow::new("B", "MUG", 4), StockRow::new("C", "MUG", 5)],
//!     now: Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap(),
//! };
//! let decision = engine.decide(&request).unwrap();
//! let shipments = decision.outcome.shipments();
//! // One shipment beats two, whatever the ranks say.
//! assert_eq!(shipments.len(), 1);
//! assert_eq!(shipments[0].node_id, "C");
//! assert_eq!(shipments[0].lines[0].quantity, 5);
//! ```
//!
//! # How a decision is made
//!
//! 1. **Available to promise** ([`available_to_promise`]) per (node, SKU): on hand −
//!    unexpired reservations held by others − safety stock, never below zero. A kit's ATP at
//!    a node is the minimum over its components of ⌊ATP / quantity per kit⌋
//!    ([`kit_available_to_promise`]); a kit always ships whole from one node.
//! 2. **Eligibility.** Inactive nodes, nodes not serving the order's channel and nodes at
//!    their daily capacity are out (each named in the trace); the policy hook
//!    `eligible(node, order)` may exclude more.
//! 3. **Ranking.** Eligible nodes are sorted by the rule chain's node keys, then by node id:
//!    `preferred_node` (the preferred node first), `stay_in_market` (in-market first),
//!    `closest` (nearest first), `priority` (lowest rank first), `most_stock` (most ATP
//!    for the order's lines first), `lowest_cost` (cheapest to ship the whole order from
//!    first), `policy` (lowest `rank` first; nodes the hook abstains on come after the
//!    ranked ones and tie among themselves). `minimize_splits` has no opinion on single
//!    nodes.
//! 4. **Plan.** With `minimize_splits` in the chain, the engine searches every node set of
//!    size 1..=`max_shipments` (only single nodes for `whole_order`) among the nodes that
//!    hold stock for the order. Within a set each line goes whole to the best-ranked node
//!    of the set that can fill it, else (`by_unit`) it is filled in the set's rank order.
//!    Complete plans are compared rule by rule (lower score wins, ties pass down) and
//!    finally by their sorted node ids. Plan scores: `preferred_node` = units not from the
//!    preferred node; `minimize_splits` = shipments; `stay_in_market` = shipments from
//!    outside the ship-to country (or market, when both name one); `closest` = summed
//!    distance; `priority`, `most_stock`, `policy` = the node keys of the nodes used, best
//!    first, compared element by element; `lowest_cost` = the sum over shipments of
//!    per shipment, per unit × units and per km × km. When every rule before `minimize_splits` abstains, the search stops at
//!    the smallest set size that works. When more than `search_budget` sets would be
//!    evaluated, the greedy fill below competes with the best plan found so far and the
//!    reason `search_budget_exhausted` says so. Without `minimize_splits` the plan is the
//!    greedy fill: each line takes from the nodes in rank order (by line: the first node
//!    that can fill it whole; whole order: the first node that can fill everything), never
//!    opening more than `max_shipments` nodes.
//! 5. **Cannot fill.** When no plan covers the order from stock, the greedy fill is kept
//!    and each line's shortfall goes to the best-ranked node whose backorder allowance
//!    covers it (in `by_line` and `whole_order` that node also ships what stock it has for
//!    the line, so the line stays whole), within `max_shipments`. If a line still cannot
//!    be covered the outcome is [`RoutingOutcome::Unfillable`], listing every short line
//!    with what is available over all eligible nodes; nothing partial is promised.
//!
//! Lines are processed in line-id order and nodes in rank order with a final tie-break on
//! node ids, so shuffling nodes, stock rows or lines never changes the plan. Within a set,
//! lines that share a SKU are filled greedily in line-id order.
//!
//! Distances are great-circle km ([`great_circle_km`]) computed with IEEE basic operations
//! only and rounded to 0.001 km before use, so they are identical on every platform.
//!
//! # Rules that need data
//!
//! `closest` needs the ship-to coordinates and every eligible node's location;
//! `lowest_cost` needs every eligible node's cost model (and distances when a `per_km` is
//! not zero); `policy` needs a policy defining `rank`. Without that data the decision fails
//! with an error naming the rule and the missing field, unless the config sets
//! `on_missing_data: abstain`, in which case the rule scores every plan the same and the
//! reason `rule_abstained` says so. `preferred_node` abstains when the order names no
//! preferred node.
//!
//! # Policy hooks
//!
//! A policy attached with [`RoutingEngine::with_policy`] may define any of [`HOOKS`]:
//!
//! - `chain(order)` returns an array of rule names (the chain for this order) or `()` for
//!   the configured chain; the reason `chain_from_policy` records a change.
//! - `eligible(node, order)` returns `false` or a string (the node is out, the string is
//!   the reason in the trace) or `true`/`()` (it stays). Called, in node-id order, for every
//!   node the built-in checks let through that has a stock row for one of the order's SKUs
//!   (a node without one can ship nothing and is left out before the hooks).
//! - `rank(node, order)` returns a number, lower first, or `()` to abstain; it is the node
//!   key of the `policy` rule. It is called only for nodes holding stock or backorders for
//!   the order; with `minimize_splits` in the chain and no trace requested, only for nodes
//!   of the node sets the search fills (results are memoized), which gives the same plan
//!   with far fewer calls.
//!
//! `order` is `#{id, channel, tags, holder, preferred_node, units, ship_to: #{country,
//! market, region, postal_code, latitude, longitude}, lines: [#{line_id, sku, quantity,
//! tags}], kits: [#{line_id, sku, quantity, tags, components: [#{sku, quantity}]}]}` and
//! `node` is `#{id, kind, country, market, priority, tags, daily_capacity, orders_today,
//! distance_km, in_market, atp: #{sku: units}}` (absent values are `()`, coordinates and
//! distances are decimals). Both are read-only: copy a part into a variable to change it.
//! An assignment into one (`node.extra = 1`) is refused when the policy is attached
//! (`policy.read_only_argument`).
//! A hook that fails or returns the wrong shape fails the decision
//! ([`OnHookError::Fail`](crate::policy::OnHookError::Fail)) or, with
//! [`OnHookError::Fallback`](crate::policy::OnHookError::Fallback), keeps the node, abstains
//! or uses the configured chain, adding one `policy_error` reason per failing hook.
//!
//! ```
//! use backoffice::policy::{Policy, PolicyRuntime};
//! use backoffice::routing::RoutingEngine;
//! let source = r#"
//!     fn chain(order) { if "express" in order.tags { ["closest", "minimize_splits"] } }
//!     fn eligible(node, order) {
//!         if node.kind == "dropship" && order.units > 10 { return "drop-shippers take small orders only"; }
//!     }
//! "#;
//! let policy = Policy::compile("shop.rhai", source, &PolicyRuntime::new()).unwrap();
//! let engine = RoutingEngine::new(Default::default()).unwrap().with_policy(policy).unwrap();
//! ```
//!
//! # Replenishment
//!
//! [`replenishment`] computes reorder points, safety stock, EOQ and min/max suggestions.

mod atp;
mod geo;
mod hooks;
mod plan;
pub mod replenishment;
mod types;

pub use atp::{available_to_promise, kit_available_to_promise};
pub use geo::{great_circle_km, EARTH_RADIUS_KM};
pub use types::*;

use crate::policy::{DecideOptions, HookSpec, Policy};
use crate::{Decision, Error, Reason, Trace};
use chrono::{DateTime, Utc};
use hooks::{HookRunner, NodeFacts, Verdict};
use plan::{Candidate, Fill, Need, Part, Problem};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, BTreeSet};

/// The hooks a routing policy may define.
pub static HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "eligible",
        params: &["node", "order"],
        args: &[],
        returns: "true or () (keep), false (exclude) or a string (exclude, with that reason)",
        doc: "Excludes nodes the built-in checks (active, channel, daily capacity) let through.",
    },
    HookSpec {
        name: "rank",
        params: &["node", "order"],
        args: &[],
        returns: "a number (lower ships first) or () to abstain",
        doc: "Scores a node for the `policy` rule of the chain.",
    },
    HookSpec {
        name: "chain",
        params: &["order"],
        args: &[],
        returns: "an array of rule names, or () for the configured chain",
        doc: "Chooses the rule chain for this order (e.g. express orders put `closest` first).",
    },
];

/// Routes orders to fulfillment nodes. Build once, decide many times; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct RoutingEngine {
    config: RoutingConfig,
    policy: Option<Policy>,
}

impl RoutingEngine {
    /// Builds an engine, checking the configuration (`max_shipments` and `search_budget`
    /// at least 1, no rule twice in the chain).
    pub fn new(config: RoutingConfig) -> Result<Self, Error> {
        validate_config(&config)?;
        Ok(RoutingEngine {
            config,
            policy: None,
        })
    }

    /// Attaches a policy after checking that every function it defines is a routing hook
    /// ([`HOOKS`]) with the right arity (or a `_helper`).
    ///
    /// ```
    /// use backoffice::policy::{Policy, PolicyRuntime};
    /// use backoffice::routing::{RoutingConfig, RoutingEngine};
    /// let source = r#"fn eligible(node, order) { node.kind != "store" }"#;
    /// let policy = Policy::compile("no-stores.rhai", source, &PolicyRuntime::new()).unwrap();
    /// let engine = RoutingEngine::new(RoutingConfig::default()).unwrap().with_policy(policy).unwrap();
    /// assert_eq!(engine.policy().map(|p| p.name()), Some("no-stores.rhai"));
    /// ```
    pub fn with_policy(self, policy: Policy) -> Result<Self, Error> {
        policy.bind("routing", HOOKS)?;
        Ok(RoutingEngine {
            policy: Some(policy),
            ..self
        })
    }

    /// The attached policy, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &RoutingConfig {
        &self.config
    }

    /// Decides one request with default options (no trace; a failing hook fails the call).
    pub fn decide(&self, request: &RoutingRequest) -> Result<Decision<RoutingOutcome>, Error> {
        self.decide_with(request, &DecideOptions::default())
    }

    /// Decides one request.
    ///
    /// Errors: [`Error::InvalidInput`] naming the offending item for bad input (duplicate
    /// node or line ids, stock rows for unknown nodes, zero quantities, coordinates out of
    /// range, an unknown preferred node) or for a rule lacking data; [`Error::Policy`] for a
    /// failing hook under [`OnHookError::Fail`](crate::policy::OnHookError::Fail).
    pub fn decide_with(
        &self,
        request: &RoutingRequest,
        options: &DecideOptions,
    ) -> Result<Decision<RoutingOutcome>, Error> {
        let index = validate_request(request)?;
        let mut trace = options.trace.then(Trace::default);
        let mut reasons: Vec<Reason> = Vec::new();
        let order = &request.order;
        let mut hooks = HookRunner::new(self.policy.as_ref(), order, request.nodes.len(), options)?;

        let chain = match hooks.chain()? {
            Some(chain) => {
                reasons.push(Reason::builtin(
                    "chain_from_policy",
                    "chain",
                    format!("the policy chose the rule chain {}", join_rules(&chain)),
                ));
                chain
            }
            None => self.config.chain.clone(),
        };
        if let Some(t) = trace.as_mut() {
            t.step("chain", format!("rule chain: {}", join_rules(&chain)));
        }

        let (skus, needs) = build_needs(order);
        let problem_skus = skus.len();
        let holder = order.holder();
        let ship_to_point = match (order.ship_to.latitude, order.ship_to.longitude) {
            (Some(lat), Some(lon)) => Some((lat, lon)),
            _ => None,
        };

        // Eligibility, in node-id order so that hook calls and the trace are stable.
        let mut by_id: Vec<(usize, &Node)> = request.nodes.iter().enumerate().collect();
        if hooks.has_eligible() || trace.is_some() {
            // Only hook calls and the trace see this order; the ranking below sorts anyway.
            by_id.sort_unstable_by(|a, b| a.1.id.cmp(&b.1.id));
        }
        let wants_facts = hooks.has_eligible() || hooks.has_rank();
        let mut candidates: Vec<(usize, Candidate<'_>)> = Vec::new();
        for (index_in_request, node) in by_id {
            if let Some(why) = builtin_ineligibility(node, order) {
                if let Some(t) = trace.as_mut() {
                    t.step("eligibility", format!("node {} excluded: {why}", node.id));
                }
                continue;
            }
            if !index.stocked(index_in_request) {
                // Without a row for the order's SKUs a node can neither ship nor backorder
                // anything, so it never becomes a candidate (nor reaches the hooks).
                if let Some(t) = trace.as_mut() {
                    t.step(
                        "eligibility",
                        format!("node {} holds nothing for this order", node.id),
                    );
                }
                continue;
            }
            let mut data = vec![0u64; problem_skus * 2 + needs.len()];
            let mut expected = Vec::new();
            for k in 0..problem_skus {
                if let Some(row) = index.row(index_in_request, k) {
                    if let Some(slot) = data.get_mut(k) {
                        *slot = available_to_promise(row, holder, request.now);
                    }
                    if let Some(slot) = data.get_mut(problem_skus + k) {
                        *slot = row.backorder.units();
                    }
                    if let Some(at) = row.backorder_expected_at {
                        expected.resize(problem_skus, None);
                        if let Some(slot) = expected.get_mut(k) {
                            *slot = Some(at);
                        }
                    }
                }
            }
            for (n, need) in needs.iter().enumerate() {
                let cap = capacity_of(data.get(..problem_skus).unwrap_or(&[]), need);
                if let Some(slot) = data.get_mut(problem_skus * 2 + n) {
                    *slot = cap;
                }
            }
            let distance = match (ship_to_point, node.location) {
                (Some((lat, lon)), Some(at)) => {
                    Some(great_circle_km(at.latitude, at.longitude, lat, lon))
                }
                _ => None,
            };
            let in_market = node.country == order.ship_to.country
                || matches!((&node.market, &order.ship_to.market), (Some(a), Some(b)) if a == b);
            let candidate = Candidate {
                index: index_in_request,
                node,
                data,
                skus: problem_skus,
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
            };
            let verdict = if wants_facts && hooks.has_eligible() {
                hooks.eligible(index_in_request, node, &facts_of(&candidate, &skus))?
            } else {
                None
            };
            match verdict {
                Some(Verdict::Exclude(why)) => {
                    if let Some(t) = trace.as_mut() {
                        t.step(
                            "eligibility",
                            format!("node {} excluded by policy: {why}", node.id),
                        );
                    }
                    continue;
                }
                Some(Verdict::Keep) | None => {}
            }
            candidates.push((index_in_request, candidate));
        }
        if let Some(t) = trace.as_mut() {
            t.step(
                "eligibility",
                format!(
                    "{} of {} node(s) eligible",
                    candidates.len(),
                    request.nodes.len()
                ),
            );
        }
        if let Some(preferred) = &order.preferred_node {
            if !candidates.iter().any(|(_, c)| &c.node.id == preferred) {
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

        // Rule data and node keys.
        let mut abstaining = Vec::with_capacity(chain.len());
        for rule in &chain {
            let missing = missing_data(*rule, order, &candidates, &hooks)?;
            let abstain = match missing {
                Some(error) => match self.config.on_missing_data {
                    MissingData::Error => return Err(error),
                    MissingData::Abstain => {
                        reasons.push(
                            Reason::builtin(
                                "rule_abstained",
                                rule.as_str(),
                                format!("rule `{rule}` abstains: {error}"),
                            )
                            .about(rule.as_str()),
                        );
                        true
                    }
                },
                None => *rule == Rule::PreferredNode && order.preferred_node.is_none(),
            };
            abstaining.push(abstain);
        }
        let total_units: u64 = needs.iter().fold(0u64, |a, n| {
            a.saturating_add(n.demand.saturating_mul(n.units_per))
        });
        // With the fewest-splits search and no trace, `rank` is called lazily: only for
        // nodes of the node sets the search actually fills (memoized), which keeps hook
        // calls far below one per node. Everything else needs the full ranking up front.
        let policy_position = chain
            .iter()
            .position(|r| *r == Rule::Policy)
            .filter(|p| !abstaining.get(*p).copied().unwrap_or(true));
        let lazy =
            policy_position.is_some() && chain.contains(&Rule::MinimizeSplits) && trace.is_none();
        for (_, candidate) in candidates.iter_mut() {
            let mut keys = Vec::with_capacity(chain.len());
            candidate.rankable = needs.iter().enumerate().any(|(i, n)| {
                candidate.caps().get(i).is_some_and(|q| *q > 0)
                    || n.parts
                        .iter()
                        .any(|p| candidate.backorder().get(p.sku).is_some_and(|b| *b > 0))
            });
            for (rule, abstain) in chain.iter().zip(&abstaining) {
                if *abstain {
                    keys.push(None);
                    continue;
                }
                let key = match rule {
                    Rule::PreferredNode => Some(Decimal::from(u8::from(
                        order.preferred_node.as_deref() != Some(candidate.node.id.as_str()),
                    ))),
                    Rule::MinimizeSplits => None,
                    Rule::StayInMarket => Some(Decimal::from(u8::from(!candidate.in_market))),
                    Rule::Closest => candidate.distance,
                    Rule::Priority => Some(Decimal::from(candidate.node.priority)),
                    Rule::MostStock => {
                        let stock = candidate
                            .caps()
                            .iter()
                            .fold(0u64, |a, q| a.saturating_add(*q));
                        Some(-Decimal::from(stock))
                    }
                    Rule::LowestCost => {
                        let (per_shipment, per_unit, per_km) = candidate.cost.unwrap_or_default();
                        let distance = candidate.distance.unwrap_or(Decimal::ZERO);
                        let cost = per_unit
                            .checked_mul(Decimal::from(total_units))
                            .and_then(|v| v.checked_add(per_shipment))
                            .and_then(|v| {
                                per_km.checked_mul(distance).and_then(|d| v.checked_add(d))
                            })
                            .ok_or_else(|| Error::overflow("lowest_cost: node cost"))?;
                        Some(cost)
                    }
                    Rule::Policy => {
                        if candidate.rankable && !lazy {
                            hooks.rank(
                                candidate.index,
                                candidate.node,
                                &facts_of(candidate, &skus),
                            )?
                        } else {
                            None
                        }
                    }
                };
                keys.push(key);
            }
            candidate.keys = keys;
        }
        let candidates = plan::into_rank_order(candidates.into_iter().map(|(_, c)| c).collect());
        if let Some(t) = trace.as_mut() {
            t.step("ranking", ranking_message(&candidates, &chain));
        }

        let problem = Problem {
            candidates,
            needs,
            skus: problem_skus,
            mode: self.config.split_mode,
            max_shipments: usize::try_from(self.config.max_shipments).unwrap_or(usize::MAX),
            budget: self.config.search_budget,
            chain: chain.clone(),
            abstaining,
            preferred: order.preferred_node.as_deref(),
            lazy_position: if lazy { policy_position } else { None },
            resolved: Vec::new(),
        };
        let mut problem = problem;
        problem.resolved = vec![false; problem.candidates.len()];

        let mut chosen: Option<Fill> = None;
        if chain.contains(&Rule::MinimizeSplits) {
            let mut resolve = |c: &Candidate<'_>| hooks.rank(c.index, c.node, &facts_of(c, &skus));
            let mut result = problem.search(trace.as_mut(), &mut resolve)?;
            if problem.lazy_position.is_some() && (result.exhausted || result.best.is_none()) {
                // The greedy fill and backorders need the full ranking: resolve every
                // rank, re-sort and search again eagerly.
                problem.resolve_all(&mut resolve)?;
                result = problem.search(trace.as_mut(), &mut resolve)?;
            }
            if result.exhausted {
                reasons.push(Reason::builtin(
                    "search_budget_exhausted",
                    "minimize_splits",
                    format!(
                        "the search evaluated its budget of {} node set(s); a greedy fill finished it, so the plan may have more shipments than the fewest possible",
                        result.evaluated
                    ),
                ));
            }
            chosen = result.best.map(|s| s.fill);
        } else {
            let (fill, _) = problem.greedy();
            if fill.complete() {
                if let Some(t) = trace.as_mut() {
                    t.step("greedy", "filled every line in rank order");
                }
                chosen = Some(fill);
            }
        }
        let fill = match chosen {
            Some(fill) => fill,
            None => {
                let (mut fill, mut pool) = problem.greedy();
                let covered = problem.backorder(&mut fill, &mut pool);
                if let Some(t) = trace.as_mut() {
                    t.step(
                        "backorder",
                        if covered {
                            "stock cannot cover the order; the shortfall is backordered".to_string()
                        } else {
                            "stock and backorder allowances cannot cover the order".to_string()
                        },
                    );
                }
                if !covered {
                    let outcome = unfillable(&problem, &fill, &mut reasons);
                    return Ok(finish(outcome, reasons, hooks, trace));
                }
                fill
            }
        };
        let mut order_of_shipments = fill.used.clone();
        order_of_shipments.sort_by(|a, b| problem.compare_positions(*a, *b));
        let outcome = routed(
            &problem,
            &fill,
            &order_of_shipments,
            holder,
            chain,
            &mut reasons,
        );
        Ok(finish(outcome, reasons, hooks, trace))
    }
}

fn finish(
    outcome: RoutingOutcome,
    mut reasons: Vec<Reason>,
    hooks: HookRunner<'_>,
    trace: Option<Trace>,
) -> Decision<RoutingOutcome> {
    reasons.extend(hooks.reasons);
    let trace = trace.map(|mut t| {
        t.policy_output = hooks.output;
        t
    });
    Decision {
        outcome,
        reasons,
        trace,
    }
}

fn join_rules(chain: &[Rule]) -> String {
    if chain.is_empty() {
        return "(empty: node ids decide)".to_string();
    }
    chain
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn ranking_message(candidates: &[Candidate<'_>], chain: &[Rule]) -> String {
    const SHOWN: usize = 20;
    let mut parts: Vec<String> = candidates
        .iter()
        .take(SHOWN)
        .map(|c| {
            let keys: Vec<String> = chain
                .iter()
                .zip(&c.keys)
                .filter_map(|(rule, key)| key.map(|k| format!("{rule}={}", k.normalize())))
                .collect();
            if keys.is_empty() {
                c.node.id.clone()
            } else {
                format!("{} ({})", c.node.id, keys.join(" "))
            }
        })
        .collect();
    if candidates.len() > SHOWN {
        parts.push(format!("and {} more", candidates.len() - SHOWN));
    }
    format!("nodes in rank order: {}", parts.join(", "))
}

fn capacity_of(atp: &[u64], need: &Need<'_>) -> u64 {
    need.parts
        .iter()
        .map(|p| {
            atp.get(p.sku)
                .copied()
                .unwrap_or(0)
                .checked_div(p.per)
                .unwrap_or(0)
        })
        .min()
        .unwrap_or(0)
}

fn facts_of<'a>(candidate: &Candidate<'_>, skus: &BTreeMap<&'a str, usize>) -> NodeFacts<'a> {
    NodeFacts {
        distance_km: candidate.distance,
        in_market: candidate.in_market,
        atp: skus
            .iter()
            .map(|(sku, &k)| (*sku, candidate.atp().get(k).copied().unwrap_or(0)))
            .collect(),
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

/// The error a rule would raise for missing data, if any.
fn missing_data(
    rule: Rule,
    order: &Order,
    candidates: &[(usize, Candidate<'_>)],
    hooks: &HookRunner<'_>,
) -> Result<Option<Error>, Error> {
    Ok(match rule {
        Rule::Closest => {
            if order.ship_to.latitude.is_none() {
                Some(Error::invalid(
                    "order.ship_to.latitude",
                    "rule `closest` needs the ship-to coordinates (latitude and longitude)",
                ))
            } else {
                candidates
                    .iter()
                    .find(|(_, c)| c.node.location.is_none())
                    .map(|(i, c)| {
                        Error::invalid(
                            format!("nodes[{i}].location"),
                            format!("rule `closest` needs the location of node `{}`", c.node.id),
                        )
                    })
            }
        }
        Rule::LowestCost => {
            let mut currency = None;
            let mut found = None;
            for (i, c) in candidates {
                let Some(cost) = c.node.cost else {
                    found = Some(Error::invalid(
                        format!("nodes[{i}].cost"),
                        format!(
                            "rule `lowest_cost` needs the cost model of node `{}`",
                            c.node.id
                        ),
                    ));
                    break;
                };
                for money in [cost.per_shipment, cost.per_unit, cost.per_km] {
                    match currency {
                        None => currency = Some(money.currency()),
                        Some(cur) if cur != money.currency() => {
                            return Err(Error::CurrencyMismatch {
                                operation: format!("lowest_cost (nodes[{i}].cost)"),
                                left: cur.code().to_string(),
                                right: money.currency().code().to_string(),
                            })
                        }
                        Some(_) => {}
                    }
                }
                if !cost.per_km.is_zero() && c.distance.is_none() {
                    found = Some(if order.ship_to.latitude.is_none() {
                        Error::invalid(
                            "order.ship_to.latitude",
                            format!("rule `lowest_cost` needs the ship-to coordinates for node `{}`'s per-km cost", c.node.id),
                        )
                    } else {
                        Error::invalid(
                            format!("nodes[{i}].location"),
                            format!("rule `lowest_cost` needs the location of node `{}` for its per-km cost", c.node.id),
                        )
                    });
                    break;
                }
            }
            found
        }
        Rule::Policy => (!hooks.has_rank()).then(|| {
            Error::invalid(
                "policy",
                "rule `policy` needs a policy that defines `rank(node, order)`",
            )
        }),
        _ => None,
    })
}

/// SKU index (sorted) and the lines sorted by line id.
fn build_needs(order: &Order) -> (BTreeMap<&str, usize>, Vec<Need<'_>>) {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for line in &order.lines {
        names.insert(line.sku.as_str());
    }
    for kit in &order.kits {
        for c in &kit.components {
            names.insert(c.sku.as_str());
        }
    }
    let skus: BTreeMap<&str, usize> = names.into_iter().enumerate().map(|(i, s)| (s, i)).collect();
    let mut needs: Vec<Need<'_>> = Vec::with_capacity(order.lines.len() + order.kits.len());
    for line in &order.lines {
        needs.push(Need {
            line_id: &line.line_id,
            sku: &line.sku,
            demand: u64::from(line.quantity),
            parts: vec![Part {
                sku: skus.get(line.sku.as_str()).copied().unwrap_or(0),
                per: 1,
                name: &line.sku,
            }],
            units_per: 1,
            kit: None,
        });
    }
    for kit in &order.kits {
        needs.push(Need {
            line_id: &kit.line_id,
            sku: &kit.sku,
            demand: u64::from(kit.quantity),
            parts: kit
                .components
                .iter()
                .map(|c| Part {
                    sku: skus.get(c.sku.as_str()).copied().unwrap_or(0),
                    per: u64::from(c.quantity),
                    name: &c.sku,
                })
                .collect(),
            units_per: kit
                .components
                .iter()
                .fold(0u64, |a, c| a.saturating_add(u64::from(c.quantity))),
            kit: Some(&kit.components),
        });
    }
    needs.sort_by(|a, b| a.line_id.cmp(b.line_id));
    (skus, needs)
}

fn routed(
    problem: &Problem<'_>,
    fill: &Fill,
    order_of_shipments: &[usize],
    holder: &str,
    chain: Vec<Rule>,
    reasons: &mut Vec<Reason>,
) -> RoutingOutcome {
    let mut shipments = Vec::with_capacity(fill.used.len());
    let mut holds: BTreeMap<(&str, &str), u64> = BTreeMap::new();
    for &c in order_of_shipments {
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
        chain,
    }
}

fn unfillable(problem: &Problem<'_>, fill: &Fill, reasons: &mut Vec<Reason>) -> RoutingOutcome {
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
                    "line {} ({}): requested {}, available {} in total but not within {} shipment(s) under {:?} splitting",
                    need.line_id, need.sku, need.demand, available, problem.max_shipments, problem.mode
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

fn validate_config(config: &RoutingConfig) -> Result<(), Error> {
    if config.max_shipments == 0 {
        return Err(Error::invalid("max_shipments", "must be at least 1, got 0"));
    }
    if config.search_budget == 0 {
        return Err(Error::invalid("search_budget", "must be at least 1, got 0"));
    }
    let mut seen = BTreeSet::new();
    for (i, rule) in config.chain.iter().enumerate() {
        if !seen.insert(*rule) {
            return Err(Error::invalid(
                format!("chain[{i}]"),
                format!("rule `{rule}` appears twice in the chain"),
            ));
        }
    }
    Ok(())
}

fn check_coordinate(field: String, value: Decimal, limit: i64, what: &str) -> Result<(), Error> {
    if value.abs() > Decimal::from(limit) {
        return Err(Error::invalid(
            field,
            format!("{what} {value} is outside ±{limit} degrees"),
        ));
    }
    Ok(())
}

fn validate_request(request: &RoutingRequest) -> Result<StockIndex<'_>, Error> {
    let order = &request.order;
    if order.id.trim().is_empty() {
        return Err(Error::invalid("order.id", "the order id is empty"));
    }
    if order.lines.is_empty() && order.kits.is_empty() {
        return Err(Error::invalid(
            "order.lines",
            format!("order `{}` has no lines and no kits", order.id),
        ));
    }
    let mut line_ids: BTreeMap<&str, String> = BTreeMap::new();
    fn check_line_id<'r>(
        line_ids: &mut BTreeMap<&'r str, String>,
        id: &'r str,
        path: String,
    ) -> Result<(), Error> {
        if id.trim().is_empty() {
            return Err(Error::invalid(path, "the line id is empty"));
        }
        if let Some(first) = line_ids.get(id) {
            return Err(Error::invalid(
                path,
                format!("duplicate line id `{id}` (also {first})"),
            ));
        }
        line_ids.insert(id, path);
        Ok(())
    }
    for (i, line) in order.lines.iter().enumerate() {
        check_line_id(
            &mut line_ids,
            &line.line_id,
            format!("order.lines[{i}].line_id"),
        )?;
        if line.sku.trim().is_empty() {
            return Err(Error::invalid(
                format!("order.lines[{i}].sku"),
                format!("line `{}` has an empty SKU", line.line_id),
            ));
        }
        if line.quantity == 0 {
            return Err(Error::invalid(
                format!("order.lines[{i}].quantity"),
                format!(
                    "line `{}` ({}) has quantity 0; it must be at least 1",
                    line.line_id, line.sku
                ),
            ));
        }
    }
    for (i, kit) in order.kits.iter().enumerate() {
        check_line_id(
            &mut line_ids,
            &kit.line_id,
            format!("order.kits[{i}].line_id"),
        )?;
        if kit.quantity == 0 {
            return Err(Error::invalid(
                format!("order.kits[{i}].quantity"),
                format!(
                    "kit line `{}` ({}) has quantity 0; it must be at least 1",
                    kit.line_id, kit.sku
                ),
            ));
        }
        if kit.components.is_empty() {
            return Err(Error::invalid(
                format!("order.kits[{i}].components"),
                format!("kit `{}` has no components", kit.sku),
            ));
        }
        let mut seen = BTreeSet::new();
        for (j, c) in kit.components.iter().enumerate() {
            if c.sku.trim().is_empty() {
                return Err(Error::invalid(
                    format!("order.kits[{i}].components[{j}].sku"),
                    format!("kit `{}` has a component with an empty SKU", kit.sku),
                ));
            }
            if c.quantity == 0 {
                return Err(Error::invalid(
                    format!("order.kits[{i}].components[{j}].quantity"),
                    format!(
                        "component {} of kit `{}` has quantity 0 per kit; it must be at least 1",
                        c.sku, kit.sku
                    ),
                ));
            }
            if !seen.insert(c.sku.as_str()) {
                return Err(Error::invalid(
                    format!("order.kits[{i}].components[{j}].sku"),
                    format!("component {} appears twice in kit `{}`", c.sku, kit.sku),
                ));
            }
        }
    }
    let ship_to = &order.ship_to;
    match (ship_to.latitude, ship_to.longitude) {
        (Some(lat), Some(lon)) => {
            check_coordinate("order.ship_to.latitude".into(), lat, 90, "latitude")?;
            check_coordinate("order.ship_to.longitude".into(), lon, 180, "longitude")?;
        }
        (Some(_), None) => {
            return Err(Error::invalid(
                "order.ship_to.longitude",
                "a latitude is given without a longitude",
            ))
        }
        (None, Some(_)) => {
            return Err(Error::invalid(
                "order.ship_to.latitude",
                "a longitude is given without a latitude",
            ))
        }
        (None, None) => {}
    }
    let mut node_ids: FastMap<&str, usize> = FastMap::default();
    node_ids.reserve(request.nodes.len());
    for (i, node) in request.nodes.iter().enumerate() {
        if node.id.trim().is_empty() {
            return Err(Error::invalid(
                format!("nodes[{i}].id"),
                "the node id is empty",
            ));
        }
        if let Some(first) = node_ids.insert(node.id.as_str(), i) {
            return Err(Error::invalid(
                format!("nodes[{i}].id"),
                format!("duplicate node id `{}` (also nodes[{first}])", node.id),
            ));
        }
        if let Some(at) = node.location {
            check_coordinate(
                format!("nodes[{i}].location.latitude"),
                at.latitude,
                90,
                "latitude",
            )?;
            check_coordinate(
                format!("nodes[{i}].location.longitude"),
                at.longitude,
                180,
                "longitude",
            )?;
        }
    }
    if let Some(preferred) = &order.preferred_node {
        if !node_ids.contains_key(preferred.as_str()) {
            return Err(Error::invalid(
                "order.preferred_node",
                format!("preferred node `{preferred}` is not among the request's nodes"),
            ));
        }
    }
    // The order's SKUs, then a dense (node, order SKU) table of stock rows. Rows for SKUs
    // the order does not contain cannot change the plan; they are only checked for an
    // unknown node.
    let mut order_skus: FastMap<&str, usize> = FastMap::default();
    for sku in order.lines.iter().map(|l| l.sku.as_str()).chain(
        order
            .kits
            .iter()
            .flat_map(|k| k.components.iter().map(|c| c.sku.as_str())),
    ) {
        let next = order_skus.len();
        order_skus.entry(sku).or_insert(next);
    }
    // Renumber in sorted order, as `build_needs` does.
    let mut sorted: Vec<&str> = order_skus.keys().copied().collect();
    sorted.sort_unstable();
    for (k, sku) in sorted.iter().enumerate() {
        order_skus.insert(sku, k);
    }
    let width = sorted.len();
    let cells = request.nodes.len().saturating_mul(width);
    let mut index = StockIndex {
        width,
        // A direct table while it stays small; a map beyond, so hostile sizes cannot
        // allocate nodes × SKUs cells.
        dense: (cells <= StockIndex::DENSE_LIMIT).then(|| vec![None; cells]),
        rows: FastMap::default(),
        stocked: vec![false; request.nodes.len()],
    };
    for (i, row) in request.stock.iter().enumerate() {
        let Some(&node) = node_ids.get(row.node_id.as_str()) else {
            return Err(Error::invalid(
                format!("stock[{i}].node_id"),
                format!(
                    "stock row for unknown node `{}` (SKU {})",
                    row.node_id, row.sku
                ),
            ));
        };
        let Some(&k) = order_skus.get(row.sku.as_str()) else {
            continue;
        };
        if let Some((first, _)) = index.insert(node, k, (i, row)) {
            return Err(Error::invalid(
                format!("stock[{i}]"),
                format!(
                    "duplicate stock row for node `{}` and SKU {} (also stock[{first}])",
                    row.node_id, row.sku
                ),
            ));
        }
        if let Some(flag) = index.stocked.get_mut(node) {
            *flag = true;
        }
    }
    Ok(index)
}

/// Stock rows by (node position in the request, order SKU index). Memory grows with the
/// rows relevant to the order, never with nodes × SKUs.
struct StockIndex<'r> {
    width: usize,
    dense: Option<Vec<Option<(usize, &'r StockRow)>>>,
    rows: FastMap<(usize, usize), (usize, &'r StockRow)>,
    /// Per node: it has at least one row for the order's SKUs.
    stocked: Vec<bool>,
}

impl<'r> StockIndex<'r> {
    /// At most this many (node, SKU) cells are allocated as a direct table (16 MiB).
    const DENSE_LIMIT: usize = 1 << 20;

    /// Stores a row; returns the earlier one for the same cell, if any.
    fn insert(
        &mut self,
        node: usize,
        sku: usize,
        row: (usize, &'r StockRow),
    ) -> Option<(usize, &'r StockRow)> {
        match self.dense.as_mut() {
            Some(table) => table
                .get_mut(node.saturating_mul(self.width).saturating_add(sku))
                .and_then(|slot| slot.replace(row)),
            None => self.rows.insert((node, sku), row),
        }
    }

    fn row(&self, node: usize, sku: usize) -> Option<&'r StockRow> {
        match self.dense.as_ref() {
            Some(table) => table
                .get(node.saturating_mul(self.width).saturating_add(sku))
                .copied()
                .flatten()
                .map(|(_, row)| row),
            None => self.rows.get(&(node, sku)).map(|(_, row)| *row),
        }
    }

    fn stocked(&self, node: usize) -> bool {
        self.stocked.get(node).copied().unwrap_or(false)
    }
}

/// FNV-1a (Fowler, Noll, Vo): a fixed, fast hash for short ids. Deterministic (no random
/// seed), which the library needs: it reads no randomness.
#[derive(Default)]
struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut hash = if self.0 == 0 { OFFSET } else { self.0 };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(PRIME);
        }
        self.0 = hash;
    }
}

type FastMap<K, V> = std::collections::HashMap<K, V, std::hash::BuildHasherDefault<Fnv>>;

impl crate::engine::Engine for RoutingEngine {
    const KIND: &'static str = "routing";
    type Config = RoutingConfig;
    type Request = RoutingRequest;
    type Outcome = RoutingOutcome;

    fn hooks() -> &'static [HookSpec] {
        HOOKS
    }

    fn from_config(config: RoutingConfig) -> Result<Self, Error> {
        RoutingEngine::new(config)
    }

    fn attach_policy(self, policy: Policy) -> Result<Self, Error> {
        self.with_policy(policy)
    }

    fn decide_with(
        &self,
        request: &RoutingRequest,
        options: &DecideOptions,
    ) -> Result<Decision<RoutingOutcome>, Error> {
        RoutingEngine::decide_with(self, request, options)
    }
}
