//! The model file (`.nmcm`): architecture and training metadata, integer entropy tables, weights.
//!
//! Layout (little-endian): magic `NMCM`, version u16, metadata length u32, metadata (UTF-8 JSON,
//! [`ModelMeta`]), the entropy tables ([`TableSet::write`]), the weights ([`write_tensors`]).
//! Version 1 stores every weight as binary32; version 2 gives each tensor a value type, so
//! shipped models can hold their convolution kernels as binary16 ([`ModelFile::packed`]).
//! A file is written with the lowest version that holds it. A model is identified by the first
//! 128 bits of the SHA-256 of the whole file.

use serde::{Deserialize, Serialize};

use crate::container::ModelId;
use crate::entropy::TableSet;
use crate::audio::{AudioConfig, RES_DILATIONS};
use crate::image::{FactorizedConfig, HyperpriorConfig};
use crate::latent::gain::{valid_lambdas, LEVELS};
use crate::nn::{read_tensors, write_tensors, Precision, StoredTensor};
use crate::{Error, Result};

const MAGIC: [u8; 4] = *b"NMCM";
/// Model files with binary32 weights only.
const VERSION_F32: u16 = 1;
/// Model files whose tensors carry a value type (binary32 or binary16).
const VERSION_TYPED: u16 = 2;
/// Largest metadata block accepted.
const MAX_META: usize = 1 << 20;
/// Largest layer width (N or M) accepted, so that a model file cannot ask for absurd allocations.
const MAX_WIDTH: usize = 1024;

/// Which network a model file holds.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum Architecture {
    /// bmshj2018-factorized image model.
    ImageFactorized(FactorizedConfig),
    /// mbt2018-mean image model (no context model) with a fixed-point hyper-synthesis.
    ImageHyperprior(HyperpriorConfig),
    /// 1-D transform audio model with a fixed-point mean–scale hyperprior.
    AudioHyperprior(AudioConfig),
    /// Video fitted at encode time (implicit neural representation); the file holds its tables.
    VideoInr,
}

impl Architecture {
    /// The trade-offs λ of a variable-rate model's qualities 1 to 8 (image hyperprior, audio).
    pub fn lambdas(&self) -> Option<[f64; LEVELS]> {
        match self {
            Architecture::ImageHyperprior(c) => Some(c.lambdas),
            Architecture::AudioHyperprior(c) => Some(c.lambdas),
            Architecture::ImageFactorized(_) | Architecture::VideoInr => None,
        }
    }
}

/// How a model was trained: every run (a resumed run is a new entry), for reproducibility.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingRecord {
    /// Optimizer steps done over all runs.
    pub steps: u64,
    /// Wall time in seconds over all runs.
    pub wall_time_s: f64,
    /// The runs, oldest first.
    #[serde(default)]
    pub runs: Vec<TrainingRun>,
    /// Real coded rate and quality on the validation images at the last checkpoint, if measured.
    #[serde(default)]
    pub validation: Option<Validation>,
    /// The best validation so far (lowest loss); that checkpoint is also kept as `*.best.nmcm`.
    #[serde(default)]
    pub best_validation: Option<Validation>,
}

/// Mean rate and quality of real encodes and decodes of a validation set.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Validation {
    /// Validation folder and number of files.
    pub data: String,
    /// Mean rate of the .nmc files: bits per pixel (images) or kbps (audio).
    #[serde(alias = "bpp")]
    pub rate: f64,
    /// Mean quality metric: PSNR-RGB in dB (images) or log-mel distance (audio).
    #[serde(alias = "psnr")]
    pub metric: f64,
    /// Step of the checkpoint.
    #[serde(default)]
    pub step: u64,
    /// Rate–distortion loss of the medium (images: `λ·MSE + bpp`, MSE on the 0–255 scale from
    /// the mean PSNR; audio: `λ·mel distance + kbps`).
    #[serde(default)]
    pub loss: f64,
}

/// One training run (one invocation of `nmc train`, up to its last checkpoint).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TrainingRun {
    /// Training data (folder and number of images).
    pub data: String,
    /// Hardware and backend, e.g. "2-thread CPU (burn flex)".
    pub hardware: String,
    /// Step count before and after this run.
    pub first_step: u64,
    pub last_step: u64,
    /// Batch size, example size (crop side in pixels, or audio segment in samples), learning rate.
    pub batch: usize,
    pub crop: usize,
    pub learning_rate: f64,
    /// Wall time of this run in seconds.
    pub wall_time_s: f64,
    /// How the architecture was changed at the start of this run, e.g. residual units added;
    /// absent when it was not.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub change: String,
    /// The qualities a variable-rate model trained in this run, e.g. "5-8"; absent when all.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub qualities: String,
    /// The step from which this run trained at a tenth of `learning_rate` (the schedule's last
    /// tenth); absent when it did not get there, and in models written before it was recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decayed_from: Option<u64>,
}

/// The JSON metadata block of a model file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ModelMeta {
    /// Network and its sizes.
    pub architecture: Architecture,
    /// Rate–distortion trade-off λ the model was trained for (loss λ·255²·MSE + bpp).
    pub lambda: f64,
    /// Training record.
    pub training: TrainingRecord,
}

/// A parsed model file.
#[derive(Debug)]
pub struct ModelFile {
    /// Metadata.
    pub meta: ModelMeta,
    /// Integer entropy tables used by the range coder.
    pub tables: TableSet,
    /// Weights in module order.
    pub tensors: Vec<StoredTensor>,
    /// Content hash of the file bytes.
    pub id: ModelId,
    /// Model-file format version (1: binary32 weights; 2: typed weights).
    pub version: u16,
}

impl ModelFile {
    /// Whether `bytes` start like a model file (not like an `.nmc` file).
    pub fn is_model_file(bytes: &[u8]) -> bool {
        bytes.starts_with(&MAGIC)
    }

    /// Serializes the model; the returned id is the hash of exactly these bytes.
    pub fn to_bytes(meta: &ModelMeta, tables: &TableSet, tensors: &[StoredTensor]) -> Result<Vec<u8>> {
        let json = serde_json::to_vec_pretty(meta).map_err(|e| Error::Model(e.to_string()))?;
        let typed = tensors.iter().any(|t| t.precision != Precision::F32);
        let version = if typed { VERSION_TYPED } else { VERSION_F32 };
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&version.to_le_bytes());
        out.extend_from_slice(&(json.len() as u32).to_le_bytes());
        out.extend_from_slice(&json);
        tables.write(&mut out);
        write_tensors(tensors, typed, &mut out);
        Ok(out)
    }

    /// The bytes of this model as it ships: the same metadata and tables, its large tensors
    /// (convolution kernels) stored as binary16 (half the size; a new model id).
    pub fn packed(&self) -> Result<Vec<u8>> {
        let tensors: Vec<StoredTensor> = self.tensors.iter().map(StoredTensor::packed).collect();
        Self::to_bytes(&self.meta, &self.tables, &tensors)
    }

    /// Parses and validates a model file.
    pub fn parse(bytes: &[u8]) -> Result<Self> {
        let id = ModelId::of_model_file(bytes);
        let mut rest = bytes;
        if rest.len() < 10 || rest[..4] != MAGIC {
            return Err(Error::Model("not an nmc model file (bad magic)".into()));
        }
        let version = u16::from_le_bytes([rest[4], rest[5]]);
        if version != VERSION_F32 && version != VERSION_TYPED {
            return Err(Error::Model(format!(
                "model file version {version} is not supported (this nmc reads {VERSION_F32} and {VERSION_TYPED})"
            )));
        }
        let meta_len = u32::from_le_bytes([rest[6], rest[7], rest[8], rest[9]]) as usize;
        rest = &rest[10..];
        if meta_len > MAX_META || meta_len > rest.len() {
            return Err(Error::Model("model metadata length exceeds the file".into()));
        }
        let meta: ModelMeta = serde_json::from_slice(&rest[..meta_len]).map_err(|e| Error::Model(format!("metadata: {e}")))?;
        if let Some(lambdas) = meta.architecture.lambdas().filter(|l| !valid_lambdas(l)) {
            return Err(Error::Model(format!("rate points λ {lambdas:?} are not positive and ascending")));
        }
        let widths = match meta.architecture {
            Architecture::ImageFactorized(c) => vec![c.n, c.m],
            Architecture::ImageHyperprior(c) => vec![c.n, c.m],
            Architecture::AudioHyperprior(c) if c.res > RES_DILATIONS.len() => {
                return Err(Error::Model(format!("more than {} residual units per scale", RES_DILATIONS.len())));
            }
            Architecture::AudioHyperprior(c) => vec![8 * c.c, c.m, c.n],
            Architecture::VideoInr => vec![],
        };
        if widths.iter().any(|w| !(1..=MAX_WIDTH).contains(w)) {
            return Err(Error::Model(format!("layer widths {widths:?} outside 1..={MAX_WIDTH}")));
        }
        rest = &rest[meta_len..];
        let tables = TableSet::read(&mut rest)?;
        let tensors = read_tensors(&mut rest, version == VERSION_TYPED)?;
        if !rest.is_empty() {
            return Err(Error::Model(format!("{} unexpected bytes after the weights", rest.len())));
        }
        Ok(Self { meta, tables, tensors, id, version })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packed_models_are_version_2_and_unknown_versions_are_refused() {
        let version = |b: &[u8]| u16::from_le_bytes([b[4], b[5]]);
        // The shipped (packed) audio model with its tensors widened back to binary32.
        let mut file = ModelFile::parse(crate::codec::DEFAULT_AUDIO_MODEL).unwrap();
        file.tensors.iter_mut().for_each(|t| t.precision = Precision::F32);
        let original = &ModelFile::to_bytes(&file.meta, &file.tables, &file.tensors).unwrap()[..];
        assert_eq!(version(original), VERSION_F32);
        let file = ModelFile::parse(original).unwrap();
        let packed = file.packed().unwrap();
        let halves = file.tensors.iter().filter(|t| t.packed().precision == Precision::F16).count();
        assert!(halves > 0);
        let reparsed = ModelFile::parse(&packed).unwrap();
        assert_eq!(version(&packed), VERSION_TYPED);
        assert_eq!(reparsed.tensors.iter().filter(|t| t.precision == Precision::F16).count(), halves);
        assert_eq!((reparsed.meta, reparsed.tables), (file.meta.clone(), file.tables.clone()));
        let unpacked = ModelFile::to_bytes(&file.meta, &file.tables, &file.tensors).unwrap();
        assert_eq!(unpacked, original, "binary32 tensors are written as version 1, byte for byte");

        let mut future = packed.clone();
        future[4] = 3;
        let err = ModelFile::parse(&future).unwrap_err().to_string();
        assert!(err.contains("version 3"), "{err}");
    }

    #[test]
    fn audio_models_with_too_many_residual_units_are_refused() {
        let mut file = ModelFile::parse(crate::codec::DEFAULT_AUDIO_MODEL).unwrap();
        let Architecture::AudioHyperprior(config) = &mut file.meta.architecture else { panic!("audio model") };
        config.res = RES_DILATIONS.len() + 1;
        let bytes = ModelFile::to_bytes(&file.meta, &file.tables, &file.tensors).unwrap();
        let err = ModelFile::parse(&bytes).unwrap_err().to_string();
        assert!(err.contains("residual units"), "{err}");
    }

    #[test]
    fn models_with_disordered_rate_points_are_refused() {
        for model in [crate::codec::DEFAULT_IMAGE_MODEL, crate::codec::DEFAULT_AUDIO_MODEL] {
            let mut file = ModelFile::parse(model).unwrap();
            match &mut file.meta.architecture {
                Architecture::ImageHyperprior(c) => c.lambdas.swap(2, 5),
                Architecture::AudioHyperprior(c) => c.lambdas[7] = -1.0,
                other => panic!("{other:?}"),
            }
            let bytes = ModelFile::to_bytes(&file.meta, &file.tables, &file.tensors).unwrap();
            let err = ModelFile::parse(&bytes).unwrap_err().to_string();
            assert!(err.contains("not positive and ascending"), "{err}");
        }
    }

    /// Audio models written before models stored their rate points (the audio test vector's)
    /// read with the λ they were trained for; the shipped one stores its own.
    #[test]
    fn audio_models_without_stored_rate_points_read_as_trained() {
        let old = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/format-spec/vectors/audio/tiny.nmcm")).unwrap();
        let file = ModelFile::parse(&old).unwrap();
        assert_eq!(file.meta.architecture.lambdas(), Some(crate::audio::LAMBDAS));
        let json = serde_json::to_string(&file.meta.architecture).unwrap();
        assert!(json.contains("\"lambdas\":[2.0,5.0,12.5"), "{json}");
        let shipped = ModelFile::parse(crate::codec::DEFAULT_AUDIO_MODEL).unwrap();
        assert_eq!(shipped.meta.architecture.lambdas().map(|l| (l[0], l[7])), Some((0.8, 5000.0)));
    }
}
