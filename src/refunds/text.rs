//! Writing amounts into messages without the `fmt` machinery (the reasons of every plan
//! are built on the hot path). The text is exactly what `Display` writes.

use crate::Money;
use rust_decimal::Decimal;

/// Appends `money` as `Money`'s `Display` writes it (`12.30 USD`).
pub(crate) fn money(out: &mut String, money: Money) {
    decimal(out, money.amount());
    out.push(' ');
    out.push_str(money.currency().code());
}

/// Appends `value` as `Decimal`'s `Display` (without width or precision) writes it: a
/// `-` for a negative sign (negative zero included), the digits of the mantissa, and a
/// point before the last `scale` digits, padded with zeros to `0.0…`.
///
/// The text is assembled right to left in a stack buffer and appended once.
pub(crate) fn decimal(out: &mut String, value: Decimal) {
    // 96-bit mantissas have at most 29 digits and the scale is at most 28: with the point
    // and the sign, 31 bytes at most.
    let mut buffer = Digits::new();
    let scale = usize::try_from(value.scale()).unwrap_or(0);
    let mut magnitude = value.mantissa().unsigned_abs();
    let mut written = 0usize;
    // Digits beyond 64 bits first (rare), then 64-bit arithmetic, which is much cheaper.
    let mut small = loop {
        match u64::try_from(magnitude) {
            Ok(small) => break small,
            Err(_) => {
                // The remainder is below 10, so the cast cannot truncate.
                buffer.digit((magnitude % 10) as u8, &mut written, scale);
                magnitude /= 10;
            }
        }
    };
    loop {
        buffer.digit((small % 10) as u8, &mut written, scale);
        small /= 10;
        // At least one digit before the point: `0.05`, `0`.
        if small == 0 && written > scale {
            break;
        }
        if buffer.is_full() {
            break;
        }
    }
    if value.is_sign_negative() {
        buffer.byte(b'-');
    }
    buffer.append_to(out);
}

/// Appends `value` in decimal (what `Display` writes for an `i64`).
pub(crate) fn integer(out: &mut String, value: i64) {
    // One digit (quantities, the format version) is the usual case.
    if let Ok(digit) = u8::try_from(value) {
        if digit < 10 {
            out.push(char::from(b'0' + digit));
            return;
        }
    }
    let mut buffer = Digits::new();
    let mut magnitude = value.unsigned_abs();
    let mut written = 0usize;
    loop {
        // No point: a scale larger than any digit count.
        buffer.digit((magnitude % 10) as u8, &mut written, usize::MAX);
        magnitude /= 10;
        if magnitude == 0 || buffer.is_full() {
            break;
        }
    }
    if value < 0 {
        buffer.byte(b'-');
    }
    buffer.append_to(out);
}

/// ASCII text written right to left into a fixed buffer.
struct Digits {
    bytes: [u8; 40],
    start: usize,
}

impl Digits {
    fn new() -> Self {
        Digits {
            bytes: [b'0'; 40],
            start: 40,
        }
    }

    fn is_full(&self) -> bool {
        self.start < 2
    }

    #[inline(always)]
    fn byte(&mut self, byte: u8) {
        if let Some(start) = self.start.checked_sub(1) {
            if let Some(slot) = self.bytes.get_mut(start) {
                *slot = byte;
                self.start = start;
            }
        }
    }

    /// Writes one digit (0 to 9), and the point once `scale` digits are written.
    #[inline(always)]
    fn digit(&mut self, digit: u8, written: &mut usize, scale: usize) {
        self.byte(b'0' + digit);
        *written += 1;
        if *written == scale {
            self.byte(b'.');
        }
    }

    /// Appends the text to `out` (every byte is ASCII: digits, `.` and `-`).
    #[inline(always)]
    fn append_to(&self, out: &mut String) {
        let text = self.bytes.get(self.start..).unwrap_or(&[]);
        out.reserve(text.len());
        for &byte in text {
            out.push(char::from(byte));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Currency;
    use proptest::prelude::*;

    #[test]
    fn same_text_as_display() {
        for text in [
            "0",
            "0.00",
            "-0.00",
            "0.05",
            "-0.05",
            "12.34",
            "-12.34",
            "100",
            "1.000",
            "0.001",
            "79228162514264337593543950335",
            "-7.9228162514264337593543950335",
            "0.0000000000000000000000000001",
        ] {
            let value: Decimal = text.parse().unwrap();
            let mut out = String::new();
            decimal(&mut out, value);
            assert_eq!(out, value.to_string(), "{text}");
        }
        let mut out = String::new();
        money(
            &mut out,
            Money::new("40.00".parse().unwrap(), Currency::USD),
        );
        assert_eq!(out, "40.00 USD");
        for value in [0, 7, -1, 10, i64::MIN, i64::MAX] {
            let mut out = String::new();
            integer(&mut out, value);
            assert_eq!(out, value.to_string());
        }
        let negative_zero = -Decimal::ZERO;
        let mut out = String::new();
        decimal(&mut out, negative_zero);
        assert_eq!(out, negative_zero.to_string());
    }

    proptest! {
        #[test]
        fn integer_text_is_display(value in any::<i64>()) {
            let mut out = String::new();
            integer(&mut out, value);
            prop_assert_eq!(out, value.to_string());
        }

        #[test]
        fn decimal_text_is_display(lo in any::<u32>(), mid in any::<u32>(), hi in any::<u32>(), negative in any::<bool>(), scale in 0u32..=28) {
            let value = Decimal::from_parts(lo, mid, hi, negative, scale);
            let mut out = String::new();
            decimal(&mut out, value);
            prop_assert_eq!(out, value.to_string());
        }
    }
}
