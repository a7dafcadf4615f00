//! The image-codec vectors in `format-spec/vectors/image/`: the latent symbols must decode
//! exactly (integer path), the reconstruction within float rounding of the expected image.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nmc::{DecodeOptions, Image, Media, Model};

fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("format-spec/vectors/image").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(vector(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn latent_symbols_decode_bit_exactly() {
    let expected: Vec<i32> = read("tiny.symbols").chunks_exact(4).map(|b| i32::from_le_bytes([b[0], b[1], b[2], b[3]])).collect();
    let symbols = nmc::image::latent_symbols(&read("tiny.nmc"), &read("tiny.nmcm")).unwrap();
    assert_eq!(symbols, expected);
}

#[test]
fn reconstruction_matches_expected_image() {
    let model = Arc::new(Model::from_bytes(&read("tiny.nmcm")).unwrap());
    let Media::Image(decoded) = nmc::decode_with(&read("tiny.nmc"), &DecodeOptions { models: vec![model] }).unwrap() else { panic!("not an image") };
    let expected = Image::read(&vector("tiny.png")).unwrap();
    assert_eq!((decoded.width(), decoded.height(), decoded.channels()), (88, 56, 3));
    // The synthesis is float: allow ±1 from rounding differences between machines.
    let worst = decoded.pixels().iter().zip(expected.pixels()).map(|(&a, &b)| (a as i16 - b as i16).abs()).max();
    assert!(worst.unwrap() <= 1, "largest sample difference {worst:?}");
}

#[test]
fn decoding_needs_the_named_model() {
    let err = nmc::decode(&read("tiny.nmc")).unwrap_err();
    assert!(matches!(err, nmc::Error::ModelNotFound(_)), "{err}");
}
