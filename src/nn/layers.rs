//! Convolution helpers with the padding conventions of learned image codecs.

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
