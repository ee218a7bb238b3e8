//! FX: the refund's book value (*basis*) in settlement currency at the capture rate, what
//! it costs at the rate used, the FX gain or loss between them, and its conversion into
//! the refund currency.
//!
//! With `remainder_absorbed_by = merchant` the customer gets exactly the presentment
//! value and the merchant books the difference; with `customer` the settlement amount
//! stays at the basis and the customer gets its conversion.

use super::config::RefundsConfig;
use super::proration::{fixed, Proration};
use super::settings::Settings;
use super::types::{
    Conversion, FxDetails, RateSource, RefundCurrency, RefundRequest, RemainderAbsorbedBy,
};
use super::validate::OrderState;
use crate::fx::{rfc3339, QuotedRate, RateTable};
use crate::{Currency, CurrencyOverrides, Error, Money, RoundingMode};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

/// The FX side of a plan, before cash rounding.
pub(super) struct FxResult {
    pub details: FxDetails,
    /// What the customer is owed in the refund currency, before cash rounding.
    pub refund_amount: Money,
}

fn lookup(
    rates: &RateTable,
    from: Currency,
    to: Currency,
    at: DateTime<Utc>,
    config: &RefundsConfig,
    field: &str,
    why: &str,
) -> Result<QuotedRate, Error> {
    let quote = rates.rate(from, to, at).map_err(|err| match err {
        Error::MissingRate { .. } | Error::StaleRate { .. } => Error::Rejected {
            code: err.code().to_string(),
            field: field.to_string(),
            message: format!("{err} (needed {why})"),
        },
        other => other,
    })?;
    if let Some(max_age) = config.max_rate_age_seconds {
        let max_age = Duration::seconds(i64::from(max_age));
        if at.signed_duration_since(quote.as_of) > max_age {
            return Err(Error::Rejected {
                code: "stale_rate".to_string(),
                field: field.to_string(),
                message: format!(
                    "exchange rate {from}->{to} as of {} is stale at {} (maximum age {} s; needed {why})",
                    rfc3339(quote.as_of),
                    rfc3339(at),
                    max_age.num_seconds()
                ),
            });
        }
    }
    Ok(quote)
}

fn currency_field(settings: &Settings) -> &'static str {
    match settings.refund_currency {
        RefundCurrency::Customer => "refund.currency",
        RefundCurrency::Store => "config.store_currency",
        _ => "rates",
    }
}

fn convert(
    amount: Money,
    rate: Decimal,
    to: Currency,
    mode: RoundingMode,
    overrides: &CurrencyOverrides,
) -> Result<Money, Error> {
    let exact = amount
        .amount()
        .checked_mul(rate)
        .ok_or_else(|| Error::overflow("convert"))?;
    Money::new(exact, to).round_with(mode, overrides)
}

/// Values the refund in settlement currency and converts it to the refund currency.
pub(super) fn fx(
    request: &RefundRequest,
    state: &OrderState,
    proration: &Proration,
    settings: &Settings,
    config: &RefundsConfig,
) -> Result<FxResult, Error> {
    let order = &request.order;
    let pres = order.presentment_currency;
    let settl = order.settlement_currency;
    let mode = config.rounding_mode;
    let overrides = &config.currency_overrides;
    let p = proration.total;

    // The basis: the refund's book value at the capture-time rate. The refund that
    // brings the order to fully refunded takes exactly the basis that remains.
    let basis_left = fixed(
        Money::new(state.settled.amount() - state.refunded_basis, settl),
        overrides,
    )?;
    let basis = if state.refunded_total + p.amount() == state.captured.amount() {
        basis_left
    } else {
        convert(p, state.capture_rate, settl, mode, overrides)?.checked_min(basis_left)?
    };

    let (rate_used, rate_as_of, at) = match settings.rate_source {
        RateSource::Capture => (state.capture_rate, state.captured_at, state.captured_at),
        RateSource::Current => {
            let quote = lookup(
                &request.rates,
                pres,
                settl,
                request.now,
                config,
                "rates",
                "to value the refund in settlement currency at the current rate",
            )?;
            (quote.rate, quote.as_of, request.now)
        }
    };
    let at_capture_rate = settings.rate_source == RateSource::Capture;
    let x = settings.currency;
    let why = "to convert the refund into the refund currency";
    let (settlement_amount, refund_amount, conversion) = match settings.absorbed_by {
        RemainderAbsorbedBy::Merchant => {
            // The customer gets exactly the presentment amount's value.
            let settlement_amount = if at_capture_rate {
                basis
            } else {
                convert(p, rate_used, settl, mode, overrides)?
            };
            if x == pres {
                (settlement_amount, p, None)
            } else if x == settl {
                let conversion = Conversion {
                    from: pres,
                    to: settl,
                    rate: rate_used,
                    as_of: rate_as_of,
                };
                (settlement_amount, settlement_amount, Some(conversion))
            } else {
                let quote = lookup(
                    &request.rates,
                    pres,
                    x,
                    at,
                    config,
                    currency_field(settings),
                    why,
                )?;
                let refund_amount = convert(p, quote.rate, x, mode, overrides)?;
                let conversion = Conversion {
                    from: pres,
                    to: x,
                    rate: quote.rate,
                    as_of: quote.as_of,
                };
                (settlement_amount, refund_amount, Some(conversion))
            }
        }
        RemainderAbsorbedBy::Customer => {
            // The settlement amount is fixed at the basis; the customer gets its value.
            if x == settl {
                (basis, basis, None)
            } else if x == pres {
                if at_capture_rate {
                    (basis, p, None)
                } else {
                    let exact = basis
                        .amount()
                        .checked_div(rate_used)
                        .ok_or_else(|| Error::overflow("convert"))?;
                    let refund_amount = Money::new(exact, pres).round_with(mode, overrides)?;
                    let inverse = Decimal::ONE
                        .checked_div(rate_used)
                        .ok_or_else(|| Error::overflow("convert"))?;
                    let conversion = Conversion {
                        from: settl,
                        to: pres,
                        rate: inverse,
                        as_of: rate_as_of,
                    };
                    (basis, refund_amount, Some(conversion))
                }
            } else {
                let quote = lookup(
                    &request.rates,
                    settl,
                    x,
                    at,
                    config,
                    currency_field(settings),
                    why,
                )?;
                let refund_amount = convert(basis, quote.rate, x, mode, overrides)?;
                let conversion = Conversion {
                    from: settl,
                    to: x,
                    rate: quote.rate,
                    as_of: quote.as_of,
                };
                (basis, refund_amount, Some(conversion))
            }
        }
    };
    let gain_loss = fixed(basis.checked_sub(settlement_amount)?, overrides)?;
    Ok(FxResult {
        details: FxDetails {
            rate_source: settings.rate_source,
            remainder_absorbed_by: settings.absorbed_by,
            capture_rate: state.capture_rate,
            rate_used,
            rate_as_of,
            basis,
            settlement_amount,
            gain_loss,
            conversion,
        },
        refund_amount,
    })
}

impl FxDetails {
    /// The trace step of the FX stage.
    pub(super) fn describe(&self) -> String {
        format!(
            "rate {} ({}), basis {}, settlement {}, gain/loss {}",
            self.rate_used,
            self.rate_source.as_str(),
            self.basis,
            self.settlement_amount,
            self.gain_loss
        )
    }
}
