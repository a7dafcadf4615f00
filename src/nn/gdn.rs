//! Generalized divisive normalization (Ballé et al. 2016), as in CompressAI:
//! `y_i = x_i / sqrt(beta_i + sum_j gamma_ij x_j^2)`, or its inverse (multiply) for synthesis.

use burn::module::{Module, Param};
use burn::tensor::backend::Backend;
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

    /// The effective `beta` `[C]` and `gamma` `[C, C]` (the stored square roots, bounded and
    /// squared) and whether this is the inverse layer.
    pub fn effective_params(&self) -> (Tensor<B, 1>, Tensor<B, 2>, bool) {
        let beta_bound = (BETA_MIN + PEDESTAL).sqrt();
        let beta = self.beta.val().clamp_min(beta_bound).powi_scalar(2).sub_scalar(PEDESTAL);
        let gamma = self.gamma.val().clamp_min(REPARAM_OFFSET).powi_scalar(2).sub_scalar(PEDESTAL);
        (beta, gamma, self.inverse)
    }

    /// The layer with uniform noise of up to `amount` added to its stored parameters, as a
    /// trained layer's differ from the initial ones.
    #[cfg(test)]
    pub fn perturbed(self, amount: f64) -> Self {
        use burn::tensor::Distribution;
        let noise = Distribution::Uniform(0.0, amount);
        let beta = self.beta.val();
        let gamma = self.gamma.val();
        let beta = beta.clone() + beta.random_like(noise);
        let gamma = gamma.clone() + gamma.random_like(noise);
        Self { beta: Param::from_tensor(beta), gamma: Param::from_tensor(gamma), inverse: self.inverse }
    }

    /// Applies the normalization to `[B, C, H, W]` features.
    ///
    /// The 1×1 mixing of squared features is a batched matrix product over `[B, C, H·W]`
    /// (3× faster than a 1×1 convolution on burn's CPU backend, same result).
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let [b, c, h, w] = x.dims();
        let (beta, gamma, _) = self.effective_params();
        let squared = x.clone().powi_scalar(2).reshape([b, c, h * w]);
        let norm = gamma.reshape([1, c, c]).matmul(squared) + beta.reshape([1, c, 1]);
        let norm = norm.reshape([b, c, h, w]).sqrt();
        if self.inverse {
            x * norm
        } else {
            x / norm
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, Tensor};

    use super::Gdn;
    use crate::codec::Cpu;

    /// GDN against its definition, pixel by pixel, with the initial parameters
    /// (beta = 1, gamma = 0.1 I): y = x / sqrt(1 + 0.1 x²); IGDN multiplies instead.
    #[test]
    fn matches_definition_at_init() {
        let device = Default::default();
        let x = Tensor::<Cpu, 4>::random([2, 3, 4, 5], Distribution::Uniform(-3.0, 3.0), &device);
        let xs: Vec<f32> = x.to_data().to_vec().unwrap();
        for inverse in [false, true] {
            let y: Vec<f32> = Gdn::<Cpu>::new(3, inverse, &device).forward(x.clone()).into_data().to_vec().unwrap();
            for (a, b) in xs.iter().zip(&y) {
                let norm = (1.0 + 0.1 * a * a).sqrt();
                let expected = if inverse { a * norm } else { a / norm };
                assert!((expected - b).abs() < 1e-4, "{a} → {b}, expected {expected}");
            }
        }
    }
}
