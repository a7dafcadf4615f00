//! Images ⇄ chunks with a mean–scale hyperprior model.
//!
//! Encoding: pad to a multiple of 64 → g_a (tiled) → y → h_a → z; `s_z = round(z − m_c)` coded with the
//! factorized tables (chunk `ZLAT`); the decoder's view of the hyper-latent, `16·s_z + m_q` in
//! fixed point, runs through the **integer** hyper-synthesis to means `μ_q` and log-scales `l_q`;
//! `s_y = round(y − μ_q/16)` is coded with Gaussian table `scale_index(l_q)` (chunk `YLAT`).
//! The latent is scaled by the gain vector of the quality first (chunk `QLTY`, `q · 256` as u16);
//! decoding repeats the integer steps exactly, then runs g_s (tiled) on
//! `ŷ = (s_y + μ_q/16) · inverse gain`.

use burn::tensor::{Tensor, TensorData};
use indicatif::ProgressBar;

use burn::tensor::backend::Backend;

use crate::codec::{Cpu, EncodeOptions, MediaCodec, ModelFile};
use crate::container::{Chunk, FourCc, Header, ImageParams, MediaParams, ModelId};
use crate::entropy::{self, TableSet};
use crate::latent::gain::quantize_quality;
use crate::latent::gaussian::{hyper_latent_q, means_and_tables, SCALE_COUNT};
use crate::media::Media;
use crate::nn::fixed::{IntHyperSynthesis, IntTensor, ACT_FRAC_BITS};
use crate::nn::{load_tensors, save_tensors};
use crate::{Error, Result};

use super::pixels::{padded_size, rgb_window};
use super::refine::Refinement;
use crate::container::find_chunk;
use crate::entropy::channel_indexes;
use crate::nn::to_vec;
use super::tiling::{self, DEFAULT_TILING};
use super::{HyperpriorConfig, HyperpriorModel, PlainAnalysis, PlainSynthesis, DOWNSAMPLING, HYPER_DOWNSAMPLING};

/// Quality used when none is asked for.
const DEFAULT_QUALITY: f32 = 4.0;

/// Padding block of hyperprior models: the total downsampling of g_a and h_a.
const BLOCK: usize = DOWNSAMPLING * HYPER_DOWNSAMPLING;

/// A loaded hyperprior image model, ready to code.
pub struct HyperpriorCodec<B: Backend = Cpu> {
    model: HyperpriorModel<B>,
    g_a: PlainAnalysis,
    g_s: PlainSynthesis,
    device: B::Device,
    h_s: IntHyperSynthesis,
    /// Hyper-latent medians on the activation grid (integers).
    medians_q: Vec<i32>,
    /// Factorized tables of the hyper-latent (N), then the Gaussian tables.
    tables: TableSet,
    config: HyperpriorConfig,
    id: ModelId,
}

/// Sizes of the latent `(M, h, w)` and hyper-latent `(N, h/4, w/4)` of an image.
struct Shapes {
    lh: usize,
    lw: usize,
    zh: usize,
    zw: usize,
}

impl Shapes {
    fn of(width: u32, height: u32) -> Self {
        let (ph, pw) = padded_size(width, height, BLOCK);
        Self { lh: ph / DOWNSAMPLING, lw: pw / DOWNSAMPLING, zh: ph / BLOCK, zw: pw / BLOCK }
    }
}

impl<B: Backend> HyperpriorCodec<B> {
    /// Builds the codec from a parsed model file, on `device`.
    pub fn new(file: &ModelFile, config: HyperpriorConfig, device: B::Device) -> Result<Self> {
        let model = load_tensors(HyperpriorModel::<B>::new(config, &device), &file.tensors)?;
        if file.tables.len() != config.n + SCALE_COUNT {
            return Err(Error::Model(format!(
                "{} entropy tables, expected {} hyper-latent + {SCALE_COUNT} Gaussian",
                file.tables.len(),
                config.n
            )));
        }
        let medians_q = to_vec(model.hyper_medians())?.into_iter().map(|m| (m * unit()).round() as i32).collect();
        let (g_a, g_s) = model.plain_transforms()?;
        Ok(Self { h_s: model.int_hyper_synthesis()?, model, g_a, g_s, device, medians_q, tables: file.tables.clone(), config, id: file.id })
    }

    /// Means (activation format) and Gaussian table indexes of every latent element, from the
    /// hyper-latent symbols: integer arithmetic only.
    fn latent_params(&self, z_symbols: &[i32], s: &Shapes) -> Result<(Vec<i32>, Vec<u32>)> {
        let data = hyper_latent_q(z_symbols, &self.medians_q, s.zh * s.zw);
        let z_hat = IntTensor { channels: self.config.n, height: s.zh, width: s.zw, data };
        let params = self.h_s.forward(&z_hat)?;
        let m = self.config.m;
        if (params.channels, params.height, params.width) != (2 * m, s.lh, s.lw) {
            return Err(Error::Model("hyper-synthesis output has the wrong shape".into()));
        }
        Ok(means_and_tables(params.data, m, s.lh * s.lw, self.config.n as u32))
    }

}

fn unit() -> f32 {
    (1u32 << ACT_FRAC_BITS) as f32
}

impl<B: Backend> MediaCodec for HyperpriorCodec<B> {
    fn model_id(&self) -> ModelId {
        self.id
    }

    fn encode(&self, media: &Media, options: &EncodeOptions) -> Result<(MediaParams, Vec<Chunk>)> {
        let Media::Image(image) = media else {
            return Err(Error::InvalidArgument("an image model codes images only".into()));
        };
        let quality = options.quality.unwrap_or(DEFAULT_QUALITY);
        let stored = quantize_quality(quality)?;
        let s = Shapes::of(image.width(), image.height());
        let m = self.config.m;
        let plane = s.lh * s.lw;
        if options.refine > 0 {
            super::refine::check_size(image.width() as usize, image.height() as usize)?;
        }
        let (gain, _) = self.model.gain_vectors().at_stored(stored)?;
        let mut y = tiling::analysis(image, (s.lh, s.lw), m, DEFAULT_TILING, |x| self.g_a.forward(x))?;
        y.iter_mut().enumerate().for_each(|(i, v)| *v *= gain[i / plane]);
        let y_shape = [1, m, s.lh, s.lw];
        let z = to_vec(self.model.hyper_analysis(Tensor::<B, 4>::from_data(TensorData::new(y.clone(), y_shape), &self.device)))?;
        let (y, z) = match options.refine {
            0 => (y, z),
            steps => {
                let (width, height) = (image.width() as usize, image.height() as usize);
                let bar = if options.progress { ProgressBar::new(steps as u64) } else { ProgressBar::hidden() };
                bar.set_style(crate::train::progress_style());
                bar.set_prefix("refining latents");
                let refinement = Refinement {
                    tensors: &save_tensors(&self.model),
                    config: self.config,
                    planes: rgb_window(&image.to_rgb()?, (width, height), 0..height, 0..width).to_planar(),
                    size: (height, width),
                    y: (y, y_shape),
                    z: (z, [1, self.config.n, s.zh, s.zw]),
                    quality: f32::from(stored) / 256.0,
                    steps,
                    bar: bar.clone(),
                };
                let refined = options.device.run(refinement)?;
                bar.finish_and_clear();
                refined
            }
        };
        let zplane = s.zh * s.zw;
        let z_symbols: Vec<i32> =
            z.iter().enumerate().map(|(i, &v)| (v - self.medians_q[i / zplane] as f32 / unit()).round() as i32).collect();
        let z_payload = entropy::encode(&z_symbols, &channel_indexes(self.config.n, zplane, 0), &self.tables)?;
        let (means, indexes) = self.latent_params(&z_symbols, &s)?;
        let y_symbols: Vec<i32> = y.iter().zip(&means).map(|(&v, &mu)| (v - mu as f32 / unit()).round() as i32).collect();
        let y_payload = entropy::encode(&y_symbols, &indexes, &self.tables)?;
        let params = ImageParams { width: image.width(), height: image.height(), channels: image.channels(), bit_depth: 8 };
        let chunks = vec![
            crate::latent::gain::quality_chunk(stored),
            Chunk { fourcc: FourCc::ZLAT, required: true, payload: z_payload },
            Chunk { fourcc: FourCc::YLAT, required: true, payload: y_payload },
        ];
        Ok((MediaParams::Image(params), chunks))
    }

    fn decode(&self, header: &Header, chunks: &[Chunk]) -> Result<Media> {
        let MediaParams::Image(params) = header.params else {
            return Err(Error::Malformed("not an image file".into()));
        };
        let stored = crate::latent::gain::stored_quality(chunks)?;
        let (_, inv_gain) = self.model.gain_vectors().at_stored(stored)?;
        let s = Shapes::of(params.width, params.height);
        let zplane = s.zh * s.zw;
        let z_symbols = entropy::decode(find_chunk(chunks, FourCc::ZLAT)?, &channel_indexes(self.config.n, zplane, 0), &self.tables)?;
        let (means, indexes) = self.latent_params(&z_symbols, &s)?;
        let y_symbols = entropy::decode(find_chunk(chunks, FourCc::YLAT)?, &indexes, &self.tables)?;
        let plane = s.lh * s.lw;
        let y_hat: Vec<f32> = y_symbols
            .iter()
            .zip(&means)
            .enumerate()
            .map(|(i, (&v, &mu))| (v as f32 + mu as f32 / unit()) * inv_gain[i / plane])
            .collect();
        let image = tiling::synthesis(&y_hat, self.config.m, (s.lh, s.lw), &params, DEFAULT_TILING, |y| self.g_s.forward(y))?;
        Ok(Media::Image(image))
    }
}
