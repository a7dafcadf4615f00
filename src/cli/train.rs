//! `nmc train image|audio`

use std::path::PathBuf;

use burn::tensor::backend::AutodiffBackend;
use clap::{Args, Subcommand};

use crate::audio::AudioConfig;
use crate::codec::{Architecture, Device, ModelFile, OnDevice};
use crate::image::{FactorizedConfig, HyperpriorConfig};
use crate::latent::gain::LEVELS;
use crate::train::{train_audio, train_image, QualityLevels, StepStats, TrainConfig};
use crate::{Error, Result};

/// What to train.
#[derive(Subcommand, Debug)]
pub enum TrainCommand {
    /// Train an image model (factorized or hyperprior).
    Image(ImageArgs),
    /// Train the audio model (24 kHz, hyperprior, every rate).
    Audio(AudioArgs),
    /// Pack a trained checkpoint for shipping: convolution kernels as binary16 (half the size).
    Pack(PackArgs),
}

/// Options of `nmc train pack`.
#[derive(Args, Debug)]
pub struct PackArgs {
    /// Trained model file (a checkpoint).
    input: PathBuf,
    /// Packed model file to write.
    #[arg(short, long)]
    output: PathBuf,
    /// Overwrite an existing output.
    #[arg(long)]
    force: bool,
}

/// Options every training command has.
#[derive(Args, Debug)]
pub struct CommonArgs {
    /// Folder of training files (never the test set).
    #[arg(long)]
    data: PathBuf,
    /// Model file to write; it is also the checkpoint.
    #[arg(long)]
    out: PathBuf,
    /// Total optimizer steps (a resumed run continues up to this count).
    #[arg(long, default_value_t = 100_000)]
    steps: u64,
    /// Batch size.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    /// Resume from this model file (and the optimizer state beside it).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Folder of validation files, coded for real at every checkpoint (never the test set).
    #[arg(long)]
    val: Option<PathBuf>,
    /// Checkpoint interval in steps.
    #[arg(long, default_value_t = 500)]
    checkpoint_every: u64,
    /// Random seed of the weights, crops, rate points and noise: on `cpu` and `libtorch` the same
    /// seed repeats a run exactly.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Device: `cpu` (burn flex), `cuda` in builds with the `cuda` feature, `libtorch` or
    /// `libtorch-cuda` (the CPU or an NVIDIA GPU through LibTorch) in builds with the `tch` feature.
    #[arg(long, default_value = "cpu")]
    device: Device,
    /// Hardware description recorded in the model metadata (default: a description of the device).
    #[arg(long)]
    hardware: Option<String>,
    /// Qualities a variable-rate model trains, e.g. `5-8` to fine-tune the high rates
    /// (one drawn at random per step).
    #[arg(long, default_value = "1-8")]
    qualities: QualityLevels,
    /// The trade-offs λ of a variable-rate model's qualities 1 to 8 (image hyperprior, audio):
    /// eight ascending values, comma-separated (a new model's default: images CompressAI's
    /// 0.0018,0.0035,…,0.18; audio 2,5,12.5,…,1220.7, a factor 2.5 apart). With --resume,
    /// other values than the model's move its rate points: each quality's gains start
    /// interpolated from the old ones.
    #[arg(long, value_delimiter = ',')]
    lambdas: Option<Vec<f64>>,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Options of `nmc train image`.
#[derive(Args, Debug)]
pub struct ImageArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Rate–distortion trade-off λ (loss λ·255²·MSE + bpp) of fixed-rate models; variable-rate
    /// (hyperprior) models train all eight λ of `--quality` 1–8.
    #[arg(long, default_value_t = 0.013)]
    lambda: f64,
    /// Crop size in pixels.
    #[arg(long, default_value_t = 256)]
    crop: usize,
    /// Architecture of a new model: `factorized` (bmshj2018) or `hyperprior` (mbt2018-mean).
    #[arg(long, default_value = "factorized")]
    arch: String,
    /// Hidden width N of a new model.
    #[arg(long, default_value_t = 128)]
    n: usize,
    /// Latent channels M of a new model (default 192). With --resume, a count above a
    /// hyperprior model's widens it: the new channels start active (g_s ignores them at
    /// first), the other weights keep their optimizer state.
    #[arg(long)]
    m: Option<usize>,
}

/// Options of `nmc train audio`.
#[derive(Args, Debug)]
pub struct AudioArgs {
    #[command(flatten)]
    common: CommonArgs,
    /// Segment length in samples at 24 kHz (a multiple of 1280).
    #[arg(long, default_value_t = 23_040)]
    segment: usize,
    /// Width of the first layer of a new model (the widths double at each stride, up to 8×).
    #[arg(long, default_value_t = 16)]
    c: usize,
    /// Latent channels of a new model.
    #[arg(long, default_value_t = 64)]
    m: usize,
    /// Hyper-latent channels of a new model (18.75 hyper-latent frames per second each).
    #[arg(long, default_value_t = 16)]
    n: usize,
    /// Residual units per scale (0 to 2; dilations 1 and 3) of a new model (default 0). With
    /// --resume, a count above the model's grows it: the new units start as the identity, the
    /// other weights keep their optimizer state.
    #[arg(long, value_parser = clap::value_parser!(u8).range(0..=2))]
    res: Option<u8>,
}

/// Runs a training command.
pub fn run(command: TrainCommand) -> Result<()> {
    let (config, device, medium) = match command {
        TrainCommand::Image(args) => {
            if args.crop < 16 || args.crop % 16 != 0 {
                return Err(Error::InvalidArgument("--crop must be a multiple of 16".into()));
            }
            let m = args.m.unwrap_or(192);
            let lambdas = rate_points(&args.common)?;
            let architecture = match args.arch.as_str() {
                "factorized" => Architecture::ImageFactorized(FactorizedConfig { n: args.n, m }),
                "hyperprior" => {
                    let config = HyperpriorConfig::new(args.n, m);
                    Architecture::ImageHyperprior(HyperpriorConfig { lambdas: lambdas.unwrap_or(config.lambdas), ..config })
                }
                other => return Err(Error::InvalidArgument(format!("unknown --arch '{other}' (factorized or hyperprior)"))),
            };
            widths(&[args.n, m])?;
            let mut config = config(&args.common, architecture, args.lambda, args.crop, lambdas);
            config.grow_m = args.m.filter(|_| config.resume.is_some());
            (config, args.common.device, Medium::Image)
        }
        TrainCommand::Audio(args) => {
            let res = args.res.map(usize::from);
            let lambdas = rate_points(&args.common)?;
            let new = AudioConfig::new(args.c, args.m, args.n);
            let architecture = Architecture::AudioHyperprior(AudioConfig { res: res.unwrap_or(0), lambdas: lambdas.unwrap_or(new.lambdas), ..new });
            widths(&[8 * args.c, args.m, args.n])?;
            let mut config = config(&args.common, architecture, 0.0, args.segment, lambdas);
            config.grow_res = res.filter(|_| config.resume.is_some());
            (config, args.common.device, Medium::Audio)
        }
        TrainCommand::Pack(args) => return pack(&args),
    };
    if config.batch == 0 {
        return Err(Error::InvalidArgument("--batch must be at least 1".into()));
    }
    if config.out.exists() && config.resume.as_ref() != Some(&config.out) {
        return Err(Error::InvalidArgument("output exists; resume from it with --resume or choose another --out".into()).in_file(&config.out));
    }
    let out = config.out.clone();
    let stats = device.run(Training { config, medium })?;
    eprintln!("{}: trained; last steps: loss {:.4}, rate {:.4}, distortion {:.4}", out.display(), stats.loss, stats.rate, stats.distortion);
    Ok(())
}

/// Writes the packed form of a checkpoint, after checking that it loads as a codec.
fn pack(args: &PackArgs) -> Result<()> {
    super::io::check_output(&args.output, args.force)?;
    let bytes = std::fs::read(&args.input).map_err(|e| Error::io(&args.input, e))?;
    let packed = ModelFile::parse(&bytes).and_then(|file| file.packed()).map_err(|e| e.in_file(&args.input))?;
    let model = crate::codec::Model::from_bytes(&packed).map_err(|e| e.in_file(&args.input))?;
    super::io::write_output(&args.output, &packed, args.force)?;
    eprintln!("{}: {} bytes (from {}), model {}", args.output.display(), packed.len(), bytes.len(), model.id());
    Ok(())
}

/// The eight trade-offs of `--lambdas`, if given (checked by training, see
/// [`valid_lambdas`](crate::latent::gain::valid_lambdas)).
fn rate_points(args: &CommonArgs) -> Result<Option<[f64; LEVELS]>> {
    let Some(values) = &args.lambdas else { return Ok(None) };
    let points = values.as_slice().try_into();
    points.map(Some).map_err(|_| Error::InvalidArgument(format!("--lambdas needs {LEVELS} values (qualities 1 to {LEVELS}), got {}", values.len())))
}

/// Layer widths of a new model must be 1 to 1024 (what model files accept).
fn widths(values: &[usize]) -> Result<()> {
    if values.iter().any(|w| !(1..=1024).contains(w)) {
        return Err(Error::InvalidArgument(format!("layer widths {values:?} must be 1 to 1024 (audio: 8·c)")));
    }
    Ok(())
}

/// The training run of `args`; `lambdas` (from `--lambdas`) move a resumed model's rate points.
fn config(args: &CommonArgs, architecture: Architecture, lambda: f64, crop: usize, lambdas: Option<[f64; LEVELS]>) -> TrainConfig {
    let hardware = args.hardware.clone().unwrap_or_else(|| args.device.describe());
    TrainConfig {
        data: args.data.clone(),
        out: args.out.clone(),
        resume: args.resume.clone(),
        validation: args.val.clone(),
        architecture,
        grow_res: None,
        grow_m: None,
        retarget: lambdas.filter(|_| args.resume.is_some()),
        lambda,
        qualities: args.qualities,
        steps: args.steps,
        batch: args.batch,
        crop,
        learning_rate: args.lr,
        checkpoint_every: args.checkpoint_every.max(1),
        seed: args.seed,
        hardware,
        progress: !args.quiet,
    }
}

/// A training run of one medium, generic over the backend.
struct Training {
    config: TrainConfig,
    medium: Medium,
}

#[derive(Clone, Copy)]
enum Medium {
    Image,
    Audio,
}

impl OnDevice for Training {
    type Output = StepStats;

    fn run<B: AutodiffBackend>(self, device: &B::Device) -> Result<StepStats> {
        match self.medium {
            Medium::Image => train_image::<B>(&self.config, device),
            Medium::Audio => train_audio::<B>(&self.config, device),
        }
    }
}
