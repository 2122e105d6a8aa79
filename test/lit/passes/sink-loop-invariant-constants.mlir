// RUN: tflx-opt %s -sink-loop-invariant-constants | filecheck %s

// A Keras GRU's bias reaches the loop as a pass-through operand; inside the body it becomes a
// constant, and its split and squeezes fold. The operand itself stays.
// CHECK-LABEL: func.func @gru
// CHECK: "tf.While"(%{{.*}}, %arg0, %{{.*}})
// CHECK-LABEL: func.func private @body
// CHECK-NOT: tf.Split
// CHECK-NOT: tf.Squeeze
// CHECK-DAG: "tf.Const"() <{value = dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>}>
// CHECK-DAG: "tf.Const"() <{value = dense<[3.000000e+00, 4.000000e+00]> : tensor<2xf32>}>
// CHECK: return %{{.*}}, %{{.*}}, %arg2
func.func @gru(%arg0: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %bias = "tf.Const"() {value = dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>} : () -> tensor<2x2xf32>
  %b = "tf.Identity"(%bias) : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %w:3 = "tf.While"(%zero, %arg0, %b) {body = @body, cond = @cond, is_stateless = true, parallel_iterations = 1 : i64} : (tensor<i32>, tensor<1x2xf32>, tensor<2x2xf32>) -> (tensor<i32>, tensor<1x2xf32>, tensor<2x2xf32>)
  func.return %w#1 : tensor<1x2xf32>
}
func.func private @body(%arg0: tensor<i32>, %arg1: tensor<1x2xf32>, %arg2: tensor<2x2xf32>) -> (tensor<i32>, tensor<1x2xf32>, tensor<2x2xf32>) {
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %axis = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %s:2 = "tf.Split"(%axis, %arg2) : (tensor<i32>, tensor<2x2xf32>) -> (tensor<1x2xf32>, tensor<1x2xf32>)
  %in = "tf.Squeeze"(%s#0) {squeeze_dims = [0]} : (tensor<1x2xf32>) -> tensor<2xf32>
  %rec = "tf.Squeeze"(%s#1) {squeeze_dims = [0]} : (tensor<1x2xf32>) -> tensor<2xf32>
  %x = "tf.AddV2"(%arg1, %in) : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %y = "tf.AddV2"(%x, %rec) : (tensor<1x2xf32>, tensor<2xf32>) -> tensor<1x2xf32>
  %i = "tf.AddV2"(%arg0, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  func.return %i, %y, %arg2 : tensor<i32>, tensor<1x2xf32>, tensor<2x2xf32>
}
func.func private @cond(%arg0: tensor<i32>, %arg1: tensor<1x2xf32>, %arg2: tensor<2x2xf32>) -> tensor<i1> {
  %n = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %c = "tf.Less"(%arg0, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  func.return %c : tensor<i1>
}
