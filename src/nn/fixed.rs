//! Fixed-point layers for everything that decides entropy-coding probabilities (DESIGN.md,
//! principle 1): trained with fake quantization (floats that take only fixed-point values,
//! straight-through gradients), run at coding time in pure integer arithmetic, so that encoder
//! and decoder compute identical results on every machine.
//!
//! Format: activations are integers `a` standing for `a / 2^ACT_FRAC_BITS`, clamped to
//! `ACT_MIN ..= ACT_MAX`; a layer's weights are integers `|w| <= WEIGHT_MAX` standing for
//! `w / 2^e` with one exponent `e` per layer (the largest that fits its largest weight); biases
//! are integers at `2^(e + ACT_FRAC_BITS)`. A convolution accumulates exactly in `i32` (bounded by
//! [`MAX_FAN_IN`]), then rounds back to the activation format: `(acc + 2^(e-1)) >> e`.

use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::{Linear, PaddingConfig2d};
use burn::tensor::backend::Backend;
use burn::tensor::ops::{ConvOptions, ConvTransposeOptions};
use burn::tensor::Tensor;

use rayon::prelude::*;

use crate::{Error, Result};

use super::to_vec;

/// Fractional bits of activations.
pub const ACT_FRAC_BITS: u32 = 4;
/// Activation range (±128 in real units).
pub const ACT_MAX: i32 = (1 << 11) - 1;
pub const ACT_MIN: i32 = -(1 << 11);
/// Largest weight magnitude (8-bit signed weights).
pub const WEIGHT_MAX: i32 = 127;
/// Largest number of products one output sums, so that `i32` accumulation cannot overflow:
/// `MAX_FAN_IN · WEIGHT_MAX · 2^11 < 2^31` with room for the bias.
pub const MAX_FAN_IN: usize = 4096;
/// Largest weight exponent (weights smaller than `WEIGHT_MAX / 2^MAX_EXPONENT` round to 0).
const MAX_EXPONENT: i32 = 20;

/// Activation grid steps per unit, `2^ACT_FRAC_BITS`.
pub(crate) const ACT_SCALE: f64 = (1u32 << ACT_FRAC_BITS) as f64;

/// Rounds to the activation grid (round half up) and clamps, with a straight-through gradient.
pub fn fake_quant_act<B: Backend, const D: usize>(x: Tensor<B, D>) -> Tensor<B, D> {
    let q = x
        .clone()
        .mul_scalar(ACT_SCALE)
        .add_scalar(0.5)
        .floor()
        .clamp(ACT_MIN as f64, ACT_MAX as f64)
        .div_scalar(ACT_SCALE);
    x.clone() + (q - x).detach()
}

/// The weight exponent of a layer whose largest weight magnitude is `max_abs`: the largest
/// `e` in `0..=MAX_EXPONENT` with `max_abs · 2^e <= WEIGHT_MAX`, by exact comparisons (no
/// logarithm, so every platform finds the same `e`).
fn weight_exponent(max_abs: f32) -> i32 {
    let max_abs = max_abs as f64;
    if max_abs.is_nan() || max_abs <= 0.0 || max_abs.is_infinite() {
        return MAX_EXPONENT;
    }
    (0..=MAX_EXPONENT).rev().find(|&e| max_abs * 2f64.powi(e) <= WEIGHT_MAX as f64).unwrap_or(0)
}

/// `2^e` for a layer's weights, as a one-element tensor computed on the device (no host sync).
fn weight_scale<B: Backend, const D: usize>(w: &Tensor<B, D>) -> Tensor<B, 1> {
    w.clone()
        .detach()
        .abs()
        .max()
        .clamp_min(1e-30)
        .recip()
        .mul_scalar(WEIGHT_MAX as f64)
        .log()
        .div_scalar(std::f64::consts::LN_2)
        .floor()
        .clamp(0.0, MAX_EXPONENT as f64)
        .mul_scalar(std::f64::consts::LN_2)
        .exp()
        .round()
}

/// Rounds `x` to the grid `1 / scale` (round half up) with a straight-through gradient.
fn fake_quant_grid<B: Backend, const D: usize>(x: Tensor<B, D>, scale: Tensor<B, D>) -> Tensor<B, D> {
    let q = x.clone().mul(scale.clone()).add_scalar(0.5).floor().div(scale);
    x.clone() + (q - x).detach()
}

/// Fake-quantized weight and bias of a layer, as [`IntConv`] and [`IntLinear`] quantize them.
pub(crate) fn fake_quant_params<B: Backend, const D: usize>(weight: Tensor<B, D>, bias: Option<Tensor<B, 1>>) -> (Tensor<B, D>, Option<Tensor<B, 1>>) {
    let scale = weight_scale(&weight);
    let bias_scale = scale.clone().mul_scalar(ACT_SCALE);
    let weight = fake_quant_grid(weight, scale.reshape([1; D]));
    let bias = bias.map(|b| fake_quant_grid(b, bias_scale));
    (weight, bias)
}

/// Training-time twin of [`IntConv::from_conv`]`.forward`: fixed-point weights, bias and output.
pub fn fake_quant_conv<B: Backend>(conv: &Conv2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let (weight, bias) = fake_quant_params(conv.weight.val(), conv.bias.as_ref().map(|b| b.val()));
    let padding = match conv.padding {
        PaddingConfig2d::Explicit(top, left, ..) => [top, left],
        _ => [0, 0],
    };
    let options = ConvOptions::new(conv.stride, padding, conv.dilation, conv.groups);
    fake_quant_act(burn::tensor::module::conv2d(x, weight, bias, options))
}

/// Training-time twin of [`IntConv::from_conv_transpose`]`.forward`.
pub fn fake_quant_conv_transpose<B: Backend>(conv: &ConvTranspose2d<B>, x: Tensor<B, 4>) -> Tensor<B, 4> {
    let (weight, bias) = fake_quant_params(conv.weight.val(), conv.bias.as_ref().map(|b| b.val()));
    let options = ConvTransposeOptions::new(conv.stride, conv.padding, conv.padding_out, conv.dilation, conv.groups);
    fake_quant_act(burn::tensor::module::conv_transpose2d(x, weight, bias, options))
}

/// A layer's exponent (from its largest weight), integer weights and integer biases.
fn quantize_layer(w: &[f32], b: &[f32]) -> (i32, Vec<i32>, Vec<i32>) {
    let exponent = weight_exponent(w.iter().fold(0f32, |m, v| m.max(v.abs())));
    let scale = 2f64.powi(exponent);
    let weight = w.iter().map(|&v| ((v as f64 * scale + 0.5).floor() as i32).clamp(-WEIGHT_MAX - 1, WEIGHT_MAX)).collect();
    let bias = b.iter().map(|&v| quantize_bias(v, exponent)).collect();
    (exponent, weight, bias)
}

/// Rounds a bias to the grid `2^-(e + ACT_FRAC_BITS)` of its layer's accumulator.
fn quantize_bias(b: f32, exponent: i32) -> i32 {
    let scale = 2f64.powi(exponent + ACT_FRAC_BITS as i32);
    (b as f64 * scale + 0.5).floor().clamp(-(1i64 << 29) as f64, (1i64 << 29) as f64) as i32
}

/// A feature map in the activation format, batch of one: `[channels, height, width]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntTensor {
    pub channels: usize,
    pub height: usize,
    pub width: usize,
    /// Row-major `[C, H, W]` values.
    pub data: Vec<i32>,
}

impl IntTensor {
    /// Quantizes real values to the activation format (used for inputs that are already exact
    /// multiples of the grid, such as decoded integer symbols).
    pub fn from_f32(channels: usize, height: usize, width: usize, values: &[f32]) -> Self {
        let data = values
            .iter()
            .map(|&v| ((v as f64 * ACT_SCALE + 0.5).floor() as i64).clamp(ACT_MIN as i64, ACT_MAX as i64) as i32)
            .collect();
        Self { channels, height, width, data }
    }

    /// Applies ReLU in place.
    pub fn relu(mut self) -> Self {
        for v in &mut self.data {
            *v = (*v).max(0);
        }
        self
    }
}

/// A convolution (or transposed convolution) in integer arithmetic. Sizes are `[height, width]`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntConv {
    cin: usize,
    cout: usize,
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
    /// Extra rows/columns at the bottom/right of a transposed convolution's output.
    padding_out: [usize; 2],
    transposed: bool,
    /// The weights as a linear map from one input neighbourhood, `(input channel, ky, kx)`, to
    /// the output channels (for both kinds), with the layer's exponent and biases.
    layer: IntLinear,
}

/// The geometry of one 2-D convolution over one input plane.
#[derive(Clone, Copy)]
struct Geometry {
    input: [usize; 2],
    output: [usize; 2],
    kernel: [usize; 2],
    stride: [usize; 2],
    padding: [usize; 2],
}

impl IntConv {
    /// Quantizes a trained convolution (no dilation, no groups, symmetric padding).
    pub fn from_conv<B: Backend>(conv: &Conv2d<B>) -> Result<Self> {
        let [cout, cin, kh, kw] = conv.weight.dims();
        let padding = match conv.padding {
            PaddingConfig2d::Explicit(t, l, b, r) if t == b && l == r => [t, l],
            PaddingConfig2d::Valid => [0, 0],
            _ => return Err(Error::Model("fixed-point conv needs explicit symmetric padding".into())),
        };
        if conv.groups != 1 || conv.dilation != [1, 1] {
            return Err(Error::Model("fixed-point conv needs no groups and no dilation".into()));
        }
        let w: Vec<f32> = to_vec(conv.weight.val())?;
        let b: Vec<f32> = match &conv.bias {
            Some(b) => to_vec(b.val())?,
            None => vec![0.0; cout],
        };
        Self::new([cin, cout], [kh, kw], conv.stride, padding, [0, 0], false, w, &b)
    }

    /// Quantizes a trained transposed convolution (weights `[cin, cout, kh, kw]` in burn).
    pub fn from_conv_transpose<B: Backend>(conv: &ConvTranspose2d<B>) -> Result<Self> {
        let [cin, cout, kh, kw] = conv.weight.dims();
        if conv.groups != 1 || conv.dilation != [1, 1] {
            return Err(Error::Model("fixed-point transposed conv needs no groups and no dilation".into()));
        }
        let w: Vec<f32> = to_vec(conv.weight.val())?;
        // Re-lay out [cin, cout, kh, kw] as [cout, cin, kh, kw].
        let taps = kh * kw;
        let mut relaid = vec![0.0; w.len()];
        for i in 0..cin {
            for o in 0..cout {
                for t in 0..taps {
                    relaid[(o * cin + i) * taps + t] = w[(i * cout + o) * taps + t];
                }
            }
        }
        let b: Vec<f32> = match &conv.bias {
            Some(b) => to_vec(b.val())?,
            None => vec![0.0; cout],
        };
        Self::new([cin, cout], [kh, kw], conv.stride, conv.padding, conv.padding_out, true, relaid, &b)
    }

    #[allow(clippy::too_many_arguments)]
    fn new(
        [cin, cout]: [usize; 2],
        kernel: [usize; 2],
        stride: [usize; 2],
        padding: [usize; 2],
        padding_out: [usize; 2],
        transposed: bool,
        w: Vec<f32>,
        b: &[f32],
    ) -> Result<Self> {
        let fan_in = cin * kernel[0] * kernel[1];
        if fan_in > MAX_FAN_IN {
            return Err(Error::Model(format!("fan-in {fan_in} over the fixed-point limit {MAX_FAN_IN}")));
        }
        let (exponent, weight, bias) = quantize_layer(&w, b);
        let mut rows = vec![0i32; weight.len()];
        for (o, weights) in weight.chunks_exact(fan_in).enumerate() {
            for (k, &v) in weights.iter().enumerate() {
                rows[k * cout + o] = v;
            }
        }
        let layer = IntLinear::from_parts(fan_in, cout, exponent as u8, rows, bias).map_err(|e| Error::Model(e.to_string()))?;
        Ok(Self { cin, cout, kernel, stride, padding, padding_out, transposed, layer })
    }

    /// Output size along axis `a` for an input of `n`.
    fn out_len(&self, a: usize, n: usize) -> Result<usize> {
        let (k, s, p) = (self.kernel[a], self.stride[a], self.padding[a]);
        let len = if self.transposed {
            ((n.max(1) - 1) * s + k + self.padding_out[a]).checked_sub(2 * p)
        } else {
            (n + 2 * p).checked_sub(k).map(|v| v / s + 1)
        };
        len.filter(|&l| l > 0 && n > 0).ok_or_else(|| Error::Model(format!("input of {n} is too small for the layer")))
    }

    /// Runs the layer: exact `i32` accumulation, then rounding to the activation format.
    pub fn forward(&self, x: &IntTensor) -> Result<IntTensor> {
        if x.channels != self.cin {
            return Err(Error::Model(format!("layer expects {} channels, got {}", self.cin, x.channels)));
        }
        let (oh, ow) = (self.out_len(0, x.height)?, self.out_len(1, x.width)?);
        let g = Geometry { input: [x.height, x.width], output: [oh, ow], kernel: self.kernel, stride: self.stride, padding: self.padding };
        let data = if self.transposed { self.forward_transposed(x, g) } else { self.forward_conv(x, g) };
        Ok(IntTensor { channels: self.cout, height: oh, width: ow, data })
    }

    /// A convolution's outputs `[cout, oh, ow]`. Blocks of output pixels run in parallel: each
    /// gathers its pixels' input neighbourhoods (im2col) and runs them through the linear layer
    /// together. Integer sums are exact, so the result is the same in any order.
    fn forward_conv(&self, x: &IntTensor, g: Geometry) -> Vec<i32> {
        const PIXELS: usize = 16;
        let ([h, w], [oh, ow], [kh, kw], [sh, sw], [ph, pw]) = (g.input, g.output, g.kernel, g.stride, g.padding);
        let (cout, depth) = (self.cout, self.cin * kh * kw);
        let plane = oh * ow;
        let mut out = vec![0i32; plane * cout];
        out.par_chunks_mut(PIXELS * cout).enumerate().for_each(|(block, out)| {
            let first = block * PIXELS;
            let mut cols = vec![0i32; out.len() / cout * depth];
            for (p, col) in cols.chunks_exact_mut(depth).enumerate() {
                let (oy, ox) = ((first + p) / ow, (first + p) % ow);
                for (input, taps) in x.data.chunks_exact(h * w).zip(col.chunks_exact_mut(kh * kw)) {
                    for (ky, row) in taps.chunks_exact_mut(kw).enumerate() {
                        let iy = (oy * sh + ky).wrapping_sub(ph);
                        for (kx, v) in row.iter_mut().enumerate() {
                            let ix = (ox * sw + kx).wrapping_sub(pw);
                            if iy < h && ix < w {
                                *v = input[iy * w + ix];
                            }
                        }
                    }
                }
            }
            self.layer.forward(&cols, out);
        });
        let mut data = vec![0i32; plane * cout];
        for (p, values) in out.chunks_exact(cout).enumerate() {
            for (o, &v) in values.iter().enumerate() {
                data[o * plane + p] = v;
            }
        }
        data
    }

    /// A transposed convolution's outputs `[cout, oh, ow]`. Output channels are independent and
    /// integer sums are exact, so the channels run in parallel with results identical to any
    /// other order.
    fn forward_transposed(&self, x: &IntTensor, g: Geometry) -> Vec<i32> {
        let taps = self.kernel[0] * self.kernel[1];
        let plane = g.output[0] * g.output[1];
        let (weight, bias) = (self.layer.weight(), self.layer.bias());
        let mut data = vec![0i32; self.cout * plane];
        data.par_chunks_mut(plane.max(1)).enumerate().for_each(|(o, out)| {
            out.fill(bias[o]);
            let mut w = vec![0i32; taps];
            for (i, input) in x.data.chunks_exact(x.height * x.width).enumerate() {
                for (t, v) in w.iter_mut().enumerate() {
                    *v = weight[(i * taps + t) * self.cout + o];
                }
                scatter_transposed(input, &w, g, out);
            }
            to_activations(out, self.layer.exponent());
        });
        data
    }
}

/// Rounds accumulators (on the grid `2^(exponent + ACT_FRAC_BITS)`) to the activation format.
fn to_activations(acc: &mut [i32], exponent: u8) {
    let e = u32::from(exponent);
    let round = if e > 0 { 1i32 << (e - 1) } else { 0 };
    for a in acc {
        *a = ((*a + round) >> e).clamp(ACT_MIN, ACT_MAX);
    }
}

/// Largest bias magnitude (on its layer's accumulator grid).
const BIAS_MAX: i32 = 1 << 29;

/// A fully connected layer in integer arithmetic: weights `[inputs, outputs]` row-major, in the
/// format of [`IntConv`] (one exponent, 8-bit weights, biases on the accumulator grid).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntLinear {
    inputs: usize,
    outputs: usize,
    exponent: u8,
    weight: Vec<i32>,
    bias: Vec<i32>,
}

impl IntLinear {
    /// Quantizes a trained layer.
    pub fn from_linear<B: Backend>(layer: &Linear<B>) -> Result<Self> {
        let [inputs, outputs] = layer.weight.dims();
        let w: Vec<f32> = to_vec(layer.weight.val())?;
        let b: Vec<f32> = match &layer.bias {
            Some(b) => to_vec(b.val())?,
            None => vec![0.0; outputs],
        };
        let (exponent, weight, bias) = quantize_layer(&w, &b);
        Self::from_parts(inputs, outputs, exponent as u8, weight, bias).map_err(|e| Error::Model(e.to_string()))
    }

    /// A layer from stored integers; [`Error::Malformed`] where they break the format's limits
    /// (so that no accumulator can overflow).
    pub fn from_parts(inputs: usize, outputs: usize, exponent: u8, weight: Vec<i32>, bias: Vec<i32>) -> Result<Self> {
        let bad = |what: String| Err(Error::Malformed(format!("fixed-point layer: {what}")));
        if inputs == 0 || inputs > MAX_FAN_IN || weight.len() != inputs * outputs || bias.len() != outputs {
            return bad(format!("{inputs} inputs, {} weights, {} biases for {outputs} outputs", weight.len(), bias.len()));
        }
        if i32::from(exponent) > MAX_EXPONENT {
            return bad(format!("exponent {exponent} (at most {MAX_EXPONENT})"));
        }
        if let Some(w) = weight.iter().find(|w| !(-WEIGHT_MAX - 1..=WEIGHT_MAX).contains(*w)) {
            return bad(format!("weight {w} outside {}..={WEIGHT_MAX}", -WEIGHT_MAX - 1));
        }
        if let Some(b) = bias.iter().find(|b| !(-BIAS_MAX..=BIAS_MAX).contains(*b)) {
            return bad(format!("bias {b} outside ±{BIAS_MAX}"));
        }
        Ok(Self { inputs, outputs, exponent, weight, bias })
    }

    /// Input and output widths.
    pub fn shape(&self) -> (usize, usize) {
        (self.inputs, self.outputs)
    }

    /// The weight exponent.
    pub fn exponent(&self) -> u8 {
        self.exponent
    }

    /// Integer weights, `[inputs, outputs]`.
    pub fn weight(&self) -> &[i32] {
        &self.weight
    }

    /// Integer biases.
    pub fn bias(&self) -> &[i32] {
        &self.bias
    }

    /// `out = x·W + b` rounded to the activation format (`x` in it too), for each of the rows
    /// of `x` (`rows × inputs` → `rows × outputs`): exact `i32` sums. Each weight row meets every
    /// row of `x` in turn, so that it is read once per call; zero inputs are skipped.
    pub fn forward(&self, x: &[i32], out: &mut [i32]) {
        debug_assert_eq!(x.len() / self.inputs, out.len() / self.outputs);
        for acc in out.chunks_exact_mut(self.outputs) {
            acc.copy_from_slice(&self.bias);
        }
        for (k, row) in self.weight.chunks_exact(self.outputs).enumerate() {
            for (acc, x) in out.chunks_exact_mut(self.outputs).zip(x.chunks_exact(self.inputs)) {
                let v = x[k];
                if v != 0 {
                    acc.iter_mut().zip(row).for_each(|(a, &w)| *a += v * w);
                }
            }
        }
        to_activations(out, self.exponent);
    }
}

/// An integer hyper-synthesis: transposed convolutions each followed by ReLU, then a last
/// convolution giving the means and log-scales (activation format).
#[derive(Clone, Debug)]
pub struct IntHyperSynthesis {
    ups: Vec<IntConv>,
    out: IntConv,
}

impl IntHyperSynthesis {
    /// Quantizes the trained layers.
    pub fn new<B: Backend>(ups: &[ConvTranspose2d<B>], out: &Conv2d<B>) -> Result<Self> {
        Ok(Self { ups: ups.iter().map(IntConv::from_conv_transpose).collect::<Result<_>>()?, out: IntConv::from_conv(out)? })
    }

    /// Means and log-scales `[2M, h, w]` from the fixed-point hyper-latent.
    pub fn forward(&self, z_hat: &IntTensor) -> Result<IntTensor> {
        let mut h = z_hat.clone();
        for up in &self.ups {
            h = up.forward(&h)?.relu();
        }
        self.out.forward(&h)
    }
}

/// Training twin of [`IntHyperSynthesis::forward`] (fixed-point values, float arithmetic).
pub fn fake_quant_hyper_synthesis<B: Backend>(ups: &[ConvTranspose2d<B>], out: &Conv2d<B>, z_hat: Tensor<B, 4>) -> Tensor<B, 4> {
    let h = ups.iter().fold(z_hat, |h, up| burn::tensor::activation::relu(fake_quant_conv_transpose(up, h)));
    fake_quant_conv(out, h)
}

/// The indexes `i` in `0..n` with `0 <= i·stride + offset < limit`, a contiguous range.
fn valid_range(n: usize, stride: usize, offset: isize, limit: usize) -> std::ops::Range<usize> {
    let lo = if offset >= 0 { 0 } else { ((-offset) as usize).div_ceil(stride) };
    let room = limit as isize - offset;
    let hi = if room <= 0 { 0 } else { ((room as usize - 1) / stride + 1).min(n) };
    lo..hi.max(lo)
}

/// `out[iy·sh − ph + ky, ix·sw − pw + kx] += w[ky, kx] · in[iy, ix]` (dropped outside the output).
fn scatter_transposed(input: &[i32], w: &[i32], g: Geometry, out: &mut [i32]) {
    let ([h, w_in], [oh, ow], [kh, kw], [sh, sw], [ph, pw]) = (g.input, g.output, g.kernel, g.stride, g.padding);
    for ky in 0..kh {
        let ys = valid_range(h, sh, ky as isize - ph as isize, oh);
        for kx in 0..kw {
            let wv = w[ky * kw + kx];
            let offset = kx as isize - pw as isize;
            let xs = valid_range(w_in, sw, offset, ow);
            if wv == 0 || xs.is_empty() {
                continue;
            }
            let first = (xs.start * sw) as isize + offset;
            for iy in ys.clone() {
                let y = iy * sh + ky - ph;
                let row = &input[iy * w_in + xs.start..iy * w_in + xs.end];
                let orow = &mut out[y * ow + first as usize..(y + 1) * ow];
                for (o, &v) in orow.iter_mut().step_by(sw).zip(row) {
                    *o += wv * v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, Tensor, TensorData};

    use super::*;
    use crate::codec::Cpu;
    use crate::nn::{conv_down, conv_up};

    /// A random input already on the activation grid, as both a float tensor and an IntTensor.
    fn input(c: usize, h: usize, w: usize) -> (Tensor<Cpu, 4>, IntTensor) {
        let x = Tensor::<Cpu, 4>::random([1, c, h, w], Distribution::Uniform(-6.0, 6.0), &Default::default());
        let x = fake_quant_act(x);
        let values: Vec<f32> = x.to_data().to_vec().unwrap();
        (x, IntTensor::from_f32(c, h, w, &values))
    }

    /// The float training path and the integer path agree (up to a rare last-bit difference
    /// where f32 accumulation is inexact), and the integer path is the one that codes.
    fn compare(float: Tensor<Cpu, 4>, int: IntTensor) {
        let f: Vec<f32> = float.into_data().to_vec().unwrap();
        assert_eq!(f.len(), int.data.len());
        let mut differ = 0;
        for (a, &b) in f.iter().zip(&int.data) {
            let a = (a * ACT_SCALE as f32).round() as i32;
            assert!((a - b).abs() <= 1, "float {a} vs int {b}");
            differ += usize::from(a != b);
        }
        assert!(differ * 100 <= f.len(), "{differ} of {} outputs differ", f.len());
        assert!(int.data.iter().any(|&v| v != 0));
    }

    #[test]
    fn linear_matches_its_fake_quant_twin() {
        let device = Default::default();
        let layer = burn::nn::LinearConfig::new(21, 7).init::<Cpu>(&device);
        let x = fake_quant_act(Tensor::<Cpu, 2>::random([50, 21], Distribution::Uniform(-6.0, 6.0), &device));
        let values: Vec<f32> = x.to_data().to_vec().unwrap();
        let int = IntLinear::from_linear(&layer).unwrap();
        let mut out = vec![0; 50 * 7];
        for (row, o) in values.chunks_exact(21).zip(out.chunks_exact_mut(7)) {
            let row: Vec<i32> = row.iter().map(|&v| (v * ACT_SCALE as f32).round() as i32).collect();
            int.forward(&row, o);
        }
        let (weight, bias) = fake_quant_params(layer.weight.val(), layer.bias.as_ref().map(|b| b.val()));
        let twin = fake_quant_act(x.matmul(weight) + bias.unwrap().unsqueeze_dim(0));
        compare(twin.reshape([1, 50, 7, 1]), IntTensor { channels: 50, height: 7, width: 1, data: out });
        let rebuilt = IntLinear::from_parts(21, 7, int.exponent(), int.weight().to_vec(), int.bias().to_vec()).unwrap();
        assert_eq!(rebuilt, int);
        assert!(IntLinear::from_parts(21, 7, 21, int.weight().to_vec(), int.bias().to_vec()).is_err());
        assert!(IntLinear::from_parts(21, 7, 3, vec![128; 147], int.bias().to_vec()).is_err());
        assert!(IntLinear::from_parts(21, 7, 3, int.weight().to_vec(), vec![1 << 30; 7]).is_err());
        assert!(IntLinear::from_parts(20, 7, 3, int.weight().to_vec(), int.bias().to_vec()).is_err());
    }

    #[test]
    fn conv_matches_its_fake_quant_twin() {
        let conv = conv_down::<Cpu>(6, 5, 5, &Default::default());
        let (x, xi) = input(6, 11, 9);
        let int = IntConv::from_conv(&conv).unwrap();
        let out = int.forward(&xi).unwrap();
        assert_eq!((out.channels, out.height, out.width), (5, 6, 5));
        compare(fake_quant_conv(&conv, x), out);
    }

    /// The blocked, pixel-major integer convolution equals the plain definition exactly
    /// (strides, padding, 1-D kernels, ReLU zeros in the input, several pixel blocks).
    #[test]
    fn conv_equals_the_direct_integer_sum() {
        let device = Default::default();
        let one_d = crate::nn::conv1d_down::<Cpu>(4, 6, 2, &device);
        let three = burn::nn::conv::Conv2dConfig::new([7, 9], [3, 3]).with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1)).init::<Cpu>(&device);
        for (conv, (c, h, w)) in [(conv_down::<Cpu>(6, 5, 5, &device), (6, 13, 9)), (three, (7, 10, 11)), (one_d, (4, 1, 50))] {
            let int = IntConv::from_conv(&conv).unwrap();
            let x = input(c, h, w).1.relu();
            let out = int.forward(&x).unwrap();
            let ([kh, kw], [sh, sw], [ph, pw]) = (int.kernel, int.stride, int.padding);
            let (weight, bias, exponent) = (int.layer.weight(), int.layer.bias(), int.layer.exponent());
            let round = if exponent > 0 { 1i32 << (exponent - 1) } else { 0 };
            for o in 0..int.cout {
                for oy in 0..out.height {
                    for ox in 0..out.width {
                        let mut acc = bias[o];
                        for i in 0..c {
                            for ky in 0..kh {
                                for kx in 0..kw {
                                    let (iy, ix) = ((oy * sh + ky) as isize - ph as isize, (ox * sw + kx) as isize - pw as isize);
                                    if (0..h as isize).contains(&iy) && (0..w as isize).contains(&ix) {
                                        acc += weight[((i * kh + ky) * kw + kx) * int.cout + o] * x.data[(i * h + iy as usize) * w + ix as usize];
                                    }
                                }
                            }
                        }
                        let expected = ((acc + round) >> exponent).clamp(ACT_MIN, ACT_MAX);
                        assert_eq!(out.data[(o * out.height + oy) * out.width + ox], expected, "output ({o}, {oy}, {ox})");
                    }
                }
            }
        }
    }

    #[test]
    fn conv_transpose_matches_its_fake_quant_twin() {
        let conv = conv_up::<Cpu>(4, 7, 5, &Default::default());
        let (x, xi) = input(4, 5, 3);
        let int = IntConv::from_conv_transpose(&conv).unwrap();
        let out = int.forward(&xi).unwrap();
        assert_eq!((out.channels, out.height, out.width), (7, 10, 6));
        compare(fake_quant_conv_transpose(&conv, x), out);
    }

    #[test]
    fn one_d_layers_match_their_fake_quant_twins() {
        let device = Default::default();
        let (x, xi) = input(6, 1, 40);
        let down = crate::nn::conv1d_down::<Cpu>(6, 5, 4, &device);
        let out = IntConv::from_conv(&down).unwrap().forward(&xi).unwrap();
        assert_eq!((out.channels, out.height, out.width), (5, 1, 10));
        compare(fake_quant_conv(&down, x.clone()), out);
        let up = crate::nn::conv1d_up::<Cpu>(6, 3, 5, &device);
        let out = IntConv::from_conv_transpose(&up).unwrap().forward(&xi).unwrap();
        assert_eq!((out.channels, out.height, out.width), (3, 1, 200));
        compare(fake_quant_conv_transpose(&up, x), out);
    }

    #[test]
    fn activations_round_half_up_and_clamp() {
        let x = Tensor::<Cpu, 1>::from_data(TensorData::new(vec![0.03125f32, -0.03125, 1000.0, -1000.0, 0.1], [5]), &Default::default());
        let q: Vec<f32> = fake_quant_act(x).into_data().to_vec().unwrap();
        assert_eq!(q, [0.0625, 0.0, ACT_MAX as f32 / 16.0, ACT_MIN as f32 / 16.0, 0.125]);
        let t = IntTensor::from_f32(1, 1, 5, &[0.03125, -0.03125, 1000.0, -1000.0, 0.1]);
        assert_eq!(t.data, [1, 0, ACT_MAX, ACT_MIN, 2]);
    }

    #[test]
    fn fan_in_is_bounded() {
        let conv = conv_down::<Cpu>(200, 2, 5, &Default::default());
        assert!(IntConv::from_conv(&conv).is_err());
    }
}
