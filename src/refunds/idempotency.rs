//! Idempotency: a request whose key was used before is a replay (the same fingerprint:
//! the earlier plan, unchanged) or a conflict (another fingerprint: an error). Nothing is
//! computed twice, and replays never call the policy.

use super::types::{RefundOutcome, RefundRequest};
use crate::{Decision, Error, Reason, Trace};

/// The decision for a retry of an earlier refund, `None` for a new key; `fingerprint` is
/// the request's. The trace, if any, goes into the replay's decision.
pub(super) fn replay(
    request: &RefundRequest,
    fingerprint: &str,
    trace: &mut Option<Trace>,
) -> Result<Option<Decision<RefundOutcome>>, Error> {
    let refund = &request.refund;
    let Some(earlier) = request
        .earlier_refunds
        .iter()
        .find(|e| e.idempotency_key == refund.idempotency_key)
    else {
        return Ok(None);
    };
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
    decision.trace = trace.take();
    Ok(Some(decision))
}
