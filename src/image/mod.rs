//! The image codecs: learned transform models and how images become chunks and back.

mod factorized;
mod factorized_codec;
mod hyperprior;
mod pixels;
mod transforms;

pub use factorized_codec::{latent_symbols, FactorizedCodec};
pub use pixels::MAX_UNTILED_PIXELS;
pub use factorized::{FactorizedConfig, FactorizedModel};
pub use hyperprior::{HyperpriorConfig, HyperpriorModel, IntHyperSynthesis, HYPER_DOWNSAMPLING};
pub use transforms::{Analysis, Synthesis, DOWNSAMPLING};

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// What one training forward pass yields.
pub struct TrainOutput<B: Backend> {
    /// Reconstruction, `[B, 3, H, W]`.
    pub x_hat: Tensor<B, 4>,
    /// Total estimated bits of the batch's latents.
    pub bits: Tensor<B, 1>,
}
