//! The first stage: checks the request and works out what every line was paid, where
//! each item's line is, and what earlier returns took from each line.

use super::lookup::LineIndex;
use super::refund::{line_payments, zero, LinePayment, MAX_LINE_QUANTITY};
use super::types::{OrderLine, ReturnRequest, SettlementMethod};
use super::ReturnsEngine;
use crate::{Error, Money, RoundingMode};
use chrono::{DateTime, Utc};

/// A request that passed validation, with what the later stages look up.
pub(crate) struct Checked<'r> {
    /// What every order line was paid, by line index.
    pub(crate) payments: Vec<LinePayment>,
    /// Each item's order line and its index, by item index.
    pub(crate) lines: Vec<ItemLine<'r>>,
    /// Earlier returns per line (units, refunded), by line index; empty when the request
    /// lists no earlier returns (every line then has none).
    pub(crate) earlier: Vec<(u32, Money)>,
}

/// An item's order line, and where it stands in the order.
#[derive(Clone, Copy)]
pub(crate) struct ItemLine<'r> {
    /// The line's index in `order.lines`.
    pub(crate) index: usize,
    /// The line.
    pub(crate) line: &'r OrderLine,
    /// Whether the item's reason code puts the fault with the merchant.
    pub(crate) merchant_fault: bool,
}

impl ReturnsEngine {
    /// Checks the request and computes what every line was paid; also finds every item's
    /// line and what was returned before.
    pub(crate) fn validate<'r>(&self, request: &'r ReturnRequest) -> Result<Checked<'r>, Error> {
        let order = &request.order;
        let currency = order.currency;
        // Field paths are only formatted when there is an error to report.
        let same_currency = |field: &dyn Fn() -> String, money: &Money| -> Result<(), Error> {
            if money.currency() != currency {
                return Err(Error::invalid(
                    field(),
                    format!(
                        "{money} is in {} but the order is in {currency}",
                        money.currency()
                    ),
                ));
            }
            if money.is_negative() {
                return Err(Error::invalid(
                    field(),
                    format!("{money} must not be negative"),
                ));
            }
            // An amount with no more decimal places than the currency's minor unit is a
            // whole number of minor units: no need to round it to find out.
            if currency
                .minor_units()
                .is_some_and(|units| money.amount().scale() <= u32::from(units))
            {
                return Ok(());
            }
            match money.round(RoundingMode::Down) {
                Ok(rounded) if rounded.amount() == money.amount() => Ok(()),
                Ok(_) => Err(Error::invalid(
                    field(),
                    format!("{money} has more decimal places than {currency} allows"),
                )),
                Err(err) => Err(err),
            }
        };
        let not_before_placed =
            |field: &dyn Fn() -> String, at: Option<DateTime<Utc>>| -> Result<(), Error> {
                match at {
                    Some(at) if at < order.placed_at => Err(Error::invalid(
                        field(),
                        format!(
                            "{} is before the order was placed ({})",
                            at.to_rfc3339(),
                            order.placed_at.to_rfc3339()
                        ),
                    )),
                    _ => Ok(()),
                }
            };
        if order.lines.is_empty() {
            return Err(Error::invalid(
                "order.lines",
                "an order needs at least one line",
            ));
        }
        not_before_placed(&|| "order.shipped_at".into(), order.shipped_at)?;
        not_before_placed(&|| "order.delivered_at".into(), order.delivered_at)?;
        not_before_placed(&|| "now".into(), Some(request.now))?;
        if let Some(discount) = &order.order_discount {
            same_currency(&|| "order.order_discount".into(), discount)?;
        }
        if let Some(shipping) = &order.shipping_paid {
            same_currency(&|| "order.shipping_paid".into(), shipping)?;
        }
        let mut seen = LineIndex::with_capacity(order.lines.len());
        for (index, line) in order.lines.iter().enumerate() {
            let at = |field: &'static str| move || format!("order.lines[{index}].{field}");
            if seen.push(line.line_id.as_str()).is_err() {
                return Err(Error::invalid(
                    at("line_id")(),
                    format!("line id `{}` appears twice", line.line_id),
                ));
            }
            if line.quantity == 0 || line.quantity > MAX_LINE_QUANTITY {
                return Err(Error::invalid(
                    at("quantity")(),
                    format!(
                        "quantity must be between 1 and {MAX_LINE_QUANTITY}, got {}",
                        line.quantity
                    ),
                ));
            }
            if let Some(delivered) = line.delivered_quantity {
                if delivered > line.quantity {
                    return Err(Error::invalid(
                        at("delivered_quantity")(),
                        format!(
                            "{delivered} units delivered but only {} bought",
                            line.quantity
                        ),
                    ));
                }
            }
            same_currency(&at("unit_price"), &line.unit_price)?;
            if let Some(discount) = &line.discount {
                same_currency(&at("discount"), discount)?;
            }
            if let Some(tax) = &line.tax {
                same_currency(&at("tax"), tax)?;
            }
            not_before_placed(&at("shipped_at"), line.shipped_at)?;
            not_before_placed(&at("delivered_at"), line.delivered_at)?;
        }
        if request.items.is_empty() {
            return Err(Error::invalid(
                "items",
                "a return request needs at least one item",
            ));
        }
        // Units requested (then returned before) per line, by line index.
        let mut requested: Vec<u64> = vec![0; order.lines.len()];
        let mut item_lines = Vec::with_capacity(request.items.len());
        for (index, item) in request.items.iter().enumerate() {
            let at = |field: &str| format!("items[{index}].{field}");
            let Some(line_index) = seen.get(item.line_id.as_str()) else {
                return Err(Error::invalid(
                    at("line_id"),
                    format!("order {} has no line `{}`", order.order_id, item.line_id),
                ));
            };
            if item.quantity == 0 {
                return Err(Error::invalid(
                    at("quantity"),
                    "quantity must be at least 1, got 0",
                ));
            }
            let (Some(line), Some(total)) =
                (order.lines.get(line_index), requested.get_mut(line_index))
            else {
                return Err(Error::invalid(at("line_id"), "unknown line"));
            };
            let bought = line.quantity;
            *total += u64::from(item.quantity);
            if *total > u64::from(bought) {
                return Err(Error::invalid(
                    at("quantity"),
                    format!(
                        "returns {total} units of line `{}` but only {bought} were bought",
                        item.line_id
                    ),
                ));
            }
            let Some(code) = self.reason_codes.get(item.reason.as_str()) else {
                return Err(Error::invalid(
                    at("reason"),
                    format!(
                        "unknown reason code `{}`; known codes: {}",
                        item.reason,
                        self.reason_codes
                            .keys()
                            .map(String::as_str)
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                ));
            };
            item_lines.push(ItemLine {
                index: line_index,
                line,
                merchant_fault: code.merchant_fault,
            });
        }
        if !request.previous_returns.is_empty() {
            let mut previously = requested;
            previously.iter_mut().for_each(|total| *total = 0);
            for (index, previous) in request.previous_returns.iter().enumerate() {
                let at = |field: &str| format!("previous_returns[{index}].{field}");
                let Some(line_index) = seen.get(previous.line_id.as_str()) else {
                    return Err(Error::invalid(
                        at("line_id"),
                        format!(
                            "order {} has no line `{}`",
                            order.order_id, previous.line_id
                        ),
                    ));
                };
                same_currency(&|| at("refunded"), &previous.refunded)?;
                let bought = order.lines.get(line_index).map_or(0, |l| l.quantity);
                let Some(total) = previously.get_mut(line_index) else {
                    return Err(Error::invalid(at("line_id"), "unknown line"));
                };
                *total += u64::from(previous.quantity);
                if *total > u64::from(bought) {
                    return Err(Error::invalid(
                        at("quantity"),
                        format!(
                            "{total} units of line `{}` returned before, but only {bought} were bought",
                            previous.line_id
                        ),
                    ));
                }
            }
        }
        for (field, value) in [
            (
                "customer.return_value_90d",
                &request.customer.return_value_90d,
            ),
            (
                "customer.return_value_365d",
                &request.customer.return_value_365d,
            ),
        ] {
            if let Some(money) = value {
                same_currency(&|| field.to_string(), money)?;
            }
        }
        if let SettlementMethod::Exchange = request.requested_settlement {
            for (index, item) in request.items.iter().enumerate() {
                if item
                    .exchange_sku
                    .as_deref()
                    .is_none_or(|s| s.trim().is_empty())
                {
                    return Err(Error::invalid(
                        format!("items[{index}].exchange_sku"),
                        "an exchange needs the replacement SKU of every item",
                    ));
                }
            }
        }
        Ok(Checked {
            payments: line_payments(order)?,
            lines: item_lines,
            earlier: earlier_returns(request, &seen)?,
        })
    }
}

/// The units and amounts returned before, per line (empty without earlier returns).
fn earlier_returns(
    request: &ReturnRequest,
    seen: &LineIndex<'_>,
) -> Result<Vec<(u32, Money)>, Error> {
    if request.previous_returns.is_empty() {
        return Ok(Vec::new());
    }
    let order = &request.order;
    let mut earlier: Vec<(u32, Money)> = vec![(0, zero(order.currency)); order.lines.len()];
    for previous in &request.previous_returns {
        if let Some(entry) = seen
            .get(previous.line_id.as_str())
            .and_then(|i| earlier.get_mut(i))
        {
            entry.0 = entry.0.saturating_add(previous.quantity);
            entry.1 = entry.1.checked_add(previous.refunded)?;
        }
    }
    Ok(earlier)
}
