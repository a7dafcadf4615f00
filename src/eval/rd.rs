//! Rate–distortion curves: CompressAI's results JSON, interpolation and Bjøntegaard deltas.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// One operating point: mean rate and quality over a data set.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RdPoint {
    /// Mean bits per pixel.
    pub bpp: f64,
    /// Mean PSNR over RGB in dB.
    pub psnr: f64,
    /// Mean MS-SSIM over RGB, where measured.
    pub ms_ssim: Option<f64>,
}

/// A named rate–distortion curve, points in increasing rate.
#[derive(Clone, Debug, PartialEq)]
pub struct RdCurve {
    /// Codec name (e.g. "JPEG (cjpeg -optimize)").
    pub name: String,
    /// Operating points.
    pub points: Vec<RdPoint>,
}

/// CompressAI's results file: `{"name", "description", "results": {"bpp": [..], "psnr-rgb": [..], ..}}`.
#[derive(Debug, Serialize, Deserialize)]
pub struct ResultsJson {
    /// Codec name.
    pub name: String,
    /// Free text (how the points were made).
    #[serde(default)]
    pub description: String,
    /// Per-point series.
    pub results: ResultSeries,
}

/// The series of a results file (CompressAI's key names).
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct ResultSeries {
    /// Bits per pixel.
    pub bpp: Vec<f64>,
    /// PSNR over RGB; older files call it `psnr`.
    #[serde(rename = "psnr-rgb", alias = "psnr", default)]
    pub psnr_rgb: Vec<f64>,
    /// MS-SSIM over RGB, where measured.
    #[serde(rename = "ms-ssim", default, skip_serializing_if = "Vec::is_empty")]
    pub ms_ssim: Vec<f64>,
    /// Mean encode time per image in seconds, where measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub encoding_time: Vec<f64>,
    /// Mean decode time per image in seconds, where measured.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decoding_time: Vec<f64>,
}

impl RdCurve {
    /// A curve from points in any order (sorted by rate).
    pub fn new(name: impl Into<String>, mut points: Vec<RdPoint>) -> Self {
        points.sort_by(|a, b| a.bpp.total_cmp(&b.bpp));
        Self { name: name.into(), points }
    }

    /// Reads the curves of a results file: one CompressAI results object, or a list of them
    /// (what `nmc eval image --json` writes, so an earlier run can be an anchor).
    pub fn read_json(path: &Path) -> Result<Vec<Self>> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum ResultsFile {
            One(ResultsJson),
            Many(Vec<ResultsJson>),
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        let file: ResultsFile = serde_json::from_slice(&bytes)
            .map_err(|e| Error::InvalidArgument(format!("not a CompressAI results file (nor a list of them): {e}")).in_file(path))?;
        let curves = match file {
            ResultsFile::One(json) => vec![json],
            ResultsFile::Many(list) => list,
        };
        if curves.is_empty() {
            return Err(Error::InvalidArgument("no curves".into()).in_file(path));
        }
        curves.into_iter().map(|json| Self::from_results(json).map_err(|e| e.in_file(path))).collect()
    }

    fn from_results(json: ResultsJson) -> Result<Self> {
        let r = json.results;
        if r.bpp.len() != r.psnr_rgb.len() || r.bpp.is_empty() {
            return Err(Error::InvalidArgument(format!("curve '{}': no PSNR-RGB series (or not one per bpp value)", json.name)));
        }
        let points = r
            .bpp
            .iter()
            .zip(&r.psnr_rgb)
            .enumerate()
            .map(|(i, (&bpp, &psnr))| RdPoint { bpp, psnr, ms_ssim: r.ms_ssim.get(i).copied() })
            .collect();
        Ok(Self::new(json.name, points))
    }

    /// PSNR at rate `bpp`, interpolated linearly in log-rate; `None` outside the curve.
    pub fn psnr_at(&self, bpp: f64) -> Option<f64> {
        interpolate(self.points.iter().map(|p| (p.bpp.ln(), p.psnr)), bpp.ln())
    }

    /// Rate at quality `psnr`, interpolated linearly in log-rate; `None` outside the curve.
    pub fn bpp_at(&self, psnr: f64) -> Option<f64> {
        let mut by_psnr: Vec<(f64, f64)> = self.points.iter().map(|p| (p.psnr, p.bpp.ln())).collect();
        by_psnr.sort_by(|a, b| a.0.total_cmp(&b.0));
        interpolate(by_psnr.into_iter(), psnr).map(f64::exp)
    }
}

fn interpolate(points: impl Iterator<Item = (f64, f64)>, x: f64) -> Option<f64> {
    let pts: Vec<(f64, f64)> = points.collect();
    pts.windows(2).find(|w| w[0].0 <= x && x <= w[1].0).map(|w| {
        let (x0, y0, x1, y1) = (w[0].0, w[0].1, w[1].0, w[1].1);
        if x1 == x0 { y0 } else { y0 + (y1 - y0) * (x - x0) / (x1 - x0) }
    })
}

/// Prints a table of BD-rates of nmc against other codecs of this run on two quality measures:
/// one row per codec name with its two BD-rates (`None`: see [`bd_rate`]).
pub fn print_bd_table(measures: [&str; 2], rows: impl IntoIterator<Item = (String, [Option<f64>; 2])>) {
    println!();
    println!("{:<48} {:>16} {:>16}", "BD-rate of nmc against", measures[0], measures[1]);
    for (name, [a, b]) in rows {
        println!("{:<48} {:>16} {:>16}", format!("{name} [this run]"), show_bd(a), show_bd(b));
    }
}

/// A BD-rate for tables: `+12.3%`, or `n/a` where [`bd_rate`] has none.
pub fn show_bd(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:+.1}%"))
}

/// Bjøntegaard delta rate of `test` against `anchor` in percent (negative: `test` needs fewer
/// bits for the same quality): cubic fits of log-rate over quality (VCEG-M33), integrated over
/// the quality range both curves cover. Only a curve's rising points enter its fit: a point
/// that does not beat every lower-rate point's quality is dropped. `None` if either curve has
/// fewer than 4 rising points, the curves do not overlap, or a fit does not follow its curve:
/// it misses a point by more than [`FIT_TOLERANCE`] or falls anywhere in that range (a
/// saturating curve, whose fitted integral would be meaningless).
pub fn bd_rate(anchor: &RdCurve, test: &RdCurve) -> Option<f64> {
    let (a, t) = (LogRateFit::new(anchor)?, LogRateFit::new(test)?);
    let (lo, hi) = (a.lo.max(t.lo), a.hi.min(t.hi));
    if hi <= lo {
        return None;
    }
    Some(((t.mean(lo, hi)? - a.mean(lo, hi)?).exp() - 1.0) * 100.0)
}

/// The largest distance in log-rate (about 10% of the rate) between a fitted cubic and one of
/// its points for a BD-rate. The image and video curves of `docs/results` and CompressAI's
/// anchors miss theirs by at most 0.072; audio models' curves, which flatten out, by 0.14–0.42.
pub const FIT_TOLERANCE: f64 = 0.1;

/// A cubic least-squares fit of log-rate over quality, with the fitted points' quality range
/// mapped to [−1, 1] (so that qualities spanning 0.1, like a mel distance, fit as well as PSNRs).
struct LogRateFit {
    /// Coefficients of `u⁰ … u³`, `u` = [`Self::u`] of the quality.
    coefficients: [f64; 4],
    /// The quality range of the fitted points.
    lo: f64,
    hi: f64,
}

impl LogRateFit {
    fn new(curve: &RdCurve) -> Option<Self> {
        let mut rising: Vec<&RdPoint> = Vec::new();
        for p in &curve.points {
            if rising.last().is_none_or(|last| p.psnr > last.psnr) {
                rising.push(p);
            }
        }
        if rising.len() < 4 {
            return None;
        }
        let mut fit = Self { coefficients: [0.0; 4], lo: rising[0].psnr, hi: rising[rising.len() - 1].psnr };
        let points: Vec<(f64, f64)> = rising.iter().map(|p| (fit.u(p.psnr), p.bpp.ln())).collect();
        fit.coefficients = polyfit3(&points)?;
        let value = |u: f64| fit.coefficients.iter().rev().fold(0.0, |acc, c| acc * u + c);
        if points.iter().any(|&(u, y)| (value(u) - y).abs() > FIT_TOLERANCE) {
            return None;
        }
        Some(fit)
    }

    /// Quality mapped from the fitted range `lo..hi` to `−1..1`.
    fn u(&self, quality: f64) -> f64 {
        (2.0 * quality - self.lo - self.hi) / (self.hi - self.lo)
    }

    /// Mean fitted log-rate over qualities `lo..hi`; `None` where the fit falls in that range.
    fn mean(&self, lo: f64, hi: f64) -> Option<f64> {
        let [c0, c1, c2, c3] = self.coefficients;
        let (u0, u1) = (self.u(lo), self.u(hi));
        // The slope c1 + 2 c2 u + 3 c3 u² is smallest at an end or at its vertex.
        let slope = |u: f64| c1 + 2.0 * c2 * u + 3.0 * c3 * u * u;
        let vertex = if c3 != 0.0 { -c2 / (3.0 * c3) } else { u0 };
        if slope(u0) < 0.0 || slope(u1) < 0.0 || (u0 < vertex && vertex < u1 && slope(vertex) < 0.0) {
            return None;
        }
        let primitive = |u: f64| c0 * u + c1 * u * u / 2.0 + c2 * u.powi(3) / 3.0 + c3 * u.powi(4) / 4.0;
        Some((primitive(u1) - primitive(u0)) / (u1 - u0))
    }
}

/// Least-squares cubic `y = c0 + c1 x + c2 x² + c3 x³` (normal equations, Gaussian elimination);
/// `None` if the points do not determine one.
fn polyfit3(points: &[(f64, f64)]) -> Option<[f64; 4]> {
    let mut a = [[0.0f64; 5]; 4];
    for &(x, y) in points {
        let pows = [1.0, x, x * x, x * x * x];
        for r in 0..4 {
            for c in 0..4 {
                a[r][c] += pows[r] * pows[c];
            }
            a[r][4] += pows[r] * y;
        }
    }
    for col in 0..4 {
        let pivot = (col..4).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        a.swap(col, pivot);
        if a[col][col].abs() < 1e-12 {
            return None;
        }
        for row in 0..4 {
            if row != col {
                let (pivot_row, f) = (a[col], a[row][col] / a[col][col]);
                for (value, pivot) in a[row][col..].iter_mut().zip(&pivot_row[col..]) {
                    *value -= f * pivot;
                }
            }
        }
    }
    Some(std::array::from_fn(|i| a[i][4] / a[i][i]))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn curve(points: &[(f64, f64)]) -> RdCurve {
        RdCurve::new("c", points.iter().map(|&(bpp, psnr)| RdPoint { bpp, psnr, ms_ssim: None }).collect())
    }

    #[test]
    fn bd_rate_of_a_scaled_curve_is_the_scale() {
        let a = curve(&[(0.1, 27.0), (0.2, 29.5), (0.4, 32.0), (0.8, 34.8), (1.6, 37.5)]);
        let half = RdCurve::new("h", a.points.iter().map(|p| RdPoint { bpp: p.bpp * 0.5, ..*p }).collect());
        assert!((bd_rate(&a, &half).unwrap() + 50.0).abs() < 1e-6);
        assert!(bd_rate(&a, &a).unwrap().abs() < 1e-9);
        assert!(bd_rate(&a, &curve(&[(0.1, 27.0), (0.2, 29.0), (0.4, 31.0)])).is_none());
    }

    /// Points that do not raise the quality are off the curve; a quality spanning only 0.1
    /// (a distance) fits as well as PSNR in dB.
    #[test]
    fn bd_rate_ignores_falling_points_and_the_quality_scale() {
        let a = curve(&[(0.1, 27.0), (0.2, 29.5), (0.4, 32.0), (0.8, 34.8), (1.6, 37.5)]);
        let b = curve(&[(0.09, 27.1), (0.18, 29.5), (0.36, 32.1), (0.72, 34.8), (1.45, 37.5)]);
        let expected = bd_rate(&a, &b).unwrap();
        assert!((-15.0..-5.0).contains(&expected), "{expected}");
        let falling = curve(&[(0.09, 27.1), (0.18, 29.5), (0.36, 32.1), (0.72, 34.8), (1.45, 37.5), (3.0, 37.4), (2.0, 37.0)]);
        assert!((bd_rate(&a, &falling).unwrap() - expected).abs() < 1e-9);
        let tiny = |c: &RdCurve| RdCurve::new("t", c.points.iter().map(|p| RdPoint { psnr: -0.5 + p.psnr / 300.0, ..*p }).collect());
        assert!((bd_rate(&tiny(&a), &tiny(&b)).unwrap() - expected).abs() < 1e-6);
    }

    /// Saturating curves (audio models' SI-SDR: 5.22 dB at 12 kbps, 5.26 at 22) have no
    /// BD-rate; before, their cubic fits' integrals gave +2·10⁶⁷%.
    #[test]
    fn bd_rate_of_saturating_curves_is_none() {
        let test = curve(&[(1.790, 0.05), (6.279, 4.88), (12.005, 5.22), (22.285, 5.26)]);
        let anchor = curve(&[(2.560, 0.78), (6.839, 4.66), (9.065, 4.86), (12.070, 4.94), (24.902, 4.87)]);
        assert_eq!(bd_rate(&anchor, &test), None);
        // Rising (but for q8, dropped) yet flattening: the anchor's cubic misses a point by
        // 0.147 in log-rate, so its BD-rate (−19.3% without the tolerance) is not given.
        let mel = |kbps: [f64; 8], mel: [f64; 8]| curve(&kbps.iter().zip(mel).map(|(&r, m)| (r, -m)).collect::<Vec<_>>());
        let anchor = mel([1.280, 2.560, 4.633, 6.839, 9.065, 12.070, 16.321, 24.902], [0.5821, 0.4655, 0.4199, 0.4002, 0.3897, 0.3843, 0.3820, 0.3854]);
        let test = mel([0.486, 1.906, 4.062, 6.417, 8.674, 11.660, 16.103, 22.283], [0.6544, 0.4828, 0.4223, 0.4027, 0.3907, 0.3829, 0.3844, 0.3832]);
        assert!(LogRateFit::new(&test).is_some());
        assert_eq!(bd_rate(&anchor, &test), None);
    }

    #[test]
    fn interpolation_in_log_rate() {
        let c = curve(&[(0.25, 28.0), (1.0, 32.0)]);
        assert!((c.psnr_at(0.5).unwrap() - 30.0).abs() < 1e-9);
        assert!((c.bpp_at(30.0).unwrap() - 0.5).abs() < 1e-9);
        assert!(c.psnr_at(2.0).is_none() && c.bpp_at(20.0).is_none());
    }
}
