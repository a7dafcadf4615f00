//! The image task: random crops, loss λ·255²·MSE + bpp, validation by real coding.

use std::path::Path;

use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{Tensor, TensorData};
use rand::rngs::StdRng;

use crate::codec::{Architecture, Validation};
use crate::image::{FactorizedModel, HyperpriorConfig, HyperpriorModel};
use crate::latent::gain::{IMAGE_LAMBDAS, LEVELS};
use crate::nn::{load_tensors, save_tensors, TrainOutput};
use crate::{Error, Result};

use super::{checked_lambdas, retarget_description, start_run, train, Change, ImageSet, Resumed, StepStats, Task, TrainConfig};

/// Trains (or resumes training) an image model on backend `B`.
pub fn train_image<B: AutodiffBackend>(config: &TrainConfig, device: &B::Device) -> Result<StepStats> {
    let resumed = match start_run::<B>(config, device)? {
        Some(resumed) if config.grow_m.is_some() || config.retarget.is_some() => {
            let path = config.resume.as_deref().unwrap_or(&config.out);
            Some(reshape::<B>(resumed, config.grow_m, config.retarget, device).map_err(|e| e.in_file(path))?)
        }
        resumed => resumed,
    };
    let architecture = resumed.as_ref().map_or(config.architecture, |r| r.file.meta.architecture);
    let lambdas = checked_lambdas(&architecture, IMAGE_LAMBDAS)?;
    let task = ImageTask { set: ImageSet::load(&config.data, config.crop)?, data: config.data.display().to_string(), crop: config.crop, lambdas };
    match architecture {
        Architecture::ImageFactorized(_) => train::<B, FactorizedModel<B>>(&task, config, resumed, device),
        Architecture::ImageHyperprior(_) => train::<B, HyperpriorModel<B>>(&task, config, resumed, device),
        other => Err(Error::InvalidArgument(format!("{other:?} is not an image model"))),
    }
}

/// Changes a resumed hyperprior model before training resumes: `m` latent channels (the new
/// channels start active and g_s ignores them, so training resumes from what the model
/// reconstructed) and the trade-offs `lambdas` of its rate points (their gains start
/// interpolated from the old ones).
fn reshape<B: Backend>(resumed: Resumed, m: Option<usize>, lambdas: Option<[f64; LEVELS]>, device: &B::Device) -> Result<Resumed> {
    let mut file = resumed.file;
    let Architecture::ImageHyperprior(config) = file.meta.architecture else {
        return Err(Error::InvalidArgument(format!("only hyperprior image models can be widened or given new rate points; this is {:?}", file.meta.architecture)));
    };
    let m = m.unwrap_or(config.m);
    if m < config.m {
        return Err(Error::InvalidArgument(format!("the model has {} latent channels; they cannot be removed (--m {m})", config.m)));
    }
    let lambdas = lambdas.unwrap_or(config.lambdas);
    let mut changes = Vec::new();
    if m > config.m {
        changes.push(format!("latent channels {} → {m} (new channels start active)", config.m));
    }
    changes.extend(retarget_description(&config.lambdas, &lambdas));
    if changes.is_empty() {
        return Ok(Resumed { file, change: resumed.change });
    }
    let model = load_tensors(HyperpriorModel::<B>::new(config, device), &file.tensors)?;
    let changed = save_tensors(&model.with_latent_channels(m, device).with_lambdas(&config.lambdas, &lambdas));
    // The parameters keep their order; the changed ones lose their optimizer state.
    let renumber = file.tensors.iter().zip(&changed).enumerate().map(|(i, (old, new))| (old.shape == new.shape && old.values == new.values).then_some(i as u64)).collect();
    file.tensors = changed;
    file.meta.architecture = Architecture::ImageHyperprior(HyperpriorConfig { m, lambdas, ..config });
    Ok(Resumed { file, change: Some(Change { description: changes.join("; "), renumber }) })
}

struct ImageTask {
    set: ImageSet,
    data: String,
    crop: usize,
    /// The trade-offs of the model's qualities 1 to 8.
    lambdas: [f64; LEVELS],
}

impl<B: AutodiffBackend> Task<B> for ImageTask {
    fn data_description(&self) -> String {
        format!("{} ({} images)", self.data, self.set.len())
    }

    fn lambdas(&self) -> [f64; LEVELS] {
        self.lambdas
    }

    fn sample(&self, rng: &mut StdRng, batch: usize, device: &B::Device) -> Tensor<B, 4> {
        let c = self.crop;
        Tensor::from_data(TensorData::new(self.set.sample(rng, batch, c), [batch, 3, c, c]), device)
    }

    fn loss(&self, x: Tensor<B, 4>, out: TrainOutput<B>, lambda: f64) -> [Tensor<B, 1>; 3] {
        let [b, _, h, w] = x.dims();
        let mse = (out.x_hat - x).powi_scalar(2).mean();
        let bpp = out.bits.div_scalar((b * h * w) as f64);
        [mse.clone().mul_scalar(lambda * 255.0 * 255.0) + bpp.clone(), bpp, mse]
    }

    fn describe(&self, stats: &StepStats) -> String {
        format!("bpp {:.3}  PSNR {:.2} dB", stats.rate, -10.0 * stats.distortion.max(1e-12).log10())
    }

    fn validate(&self, model_file: &[u8], dir: &Path, lambda: f64, step: u64) -> Result<Validation> {
        let model = std::sync::Arc::new(crate::Model::from_bytes(model_file)?);
        let options = crate::EncodeOptions { quality: None, model: Some(model), ..Default::default() };
        let files = crate::eval::image_files(dir)?;
        if files.is_empty() {
            return Err(Error::InvalidArgument("no validation images".into()).in_file(dir));
        }
        let mut v = Validation { data: format!("{} ({} images)", dir.display(), files.len()), ..Default::default() };
        for file in &files {
            let r = crate::eval::eval_image(file, &options)?;
            v.rate += r.bpp / files.len() as f64;
            v.metric += r.psnr / files.len() as f64;
        }
        v.step = step;
        v.loss = lambda * 255.0 * 255.0 / 10f64.powf(v.metric / 10.0) + v.rate;
        Ok(v)
    }
}
