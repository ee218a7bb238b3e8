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
//! The stages are in files of their own, listed by `pipeline.rs`: `validate`,
//! `idempotency`, `proration`, `settings` (the policy's choices), `fx`, `payout` (cash
//! rounding, the minimum, the processor fee), `ledger` and `reasons`.
//!
//! # Policies
//!
//! Each of `refund_currency`, `rate_source`, `remainder_absorbed_by` and `minimum_refund`
//! can be decided per request by a policy hook of that name ([`HOOKS`]); a hook that
//! returns `()` keeps the configured choice, and every choice a policy makes that differs
//! from the configuration is recorded as a reason (`refund_currency_from_policy`, ...)
//! naming the configured and the chosen value, the policy, its digest and the hook's line. Replays never call the policy. See
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

mod config;
mod fingerprint;
mod fx;
mod hooks;
mod idempotency;
mod ledger;
mod payout;
mod pipeline;
mod proration;
mod reasons;
mod settings;
mod text;
mod types;
mod validate;

pub use config::{LedgerAccounts, RefundsConfig};
pub use fingerprint::{canonical_json, fingerprint, FINGERPRINT_VERSION};
pub use hooks::HOOKS;
pub use ledger::is_balanced;
pub use types::{
    Capture, Conversion, EarlierRefund, FxDetails, LedgerEntry, Order, OrderLine, PlannedLine,
    RateSource, RefundCurrency, RefundLineRequest, RefundMethod, RefundOutcome, RefundPlan,
    RefundRequest, RemainderAbsorbedBy, RequestedRefund, ShippingRefund, Side,
};
pub use validate::MAX_KEY_LEN;

use crate::policy::session::BoundHooks;
use crate::policy::{DecideOptions, Policy};
use crate::{Decision, Error};

/// The refunds engine: built once from a [`RefundsConfig`] (and optionally a policy
/// defining some of [`HOOKS`]), then asked for many plans. `Send + Sync` and cheap to
/// clone.
#[derive(Debug, Clone)]
pub struct RefundsEngine {
    config: RefundsConfig,
    /// The policy, bound to [`HOOKS`].
    hooks: Option<BoundHooks>,
}

impl RefundsEngine {
    /// Builds the engine, checking the configuration: `refund_currency = store` needs a
    /// `store_currency`; cash rounding increments must be positive; minimums and fees
    /// must not be negative; no currency may be listed twice.
    pub fn new(config: RefundsConfig) -> Result<Self, Error> {
        config::check(&config)?;
        Ok(RefundsEngine {
            config,
            hooks: None,
        })
    }

    /// Attaches a policy after checking that every function it defines is one of
    /// [`HOOKS`] (or a `_helper`) with the right number of parameters, and that it reads
    /// only fields the hooks' arguments have.
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
        self.hooks = Some(BoundHooks::bind(policy, "refunds", HOOKS)?);
        Ok(self)
    }

    /// The attached policy, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.hooks.as_ref().map(BoundHooks::policy)
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
        pipeline::decide_with(&self.config, self.hooks.as_ref(), request, options)
    }
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
