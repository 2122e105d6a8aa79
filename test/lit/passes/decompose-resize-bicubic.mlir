// RUN: tflx-opt %s -split-input-file -decompose-resize-bicubic | filecheck %s

// Static sizes: two batch matmuls with TF's own interpolation matrices ([w, W] across, [h, H] down).
// CHECK-LABEL: func.func @resize
// CHECK-NOT: tf.ResizeBicubic
// CHECK: %[[WW:.*]] = "tf.Const"() <{value = dense<{{.*}}> : tensor<9x5xf32>}>
// CHECK: "tf.BatchMatMulV2"(%[[WW]], %{{.*}}) : (tensor<9x5xf32>, tensor<8x5x3xf32>) -> tensor<8x9x3xf32>
// CHECK: %[[WH:.*]] = "tf.Const"() <{value = dense<{{.*}}> : tensor<7x4xf32>}>
// CHECK: "tf.BatchMatMulV2"(%[[WH]], %{{.*}}) : (tensor<7x4xf32>, tensor<2x4x27xf32>) -> tensor<2x7x27xf32>
// CHECK: "tf.Reshape"({{.*}}) : (tensor<2x7x27xf32>, tensor<4xi64>) -> tensor<2x7x9x3xf32>
func.func @resize(%x: tensor<2x4x5x3xf32>) -> tensor<2x7x9x3xf32> {
  %size = "tf.Const"() {value = dense<[7, 9]> : tensor<2xi32>} : () -> tensor<2xi32>
  %0 = "tf.ResizeBicubic"(%x, %size) {align_corners = false, half_pixel_centers = true} : (tensor<2x4x5x3xf32>, tensor<2xi32>) -> tensor<2x7x9x3xf32>
  func.return %0 : tensor<2x7x9x3xf32>
}

// -----

// A dynamic batch or image size: left for the user (or Flex).
// CHECK-LABEL: func.func @dynamic
// CHECK: tf.ResizeBicubic
func.func @dynamic(%x: tensor<?x4x5x3xf32>) -> tensor<?x7x9x3xf32> {
  %size = "tf.Const"() {value = dense<[7, 9]> : tensor<2xi32>} : () -> tensor<2xi32>
  %0 = "tf.ResizeBicubic"(%x, %size) {align_corners = false, half_pixel_centers = true} : (tensor<?x4x5x3xf32>, tensor<2xi32>) -> tensor<?x7x9x3xf32>
  func.return %0 : tensor<?x7x9x3xf32>
}
