//! The settlement stage: how the refund is paid (configuration, then the `settlement`
//! hook) and how much.

use super::hooks::{read_settlement, Facts, RequestView, SETTLEMENT};
use super::pipeline::{ItemWork, Run};
use super::refund::zero;
use super::types::{ItemStatus, RefundTotals, Replacement, Settlement, SettlementMethod};
use super::ReturnsEngine;
use crate::policy::session::{Answer, Change, Fallback, HookSession};
use crate::{Error, Reason};

impl ReturnsEngine {
    /// Chooses how the refund is paid (the amount is set once the totals are known).
    pub(crate) fn settlement(
        &self,
        run: &mut Run,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'_>,
        works: &[ItemWork<'_>],
    ) -> Result<Settlement, Error> {
        let request = facts.request;
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
        let exchange_ready = request.items.iter().all(|i| i.exchange_sku.is_some());
        let view = RequestView::new(facts, works, run.refund_total);
        let fallback = Fallback::new("the built-in settlement applies; the request goes to review");
        let answer = hooks.call(SETTLEMENT, [view.arg()], fallback, |value| {
            read_settlement(value, exchange_ready)
        })?;
        match answer {
            Answer::Value(chosen) => {
                let change = Change::new(
                    "policy_settlement",
                    "the settlement",
                    method.as_str(),
                    chosen.as_str(),
                );
                run.reasons.extend(hooks.changed(SETTLEMENT, change));
                method = chosen;
            }
            Answer::Default => {}
            Answer::Failed(reason) => run.hook_failed(reason),
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

/// The settlement with its amount: the refund total, or nothing for an exchange.
pub(crate) fn paid(settlement: Settlement, refund: &RefundTotals) -> Settlement {
    Settlement {
        amount: if settlement.method == SettlementMethod::Exchange {
            zero(refund.total.currency())
        } else {
            refund.total
        },
        ..settlement
    }
}
