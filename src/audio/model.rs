//! The audio model: 1-D analysis/synthesis with GDN (strides 2·4·5·8, 75 latent frames per
//! second at 24 kHz), optionally with residual units at every scale, and a mean–scale hyperprior
//! whose hyper-synthesis runs in fixed point, as for images. Signals are `[B, 1, 1, T]` tensors;
//! gain vectors give one model for every rate.

use burn::module::{Module, Param};
use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d};
use burn::nn::PaddingConfig2d;
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::codec::Architecture;
use crate::entropy::{TableSet, MAX_TABLE_LEN};
use crate::latent::add_uniform_noise;
use crate::latent::gain::{GainVectors, LEVELS};
use crate::latent::{gaussian, EntropyBottleneck};
use crate::nn::fixed::{fake_quant_act, fake_quant_hyper_synthesis, IntHyperSynthesis};
use crate::nn::{conv1d, conv1d_down, conv1d_up, wrong_architecture, CodecModel, Gdn, TrainOutput};
use crate::Result;

/// Strides of the analysis, first to last.
pub const STRIDES: [usize; 4] = [2, 4, 5, 8];
/// Samples per latent frame.
pub const HOP: usize = 2 * 4 * 5 * 8;
/// Latent frames per hyper-latent frame.
pub const HYPER_HOP: usize = 4;
/// The trade-offs λ of the rate points (loss λ·D + kbps), quality 1 to 8, of a new model: a
/// factor 2.5 apart, so that one model spans low-rate speech to transparent-ish music. Models
/// store theirs (`nmc train audio --lambdas`); those written before they did read as these.
pub const LAMBDAS: [f64; LEVELS] = [2.0, 5.0, 12.5, 31.25, 78.125, 195.3125, 488.28125, 1220.703125];

/// Dilations of the residual units of one scale, in order (the `res` of [`AudioConfig`] takes
/// the first ones). Their reach, with the strided layers', stays inside the coder's 8-frame
/// segment halo; a third unit of dilation 9 would not.
pub const RES_DILATIONS: [usize; 2] = [1, 3];
/// Taps of a residual unit's dilated convolution.
const RES_TAPS: usize = 7;

/// Architecture of an audio model.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct AudioConfig {
    /// Width of the first layer; the widths double at each of the first three strides.
    pub c: usize,
    /// Latent channels.
    pub m: usize,
    /// Hyper-latent channels (and hyper-transform width).
    pub n: usize,
    /// Residual units per scale (0 to 2): in g_a before each strided layer, in g_s after each
    /// upsampling one. Absent from the metadata of models without them.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub res: usize,
    /// The trade-offs λ of qualities 1 to 8 that the gain vectors are trained for (models
    /// written before they were stored have [`LAMBDAS`]).
    #[serde(default = "audio_lambdas")]
    pub lambdas: [f64; LEVELS],
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn audio_lambdas() -> [f64; LEVELS] {
    LAMBDAS
}

impl AudioConfig {
    /// A new model's architecture: widths `c`, `m` and `n`, no residual units, the rate points
    /// of [`LAMBDAS`].
    pub fn new(c: usize, m: usize, n: usize) -> Self {
        Self { c, m, n, res: 0, lambdas: LAMBDAS }
    }

    fn widths(&self) -> [usize; 4] {
        [self.c, 2 * self.c, 4 * self.c, 8 * self.c]
    }

    /// Widths of g_a's residual units, first scale to last (those of the strided layers' inputs).
    fn analysis_res_widths(&self) -> [usize; 4] {
        let w = self.widths();
        [w[0], w[0], w[1], w[2]]
    }

    /// Widths of g_s's residual units, first scale to last (those of the upsampling outputs).
    fn synthesis_res_widths(&self) -> [usize; 4] {
        let w = self.widths();
        [w[2], w[1], w[0], w[0]]
    }
}

/// A residual unit: `h + W₂·elu(W₁ ⊛ h)` with `W₁` a dilated 7-tap convolution and `W₂` 1×1
/// (SoundStream's), keeping the width and the length.
#[derive(Module, Debug)]
pub struct ResidualUnit<B: Backend> {
    pub(super) dilated: Conv2d<B>,
    pub(super) pointwise: Conv2d<B>,
}

impl<B: Backend> ResidualUnit<B> {
    fn new(channels: usize, dilation: usize, device: &B::Device) -> Self {
        let pad = dilation * (RES_TAPS / 2);
        let dilated = Conv2dConfig::new([channels, channels], [1, RES_TAPS])
            .with_dilation([1, dilation])
            .with_padding(PaddingConfig2d::Explicit(0, pad, 0, pad))
            .init(device);
        Self { dilated, pointwise: conv1d(channels, channels, 1, device) }
    }

    /// A unit that starts as the identity: its 1×1 convolution is zero.
    fn identity(channels: usize, dilation: usize, device: &B::Device) -> Self {
        let mut unit = Self::new(channels, dilation, device);
        unit.pointwise.weight = Param::from_tensor(unit.pointwise.weight.val().zeros_like());
        unit.pointwise.bias = unit.pointwise.bias.map(|b| Param::from_tensor(b.val().zeros_like()));
        unit
    }

    /// The units of one scale.
    fn stack(channels: usize, count: usize, device: &B::Device) -> Vec<Self> {
        RES_DILATIONS[..count].iter().map(|&d| Self::new(channels, d, device)).collect()
    }

    /// Adds identity units to each scale's units (of the given widths) up to `count`.
    fn grow(scales: &mut [Vec<Self>], widths: [usize; 4], count: usize, device: &B::Device) {
        for (units, channels) in scales.iter_mut().zip(widths) {
            let have = units.len();
            units.extend(RES_DILATIONS[have..count].iter().map(|&d| Self::identity(channels, d, device)));
        }
    }

    fn forward(&self, h: Tensor<B, 4>) -> Tensor<B, 4> {
        h.clone() + self.pointwise.forward(elu(self.dilated.forward(h)))
    }
}

/// ELU (α = 1) as `max(x, 0) + exp(min(x, 0)) − 1`, the same values as burn's `elu`, which
/// takes `exp` of every value before masking: past x ≈ 88 that overflows and its gradient
/// becomes NaN (0·∞), which ended training runs.
fn elu<B: Backend>(x: Tensor<B, 4>) -> Tensor<B, 4> {
    relu(x.clone()) + x.clamp_max(0.0).exp().sub_scalar(1.0)
}

/// Runs a scale's residual units.
fn residual<B: Backend>(units: &[ResidualUnit<B>], h: Tensor<B, 4>) -> Tensor<B, 4> {
    units.iter().fold(h, |h, unit| unit.forward(h))
}

/// Analysis g_a: waveform `[B, 1, 1, T]` → latent `[B, M, 1, T/320]`.
#[derive(Module, Debug)]
pub struct Analysis<B: Backend> {
    pub(super) input: Conv2d<B>,
    pub(super) downs: Vec<Conv2d<B>>,
    pub(super) gdns: Vec<Gdn<B>>,
    pub(super) output: Conv2d<B>,
    pub(super) res: Vec<Vec<ResidualUnit<B>>>,
}

/// Synthesis g_s: latent → waveform.
#[derive(Module, Debug)]
pub struct Synthesis<B: Backend> {
    pub(super) input: Conv2d<B>,
    pub(super) ups: Vec<ConvTranspose2d<B>>,
    pub(super) igdns: Vec<Gdn<B>>,
    pub(super) output: Conv2d<B>,
    pub(super) res: Vec<Vec<ResidualUnit<B>>>,
}

/// The whole audio model.
#[derive(Module, Debug)]
pub struct AudioModel<B: Backend> {
    pub(super) g_a: Analysis<B>,
    pub(super) g_s: Synthesis<B>,
    h_a: Vec<Conv2d<B>>,
    h_s_ups: Vec<ConvTranspose2d<B>>,
    h_s_out: Conv2d<B>,
    bottleneck: EntropyBottleneck<B>,
    gain: GainVectors<B>,
}

impl<B: Backend> Analysis<B> {
    fn new(config: AudioConfig, device: &B::Device) -> Self {
        let w = config.widths();
        let mut cin = w[0];
        let (mut downs, mut gdns) = (Vec::new(), Vec::new());
        let res = config.analysis_res_widths().iter().map(|&c| ResidualUnit::stack(c, config.res, device)).collect();
        for (&s, &cout) in STRIDES.iter().zip(&w) {
            downs.push(conv1d_down(cin, cout, s, device));
            gdns.push(Gdn::new(cout, false, device));
            cin = cout;
        }
        Self { input: conv1d(1, w[0], 7, device), downs, gdns, output: conv1d(w[3], config.m, 3, device), res }
    }

    fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let h = self.downs.iter().zip(&self.gdns).enumerate().fold(self.input.forward(x), |h, (i, (down, gdn))| {
            gdn.forward(down.forward(residual(&self.res[i], h)))
        });
        self.output.forward(h)
    }
}

impl<B: Backend> Synthesis<B> {
    fn new(config: AudioConfig, device: &B::Device) -> Self {
        let w = config.widths();
        let mut cin = w[3];
        let (mut ups, mut igdns) = (Vec::new(), Vec::new());
        let res = config.synthesis_res_widths().iter().map(|&c| ResidualUnit::stack(c, config.res, device)).collect();
        for i in (0..STRIDES.len()).rev() {
            igdns.push(Gdn::new(cin, true, device));
            let cout = w[i.saturating_sub(1)];
            ups.push(conv1d_up(cin, cout, STRIDES[i], device));
            cin = cout;
        }
        Self { input: conv1d(config.m, w[3], 3, device), ups, igdns, output: conv1d(w[0], 1, 7, device), res }
    }

    fn forward(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        let h = self.igdns.iter().zip(&self.ups).enumerate().fold(self.input.forward(y), |h, (i, (igdn, up))| {
            residual(&self.res[i], up.forward(igdn.forward(h)))
        });
        self.output.forward(h)
    }
}

impl<B: Backend> AudioModel<B> {
    /// A freshly initialised model.
    pub fn new(config: AudioConfig, device: &B::Device) -> Self {
        let AudioConfig { m, n, .. } = config;
        let wide = n * 3 / 2;
        Self {
            g_a: Analysis::new(config, device),
            g_s: Synthesis::new(config, device),
            h_a: vec![conv1d(m, n, 3, device), conv1d_down(n, n, 2, device), conv1d_down(n, n, 2, device)],
            h_s_ups: vec![conv1d_up(n, n, 2, device), conv1d_up(n, wide, 2, device)],
            h_s_out: conv1d(wide, 2 * m, 3, device),
            bottleneck: EntropyBottleneck::new(n, device),
            gain: GainVectors::new(m, &config.lambdas, device),
        }
    }

    /// The model of `config` given `res` residual units per scale (at least `config.res`, at
    /// most 2): the added units start as the identity, so the grown model computes exactly
    /// what this one does until training moves them.
    pub fn with_residual_units(mut self, config: AudioConfig, res: usize, device: &B::Device) -> Self {
        ResidualUnit::grow(&mut self.g_a.res, config.analysis_res_widths(), res, device);
        ResidualUnit::grow(&mut self.g_s.res, config.synthesis_res_widths(), res, device);
        self
    }

    /// The model with its rate points moved from the trade-offs `from` to `to` (see
    /// [`GainVectors::retargeted`]); the transforms are unchanged.
    pub fn with_lambdas(mut self, from: &[f64; LEVELS], to: &[f64; LEVELS]) -> Self {
        self.gain = self.gain.retargeted(from, to);
        self
    }

    /// Latent channels.
    pub fn latent_channels(&self) -> usize {
        self.gain.channels()
    }

    /// Hyper-latent channels.
    pub fn hyper_channels(&self) -> usize {
        self.bottleneck.channels()
    }

    /// Runs g_a.
    pub fn analysis(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        self.g_a.forward(x)
    }

    /// Runs h_a.
    pub fn hyper_analysis(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        let last = self.h_a.len() - 1;
        self.h_a.iter().enumerate().fold(y, |h, (i, conv)| {
            let h = conv.forward(h);
            if i < last { relu(h) } else { h }
        })
    }

    /// Runs g_s.
    pub fn synthesis(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        self.g_s.forward(y)
    }

    /// The gain vectors of the qualities.
    pub fn gain_vectors(&self) -> &GainVectors<B> {
        &self.gain
    }

    /// The integer hyper-synthesis for coding.
    pub fn int_hyper_synthesis(&self) -> Result<IntHyperSynthesis> {
        IntHyperSynthesis::new(&self.h_s_ups, &self.h_s_out)
    }

    /// Per-channel medians of the hyper-latent on the activation grid.
    pub fn hyper_medians(&self) -> Tensor<B, 1> {
        fake_quant_act(self.bottleneck.medians())
    }
}

impl<B: Backend> CodecModel<B> for AudioModel<B> {
    fn build(architecture: Architecture, device: &B::Device) -> Result<Self> {
        match architecture {
            Architecture::AudioHyperprior(config) => Ok(Self::new(config, device)),
            other => Err(wrong_architecture("audio", other)),
        }
    }

    fn variable_rate(&self) -> bool {
        true
    }

    /// Training pass on `[B, 1, 1, T]` (T a multiple of `HOP · HYPER_HOP`), as the image
    /// hyperprior's: gained latent, noisy latents for the rates, straight-through rounding.
    fn forward_train(&self, x: Tensor<B, 4>, quality: f32) -> TrainOutput<B> {
        let m = self.latent_channels();
        let (gain, inv_gain) = self.gain.at(quality);
        let y = self.g_a.forward(x) * gain.reshape([1, m, 1, 1]);
        let z = self.hyper_analysis(y.clone());
        let (y_hat, bits) =
            gaussian::hyperprior_train(y, z, &self.bottleneck, |z_hat| fake_quant_hyper_synthesis(&self.h_s_ups, &self.h_s_out, z_hat), add_uniform_noise);
        TrainOutput { x_hat: self.g_s.forward(y_hat * inv_gain.reshape([1, m, 1, 1])), bits }
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
    use burn::tensor::{Tensor, TensorData};

    use crate::codec::Cpu;

    /// Same values as burn's ELU, and a finite gradient (1) for large inputs, where burn's
    /// is NaN.
    #[test]
    fn elu_has_finite_gradients_for_large_inputs() {
        let values = [-100.0f32, -1.0, -0.25, 0.0, 0.5, 100.0, 1000.0];
        let device = Default::default();
        let x = Tensor::<Autodiff<Cpu>, 4>::from_data(TensorData::new(values.to_vec(), [1, 1, 1, values.len()]), &device).require_grad();
        let y = super::elu(x.clone());
        let expected = burn::tensor::activation::elu(x.clone().inner(), 1.0);
        assert_eq!(y.clone().inner().into_data().to_vec::<f32>().unwrap(), expected.into_data().to_vec::<f32>().unwrap());
        let grads = y.sum().backward();
        let grad = x.grad(&grads).unwrap().into_data().to_vec::<f32>().unwrap();
        let want: Vec<f32> = values.iter().map(|&v| if v > 0.0 { 1.0 } else { v.exp() }).collect();
        assert_eq!(grad, want);
    }
}
