// RUN: tflx-translate -mlir-to-tflite-flatbuffer %s -o %t.1.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir %t.1.tflite -o %t.1.mlir
// RUN: tflx-translate -mlir-to-tflite-flatbuffer %t.1.mlir -o %t.2.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir %t.2.tflite | filecheck %s

// A .tflite read back holds its constants as tfl.pseudo_const (as flatbuffer_translate prints
// them); writing that IR again must work (they are buffers, not ops needing a builtin), so files
// survive a second round trip.
// CHECK: "tfl.pseudo_const"() <{value = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>}>
// CHECK: tfl.add
func.func @main(%arg0: tensor<3xf32>) -> tensor<3xf32> {
  %cst = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = tfl.add %arg0, %cst {fused_activation_function = "NONE"} : tensor<3xf32>
  return %0 : tensor<3xf32>
}
