//! The `nmc` command line: thin over the library.

mod eval;
mod eval_audio;
mod eval_video;
mod io;
mod train;

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Parser, Subcommand};

use crate::container::MediaKind;
use crate::{DecodeOptions, Device, EncodeOptions, Media, Model, Result};

/// nmc — a learned media codec.
#[derive(Parser, Debug)]
#[command(name = "nmc", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Compress a media file into .nmc (kind detected from the input; `-` reads stdin).
    Encode {
        /// Input file, or `-` for stdin.
        input: PathBuf,
        /// Output .nmc file, or `-` for stdout.
        #[arg(short, long)]
        output: PathBuf,
        /// Quality 1–8 (fractional allowed) for variable-rate models; default 4.
        #[arg(long, conflicts_with = "bitrate")]
        quality: Option<f32>,
        /// Audio and video: the largest quality whose file is at most this many kbps (video:
        /// each probe of the search is a whole fit, about 8 in all).
        #[arg(long, visible_alias = "kbps")]
        bitrate: Option<f64>,
        /// Model file to use instead of the embedded default.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Video: fitting steps per group of frames (more: better quality, slower encode).
        #[arg(long)]
        steps: Option<usize>,
        /// Image: steps of encoder-side latent refinement (0: none). Gradient steps on this
        /// image's latents under the model's loss: a smaller file at the same quality, the
        /// same decoder; each step costs about one decode and its backward pass.
        #[arg(long, default_value_t = 0)]
        refine: usize,
        /// Video: continue an interrupted encode from OUT.part (finished groups are kept there).
        #[arg(long)]
        resume: bool,
        /// Video fitting and image refinement: run on `cpu`, `cuda` (builds with the `cuda`
        /// feature), `libtorch` or `libtorch-cuda` (the CPU or an NVIDIA GPU through LibTorch;
        /// builds with the `tch` feature).
        #[arg(long, default_value = "cpu")]
        device: Device,
        /// Video from a folder of PNG frames: frame rate, e.g. 25 or 30000/1001.
        #[arg(long, default_value = "25", value_parser = parse_fps)]
        fps: (u32, u32),
        /// Overwrite an existing output.
        #[arg(long)]
        force: bool,
    },
    /// Decompress an .nmc file; the output format follows OUT's extension (`-`: PNG to stdout).
    Decode {
        /// Input .nmc file, or `-` for stdin.
        input: PathBuf,
        /// Output file, or `-` for stdout.
        #[arg(short, long)]
        output: PathBuf,
        /// Model file to decode with, when the file was made with a non-embedded model.
        #[arg(long)]
        model: Option<PathBuf>,
        /// Audio: write this sample rate instead of the original one.
        #[arg(long)]
        rate: Option<u32>,
        /// Overwrite an existing output.
        #[arg(long)]
        force: bool,
    },
    /// Show an .nmc file's header, chunks and rate.
    Info {
        /// The .nmc file (or a model file, .nmcm), or `-` for stdin.
        file: PathBuf,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Train a model.
    #[command(subcommand)]
    Train(train::TrainCommand),
    /// Measure rate and distortion on a data set.
    #[command(subcommand)]
    Eval(eval::EvalCommand),
}

/// Runs the parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Encode { input, output, quality, bitrate, model, steps, refine, resume, device, fps, force } => {
            io::check_output(&output, force)?;
            let model = model.map(|p| Model::load(&p).map(Arc::new)).transpose()?;
            let source = io::read_encode_input(&input, fps)?;
            if refine > 0 && !matches!(&source, io::Input::Media(crate::Media::Image(_))) {
                return Err(crate::Error::InvalidArgument("--refine applies to images only".into()).in_file(&input));
            }
            // Video groups are checkpointed beside a file output: OUT.part, removed on success.
            let checkpoint = (!io::is_stdio(&output)).then(|| io::part_path(&output));
            let options = EncodeOptions { quality, model, steps, refine, progress: true, device, checkpoint: checkpoint.clone(), resume };
            let bytes = match (&source, bitrate) {
                (io::Input::Wav(wav), Some(kbps)) => crate::audio::encode_wav_at_bitrate(wav.open()?, &options, kbps),
                (io::Input::Wav(wav), None) => crate::audio::encode_wav(wav.open()?, &options),
                (io::Input::Media(media), Some(kbps)) => crate::encode_at_bitrate(media, &options, kbps),
                (io::Input::Media(media), None) => crate::encode(media, &options),
            }
            .map_err(|e| e.in_file(&input))?;
            io::write_output(&output, &bytes, force)?;
            if let Some(part) = checkpoint.filter(|p| p.exists()) {
                std::fs::remove_file(&part).map_err(|e| crate::Error::io(&part, e))?;
            }
            let info = crate::inspect(&bytes)?;
            let rate = match (info.bits_per_pixel, info.kbps) {
                (Some(bpp), Some(kbps)) => format!("{bpp:.4} bpp, {kbps:.1} kbps"),
                (Some(bpp), None) => format!("{bpp:.4} bpp"),
                (None, Some(kbps)) => format!("{kbps:.3} kbps"),
                (None, None) => String::new(),
            };
            eprintln!("{}: {} bytes, {rate}", io::display(&output), bytes.len());
            Ok(())
        }
        Command::Decode { input, output, model, rate, force } => {
            io::check_output(&output, force)?;
            let models = model.map(|p| Model::load(&p).map(Arc::new)).transpose()?.into_iter().collect();
            let bytes = io::read_input(&input)?;
            let options = DecodeOptions { models };
            if crate::inspect(&bytes).is_ok_and(|info| info.header.params.kind() == MediaKind::Audio) {
                return io::write_wav(&output, force, |out| crate::audio::decode_to_wav(&bytes, &options, rate, out).map_err(|e| e.in_file(&input)));
            }
            let media = crate::decode_with(&bytes, &options).map_err(|e| e.in_file(&input))?;
            if let (Media::Video(video), true) = (&media, io::is_frame_folder(&output)) {
                return video.write_png_dir(&output);
            }
            let encoded = io::encode_media(&media, &output)?;
            io::write_output(&output, &encoded, force)
        }
        Command::Info { file, json } => {
            let bytes = io::read_input(&file)?;
            if crate::codec::ModelFile::is_model_file(&bytes) {
                let model = crate::codec::ModelFile::parse(&bytes).map_err(|e| e.in_file(&file))?;
                return io::print_model_info(&file, &model, bytes.len(), json);
            }
            let info = crate::inspect(&bytes).map_err(|e| e.in_file(&file))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&info).expect("info serializes"));
            } else {
                io::print_info(&file, &info);
            }
            Ok(())
        }
        Command::Train(command) => train::run(command),
        Command::Eval(command) => eval::run(command),
    }
}

/// Parses a frame rate given as an integer (`25`) or a fraction (`30000/1001`).
pub(crate) fn parse_fps(text: &str) -> std::result::Result<(u32, u32), String> {
    let (num, den) = text.split_once('/').unwrap_or((text, "1"));
    match (num.trim().parse::<u32>(), den.trim().parse::<u32>()) {
        (Ok(n), Ok(d)) if n > 0 && d > 0 => Ok((n, d)),
        _ => Err(format!("'{text}' is not a frame rate (use an integer like 25 or a fraction like 30000/1001)")),
    }
}
