//! The request a returns decision reads and the outcome it produces.
//!
//! Every type here has a stable JSON shape (snake_case fields, amounts as
//! `{"amount": "12.30", "currency": "EUR"}`, timestamps in RFC 3339), because the same shapes
//! travel through the C ABI and the CLI.

use super::config::ReviewPriority;
use crate::{Currency, Money};
use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One return request: the order it is about, the items the customer sends back, what has
/// already been returned, the customer's history, and the moment of the request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnRequest {
    /// The order the items come from.
    pub order: Order,
    /// The items the customer wants to return (at least one).
    pub items: Vec<ReturnItem>,
    /// How the customer wants to be paid back.
    #[serde(default)]
    pub requested_settlement: SettlementMethod,
    /// ISO 3166-1 alpha-2 country the parcel ships back from, when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_from_country: Option<String>,
    /// Returns and refunds that already happened for lines of this order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_returns: Vec<PreviousReturn>,
    /// The customer's history as plain numbers.
    #[serde(default)]
    pub customer: CustomerHistory,
    /// When the request is made: the library never reads the clock.
    pub now: DateTime<Utc>,
}

/// The order a return is about.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The merchant's order id.
    pub order_id: String,
    /// The currency the order was paid in; every amount of the request must be in it.
    pub currency: Currency,
    /// The customer's id, matched against the fraud allow and block lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<String>,
    /// When the order was placed.
    pub placed_at: DateTime<Utc>,
    /// When the order shipped (lines may override it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<DateTime<Utc>>,
    /// When the order was delivered (lines may override it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    /// How the order was paid, e.g. `card`, `paypal`, `gift_card`.
    pub payment_method: String,
    /// ISO 3166-1 alpha-2 country the order shipped to.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ship_to_country: Option<String>,
    /// The order lines.
    pub lines: Vec<OrderLine>,
    /// A discount on the whole order, shared across lines in proportion to their value
    /// after line discounts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_discount: Option<Money>,
    /// What the customer paid for outbound shipping (not refunded by this engine).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping_paid: Option<Money>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// The line's id, unique within the order.
    pub line_id: String,
    /// The stock-keeping unit sold.
    pub sku: String,
    /// The product the SKU is a variant of (used to detect bracketing); defaults to the SKU.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub product_id: Option<String>,
    /// The merchant's category, e.g. `apparel`, `cosmetics`.
    pub category: String,
    /// Price of one unit before discounts and tax.
    pub unit_price: Money,
    /// Units bought (at least one).
    pub quantity: u32,
    /// Units delivered, when fewer than bought were delivered; defaults to `quantity` once
    /// the line is delivered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_quantity: Option<u32>,
    /// Discount on the whole line (all units together).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<Money>,
    /// Tax on the whole line (all units together).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax: Option<Money>,
    /// Sold as final sale (not returnable).
    #[serde(default)]
    pub final_sale: bool,
    /// A gift card (not returnable).
    #[serde(default)]
    pub gift_card: bool,
    /// Free-form attributes such as `size` and `colour`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attributes: BTreeMap<String, String>,
    /// Expected weight of one unit in grams (to spot empty boxes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_weight_grams: Option<u32>,
    /// When this line shipped, when it shipped separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipped_at: Option<DateTime<Utc>>,
    /// When this line was delivered, when it was delivered separately.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
}

/// One item the customer sends back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnItem {
    /// The order line the units come from.
    pub line_id: String,
    /// Units returned (at least one).
    pub quantity: u32,
    /// Reason code from the taxonomy (see [`ReturnsConfig`](super::ReturnsConfig)).
    pub reason: String,
    /// The condition the customer declares (or the warehouse found).
    pub condition: Condition,
    /// Weight of the returned parcel contents for this item, in grams, when weighed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub returned_weight_grams: Option<u32>,
    /// The replacement SKU, when the customer asks for an exchange.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exchange_sku: Option<String>,
}

/// The condition of a returned item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Condition {
    /// Unopened, as sold.
    New,
    /// Packaging opened, item unused.
    Opened,
    /// Used or worn.
    Used,
    /// Damaged.
    Damaged,
    /// Parts or accessories missing.
    MissingParts,
}

impl Condition {
    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Condition::New => "new",
            Condition::Opened => "opened",
            Condition::Used => "used",
            Condition::Damaged => "damaged",
            Condition::MissingParts => "missing_parts",
        }
    }
}

/// What already happened to one line before this request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PreviousReturn {
    /// The order line.
    pub line_id: String,
    /// Units returned before.
    pub quantity: u32,
    /// Amount refunded before for this line (merchandise, after fees).
    pub refunded: Money,
}

/// The customer's history, as plain numbers supplied by the caller.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CustomerHistory {
    /// Days since the account was created.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_age_days: Option<u32>,
    /// Loyalty tier, e.g. `gold` (free text; policies read it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub loyalty_tier: Option<String>,
    /// Orders in the last 90 days.
    pub orders_90d: u32,
    /// Orders in the last 365 days.
    pub orders_365d: u32,
    /// Returns in the last 30 days (for the velocity signal).
    pub returns_30d: u32,
    /// Returns in the last 90 days.
    pub returns_90d: u32,
    /// Returns in the last 365 days.
    pub returns_365d: u32,
    /// Value returned in the last 90 days, in the order's currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_value_90d: Option<Money>,
    /// Value returned in the last 365 days, in the order's currency.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub return_value_365d: Option<Money>,
    /// Refunds granted without a returned item (e.g. "item never arrived").
    pub refunds_without_return: u32,
    /// Chargebacks filed.
    pub chargebacks: u32,
    /// Linked accounts (same device, address or card) flagged for abuse.
    pub linked_flagged_accounts: u32,
}

/// How a refund is paid.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SettlementMethod {
    /// Back to the original payment method.
    #[default]
    OriginalPayment,
    /// As store credit.
    StoreCredit,
    /// As a replacement item (no money refunded).
    Exchange,
}

impl SettlementMethod {
    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            SettlementMethod::OriginalPayment => "original_payment",
            SettlementMethod::StoreCredit => "store_credit",
            SettlementMethod::Exchange => "exchange",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "original_payment" => Some(SettlementMethod::OriginalPayment),
            "store_credit" => Some(SettlementMethod::StoreCredit),
            "exchange" => Some(SettlementMethod::Exchange),
            _ => None,
        }
    }
}

/// What happens to returned goods.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Disposition {
    /// Back to sellable stock.
    Restock,
    /// Repaired or repackaged, then sold as refurbished.
    Refurbish,
    /// Sold in bulk to a liquidator.
    Liquidate,
    /// Given to charity.
    Donate,
    /// Destroyed or recycled.
    Dispose,
    /// Sent back to the vendor.
    ReturnToVendor,
}

impl Disposition {
    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            Disposition::Restock => "restock",
            Disposition::Refurbish => "refurbish",
            Disposition::Liquidate => "liquidate",
            Disposition::Donate => "donate",
            Disposition::Dispose => "dispose",
            Disposition::ReturnToVendor => "return_to_vendor",
        }
    }

    /// Parses the snake_case name.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "restock" => Disposition::Restock,
            "refurbish" => Disposition::Refurbish,
            "liquidate" => Disposition::Liquidate,
            "donate" => Disposition::Donate,
            "dispose" => Disposition::Dispose,
            "return_to_vendor" => Disposition::ReturnToVendor,
            _ => return None,
        })
    }
}

/// Everything one returns decision decides.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnOutcome {
    /// The request as a whole.
    pub status: RequestStatus,
    /// The review queue the request goes to when its status is `review`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review_queue: Option<String>,
    /// Where the request waits when its status is `review`: the queue (the same as
    /// `review_queue`), the priority and the expected handling time; a `review_route`
    /// reason says where they come from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub review: Option<ReviewRoute>,
    /// One entry per requested item, in request order.
    pub items: Vec<ItemOutcome>,
    /// The refund, as lines that add up to `total`.
    pub refund: RefundTotals,
    /// How the refund is paid.
    pub settlement: Settlement,
    /// How suspicious the request is.
    pub fraud: FraudAssessment,
}

/// Where a request that goes to review waits, and how soon a person should handle it
/// (see [`ReviewRoutingConfig`](super::ReviewRoutingConfig)).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReviewRoute {
    /// The review queue.
    pub queue: String,
    /// How urgent the review is.
    pub priority: ReviewPriority,
    /// Hours within which a person is expected to handle it.
    pub expected_hours: u32,
}

/// The status of the whole request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    /// Every item accepted.
    Accepted,
    /// Some items accepted, the others rejected.
    PartiallyAccepted,
    /// A person must look at it (an item, the fraud score or a failing policy hook said so);
    /// the amounts are what would be refunded if it were accepted as it stands.
    Review,
    /// Nothing is accepted.
    Rejected,
}

impl RequestStatus {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Accepted => "accepted",
            RequestStatus::PartiallyAccepted => "partially_accepted",
            RequestStatus::Review => "review",
            RequestStatus::Rejected => "rejected",
        }
    }
}

/// The decision for one item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemStatus {
    /// Accepted.
    Accepted,
    /// Sent to manual review.
    Review,
    /// Rejected.
    Rejected,
}

impl ItemStatus {
    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            ItemStatus::Accepted => "accepted",
            ItemStatus::Review => "review",
            ItemStatus::Rejected => "rejected",
        }
    }
}

/// The outcome for one requested item.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemOutcome {
    /// The order line.
    pub line_id: String,
    /// The SKU of that line.
    pub sku: String,
    /// Units returned.
    pub quantity: u32,
    /// Accepted, review or rejected.
    pub status: ItemStatus,
    /// The codes of the reasons about this item (details in the decision's reasons).
    pub reason_codes: Vec<String>,
    /// The return window that applied.
    pub window: ReturnWindow,
    /// What this item refunds.
    pub refund: ItemRefund,
    /// What happens to the goods (absent for rejected items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disposition: Option<Disposition>,
}

/// The date a return window counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WindowBasis {
    /// The delivery date.
    Delivered,
    /// The shipment date (no delivery date known).
    Shipped,
    /// The order date (neither delivery nor shipment date known).
    Placed,
}

/// The return window of one item, in the merchant's time zone.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReturnWindow {
    /// Which date the window counts from.
    pub basis: WindowBasis,
    /// That date, in the merchant's time zone.
    pub basis_date: NaiveDate,
    /// The window length in days; absent when unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub days: Option<u32>,
    /// The last day of the window (inclusive, merchant's time zone); absent when unlimited.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_day: Option<NaiveDate>,
    /// The deadline instant: the end of `last_day` in the merchant's time zone (a request
    /// at or before it is inside the window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<DateTime<Utc>>,
    /// Whether the business-day extension moved the last day off a weekend.
    pub extended: bool,
    /// Calendar days from `basis_date` to the request's date (merchant's time zone).
    pub days_elapsed: i64,
    /// Whether the request is inside the window.
    pub inside: bool,
}

/// What one item refunds. Fees are negative lines; `total` is the sum of
/// `merchandise`, `restocking_fee` and `return_shipping_fee`, and never below zero.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ItemRefund {
    /// Unit price × quantity returned.
    pub price: Money,
    /// The returned units' share of line and order discounts (negative or zero).
    pub discount: Money,
    /// The returned units' share of the line's tax.
    pub tax: Money,
    /// What the customer paid for the returned units, capped at what is left of the line
    /// after earlier refunds.
    pub merchandise: Money,
    /// The restocking fee percentage that applied.
    #[serde(with = "crate::money::serde_decimal")]
    pub restocking_fee_percent: Decimal,
    /// The restocking fee (negative or zero).
    pub restocking_fee: Money,
    /// This item's share of the return-shipping fee (negative or zero).
    pub return_shipping_fee: Money,
    /// What this item refunds.
    pub total: Money,
}

impl ItemRefund {
    /// All zero (for a rejected item).
    pub fn zero(currency: Currency) -> Self {
        let z = super::refund::zero(currency);
        ItemRefund {
            price: z,
            discount: z,
            tax: z,
            merchandise: z,
            restocking_fee_percent: Decimal::ZERO,
            restocking_fee: z,
            return_shipping_fee: z,
            total: z,
        }
    }
}

/// The refund of the whole request, as lines that add up to `total`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundTotals {
    /// What the customer paid for the items that are not rejected.
    pub merchandise: Money,
    /// Restocking fees (negative or zero).
    pub restocking_fees: Money,
    /// Return-shipping fees (negative or zero).
    pub return_shipping_fees: Money,
    /// The refund (zero for an exchange or a rejected request).
    pub total: Money,
}

/// How the refund is paid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settlement {
    /// Original payment, store credit or exchange.
    pub method: SettlementMethod,
    /// The amount paid out (zero for an exchange).
    pub amount: Money,
    /// The replacement SKUs of an exchange.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replacements: Vec<Replacement>,
}

/// One replacement of an exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replacement {
    /// The returned line.
    pub line_id: String,
    /// The SKU sent instead.
    pub sku: String,
    /// Units.
    pub quantity: u32,
}

/// The fraud score of a request and what it leads to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FraudAssessment {
    /// Sum of the weights of the signals that fired, clamped to 0..=100.
    pub score: u32,
    /// Approve, review or deny.
    pub action: FraudAction,
    /// The signals that fired, heaviest first (ties by code).
    pub signals: Vec<FraudSignal>,
    /// Set when the customer is on the allow or block list (which decides the action).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<CustomerList>,
}

/// What the fraud score leads to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FraudAction {
    /// Below the review threshold.
    Approve,
    /// At or above the review threshold: a person looks at the request.
    Review,
    /// At or above the deny threshold: the whole request is rejected.
    Deny,
}

impl FraudAction {
    /// The snake_case name.
    pub fn as_str(self) -> &'static str {
        match self {
            FraudAction::Approve => "approve",
            FraudAction::Review => "review",
            FraudAction::Deny => "deny",
        }
    }
}

/// Which hard list the customer is on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CustomerList {
    /// Hard allow list: always approve.
    Allow,
    /// Hard block list: always deny (unless also allowed).
    Block,
}

/// One fraud signal that fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FraudSignal {
    /// The signal, e.g. `serial_returner`.
    pub code: String,
    /// Its signed weight.
    pub weight: i32,
    /// The value observed, e.g. `0.62` or `4 returns`.
    pub observed: String,
    /// What it means, with the threshold.
    pub detail: String,
    /// `builtin` or the policy hook's name.
    pub source: String,
}
