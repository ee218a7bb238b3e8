//! The refunds engine's configuration. Every field has a documented default, so `{}` is a
//! complete configuration; [`check`] is what [`RefundsEngine::new`](super::RefundsEngine::new)
//! refuses.

use super::types::{RateSource, RefundCurrency, RemainderAbsorbedBy};
use crate::{Currency, CurrencyOverrides, Error, Money, RoundingMode};
use serde::{Deserialize, Serialize};
use std::borrow::Cow;

/// Ledger account names. Every field has a default, so `{}` is a valid value. The
/// defaults are borrowed from the library, so plans that use them allocate nothing for
/// their account names; set a name with `"4010".into()` or `String::from(..).into()`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LedgerAccounts {
    /// Debited with the refunded line amounts (default `sales_returns`).
    pub sales_returns: Cow<'static, str>,
    /// Debited with the refunded tax (default `tax_payable`).
    pub tax_payable: Cow<'static, str>,
    /// Debited with the refunded shipping (default `shipping_revenue`).
    pub shipping_revenue: Cow<'static, str>,
    /// Debited with an FX loss, credited with an FX gain (default `fx_gain_loss`).
    pub fx_gain_loss: Cow<'static, str>,
    /// The currency trading account that moves value between the settlement and the
    /// refund currency (default `fx_conversion`).
    pub fx_conversion: Cow<'static, str>,
    /// Credited with refunds to the original payment (default `payment_clearing`).
    pub payment_clearing: Cow<'static, str>,
    /// Credited with refunds as store credit (default `store_credit_liability`).
    pub store_credit: Cow<'static, str>,
    /// Credited with cash refunds (default `cash`).
    pub cash: Cow<'static, str>,
    /// Takes the difference made by cash rounding (default `cash_rounding`).
    pub cash_rounding: Cow<'static, str>,
    /// Debited with processor refund fees (default `payment_fees`).
    pub payment_fees: Cow<'static, str>,
}

impl Default for LedgerAccounts {
    fn default() -> Self {
        LedgerAccounts {
            sales_returns: Cow::Borrowed("sales_returns"),
            tax_payable: Cow::Borrowed("tax_payable"),
            shipping_revenue: Cow::Borrowed("shipping_revenue"),
            fx_gain_loss: Cow::Borrowed("fx_gain_loss"),
            fx_conversion: Cow::Borrowed("fx_conversion"),
            payment_clearing: Cow::Borrowed("payment_clearing"),
            store_credit: Cow::Borrowed("store_credit_liability"),
            cash: Cow::Borrowed("cash"),
            cash_rounding: Cow::Borrowed("cash_rounding"),
            payment_fees: Cow::Borrowed("payment_fees"),
        }
    }
}

/// How the refunds engine decides. Every field has a default, so `{}` is a valid
/// configuration. Each of `refund_currency`, `rate_source`, `remainder_absorbed_by` and
/// `minimum_refund` can also be decided per request by a policy hook of the same name.
///
/// JSON example:
/// `{"refund_currency": "store", "store_currency": "EUR", "rate_source": "current",
///   "cash_rounding": [{"amount": "0.05", "currency": "CHF"}]}`
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct RefundsConfig {
    /// Which currency the customer is refunded in (default `presentment`).
    pub refund_currency: RefundCurrency,
    /// The store currency for `refund_currency = store`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub store_currency: Option<Currency>,
    /// Which rate values the refund (default `capture`).
    pub rate_source: RateSource,
    /// Who bears the FX difference (default `merchant`).
    pub remainder_absorbed_by: RemainderAbsorbedBy,
    /// How conversions and cash rounding round (default `half_even`).
    pub rounding_mode: RoundingMode,
    /// The smallest refund paid, per refund currency; a currency not listed has no
    /// minimum beyond "more than zero" (a refund that rounds to zero is always rejected).
    pub minimum_refund: Vec<Money>,
    /// Cash rounding increments for cash refunds, per currency (e.g. CHF 0.05).
    pub cash_rounding: Vec<Money>,
    /// A fixed fee the processor charges per refund to the original payment, per
    /// settlement currency, booked as an expense.
    pub refund_fees: Vec<Money>,
    /// A looked-up rate older than this (seconds) at the time it is needed for is stale
    /// (default 86,400; `null` for no limit).
    pub max_rate_age_seconds: Option<u32>,
    /// Minor units that differ from ISO 4217 (e.g. a processor settling HUF without
    /// decimals).
    pub currency_overrides: CurrencyOverrides,
    /// Ledger account names.
    #[serde(deserialize_with = "crate::engine::object_only")]
    pub accounts: LedgerAccounts,
}

impl Default for RefundsConfig {
    fn default() -> Self {
        RefundsConfig {
            refund_currency: RefundCurrency::default(),
            store_currency: None,
            rate_source: RateSource::default(),
            remainder_absorbed_by: RemainderAbsorbedBy::default(),
            rounding_mode: RoundingMode::HalfEven,
            minimum_refund: Vec::new(),
            cash_rounding: Vec::new(),
            refund_fees: Vec::new(),
            max_rate_age_seconds: Some(86_400),
            currency_overrides: CurrencyOverrides::new(),
            accounts: LedgerAccounts::default(),
        }
    }
}

/// Checks `config`: `refund_currency = store` needs a `store_currency`; cash rounding
/// increments must be positive; minimums and fees must not be negative; no currency may
/// be listed twice.
pub(super) fn check(config: &RefundsConfig) -> Result<(), Error> {
    if config.refund_currency == RefundCurrency::Store && config.store_currency.is_none() {
        return Err(Error::invalid(
            "config.store_currency",
            "refund_currency is `store`, so a store_currency (e.g. \"EUR\") is required",
        ));
    }
    check_money_list("minimum_refund", &config.minimum_refund, true)?;
    check_money_list("cash_rounding", &config.cash_rounding, false)?;
    check_money_list("refund_fees", &config.refund_fees, true)
}

fn check_money_list(field: &str, list: &[Money], allow_zero: bool) -> Result<(), Error> {
    for (i, money) in list.iter().enumerate() {
        if money.is_negative() || (!allow_zero && money.is_zero()) {
            return Err(Error::invalid(
                format!("config.{field}[{i}]"),
                format!(
                    "must be {}, got {money}",
                    if allow_zero {
                        "zero or more"
                    } else {
                        "positive"
                    }
                ),
            ));
        }
        if list
            .iter()
            .take(i)
            .any(|m| m.currency() == money.currency())
        {
            return Err(Error::invalid(
                format!("config.{field}[{i}]"),
                format!("{} is listed twice", money.currency()),
            ));
        }
    }
    Ok(())
}
