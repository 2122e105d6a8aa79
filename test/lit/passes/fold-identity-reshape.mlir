// RUN: tflx-opt %s -fold-identity-reshape | filecheck %s

// A tfl.reshape whose result type equals its input type is the identity: it goes.
// CHECK-LABEL: func.func @static_identity
// CHECK-NOT: tfl.reshape
// CHECK: return %arg0 : tensor<1x4xf32>
func.func @static_identity(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %shape = arith.constant dense<[1, 4]> : tensor<2xi32>
  %0 = "tfl.reshape"(%arg0, %shape) : (tensor<1x4xf32>, tensor<2xi32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// With one dynamic dim the element count pins it: still the identity, even with a shape
// computed at run time (what legalizing a dynamic-batch dot leaves around fully_connected).
// CHECK-LABEL: func.func @one_dynamic_dim
// CHECK-NOT: tfl.reshape
// CHECK: return %arg0 : tensor<?x4xf32>
func.func @one_dynamic_dim(%arg0: tensor<?x4xf32>, %shape: tensor<2xi32>) -> tensor<?x4xf32> {
  %0 = "tfl.reshape"(%arg0, %shape) : (tensor<?x4xf32>, tensor<2xi32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}

// Negative: a real reshape (the type changes) stays.
// CHECK-LABEL: func.func @real_reshape
// CHECK: %[[R:.*]] = "tfl.reshape"(%arg0, %{{.*}}) : (tensor<1x4xf32>, tensor<2xi32>) -> tensor<4x1xf32>
// CHECK: return %[[R]]
func.func @real_reshape(%arg0: tensor<1x4xf32>) -> tensor<4x1xf32> {
  %shape = arith.constant dense<[4, 1]> : tensor<2xi32>
  %0 = "tfl.reshape"(%arg0, %shape) : (tensor<1x4xf32>, tensor<2xi32>) -> tensor<4x1xf32>
  return %0 : tensor<4x1xf32>
}

// Negative: with two dynamic dims ?x? -> ?x? may still move elements between them (2x6 -> 3x4).
// CHECK-LABEL: func.func @two_dynamic_dims
// CHECK: %[[R:.*]] = "tfl.reshape"(%arg0, %arg1) : (tensor<?x?xf32>, tensor<2xi32>) -> tensor<?x?xf32>
// CHECK: return %[[R]]
func.func @two_dynamic_dims(%arg0: tensor<?x?xf32>, %shape: tensor<2xi32>) -> tensor<?x?xf32> {
  %0 = "tfl.reshape"(%arg0, %shape) : (tensor<?x?xf32>, tensor<2xi32>) -> tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}
