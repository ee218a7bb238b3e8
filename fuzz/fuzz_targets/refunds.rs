//! Fuzz target `refunds`: arbitrary orders, earlier refunds and refund requests (built
//! from fuzzed numbers around a valid USD/CAD order, plus raw JSON requests). Asserts:
//! no panic; every plan's ledger balances; nothing is refunded beyond what was captured;
//! feeding a plan back as an earlier refund replays it byte for byte.
#![no_main]

use arbitrary::Arbitrary;
use backoffice::refunds::{
    is_balanced, EarlierRefund, RateSource, RefundRequest, RefundsConfig, RefundsEngine,
    RemainderAbsorbedBy,
};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

#[derive(Debug, Arbitrary)]
struct Line {
    quantity: i8,
    amount_cents: u32,
    tax_cents: u16,
}

#[derive(Debug, Arbitrary)]
struct Ask {
    line: u8,
    quantity: Option<i8>,
    amount_cents: Option<i32>,
    shipping: u8,
    method: u8,
}

#[derive(Debug, Arbitrary)]
struct Input {
    currencies: (u8, u8, u8),
    lines: Vec<Line>,
    shipping_cents: u16,
    capture_rate_bp: u32,
    current_rate_bp: u32,
    current: bool,
    customer_absorbs: bool,
    asks: Vec<Ask>,
    key: String,
    json: String,
}

const CURRENCIES: [&str; 6] = ["USD", "CAD", "JPY", "BHD", "EUR", "CHF"];

fn amount(minor: i64, currency: &str) -> serde_json::Value {
    let scale = match currency {
        "JPY" => 0,
        "BHD" => 3,
        _ => 2,
    };
    json!({"amount": rust_decimal::Decimal::new(minor, scale).to_string(), "currency": currency})
}

fn check(engine: &RefundsEngine, request: &mut RefundRequest) {
    let Ok(decision) = engine.decide(request) else { return };
    let plan = decision.outcome.plan;
    assert!(is_balanced(&plan.ledger), "{plan:?}");
    let captured: rust_decimal::Decimal = request.order.captures.iter().map(|c| c.amount.amount()).sum();
    let before: rust_decimal::Decimal = request.earlier_refunds.iter().map(|e| e.plan.presentment_amount.amount()).sum();
    assert!(before + plan.presentment_amount.amount() <= captured);
    if decision.outcome.replay {
        return;
    }
    let bytes = serde_json::to_string(&plan).unwrap();
    request.earlier_refunds.push(EarlierRefund {
        idempotency_key: plan.idempotency_key.clone(),
        fingerprint: plan.fingerprint.clone(),
        plan: serde_json::from_str(&bytes).unwrap(),
    });
    let replay = engine.decide(request).unwrap();
    assert!(replay.outcome.replay);
    assert_eq!(serde_json::to_string(&replay.outcome.plan).unwrap(), bytes);
}

fuzz_target!(|input: Input| {
    let pick = |i: u8| CURRENCIES[usize::from(i) % CURRENCIES.len()];
    let (pres, settl, customer) = (pick(input.currencies.0), pick(input.currencies.1), pick(input.currencies.2));
    let engine = RefundsEngine::new(RefundsConfig {
        rate_source: if input.current { RateSource::Current } else { RateSource::Capture },
        remainder_absorbed_by: if input.customer_absorbs { RemainderAbsorbedBy::Customer } else { RemainderAbsorbedBy::Merchant },
        refund_currency: if input.key.len() % 2 == 0 { Default::default() } else { backoffice::refunds::RefundCurrency::Customer },
        cash_rounding: vec![backoffice::Money::new(rust_decimal::Decimal::new(5, 2), backoffice::Currency::CHF)],
        ..RefundsConfig::default()
    })
    .unwrap();

    // Raw JSON: must never panic.
    if let Ok(mut request) = serde_json::from_str::<RefundRequest>(&input.json) {
        check(&engine, &mut request);
    }

    let lines: Vec<_> = input.lines.iter().take(6).enumerate().map(|(i, l)| json!({
        "line_id": format!("L{i}"), "quantity": l.quantity,
        "amount": amount(i64::from(l.amount_cents), pres), "tax": amount(i64::from(l.tax_cents), pres)})).collect();
    let total: i64 = input.lines.iter().take(6).map(|l| i64::from(l.amount_cents) + i64::from(l.tax_cents)).sum::<i64>()
        + i64::from(input.shipping_cents);
    let capture_rate = rust_decimal::Decimal::new(i64::from(input.capture_rate_bp), 4);
    let settled = (rust_decimal::Decimal::new(total, 0) * capture_rate).trunc().max(rust_decimal::Decimal::ONE);
    let order = json!({
        "order_id": "o-fuzz", "presentment_currency": pres, "settlement_currency": settl,
        "placed_at": "2026-03-01T10:00:00Z", "customer_country": "FR",
        "captures": [{"amount": amount(total, pres), "settled": amount(settled.mantissa() as i64, settl),
                      "rate": if pres == settl { "1".to_string() } else { capture_rate.to_string() },
                      "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": lines, "shipping": amount(i64::from(input.shipping_cents), pres),
    });
    let rates = json!({"rates": [
        {"from": pres, "to": settl, "rate": rust_decimal::Decimal::new(i64::from(input.current_rate_bp), 4).to_string(), "as_of": "2026-03-09T09:00:00Z"},
        {"from": settl, "to": customer, "rate": "1.1", "as_of": "2026-03-09T09:00:00Z"},
        {"from": pres, "to": customer, "rate": "0.9", "as_of": "2026-03-09T09:00:00Z"}]});
    let Ok(mut request) = serde_json::from_value::<RefundRequest>(json!({
        "order": order, "rates": rates, "now": "2026-03-09T12:00:00Z",
        "refund": {"idempotency_key": "k", "reason": "fuzz", "method": "cash"}})) else { return };
    for (n, ask) in input.asks.iter().take(8).enumerate() {
        let line = json!({"line_id": format!("L{}", ask.line % 7), "quantity": ask.quantity,
                          "amount": ask.amount_cents.map(|c| amount(i64::from(c), pres))});
        let method = ["original_payment", "store_credit", "cash"][usize::from(ask.method % 3)];
        let shipping = match ask.shipping % 3 {
            0 => json!("none"),
            1 => json!("all"),
            _ => json!({"amount": amount(i64::from(ask.shipping), pres)}),
        };
        let refund = json!({
            "idempotency_key": if n == 0 { input.key.clone() } else { format!("k{n}") },
            "lines": if ask.line % 8 == 7 { json!([]) } else { json!([line]) },
            "shipping": shipping,
            "reason": "fuzz",
            "method": method,
            "currency": customer,
        });
        let Ok(refund) = serde_json::from_value(refund) else { continue };
        request.refund = refund;
        check(&engine, &mut request);
    }
});
