//! The review-routing stage: for a request that goes to review, the queue it waits in,
//! its priority and the expected handling time, from the configuration
//! ([`ReviewRoutingConfig`](super::ReviewRoutingConfig)), then the `review_route` hook.

use super::hooks::{read_review_route, Facts, RequestView, REVIEW_ROUTE};
use super::pipeline::{ItemWork, Run};
use super::types::ReviewRoute;
use super::ReturnsEngine;
use crate::policy::session::{Answer, Fallback, HookSession};
use crate::{Error, Reason};

impl ReturnsEngine {
    /// The route of a request that goes to review in the configured `queue`, with the
    /// `review_route` reason that explains it.
    pub(crate) fn review_route(
        &self,
        run: &mut Run,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'_>,
        works: &[ItemWork<'_>],
        queue: &str,
    ) -> Result<ReviewRoute, Error> {
        let configured = self.configured_route(queue);
        let answer = {
            let view = RequestView::new(facts, works, run.refund_total).in_review(queue);
            let fallback = Fallback::new("the configured review route applies");
            hooks.call(REVIEW_ROUTE, [view.arg()], fallback, read_review_route)?
        };
        let source = hooks.source(REVIEW_ROUTE);
        let (route, reason) = match (answer, source) {
            (Answer::Value(chosen), Some(source)) => {
                let route = ReviewRoute {
                    queue: chosen.queue.unwrap_or_else(|| configured.queue.clone()),
                    priority: chosen.priority.unwrap_or(configured.priority),
                    expected_hours: chosen.expected_hours.unwrap_or(configured.expected_hours),
                };
                let why = chosen
                    .reason
                    .map_or_else(String::new, |reason| format!(": {reason}"));
                let message = format!(
                    "the policy routes the review to queue `{}` with priority {}, to be handled within {} hours{why}",
                    route.queue,
                    route.priority.as_str(),
                    route.expected_hours,
                );
                (route, Reason::from_policy("review_route", message, source))
            }
            (answer, _) => {
                if let Answer::Failed(reason) = answer {
                    run.hook_failed(reason);
                }
                let origin = if self.config.review_routing.queues.contains_key(queue) {
                    format!("`review_routing.queues.{queue}`")
                } else {
                    "`review_routing.default`".to_string()
                };
                let message = format!(
                    "the review waits in queue `{}` with priority {}, to be handled within {} hours ({origin})",
                    configured.queue,
                    configured.priority.as_str(),
                    configured.expected_hours,
                );
                (
                    configured,
                    Reason::builtin("review_route", "review_routing", message),
                )
            }
        };
        run.step("review_route", || {
            format!(
                "queue {}, priority {}, {} hours",
                route.queue,
                route.priority.as_str(),
                route.expected_hours
            )
        });
        run.reasons.push(reason);
        Ok(route)
    }

    /// The configured route of `queue`: its entry in `review_routing.queues`, else the
    /// default.
    fn configured_route(&self, queue: &str) -> ReviewRoute {
        let routing = &self.config.review_routing;
        let target = routing.queues.get(queue).unwrap_or(&routing.default);
        ReviewRoute {
            queue: queue.to_string(),
            priority: target.priority,
            expected_hours: target.expected_hours,
        }
    }
}
