//! The autoregressive entropy model of the video latents (C3's "ARM"): each latent value is
//! coded with a Gaussian whose mean and scale a small fixed-point MLP predicts from values
//! decoded before it — the 12 causal neighbours in a 5×5 window of its own grid frame and the
//! 3×3 around it in the level's previous grid frame (zero outside the grid and before the first
//! frame). One model per group of frames, shared by its levels, fitted with the rest of the
//! representation; its integer weights travel in the group's record.
//!
//! Training ([`ContextModel`]) runs the fake-quantized twin of the integer MLP
//! ([`IntContextModel`]) that both encoder and decoder run, so the decoder chooses every table
//! from integers only.

use burn::module::Module;
use burn::nn::{Initializer, Linear, LinearConfig};
use burn::tensor::activation::relu;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;
use rayon::prelude::*;

use crate::entropy::{SymbolReader, TableSet};
use crate::latent::gaussian::{likelihood, scale_index};
use crate::nn::fixed::{fake_quant_act, fake_quant_params, IntLinear, ACT_FRAC_BITS, ACT_MAX, ACT_MIN, ACT_SCALE};
use crate::{Error, Result};

/// Values in a context.
pub const CONTEXT: usize = 21;

/// `(previous frame?, dy, dx)` of each context value, in context order.
pub const OFFSETS: [(bool, isize, isize); CONTEXT] = [
    (false, -2, -2),
    (false, -2, -1),
    (false, -2, 0),
    (false, -2, 1),
    (false, -2, 2),
    (false, -1, -2),
    (false, -1, -1),
    (false, -1, 0),
    (false, -1, 1),
    (false, -1, 2),
    (false, 0, -2),
    (false, 0, -1),
    (true, -1, -1),
    (true, -1, 0),
    (true, -1, 1),
    (true, 0, -1),
    (true, 0, 0),
    (true, 0, 1),
    (true, 1, -1),
    (true, 1, 0),
    (true, 1, 1),
];

/// `(inputs, outputs)` of each layer of a context model with hidden widths `hidden`.
pub fn layer_shapes(hidden: &[usize]) -> Vec<(usize, usize)> {
    let widths: Vec<usize> = std::iter::once(CONTEXT).chain(hidden.iter().copied()).chain([2]).collect();
    widths.windows(2).map(|w| (w[0], w[1])).collect()
}

/// The differentiable context model: fully connected layers with ReLU between them, mapping a
/// context to a mean and a log-scale (activation format).
#[derive(Module, Debug)]
pub struct ContextModel<B: Backend> {
    layers: Vec<Linear<B>>,
}

impl<B: Backend> ContextModel<B> {
    /// A new model with hidden widths `hidden`; its output layer starts at zero (mean 0, scale 1).
    pub fn new(hidden: &[usize], device: &B::Device) -> Self {
        let shapes = layer_shapes(hidden);
        let last = shapes.len() - 1;
        let layers = shapes
            .into_iter()
            .enumerate()
            .map(|(i, (inputs, outputs))| {
                let config = LinearConfig::new(inputs, outputs);
                if i < last { config } else { config.with_initializer(Initializer::Zeros) }.init(device)
            })
            .collect();
        Self { layers }
    }

    /// Estimated bits of the grid frames `q` `[n, h, w]` (noisy or rounded latents), whose
    /// rounded values are `rounded` and whose previous grid frames (rounded) are `prev` (zeros
    /// before the first).
    pub fn bits(&self, q: Tensor<B, 3>, rounded: Tensor<B, 3>, prev: Tensor<B, 3>) -> Tensor<B, 1> {
        let [n, h, w] = q.dims();
        let count = n * h * w;
        let params = self.params(rounded, prev);
        // The coder uses the mean rounded to an integer (half up); so does the estimate
        // (straight-through).
        let mean = params.clone().slice([0..1, 0..count]).reshape([count]);
        let mean = mean.clone() + (mean.clone().add_scalar(0.5).floor() - mean).detach();
        let log_scale = params.slice([1..2, 0..count]).reshape([count]);
        likelihood(q.reshape([count]), mean, log_scale).log().sum().div_scalar(-std::f64::consts::LN_2)
    }

    /// The mean and log-scale `[2, n·h·w]` (activation format) that the integer model predicts
    /// for every value of the grid frames `rounded` `[n, h, w]` with previous frames `prev`.
    /// Values run along the second dimension throughout (the contexts are `[CONTEXT, n·h·w]`
    /// and each layer left-multiplies by its transposed weight), which keeps every copy
    /// contiguous: gathered as `[n·h·w, CONTEXT]`, the contexts made the context model two
    /// thirds of the CPU fitting time.
    fn params(&self, rounded: Tensor<B, 3>, prev: Tensor<B, 3>) -> Tensor<B, 2> {
        let mut x = contexts(rounded, prev);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            let (weight, bias) = fake_quant_params(layer.weight.val(), layer.bias.as_ref().map(|b| b.val()));
            let y = weight.transpose().matmul(x);
            x = fake_quant_act(match bias {
                Some(b) => y + b.unsqueeze_dim(1),
                None => y,
            });
            if i < last {
                x = relu(x);
            }
        }
        x
    }

    /// The integer model that codes.
    pub fn quantize(&self) -> Result<IntContextModel> {
        IntContextModel::new(self.layers.iter().map(IntLinear::from_linear).collect::<Result<_>>()?)
    }
}

/// The contexts `[CONTEXT, n·h·w]` (activation format) of every value of `q` `[n, h, w]` with
/// previous frames `prev`, both holding integers.
fn contexts<B: Backend>(q: Tensor<B, 3>, prev: Tensor<B, 3>) -> Tensor<B, 2> {
    let [n, h, w] = q.dims();
    let (lo, hi) = (f64::from(ACT_MIN) / ACT_SCALE, f64::from(ACT_MAX) / ACT_SCALE);
    let pad = |x: Tensor<B, 3>| {
        let device = x.device();
        let x = Tensor::cat(vec![Tensor::zeros([n, 2, w], &device), x.clamp(lo, hi), Tensor::zeros([n, 2, w], &device)], 1);
        Tensor::cat(vec![Tensor::zeros([n, h + 4, 2], &device), x, Tensor::zeros([n, h + 4, 2], &device)], 2)
    };
    let (q, prev) = (pad(q), pad(prev));
    let rows = OFFSETS
        .iter()
        .map(|&(previous, dy, dx)| {
            let source = if previous { &prev } else { &q };
            let (y, x) = ((2 + dy) as usize, (2 + dx) as usize);
            source.clone().slice([0..n, y..y + h, x..x + w]).reshape([1, n * h * w])
        })
        .collect();
    Tensor::cat(rows, 0)
}

/// The integer context model: what encoder and decoder run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IntContextModel {
    layers: Vec<IntLinear>,
}

impl IntContextModel {
    /// A model from its layers; [`Error::Malformed`] unless they chain from [`CONTEXT`] inputs to 2 outputs.
    pub fn new(layers: Vec<IntLinear>) -> Result<Self> {
        let shapes: Vec<(usize, usize)> = layers.iter().map(IntLinear::shape).collect();
        let chained = shapes.windows(2).all(|p| p[0].1 == p[1].0);
        if shapes.first().map(|s| s.0) != Some(CONTEXT) || shapes.last().map(|s| s.1) != Some(2) || !chained {
            return Err(Error::Malformed(format!("context model layers {shapes:?} do not map {CONTEXT} inputs to 2 outputs")));
        }
        Ok(Self { layers })
    }

    /// The layers.
    pub fn layers(&self) -> &[IntLinear] {
        &self.layers
    }

    /// The rounded mean and the table index of a value with context `context` (activation format).
    fn predict(&self, context: &[i32; CONTEXT], scratch: &mut [Vec<i32>; 2]) -> (i32, u32) {
        let [a, b] = scratch;
        a.clear();
        a.extend_from_slice(context);
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            b.resize(layer.shape().1, 0);
            layer.forward(a, b);
            if i < last {
                b.iter_mut().for_each(|v| *v = (*v).max(0));
            }
            std::mem::swap(a, b);
        }
        let half = 1 << (ACT_FRAC_BITS - 1);
        ((a[0] + half) >> ACT_FRAC_BITS, scale_index(a[1]))
    }

    /// Symbol (value − mean) and table index of every value of a level `[t, h, w]`, in coding order.
    pub fn symbols(&self, level: &[i32], [t, h, w]: [usize; 3]) -> Vec<(i32, u32)> {
        let plane = h * w;
        (0..t)
            .into_par_iter()
            .flat_map_iter(|f| {
                let cur = &level[f * plane..(f + 1) * plane];
                let prev = (f > 0).then(|| &level[(f - 1) * plane..f * plane]);
                let mut scratch = [Vec::new(), Vec::new()];
                (0..plane)
                    .map(|i| {
                        let (mean, index) = self.predict(&context_at(cur, prev, h, w, i), &mut scratch);
                        (cur[i].wrapping_sub(mean), index)
                    })
                    .collect::<Vec<_>>()
            })
            .collect()
    }

    /// Estimated size in bits of a level under this model.
    pub fn bits(&self, level: &[i32], shape: [usize; 3], tables: &TableSet) -> f64 {
        self.symbols(level, shape).iter().map(|&(s, k)| tables.tables()[k as usize].cost_bits(s)).sum()
    }

    /// Decodes a level `[t, h, w]` from `reader`, value by value.
    pub fn read_level(&self, reader: &mut SymbolReader<'_>, [t, h, w]: [usize; 3]) -> Result<Vec<i32>> {
        let plane = h * w;
        let mut level = vec![0i32; t * plane];
        let mut scratch = [Vec::new(), Vec::new()];
        for f in 0..t {
            let (before, rest) = level.split_at_mut(f * plane);
            let prev = (f > 0).then(|| &before[(f - 1) * plane..]);
            let cur = &mut rest[..plane];
            for i in 0..plane {
                let (mean, index) = self.predict(&context_at(cur, prev, h, w, i), &mut scratch);
                let symbol = reader.read(index)?;
                cur[i] = symbol.checked_add(mean).ok_or_else(|| Error::Malformed("video latent value does not fit in i32".into()))?;
            }
        }
        Ok(level)
    }
}

/// The context (activation format) of value `i` of grid frame `cur` (`h × w`), whose previous
/// grid frame is `prev`; only values before `i` in `cur` are read.
fn context_at(cur: &[i32], prev: Option<&[i32]>, h: usize, w: usize, i: usize) -> [i32; CONTEXT] {
    let (y, x) = ((i / w) as isize, (i % w) as isize);
    std::array::from_fn(|k| {
        let (previous, dy, dx) = OFFSETS[k];
        let (yy, xx) = (y + dy, x + dx);
        let source = if previous { prev } else { Some(cur) };
        match source {
            Some(s) if (0..h as isize).contains(&yy) && (0..w as isize).contains(&xx) => {
                (i64::from(s[yy as usize * w + xx as usize]) << ACT_FRAC_BITS).clamp(ACT_MIN.into(), ACT_MAX.into()) as i32
            }
            _ => 0,
        }
    })
}

#[cfg(test)]
mod tests {
    use burn::tensor::{Distribution, TensorData};

    use super::*;
    use crate::codec::Cpu;

    #[test]
    fn contexts_are_causal() {
        for &(previous, dy, dx) in &OFFSETS {
            assert!(previous || dy < 0 || (dy == 0 && dx < 0), "({previous}, {dy}, {dx}) is not decoded yet");
        }
    }

    /// A model with random (non-zero) output layer, so that predictions vary.
    fn model(device: &burn::tensor::Device<Cpu>) -> ContextModel<Cpu> {
        let mut m = ContextModel::<Cpu>::new(&[8], device);
        m.layers[1] = LinearConfig::new(8, 2).init(device);
        m
    }

    /// The training model predicts exactly the integer model's means and tables (contexts
    /// clamped to the activation range included), and the integer model's symbols decode back.
    #[test]
    fn training_predictions_match_the_integer_model_and_levels_round_trip() {
        let device = Default::default();
        let (t, h, w) = (3, 5, 7);
        let mut level: Vec<i32> =
            Tensor::<Cpu, 3>::random([t, h, w], Distribution::Uniform(-6.0, 6.0), &device).round().into_data().to_vec::<f32>().unwrap().iter().map(|&v| v as i32).collect();
        (level[9], level[40], level[41]) = (300, -500, 200);
        let q = Tensor::<Cpu, 3>::from_data(TensorData::new(level.iter().map(|&v| v as f32).collect::<Vec<_>>(), [t, h, w]), &device);
        let prev = Tensor::cat(vec![Tensor::zeros([1, h, w], &device), q.clone().slice([0..t - 1, 0..h, 0..w])], 0);
        let model = model(&device);
        let params: Vec<f32> = model.params(q, prev).into_data().to_vec().unwrap();
        let int = model.quantize().unwrap();
        let mut scratch = [Vec::new(), Vec::new()];
        for f in 0..t {
            let cur = &level[f * h * w..(f + 1) * h * w];
            let p = (f > 0).then(|| &level[(f - 1) * h * w..f * h * w]);
            for i in 0..h * w {
                let at = |c: usize| (params[(c * t + f) * h * w + i] * 16.0) as i32;
                let want = int.predict(&context_at(cur, p, h, w, i), &mut scratch);
                assert_eq!(((at(0) + 8) >> 4, scale_index(at(1))), want, "frame {f} value {i}");
            }
        }
        let symbols = int.symbols(&level, [t, h, w]);
        assert!(symbols.iter().any(|&(_, k)| k != symbols[0].1), "the model predicts one table everywhere");
        let tables = crate::latent::gaussian::build_tables().unwrap();
        let bytes = crate::entropy::encode_pairs(symbols.iter().copied(), &tables).unwrap();
        let mut reader = SymbolReader::new(&bytes, &tables).unwrap();
        assert_eq!(int.read_level(&mut reader, [t, h, w]).unwrap(), level);
    }

    /// The training rate estimate follows the integer model's real cost.
    #[test]
    fn estimated_bits_follow_the_integer_model() {
        let device = Default::default();
        let (t, h, w) = (2, 16, 16);
        // A smooth level, so that the context predicts well.
        let level: Vec<i32> = (0..t * h * w).map(|i| ((i % w) as i32 / 3) - ((i / w % h) as i32 / 4)).collect();
        let q = Tensor::<Cpu, 3>::from_data(TensorData::new(level.iter().map(|&v| v as f32).collect::<Vec<_>>(), [t, h, w]), &device);
        let prev = Tensor::cat(vec![Tensor::zeros([1, h, w], &device), q.clone().slice([0..1, 0..h, 0..w])], 0);
        let m = model(&device);
        let estimate: f32 = m.bits(q.clone(), q, prev).into_scalar();
        let tables = crate::latent::gaussian::build_tables().unwrap();
        let real = m.quantize().unwrap().bits(&level, [t, h, w], &tables);
        assert!((f64::from(estimate) - real).abs() < 0.15 * real + 20.0, "estimate {estimate} vs {real} bits");
    }

    #[test]
    fn bad_layer_chains_are_refused() {
        let l = |i: usize, o: usize| IntLinear::from_parts(i, o, 4, vec![1; i * o], vec![0; o]).unwrap();
        assert!(IntContextModel::new(vec![l(CONTEXT, 4), l(4, 2)]).is_ok());
        assert!(IntContextModel::new(vec![l(CONTEXT, 4), l(5, 2)]).is_err());
        assert!(IntContextModel::new(vec![l(20, 2)]).is_err());
        assert!(IntContextModel::new(vec![l(CONTEXT, 3)]).is_err());
        assert!(IntContextModel::new(vec![]).is_err());
    }
}
