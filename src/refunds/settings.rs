//! Settings: the choices a refund is computed with, from the configuration, each
//! overridden for this request by the policy hook of the same name.
//!
//! The hooks run in a fixed order (`refund_currency`, `rate_source`,
//! `remainder_absorbed_by`, `minimum_refund`), all with the same two arguments, the order
//! and the prorated refund ([`hooks::OrderArg`], [`hooks::RefundArg`]), shared by the four
//! calls. Every choice of a hook that differs from the configuration is a `*_from_policy`
//! reason naming the configured and the chosen value, with the policy's source (name,
//! digest, hook, line); a hook that chooses the configured value, or returns `()`, keeps
//! the configured choice without a reason, and so does one that fails under
//! [`OnHookError::Fallback`](crate::policy::OnHookError::Fallback), with its
//! `policy_error` reason.

use super::config::RefundsConfig;
use super::hooks::{self, OrderArg, RefundArg};
use super::proration::Proration;
use super::types::{RateSource, RefundCurrency, RefundRequest, RemainderAbsorbedBy};
use super::validate::OrderState;
use crate::policy::session::{Answer, Arg, Change, Fallback, HookSession};
use crate::{Currency, Error, Money, Reason};
use rust_decimal::Decimal;

/// The choices a refund is computed with (from configuration, or from policy hooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Settings {
    pub refund_currency: RefundCurrency,
    /// The resolved refund currency.
    pub currency: Currency,
    pub rate_source: RateSource,
    pub absorbed_by: RemainderAbsorbedBy,
    /// The minimum refund in `currency`, if any.
    pub minimum: Option<Decimal>,
}

/// Resolves a refund-currency choice to a currency; the error names the field that chose.
pub(super) fn resolve_currency(
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
pub(super) fn configured_minimum(config: &RefundsConfig, currency: Currency) -> Option<Decimal> {
    config
        .minimum_refund
        .iter()
        .find(|m| m.currency() == currency)
        .map(|m| m.amount())
}

/// The settings for one request: the configuration, overridden by the policy's hooks
/// (pushing their reasons onto `reasons`).
pub(super) fn choose(
    session: &mut HookSession<'_>,
    request: &RefundRequest,
    config: &RefundsConfig,
    state: &OrderState,
    proration: &Proration,
    reasons: &mut Vec<Reason>,
) -> Result<Settings, Error> {
    let order = OrderArg {
        request,
        captured: state.captured,
    };
    let refund = RefundArg { request, proration };
    // The same two values for every hook: built at most once per decision and field set.
    let args = || [Arg::shared(0, &order), Arg::shared(1, &refund)];

    let hook = hooks::REFUND_CURRENCY;
    let fallback = Fallback::new("used the configured refund currency");
    let answer = session.call(hook, args(), fallback, hooks::read_refund_currency)?;
    let refund_currency = match decided(answer, reasons) {
        Some(choice) => {
            let change = Change::new(
                "refund_currency_from_policy",
                "the refund currency",
                config.refund_currency.as_str(),
                choice.as_str(),
            );
            reasons.extend(session.changed(hook, change));
            choice
        }
        None => config.refund_currency,
    };
    let currency = resolve_currency(refund_currency, request, config)?;

    let hook = hooks::RATE_SOURCE;
    let fallback = Fallback::new("used the configured rate source");
    let answer = session.call(hook, args(), fallback, hooks::read_rate_source)?;
    let rate_source = match decided(answer, reasons) {
        Some(source) => {
            let change = Change::new(
                "rate_source_from_policy",
                "the rate source",
                config.rate_source.as_str(),
                source.as_str(),
            );
            reasons.extend(session.changed(hook, change));
            source
        }
        None => config.rate_source,
    };

    let hook = hooks::REMAINDER_ABSORBED_BY;
    let fallback = Fallback::new("used the configured choice");
    let answer = session.call(hook, args(), fallback, hooks::read_remainder_absorbed_by)?;
    let absorbed_by = match decided(answer, reasons) {
        Some(who) => {
            let change = Change::new(
                "remainder_absorbed_by_from_policy",
                "who absorbs the FX difference",
                config.remainder_absorbed_by.as_str(),
                who.as_str(),
            );
            reasons.extend(session.changed(hook, change));
            who
        }
        None => config.remainder_absorbed_by,
    };

    let hook = hooks::MINIMUM_REFUND;
    let fallback = Fallback::new("used the configured minimum");
    let read = |value: &_| hooks::read_minimum_refund(value, currency);
    let answer = session.call(hook, args(), fallback, read)?;
    let minimum = match decided(answer, reasons) {
        Some(amount) => {
            let configured = configured_minimum(config, currency);
            let builtin = configured.map_or_else(
                || "none".to_string(),
                |m| Money::new(m, currency).to_string(),
            );
            // The same amount written with another scale (`5` for `5.00`) is no change.
            let chosen = if configured == Some(amount) {
                builtin.clone()
            } else {
                Money::new(amount, currency).to_string()
            };
            let change = Change::new(
                "minimum_refund_from_policy",
                "the minimum refund",
                &builtin,
                &chosen,
            );
            reasons.extend(session.changed(hook, change));
            Some(amount)
        }
        None => configured_minimum(config, currency),
    };

    Ok(Settings {
        refund_currency,
        currency,
        rate_source,
        absorbed_by,
        minimum,
    })
}

/// The hook's choice, if it made one; the `policy_error` reason of a hook that failed
/// (and fell back) goes onto `reasons`.
fn decided<T>(answer: Answer<T>, reasons: &mut Vec<Reason>) -> Option<T> {
    match answer {
        Answer::Value(value) => Some(value),
        Answer::Failed(reason) => {
            reasons.extend(reason);
            None
        }
        Answer::Default => None,
    }
}
