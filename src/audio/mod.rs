//! The audio codec: a learned 1-D transform with a mean–scale hyperprior, at 24 kHz.

mod codec;
mod decoder;
mod encoder;
pub mod loss;
mod model;
mod transforms;
mod wav;

pub use codec::{coded_len, AudioCodec, DEFAULT_QUALITY, MODEL_RATE};
pub use model::{AudioConfig, AudioModel, HOP, HYPER_HOP, LAMBDAS, RES_DILATIONS, STRIDES};
pub(crate) use wav::encode_source_at_bitrate;
pub use encoder::AnalyzedClip;
pub use wav::{decode_to_wav, encode_wav, encode_wav_at_bitrate};
