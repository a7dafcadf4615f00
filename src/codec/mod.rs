//! The one codec API: [`encode`], [`decode`], [`inspect`], and the model registry.

mod device;
mod model;
mod model_file;

pub use device::{Device, OnDevice};
pub use model::{Model, DEFAULT_AUDIO_MODEL, DEFAULT_IMAGE_MODEL, DEFAULT_VIDEO_MODEL};
pub use model_file::{Architecture, ModelFile, ModelMeta, TrainingRecord, TrainingRun, Validation};

use std::sync::Arc;

use serde::Serialize;

use crate::container::{find_chunk, Chunk, Container, FourCc, Header, MediaKind, MediaParams, ModelId};
use crate::latent::gain::QUALITY_RANGE;
use crate::media::Media;
use crate::{Error, Result};

/// The CPU backend used for inference and CPU training (chosen by measurement, see the README).
pub type Cpu = burn::backend::Flex;

/// What a medium's codec implements; `codec` dispatches to it by media kind.
pub trait MediaCodec: Send + Sync + std::any::Any {
    /// Identity of the model this codec runs.
    fn model_id(&self) -> ModelId;
    /// Codes `media` into header parameters and chunks.
    fn encode(&self, media: &Media, options: &EncodeOptions) -> Result<(MediaParams, Vec<Chunk>)>;
    /// Reconstructs media from a parsed file.
    fn decode(&self, header: &Header, chunks: &[Chunk]) -> Result<Media>;
}

/// Options for [`encode`].
#[derive(Clone, Default)]
pub struct EncodeOptions {
    /// Rate–quality setting for variable-rate models; `None` uses the model's default.
    pub quality: Option<f32>,
    /// The model to use; `None` uses the embedded default for the media kind.
    pub model: Option<Arc<Model>>,
    /// Video: fitting steps per group of frames; `None` uses the codec's default.
    pub steps: Option<usize>,
    /// Show a progress bar on stderr during long encodes (video fitting).
    pub progress: bool,
    /// Image (hyperprior models): steps of encoder-side latent refinement, 0 for none (see
    /// [`crate::image::refine`]): smaller files at the same quality, slower encodes.
    pub refine: usize,
    /// Where video fitting and image latent refinement run.
    pub device: Device,
    /// Video: save each finished group of frames in this file, so an interrupted encode can resume.
    pub checkpoint: Option<std::path::PathBuf>,
    /// Video: reuse the groups the `checkpoint` file already holds (same input and settings only).
    pub resume: bool,
}

/// Options for [`decode_with`].
#[derive(Clone, Default)]
pub struct DecodeOptions {
    /// Models to look up by content hash, besides the embedded ones.
    pub models: Vec<Arc<Model>>,
}

/// Encodes media into `.nmc` bytes.
///
/// ```no_run
/// let image = nmc::media::Image::read("photo.png".as_ref())?;
/// let bytes = nmc::encode(&image.into(), &nmc::EncodeOptions::default())?;
/// let decoded = nmc::decode(&bytes)?;
/// # Ok::<(), nmc::Error>(())
/// ```
pub fn encode(media: &Media, options: &EncodeOptions) -> Result<Vec<u8>> {
    let model = encoding_model(media.kind(), options)?;
    let (params, chunks) = model.codec().encode(media, options)?;
    container_bytes(&model, params, chunks)
}

/// The model that codes media of `kind` with `options`: the one given, else the embedded default.
pub(crate) fn encoding_model(kind: MediaKind, options: &EncodeOptions) -> Result<Arc<Model>> {
    let model = match &options.model {
        Some(model) => model.clone(),
        None => Model::embedded(kind)?,
    };
    if model.kind() != kind {
        return Err(Error::InvalidArgument(format!("model {} codes {:?} media, the input is {kind:?}", model.id(), model.kind())));
    }
    Ok(model)
}

/// The `.nmc` bytes of what `model` coded.
pub(crate) fn container_bytes(model: &Model, params: MediaParams, chunks: Vec<Chunk>) -> Result<Vec<u8>> {
    let mut container = Container::new(model.id(), params);
    for chunk in chunks {
        container.push(chunk.fourcc, chunk.required, chunk.payload);
    }
    container.to_bytes()
}

/// Bisections of the quality for a target bitrate: audio to the stored quality's resolution.
pub(crate) const AUDIO_HALVINGS: usize = 11;

/// Encodes audio or video at the largest quality whose file does not exceed `kbps`, searched by
/// bisection on the real coded size (the lowest quality when even that is larger). Audio
/// bisects to the stored quality's resolution (1/256); video, where every probe is a whole
/// fit, to 1/8 of a quality step (6 probes besides the two ends).
pub fn encode_at_bitrate(media: &Media, options: &EncodeOptions, kbps: f64) -> Result<Vec<u8>> {
    match media {
        Media::Audio(audio) => crate::audio::encode_source_at_bitrate(&mut audio.source(), options, kbps),
        Media::Video(video) => bisect_bitrate(video.duration(), 6, kbps, |quality| encode(media, &EncodeOptions { quality: Some(quality), ..options.clone() })),
        Media::Image(_) => Err(Error::InvalidArgument("a target bitrate applies to audio and video only".into())),
    }
}

/// The bisection of [`encode_at_bitrate`] over `at(quality)`, for a clip of `seconds`.
pub(crate) fn bisect_bitrate(seconds: f64, halvings: usize, kbps: f64, at: impl Fn(f32) -> Result<Vec<u8>>) -> Result<Vec<u8>> {
    let rate = |bytes: &[u8]| bytes.len() as f64 * 8.0 / seconds / 1000.0;
    let (mut low, mut high) = QUALITY_RANGE;
    let mut best = at(low)?;
    if rate(&best) > kbps {
        return Ok(best);
    }
    let top = at(high)?;
    if rate(&top) <= kbps {
        return Ok(top);
    }
    for _ in 0..halvings {
        let mid = (low + high) / 2.0;
        let bytes = at(mid)?;
        if rate(&bytes) <= kbps {
            (low, best) = (mid, bytes);
        } else {
            high = mid;
        }
    }
    Ok(best)
}

/// Decodes `.nmc` bytes with the embedded models.
pub fn decode(bytes: &[u8]) -> Result<Media> {
    decode_with(bytes, &DecodeOptions::default())
}

/// Decodes `.nmc` bytes, looking the file's model up among `options.models` and the embedded ones.
pub fn decode_with(bytes: &[u8], options: &DecodeOptions) -> Result<Media> {
    let (container, model) = parse_with_model(bytes, options)?;
    model.codec().decode(&container.header, &container.chunks)
}

/// [`Container::parse`], naming a model file given in place of an `.nmc` file as such.
fn parse_container(bytes: &[u8]) -> Result<Container> {
    Container::parse(bytes).map_err(|e| match e {
        Error::BadMagic if ModelFile::is_model_file(bytes) => {
            Error::InvalidArgument("this is a model file, not an .nmc file: give it as the model (`--model`)".into())
        }
        e => e,
    })
}

/// Parses a file and finds its model among `options.models` and the embedded ones.
pub(crate) fn parse_with_model(bytes: &[u8], options: &DecodeOptions) -> Result<(Container, Arc<Model>)> {
    let container = parse_container(bytes)?;
    let header = &container.header;
    let model = match options.models.iter().find(|m| m.id() == header.model) {
        Some(model) => model.clone(),
        None => Model::embedded_by_id(header.model).ok_or_else(|| Error::ModelNotFound(header.model.to_string()))?,
    };
    if model.kind() != header.params.kind() {
        return Err(Error::Malformed(format!("model {} does not code {:?} media", model.id(), header.params.kind())));
    }
    Ok((container, model))
}

/// A summary of an `.nmc` file, as shown by `nmc info`.
#[derive(Clone, Debug, Serialize)]
pub struct Info {
    /// The file header.
    pub header: Header,
    /// Total size in bytes.
    pub file_bytes: usize,
    /// Chunks in file order (the end marker excluded).
    pub chunks: Vec<ChunkInfo>,
    /// Bits per pixel (images; video: per pixel of every frame) over the whole file.
    pub bits_per_pixel: Option<f64>,
    /// Kilobits per second (audio, video) over the whole file.
    pub kbps: Option<f64>,
    /// Whether an embedded model matches the file's model id.
    pub model_embedded: bool,
    /// Video: the shape of the fitted networks.
    pub video_network: Option<crate::video::NetConfig>,
}

/// One chunk as listed by [`inspect`].
#[derive(Clone, Debug, Serialize)]
pub struct ChunkInfo {
    /// Chunk type.
    pub fourcc: String,
    /// Whether decoders must understand it.
    pub required: bool,
    /// Payload size in bytes.
    pub payload_bytes: usize,
}

/// Parses and validates a file's structure without decoding its media.
pub fn inspect(bytes: &[u8]) -> Result<Info> {
    let container = parse_container(bytes)?;
    let bits = bytes.len() as f64 * 8.0;
    let (bits_per_pixel, kbps) = match container.header.params {
        MediaParams::Image(p) => (Some(bits / (p.width as f64 * p.height as f64)), None),
        MediaParams::Audio(p) if p.samples > 0 => (None, Some(bits / (p.samples as f64 / f64::from(p.sample_rate)) / 1000.0)),
        MediaParams::Video(p) => {
            let seconds = f64::from(p.frames) * f64::from(p.fps_den) / f64::from(p.fps_num);
            (Some(bits / (f64::from(p.width) * f64::from(p.height) * f64::from(p.frames))), Some(bits / seconds / 1000.0))
        }
        _ => (None, None),
    };
    let chunks = container
        .chunks
        .iter()
        .map(|c| ChunkInfo { fourcc: c.fourcc.to_string(), required: c.required, payload_bytes: c.payload.len() })
        .collect();
    let video_network = match container.header.params {
        MediaParams::Video(_) => Some(crate::video::NetConfig::from_bytes(find_chunk(&container.chunks, FourCc::VNET)?)?),
        _ => None,
    };
    Ok(Info {
        video_network,
        model_embedded: Model::embedded_by_id(container.header.model).is_some(),
        header: container.header,
        file_bytes: bytes.len(),
        chunks,
        bits_per_pixel,
        kbps,
    })
}
