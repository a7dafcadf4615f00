//! Loaded models and the registry of embedded defaults.

use std::path::Path;
use std::sync::{Arc, OnceLock};

use crate::container::{MediaKind, ModelId};
use crate::audio::AudioCodec;
use crate::image::{FactorizedCodec, HyperpriorCodec};
use crate::video::VideoCodec;
use crate::{Error, Result};

use super::model_file::{Architecture, ModelFile, ModelMeta};
use super::{Cpu, MediaCodec};

/// The default image model, embedded in the binary (how it was trained: see its metadata and the README).
pub const DEFAULT_IMAGE_MODEL: &[u8] = include_bytes!("../../models/image-hyperprior.nmcm");

/// Earlier default models, oldest first, embedded so that files coded with them still decode
/// without `--model`; encoding uses the current defaults. (The step-15 500 hyperprior, 5.6 MiB,
/// is not embedded: its files decode with `--model` of that file, kept in git history.)
const PREVIOUS_MODELS: [&[u8]; 1] = [include_bytes!("../../models/previous/image-factorized.nmcm")];

/// The default audio model, embedded in the binary (how it was trained: see its metadata and the README).
pub const DEFAULT_AUDIO_MODEL: &[u8] = include_bytes!("../../models/audio.nmcm");

/// The video model: only entropy tables, since the network is fitted to each video
/// ([`crate::video::model_file_bytes`] rebuilds exactly these bytes).
pub const DEFAULT_VIDEO_MODEL: &[u8] = include_bytes!("../../models/video-inr.nmcm");

/// A model ready to code: its metadata and the codec built from its weights.
pub struct Model {
    meta: ModelMeta,
    id: ModelId,
    codec: Box<dyn MediaCodec>,
}

impl std::fmt::Debug for Model {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Model").field("id", &self.id).field("meta", &self.meta).finish()
    }
}

impl Model {
    /// Loads a model from model-file bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let file = ModelFile::parse(bytes)?;
        let codec: Box<dyn MediaCodec> = match file.meta.architecture {
            Architecture::ImageFactorized(config) => Box::new(FactorizedCodec::new(&file, config)?),
            Architecture::ImageHyperprior(config) => Box::new(HyperpriorCodec::<Cpu>::new(&file, config, Default::default())?),
            Architecture::AudioHyperprior(config) => Box::new(AudioCodec::<Cpu>::new(&file, config, Default::default())?),
            Architecture::VideoInr => Box::new(VideoCodec::new(&file)?),
        };
        Ok(Self { meta: file.meta, id: file.id, codec })
    }

    /// Loads a model file from disk.
    pub fn load(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_bytes(&bytes).map_err(|e| e.in_file(path))
    }

    /// The embedded default model for a media kind.
    pub fn embedded(kind: MediaKind) -> Result<Arc<Model>> {
        match kind {
            MediaKind::Image => embedded(&IMAGE, DEFAULT_IMAGE_MODEL, "image"),
            MediaKind::Audio => embedded(&AUDIO, DEFAULT_AUDIO_MODEL, "audio"),
            MediaKind::Video => embedded(&VIDEO, DEFAULT_VIDEO_MODEL, "video"),
        }
    }

    /// The embedded model with this id, if any (the defaults, then earlier defaults).
    pub fn embedded_by_id(id: ModelId) -> Option<Arc<Model>> {
        let defaults = [MediaKind::Image, MediaKind::Audio, MediaKind::Video].into_iter().filter_map(|kind| Self::embedded(kind).ok());
        let previous = PREVIOUS.iter().zip(PREVIOUS_MODELS).filter_map(|(cell, bytes)| embedded(cell, bytes, "previous").ok());
        defaults.chain(previous).find(|m| m.id == id)
    }

    /// Content hash of the model file.
    pub fn id(&self) -> ModelId {
        self.id
    }

    /// Metadata (architecture, training record).
    pub fn meta(&self) -> &ModelMeta {
        &self.meta
    }

    /// The media kind this model codes.
    pub fn kind(&self) -> MediaKind {
        match self.meta.architecture {
            Architecture::ImageFactorized(_) | Architecture::ImageHyperprior(_) => MediaKind::Image,
            Architecture::AudioHyperprior(_) => MediaKind::Audio,
            Architecture::VideoInr => MediaKind::Video,
        }
    }

    pub(crate) fn codec(&self) -> &dyn MediaCodec {
        self.codec.as_ref()
    }
}

type Embedded = OnceLock<std::result::Result<Arc<Model>, String>>;

static IMAGE: Embedded = OnceLock::new();
static AUDIO: Embedded = OnceLock::new();
static VIDEO: Embedded = OnceLock::new();
static PREVIOUS: [Embedded; PREVIOUS_MODELS.len()] = [const { OnceLock::new() }; PREVIOUS_MODELS.len()];

/// An embedded model, parsed on first use.
fn embedded(cell: &'static Embedded, bytes: &[u8], what: &str) -> Result<Arc<Model>> {
    cell.get_or_init(|| Model::from_bytes(bytes).map(Arc::new).map_err(|e| e.to_string()))
        .clone()
        .map_err(|e| Error::Model(format!("embedded {what} model: {e}")))
}
