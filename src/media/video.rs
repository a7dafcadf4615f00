//! Video: 8-bit Y'CbCr frames (4:2:0 or 4:4:4), read from and written to `.y4m` or a folder of
//! PNG frames.
//!
//! RGB frames (PNG) are converted with the full-range BT.601 matrix (as JPEG does) and coded as
//! 4:4:4; the same matrix converts back, and is the one used for PSNR-RGB.

use std::path::Path;

use crate::container::Chroma;
use crate::{Error, Result};

/// Largest `.y4m` header line accepted, in bytes.
const MAX_HEADER: usize = 4096;

/// One frame: its Y, Cb and Cr planes, row-major (chroma at [`Video::chroma_size`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Frame {
    /// The luma plane, then the two chroma planes.
    pub planes: [Vec<u8>; 3],
}

/// A video clip.
#[derive(Clone, Debug, PartialEq)]
pub struct Video {
    width: usize,
    height: usize,
    fps: (u32, u32),
    chroma: Chroma,
    frames: Vec<Frame>,
}

impl Video {
    /// A clip from its frames; every plane must have its size, and there is at least one frame.
    pub fn new(width: usize, height: usize, fps: (u32, u32), chroma: Chroma, frames: Vec<Frame>) -> Result<Self> {
        if width == 0 || height == 0 || frames.is_empty() || fps.0 == 0 || fps.1 == 0 {
            return Err(Error::UnsupportedMedia(format!("empty video ({width}x{height}, {} frames, {}:{} fps)", frames.len(), fps.0, fps.1)));
        }
        let video = Self { width, height, fps, chroma, frames };
        let (cw, ch) = video.chroma_size();
        for (i, frame) in video.frames.iter().enumerate() {
            let sizes = [width * height, cw * ch, cw * ch];
            if frame.planes.iter().zip(sizes).any(|(p, s)| p.len() != s) {
                return Err(Error::InvalidArgument(format!("frame {i} has planes of the wrong size")));
            }
        }
        Ok(video)
    }

    /// Width in pixels.
    pub fn width(&self) -> usize {
        self.width
    }

    /// Height in pixels.
    pub fn height(&self) -> usize {
        self.height
    }

    /// Frame rate as numerator and denominator.
    pub fn fps(&self) -> (u32, u32) {
        self.fps
    }

    /// Chroma sampling.
    pub fn chroma(&self) -> Chroma {
        self.chroma
    }

    /// The frames.
    pub fn frames(&self) -> &[Frame] {
        &self.frames
    }

    /// Duration in seconds.
    pub fn duration(&self) -> f64 {
        self.frames.len() as f64 * f64::from(self.fps.1) / f64::from(self.fps.0)
    }

    /// Size of each chroma plane.
    pub fn chroma_size(&self) -> (usize, usize) {
        chroma_size(self.width, self.height, self.chroma)
    }

    /// The frames `range` as a clip of their own.
    pub fn slice(&self, range: std::ops::Range<usize>) -> Result<Video> {
        Video::new(self.width, self.height, self.fps, self.chroma, self.frames[range].to_vec())
    }

    /// The top-left `width`×`height` of every frame (at most the current size; for 4:2:0 the
    /// chroma keeps `⌈width/2⌉`×`⌈height/2⌉`).
    pub fn crop(&self, width: usize, height: usize) -> Result<Video> {
        let (width, height) = (width.min(self.width), height.min(self.height));
        let (cw, ch) = chroma_size(width, height, self.chroma);
        let (sw, _) = self.chroma_size();
        let cut = |plane: &[u8], stride: usize, w: usize, h: usize| -> Vec<u8> { (0..h).flat_map(|y| plane[y * stride..y * stride + w].to_vec()).collect() };
        let frames = self
            .frames
            .iter()
            .map(|f| Frame { planes: [cut(&f.planes[0], self.width, width, height), cut(&f.planes[1], sw, cw, ch), cut(&f.planes[2], sw, cw, ch)] })
            .collect();
        Video::new(width, height, self.fps, self.chroma, frames)
    }

    /// The clip with chroma averaged over 2×2 blocks (4:2:0); a 4:2:0 clip is returned as is.
    pub fn to_420(&self) -> Video {
        if self.chroma == Chroma::Yuv420 {
            return self.clone();
        }
        let (w, h) = (self.width, self.height);
        let (cw, ch) = chroma_size(w, h, Chroma::Yuv420);
        let down = |plane: &[u8]| -> Vec<u8> {
            let mut out = Vec::with_capacity(cw * ch);
            for y in 0..ch {
                for x in 0..cw {
                    let (mut sum, mut n) = (0u32, 0u32);
                    for (yy, xx) in [(2 * y, 2 * x), (2 * y, 2 * x + 1), (2 * y + 1, 2 * x), (2 * y + 1, 2 * x + 1)] {
                        if yy < h && xx < w {
                            sum += u32::from(plane[yy * w + xx]);
                            n += 1;
                        }
                    }
                    out.push(((sum + n / 2) / n) as u8);
                }
            }
            out
        };
        let frames = self
            .frames
            .iter()
            .map(|f| Frame { planes: [f.planes[0].clone(), down(&f.planes[1]), down(&f.planes[2])] })
            .collect();
        Video { chroma: Chroma::Yuv420, frames, ..self.clone() }
    }

    /// Frame `index` as interleaved 8-bit RGB (chroma upsampled by repetition).
    pub fn frame_rgb(&self, index: usize) -> Vec<u8> {
        let f = &self.frames[index];
        let (cw, _) = self.chroma_size();
        let sub = usize::from(self.chroma == Chroma::Yuv420);
        let mut rgb = Vec::with_capacity(self.width * self.height * 3);
        for y in 0..self.height {
            for x in 0..self.width {
                let c = (y >> sub) * cw + (x >> sub);
                rgb.extend(ycbcr_to_rgb(f.planes[0][y * self.width + x], f.planes[1][c], f.planes[2][c]));
            }
        }
        rgb
    }

    /// Reads a `.y4m` file or a folder of PNG frames (sorted by name; `fps` applies to those).
    pub fn read(path: &Path, fps: (u32, u32)) -> Result<Video> {
        if path.is_dir() {
            return Self::read_png_dir(path, fps);
        }
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, e))?;
        Self::from_y4m(&bytes).map_err(|e| e.in_file(path))
    }

    /// Reads every `*.png` of a folder, in name order, as the frames of a 4:4:4 clip.
    pub fn read_png_dir(dir: &Path, fps: (u32, u32)) -> Result<Video> {
        let mut paths: Vec<_> = std::fs::read_dir(dir)
            .map_err(|e| Error::io(dir, e))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("png")))
            .collect();
        paths.sort();
        if paths.is_empty() {
            return Err(Error::UnsupportedMedia("no *.png frames in the folder".into()).in_file(dir));
        }
        let mut frames = Vec::with_capacity(paths.len());
        let mut size = None;
        for path in &paths {
            let rgb = image::open(path).map_err(|e| Error::UnsupportedMedia(format!("not a readable PNG: {e}")).in_file(path))?.to_rgb8();
            let dims = (rgb.width() as usize, rgb.height() as usize);
            if *size.get_or_insert(dims) != dims {
                return Err(Error::UnsupportedMedia(format!("frame is {}x{}, the first frame {}x{}", dims.0, dims.1, size.unwrap().0, size.unwrap().1)).in_file(path));
            }
            let mut planes = [Vec::new(), Vec::new(), Vec::new()];
            for px in rgb.pixels() {
                for (plane, v) in planes.iter_mut().zip(rgb_to_ycbcr(px.0)) {
                    plane.push(v);
                }
            }
            frames.push(Frame { planes });
        }
        let (w, h) = size.unwrap_or_default();
        Video::new(w, h, fps, Chroma::Yuv444, frames).map_err(|e| e.in_file(dir))
    }

    /// Writes every frame as `DIR/00001.png`, … (RGB).
    pub fn write_png_dir(&self, dir: &Path) -> Result<()> {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
        for i in 0..self.frames.len() {
            let path = dir.join(format!("{:05}.png", i + 1));
            let img = image::RgbImage::from_raw(self.width as u32, self.height as u32, self.frame_rgb(i)).expect("frame size matches");
            let mut bytes = Vec::new();
            img.write_to(&mut std::io::Cursor::new(&mut bytes), image::ImageFormat::Png).map_err(|e| Error::Model(format!("PNG encoding: {e}")))?;
            crate::fsutil::write_atomic(&path, &bytes, true)?;
        }
        Ok(())
    }

    /// Parses a YUV4MPEG2 stream: 8-bit 4:2:0 (`C420`, `C420jpeg`, `C420paldv`, `C420mpeg2`,
    /// or no `C` tag) or 4:4:4 (`C444`), progressive.
    pub fn from_y4m(bytes: &[u8]) -> Result<Video> {
        let bad = |what: String| Error::UnsupportedMedia(format!("y4m: {what}"));
        let end = bytes.iter().take(MAX_HEADER).position(|&b| b == b'\n').ok_or_else(|| bad("no header line".into()))?;
        let header = std::str::from_utf8(&bytes[..end]).map_err(|_| bad("header is not text".into()))?;
        let mut tokens = header.split(' ');
        if tokens.next() != Some("YUV4MPEG2") {
            return Err(bad("missing the YUV4MPEG2 signature".into()));
        }
        let (mut width, mut height, mut fps, mut chroma) = (0usize, 0usize, (25, 1), Chroma::Yuv420);
        for token in tokens.filter(|t| !t.is_empty()) {
            let (tag, value) = token.split_at(1);
            let number = |v: &str| v.parse::<usize>().map_err(|_| bad(format!("bad value in '{token}'")));
            match tag {
                "W" => width = number(value)?,
                "H" => height = number(value)?,
                "F" => {
                    let (n, d) = value.split_once(':').ok_or_else(|| bad(format!("bad frame rate '{token}'")))?;
                    fps = (number(n)? as u32, number(d)? as u32);
                }
                "C" => {
                    chroma = match value {
                        "420" | "420jpeg" | "420paldv" | "420mpeg2" => Chroma::Yuv420,
                        "444" => Chroma::Yuv444,
                        other => return Err(bad(format!("colour space '{other}' is not supported (8-bit 4:2:0 or 4:4:4 only)"))),
                    }
                }
                "I" if !matches!(value, "p" | "?") => return Err(bad(format!("interlaced video ('{token}') is not supported"))),
                _ => {}
            }
        }
        if width == 0 || height == 0 || width > 16_384 || height > 16_384 {
            return Err(bad(format!("frame size {width}x{height} is missing or out of range (1..16384)")));
        }
        let (cw, ch) = chroma_size(width, height, chroma);
        let sizes = [width * height, cw * ch, cw * ch];
        let mut rest = &bytes[end + 1..];
        let mut frames = Vec::new();
        while !rest.is_empty() {
            let line = rest.iter().take(MAX_HEADER).position(|&b| b == b'\n').ok_or_else(|| bad(format!("frame {} has no FRAME line", frames.len() + 1)))?;
            if !rest.starts_with(b"FRAME") {
                return Err(bad(format!("frame {} does not start with FRAME", frames.len() + 1)));
            }
            rest = &rest[line + 1..];
            if rest.len() < sizes.iter().sum() {
                return Err(bad(format!("frame {} is truncated", frames.len() + 1)));
            }
            let mut planes = [Vec::new(), Vec::new(), Vec::new()];
            for (plane, size) in planes.iter_mut().zip(sizes) {
                let (data, tail) = rest.split_at(size);
                *plane = data.to_vec();
                rest = tail;
            }
            frames.push(Frame { planes });
        }
        Video::new(width, height, fps, chroma, frames)
    }

    /// The clip as a YUV4MPEG2 stream.
    pub fn to_y4m(&self) -> Vec<u8> {
        let c = match self.chroma {
            Chroma::Yuv420 => "420jpeg",
            Chroma::Yuv444 => "444",
        };
        let mut out = format!("YUV4MPEG2 W{} H{} F{}:{} Ip A1:1 C{c}\n", self.width, self.height, self.fps.0, self.fps.1).into_bytes();
        for frame in &self.frames {
            out.extend_from_slice(b"FRAME\n");
            frame.planes.iter().for_each(|p| out.extend_from_slice(p));
        }
        out
    }
}

/// Chroma plane size of a `width`×`height` frame.
pub fn chroma_size(width: usize, height: usize, chroma: Chroma) -> (usize, usize) {
    match chroma {
        Chroma::Yuv420 => (width.div_ceil(2), height.div_ceil(2)),
        Chroma::Yuv444 => (width, height),
    }
}

fn clamp_u8(v: f32) -> u8 {
    v.round().clamp(0.0, 255.0) as u8
}

/// Full-range BT.601 (JPEG) RGB → Y'CbCr.
pub fn rgb_to_ycbcr([r, g, b]: [u8; 3]) -> [u8; 3] {
    let (r, g, b) = (f32::from(r), f32::from(g), f32::from(b));
    [
        clamp_u8(0.299 * r + 0.587 * g + 0.114 * b),
        clamp_u8(128.0 - 0.168_736 * r - 0.331_264 * g + 0.5 * b),
        clamp_u8(128.0 + 0.5 * r - 0.418_688 * g - 0.081_312 * b),
    ]
}

/// Full-range BT.601 (JPEG) Y'CbCr → RGB.
pub fn ycbcr_to_rgb(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let (y, cb, cr) = (f32::from(y), f32::from(cb) - 128.0, f32::from(cr) - 128.0);
    [clamp_u8(y + 1.402 * cr), clamp_u8(y - 0.344_136 * cb - 0.714_136 * cr), clamp_u8(y + 1.772 * cb)]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clip(w: usize, h: usize, chroma: Chroma, n: usize) -> Video {
        let (cw, ch) = chroma_size(w, h, chroma);
        let frames = (0..n)
            .map(|t| Frame { planes: [(0..w * h).map(|i| (i * 7 + t) as u8).collect(), vec![(t * 3) as u8; cw * ch], vec![200; cw * ch]] })
            .collect();
        Video::new(w, h, (30000, 1001), chroma, frames).unwrap()
    }

    #[test]
    fn y4m_round_trips_at_odd_sizes() {
        for chroma in [Chroma::Yuv420, Chroma::Yuv444] {
            let v = clip(5, 3, chroma, 3);
            assert_eq!(Video::from_y4m(&v.to_y4m()).unwrap(), v);
        }
        assert_eq!(chroma_size(5, 3, Chroma::Yuv420), (3, 2));
    }

    #[test]
    fn malformed_y4m_is_refused() {
        let good = clip(4, 4, Chroma::Yuv420, 2).to_y4m();
        let cases: Vec<(Vec<u8>, &str)> = vec![
            (b"".to_vec(), "no header"),
            (b"YUV4MPEG3 W4 H4\n".to_vec(), "signature"),
            (b"YUV4MPEG2 W4 H4 C422\nFRAME\n".to_vec(), "not supported"),
            (b"YUV4MPEG2 W0 H4\n".to_vec(), "frame size"),
            (b"YUV4MPEG2 W4 H4\n".to_vec(), "empty"),
            (good[..good.len() - 1].to_vec(), "truncated"),
            (b"YUV4MPEG2 W4 H4 It\n".to_vec(), "interlaced"),
        ];
        for (bytes, want) in cases {
            let err = Video::from_y4m(&bytes).unwrap_err().to_string();
            assert!(err.contains(want), "{err:?} should mention {want:?}");
        }
    }

    #[test]
    fn colour_conversion_round_trips_closely() {
        for rgb in [[0u8, 0, 0], [255, 255, 255], [255, 0, 0], [12, 200, 99]] {
            let [y, cb, cr] = rgb_to_ycbcr(rgb);
            let back = ycbcr_to_rgb(y, cb, cr);
            assert!(rgb.iter().zip(back).all(|(a, b)| (i32::from(*a) - i32::from(b)).abs() <= 2), "{rgb:?} -> {back:?}");
        }
    }

    #[test]
    fn cropping_keeps_the_top_left() {
        let v = clip(5, 3, Chroma::Yuv420, 2).crop(4, 2).unwrap();
        assert_eq!((v.width(), v.height(), v.chroma_size()), (4, 2, (2, 1)));
        assert_eq!(v.frames()[1].planes[0], vec![1, 8, 15, 22, 36, 43, 50, 57]);
    }

    #[test]
    fn downsampling_chroma_averages_blocks() {
        let v = clip(3, 3, Chroma::Yuv444, 1);
        let mut f = v.frames()[0].clone();
        f.planes[1] = vec![0, 10, 20, 30, 40, 50, 60, 70, 80];
        let v = Video::new(3, 3, (25, 1), Chroma::Yuv444, vec![f]).unwrap().to_420();
        assert_eq!(v.frames()[0].planes[1], vec![20, 35, 65, 80]);
    }
}
