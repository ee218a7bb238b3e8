//! The disposition stage: what happens to the goods of every item that is not rejected,
//! from the configuration, then the `disposition` hook.

use super::hooks::{read_disposition, Facts, RequestView, DISPOSITION};
use super::pipeline::{ItemWork, Run};
use super::types::{Condition, Disposition, ItemStatus};
use super::ReturnsEngine;
use crate::policy::session::{Answer, Change, Fallback, HookSession};
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
        for index in 0..works.len() {
            let mut changed = None;
            let disposition = {
                let Some(work) = works.get(index) else {
                    continue;
                };
                if work.status == ItemStatus::Rejected {
                    continue;
                }
                let builtin = self.builtin_disposition(work);
                let request = RequestView::new(facts, works, None);
                let item = request.item(index);
                let fallback =
                    Fallback::new("the configured disposition applies; the request goes to review")
                        .about(&work.line.line_id);
                match hooks.call(
                    DISPOSITION,
                    [item.arg(), request.arg()],
                    fallback,
                    read_disposition,
                )? {
                    Answer::Value(disposition) => {
                        let what = format!("the disposition of line {}", work.line.line_id);
                        let (from, to) = (builtin.as_str(), disposition.as_str());
                        let change = Change::new("disposition_from_policy", &what, from, to);
                        changed = hooks.changed(DISPOSITION, change);
                        disposition
                    }
                    Answer::Default => builtin,
                    Answer::Failed(reason) => {
                        run.hook_failed(reason);
                        builtin
                    }
                }
            };
            if let Some(work) = works.get_mut(index) {
                work.disposition = Some(disposition);
                if let Some(reason) = changed {
                    run.item_reason(work, reason);
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
}
