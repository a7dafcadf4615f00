//! The image codec: a learned transform model and how images become chunks and back.

mod codec;
mod model;

pub use codec::{latent_symbols, ImageCodec};
pub use model::{FactorizedConfig, FactorizedModel, TrainOutput, DOWNSAMPLING};
