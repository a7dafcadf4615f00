//! Writes the audio-codec test vectors in `format-spec/vectors/audio/`: a tiny model (briefly
//! trained on the sample speech so that its latents carry information), a stereo 32 kHz clip
//! coded with it (resampling and mid/side included) and the expected decoded WAV.
//!
//! Run: `cargo run --release --example make_audio_vectors`

use std::path::Path;
use std::sync::Arc;

use burn::backend::Autodiff;
use burn::tensor::backend::Backend;
use nmc::audio::AudioConfig;
use nmc::codec::{Architecture, Cpu};
use nmc::train::{train_audio, TrainConfig};
use nmc::{Audio, DecodeOptions, EncodeOptions, Media, Model};

fn main() -> nmc::Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("format-spec/vectors/audio");
    std::fs::create_dir_all(&dir).map_err(|e| nmc::Error::io(&dir, e))?;
    Cpu::seed(&Default::default(), 2026);
    let scratch = tempfile::tempdir().map_err(|e| nmc::Error::io("temporary folder", e))?;
    let config = TrainConfig {
        data: root.join("samples"),
        out: scratch.path().join("tiny.nmcm"),
        resume: None,
        validation: None,
        architecture: Architecture::AudioHyperprior(AudioConfig::new(4, 8, 8)),
        grow_res: None,
        grow_m: None,
        retarget: None,
        lambda: 0.0,
        qualities: Default::default(),
        steps: 300,
        batch: 4,
        crop: 5120,
        learning_rate: 2e-3,
        checkpoint_every: 300,
        seed: 2026,
        hardware: "any CPU (test-vector model)".into(),
        progress: false,
    };
    train_audio::<Autodiff<Cpu>>(&config, &Default::default())?;
    let model_bytes = std::fs::read(&config.out).map_err(|e| nmc::Error::io(&config.out, e))?;
    let model = Arc::new(Model::from_bytes(&model_bytes)?);

    // 0.75 s of the sample speech at 32 kHz: left as is, right at half level and inverted.
    let speech = Audio::read(&root.join("samples/speech.wav"))?.resample(32_000)?;
    let left: Vec<f32> = speech.channels()[0][..24_000].to_vec();
    let right: Vec<f32> = left.iter().map(|v| -0.5 * v).collect();
    let source = Audio::new(32_000, vec![left, right])?;
    let source = Audio::from_wav_bytes(&source.to_wav_bytes()?)?; // exactly what source.wav holds

    let coded = nmc::encode(&Media::Audio(source.clone()), &EncodeOptions { quality: Some(8.0), model: Some(model.clone()), ..Default::default() })?;
    let Media::Audio(decoded) = nmc::decode_with(&coded, &DecodeOptions { models: vec![model.clone()] })? else {
        return Err(nmc::Error::Malformed("decoded media is not audio".into()));
    };
    let write = |name: &str, bytes: &[u8]| nmc::fsutil::write_atomic(&dir.join(name), bytes, true);
    write("tiny.nmcm", &model_bytes)?;
    write("source.wav", &source.to_wav_bytes()?)?;
    write("tiny.nmc", &coded)?;
    write("tiny.wav", &decoded.to_wav_bytes()?)?;
    println!("wrote {} ({} bytes .nmc, model {})", dir.display(), coded.len(), model.id());
    Ok(())
}
