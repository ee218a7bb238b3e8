//! One routing decision, as the list of its stages.

use super::hooks::RANK;
use super::plan::{build_needs, Candidate, Problem};
use super::{eligibility, outcome, rules, search, validate};
use super::{RoutingConfig, RoutingOutcome, RoutingRequest};
use crate::policy::session::{BoundHooks, HookSession};
use crate::policy::DecideOptions;
use crate::{Decision, Error, Trace};

/// Decides `request` under `config` and the bound policy, if any (see
/// [`RoutingEngine::decide_with`](super::RoutingEngine::decide_with)).
pub(super) fn decide_with(
    config: &RoutingConfig,
    hooks: Option<&BoundHooks>,
    request: &RoutingRequest,
    options: &DecideOptions,
) -> Result<Decision<RoutingOutcome>, Error> {
    let index = validate::validate_request(request)?;
    let order = &request.order;
    let mut session = HookSession::new(hooks, options);
    let mut trace = options.trace.then(Trace::default);
    let mut reasons = Vec::new();
    // The `policy_error` reasons of failing hooks, listed after every other reason.
    let mut failures = Vec::new();

    let chain = rules::chain(
        &config.chain,
        order,
        &mut session,
        &mut failures,
        &mut reasons,
        trace.as_mut(),
    )?;
    let (skus, needs) = build_needs(order);
    let mut candidates = eligibility::candidates(
        request,
        &index,
        &skus,
        &needs,
        &mut session,
        &mut failures,
        &mut reasons,
        trace.as_mut(),
    )?;
    eligibility::check_preferred(order, &candidates, &mut reasons);
    let ranking = rules::check_data(
        chain,
        config.on_missing_data,
        order,
        &candidates,
        session.defines(RANK),
        trace.is_some(),
        &mut reasons,
    )?;
    // The ranks `rank` gives, for the `rank_from_policy` reason.
    let mut ranked = Vec::new();
    let mut rank =
        |c: &Candidate<'_>| rules::rank(&mut session, &mut failures, &mut ranked, c, &skus, order);
    rules::node_keys(&mut candidates, &ranking, &needs, order, &mut rank)?;
    let candidates = rules::rank_order(candidates, &ranking.chain, trace.as_mut());
    let preferred = order.preferred_node.as_deref();
    let mut problem = Problem::new(candidates, needs, skus.len(), config, ranking, preferred);

    let plan = search::from_stock(&mut problem, &mut rank, trace.as_mut(), &mut reasons)?;
    let fill = match plan {
        Some(fill) => Ok(fill),
        None => search::with_backorders(&problem, trace.as_mut()),
    };
    let outcome = match fill {
        Ok(fill) => outcome::routed(&problem, &fill, order.holder(), &mut reasons),
        Err(short) => outcome::unfillable(&problem, &short, &mut reasons),
    };
    let shipments = outcome.shipments();
    reasons.extend(rules::rank_reason(
        &session,
        &request.nodes,
        &ranked,
        shipments,
    ));
    Ok(outcome::finish(outcome, reasons, failures, session, trace))
}
