//! The factorized entropy bottleneck of Ballé et al. 2018 (CompressAI's `EntropyBottleneck`):
//! a learned, per-channel, non-parametric cumulative density, plus learned tail quantiles that
//! bound the integer tables exported for range coding.

use burn::module::{Module, Param};
use burn::tensor::activation::{sigmoid, softplus};
use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor, TensorData};

use crate::entropy::CdfTable;
use crate::{Error, Result};

/// Hidden widths of the per-channel density network (CompressAI's default `(3, 3, 3)`).
const FILTERS: [usize; 5] = [1, 3, 3, 3, 1];
const INIT_SCALE: f64 = 10.0;
/// Probability mass left outside the tables (coded with escapes).
const TAIL_MASS: f64 = 1e-9;
const LIKELIHOOD_BOUND: f64 = 1e-9;
/// Quantiles are stored divided by this factor so that, under Adam, they move this much faster than
/// the other parameters (CompressAI trains them with a 10× learning rate through a separate optimizer).
const QUANTILE_SPEEDUP: f64 = 10.0;

/// Per-channel learned density for a latent with `channels` channels.
#[derive(Module, Debug)]
pub struct EntropyBottleneck<B: Backend> {
    matrices: Vec<Param<Tensor<B, 3>>>,
    biases: Vec<Param<Tensor<B, 3>>>,
    factors: Vec<Param<Tensor<B, 3>>>,
    /// `[C, 1, 3]`: lower tail, median, upper tail, divided by `QUANTILE_SPEEDUP`.
    quantiles: Param<Tensor<B, 3>>,
}

impl<B: Backend> EntropyBottleneck<B> {
    /// A freshly initialised bottleneck.
    pub fn new(channels: usize, device: &B::Device) -> Self {
        let scale = INIT_SCALE.powf(1.0 / (FILTERS.len() - 1) as f64);
        let mut matrices = Vec::new();
        let mut biases = Vec::new();
        let mut factors = Vec::new();
        for i in 0..FILTERS.len() - 1 {
            let (fin, fout) = (FILTERS[i], FILTERS[i + 1]);
            let init = (1.0 / scale / fout as f64).exp_m1().ln();
            matrices.push(Param::from_tensor(Tensor::full([channels, fout, fin], init, device)));
            biases.push(Param::from_tensor(Tensor::random(
                [channels, fout, 1],
                Distribution::Uniform(-0.5, 0.5),
                device,
            )));
            if i < FILTERS.len() - 2 {
                factors.push(Param::from_tensor(Tensor::zeros([channels, fout, 1], device)));
            }
        }
        let q = [-INIT_SCALE, 0.0, INIT_SCALE].map(|v| (v / QUANTILE_SPEEDUP) as f32);
        let quantiles: Vec<f32> = (0..channels).flat_map(|_| q).collect();
        let quantiles = Tensor::from_data(TensorData::new(quantiles, [channels, 1, 3]), device);
        Self { matrices, biases, factors, quantiles: Param::from_tensor(quantiles) }
    }

    /// Number of latent channels.
    pub fn channels(&self) -> usize {
        self.quantiles.dims()[0]
    }

    /// Logits of the cumulative density at `x`, shape `[C, 1, N]` → `[C, 1, N]`.
    /// With `detach`, gradients do not flow into the density parameters (used by the aux loss).
    fn logits_cumulative(&self, x: Tensor<B, 3>, detach: bool) -> Tensor<B, 3> {
        let param = |p: &Param<Tensor<B, 3>>| if detach { p.val().detach() } else { p.val() };
        let mut logits = x;
        for i in 0..self.matrices.len() {
            logits = softplus(param(&self.matrices[i]), 1.0).matmul(logits) + param(&self.biases[i]);
            if let Some(factor) = self.factors.get(i) {
                logits = logits.clone() + param(factor).tanh() * logits.tanh();
            }
        }
        logits
    }

    /// Per-channel medians `[C]` (the centre of each channel's quantization grid).
    pub fn medians(&self) -> Tensor<B, 1> {
        let c = self.channels();
        self.quantiles.val().slice([0..c, 0..1, 1..2]).reshape([c]).mul_scalar(QUANTILE_SPEEDUP)
    }

    /// Likelihood of each element of `y` (`[B, C, H, W]`, already quantized or noised)
    /// under the integer-bin density, lower-bounded for numerical safety.
    pub fn likelihood(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        let [b, c, h, w] = y.dims();
        let flat = y.swap_dims(0, 1).reshape([c, 1, b * h * w]);
        let lower = self.logits_cumulative(flat.clone().sub_scalar(0.5), false);
        let upper = self.logits_cumulative(flat.add_scalar(0.5), false);
        // Evaluate on the side of the median where the sigmoid is not saturated.
        let sign = (lower.clone() + upper.clone()).sign().neg().detach();
        let p = (sigmoid(upper * sign.clone()) - sigmoid(lower * sign)).abs();
        p.clamp_min(LIKELIHOOD_BOUND).reshape([c, b, h, w]).swap_dims(0, 1)
    }

    /// The auxiliary loss that trains the quantiles to sit at the tails and the median.
    pub fn aux_loss(&self) -> Tensor<B, 1> {
        let target = (2.0 / TAIL_MASS - 1.0).ln();
        let logits = self.logits_cumulative(self.quantiles.val().mul_scalar(QUANTILE_SPEEDUP), true);
        let c = self.channels();
        let targets: Vec<f32> = (0..c).flat_map(|_| [-target as f32, 0.0, target as f32]).collect();
        let targets = Tensor::from_data(TensorData::new(targets, [c, 1, 3]), &logits.device());
        (logits - targets).abs().sum()
    }

    /// Exports one integer CDF table per channel, covering the learned tails around the median
    /// (symbols are `round(y - median)`); everything outside goes through the escape symbol.
    pub fn export_tables(&self, max_len: usize) -> Result<Vec<CdfTable>> {
        let c = self.channels();
        let q: Vec<f32> = self.quantiles.val().mul_scalar(QUANTILE_SPEEDUP).into_data().to_vec().map_err(data_err)?;
        let mut tables = Vec::with_capacity(c);
        for ch in 0..c {
            let (low, median, high) = (q[3 * ch] as f64, q[3 * ch + 1] as f64, q[3 * ch + 2] as f64);
            let half = max_len as i64 / 2 - 1;
            let start = ((low - median).floor() as i64).clamp(-half, 0);
            let end = ((high - median).ceil() as i64).clamp(0, half);
            let n = (end - start + 1) as usize;
            // Bin edges median + s ± 0.5 for s in start..=end: n + 1 edges.
            let edges: Vec<f32> = (0..=n).map(|i| (median + (start + i as i64) as f64 - 0.5) as f32).collect();
            let cdf = self.channel_cdf(ch, edges)?;
            let mut probs: Vec<f64> = cdf.windows(2).map(|w| (w[1] - w[0]).max(0.0)).collect();
            probs.push(cdf[0] + (1.0 - cdf[n]).max(0.0));
            tables.push(CdfTable::from_probabilities(start as i32, &probs)?);
        }
        Ok(tables)
    }

    /// The cumulative density of channel `ch` at the given points.
    fn channel_cdf(&self, ch: usize, points: Vec<f32>) -> Result<Vec<f64>> {
        let c = self.channels();
        let n = points.len();
        let device = self.quantiles.device();
        // Evaluate all channels at the same points (cheap) and keep channel `ch`.
        let x = Tensor::<B, 1>::from_data(TensorData::new(points, [n]), &device)
            .reshape([1, 1, n])
            .repeat_dim(0, c);
        let cdf: Vec<f32> = sigmoid(self.logits_cumulative(x, true)).slice([ch..ch + 1, 0..1, 0..n]).into_data().to_vec().map_err(data_err)?;
        Ok(cdf.into_iter().map(f64::from).collect())
    }
}

fn data_err(e: impl std::fmt::Debug) -> Error {
    Error::Model(format!("tensor data: {e:?}"))
}
