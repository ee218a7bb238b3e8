//! Proration: what each requested line and the shipping refund, within the per-line,
//! shipping and order caps.
//!
//! A quantity refunds its share of what remains of the line's amount and tax, by
//! largest-remainder allocation ([`crate::money::allocate`], with a two-way shortcut
//! computed in integers); the last units take exactly what remains, so any sequence of
//! partial refunds adds up to what the line paid.

use super::config::RefundsConfig;
use super::types::{PlannedLine, RefundRequest, ShippingRefund};
use super::validate::{
    line_ids, line_index, positive_money, same_id, OrderState, NOTHING_REFUNDED,
};
use crate::money::allocate;
use crate::{CurrencyOverrides, Error, Money, RoundingMode};
use rust_decimal::Decimal;

/// The prorated lines and shipping of a request.
pub(super) struct Proration {
    pub lines: Vec<PlannedLine>,
    pub lines_total: Money,
    pub tax_total: Money,
    pub shipping: Money,
    pub total: Money,
}

impl Proration {
    /// The trace step of proration.
    pub(super) fn describe(&self, state: &OrderState) -> String {
        format!(
            "lines {}, tax {}, shipping {}: {} of {} captured ({} refunded before)",
            self.lines_total,
            self.tax_total,
            self.shipping,
            self.total,
            state.captured,
            state.refunded_total
        )
    }
}

/// `money` written with exactly its currency's minor units (amounts here are already
/// whole minor units, so this only fixes the scale: `0` becomes `0.00`).
pub(super) fn fixed(money: Money, overrides: &CurrencyOverrides) -> Result<Money, Error> {
    fixed_in(money, overrides.minor_units(money.currency()), overrides)
}

/// [`fixed`] with the currency's minor units (after overrides) already looked up.
#[inline(always)]
fn fixed_in(
    money: Money,
    units: Option<u8>,
    overrides: &CurrencyOverrides,
) -> Result<Money, Error> {
    match units {
        Some(units) if money.amount().scale() == u32::from(units) => Ok(money),
        _ => money.round_with(RoundingMode::Down, overrides),
    }
}

fn over_refund(field: String, message: String) -> Error {
    Error::Rejected {
        code: "over_refund".to_string(),
        field,
        message,
    }
}

/// The share `part / whole` of `remaining`, by largest remainder; `part == whole` takes
/// exactly what remains.
fn share_of(
    remaining: Money,
    part: Decimal,
    whole: Decimal,
    overrides: &CurrencyOverrides,
) -> Result<Money, Error> {
    if part >= whole || remaining.is_zero() {
        return Ok(remaining);
    }
    if let Some(share) = two_way_share(remaining, part, whole, overrides) {
        return Ok(share);
    }
    let rest = whole
        .checked_sub(part)
        .ok_or_else(|| Error::overflow("proration"))?;
    let shares = allocate(remaining, &[part, rest], overrides)?;
    shares
        .first()
        .copied()
        .ok_or_else(|| Error::overflow("proration"))
}

/// The first share of `allocate(remaining, [part, whole - part])` computed directly in
/// integers, without the general allocation's buffers: the same largest-remainder rule
/// (the leftover unit goes to the larger remainder, ties to the larger weight, then to
/// the first share). `None` when the shortcut does not apply (an amount not written with
/// exactly its currency's minor units, a negative amount or weight, or products beyond
/// `i128`); the caller then uses [`allocate`], which also reports any error.
fn two_way_share(
    remaining: Money,
    part: Decimal,
    whole: Decimal,
    overrides: &CurrencyOverrides,
) -> Option<Money> {
    let units = overrides.minor_units(remaining.currency())?;
    let amount = remaining.amount();
    if amount.scale() != u32::from(units)
        || amount.is_sign_negative()
        || part.is_sign_negative()
        || whole.is_sign_negative()
    {
        return None;
    }
    // Integer weights at a common scale (scaling both weights by the same factor does
    // not change any share, nor the order of the remainders).
    let scale = part.scale().max(whole.scale());
    let (mut p, mut w) = (part, whole);
    p.rescale(scale);
    w.rescale(scale);
    if p.scale() != scale || w.scale() != scale {
        return None;
    }
    two_way_minor(remaining, p.mantissa(), w.mantissa(), units)
}

/// [`two_way_share`] with integer weights `part` and `sum` (the whole), for an amount
/// already known to be written with exactly `units` decimals.
#[inline(always)]
fn two_way_minor(remaining: Money, p: i128, sum: i128, units: u8) -> Option<Money> {
    let amount = remaining.amount();
    let rest = sum.checked_sub(p)?;
    if sum <= 0 || rest < 0 || p < 0 {
        return None;
    }
    let total = amount.mantissa();
    if total < 0 {
        return None;
    }
    let a = total.checked_mul(p)?;
    // The general allocation also forms `total × rest`: beyond `i128` it reports an
    // overflow, so the shortcut must not answer then.
    total.checked_mul(rest)?;
    // Narrow divisions are several times faster than 128-bit ones: 32 bits cover
    // everyday amounts in minor units, 64 bits nearly all others.
    let (qa, ra) = match (u32::try_from(a), u32::try_from(sum)) {
        (Ok(n), Ok(d)) => (i128::from(n / d), i128::from(n % d)),
        _ => match (u64::try_from(a), u64::try_from(sum)) {
            (Ok(n), Ok(d)) => (i128::from(n / d), i128::from(n % d)),
            _ => (a / sum, a % sum),
        },
    };
    // As total × sum = a + b (b = total × rest), the second share needs no division:
    // with ra > 0 it is total - qa - 1 with remainder sum - ra and one unit is left
    // over; with ra = 0 both divide exactly and nothing is left over.
    let share = if ra > 0 && (ra, p) >= (sum - ra, rest) {
        qa + 1
    } else {
        qa
    };
    let share = Decimal::try_from_i128_with_scale(share, u32::from(units)).ok()?;
    Some(Money::new(share, remaining.currency()))
}

/// [`share_of`] for whole units: `part` of `whole` units of `remaining`, whose
/// currency has `units` minor units (after overrides).
#[inline(always)]
fn share_of_units(
    remaining: Money,
    part: i64,
    whole: i64,
    units: Option<u8>,
    overrides: &CurrencyOverrides,
) -> Result<Money, Error> {
    if part >= whole || remaining.is_zero() {
        return Ok(remaining);
    }
    let exact = units.filter(|units| {
        remaining.amount().scale() == u32::from(*units) && !remaining.amount().is_sign_negative()
    });
    if let Some(share) =
        exact.and_then(|units| two_way_minor(remaining, i128::from(part), i128::from(whole), units))
    {
        return Ok(share);
    }
    share_of(
        remaining,
        Decimal::from(part),
        Decimal::from(whole),
        overrides,
    )
}

/// `a - b`; `a` itself when `b` is zero (what `Decimal` subtraction returns then, without
/// the call: nothing was refunded before is the usual case).
#[inline(always)]
fn minus(a: Decimal, b: Decimal) -> Decimal {
    if b.is_zero() {
        a
    } else {
        a - b
    }
}

/// A running total with exactly the result of `Decimal::checked_add` from zero, kept in
/// integer minor units while every amount added is non-negative, has exactly `units`
/// decimals and the total fits in 96 bits (then the `Decimal` sums are exact and keep
/// that scale); otherwise it continues in `Decimal`.
enum Sum {
    /// The minor units so far, whether anything was added, and the scale.
    Minor(i128, bool, u32),
    Exact(Decimal),
}

impl Sum {
    fn new(units: Option<u8>) -> Self {
        match units {
            Some(units) => Sum::Minor(0, false, u32::from(units)),
            None => Sum::Exact(Decimal::ZERO),
        }
    }

    /// The total as `Decimal` would have it.
    fn value(&self) -> Decimal {
        match *self {
            Sum::Minor(_, false, _) => Decimal::ZERO,
            Sum::Minor(minor, true, scale) => {
                // Always fits: `add` keeps it under 2^96.
                Decimal::try_from_i128_with_scale(minor, scale).unwrap_or(Decimal::MAX)
            }
            Sum::Exact(total) => total,
        }
    }

    /// Adds `amount`; `None` when `Decimal` would overflow.
    #[inline(always)]
    fn add(&mut self, amount: Decimal) -> Option<()> {
        if let Sum::Minor(minor, added, scale) = self {
            if amount.scale() == *scale && !amount.is_sign_negative() {
                let next = minor.checked_add(amount.mantissa())?;
                if next < 1i128 << 96 {
                    *minor = next;
                    *added = true;
                    return Some(());
                }
            }
            *self = Sum::Exact(self.value());
        }
        if let Sum::Exact(total) = self {
            *total = total.checked_add(amount)?;
        }
        Some(())
    }
}

/// Prorates the requested lines and shipping, enforcing the per-line, shipping and order
/// caps.
pub(super) fn prorate(
    request: &RefundRequest,
    state: &OrderState,
    config: &RefundsConfig,
) -> Result<Proration, Error> {
    let order = &request.order;
    let refund = &request.refund;
    let overrides = &config.currency_overrides;
    let pres = order.presentment_currency;
    let mut lines = Vec::with_capacity(refund.lines.len());
    let units = overrides.minor_units(pres);
    let mut lines_total = Sum::new(units);
    let mut tax_total = Sum::new(units);
    let overflow = || Error::overflow("summing the refund");
    // Which order lines the request named: bits for up to 128 lines, else a table.
    let mut seen_bits = 0u128;
    let mut seen_table = if order.lines.len() > 128 {
        vec![false; order.lines.len()]
    } else {
        Vec::new()
    };
    for (i, asked) in refund.lines.iter().enumerate() {
        // Requests usually list lines in the order's order: try the same position first.
        let index = match order.lines.get(i) {
            Some(line) if same_id(&line.line_id, &asked.line_id) => Some(i),
            _ => line_index(order, &asked.line_id),
        }
        .ok_or_else(|| {
            Error::invalid(
                format!("refund.lines[{i}].line_id"),
                format!(
                    "unknown line `{}`; the order's lines are {}",
                    asked.line_id,
                    line_ids(order)
                ),
            )
        })?;
        let bit = u32::try_from(index)
            .ok()
            .and_then(|i| 1u128.checked_shl(i))
            .filter(|_| seen_table.is_empty());
        let already = match bit {
            Some(bit) => seen_bits & bit != 0,
            None => seen_table.get(index).copied().unwrap_or(false),
        };
        if already {
            return Err(Error::invalid(
                format!("refund.lines[{i}].line_id"),
                format!(
                    "line `{}` appears twice in the request; ask for it once",
                    asked.line_id
                ),
            ));
        }
        match bit {
            Some(bit) => seen_bits |= bit,
            None => {
                if let Some(flag) = seen_table.get_mut(index) {
                    *flag = true;
                }
            }
        }
        let Some(line) = order.lines.get(index) else {
            return Err(Error::overflow("line lookup"));
        };
        let done = state.refunded_lines.get(index).unwrap_or(&NOTHING_REFUNDED);
        let remaining_units = line.quantity - done.0;
        // The line's amounts are in `pres` (checked by `order_state`). When nothing was
        // refunded before, the line's own values are copied whole: rebuilding them field by
        // field and reading them back stalled the processor on every line.
        let remaining = |paid: &Money, done: Decimal| {
            if done.is_zero() {
                fixed_in(*paid, units, overrides)
            } else {
                fixed_in(Money::new(paid.amount() - done, pres), units, overrides)
            }
        };
        let remaining_amount = remaining(&line.amount, done.1)?;
        let remaining_tax = remaining(&line.tax, done.2)?;
        let planned = match (asked.quantity, &asked.amount) {
            (Some(quantity), None) => {
                if quantity <= 0 {
                    return Err(Error::invalid(
                        format!("refund.lines[{i}].quantity"),
                        format!("must be at least 1, got {quantity}"),
                    ));
                }
                if quantity > remaining_units {
                    return Err(over_refund(
                        format!("refund.lines[{i}].quantity"),
                        format!(
                            "line `{}`: asked to refund {quantity} units but only {remaining_units} of {} remain ({} {pres} and {} {pres} tax left)",
                            asked.line_id, line.quantity, remaining_amount.amount(), remaining_tax.amount()
                        ),
                    ));
                }
                PlannedLine {
                    line_id: asked.line_id.clone(),
                    quantity: Some(quantity),
                    amount: share_of_units(
                        remaining_amount,
                        quantity,
                        remaining_units,
                        units,
                        overrides,
                    )?,
                    tax: share_of_units(
                        remaining_tax,
                        quantity,
                        remaining_units,
                        units,
                        overrides,
                    )?,
                }
            }
            (None, Some(amount)) => {
                positive_money(
                    || format!("refund.lines[{i}].amount"),
                    amount,
                    pres,
                    units,
                    false,
                    overrides,
                )?;
                if amount.amount() > remaining_amount.amount() {
                    return Err(over_refund(
                        format!("refund.lines[{i}].amount"),
                        format!(
                            "line `{}`: asked to refund {amount} but only {remaining_amount} of its {} remains",
                            asked.line_id, line.amount
                        ),
                    ));
                }
                PlannedLine {
                    line_id: asked.line_id.clone(),
                    quantity: None,
                    amount: *amount,
                    tax: share_of(
                        remaining_tax,
                        amount.amount(),
                        remaining_amount.amount(),
                        overrides,
                    )?,
                }
            }
            _ => {
                return Err(Error::invalid(
                    format!("refund.lines[{i}]"),
                    format!(
                        "line `{}`: give exactly one of `quantity` or `amount`",
                        asked.line_id
                    ),
                ))
            }
        };
        lines_total
            .add(planned.amount.amount())
            .ok_or_else(overflow)?;
        tax_total.add(planned.tax.amount()).ok_or_else(overflow)?;
        lines.push(planned);
    }
    let shipping_paid = order.shipping.map_or(Decimal::ZERO, |s| s.amount());
    let shipping_left = fixed_in(
        Money::new(minus(shipping_paid, state.refunded_shipping), pres),
        units,
        overrides,
    )?;
    let shipping = match &refund.shipping {
        ShippingRefund::None => fixed_in(Money::zero(pres), units, overrides)?,
        ShippingRefund::All => shipping_left,
        ShippingRefund::Amount(amount) => {
            positive_money(
                || "refund.shipping.amount".to_string(),
                amount,
                pres,
                units,
                false,
                overrides,
            )?;
            if amount.amount() > shipping_left.amount() {
                return Err(over_refund(
                    "refund.shipping.amount".to_string(),
                    format!(
                        "asked to refund {amount} of shipping but only {shipping_left} remains"
                    ),
                ));
            }
            *amount
        }
    };
    if lines.is_empty() && matches!(refund.shipping, ShippingRefund::None) {
        return Err(Error::invalid(
            "refund.lines",
            "nothing to refund: no lines and no shipping",
        ));
    }
    let (lines_total, tax_total) = (lines_total.value(), tax_total.value());
    let total = lines_total
        .checked_add(tax_total)
        .and_then(|t| t.checked_add(shipping.amount()))
        .ok_or_else(overflow)?;
    let left = state.captured.amount() - state.refunded_total;
    if total > left {
        return Err(over_refund(
            "refund".to_string(),
            format!(
                "the refund comes to {total} {pres} but only {left} {pres} of the {} captured remains",
                state.captured
            ),
        ));
    }
    Ok(Proration {
        lines,
        lines_total: fixed_in(Money::new(lines_total, pres), units, overrides)?,
        tax_total: fixed_in(Money::new(tax_total, pres), units, overrides)?,
        shipping,
        total: fixed_in(Money::new(total, pres), units, overrides)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refunds::validate::order_state;
    use crate::Currency;
    use proptest::prelude::*;

    fn via_allocate(remaining: Money, part: Decimal, whole: Decimal) -> Money {
        let overrides = CurrencyOverrides::new();
        let rest = whole - part;
        allocate(remaining, &[part, rest], &overrides).unwrap()[0]
    }

    #[test]
    fn two_way_share_matches_allocate_on_ties_and_scales() {
        let overrides = CurrencyOverrides::new();
        let cases = [
            ("100.00", "1", "3"),
            ("100.00", "2", "3"),
            ("0.01", "1", "2"),
            ("0.03", "1", "2"),
            ("0.05", "2.5", "5.00"),
            ("10.00", "3.33", "10.00"),
            ("1.235", "1", "2"),
            ("7", "1", "2"),
            ("0.00", "1", "2"),
        ];
        for (amount, part, whole) in cases {
            let currency = match amount.split('.').nth(1).map(str::len) {
                Some(3) => Currency::BHD,
                None => Currency::JPY,
                _ => Currency::USD,
            };
            let remaining = Money::new(amount.parse().unwrap(), currency);
            let (part, whole): (Decimal, Decimal) = (part.parse().unwrap(), whole.parse().unwrap());
            let fast = two_way_share(remaining, part, whole, &overrides).unwrap();
            let slow = via_allocate(remaining, part, whole);
            assert_eq!(fast.amount(), slow.amount(), "{amount} {part}/{whole}");
            assert_eq!(fast.amount().scale(), slow.amount().scale());
        }
        // Not the currency's scale: no shortcut (the general path rounds or reports).
        let odd = Money::new("1.5".parse().unwrap(), Currency::USD);
        assert!(two_way_share(odd, Decimal::ONE, Decimal::TWO, &overrides).is_none());
    }

    /// Duplicate request lines are found with more than 128 order lines too (the table
    /// instead of the bit set).
    #[test]
    fn duplicates_are_found_in_long_orders() {
        for count in [3usize, 128, 130] {
            let lines: Vec<_> = (0..count)
                .map(|i| {
                    serde_json::json!({"line_id": format!("L{i}"), "quantity": 1,
                    "amount": {"amount": "1.00", "currency": "USD"},
                    "tax": {"amount": "0.00", "currency": "USD"}})
                })
                .collect();
            let last = format!("L{}", count - 1);
            let request: RefundRequest = serde_json::from_value(serde_json::json!({
                "order": {"order_id": "o", "presentment_currency": "USD",
                    "settlement_currency": "USD", "placed_at": "2026-03-01T10:00:00Z",
                    "captures": [{"amount": {"amount": format!("{count}.00"), "currency": "USD"},
                        "settled": {"amount": format!("{count}.00"), "currency": "USD"},
                        "rate": "1", "captured_at": "2026-03-01T10:00:00Z"}],
                    "lines": lines},
                "refund": {"idempotency_key": "k", "reason": "r", "method": "cash",
                    "lines": [{"line_id": last, "quantity": 1}, {"line_id": "L0", "quantity": 1},
                              {"line_id": last, "quantity": 1}]},
                "now": "2026-03-02T10:00:00Z"
            }))
            .unwrap();
            let config = RefundsConfig::default();
            let state = order_state(&request, &config).unwrap();
            let err = prorate(&request, &state, &config).err().unwrap();
            assert!(
                err.to_string().contains("appears twice in the request"),
                "{count}: {err}"
            );
        }
    }

    proptest! {
        #[test]
        fn two_way_share_is_allocate(
            // Everyday amounts (32- and 64-bit divisions) and huge ones (128-bit).
            minor in prop_oneof![0i64..10_000_000, 0i64..=i64::MAX],
            units in 0u32..4,
            part in 1i64..1_000,
            extra in 1i64..1_000,
            weight_scale in 0u32..4,
        ) {
            let currency = match units { 0 => Currency::JPY, 3 => Currency::BHD, 1 => Currency::USD, _ => Currency::EUR };
            let units = u32::from(currency.minor_units().unwrap());
            let remaining = Money::new(Decimal::new(minor, units), currency);
            let part = Decimal::new(part, weight_scale);
            let whole = part + Decimal::new(extra, 0);
            let fast = two_way_share(remaining, part, whole, &CurrencyOverrides::new()).unwrap();
            let slow = via_allocate(remaining, part, whole);
            prop_assert_eq!(fast.amount(), slow.amount());
            prop_assert_eq!(fast.amount().scale(), slow.amount().scale());
            prop_assert_eq!(fast.currency(), slow.currency());
        }

        #[test]
        fn sum_is_decimal_checked_add(
            parts in proptest::collection::vec(
                (any::<u64>(), (0u32..8).prop_map(|s| if s >= 4 { 2 } else { s }), any::<u8>(), any::<u8>()),
                0..12,
            ),
        ) {
            let mut sum = Sum::new(Some(2));
            let mut expected = Some(Decimal::ZERO);
            let mut ours = Some(());
            for (mantissa, scale, negative, huge) in parts {
                // Mostly the common case: non-negative, two decimals, 64-bit mantissas.
                let (negative, huge) = (negative < 32, huge < 16);
                let lo = mantissa as u32;
                let mid = (mantissa >> 32) as u32;
                let hi = if huge { u32::MAX } else { 0 };
                let amount = Decimal::from_parts(lo, mid, hi, negative, scale);
                expected = expected.and_then(|total| total.checked_add(amount));
                ours = ours.and_then(|()| sum.add(amount));
                prop_assert_eq!(ours.is_some(), expected.is_some());
                if let Some(total) = expected {
                    prop_assert_eq!(sum.value(), total);
                    prop_assert_eq!(sum.value().scale(), total.scale());
                    prop_assert_eq!(sum.value().is_sign_negative(), total.is_sign_negative());
                } else {
                    break;
                }
            }
        }

        #[test]
        fn share_of_units_is_allocate(
            minor in 0i64..10_000_000,
            jpy in any::<bool>(),
            part in 1i64..50,
            extra in 0i64..50,
        ) {
            let currency = if jpy { Currency::JPY } else { Currency::USD };
            let units = u32::from(currency.minor_units().unwrap());
            let remaining = Money::new(Decimal::new(minor, units), currency);
            let whole = part + extra;
            let fast = share_of_units(remaining, part, whole, currency.minor_units(), &CurrencyOverrides::new()).unwrap();
            let slow = if part >= whole || minor == 0 {
                remaining
            } else {
                via_allocate(remaining, Decimal::from(part), Decimal::from(whole))
            };
            prop_assert_eq!(fast.amount(), slow.amount());
            prop_assert_eq!(fast.amount().scale(), slow.amount().scale());
        }
    }
}
