//! Fits one clip with explicit settings and prints the real rate and PSNR: for choosing the
//! video codec's defaults by measurement.
//!
//! `cargo run --release --example fit_video -- DIR FRAMES SCALE STEPS LAMBDA [HIDDEN] [FRAMES_PER_STEP] [LR] [TEMPORAL] [CONTEXT]`
//! (fits on the device named by `NMC_DEVICE`, default `cpu`; `libtorch` or `libtorch-cuda` in `--features tch` builds)
//! (`SCALE` 2 halves the frames' size; `HIDDEN` like `24,24`; `TEMPORAL`: log2 temporal stride per level, like `0,1,2,3,3,3,3`; `CONTEXT`: hidden widths of the latents' context model like `16,16`, or `none`).

use nmc::media::Video;
use nmc::video::fit::FitOptions;
use nmc::video::NetConfig;

fn main() -> nmc::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize, default: &str| args.get(i).cloned().unwrap_or_else(|| default.to_string());
    let full = Video::read_png_dir(arg(1, "../shared/data/video/bunny_480x270").as_ref(), (25, 1))?;
    let frames: usize = arg(2, "8").parse().unwrap();
    let scale: usize = arg(3, "1").parse().unwrap();
    let video = downscale(&full.slice(0..frames)?, scale)?.to_420();
    let config = NetConfig {
        temporal: arg(9, "0,1,2,3,3,3,3").split(',').map(|t| t.parse().unwrap()).collect(),
        hidden: arg(6, "24,24").split(',').map(|w| w.parse().unwrap()).collect(),
        context: match arg(10, "16,16").as_str() {
            "none" => None,
            widths => Some(widths.split(',').map(|w| w.parse().unwrap()).collect()),
        },
        ..NetConfig::default()
    };
    let fit = FitOptions {
        steps: arg(4, "500").parse().unwrap(),
        lambda: arg(5, "0.0008").parse().unwrap(),
        frames_per_step: arg(7, "2").parse().unwrap(),
        learning_rate: arg(8, "0.01").parse().unwrap(),
        seed: 0,
    };
    let start = std::time::Instant::now();
    let device: nmc::Device = std::env::var("NMC_DEVICE").unwrap_or_else(|_| "cpu".into()).parse()?;
    let bytes = nmc::video::encode_with(&video, &config, &fit, device, true)?;
    let fit_s = start.elapsed().as_secs_f64();
    let start = std::time::Instant::now();
    let nmc::Media::Video(decoded) = nmc::decode(&bytes)? else { unreachable!() };
    let decode_s = start.elapsed().as_secs_f64();
    let pixels = (video.width() * video.height() * video.frames().len()) as f64;
    let mse: f64 = video.frames().iter().zip(decoded.frames()).map(|(a, b)| nmc::video::weighted_mse(a, b)).sum::<f64>() / frames as f64;
    println!(
        "{}x{} {} frames: {} bytes, {:.4} bpp, PSNR-YUV611 {:.2} dB, fit {:.1} s, decode {:.2} s",
        video.width(),
        video.height(),
        frames,
        bytes.len(),
        bytes.len() as f64 * 8.0 / pixels,
        10.0 * (255.0f64.powi(2) / mse).log10(),
        fit_s,
        decode_s
    );
    Ok(())
}

/// The clip with each frame's planes averaged over `scale`×`scale` blocks (4:4:4 input).
fn downscale(video: &Video, scale: usize) -> nmc::Result<Video> {
    if scale == 1 {
        return Ok(video.clone());
    }
    let (w, h) = (video.width() / scale, video.height() / scale);
    let frames = video
        .frames()
        .iter()
        .map(|f| nmc::media::Frame {
            planes: std::array::from_fn(|p| {
                (0..h * w)
                    .map(|i| {
                        let (y, x) = (i / w, i % w);
                        let sum: u32 = (0..scale * scale).map(|j| u32::from(f.planes[p][(y * scale + j / scale) * video.width() + x * scale + j % scale])).sum();
                        (sum / (scale * scale) as u32) as u8
                    })
                    .collect()
            }),
        })
        .collect();
    Video::new(w, h, video.fps(), video.chroma(), frames)
}
