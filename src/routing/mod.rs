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
//! - `chain(order)` returns a non-empty array of rule names (the chain for this order) or
//!   `()` for the configured chain; the reason `chain_from_policy` records a change (from
//!   the configured chain to the policy's). An empty array is a `policy.bad_return`.
//! - `eligible(node, order)` returns `false` or a string (the node is out, with a
//!   `node_excluded_by_policy` reason about it whose message carries the string) or
//!   `true`/`()` (it stays, no reason). Called, in node-id order, for every
//!   node the built-in checks let through that has a stock row for one of the order's SKUs
//!   (a node without one can ship nothing and is left out before the hooks).
//! - `rank(node, order)` returns a number, lower first, or `()` to abstain; it is the node
//!   key of the `policy` rule. It is called only for nodes holding stock or backorders for
//!   the order; with `minimize_splits` in the chain and no trace requested, only for nodes
//!   of the node sets the search fills (results are memoized), which gives the same plan
//!   with far fewer calls. One `rank_from_policy` reason lists the ranks of the nodes
//!   that ship (the ranks of the others depend on how far the search looked).
//!
//! `order` is `#{id, channel, tags, holder, preferred_node, units, ship_to: #{country,
//! market, region, postal_code, latitude, longitude}, lines: [#{line_id, sku, quantity,
//! tags}], kits: [#{line_id, sku, quantity, tags, components: [#{sku, quantity}]}]}` and
//! `node` is `#{id, kind, country, market, priority, tags, daily_capacity, orders_today,
//! distance_km, in_market, atp: #{sku: units}}` (absent values are `()`, coordinates and
//! distances are decimals); [`HOOKS`] names their schemas (every field with its type and
//! doc, as `backoffice hooks --engine routing` lists them), and a policy reading a field
//! they lack is refused when attached (`policy.unknown_field`). A hook receives only the
//! fields it reads. Both are read-only: copy a part into a variable to change it.
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
mod config;
mod eligibility;
mod geo;
mod hooks;
mod index;
mod outcome;
mod pipeline;
mod plan;
pub mod replenishment;
mod rules;
mod search;
mod types;
mod validate;

pub use atp::{available_to_promise, kit_available_to_promise};
pub use config::*;
pub use geo::{great_circle_km, EARTH_RADIUS_KM};
pub use hooks::HOOKS;
pub use types::*;

use crate::policy::session::BoundHooks;
use crate::policy::{DecideOptions, HookSpec, Policy};
use crate::{Decision, Error};

/// Routes orders to fulfillment nodes. Build once, decide many times; `Send + Sync`.
#[derive(Debug, Clone)]
pub struct RoutingEngine {
    config: RoutingConfig,
    hooks: Option<BoundHooks>,
}

impl RoutingEngine {
    /// Builds an engine, checking the configuration (`max_shipments` and `search_budget`
    /// at least 1, no rule twice in the chain).
    pub fn new(config: RoutingConfig) -> Result<Self, Error> {
        config::validate_config(&config)?;
        Ok(RoutingEngine {
            config,
            hooks: None,
        })
    }

    /// Attaches a policy after checking that every function it defines is a routing hook
    /// ([`HOOKS`]) with the right arity (or a `_helper`), and that it reads only fields
    /// its arguments have.
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
        Ok(RoutingEngine {
            hooks: Some(BoundHooks::bind(policy, "routing", HOOKS)?),
            ..self
        })
    }

    /// The attached policy, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.hooks.as_ref().map(BoundHooks::policy)
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
        pipeline::decide_with(&self.config, self.hooks.as_ref(), request, options)
    }
}

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
