// RUN: tflx-opt %s -split-input-file -raise-avg-pool | filecheck %s

// A 2x2/2 sum-pool scaled by 1/4 is a VALID average pool (dynamic batch, as tf-stablehlo leaves it).
// CHECK-LABEL: func.func @avg_pool_2x2
// CHECK: %[[P:.*]] = "tfl.average_pool_2d"(%arg0) <{filter_height = 2 : i32, filter_width = 2 : i32, fused_activation_function = "NONE", padding = "VALID", stride_h = 2 : i32, stride_w = 2 : i32}>
// CHECK-NOT: stablehlo.reduce_window
// CHECK: return %[[P]]
func.func @avg_pool_2x2(%arg0: tensor<?x4x4x2xf32>) -> tensor<?x2x2x2xf32> {
  %cst = arith.constant dense<2.500000e-01> : tensor<f32>
  %zero = arith.constant dense<0.000000e+00> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%arg0, %zero) <{window_dimensions = array<i64: 1, 2, 2, 1>, window_strides = array<i64: 1, 2, 2, 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = tfl.add %a, %b {fused_activation_function = "NONE"} : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<?x4x4x2xf32>, tensor<f32>) -> tensor<?x2x2x2xf32>
  %1 = tfl.mul(%0, %cst) <{fused_activation_function = "NONE"}> : (tensor<?x2x2x2xf32>, tensor<f32>) -> tensor<?x2x2x2xf32>
  return %1 : tensor<?x2x2x2xf32>
}

// -----

// Negative: the scale is not 1/(kh*kw), so this is not an average.
// CHECK-LABEL: func.func @wrong_scale
// CHECK: stablehlo.reduce_window
// CHECK: tfl.mul
// CHECK-NOT: tfl.average_pool_2d
func.func @wrong_scale(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> {
  %cst = arith.constant dense<5.000000e-01> : tensor<f32>
  %zero = arith.constant dense<0.000000e+00> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%arg0, %zero) <{window_dimensions = array<i64: 1, 2, 2, 1>, window_strides = array<i64: 1, 2, 2, 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = tfl.add %a, %b {fused_activation_function = "NONE"} : tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<1x4x4x2xf32>, tensor<f32>) -> tensor<1x2x2x2xf32>
  %1 = tfl.mul(%0, %cst) <{fused_activation_function = "NONE"}> : (tensor<1x2x2x2xf32>, tensor<f32>) -> tensor<1x2x2x2xf32>
  return %1 : tensor<1x2x2x2xf32>
}

// -----

// Negative: a max-pool body is not a sum.
// CHECK-LABEL: func.func @max_body
// CHECK: stablehlo.reduce_window
// CHECK-NOT: tfl.average_pool_2d
func.func @max_body(%arg0: tensor<1x4x4x2xf32>) -> tensor<1x2x2x2xf32> {
  %cst = arith.constant dense<2.500000e-01> : tensor<f32>
  %zero = arith.constant dense<0.000000e+00> : tensor<f32>
  %0 = "stablehlo.reduce_window"(%arg0, %zero) <{window_dimensions = array<i64: 1, 2, 2, 1>, window_strides = array<i64: 1, 2, 2, 1>}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %s = "tfl.maximum"(%a, %b) : (tensor<f32>, tensor<f32>) -> tensor<f32>
    stablehlo.return %s : tensor<f32>
  }) : (tensor<1x4x4x2xf32>, tensor<f32>) -> tensor<1x2x2x2xf32>
  %1 = tfl.mul(%0, %cst) <{fused_activation_function = "NONE"}> : (tensor<1x2x2x2xf32>, tensor<f32>) -> tensor<1x2x2x2xf32>
  return %1 : tensor<1x2x2x2xf32>
}
