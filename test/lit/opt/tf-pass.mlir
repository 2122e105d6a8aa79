// RUN: tflx-opt %s -tf-shape-inference -canonicalize -tf-stablehlo --mlir-print-ir-after-all 2>&1 | filecheck %s

// TensorFlow's passes run on tf-dialect IR through tf.mlir.experimental.run_pass_pipeline (the
// shared `canonicalize` goes with its TF neighbours); the result comes back into litert's
// context. One run (TF costs seconds to import), checked after each pass.

// CHECK-LABEL: IR Dump After TensorFlow: tf-shape-inference
// CHECK: func.func @main(%arg0: tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: %[[R:.*]] = "tf.Relu"(%arg0) : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK-NEXT: "tf.AddV2"(%[[R]], %[[R]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>

// CHECK-LABEL: IR Dump After TensorFlow: canonicalize
// CHECK-LABEL: IR Dump After TensorFlow: tf-stablehlo
// CHECK-NOT: "tf.
// CHECK: stablehlo.maximum %arg0, %{{.*}} : tensor<2x3xf32>
// CHECK: stablehlo.add

// The final output, on stdout:
// CHECK: module attributes {tf.versions
// CHECK-NOT: "tf.
// CHECK: stablehlo.maximum

module attributes {tf.versions = {bad_consumers = [], min_consumer = 0 : i32, producer = 1987 : i32}} {
  func.func @main(%arg0: tensor<2x3xf32>) -> tensor<*xf32> {
    %0 = "tf.Relu"(%arg0) : (tensor<2x3xf32>) -> tensor<*xf32>
    %1 = "tf.AddV2"(%0, %0) : (tensor<*xf32>, tensor<*xf32>) -> tensor<*xf32>
    return %1 : tensor<*xf32>
  }
}
