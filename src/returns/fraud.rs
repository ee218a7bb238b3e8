//! The fraud stage: built-in fraud signals, the policy's, and the score that sums them.

use super::config::{FraudConfig, SignalConfig};
use super::hooks::{read_fraud_signals, Facts, RequestView, FRAUD_SIGNALS};
use super::pipeline::{ItemWork, Run};
use super::types::{
    Condition, CustomerList, FraudAction, FraudAssessment, FraudSignal, OrderLine, ReturnRequest,
};
use super::types::{ItemRefund, ItemStatus};
use super::ReturnsEngine;
use crate::policy::session::{Answer, Change, Fallback, HookSession};
use crate::{Error, Money, Reason};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// What the fraud signals need to know about one requested item.
pub(crate) struct ItemFacts<'a> {
    pub(crate) line: &'a OrderLine,
    pub(crate) quantity: u32,
    pub(crate) condition: Condition,
    pub(crate) returned_weight_grams: Option<u32>,
    /// Days from the window's basis date to the request.
    pub(crate) days_elapsed: i64,
    /// Whether the item is still in play (not rejected).
    pub(crate) live: bool,
    /// Units of the line returned before this request.
    pub(crate) earlier_quantity: u32,
}

fn fire(
    signals: &mut Vec<FraudSignal>,
    code: &str,
    rule: &SignalConfig,
    observed: String,
    detail: String,
) {
    signals.push(FraudSignal {
        code: code.to_string(),
        weight: rule.weight,
        observed,
        detail,
        source: "builtin".to_string(),
    });
}

/// Evaluates every enabled built-in signal. `refund_total` is the merchandise refund of
/// the items still in play.
pub(crate) fn builtin_signals(
    config: &FraudConfig,
    request: &ReturnRequest,
    items: &[ItemFacts<'_>],
    refund_total: Money,
) -> Vec<FraudSignal> {
    let mut signals = Vec::new();
    let customer = &request.customer;

    let rule = &config.serial_returner;
    if rule.enabled && customer.orders_365d > 0 {
        let rate = Decimal::from(customer.returns_365d) / Decimal::from(customer.orders_365d);
        let rate = rate.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::ToZero);
        if rate >= rule.threshold && customer.returns_365d >= config.serial_returner_min_returns {
            fire(
                &mut signals,
                "serial_returner",
                rule,
                format!(
                    "{} returns / {} orders = {}",
                    customer.returns_365d,
                    customer.orders_365d,
                    rate.normalize()
                ),
                format!(
                    "return rate over 365 days is at or above {} with at least {} returns",
                    rule.threshold, config.serial_returner_min_returns
                ),
            );
        }
    }

    let rule = &config.velocity;
    if rule.enabled && Decimal::from(customer.returns_30d) >= rule.threshold {
        fire(
            &mut signals,
            "velocity",
            rule,
            format!("{} returns in 30 days", customer.returns_30d),
            format!("at least {} returns in the last 30 days", rule.threshold),
        );
    }

    let rule = &config.high_refund_value;
    if rule.enabled && refund_total.amount() >= rule.threshold {
        fire(
            &mut signals,
            "high_refund_value",
            rule,
            refund_total.to_string(),
            format!(
                "refund of at least {} {}",
                rule.threshold,
                refund_total.currency()
            ),
        );
    }

    let rule = &config.new_account;
    if let Some(age) = customer.account_age_days {
        if rule.enabled && Decimal::from(age) < rule.threshold {
            fire(
                &mut signals,
                "new_account",
                rule,
                format!("{age} days"),
                format!("account younger than {} days", rule.threshold),
            );
        }
    }

    let rule = &config.refunds_without_return;
    if rule.enabled && Decimal::from(customer.refunds_without_return) >= rule.threshold {
        fire(
            &mut signals,
            "refunds_without_return",
            rule,
            customer.refunds_without_return.to_string(),
            format!(
                "at least {} refunds without a returned item",
                rule.threshold
            ),
        );
    }

    let rule = &config.chargebacks;
    if rule.enabled && Decimal::from(customer.chargebacks) >= rule.threshold {
        fire(
            &mut signals,
            "chargebacks",
            rule,
            customer.chargebacks.to_string(),
            format!("at least {} chargebacks", rule.threshold),
        );
    }

    let rule = &config.linked_flagged_accounts;
    if rule.enabled && Decimal::from(customer.linked_flagged_accounts) >= rule.threshold {
        fire(
            &mut signals,
            "linked_flagged_accounts",
            rule,
            customer.linked_flagged_accounts.to_string(),
            format!("at least {} linked accounts flagged", rule.threshold),
        );
    }

    let rule = &config.wardrobing;
    if rule.enabled {
        let worn = items.iter().find(|item| {
            item.live
                && matches!(item.condition, Condition::Used)
                && config.wardrobing_categories.contains(&item.line.category)
                && Decimal::from(item.days_elapsed) <= rule.threshold
        });
        if let Some(item) = worn {
            fire(
                &mut signals,
                "wardrobing",
                rule,
                format!(
                    "line {} used, returned {} days after delivery",
                    item.line.line_id, item.days_elapsed
                ),
                format!(
                    "worn {} returned within {} days",
                    item.line.category, rule.threshold
                ),
            );
        }
    }

    let rule = &config.bracketing;
    if rule.enabled {
        if let Some((product, sizes)) = bracketing(config, request, items) {
            if Decimal::from(sizes) >= rule.threshold {
                fire(
                    &mut signals,
                    "bracketing",
                    rule,
                    format!("{sizes} sizes of {product}, all but one returned"),
                    format!(
                        "at least {} sizes of one product bought, all but one returned",
                        rule.threshold
                    ),
                );
            }
        }
    }

    let rule = &config.ship_from_mismatch;
    if rule.enabled {
        if let (Some(from), Some(to)) = (&request.ship_from_country, &request.order.ship_to_country)
        {
            if !from.trim().eq_ignore_ascii_case(to.trim()) {
                fire(
                    &mut signals,
                    "ship_from_mismatch",
                    rule,
                    format!("{from} (delivered to {to})"),
                    "the return ships from a country other than the delivery country".to_string(),
                );
            }
        }
    }

    let rule = &config.weight_mismatch;
    if rule.enabled {
        let light = items.iter().filter(|item| item.live).find_map(|item| {
            let returned = item.returned_weight_grams?;
            let unit = item.line.unit_weight_grams?;
            let expected = u64::from(unit) * u64::from(item.quantity);
            if expected == 0 {
                return None;
            }
            let ratio = (Decimal::from(returned) / Decimal::from(expected))
                .round_dp_with_strategy(4, rust_decimal::RoundingStrategy::ToZero);
            (ratio <= rule.threshold).then_some((item, returned, expected, ratio))
        });
        if let Some((item, returned, expected, ratio)) = light {
            fire(
                &mut signals,
                "weight_mismatch",
                rule,
                format!(
                    "line {}: {returned} g of {expected} g expected ({})",
                    item.line.line_id,
                    ratio.normalize()
                ),
                format!(
                    "returned weight at or below {} of the expected weight",
                    rule.threshold
                ),
            );
        }
    }

    let rule = &config.heavy_discount;
    if rule.enabled {
        let heavy = items.iter().filter(|item| item.live).find_map(|item| {
            let discount = item.line.discount?;
            let gross = item.line.unit_price.amount() * Decimal::from(item.line.quantity);
            if gross.is_zero() {
                return None;
            }
            let percent = (discount.amount() * Decimal::ONE_HUNDRED / gross)
                .round_dp_with_strategy(2, rust_decimal::RoundingStrategy::ToZero);
            (percent >= rule.threshold).then_some((item, percent))
        });
        if let Some((item, percent)) = heavy {
            fire(
                &mut signals,
                "heavy_discount",
                rule,
                format!("line {}: {}% off", item.line.line_id, percent.normalize()),
                format!("bought at a discount of at least {}%", rule.threshold),
            );
        }
    }

    signals
}

/// Bracketing: among the lines of one product in at least two sizes, every line but one
/// is fully returned (counting earlier returns). Returns the product and the number of
/// sizes bought.
fn bracketing(
    config: &FraudConfig,
    request: &ReturnRequest,
    items: &[ItemFacts<'_>],
) -> Option<(String, usize)> {
    // product → (size → (bought, returned))
    let mut products: BTreeMap<&str, BTreeMap<&str, (u64, u64)>> = BTreeMap::new();
    for line in &request.order.lines {
        let Some(size) = line.attributes.get(&config.size_attribute) else {
            continue;
        };
        let product = line.product_id.as_deref().unwrap_or(&line.sku);
        let entry = products
            .entry(product)
            .or_default()
            .entry(size.as_str())
            .or_insert((0, 0));
        entry.0 += u64::from(line.quantity);
    }
    let mut counted_earlier: Vec<&str> = Vec::new();
    for item in items.iter().filter(|item| item.live) {
        let Some(size) = item.line.attributes.get(&config.size_attribute) else {
            continue;
        };
        let product = item.line.product_id.as_deref().unwrap_or(&item.line.sku);
        if let Some(entry) = products
            .get_mut(product)
            .and_then(|sizes| sizes.get_mut(size.as_str()))
        {
            entry.1 += u64::from(item.quantity);
            if !counted_earlier.contains(&item.line.line_id.as_str()) {
                entry.1 += u64::from(item.earlier_quantity);
                counted_earlier.push(&item.line.line_id);
            }
        }
    }
    products.into_iter().find_map(|(product, sizes)| {
        let count = sizes.len();
        let returned_in_full = sizes
            .values()
            .filter(|(bought, returned)| returned >= bought)
            .count();
        let any_returned_now = sizes.values().any(|(_, returned)| *returned > 0);
        (count >= 2 && any_returned_now && returned_in_full + 1 == count)
            .then(|| (product.to_string(), count))
    })
}

/// Sorts the signals heaviest first (ties by code) and scores them.
pub(crate) fn assess(
    config: &FraudConfig,
    customer_id: Option<&str>,
    mut signals: Vec<FraudSignal>,
) -> FraudAssessment {
    signals.sort_by(|a, b| b.weight.cmp(&a.weight).then_with(|| a.code.cmp(&b.code)));
    let raw: i64 = signals.iter().map(|s| i64::from(s.weight)).sum();
    let score = u32::try_from(raw.clamp(0, 100)).unwrap_or(0);
    let allowed = customer_id.is_some_and(|id| config.allow_list.iter().any(|a| a == id));
    let blocked = customer_id.is_some_and(|id| config.block_list.iter().any(|b| b == id));
    let (action, list) = if allowed {
        (FraudAction::Approve, Some(CustomerList::Allow))
    } else if blocked {
        (FraudAction::Deny, Some(CustomerList::Block))
    } else {
        (action_for(config, score), None)
    };
    FraudAssessment {
        score,
        action,
        signals,
        list,
    }
}

/// The action for a score: thresholds are inclusive.
pub(crate) fn action_for(config: &FraudConfig, score: u32) -> FraudAction {
    if score >= config.deny_threshold {
        FraudAction::Deny
    } else if score >= config.review_threshold {
        FraudAction::Review
    } else {
        FraudAction::Approve
    }
}

/// The fraud stage: the built-in signals, the `fraud_signals` hook's, the score and what
/// it does to the request.
impl ReturnsEngine {
    /// Scores the request; a `deny` rejects every item.
    pub(crate) fn fraud(
        &self,
        run: &mut Run,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'_>,
        works: &mut [ItemWork<'_>],
    ) -> Result<FraudAssessment, Error> {
        let request = facts.request;
        let currency = request.order.currency;
        let merchandise_total = Money::sum(
            currency,
            works
                .iter()
                .filter(|w| w.status != ItemStatus::Rejected)
                .map(|w| &w.refund.merchandise),
        )?;
        let items: Vec<ItemFacts<'_>> = works
            .iter()
            .map(|w| ItemFacts {
                line: w.line,
                quantity: w.item.quantity,
                condition: w.item.condition,
                returned_weight_grams: w.item.returned_weight_grams,
                days_elapsed: w.window.days_elapsed,
                live: w.status != ItemStatus::Rejected,
                earlier_quantity: w.earlier_quantity,
            })
            .collect();
        let mut signals = builtin_signals(&self.config.fraud, request, &items, merchandise_total);
        run.refund_total = Some(merchandise_total.amount());
        let view = RequestView::new(facts, works, run.refund_total);
        let fallback = Fallback::new("only the built-in signals count; the request goes to review");
        let customer = request.order.customer_id.as_deref();
        let mut builtin = None;
        match hooks.call(FRAUD_SIGNALS, [view.arg()], fallback, read_fraud_signals)? {
            Answer::Value(extra) => {
                builtin = Some(assess(&self.config.fraud, customer, signals.clone()));
                signals.extend(extra);
            }
            Answer::Default => {}
            Answer::Failed(reason) => run.hook_failed(reason),
        }
        let assessment = assess(&self.config.fraud, customer, signals);
        if let Some(builtin) = builtin {
            let (from, to) = (score_text(&builtin), score_text(&assessment));
            let change = Change::new("fraud_signals_from_policy", "the fraud score", &from, &to);
            run.reasons.extend(hooks.changed(FRAUD_SIGNALS, change));
        }
        run.step("fraud", || {
            format!(
                "score {} ({}) from {}",
                assessment.score,
                assessment.action.as_str(),
                signal_list(&assessment)
            )
        });
        self.fraud_reasons(run, &assessment);
        if assessment.action == FraudAction::Deny {
            for work in works.iter_mut() {
                work.status = ItemStatus::Rejected;
                work.refund = ItemRefund::zero(currency);
                work.disposition = None;
                work.codes.push("fraud_deny".to_string());
            }
        }
        Ok(assessment)
    }

    fn fraud_reasons(&self, run: &mut Run, assessment: &FraudAssessment) {
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
}

/// The signals of an assessment as messages write them: `serial_returner +40, x +15`.
fn signal_list(assessment: &FraudAssessment) -> String {
    assessment
        .signals
        .iter()
        .map(|s| format!("{} {:+}", s.code, s.weight))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A fraud score as messages write it: `55 (review: serial_returner +40, x +15)`.
fn score_text(assessment: &FraudAssessment) -> String {
    let signals = if assessment.signals.is_empty() {
        "no signals".to_string()
    } else {
        signal_list(assessment)
    };
    format!(
        "{} ({}: {signals})",
        assessment.score,
        assessment.action.as_str()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thresholds_are_inclusive() {
        let config = FraudConfig::default();
        assert_eq!(action_for(&config, 39), FraudAction::Approve);
        assert_eq!(action_for(&config, 40), FraudAction::Review);
        assert_eq!(action_for(&config, 69), FraudAction::Review);
        assert_eq!(action_for(&config, 70), FraudAction::Deny);
    }

    fn signal(code: &str, weight: i32) -> FraudSignal {
        FraudSignal {
            code: code.into(),
            weight,
            observed: String::new(),
            detail: String::new(),
            source: "builtin".into(),
        }
    }

    #[test]
    fn score_clamps_and_sorts_heaviest_first() {
        let config = FraudConfig::default();
        let a = assess(
            &config,
            None,
            vec![signal("b", 10), signal("a", 80), signal("c", 30)],
        );
        assert_eq!(a.score, 100);
        assert_eq!(a.action, FraudAction::Deny);
        let codes: Vec<_> = a.signals.iter().map(|s| s.code.as_str()).collect();
        assert_eq!(codes, ["a", "c", "b"]);
        let b = assess(&config, None, vec![signal("x", -30), signal("y", 10)]);
        assert_eq!(b.score, 0);
    }

    #[test]
    fn allow_wins_over_block_and_block_over_score() {
        let config = FraudConfig {
            allow_list: vec!["c1".into()],
            block_list: vec!["c1".into(), "c2".into()],
            ..FraudConfig::default()
        };
        let heavy = || vec![signal("x", 90)];
        let allowed = assess(&config, Some("c1"), heavy());
        assert_eq!(
            (allowed.action, allowed.list),
            (FraudAction::Approve, Some(CustomerList::Allow))
        );
        let blocked = assess(&config, Some("c2"), Vec::new());
        assert_eq!(
            (blocked.action, blocked.list),
            (FraudAction::Deny, Some(CustomerList::Block))
        );
    }
}
