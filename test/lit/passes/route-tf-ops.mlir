// RUN: tflx-opt %s -split-input-file -route-tf-ops | filecheck %s --check-prefix=AUTO
// RUN: tflx-opt %s -split-input-file -route-tf-ops=route=stablehlo | filecheck %s --check-prefix=SHLO
// RUN: tflx-opt %s -split-input-file --pass-pipeline='builtin.module(route-tf-ops{route=direct})' | filecheck %s --check-prefix=DIRECT
// RUN: tflx-opt %s -split-input-file -route-tf-ops=ops=MatMul:stablehlo,Acos:direct | filecheck %s --check-prefix=OPS
// RUN: tflx-opt %s -split-input-file -route-tf-ops -restore-routed-ops | filecheck %s --check-prefix=BACK

// Mixed IR: a dense layer (stock's lowering is best), an op TFLite has no builtin for (the route
// table sends it through StableHLO) and a resize (StableHLO's lowering computes wrong values:
// never through StableHLO, whatever the mode). Constants are never hidden.

// AUTO-LABEL: func.func @mixed
// AUTO: "tf.Const"
// AUTO: "tf.TflxDirect.MatMul"
// AUTO: "tf.TflxDirect.BiasAdd"
// AUTO: "tf.Acos"
// AUTO: "tf.TflxDirect.ResizeBilinear"
// SHLO-LABEL: func.func @mixed
// SHLO: "tf.MatMul"
// SHLO: "tf.BiasAdd"
// SHLO: "tf.Acos"
// SHLO: "tf.TflxDirect.ResizeBilinear"
// DIRECT-LABEL: func.func @mixed
// DIRECT: "tf.TflxDirect.MatMul"
// DIRECT: "tf.TflxDirect.BiasAdd"
// DIRECT: "tf.TflxDirect.Acos"
// DIRECT: "tf.TflxDirect.ResizeBilinear"
// OPS-LABEL: func.func @mixed
// OPS: "tf.MatMul"
// OPS: "tf.TflxDirect.BiasAdd"
// OPS: "tf.TflxDirect.Acos"
// BACK-LABEL: func.func @mixed
// BACK-NOT: TflxDirect
// BACK: "tf.MatMul"(%arg0, %{{.*}}) <{transpose_a = false, transpose_b = false}>
// BACK: "tf.ResizeBilinear"(%arg2, %{{.*}}) <{align_corners = false, half_pixel_centers = true}>
func.func @mixed(%arg0: tensor<1x4xf32>, %arg1: tensor<3xf32>, %arg2: tensor<1x2x2x1xf32>) -> (tensor<1x3xf32>, tensor<3xf32>, tensor<1x4x4x1xf32>) {
  %w = "tf.Const"() {value = dense<1.0> : tensor<4x3xf32>} : () -> tensor<4x3xf32>
  %b = "tf.Const"() {value = dense<0.5> : tensor<3xf32>} : () -> tensor<3xf32>
  %size = "tf.Const"() {value = dense<4> : tensor<2xi32>} : () -> tensor<2xi32>
  %0 = "tf.MatMul"(%arg0, %w) {transpose_a = false, transpose_b = false} : (tensor<1x4xf32>, tensor<4x3xf32>) -> tensor<1x3xf32>
  %1 = "tf.BiasAdd"(%0, %b) : (tensor<1x3xf32>, tensor<3xf32>) -> tensor<1x3xf32>
  %2 = "tf.Acos"(%arg1) : (tensor<3xf32>) -> tensor<3xf32>
  %3 = "tf.ResizeBilinear"(%arg2, %size) {align_corners = false, half_pixel_centers = true} : (tensor<1x2x2x1xf32>, tensor<2xi32>) -> tensor<1x4x4x1xf32>
  func.return %1, %2, %3 : tensor<1x3xf32>, tensor<3xf32>, tensor<1x4x4x1xf32>
}
