//! The audio-codec vectors in `format-spec/vectors/audio/`: a checked-in file decodes to the
//! checked-in WAV (same rate, channels and length; samples within float rounding), so format or
//! model changes that break old files fail here.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nmc::{Audio, DecodeOptions, Media, Model};

fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("format-spec/vectors/audio").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(vector(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn reconstruction_matches_expected_wav() {
    let model = Arc::new(Model::from_bytes(&read("tiny.nmcm")).unwrap());
    let Media::Audio(decoded) = nmc::decode_with(&read("tiny.nmc"), &DecodeOptions { models: vec![model] }).unwrap() else {
        panic!("not audio")
    };
    let expected = Audio::read(&vector("tiny.wav")).unwrap();
    let source = Audio::read(&vector("source.wav")).unwrap();
    assert_eq!((decoded.sample_rate(), decoded.channel_count(), decoded.len()), (32_000, 2, source.len()));
    // Compared as 16-bit WAV samples: the synthesis is float, so allow 2 steps of rounding.
    let decoded = Audio::from_wav_bytes(&decoded.to_wav_bytes().unwrap()).unwrap();
    for (a, b) in decoded.channels().iter().zip(expected.channels()) {
        let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f32::max);
        assert!(worst <= 2.0 / 32768.0 + 1e-7, "largest sample difference {worst}");
    }
    // The vector is not silence: the expected left channel has an RMS of about 0.02.
    let rms = (expected.channels()[0].iter().map(|v| v * v).sum::<f32>() / expected.len() as f32).sqrt();
    assert!(rms > 0.01, "RMS {rms}");
}

#[test]
fn decoding_needs_the_named_model() {
    let err = nmc::decode(&read("tiny.nmc")).unwrap_err();
    assert!(matches!(err, nmc::Error::ModelNotFound(_)), "{err}");
}
