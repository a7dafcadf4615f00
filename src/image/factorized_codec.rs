//! Images ⇄ chunks with a factorized-prior model.
//!
//! Encoding: RGB in [0, 1], padded by edge replication to a multiple of 16 → g_a (tiled) → symbols
//! `round(y - median_c)` → range coding with channel `c`'s integer table → chunk `YLAT`.
//! Decoding reverses it; only the synthesis transform (after all symbols are decoded) uses floats.

use crate::codec::{Cpu, EncodeOptions, MediaCodec, ModelFile};
use crate::container::{Chunk, Container, FourCc, Header, ImageParams, MediaParams, ModelId};
use crate::entropy::{self, TableSet};
use crate::media::Media;
use crate::nn::load_tensors;
use crate::{Error, Result};

use super::pixels::padded_size;
use crate::container::find_chunk;
use crate::entropy::channel_indexes;
use crate::nn::to_vec;
use super::tiling::{self, DEFAULT_TILING};
use super::{FactorizedConfig, FactorizedModel, PlainAnalysis, PlainSynthesis, DOWNSAMPLING};

/// A loaded factorized image model, ready to code (its transforms on plain slices).
pub struct FactorizedCodec {
    g_a: PlainAnalysis,
    g_s: PlainSynthesis,
    tables: TableSet,
    medians: Vec<f32>,
    id: ModelId,
}

impl FactorizedCodec {
    /// Builds the codec from a parsed model file.
    pub fn new(file: &ModelFile, config: FactorizedConfig) -> Result<Self> {
        let model = load_tensors(FactorizedModel::<Cpu>::new(config, &Default::default()), &file.tensors)?;
        if file.tables.len() != config.m {
            return Err(Error::Model(format!("{} entropy tables for {} latent channels", file.tables.len(), config.m)));
        }
        let medians = to_vec(model.bottleneck().medians())?;
        let (g_a, g_s) = model.plain_transforms()?;
        Ok(Self { g_a, g_s, tables: file.tables.clone(), medians, id: file.id })
    }

    fn channels(&self) -> usize {
        self.medians.len()
    }
}

/// The latent symbols stored in an image file made with the factorized model in `model_file`
/// (channel-major), decoded with integer arithmetic only: what every decoder must agree on.
pub fn latent_symbols(nmc_file: &[u8], model_file: &[u8]) -> Result<Vec<i32>> {
    let container = Container::parse(nmc_file)?;
    let model = ModelFile::parse(model_file)?;
    let MediaParams::Image(params) = container.header.params else {
        return Err(Error::Malformed("not an image file".into()));
    };
    let (ph, pw) = padded_size(params.width, params.height, DOWNSAMPLING);
    let plane = ph * pw / (DOWNSAMPLING * DOWNSAMPLING);
    let payload = find_chunk(&container.chunks, FourCc::YLAT)?;
    entropy::decode(payload, &channel_indexes(model.tables.len(), plane, 0), &model.tables)
}

impl MediaCodec for FactorizedCodec {
    fn model_id(&self) -> ModelId {
        self.id
    }

    fn encode(&self, media: &Media, options: &EncodeOptions) -> Result<(MediaParams, Vec<Chunk>)> {
        let Media::Image(image) = media else {
            return Err(Error::InvalidArgument("an image model codes images only".into()));
        };
        if options.refine > 0 {
            return Err(Error::InvalidArgument(format!("latent refinement needs a hyperprior model; image model {} is factorized", self.id)));
        }
        if let Some(q) = options.quality {
            return Err(Error::InvalidArgument(format!(
                "quality {q} requested, but image model {} is fixed-rate; omit --quality",
                self.id
            )));
        }
        let (ph, pw) = padded_size(image.width(), image.height(), DOWNSAMPLING);
        let (lh, lw) = (ph / DOWNSAMPLING, pw / DOWNSAMPLING);
        let plane = lh * lw;
        let y = tiling::analysis(image, (lh, lw), self.channels(), DEFAULT_TILING, |x| self.g_a.forward(x))?;
        // Round half to even, as the tensor op did before tiling (an encoder choice; see FORMAT.md).
        let symbols: Vec<i32> = y.iter().enumerate().map(|(i, &v)| (v - self.medians[i / plane]).round_ties_even() as i32).collect();
        let payload = entropy::encode(&symbols, &channel_indexes(self.channels(), plane, 0), &self.tables)?;
        let params = ImageParams { width: image.width(), height: image.height(), channels: image.channels(), bit_depth: 8 };
        Ok((MediaParams::Image(params), vec![Chunk { fourcc: FourCc::YLAT, required: true, payload }]))
    }

    fn decode(&self, header: &Header, chunks: &[Chunk]) -> Result<Media> {
        let MediaParams::Image(params) = header.params else {
            return Err(Error::Malformed("not an image file".into()));
        };
        let (ph, pw) = padded_size(params.width, params.height, DOWNSAMPLING);
        let (lh, lw) = (ph / DOWNSAMPLING, pw / DOWNSAMPLING);
        let c = self.channels();
        let symbols = entropy::decode(find_chunk(chunks, FourCc::YLAT)?, &channel_indexes(c, lh * lw, 0), &self.tables)?;
        let plane = lh * lw;
        let y_hat: Vec<f32> = symbols.iter().enumerate().map(|(i, &s)| s as f32 + self.medians[i / plane]).collect();
        let image = tiling::synthesis(&y_hat, c, (lh, lw), &params, DEFAULT_TILING, |y| self.g_s.forward(y))?;
        Ok(Media::Image(image))
    }
}
