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
pub(crate) fn decimal(out: &mut String, value: Decimal) {
    if value.is_sign_negative() {
        out.push('-');
    }
    // 96-bit mantissas have at most 29 digits.
    let mut digits = [b'0'; 40];
    let mut start = digits.len();
    let mut magnitude = value.mantissa().unsigned_abs();
    while magnitude > 0 && start > 0 {
        start -= 1;
        // The remainder is below 10, so the cast cannot truncate.
        let digit = match u64::try_from(magnitude) {
            Ok(small) => {
                magnitude = u128::from(small / 10);
                (small % 10) as u8
            }
            Err(_) => {
                let digit = (magnitude % 10) as u8;
                magnitude /= 10;
                digit
            }
        };
        if let Some(slot) = digits.get_mut(start) {
            *slot = b'0' + digit;
        }
    }
    let written = digits.get(start..).unwrap_or(&[]);
    let scale = usize::try_from(value.scale()).unwrap_or(0);
    // Only ASCII digits were written.
    let push = |out: &mut String, bytes: &[u8]| {
        out.push_str(std::str::from_utf8(bytes).unwrap_or_default());
    };
    if scale == 0 {
        if written.is_empty() {
            out.push('0');
        } else {
            push(out, written);
        }
    } else if written.len() <= scale {
        out.push_str("0.");
        for _ in written.len()..scale {
            out.push('0');
        }
        push(out, written);
    } else {
        let (whole, fraction) = written.split_at(written.len() - scale);
        push(out, whole);
        out.push('.');
        push(out, fraction);
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
        let negative_zero = -Decimal::ZERO;
        let mut out = String::new();
        decimal(&mut out, negative_zero);
        assert_eq!(out, negative_zero.to_string());
    }

    proptest! {
        #[test]
        fn decimal_text_is_display(lo in any::<u32>(), mid in any::<u32>(), hi in any::<u32>(), negative in any::<bool>(), scale in 0u32..=28) {
            let value = Decimal::from_parts(lo, mid, hi, negative, scale);
            let mut out = String::new();
            decimal(&mut out, value);
            prop_assert_eq!(out, value.to_string());
        }
    }
}
