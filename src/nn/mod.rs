//! Neural-network layers generic over the burn backend.

pub mod fixed;
mod gdn;
mod layers;
mod model;
pub mod plain;
pub mod plain2d;
mod store;

pub use gdn::Gdn;
pub use layers::{conv1d, conv1d_down, conv1d_up, conv_down, conv_up};
pub use model::{wrong_architecture, CodecModel, TrainOutput};
pub use store::{load_tensors, number_params, read_tensors, save_tensors, write_tensors, Precision, StoredTensor};

use burn::tensor::backend::Backend;
use burn::tensor::Tensor;

/// A tensor's values as `f32` (copied to the host).
pub fn to_vec<B: Backend, const D: usize>(t: Tensor<B, D>) -> crate::Result<Vec<f32>> {
    t.into_data().convert::<f32>().to_vec().map_err(|e| crate::Error::Model(format!("tensor data: {e:?}")))
}
