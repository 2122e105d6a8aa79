// RUN: tflx-opt %s -decompose-matrix-solve | filecheck %s
// RUN: tflx-opt %s -decompose-matrix-solve=max_n=2 | filecheck %s --check-prefix=MAX2

// Gauss-Jordan with partial pivoting on [A | B], unrolled: 3 steps for n = 3, k = 2. Steps 1
// and 2 search |column| (ArgMax) over the rows not used as pivot yet; the last step takes the one
// row left. Each step divides the pivot row by its pivot, eliminates the column from the other
// rows and drops it (width 5 -> 4 -> 3 -> 2). The rows of X are put in order by one batch matmul
// with the transposed one-hot pivot matrix; the batch dims are flattened and restored.
// CHECK-LABEL: func.func @solve3_batched
// CHECK-NOT: tf.MatrixSolve
// CHECK: %[[A:.*]] = "tf.Reshape"(%arg0, %{{.*}}) : (tensor<2x2x3x3xf32>, tensor<3xi64>) -> tensor<4x3x3xf32>
// CHECK: %[[B:.*]] = "tf.Reshape"(%arg1, %{{.*}}) : (tensor<2x2x3x2xf32>, tensor<3xi64>) -> tensor<4x3x2xf32>
// CHECK-NOT: "tf.Transpose"
// CHECK: "tf.ConcatV2"(%[[A]], %[[B]], %{{.*}}) : {{.*}} -> tensor<4x3x5xf32>
// CHECK: "tf.ArgMax"{{.*}} -> tensor<4x1xi32>
// CHECK: "tf.RealDiv"{{.*}} -> tensor<4x1x4xf32>
// CHECK: "tf.SelectV2"{{.*}} -> tensor<4x3x4xf32>
// CHECK: "tf.ArgMax"{{.*}} -> tensor<4x1xi32>
// CHECK: "tf.RealDiv"{{.*}} -> tensor<4x1x3xf32>
// CHECK: "tf.SelectV2"{{.*}} -> tensor<4x3x3xf32>
// CHECK-NOT: "tf.ArgMax"
// CHECK: "tf.RealDiv"{{.*}} -> tensor<4x1x2xf32>
// CHECK: %[[W:.*]] = "tf.SelectV2"{{.*}} -> tensor<4x3x2xf32>
// CHECK: %[[P:.*]] = "tf.ConcatV2"{{.*}} -> tensor<4x3x3xf32>
// CHECK: %[[X:.*]] = "tf.BatchMatMulV2"(%[[P]], %[[W]]) <{adj_x = true, adj_y = false}> : (tensor<4x3x3xf32>, tensor<4x3x2xf32>) -> tensor<4x3x2xf32>
// CHECK: %[[OUT:.*]] = "tf.Reshape"(%[[X]], %{{.*}}) : (tensor<4x3x2xf32>, tensor<4xi64>) -> tensor<2x2x3x2xf32>
// CHECK: return %[[OUT]]
// MAX2-LABEL: func.func @solve3_batched
// MAX2: "tf.MatrixSolve"
func.func @solve3_batched(%arg0: tensor<2x2x3x3xf32>, %arg1: tensor<2x2x3x2xf32>) -> tensor<2x2x3x2xf32> {
  %0 = "tf.MatrixSolve"(%arg0, %arg1) <{adjoint = false}> : (tensor<2x2x3x3xf32>, tensor<2x2x3x2xf32>) -> tensor<2x2x3x2xf32>
  return %0 : tensor<2x2x3x2xf32>
}

// adjoint = true (real: solve A^T X = B): the matrix is transposed before the elimination.
// CHECK-LABEL: func.func @solve2_adjoint
// CHECK-NOT: tf.MatrixSolve
// CHECK: %[[A:.*]] = "tf.Reshape"(%arg0, %{{.*}}) : (tensor<2x2xf32>, tensor<3xi64>) -> tensor<1x2x2xf32>
// CHECK: %[[B:.*]] = "tf.Reshape"(%arg1, %{{.*}}) : (tensor<2x1xf32>, tensor<3xi64>) -> tensor<1x2x1xf32>
// CHECK: %[[PERM:.*]] = "tf.Const"() <{value = dense<[0, 2, 1]> : tensor<3xi32>}>
// CHECK: %[[AT:.*]] = "tf.Transpose"(%[[A]], %[[PERM]])
// CHECK: "tf.ConcatV2"(%[[AT]], %[[B]], %{{.*}}) : {{.*}} -> tensor<1x2x3xf32>
// CHECK-COUNT-1: "tf.ArgMax"
// CHECK: "tf.BatchMatMulV2"
// CHECK: return %{{.*}} : tensor<2x1xf32>
// MAX2-LABEL: func.func @solve2_adjoint
// MAX2-NOT: "tf.MatrixSolve"
// MAX2: "tf.Transpose"
// MAX2-LABEL: func.func @solve1
func.func @solve2_adjoint(%arg0: tensor<2x2xf32>, %arg1: tensor<2x1xf32>) -> tensor<2x1xf32> {
  %0 = "tf.MatrixSolve"(%arg0, %arg1) <{adjoint = true}> : (tensor<2x2xf32>, tensor<2x1xf32>) -> tensor<2x1xf32>
  return %0 : tensor<2x1xf32>
}

// 1 x 1: one division.
// CHECK-LABEL: func.func @solve1
// CHECK-NOT: "tf.ArgMax"
// CHECK: "tf.RealDiv"(%{{.*}}, %{{.*}}) : (tensor<1x1x4xf32>, tensor<1x1x1xf32>) -> tensor<1x1x4xf32>
// CHECK-NOT: "tf.ArgMax"
// CHECK: return
func.func @solve1(%arg0: tensor<1x1xf32>, %arg1: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = "tf.MatrixSolve"(%arg0, %arg1) <{adjoint = false}> : (tensor<1x1xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}

// Negative: float64, a dynamic batch dim, n above max_n (16), and batch dims that differ (TF
// requires them equal) are left alone.
// CHECK-LABEL: func.func @not_rewritten
// CHECK: "tf.MatrixSolve"(%arg0, %arg1) {{.*}} : (tensor<3x3xf64>, tensor<3x2xf64>)
// CHECK: "tf.MatrixSolve"(%arg2, %arg3) {{.*}} : (tensor<?x3x3xf32>, tensor<?x3x2xf32>)
// CHECK: "tf.MatrixSolve"(%arg4, %arg5) {{.*}} : (tensor<17x17xf32>, tensor<17x2xf32>)
// CHECK: "tf.MatrixSolve"(%arg6, %arg7) {{.*}} : (tensor<3x3xf32>, tensor<2x3x2xf32>)
func.func @not_rewritten(%arg0: tensor<3x3xf64>, %arg1: tensor<3x2xf64>, %arg2: tensor<?x3x3xf32>, %arg3: tensor<?x3x2xf32>,
                         %arg4: tensor<17x17xf32>, %arg5: tensor<17x2xf32>, %arg6: tensor<3x3xf32>, %arg7: tensor<2x3x2xf32>)
    -> (tensor<3x2xf64>, tensor<?x3x2xf32>, tensor<17x2xf32>, tensor<2x3x2xf32>) {
  %0 = "tf.MatrixSolve"(%arg0, %arg1) <{adjoint = false}> : (tensor<3x3xf64>, tensor<3x2xf64>) -> tensor<3x2xf64>
  %1 = "tf.MatrixSolve"(%arg2, %arg3) <{adjoint = false}> : (tensor<?x3x3xf32>, tensor<?x3x2xf32>) -> tensor<?x3x2xf32>
  %2 = "tf.MatrixSolve"(%arg4, %arg5) <{adjoint = false}> : (tensor<17x17xf32>, tensor<17x2xf32>) -> tensor<17x2xf32>
  %3 = "tf.MatrixSolve"(%arg6, %arg7) <{adjoint = false}> : (tensor<3x3xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  return %0, %1, %2, %3 : tensor<3x2xf64>, tensor<?x3x2xf32>, tensor<17x2xf32>, tensor<2x3x2xf32>
}
