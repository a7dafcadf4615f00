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

/// A BD-rate for tables: `+12.3%`, or `n/a` where [`bd_rate`] has none (fewer than 4 points
/// or no overlap).
pub fn show_bd(v: Option<f64>) -> String {
    v.map_or("n/a".into(), |v| format!("{v:+.1}%"))
}

/// Bjøntegaard delta rate of `test` against `anchor` in percent (negative: `test` needs fewer
/// bits for the same PSNR): cubic fits of log-rate over PSNR (VCEG-M33), integrated over the
/// PSNR range both curves cover. `None` if either curve has fewer than 4 points or they do not
/// overlap.
pub fn bd_rate(anchor: &RdCurve, test: &RdCurve) -> Option<f64> {
    if anchor.points.len() < 4 || test.points.len() < 4 {
        return None;
    }
    let fit = |c: &RdCurve| polyfit3(&c.points.iter().map(|p| (p.psnr, p.bpp.ln())).collect::<Vec<_>>());
    let (pa, pt) = (fit(anchor)?, fit(test)?);
    let range = |c: &RdCurve| {
        let lo = c.points.iter().map(|p| p.psnr).fold(f64::INFINITY, f64::min);
        let hi = c.points.iter().map(|p| p.psnr).fold(f64::NEG_INFINITY, f64::max);
        (lo, hi)
    };
    let ((a_lo, a_hi), (t_lo, t_hi)) = (range(anchor), range(test));
    let (lo, hi) = (a_lo.max(t_lo), a_hi.min(t_hi));
    if hi <= lo {
        return None;
    }
    let integral = |p: &[f64; 4]| {
        let prim = |x: f64| p[0] * x + p[1] * x * x / 2.0 + p[2] * x.powi(3) / 3.0 + p[3] * x.powi(4) / 4.0;
        prim(hi) - prim(lo)
    };
    let mean_diff = (integral(&pt) - integral(&pa)) / (hi - lo);
    Some((mean_diff.exp() - 1.0) * 100.0)
}

/// Least-squares cubic `y = c0 + c1 x + c2 x² + c3 x³` (normal equations, Gaussian elimination).
fn polyfit3(points: &[(f64, f64)]) -> Option<[f64; 4]> {
    // Centre x for conditioning, then expand back.
    let mean = points.iter().map(|p| p.0).sum::<f64>() / points.len() as f64;
    let mut a = [[0.0f64; 5]; 4];
    for &(x, y) in points {
        let x = x - mean;
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
    let c: Vec<f64> = (0..4).map(|i| a[i][4] / a[i][i]).collect();
    // y = Σ c_k (x − m)^k expanded in powers of x.
    let m = mean;
    Some([
        c[0] - c[1] * m + c[2] * m * m - c[3] * m.powi(3),
        c[1] - 2.0 * c[2] * m + 3.0 * c[3] * m * m,
        c[2] - 3.0 * c[3] * m,
        c[3],
    ])
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

    #[test]
    fn interpolation_in_log_rate() {
        let c = curve(&[(0.25, 28.0), (1.0, 32.0)]);
        assert!((c.psnr_at(0.5).unwrap() - 30.0).abs() < 1e-9);
        assert!((c.bpp_at(30.0).unwrap() - 0.5).abs() < 1e-9);
        assert!(c.psnr_at(2.0).is_none() && c.bpp_at(20.0).is_none());
    }
}
