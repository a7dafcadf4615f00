//! Rate–distortion evaluation: metrics and per-file runs of the codec.

mod audio;
pub mod classic;
mod metrics;
pub mod opus;
pub mod plot;
pub mod rd;
mod video;

pub use audio::{audio_files, audio_metrics, eval_audio, si_sdr, AudioMetrics, AudioResult};
pub use metrics::{ms_ssim, psnr};
pub use video::{eval_video, video_metrics, FrameMetrics, VideoMetrics, VideoResult, X26x, CRFS, X26X};

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::media::{Image, Media};
use crate::{Error, Result};

/// Rate and distortion of one coded image.
#[derive(Clone, Debug, Serialize)]
pub struct ImageResult {
    /// Source file name.
    pub name: String,
    /// Bits per pixel of the whole .nmc file.
    pub bpp: f64,
    /// PSNR over RGB (8-bit) in dB.
    pub psnr: f64,
    /// MS-SSIM over RGB (images of at least 161 pixels on a side).
    pub ms_ssim: Option<f64>,
    /// Encode and decode wall times in seconds.
    pub encode_s: f64,
    pub decode_s: f64,
}

/// Images of a folder, sorted by name.
pub fn image_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    let mut paths: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            let ext = p.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
            matches!(ext.as_str(), "png" | "jpg" | "jpeg" | "bmp" | "tif" | "tiff" | "webp" | "ppm" | "pgm")
        })
        .collect();
    paths.sort();
    Ok(paths)
}

/// Encodes and decodes one image with `options`, measuring rate, PSNR and time.
pub fn eval_image(path: &Path, options: &crate::EncodeOptions) -> Result<ImageResult> {
    let image = Image::read(path)?;
    let t0 = std::time::Instant::now();
    let bytes = crate::encode(&Media::Image(image.clone()), options).map_err(|e| e.in_file(path))?;
    let t1 = std::time::Instant::now();
    let decode_options = crate::DecodeOptions { models: options.model.iter().cloned().collect() };
    let Media::Image(decoded) = crate::decode_with(&bytes, &decode_options).map_err(|e| e.in_file(path))? else {
        return Err(Error::Malformed("decoded media is not an image".into()).in_file(path));
    };
    let t2 = std::time::Instant::now();
    Ok(ImageResult {
        name: path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default(),
        bpp: bytes.len() as f64 * 8.0 / (image.width() as f64 * image.height() as f64),
        psnr: psnr(image.pixels(), decoded.pixels()),
        ms_ssim: rgb_ms_ssim(&image, &decoded)?,
        encode_s: (t1 - t0).as_secs_f64(),
        decode_s: (t2 - t1).as_secs_f64(),
    })
}

/// Mean rate and quality of a classic codec at each setting of its sweep over `files`
/// (`work` is a scratch folder). Settings whose tool fails are reported as errors.
pub fn eval_classic(codec: &classic::Classic, files: &[PathBuf], work: &Path) -> Result<rd::RdCurve> {
    let sources: Vec<(Image, PathBuf, PathBuf)> = files
        .iter()
        .enumerate()
        .map(|(i, file)| {
            let image = Image::read(file)?;
            let rgb = Image::new(image.width(), image.height(), 3, image.to_rgb()?)?;
            let (png, bmp) = (work.join(format!("src{i}.png")), work.join(format!("src{i}.bmp")));
            for (path, format) in [(&png, ::image::ImageFormat::Png), (&bmp, ::image::ImageFormat::Bmp)] {
                std::fs::write(path, rgb.encode(format)?).map_err(|e| Error::io(path, e))?;
            }
            Ok((rgb, png, bmp))
        })
        .collect::<Result<_>>()?;
    let mut points = Vec::new();
    for &setting in codec.settings {
        let (mut bpp, mut psnr_sum, mut ms_ssims) = (0.0, 0.0, Vec::new());
        for (image, png, bmp) in &sources {
            let r = codec.run(png, bmp, setting, work)?;
            bpp += r.bytes as f64 * 8.0 / (image.width() as f64 * image.height() as f64);
            psnr_sum += psnr(image.pixels(), &r.decoded.to_rgb()?);
            ms_ssims.push(rgb_ms_ssim(image, &r.decoded)?);
        }
        let n = sources.len() as f64;
        points.push(rd::RdPoint { bpp: bpp / n, psnr: psnr_sum / n, ms_ssim: mean_of_all(&ms_ssims) });
    }
    Ok(rd::RdCurve::new(codec.name, points))
}

/// MS-SSIM of two images of the same size over RGB.
fn rgb_ms_ssim(a: &Image, b: &Image) -> Result<Option<f64>> {
    Ok(ms_ssim(&a.to_rgb()?, &b.to_rgb()?, a.width() as usize, a.height() as usize, 3))
}

/// The mean of the values if every one is present.
pub fn mean_of_all(values: &[Option<f64>]) -> Option<f64> {
    let all: Option<Vec<f64>> = values.iter().copied().collect();
    all.filter(|v| !v.is_empty()).map(|v| v.iter().sum::<f64>() / v.len() as f64)
}
