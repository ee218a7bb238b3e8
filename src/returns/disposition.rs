//! The disposition stage: what happens to the goods of every item that is not rejected,
//! from the configuration, then the `disposition` hook.

use super::hooks::{read_disposition, Facts, DISPOSITION};
use super::pipeline::{ItemHook, ItemWork, Run};
use super::types::{Condition, Disposition};
use super::ReturnsEngine;
use crate::policy::session::{Answer, Change, HookSession};
use crate::Error;

impl ReturnsEngine {
    /// Sets the disposition of every item that is not rejected.
    pub(crate) fn dispositions(
        &self,
        run: &mut Run,
        hooks: &mut HookSession<'_>,
        facts: &Facts<'_>,
        works: &mut [ItemWork<'_>],
    ) -> Result<(), Error> {
        let ask = ItemHook {
            hook: DISPOSITION,
            fallback: "the configured disposition applies; the request goes to review",
            read: read_disposition,
        };
        run.each_item(hooks, facts, works, ask, |run, hooks, work, answer| {
            let builtin = self.builtin_disposition(work);
            let from_policy = matches!(answer, Answer::Value(_));
            let disposition = run.value_or(answer, || builtin);
            work.disposition = Some(disposition);
            if from_policy {
                let what = format!("the disposition of line {}", work.line.line_id);
                let (from, to) = (builtin.as_str(), disposition.as_str());
                let change = Change::new("disposition_from_policy", &what, from, to);
                if let Some(reason) = hooks.changed(DISPOSITION, change) {
                    run.item_reason(work, reason);
                }
            }
            Ok(())
        })
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
}
