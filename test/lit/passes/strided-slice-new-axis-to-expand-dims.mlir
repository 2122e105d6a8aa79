// RUN: tflx-opt %s -split-input-file -strided-slice-new-axis-to-expand-dims | filecheck %s

// Keras' causal attention mask: mask[None, None, :, :] on a dynamic [?, ?] tensor.
// CHECK-LABEL: func.func @new_axes
// CHECK-NOT: tf.StridedSlice
// CHECK: %[[A:.*]] = "tf.ExpandDims"(%arg0, %{{.*}}) : (tensor<?x?xi1>, tensor<i32>) -> tensor<1x?x?xi1>
// CHECK: %[[B:.*]] = "tf.ExpandDims"(%[[A]], %{{.*}}) : (tensor<1x?x?xi1>, tensor<i32>) -> tensor<1x1x?x?xi1>
// CHECK: return %[[B]]
func.func @new_axes(%arg0: tensor<?x?xi1>) -> tensor<1x1x?x?xi1> {
  %z = "tf.Const"() {value = dense<0> : tensor<4xi32>} : () -> tensor<4xi32>
  %s = "tf.Const"() {value = dense<1> : tensor<4xi32>} : () -> tensor<4xi32>
  %0 = "tf.StridedSlice"(%arg0, %z, %z, %s) {begin_mask = 12 : i64, ellipsis_mask = 0 : i64, end_mask = 12 : i64, new_axis_mask = 3 : i64, shrink_axis_mask = 0 : i64} : (tensor<?x?xi1>, tensor<4xi32>, tensor<4xi32>, tensor<4xi32>) -> tensor<1x1x?x?xi1>
  func.return %0 : tensor<1x1x?x?xi1>
}

// -----

// x[:, None]: the new axis between two whole dims.
// CHECK-LABEL: func.func @middle_axis
// CHECK: "tf.ExpandDims"(%arg0, %{{.*}}) : (tensor<?x3xf32>, tensor<i32>) -> tensor<?x1x3xf32>
func.func @middle_axis(%arg0: tensor<?x3xf32>) -> tensor<?x1x3xf32> {
  %z = "tf.Const"() {value = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %s = "tf.Const"() {value = dense<1> : tensor<2xi32>} : () -> tensor<2xi32>
  %0 = "tf.StridedSlice"(%arg0, %z, %z, %s) {begin_mask = 1 : i64, ellipsis_mask = 0 : i64, end_mask = 1 : i64, new_axis_mask = 2 : i64, shrink_axis_mask = 0 : i64} : (tensor<?x3xf32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) -> tensor<?x1x3xf32>
  func.return %0 : tensor<?x1x3xf32>
}

// -----

// A real slice next to the new axis (x[None, 1:]) is left alone.
// CHECK-LABEL: func.func @slices_too
// CHECK: tf.StridedSlice
// CHECK-NOT: tf.ExpandDims
func.func @slices_too(%arg0: tensor<?xf32>) -> tensor<1x?xf32> {
  %b = "tf.Const"() {value = dense<[0, 1]> : tensor<2xi32>} : () -> tensor<2xi32>
  %e = "tf.Const"() {value = dense<0> : tensor<2xi32>} : () -> tensor<2xi32>
  %s = "tf.Const"() {value = dense<1> : tensor<2xi32>} : () -> tensor<2xi32>
  %0 = "tf.StridedSlice"(%arg0, %b, %e, %s) {begin_mask = 0 : i64, ellipsis_mask = 0 : i64, end_mask = 2 : i64, new_axis_mask = 1 : i64, shrink_axis_mask = 0 : i64} : (tensor<?xf32>, tensor<2xi32>, tensor<2xi32>, tensor<2xi32>) -> tensor<1x?xf32>
  func.return %0 : tensor<1x?xf32>
}
