//! Policy hooks of the refunds engine: each configuration choice can be decided per
//! request by a hook of the same name. The hook list, the schemas of its two arguments,
//! the typed views the [session](crate::policy::session) builds them from, and one
//! result reader per hook.

use super::proration::Proration;
use super::types::{
    OrderLine, PlannedLine, RateSource, RefundCurrency, RefundRequest, RemainderAbsorbedBy,
    ShippingRefund,
};
use crate::policy::schema::{Field, FieldType, Record};
use crate::policy::session::{Fill, HookArg, HookId};
use crate::policy::{bridge, HookSpec};
use crate::{Currency, Diagnostic, Money};
use rhai::Dynamic;
use rust_decimal::Decimal;

const ORDER_AND_REFUND: &[&str] = &["order", "refund"];

/// The types of the two parameters every hook takes.
const ARGS: &[FieldType] = &[FieldType::Record(&ORDER), FieldType::Record(&REFUND)];

/// The words of `refund.method` ([`RefundMethod::as_str`](super::RefundMethod::as_str)).
const METHODS: &[&str] = &["original_payment", "store_credit", "cash"];

/// The words of `refund.shipping_requested`.
const SHIPPING_REQUESTS: &[&str] = &["none", "all", "amount"];

/// The `order` argument of every hook. Nothing in it changes during a decision.
static ORDER: Record = Record {
    name: "order",
    doc: "The order being refunded, with its age and what was captured.",
    fields: &[
        Field::new(
            "age_days",
            FieldType::Int,
            "Whole days from `placed_at` to `now`.",
        ),
        Field::new(
            "captured",
            FieldType::Money,
            "The sum of the captures, in presentment currency.",
        ),
        Field::new(
            "customer_country",
            FieldType::Optional(&FieldType::String),
            "The customer's country (ISO 3166-1 alpha-2), or `()`.",
        ),
        Field::new(
            "lines",
            FieldType::Array(&FieldType::Record(&ORDER_LINE)),
            "The lines as paid.",
        ),
        Field::new("now", FieldType::Timestamp, "The time of the decision."),
        Field::new("order_id", FieldType::String, "The order's identifier."),
        Field::new(
            "placed_at",
            FieldType::Timestamp,
            "When the order was placed.",
        ),
        Field::new(
            "presentment_currency",
            FieldType::String,
            "The currency the customer paid in.",
        ),
        Field::new(
            "settlement_currency",
            FieldType::String,
            "The currency the merchant was paid out in.",
        ),
    ],
};

/// One line of `order.lines`.
static ORDER_LINE: Record = Record {
    name: "order_line",
    doc: "One line of the order as paid.",
    fields: &[
        Field::new(
            "amount",
            FieldType::Money,
            "What the line paid, tax excluded, in presentment currency.",
        ),
        Field::new(
            "line_id",
            FieldType::String,
            "The line's identifier, unique within the order.",
        ),
        Field::new("quantity", FieldType::Int, "Units bought (at least 1)."),
        Field::new(
            "tax",
            FieldType::Money,
            "The tax the line paid, in presentment currency.",
        ),
    ],
};

/// The `refund` argument of every hook: the request as prorated before any hook runs,
/// so nothing in it changes during a decision either.
static REFUND: Record = Record {
    name: "refund",
    doc: "The refund asked for, with its lines and shipping as prorated.",
    fields: &[
        Field::new(
            "amount",
            FieldType::Money,
            "Lines + tax + shipping, in presentment currency.",
        ),
        Field::new(
            "currency",
            FieldType::Optional(&FieldType::String),
            "The customer's chosen currency, or `()`.",
        ),
        Field::new(
            "idempotency_key",
            FieldType::String,
            "The request's idempotency key.",
        ),
        Field::new(
            "lines",
            FieldType::Array(&FieldType::Record(&REFUND_LINE)),
            "The prorated lines, in request order.",
        ),
        Field::new(
            "method",
            FieldType::Word(METHODS),
            "How the money goes back.",
        ),
        Field::new(
            "reason",
            FieldType::String,
            "Why (free text, kept in the plan).",
        ),
        Field::new(
            "shipping",
            FieldType::Money,
            "The shipping refunded, in presentment currency.",
        ),
        Field::new(
            "shipping_requested",
            FieldType::Word(SHIPPING_REQUESTS),
            "Which part of the shipping was asked for: none, all that remains, or an amount.",
        ),
    ],
};

/// One line of `refund.lines`.
static REFUND_LINE: Record = Record {
    name: "refund_line",
    doc: "One refunded line, as prorated.",
    fields: &[
        Field::new(
            "amount",
            FieldType::Money,
            "The line amount refunded (tax excluded), in presentment currency.",
        ),
        Field::new("line_id", FieldType::String, "The order line."),
        Field::new(
            "quantity",
            FieldType::Optional(&FieldType::Int),
            "Units refunded, or `()` for a refund by amount.",
        ),
        Field::new(
            "tax",
            FieldType::Money,
            "The tax refunded, in presentment currency.",
        ),
    ],
};

/// The hooks a refunds policy may define. Each receives the same two maps and returns
/// `()` to keep the configured choice.
///
/// `order`: `order_id`, `presentment_currency`, `settlement_currency`,
/// `customer_country` (string or `()`), `placed_at` and `now` (timestamps), `age_days`
/// (whole days from `placed_at` to `now`), `captured` (money, presentment), `lines`
/// (array of `#{line_id, quantity, amount, tax}`).
///
/// `refund`: `idempotency_key`, `reason`, `method` (`"original_payment"`,
/// `"store_credit"` or `"cash"`), `currency` (the customer's choice or `()`), `lines`
/// (array of the prorated `#{line_id, quantity, amount, tax}`), `shipping` (money),
/// `shipping_requested` (`"none"`, `"all"` or `"amount"`), `amount` (money: lines + tax +
/// shipping, presentment currency). Each hook's `args` holds the full schema.
///
/// Both maps are read-only and shared by every hook of a decision: a hook that tries to
/// change one gets a "constant" error; `let lines = order.lines;` makes a copy it may
/// change. An assignment into one (`order.extra = 1`) is refused when the policy is
/// attached (`policy.read_only_argument`).
pub static HOOKS: &[HookSpec] = &[
    HookSpec {
        name: "refund_currency",
        params: ORDER_AND_REFUND,
        args: ARGS,
        returns: r#""presentment", "settlement", "store" or "customer", or () for the configured choice"#,
        doc: "Which currency the customer is refunded in.",
    },
    HookSpec {
        name: "rate_source",
        params: ORDER_AND_REFUND,
        args: ARGS,
        returns: r#""capture" or "current", or () for the configured choice"#,
        doc: "Which exchange rate values the refund in settlement currency.",
    },
    HookSpec {
        name: "remainder_absorbed_by",
        params: ORDER_AND_REFUND,
        args: ARGS,
        returns: r#""merchant" or "customer", or () for the configured choice"#,
        doc: "Who bears the difference between the capture-time and the refund-time rate.",
    },
    HookSpec {
        name: "minimum_refund",
        params: ORDER_AND_REFUND,
        args: ARGS,
        returns:
            "a decimal or a money map in the refund currency, or () for the configured minimum",
        doc: "The smallest refund paid out; a smaller refund is rejected.",
    },
];

/// The `refund_currency` hook.
pub(super) const REFUND_CURRENCY: HookId = HookId::named(HOOKS, "refund_currency");
/// The `rate_source` hook.
pub(super) const RATE_SOURCE: HookId = HookId::named(HOOKS, "rate_source");
/// The `remainder_absorbed_by` hook.
pub(super) const REMAINDER_ABSORBED_BY: HookId = HookId::named(HOOKS, "remainder_absorbed_by");
/// The `minimum_refund` hook.
pub(super) const MINIMUM_REFUND: HookId = HookId::named(HOOKS, "minimum_refund");

/// The `order` argument: the request's order, its age at `now` and what was captured.
pub(super) struct OrderArg<'a> {
    /// The request.
    pub request: &'a RefundRequest,
    /// The sum of the captures (presentment currency), as validated.
    pub captured: Money,
}

impl HookArg for OrderArg<'_> {
    fn record(&self) -> &'static Record {
        &ORDER
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        let (order, now) = (&self.request.order, self.request.now);
        fill.int(
            "age_days",
            now.signed_duration_since(order.placed_at).num_days(),
        );
        fill.money("captured", &self.captured);
        fill.opt_text("customer_country", order.customer_country.as_deref());
        fill.records("lines", order.lines.iter().map(|l| l as &dyn HookArg));
        fill.timestamp("now", now);
        fill.text("order_id", &order.order_id);
        fill.timestamp("placed_at", order.placed_at);
        fill.text("presentment_currency", order.presentment_currency.code());
        fill.text("settlement_currency", order.settlement_currency.code());
    }
}

impl HookArg for OrderLine {
    fn record(&self) -> &'static Record {
        &ORDER_LINE
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.money("amount", &self.amount);
        fill.text("line_id", &self.line_id);
        fill.int("quantity", self.quantity);
        fill.money("tax", &self.tax);
    }
}

/// The `refund` argument: the request's refund with its prorated lines and shipping.
pub(super) struct RefundArg<'a> {
    /// The request.
    pub request: &'a RefundRequest,
    /// The prorated lines, shipping and total.
    pub proration: &'a Proration,
}

impl HookArg for RefundArg<'_> {
    fn record(&self) -> &'static Record {
        &REFUND
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        let refund = &self.request.refund;
        fill.money("amount", &self.proration.total);
        fill.opt_text("currency", refund.currency.map(Currency::code));
        fill.text("idempotency_key", &refund.idempotency_key);
        fill.records(
            "lines",
            self.proration.lines.iter().map(|l| l as &dyn HookArg),
        );
        fill.word("method", refund.method.as_str());
        fill.text("reason", &refund.reason);
        fill.money("shipping", &self.proration.shipping);
        fill.word(
            "shipping_requested",
            match refund.shipping {
                ShippingRefund::None => "none",
                ShippingRefund::All => "all",
                ShippingRefund::Amount(_) => "amount",
            },
        );
    }
}

impl HookArg for PlannedLine {
    fn record(&self) -> &'static Record {
        &REFUND_LINE
    }

    fn fill(&self, fill: &mut Fill<'_>) {
        fill.money("amount", &self.amount);
        fill.text("line_id", &self.line_id);
        fill.opt_int("quantity", self.quantity);
        fill.money("tax", &self.tax);
    }
}

/// A string result that must be one of the words `parse` accepts.
fn read_choice<T>(
    value: &Dynamic,
    hook: &str,
    expected: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> Result<T, Diagnostic> {
    let text = bridge::expect_string(value, hook, expected)?;
    parse(&text).ok_or_else(|| bridge::bad_return(hook, expected, value))
}

/// Reads what `refund_currency` returned.
pub(super) fn read_refund_currency(value: &Dynamic) -> Result<RefundCurrency, Diagnostic> {
    let expected = r#""presentment", "settlement", "store", "customer" or ()"#;
    read_choice(value, "refund_currency", expected, |s| match s {
        "presentment" => Some(RefundCurrency::Presentment),
        "settlement" => Some(RefundCurrency::Settlement),
        "store" => Some(RefundCurrency::Store),
        "customer" => Some(RefundCurrency::Customer),
        _ => None,
    })
}

/// Reads what `rate_source` returned.
pub(super) fn read_rate_source(value: &Dynamic) -> Result<RateSource, Diagnostic> {
    let expected = r#""capture", "current" or ()"#;
    read_choice(value, "rate_source", expected, |s| match s {
        "capture" => Some(RateSource::Capture),
        "current" => Some(RateSource::Current),
        _ => None,
    })
}

/// Reads what `remainder_absorbed_by` returned.
pub(super) fn read_remainder_absorbed_by(
    value: &Dynamic,
) -> Result<RemainderAbsorbedBy, Diagnostic> {
    let expected = r#""merchant", "customer" or ()"#;
    read_choice(value, "remainder_absorbed_by", expected, |s| match s {
        "merchant" => Some(RemainderAbsorbedBy::Merchant),
        "customer" => Some(RemainderAbsorbedBy::Customer),
        _ => None,
    })
}

/// Reads what `minimum_refund` returned: a decimal, or a money map in `currency` (the
/// refund currency), not negative; the minimum's amount.
pub(super) fn read_minimum_refund(
    value: &Dynamic,
    currency: Currency,
) -> Result<Decimal, Diagnostic> {
    let hook = "minimum_refund";
    let expected = format!("a decimal or a money map in {currency} (the refund currency), or ()");
    if value.is_map() {
        let money = bridge::expect_money(value, hook, &expected)?;
        if money.currency() == currency && !money.is_negative() {
            Ok(money.amount())
        } else {
            Err(bridge::bad_return(hook, &expected, value))
        }
    } else {
        let amount = bridge::expect_decimal(value, hook, &expected)?;
        if amount.is_sign_negative() && !amount.is_zero() {
            Err(bridge::bad_return(hook, &expected, value))
        } else {
            Ok(amount)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::refunds::RefundMethod;

    #[test]
    fn every_record_of_every_hook_is_sorted_by_field_name() {
        let mut seen = Vec::new();
        for spec in HOOKS {
            assert_eq!(spec.args.len(), spec.params.len(), "{}", spec.name);
            for record in spec.args.iter().filter_map(|ty| ty.record()) {
                for r in record.reachable() {
                    let names: Vec<&str> = r.fields.iter().map(|f| f.name).collect();
                    let mut sorted = names.clone();
                    sorted.sort_unstable();
                    sorted.dedup();
                    assert_eq!(names, sorted, "fields of `{}`", r.name);
                    seen.push(r.name);
                }
            }
        }
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen, ["order", "order_line", "refund", "refund_line"]);
    }

    #[test]
    fn every_hook_id_resolves() {
        use crate::policy::session::BoundHooks;
        use crate::policy::{Policy, PolicyRuntime};
        let ids = [
            (REFUND_CURRENCY, "refund_currency"),
            (RATE_SOURCE, "rate_source"),
            (REMAINDER_ABSORBED_BY, "remainder_absorbed_by"),
            (MINIMUM_REFUND, "minimum_refund"),
        ];
        assert_eq!(ids.len(), HOOKS.len());
        for (id, name) in ids {
            // A policy defining only this hook defines this id and no other.
            let source = format!("fn {name}(order, refund) {{ () }}");
            let policy = Policy::compile("p.rhai", &source, &PolicyRuntime::new()).unwrap();
            let bound = BoundHooks::bind(policy, "refunds", HOOKS).unwrap();
            assert!(bound.defines(id), "{name}");
            for (other, other_name) in ids {
                assert_eq!(
                    bound.defines(other),
                    other_name == name,
                    "{name}: {other_name}"
                );
            }
        }
    }

    #[test]
    fn words_are_the_json_names() {
        let methods: Vec<&str> = [
            RefundMethod::OriginalPayment,
            RefundMethod::StoreCredit,
            RefundMethod::Cash,
        ]
        .map(RefundMethod::as_str)
        .to_vec();
        assert_eq!(METHODS, methods.as_slice());
        for (shipping, word) in [
            (ShippingRefund::None, "none"),
            (ShippingRefund::All, "all"),
            (ShippingRefund::Amount(Money::zero(Currency::USD)), "amount"),
        ] {
            let json = serde_json::to_value(shipping).unwrap();
            let name = json
                .as_str()
                .map(str::to_string)
                .or_else(|| json.as_object().and_then(|o| o.keys().next().cloned()));
            assert_eq!(name.as_deref(), Some(word));
            assert!(SHIPPING_REQUESTS.contains(&word));
        }
    }
}
