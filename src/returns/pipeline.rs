//! One decision, as the list of its stages, and the state the stages share.

use super::hooks::Facts;
use super::hooks::RequestView;
use super::types::{
    Disposition, FraudAction, FraudAssessment, ItemOutcome, ItemRefund, ItemStatus, OrderLine,
    RequestStatus, ReturnItem, ReturnOutcome, ReturnRequest, ReturnWindow,
};
use super::ReturnsEngine;
use crate::policy::session::{Answer, Fallback, HookId, HookSession};
use crate::policy::DecideOptions;
use crate::{Decision, Diagnostic, Error, Reason, Trace};
use rhai::Dynamic;

/// What the engine has worked out about one item so far. Hooks see it through
/// [`ItemView`](super::hooks::ItemView).
pub(crate) struct ItemWork<'a> {
    pub(crate) item: &'a ReturnItem,
    pub(crate) line_index: usize,
    pub(crate) line: &'a OrderLine,
    pub(crate) window: ReturnWindow,
    pub(crate) inside_statutory: bool,
    pub(crate) status: ItemStatus,
    pub(crate) codes: Vec<String>,
    pub(crate) start_unit: u32,
    pub(crate) end_unit: u32,
    pub(crate) earlier_quantity: u32,
    pub(crate) merchant_fault: bool,
    pub(crate) refund: ItemRefund,
    /// Whether `refund` holds what the units were paid (set by the refund stage).
    pub(crate) priced: bool,
    pub(crate) disposition: Option<Disposition>,
}

/// Reasons, trace, hook-failure bookkeeping and the request-wide figures of one decision.
pub(crate) struct Run {
    pub(crate) reasons: Vec<Reason>,
    pub(crate) trace: Option<Trace>,
    pub(crate) policy_failed: bool,
    /// The merchandise refund of the items not rejected, once the fraud stage has summed
    /// it (hooks see it as `request.refund_total`).
    pub(crate) refund_total: Option<rust_decimal::Decimal>,
}

impl Run {
    pub(crate) fn step(&mut self, stage: &str, message: impl FnOnce() -> String) {
        if let Some(trace) = self.trace.as_mut() {
            trace.step(stage, message());
        }
    }

    pub(crate) fn item_reason(&mut self, work: &mut ItemWork<'_>, reason: Reason) {
        work.codes.push(reason.code.to_string());
        self.reasons.push(reason.about(work.item.line_id.clone()));
    }

    /// A hook failed and the decision falls back: the request goes to review, with the
    /// `policy_error` reason when there is one to record.
    pub(crate) fn hook_failed(&mut self, reason: Option<Reason>) {
        self.reasons.extend(reason);
        self.policy_failed = true;
    }

    /// The hook's value, or else `builtin()` (recording the failure when the hook failed).
    pub(crate) fn value_or<T>(&mut self, answer: Answer<T>, builtin: impl FnOnce() -> T) -> T {
        match answer {
            Answer::Value(value) => value,
            Answer::Default => builtin(),
            Answer::Failed(reason) => {
                self.hook_failed(reason);
                builtin()
            }
        }
    }

    /// Asks a per-item hook about every item that is not rejected, in order, and hands
    /// each answer to `apply`, which also sees the session (for the hook's source). When
    /// the policy does not define the hook (or there is no policy), no view of the
    /// request or the item is made: every such item gets [`Answer::Default`].
    pub(crate) fn each_item<'r, T>(
        &mut self,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'_>,
        works: &mut [ItemWork<'r>],
        ask: ItemHook<impl Fn(&Dynamic) -> Result<T, Diagnostic>>,
        mut apply: impl FnMut(
            &mut Run,
            &HookSession<'_>,
            &mut ItemWork<'r>,
            Answer<T>,
        ) -> Result<(), Error>,
    ) -> Result<(), Error> {
        let defined = hooks.defines(ask.hook);
        for index in 0..works.len() {
            let answer = {
                let Some(work) = works.get(index) else {
                    continue;
                };
                if work.status == ItemStatus::Rejected {
                    continue;
                }
                if defined {
                    let request = RequestView::new(facts, works, None);
                    let item = request.item(index);
                    let fallback = Fallback::new(ask.fallback).about(&work.line.line_id);
                    hooks.call(ask.hook, [item.arg(), request.arg()], fallback, &ask.read)?
                } else {
                    Answer::Default
                }
            };
            if let Some(work) = works.get_mut(index) {
                apply(self, hooks, work, answer)?;
            }
        }
        Ok(())
    }
}

/// A hook asked about each item ([`Run::each_item`]): which, what the engine does if it
/// fails (for the `policy_error` reason), and how its result is read.
pub(crate) struct ItemHook<R> {
    pub(crate) hook: HookId,
    pub(crate) fallback: &'static str,
    pub(crate) read: R,
}

impl ReturnsEngine {
    /// Decides a request: the stages in order.
    pub(super) fn run_pipeline(
        &self,
        request: &ReturnRequest,
        options: &DecideOptions,
    ) -> Result<Decision<ReturnOutcome>, Error> {
        let currency = request.order.currency;
        let checked = self.validate(request)?;
        let facts = Facts {
            engine: self,
            request,
            lines: &checked.lines,
            request_date: self.zone.local_date(request.now),
        };
        let mut run = Run {
            reasons: Vec::with_capacity(request.items.len() + 4),
            trace: options.trace.then(Trace::default),
            policy_failed: false,
            refund_total: None,
        };
        let mut hooks = HookSession::new(self.hooks.as_ref(), options);

        let mut works = self.eligibility(&mut run, &mut hooks, &facts, &checked)?;
        self.merchandise(&mut run, &checked, &mut works, currency)?;
        self.restocking_fees(&mut run, &mut hooks, &facts, &mut works)?;
        self.shipping_fees(&mut run, &mut hooks, &facts, &mut works, currency)?;
        super::refund::item_totals(&mut works)?;
        self.dispositions(&mut run, &mut hooks, &facts, &mut works)?;
        let assessment = self.fraud(&mut run, &mut hooks, &facts, &mut works)?;
        let settlement = self.settlement(&mut run, &mut hooks, &facts, &works)?;

        let (status, review_queue) = self.request_status(&works, &assessment, &run);
        let review = match &review_queue {
            Some(queue) => Some(self.review_route(&mut run, &mut hooks, &facts, &works, queue)?),
            None => None,
        };
        let review_queue = review.as_ref().map(|r| r.queue.clone());
        let refund = super::refund::totals(&works, currency)?;
        let settlement = super::settlement::paid(settlement, &refund);
        run.step("outcome", || {
            format!(
                "{}: refund {} by {}",
                status.as_str(),
                settlement.amount,
                settlement.method.as_str()
            )
        });
        if let Some(trace) = run.trace.as_mut() {
            trace.policy_output = hooks.take_output();
        }
        let items = works.into_iter().map(ItemWork::outcome).collect();
        Ok(Decision {
            outcome: ReturnOutcome {
                status,
                review_queue,
                review,
                items,
                refund,
                settlement,
                fraud: assessment,
            },
            reasons: run.reasons,
            trace: run.trace,
        })
    }

    /// The status of the request as a whole, and the queue it waits in.
    fn request_status(
        &self,
        works: &[ItemWork<'_>],
        assessment: &FraudAssessment,
        run: &Run,
    ) -> (RequestStatus, Option<String>) {
        let mut live = works.iter().filter(|w| w.status != ItemStatus::Rejected);
        let any_review = live.clone().any(|w| w.status == ItemStatus::Review);
        let all_accepted = works.iter().all(|w| w.status == ItemStatus::Accepted);
        if assessment.action == FraudAction::Deny {
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
        } else if live.next().is_none() {
            (RequestStatus::Rejected, None)
        } else {
            (RequestStatus::PartiallyAccepted, None)
        }
    }
}

impl ItemWork<'_> {
    fn outcome(self) -> ItemOutcome {
        ItemOutcome {
            line_id: self.item.line_id.clone(),
            sku: self.line.sku.clone(),
            quantity: self.item.quantity,
            status: self.status,
            reason_codes: self.codes,
            window: self.window,
            refund: self.refund,
            disposition: self.disposition,
        }
    }
}
