//! Writes the video-codec test vectors in `format-spec/vectors/video/`: a tiny 4:2:0 clip
//! (`source.y4m`, 8 frames of 24×16), its `.nmc` after 150 fitting steps at quality 6 with the
//! default network (`tiny-context.nmc`) and the frames every decoder must produce from it, bit
//! for bit (`tiny-context.y4m`). (`tiny.nmc` and `tiny.y4m`, the same clip coded without a
//! context model, were written by this program before the context model existed and are kept
//! as they are: files of that format must go on decoding.)
//!
//! Run: `cargo run --release --example make_video_vectors`

use std::path::Path;

use nmc::container::Chroma;
use nmc::media::{Frame, Video};
use nmc::{EncodeOptions, Media};

fn main() -> nmc::Result<()> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("format-spec/vectors/video");
    std::fs::create_dir_all(&dir).map_err(|e| nmc::Error::io(&dir, e))?;
    let (w, h) = (24, 16);
    let frames = (0..8)
        .map(|t| Frame {
            planes: [
                (0..w * h).map(|i| if (i % w + 2 * t) % 12 < 6 { 60 + (i / w) as u8 * 8 } else { 200 }).collect(),
                (0..w * h / 4).map(|i| (100 + i % 12 * 4) as u8).collect(),
                vec![150; w * h / 4],
            ],
        })
        .collect();
    let source = Video::new(w, h, (25, 1), Chroma::Yuv420, frames)?;
    let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).map_err(|e| nmc::Error::io(dir.join(name), e));
    write("source.y4m", &source.to_y4m())?;
    let bytes = nmc::encode(&Media::Video(source), &EncodeOptions { steps: Some(150), quality: Some(6.0), ..Default::default() })?;
    write("tiny-context.nmc", &bytes)?;
    let Media::Video(decoded) = nmc::decode(&bytes)? else { unreachable!("a video file decodes to video") };
    write("tiny-context.y4m", &decoded.to_y4m())?;
    println!("{}: tiny-context.nmc {} bytes", dir.display(), bytes.len());
    Ok(())
}
