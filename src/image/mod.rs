//! The image codecs: learned transform models and how images become chunks and back.

mod factorized;
mod factorized_codec;
mod hyperprior;
mod hyperprior_codec;
mod pixels;
pub mod refine;
pub mod tiling;
mod transforms;

pub use factorized_codec::{latent_symbols, FactorizedCodec};
pub use hyperprior_codec::HyperpriorCodec;
pub use factorized::{FactorizedConfig, FactorizedModel};
pub use hyperprior::{HyperpriorConfig, HyperpriorModel, HYPER_DOWNSAMPLING};
pub use transforms::{Analysis, PlainAnalysis, PlainSynthesis, Synthesis, DOWNSAMPLING};
