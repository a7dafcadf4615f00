//! The analysis and synthesis transforms shared by the image models (Ballé et al. 2018):
//! four 5×5 stride-2 convolutions with GDN between them, and their mirror with IGDN.

use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use crate::nn::{conv_down, conv_up, Gdn};

/// Downsampling factor of the analysis transform.
pub const DOWNSAMPLING: usize = 16;
const KERNEL: usize = 5;

/// Analysis transform g_a: image `[B, 3, H, W]` in [0, 1] → latent `[B, M, H/16, W/16]`.
#[derive(Module, Debug)]
pub struct Analysis<B: Backend> {
    convs: Vec<Conv2d<B>>,
    gdns: Vec<Gdn<B>>,
}

/// Synthesis transform g_s: latent → image (unclamped).
#[derive(Module, Debug)]
pub struct Synthesis<B: Backend> {
    convs: Vec<ConvTranspose2d<B>>,
    igdns: Vec<Gdn<B>>,
}

impl<B: Backend> Analysis<B> {
    /// A new transform with hidden width `n` and `m` latent channels.
    pub fn new(n: usize, m: usize, device: &B::Device) -> Self {
        let widths = [3, n, n, n, m];
        Self {
            convs: (0..4).map(|i| conv_down(widths[i], widths[i + 1], KERNEL, device)).collect(),
            gdns: (0..3).map(|_| Gdn::new(n, false, device)).collect(),
        }
    }

    /// Applies the transform.
    pub fn forward(&self, x: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut h = x;
        for (i, conv) in self.convs.iter().enumerate() {
            h = conv.forward(h);
            if let Some(gdn) = self.gdns.get(i) {
                h = gdn.forward(h);
            }
        }
        h
    }

    /// The last convolution (its output channels are the latent's).
    pub(super) fn last_conv_mut(&mut self) -> &mut Conv2d<B> {
        self.convs.last_mut().expect("four convolutions")
    }

    /// Consumes the transform, keeping its last convolution.
    pub(super) fn into_last_conv(mut self) -> Conv2d<B> {
        self.convs.pop().expect("four convolutions")
    }
}

impl<B: Backend> Synthesis<B> {
    /// A new transform from `m` latent channels through hidden width `n` to RGB.
    pub fn new(n: usize, m: usize, device: &B::Device) -> Self {
        let widths = [m, n, n, n, 3];
        Self {
            convs: (0..4).map(|i| conv_up(widths[i], widths[i + 1], KERNEL, device)).collect(),
            igdns: (0..3).map(|_| Gdn::new(n, true, device)).collect(),
        }
    }

    /// Applies the transform.
    pub fn forward(&self, y: Tensor<B, 4>) -> Tensor<B, 4> {
        let mut h = y;
        for (i, conv) in self.convs.iter().enumerate() {
            h = conv.forward(h);
            if let Some(igdn) = self.igdns.get(i) {
                h = igdn.forward(h);
            }
        }
        h
    }

    /// The first (transposed) convolution (its input channels are the latent's).
    pub(super) fn first_conv_mut(&mut self) -> &mut ConvTranspose2d<B> {
        &mut self.convs[0]
    }
}
