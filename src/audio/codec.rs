//! Audio ⇄ chunks with the audio hyperprior model.
//!
//! The clip is resampled to 24 kHz; two channels are coded as mid = (L+R)/2 and side = (L−R)/2,
//! other counts channel by channel. Each coded channel is zero-padded to a multiple of 1280
//! samples and runs through g_a in segments with a halo (so memory is bounded and the result
//! equals whole-signal processing); then exactly as for images: `s_z = round(z − m_c)` with the
//! factorized tables (chunk `ZLAT`, all channels), the **integer** hyper-synthesis gives means
//! and log-scales, `s_y = round(y − μ_q/16)` with the Gaussian tables (chunk `YLAT`, all
//! channels), after the latent is scaled by the gain of the quality (chunk `QLTY`, `q · 256`).
//! Decoding repeats the integer steps, runs g_s in segments, undoes mid/side and resamples
//! to the original rate and length.

use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

use crate::codec::{Cpu, EncodeOptions, MediaCodec, ModelFile};
use crate::container::{find_chunk, AudioParams, Chunk, FourCc, Header, MediaParams, ModelId};
use crate::entropy::{self, channel_indexes, TableSet};
use crate::latent::gain::quantize_quality;
use crate::latent::gaussian::{hyper_latent_q, means_and_tables, SCALE_COUNT};
use crate::media::{Audio, Media};
use crate::nn::fixed::{IntHyperSynthesis, IntTensor, ACT_FRAC_BITS};
use crate::nn::{load_tensors, to_vec};
use crate::{Error, Result};

use super::model::{AudioConfig, AudioModel, HOP, HYPER_HOP};

/// Sample rate of the model.
pub const MODEL_RATE: u32 = 24_000;
/// Quality used when none is asked for.
pub const DEFAULT_QUALITY: f32 = 4.0;
/// Coded channels are padded to a multiple of this many samples.
const BLOCK: usize = HOP * HYPER_HOP;
/// Latent frames per transform segment (10 s).
const SEGMENT_FRAMES: usize = 750;
/// Latent frames of context on each side of a segment (beyond the transforms' receptive fields).
const HALO_FRAMES: usize = 8;

/// A loaded audio model, ready to code.
pub struct AudioCodec<B: Backend = Cpu> {
    model: AudioModel<B>,
    device: B::Device,
    h_s: IntHyperSynthesis,
    /// Hyper-latent medians on the activation grid (integers).
    medians_q: Vec<i32>,
    /// Factorized tables of the hyper-latent (N), then the Gaussian tables.
    tables: TableSet,
    config: AudioConfig,
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
fn frames(len: u64) -> usize {
    (len.max(1).div_ceil(BLOCK as u64) as usize) * HYPER_HOP
}

/// The coded channels of a clip: 24 kHz, mid/side for stereo.
fn to_coded(audio: &Audio) -> Result<Vec<Vec<f32>>> {
    let mut channels = audio.resample(MODEL_RATE)?.into_channels();
    if let [left, right] = channels.as_mut_slice() {
        for (l, r) in left.iter_mut().zip(right.iter_mut()) {
            (*l, *r) = ((*l + *r) * 0.5, (*l - *r) * 0.5);
        }
    }
    Ok(channels)
}

/// The clip from its decoded coded channels.
fn from_coded(mut channels: Vec<Vec<f32>>, p: &AudioParams) -> Result<Audio> {
    if let [mid, side] = channels.as_mut_slice() {
        for (m, s) in mid.iter_mut().zip(side.iter_mut()) {
            (*m, *s) = (*m + *s, *m - *s);
        }
    }
    let mut audio = Audio::new(MODEL_RATE, channels)?.resample(p.sample_rate)?.into_channels();
    audio.iter_mut().for_each(|c| c.truncate(p.samples as usize));
    Audio::new(p.sample_rate, audio)
}

/// The segments `(frames, window)` covering `0..total` frames: each segment's frames and the
/// window of frames processed for it (the segment plus the halo, clipped to the signal).
fn segments(total: usize) -> Vec<(std::ops::Range<usize>, std::ops::Range<usize>)> {
    (0..total)
        .step_by(SEGMENT_FRAMES)
        .map(|start| {
            let end = (start + SEGMENT_FRAMES).min(total);
            (start..end, start.saturating_sub(HALO_FRAMES)..(end + HALO_FRAMES).min(total))
        })
        .collect()
}

fn unit() -> f32 {
    (1u32 << ACT_FRAC_BITS) as f32
}

impl<B: Backend> AudioCodec<B> {
    /// Builds the codec from a parsed model file, on `device`.
    pub fn new(file: &ModelFile, config: AudioConfig, device: B::Device) -> Result<Self> {
        let model = load_tensors(AudioModel::<B>::new(config, &device), &file.tensors)?;
        if file.tables.len() != config.n + SCALE_COUNT {
            return Err(Error::Model(format!("{} entropy tables, expected {} hyper-latent + {SCALE_COUNT} Gaussian", file.tables.len(), config.n)));
        }
        let medians_q = to_vec(model.hyper_medians())?.into_iter().map(|m| (m * unit()).round() as i32).collect();
        Ok(Self { h_s: model.int_hyper_synthesis()?, model, device, medians_q, tables: file.tables.clone(), config, id: file.id })
    }

    /// The latent `[M, F]` of one coded channel, by segments.
    pub fn analysis(&self, signal: &[f32], frames: usize) -> Result<Vec<f32>> {
        let m = self.config.m;
        let mut y = vec![0f32; m * frames];
        for (seg, window) in segments(frames) {
            let (a, b) = (window.start * HOP, window.end * HOP);
            let input: Vec<f32> = (a..b).map(|i| signal.get(i).copied().unwrap_or(0.0)).collect();
            let x = Tensor::<B, 4>::from_data(TensorData::new(input, [1, 1, 1, b - a]), &self.device);
            let out = to_vec(self.model.analysis(x))?;
            let width = window.len();
            for c in 0..m {
                let from = c * width + (seg.start - window.start);
                y[c * frames + seg.start..c * frames + seg.end].copy_from_slice(&out[from..from + seg.len()]);
            }
        }
        Ok(y)
    }

    /// One coded channel of `len` samples from its latent `[M, F]`, by segments.
    pub fn synthesis(&self, y: &[f32], frames: usize, len: usize) -> Result<Vec<f32>> {
        let m = self.config.m;
        let mut out = Vec::with_capacity(frames * HOP);
        for (seg, window) in segments(frames) {
            let width = window.len();
            let mut input = Vec::with_capacity(m * width);
            for c in 0..m {
                input.extend_from_slice(&y[c * frames + window.start..c * frames + window.end]);
            }
            let x = to_vec(self.model.synthesis(Tensor::<B, 4>::from_data(TensorData::new(input, [1, m, 1, width]), &self.device)))?;
            let from = (seg.start - window.start) * HOP;
            out.extend_from_slice(&x[from..from + seg.len() * HOP]);
        }
        out.truncate(len);
        Ok(out)
    }

    /// Means (activation format) and Gaussian table indexes of a channel's latent from its
    /// hyper-latent symbols `[N, F/4]`: integer arithmetic only.
    fn latent_params(&self, z_symbols: &[i32], frames: usize) -> Result<(Vec<i32>, Vec<u32>)> {
        let zf = frames / HYPER_HOP;
        let data = hyper_latent_q(z_symbols, &self.medians_q, zf);
        let params = self.h_s.forward(&IntTensor { channels: self.config.n, height: 1, width: zf, data })?;
        let m = self.config.m;
        if (params.channels, params.height, params.width) != (2 * m, 1, frames) {
            return Err(Error::Model("hyper-synthesis output has the wrong shape".into()));
        }
        Ok(means_and_tables(params.data, m, frames, self.config.n as u32))
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
        let quality = options.quality.unwrap_or(DEFAULT_QUALITY);
        let stored = quantize_quality(quality)?;
        let params = AudioParams { sample_rate: audio.sample_rate(), channels: audio.channel_count() as u16, samples: audio.len() as u64 };
        let frames = frames(coded_len(&params)?);
        let (m, n) = (self.config.m, self.config.n);
        let (gain, _) = self.model.gain_vectors().at_stored(stored)?;
        let (mut z_all, mut z_idx, mut y_all, mut y_idx) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for channel in to_coded(audio)? {
            let mut y = self.analysis(&channel, frames)?;
            y.iter_mut().enumerate().for_each(|(i, v)| *v *= gain[i / frames]);
            let z = to_vec(self.model.hyper_analysis(Tensor::<B, 4>::from_data(TensorData::new(y.clone(), [1, m, 1, frames]), &self.device)))?;
            let zf = frames / HYPER_HOP;
            let z_symbols: Vec<i32> = z.iter().enumerate().map(|(i, &v)| (v - self.medians_q[i / zf] as f32 / unit()).round() as i32).collect();
            let (means, indexes) = self.latent_params(&z_symbols, frames)?;
            y_all.extend(y.iter().zip(&means).map(|(&v, &mu)| (v - mu as f32 / unit()).round() as i32));
            y_idx.extend(indexes);
            z_all.extend(z_symbols);
            z_idx.extend(channel_indexes(n, zf, 0));
        }
        let chunks = vec![
            Chunk { fourcc: FourCc::QLTY, required: true, payload: stored.to_le_bytes().to_vec() },
            Chunk { fourcc: FourCc::ZLAT, required: true, payload: entropy::encode(&z_all, &z_idx, &self.tables)? },
            Chunk { fourcc: FourCc::YLAT, required: true, payload: entropy::encode(&y_all, &y_idx, &self.tables)? },
        ];
        Ok((MediaParams::Audio(params), chunks))
    }

    fn decode(&self, header: &Header, chunks: &[Chunk]) -> Result<Media> {
        let MediaParams::Audio(params) = header.params else {
            return Err(Error::Malformed("not an audio file".into()));
        };
        let stored = match find_chunk(chunks, FourCc::QLTY)? {
            &[lo, hi] => u16::from_le_bytes([lo, hi]),
            other => return Err(Error::Malformed(format!("chunk 'QLTY' has {} bytes, expected 2", other.len()))),
        };
        let (_, inv_gain) = self.model.gain_vectors().at_stored(stored)?;
        let len = coded_len(&params)?;
        let frames = frames(len);
        let channels = usize::from(params.channels);
        let (m, n) = (self.config.m, self.config.n);
        let zf = frames / HYPER_HOP;
        let z_idx: Vec<u32> = (0..channels).flat_map(|_| channel_indexes(n, zf, 0)).collect();
        let z_all = entropy::decode(find_chunk(chunks, FourCc::ZLAT)?, &z_idx, &self.tables)?;
        let mut params_per_channel = Vec::with_capacity(channels);
        for z in z_all.chunks(n * zf) {
            params_per_channel.push(self.latent_params(z, frames)?);
        }
        let y_idx: Vec<u32> = params_per_channel.iter().flat_map(|(_, idx)| idx.iter().copied()).collect();
        let y_all = entropy::decode(find_chunk(chunks, FourCc::YLAT)?, &y_idx, &self.tables)?;
        let mut coded = Vec::with_capacity(channels);
        for (symbols, (means, _)) in y_all.chunks(m * frames).zip(&params_per_channel) {
            let y_hat: Vec<f32> =
                symbols.iter().zip(means).enumerate().map(|(i, (&v, &mu))| (v as f32 + mu as f32 / unit()) * inv_gain[i / frames]).collect();
            coded.push(self.synthesis(&y_hat, frames, len as usize)?);
        }
        Ok(Media::Audio(from_coded(coded, &params)?))
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::backend::Backend;

    use super::*;
    use crate::codec::{Architecture, TrainingRecord};
    use crate::nn::CodecModel;

    fn codec() -> AudioCodec {
        Cpu::seed(&Default::default(), 5);
        let config = AudioConfig { c: 4, m: 8, n: 8 };
        let bytes = AudioModel::<Cpu>::new(config, &Default::default())
            .to_model_file(Architecture::AudioHyperprior(config), 0.0, TrainingRecord::default())
            .unwrap();
        AudioCodec::new(&ModelFile::parse(&bytes).unwrap(), config, Default::default()).unwrap()
    }

    fn worst(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    /// 25 s: three segments, so two inner boundaries with halos.
    #[test]
    fn segmented_transforms_equal_whole_signal_processing() {
        let codec = codec();
        let frames = 25 * 75;
        let len = frames * HOP;
        let signal: Vec<f32> = (0..len).map(|i| (i as f32 * 0.013).sin() * 0.3 + ((i * 7919) % 101) as f32 / 1000.0).collect();
        let device = Default::default();
        let whole = to_vec(codec.model.analysis(Tensor::<Cpu, 4>::from_data(TensorData::new(signal.clone(), [1, 1, 1, len]), &device))).unwrap();
        let y = codec.analysis(&signal, frames).unwrap();
        assert!(worst(&y, &whole) < 1e-4, "latent differs by {}", worst(&y, &whole));
        let whole = to_vec(codec.model.synthesis(Tensor::<Cpu, 4>::from_data(TensorData::new(y.clone(), [1, 8, 1, frames]), &device))).unwrap();
        let x = codec.synthesis(&y, frames, len).unwrap();
        assert!(worst(&x, &whole) < 1e-4, "output differs by {}", worst(&x, &whole));
    }

    #[test]
    fn mid_side_round_trips() {
        let audio = Audio::new(24_000, vec![vec![0.5, -0.25, 0.125], vec![0.25, 0.25, -0.5]]).unwrap();
        let params = AudioParams { sample_rate: 24_000, channels: 2, samples: 3 };
        let back = from_coded(to_coded(&audio).unwrap(), &params).unwrap();
        assert_eq!(back, audio);
    }
}
