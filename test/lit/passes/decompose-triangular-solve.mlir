// RUN: tflx-opt %s -decompose-triangular-solve | filecheck %s
// RUN: tflx-opt %s -decompose-triangular-solve=max_n=2 | filecheck %s --check-prefix=MAX2

// Lower, equal batch dims: forward substitution, column-oriented. The diagonal is read through
// an EQUAL mask (SELECT + SUM), the right-hand side and the strict lower triangle (GREATER mask
// rows > cols) are divided by it, then columns 0, 1, 2 are eliminated in order: 4 steps for n = 4
// minus the last, each SLICE (solved row), SLICE (column), MUL, SUB.
// CHECK-LABEL: func.func @lower_batched
// CHECK-NOT: tf.MatrixTriangularSolve
// CHECK-NOT: "tf.Transpose"
// CHECK: %[[ROWS:.*]] = "tf.Const"() <{value = dense<{{\[\[0\], \[1\], \[2\], \[3\]\]}}> : tensor<4x1xi32>}>
// CHECK: %[[COLS:.*]] = "tf.Const"() <{value = dense<{{\[\[0, 1, 2, 3\]\]}}> : tensor<1x4xi32>}>
// CHECK: %[[EYE:.*]] = "tf.Equal"(%[[ROWS]], %[[COLS]])
// CHECK: %[[DM:.*]] = "tf.SelectV2"(%[[EYE]], %arg0, %{{.*}}) : (tensor<4x4xi1>, tensor<2x4x4xf32>, tensor<f32>) -> tensor<2x4x4xf32>
// CHECK: %[[D:.*]] = "tf.Sum"(%[[DM]], %{{.*}}) <{keep_dims = true}> : {{.*}} -> tensor<2x4x1xf32>
// CHECK: %[[X0:.*]] = "tf.RealDiv"(%arg1, %[[D]]) : (tensor<2x4x2xf32>, tensor<2x4x1xf32>) -> tensor<2x4x2xf32>
// CHECK: %[[STRICT:.*]] = "tf.Greater"(%[[ROWS]], %[[COLS]])
// CHECK: %[[AD:.*]] = "tf.RealDiv"(%arg0, %[[D]])
// CHECK: %[[L:.*]] = "tf.SelectV2"(%[[STRICT]], %[[AD]], %{{.*}})
// CHECK: %[[C0:.*]] = "tf.Const"() <{value = dense<0> : tensor<3xi64>}>
// CHECK: %[[R0:.*]] = "tf.Slice"(%[[X0]], %[[C0]], %{{.*}}) : {{.*}} -> tensor<2x1x2xf32>
// CHECK: %[[L0:.*]] = "tf.Slice"(%[[L]], %[[C0]], %{{.*}}) : {{.*}} -> tensor<2x4x1xf32>
// CHECK: %[[M0:.*]] = "tf.Mul"(%[[L0]], %[[R0]]) : (tensor<2x4x1xf32>, tensor<2x1x2xf32>) -> tensor<2x4x2xf32>
// CHECK: %[[X1:.*]] = "tf.Sub"(%[[X0]], %[[M0]])
// CHECK: dense<[0, 0, 1]> : tensor<3xi64>
// CHECK: %[[X2:.*]] = "tf.Sub"(%[[X1]],
// CHECK: dense<[0, 0, 2]> : tensor<3xi64>
// CHECK: %[[X3:.*]] = "tf.Sub"(%[[X2]],
// CHECK-NOT: "tf.Sub"
// CHECK: return %[[X3]] : tensor<2x4x2xf32>
// MAX2-LABEL: func.func @lower_batched
// MAX2: "tf.MatrixTriangularSolve"
func.func @lower_batched(%arg0: tensor<2x4x4xf32>, %arg1: tensor<2x4x2xf32>) -> tensor<2x4x2xf32> {
  %0 = "tf.MatrixTriangularSolve"(%arg0, %arg1) <{adjoint = false, lower = true}> : (tensor<2x4x4xf32>, tensor<2x4x2xf32>) -> tensor<2x4x2xf32>
  return %0 : tensor<2x4x2xf32>
}

// Upper, one matrix for a batch of right-hand sides: back substitution (strict triangle
// cols > rows; columns 2 then 1), the matrix kept as [1, 3, 3] and broadcast by MUL.
// CHECK-LABEL: func.func @upper_matrix_without_batch
// CHECK-NOT: tf.MatrixTriangularSolve
// CHECK-NOT: "tf.BroadcastTo"
// CHECK: %[[A:.*]] = "tf.Reshape"(%arg0, %{{.*}}) : (tensor<3x3xf32>, tensor<3xi64>) -> tensor<1x3x3xf32>
// CHECK: %[[ROWS:.*]] = "tf.Const"() <{value = dense<{{\[\[0\], \[1\], \[2\]\]}}> : tensor<3x1xi32>}>
// CHECK: %[[COLS:.*]] = "tf.Const"() <{value = dense<{{\[\[0, 1, 2\]\]}}> : tensor<1x3xi32>}>
// CHECK: "tf.RealDiv"(%arg1, %{{.*}}) : (tensor<2x3x2xf32>, tensor<1x3x1xf32>) -> tensor<2x3x2xf32>
// CHECK: "tf.Greater"(%[[COLS]], %[[ROWS]])
// CHECK: dense<[0, 0, 2]> : tensor<3xi64>
// CHECK: "tf.Mul"(%{{.*}}, %{{.*}}) : (tensor<1x3x1xf32>, tensor<2x1x2xf32>) -> tensor<2x3x2xf32>
// CHECK: dense<[0, 0, 1]> : tensor<3xi64>
// CHECK: %[[X:.*]] = "tf.Sub"
// CHECK-NOT: "tf.Sub"
// CHECK: return %[[X]] : tensor<2x3x2xf32>
func.func @upper_matrix_without_batch(%arg0: tensor<3x3xf32>, %arg1: tensor<2x3x2xf32>) -> tensor<2x3x2xf32> {
  %0 = "tf.MatrixTriangularSolve"(%arg0, %arg1) <{adjoint = false, lower = false}> : (tensor<3x3xf32>, tensor<2x3x2xf32>) -> tensor<2x3x2xf32>
  return %0 : tensor<2x3x2xf32>
}

// Lower with adjoint: A^T is upper, so the matrix is transposed and back-substituted (columns
// 2 then 1). Batch dims [2, 1] and [4] broadcast to [2, 4]: both operands are broadcast first.
// CHECK-LABEL: func.func @lower_adjoint_broadcast
// CHECK-NOT: tf.MatrixTriangularSolve
// CHECK: "tf.BroadcastTo"(%arg0, %{{.*}}) : (tensor<2x1x3x3xf32>, tensor<4xi64>) -> tensor<2x4x3x3xf32>
// CHECK: %[[A:.*]] = "tf.Reshape"{{.*}} -> tensor<8x3x3xf32>
// CHECK: "tf.BroadcastTo"(%arg1, %{{.*}}) : (tensor<4x3x1xf32>, tensor<4xi64>) -> tensor<2x4x3x1xf32>
// CHECK: "tf.Reshape"{{.*}} -> tensor<8x3x1xf32>
// CHECK: %[[PERM:.*]] = "tf.Const"() <{value = dense<[0, 2, 1]> : tensor<3xi32>}>
// CHECK: "tf.Transpose"(%[[A]], %[[PERM]]) : (tensor<8x3x3xf32>, tensor<3xi32>) -> tensor<8x3x3xf32>
// CHECK: %[[ROWS:.*]] = "tf.Const"() <{value = dense<{{\[\[0\], \[1\], \[2\]\]}}> : tensor<3x1xi32>}>
// CHECK: %[[COLS:.*]] = "tf.Const"() <{value = dense<{{\[\[0, 1, 2\]\]}}> : tensor<1x3xi32>}>
// CHECK: "tf.Greater"(%[[COLS]], %[[ROWS]])
// CHECK: dense<[0, 0, 2]> : tensor<3xi64>
// CHECK: dense<[0, 0, 1]> : tensor<3xi64>
// CHECK: %[[X:.*]] = "tf.Sub"
// CHECK: %[[OUT:.*]] = "tf.Reshape"(%[[X]], %{{.*}}) : (tensor<8x3x1xf32>, tensor<4xi64>) -> tensor<2x4x3x1xf32>
// CHECK: return %[[OUT]]
func.func @lower_adjoint_broadcast(%arg0: tensor<2x1x3x3xf32>, %arg1: tensor<4x3x1xf32>) -> tensor<2x4x3x1xf32> {
  %0 = "tf.MatrixTriangularSolve"(%arg0, %arg1) <{adjoint = true, lower = true}> : (tensor<2x1x3x3xf32>, tensor<4x3x1xf32>) -> tensor<2x4x3x1xf32>
  return %0 : tensor<2x4x3x1xf32>
}

// 1 x 1: one division (adjoint or not).
// CHECK-LABEL: func.func @one_by_one
// CHECK-NOT: "tf.Transpose"
// CHECK: "tf.RealDiv"(%{{.*}}, %{{.*}}) : (tensor<1x1x5xf32>, tensor<1x1x1xf32>) -> tensor<1x1x5xf32>
// CHECK-NOT: "tf.Sub"
// CHECK: return
func.func @one_by_one(%arg0: tensor<1x1xf32>, %arg1: tensor<1x5xf32>) -> tensor<1x5xf32> {
  %0 = "tf.MatrixTriangularSolve"(%arg0, %arg1) <{adjoint = true, lower = false}> : (tensor<1x1xf32>, tensor<1x5xf32>) -> tensor<1x5xf32>
  return %0 : tensor<1x5xf32>
}

// Negative: float64, a dynamic batch dim, n above max_n (16), and a dynamic rhs are left alone.
// CHECK-LABEL: func.func @not_rewritten
// CHECK: "tf.MatrixTriangularSolve"(%arg0, %arg1) {{.*}} : (tensor<3x3xf64>, tensor<3x2xf64>)
// CHECK: "tf.MatrixTriangularSolve"(%arg2, %arg3) {{.*}} : (tensor<?x3x3xf32>, tensor<?x3x2xf32>)
// CHECK: "tf.MatrixTriangularSolve"(%arg4, %arg5) {{.*}} : (tensor<17x17xf32>, tensor<17x2xf32>)
// CHECK: "tf.MatrixTriangularSolve"(%arg6, %arg7) {{.*}} : (tensor<3x3xf32>, tensor<3x?xf32>)
func.func @not_rewritten(%arg0: tensor<3x3xf64>, %arg1: tensor<3x2xf64>, %arg2: tensor<?x3x3xf32>, %arg3: tensor<?x3x2xf32>,
                         %arg4: tensor<17x17xf32>, %arg5: tensor<17x2xf32>, %arg6: tensor<3x3xf32>, %arg7: tensor<3x?xf32>)
    -> (tensor<3x2xf64>, tensor<?x3x2xf32>, tensor<17x2xf32>, tensor<3x?xf32>) {
  %0 = "tf.MatrixTriangularSolve"(%arg0, %arg1) <{adjoint = false, lower = true}> : (tensor<3x3xf64>, tensor<3x2xf64>) -> tensor<3x2xf64>
  %1 = "tf.MatrixTriangularSolve"(%arg2, %arg3) <{adjoint = false, lower = true}> : (tensor<?x3x3xf32>, tensor<?x3x2xf32>) -> tensor<?x3x2xf32>
  %2 = "tf.MatrixTriangularSolve"(%arg4, %arg5) <{adjoint = false, lower = true}> : (tensor<17x17xf32>, tensor<17x2xf32>) -> tensor<17x2xf32>
  %3 = "tf.MatrixTriangularSolve"(%arg6, %arg7) <{adjoint = false, lower = true}> : (tensor<3x3xf32>, tensor<3x?xf32>) -> tensor<3x?xf32>
  return %0, %1, %2, %3 : tensor<3x2xf64>, tensor<?x3x2xf32>, tensor<17x2xf32>, tensor<3x?xf32>
}
