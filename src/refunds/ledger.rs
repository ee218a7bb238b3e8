//! The ledger: balanced postings (debits equal credits in every currency) with account
//! names from [`LedgerAccounts`](super::LedgerAccounts).

use super::config::RefundsConfig;
use super::payout::Payout;
use super::proration::Proration;
use super::types::{FxDetails, LedgerEntry, RefundMethod, Side};
use crate::money::allocate_array;
use crate::{Currency, Error, Money};
use rust_decimal::Decimal;
use std::borrow::Cow;

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
pub(super) fn postings(
    proration: &Proration,
    fx: &FxDetails,
    payout: &Payout,
    method: RefundMethod,
    config: &RefundsConfig,
) -> Result<Vec<LedgerEntry>, Error> {
    let Payout {
        owed, paid, fee, ..
    } = *payout;
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
    let payout_account = match method {
        RefundMethod::OriginalPayment => &accounts.payment_clearing,
        RefundMethod::StoreCredit => &accounts.store_credit,
        RefundMethod::Cash => &accounts.cash,
    };
    if owed.currency() == fx.settlement_amount.currency() {
        post(&mut ledger, payout_account, Side::Credit, paid);
    } else {
        post(
            &mut ledger,
            &accounts.fx_conversion,
            Side::Credit,
            fx.settlement_amount,
        );
        post(&mut ledger, &accounts.fx_conversion, Side::Debit, owed);
        post(&mut ledger, payout_account, Side::Credit, paid);
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
