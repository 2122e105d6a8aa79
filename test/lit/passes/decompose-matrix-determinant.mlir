// RUN: tflx-opt %s -split-input-file -decompose-matrix-determinant | filecheck %s

// tf.MatrixDeterminant (static, float32) -> TF ops that have TFLite builtins.

// n <= 3: Leibniz. One gather picks A[i, p(i)] for every permutation p ([0,1] and [1,0] of a
// flattened 2x2 are elements 0,3 and 1,2), a product per permutation, the signs, a sum.
// CHECK-LABEL: func.func @det_2x2
// CHECK-NOT: tf.MatrixDeterminant
// CHECK: %[[IDX:.*]] = "tf.Const"() <{value = dense<[0, 3, 1, 2]> : tensor<4xi32>}>
// CHECK: "tf.GatherV2"(%{{.*}}, %[[IDX]], %{{.*}})
// CHECK: %[[P:.*]] = "tf.Prod"
// CHECK: %[[SIGNS:.*]] = "tf.Const"() <{value = dense<[1.000000e+00, -1.000000e+00]> : tensor<2xf32>}>
// CHECK: %[[S:.*]] = "tf.Mul"(%[[P]], %[[SIGNS]])
// CHECK: "tf.Sum"(%[[S]]
// CHECK: return %{{.*}} : tensor<f32>
func.func @det_2x2(%arg0: tensor<2x2xf32>) -> tensor<f32> {
  %0 = "tf.MatrixDeterminant"(%arg0) : (tensor<2x2xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Larger n: unrolled LU with partial pivoting (an ArgMax picks each pivot); batch dims kept.
// CHECK-LABEL: func.func @det_batched_4x4
// CHECK-NOT: tf.MatrixDeterminant
// CHECK: "tf.ArgMax"
// CHECK: "tf.RealDiv"
// CHECK: return %{{.*}} : tensor<5xf32>
func.func @det_batched_4x4(%arg0: tensor<5x4x4xf32>) -> tensor<5xf32> {
  %0 = "tf.MatrixDeterminant"(%arg0) : (tensor<5x4x4xf32>) -> tensor<5xf32>
  return %0 : tensor<5xf32>
}

// -----

// Negative: dynamic dims, or not float32, are left alone.
// CHECK-LABEL: func.func @det_dynamic
// CHECK: "tf.MatrixDeterminant"(%arg0) : (tensor<?x?xf32>) -> tensor<f32>
func.func @det_dynamic(%arg0: tensor<?x?xf32>) -> tensor<f32> {
  %0 = "tf.MatrixDeterminant"(%arg0) : (tensor<?x?xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}
// CHECK-LABEL: func.func @det_f64
// CHECK: "tf.MatrixDeterminant"(%arg0) : (tensor<2x2xf64>) -> tensor<f64>
func.func @det_f64(%arg0: tensor<2x2xf64>) -> tensor<f64> {
  %0 = "tf.MatrixDeterminant"(%arg0) : (tensor<2x2xf64>) -> tensor<f64>
  return %0 : tensor<f64>
}
