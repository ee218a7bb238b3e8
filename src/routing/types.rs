//! The routing engine's input and output types (their serde shape is the JSON API).

use crate::money::serde_decimal;
use crate::Money;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// One rule of the rule chain. Each scores a candidate plan (lower is better) and ranks
/// nodes; see the [module documentation](crate::routing) for the exact scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// Units not shipped from the order's preferred node.
    PreferredNode,
    /// Number of shipments.
    MinimizeSplits,
    /// Shipments from outside the ship-to country or market.
    StayInMarket,
    /// Great-circle distance in km from each shipping node to the ship-to point, summed.
    Closest,
    /// The configured priority ranks of the nodes used, best first.
    Priority,
    /// ATP of the order's SKUs at the nodes used, most first.
    MostStock,
    /// The nodes' cost models: per shipment + per unit + per km.
    LowestCost,
    /// The policy hook `rank(node, order)` (lower is better; `()` abstains).
    Policy,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: [Rule; 8] = [
        Rule::PreferredNode,
        Rule::MinimizeSplits,
        Rule::StayInMarket,
        Rule::Closest,
        Rule::Priority,
        Rule::MostStock,
        Rule::LowestCost,
        Rule::Policy,
    ];

    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::PreferredNode => "preferred_node",
            Rule::MinimizeSplits => "minimize_splits",
            Rule::StayInMarket => "stay_in_market",
            Rule::Closest => "closest",
            Rule::Priority => "priority",
            Rule::MostStock => "most_stock",
            Rule::LowestCost => "lowest_cost",
            Rule::Policy => "policy",
        }
    }

    /// Parses a snake_case rule name.
    pub fn parse(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.as_str() == name)
    }

    /// The default chain: `preferred_node, minimize_splits, stay_in_market, closest, priority`.
    pub fn default_chain() -> Vec<Rule> {
        vec![
            Rule::PreferredNode,
            Rule::MinimizeSplits,
            Rule::StayInMarket,
            Rule::Closest,
            Rule::Priority,
        ]
    }
}

impl std::fmt::Display for Rule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One routing question: an order, the nodes that could ship it, their stock, and `now`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingRequest {
    /// The order to route.
    pub order: Order,
    /// Every fulfillment node the engine may consider.
    pub nodes: Vec<Node>,
    /// Stock rows, one per (node, SKU); a missing row means nothing available.
    #[serde(default)]
    pub stock: Vec<StockRow>,
    /// The moment of the decision (reservations expiring at or before it count for nothing).
    pub now: DateTime<Utc>,
}

/// An order to route.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The order id.
    pub id: String,
    /// The sales channel (`web`, `marketplace`, ...), matched against [`Node::channels`].
    pub channel: String,
    /// Where the order goes.
    pub ship_to: ShipTo,
    /// A node the customer asked for (pickup in store, ship-from-store).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_node: Option<String>,
    /// Plain lines.
    #[serde(default)]
    pub lines: Vec<OrderLine>,
    /// Kit lines: each kit ships whole from one node.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub kits: Vec<KitLine>,
    /// Free-form tags for policies (`vip`, `express`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
    /// The reservation holder this order uses (default: the order id). Reservations held by
    /// it do not count against availability, and the plan's reservations carry it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub holder: Option<String>,
}

impl Order {
    /// The reservation holder: [`Order::holder`] or else the order id.
    pub fn holder(&self) -> &str {
        self.holder.as_deref().unwrap_or(&self.id)
    }
}

/// The destination of an order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipTo {
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// The market (e.g. `EU`), when markets span countries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<String>,
    /// Region or state.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// Postal code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// Latitude in degrees (−90..=90); needed by `closest`.
    #[serde(
        default,
        with = "serde_decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub latitude: Option<Decimal>,
    /// Longitude in degrees (−180..=180); needed by `closest`.
    #[serde(
        default,
        with = "serde_decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub longitude: Option<Decimal>,
}

/// A plain order line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// Unique within the order (kits included).
    pub line_id: String,
    /// The SKU.
    pub sku: String,
    /// Units ordered (at least 1).
    pub quantity: u32,
    /// Free-form tags for policies (`oversized`, `fragile`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

impl OrderLine {
    /// A line without tags.
    pub fn new(line_id: impl Into<String>, sku: impl Into<String>, quantity: u32) -> Self {
        OrderLine {
            line_id: line_id.into(),
            sku: sku.into(),
            quantity,
            tags: Vec::new(),
        }
    }
}

/// A kit line: `quantity` kits, each made of `components`. A kit always ships whole from
/// one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KitLine {
    /// Unique within the order (plain lines included).
    pub line_id: String,
    /// The kit's own SKU (it has no stock of its own).
    pub sku: String,
    /// Kits ordered (at least 1).
    pub quantity: u32,
    /// What one kit is made of (at least one component, each SKU once).
    pub components: Vec<KitComponent>,
    /// Free-form tags for policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// One component of a kit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KitComponent {
    /// The component SKU.
    pub sku: String,
    /// Units of it per kit (at least 1).
    pub quantity: u32,
}

/// What kind of place a node is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NodeKind {
    /// A distribution centre.
    Warehouse,
    /// A shop that can ship or hold for pickup.
    Store,
    /// A supplier shipping on the merchant's behalf.
    Dropship,
}

impl NodeKind {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            NodeKind::Warehouse => "warehouse",
            NodeKind::Store => "store",
            NodeKind::Dropship => "dropship",
        }
    }
}

/// A point on Earth in degrees.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GeoPoint {
    /// Latitude, −90..=90.
    #[serde(with = "serde_decimal")]
    pub latitude: Decimal,
    /// Longitude, −180..=180.
    #[serde(with = "serde_decimal")]
    pub longitude: Decimal,
}

/// A fulfillment node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Node {
    /// Unique node id.
    pub id: String,
    /// Warehouse, store or drop-shipper.
    pub kind: NodeKind,
    /// Where it is; needed by `closest`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<GeoPoint>,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// The market it serves (e.g. `EU`), when markets span countries.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub market: Option<String>,
    /// Configured priority rank: lower ships first under `priority` (default 0).
    #[serde(default)]
    pub priority: u32,
    /// Channels served; an empty list serves every channel.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub channels: Vec<String>,
    /// Inactive nodes ship nothing (default true).
    #[serde(default = "default_true")]
    pub active: bool,
    /// Orders the node can take per day; `None` is unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_capacity: Option<u32>,
    /// Orders already taken today.
    #[serde(default)]
    pub orders_today: u32,
    /// Cost model, needed by `lowest_cost`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost: Option<CostModel>,
    /// Free-form tags for policies.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

fn default_true() -> bool {
    true
}

impl Node {
    /// An active node of `kind` in `country` with priority 0, serving every channel, with
    /// no location, capacity limit or cost model.
    pub fn new(id: impl Into<String>, kind: NodeKind, country: impl Into<String>) -> Self {
        Node {
            id: id.into(),
            kind,
            location: None,
            country: country.into(),
            market: None,
            priority: 0,
            channels: Vec::new(),
            active: true,
            daily_capacity: None,
            orders_today: 0,
            cost: None,
            tags: Vec::new(),
        }
    }
}

/// What shipping from a node costs: per shipment + per unit + per km of great-circle
/// distance. All three amounts must be in one currency, shared by every node.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CostModel {
    /// Fixed cost of one shipment.
    pub per_shipment: Money,
    /// Cost per unit shipped.
    pub per_unit: Money,
    /// Cost per km of distance to the ship-to point.
    pub per_km: Money,
}

/// Stock of one SKU at one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StockRow {
    /// The node holding it.
    pub node_id: String,
    /// The SKU.
    pub sku: String,
    /// Units on hand.
    pub on_hand: u32,
    /// Units never promised.
    #[serde(default)]
    pub safety_stock: u32,
    /// Holds placed by orders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reservations: Vec<Reservation>,
    /// How many units may be sold beyond ATP.
    #[serde(default)]
    pub backorder: BackorderAllowance,
    /// When backordered units are expected.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backorder_expected_at: Option<DateTime<Utc>>,
}

impl StockRow {
    /// A row with `on_hand` units, no safety stock, reservations or backorders.
    pub fn new(node_id: impl Into<String>, sku: impl Into<String>, on_hand: u32) -> Self {
        StockRow {
            node_id: node_id.into(),
            sku: sku.into(),
            on_hand,
            safety_stock: 0,
            reservations: Vec::new(),
            backorder: BackorderAllowance::None,
            backorder_expected_at: None,
        }
    }
}

/// A hold on stock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reservation {
    /// Units held.
    pub quantity: u32,
    /// Who holds them (an order id or another holder name).
    pub holder: String,
    /// When the hold lapses; `None` never.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}

/// How far a (node, SKU) may be sold beyond its ATP. JSON: `"none"`, `"unlimited"` or
/// `{"up_to": 20}`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BackorderAllowance {
    /// No backorders.
    #[default]
    None,
    /// Up to this many units.
    UpTo(u32),
    /// Any number of units.
    Unlimited,
}

impl BackorderAllowance {
    /// The allowance in units (`u64::MAX` for unlimited).
    pub fn units(self) -> u64 {
        match self {
            BackorderAllowance::None => 0,
            BackorderAllowance::UpTo(n) => u64::from(n),
            BackorderAllowance::Unlimited => u64::MAX,
        }
    }
}

/// What the engine decided.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case", deny_unknown_fields)]
pub enum RoutingOutcome {
    /// Every line is covered, from stock or (where allowed) by backorder.
    Routed {
        /// The shipments, best-ranked node first.
        shipments: Vec<Shipment>,
        /// The holds the caller should place to keep this plan (stock units only), sorted
        /// by node id then SKU.
        reservations: Vec<ReservationToPlace>,
        /// The rule chain that decided.
        chain: Vec<Rule>,
    },
    /// At least one line cannot be covered; nothing is promised.
    Unfillable {
        /// Every line the engine could not cover, sorted by line id.
        short_lines: Vec<ShortLine>,
    },
}

impl RoutingOutcome {
    /// The shipments (empty when unfillable).
    pub fn shipments(&self) -> &[Shipment] {
        match self {
            RoutingOutcome::Routed { shipments, .. } => shipments,
            RoutingOutcome::Unfillable { .. } => &[],
        }
    }

    /// Whether the order was routed.
    pub fn is_routed(&self) -> bool {
        matches!(self, RoutingOutcome::Routed { .. })
    }
}

/// One parcel's worth of work for one node.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shipment {
    /// The shipping node.
    pub node_id: String,
    /// The lines it ships, sorted by line id.
    pub lines: Vec<ShipmentLine>,
    /// Great-circle distance to the ship-to point in km (0.001 km precision), when both
    /// locations are known.
    #[serde(
        default,
        with = "serde_decimal::option",
        skip_serializing_if = "Option::is_none"
    )]
    pub distance_km: Option<Decimal>,
}

impl Shipment {
    /// Units (kits for kit lines) shipped from stock and backordered, summed over lines.
    pub fn total_quantity(&self) -> u64 {
        self.lines
            .iter()
            .map(|l| l.quantity.saturating_add(l.backordered))
            .fold(0u64, u64::saturating_add)
    }
}

/// One line (or part of one) in a shipment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShipmentLine {
    /// The order line.
    pub line_id: String,
    /// Its SKU (the kit SKU for kit lines).
    pub sku: String,
    /// Units (kits) shipped from stock now.
    pub quantity: u64,
    /// Units (kits) backordered at this node, to ship when stock arrives.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub backordered: u64,
    /// When backordered units are expected, when the stock row says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expected_at: Option<DateTime<Utc>>,
    /// For kit lines: the component units this shipment picks (stock and backorder).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub components: Vec<KitComponent>,
}

fn is_zero(value: &u64) -> bool {
    *value == 0
}

/// A hold the caller should place so the plan stays valid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReservationToPlace {
    /// The node.
    pub node_id: String,
    /// The SKU (component SKUs for kits).
    pub sku: String,
    /// Units to hold.
    pub quantity: u64,
    /// The holder ([`Order::holder`]).
    pub holder: String,
}

/// A line the engine could not cover.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShortLine {
    /// The order line.
    pub line_id: String,
    /// Its SKU (the kit SKU for kit lines).
    pub sku: String,
    /// Units (kits) ordered.
    pub requested: u64,
    /// Units (kits) available to promise over all eligible nodes together.
    pub available: u64,
}
