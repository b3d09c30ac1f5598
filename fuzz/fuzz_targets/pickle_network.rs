//! Pickle to network to blob, as `converter model` does: `pickle::parse_weights`, then
//! `network::layers_from_arrays`, then `ModelEncoder` with sigmoid hidden layers and a
//! softmax output (the converter's defaults, `converter/src/convert.rs`).
//!
//! Whatever the encoder accepts, the runtime must read back: a blob that `ModelEncoder`
//! writes and `Model::from_bytes` refuses is a bug, and so is a forward pass that fails.
#![no_main]

use converter::network::{self, DenseParams};
use converter::pickle;
use libfuzzer_sys::fuzz_target;
use runtime::{Activation, DenseSpec, Model, ModelEncoder, Params, Runner};

fuzz_target!(|data: &[u8]| {
    let Ok(file) = pickle::parse_weights(data) else {
        return;
    };
    let mut values = 0;
    for (key, array) in &file.arrays {
        assert!(!array.shape.is_empty(), "{key}: 0-d array returned");
        let count = array.shape.iter().try_fold(1usize, |n, &d| n.checked_mul(d));
        assert_eq!(count, Some(array.data.len()), "{key}: shape and data disagree");
        values += array.data.len();
    }
    // Memory stays in proportion to the input (PickleError::TooManyValues otherwise).
    assert!(values <= data.len(), "{values} values from {} bytes", data.len());
    let _ = format!("{:?}", file.ignored);
    let Ok(layers) = network::layers_from_arrays(&file.arrays) else {
        return;
    };
    encode(&layers);
});

fn encode(layers: &[DenseParams]) {
    assert!(!layers.is_empty());
    let last = layers.len() - 1;
    let specs: Vec<DenseSpec<'_>> = layers
        .iter()
        .enumerate()
        .map(|(i, l)| DenseSpec {
            inputs: l.inputs,
            outputs: l.outputs,
            activation: if i == last {
                Activation::Softmax
            } else {
                Activation::Sigmoid
            },
            params: Params::F32 {
                weights: &l.weights,
                bias: &l.bias,
            },
        })
        .collect();
    let Ok(encoder) = ModelEncoder::new(&specs) else {
        return;
    };
    let len = encoder.encoded_len();
    let mut blob = vec![0u128; len.div_ceil(16)];
    let buf: &mut [u8] = bytemuck::cast_slice_mut(&mut blob);
    let written = encoder.emit(buf).expect("emit into encoded_len bytes");
    assert_eq!(written, len);
    // Too small a buffer is an error, not a panic.
    assert!(encoder.emit(&mut [0u8; 15]).is_err());

    let model = Model::from_bytes(&buf[..len]).expect("the runtime reads what the encoder wrote");
    assert_eq!(model.layers().len(), layers.len());
    for (read, params) in model.layers().iter().zip(layers) {
        assert_eq!((read.inputs(), read.outputs()), (params.inputs, params.outputs));
        let expected = Params::F32 {
            weights: &params.weights,
            bias: &params.bias,
        };
        assert_eq!(read.params(), expected);
    }
    if let Ok(mut runner) = Runner::<256>::new(&model) {
        let input: Vec<u8> = (0..model.input_len()).map(|i| (i * 37) as u8).collect();
        let out = runner.forward(&input).expect("input of input_len");
        assert_eq!(out.len(), model.output_len());
    }
}
