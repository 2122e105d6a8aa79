// RUN: tflx-opt %s -decompose-matrix-inverse | filecheck %s

// Gauss-Jordan with partial pivoting on [A | I], unrolled: 3 steps for n = 3. Steps 1 and 2
// search |column| (ArgMax) over the rows not used as pivot yet; the last step takes the one row
// left. Each step divides the pivot row by its pivot and eliminates the column from the other
// rows, dropping the finished column (width 6 -> 5 -> 4 -> 3). The rows are put in order at the
// end by one batch matmul with the transposed one-hot pivot matrix.
// CHECK-LABEL: func.func @inv3_batched
// CHECK-NOT: tf.MatrixInverse
// CHECK: "tf.Reshape"(%arg0, %{{.*}}) : (tensor<2x2x3x3xf32>, tensor<3xi64>) -> tensor<4x3x3xf32>
// CHECK: "tf.BroadcastTo"
// CHECK: "tf.ConcatV2"{{.*}} -> tensor<4x3x6xf32>
// CHECK: "tf.ArgMax"{{.*}} -> tensor<4x1xi32>
// CHECK: "tf.RealDiv"{{.*}} -> tensor<4x1x5xf32>
// CHECK: "tf.SelectV2"{{.*}} -> tensor<4x3x5xf32>
// CHECK: "tf.ArgMax"{{.*}} -> tensor<4x1xi32>
// CHECK: "tf.RealDiv"{{.*}} -> tensor<4x1x4xf32>
// CHECK: "tf.SelectV2"{{.*}} -> tensor<4x3x4xf32>
// CHECK-NOT: "tf.ArgMax"
// CHECK: "tf.RealDiv"{{.*}} -> tensor<4x1x3xf32>
// CHECK: %[[W:.*]] = "tf.SelectV2"{{.*}} -> tensor<4x3x3xf32>
// CHECK: %[[P:.*]] = "tf.ConcatV2"{{.*}} -> tensor<4x3x3xf32>
// CHECK: %[[INV:.*]] = "tf.BatchMatMulV2"(%[[P]], %[[W]]) <{adj_x = true, adj_y = false}>
// CHECK: %[[OUT:.*]] = "tf.Reshape"(%[[INV]], %{{.*}}) : (tensor<4x3x3xf32>, tensor<4xi64>) -> tensor<2x2x3x3xf32>
// CHECK: return %[[OUT]]
func.func @inv3_batched(%arg0: tensor<2x2x3x3xf32>) -> tensor<2x2x3x3xf32> {
  %0 = "tf.MatrixInverse"(%arg0) <{adjoint = false}> : (tensor<2x2x3x3xf32>) -> tensor<2x2x3x3xf32>
  return %0 : tensor<2x2x3x3xf32>
}

// 1 x 1: the reciprocal.
// CHECK-LABEL: func.func @inv1
// CHECK-NOT: "tf.ArgMax"
// CHECK: "tf.RealDiv"(%{{.*}}, %{{.*}}) : (tensor<f32>, tensor<1x1x1xf32>) -> tensor<1x1x1xf32>
// CHECK-NOT: "tf.ArgMax"
// CHECK: return
func.func @inv1(%arg0: tensor<1x1xf32>) -> tensor<1x1xf32> {
  %0 = "tf.MatrixInverse"(%arg0) <{adjoint = false}> : (tensor<1x1xf32>) -> tensor<1x1xf32>
  return %0 : tensor<1x1xf32>
}

// adjoint = true (real: the inverse of the transpose): the matrix is transposed first, then the
// same elimination.
// CHECK-LABEL: func.func @inv3_adjoint
// CHECK-NOT: tf.MatrixInverse
// CHECK: %[[A:.*]] = "tf.Reshape"(%arg0, %{{.*}}) : (tensor<3x3xf32>, tensor<3xi64>) -> tensor<1x3x3xf32>
// CHECK: %[[PERM:.*]] = "tf.Const"() <{value = dense<[0, 2, 1]> : tensor<3xi32>}>
// CHECK: %[[AT:.*]] = "tf.Transpose"(%[[A]], %[[PERM]])
// CHECK: "tf.ConcatV2"(%[[AT]], %{{.*}}, %{{.*}}) {{.*}} -> tensor<1x3x6xf32>
// CHECK-COUNT-2: "tf.ArgMax"
// CHECK: "tf.BatchMatMulV2"
// CHECK: return %{{.*}} : tensor<3x3xf32>
func.func @inv3_adjoint(%arg0: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0 = "tf.MatrixInverse"(%arg0) <{adjoint = true}> : (tensor<3x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}

// Negative: a dynamic batch dim, n above max_n (16), and float64 are left alone.
// CHECK-LABEL: func.func @not_rewritten
// CHECK: "tf.MatrixInverse"(%arg0) <{adjoint = false}> : (tensor<3x3xf64>)
// CHECK: "tf.MatrixInverse"(%arg1) <{adjoint = false}> : (tensor<?x3x3xf32>)
// CHECK: "tf.MatrixInverse"(%arg2) <{adjoint = true}> : (tensor<17x17xf32>)
func.func @not_rewritten(%arg0: tensor<3x3xf64>, %arg1: tensor<?x3x3xf32>, %arg2: tensor<17x17xf32>) -> (tensor<3x3xf64>, tensor<?x3x3xf32>, tensor<17x17xf32>) {
  %0 = "tf.MatrixInverse"(%arg0) <{adjoint = false}> : (tensor<3x3xf64>) -> tensor<3x3xf64>
  %1 = "tf.MatrixInverse"(%arg1) <{adjoint = false}> : (tensor<?x3x3xf32>) -> tensor<?x3x3xf32>
  %2 = "tf.MatrixInverse"(%arg2) <{adjoint = true}> : (tensor<17x17xf32>) -> tensor<17x17xf32>
  return %0, %1, %2 : tensor<3x3xf64>, tensor<?x3x3xf32>, tensor<17x17xf32>
}
