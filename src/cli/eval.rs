//! `nmc eval …`

use std::path::PathBuf;
use std::sync::Arc;

use clap::{Args, Subcommand};
use serde::Serialize;

use crate::eval::classic::CLASSICS;
use crate::eval::rd::{bd_rate, show_bd, RdCurve, RdPoint, ResultSeries, ResultsJson};
use crate::eval::{eval_classic, eval_image, image_files, mean_of_all, ImageResult};
use crate::{EncodeOptions, Error, Model, Result};

/// What to evaluate.
#[derive(Subcommand, Debug)]
pub enum EvalCommand {
    /// Encode and decode every image of a folder; report bpp, PSNR and comparisons.
    Image(ImageArgs),
    /// Encode and decode every WAV clip of a folder; report kbps, mel distance, SI-SDR and
    /// comparisons with Opus.
    Audio(super::eval_audio::AudioArgs),
    /// Fit, encode and decode a video clip at several qualities; report bpp, kbps, PSNR, speed
    /// and comparisons with x264/x265.
    Video(super::eval_video::VideoArgs),
}

/// Options of `nmc eval image`.
#[derive(Args, Debug)]
pub struct ImageArgs {
    /// Folder of test images (e.g. ../shared/data/images/kodak).
    #[arg(long)]
    data: PathBuf,
    /// Model files, one operating point each (default: the embedded image model).
    #[arg(long)]
    model: Vec<PathBuf>,
    /// Qualities to code at with variable-rate models, e.g. `1,2,3,4,5,6,7,8` (one point each).
    #[arg(long, value_delimiter = ',')]
    qualities: Vec<f32>,
    /// Steps of encoder-side latent refinement per image (see `nmc encode --refine`).
    #[arg(long, default_value_t = 0)]
    refine: usize,
    /// Where the refinement runs (`cpu`, or `libtorch`, `cuda`… in builds with those features).
    #[arg(long, default_value = "cpu")]
    device: crate::Device,
    /// Also run libjpeg-turbo, libwebp and libavif on the same images (skipped if not installed).
    #[arg(long)]
    classic: bool,
    /// Folder of curves to compare against: CompressAI results JSON, or earlier runs' `--json`.
    #[arg(long)]
    anchors: Option<PathBuf>,
    /// Write the curves of this run (CompressAI's schema, nmc with per-image results) here.
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw the RD curves of this run (and the anchors named by --plot-anchor) as SVG.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Anchor file stems to draw besides this run's curves (e.g. compressai-bmshj2018-factorized_mse_cpu).
    #[arg(long)]
    plot_anchor: Vec<String>,
}

#[derive(Serialize)]
struct NmcResults {
    #[serde(flatten)]
    curve: ResultsJson,
    images: Vec<Vec<ImageResult>>,
}

/// Runs an evaluation command.
pub fn run(command: EvalCommand) -> Result<()> {
    let args = match command {
        EvalCommand::Image(args) => args,
        EvalCommand::Audio(args) => return super::eval_audio::run(args),
        EvalCommand::Video(args) => return super::eval_video::run(args),
    };
    let files = image_files(&args.data)?;
    if files.is_empty() {
        return Err(Error::InvalidArgument("no images found".into()).in_file(&args.data));
    }
    let models: Vec<Arc<Model>> = if args.model.is_empty() {
        vec![Model::embedded(crate::container::MediaKind::Image)?]
    } else {
        args.model.iter().map(|p| Model::load(p).map(Arc::new)).collect::<Result<_>>()?
    };

    // nmc: one point per model, per-image results.
    println!("{:<44} {:>8} {:>9} {:>8} {:>8} {:>8}", "codec / setting", "bpp", "PSNR dB", "MS-SSIM", "enc s", "dec s");
    let mut per_model = Vec::new();
    let mut points = Vec::new();
    let mut times = (Vec::new(), Vec::new());
    let qualities: Vec<Option<f32>> =
        if args.qualities.is_empty() { vec![None] } else { args.qualities.iter().copied().map(Some).collect() };
    for (model, quality) in models.iter().flat_map(|m| qualities.iter().map(move |q| (m, *q))) {
        let options = EncodeOptions { quality, model: Some(model.clone()), refine: args.refine, device: args.device, ..Default::default() };
        let results: Vec<ImageResult> = files.iter().map(|f| eval_image(f, &options)).collect::<Result<_>>()?;
        let n = results.len() as f64;
        let mean = |f: fn(&ImageResult) -> f64| results.iter().map(f).sum::<f64>() / n;
        let ms: Vec<Option<f64>> = results.iter().map(|r| r.ms_ssim).collect();
        let point = RdPoint { bpp: mean(|r| r.bpp), psnr: mean(|r| r.psnr), ms_ssim: mean_of_all(&ms) };
        let (enc, dec) = (mean(|r| r.encode_s), mean(|r| r.decode_s));
        let mut name = match quality {
            Some(q) => format!("nmc {} q{q}", &model.id().to_string()[..8]),
            None => format!("nmc {}", model.id()),
        };
        if args.refine > 0 {
            name += &format!(" refine {}", args.refine);
        }
        println!("{name:<44} {:>8.4} {:>9.3} {:>8} {:>8.3} {:>8.3}", point.bpp, point.psnr, fmt_ms(point.ms_ssim), enc, dec);
        points.push(point);
        times.0.push(enc);
        times.1.push(dec);
        per_model.push(results);
    }
    let nmc = RdCurve::new("nmc", points);

    // Classic codecs, same images, same run.
    let mut others = Vec::new();
    if args.classic {
        let work = tempfile::tempdir().map_err(|e| Error::io("temporary folder", e))?;
        for codec in &CLASSICS {
            if !codec.available() {
                eprintln!("{}: not installed (Debian package {}), skipped", codec.name, codec.package);
                continue;
            }
            let curve = eval_classic(codec, &files, work.path())?;
            for (p, s) in curve.points.iter().zip(codec.settings) {
                println!("{:<44} {:>8.4} {:>9.3} {:>8}", format!("{} {s}", codec.name), p.bpp, p.psnr, fmt_ms(p.ms_ssim));
            }
            others.push((curve, true));
        }
    }
    if let Some(dir) = &args.anchors {
        let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|e| e == "json"))
            .collect();
        paths.sort();
        for path in paths {
            match RdCurve::read_json(&path) {
                // Several files share a name (CPU/CUDA runs, MSE/MS-SSIM models): label by file,
                // and by file and curve for a file of several (an earlier `--json` run).
                Ok(curves) => {
                    let single = curves.len() == 1;
                    for curve in curves {
                        let name = if single { file_stem(&path) } else { format!("{}: {}", file_stem(&path), curve.name) };
                        others.push((RdCurve { name, ..curve }, false));
                    }
                }
                Err(e) => eprintln!("anchor skipped: {e}"),
            }
        }
    }
    print_comparisons(&nmc, &others);

    if let Some(path) = &args.plot {
        let mut curves = vec![nmc.clone()];
        curves.extend(others.iter().filter(|(c, measured)| *measured || args.plot_anchor.contains(&c.name)).map(|(c, _)| c.clone()));
        let title = format!("{} ({} images)", args.data.display(), files.len());
        crate::eval::plot::rd_plot(path, &title, &curves, &crate::eval::plot::image_axes(2.0))?;
    }

    if let Some(path) = &args.json {
        let series = |c: &RdCurve| ResultSeries {
            bpp: c.points.iter().map(|p| p.bpp).collect(),
            psnr_rgb: c.points.iter().map(|p| p.psnr).collect(),
            ms_ssim: c.points.iter().map(|p| p.ms_ssim).collect::<Option<Vec<f64>>>().unwrap_or_default(),
            ..Default::default()
        };
        let nmc_json = NmcResults {
            curve: ResultsJson {
                name: "nmc".into(),
                description: format!("models {}", models.iter().map(|m| m.id().to_string()).collect::<Vec<_>>().join(", ")),
                results: ResultSeries { encoding_time: times.0, decoding_time: times.1, ..series(&nmc) },
            },
            images: per_model,
        };
        let mut all = vec![serde_json::to_value(nmc_json).map_err(|e| Error::InvalidArgument(e.to_string()))?];
        for (curve, _) in others.iter().filter(|(_, measured)| *measured) {
            let json = ResultsJson { name: curve.name.clone(), description: "measured in the same run".into(), results: series(curve) };
            all.push(serde_json::to_value(json).map_err(|e| Error::InvalidArgument(e.to_string()))?);
        }
        let text = serde_json::to_vec_pretty(&all).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        crate::fsutil::write_atomic(path, &text, true)?;
    }
    Ok(())
}

/// BD-rate where nmc has a curve (≥ 4 points); otherwise, at each nmc point, the other codec's
/// PSNR at the same rate and its rate at the same PSNR.
fn print_comparisons(nmc: &RdCurve, others: &[(RdCurve, bool)]) {
    if others.is_empty() {
        return;
    }
    println!();
    if nmc.points.len() >= 4 {
        println!("{:<56} {:>14}", "BD-rate of nmc against", "(PSNR-RGB)");
        for (curve, measured) in others {
            let bd = show_bd(bd_rate(curve, nmc));
            println!("{:<56} {:>14}", label(curve, *measured), bd);
        }
        return;
    }
    for p in &nmc.points {
        println!("nmc at {:.4} bpp, {:.3} dB; the others at the same rate and at the same quality:", p.bpp, p.psnr);
        for (curve, measured) in others {
            let at_rate = curve.psnr_at(p.bpp).map_or("   -".into(), |v| format!("{v:.2} dB"));
            let at_psnr = curve.bpp_at(p.psnr).map_or("   -".into(), |v| format!("{v:.4} bpp ({:+.0}% vs nmc)", (v / p.bpp - 1.0) * 100.0));
            println!("  {:<56} {:>10}   {}", label(curve, *measured), at_rate, at_psnr);
        }
    }
}

fn fmt_ms(v: Option<f64>) -> String {
    v.map_or("-".into(), |v| format!("{v:.4}"))
}

fn file_stem(path: &std::path::Path) -> String {
    path.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn label(curve: &RdCurve, measured: bool) -> String {
    format!("{}{}", curve.name, if measured { " [this run]" } else { " [published]" })
}
