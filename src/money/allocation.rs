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
    let (exact, units) = exact_minor(total, overrides)?;
    let mut inline = [0i128; INLINE];
    let mut heap: Vec<i128>;
    let shares: &mut [i128] = match inline.get_mut(..weights.len()) {
        Some(slice) => slice,
        None => {
            heap = vec![0; weights.len()];
            &mut heap
        }
    };
    allocate_into(exact, weights, shares)?;
    shares
        .iter()
        .map(|&minor| share_money(minor, units, total))
        .collect()
}

/// [`allocate`] over a fixed number of weights, without allocating: the same shares.
pub(crate) fn allocate_array<const N: usize>(
    total: Money,
    weights: &[Decimal; N],
    overrides: &CurrencyOverrides,
) -> Result<[Money; N], Error> {
    let (exact, units) = exact_minor(total, overrides)?;
    let mut shares = [0i128; N];
    allocate_into(exact, weights, &mut shares)?;
    let mut out = [total; N];
    for (slot, &minor) in out.iter_mut().zip(&shares) {
        *slot = share_money(minor, units, total)?;
    }
    Ok(out)
}

/// `total` in minor units, with the currency's minor units (after overrides); an amount
/// with more decimals than the currency has is an error unless they are zeros.
fn exact_minor(total: Money, overrides: &CurrencyOverrides) -> Result<(i128, u8), Error> {
    let units = minor_units(total.currency(), overrides)?;
    // An amount written with exactly the currency's decimals is its minor units already
    // (the usual case); anything else is rounded down and must come back unchanged.
    if total.amount().scale() == u32::from(units) {
        return Ok((total.amount().mantissa(), units));
    }
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
    Ok((exact, units))
}

/// One share of `total`: `minor` units of its currency.
fn share_money(minor: i128, units: u8, total: Money) -> Result<Money, Error> {
    let amount = Decimal::try_from_i128_with_scale(minor, u32::from(units))
        .map_err(|_| Error::overflow("allocate"))?;
    Ok(Money::new(amount, total.currency()))
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
    let mut shares = vec![0i128; weights.len()];
    allocate_into(i128::from(total), weights, &mut shares)?;
    shares
        .into_iter()
        .map(|share| i64::try_from(share).map_err(|_| Error::overflow("allocate_units")))
        .collect()
}

/// Up to this many weights, the scratch space lives on the stack: proration splits over
/// two or three weights many times per decision, and heap allocations dominated its cost.
const INLINE: usize = 8;

/// Writes the shares of `total` over `weights` into `shares` (same length as `weights`).
fn allocate_into(total: i128, weights: &[Decimal], shares: &mut [i128]) -> Result<(), Error> {
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
    let n = weights.len();
    let mut inline_weights = [0i128; INLINE];
    let mut inline_remainders = [0i128; INLINE];
    let mut inline_order = [0usize; INLINE];
    let (mut heap_weights, mut heap_remainders, mut heap_order): (
        Vec<i128>,
        Vec<i128>,
        Vec<usize>,
    );
    let (integer_weights, remainders, order): (&mut [i128], &mut [i128], &mut [usize]) = match (
        inline_weights.get_mut(..n),
        inline_remainders.get_mut(..n),
        inline_order.get_mut(..n),
    ) {
        (Some(w), Some(r), Some(o)) => (w, r, o),
        _ => {
            heap_weights = vec![0; n];
            heap_remainders = vec![0; n];
            heap_order = vec![0; n];
            (&mut heap_weights, &mut heap_remainders, &mut heap_order)
        }
    };
    // Scale every weight to an integer so that the arithmetic below is exact.
    let scale = weights.iter().map(|w| w.scale()).max().unwrap_or(0);
    for (slot, weight) in integer_weights.iter_mut().zip(weights) {
        let mut w = *weight;
        w.rescale(scale);
        if w.scale() != scale {
            return Err(Error::overflow("allocate: weight scale"));
        }
        *slot = w.mantissa();
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
    let mut assigned: i128 = 0;
    for ((share, remainder), w) in shares
        .iter_mut()
        .zip(remainders.iter_mut())
        .zip(integer_weights.iter())
    {
        let numerator = magnitude
            .checked_mul(*w)
            .ok_or_else(|| Error::overflow("allocate: total × weight"))?;
        // 64-bit division is several times faster than 128-bit and covers everyday amounts.
        (*share, *remainder) = match (u64::try_from(numerator), u64::try_from(sum)) {
            (Ok(n), Ok(d)) => (i128::from(n / d), i128::from(n % d)),
            _ => (numerator / sum, numerator % sum),
        };
        assigned = assigned
            .checked_add(*share)
            .ok_or_else(|| Error::overflow("allocate"))?;
    }
    let leftover = magnitude - assigned;
    for (index, slot) in order.iter_mut().enumerate() {
        *slot = index;
    }
    // Largest remainder first, then the larger weight, then the lower index: a total
    // order, so an unstable (allocation-free) sort gives the same result as a stable one.
    order.sort_unstable_by(|&a, &b| {
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
        for share in shares.iter_mut() {
            *share = -*share;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;
    use proptest::prelude::*;

    proptest! {
        /// The fixed-size split gives exactly `allocate`'s shares and errors.
        #[test]
        fn allocate_array_is_allocate(
            minor in -10_000_000i64..10_000_000,
            scale in 0u32..4,
            weights in proptest::array::uniform3((0i64..100_000, 0u32..4)),
        ) {
            let total = Money::new(Decimal::new(minor, scale), Currency::USD);
            let weights = weights.map(|(w, s)| Decimal::new(w, s));
            let overrides = CurrencyOverrides::new();
            match (allocate(total, &weights, &overrides), allocate_array(total, &weights, &overrides)) {
                (Ok(list), Ok(array)) => {
                    prop_assert_eq!(list.len(), 3);
                    for (a, b) in list.iter().zip(&array) {
                        prop_assert_eq!(a.amount(), b.amount());
                        prop_assert_eq!(a.amount().scale(), b.amount().scale());
                        prop_assert_eq!(a.currency(), b.currency());
                    }
                }
                (Err(a), Err(b)) => prop_assert_eq!(a.to_string(), b.to_string()),
                (a, b) => prop_assert!(false, "allocate {a:?}, allocate_array {b:?}"),
            }
        }
    }
}
