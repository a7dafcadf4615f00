//! Quantization proxies used in training; inference rounds.

use burn::tensor::backend::Backend;
use burn::tensor::{Distribution, Tensor};

/// Additive uniform noise in [-0.5, 0.5): the differentiable proxy for rounding used by the rate term.
pub fn add_uniform_noise<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let noise = Tensor::random(x.shape(), Distribution::Uniform(-0.5, 0.5), &x.device());
    x + noise
}

/// [`add_uniform_noise`] with noise drawn from `rng` on the host: reproducible whatever else
/// draws from the backend's process-wide generator.
pub fn add_seeded_uniform_noise<B: Backend, const D: usize>(x: Tensor<B, D>, rng: &mut impl rand::Rng) -> Tensor<B, D> {
    let shape = x.shape();
    let values: Vec<f32> = (0..shape.num_elements()).map(|_| rng.random_range(-0.5..0.5)).collect();
    let noise = Tensor::from_data(burn::tensor::TensorData::new(values, shape), &x.device());
    x + noise
}

/// Rounding with a straight-through gradient (identity in the backward pass).
pub fn round_ste<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let rounded = x.clone().round();
    x.clone() + (rounded - x).detach()
}
