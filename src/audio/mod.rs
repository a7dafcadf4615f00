//! The audio codec: a learned 1-D transform with a mean–scale hyperprior, at 24 kHz.

mod codec;
pub mod loss;
mod model;

pub use codec::{coded_len, AudioCodec, DEFAULT_QUALITY, MODEL_RATE};
pub use model::{AudioConfig, AudioModel, HOP, HYPER_HOP, LAMBDAS, STRIDES};
