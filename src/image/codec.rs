//! Images ⇄ chunks with a factorized-prior model.
//!
//! Encoding: RGB in [0, 1], padded by edge replication to a multiple of 16 → g_a → symbols
//! `round(y - median_c)` → range coding with channel `c`'s integer table → chunk `YLAT`.
//! Decoding reverses it; only the synthesis transform (after all symbols are decoded) uses floats.

use burn::tensor::{Tensor, TensorData};

use crate::codec::{Cpu, EncodeOptions, MediaCodec, ModelFile};
use crate::container::{Chunk, FourCc, Header, ImageParams, MediaParams, ModelId};
use crate::entropy::{self, TableSet};
use crate::media::{Image, Media};
use crate::nn::load_tensors;
use crate::{Error, Result};

use super::model::{FactorizedConfig, FactorizedModel, DOWNSAMPLING};

/// Largest image (in padded pixels) this codec transforms in one piece; bounds decoder memory
/// whatever a file's header claims. Tiled processing will lift it.
pub const MAX_UNTILED_PIXELS: u64 = 1 << 24;

/// A loaded factorized image model, ready to code.
pub struct ImageCodec {
    model: FactorizedModel<Cpu>,
    tables: TableSet,
    medians: Vec<f32>,
    id: ModelId,
}

impl ImageCodec {
    /// Builds the codec from a parsed model file.
    pub fn new(file: &ModelFile, config: FactorizedConfig) -> Result<Self> {
        let device = Default::default();
        let model = load_tensors(FactorizedModel::<Cpu>::new(config, &device), &file.tensors)?;
        if file.tables.len() != config.m {
            return Err(Error::Model(format!("{} entropy tables for {} latent channels", file.tables.len(), config.m)));
        }
        let medians = model.bottleneck().medians().into_data().to_vec::<f32>().map_err(|e| Error::Model(format!("{e:?}")))?;
        Ok(Self { model, tables: file.tables.clone(), medians, id: file.id })
    }

    fn channels(&self) -> usize {
        self.medians.len()
    }
}

/// The latent symbols stored in an image file made with the factorized model in `model_file`
/// (channel-major), decoded with integer arithmetic only: what every decoder must agree on.
pub fn latent_symbols(nmc_file: &[u8], model_file: &[u8]) -> Result<Vec<i32>> {
    let container = crate::container::Container::parse(nmc_file)?;
    let model = ModelFile::parse(model_file)?;
    let MediaParams::Image(params) = container.header.params else {
        return Err(Error::Malformed("not an image file".into()));
    };
    let latent = container.chunk(FourCc::YLAT).ok_or_else(|| Error::Malformed("missing chunk 'YLAT'".into()))?;
    let (lh, lw) = latent_size(params.width, params.height)?;
    entropy::decode(&latent.payload, &channel_indexes(model.tables.len(), lh * lw), &model.tables)
}

/// Table index (= channel) of every latent element, in `[C, H, W]` order.
fn channel_indexes(channels: usize, plane: usize) -> Vec<u32> {
    (0..channels as u32).flat_map(|c| std::iter::repeat_n(c, plane)).collect()
}

/// Latent rows and columns of a `width`×`height` image, refusing images over [`MAX_UNTILED_PIXELS`].
fn latent_size(width: u32, height: u32) -> Result<(usize, usize)> {
    let d = DOWNSAMPLING;
    let (lh, lw) = ((height as usize).div_ceil(d), (width as usize).div_ceil(d));
    let padded = (lh * d * lw * d) as u64;
    if padded > MAX_UNTILED_PIXELS {
        return Err(Error::LimitExceeded { what: "image size in pixels".into(), value: padded, limit: MAX_UNTILED_PIXELS });
    }
    Ok((lh, lw))
}

impl MediaCodec for ImageCodec {
    fn model_id(&self) -> ModelId {
        self.id
    }

    fn encode(&self, media: &Media, options: &EncodeOptions) -> Result<(MediaParams, Vec<Chunk>)> {
        let Media::Image(image) = media;
        if let Some(q) = options.quality {
            return Err(Error::InvalidArgument(format!(
                "quality {q} requested, but image model {} is fixed-rate; omit --quality",
                self.id
            )));
        }
        let rgb = image.to_rgb()?;
        let (w, h) = (image.width() as usize, image.height() as usize);
        let (lh, lw) = latent_size(image.width(), image.height())?;
        let (ph, pw) = (lh * DOWNSAMPLING, lw * DOWNSAMPLING);
        let x = Tensor::<Cpu, 4>::from_data(TensorData::new(padded_planes(&rgb, w, h, pw, ph), [1, 3, ph, pw]), &Default::default());
        let y = self.model.analysis(x);
        let medians = Tensor::<Cpu, 1>::from_data(TensorData::new(self.medians.clone(), [self.channels()]), &Default::default())
            .reshape([1, self.channels(), 1, 1]);
        let symbols: Vec<i32> = (y - medians)
            .round()
            .into_data()
            .convert::<f32>()
            .to_vec::<f32>()
            .map_err(|e| Error::Model(format!("{e:?}")))?
            .into_iter()
            .map(|v| v as i32)
            .collect();
        let payload = entropy::encode(&symbols, &channel_indexes(self.channels(), lh * lw), &self.tables)?;
        let params = MediaParams::Image(ImageParams {
            width: image.width(),
            height: image.height(),
            channels: image.channels(),
            bit_depth: 8,
        });
        Ok((params, vec![Chunk { fourcc: FourCc::YLAT, required: true, payload }]))
    }

    fn decode(&self, header: &Header, chunks: &[Chunk]) -> Result<Media> {
        let MediaParams::Image(params) = header.params else {
            return Err(Error::Malformed("not an image file".into()));
        };
        let latent = chunks
            .iter()
            .find(|c| c.fourcc == FourCc::YLAT)
            .ok_or_else(|| Error::Malformed("missing chunk 'YLAT'".into()))?;
        let (lh, lw) = latent_size(params.width, params.height)?;
        let symbols = entropy::decode(&latent.payload, &channel_indexes(self.channels(), lh * lw), &self.tables)?;
        let c = self.channels();
        let plane = lh * lw;
        let y_hat: Vec<f32> = symbols.iter().enumerate().map(|(i, &s)| s as f32 + self.medians[i / plane]).collect();
        let y_hat = Tensor::<Cpu, 4>::from_data(TensorData::new(y_hat, [1, c, lh, lw]), &Default::default());
        let x_hat = self.model.synthesis(y_hat);
        let (w, h) = (params.width as usize, params.height as usize);
        let planes = x_hat.into_data().to_vec::<f32>().map_err(|e| Error::Model(format!("{e:?}")))?;
        let rgb = interleave_cropped(&planes, lw * DOWNSAMPLING, lh * DOWNSAMPLING, w, h);
        Ok(Media::Image(Image::from_rgb(params.width, params.height, params.channels, &rgb)?))
    }
}

/// Interleaved RGB bytes → planar `[3, ph, pw]` floats in [0, 1], padding by edge replication.
fn padded_planes(rgb: &[u8], w: usize, h: usize, pw: usize, ph: usize) -> Vec<f32> {
    let mut out = Vec::with_capacity(3 * pw * ph);
    for c in 0..3 {
        for y in 0..ph {
            let row = y.min(h - 1) * w;
            for x in 0..pw {
                out.push(rgb[(row + x.min(w - 1)) * 3 + c] as f32 / 255.0);
            }
        }
    }
    out
}

/// Planar `[3, ph, pw]` floats → interleaved RGB bytes of the top-left `w`×`h`, clamped and rounded.
fn interleave_cropped(planes: &[f32], pw: usize, ph: usize, w: usize, h: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(3 * w * h);
    for y in 0..h {
        for x in 0..w {
            for c in 0..3 {
                let v = planes[(c * ph + y) * pw + x];
                out.push((v.clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
    }
    out
}
