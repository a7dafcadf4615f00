//! Video codec: round trips, determinism, the regression vector, CLI use and errors.

use std::path::Path;
use std::process::Command;

use nmc::container::Chroma;
use nmc::media::{chroma_size, Frame, Video};
use nmc::{EncodeOptions, Media};

/// 8 frames of 64×64 (or the given size): a gradient background and a square moving right.
fn clip(width: usize, height: usize, chroma: Chroma) -> Video {
    let (cw, ch) = chroma_size(width, height, chroma);
    let frames = (0..8)
        .map(|t| {
            let luma = (0..width * height)
                .map(|i| {
                    let (x, y) = (i % width, i / width);
                    let inside = (x + 8).wrapping_sub(2 * t) < 24 && (20..40).contains(&y);
                    if inside { 230 } else { (40 + x + y) as u8 }
                })
                .collect();
            let cb = (0..cw * ch).map(|i| (110 + (i % cw) / 2) as u8).collect();
            let cr = (0..cw * ch).map(|i| (140 - (i / cw) / 2) as u8).collect();
            Frame { planes: [luma, cb, cr] }
        })
        .collect();
    Video::new(width, height, (30000, 1001), chroma, frames).unwrap()
}

fn psnr(a: &Video, b: &Video) -> f64 {
    let mse: f64 = a.frames().iter().zip(b.frames()).map(|(x, y)| nmc::video::weighted_mse(x, y)).sum::<f64>() / a.frames().len() as f64;
    10.0 * (255.0f64.powi(2) / mse).log10()
}

/// The clip with every plane replaced by its mean over all frames.
fn flat_clip(video: &Video) -> Video {
    let mean = |p: usize| {
        let (sum, n) = video.frames().iter().fold((0u64, 0u64), |(s, n), f| (s + f.planes[p].iter().map(|&v| u64::from(v)).sum::<u64>(), n + f.planes[p].len() as u64));
        ((sum + n / 2) / n) as u8
    };
    let means = [mean(0), mean(1), mean(2)];
    let frames = video.frames().iter().map(|f| Frame { planes: std::array::from_fn(|p| vec![means[p]; f.planes[p].len()]) }).collect();
    Video::new(video.width(), video.height(), video.fps(), video.chroma(), frames).unwrap()
}

fn encode(video: &Video, steps: usize, quality: f32) -> Vec<u8> {
    nmc::encode(&Media::Video(video.clone()), &EncodeOptions { steps: Some(steps), quality: Some(quality), ..Default::default() }).unwrap()
}

fn decode(bytes: &[u8]) -> Video {
    match nmc::decode(bytes).unwrap() {
        Media::Video(v) => v,
        other => panic!("decoded {:?}", other.kind()),
    }
}

#[test]
fn fitted_clips_round_trip_and_fitting_pays() {
    for (w, h, chroma) in [(64, 64, Chroma::Yuv420), (37, 21, Chroma::Yuv420), (24, 44, Chroma::Yuv444)] {
        let video = clip(w, h, chroma);
        let bytes = encode(&video, 300, 8.0);
        let decoded = decode(&bytes);
        assert_eq!((decoded.width(), decoded.height(), decoded.frames().len(), decoded.fps(), decoded.chroma()), (w, h, 8, (30000, 1001), chroma));
        let fitted = psnr(&video, &decoded);
        // Against each plane's mean over the clip (an untrained network's output depends on its
        // random initialisation, which concurrent tests share, so it is no stable reference).
        let flat = psnr(&video, &flat_clip(&video));
        assert!(fitted > 24.0 && fitted > flat + 8.0, "{w}x{h}: {fitted:.2} dB after 300 steps, {flat:.2} dB for the plane means");
        let info = nmc::inspect(&bytes).unwrap();
        assert_eq!(info.chunks.iter().map(|c| c.fourcc.as_str()).collect::<Vec<_>>(), ["VNET", "VGOP"]);
        assert!(info.kbps.unwrap() > 0.0 && info.bits_per_pixel.unwrap() > 0.0);
    }
}

#[test]
fn lower_quality_gives_smaller_files() {
    let video = clip(64, 64, Chroma::Yuv420);
    let (low, high) = (encode(&video, 300, 1.0), encode(&video, 300, 8.0));
    assert!(low.len() < high.len(), "quality 1: {} bytes, quality 8: {} bytes", low.len(), high.len());
    assert!(psnr(&video, &decode(&low)) < psnr(&video, &decode(&high)));
}

#[test]
fn decoding_is_repeatable_and_truncation_is_an_error() {
    let bytes = encode(&clip(32, 32, Chroma::Yuv420), 50, 4.0);
    assert_eq!(decode(&bytes), decode(&bytes));
    for cut in [bytes.len() / 2, bytes.len() - 20] {
        assert!(nmc::decode(&bytes[..cut]).is_err(), "cut at {cut}");
    }
}

/// `format-spec/vectors/video/tiny.nmc` (no context model) and `tiny-context.nmc` decode exactly
/// to their `.y4m` (the decoder is plain Rust with a fixed summation order and an integer
/// context model, so the expected frames are bit-exact).
#[test]
fn the_video_test_vectors_decode_exactly() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("format-spec/vectors/video");
    for name in ["tiny", "tiny-context"] {
        let bytes = std::fs::read(dir.join(format!("{name}.nmc"))).unwrap();
        let expected = Video::from_y4m(&std::fs::read(dir.join(format!("{name}.y4m"))).unwrap()).unwrap();
        assert_eq!(decode(&bytes), expected, "{name}");
    }
}

fn nmc(args: &[&str], threads: &str) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_nmc")).args(args).env("RAYON_NUM_THREADS", threads).output().unwrap()
}

#[test]
fn cli_codes_y4m_and_png_frames_identically_on_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    std::fs::write(p("in.y4m"), clip(40, 24, Chroma::Yuv420).to_y4m()).unwrap();
    let out = nmc(&["encode", &p("in.y4m"), "-o", &p("a.nmc"), "--steps", "40"], "2");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("kbps"));
    assert!(!Path::new(&p("a.nmc.part")).exists(), "the checkpoint is removed after a finished encode");
    for threads in ["1", "2"] {
        let out = nmc(&["decode", &p("a.nmc"), "-o", &p(&format!("out{threads}.y4m"))], threads);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    assert_eq!(std::fs::read(p("out1.y4m")).unwrap(), std::fs::read(p("out2.y4m")).unwrap());

    // A y4m stream on stdin.
    let mut child = Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["encode", "-", "-o", &p("stdin.nmc"), "--steps", "5"])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &std::fs::read(p("in.y4m")).unwrap()).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(decode(&std::fs::read(p("stdin.nmc")).unwrap()).frames().len(), 8);

    let info = nmc(&["info", &p("a.nmc")], "2");
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(text.contains("video 40x24, 8 frames at 29.970 fps"), "{text}");
    assert!(text.contains("network:  7 latent levels, synthesis 7-24-24-3 (867 weights), context model 21-16-16-2, groups of 32 frames, 1571 MAC/pixel"), "{text}");

    // PNG frames in, PNG frames out.
    let frames = format!("{}/", p("frames"));
    assert!(nmc(&["decode", &p("a.nmc"), "-o", &frames], "2").status.success());
    assert_eq!(std::fs::read_dir(&frames).unwrap().count(), 8);
    let out = nmc(&["encode", &frames, "-o", &p("b.nmc"), "--steps", "5", "--fps", "24"], "2");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&nmc(&["info", &p("b.nmc")], "2").stdout).contains("8 frames at 24.000 fps"));
}

#[test]
fn cli_reports_bad_video_input() {
    let dir = tempfile::tempdir().unwrap();
    let p = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let mut y4m = clip(16, 16, Chroma::Yuv420).to_y4m();
    y4m.truncate(y4m.len() - 10);
    std::fs::write(p("cut.y4m"), &y4m).unwrap();
    let out = nmc(&["encode", &p("cut.y4m"), "-o", &p("x.nmc")], "2");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("cut.y4m") && err.contains("truncated"), "{err}");
    assert!(!Path::new(&p("x.nmc")).exists());

    std::fs::write(p("v.nmc"), encode(&clip(16, 16, Chroma::Yuv420), 5, 4.0)).unwrap();
    let out = nmc(&["decode", &p("v.nmc"), "-o", &p("v.png")], "2");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains(".y4m"));
    let bytes = std::fs::read(p("v.nmc")).unwrap();
    std::fs::write(p("cut.nmc"), &bytes[..bytes.len() - 30]).unwrap();
    let out = nmc(&["decode", &p("cut.nmc"), "-o", &p("cut.out.y4m")], "2");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("cut.nmc"));

    let out = nmc(&["encode", &p("v.nmc"), "-o", &p("y.nmc"), "--fps", "0"], "2");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("frame rate"));
}

#[test]
fn a_target_bitrate_is_met_on_the_real_size() {
    let video = clip(32, 32, Chroma::Yuv420);
    let options = EncodeOptions { steps: Some(60), ..Default::default() };
    let kbps = |bytes: &[u8]| bytes.len() as f64 * 8.0 / video.duration() / 1000.0;
    let at = |q: f32| nmc::encode(&Media::Video(video.clone()), &EncodeOptions { quality: Some(q), ..options.clone() }).unwrap();
    let (low, high) = (kbps(&at(1.0)), kbps(&at(8.0)));
    assert!(low < high, "{low} vs {high} kbps");
    let target = (low + high) / 2.0;
    let bytes = nmc::encode_at_bitrate(&Media::Video(video.clone()), &options, target).unwrap();
    assert!(kbps(&bytes) <= target && kbps(&bytes) > low, "{} kbps for a target of {target}", kbps(&bytes));
}

/// A 40-frame clip (two groups): an encode interrupted after its first group resumes from the
/// checkpoint file, reusing that group as saved; other settings are refused.
#[test]
fn interrupted_encodes_resume_from_their_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    let part = dir.path().join("out.nmc.part");
    let base = clip(16, 8, Chroma::Yuv420);
    let frames: Vec<Frame> = (0..40).map(|i| base.frames()[i % 8].clone()).collect();
    let video = Media::Video(Video::new(16, 8, (25, 1), Chroma::Yuv420, frames).unwrap());
    let options = EncodeOptions { steps: Some(20), checkpoint: Some(part.clone()), ..Default::default() };
    let full = nmc::encode(&video, &options).unwrap();

    // Keep only the first group, marked (its bias exponent changed) to see that it is reused.
    let saved = std::fs::read(&part).unwrap();
    let len = u32::from_le_bytes(saved[40..44].try_into().unwrap()) as usize;
    let mut first = saved[..44 + len].to_vec();
    first[44 + 3] ^= 1;
    std::fs::write(&part, &first).unwrap();
    let resumed = nmc::encode(&video, &EncodeOptions { resume: true, ..options.clone() }).unwrap();
    assert_ne!(resumed, full);
    assert!(resumed.windows(len).any(|w| w == &first[44..]), "the saved group is reused");
    let again = std::fs::read(&part).unwrap();
    let second = u32::from_le_bytes(again[44 + len..48 + len].try_into().unwrap()) as usize;
    assert_eq!(again.len(), 48 + len + second, "the second group is saved too");
    assert!(nmc::decode(&resumed).is_ok());

    let other = EncodeOptions { quality: Some(2.0), resume: true, ..options };
    let err = nmc::encode(&video, &other).unwrap_err().to_string();
    assert!(err.contains("cannot resume") && err.contains("out.nmc.part"), "{err}");
}
