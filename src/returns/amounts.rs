//! What each line was paid and what each returned unit refunds.
//!
//! A line's paid amount is `unit price × quantity − line discount − its share of the order
//! discount + line tax`. The order discount is shared across lines in proportion to their
//! value after line discounts, and a line's paid amount and tax are shared across its
//! units, both with [`allocate`] (largest remainder): the shares of every unit add up to
//! exactly what was paid, so returning all units one by one refunds exactly the line.

use super::types::Order;
use crate::money::{allocate, CurrencyOverrides};
use crate::{Currency, Error, Money, RoundingMode};
use rust_decimal::Decimal;

/// The most units of one line that can be split per unit (a bound on memory).
pub(crate) const MAX_LINE_QUANTITY: u32 = 100_000;

/// What one order line was paid.
#[derive(Debug, Clone)]
pub(crate) struct LinePayment {
    /// Everything paid for the line, tax included, after discounts.
    pub(crate) paid: Money,
    /// The line's tax.
    pub(crate) tax: Money,
}

/// The paid amount of every line of `order`, in line order. Amounts are assumed already
/// validated (order currency, non-negative, whole minor units).
pub(crate) fn line_payments(order: &Order) -> Result<Vec<LinePayment>, Error> {
    let currency = order.currency;
    let overrides = CurrencyOverrides::new();
    let mut nets = Vec::with_capacity(order.lines.len());
    for (index, line) in order.lines.iter().enumerate() {
        let gross = line
            .unit_price
            .checked_mul(Decimal::from(line.quantity))
            .map_err(|e| e.in_field(format!("order.lines[{index}].unit_price")))?;
        let discount = line.discount.unwrap_or(zero(currency));
        let net = gross.checked_sub(discount)?;
        if net.is_negative() {
            return Err(Error::invalid(
                format!("order.lines[{index}].discount"),
                format!(
                    "the line discount {discount} exceeds the line's value {gross} ({} × {})",
                    line.quantity, line.unit_price
                ),
            ));
        }
        nets.push(net);
    }
    let order_discount = order.order_discount.unwrap_or(zero(currency));
    let shares = if order_discount.is_zero() {
        vec![zero(currency); nets.len()]
    } else {
        let weights: Vec<Decimal> = nets.iter().map(Money::amount).collect();
        // `Sum` for `Decimal` panics on overflow; hostile amounts must get an error.
        let total = weights
            .iter()
            .try_fold(Decimal::ZERO, |sum, weight| sum.checked_add(*weight))
            .ok_or_else(|| Error::overflow("summing the order's lines").in_field("order.lines"))?;
        if order_discount.amount() > total {
            return Err(Error::invalid(
                "order.order_discount",
                format!(
                    "the order discount {order_discount} exceeds the order's value after line discounts ({total} {currency})"
                ),
            ));
        }
        allocate(order_discount, &weights, &overrides)?
    };
    order
        .lines
        .iter()
        .zip(nets)
        .zip(shares)
        .map(|((line, net), share)| {
            let tax = line.tax.unwrap_or(zero(currency));
            let paid = net.checked_sub(share)?.checked_add(tax)?;
            Ok(LinePayment { paid, tax })
        })
        .collect()
}

/// The refund of units `start..end` (0-based, in the order units are returned) of a line
/// of `quantity` units: `(paid, tax)` for those units.
pub(crate) fn units_refund(
    payment: &LinePayment,
    quantity: u32,
    start: u32,
    end: u32,
) -> Result<(Money, Money), Error> {
    let currency = payment.paid.currency();
    if end <= start || quantity == 0 {
        return Ok((zero(currency), zero(currency)));
    }
    if let (Some(paid), Some(tax)) = (
        equal_units_share(payment.paid, quantity, start, end),
        equal_units_share(payment.tax, quantity, start, end),
    ) {
        return Ok((paid, tax));
    }
    let overrides = CurrencyOverrides::new();
    let weights = vec![Decimal::ONE; quantity as usize];
    let paid_units = allocate(payment.paid, &weights, &overrides)?;
    let tax_units = allocate(payment.tax, &weights, &overrides)?;
    let range = (start as usize)..(end as usize);
    let paid = Money::sum(currency, paid_units.get(range.clone()).unwrap_or(&[]))?;
    let tax = Money::sum(currency, tax_units.get(range).unwrap_or(&[]))?;
    Ok((paid, tax))
}

/// The sum of the shares of units `start..end` when `amount` is split over `quantity`
/// equal units, computed without materialising the shares: what [`allocate`] with
/// `quantity` equal weights gives, summed. With equal weights every remainder is the
/// same, so the leftover minor units go one each to the first units; a negative amount
/// is the negation of the positive split.
///
/// `None` when the arithmetic is not the everyday case (no minor unit, an amount that
/// is not a whole number of minor units, or beyond 64 bits): the caller then allocates.
fn equal_units_share(amount: Money, quantity: u32, start: u32, end: u32) -> Option<Money> {
    let units = u32::from(amount.currency().minor_units()?);
    let decimal = amount.amount();
    if decimal.scale() > units || quantity == 0 || end <= start || end > quantity {
        return None;
    }
    let mut scaled = decimal;
    scaled.rescale(units);
    if scaled.scale() != units {
        return None;
    }
    let minor = i64::try_from(scaled.mantissa()).ok()?;
    let magnitude = minor.checked_abs()?;
    let q = i64::from(quantity);
    let (base, extra) = (magnitude / q, magnitude % q);
    let (start, end) = (i64::from(start), i64::from(end));
    // Units `0..extra` get one more minor unit.
    let extra_in_range = extra.min(end).saturating_sub(start).max(0);
    let total = base.checked_mul(end - start)?.checked_add(extra_in_range)?;
    let total = if minor < 0 { -total } else { total };
    let sum = Decimal::try_from_i128_with_scale(i128::from(total), units).ok()?;
    Some(Money::new(sum, amount.currency()))
}

/// `x` if positive, else zero of its currency.
pub(crate) fn at_least_zero(x: Money) -> Money {
    if x.is_negative() {
        zero(x.currency())
    } else {
        x
    }
}

/// `-x` as a negative line: zero stays `0.00`, never `-0.00`.
pub(crate) fn negative(x: Money) -> Money {
    if x.is_zero() {
        zero(x.currency())
    } else {
        x.neg()
    }
}

/// Zero written with the currency's minor unit (`0.00 EUR`), so that zero amounts print
/// like the others.
pub(crate) fn zero(currency: Currency) -> Money {
    let plain = Money::zero(currency);
    match currency.minor_units() {
        Some(units) => plain.round_dp(u32::from(units), RoundingMode::Down),
        None => plain,
    }
}
