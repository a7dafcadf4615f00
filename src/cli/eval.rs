//! `nmc eval …`

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::eval::{eval_image, image_files, ImageResult};
use crate::{EncodeOptions, Error, Model, Result};

/// What to evaluate.
#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// Encode and decode every image of a folder; report bpp and PSNR.
    Image(ImageArgs),
}

/// Options of `nmc eval image`.
#[derive(Args, Debug)]
pub struct ImageArgs {
    /// Folder of test images (e.g. ../shared/data/images/kodak).
    #[arg(long)]
    data: PathBuf,
    /// Model file (default: the embedded image model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Write the per-image results and averages as JSON here.
    #[arg(long)]
    json: Option<PathBuf>,
}

#[derive(Serialize)]
struct Report {
    model: String,
    images: Vec<ImageResult>,
    mean_bpp: f64,
    mean_psnr: f64,
}

/// Runs an evaluation command.
pub fn run(command: EvalCommand) -> Result<()> {
    let EvalCommand::Image(args) = command;
    let model = match &args.model {
        Some(path) => Arc::new(Model::load(path)?),
        None => Model::embedded(crate::container::MediaKind::Image)?,
    };
    let files = image_files(&args.data)?;
    if files.is_empty() {
        return Err(Error::InvalidArgument("no images found".into()).in_file(&args.data));
    }
    let options = EncodeOptions { quality: None, model: Some(model.clone()) };
    println!("{:<16} {:>8} {:>9} {:>9} {:>9}", "image", "bpp", "PSNR dB", "enc s", "dec s");
    let mut images = Vec::new();
    for path in &files {
        let r = eval_image(path, &options)?;
        println!("{:<16} {:>8.4} {:>9.3} {:>9.3} {:>9.3}", r.name, r.bpp, r.psnr, r.encode_s, r.decode_s);
        images.push(r);
    }
    let n = images.len() as f64;
    let mean_bpp = images.iter().map(|r| r.bpp).sum::<f64>() / n;
    let mean_psnr = images.iter().map(|r| r.psnr).sum::<f64>() / n;
    println!("{:<16} {:>8.4} {:>9.3}", "mean", mean_bpp, mean_psnr);
    if let Some(json) = &args.json {
        let report = Report { model: model.id().to_string(), images, mean_bpp, mean_psnr };
        let text = serde_json::to_vec_pretty(&report).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        crate::fsutil::write_atomic(json, &text, true)?;
    }
    Ok(())
}
