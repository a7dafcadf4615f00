//! Generalized divisive normalization (Ballé et al. 2016), as in CompressAI:
//! `y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)`, or its inverse (multiply) for synthesis.

use burn::module::{Module, Param};
use burn::tensor::backend::Backend;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::Tensor;

/// Reparametrization offset: parameters are stored as square roots bounded away from zero.
const REPARAM_OFFSET: f64 = 1.0 / (1u64 << 18) as f64;
const PEDESTAL: f64 = REPARAM_OFFSET * REPARAM_OFFSET;
const BETA_MIN: f64 = 1e-6;
const GAMMA_INIT: f64 = 0.1;

/// A GDN (analysis) or inverse GDN (synthesis) layer over `channels` feature maps.
#[derive(Module, Debug)]
pub struct Gdn<B: Backend> {
    /// Square root of beta (plus pedestal), shape `[C]`.
    beta: Param<Tensor<B, 1>>,
    /// Square root of gamma (plus pedestal), shape `[C, C]`.
    gamma: Param<Tensor<B, 2>>,
    inverse: bool,
}

impl<B: Backend> Gdn<B> {
    /// A new layer initialised as CompressAI does (beta = 1, gamma = 0.1 I).
    pub fn new(channels: usize, inverse: bool, device: &B::Device) -> Self {
        let beta = Tensor::ones([channels], device).mul_scalar(1.0 + PEDESTAL).sqrt();
        let gamma = Tensor::<B, 2>::eye(channels, device)
            .mul_scalar(GAMMA_INIT)
            .add_scalar(PEDESTAL)
            .sqrt();
        Self { beta: Param::from_tensor(beta), gamma: Param::from_tensor(gamma), inverse }
    }

    /// Applies the normalization to `[B, C, H, W]` features.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let channels = self.gamma.dims()[0];
        let beta_bound = (BETA_MIN + PEDESTAL).sqrt();
        let beta = self.beta.val().clamp_min(beta_bound).powi_scalar(2).sub_scalar(PEDESTAL);
        let gamma = self
            .gamma
            .val()
            .clamp_min(REPARAM_OFFSET)
            .powi_scalar(2)
            .sub_scalar(PEDESTAL)
            .reshape([channels, channels, 1, 1]);
        let norm = conv2d(x.clone().powi_scalar(2), gamma, Some(beta), ConvOptions::new([1, 1], [0, 0], [1, 1], 1));
        if self.inverse {
            x * norm.sqrt()
        } else {
            x / norm.sqrt()
        }
    }
}
