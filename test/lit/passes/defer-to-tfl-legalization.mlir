// RUN: tflx-opt %s -defer-to-tfl-legalization | filecheck %s --check-prefix=HIDE
// RUN: tflx-opt %s -defer-to-tfl-legalization -restore-deferred-ops | filecheck %s --check-prefix=BACK

// ResizeBilinear is hidden from tf-stablehlo (whose lowering computes wrong values) under a
// name TF passes through untouched, then renamed back for litert's TF -> TFL legalization.
// HIDE-LABEL: func.func @resize
// HIDE: "tf.TflxDeferredResizeBilinear"(%arg0, %{{.*}}) {align_corners = false, half_pixel_centers = true}
// HIDE-NOT: "tf.ResizeBilinear"
// BACK-LABEL: func.func @resize
// BACK: "tf.ResizeBilinear"(%arg0, %{{.*}}) <{align_corners = false, half_pixel_centers = true}>
// BACK-NOT: TflxDeferred
func.func @resize(%arg0: tensor<1x3x5x2xf32>) -> tensor<1x6x10x2xf32> {
  %size = "tf.Const"() <{value = dense<[6, 10]> : tensor<2xi32>}> : () -> tensor<2xi32>
  %0 = "tf.ResizeBilinear"(%arg0, %size) <{align_corners = false, half_pixel_centers = true}> : (tensor<1x3x5x2xf32>, tensor<2xi32>) -> tensor<1x6x10x2xf32>
  return %0 : tensor<1x6x10x2xf32>
}

// Ops not on the list are left for tf-stablehlo.
// HIDE-LABEL: func.func @not_deferred
// HIDE: "tf.Relu"
func.func @not_deferred(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "tf.Relu"(%arg0) : (tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}
