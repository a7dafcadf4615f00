//! Helpers shared by the integration tests.
#![allow(dead_code)]

use nmc::codec::{Architecture, Cpu, TrainingRecord};
use nmc::image::{FactorizedConfig, FactorizedModel, HyperpriorConfig, HyperpriorModel};
use nmc::nn::CodecModel;
use nmc::Image;

/// Bytes of a small, untrained (randomly initialised) image model: enough to exercise coding.
pub fn tiny_model_bytes(seed: u64) -> Vec<u8> {
    use burn::tensor::backend::Backend;
    Cpu::seed(&Default::default(), seed);
    let config = FactorizedConfig { n: 8, m: 8 };
    let model = FactorizedModel::<Cpu>::new(config, &Default::default());
    model.to_model_file(Architecture::ImageFactorized(config), 0.01, TrainingRecord::default()).expect("model file")
}

/// Bytes of a small, untrained hyperprior image model.
pub fn tiny_hyperprior_bytes(seed: u64) -> Vec<u8> {
    use burn::tensor::backend::Backend;
    Cpu::seed(&Default::default(), seed);
    let config = HyperpriorConfig::new(8, 12);
    let model = HyperpriorModel::<Cpu>::new(config, &Default::default());
    model.to_model_file(Architecture::ImageHyperprior(config), 0.01, TrainingRecord::default()).expect("model file")
}

/// A deterministic synthetic RGB image with gradients and texture.
pub fn test_image(width: u32, height: u32) -> Image {
    let mut px = Vec::with_capacity((width * height * 3) as usize);
    for y in 0..height {
        for x in 0..width {
            px.push((x * 255 / width.max(1)) as u8);
            px.push((y * 255 / height.max(1)) as u8);
            px.push(((x * 7 + y * 13) % 256) as u8);
        }
    }
    Image::new(width, height, 3, px).expect("valid image")
}

/// The sample photo.
pub fn sample() -> Image {
    Image::read(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory.png")).expect("sample")
}

/// Encodes and decodes `image` with `model`: the file bytes and the decoded image.
pub fn roundtrip(image: &Image, model: &std::sync::Arc<nmc::Model>) -> (Vec<u8>, Image) {
    use nmc::{DecodeOptions, EncodeOptions, Media};
    let options = EncodeOptions { quality: None, model: Some(model.clone()), ..Default::default() };
    let bytes = nmc::encode(&Media::Image(image.clone()), &options).expect("encode");
    let Media::Image(out) = nmc::decode_with(&bytes, &DecodeOptions { models: vec![model.clone()] }).expect("decode") else { panic!("not an image") };
    (bytes, out)
}

/// A short training run on `samples/` (small crops, high learning rate) writing `out`.
pub fn quick_train_config(out: &std::path::Path, architecture: Architecture, steps: u64) -> nmc::train::TrainConfig {
    nmc::train::TrainConfig {
        data: std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples"),
        out: out.to_path_buf(),
        resume: None,
        validation: None,
        architecture,
        grow_res: None,
        grow_m: None,
        retarget: None,
        lambda: 0.05,
        qualities: Default::default(),
        steps,
        batch: 2,
        crop: 64,
        learning_rate: 2e-3,
        checkpoint_every: steps.max(1),
        seed: 1,
        hardware: "test".into(),
        progress: false,
    }
}

/// Trains a tiny hyperprior image model (N = 8, M = 12, 64×64 crops of `samples/`) with the
/// `nmc` binary, in a process of its own (so that no other test draws from its backend's random
/// generator), and returns the bytes of `out`. `args` gives the rest: steps, batch, seed, ….
pub fn train_tiny_hyperprior(out: &std::path::Path, args: &[&str]) -> Vec<u8> {
    let samples = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    let run = std::process::Command::new(env!("CARGO_BIN_EXE_nmc"))
        .args(["train", "image", "--arch", "hyperprior", "--n", "8", "--m", "12", "--crop", "64", "--quiet"])
        .args(args)
        .arg("--data")
        .arg(samples)
        .arg("--out")
        .arg(out)
        .output()
        .expect("run nmc");
    assert!(run.status.success(), "{}", String::from_utf8_lossy(&run.stderr));
    std::fs::read(out).expect("trained model")
}

/// Bytes of a small, untrained audio model.
pub fn tiny_audio_bytes(seed: u64) -> Vec<u8> {
    use burn::tensor::backend::Backend;
    Cpu::seed(&Default::default(), seed);
    let config = nmc::audio::AudioConfig::new(4, 8, 8);
    let model = nmc::audio::AudioModel::<Cpu>::new(config, &Default::default());
    model.to_model_file(Architecture::AudioHyperprior(config), 0.0, TrainingRecord::default()).expect("model file")
}

/// A deterministic test clip: a chirp plus a little pseudo-random noise, per channel with a
/// different phase, `seconds` long.
pub fn test_audio(rate: u32, channels: usize, seconds: f64) -> nmc::Audio {
    let len = (f64::from(rate) * seconds).round() as usize;
    let mut state = 12345u32;
    let data = (0..channels)
        .map(|c| {
            (0..len)
                .map(|i| {
                    state = state.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                    let t = i as f64 / f64::from(rate);
                    let noise = (state >> 8) as f64 / (1u32 << 24) as f64 - 0.5;
                    (0.4 * (std::f64::consts::TAU * (200.0 + 900.0 * t) * t + c as f64).sin() + 0.02 * noise) as f32
                })
                .collect()
        })
        .collect();
    nmc::Audio::new(rate, data).expect("valid audio")
}
