//! Video: an implicit neural representation fitted to each group of frames at encode time
//! (multi-resolution latent grids + a small synthesis network, C3 / Cool-chic style); its
//! rounded latents and quantized weights, range-coded, are the payload.

pub mod checkpoint;
mod codec;
pub mod coding;
pub mod context;
pub mod fit;
pub mod network;
pub mod upsample;

pub use codec::{lambda, render_frame, weighted_mse, VideoCodec, DEFAULT_QUALITY, DEFAULT_STEPS, LAMBDAS};
pub use network::NetConfig;

use crate::codec::{Architecture, ModelFile, ModelMeta, TrainingRecord, DEFAULT_VIDEO_MODEL};
use crate::Result;

/// The bytes of the video model file: the 64 Gaussian tables and no weights (nothing is
/// trained ahead of time; `models/video-inr.nmcm` holds exactly these bytes).
pub fn model_file_bytes() -> Result<Vec<u8>> {
    let meta = ModelMeta { architecture: Architecture::VideoInr, lambda: 0.0, training: TrainingRecord::default() };
    ModelFile::to_bytes(&meta, &crate::latent::gaussian::build_tables()?, &[])
}

/// Encodes `video` into `.nmc` bytes with explicit network and fitting settings, fitting on
/// `device` (the codec API's [`crate::encode`] uses the defaults).
pub fn encode_with(video: &crate::Video, config: &NetConfig, fit: &fit::FitOptions, device: crate::Device, progress: bool) -> Result<Vec<u8>> {
    let model = crate::Model::embedded(crate::container::MediaKind::Video)?;
    let codec = VideoCodec::new(&ModelFile::parse(DEFAULT_VIDEO_MODEL)?)?;
    let (params, chunks) = codec.encode_video(video, config, fit, device, progress, None)?;
    let mut container = crate::container::Container::new(model.id(), params);
    for chunk in chunks {
        container.push(chunk.fourcc, chunk.required, chunk.payload);
    }
    container.to_bytes()
}

#[cfg(test)]
mod tests {
    /// The embedded video model is exactly what [`super::model_file_bytes`] builds (rerun
    /// `cargo run --release --example make_video_model` when the tables change).
    #[test]
    fn the_embedded_video_model_is_up_to_date() {
        assert!(super::model_file_bytes().unwrap() == crate::codec::DEFAULT_VIDEO_MODEL, "models/video-inr.nmcm is stale");
    }
}
