//! 2-D layers on plain `f32` slices: the CPU inference form of the image transforms (strided
//! `k × k` convolutions, their transposes, GDN) for coding. Feature maps are pixel-major
//! (`[H, W, C]`), so that the kernel's taps along a row of the input are one contiguous run. A
//! convolution copies the neighbourhoods of a block of output pixels into the rows of a matrix
//! (im2col) and multiplies it by the weights in one product (`matrixmultiply`, through
//! `ndarray`, whose threading runs products this large on every core). A stride-2 transposed
//! convolution reads the 3 × 3 neighbourhood of each input pixel: each output phase (the
//! output pixels `(2y + a, 2x + b)`) is a stride-1 convolution over the taps it uses, its
//! results written to its pixels of the output (sub-pixel convolution). Every output is summed
//! in a fixed order, so a result depends on the input alone, not on the thread count. The burn
//! layers stay the training form; tests hold the two to float rounding.

use burn::nn::conv::{Conv2d as BurnConv2d, ConvTranspose2d};
use burn::nn::PaddingConfig2d;
use burn::tensor::backend::Backend;
use rayon::prelude::*;

use super::plain::{bias_of, matmul_add, View};
use super::{to_vec, Gdn};
use crate::{Error, Result};

/// Values per matrix-product block (the im2col rows of a block of output pixels): large enough
/// that the product is worth splitting over threads, small enough to stay in the caches.
const BLOCK_VALUES: usize = 1 << 20;

/// Feature maps `[height, width, channels]`, pixel-major.
#[derive(Clone, Debug, PartialEq)]
pub struct FeatureMap {
    /// Rows.
    pub height: usize,
    /// Columns.
    pub width: usize,
    /// Values per pixel.
    pub channels: usize,
    /// `height · width · channels` values, pixel by pixel.
    pub data: Vec<f32>,
}

impl FeatureMap {
    /// Pixel-major maps from planar ones (`[channels, height, width]`).
    pub fn from_planar(planes: &[f32], channels: usize, height: usize, width: usize) -> Self {
        let plane = height * width;
        debug_assert_eq!(planes.len(), channels * plane);
        let mut data = vec![0.0; planes.len()];
        for (c, values) in planes.chunks_exact(plane.max(1)).enumerate() {
            for (p, &v) in values.iter().enumerate() {
                data[p * channels + c] = v;
            }
        }
        Self { height, width, channels, data }
    }

    /// The maps as planes, `[channels, height, width]`.
    pub fn to_planar(&self) -> Vec<f32> {
        let plane = self.height * self.width;
        let mut planes = vec![0.0; self.data.len()];
        for (p, pixel) in self.data.chunks_exact(self.channels.max(1)).enumerate() {
            for (c, &v) in pixel.iter().enumerate() {
                planes[c * plane + p] = v;
            }
        }
        planes
    }
}

/// The `kernel × kernel` neighbourhoods a convolution reads, with stride and zero padding.
#[derive(Clone, Copy)]
struct Window {
    kernel: usize,
    stride: usize,
    pad: usize,
    channels: usize,
}

impl Window {
    /// Output size for an input of `height × width` (0 where the padded input is smaller than
    /// the kernel).
    fn output_size(&self, height: usize, width: usize) -> (usize, usize) {
        let out = |len: usize| (len + 2 * self.pad).checked_sub(self.kernel).map_or(0, |span| span / self.stride + 1);
        (out(height), out(width))
    }

    /// Values in one im2col row.
    fn row_len(&self) -> usize {
        self.kernel * self.kernel * self.channels
    }

    /// Output rows per block of the matrix products (at least one).
    fn rows_per_block(&self, width: usize) -> usize {
        (BLOCK_VALUES / (width * self.row_len()).max(1)).max(1)
    }

    /// The im2col rows of output row `oy`, in (ky, kx, channel) order: for each output pixel,
    /// its neighbourhood of input pixels (zeros outside the input).
    fn gather_row(&self, x: &FeatureMap, oy: usize, rows: &mut [f32]) {
        let (k, c) = (self.kernel, self.channels);
        let span = k * c;
        for (ox, row) in rows.chunks_mut(k * span).enumerate() {
            let left = (ox * self.stride) as isize - self.pad as isize;
            for (ky, taps) in row.chunks_mut(span).enumerate() {
                let iy = (oy * self.stride + ky) as isize - self.pad as isize;
                if iy < 0 || iy >= x.height as isize {
                    taps.fill(0.0);
                    continue;
                }
                let line = &x.data[iy as usize * x.width * c..(iy as usize + 1) * x.width * c];
                if left >= 0 && left as usize + k <= x.width {
                    taps.copy_from_slice(&line[left as usize * c..(left as usize + k) * c]);
                    continue;
                }
                for (kx, tap) in taps.chunks_mut(c).enumerate() {
                    let ix = left + kx as isize;
                    if ix < 0 || ix >= x.width as isize {
                        tap.fill(0.0);
                    } else {
                        tap.copy_from_slice(&line[ix as usize * c..(ix as usize + 1) * c]);
                    }
                }
            }
        }
    }

    /// Runs `block(first_row, rows, cols)` over blocks of output rows, `cols` holding the
    /// blocks' im2col rows.
    fn for_each_block(&self, x: &FeatureMap, mut block: impl FnMut(usize, usize, &[f32])) {
        let (height, width) = self.output_size(x.height, x.width);
        let rows_per_block = self.rows_per_block(width);
        let mut cols = vec![0.0; rows_per_block.min(height) * width * self.row_len()];
        for first in (0..height).step_by(rows_per_block) {
            let rows = rows_per_block.min(height - first);
            let cols = &mut cols[..rows * width * self.row_len()];
            for (r, row) in cols.chunks_mut((width * self.row_len()).max(1)).enumerate() {
                self.gather_row(x, first + r, row);
            }
            block(first, rows, cols);
        }
    }
}

/// `values` filled with `pattern` repeated.
fn fill_repeated(values: &mut [f32], pattern: &[f32]) {
    values.chunks_exact_mut(pattern.len()).for_each(|v| v.copy_from_slice(pattern));
}

/// A square convolution with stride and zero padding: `[H, W, cin] → [H′, W′, cout]`.
pub struct Conv2d {
    window: Window,
    cout: usize,
    /// `[kernel · kernel · cin, cout]`, rows in (ky, kx, input channel) order.
    weight: Vec<f32>,
    bias: Vec<f32>,
}

impl Conv2d {
    /// The layer of a trained burn convolution with a square kernel, equal strides and equal
    /// padding on every side.
    pub fn from_conv<B: Backend>(conv: &BurnConv2d<B>) -> Result<Self> {
        let [cout, cin, kh, kw] = conv.weight.dims();
        let pad = match conv.padding {
            PaddingConfig2d::Explicit(a, b, c, d) if a == b && b == c && c == d => a,
            PaddingConfig2d::Valid => 0,
            _ => return Err(Error::Model("2-D convolution needs equal explicit padding on every side".into())),
        };
        if kh != kw || conv.groups != 1 || conv.stride[0] != conv.stride[1] || conv.dilation != [1, 1] || pad >= kh {
            return Err(Error::Model("2-D convolution needs a square kernel, equal strides, no groups or dilation".into()));
        }
        let w = to_vec(conv.weight.val())?;
        let mut weight = vec![0.0; w.len()];
        for o in 0..cout {
            for i in 0..cin {
                for ky in 0..kh {
                    for kx in 0..kw {
                        weight[((ky * kw + kx) * cin + i) * cout + o] = w[((o * cin + i) * kh + ky) * kw + kx];
                    }
                }
            }
        }
        let window = Window { kernel: kh, stride: conv.stride[0], pad, channels: cin };
        Ok(Self { window, cout, weight, bias: bias_of(&conv.bias, cout)? })
    }

    /// Output size for an input of `height × width` (0 where the padded input is smaller than
    /// the kernel).
    pub fn output_size(&self, height: usize, width: usize) -> (usize, usize) {
        self.window.output_size(height, width)
    }

    /// Applies the layer.
    pub fn forward(&self, x: &FeatureMap) -> FeatureMap {
        debug_assert_eq!(x.channels, self.window.channels);
        let (height, width) = self.output_size(x.height, x.width);
        let (c, k) = (self.cout, self.window.row_len());
        let mut data = vec![0.0; height * width * c];
        fill_repeated(&mut data, &self.bias);
        self.window.for_each_block(x, |first, rows, cols| {
            let out = &mut data[first * width * c..(first + rows) * width * c];
            let whole = |row| View { offset: 0, row, col: 1 };
            matmul_add(rows * width, c, k, out, whole(c), cols, whole(k), &self.weight, whole(c));
        });
        FeatureMap { height, width, channels: c, data }
    }
}

/// Output phases of a [`ConvUp2d`] computed in one set of matrix products: the taps
/// `rows × cols` of the 3 × 3 neighbourhood they read and the phases `(a, b)` (output pixels
/// `(2y + a, 2x + b)`) they write, side by side in the products' columns.
struct PhaseGroup {
    rows: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
    phases: Vec<(usize, usize)>,
    /// `[rows · cols · cin, phases · cout]`, rows in (ey, ex, input channel) order.
    weight: Vec<f32>,
    bias: Vec<f32>,
}

/// Output channels from which each phase of a [`ConvUp2d`] gets its own products (reading only
/// its taps, 25/36 of the multiply-adds); narrower layers compute the four phases in one
/// product, since products a few columns wide run far below the kernels' speed.
const SEPARATE_PHASES_FROM: usize = 16;

/// A transposed convolution that doubles the size exactly (stride 2, a 3 × 3 or 5 × 5 kernel,
/// padding `k / 2`, output padding 1): `[H, W, cin] → [2H, 2W, cout]`, as stride-1 products
/// over the input's 3 × 3 neighbourhoods.
pub struct ConvUp2d {
    /// 3 × 3 neighbourhoods, stride 1, padding 1.
    window: Window,
    cout: usize,
    groups: Vec<PhaseGroup>,
}

impl ConvUp2d {
    /// The layer of a trained burn transposed convolution of that shape.
    pub fn from_conv_transpose<B: Backend>(conv: &ConvTranspose2d<B>) -> Result<Self> {
        let [cin, cout, kh, kw] = conv.weight.dims();
        let pad = kh / 2;
        if kh != kw || !(kh == 3 || kh == 5) || conv.groups != 1 || conv.stride != [2, 2] || conv.dilation != [1, 1] || conv.padding != [pad, pad] || conv.padding_out != [1, 1] {
            return Err(Error::Model("a doubling transposed convolution needs a 3 × 3 or 5 × 5 kernel, stride 2, padding k/2 and output padding 1".into()));
        }
        let w = to_vec(conv.weight.val())?;
        let bias = bias_of(&conv.bias, cout)?;
        // Output `2y + a` takes input `y + d` through tap `a + pad − 2d`; with `pad ≤ 2`, `d`
        // lies in −1..=1: the 3 × 3 neighbourhood `e = d + 1`. Every phase uses some taps.
        let tap = |phase: usize, e: usize| (phase + pad + 2).checked_sub(2 * e).filter(|&t| t < kh);
        // The neighbourhood rows (or columns) phase `a` reads: contiguous, as the tap falls with `e`.
        let used = |phase: usize| {
            let es: Vec<usize> = (0..3).filter(|&e| tap(phase, e).is_some()).collect();
            es[0]..es[es.len() - 1] + 1
        };
        let group = |rows: std::ops::Range<usize>, cols: std::ops::Range<usize>, phases: Vec<(usize, usize)>| {
            let n = phases.len() * cout;
            let mut weight = vec![0.0; rows.len() * cols.len() * cin * n];
            for (j, ey) in rows.clone().enumerate() {
                for (l, ex) in cols.clone().enumerate() {
                    for (g, &(a, b)) in phases.iter().enumerate() {
                        let (Some(ky), Some(kx)) = (tap(a, ey), tap(b, ex)) else { continue };
                        for i in 0..cin {
                            let row = ((j * cols.len() + l) * cin + i) * n + g * cout;
                            for o in 0..cout {
                                weight[row + o] = w[((i * cout + o) * kh + ky) * kw + kx];
                            }
                        }
                    }
                }
            }
            PhaseGroup { rows, cols, bias: bias.repeat(phases.len()), phases, weight }
        };
        let phases = [(0, 0), (0, 1), (1, 0), (1, 1)];
        let groups = if cout >= SEPARATE_PHASES_FROM {
            phases.into_iter().map(|(a, b)| group(used(a), used(b), vec![(a, b)])).collect()
        } else {
            vec![group(0..3, 0..3, phases.to_vec())]
        };
        Ok(Self { window: Window { kernel: 3, stride: 1, pad: 1, channels: cin }, cout, groups })
    }

    /// Applies the layer.
    pub fn forward(&self, x: &FeatureMap) -> FeatureMap {
        debug_assert_eq!(x.channels, self.window.channels);
        let (c, cin, k) = (self.cout, self.window.channels, self.window.row_len());
        let (height, width) = (2 * x.height, 2 * x.width);
        let mut data = vec![0.0; height * width * c];
        let widest = self.groups.iter().map(|g| g.phases.len()).max().unwrap_or(0);
        let mut products = vec![0.0; self.window.rows_per_block(x.width).min(x.height) * x.width * widest * c];
        self.window.for_each_block(x, |first, rows, cols| {
            let pixels = rows * x.width;
            for group in &self.groups {
                let n = group.phases.len() * c;
                let products = &mut products[..pixels * n];
                fill_repeated(products, &group.bias);
                let depth = group.cols.len() * cin;
                for (j, ey) in group.rows.clone().enumerate() {
                    let taps = View { offset: (ey * 3 + group.cols.start) * cin, row: k, col: 1 };
                    let weight = View { offset: j * depth * n, row: n, col: 1 };
                    matmul_add(pixels, n, depth, products, View { offset: 0, row: n, col: 1 }, cols, taps, &group.weight, weight);
                }
                for (p, values) in products.chunks_exact(n).enumerate() {
                    let (iy, ix) = (first + p / x.width, p % x.width);
                    for (&(a, b), values) in group.phases.iter().zip(values.chunks_exact(c)) {
                        let at = ((2 * iy + a) * width + 2 * ix + b) * c;
                        data[at..at + c].copy_from_slice(values);
                    }
                }
            }
        });
        FeatureMap { height, width, channels: c, data }
    }
}

/// GDN or inverse GDN over the channels of pixel-major maps.
pub struct Gdn2d {
    channels: usize,
    beta: Vec<f32>,
    /// `gammaᵀ`, `[C, C]`: row `j` holds `γ_ij` for every output channel `i`.
    gamma_t: Vec<f32>,
    inverse: bool,
}

impl Gdn2d {
    /// The layer of a trained [`Gdn`].
    pub fn from_gdn<B: Backend>(gdn: &Gdn<B>) -> Result<Self> {
        let (beta, gamma, inverse) = gdn.effective_params();
        Ok(Self { channels: beta.dims()[0], beta: to_vec(beta)?, gamma_t: to_vec(gamma.transpose())?, inverse })
    }

    /// Applies the layer in place.
    pub fn forward(&self, x: &mut FeatureMap) {
        let c = self.channels;
        debug_assert_eq!(x.channels, c);
        let block = (BLOCK_VALUES / c).max(1) * c;
        let mut squared = vec![0.0; block.min(x.data.len())];
        let mut norm = vec![0.0; squared.len()];
        for values in x.data.chunks_mut(block) {
            let (squared, norm) = (&mut squared[..values.len()], &mut norm[..values.len()]);
            // The element-wise steps run on every core too (each value on its own: any split
            // gives the same result).
            squared.par_iter_mut().zip(values.par_iter()).for_each(|(s, v)| *s = v * v);
            fill_repeated(norm, &self.beta);
            let whole = View { offset: 0, row: c, col: 1 };
            matmul_add(values.len() / c, c, c, norm, whole, squared, whole, &self.gamma_t, whole);
            let pairs = values.par_iter_mut().zip(norm.par_iter());
            if self.inverse {
                pairs.for_each(|(v, n)| *v *= n.sqrt());
            } else {
                pairs.for_each(|(v, n)| *v /= n.sqrt());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::conv::{Conv2dConfig, ConvTranspose2dConfig};
    use burn::tensor::{Distribution, Tensor};

    use super::*;
    use crate::codec::Cpu;
    use crate::nn::{conv_down, conv_up};

    fn random(shape: [usize; 4]) -> Tensor<Cpu, 4> {
        Tensor::random(shape, Distribution::Uniform(-1.0, 1.0), &Default::default())
    }

    fn maps(t: &Tensor<Cpu, 4>) -> FeatureMap {
        let [_, c, h, w] = t.dims();
        FeatureMap::from_planar(&to_vec(t.clone()).unwrap(), c, h, w)
    }

    fn worst(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max)
    }

    #[test]
    fn planar_round_trip() {
        let planes: Vec<f32> = (0..24).map(|v| v as f32).collect();
        let maps = FeatureMap::from_planar(&planes, 2, 3, 4);
        assert_eq!(&maps.data[..4], &[0.0, 12.0, 1.0, 13.0]);
        assert_eq!(maps.to_planar(), planes);
    }

    /// The image transforms' convolutions (5 × 5 stride 2, 3 and 64 input channels), a
    /// stride-1 one and an input smaller than the kernel, over sizes that are odd and that span
    /// several blocks, equal burn's.
    #[test]
    fn convolutions_equal_burn() {
        let device = Default::default();
        for (cin, cout, k, stride, h, w) in [(3, 16, 5, 2, 37, 50), (64, 24, 5, 2, 40, 130), (8, 5, 3, 1, 9, 7), (4, 4, 5, 2, 1, 2)] {
            let conv = Conv2dConfig::new([cin, cout], [k, k])
                .with_stride([stride, stride])
                .with_padding(PaddingConfig2d::Explicit(k / 2, k / 2, k / 2, k / 2))
                .init::<Cpu>(&device);
            let x = random([1, cin, h, w]);
            let expected = maps(&conv.forward(x.clone()));
            let out = Conv2d::from_conv(&conv).unwrap().forward(&maps(&x));
            assert_eq!((out.height, out.width, out.channels), (expected.height, expected.width, cout));
            assert!(worst(&out.data, &expected.data) < 1e-4, "conv {cin}→{cout} k{k} s{stride} {h}×{w}: {}", worst(&out.data, &expected.data));
        }
        let down = Conv2d::from_conv(&conv_down::<Cpu>(2, 3, 5, &device)).unwrap();
        assert_eq!(down.output_size(64, 33), (32, 17));
        let valid = Conv2d::from_conv(&Conv2dConfig::new([2, 2], [5, 5]).init::<Cpu>(&device)).unwrap();
        let empty = valid.forward(&FeatureMap { height: 3, width: 3, channels: 2, data: vec![0.5; 18] });
        assert_eq!((empty.height, empty.width, empty.data.len()), (0, 0, 0), "an input smaller than the kernel has no outputs");
    }

    #[test]
    fn doubling_transposed_convolutions_equal_burn() {
        let device = Default::default();
        for (cin, cout, k, h, w) in [(24, 16, 5, 21, 30), (16, 3, 5, 40, 9), (8, 16, 3, 11, 6), (5, 4, 3, 6, 7), (3, 2, 5, 1, 1)] {
            let conv = conv_up::<Cpu>(cin, cout, k, &device);
            let x = random([1, cin, h, w]);
            let expected = maps(&conv.forward(x.clone()));
            let out = ConvUp2d::from_conv_transpose(&conv).unwrap().forward(&maps(&x));
            assert_eq!((out.height, out.width, out.channels), (2 * h, 2 * w, cout));
            assert!(worst(&out.data, &expected.data) < 1e-4, "transposed conv {cin}→{cout} k{k} {h}×{w}: {}", worst(&out.data, &expected.data));
        }
        let stride_three = ConvTranspose2dConfig::new([2, 2], [5, 5]).with_stride([3, 3]).with_padding([2, 2]).init::<Cpu>(&device);
        assert!(ConvUp2d::from_conv_transpose(&stride_three).is_err());
        assert!(ConvUp2d::from_conv_transpose(&conv_up::<Cpu>(2, 16, 1, &device)).is_err(), "a 1 × 1 kernel leaves phases without taps");
    }

    /// GDN and its inverse with trained-looking (non-identity) parameters equal burn's.
    #[test]
    fn gdn_equals_burn() {
        let device = Default::default();
        for inverse in [false, true] {
            let gdn = Gdn::<Cpu>::new(16, inverse, &device).perturbed(0.3);
            let x = random([1, 16, 70, 300]).mul_scalar(3.0);
            let expected = maps(&gdn.forward(x.clone()));
            let mut out = maps(&x);
            Gdn2d::from_gdn(&gdn).unwrap().forward(&mut out);
            assert!(worst(&out.data, &expected.data) < 1e-4, "inverse {inverse}: {}", worst(&out.data, &expected.data));
        }
    }
}
