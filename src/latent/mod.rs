//! Learned entropy models for latents: quantization and the factorized bottleneck.

mod bottleneck;
pub mod gain;
pub mod gaussian;
mod quantize;

pub use bottleneck::EntropyBottleneck;
pub use quantize::{add_seeded_uniform_noise, add_uniform_noise, round_ste};
