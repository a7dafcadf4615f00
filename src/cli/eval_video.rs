//! `nmc eval video`

use std::path::PathBuf;

use clap::Args;
use serde::Serialize;

use crate::eval::plot::{rd_plot, Axes};
use crate::eval::rd::{bd_rate, print_bd_table, RdCurve, RdPoint};
use crate::eval::{eval_video, FrameMetrics, VideoResult, CRFS, X26X};
use crate::media::Video;
use crate::{Error, Result};

/// Options of `nmc eval video`.
#[derive(Args, Debug)]
pub struct VideoArgs {
    /// The clip: a .y4m file or a folder of PNG frames (e.g. ../shared/data/video/bunny_480x270).
    #[arg(long)]
    data: PathBuf,
    /// Frame rate of a PNG-frame folder.
    #[arg(long, default_value = "25", value_parser = super::parse_fps)]
    fps: (u32, u32),
    /// Use only the first N frames.
    #[arg(long)]
    frames: Option<usize>,
    /// Qualities, one point each (default 2,4,6,8).
    #[arg(long, value_delimiter = ',')]
    qualities: Vec<f32>,
    /// Fitting steps per group of frames (default: the codec's).
    #[arg(long)]
    steps: Option<usize>,
    /// Fit on `cpu`, `cuda`, `libtorch` or `libtorch-cuda` (as `nmc encode --device`).
    #[arg(long, default_value = "cpu")]
    device: crate::Device,
    /// Also run x264 and x265 (ffmpeg, presets medium and veryslow, CRF sweep) on the same frames.
    #[arg(long)]
    classic: bool,
    /// Write every point (JSON).
    #[arg(long)]
    json: Option<PathBuf>,
    /// Draw PSNR (Y'CbCr 6:1:1) over bits per pixel as SVG.
    #[arg(long)]
    plot: Option<PathBuf>,
}

#[derive(Serialize)]
struct Curve {
    name: String,
    points: Vec<VideoResult>,
}

/// Runs `nmc eval video`. Every codec codes the clip in 4:2:0 (a 4:4:4 source is averaged
/// down first) at even width and height (an odd last row or column is cut), so all curves see
/// the same input.
pub fn run(args: VideoArgs) -> Result<()> {
    let video = Video::read(&args.data, args.fps)?;
    let video = match args.frames {
        Some(n) if n < video.frames().len() => video.slice(0..n.max(1))?,
        _ => video,
    }
    .to_420();
    // x264 and x265 need even sizes in 4:2:0: every codec gets the same even-sized frames.
    let video = video.crop(video.width() & !1, video.height() & !1)?;
    println!("{}: {}x{}, {} frames, 4:2:0", args.data.display(), video.width(), video.height(), video.frames().len());
    println!("{:<44} {:>8} {:>9} {:>8} {:>8} {:>8} {:>9} {:>8}", "codec / setting", "bpp", "kbps", "PSNR-YUV", "PSNR-RGB", "MS-SSIM", "encode s", "dec fps");
    let show = |name: &str, r: &VideoResult| {
        let m = &r.metrics.mean;
        let ssim = m.ms_ssim.map_or("-".into(), |v| format!("{v:.4}"));
        println!("{:<44} {:>8.4} {:>9.1} {:>8.2} {:>8.2} {:>8} {:>9.1} {:>8.1}", format!("{name} {}", r.setting), r.bpp, r.kbps, m.psnr_yuv, m.psnr_rgb, ssim, r.encode_s, r.decode_fps);
    };
    let qualities = if args.qualities.is_empty() { vec![2.0, 4.0, 6.0, 8.0] } else { args.qualities.clone() };
    let mut nmc = Vec::new();
    for q in qualities {
        let r = eval_video(&video, q, args.steps, args.device, true).map_err(|e| e.in_file(&args.data))?;
        show("nmc", &r);
        nmc.push(r);
    }
    let mut curves = vec![Curve { name: "nmc (video INR)".into(), points: nmc }];
    if args.classic {
        let work = tempfile::tempdir().map_err(|e| Error::io("temporary folder", e))?;
        for codec in X26X {
            if !codec.available() {
                eprintln!("{}: ffmpeg with {} not installed (Debian package ffmpeg), skipped", codec.name, codec.name.split(' ').next().unwrap_or(""));
                continue;
            }
            let mut points = Vec::new();
            for crf in CRFS {
                let r = codec.run(&video, crf, work.path())?;
                show(&format!("{} {}", codec.name.split(' ').next().unwrap_or(codec.name), codec.preset), &r);
                points.push(r);
            }
            curves.push(Curve { name: codec.name.into(), points });
        }
    }
    let rd = |c: &Curve, quality: fn(&FrameMetrics) -> f64| {
        RdCurve::new(c.name.clone(), c.points.iter().map(|p| RdPoint { bpp: p.bpp, psnr: quality(&p.metrics.mean), ms_ssim: None }).collect())
    };
    if curves.len() > 1 {
        let rows = curves[1..].iter().map(|other| {
            let bd = |q: fn(&FrameMetrics) -> f64| bd_rate(&rd(other, q), &rd(&curves[0], q));
            (other.name.clone(), [bd(|m| m.psnr_yuv), bd(|m| m.psnr_rgb)])
        });
        print_bd_table(["on PSNR-YUV", "on PSNR-RGB"], rows);
    }
    if let Some(path) = &args.plot {
        let drawn: Vec<RdCurve> = curves.iter().map(|c| rd(c, |m| m.psnr_yuv)).collect();
        let max_rate = drawn[0].points.iter().map(|p| p.bpp).fold(0.0, f64::max) * 1.5;
        let title = format!("{} ({} frames)", args.data.display(), video.frames().len());
        rd_plot(path, &title, &drawn, &Axes { max_rate, rate: "bits per pixel", quality: "PSNR Y'CbCr 6:1:1 (dB)" })?;
    }
    if let Some(path) = &args.json {
        let text = serde_json::to_vec_pretty(&curves).map_err(|e| Error::InvalidArgument(e.to_string()))?;
        crate::fsutil::write_atomic(path, &text, true)?;
    }
    Ok(())
}
