//! The refunds engine's request and plan types, and the choices its configuration and
//! policies make (the JSON shapes).

use crate::fx::RateTable;
use crate::money::serde_decimal;
use crate::{Currency, Money};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Which currency the customer is refunded in.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundCurrency {
    /// The currency the customer paid in (the default).
    #[default]
    Presentment,
    /// The currency the merchant was paid out in.
    Settlement,
    /// The configured [`RefundsConfig::store_currency`](super::RefundsConfig::store_currency).
    Store,
    /// The currency the customer chose ([`RequestedRefund::currency`]).
    Customer,
}

impl RefundCurrency {
    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundCurrency::Presentment => "presentment",
            RefundCurrency::Settlement => "settlement",
            RefundCurrency::Store => "store",
            RefundCurrency::Customer => "customer",
        }
    }
}

/// Which exchange rate values the refund in settlement currency.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateSource {
    /// The rate stored with the capture (the default). Conversions to a currency other
    /// than presentment and settlement use the rate table at the capture time.
    #[default]
    Capture,
    /// The rate table at the request's `now`.
    Current,
}

impl RateSource {
    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            RateSource::Capture => "capture",
            RateSource::Current => "current",
        }
    }
}

/// Who bears the difference between the capture-time and the refund-time rate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemainderAbsorbedBy {
    /// The customer receives exactly the presentment amount; the merchant books the FX
    /// gain or loss (the default).
    #[default]
    Merchant,
    /// The settlement amount is fixed at its capture-time value; the customer receives its
    /// conversion at the rate used.
    Customer,
}

impl RemainderAbsorbedBy {
    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            RemainderAbsorbedBy::Merchant => "merchant",
            RemainderAbsorbedBy::Customer => "customer",
        }
    }
}

/// How the money goes back to the customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundMethod {
    /// Back to the card or wallet that paid (through the payment processor).
    OriginalPayment,
    /// As store credit (a liability of the merchant).
    StoreCredit,
    /// In cash (cash rounding applies when configured for the refund currency).
    Cash,
}

impl RefundMethod {
    /// The snake_case name used in JSON and in policies.
    pub fn as_str(self) -> &'static str {
        match self {
            RefundMethod::OriginalPayment => "original_payment",
            RefundMethod::StoreCredit => "store_credit",
            RefundMethod::Cash => "cash",
        }
    }
}

/// One capture of the order's payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Capture {
    /// The amount captured, in presentment currency.
    pub amount: Money,
    /// What the merchant was paid out for it, in settlement currency.
    pub settled: Money,
    /// The rate used: settlement units per presentment unit.
    #[serde(with = "serde_decimal")]
    pub rate: Decimal,
    /// When the capture happened.
    pub captured_at: DateTime<Utc>,
}

/// One line of the order as paid.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    /// The line's identifier, unique within the order.
    pub line_id: String,
    /// Units bought (at least 1).
    pub quantity: i64,
    /// What the line paid, tax excluded, in presentment currency.
    pub amount: Money,
    /// The tax the line paid, in presentment currency.
    pub tax: Money,
}

/// The order being refunded.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Order {
    /// The order's identifier.
    pub order_id: String,
    /// The currency the customer paid in.
    pub presentment_currency: Currency,
    /// The currency the merchant was paid out in.
    pub settlement_currency: Currency,
    /// When the order was placed (policies see the order's age in days).
    pub placed_at: DateTime<Utc>,
    /// The customer's country (ISO 3166-1 alpha-2), for policies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_country: Option<String>,
    /// The captures of the payment (at least one).
    pub captures: Vec<Capture>,
    /// The lines as paid (at least one).
    pub lines: Vec<OrderLine>,
    /// Shipping paid, in presentment currency (none when absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shipping: Option<Money>,
}

/// A refund made earlier for the same order, as recorded by the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EarlierRefund {
    /// Its idempotency key.
    pub idempotency_key: String,
    /// Its request fingerprint (`sha256:<hex>`).
    pub fingerprint: String,
    /// The plan the engine returned for it.
    pub plan: RefundPlan,
}

/// One line of a refund request: a quantity or an amount, not both.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundLineRequest {
    /// The order line to refund.
    pub line_id: String,
    /// Units to refund (prorated by largest remainder).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// An amount of the line's paid amount (tax excluded, presentment currency); the
    /// matching share of the line's tax is added.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
}

/// Which part of the shipping to refund.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum ShippingRefund {
    /// None of it (the default): `"none"`.
    #[default]
    None,
    /// All that remains: `"all"`.
    All,
    /// This amount, in presentment currency: `{"amount": {"amount": "4.00", "currency": "USD"}}`.
    Amount(Money),
}

/// What the caller asks to refund.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestedRefund {
    /// 1 to 255 printable ASCII characters; a retry must reuse it.
    pub idempotency_key: String,
    /// The lines to refund.
    #[serde(default)]
    pub lines: Vec<RefundLineRequest>,
    /// The shipping to refund.
    #[serde(default)]
    pub shipping: ShippingRefund,
    /// Why (free text, kept in the plan).
    pub reason: String,
    /// How the money goes back.
    pub method: RefundMethod,
    /// The customer's chosen currency, used when the refund currency is `customer`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub currency: Option<Currency>,
}

/// Everything one refund decision needs. The engine reads no clock and fetches no rate:
/// `now` and `rates` come from the caller.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    /// The order.
    pub order: Order,
    /// Refunds already made for this order.
    #[serde(default)]
    pub earlier_refunds: Vec<EarlierRefund>,
    /// The refund asked for.
    pub refund: RequestedRefund,
    /// Exchange rates (needed for `rate_source = current` and for refund currencies other
    /// than presentment and settlement).
    #[serde(default)]
    pub rates: RateTable,
    /// The time of the decision.
    pub now: DateTime<Utc>,
}

/// One refunded line in a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedLine {
    /// The order line.
    pub line_id: String,
    /// Units refunded (absent for a refund by amount).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub quantity: Option<i64>,
    /// The line amount refunded (tax excluded), in presentment currency.
    pub amount: Money,
    /// The tax refunded, in presentment currency.
    pub tax: Money,
}

/// The exchange-rate side of a plan.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FxDetails {
    /// Where `rate_used` came from.
    pub rate_source: RateSource,
    /// Who bore the FX difference.
    pub remainder_absorbed_by: RemainderAbsorbedBy,
    /// The capture-time rate (settlement per presentment unit; the captures' blended
    /// rate when they differ).
    #[serde(with = "serde_decimal")]
    pub capture_rate: Decimal,
    /// The rate used to value the refund in settlement currency.
    #[serde(with = "serde_decimal")]
    pub rate_used: Decimal,
    /// When `rate_used` was quoted.
    pub rate_as_of: DateTime<Utc>,
    /// The refund's settlement-currency value at the capture-time rate (the book value
    /// being reversed).
    pub basis: Money,
    /// What the refund costs the merchant in settlement currency.
    pub settlement_amount: Money,
    /// `basis - settlement_amount`: positive is an FX gain, negative an FX loss.
    pub gain_loss: Money,
    /// The conversion into the refund currency, when one was needed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion: Option<Conversion>,
}

/// A currency conversion the plan made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conversion {
    /// Converted from.
    pub from: Currency,
    /// Converted to.
    pub to: Currency,
    /// Units of `to` per unit of `from`.
    #[serde(with = "serde_decimal")]
    pub rate: Decimal,
    /// When the rate was quoted.
    pub as_of: DateTime<Utc>,
}

/// Debit or credit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Side {
    /// Debit.
    Debit,
    /// Credit.
    Credit,
}

/// One ledger posting; amounts are positive and the side says which way.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LedgerEntry {
    /// The account (from [`LedgerAccounts`](super::LedgerAccounts); compare it with a `&str`).
    pub account: Cow<'static, str>,
    /// Debit or credit.
    pub side: Side,
    /// The amount (positive).
    pub amount: Money,
}

/// What to pay, in which currency, and what to book: the engine's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundPlan {
    /// The request's idempotency key.
    pub idempotency_key: String,
    /// The request's fingerprint (`sha256:<hex>`).
    pub fingerprint: String,
    /// The order refunded.
    pub order_id: String,
    /// The request's reason.
    pub reason: String,
    /// How the money goes back.
    pub method: RefundMethod,
    /// When the plan was made (the request's `now`).
    pub decided_at: DateTime<Utc>,
    /// How the refund currency was chosen.
    pub refund_currency: RefundCurrency,
    /// The refunded lines, in request order.
    pub lines: Vec<PlannedLine>,
    /// The shipping refunded, in presentment currency.
    pub shipping: Money,
    /// Lines + tax + shipping, in presentment currency: what counts against the caps.
    pub presentment_amount: Money,
    /// What the customer receives, in the refund currency.
    pub amount: Money,
    /// What cash rounding took off (positive) or added (negative), in the refund
    /// currency, when it applied.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cash_rounding: Option<Money>,
    /// The processor's refund fee, in settlement currency, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fee: Option<Money>,
    /// Rates, settlement value and FX gain or loss.
    pub fx: FxDetails,
    /// Balanced postings (debits equal credits in every currency).
    pub ledger: Vec<LedgerEntry>,
}

/// The outcome of a refund decision: a plan, new or replayed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefundOutcome {
    /// `true` when the plan is an earlier refund's plan returned unchanged for a retry.
    pub replay: bool,
    /// The plan.
    pub plan: RefundPlan,
}
