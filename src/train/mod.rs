//! The one training loop: random examples, Adam, checkpoints that resume, progress, validation.
//! Each medium plugs in its data, loss and validation through [`Task`].
//!
//! A checkpoint is a complete model file (usable for coding at once) plus the optimizer state
//! beside it (`<model>.optim.bin`); resuming continues the step count, schedule and wall time.

mod audio;
mod image;
mod image_data;

pub use audio::{train_audio, AudioSet};
pub use image::train_image;
pub use image_data::ImageSet;

use std::path::{Path, PathBuf};
use std::time::Instant;

use burn::module::{AutodiffModule, ParamId};
use burn::optim::adaptor::OptimizerAdaptor;
use burn::optim::{Adam, AdamConfig, GradientsParams, Optimizer};
use burn::record::{BinFileRecorder, FullPrecisionSettings, Recorder};
use burn::tensor::backend::{AutodiffBackend, Backend};
use burn::tensor::{ElementConversion, Tensor};
use indicatif::{ProgressBar, ProgressStyle};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::codec::{Architecture, ModelFile, TrainingRecord, TrainingRun, Validation};
use crate::latent::gain::{valid_lambdas, LEVELS};
use crate::nn::{load_tensors, number_params, CodecModel, TrainOutput};
use crate::{Error, Result};

/// Settings of a training run.
#[derive(Clone, Debug)]
pub struct TrainConfig {
    /// Folder of training files.
    pub data: PathBuf,
    /// Model file to write (and checkpoint to).
    pub out: PathBuf,
    /// Model file to resume from.
    pub resume: Option<PathBuf>,
    /// Folder of validation files, coded for real at every checkpoint.
    pub validation: Option<PathBuf>,
    /// Architecture of a new model (ignored when resuming).
    pub architecture: Architecture,
    /// Audio: residual units per scale to grow a resumed model to (see
    /// [`AudioModel::with_residual_units`](crate::audio::AudioModel::with_residual_units)).
    pub grow_res: Option<usize>,
    /// Image hyperprior: latent channels to widen a resumed model to (see
    /// [`HyperpriorModel::with_latent_channels`](crate::image::HyperpriorModel::with_latent_channels)).
    pub grow_m: Option<usize>,
    /// Variable-rate models (image hyperprior, audio): new trade-offs λ of a resumed model's
    /// qualities 1 to 8 (see [`GainVectors::retargeted`](crate::latent::gain::GainVectors::retargeted)).
    pub retarget: Option<[f64; LEVELS]>,
    /// Rate–distortion trade-off of a fixed-rate model; variable-rate models train the λ of
    /// the qualities in `qualities` (one at random per step).
    pub lambda: f64,
    /// Qualities (levels 1 to 8) a variable-rate model trains; all of them by default.
    pub qualities: QualityLevels,
    /// Total steps to reach (including resumed ones).
    pub steps: u64,
    /// Batch size.
    pub batch: usize,
    /// Size of one training example: crop side in pixels (images), segment in samples (audio).
    pub crop: usize,
    /// Adam learning rate (divided by 10 for the last 10% of steps, counted from step 0).
    pub learning_rate: f64,
    /// Write a checkpoint every this many steps.
    pub checkpoint_every: u64,
    /// Random seed of everything the run draws (on the CPU, burn `flex` or LibTorch, a run repeats exactly).
    pub seed: u64,
    /// Hardware description recorded in the model.
    pub hardware: String,
    /// Whether to show a progress bar.
    pub progress: bool,
}

/// The quality levels a variable-rate model trains: `first..=last`, within 1 to 8.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct QualityLevels {
    first: usize,
    last: usize,
}

impl QualityLevels {
    /// Every quality, 1 to 8.
    pub const ALL: Self = Self { first: 1, last: LEVELS };

    /// Levels `first..=last`; both within 1 to 8, `first <= last`.
    pub fn new(first: usize, last: usize) -> Result<Self> {
        if 1 <= first && first <= last && last <= LEVELS {
            Ok(Self { first, last })
        } else {
            Err(Error::InvalidArgument(format!("quality levels {first}-{last}: they must lie within 1 to 8, the first not above the last")))
        }
    }

    /// A random level, as an index into the eight λ (0 for quality 1).
    fn sample(&self, rng: &mut StdRng) -> usize {
        rng.random_range(self.first - 1..self.last)
    }
}

impl Default for QualityLevels {
    fn default() -> Self {
        Self::ALL
    }
}

impl std::fmt::Display for QualityLevels {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.first == self.last { write!(f, "{}", self.first) } else { write!(f, "{}-{}", self.first, self.last) }
    }
}

impl std::str::FromStr for QualityLevels {
    type Err = Error;

    /// `"5-8"` or `"8"`.
    fn from_str(s: &str) -> Result<Self> {
        let level = |t: &str| t.trim().parse::<usize>().map_err(|_| Error::InvalidArgument(format!("quality levels {s:?}: expected FIRST-LAST or one level, integers 1 to 8")));
        match s.split_once('-') {
            Some((a, b)) => Self::new(level(a)?, level(b)?),
            None => level(s).and_then(|l| Self::new(l, l)),
        }
    }
}

/// Losses averaged over the last logging interval.
#[derive(Clone, Copy, Debug, Default)]
pub struct StepStats {
    /// Total loss.
    pub loss: f64,
    /// Estimated rate: bits per pixel (images) or kbps (audio).
    pub rate: f64,
    /// The task's distortion measure: MSE (images) or log-mel distance (audio).
    pub distortion: f64,
}

/// A medium's part of training: its data, its loss and its validation.
pub trait Task<B: AutodiffBackend> {
    /// The training data, for the record ("folder (N files)").
    fn data_description(&self) -> String;
    /// The trade-offs of a variable-rate model's qualities 1 to 8.
    fn lambdas(&self) -> [f64; LEVELS];
    /// A random batch of examples.
    fn sample(&self, rng: &mut StdRng, batch: usize, device: &B::Device) -> Tensor<B, 4>;
    /// `[loss, rate, distortion measure]` of a batch and its training reconstruction at `lambda`.
    fn loss(&self, x: Tensor<B, 4>, out: TrainOutput<B>, lambda: f64) -> [Tensor<B, 1>; 3];
    /// The averaged statistics as a log line.
    fn describe(&self, stats: &StepStats) -> String;
    /// Codes every file of `dir` with the model in `model_file` at its default quality; the
    /// loss weighs the mean rate and distortion with `lambda`.
    fn validate(&self, model_file: &[u8], dir: &Path, lambda: f64, step: u64) -> Result<Validation>;
}

/// The optimizer state of training a model `M`.
type AdamState<M, B> = <OptimizerAdaptor<Adam, M, B> as Optimizer<M, B>>::Record;

/// A model to resume training.
struct Resumed {
    file: ModelFile,
    /// How its architecture was changed for this run, if it was.
    change: Option<Change>,
}

/// An architecture change made to a resumed model.
struct Change {
    /// What changed, for the training record.
    description: String,
    /// For each parameter of the model as saved, its number in the changed model, if it kept
    /// its shape: the optimizer state carries over to those; new and reshaped parameters start
    /// afresh.
    renumber: Vec<Option<u64>>,
}

/// Starts a run: reads the model file to resume from, if any, and seeds the backend's random
/// numbers (new weights, widened channels, the training noise) as [`train`] seeds its crops and
/// rate points, from `--seed` and the steps already trained, so that a run on a deterministic
/// backend (burn `flex`, LibTorch on the CPU) repeats exactly.
fn start_run<B: Backend>(config: &TrainConfig, device: &B::Device) -> Result<Option<Resumed>> {
    let resumed = match &config.resume {
        Some(path) => {
            let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
            Some(Resumed { file: ModelFile::parse(&bytes).map_err(|e| e.in_file(path))?, change: None })
        }
        None => None,
    };
    B::seed(device, run_seed(config, resumed.as_ref().map_or(0, |r| r.file.meta.training.steps)));
    Ok(resumed)
}

/// The seed of a run that starts after `steps` trained steps.
fn run_seed(config: &TrainConfig, steps: u64) -> u64 {
    config.seed ^ steps
}

/// The trade-offs of a variable-rate architecture's qualities 1 to 8 (`fixed` for a model of one
/// rate, which uses none of them); `InvalidArgument` unless positive and ascending.
fn checked_lambdas(architecture: &Architecture, fixed: [f64; LEVELS]) -> Result<[f64; LEVELS]> {
    let lambdas = architecture.lambdas().unwrap_or(fixed);
    if !valid_lambdas(&lambdas) {
        return Err(Error::InvalidArgument(format!("rate points λ {lambdas:?}: they must be positive and ascending")));
    }
    Ok(lambdas)
}

/// How a resumed model's rate points change, for its training record: `None` if `to` is `from`.
fn retarget_description(from: &[f64; LEVELS], to: &[f64; LEVELS]) -> Option<String> {
    (from != to).then(|| format!("rate points λ {from:?} → {to:?} (gains interpolated)"))
}

fn train<B: AutodiffBackend, M: CodecModel<B> + AutodiffModule<B>>(
    task: &impl Task<B>,
    config: &TrainConfig,
    resumed: Option<Resumed>,
    device: &B::Device,
) -> Result<StepStats> {
    let (resumed, change) = resumed.map_or((None, None), |r| (Some(r.file), r.change));
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
    if config.qualities != QualityLevels::ALL && !model.variable_rate() {
        return Err(Error::InvalidArgument(format!("--qualities {}: only variable-rate models train qualities; this one has a fixed λ", config.qualities)));
    }
    record.runs.push(TrainingRun {
        data: task.data_description(),
        hardware: config.hardware.clone(),
        first_step: record.steps,
        last_step: record.steps,
        batch: config.batch,
        crop: config.crop,
        learning_rate: config.learning_rate,
        wall_time_s: 0.0,
        change: change.as_ref().map(|c| c.description.clone()).unwrap_or_default(),
        qualities: if config.qualities == QualityLevels::ALL { String::new() } else { config.qualities.to_string() },
        decayed_from: None,
    });

    let mut optim = AdamConfig::new()
        .with_grad_clipping(Some(burn::grad_clipping::GradientClippingConfig::Norm(1.0)))
        .init::<B, M>();
    let optim_path = optim_path(config.resume.as_deref().unwrap_or(&config.out));
    if config.resume.is_some() && optim_path.exists() {
        let mut state: AdamState<M, B> = BinFileRecorder::<FullPrecisionSettings>::new()
            .load(optim_path.clone(), device)
            .map_err(|e| Error::Model(format!("{}: optimizer state: {e}", optim_path.display())))?;
        if let Some(change) = &change {
            state = state.into_iter().filter_map(|(id, s)| Some((ParamId::from((*change.renumber.get(id.val() as usize)?)?), s))).collect();
        }
        optim = optim.load_record(state);
    }
    if let (Some(change), true) = (&change, config.progress) {
        eprintln!("{}", change.description);
    }

    let mut rng = StdRng::seed_from_u64(run_seed(config, record.steps));
    let start_step = record.steps;
    let bar = progress_bar(config, start_step);
    let started = Instant::now();
    let wall_before = record.wall_time_s;
    let mut stats = StepStats::default();
    let log_every = 10u64;
    let mut pending: Vec<Pending<B>> = Vec::new();
    let mut balance = LossBalance::default();
    // The last tenth of the schedule, counted from step 0, runs at a tenth of the learning rate.
    let decay_from = config.steps - config.steps / 10;

    for step in start_step..config.steps {
        let x = task.sample(&mut rng, config.batch, device);
        // Variable-rate models train their rate points: one at random per step.
        let (level, lambda) = if model.variable_rate() {
            let level = config.qualities.sample(&mut rng);
            (Some(level), task.lambdas()[level])
        } else {
            (None, config.lambda)
        };
        let out = model.forward_train(x.clone(), level.map_or(0.0, |l| (l + 1) as f32));
        let [loss, rate, distortion] = task.loss(x, out, lambda);
        let weight = level.map_or(1.0, |l| balance.weight(l));
        let total = loss.clone().mul_scalar(weight) + model.aux_loss();
        let grads = GradientsParams::from_grads(total.backward(), &model);
        let lr = if step >= decay_from { config.learning_rate / 10.0 } else { config.learning_rate };
        model = optim.step(lr, model, grads);
        pending.push(Pending { level, loss: loss.detach(), rate: rate.detach(), distortion: distortion.detach() });

        let done = step + 1;
        if done % log_every == 0 || done == config.steps {
            stats = summarize(std::mem::take(&mut pending), &mut balance);
            if !stats.loss.is_finite() {
                bar.abandon();
                let checkpoint = match (record.steps > start_step, &config.resume) {
                    (false, None) => "no checkpoint was written: start again with a lower --lr".to_string(),
                    (false, Some(resumed)) => format!("{} still holds step {}: resume from it with a lower --lr", resumed.display(), record.steps),
                    (true, _) => format!("{} holds step {}: resume from it with a lower --lr", config.out.display(), record.steps),
                };
                return Err(Error::Diverged { step: done, loss: stats.loss, checkpoint });
            }
            bar.set_position(done);
            let line = format!("loss {:.3}  {}", stats.loss, task.describe(&stats));
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
                run.decayed_from = (done > decay_from).then_some(decay_from.max(run.first_step));
            }
            let mut best = false;
            if let Some(dir) = &config.validation {
                // Variable-rate models are validated at their default quality 4.
                let lambda = if model.variable_rate() { task.lambdas()[3] } else { config.lambda };
                let v = task.validate(&model.to_model_file(architecture, config.lambda, record.clone())?, dir, lambda, done)?;
                best = record.best_validation.as_ref().is_none_or(|b| v.loss < b.loss);
                let line = format!(
                    "step {done}: validation rate {:.4}, metric {:.4}, loss {:.3}{} ({})",
                    v.rate,
                    v.metric,
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

/// One step's losses, read back from the device only when logged.
struct Pending<B: AutodiffBackend> {
    /// The rate point trained (variable-rate models).
    level: Option<usize>,
    loss: Tensor<B, 1>,
    rate: Tensor<B, 1>,
    distortion: Tensor<B, 1>,
}

/// Averages the logged steps' losses and feeds each rate point's loss to `balance`.
fn summarize<B: AutodiffBackend>(pending: Vec<Pending<B>>, balance: &mut LossBalance) -> StepStats {
    let n = pending.len().max(1) as f64;
    let mut s = StepStats::default();
    for p in pending {
        let loss = p.loss.into_scalar().elem::<f64>();
        if let Some(level) = p.level {
            balance.observe(level, loss);
        }
        s.loss += loss / n;
        s.rate += p.rate.into_scalar().elem::<f64>() / n;
        s.distortion += p.distortion.into_scalar().elem::<f64>() / n;
    }
    s
}

/// Weighs a variable-rate model's rate points so that each step's loss has about the same size.
///
/// The loss λ·D + R of the highest rate point is tens of times that of the lowest, so its
/// gradients would dominate Adam's second moments and the shared transforms would follow the
/// high rates. Each rate point's loss is scaled by the geometric mean of all points' typical
/// losses over its own (a running mean of its logged losses); points not yet seen weigh 1.
#[derive(Default)]
struct LossBalance {
    typical: [Option<f64>; LEVELS],
}

impl LossBalance {
    /// How much of a running mean each new loss replaces.
    const UPDATE: f64 = 0.01;

    fn observe(&mut self, level: usize, loss: f64) {
        if loss.is_finite() && loss > 0.0 {
            let t = &mut self.typical[level];
            *t = Some(t.map_or(loss, |t| t + Self::UPDATE * (loss - t)));
        }
    }

    fn weight(&self, level: usize) -> f64 {
        let Some(own) = self.typical[level] else { return 1.0 };
        let (log_sum, seen) = self.typical.iter().flatten().fold((0.0, 0.0), |(s, n), t| (s + t.ln(), n + 1.0));
        (log_sum / seen).exp() / own
    }
}

/// The one progress-bar style of long jobs (training, video fitting).
pub(crate) fn progress_style() -> ProgressStyle {
    ProgressStyle::with_template("{prefix} {bar:30} {pos}/{len} steps  {per_sec}  ETA {eta}  {msg}").unwrap_or_else(|_| ProgressStyle::default_bar())
}

fn progress_bar(config: &TrainConfig, start: u64) -> ProgressBar {
    let bar = if config.progress { ProgressBar::new(config.steps) } else { ProgressBar::hidden() };
    bar.set_style(progress_style());
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
fn save_model<B: AutodiffBackend, M: CodecModel<B> + AutodiffModule<B>, O: Optimizer<M, B>>(
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

#[cfg(test)]
mod tests {
    use super::LossBalance;

    #[test]
    fn balance_evens_out_the_rate_points_losses() {
        let mut balance = LossBalance::default();
        assert_eq!(balance.weight(0), 1.0);
        balance.observe(0, 0.1);
        balance.observe(7, 6.4);
        // Geometric mean 0.8: the low point's loss counts 8×, the high point's 1/8.
        assert!((balance.weight(0) - 8.0).abs() < 1e-9);
        assert!((balance.weight(7) - 0.125).abs() < 1e-9);
        assert!((balance.weight(0) * 0.1 - balance.weight(7) * 6.4).abs() < 1e-9);
        assert_eq!(balance.weight(3), 1.0, "an unseen point weighs 1");
    }

    #[test]
    fn balance_follows_a_running_mean_and_ignores_bad_losses() {
        let mut balance = LossBalance::default();
        balance.observe(2, 1.0);
        balance.observe(2, f64::NAN);
        balance.observe(2, 0.0);
        assert_eq!(balance.typical[2], Some(1.0));
        balance.observe(2, 2.0);
        assert!((balance.typical[2].unwrap() - (1.0 + LossBalance::UPDATE)).abs() < 1e-12);
    }
}
