//! Encoding block by block: the clip is read, resampled and mid/side-converted in blocks, and
//! each coded channel goes through g_a, h_a and the latent symbols segment by segment as soon as
//! the frames each step needs have arrived. Only the symbols and scale numbers (4 + 1 bytes per
//! latent value) of the whole clip are kept, for the channel-major payload.

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

impl<B: Backend> AudioCodec<B> {
    /// Codes a clip read block by block from `source`, at `quality` (default
    /// [`DEFAULT_QUALITY`]): the header's parameters and the chunks.
    pub fn encode_source(&self, source: &mut dyn AudioSource, quality: Option<f32>) -> Result<(MediaParams, Vec<Chunk>)> {
        let stored = quantize_quality(quality.unwrap_or(DEFAULT_QUALITY))?;
        let count = source.channel_count();
        if count == 0 {
            return Err(Error::UnsupportedMedia("audio with no channels".into()));
        }
        let params = AudioParams { sample_rate: source.sample_rate(), channels: count as u16, samples: source.frames() as u64 };
        let len = coded_len(&params)? as usize;
        let (gain, _) = self.model.gain_vectors().at_stored(stored)?;
        let mut encoder = Encoder::new(self, gain, len, count)?;
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
            encoder.push(&coded)?;
            block.iter_mut().chain(&mut coded).for_each(Vec::clear);
            if n == 0 {
                break;
            }
        }
        Ok((MediaParams::Audio(params), encoder.finish(stored)?))
    }
}

/// The state of one coded channel.
struct Channel {
    /// Coded samples from sample `samples_from` on.
    samples: Vec<f32>,
    samples_from: usize,
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

struct Encoder<'a, B: Backend> {
    codec: &'a AudioCodec<B>,
    gain: Vec<f32>,
    /// Coded samples per channel, and those received so far.
    len: usize,
    received: usize,
    frames: usize,
    /// g_a segments `(frames, window)`, and the segments of h_a and of the latent symbols.
    transform: Vec<(Range<usize>, Range<usize>)>,
    hyper: Vec<Range<usize>>,
    /// The next segment of g_a, of h_a and of the latent symbols.
    next: [usize; 3],
    channels: Vec<Channel>,
}

impl<'a, B: Backend> Encoder<'a, B> {
    fn new(codec: &'a AudioCodec<B>, gain: Vec<f32>, len: usize, count: usize) -> Result<Self> {
        let frames = frames(len as u64);
        let (m, n) = (codec.config.m, codec.config.n);
        // The symbol rows get their final size at once: growing them piecemeal fragments the
        // heap to about twice their size.
        let channel = || -> Result<Channel> {
            Ok(Channel {
                samples: Vec::new(),
                samples_from: 0,
                y: vec![Vec::new(); m],
                y_from: 0,
                z: reserved_rows(n, frames / HYPER_HOP)?,
                symbols: reserved_rows(m, frames)?,
                scales: reserved_rows(m, frames)?,
            })
        };
        Ok(Self {
            codec,
            gain,
            len,
            received: 0,
            frames,
            transform: segments(frames, SEGMENT_FRAMES, HALO_FRAMES),
            hyper: segments(frames, HYPER_SEGMENT_FRAMES, 0).into_iter().map(|(seg, _)| seg).collect(),
            next: [0; 3],
            channels: (0..count).map(|_| channel()).collect::<Result<_>>()?,
        })
    }

    /// Takes the next coded samples (one vector per channel) and runs every step they allow.
    fn push(&mut self, coded: &[Vec<f32>]) -> Result<()> {
        self.received += coded[0].len();
        if self.received > self.len {
            return Err(Error::InvalidArgument("the audio source gave more samples than it announced".into()));
        }
        self.channels.iter_mut().zip(coded).for_each(|(ch, c)| ch.samples.extend_from_slice(c));
        self.analyze()?;
        self.hyper_analyze()?;
        self.code_symbols()?;
        self.drop_used_frames();
        Ok(())
    }

    /// g_a on each segment whose window's samples have all arrived (zeros past the end).
    fn analyze(&mut self) -> Result<()> {
        let done = self.received == self.len;
        while let Some((seg, window)) = self.transform.get(self.next[0]) {
            if !done && window.end * HOP > self.received {
                break;
            }
            for ch in &mut self.channels {
                let samples = (window.start * HOP..window.end * HOP).map(|i| if i < self.received { ch.samples[i - ch.samples_from] } else { 0.0 }).collect();
                let y = self.codec.analyze(samples, window, seg)?;
                for ((row, y), &gain) in ch.y.iter_mut().zip(y.chunks(seg.len())).zip(&self.gain) {
                    row.extend(y.iter().map(|v| v * gain));
                }
            }
            self.next[0] += 1;
            let keep = self.transform.get(self.next[0]).map_or(self.received, |(_, w)| (w.start * HOP).min(self.received));
            for ch in &mut self.channels {
                ch.samples.drain(..keep - ch.samples_from);
                ch.samples_from = keep;
            }
        }
        Ok(())
    }

    /// Latent frames computed so far.
    fn latent_end(&self) -> usize {
        self.transform.get(self.next[0]).map_or(self.frames, |(seg, _)| seg.start)
    }

    /// h_a on each segment whose latent window is complete: its hyper-latent symbols.
    fn hyper_analyze(&mut self) -> Result<()> {
        let y_end = self.latent_end();
        while let Some(seg) = self.hyper.get(self.next[1]) {
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
            self.next[1] += 1;
        }
        Ok(())
    }

    /// The latent symbols of each segment whose hyper-latent context is complete.
    fn code_symbols(&mut self) -> Result<()> {
        let zf = self.frames / HYPER_HOP;
        let z_end = self.hyper.get(self.next[1]).map_or(zf, |seg| seg.start / HYPER_HOP);
        while let Some(seg) = self.hyper.get(self.next[2]) {
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
            self.next[2] += 1;
        }
        Ok(())
    }

    /// Drops the latent frames that neither h_a nor the symbols need any more.
    fn drop_used_frames(&mut self) {
        let for_h_a = self.hyper.get(self.next[1]).map_or(self.frames, |seg| y_window(self.frames, &(seg.start / HYPER_HOP..seg.end / HYPER_HOP)).start);
        let for_symbols = self.hyper.get(self.next[2]).map_or(self.frames, |seg| seg.start);
        let keep = for_h_a.min(for_symbols).min(self.latent_end());
        for ch in &mut self.channels {
            ch.y.iter_mut().for_each(|row| drop(row.drain(..keep - ch.y_from)));
            ch.y_from = keep;
        }
    }

    /// The chunks, once every sample has been pushed.
    fn finish(self, stored: u16) -> Result<Vec<Chunk>> {
        if self.received != self.len || self.next[2] != self.hyper.len() {
            return Err(Error::InvalidArgument("the audio source ended before its announced length".into()));
        }
        let n = self.codec.config.n as u32;
        let tables = &self.codec.tables;
        let z = self.channels.iter().flat_map(|ch| ch.z.iter().zip(0u32..).flat_map(|(row, c)| row.iter().map(move |&v| (v, c))));
        let y = self.channels.iter().flat_map(|ch| {
            ch.symbols.iter().zip(&ch.scales).flat_map(move |(s, k)| s.iter().zip(k).map(move |(&v, &k)| (v, n + u32::from(k))))
        });
        Ok(vec![
            crate::latent::gain::quality_chunk(stored),
            Chunk { fourcc: FourCc::ZLAT, required: true, payload: entropy::encode_pairs(z, tables)? },
            Chunk { fourcc: FourCc::YLAT, required: true, payload: entropy::encode_pairs(y, tables)? },
        ])
    }
}
