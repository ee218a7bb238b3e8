//! The returns engine's policy hooks: their specs, the schemas of the values they receive,
//! the typed views that fill those values, and how their results are read.
//!
//! A hook's arguments are built by the [hook session](crate::policy::session) from the
//! views below, field by field and only the fields the hook reads. The views borrow the
//! request and the engine's per-item work, so a hook sees what the decision has settled so
//! far (an item's `status` after the built-in rules, its `refund` once refunds are
//! computed) without the engine keeping script values up to date.
//!
//! Every value a hook receives is read-only (rhai's access mode, set on the map and on
//! every value in it). Rhai would still let a script add a key to a read-only map; such
//! assignments are refused when the policy is attached (`policy.read_only_argument`, see
//! `Policy::bind`).

use super::config::{ReviewPriority, Unlimited, WindowLength, MAX_EXPECTED_HOURS};
use super::pipeline::ItemWork;
use super::types::{
    CustomerHistory, Disposition, FraudSignal, ItemStatus, ReturnItem, ReturnRequest,
    SettlementMethod, WindowBasis,
};
use super::validate::ItemLine;
use super::ReturnsEngine;
use crate::policy::schema::{Field, FieldType, Record};
use crate::policy::session::{Fill, HookArg, HookId};
use crate::policy::{bridge, HookSpec};
use crate::{Currency, Diagnostic, Money, RoundingMode};
use chrono::NaiveDate;
use rhai::{Array, Dynamic, Map};
use rust_decimal::Decimal;

/// The hooks a returns policy may define. Every hook may return `()` to leave the
/// decision to the built-in rules.
///
/// The `item` and `request` arguments are typed by each hook's `args` (records `item`,
/// `request` and `customer`); `backoffice hooks --engine returns` lists their fields.
///
/// Both maps, and everything nested in them, are read-only: a hook that tries to change
/// one fails (see [the module docs](crate::returns#hook-arguments-are-read-only));
/// `let copy = item;` makes a copy it may change.
pub static HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "eligibility",
        params: &["item", "request"],
        args: ITEM_AND_REQUEST,
        returns: r#"#{decision: "accept"|"reject"|"review", reason: string, message?: string} or ()"#,
        doc: "Decides one item instead of the built-in validators (whose verdict is item.status); a reject inside the statutory minimum window becomes review.",
    },
    HookSpec {
        name: "window_days",
        params: &["item", "request"],
        args: ITEM_AND_REQUEST,
        returns: r#"int (days) or "unlimited" or ()"#,
        doc: "The return window of one item in days; never shorter than the statutory minimum.",
    },
    HookSpec {
        name: "restocking_fee_percent",
        params: &["item", "request"],
        args: ITEM_AND_REQUEST,
        returns: "decimal or int between 0 and 100, or ()",
        doc: "The restocking fee of one item (not called for rejected items) as a percentage of what its units were paid.",
    },
    HookSpec {
        name: "disposition",
        params: &["item", "request"],
        args: ITEM_AND_REQUEST,
        returns: r#""restock"|"refurbish"|"liquidate"|"donate"|"dispose"|"return_to_vendor" or ()"#,
        doc: "What happens to the returned goods of one item (not called for rejected items).",
    },
    HookSpec {
        name: "settlement",
        params: &["request"],
        args: &[FieldType::Record(&REQUEST)],
        returns: r#""original_payment"|"store_credit"|"exchange" or ()"#,
        doc: "How the refund is paid (exchange needs every item's exchange_sku).",
    },
    HookSpec {
        name: "fraud_signals",
        params: &["request"],
        args: &[FieldType::Record(&REQUEST)],
        returns: "array of #{code: string, weight: int, detail?: string, observed?: any}, or ()",
        doc: "Extra fraud signals; their weights add to the score like the built-in ones.",
    },
    HookSpec {
        name: "return_shipping_fee",
        params: &["item", "request"],
        args: ITEM_AND_REQUEST,
        returns: "#{amount: decimal, currency: string} or decimal or int (0 or more, in the order's currency), or ()",
        doc: "The return-shipping fee of one item (not called for rejected items) instead of the built-in rule (the configured fee, waived when the reason is the merchant's fault).",
    },
    HookSpec {
        name: "review_route",
        params: &["request"],
        args: &[FieldType::Record(&REQUEST)],
        returns: r#"#{queue?: string, priority?: "low"|"normal"|"high"|"urgent", expected_hours?: int, reason?: string} or ()"#,
        doc: "Where a request that goes to review waits (called only then; request.review_queue is the configured queue): a missing key keeps the configured value.",
    },
];

const ITEM_AND_REQUEST: &[FieldType] = &[FieldType::Record(&ITEM), FieldType::Record(&REQUEST)];

/// `eligibility(item, request)`.
pub(crate) const ELIGIBILITY: HookId = HookId::named(HOOKS, "eligibility");
/// `window_days(item, request)`.
pub(crate) const WINDOW_DAYS: HookId = HookId::named(HOOKS, "window_days");
/// `restocking_fee_percent(item, request)`.
pub(crate) const RESTOCKING_FEE_PERCENT: HookId = HookId::named(HOOKS, "restocking_fee_percent");
/// `disposition(item, request)`.
pub(crate) const DISPOSITION: HookId = HookId::named(HOOKS, "disposition");
/// `settlement(request)`.
pub(crate) const SETTLEMENT: HookId = HookId::named(HOOKS, "settlement");
/// `fraud_signals(request)`.
pub(crate) const FRAUD_SIGNALS: HookId = HookId::named(HOOKS, "fraud_signals");
/// `return_shipping_fee(item, request)`.
pub(crate) const RETURN_SHIPPING_FEE: HookId = HookId::named(HOOKS, "return_shipping_fee");
/// `review_route(request)`.
pub(crate) const REVIEW_ROUTE: HookId = HookId::named(HOOKS, "review_route");

const STATUSES: &[&str] = &["accepted", "review", "rejected"];
const CONDITIONS: &[&str] = &["new", "opened", "used", "damaged", "missing_parts"];
const BASES: &[&str] = &["delivered", "shipped", "placed"];
const SETTLEMENTS: &[&str] = &["original_payment", "store_credit", "exchange"];

/// The `item` argument: one returned item with its order line, its window and what the
/// engine decided about it so far.
pub(crate) static ITEM: Record = Record {
    name: "item",
    doc: "One returned item, with its order line and what the engine decided so far.",
    fields: &[
        Field::new(
            "attributes",
            FieldType::Dict(&FieldType::String),
            "The line's free-form attributes such as `size` and `colour`.",
        ),
        Field::new(
            "category",
            FieldType::String,
            "The merchant's category, e.g. `apparel`.",
        ),
        Field::new(
            "condition",
            FieldType::Word(CONDITIONS),
            "The condition the customer declares (or the warehouse found).",
        ),
        Field::new(
            "days_since_delivery",
            FieldType::Int,
            "Calendar days in the merchant's zone from the window's basis date to the request.",
        ),
        Field::new(
            "exchange_sku",
            FieldType::Optional(&FieldType::String),
            "The replacement SKU, when the customer asks for an exchange.",
        ),
        Field::new(
            "final_sale",
            FieldType::Bool,
            "Whether the line was sold as final sale.",
        ),
        Field::new(
            "gift_card",
            FieldType::Bool,
            "Whether the line is a gift card.",
        ),
        Field::live(
            "inside_window",
            FieldType::Bool,
            "Whether the request is inside the item's return window (`true` until it is known).",
        ),
        Field::new(
            "line_id",
            FieldType::String,
            "The order line the units come from.",
        ),
        Field::new(
            "merchant_fault",
            FieldType::Bool,
            "Whether the reason code is the merchant's fault.",
        ),
        Field::new(
            "product_id",
            FieldType::String,
            "The product the SKU is a variant of (the SKU when not given).",
        ),
        Field::new("quantity", FieldType::Int, "Units returned."),
        Field::new(
            "reason",
            FieldType::String,
            "The reason code from the taxonomy.",
        ),
        Field::live(
            "reason_codes",
            FieldType::Array(&FieldType::String),
            "The reason codes the engine gave the item so far.",
        ),
        Field::live(
            "refund",
            FieldType::Decimal,
            "What the units were paid; zero before refunds are computed.",
        ),
        Field::new(
            "returned_weight_grams",
            FieldType::Optional(&FieldType::Int),
            "Weight of the returned parcel contents for this item, when weighed.",
        ),
        Field::new("sku", FieldType::String, "The stock-keeping unit sold."),
        Field::live(
            "status",
            FieldType::Word(STATUSES),
            "The verdict so far (the built-in one before the `eligibility` hook).",
        ),
        Field::new(
            "unit_price",
            FieldType::Decimal,
            "Price of one unit before discounts and tax, in the order's currency.",
        ),
        Field::new(
            "window_basis",
            FieldType::Word(BASES),
            "Which date the window counts from.",
        ),
        Field::live(
            "window_days",
            FieldType::Optional(&FieldType::Int),
            "The window length in days, `()` when unlimited or not yet known.",
        ),
    ],
};

/// `request.customer`: the customer history, with the field names of its JSON.
pub(crate) static CUSTOMER: Record = Record {
    name: "customer",
    doc: "The customer's history; money values as decimals in the order's currency.",
    fields: &[
        Field::new(
            "account_age_days",
            FieldType::Optional(&FieldType::Int),
            "Days since the account was created.",
        ),
        Field::new("chargebacks", FieldType::Int, "Chargebacks filed."),
        Field::new(
            "linked_flagged_accounts",
            FieldType::Int,
            "Linked accounts (same device, address or card) flagged for abuse.",
        ),
        Field::new(
            "loyalty_tier",
            FieldType::Optional(&FieldType::String),
            "Loyalty tier, e.g. `gold`.",
        ),
        Field::new(
            "orders_365d",
            FieldType::Int,
            "Orders in the last 365 days.",
        ),
        Field::new("orders_90d", FieldType::Int, "Orders in the last 90 days."),
        Field::new(
            "refunds_without_return",
            FieldType::Int,
            "Refunds granted without a returned item.",
        ),
        Field::new(
            "return_value_365d",
            FieldType::Optional(&FieldType::Decimal),
            "Value returned in the last 365 days.",
        ),
        Field::new(
            "return_value_90d",
            FieldType::Optional(&FieldType::Decimal),
            "Value returned in the last 90 days.",
        ),
        Field::new(
            "returns_30d",
            FieldType::Int,
            "Returns in the last 30 days.",
        ),
        Field::new(
            "returns_365d",
            FieldType::Int,
            "Returns in the last 365 days.",
        ),
        Field::new(
            "returns_90d",
            FieldType::Int,
            "Returns in the last 90 days.",
        ),
    ],
};

/// The `request` argument: the order, the customer and every item.
pub(crate) static REQUEST: Record = Record {
    name: "request",
    doc: "The return request: the order, the customer and every item.",
    fields: &[
        Field::new(
            "currency",
            FieldType::String,
            "The order's currency (ISO 4217 code).",
        ),
        Field::new(
            "customer",
            FieldType::Record(&CUSTOMER),
            "The customer's history.",
        ),
        Field::new(
            "customer_id",
            FieldType::Optional(&FieldType::String),
            "The customer's id.",
        ),
        Field::new(
            "days_since_delivery",
            FieldType::Int,
            "The smallest `days_since_delivery` among the items.",
        ),
        Field::live(
            "items",
            FieldType::Array(&FieldType::Record(&ITEM)),
            "Every item of the request, as the engine has decided them so far.",
        ),
        Field::new("now", FieldType::Timestamp, "When the request is made."),
        Field::new("order_id", FieldType::String, "The merchant's order id."),
        Field::new(
            "payment_method",
            FieldType::String,
            "How the order was paid, e.g. `card`.",
        ),
        Field::live(
            "refund_total",
            FieldType::Optional(&FieldType::Decimal),
            "The merchandise refund of the items not rejected; `()` until refunds are computed.",
        ),
        Field::new(
            "requested_settlement",
            FieldType::Word(SETTLEMENTS),
            "How the customer wants to be paid back.",
        ),
        Field::live(
            "review_queue",
            FieldType::Optional(&FieldType::String),
            "The queue the configuration sends the request to once it goes to review (what `review_route` sees); `()` before.",
        ),
        Field::new(
            "ship_from_country",
            FieldType::Optional(&FieldType::String),
            "The country the parcel ships back from, when known.",
        ),
        Field::new(
            "ship_to_country",
            FieldType::Optional(&FieldType::String),
            "The country the order shipped to.",
        ),
    ],
};

/// The key of the request among a decision's shared arguments (items use their index).
const REQUEST_KEY: u32 = u32::MAX;

/// What every view of one decision reads: the engine, the request and each item's line.
pub(crate) struct Facts<'a> {
    pub(crate) engine: &'a ReturnsEngine,
    pub(crate) request: &'a ReturnRequest,
    /// Each item's order line, by item index.
    pub(crate) lines: &'a [ItemLine<'a>],
    /// The request's date in the merchant's zone.
    pub(crate) request_date: NaiveDate,
}

impl Facts<'_> {
    /// Days from the window's basis of the item at `index` to the request: the item's
    /// window when it has one, else worked out the same way.
    fn days_elapsed(&self, works: &[ItemWork<'_>], index: usize) -> i64 {
        match works.get(index) {
            Some(work) => work.window.days_elapsed,
            None => self.lines.get(index).map_or(0, |line| {
                let (_, at) = super::window::basis_of(&self.request.order, line.line);
                let basis_date = self.engine.zone.local_date(at);
                self.request_date
                    .signed_duration_since(basis_date)
                    .num_days()
            }),
        }
    }
}

/// The `request` argument as the decision stands.
pub(crate) struct RequestView<'a> {
    facts: &'a Facts<'a>,
    works: &'a [ItemWork<'a>],
    refund_total: Option<Decimal>,
    review_queue: Option<&'a str>,
}

impl<'a> RequestView<'a> {
    /// The request, with the items worked so far and the refund total once known.
    pub(crate) fn new(
        facts: &'a Facts<'a>,
        works: &'a [ItemWork<'a>],
        refund_total: Option<Decimal>,
    ) -> Self {
        RequestView {
            facts,
            works,
            refund_total,
            review_queue: None,
        }
    }

    /// The same, for a request that goes to review in `queue`.
    pub(crate) fn in_review(self, queue: &'a str) -> Self {
        RequestView {
            review_queue: Some(queue),
            ..self
        }
    }

    /// The view of the item at `index`.
    pub(crate) fn item(&self, index: usize) -> ItemView<'a> {
        ItemView {
            facts: self.facts,
            works: self.works,
            index,
        }
    }

    /// The request as a hook argument.
    pub(crate) fn arg(&self) -> crate::policy::session::Arg<'_> {
        crate::policy::session::Arg::shared(REQUEST_KEY, self)
    }
}

impl HookArg for RequestView<'_> {
    fn record(&self) -> &'static Record {
        &REQUEST
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        let request = self.facts.request;
        let order = &request.order;
        fill.text("currency", order.currency.code());
        fill.record("customer", &CustomerView(&request.customer));
        fill.opt_text("customer_id", order.customer_id.as_deref());
        fill.value("days_since_delivery", || {
            (0..request.items.len())
                .map(|i| self.facts.days_elapsed(self.works, i))
                .min()
                .map_or(Dynamic::UNIT, Dynamic::from_int)
        });
        fill.record_list(
            "items",
            (0..request.items.len()).map(|index| self.item(index)),
        );
        fill.timestamp("now", request.now);
        fill.text("order_id", &order.order_id);
        fill.text("payment_method", &order.payment_method);
        fill.opt_decimal("refund_total", self.refund_total);
        fill.word(
            "requested_settlement",
            request.requested_settlement.as_str(),
        );
        fill.opt_text("review_queue", self.review_queue);
        fill.opt_text("ship_from_country", request.ship_from_country.as_deref());
        fill.opt_text("ship_to_country", order.ship_to_country.as_deref());
    }
}

/// `request.customer`.
struct CustomerView<'a>(&'a CustomerHistory);

impl HookArg for CustomerView<'_> {
    fn record(&self) -> &'static Record {
        &CUSTOMER
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        let c = self.0;
        fill.opt_int("account_age_days", c.account_age_days);
        fill.int("chargebacks", c.chargebacks);
        fill.int("linked_flagged_accounts", c.linked_flagged_accounts);
        fill.opt_text("loyalty_tier", c.loyalty_tier.as_deref());
        fill.int("orders_365d", c.orders_365d);
        fill.int("orders_90d", c.orders_90d);
        fill.int("refunds_without_return", c.refunds_without_return);
        fill.opt_decimal("return_value_365d", c.return_value_365d.map(|m| m.amount()));
        fill.opt_decimal("return_value_90d", c.return_value_90d.map(|m| m.amount()));
        fill.int("returns_30d", c.returns_30d);
        fill.int("returns_365d", c.returns_365d);
        fill.int("returns_90d", c.returns_90d);
    }
}

/// The `item` argument at `index` as the decision stands: before the item is worked on
/// (the `window_days` hook, and later items in `request.items`), it is inside its window
/// with status `accepted`, no reason codes, no window length and a zero refund.
pub(crate) struct ItemView<'a> {
    facts: &'a Facts<'a>,
    works: &'a [ItemWork<'a>],
    index: usize,
}

impl ItemView<'_> {
    /// The item as a hook argument.
    pub(crate) fn arg(&self) -> crate::policy::session::Arg<'_> {
        let key = u32::try_from(self.index).unwrap_or(REQUEST_KEY - 1);
        crate::policy::session::Arg::shared(key, self)
    }
}

impl HookArg for ItemView<'_> {
    fn record(&self) -> &'static Record {
        &ITEM
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        let facts = self.facts;
        let (Some(item), Some(line)) = (
            facts.request.items.get(self.index),
            facts.lines.get(self.index).map(|l| l.line),
        ) else {
            return;
        };
        let work = self.works.get(self.index);
        let code = || facts.engine.reason_codes.get(item.reason.as_str());
        fill.text_map(
            "attributes",
            line.attributes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str())),
        );
        fill.text("category", &line.category);
        fill.word("condition", item.condition.as_str());
        fill.value("days_since_delivery", || {
            Dynamic::from_int(facts.days_elapsed(self.works, self.index))
        });
        fill.opt_text("exchange_sku", item.exchange_sku.as_deref());
        fill.bool("final_sale", line.final_sale);
        fill.bool("gift_card", line.gift_card);
        fill.bool("inside_window", work.is_none_or(|w| w.window.inside));
        fill.text("line_id", &item.line_id);
        fill.value("merchant_fault", || {
            Dynamic::from_bool(code().is_some_and(|c| c.merchant_fault))
        });
        fill.text(
            "product_id",
            line.product_id.as_deref().unwrap_or(&line.sku),
        );
        fill.int("quantity", item.quantity);
        fill.value("reason", || reason_word(item, code().map(|c| &c.word)));
        fill.strings("reason_codes", work.map_or(&[][..], |w| &w.codes[..]));
        fill.decimal(
            "refund",
            work.filter(|w| w.priced)
                .map_or(Decimal::ZERO, |w| w.refund.merchandise.amount()),
        );
        fill.opt_int("returned_weight_grams", item.returned_weight_grams);
        fill.text("sku", &line.sku);
        fill.word(
            "status",
            work.map_or(ItemStatus::Accepted, |w| w.status).as_str(),
        );
        fill.decimal("unit_price", line.unit_price.amount());
        let basis = work.map_or_else(
            || super::window::basis_of(&facts.request.order, line).0,
            |w| w.window.basis,
        );
        fill.word("window_basis", basis_name(basis));
        fill.opt_int("window_days", work.and_then(|w| w.window.days));
    }
}

/// The item's reason code as a script string: the taxonomy's shared copy when there is one.
fn reason_word(item: &ReturnItem, shared: Option<&rhai::ImmutableString>) -> Dynamic {
    match shared {
        Some(word) => Dynamic::from(word.clone()),
        None => Dynamic::from(rhai::ImmutableString::from(item.reason.as_str())),
    }
}

/// The word scripts see for a window basis.
fn basis_name(basis: WindowBasis) -> &'static str {
    match basis {
        WindowBasis::Delivered => "delivered",
        WindowBasis::Shipped => "shipped",
        WindowBasis::Placed => "placed",
    }
}

/// An `eligibility` hook's verdict.
pub(crate) struct Verdict {
    pub(crate) status: ItemStatus,
    pub(crate) code: String,
    pub(crate) message: String,
}

/// Reads the result of `eligibility(item, request)`.
pub(crate) fn read_eligibility(value: &Dynamic) -> Result<Verdict, Diagnostic> {
    const HOOK: &str = "eligibility";
    const EXPECTED: &str =
        r#"#{decision: "accept"|"reject"|"review", reason: "<code>", message?: "<text>"} or ()"#;
    let bad = || bridge::bad_return(HOOK, EXPECTED, value);
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
        return Err(match bridge::expect_map(value, HOOK, EXPECTED) {
            Err(diagnostic) => diagnostic,
            Ok(_) => bad(),
        });
    };
    let status = match decision.as_deref() {
        Some("accept") => ItemStatus::Accepted,
        Some("reject") => ItemStatus::Rejected,
        Some("review") => ItemStatus::Review,
        _ => return Err(bad()),
    };
    let code = match reason {
        Some(code) if !code.trim().is_empty() => code,
        _ => return Err(bad()),
    };
    let message = match message {
        None => format!("the policy decided `{}`", status.as_str()),
        Some(Some(s)) => s,
        Some(None) => return Err(bad()),
    };
    Ok(Verdict {
        status,
        code,
        message,
    })
}

/// Reads the result of `window_days(item, request)`.
pub(crate) fn read_window_days(value: &Dynamic) -> Result<WindowLength, Diagnostic> {
    const HOOK: &str = "window_days";
    const EXPECTED: &str = r#"a number of days (0 or more), "unlimited" or ()"#;
    if let Ok(days) = value.as_int() {
        return match u32::try_from(days) {
            Ok(days) => Ok(WindowLength::Days(days)),
            Err(_) => Err(bridge::bad_return(HOOK, EXPECTED, value)),
        };
    }
    match bridge::expect_string(value, HOOK, EXPECTED)? {
        s if s == "unlimited" => Ok(WindowLength::Unlimited(Unlimited::Unlimited)),
        _ => Err(bridge::bad_return(HOOK, EXPECTED, value)),
    }
}

/// Reads the result of `restocking_fee_percent(item, request)`.
pub(crate) fn read_restocking_fee_percent(value: &Dynamic) -> Result<Decimal, Diagnostic> {
    const HOOK: &str = "restocking_fee_percent";
    const EXPECTED: &str = "a percentage between 0 and 100 or ()";
    let percent = bridge::expect_decimal(value, HOOK, EXPECTED)?;
    if percent < Decimal::ZERO || percent > Decimal::ONE_HUNDRED {
        return Err(bridge::bad_return(HOOK, EXPECTED, value));
    }
    Ok(percent)
}

/// Reads the result of `disposition(item, request)`.
pub(crate) fn read_disposition(value: &Dynamic) -> Result<Disposition, Diagnostic> {
    const HOOK: &str = "disposition";
    const EXPECTED: &str =
        r#""restock", "refurbish", "liquidate", "donate", "dispose", "return_to_vendor" or ()"#;
    let word = bridge::expect_string(value, HOOK, EXPECTED)?;
    Disposition::parse(&word).ok_or_else(|| bridge::bad_return(HOOK, EXPECTED, value))
}

/// Reads the result of `settlement(request)`; `exchange_ready` says whether every item
/// has an exchange SKU (an exchange needs them).
pub(crate) fn read_settlement(
    value: &Dynamic,
    exchange_ready: bool,
) -> Result<SettlementMethod, Diagnostic> {
    const HOOK: &str = "settlement";
    const EXPECTED: &str = r#""original_payment", "store_credit", "exchange" or ()"#;
    let word = bridge::expect_string(value, HOOK, EXPECTED)?;
    match SettlementMethod::parse(&word) {
        Some(SettlementMethod::Exchange) if !exchange_ready => Err(Diagnostic::error(
            "policy.bad_return",
            "hook `settlement` returned \"exchange\", but not every item has an exchange_sku",
        )
        .with_hook(HOOK)),
        Some(method) => Ok(method),
        None => Err(bridge::bad_return(HOOK, EXPECTED, value)),
    }
}

/// Reads the result of `fraud_signals(request)`.
pub(crate) fn read_fraud_signals(value: &Dynamic) -> Result<Vec<FraudSignal>, Diagnostic> {
    const HOOK: &str = "fraud_signals";
    const EXPECTED: &str =
        "an array of #{code: string, weight: int, detail?: string, observed?: any} or ()";
    // Read the returned array in place (no copy); a non-array is reported as before.
    let Some(array) = value.read_lock::<Array>() else {
        return Err(match bridge::expect_array(value, HOOK, EXPECTED) {
            Err(diagnostic) => diagnostic,
            Ok(_) => bridge::bad_return(HOOK, EXPECTED, value),
        });
    };
    let mut signals = Vec::with_capacity(array.len());
    for (index, entry) in array.iter().enumerate() {
        // Names the element and the field at fault.
        let bad = |field: Option<(&str, &str)>, got: Option<&Dynamic>| {
            bridge::bad_element(HOOK, EXPECTED, index, field, got)
        };
        let Some(map) = entry.read_lock::<Map>() else {
            return Err(bad(None, Some(entry)));
        };
        const CODE: (&str, &str) = ("code", "a non-empty string");
        const WEIGHT: (&str, &str) = ("weight", "an integer of 32 bits");
        let code = match map.get("code") {
            None => return Err(bad(Some(CODE), None)),
            Some(v) => match v.read_lock::<rhai::ImmutableString>() {
                Some(s) if !s.trim().is_empty() => s.to_string(),
                _ => return Err(bad(Some(CODE), Some(v))),
            },
        };
        let weight = match map.get("weight") {
            None => return Err(bad(Some(WEIGHT), None)),
            Some(v) => match v.as_int().ok().and_then(|w| i32::try_from(w).ok()) {
                Some(w) => w,
                None => return Err(bad(Some(WEIGHT), Some(v))),
            },
        };
        let detail = match map.get("detail") {
            None => String::new(),
            Some(d) => match d.read_lock::<rhai::ImmutableString>() {
                Some(s) => s.to_string(),
                None => return Err(bad(Some(("detail", "a string")), Some(d))),
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

/// Reads the result of `return_shipping_fee(item, request)`: a fee of 0 or more in
/// `currency`, with no more decimal places than the currency has.
pub(crate) fn read_return_shipping_fee(
    value: &Dynamic,
    currency: Currency,
) -> Result<Money, Diagnostic> {
    const HOOK: &str = "return_shipping_fee";
    const EXPECTED: &str =
        "a fee of 0 or more in the order's currency (#{amount, currency}, a decimal or an int) or ()";
    let fee = if value.is_map() {
        let money = bridge::expect_money(value, HOOK, EXPECTED)?;
        if money.currency() != currency {
            return Err(Diagnostic::error(
                "policy.bad_return",
                format!("hook `{HOOK}` returned a fee of {money}, but the order is in {currency}"),
            )
            .with_hook(HOOK)
            .with_help(format!("return the fee in {currency}, or a plain decimal")));
        }
        money
    } else {
        Money::new(bridge::expect_decimal(value, HOOK, EXPECTED)?, currency)
    };
    if fee.is_negative() {
        return Err(bridge::bad_return(HOOK, EXPECTED, value));
    }
    match fee.round(RoundingMode::Down) {
        Ok(rounded) if rounded.amount() == fee.amount() => {
            // Written with the currency's minor unit, like every amount of the outcome.
            let mut amount = fee.amount();
            if let Some(units) = currency.minor_units() {
                amount.rescale(u32::from(units));
            }
            Ok(Money::new(amount, currency))
        }
        _ => Err(Diagnostic::error(
            "policy.bad_return",
            format!("hook `{HOOK}` returned a fee of {fee}, which has more decimal places than {currency} allows"),
        )
        .with_hook(HOOK)
        .with_help("round the fee to the currency's minor unit in the policy")),
    }
}

/// What `review_route(request)` asked for; a missing key keeps the configured value.
#[derive(Debug, Default)]
pub(crate) struct RouteAnswer {
    pub(crate) queue: Option<String>,
    pub(crate) priority: Option<ReviewPriority>,
    pub(crate) expected_hours: Option<u32>,
    pub(crate) reason: Option<String>,
}

/// Reads the result of `review_route(request)`.
pub(crate) fn read_review_route(value: &Dynamic) -> Result<RouteAnswer, Diagnostic> {
    const HOOK: &str = "review_route";
    const EXPECTED: &str = r#"#{queue?: string, priority?: "low"|"normal"|"high"|"urgent", expected_hours?: int, reason?: string} or ()"#;
    let Some(map) = value.read_lock::<Map>() else {
        return Err(bridge::bad_return(HOOK, EXPECTED, value));
    };
    let bad = |key: &str, wanted: &str, got: &Dynamic| {
        Diagnostic::error(
            "policy.bad_return",
            format!(
                "hook `{HOOK}` returned a map whose `{key}` is {}, expected {wanted}",
                bridge::describe(got)
            ),
        )
        .with_hook(HOOK)
        .with_help(format!("make `{HOOK}` return {EXPECTED}"))
    };
    let text = |key: &str, v: &Dynamic| match v.read_lock::<rhai::ImmutableString>() {
        Some(s) if !s.trim().is_empty() => Ok(s.to_string()),
        _ => Err(bad(key, "a non-empty string", v)),
    };
    let mut answer = RouteAnswer::default();
    for (key, v) in map.iter() {
        match key.as_str() {
            "queue" => answer.queue = Some(text("queue", v)?),
            "reason" => answer.reason = Some(text("reason", v)?),
            "priority" => {
                const WORDS: &str = r#""low", "normal", "high" or "urgent""#;
                let word = text("priority", v).map_err(|_| bad("priority", WORDS, v))?;
                answer.priority =
                    Some(ReviewPriority::parse(&word).ok_or_else(|| bad("priority", WORDS, v))?);
            }
            "expected_hours" => {
                let wanted = "a number of hours from 1 to 8760";
                let hours = v
                    .as_int()
                    .ok()
                    .and_then(|h| u32::try_from(h).ok())
                    .filter(|h| (1..=MAX_EXPECTED_HOURS).contains(h))
                    .ok_or_else(|| bad("expected_hours", wanted, v))?;
                answer.expected_hours = Some(hours);
            }
            other => {
                return Err(Diagnostic::error(
                    "policy.bad_return",
                    format!("hook `{HOOK}` returned a map with the unknown key `{other}`"),
                )
                .with_hook(HOOK)
                .with_help(format!("make `{HOOK}` return {EXPECTED}")))
            }
        }
    }
    Ok(answer)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_reachable_record_is_sorted_by_field_name() {
        for spec in HOOKS {
            assert_eq!(spec.args.len(), spec.params.len(), "{}", spec.name);
            for ty in spec.args {
                let record = ty.record().unwrap();
                for r in record.reachable() {
                    let names: Vec<&str> = r.fields.iter().map(|f| f.name).collect();
                    let mut sorted = names.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    assert_eq!(names, sorted, "fields of `{}`", r.name);
                    // A map iterates its keys in the same order.
                    let map: Map = names.iter().map(|n| ((*n).into(), Dynamic::UNIT)).collect();
                    let keys: Vec<&str> = map.keys().map(|k| k.as_str()).collect();
                    assert_eq!(keys, names, "keys of `{}`", r.name);
                }
            }
        }
        assert_eq!(ITEM.fields.len(), 21);
        assert_eq!(CUSTOMER.fields.len(), 12);
        assert_eq!(REQUEST.fields.len(), 13);
    }

    #[test]
    fn every_hook_id_resolves_to_its_hook() {
        let ids = [
            (ELIGIBILITY, "eligibility"),
            (WINDOW_DAYS, "window_days"),
            (RESTOCKING_FEE_PERCENT, "restocking_fee_percent"),
            (DISPOSITION, "disposition"),
            (SETTLEMENT, "settlement"),
            (FRAUD_SIGNALS, "fraud_signals"),
            (RETURN_SHIPPING_FEE, "return_shipping_fee"),
            (REVIEW_ROUTE, "review_route"),
        ];
        for (id, name) in ids {
            assert_eq!(id, HookId::named(HOOKS, name));
            assert_ne!(id, HookId::named(HOOKS, "no_such_hook"), "{name}");
        }
        for (i, (a, _)) in ids.iter().enumerate() {
            for (b, _) in ids.iter().skip(i + 1) {
                assert_ne!(a, b);
            }
        }
        assert_eq!(ids.len(), HOOKS.len());
    }

    #[test]
    fn word_fields_hold_the_engine_words() {
        let statuses = [
            ItemStatus::Accepted,
            ItemStatus::Review,
            ItemStatus::Rejected,
        ];
        assert_eq!(statuses.map(ItemStatus::as_str), STATUSES);
        let methods = [
            SettlementMethod::OriginalPayment,
            SettlementMethod::StoreCredit,
            SettlementMethod::Exchange,
        ];
        assert_eq!(methods.map(SettlementMethod::as_str), SETTLEMENTS);
        let bases = [
            WindowBasis::Delivered,
            WindowBasis::Shipped,
            WindowBasis::Placed,
        ];
        assert_eq!(bases.map(basis_name), BASES);
        use super::super::types::Condition;
        let conditions = [
            Condition::New,
            Condition::Opened,
            Condition::Used,
            Condition::Damaged,
            Condition::MissingParts,
        ];
        assert_eq!(conditions.map(Condition::as_str), CONDITIONS);
    }
}
