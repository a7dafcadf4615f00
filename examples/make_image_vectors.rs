//! Writes the image-codec test vectors in `format-spec/vectors/image/`: a small model (briefly
//! trained on the sample photo so that its latents carry information), an image coded with it,
//! the latent symbols it holds and the expected decoded image.
//!
//! Run: `cargo run --release --example make_image_vectors`

use std::path::Path;
use std::sync::Arc;

use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use nmc::codec::{Architecture, Cpu};
use nmc::image::FactorizedConfig;
use nmc::train::{train_image, TrainConfig};
use nmc::{DecodeOptions, EncodeOptions, Image, Media, Model};

fn main() -> nmc::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("format-spec/vectors/image");
    Cpu::seed(&Default::default(), 2026);
    let scratch = tempfile::tempdir().map_err(|e| nmc::Error::io("temporary folder", e))?;
    let config = TrainConfig {
        data: root.join("samples"),
        out: scratch.path().join("tiny.nmcm"),
        resume: None,
        validation: None,
        architecture: Architecture::ImageFactorized(FactorizedConfig { n: 8, m: 8 }),
        grow_res: None,
        grow_m: None,
        retarget: None,
        lambda: 0.05,
        qualities: Default::default(),
        steps: 300,
        batch: 4,
        crop: 64,
        learning_rate: 2e-3,
        checkpoint_every: 300,
        seed: 2026,
        hardware: "any CPU (test-vector model)".into(),
        progress: false,
    };
    train_image::<Autodiff<Cpu>>(&config, &Default::default())?;
    let model_bytes = std::fs::read(&config.out).map_err(|e| nmc::Error::io(&config.out, e))?;
    let model = Arc::new(Model::from_bytes(&model_bytes)?);

    // An 88×56 crop of the sample photo: sizes that are not multiples of 16 exercise the padding.
    let sample = Image::read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/factory.png"))?;
    let (w, h) = (88u32, 56u32);
    let pixels: Vec<u8> = (0..h)
        .flat_map(|y| {
            let row = (y * sample.width()) as usize * 3;
            sample.pixels()[row..row + w as usize * 3].to_vec()
        })
        .collect();
    let source = Image::new(w, h, 3, pixels)?;

    let coded = nmc::encode(&Media::Image(source.clone()), &EncodeOptions { quality: None, model: Some(model.clone()), ..Default::default() })?;
    let Media::Image(decoded) = nmc::decode_with(&coded, &DecodeOptions { models: vec![model.clone()] })? else { panic!("not an image") };
    let symbols = nmc::image::latent_symbols(&coded, &model_bytes)?;

    let write = |name: &str, bytes: &[u8]| nmc::fsutil::write_atomic(&dir.join(name), bytes, true);
    write("tiny.nmcm", &model_bytes)?;
    write("source.png", &source.encode(image::ImageFormat::Png)?)?;
    write("tiny.nmc", &coded)?;
    write("tiny.symbols", &symbols.iter().flat_map(|s| s.to_le_bytes()).collect::<Vec<u8>>())?;
    write("tiny.png", &decoded.encode(image::ImageFormat::Png)?)?;
    println!("wrote {} ({} bytes .nmc, {} symbols, model {})", dir.display(), coded.len(), symbols.len(), model.id());
    Ok(())
}
