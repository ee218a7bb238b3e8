#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Refund invariants of the returns engine, as properties.

use backoffice::returns::{ItemStatus, ReturnRequest, ReturnsConfig, ReturnsEngine};
use proptest::prelude::*;
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn cents(c: i64) -> Value {
    json!({"amount": Decimal::new(c, 2).to_string(), "currency": "EUR"})
}

#[derive(Debug, Clone)]
struct Order {
    unit_price: [i64; 2],
    quantity: [u32; 2],
    line_discount: [i64; 2],
    tax: [i64; 2],
    order_discount: i64,
}

fn order_strategy() -> impl Strategy<Value = Order> {
    (
        [1i64..50_000, 1i64..50_000],
        [1u32..12, 1u32..12],
        [0u32..=100, 0u32..=100],
        [0i64..5_000, 0i64..5_000],
        0u32..=100,
    )
        .prop_map(|(unit_price, quantity, discount_pct, tax, order_pct)| {
            let gross = |i: usize| unit_price[i] * i64::from(quantity[i]);
            let line_discount = [
                gross(0) * i64::from(discount_pct[0]) / 200,
                gross(1) * i64::from(discount_pct[1]) / 200,
            ];
            let net = gross(0) - line_discount[0] + gross(1) - line_discount[1];
            Order {
                unit_price,
                quantity,
                line_discount,
                tax,
                order_discount: net * i64::from(order_pct) / 200,
            }
        })
}

impl Order {
    /// Everything the customer paid for the order (cents).
    fn paid(&self) -> i64 {
        (0..2)
            .map(|i| {
                self.unit_price[i] * i64::from(self.quantity[i]) - self.line_discount[i]
                    + self.tax[i]
            })
            .sum::<i64>()
            - self.order_discount
    }

    fn request(&self, items: Vec<Value>, previous: Vec<Value>) -> ReturnRequest {
        let line = |i: usize| {
            json!({
                "line_id": format!("L{i}"), "sku": format!("SKU{i}"), "category": "home",
                "quantity": self.quantity[i], "unit_price": cents(self.unit_price[i]),
                "discount": cents(self.line_discount[i]), "tax": cents(self.tax[i])
            })
        };
        serde_json::from_value(json!({
            "order": {
                "order_id": "P", "currency": "EUR", "payment_method": "card",
                "placed_at": "2025-03-01T10:00:00Z", "delivered_at": "2025-03-03T10:00:00Z",
                "order_discount": cents(self.order_discount),
                "lines": [line(0), line(1)]
            },
            "items": items,
            "previous_returns": previous,
            "now": "2025-03-10T10:00:00Z"
        }))
        .unwrap()
    }
}

fn item(line: usize, quantity: u32) -> Value {
    json!({"line_id": format!("L{line}"), "quantity": quantity, "reason": "changed_mind", "condition": "new"})
}

fn engine() -> ReturnsEngine {
    ReturnsEngine::new(ReturnsConfig::default()).unwrap()
}

fn to_cents(d: Decimal) -> i64 {
    let c = d * Decimal::ONE_HUNDRED;
    assert_eq!(c, c.trunc(), "{d} is not whole cents");
    c.to_i64().unwrap()
}

/// Splits `total` units into chunks whose sizes come from `cuts`.
fn chunks(total: u32, cuts: &[u32]) -> Vec<u32> {
    let mut left = total;
    let mut out = Vec::new();
    for &cut in cuts {
        if left == 0 {
            break;
        }
        let take = 1 + cut % left;
        out.push(take);
        left -= take;
    }
    if left > 0 {
        out.push(left);
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Returning every unit of both lines, in any sequence of partial returns, refunds
    /// exactly what the order paid, to the cent.
    #[test]
    fn partial_returns_of_all_units_sum_to_what_was_paid(
        order in order_strategy(),
        cuts0 in proptest::collection::vec(0u32..12, 0..6),
        cuts1 in proptest::collection::vec(0u32..12, 0..6),
    ) {
        let e = engine();
        let mut previous: Vec<Value> = Vec::new();
        let mut refunded = 0i64;
        for (line, cuts) in [(0usize, &cuts0), (1usize, &cuts1)] {
            for quantity in chunks(order.quantity[line], cuts) {
                let d = e.decide(&order.request(vec![item(line, quantity)], previous.clone())).unwrap();
                prop_assert_eq!(d.outcome.items[0].status, ItemStatus::Accepted);
                let total = d.outcome.refund.total;
                refunded += to_cents(total.amount());
                previous.push(json!({"line_id": format!("L{line}"), "quantity": quantity, "refunded": total}));
            }
        }
        prop_assert_eq!(refunded, order.paid());

        // All at once gives the same.
        let all = e.decide(&order.request(vec![item(0, order.quantity[0]), item(1, order.quantity[1])], vec![])).unwrap();
        prop_assert_eq!(to_cents(all.outcome.refund.total.amount()), order.paid());
    }

    /// Whatever was refunded before, a refund never exceeds what the line was paid minus
    /// earlier refunds, and never goes below zero.
    #[test]
    fn a_refund_never_exceeds_paid_minus_earlier_refunds(
        order in order_strategy(),
        earlier_units in 0u32..12,
        earlier_refunded in 0i64..2_000_000,
        quantity in 1u32..12,
    ) {
        let e = engine();
        let bought = order.quantity[0];
        let earlier_units = earlier_units % bought;
        let quantity = 1 + (quantity - 1) % (bought - earlier_units);
        // What line 0 was paid: return it whole in a fresh request.
        let whole = e.decide(&order.request(vec![item(0, bought)], vec![])).unwrap();
        let line_paid = to_cents(whole.outcome.refund.total.amount());
        let previous = if earlier_units > 0 {
            vec![json!({"line_id": "L0", "quantity": earlier_units, "refunded": cents(earlier_refunded)})]
        } else {
            vec![]
        };
        let earlier = if earlier_units > 0 { earlier_refunded } else { 0 };
        let d = e.decide(&order.request(vec![item(0, quantity)], previous)).unwrap();
        let refund = to_cents(d.outcome.refund.total.amount());
        prop_assert!(refund >= 0);
        prop_assert!(refund <= (line_paid - earlier).max(0), "refund {} > paid {} - earlier {}", refund, line_paid, earlier);
    }
}

#[test]
fn chunking_covers_every_unit() {
    assert_eq!(chunks(5, &[0, 7]), vec![1, 4]);
    assert_eq!(chunks(5, &[1, 1]), vec![2, 2, 1]);
    assert_eq!(chunks(3, &[]), vec![3]);
}
