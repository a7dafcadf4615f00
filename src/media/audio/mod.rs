//! Audio clips: WAV in and out through `hound`, resampling through `rubato`, both also block
//! by block for long clips.

mod resample;
mod wav;

pub use resample::Resampler;
pub use wav::{WavReader, WavWriter};

use std::io::Cursor;
use std::path::Path;

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
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        WavReader::new(std::io::BufReader::new(file)).and_then(|mut wav| Self::from_source(&mut wav)).map_err(|e| e.in_file(path))
    }

    /// Decodes a WAV file held in memory.
    pub fn from_wav_bytes(bytes: &[u8]) -> Result<Self> {
        Self::from_source(&mut WavReader::new(Cursor::new(bytes))?)
    }

    /// Reads a whole source.
    pub fn from_source(source: &mut dyn AudioSource) -> Result<Self> {
        // The announced length is untrusted: let the vectors grow as samples arrive.
        let mut channels = vec![Vec::new(); source.channel_count()];
        while source.read(BLOCK, &mut channels)? > 0 {}
        Self::new(source.sample_rate(), channels)
    }

    /// Reads the clip block by block.
    pub fn source(&self) -> impl AudioSource + '_ {
        ClipSource { audio: self, pos: 0 }
    }

    /// Encodes the clip as a 16-bit PCM WAV file (samples clipped to −1..1).
    pub fn to_wav_bytes(&self) -> Result<Vec<u8>> {
        let mut out = Cursor::new(Vec::with_capacity(44 + 2 * self.len() * self.channels.len()));
        let mut writer = WavWriter::new(&mut out, self.sample_rate, self.channels.len())?;
        writer.write(&self.channels)?;
        writer.finish()?;
        Ok(out.into_inner())
    }

    /// The clip at another sample rate (band-limited FFT resampling, [`Resampler`]),
    /// `⌈len · rate / old rate⌉` samples long.
    pub fn resample(&self, rate: u32) -> Result<Self> {
        let mut resampler = Resampler::new(self.sample_rate, rate, self.channels.len())?;
        let mut out = vec![Vec::new(); self.channels.len()];
        for start in (0..self.len()).step_by(BLOCK) {
            let end = (start + BLOCK).min(self.len());
            let block: Vec<&[f32]> = self.channels.iter().map(|c| &c[start..end]).collect();
            resampler.push(&block, &mut out)?;
        }
        resampler.finish(&mut out)?;
        Self::new(rate, out)
    }
}

/// Frames per block when a whole clip is read, written or resampled.
const BLOCK: usize = 1 << 16;

/// Planar audio read block by block: a WAV stream ([`WavReader`]) or a clip in memory
/// ([`Audio::source`]).
pub trait AudioSource {
    /// Sample rate in Hz.
    fn sample_rate(&self) -> u32;
    /// Number of channels.
    fn channel_count(&self) -> usize;
    /// Frames (samples per channel) in all.
    fn frames(&self) -> usize;
    /// Appends up to `max` frames to `out` (one vector per channel) and returns how many: 0 at
    /// the end.
    fn read(&mut self, max: usize, out: &mut [Vec<f32>]) -> Result<usize>;
}

struct ClipSource<'a> {
    audio: &'a Audio,
    pos: usize,
}

impl AudioSource for ClipSource<'_> {
    fn sample_rate(&self) -> u32 {
        self.audio.sample_rate
    }

    fn channel_count(&self) -> usize {
        self.audio.channels.len()
    }

    fn frames(&self) -> usize {
        self.audio.len()
    }

    fn read(&mut self, max: usize, out: &mut [Vec<f32>]) -> Result<usize> {
        let end = (self.pos + max).min(self.audio.len());
        for (o, c) in out.iter_mut().zip(&self.audio.channels) {
            o.extend_from_slice(&c[self.pos..end]);
        }
        let n = end - self.pos;
        self.pos = end;
        Ok(n)
    }
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

    /// The whole-clip resampling that [`Resampler`] reproduces: rubato's `process_all`, then the
    /// length fitted to `⌈len · to / from⌉`.
    fn process_all(audio: &Audio, to: u32) -> Vec<Vec<f32>> {
        use rubato::audioadapter_buffers::direct::SequentialSliceOfVecs;
        use rubato::{Fft, FixedSync, Resampler as _};
        let count = audio.channel_count();
        let len = (audio.len() as u64 * u64::from(to)).div_ceil(u64::from(audio.sample_rate())) as usize;
        let mut fft = Fft::<f32>::new(audio.sample_rate() as usize, to as usize, 1024, count, FixedSync::Input).unwrap();
        let input = SequentialSliceOfVecs::new(audio.channels(), count, audio.len()).unwrap();
        let data = fft.process_all(&input, audio.len(), None).unwrap().take_data();
        let frames = data.len() / count;
        (0..count).map(|c| (0..len).map(|f| if f < frames { data[f * count + c] } else { 0.0 }).collect()).collect()
    }

    #[test]
    fn block_resampling_equals_whole_clip_processing() {
        for (from, to, count, len) in
            [(44_100, 24_000, 2, 100_000), (24_000, 44_100, 1, 50_001), (48_000, 24_000, 1, 40 * 1024), (8_000, 24_000, 3, 1025), (44_100, 24_000, 1, 100), (22_050, 24_000, 1, 1024)]
        {
            let channels = (0..count).map(|c| (0..len).map(|i| ((i * (7 + c)) as f32 * 0.01).sin() * 0.5 + ((i * 7919) % 97) as f32 / 1000.0).collect()).collect();
            let audio = Audio::new(from, channels).unwrap();
            let reference = process_all(&audio, to);
            assert_eq!(audio.resample(to).unwrap().channels(), reference.as_slice(), "{from} → {to} Hz, {len} frames");
            let mut resampler = Resampler::new(from, to, count).unwrap();
            let mut out = vec![Vec::new(); count];
            for start in (0..len).step_by(777) {
                let block: Vec<&[f32]> = audio.channels().iter().map(|c| &c[start..(start + 777).min(len)]).collect();
                resampler.push(&block, &mut out).unwrap();
            }
            resampler.finish(&mut out).unwrap();
            assert_eq!(out, reference, "{from} → {to} Hz, {len} frames in blocks of 777");
        }
    }

    #[test]
    fn wav_reads_the_same_in_blocks() {
        let audio = Audio::new(16_000, vec![tone(16_000, 0.3, 440.0), tone(16_000, 0.3, 300.0)]).unwrap();
        let bytes = audio.to_wav_bytes().unwrap();
        let mut reader = WavReader::new(Cursor::new(&bytes)).unwrap();
        assert_eq!((reader.sample_rate(), reader.channel_count(), reader.frames()), (16_000, 2, audio.len()));
        let mut out = vec![Vec::new(); 2];
        while reader.read(1000, &mut out).unwrap() > 0 {}
        assert_eq!(out, Audio::from_wav_bytes(&bytes).unwrap().into_channels());
        // A file cut short is an error, not a shorter clip.
        let mut cut = WavReader::new(Cursor::new(&bytes[..bytes.len() - 100])).unwrap();
        let mut out = vec![Vec::new(); 2];
        assert!((0..10).try_for_each(|_| cut.read(1000, &mut out).map(drop)).is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        assert!(Audio::from_wav_bytes(b"RIFF\x10\0\0\0WAVEjunk").is_err());
        assert!(Audio::from_wav_bytes(&[]).is_err());
    }
}
