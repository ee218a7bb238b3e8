//! Largest-remainder (Hamilton) allocation in minor units.

use super::{minor_units, to_minor_i128, CurrencyOverrides, Money, RoundingMode};
use crate::Error;
use rust_decimal::Decimal;

/// Splits `total` over `weights` so that the shares sum exactly to `total`.
///
/// Each share starts as its exact proportional share in minor units, truncated toward
/// zero; the units left over go one each to the shares with the largest fractional
/// remainder; ties go to the larger weight, then to the lower index. A zero weight gets
/// zero, and allocating `-x` gives the negation of allocating `x`.
///
/// `total` must already be a whole number of minor units. Empty weights, a negative
/// weight, or all-zero weights are errors.
///
/// ```
/// use backoffice::money::{allocate, CurrencyOverrides, Money};
/// use backoffice::Currency;
/// use rust_decimal_macros::dec;
/// let shares = allocate(
///     Money::new(dec!(1.00), Currency::USD),
///     &[dec!(2), dec!(3), dec!(1)],
///     &CurrencyOverrides::new(),
/// )
/// .unwrap();
/// let amounts: Vec<_> = shares.iter().map(|m| m.amount()).collect();
/// assert_eq!(amounts, vec![dec!(0.33), dec!(0.50), dec!(0.17)]);
/// ```
pub fn allocate(
    total: Money,
    weights: &[Decimal],
    overrides: &CurrencyOverrides,
) -> Result<Vec<Money>, Error> {
    let units = minor_units(total.currency(), overrides)?;
    let exact = to_minor_i128(total.amount(), units, RoundingMode::Down)?;
    let back = Decimal::try_from_i128_with_scale(exact, u32::from(units))
        .map_err(|_| Error::overflow("allocate"))?;
    if back != total.amount() {
        return Err(Error::invalid(
            "total",
            format!(
                "{total} has more decimal places than {} allows ({units}); round it first",
                total.currency()
            ),
        ));
    }
    let shares = allocate_i128(exact, weights)?;
    shares
        .into_iter()
        .map(|minor| {
            Decimal::try_from_i128_with_scale(minor, u32::from(units))
                .map(|amount| Money::new(amount, total.currency()))
                .map_err(|_| Error::overflow("allocate"))
        })
        .collect()
}

/// Splits a whole number of units (items, minor units) over `weights` by the
/// largest-remainder method, with the same rules as [`allocate`].
///
/// ```
/// use backoffice::money::allocate_units;
/// use rust_decimal_macros::dec;
/// assert_eq!(allocate_units(10, &[dec!(1), dec!(1), dec!(2)]).unwrap(), vec![3, 2, 5]);
/// ```
pub fn allocate_units(total: i64, weights: &[Decimal]) -> Result<Vec<i64>, Error> {
    allocate_i128(i128::from(total), weights)?
        .into_iter()
        .map(|share| i64::try_from(share).map_err(|_| Error::overflow("allocate_units")))
        .collect()
}

fn allocate_i128(total: i128, weights: &[Decimal]) -> Result<Vec<i128>, Error> {
    if weights.is_empty() {
        return Err(Error::invalid(
            "weights",
            "cannot allocate over an empty list of weights",
        ));
    }
    for (index, weight) in weights.iter().enumerate() {
        if weight.is_sign_negative() && !weight.is_zero() {
            return Err(Error::invalid(
                format!("weights[{index}]"),
                format!("weight must not be negative, got {weight}"),
            ));
        }
    }
    // Scale every weight to an integer so that the arithmetic below is exact.
    let scale = weights.iter().map(|w| w.scale()).max().unwrap_or(0);
    let mut integer_weights = Vec::with_capacity(weights.len());
    for weight in weights {
        let mut w = *weight;
        w.rescale(scale);
        if w.scale() != scale {
            return Err(Error::overflow("allocate: weight scale"));
        }
        integer_weights.push(w.mantissa());
    }
    let sum = integer_weights
        .iter()
        .try_fold(0i128, |acc, w| acc.checked_add(*w))
        .ok_or_else(|| Error::overflow("allocate: sum of weights"))?;
    if sum == 0 {
        return Err(Error::invalid(
            "weights",
            "all weights are zero; nothing to allocate by",
        ));
    }
    let negative = total < 0;
    let magnitude = total
        .checked_abs()
        .ok_or_else(|| Error::overflow("allocate"))?;
    let mut shares = Vec::with_capacity(weights.len());
    let mut remainders = Vec::with_capacity(weights.len());
    let mut assigned: i128 = 0;
    for w in &integer_weights {
        let numerator = magnitude
            .checked_mul(*w)
            .ok_or_else(|| Error::overflow("allocate: total × weight"))?;
        let share = numerator / sum;
        remainders.push(numerator % sum);
        assigned = assigned
            .checked_add(share)
            .ok_or_else(|| Error::overflow("allocate"))?;
        shares.push(share);
    }
    let leftover = magnitude - assigned;
    let mut order: Vec<usize> = (0..weights.len()).collect();
    order.sort_by(|&a, &b| {
        let key = |i: usize| {
            (
                remainders.get(i).copied().unwrap_or(0),
                integer_weights.get(i).copied().unwrap_or(0),
            )
        };
        key(b).cmp(&key(a)).then(a.cmp(&b))
    });
    // leftover < number of weights, because each remainder is below one unit.
    for &index in order.iter().take(usize::try_from(leftover).unwrap_or(0)) {
        if let Some(share) = shares.get_mut(index) {
            *share += 1;
        }
    }
    if negative {
        for share in &mut shares {
            *share = -*share;
        }
    }
    Ok(shares)
}
