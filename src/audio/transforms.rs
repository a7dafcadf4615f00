//! g_a and g_s of a trained audio model on plain slices ([`crate::nn::plain`]): the form the
//! codec runs. The same values as [`AudioModel`]'s burn transforms to float rounding, and
//! faster on the CPU than burn `flex` for these narrow 1-D layers, whose convolutions it runs
//! as per-tap matrix products without im2col copies.

use burn::tensor::backend::Backend;

use super::model::{AudioModel, ResidualUnit};
use crate::nn::plain::{elu, Conv1d, ConvTranspose1d, Gdn1d};
use crate::Result;

/// A residual unit: `h + W₂·elu(W₁ ⊛ h)`.
struct Residual {
    dilated: Conv1d,
    pointwise: Conv1d,
}

impl Residual {
    fn from_unit<B: Backend>(unit: &ResidualUnit<B>) -> Result<Self> {
        Ok(Self { dilated: Conv1d::from_conv(&unit.dilated)?, pointwise: Conv1d::from_conv(&unit.pointwise)? })
    }

    /// The units of every scale.
    fn scales<B: Backend>(scales: &[Vec<ResidualUnit<B>>]) -> Result<Vec<Vec<Self>>> {
        scales.iter().map(|units| units.iter().map(Self::from_unit).collect()).collect()
    }

    fn forward(&self, h: Vec<f32>, len: usize) -> Vec<f32> {
        let mut t = self.dilated.forward(&h, len);
        elu(&mut t);
        let mut out = self.pointwise.forward(&t, len);
        out.iter_mut().zip(&h).for_each(|(o, v)| *o += v);
        out
    }
}

/// Runs a scale's residual units on `[C, len]`.
fn residual(units: &[Residual], h: Vec<f32>, len: usize) -> Vec<f32> {
    units.iter().fold(h, |h, unit| unit.forward(h, len))
}

/// g_a and g_s of an [`AudioModel`].
pub struct Transforms {
    a_input: Conv1d,
    downs: Vec<Conv1d>,
    gdns: Vec<Gdn1d>,
    a_output: Conv1d,
    a_res: Vec<Vec<Residual>>,
    s_input: Conv1d,
    igdns: Vec<Gdn1d>,
    ups: Vec<ConvTranspose1d>,
    s_output: Conv1d,
    s_res: Vec<Vec<Residual>>,
}

impl Transforms {
    /// The transforms of a trained model.
    pub fn new<B: Backend>(model: &AudioModel<B>) -> Result<Self> {
        let (g_a, g_s) = (&model.g_a, &model.g_s);
        Ok(Self {
            a_input: Conv1d::from_conv(&g_a.input)?,
            downs: g_a.downs.iter().map(Conv1d::from_conv).collect::<Result<_>>()?,
            gdns: g_a.gdns.iter().map(Gdn1d::from_gdn).collect::<Result<_>>()?,
            a_output: Conv1d::from_conv(&g_a.output)?,
            a_res: Residual::scales(&g_a.res)?,
            s_input: Conv1d::from_conv(&g_s.input)?,
            igdns: g_s.igdns.iter().map(Gdn1d::from_gdn).collect::<Result<_>>()?,
            ups: g_s.ups.iter().map(ConvTranspose1d::from_conv_transpose).collect::<Result<_>>()?,
            s_output: Conv1d::from_conv(&g_s.output)?,
            s_res: Residual::scales(&g_s.res)?,
        })
    }

    /// g_a: samples (a multiple of `HOP`) → the latent `[M, samples / HOP]`.
    pub fn analysis(&self, x: &[f32]) -> Vec<f32> {
        let mut len = x.len();
        let mut h = self.a_input.forward(x, len);
        for ((down, gdn), units) in self.downs.iter().zip(&self.gdns).zip(&self.a_res) {
            h = down.forward(&residual(units, h, len), len);
            len = down.output_len(len);
            gdn.forward(&mut h, len);
        }
        self.a_output.forward(&h, len)
    }

    /// g_s: the latent `[M, frames]` → `frames · HOP` samples.
    pub fn synthesis(&self, y: &[f32], frames: usize) -> Vec<f32> {
        let mut len = frames;
        let mut h = self.s_input.forward(y, len);
        for ((igdn, up), units) in self.igdns.iter().zip(&self.ups).zip(&self.s_res) {
            igdn.forward(&mut h, len);
            h = up.forward(&h, len);
            len = up.output_len(len);
            h = residual(units, h, len);
        }
        self.s_output.forward(&h, len)
    }
}
