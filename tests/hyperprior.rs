//! The mean–scale hyperprior image codec: training, coding with the integer hyper-synthesis,
//! round trips.

mod common;

use std::sync::Arc;

use burn::backend::Autodiff;
use nmc::codec::{Architecture, Cpu, ModelFile};
use nmc::image::HyperpriorConfig;
use nmc::train::train_image;
use nmc::{decode_with, encode, inspect, DecodeOptions, EncodeOptions, Media, Model};

#[test]
fn untrained_model_round_trips_any_size() {
    let model = Arc::new(Model::from_bytes(&common::tiny_hyperprior_bytes(5)).unwrap());
    for (w, h) in [(1, 1), (65, 3), (70, 130)] {
        let (bytes, out) = common::roundtrip(&common::test_image(w, h), &model);
        assert_eq!((out.width(), out.height()), (w, h));
        let chunks: Vec<String> = inspect(&bytes).unwrap().chunks.into_iter().map(|c| c.fourcc).collect();
        assert_eq!(chunks, ["QLTY", "ZLAT", "YLAT"]);
    }
}

/// A tiny hyperprior trained briefly on the samples (once for all tests of this file), the same
/// on every run.
fn trained() -> &'static [u8] {
    static MODEL: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    MODEL.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        common::train_tiny_hyperprior(&dir.path().join("hp.nmcm"), &["--batch", "2", "--lr", "2e-3", "--steps", "120", "--checkpoint-every", "120", "--seed", "4"])
    })
}

#[test]
fn trained_model_codes_deterministically_and_learns() {
    let bytes = trained();
    assert!(matches!(ModelFile::parse(bytes).unwrap().meta.architecture, Architecture::ImageHyperprior(_)));
    let model = Arc::new(Model::from_bytes(bytes).unwrap());
    let image = common::sample();
    let (a, decoded_a) = common::roundtrip(&image, &model);
    let (b, decoded_b) = common::roundtrip(&image, &model);
    assert_eq!(a, b, "encoding is deterministic");
    assert_eq!(decoded_a, decoded_b, "decoding is deterministic");
    let psnr = nmc::eval::psnr(image.pixels(), decoded_a.pixels());
    let untrained = Arc::new(Model::from_bytes(&common::tiny_hyperprior_bytes(4)).unwrap());
    let baseline = nmc::eval::psnr(image.pixels(), common::roundtrip(&image, &untrained).1.pixels());
    assert!(psnr > baseline + 2.0, "training improves the reconstruction: {baseline:.2} → {psnr:.2} dB");
}

#[test]
fn one_model_codes_every_quality_and_more_quality_costs_more_bytes() {
    let model = Arc::new(Model::from_bytes(trained()).unwrap());
    let image = common::sample();
    let mut sizes = Vec::new();
    for quality in [1.0, 2.5, 4.0, 5.25, 8.0] {
        let options = EncodeOptions { quality: Some(quality), model: Some(model.clone()), ..Default::default() };
        let bytes = encode(&Media::Image(image.clone()), &options).unwrap();
        let Media::Image(out) = decode_with(&bytes, &DecodeOptions { models: vec![model.clone()] }).unwrap() else { panic!("not an image") };
        assert_eq!((out.width(), out.height()), (image.width(), image.height()));
        sizes.push(bytes.len());
    }
    // This briefly trained model's neighbouring qualities can code within a few bytes of each
    // other, so only the ends are compared; the shipped model's rate is held monotonic below.
    assert!(sizes[0] < sizes[4], "sizes by quality: {sizes:?}");
    for bad in [0.5, 8.5, f32::NAN] {
        let options = EncodeOptions { quality: Some(bad), model: Some(model.clone()), ..Default::default() };
        assert!(matches!(encode(&Media::Image(image.clone()), &options), Err(nmc::Error::InvalidArgument(_))));
    }
}

/// `nmc train image --resume … --m M` widens a hyperprior's latent: the run records the change,
/// the widened model codes, and channels cannot be removed.
#[test]
fn resumed_training_widens_the_latent() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hp.nmcm");
    std::fs::write(&out, trained()).unwrap();
    let mut config = common::quick_train_config(&out, Architecture::ImageHyperprior(HyperpriorConfig::new(8, 12)), 124);
    config.resume = Some(out.clone());
    config.grow_m = Some(16);
    // A zero learning rate leaves the change to the widening alone (4 steps of a tiny model at
    // a high learning rate can cost more than the widening itself).
    config.learning_rate = 0.0;
    train_image::<Autodiff<Cpu>>(&config, &Default::default()).unwrap();
    let file = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(file.meta.architecture, Architecture::ImageHyperprior(HyperpriorConfig::new(8, 16)));
    let run = file.meta.training.runs.last().unwrap();
    assert_eq!((run.first_step, run.last_step), (120, 124));
    assert!(run.change.contains("12 → 16"), "{run:?}");
    let model = Arc::new(Model::from_bytes(&std::fs::read(&out).unwrap()).unwrap());
    let image = common::sample();
    let psnr = |model: &Arc<Model>| nmc::eval::psnr(image.pixels(), common::roundtrip(&image, model).1.pixels());
    let (before, after) = (psnr(&Arc::new(Model::from_bytes(trained()).unwrap())), psnr(&model));
    assert!(after > before - 1.0, "widening moved the reconstruction from {before:.2} to {after:.2} dB");

    config.grow_m = Some(8);
    config.steps = 126;
    let err = train_image::<Autodiff<Cpu>>(&config, &Default::default()).unwrap_err();
    assert!(err.to_string().contains("cannot be removed"), "{err}");
}

/// The shipped model's rate rises with the quality, from low to high rates (on Kodak 0.093–1.72
/// bpp, where the image issue asks for at least 0.1–1.6): on the sample photo, quality 1 codes at
/// 0.159 bpp and quality 8 at 2.417 (the previous default, trained for λ 0.0018–0.18: 0.522 and
/// 2.271).
#[test]
fn shipped_model_rate_rises_with_quality_from_low_to_high() {
    let image = Media::Image(common::sample());
    let bpp = |quality: f32| encode(&image, &EncodeOptions { quality: Some(quality), ..Default::default() }).unwrap().len() as f64 * 8.0 / (320.0 * 320.0);
    let rates: Vec<f64> = [1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.25, 6.5, 7.75, 8.0].into_iter().map(bpp).collect();
    assert!(rates.windows(2).all(|w| w[0] < w[1]), "bpp by quality: {rates:?}");
    assert!(rates[0] < 0.2 && rates[9] > 2.3, "{rates:?}");
}

/// `nmc train image --resume … --lambdas …` moves a hyperprior's rate points: the run records
/// the change, the model stores its new trade-offs, quality 1 codes differently (still below
/// quality 2) and the other qualities code the same bytes.
#[test]
fn resumed_training_moves_the_rate_points() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("hp.nmcm");
    std::fs::write(&out, trained()).unwrap();
    let mut lambdas = nmc::latent::gain::IMAGE_LAMBDAS;
    lambdas[0] /= 16.0;
    let mut config = common::quick_train_config(&out, Architecture::ImageHyperprior(HyperpriorConfig::new(8, 12)), 121);
    config.resume = Some(out.clone());
    config.retarget = Some(lambdas);
    // A zero learning rate leaves the change to the retargeting alone.
    config.learning_rate = 0.0;
    train_image::<Autodiff<Cpu>>(&config, &Default::default()).unwrap();
    let file = ModelFile::parse(&std::fs::read(&out).unwrap()).unwrap();
    assert_eq!(file.meta.architecture, Architecture::ImageHyperprior(HyperpriorConfig { lambdas, ..HyperpriorConfig::new(8, 12) }));
    let run = file.meta.training.runs.last().unwrap();
    assert!(run.change.contains("rate points"), "{run:?}");
    let size = |model: &[u8], quality: f32| {
        let options = EncodeOptions { quality: Some(quality), model: Some(Arc::new(Model::from_bytes(model).unwrap())), ..Default::default() };
        encode(&Media::Image(common::sample()), &options).unwrap().len()
    };
    let moved = std::fs::read(&out).unwrap();
    // Only quality 1 moved. (Whether its extrapolated gains code smaller depends on the tiny
    // model: with some seeds they code larger, e.g. 1138 → 1186 bytes.)
    for quality in [2.0, 5.0, 8.0] {
        assert_eq!(size(&moved, quality), size(trained(), quality), "quality {quality}");
    }
    let (before, after, above) = (size(trained(), 1.0), size(&moved, 1.0), size(trained(), 2.0));
    assert!(after != before && after < above, "quality 1 at a sixteenth of its λ: {before} → {after} bytes (quality 2: {above})");
}

/// Encoder-side latent refinement with the default model: a lower real rate–distortion cost
/// than g_a's latents (bytes counted, decoded by the ordinary decoder), the same bytes on every
/// run (while the other tests of this file train on the same backend); refused for factorized
/// models and for images above the size limit.
#[test]
fn refined_latents_code_better_and_deterministically() {
    let sample = common::sample();
    let crop: Vec<u8> = (0..128).flat_map(|y| sample.pixels()[(y * 320 + 96) * 3..(y * 320 + 96 + 160) * 3].to_vec()).collect();
    let image = Media::Image(nmc::media::Image::new(160, 128, 3, crop).unwrap());
    let quality = 4.0;
    let cost = |options: &EncodeOptions| {
        let bytes = encode(&image, options).unwrap();
        let (Media::Image(out), Media::Image(source)) = (nmc::decode(&bytes).unwrap(), &image) else { panic!("not an image") };
        let mse = 10f64.powf(-nmc::eval::psnr(source.pixels(), out.pixels()) / 10.0);
        let lambda = nmc::latent::gain::lambda_at(&nmc::latent::gain::IMAGE_LAMBDAS, quality); // 0.013 in every table
        (bytes.clone(), lambda * 255.0 * 255.0 * mse + bytes.len() as f64 * 8.0 / (160.0 * 128.0))
    };
    let plain = EncodeOptions { quality: Some(quality), ..Default::default() };
    let refined = EncodeOptions { refine: 15, ..plain.clone() };
    let (_, before) = cost(&plain);
    let (bytes, after) = cost(&refined);
    // Measured with the default model `31a43844…`: 2.2426 → 2.2171 (−1.1%; the earlier
    // defaults `e206d040…`: 2.2416 → 2.2149, `f9b52560…`: 2.2429 → 2.2101, `408ed1b2…`:
    // 2.2363 → 2.1784).
    assert!(after < before * 0.99, "refinement lowers the coded cost: {before:.4} → {after:.4}");
    assert_eq!(cost(&refined).0, bytes, "refined encodes are deterministic");

    let factorized = Arc::new(Model::from_bytes(&common::tiny_model_bytes(1)).unwrap());
    let options = EncodeOptions { model: Some(factorized), refine: 5, ..Default::default() };
    assert!(encode(&image, &options).unwrap_err().to_string().contains("hyperprior"));
    let big = Media::Image(nmc::media::Image::new(2000, 1001, 3, vec![128; 2000 * 1001 * 3]).unwrap());
    assert!(encode(&big, &refined).unwrap_err().to_string().contains("megapixels"));
}
