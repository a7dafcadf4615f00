//! Unit and property tests of the container. The golden file is FORMAT.md's worked example
//! and `format-spec/vectors/valid_image.nmc`.

use proptest::prelude::*;

use super::*;

/// The worked example of FORMAT.md: a 16×16 RGB 8-bit image, one 4-byte `YLAT` chunk.
const GOLDEN: [u8; 70] = [
    0x89, 0x4e, 0x4d, 0x43, 0x01, 0x00, 0x01, 0x00, 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66,
    0x77, //
    0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x0a, 0x00, 0x10, 0x00, 0x00, 0x00, 0x10,
    0x00, //
    0x00, 0x00, 0x03, 0x08, 0x03, 0x2a, 0xb1, 0xc9, 0x59, 0x4c, 0x41, 0x54, 0x01, 0x04, 0x00,
    0x00, //
    0x00, 0xa5, 0x5a, 0x0f, 0xf0, 0x4c, 0xd7, 0xb1, 0xa1, 0x4e, 0x45, 0x4e, 0x44, 0x01, 0x00,
    0x00, //
    0x00, 0x00, 0x5c, 0x6f, 0xb9, 0x2c,
];

const MODEL: &str = "00112233445566778899aabbccddeeff";

fn golden_container() -> Container {
    let model = ModelId::from_hex(MODEL).expect("valid hex");
    let params = ImageParams {
        width: 16,
        height: 16,
        channels: 3,
        bit_depth: 8,
    };
    let mut c = Container::new(model, MediaParams::Image(params));
    c.push(FourCc::YLAT, true, vec![0xa5, 0x5a, 0x0f, 0xf0]);
    c
}

fn audio() -> MediaParams {
    MediaParams::Audio(AudioParams {
        sample_rate: 24_000,
        channels: 2,
        samples: 123_456,
    })
}

fn video() -> MediaParams {
    MediaParams::Video(VideoParams {
        width: 352,
        height: 288,
        frames: 30,
        fps_num: 30_000,
        fps_den: 1001,
        chroma: Chroma::Yuv420,
    })
}

/// Sets `bytes[at..at+4]` to the CRC-32 of `bytes[from..at]`.
fn fix_crc(bytes: &mut [u8], from: usize, at: usize) {
    let crc = crc32fast::hash(&bytes[from..at]);
    bytes[at..at + 4].copy_from_slice(&crc.to_le_bytes());
}

/// The golden file with one header byte changed and the header CRC fixed.
fn golden_with_header_byte(at: usize, value: u8) -> Vec<u8> {
    let mut b = GOLDEN.to_vec();
    b[at] = value;
    fix_crc(&mut b, 0, 36);
    b
}

/// `prefix` (a valid file without NEND) followed by raw chunks and a NEND.
fn with_raw_chunks(prefix: &[u8], chunks: &[(&[u8; 4], u8, &[u8])]) -> Vec<u8> {
    let mut b = prefix.to_vec();
    for &(fourcc, flags, payload) in chunks {
        let start = b.len();
        b.extend_from_slice(fourcc);
        b.push(flags);
        b.extend_from_slice(&(payload.len() as u32).to_le_bytes());
        b.extend_from_slice(payload);
        b.extend_from_slice(&[0; 4]);
        let end = b.len() - 4;
        fix_crc(&mut b, start, end);
    }
    b.extend_from_slice(&GOLDEN[57..]);
    b
}

fn err_of(bytes: &[u8]) -> Error {
    Container::parse(bytes).expect_err("parse should fail")
}

#[test]
fn golden_bytes() {
    assert_eq!(golden_container().to_bytes().unwrap(), GOLDEN);
    let (parsed, layout) = Container::parse_with_layout(&GOLDEN).unwrap();
    assert_eq!(parsed, golden_container());
    assert_eq!(layout.header_len, 40);
    let sizes: Vec<_> = layout
        .chunks
        .iter()
        .map(|c| (c.fourcc, c.offset, c.size_on_disk()))
        .collect();
    assert_eq!(sizes, [(FourCc::YLAT, 40, 17), (FourCc::NEND, 57, 13)]);
}

#[test]
fn round_trip_each_kind() {
    for params in [golden_container().header.params, audio(), video()] {
        let mut c = Container::new(ModelId::of_model_file(b"model"), params);
        c.push(FourCc::META, false, br#"{"k":1}"#.to_vec());
        c.push(FourCc(*b"XTRA"), false, vec![7; 300]);
        c.push(FourCc(*b"XTRA"), false, vec![]);
        let bytes = c.to_bytes().unwrap();
        assert_eq!(Container::parse(&bytes).unwrap(), c);
    }
}

#[test]
fn ids_display_and_parse() {
    let id = ModelId::from_hex(MODEL).unwrap();
    assert_eq!(id.to_string(), MODEL);
    assert_eq!(ModelId::from_hex(&MODEL.to_uppercase()), Some(id));
    assert_eq!(serde_json::to_string(&id).unwrap(), format!("\"{MODEL}\""));
    for bad in [
        "",
        "00",
        &MODEL[1..],
        "+0112233445566778899aabbccddeeff",
        "g0112233445566778899aabbccddeeff",
    ] {
        assert_eq!(ModelId::from_hex(bad), None, "{bad}");
    }
    assert!(ModelId::NONE.is_none());
    assert_eq!(FourCc(*b"A\x01BC").to_string(), "A\\x01BC");
    assert_eq!(serde_json::to_string(&FourCc::YLAT).unwrap(), "\"YLAT\"");
}

#[test]
fn header_errors() {
    assert!(matches!(err_of(&[]), Error::Truncated(_)));
    assert!(matches!(err_of(&GOLDEN[..3]), Error::Truncated(_)));
    assert!(matches!(err_of(b"\x89NM"), Error::Truncated(_)));
    assert!(matches!(err_of(b"PK"), Error::BadMagic));
    assert!(matches!(
        err_of(&golden_with_header_byte(4, 0)),
        Error::UnsupportedVersion { major: 0, .. }
    ));
    assert!(matches!(
        err_of(&golden_with_header_byte(4, 2)),
        Error::UnsupportedVersion { major: 2, .. }
    ));
    assert!(matches!(
        err_of(&golden_with_header_byte(6, 4)),
        Error::Malformed(_)
    ));
    assert!(matches!(
        err_of(&golden_with_header_byte(7, 1)),
        Error::Malformed(_)
    ));
    assert!(matches!(
        err_of(&golden_with_header_byte(34, 2)),
        Error::Malformed(_)
    ));
    assert!(matches!(
        err_of(&golden_with_header_byte(35, 12)),
        Error::Malformed(_)
    ));
    assert!(matches!(
        err_of(&golden_with_header_byte(26, 0)),
        Error::Malformed(_)
    ));
    assert!(matches!(
        err_of(&golden_with_header_byte(28, 1)),
        Error::LimitExceeded { .. }
    ));
    let mut bad_crc = GOLDEN;
    bad_crc[36] ^= 1;
    assert!(matches!(err_of(&bad_crc), Error::CrcMismatch(_)));
}

#[test]
fn later_minor_with_longer_params_is_read() {
    // Minor 3 appends 2 bytes to the image params: a v1.0 reader skips them.
    let mut b = GOLDEN[..36].to_vec();
    b[5] = 3;
    b[24] = 12;
    b.extend_from_slice(&[0xee, 0xee, 0, 0, 0, 0]);
    fix_crc(&mut b, 0, 38);
    b.extend_from_slice(&GOLDEN[36 + 4..]);
    let c = Container::parse(&b).unwrap();
    assert_eq!(c.header.minor, 3);
    assert_eq!(c.header.params, golden_container().header.params);
    assert_eq!(c.chunks, golden_container().chunks);
    // This writer writes only 1.0.
    assert!(matches!(c.to_bytes(), Err(Error::InvalidArgument(_))));
}

#[test]
fn params_too_short() {
    let mut b = GOLDEN[..34].to_vec();
    b[24] = 8;
    b.extend_from_slice(&[0; 4]);
    fix_crc(&mut b, 0, 34);
    b.extend_from_slice(&GOLDEN[40..]);
    assert!(matches!(err_of(&b), Error::Malformed(_)));
}

#[test]
fn chunk_errors() {
    let head = &GOLDEN[..40];
    let unknown_required = with_raw_chunks(head, &[(b"XREQ", 1, b"x")]);
    assert!(matches!(err_of(&unknown_required), Error::UnknownRequiredChunk(t) if t == "XREQ"));
    let unknown_optional = with_raw_chunks(head, &[(b"XOPT", 0, b"x")]);
    assert_eq!(
        Container::parse(&unknown_optional).unwrap().chunks[0].fourcc,
        FourCc(*b"XOPT")
    );
    for bad in [
        with_raw_chunks(head, &[(b"YLAT", 1, b""), (b"YLAT", 1, b"")]),
        with_raw_chunks(head, &[(b"YLAT", 0, b"")]),
        with_raw_chunks(head, &[(b"META", 1, b"")]),
        with_raw_chunks(head, &[(b"X\x7fYZ", 0, b"")]),
        with_raw_chunks(head, &[(b"XOPT", 2, b"")]),
        with_raw_chunks(head, &[(b"NEND", 1, b"x")]),
        with_raw_chunks(head, &[(b"NEND", 0, b"")]),
        [&GOLDEN[..], &[0u8][..]].concat(),
    ] {
        assert!(
            matches!(err_of(&bad), Error::Malformed(_)),
            "{:?}",
            err_of(&bad)
        );
    }
    assert!(matches!(err_of(&GOLDEN[..57]), Error::Truncated(_)));
    let mut huge = head.to_vec();
    huge.extend_from_slice(b"XOPT\x00\x01\x00\x00\x40");
    assert!(matches!(err_of(&huge), Error::LimitExceeded { value, .. } if value == (1 << 30) + 1));
    let mut bad_crc = GOLDEN;
    bad_crc[50] ^= 0x80;
    assert!(matches!(err_of(&bad_crc), Error::CrcMismatch(_)));
}

#[test]
fn chunk_count_limit() {
    let mut c = golden_container();
    c.chunks.clear();
    for _ in 0..MAX_CHUNKS {
        c.push(FourCc(*b"XOPT"), false, vec![]);
    }
    let full = c.to_bytes().unwrap();
    assert_eq!(Container::parse(&full).unwrap().chunks.len(), MAX_CHUNKS);
    let over = with_raw_chunks(&full[..full.len() - 13], &[(b"XOPT", 0, b"")]);
    assert!(matches!(err_of(&over), Error::LimitExceeded { .. }));
    c.push(FourCc(*b"XOPT"), false, vec![]);
    assert!(matches!(c.to_bytes(), Err(Error::LimitExceeded { .. })));
}

#[test]
fn writer_refuses_what_readers_refuse() {
    let bad_params = [
        MediaParams::Image(ImageParams {
            width: 70_000,
            height: 1,
            channels: 3,
            bit_depth: 8,
        }),
        MediaParams::Image(ImageParams {
            width: 65_535,
            height: 65_535,
            channels: 3,
            bit_depth: 8,
        }),
        MediaParams::Image(ImageParams {
            width: 0,
            height: 1,
            channels: 3,
            bit_depth: 8,
        }),
        MediaParams::Image(ImageParams {
            width: 1,
            height: 1,
            channels: 2,
            bit_depth: 8,
        }),
        MediaParams::Audio(AudioParams {
            sample_rate: 0,
            channels: 1,
            samples: 0,
        }),
        MediaParams::Audio(AudioParams {
            sample_rate: 48_000,
            channels: 9,
            samples: 0,
        }),
        MediaParams::Audio(AudioParams {
            sample_rate: 48_000,
            channels: 1,
            samples: (1 << 36) + 1,
        }),
        MediaParams::Video(VideoParams {
            width: 16_385,
            height: 16,
            frames: 1,
            fps_num: 1,
            fps_den: 1,
            chroma: Chroma::Yuv444,
        }),
        MediaParams::Video(VideoParams {
            width: 16,
            height: 16,
            frames: 1,
            fps_num: 1,
            fps_den: 0,
            chroma: Chroma::Yuv444,
        }),
    ];
    for params in bad_params {
        assert!(
            Container::new(ModelId::NONE, params.clone())
                .to_bytes()
                .is_err(),
            "{params:?}"
        );
    }
    let bad_chunks: [(FourCc, bool); 5] = [
        (FourCc::NEND, true),
        (FourCc(*b"XREQ"), true),
        (FourCc::YLAT, false),
        (FourCc::META, true),
        (FourCc(*b"\0abc"), false),
    ];
    for (fourcc, required) in bad_chunks {
        let mut c = golden_container();
        c.chunks.clear();
        c.push(fourcc, required, vec![]);
        assert!(c.to_bytes().is_err(), "{fourcc}");
    }
    let mut twice = golden_container();
    twice.push(FourCc::YLAT, true, vec![]);
    assert!(matches!(twice.to_bytes(), Err(Error::Malformed(_))));
    let mut future = golden_container();
    future.header.major = 2;
    assert!(future.to_bytes().is_err());
}

fn arb_params() -> impl Strategy<Value = MediaParams> {
    prop_oneof![
        (
            1u32..=65_535,
            1u32..=4096,
            prop::sample::select(IMAGE_CHANNELS.to_vec()),
            prop::sample::select(IMAGE_BIT_DEPTHS.to_vec())
        )
            .prop_map(|(width, height, channels, bit_depth)| MediaParams::Image(
                ImageParams {
                    width,
                    height,
                    channels,
                    bit_depth
                }
            )),
        (
            1u32..=MAX_SAMPLE_RATE,
            1u16..=MAX_AUDIO_CHANNELS,
            0u64..=MAX_AUDIO_SAMPLES
        )
            .prop_map(
                |(sample_rate, channels, samples)| MediaParams::Audio(AudioParams {
                    sample_rate,
                    channels,
                    samples
                })
            ),
        (
            1u32..=MAX_VIDEO_DIM,
            1u32..=MAX_VIDEO_DIM,
            1u32..=MAX_VIDEO_FRAMES,
            1u32..,
            1u32..,
            any::<bool>()
        )
            .prop_map(
                |(width, height, frames, fps_num, fps_den, full)| MediaParams::Video(VideoParams {
                    width,
                    height,
                    frames,
                    fps_num,
                    fps_den,
                    chroma: if full { Chroma::Yuv444 } else { Chroma::Yuv420 },
                })
            ),
    ]
}

fn arb_container() -> impl Strategy<Value = Container> {
    let unknown = (
        prop::array::uniform4(0x20u8..=0x7e),
        prop::collection::vec(any::<u8>(), 0..40),
    )
        .prop_filter("unknown type", |(t, _)| FourCc(*t).known().is_none())
        .prop_map(|(t, payload)| Chunk {
            fourcc: FourCc(t),
            required: false,
            payload,
        });
    let known = |fourcc: FourCc, required| {
        prop::option::of(prop::collection::vec(any::<u8>(), 0..40)).prop_map(move |p| {
            p.map(|payload| Chunk {
                fourcc,
                required,
                payload,
            })
        })
    };
    (
        arb_params(),
        any::<[u8; 16]>(),
        prop::collection::vec(unknown, 0..4),
        known(FourCc::YLAT, true),
        known(FourCc::META, false),
    )
        .prop_flat_map(|(params, model, mut chunks, ylat, meta)| {
            chunks.extend(ylat.into_iter().chain(meta));
            let header = Container::new(ModelId(model), params).header;
            Just(chunks)
                .prop_shuffle()
                .prop_map(move |chunks| Container {
                    header: header.clone(),
                    chunks,
                })
        })
}

proptest! {
    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Container::parse(&bytes);
    }

    #[test]
    fn arbitrary_chunk_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..200)) {
        let _ = Container::parse(&[&GOLDEN[..40], &bytes[..]].concat());
    }

    #[test]
    fn valid_files_round_trip(c in arb_container()) {
        let bytes = c.to_bytes().unwrap();
        prop_assert_eq!(Container::parse(&bytes).unwrap(), c);
    }

    #[test]
    fn flipped_byte_is_caught(
        c in arb_container(),
        at in any::<prop::sample::Index>(),
        xor in 1u8..,
    ) {
        let mut bytes = c.to_bytes().unwrap();
        let i = at.index(bytes.len());
        bytes[i] ^= xor;
        if let Ok(parsed) = Container::parse(&bytes) {
            prop_assert_eq!(parsed, c);
        }
    }

    #[test]
    fn every_truncation_fails(c in arb_container()) {
        let bytes = c.to_bytes().unwrap();
        for len in 0..bytes.len() {
            prop_assert!(Container::parse(&bytes[..len]).is_err(), "length {}", len);
        }
    }
}
