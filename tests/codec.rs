//! Library-level round trips of the codec API with a small model.

mod common;

use std::sync::Arc;

use nmc::{decode_with, encode, inspect, DecodeOptions, EncodeOptions, Error, Image, Media, Model};

fn tiny() -> Arc<Model> {
    Arc::new(Model::from_bytes(&common::tiny_model_bytes(7)).expect("tiny model loads"))
}

#[test]
fn odd_sizes_round_trip_to_the_same_shape() {
    let model = tiny();
    for (w, h) in [(1, 1), (17, 5), (33, 64), (70, 31)] {
        let image = common::test_image(w, h);
        let (_, out) = common::roundtrip(&image, &model);
        assert_eq!((out.width(), out.height(), out.channels()), (w, h, 3));
    }
}

#[test]
fn encoding_and_decoding_are_deterministic() {
    let model = tiny();
    let image = common::test_image(48, 40);
    let (a, out_a) = common::roundtrip(&image, &model);
    let (b, out_b) = common::roundtrip(&image, &model);
    assert_eq!(a, b);
    assert_eq!(out_a, out_b);
}

#[test]
fn gray_and_opaque_rgba_keep_their_channel_count() {
    let model = tiny();
    let rgb = common::test_image(20, 20);
    let gray = Image::new(20, 20, 1, rgb.pixels().iter().step_by(3).copied().collect()).unwrap();
    assert_eq!(common::roundtrip(&gray, &model).1.channels(), 1);
    let rgba: Vec<u8> = rgb.pixels().chunks(3).flat_map(|p| [p[0], p[1], p[2], 255]).collect();
    let rgba = Image::new(20, 20, 4, rgba).unwrap();
    let out = common::roundtrip(&rgba, &model).1;
    assert_eq!(out.channels(), 4);
    assert!(out.pixels().chunks(4).all(|p| p[3] == 255));
}

#[test]
fn transparent_images_are_refused() {
    let model = tiny();
    let image = Image::new(2, 1, 4, vec![0, 0, 0, 255, 9, 9, 9, 128]).unwrap();
    let err = encode(&Media::Image(image), &EncodeOptions { quality: None, model: Some(model), ..Default::default() }).unwrap_err();
    assert!(matches!(err, Error::UnsupportedMedia(_)), "{err}");
}

#[test]
fn unknown_model_is_a_typed_error() {
    let model = tiny();
    let options = EncodeOptions { quality: None, model: Some(model), ..Default::default() };
    let bytes = encode(&Media::Image(common::test_image(16, 16)), &options).unwrap();
    let other = Arc::new(Model::from_bytes(&common::tiny_model_bytes(8)).unwrap());
    let err = decode_with(&bytes, &DecodeOptions { models: vec![other] }).unwrap_err();
    assert!(matches!(err, Error::ModelNotFound(_)), "{err}");
    // A model file given in place of an .nmc file is named as one, by decode and inspect alike.
    for err in [nmc::decode(&common::tiny_model_bytes(8)).unwrap_err(), inspect(&common::tiny_model_bytes(8)).unwrap_err()] {
        assert!(matches!(&err, Error::InvalidArgument(m) if m.contains("model file")), "{err}");
    }
}

#[test]
fn inspect_reports_size_and_rate() {
    let model = tiny();
    let options = EncodeOptions { quality: None, model: Some(model.clone()), ..Default::default() };
    let bytes = encode(&Media::Image(common::test_image(32, 16)), &options).unwrap();
    let info = inspect(&bytes).unwrap();
    assert_eq!(info.file_bytes, bytes.len());
    assert_eq!(info.header.model, model.id());
    let bpp = info.bits_per_pixel.unwrap();
    assert!((bpp - bytes.len() as f64 * 8.0 / 512.0).abs() < 1e-9);
    assert_eq!(info.chunks.iter().map(|c| c.fourcc.as_str()).collect::<Vec<_>>(), ["YLAT"]);
}

#[test]
fn fixed_rate_model_refuses_a_quality() {
    let options = EncodeOptions { quality: Some(3.0), model: Some(tiny()), ..Default::default() };
    let err = encode(&Media::Image(common::test_image(16, 16)), &options).unwrap_err();
    assert!(matches!(err, Error::InvalidArgument(_)), "{err}");
}

#[test]
fn corrupt_model_files_are_rejected() {
    let bytes = common::tiny_model_bytes(7);
    for cut in [0, 3, 10, bytes.len() / 2, bytes.len() - 1] {
        assert!(Model::from_bytes(&bytes[..cut]).is_err(), "truncated at {cut}");
    }
    let mut extra = bytes.clone();
    extra.push(0);
    assert!(Model::from_bytes(&extra).is_err());
    // Absurd layer widths are refused before anything is allocated.
    let json_len = u32::from_le_bytes(bytes[6..10].try_into().unwrap()) as usize;
    let json = String::from_utf8(bytes[10..10 + json_len].to_vec()).unwrap();
    let huge = json.replacen("\"n\": 8", "\"n\": 1000000000", 1);
    assert_ne!(huge, json);
    let mut evil = bytes[..6].to_vec();
    evil.extend_from_slice(&(huge.len() as u32).to_le_bytes());
    evil.extend_from_slice(huge.as_bytes());
    evil.extend_from_slice(&bytes[10 + json_len..]);
    let err = Model::from_bytes(&evil).unwrap_err();
    assert!(err.to_string().contains("outside"), "{err}");
}

#[test]
fn oversized_header_is_refused_before_allocating() {
    // A hand-made header claiming 30000 × 30000 pixels (over the spec's 2^28), with a valid CRC.
    let mut bytes = nmc::container::MAGIC.to_vec();
    bytes.extend_from_slice(&[1, 0, 1, 0]);
    bytes.extend_from_slice(&tiny().id().0);
    bytes.extend_from_slice(&10u16.to_le_bytes());
    bytes.extend_from_slice(&30000u32.to_le_bytes());
    bytes.extend_from_slice(&30000u32.to_le_bytes());
    bytes.extend_from_slice(&[3, 8]);
    let crc = crc32fast::hash(&bytes);
    bytes.extend_from_slice(&crc.to_le_bytes());
    let err = decode_with(&bytes, &DecodeOptions { models: vec![tiny()] }).unwrap_err();
    assert!(matches!(err, Error::LimitExceeded { .. }), "{err}");
}
