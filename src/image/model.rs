//! The factorized-prior image model (Ballé et al. 2018, "bmshj2018-factorized"): analysis and
//! synthesis transforms with GDN, and an entropy bottleneck on the latent.

use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::codec::{Architecture, ModelFile, ModelMeta, TrainingRecord};
use crate::entropy::{TableSet, MAX_TABLE_LEN};
use crate::latent::{add_uniform_noise, round_ste, EntropyBottleneck};
use crate::nn::{conv_down, conv_up, save_tensors, Gdn};
use crate::Result;

/// Total downsampling factor of the analysis transform.
pub const DOWNSAMPLING: usize = 16;
const KERNEL: usize = 5;

/// Architecture of a factorized image model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorizedConfig {
    /// Width of the hidden layers.
    pub n: usize,
    /// Number of latent channels.
    pub m: usize,
}

/// Analysis transform g_a: image `[B, 3, H, W]` in [0, 1] → latent `[B, M, H/16, W/16]`.
#[derive(Module, Debug)]
pub struct Analysis<B: Backend> {
    convs: Vec<Conv2d<B>>,
    gdns: Vec<Gdn<B>>,
}

/// Synthesis transform g_s: latent → image (unclamped).
#[derive(Module, Debug)]
pub struct Synthesis<B: Backend> {
    convs: Vec<ConvTranspose2d<B>>,
    igdns: Vec<Gdn<B>>,
}

/// The whole factorized-prior model.
#[derive(Module, Debug)]
pub struct FactorizedModel<B: Backend> {
    g_a: Analysis<B>,
    g_s: Synthesis<B>,
    bottleneck: EntropyBottleneck<B>,
}

/// What one training forward pass yields.
pub struct TrainOutput<B: Backend> {
    /// Reconstruction, `[B, 3, H, W]`.
    pub x_hat: Tensor<B, 4>,
    /// Total estimated bits of the batch's latents.
    pub bits: Tensor<B, 1>,
}

impl<B: Backend> FactorizedModel<B> {
    /// A freshly initialised model.
    pub fn new(config: FactorizedConfig, device: &B::Device) -> Self {
        let FactorizedConfig { n, m } = config;
        let widths_a = [3, n, n, n, m];
        let widths_s = [m, n, n, n, 3];
        let g_a = Analysis {
            convs: (0..4).map(|i| conv_down(widths_a[i], widths_a[i + 1], KERNEL, device)).collect(),
            gdns: (0..3).map(|_| Gdn::new(n, false, device)).collect(),
        };
        let g_s = Synthesis {
            convs: (0..4).map(|i| conv_up(widths_s[i], widths_s[i + 1], KERNEL, device)).collect(),
            igdns: (0..3).map(|_| Gdn::new(n, true, device)).collect(),
        };
        Self { g_a, g_s, bottleneck: EntropyBottleneck::new(m, device) }
    }

    /// The entropy bottleneck.
    pub fn bottleneck(&self) -> &EntropyBottleneck<B> {
        &self.bottleneck
    }

    /// Runs g_a.
    pub fn analysis(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut h = x;
        for (i, conv) in self.g_a.convs.iter().enumerate() {
            h = conv.forward(h);
            if let Some(gdn) = self.g_a.gdns.get(i) {
                h = gdn.forward(h);
            }
        }
        h
    }

    /// Runs g_s.
    pub fn synthesis(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut h = y;
        for (i, conv) in self.g_s.convs.iter().enumerate() {
            h = conv.forward(h);
            if let Some(igdn) = self.g_s.igdns.get(i) {
                h = igdn.forward(h);
            }
        }
        h
    }

    /// Training pass: noisy latents for the rate, straight-through rounding for the distortion.
    pub fn forward_train(&self, x: Tensor<B, 4>) -> TrainOutput<B> {
        let y = self.analysis(x);
        let medians = self.bottleneck.medians().reshape([1, self.bottleneck.channels(), 1, 1]);
        let likelihood = self.bottleneck.likelihood(add_uniform_noise(y.clone()));
        let y_hat = round_ste(y - medians.clone()) + medians;
        let bits = likelihood.log().sum().div_scalar(-std::f64::consts::LN_2);
        TrainOutput { x_hat: self.synthesis(y_hat), bits }
    }

    /// Serializes the model as a model file: metadata, integer tables exported from the
    /// bottleneck, weights. `config` must be the one the model was built with.
    pub fn to_model_file(&self, config: FactorizedConfig, lambda: f64, training: TrainingRecord) -> Result<Vec<u8>> {
        let tables = TableSet::new(self.bottleneck.export_tables(MAX_TABLE_LEN)?)?;
        let meta = ModelMeta { architecture: Architecture::ImageFactorized(config), lambda, training };
        ModelFile::to_bytes(&meta, &tables, &save_tensors(self))
    }
}
