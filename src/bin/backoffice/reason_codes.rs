//! The reason codes each engine's built-in rules can put into a decision, for
//! `backoffice test`'s check that `excludes` names a code that could appear at all.
//!
//! `tests/cli.rs` keeps this list honest both ways: every code here occurs in the
//! engine's source, and every reason code in the golden fixtures is here.

use backoffice::address::codes;

/// Codes every engine may emit.
const ANY_ENGINE: &[&str] = &["policy_error"];

/// The built-in reason codes of the engine `kind` (empty for an unknown engine).
pub fn builtin(kind: &str) -> Vec<&'static str> {
    let own: &[&str] = match kind {
        "routing" => &[
            "backordered",
            "chain_from_policy",
            "insufficient_stock",
            "node_excluded_by_policy",
            "preferred_node_ineligible",
            "rank_from_policy",
            "routed",
            "rule_abstained",
            "search_budget_exhausted",
            "split_constraints",
            "unfillable",
        ],
        "returns" => &[
            "condition_damaged",
            "condition_missing_parts",
            "condition_new",
            "condition_opened",
            "condition_used",
            "customer_allow_listed",
            "customer_block_listed",
            "disposition_from_policy",
            "eligibility_from_policy",
            "exceeds_returnable_quantity",
            "exchange_not_offered",
            "final_sale",
            "fraud_deny",
            "fraud_review",
            "fraud_signals_from_policy",
            "gift_card_not_returnable",
            "hygiene_opened",
            "not_yet_delivered",
            "outside_return_window",
            "policy_return_shipping_fee",
            "policy_settlement",
            "refund_capped",
            "restocking_fee_from_policy",
            "review_route",
            "statutory_window_protects",
            "store_credit_after_days",
            "window_from_policy",
            "window_from_shipment",
            "within_return_window",
        ],
        "refunds" => &[
            "cash_rounded",
            "fx_gain",
            "fx_loss",
            "idempotent_replay",
            "minimum_refund_from_policy",
            "rate_source_from_policy",
            "refund_currency_from_policy",
            "refund_planned",
            "remainder_absorbed_by_from_policy",
        ],
        "address" => &[
            "valid",
            codes::MISSING_REQUIRED_FIELD,
            codes::INVALID_FORMAT,
            codes::MISMATCHING_VALUE,
            codes::UNKNOWN_VALUE,
            codes::UNEXPECTED_FIELD,
            codes::POSTAL_PREFIX_REMOVED,
            codes::LEADING_ZEROS_RESTORED,
            "problems_from_policy",
        ],
        _ => &[],
    };
    ANY_ENGINE.iter().chain(own).copied().collect()
}
