//! One refund decision, as the list of its stages (each in a file of its own).

use super::config::RefundsConfig;
use super::fingerprint::fingerprint;
use super::types::{RefundOutcome, RefundPlan, RefundRequest};
use super::{fx, idempotency, ledger, payout, proration, reasons, settings, validate};
use crate::policy::session::{BoundHooks, HookSession};
use crate::policy::DecideOptions;
use crate::{Decision, Error, Trace};

/// Plans one refund (see [`RefundsEngine::decide_with`](super::RefundsEngine::decide_with)).
pub(super) fn decide_with(
    config: &RefundsConfig,
    hooks: Option<&BoundHooks>,
    request: &RefundRequest,
    options: &DecideOptions,
) -> Result<Decision<RefundOutcome>, Error> {
    let refund = &request.refund;
    let mut trace = options.trace.then(Trace::default);

    validate::validate_key(&refund.idempotency_key)?;
    let fingerprint = fingerprint(&request.order.order_id, refund);
    if let Some(replay) = idempotency::replay(request, &fingerprint, &mut trace)? {
        return Ok(replay);
    }
    let state = validate::order_state(request, config)?;
    let proration = proration::prorate(request, &state, config)?;
    step(&mut trace, "proration", || proration.describe(&state));

    let mut session = HookSession::new(hooks, options);
    let mut policy_reasons = Vec::new();
    let settings = settings::choose(
        &mut session,
        request,
        config,
        &state,
        &proration,
        &mut policy_reasons,
    )?;
    let fx = fx::fx(request, &state, &proration, &settings, config)?;
    let settlement = request.order.settlement_currency;
    let payout = payout::pay(
        fx.refund_amount,
        refund.method,
        settings.minimum,
        settlement,
        config,
    )?;
    let ledger = ledger::postings(&proration, &fx.details, &payout, refund.method, config)?;
    step(&mut trace, "fx", || fx.details.describe());

    let mut reasons = reasons::explain(&proration, &state, &fx.details, &payout, refund.method);
    reasons.append(&mut policy_reasons);
    if let Some(trace) = trace.as_mut() {
        trace.policy_output.extend(session.take_output());
    }
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
        amount: payout.paid,
        cash_rounding: payout.cash_rounding,
        fee: payout.fee,
        fx: fx.details,
        ledger,
    };
    let outcome = RefundOutcome {
        replay: false,
        plan,
    };
    Ok(Decision {
        outcome,
        reasons,
        trace,
    })
}

/// Records a trace step, when tracing (the text is only built then).
fn step(trace: &mut Option<Trace>, stage: &str, text: impl FnOnce() -> String) {
    if let Some(trace) = trace.as_mut() {
        trace.step(stage, text());
    }
}
