//! The returns engine's policy hooks: their specs, the script values they receive, and
//! how their results are read.
//!
//! Inputs are converted once per decision: one `request` map and one map per item, built
//! directly as `rhai::Map`s (no serde on the hot path). Between stages the engine updates
//! the few fields that change (an item's `status`, `reason_codes`, `window_days`,
//! `refund`; the request's `refund_total`).
//!
//! For speed, the maps are filled positionally (their keys are fixed and sorted), either
//! from a template or by refilling the maps of an earlier decision kept in the engine's
//! pool; words the engine hands out again and again (statuses, conditions, reason codes)
//! are shared strings made once per engine. What a script sees is the same either way.
//!
//! Every value a hook receives is read-only (rhai's access mode, set on the map and,
//! recursively, on every value in it). The engine's own updates go through `write_lock`,
//! which ignores the mode, and mark each value they write read-only; a `Dynamic` clone is
//! read-write again, so a copied value is marked after cloning. Rhai would still let a
//! script add a key to a read-only map; such assignments are refused when the policy is
//! attached (`policy.read_only_argument`, see `Policy::bind`).

use super::config::{Unlimited, WindowLength};
use super::types::{
    Condition, Disposition, FraudSignal, ItemStatus, OrderLine, ReturnRequest, SettlementMethod,
    WindowBasis,
};
use crate::policy::{bridge, HookSpec, Policy};
use crate::{Diagnostic, PolicySource};
use rhai::{Array, Dynamic, ImmutableString, Map};
use rust_decimal::Decimal;
use std::sync::Mutex;

/// The hooks a returns policy may define. Every hook may return `()` to leave the
/// decision to the built-in rules.
///
/// The `item` map: `line_id`, `sku`, `product_id`, `category`, `quantity`, `reason`,
/// `merchant_fault` (bool), `condition`, `final_sale`, `gift_card`, `unit_price`
/// (decimal), `attributes` (map of strings), `returned_weight_grams` (int or `()`),
/// `exchange_sku` (string or `()`), `window_basis` (`delivered`/`shipped`/`placed`),
/// `days_since_delivery` (calendar days in the merchant's zone from the window's basis
/// date), `window_days` (int, or `()` when unlimited), `inside_window` (bool), `status`
/// (`accepted`/`review`/`rejected`, the built-in verdict), `reason_codes` (array), and
/// `refund` (decimal, what the units were paid; zero before refunds are computed).
///
/// The `request` map: `order_id`, `currency`, `customer_id`, `payment_method`,
/// `ship_to_country`, `ship_from_country`, `requested_settlement`, `now` (timestamp),
/// `days_since_delivery` (the smallest among the items), `customer` (the customer history
/// with the same field names as its JSON; money values as decimals in the order's
/// currency), `items` (copies of the item maps, kept up to date), and `refund_total`
/// (decimal, the merchandise refund of the items not rejected; `()` until refunds are
/// computed).
///
/// Both maps, and everything nested in them, are read-only: a hook that tries to change
/// one fails (see [the module docs](crate::returns#hook-arguments-are-read-only));
/// `let copy = item;` makes a copy it may change.
pub static HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "eligibility",
        params: &["item", "request"],
        args: &[],
        returns: r#"#{decision: "accept"|"reject"|"review", reason: string, message?: string} or ()"#,
        doc: "Decides one item instead of the built-in validators (whose verdict is item.status); a reject inside the statutory minimum window becomes review.",
    },
    HookSpec {
        name: "window_days",
        params: &["item", "request"],
        args: &[],
        returns: r#"int (days) or "unlimited" or ()"#,
        doc: "The return window of one item in days; never shorter than the statutory minimum.",
    },
    HookSpec {
        name: "restocking_fee_percent",
        params: &["item", "request"],
        args: &[],
        returns: "decimal or int between 0 and 100, or ()",
        doc: "The restocking fee of one item (not called for rejected items) as a percentage of what its units were paid.",
    },
    HookSpec {
        name: "disposition",
        params: &["item", "request"],
        args: &[],
        returns: r#""restock"|"refurbish"|"liquidate"|"donate"|"dispose"|"return_to_vendor" or ()"#,
        doc: "What happens to the returned goods of one item (not called for rejected items).",
    },
    HookSpec {
        name: "settlement",
        params: &["request"],
        args: &[],
        returns: r#""original_payment"|"store_credit"|"exchange" or ()"#,
        doc: "How the refund is paid (exchange needs every item's exchange_sku).",
    },
    HookSpec {
        name: "fraud_signals",
        params: &["request"],
        args: &[],
        returns: "array of #{code: string, weight: int, detail?: string, observed?: any}, or ()",
        doc: "Extra fraud signals; their weights add to the score like the built-in ones.",
    },
];

/// A hook that failed: its diagnostic and where it lives.
pub(crate) struct HookFailure {
    pub(crate) diagnostic: Diagnostic,
    pub(crate) source: PolicySource,
}

/// An `eligibility` hook's verdict.
pub(crate) struct Verdict {
    pub(crate) status: ItemStatus,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) source: PolicySource,
}

/// What the engine knows about an item before the hooks run.
pub(crate) struct ItemSeed {
    pub(crate) merchant_fault: bool,
    pub(crate) basis: WindowBasis,
    pub(crate) days_elapsed: i64,
    /// The item's reason code as a script string, shared with the engine's taxonomy.
    pub(crate) reason: Option<ImmutableString>,
}

/// Script strings the engine hands to policies again and again (statuses, window bases,
/// conditions, the settlement methods), made once per engine: giving one to a script
/// costs a reference count instead of an allocation.
#[derive(Debug, Clone)]
pub(crate) struct Words {
    accepted: ImmutableString,
    review: ImmutableString,
    rejected: ImmutableString,
    delivered: ImmutableString,
    shipped: ImmutableString,
    placed: ImmutableString,
    conditions: [ImmutableString; 5],
    settlements: [ImmutableString; 3],
    /// Maps with every key and `()` values, cloned then filled for each decision: a
    /// clone copies the keys in order, with no search or comparison per key.
    item: Map,
    item_without_line: Map,
    customer: Map,
    request: Map,
    /// Maps of earlier decisions, refilled by later ones.
    pool: MapPool,
}

/// The keys of an item map, in the order a `Map` iterates them (sorted).
const ITEM_KEYS: [&str; 21] = [
    "attributes",
    "category",
    "condition",
    "days_since_delivery",
    "exchange_sku",
    "final_sale",
    "gift_card",
    "inside_window",
    "line_id",
    "merchant_fault",
    "product_id",
    "quantity",
    "reason",
    "reason_codes",
    "refund",
    "returned_weight_grams",
    "sku",
    "status",
    "unit_price",
    "window_basis",
    "window_days",
];

/// Positions in `ITEM_KEYS` of the fields the engine updates between hooks.
const INSIDE_WINDOW: usize = 7;
const REASON_CODES: usize = 13;
const REFUND: usize = 14;
const STATUS: usize = 17;
const WINDOW_DAYS: usize = 20;

/// The keys of the map of an item whose line is unknown (sorted).
const ITEM_KEYS_WITHOUT_LINE: [&str; 14] = [
    "condition",
    "days_since_delivery",
    "exchange_sku",
    "inside_window",
    "line_id",
    "merchant_fault",
    "quantity",
    "reason",
    "reason_codes",
    "refund",
    "returned_weight_grams",
    "status",
    "window_basis",
    "window_days",
];

/// The keys of `request.customer` (sorted).
const CUSTOMER_KEYS: [&str; 12] = [
    "account_age_days",
    "chargebacks",
    "linked_flagged_accounts",
    "loyalty_tier",
    "orders_365d",
    "orders_90d",
    "refunds_without_return",
    "return_value_365d",
    "return_value_90d",
    "returns_30d",
    "returns_365d",
    "returns_90d",
];

/// The keys of the request map (sorted).
const REQUEST_KEYS: [&str; 12] = [
    "currency",
    "customer",
    "customer_id",
    "days_since_delivery",
    "items",
    "now",
    "order_id",
    "payment_method",
    "refund_total",
    "requested_settlement",
    "ship_from_country",
    "ship_to_country",
];

/// Script maps of finished decisions, refilled by the next ones: a map that already has
/// every key is refilled in place (no node allocations, no key copies), and returning
/// it costs no deallocation. A map comes back only when no script value still holds it
/// and its keys are checked when it is refilled; a busy pool (another thread deciding)
/// is simply skipped. The maps include the copies in `request.items`.
///
/// A pooled map keeps the values of its last decision (SKUs, ids, amounts) until the
/// next decision overwrites them: dropping them when the map comes back was measured at
/// 3.8% (strings and maps only) to 6.5% (every value) more instructions per decision in
/// the returns bench (callgrind), so it is not done.
#[derive(Default)]
pub(crate) struct MapPool(Mutex<Pooled>);

#[derive(Default)]
struct Pooled {
    items: Vec<Map>,
    /// The copies of item maps in `request.items`.
    copies: Vec<Map>,
    customers: Vec<Map>,
    requests: Vec<Map>,
}

/// At most this many item maps wait in a pool (customer and request maps: a quarter).
const POOLED_ITEMS: usize = 64;

impl Clone for MapPool {
    /// A clone of an engine starts with an empty pool.
    fn clone(&self) -> Self {
        MapPool::default()
    }
}

impl std::fmt::Debug for MapPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MapPool")
    }
}

/// The map inside a script value, when nothing else holds it (`flatten` copies a map
/// that is still shared; that copy is simply dropped).
fn into_map(value: Dynamic) -> Option<Map> {
    value.flatten().try_cast::<Map>()
}

/// Writes fields of an item map: `(position in ITEM_KEYS, key, value)`, by increasing
/// position. One walk over the map from its last key (the fields that change sit near
/// the end) writes each value whose slot holds the expected key (no search); a key found
/// elsewhere is written by name instead. With `copy`, a clone of each value is written
/// (marked read-only again: rhai's `Clone` makes a value read-write); else the value is
/// moved.
fn write_fields(map: &mut Map, updates: &mut [(usize, &'static str, Dynamic)], copy: bool) {
    let give = |value: &mut Dynamic| {
        if copy {
            value.clone().into_read_only()
        } else {
            std::mem::take(value)
        }
    };
    let len = map.len();
    let mut written = [false; 4];
    // The update to place next: the one with the highest position not yet passed.
    let mut next = updates.len();
    for (from_end, (key, slot)) in map.iter_mut().rev().enumerate() {
        let Some(pending) = next.checked_sub(1) else {
            break;
        };
        let Some((wanted, name, value)) = updates.get_mut(pending) else {
            break;
        };
        if len.saturating_sub(from_end + 1) > *wanted {
            continue;
        }
        if key.as_str() == *name {
            *slot = give(value);
            if let Some(done) = written.get_mut(pending) {
                *done = true;
            }
        }
        next = pending;
    }
    for (i, (_, name, value)) in updates.iter_mut().enumerate() {
        if !written.get(i).copied().unwrap_or(false) {
            let value = give(value);
            match map.get_mut(*name) {
                Some(slot) => *slot = value,
                None => {
                    map.insert((*name).into(), value);
                }
            }
        }
    }
}

/// A copy of `item` for `request.items`: `recycled` refilled with clones of the values
/// when it has the same keys (checked while walking it), else a clone of the map.
fn copy_of(item: &Map, recycled: Option<Map>) -> Map {
    if let Some(mut copy) = recycled.filter(|c| c.len() == item.len()) {
        let mut same = true;
        for ((key, slot), (item_key, value)) in copy.iter_mut().zip(item) {
            if key != item_key {
                same = false;
                break;
            }
            *slot = value.clone();
        }
        if same {
            return copy;
        }
    }
    item.clone()
}

fn template(keys: &[&str]) -> Map {
    keys.iter().map(|k| ((*k).into(), Dynamic::UNIT)).collect()
}

/// A map with `keys` (sorted, as a map iterates them; a unit test checks it) holding
/// `values` in key order: `recycled` refilled in place when it still has exactly those
/// keys (checked while walking it), else a copy of `template`.
fn fill<const N: usize>(
    keys: &[&str; N],
    template: &Map,
    recycled: Option<Map>,
    values: [Dynamic; N],
) -> Map {
    let mut values = values.into_iter();
    if let Some(mut map) = recycled.filter(|m| m.len() == N) {
        let mut same = true;
        for ((key, slot), expected) in map.iter_mut().zip(keys) {
            if key.as_str() != *expected {
                same = false;
                break;
            }
            if let Some(value) = values.next() {
                *slot = value;
            }
        }
        if same {
            return map;
        }
        // A script changed this map's keys: move the values written so far, and the
        // rest, into a copy of the template.
        let written = N.saturating_sub(values.len());
        let mut all: Vec<Dynamic> = keys
            .iter()
            .take(written)
            .map(|k| map.get_mut(*k).map(std::mem::take).unwrap_or_default())
            .collect();
        all.extend(values);
        let mut fresh = template.clone();
        for (slot, value) in fresh.values_mut().zip(all) {
            *slot = value;
        }
        return fresh;
    }
    let mut map = template.clone();
    for (slot, value) in map.values_mut().zip(values) {
        *slot = value;
    }
    map
}

impl Words {
    pub(crate) fn new() -> Self {
        let word = |s: &str| ImmutableString::from(s);
        Words {
            accepted: word(ItemStatus::Accepted.as_str()),
            review: word(ItemStatus::Review.as_str()),
            rejected: word(ItemStatus::Rejected.as_str()),
            delivered: word("delivered"),
            shipped: word("shipped"),
            placed: word("placed"),
            conditions: [
                Condition::New,
                Condition::Opened,
                Condition::Used,
                Condition::Damaged,
                Condition::MissingParts,
            ]
            .map(|c| word(c.as_str())),
            settlements: [
                SettlementMethod::OriginalPayment,
                SettlementMethod::StoreCredit,
                SettlementMethod::Exchange,
            ]
            .map(|m| word(m.as_str())),
            item: template(&ITEM_KEYS),
            item_without_line: template(&ITEM_KEYS_WITHOUT_LINE),
            customer: template(&CUSTOMER_KEYS),
            request: template(&REQUEST_KEYS),
            pool: MapPool::default(),
        }
    }

    fn status(&self, status: ItemStatus) -> Dynamic {
        Dynamic::from(match status {
            ItemStatus::Accepted => self.accepted.clone(),
            ItemStatus::Review => self.review.clone(),
            ItemStatus::Rejected => self.rejected.clone(),
        })
    }

    fn basis(&self, basis: WindowBasis) -> Dynamic {
        Dynamic::from(match basis {
            WindowBasis::Delivered => self.delivered.clone(),
            WindowBasis::Shipped => self.shipped.clone(),
            WindowBasis::Placed => self.placed.clone(),
        })
    }

    fn condition(&self, condition: Condition) -> Dynamic {
        let index = match condition {
            Condition::New => 0,
            Condition::Opened => 1,
            Condition::Used => 2,
            Condition::Damaged => 3,
            Condition::MissingParts => 4,
        };
        self.conditions
            .get(index)
            .cloned()
            .map_or_else(|| text(condition.as_str()), Dynamic::from)
    }

    fn settlement(&self, method: SettlementMethod) -> Dynamic {
        let index = match method {
            SettlementMethod::OriginalPayment => 0,
            SettlementMethod::StoreCredit => 1,
            SettlementMethod::Exchange => 2,
        };
        self.settlements
            .get(index)
            .cloned()
            .map_or_else(|| text(method.as_str()), Dynamic::from)
    }
}

/// Which of [`HOOKS`] a policy defines, found once when the policy is attached (one bit
/// per hook, in the order of `HOOKS`), so that a decision does not look names up.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct DefinedHooks {
    bits: u8,
}

impl DefinedHooks {
    pub(crate) fn of(policy: &Policy) -> Self {
        let mut bits = 0u8;
        for (bit, hook) in HOOKS.iter().enumerate() {
            if policy.has_hook(hook.name) {
                bits |= 1u8
                    .checked_shl(u32::try_from(bit).unwrap_or(u32::MAX))
                    .unwrap_or(0);
            }
        }
        DefinedHooks { bits }
    }

    /// Whether the policy defines any of the returns hooks (otherwise no script values
    /// need to be built at all).
    pub(crate) fn any(self) -> bool {
        self.bits != 0
    }

    /// Whether the policy defines the hook at `position` in `HOOKS`.
    fn has(self, position: u32) -> bool {
        self.bits
            .checked_shr(position)
            .is_some_and(|bits| bits & 1 == 1)
    }
}

/// Positions of the hooks in [`HOOKS`].
const ELIGIBILITY: u32 = 0;
const WINDOW_DAYS_HOOK: u32 = 1;
const RESTOCKING_FEE_PERCENT: u32 = 2;
const DISPOSITION: u32 = 3;
const SETTLEMENT: u32 = 4;
const FRAUD_SIGNALS: u32 = 5;

/// One decision's view of the policy: inputs converted once, hooks called by name.
pub(crate) struct Session<'p> {
    policy: &'p Policy,
    defined: DefinedHooks,
    words: &'p Words,
    request: Dynamic,
    items: Vec<Dynamic>,
    output: Vec<String>,
    keep_output: bool,
}

type HookResult<T> = Result<T, Box<HookFailure>>;

fn text(s: &str) -> Dynamic {
    // Straight into an `ImmutableString` (inline for short text), without a `String`.
    Dynamic::from(ImmutableString::from(s))
}

fn opt_text(s: Option<&str>) -> Dynamic {
    s.map_or(Dynamic::UNIT, text)
}

fn int(i: impl Into<i64>) -> Dynamic {
    Dynamic::from_int(i.into())
}

impl<'p> Session<'p> {
    /// Builds the script values for one request. `lines` gives each item's order line
    /// (`None` only for a line id that validation would have refused).
    ///
    /// Every map is filled with its values in key order (see [`fill`]): no search or key
    /// comparison per entry.
    pub(crate) fn new(
        policy: &'p Policy,
        defined: DefinedHooks,
        words: &'p Words,
        request: &ReturnRequest,
        lines: &[Option<&OrderLine>],
        seeds: &[ItemSeed],
        keep_output: bool,
    ) -> Self {
        let mut pooled = words.pool.0.try_lock().ok();
        let order = &request.order;
        let mut items = Vec::with_capacity(request.items.len());
        let mut copies = Vec::with_capacity(request.items.len());
        for ((item, seed), line) in request.items.iter().zip(seeds).zip(lines) {
            let reason = seed
                .reason
                .clone()
                .map_or_else(|| text(&item.reason), Dynamic::from);
            let returned_weight_grams = item.returned_weight_grams.map_or(Dynamic::UNIT, int);
            let exchange_sku = opt_text(item.exchange_sku.as_deref());
            // Values in the order of `ITEM_KEYS` / `ITEM_KEYS_WITHOUT_LINE`.
            let m = match line {
                Some(line) => {
                    let attributes: Map = line
                        .attributes
                        .iter()
                        .map(|(k, v)| (k.as_str().into(), text(v)))
                        .collect();
                    fill(
                        &ITEM_KEYS,
                        &words.item,
                        pooled.as_mut().and_then(|p| p.items.pop()),
                        [
                            Dynamic::from_map(attributes),
                            text(&line.category),
                            words.condition(item.condition),
                            int(seed.days_elapsed),
                            exchange_sku,
                            Dynamic::from_bool(line.final_sale),
                            Dynamic::from_bool(line.gift_card),
                            Dynamic::TRUE,
                            text(&item.line_id),
                            Dynamic::from_bool(seed.merchant_fault),
                            text(line.product_id.as_deref().unwrap_or(&line.sku)),
                            int(item.quantity),
                            reason,
                            Dynamic::from_array(Array::new()),
                            bridge::decimal(Decimal::ZERO),
                            returned_weight_grams,
                            text(&line.sku),
                            words.status(ItemStatus::Accepted),
                            bridge::decimal(line.unit_price.amount()),
                            words.basis(seed.basis),
                            Dynamic::UNIT,
                        ],
                    )
                }
                None => fill(
                    &ITEM_KEYS_WITHOUT_LINE,
                    &words.item_without_line,
                    None,
                    [
                        words.condition(item.condition),
                        int(seed.days_elapsed),
                        exchange_sku,
                        Dynamic::TRUE,
                        text(&item.line_id),
                        Dynamic::from_bool(seed.merchant_fault),
                        int(item.quantity),
                        reason,
                        Dynamic::from_array(Array::new()),
                        bridge::decimal(Decimal::ZERO),
                        returned_weight_grams,
                        words.status(ItemStatus::Accepted),
                        words.basis(seed.basis),
                        Dynamic::UNIT,
                    ],
                ),
            };
            // Read-only, like every value a hook receives (and every value nested in
            // it): a hook cannot change what the engine or a later hook sees.
            // Shared: an item hook call clones a pointer, not the map. `request.items`
            // holds plain copies (see `set_fields`): rhai's size checks stop with an
            // internal error on a shared value nested inside an array or a map.
            let copy = copy_of(&m, pooled.as_mut().and_then(|p| p.copies.pop()));
            copies.push(Dynamic::from_map(copy));
            items.push(Dynamic::from_map(m).into_read_only().into_shared());
        }

        let c = &request.customer;
        let money =
            |m: &Option<crate::Money>| m.map_or(Dynamic::UNIT, |m| bridge::decimal(m.amount()));
        // Values in the order of `CUSTOMER_KEYS`.
        let customer = fill(
            &CUSTOMER_KEYS,
            &words.customer,
            pooled.as_mut().and_then(|p| p.customers.pop()),
            [
                c.account_age_days.map_or(Dynamic::UNIT, int),
                int(c.chargebacks),
                int(c.linked_flagged_accounts),
                opt_text(c.loyalty_tier.as_deref()),
                int(c.orders_365d),
                int(c.orders_90d),
                int(c.refunds_without_return),
                money(&c.return_value_365d),
                money(&c.return_value_90d),
                int(c.returns_30d),
                int(c.returns_365d),
                int(c.returns_90d),
            ],
        );

        // Values in the order of `REQUEST_KEYS`.
        let r = fill(
            &REQUEST_KEYS,
            &words.request,
            pooled.as_mut().and_then(|p| p.requests.pop()),
            [
                text(order.currency.code()),
                Dynamic::from_map(customer),
                opt_text(order.customer_id.as_deref()),
                seeds
                    .iter()
                    .map(|s| s.days_elapsed)
                    .min()
                    .map_or(Dynamic::UNIT, int),
                Dynamic::from_array(copies),
                bridge::timestamp(request.now),
                text(&order.order_id),
                text(&order.payment_method),
                Dynamic::UNIT,
                words.settlement(request.requested_settlement),
                opt_text(request.ship_from_country.as_deref()),
                opt_text(order.ship_to_country.as_deref()),
            ],
        );
        Session {
            policy,
            defined,
            words,
            request: Dynamic::from_map(r).into_read_only().into_shared(),
            items,
            output: Vec::new(),
            keep_output,
        }
    }

    /// Gives the maps of this decision back to the engine's pool for the next decisions.
    pub(crate) fn recycle(self) {
        let Session {
            request,
            items,
            words,
            ..
        } = self;
        let Ok(mut pooled) = words.pool.0.try_lock() else {
            return;
        };
        // The request first: its `items` holds copies of the item maps.
        if let Some(mut r) = into_map(request) {
            let copies = r
                .get_mut("items")
                .map(std::mem::take)
                .and_then(|items| items.try_cast::<Array>());
            for copy in copies.into_iter().flatten() {
                if pooled.copies.len() >= POOLED_ITEMS {
                    break;
                }
                if let Some(copy) = copy.try_cast::<Map>() {
                    pooled.copies.push(copy);
                }
            }
            let customer = r.get_mut("customer").map(std::mem::take);
            if let Some(c) = customer.and_then(into_map) {
                if pooled.customers.len() < POOLED_ITEMS / 4 {
                    pooled.customers.push(c);
                }
            }
            if pooled.requests.len() < POOLED_ITEMS / 4 {
                pooled.requests.push(r);
            }
        }
        for item in items {
            if pooled.items.len() >= POOLED_ITEMS {
                break;
            }
            if let Some(m) = into_map(item) {
                pooled.items.push(m);
            }
        }
    }

    fn failure(&self, hook: &str, diagnostic: Diagnostic) -> Box<HookFailure> {
        Box::new(HookFailure {
            diagnostic: self.policy.annotate(diagnostic),
            source: self.policy.source_ref(hook),
        })
    }

    /// Calls an item hook; `Ok(None)` when the policy does not define it.
    fn call_item(
        &mut self,
        hook: &str,
        position: u32,
        index: usize,
    ) -> HookResult<Option<Dynamic>> {
        if !self.defined.has(position) {
            return Ok(None);
        }
        let item = self.items.get(index).cloned().unwrap_or_default();
        let result = self.policy.call(hook, (item, self.request.clone()));
        self.finish(hook, result)
    }

    fn call_request(&mut self, hook: &str, position: u32) -> HookResult<Option<Dynamic>> {
        if !self.defined.has(position) {
            return Ok(None);
        }
        let result = self.policy.call(hook, (self.request.clone(),));
        self.finish(hook, result)
    }

    /// Reads a hook's result.
    fn finish(
        &mut self,
        hook: &str,
        result: Result<crate::policy::HookOutput, Diagnostic>,
    ) -> HookResult<Option<Dynamic>> {
        match result {
            Ok(out) => {
                if self.keep_output {
                    self.output.extend(out.output);
                }
                Ok(Some(out.value))
            }
            Err(diagnostic) => Err(self.failure(hook, diagnostic)),
        }
    }

    /// `window_days(item, request)`.
    pub(crate) fn window_days(&mut self, index: usize) -> HookResult<Option<WindowLength>> {
        const HOOK: &str = "window_days";
        const EXPECTED: &str = r#"a number of days (0 or more), "unlimited" or ()"#;
        let Some(value) = self.call_item(HOOK, WINDOW_DAYS_HOOK, index)? else {
            return Ok(None);
        };
        if bridge::is_unit(&value) {
            return Ok(None);
        }
        if let Ok(days) = value.as_int() {
            return match u32::try_from(days) {
                Ok(days) => Ok(Some(WindowLength::Days(days))),
                Err(_) => Err(self.failure(HOOK, bridge::bad_return(HOOK, EXPECTED, &value))),
            };
        }
        match bridge::expect_string(&value, HOOK, EXPECTED) {
            Ok(s) if s == "unlimited" => Ok(Some(WindowLength::Unlimited(Unlimited::Unlimited))),
            Ok(_) => Err(self.failure(HOOK, bridge::bad_return(HOOK, EXPECTED, &value))),
            Err(diagnostic) => Err(self.failure(HOOK, diagnostic)),
        }
    }

    /// Writes fields of the item at `index` and of its copy in `request.items` (see
    /// [`write_fields`]).
    fn set_fields(&mut self, index: usize, updates: &mut [(usize, &'static str, Dynamic)]) {
        // Read-only like the rest of the map (rhai's `write_lock` ignores the access mode,
        // so the engine can still write; the value written keeps its own).
        for (_, _, value) in updates.iter_mut() {
            *value = std::mem::take(value).into_read_only();
        }
        // The copy of the item in `request.items` gets the same values (cloned first).
        if let Some(mut request) = self.request.write_lock::<Map>() {
            let items = match request.iter_mut().nth(4) {
                // `items`, at its place in the sorted keys (no search).
                Some((key, items)) if key.as_str() == "items" => Some(items),
                _ => request.get_mut("items"),
            };
            if let Some(mut items) = items.and_then(|i| i.write_lock::<Array>()) {
                if let Some(mut copy) = items.get_mut(index).and_then(|c| c.write_lock::<Map>()) {
                    write_fields(&mut copy, updates, true);
                }
            }
        }
        if let Some(mut item) = self
            .items
            .get_mut(index)
            .and_then(|i| i.write_lock::<Map>())
        {
            write_fields(&mut item, updates, false);
        }
    }

    /// Records the window that applies to an item and its built-in status and reason
    /// codes.
    pub(crate) fn set_window_and_status(
        &mut self,
        index: usize,
        days: Option<u32>,
        inside: bool,
        status: ItemStatus,
        codes: &[String],
    ) {
        let codes: Array = codes.iter().map(|c| text(c)).collect();
        let status = self.words.status(status);
        self.set_fields(
            index,
            &mut [
                (INSIDE_WINDOW, "inside_window", Dynamic::from_bool(inside)),
                (REASON_CODES, "reason_codes", Dynamic::from_array(codes)),
                (STATUS, "status", status),
                (WINDOW_DAYS, "window_days", days.map_or(Dynamic::UNIT, int)),
            ],
        );
    }

    /// Records an item's current status and reason codes.
    pub(crate) fn set_status(&mut self, index: usize, status: ItemStatus, codes: &[String]) {
        let codes: Array = codes.iter().map(|c| text(c)).collect();
        let status = self.words.status(status);
        self.set_fields(
            index,
            &mut [
                (REASON_CODES, "reason_codes", Dynamic::from_array(codes)),
                (STATUS, "status", status),
            ],
        );
    }

    /// Records what an item's units were paid.
    pub(crate) fn set_refund(&mut self, index: usize, refund: Decimal) {
        self.set_fields(index, &mut [(REFUND, "refund", bridge::decimal(refund))]);
    }

    /// `eligibility(item, request)`.
    pub(crate) fn eligibility(&mut self, index: usize) -> HookResult<Option<Verdict>> {
        const HOOK: &str = "eligibility";
        const EXPECTED: &str = r#"#{decision: "accept"|"reject"|"review", reason: "<code>", message?: "<text>"} or ()"#;
        let Some(value) = self.call_item(HOOK, ELIGIBILITY, index)? else {
            return Ok(None);
        };
        if bridge::is_unit(&value) {
            return Ok(None);
        }
        let bad = |s: &Self| s.failure(HOOK, bridge::bad_return(HOOK, EXPECTED, &value));
        // Read the returned map in place (no copy), releasing it before any error is made.
        let read = value.read_lock::<Map>().map(|map| {
            let word = |key: &str| {
                map.get(key).and_then(|v| {
                    v.read_lock::<rhai::ImmutableString>()
                        .map(|s| s.to_string())
                })
            };
            let message = map.get("message").map(|m| {
                m.read_lock::<rhai::ImmutableString>()
                    .map(|s| s.to_string())
            });
            (word("decision"), word("reason"), message)
        });
        let Some((decision, reason, message)) = read else {
            let diagnostic = match bridge::expect_map(&value, HOOK, EXPECTED) {
                Err(diagnostic) => diagnostic,
                Ok(_) => bridge::bad_return(HOOK, EXPECTED, &value),
            };
            return Err(self.failure(HOOK, diagnostic));
        };
        let status = match decision.as_deref() {
            Some("accept") => ItemStatus::Accepted,
            Some("reject") => ItemStatus::Rejected,
            Some("review") => ItemStatus::Review,
            _ => return Err(bad(self)),
        };
        let code = match reason {
            Some(code) if !code.trim().is_empty() => code,
            _ => return Err(bad(self)),
        };
        let message = match message {
            None => format!("the policy decided `{}`", status.as_str()),
            Some(Some(s)) => s,
            Some(None) => return Err(bad(self)),
        };
        Ok(Some(Verdict {
            status,
            code,
            message,
            source: self.policy.source_ref(HOOK),
        }))
    }

    /// `restocking_fee_percent(item, request)`.
    pub(crate) fn restocking_fee_percent(
        &mut self,
        index: usize,
    ) -> HookResult<Option<(Decimal, PolicySource)>> {
        const HOOK: &str = "restocking_fee_percent";
        const EXPECTED: &str = "a percentage between 0 and 100 or ()";
        let Some(value) = self.call_item(HOOK, RESTOCKING_FEE_PERCENT, index)? else {
            return Ok(None);
        };
        if bridge::is_unit(&value) {
            return Ok(None);
        }
        let percent =
            bridge::expect_decimal(&value, HOOK, EXPECTED).map_err(|d| self.failure(HOOK, d))?;
        if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
            return Err(self.failure(HOOK, bridge::bad_return(HOOK, EXPECTED, &value)));
        }
        Ok(Some((percent, self.policy.source_ref(HOOK))))
    }

    /// `disposition(item, request)`.
    pub(crate) fn disposition(
        &mut self,
        index: usize,
    ) -> HookResult<Option<(Disposition, PolicySource)>> {
        const HOOK: &str = "disposition";
        const EXPECTED: &str =
            r#""restock", "refurbish", "liquidate", "donate", "dispose", "return_to_vendor" or ()"#;
        let Some(value) = self.call_item(HOOK, DISPOSITION, index)? else {
            return Ok(None);
        };
        if bridge::is_unit(&value) {
            return Ok(None);
        }
        let word =
            bridge::expect_string(&value, HOOK, EXPECTED).map_err(|d| self.failure(HOOK, d))?;
        match Disposition::parse(&word) {
            Some(d) => Ok(Some((d, self.policy.source_ref(HOOK)))),
            None => Err(self.failure(HOOK, bridge::bad_return(HOOK, EXPECTED, &value))),
        }
    }

    /// Records the merchandise refund of the items not rejected.
    pub(crate) fn set_refund_total(&mut self, total: Decimal) {
        if let Some(mut map) = self.request.write_lock::<Map>() {
            let total = bridge::decimal(total).into_read_only();
            match map.get_mut("refund_total") {
                Some(slot) => *slot = total,
                None => {
                    map.insert("refund_total".into(), total);
                }
            }
        }
    }

    /// `settlement(request)`.
    pub(crate) fn settlement(&mut self) -> HookResult<Option<(SettlementMethod, PolicySource)>> {
        const HOOK: &str = "settlement";
        const EXPECTED: &str = r#""original_payment", "store_credit", "exchange" or ()"#;
        let Some(value) = self.call_request(HOOK, SETTLEMENT)? else {
            return Ok(None);
        };
        if bridge::is_unit(&value) {
            return Ok(None);
        }
        let word =
            bridge::expect_string(&value, HOOK, EXPECTED).map_err(|d| self.failure(HOOK, d))?;
        match SettlementMethod::parse(&word) {
            Some(m) => Ok(Some((m, self.policy.source_ref(HOOK)))),
            None => Err(self.failure(HOOK, bridge::bad_return(HOOK, EXPECTED, &value))),
        }
    }

    /// `fraud_signals(request)`.
    pub(crate) fn fraud_signals(&mut self) -> HookResult<Vec<FraudSignal>> {
        const HOOK: &str = "fraud_signals";
        const EXPECTED: &str =
            "an array of #{code: string, weight: int, detail?: string, observed?: any} or ()";
        let Some(value) = self.call_request(HOOK, FRAUD_SIGNALS)? else {
            return Ok(Vec::new());
        };
        if bridge::is_unit(&value) {
            return Ok(Vec::new());
        }
        // Read the returned array in place (no copy); a non-array is reported as before.
        let Some(array) = value.read_lock::<Array>() else {
            let diagnostic = match bridge::expect_array(&value, HOOK, EXPECTED) {
                Err(diagnostic) => diagnostic,
                Ok(_) => bridge::bad_return(HOOK, EXPECTED, &value),
            };
            return Err(self.failure(HOOK, diagnostic));
        };
        let mut signals = Vec::with_capacity(array.len());
        for (index, entry) in array.iter().enumerate() {
            // Names the element and the field at fault.
            let bad = |s: &Self, field: Option<(&str, &str)>, got: Option<&Dynamic>| {
                s.failure(HOOK, bridge::bad_element(HOOK, EXPECTED, index, field, got))
            };
            let Some(map) = entry.read_lock::<Map>() else {
                return Err(bad(self, None, Some(entry)));
            };
            const CODE: (&str, &str) = ("code", "a non-empty string");
            const WEIGHT: (&str, &str) = ("weight", "an integer of 32 bits");
            let code = match map.get("code") {
                None => return Err(bad(self, Some(CODE), None)),
                Some(v) => match v.read_lock::<rhai::ImmutableString>() {
                    Some(s) if !s.trim().is_empty() => s.to_string(),
                    _ => return Err(bad(self, Some(CODE), Some(v))),
                },
            };
            let weight = match map.get("weight") {
                None => return Err(bad(self, Some(WEIGHT), None)),
                Some(v) => match v.as_int().ok().and_then(|w| i32::try_from(w).ok()) {
                    Some(w) => w,
                    None => return Err(bad(self, Some(WEIGHT), Some(v))),
                },
            };
            let detail = match map.get("detail") {
                None => String::new(),
                Some(d) => match d.read_lock::<rhai::ImmutableString>() {
                    Some(s) => s.to_string(),
                    None => return Err(bad(self, Some(("detail", "a string")), Some(d))),
                },
            };
            let observed = map.get("observed").map_or_else(String::new, |o| {
                if o.is_string() {
                    o.read_lock::<rhai::ImmutableString>()
                        .map(|s| s.to_string())
                        .unwrap_or_default()
                } else {
                    o.to_string()
                }
            });
            signals.push(FraudSignal {
                code,
                weight,
                observed,
                detail,
                source: HOOK.to_string(),
            });
        }
        Ok(signals)
    }

    /// Everything the hooks printed (when tracing).
    pub(crate) fn take_output(&mut self) -> Vec<String> {
        std::mem::take(&mut self.output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values<const N: usize>() -> [Dynamic; N] {
        std::array::from_fn(|i| Dynamic::from_int(i as i64))
    }

    fn as_pairs(map: &Map) -> Vec<(String, i64)> {
        map.iter()
            .map(|(k, v)| (k.to_string(), v.as_int().unwrap_or(-1)))
            .collect()
    }

    #[test]
    fn a_recycled_map_is_refilled_in_place_or_rebuilt_when_its_keys_changed() {
        let template = template(&CUSTOMER_KEYS);
        let expected: Vec<(String, i64)> = CUSTOMER_KEYS
            .iter()
            .enumerate()
            .map(|(i, k)| (k.to_string(), i as i64))
            .collect();
        let fresh = fill(&CUSTOMER_KEYS, &template, None, values());
        assert_eq!(as_pairs(&fresh), expected);
        // Same keys: refilled.
        let again = fill(&CUSTOMER_KEYS, &template, Some(fresh.clone()), values());
        assert_eq!(as_pairs(&again), expected);
        // A script removed one key and added another (same length), or added one.
        let mut swapped = fresh.clone();
        swapped.remove("orders_90d");
        swapped.insert("zzz".into(), Dynamic::TRUE);
        let mut grown = fresh.clone();
        grown.insert("aaa".into(), Dynamic::TRUE);
        let mut shrunk = fresh;
        shrunk.remove("chargebacks");
        for changed in [swapped, grown, shrunk] {
            let rebuilt = fill(&CUSTOMER_KEYS, &template, Some(changed), values());
            assert_eq!(as_pairs(&rebuilt), expected);
        }
    }

    #[test]
    fn template_keys_are_sorted_so_values_fill_in_order() {
        for keys in [
            &ITEM_KEYS[..],
            &ITEM_KEYS_WITHOUT_LINE[..],
            &CUSTOMER_KEYS[..],
            &REQUEST_KEYS[..],
        ] {
            assert!(keys.windows(2).all(|w| w[0] < w[1]), "{keys:?}");
            let map = template(keys);
            let iterated: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
            assert_eq!(iterated, keys);
        }
        for (position, hook) in [
            (ELIGIBILITY, "eligibility"),
            (WINDOW_DAYS_HOOK, "window_days"),
            (RESTOCKING_FEE_PERCENT, "restocking_fee_percent"),
            (DISPOSITION, "disposition"),
            (SETTLEMENT, "settlement"),
            (FRAUD_SIGNALS, "fraud_signals"),
        ] {
            assert_eq!(HOOKS[position as usize].name, hook);
        }
        assert!(HOOKS.len() <= 8);
        for (position, key) in [
            (INSIDE_WINDOW, "inside_window"),
            (REASON_CODES, "reason_codes"),
            (REFUND, "refund"),
            (STATUS, "status"),
            (WINDOW_DAYS, "window_days"),
        ] {
            assert_eq!(ITEM_KEYS[position], key);
        }
    }
}
