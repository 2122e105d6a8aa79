// RUN: tflx-opt %s -split-input-file -raise-softmax | filecheck %s

// Softmax over the last axis of a dynamic-batch tensor, as legalization leaves it: reductions
// without keep_dims, reshaped back to ?x1 with a run-time shape.
// CHECK-LABEL: func.func @dynamic_batch_softmax
// CHECK: %[[S:.*]] = "tfl.softmax"(%arg0) <{beta = 1.000000e+00 : f32}> : (tensor<?x5xf32>) -> tensor<?x5xf32>
// CHECK: return %[[S]]
func.func @dynamic_batch_softmax(%arg0: tensor<?x5xf32>, %shape: tensor<2xi32>) -> tensor<?x5xf32> {
  %axis = arith.constant dense<-1> : tensor<1xi32>
  %max = "tfl.reduce_max"(%arg0, %axis) <{keep_dims = false}> : (tensor<?x5xf32>, tensor<1xi32>) -> tensor<?xf32>
  %max2 = "tfl.reshape"(%max, %shape) : (tensor<?xf32>, tensor<2xi32>) -> tensor<?x1xf32>
  %sub = tfl.sub(%arg0, %max2) <{fused_activation_function = "NONE"}> : (tensor<?x5xf32>, tensor<?x1xf32>) -> tensor<?x5xf32>
  %exp = "tfl.exp"(%sub) : (tensor<?x5xf32>) -> tensor<?x5xf32>
  %sum = "tfl.sum"(%exp, %axis) <{keep_dims = false}> : (tensor<?x5xf32>, tensor<1xi32>) -> tensor<?xf32>
  %sum2 = "tfl.reshape"(%sum, %shape) : (tensor<?xf32>, tensor<2xi32>) -> tensor<?x1xf32>
  %div = tfl.div(%exp, %sum2) <{fused_activation_function = "NONE"}> : (tensor<?x5xf32>, tensor<?x1xf32>) -> tensor<?x5xf32>
  return %div : tensor<?x5xf32>
}

// -----

// Negative: normalizing by a sum over another axis is not a softmax over the last one.
// CHECK-LABEL: func.func @other_axis
// CHECK-NOT: tfl.softmax
// CHECK: tfl.div
func.func @other_axis(%arg0: tensor<3x5xf32>) -> tensor<3x5xf32> {
  %last = arith.constant dense<1> : tensor<1xi32>
  %first = arith.constant dense<0> : tensor<1xi32>
  %max = "tfl.reduce_max"(%arg0, %last) <{keep_dims = true}> : (tensor<3x5xf32>, tensor<1xi32>) -> tensor<3x1xf32>
  %sub = tfl.sub(%arg0, %max) <{fused_activation_function = "NONE"}> : (tensor<3x5xf32>, tensor<3x1xf32>) -> tensor<3x5xf32>
  %exp = "tfl.exp"(%sub) : (tensor<3x5xf32>) -> tensor<3x5xf32>
  %sum = "tfl.sum"(%exp, %first) <{keep_dims = true}> : (tensor<3x5xf32>, tensor<1xi32>) -> tensor<1x5xf32>
  %div = tfl.div(%exp, %sum) <{fused_activation_function = "NONE"}> : (tensor<3x5xf32>, tensor<1x5xf32>) -> tensor<3x5xf32>
  return %div : tensor<3x5xf32>
}
