//! The planning problem of one decision: the order's lines as needs, the eligible nodes
//! as candidates, filling lines from a set of nodes (and from backorders), and scoring
//! plans with the rule chain. The search over node sets is in [`search`](super::search).

use super::rules::Ranking;
use super::{Node, Order, RoutingConfig, Rule, SplitMode};
use crate::Error;
use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

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

impl Need<'_> {
    /// Units (kits) of this line that `stock` (units per order SKU index) can fill.
    pub fn capacity(&self, stock: &[u64]) -> u64 {
        self.parts
            .iter()
            .map(|p| {
                stock
                    .get(p.sku)
                    .copied()
                    .unwrap_or(0)
                    .checked_div(p.per)
                    .unwrap_or(0)
            })
            .min()
            .unwrap_or(0)
    }
}

/// SKU index (sorted) and the lines sorted by line id.
pub(super) fn build_needs(order: &Order) -> (BTreeMap<&str, usize>, Vec<Need<'_>>) {
    let mut names: BTreeSet<&str> = BTreeSet::new();
    for line in &order.lines {
        names.insert(line.sku.as_str());
    }
    for kit in &order.kits {
        for c in &kit.components {
            names.insert(c.sku.as_str());
        }
    }
    let skus: BTreeMap<&str, usize> = names.into_iter().enumerate().map(|(i, s)| (s, i)).collect();
    let mut needs: Vec<Need<'_>> = Vec::with_capacity(order.lines.len() + order.kits.len());
    for line in &order.lines {
        needs.push(Need {
            line_id: &line.line_id,
            sku: &line.sku,
            demand: u64::from(line.quantity),
            parts: vec![Part {
                sku: skus.get(line.sku.as_str()).copied().unwrap_or(0),
                per: 1,
                name: &line.sku,
            }],
            units_per: 1,
            kit: None,
        });
    }
    for kit in &order.kits {
        needs.push(Need {
            line_id: &kit.line_id,
            sku: &kit.sku,
            demand: u64::from(kit.quantity),
            parts: kit
                .components
                .iter()
                .map(|c| Part {
                    sku: skus.get(c.sku.as_str()).copied().unwrap_or(0),
                    per: u64::from(c.quantity),
                    name: &c.sku,
                })
                .collect(),
            units_per: kit
                .components
                .iter()
                .fold(0u64, |a, c| a.saturating_add(u64::from(c.quantity))),
            kit: Some(&kit.components),
        });
    }
    needs.sort_by(|a, b| a.line_id.cmp(b.line_id));
    (skus, needs)
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
    pub fn compare(&self, other: &Score) -> Ordering {
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
    /// The problem of routing `needs` over `candidates` (in rank order; `width` order
    /// SKUs) under `config` and the chain of `ranking`.
    pub fn new(
        candidates: Vec<Candidate<'a>>,
        needs: Vec<Need<'a>>,
        width: usize,
        config: &RoutingConfig,
        ranking: Ranking,
        preferred: Option<&'a str>,
    ) -> Self {
        let resolved = vec![false; candidates.len()];
        Problem {
            candidates,
            needs,
            skus: width,
            mode: config.split_mode,
            max_shipments: usize::try_from(config.max_shipments).unwrap_or(usize::MAX),
            budget: config.search_budget,
            chain: ranking.chain,
            abstaining: ranking.abstaining,
            preferred,
            lazy_position: ranking.lazy_position,
            resolved,
        }
    }

    /// Rank order of two candidate positions.
    pub fn compare_positions(&self, a: usize, b: usize) -> Ordering {
        match (self.candidates.get(a), self.candidates.get(b)) {
            (Some(x), Some(y)) => compare_candidates(x, y),
            _ => a.cmp(&b),
        }
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
    pub fn may_cover(&self, set: &[usize]) -> bool {
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
    pub fn fill_set_into(&self, set: &[usize], pool: &mut Vec<u64>, fill: &mut Fill) {
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
                need.capacity(row) >= remaining
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
                        let quantity = need.capacity(row).min(remaining);
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
                let capacity = need.capacity(row);
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

    pub fn empty_fill(&self) -> Fill {
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
                        .map_or(0, |row| need.capacity(row))
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
}
