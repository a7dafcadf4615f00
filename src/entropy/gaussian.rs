//! Indexed Gaussian tables for mean–scale hyperpriors.
//!
//! Built once with `f64` math at model-build time; the integer tables are stored in the model
//! file and read back, so decoding never depends on these floats.

use super::{CdfTable, TableSet, MAX_TABLES, MAX_TABLE_LEN};
use crate::error::{Error, Result};

/// Probability mass left outside a Gaussian table's support on *each* side (it goes to the
/// escape symbol), unless the table hits [`MAX_TABLE_LEN`].
pub const GAUSSIAN_TAIL_MASS: f64 = 1e-9;

/// Largest half-width `r` of a support `-r ..= r` (2r + 1 values + escape <= MAX_TABLE_LEN).
const MAX_HALF_WIDTH: i32 = (MAX_TABLE_LEN as i32 - 2) / 2;

/// `count` scales log-spaced from `min` to `max` (both included; `[min]` if `count == 1`).
/// Expects `0 < min <= max`, both finite; otherwise the result contains values that
/// [`gaussian_tables`] rejects.
pub fn gaussian_scales(count: usize, min: f64, max: f64) -> Vec<f64> {
    match count {
        0 => Vec::new(),
        1 => vec![min],
        _ => {
            let (a, b) = (min.ln(), max.ln());
            let last = (count - 1) as f64;
            (0..count)
                .map(|k| match k {
                    0 => min,
                    k if k == count - 1 => max,
                    k => (a + (b - a) * (k as f64 / last)).exp(),
                })
                .collect()
        }
    }
}

/// One table per scale: table `k` models `round(X)`, `X ~ N(0, scales[k]²)`, over the smallest
/// symmetric support `-r ..= r` whose tails beyond `±(r + 0.5)` hold at most
/// [`GAUSSIAN_TAIL_MASS`] each (`r` capped so the table has at most [`MAX_TABLE_LEN`] entries),
/// with the tail mass as escape probability, quantized by [`CdfTable::from_probabilities`].
/// Scales must be finite and `> 0` ([`Error::Model`] otherwise); at most [`MAX_TABLES`].
pub fn gaussian_tables(scales: &[f64]) -> Result<TableSet> {
    if scales.len() > MAX_TABLES {
        return Err(Error::Model(format!(
            "{} Gaussian scales; at most {MAX_TABLES} are allowed",
            scales.len()
        )));
    }
    let tables = scales
        .iter()
        .map(|&s| gaussian_table(s))
        .collect::<Result<Vec<_>>>()?;
    TableSet::new(tables)
}

/// The table of one scale (see [`gaussian_tables`]).
pub(crate) fn gaussian_table(scale: f64) -> Result<CdfTable> {
    if !(scale.is_finite() && scale > 0.0) {
        return Err(Error::Model(format!(
            "Gaussian scale {scale} is not finite and positive"
        )));
    }
    let tail = |x: f64| upper_tail(x / scale);
    let mut r = 0;
    while r < MAX_HALF_WIDTH && tail(f64::from(r) + 0.5) > GAUSSIAN_TAIL_MASS {
        r += 1;
    }
    let mut probs = Vec::with_capacity(2 * r as usize + 2);
    for v in -r..=r {
        let a = f64::from(v.abs());
        let p = if v == 0 {
            // 1 - 2 Q(0.5/s), as the mass of the central bin.
            1.0 - 2.0 * tail(0.5)
        } else {
            tail(a - 0.5) - tail(a + 0.5)
        };
        probs.push(p.max(0.0));
    }
    probs.push(2.0 * tail(f64::from(r) + 0.5));
    CdfTable::from_probabilities(-r, &probs)
}

/// `P(Z > x)` for a standard normal `Z`.
fn upper_tail(x: f64) -> f64 {
    0.5 * erfc(x * std::f64::consts::FRAC_1_SQRT_2)
}

/// Complementary error function with relative accuracy ~1e-13 or better (build time only).
pub(crate) fn erfc(x: f64) -> f64 {
    if x.is_nan() {
        return f64::NAN;
    }
    if x < 0.0 {
        return 2.0 - erfc(-x);
    }
    let two_over_sqrt_pi = std::f64::consts::FRAC_2_SQRT_PI;
    if x < 2.5 {
        // erf(x) = 2/sqrt(pi) e^{-x^2} Σ_n 2^n x^{2n+1} / (1·3·…·(2n+1)): positive terms only.
        let x2 = x * x;
        let mut term = x;
        let mut sum = x;
        let mut n = 0.0;
        while term > sum * 1e-17 {
            n += 1.0;
            term *= 2.0 * x2 / (2.0 * n + 1.0);
            sum += term;
        }
        1.0 - two_over_sqrt_pi * (-x2).exp() * sum
    } else {
        // Continued fraction (Abramowitz & Stegun 7.1.14), evaluated backwards:
        // erfc(x) = e^{-x^2}/sqrt(pi) · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + …))))).
        let mut t = x;
        for k in (1..=120).rev() {
            t = x + (f64::from(k) * 0.5) / t;
        }
        0.5 * two_over_sqrt_pi * (-x * x).exp() / t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_reference_values() {
        let cases = [
            (0.0, 1.0),
            (0.5, 0.479_500_122_186_953_5),
            (1.0, 0.157_299_207_050_285_13),
            (2.0, 0.004_677_734_981_047_266),
            (2.5, 4.069_520_174_449_59e-4),
            (3.0, 2.209_049_699_858_544e-5),
            (5.0, 1.537_459_794_428_035e-12),
            (10.0, 2.088_487_583_762_545e-45),
            (-1.0, 1.842_700_792_949_715),
        ];
        for (x, want) in cases {
            let got = erfc(x);
            assert!(
                ((got - want) / want).abs() < 1e-12,
                "erfc({x}) = {got}, want {want}"
            );
        }
        // Continuity across the switch point.
        let (l, r) = (erfc(2.5 - 1e-12), erfc(2.5));
        assert!(((l - r) / r).abs() < 1e-10);
    }

    #[test]
    fn scales_are_log_spaced() {
        let s = gaussian_scales(5, 0.1, 1000.0);
        assert_eq!(s.len(), 5);
        assert_eq!(s[0], 0.1);
        assert_eq!(s[4], 1000.0);
        for k in 1..5 {
            assert!((s[k] / s[k - 1] - 10.0).abs() < 1e-9);
        }
        assert_eq!(gaussian_scales(1, 0.5, 2.0), vec![0.5]);
        assert!(gaussian_scales(0, 0.5, 2.0).is_empty());
    }

    #[test]
    fn tiny_and_huge_scales() {
        let t = gaussian_table(1e-3).unwrap();
        assert_eq!(t.offset(), 0);
        assert_eq!(t.len(), 2);
        let t = gaussian_table(1e6).unwrap();
        assert_eq!(t.len(), MAX_TABLE_LEN);
        assert!(gaussian_table(0.0).is_err());
        assert!(gaussian_table(f64::NAN).is_err());
        assert!(gaussian_table(f64::INFINITY).is_err());
    }
}
