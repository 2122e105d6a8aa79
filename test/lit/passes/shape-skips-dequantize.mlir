// RUN: tflx-opt %s -shape-skips-dequantize | filecheck %s

// SHAPE reads the int8 tensor itself; the DEQUANTIZE, now unused, goes.
// CHECK-LABEL: func.func @only_shape_uses_it
// CHECK-NOT: tfl.dequantize
// CHECK: "tfl.shape"(%arg0) : (tensor<?x8x!quant.uniform<i8:f32, 1.000000e-01:3>>) -> tensor<2xi32>
func.func @only_shape_uses_it(%arg0: tensor<?x8x!quant.uniform<i8:f32, 0.1:3>>) -> tensor<2xi32> {
  %0 = "tfl.dequantize"(%arg0) : (tensor<?x8x!quant.uniform<i8:f32, 0.1:3>>) -> tensor<?x8xf32>
  %1 = "tfl.shape"(%0) : (tensor<?x8xf32>) -> tensor<2xi32>
  return %1 : tensor<2xi32>
}

// The DEQUANTIZE stays for its other (float) user.
// CHECK-LABEL: func.func @shared
// CHECK: %[[DQ:.*]] = "tfl.dequantize"(%arg0)
// CHECK: "tfl.shape"(%arg0)
// CHECK: "tfl.neg"(%[[DQ]])
func.func @shared(%arg0: tensor<?x8x!quant.uniform<i8:f32, 0.1:3>>) -> (tensor<2xi32>, tensor<?x8xf32>) {
  %0 = "tfl.dequantize"(%arg0) : (tensor<?x8x!quant.uniform<i8:f32, 0.1:3>>) -> tensor<?x8xf32>
  %1 = "tfl.shape"(%0) : (tensor<?x8xf32>) -> tensor<2xi32>
  %2 = "tfl.neg"(%0) : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %1, %2 : tensor<2xi32>, tensor<?x8xf32>
}
