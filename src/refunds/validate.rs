//! Validation: the idempotency key, and the order checked and summed up with what
//! earlier refunds already took ([`OrderState`]), before anything is prorated.

use super::config::RefundsConfig;
use super::types::{Order, RefundRequest};
use crate::{Currency, CurrencyOverrides, Error, Money, RoundingMode};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

/// The longest idempotency key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Checks the idempotency key: 1 to 255 printable ASCII characters (space to `~`).
pub(super) fn validate_key(key: &str) -> Result<(), Error> {
    const FIELD: &str = "refund.idempotency_key";
    if key.is_empty() {
        return Err(Error::invalid(
            FIELD,
            "must not be empty (1 to 255 printable ASCII characters)",
        ));
    }
    if key.len() > MAX_KEY_LEN {
        return Err(Error::invalid(
            FIELD,
            format!(
                "is {} bytes long; at most {MAX_KEY_LEN} printable ASCII characters are allowed",
                key.len()
            ),
        ));
    }
    if let Some((position, ch)) = key.char_indices().find(|(_, c)| !(' '..='~').contains(c)) {
        return Err(Error::invalid(
            FIELD,
            format!("contains {ch:?} at byte {position}; only printable ASCII characters (space to `~`) are allowed"),
        ));
    }
    Ok(())
}

/// A line's (units, amount, tax) refunded when nothing was.
pub(super) const NOTHING_REFUNDED: (i64, Decimal, Decimal) = (0, Decimal::ZERO, Decimal::ZERO);

/// What the order looks like once checked, with what earlier refunds already took.
pub(super) struct OrderState {
    /// Sum of the captures, presentment currency.
    pub captured: Money,
    /// Sum of the captures, settlement currency.
    pub settled: Money,
    /// Settlement units per presentment unit at capture.
    pub capture_rate: Decimal,
    /// The newest capture time.
    pub captured_at: DateTime<Utc>,
    /// Per order line: (units, amount, tax) already refunded; empty when nothing was
    /// refunded before (then every line's entry is [`NOTHING_REFUNDED`]).
    pub refunded_lines: Vec<(i64, Decimal, Decimal)>,
    /// Shipping already refunded.
    pub refunded_shipping: Decimal,
    /// Presentment amount already refunded.
    pub refunded_total: Decimal,
    /// Settlement basis already reversed.
    pub refunded_basis: Decimal,
}

/// Checks that `value` is in `currency` (whose minor units after overrides are `units`),
/// not negative (nor zero unless `allow_zero`), and written with no more decimals than
/// the currency has (trailing zeros beyond them are accepted).
pub(super) fn positive_money(
    field: impl FnOnce() -> String,
    value: &Money,
    currency: Currency,
    units: Option<u8>,
    allow_zero: bool,
    overrides: &CurrencyOverrides,
) -> Result<(), Error> {
    // The usual case, decided without building anything.
    if value.currency() == currency
        && !value.is_negative()
        && (allow_zero || !value.is_zero())
        && units.is_some_and(|units| value.amount().scale() <= u32::from(units))
    {
        return Ok(());
    }
    if value.currency() != currency {
        return Err(Error::invalid(
            field(),
            format!(
                "is in {}, but the order's currency here is {currency}",
                value
            ),
        ));
    }
    if value.is_negative() || (!allow_zero && value.is_zero()) {
        return Err(Error::invalid(
            field(),
            format!(
                "must be {}, got {value}",
                if allow_zero {
                    "zero or more"
                } else {
                    "positive"
                }
            ),
        ));
    }
    let units = units.ok_or_else(|| Error::NoMinorUnit {
        currency: currency.code().to_string(),
    })?;
    // More decimals than the currency has: only trailing zeros are accepted.
    if value.amount().scale() > u32::from(units)
        && value.round_with(RoundingMode::Down, overrides)?.amount() != value.amount()
    {
        return Err(Error::invalid(
            field(),
            format!("{value} has more decimal places than {currency} allows"),
        ));
    }
    Ok(())
}

/// Whether two ids are equal, rejecting most unequal pairs before comparing bytes (ids
/// of one order usually share their length and differ near the end: `L1`, `L2`, ...).
#[inline(always)]
pub(super) fn same_id(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.as_bytes().last() == b.as_bytes().last() && a == b
}

/// The first position whose id already appeared earlier in `ids`, if any (the later
/// position of the first repeated pair in reading order).
fn first_repeat<'a>(ids: impl ExactSizeIterator<Item = &'a str> + Clone) -> Option<usize> {
    let count = ids.len();
    if count <= 32 {
        return ids.clone().enumerate().skip(1).find_map(|(i, id)| {
            ids.clone()
                .take(i)
                .any(|earlier| same_id(earlier, id))
                .then_some(i)
        });
    }
    // Long orders: sort by (id, position); in every run of equal ids the second position
    // is the first repeat of that id, and the smallest of those is the first overall.
    let mut sorted: Vec<(&str, usize)> = ids.enumerate().map(|(i, id)| (id, i)).collect();
    sorted.sort_unstable();
    sorted
        .windows(2)
        .filter_map(|pair| match pair {
            [(a, _), (b, later)] if a == b => Some(*later),
            _ => None,
        })
        .min()
}

/// Validates the order and sums up the earlier refunds.
pub(super) fn order_state(
    request: &RefundRequest,
    config: &RefundsConfig,
) -> Result<OrderState, Error> {
    let order = &request.order;
    let overrides = &config.currency_overrides;
    let pres = order.presentment_currency;
    let settl = order.settlement_currency;
    let (pres_units, settl_units) = (overrides.minor_units(pres), overrides.minor_units(settl));
    if order.captures.is_empty() {
        return Err(Error::invalid(
            "order.captures",
            "the order has no capture; there is nothing to refund",
        ));
    }
    if order.lines.is_empty() {
        return Err(Error::invalid("order.lines", "the order has no lines"));
    }
    let mut captured = Money::zero(pres);
    let mut settled = Money::zero(settl);
    let mut first_rate: Option<Decimal> = None;
    let mut same_rate = true;
    let mut captured_at: Option<DateTime<Utc>> = None;
    for (i, capture) in order.captures.iter().enumerate() {
        positive_money(
            || format!("order.captures[{i}].amount"),
            &capture.amount,
            pres,
            pres_units,
            false,
            overrides,
        )?;
        positive_money(
            || format!("order.captures[{i}].settled"),
            &capture.settled,
            settl,
            settl_units,
            false,
            overrides,
        )?;
        if capture.rate <= Decimal::ZERO {
            return Err(Error::invalid(
                format!("order.captures[{i}].rate"),
                format!("must be positive, got {}", capture.rate),
            ));
        }
        if pres == settl && capture.rate != Decimal::ONE {
            return Err(Error::invalid(
                format!("order.captures[{i}].rate"),
                format!(
                    "must be 1 when presentment and settlement are both {pres}, got {}",
                    capture.rate
                ),
            ));
        }
        if pres == settl && capture.settled.amount() != capture.amount.amount() {
            return Err(Error::invalid(
                format!("order.captures[{i}].settled"),
                format!("must equal the captured {} when presentment and settlement are both {pres}, got {}", capture.amount, capture.settled),
            ));
        }
        match first_rate {
            None => first_rate = Some(capture.rate),
            Some(rate) if rate != capture.rate => same_rate = false,
            Some(_) => {}
        }
        captured = captured.checked_add(capture.amount)?;
        settled = settled.checked_add(capture.settled)?;
        captured_at = Some(captured_at.map_or(capture.captured_at, |t| t.max(capture.captured_at)));
    }
    let capture_rate = match first_rate {
        Some(rate) if same_rate => rate,
        _ => settled
            .amount()
            .checked_div(captured.amount())
            .ok_or_else(|| Error::overflow("blended capture rate"))?,
    };
    // Lines are checked in order; a repeated id is reported at its second position.
    let repeat = first_repeat(order.lines.iter().map(|l| l.line_id.as_str()));
    for (i, line) in order.lines.iter().enumerate() {
        if line.quantity <= 0 {
            return Err(Error::invalid(
                format!("order.lines[{i}].quantity"),
                format!("must be at least 1, got {}", line.quantity),
            ));
        }
        positive_money(
            || format!("order.lines[{i}].amount"),
            &line.amount,
            pres,
            pres_units,
            true,
            overrides,
        )?;
        positive_money(
            || format!("order.lines[{i}].tax"),
            &line.tax,
            pres,
            pres_units,
            true,
            overrides,
        )?;
        if repeat == Some(i) {
            return Err(Error::invalid(
                format!("order.lines[{i}].line_id"),
                format!("line `{}` appears twice in the order", line.line_id),
            ));
        }
    }
    if let Some(shipping) = &order.shipping {
        positive_money(
            || "order.shipping".to_string(),
            shipping,
            pres,
            pres_units,
            true,
            overrides,
        )?;
    }

    // Nothing refunded before (the usual case): no per-line table; a missing entry is zero.
    let mut refunded_lines = if request.earlier_refunds.is_empty() {
        Vec::new()
    } else {
        vec![NOTHING_REFUNDED; order.lines.len()]
    };
    let mut refunded_shipping = Decimal::ZERO;
    let mut refunded_total = Decimal::ZERO;
    let mut refunded_basis = Decimal::ZERO;
    let overflow = || Error::overflow("summing earlier refunds");
    for (r, earlier) in request.earlier_refunds.iter().enumerate() {
        let plan = &earlier.plan;
        let check = |field: &str, money: &Money, currency: Currency| -> Result<(), Error> {
            if money.currency() == currency {
                Ok(())
            } else {
                Err(Error::invalid(
                    format!("earlier_refunds[{r}].plan.{field}"),
                    format!("is {money}, but this order's currency there is {currency}"),
                ))
            }
        };
        check("presentment_amount", &plan.presentment_amount, pres)?;
        check("shipping", &plan.shipping, pres)?;
        check("fx.basis", &plan.fx.basis, settl)?;
        for (l, line) in plan.lines.iter().enumerate() {
            let index = line_index(order, &line.line_id).ok_or_else(|| {
                Error::invalid(
                    format!("earlier_refunds[{r}].plan.lines[{l}].line_id"),
                    format!(
                        "unknown line `{}`; the order's lines are {}",
                        line.line_id,
                        line_ids(order)
                    ),
                )
            })?;
            check(&format!("lines[{l}].amount"), &line.amount, pres)?;
            check(&format!("lines[{l}].tax"), &line.tax, pres)?;
            if let Some(slot) = refunded_lines.get_mut(index) {
                slot.0 = slot
                    .0
                    .checked_add(line.quantity.unwrap_or(0))
                    .ok_or_else(overflow)?;
                slot.1 = slot
                    .1
                    .checked_add(line.amount.amount())
                    .ok_or_else(overflow)?;
                slot.2 = slot.2.checked_add(line.tax.amount()).ok_or_else(overflow)?;
            }
        }
        refunded_shipping = refunded_shipping
            .checked_add(plan.shipping.amount())
            .ok_or_else(overflow)?;
        refunded_total = refunded_total
            .checked_add(plan.presentment_amount.amount())
            .ok_or_else(overflow)?;
        refunded_basis = refunded_basis
            .checked_add(plan.fx.basis.amount())
            .ok_or_else(overflow)?;
    }
    for (i, (line, done)) in order.lines.iter().zip(&refunded_lines).enumerate() {
        if done.0 > line.quantity || done.1 > line.amount.amount() || done.2 > line.tax.amount() {
            return Err(Error::invalid(
                "earlier_refunds",
                format!(
                    "earlier refunds of line `{}` (order.lines[{i}]) add up to {} units, {} {pres} and {} {pres} tax, more than it paid",
                    line.line_id, done.0, done.1, done.2
                ),
            ));
        }
    }
    let shipping_paid = order.shipping.map_or(Decimal::ZERO, |s| s.amount());
    if refunded_shipping > shipping_paid || refunded_total > captured.amount() {
        return Err(Error::invalid(
            "earlier_refunds",
            format!(
                "earlier refunds add up to {refunded_total} {pres} (shipping {refunded_shipping} {pres}), more than was captured ({captured}) or paid for shipping"
            ),
        ));
    }
    Ok(OrderState {
        captured,
        settled,
        capture_rate,
        captured_at: captured_at.unwrap_or(order.placed_at),
        refunded_lines,
        refunded_shipping,
        refunded_total,
        refunded_basis,
    })
}

pub(super) fn line_index(order: &Order, line_id: &str) -> Option<usize> {
    order
        .lines
        .iter()
        .position(|l| same_id(&l.line_id, line_id))
}

pub(super) fn line_ids(order: &Order) -> String {
    order
        .lines
        .iter()
        .map(|l| format!("`{}`", l.line_id))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn first_repeat_is_the_first_later_duplicate(
            ids in proptest::collection::vec("[ab]{0,2}|L[0-9]{1,2}", 0..80),
        ) {
            let naive = ids
                .iter()
                .enumerate()
                .find(|(i, id)| ids.iter().take(*i).any(|e| e == *id))
                .map(|(i, _)| i);
            prop_assert_eq!(first_repeat(ids.iter().map(String::as_str)), naive);
        }

    }
}
