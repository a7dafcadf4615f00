//! The training loop: random crops, Adam, checkpoints that resume, progress, validation.
//!
//! A checkpoint is a complete model file (usable for coding at once) plus the optimizer state
//! beside it (`<model>.optim`); resuming continues the step count, schedule and wall time.

mod data;

pub use data::ImageSet;

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::AutodiffModule;
use burn::optim::{AdamConfig, GradientsParams, Optimizer};
use burn::record::{BinFileRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::AutodiffBackend;
use burn::tensor::{ElementConversion, Tensor, TensorData};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::codec::{Architecture, ModelFile, TrainingRecord, TrainingRun, Validation};
use crate::image::{FactorizedModel, HyperpriorModel, ImageModel};
use crate::latent::gain::LAMBDAS;
use crate::nn::{load_tensors, number_params};
use crate::{Error, Result};

/// Settings of an image training run.
#[derive(Clone, Debug)]
pub struct ImageTrainConfig {
    /// Folder of training images.
    pub data: PathBuf,
    /// Model file to write (and checkpoint to).
    pub out: PathBuf,
    /// Model file to resume from.
    pub resume: Option<PathBuf>,
    /// Folder of validation images, coded for real at every checkpoint.
    pub validation: Option<PathBuf>,
    /// Architecture of a new model (ignored when resuming).
    pub architecture: Architecture,
    /// Rate–distortion trade-off (loss λ·255²·MSE + bpp) of a fixed-rate model; variable-rate
    /// models train the λ of every quality (one at random per step).
    pub lambda: f64,
    /// Total steps to reach (including resumed ones).
    pub steps: u64,
    /// Batch size.
    pub batch: usize,
    /// Crop size in pixels.
    pub crop: usize,
    /// Adam learning rate (divided by 10 for the last 10% of steps).
    pub learning_rate: f64,
    /// Write a checkpoint every this many steps.
    pub checkpoint_every: u64,
    /// Random seed.
    pub seed: u64,
    /// Hardware description recorded in the model.
    pub hardware: String,
    /// Whether to show a progress bar.
    pub progress: bool,
}

/// Losses averaged over the last logging interval.
#[derive(Clone, Copy, Debug, Default)]
pub struct StepStats {
    /// Total loss.
    pub loss: f64,
    /// Estimated bits per pixel.
    pub bpp: f64,
    /// PSNR of the training reconstruction in dB.
    pub psnr: f64,
}

/// Trains (or resumes training) an image model on backend `B`.
pub fn train_image<B: AutodiffBackend>(config: &ImageTrainConfig, device: &B::Device) -> Result<StepStats> {
    let resumed = match &config.resume {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            Some(ModelFile::parse(&bytes).map_err(|e| e.in_file(path))?)
        }
        None => None,
    };
    match resumed.as_ref().map_or(config.architecture, |f| f.meta.architecture) {
        Architecture::ImageFactorized(_) => train::<B, FactorizedModel<B>>(config, resumed, device),
        Architecture::ImageHyperprior(_) => train::<B, HyperpriorModel<B>>(config, resumed, device),
    }
}

fn train<B: AutodiffBackend, M: ImageModel<B> + AutodiffModule<B>>(
    config: &ImageTrainConfig,
    resumed: Option<ModelFile>,
    device: &B::Device,
) -> Result<StepStats> {
    let data = ImageSet::load(&config.data, config.crop)?;
    let (model, mut record, architecture) = match resumed {
        Some(file) => {
            let path = config.resume.as_deref().unwrap_or(&config.out);
            let arch = file.meta.architecture;
            let model = load_tensors(M::build(arch, device)?, &file.tensors).map_err(|e| e.in_file(path))?;
            (model, file.meta.training, arch)
        }
        None => (M::build(config.architecture, device)?, TrainingRecord::default(), config.architecture),
    };
    let mut model = number_params(model);
    record.runs.push(TrainingRun {
        data: format!("{} ({} images)", config.data.display(), data.len()),
        hardware: config.hardware.clone(),
        first_step: record.steps,
        last_step: record.steps,
        batch: config.batch,
        crop: config.crop,
        learning_rate: config.learning_rate,
        wall_time_s: 0.0,
    });

    let mut optim = AdamConfig::new()
        .with_grad_clipping(Some(burn::grad_clipping::GradientClippingConfig::Norm(1.0)))
        .init::<B, M>();
    let optim_path = optim_path(config.resume.as_deref().unwrap_or(&config.out));
    if config.resume.is_some() && optim_path.exists() {
        let state = BinFileRecorder::<FullPrecisionSettings>::new()
            .load(optim_path.clone(), device)
            .map_err(|e| Error::Model(format!("{}: optimizer state: {e}", optim_path.display())))?;
        optim = optim.load_record(state);
    }

    let mut rng = StdRng::seed_from_u64(config.seed ^ record.steps);
    let start_step = record.steps;
    let bar = progress_bar(config, start_step);
    let started = Instant::now();
    let wall_before = record.wall_time_s;
    let pixels = (config.batch * config.crop * config.crop) as f64;
    let mut stats = StepStats::default();
    let log_every = 10u64;
    let mut pending: Vec<(Tensor<B, 1>, Tensor<B, 1>, Tensor<B, 1>)> = Vec::new();

    for step in start_step..config.steps {
        let x = Tensor::<B, 4>::from_data(
            TensorData::new(data.sample(&mut rng, config.batch, config.crop), [config.batch, 3, config.crop, config.crop]),
            device,
        );
        // Variable-rate models train every rate point: one at random per step.
        let (quality, lambda) = if model.variable_rate() {
            let level = rng.random_range(0..LAMBDAS.len());
            ((level + 1) as f32, LAMBDAS[level])
        } else {
            (0.0, config.lambda)
        };
        let out = model.forward_train(x.clone(), quality);
        let mse = (out.x_hat - x).powi_scalar(2).mean();
        let bpp = out.bits.div_scalar(pixels);
        let loss = mse.clone().mul_scalar(lambda * 255.0 * 255.0) + bpp.clone();
        let total = loss.clone() + model.aux_loss();
        let grads = GradientsParams::from_grads(total.backward(), &model);
        let lr = if step >= config.steps - config.steps / 10 { config.learning_rate / 10.0 } else { config.learning_rate };
        model = optim.step(lr, model, grads);
        pending.push((loss.detach(), bpp.detach(), mse.detach()));

        let done = step + 1;
        if done % log_every == 0 || done == config.steps {
            stats = summarize(std::mem::take(&mut pending));
            bar.set_position(done);
            let line = format!("loss {:.3}  bpp {:.3}  PSNR {:.2} dB", stats.loss, stats.bpp, stats.psnr);
            if bar.is_hidden() && config.progress && done % (10 * log_every) == 0 {
                // No terminal (e.g. a log file): a plain line every 100 steps instead of the bar.
                let rate = (done - start_step) as f64 / started.elapsed().as_secs_f64();
                eprintln!("step {done}/{}  {rate:.2} it/s  {line}", config.steps);
            }
            bar.set_message(line);
        }
        if done % config.checkpoint_every == 0 || done == config.steps {
            let elapsed = started.elapsed().as_secs_f64();
            record.steps = done;
            record.wall_time_s = wall_before + elapsed;
            if let Some(run) = record.runs.last_mut() {
                run.last_step = done;
                run.wall_time_s = elapsed;
            }
            let mut best = false;
            if let Some(dir) = &config.validation {
                // Variable-rate models are validated at their default quality 4.
                let lambda = if model.variable_rate() { LAMBDAS[3] } else { config.lambda };
                let v = validate(&model.to_model_file(architecture, config.lambda, record.clone())?, dir, lambda, done)?;
                best = record.best_validation.as_ref().is_none_or(|b| v.loss < b.loss);
                let line = format!(
                    "step {done}: validation {:.4} bpp, {:.2} dB, loss {:.3}{} ({})",
                    v.bpp,
                    v.psnr,
                    v.loss,
                    if best { " (best)" } else { "" },
                    v.data
                );
                if config.progress {
                    if bar.is_hidden() { eprintln!("{line}") } else { bar.println(line) }
                }
                if best {
                    record.best_validation = Some(v.clone());
                }
                record.validation = Some(v);
            }
            let bytes = save_model(&model, &optim, architecture, config.lambda, &record, &config.out)?;
            if best {
                crate::fsutil::write_atomic(&best_path(&config.out), &bytes, true)?;
            }
        }
    }
    bar.finish();
    Ok(stats)
}

/// Codes every image of `dir` with the model in `model_file` and averages rate and PSNR;
/// the loss weighs them with `lambda`.
fn validate(model_file: &[u8], dir: &Path, lambda: f64, step: u64) -> Result<Validation> {
    let model = std::sync::Arc::new(crate::Model::from_bytes(model_file)?);
    let options = crate::EncodeOptions { quality: None, model: Some(model) };
    let files = crate::eval::image_files(dir)?;
    if files.is_empty() {
        return Err(Error::InvalidArgument("no validation images".into()).in_file(dir));
    }
    let mut v = Validation { data: format!("{} ({} images)", dir.display(), files.len()), ..Default::default() };
    for file in &files {
        let r = crate::eval::eval_image(file, &options)?;
        v.bpp += r.bpp / files.len() as f64;
        v.psnr += r.psnr / files.len() as f64;
    }
    v.step = step;
    v.loss = lambda * 255.0 * 255.0 / 10f64.powf(v.psnr / 10.0) + v.bpp;
    Ok(v)
}

fn summarize<B: AutodiffBackend>(pending: Vec<(Tensor<B, 1>, Tensor<B, 1>, Tensor<B, 1>)>) -> StepStats {
    let n = pending.len().max(1) as f64;
    let mut s = StepStats::default();
    let mut mse = 0.0;
    for (loss, bpp, m) in pending {
        s.loss += loss.into_scalar().elem::<f64>() / n;
        s.bpp += bpp.into_scalar().elem::<f64>() / n;
        mse += m.into_scalar().elem::<f64>() / n;
    }
    s.psnr = -10.0 * mse.max(1e-12).log10();
    s
}


fn progress_bar(config: &ImageTrainConfig, start: u64) -> ProgressBar {
    let bar = if config.progress { ProgressBar::new(config.steps) } else { ProgressBar::hidden() };
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} steps  {per_sec}  ETA {eta}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_position(start);
    bar.reset_eta();
    bar
}

/// Where the best-validated checkpoint of `model` is kept: `NAME.best.EXT`.
pub fn best_path(model: &Path) -> PathBuf {
    let stem = model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let ext = model.extension().map(|e| e.to_string_lossy().into_owned()).unwrap_or_else(|| "nmcm".into());
    model.with_file_name(format!("{stem}.best.{ext}"))
}

fn optim_path(model: &Path) -> PathBuf {
    let mut name = model.as_os_str().to_owned();
    name.push(".optim.bin");
    PathBuf::from(name)
}

/// Writes the model file (with its integer tables) atomically, plus the optimizer state;
/// returns the model file's bytes.
fn save_model<B: AutodiffBackend, M: ImageModel<B> + AutodiffModule<B>, O: Optimizer<M, B>>(
    model: &M,
    optim: &O,
    architecture: Architecture,
    lambda: f64,
    record: &TrainingRecord,
    out: &Path,
) -> Result<Vec<u8>> {
    let bytes = model.to_model_file(architecture, lambda, record.clone())?;
    crate::fsutil::write_atomic(out, &bytes, true)?;
    // Written beside, then renamed, so that an interrupted run never leaves a torn state file.
    let optim_out = optim_path(out);
    let partial = optim_out.with_extension("partial.bin");
    BinFileRecorder::<FullPrecisionSettings>::new()
        .record(optim.to_record(), partial.clone())
        .map_err(|e| Error::Model(format!("{}: cannot save optimizer state: {e}", partial.display())))?;
    std::fs::rename(&partial, &optim_out).map_err(|e| Error::io(&optim_out, e))?;
    Ok(bytes)
}
