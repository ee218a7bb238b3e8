//! Choosing the plan: the fewest-splits search over node sets (with the `policy` rule's
//! keys resolved lazily, only for the nodes of the sets it fills), the greedy fill, and
//! backorders when stock cannot cover the order.

use super::plan::{into_rank_order, Candidate, Fill, Problem, Scored};
use super::{Rule, SplitMode};
use crate::{Error, Reason, Trace};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Resolves the `policy` key of a candidate (calls the `rank` hook).
pub(crate) type Resolver<'r, 'a> = dyn FnMut(&Candidate<'a>) -> Result<Option<Decimal>, Error> + 'r;

/// The plan covering the order from stock: with `minimize_splits` in the chain, the
/// fewest-splits search (the reason `search_budget_exhausted` says when it ran out of
/// budget), else the greedy fill in rank order. `None` when no plan covers the order.
pub(super) fn from_stock<'a>(
    problem: &mut Problem<'a>,
    resolve: &mut Resolver<'_, 'a>,
    mut trace: Option<&mut Trace>,
    reasons: &mut Vec<Reason>,
) -> Result<Option<Fill>, Error> {
    if !problem.chain.contains(&Rule::MinimizeSplits) {
        let (fill, _) = problem.greedy();
        if !fill.complete() {
            return Ok(None);
        }
        if let Some(t) = trace {
            t.step("greedy", "filled every line in rank order");
        }
        return Ok(Some(fill));
    }
    let mut result = problem.search(trace.as_deref_mut(), resolve)?;
    if problem.lazy_position.is_some() && (result.exhausted || result.best.is_none()) {
        // The greedy fill and backorders need the full ranking: resolve every rank,
        // re-sort and search again eagerly.
        problem.resolve_all(resolve)?;
        result = problem.search(trace, resolve)?;
    }
    if result.exhausted {
        reasons.push(Reason::builtin(
            "search_budget_exhausted",
            "minimize_splits",
            format!(
                "the search evaluated its budget of {} node set(s); a greedy fill finished it, so the plan may have more shipments than the fewest possible",
                result.evaluated
            ),
        ));
    }
    Ok(result.best.map(|s| s.fill))
}

/// When stock cannot cover the order: the greedy fill with each line's shortfall
/// backordered ([`Problem::backorder`]); `Err` with the fill when some line cannot be
/// covered even so.
pub(super) fn with_backorders(
    problem: &Problem<'_>,
    trace: Option<&mut Trace>,
) -> Result<Fill, Fill> {
    let (mut fill, mut pool) = problem.greedy();
    let covered = problem.backorder(&mut fill, &mut pool);
    if let Some(t) = trace {
        t.step(
            "backorder",
            if covered {
                "stock cannot cover the order; the shortfall is backordered".to_string()
            } else {
                "stock and backorder allowances cannot cover the order".to_string()
            },
        );
    }
    if covered {
        Ok(fill)
    } else {
        Err(fill)
    }
}

impl<'a> Problem<'a> {
    /// Resolves the lazy keys of `set`'s candidates.
    fn ensure_keys(&mut self, set: &[usize], resolve: &mut Resolver<'_, 'a>) -> Result<(), Error> {
        let Some(position) = self.lazy_position else {
            return Ok(());
        };
        for &c in set {
            if self.resolved.get(c).copied().unwrap_or(true) {
                continue;
            }
            let key = match self.candidates.get(c) {
                Some(candidate) if candidate.rankable => resolve(candidate)?,
                _ => None,
            };
            if let Some(slot) = self
                .candidates
                .get_mut(c)
                .and_then(|x| x.keys.get_mut(position))
            {
                *slot = key;
            }
            if let Some(flag) = self.resolved.get_mut(c) {
                *flag = true;
            }
        }
        Ok(())
    }

    /// Resolves every lazy key, sorts the candidates into their full rank order and
    /// leaves lazy mode.
    pub fn resolve_all(&mut self, resolve: &mut Resolver<'_, 'a>) -> Result<(), Error> {
        let all: Vec<usize> = (0..self.candidates.len()).collect();
        self.ensure_keys(&all, resolve)?;
        self.candidates = into_rank_order(std::mem::take(&mut self.candidates));
        self.lazy_position = None;
        Ok(())
    }

    /// Whether `minimize_splits` decides first (every rule before it abstains), so that the
    /// search may stop at the smallest set size that works.
    fn splits_decide_first(&self) -> bool {
        for (index, rule) in self.chain.iter().enumerate() {
            if *rule == Rule::MinimizeSplits {
                return true;
            }
            if !self.abstaining.get(index).copied().unwrap_or(false) {
                return false;
            }
        }
        false
    }

    /// The fewest-splits search: every node set of size 1..=max_shipments (1 for
    /// `whole_order`) among nodes that hold something for the order, under the budget.
    pub fn search(
        &mut self,
        trace: Option<&mut Trace>,
        resolve: &mut Resolver<'_, 'a>,
    ) -> Result<SearchResult<'a>, Error> {
        let useful = self.useful();
        let max_size = if self.mode == SplitMode::WholeOrder {
            1
        } else {
            self.max_shipments.min(useful.len())
        };
        let stop_early = self.splits_decide_first();
        let keep_all = trace.is_some();
        let mut candidates: Vec<Scored<'a>> = Vec::new();
        let mut best: Option<Scored<'a>> = None;
        let mut evaluated: u64 = 0;
        let mut exhausted = false;
        let mut pool: Vec<u64> = Vec::new();
        let mut fill = self.empty_fill();
        let mut set: Vec<usize> = Vec::with_capacity(max_size);
        'sizes: for size in 1..=max_size {
            let mut combo: Vec<usize> = (0..size).collect();
            loop {
                if evaluated >= self.budget {
                    exhausted = true;
                    break 'sizes;
                }
                evaluated += 1;
                set.clear();
                set.extend(combo.iter().filter_map(|&i| useful.get(i).copied()));
                let works = self.may_cover(&set) && {
                    if self.lazy_position.is_some() {
                        self.ensure_keys(&set, resolve)?;
                        set.sort_by(|a, b| self.compare_positions(*a, *b));
                    }
                    self.fill_set_into(&set, &mut pool, &mut fill);
                    fill.complete() && fill.used.len() == set.len()
                };
                if works {
                    let scored = self.score(fill.clone())?;
                    let better = best
                        .as_ref()
                        .is_none_or(|b| scored.compare(b) == Ordering::Less);
                    if keep_all {
                        candidates.push(scored.clone());
                    }
                    if better {
                        best = Some(scored);
                    }
                }
                if !next_combination(&mut combo, useful.len()) {
                    break;
                }
            }
            if stop_early && best.is_some() {
                break;
            }
        }
        if exhausted {
            let (fill, _) = self.greedy();
            if fill.complete() {
                let scored = self.score(fill)?;
                if keep_all {
                    candidates.push(scored.clone());
                }
                if best
                    .as_ref()
                    .is_none_or(|b| scored.compare(b) == Ordering::Less)
                {
                    best = Some(scored);
                }
            }
        }
        if let Some(trace) = trace {
            trace.step(
                "search",
                format!(
                    "evaluated {evaluated} node set(s) of up to {max_size} node(s) among {} node(s) holding stock for the order; {} complete plan(s){}",
                    useful.len(),
                    candidates.len(),
                    if exhausted { "; budget exhausted, greedy fill added" } else { "" }
                ),
            );
            self.trace_elimination(candidates, trace);
        }
        Ok(SearchResult {
            best,
            evaluated,
            exhausted,
        })
    }

    /// Replays the chain over every candidate plan, recording what each rule eliminated.
    fn trace_elimination(&self, mut remaining: Vec<Scored<'a>>, trace: &mut Trace) {
        for (index, rule) in self.chain.iter().enumerate() {
            if remaining.len() <= 1 {
                break;
            }
            let stage = format!("rule:{rule}");
            if self.abstaining.get(index).copied().unwrap_or(false) {
                trace.step(stage, "abstains");
                continue;
            }
            let Some(best) = remaining
                .iter()
                .filter_map(|s| s.scores.get(index))
                .min_by(|a, b| a.compare(b))
                .cloned()
            else {
                break;
            };
            let (kept, eliminated): (Vec<_>, Vec<_>) = remaining.into_iter().partition(|s| {
                s.scores
                    .get(index)
                    .is_some_and(|x| x.compare(&best) == Ordering::Equal)
            });
            trace.step(
                stage,
                format!(
                    "best score {}; kept {}; eliminated {}",
                    best.describe(),
                    list_labels(&kept, None),
                    list_labels(&eliminated, Some(index))
                ),
            );
            remaining = kept;
        }
        if remaining.len() > 1 {
            remaining.sort_by(|a, b| a.ids.cmp(&b.ids));
            trace.step(
                "tie_break",
                format!(
                    "node ids decide among {}; chose {}",
                    list_labels(&remaining, None),
                    remaining.first().map(Scored::label).unwrap_or_default()
                ),
            );
        }
    }
}

fn list_labels(plans: &[Scored<'_>], score_of: Option<usize>) -> String {
    if plans.is_empty() {
        return "none".to_string();
    }
    const SHOWN: usize = 10;
    let mut parts: Vec<String> = plans
        .iter()
        .take(SHOWN)
        .map(|p| match score_of.and_then(|i| p.scores.get(i)) {
            Some(score) => format!("{} ({})", p.label(), score.describe()),
            None => p.label(),
        })
        .collect();
    if plans.len() > SHOWN {
        parts.push(format!("and {} more", plans.len() - SHOWN));
    }
    parts.join(", ")
}

/// What the search found.
#[derive(Debug)]
pub(crate) struct SearchResult<'a> {
    pub best: Option<Scored<'a>>,
    pub evaluated: u64,
    pub exhausted: bool,
}

/// Advances `combo` (strictly increasing indices below `n`) to the next combination of the
/// same size in lexicographic order; false when it was the last.
fn next_combination(combo: &mut [usize], n: usize) -> bool {
    let k = combo.len();
    let mut i = k;
    while i > 0 {
        i -= 1;
        let limit = n.saturating_sub(k) + i;
        let Some(value) = combo.get(i).copied() else {
            return false;
        };
        if value < limit {
            for (next, slot) in (value + 1..).zip(combo.iter_mut().skip(i)) {
                *slot = next;
            }
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::next_combination;

    #[test]
    fn combinations_in_order() {
        let mut combo = vec![0, 1];
        let mut seen = vec![combo.clone()];
        while next_combination(&mut combo, 4) {
            seen.push(combo.clone());
        }
        assert_eq!(
            seen,
            vec![
                vec![0, 1],
                vec![0, 2],
                vec![0, 3],
                vec![1, 2],
                vec![1, 3],
                vec![2, 3]
            ]
        );
    }
}
