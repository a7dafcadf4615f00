//! Writes the container test vectors, `format-spec/vectors/*.nmc`, and `expected.json`,
//! which `tests/container_vectors.rs` checks. Valid files come from the library; invalid ones
//! are assembled byte by byte here, independently of it (FORMAT.md is the reference).
//!
//! Run: `cargo run --release --example make_container_vectors`

use std::path::Path;

use nmc::container::{
    AudioParams, Chroma, Container, FourCc, ImageParams, MediaParams, ModelId, VideoParams,
};
use serde_json::{json, Value};

type BoxResult<T> = Result<T, Box<dyn std::error::Error>>;

const MODEL: [u8; 16] = [
    0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff,
];
const YLAT_PAYLOAD: [u8; 4] = [0xa5, 0x5a, 0x0f, 0xf0];

/// A header: magic, version, kind, reserved byte, `MODEL`, params (with their length), CRC.
fn raw_header(major: u8, minor: u8, kind: u8, reserved: u8, params: &[u8]) -> Vec<u8> {
    let mut b = vec![0x89, b'N', b'M', b'C', major, minor, kind, reserved];
    b.extend_from_slice(&MODEL);
    b.extend_from_slice(&(params.len() as u16).to_le_bytes());
    b.extend_from_slice(params);
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

/// Image params: width, height, channels, bit depth.
fn image_params(width: u32, height: u32, channels: u8, bit_depth: u8) -> Vec<u8> {
    [
        &width.to_le_bytes()[..],
        &height.to_le_bytes()[..],
        &[channels, bit_depth][..],
    ]
    .concat()
}

/// A chunk: type, flags, length, payload, CRC.
fn raw_chunk(fourcc: &[u8; 4], flags: u8, payload: &[u8]) -> Vec<u8> {
    let mut b = fourcc.to_vec();
    b.push(flags);
    b.extend_from_slice(&(payload.len() as u32).to_le_bytes());
    b.extend_from_slice(payload);
    let crc = crc32fast::hash(&b);
    b.extend_from_slice(&crc.to_le_bytes());
    b
}

fn nend() -> Vec<u8> {
    raw_chunk(b"NEND", 1, &[])
}

/// The 16×16 RGB header followed by `chunks` (NEND not added).
fn image_file(chunks: &[Vec<u8>]) -> Vec<u8> {
    [
        raw_header(1, 0, 1, 0, &image_params(16, 16, 3, 8)),
        chunks.concat(),
    ]
    .concat()
}

fn ok(file: &str, bytes: Vec<u8>, chunks: &[&str]) -> (String, Vec<u8>, Value) {
    (
        file.into(),
        bytes,
        json!({"file": file, "outcome": "ok", "chunks": chunks}),
    )
}

fn error(file: &str, bytes: Vec<u8>, variant: &str) -> (String, Vec<u8>, Value) {
    (
        file.into(),
        bytes,
        json!({"file": file, "outcome": "error", "error": variant}),
    )
}

fn main() -> BoxResult<()> {
    let image = MediaParams::Image(ImageParams {
        width: 16,
        height: 16,
        channels: 3,
        bit_depth: 8,
    });
    let mut golden = Container::new(ModelId(MODEL), image);
    golden.push(FourCc::YLAT, true, YLAT_PAYLOAD.to_vec());
    let valid = golden.to_bytes()?;
    let ylat = raw_chunk(b"YLAT", 1, &YLAT_PAYLOAD);
    assert_eq!(
        valid,
        image_file(&[ylat.clone(), nend()]),
        "library and spec disagree"
    );

    let mut with_extra = golden.clone();
    with_extra.push(FourCc(*b"XTRA"), false, b"extra data".to_vec());

    let audio = MediaParams::Audio(AudioParams {
        sample_rate: 24_000,
        channels: 1,
        samples: 24_000,
    });
    let mut audio_file = Container::new(ModelId(MODEL), audio);
    audio_file.push(
        FourCc::META,
        false,
        br#"{"title":"one second of audio"}"#.to_vec(),
    );

    let video = MediaParams::Video(VideoParams {
        width: 64,
        height: 48,
        frames: 10,
        fps_num: 25,
        fps_den: 1,
        chroma: Chroma::Yuv420,
    });
    let video_file = Container::new(ModelId(MODEL), video);

    let mut future_minor_params = image_params(16, 16, 3, 8);
    future_minor_params.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
    let with_header = |header: Vec<u8>| [header, ylat.clone(), nend()].concat();
    let mut corrupt_payload = valid.clone();
    corrupt_payload[50] ^= 0x01;
    let mut corrupt_header = valid.clone();
    corrupt_header[36] ^= 0xff;
    let mut bad_magic = valid.clone();
    bad_magic[..4].copy_from_slice(b"\x89PNG");
    let huge_length = [&b"XTRA\x00"[..], &((1u32 << 30) + 1).to_le_bytes()[..]].concat();

    let vectors = [
        ok("valid_image.nmc", valid.clone(), &["YLAT"]),
        ok(
            "valid_with_unknown_optional.nmc",
            with_extra.to_bytes()?,
            &["YLAT", "XTRA"],
        ),
        ok("valid_audio.nmc", audio_file.to_bytes()?, &["META"]),
        ok("valid_video.nmc", video_file.to_bytes()?, &[]),
        ok(
            "future_minor.nmc",
            [
                raw_header(1, 5, 1, 0, &future_minor_params),
                ylat.clone(),
                raw_chunk(b"XNEW", 0, b"new"),
                nend(),
            ]
            .concat(),
            &["YLAT", "XNEW"],
        ),
        error("empty.nmc", vec![], "Truncated"),
        error("bad_magic.nmc", bad_magic, "BadMagic"),
        error(
            "future_major.nmc",
            with_header(raw_header(2, 0, 1, 0, &image_params(16, 16, 3, 8))),
            "UnsupportedVersion",
        ),
        error(
            "major_zero.nmc",
            with_header(raw_header(0, 9, 1, 0, &image_params(16, 16, 3, 8))),
            "UnsupportedVersion",
        ),
        error("bad_header_crc.nmc", corrupt_header, "CrcMismatch"),
        error(
            "nonzero_reserved.nmc",
            with_header(raw_header(1, 0, 1, 1, &image_params(16, 16, 3, 8))),
            "Malformed",
        ),
        error(
            "bad_media_kind.nmc",
            with_header(raw_header(1, 0, 9, 0, &image_params(16, 16, 3, 8))),
            "Malformed",
        ),
        error(
            "short_params.nmc",
            with_header(raw_header(1, 0, 1, 0, &image_params(16, 16, 3, 8)[..8])),
            "Malformed",
        ),
        error(
            "oversize_dimensions.nmc",
            with_header(raw_header(1, 0, 1, 0, &image_params(70_000, 16, 3, 8))),
            "LimitExceeded",
        ),
        error(
            "zero_width.nmc",
            with_header(raw_header(1, 0, 1, 0, &image_params(0, 16, 3, 8))),
            "Malformed",
        ),
        error("truncated_chunk.nmc", valid[..51].to_vec(), "Truncated"),
        error(
            "missing_end.nmc",
            valid[..valid.len() - 13].to_vec(),
            "Truncated",
        ),
        error("crc_mismatch.nmc", corrupt_payload, "CrcMismatch"),
        error(
            "unknown_required_chunk.nmc",
            image_file(&[ylat.clone(), raw_chunk(b"XREQ", 1, b"new"), nend()]),
            "UnknownRequiredChunk",
        ),
        error(
            "duplicate_chunk.nmc",
            image_file(&[ylat.clone(), ylat.clone(), nend()]),
            "Malformed",
        ),
        error(
            "bad_chunk_flags.nmc",
            image_file(&[ylat.clone(), raw_chunk(b"XTRA", 2, b""), nend()]),
            "Malformed",
        ),
        error(
            "oversize_chunk_length.nmc",
            image_file(&[ylat.clone(), huge_length]),
            "LimitExceeded",
        ),
        error(
            "trailing_bytes.nmc",
            [valid.clone(), vec![0]].concat(),
            "Malformed",
        ),
    ];

    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("format-spec/vectors");
    std::fs::create_dir_all(&dir)?;
    let count = vectors.len();
    let mut expected = Vec::new();
    for (file, bytes, entry) in vectors {
        std::fs::write(dir.join(&file), bytes)?;
        expected.push(entry);
    }
    let json = serde_json::to_string_pretty(&Value::Array(expected))? + "\n";
    std::fs::write(dir.join("expected.json"), json)?;
    println!("wrote {count} vectors to {}", dir.display());
    Ok(())
}
