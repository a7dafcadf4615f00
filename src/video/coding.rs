//! A fitted group of frames ⇄ its record in the `VGOP` chunk.
//!
//! Record (little-endian): frames u16; weight exponent `e_w` u8 and bias exponent `e_b` u8 (a
//! weight is `q · 2^−e_w`, a bias `q · 2^−e_b`); one Gaussian table index u8 per latent level;
//! per synthesis layer a table index u8 for its weights and one for its biases; the length u32
//! of the range-coded bytes, then those bytes: every latent level (rounded values, frame, row,
//! column order), then per layer its weights (`[inputs, outputs]` row-major) and its biases.
//! All of it integers: the decoder computes nothing from floats before the symbols are known.

use std::collections::HashMap;

use super::network::{Decoded, Geometry, Layer, NetConfig, Synthesis};
use crate::container::Reader;
use crate::entropy::{self, TableSet};
use crate::{Error, Result};

/// Largest quantization exponent of weights and biases.
pub const MAX_EXPONENT: u8 = 24;

/// The integers of a quantized group, before entropy coding.
#[derive(Clone, Debug, PartialEq)]
pub struct Quantized {
    /// Frames of the group.
    pub frames: usize,
    /// Weight exponent.
    pub e_w: u8,
    /// Bias exponent.
    pub e_b: u8,
    /// Rounded latent grids, finest first.
    pub latents: Vec<Vec<i32>>,
    /// Per layer: integer weights and integer biases.
    pub layers: Vec<(Vec<i32>, Vec<i32>)>,
}

/// Rounds latents to integers.
pub fn quantize_latents(latents: &[Vec<f32>]) -> Vec<Vec<i32>> {
    latents.iter().map(|g| g.iter().map(|&v| v.round().clamp(-1e6, 1e6) as i32).collect()).collect()
}

/// Quantizes the synthesis with steps `2^−e_w` (weights) and `2^−e_b` (biases).
pub fn quantize_synthesis(synthesis: &Synthesis, e_w: u8, e_b: u8) -> Vec<(Vec<i32>, Vec<i32>)> {
    let q = |v: &[f32], e: u8| v.iter().map(|&x| (f64::from(x) * f64::from(1u32 << e)).round().clamp(-1e9, 1e9) as i32).collect();
    synthesis.layers.iter().map(|l| (q(&l.weight, e_w), q(&l.bias, e_b))).collect()
}

/// The synthesis the decoder rebuilds from the integers.
pub fn dequantize_synthesis(config: &NetConfig, layers: &[(Vec<i32>, Vec<i32>)], e_w: u8, e_b: u8) -> Synthesis {
    let d = |v: &[i32], e: u8| v.iter().map(|&q| (f64::from(q) / f64::from(1u32 << e)) as f32).collect();
    let layers = config
        .layer_shapes()
        .into_iter()
        .zip(layers)
        .map(|((inputs, outputs), (w, b))| Layer { inputs, outputs, weight: d(w, e_w), bias: d(b, e_b) })
        .collect();
    Synthesis { layers }
}

impl Quantized {
    /// The decoder's view of these integers.
    pub fn decoded(&self, config: &NetConfig, geometry: Geometry) -> Decoded {
        Decoded {
            config: config.clone(),
            geometry,
            latents: self.latents.iter().map(|g| g.iter().map(|&v| v as f32).collect()).collect(),
            synthesis: dequantize_synthesis(config, &self.layers, self.e_w, self.e_b),
        }
    }

    /// Every coded tensor in stream order: latent levels, then each layer's weights and biases.
    fn tensors(&self) -> Vec<&[i32]> {
        self.latents.iter().map(Vec::as_slice).chain(self.layers.iter().flat_map(|(w, b)| [w.as_slice(), b.as_slice()])).collect()
    }

    /// The record bytes and the size in bits of the coded symbols (tables chosen per tensor).
    pub fn write(&self, tables: &TableSet) -> Result<Vec<u8>> {
        let tensors = self.tensors();
        let choice: Vec<u8> = tensors.iter().map(|t| best_table(t, tables).0).collect();
        let values: Vec<i32> = tensors.iter().flat_map(|t| t.iter().copied()).collect();
        let indexes: Vec<u32> = tensors.iter().zip(&choice).flat_map(|(t, &k)| std::iter::repeat_n(u32::from(k), t.len())).collect();
        let coded = entropy::encode(&values, &indexes, tables)?;
        let mut out = Vec::with_capacity(coded.len() + 16 + choice.len());
        out.extend_from_slice(&(self.frames as u16).to_le_bytes());
        out.extend_from_slice(&[self.e_w, self.e_b]);
        out.extend_from_slice(&choice);
        out.extend_from_slice(&(coded.len() as u32).to_le_bytes());
        out.extend_from_slice(&coded);
        Ok(out)
    }

    /// Reads one record: `geometry` gives the frame size (its frame count is the record's).
    pub(crate) fn read(r: &mut Reader<'_>, config: &NetConfig, geometry: Geometry, tables: &TableSet) -> Result<(Quantized, Geometry)> {
        let frames = usize::from(r.u16("video group frame count")?);
        if frames == 0 || frames > config.gop {
            return Err(Error::Malformed(format!("video group of {frames} frames (1..={})", config.gop)));
        }
        let geometry = Geometry { frames, ..geometry };
        let (e_w, e_b) = (r.u8("weight exponent")?, r.u8("bias exponent")?);
        if e_w > MAX_EXPONENT || e_b > MAX_EXPONENT {
            return Err(Error::Malformed(format!("quantization exponents {e_w}, {e_b} (at most {MAX_EXPONENT})")));
        }
        geometry.latent_count(config)?;
        let shapes = geometry.level_shapes(config);
        let sizes: Vec<usize> = shapes
            .iter()
            .map(|s| s.iter().product())
            .chain(config.layer_shapes().into_iter().flat_map(|(i, o)| [i * o, o]))
            .collect();
        let choice = r.take(sizes.len(), "video table indexes")?;
        if let Some(&k) = choice.iter().find(|&&k| usize::from(k) >= tables.len()) {
            return Err(Error::Malformed(format!("video table index {k} (the model has {} tables)", tables.len())));
        }
        let len = r.u32("video group data length")? as usize;
        let data = r.take(len, "video group data")?;
        let indexes: Vec<u32> = sizes.iter().zip(choice).flat_map(|(&n, &k)| std::iter::repeat_n(u32::from(k), n)).collect();
        let values = entropy::decode(data, &indexes, tables)?;
        let mut rest = values.as_slice();
        let mut take = |n: usize| {
            let (head, tail) = rest.split_at(n);
            rest = tail;
            head.to_vec()
        };
        let latents = sizes[..shapes.len()].iter().map(|&n| take(n)).collect();
        let layers = config.layer_shapes().into_iter().map(|(i, o)| (take(i * o), take(o))).collect();
        Ok((Quantized { frames, e_w, e_b, latents, layers }, geometry))
    }
}

/// Estimated size in bits of `tensors`, each coded with its best table.
pub fn coded_bits<'a>(tensors: impl IntoIterator<Item = &'a [i32]>, tables: &TableSet) -> f64 {
    tensors.into_iter().map(|t| best_table(t, tables).1).sum()
}

/// The table that codes `values` in the fewest bits, and that size.
pub fn best_table(values: &[i32], tables: &TableSet) -> (u8, f64) {
    let mut histogram: HashMap<i32, u64> = HashMap::new();
    values.iter().for_each(|&v| *histogram.entry(v).or_default() += 1);
    (0..tables.len().min(256))
        .map(|k| {
            let t = &tables.tables()[k];
            (k as u8, histogram.iter().map(|(&v, &n)| n as f64 * t.cost_bits(v)).sum::<f64>())
        })
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .unwrap_or((0, 0.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::container::Chroma;

    fn setup() -> (NetConfig, Geometry, Quantized, TableSet) {
        let config = NetConfig { temporal: vec![0, 1], hidden: vec![4], gop: 4 };
        let geometry = Geometry { frames: 3, width: 5, height: 3, chroma: Chroma::Yuv420 };
        let latents = geometry.level_shapes(&config).iter().map(|s| (0..s.iter().product::<usize>()).map(|i| (i as i32 % 7) - 3).collect()).collect();
        let layers = config.layer_shapes().iter().map(|&(i, o)| ((0..i * o).map(|v| v as i32 * 37 - 100).collect(), vec![1000; o])).collect();
        let q = Quantized { frames: 3, e_w: 7, e_b: 12, latents, layers };
        (config, geometry, q, crate::latent::gaussian::build_tables().unwrap())
    }

    #[test]
    fn records_round_trip() {
        let (config, geometry, q, tables) = setup();
        let bytes = q.write(&tables).unwrap();
        let mut r = Reader::new(&bytes);
        let (back, g) = Quantized::read(&mut r, &config, Geometry { frames: 4, ..geometry }, &tables).unwrap();
        assert_eq!((back, g, r.remaining()), (q.clone(), geometry, 0));
        assert!(coded_bits(q.tensors(), &tables) <= (bytes.len() * 8) as f64);
        let synthesis = q.decoded(&config, geometry).synthesis;
        assert_eq!(synthesis.layers[0].weight[1], (37.0 - 100.0) / 128.0);
        assert_eq!(synthesis.layers[0].bias[0], 1000.0 / 4096.0);
    }

    #[test]
    fn bad_records_are_refused() {
        let (config, geometry, q, tables) = setup();
        let bytes = q.write(&tables).unwrap();
        let read = |b: &[u8]| Quantized::read(&mut Reader::new(b), &config, geometry, &tables).map(|_| ()).unwrap_err().to_string();
        assert!(read(&bytes[..bytes.len() - 1]).contains("video group data"));
        let mut too_many = bytes.clone();
        too_many[0] = 9;
        assert!(read(&too_many).contains("9 frames"));
        let mut exponent = bytes.clone();
        exponent[2] = 99;
        assert!(read(&exponent).contains("exponents"));
        let mut table = bytes;
        table[4] = 200;
        assert!(read(&table).contains("table index 200"));
    }

    #[test]
    fn quantized_weights_are_steps_of_two_powers() {
        let synthesis = Synthesis { layers: vec![Layer { inputs: 1, outputs: 2, weight: vec![0.30, -0.26], bias: vec![0.5, 0.01] }] };
        let q = quantize_synthesis(&synthesis, 3, 4);
        assert_eq!(q, vec![(vec![2, -2], vec![8, 0])]);
    }
}
