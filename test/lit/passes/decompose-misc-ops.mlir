// RUN: tflx-opt %s -split-input-file -decompose-misc-ops | filecheck %s

// EuclideanNorm = sqrt(sum(x * x)) over the same constant axes, keep_dims kept.
// CHECK-LABEL: func.func @euclidean_norm_keep_dims
// CHECK-NOT: tf.EuclideanNorm
// CHECK: %[[SQ:.*]] = "tf.Mul"(%arg0, %arg0) : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
// CHECK: %[[S:.*]] = "tf.Sum"(%[[SQ]], %[[AXES:.*]]) <{keep_dims = true}> : (tensor<2x3x4xf32>, tensor<2xi32>) -> tensor<1x3x1xf32>
// CHECK: %[[OUT:.*]] = "tf.Sqrt"(%[[S]]) : (tensor<1x3x1xf32>) -> tensor<1x3x1xf32>
// CHECK: return %[[OUT]]
func.func @euclidean_norm_keep_dims(%arg0: tensor<2x3x4xf32>) -> tensor<1x3x1xf32> {
  %axes = "tf.Const"() <{value = dense<[0, 2]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %0 = "tf.EuclideanNorm"(%arg0, %axes) {keep_dims = true} : (tensor<2x3x4xf32>, tensor<2xi32>) -> tensor<1x3x1xf32>
  return %0 : tensor<1x3x1xf32>
}

// -----

// Without keep_dims, on a dynamic batch.
// CHECK-LABEL: func.func @euclidean_norm_dynamic
// CHECK: "tf.Sum"(%{{.*}}, %{{.*}}) <{keep_dims = false}> : (tensor<?x4xf32>, tensor<1xi32>) -> tensor<?xf32>
// CHECK: "tf.Sqrt"
func.func @euclidean_norm_dynamic(%arg0: tensor<?x4xf32>) -> tensor<?xf32> {
  %axes = "tf.Const"() <{value = dense<-1> : tensor<1xi32>}> : () -> tensor<1xi32>
  %0 = "tf.EuclideanNorm"(%arg0, %axes) {keep_dims = false} : (tensor<?x4xf32>, tensor<1xi32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Negative: run-time axes, empty axes and int32 input are left alone.
// CHECK-LABEL: func.func @euclidean_norm_not_rewritten
// CHECK: "tf.EuclideanNorm"(%arg0, %arg1)
// CHECK: "tf.EuclideanNorm"(%arg0, %{{.*}}) {keep_dims = false} : (tensor<2x3xf32>, tensor<0xi32>)
// CHECK: "tf.EuclideanNorm"(%arg2, %{{.*}}) {keep_dims = false} : (tensor<2x3xi32>, tensor<1xi32>)
// CHECK-NOT: "tf.Sqrt"
func.func @euclidean_norm_not_rewritten(%arg0: tensor<2x3xf32>, %arg1: tensor<1xi32>, %arg2: tensor<2x3xi32>) -> (tensor<*xf32>, tensor<2x3xf32>, tensor<2xi32>) {
  %none = "tf.Const"() <{value = dense<> : tensor<0xi32>}> : () -> tensor<0xi32>
  %one = "tf.Const"() <{value = dense<1> : tensor<1xi32>}> : () -> tensor<1xi32>
  %0 = "tf.EuclideanNorm"(%arg0, %arg1) {keep_dims = false} : (tensor<2x3xf32>, tensor<1xi32>) -> tensor<*xf32>
  %1 = "tf.EuclideanNorm"(%arg0, %none) {keep_dims = false} : (tensor<2x3xf32>, tensor<0xi32>) -> tensor<2x3xf32>
  %2 = "tf.EuclideanNorm"(%arg2, %one) {keep_dims = false} : (tensor<2x3xi32>, tensor<1xi32>) -> tensor<2xi32>
  return %0, %1, %2 : tensor<*xf32>, tensor<2x3xf32>, tensor<2xi32>
}

// -----

// ConjugateTranspose of a real tensor is Transpose (same permutation operand).
// CHECK-LABEL: func.func @conjugate_transpose_real
// CHECK: %[[OUT:.*]] = "tf.Transpose"(%arg0, %[[PERM:.*]]) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
// CHECK: %[[OUT2:.*]] = "tf.Transpose"(%arg1, %[[PERM]]) : (tensor<2x3xi1>, tensor<2xi32>) -> tensor<3x2xi1>
// CHECK: return %[[OUT]], %[[OUT2]]
func.func @conjugate_transpose_real(%arg0: tensor<2x3xf32>, %arg1: tensor<2x3xi1>) -> (tensor<3x2xf32>, tensor<3x2xi1>) {
  %perm = "tf.Const"() <{value = dense<[1, 0]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %0 = "tf.ConjugateTranspose"(%arg0, %perm) : (tensor<2x3xf32>, tensor<2xi32>) -> tensor<3x2xf32>
  %1 = "tf.ConjugateTranspose"(%arg1, %perm) : (tensor<2x3xi1>, tensor<2xi32>) -> tensor<3x2xi1>
  return %0, %1 : tensor<3x2xf32>, tensor<3x2xi1>
}

// -----

// Negative: a complex tensor needs the conjugate.
// CHECK-LABEL: func.func @conjugate_transpose_complex
// CHECK: "tf.ConjugateTranspose"
// CHECK-NOT: "tf.Transpose"
func.func @conjugate_transpose_complex(%arg0: tensor<2x3xcomplex<f32>>) -> tensor<3x2xcomplex<f32>> {
  %perm = "tf.Const"() <{value = dense<[1, 0]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %0 = "tf.ConjugateTranspose"(%arg0, %perm) : (tensor<2x3xcomplex<f32>>, tensor<2xi32>) -> tensor<3x2xcomplex<f32>>
  return %0 : tensor<3x2xcomplex<f32>>
}

// -----

// BesselI0 = BesselI0e(x) * exp(|x|), BesselI1 = BesselI1e(x) * exp(|x|).
// CHECK-LABEL: func.func @bessel_i0_i1
// CHECK: %[[A:.*]] = "tf.Abs"(%arg0)
// CHECK: %[[E:.*]] = "tf.Exp"(%[[A]])
// CHECK: %[[S:.*]] = "tf.BesselI0e"(%arg0)
// CHECK: %[[I0:.*]] = "tf.Mul"(%[[S]], %[[E]]) : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: %[[A1:.*]] = "tf.Abs"(%arg0)
// CHECK: %[[E1:.*]] = "tf.Exp"(%[[A1]])
// CHECK: %[[S1:.*]] = "tf.BesselI1e"(%arg0)
// CHECK: %[[I1:.*]] = "tf.Mul"(%[[S1]], %[[E1]])
// CHECK: return %[[I0]], %[[I1]]
func.func @bessel_i0_i1(%arg0: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x3xf32>) {
  %0 = "tf.BesselI0"(%arg0) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  %1 = "tf.BesselI1"(%arg0) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x3xf32>
}

// -----

// Negative: float64 BesselI0 is left alone.
// CHECK-LABEL: func.func @bessel_f64
// CHECK: "tf.BesselI0"
// CHECK-NOT: "tf.Exp"
func.func @bessel_f64(%arg0: tensor<3xf64>) -> tensor<3xf64> {
  %0 = "tf.BesselI0"(%arg0) : (tensor<3xf64>) -> tensor<3xf64>
  return %0 : tensor<3xf64>
}

// -----

// Einsum 'ii->i': the diagonal, as entries 0, n+1, 2(n+1), ... of the flattened matrix.
// CHECK-LABEL: func.func @einsum_diagonal
// CHECK-NOT: tf.Einsum
// CHECK: %[[FLAT:.*]] = "tf.Reshape"(%arg0, %{{.*}}) : (tensor<4x4xf32>, tensor<1xi64>) -> tensor<16xf32>
// CHECK: %[[IDX:.*]] = "tf.Const"() <{value = dense<[0, 5, 10, 15]> : tensor<4xi32>}>
// CHECK: %[[OUT:.*]] = "tf.GatherV2"(%[[FLAT]], %[[IDX]], %{{.*}}) <{batch_dims = 0 : i64}> : (tensor<16xf32>, tensor<4xi32>, tensor<i32>) -> tensor<4xf32>
// CHECK: return %[[OUT]]
func.func @einsum_diagonal(%arg0: tensor<4x4xf32>) -> tensor<4xf32> {
  %0 = "tf.Einsum"(%arg0) <{equation = "ii->i"}> : (tensor<4x4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Einsum 'ij->': the sum of all entries.
// CHECK-LABEL: func.func @einsum_sum_all
// CHECK: %[[AXES:.*]] = "tf.Const"() <{value = dense<[0, 1]> : tensor<2xi32>}>
// CHECK: %[[OUT:.*]] = "tf.Sum"(%arg0, %[[AXES]]) <{keep_dims = false}> : (tensor<3x4xf32>, tensor<2xi32>) -> tensor<f32>
// CHECK: return %[[OUT]]
func.func @einsum_sum_all(%arg0: tensor<3x4xf32>) -> tensor<f32> {
  %0 = "tf.Einsum"(%arg0) <{equation = "ij->"}> : (tensor<3x4xf32>) -> tensor<f32>
  return %0 : tensor<f32>
}

// -----

// Negative: other equations (a transpose, a partial reduction, a dynamic diagonal, two operands,
// an ellipsis) are left to the existing routes.
// CHECK-LABEL: func.func @einsum_not_rewritten
// CHECK: "tf.Einsum"(%arg0) <{equation = "ij->ji"}>
// CHECK: "tf.Einsum"(%arg0) <{equation = "ij->i"}>
// CHECK: "tf.Einsum"(%arg1) <{equation = "ii->i"}>
// CHECK: "tf.Einsum"(%arg0, %arg2) <{equation = "ij,jk->ik"}>
// CHECK: "tf.Einsum"(%arg0) <{equation = "...->"}>
// CHECK-NOT: "tf.Sum"
// CHECK-NOT: "tf.GatherV2"
func.func @einsum_not_rewritten(%arg0: tensor<3x4xf32>, %arg1: tensor<?x?xf32>, %arg2: tensor<4x2xf32>) -> (tensor<4x3xf32>, tensor<3xf32>, tensor<?xf32>, tensor<3x2xf32>, tensor<f32>) {
  %0 = "tf.Einsum"(%arg0) <{equation = "ij->ji"}> : (tensor<3x4xf32>) -> tensor<4x3xf32>
  %1 = "tf.Einsum"(%arg0) <{equation = "ij->i"}> : (tensor<3x4xf32>) -> tensor<3xf32>
  %2 = "tf.Einsum"(%arg1) <{equation = "ii->i"}> : (tensor<?x?xf32>) -> tensor<?xf32>
  %3 = "tf.Einsum"(%arg0, %arg2) <{equation = "ij,jk->ik"}> : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %4 = "tf.Einsum"(%arg0) <{equation = "...->"}> : (tensor<3x4xf32>) -> tensor<f32>
  return %0, %1, %2, %3, %4 : tensor<4x3xf32>, tensor<3xf32>, tensor<?xf32>, tensor<3x2xf32>, tensor<f32>
}
