//! The built-in reasons of a plan: what is refunded, the FX gain or loss, cash rounding.

use super::payout::Payout;
use super::proration::Proration;
use super::text;
use super::types::{FxDetails, RefundMethod};
use super::validate::OrderState;
use crate::Reason;

/// The reasons every plan gives (`refund_planned`, then `fx_loss` or `fx_gain` and
/// `cash_rounded` when they apply), with room for the policy's.
pub(super) fn explain(
    proration: &Proration,
    state: &OrderState,
    fx: &FxDetails,
    payout: &Payout,
    method: RefundMethod,
) -> Vec<Reason> {
    // The two reasons every plan has are written without `format!` (hot path); the
    // text is the same as `Money`'s `Display`.
    let mut reasons = Vec::with_capacity(3);
    let mut message = String::with_capacity(96);
    message.push_str("refund ");
    text::money(&mut message, payout.paid);
    message.push_str(" by ");
    message.push_str(method.as_str());
    message.push_str(" for ");
    text::money(&mut message, proration.total);
    message.push_str(" of the order's ");
    text::money(&mut message, state.captured);
    message.push_str(" captured");
    reasons.push(Reason::builtin("refund_planned", "proration", message));
    let gain_loss = fx.gain_loss;
    if !gain_loss.is_zero() {
        let loss = gain_loss.is_negative();
        let mut message = String::with_capacity(96);
        message.push_str("the refund costs ");
        text::money(&mut message, fx.settlement_amount);
        message.push_str(" against a ");
        text::money(&mut message, fx.basis);
        if loss {
            message.push_str(" basis: FX loss of ");
            text::money(&mut message, gain_loss.neg());
        } else {
            message.push_str(" basis: FX gain of ");
            text::money(&mut message, gain_loss);
        }
        reasons.push(Reason::builtin(
            if loss { "fx_loss" } else { "fx_gain" },
            "fx",
            message,
        ));
    }
    if let Some(adjustment) = payout.cash_rounding.filter(|a| !a.is_zero()) {
        let (owed, paid) = (payout.owed, payout.paid);
        reasons.push(Reason::builtin(
            "cash_rounded",
            "cash_rounding",
            format!("{owed} rounded to {paid} for cash ({adjustment} difference)"),
        ));
    }
    reasons
}
