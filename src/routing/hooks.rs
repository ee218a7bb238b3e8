//! Calling the routing policy hooks (`eligible`, `rank`, `chain`).
//!
//! The order is converted to a `rhai::Map` once per decision (built directly, not through
//! serde), and each node at most once; both are shared and read-only, so that passing them
//! costs a reference count and a hook cannot change what the next call sees (a hook that
//! tries gets "cannot be called on constant"; `let tags = order.tags;` makes a copy it may
//! change). Hooks the policy does not define are never called.

use super::{Node, Order, Rule};
use crate::policy::{bridge, DecideOptions, OnHookError, Policy};
use crate::{Diagnostic, Error, Reason};
use rhai::{Array, Dynamic, Map};
use rust_decimal::Decimal;

/// Facts about a node the engine computed, passed to hooks beside the node's own fields.
#[derive(Debug, Clone)]
pub(crate) struct NodeFacts<'a> {
    pub distance_km: Option<Decimal>,
    pub in_market: bool,
    /// ATP per order SKU (SKU, units).
    pub atp: Vec<(&'a str, u64)>,
}

/// What `eligible` said about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Keep,
    Exclude(String),
}

const ELIGIBLE_SHAPE: &str = "true, false, a string (the reason to exclude) or ()";
const RANK_SHAPE: &str = "a number (lower ships first) or ()";
const CHAIN_SHAPE: &str = "an array of rule names (preferred_node, minimize_splits, stay_in_market, closest, priority, most_stock, lowest_cost, policy) or ()";

/// Runs the hooks of one decision, converting the order once.
pub(crate) struct HookRunner<'p> {
    policy: Option<&'p Policy>,
    on_error: OnHookError,
    order: Dynamic,
    eligible: bool,
    rank: bool,
    chain: bool,
    failed: Vec<&'static str>,
    /// Node maps by position in the request, built on first use.
    nodes: Vec<Option<Dynamic>>,
    node_maps: NodeMaps,
    pub reasons: Vec<Reason>,
    pub output: Vec<String>,
}

impl<'p> HookRunner<'p> {
    pub fn new(
        policy: Option<&'p Policy>,
        order: &Order,
        node_count: usize,
        options: &DecideOptions,
    ) -> Result<Self, Error> {
        let has = |hook: &str| policy.is_some_and(|p| p.has_hook(hook));
        let (eligible, rank, chain) = (has("eligible"), has("rank"), has("chain"));
        let any = eligible || rank || chain;
        let order = if any {
            Dynamic::from_map(order_map(order))
                .into_read_only()
                .into_shared()
        } else {
            Dynamic::UNIT
        };
        Ok(HookRunner {
            policy,
            on_error: options.on_hook_error,
            order,
            eligible,
            rank,
            chain,
            failed: Vec::new(),
            nodes: if any {
                vec![None; node_count]
            } else {
                Vec::new()
            },
            node_maps: NodeMaps::default(),
            reasons: Vec::new(),
            output: Vec::new(),
        })
    }

    pub fn has_eligible(&self) -> bool {
        self.eligible
    }

    pub fn has_rank(&self) -> bool {
        self.rank
    }

    /// Calls `hook`; `Ok(None)` means the hook failed and the caller falls back.
    fn call(
        &mut self,
        hook: &'static str,
        args: impl rhai::FuncArgs,
        fallback: &str,
    ) -> Result<Option<Dynamic>, Error> {
        let Some(policy) = self.policy else {
            return Ok(None);
        };
        match policy.call(hook, args) {
            Ok(out) => {
                self.output.extend(out.output);
                Ok(Some(out.value))
            }
            Err(diagnostic) => self.fail(hook, diagnostic, fallback).map(|()| None),
        }
    }

    fn fail(
        &mut self,
        hook: &'static str,
        diagnostic: Diagnostic,
        fallback: &str,
    ) -> Result<(), Error> {
        let Some(policy) = self.policy else {
            return Ok(());
        };
        let diagnostic = policy.annotate(diagnostic);
        match self.on_error {
            OnHookError::Fail => Err(Error::Policy {
                diagnostics: vec![diagnostic],
            }),
            OnHookError::Fallback => {
                // One reason per hook: a failing `rank` would otherwise add one per node.
                if !self.failed.contains(&hook) {
                    self.failed.push(hook);
                    self.reasons.push(Reason::policy_error(
                        diagnostic,
                        policy.source_ref(hook),
                        fallback,
                    ));
                }
                Ok(())
            }
        }
    }

    pub fn chain(&mut self) -> Result<Option<Vec<Rule>>, Error> {
        if !self.chain {
            return Ok(None);
        }
        let fallback = "using the configured chain";
        let Some(value) = self.call("chain", (self.order.clone(),), fallback)? else {
            return Ok(None);
        };
        if bridge::is_unit(&value) {
            return Ok(None);
        }
        let parsed = bridge::expect_array(&value, "chain", CHAIN_SHAPE).and_then(|items| {
            let mut rules: Vec<Rule> = Vec::with_capacity(items.len());
            for item in &items {
                let name = bridge::expect_string(item, "chain", CHAIN_SHAPE)?;
                match Rule::parse(&name) {
                    Some(rule) if !rules.contains(&rule) => rules.push(rule),
                    _ => {
                        return Err(bridge::bad_return("chain", CHAIN_SHAPE, &value)
                            .with_help(format!("`{name}` is not a rule name, or appears twice")))
                    }
                }
            }
            Ok(rules)
        });
        match parsed {
            Ok(rules) => Ok(Some(rules)),
            Err(diagnostic) => self.fail("chain", diagnostic, fallback).map(|()| None),
        }
    }

    /// The shared read-only map of the node at `index` in the request.
    ///
    /// Only when both `eligible` and `rank` are defined can a node be seen twice; then the
    /// map is kept, shared and read-only. Otherwise each call gets its own map.
    fn node(&mut self, index: usize, node: &Node, facts: &NodeFacts<'_>) -> Dynamic {
        if !(self.eligible && self.rank) {
            return Dynamic::from_map(self.node_maps.build(node, facts));
        }
        if let Some(Some(cached)) = self.nodes.get(index) {
            return cached.clone();
        }
        let value = Dynamic::from_map(self.node_maps.build(node, facts))
            .into_read_only()
            .into_shared();
        if let Some(slot) = self.nodes.get_mut(index) {
            *slot = Some(value.clone());
        }
        value
    }

    pub fn eligible(
        &mut self,
        index: usize,
        node: &Node,
        facts: &NodeFacts<'_>,
    ) -> Result<Option<Verdict>, Error> {
        if !self.eligible {
            return Ok(None);
        }
        let fallback = "the node stays eligible";
        let args = (self.node(index, node, facts), self.order.clone());
        let Some(value) = self.call("eligible", args, fallback)? else {
            return Ok(None);
        };
        if bridge::is_unit(&value) {
            return Ok(Some(Verdict::Keep));
        }
        if let Ok(keep) = value.as_bool() {
            return Ok(Some(if keep {
                Verdict::Keep
            } else {
                Verdict::Exclude("the policy's `eligible` returned false".to_string())
            }));
        }
        match bridge::expect_string(&value, "eligible", ELIGIBLE_SHAPE) {
            Ok(reason) => Ok(Some(Verdict::Exclude(reason))),
            Err(diagnostic) => self.fail("eligible", diagnostic, fallback).map(|()| None),
        }
    }

    pub fn rank(
        &mut self,
        index: usize,
        node: &Node,
        facts: &NodeFacts<'_>,
    ) -> Result<Option<Decimal>, Error> {
        if !self.rank {
            return Ok(None);
        }
        let fallback = "the `policy` rule abstains for this node";
        let args = (self.node(index, node, facts), self.order.clone());
        let Some(value) = self.call("rank", args, fallback)? else {
            return Ok(None);
        };
        if bridge::is_unit(&value) {
            return Ok(None);
        }
        match bridge::expect_decimal(&value, "rank", RANK_SHAPE) {
            Ok(key) => Ok(Some(key)),
            Err(diagnostic) => self.fail("rank", diagnostic, fallback).map(|()| None),
        }
    }
}

fn text(value: &str) -> Dynamic {
    Dynamic::from(value.to_string())
}

fn opt_text(value: Option<&str>) -> Dynamic {
    value.map_or(Dynamic::UNIT, text)
}

fn opt_decimal(value: Option<Decimal>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Dynamic::from_decimal)
}

fn strings(values: &[String]) -> Dynamic {
    Dynamic::from_array(values.iter().map(|v| text(v)).collect::<Array>())
}

fn int(value: u64) -> Dynamic {
    Dynamic::from_int(i64::try_from(value).unwrap_or(i64::MAX))
}

/// `#{id, channel, tags, holder, preferred_node, ship_to: #{country, market, region,
/// postal_code, latitude, longitude}, lines: [#{line_id, sku, quantity, tags}], kits:
/// [#{line_id, sku, quantity, tags, components: [#{sku, quantity}]}], units}`.
fn order_map(order: &Order) -> Map {
    let mut ship_to = Map::new();
    ship_to.insert("country".into(), text(&order.ship_to.country));
    ship_to.insert("market".into(), opt_text(order.ship_to.market.as_deref()));
    ship_to.insert("region".into(), opt_text(order.ship_to.region.as_deref()));
    ship_to.insert(
        "postal_code".into(),
        opt_text(order.ship_to.postal_code.as_deref()),
    );
    ship_to.insert("latitude".into(), opt_decimal(order.ship_to.latitude));
    ship_to.insert("longitude".into(), opt_decimal(order.ship_to.longitude));
    let lines: Array = order
        .lines
        .iter()
        .map(|l| {
            let mut m = Map::new();
            m.insert("line_id".into(), text(&l.line_id));
            m.insert("sku".into(), text(&l.sku));
            m.insert("quantity".into(), int(u64::from(l.quantity)));
            m.insert("tags".into(), strings(&l.tags));
            Dynamic::from_map(m)
        })
        .collect();
    let kits: Array = order
        .kits
        .iter()
        .map(|k| {
            let mut m = Map::new();
            m.insert("line_id".into(), text(&k.line_id));
            m.insert("sku".into(), text(&k.sku));
            m.insert("quantity".into(), int(u64::from(k.quantity)));
            m.insert("tags".into(), strings(&k.tags));
            let components: Array = k
                .components
                .iter()
                .map(|c| {
                    let mut cm = Map::new();
                    cm.insert("sku".into(), text(&c.sku));
                    cm.insert("quantity".into(), int(u64::from(c.quantity)));
                    Dynamic::from_map(cm)
                })
                .collect();
            m.insert("components".into(), Dynamic::from_array(components));
            Dynamic::from_map(m)
        })
        .collect();
    let units = order
        .lines
        .iter()
        .map(|l| u64::from(l.quantity))
        .chain(order.kits.iter().map(|k| {
            u64::from(k.quantity).saturating_mul(
                k.components
                    .iter()
                    .map(|c| u64::from(c.quantity))
                    .fold(0u64, u64::saturating_add),
            )
        }))
        .fold(0u64, u64::saturating_add);
    let mut m = Map::new();
    m.insert("id".into(), text(&order.id));
    m.insert("channel".into(), text(&order.channel));
    m.insert("tags".into(), strings(&order.tags));
    m.insert("holder".into(), text(order.holder()));
    m.insert(
        "preferred_node".into(),
        opt_text(order.preferred_node.as_deref()),
    );
    m.insert("ship_to".into(), Dynamic::from_map(ship_to));
    m.insert("lines".into(), Dynamic::from_array(lines));
    m.insert("kits".into(), Dynamic::from_array(kits));
    m.insert("units".into(), int(units));
    m
}

/// The keys of a node's map, in the map's (sorted) order; [`NodeMaps::build`] fills the
/// values in this order.
const NODE_KEYS: [&str; 11] = [
    "atp",
    "country",
    "daily_capacity",
    "distance_km",
    "id",
    "in_market",
    "kind",
    "market",
    "orders_today",
    "priority",
    "tags",
];

/// Builds node maps: `#{id, kind, country, market, priority, tags, daily_capacity,
/// orders_today, distance_km, in_market, atp: #{sku: units}}` (hooks only ever see active
/// nodes that serve the order's channel, so those fields are left out).
///
/// A decision ranks up to every node, so building these maps is a measurable share of it.
/// Every node map has the same keys, and every `atp` map the same SKUs (the order's, in
/// sorted order), so each is cloned from a template built once per decision and its values
/// are written in key order: no key is hashed, compared or allocated per node.
#[derive(Default)]
struct NodeMaps {
    node: Option<Map>,
    /// The `atp` template: the order's SKUs as keys.
    atp: Option<Map>,
}

impl NodeMaps {
    fn build(&mut self, node: &Node, facts: &NodeFacts<'_>) -> Map {
        let atp = Dynamic::from_map(self.atp_map(facts));
        let values = [
            atp,
            text(&node.country),
            node.daily_capacity
                .map_or(Dynamic::UNIT, |c| int(u64::from(c))),
            opt_decimal(facts.distance_km),
            text(&node.id),
            Dynamic::from_bool(facts.in_market),
            text(node.kind.as_str()),
            opt_text(node.market.as_deref()),
            int(u64::from(node.orders_today)),
            int(u64::from(node.priority)),
            strings(&node.tags),
        ];
        let mut map = self
            .node
            .get_or_insert_with(|| {
                NODE_KEYS
                    .iter()
                    .map(|key| ((*key).into(), Dynamic::UNIT))
                    .collect()
            })
            .clone();
        for (slot, value) in map.values_mut().zip(values) {
            *slot = value;
        }
        map
    }

    fn atp_map(&mut self, facts: &NodeFacts<'_>) -> Map {
        // A template serves a node when its keys, in iteration order, are the node's SKUs
        // in `facts.atp` order (the engine gives every node the order's SKUs, sorted and
        // without repeats, so one template serves them all).
        let fits = |template: &Map| {
            template.len() == facts.atp.len()
                && template
                    .keys()
                    .zip(&facts.atp)
                    .all(|(k, (sku, _))| k == sku)
        };
        if !self.atp.as_ref().is_some_and(fits) {
            let template: Map = facts
                .atp
                .iter()
                .map(|(sku, _)| ((*sku).into(), Dynamic::UNIT))
                .collect();
            if !fits(&template) {
                return facts
                    .atp
                    .iter()
                    .map(|(sku, units)| ((*sku).into(), int(*units)))
                    .collect();
            }
            self.atp = Some(template);
        }
        let mut map = self.atp.clone().unwrap_or_default();
        for (slot, (_, units)) in map.values_mut().zip(&facts.atp) {
            *slot = int(*units);
        }
        map
    }
}
