//! Crafted files: the checked-in vectors of every medium with a payload or a header field
//! changed and the CRCs made valid again, so the change reaches the codec's payload decoder
//! (a random flip would stop at the CRC). Decoding must return an error or media of exactly the
//! size the header states — never panic.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use nmc::container::{Container, MediaParams};
use nmc::{DecodeOptions, Media, Model};
use proptest::prelude::*;

fn vector(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("format-spec/vectors").join(name)
}

fn read(name: &str) -> Vec<u8> {
    std::fs::read(vector(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The valid files, each with the model it needs.
fn cases() -> Vec<(Container, DecodeOptions)> {
    let with_model = |file: &str, model: &str| {
        let model = Arc::new(Model::from_bytes(&read(model)).unwrap());
        (Container::parse(&read(file)).unwrap(), DecodeOptions { models: vec![model] })
    };
    let alone = |file: &str| (Container::parse(&read(file)).unwrap(), DecodeOptions::default());
    vec![
        with_model("image/tiny.nmc", "image/tiny.nmcm"),
        with_model("audio/tiny.nmc", "audio/tiny.nmcm"),
        alone("video/tiny.nmc"),
        alone("video/tiny-context.nmc"),
    ]
}

/// One change to a file: to a chunk payload, or to a header field.
#[derive(Clone, Debug)]
enum Change {
    /// Flips bit `bit` of the payload byte at `at` (a fraction of the length).
    Flip { chunk: usize, at: f64, bit: u8 },
    /// Cuts the payload to a fraction of its length.
    Truncate { chunk: usize, keep: f64 },
    /// Appends bytes to the payload.
    Extend { chunk: usize, bytes: Vec<u8> },
    /// Overwrites an aligned 32-bit word with a value (extremes are likely).
    Word { chunk: usize, at: f64, value: u32 },
    /// Changes header field `which`: images' width, height (moved by `delta`) or channels; audio's
    /// samples (moved by 97·`delta`), channels or sample rate; video's width, height or frames
    /// (moved by `delta`). Listed values are picked by `delta`.
    Field { which: u8, delta: i32 },
}

fn change() -> impl Strategy<Value = Change> {
    let word = prop_oneof![Just(0u32), Just(1), Just(u32::MAX), Just(0x8000_0000), Just(0x7FFF_FFFF), any::<u32>()];
    prop_oneof![
        (0usize..8, 0.0..1.0, 0u8..8).prop_map(|(chunk, at, bit)| Change::Flip { chunk, at, bit }),
        (0usize..8, 0.0..1.0).prop_map(|(chunk, keep)| Change::Truncate { chunk, keep }),
        (0usize..8, prop::collection::vec(any::<u8>(), 1..12)).prop_map(|(chunk, bytes)| Change::Extend { chunk, bytes }),
        (0usize..8, 0.0..1.0, word).prop_map(|(chunk, at, value)| Change::Word { chunk, at, value }),
        (0u8..3, prop_oneof![Just(-1i32), Just(1), Just(-16), Just(16), -3000i32..3000]).prop_map(|(which, delta)| Change::Field { which, delta }),
    ]
}

fn apply(c: &mut Container, change: &Change) {
    let index = |at: f64, len: usize| ((at * len as f64) as usize).min(len.saturating_sub(1));
    let chunks = c.chunks.len();
    match change {
        Change::Flip { chunk, at, bit } => {
            let p = &mut c.chunks[chunk % chunks].payload;
            if !p.is_empty() {
                let i = index(*at, p.len());
                p[i] ^= 1 << bit;
            }
        }
        Change::Truncate { chunk, keep } => {
            let p = &mut c.chunks[chunk % chunks].payload;
            p.truncate((keep * p.len() as f64) as usize);
        }
        Change::Extend { chunk, bytes } => c.chunks[chunk % chunks].payload.extend_from_slice(bytes),
        Change::Word { chunk, at, value } => {
            let p = &mut c.chunks[chunk % chunks].payload;
            if p.len() >= 4 {
                let i = index(*at, p.len() / 4) * 4;
                p[i..i + 4].copy_from_slice(&value.to_le_bytes());
            }
        }
        Change::Field { which, delta } => {
            let moved = |v: u32| v.saturating_add_signed(*delta).max(1);
            match &mut c.header.params {
                MediaParams::Image(p) => match which {
                    0 => p.width = moved(p.width),
                    1 => p.height = moved(p.height),
                    _ => p.channels = [1, 3, 4][delta.unsigned_abs() as usize % 3],
                },
                MediaParams::Audio(p) => match which {
                    0 => p.samples = p.samples.saturating_add_signed(i64::from(*delta) * 97),
                    1 => p.channels = [1, 2, 3, 8][delta.unsigned_abs() as usize % 4],
                    _ => p.sample_rate = [8_000, 24_000, 44_100, 192_000][delta.unsigned_abs() as usize % 4],
                },
                MediaParams::Video(p) => match which {
                    0 => p.width = moved(p.width),
                    1 => p.height = moved(p.height),
                    _ => p.frames = moved(p.frames),
                },
            }
        }
    }
}

/// The size the header promises, and the decoded media's.
fn sizes(params: &MediaParams, media: &Media) -> ([u64; 3], [u64; 3]) {
    match (params, media) {
        (MediaParams::Image(p), Media::Image(i)) => (
            [p.width.into(), p.height.into(), p.channels.into()],
            [i.width().into(), i.height().into(), i.channels().into()],
        ),
        (MediaParams::Audio(p), Media::Audio(a)) => (
            [p.sample_rate.into(), p.channels.into(), p.samples],
            [a.sample_rate().into(), a.channel_count() as u64, a.len() as u64],
        ),
        (MediaParams::Video(p), Media::Video(v)) => (
            [p.width.into(), p.height.into(), p.frames.into()],
            [v.width() as u64, v.height() as u64, v.frames().len() as u64],
        ),
        _ => panic!("decoded a different medium than the header names"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn crafted_files_decode_to_the_stated_size_or_fail(case in 0usize..4, changes in prop::collection::vec(change(), 1..3)) {
        let (mut container, options) = cases().swap_remove(case);
        for change in &changes {
            apply(&mut container, change);
        }
        // Changes the writer refuses (parameters out of limits) are the container tests' business.
        let Ok(bytes) = container.to_bytes() else { return Ok(()) };
        if let Ok(media) = nmc::decode_with(&bytes, &options) {
            let (stated, decoded) = sizes(&container.header.params, &media);
            prop_assert_eq!(stated, decoded);
        }
    }
}

#[test]
fn the_unchanged_vectors_decode() {
    for (container, options) in cases() {
        let media = nmc::decode_with(&container.to_bytes().unwrap(), &options).unwrap();
        let (stated, decoded) = sizes(&container.header.params, &media);
        assert_eq!(stated, decoded);
    }
}
