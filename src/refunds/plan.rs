//! The built-in computation: validation, proration, caps, FX and the ledger.

use super::types::{
    Conversion, FxDetails, LedgerEntry, Order, PlannedLine, RateSource, RefundCurrency,
    RefundMethod, RefundRequest, RefundsConfig, RemainderAbsorbedBy, ShippingRefund, Side,
};
use crate::fx::{rfc3339, QuotedRate, RateTable};
use crate::money::{allocate, allocate_array};
use crate::{Currency, CurrencyOverrides, Error, Money, RoundingMode};
use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;
use std::borrow::Cow;

/// The longest idempotency key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Checks the idempotency key: 1 to 255 printable ASCII characters (space to `~`).
pub(crate) fn validate_key(key: &str) -> Result<(), Error> {
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
pub(crate) const NOTHING_REFUNDED: (i64, Decimal, Decimal) = (0, Decimal::ZERO, Decimal::ZERO);

/// What the order looks like once checked, with what earlier refunds already took.
pub(crate) struct OrderState {
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
fn positive_money(
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
fn same_id(a: &str, b: &str) -> bool {
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
pub(crate) fn order_state(
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

fn line_index(order: &Order, line_id: &str) -> Option<usize> {
    order
        .lines
        .iter()
        .position(|l| same_id(&l.line_id, line_id))
}

fn line_ids(order: &Order) -> String {
    order
        .lines
        .iter()
        .map(|l| format!("`{}`", l.line_id))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The prorated lines and shipping of a request.
pub(crate) struct Proration {
    pub lines: Vec<PlannedLine>,
    pub lines_total: Money,
    pub tax_total: Money,
    pub shipping: Money,
    pub total: Money,
}

/// `money` written with exactly its currency's minor units (amounts here are already
/// whole minor units, so this only fixes the scale: `0` becomes `0.00`).
fn fixed(money: Money, overrides: &CurrencyOverrides) -> Result<Money, Error> {
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
pub(crate) fn prorate(
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

/// The choices a refund is computed with (from configuration, or from policy hooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Settings {
    pub refund_currency: RefundCurrency,
    /// The resolved refund currency.
    pub currency: Currency,
    pub rate_source: RateSource,
    pub absorbed_by: RemainderAbsorbedBy,
    /// The minimum refund in `currency`, if any.
    pub minimum: Option<Decimal>,
}

/// Resolves a refund-currency choice to a currency; the error names the field that chose.
pub(crate) fn resolve_currency(
    choice: RefundCurrency,
    request: &RefundRequest,
    config: &RefundsConfig,
) -> Result<Currency, Error> {
    Ok(match choice {
        RefundCurrency::Presentment => request.order.presentment_currency,
        RefundCurrency::Settlement => request.order.settlement_currency,
        RefundCurrency::Store => config.store_currency.ok_or_else(|| {
            Error::invalid(
                "config.store_currency",
                "refund_currency is `store` but no store_currency is configured",
            )
        })?,
        RefundCurrency::Customer => request.refund.currency.ok_or_else(|| {
            Error::invalid(
                "refund.currency",
                "refund_currency is `customer` but the request names no currency",
            )
        })?,
    })
}

/// The configured minimum refund for `currency`.
pub(crate) fn configured_minimum(config: &RefundsConfig, currency: Currency) -> Option<Decimal> {
    config
        .minimum_refund
        .iter()
        .find(|m| m.currency() == currency)
        .map(|m| m.amount())
}

/// The FX side of a plan, before cash rounding.
pub(crate) struct FxResult {
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
pub(crate) fn fx(
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

/// Cash rounding: the amount the customer receives and the adjustment, when it applies.
pub(crate) fn cash_round(
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

// The `Cow` itself is cloned (free for a borrowed name), hence not `&str`.
#[allow(clippy::ptr_arg)]
fn post(ledger: &mut Vec<LedgerEntry>, account: &Cow<'static, str>, side: Side, amount: Money) {
    if amount.is_zero() {
        return;
    }
    let (side, amount) = if amount.is_negative() {
        (
            match side {
                Side::Debit => Side::Credit,
                Side::Credit => Side::Debit,
            },
            amount.neg(),
        )
    } else {
        (side, amount)
    };
    ledger.push(LedgerEntry {
        // Free for the default (borrowed) names.
        account: account.clone(),
        side,
        amount,
    });
}

/// The balanced postings of a refund.
///
/// In settlement currency: the basis is debited to sales returns, tax and shipping (split
/// by largest remainder in the proportions of the presentment amounts), an FX loss is
/// debited (a gain credited), and the settlement amount is credited to the payout
/// account, or, when the refund currency differs from settlement, to the currency
/// trading account, which is then debited in the refund currency against the payout.
/// Cash rounding and a processor fee add their own balanced pairs.
pub(crate) fn ledger(
    proration: &Proration,
    fx: &FxDetails,
    owed: Money,
    paid: Money,
    fee: Option<Money>,
    method: RefundMethod,
    config: &RefundsConfig,
) -> Result<Vec<LedgerEntry>, Error> {
    let accounts = &config.accounts;
    let mut ledger = Vec::with_capacity(8);
    let weights = [
        proration.lines_total.amount(),
        proration.tax_total.amount(),
        proration.shipping.amount(),
    ];
    let split = allocate_array(fx.basis, &weights, &config.currency_overrides)?;
    for (account, amount) in [
        &accounts.sales_returns,
        &accounts.tax_payable,
        &accounts.shipping_revenue,
    ]
    .into_iter()
    .zip(split)
    {
        post(&mut ledger, account, Side::Debit, amount);
    }
    post(
        &mut ledger,
        &accounts.fx_gain_loss,
        Side::Credit,
        fx.gain_loss,
    );
    let payout = match method {
        RefundMethod::OriginalPayment => &accounts.payment_clearing,
        RefundMethod::StoreCredit => &accounts.store_credit,
        RefundMethod::Cash => &accounts.cash,
    };
    if owed.currency() == fx.settlement_amount.currency() {
        post(&mut ledger, payout, Side::Credit, paid);
    } else {
        post(
            &mut ledger,
            &accounts.fx_conversion,
            Side::Credit,
            fx.settlement_amount,
        );
        post(&mut ledger, &accounts.fx_conversion, Side::Debit, owed);
        post(&mut ledger, payout, Side::Credit, paid);
    }
    post(
        &mut ledger,
        &accounts.cash_rounding,
        Side::Credit,
        owed.checked_sub(paid)?,
    );
    if let Some(fee) = fee {
        post(&mut ledger, &accounts.payment_fees, Side::Debit, fee);
        post(&mut ledger, &accounts.payment_clearing, Side::Credit, fee);
    }
    Ok(ledger)
}

/// The processor fee for a refund to the original payment settled in `currency`.
pub(crate) fn refund_fee(
    config: &RefundsConfig,
    method: RefundMethod,
    currency: Currency,
) -> Option<Money> {
    if method != RefundMethod::OriginalPayment {
        return None;
    }
    config
        .refund_fees
        .iter()
        .find(|m| m.currency() == currency && !m.is_zero())
        .copied()
}

/// Whether `ledger`'s debits equal its credits in every currency.
///
/// ```
/// use backoffice::refunds::{is_balanced, LedgerEntry, Side};
/// use backoffice::{Currency, Money};
/// use rust_decimal_macros::dec;
/// let entry = |account: &str, side, amount| LedgerEntry {
///     account: account.to_string().into(),
///     side,
///     amount: Money::new(amount, Currency::CAD),
/// };
/// assert!(is_balanced(&[entry("a", Side::Debit, dec!(2)), entry("b", Side::Credit, dec!(2.00))]));
/// assert!(!is_balanced(&[entry("a", Side::Debit, dec!(2))]));
/// ```
pub fn is_balanced(ledger: &[LedgerEntry]) -> bool {
    let mut totals: Vec<(Currency, Decimal)> = Vec::new();
    for entry in ledger {
        let signed = match entry.side {
            Side::Debit => entry.amount.amount(),
            Side::Credit => -entry.amount.amount(),
        };
        match totals
            .iter_mut()
            .find(|(c, _)| *c == entry.amount.currency())
        {
            Some((_, total)) => match total.checked_add(signed) {
                Some(sum) => *total = sum,
                None => return false,
            },
            None => totals.push((entry.amount.currency(), signed)),
        }
    }
    totals.iter().all(|(_, total)| total.is_zero())
}

#[cfg(test)]
mod tests {
    use super::*;
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
