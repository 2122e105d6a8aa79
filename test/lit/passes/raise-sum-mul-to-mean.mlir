// RUN: tflx-opt %s -raise-sum-mul-to-mean | filecheck %s

// StableHLO has no mean: tf.Mean legalizes to SUM then MUL by 1/N. N = 3 * 4 = 12 here.
// CHECK-LABEL: func.func @sum_times_reciprocal
// CHECK-NOT: tfl.sum
// CHECK-NOT: tfl.mul
// CHECK: %[[M:.*]] = "tfl.mean"(%arg0, %{{.*}}) <{keep_dims = false}> : (tensor<2x3x4xf32>, tensor<2xi32>) -> tensor<2xf32>
// CHECK: return %[[M]]
func.func @sum_times_reciprocal(%arg0: tensor<2x3x4xf32>) -> tensor<2xf32> {
  %axes = arith.constant dense<[1, 2]> : tensor<2xi32>
  %scale = arith.constant dense<0.0833333358> : tensor<f32>
  %0 = "tfl.sum"(%arg0, %axes) <{keep_dims = false}> : (tensor<2x3x4xf32>, tensor<2xi32>) -> tensor<2xf32>
  %1 = tfl.mul(%0, %scale) <{fused_activation_function = "NONE"}> : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}

// The scale may come first.
// CHECK-LABEL: func.func @reciprocal_times_sum
// CHECK: "tfl.mean"(%arg0, %{{.*}}) <{keep_dims = true}>
// CHECK-NOT: tfl.mul
func.func @reciprocal_times_sum(%arg0: tensor<2x8xf32>) -> tensor<2x1xf32> {
  %axes = arith.constant dense<1> : tensor<1xi32>
  %scale = arith.constant dense<0.125> : tensor<f32>
  %0 = "tfl.sum"(%arg0, %axes) <{keep_dims = true}> : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2x1xf32>
  %1 = tfl.mul(%scale, %0) <{fused_activation_function = "NONE"}> : (tensor<f32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  return %1 : tensor<2x1xf32>
}

// Negative: 1/4 is not 1/12, so this is not a mean.
// CHECK-LABEL: func.func @wrong_scale
// CHECK-NOT: tfl.mean
// CHECK: %[[S:.*]] = "tfl.sum"
// CHECK: tfl.mul(%[[S]], %{{.*}}) <{fused_activation_function = "NONE"}>
func.func @wrong_scale(%arg0: tensor<2x3x4xf32>) -> tensor<2xf32> {
  %axes = arith.constant dense<[1, 2]> : tensor<2xi32>
  %scale = arith.constant dense<0.25> : tensor<f32>
  %0 = "tfl.sum"(%arg0, %axes) <{keep_dims = false}> : (tensor<2x3x4xf32>, tensor<2xi32>) -> tensor<2xf32>
  %1 = tfl.mul(%0, %scale) <{fused_activation_function = "NONE"}> : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}

// Negative: a fused activation on the mul has no place on tfl.mean.
// CHECK-LABEL: func.func @fused_relu
// CHECK-NOT: tfl.mean
// CHECK: tfl.mul
func.func @fused_relu(%arg0: tensor<2x8xf32>) -> tensor<2xf32> {
  %axes = arith.constant dense<1> : tensor<1xi32>
  %scale = arith.constant dense<0.125> : tensor<f32>
  %0 = "tfl.sum"(%arg0, %axes) <{keep_dims = false}> : (tensor<2x8xf32>, tensor<1xi32>) -> tensor<2xf32>
  %1 = tfl.mul(%0, %scale) <{fused_activation_function = "RELU"}> : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}
