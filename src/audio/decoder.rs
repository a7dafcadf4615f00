//! Decoding block by block: the scale numbers of all latent symbols come first (the payload
//! orders the symbols channel by channel), then each g_s segment is synthesized for every coded
//! channel, its means recomputed from the hyper-latent, and the samples are converted back from
//! mid/side and resampled block by block.

use burn::tensor::backend::Backend;

use super::codec::{
    coded_len, dequantize, frames, from_mid_side, gather, segments, z_window, AudioCodec, HALO_FRAMES, HYPER_SEGMENT_FRAMES, MODEL_RATE,
    SEGMENT_FRAMES,
};
use super::model::{HOP, HYPER_HOP};
use crate::container::{find_chunk, AudioParams, Chunk, FourCc, Header, MediaParams, MAX_SAMPLE_RATE};
use crate::entropy;
use crate::media::Resampler;
use crate::{Error, Result};

impl<B: Backend> AudioCodec<B> {
    /// Decodes a clip block by block: `out` receives planar blocks (one vector per channel) at
    /// the clip's sample rate, or at `rate` (the clip resampled as by [`crate::Audio::resample`]).
    pub fn decode_blocks(&self, header: &Header, chunks: &[Chunk], rate: Option<u32>, out: &mut dyn FnMut(&[Vec<f32>]) -> Result<()>) -> Result<()> {
        let MediaParams::Audio(params) = header.params else {
            return Err(Error::Malformed("not an audio file".into()));
        };
        let stored = crate::latent::gain::stored_quality(chunks)?;
        let (_, inv_gain) = self.model.gain_vectors().at_stored(stored)?;
        let len = coded_len(&params)? as usize;
        let frames = frames(len as u64);
        let (count, m, n, zf) = (usize::from(params.channels), self.config.m, self.config.n, frames / HYPER_HOP);
        if count == 0 {
            return Err(Error::Malformed("audio with no channels".into()));
        }
        let z_indexes = (0..count).flat_map(|_| (0..n as u32).flat_map(|c| std::iter::repeat_n(c, zf)));
        let z_all = entropy::decode_indexes(find_chunk(chunks, FourCc::ZLAT)?, z_indexes, &self.tables)?;
        // The scale number of every latent symbol, in payload order.
        let mut scales = vec![0u8; count * m * frames];
        for (z, scales) in z_all.chunks(n * zf).zip(scales.chunks_mut(m * frames)) {
            for (seg, _) in segments(frames, HYPER_SEGMENT_FRAMES, 0) {
                let zw = z_window(zf, &seg);
                let (_, seg_scales) = self.latent_params(&gather(z.chunks(zf), zw.clone()), &zw, &seg)?;
                for (row, s) in scales.chunks_mut(frames).zip(seg_scales.chunks(seg.len())) {
                    row[seg.clone()].copy_from_slice(s);
                }
            }
        }
        let symbols = entropy::decode_indexes(find_chunk(chunks, FourCc::YLAT)?, scales.iter().map(|&k| n as u32 + u32::from(k)), &self.tables)?;
        drop(scales);
        let mut output = Output::new(&params, rate, out)?;
        for (seg, window) in segments(frames, SEGMENT_FRAMES, HALO_FRAMES) {
            let mut block = Vec::with_capacity(count);
            for (z, symbols) in z_all.chunks(n * zf).zip(symbols.chunks(m * frames)) {
                let zw = z_window(zf, &window);
                let (means, _) = self.latent_params(&gather(z.chunks(zf), zw.clone()), &zw, &window)?;
                let y = gather(symbols.chunks(frames), window.clone())
                    .into_iter()
                    .zip(means)
                    .enumerate()
                    .map(|(i, (s, mu))| dequantize(s, mu, inv_gain[i / window.len()]))
                    .collect();
                let mut samples = self.synthesize(y, &window, &seg)?;
                samples.truncate(len.saturating_sub(seg.start * HOP));
                block.push(samples);
            }
            from_mid_side(&mut block);
            output.push(&block)?;
        }
        output.finish()
    }
}

/// Decoded coded channels (24 kHz) to the clip's rate and length, then to the asked rate.
struct Output<'a> {
    to_clip: Resampler,
    /// Frames of the clip still to come.
    left: usize,
    to_rate: Option<Resampler>,
    out: &'a mut dyn FnMut(&[Vec<f32>]) -> Result<()>,
    clip: Vec<Vec<f32>>,
    resampled: Vec<Vec<f32>>,
}

impl<'a> Output<'a> {
    fn new(params: &AudioParams, rate: Option<u32>, out: &'a mut dyn FnMut(&[Vec<f32>]) -> Result<()>) -> Result<Self> {
        let count = usize::from(params.channels);
        let to_rate = match rate {
            Some(rate) if rate == 0 || rate > MAX_SAMPLE_RATE => {
                return Err(Error::InvalidArgument(format!("output sample rate {rate} Hz (expected 1..={MAX_SAMPLE_RATE})")));
            }
            Some(rate) => Some(Resampler::new(params.sample_rate, rate, count)?),
            None => None,
        };
        Ok(Self {
            to_clip: Resampler::new(MODEL_RATE, params.sample_rate, count)?,
            left: params.samples as usize,
            to_rate,
            out,
            clip: vec![Vec::new(); count],
            resampled: vec![Vec::new(); count],
        })
    }

    fn push(&mut self, block: &[Vec<f32>]) -> Result<()> {
        self.to_clip.push(block, &mut self.clip)?;
        self.emit(false)
    }

    fn finish(mut self) -> Result<()> {
        self.to_clip.finish(&mut self.clip)?;
        self.emit(true)
    }

    /// Passes on the clip's frames resampled so far (the clip ends after its length).
    fn emit(&mut self, last: bool) -> Result<()> {
        let n = self.clip[0].len().min(self.left);
        self.clip.iter_mut().for_each(|c| c.truncate(n));
        self.left -= n;
        match &mut self.to_rate {
            Some(resampler) => {
                resampler.push(&self.clip, &mut self.resampled)?;
                if last {
                    resampler.finish(&mut self.resampled)?;
                }
                (self.out)(&self.resampled)?;
                self.resampled.iter_mut().for_each(Vec::clear);
            }
            None => (self.out)(&self.clip)?,
        }
        self.clip.iter_mut().for_each(Vec::clear);
        Ok(())
    }
}
