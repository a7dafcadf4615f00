//! The analysis and synthesis transforms shared by the image models (Ballé et al. 2018):
//! four 5×5 stride-2 convolutions with GDN between them, and their mirror with IGDN.

use burn::module::Module;
use burn::nn::conv::{Conv2d, ConvTranspose2d};
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use crate::nn::plain2d::{Conv2d as PlainConv2d, ConvUp2d, FeatureMap, Gdn2d};
use crate::nn::{conv_down, conv_up, Gdn};
use crate::Result;

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

    /// The transform on plain slices, as the codecs run it.
    pub fn to_plain(&self) -> Result<PlainAnalysis> {
        Ok(PlainAnalysis {
            convs: self.convs.iter().map(PlainConv2d::from_conv).collect::<Result<_>>()?,
            gdns: self.gdns.iter().map(Gdn2d::from_gdn).collect::<Result<_>>()?,
        })
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

    /// The transform on plain slices, as the codecs run it.
    pub fn to_plain(&self) -> Result<PlainSynthesis> {
        Ok(PlainSynthesis {
            convs: self.convs.iter().map(ConvUp2d::from_conv_transpose).collect::<Result<_>>()?,
            igdns: self.igdns.iter().map(Gdn2d::from_gdn).collect::<Result<_>>()?,
        })
    }

    /// The first (transposed) convolution (its input channels are the latent's).
    pub(super) fn first_conv_mut(&mut self) -> &mut ConvTranspose2d<B> {
        &mut self.convs[0]
    }
}

/// g_a on plain slices ([`crate::nn::plain2d`]): the form the codecs run, equal to
/// [`Analysis`] to float rounding and faster on the CPU than burn `flex`.
pub struct PlainAnalysis {
    convs: Vec<PlainConv2d>,
    gdns: Vec<Gdn2d>,
}

impl PlainAnalysis {
    /// Image `[H, W, 3]` in [0, 1] → latent `[H/16, W/16, M]`.
    pub fn forward(&self, x: &FeatureMap) -> FeatureMap {
        let mut h = self.convs[0].forward(x);
        for (conv, gdn) in self.convs[1..].iter().zip(&self.gdns) {
            gdn.forward(&mut h);
            h = conv.forward(&h);
        }
        h
    }
}

/// g_s on plain slices: the form the codecs run, equal to [`Synthesis`] to float rounding.
pub struct PlainSynthesis {
    convs: Vec<ConvUp2d>,
    igdns: Vec<Gdn2d>,
}

impl PlainSynthesis {
    /// Latent `[h, w, M]` → image `[16h, 16w, 3]` (unclamped).
    pub fn forward(&self, y: &FeatureMap) -> FeatureMap {
        let mut h = self.convs[0].forward(y);
        for (conv, igdn) in self.convs[1..].iter().zip(&self.igdns) {
            igdn.forward(&mut h);
            h = conv.forward(&h);
        }
        h
    }
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, Tensor};

    use super::*;
    use crate::codec::Cpu;
    use crate::nn::to_vec;

    /// The plain transforms equal the burn ones (layer order, shapes, parameters).
    #[test]
    fn plain_transforms_equal_burn() {
        let device = Default::default();
        let (g_a, g_s) = (Analysis::<Cpu>::new(8, 6, &device), Synthesis::<Cpu>::new(8, 6, &device));
        let x = Tensor::<Cpu, 4>::random([1, 3, 48, 80], Distribution::Uniform(0.0, 1.0), &device);
        let y = g_a.forward(x.clone());
        let plain_y = g_a.to_plain().unwrap().forward(&FeatureMap::from_planar(&to_vec(x).unwrap(), 3, 48, 80));
        assert_eq!((plain_y.height, plain_y.width, plain_y.channels), (3, 5, 6));
        let expected = to_vec(y.clone()).unwrap();
        let worst = plain_y.to_planar().iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-4, "g_a differs by {worst}");
        let plain_x = g_s.to_plain().unwrap().forward(&plain_y);
        assert_eq!((plain_x.height, plain_x.width, plain_x.channels), (48, 80, 3));
        let expected = to_vec(g_s.forward(y)).unwrap();
        let worst = plain_x.to_planar().iter().zip(&expected).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
        assert!(worst < 1e-4, "g_s differs by {worst}");
    }
}
