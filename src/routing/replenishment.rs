//! Replenishment: safety stock, reorder point, economic order quantity and min/max
//! suggestions for one SKU at one node.
//!
//! Formulas (standard inventory theory):
//! - safety stock = z · σ_d · √L, or z · √(L·σ_d² + d̄²·σ_L²) when the lead time varies;
//! - reorder point = d̄ · L + safety stock;
//! - economic order quantity (Harris/Wilson) = √(2·D·S / h);
//! - min = reorder point, max = reorder point + EOQ, both rounded up to the order multiple.
//!
//! Every quantity is whole units, rounded up ([`RoundingMode::Ceiling`]): rounding down
//! would under-protect the service level.
//!
//! `z` is the standard normal quantile of the service level, computed (not looked up) with
//! Peter J. Acklam's rational approximation of the inverse normal CDF (relative error below
//! 1.15·10⁻⁹), evaluated entirely in `Decimal` (its `ln` and `sqrt`), so the result is the
//! same on every platform, then rounded to 3 decimals with [`RoundingMode::HalfUp`] as
//! printed z tables are: 95 % → 1.645, 97.5 % → 1.960, 99 % → 2.326. The rounded z is the
//! one used in the safety stock, so a plan can be checked against a z table by hand.
//!
//! ```
//! use backoffice::routing::replenishment::{plan, ReplenishmentInput};
//! use backoffice::{Currency, Money};
//! use rust_decimal_macros::dec;
//!
//! let input = ReplenishmentInput {
//!     sku: "MUG".into(),
//!     mean_daily_demand: dec!(20),
//!     daily_demand_std_dev: dec!(5),
//!     lead_time_days: dec!(9),
//!     lead_time_std_dev_days: None,
//!     service_level: dec!(0.95),
//!     annual_demand: None, // 20 × 365 = 7,300
//!     ordering_cost: Money::new(dec!(50), Currency::EUR),
//!     holding_cost_per_unit_year: Money::new(dec!(2), Currency::EUR),
//!     order_multiple: 12,
//! };
//! let p = plan(&input).unwrap();
//! assert_eq!(p.z, dec!(1.645));
//! assert_eq!(p.safety_stock, 25); // 1.645 × 5 × 3 = 24.675, rounded up
//! assert_eq!(p.reorder_point, 205); // 20 × 9 + 25
//! assert_eq!(p.economic_order_quantity, 605); // √(2 × 7300 × 50 / 2) = 604.15…
//! assert_eq!((p.min, p.max), (216, 816)); // 205 and 810 rounded up to multiples of 12
//! ```

use crate::money::serde_decimal;
use crate::{Error, Money, RoundingMode};
use rust_decimal::{Decimal, MathematicalOps};
use serde::{Deserialize, Serialize};

/// What the replenishment calculation needs for one SKU.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplenishmentInput {
    /// The SKU (echoed in the result).
    pub sku: String,
    /// Mean daily demand d̄ in units (≥ 0).
    #[serde(with = "serde_decimal")]
    pub mean_daily_demand: Decimal,
    /// Standard deviation of daily demand σ_d in units (≥ 0).
    #[serde(with = "serde_decimal")]
    pub daily_demand_std_dev: Decimal,
    /// Lead time L in days (≥ 0).
    #[serde(with = "serde_decimal")]
    pub lead_time_days: Decimal,
    /// Standard deviation of the lead time σ_L in days, when it varies.
    #[serde(default, with = "serde_decimal::option")]
    pub lead_time_std_dev_days: Option<Decimal>,
    /// Cycle service level, e.g. `0.95` (at least 0.5, below 1).
    #[serde(with = "serde_decimal")]
    pub service_level: Decimal,
    /// Annual demand D in units; default d̄ × 365.
    #[serde(default, with = "serde_decimal::option")]
    pub annual_demand: Option<Decimal>,
    /// Cost of placing one order, S.
    pub ordering_cost: Money,
    /// Cost of holding one unit for a year, h (> 0, same currency as S).
    pub holding_cost_per_unit_year: Money,
    /// Orders come in multiples of this many units (default 1).
    #[serde(default = "one")]
    pub order_multiple: u32,
}

fn one() -> u32 {
    1
}

/// The suggestions for one SKU. Every quantity is whole units, rounded up.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReplenishmentPlan {
    /// The SKU.
    pub sku: String,
    /// The z value used (3 decimals).
    #[serde(with = "serde_decimal")]
    pub z: Decimal,
    /// Safety stock.
    pub safety_stock: u64,
    /// Reorder point: demand over the lead time plus safety stock.
    pub reorder_point: u64,
    /// Economic order quantity.
    pub economic_order_quantity: u64,
    /// Suggested minimum (reorder point rounded up to the order multiple).
    pub min: u64,
    /// Suggested maximum (reorder point + EOQ rounded up to the order multiple).
    pub max: u64,
}

/// The standard normal quantile for a service level in `[0.5, 1)`, rounded to 3 decimals
/// (half up).
///
/// ```
/// use backoffice::routing::replenishment::z_for_service_level;
/// use rust_decimal_macros::dec;
/// assert_eq!(z_for_service_level(dec!(0.95)).unwrap(), dec!(1.645));
/// assert_eq!(z_for_service_level(dec!(0.975)).unwrap(), dec!(1.960));
/// assert_eq!(z_for_service_level(dec!(0.99)).unwrap(), dec!(2.326));
/// ```
pub fn z_for_service_level(service_level: Decimal) -> Result<Decimal, Error> {
    if service_level < Decimal::new(5, 1) || service_level >= Decimal::ONE {
        return Err(Error::invalid(
            "service_level",
            format!("must be at least 0.5 and below 1, got {service_level}"),
        ));
    }
    let z = inverse_normal_cdf(service_level)
        .ok_or_else(|| Error::overflow("inverse normal CDF of the service level"))?;
    Ok(RoundingMode::HalfUp.round_dp(z, 3))
}

fn dec(text: &str) -> Option<Decimal> {
    Decimal::from_scientific(text).ok()
}

/// Acklam's algorithm (P. J. Acklam, "An algorithm for computing the inverse normal
/// cumulative distribution function", 2003; coefficients as published there), for
/// `0 < p < 1`, in `Decimal`.
fn inverse_normal_cdf(p: Decimal) -> Option<Decimal> {
    let a = [
        dec("-3.969683028665376e+01")?,
        dec("2.209460984245205e+02")?,
        dec("-2.759285104469687e+02")?,
        dec("1.383577518672690e+02")?,
        dec("-3.066479806614716e+01")?,
        dec("2.506628277459239e+00")?,
    ];
    let b = [
        dec("-5.447609879822406e+01")?,
        dec("1.615858368580409e+02")?,
        dec("-1.556989798598866e+02")?,
        dec("6.680131188771972e+01")?,
        dec("-1.328068155288572e+01")?,
    ];
    let c = [
        dec("-7.784894002430293e-03")?,
        dec("-3.223964580411365e-01")?,
        dec("-2.400758277161838e+00")?,
        dec("-2.549732539343734e+00")?,
        dec("4.374664141464968e+00")?,
        dec("2.938163982698783e+00")?,
    ];
    let d = [
        dec("7.784695709041462e-03")?,
        dec("3.224671290700398e-01")?,
        dec("2.445134137142996e+00")?,
        dec("3.754408661907416e+00")?,
    ];
    let p_low = Decimal::new(2425, 5);
    let p_high = Decimal::ONE - p_low;
    // Horner evaluation with checked arithmetic.
    let horner = |coefficients: &[Decimal], x: Decimal, tail: Decimal| -> Option<Decimal> {
        let mut acc = Decimal::ZERO;
        for k in coefficients {
            acc = acc.checked_mul(x)?.checked_add(*k)?;
        }
        if tail.is_zero() {
            Some(acc)
        } else {
            acc.checked_mul(x)?.checked_add(tail)
        }
    };
    let tail_region = |q_prob: Decimal| -> Option<Decimal> {
        // q = √(−2 ln p)
        let q = (Decimal::from(-2).checked_mul(q_prob.checked_ln()?)?).sqrt()?;
        let numerator = horner(&c, q, Decimal::ZERO)?;
        let denominator = horner(&d, q, Decimal::ONE)?;
        numerator.checked_div(denominator)
    };
    if p <= Decimal::ZERO || p >= Decimal::ONE {
        return None;
    }
    if p < p_low {
        tail_region(p)
    } else if p <= p_high {
        let q = p - Decimal::new(5, 1);
        let r = q.checked_mul(q)?;
        let numerator = horner(&a, r, Decimal::ZERO)?.checked_mul(q)?;
        let denominator = horner(&b, r, Decimal::ONE)?;
        numerator.checked_div(denominator)
    } else {
        tail_region(Decimal::ONE - p).map(|x| -x)
    }
}

fn ceil_units(value: Decimal, what: &str) -> Result<u64, Error> {
    let rounded = RoundingMode::Ceiling.round_dp(value.max(Decimal::ZERO), 0);
    u64::try_from(rounded).map_err(|_| Error::overflow(what))
}

fn round_up_to_multiple(units: u64, multiple: u64) -> Result<u64, Error> {
    let remainder = units.checked_rem(multiple).unwrap_or(0);
    if remainder == 0 {
        Ok(units)
    } else {
        units
            .checked_add(multiple - remainder)
            .ok_or_else(|| Error::overflow("rounding up to the order multiple"))
    }
}

fn non_negative(field: &str, value: Decimal) -> Result<(), Error> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(Error::invalid(
            field,
            format!("must not be negative, got {value}"),
        ));
    }
    Ok(())
}

/// Computes the replenishment suggestions for one SKU.
///
/// Errors name the offending field: negative demand, deviations or lead time, a service
/// level outside `[0.5, 1)`, a holding cost that is not positive, costs in two currencies,
/// an order multiple of 0.
pub fn plan(input: &ReplenishmentInput) -> Result<ReplenishmentPlan, Error> {
    non_negative("mean_daily_demand", input.mean_daily_demand)?;
    non_negative("daily_demand_std_dev", input.daily_demand_std_dev)?;
    non_negative("lead_time_days", input.lead_time_days)?;
    if let Some(sigma) = input.lead_time_std_dev_days {
        non_negative("lead_time_std_dev_days", sigma)?;
    }
    if let Some(annual) = input.annual_demand {
        non_negative("annual_demand", annual)?;
    }
    non_negative("ordering_cost", input.ordering_cost.amount())?;
    if input.holding_cost_per_unit_year.amount() <= Decimal::ZERO {
        return Err(Error::invalid(
            "holding_cost_per_unit_year",
            format!(
                "must be above zero, got {}",
                input.holding_cost_per_unit_year
            ),
        ));
    }
    if input.ordering_cost.currency() != input.holding_cost_per_unit_year.currency() {
        return Err(Error::CurrencyMismatch {
            operation: "economic order quantity (ordering_cost vs holding_cost_per_unit_year)"
                .to_string(),
            left: input.ordering_cost.currency().code().to_string(),
            right: input
                .holding_cost_per_unit_year
                .currency()
                .code()
                .to_string(),
        });
    }
    if input.order_multiple == 0 {
        return Err(Error::invalid(
            "order_multiple",
            "must be at least 1, got 0",
        ));
    }
    let z = z_for_service_level(input.service_level)?;
    let overflow = || Error::overflow("replenishment");
    let d = input.mean_daily_demand;
    let lead = input.lead_time_days;
    let sigma_d = input.daily_demand_std_dev;
    let deviation = match input.lead_time_std_dev_days {
        Some(sigma_l) if !sigma_l.is_zero() => {
            // √(L·σ_d² + d̄²·σ_L²)
            let variance = lead
                .checked_mul(sigma_d.checked_mul(sigma_d).ok_or_else(overflow)?)
                .and_then(|v| {
                    d.checked_mul(d)
                        .and_then(|dd| dd.checked_mul(sigma_l.checked_mul(sigma_l)?))
                        .and_then(|w| v.checked_add(w))
                })
                .ok_or_else(overflow)?;
            variance.sqrt().ok_or_else(overflow)?
        }
        _ => sigma_d
            .checked_mul(lead.sqrt().ok_or_else(overflow)?)
            .ok_or_else(overflow)?,
    };
    let safety_stock = ceil_units(
        z.checked_mul(deviation).ok_or_else(overflow)?,
        "safety stock",
    )?;
    let lead_demand = ceil_units(
        d.checked_mul(lead).ok_or_else(overflow)?,
        "lead-time demand",
    )?;
    let reorder_point = lead_demand.checked_add(safety_stock).ok_or_else(overflow)?;
    let annual = match input.annual_demand {
        Some(annual) => annual,
        None => d.checked_mul(Decimal::from(365)).ok_or_else(overflow)?,
    };
    let eoq_squared = Decimal::TWO
        .checked_mul(annual)
        .and_then(|v| v.checked_mul(input.ordering_cost.amount()))
        .and_then(|v| v.checked_div(input.holding_cost_per_unit_year.amount()))
        .ok_or_else(overflow)?;
    let eoq = ceil_units(
        eoq_squared.sqrt().ok_or_else(overflow)?,
        "economic order quantity",
    )?;
    let multiple = u64::from(input.order_multiple);
    let min = round_up_to_multiple(reorder_point, multiple)?;
    let max = round_up_to_multiple(
        reorder_point.checked_add(eoq).ok_or_else(overflow)?,
        multiple,
    )?;
    Ok(ReplenishmentPlan {
        sku: input.sku.clone(),
        z,
        safety_stock,
        reorder_point,
        economic_order_quantity: eoq,
        min,
        max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn quantiles_match_published_values() {
        // Unrounded values against a z table to 1e-6.
        for (p, z) in [
            (dec!(0.5), dec!(0)),
            (dec!(0.8), dec!(0.841621)),
            (dec!(0.9), dec!(1.281552)),
            (dec!(0.95), dec!(1.644854)),
            (dec!(0.975), dec!(1.959964)),
            (dec!(0.98), dec!(2.053749)),
            (dec!(0.99), dec!(2.326348)),
            (dec!(0.995), dec!(2.575829)),
            (dec!(0.999), dec!(3.090232)),
            (dec!(0.9999), dec!(3.719016)),
        ] {
            let got = inverse_normal_cdf(p).unwrap();
            assert!((got - z).abs() < dec!(0.000001), "p={p}: {got} vs {z}");
        }
        // Symmetry of the lower tail.
        let low = inverse_normal_cdf(dec!(0.01)).unwrap();
        assert!((low + dec!(2.326348)).abs() < dec!(0.000001));
    }

    #[test]
    fn service_level_bounds() {
        assert_eq!(z_for_service_level(dec!(0.5)).unwrap(), dec!(0.000));
        assert_eq!(
            z_for_service_level(dec!(1)).unwrap_err().field(),
            Some("service_level")
        );
        assert_eq!(
            z_for_service_level(dec!(0.4)).unwrap_err().field(),
            Some("service_level")
        );
    }
}
