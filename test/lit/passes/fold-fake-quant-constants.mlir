// RUN: tflx-opt %s -fold-fake-quant-constants | filecheck %s

// Per tensor: range [0, 255/64] has scale 1/64 and needs no nudge; values clamp to the range
// and round to the grid (0.3 -> 19/64).
// CHECK-LABEL: func.func @per_tensor
// CHECK-NOT: tf.FakeQuant
// CHECK: arith.constant dense<[0.000000e+00, 2.968750e-01, 1.000000e+00, 3.984375]> : tensor<4xf32>
func.func @per_tensor() -> tensor<4xf32> {
  %x = arith.constant dense<[-1.0, 0.3, 1.0, 5.0]> : tensor<4xf32>
  %lo = arith.constant dense<0.0> : tensor<f32>
  %hi = arith.constant dense<3.984375> : tensor<f32>
  %0 = "tf.FakeQuantWithMinMaxVars"(%x, %lo, %hi) <{narrow_range = false, num_bits = 8 : i64}> : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// Per channel (last dim): channel 1's range [-2, 1.984375] puts zero at 128.
// CHECK-LABEL: func.func @per_channel
// CHECK: arith.constant dense<{{\[}}[2.968750e-01, -2.000000e+00], [1.000000e+00, 5.000000e-01]]> : tensor<2x2xf32>
func.func @per_channel() -> tensor<2x2xf32> {
  %x = arith.constant dense<[[0.3, -3.0], [1.0, 0.5]]> : tensor<2x2xf32>
  %lo = arith.constant dense<[0.0, -2.0]> : tensor<2xf32>
  %hi = arith.constant dense<[3.984375, 1.984375]> : tensor<2xf32>
  %0 = "tf.FakeQuantWithMinMaxVarsPerChannel"(%x, %lo, %hi) <{narrow_range = false, num_bits = 8 : i64}> : (tensor<2x2xf32>, tensor<2xf32>, tensor<2xf32>) -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// Negative: activations (a non-constant input) keep their fake-quant for the quantizer.
// CHECK-LABEL: func.func @activation
// CHECK: "tf.FakeQuantWithMinMaxVars"(%arg0
func.func @activation(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %lo = arith.constant dense<0.0> : tensor<f32>
  %hi = arith.constant dense<6.0> : tensor<f32>
  %0 = "tf.FakeQuantWithMinMaxVars"(%arg0, %lo, %hi) <{narrow_range = false, num_bits = 8 : i64}> : (tensor<4xf32>, tensor<f32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
