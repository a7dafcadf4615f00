//! Convolution helpers with the padding conventions of learned codecs. 1-D layers (audio) are
//! 2-D layers over `[B, C, 1, T]` with `1×k` kernels, so that the fixed-point layers serve both.

use burn::nn::conv::{Conv2d, Conv2dConfig, ConvTranspose2d, ConvTranspose2dConfig};
use burn::nn::PaddingConfig2d;
use burn::tensor::backend::Backend;

/// A `k`×`k` convolution with stride 2 that halves the spatial size (padding `k / 2`).
pub fn conv_down<B: Backend>(cin: usize, cout: usize, k: usize, device: &B::Device) -> Conv2d<B> {
    Conv2dConfig::new([cin, cout], [k, k])
        .with_stride([2, 2])
        .with_padding(PaddingConfig2d::Explicit(k / 2, k / 2, k / 2, k / 2))
        .init(device)
}

/// A `k`×`k` transposed convolution with stride 2 that doubles the spatial size exactly.
pub fn conv_up<B: Backend>(cin: usize, cout: usize, k: usize, device: &B::Device) -> ConvTranspose2d<B> {
    ConvTranspose2dConfig::new([cin, cout], [k, k])
        .with_stride([2, 2])
        .with_padding([k / 2, k / 2])
        .with_padding_out([1, 1])
        .init(device)
}

/// A 1-D convolution of odd width `k` that keeps the length (padding `k / 2`).
pub fn conv1d<B: Backend>(cin: usize, cout: usize, k: usize, device: &B::Device) -> Conv2d<B> {
    Conv2dConfig::new([cin, cout], [1, k]).with_padding(PaddingConfig2d::Explicit(0, k / 2, 0, k / 2)).init(device)
}

/// Kernel width and padding of a 1-D layer that resamples by `stride` exactly: `2s` taps with
/// padding `s/2` for even strides, `2s + 1` taps with padding `(s + 1)/2` for odd ones.
fn resampling_kernel(stride: usize) -> (usize, usize) {
    if stride.is_multiple_of(2) { (2 * stride, stride / 2) } else { (2 * stride + 1, stride.div_ceil(2)) }
}

/// A 1-D convolution that divides the length by `stride` (lengths that are multiples of it).
pub fn conv1d_down<B: Backend>(cin: usize, cout: usize, stride: usize, device: &B::Device) -> Conv2d<B> {
    let (k, p) = resampling_kernel(stride);
    Conv2dConfig::new([cin, cout], [1, k]).with_stride([1, stride]).with_padding(PaddingConfig2d::Explicit(0, p, 0, p)).init(device)
}

/// A 1-D transposed convolution that multiplies the length by `stride` exactly.
pub fn conv1d_up<B: Backend>(cin: usize, cout: usize, stride: usize, device: &B::Device) -> ConvTranspose2d<B> {
    let (k, p) = resampling_kernel(stride);
    ConvTranspose2dConfig::new([cin, cout], [1, k]).with_stride([1, stride]).with_padding([0, p]).init(device)
}

#[cfg(test)]
mod tests {
    use burn::tensor::Tensor;

    use super::*;
    use crate::codec::Cpu;

    #[test]
    fn one_d_layers_resample_exactly() {
        let device = Default::default();
        for stride in [2, 4, 5, 8] {
            let x = Tensor::<Cpu, 4>::zeros([1, 3, 1, 40 * stride], &device);
            let down = conv1d_down::<Cpu>(3, 4, stride, &device).forward(x);
            assert_eq!(down.dims(), [1, 4, 1, 40]);
            let up = conv1d_up::<Cpu>(4, 2, stride, &device).forward(down);
            assert_eq!(up.dims(), [1, 2, 1, 40 * stride]);
        }
        let same = conv1d::<Cpu>(2, 5, 7, &device).forward(Tensor::zeros([2, 2, 1, 33], &device));
        assert_eq!(same.dims(), [2, 5, 1, 33]);
    }
}
