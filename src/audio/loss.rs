//! Audio distortion measures, shared by the training loss and the evaluation: log-mel distance
//! and multi-resolution STFT distance, over periodic Hann windows of 512, 1024 and 2048 samples
//! with a hop of a quarter window (frames centred on multiples of the hop, zero padding).
//!
//! The STFT is a strided convolution with windowed cosine and sine kernels: differentiable on
//! every backend (burn 0.21 has no autodiff FFT).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use burn::tensor::backend::Backend;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{Tensor, TensorData};

/// Window sizes of the distances.
pub const WINDOWS: [usize; 3] = [512, 1024, 2048];
/// Mel bands of the log-mel distance.
pub const MEL_BANDS: usize = 80;
/// Floor of mel magnitudes before the logarithm.
const MEL_FLOOR: f64 = 1e-5;
/// Floor of STFT magnitudes (inside the square root) for the log-magnitude term.
const MAG_FLOOR: f64 = 1e-7;

/// Constant tables, by size.
type Cache = OnceLock<Mutex<HashMap<usize, Arc<Vec<f32>>>>>;

/// Computes `make(n)` once per `n` and keeps it.
fn cached(cache: &'static Cache, n: usize, make: impl FnOnce() -> Vec<f32>) -> Arc<Vec<f32>> {
    let map = cache.get_or_init(Default::default);
    let mut map = map.lock().unwrap_or_else(|e| e.into_inner());
    map.entry(n).or_insert_with(|| Arc::new(make())).clone()
}

/// Windowed DFT kernels `[2·bins, 1, 1, n_fft]`: cosines, then sines.
fn dft_kernels(n_fft: usize) -> Arc<Vec<f32>> {
    static CACHE: Cache = OnceLock::new();
    cached(&CACHE, n_fft, || {
        let bins = n_fft / 2 + 1;
        let tau = std::f64::consts::TAU;
        let window: Vec<f64> = (0..n_fft).map(|i| 0.5 - 0.5 * (tau * i as f64 / n_fft as f64).cos()).collect();
        let mut k = Vec::with_capacity(2 * bins * n_fft);
        for part in 0..2 {
            for f in 0..bins {
                k.extend(window.iter().enumerate().map(|(i, w)| {
                    let phase = tau * ((f * i) % n_fft) as f64 / n_fft as f64;
                    (w * if part == 0 { phase.cos() } else { -phase.sin() }) as f32
                }));
            }
        }
        k
    })
}

/// Magnitude spectrogram `[batch, frames, n_fft/2 + 1]` of `[batch, samples]` signals.
pub fn magnitude<B: Backend>(x: Tensor<B, 2>, n_fft: usize) -> Tensor<B, 3> {
    let [b, t] = x.dims();
    let bins = n_fft / 2 + 1;
    let kernels = Tensor::<B, 4>::from_data(TensorData::new(dft_kernels(n_fft).to_vec(), [2 * bins, 1, 1, n_fft]), &x.device());
    let options = ConvOptions::new([1, n_fft / 4], [0, n_fft / 2], [1, 1], 1);
    let spec = conv2d(x.reshape([b, 1, 1, t]), kernels, None, options);
    let frames = spec.dims()[3];
    let re = spec.clone().slice([0..b, 0..bins, 0..1, 0..frames]);
    let im = spec.slice([0..b, bins..2 * bins, 0..1, 0..frames]);
    (re.powi_scalar(2) + im.powi_scalar(2)).add_scalar(MAG_FLOOR).sqrt().reshape([b, bins, frames]).swap_dims(1, 2)
}

/// The mel filterbank `[n_fft/2 + 1, bands]` of librosa's default (Slaney mel scale, area
/// normalisation), from 0 Hz to the Nyquist frequency.
pub fn mel_filterbank(sample_rate: u32, n_fft: usize, bands: usize) -> Vec<f32> {
    fn hz_to_mel(f: f64) -> f64 {
        if f < 1000.0 { 3.0 * f / 200.0 } else { 15.0 + (f / 1000.0).ln() / (6.4f64.ln() / 27.0) }
    }
    fn mel_to_hz(m: f64) -> f64 {
        if m < 15.0 { 200.0 * m / 3.0 } else { 1000.0 * ((m - 15.0) * 6.4f64.ln() / 27.0).exp() }
    }
    let nyquist = f64::from(sample_rate) / 2.0;
    let top = hz_to_mel(nyquist);
    let edges: Vec<f64> = (0..bands + 2).map(|i| mel_to_hz(top * i as f64 / (bands + 1) as f64)).collect();
    let bins = n_fft / 2 + 1;
    let mut w = vec![0f32; bins * bands];
    for k in 0..bins {
        let f = nyquist * k as f64 / (bins - 1) as f64;
        for m in 0..bands {
            let lower = (f - edges[m]) / (edges[m + 1] - edges[m]);
            let upper = (edges[m + 2] - f) / (edges[m + 2] - edges[m + 1]);
            let norm = 2.0 / (edges[m + 2] - edges[m]);
            w[k * bands + m] = (lower.min(upper).max(0.0) * norm) as f32;
        }
    }
    w
}

/// log10 mel spectrogram `[batch, frames, MEL_BANDS]` at one window size.
fn log_mel<B: Backend>(x: Tensor<B, 2>, n_fft: usize, sample_rate: u32) -> Tensor<B, 3> {
    let device = x.device();
    let bins = n_fft / 2 + 1;
    static CACHE: Cache = OnceLock::new();
    let key = n_fft * 1_000_000 + sample_rate as usize;
    let fb = cached(&CACHE, key, || mel_filterbank(sample_rate, n_fft, MEL_BANDS));
    let fb = Tensor::<B, 2>::from_data(TensorData::new(fb.to_vec(), [bins, MEL_BANDS]), &device);
    let mag = magnitude(x, n_fft);
    let [b, f, _] = mag.dims();
    mag.reshape([b * f, bins]).matmul(fb).clamp_min(MEL_FLOOR).log().div_scalar(std::f64::consts::LN_10).reshape([b, f, MEL_BANDS])
}

/// Log-mel distance: the mean absolute difference of log10 mel spectrograms (80 bands),
/// averaged over the three window sizes. A one-element tensor.
pub fn mel_distance<B: Backend>(reference: Tensor<B, 2>, test: Tensor<B, 2>, sample_rate: u32) -> Tensor<B, 1> {
    let parts: Vec<Tensor<B, 1>> =
        WINDOWS.iter().map(|&n| (log_mel(reference.clone(), n, sample_rate) - log_mel(test.clone(), n, sample_rate)).abs().mean()).collect();
    Tensor::cat(parts, 0).mean()
}

/// Multi-resolution STFT distance: spectral convergence `‖|X| − |Y|‖ / ‖|X|‖` plus the mean
/// absolute difference of log magnitudes, averaged over the three window sizes.
pub fn stft_distance<B: Backend>(reference: Tensor<B, 2>, test: Tensor<B, 2>) -> Tensor<B, 1> {
    let parts: Vec<Tensor<B, 1>> = WINDOWS
        .iter()
        .map(|&n| {
            let (x, y) = (magnitude(reference.clone(), n), magnitude(test.clone(), n));
            let convergence = (x.clone() - y.clone()).powi_scalar(2).sum().sqrt() / x.clone().powi_scalar(2).sum().sqrt().add_scalar(1e-7);
            convergence + (x.log() - y.log()).abs().mean()
        })
        .collect();
    Tensor::cat(parts, 0).mean()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Cpu;

    fn signal(freq: f32, amp: f32) -> Tensor<Cpu, 2> {
        let v: Vec<f32> = (0..8000).map(|i| amp * (i as f32 * freq * std::f32::consts::TAU / 24_000.0).sin()).collect();
        Tensor::from_data(TensorData::new(v, [1, 8000]), &Default::default())
    }

    fn scalar(t: Tensor<Cpu, 1>) -> f32 {
        t.into_data().to_vec::<f32>().unwrap()[0]
    }

    #[test]
    fn filterbank_has_librosa_shape() {
        let fb = mel_filterbank(24_000, 512, MEL_BANDS);
        // Every band has weight; the first band peaks near its centre (≈ 66 Hz → bin 1.4).
        for m in 0..MEL_BANDS {
            assert!((0..257).any(|k| fb[k * MEL_BANDS + m] > 0.0), "band {m} is empty");
        }
        assert!(fb[MEL_BANDS] > fb[0]);
    }

    #[test]
    fn distances_are_zero_for_equal_and_grow_with_error() {
        let x = signal(440.0, 0.5);
        assert!(scalar(mel_distance(x.clone(), x.clone(), 24_000)).abs() < 1e-6);
        assert!(scalar(stft_distance(x.clone(), x.clone())).abs() < 1e-6);
        let near = scalar(mel_distance(x.clone(), signal(440.0, 0.45), 24_000));
        let far = scalar(mel_distance(x.clone(), signal(880.0, 0.5), 24_000));
        // A 10% gain change moves every log-mel value by log10(1/0.9) ≈ 0.046 where above the floor.
        assert!(near > 0.01 && near < 0.05, "near {near}");
        assert!(far > near * 4.0, "far {far} vs near {near}");
        assert!(scalar(stft_distance(x.clone(), signal(880.0, 0.5))) > scalar(stft_distance(x, signal(440.0, 0.45))));
    }
}
