//! Encoder-side latent refinement (Campos et al. 2019, Yang et al. 2020): a few Adam steps on
//! one image's gained latent and hyper-latent under the model's own loss, λ·255²·MSE + bpp,
//! starting from g_a and h_a. The decoder is unchanged: the refined latents are quantized and
//! coded exactly as g_a's would be, so files stay bit-exact and decodable everywhere; only the
//! encode gets slower (a g_s forward and backward pass per step).

use burn::module::{Module, Param};
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use indicatif::ProgressBar;
use rand::rngs::StdRng;
use rand::SeedableRng;

use super::{HyperpriorConfig, HyperpriorModel};
use crate::codec::OnDevice;
use crate::latent::add_seeded_uniform_noise;
use crate::latent::gain::lambda_at;
use crate::nn::{load_tensors, to_vec, StoredTensor};
use crate::{Error, Result};

/// Largest image refined (in pixels): the whole image's graph is kept for the backward pass
/// (a 768×512 image with the default model: 0.65 GB peak RSS on `cpu`, 0.75 GB on `libtorch`).
pub const MAX_REFINE_PIXELS: u64 = 2_000_000;

/// Refuses images above [`MAX_REFINE_PIXELS`].
pub fn check_size(width: usize, height: usize) -> Result<()> {
    let pixels = (width * height) as u64;
    if pixels > MAX_REFINE_PIXELS {
        return Err(Error::InvalidArgument(format!(
            "latent refinement handles images up to {} megapixels (this one has {:.1}); encode without it",
            MAX_REFINE_PIXELS as f64 / 1e6,
            pixels as f64 / 1e6
        )));
    }
    Ok(())
}

/// Peak Adam step on the latents (cosine decay to a tenth over the steps).
const LEARNING_RATE: f64 = 0.01;

/// The latents being refined: the only parameters of the refinement.
#[derive(Module, Debug)]
struct Latents<B: Backend> {
    y: Param<Tensor<B, 4>>,
    z: Param<Tensor<B, 4>>,
}

/// One image's refinement, run on a training device by [`crate::Device::run`].
pub struct Refinement<'a> {
    /// The model's tensors.
    pub tensors: &'a [StoredTensor],
    /// The model's shape.
    pub config: HyperpriorConfig,
    /// The image, RGB planes `[3, height, width]` in 0–1.
    pub planes: Vec<f32>,
    /// Image height and width.
    pub size: (usize, usize),
    /// g_a's latent after the gain, and its shape `[1, M, lh, lw]`: where the refinement starts.
    pub y: (Vec<f32>, [usize; 4]),
    /// h_a's hyper-latent and its shape `[1, N, lh/4, lw/4]`.
    pub z: (Vec<f32>, [usize; 4]),
    /// Quality of the encode (chooses λ and the inverse gain).
    pub quality: f32,
    /// Adam steps.
    pub steps: usize,
    /// Progress, one tick per step.
    pub bar: ProgressBar,
}

impl OnDevice for Refinement<'_> {
    /// The refined latent and hyper-latent.
    type Output = (Vec<f32>, Vec<f32>);

    fn run<B: AutodiffBackend>(self, device: &B::Device) -> Result<Self::Output> {
        let (h, w) = self.size;
        check_size(w, h)?;
        // The rate proxy's noise comes from a seeded generator of this refinement's own: encoding
        // an image again on the same machine and backend gives the same file (floats may differ
        // elsewhere; decoding never does).
        let mut rng = StdRng::seed_from_u64(0);
        let model = load_tensors(HyperpriorModel::<B>::new(self.config, device), self.tensors)?.no_grad();
        let tensor = |(values, shape): (Vec<f32>, [usize; 4])| Tensor::<B, 4>::from_data(TensorData::new(values, shape), device);
        let x = tensor((self.planes, [1, 3, h, w]));
        let mut latents = Latents { y: Param::from_tensor(tensor(self.y)), z: Param::from_tensor(tensor(self.z)) };
        let (_, inv_gain) = model.gain_vectors().at(self.quality);
        let lambda = lambda_at(&self.config.lambdas, self.quality);
        let mut optim = AdamConfig::new().init::<B, Latents<B>>();
        for step in 0..self.steps {
            let out = model.forward_latents(latents.y.val(), latents.z.val(), inv_gain.clone(), |t| add_seeded_uniform_noise(t, &mut rng));
            let x_hat = out.x_hat.slice([0..1, 0..3, 0..h, 0..w]);
            let mse = (x_hat - x.clone()).powi_scalar(2).mean();
            let loss = mse.mul_scalar(lambda * 255.0 * 255.0) + out.bits.div_scalar((h * w) as f64);
            let grads = GradientsParams::from_grads(loss.backward(), &latents);
            let progress = step as f64 / self.steps as f64;
            let lr = LEARNING_RATE * (0.55 + 0.45 * (std::f64::consts::PI * progress).cos());
            latents = optim.step(lr, latents, grads);
            self.bar.inc(1);
        }
        Ok((to_vec(latents.y.val().inner())?, to_vec(latents.z.val().inner())?))
    }
}
