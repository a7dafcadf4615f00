//! WAV files read and written block by block (`hound`), so that long clips need little memory.

use std::io::{Read, Seek, Write};

use super::AudioSource;
use crate::container::{MAX_AUDIO_CHANNELS, MAX_AUDIO_SAMPLES, MAX_SAMPLE_RATE};
use crate::{Error, Result};

/// A WAV stream (8/16/24/32-bit integer or 32-bit float PCM) read as planar float blocks.
pub struct WavReader<R: Read> {
    reader: hound::WavReader<R>,
    /// Scale of integer samples; `None` for float samples.
    scale: Option<f64>,
    frames: usize,
    read: usize,
}

fn bad(e: hound::Error) -> Error {
    Error::UnsupportedMedia(format!("cannot read WAV: {e}"))
}

impl<R: Read> WavReader<R> {
    /// Reads the header; the samples are read through [`AudioSource`].
    pub fn new(input: R) -> Result<Self> {
        let reader = hound::WavReader::new(input).map_err(bad)?;
        let spec = reader.spec();
        let count = u32::from(spec.channels);
        if count == 0 || count > u32::from(MAX_AUDIO_CHANNELS) {
            return Err(Error::UnsupportedMedia(format!("WAV with {count} channels (expected 1..={MAX_AUDIO_CHANNELS})")));
        }
        if spec.sample_rate == 0 || spec.sample_rate > MAX_SAMPLE_RATE {
            return Err(Error::UnsupportedMedia(format!("sample rate {} Hz (expected 1..={MAX_SAMPLE_RATE})", spec.sample_rate)));
        }
        let scale = match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, 32) => None,
            (hound::SampleFormat::Int, bits @ 8..=32) => Some(1.0 / (1u64 << (bits - 1)) as f64),
            (format, bits) => return Err(Error::UnsupportedMedia(format!("WAV with {bits}-bit {format:?} samples"))),
        };
        // A partial last frame is dropped.
        let frames = (reader.len() / count) as usize;
        if frames == 0 {
            return Err(Error::UnsupportedMedia("the WAV file has no samples".into()));
        }
        if frames as u64 > MAX_AUDIO_SAMPLES {
            return Err(Error::UnsupportedMedia(format!("{frames} samples per channel is over the limit {MAX_AUDIO_SAMPLES}")));
        }
        Ok(Self { reader, scale, frames, read: 0 })
    }
}

impl<R: Read> AudioSource for WavReader<R> {
    fn sample_rate(&self) -> u32 {
        self.reader.spec().sample_rate
    }

    fn channel_count(&self) -> usize {
        usize::from(self.reader.spec().channels)
    }

    /// The frames the header announces; a stream that ends before is an error.
    fn frames(&self) -> usize {
        self.frames
    }

    fn read(&mut self, max: usize, out: &mut [Vec<f32>]) -> Result<usize> {
        let count = self.channel_count();
        let n = max.min(self.frames - self.read);
        match self.scale {
            None => {
                let mut samples = self.reader.samples::<f32>();
                for i in 0..n * count {
                    out[i % count].push(samples.next().ok_or_else(ended)?.map_err(bad)?);
                }
            }
            Some(scale) => {
                let mut samples = self.reader.samples::<i32>();
                for i in 0..n * count {
                    out[i % count].push((f64::from(samples.next().ok_or_else(ended)?.map_err(bad)?) * scale) as f32);
                }
            }
        }
        self.read += n;
        Ok(n)
    }
}

fn ended() -> Error {
    Error::UnsupportedMedia("cannot read WAV: the file ends before its announced length".into())
}

/// A 16-bit PCM WAV stream written from planar float blocks (samples rounded and clipped to −1..1).
pub struct WavWriter<W: Write + Seek> {
    writer: hound::WavWriter<W>,
}

/// I/O errors are [`Error::Io`] on `<output>` (the caller knows the file's name).
fn fail(e: hound::Error) -> Error {
    match e {
        hound::Error::IoError(e) => Error::io("<output>", e),
        e => Error::InvalidArgument(format!("cannot write WAV: {e}")),
    }
}

impl<W: Write + Seek> WavWriter<W> {
    /// Writes the header (its lengths are set by [`finish`](Self::finish)).
    pub fn new(out: W, sample_rate: u32, channels: usize) -> Result<Self> {
        let spec = hound::WavSpec { channels: channels as u16, sample_rate, bits_per_sample: 16, sample_format: hound::SampleFormat::Int };
        Ok(Self { writer: hound::WavWriter::new(out, spec).map_err(fail)? })
    }

    /// Appends frames (one slice per channel, all the same length).
    pub fn write(&mut self, channels: &[impl AsRef<[f32]>]) -> Result<()> {
        let len = channels.first().map_or(0, |c| c.as_ref().len());
        for i in 0..len {
            for c in channels {
                self.writer.write_sample(to_i16(c.as_ref()[i])).map_err(fail)?;
            }
        }
        Ok(())
    }

    /// Completes the header and flushes the stream.
    pub fn finish(self) -> Result<()> {
        self.writer.finalize().map_err(fail)
    }
}

/// A float sample as 16-bit PCM (rounded, clipped).
fn to_i16(v: f32) -> i16 {
    (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}
