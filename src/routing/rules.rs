//! The rule chain: choosing it (the policy's `chain` hook or the configuration), checking
//! that each rule has its data, and each eligible node's keys under it (the `policy` rule's
//! from the `rank` hook), which give the rank order.

use super::hooks::{
    read_chain, read_rank, settle, NodeView, CHAIN, CHAIN_FALLBACK, ORDER_KEY, RANK, RANK_FALLBACK,
};
use super::plan::{into_rank_order, Candidate, Need};
use super::search::Resolver;
use super::{MissingData, Node, Order, Rule, Shipment};
use crate::policy::session::{Arg, Change, Fallback, HookSession};
use crate::{Error, Reason, Trace};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// The rule chain for this order: what the policy's `chain` returns (recorded by the
/// reason `chain_from_policy`), else the configured one.
pub(super) fn chain(
    configured: &[Rule],
    order: &Order,
    session: &mut HookSession<'_>,
    failures: &mut Vec<Reason>,
    reasons: &mut Vec<Reason>,
    trace: Option<&mut Trace>,
) -> Result<Vec<Rule>, Error> {
    let answer = session.call(
        CHAIN,
        [Arg::shared(ORDER_KEY, order)],
        Fallback::new(CHAIN_FALLBACK),
        read_chain,
    )?;
    let chain = match settle(answer, failures) {
        Some(chain) => {
            let (from, to) = (join_rules(configured), join_rules(&chain));
            let change = Change::new("chain_from_policy", "the rule chain", &from, &to);
            reasons.extend(session.changed(CHAIN, change));
            chain
        }
        None => configured.to_vec(),
    };
    if let Some(t) = trace {
        t.step("chain", format!("rule chain: {}", join_rules(&chain)));
    }
    Ok(chain)
}

/// The chain with what each rule can say about this decision.
#[derive(Debug)]
pub(super) struct Ranking {
    /// The rules, most important first.
    pub chain: Vec<Rule>,
    /// Per rule: it abstains (lacks data under `on_missing_data: abstain`, or has nothing
    /// to say).
    pub abstaining: Vec<bool>,
    /// The chain position of the `policy` rule when its keys are resolved lazily: with the
    /// fewest-splits search and no trace, `rank` is called only for nodes of the node
    /// sets the search fills (memoized), which keeps hook calls far below one per node.
    /// Everything else needs the full ranking up front.
    pub lazy_position: Option<usize>,
}

/// Checks that every rule of `chain` has the data it needs: a rule without it fails the
/// decision, or abstains with a `rule_abstained` reason under `on_missing_data: abstain`.
/// `preferred_node` abstains when the order names no preferred node.
pub(super) fn check_data(
    chain: Vec<Rule>,
    on_missing_data: MissingData,
    order: &Order,
    candidates: &[Candidate<'_>],
    has_rank: bool,
    tracing: bool,
    reasons: &mut Vec<Reason>,
) -> Result<Ranking, Error> {
    let mut abstaining = Vec::with_capacity(chain.len());
    for rule in &chain {
        let abstain = match missing_data(*rule, order, candidates, has_rank)? {
            Some(error) => match on_missing_data {
                MissingData::Error => return Err(error),
                MissingData::Abstain => {
                    reasons.push(
                        Reason::builtin(
                            "rule_abstained",
                            rule.as_str(),
                            format!("rule `{rule}` abstains: {error}"),
                        )
                        .about(rule.as_str()),
                    );
                    true
                }
            },
            None => *rule == Rule::PreferredNode && order.preferred_node.is_none(),
        };
        abstaining.push(abstain);
    }
    let policy_position = chain
        .iter()
        .position(|r| *r == Rule::Policy)
        .filter(|p| !abstaining.get(*p).copied().unwrap_or(true));
    let lazy = chain.contains(&Rule::MinimizeSplits) && !tracing;
    Ok(Ranking {
        lazy_position: policy_position.filter(|_| lazy),
        chain,
        abstaining,
    })
}

/// The error a rule would raise for missing data, if any.
fn missing_data(
    rule: Rule,
    order: &Order,
    candidates: &[Candidate<'_>],
    has_rank: bool,
) -> Result<Option<Error>, Error> {
    Ok(match rule {
        Rule::Closest => {
            if order.ship_to.latitude.is_none() {
                Some(Error::invalid(
                    "order.ship_to.latitude",
                    "rule `closest` needs the ship-to coordinates (latitude and longitude)",
                ))
            } else {
                candidates
                    .iter()
                    .find(|c| c.node.location.is_none())
                    .map(|c| {
                        Error::invalid(
                            format!("nodes[{}].location", c.index),
                            format!("rule `closest` needs the location of node `{}`", c.node.id),
                        )
                    })
            }
        }
        Rule::LowestCost => {
            let mut currency = None;
            let mut found = None;
            for c in candidates {
                let i = c.index;
                let Some(cost) = c.node.cost else {
                    found = Some(Error::invalid(
                        format!("nodes[{i}].cost"),
                        format!(
                            "rule `lowest_cost` needs the cost model of node `{}`",
                            c.node.id
                        ),
                    ));
                    break;
                };
                for money in [cost.per_shipment, cost.per_unit, cost.per_km] {
                    match currency {
                        None => currency = Some(money.currency()),
                        Some(cur) if cur != money.currency() => {
                            return Err(Error::CurrencyMismatch {
                                operation: format!("lowest_cost (nodes[{i}].cost)"),
                                left: cur.code().to_string(),
                                right: money.currency().code().to_string(),
                            })
                        }
                        Some(_) => {}
                    }
                }
                if !cost.per_km.is_zero() && c.distance.is_none() {
                    found = Some(if order.ship_to.latitude.is_none() {
                        Error::invalid(
                            "order.ship_to.latitude",
                            format!("rule `lowest_cost` needs the ship-to coordinates for node `{}`'s per-km cost", c.node.id),
                        )
                    } else {
                        Error::invalid(
                            format!("nodes[{i}].location"),
                            format!("rule `lowest_cost` needs the location of node `{}` for its per-km cost", c.node.id),
                        )
                    });
                    break;
                }
            }
            found
        }
        Rule::Policy => (!has_rank).then(|| {
            Error::invalid(
                "policy",
                "rule `policy` needs a policy that defines `rank(node, order)`",
            )
        }),
        _ => None,
    })
}

/// Sets every candidate's node keys under `ranking` (one per rule, `None` where the rule
/// abstains or has no opinion), calling `rank` for the `policy` rule unless it is lazy,
/// and whether `rank` is asked about it at all (it holds stock or backorders for the
/// order).
pub(super) fn node_keys<'a>(
    candidates: &mut [Candidate<'a>],
    ranking: &Ranking,
    needs: &[Need<'_>],
    order: &Order,
    rank: &mut Resolver<'_, 'a>,
) -> Result<(), Error> {
    let total_units: u64 = needs.iter().fold(0u64, |a, n| {
        a.saturating_add(n.demand.saturating_mul(n.units_per))
    });
    let lazy = ranking.lazy_position.is_some();
    for candidate in candidates.iter_mut() {
        let mut keys = Vec::with_capacity(ranking.chain.len());
        candidate.rankable = needs.iter().enumerate().any(|(i, n)| {
            candidate.caps().get(i).is_some_and(|q| *q > 0)
                || n.parts
                    .iter()
                    .any(|p| candidate.backorder().get(p.sku).is_some_and(|b| *b > 0))
        });
        for (rule, abstain) in ranking.chain.iter().zip(&ranking.abstaining) {
            if *abstain {
                keys.push(None);
                continue;
            }
            let key = match rule {
                Rule::PreferredNode => Some(Decimal::from(u8::from(
                    order.preferred_node.as_deref() != Some(candidate.node.id.as_str()),
                ))),
                Rule::MinimizeSplits => None,
                Rule::StayInMarket => Some(Decimal::from(u8::from(!candidate.in_market))),
                Rule::Closest => candidate.distance,
                Rule::Priority => Some(Decimal::from(candidate.node.priority)),
                Rule::MostStock => {
                    let stock = candidate
                        .caps()
                        .iter()
                        .fold(0u64, |a, q| a.saturating_add(*q));
                    Some(-Decimal::from(stock))
                }
                Rule::LowestCost => {
                    let (per_shipment, per_unit, per_km) = candidate.cost.unwrap_or_default();
                    let distance = candidate.distance.unwrap_or(Decimal::ZERO);
                    let cost = per_unit
                        .checked_mul(Decimal::from(total_units))
                        .and_then(|v| v.checked_add(per_shipment))
                        .and_then(|v| per_km.checked_mul(distance).and_then(|d| v.checked_add(d)))
                        .ok_or_else(|| Error::overflow("lowest_cost: node cost"))?;
                    Some(cost)
                }
                Rule::Policy => {
                    if candidate.rankable && !lazy {
                        rank(candidate)?
                    } else {
                        None
                    }
                }
            };
            keys.push(key);
        }
        candidate.keys = keys;
    }
    Ok(())
}

/// `rank(node, order)` for one candidate: its `policy` key, or `None` to abstain. A
/// rank the hook gives is also noted in `ranked` (by the node's position in the
/// request), for [`rank_reason`].
pub(super) fn rank(
    session: &mut HookSession<'_>,
    failures: &mut Vec<Reason>,
    ranked: &mut Vec<(usize, Decimal)>,
    candidate: &Candidate<'_>,
    skus: &BTreeMap<&str, usize>,
    order: &Order,
) -> Result<Option<Decimal>, Error> {
    let node = NodeView { candidate, skus };
    let answer = session.call(
        RANK,
        [Arg::fresh(&node), Arg::shared(ORDER_KEY, order)],
        Fallback::new(RANK_FALLBACK),
        read_rank,
    )?;
    let key = settle(answer, failures);
    if let Some(key) = key {
        ranked.push((candidate.index, key));
    }
    Ok(key)
}

/// The `rank_from_policy` reason: the ranks `rank` gave the nodes that ship (lowest
/// first, ties by node id), which without the hook the `policy` rule does not have. One
/// reason per decision, about the nodes that ship: the other nodes' ranks depend on how
/// far the search looked (ranks are asked lazily), and a decision may rank hundreds.
pub(super) fn rank_reason(
    session: &HookSession<'_>,
    nodes: &[Node],
    ranked: &[(usize, Decimal)],
    shipments: &[Shipment],
) -> Option<Reason> {
    let mut shipping: Vec<(&str, Decimal)> = ranked
        .iter()
        .filter_map(|(i, key)| nodes.get(*i).map(|n| (n.id.as_str(), *key)))
        .filter(|(id, _)| shipments.iter().any(|s| s.node_id == *id))
        .collect();
    if shipping.is_empty() {
        return None;
    }
    shipping.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.cmp(b.0)));
    let listed: Vec<String> = shipping
        .iter()
        .map(|(node, key)| format!("{node} {}", key.normalize()))
        .collect();
    let to = format!("{} (lower ships first)", listed.join(", "));
    let what = "the rule `policy` ranks of the nodes that ship";
    session.changed(RANK, Change::new("rank_from_policy", what, "none", &to))
}

/// The candidates in rank order (the chain's node keys, then node ids), traced.
pub(super) fn rank_order<'a>(
    candidates: Vec<Candidate<'a>>,
    chain: &[Rule],
    trace: Option<&mut Trace>,
) -> Vec<Candidate<'a>> {
    let candidates = into_rank_order(candidates);
    if let Some(t) = trace {
        t.step("ranking", ranking_message(&candidates, chain));
    }
    candidates
}

fn join_rules(chain: &[Rule]) -> String {
    if chain.is_empty() {
        return "(empty: node ids decide)".to_string();
    }
    chain
        .iter()
        .map(|r| r.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn ranking_message(candidates: &[Candidate<'_>], chain: &[Rule]) -> String {
    const SHOWN: usize = 20;
    let mut parts: Vec<String> = candidates
        .iter()
        .take(SHOWN)
        .map(|c| {
            let keys: Vec<String> = chain
                .iter()
                .zip(&c.keys)
                .filter_map(|(rule, key)| key.map(|k| format!("{rule}={}", k.normalize())))
                .collect();
            if keys.is_empty() {
                c.node.id.clone()
            } else {
                format!("{} ({})", c.node.id, keys.join(" "))
            }
        })
        .collect();
    if candidates.len() > SHOWN {
        parts.push(format!("and {} more", candidates.len() - SHOWN));
    }
    format!("nodes in rank order: {}", parts.join(", "))
}
