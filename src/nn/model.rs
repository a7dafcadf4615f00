//! What the training loop needs of a learned transform-coding model, whatever its medium.

use burn::module::Module;
use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

use crate::codec::{Architecture, ModelFile, ModelMeta, TrainingRecord};
use crate::entropy::TableSet;
use crate::{Error, Result};

use super::save_tensors;

/// What one training forward pass yields.
pub struct TrainOutput<B: Backend> {
    /// Reconstruction, the shape of the input.
    pub x_hat: Tensor<B, 4>,
    /// Total estimated bits of the batch's latents.
    pub bits: Tensor<B, 1>,
}

/// A trainable model: its forward pass in training, its auxiliary loss, its model file.
pub trait CodecModel<B: Backend>: Module<B> {
    /// A fresh model of this architecture (an error for another model kind's architecture).
    fn build(architecture: Architecture, device: &B::Device) -> Result<Self>;
    /// Whether the model codes every rate (gain vectors, one per trained λ) rather than the one
    /// λ it was trained for.
    fn variable_rate(&self) -> bool;
    /// One training forward pass at a quality (ignored by fixed-rate models).
    fn forward_train(&self, x: Tensor<B, 4>, quality: f32) -> TrainOutput<B>;
    /// Auxiliary loss (entropy-bottleneck quantiles).
    fn aux_loss(&self) -> Tensor<B, 1>;
    /// The integer entropy tables the model file stores for coding.
    fn export_tables(&self) -> Result<TableSet>;

    /// Serializes the model as a model file: metadata, integer tables, weights.
    fn to_model_file(&self, architecture: Architecture, lambda: f64, training: TrainingRecord) -> Result<Vec<u8>> {
        let meta = ModelMeta { architecture, lambda, training };
        ModelFile::to_bytes(&meta, &self.export_tables()?, &save_tensors(self))
    }
}

/// The error for building a model from another model's architecture.
pub fn wrong_architecture(expected: &str, got: Architecture) -> Error {
    Error::Model(format!("a {expected} model cannot be built from {got:?}"))
}
