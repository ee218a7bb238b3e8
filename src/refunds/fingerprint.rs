//! The request fingerprint: a SHA-256 digest of the refund request's canonical JSON.
//!
//! What is normalised, so that two requests that mean the same refund get the same
//! fingerprint:
//! - object keys are written in sorted order, without whitespace;
//! - every field is present: an absent optional field is written as `null`, and an
//!   absent `shipping` as `"none"` (its default);
//! - decimals are written without trailing zeros (`"10.00"`, `"10.0"` and `10` are all
//!   `"10"`); currency codes are upper-case ISO 4217 alpha codes;
//! - request lines are sorted by `line_id` (their order does not change the refund;
//!   a request naming a line twice is rejected);
//! - strings are kept exactly as given (no trimming or case folding): the key, the
//!   order id, line ids and the reason are compared byte for byte.
//!
//! What is included: a format version, the order id, and every field of the refund
//! request (`idempotency_key`, `lines`, `shipping`, `reason`, `method`, `currency`).
//! The rest of the engine request (the order's contents, earlier refunds, rates and
//! `now`) is context, not the request: a retry made later, with newer rates, is still
//! the same request.

use super::text;
use super::types::{RefundLineRequest, RequestedRefund, ShippingRefund};
use crate::Money;
use sha2::{Digest, Sha256};
use std::cell::RefCell;
use std::fmt::Write;

/// The canonical-JSON format version written into every fingerprint's input.
pub const FINGERPRINT_VERSION: u32 = 1;

/// The fingerprint (`sha256:<64 hex digits>`) of `refund` for order `order_id`.
///
/// ```
/// use backoffice::refunds::{fingerprint, RequestedRefund};
/// let a: RequestedRefund = serde_json::from_str(r#"{"idempotency_key": "k-1",
///     "lines": [{"line_id": "A", "amount": {"amount": "10.00", "currency": "USD"}}],
///     "reason": "damaged", "method": "original_payment"}"#).unwrap();
/// let b: RequestedRefund = serde_json::from_str(r#"{"idempotency_key": "k-1",
///     "lines": [{"line_id": "A", "amount": {"amount": 10, "currency": "usd"}}],
///     "shipping": "none", "reason": "damaged", "method": "original_payment"}"#).unwrap();
/// assert_eq!(fingerprint("order-1", &a), fingerprint("order-1", &b));
/// assert!(fingerprint("order-1", &a).starts_with("sha256:"));
/// assert_ne!(fingerprint("order-1", &a), fingerprint("order-2", &a));
/// ```
pub fn fingerprint(order_id: &str, refund: &RequestedRefund) -> String {
    // The canonical JSON is written into a per-thread scratch string (no allocation once
    // it has grown) and hashed in one call: the same bytes as `canonical_json`.
    // Without the scratch string (the thread is ending, or it is in use), a fresh one.
    let digest = SCRATCH
        .try_with(|scratch| {
            let mut text = scratch.try_borrow_mut().ok()?;
            text.clear();
            write_canonical(&mut text, order_id, refund);
            let digest = Sha256::digest(text.as_bytes());
            // Do not keep a huge request's text alive in the thread.
            if text.capacity() > MAX_SCRATCH {
                *text = String::new();
            }
            Some(digest)
        })
        .ok()
        .flatten()
        .unwrap_or_else(|| Sha256::digest(canonical_json(order_id, refund).as_bytes()));
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut text = *b"sha256:0000000000000000000000000000000000000000000000000000000000000000";
    for (pair, byte) in text
        .get_mut(7..)
        .unwrap_or(&mut [])
        .chunks_exact_mut(2)
        .zip(digest)
    {
        if let [high, low] = pair {
            *high = HEX.get(usize::from(byte >> 4)).copied().unwrap_or(b'0');
            *low = HEX.get(usize::from(byte & 0x0f)).copied().unwrap_or(b'0');
        }
    }
    // Only ASCII was written.
    String::from(std::str::from_utf8(&text).unwrap_or_default())
}

/// The largest scratch text kept between fingerprints, in bytes.
const MAX_SCRATCH: usize = 64 * 1024;

thread_local! {
    /// Where [`fingerprint`] writes the canonical JSON before hashing it.
    static SCRATCH: RefCell<String> = const { RefCell::new(String::new()) };
}

/// The canonical JSON text that [`fingerprint`] hashes (see the module docs).
pub fn canonical_json(order_id: &str, refund: &RequestedRefund) -> String {
    let mut out = String::with_capacity(160 + 96 * refund.lines.len());
    write_canonical(&mut out, order_id, refund);
    out
}

fn write_canonical(out: &mut String, order_id: &str, refund: &RequestedRefund) {
    out.push_str("{\"currency\":");
    match refund.currency {
        Some(currency) => string(out, currency.code()),
        None => out.push_str("null"),
    }
    out.push_str(",\"idempotency_key\":");
    string(out, &refund.idempotency_key);
    out.push_str(",\"lines\":[");
    // Requests usually list lines already sorted by id; then the (stable) sort would not
    // move anything, so the lines are written as they come without sorting a copy.
    if refund
        .lines
        .windows(2)
        .all(|pair| matches!(pair, [a, b] if a.line_id <= b.line_id))
    {
        for (index, line) in refund.lines.iter().enumerate() {
            request_line(out, index, line);
        }
    } else {
        let mut lines: Vec<_> = refund.lines.iter().collect();
        lines.sort_by(|a, b| a.line_id.cmp(&b.line_id));
        for (index, line) in lines.into_iter().enumerate() {
            request_line(out, index, line);
        }
    }
    out.push_str("],\"method\":");
    string(out, refund.method.as_str());
    out.push_str(",\"order_id\":");
    string(out, order_id);
    out.push_str(",\"reason\":");
    string(out, &refund.reason);
    out.push_str(",\"shipping\":");
    match &refund.shipping {
        ShippingRefund::None => out.push_str("\"none\""),
        ShippingRefund::All => out.push_str("\"all\""),
        ShippingRefund::Amount(amount) => {
            out.push_str("{\"amount\":");
            money(out, amount);
            out.push('}');
        }
    }
    out.push_str(",\"version\":");
    text::integer(out, i64::from(FINGERPRINT_VERSION));
    out.push('}');
}

/// Writes one request line (`index` is its position in the canonical order).
fn request_line(out: &mut String, index: usize, line: &RefundLineRequest) {
    if index > 0 {
        out.push(',');
    }
    match &line.amount {
        Some(amount) => {
            out.push_str("{\"amount\":");
            money(out, amount);
            out.push_str(",\"line_id\":");
        }
        None => out.push_str("{\"amount\":null,\"line_id\":"),
    }
    string(out, &line.line_id);
    match line.quantity {
        Some(quantity) => {
            out.push_str(",\"quantity\":");
            text::integer(out, quantity);
            out.push('}');
        }
        None => out.push_str(",\"quantity\":null}"),
    }
}

fn money(out: &mut String, value: &Money) {
    // Decimals without trailing zeros, as a string; codes need no escaping.
    out.push_str("{\"amount\":\"");
    text::decimal(out, value.amount().normalize());
    out.push_str("\",\"currency\":\"");
    out.push_str(value.currency().code());
    out.push_str("\"}");
}

/// Writes a JSON string literal (RFC 8259 escaping; non-ASCII kept as UTF-8).
fn string(out: &mut String, value: &str) {
    out.push('"');
    // Most strings need no escaping: copy them whole.
    if !value.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push_str(value);
        out.push('"');
        return;
    }
    for ch in value.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(json: &str) -> RequestedRefund {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn canonical_form_is_sorted_and_normalised() {
        let refund = parse(
            r#"{"idempotency_key":"k","lines":[{"line_id":"B","quantity":2},
            {"line_id":"A","amount":{"amount":"5.50","currency":"EUR"}}],
            "shipping":{"amount":{"amount":"4.00","currency":"EUR"}},
            "reason":"say \"hi\"\n","method":"cash","currency":"chf"}"#,
        );
        assert_eq!(
            canonical_json("o-1", &refund),
            r#"{"currency":"CHF","idempotency_key":"k","lines":[{"amount":{"amount":"5.5","currency":"EUR"},"line_id":"A","quantity":null},{"amount":null,"line_id":"B","quantity":2}],"method":"cash","order_id":"o-1","reason":"say \"hi\"\n","shipping":{"amount":{"amount":"4","currency":"EUR"}},"version":1}"#
        );
    }

    #[test]
    fn canonical_json_is_valid_json() {
        let refund = parse(
            r#"{"idempotency_key":"k\u0001","lines":[],"reason":"é\\","method":"store_credit"}"#,
        );
        let text = canonical_json("o", &refund);
        let value: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(value["idempotency_key"], "k\u{1}");
        assert_eq!(value["reason"], "é\\");
    }

    /// The canonical text of any request is what a general JSON writer gives for the
    /// same value with sorted keys (serde_json's maps are sorted), and the fingerprint is
    /// the SHA-256 of that text.
    mod reference {
        use super::*;
        use crate::refunds::RefundMethod;
        use crate::Currency;
        use proptest::prelude::*;
        use rust_decimal::Decimal;
        use serde_json::{json, Value};

        fn money_value(money: &Money) -> Value {
            json!({"amount": money.amount().normalize().to_string(), "currency": money.currency().code()})
        }

        fn reference(order_id: &str, refund: &RequestedRefund) -> String {
            let mut lines: Vec<&RefundLineRequest> = refund.lines.iter().collect();
            lines.sort_by(|a, b| a.line_id.cmp(&b.line_id));
            let lines: Vec<Value> = lines
                .into_iter()
                .map(|l| {
                    json!({"line_id": l.line_id, "quantity": l.quantity,
                                "amount": l.amount.as_ref().map(money_value)})
                })
                .collect();
            let shipping = match &refund.shipping {
                ShippingRefund::None => json!("none"),
                ShippingRefund::All => json!("all"),
                ShippingRefund::Amount(m) => json!({"amount": money_value(m)}),
            };
            serde_json::to_string(&json!({
                "currency": refund.currency.map(|c| c.code()),
                "idempotency_key": refund.idempotency_key,
                "lines": lines,
                "method": serde_json::to_value(refund.method).unwrap(),
                "order_id": order_id,
                "reason": refund.reason,
                "shipping": shipping,
                "version": FINGERPRINT_VERSION,
            }))
            .unwrap()
        }

        // No U+0008 or U+000C: serde_json writes those as `\b` and `\f`, the canonical
        // form as `\u0008` and `\u000c` (see `canonical_json_is_valid_json`).
        const TEXT: &str = "[ -~\n\r\t\u{1}\u{1f}\"\\\\é€😀]{0,10}";

        fn money() -> impl Strategy<Value = Money> {
            (
                any::<i64>(),
                0u32..=10,
                prop::sample::select(vec![Currency::USD, Currency::JPY, Currency::BHD]),
            )
                .prop_map(|(m, scale, c)| Money::new(Decimal::new(m, scale), c))
        }

        fn line() -> impl Strategy<Value = RefundLineRequest> {
            (
                TEXT,
                prop::option::of(any::<i64>()),
                prop::option::of(money()),
            )
                .prop_map(|(line_id, quantity, amount)| RefundLineRequest {
                    line_id,
                    quantity,
                    amount,
                })
        }

        proptest! {
            #[test]
            fn canonical_json_is_sorted_compact_json(
                order_id in TEXT,
                key in TEXT,
                reason in TEXT,
                lines in prop::collection::vec(line(), 0..6),
                shipping in prop_oneof![
                    Just(ShippingRefund::None),
                    Just(ShippingRefund::All),
                    money().prop_map(ShippingRefund::Amount),
                ],
                method in prop::sample::select(vec![RefundMethod::OriginalPayment, RefundMethod::StoreCredit, RefundMethod::Cash]),
                currency in prop::option::of(prop::sample::select(vec![Currency::EUR, Currency::CHF])),
            ) {
                let refund = RequestedRefund { idempotency_key: key, lines, shipping, reason, method, currency };
                let text = canonical_json(&order_id, &refund);
                prop_assert_eq!(&text, &reference(&order_id, &refund));
                let digest = Sha256::digest(text.as_bytes());
                let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
                prop_assert_eq!(fingerprint(&order_id, &refund), format!("sha256:{hex}"));
            }
        }
    }

    #[test]
    fn meaning_changes_change_the_fingerprint() {
        let base = r#"{"idempotency_key":"k","lines":[{"line_id":"A","quantity":1}],"reason":"r","method":"cash"}"#;
        let a = fingerprint("o", &parse(base));
        for other in [
            base.replace("\"quantity\":1", "\"quantity\":2"),
            base.replace("\"reason\":\"r\"", "\"reason\":\"R\""),
            base.replace("cash", "store_credit"),
            base.replace("\"k\"", "\"k2\""),
            base.replace("\"method\"", "\"currency\":\"EUR\",\"method\""),
            base.replace("\"method\"", "\"shipping\":\"all\",\"method\""),
        ] {
            assert_ne!(a, fingerprint("o", &parse(&other)), "{other}");
        }
        assert_eq!(
            a,
            "sha256:".to_string() + &a[7..],
            "prefix and 64 hex digits"
        );
        assert_eq!(a.len(), 71);
    }
}
