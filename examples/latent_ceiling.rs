//! How much of an image model's distortion is its transforms' and how much the quantization's:
//! for each image (cropped to at most 768×512, a multiple of 64) and quality, the PSNR of
//! g_s(ŷ) with ŷ the gained latent unquantized ("continuous") and rounded ("rounded"), the
//! share of nonzero rounded values and how many channels hold any. If the two PSNRs meet at
//! high quality, more bits cannot help: the transforms are the ceiling.
//!
//! `cargo run --release --example latent_ceiling -- MODEL.nmcm IMAGE...`

use burn::tensor::{Tensor, TensorData};
use nmc::codec::{Architecture, Cpu, ModelFile};
use nmc::image::HyperpriorModel;
use nmc::nn::{load_tensors, to_vec};
use nmc::{Error, Image, Result};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, images @ ..] = args.as_slice() else {
        return Err(Error::InvalidArgument("usage: latent_ceiling MODEL.nmcm IMAGE...".into()));
    };
    let file = ModelFile::parse(&std::fs::read(model).map_err(|e| Error::io(model, e))?).map_err(|e| e.in_file(model))?;
    let Architecture::ImageHyperprior(config) = file.meta.architecture else {
        return Err(Error::InvalidArgument(format!("{model}: not a hyperprior image model")));
    };
    let device = Default::default();
    let model = load_tensors(HyperpriorModel::<Cpu>::new(config, &device), &file.tensors)?;
    let m = config.m;
    for path in images {
        let image = Image::read(path.as_ref())?;
        let (full_w, rgb) = (image.width() as usize, image.to_rgb()?);
        let (w, h) = ((full_w / 64 * 64).min(768), (image.height() as usize / 64 * 64).min(512));
        let crop: Vec<u8> = (0..h).flat_map(|y| rgb[y * full_w * 3..(y * full_w + w) * 3].iter().copied()).collect();
        let planar: Vec<f32> = (0..3).flat_map(|c| crop.iter().skip(c).step_by(3).map(|v| *v as f32 / 255.0)).collect();
        let psnr = |x_hat: Tensor<Cpu, 4>| -> Result<f64> {
            let x_hat = to_vec(x_hat)?;
            let pixels: Vec<u8> = (0..w * h).flat_map(|i| (0..3).map(move |c| i + c * w * h)).map(|i| (x_hat[i].clamp(0.0, 1.0) * 255.0).round() as u8).collect();
            Ok(nmc::eval::psnr(&crop, &pixels))
        };
        let y = model.analysis(Tensor::from_data(TensorData::new(planar.clone(), [1, 3, h, w]), &device));
        print!("{path}:");
        for quality in [1.0f32, 4.0, 8.0] {
            let (gain, inv_gain) = model.gain_vectors().at(quality);
            let (gain, inv_gain) = (gain.reshape([1, m, 1, 1]), inv_gain.reshape([1, m, 1, 1]));
            let continuous = psnr(model.synthesis(y.clone() * gain.clone() * inv_gain.clone()))?;
            let rounded = (y.clone() * gain).round();
            let values = to_vec(rounded.clone())?;
            let nonzero = values.iter().filter(|v| **v != 0.0).count() as f64 / values.len() as f64;
            let used = values.chunks(values.len() / m).filter(|channel| channel.iter().any(|v| *v != 0.0)).count();
            let rounded = psnr(model.synthesis(rounded * inv_gain))?;
            print!("  q{quality}: continuous {continuous:.2} dB, rounded {rounded:.2} dB, nonzero {:.1}% ({used} of {m} channels)", 100.0 * nonzero);
        }
        println!();
    }
    Ok(())
}
