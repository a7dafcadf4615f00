//! Video ⇄ chunks: each group of frames is fitted ([`super::fit`]), its latents rounded and its
//! synthesis quantized with the exponents that minimise the real rate–distortion cost on a few
//! frames, and everything range-coded with the model file's Gaussian tables.
//!
//! Chunks: `VNET` (the network shape, [`NetConfig::to_bytes`]) and `VGOP` (one record per group,
//! in frame order, [`Quantized::write`]).

use burn::tensor::backend::AutodiffBackend;
use indicatif::ProgressBar;

use super::checkpoint::{self, Checkpoint};
use super::context::IntContextModel;
use super::coding::{coded_bits, dequantize_synthesis, quantize_latents, quantize_synthesis, Quantized, MAX_EXPONENT};
use super::fit::{fit, FitOptions};
use super::network::{Decoded, Geometry, NetConfig, Synthesis, MAX_LATENTS};
use crate::codec::{Device, EncodeOptions, MediaCodec, ModelFile, OnDevice};
use crate::container::{find_chunk, Chunk, FourCc, Header, MediaParams, ModelId, Reader, VideoParams};
use crate::entropy::TableSet;
use crate::latent::gaussian::SCALE_COUNT;
use crate::media::{Frame, Media, Video};
use crate::{Error, Result};

/// Trade-offs λ of qualities 1 to 8 (loss `bpp + λ·MSE₂₅₅`, Y'CbCr 6:1:1).
pub const LAMBDAS: [f64; 8] = [0.0001, 0.0002, 0.0004, 0.0008, 0.0016, 0.0032, 0.0064, 0.0128];
/// Quality used when none is asked for.
pub const DEFAULT_QUALITY: f32 = 4.0;
/// Fitting steps per group when none are asked for.
pub const DEFAULT_STEPS: usize = 1000;
/// Frames of a group used to choose the quantization exponents.
const SEARCH_FRAMES: usize = 4;

/// λ of a continuous quality 1–8 (geometric between the integer qualities).
pub fn lambda(quality: f32) -> Result<f64> {
    if !(1.0..=8.0).contains(&quality) {
        return Err(Error::InvalidArgument(format!("quality {quality} is outside 1–8")));
    }
    Ok(crate::latent::gain::lambda_at(&LAMBDAS, quality))
}

/// The video codec: the model file only supplies the entropy tables.
pub struct VideoCodec {
    tables: TableSet,
    id: ModelId,
}

/// The fit of one group, generic over the backend; brings the latents and the synthesis to the host.
struct GroupFit<'a> {
    group: &'a Video,
    config: &'a NetConfig,
    options: &'a FitOptions,
    bar: &'a ProgressBar,
}

impl OnDevice for GroupFit<'_> {
    type Output = (Vec<Vec<f32>>, Option<IntContextModel>, Synthesis);

    fn run<B: AutodiffBackend>(self, device: &B::Device) -> Result<Self::Output> {
        let inr = fit::<B>(self.group, self.config, self.options, self.bar, device)?;
        Ok((inr.latents()?, inr.context_model()?, inr.synthesis()?))
    }
}

fn to_u8(v: f32) -> u8 {
    ((v + 0.5) * 255.0).round().clamp(0.0, 255.0) as u8
}

/// Frame `t` of a decoded group at its real size, chroma averaged over 2×2 blocks for 4:2:0.
pub fn render_frame(decoded: &Decoded, t: usize) -> Frame {
    let g = decoded.geometry;
    let (_, pw) = g.padded();
    let [y, u, v] = decoded.render(t);
    let luma = (0..g.height).flat_map(|r| y[r * pw..r * pw + g.width].iter().map(|&s| to_u8(s))).collect();
    let (cw, ch) = crate::media::chroma_size(g.width, g.height, g.chroma);
    let chroma = |plane: &[f32]| -> Vec<u8> {
        match g.sub() {
            1 => (0..ch).flat_map(|r| plane[r * pw..r * pw + cw].iter().map(|&s| to_u8(s))).collect(),
            _ => (0..ch)
                .flat_map(|r| {
                    (0..cw).map(move |c| {
                        let (top, bottom) = (2 * r * pw + 2 * c, (2 * r + 1) * pw + 2 * c);
                        to_u8(((plane[top] + plane[top + 1]) + (plane[bottom] + plane[bottom + 1])) * 0.25)
                    })
                })
                .collect(),
        }
    };
    Frame { planes: [luma, chroma(&u), chroma(&v)] }
}

/// MSE on the 0–255 scale, Y'CbCr weighted 6:1:1.
pub fn weighted_mse(a: &Frame, b: &Frame) -> f64 {
    let mse = |x: &[u8], y: &[u8]| x.iter().zip(y).map(|(&p, &q)| (f64::from(p) - f64::from(q)).powi(2)).sum::<f64>() / x.len().max(1) as f64;
    (6.0 * mse(&a.planes[0], &b.planes[0]) + mse(&a.planes[1], &b.planes[1]) + mse(&a.planes[2], &b.planes[2])) / 8.0
}

/// Frames per group: the configured size, reduced so that a group stays within [`MAX_LATENTS`].
fn group_size(config: &NetConfig, video: &Video) -> Result<usize> {
    let one = Geometry { frames: 1, ..Geometry::of(video) }.latent_count(config)? as u64;
    Ok(config.gop.min((MAX_LATENTS / one.max(1)) as usize).max(1))
}

impl MediaCodec for VideoCodec {
    fn model_id(&self) -> ModelId {
        self.id
    }

    fn encode(&self, media: &Media, options: &EncodeOptions) -> Result<(MediaParams, Vec<Chunk>)> {
        let Media::Video(video) = media else {
            return Err(Error::InvalidArgument("the video model codes video only".into()));
        };
        let fit = FitOptions { lambda: lambda(options.quality.unwrap_or(DEFAULT_QUALITY))?, steps: options.steps.unwrap_or(DEFAULT_STEPS), ..FitOptions::default() };
        let config = NetConfig::default();
        let checkpoint = match &options.checkpoint {
            Some(path) => Some(Checkpoint::open(path, checkpoint::key(video, &config, &fit), options.resume)?),
            None => None,
        };
        self.encode_video(video, &config, &fit, options.device, options.progress, checkpoint)
    }

    fn decode(&self, header: &Header, chunks: &[Chunk]) -> Result<Media> {
        self.decode_video(header, chunks).map(Media::Video)
    }
}

impl VideoCodec {
    /// The codec of a parsed video model file.
    pub fn new(file: &ModelFile) -> Result<Self> {
        if file.tables.len() != SCALE_COUNT {
            return Err(Error::Model(format!("{} entropy tables, expected {SCALE_COUNT} Gaussian", file.tables.len())));
        }
        Ok(Self { tables: file.tables.clone(), id: file.id })
    }

    /// Codes `video` with networks of shape `config` (its group size reduced where a group
    /// would exceed the latent limit), each group fitted with `fit` (seeded by group number).
    /// Fitting runs on `device`; with a `checkpoint`, finished groups are saved there and those it already holds are reused.
    pub fn encode_video(
        &self,
        video: &Video,
        config: &NetConfig,
        fit: &FitOptions,
        device: Device,
        progress: bool,
        mut checkpoint: Option<Checkpoint>,
    ) -> Result<(MediaParams, Vec<Chunk>)> {
        config.validate()?;
        let mut config = config.clone();
        config.gop = group_size(&config, video)?;
        let steps = fit.steps;
        let total = video.frames().len();
        let groups = total.div_ceil(config.gop);
        let bar = if progress { ProgressBar::new((groups * steps) as u64) } else { ProgressBar::hidden() };
        bar.set_style(crate::train::progress_style());
        let mut records = Vec::new();
        for (i, start) in (0..total).step_by(config.gop).enumerate() {
            bar.set_prefix(format!("group {}/{groups}", i + 1));
            if let Some(record) = checkpoint.as_ref().and_then(|c| c.get(i)) {
                records.extend_from_slice(record);
                bar.inc(steps as u64);
                continue;
            }
            let group = video.slice(start..(start + config.gop).min(total))?;
            let fit = FitOptions { seed: fit.seed + i as u64, ..fit.clone() };
            let record = self.encode_group(&group, &config, &fit, device, &bar)?.write(&self.tables)?;
            records.extend_from_slice(&record);
            if let Some(c) = checkpoint.as_mut() {
                c.push(record)?;
            }
        }
        bar.finish_and_clear();
        let params = VideoParams {
            width: video.width() as u32,
            height: video.height() as u32,
            frames: total as u32,
            fps_num: video.fps().0,
            fps_den: video.fps().1,
            chroma: video.chroma(),
        };
        let chunks = vec![
            Chunk { fourcc: FourCc::VNET, required: true, payload: config.to_bytes() },
            Chunk { fourcc: FourCc::VGOP, required: true, payload: records },
        ];
        Ok((MediaParams::Video(params), chunks))
    }

    /// Decodes a video file's chunks.
    pub fn decode_video(&self, header: &Header, chunks: &[Chunk]) -> Result<Video> {
        let MediaParams::Video(p) = header.params else {
            return Err(Error::Malformed("not a video file".into()));
        };
        let config = NetConfig::from_bytes(find_chunk(chunks, FourCc::VNET)?)?;
        let geometry = Geometry { frames: config.gop, width: p.width as usize, height: p.height as usize, chroma: p.chroma };
        let mut reader = Reader::new(find_chunk(chunks, FourCc::VGOP)?);
        let mut frames = Vec::new();
        while frames.len() < p.frames as usize {
            let (q, group) = Quantized::read(&mut reader, &config, geometry, &self.tables)?;
            if frames.len() + group.frames > p.frames as usize {
                return Err(Error::Malformed(format!("video groups hold more than the header's {} frames", p.frames)));
            }
            let decoded = q.decoded(&config, group);
            frames.extend((0..group.frames).map(|t| render_frame(&decoded, t)));
        }
        if reader.remaining() != 0 {
            return Err(Error::Malformed(format!("{} bytes after the last video group", reader.remaining())));
        }
        Video::new(p.width as usize, p.height as usize, (p.fps_num, p.fps_den), p.chroma, frames)
    }

    /// Fits and quantizes one group.
    fn encode_group(&self, group: &Video, config: &NetConfig, options: &FitOptions, device: Device, bar: &ProgressBar) -> Result<Quantized> {
        let (fitted, context, synthesis) = device.run(GroupFit { group, config, options, bar })?;
        let geometry = Geometry::of(group);
        let shapes = geometry.level_shapes(config);
        let mut q = Quantized { frames: geometry.frames, e_w: 0, e_b: 0, shapes, latents: quantize_latents(&fitted), context, layers: Vec::new() };
        let pixels = (geometry.frames * geometry.width * geometry.height) as f64;
        let frames: Vec<usize> = (0..SEARCH_FRAMES.min(geometry.frames)).map(|i| i * geometry.frames / SEARCH_FRAMES.min(geometry.frames)).collect();
        // The latents and the context model are fixed during the search: their cost and the
        // decoder view are computed once.
        let context_bits = coded_bits(q.context.iter().flat_map(|c| c.layers()).flat_map(|l| [l.weight(), l.bias()]), &self.tables);
        let fixed_bits = q.latent_bits(&self.tables) + context_bits;
        let mut decoded = q.decoded(config, geometry);
        let mut cost = |e_w: u8, e_b: u8| -> f64 {
            let layers = quantize_synthesis(&synthesis, e_w, e_b);
            decoded.synthesis = dequantize_synthesis(config, &layers, e_w, e_b);
            let bits = fixed_bits + coded_bits(layers.iter().flat_map(|(w, b)| [w.as_slice(), b.as_slice()]), &self.tables);
            let mse = frames.iter().map(|&t| weighted_mse(&render_frame(&decoded, t), &group.frames()[t])).sum::<f64>() / frames.len() as f64;
            bits / pixels + options.lambda * mse
        };
        // Coordinate search: the weight step with fine biases, then the bias step.
        let mut best = |candidates: &mut dyn Iterator<Item = (u8, u8)>| {
            candidates.map(|(w, b)| (cost(w, b), (w, b))).min_by(|a, b| a.0.total_cmp(&b.0)).expect("candidates").1
        };
        let (e_w, _) = best(&mut (2..=16).map(|e| (e, 16)));
        let (_, e_b) = best(&mut (2..=MAX_EXPONENT.min(20)).map(|e| (e_w, e)));
        (q.e_w, q.e_b, q.layers) = (e_w, e_b, quantize_synthesis(&synthesis, e_w, e_b));
        Ok(q)
    }
}
