// RUN: tflx-opt %s --pass-pipeline='builtin.module(raise-sum-mul-to-mean,canonicalize)' | filecheck %s
// RUN: tflx-opt %s -raise-sum-mul-to-mean -canonicalize | filecheck %s

// One pipeline, two providers: the tflx Python pass raises SUM*1/N to MEAN, then litert's
// canonicalize drops the constant only the multiply used.

// CHECK-LABEL: func.func @mean
// CHECK-NEXT: %[[AXES:.*]] = arith.constant dense<[1, 2]> : tensor<2xi32>
// CHECK-NEXT: %[[M:.*]] = "tfl.mean"(%arg0, %[[AXES]]) <{keep_dims = false}>
// CHECK-NEXT: return %[[M]]
func.func @mean(%arg0: tensor<2x3x4xf32>) -> tensor<2xf32> {
  %axes = arith.constant dense<[1, 2]> : tensor<2xi32>
  %scale = arith.constant dense<0.0833333358> : tensor<f32>
  %0 = "tfl.sum"(%arg0, %axes) <{keep_dims = false}> : (tensor<2x3x4xf32>, tensor<2xi32>) -> tensor<2xf32>
  %1 = tfl.mul(%0, %scale) <{fused_activation_function = "NONE"}> : (tensor<2xf32>, tensor<f32>) -> tensor<2xf32>
  return %1 : tensor<2xf32>
}
