// RUN: tflx-translate %s -mlir-to-tflite-flatbuffer -o %t.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir %t.tflite | filecheck %s

// A functional tf.If (tf.cond) left for the exporter, as the stock converter leaves it: written as
// IF with the branch functions as subgraphs (the reader gives an IF back as tf.If naming them).
// CHECK: func.func @main
// CHECK: "tf.If"(%arg0, %arg1) <{else_branch = @minus_one, {{.*}}then_branch = @twice}>
// CHECK: func.func private @twice
// CHECK-NEXT: tfl.mul
// CHECK: func.func private @minus_one
// CHECK-NEXT: tfl.sub
func.func @main(%arg0: tensor<i1>, %arg1: tensor<2xf32>) -> tensor<2xf32> attributes {tf.entry_function = {inputs = "p,t", outputs = "y"}} {
  %0 = "tf.If"(%arg0, %arg1) {else_branch = @minus_one, then_branch = @twice, is_stateless = true} : (tensor<i1>, tensor<2xf32>) -> tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
func.func private @twice(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = tfl.mul %arg0, %arg0 {fused_activation_function = "NONE"} : tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
func.func private @minus_one(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = tfl.sub %arg0, %arg0 {fused_activation_function = "NONE"} : tensor<2xf32>
  func.return %0 : tensor<2xf32>
}
