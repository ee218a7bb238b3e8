//! The returns engine's policy hooks: their specs, the script values they receive, and
//! how their results are read.
//!
//! Inputs are converted once per decision: one `request` map and one map per item, built
//! directly as `rhai::Map`s (no serde on the hot path). Between stages the engine updates
//! the few fields that change (an item's `status`, `reason_codes`, `window_days`,
//! `refund`; the request's `refund_total`).

use super::config::{Unlimited, WindowLength};
use super::types::{
    Disposition, FraudSignal, ItemStatus, ReturnRequest, SettlementMethod, WindowBasis,
};
use crate::policy::{bridge, HookSpec, Policy};
use crate::{Diagnostic, PolicySource};
use rhai::{Array, Dynamic, Map};
use rust_decimal::Decimal;

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
/// currency), `items` (the item maps as first built), and `refund_total` (decimal, the
/// merchandise refund of the items not rejected; `()` until refunds are computed).
pub static HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "eligibility",
        params: &["item", "request"],
        returns: r#"#{decision: "accept"|"reject"|"review", reason: string, message?: string} or ()"#,
        doc: "Decides one item instead of the built-in validators (whose verdict is item.status); a reject inside the statutory minimum window becomes review.",
    },
    HookSpec {
        name: "window_days",
        params: &["item", "request"],
        returns: r#"int (days) or "unlimited" or ()"#,
        doc: "The return window of one item in days; never shorter than the statutory minimum.",
    },
    HookSpec {
        name: "restocking_fee_percent",
        params: &["item", "request"],
        returns: "decimal or int between 0 and 100, or ()",
        doc: "The restocking fee of one item (not called for rejected items) as a percentage of what its units were paid.",
    },
    HookSpec {
        name: "disposition",
        params: &["item", "request"],
        returns: r#""restock"|"refurbish"|"liquidate"|"donate"|"dispose"|"return_to_vendor" or ()"#,
        doc: "What happens to the returned goods of one item (not called for rejected items).",
    },
    HookSpec {
        name: "settlement",
        params: &["request"],
        returns: r#""original_payment"|"store_credit"|"exchange" or ()"#,
        doc: "How the refund is paid (exchange needs every item's exchange_sku).",
    },
    HookSpec {
        name: "fraud_signals",
        params: &["request"],
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
}

/// One decision's view of the policy: inputs converted once, hooks called by name.
pub(crate) struct Session<'p> {
    policy: &'p Policy,
    request: Dynamic,
    items: Vec<Dynamic>,
    output: Vec<String>,
    keep_output: bool,
}

type HookResult<T> = Result<T, Box<HookFailure>>;

fn text(s: &str) -> Dynamic {
    // Straight into an `ImmutableString` (inline for short text), without a `String`.
    Dynamic::from(rhai::ImmutableString::from(s))
}

fn opt_text(s: Option<&str>) -> Dynamic {
    s.map_or(Dynamic::UNIT, text)
}

fn int(i: impl Into<i64>) -> Dynamic {
    Dynamic::from_int(i.into())
}

fn status_word(status: ItemStatus) -> &'static str {
    status.as_str()
}

impl<'p> Session<'p> {
    /// Builds the script values for one request.
    pub(crate) fn new(
        policy: &'p Policy,
        request: &ReturnRequest,
        seeds: &[ItemSeed],
        keep_output: bool,
    ) -> Self {
        let order = &request.order;
        let mut items = Vec::with_capacity(request.items.len());
        for (item, seed) in request.items.iter().zip(seeds) {
            let line = order.lines.iter().find(|l| l.line_id == item.line_id);
            let mut m = Map::new();
            m.insert("line_id".into(), text(&item.line_id));
            m.insert("quantity".into(), int(item.quantity));
            m.insert("reason".into(), text(&item.reason));
            m.insert(
                "merchant_fault".into(),
                Dynamic::from_bool(seed.merchant_fault),
            );
            m.insert("condition".into(), text(item.condition.as_str()));
            m.insert(
                "returned_weight_grams".into(),
                item.returned_weight_grams.map_or(Dynamic::UNIT, int),
            );
            m.insert(
                "exchange_sku".into(),
                opt_text(item.exchange_sku.as_deref()),
            );
            if let Some(line) = line {
                m.insert("sku".into(), text(&line.sku));
                m.insert(
                    "product_id".into(),
                    text(line.product_id.as_deref().unwrap_or(&line.sku)),
                );
                m.insert("category".into(), text(&line.category));
                m.insert("final_sale".into(), Dynamic::from_bool(line.final_sale));
                m.insert("gift_card".into(), Dynamic::from_bool(line.gift_card));
                m.insert(
                    "unit_price".into(),
                    bridge::decimal(line.unit_price.amount()),
                );
                let attributes: Map = line
                    .attributes
                    .iter()
                    .map(|(k, v)| (k.as_str().into(), text(v)))
                    .collect();
                m.insert("attributes".into(), Dynamic::from_map(attributes));
            }
            m.insert(
                "window_basis".into(),
                text(match seed.basis {
                    WindowBasis::Delivered => "delivered",
                    WindowBasis::Shipped => "shipped",
                    WindowBasis::Placed => "placed",
                }),
            );
            m.insert("days_since_delivery".into(), int(seed.days_elapsed));
            m.insert("window_days".into(), Dynamic::UNIT);
            m.insert("inside_window".into(), Dynamic::TRUE);
            m.insert("status".into(), text("accepted"));
            m.insert("reason_codes".into(), Dynamic::from_array(Array::new()));
            m.insert("refund".into(), bridge::decimal(Decimal::ZERO));
            // Shared: a hook call clones a pointer, not the map, and `request.items`
            // holds the same maps.
            items.push(Dynamic::from_map(m).into_shared());
        }

        let c = &request.customer;
        let mut customer = Map::new();
        customer.insert(
            "account_age_days".into(),
            c.account_age_days.map_or(Dynamic::UNIT, int),
        );
        customer.insert("loyalty_tier".into(), opt_text(c.loyalty_tier.as_deref()));
        customer.insert("orders_90d".into(), int(c.orders_90d));
        customer.insert("orders_365d".into(), int(c.orders_365d));
        customer.insert("returns_30d".into(), int(c.returns_30d));
        customer.insert("returns_90d".into(), int(c.returns_90d));
        customer.insert("returns_365d".into(), int(c.returns_365d));
        customer.insert(
            "return_value_90d".into(),
            c.return_value_90d
                .map_or(Dynamic::UNIT, |m| bridge::decimal(m.amount())),
        );
        customer.insert(
            "return_value_365d".into(),
            c.return_value_365d
                .map_or(Dynamic::UNIT, |m| bridge::decimal(m.amount())),
        );
        customer.insert(
            "refunds_without_return".into(),
            int(c.refunds_without_return),
        );
        customer.insert("chargebacks".into(), int(c.chargebacks));
        customer.insert(
            "linked_flagged_accounts".into(),
            int(c.linked_flagged_accounts),
        );

        let mut r = Map::new();
        r.insert("order_id".into(), text(&order.order_id));
        r.insert("currency".into(), text(order.currency.code()));
        r.insert("customer_id".into(), opt_text(order.customer_id.as_deref()));
        r.insert("payment_method".into(), text(&order.payment_method));
        r.insert(
            "ship_to_country".into(),
            opt_text(order.ship_to_country.as_deref()),
        );
        r.insert(
            "ship_from_country".into(),
            opt_text(request.ship_from_country.as_deref()),
        );
        r.insert(
            "requested_settlement".into(),
            text(request.requested_settlement.as_str()),
        );
        r.insert("now".into(), bridge::timestamp(request.now));
        r.insert(
            "days_since_delivery".into(),
            seeds
                .iter()
                .map(|s| s.days_elapsed)
                .min()
                .map_or(Dynamic::UNIT, int),
        );
        r.insert("customer".into(), Dynamic::from_map(customer));
        r.insert("items".into(), Dynamic::from_array(items.clone()));
        r.insert("refund_total".into(), Dynamic::UNIT);
        Session {
            policy,
            request: Dynamic::from_map(r).into_shared(),
            items,
            output: Vec::new(),
            keep_output,
        }
    }

    fn failure(&self, hook: &str, diagnostic: Diagnostic) -> Box<HookFailure> {
        Box::new(HookFailure {
            diagnostic: self.policy.annotate(diagnostic),
            source: self.policy.source_ref(hook),
        })
    }

    /// Calls an item hook; `Ok(None)` when the policy does not define it.
    fn call_item(&mut self, hook: &str, index: usize) -> HookResult<Option<Dynamic>> {
        if !self.policy.has_hook(hook) {
            return Ok(None);
        }
        let item = self.items.get(index).cloned().unwrap_or_default();
        let result = self.policy.call(hook, (item, self.request.clone()));
        self.finish(hook, result)
    }

    fn call_request(&mut self, hook: &str) -> HookResult<Option<Dynamic>> {
        if !self.policy.has_hook(hook) {
            return Ok(None);
        }
        let result = self.policy.call(hook, (self.request.clone(),));
        self.finish(hook, result)
    }

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

    fn set(&mut self, index: usize, key: &str, value: Dynamic) {
        if let Some(mut item) = self
            .items
            .get_mut(index)
            .and_then(|i| i.write_lock::<Map>())
        {
            item.insert(key.into(), value);
        }
    }

    /// `window_days(item, request)`.
    pub(crate) fn window_days(&mut self, index: usize) -> HookResult<Option<WindowLength>> {
        const HOOK: &str = "window_days";
        const EXPECTED: &str = r#"a number of days (0 or more), "unlimited" or ()"#;
        let Some(value) = self.call_item(HOOK, index)? else {
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

    /// Records the window that applies to an item.
    pub(crate) fn set_window(&mut self, index: usize, days: Option<u32>, inside: bool) {
        self.set(index, "window_days", days.map_or(Dynamic::UNIT, int));
        self.set(index, "inside_window", Dynamic::from_bool(inside));
    }

    /// Records an item's current status and reason codes.
    pub(crate) fn set_status(&mut self, index: usize, status: ItemStatus, codes: &[String]) {
        self.set(index, "status", text(status_word(status)));
        let codes: Array = codes.iter().map(|c| text(c)).collect();
        self.set(index, "reason_codes", Dynamic::from_array(codes));
    }

    /// Records what an item's units were paid.
    pub(crate) fn set_refund(&mut self, index: usize, refund: Decimal) {
        self.set(index, "refund", bridge::decimal(refund));
    }

    /// `eligibility(item, request)`.
    pub(crate) fn eligibility(&mut self, index: usize) -> HookResult<Option<Verdict>> {
        const HOOK: &str = "eligibility";
        const EXPECTED: &str = r#"#{decision: "accept"|"reject"|"review", reason: "<code>", message?: "<text>"} or ()"#;
        let Some(value) = self.call_item(HOOK, index)? else {
            return Ok(None);
        };
        if bridge::is_unit(&value) {
            return Ok(None);
        }
        let bad = |s: &Self| s.failure(HOOK, bridge::bad_return(HOOK, EXPECTED, &value));
        let map = bridge::expect_map(&value, HOOK, EXPECTED).map_err(|d| self.failure(HOOK, d))?;
        let word = |key: &str| {
            map.get(key).and_then(|v| {
                v.read_lock::<rhai::ImmutableString>()
                    .map(|s| s.to_string())
            })
        };
        let status = match word("decision").as_deref() {
            Some("accept") => ItemStatus::Accepted,
            Some("reject") => ItemStatus::Rejected,
            Some("review") => ItemStatus::Review,
            _ => return Err(bad(self)),
        };
        let code = match word("reason") {
            Some(code) if !code.trim().is_empty() => code,
            _ => return Err(bad(self)),
        };
        let message = match map.get("message") {
            None => format!("the policy decided `{}`", status.as_str()),
            Some(m) => match m.read_lock::<rhai::ImmutableString>() {
                Some(s) => s.to_string(),
                None => return Err(bad(self)),
            },
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
        let Some(value) = self.call_item(HOOK, index)? else {
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
        let Some(value) = self.call_item(HOOK, index)? else {
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
            map.insert("refund_total".into(), bridge::decimal(total));
        }
    }

    /// `settlement(request)`.
    pub(crate) fn settlement(&mut self) -> HookResult<Option<(SettlementMethod, PolicySource)>> {
        const HOOK: &str = "settlement";
        const EXPECTED: &str = r#""original_payment", "store_credit", "exchange" or ()"#;
        let Some(value) = self.call_request(HOOK)? else {
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
        let Some(value) = self.call_request(HOOK)? else {
            return Ok(Vec::new());
        };
        if bridge::is_unit(&value) {
            return Ok(Vec::new());
        }
        let array =
            bridge::expect_array(&value, HOOK, EXPECTED).map_err(|d| self.failure(HOOK, d))?;
        let mut signals = Vec::with_capacity(array.len());
        for entry in &array {
            let bad = |s: &Self| s.failure(HOOK, bridge::bad_return(HOOK, EXPECTED, entry));
            let Some(map) = entry.read_lock::<Map>() else {
                return Err(bad(self));
            };
            let code = map.get("code").and_then(|v| {
                v.read_lock::<rhai::ImmutableString>()
                    .map(|s| s.to_string())
            });
            let weight = map
                .get("weight")
                .and_then(|v| v.as_int().ok())
                .and_then(|w| i32::try_from(w).ok());
            let (Some(code), Some(weight)) = (code, weight) else {
                return Err(bad(self));
            };
            if code.trim().is_empty() {
                return Err(bad(self));
            }
            let detail = match map.get("detail") {
                None => String::new(),
                Some(d) => match d.read_lock::<rhai::ImmutableString>() {
                    Some(s) => s.to_string(),
                    None => return Err(bad(self)),
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
