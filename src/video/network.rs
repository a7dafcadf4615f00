//! The fitted representation of a group of frames: multi-resolution latent grids, upsampled to
//! the frame and mixed per pixel by a small synthesis network (C3 / Cool-chic style, without
//! an autoregressive entropy model).
//!
//! Level `l` of `L` is a grid of `⌈(T − 1)/2^τ_l⌉ + 1` frames (temporal stride `2^τ_l`, see
//! [`level_frames`]) × `⌈H'/2^l⌉` × `⌈W'/2^l⌉` values (`H'`, `W'`: the frame size rounded up to
//! the chroma subsampling). Each pixel of frame `t` gathers one value per level (linear in
//! time, bilinear in space, see [`super::upsample`]); the synthesis is a stack of fully
//! connected layers with ReLU between them that maps those `L` values to `Y'CbCr / 255 − ½`.
//!
//! Two implementations of the forward pass exist on purpose: [`VideoInr`] (burn, differentiable,
//! used to fit) and [`Decoded::render`] (plain Rust, fixed summation order, per-pixel
//! independent), which the decoder uses so that frames are identical on every machine and
//! thread count. A test holds them together.

use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::backend::Backend;
use burn::tensor::{Int, Tensor, TensorData};
use rayon::prelude::*;

use super::context::{ContextModel, IntContextModel};
use super::upsample::{dense, level_frames, level_len, spatial_taps, temporal_tap, Tap};
use crate::container::{Chroma, Reader};
use crate::latent::{add_uniform_noise, round_ste};
use crate::{Error, Result};

/// Largest number of latent levels.
pub const MAX_LEVELS: usize = 8;
/// Largest number of hidden layers of the synthesis.
pub const MAX_HIDDEN_LAYERS: usize = 4;
/// Largest hidden width of the synthesis.
pub const MAX_WIDTH: usize = 128;
/// Largest number of frames in a group.
pub const MAX_GOP: usize = 1024;
/// Largest number of latent values of one group (bounds the decoder's memory per group to
/// about 0.5 GiB: symbols, table indexes and values).
pub const MAX_LATENTS: u64 = 1 << 26;

/// The shape of the representation, stored in the `VNET` chunk.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct NetConfig {
    /// `log2` of the temporal stride of each level (one entry per level, finest first).
    pub temporal: Vec<u8>,
    /// Widths of the hidden layers of the synthesis.
    pub hidden: Vec<usize>,
    /// Frames per group (the last group may be shorter).
    pub gop: usize,
    /// Hidden widths of the autoregressive context model of the latents ([`super::context`]);
    /// `None`: one zero-mean Gaussian per level (the coding of files made before it).
    pub context: Option<Vec<usize>>,
}

impl Default for NetConfig {
    fn default() -> Self {
        Self { temporal: vec![0, 1, 2, 3, 3, 3, 3], hidden: vec![24, 24], gop: 32, context: Some(vec![16, 16]) }
    }
}

impl NetConfig {
    /// Number of latent levels.
    pub fn levels(&self) -> usize {
        self.temporal.len()
    }

    /// `(inputs, outputs)` of each synthesis layer.
    pub fn layer_shapes(&self) -> Vec<(usize, usize)> {
        let widths: Vec<usize> = std::iter::once(self.levels()).chain(self.hidden.iter().copied()).chain([3]).collect();
        widths.windows(2).map(|w| (w[0], w[1])).collect()
    }

    /// Weights and biases of the synthesis.
    pub fn parameters(&self) -> usize {
        self.layer_shapes().iter().map(|(i, o)| i * o + o).sum()
    }

    /// Multiply–adds per decoded pixel: the synthesis layers plus 6 per level for the bilinear
    /// upsampling (the temporal interpolation, per grid cell, adds well under 1 per pixel), plus
    /// the context model's per latent value times the latent values per pixel (level `l` has
    /// one per `4^l · 2^τ_l` pixels, ignoring the rounding up of grid sizes).
    pub fn macs_per_pixel(&self) -> usize {
        let synthesis = self.layer_shapes().iter().map(|(i, o)| i * o).sum::<usize>() + 6 * self.levels();
        let context = self.context.as_deref().map_or(0, |h| super::context::layer_shapes(h).iter().map(|(i, o)| i * o).sum::<usize>());
        let latents_per_pixel: f64 = self.temporal.iter().enumerate().map(|(l, &t)| 1.0 / f64::from(1u32 << (2 * l as u32 + u32::from(t)))).sum();
        synthesis + (context as f64 * latents_per_pixel).round() as usize
    }

    /// Checks the limits of FORMAT.md.
    pub fn validate(&self) -> Result<()> {
        let bad = |what: String| Err(Error::Malformed(format!("video network: {what}")));
        if self.temporal.is_empty() || self.temporal.len() > MAX_LEVELS {
            return bad(format!("{} latent levels (1..={MAX_LEVELS})", self.temporal.len()));
        }
        if let Some(t) = self.temporal.iter().find(|&&t| t > 10) {
            return bad(format!("temporal stride 2^{t} (at most 2^10)"));
        }
        if self.hidden.len() > MAX_HIDDEN_LAYERS || self.hidden.iter().any(|&w| w == 0 || w > MAX_WIDTH) {
            return bad(format!("hidden widths {:?} (at most {MAX_HIDDEN_LAYERS} layers of 1..={MAX_WIDTH})", self.hidden));
        }
        if self.gop == 0 || self.gop > MAX_GOP {
            return bad(format!("{} frames per group (1..={MAX_GOP})", self.gop));
        }
        if let Some(h) = &self.context {
            if h.len() > MAX_HIDDEN_LAYERS || h.iter().any(|&w| w == 0 || w > MAX_WIDTH) {
                return bad(format!("context model widths {h:?} (at most {MAX_HIDDEN_LAYERS} layers of 1..={MAX_WIDTH})"));
            }
        }
        Ok(())
    }

    /// The `VNET` payload: level count, temporal strides, hidden count, widths (u16), group size
    /// (u16), and with a context model its hidden count and widths (u16).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = vec![self.levels() as u8];
        out.extend_from_slice(&self.temporal);
        let widths = |out: &mut Vec<u8>, widths: &[usize]| {
            out.push(widths.len() as u8);
            widths.iter().for_each(|&w| out.extend_from_slice(&(w as u16).to_le_bytes()));
        };
        widths(&mut out, &self.hidden);
        out.extend_from_slice(&(self.gop as u16).to_le_bytes());
        if let Some(h) = &self.context {
            widths(&mut out, h);
        }
        out
    }

    /// Parses and validates a `VNET` payload.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::new(bytes);
        let levels = r.u8("video network level count")? as usize;
        let temporal = r.take(levels, "video network temporal strides")?.to_vec();
        let widths = |r: &mut Reader<'_>| -> Result<Vec<usize>> {
            let count = r.u8("video network layer count")? as usize;
            (0..count).map(|_| r.u16("video network width").map(usize::from)).collect()
        };
        let hidden = widths(&mut r)?;
        let gop = r.u16("video group size")? as usize;
        let context = if r.remaining() > 0 { Some(widths(&mut r)?) } else { None };
        if r.remaining() != 0 {
            return Err(Error::Malformed(format!("video network: {} trailing bytes", r.remaining())));
        }
        let config = Self { temporal, hidden, gop, context };
        config.validate()?;
        Ok(config)
    }
}

/// The size of a group of frames and of its grids.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Geometry {
    /// Frames in the group.
    pub frames: usize,
    /// Frame width and height.
    pub width: usize,
    /// Frame height.
    pub height: usize,
    /// Chroma sampling.
    pub chroma: Chroma,
}

impl Geometry {
    /// The geometry of a clip (one group).
    pub fn of(video: &crate::media::Video) -> Self {
        Self { frames: video.frames().len(), width: video.width(), height: video.height(), chroma: video.chroma() }
    }

    /// Chroma subsampling factor (1 or 2).
    pub fn sub(&self) -> usize {
        match self.chroma {
            Chroma::Yuv420 => 2,
            Chroma::Yuv444 => 1,
        }
    }

    /// The synthesized size `(H', W')`: the frame rounded up to the chroma subsampling.
    pub fn padded(&self) -> (usize, usize) {
        (self.height.next_multiple_of(self.sub()), self.width.next_multiple_of(self.sub()))
    }

    /// Shape `[frames, height, width]` of each latent level.
    pub fn level_shapes(&self, config: &NetConfig) -> Vec<[usize; 3]> {
        let (h, w) = self.padded();
        config
            .temporal
            .iter()
            .enumerate()
            .map(|(l, &t)| [level_frames(self.frames, 1 << t), level_len(h, 1 << l), level_len(w, 1 << l)])
            .collect()
    }

    /// Number of latent values over all levels, refused above [`MAX_LATENTS`].
    pub fn latent_count(&self, config: &NetConfig) -> Result<usize> {
        let n: u64 = self.level_shapes(config).iter().map(|s| s.iter().map(|&v| v as u64).product::<u64>()).sum();
        if n > MAX_LATENTS {
            return Err(Error::LimitExceeded { what: "latent values of a video group".into(), value: n, limit: MAX_LATENTS });
        }
        Ok(n as usize)
    }
}

/// The latents are stored as parameters divided by this gain, so that Adam moves them
/// `LATENT_GAIN` times faster than the synthesis weights.
pub const LATENT_GAIN: f64 = 8.0;

/// How latents are quantized in a forward pass.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Quantizer {
    /// Additive uniform noise (early fitting).
    Noise,
    /// Rounding with a straight-through gradient (late fitting).
    Ste,
}

/// Which entropy model the rate of a forward pass comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateModel {
    /// One zero-mean Gaussian per level; a context model, if any, learns beside it from the
    /// detached latents (its bits are the auxiliary loss), ready to take over.
    Levels,
    /// The context model (the per-level model where there is none).
    Context,
}

/// The differentiable representation of one group of frames.
#[derive(Module, Debug)]
pub struct VideoInr<B: Backend> {
    /// One grid `[frames, height, width]` per level.
    latents: Vec<Param<Tensor<B, 3>>>,
    /// Log-scale of the zero-mean Gaussian entropy model of each level (without a context model).
    log_scales: Param<Tensor<B, 1>>,
    /// The autoregressive entropy model of the latents, if the configuration has one.
    context: Option<ContextModel<B>>,
    /// The synthesis layers.
    layers: Vec<Linear<B>>,
}

/// Constant matrices of a geometry, built once per group.
pub struct Plan<B: Backend> {
    config: NetConfig,
    geometry: Geometry,
    shapes: Vec<[usize; 3]>,
    /// Per level: the horizontal interpolation matrix, transposed (`[lw, W]`), and the vertical
    /// one (`[1, H, lh]`); `None` at factor 1.
    spatial: Vec<Option<(Tensor<B, 2>, Tensor<B, 3>)>>,
}

impl<B: Backend> Plan<B> {
    /// The plan of `config` at `geometry`.
    pub fn new(config: &NetConfig, geometry: Geometry, device: &B::Device) -> Self {
        let (h, w) = geometry.padded();
        let shapes = geometry.level_shapes(config);
        let matrix = |taps: &[Tap], len: usize| Tensor::<B, 2>::from_data(TensorData::new(dense(taps, len), [taps.len(), len]), device);
        let spatial = shapes
            .iter()
            .enumerate()
            .map(|(l, &[_, lh, lw])| {
                (l > 0).then(|| (matrix(&spatial_taps(w, lw, 1 << l), lw).transpose(), matrix(&spatial_taps(h, lh, 1 << l), lh).unsqueeze_dim(0)))
            })
            .collect();
        Self { config: config.clone(), geometry, shapes, spatial }
    }
}

impl<B: Backend> VideoInr<B> {
    /// A new representation: zero latents, unit scales, default-initialised layers.
    pub fn new(config: &NetConfig, geometry: Geometry, device: &B::Device) -> Self {
        let latents = geometry.level_shapes(config).into_iter().map(|s| Param::from_tensor(Tensor::zeros(s, device))).collect();
        let layers = config.layer_shapes().into_iter().map(|(i, o)| LinearConfig::new(i, o).init(device)).collect();
        let context = config.context.as_deref().map(|h| ContextModel::new(h, device));
        Self { latents, log_scales: Param::from_tensor(Tensor::zeros([config.levels()], device)), context, layers }
    }

    /// Frames `frames` (sorted) of the group as planes `[3, k, H', W']` (`Y'CbCr / 255 − ½`), the
    /// estimated bits of all latents under `rate` (from the grid frames these frames use, scaled
    /// to each grid) and the auxiliary loss that trains a context model not yet in use.
    pub fn forward(&self, plan: &Plan<B>, frames: &[usize], quantizer: Quantizer, rate: RateModel) -> (Tensor<B, 4>, Tensor<B, 1>, Tensor<B, 1>) {
        let device = self.log_scales.device();
        let (h, w) = plan.geometry.padded();
        let k = frames.len();
        let mut features = Vec::with_capacity(self.latents.len());
        let mut bits = Tensor::<B, 1>::zeros([1], &device);
        let mut aux = Tensor::<B, 1>::zeros([1], &device);
        for (l, latent) in self.latents.iter().enumerate() {
            let [lt, lh, lw] = plan.shapes[l];
            // Only the grid frames these frames interpolate from take part; their rate, scaled
            // to the whole grid, estimates the level's rate.
            let taps: Vec<Tap> = frames.iter().map(|&t| temporal_tap(t, lt, 1 << plan.config.temporal[l])).collect();
            let mut touched: Vec<usize> = taps.iter().flat_map(|&(a, _, b, _)| [a, b]).collect();
            touched.sort_unstable();
            touched.dedup();
            let n = touched.len();
            let local = |i: usize| touched.partition_point(|&v| v < i);
            let taps: Vec<Tap> = taps.iter().map(|&(a, wa, b, wb)| (local(a), wa, local(b), wb)).collect();
            // A context model also reads the grid frame before each touched one.
            let mut needed = touched.clone();
            if self.context.is_some() {
                needed.extend(touched.iter().filter(|&&a| a > 0).map(|&a| a - 1));
                needed.sort_unstable();
                needed.dedup();
            }
            let select = |x: Tensor<B, 3>, rows: Vec<i64>| {
                let count = rows.len();
                x.select(0, Tensor::<B, 1, Int>::from_data(TensorData::new(rows, [count]), &device))
            };
            let value = select(latent.val(), needed.iter().map(|&i| i as i64).collect()).mul_scalar(LATENT_GAIN);
            // The context model reads rounded values (what the decoder has) in both phases.
            let rounded = round_ste(value.clone());
            let q_needed = match quantizer {
                Quantizer::Noise => add_uniform_noise(value),
                Quantizer::Ste => rounded.clone(),
            };
            let position = |i: usize| needed.partition_point(|&v| v < i) as i64;
            let of_touched = |x: Tensor<B, 3>| if needed.len() == n { x } else { select(x, touched.iter().map(|&a| position(a)).collect()) };
            let q = of_touched(q_needed);
            let scale = lt as f64 / n as f64;
            let per_level = || {
                let log_scale = self.log_scales.val().slice(l..l + 1).reshape([1, 1, 1]);
                let p = crate::latent::gaussian::likelihood(q.clone(), Tensor::zeros([1, 1, 1], &device), log_scale);
                p.log().sum().div_scalar(-std::f64::consts::LN_2)
            };
            match &self.context {
                Some(model) => {
                    // Row 0 is the zero frame before the first.
                    let padded = Tensor::cat(vec![Tensor::zeros([1, lh, lw], &device), rounded.clone()], 0);
                    let prev = select(padded, touched.iter().map(|&a| if a == 0 { 0 } else { 1 + position(a - 1) }).collect());
                    // Contexts pass no gradient to the latents: through the rounding it pointed
                    // at changes that cost more bits than they saved, and fits settled in dense,
                    // costly latents (8 frames of 480×270 at λ = 0.0032, 300 steps: 1.20 bpp at
                    // 29.5 dB with it, 0.16 bpp at 28.6 dB without).
                    let (cur, prev) = (of_touched(rounded).detach(), prev.detach());
                    if rate == RateModel::Context {
                        bits = bits + model.bits(q.clone(), cur, prev).mul_scalar(scale);
                    } else {
                        bits = bits + per_level().mul_scalar(scale);
                        aux = aux + model.bits(q.clone().detach(), cur, prev).mul_scalar(scale);
                    }
                }
                None => bits = bits + per_level().mul_scalar(scale),
            }
            let at = Tensor::<B, 2>::from_data(TensorData::new(dense(&taps, n), [k, n]), &device);
            let mut x = at.matmul(q.reshape([n, lh * lw]));
            if let Some((ax, ay)) = &plan.spatial[l] {
                // [k·lh, lw] → [k·lh, W] = [k, lh, W] → [k, H, W]
                let xw = x.reshape([k * lh, lw]).matmul(ax.clone()).reshape([k, lh, w]);
                x = ay.clone().matmul(xw).reshape([k, h * w]);
            }
            features.push(x.reshape([1, k * h * w]));
        }
        // Features and activations run `[channels, pixels]`, so that every copy is contiguous.
        let mut x = Tensor::cat(features, 0);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            let y = layer.weight.val().transpose().matmul(x);
            x = match &layer.bias {
                Some(b) => y + b.val().unsqueeze_dim(1),
                None => y,
            };
            if i < last {
                x = burn::tensor::activation::relu(x);
            }
        }
        (x.reshape([3, k, h, w]), bits, aux)
    }

    /// Latent grids (host copies), finest level first.
    pub fn latents(&self) -> Result<Vec<Vec<f32>>> {
        self.latents.iter().map(|p| crate::nn::to_vec(p.val().mul_scalar(LATENT_GAIN))).collect()
    }

    /// The integer context model that codes the latents, if there is one.
    pub fn context_model(&self) -> Result<Option<IntContextModel>> {
        self.context.as_ref().map(ContextModel::quantize).transpose()
    }

    /// The synthesis as host layers.
    pub fn synthesis(&self) -> Result<Synthesis> {
        let layers = self
            .layers
            .iter()
            .map(|l| {
                let [inputs, outputs] = l.weight.dims();
                let bias = match &l.bias {
                    Some(b) => crate::nn::to_vec(b.val())?,
                    None => vec![0.0; outputs],
                };
                Ok(Layer { inputs, outputs, weight: crate::nn::to_vec(l.weight.val())?, bias })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Synthesis { layers })
    }
}

/// One fully connected layer on the host: `weight` is `[inputs, outputs]`, row-major.
#[derive(Clone, Debug, PartialEq)]
pub struct Layer {
    /// Input width.
    pub inputs: usize,
    /// Output width.
    pub outputs: usize,
    /// Weights, `[inputs, outputs]`.
    pub weight: Vec<f32>,
    /// Biases, `[outputs]`.
    pub bias: Vec<f32>,
}

/// The synthesis network on the host.
#[derive(Clone, Debug, PartialEq)]
pub struct Synthesis {
    /// Layers, input first.
    pub layers: Vec<Layer>,
}

impl Synthesis {
    /// Runs one pixel's features through the layers (ReLU between them) into `out[3]`.
    fn pixel(&self, features: &[f32], scratch: &mut [Vec<f32>; 2], out: &mut [f32; 3]) {
        let [a, b] = scratch;
        a.clear();
        a.extend_from_slice(features);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            b.clear();
            b.extend_from_slice(&layer.bias);
            for (j, &x) in a.iter().enumerate() {
                let row = &layer.weight[j * layer.outputs..(j + 1) * layer.outputs];
                for (acc, &wv) in b.iter_mut().zip(row) {
                    *acc += x * wv;
                }
            }
            if i < last {
                b.iter_mut().for_each(|v| *v = v.max(0.0));
            }
            std::mem::swap(a, b);
        }
        out.copy_from_slice(&a[..3]);
    }
}

/// A decoded group: quantized latents and synthesis, ready to render frames.
#[derive(Clone, Debug)]
pub struct Decoded {
    /// The network shape.
    pub config: NetConfig,
    /// The group's size.
    pub geometry: Geometry,
    /// Latent grids, finest first.
    pub latents: Vec<Vec<f32>>,
    /// The synthesis.
    pub synthesis: Synthesis,
}

impl Decoded {
    /// Frame `t` at the padded size as three planes `[H'·W']` of `Y'CbCr / 255 − ½`.
    pub fn render(&self, t: usize) -> [Vec<f32>; 3] {
        let (h, w) = self.geometry.padded();
        let shapes = self.geometry.level_shapes(&self.config);
        // Each level interpolated in time, then its spatial taps.
        let planes: Vec<Vec<f32>> = shapes
            .iter()
            .zip(&self.latents)
            .zip(&self.config.temporal)
            .map(|((&[lt, lh, lw], grid), &tau)| {
                let (a, wa, b, wb) = temporal_tap(t, lt, 1 << tau);
                let (pa, pb) = (&grid[a * lh * lw..(a + 1) * lh * lw], &grid[b * lh * lw..(b + 1) * lh * lw]);
                pa.iter().zip(pb).map(|(&x, &y)| wa * x + wb * y).collect()
            })
            .collect();
        let taps: Vec<(Vec<Tap>, Vec<Tap>)> = shapes
            .iter()
            .enumerate()
            .map(|(l, &[_, lh, lw])| (spatial_taps(h, lh, 1 << l), spatial_taps(w, lw, 1 << l)))
            .collect();
        let rows: Vec<Vec<[f32; 3]>> = (0..h)
            .into_par_iter()
            .map(|y| {
                let mut features = vec![0f32; planes.len()];
                let mut scratch = [Vec::new(), Vec::new()];
                let mut out = [0f32; 3];
                (0..w)
                    .map(|x| {
                        for (l, ((plane, (ty, tx)), &[_, _, lw])) in planes.iter().zip(&taps).zip(&shapes).enumerate() {
                            let (ya, wya, yb, wyb) = ty[y];
                            let (xa, wxa, xb, wxb) = tx[x];
                            let top = wxa * plane[ya * lw + xa] + wxb * plane[ya * lw + xb];
                            let bottom = wxa * plane[yb * lw + xa] + wxb * plane[yb * lw + xb];
                            features[l] = wya * top + wyb * bottom;
                        }
                        self.synthesis.pixel(&features, &mut scratch, &mut out);
                        out
                    })
                    .collect()
            })
            .collect();
        let mut out = [Vec::with_capacity(h * w), Vec::with_capacity(h * w), Vec::with_capacity(h * w)];
        for px in rows.iter().flatten() {
            for (plane, &v) in out.iter_mut().zip(px) {
                plane.push(v);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use burn::backend::Autodiff;

    use super::*;
    use crate::codec::Cpu;
    use crate::video::fit::{fit, FitOptions};

    pub(crate) fn clip(width: usize, height: usize, frames: usize, chroma: Chroma) -> crate::media::Video {
        let (cw, ch) = crate::media::chroma_size(width, height, chroma);
        let frames = (0..frames)
            .map(|t| crate::media::Frame {
                planes: [
                    (0..width * height).map(|i| ((i % width) * 3 + (i / width) * 2 + t * 5) as u8).collect(),
                    (0..cw * ch).map(|i| (100 + (i % cw) + t) as u8).collect(),
                    (0..cw * ch).map(|i| (150 - (i / cw)) as u8).collect(),
                ],
            })
            .collect();
        crate::media::Video::new(width, height, (25, 1), chroma, frames).unwrap()
    }

    #[test]
    fn config_bytes_round_trip_and_limits() {
        let config = NetConfig::default();
        assert_eq!(NetConfig::from_bytes(&config.to_bytes()).unwrap(), config);
        // Without a context model the payload is the one of files made before it.
        let legacy = NetConfig { context: None, ..NetConfig::default() };
        assert_eq!(legacy.to_bytes().len() + 5, config.to_bytes().len());
        assert_eq!(NetConfig::from_bytes(&legacy.to_bytes()).unwrap(), legacy);
        let mut bytes = config.to_bytes();
        bytes.push(0);
        assert!(NetConfig::from_bytes(&bytes).is_err());
        for bad in [
            NetConfig { temporal: vec![], ..NetConfig::default() },
            NetConfig { temporal: vec![0; 9], ..NetConfig::default() },
            NetConfig { hidden: vec![0], ..NetConfig::default() },
            NetConfig { gop: 0, ..NetConfig::default() },
            NetConfig { context: Some(vec![200]), ..NetConfig::default() },
            NetConfig { context: Some(vec![8; 5]), ..NetConfig::default() },
        ] {
            assert!(NetConfig::from_bytes(&bad.to_bytes()).is_err(), "{bad:?}");
        }
    }

    /// The decoder's plain-Rust forward pass equals burn's (rounded latents) within float error.
    #[test]
    fn host_render_matches_the_fitted_network() {
        let config = NetConfig { temporal: vec![0, 1, 2], hidden: vec![8], gop: 8, context: Some(vec![4]) };
        for (w, h, chroma) in [(13, 9, Chroma::Yuv420), (8, 6, Chroma::Yuv444)] {
            let video = clip(w, h, 5, chroma);
            let options = FitOptions { steps: 30, lambda: 0.01, frames_per_step: 2, learning_rate: 0.05, seed: 1 };
            let inr = fit::<Autodiff<Cpu>>(&video, &config, &options, &indicatif::ProgressBar::hidden(), &Default::default()).unwrap();
            let geometry = Geometry { frames: 5, width: w, height: h, chroma };
            let latents = inr.latents().unwrap();
            assert!(latents[0].iter().any(|v| v.round() != 0.0), "fitting moved no latent");
            let decoded = Decoded {
                config: config.clone(),
                geometry,
                latents: latents.iter().map(|g| g.iter().map(|v| v.round()).collect()).collect(),
                synthesis: inr.synthesis().unwrap(),
            };
            let plan = Plan::<Cpu>::new(&config, geometry, &Default::default());
            let frames = [0, 3, 4];
            let (out, _, _) = inr.forward(&plan, &frames, Quantizer::Ste, RateModel::Context);
            let out = crate::nn::to_vec(out).unwrap();
            let (ph, pw) = geometry.padded();
            for (k, &t) in frames.iter().enumerate() {
                let planes = decoded.render(t);
                for i in 0..ph * pw {
                    for (c, plane) in planes.iter().enumerate() {
                        let want = out[(c * frames.len() + k) * ph * pw + i];
                        assert!((plane[i] - want).abs() < 1e-4, "frame {t} pixel {i} plane {c}: {} vs {want}", plane[i]);
                    }
                }
            }
        }
    }
}
