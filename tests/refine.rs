//! Encoder-side latent refinement. Its own test binary: the refinement seeds the backend's
//! process-wide random generator, so no other test may draw from it at the same time.

mod common;

use std::sync::Arc;

use nmc::{encode, EncodeOptions, Media, Model};

/// Encoder-side latent refinement with the default model: a lower real rate–distortion cost
/// than g_a's latents (bytes counted, decoded by the ordinary decoder), the same bytes on every
/// run; refused for factorized models and for images above the size limit.
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
        let lambda = nmc::latent::gain::lambda_at(&nmc::latent::gain::LAMBDAS, quality);
        (bytes.clone(), lambda * 255.0 * 255.0 * mse + bytes.len() as f64 * 8.0 / (160.0 * 128.0))
    };
    let plain = EncodeOptions { quality: Some(quality), ..Default::default() };
    let refined = EncodeOptions { refine: 15, ..plain.clone() };
    let (_, before) = cost(&plain);
    let (bytes, after) = cost(&refined);
    // Measured with the default model `1e3f0102…`: 2.2570 → 2.2007 (−2.5%).
    assert!(after < before * 0.99, "refinement lowers the coded cost: {before:.4} → {after:.4}");
    assert_eq!(cost(&refined).0, bytes, "refined encodes are deterministic");

    let factorized = Arc::new(Model::from_bytes(&common::tiny_model_bytes(1)).unwrap());
    let options = EncodeOptions { model: Some(factorized), refine: 5, ..Default::default() };
    assert!(encode(&image, &options).unwrap_err().to_string().contains("hyperprior"));
    let big = Media::Image(nmc::media::Image::new(2000, 1001, 3, vec![128; 2000 * 1001 * 3]).unwrap());
    assert!(encode(&big, &refined).unwrap_err().to_string().contains("megapixels"));
}
