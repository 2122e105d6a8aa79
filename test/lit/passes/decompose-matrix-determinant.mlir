// RUN: tflx-opt %s -decompose-matrix-determinant | filecheck %s
// RUN: tflx-opt %s -decompose-matrix-determinant=leibniz_max_n=3 | filecheck %s --check-prefix=LEIBNIZ3

// n = 2: the Leibniz formula. One gather picks A[i, p(i)] for both permutations p (elements 0,3
// and 1,2 of the flattened matrix), a product per permutation, the signs, a sum.
// CHECK-LABEL: func.func @det2
// CHECK-NOT: tf.MatrixDeterminant
// CHECK: %[[IDX:.*]] = "tf.Const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}>
// CHECK: "tf.GatherV2"(%{{.*}}, %[[IDX]], %{{.*}})
// CHECK: %[[P:.*]] = "tf.Prod"
// CHECK: %[[SIGNS:.*]] = "tf.Const"() <{value = dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>}>
// CHECK: %[[S:.*]] = "tf.Mul"(%[[P]], %[[SIGNS]])
// CHECK: "tf.Sum"(%[[S]]
// CHECK-NOT: "tf.ArgMax"
// CHECK: return %{{.*}} : tensor<f32>
func.func @det2(%arg0: tensor<2x2xf32>) -> tensor<f32> {
  %0 = "tf.MatrixDeterminant"(%arg0) : (tensor<2x2xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// By default n = 3 takes the pivoted LU route (more accurate than Leibniz): 3 pivot searches.
// CHECK-LABEL: func.func @det3_batched
// CHECK-COUNT-3: "tf.ArgMax"
// CHECK-NOT: "tf.GatherV2"
// CHECK: return %{{.*}} : tensor<2x4xf32>
// With leibniz_max_n=3: Leibniz over the 6 permutations, the batch dims flattened and restored.
// LEIBNIZ3-LABEL: func.func @det3_batched
// LEIBNIZ3-NOT: tf.MatrixDeterminant
// LEIBNIZ3: "tf.Reshape"(%arg0, %{{.*}}) : (tensor<2x4x3x3xf32>, tensor<2xi64>) -> tensor<8x9xf32>
// LEIBNIZ3: dense<[0, 4, 8, 0, 5, 7, 1, 3, 8, 1, 5, 6, 2, 3, 7, 2, 4, 6]> : tensor<18xi32>
// LEIBNIZ3: "tf.GatherV2"{{.*}} -> tensor<8x18xf32>
// LEIBNIZ3: "tf.Prod"{{.*}} -> tensor<8x6xf32>
// LEIBNIZ3: dense<[1.000000e+00, -1.000000e+00, -1.000000e+00, 1.000000e+00, 1.000000e+00, -1.000000e+00]>
// LEIBNIZ3: "tf.Mul"
// LEIBNIZ3: "tf.Sum"{{.*}} -> tensor<8xf32>
// LEIBNIZ3: %[[DET:.*]] = "tf.Reshape"{{.*}} -> tensor<2x4xf32>
// LEIBNIZ3: return %[[DET]] : tensor<2x4xf32>
func.func @det3_batched(%arg0: tensor<2x4x3x3xf32>) -> tensor<2x4xf32> {
  %0 = "tf.MatrixDeterminant"(%arg0) : (tensor<2x4x3x3xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// n = 5: LU with partial pivoting, unrolled. Every step searches |row| for the pivot (ArgMax),
// reads the pivot column through a one-hot mask, divides (a zero pivot guarded) and eliminates;
// the 4 elimination steps leave one last pivot. det = sign * product of the 5 pivots, the sign
// from the inversions (Greater) of the pivot sequence.
// CHECK-LABEL: func.func @det5
// CHECK-NOT: tf.MatrixDeterminant
// CHECK: "tf.Reshape"(%arg0, %{{.*}}) : (tensor<5x5xf32>, tensor<3xi64>) -> tensor<1x5x5xf32>
// CHECK: "tf.Abs"
// CHECK: "tf.ArgMax"{{.*}} -> tensor<1x1xi32>
// CHECK: "tf.OneHot"{{.*}} -> tensor<1x1x5xi1>
// CHECK: "tf.SelectV2"
// CHECK: "tf.Sum"{{.*}} -> tensor<1x5x1xf32>
// CHECK-COUNT-4: "tf.RealDiv"
// CHECK-NOT: "tf.RealDiv"
// CHECK: "tf.ConcatV2"{{.*}} -> tensor<1x1x5xf32>
// CHECK: "tf.Prod"{{.*}} -> tensor<1xf32>
// CHECK: "tf.ConcatV2"{{.*}} -> tensor<1x5xi32>
// CHECK: "tf.Greater"{{.*}} -> tensor<1x5x5xi1>
// CHECK: "tf.Prod"{{.*}} -> tensor<1xf32>
// CHECK: "tf.Mul"
// CHECK: %[[DET:.*]] = "tf.Reshape"{{.*}} -> tensor<f32>
// CHECK: return %[[DET]] : tensor<f32>
// LEIBNIZ3-LABEL: func.func @det5
// LEIBNIZ3: "tf.ArgMax"
func.func @det5(%arg0: tensor<5x5xf32>) -> tensor<f32> {
  %0 = "tf.MatrixDeterminant"(%arg0) : (tensor<5x5xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// Negative: dynamic dims, n above max_n (16), and float64 are left alone.
// CHECK-LABEL: func.func @not_rewritten
// CHECK: "tf.MatrixDeterminant"(%arg0) : (tensor<?x3x3xf32>)
// CHECK: "tf.MatrixDeterminant"(%arg1) : (tensor<?x?xf32>)
// CHECK: "tf.MatrixDeterminant"(%arg2) : (tensor<17x17xf32>)
// CHECK: "tf.MatrixDeterminant"(%arg3) : (tensor<3x3xf64>)
func.func @not_rewritten(%arg0: tensor<?x3x3xf32>, %arg1: tensor<?x?xf32>, %arg2: tensor<17x17xf32>, %arg3: tensor<3x3xf64>) -> (tensor<?xf32>, tensor<f32>, tensor<f32>, tensor<f64>) {
  %0 = "tf.MatrixDeterminant"(%arg0) : (tensor<?x3x3xf32>) -> tensor<?xf32>
  %1 = "tf.MatrixDeterminant"(%arg1) : (tensor<?x?xf32>) -> tensor<f32>
  %2 = "tf.MatrixDeterminant"(%arg2) : (tensor<17x17xf32>) -> tensor<f32>
  %3 = "tf.MatrixDeterminant"(%arg3) : (tensor<3x3xf64>) -> tensor<f64>
  return %0, %1, %2, %3 : tensor<?xf32>, tensor<f32>, tensor<f32>, tensor<f64>
}

// LogMatrixDeterminant: the same pivoted LU (for every n: no Leibniz), then log|det| = sum of
// log|pivot| (no product to overflow) and sign = prod sign(pivot) * the permutation's sign.
// CHECK-LABEL: func.func @logdet3_batched
// CHECK-NOT: tf.LogMatrixDeterminant
// CHECK: "tf.Reshape"(%arg0, %{{.*}}) : (tensor<2x4x3x3xf32>, tensor<3xi64>) -> tensor<8x3x3xf32>
// CHECK-COUNT-3: "tf.ArgMax"
// CHECK-NOT: "tf.GatherV2"
// CHECK: %[[PIV:.*]] = "tf.ConcatV2"{{.*}} -> tensor<8x1x3xf32>
// CHECK: %[[ABS:.*]] = "tf.Abs"(%[[PIV]])
// CHECK: %[[LOG:.*]] = "tf.Log"(%[[ABS]])
// CHECK: %[[LSUM:.*]] = "tf.Sum"(%[[LOG]], %{{.*}}) <{keep_dims = false}> : {{.*}} -> tensor<8xf32>
// CHECK: %[[SGN:.*]] = "tf.Sign"(%[[PIV]])
// CHECK: %[[PSGN:.*]] = "tf.Prod"(%[[SGN]], %{{.*}}) {{.*}} -> tensor<8xf32>
// CHECK: "tf.Greater"{{.*}} -> tensor<8x3x3xi1>
// CHECK: %[[PERM:.*]] = "tf.Prod"{{.*}} -> tensor<8xf32>
// CHECK: %[[S:.*]] = "tf.Mul"(%[[PSGN]], %[[PERM]])
// CHECK: %[[SIGN:.*]] = "tf.Reshape"(%[[S]], %{{.*}}) : (tensor<8xf32>, tensor<2xi64>) -> tensor<2x4xf32>
// CHECK: %[[LD:.*]] = "tf.Reshape"(%[[LSUM]], %{{.*}}) : (tensor<8xf32>, tensor<2xi64>) -> tensor<2x4xf32>
// CHECK: return %[[SIGN]], %[[LD]] : tensor<2x4xf32>, tensor<2x4xf32>
func.func @logdet3_batched(%arg0: tensor<2x4x3x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  %0:2 = "tf.LogMatrixDeterminant"(%arg0) : (tensor<2x4x3x3xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>)
  return %0#0, %0#1 : tensor<2x4xf32>, tensor<2x4xf32>
}

// LogMatrixDeterminant of 1 x 1: sign and log|a| directly, no elimination.
// CHECK-LABEL: func.func @logdet1
// CHECK-NOT: "tf.ArgMax"
// CHECK: %[[X:.*]] = "tf.Reshape"{{.*}} -> tensor<1xf32>
// CHECK: "tf.Sign"(%[[X]])
// CHECK: "tf.Log"
// CHECK-NOT: "tf.ArgMax"
// CHECK: return %{{.*}}, %{{.*}} : tensor<f32>, tensor<f32>
func.func @logdet1(%arg0: tensor<1x1xf32>) -> (tensor<f32>, tensor<f32>) {
  %0:2 = "tf.LogMatrixDeterminant"(%arg0) : (tensor<1x1xf32>) -> (tensor<f32>, tensor<f32>)
  return %0#0, %0#1 : tensor<f32>, tensor<f32>
}

// Negative: LogMatrixDeterminant with a dynamic batch dim, n above max_n (16), float64.
// CHECK-LABEL: func.func @logdet_not_rewritten
// CHECK: "tf.LogMatrixDeterminant"(%arg0) : (tensor<?x3x3xf32>)
// CHECK: "tf.LogMatrixDeterminant"(%arg1) : (tensor<17x17xf32>)
// CHECK: "tf.LogMatrixDeterminant"(%arg2) : (tensor<3x3xf64>)
func.func @logdet_not_rewritten(%arg0: tensor<?x3x3xf32>, %arg1: tensor<17x17xf32>, %arg2: tensor<3x3xf64>) -> (tensor<?xf32>, tensor<f32>, tensor<f64>) {
  %0:2 = "tf.LogMatrixDeterminant"(%arg0) : (tensor<?x3x3xf32>) -> (tensor<?xf32>, tensor<?xf32>)
  %1:2 = "tf.LogMatrixDeterminant"(%arg1) : (tensor<17x17xf32>) -> (tensor<f32>, tensor<f32>)
  %2:2 = "tf.LogMatrixDeterminant"(%arg2) : (tensor<3x3xf64>) -> (tensor<f64>, tensor<f64>)
  return %0#1, %1#1, %2#1 : tensor<?xf32>, tensor<f32>, tensor<f64>
}
