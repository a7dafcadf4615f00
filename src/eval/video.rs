//! Video metrics and runs: nmc and x264/x265 (through ffmpeg) on the same frames.

use std::path::Path;
use std::time::Instant;

use serde::Serialize;

use super::classic::{on_path, path, tool};
use super::metrics::{ms_ssim, psnr};
use crate::media::{Media, Video};
use crate::{Error, Result};

/// Quality of a decoded clip against its source: the mean over frames and each frame's.
#[derive(Clone, Debug, Serialize)]
pub struct VideoMetrics {
    /// The means over frames (written beside `frames`, not nested, in JSON).
    #[serde(flatten)]
    pub mean: FrameMetrics,
    /// Each frame's, in frame order.
    pub frames: Vec<FrameMetrics>,
}

/// The quality of one decoded frame, or its mean over frames.
#[derive(Clone, Debug, Serialize)]
pub struct FrameMetrics {
    /// PSNR in dB of the Y'CbCr planes weighted 6:1:1 (MSE weighted).
    pub psnr_yuv: f64,
    /// PSNR in dB over RGB (full-range BT.601 conversion of both clips; at most 100).
    pub psnr_rgb: f64,
    /// MS-SSIM over RGB, for frames of at least 161 pixels on a side.
    pub ms_ssim: Option<f64>,
}

/// One coded clip: rate, quality and speed.
#[derive(Clone, Debug, Serialize)]
pub struct VideoResult {
    /// The setting (e.g. `q4`, `crf 28`).
    pub setting: String,
    /// Coded size in bytes.
    pub bytes: u64,
    /// Bits per pixel (all frames).
    pub bpp: f64,
    /// Kilobits per second.
    pub kbps: f64,
    /// Quality.
    pub metrics: VideoMetrics,
    /// Encode (for nmc: fitting) wall time in seconds.
    pub encode_s: f64,
    /// Decoded frames per second.
    pub decode_fps: f64,
}

/// Per-frame metrics of `test` against `reference` (same size, frame count and chroma), averaged.
pub fn video_metrics(reference: &Video, test: &Video) -> Result<VideoMetrics> {
    let shape = |v: &Video| (v.width(), v.height(), v.frames().len(), v.chroma());
    if shape(reference) != shape(test) {
        return Err(Error::InvalidArgument(format!("clips differ in shape: {:?} vs {:?}", shape(reference), shape(test))));
    }
    let frames: Vec<FrameMetrics> = reference
        .frames()
        .iter()
        .zip(test.frames())
        .enumerate()
        .map(|(i, (a, b))| {
            let mse = crate::video::weighted_mse(a, b).max(1e-10);
            let (ra, rb) = (reference.frame_rgb(i), test.frame_rgb(i));
            FrameMetrics {
                psnr_yuv: 10.0 * (255.0f64.powi(2) / mse).log10(),
                psnr_rgb: psnr(&ra, &rb).min(100.0),
                ms_ssim: ms_ssim(&ra, &rb, reference.width(), reference.height(), 3),
            }
        })
        .collect();
    let n = frames.len() as f64;
    let mean = |f: fn(&FrameMetrics) -> f64| frames.iter().map(f).sum::<f64>() / n;
    let ms_ssim = frames.iter().map(|f| f.ms_ssim).sum::<Option<f64>>().map(|s| s / n);
    Ok(VideoMetrics { mean: FrameMetrics { psnr_yuv: mean(|f| f.psnr_yuv), psnr_rgb: mean(|f| f.psnr_rgb), ms_ssim }, frames })
}

fn result(setting: String, source: &Video, bytes: u64, decoded: &Video, encode_s: f64, decode_s: f64) -> Result<VideoResult> {
    let bits = bytes as f64 * 8.0;
    Ok(VideoResult {
        setting,
        bytes,
        bpp: bits / (source.width() * source.height() * source.frames().len()) as f64,
        kbps: bits / source.duration() / 1000.0,
        metrics: video_metrics(source, decoded)?,
        encode_s,
        decode_fps: source.frames().len() as f64 / decode_s.max(1e-9),
    })
}

/// Encodes and decodes `video` with nmc at `quality`, fitting `steps` steps per group on `device`.
pub fn eval_video(video: &Video, quality: f32, steps: Option<usize>, device: crate::Device, progress: bool) -> Result<VideoResult> {
    let options = crate::EncodeOptions { quality: Some(quality), steps, device, progress, ..Default::default() };
    let t0 = Instant::now();
    let bytes = crate::encode(&Media::Video(video.clone()), &options)?;
    let t1 = Instant::now();
    let Media::Video(decoded) = crate::decode(&bytes)? else {
        return Err(Error::Malformed("decoded media is not video".into()));
    };
    let t2 = Instant::now();
    result(format!("q{quality}"), video, bytes.len() as u64, &decoded, (t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64())
}

/// A classic video encoder run through ffmpeg.
#[derive(Clone, Copy, Debug)]
pub struct X26x {
    /// Display name.
    pub name: &'static str,
    /// ffmpeg encoder name.
    encoder: &'static str,
    /// ffmpeg raw-stream muxer (the rate counts the elementary stream only).
    format: &'static str,
    /// Encoder preset.
    pub preset: &'static str,
}

/// CRF values of the sweep, lowest rate first.
pub const CRFS: [u32; 6] = [43, 38, 33, 28, 23, 18];

/// The classic video codecs of `nmc eval video --classic`: x264 and x265, presets medium and
/// veryslow.
pub const X26X: [X26x; 4] = [
    X26x { name: "x264 (ffmpeg libx264, preset medium)", encoder: "libx264", format: "h264", preset: "medium" },
    X26x { name: "x265 (ffmpeg libx265, preset medium)", encoder: "libx265", format: "hevc", preset: "medium" },
    X26x { name: "x264 (ffmpeg libx264, preset veryslow)", encoder: "libx264", format: "h264", preset: "veryslow" },
    X26x { name: "x265 (ffmpeg libx265, preset veryslow)", encoder: "libx265", format: "hevc", preset: "veryslow" },
];

impl X26x {
    /// Whether ffmpeg is installed with this encoder.
    pub fn available(&self) -> bool {
        on_path(&["ffmpeg"])
            && std::process::Command::new("ffmpeg")
                .args(["-hide_banner", "-encoders"])
                .output()
                .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).contains(self.encoder))
    }

    /// Codes `video` (8-bit, written as y4m into the scratch folder `work`) at `crf`.
    pub fn run(&self, video: &Video, crf: u32, work: &Path) -> Result<VideoResult> {
        let (source, coded, decoded) = (work.join("source.y4m"), work.join(format!("coded.{}", self.format)), work.join("decoded.y4m"));
        if !source.exists() {
            std::fs::write(&source, video.to_y4m()).map_err(|e| Error::io(&source, e))?;
        }
        let pix_fmt = match video.chroma() {
            crate::container::Chroma::Yuv420 => "yuv420p",
            crate::container::Chroma::Yuv444 => "yuv444p",
        };
        let crf_text = crf.to_string();
        let quiet = ["-hide_banner", "-loglevel", "error", "-y"];
        let mut encode: Vec<&str> = quiet.to_vec();
        encode.extend(["-i", path(&source), "-c:v", self.encoder, "-preset", self.preset, "-crf", &crf_text, "-pix_fmt", pix_fmt]);
        if self.encoder == "libx265" {
            encode.extend(["-x265-params", "log-level=error"]);
        }
        encode.extend(["-f", self.format, path(&coded)]);
        let t0 = Instant::now();
        tool("ffmpeg", &encode)?;
        let t1 = Instant::now();
        let mut decode: Vec<&str> = quiet.to_vec();
        decode.extend(["-i", path(&coded), "-pix_fmt", pix_fmt, "-f", "yuv4mpegpipe", "-strict", "-1", path(&decoded)]);
        tool("ffmpeg", &decode)?;
        let t2 = Instant::now();
        let bytes = std::fs::metadata(&coded).map_err(|e| Error::io(&coded, e))?.len();
        let out = Video::from_y4m(&std::fs::read(&decoded).map_err(|e| Error::io(&decoded, e))?).map_err(|e| e.in_file(&decoded))?;
        let out = Video::new(out.width(), out.height(), video.fps(), out.chroma(), out.frames().to_vec())?;
        result(format!("crf {crf}"), video, bytes, &out, (t1 - t0).as_secs_f64(), (t2 - t1).as_secs_f64())
    }
}
