//! Returns: which items of a return request are accepted, rejected or sent to review and
//! why, what each refunds, how the refund is paid, what happens to the goods, and how
//! suspicious the request is. One call decides the whole request.
//!
//! ```
//! use backoffice::returns::{ReturnRequest, ReturnsConfig, ReturnsEngine, ItemStatus};
//!
//! let engine = ReturnsEngine::new(ReturnsConfig::default()).unwrap();
//! let request: ReturnRequest = serde_json::from_str(r#"{
//!   "order": {
//!     "order_id": "A-1001", "currency": "EUR", "payment_method": "card",
//!     "placed_at": "2025-02-20T10:00:00Z", "delivered_at": "2025-02-28T15:00:00Z",
//!     "order_discount": {"amount": "10.00", "currency": "EUR"},
//!     "lines": [{"line_id": "1", "sku": "BOOT-42", "category": "shoes", "quantity": 3,
//!                "unit_price": {"amount": "100.00", "currency": "EUR"}}]
//!   },
//!   "items": [{"line_id": "1", "quantity": 1, "reason": "size_too_small", "condition": "new"}],
//!   "now": "2025-03-10T09:00:00Z"
//! }"#).unwrap();
//! let decision = engine.decide(&request).unwrap();
//! assert_eq!(decision.outcome.items[0].status, ItemStatus::Accepted);
//! // 3 × 100.00 − 10.00 = 290.00, shared 96.67 + 96.67 + 96.66.
//! assert_eq!(decision.outcome.refund.total.to_string(), "96.67 EUR");
//! ```
//!
//! ## How a request is decided
//!
//! 1. **Eligibility**, per item: the return window (see [`WindowConfig`]), final sale,
//!    gift cards, not yet delivered, returnable quantity, hygiene categories and condition
//!    rules. An item is accepted only if every validator passes; otherwise it goes to
//!    review if any failing validator is of the review kind, else it is rejected. Every
//!    failing validator leaves a reason. The `eligibility` hook may then decide instead.
//! 2. **Refund amount**, per item that is not rejected: what was paid for the units (see
//!    [`ItemRefund`]), minus a restocking fee and a share of the return-shipping fee, never
//!    below zero and never above what is left of the line after earlier refunds. The
//!    `restocking_fee_percent` and `return_shipping_fee` hooks may set either fee per
//!    item.
//! 3. **Disposition** of the goods, from reason, category and condition.
//! 4. **Fraud score**: the built-in signals of [`FraudConfig`] plus the policy's. A
//!    `deny` rejects the whole request; a `review` sends it to the fraud review queue.
//! 5. **Settlement**: original payment, store credit or exchange.
//! 6. **Review routing**, for a request that goes to review: the queue, the priority and
//!    the expected handling time (see [`ReviewRoutingConfig`]), which the `review_route`
//!    hook may change; reported as `outcome.review` with a `review_route` reason.
//!
//! ## Policy hooks
//!
//! A returns policy may define any of [`HOOKS`] (`backoffice hooks --engine returns`
//! lists them with the fields of their arguments); each may return `()` to leave the
//! decision to the built-in rules:
//!
//! | hook | decides | built-in rule it replaces | reason when it changes the value |
//! |---|---|---|---|
//! | `eligibility(item, request)` | accept, reject or review one item, with a reason | the validators | its own code and message, and `eligibility_from_policy` |
//! | `window_days(item, request)` | one item's window in days, or `"unlimited"` | `window.default_days`, `window.category_days` | `window_from_policy` |
//! | `restocking_fee_percent(item, request)` | one item's restocking fee, 0 to 100 % | `restocking_fee` | `restocking_fee_from_policy` |
//! | `return_shipping_fee(item, request)` | one item's return-shipping fee: `#{amount, currency}`, a decimal or an int, in the order's currency | `return_shipping_fee`, waived when the reason is the merchant's fault | `policy_return_shipping_fee` |
//! | `disposition(item, request)` | what happens to one item's goods | `disposition` | `disposition_from_policy` |
//! | `fraud_signals(request)` | extra fraud signals | — (added to the built-in ones) | `fraud_signals_from_policy` |
//! | `settlement(request)` | how the refund is paid | `settlement` | `policy_settlement` |
//! | `review_route(request)` | `#{queue?, priority?, expected_hours?, reason?}` for a request in review | `review_routing` | `review_route` (from the policy) |
//!
//! A hook's reason names the value the built-in rules give and the one that applies, with
//! the policy's name, digest, hook and line; a hook that answers `()`, or with the value
//! the built-in rules give, has no such reason (see `docs/reasons.md`).
//!
//! A fee the `return_shipping_fee` hook sets replaces that item's share of the
//! configured fee (the other items keep theirs) and is recorded with a
//! `policy_return_shipping_fee` reason naming the policy, the hook's line and the fee the
//! built-in rule would have charged (when the two differ). So a used item can pay for the label even when its
//! reason is `defective`:
//!
//! ```
//! use backoffice::policy::{Policy, PolicyRuntime};
//! use backoffice::returns::{ReturnRequest, ReturnsConfig, ReturnsEngine};
//! let source = r#"
//! fn return_shipping_fee(item, request) {
//!     if item.condition == "used" { return 4.95; }
//!     ()
//! }"#;
//! let policy = Policy::compile("fees.rhai", source, &PolicyRuntime::new())?;
//! let engine = ReturnsEngine::new(ReturnsConfig::default())?.with_policy(policy)?;
//! let request: ReturnRequest = serde_json::from_str(r#"{
//!   "order": {"order_id": "A-2", "currency": "EUR", "payment_method": "card",
//!             "placed_at": "2025-03-01T10:00:00Z", "delivered_at": "2025-03-05T14:00:00Z",
//!             "lines": [{"line_id": "1", "sku": "KETTLE", "category": "kitchen", "quantity": 1,
//!                        "unit_price": {"amount": "80.00", "currency": "EUR"}}]},
//!   "items": [{"line_id": "1", "quantity": 1, "reason": "defective", "condition": "used"}],
//!   "now": "2025-03-12T09:00:00Z"
//! }"#).unwrap();
//! let decision = engine.decide(&request)?;
//! assert_eq!(decision.outcome.refund.total.to_string(), "75.05 EUR");
//! assert_eq!(decision.reasons[1].code, "policy_return_shipping_fee");
//! # Ok::<(), backoffice::Error>(())
//! ```
//!
//! `review_route` is called only for a request whose status is `review`; its
//! `request.review_queue` is the queue the configuration chose (`review_queue`, or
//! `fraud.review_queue` for a fraud review). A key it leaves out keeps the configured
//! value; the `review_route` reason carries the hook's `reason` text.
//!
//! ## Items not yet delivered
//!
//! An item whose line has no delivery date (the line's or the order's) counts its window
//! from the shipment date, or from the order's placement when nothing has shipped.
//! `validators.not_delivered` ([`NotDeliveredAction`]) says what the check does with it:
//! `reject` (the default: the item is rejected with `not_yet_delivered`), `review` (it
//! goes to review with `not_yet_delivered`) or `allow` (it passes, with a
//! `window_from_shipment` reason; `off` is another spelling).
//!
//! ## Hook arguments are read-only
//!
//! Like the routing and refunds engines, the returns engine passes every hook its
//! arguments (`item`, `request`) as read-only values, and every map and array nested in
//! them too (`request.customer`, `request.items`, `item.attributes`,
//! `item.reason_codes`). A policy whose hook assigns into one (`item.sku = "X"`,
//! `request.items[0].status = "x"`, `item.extra = 1`) is refused when it is attached
//! (`policy.read_only_argument`, at the assignment). A hook that calls a method that
//! would change one (`item.reason_codes.push("x")`) fails with a `policy.runtime`
//! diagnostic naming the hook and the position ("Non-pure method 'push' cannot be called
//! on constant"), and is then handled like any other failing hook (below). So every
//! hook of a decision sees what the engine built and nothing an earlier hook did. A copy
//! may be changed freely: `let codes = item.reason_codes; codes.push("x");`.
//!
//! ## Failing policy hooks
//!
//! Like every engine, [`ReturnsEngine::decide`] fails the decision when a hook fails
//! ([`OnHookError::Fail`](crate::policy::OnHookError::Fail), the default of [`DecideOptions`]), returning the hook's
//! diagnostic; the same holds through `AnyEngine`, the C ABI and the CLI. To send the
//! request to review instead, ask for [`OnHookError::Fallback`](crate::policy::OnHookError::Fallback) with
//! [`ReturnsEngine::decide_with`]: the built-in behaviour is used for that hook, the
//! request goes to review, and a `policy_error` reason carries the diagnostic.
//!
//! ```
//! use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
//! use backoffice::returns::{RequestStatus, ReturnRequest, ReturnsConfig, ReturnsEngine};
//! let policy = Policy::compile("p.rhai", "fn eligibility(item, request) { let k = \"nope\"; item[k] }", &PolicyRuntime::new())?;
//! let engine = ReturnsEngine::new(ReturnsConfig::default())?.with_policy(policy)?;
//! let request: ReturnRequest = serde_json::from_str(r#"{
//!   "order": {"order_id": "A-1", "currency": "EUR", "payment_method": "card",
//!             "placed_at": "2025-02-20T10:00:00Z",
//!             "delivered_at": "2025-02-28T15:00:00Z",
//!             "lines": [{"line_id": "1", "sku": "S", "category": "toys", "quantity": 1,
//!                        "unit_price": {"amount": "10.00", "currency": "EUR"}}]},
//!   "items": [{"line_id": "1", "quantity": 1, "reason": "defective", "condition": "new"}],
//!   "now": "2025-03-01T09:00:00Z"
//! }"#).unwrap();
//! let err = engine.decide(&request).unwrap_err();
//! assert_eq!(err.diagnostics()[0].code, "policy.runtime");
//! let fallback = DecideOptions { on_hook_error: OnHookError::Fallback, ..DecideOptions::default() };
//! let decision = engine.decide_with(&request, &fallback)?;
//! assert_eq!(decision.outcome.status, RequestStatus::Review);
//! # Ok::<(), backoffice::Error>(())
//! ```

mod config;
mod disposition;
mod eligibility;
mod fraud;
pub(crate) mod hooks;
mod lookup;
mod pipeline;
mod refund;
mod review;
mod settlement;
mod types;
mod validate;
mod window;

pub use config::{
    DispositionConfig, FraudConfig, NotDeliveredAction, PercentValue, ReasonCodeConfig,
    RestockingFeeConfig, ReturnShippingFee, ReturnsConfig, ReviewPriority, ReviewRoutingConfig,
    ReviewTarget, SettlementConfig, SignalConfig, Unlimited, ValidatorAction, ValidatorsConfig,
    WindowConfig, WindowLength, BUILTIN_REASON_CODES, MAX_EXPECTED_HOURS,
};
pub use hooks::HOOKS;
pub use types::{
    Condition, CustomerHistory, CustomerList, Disposition, FraudAction, FraudAssessment,
    FraudSignal, ItemOutcome, ItemRefund, ItemStatus, Order, OrderLine, PreviousReturn,
    RefundTotals, Replacement, RequestStatus, ReturnItem, ReturnOutcome, ReturnRequest,
    ReturnWindow, ReviewRoute, Settlement, SettlementMethod, WindowBasis,
};
pub use window::MerchantZone;

use crate::policy::session::BoundHooks;
use crate::policy::{DecideOptions, Policy};
use crate::{Decision, Error};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The returns engine: built once from a [`ReturnsConfig`] (and optionally a policy),
/// then asked for many decisions. `Send + Sync`.
#[derive(Debug, Clone)]
pub struct ReturnsEngine {
    config: ReturnsConfig,
    zone: MerchantZone,
    /// Reason code → whether it is the merchant's fault, and the code as a script string.
    reason_codes: BTreeMap<String, ReasonCode>,
    /// The attached policy, bound to the returns hooks.
    hooks: Option<BoundHooks>,
}

/// One code of the reason taxonomy.
#[derive(Debug, Clone)]
struct ReasonCode {
    merchant_fault: bool,
    word: rhai::ImmutableString,
}

impl ReasonCode {
    fn new(code: &str, merchant_fault: bool) -> Self {
        ReasonCode {
            merchant_fault,
            word: code.into(),
        }
    }
}

impl ReturnsEngine {
    /// Builds the engine, checking the configuration (time zone, reason codes,
    /// percentages, thresholds).
    ///
    /// ```
    /// use backoffice::returns::{ReturnsConfig, ReturnsEngine};
    /// let mut config = ReturnsConfig::default();
    /// config.time_zone = "Europe/Narnia".into();
    /// let err = ReturnsEngine::new(config).unwrap_err();
    /// assert_eq!(err.field(), Some("time_zone"));
    /// ```
    pub fn new(config: ReturnsConfig) -> Result<Self, Error> {
        let zone = MerchantZone::parse(&config.time_zone)?;
        let mut reason_codes: BTreeMap<String, ReasonCode> = BUILTIN_REASON_CODES
            .iter()
            .map(|(code, fault)| (code.to_string(), ReasonCode::new(code, *fault)))
            .collect();
        for (index, extra) in config.additional_reason_codes.iter().enumerate() {
            let code = extra.code.trim();
            if code.is_empty() {
                return Err(Error::invalid(
                    format!("additional_reason_codes[{index}].code"),
                    "a reason code must not be empty",
                ));
            }
            reason_codes.insert(
                code.to_string(),
                ReasonCode::new(code, extra.merchant_fault),
            );
        }
        let check_percent = |field: String, value: Decimal| -> Result<(), Error> {
            if value < Decimal::ZERO || value > Decimal::ONE_HUNDRED {
                return Err(Error::invalid(
                    field,
                    format!("a percentage must be between 0 and 100, got {value}"),
                ));
            }
            Ok(())
        };
        for (condition, percent) in &config.restocking_fee.by_condition {
            check_percent(
                format!("restocking_fee.by_condition.{}", condition.as_str()),
                percent.0,
            )?;
        }
        for (category, percent) in &config.restocking_fee.by_category {
            check_percent(format!("restocking_fee.by_category.{category}"), percent.0)?;
        }
        match &config.return_shipping_fee {
            ReturnShippingFee::Flat { amount } | ReturnShippingFee::PerItem { amount }
                if *amount < Decimal::ZERO =>
            {
                return Err(Error::invalid(
                    "return_shipping_fee.amount",
                    format!("the fee must not be negative, got {amount}"),
                ));
            }
            _ => {}
        }
        check_review_routing(&config)?;
        if config.fraud.deny_threshold < config.fraud.review_threshold {
            return Err(Error::invalid(
                "fraud.deny_threshold",
                format!(
                    "the deny threshold ({}) must not be below the review threshold ({})",
                    config.fraud.deny_threshold, config.fraud.review_threshold
                ),
            ));
        }
        Ok(ReturnsEngine {
            config,
            zone,
            reason_codes,
            hooks: None,
        })
    }

    /// Attaches a policy after checking that every `fn` it defines is one of [`HOOKS`]
    /// (or a `_helper`) with the right number of parameters.
    ///
    /// ```
    /// use backoffice::policy::{Policy, PolicyRuntime};
    /// use backoffice::returns::{ReturnsConfig, ReturnsEngine};
    /// let runtime = PolicyRuntime::new();
    /// let policy = Policy::compile("p.rhai", "fn refund_amount(item) { 0 }", &runtime).unwrap();
    /// let engine = ReturnsEngine::new(ReturnsConfig::default()).unwrap();
    /// let err = engine.with_policy(policy).unwrap_err();
    /// assert_eq!(err.diagnostics()[0].code, "policy.unknown_hook");
    /// ```
    pub fn with_policy(mut self, policy: Policy) -> Result<Self, Error> {
        self.hooks = Some(BoundHooks::bind(policy, "returns", HOOKS)?);
        Ok(self)
    }

    /// The attached policy, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.hooks.as_ref().map(BoundHooks::policy)
    }

    /// The configuration.
    pub fn config(&self) -> &ReturnsConfig {
        &self.config
    }

    /// Decides a request with the default options: a failing policy hook fails the
    /// decision with its diagnostic ([`OnHookError::Fail`](crate::policy::OnHookError::Fail), as in every engine); use
    /// [`ReturnsEngine::decide_with`] with [`OnHookError::Fallback`](crate::policy::OnHookError::Fallback) to send the request
    /// to review instead (see the module docs), or to ask for a trace.
    pub fn decide(&self, request: &ReturnRequest) -> Result<Decision<ReturnOutcome>, Error> {
        self.decide_with(request, &DecideOptions::default())
    }

    /// Decides a request with explicit options (trace, what a failing hook does).
    pub fn decide_with(
        &self,
        request: &ReturnRequest,
        options: &DecideOptions,
    ) -> Result<Decision<ReturnOutcome>, Error> {
        self.run_pipeline(request, options)
    }
}

/// Checks the review queues and their routes.
fn check_review_routing(config: &ReturnsConfig) -> Result<(), Error> {
    for (field, queue) in [
        ("review_queue", &config.review_queue),
        ("fraud.review_queue", &config.fraud.review_queue),
    ] {
        if queue.trim().is_empty() {
            return Err(Error::invalid(field, "a queue name must not be empty"));
        }
    }
    let check_hours = |field: &dyn Fn() -> String, hours: u32| -> Result<(), Error> {
        if hours == 0 || hours > MAX_EXPECTED_HOURS {
            return Err(Error::invalid(
                field(),
                format!(
                    "the expected handling time must be from 1 to {MAX_EXPECTED_HOURS} hours, got {hours}"
                ),
            ));
        }
        Ok(())
    };
    let routing = &config.review_routing;
    check_hours(
        &|| "review_routing.default.expected_hours".to_string(),
        routing.default.expected_hours,
    )?;
    for (queue, target) in &routing.queues {
        if queue.trim().is_empty() {
            return Err(Error::invalid(
                "review_routing.queues",
                "a queue name must not be empty",
            ));
        }
        check_hours(
            &|| format!("review_routing.queues.{queue}.expected_hours"),
            target.expected_hours,
        )?;
    }
    Ok(())
}

impl crate::engine::Engine for ReturnsEngine {
    const KIND: &'static str = "returns";
    type Config = ReturnsConfig;
    type Request = ReturnRequest;
    type Outcome = ReturnOutcome;

    fn hooks() -> &'static [crate::policy::HookSpec] {
        HOOKS
    }

    fn from_config(config: ReturnsConfig) -> Result<Self, Error> {
        ReturnsEngine::new(config)
    }

    fn attach_policy(self, policy: Policy) -> Result<Self, Error> {
        self.with_policy(policy)
    }

    fn decide_with(
        &self,
        request: &ReturnRequest,
        options: &DecideOptions,
    ) -> Result<Decision<ReturnOutcome>, Error> {
        ReturnsEngine::decide_with(self, request, options)
    }
}
