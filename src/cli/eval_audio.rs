//! `nmc eval audio`

use std::path::PathBuf;
use std::sync::Arc;

use clap::Args;
use serde::Serialize;

use crate::container::MediaKind;
use crate::eval::plot::{rd_plot, Axes};
use crate::eval::rd::{bd_rate, print_bd_table, RdCurve, RdPoint};
use crate::eval::{audio_files, eval_audio, opus, AudioMetrics, AudioResult};
use crate::media::Audio;
use crate::{EncodeOptions, Error, Model, Result};

/// Options of `nmc eval audio`.
#[derive(Args, Debug)]
pub struct AudioArgs {
    /// Folder of test clips (WAV), e.g. ../shared/data/audio/test.
    #[arg(long)]
    data: PathBuf,
    /// Model file (default: the embedded audio model).
    #[arg(long)]
    model: Option<PathBuf>,
    /// A second model file to run on the same clips and settings, e.g. the previous default
    /// (its own curve, and a BD-rate row).
    #[arg(long)]
    baseline: Option<PathBuf>,
    /// Target bitrates in kbps, one point each (largest quality not above the target).
    #[arg(long, value_delimiter = ',', conflicts_with = "qualities")]
    bitrates: Vec<f64>,
    /// Qualities, one point each (default 1,2,…,8).
    #[arg(long, value_delimiter = ',')]
    qualities: Vec<f32>,
    /// Also run Opus at 6, 8, 12, 16, 24 and 32 kbps on the same clips (skipped if not installed).
    #[arg(long)]
    classic: bool,
    /// Write every point with its per-clip results here (JSON).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw log-mel distance over kbps as SVG.
    #[arg(long)]
    plot: Option<PathBuf>,
}

/// One operating point: the setting, means over the clips, and the clips.
#[derive(Clone, Debug, Serialize)]
struct Point {
    setting: String,
    kbps: f64,
    metrics: AudioMetrics,
    clips: Vec<AudioResult>,
}

#[derive(Serialize)]
struct Curve {
    name: String,
    points: Vec<Point>,
}

/// Runs `nmc eval audio`.
pub fn run(args: AudioArgs) -> Result<()> {
    let files = audio_files(&args.data)?;
    if files.is_empty() {
        return Err(Error::InvalidArgument("no WAV files found".into()).in_file(&args.data));
    }
    let model = match &args.model {
        Some(path) => Arc::new(Model::load(path)?),
        None => Model::embedded(MediaKind::Audio)?,
    };
    let baseline = args.baseline.as_deref().map(Model::load).transpose()?.map(Arc::new);
    println!("{:<40} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8}", "codec / setting", "kbps", "mel", "STFT", "SI-SDR dB", "enc ×RT", "dec ×RT");
    let mut curves = vec![eval_model(&files, &args, &model, "nmc")?];
    if let Some(baseline) = &baseline {
        let label = format!("baseline {}", &baseline.id().to_string()[..8]);
        curves.push(eval_model(&files, &args, baseline, &label)?);
    }

    if args.classic {
        if opus::available() {
            let work = tempfile::tempdir().map_err(|e| Error::io("temporary folder", e))?;
            let sources: Vec<(PathBuf, Audio)> = files.iter().map(|f| Ok((f.clone(), Audio::read(f)?))).collect::<Result<_>>()?;
            let mut points = Vec::new();
            for kbps in opus::BITRATES {
                let clips = sources
                    .iter()
                    .map(|(file, audio)| {
                        let (rate, metrics) = opus::run(audio, kbps, work.path()).map_err(|e| e.in_file(file))?;
                        Ok(AudioResult { name: file_name(file), duration_s: audio.duration(), kbps: rate, metrics, encode_s: 0.0, decode_s: 0.0 })
                    })
                    .collect::<Result<Vec<_>>>()?;
                let p = mean_point(format!("{kbps} kbps"), clips);
                println!("{:<40} {:>8.3} {:>8.4} {:>8.4} {:>9.2}", format!("Opus {}", p.setting), p.kbps, p.metrics.mel, p.metrics.stft, p.metrics.si_sdr);
                points.push(p);
            }
            curves.push(Curve { name: opus::NAME.into(), points });
        } else {
            eprintln!("Opus: not installed (Debian package {}), skipped", opus::PACKAGE);
        }
    }

    let rd = |c: &Curve, quality: fn(&AudioMetrics) -> f64| {
        RdCurve::new(c.name.clone(), c.points.iter().map(|p| RdPoint { bpp: p.kbps, psnr: quality(&p.metrics), ms_ssim: None }).collect())
    };
    if curves.len() > 1 {
        let rows = curves[1..].iter().map(|other| {
            let bd = |q: fn(&AudioMetrics) -> f64| bd_rate(&rd(other, q), &rd(&curves[0], q));
            (other.name.clone(), [bd(|m| -m.mel), bd(|m| m.si_sdr)])
        });
        print_bd_table(["on mel distance", "on SI-SDR"], rows);
    }
    if let Some(path) = &args.plot {
        let drawn: Vec<RdCurve> = curves.iter().map(|c| rd(c, |m| m.mel)).collect();
        let max_rate = drawn.iter().flat_map(|c| c.points.iter().map(|p| p.bpp)).fold(0.0, f64::max).ceil().max(1.0);
        let title = format!("{} ({} clips)", args.data.display(), files.len());
        rd_plot(path, &title, &drawn, &Axes { max_rate, rate: "kbps", quality: "log-mel distance (lower is better)" })?;
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_vec_pretty(&curves).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        crate::fsutil::write_atomic(path, &text, true)?;
    }
    Ok(())
}

/// One curve of a model: a point per setting of `args` (qualities or bitrates), each printed
/// as a row `{label} {setting}`.
fn eval_model(files: &[PathBuf], args: &AudioArgs, model: &Arc<Model>, label: &str) -> Result<Curve> {
    let settings: Vec<(String, EncodeOptions, Option<f64>)> = if !args.bitrates.is_empty() {
        args.bitrates.iter().map(|&b| (format!("{b} kbps"), EncodeOptions { quality: None, model: Some(model.clone()), ..Default::default() }, Some(b))).collect()
    } else {
        let qualities = if args.qualities.is_empty() { (1..=8).map(|q| q as f32).collect() } else { args.qualities.clone() };
        qualities.into_iter().map(|q| (format!("q{q}"), EncodeOptions { quality: Some(q), model: Some(model.clone()), ..Default::default() }, None)).collect()
    };
    let mut points = Vec::new();
    for (setting, options, bitrate) in settings {
        let clips: Vec<AudioResult> = files.iter().map(|f| eval_audio(f, &options, bitrate)).collect::<Result<_>>()?;
        let point = mean_point(setting, clips);
        let seconds: f64 = point.clips.iter().map(|c| c.duration_s).sum();
        let (enc, dec) = (point.clips.iter().map(|c| c.encode_s).sum::<f64>(), point.clips.iter().map(|c| c.decode_s).sum::<f64>());
        println!("{:<40} {:>8.3} {:>8.4} {:>8.4} {:>9.2} {:>8.1} {:>8.1}", format!("{label} {}", point.setting), point.kbps, point.metrics.mel, point.metrics.stft, point.metrics.si_sdr, seconds / enc, seconds / dec);
        points.push(point);
    }
    Ok(Curve { name: format!("nmc {}", &model.id().to_string()[..8]), points })
}

fn mean_point(setting: String, clips: Vec<AudioResult>) -> Point {
    let n = clips.len().max(1) as f64;
    let mean = |f: fn(&AudioResult) -> f64| clips.iter().map(f).sum::<f64>() / n;
    let metrics = AudioMetrics { mel: mean(|c| c.metrics.mel), stft: mean(|c| c.metrics.stft), si_sdr: mean(|c| c.metrics.si_sdr) };
    Point { setting, kbps: mean(|c| c.kbps), metrics, clips }
}

fn file_name(path: &std::path::Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}
