//! Audio evaluation: SI-SDR, log-mel distance and multi-resolution STFT distance (definitions in
//! [`crate::audio::loss`]), per clip, at the model rate (24 kHz), averaged over channels.

use std::path::{Path, PathBuf};

use burn::tensor::{Tensor, TensorData};
use serde::Serialize;

use crate::audio::loss::{mel_distance, stft_distance};
use crate::audio::MODEL_RATE;
use crate::codec::Cpu;
use crate::media::{Audio, Media};
use crate::nn::to_vec;
use crate::{Error, Result};

/// Distortion of a decoded clip against its reference.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct AudioMetrics {
    /// Log-mel distance (lower is better).
    pub mel: f64,
    /// Multi-resolution STFT distance (lower is better).
    pub stft: f64,
    /// Scale-invariant signal-to-distortion ratio in dB (higher is better).
    pub si_sdr: f64,
}

/// Rate and distortion of one coded clip.
#[derive(Clone, Debug, Serialize)]
pub struct AudioResult {
    /// Source file name.
    pub name: String,
    /// Duration in seconds.
    pub duration_s: f64,
    /// kbps of the whole .nmc file.
    pub kbps: f64,
    /// Distortion.
    pub metrics: AudioMetrics,
    /// Encode and decode wall times in seconds.
    pub encode_s: f64,
    pub decode_s: f64,
}

/// WAV files of a folder, sorted by name.
pub fn audio_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("wav")))
        .collect();
    paths.sort();
    Ok(paths)
}

/// SI-SDR in dB of `test` against `reference` (both made zero-mean first).
pub fn si_sdr(reference: &[f32], test: &[f32]) -> f64 {
    let mean = |v: &[f32]| v.iter().map(|&x| f64::from(x)).sum::<f64>() / v.len().max(1) as f64;
    let (mr, mt) = (mean(reference), mean(test));
    let (mut dot, mut energy) = (0.0, 0.0);
    for (&r, &t) in reference.iter().zip(test) {
        let (r, t) = (f64::from(r) - mr, f64::from(t) - mt);
        dot += r * t;
        energy += r * r;
    }
    let alpha = dot / energy.max(1e-20);
    let (mut target, mut noise) = (0.0, 0.0);
    for (&r, &t) in reference.iter().zip(test) {
        let s = alpha * (f64::from(r) - mr);
        target += s * s;
        noise += (f64::from(t) - mt - s).powi(2);
    }
    10.0 * (target.max(1e-20) / noise.max(1e-20)).log10()
}

/// Metrics of `test` against `reference` (same channel count), at 24 kHz, averaged over channels.
pub fn audio_metrics(reference: &Audio, test: &Audio) -> Result<AudioMetrics> {
    if reference.channel_count() != test.channel_count() {
        return Err(Error::InvalidArgument("clips differ in channel count".into()));
    }
    let (r, t) = (reference.resample(MODEL_RATE)?, test.resample(MODEL_RATE)?);
    let mut sum = AudioMetrics::default();
    let device = Default::default();
    for (a, b) in r.channels().iter().zip(t.channels()) {
        // Both at the reference's length (at least one 2048-sample window).
        let len = a.len().max(2048);
        let pad = |v: &[f32]| -> Vec<f32> { v.iter().copied().chain(std::iter::repeat(0.0)).take(len).collect() };
        let (a, b) = (pad(a), pad(b));
        let ta = Tensor::<Cpu, 2>::from_data(TensorData::new(a.clone(), [1, len]), &device);
        let tb = Tensor::<Cpu, 2>::from_data(TensorData::new(b.clone(), [1, len]), &device);
        sum.mel += f64::from(to_vec(mel_distance(ta.clone(), tb.clone(), MODEL_RATE))?[0]);
        sum.stft += f64::from(to_vec(stft_distance(ta, tb))?[0]);
        sum.si_sdr += si_sdr(&a, &b);
    }
    let n = r.channel_count() as f64;
    Ok(AudioMetrics { mel: sum.mel / n, stft: sum.stft / n, si_sdr: sum.si_sdr / n })
}

/// Encodes and decodes one clip with `options` (or at the largest quality within `bitrate`
/// kbps), measuring rate, distortion and time.
pub fn eval_audio(path: &Path, options: &crate::EncodeOptions, bitrate: Option<f64>) -> Result<AudioResult> {
    let audio = Audio::read(path)?;
    let media = Media::Audio(audio.clone());
    let t0 = std::time::Instant::now();
    let bytes = match bitrate {
        Some(kbps) => crate::encode_at_bitrate(&media, options, kbps),
        None => crate::encode(&media, options),
    }
    .map_err(|e| e.in_file(path))?;
    let t1 = std::time::Instant::now();
    let decode_options = crate::DecodeOptions { models: options.model.iter().cloned().collect() };
    let Media::Audio(decoded) = crate::decode_with(&bytes, &decode_options).map_err(|e| e.in_file(path))? else {
        return Err(Error::Malformed("decoded media is not audio".into()).in_file(path));
    };
    let t2 = std::time::Instant::now();
    Ok(AudioResult {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        duration_s: audio.duration(),
        kbps: bytes.len() as f64 * 8.0 / audio.duration() / 1000.0,
        metrics: audio_metrics(&audio, &decoded)?,
        encode_s: (t1 - t0).as_secs_f64(),
        decode_s: (t2 - t1).as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_sdr_is_scale_invariant_and_falls_with_noise() {
        let r: Vec<f32> = (0..4800).map(|i| (i as f32 * 0.05).sin()).collect();
        let scaled: Vec<f32> = r.iter().map(|v| v * 0.3).collect();
        assert!(si_sdr(&r, &scaled) > 100.0);
        let noisy: Vec<f32> = r.iter().enumerate().map(|(i, v)| v + if i % 2 == 0 { 0.07 } else { -0.07 }).collect();
        // Signal power 0.5, noise power 0.0049: ≈ 20.1 dB.
        assert!((si_sdr(&r, &noisy) - 20.1).abs() < 0.2, "{}", si_sdr(&r, &noisy));
    }
}
