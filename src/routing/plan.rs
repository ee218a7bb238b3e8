//! Filling lines from a set of nodes, scoring plans with the rule chain, and the
//! fewest-splits search.

use super::{Node, Rule, SplitMode};
use crate::{Error, Trace};
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// One SKU a line draws on, and how many units per line unit (1 for plain lines).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Part<'a> {
    pub sku: usize,
    pub per: u64,
    pub name: &'a str,
}

/// An order line (plain or kit) as the planner sees it.
#[derive(Debug, Clone)]
pub(crate) struct Need<'a> {
    pub line_id: &'a str,
    pub sku: &'a str,
    pub demand: u64,
    pub parts: Vec<Part<'a>>,
    /// Physical units per line unit (the sum of component quantities for a kit).
    pub units_per: u64,
    pub kit: Option<&'a [super::KitComponent]>,
}

/// An eligible node with everything the planner needs, pre-computed once per decision.
#[derive(Debug, Clone)]
pub(crate) struct Candidate<'a> {
    /// Position of the node in the request.
    pub index: usize,
    pub node: &'a Node,
    /// One buffer (a single allocation) holding, per order SKU index, the ATP and the
    /// backorder allowance, then per need the units (kits) this node could fill on its own
    /// with fresh stock. Read it through [`Candidate::atp`], [`Candidate::backorder`] and
    /// [`Candidate::caps`].
    pub data: Vec<u64>,
    pub skus: usize,
    /// Expected backorder date per order SKU index; empty when the node has none.
    pub expected: Vec<Option<DateTime<Utc>>>,
    pub distance: Option<Decimal>,
    pub in_market: bool,
    /// One key per rule of the chain (lower first, `None` after every `Some`).
    pub keys: Vec<Option<Decimal>>,
    /// Whether `rank` is asked about this node (it holds stock or backorders for the order).
    pub rankable: bool,
    /// Cost of one shipment from here: (per shipment, per unit, per km), when modelled.
    pub cost: Option<(Decimal, Decimal, Decimal)>,
}

impl Candidate<'_> {
    /// ATP per order SKU index.
    pub fn atp(&self) -> &[u64] {
        self.data.get(..self.skus).unwrap_or(&[])
    }

    /// Backorder allowance per order SKU index.
    pub fn backorder(&self) -> &[u64] {
        self.data.get(self.skus..self.skus * 2).unwrap_or(&[])
    }

    /// Units (kits) of each need this node could fill on its own.
    pub fn caps(&self) -> &[u64] {
        self.data.get(self.skus * 2..).unwrap_or(&[])
    }

    /// Expected backorder date of an order SKU index.
    pub fn expected_at(&self, sku: usize) -> Option<DateTime<Utc>> {
        self.expected.get(sku).copied().flatten()
    }
}

/// The whole planning problem of one decision.
#[derive(Debug)]
pub(crate) struct Problem<'a> {
    /// Eligible nodes, best-ranked first.
    pub candidates: Vec<Candidate<'a>>,
    /// Lines sorted by line id.
    pub needs: Vec<Need<'a>>,
    pub skus: usize,
    pub mode: SplitMode,
    pub max_shipments: usize,
    pub budget: u64,
    pub chain: Vec<Rule>,
    /// Per chain position: the rule abstains (lacks data, or has nothing to say).
    pub abstaining: Vec<bool>,
    pub preferred: Option<&'a str>,
    /// Chain position of the `policy` rule when its keys are resolved lazily.
    pub lazy_position: Option<usize>,
    /// Per candidate: its lazy key is resolved.
    pub resolved: Vec<bool>,
}

/// Resolves the `policy` key of a candidate (calls the `rank` hook).
pub(crate) type Resolver<'r, 'a> = dyn FnMut(&Candidate<'a>) -> Result<Option<Decimal>, Error> + 'r;

/// Sorts candidates into rank order. Candidates are large, so an index vector is sorted and
/// the candidates moved once; node ids are unique, so the order is total.
pub(crate) fn into_rank_order(candidates: Vec<Candidate<'_>>) -> Vec<Candidate<'_>> {
    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_unstable_by(|&a, &b| match (candidates.get(a), candidates.get(b)) {
        (Some(x), Some(y)) => compare_candidates(x, y),
        _ => a.cmp(&b),
    });
    let mut slots: Vec<Option<Candidate<'_>>> = candidates.into_iter().map(Some).collect();
    order
        .into_iter()
        .filter_map(|i| slots.get_mut(i).and_then(Option::take))
        .collect()
}

/// Rank order: the chain's node keys, then the node id.
pub(crate) fn compare_candidates(a: &Candidate<'_>, b: &Candidate<'_>) -> Ordering {
    for (x, y) in a.keys.iter().zip(b.keys.iter()) {
        let ord = cmp_key(x, y);
        if ord != Ordering::Equal {
            return ord;
        }
    }
    a.node.id.cmp(&b.node.id)
}

/// One allocation of a line to a node.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Alloc {
    pub need: usize,
    pub candidate: usize,
    pub quantity: u64,
    pub backordered: u64,
}

/// A (possibly partial) plan.
#[derive(Debug, Clone)]
pub(crate) struct Fill {
    pub allocs: Vec<Alloc>,
    /// Uncovered units per need.
    pub short: Vec<u64>,
    /// Candidate positions used, ascending (rank order).
    pub used: Vec<usize>,
}

impl Fill {
    pub fn complete(&self) -> bool {
        self.short.iter().all(|s| *s == 0)
    }

    fn short_units(&self) -> u64 {
        self.short.iter().fold(0u64, |a, s| a.saturating_add(*s))
    }

    fn mark_used(&mut self, candidate: usize) {
        if let Err(pos) = self.used.binary_search(&candidate) {
            self.used.insert(pos, candidate);
        }
    }
}

/// A plan's score under one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Score {
    Number(Decimal),
    /// Node keys of the nodes used, best first.
    List(Vec<Option<Decimal>>),
}

pub(crate) fn cmp_key(a: &Option<Decimal>, b: &Option<Decimal>) -> Ordering {
    match (a, b) {
        // Keys of one rule usually share a scale (ranks, unit counts, flags); comparing
        // mantissas then gives the same order as `Decimal::cmp`, several times faster, and
        // ranking compares keys O(n log n) times per decision.
        (Some(x), Some(y)) if x.scale() == y.scale() => x.mantissa().cmp(&y.mantissa()),
        (Some(x), Some(y)) => x.cmp(y),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

impl Score {
    fn compare(&self, other: &Score) -> Ordering {
        match (self, other) {
            (Score::Number(a), Score::Number(b)) => a.cmp(b),
            (Score::List(a), Score::List(b)) => {
                for (x, y) in a.iter().zip(b.iter()) {
                    let ord = cmp_key(x, y);
                    if ord != Ordering::Equal {
                        return ord;
                    }
                }
                a.len().cmp(&b.len())
            }
            (Score::Number(_), Score::List(_)) => Ordering::Less,
            (Score::List(_), Score::Number(_)) => Ordering::Greater,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            Score::Number(n) => n.normalize().to_string(),
            Score::List(keys) => {
                let parts: Vec<String> = keys
                    .iter()
                    .map(|k| k.map_or_else(|| "-".to_string(), |d| d.normalize().to_string()))
                    .collect();
                format!("[{}]", parts.join(", "))
            }
        }
    }
}

/// A complete plan with its scores.
#[derive(Debug, Clone)]
pub(crate) struct Scored<'a> {
    pub fill: Fill,
    pub scores: Vec<Score>,
    pub ids: Vec<&'a str>,
}

impl Scored<'_> {
    pub fn compare(&self, other: &Self) -> Ordering {
        for (a, b) in self.scores.iter().zip(other.scores.iter()) {
            let ord = a.compare(b);
            if ord != Ordering::Equal {
                return ord;
            }
        }
        self.ids.cmp(&other.ids)
    }

    pub fn label(&self) -> String {
        format!("{{{}}}", self.ids.join(","))
    }
}

impl<'a> Problem<'a> {
    /// Rank order of two candidate positions.
    pub fn compare_positions(&self, a: usize, b: usize) -> Ordering {
        match (self.candidates.get(a), self.candidates.get(b)) {
            (Some(x), Some(y)) => compare_candidates(x, y),
            _ => a.cmp(&b),
        }
    }

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

    fn capacity(&self, pool: &[u64], need: &Need<'_>) -> u64 {
        need.parts
            .iter()
            .map(|p| {
                pool.get(p.sku)
                    .copied()
                    .unwrap_or(0)
                    .checked_div(p.per)
                    .unwrap_or(0)
            })
            .min()
            .unwrap_or(0)
    }

    fn take(pool: &mut [u64], need: &Need<'_>, quantity: u64) {
        for p in &need.parts {
            if let Some(slot) = pool.get_mut(p.sku) {
                *slot = slot.saturating_sub(quantity.saturating_mul(p.per));
            }
        }
    }

    /// Capacity of `need` at a candidate with fresh stock.
    pub fn fresh_capacity(&self, candidate: usize, need: usize) -> u64 {
        self.candidates
            .get(candidate)
            .and_then(|c| c.caps().get(need))
            .copied()
            .unwrap_or(0)
    }

    /// Candidates that can contribute stock to at least one line.
    pub fn useful(&self) -> Vec<usize> {
        (0..self.candidates.len())
            .filter(|&c| {
                self.candidates
                    .get(c)
                    .is_some_and(|c| c.caps().iter().any(|q| *q > 0))
            })
            .collect()
    }

    /// A necessary condition for `set` to cover every line, from fresh capacities alone.
    fn may_cover(&self, set: &[usize]) -> bool {
        self.needs.iter().enumerate().all(|(n, need)| {
            let caps = set.iter().map(|&c| self.fresh_capacity(c, n));
            let reach = if self.mode == SplitMode::ByUnit {
                caps.fold(0u64, u64::saturating_add)
            } else {
                caps.max().unwrap_or(0)
            };
            reach >= need.demand
        })
    }

    /// Fills every line from the nodes of `set` (candidate positions in rank order): each
    /// line goes whole to the first node of the set that can fill it, else (by unit) it is
    /// filled in the set's rank order.
    pub fn fill_set(&self, set: &[usize]) -> Fill {
        let mut pool = Vec::new();
        let mut fill = self.empty_fill();
        self.fill_set_into(set, &mut pool, &mut fill);
        fill
    }

    /// [`Problem::fill_set`] into reusable buffers.
    fn fill_set_into(&self, set: &[usize], pool: &mut Vec<u64>, fill: &mut Fill) {
        let width = self.skus;
        pool.clear();
        for &c in set {
            if let Some(candidate) = self.candidates.get(c) {
                pool.extend_from_slice(candidate.atp());
            }
        }
        fill.allocs.clear();
        fill.short.clear();
        fill.used.clear();
        for (n, need) in self.needs.iter().enumerate() {
            let mut remaining = need.demand;
            let whole = set.iter().enumerate().find(|(j, _)| {
                let row = pool.get(j * width..(j + 1) * width).unwrap_or(&[]);
                self.capacity(row, need) >= remaining
            });
            if let Some((j, &c)) = whole {
                if let Some(row) = pool.get_mut(j * width..(j + 1) * width) {
                    Self::take(row, need, remaining);
                }
                fill.allocs.push(Alloc {
                    need: n,
                    candidate: c,
                    quantity: remaining,
                    backordered: 0,
                });
                fill.mark_used(c);
                remaining = 0;
            } else if self.mode == SplitMode::ByUnit {
                for (j, &c) in set.iter().enumerate() {
                    if remaining == 0 {
                        break;
                    }
                    if let Some(row) = pool.get_mut(j * width..(j + 1) * width) {
                        let quantity = self.capacity(row, need).min(remaining);
                        if quantity > 0 {
                            Self::take(row, need, quantity);
                            fill.allocs.push(Alloc {
                                need: n,
                                candidate: c,
                                quantity,
                                backordered: 0,
                            });
                            fill.mark_used(c);
                            remaining -= quantity;
                        }
                    }
                }
            }
            fill.short.push(remaining);
        }
    }

    /// The greedy fill over every eligible node in rank order, never opening more than
    /// `max_shipments` nodes. Returns the fill and the remaining stock pool.
    pub fn greedy(&self) -> (Fill, Vec<Vec<u64>>) {
        let mut pool: Vec<Vec<u64>> = self.candidates.iter().map(|c| c.atp().to_vec()).collect();
        if self.mode == SplitMode::WholeOrder {
            // The node that leaves the fewest units short (the first such in rank order).
            let mut best: Option<(usize, Fill)> = None;
            for c in 0..self.candidates.len() {
                let fill = self.fill_set(&[c]);
                let better = match &best {
                    None => true,
                    Some((_, b)) => fill.short_units() < b.short_units(),
                };
                if better {
                    let done = fill.complete();
                    best = Some((c, fill));
                    if done {
                        break;
                    }
                }
            }
            return match best {
                Some((c, fill)) => {
                    for a in &fill.allocs {
                        if let (Some(row), Some(need)) = (pool.get_mut(c), self.needs.get(a.need)) {
                            Self::take(row, need, a.quantity);
                        }
                    }
                    (fill, pool)
                }
                None => (self.empty_fill(), pool),
            };
        }
        let mut fill = self.empty_fill();
        for (n, need) in self.needs.iter().enumerate() {
            let mut remaining = need.demand;
            for (c, row) in pool.iter_mut().enumerate() {
                if remaining == 0 {
                    break;
                }
                let opened = fill.used.binary_search(&c).is_ok();
                if !opened && fill.used.len() >= self.max_shipments {
                    continue;
                }
                let capacity = self.capacity(row, need);
                let quantity = match self.mode {
                    SplitMode::ByLine if capacity < remaining => 0,
                    _ => capacity.min(remaining),
                };
                if quantity > 0 {
                    Self::take(row, need, quantity);
                    fill.allocs.push(Alloc {
                        need: n,
                        candidate: c,
                        quantity,
                        backordered: 0,
                    });
                    fill.mark_used(c);
                    remaining -= quantity;
                }
            }
            if let Some(slot) = fill.short.get_mut(n) {
                *slot = remaining;
            }
        }
        (fill, pool)
    }

    fn empty_fill(&self) -> Fill {
        Fill {
            allocs: Vec::new(),
            short: self.needs.iter().map(|n| n.demand).collect(),
            used: Vec::new(),
        }
    }

    /// Sends each line's shortfall to the best-ranked node that may backorder it (taking
    /// what stock that node still has for the line first), never opening more than
    /// `max_shipments` nodes (one for `whole_order`). Returns whether every line is covered.
    pub fn backorder(&self, fill: &mut Fill, pool: &mut [Vec<u64>]) -> bool {
        let limit = if self.mode == SplitMode::WholeOrder {
            1
        } else {
            self.max_shipments
        };
        let mut allowance: Vec<Vec<u64>> = self
            .candidates
            .iter()
            .map(|c| c.backorder().to_vec())
            .collect();
        for (n, need) in self.needs.iter().enumerate() {
            let remaining = fill.short.get(n).copied().unwrap_or(0);
            if remaining == 0 {
                continue;
            }
            let whole_line = self.mode != SplitMode::ByUnit;
            // In by_line and whole_order a short line got nothing yet, and must be placed
            // whole at one node.
            let mut chosen = None;
            for c in 0..self.candidates.len() {
                let opened = fill.used.binary_search(&c).is_ok();
                if !opened && fill.used.len() >= limit {
                    continue;
                }
                let stock = if whole_line {
                    pool.get(c)
                        .map_or(0, |row| self.capacity(row, need))
                        .min(remaining)
                } else {
                    0
                };
                let rest = remaining - stock;
                let allowed = need.parts.iter().all(|p| {
                    allowance
                        .get(c)
                        .and_then(|row| row.get(p.sku))
                        .is_some_and(|a| *a >= rest.saturating_mul(p.per))
                });
                if allowed && rest > 0 {
                    chosen = Some((c, stock, rest));
                    break;
                }
            }
            let Some((c, stock, rest)) = chosen else {
                continue;
            };
            if let Some(row) = pool.get_mut(c) {
                Self::take(row, need, stock);
            }
            if let Some(row) = allowance.get_mut(c) {
                Self::take(row, need, rest);
            }
            fill.allocs.push(Alloc {
                need: n,
                candidate: c,
                quantity: stock,
                backordered: rest,
            });
            fill.mark_used(c);
            if let Some(slot) = fill.short.get_mut(n) {
                *slot = 0;
            }
        }
        fill.complete()
    }

    /// Scores a complete fill under every rule of the chain.
    pub fn score(&self, fill: Fill) -> Result<Scored<'a>, Error> {
        let mut units = vec![0u64; fill.used.len()];
        for a in &fill.allocs {
            let per = self.needs.get(a.need).map_or(1, |n| n.units_per);
            if let Ok(pos) = fill.used.binary_search(&a.candidate) {
                if let Some(slot) = units.get_mut(pos) {
                    *slot = slot.saturating_add(
                        a.quantity.saturating_add(a.backordered).saturating_mul(per),
                    );
                }
            }
        }
        let used: Vec<&Candidate<'a>> = fill
            .used
            .iter()
            .filter_map(|&c| self.candidates.get(c))
            .collect();
        let mut scores = Vec::with_capacity(self.chain.len());
        for (index, rule) in self.chain.iter().enumerate() {
            if self.abstaining.get(index).copied().unwrap_or(false) {
                scores.push(Score::Number(Decimal::ZERO));
                continue;
            }
            let score = match rule {
                Rule::PreferredNode => {
                    let away: u64 = used
                        .iter()
                        .zip(&units)
                        .filter(|(c, _)| Some(c.node.id.as_str()) != self.preferred)
                        .fold(0u64, |acc, (_, u)| acc.saturating_add(*u));
                    Score::Number(Decimal::from(away))
                }
                Rule::MinimizeSplits => Score::Number(Decimal::from(used.len())),
                Rule::StayInMarket => {
                    Score::Number(Decimal::from(used.iter().filter(|c| !c.in_market).count()))
                }
                Rule::Closest => {
                    let mut total = Decimal::ZERO;
                    for c in &used {
                        total = total
                            .checked_add(c.distance.unwrap_or(Decimal::ZERO))
                            .ok_or_else(|| Error::overflow("closest: summing distances"))?;
                    }
                    Score::Number(total)
                }
                Rule::LowestCost => {
                    let mut total = Decimal::ZERO;
                    for (c, u) in used.iter().zip(&units) {
                        let (per_shipment, per_unit, per_km) =
                            c.cost
                                .unwrap_or((Decimal::ZERO, Decimal::ZERO, Decimal::ZERO));
                        let distance = c.distance.unwrap_or(Decimal::ZERO);
                        let cost = per_unit
                            .checked_mul(Decimal::from(*u))
                            .and_then(|v| v.checked_add(per_shipment))
                            .and_then(|v| {
                                per_km.checked_mul(distance).and_then(|d| v.checked_add(d))
                            })
                            .and_then(|v| total.checked_add(v))
                            .ok_or_else(|| Error::overflow("lowest_cost: summing costs"))?;
                        total = cost;
                    }
                    Score::Number(total)
                }
                Rule::Priority | Rule::MostStock | Rule::Policy => {
                    let mut keys: Vec<Option<Decimal>> = used
                        .iter()
                        .map(|c| c.keys.get(index).copied().flatten())
                        .collect();
                    keys.sort_by(cmp_key);
                    Score::List(keys)
                }
            };
            scores.push(score);
        }
        let mut ids: Vec<&'a str> = used.iter().map(|c| c.node.id.as_str()).collect();
        ids.sort_unstable();
        Ok(Scored { fill, scores, ids })
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
