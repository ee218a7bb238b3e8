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

use super::types::{RefundLineRequest, RefundMethod, RequestedRefund, ShippingRefund};
use crate::Money;
use rust_decimal::Decimal;
use sha2::{Digest, Sha256};

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
    // The canonical JSON goes straight into the hasher through a small stack buffer: the
    // same bytes as `canonical_json`, without building the string.
    let mut sink = HashSink {
        hasher: Sha256::new(),
        buffer: [0; HASH_BUFFER],
        len: 0,
    };
    write_canonical(&mut sink, order_id, refund);
    let digest = sink.finish();
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for byte in digest {
        for nibble in [byte >> 4, byte & 0x0f] {
            if let Some(&digit) = HEX.get(usize::from(nibble)) {
                out.push(char::from(digit));
            }
        }
    }
    out
}

/// The canonical JSON text that [`fingerprint`] hashes (see the module docs).
pub fn canonical_json(order_id: &str, refund: &RequestedRefund) -> String {
    let mut out = String::with_capacity(160 + 96 * refund.lines.len());
    write_canonical(&mut out, order_id, refund);
    out
}

/// Where canonical JSON is written: a `String`, or a hasher.
trait Out: std::fmt::Write {
    fn push_str(&mut self, text: &str);
    fn push(&mut self, ch: char) {
        let mut utf8 = [0u8; 4];
        self.push_str(ch.encode_utf8(&mut utf8));
    }
}

impl Out for String {
    fn push_str(&mut self, text: &str) {
        String::push_str(self, text);
    }
    fn push(&mut self, ch: char) {
        String::push(self, ch);
    }
}

const HASH_BUFFER: usize = 256;

/// Feeds SHA-256 in chunks of up to [`HASH_BUFFER`] bytes.
struct HashSink {
    hasher: Sha256,
    buffer: [u8; HASH_BUFFER],
    len: usize,
}

impl HashSink {
    fn flush(&mut self) {
        if let Some(bytes) = self.buffer.get(..self.len) {
            self.hasher.update(bytes);
        }
        self.len = 0;
    }

    fn finish(mut self) -> [u8; 32] {
        self.flush();
        self.hasher.finalize().into()
    }
}

impl Out for HashSink {
    fn push_str(&mut self, text: &str) {
        let bytes = text.as_bytes();
        let end = self.len + bytes.len();
        match self.buffer.get_mut(self.len..end) {
            Some(slot) => {
                slot.copy_from_slice(bytes);
                self.len = end;
            }
            None => {
                self.flush();
                match self.buffer.get_mut(..bytes.len()) {
                    Some(slot) => {
                        slot.copy_from_slice(bytes);
                        self.len = bytes.len();
                    }
                    None => self.hasher.update(bytes),
                }
            }
        }
    }
}

impl std::fmt::Write for HashSink {
    fn write_str(&mut self, text: &str) -> std::fmt::Result {
        Out::push_str(self, text);
        Ok(())
    }
}

fn write_canonical(out: &mut impl Out, order_id: &str, refund: &RequestedRefund) {
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
    string(
        out,
        match refund.method {
            RefundMethod::OriginalPayment => "original_payment",
            RefundMethod::StoreCredit => "store_credit",
            RefundMethod::Cash => "cash",
        },
    );
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
    integer(out, i64::from(FINGERPRINT_VERSION));
    out.push('}');
}

/// Writes one request line (`index` is its position in the canonical order).
fn request_line(out: &mut impl Out, index: usize, line: &RefundLineRequest) {
    if index > 0 {
        out.push(',');
    }
    out.push_str("{\"amount\":");
    match &line.amount {
        Some(amount) => money(out, amount),
        None => out.push_str("null"),
    }
    out.push_str(",\"line_id\":");
    string(out, &line.line_id);
    out.push_str(",\"quantity\":");
    match line.quantity {
        Some(quantity) => integer(out, quantity),
        None => out.push_str("null"),
    }
    out.push('}');
}

/// Writes an integer in decimal without going through `fmt` (this is on the hot path).
fn integer(out: &mut impl Out, value: i64) {
    if value < 0 {
        out.push('-');
    }
    let mut magnitude = value.unsigned_abs();
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(slot) = digits.get_mut(start) {
            *slot = b'0' + (magnitude % 10) as u8;
        }
        magnitude /= 10;
        if magnitude == 0 || start == 0 {
            break;
        }
    }
    for &digit in digits.get(start..).unwrap_or(&[]) {
        out.push(char::from(digit));
    }
}

fn money(out: &mut impl Out, value: &Money) {
    out.push_str("{\"amount\":");
    decimal(out, value.amount());
    out.push_str(",\"currency\":");
    string(out, value.currency().code());
    out.push('}');
}

fn decimal(out: &mut impl Out, value: Decimal) {
    let normalized = value.normalize();
    let _ = write!(out, "\"{normalized}\"");
}

/// Writes a JSON string literal (RFC 8259 escaping; non-ASCII kept as UTF-8).
fn string(out: &mut impl Out, value: &str) {
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
