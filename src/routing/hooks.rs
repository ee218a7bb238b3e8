//! Calling the routing policy hooks (`eligible`, `rank`, `chain`).
//!
//! Placeholder until the policy runtime lands: no hook is ever defined.
#![allow(dead_code)]

use super::{Node, Order, Rule};
use crate::policy::DecideOptions;
use crate::{Error, Reason};
use rust_decimal::Decimal;

/// Facts about a node the engine computed, passed to hooks beside the node's own fields.
#[derive(Debug, Clone)]
pub(crate) struct NodeFacts<'a> {
    pub distance_km: Option<Decimal>,
    pub in_market: bool,
    /// ATP per order SKU (SKU, units).
    pub atp: Vec<(&'a str, u64)>,
}

/// What `eligible` said about a node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Verdict {
    Keep,
    Exclude(String),
}

/// Runs the hooks of one decision, converting the order once.
pub(crate) struct HookRunner {
    pub reasons: Vec<Reason>,
    pub output: Vec<String>,
}

impl HookRunner {
    pub fn new(_order: &Order, _options: &DecideOptions) -> Result<Self, Error> {
        Ok(HookRunner {
            reasons: Vec::new(),
            output: Vec::new(),
        })
    }

    pub fn has_eligible(&self) -> bool {
        false
    }

    pub fn has_rank(&self) -> bool {
        false
    }

    pub fn chain(&mut self) -> Result<Option<Vec<Rule>>, Error> {
        Ok(None)
    }

    pub fn eligible(
        &mut self,
        _node: &Node,
        _facts: &NodeFacts<'_>,
    ) -> Result<Option<Verdict>, Error> {
        Ok(None)
    }

    pub fn rank(&mut self, _node: &Node, _facts: &NodeFacts<'_>) -> Result<Option<Decimal>, Error> {
        Ok(None)
    }
}
