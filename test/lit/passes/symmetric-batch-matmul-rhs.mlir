// RUN: tflx-opt %s -symmetric-batch-matmul-rhs | filecheck %s

// Right operand's range [0.5 * (-128 - 4), 0.5 * (127 - 4)] = [-66, 61.5]: requantized to
// zero point 0 with scale 66 / 127.
// CHECK-LABEL: func.func @asymmetric_rhs
// CHECK: %[[Q:.*]] = "tfl.quantize"(%arg1) <{qtype = tensor<1x4x2x!quant.uniform<i8:f32, 0.51968503937007871>>}>
// CHECK: "tfl.batch_matmul"(%arg0, %[[Q]]) <{adj_x = false, adj_y = false}>
func.func @asymmetric_rhs(%arg0: tensor<1x3x4x!quant.uniform<i8:f32, 0.25:-1>>, %arg1: tensor<1x4x2x!quant.uniform<i8:f32, 0.5:4>>) -> tensor<1x3x2x!quant.uniform<i8:f32, 1.0:2>> {
  %0 = "tfl.batch_matmul"(%arg0, %arg1) <{adj_x = false, adj_y = false}> : (tensor<1x3x4x!quant.uniform<i8:f32, 0.25:-1>>, tensor<1x4x2x!quant.uniform<i8:f32, 0.5:4>>) -> tensor<1x3x2x!quant.uniform<i8:f32, 1.0:2>>
  return %0 : tensor<1x3x2x!quant.uniform<i8:f32, 1.0:2>>
}

// Negative: already symmetric, and float.
// CHECK-LABEL: func.func @symmetric_rhs
// CHECK-NOT: tfl.quantize
func.func @symmetric_rhs(%arg0: tensor<1x3x4x!quant.uniform<i8:f32, 0.25:-1>>, %arg1: tensor<1x4x2x!quant.uniform<i8:f32, 0.5>>) -> tensor<1x3x2x!quant.uniform<i8:f32, 1.0:2>> {
  %0 = "tfl.batch_matmul"(%arg0, %arg1) <{adj_x = false, adj_y = false}> : (tensor<1x3x4x!quant.uniform<i8:f32, 0.25:-1>>, tensor<1x4x2x!quant.uniform<i8:f32, 0.5>>) -> tensor<1x3x2x!quant.uniform<i8:f32, 1.0:2>>
  return %0 : tensor<1x3x2x!quant.uniform<i8:f32, 1.0:2>>
}

// CHECK-LABEL: func.func @float_rhs
// CHECK-NOT: tfl.quantize
func.func @float_rhs(%arg0: tensor<1x3x4xf32>, %arg1: tensor<1x4x2xf32>) -> tensor<1x3x2xf32> {
  %0 = "tfl.batch_matmul"(%arg0, %arg1) <{adj_x = false, adj_y = false}> : (tensor<1x3x4xf32>, tensor<1x4x2xf32>) -> tensor<1x3x2xf32>
  return %0 : tensor<1x3x2xf32>
}
