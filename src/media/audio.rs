//! Audio clips: WAV in and out through `hound`, resampling through `rubato`.

use std::io::Cursor;
use std::path::Path;

use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
use rubato::{Fft, FixedSync, Resampler};

use crate::container::{MAX_AUDIO_CHANNELS, MAX_AUDIO_SAMPLES, MAX_SAMPLE_RATE};
use crate::{Error, Result};

/// An audio clip: planar float samples (nominally −1..1) at one sample rate.
#[derive(Clone, Debug, PartialEq)]
pub struct Audio {
    sample_rate: u32,
    channels: Vec<Vec<f32>>,
}

impl Audio {
    /// A clip from one sample vector per channel (all the same length).
    pub fn new(sample_rate: u32, channels: Vec<Vec<f32>>) -> Result<Self> {
        if sample_rate == 0 || sample_rate > MAX_SAMPLE_RATE {
            return Err(Error::UnsupportedMedia(format!("sample rate {sample_rate} Hz (expected 1..={MAX_SAMPLE_RATE})")));
        }
        if channels.is_empty() || channels.len() > usize::from(MAX_AUDIO_CHANNELS) {
            return Err(Error::UnsupportedMedia(format!("{} channels (expected 1..={MAX_AUDIO_CHANNELS})", channels.len())));
        }
        let len = channels[0].len();
        if channels.iter().any(|c| c.len() != len) {
            return Err(Error::InvalidArgument("audio channels differ in length".into()));
        }
        if len as u64 > MAX_AUDIO_SAMPLES {
            return Err(Error::UnsupportedMedia(format!("{len} samples per channel is over the limit {MAX_AUDIO_SAMPLES}")));
        }
        Ok(Self { sample_rate, channels })
    }

    /// Sample rate in Hz.
    pub fn sample_rate(&self) -> u32 {
        self.sample_rate
    }

    /// Number of channels.
    pub fn channel_count(&self) -> usize {
        self.channels.len()
    }

    /// Samples per channel.
    pub fn len(&self) -> usize {
        self.channels[0].len()
    }

    /// Whether the clip has no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.len() as f64 / f64::from(self.sample_rate)
    }

    /// The samples of each channel.
    pub fn channels(&self) -> &[Vec<f32>] {
        &self.channels
    }

    /// Takes the samples of each channel.
    pub fn into_channels(self) -> Vec<Vec<f32>> {
        self.channels
    }

    /// Reads a WAV file (8/16/24/32-bit integer or 32-bit float PCM).
    pub fn read(path: &Path) -> Result<Self> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_wav_bytes(&bytes).map_err(|e| e.in_file(path))
    }

    /// Decodes a WAV file held in memory.
    pub fn from_wav_bytes(bytes: &[u8]) -> Result<Self> {
        let bad = |e: hound::Error| Error::UnsupportedMedia(format!("cannot read WAV: {e}"));
        let mut reader = hound::WavReader::new(Cursor::new(bytes)).map_err(bad)?;
        let spec = reader.spec();
        let count = usize::from(spec.channels);
        if count == 0 || count > usize::from(MAX_AUDIO_CHANNELS) {
            return Err(Error::UnsupportedMedia(format!("WAV with {count} channels (expected 1..={MAX_AUDIO_CHANNELS})")));
        }
        // The header's length is untrusted: never reserve more than the bytes can hold.
        let frames = (reader.len() as usize / count).min(bytes.len());
        let mut channels = vec![Vec::with_capacity(frames); count];
        let mut push = |i: usize, v: f32| channels[i % count].push(v);
        match (spec.sample_format, spec.bits_per_sample) {
            (hound::SampleFormat::Float, 32) => {
                for (i, s) in reader.samples::<f32>().enumerate() {
                    push(i, s.map_err(bad)?);
                }
            }
            (hound::SampleFormat::Int, bits @ 8..=32) => {
                let scale = 1.0 / (1u64 << (bits - 1)) as f64;
                for (i, s) in reader.samples::<i32>().enumerate() {
                    push(i, (f64::from(s.map_err(bad)?) * scale) as f32);
                }
            }
            (format, bits) => return Err(Error::UnsupportedMedia(format!("WAV with {bits}-bit {format:?} samples"))),
        }
        let len = channels[0].len();
        channels.iter_mut().for_each(|c| c.truncate(len)); // a partial last frame is dropped
        if len == 0 {
            return Err(Error::UnsupportedMedia("the WAV file has no samples".into()));
        }
        Self::new(spec.sample_rate, channels)
    }

    /// Encodes the clip as a 16-bit PCM WAV file (samples clipped to −1..1).
    pub fn to_wav_bytes(&self) -> Result<Vec<u8>> {
        let spec = hound::WavSpec {
            channels: self.channels.len() as u16,
            sample_rate: self.sample_rate,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let fail = |e: hound::Error| Error::InvalidArgument(format!("cannot write WAV: {e}"));
        let mut out = Cursor::new(Vec::with_capacity(44 + 2 * self.len() * self.channels.len()));
        let mut writer = hound::WavWriter::new(&mut out, spec).map_err(fail)?;
        for i in 0..self.len() {
            for c in &self.channels {
                writer.write_sample(to_i16(c[i])).map_err(fail)?;
            }
        }
        writer.finalize().map_err(fail)?;
        Ok(out.into_inner())
    }

    /// The clip at another sample rate (band-limited FFT resampling), `⌈len · rate / old rate⌉`
    /// samples long.
    pub fn resample(&self, rate: u32) -> Result<Self> {
        let len = (self.len() as u64 * u64::from(rate)).div_ceil(u64::from(self.sample_rate)) as usize;
        let fit = |c: &[f32]| -> Vec<f32> { c.iter().copied().chain(std::iter::repeat(0.0)).take(len).collect() };
        if rate == self.sample_rate || self.is_empty() {
            return Self::new(rate, self.channels.iter().map(|c| fit(c)).collect());
        }
        let fail = |e: &dyn std::fmt::Display| Error::InvalidArgument(format!("resampling {} Hz → {rate} Hz: {e}", self.sample_rate));
        let count = self.channels.len();
        let mut resampler = Fft::<f32>::new(self.sample_rate as usize, rate as usize, 1024, count, FixedSync::Input).map_err(|e| fail(&e))?;
        let input = SequentialSliceOfVecs::new(&self.channels, count, self.len()).map_err(|e| fail(&e))?;
        let data = resampler.process_all(&input, self.len(), None).map_err(|e| fail(&e))?.take_data();
        let frames = data.len() / count;
        let channels = (0..count).map(|c| fit(&(0..frames).map(|f| data[f * count + c]).collect::<Vec<_>>())).collect();
        Self::new(rate, channels)
    }
}

/// A float sample as 16-bit PCM (rounded, clipped).
fn to_i16(v: f32) -> i16 {
    (v * 32768.0).round().clamp(-32768.0, 32767.0) as i16
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(rate: u32, seconds: f32, freq: f32) -> Vec<f32> {
        (0..(rate as f32 * seconds) as usize).map(|i| 0.5 * (i as f32 * freq * std::f32::consts::TAU / rate as f32).sin()).collect()
    }

    #[test]
    fn every_wav_flavour_reads_back() {
        let samples = tone(8000, 0.1, 440.0);
        for (format, bits) in [
            (hound::SampleFormat::Int, 8),
            (hound::SampleFormat::Int, 16),
            (hound::SampleFormat::Int, 24),
            (hound::SampleFormat::Int, 32),
            (hound::SampleFormat::Float, 32),
        ] {
            let spec = hound::WavSpec { channels: 2, sample_rate: 8000, bits_per_sample: bits, sample_format: format };
            let mut out = Cursor::new(Vec::new());
            let mut w = hound::WavWriter::new(&mut out, spec).unwrap();
            for &s in &samples {
                for v in [s, -s] {
                    match format {
                        hound::SampleFormat::Float => w.write_sample(v).unwrap(),
                        hound::SampleFormat::Int => w.write_sample((v as f64 * ((1i64 << (bits - 1)) - 1) as f64).round() as i32).unwrap(),
                    }
                }
            }
            w.finalize().unwrap();
            let audio = Audio::from_wav_bytes(&out.into_inner()).unwrap();
            assert_eq!((audio.sample_rate(), audio.channel_count(), audio.len()), (8000, 2, samples.len()), "{bits}-bit {format:?}");
            let tolerance = 2.0 / (1u64 << (bits - 1)) as f32 + 1e-6;
            for (a, b) in audio.channels()[0].iter().zip(&samples) {
                assert!((a - b).abs() <= tolerance, "{bits}-bit {format:?}: {a} vs {b}");
            }
            assert_eq!(audio.channels()[1][10], -audio.channels()[0][10]);
        }
    }

    #[test]
    fn sixteen_bit_round_trip_is_exact() {
        let audio = Audio::new(24_000, vec![tone(24_000, 0.05, 1000.0)]).unwrap();
        let back = Audio::from_wav_bytes(&audio.to_wav_bytes().unwrap()).unwrap();
        for (a, b) in audio.channels()[0].iter().zip(&back.channels()[0]) {
            assert!((a - b).abs() <= 0.5 / 32768.0 + 1e-7);
        }
    }

    #[test]
    fn resampling_keeps_duration_and_tone() {
        let audio = Audio::new(44_100, vec![tone(44_100, 0.5, 1000.0)]).unwrap();
        let down = audio.resample(24_000).unwrap();
        assert_eq!(down.len(), 12_000);
        let expected = tone(24_000, 0.5, 1000.0);
        // Away from the edges the resampled tone matches the tone generated at 24 kHz.
        let err = down.channels()[0][1000..11_000].iter().zip(&expected[1000..11_000]).map(|(a, b)| (a - b).abs()).fold(0f32, f32::max);
        assert!(err < 0.01, "max error {err}");
        let back = down.resample(44_100).unwrap();
        assert_eq!(back.len(), 22_050);
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Audio::from_wav_bytes(b"RIFF\x10\0\0\0WAVEjunk").is_err());
        assert!(Audio::from_wav_bytes(&[]).is_err());
    }
}
