//! Great-circle distances that come out the same on every platform.
//!
//! The haversine formula needs `sin`, `cos` and `atan`. The platform's `f64` versions of
//! those come from the system math library, whose last bits differ between platforms, so a
//! plan could differ by which machine computed it. This module evaluates them with series
//! that use only the IEEE 754 basic operations (`+`, `−`, `×`, `÷`, `√`), which are
//! correctly rounded everywhere (Rust never fuses a multiply and an add unless asked to), and
//! then rounds the distance to whole metres (0.001 km, half away from zero) before anything
//! compares or prints it. Distances are not money: binary floating point is acceptable here,
//! platform dependence is not.

use rust_decimal::Decimal;

/// Mean Earth radius in km (IUGG mean radius R1 = 6371.0088 km).
pub const EARTH_RADIUS_KM: f64 = 6371.0088;

const PI: f64 = std::f64::consts::PI;
const FRAC_PI_2: f64 = std::f64::consts::FRAC_PI_2;

/// `sin(x)` for `|x| <= π` by its Taylor series after folding into `[-π/2, π/2]`.
fn sin(x: f64) -> f64 {
    let folded = if x > FRAC_PI_2 {
        PI - x
    } else if x < -FRAC_PI_2 {
        -PI - x
    } else {
        x
    };
    let square = folded * folded;
    let mut term = folded;
    let mut sum = folded;
    // (π/2)^29 / 29! < 1e-24: 14 terms are plenty for f64.
    for k in 1..15u32 {
        let n = f64::from(2 * k);
        term = -term * square / (n * (n + 1.0));
        sum += term;
    }
    sum
}

/// `cos(x)` for `|x| <= π/2`.
fn cos(x: f64) -> f64 {
    sin(FRAC_PI_2 - x.abs())
}

/// `atan(t)` for `t >= 0`.
fn atan(t: f64) -> f64 {
    if t > 1.0 {
        return FRAC_PI_2 - atan(1.0 / t);
    }
    // Two half-angle reductions, atan(t) = 2·atan(t / (1 + √(1 + t²))), bring t below
    // tan(π/16) ≈ 0.199, where the series converges fast.
    let mut reduced = t;
    for _ in 0..2 {
        reduced /= 1.0 + (1.0 + reduced * reduced).sqrt();
    }
    let square = reduced * reduced;
    let mut power = reduced;
    let mut sum = reduced;
    // 0.2^49 / 49 < 1e-35.
    for k in 1..25u32 {
        power = -power * square;
        sum += power / f64::from(2 * k + 1);
    }
    4.0 * sum
}

/// Great-circle distance in km between two points given in degrees, rounded to 0.001 km
/// (half away from zero). Inputs must already be validated (latitude within ±90, longitude
/// within ±180).
///
/// ```
/// use backoffice::routing::great_circle_km;
/// use rust_decimal_macros::dec;
/// // Paris to Berlin.
/// let km = great_circle_km(dec!(48.8566), dec!(2.3522), dec!(52.5200), dec!(13.4050));
/// assert_eq!(km, dec!(877.465));
/// ```
pub fn great_circle_km(lat1: Decimal, lon1: Decimal, lat2: Decimal, lon2: Decimal) -> Decimal {
    let radians = |degrees: Decimal| -> f64 {
        // A validated coordinate has at most a few dozen digits; `to_f64` is exact up to
        // the f64 precision and identical everywhere (it is integer arithmetic).
        let value: f64 = rust_decimal::prelude::ToPrimitive::to_f64(&degrees).unwrap_or(0.0);
        value * (PI / 180.0)
    };
    let (phi1, phi2) = (radians(lat1), radians(lat2));
    let delta_phi = phi2 - phi1;
    let mut delta_lambda = radians(lon2) - radians(lon1);
    if delta_lambda > PI {
        delta_lambda -= 2.0 * PI;
    } else if delta_lambda < -PI {
        delta_lambda += 2.0 * PI;
    }
    let half_phi = sin(delta_phi / 2.0);
    let half_lambda = sin(delta_lambda / 2.0);
    let a =
        (half_phi * half_phi + cos(phi1) * cos(phi2) * half_lambda * half_lambda).clamp(0.0, 1.0);
    let central_angle = if a >= 1.0 {
        PI
    } else {
        2.0 * atan(a.sqrt() / (1.0 - a).sqrt())
    };
    let metres = (EARTH_RADIUS_KM * central_angle * 1000.0).round();
    // At most half the circumference (≈ 20,015,087 m): always fits an i64.
    Decimal::new(metres as i64, 3)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn series_match_the_platform_functions() {
        let mut x = -PI;
        while x <= PI {
            assert!((sin(x) - x.sin()).abs() < 1e-15, "sin({x})");
            if x.abs() <= FRAC_PI_2 {
                assert!((cos(x) - x.cos()).abs() < 1e-15, "cos({x})");
            }
            x += 0.001;
        }
        let mut t = 0.0;
        while t < 50.0 {
            assert!((atan(t) - t.atan()).abs() < 1e-15, "atan({t})");
            t += 0.01;
        }
    }

    #[test]
    fn known_distances() {
        assert_eq!(great_circle_km(dec!(0), dec!(0), dec!(0), dec!(0)), dec!(0));
        // A quarter of the equator.
        assert_eq!(
            great_circle_km(dec!(0), dec!(0), dec!(0), dec!(90)),
            dec!(10007.557)
        );
        // Antipodes.
        assert_eq!(
            great_circle_km(dec!(90), dec!(0), dec!(-90), dec!(0)),
            dec!(20015.114)
        );
        // Across the antimeridian is the short way round.
        assert_eq!(
            great_circle_km(dec!(0), dec!(179.5), dec!(0), dec!(-179.5)),
            great_circle_km(dec!(0), dec!(0), dec!(0), dec!(1))
        );
    }
}
