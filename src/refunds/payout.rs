//! Payout: what the customer receives (after cash rounding), the minimum it must reach,
//! and the processor's fee for paying it back to the original payment.

use super::config::RefundsConfig;
use super::types::RefundMethod;
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;

/// What is paid out for a refund owed `owed` (refund currency, before cash rounding).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Payout {
    /// What the customer is owed, before cash rounding.
    pub owed: Money,
    /// What the customer receives.
    pub paid: Money,
    /// What cash rounding took off (positive) or added (negative), when it applied.
    pub cash_rounding: Option<Money>,
    /// The processor's refund fee, in settlement currency, when configured.
    pub fee: Option<Money>,
}

/// Cash-rounds `owed`, checks the result against `minimum` and looks up the fee for a
/// refund settled in `settlement`.
pub(super) fn pay(
    owed: Money,
    method: RefundMethod,
    minimum: Option<Decimal>,
    settlement: Currency,
    config: &RefundsConfig,
) -> Result<Payout, Error> {
    let (paid, cash_rounding) = cash_round(owed, method, config)?;
    check_minimum(paid, minimum)?;
    Ok(Payout {
        owed,
        paid,
        cash_rounding,
        fee: refund_fee(config, method, settlement),
    })
}

/// Cash rounding: the amount the customer receives and the adjustment, when it applies.
fn cash_round(
    amount: Money,
    method: RefundMethod,
    config: &RefundsConfig,
) -> Result<(Money, Option<Money>), Error> {
    if method != RefundMethod::Cash {
        return Ok((amount, None));
    }
    let Some(increment) = config
        .cash_rounding
        .iter()
        .find(|m| m.currency() == amount.currency())
    else {
        return Ok((amount, None));
    };
    let rounded = amount.round_to_increment(increment.amount(), config.rounding_mode)?;
    let adjustment = amount.checked_sub(rounded)?;
    Ok((rounded, Some(adjustment)))
}

/// Refuses a payout of zero or less, and one below `minimum` (in the payout currency).
fn check_minimum(paid: Money, minimum: Option<Decimal>) -> Result<(), Error> {
    if paid.is_zero() || paid.is_negative() {
        return Err(Error::Rejected {
            code: "refund_rounds_to_zero".to_string(),
            field: "refund".to_string(),
            message: format!("the refund comes to {paid}; a refund must pay out more than zero"),
        });
    }
    if let Some(minimum) = minimum {
        if paid.amount() < minimum {
            // Show the minimum with the currency's decimals (`50` as `50.00`).
            let mut shown = minimum;
            if let Some(units) = paid.currency().minor_units().map(u32::from) {
                if shown.scale() < units {
                    shown.rescale(units);
                }
            }
            return Err(Error::Rejected {
                code: "below_minimum_refund".to_string(),
                field: "refund".to_string(),
                message: format!(
                    "the refund comes to {paid}, below the minimum refund of {}",
                    Money::new(shown, paid.currency())
                ),
            });
        }
    }
    Ok(())
}

/// The processor fee for a refund to the original payment settled in `currency`.
fn refund_fee(config: &RefundsConfig, method: RefundMethod, currency: Currency) -> Option<Money> {
    if method != RefundMethod::OriginalPayment {
        return None;
    }
    config
        .refund_fees
        .iter()
        .find(|m| m.currency() == currency && !m.is_zero())
        .copied()
}
