// RUN: tflx-opt %s -split-input-file -decompose-dilation2d | filecheck %s
// RUN: tflx-opt %s -split-input-file -decompose-dilation2d | filecheck %s --check-prefix=MAX

// VALID 2x2, stride 1: four taps, each a strided slice plus the filter tap, max-reduced.
// CHECK-LABEL: func.func @valid
// CHECK-NOT: tf.Dilation2D
// CHECK-NOT: tf.PadV2
// CHECK-COUNT-4: "tf.StridedSlice"
// CHECK-NOT: "tf.StridedSlice"
// MAX-LABEL: func.func @valid
// MAX-COUNT-3: "tf.Maximum"
// MAX-NOT: "tf.Maximum"
// MAX-LABEL: func.func @same
func.func @valid(%x: tensor<1x5x5x2xf32>, %k: tensor<2x2x2xf32>) -> tensor<1x4x4x2xf32> {
  %0 = "tf.Dilation2D"(%x, %k) {padding = "VALID", rates = [1, 1, 1, 1], strides = [1, 1, 1, 1]} : (tensor<1x5x5x2xf32>, tensor<2x2x2xf32>) -> tensor<1x4x4x2xf32>
  func.return %0 : tensor<1x4x4x2xf32>
}

// -----

// SAME: the input is padded with -inf (an out-of-image tap never wins the max).
// CHECK-LABEL: func.func @same
// CHECK: "tf.PadV2"(%arg0, %{{.*}}, %{{.*}}) : (tensor<1x5x5x2xf32>, tensor<4x2xi32>, tensor<f32>) -> tensor<1x7x7x2xf32>
// CHECK-COUNT-9: "tf.StridedSlice"
func.func @same(%x: tensor<1x5x5x2xf32>, %k: tensor<3x3x2xf32>) -> tensor<1x5x5x2xf32> {
  %0 = "tf.Dilation2D"(%x, %k) {padding = "SAME", rates = [1, 1, 1, 1], strides = [1, 1, 1, 1]} : (tensor<1x5x5x2xf32>, tensor<3x3x2xf32>) -> tensor<1x5x5x2xf32>
  func.return %0 : tensor<1x5x5x2xf32>
}
