//! The review-routing stage: for a request that goes to review, the queue it waits in,
//! its priority and the expected handling time, from the configuration
//! ([`ReviewRoutingConfig`](super::ReviewRoutingConfig)), then the `review_route` hook.

use super::hooks::{read_review_route, Facts, RequestView, REVIEW_ROUTE};
use super::pipeline::{ItemWork, Run};
use super::types::ReviewRoute;
use super::ReturnsEngine;
use crate::policy::session::{Answer, Change, Fallback, HookSession};
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
        let (route, reason) = match answer {
            Answer::Value(chosen) => {
                let route = ReviewRoute {
                    queue: chosen.queue.unwrap_or_else(|| configured.queue.clone()),
                    priority: chosen.priority.unwrap_or(configured.priority),
                    expected_hours: chosen.expected_hours.unwrap_or(configured.expected_hours),
                };
                let (from, to) = (route_text(&configured), route_text(&route));
                let change = Change::new("review_route", "the review route", &from, &to);
                let change = match &chosen.reason {
                    Some(why) => change.note(why),
                    None => change,
                };
                match hooks.changed(REVIEW_ROUTE, change) {
                    Some(reason) => (route, reason),
                    None => (route, self.configured_reason(&configured, queue)),
                }
            }
            answer => {
                if let Answer::Failed(reason) = answer {
                    run.hook_failed(reason);
                }
                let reason = self.configured_reason(&configured, queue);
                (configured, reason)
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

    /// The built-in `review_route` reason for the configured `route` of `queue`.
    fn configured_reason(&self, route: &ReviewRoute, queue: &str) -> Reason {
        let origin = if self.config.review_routing.queues.contains_key(queue) {
            format!("`review_routing.queues.{queue}`")
        } else {
            "`review_routing.default`".to_string()
        };
        let message = format!(
            "the review waits in queue `{}` with priority {}, to be handled within {} hours ({origin})",
            route.queue,
            route.priority.as_str(),
            route.expected_hours,
        );
        Reason::builtin("review_route", "review_routing", message)
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

/// A review route as messages write it: ``queue `q`, priority high, within 8 hours``.
fn route_text(route: &ReviewRoute) -> String {
    format!(
        "queue `{}`, priority {}, within {} hours",
        route.queue,
        route.priority.as_str(),
        route.expected_hours
    )
}
