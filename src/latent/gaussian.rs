//! The mean–scale Gaussian conditional of Minnen et al. 2018: a latent element is modelled as
//! a Gaussian with a predicted mean and scale, convolved with a unit box (integer bins).
//!
//! At coding time the scale comes from the fixed-point hyper-synthesis as a log-scale `l` on
//! the activation grid (`l_q / 2^ACT_FRAC_BITS`), and the table is chosen by an integer formula,
//! so that encoder and decoder agree exactly: table `k` has scale `exp(LOG_SCALE_MIN + k/8)`
//! and `k = clamp((l_q − LOG_SCALE_MIN_Q + 1) >> 1, 0, SCALE_COUNT − 1)` (nearest, ties up).

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use crate::entropy::{gaussian_tables, TableSet};
use crate::nn::fixed::{ACT_FRAC_BITS, ACT_MAX, ACT_MIN};
use crate::Result;

/// Number of Gaussian tables.
pub const SCALE_COUNT: usize = 64;
/// `ln` of the smallest scale, on the activation grid: −35/16 = −2.1875 (scale ≈ 0.112).
pub const LOG_SCALE_MIN_Q: i32 = -35;
/// Log-scale step between tables: 2 activation-grid steps = 1/8.
const LOG_SCALE_STEP_Q: i32 = 2;

fn grid() -> f64 {
    (1u32 << ACT_FRAC_BITS) as f64
}

/// The scales of the tables: `exp(LOG_SCALE_MIN + k/8)`, about 0.112 to 295.
pub fn table_scales() -> Vec<f64> {
    (0..SCALE_COUNT as i32).map(|k| ((LOG_SCALE_MIN_Q + k * LOG_SCALE_STEP_Q) as f64 / grid()).exp()).collect()
}

/// The integer Gaussian tables (built once with floats; stored in the model file).
pub fn build_tables() -> Result<TableSet> {
    gaussian_tables(&table_scales())
}

/// The table index of a fixed-point log-scale (integer arithmetic only).
pub fn scale_index(log_scale_q: i32) -> u32 {
    let k = (i64::from(log_scale_q) - i64::from(LOG_SCALE_MIN_Q) + 1) >> 1;
    k.clamp(0, SCALE_COUNT as i64 - 1) as u32
}

/// The decoder's fixed-point hyper-latent from its symbols: `clamp(16·s + m_c)` for every
/// element of channel `c` (`plane` elements per channel, channel-major).
pub fn hyper_latent_q(symbols: &[i32], medians_q: &[i32], plane: usize) -> Vec<i32> {
    symbols
        .iter()
        .enumerate()
        .map(|(i, &v)| (i64::from(v) * (1 << ACT_FRAC_BITS) + i64::from(medians_q[i / plane])).clamp(ACT_MIN.into(), ACT_MAX.into()) as i32)
        .collect()
}

/// Splits the hyper-synthesis output (`2M` channels of `plane` values: means, then log-scales)
/// into the means and each element's table index `offset + scale_index(l)`.
pub fn means_and_tables(mut params: Vec<i32>, m: usize, plane: usize, offset: u32) -> (Vec<i32>, Vec<u32>) {
    let half = m * plane;
    let indexes = params[half..].iter().map(|&l| offset + scale_index(l)).collect();
    params.truncate(half);
    (params, indexes)
}

/// The mean–scale part of a hyperprior training pass, shared by every medium: from the gained
/// latent `y` `[B, M, h, w]` and hyper-latent `z`, the noisy-latent likelihoods give the bits,
/// the hyper-latent is rounded around its medians onto the fixed-point grid and run through
/// `hyper_synthesis` (means, then log-scales), and the latent is rounded around its means with
/// a straight-through gradient. `noise` adds the rate proxy's uniform noise (e.g.
/// [`crate::latent::add_uniform_noise`]). Returns `ŷ` (before the inverse gain) and the total bits.
pub fn hyperprior_train<B: Backend>(
    y: Tensor<B, 4>,
    z: Tensor<B, 4>,
    bottleneck: &crate::latent::EntropyBottleneck<B>,
    hyper_synthesis: impl FnOnce(Tensor<B, 4>) -> Tensor<B, 4>,
    mut noise: impl FnMut(Tensor<B, 4>) -> Tensor<B, 4>,
) -> (Tensor<B, 4>, Tensor<B, 1>) {
    use crate::latent::round_ste;
    use crate::nn::fixed::fake_quant_act;
    let m = y.dims()[1];
    let z_likelihood = bottleneck.likelihood(noise(z.clone()));
    let medians = fake_quant_act(bottleneck.medians()).reshape([1, bottleneck.channels(), 1, 1]);
    let z_hat = fake_quant_act(round_ste(z - medians.clone()) + medians);
    let params = hyper_synthesis(z_hat);
    let [b, _, h, w] = params.dims();
    let mean = params.clone().slice([0..b, 0..m, 0..h, 0..w]);
    let log_scale = params.slice([0..b, m..2 * m, 0..h, 0..w]);
    let y_likelihood = likelihood(noise(y.clone()), mean.clone(), log_scale);
    let y_hat = round_ste(y - mean.clone()) + mean;
    let bits = (z_likelihood.log().sum() + y_likelihood.log().sum()).div_scalar(-std::f64::consts::LN_2);
    (y_hat, bits)
}

/// Training likelihood of `y` (noisy or rounded) under `N(mean, exp(log_scale))` integrated over
/// the unit bin around it; the scale is bounded below by the smallest table scale.
pub fn likelihood<B: Backend, const D: usize>(y: Tensor<B, D>, mean: Tensor<B, D>, log_scale: Tensor<B, D>) -> Tensor<B, D> {
    let min_log = LOG_SCALE_MIN_Q as f64 / grid();
    let scale = log_scale.clamp_min(min_log).exp();
    // Evaluate on the lower tail (|y − μ|) where the normal CDF is most accurate.
    let v = (y - mean).abs();
    let upper = normal_cdf((v.clone().neg().add_scalar(0.5)) / scale.clone());
    let lower = normal_cdf((v.neg().sub_scalar(0.5)) / scale);
    (upper - lower).clamp_min(1e-9)
}

fn normal_cdf<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    x.mul_scalar(std::f64::consts::FRAC_1_SQRT_2).erf().add_scalar(1.0).mul_scalar(0.5)
}

#[cfg(test)]
mod tests {
    use burn::tensor::TensorData;

    use super::*;
    use crate::codec::Cpu;

    #[test]
    fn index_is_nearest_table() {
        let scales = table_scales();
        for l_q in -80..120 {
            let l = l_q as f64 / grid();
            let k = scale_index(l_q) as usize;
            let best = (0..SCALE_COUNT).min_by(|&a, &b| (scales[a].ln() - l).abs().total_cmp(&(scales[b].ln() - l).abs())).unwrap();
            // Nearest in log-scale; on an exact tie the larger scale.
            assert!(k == best || (k == best + 1 && ((scales[k].ln() - l).abs() - (scales[best].ln() - l).abs()).abs() < 1e-9), "l_q {l_q}: {k} vs {best}");
        }
        assert_eq!(scale_index(i32::MIN), 0);
        assert_eq!(scale_index(i32::MAX), SCALE_COUNT as u32 - 1);
        assert!((table_scales()[0] - 0.1122).abs() < 1e-3 && table_scales()[63] > 290.0);
    }

    #[test]
    fn likelihood_matches_the_tables() {
        let tables = build_tables().unwrap();
        let device = Default::default();
        let k = 20usize;
        let log_scale = (LOG_SCALE_MIN_Q + 2 * k as i32) as f32 / 16.0;
        let values: Vec<f32> = (-4..=4).map(|v| v as f32).collect();
        let n = values.len();
        let y = Tensor::<Cpu, 4>::from_data(TensorData::new(values.clone(), [1, 1, 1, n]), &device);
        let p: Vec<f32> = likelihood(y, Tensor::zeros([1, 1, 1, n], &device), Tensor::full([1, 1, 1, n], log_scale, &device))
            .into_data()
            .to_vec()
            .unwrap();
        let table = &tables.tables()[k];
        for (v, p) in values.iter().zip(p) {
            let q = table.pmf()[(*v as i32 - table.offset()) as usize] as f64 / (1u64 << 24) as f64;
            assert!((q - p as f64).abs() < 1e-4, "value {v}: table {q}, likelihood {p}");
        }
    }
}
