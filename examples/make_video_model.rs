//! Writes `models/video-inr.nmcm`, the video model file (entropy tables only):
//! `cargo run --release --example make_video_model`.

fn main() -> nmc::Result<()> {
    let bytes = nmc::video::model_file_bytes()?;
    std::fs::write("models/video-inr.nmcm", &bytes).map_err(|e| nmc::Error::io("models/video-inr.nmcm", e))?;
    println!("models/video-inr.nmcm: {} bytes, id {}", bytes.len(), nmc::container::ModelId::of_model_file(&bytes));
    Ok(())
}
