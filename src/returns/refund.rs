//! The refund stage: what each line was paid, what each returned unit refunds, the
//! restocking and return-shipping fees, and the totals.
//!
//! A line's paid amount is `unit price × quantity − line discount − its share of the order
//! discount + line tax`. The order discount is shared across lines in proportion to their
//! value after line discounts, and a line's paid amount and tax are shared across its
//! units, both with [`allocate`] (largest remainder): the shares of every unit add up to
//! exactly what was paid, so returning all units one by one refunds exactly the line.

use super::config::ReturnShippingFee;
use super::hooks::{
    read_restocking_fee_percent, read_return_shipping_fee, Facts, RESTOCKING_FEE_PERCENT,
    RETURN_SHIPPING_FEE,
};
use super::pipeline::{ItemHook, ItemWork, Run};
use super::types::{ItemRefund, ItemStatus, Order, RefundTotals};
use super::validate::Checked;
use super::ReturnsEngine;
use crate::money::{allocate, CurrencyOverrides};
use crate::policy::session::{Answer, Change, HookSession};
use crate::{Currency, Error, Money, Reason, RoundingMode};
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

/// The refund stage: what each item's units were paid, restocking fees (with the
/// `restocking_fee_percent` hook), the return-shipping fee, and the totals.
impl ReturnsEngine {
    /// What every item that is not rejected refunds before fees (fees need every item's
    /// status first), capped at what is left of its line.
    pub(crate) fn merchandise(
        &self,
        run: &mut Run,
        checked: &Checked<'_>,
        works: &mut [ItemWork<'_>],
        currency: Currency,
    ) -> Result<(), Error> {
        // What is left of each line after earlier refunds and the items before, by index.
        let mut remaining: Vec<Option<Money>> = vec![None; checked.payments.len()];
        for work in works
            .iter_mut()
            .filter(|w| w.status != ItemStatus::Rejected)
        {
            let payment = checked
                .payments
                .get(work.line_index)
                .ok_or_else(|| Error::invalid("order.lines", "line payment missing"))?;
            let left = match remaining.get(work.line_index).copied().flatten() {
                Some(left) => left,
                None => {
                    let refunded = checked
                        .earlier
                        .get(work.line_index)
                        .map_or(zero(currency), |e| e.1);
                    at_least_zero(payment.paid.checked_sub(refunded)?)
                }
            };
            let refund = self.units_paid(run, work, payment, left)?;
            if let Some(slot) = remaining.get_mut(work.line_index) {
                *slot = Some(at_least_zero(left.checked_sub(refund.merchandise)?));
            }
            work.refund = refund;
            work.priced = true;
        }
        Ok(())
    }

    /// The restocking fee of every item that is not rejected: configuration, then the
    /// `restocking_fee_percent` hook.
    pub(crate) fn restocking_fees(
        &self,
        run: &mut Run,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'_>,
        works: &mut [ItemWork<'_>],
    ) -> Result<(), Error> {
        let ask = ItemHook {
            hook: RESTOCKING_FEE_PERCENT,
            fallback: "the configured restocking fee applies; the request goes to review",
            read: read_restocking_fee_percent,
        };
        run.each_item(hooks, facts, works, ask, |run, hooks, work, answer| {
            let builtin = self.builtin_restocking_percent(work);
            let from_policy = matches!(answer, Answer::Value(_));
            let percent = run.value_or(answer, || builtin);
            let fee = work
                .refund
                .merchandise
                .checked_mul(percent / Decimal::ONE_HUNDRED)?
                .round(self.config.restocking_fee.rounding)?;
            work.refund.restocking_fee_percent = percent.normalize();
            work.refund.restocking_fee = negative(fee);
            if from_policy {
                let what = format!("the restocking fee of line {}", work.line.line_id);
                let from = format!("{} %", builtin.normalize());
                let to = format!("{} % ({fee})", percent.normalize());
                let from = if builtin == percent { to.clone() } else { from };
                let change = Change::new("restocking_fee_from_policy", &what, &from, &to);
                if let Some(reason) = hooks.changed(RESTOCKING_FEE_PERCENT, change) {
                    run.item_reason(work, reason);
                }
            }
            Ok(())
        })
    }

    /// What the units of one item were paid, capped at what is left of the line.
    fn units_paid(
        &self,
        run: &mut Run,
        work: &ItemWork<'_>,
        payment: &LinePayment,
        left: Money,
    ) -> Result<ItemRefund, Error> {
        let currency = payment.paid.currency();
        let (paid, tax) =
            units_refund(payment, work.line.quantity, work.start_unit, work.end_unit)?;
        let units = work.end_unit.saturating_sub(work.start_unit);
        let price = work.line.unit_price.checked_mul(Decimal::from(units))?;
        let discount = paid.checked_sub(price)?.checked_sub(tax)?;
        let merchandise = if paid.checked_cmp(&left)? == std::cmp::Ordering::Greater {
            run.reasons.push(
                Reason::builtin(
                    "refund_capped",
                    "refund_cap",
                    format!(
                        "the units were paid {paid}, but only {left} of line {} is left after earlier refunds",
                        work.line.line_id
                    ),
                )
                .about(work.line.line_id.clone()),
            );
            left
        } else {
            paid
        };
        Ok(ItemRefund {
            price,
            discount,
            tax,
            merchandise,
            restocking_fee_percent: Decimal::ZERO,
            restocking_fee: zero(currency),
            return_shipping_fee: zero(currency),
            total: merchandise,
        })
    }

    fn builtin_restocking_percent(&self, work: &ItemWork<'_>) -> Decimal {
        if work.merchant_fault && self.config.waive_fees_for_merchant_fault {
            return Decimal::ZERO;
        }
        let fees = &self.config.restocking_fee;
        fees.by_category
            .get(&work.line.category)
            .or_else(|| fees.by_condition.get(&work.item.condition))
            .map_or(Decimal::ZERO, |p| p.0)
    }

    /// The return-shipping fee of every item that is not rejected: the built-in rule
    /// (the configured fee, shared over the items that pay it), then the
    /// `return_shipping_fee` hook, which sets one item's fee (the others keep theirs).
    pub(crate) fn shipping_fees(
        &self,
        run: &mut Run,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'_>,
        works: &mut [ItemWork<'_>],
        currency: Currency,
    ) -> Result<(), Error> {
        self.builtin_shipping_fees(works, currency)?;
        let ask = ItemHook {
            hook: RETURN_SHIPPING_FEE,
            fallback: "the built-in return-shipping fee applies; the request goes to review",
            read: |value: &rhai::Dynamic| read_return_shipping_fee(value, currency),
        };
        run.each_item(hooks, facts, works, ask, |run, hooks, work, answer| {
            match answer {
                Answer::Value(fee) => {
                    let builtin = negative(work.refund.return_shipping_fee);
                    let what = format!("the return-shipping fee of line {}", work.line.line_id);
                    let waived = work.merchant_fault && self.config.waive_fees_for_merchant_fault;
                    let from = if fee == builtin {
                        fee.to_string()
                    } else if waived {
                        format!(
                            "{builtin} (waived: reason `{}` is the merchant's fault)",
                            work.item.reason
                        )
                    } else {
                        builtin.to_string()
                    };
                    let to = fee.to_string();
                    let change = Change::new("policy_return_shipping_fee", &what, &from, &to);
                    if let Some(reason) = hooks.changed(RETURN_SHIPPING_FEE, change) {
                        run.item_reason(work, reason);
                    }
                    run.step("return_shipping_fee", || {
                        format!("policy sets the fee of line {} to {fee}", work.line.line_id)
                    });
                    work.refund.return_shipping_fee = negative(fee);
                }
                Answer::Default => {}
                Answer::Failed(reason) => run.hook_failed(reason),
            }
            Ok(())
        })
    }

    /// Shares the configured return-shipping fee over the items that pay it.
    fn builtin_shipping_fees(
        &self,
        works: &mut [ItemWork<'_>],
        currency: Currency,
    ) -> Result<(), Error> {
        let waive = self.config.waive_fees_for_merchant_fault;
        let pays =
            |w: &ItemWork<'_>| w.status != ItemStatus::Rejected && !(waive && w.merchant_fault);
        let whole = |amount: Decimal| -> Result<Money, Error> {
            let fee = Money::new(amount, currency);
            let rounded = fee.round(RoundingMode::Down)?;
            if rounded.amount() != amount {
                return Err(Error::invalid(
                    "return_shipping_fee.amount",
                    format!("{fee} has more decimal places than {currency} allows"),
                ));
            }
            Ok(fee)
        };
        match &self.config.return_shipping_fee {
            ReturnShippingFee::Free => {}
            ReturnShippingFee::PerItem { amount } => {
                let fee = whole(*amount)?;
                for work in works.iter_mut().filter(|w| pays(w)) {
                    work.refund.return_shipping_fee =
                        negative(fee.checked_mul(Decimal::from(work.item.quantity))?);
                }
            }
            ReturnShippingFee::Flat { amount } => {
                let fee = whole(*amount)?;
                let payers: Vec<usize> = works
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| pays(w))
                    .map(|(i, _)| i)
                    .collect();
                if payers.is_empty() || fee.is_zero() {
                    return Ok(());
                }
                let mut weights: Vec<Decimal> = payers
                    .iter()
                    .map(|&i| {
                        works
                            .get(i)
                            .map_or(Decimal::ZERO, |w| w.refund.merchandise.amount())
                    })
                    .collect();
                if weights.iter().all(Decimal::is_zero) {
                    weights = vec![Decimal::ONE; payers.len()];
                }
                let shares = allocate(fee, &weights, &CurrencyOverrides::new())?;
                for (&i, share) in payers.iter().zip(shares) {
                    if let Some(work) = works.get_mut(i) {
                        work.refund.return_shipping_fee = negative(share);
                    }
                }
            }
        }
        Ok(())
    }
}

/// Every item's total: merchandise, less its fees, never below zero.
pub(crate) fn item_totals(works: &mut [ItemWork<'_>]) -> Result<(), Error> {
    for work in works.iter_mut() {
        if work.status == ItemStatus::Rejected {
            continue;
        }
        let r = &mut work.refund;
        r.total = at_least_zero(
            r.merchandise
                .checked_add(r.restocking_fee)?
                .checked_add(r.return_shipping_fee)?,
        );
    }
    Ok(())
}

/// The refund of the whole request: the sums of the items' lines.
pub(crate) fn totals(works: &[ItemWork<'_>], currency: Currency) -> Result<RefundTotals, Error> {
    let zero = zero(currency);
    let mut totals = RefundTotals {
        merchandise: zero,
        restocking_fees: zero,
        return_shipping_fees: zero,
        total: zero,
    };
    for work in works {
        totals.merchandise = totals.merchandise.checked_add(work.refund.merchandise)?;
        totals.restocking_fees = totals
            .restocking_fees
            .checked_add(work.refund.restocking_fee)?;
        totals.return_shipping_fees = totals
            .return_shipping_fees
            .checked_add(work.refund.return_shipping_fee)?;
        totals.total = totals.total.checked_add(work.refund.total)?;
    }
    Ok(totals)
}
