//! Encoding block by block: the clip is read, resampled and mid/side-converted in blocks, and
//! each coded channel goes through g_a, h_a and the latent symbols segment by segment as soon as
//! the frames each step needs have arrived. Only the symbols and scale numbers (4 + 1 bytes per
//! latent value) of the whole clip are kept, for the channel-major payload. A bitrate search
//! keeps the latent instead ([`AnalyzedClip`], 4 bytes per value) and codes it at each quality
//! tried, so g_a runs once.

use std::ops::Range;

use burn::tensor::backend::Backend;

use super::codec::{
    coded_len, frames, gather, segments, symbol, to_mid_side, y_window, z_window, AudioCodec, DEFAULT_QUALITY, HALO_FRAMES,
    HYPER_SEGMENT_FRAMES, MODEL_RATE, SEGMENT_FRAMES,
};
use super::model::{HOP, HYPER_HOP};
use crate::container::{AudioParams, Chunk, FourCc, MediaParams};
use crate::entropy;
use crate::latent::gain::quantize_quality;
use crate::media::{AudioSource, Resampler};
use crate::{Error, Result};

/// Frames read from the source at a time.
const READ_FRAMES: usize = 1 << 16;

/// Receives each new run of latent frames: per coded channel, `[M]` rows.
type LatentSink<'a> = dyn FnMut(&[Vec<Vec<f32>>]) -> Result<()> + 'a;

/// A clip's parameters and the latent of each coded channel before the gain: every quality
/// codes this same latent, so a bitrate search runs g_a once ([`AudioCodec::analyze_source`],
/// then [`AudioCodec::encode_analyzed`] per try). Holds 4 bytes per latent value.
pub struct AnalyzedClip {
    params: AudioParams,
    /// Per coded channel, `[M]` rows of every latent frame.
    latents: Vec<Vec<Vec<f32>>>,
}

impl AnalyzedClip {
    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.params.samples as f64 / f64::from(self.params.sample_rate)
    }
}

/// Latent frames handed to the hyperprior steps at a time when coding an analyzed clip.
const LATENT_BLOCK: usize = HYPER_SEGMENT_FRAMES;

impl<B: Backend> AudioCodec<B> {
    /// Codes a clip read block by block from `source`, at `quality` (default
    /// [`DEFAULT_QUALITY`]): the header's parameters and the chunks.
    pub fn encode_source(&self, source: &mut dyn AudioSource, quality: Option<f32>) -> Result<(MediaParams, Vec<Chunk>)> {
        let stored = quantize_quality(quality.unwrap_or(DEFAULT_QUALITY))?;
        let params = source_params(source)?;
        let mut coder = LatentCoder::new(self, stored, &params)?;
        self.analyze_stream(source, &params, &mut |latent| coder.push(latent))?;
        Ok((MediaParams::Audio(params), coder.finish()?))
    }

    /// Runs g_a over a clip read block by block from `source` and keeps its latent.
    pub fn analyze_source(&self, source: &mut dyn AudioSource) -> Result<AnalyzedClip> {
        let params = source_params(source)?;
        let mut latents: Vec<Vec<Vec<f32>>> = vec![vec![Vec::new(); self.config.m]; usize::from(params.channels)];
        self.analyze_stream(source, &params, &mut |latent| {
            for (rows, new) in latents.iter_mut().zip(latent) {
                for (row, new) in rows.iter_mut().zip(new) {
                    row.try_reserve(new.len()).map_err(|e| Error::UnsupportedMedia(format!("out of memory for the latent: {e}")))?;
                    row.extend_from_slice(new);
                }
            }
            Ok(())
        })?;
        Ok(AnalyzedClip { params, latents })
    }

    /// Codes an analyzed clip at `quality`: the bytes [`Self::encode_source`] gives for it.
    pub fn encode_analyzed(&self, clip: &AnalyzedClip, quality: Option<f32>) -> Result<(MediaParams, Vec<Chunk>)> {
        let stored = quantize_quality(quality.unwrap_or(DEFAULT_QUALITY))?;
        let mut coder = LatentCoder::new(self, stored, &clip.params)?;
        for start in (0..coder.frames).step_by(LATENT_BLOCK) {
            let range = start..(start + LATENT_BLOCK).min(coder.frames);
            let block: Vec<Vec<&[f32]>> = clip.latents.iter().map(|rows| rows.iter().map(|row| &row[range.clone()]).collect()).collect();
            coder.push(&block)?;
        }
        Ok((MediaParams::Audio(clip.params), coder.finish()?))
    }

    /// Reads `source` block by block (resampled, mid/side), runs g_a segment by segment and
    /// hands each new run of latent frames to `sink`.
    fn analyze_stream(&self, source: &mut dyn AudioSource, params: &AudioParams, sink: &mut LatentSink) -> Result<()> {
        let count = usize::from(params.channels);
        let mut analyzer = Analyzer::new(self, coded_len(params)? as usize, count);
        let mut resampler = Resampler::new(params.sample_rate, MODEL_RATE, count)?;
        let (mut block, mut coded) = (vec![Vec::new(); count], vec![Vec::new(); count]);
        loop {
            let n = source.read(READ_FRAMES, &mut block)?;
            if n == 0 {
                resampler.finish(&mut coded)?;
            } else {
                resampler.push(&block, &mut coded)?;
            }
            to_mid_side(&mut coded);
            sink(&analyzer.push(&coded)?)?;
            block.iter_mut().chain(&mut coded).for_each(Vec::clear);
            if n == 0 {
                break;
            }
        }
        if !analyzer.is_done() {
            return Err(Error::InvalidArgument("the audio source ended before its announced length".into()));
        }
        Ok(())
    }
}

/// The header parameters of a source.
fn source_params(source: &dyn AudioSource) -> Result<AudioParams> {
    let count = source.channel_count();
    if count == 0 {
        return Err(Error::UnsupportedMedia("audio with no channels".into()));
    }
    Ok(AudioParams { sample_rate: source.sample_rate(), channels: count as u16, samples: source.frames() as u64 })
}

/// g_a by segments, as the coded samples arrive.
struct Analyzer<'a, B: Backend> {
    codec: &'a AudioCodec<B>,
    /// Coded samples per channel, and those received so far.
    len: usize,
    received: usize,
    /// Segments `(frames, window)`, and the next one.
    transform: Vec<(Range<usize>, Range<usize>)>,
    next: usize,
    /// Per channel, the samples from sample `samples_from` on.
    samples: Vec<Vec<f32>>,
    samples_from: usize,
}

impl<'a, B: Backend> Analyzer<'a, B> {
    fn new(codec: &'a AudioCodec<B>, len: usize, count: usize) -> Self {
        let transform = segments(frames(len as u64), SEGMENT_FRAMES, HALO_FRAMES);
        Self { codec, len, received: 0, transform, next: 0, samples: vec![Vec::new(); count], samples_from: 0 }
    }

    /// Whether every sample has arrived and every segment has been analyzed.
    fn is_done(&self) -> bool {
        self.received == self.len && self.next == self.transform.len()
    }

    /// Takes the next coded samples (one vector per channel) and runs g_a on each segment whose
    /// window's samples have all arrived (zeros past the end): the new latent frames.
    fn push(&mut self, coded: &[Vec<f32>]) -> Result<Vec<Vec<Vec<f32>>>> {
        self.received += coded[0].len();
        if self.received > self.len {
            return Err(Error::InvalidArgument("the audio source gave more samples than it announced".into()));
        }
        self.samples.iter_mut().zip(coded).for_each(|(ch, c)| ch.extend_from_slice(c));
        let m = self.codec.config.m;
        let mut out = vec![vec![Vec::new(); m]; self.samples.len()];
        let done = self.received == self.len;
        while let Some((seg, window)) = self.transform.get(self.next) {
            if !done && window.end * HOP > self.received {
                break;
            }
            for (ch, rows) in self.samples.iter().zip(&mut out) {
                let samples = (window.start * HOP..window.end * HOP).map(|i| if i < self.received { ch[i - self.samples_from] } else { 0.0 }).collect();
                let y = self.codec.analyze(samples, window, seg)?;
                rows.iter_mut().zip(y.chunks(seg.len())).for_each(|(row, y)| row.extend_from_slice(y));
            }
            self.next += 1;
            let keep = self.transform.get(self.next).map_or(self.received, |(_, w)| (w.start * HOP).min(self.received));
            for ch in &mut self.samples {
                ch.drain(..keep - self.samples_from);
            }
            self.samples_from = keep;
        }
        Ok(out)
    }
}

/// The hyperprior state of one coded channel.
struct Channel {
    /// Gained latent, `[M]` rows from frame `y_from` on.
    y: Vec<Vec<f32>>,
    y_from: usize,
    /// Hyper-latent symbols, `[N]` rows from frame 0.
    z: Vec<Vec<i32>>,
    /// Latent symbols and their scale numbers, `[M]` rows from frame 0.
    symbols: Vec<Vec<i32>>,
    scales: Vec<Vec<u8>>,
}

/// `count` empty rows with room for `size` elements each, or an error if memory runs out.
fn reserved_rows<T>(count: usize, size: usize) -> Result<Vec<Vec<T>>> {
    (0..count)
        .map(|_| {
            let mut row = Vec::new();
            row.try_reserve_exact(size).map_err(|e| Error::UnsupportedMedia(format!("out of memory for the latent symbols: {e}")))?;
            Ok(row)
        })
        .collect()
}

/// The gain, h_a, the integer h_s and the latent symbols, as the latent frames arrive.
struct LatentCoder<'a, B: Backend> {
    codec: &'a AudioCodec<B>,
    stored: u16,
    gain: Vec<f32>,
    /// Latent frames per channel, and those received so far.
    frames: usize,
    received: usize,
    /// The segments of h_a and of the latent symbols.
    hyper: Vec<Range<usize>>,
    /// The next segment of h_a and of the latent symbols.
    next: [usize; 2],
    channels: Vec<Channel>,
}

impl<'a, B: Backend> LatentCoder<'a, B> {
    fn new(codec: &'a AudioCodec<B>, stored: u16, params: &AudioParams) -> Result<Self> {
        let frames = frames(coded_len(params)?);
        let (gain, _) = codec.model.gain_vectors().at_stored(stored)?;
        let (m, n) = (codec.config.m, codec.config.n);
        // The symbol rows get their final size at once: growing them piecemeal fragments the
        // heap to about twice their size.
        let channel = || -> Result<Channel> {
            Ok(Channel {
                y: vec![Vec::new(); m],
                y_from: 0,
                z: reserved_rows(n, frames / HYPER_HOP)?,
                symbols: reserved_rows(m, frames)?,
                scales: reserved_rows(m, frames)?,
            })
        };
        Ok(Self {
            codec,
            stored,
            gain,
            frames,
            received: 0,
            hyper: segments(frames, HYPER_SEGMENT_FRAMES, 0).into_iter().map(|(seg, _)| seg).collect(),
            next: [0; 2],
            channels: (0..usize::from(params.channels)).map(|_| channel()).collect::<Result<_>>()?,
        })
    }

    /// Takes the next latent frames (per channel, `[M]` rows, before the gain) and runs every
    /// step they allow.
    fn push<R: AsRef<[f32]>>(&mut self, latent: &[Vec<R>]) -> Result<()> {
        for (ch, rows) in self.channels.iter_mut().zip(latent) {
            for ((row, new), &gain) in ch.y.iter_mut().zip(rows).zip(&self.gain) {
                row.extend(new.as_ref().iter().map(|v| v * gain));
            }
        }
        self.received += latent.first().and_then(|rows| rows.first()).map_or(0, |row| row.as_ref().len());
        self.hyper_analyze()?;
        self.code_symbols()?;
        self.drop_used_frames();
        Ok(())
    }

    /// h_a on each segment whose latent window is complete: its hyper-latent symbols.
    fn hyper_analyze(&mut self) -> Result<()> {
        let y_end = self.received;
        while let Some(seg) = self.hyper.get(self.next[0]) {
            let z = seg.start / HYPER_HOP..seg.end / HYPER_HOP;
            let window = y_window(self.frames, &z);
            if window.end > y_end {
                break;
            }
            for ch in &mut self.channels {
                let y = gather(ch.y.iter().map(Vec::as_slice), window.start - ch.y_from..window.end - ch.y_from);
                let symbols = self.codec.hyper_analyze(y, &window, &z)?;
                ch.z.iter_mut().zip(symbols.chunks(z.len())).for_each(|(row, s)| row.extend_from_slice(s));
            }
            self.next[0] += 1;
        }
        Ok(())
    }

    /// The latent symbols of each segment whose hyper-latent context is complete.
    fn code_symbols(&mut self) -> Result<()> {
        let zf = self.frames / HYPER_HOP;
        let z_end = self.hyper.get(self.next[0]).map_or(zf, |seg| seg.start / HYPER_HOP);
        while let Some(seg) = self.hyper.get(self.next[1]) {
            let zw = z_window(zf, seg);
            if zw.end > z_end {
                break;
            }
            for ch in &mut self.channels {
                let (means, scales) = self.codec.latent_params(&gather(ch.z.iter().map(Vec::as_slice), zw.clone()), &zw, seg)?;
                let rows = ch.y.iter().zip(means.chunks(seg.len()).zip(scales.chunks(seg.len())));
                for ((y, (means, scales)), (symbols, all_scales)) in rows.zip(ch.symbols.iter_mut().zip(&mut ch.scales)) {
                    let y = &y[seg.start - ch.y_from..seg.end - ch.y_from];
                    symbols.extend(y.iter().zip(means).map(|(&v, &mu)| symbol(v, mu)));
                    all_scales.extend_from_slice(scales);
                }
            }
            self.next[1] += 1;
        }
        Ok(())
    }

    /// Drops the latent frames that neither h_a nor the symbols need any more.
    fn drop_used_frames(&mut self) {
        let for_h_a = self.hyper.get(self.next[0]).map_or(self.frames, |seg| y_window(self.frames, &(seg.start / HYPER_HOP..seg.end / HYPER_HOP)).start);
        let for_symbols = self.hyper.get(self.next[1]).map_or(self.frames, |seg| seg.start);
        let keep = for_h_a.min(for_symbols).min(self.received);
        for ch in &mut self.channels {
            ch.y.iter_mut().for_each(|row| drop(row.drain(..keep - ch.y_from)));
            ch.y_from = keep;
        }
    }

    /// The chunks, once every latent frame has been pushed.
    fn finish(self) -> Result<Vec<Chunk>> {
        if self.received != self.frames || self.next[1] != self.hyper.len() {
            return Err(Error::InvalidArgument("the audio source ended before its announced length".into()));
        }
        let n = self.codec.config.n as u32;
        let tables = &self.codec.tables;
        let z = self.channels.iter().flat_map(|ch| ch.z.iter().zip(0u32..).flat_map(|(row, c)| row.iter().map(move |&v| (v, c))));
        let y = self.channels.iter().flat_map(|ch| {
            ch.symbols.iter().zip(&ch.scales).flat_map(move |(s, k)| s.iter().zip(k).map(move |(&v, &k)| (v, n + u32::from(k))))
        });
        Ok(vec![
            crate::latent::gain::quality_chunk(self.stored),
            Chunk { fourcc: FourCc::ZLAT, required: true, payload: entropy::encode_pairs(z, tables)? },
            Chunk { fourcc: FourCc::YLAT, required: true, payload: entropy::encode_pairs(y, tables)? },
        ])
    }
}
