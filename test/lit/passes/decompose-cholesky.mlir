// RUN: tflx-opt %s -decompose-cholesky | filecheck %s

// Column by column: column j is A[:, j] minus the dot products of the rows of the columns
// found so far with row j, divided by the square root of its diagonal entry; rows above j are
// zeroed with a constant mask (none for column 0). The columns are concatenated.
// CHECK-LABEL: func.func @chol3_batched
// CHECK-NOT: tf.Cholesky
// CHECK: "tf.Reshape"(%arg0, %{{.*}}) : (tensor<2x2x3x3xf32>, tensor<3xi64>) -> tensor<4x3x3xf32>
// CHECK: "tf.Sqrt"
// CHECK: "tf.RealDiv"{{.*}} -> tensor<4x3x1xf32>
// CHECK-NOT: "tf.SelectV2"
// CHECK: "tf.Mul"{{.*}} -> tensor<4x3x1xf32>
// CHECK: "tf.Sum"{{.*}} -> tensor<4x3x1xf32>
// CHECK: "tf.Sub"
// CHECK: "tf.Sqrt"
// CHECK: dense<{{\[}}[false], [true], [true]]> : tensor<3x1xi1>
// CHECK: "tf.SelectV2"
// CHECK: "tf.ConcatV2"{{.*}} -> tensor<4x3x2xf32>
// CHECK: "tf.Mul"{{.*}} -> tensor<4x3x2xf32>
// CHECK: "tf.Sum"{{.*}} -> tensor<4x3x1xf32>
// CHECK: "tf.Sqrt"
// CHECK: dense<{{\[}}[false], [false], [true]]> : tensor<3x1xi1>
// CHECK: "tf.SelectV2"
// CHECK: "tf.ConcatV2"{{.*}} -> tensor<4x3x3xf32>
// CHECK: %[[L:.*]] = "tf.Reshape"{{.*}} -> tensor<2x2x3x3xf32>
// CHECK: return %[[L]]
func.func @chol3_batched(%arg0: tensor<2x2x3x3xf32>) -> tensor<2x2x3x3xf32> {
  %0 = "tf.Cholesky"(%arg0) : (tensor<2x2x3x3xf32>) -> tensor<2x2x3x3xf32>
  return %0 : tensor<2x2x3x3xf32>
}

// Negative: a dynamic batch dim and float64 are left alone.
// CHECK-LABEL: func.func @not_rewritten
// CHECK: "tf.Cholesky"(%arg0) : (tensor<?x3x3xf32>)
// CHECK: "tf.Cholesky"(%arg1) : (tensor<3x3xf64>)
func.func @not_rewritten(%arg0: tensor<?x3x3xf32>, %arg1: tensor<3x3xf64>) -> (tensor<?x3x3xf32>, tensor<3x3xf64>) {
  %0 = "tf.Cholesky"(%arg0) : (tensor<?x3x3xf32>) -> tensor<?x3x3xf32>
  %1 = "tf.Cholesky"(%arg1) : (tensor<3x3xf64>) -> tensor<3x3xf64>
  return %0, %1 : tensor<?x3x3xf32>, tensor<3x3xf64>
}
