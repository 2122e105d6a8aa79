// RUN: tflx-opt %S/decompose-dynamic-tensor-lists.mlir -split-input-file -tfl-lower-static-tensor-list=allow-tensorlist-pass-through=true | filecheck %s --check-prefix=CONCAT
// RUN: tflx-opt %S/decompose-dynamic-tensor-lists.mlir -split-input-file '--pass-pipeline=builtin.module(tfl-lower-static-tensor-list{allow-tensorlist-pass-through=true enable-dynamic-update-slice=true default-to-single-batch=true})' | filecheck %s --check-prefix=DUS1
// RUN: not tflx-opt %S/decompose-dynamic-tensor-lists.mlir -split-input-file -tfl-lower-static-tensor-list 2>&1 | filecheck %s --check-prefix=ERR

// litert-opt's pass name and options over the cases of decompose-dynamic-tensor-lists.mlir.
// Default (enable-dynamic-update-slice=false): a write at step i is slice + concat.
// CONCAT-LABEL: func.func private @body(
// CONCAT: %[[BEFORE:.*]] = "tf.Slice"(%arg1,
// CONCAT: %[[AFTER:.*]] = "tf.Slice"(%arg1,
// CONCAT: "tf.ConcatV2"(%[[BEFORE]], %{{.*}}, %[[AFTER]], %{{.*}}) : (tensor<?x?x4xf32>, tensor<1x?x4xf32>, tensor<?x?x4xf32>, tensor<i32>) -> tensor<3x?x4xf32>
//
// default-to-single-batch: the unknown element dim is 1 (a constant shape), no run-time shape.
// DUS1-LABEL: func.func @rnn
// DUS1-NOT: tf.Shape
// DUS1: %[[DIMS:.*]] = "tf.Const"() <{value = dense<[3, 1, 4]> : tensor<3xi32>}>
// DUS1: "tf.Fill"(%[[DIMS]], %{{.*}}) : (tensor<3xi32>, tensor<f32>) -> tensor<3x?x4xf32>
// DUS1-LABEL: func.func private @body(
// DUS1: "tf.XlaDynamicUpdateSlice"
//
// Without allow-tensorlist-pass-through, a list it cannot lower is an error naming the op.
// ERR: tflx: error: pass 'tfl-lower-static-tensor-list': cannot lower 'tf.TensorListReserve'
