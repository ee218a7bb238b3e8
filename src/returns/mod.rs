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
//!    below zero and never above what is left of the line after earlier refunds.
//! 3. **Disposition** of the goods, from reason, category and condition.
//! 4. **Fraud score**: the built-in signals of [`FraudConfig`] plus the policy's. A
//!    `deny` rejects the whole request; a `review` sends it to the fraud review queue.
//! 5. **Settlement**: original payment, store credit or exchange.
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
//! ([`OnHookError::Fail`], the default of [`DecideOptions`]), returning the hook's
//! diagnostic; the same holds through `AnyEngine`, the C ABI and the CLI. To send the
//! request to review instead, ask for [`OnHookError::Fallback`] with
//! [`ReturnsEngine::decide_with`]: the built-in behaviour is used for that hook, the
//! request goes to review, and a `policy_error` reason carries the diagnostic.
//!
//! ```
//! use backoffice::policy::{DecideOptions, OnHookError, Policy, PolicyRuntime};
//! use backoffice::returns::{RequestStatus, ReturnRequest, ReturnsConfig, ReturnsEngine};
//! let policy = Policy::compile("p.rhai", "fn eligibility(item, request) { item.nope }", &PolicyRuntime::new())?;
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

mod amounts;
mod config;
mod fraud;
mod hooks;
mod lookup;
mod types;
mod window;

pub use config::{
    DispositionConfig, FraudConfig, PercentValue, ReasonCodeConfig, RestockingFeeConfig,
    ReturnShippingFee, ReturnsConfig, SettlementConfig, SignalConfig, Unlimited, ValidatorAction,
    ValidatorsConfig, WindowConfig, WindowLength, BUILTIN_REASON_CODES,
};
pub use hooks::HOOKS;
pub use types::{
    Condition, CustomerHistory, CustomerList, Disposition, FraudAction, FraudAssessment,
    FraudSignal, ItemOutcome, ItemRefund, ItemStatus, Order, OrderLine, PreviousReturn,
    RefundTotals, Replacement, RequestStatus, ReturnItem, ReturnOutcome, ReturnRequest,
    ReturnWindow, Settlement, SettlementMethod, WindowBasis,
};
pub use window::MerchantZone;

use crate::money::{allocate, CurrencyOverrides};
use crate::policy::{DecideOptions, OnHookError};
// `RoundingMode::Down` checks that an amount is a whole number of minor units: rounding
// toward zero leaves such an amount unchanged.
use crate::policy::Policy;
use crate::{Currency, Decision, Error, Money, Reason, RoundingMode, Trace};
use amounts::{
    at_least_zero, line_payments, negative, units_refund, zero, LinePayment, MAX_LINE_QUANTITY,
};
use chrono::{DateTime, Utc};
use hooks::{DefinedHooks, HookFailure, ItemSeed, Session, Words};
use lookup::LineIndex;
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
    /// Script strings shared by every decision.
    words: Words,
    policy: Option<Policy>,
    /// The hooks the policy defines.
    defined: DefinedHooks,
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

/// Per-item working state.
struct ItemWork<'a> {
    item: &'a ReturnItem,
    line_index: usize,
    line: &'a OrderLine,
    window: ReturnWindow,
    inside_statutory: bool,
    status: ItemStatus,
    codes: Vec<String>,
    start_unit: u32,
    end_unit: u32,
    earlier_quantity: u32,
    merchant_fault: bool,
    refund: ItemRefund,
    disposition: Option<Disposition>,
}

/// Reasons, trace and hook-failure bookkeeping of one decision.
struct Run<'o> {
    options: &'o DecideOptions,
    reasons: Vec<Reason>,
    trace: Option<Trace>,
    policy_failed: bool,
}

impl Run<'_> {
    fn step(&mut self, stage: &str, message: impl FnOnce() -> String) {
        if let Some(trace) = self.trace.as_mut() {
            trace.step(stage, message());
        }
    }

    fn item_reason(&mut self, work: &mut ItemWork<'_>, reason: Reason) {
        work.codes.push(reason.code.to_string());
        self.reasons.push(reason.about(work.item.line_id.clone()));
    }

    /// A hook failed: fail the decision, or record a `policy_error` and go on.
    fn hook_failed(
        &mut self,
        failure: Box<HookFailure>,
        subject: Option<&str>,
        fallback: &str,
    ) -> Result<(), Error> {
        match self.options.on_hook_error {
            OnHookError::Fail => Err(Error::Policy {
                diagnostics: vec![failure.diagnostic],
            }),
            OnHookError::Fallback => {
                let mut reason = Reason::policy_error(
                    failure.diagnostic,
                    failure.source,
                    &format!("{fallback}; the request goes to review"),
                );
                if let Some(subject) = subject {
                    reason = reason.about(subject);
                }
                self.reasons.push(reason);
                self.policy_failed = true;
                Ok(())
            }
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
            words: Words::new(),
            policy: None,
            defined: DefinedHooks::default(),
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
        policy.bind("returns", HOOKS)?;
        self.defined = DefinedHooks::of(&policy);
        self.policy = Some(policy);
        Ok(self)
    }

    /// The attached policy, if any.
    pub fn policy(&self) -> Option<&Policy> {
        self.policy.as_ref()
    }

    /// The configuration.
    pub fn config(&self) -> &ReturnsConfig {
        &self.config
    }

    /// Decides a request with the default options: a failing policy hook fails the
    /// decision with its diagnostic ([`OnHookError::Fail`], as in every engine); use
    /// [`ReturnsEngine::decide_with`] with [`OnHookError::Fallback`] to send the request
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
        let currency = request.order.currency;
        let (payments, line_index) = self.validate(request)?;
        let mut run = Run {
            options,
            reasons: Vec::with_capacity(request.items.len() + 4),
            trace: options.trace.then(Trace::default),
            policy_failed: false,
        };
        let request_date = self.zone.local_date(request.now);
        // The policy's view of the request, built once (only when there is a policy that
        // defines at least one hook).
        let policy = self.policy.as_ref().filter(|_| self.defined.any());
        let mut session = policy.map(|policy| {
            let lines: Vec<Option<&OrderLine>> = request
                .items
                .iter()
                .map(|item| {
                    line_index
                        .get(item.line_id.as_str())
                        .and_then(|i| request.order.lines.get(i))
                })
                .collect();
            let seeds: Vec<ItemSeed> = request
                .items
                .iter()
                .zip(&lines)
                .map(|(item, line)| {
                    let (basis, at) = match line {
                        Some(line) => window_basis(&request.order, line),
                        None => (WindowBasis::Placed, request.order.placed_at),
                    };
                    let code = self.reason_codes.get(item.reason.as_str());
                    ItemSeed {
                        merchant_fault: code.is_some_and(|c| c.merchant_fault),
                        basis,
                        days_elapsed: request_date
                            .signed_duration_since(self.zone.local_date(at))
                            .num_days(),
                        reason: code.map(|c| c.word.clone()),
                    }
                })
                .collect();
            Session::new(
                policy,
                self.defined,
                &self.words,
                request,
                &lines,
                &seeds,
                options.trace,
            )
        });

        // Earlier returns per line (units, refunded), by line index.
        let line_count = request.order.lines.len();
        let mut earlier: Vec<(u32, Money)> = vec![(0, zero(currency)); line_count];
        for previous in &request.previous_returns {
            if let Some(entry) = line_index
                .get(previous.line_id.as_str())
                .and_then(|i| earlier.get_mut(i))
            {
                entry.0 = entry.0.saturating_add(previous.quantity);
                entry.1 = entry.1.checked_add(previous.refunded)?;
            }
        }

        // 1. Eligibility.
        // Units of each line requested by the items before the current one.
        let mut cursor: Vec<u32> = vec![0; line_count];
        let mut works = Vec::with_capacity(request.items.len());
        for (index, item) in request.items.iter().enumerate() {
            let li = line_index.get(item.line_id.as_str()).unwrap_or(0);
            let Some(line) = request.order.lines.get(li) else {
                return Err(Error::invalid(
                    format!("items[{index}].line_id"),
                    "unknown line",
                ));
            };
            let earlier_quantity = earlier.get(li).map_or(0, |e| e.0);
            let Some(already) = cursor.get_mut(li) else {
                return Err(Error::invalid(
                    format!("items[{index}].line_id"),
                    "unknown line",
                ));
            };
            let start_unit = earlier_quantity.saturating_add(*already).min(line.quantity);
            let end_unit = earlier_quantity
                .saturating_add(*already)
                .saturating_add(item.quantity)
                .min(line.quantity);
            *already = already.saturating_add(item.quantity);
            let requested_through = earlier_quantity.saturating_add(*already);
            let merchant_fault = self
                .reason_codes
                .get(item.reason.as_str())
                .is_some_and(|c| c.merchant_fault);

            // The window length: configuration, then the policy, never below the statute.
            let mut length = self
                .config
                .window
                .category_days
                .get(&line.category)
                .copied()
                .unwrap_or(self.config.window.default_days);
            if let Some(s) = session.as_mut() {
                match s.window_days(index) {
                    Ok(Some(days)) => {
                        run.step("window_days", || {
                            format!(
                                "policy sets the window of line {} to {:?}",
                                line.line_id,
                                days.days()
                            )
                        });
                        length = days;
                    }
                    Ok(None) => {}
                    Err(failure) => run.hook_failed(
                        failure,
                        Some(&line.line_id),
                        "the configured window applies",
                    )?,
                }
            }
            if let (Some(minimum), WindowLength::Days(days)) =
                (self.config.window.statutory_minimum_days, length)
            {
                if days < minimum {
                    length = WindowLength::Days(minimum);
                }
            }
            let (window, inside_statutory) = self.window(request, line, length, request_date)?;
            let mut work = ItemWork {
                item,
                line_index: li,
                line,
                window,
                inside_statutory,
                status: ItemStatus::Accepted,
                codes: Vec::with_capacity(2),
                start_unit,
                end_unit,
                earlier_quantity,
                merchant_fault,
                refund: ItemRefund::zero(currency),
                disposition: None,
            };
            self.validators(&mut run, &mut work, requested_through)?;
            if let Some(s) = session.as_mut() {
                s.set_window_and_status(
                    index,
                    work.window.days,
                    work.window.inside,
                    work.status,
                    &work.codes,
                );
                match s.eligibility(index) {
                    Ok(Some(verdict)) => {
                        let mut status = verdict.status;
                        let policy_reason =
                            Reason::from_policy(verdict.code, verdict.message, verdict.source);
                        run.item_reason(&mut work, policy_reason);
                        if status == ItemStatus::Rejected && work.inside_statutory {
                            status = ItemStatus::Review;
                            let days = self.config.window.statutory_minimum_days.unwrap_or(0);
                            run.item_reason(
                                &mut work,
                                Reason::builtin(
                                    "statutory_window_protects",
                                    "statutory_minimum",
                                    format!("the policy rejected the item, but the request is inside the statutory minimum window of {days} days; a person decides"),
                                ),
                            );
                        }
                        run.step("eligibility", || {
                            format!("policy decides line {}: {}", line.line_id, status.as_str())
                        });
                        work.status = status;
                    }
                    Ok(None) => {}
                    Err(failure) => run.hook_failed(
                        failure,
                        Some(&line.line_id),
                        "the built-in validators decide",
                    )?,
                }
            }
            run.step("eligibility", || {
                format!("line {}: {}", line.line_id, work.status.as_str())
            });
            if let Some(s) = session.as_mut() {
                s.set_status(index, work.status, &work.codes);
            }
            works.push(work);
        }

        // 2. Refund amounts (fees need every item's status first).
        // What is left of each line after earlier refunds and the items before, by index.
        let mut remaining: Vec<Option<Money>> = vec![None; line_count];
        for work in works
            .iter_mut()
            .filter(|w| w.status != ItemStatus::Rejected)
        {
            let payment = payments
                .get(work.line_index)
                .ok_or_else(|| Error::invalid("order.lines", "line payment missing"))?;
            let left = match remaining.get(work.line_index).copied().flatten() {
                Some(left) => left,
                None => {
                    let refunded = earlier.get(work.line_index).map_or(zero(currency), |e| e.1);
                    at_least_zero(payment.paid.checked_sub(refunded)?)
                }
            };
            let refund = self.merchandise(&mut run, work, payment, left)?;
            if let Some(slot) = remaining.get_mut(work.line_index) {
                *slot = Some(at_least_zero(left.checked_sub(refund.merchandise)?));
            }
            work.refund = refund;
        }
        for (index, work) in works.iter_mut().enumerate() {
            if work.status == ItemStatus::Rejected {
                continue;
            }
            let mut percent = self.builtin_restocking_percent(work);
            if let Some(s) = session.as_mut() {
                s.set_refund(index, work.refund.merchandise.amount());
                match s.restocking_fee_percent(index) {
                    Ok(Some((p, _source))) => percent = p,
                    Ok(None) => {}
                    Err(failure) => run.hook_failed(
                        failure,
                        Some(&work.line.line_id),
                        "the configured restocking fee applies",
                    )?,
                }
            }
            let fee = work
                .refund
                .merchandise
                .checked_mul(percent / Decimal::ONE_HUNDRED)?
                .round(self.config.restocking_fee.rounding)?;
            work.refund.restocking_fee_percent = percent.normalize();
            work.refund.restocking_fee = negative(fee);
        }
        self.shipping_fees(&mut works, currency)?;
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

        // 3. Disposition.
        for (index, work) in works.iter_mut().enumerate() {
            if work.status == ItemStatus::Rejected {
                continue;
            }
            let mut disposition = self.builtin_disposition(work);
            if let Some(s) = session.as_mut() {
                match s.disposition(index) {
                    Ok(Some((d, _source))) => disposition = d,
                    Ok(None) => {}
                    Err(failure) => run.hook_failed(
                        failure,
                        Some(&work.line.line_id),
                        "the configured disposition applies",
                    )?,
                }
            }
            work.disposition = Some(disposition);
        }

        // 4. Fraud.
        let merchandise_total = Money::sum(
            currency,
            works
                .iter()
                .filter(|w| w.status != ItemStatus::Rejected)
                .map(|w| &w.refund.merchandise),
        )?;
        if let Some(s) = session.as_mut() {
            s.set_refund_total(merchandise_total.amount());
        }
        let facts: Vec<fraud::ItemFacts<'_>> = works
            .iter()
            .map(|w| fraud::ItemFacts {
                line: w.line,
                quantity: w.item.quantity,
                condition: w.item.condition,
                returned_weight_grams: w.item.returned_weight_grams,
                days_elapsed: w.window.days_elapsed,
                live: w.status != ItemStatus::Rejected,
                earlier_quantity: w.earlier_quantity,
            })
            .collect();
        let mut signals =
            fraud::builtin_signals(&self.config.fraud, request, &facts, merchandise_total);
        if let Some(s) = session.as_mut() {
            match s.fraud_signals() {
                Ok(extra) => signals.extend(extra),
                Err(failure) => {
                    run.hook_failed(failure, None, "only the built-in signals count")?
                }
            }
        }
        let assessment = fraud::assess(
            &self.config.fraud,
            request.order.customer_id.as_deref(),
            signals,
        );
        run.step("fraud", || {
            format!(
                "score {} ({}) from {}",
                assessment.score,
                assessment.action.as_str(),
                assessment
                    .signals
                    .iter()
                    .map(|s| format!("{} {:+}", s.code, s.weight))
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        });
        self.fraud_reasons(&mut run, &assessment);
        if assessment.action == FraudAction::Deny {
            for work in works.iter_mut() {
                work.status = ItemStatus::Rejected;
                work.refund = ItemRefund::zero(currency);
                work.disposition = None;
                work.codes.push("fraud_deny".to_string());
            }
        }

        // 5. Settlement.
        let settlement = self.settlement(&mut run, request, &works, session.as_mut())?;

        // The request as a whole.
        let live: Vec<&ItemWork<'_>> = works
            .iter()
            .filter(|w| w.status != ItemStatus::Rejected)
            .collect();
        let any_review = live.iter().any(|w| w.status == ItemStatus::Review);
        let all_accepted = works.iter().all(|w| w.status == ItemStatus::Accepted);
        let (status, review_queue) = if assessment.action == FraudAction::Deny {
            (RequestStatus::Rejected, None)
        } else if assessment.action == FraudAction::Review {
            (
                RequestStatus::Review,
                Some(self.config.fraud.review_queue.clone()),
            )
        } else if any_review || run.policy_failed {
            (
                RequestStatus::Review,
                Some(self.config.review_queue.clone()),
            )
        } else if all_accepted {
            (RequestStatus::Accepted, None)
        } else if live.is_empty() {
            (RequestStatus::Rejected, None)
        } else {
            (RequestStatus::PartiallyAccepted, None)
        };
        let zero = amounts::zero(currency);
        let mut totals = RefundTotals {
            merchandise: zero,
            restocking_fees: zero,
            return_shipping_fees: zero,
            total: zero,
        };
        for work in &works {
            totals.merchandise = totals.merchandise.checked_add(work.refund.merchandise)?;
            totals.restocking_fees = totals
                .restocking_fees
                .checked_add(work.refund.restocking_fee)?;
            totals.return_shipping_fees = totals
                .return_shipping_fees
                .checked_add(work.refund.return_shipping_fee)?;
            totals.total = totals.total.checked_add(work.refund.total)?;
        }
        let settlement = Settlement {
            amount: if settlement.method == SettlementMethod::Exchange {
                zero
            } else {
                totals.total
            },
            ..settlement
        };
        run.step("outcome", || {
            format!(
                "{status:?}: refund {} by {}",
                settlement.amount,
                settlement.method.as_str()
            )
        });
        if let (Some(trace), Some(s)) = (run.trace.as_mut(), session.as_mut()) {
            trace.policy_output = s.take_output();
        }
        // Not after a failed hook: a script engine that panicked may have left a map
        // locked (poisoned), and taking such a map apart would panic too.
        if let Some(s) = session.filter(|_| !run.policy_failed) {
            s.recycle();
        }
        let items = works
            .into_iter()
            .map(|w| ItemOutcome {
                line_id: w.item.line_id.clone(),
                sku: w.line.sku.clone(),
                quantity: w.item.quantity,
                status: w.status,
                reason_codes: w.codes,
                window: w.window,
                refund: w.refund,
                disposition: w.disposition,
            })
            .collect();
        Ok(Decision {
            outcome: ReturnOutcome {
                status,
                review_queue,
                items,
                refund: totals,
                settlement,
                fraud: assessment,
            },
            reasons: run.reasons,
            trace: run.trace,
        })
    }

    /// Checks the request and computes what every line was paid; also returns the index
    /// of every line id.
    fn validate<'r>(
        &self,
        request: &'r ReturnRequest,
    ) -> Result<(Vec<LinePayment>, LineIndex<'r>), Error> {
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
            let bought = order.lines.get(line_index).map_or(0, |l| l.quantity);
            let Some(total) = requested.get_mut(line_index) else {
                return Err(Error::invalid(at("line_id"), "unknown line"));
            };
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
            if !self.reason_codes.contains_key(item.reason.as_str()) {
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
            }
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
        Ok((line_payments(order)?, seen))
    }

    /// The window of one item and whether the request is inside the statutory minimum.
    fn window(
        &self,
        request: &ReturnRequest,
        line: &OrderLine,
        length: WindowLength,
        request_date: chrono::NaiveDate,
    ) -> Result<(ReturnWindow, bool), Error> {
        let (basis, at) = window_basis(&request.order, line);
        let basis_date = self.zone.local_date(at);
        let days_elapsed = request_date.signed_duration_since(basis_date).num_days();
        let extend = self.config.window.business_day_extension;
        let overflow = || Error::overflow("return window");
        let window = match length.days() {
            None => ReturnWindow {
                basis,
                basis_date,
                days: None,
                last_day: None,
                deadline: None,
                extended: false,
                days_elapsed,
                inside: true,
            },
            Some(days) => {
                let (last, extended) =
                    window::last_day(basis_date, days, extend).ok_or_else(overflow)?;
                ReturnWindow {
                    basis,
                    basis_date,
                    days: Some(days),
                    last_day: Some(last),
                    deadline: self.zone.end_of_day(last),
                    extended,
                    days_elapsed,
                    inside: request_date <= last,
                }
            }
        };
        let inside_statutory = match self.config.window.statutory_minimum_days {
            Some(minimum) => {
                let (last, _) =
                    window::last_day(basis_date, minimum, extend).ok_or_else(overflow)?;
                request_date <= last
            }
            None => false,
        };
        Ok((window, inside_statutory))
    }

    /// Runs the built-in validators on one item and sets its status.
    fn validators(
        &self,
        run: &mut Run<'_>,
        work: &mut ItemWork<'_>,
        requested_through: u32,
    ) -> Result<(), Error> {
        let v = &self.config.validators;
        let line = work.line;
        let item = work.item;
        let mut failures: Vec<(Reason, ValidatorAction)> = Vec::new();
        let w = work.window.clone();
        let zone = &self.config.time_zone;
        match (w.inside, w.last_day, w.days) {
            (true, Some(last), Some(days)) => run.item_reason(
                work,
                Reason::builtin(
                    "within_return_window",
                    "return_window",
                    window_message(&w, days, last, zone, " ends ", ""),
                ),
            ),
            (false, Some(last), Some(days)) => failures.push((
                Reason::builtin(
                    "outside_return_window",
                    "return_window",
                    window_message(
                        &w,
                        days,
                        last,
                        zone,
                        " ended ",
                        if w.extended {
                            ", already moved off a weekend"
                        } else {
                            ""
                        },
                    ),
                ),
                self.config.window.action,
            )),
            _ => {}
        }
        if w.basis != WindowBasis::Delivered {
            failures.push((
                Reason::builtin(
                    "not_yet_delivered",
                    "not_delivered",
                    format!("line {} has no delivery date", line.line_id),
                ),
                v.not_delivered,
            ));
        }
        if line.final_sale {
            failures.push((
                Reason::builtin(
                    "final_sale",
                    "final_sale",
                    format!("line {} was sold as final sale", line.line_id),
                ),
                v.final_sale,
            ));
        }
        if line.gift_card {
            failures.push((
                Reason::builtin(
                    "gift_card_not_returnable",
                    "gift_card",
                    format!("line {} is a gift card", line.line_id),
                ),
                v.gift_card,
            ));
        }
        let delivered = if w.basis == WindowBasis::Delivered {
            line.delivered_quantity.unwrap_or(line.quantity)
        } else {
            line.quantity
        };
        if requested_through > delivered {
            failures.push((
                Reason::builtin(
                    "exceeds_returnable_quantity",
                    "returnable_quantity",
                    format!(
                        "{} units requested, but only {} of line {} can still be returned ({} delivered, {} returned before)",
                        item.quantity,
                        delivered.saturating_sub(requested_through.saturating_sub(item.quantity)),
                        line.line_id,
                        delivered,
                        work.earlier_quantity
                    ),
                ),
                v.returnable_quantity,
            ));
        }
        if item.condition != Condition::New && v.hygiene_categories.contains(&line.category) {
            failures.push((
                Reason::builtin(
                    "hygiene_opened",
                    "hygiene",
                    format!(
                        "{} cannot be returned once {}",
                        line.category,
                        item.condition.as_str()
                    ),
                ),
                v.hygiene,
            ));
        }
        if !work.merchant_fault {
            if let Some(action) = v.conditions.get(&item.condition) {
                failures.push((
                    Reason::builtin(
                        format!("condition_{}", item.condition.as_str()),
                        "condition",
                        format!(
                            "returned {} (reason `{}`)",
                            item.condition.as_str(),
                            item.reason
                        ),
                    ),
                    *action,
                ));
            }
        }
        let mut status = ItemStatus::Accepted;
        for (reason, action) in failures {
            match action {
                ValidatorAction::Off => continue,
                ValidatorAction::Review => status = ItemStatus::Review,
                ValidatorAction::Reject => {
                    if status == ItemStatus::Accepted {
                        status = ItemStatus::Rejected;
                    }
                }
            }
            run.item_reason(work, reason);
        }
        work.status = status;
        Ok(())
    }

    /// What the units of one item were paid, capped at what is left of the line.
    fn merchandise(
        &self,
        run: &mut Run<'_>,
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

    /// Shares the return-shipping fee over the items that pay it.
    fn shipping_fees(&self, works: &mut [ItemWork<'_>], currency: Currency) -> Result<(), Error> {
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

    fn builtin_disposition(&self, work: &ItemWork<'_>) -> Disposition {
        let d = &self.config.disposition;
        let hygiene = self
            .config
            .validators
            .hygiene_categories
            .contains(&work.line.category);
        if hygiene && work.item.condition != Condition::New {
            return Disposition::Dispose;
        }
        d.by_reason
            .get(&work.item.reason)
            .or_else(|| d.by_category.get(&work.line.category))
            .or_else(|| d.by_condition.get(&work.item.condition))
            .copied()
            .unwrap_or(Disposition::Liquidate)
    }

    fn fraud_reasons(&self, run: &mut Run<'_>, assessment: &FraudAssessment) {
        let listed = |signals: &[FraudSignal]| {
            signals
                .iter()
                .map(|s| format!("{} {:+}", s.code, s.weight))
                .collect::<Vec<_>>()
                .join(", ")
        };
        match assessment.list {
            Some(CustomerList::Allow) => run.reasons.push(Reason::builtin(
                "customer_allow_listed",
                "fraud_lists",
                format!(
                    "the customer is on the allow list (score {} ignored)",
                    assessment.score
                ),
            )),
            Some(CustomerList::Block) => run.reasons.push(Reason::builtin(
                "customer_block_listed",
                "fraud_lists",
                "the customer is on the block list; the whole request is rejected",
            )),
            None => {}
        }
        if assessment.list.is_some() {
            return;
        }
        let fraud = &self.config.fraud;
        match assessment.action {
            FraudAction::Approve => {}
            FraudAction::Review => run.reasons.push(Reason::builtin(
                "fraud_review",
                "fraud_score",
                format!(
                    "fraud score {} is at or above the review threshold {} ({}); queue `{}`",
                    assessment.score,
                    fraud.review_threshold,
                    listed(&assessment.signals),
                    fraud.review_queue
                ),
            )),
            FraudAction::Deny => run.reasons.push(Reason::builtin(
                "fraud_deny",
                "fraud_score",
                format!(
                    "fraud score {} is at or above the deny threshold {} ({}); the whole request is rejected",
                    assessment.score,
                    fraud.deny_threshold,
                    listed(&assessment.signals)
                ),
            )),
        }
    }

    fn settlement(
        &self,
        run: &mut Run<'_>,
        request: &ReturnRequest,
        works: &[ItemWork<'_>],
        session: Option<&mut Session<'_>>,
    ) -> Result<Settlement, Error> {
        let config = &self.config.settlement;
        let mut method = request.requested_settlement;
        if method == SettlementMethod::Exchange && !config.allow_exchange {
            method = SettlementMethod::OriginalPayment;
            run.reasons.push(Reason::builtin(
                "exchange_not_offered",
                "settlement",
                "exchanges are not offered; the refund goes to the original payment method",
            ));
        }
        if let Some(after) = config.store_credit_after_days {
            let elapsed = works
                .iter()
                .filter(|w| w.status != ItemStatus::Rejected)
                .map(|w| w.window.days_elapsed)
                .min();
            if let Some(elapsed) = elapsed {
                if method == SettlementMethod::OriginalPayment && elapsed > i64::from(after) {
                    method = SettlementMethod::StoreCredit;
                    run.reasons.push(Reason::builtin(
                        "store_credit_after_days",
                        "settlement",
                        format!("requested {elapsed} days after delivery, more than {after}: refunded as store credit"),
                    ));
                }
            }
        }
        if let Some(s) = session {
            match s.settlement() {
                Ok(Some((chosen, source))) => {
                    let exchange_ready = request.items.iter().all(|i| i.exchange_sku.is_some());
                    if chosen == SettlementMethod::Exchange && !exchange_ready {
                        let failure = Box::new(HookFailure {
                            diagnostic: crate::Diagnostic::error(
                                "policy.bad_return",
                                "hook `settlement` returned \"exchange\", but not every item has an exchange_sku",
                            )
                            .with_hook("settlement"),
                            source,
                        });
                        run.hook_failed(failure, None, "the built-in settlement applies")?;
                    } else if chosen != method {
                        run.reasons.push(Reason::from_policy(
                            "policy_settlement",
                            format!(
                                "the policy settles by {} instead of {}",
                                chosen.as_str(),
                                method.as_str()
                            ),
                            source,
                        ));
                        method = chosen;
                    }
                }
                Ok(None) => {}
                Err(failure) => {
                    run.hook_failed(failure, None, "the built-in settlement applies")?
                }
            }
        }
        let replacements = if method == SettlementMethod::Exchange {
            works
                .iter()
                .filter(|w| w.status != ItemStatus::Rejected)
                .filter_map(|w| {
                    w.item.exchange_sku.as_ref().map(|sku| Replacement {
                        line_id: w.item.line_id.clone(),
                        sku: sku.clone(),
                        quantity: w.item.quantity,
                    })
                })
                .collect()
        } else {
            Vec::new()
        };
        Ok(Settlement {
            method,
            amount: zero(request.order.currency),
            replacements,
        })
    }
}

/// The date a line's window counts from: its delivery, else the order's; then shipment;
/// then placement.
fn window_basis(order: &Order, line: &OrderLine) -> (WindowBasis, DateTime<Utc>) {
    if let Some(at) = line.delivered_at.or(order.delivered_at) {
        (WindowBasis::Delivered, at)
    } else if let Some(at) = line.shipped_at.or(order.shipped_at) {
        (WindowBasis::Shipped, at)
    } else {
        (WindowBasis::Placed, order.placed_at)
    }
}

/// `requested {elapsed} days after {basis} on {date}; the {days}-day window{verb}at the
/// end of {last} ({zone}){tail}`, written piece by piece: it is made for every item, and
/// the formatting machinery (dates especially) cost more than the rest of the validators.
fn window_message(
    w: &ReturnWindow,
    days: u32,
    last: chrono::NaiveDate,
    zone: &str,
    verb: &str,
    tail: &str,
) -> String {
    let mut s = String::with_capacity(128);
    s.push_str("requested ");
    push_int(&mut s, i128::from(w.days_elapsed));
    s.push_str(" days after ");
    s.push_str(basis_word(w.basis));
    s.push_str(" on ");
    push_date(&mut s, w.basis_date);
    s.push_str("; the ");
    push_int(&mut s, i128::from(days));
    s.push_str("-day window");
    s.push_str(verb);
    s.push_str("at the end of ");
    push_date(&mut s, last);
    s.push_str(" (");
    s.push_str(zone);
    s.push(')');
    s.push_str(tail);
    s
}

/// Appends an integer as `Display` writes it.
fn push_int(s: &mut String, value: i128) {
    if value < 0 {
        s.push('-');
    }
    let mut digits = [0u8; 40];
    let mut n = value.unsigned_abs();
    let mut at = digits.len();
    loop {
        at -= 1;
        if let Some(d) = digits.get_mut(at) {
            // `n % 10` is below 10.
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for &d in digits.get(at..).unwrap_or(&[]) {
        s.push(char::from(d));
    }
}

/// Appends a date as `NaiveDate`'s `Display` writes it (`YYYY-MM-DD`; other years
/// through `Display` itself).
fn push_date(s: &mut String, date: chrono::NaiveDate) {
    use chrono::Datelike;
    let year = date.year();
    if !(0..=9999).contains(&year) {
        s.push_str(&date.to_string());
        return;
    }
    let two = |s: &mut String, n: u32| {
        s.push(char::from(b'0' + (n / 10 % 10) as u8));
        s.push(char::from(b'0' + (n % 10) as u8));
    };
    // `year` is in 0..=9999 here.
    let year = year.unsigned_abs();
    two(s, year / 100);
    two(s, year % 100);
    s.push('-');
    two(s, date.month());
    s.push('-');
    two(s, date.day());
}

fn basis_word(basis: WindowBasis) -> &'static str {
    match basis {
        WindowBasis::Delivered => "delivery",
        WindowBasis::Shipped => "shipment (no delivery date)",
        WindowBasis::Placed => "the order (no delivery or shipment date)",
    }
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

#[cfg(test)]
mod message_tests {
    use super::{push_date, push_int};
    use chrono::NaiveDate;

    #[test]
    fn integers_and_dates_are_written_like_display() {
        for n in [
            0_i128,
            7,
            -7,
            10,
            99,
            100,
            -1000,
            4_294_967_295,
            i128::from(i64::MIN),
        ] {
            let mut s = String::new();
            push_int(&mut s, n);
            assert_eq!(s, n.to_string());
        }
        for (y, m, d) in [
            (2025, 3, 30),
            (1, 1, 1),
            (0, 12, 31),
            (9999, 12, 31),
            (10000, 1, 1),
            (-5, 6, 7),
        ] {
            let date = NaiveDate::from_ymd_opt(y, m, d).unwrap();
            let mut s = String::new();
            push_date(&mut s, date);
            assert_eq!(s, date.to_string());
        }
    }
}
