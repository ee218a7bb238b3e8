#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]
//! The refunds engine: every example of issue 6, bad input, caps and idempotency.

use backoffice::refunds::{
    is_balanced, EarlierRefund, LedgerEntry, RefundRequest, RefundsConfig, RefundsEngine, Side,
};
use backoffice::{Currency, Error, Money};
use rust_decimal::Decimal;
use rust_decimal_macros::dec;
use serde_json::{json, Value};

fn engine(config: Value) -> RefundsEngine {
    RefundsEngine::new(serde_json::from_value::<RefundsConfig>(config).unwrap()).unwrap()
}

fn money(amount: &str, currency: &str) -> Value {
    json!({"amount": amount, "currency": currency})
}

/// A USD order settled in CAD, captured at 1.35: one line of 40.00, no tax.
fn usd_cad_order() -> Value {
    json!({
        "order_id": "o-1001",
        "presentment_currency": "USD",
        "settlement_currency": "CAD",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("40.00", "USD"), "settled": money("54.00", "CAD"),
                      "rate": "1.35", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "L1", "quantity": 1, "amount": money("40.00", "USD"),
                   "tax": money("0.00", "USD")}]
    })
}

fn request(order: Value, refund: Value, rates: Value, now: &str) -> RefundRequest {
    serde_json::from_value(json!({
        "order": order, "refund": refund, "rates": {"rates": rates}, "now": now
    }))
    .unwrap()
}

fn usd_cad_request() -> RefundRequest {
    request(
        usd_cad_order(),
        json!({"idempotency_key": "rf-1", "lines": [{"line_id": "L1", "quantity": 1}],
               "reason": "damaged", "method": "original_payment"}),
        json!([{"from": "USD", "to": "CAD", "rate": "1.40", "as_of": "2026-03-09T09:00:00Z"}]),
        "2026-03-09T12:00:00Z",
    )
}

fn entry(account: &str, side: Side, amount: Decimal, currency: Currency) -> LedgerEntry {
    LedgerEntry {
        account: account.to_string().into(),
        side,
        amount: Money::new(amount, currency),
    }
}

fn err(engine: &RefundsEngine, request: &RefundRequest) -> Error {
    engine.decide(request).unwrap_err()
}

#[test]
fn usd_cad_current_rate_merchant_absorbs_books_an_fx_loss() {
    let engine = engine(json!({"rate_source": "current"}));
    let decision = engine.decide(&usd_cad_request()).unwrap();
    assert!(!decision.outcome.replay);
    let plan = &decision.outcome.plan;
    assert_eq!(plan.amount, Money::new(dec!(40.00), Currency::USD));
    assert_eq!(plan.amount.amount().to_string(), "40.00");
    assert_eq!(
        plan.presentment_amount,
        Money::new(dec!(40.00), Currency::USD)
    );
    assert_eq!(plan.fx.settlement_amount.to_string(), "56.00 CAD");
    assert_eq!(plan.fx.basis.to_string(), "54.00 CAD");
    assert_eq!(plan.fx.gain_loss.to_string(), "-2.00 CAD");
    assert_eq!(plan.fx.rate_used, dec!(1.40));
    assert_eq!(plan.fx.capture_rate, dec!(1.35));
    assert_eq!(plan.fx.rate_source.as_str(), "current");
    assert_eq!(plan.fx.rate_as_of.to_rfc3339(), "2026-03-09T09:00:00+00:00");
    assert_eq!(plan.fx.conversion, None);
    assert_eq!(
        plan.ledger,
        vec![
            entry("sales_returns", Side::Debit, dec!(54.00), Currency::CAD),
            entry("fx_gain_loss", Side::Debit, dec!(2.00), Currency::CAD),
            entry("fx_conversion", Side::Credit, dec!(56.00), Currency::CAD),
            entry("fx_conversion", Side::Debit, dec!(40.00), Currency::USD),
            entry("payment_clearing", Side::Credit, dec!(40.00), Currency::USD),
        ]
    );
    assert!(is_balanced(&plan.ledger));
    assert_eq!(decision.reason_codes(), vec!["refund_planned", "fx_loss"]);
    assert_eq!(
        decision.reasons[1].message,
        "the refund costs 56.00 CAD against a 54.00 CAD basis: FX loss of 2.00 CAD"
    );
}

#[test]
fn usd_cad_current_rate_customer_absorbs_gets_the_conversion() {
    let engine = engine(json!({"rate_source": "current", "remainder_absorbed_by": "customer"}));
    let decision = engine.decide(&usd_cad_request()).unwrap();
    let plan = &decision.outcome.plan;
    // CAD 54.00 fixed; 54.00 / 1.40 = 38.5714... -> USD 38.57 (half-even).
    assert_eq!(plan.amount.to_string(), "38.57 USD");
    assert_eq!(plan.presentment_amount.to_string(), "40.00 USD");
    assert_eq!(plan.fx.settlement_amount.to_string(), "54.00 CAD");
    assert_eq!(plan.fx.basis.to_string(), "54.00 CAD");
    assert!(plan.fx.gain_loss.is_zero());
    assert_eq!(plan.fx.rate_used, dec!(1.40));
    let conversion = plan.fx.conversion.unwrap();
    assert_eq!(
        (conversion.from, conversion.to),
        (Currency::CAD, Currency::USD)
    );
    assert_eq!(
        plan.ledger,
        vec![
            entry("sales_returns", Side::Debit, dec!(54.00), Currency::CAD),
            entry("fx_conversion", Side::Credit, dec!(54.00), Currency::CAD),
            entry("fx_conversion", Side::Debit, dec!(38.57), Currency::USD),
            entry("payment_clearing", Side::Credit, dec!(38.57), Currency::USD),
        ]
    );
    assert!(is_balanced(&plan.ledger));
    assert_eq!(decision.reason_codes(), vec!["refund_planned"]);
}

#[test]
fn capture_rate_has_no_fx_difference() {
    let engine = engine(json!({}));
    let plan = engine.decide(&usd_cad_request()).unwrap().outcome.plan;
    assert_eq!(plan.amount.to_string(), "40.00 USD");
    assert_eq!(plan.fx.settlement_amount.to_string(), "54.00 CAD");
    assert!(plan.fx.gain_loss.is_zero());
    assert_eq!(plan.fx.rate_used, dec!(1.35));
    assert_eq!(plan.fx.rate_as_of.to_rfc3339(), "2026-03-01T10:00:00+00:00");
}

#[test]
fn fx_gain_when_the_presentment_currency_weakened() {
    let engine = engine(json!({"rate_source": "current"}));
    let mut request = usd_cad_request();
    request.rates = serde_json::from_value(json!({"rates": [
        {"from": "CAD", "to": "USD", "rate": "0.80", "as_of": "2026-03-09T09:00:00Z"}]}))
    .unwrap();
    let decision = engine.decide(&request).unwrap();
    let plan = &decision.outcome.plan;
    // USD->CAD is the inverse of 0.80 = 1.25: USD 40.00 costs CAD 50.00.
    assert_eq!(plan.fx.settlement_amount.to_string(), "50.00 CAD");
    assert_eq!(plan.fx.gain_loss.to_string(), "4.00 CAD");
    assert_eq!(decision.reason_codes(), vec!["refund_planned", "fx_gain"]);
    assert!(plan.ledger.contains(&entry(
        "fx_gain_loss",
        Side::Credit,
        dec!(4.00),
        Currency::CAD
    )));
    assert!(is_balanced(&plan.ledger));
}

#[test]
fn bhd_three_decimals_rounds_half_even() {
    // A USD order settled in BHD, refunded in settlement currency at the current rate:
    // USD 3.00 x 0.4115 = BHD 1.2345 -> 1.234 (half-even keeps the even 4).
    let engine = engine(json!({"rate_source": "current", "refund_currency": "settlement"}));
    let order = json!({
        "order_id": "o-bh", "presentment_currency": "USD", "settlement_currency": "BHD",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("3.00", "USD"), "settled": money("1.230", "BHD"),
                      "rate": "0.4100", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 1, "amount": money("3.00", "USD"),
                   "tax": money("0.00", "USD")}]
    });
    let request = request(
        order,
        json!({"idempotency_key": "bh-1", "lines": [{"line_id": "A", "quantity": 1}],
               "reason": "late", "method": "original_payment"}),
        json!([{"from": "USD", "to": "BHD", "rate": "0.4115", "as_of": "2026-03-09T09:00:00Z"}]),
        "2026-03-09T12:00:00Z",
    );
    let plan = engine.decide(&request).unwrap().outcome.plan;
    assert_eq!(plan.amount.amount().to_string(), "1.234");
    assert_eq!(plan.amount.currency(), Currency::BHD);
    assert_eq!(plan.fx.settlement_amount.amount().to_string(), "1.234");
    assert_eq!(plan.fx.basis.amount().to_string(), "1.230");
    assert_eq!(plan.fx.gain_loss.amount().to_string(), "-0.004");
    assert_eq!(
        plan.ledger,
        vec![
            entry("sales_returns", Side::Debit, dec!(1.230), Currency::BHD),
            entry("fx_gain_loss", Side::Debit, dec!(0.004), Currency::BHD),
            entry("payment_clearing", Side::Credit, dec!(1.234), Currency::BHD),
        ]
    );
}

#[test]
fn bhd_half_up_would_round_the_other_way() {
    let engine = engine(
        json!({"rate_source": "current", "refund_currency": "settlement",
                               "rounding_mode": "half_up"}),
    );
    let order = json!({
        "order_id": "o-bh", "presentment_currency": "USD", "settlement_currency": "BHD",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("3.00", "USD"), "settled": money("1.230", "BHD"),
                      "rate": "0.4100", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 1, "amount": money("3.00", "USD"),
                   "tax": money("0.00", "USD")}]
    });
    let request = request(
        order,
        json!({"idempotency_key": "bh-1", "lines": [{"line_id": "A", "quantity": 1}],
               "reason": "late", "method": "original_payment"}),
        json!([{"from": "USD", "to": "BHD", "rate": "0.4115", "as_of": "2026-03-09T09:00:00Z"}]),
        "2026-03-09T12:00:00Z",
    );
    let plan = engine.decide(&request).unwrap().outcome.plan;
    assert_eq!(plan.amount.amount().to_string(), "1.235");
}

fn jpy_order() -> Value {
    json!({
        "order_id": "o-jp", "presentment_currency": "JPY", "settlement_currency": "USD",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("1100", "JPY"), "settled": money("7.37", "USD"),
                      "rate": "0.0067", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 3, "amount": money("1000", "JPY"),
                   "tax": money("100", "JPY")}]
    })
}

fn refund_units(key: &str, line: &str, quantity: i64) -> Value {
    json!({"idempotency_key": key, "lines": [{"line_id": line, "quantity": quantity}],
           "reason": "return", "method": "original_payment"})
}

/// Decides `refunds` one after the other, feeding each plan back as an earlier refund.
fn sequence(
    engine: &RefundsEngine,
    mut request: RefundRequest,
    refunds: &[Value],
) -> Vec<backoffice::refunds::RefundPlan> {
    let mut plans = Vec::new();
    for refund in refunds {
        request.refund = serde_json::from_value(refund.clone()).unwrap();
        let plan = engine.decide(&request).unwrap().outcome.plan;
        assert!(is_balanced(&plan.ledger), "{plan:?}");
        request.earlier_refunds.push(EarlierRefund {
            idempotency_key: plan.idempotency_key.clone(),
            fingerprint: plan.fingerprint.clone(),
            plan: plan.clone(),
        });
        plans.push(plan);
    }
    plans
}

#[test]
fn jpy_zero_decimals_prorate_in_whole_yen() {
    let engine = engine(json!({}));
    let base = request(
        jpy_order(),
        refund_units("jp-1", "A", 1),
        json!([]),
        "2026-03-09T12:00:00Z",
    );
    let plans = sequence(
        &engine,
        base,
        &[
            refund_units("jp-1", "A", 1),
            refund_units("jp-2", "A", 1),
            refund_units("jp-3", "A", 1),
        ],
    );
    let amounts: Vec<String> = plans
        .iter()
        .map(|p| p.lines[0].amount.amount().to_string())
        .collect();
    let taxes: Vec<String> = plans
        .iter()
        .map(|p| p.lines[0].tax.amount().to_string())
        .collect();
    assert_eq!(amounts, vec!["333", "334", "333"]);
    assert_eq!(taxes, vec!["33", "34", "33"]);
    // JPY 366 at the capture rate 0.0067 = USD 2.4522 -> 2.45, JPY 368 -> 2.4656 -> 2.47;
    // the last refund takes what remains of the settled USD 7.37.
    let bases: Vec<String> = plans.iter().map(|p| p.fx.basis.to_string()).collect();
    assert_eq!(bases, vec!["2.45 USD", "2.47 USD", "2.45 USD"]);
    let paid: Vec<String> = plans.iter().map(|p| p.amount.to_string()).collect();
    assert_eq!(paid, vec!["366 JPY", "368 JPY", "366 JPY"]);
}

#[test]
fn three_partial_refunds_of_a_three_unit_line_sum_to_exactly_what_it_paid() {
    let engine = engine(json!({}));
    let order = json!({
        "order_id": "o-3", "presentment_currency": "EUR", "settlement_currency": "EUR",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("110.00", "EUR"), "settled": money("110.00", "EUR"),
                      "rate": "1", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 3, "amount": money("100.00", "EUR"),
                   "tax": money("10.00", "EUR")}]
    });
    let base = request(
        order,
        refund_units("k1", "A", 1),
        json!([]),
        "2026-03-09T12:00:00Z",
    );
    let plans = sequence(
        &engine,
        base.clone(),
        &[
            refund_units("k1", "A", 1),
            refund_units("k2", "A", 1),
            refund_units("k3", "A", 1),
        ],
    );
    let amounts: Vec<Decimal> = plans.iter().map(|p| p.lines[0].amount.amount()).collect();
    assert_eq!(amounts, vec![dec!(33.33), dec!(33.34), dec!(33.33)]);
    assert_eq!(amounts.iter().sum::<Decimal>(), dec!(100.00));
    let taxes: Vec<Decimal> = plans.iter().map(|p| p.lines[0].tax.amount()).collect();
    assert_eq!(taxes, vec![dec!(3.33), dec!(3.34), dec!(3.33)]);
    assert_eq!(taxes.iter().sum::<Decimal>(), dec!(10.00));

    // A fourth refund of the same line is an over-refund naming the line and what remains.
    let mut fourth = base;
    fourth.earlier_refunds = plans
        .iter()
        .map(|p| EarlierRefund {
            idempotency_key: p.idempotency_key.clone(),
            fingerprint: p.fingerprint.clone(),
            plan: p.clone(),
        })
        .collect();
    fourth.refund = serde_json::from_value(refund_units("k4", "A", 1)).unwrap();
    let error = err(&engine, &fourth);
    assert_eq!(error.code(), "over_refund");
    assert_eq!(error.field(), Some("refund.lines[0].quantity"));
    assert_eq!(
        error.to_string(),
        "line `A`: asked to refund 1 units but only 0 of 3 remain (0.00 EUR and 0.00 EUR tax left)"
    );
}

#[test]
fn two_units_at_once_equal_two_single_units() {
    let engine = engine(json!({}));
    let order = json!({
        "order_id": "o-3", "presentment_currency": "EUR", "settlement_currency": "EUR",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("100.00", "EUR"), "settled": money("100.00", "EUR"),
                      "rate": "1", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 3, "amount": money("100.00", "EUR"),
                   "tax": money("0.00", "EUR")}]
    });
    let r = request(
        order,
        refund_units("k", "A", 2),
        json!([]),
        "2026-03-09T12:00:00Z",
    );
    let plan = engine.decide(&r).unwrap().outcome.plan;
    assert_eq!(plan.lines[0].amount.amount(), dec!(66.67));
}

#[test]
fn chf_cash_refund_rounds_to_five_centimes() {
    let engine = engine(json!({"cash_rounding": [money("0.05", "CHF")]}));
    let order = json!({
        "order_id": "o-ch", "presentment_currency": "CHF", "settlement_currency": "CHF",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("12.37", "CHF"), "settled": money("12.37", "CHF"),
                      "rate": "1", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 1, "amount": money("11.45", "CHF"),
                   "tax": money("0.92", "CHF")}]
    });
    let refund = json!({"idempotency_key": "ch-1", "lines": [{"line_id": "A", "quantity": 1}],
                        "reason": "changed mind", "method": "cash"});
    let decision = engine
        .decide(&request(
            order.clone(),
            refund,
            json!([]),
            "2026-03-09T12:00:00Z",
        ))
        .unwrap();
    let plan = &decision.outcome.plan;
    assert_eq!(plan.presentment_amount.to_string(), "12.37 CHF");
    assert_eq!(plan.amount.to_string(), "12.35 CHF");
    assert_eq!(plan.cash_rounding.unwrap().to_string(), "0.02 CHF");
    assert_eq!(
        plan.ledger,
        vec![
            entry("sales_returns", Side::Debit, dec!(11.45), Currency::CHF),
            entry("tax_payable", Side::Debit, dec!(0.92), Currency::CHF),
            entry("cash", Side::Credit, dec!(12.35), Currency::CHF),
            entry("cash_rounding", Side::Credit, dec!(0.02), Currency::CHF),
        ]
    );
    assert_eq!(
        decision.reason_codes(),
        vec!["refund_planned", "cash_rounded"]
    );

    // The same refund to the card is not cash-rounded.
    let card = json!({"idempotency_key": "ch-1", "lines": [{"line_id": "A", "quantity": 1}],
                      "reason": "changed mind", "method": "original_payment"});
    let plan = engine
        .decide(&request(order, card, json!([]), "2026-03-09T12:00:00Z"))
        .unwrap()
        .outcome
        .plan;
    assert_eq!(plan.amount.to_string(), "12.37 CHF");
    assert_eq!(plan.cash_rounding, None);
}

#[test]
fn replay_returns_the_earlier_plan_byte_identical() {
    let engine = engine(json!({"rate_source": "current"}));
    let first = engine.decide(&usd_cad_request()).unwrap();
    let first_json = serde_json::to_string(&first.outcome.plan).unwrap();
    // The earlier refund travels as JSON, as a caller would store it.
    let stored: EarlierRefund = serde_json::from_value(json!({
        "idempotency_key": "rf-1",
        "fingerprint": first.outcome.plan.fingerprint,
        "plan": serde_json::from_str::<Value>(&first_json).unwrap(),
    }))
    .unwrap();
    let mut retry = usd_cad_request();
    retry.earlier_refunds.push(stored);
    // A retry days later, with a different rate and in a different line order: still a replay.
    retry.now = "2026-03-20T12:00:00Z".parse().unwrap();
    retry.rates = Default::default();
    let replay = engine.decide(&retry).unwrap();
    assert!(replay.outcome.replay);
    assert_eq!(replay.reason_codes(), vec!["idempotent_replay"]);
    assert_eq!(
        serde_json::to_string(&replay.outcome.plan).unwrap(),
        first_json
    );

    // The same key with another amount is a conflict naming the key.
    retry.refund.lines[0].quantity = None;
    retry.refund.lines[0].amount = Some(Money::new(dec!(20.00), Currency::USD));
    let error = err(&engine, &retry);
    assert_eq!(error.code(), "idempotency_conflict");
    assert_eq!(error.field(), Some("refund.idempotency_key"));
    assert!(error.to_string().starts_with(
        "idempotency key `rf-1` was already used for a different refund (fingerprint sha256:"
    ));

    // A new key for the same line is an over-refund: the line was fully refunded.
    retry.refund.idempotency_key = "rf-2".to_string();
    let error = err(&engine, &retry);
    assert_eq!(error.code(), "over_refund");
    assert_eq!(error.field(), Some("refund.lines[0].amount"));
    assert_eq!(
        error.to_string(),
        "line `L1`: asked to refund 20.00 USD but only 0.00 USD of its 40.00 USD remains"
    );
}

#[test]
fn fingerprint_ignores_line_order_and_number_formatting() {
    let engine = engine(json!({}));
    let order = json!({
        "order_id": "o-2", "presentment_currency": "EUR", "settlement_currency": "EUR",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("30.00", "EUR"), "settled": money("30.00", "EUR"),
                      "rate": "1", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 1, "amount": money("10.00", "EUR"), "tax": money("0", "EUR")},
                  {"line_id": "B", "quantity": 2, "amount": money("20.00", "EUR"), "tax": money("0", "EUR")}]
    });
    let a = json!({"idempotency_key": "k", "lines": [{"line_id": "A", "amount": money("5.00", "EUR")},
                   {"line_id": "B", "quantity": 1}], "reason": "r", "method": "store_credit"});
    let b = json!({"idempotency_key": "k", "lines": [{"line_id": "B", "quantity": 1},
                   {"line_id": "A", "amount": {"amount": 5, "currency": "eur"}}],
                   "shipping": "none", "reason": "r", "method": "store_credit"});
    let first = engine
        .decide(&request(
            order.clone(),
            a,
            json!([]),
            "2026-03-09T12:00:00Z",
        ))
        .unwrap();
    let mut retry = request(order, b, json!([]), "2026-03-10T12:00:00Z");
    let plan = first.outcome.plan;
    retry.earlier_refunds.push(EarlierRefund {
        idempotency_key: "k".into(),
        fingerprint: plan.fingerprint.clone(),
        plan: plan.clone(),
    });
    let replay = engine.decide(&retry).unwrap();
    assert!(replay.outcome.replay);
    assert_eq!(replay.outcome.plan, plan);
    // Store credit books the liability.
    assert_eq!(
        plan.ledger,
        vec![
            entry("sales_returns", Side::Debit, dec!(15.00), Currency::EUR),
            entry(
                "store_credit_liability",
                Side::Credit,
                dec!(15.00),
                Currency::EUR
            ),
        ]
    );
}

#[test]
fn shipping_tax_and_configured_accounts_and_fees() {
    let engine = engine(json!({
        "refund_fees": [money("0.25", "CAD")],
        "accounts": {"sales_returns": "4100 Returns", "fx_gain_loss": "7900 FX"}
    }));
    let order = json!({
        "order_id": "o-s", "presentment_currency": "USD", "settlement_currency": "CAD",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("58.00", "USD"), "settled": money("78.30", "CAD"),
                      "rate": "1.35", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 2, "amount": money("40.00", "USD"), "tax": money("8.00", "USD")}],
        "shipping": money("10.00", "USD")
    });
    let refund = json!({"idempotency_key": "s-1", "lines": [{"line_id": "A", "quantity": 1}],
                        "shipping": "all", "reason": "r", "method": "original_payment"});
    let plan = engine
        .decide(&request(order, refund, json!([]), "2026-03-09T12:00:00Z"))
        .unwrap()
        .outcome
        .plan;
    // 20.00 + 4.00 tax + 10.00 shipping = USD 34.00 -> CAD 45.90 at 1.35, split 27.00/5.40/13.50.
    assert_eq!(plan.presentment_amount.to_string(), "34.00 USD");
    assert_eq!(plan.fee.unwrap().to_string(), "0.25 CAD");
    assert_eq!(
        plan.ledger,
        vec![
            entry("4100 Returns", Side::Debit, dec!(27.00), Currency::CAD),
            entry("tax_payable", Side::Debit, dec!(5.40), Currency::CAD),
            entry("shipping_revenue", Side::Debit, dec!(13.50), Currency::CAD),
            entry("fx_conversion", Side::Credit, dec!(45.90), Currency::CAD),
            entry("fx_conversion", Side::Debit, dec!(34.00), Currency::USD),
            entry("payment_clearing", Side::Credit, dec!(34.00), Currency::USD),
            entry("payment_fees", Side::Debit, dec!(0.25), Currency::CAD),
            entry("payment_clearing", Side::Credit, dec!(0.25), Currency::CAD),
        ]
    );
    assert!(is_balanced(&plan.ledger));
}

#[test]
fn store_currency_uses_the_rate_table() {
    let engine = engine(
        json!({"refund_currency": "store", "store_currency": "EUR", "rate_source": "current"}),
    );
    let mut request = usd_cad_request();
    request.rates = serde_json::from_value(json!({"rates": [
        {"from": "USD", "to": "CAD", "rate": "1.40", "as_of": "2026-03-09T09:00:00Z"},
        {"from": "USD", "to": "EUR", "rate": "0.92", "as_of": "2026-03-09T09:00:00Z"}]}))
    .unwrap();
    let plan = engine.decide(&request).unwrap().outcome.plan;
    assert_eq!(plan.amount.to_string(), "36.80 EUR");
    assert_eq!(plan.fx.settlement_amount.to_string(), "56.00 CAD");
    assert_eq!(plan.fx.gain_loss.to_string(), "-2.00 CAD");
    let conversion = plan.fx.conversion.unwrap();
    assert_eq!(
        (conversion.from, conversion.to, conversion.rate),
        (Currency::USD, Currency::EUR, dec!(0.92))
    );
    assert!(plan.ledger.contains(&entry(
        "fx_conversion",
        Side::Debit,
        dec!(36.80),
        Currency::EUR
    )));
    assert!(is_balanced(&plan.ledger));
}

#[test]
fn minimum_refund_and_zero_refunds_are_rejected() {
    let engine = engine(json!({"minimum_refund": [money("50.00", "USD")]}));
    let error = err(&engine, &usd_cad_request());
    assert_eq!(error.code(), "below_minimum_refund");
    assert_eq!(error.field(), Some("refund"));
    assert_eq!(
        error.to_string(),
        "the refund comes to 40.00 USD, below the minimum refund of 50.00 USD"
    );

    // A cash refund that rounds to zero.
    let engine = self::engine(json!({"cash_rounding": [money("0.05", "CHF")]}));
    let order = json!({
        "order_id": "o-ch", "presentment_currency": "CHF", "settlement_currency": "CHF",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [{"amount": money("10.00", "CHF"), "settled": money("10.00", "CHF"),
                      "rate": "1", "captured_at": "2026-03-01T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 1, "amount": money("10.00", "CHF"), "tax": money("0", "CHF")}]
    });
    let refund = json!({"idempotency_key": "z", "lines": [{"line_id": "A", "amount": money("0.02", "CHF")}],
                        "reason": "r", "method": "cash"});
    let error = err(
        &engine,
        &request(order, refund, json!([]), "2026-03-09T12:00:00Z"),
    );
    assert_eq!(error.code(), "refund_rounds_to_zero");
    assert_eq!(
        error.to_string(),
        "the refund comes to 0.00 CHF; a refund must pay out more than zero"
    );
}

fn with_refund(refund: Value) -> RefundRequest {
    let mut r = usd_cad_request();
    r.refund = serde_json::from_value(refund).unwrap();
    r
}

#[test]
fn bad_input_names_the_field() {
    let engine = engine(json!({"rate_source": "current"}));
    let cases: Vec<(RefundRequest, &str, &str, &str)> = vec![
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "NOPE", "quantity": 1}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.lines[0].line_id",
            "invalid `refund.lines[0].line_id`: unknown line `NOPE`; the order's lines are `L1`",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "L1", "quantity": 0}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.lines[0].quantity",
            "invalid `refund.lines[0].quantity`: must be at least 1, got 0",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "L1", "quantity": -2}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.lines[0].quantity",
            "invalid `refund.lines[0].quantity`: must be at least 1, got -2",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "L1", "amount": money("-1.00", "USD")}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.lines[0].amount",
            "invalid `refund.lines[0].amount`: must be positive, got -1.00 USD",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "L1", "amount": money("1.005", "USD")}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.lines[0].amount",
            "invalid `refund.lines[0].amount`: 1.005 USD has more decimal places than USD allows",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "L1", "amount": money("1.00", "EUR")}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.lines[0].amount",
            "invalid `refund.lines[0].amount`: is in 1.00 EUR, but the order's currency here is USD",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "L1", "quantity": 1, "amount": money("1.00", "USD")}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.lines[0]",
            "invalid `refund.lines[0]`: line `L1`: give exactly one of `quantity` or `amount`",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "L1", "quantity": 1}, {"line_id": "L1", "quantity": 1}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.lines[1].line_id",
            "invalid `refund.lines[1].line_id`: line `L1` appears twice in the request; ask for it once",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.lines",
            "invalid `refund.lines`: nothing to refund: no lines and no shipping",
        ),
        (
            with_refund(json!({"idempotency_key": "", "lines": [{"line_id": "L1", "quantity": 1}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.idempotency_key",
            "invalid `refund.idempotency_key`: must not be empty (1 to 255 printable ASCII characters)",
        ),
        (
            with_refund(json!({"idempotency_key": "x".repeat(256), "lines": [{"line_id": "L1", "quantity": 1}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.idempotency_key",
            "invalid `refund.idempotency_key`: is 256 bytes long; at most 255 printable ASCII characters are allowed",
        ),
        (
            with_refund(json!({"idempotency_key": "ké", "lines": [{"line_id": "L1", "quantity": 1}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.idempotency_key",
            "invalid `refund.idempotency_key`: contains 'é' at byte 1; only printable ASCII characters (space to `~`) are allowed",
        ),
        (
            with_refund(json!({"idempotency_key": "k\n", "lines": [{"line_id": "L1", "quantity": 1}], "reason": "r", "method": "cash"})),
            "invalid_input",
            "refund.idempotency_key",
            "invalid `refund.idempotency_key`: contains '\\n' at byte 1; only printable ASCII characters (space to `~`) are allowed",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "L1", "amount": money("40.01", "USD")}], "reason": "r", "method": "cash"})),
            "over_refund",
            "refund.lines[0].amount",
            "line `L1`: asked to refund 40.01 USD but only 40.00 USD of its 40.00 USD remains",
        ),
        (
            with_refund(json!({"idempotency_key": "k", "lines": [{"line_id": "L1", "quantity": 2}], "reason": "r", "method": "cash"})),
            "over_refund",
            "refund.lines[0].quantity",
            "line `L1`: asked to refund 2 units but only 1 of 1 remain (40.00 USD and 0.00 USD tax left)",
        ),
    ];
    for (request, code, field, message) in cases {
        let error = err(&engine, &request);
        assert_eq!(
            (error.code(), error.field(), error.to_string().as_str()),
            (code, Some(field), message)
        );
    }
}

#[test]
fn bad_orders_and_rates_name_the_field() {
    let current = engine(json!({"rate_source": "current"}));
    // A capture in the wrong currency.
    let mut r = usd_cad_request();
    r.order.captures[0].amount = Money::new(dec!(40.00), Currency::EUR);
    let error = err(&current, &r);
    assert_eq!(error.field(), Some("order.captures[0].amount"));
    assert_eq!(
        error.to_string(),
        "invalid `order.captures[0].amount`: is in 40.00 EUR, but the order's currency here is USD"
    );
    let mut r = usd_cad_request();
    r.order.captures[0].settled = Money::new(dec!(54.00), Currency::USD);
    assert_eq!(err(&current, &r).field(), Some("order.captures[0].settled"));

    // No rate at all for the current source.
    let mut r = usd_cad_request();
    r.rates = Default::default();
    let error = err(&current, &r);
    assert_eq!(error.code(), "missing_rate");
    assert_eq!(error.field(), Some("rates"));
    assert_eq!(
        error.to_string(),
        "no exchange rate for USD->CAD at or before 2026-03-09T12:00:00Z (needed to value the refund in settlement currency at the current rate)"
    );

    // A stale rate (default maximum age: one day).
    let mut r = usd_cad_request();
    r.now = "2026-03-11T12:00:00Z".parse().unwrap();
    let error = err(&current, &r);
    assert_eq!(error.code(), "stale_rate");
    assert_eq!(error.field(), Some("rates"));
    assert_eq!(
        error.to_string(),
        "exchange rate USD->CAD as of 2026-03-09T09:00:00Z is stale at 2026-03-11T12:00:00Z (maximum age 86400 s; needed to value the refund in settlement currency at the current rate)"
    );

    // A customer-chosen currency with no rate.
    let customer = engine(json!({"refund_currency": "customer"}));
    let mut r = usd_cad_request();
    r.refund.currency = Some(Currency::GBP);
    let error = err(&customer, &r);
    assert_eq!(error.code(), "missing_rate");
    assert_eq!(error.field(), Some("refund.currency"));
    let mut r = usd_cad_request();
    r.refund.currency = None;
    let error = err(&customer, &r);
    assert_eq!(error.field(), Some("refund.currency"));

    // Store currency without a store currency configured.
    let error = RefundsEngine::new(RefundsConfig {
        refund_currency: backoffice::refunds::RefundCurrency::Store,
        ..RefundsConfig::default()
    })
    .unwrap_err();
    assert_eq!(error.field(), Some("config.store_currency"));

    // Unknown fields in the JSON are rejected.
    let error = serde_json::from_value::<RefundRequest>(
        json!({"order": usd_cad_order(), "now": "2026-03-09T12:00:00Z",
        "refund": {"idempotency_key": "k", "reason": "r", "method": "cash", "amout": 1}}),
    )
    .unwrap_err();
    assert!(
        error.to_string().contains("unknown field `amout`"),
        "{error}"
    );
}

#[test]
fn order_cap_applies_when_less_was_captured_than_ordered() {
    let engine = engine(json!({}));
    let mut r = usd_cad_request();
    r.order.captures[0].amount = Money::new(dec!(30.00), Currency::USD);
    r.order.captures[0].settled = Money::new(dec!(40.50), Currency::CAD);
    let error = err(&engine, &r);
    assert_eq!(error.code(), "over_refund");
    assert_eq!(error.field(), Some("refund"));
    assert_eq!(
        error.to_string(),
        "the refund comes to 40.00 USD but only 30.00 USD of the 30.00 USD captured remains"
    );
}

#[test]
fn several_captures_use_a_blended_rate_and_the_last_refund_takes_the_remaining_basis() {
    let engine = engine(json!({}));
    let order = json!({
        "order_id": "o-m", "presentment_currency": "USD", "settlement_currency": "CAD",
        "placed_at": "2026-03-01T10:00:00Z",
        "captures": [
            {"amount": money("10.00", "USD"), "settled": money("13.50", "CAD"), "rate": "1.35", "captured_at": "2026-03-01T10:00:00Z"},
            {"amount": money("20.00", "USD"), "settled": money("27.40", "CAD"), "rate": "1.37", "captured_at": "2026-03-02T10:00:00Z"}],
        "lines": [{"line_id": "A", "quantity": 3, "amount": money("30.00", "USD"), "tax": money("0", "USD")}]
    });
    let base = request(
        order,
        refund_units("a", "A", 1),
        json!([]),
        "2026-03-09T12:00:00Z",
    );
    let plans = sequence(
        &engine,
        base,
        &[refund_units("a", "A", 1), refund_units("b", "A", 2)],
    );
    // Blended rate 40.90 / 30.00 = 1.36333...; 10.00 -> 13.63; the last takes 40.90 - 13.63.
    assert_eq!(plans[0].fx.basis.to_string(), "13.63 CAD");
    assert_eq!(plans[1].fx.basis.to_string(), "27.27 CAD");
    assert_eq!(
        plans[0].fx.rate_as_of.to_rfc3339(),
        "2026-03-02T10:00:00+00:00"
    );
}
