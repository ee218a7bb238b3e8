#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! Properties of the refunds engine over random sequences of partial refunds: it never
//! over-refunds, the ledger always balances, per-line totals reconcile exactly once
//! everything is refunded, and replays are byte-identical.

use backoffice::refunds::{
    is_balanced, EarlierRefund, RefundPlan, RefundRequest, RefundsConfig, RefundsEngine,
};
use backoffice::Currency;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

#[derive(Debug, Clone)]
struct LineSpec {
    quantity: i64,
    amount_minor: i64,
    tax_minor: i64,
}

#[derive(Debug, Clone)]
enum Ask {
    Units(usize, i64),
    Amount(usize, i64),
    Shipping(Option<i64>),
}

fn decimal(minor: i64, currency: Currency) -> String {
    Decimal::new(minor, u32::from(currency.minor_units().unwrap())).to_string()
}

fn money(minor: i64, currency: Currency) -> Value {
    json!({"amount": decimal(minor, currency), "currency": currency.code()})
}

fn pairs() -> impl Strategy<Value = (Currency, Currency, &'static str)> {
    prop_oneof![
        Just((Currency::USD, Currency::CAD, "1.3512")),
        Just((Currency::JPY, Currency::USD, "0.0067")),
        Just((Currency::BHD, Currency::USD, "2.6596")),
        Just((Currency::USD, Currency::BHD, "0.376")),
        Just((Currency::EUR, Currency::EUR, "1")),
    ]
}

fn asks(lines: usize) -> impl Strategy<Value = Vec<Ask>> {
    prop::collection::vec(
        prop_oneof![
            4 => (0..lines, 1i64..=4).prop_map(|(l, q)| Ask::Units(l, q)),
            2 => (0..lines, 1i64..=6000).prop_map(|(l, a)| Ask::Amount(l, a)),
            1 => prop::option::of(1i64..=800).prop_map(Ask::Shipping),
        ],
        0..8,
    )
}

#[allow(clippy::type_complexity)]
fn scenario() -> impl Strategy<
    Value = (
        (Currency, Currency, &'static str),
        Vec<LineSpec>,
        i64,
        Vec<Ask>,
        Value,
    ),
> {
    (
        pairs(),
        prop::collection::vec(
            (1i64..=5, 0i64..=10_000, 0i64..=2_000).prop_map(
                |(quantity, amount_minor, tax_minor)| LineSpec {
                    quantity,
                    amount_minor,
                    tax_minor,
                },
            ),
            1..4,
        ),
        0i64..=1_500,
        prop_oneof![Just("merchant"), Just("customer")],
        prop_oneof![Just("capture"), Just("current")],
        prop_oneof![Just("original_payment"), Just("store_credit"), Just("cash")],
        prop_oneof![
            Just("1.2"),
            Just("0.0071"),
            Just("2.7"),
            Just("0.35"),
            Just("1")
        ],
    )
        .prop_flat_map(
            |(pair, lines, shipping, absorbed, source, method, current)| {
                let n = lines.len();
                let config = json!({"remainder_absorbed_by": absorbed, "rate_source": source,
                                "cash_rounding": [{"amount": "0.05", "currency": "CHF"}],
                                "method": method, "current": current});
                (
                    Just(pair),
                    Just(lines),
                    Just(shipping),
                    asks(n),
                    Just(config),
                )
            },
        )
}

fn build(
    pair: (Currency, Currency, &'static str),
    lines: &[LineSpec],
    shipping: i64,
    setup: &Value,
) -> (RefundsEngine, RefundRequest, i64) {
    let (pres, settl, rate) = pair;
    let total: i64 = lines
        .iter()
        .map(|l| l.amount_minor + l.tax_minor)
        .sum::<i64>()
        + shipping;
    let captured = Decimal::new(total, u32::from(pres.minor_units().unwrap()));
    let settled = (captured * rate.parse::<Decimal>().unwrap()).round_dp_with_strategy(
        u32::from(settl.minor_units().unwrap()),
        rust_decimal::RoundingStrategy::MidpointNearestEven,
    );
    let settled = settled.max(Decimal::new(1, u32::from(settl.minor_units().unwrap())));
    let order = json!({
        "order_id": "o-prop", "presentment_currency": pres.code(), "settlement_currency": settl.code(),
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": {"amount": captured.to_string(), "currency": pres.code()},
                      "settled": {"amount": settled.to_string(), "currency": settl.code()},
                      "rate": rate, "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": lines.iter().enumerate().map(|(i, l)| json!({
            "line_id": format!("L{i}"), "quantity": l.quantity,
            "amount": money(l.amount_minor, pres), "tax": money(l.tax_minor, pres)})).collect::<Vec<_>>(),
        "shipping": money(shipping, pres),
    });
    let current = if pres == settl {
        "1"
    } else {
        setup["current"].as_str().unwrap()
    };
    let rates = if pres == settl {
        json!([])
    } else {
        json!([{"from": pres.code(), "to": settl.code(), "rate": current, "as_of": "2026-03-09T09:00:00Z"}])
    };
    let request: RefundRequest = serde_json::from_value(json!({
        "order": order,
        "refund": {"idempotency_key": "placeholder", "lines": [], "reason": "prop", "method": setup["method"]},
        "rates": {"rates": rates},
        "now": "2026-03-09T12:00:00Z"
    }))
    .unwrap();
    let config: RefundsConfig = serde_json::from_value(json!({
        "remainder_absorbed_by": setup["remainder_absorbed_by"],
        "rate_source": setup["rate_source"],
        "cash_rounding": setup["cash_rounding"],
    }))
    .unwrap();
    (RefundsEngine::new(config).unwrap(), request, total)
}

/// What has been refunded so far, per line (units, amount, tax) and for shipping.
fn refunded(request: &RefundRequest) -> (Vec<(i64, Decimal, Decimal)>, Decimal, Decimal, Decimal) {
    let mut lines = vec![(0, Decimal::ZERO, Decimal::ZERO); request.order.lines.len()];
    let (mut shipping, mut total, mut basis) = (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO);
    for earlier in &request.earlier_refunds {
        for line in &earlier.plan.lines {
            let i: usize = line.line_id[1..].parse().unwrap();
            lines[i].0 += line.quantity.unwrap_or(0);
            lines[i].1 += line.amount.amount();
            lines[i].2 += line.tax.amount();
        }
        shipping += earlier.plan.shipping.amount();
        total += earlier.plan.presentment_amount.amount();
        basis += earlier.plan.fx.basis.amount();
    }
    (lines, shipping, total, basis)
}

fn check_plan_and_replay(
    engine: &RefundsEngine,
    request: &mut RefundRequest,
    plan: RefundPlan,
) -> Result<(), TestCaseError> {
    prop_assert!(
        is_balanced(&plan.ledger),
        "unbalanced ledger {:?}",
        plan.ledger
    );
    prop_assert!(plan
        .ledger
        .iter()
        .all(|e| !e.amount.is_negative() && !e.amount.is_zero()));
    let bytes = serde_json::to_string(&plan).unwrap();
    let stored: EarlierRefund = serde_json::from_value(json!({
        "idempotency_key": plan.idempotency_key, "fingerprint": plan.fingerprint,
        "plan": serde_json::from_str::<Value>(&bytes).unwrap()}))
    .unwrap();
    request.earlier_refunds.push(stored);
    let replay = engine.decide(request).unwrap();
    prop_assert!(replay.outcome.replay);
    prop_assert_eq!(serde_json::to_string(&replay.outcome.plan).unwrap(), bytes);
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(192))]

    #[test]
    fn random_partial_refunds_never_over_refund_and_reconcile(
        (pair, lines, shipping, asks, setup) in scenario()
    ) {
        let (engine, mut request, _total) = build(pair, &lines, shipping, &setup);
        let pres = pair.0;
        let scale = u32::from(pres.minor_units().unwrap());
        for (n, ask) in asks.iter().enumerate() {
            let (done, shipping_done, _, _) = refunded(&request);
            let (refund_lines, shipping_ask, over) = match ask {
                Ask::Units(l, q) => {
                    let l = l % lines.len();
                    (json!([{"line_id": format!("L{l}"), "quantity": q}]), json!("none"),
                     *q > lines[l].quantity - done[l].0)
                }
                Ask::Amount(l, a) => {
                    let l = l % lines.len();
                    (json!([{"line_id": format!("L{l}"), "amount": money(*a, pres)}]), json!("none"),
                     Decimal::new(*a, scale) > Decimal::new(lines[l].amount_minor, scale) - done[l].1)
                }
                Ask::Shipping(None) => (json!([]), json!("all"), false),
                Ask::Shipping(Some(a)) => (json!([]), json!({"amount": money(*a, pres)}),
                    Decimal::new(*a, scale) > Decimal::new(shipping, scale) - shipping_done),
            };
            request.refund = serde_json::from_value(json!({
                "idempotency_key": format!("k-{n}"), "lines": refund_lines, "shipping": shipping_ask,
                "reason": "prop", "method": setup["method"]})).unwrap();
            match engine.decide(&request) {
                Ok(decision) => {
                    prop_assert!(!over, "over-refund accepted: {:?}", ask);
                    if let Ask::Units(l, q) = ask {
                        // Largest remainder: within one minor unit of the exact share.
                        let l = l % lines.len();
                        let units_left = Decimal::from(lines[l].quantity - done[l].0);
                        let share = Decimal::from(*q) / units_left;
                        let one = Decimal::new(1, scale);
                        let line = &decision.outcome.plan.lines[0];
                        let exact_amount = (Decimal::new(lines[l].amount_minor, scale) - done[l].1) * share;
                        let exact_tax = (Decimal::new(lines[l].tax_minor, scale) - done[l].2) * share;
                        prop_assert!((line.amount.amount() - exact_amount).abs() < one, "{:?} vs {}", line, exact_amount);
                        prop_assert!((line.tax.amount() - exact_tax).abs() < one, "{:?} vs {}", line, exact_tax);
                    }
                    prop_assert!(!decision.outcome.replay);
                    check_plan_and_replay(&engine, &mut request, decision.outcome.plan)?;
                }
                Err(error) => {
                    if over {
                        prop_assert_eq!(error.code(), "over_refund");
                    } else {
                        prop_assert_eq!(error.code(), "refund_rounds_to_zero", "{}", error);
                    }
                }
            }
            let (done, shipping_done, total_done, _) = refunded(&request);
            for (l, line) in lines.iter().enumerate() {
                prop_assert!(done[l].0 <= line.quantity);
                prop_assert!(done[l].1 <= Decimal::new(line.amount_minor, scale));
                prop_assert!(done[l].2 <= Decimal::new(line.tax_minor, scale));
            }
            prop_assert!(shipping_done <= Decimal::new(shipping, scale));
            prop_assert!(total_done <= request.order.captures[0].amount.amount());
        }

        // Refund everything that remains, then every line reconciles exactly.
        let (done, _, _, _) = refunded(&request);
        let remaining: Vec<Value> = lines.iter().enumerate()
            .filter(|(l, line)| line.quantity > done[*l].0)
            .map(|(l, line)| json!({"line_id": format!("L{l}"), "quantity": line.quantity - done[l].0}))
            .collect();
        request.refund = serde_json::from_value(json!({
            "idempotency_key": "final", "lines": remaining, "shipping": "all",
            "reason": "prop", "method": setup["method"]})).unwrap();
        match engine.decide(&request) {
            Ok(decision) => check_plan_and_replay(&engine, &mut request, decision.outcome.plan)?,
            Err(error) => {
                // What remains converts to nothing (e.g. JPY 1 at 0.0067 USD): there is no
                // refund to make, so nothing to reconcile.
                prop_assert_eq!(error.code(), "refund_rounds_to_zero", "{}", error);
                return Ok(());
            }
        }
        let (done, shipping_done, total_done, basis_done) = refunded(&request);
        for (l, line) in lines.iter().enumerate() {
            prop_assert_eq!(done[l].0, line.quantity);
            prop_assert_eq!(done[l].1, Decimal::new(line.amount_minor, scale));
            prop_assert_eq!(done[l].2, Decimal::new(line.tax_minor, scale));
        }
        prop_assert_eq!(shipping_done, Decimal::new(shipping, scale));
        let capture = &request.order.captures[0];
        if total_done == capture.amount.amount() {
            prop_assert_eq!(basis_done, capture.settled.amount());
        }
    }
}
