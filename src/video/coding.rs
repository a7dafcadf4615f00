//! A fitted group of frames ⇄ its record in the `VGOP` chunk.
//!
//! Record (little-endian): frames u16; weight exponent `e_w` u8 and bias exponent `e_b` u8 (a
//! weight is `q · 2^−e_w`, a bias `q · 2^−e_b`); then
//! - with a context model ([`super::context`]): one exponent u8 per context-model layer; a
//!   Gaussian table index u8 for the weights and one for the biases of each context-model layer,
//!   then of each synthesis layer; the length u32 of the range-coded bytes, then those bytes: the
//!   context model's and the synthesis's weights (`[inputs, outputs]` row-major) and biases, layer
//!   by layer, then every latent level (frame, row, column order), each value coded as its
//!   difference to the context model's rounded mean with the table of its predicted scale;
//! - without one (files made before it): one table index u8 per latent level, then per
//!   synthesis layer one for its weights and one for its biases; the length u32 of the
//!   range-coded bytes, then those bytes: every latent level, then the synthesis layers.
//!
//! All of it integers: the decoder computes nothing from floats before the symbols are known.

use std::collections::HashMap;

use super::context::{self, IntContextModel};
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
    /// Shape `[frames, height, width]` of each latent level.
    pub shapes: Vec<[usize; 3]>,
    /// Rounded latent grids, finest first.
    pub latents: Vec<Vec<i32>>,
    /// The context model that codes the latents, if the configuration has one.
    pub context: Option<IntContextModel>,
    /// Per synthesis layer: integer weights and integer biases.
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

    /// The weight and bias tensors in stream order: the context model's, then the synthesis's.
    fn weight_tensors(&self) -> Vec<&[i32]> {
        let context = self.context.iter().flat_map(|c| c.layers()).flat_map(|l| [l.weight(), l.bias()]);
        context.chain(self.layers.iter().flat_map(|(w, b)| [w.as_slice(), b.as_slice()])).collect()
    }

    /// The tensors coded each with one table chosen by the encoder, in stream order.
    fn tabled_tensors(&self) -> Vec<&[i32]> {
        match self.context {
            Some(_) => self.weight_tensors(),
            None => self.latents.iter().map(Vec::as_slice).chain(self.weight_tensors()).collect(),
        }
    }

    /// Estimated size in bits of the latents (with their context model or per-level tables).
    pub fn latent_bits(&self, tables: &TableSet) -> f64 {
        match &self.context {
            Some(c) => self.latents.iter().zip(&self.shapes).map(|(l, &s)| c.bits(l, s, tables)).sum(),
            None => coded_bits(self.latents.iter().map(Vec::as_slice), tables),
        }
    }

    /// The record bytes.
    pub fn write(&self, tables: &TableSet) -> Result<Vec<u8>> {
        let tensors = self.tabled_tensors();
        let choice: Vec<u8> = tensors.iter().map(|t| best_table(t, tables).0).collect();
        let tabled = tensors.iter().zip(&choice).flat_map(|(t, &k)| t.iter().map(move |&v| (v, u32::from(k))));
        let coded = match &self.context {
            Some(c) => {
                let latents = self.latents.iter().zip(&self.shapes).flat_map(|(l, &s)| c.symbols(l, s));
                entropy::encode_pairs(tabled.chain(latents), tables)?
            }
            None => entropy::encode_pairs(tabled, tables)?,
        };
        let mut out = Vec::with_capacity(coded.len() + 16 + choice.len());
        out.extend_from_slice(&(self.frames as u16).to_le_bytes());
        out.extend_from_slice(&[self.e_w, self.e_b]);
        out.extend(self.context.iter().flat_map(|c| c.layers()).map(|l| l.exponent()));
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
        let context_shapes = config.context.as_deref().map(context::layer_shapes).unwrap_or_default();
        let exponents = r.take(context_shapes.len(), "video context model exponents")?.to_vec();
        let latent_sizes: Vec<usize> = shapes.iter().map(|s| s.iter().product()).collect();
        let weight_sizes: Vec<usize> = context_shapes.iter().chain(&config.layer_shapes()).flat_map(|&(i, o)| [i * o, o]).collect();
        let tabled_sizes: Vec<usize> = match config.context {
            Some(_) => weight_sizes.clone(),
            None => latent_sizes.iter().chain(&weight_sizes).copied().collect(),
        };
        let choice = r.take(tabled_sizes.len(), "video table indexes")?;
        if let Some(&k) = choice.iter().find(|&&k| usize::from(k) >= tables.len()) {
            return Err(Error::Malformed(format!("video table index {k} (the model has {} tables)", tables.len())));
        }
        let len = r.u32("video group data length")? as usize;
        let data = r.take(len, "video group data")?;
        let mut reader = entropy::SymbolReader::new(data, tables)?;
        let mut tabled = tabled_sizes.iter().zip(choice).map(|(&n, &k)| (0..n).map(|_| reader.read(u32::from(k))).collect::<Result<Vec<i32>>>());
        let mut next = || tabled.next().expect("one size per tensor");
        let mut latents = Vec::new();
        if config.context.is_none() {
            latents = latent_sizes.iter().map(|_| next()).collect::<Result<_>>()?;
        }
        let context = context_shapes
            .iter()
            .zip(&exponents)
            .map(|(&(i, o), &e)| crate::nn::fixed::IntLinear::from_parts(i, o, e, next()?, next()?))
            .collect::<Result<Vec<_>>>()?;
        let layers = config.layer_shapes().iter().map(|_| Ok((next()?, next()?))).collect::<Result<Vec<_>>>()?;
        drop(tabled);
        let context = match config.context {
            Some(_) => {
                let model = IntContextModel::new(context)?;
                latents = shapes.iter().map(|&s| model.read_level(&mut reader, s)).collect::<Result<_>>()?;
                Some(model)
            }
            None => None,
        };
        Ok((Quantized { frames, e_w, e_b, shapes, latents, context, layers }, geometry))
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
    use crate::nn::fixed::IntLinear;

    /// A configuration, geometry and record, with or without a context model.
    fn setup(with_context: bool) -> (NetConfig, Geometry, Quantized, TableSet) {
        let context = with_context.then(|| vec![3]);
        let config = NetConfig { temporal: vec![0, 1], hidden: vec![4], gop: 4, context };
        let geometry = Geometry { frames: 3, width: 5, height: 3, chroma: Chroma::Yuv420 };
        let shapes = geometry.level_shapes(&config);
        let latents = shapes.iter().map(|s| (0..s.iter().product::<usize>()).map(|i| (i as i32 % 7) - 3).collect()).collect();
        let layers = config.layer_shapes().iter().map(|&(i, o)| ((0..i * o).map(|v| v as i32 * 37 - 100).collect(), vec![1000; o])).collect();
        let context = with_context.then(|| {
            let layer = |i: usize, o: usize, e: u8| IntLinear::from_parts(i, o, e, (0..i * o).map(|v| (v as i32 % 9) - 4).collect(), vec![-20; o]).unwrap();
            IntContextModel::new(vec![layer(context::CONTEXT, 3, 5), layer(3, 2, 4)]).unwrap()
        });
        let q = Quantized { frames: 3, e_w: 7, e_b: 12, shapes, latents, context, layers };
        (config, geometry, q, crate::latent::gaussian::build_tables().unwrap())
    }

    #[test]
    fn records_round_trip() {
        for with_context in [false, true] {
            let (config, geometry, q, tables) = setup(with_context);
            let bytes = q.write(&tables).unwrap();
            let mut r = Reader::new(&bytes);
            let (back, g) = Quantized::read(&mut r, &config, Geometry { frames: 4, ..geometry }, &tables).unwrap();
            assert_eq!((back, g, r.remaining()), (q.clone(), geometry, 0));
            let estimate = q.latent_bits(&tables) + coded_bits(q.weight_tensors(), &tables);
            assert!(estimate <= (bytes.len() * 8) as f64, "{estimate} bits estimated, {} written", bytes.len() * 8);
            let synthesis = q.decoded(&config, geometry).synthesis;
            assert_eq!(synthesis.layers[0].weight[1], (37.0 - 100.0) / 128.0);
            assert_eq!(synthesis.layers[0].bias[0], 1000.0 / 4096.0);
        }
    }

    #[test]
    fn bad_records_are_refused() {
        for with_context in [false, true] {
            let (config, geometry, q, tables) = setup(with_context);
            let bytes = q.write(&tables).unwrap();
            let read = |b: &[u8]| Quantized::read(&mut Reader::new(b), &config, geometry, &tables).map(|_| ()).unwrap_err().to_string();
            assert!(read(&bytes[..bytes.len() - 1]).contains("video group data"));
            let mut too_many = bytes.clone();
            too_many[0] = 9;
            assert!(read(&too_many).contains("9 frames"));
            let mut exponent = bytes.clone();
            exponent[2] = 99;
            assert!(read(&exponent).contains("exponents"));
            // Table indexes follow the context model's two exponents.
            let first_table = if with_context { 6 } else { 4 };
            let mut table = bytes.clone();
            table[first_table] = 200;
            assert!(read(&table).contains("table index 200"));
            if with_context {
                let mut exponent = bytes;
                exponent[4] = 99;
                assert!(read(&exponent).contains("exponent 99"), "{}", read(&exponent));
            }
        }
    }

    #[test]
    fn quantized_weights_are_steps_of_two_powers() {
        let synthesis = Synthesis { layers: vec![Layer { inputs: 1, outputs: 2, weight: vec![0.30, -0.26], bias: vec![0.5, 0.01] }] };
        let q = quantize_synthesis(&synthesis, 3, 4);
        assert_eq!(q, vec![(vec![2, -2], vec![8, 0])]);
    }
}
