//! Fuzz target `returns`: structured orders, return items and earlier returns
//! (`arbitrary`, built as JSON around a valid EUR order) plus raw JSON requests → decide.
//! Asserts: no panic; the refund is never negative and never above what the returned
//! lines were paid minus what was refunded for them before; amounts are whole cents in
//! the order currency; deciding twice gives the same decision.
#![no_main]

use arbitrary::Arbitrary;
use backoffice::returns::{ReturnRequest, ReturnsConfig, ReturnsEngine};
use libfuzzer_sys::fuzz_target;
use rust_decimal::Decimal;
use serde_json::{json, Value};

#[derive(Debug, Arbitrary)]
struct Line {
    unit_cents: u32,
    quantity: u8,
    discount_cents: u32,
    tax_cents: u16,
    category: u8,
    final_sale: bool,
}

#[derive(Debug, Arbitrary)]
struct Item {
    line: u8,
    quantity: u8,
    reason: u8,
    condition: u8,
}

#[derive(Debug, Arbitrary)]
struct Input {
    lines: Vec<Line>,
    order_discount_cents: u32,
    items: Vec<Item>,
    previous: Vec<(u8, u8, u32)>,
    delivered_days_ago: u8,
    settlement: u8,
    prior_returns: u8,
    json: String,
}

const SETTLEMENTS: [&str; 3] = ["original_payment", "store_credit", "exchange"];
const CATEGORIES: [&str; 4] = ["home", "shoes", "electronics", "apparel"];
const REASONS: [&str; 5] = [
    "changed_mind",
    "size_too_small",
    "defective",
    "not_as_described",
    "arrived_late",
];
const CONDITIONS: [&str; 5] = ["new", "opened", "used", "damaged", "missing_parts"];

fn cents(c: i64) -> Value {
    json!({"amount": Decimal::new(c, 2).to_string(), "currency": "EUR"})
}

fn check(engine: &ReturnsEngine, request: &ReturnRequest, paid_per_line: &[(String, i64)]) {
    let Ok(decision) = engine.decide(request) else {
        return;
    };
    let again = engine.decide(request).unwrap();
    assert_eq!(
        serde_json::to_string(&decision).unwrap(),
        serde_json::to_string(&again).unwrap()
    );
    let total = decision.outcome.refund.total;
    assert_eq!(total.currency(), request.order.currency);
    assert!(total.amount() >= Decimal::ZERO, "negative refund {total:?}");
    if paid_per_line.is_empty() {
        return;
    }
    // Upper bound: for each returned line, what it was paid minus earlier refunds.
    let mut bound = Decimal::ZERO;
    for (line_id, paid) in paid_per_line {
        if request.items.iter().any(|i| &i.line_id == line_id) {
            let earlier: Decimal = request
                .previous_returns
                .iter()
                .filter(|p| &p.line_id == line_id)
                .map(|p| p.refunded.amount())
                .sum();
            bound += (Decimal::new(*paid, 2) - earlier).max(Decimal::ZERO);
        }
    }
    assert!(
        total.amount() <= bound,
        "refund {} > bound {bound}",
        total.amount()
    );
    assert_eq!(total.amount(), total.amount().round_dp(2));
}

fuzz_target!(|input: Input| {
    let Ok(engine) = ReturnsEngine::new(ReturnsConfig::default()) else {
        return;
    };
    if let Ok(request) = serde_json::from_str::<ReturnRequest>(&input.json) {
        check(&engine, &request, &[]);
    }
    let lines: Vec<&Line> = input.lines.iter().take(5).collect();
    if lines.is_empty() {
        return;
    }
    let mut paid = Vec::new();
    let order_lines: Vec<Value> = lines
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let quantity = u32::from(l.quantity % 12) + 1;
            let gross = i64::from(l.unit_cents % 5_000_000) * i64::from(quantity);
            let discount = i64::from(l.discount_cents).min(gross);
            paid.push((format!("L{i}"), gross - discount + i64::from(l.tax_cents)));
            json!({
                "line_id": format!("L{i}"), "sku": format!("SKU{i}"),
                "category": CATEGORIES[usize::from(l.category) % CATEGORIES.len()],
                "quantity": quantity, "unit_price": cents(i64::from(l.unit_cents % 5_000_000)),
                "discount": cents(discount), "tax": cents(i64::from(l.tax_cents)),
                "final_sale": l.final_sale,
            })
        })
        .collect();
    let net: i64 = paid.iter().map(|(_, p)| *p).sum();
    let items: Vec<Value> = input
        .items
        .iter()
        .take(6)
        .map(|it| {
            json!({
                "line_id": format!("L{}", usize::from(it.line) % (lines.len() + 1)),
                "quantity": it.quantity % 14,
                "reason": REASONS[usize::from(it.reason) % REASONS.len()],
                "condition": CONDITIONS[usize::from(it.condition) % CONDITIONS.len()],
            })
        })
        .collect();
    let previous: Vec<Value> = input
        .previous
        .iter()
        .take(4)
        .map(|(line, q, c)| {
            json!({"line_id": format!("L{}", usize::from(*line) % lines.len()), "quantity": q % 6,
                   "refunded": cents(i64::from(*c))})
        })
        .collect();
    let delivered = chrono::DateTime::parse_from_rfc3339("2025-03-10T10:00:00Z").unwrap()
        - chrono::Duration::days(i64::from(input.delivered_days_ago));
    let request = json!({
        "order": {
            "order_id": "F-1", "currency": "EUR", "payment_method": "card",
            "placed_at": "2024-11-01T10:00:00Z", "delivered_at": delivered.to_rfc3339(),
            "order_discount": cents(i64::from(input.order_discount_cents).min(net.max(0))),
            "lines": order_lines,
        },
        "items": items,
        "previous_returns": previous,
        "requested_settlement": SETTLEMENTS[usize::from(input.settlement % 3)],
        "customer": {"returns_90d": input.prior_returns, "orders_90d": 1},
        "now": "2025-03-10T10:00:00Z",
    });
    let Ok(request) = serde_json::from_value::<ReturnRequest>(request) else {
        return;
    };
    check(&engine, &request, &paid);
});
