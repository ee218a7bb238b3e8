//! The routing engine's policy hooks (`eligible`, `rank`, `chain`): their specs, the
//! schemas of the values they receive, the typed views those values are built from, and
//! how their results are read.
//!
//! The [hook session](crate::policy::session) builds a hook's arguments from the views
//! below, with only the fields the hook reads. The order is one value per decision
//! (passed as a shared argument: built at most once per field set and handed to every
//! call by reference count); a node is built from its candidate (the engine's work state:
//! its ATP, distance and market) for each call. Both are read-only, so a hook cannot
//! change what the next call sees (a hook that tries gets "cannot be called on
//! constant"; `let tags = order.tags;` makes a copy it may change). Hooks the policy
//! does not define are never called and nothing is built for them.
//!
//! Routing has no [live](crate::policy::schema::Field::live) fields: everything a hook
//! sees of a node (its ATP per SKU, distance, market) is computed before the first hook
//! runs and does not change during the decision.

use super::plan::Candidate;
use super::{KitComponent, KitLine, Order, OrderLine, Rule, ShipTo};
use crate::policy::bridge;
use crate::policy::schema::{Field, FieldType, Record};
use crate::policy::session::{Answer, Fill, HookArg, HookId};
use crate::policy::HookSpec;
use crate::{Diagnostic, Reason};
use rhai::{Dynamic, Map};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The hooks a routing policy may define.
pub static HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "eligible",
        params: &["node", "order"],
        args: &[FieldType::Record(&NODE), FieldType::Record(&ORDER)],
        returns: "true or () (keep), false (exclude) or a string (exclude, with that reason)",
        doc: "Excludes nodes the built-in checks (active, channel, daily capacity) let through.",
    },
    HookSpec {
        name: "rank",
        params: &["node", "order"],
        args: &[FieldType::Record(&NODE), FieldType::Record(&ORDER)],
        returns: "a number (lower ships first) or () to abstain",
        doc: "Scores a node for the `policy` rule of the chain.",
    },
    HookSpec {
        name: "chain",
        params: &["order"],
        args: &[FieldType::Record(&ORDER)],
        returns: "a non-empty array of rule names, or () for the configured chain",
        doc: "Chooses the rule chain for this order (e.g. express orders put `closest` first).",
    },
];

/// `eligible(node, order)`.
pub(super) const ELIGIBLE: HookId = HookId::named(HOOKS, "eligible");
/// `rank(node, order)`.
pub(super) const RANK: HookId = HookId::named(HOOKS, "rank");
/// `chain(order)`.
pub(super) const CHAIN: HookId = HookId::named(HOOKS, "chain");

/// The key of the order among a decision's shared hook arguments.
pub(super) const ORDER_KEY: u32 = 0;

const TAGS: FieldType = FieldType::Array(&FieldType::String);
const OPT_STRING: FieldType = FieldType::Optional(&FieldType::String);
const OPT_DECIMAL: FieldType = FieldType::Optional(&FieldType::Decimal);

/// The `node` argument of `eligible` and `rank`.
pub static NODE: Record = Record {
    name: "node",
    doc: "An eligible fulfillment node (active, serving the order's channel), with what the engine computed about it.",
    fields: &[
        Field::new(
            "atp",
            FieldType::Dict(&FieldType::Int),
            "Available to promise per order SKU (every SKU of the order, kit components included).",
        ),
        Field::new("country", FieldType::String, "ISO 3166-1 alpha-2 country code."),
        Field::new(
            "daily_capacity",
            FieldType::Optional(&FieldType::Int),
            "Orders the node can take per day; `()` is unlimited.",
        ),
        Field::new(
            "distance_km",
            OPT_DECIMAL,
            "Great-circle distance to the ship-to point in km (0.001 km); `()` without both locations.",
        ),
        Field::new("id", FieldType::String, "Unique node id."),
        Field::new(
            "in_market",
            FieldType::Bool,
            "Whether the node is in the ship-to country, or in its market when both name one.",
        ),
        Field::new(
            "kind",
            FieldType::Word(&["warehouse", "store", "dropship"]),
            "Warehouse, store or drop-shipper.",
        ),
        Field::new(
            "market",
            OPT_STRING,
            "The market it serves (e.g. `EU`), when markets span countries.",
        ),
        Field::new("orders_today", FieldType::Int, "Orders already taken today."),
        Field::new(
            "priority",
            FieldType::Int,
            "Configured priority rank: lower ships first under `priority`.",
        ),
        Field::new("tags", TAGS, "Free-form tags for policies."),
    ],
};

/// The `order` argument of every hook.
pub static ORDER: Record = Record {
    name: "order",
    doc: "The order to route.",
    fields: &[
        Field::new(
            "channel",
            FieldType::String,
            "The sales channel (`web`, `marketplace`, ...).",
        ),
        Field::new(
            "holder",
            FieldType::String,
            "The reservation holder this order uses (default: the order id).",
        ),
        Field::new("id", FieldType::String, "The order id."),
        Field::new(
            "kits",
            FieldType::Array(&FieldType::Record(&KIT)),
            "Kit lines: each kit ships whole from one node.",
        ),
        Field::new(
            "lines",
            FieldType::Array(&FieldType::Record(&LINE)),
            "Plain lines.",
        ),
        Field::new(
            "preferred_node",
            OPT_STRING,
            "A node the customer asked for (pickup in store, ship-from-store), or `()`.",
        ),
        Field::new(
            "ship_to",
            FieldType::Record(&SHIP_TO),
            "Where the order goes.",
        ),
        Field::new(
            "tags",
            TAGS,
            "Free-form tags for policies (`vip`, `express`, ...).",
        ),
        Field::new(
            "units",
            FieldType::Int,
            "Physical units ordered: line quantities plus kit quantities times their components' units.",
        ),
    ],
};

/// `order.ship_to`.
pub static SHIP_TO: Record = Record {
    name: "ship_to",
    doc: "The destination of an order.",
    fields: &[
        Field::new(
            "country",
            FieldType::String,
            "ISO 3166-1 alpha-2 country code.",
        ),
        Field::new(
            "latitude",
            OPT_DECIMAL,
            "Latitude in degrees (−90..=90), or `()`.",
        ),
        Field::new(
            "longitude",
            OPT_DECIMAL,
            "Longitude in degrees (−180..=180), or `()`.",
        ),
        Field::new(
            "market",
            OPT_STRING,
            "The market (e.g. `EU`), when markets span countries.",
        ),
        Field::new("postal_code", OPT_STRING, "Postal code."),
        Field::new("region", OPT_STRING, "Region or state."),
    ],
};

/// An element of `order.lines`.
pub static LINE: Record = Record {
    name: "line",
    doc: "A plain order line.",
    fields: &[
        Field::new(
            "line_id",
            FieldType::String,
            "Unique within the order (kits included).",
        ),
        Field::new("quantity", FieldType::Int, "Units ordered (at least 1)."),
        Field::new("sku", FieldType::String, "The SKU."),
        Field::new(
            "tags",
            TAGS,
            "Free-form tags for policies (`oversized`, `fragile`, ...).",
        ),
    ],
};

/// An element of `order.kits`.
pub static KIT: Record = Record {
    name: "kit",
    doc: "A kit line: `quantity` kits, each made of `components`; a kit ships whole from one node.",
    fields: &[
        Field::new(
            "components",
            FieldType::Array(&FieldType::Record(&COMPONENT)),
            "What one kit is made of.",
        ),
        Field::new(
            "line_id",
            FieldType::String,
            "Unique within the order (plain lines included).",
        ),
        Field::new("quantity", FieldType::Int, "Kits ordered (at least 1)."),
        Field::new(
            "sku",
            FieldType::String,
            "The kit's own SKU (it has no stock of its own).",
        ),
        Field::new("tags", TAGS, "Free-form tags for policies."),
    ],
};

/// An element of a kit's `components`.
pub static COMPONENT: Record = Record {
    name: "component",
    doc: "One component of a kit.",
    fields: &[
        Field::new(
            "quantity",
            FieldType::Int,
            "Units of it per kit (at least 1).",
        ),
        Field::new("sku", FieldType::String, "The component SKU."),
    ],
};

impl HookArg for Order {
    fn record(&self) -> &'static Record {
        &ORDER
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.text("channel", &self.channel);
        fill.text("holder", self.holder());
        fill.text("id", &self.id);
        fill.records("kits", self.kits.iter().map(|k| k as &dyn HookArg));
        fill.records("lines", self.lines.iter().map(|l| l as &dyn HookArg));
        fill.opt_text("preferred_node", self.preferred_node.as_deref());
        fill.record("ship_to", &self.ship_to);
        fill.strings("tags", &self.tags);
        fill.int("units", units(self));
    }
}

/// Physical units of an order: line quantities, plus each kit's quantity times the units
/// of its components.
fn units(order: &Order) -> u64 {
    order
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
        .fold(0u64, u64::saturating_add)
}

impl HookArg for ShipTo {
    fn record(&self) -> &'static Record {
        &SHIP_TO
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.text("country", &self.country);
        fill.opt_decimal("latitude", self.latitude);
        fill.opt_decimal("longitude", self.longitude);
        fill.opt_text("market", self.market.as_deref());
        fill.opt_text("postal_code", self.postal_code.as_deref());
        fill.opt_text("region", self.region.as_deref());
    }
}

impl HookArg for OrderLine {
    fn record(&self) -> &'static Record {
        &LINE
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.text("line_id", &self.line_id);
        fill.int("quantity", self.quantity);
        fill.text("sku", &self.sku);
        fill.strings("tags", &self.tags);
    }
}

impl HookArg for KitLine {
    fn record(&self) -> &'static Record {
        &KIT
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.records(
            "components",
            self.components.iter().map(|c| c as &dyn HookArg),
        );
        fill.text("line_id", &self.line_id);
        fill.int("quantity", self.quantity);
        fill.text("sku", &self.sku);
        fill.strings("tags", &self.tags);
    }
}

impl HookArg for KitComponent {
    fn record(&self) -> &'static Record {
        &COMPONENT
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.int("quantity", self.quantity);
        fill.text("sku", &self.sku);
    }
}

/// A node as hooks see it: the candidate (the node and what the engine computed about it)
/// with the order's SKUs, sorted, for its `atp` map.
pub(super) struct NodeView<'a> {
    /// The node's work state.
    pub candidate: &'a Candidate<'a>,
    /// The order's SKUs and their indices in the candidate's ATP.
    pub skus: &'a BTreeMap<&'a str, usize>,
}

impl HookArg for NodeView<'_> {
    fn record(&self) -> &'static Record {
        &NODE
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        let candidate = self.candidate;
        let node = candidate.node;
        fill.value("atp", || {
            let atp = candidate.atp();
            let map: Map = self
                .skus
                .iter()
                .map(|(sku, &k)| {
                    let units = atp.get(k).copied().unwrap_or(0);
                    (
                        (*sku).into(),
                        Dynamic::from_int(i64::try_from(units).unwrap_or(i64::MAX)),
                    )
                })
                .collect();
            Dynamic::from_map(map)
        });
        fill.text("country", &node.country);
        fill.opt_int("daily_capacity", node.daily_capacity);
        fill.opt_decimal("distance_km", candidate.distance);
        fill.text("id", &node.id);
        fill.bool("in_market", candidate.in_market);
        fill.word("kind", node.kind.as_str());
        fill.opt_text("market", node.market.as_deref());
        fill.int("orders_today", node.orders_today);
        fill.int("priority", node.priority);
        fill.strings("tags", &node.tags);
    }
}

/// What `eligible` said about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Verdict {
    /// The node stays.
    Keep,
    /// The node is out, for this reason.
    Exclude(String),
}

/// What a failing `eligible` falls back to.
pub(super) const ELIGIBLE_FALLBACK: &str = "the node stays eligible";
/// What a failing `rank` falls back to.
pub(super) const RANK_FALLBACK: &str = "the `policy` rule abstains for this node";
/// What a failing `chain` falls back to.
pub(super) const CHAIN_FALLBACK: &str = "using the configured chain";

const ELIGIBLE_SHAPE: &str = "true, false, a string (the reason to exclude) or ()";
const RANK_SHAPE: &str = "a number (lower ships first) or ()";
const CHAIN_SHAPE: &str = "a non-empty array of rule names (preferred_node, minimize_splits, stay_in_market, closest, priority, most_stock, lowest_cost, policy) or ()";

/// Reads `eligible`'s result (not `()`).
pub(super) fn read_eligible(value: &Dynamic) -> Result<Verdict, Diagnostic> {
    if let Ok(keep) = value.as_bool() {
        return Ok(if keep {
            Verdict::Keep
        } else {
            Verdict::Exclude("no reason given".to_string())
        });
    }
    bridge::expect_string(value, "eligible", ELIGIBLE_SHAPE).map(Verdict::Exclude)
}

/// Reads `rank`'s result (not `()`).
pub(super) fn read_rank(value: &Dynamic) -> Result<Decimal, Diagnostic> {
    bridge::expect_decimal(value, "rank", RANK_SHAPE)
}

/// Reads `chain`'s result (not `()`): rule names, each once.
pub(super) fn read_chain(value: &Dynamic) -> Result<Vec<Rule>, Diagnostic> {
    let items = bridge::expect_array(value, "chain", CHAIN_SHAPE)?;
    if items.is_empty() {
        return Err(bridge::bad_return("chain", CHAIN_SHAPE, value).with_help(
            "an empty chain ranks nodes by id alone; return at least one rule name, or () for the configured chain",
        ));
    }
    let mut rules: Vec<Rule> = Vec::with_capacity(items.len());
    for item in &items {
        let name = bridge::expect_string(item, "chain", CHAIN_SHAPE)?;
        match Rule::parse(&name) {
            Some(rule) if !rules.contains(&rule) => rules.push(rule),
            _ => {
                return Err(bridge::bad_return("chain", CHAIN_SHAPE, value)
                    .with_help(format!("`{name}` is not a rule name, or appears twice")))
            }
        }
    }
    Ok(rules)
}

/// A hook's answer as the stages use it: the hook's value, or `None` for the built-in
/// behaviour (the hook is not defined, returned `()`, or failed under
/// [`OnHookError::Fallback`](crate::policy::OnHookError::Fallback), in which case its
/// `policy_error` reason goes to `failures`).
pub(super) fn settle<T>(answer: Answer<T>, failures: &mut Vec<Reason>) -> Option<T> {
    match answer {
        Answer::Value(value) => Some(value),
        Answer::Default => None,
        Answer::Failed(reason) => {
            failures.extend(reason);
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_record_of_every_hook_is_sorted_by_field_name() {
        let mut seen = 0;
        for hook in HOOKS {
            assert_eq!(hook.args.len(), hook.params.len(), "{}", hook.name);
            for ty in hook.args {
                let record = ty.record().unwrap();
                for r in record.reachable() {
                    seen += 1;
                    let names: Vec<&str> = r.fields.iter().map(|f| f.name).collect();
                    let mut sorted = names.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    assert_eq!(names, sorted, "fields of `{}`", r.name);
                }
            }
        }
        // node; order, kit, component, line, ship_to (order three times over).
        assert_eq!(seen, 1 + 5 + 1 + 5 + 5);
        assert_eq!(
            ORDER.reachable().iter().map(|r| r.name).collect::<Vec<_>>(),
            ["order", "kit", "component", "line", "ship_to"]
        );
    }

    #[test]
    fn hook_ids_resolve() {
        use crate::policy::session::BoundHooks;
        use crate::policy::{Policy, PolicyRuntime};
        let ids = [(ELIGIBLE, "eligible"), (RANK, "rank"), (CHAIN, "chain")];
        let nowhere = HookId::named(HOOKS, "no such hook");
        for (id, name) in ids {
            assert_eq!(HookId::named(HOOKS, name), id);
            assert_ne!(id, nowhere, "{name}");
            // A policy defining only this hook defines exactly this id.
            let spec = HOOKS.iter().find(|h| h.name == name).unwrap();
            let source = format!("fn {}({}) {{ () }}", name, spec.params.join(", "));
            let policy = Policy::compile("t.rhai", &source, &PolicyRuntime::new()).unwrap();
            let bound = BoundHooks::bind(policy, "routing", HOOKS).unwrap();
            for (other, other_name) in ids {
                assert_eq!(bound.defines(other), other == id, "{name}: {other_name}");
            }
        }
    }

    #[test]
    fn the_schemas_have_the_keys_of_the_script_maps() {
        let names = |r: &Record| r.fields.iter().map(|f| f.name).collect::<Vec<_>>();
        assert_eq!(
            names(&NODE),
            [
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
                "tags"
            ]
        );
        assert_eq!(
            names(&ORDER),
            [
                "channel",
                "holder",
                "id",
                "kits",
                "lines",
                "preferred_node",
                "ship_to",
                "tags",
                "units"
            ]
        );
        assert_eq!(
            NODE.field("atp").map(|f| f.ty.to_string()),
            Some("map<string, int>".to_string())
        );
        assert_eq!(
            ORDER.field("kits").map(|f| f.ty.to_string()),
            Some("array<kit>".to_string())
        );
        assert!(HOOKS
            .iter()
            .flat_map(|h| h.args)
            .filter_map(|ty| ty.record())
            .flat_map(|r| r.reachable())
            .all(|r| r.fields.iter().all(|f| !f.live)));
    }
}
