//! Audio ⇄ chunks with the audio hyperprior model.
//!
//! The clip is resampled to 24 kHz; two channels are coded as mid = (L+R)/2 and side = (L−R)/2,
//! other counts channel by channel. Each coded channel is zero-padded to a multiple of 1280
//! samples; then exactly as for images: `s_z = round(z − m_c)` with the factorized tables
//! (chunk `ZLAT`, all channels), the **integer** hyper-synthesis gives means and log-scales,
//! `s_y = round(y − μ_q/16)` with the Gaussian tables (chunk `YLAT`, all channels), after the
//! latent is scaled by the gain of the quality (chunk `QLTY`, `q · 256`).
//!
//! Everything runs block by block so that memory stays small whatever the length
//! ([`encoder`](super::encoder), [`decoder`](super::decoder)): g_a and g_s in segments of 750
//! latent frames with a halo of 8, each segment as two halves in parallel with halos of their
//! own (the result equals whole-signal processing to float rounding),
//! h_a and the integer h_s in segments of 1000 frames with halos covering their receptive fields
//! (exactly the integers of whole-channel processing); only the compact symbols of the whole
//! clip are held, since the payload orders them channel by channel.

use std::ops::Range;

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::codec::{Cpu, EncodeOptions, MediaCodec, ModelFile};
use crate::container::{AudioParams, Chunk, Header, MediaParams, ModelId};
use crate::entropy::TableSet;
use crate::latent::gaussian::{hyper_latent_q, scale_index, SCALE_COUNT};
use crate::media::{Audio, Media};
use crate::nn::fixed::{IntHyperSynthesis, IntTensor, ACT_FRAC_BITS};
use crate::nn::{load_tensors, to_vec};
use crate::{Error, Result};

use super::model::{AudioConfig, AudioModel, HOP, HYPER_HOP};
use super::transforms::Transforms;

/// Sample rate of the model.
pub const MODEL_RATE: u32 = 24_000;
/// Quality used when none is asked for.
pub const DEFAULT_QUALITY: f32 = 4.0;
/// Coded channels are padded to a multiple of this many samples.
const BLOCK: usize = HOP * HYPER_HOP;
/// Latent frames per transform segment (10 s).
pub(super) const SEGMENT_FRAMES: usize = 750;
/// Latent frames of context on each side of a segment (beyond the transforms' receptive fields).
pub(super) const HALO_FRAMES: usize = 8;
/// Latent frames per segment of the hyperprior steps (a multiple of `HYPER_HOP`).
pub(super) const HYPER_SEGMENT_FRAMES: usize = 1000;
/// Hyper-latent frames of context on each side for h_s: the latent frames `4j ..= 4j + 3` see
/// hyper-latent frames `j − 1 ..= j + 1`.
const Z_HALO: usize = 1;
/// Latent frames of context on each side for h_a: hyper-latent frame `j` sees latent frames
/// `4j − 4 ..= 4j + 7` (a multiple of `HYPER_HOP`, so windows stay aligned).
const Y_HALO: usize = 4;

const _: () = assert!(HYPER_SEGMENT_FRAMES.is_multiple_of(HYPER_HOP) && SCALE_COUNT <= 256);

/// A loaded audio model, ready to code.
pub struct AudioCodec<B: Backend = Cpu> {
    pub(super) model: AudioModel<B>,
    /// g_a and g_s as the codec runs them.
    transforms: Transforms,
    device: B::Device,
    h_s: IntHyperSynthesis,
    /// Hyper-latent medians on the activation grid (integers).
    medians_q: Vec<i32>,
    /// Factorized tables of the hyper-latent (N), then the Gaussian tables.
    pub(super) tables: TableSet,
    pub(super) config: AudioConfig,
    id: ModelId,
}

/// Largest number of coded samples, all channels together, at 24 kHz (about 12.4 hours of mono).
pub const MAX_CODED_SAMPLES: u64 = 1 << 30;

/// Length of each coded channel (24 kHz samples) of a clip, before padding; the channels
/// together hold at most [`MAX_CODED_SAMPLES`].
pub fn coded_len(p: &AudioParams) -> Result<u64> {
    let len = (p.samples * u64::from(MODEL_RATE)).div_ceil(u64::from(p.sample_rate));
    let total = len.saturating_mul(u64::from(p.channels));
    if total > MAX_CODED_SAMPLES {
        return Err(Error::LimitExceeded { what: "coded audio samples (24 kHz, all channels)".into(), value: total, limit: MAX_CODED_SAMPLES });
    }
    Ok(len)
}

/// Latent frames of a coded channel of `len` samples.
pub(super) fn frames(len: u64) -> usize {
    (len.max(1).div_ceil(BLOCK as u64) as usize) * HYPER_HOP
}

/// Stereo as mid/side, in place (other channel counts are coded as they are).
pub(super) fn to_mid_side(channels: &mut [Vec<f32>]) {
    if let [left, right] = channels {
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            (*l, *r) = ((*l + *r) * 0.5, (*l - *r) * 0.5);
        }
    }
}

/// Mid/side back to stereo, in place.
pub(super) fn from_mid_side(channels: &mut [Vec<f32>]) {
    if let [mid, side] = channels {
        for (m, s) in mid.iter_mut().zip(side.iter_mut()) {
            (*m, *s) = (*m + *s, *m - *s);
        }
    }
}

/// The segments `(frames, window)` covering `0..total` frames, `size` frames each: each
/// segment's frames and the window of frames processed for it (the segment plus `halo` frames
/// on each side, clipped to the signal).
pub(super) fn segments(total: usize, size: usize, halo: usize) -> Vec<(Range<usize>, Range<usize>)> {
    (0..total)
        .step_by(size)
        .map(|start| {
            let end = (start + size).min(total);
            (start..end, start.saturating_sub(halo)..(end + halo).min(total))
        })
        .collect()
}

/// The hyper-latent frames (of `zf`) that decide the latent parameters of latent frames `out`.
pub(super) fn z_window(zf: usize, out: &Range<usize>) -> Range<usize> {
    (out.start / HYPER_HOP).saturating_sub(Z_HALO)..(out.end.div_ceil(HYPER_HOP) + Z_HALO).min(zf)
}

/// The latent frames (of `frames`) that h_a needs for hyper-latent frames `z`.
pub(super) fn y_window(frames: usize, z: &Range<usize>) -> Range<usize> {
    (z.start * HYPER_HOP).saturating_sub(Y_HALO)..(z.end * HYPER_HOP + Y_HALO).min(frames)
}

/// Segments at least this long run as two halves in parallel.
const SPLIT_FRAMES: usize = 4 * HALO_FRAMES;

/// `f(part, half)` for the two halves of segment `seg` in parallel, each `half` computed on its
/// `part` (the half plus `HALO_FRAMES` on each side, inside `window`), the two `[rows, …]`
/// outputs joined row by row; short segments in one piece. The split depends on the segment
/// alone, never on the thread count, so the output does not either.
fn in_halves(window: &Range<usize>, seg: &Range<usize>, rows: usize, f: impl Fn(&Range<usize>, &Range<usize>) -> Result<Vec<f32>> + Sync) -> Result<Vec<f32>> {
    if seg.len() < SPLIT_FRAMES {
        return f(window, seg);
    }
    let mid = seg.start + seg.len() / 2;
    let part = |half: &Range<usize>| half.start.saturating_sub(HALO_FRAMES).max(window.start)..(half.end + HALO_FRAMES).min(window.end);
    let (first, second) = (seg.start..mid, mid..seg.end);
    let (a, b) = rayon::join(|| f(&part(&first), &first), || f(&part(&second), &second));
    let (a, b) = (a?, b?);
    let mut out = Vec::with_capacity(a.len() + b.len());
    for (a, b) in a.chunks(a.len() / rows).zip(b.chunks(b.len() / rows)) {
        out.extend_from_slice(a);
        out.extend_from_slice(b);
    }
    Ok(out)
}

/// Elements `range` of each row, row after row.
pub(super) fn gather<'a, T: Copy + 'a>(rows: impl IntoIterator<Item = &'a [T]>, range: Range<usize>) -> Vec<T> {
    rows.into_iter().flat_map(|r| r[range.clone()].iter().copied()).collect()
}

fn unit() -> f32 {
    (1u32 << ACT_FRAC_BITS) as f32
}

/// `y − μ` rounded: the latent symbol of a gained latent value and its mean.
pub(super) fn symbol(y: f32, mean: i32) -> i32 {
    (y - mean as f32 / unit()).round() as i32
}

/// `(s + μ) / gain`: the decoded latent value of a symbol and its mean.
pub(super) fn dequantize(symbol: i32, mean: i32, inv_gain: f32) -> f32 {
    (symbol as f32 + mean as f32 / unit()) * inv_gain
}

impl<B: Backend> AudioCodec<B> {
    /// Builds the codec from a parsed model file, on `device`.
    pub fn new(file: &ModelFile, config: AudioConfig, device: B::Device) -> Result<Self> {
        let model = load_tensors(AudioModel::<B>::new(config, &device), &file.tensors)?;
        if file.tables.len() != config.n + SCALE_COUNT {
            return Err(Error::Model(format!("{} entropy tables, expected {} hyper-latent + {SCALE_COUNT} Gaussian", file.tables.len(), config.n)));
        }
        let medians_q = to_vec(model.hyper_medians())?.into_iter().map(|m| (m * unit()).round() as i32).collect();
        let transforms = Transforms::new(&model)?;
        Ok(Self { h_s: model.int_hyper_synthesis()?, transforms, model, device, medians_q, tables: file.tables.clone(), config, id: file.id })
    }

    /// The latent `[M, seg.len()]` of frames `seg` from the samples of frames `window`
    /// (`window.len() · HOP` of them).
    pub(super) fn analyze(&self, samples: Vec<f32>, window: &Range<usize>, seg: &Range<usize>) -> Result<Vec<f32>> {
        in_halves(window, seg, self.config.m, |part, half| {
            let width = part.len();
            let from = (part.start - window.start) * HOP;
            let out = self.transforms.analysis(&samples[from..from + width * HOP]);
            let from = half.start - part.start;
            Ok(out.chunks(width).flat_map(|row| row[from..from + half.len()].iter().copied()).collect())
        })
    }

    /// The samples of frames `seg` from the latent `[M, window.len()]` of frames `window`.
    pub(super) fn synthesize(&self, y: Vec<f32>, window: &Range<usize>, seg: &Range<usize>) -> Result<Vec<f32>> {
        in_halves(window, seg, 1, |part, half| {
            let from = part.start - window.start;
            let x = self.transforms.synthesis(&gather(y.chunks(window.len()), from..from + part.len()), part.len());
            let from = (half.start - part.start) * HOP;
            Ok(x[from..from + half.len() * HOP].to_vec())
        })
    }

    /// The latent `[M, F]` of a whole coded channel, by segments.
    pub fn analysis(&self, signal: &[f32], frames: usize) -> Result<Vec<f32>> {
        let mut rows = vec![Vec::with_capacity(frames); self.config.m];
        for (seg, window) in segments(frames, SEGMENT_FRAMES, HALO_FRAMES) {
            let input = (window.start * HOP..window.end * HOP).map(|i| signal.get(i).copied().unwrap_or(0.0)).collect();
            let y = self.analyze(input, &window, &seg)?;
            rows.iter_mut().zip(y.chunks(seg.len())).for_each(|(r, y)| r.extend_from_slice(y));
        }
        Ok(rows.concat())
    }

    /// A whole coded channel of `len` samples from its latent `[M, F]`, by segments.
    pub fn synthesis(&self, y: &[f32], frames: usize, len: usize) -> Result<Vec<f32>> {
        let mut out = Vec::with_capacity(frames * HOP);
        for (seg, window) in segments(frames, SEGMENT_FRAMES, HALO_FRAMES) {
            out.extend(self.synthesize(gather(y.chunks(frames), window.clone()), &window, &seg)?);
        }
        out.truncate(len);
        Ok(out)
    }

    /// The hyper-latent symbols `[N, z.len()]` of hyper-latent frames `z` from the gained
    /// latent `[M, window.len()]` of latent frames `window` = [`y_window`]`(frames, z)`.
    pub(super) fn hyper_analyze(&self, y: Vec<f32>, window: &Range<usize>, z: &Range<usize>) -> Result<Vec<i32>> {
        let out = to_vec(self.model.hyper_analysis(Tensor::<B, 4>::from_data(TensorData::new(y, [1, self.config.m, 1, window.len()]), &self.device)))?;
        let (width, from) = (window.len() / HYPER_HOP, z.start - window.start / HYPER_HOP);
        Ok(out
            .chunks(width)
            .zip(&self.medians_q)
            .flat_map(|(row, &median)| row[from..from + z.len()].iter().map(move |&v| (v - median as f32 / unit()).round() as i32))
            .collect())
    }

    /// Means (activation format) and Gaussian scale numbers `[M, out.len()]` of latent frames
    /// `out` from the hyper-latent symbols `[N, z.len()]` of frames `z` = [`z_window`]`(zf, out)`:
    /// integer arithmetic only. The table of a symbol is `N +` its scale number.
    pub(super) fn latent_params(&self, z_symbols: &[i32], z: &Range<usize>, out: &Range<usize>) -> Result<(Vec<i32>, Vec<u8>)> {
        let data = hyper_latent_q(z_symbols, &self.medians_q, z.len());
        let params = self.h_s.forward(&IntTensor { channels: self.config.n, height: 1, width: z.len(), data })?;
        let (m, width) = (self.config.m, z.len() * HYPER_HOP);
        if (params.channels, params.height, params.width) != (2 * m, 1, width) {
            return Err(Error::Model("hyper-synthesis output has the wrong shape".into()));
        }
        let from = out.start - z.start * HYPER_HOP;
        let mut rows = params.data.chunks(width).map(|row| &row[from..from + out.len()]);
        let means = rows.by_ref().take(m).flatten().copied().collect();
        let scales = rows.flatten().map(|&l| scale_index(l) as u8).collect();
        Ok((means, scales))
    }

}

impl<B: Backend> MediaCodec for AudioCodec<B> {
    fn model_id(&self) -> ModelId {
        self.id
    }

    fn encode(&self, media: &Media, options: &EncodeOptions) -> Result<(MediaParams, Vec<Chunk>)> {
        let Media::Audio(audio) = media else {
            return Err(Error::InvalidArgument("an audio model codes audio only".into()));
        };
        self.encode_source(&mut audio.source(), options.quality)
    }

    fn decode(&self, header: &Header, chunks: &[Chunk]) -> Result<Media> {
        let MediaParams::Audio(params) = header.params else {
            return Err(Error::Malformed("not an audio file".into()));
        };
        let mut channels = vec![Vec::new(); usize::from(params.channels)];
        self.decode_blocks(header, chunks, None, &mut |block| {
            channels.iter_mut().zip(block).for_each(|(c, b)| c.extend_from_slice(b));
            Ok(())
        })?;
        Ok(Media::Audio(Audio::new(params.sample_rate, channels)?))
    }
}

#[cfg(test)]
mod tests {
    use burn::module::Module;
    use burn::tensor::backend::Backend;

    use super::*;
    use crate::audio::RES_DILATIONS;
    use crate::codec::{Architecture, TrainingRecord};
    use crate::container::FourCc;
    use crate::entropy::channel_indexes;
    use crate::latent::gaussian::means_and_tables;
    use crate::media::AudioSource;
    use crate::nn::CodecModel;

    fn codec() -> AudioCodec {
        codec_with(0)
    }

    fn codec_with(res: usize) -> AudioCodec {
        Cpu::seed(&Default::default(), 5);
        let config = AudioConfig { res, ..AudioConfig::new(4, 8, 8) };
        let bytes = AudioModel::<Cpu>::new(config, &Default::default())
            .to_model_file(Architecture::AudioHyperprior(config), 0.0, TrainingRecord::default())
            .unwrap();
        AudioCodec::new(&ModelFile::parse(&bytes).unwrap(), config, Default::default()).unwrap()
    }

    fn worst(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    fn signal(len: usize, seed: usize) -> Vec<f32> {
        (0..len).map(|i| (i as f32 * 0.013).sin() * 0.3 + (((i + seed) * 7919) % 101) as f32 / 1000.0).collect()
    }

    /// 25 s: three segments, so two inner boundaries with halos; with and without the widest
    /// residual units (whose reach must stay inside the halo).
    #[test]
    fn segmented_transforms_equal_whole_signal_processing() {
        for res in [0, RES_DILATIONS.len()] {
            segmented_transforms_equal_whole(&codec_with(res));
        }
    }

    /// The segment halo bounds the transforms' reach exactly: an impulse changes no latent
    /// frame, and a latent impulse no output frame, more than `HALO_FRAMES` away (a margin the
    /// float comparison above cannot see). Three units of dilations 1, 3, 9 would reach further.
    #[test]
    fn transforms_reach_no_further_than_the_halo() {
        let codec = codec_with(RES_DILATIONS.len());
        let (frames, at) = (40, 20);
        let device = Default::default();
        let changed = |f: &dyn Fn(Vec<f32>) -> Vec<f32>, len: usize, rows: usize, impulse: usize, frame_len: usize| {
            let base = f(vec![0.0; len]);
            let mut x = vec![0.0; len];
            x[impulse] = 1.0;
            let out = f(x);
            let per_row = base.len() / rows;
            (0..base.len()).filter(|&i| base[i] != out[i]).map(|i| (i % per_row) / frame_len).collect::<Vec<_>>()
        };
        let analysis = |x: Vec<f32>| to_vec(codec.model.analysis(Tensor::<Cpu, 4>::from_data(TensorData::new(x, [1, 1, 1, frames * HOP]), &device))).unwrap();
        let reached = changed(&analysis, frames * HOP, 8, at * HOP, 1);
        assert!(!reached.is_empty() && reached.iter().all(|f| f.abs_diff(at) <= HALO_FRAMES), "g_a reaches frames {reached:?}");
        let synthesis = |y: Vec<f32>| to_vec(codec.model.synthesis(Tensor::<Cpu, 4>::from_data(TensorData::new(y, [1, 8, 1, frames]), &device))).unwrap();
        let reached = changed(&synthesis, 8 * frames, 1, at, HOP);
        assert!(!reached.is_empty() && reached.iter().all(|f| f.abs_diff(at) <= HALO_FRAMES), "g_s reaches frames {reached:?}");
    }

    /// Residual units added to a trained model start as the identity: g_a and g_s compute
    /// exactly what they did, while the new units hold trainable weights.
    #[test]
    fn grown_residual_units_start_as_the_identity() {
        let (config, device) = (AudioConfig::new(4, 8, 8), Default::default());
        // Loaded weights (a fresh model's lazy parameters would initialise anew in a clone).
        let model = codec_with(0).model;
        let grown = model.clone().with_residual_units(config, RES_DILATIONS.len(), &device);
        assert_eq!(grown.num_params(), AudioModel::<Cpu>::new(AudioConfig { res: RES_DILATIONS.len(), ..config }, &device).num_params());
        let frames = 16;
        let x = || Tensor::<Cpu, 4>::from_data(TensorData::new(signal(frames * HOP, 1), [1, 1, 1, frames * HOP]), &device);
        let y = to_vec(model.analysis(x())).unwrap();
        assert_eq!(to_vec(grown.analysis(x())).unwrap(), y);
        let y = || Tensor::<Cpu, 4>::from_data(TensorData::new(y.clone(), [1, 8, 1, frames]), &device);
        assert_eq!(to_vec(grown.synthesis(y())).unwrap(), to_vec(model.synthesis(y())).unwrap());
    }

    fn segmented_transforms_equal_whole(codec: &AudioCodec) {
        let frames = 25 * 75;
        let len = frames * HOP;
        let signal = signal(len, 0);
        let device = Default::default();
        let whole = to_vec(codec.model.analysis(Tensor::<Cpu, 4>::from_data(TensorData::new(signal.clone(), [1, 1, 1, len]), &device))).unwrap();
        let y = codec.analysis(&signal, frames).unwrap();
        assert!(worst(&y, &whole) < 1e-4, "latent differs by {}", worst(&y, &whole));
        let whole = to_vec(codec.model.synthesis(Tensor::<Cpu, 4>::from_data(TensorData::new(y.clone(), [1, 8, 1, frames]), &device))).unwrap();
        let x = codec.synthesis(&y, frames, len).unwrap();
        assert!(worst(&x, &whole) < 1e-4, "output differs by {}", worst(&x, &whole));
    }

    /// h_a and the integer h_s on windows with their halos give exactly the integers of
    /// whole-channel processing, for aligned segments and for the unaligned g_s windows.
    #[test]
    fn segmented_hyperprior_equals_whole_channel_processing() {
        let codec = codec();
        let (m, frames) = (8, 400);
        let zf = frames / HYPER_HOP;
        let y: Vec<f32> = signal(m * frames, 3).iter().map(|v| v * 40.0).collect();
        let z_whole = to_vec(codec.model.hyper_analysis(Tensor::<Cpu, 4>::from_data(TensorData::new(y.clone(), [1, m, 1, frames]), &Default::default()))).unwrap();
        let z_whole: Vec<i32> = z_whole.iter().enumerate().map(|(i, &v)| (v - codec.medians_q[i / zf] as f32 / unit()).round() as i32).collect();
        assert!(z_whole.iter().any(|&s| s != 0), "a test that codes only zeros proves little");
        let data = hyper_latent_q(&z_whole, &codec.medians_q, zf);
        let params = codec.h_s.forward(&IntTensor { channels: 8, height: 1, width: zf, data }).unwrap();
        let (means_whole, tables_whole) = means_and_tables(params.data, m, frames, 8);
        for (seg, _) in segments(frames, 40, 0) {
            let z = seg.start / HYPER_HOP..seg.end / HYPER_HOP;
            let window = y_window(frames, &z);
            let symbols = codec.hyper_analyze(gather(y.chunks(frames), window.clone()), &window, &z).unwrap();
            assert_eq!(symbols, gather(z_whole.chunks(zf), z.clone()), "h_a on frames {seg:?}");
        }
        for size in [40, 30, 7] {
            for (_, window) in segments(frames, size, HALO_FRAMES) {
                let zw = z_window(zf, &window);
                let (means, scales) = codec.latent_params(&gather(z_whole.chunks(zf), zw.clone()), &zw, &window).unwrap();
                assert_eq!(means, gather(means_whole.chunks(frames), window.clone()), "means of frames {window:?}");
                let tables: Vec<u32> = scales.iter().map(|&k| 8 + u32::from(k)).collect();
                assert_eq!(tables, gather(tables_whole.chunks(frames), window.clone()), "tables of frames {window:?}");
            }
        }
    }

    /// The coding of the format as it was first written: the whole clip resampled at once,
    /// h_a and h_s over whole channels, all symbols and indexes in memory.
    fn encode_whole(codec: &AudioCodec, audio: &Audio, stored: u16) -> Vec<Chunk> {
        let mut channels = audio.resample(MODEL_RATE).unwrap().into_channels();
        to_mid_side(&mut channels);
        let frames = frames(channels[0].len() as u64);
        let (m, n, zf) = (8, 8, frames / HYPER_HOP);
        let (gain, _) = codec.model.gain_vectors().at_stored(stored).unwrap();
        let (mut z_all, mut z_idx, mut y_all, mut y_idx) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for channel in channels {
            let mut y = codec.analysis(&channel, frames).unwrap();
            y.iter_mut().enumerate().for_each(|(i, v)| *v *= gain[i / frames]);
            let z = to_vec(codec.model.hyper_analysis(Tensor::<Cpu, 4>::from_data(TensorData::new(y.clone(), [1, m, 1, frames]), &Default::default()))).unwrap();
            let z_symbols: Vec<i32> = z.iter().enumerate().map(|(i, &v)| (v - codec.medians_q[i / zf] as f32 / unit()).round() as i32).collect();
            let data = hyper_latent_q(&z_symbols, &codec.medians_q, zf);
            let params = codec.h_s.forward(&IntTensor { channels: n, height: 1, width: zf, data }).unwrap();
            let (means, indexes) = means_and_tables(params.data, m, frames, n as u32);
            y_all.extend(y.iter().zip(&means).map(|(&v, &mu)| symbol(v, mu)));
            y_idx.extend(indexes);
            z_all.extend(z_symbols);
            z_idx.extend(channel_indexes(n, zf, 0));
        }
        vec![
            crate::latent::gain::quality_chunk(stored),
            Chunk { fourcc: FourCc::ZLAT, required: true, payload: crate::entropy::encode(&z_all, &z_idx, &codec.tables).unwrap() },
            Chunk { fourcc: FourCc::YLAT, required: true, payload: crate::entropy::encode(&y_all, &y_idx, &codec.tables).unwrap() },
        ]
    }

    /// A source that hands out at most 777 frames at a time.
    struct Trickle<S>(S);

    impl<S: AudioSource> AudioSource for Trickle<S> {
        fn sample_rate(&self) -> u32 {
            self.0.sample_rate()
        }
        fn channel_count(&self) -> usize {
            self.0.channel_count()
        }
        fn frames(&self) -> usize {
            self.0.frames()
        }
        fn read(&mut self, max: usize, out: &mut [Vec<f32>]) -> Result<usize> {
            self.0.read(max.min(777), out)
        }
    }

    /// 30 s of 44.1 kHz stereo (three g_a segments, three hyperprior segments): the same chunks
    /// as whole-clip coding, whatever the size of the blocks read.
    #[test]
    fn block_coding_equals_whole_clip_coding() {
        let codec = codec();
        let len = 30 * 44_100 + 123;
        let audio = Audio::new(44_100, vec![signal(len, 0), signal(len, 17).iter().map(|v| v * 0.5).collect()]).unwrap();
        let stored = 5 * 256;
        let expected = encode_whole(&codec, &audio, stored);
        assert!(expected[1].payload.len() > 100 && expected[2].payload.len() > 1000, "a test that codes only zeros proves little");
        let (_, chunks) = codec.encode_source(&mut audio.source(), Some(5.0)).unwrap();
        assert!(chunks == expected, "blocks of 65536 frames code differently");
        let (_, chunks) = codec.encode_source(&mut Trickle(audio.source()), Some(5.0)).unwrap();
        assert!(chunks == expected, "blocks of 777 frames code differently");
        // A bitrate search analyzes once and codes the kept latent at each quality.
        let clip = codec.analyze_source(&mut Trickle(audio.source())).unwrap();
        assert!((clip.duration() - len as f64 / 44_100.0).abs() < 1e-9);
        for quality in [5.0, 1.0, 7.5] {
            let (params, chunks) = codec.encode_analyzed(&clip, Some(quality)).unwrap();
            assert!((params, chunks) == codec.encode_source(&mut audio.source(), Some(quality)).unwrap(), "quality {quality}");
        }
    }

    #[test]
    fn mid_side_round_trips() {
        let audio = vec![vec![0.5, -0.25, 0.125], vec![0.25, 0.25, -0.5]];
        let mut coded = audio.clone();
        to_mid_side(&mut coded);
        assert_eq!(coded[0], [0.375, 0.0, -0.1875]);
        from_mid_side(&mut coded);
        assert_eq!(coded, audio);
    }
}
