//! Helpers shared by the integration tests.
#![allow(dead_code)]

use nmc::codec::{Architecture, Cpu, TrainingRecord};
use nmc::image::{FactorizedConfig, FactorizedModel, HyperpriorConfig, HyperpriorModel, ImageModel};
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
    let config = HyperpriorConfig { n: 8, m: 12 };
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
