//! Gain vectors for one model at every rate (Cui et al. 2021, "asymmetric gained" VAE): the
//! latent is scaled channel-wise by a gain before quantization and by an inverse gain after,
//! one learned pair per trained rate point; a continuous quality interpolates between
//! neighbouring points geometrically.

use burn::module::{Module, Param};
use burn::tensor::backend::Backend;
use burn::tensor::{Tensor, TensorData};

/// Number of trained rate points (qualities 1 to 8) of a variable-rate model.
pub const LEVELS: usize = 8;

/// The trade-offs λ of the image rate points (loss λ·255²·MSE + bpp), quality 1 to 8:
/// CompressAI's eight λ for MSE. New models train these unless given others (`nmc train image
/// --lambdas`); models store theirs, and those written before they did read as these.
pub const IMAGE_LAMBDAS: [f64; LEVELS] = [0.0018, 0.0035, 0.0067, 0.0130, 0.0250, 0.0483, 0.0932, 0.1800];

/// Whether `lambdas` can be a model's rate points: positive, finite and ascending.
pub fn valid_lambdas(lambdas: &[f64; LEVELS]) -> bool {
    lambdas.iter().all(|l| l.is_finite() && *l > 0.0) && lambdas.windows(2).all(|w| w[0] < w[1])
}

/// Lowest and highest quality.
pub const QUALITY_RANGE: (f32, f32) = (1.0, LEVELS as f32);

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
    pub fn new(channels: usize, lambdas: &[f64; LEVELS], device: &B::Device) -> Self {
        let init: Vec<f32> = lambdas
            .iter()
            .flat_map(|l| std::iter::repeat_n((0.5 * (l / lambdas[3]).ln()) as f32, channels))
            .collect();
        let neg: Vec<f32> = init.iter().map(|v| -v).collect();
        let shape = [LEVELS, channels];
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

    /// The gains for the trade-offs `to` of gains trained for `from`: each level's logarithms
    /// interpolated linearly in log λ between the two nearest trained levels (extrapolated from
    /// the outermost two beyond them), so that training can move a model's rate points.
    pub fn retargeted(self, from: &[f64; LEVELS], to: &[f64; LEVELS]) -> Self {
        let log_from: Vec<f64> = from.iter().map(|l| l.ln()).collect();
        let retarget = |p: Param<Tensor<B, 2>>| {
            let v = p.val();
            let c = v.dims()[1];
            let row = |i: usize| v.clone().slice([i..i + 1, 0..c]);
            let rows = to
                .iter()
                .map(|l| {
                    let x = l.ln();
                    let low = log_from[1..LEVELS - 1].iter().take_while(|&&b| b <= x).count();
                    let t = (x - log_from[low]) / (log_from[low + 1] - log_from[low]);
                    row(low).mul_scalar(1.0 - t) + row(low + 1).mul_scalar(t)
                })
                .collect();
            Param::from_tensor(Tensor::cat(rows, 0).detach())
        };
        Self { log_gain: retarget(self.log_gain), log_inv_gain: retarget(self.log_inv_gain) }
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
pub fn lambda_at(lambdas: &[f64; LEVELS], quality: f32) -> f64 {
    let (low, t) = interpolation(quality);
    (lambdas[low].ln() * (1.0 - t) + lambdas[low + 1].ln() * t).exp()
}

/// The lower of the two rate points around a quality (clamped to [`QUALITY_RANGE`]) and the
/// weight `t` of the upper one.
fn interpolation(quality: f32) -> (usize, f64) {
    let q = quality.clamp(QUALITY_RANGE.0, QUALITY_RANGE.1) - 1.0;
    let low = (q.floor() as usize).min(LEVELS - 2);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::codec::Cpu;
    use crate::nn::to_vec;

    /// Retargeted gains: a trained rate point keeps its gains wherever it moves in the table,
    /// one between two trained points is their log-λ interpolation, and one beyond the
    /// outermost is extrapolated from the outermost two.
    #[test]
    fn retargeted_gains_interpolate_in_log_lambda() {
        let device = Default::default();
        let gains = || GainVectors::<Cpu>::new(3, &IMAGE_LAMBDAS, &device);
        let level = |g: &GainVectors<Cpu>, q: f32| to_vec(g.at(q).0).unwrap();
        let from = IMAGE_LAMBDAS;
        let mid = (from[0] * from[1]).sqrt();
        let to = [from[0] / (from[1] / from[0]), from[0], mid, from[1], from[3], from[5], from[6], from[7]];
        let moved = gains().retargeted(&from, &to);
        let close = |a: Vec<f32>, b: Vec<f32>| a.iter().zip(&b).all(|(x, y)| (x - y).abs() < 1e-5 * y.abs().max(1.0));
        for (new, old) in [(2.0, 1.0), (4.0, 2.0), (5.0, 4.0), (6.0, 6.0), (8.0, 8.0)] {
            assert!(close(level(&moved, new), level(&gains(), old)), "quality {new} should carry quality {old}'s gains");
        }
        // Initial gains are √(λ/λ₄): the interpolation in log λ reproduces that law exactly.
        for (q, lambda) in [(1.0, to[0]), (3.0, mid)] {
            let want = (0.5 * (lambda / from[3]).ln()).exp() as f32;
            assert!(close(level(&moved, q), vec![want; 3]), "quality {q}: {:?} vs {want}", level(&moved, q));
        }
        assert!(close(to_vec(gains().retargeted(&from, &from).at(2.5).1).unwrap(), to_vec(gains().at(2.5).1).unwrap()));
    }
}
