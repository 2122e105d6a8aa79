// RUN: tflx-opt %s -split-input-file --plugin=%S/../../examples/custom_op/my_ops.py -custom-op-TflxSwish -custom-op-TflxScaledTanh | filecheck %s

// The source passes (stage tf). TflxSwish's pattern
//   tf.Mul(%x, tf.Sigmoid(tf.Mul(%x, tf.Const{value=$beta})))
// turns the subgraph into one tf.TflxSwish carrying beta; the inner Mul matches in either
// operand order.

// CHECK-LABEL: func.func @swish
// CHECK-NEXT: %[[S:.*]] = "tf.TflxSwish"(%arg0) {beta = 1.500000e+00 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK-NEXT: return %[[S]]
func.func @swish(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %cst = "tf.Const"() <{value = dense<1.500000e+00> : tensor<f32>}> : () -> tensor<f32>
  %0 = "tf.Mul"(%cst, %arg0) : (tensor<f32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = "tf.Sigmoid"(%0) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = "tf.Mul"(%arg0, %1) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %2 : tensor<2x8xf32>
}

// -----

// %x must be the same value at both places: y * sigmoid(1.5 * x) is left alone.
// CHECK-LABEL: func.func @not_swish
// CHECK-NOT: tf.TflxSwish
// CHECK: "tf.Sigmoid"
// CHECK: "tf.Mul"(%arg1,
func.func @not_swish(%arg0: tensor<2x8xf32>, %arg1: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %cst = "tf.Const"() <{value = dense<1.500000e+00> : tensor<f32>}> : () -> tensor<f32>
  %0 = "tf.Mul"(%arg0, %cst) : (tensor<2x8xf32>, tensor<f32>) -> tensor<2x8xf32>
  %1 = "tf.Sigmoid"(%0) : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %2 = "tf.Mul"(%arg1, %1) : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  return %2 : tensor<2x8xf32>
}

// -----

// TflxScaledTanh comes from a TF op TF has no shape function for (imported unranked). Its
// result type comes from the declaration's shape rule, then TF's shape inference refines its
// users and the function's result type.
// CHECK-LABEL: func.func @refine
// CHECK-SAME: -> tensor<3x4xf32>
// CHECK: %[[T:.*]] = "tf.TflxScaledTanh"(%arg0) {alpha = 5.000000e-01 : f32} : (tensor<3x4xf32>) -> tensor<3x4xf32>
// CHECK: "tf.AddV2"(%[[T]], %{{.*}}) : (tensor<3x4xf32>, tensor<f32>) -> tensor<3x4xf32>
// (TF's shape inference wants the module's tf.versions, as every imported module has.)
module attributes {tf.versions = {bad_consumers = [], min_consumer = 0 : i32, producer = 2474 : i32}} {
func.func @refine(%arg0: tensor<3x4xf32>) -> tensor<*xf32> {
  %cst = "tf.Const"() <{value = dense<1.000000e+00> : tensor<f32>}> : () -> tensor<f32>
  %0 = "tf.TflxScaledTanh"(%arg0) {alpha = 5.000000e-01 : f32} : (tensor<3x4xf32>) -> tensor<*xf32>
  %1 = "tf.AddV2"(%0, %cst) : (tensor<*xf32>, tensor<f32>) -> tensor<*xf32>
  return %1 : tensor<*xf32>
}
}
