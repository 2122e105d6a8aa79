// tflx-stage: tfl-opt
// RUN: tflx reduce %s --pipeline convert --error "op 'tf\.MatrixSquareRoot'" -q | filecheck %s

// Everything but the op the export fails on goes: its input becomes a function argument, the
// ops around it are removed or bypassed, the signature attributes follow the new arguments.
// CHECK:      // tflx-stage: tfl-opt
// CHECK:      func.func @serving_default({{.*}}tflx.signature_inputs = ["tflx_reduce_arg{{[0-9]+}}"{{.*}}]
// CHECK-NOT:  tfl.add
// CHECK-NOT:  tfl.mul
// CHECK:      "tfl.custom_tf"(%arg{{[0-9]}})
// CHECK:      "tf.MatrixSquareRoot"
// CHECK-NOT:  tfl.sub
// CHECK:      return

func.func @serving_default(%arg0: tensor<3x3xf32>) -> tensor<3x3xf32> attributes {tflx.signature_key = "serving_default", tflx.signature_inputs = ["x"], tflx.signature_outputs = ["y"], tflx.input_tensor_names = ["x:0"], tflx.output_tensor_names = ["y:0"]} {
  %0 = tfl.add %arg0, %arg0 {fused_activation_function = "NONE"} : tensor<3x3xf32>
  %1 = tfl.mul %0, %0 {fused_activation_function = "NONE"} : tensor<3x3xf32>
  %2 = tfl.add %1, %arg0 {fused_activation_function = "RELU"} : tensor<3x3xf32>
  %3 = tfl.mul %2, %1 {fused_activation_function = "NONE"} : tensor<3x3xf32>
  %4 = "tfl.custom_tf"(%3) ({
  ^bb0(%arg1: tensor<3x3xf32>):
    %5 = "tf.MatrixSquareRoot"(%arg1) {T = f32} : (tensor<3x3xf32>) -> tensor<3x3xf32>
    "tfl.yield"(%5) : (tensor<3x3xf32>) -> ()
  }) : (tensor<3x3xf32>) -> tensor<3x3xf32>
  %6 = tfl.sub %4, %3 {fused_activation_function = "NONE"} : tensor<3x3xf32>
  %7 = tfl.mul %6, %0 {fused_activation_function = "NONE"} : tensor<3x3xf32>
  return %7 : tensor<3x3xf32>
}
