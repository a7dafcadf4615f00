//! 1-D layers on plain `f32` slices: the CPU inference form of burn's 1-D layers (`Conv2d` and
//! `ConvTranspose2d` with `1 × k` kernels, GDN, ELU) for coding. Signals are `[C, T]`, row by
//! row. A convolution is one matrix product per tap over a strided view of its input (no
//! im2col copies), in blocks of output columns that stay in cache while every tap adds to them,
//! on the calling thread, each output summed in a fixed order, so a result depends on the input alone, not on the
//! thread count. The burn layers stay the training form; tests hold the two to float
//! rounding.

use std::borrow::Cow;

use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::nn::PaddingConfig2d;
use burn::tensor::backend::Backend;
use ndarray::linalg::general_mat_mul;
use ndarray::{ArrayView2, ArrayViewMut2, ShapeBuilder};

use super::{to_vec, Gdn};
use crate::{Error, Result};

/// Output columns per matrix product of an `m × k` matrix: small enough that a block of outputs
/// stays in cache while the taps add to it, and that `matrixmultiply` runs the product on the
/// calling thread (its threading starts at `(m + n)·k ≥ 2^15`; segments already run in
/// parallel, and more threads only contended with them: 1.3× slower measured).
fn block_cols(m: usize, k: usize) -> usize {
    ((1 << 15) / k.max(1)).saturating_sub(m + 1).max(16)
}

/// A strided matrix inside a slice: element `(r, c)` at `offset + r·row + c·col`.
#[derive(Clone, Copy)]
pub(super) struct View {
    pub(super) offset: usize,
    pub(super) row: usize,
    pub(super) col: usize,
}

/// `dst += lhs · rhs` for an `m × k` `lhs` and a `k × n` `rhs` (ndarray's matrix product, i.e.
/// `matrixmultiply`'s strided kernels).
#[allow(clippy::too_many_arguments)]
pub(super) fn matmul_add(m: usize, n: usize, k: usize, dst: &mut [f32], d: View, lhs: &[f32], l: View, rhs: &[f32], r: View) {
    const FITS: &str = "matrix view inside its slice";
    let mut dst = ArrayViewMut2::from_shape((m, n).strides((d.row, d.col)), &mut dst[d.offset..]).expect(FITS);
    let lhs = ArrayView2::from_shape((m, k).strides((l.row, l.col)), &lhs[l.offset..]).expect(FITS);
    let rhs = ArrayView2::from_shape((k, n).strides((r.row, r.col)), &rhs[r.offset..]).expect(FITS);
    general_mat_mul(1.0, &lhs, &rhs, 1.0, &mut dst);
}

/// Weights `[cout, cin, taps]` (burn's order, `swap` for `[cin, cout, taps]`) as one `[cout, cin]`
/// matrix per tap.
fn per_tap(w: &[f32], cout: usize, cin: usize, taps: usize, swap: bool) -> Vec<f32> {
    let mut out = vec![0.0; w.len()];
    for o in 0..cout {
        for i in 0..cin {
            for j in 0..taps {
                let from = if swap { (i * cout + o) * taps + j } else { (o * cin + i) * taps + j };
                out[(j * cout + o) * cin + i] = w[from];
            }
        }
    }
    out
}

pub(super) fn bias_of<B: Backend>(bias: &Option<burn::module::Param<burn::tensor::Tensor<B, 1>>>, cout: usize) -> Result<Vec<f32>> {
    bias.as_ref().map_or(Ok(vec![0.0; cout]), |b| to_vec(b.val()))
}

/// A 1-D convolution: `[cin, T] → [cout, T′]`, with stride, dilation and zero padding.
pub struct Conv1d {
    cin: usize,
    cout: usize,
    taps: usize,
    stride: usize,
    dilation: usize,
    pad: usize,
    /// `[taps, cout, cin]`.
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Conv1d {
    /// The layer of a trained burn convolution with a `1 × k` kernel and symmetric padding.
    pub fn from_conv<B: Backend>(conv: &Conv2d<B>) -> Result<Self> {
        let [cout, cin, height, taps] = conv.weight.dims();
        let pad = match conv.padding {
            PaddingConfig2d::Explicit(0, left, 0, right) if left == right => left,
            PaddingConfig2d::Valid => 0,
            _ => return Err(Error::Model("1-D convolution needs symmetric padding along time only".into())),
        };
        if height != 1 || conv.groups != 1 || conv.stride[0] != 1 || conv.dilation[0] != 1 {
            return Err(Error::Model("1-D convolution needs a 1 × k kernel and no groups".into()));
        }
        let weight = per_tap(&to_vec(conv.weight.val())?, cout, cin, taps, false);
        let (stride, dilation) = (conv.stride[1], conv.dilation[1]);
        Ok(Self { cin, cout, taps, stride, dilation, pad, weight, bias: bias_of(&conv.bias, cout)? })
    }

    /// Output length for `len` input samples (0 when the padded input is shorter than the kernel).
    pub fn output_len(&self, len: usize) -> usize {
        (len + 2 * self.pad).checked_sub(self.dilation * (self.taps - 1) + 1).map_or(0, |span| span / self.stride + 1)
    }

    /// Applies the layer to `[cin, len]`.
    pub fn forward(&self, x: &[f32], len: usize) -> Vec<f32> {
        debug_assert_eq!(x.len(), self.cin * len);
        let padded_len = len + 2 * self.pad;
        let input = if self.pad == 0 {
            Cow::Borrowed(x)
        } else {
            let mut padded = vec![0.0; self.cin * padded_len];
            for (dst, src) in padded.chunks_mut(padded_len).zip(x.chunks(len)) {
                dst[self.pad..self.pad + len].copy_from_slice(src);
            }
            Cow::Owned(padded)
        };
        let out_len = self.output_len(len);
        let mut out: Vec<f32> = self.bias.iter().flat_map(|&b| std::iter::repeat_n(b, out_len)).collect();
        let block = block_cols(self.cout, self.cin);
        for start in (0..out_len).step_by(block) {
            let n = block.min(out_len - start);
            for j in 0..self.taps {
                matmul_add(
                    self.cout,
                    n,
                    self.cin,
                    &mut out,
                    View { offset: start, row: out_len, col: 1 },
                    &self.weight,
                    View { offset: j * self.cout * self.cin, row: self.cin, col: 1 },
                    &input,
                    View { offset: start * self.stride + j * self.dilation, row: padded_len, col: self.stride },
                );
            }
        }
        out
    }
}

/// A 1-D transposed convolution: `[cin, T] → [cout, (T − 1)·stride − 2·pad + taps]`.
pub struct ConvTranspose1d {
    cin: usize,
    cout: usize,
    taps: usize,
    stride: usize,
    pad: usize,
    /// `[taps, cout, cin]`.
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl ConvTranspose1d {
    /// The layer of a trained burn transposed convolution with a `1 × k` kernel.
    pub fn from_conv_transpose<B: Backend>(conv: &ConvTranspose2d<B>) -> Result<Self> {
        let [cin, cout, height, taps] = conv.weight.dims();
        if height != 1 || conv.groups != 1 || conv.stride[0] != 1 || conv.dilation != [1, 1] || conv.padding[0] != 0 || conv.padding_out != [0, 0] {
            return Err(Error::Model("1-D transposed convolution needs a 1 × k kernel, no groups, dilation or output padding".into()));
        }
        let (stride, pad) = (conv.stride[1], conv.padding[1]);
        if stride + pad > taps {
            return Err(Error::Model("1-D transposed convolution needs stride + padding ≤ kernel width".into()));
        }
        let weight = per_tap(&to_vec(conv.weight.val())?, cout, cin, taps, true);
        Ok(Self { cin, cout, taps, stride, pad, weight, bias: bias_of(&conv.bias, cout)? })
    }

    /// Output length for `len ≥ 1` input samples.
    pub fn output_len(&self, len: usize) -> usize {
        (len - 1) * self.stride + self.taps - 2 * self.pad
    }

    /// Applies the layer to `[cin, len]` (`len ≥ 1`).
    pub fn forward(&self, x: &[f32], len: usize) -> Vec<f32> {
        debug_assert_eq!(x.len(), self.cin * len);
        // Every product lands at `t·stride + j` of the uncropped output, cropped by `pad` below.
        let full_len = (len - 1) * self.stride + self.taps;
        let mut full = vec![0.0; self.cout * full_len];
        let block = block_cols(self.cout, self.cin);
        for start in (0..len).step_by(block) {
            let n = block.min(len - start);
            for j in 0..self.taps {
                matmul_add(
                    self.cout,
                    n,
                    self.cin,
                    &mut full,
                    View { offset: start * self.stride + j, row: full_len, col: self.stride },
                    &self.weight,
                    View { offset: j * self.cout * self.cin, row: self.cin, col: 1 },
                    x,
                    View { offset: start, row: len, col: 1 },
                );
            }
        }
        let out_len = self.output_len(len);
        full.chunks(full_len).zip(&self.bias).flat_map(|(row, &b)| row[self.pad..self.pad + out_len].iter().map(move |v| v + b)).collect()
    }
}

/// GDN or inverse GDN over the channels of `[C, T]`.
pub struct Gdn1d {
    channels: usize,
    beta: Vec<f32>,
    /// `[C, C]`.
    gamma: Vec<f32>,
    inverse: bool,
}

impl Gdn1d {
    /// The layer of a trained [`Gdn`].
    pub fn from_gdn<B: Backend>(gdn: &Gdn<B>) -> Result<Self> {
        let (beta, gamma, inverse) = gdn.effective_params();
        let beta = to_vec(beta)?;
        Ok(Self { channels: beta.len(), beta, gamma: to_vec(gamma)?, inverse })
    }

    /// Applies the layer to `[C, len]` in place.
    pub fn forward(&self, x: &mut [f32], len: usize) {
        let c = self.channels;
        debug_assert_eq!(x.len(), c * len);
        let block = block_cols(c, c);
        let mut squared = vec![0.0; c * block.min(len)];
        let mut norm = vec![0.0; squared.len()];
        for start in (0..len).step_by(block) {
            let n = block.min(len - start);
            for (ch, row) in squared.chunks_mut(n).take(c).enumerate() {
                row.iter_mut().zip(&x[ch * len + start..]).for_each(|(s, v)| *s = v * v);
            }
            for (row, &b) in norm.chunks_mut(n).zip(&self.beta) {
                row.fill(b);
            }
            matmul_add(c, n, c, &mut norm, View { offset: 0, row: n, col: 1 }, &self.gamma, View { offset: 0, row: c, col: 1 }, &squared, View { offset: 0, row: n, col: 1 });
            for (ch, row) in norm.chunks(n).take(c).enumerate() {
                let values = &mut x[ch * len + start..ch * len + start + n];
                if self.inverse {
                    values.iter_mut().zip(row).for_each(|(v, s)| *v *= s.sqrt());
                } else {
                    values.iter_mut().zip(row).for_each(|(v, s)| *v /= s.sqrt());
                }
            }
        }
    }
}

/// ELU (α = 1) in place.
pub fn elu(x: &mut [f32]) {
    x.iter_mut().filter(|v| **v < 0.0).for_each(|v| *v = v.exp() - 1.0);
}

#[cfg(test)]
mod tests {
    use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
    use burn::tensor::{Distribution, Tensor};

    use super::*;
    use crate::codec::Cpu;

    fn random(shape: [usize; 4]) -> Tensor<Cpu, 4> {
        Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), &Default::default())
    }

    fn worst(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    /// Convolutions of every kind the audio model uses (plain, strided with odd and even
    /// kernels, dilated), over lengths that cross a block boundary, equal burn's.
    #[test]
    fn convolutions_equal_burn() {
        let device = Default::default();
        for (cin, cout, taps, stride, dilation, pad, len) in
            [(1, 16, 7, 1, 1, 3, 5000), (16, 16, 7, 1, 3, 9, 4500), (16, 32, 8, 4, 1, 2, 4800), (32, 64, 11, 5, 1, 3, 500), (8, 3, 1, 1, 1, 0, 40)]
        {
            let conv = Conv2dConfig::new([cin, cout], [1, taps])
                .with_stride([1, stride])
                .with_dilation([1, dilation])
                .with_padding(PaddingConfig2d::Explicit(0, pad, 0, pad))
                .init::<Cpu>(&device);
            let x = random([1, cin, 1, len]);
            let expected = to_vec(conv.forward(x.clone())).unwrap();
            let plain = Conv1d::from_conv(&conv).unwrap();
            let out = plain.forward(&to_vec(x).unwrap(), len);
            assert_eq!(out.len(), cout * plain.output_len(len));
            assert!(worst(&out, &expected) < 1e-4, "conv {cin}→{cout} k{taps} s{stride} d{dilation}: {}", worst(&out, &expected));
        }
        let wide = Conv1d::from_conv(&Conv2dConfig::new([2, 2], [1, 7]).init::<Cpu>(&device)).unwrap();
        assert!(wide.output_len(6) == 0 && wide.forward(&[0.5; 12], 6).is_empty(), "an input shorter than the kernel has no outputs");
    }

    #[test]
    fn transposed_convolutions_equal_burn() {
        let device = Default::default();
        for (cin, cout, stride, len) in [(16, 16, 2, 3000), (64, 32, 5, 600), (128, 64, 8, 75), (4, 4, 4, 1)] {
            let conv = crate::nn::conv1d_up::<Cpu>(cin, cout, stride, &device);
            let x = random([1, cin, 1, len]);
            let expected = to_vec(conv.forward(x.clone())).unwrap();
            let out = ConvTranspose1d::from_conv_transpose(&conv).unwrap().forward(&to_vec(x).unwrap(), len);
            assert_eq!(out.len(), cout * len * stride);
            assert!(worst(&out, &expected) < 1e-4, "transposed conv {cin}→{cout} s{stride}: {}", worst(&out, &expected));
        }
        let odd = ConvTranspose2dConfig::new([3, 2], [1, 5]).with_stride([1, 2]).with_padding([0, 1]).init::<Cpu>(&device);
        let x = random([1, 3, 1, 9]);
        let out = ConvTranspose1d::from_conv_transpose(&odd).unwrap().forward(&to_vec(x.clone()).unwrap(), 9);
        assert!(worst(&out, &to_vec(odd.forward(x)).unwrap()) < 1e-5);
    }

    /// GDN and its inverse with trained-looking (non-identity) parameters equal burn's.
    #[test]
    fn gdn_equals_burn() {
        let device = Default::default();
        for inverse in [false, true] {
            let gdn = Gdn::<Cpu>::new(16, inverse, &device).perturbed(0.3);
            let x = random([1, 16, 1, 4100]).mul_scalar(3.0);
            let expected = to_vec(gdn.forward(x.clone())).unwrap();
            let mut out = to_vec(x).unwrap();
            Gdn1d::from_gdn(&gdn).unwrap().forward(&mut out, 4100);
            assert!(worst(&out, &expected) < 1e-4, "inverse {inverse}: {}", worst(&out, &expected));
        }
    }

    #[test]
    fn elu_matches_its_definition() {
        let mut x = [-3.0f32, -0.5, 0.0, 0.25, 7.0];
        elu(&mut x);
        assert_eq!(x, [(-3.0f32).exp() - 1.0, (-0.5f32).exp() - 1.0, 0.0, 0.25, 7.0]);
    }
}
