//! The routing engine's configuration: split mode, shipment limit, rule chain, search
//! budget and what rules do without their data.

use super::Rule;
use crate::Error;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// How an order may be split across nodes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SplitMode {
    /// One node ships everything.
    WholeOrder,
    /// A line is never split; different lines may ship from different nodes.
    ByLine,
    /// A line may be split across nodes (a kit still ships whole from one node).
    #[default]
    ByUnit,
}

impl SplitMode {
    /// The snake_case name used in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            SplitMode::WholeOrder => "whole_order",
            SplitMode::ByLine => "by_line",
            SplitMode::ByUnit => "by_unit",
        }
    }
}

/// What a rule does when the request lacks the data it needs (e.g. `closest` without
/// coordinates, `lowest_cost` with a node that has no cost model).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MissingData {
    /// The decision fails with an error naming the rule and the missing field.
    #[default]
    Error,
    /// The rule abstains (scores every plan the same) and a `rule_abstained` reason says so.
    Abstain,
}

/// The routing engine's configuration. Every field has a default (`{}` is a valid config).
///
/// ```
/// use backoffice::routing::{RoutingConfig, Rule, SplitMode};
/// let config: RoutingConfig = serde_json::from_str(
///     r#"{"split_mode": "by_line", "chain": ["minimize_splits", "priority"]}"#,
/// ).unwrap();
/// assert_eq!(config.split_mode, SplitMode::ByLine);
/// assert_eq!(config.chain, vec![Rule::MinimizeSplits, Rule::Priority]);
/// assert_eq!(config.max_shipments, 3);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutingConfig {
    /// How an order may be split (default `by_unit`).
    #[serde(default)]
    pub split_mode: SplitMode,
    /// The most shipments a plan may have (default 3, at least 1).
    #[serde(default = "default_max_shipments")]
    pub max_shipments: u32,
    /// The rule chain, most important first (default
    /// `preferred_node, minimize_splits, stay_in_market, closest, priority`).
    #[serde(default = "Rule::default_chain")]
    pub chain: Vec<Rule>,
    /// How many node sets the fewest-splits search may evaluate before a greedy fill
    /// finishes (default 10,000, at least 1).
    #[serde(default = "default_search_budget")]
    pub search_budget: u64,
    /// What a rule does when data it needs is missing (default `error`).
    #[serde(default)]
    pub on_missing_data: MissingData,
}

fn default_max_shipments() -> u32 {
    3
}

fn default_search_budget() -> u64 {
    10_000
}

impl Default for RoutingConfig {
    fn default() -> Self {
        RoutingConfig {
            split_mode: SplitMode::default(),
            max_shipments: default_max_shipments(),
            chain: Rule::default_chain(),
            search_budget: default_search_budget(),
            on_missing_data: MissingData::default(),
        }
    }
}

/// Checks a configuration: `max_shipments` and `search_budget` at least 1, no rule twice
/// in the chain.
pub(super) fn validate_config(config: &RoutingConfig) -> Result<(), Error> {
    if config.max_shipments == 0 {
        return Err(Error::invalid("max_shipments", "must be at least 1, got 0"));
    }
    if config.search_budget == 0 {
        return Err(Error::invalid("search_budget", "must be at least 1, got 0"));
    }
    let mut seen = BTreeSet::new();
    for (i, rule) in config.chain.iter().enumerate() {
        if !seen.insert(*rule) {
            return Err(Error::invalid(
                format!("chain[{i}]"),
                format!("rule `{rule}` appears twice in the chain"),
            ));
        }
    }
    Ok(())
}
