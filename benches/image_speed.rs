//! Speed of the default image model on one image (default: Kodak's kodim23, 768×512, or the
//! sample): whole encode and decode at quality 4, and the tiled transforms alone (g_a, g_s);
//! the rest of each is h_a, the integer hyper-synthesis (also timed alone) and range coding. Medians of 5 runs after a warm-up.
//!
//! `cargo bench --bench image_speed -- [IMAGE]`; `python3 benches/image_speed.py` times the same
//! transforms in PyTorch for a side-by-side run.

mod common;

use common::median_time;
use nmc::codec::{Architecture, Cpu, ModelFile, DEFAULT_IMAGE_MODEL};
use nmc::container::ImageParams;
use nmc::image::tiling::{self, DEFAULT_TILING};
use nmc::image::{HyperpriorModel, DOWNSAMPLING, HYPER_DOWNSAMPLING};
use nmc::nn::fixed::IntTensor;
use nmc::nn::load_tensors;
use burn::tensor::{Tensor, TensorData};
use nmc::{EncodeOptions, Image, Media};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let kodim23 = concat!(env!("CARGO_MANIFEST_DIR"), "/../shared/data/images/kodak/kodim23.png");
    let default = if std::path::Path::new(kodim23).exists() { kodim23.to_string() } else { concat!(env!("CARGO_MANIFEST_DIR"), "/samples/factory.png").to_string() };
    let path = args.first().cloned().unwrap_or(default);
    let image = Image::read(path.as_ref()).expect("image");
    let (w, h) = (image.width() as usize, image.height() as usize);
    let megapixels = (w * h) as f64 / 1e6;

    let file = ModelFile::parse(DEFAULT_IMAGE_MODEL).unwrap();
    let Architecture::ImageHyperprior(config) = file.meta.architecture else { panic!("the default image model is a hyperprior") };
    let device = Default::default();
    let model = load_tensors(HyperpriorModel::<Cpu>::new(config, &device), &file.tensors).unwrap();
    let block = DOWNSAMPLING * HYPER_DOWNSAMPLING;
    let latent = (h.div_ceil(block) * block / DOWNSAMPLING, w.div_ceil(block) * block / DOWNSAMPLING);
    let params = ImageParams { width: w as u32, height: h as u32, channels: image.channels(), bit_depth: 8 };

    let media = Media::Image(image.clone());
    let bytes = nmc::encode(&media, &EncodeOptions::default()).unwrap();
    let encode = median_time(5, || drop(nmc::encode(&media, &EncodeOptions::default()).unwrap()));
    let decode = median_time(5, || drop(nmc::decode(&bytes).unwrap()));
    let mut y = Vec::new();
    let (g_a, g_s) = model.plain_transforms().unwrap();
    let analysis = median_time(5, || y = tiling::analysis(&image, latent, config.m, DEFAULT_TILING, |x| g_a.forward(x)).unwrap());
    let synthesis = median_time(5, || drop(tiling::synthesis(&y, config.m, latent, &params, DEFAULT_TILING, |y| g_s.forward(y)).unwrap()));
    let y_tensor = Tensor::<Cpu, 4>::from_data(TensorData::new(y.clone(), [1, config.m, latent.0, latent.1]), &device);
    let z: Vec<f32> = model.hyper_analysis(y_tensor).into_data().to_vec().unwrap();
    let z_hat = IntTensor::from_f32(config.n, latent.0 / HYPER_DOWNSAMPLING, latent.1 / HYPER_DOWNSAMPLING, &z.iter().map(|v| v.round()).collect::<Vec<_>>());
    let h_s = model.int_hyper_synthesis().unwrap();
    let hyper_synthesis = median_time(5, || drop(h_s.forward(&z_hat).unwrap()));
    println!("{path}: {w}x{h}, {:.3} bpp at quality 4, model N={} M={}", bytes.len() as f64 * 8.0 / (w * h) as f64, config.n, config.m);
    println!("{:<44} {:>8} {:>8}", "stage", "s", "MP/s");
    for (name, t) in [
        ("encode (whole)", encode),
        ("  g_a (analysis transform, tiled)", analysis),
        ("  rest: h_a, hyper-synthesis, range coding", encode - analysis),
        ("decode (whole)", decode),
        ("  g_s (synthesis transform, tiled)", synthesis),
        ("  rest: hyper-synthesis, range decoding", decode - synthesis),
        ("    of which integer hyper-synthesis", hyper_synthesis),
    ] {
        println!("{name:<44} {t:>8.3} {:>8.2}", megapixels / t);
    }
}
