// RUN: tflx-opt %s -split-input-file -raise-keras-lstm | filecheck %s

// A Keras 3 LSTM loop (3 steps, 1 unit; as sink-loop-invariant-constants and
// decompose-dynamic-tensor-lists leave it) becomes one tfl.unidirectional_sequence_lstm on the
// batch-major input: per-gate weights transposed to [units, in] in Keras' order i, f, c, o, the
// states two distinct run-time FILLs (+0.0, -0.0), the Transpose back to batch-major gone.
// CHECK-LABEL: func.func @lstm
// CHECK-NOT: tf.While
// CHECK-DAG: %[[WI:.*]] = "tf.Const"() <{value = dense<1.000000e-01> : tensor<1x2xf32>}>
// CHECK-DAG: %[[WF:.*]] = "tf.Const"() <{value = dense<2.000000e-01> : tensor<1x2xf32>}>
// CHECK-DAG: %[[RO:.*]] = "tf.Const"() <{value = dense<8.000000e-01> : tensor<1x1xf32>}>
// CHECK-DAG: %[[BC:.*]] = "tf.Const"() <{value = dense<3.000000e+00> : tensor<1xf32>}>
// CHECK-DAG: %[[H0:.*]] = "tf.Fill"(%[[DIMS:.*]], %{{.*}}) : (tensor<2xi32>, tensor<f32>) -> tensor<1x1xf32>
// CHECK-DAG: %[[C0:.*]] = "tf.Fill"(%[[DIMS]], %{{.*}}) : (tensor<2xi32>, tensor<f32>) -> tensor<1x1xf32>
// CHECK: %[[Y:.*]] = "tfl.unidirectional_sequence_lstm"(%arg0, %[[WI]], %[[WF]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[RO]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}}, %[[BC]], %{{.*}}, %{{.*}}, %{{.*}}, %[[H0]], %[[C0]],
// CHECK-SAME: fused_activation_function = "TANH"
// CHECK-SAME: time_major = false
// CHECK-SAME: -> tensor<1x3x1xf32>
// CHECK: return %[[Y]] : tensor<1x3x1xf32>
func.func @lstm(%x: tensor<1x3x2xf32>) -> tensor<1x3x1xf32> {
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %steps = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %perm = "tf.Const"() {value = dense<[1, 0, 2]> : tensor<3xi32>} : () -> tensor<3xi32>
  %xs = "tf.Transpose"(%x, %perm) : (tensor<1x3x2xf32>, tensor<3xi32>) -> tensor<3x1x2xf32>
  %s0 = "tf.Const"() {value = dense<0.0> : tensor<1x1xf32>} : () -> tensor<1x1xf32>
  %buf = "tf.Const"() {value = dense<0.0> : tensor<3x1x1xf32>} : () -> tensor<3x1x1xf32>
  %w:7 = "tf.While"(%zero, %steps, %zero, %buf, %s0, %s0, %xs) {body = @body, cond = @cond, is_stateless = false, parallel_iterations = 32 : i64} : (tensor<i32>, tensor<i32>, tensor<i32>, tensor<3x1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<3x1x2xf32>) -> (tensor<i32>, tensor<i32>, tensor<i32>, tensor<3x1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<3x1x2xf32>)
  %y = "tf.Transpose"(%w#3, %perm) : (tensor<3x1x1xf32>, tensor<3xi32>) -> tensor<1x3x1xf32>
  func.return %y : tensor<1x3x1xf32>
}
func.func private @body(%count: tensor<i32>, %max: tensor<i32>, %t: tensor<i32>, %buf: tensor<3x1x1xf32>, %h: tensor<1x1xf32>, %c: tensor<1x1xf32>, %xs: tensor<3x1x2xf32>) -> (tensor<i32>, tensor<i32>, tensor<i32>, tensor<3x1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<3x1x2xf32>) {
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %k = "tf.Const"() {value = dense<[[0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4]]> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
  %r = "tf.Const"() {value = dense<[[0.5, 0.6, 0.7, 0.8]]> : tensor<1x4xf32>} : () -> tensor<1x4xf32>
  %bias = "tf.Const"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %count1 = "tf.AddV2"(%count, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  %t1 = "tf.AddV2"(%t, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  %xt = "tf.GatherV2"(%xs, %t, %zero) {batch_dims = 0 : i64} : (tensor<3x1x2xf32>, tensor<i32>, tensor<i32>) -> tensor<1x2xf32>
  %hr = "tf.MatMul"(%h, %r) {transpose_a = false, transpose_b = false} : (tensor<1x1xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %xk = "tf.MatMul"(%xt, %k) {transpose_a = false, transpose_b = false} : (tensor<1x2xf32>, tensor<2x4xf32>) -> tensor<1x4xf32>
  %sum = "tf.AddV2"(%xk, %hr) : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %z = "tf.BiasAdd"(%sum, %bias) {data_format = "NHWC"} : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %g:4 = "tf.Split"(%one, %z) : (tensor<i32>, tensor<1x4xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>)
  %i = "tf.Sigmoid"(%g#0) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %f = "tf.Sigmoid"(%g#1) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %fc = "tf.Mul"(%f, %c) : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %o = "tf.Sigmoid"(%g#3) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %cc = "tf.Tanh"(%g#2) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %ic = "tf.Mul"(%i, %cc) : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %c1 = "tf.AddV2"(%fc, %ic) : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %tc = "tf.Tanh"(%c1) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %h1 = "tf.Mul"(%o, %tc) : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %h1x = "tf.ExpandDims"(%h1, %zero) : (tensor<1x1xf32>, tensor<i32>) -> tensor<1x1x1xf32>
  %shape1 = "tf.Const"() {value = dense<1> : tensor<1xi32>} : () -> tensor<1xi32>
  %tv = "tf.Reshape"(%t, %shape1) : (tensor<i32>, tensor<1xi32>) -> tensor<1xi32>
  %zeros2 = "tf.Const"() {value = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %idx = "tf.ConcatV2"(%tv, %zeros2, %zero) : (tensor<1xi32>, tensor<2xi32>, tensor<i32>) -> tensor<3xi32>
  %buf1 = "tf.XlaDynamicUpdateSlice"(%buf, %h1x, %idx) : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<3xi32>) -> tensor<3x1x1xf32>
  func.return %count1, %max, %t1, %buf1, %h1, %c1, %xs : tensor<i32>, tensor<i32>, tensor<i32>, tensor<3x1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<3x1x2xf32>
}
func.func private @cond(%count: tensor<i32>, %max: tensor<i32>, %t: tensor<i32>, %buf: tensor<3x1x1xf32>, %h: tensor<1x1xf32>, %c: tensor<1x1xf32>, %xs: tensor<3x1x2xf32>) -> tensor<i1> {
  %n = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %a = "tf.Less"(%count, %max) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  %b = "tf.Less"(%t, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  %both = "tf.LogicalAnd"(%a, %b) : (tensor<i1>, tensor<i1>) -> tensor<i1>
  func.return %both : tensor<i1>
}

// -----

// activation="relu" is not the fused kernel's cell math as matched here: the loop stays.
// CHECK-LABEL: func.func @lstm_relu
// CHECK: "tf.While"
// CHECK-NOT: tfl.unidirectional_sequence_lstm
func.func @lstm_relu(%x: tensor<1x3x2xf32>) -> tensor<1x3x1xf32> {
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %steps = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %perm = "tf.Const"() {value = dense<[1, 0, 2]> : tensor<3xi32>} : () -> tensor<3xi32>
  %xs = "tf.Transpose"(%x, %perm) : (tensor<1x3x2xf32>, tensor<3xi32>) -> tensor<3x1x2xf32>
  %s0 = "tf.Const"() {value = dense<0.0> : tensor<1x1xf32>} : () -> tensor<1x1xf32>
  %buf = "tf.Const"() {value = dense<0.0> : tensor<3x1x1xf32>} : () -> tensor<3x1x1xf32>
  %w:7 = "tf.While"(%zero, %steps, %zero, %buf, %s0, %s0, %xs) {body = @body_relu, cond = @cond_relu, is_stateless = false, parallel_iterations = 32 : i64} : (tensor<i32>, tensor<i32>, tensor<i32>, tensor<3x1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<3x1x2xf32>) -> (tensor<i32>, tensor<i32>, tensor<i32>, tensor<3x1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<3x1x2xf32>)
  %y = "tf.Transpose"(%w#3, %perm) : (tensor<3x1x1xf32>, tensor<3xi32>) -> tensor<1x3x1xf32>
  func.return %y : tensor<1x3x1xf32>
}
func.func private @body_relu(%count: tensor<i32>, %max: tensor<i32>, %t: tensor<i32>, %buf: tensor<3x1x1xf32>, %h: tensor<1x1xf32>, %c: tensor<1x1xf32>, %xs: tensor<3x1x2xf32>) -> (tensor<i32>, tensor<i32>, tensor<i32>, tensor<3x1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<3x1x2xf32>) {
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %k = "tf.Const"() {value = dense<[[0.1, 0.2, 0.3, 0.4], [0.1, 0.2, 0.3, 0.4]]> : tensor<2x4xf32>} : () -> tensor<2x4xf32>
  %r = "tf.Const"() {value = dense<[[0.5, 0.6, 0.7, 0.8]]> : tensor<1x4xf32>} : () -> tensor<1x4xf32>
  %bias = "tf.Const"() {value = dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>} : () -> tensor<4xf32>
  %count1 = "tf.AddV2"(%count, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  %t1 = "tf.AddV2"(%t, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  %xt = "tf.GatherV2"(%xs, %t, %zero) {batch_dims = 0 : i64} : (tensor<3x1x2xf32>, tensor<i32>, tensor<i32>) -> tensor<1x2xf32>
  %hr = "tf.MatMul"(%h, %r) {transpose_a = false, transpose_b = false} : (tensor<1x1xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %xk = "tf.MatMul"(%xt, %k) {transpose_a = false, transpose_b = false} : (tensor<1x2xf32>, tensor<2x4xf32>) -> tensor<1x4xf32>
  %sum = "tf.AddV2"(%xk, %hr) : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %z = "tf.BiasAdd"(%sum, %bias) {data_format = "NHWC"} : (tensor<1x4xf32>, tensor<4xf32>) -> tensor<1x4xf32>
  %g:4 = "tf.Split"(%one, %z) : (tensor<i32>, tensor<1x4xf32>) -> (tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>)
  %i = "tf.Sigmoid"(%g#0) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %f = "tf.Sigmoid"(%g#1) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %fc = "tf.Mul"(%f, %c) : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %o = "tf.Sigmoid"(%g#3) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %cc = "tf.Relu"(%g#2) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %ic = "tf.Mul"(%i, %cc) : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %c1 = "tf.AddV2"(%fc, %ic) : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %tc = "tf.Tanh"(%c1) : (tensor<1x1xf32>) -> tensor<1x1xf32>
  %h1 = "tf.Mul"(%o, %tc) : (tensor<1x1xf32>, tensor<1x1xf32>) -> tensor<1x1xf32>
  %h1x = "tf.ExpandDims"(%h1, %zero) : (tensor<1x1xf32>, tensor<i32>) -> tensor<1x1x1xf32>
  %shape1 = "tf.Const"() {value = dense<1> : tensor<1xi32>} : () -> tensor<1xi32>
  %tv = "tf.Reshape"(%t, %shape1) : (tensor<i32>, tensor<1xi32>) -> tensor<1xi32>
  %zeros2 = "tf.Const"() {value = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %idx = "tf.ConcatV2"(%tv, %zeros2, %zero) : (tensor<1xi32>, tensor<2xi32>, tensor<i32>) -> tensor<3xi32>
  %buf1 = "tf.XlaDynamicUpdateSlice"(%buf, %h1x, %idx) : (tensor<3x1x1xf32>, tensor<1x1x1xf32>, tensor<3xi32>) -> tensor<3x1x1xf32>
  func.return %count1, %max, %t1, %buf1, %h1, %c1, %xs : tensor<i32>, tensor<i32>, tensor<i32>, tensor<3x1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<3x1x2xf32>
}
func.func private @cond_relu(%count: tensor<i32>, %max: tensor<i32>, %t: tensor<i32>, %buf: tensor<3x1x1xf32>, %h: tensor<1x1xf32>, %c: tensor<1x1xf32>, %xs: tensor<3x1x2xf32>) -> tensor<i1> {
  %n = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %a = "tf.Less"(%count, %max) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  %b = "tf.Less"(%t, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  %both = "tf.LogicalAnd"(%a, %b) : (tensor<i1>, tensor<i1>) -> tensor<i1>
  func.return %both : tensor<i1>
}
