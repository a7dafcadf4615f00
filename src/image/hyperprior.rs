//! The mean–scale hyperprior image model (Minnen et al. 2018, "mbt2018-mean", without the
//! autoregressive context so decoding stays parallel), with a fixed-point hyper-synthesis:
//! the means and scales that choose the latent's probability tables are computed in integer
//! arithmetic at coding time, and with their exact float twin (fake quantization) in training.
//! One model codes every rate: gain vectors scale the latent per quality (1 to 8, continuous).

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::latent::gain::{GainVectors, IMAGE_LAMBDAS, LEVELS};
use crate::latent::{add_uniform_noise, gaussian, EntropyBottleneck};
use crate::nn::fixed::{fake_quant_act, fake_quant_hyper_synthesis, IntHyperSynthesis};
use crate::nn::{conv_down, conv_up};
use crate::codec::Architecture;
use crate::entropy::{TableSet, MAX_TABLE_LEN};
use crate::Result;

use super::transforms::{Analysis, PlainAnalysis, PlainSynthesis, Synthesis};
use crate::nn::{wrong_architecture, CodecModel, TrainOutput};

/// Downsampling of the hyper-latent relative to the latent.
pub const HYPER_DOWNSAMPLING: usize = 4;

/// Architecture of a hyperprior image model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct HyperpriorConfig {
    /// Width of the hidden layers and of the hyper-latent.
    pub n: usize,
    /// Number of latent channels.
    pub m: usize,
    /// The trade-offs λ of qualities 1 to 8 that the gain vectors are trained for (models
    /// written before they were stored have [`IMAGE_LAMBDAS`]).
    #[serde(default = "image_lambdas")]
    pub lambdas: [f64; LEVELS],
}

impl HyperpriorConfig {
    /// A new model's architecture: widths `n` and `m`, the rate points of [`IMAGE_LAMBDAS`].
    pub fn new(n: usize, m: usize) -> Self {
        Self { n, m, lambdas: IMAGE_LAMBDAS }
    }
}

fn image_lambdas() -> [f64; LEVELS] {
    IMAGE_LAMBDAS
}

/// Hyper-analysis h_a (float): latent `[B, M, h, w]` → hyper-latent `[B, N, h/4, w/4]`.
#[derive(Module, Debug)]
pub struct HyperAnalysis<B: Backend> {
    convs: Vec<Conv2d<B>>,
}

/// Hyper-synthesis h_s (fixed point): hyper-latent → means and log-scales `[B, 2M, h, w]`.
#[derive(Module, Debug)]
pub struct HyperSynthesis<B: Backend> {
    ups: Vec<ConvTranspose2d<B>>,
    out: Conv2d<B>,
}

/// The whole hyperprior model.
#[derive(Module, Debug)]
pub struct HyperpriorModel<B: Backend> {
    g_a: Analysis<B>,
    g_s: Synthesis<B>,
    h_a: HyperAnalysis<B>,
    h_s: HyperSynthesis<B>,
    bottleneck: EntropyBottleneck<B>,
    gain: GainVectors<B>,
}

impl<B: Backend> HyperAnalysis<B> {
    fn new(n: usize, m: usize, device: &B::Device) -> Self {
        let first = burn::nn::conv::Conv2dConfig::new([m, n], [3, 3])
            .with_padding(burn::nn::PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(device);
        Self { convs: vec![first, conv_down(n, n, 5, device), conv_down(n, n, 5, device)] }
    }

    fn forward(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        let last = self.convs.len() - 1;
        self.convs.iter().enumerate().fold(y, |h, (i, conv)| {
            let h = conv.forward(h);
            if i < last { relu(h) } else { h }
        })
    }
}

impl<B: Backend> HyperSynthesis<B> {
    fn new(n: usize, m: usize, device: &B::Device) -> Self {
        let wide = n * 3 / 2;
        let out = burn::nn::conv::Conv2dConfig::new([wide, 2 * m], [3, 3])
            .with_padding(burn::nn::PaddingConfig2d::Explicit(1, 1, 1, 1))
            .init(device);
        Self { ups: vec![conv_up(n, n, 5, device), conv_up(n, wide, 5, device)], out }
    }

    /// Training twin of [`IntHyperSynthesis::forward`] (fixed-point values, float arithmetic).
    fn forward(&self, z_hat: Tensor<B, 4>) -> Tensor<B, 4> {
        fake_quant_hyper_synthesis(&self.ups, &self.out, z_hat)
    }
}

impl<B: Backend> HyperpriorModel<B> {
    /// A freshly initialised model.
    pub fn new(config: HyperpriorConfig, device: &B::Device) -> Self {
        let HyperpriorConfig { n, m, lambdas } = config;
        Self {
            g_a: Analysis::new(n, m, device),
            g_s: Synthesis::new(n, m, device),
            h_a: HyperAnalysis::new(n, m, device),
            h_s: HyperSynthesis::new(n, m, device),
            bottleneck: EntropyBottleneck::new(n, device),
            gain: GainVectors::new(m, &lambdas, device),
        }
    }

    /// The model with `m` latent channels (at least its own), reconstructing exactly what this
    /// one does: g_s's weights for the new channels are zero. The new channels start *active*:
    /// g_a's filters for them are a fresh model's, rescaled to the old filters' mean norm, so
    /// their latent is as large as the old channels' from the first step and the distortion's
    /// gradient reaches g_s's new weights at once; h_s predicts them at mean 0 and at the mean
    /// of the old channels' log-scales (its rows for them are the mean of the old rows), so
    /// that the rate lets them grow (at the smallest table scale any nonzero value costs many
    /// bits, which kept channels that start at zero there; measured, README). h_a's weights for
    /// them are zero, so the hyper-latent is unchanged; their gains start at the old channels'
    /// mean gain per quality.
    pub fn with_latent_channels(mut self, m: usize, device: &B::Device) -> Self {
        let old = self.gain.channels();
        if m <= old {
            return self;
        }
        let extra = m - old;
        let n = self.h_a.convs[0].weight.dims()[0];
        let fresh = Analysis::<B>::new(n, extra, device).into_last_conv();
        let last = self.g_a.last_conv_mut();
        let row_norms = |w: Tensor<B, 4>| w.powi_scalar(2).sum_dim(1).sum_dim(2).sum_dim(3).sqrt();
        let (w, w_fresh) = (last.weight.val(), fresh.weight.val());
        let scale = row_norms(w.clone()).mean().reshape([1, 1, 1, 1]) / row_norms(w_fresh.clone());
        last.weight = parameter(Tensor::cat(vec![w, w_fresh * scale], 0));
        if let (Some(bias), Some(fresh_bias)) = (&last.bias, &fresh.bias) {
            last.bias = Some(extend(bias, fresh_bias.val(), 0));
        }
        let first = self.g_s.first_conv_mut();
        first.weight = extend(&first.weight, zeros_at(&first.weight, 0, extra), 0);
        let h_a = &mut self.h_a.convs[0];
        h_a.weight = extend(&h_a.weight, zeros_at(&h_a.weight, 1, extra), 1);
        // h_s's output holds the M means, then the M log-scales: each half gets its new rows
        // (means: zero; log-scales: the mean of the old log-scale rows).
        let out = &mut self.h_s.out;
        let w = out.weight.val();
        let [_, wide, kh, kw] = w.dims();
        let log_scales = w.clone().narrow(0, old, old);
        let parts = vec![w.narrow(0, 0, old), Tensor::zeros([extra, wide, kh, kw], device), log_scales.clone(), mean_rows(log_scales, extra)];
        out.weight = parameter(Tensor::cat(parts, 0));
        if let Some(bias) = &out.bias {
            let b = bias.val();
            let log_scales = b.clone().narrow(0, old, old);
            let parts = vec![b.narrow(0, 0, old), Tensor::zeros([extra], device), log_scales.clone(), mean_rows(log_scales, extra)];
            out.bias = Some(parameter(Tensor::cat(parts, 0)));
        }
        self.gain = self.gain.widened(extra);
        self
    }

    /// The model to train for the trade-offs `to`, its gains having been trained for `from`:
    /// each new rate point's gains start interpolated from the old ones (see
    /// [`GainVectors::retargeted`]); nothing else changes.
    pub fn with_lambdas(mut self, from: &[f64; LEVELS], to: &[f64; LEVELS]) -> Self {
        self.gain = self.gain.retargeted(from, to);
        self
    }

    /// The hyper-latent's entropy bottleneck.
    pub fn bottleneck(&self) -> &EntropyBottleneck<B> {
        &self.bottleneck
    }

    /// Runs g_a.
    pub fn analysis(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        self.g_a.forward(x)
    }

    /// Runs h_a.
    pub fn hyper_analysis(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        self.h_a.forward(y)
    }

    /// Runs g_s.
    pub fn synthesis(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        self.g_s.forward(y)
    }

    /// g_a and g_s on plain slices, as the codecs run them.
    pub fn plain_transforms(&self) -> Result<(PlainAnalysis, PlainSynthesis)> {
        Ok((self.g_a.to_plain()?, self.g_s.to_plain()?))
    }

    /// The gain vectors of the qualities.
    pub fn gain_vectors(&self) -> &GainVectors<B> {
        &self.gain
    }

    /// The integer hyper-synthesis for coding.
    pub fn int_hyper_synthesis(&self) -> Result<IntHyperSynthesis> {
        IntHyperSynthesis::new(&self.h_s.ups, &self.h_s.out)
    }

    /// Per-channel medians of the hyper-latent on the activation grid.
    pub fn hyper_medians(&self) -> Tensor<B, 1> {
        fake_quant_act(self.bottleneck.medians())
    }

    /// Training pass at a quality: gained latent, noisy latents for the rates, straight-through
    /// rounding for the distortion, fixed-point hyper-synthesis, inverse gain before g_s.
    pub fn forward_train(&self, x: Tensor<B, 4>, quality: f32) -> TrainOutput<B> {
        let m = self.gain.channels();
        let (gain, inv_gain) = self.gain.at(quality);
        let y = self.g_a.forward(x) * gain.reshape([1, m, 1, 1]);
        let z = self.h_a.forward(y.clone());
        self.forward_latents(y, z, inv_gain, add_uniform_noise)
    }

    /// The training pass from a gained latent `y` and a hyper-latent `z` on: the bits of both
    /// (proxies noised by `noise`) and g_s's reconstruction of `ŷ · inv_gain`.
    pub fn forward_latents(&self, y: Tensor<B, 4>, z: Tensor<B, 4>, inv_gain: Tensor<B, 1>, noise: impl FnMut(Tensor<B, 4>) -> Tensor<B, 4>) -> TrainOutput<B> {
        let m = self.gain.channels();
        let (y_hat, bits) = gaussian::hyperprior_train(y, z, &self.bottleneck, |z_hat| self.h_s.forward(z_hat), noise);
        TrainOutput { x_hat: self.g_s.forward(y_hat * inv_gain.reshape([1, m, 1, 1])), bits }
    }
}

/// `param` with `extra` appended along `dim`, as a new parameter.
fn extend<B: Backend, const D: usize>(param: &Param<Tensor<B, D>>, extra: Tensor<B, D>, dim: usize) -> Param<Tensor<B, D>> {
    parameter(Tensor::cat(vec![param.val(), extra], dim))
}

/// A new parameter holding `values` (detached: a parameter must be a leaf of the graph).
fn parameter<B: Backend, const D: usize>(values: Tensor<B, D>) -> Param<Tensor<B, D>> {
    Param::from_tensor(values.detach())
}

/// `count` copies of the mean of `rows` along dim 0.
fn mean_rows<B: Backend, const D: usize>(rows: Tensor<B, D>, count: usize) -> Tensor<B, D> {
    rows.mean_dim(0).repeat_dim(0, count)
}

/// Zeros shaped like `param` but `count` long along `dim`.
fn zeros_at<B: Backend, const D: usize>(param: &Param<Tensor<B, D>>, dim: usize, count: usize) -> Tensor<B, D> {
    let mut dims = param.dims();
    dims[dim] = count;
    Tensor::zeros(dims, &param.device())
}

impl<B: Backend> CodecModel<B> for HyperpriorModel<B> {
    fn build(architecture: Architecture, device: &B::Device) -> Result<Self> {
        match architecture {
            Architecture::ImageHyperprior(config) => Ok(Self::new(config, device)),
            other => Err(wrong_architecture("hyperprior", other)),
        }
    }

    fn variable_rate(&self) -> bool {
        true
    }

    fn forward_train(&self, x: Tensor<B, 4>, quality: f32) -> TrainOutput<B> {
        HyperpriorModel::forward_train(self, x, quality)
    }

    fn aux_loss(&self) -> Tensor<B, 1> {
        self.bottleneck.aux_loss()
    }

    /// The hyper-latent's factorized tables, then the Gaussian tables.
    fn export_tables(&self) -> Result<TableSet> {
        let mut tables = self.bottleneck.export_tables(MAX_TABLE_LEN)?;
        tables.extend(gaussian::build_tables()?.tables().iter().cloned());
        TableSet::new(tables)
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::Autodiff;
    use burn::tensor::{Distribution, Tensor};

    use super::*;
    use crate::codec::Cpu;
    use crate::nn::{load_tensors, save_tensors, to_vec};

    /// Models written before the trade-offs were stored read as [`IMAGE_LAMBDAS`]; others keep
    /// theirs.
    #[test]
    fn config_reads_the_stored_trade_offs() {
        let old: HyperpriorConfig = serde_json::from_str(r#"{"n": 8, "m": 12}"#).unwrap();
        assert_eq!(old, HyperpriorConfig::new(8, 12));
        let lambdas = [0.001, 0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128];
        let other = HyperpriorConfig { lambdas, ..old };
        assert_eq!(serde_json::from_str::<HyperpriorConfig>(&serde_json::to_string(&other).unwrap()).unwrap(), other);
    }

    /// Widening adds latent channels without changing what the model reconstructs, at every
    /// quality, and gives it the new channels' weights and gains.
    #[test]
    fn widened_model_reconstructs_as_before() {
        let device = Default::default();
        let config = HyperpriorConfig::new(8, 12);
        let model = HyperpriorModel::<Cpu>::new(config, &device);
        // An eager copy (a fresh model's lazy parameters would initialise anew in a clone).
        let copy = load_tensors(HyperpriorModel::<Cpu>::new(config, &device), &save_tensors(&model)).unwrap();
        let widened = copy.with_latent_channels(20, &device);
        assert_eq!(widened.gain_vectors().channels(), 20);
        assert_eq!(widened.num_params(), HyperpriorModel::<Cpu>::new(HyperpriorConfig::new(8, 20), &device).num_params());
        let x = Tensor::<Cpu, 4>::random([1, 3, 64, 128], Distribution::Uniform(0.0, 1.0), &device);
        for quality in [1.0, 4.5, 8.0] {
            let before = to_vec(model.forward_train(x.clone(), quality).x_hat).unwrap();
            let after = to_vec(widened.forward_train(x.clone(), quality).x_hat).unwrap();
            let worst = before.iter().zip(&after).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            assert!(worst < 1e-4, "quality {quality}: reconstruction moved by {worst}");
        }
        // The new channels are active, and the distortion's gradient reaches g_s's weights for them.
        let y = to_vec(widened.analysis(x.clone()).narrow(1, 12, 8)).unwrap();
        assert!(y.iter().filter(|v| v.abs() > 1e-3).count() > y.len() / 2, "the new channels are not active");
        let mut trainable = load_tensors(HyperpriorModel::<Autodiff<Cpu>>::new(HyperpriorConfig::new(8, 20), &device), &save_tensors(&widened)).unwrap();
        let x = Tensor::<Autodiff<Cpu>, 4>::from_data(x.into_data(), &device);
        let mse = (trainable.forward_train(x.clone(), 8.0).x_hat - x).powi_scalar(2).mean();
        let grads = mse.backward();
        let weight = &trainable.g_s.first_conv_mut().weight;
        let new_filters = to_vec(weight.grad(&grads).unwrap().narrow(0, 12, 8)).unwrap();
        assert!(new_filters.iter().any(|g| g.abs() > 1e-9), "no gradient reaches g_s's weights for the new channels");
    }
}
