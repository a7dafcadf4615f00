//! Library use: encode an image with the embedded default model, inspect the file, decode it.
//!
//! Run: `cargo run --release --example encode_decode -- samples/factory.png`

use nmc::{EncodeOptions, Image, Media};

fn main() -> nmc::Result<()> {
    let path = std::env::args().nth(1).unwrap_or_else(|| "samples/factory.png".into());
    let image = Image::read(path.as_ref())?;

    let bytes = nmc::encode(&Media::Image(image.clone()), &EncodeOptions::default())?;
    let info = nmc::inspect(&bytes)?;
    println!("{path}: {} bytes, {:.4} bpp, model {}", bytes.len(), info.bits_per_pixel.unwrap_or(0.0), info.header.model);

    if let Media::Image(decoded) = nmc::decode(&bytes)? {
        println!("decoded {}x{}, PSNR {:.2} dB", decoded.width(), decoded.height(), nmc::eval::psnr(image.pixels(), decoded.pixels()));
    }
    Ok(())
}
