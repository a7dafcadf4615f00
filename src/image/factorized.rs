//! The factorized-prior image model (Ballé et al. 2018, "bmshj2018-factorized"): analysis and
//! synthesis transforms with GDN, and an entropy bottleneck on the latent.

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use serde::{Deserialize, Serialize};

use crate::codec::Architecture;
use crate::entropy::{TableSet, MAX_TABLE_LEN};
use crate::latent::{add_uniform_noise, round_ste, EntropyBottleneck};
use crate::Result;

use super::transforms::{Analysis, PlainAnalysis, PlainSynthesis, Synthesis};
use crate::nn::{wrong_architecture, CodecModel, TrainOutput};

/// Architecture of a factorized image model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FactorizedConfig {
    /// Width of the hidden layers.
    pub n: usize,
    /// Number of latent channels.
    pub m: usize,
}

/// The whole factorized-prior model.
#[derive(Module, Debug)]
pub struct FactorizedModel<B: Backend> {
    g_a: Analysis<B>,
    g_s: Synthesis<B>,
    bottleneck: EntropyBottleneck<B>,
}

impl<B: Backend> FactorizedModel<B> {
    /// A freshly initialised model.
    pub fn new(config: FactorizedConfig, device: &B::Device) -> Self {
        let FactorizedConfig { n, m } = config;
        Self { g_a: Analysis::new(n, m, device), g_s: Synthesis::new(n, m, device), bottleneck: EntropyBottleneck::new(m, device) }
    }

    /// The entropy bottleneck.
    pub fn bottleneck(&self) -> &EntropyBottleneck<B> {
        &self.bottleneck
    }

    /// Runs g_a.
    pub fn analysis(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        self.g_a.forward(x)
    }

    /// Runs g_s.
    pub fn synthesis(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        self.g_s.forward(y)
    }

    /// g_a and g_s on plain slices, as the codecs run them.
    pub fn plain_transforms(&self) -> Result<(PlainAnalysis, PlainSynthesis)> {
        Ok((self.g_a.to_plain()?, self.g_s.to_plain()?))
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
}

impl<B: Backend> CodecModel<B> for FactorizedModel<B> {
    fn build(architecture: Architecture, device: &B::Device) -> Result<Self> {
        match architecture {
            Architecture::ImageFactorized(config) => Ok(Self::new(config, device)),
            other => Err(wrong_architecture("factorized", other)),
        }
    }

    fn variable_rate(&self) -> bool {
        false
    }

    fn forward_train(&self, x: Tensor<B, 4>, _quality: f32) -> TrainOutput<B> {
        FactorizedModel::forward_train(self, x)
    }

    fn aux_loss(&self) -> Tensor<B, 1> {
        self.bottleneck.aux_loss()
    }

    fn export_tables(&self) -> Result<TableSet> {
        TableSet::new(self.bottleneck.export_tables(MAX_TABLE_LEN)?)
    }
}
