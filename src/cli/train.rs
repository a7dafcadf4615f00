//! `nmc train …`

use std::path::PathBuf;

use burn::backend::Autodiff;
use clap::{Args, Subcommand};

use crate::codec::Cpu;
use crate::codec::Architecture;
use crate::image::{FactorizedConfig, HyperpriorConfig};
use crate::train::{train_image, ImageTrainConfig};
use crate::{Error, Result};

/// What to train.
#[derive(Subcommand, Debug)]
pub enum TrainCommand {
    /// Train the factorized-prior image model.
    Image(ImageArgs),
}

/// Options of `nmc train image`.
#[derive(Args, Debug)]
pub struct ImageArgs {
    /// Folder of training images (never the test set).
    #[arg(long)]
    data: PathBuf,
    /// Model file to write; it is also the checkpoint.
    #[arg(long)]
    out: PathBuf,
    /// Rate–distortion trade-off λ (loss λ·255²·MSE + bpp) of fixed-rate models; variable-rate
    /// (hyperprior) models train all eight λ of `--quality` 1–8.
    #[arg(long, default_value_t = 0.013)]
    lambda: f64,
    /// Total optimizer steps (a resumed run continues up to this count).
    #[arg(long, default_value_t = 100_000)]
    steps: u64,
    /// Batch size.
    #[arg(long, default_value_t = 8)]
    batch: usize,
    /// Crop size in pixels.
    #[arg(long, default_value_t = 256)]
    crop: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-4)]
    lr: f64,
    /// Architecture of a new model: `factorized` (bmshj2018) or `hyperprior` (mbt2018-mean).
    #[arg(long, default_value = "factorized")]
    arch: String,
    /// Hidden width N of a new model.
    #[arg(long, default_value_t = 128)]
    n: usize,
    /// Latent channels M of a new model.
    #[arg(long, default_value_t = 192)]
    m: usize,
    /// Resume from this model file (and the optimizer state beside it).
    #[arg(long)]
    resume: Option<PathBuf>,
    /// Folder of validation images, coded for real at every checkpoint (never the test set).
    #[arg(long)]
    val: Option<PathBuf>,
    /// Checkpoint interval in steps.
    #[arg(long, default_value_t = 500)]
    checkpoint_every: u64,
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Device: `cpu`, or `cuda` in builds with the `cuda` feature.
    #[arg(long, default_value = "cpu")]
    device: String,
    /// Hardware description recorded in the model metadata (default: a description of the device).
    #[arg(long)]
    hardware: Option<String>,
    /// Hide the progress bar.
    #[arg(long)]
    quiet: bool,
}

/// Runs a training command.
pub fn run(command: TrainCommand) -> Result<()> {
    let TrainCommand::Image(args) = command;
    if args.batch == 0 || args.crop < 16 || args.crop % 16 != 0 {
        return Err(Error::InvalidArgument("--batch must be ≥ 1 and --crop a multiple of 16".into()));
    }
    if args.out.exists() && args.resume.as_ref() != Some(&args.out) {
        return Err(Error::InvalidArgument("output exists; resume from it with --resume or choose another --out".into())
            .in_file(&args.out));
    }
    let threads = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let hardware = args.hardware.clone().unwrap_or_else(|| match args.device.as_str() {
        "cuda" => "NVIDIA GPU (burn-cuda)".to_string(),
        _ => format!("{threads}-thread CPU (burn flex)"),
    });
    let config = ImageTrainConfig {
        data: args.data,
        out: args.out.clone(),
        resume: args.resume,
        validation: args.val,
        architecture: match args.arch.as_str() {
            "factorized" => Architecture::ImageFactorized(FactorizedConfig { n: args.n, m: args.m }),
            "hyperprior" => Architecture::ImageHyperprior(HyperpriorConfig { n: args.n, m: args.m }),
            other => return Err(Error::InvalidArgument(format!("unknown --arch '{other}' (factorized or hyperprior)"))),
        },
        lambda: args.lambda,
        steps: args.steps,
        batch: args.batch,
        crop: args.crop,
        learning_rate: args.lr,
        checkpoint_every: args.checkpoint_every.max(1),
        seed: args.seed,
        hardware,
        progress: !args.quiet,
    };
    let stats = match args.device.as_str() {
        "cpu" => train_image::<Autodiff<Cpu>>(&config, &Default::default())?,
        // burn-cuda panics when the driver or NVRTC is missing: report that as an error.
        #[cfg(feature = "cuda")]
        "cuda" => std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            train_image::<Autodiff<burn::backend::Cuda>>(&config, &Default::default())
        }))
        .map_err(|_| Error::InvalidArgument("the CUDA backend failed: no usable NVIDIA GPU (driver, libcuda or libnvrtc missing?)".into()))??,
        other => {
            return Err(Error::InvalidArgument(format!(
                "unknown --device '{other}' (this build supports: cpu{})",
                if cfg!(feature = "cuda") { ", cuda" } else { "" }
            )))
        }
    };
    eprintln!(
        "{}: trained; last steps: loss {:.4}, bpp {:.4}, PSNR {:.2} dB",
        args.out.display(),
        stats.loss,
        stats.bpp,
        stats.psnr
    );
    Ok(())
}
