//! The mean–scale hyperprior image model (Minnen et al. 2018, "mbt2018-mean", without the
//! autoregressive context so decoding stays parallel), with a fixed-point hyper-synthesis:
//! the means and scales that choose the latent's probability tables are computed in integer
//! arithmetic at coding time, and with their exact float twin (fake quantization) in training.
//! One model codes every rate: gain vectors scale the latent per quality (1 to 8, continuous).

use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::latent::gain::{GainVectors, LAMBDAS};
use crate::latent::{gaussian, EntropyBottleneck};
use crate::nn::fixed::{fake_quant_act, fake_quant_hyper_synthesis, IntHyperSynthesis};
use crate::nn::{conv_down, conv_up};
use crate::codec::Architecture;
use crate::entropy::{TableSet, MAX_TABLE_LEN};
use crate::Result;

use super::transforms::{Analysis, Synthesis};
use crate::nn::{wrong_architecture, CodecModel, TrainOutput};

/// Downsampling of the hyper-latent relative to the latent.
pub const HYPER_DOWNSAMPLING: usize = 4;

/// Architecture of a hyperprior image model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HyperpriorConfig {
    /// Width of the hidden layers and of the hyper-latent.
    pub n: usize,
    /// Number of latent channels.
    pub m: usize,
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
        let HyperpriorConfig { n, m } = config;
        Self {
            g_a: Analysis::new(n, m, device),
            g_s: Synthesis::new(n, m, device),
            h_a: HyperAnalysis::new(n, m, device),
            h_s: HyperSynthesis::new(n, m, device),
            bottleneck: EntropyBottleneck::new(n, device),
            gain: GainVectors::new(m, &LAMBDAS, device),
        }
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
        let (y_hat, bits) = gaussian::hyperprior_train(y, z, &self.bottleneck, |z_hat| self.h_s.forward(z_hat));
        TrainOutput { x_hat: self.g_s.forward(y_hat * inv_gain.reshape([1, m, 1, 1])), bits }
    }
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
