//! Band-limited FFT resampling (`rubato`) fed block by block.

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Indexing, Resampler as _};

use crate::{Error, Result};

/// Input frames per FFT chunk.
const CHUNK: usize = 1024;

/// Resamples a clip given in blocks of any size. Whatever the blocks, the output is the same:
/// rubato's `process_all` over the whole clip (its startup delay dropped), `⌈len · to / from⌉`
/// frames long (zero-padded if rubato gives fewer). Equal rates copy the samples.
pub struct Resampler {
    fft: Option<Fft<f32>>,
    from: u32,
    to: u32,
    /// Input not processed yet, from frame `offset` on.
    pending: Vec<Vec<f32>>,
    offset: usize,
    /// One call's output.
    scratch: Vec<Vec<f32>>,
    /// Frames read, frames rubato gave (delay included), frames written.
    read: u64,
    raw: u64,
    written: u64,
}

impl Resampler {
    /// A resampler of `channels` channels from `from` Hz to `to` Hz.
    pub fn new(from: u32, to: u32, channels: usize) -> Result<Self> {
        if from == 0 || to == 0 || channels == 0 {
            return Err(fail(from, to, &format!("{channels} channels")));
        }
        let fft = if from == to {
            None
        } else {
            Some(Fft::<f32>::new(from as usize, to as usize, CHUNK, channels, FixedSync::Input).map_err(|e| fail(from, to, &e))?)
        };
        let out_max = fft.as_ref().map_or(0, |f| f.output_frames_max());
        Ok(Self { fft, from, to, pending: vec![Vec::new(); channels], offset: 0, scratch: vec![vec![0.0; out_max]; channels], read: 0, raw: 0, written: 0 })
    }

    /// Resamples the next frames (one slice per channel, all the same length), appending the
    /// output ready so far to `out`.
    pub fn push(&mut self, input: &[impl AsRef<[f32]>], out: &mut [Vec<f32>]) -> Result<()> {
        self.read += input.first().map_or(0, |c| c.as_ref().len()) as u64;
        if self.fft.is_none() {
            for (o, i) in out.iter_mut().zip(input) {
                o.extend_from_slice(i.as_ref());
            }
            self.written = self.read;
            return Ok(());
        }
        for (p, i) in self.pending.iter_mut().zip(input) {
            p.extend_from_slice(i.as_ref());
        }
        // As rubato's `process_all`: whole chunks while more than one chunk is left.
        while self.pending[0].len() - self.offset > CHUNK {
            self.process(None, u64::MAX, out)?;
            self.offset += CHUNK;
        }
        let offset = std::mem::take(&mut self.offset);
        self.pending.iter_mut().for_each(|p| drop(p.drain(..offset)));
        Ok(())
    }

    /// Ends the clip: appends the rest of the output to `out`.
    pub fn finish(&mut self, out: &mut [Vec<f32>]) -> Result<()> {
        let len = (self.read * u64::from(self.to)).div_ceil(u64::from(self.from));
        if let Some(fft) = self.fft.as_ref().filter(|_| self.read > 0) {
            let expected = (fft.resample_ratio() * self.read as f64).ceil() as u64;
            let total = expected + fft.output_delay() as u64;
            let limit = expected.min(len);
            let rest = self.pending[0].len();
            if rest > 0 {
                self.process(Some(rest), limit, out)?;
            }
            while self.raw < total {
                self.process(Some(0), limit, out)?;
            }
        }
        let pad = (len - self.written) as usize;
        out.iter_mut().for_each(|o| o.resize(o.len() + pad, 0.0));
        self.written = len;
        Ok(())
    }

    /// Runs rubato once on the pending input (`partial`: its last, short chunk) and appends its
    /// output past the startup delay, up to `limit` frames written in all.
    fn process(&mut self, partial: Option<usize>, limit: u64, out: &mut [Vec<f32>]) -> Result<()> {
        let (from, to) = (self.from, self.to);
        let Some(fft) = self.fft.as_mut() else { return Ok(()) };
        let channels = self.pending.len();
        let available = self.pending[0].len();
        let input = SequentialSliceOfVecs::new(&self.pending, channels, available).map_err(|e| fail(from, to, &e))?;
        let out_max = self.scratch[0].len();
        let mut output = SequentialSliceOfVecs::new_mut(&mut self.scratch, channels, out_max).map_err(|e| fail(from, to, &e))?;
        let indexing = Indexing { input_offset: self.offset, partial_len: partial, ..Default::default() };
        let (_, n) = fft.process_into_buffer(&input, &mut output, Some(&indexing)).map_err(|e| fail(from, to, &e))?;
        let delay = fft.output_delay() as u64;
        let skip = delay.saturating_sub(self.raw).min(n as u64) as usize;
        self.raw += n as u64;
        let take = (n - skip).min(limit.saturating_sub(self.written) as usize);
        for (o, s) in out.iter_mut().zip(&self.scratch) {
            o.extend_from_slice(&s[skip..skip + take]);
        }
        self.written += take as u64;
        Ok(())
    }
}

fn fail(from: u32, to: u32, e: &dyn std::fmt::Display) -> Error {
    Error::InvalidArgument(format!("resampling {from} Hz → {to} Hz: {e}"))
}
