// RUN: tflx-opt %s --plugin=%S/../../examples/custom_op/my_ops.py '-custom-op-TflxScaledTanh-lower=lowering=composite' '-custom-op-TflxSwish-lower=lowering=composite' | filecheck %s

// With lowering=composite a declared op becomes stablehlo.composite "tflx.NAME": the attributes
// become composite_attributes and the declaration's TF decomposition, traced for these operand
// types and lowered to StableHLO, becomes a private function, so the model runs without a kernel.
// One decomposition per distinct (types, attributes).

// CHECK-LABEL: func.func @main
// CHECK: %[[SW:.*]] = stablehlo.composite "tflx.TflxSwish" %arg0 {composite_attributes = {beta = 1.500000e+00 : f32}, decomposition = @tflx.TflxSwish.decomposition, version = 1 : i32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: %[[A:.*]] = stablehlo.composite "tflx.TflxScaledTanh" %[[SW]] {composite_attributes = {alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32}, decomposition = @tflx.TflxScaledTanh.decomposition, version = 1 : i32}
// CHECK: %[[B:.*]] = stablehlo.composite "tflx.TflxScaledTanh" %[[A]] {composite_attributes = {alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32}, decomposition = @tflx.TflxScaledTanh.decomposition, version = 1 : i32}
// CHECK: stablehlo.composite "tflx.TflxScaledTanh" %[[B]] {composite_attributes = {alpha = 2.500000e-01 : f32, beta = 1.000000e+00 : f32}, decomposition = @tflx.TflxScaledTanh.decomposition_1, version = 1 : i32}
// CHECK-NOT: "tf.

// alpha * tanh(beta * x) with alpha = 0.5, beta = 2:
// CHECK-LABEL: func.func private @tflx.TflxScaledTanh.decomposition(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-DAG: %[[HALF:.*]] = stablehlo.constant dense<5.000000e-01> : tensor<2x8xf32>
// CHECK-DAG: %[[TWO:.*]] = stablehlo.constant dense<2.000000e+00> : tensor<2x8xf32>
// CHECK: %[[M:.*]] = stablehlo.multiply %arg0, %[[TWO]]
// CHECK: %[[T:.*]] = stablehlo.tanh %[[M]]
// CHECK: %[[R:.*]] = stablehlo.multiply %[[T]], %[[HALF]]
// CHECK: return %[[R]]

// CHECK-LABEL: func.func private @tflx.TflxScaledTanh.decomposition_1
// CHECK: stablehlo.constant dense<2.500000e-01>

// x * logistic(beta * x), beta = 1.5:
// CHECK-LABEL: func.func private @tflx.TflxSwish.decomposition(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: stablehlo.constant dense<1.500000e+00>
// CHECK: stablehlo.logistic
// CHECK: stablehlo.multiply %arg0

func.func @main(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = "tf.TflxSwish"(%arg0) {beta = 1.500000e+00 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = "tf.TflxScaledTanh"(%0) {alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = "tf.TflxScaledTanh"(%1) {alpha = 5.000000e-01 : f32, beta = 2.000000e+00 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %3 = "tf.TflxScaledTanh"(%2) {alpha = 2.500000e-01 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %3 : tensor<2x8xf32>
}
