// RUN: tflx-opt %s -fold-quantize-constants | filecheck %s

// Per tensor, zero point 1: round half away from zero (-1.5 -> -2), then clamp to the storage range.
// CHECK-LABEL: func.func @per_tensor
// CHECK-NOT: tfl.quantize
// CHECK: "tfl.pseudo_qconst"() <{qtype = tensor<4x!quant.uniform<i8:f32, 2.500000e-01:1>>, value = dense<[3, -1, 5, 127]> : tensor<4xi8>}>
func.func @per_tensor() -> tensor<4x!quant.uniform<i8:f32, 0.25:1>> {
  %x = arith.constant dense<[0.5, -0.375, 1.0, 100.0]> : tensor<4xf32>
  %0 = "tfl.quantize"(%x) <{qtype = tensor<4x!quant.uniform<i8:f32, 0.25:1>>}> : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.25:1>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.25:1>>
}

// Per axis 0 with a narrow storage range, as conv weights are quantized.
// CHECK-LABEL: func.func @per_axis
// CHECK: value = dense<{{\[}}[2, -2], [2, -127]]> : tensor<2x2xi8>
func.func @per_axis() -> tensor<2x2x!quant.uniform<i8<-127:127>:f32:0, {0.5, 0.25}>> {
  %x = arith.constant dense<[[1.0, -1.0], [0.5, -90.0]]> : tensor<2x2xf32>
  %0 = "tfl.quantize"(%x) <{qtype = tensor<2x2x!quant.uniform<i8<-127:127>:f32:0, {0.5, 0.25}>>}> : (tensor<2x2xf32>) -> tensor<2x2x!quant.uniform<i8<-127:127>:f32:0, {0.5, 0.25}>>
  return %0 : tensor<2x2x!quant.uniform<i8<-127:127>:f32:0, {0.5, 0.25}>>
}

// Negative: a run-time value is quantized at run time.
// CHECK-LABEL: func.func @activation
// CHECK: "tfl.quantize"(%arg0)
func.func @activation(%arg0: tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.25:1>> {
  %0 = "tfl.quantize"(%arg0) <{qtype = tensor<4x!quant.uniform<i8:f32, 0.25:1>>}> : (tensor<4xf32>) -> tensor<4x!quant.uniform<i8:f32, 0.25:1>>
  return %0 : tensor<4x!quant.uniform<i8:f32, 0.25:1>>
}
