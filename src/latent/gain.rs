//! Gain vectors for one model at every rate (Cui et al. 2021, "asymmetric gained" VAE): the
//! latent is scaled channel-wise by a gain before quantization and by an inverse gain after,
//! one learned pair per trained rate point; a continuous quality interpolates between
//! neighbouring points geometrically.

use burn::module::{Module, Param};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

/// The trade-offs λ of the image rate points (loss λ·255²·MSE + bpp), quality 1 to 8
/// (CompressAI's eight λ for MSE).
pub const LAMBDAS: [f64; 8] = [0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800];

/// Lowest and highest quality.
pub const QUALITY_RANGE: (f32, f32) = (1.0, LAMBDAS.len() as f32);

/// Learned per-level, per-channel gains and inverse gains (stored as logarithms).
#[derive(Module, Debug)]
pub struct GainVectors<B: Backend> {
    log_gain: Param<Tensor<B, 2>>,
    log_inv_gain: Param<Tensor<B, 2>>,
}

impl<B: Backend> GainVectors<B> {
    /// Gains for `channels` latent channels and the eight trade-offs `lambdas` of a medium,
    /// initialised so that higher λ quantizes more finely (gain ∝ √(λ / λ₄)) and the inverse
    /// gain undoes it.
    pub fn new(channels: usize, lambdas: &[f64; 8], device: &B::Device) -> Self {
        let init: Vec<f32> = lambdas
            .iter()
            .flat_map(|l| std::iter::repeat_n((0.5 * (l / lambdas[3]).ln()) as f32, channels))
            .collect();
        let neg: Vec<f32> = init.iter().map(|v| -v).collect();
        let shape = [LAMBDAS.len(), channels];
        Self {
            log_gain: Param::from_tensor(Tensor::from_data(TensorData::new(init, shape), device)),
            log_inv_gain: Param::from_tensor(Tensor::from_data(TensorData::new(neg, shape), device)),
        }
    }

    /// Number of latent channels.
    pub fn channels(&self) -> usize {
        self.log_gain.dims()[1]
    }

    /// The gains with `extra` more channels, each at the mean (of the logarithms) of the
    /// existing channels' gains at every level.
    pub fn widened(self, extra: usize) -> Self {
        let widen = |p: Param<Tensor<B, 2>>| {
            let v = p.val();
            let mean = v.clone().mean_dim(1).repeat_dim(1, extra);
            Param::from_tensor(Tensor::cat(vec![v, mean], 1).detach())
        };
        Self { log_gain: widen(self.log_gain), log_inv_gain: widen(self.log_inv_gain) }
    }

    /// Gain and inverse gain `[C]` at a continuous quality in [`QUALITY_RANGE`] (clamped):
    /// `exp((1 − t)·log g_l + t·log g_{l+1})` between the two nearest levels.
    pub fn at(&self, quality: f32) -> (Tensor<B, 1>, Tensor<B, 1>) {
        let (low, t) = interpolation(quality);
        let pick = |p: &Param<Tensor<B, 2>>| {
            let c = p.dims()[1];
            let rows = p.val().slice([low..low + 2, 0..c]);
            let a = rows.clone().slice([0..1, 0..c]).reshape([c]);
            let b = rows.slice([1..2, 0..c]).reshape([c]);
            (a.mul_scalar(1.0 - t) + b.mul_scalar(t)).exp()
        };
        (pick(&self.log_gain), pick(&self.log_inv_gain))
    }

    /// Gain and inverse gain per channel, as floats, at a quality stored in a file (`q · 256`);
    /// `Malformed` outside [`QUALITY_RANGE`].
    pub fn at_stored(&self, stored: u16) -> crate::Result<(Vec<f32>, Vec<f32>)> {
        let quality = stored as f32 / 256.0;
        if !(QUALITY_RANGE.0..=QUALITY_RANGE.1).contains(&quality) {
            return Err(crate::Error::Malformed(format!("stored quality {quality} outside {}..={}", QUALITY_RANGE.0, QUALITY_RANGE.1)));
        }
        let (gain, inv_gain) = self.at(quality);
        Ok((crate::nn::to_vec(gain)?, crate::nn::to_vec(inv_gain)?))
    }
}

/// The trade-off of a continuous quality (clamped to [`QUALITY_RANGE`]) among a medium's eight
/// `lambdas`: geometric between the two nearest, as the gains are.
pub fn lambda_at(lambdas: &[f64; 8], quality: f32) -> f64 {
    let (low, t) = interpolation(quality);
    (lambdas[low].ln() * (1.0 - t) + lambdas[low + 1].ln() * t).exp()
}

/// The lower of the two rate points around a quality (clamped to [`QUALITY_RANGE`]) and the
/// weight `t` of the upper one.
fn interpolation(quality: f32) -> (usize, f64) {
    let q = quality.clamp(QUALITY_RANGE.0, QUALITY_RANGE.1) - 1.0;
    let low = (q.floor() as usize).min(LAMBDAS.len() - 2);
    (low, f64::from(q - low as f32))
}

/// The quality stored in files: `round(q · 256)` as u16, so that encoder and decoder use the same
/// value; `InvalidArgument` outside [`QUALITY_RANGE`].
pub fn quantize_quality(quality: f32) -> crate::Result<u16> {
    if !(QUALITY_RANGE.0..=QUALITY_RANGE.1).contains(&quality) {
        return Err(crate::Error::InvalidArgument(format!("quality {quality} is outside {}..={}", QUALITY_RANGE.0, QUALITY_RANGE.1)));
    }
    Ok((quality * 256.0).round() as u16)
}

/// The `QLTY` chunk of a file that stores `stored` (see [`quantize_quality`]).
pub fn quality_chunk(stored: u16) -> crate::container::Chunk {
    crate::container::Chunk { fourcc: crate::container::FourCc::QLTY, required: true, payload: stored.to_le_bytes().to_vec() }
}

/// The stored quality from a file's chunks (its required `QLTY` chunk).
pub fn stored_quality(chunks: &[crate::container::Chunk]) -> crate::Result<u16> {
    match crate::container::find_chunk(chunks, crate::container::FourCc::QLTY)? {
        &[lo, hi] => Ok(u16::from_le_bytes([lo, hi])),
        other => Err(crate::Error::Malformed(format!("chunk 'QLTY' has {} bytes, expected 2", other.len()))),
    }
}
