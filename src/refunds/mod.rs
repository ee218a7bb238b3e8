//! FX refunds: what the customer gets back, in which currency, what the merchant books,
//! and a guarantee that retries and partial refunds never pay out twice or more than was
//! captured.
//!
//! An international order is paid in one currency (*presentment*) and paid out to the
//! merchant in another (*settlement*); a refund happens days later, at another rate.
//! [`RefundsEngine::decide`] takes the order, the refunds already made for it, the refund
//! asked for, a rate table and `now`, and returns a [`RefundPlan`]:
//!
//! 1. **Idempotency.** The request's [`fingerprint`] (SHA-256 of its canonical JSON) is
//!    compared with the earlier refunds: the same key and fingerprint returns the earlier
//!    plan unchanged, marked `replay`; the same key with another fingerprint is an
//!    `idempotency_conflict` error. Nothing is computed twice.
//! 2. **Proration.** A quantity refunds its share of what remains of the line's amount
//!    and tax, by largest-remainder allocation ([`crate::money::allocate`]); the last units
//!    take exactly what remains, so any sequence of partial refunds adds up to what the
//!    line paid.
//! 3. **Caps.** Per line, for shipping and for the order, cumulative refunds never exceed
//!    what was paid and captured (presentment currency); an over-refund is an
//!    `over_refund` error naming the field, the amount asked and what remains.
//! 4. **FX.** The refund's *basis* is its settlement value at the capture rate. With
//!    `remainder_absorbed_by = merchant` the customer gets exactly the presentment value
//!    and the merchant books the difference between the basis and what the refund costs
//!    at the rate used as an FX gain or loss; with `customer` the settlement amount stays
//!    at the basis and the customer gets its conversion.
//! 5. **Ledger.** Balanced postings (debits equal credits in every currency) with account
//!    names from [`LedgerAccounts`]. In settlement currency the basis is debited to sales
//!    returns, tax and shipping (split by largest remainder in proportion to the
//!    presentment amounts), an FX loss is debited or a gain credited, and the settlement
//!    amount is credited to the payout account (payment clearing, store credit or cash)
//!    or, when the refund currency differs from settlement, to the currency trading
//!    account `fx_conversion`, which is then debited in the refund currency against the
//!    payout. Cash rounding and a configured processor fee add their own balanced pairs.
//!
//! # Policies
//!
//! Each of `refund_currency`, `rate_source`, `remainder_absorbed_by` and `minimum_refund`
//! can be decided per request by a policy hook of that name ([`HOOKS`]); a hook that
//! returns `()` keeps the configured choice, and every choice a policy makes is recorded
//! as a reason (`refund_currency_from_policy`, ...) naming the policy, its digest and the
//! hook's line. Replays never call the policy. See
//! `examples/policies/refunds.rhai` for EU customers refunded in a EUR store currency.
//!
//! ```
//! use backoffice::refunds::{RefundRequest, RefundsConfig, RefundsEngine, RateSource};
//! use rust_decimal_macros::dec;
//!
//! let engine = RefundsEngine::new(RefundsConfig {
//!     rate_source: RateSource::Current,
//!     ..RefundsConfig::default()
//! })
//! .unwrap();
//! let request: RefundRequest = serde_json::from_str(r#"{
//!   "order": {
//!     "order_id": "o-1001", "presentment_currency": "USD", "settlement_currency": "CAD",
//!     "placed_at": "2026-03-01T10:00:00Z",
//!     "captures": [{"amount": {"amount": "40.00", "currency": "USD"},
//!                   "settled": {"amount": "54.00", "currency": "CAD"},
//!                   "rate": "1.35", "captured_at": "2026-03-01T10:00:00Z"}],
//!     "lines": [{"line_id": "L1", "quantity": 1,
//!                "amount": {"amount": "40.00", "currency": "USD"},
//!                "tax": {"amount": "0.00", "currency": "USD"}}]
//!   },
//!   "refund": {"idempotency_key": "rf-1", "lines": [{"line_id": "L1", "quantity": 1}],
//!              "reason": "damaged", "method": "original_payment"},
//!   "rates": {"rates": [{"from": "USD", "to": "CAD", "rate": "1.40",
//!                        "as_of": "2026-03-09T09:00:00Z"}]},
//!   "now": "2026-03-09T12:00:00Z"
//! }"#).unwrap();
//!
//! let plan = engine.decide(&request).unwrap().outcome.plan;
//! assert_eq!(plan.amount.to_string(), "40.00 USD");               // the customer gets
//! assert_eq!(plan.fx.settlement_amount.to_string(), "56.00 CAD"); // the merchant pays
//! assert_eq!(plan.fx.basis.to_string(), "54.00 CAD");             // the book value
//! assert_eq!(plan.fx.gain_loss.amount(), dec!(-2.00));            // an FX loss
//! ```

mod fingerprint;
mod hooks;
mod plan;
mod text;
mod types;
mod usage;

pub use fingerprint::{canonical_json, fingerprint, FINGERPRINT_VERSION};
pub use hooks::HOOKS;
pub use plan::{is_balanced, MAX_KEY_LEN};
pub use types::{
    Capture, Conversion, EarlierRefund, FxDetails, LedgerAccounts, LedgerEntry, Order, OrderLine,
    PlannedLine, RateSource, RefundCurrency, RefundLineRequest, RefundMethod, RefundOutcome,
    RefundPlan, RefundRequest, RefundsConfig, RemainderAbsorbedBy, RequestedRefund, ShippingRefund,
    Side,
};

use crate::policy::{DecideOptions, Policy};
use crate::{Decision, Error, Money, Reason, Trace};
use plan::Settings;

/// The refunds engine: built once from a [`RefundsConfig`] (and optionally a policy
/// defining some of [`HOOKS`]), then asked for many plans. `Send + Sync` and cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct RefundsEngine {
    config: RefundsConfig,
    policy: Option<Policy>,
    /// What the policy's hooks can read of their arguments (see `usage`).
    hook_args: usage::ArgNeeds,
}

fn check_money_list(field: &str, list: &[Money], allow_zero: bool) -> Result<(), Error> {
    for (i, money) in list.iter().enumerate() {
        if money.is_negative() || (!allow_zero && money.is_zero()) {
            return Err(Error::invalid(
                format!("config.{field}[{i}]"),
                format!(
                    "must be {}, got {money}",
                    if allow_zero {
                        "zero or more"
                    } else {
                        "positive"
                    }
                ),
            ));
        }
        if list
            .iter()
            .take(i)
            .any(|m| m.currency() == money.currency())
        {
            return Err(Error::invalid(
                format!("config.{field}[{i}]"),
                format!("{} is listed twice", money.currency()),
            ));
        }
    }
    Ok(())
}

impl RefundsEngine {
    /// Builds the engine, checking the configuration: `refund_currency = store` needs a
    /// `store_currency`; cash rounding increments must be positive; minimums and fees
    /// must not be negative; no currency may be listed twice.
    pub fn new(config: RefundsConfig) -> Result<Self, Error> {
        if config.refund_currency == RefundCurrency::Store && config.store_currency.is_none() {
            return Err(Error::invalid(
                "config.store_currency",
                "refund_currency is `store`, so a store_currency (e.g. \"EUR\") is required",
            ));
        }
        check_money_list("minimum_refund", &config.minimum_refund, true)?;
        check_money_list("cash_rounding", &config.cash_rounding, false)?;
        check_money_list("refund_fees", &config.refund_fees, true)?;
        Ok(RefundsEngine {
            config,
            policy: None,
            hook_args: usage::ArgNeeds::everything(),
        })
    }

    /// Attaches a policy after checking that every function it defines is one of
    /// [`HOOKS`] (or a `_helper`) with the right number of parameters.
    ///
    /// Each hook overrides the configuration option of the same name for one request;
    /// a hook that returns `()` keeps the configured choice. When a hook fails and the
    /// caller asked for [`OnHookError::Fallback`](crate::policy::OnHookError::Fallback),
    /// the configured choice is the safe outcome and a `policy_error` reason is recorded.
    ///
    /// ```
    /// use backoffice::policy::{Policy, PolicyRuntime};
    /// use backoffice::refunds::{RefundsConfig, RefundsEngine};
    /// let source = r#"fn remainder_absorbed_by(order, refund) {
    ///     if order.age_days < 30 { "merchant" } else { "customer" }
    /// }"#;
    /// let policy = Policy::compile("refunds.rhai", source, &PolicyRuntime::new())?;
    /// let engine = RefundsEngine::new(RefundsConfig::default())?.with_policy(policy)?;
    /// assert!(engine.policy().is_some());
    ///
    /// let unknown = Policy::compile("x.rhai", "fn refund_amount(order) { 0 }", &PolicyRuntime::new())?;
    /// let err = RefundsEngine::new(RefundsConfig::default())?.with_policy(unknown).unwrap_err();
    /// assert_eq!(err.diagnostics()[0].code, "policy.unknown_hook");
    /// # Ok::<(), backoffice::Error>(())
    /// ```
    pub fn with_policy(mut self, policy: Policy) -> Result<Self, Error> {
        policy.bind("refunds", HOOKS)?;
        self.hook_args = usage::analyse(&policy);
        self.policy = Some(policy);
        Ok(self)
    }

    /// The attached policy, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &RefundsConfig {
        &self.config
    }

    /// Plans one refund with default options (see the module docs for an example).
    pub fn decide(&self, request: &RefundRequest) -> Result<Decision<RefundOutcome>, Error> {
        self.decide_with(request, &DecideOptions::default())
    }

    /// Plans one refund.
    ///
    /// Errors: `invalid_input` naming the field for malformed input (unknown lines,
    /// non-positive quantities or amounts, a bad idempotency key, captures in the wrong
    /// currency, ...); `over_refund`, `idempotency_conflict`, `missing_rate`,
    /// `stale_rate`, `refund_rounds_to_zero` and `below_minimum_refund` as
    /// [`Error::Rejected`] naming the field.
    pub fn decide_with(
        &self,
        request: &RefundRequest,
        options: &DecideOptions,
    ) -> Result<Decision<RefundOutcome>, Error> {
        let config = &self.config;
        let refund = &request.refund;
        let mut trace = options.trace.then(Trace::default);

        plan::validate_key(&refund.idempotency_key)?;
        let fingerprint = fingerprint(&request.order.order_id, refund);
        if let Some(earlier) = request
            .earlier_refunds
            .iter()
            .find(|e| e.idempotency_key == refund.idempotency_key)
        {
            if earlier.fingerprint != fingerprint {
                return Err(Error::Rejected {
                    code: "idempotency_conflict".to_string(),
                    field: "refund.idempotency_key".to_string(),
                    message: format!(
                        "idempotency key `{}` was already used for a different refund (fingerprint {} here, {} before); use a new key for a new refund",
                        refund.idempotency_key, fingerprint, earlier.fingerprint
                    ),
                });
            }
            let reason = Reason::builtin(
                "idempotent_replay",
                "idempotency",
                format!(
                    "idempotency key `{}` with the same fingerprint was already planned; returning that plan unchanged",
                    refund.idempotency_key
                ),
            )
            .about(refund.idempotency_key.clone());
            if let Some(trace) = trace.as_mut() {
                trace.step(
                    "idempotency",
                    format!("replay of `{}` ({fingerprint})", refund.idempotency_key),
                );
            }
            let mut decision = Decision::new(RefundOutcome {
                replay: true,
                plan: earlier.plan.clone(),
            })
            .with_reason(reason);
            decision.trace = trace;
            return Ok(decision);
        }

        let state = plan::order_state(request, config)?;
        let proration = plan::prorate(request, &state, config)?;
        if let Some(trace) = trace.as_mut() {
            trace.step(
                "proration",
                format!(
                    "lines {}, tax {}, shipping {}: {} of {} captured ({} refunded before)",
                    proration.lines_total,
                    proration.tax_total,
                    proration.shipping,
                    proration.total,
                    state.captured,
                    state.refunded_total
                ),
            );
        }
        let mut policy_reasons = Vec::new();
        let settings = match &self.policy {
            Some(policy) => hooks::settings(
                policy,
                &self.hook_args,
                request,
                config,
                state.captured,
                &proration,
                options,
                &mut policy_reasons,
                &mut trace,
            )?,
            None => self.settings(request)?,
        };
        let fx = plan::fx(request, &state, &proration, &settings, config)?;
        let owed = fx.refund_amount;
        let (paid, cash_rounding) = plan::cash_round(owed, refund.method, config)?;
        check_minimum(paid, settings.minimum)?;
        let fee = plan::refund_fee(config, refund.method, request.order.settlement_currency);
        let ledger = plan::ledger(
            &proration,
            &fx.details,
            owed,
            paid,
            fee,
            refund.method,
            config,
        )?;
        if let Some(trace) = trace.as_mut() {
            trace.step(
                "fx",
                format!(
                    "rate {} ({}), basis {}, settlement {}, gain/loss {}",
                    fx.details.rate_used,
                    fx.details.rate_source.as_str(),
                    fx.details.basis,
                    fx.details.settlement_amount,
                    fx.details.gain_loss
                ),
            );
        }

        // The two reasons every plan has are written without `format!` (hot path); the
        // text is the same as `Money`'s `Display`.
        let mut reasons = Vec::with_capacity(3);
        let mut message = String::with_capacity(96);
        message.push_str("refund ");
        text::money(&mut message, paid);
        message.push_str(" by ");
        message.push_str(refund.method.as_str());
        message.push_str(" for ");
        text::money(&mut message, proration.total);
        message.push_str(" of the order's ");
        text::money(&mut message, state.captured);
        message.push_str(" captured");
        reasons.push(Reason::builtin("refund_planned", "proration", message));
        let gain_loss = fx.details.gain_loss;
        if !gain_loss.is_zero() {
            let loss = gain_loss.is_negative();
            let mut message = String::with_capacity(96);
            message.push_str("the refund costs ");
            text::money(&mut message, fx.details.settlement_amount);
            message.push_str(" against a ");
            text::money(&mut message, fx.details.basis);
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
        if let Some(adjustment) = cash_rounding.filter(|a| !a.is_zero()) {
            reasons.push(Reason::builtin(
                "cash_rounded",
                "cash_rounding",
                format!("{owed} rounded to {paid} for cash ({adjustment} difference)"),
            ));
        }

        reasons.append(&mut policy_reasons);

        let plan = RefundPlan {
            idempotency_key: refund.idempotency_key.clone(),
            fingerprint,
            order_id: request.order.order_id.clone(),
            reason: refund.reason.clone(),
            method: refund.method,
            decided_at: request.now,
            refund_currency: settings.refund_currency,
            lines: proration.lines,
            shipping: proration.shipping,
            presentment_amount: proration.total,
            amount: paid,
            cash_rounding,
            fee,
            fx: fx.details,
            ledger,
        };
        Ok(Decision {
            outcome: RefundOutcome {
                replay: false,
                plan,
            },
            reasons,
            trace,
        })
    }

    /// The settings from configuration alone.
    fn settings(&self, request: &RefundRequest) -> Result<Settings, Error> {
        let config = &self.config;
        let currency = plan::resolve_currency(config.refund_currency, request, config)?;
        Ok(Settings {
            refund_currency: config.refund_currency,
            currency,
            rate_source: config.rate_source,
            absorbed_by: config.remainder_absorbed_by,
            minimum: plan::configured_minimum(config, currency),
        })
    }
}

fn check_minimum(paid: Money, minimum: Option<rust_decimal::Decimal>) -> Result<(), Error> {
    if paid.is_zero() || paid.is_negative() {
        return Err(Error::Rejected {
            code: "refund_rounds_to_zero".to_string(),
            field: "refund".to_string(),
            message: format!("the refund comes to {paid}; a refund must pay out more than zero"),
        });
    }
    if let Some(minimum) = minimum {
        if paid.amount() < minimum {
            // Show the minimum with the currency's decimals (`50` as `50.00`).
            let mut shown = minimum;
            if let Some(units) = paid.currency().minor_units().map(u32::from) {
                if shown.scale() < units {
                    shown.rescale(units);
                }
            }
            return Err(Error::Rejected {
                code: "below_minimum_refund".to_string(),
                field: "refund".to_string(),
                message: format!(
                    "the refund comes to {paid}, below the minimum refund of {}",
                    Money::new(shown, paid.currency())
                ),
            });
        }
    }
    Ok(())
}

impl crate::engine::Engine for RefundsEngine {
    const KIND: &'static str = "refunds";
    type Config = RefundsConfig;
    type Request = RefundRequest;
    type Outcome = RefundOutcome;

    fn hooks() -> &'static [crate::policy::HookSpec] {
        HOOKS
    }

    fn from_config(config: RefundsConfig) -> Result<Self, Error> {
        RefundsEngine::new(config)
    }

    fn attach_policy(self, policy: Policy) -> Result<Self, Error> {
        self.with_policy(policy)
    }

    fn decide_with(
        &self,
        request: &RefundRequest,
        options: &DecideOptions,
    ) -> Result<Decision<RefundOutcome>, Error> {
        RefundsEngine::decide_with(self, request, options)
    }
}
