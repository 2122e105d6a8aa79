// RUN: tflx-opt %s -split-input-file -decompose-cumulative-logsumexp | filecheck %s

// Axis of 3: the first element as is, then two logaddexp steps (max + log1p(exp(-|a-b|))).
// CHECK-LABEL: func.func @inclusive
// CHECK-NOT: tf.CumulativeLogsumexp
// CHECK-COUNT-2: "tf.Log1p"
// CHECK: "tf.ConcatV2"({{.*}}) : (tensor<2x1xf32>, tensor<2x1xf32>, tensor<2x1xf32>, tensor<i32>) -> tensor<2x3xf32>
func.func @inclusive(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %axis = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %0 = "tf.CumulativeLogsumexp"(%x, %axis) {exclusive = false, reverse = false} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

// Exclusive: the first output is log(0) = -inf (kept: tflx does not clamp infinities).
// CHECK-LABEL: func.func @exclusive
// CHECK: "tf.Const"() <{value = dense<0xFF800000> : tensor<2x1xf32>}>
// CHECK-COUNT-1: "tf.Log1p"
func.func @exclusive(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %axis = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %0 = "tf.CumulativeLogsumexp"(%x, %axis) {exclusive = true, reverse = false} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}

// -----

// A non-constant axis: left alone.
// CHECK-LABEL: func.func @dynamic_axis
// CHECK: tf.CumulativeLogsumexp
func.func @dynamic_axis(%x: tensor<2x3xf32>, %axis: tensor<i32>) -> tensor<2x3xf32> {
  %0 = "tf.CumulativeLogsumexp"(%x, %axis) {exclusive = false, reverse = false} : (tensor<2x3xf32>, tensor<i32>) -> tensor<2x3xf32>
  func.return %0 : tensor<2x3xf32>
}
