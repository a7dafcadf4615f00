//! The `nmc` command line: round trips, stdin/stdout, and every error path users meet.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn nmc(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nmc")).args(args).output().expect("run nmc")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A temporary folder with a small PNG and a tiny model file in it.
struct Fixture {
    dir: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let png = common::test_image(40, 24).encode(image::ImageFormat::Png).unwrap();
        std::fs::write(dir.path().join("in.png"), png).unwrap();
        std::fs::write(dir.path().join("tiny.nmcm"), common::tiny_model_bytes(3)).unwrap();
        Self { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn s(&self, name: &str) -> String {
        self.path(name).to_string_lossy().into_owned()
    }
}

fn sample() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory.png")
}

#[test]
fn shipped_model_round_trips_the_sample() {
    let f = Fixture::new();
    let enc = nmc(&["encode", sample().to_str().unwrap(), "-o", &f.s("s.nmc")]);
    assert!(enc.status.success(), "{}", stderr(&enc));
    let dec = nmc(&["decode", &f.s("s.nmc"), "-o", &f.s("s.png")]);
    assert!(dec.status.success(), "{}", stderr(&dec));
    let original = nmc::Image::read(&sample()).unwrap();
    let decoded = nmc::Image::read(&f.path("s.png")).unwrap();
    assert_eq!((decoded.width(), decoded.height()), (original.width(), original.height()));
    let psnr = nmc::eval::psnr(original.pixels(), decoded.pixels());
    let bytes = std::fs::metadata(f.path("s.nmc")).unwrap().len();
    let bpp = bytes as f64 * 8.0 / (320.0 * 320.0);
    // Regression bounds of the shipped model at its default quality 4 (measured: 28.06 dB at
    // 1.243 bpp on this sample; the step-123 000 default before it gave 28.08 dB at 1.258 bpp,
    // the step-109 000 one 27.98 dB at 1.233 bpp,
    // the step-100 000 one 27.96 dB at 1.230 bpp,
    // the step-85 000 one 27.77 dB at 1.200 bpp,
    // the step-67 500 one 27.09 dB at 1.111 bpp, the M = 96 one 26.38 dB at 0.937 bpp, the
    // step-29 500 one 26.34 dB at 0.941 bpp, the step-15 500 one 26.08 dB at 0.989 bpp, the
    // factorized one before them 21.85 dB at 0.99 bpp).
    assert!(psnr > 27.95 && bpp < 1.29, "PSNR {psnr:.2} dB at {bpp:.3} bpp");
}

/// Files coded with the embedded earlier default image model still decode without `--model`.
#[test]
fn previous_default_image_models_still_decode() {
    let f = Fixture::new();
    let previous = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/previous/image-factorized.nmcm");
    let enc = nmc(&["encode", &f.s("in.png"), "-o", &f.s("old.nmc"), "--force", "--model", previous.to_str().unwrap()]);
    assert!(enc.status.success(), "{}", stderr(&enc));
    let dec = nmc(&["decode", &f.s("old.nmc"), "-o", &f.s("old.png"), "--force"]);
    assert!(dec.status.success(), "{}", stderr(&dec));
    assert_eq!(nmc::Image::read(&f.path("old.png")).unwrap().width(), 40);
}

/// `nmc train pack` halves a trained model; the packed model codes like the original.
#[test]
fn packed_model_is_half_the_size_and_codes_alike() {
    let f = Fixture::new();
    let original = Path::new(env!("CARGO_MANIFEST_DIR")).join("models/previous/image-factorized.nmcm");
    let pack = nmc(&["train", "pack", original.to_str().unwrap(), "-o", &f.s("packed.nmcm")]);
    assert!(pack.status.success(), "{}", stderr(&pack));
    let (before, after) = (std::fs::metadata(&original).unwrap().len(), std::fs::metadata(f.path("packed.nmcm")).unwrap().len());
    assert!(after * 10 < before * 6, "{before} → {after} bytes");
    let again = nmc(&["train", "pack", &f.s("packed.nmcm"), "-o", &f.s("again.nmcm")]);
    assert!(again.status.success(), "{}", stderr(&again));
    assert_eq!(std::fs::read(f.path("again.nmcm")).unwrap(), std::fs::read(f.path("packed.nmcm")).unwrap(), "packing is idempotent");
    let refused = nmc(&["train", "pack", original.to_str().unwrap(), "-o", &f.s("packed.nmcm")]);
    assert!(!refused.status.success() && stderr(&refused).contains("--force"), "{}", stderr(&refused));
    let info = nmc(&["info", &f.s("packed.nmcm")]);
    let text = String::from_utf8_lossy(&info.stdout);
    assert!(info.status.success() && text.contains("model file version 2") && text.contains("as binary16"), "{text}");
    assert!(text.contains("training: 3250 steps"), "the training record is kept: {text}");

    let mut sizes = Vec::new();
    for (model, name) in [(original.to_str().unwrap().to_string(), "a"), (f.s("packed.nmcm"), "b")] {
        let enc = nmc(&["encode", sample().to_str().unwrap(), "-o", &f.s(&format!("{name}.nmc")), "--model", &model]);
        assert!(enc.status.success(), "{}", stderr(&enc));
        let dec = nmc(&["decode", &f.s(&format!("{name}.nmc")), "-o", &f.s(&format!("{name}.png")), "--model", &model]);
        assert!(dec.status.success(), "{}", stderr(&dec));
        let decoded = nmc::Image::read(&f.path(&format!("{name}.png"))).unwrap();
        let psnr = nmc::eval::psnr(nmc::Image::read(&sample()).unwrap().pixels(), decoded.pixels());
        sizes.push((std::fs::metadata(f.path(&format!("{name}.nmc"))).unwrap().len() as f64, psnr));
    }
    let [(bytes_a, psnr_a), (bytes_b, psnr_b)] = sizes[..] else { unreachable!() };
    assert!((bytes_b / bytes_a - 1.0).abs() < 0.01 && (psnr_b - psnr_a).abs() < 0.05, "{sizes:?}");
}

#[test]
fn custom_model_round_trip_and_info() {
    let f = Fixture::new();
    let enc = nmc(&["encode", &f.s("in.png"), "-o", &f.s("a.nmc"), "--model", &f.s("tiny.nmcm")]);
    assert!(enc.status.success(), "{}", stderr(&enc));
    // Without the model, decoding names the missing model.
    let missing = nmc(&["decode", &f.s("a.nmc"), "-o", &f.s("a.png")]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("a.nmc") && stderr(&missing).contains("not available"), "{}", stderr(&missing));
    assert!(!f.path("a.png").exists());
    let dec = nmc(&["decode", &f.s("a.nmc"), "-o", &f.s("a.png"), "--model", &f.s("tiny.nmcm")]);
    assert!(dec.status.success(), "{}", stderr(&dec));
    let info = nmc(&["info", &f.s("a.nmc"), "--json"]);
    assert!(info.status.success());
    let json: serde_json::Value = serde_json::from_slice(&info.stdout).unwrap();
    assert_eq!(json["header"]["params"]["Image"]["width"], 40);
    assert_eq!(json["chunks"][0]["fourcc"], "YLAT");
    let text = nmc(&["info", &f.s("a.nmc")]);
    assert!(String::from_utf8_lossy(&text.stdout).contains("bits per pixel"));
}

#[test]
fn stdin_and_stdout_streams() {
    let f = Fixture::new();
    let input = std::fs::read(f.path("in.png")).unwrap();
    let run = |args: &[&str], stdin: Vec<u8>| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_nmc"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(&stdin).unwrap();
        child.wait_with_output().unwrap()
    };
    let model = f.s("tiny.nmcm");
    let enc = run(&["encode", "-", "-o", "-", "--model", &model], input);
    assert!(enc.status.success(), "{}", stderr(&enc));
    assert!(enc.stdout.starts_with(&nmc::container::MAGIC));
    let dec = run(&["decode", "-", "-o", "-", "--model", &model], enc.stdout);
    assert!(dec.status.success(), "{}", stderr(&dec));
    assert!(dec.stdout.starts_with(b"\x89PNG"));
}

#[test]
fn missing_input_is_named() {
    let f = Fixture::new();
    let out = nmc(&["encode", &f.s("nope.png"), "-o", &f.s("x.nmc")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("nope.png"), "{}", stderr(&out));
}

/// `--seed` decides everything a training run draws (weights, crops, rate points, noise): the
/// same seed trains the same weights, from scratch and resumed; another seed other weights.
#[test]
fn training_repeats_with_its_seed() {
    let f = Fixture::new();
    let train = |out: &str, seed: &str, steps: &str, resume: Option<&str>| {
        let resume = resume.map(|r| f.s(r));
        let mut args = vec!["--batch", "1", "--lr", "1e-2", "--steps", steps, "--seed", seed];
        if let Some(resume) = &resume {
            args.extend(["--resume", resume]);
        }
        nmc::codec::ModelFile::parse(&common::train_tiny_hyperprior(&f.path(out), &args)).unwrap().tensors
    };
    let a = train("a.nmcm", "7", "3", None);
    // (assert! rather than assert_eq!: the weights are too many to print)
    assert!(train("b.nmcm", "7", "3", None) == a, "the same seed trains the same weights");
    assert!(train("c.nmcm", "8", "3", None) != a, "another seed trains other weights");
    let resumed = train("a6.nmcm", "7", "6", Some("a.nmcm"));
    assert!(train("b6.nmcm", "7", "6", Some("b.nmcm")) == resumed, "resumed runs repeat too");
    assert!(resumed != a);
}

#[test]
fn bad_rate_points_are_refused() {
    let f = Fixture::new();
    for medium in [&["image", "--arch", "hyperprior"][..], &["audio"]] {
        for (lambdas, message) in [("0.001,0.01", "needs 8 values"), ("1,2,3,4,5,6,8,7", "ascending"), ("0,1,2,3,4,5,6,7", "positive")] {
            let out = nmc(&[&["train"], medium, &["--data", &f.s("d"), "--out", &f.s("m.nmcm"), "--lambdas", lambdas]].concat());
            assert!(!out.status.success());
            assert!(stderr(&out).contains(message), "{medium:?} --lambdas {lambdas}: {}", stderr(&out));
        }
    }
    assert!(!f.path("m.nmcm").exists());
}

#[test]
fn unknown_device_lists_the_supported_ones() {
    let f = Fixture::new();
    for args in [
        vec!["encode", "in.png", "-o", "x.nmc", "--device", "tpu"],
        vec!["train", "image", "--data", "d", "--out", "m.nmcm", "--device", "tpu"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_nmc")).current_dir(f.dir.path()).args(&args).output().unwrap();
        assert!(!out.status.success());
        let err = stderr(&out);
        assert!(err.contains("'tpu'") && err.contains("supports: cpu"), "{err}");
    }
    assert!(!f.path("x.nmc").exists() && !f.path("m.nmcm").exists());
}

#[test]
fn unsupported_input_format_is_refused() {
    let f = Fixture::new();
    std::fs::write(f.path("notes.txt"), "hello, not an image").unwrap();
    let out = nmc(&["encode", &f.s("notes.txt"), "-o", &f.s("x.nmc")]);
    assert!(!out.status.success());
    let err = stderr(&out);
    assert!(err.contains("notes.txt") && err.contains("unrecognized input format"), "{err}");
    assert!(!f.path("x.nmc").exists());
}

#[test]
fn corrupted_nmc_is_refused_without_output() {
    let f = Fixture::new();
    let enc = nmc(&["encode", &f.s("in.png"), "-o", &f.s("a.nmc"), "--model", &f.s("tiny.nmcm")]);
    assert!(enc.status.success());
    let mut bytes = std::fs::read(f.path("a.nmc")).unwrap();
    let last = bytes.len() - 20;
    bytes[last] ^= 0x40;
    std::fs::write(f.path("bad.nmc"), &bytes).unwrap();
    let out = nmc(&["decode", &f.s("bad.nmc"), "-o", &f.s("bad.png"), "--model", &f.s("tiny.nmcm")]);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("bad.nmc") && stderr(&out).contains("CRC"), "{}", stderr(&out));
    assert!(!f.path("bad.png").exists());
    let info = nmc(&["info", &f.s("bad.nmc")]);
    assert!(!info.status.success());
    // A model file given in place of an .nmc file is named as such.
    let out = nmc(&["decode", &f.s("tiny.nmcm"), "-o", &f.s("bad.png")]);
    assert!(stderr(&out).contains("tiny.nmcm: invalid argument: this is a model file"), "{}", stderr(&out));
    assert!(!f.path("bad.png").exists());
}

#[test]
fn existing_output_is_kept_unless_forced() {
    let f = Fixture::new();
    std::fs::write(f.path("keep.nmc"), b"precious").unwrap();
    let args = ["encode", &f.s("in.png"), "-o", &f.s("keep.nmc"), "--model", &f.s("tiny.nmcm")];
    let out = nmc(&args);
    assert!(!out.status.success());
    assert!(stderr(&out).contains("--force"), "{}", stderr(&out));
    assert_eq!(std::fs::read(f.path("keep.nmc")).unwrap(), b"precious");
    let forced = nmc(&[&args[..], &["--force"]].concat());
    assert!(forced.status.success(), "{}", stderr(&forced));
    assert!(std::fs::read(f.path("keep.nmc")).unwrap().starts_with(&nmc::container::MAGIC));
}

#[test]
fn decode_output_format_follows_extension() {
    let f = Fixture::new();
    let model = f.s("tiny.nmcm");
    assert!(nmc(&["encode", &f.s("in.png"), "-o", &f.s("a.nmc"), "--model", &model]).status.success());
    let bad = nmc(&["decode", &f.s("a.nmc"), "-o", &f.s("a.xyz"), "--model", &model]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("a.xyz"), "{}", stderr(&bad));
    let bmp = nmc(&["decode", &f.s("a.nmc"), "-o", &f.s("a.bmp"), "--model", &model]);
    assert!(bmp.status.success(), "{}", stderr(&bmp));
    assert!(std::fs::read(f.path("a.bmp")).unwrap().starts_with(b"BM"));
}

#[test]
fn audio_round_trip_info_and_errors() {
    let f = Fixture::new();
    std::fs::write(f.path("in.wav"), common::test_audio(16_000, 2, 0.5).to_wav_bytes().unwrap()).unwrap();
    std::fs::write(f.path("audio.nmcm"), common::tiny_audio_bytes(4)).unwrap();
    let model = f.s("audio.nmcm");
    let enc = nmc(&["encode", &f.s("in.wav"), "-o", &f.s("a.nmc"), "--model", &model, "--quality", "6.5"]);
    assert!(enc.status.success(), "{}", stderr(&enc));
    assert!(stderr(&enc).contains("kbps"), "{}", stderr(&enc));
    let info = String::from_utf8_lossy(&nmc(&["info", &f.s("a.nmc")]).stdout).into_owned();
    assert!(info.contains("audio 0.500 s, 16000 Hz, 2 channel(s)") && info.contains("kbps"), "{info}");

    let dec = nmc(&["decode", &f.s("a.nmc"), "-o", &f.s("a.wav"), "--model", &model]);
    assert!(dec.status.success(), "{}", stderr(&dec));
    let out = nmc::Audio::read(&f.path("a.wav")).unwrap();
    assert_eq!((out.sample_rate(), out.channel_count(), out.len()), (16_000, 2, 8000));
    let dec = nmc(&["decode", &f.s("a.nmc"), "-o", &f.s("b.wav"), "--model", &model, "--rate", "48000"]);
    assert!(dec.status.success(), "{}", stderr(&dec));
    assert_eq!(nmc::Audio::read(&f.path("b.wav")).unwrap().sample_rate(), 48_000);

    // Audio decodes to WAV only; the output is not created.
    let png = nmc(&["decode", &f.s("a.nmc"), "-o", &f.s("a.png"), "--model", &model]);
    assert!(!png.status.success() && stderr(&png).contains("WAV") && !f.path("a.png").exists(), "{}", stderr(&png));
    // A malformed WAV names the file and the problem.
    std::fs::write(f.path("bad.wav"), b"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\x01\0").unwrap();
    let bad = nmc(&["encode", &f.s("bad.wav"), "-o", &f.s("bad.nmc"), "--model", &model]);
    assert!(!bad.status.success() && stderr(&bad).contains("bad.wav") && stderr(&bad).contains("WAV"), "{}", stderr(&bad));
    // A target bitrate applies to audio and video only.
    let img = nmc(&["encode", &f.s("in.png"), "-o", &f.s("i.nmc"), "--model", &f.s("tiny.nmcm"), "--bitrate", "6"]);
    assert!(!img.status.success() && stderr(&img).contains("audio and video only"), "{}", stderr(&img));
    // Latent refinement applies to images only.
    let refine = nmc(&["encode", &f.s("in.wav"), "-o", &f.s("r.nmc"), "--model", &model, "--refine", "5"]);
    assert!(!refine.status.success() && stderr(&refine).contains("images only") && stderr(&refine).contains("in.wav"), "{}", stderr(&refine));
    assert!(!f.path("r.nmc").exists());
}

/// The shipped models write the same bytes with 1 and 2 worker threads (rayon's and
/// `matrixmultiply`'s; image and audio).
#[test]
fn one_and_two_threads_write_the_same_bytes() {
    let f = Fixture::new();
    let speech = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/speech.wav");
    for input in [sample(), speech] {
        let files: Vec<Vec<u8>> = ["1", "2"]
            .iter()
            .map(|threads| {
                let out = f.path(&format!("t{threads}.nmc"));
                let run = Command::new(env!("CARGO_BIN_EXE_nmc"))
                    .env("RAYON_NUM_THREADS", threads)
                    .env("MATMUL_NUM_THREADS", threads)
                    .args(["encode", input.to_str().unwrap(), "-o", out.to_str().unwrap(), "--force"])
                    .output()
                    .unwrap();
                assert!(run.status.success(), "{}", stderr(&run));
                std::fs::read(out).unwrap()
            })
            .collect();
        assert_eq!(files[0], files[1], "{}", input.display());
    }
}
