// RUN: tflx-opt %s -split-input-file -decompose-dynamic-tensor-lists | filecheck %s

// A dynamic-batch RNN loop as Keras 3 exports it (return_sequences=True): the input sequence
// unstacked into a list, the output list reserved with element shape [?, 4] and written at step i
// with the loop-carried state.
// CHECK-LABEL: func.func @rnn
// CHECK-NOT: TensorList
// CHECK: %[[SHAPE:.*]] = "tf.Shape"(%arg1) : (tensor<?x4xf32>) -> tensor<2xi32>
// CHECK: %[[DIMS:.*]] = "tf.ConcatV2"(%{{.*}}, %[[SHAPE]], %{{.*}}) : (tensor<1xi32>, tensor<2xi32>, tensor<i32>) -> tensor<3xi32>
// CHECK: %[[BUF:.*]] = "tf.Fill"(%[[DIMS]], %{{.*}}) : (tensor<3xi32>, tensor<f32>) -> tensor<3x?x4xf32>
// CHECK: %[[W:.*]]:4 = "tf.While"(%{{.*}}, %[[BUF]], %arg1, %arg0)
// CHECK-SAME: -> (tensor<i32>, tensor<3x?x4xf32>, tensor<?x4xf32>, tensor<3x?x4xf32>)
// CHECK: return %[[W]]#1 : tensor<3x?x4xf32>
// CHECK-LABEL: func.func private @body
// CHECK-SAME: (%arg0: tensor<i32>, %arg1: tensor<3x?x4xf32>, %arg2: tensor<?x4xf32>, %arg3: tensor<3x?x4xf32>)
// CHECK: %[[X:.*]] = "tf.GatherV2"(%arg3, %arg0, %{{.*}}) <{batch_dims = 0 : i64}> : (tensor<3x?x4xf32>, tensor<i32>, tensor<i32>) -> tensor<?x4xf32>
// CHECK: %[[H:.*]] = "tf.AddV2"(%arg2, %[[X]])
// CHECK: %[[U:.*]] = "tf.ExpandDims"(%[[H]], %{{.*}}) : (tensor<?x4xf32>, tensor<i32>) -> tensor<1x?x4xf32>
// CHECK: %[[OUT:.*]] = "tf.XlaDynamicUpdateSlice"(%arg1, %[[U]], %{{.*}}) : (tensor<3x?x4xf32>, tensor<1x?x4xf32>, tensor<3xi32>) -> tensor<3x?x4xf32>
// CHECK: return %{{.*}}, %[[OUT]], %[[H]], %arg3
// CHECK-LABEL: func.func private @cond
// CHECK-SAME: %arg1: tensor<3x?x4xf32>
func.func @rnn(%arg0: tensor<3x?x4xf32>, %arg1: tensor<?x4xf32>) -> tensor<3x?x4xf32> {
  %shape = "tf.Const"() {value = dense<[-1, 4]> : tensor<2xi32>} : () -> tensor<2xi32>
  %three = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %out = "tf.TensorListReserve"(%shape, %three) : (tensor<2xi32>, tensor<i32>) -> tensor<!tf_type.variant<tensor<?x4xf32>>>
  %in = "tf.TensorListFromTensor"(%arg0, %shape) : (tensor<3x?x4xf32>, tensor<2xi32>) -> tensor<!tf_type.variant<tensor<?x4xf32>>>
  %w:4 = "tf.While"(%zero, %out, %arg1, %in) {body = @body, cond = @cond, is_stateless = true, parallel_iterations = 1 : i64} : (tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>, tensor<!tf_type.variant<tensor<?x4xf32>>>) -> (tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>, tensor<!tf_type.variant<tensor<?x4xf32>>>)
  %stack = "tf.TensorListStack"(%w#1, %shape) {num_elements = 3 : i64} : (tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<2xi32>) -> tensor<3x?x4xf32>
  func.return %stack : tensor<3x?x4xf32>
}
func.func private @body(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant<tensor<?x4xf32>>>, %arg2: tensor<?x4xf32>, %arg3: tensor<!tf_type.variant<tensor<?x4xf32>>>) -> (tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>, tensor<!tf_type.variant<tensor<?x4xf32>>>) {
  %shape = "tf.Const"() {value = dense<[-1, 4]> : tensor<2xi32>} : () -> tensor<2xi32>
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %x = "tf.TensorListGetItem"(%arg3, %arg0, %shape) : (tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<i32>, tensor<2xi32>) -> tensor<?x4xf32>
  %h = "tf.AddV2"(%arg2, %x) : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %set = "tf.TensorListSetItem"(%arg1, %arg0, %h) : (tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<i32>, tensor<?x4xf32>) -> tensor<!tf_type.variant<tensor<?x4xf32>>>
  %i = "tf.AddV2"(%arg0, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  func.return %i, %set, %h, %arg3 : tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>, tensor<!tf_type.variant<tensor<?x4xf32>>>
}
func.func private @cond(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant<tensor<?x4xf32>>>, %arg2: tensor<?x4xf32>, %arg3: tensor<!tf_type.variant<tensor<?x4xf32>>>) -> tensor<i1> {
  %n = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %c = "tf.Less"(%arg0, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  func.return %c : tensor<i1>
}

// -----

// RUN: tflx-opt %s -split-input-file -decompose-dynamic-tensor-lists | filecheck %s
// return_sequences=False: a one-element list written at 0 each step is just the last state (no
// buffer update per step).
// CHECK-LABEL: func.func @last_output
// CHECK-NOT: TensorList
// CHECK: "tf.Fill"
// CHECK-LABEL: func.func private @body1
// CHECK-NOT: XlaDynamicUpdateSlice
// CHECK: %[[H:.*]] = "tf.AddV2"(%arg2,
// CHECK: %[[U:.*]] = "tf.ExpandDims"(%[[H]], %{{.*}}) : (tensor<?x4xf32>, tensor<i32>) -> tensor<1x?x4xf32>
// CHECK: return %{{.*}}, %[[U]], %[[H]], %arg3

func.func @last_output(%arg0: tensor<3x?x4xf32>, %arg1: tensor<?x4xf32>) -> tensor<1x?x4xf32> {
  %shape = "tf.Const"() {value = dense<[-1, 4]> : tensor<2xi32>} : () -> tensor<2xi32>
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %out = "tf.TensorListReserve"(%shape, %one) : (tensor<2xi32>, tensor<i32>) -> tensor<!tf_type.variant<tensor<?x4xf32>>>
  %in = "tf.TensorListFromTensor"(%arg0, %shape) : (tensor<3x?x4xf32>, tensor<2xi32>) -> tensor<!tf_type.variant<tensor<?x4xf32>>>
  %w:4 = "tf.While"(%zero, %out, %arg1, %in) {body = @body1, cond = @cond1, is_stateless = true, parallel_iterations = 1 : i64} : (tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>, tensor<!tf_type.variant<tensor<?x4xf32>>>) -> (tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>, tensor<!tf_type.variant<tensor<?x4xf32>>>)
  %stack = "tf.TensorListStack"(%w#1, %shape) {num_elements = 1 : i64} : (tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<2xi32>) -> tensor<1x?x4xf32>
  func.return %stack : tensor<1x?x4xf32>
}
func.func private @body1(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant<tensor<?x4xf32>>>, %arg2: tensor<?x4xf32>, %arg3: tensor<!tf_type.variant<tensor<?x4xf32>>>) -> (tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>, tensor<!tf_type.variant<tensor<?x4xf32>>>) {
  %shape = "tf.Const"() {value = dense<[-1, 4]> : tensor<2xi32>} : () -> tensor<2xi32>
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %x = "tf.TensorListGetItem"(%arg3, %arg0, %shape) : (tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<i32>, tensor<2xi32>) -> tensor<?x4xf32>
  %h = "tf.AddV2"(%arg2, %x) : (tensor<?x4xf32>, tensor<?x4xf32>) -> tensor<?x4xf32>
  %set = "tf.TensorListSetItem"(%arg1, %zero, %h) : (tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<i32>, tensor<?x4xf32>) -> tensor<!tf_type.variant<tensor<?x4xf32>>>
  %i = "tf.AddV2"(%arg0, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  func.return %i, %set, %h, %arg3 : tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>, tensor<!tf_type.variant<tensor<?x4xf32>>>
}
func.func private @cond1(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant<tensor<?x4xf32>>>, %arg2: tensor<?x4xf32>, %arg3: tensor<!tf_type.variant<tensor<?x4xf32>>>) -> tensor<i1> {
  %n = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %c = "tf.Less"(%arg0, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  func.return %c : tensor<i1>
}

// -----

// The list is read by an op this pass does not know (TensorListLength): left alone.
// CHECK-LABEL: func.func @unknown_use
// CHECK: tf.TensorListReserve
// CHECK: tf.TensorListLength
func.func @unknown_use(%arg0: tensor<?x4xf32>) -> tensor<i32> {
  %shape = "tf.Const"() {value = dense<[-1, 4]> : tensor<2xi32>} : () -> tensor<2xi32>
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %out = "tf.TensorListReserve"(%shape, %one) : (tensor<2xi32>, tensor<i32>) -> tensor<!tf_type.variant<tensor<?x4xf32>>>
  %w:3 = "tf.While"(%zero, %out, %arg0) {body = @body2, cond = @cond2, is_stateless = true, parallel_iterations = 1 : i64} : (tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>) -> (tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>)
  %len = "tf.TensorListLength"(%w#1) : (tensor<!tf_type.variant<tensor<?x4xf32>>>) -> tensor<i32>
  func.return %len : tensor<i32>
}
func.func private @body2(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant<tensor<?x4xf32>>>, %arg2: tensor<?x4xf32>) -> (tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>) {
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %set = "tf.TensorListSetItem"(%arg1, %zero, %arg2) : (tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<i32>, tensor<?x4xf32>) -> tensor<!tf_type.variant<tensor<?x4xf32>>>
  func.return %arg0, %set, %arg2 : tensor<i32>, tensor<!tf_type.variant<tensor<?x4xf32>>>, tensor<?x4xf32>
}
func.func private @cond2(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant<tensor<?x4xf32>>>, %arg2: tensor<?x4xf32>) -> tensor<i1> {
  %n = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %c = "tf.Less"(%arg0, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  func.return %c : tensor<i1>
}

// -----

// A static element shape (fixed batch): the buffer is a constant-shaped Fill, no Shape op.
// CHECK-LABEL: func.func @static_elements
// CHECK-NOT: TensorList
// CHECK-NOT: tf.Shape
// CHECK: "tf.Fill"(%{{.*}}, %{{.*}}) : (tensor<3xi32>, tensor<f32>) -> tensor<3x1x4xf32>
// CHECK-LABEL: func.func private @body3
// CHECK: "tf.XlaDynamicUpdateSlice"(%arg1, %{{.*}}, %{{.*}}) : (tensor<3x1x4xf32>, tensor<1x1x4xf32>, tensor<3xi32>) -> tensor<3x1x4xf32>
func.func @static_elements(%arg0: tensor<1x4xf32>) -> tensor<3x1x4xf32> {
  %shape = "tf.Const"() {value = dense<[1, 4]> : tensor<2xi32>} : () -> tensor<2xi32>
  %three = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %zero = "tf.Const"() {value = dense<0> : tensor<i32>} : () -> tensor<i32>
  %out = "tf.TensorListReserve"(%shape, %three) : (tensor<2xi32>, tensor<i32>) -> tensor<!tf_type.variant<tensor<1x4xf32>>>
  %w:3 = "tf.While"(%zero, %out, %arg0) {body = @body3, cond = @cond3, is_stateless = true, parallel_iterations = 1 : i64} : (tensor<i32>, tensor<!tf_type.variant<tensor<1x4xf32>>>, tensor<1x4xf32>) -> (tensor<i32>, tensor<!tf_type.variant<tensor<1x4xf32>>>, tensor<1x4xf32>)
  %stack = "tf.TensorListStack"(%w#1, %shape) {num_elements = 3 : i64} : (tensor<!tf_type.variant<tensor<1x4xf32>>>, tensor<2xi32>) -> tensor<3x1x4xf32>
  func.return %stack : tensor<3x1x4xf32>
}
func.func private @body3(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant<tensor<1x4xf32>>>, %arg2: tensor<1x4xf32>) -> (tensor<i32>, tensor<!tf_type.variant<tensor<1x4xf32>>>, tensor<1x4xf32>) {
  %one = "tf.Const"() {value = dense<1> : tensor<i32>} : () -> tensor<i32>
  %h = "tf.AddV2"(%arg2, %arg2) : (tensor<1x4xf32>, tensor<1x4xf32>) -> tensor<1x4xf32>
  %set = "tf.TensorListSetItem"(%arg1, %arg0, %h) : (tensor<!tf_type.variant<tensor<1x4xf32>>>, tensor<i32>, tensor<1x4xf32>) -> tensor<!tf_type.variant<tensor<1x4xf32>>>
  %i = "tf.AddV2"(%arg0, %one) : (tensor<i32>, tensor<i32>) -> tensor<i32>
  func.return %i, %set, %h : tensor<i32>, tensor<!tf_type.variant<tensor<1x4xf32>>>, tensor<1x4xf32>
}
func.func private @cond3(%arg0: tensor<i32>, %arg1: tensor<!tf_type.variant<tensor<1x4xf32>>>, %arg2: tensor<1x4xf32>) -> tensor<i1> {
  %n = "tf.Const"() {value = dense<3> : tensor<i32>} : () -> tensor<i32>
  %c = "tf.Less"(%arg0, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
  func.return %c : tensor<i1>
}
