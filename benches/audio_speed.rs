//! Real-time factors of the shipped audio model on a clip (default `samples/speech.wav` looped to
//! 60 s): whole encode and decode, and the transforms alone (g_a, g_s); the rest of each is
//! entropy coding and the hyperprior.
//!
//! `cargo bench --bench audio_speed -- [CLIP.wav] [SECONDS]`

mod common;

use common::median_time;
use nmc::audio::{AudioCodec, HOP, HYPER_HOP};
use nmc::codec::{Architecture, Cpu, ModelFile, DEFAULT_AUDIO_MODEL};
use nmc::{Audio, EncodeOptions, Media};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).filter(|a| a != "--bench").collect();
    let clip = args.first().cloned().unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/samples/speech.wav").into());
    let seconds: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(60.0);
    let source = Audio::read(clip.as_ref()).expect("clip").resample(24_000).expect("resample");
    let len = (seconds * 24_000.0) as usize;
    let looped: Vec<f32> = source.channels()[0].iter().copied().cycle().take(len).collect();
    let audio = Audio::new(24_000, vec![looped.clone()]).unwrap();
    let media = Media::Audio(audio);

    let file = ModelFile::parse(DEFAULT_AUDIO_MODEL).unwrap();
    let Architecture::AudioHyperprior(config) = file.meta.architecture else { panic!("audio model") };
    let codec = AudioCodec::<Cpu>::new(&file, config, Default::default()).unwrap();
    let frames = len.div_ceil(HOP * HYPER_HOP) * HYPER_HOP;

    let bytes = nmc::encode(&media, &EncodeOptions::default()).unwrap();
    let encode = median_time(5, || drop(nmc::encode(&media, &EncodeOptions::default()).unwrap()));
    let decode = median_time(5, || drop(nmc::decode(&bytes).unwrap()));
    let mut y = Vec::new();
    let analysis = median_time(5, || y = codec.analysis(&looped, frames).unwrap());
    let synthesis = median_time(5, || drop(codec.synthesis(&y, frames, len).unwrap()));
    println!("{seconds} s of 24 kHz mono, {:.2} kbps, model C={} M={} N={}", bytes.len() as f64 * 8.0 / seconds / 1000.0, config.c, config.m, config.n);
    println!("{:<40} {:>8} {:>10}", "stage", "s", "× real time");
    for (name, t) in [
        ("encode (whole)", encode),
        ("  g_a (analysis transform)", analysis),
        ("  rest: h_a, hyperprior, entropy coding", encode - analysis),
        ("decode (whole)", decode),
        ("  g_s (synthesis transform)", synthesis),
        ("  rest: hyperprior, entropy decoding", decode - synthesis),
    ] {
        println!("{name:<40} {t:>8.3} {:>10.1}", seconds / t);
    }
}
