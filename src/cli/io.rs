//! File and stream handling of the CLI: `-` for stdin/stdout, atomic outputs, `--force`.

use std::io::{Read, Write};
use std::path::Path;

use crate::codec::{Info, ModelFile};
use crate::container::{MediaParams, MAGIC};
use crate::media::{Image, Media, Video};
use crate::nn::Precision;
use crate::{Error, Result};

/// Where a video encode into `output` keeps its finished groups: `OUT.part`.
pub fn part_path(output: &Path) -> std::path::PathBuf {
    let mut name = output.as_os_str().to_owned();
    name.push(".part");
    name.into()
}

pub(crate) fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// How a path is shown in messages.
pub fn display(path: &Path) -> String {
    if is_stdio(path) { "<stdout>".into() } else { path.display().to_string() }
}

/// Reads a whole file, or stdin for `-`.
pub fn read_input(path: &Path) -> Result<Vec<u8>> {
    if is_stdio(path) {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes).map_err(|e| Error::io("<stdin>", e))?;
        Ok(bytes)
    } else {
        std::fs::read(path).map_err(|e| Error::io(path, e))
    }
}

/// What `nmc encode` reads: a WAV stream, coded block by block, or other media read whole.
pub enum Input {
    /// A WAV file, or the WAV bytes read from stdin.
    Wav(Wav),
    /// Any other media.
    Media(Media),
}

/// A WAV input that can be read more than once (a target bitrate encodes it several times).
pub enum Wav {
    File(std::path::PathBuf),
    Bytes(Vec<u8>),
}

impl Wav {
    /// The WAV stream from its start.
    pub fn open(&self) -> Result<Box<dyn Read + '_>> {
        Ok(match self {
            Wav::File(path) => Box::new(std::io::BufReader::new(std::fs::File::open(path).map_err(|e| Error::io(path, e))?)),
            Wav::Bytes(bytes) => Box::new(std::io::Cursor::new(bytes)),
        })
    }
}

fn is_wav(head: &[u8]) -> bool {
    head.starts_with(b"RIFF") && head.get(8..12) == Some(b"WAVE")
}

/// Reads what to encode, detecting its kind from the content: a WAV file is only opened (it is
/// read block by block while coding), a folder is read as PNG video frames at `fps`.
pub fn read_encode_input(path: &Path, fps: (u32, u32)) -> Result<Input> {
    if path.is_dir() {
        return Ok(Input::Media(Media::Video(Video::read_png_dir(path, fps)?)));
    }
    if !is_stdio(path) {
        let mut head = Vec::with_capacity(12);
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        file.take(12).read_to_end(&mut head).map_err(|e| Error::io(path, e))?;
        if is_wav(&head) {
            return Ok(Input::Wav(Wav::File(path.to_owned())));
        }
    }
    let bytes = read_input(path)?;
    if is_wav(&bytes) {
        return Ok(Input::Wav(Wav::Bytes(bytes)));
    }
    if bytes.starts_with(&MAGIC) {
        return Err(Error::UnsupportedMedia("the input is already an .nmc file".into()).in_file(path));
    }
    if bytes.starts_with(b"YUV4MPEG2") {
        return Ok(Input::Media(Media::Video(Video::from_y4m(&bytes).map_err(|e| e.in_file(path))?)));
    }
    let image = Image::from_file_bytes(&bytes).map_err(|_| {
        Error::UnsupportedMedia(
            "unrecognized input format (expected a WAV file, a .y4m video, a folder of PNG frames or an image: PNG, JPEG, BMP, TIFF, WebP, PNM)".into(),
        )
            .in_file(path)
    })?;
    Ok(Input::Media(Media::Image(image)))
}

/// Refuses early when the output exists and `--force` is not given (so no work is wasted).
pub fn check_output(path: &Path, force: bool) -> Result<()> {
    if !is_stdio(path) && !force && path.exists() {
        return Err(Error::InvalidArgument("output exists; pass --force to overwrite it".into()).in_file(path));
    }
    Ok(())
}

/// Encodes decoded images and video in the format OUT asks for (images: by extension, PNG for
/// stdout; video: .y4m). Audio is written by [`write_wav`].
pub fn encode_media(media: &Media, path: &Path) -> Result<Vec<u8>> {
    match media {
        Media::Image(image) if is_stdio(path) => image.encode(::image::ImageFormat::Png),
        Media::Image(image) => image.encode_for_path(path).map_err(|e| e.in_file(path)),
        Media::Audio(audio) => audio.to_wav_bytes(),
        Media::Video(video) => {
            let y4m = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("y4m"));
            if !is_stdio(path) && !y4m {
                return Err(Error::UnsupportedMedia("the file holds video, which decodes to .y4m or to a folder of PNG frames (OUT/)".into()).in_file(path));
            }
            Ok(video.to_y4m())
        }
    }
}

/// Writes a WAV decoded block by block by `decode` into OUT (`*.wav`, or `-` for stdout, which
/// is buffered since a WAV header needs the length) atomically. Errors writing name OUT; others
/// are left for the caller to name the input.
pub fn write_wav(path: &Path, force: bool, decode: impl FnOnce(&mut dyn WriteSeek) -> Result<()>) -> Result<()> {
    let wav = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("wav"));
    let name = |e: Error| match e {
        Error::Io { source, .. } => Error::io(display(path), source),
        e => e,
    };
    if is_stdio(path) {
        let mut out = std::io::Cursor::new(Vec::new());
        decode(&mut out).map_err(name)?;
        return write_output(path, &out.into_inner(), force);
    }
    if !wav {
        return Err(Error::UnsupportedMedia("the file holds audio, which decodes to WAV: name the output *.wav".into()).in_file(path));
    }
    crate::fsutil::write_atomic_with(path, force, |file| {
        let mut out = std::io::BufWriter::new(file);
        decode(&mut out).map_err(name)?;
        out.flush().map_err(|e| Error::io(path, e))
    })
}

/// A seekable output (a WAV header is completed at the end).
pub trait WriteSeek: Write + std::io::Seek {}
impl<T: Write + std::io::Seek> WriteSeek for T {}

/// Whether OUT names a folder of frames: it ends with a path separator or is an existing folder.
pub fn is_frame_folder(path: &Path) -> bool {
    path.as_os_str().to_string_lossy().ends_with(std::path::MAIN_SEPARATOR) || path.is_dir()
}

/// Writes the output atomically (or to stdout for `-`).
pub fn write_output(path: &Path, bytes: &[u8], force: bool) -> Result<()> {
    if is_stdio(path) {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes).and_then(|_| out.flush()).map_err(|e| Error::io("<stdout>", e))
    } else {
        crate::fsutil::write_atomic(path, bytes, force)
    }
}

/// Prints `nmc info` of a model file: id, format, architecture, weights and training record.
pub fn print_model_info(path: &Path, model: &ModelFile, bytes: usize, json: bool) -> Result<()> {
    let values: usize = model.tensors.iter().map(|t| t.values.len()).sum();
    let half: usize = model.tensors.iter().filter(|t| t.precision == Precision::F16).map(|t| t.values.len()).sum();
    if json {
        let info = serde_json::json!({
            "model": model.id.to_string(),
            "version": model.version,
            "file_bytes": bytes,
            "parameters": values,
            "binary16_parameters": half,
            "tables": model.tables.len(),
            "meta": model.meta,
        });
        println!("{}", serde_json::to_string_pretty(&info).map_err(|e| Error::Model(e.to_string()))?);
        return Ok(());
    }
    let t = &model.meta.training;
    println!("file:     {}", if is_stdio(path) { "<stdin>".into() } else { path.display().to_string() });
    println!("model:    {} (model file version {}, {bytes} bytes)", model.id, model.version);
    println!("network:  {}", serde_json::to_string(&model.meta.architecture).map_err(|e| Error::Model(e.to_string()))?);
    println!("weights:  {values} parameters in {} tensors ({half} as binary16), {} entropy tables", model.tensors.len(), model.tables.len());
    println!("training: {} steps, {:.0} s wall time in {} run(s)", t.steps, t.wall_time_s, t.runs.len());
    for r in &t.runs {
        let qualities = if r.qualities.is_empty() { String::new() } else { format!(", qualities {}", r.qualities) };
        let decay = match r.decayed_from {
            Some(step) if step == r.first_step => format!(" (all at {})", r.learning_rate / 10.0),
            Some(step) => format!(" ({} from step {step})", r.learning_rate / 10.0),
            None => String::new(),
        };
        println!(
            "run:      steps {}–{}, batch {} × {}, lr {}{decay}{qualities}, {:.0} s, {}, {}",
            r.first_step, r.last_step, r.batch, r.crop, r.learning_rate, r.wall_time_s, r.hardware, r.data
        );
        if !r.change.is_empty() {
            println!("          at step {}: {}", r.first_step, r.change);
        }
    }
    if let Some(v) = &t.validation {
        println!("validation: step {}, rate {:.4}, metric {:.4}, loss {:.4} ({})", v.step, v.rate, v.metric, v.loss, v.data);
    }
    Ok(())
}

/// Prints `nmc info` as text.
pub fn print_info(path: &Path, info: &Info) {
    let h = &info.header;
    println!("file:     {}", if is_stdio(path) { "<stdin>".into() } else { path.display().to_string() });
    println!("format:   nmc {}.{}", h.major, h.minor);
    match &h.params {
        MediaParams::Image(p) => println!(
            "media:    image {}x{}, {} channel(s), {}-bit",
            p.width, p.height, p.channels, p.bit_depth
        ),
        MediaParams::Audio(p) => println!(
            "media:    audio {:.3} s, {} Hz, {} channel(s)",
            p.samples as f64 / f64::from(p.sample_rate),
            p.sample_rate,
            p.channels
        ),
        MediaParams::Video(p) => println!(
            "media:    video {}x{}, {} frames at {:.3} fps ({}/{}), {:?}",
            p.width,
            p.height,
            p.frames,
            f64::from(p.fps_num) / f64::from(p.fps_den),
            p.fps_num,
            p.fps_den,
            p.chroma
        ),
    }
    println!("model:    {}{}", h.model, if info.model_embedded { " (embedded)" } else { " (not embedded)" });
    println!("size:     {} bytes", info.file_bytes);
    if let Some(bpp) = info.bits_per_pixel {
        println!("rate:     {bpp:.4} bits per pixel");
    }
    if let Some(kbps) = info.kbps {
        println!("rate:     {kbps:.3} kbps");
    }
    if let Some(net) = &info.video_network {
        let chain = |widths: Vec<usize>| widths.iter().map(|w| w.to_string()).collect::<Vec<_>>().join("-");
        let synthesis = chain(std::iter::once(net.levels()).chain(net.hidden.iter().copied()).chain([3]).collect());
        let context = match &net.context {
            Some(h) => format!("context model {}", chain(std::iter::once(crate::video::context::CONTEXT).chain(h.iter().copied()).chain([2]).collect())),
            None => "no context model".into(),
        };
        println!(
            "network:  {} latent levels, synthesis {synthesis} ({} weights), {context}, groups of {} frames, {} MAC/pixel",
            net.levels(),
            net.parameters(),
            net.gop,
            net.macs_per_pixel()
        );
    }
    for c in &info.chunks {
        println!("chunk:    {} {:>10} bytes{}", c.fourcc, c.payload_bytes, if c.required { "" } else { " (optional)" });
    }
}
