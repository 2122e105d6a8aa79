// RUN: tflx-translate -mlir-to-tflite-flatbuffer %s -o %t.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir %t.tflite | filecheck %s --check-prefix=KEEP
// RUN: tflx-translate -mlir-to-tflite-flatbuffer -strip-debug-info %s -o %t.stripped.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir %t.stripped.tflite | filecheck %s --check-prefix=STRIP

// Tensor names come from locations; -strip-debug-info drops them (names from op names instead).
// KEEP: outputs = "my_sum"
// STRIP-NOT: my_sum
// STRIP: outputs = "tfl.add"
func.func @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tfl.add %arg0, %arg0 {fused_activation_function = "NONE"} : tensor<4xf32> loc("my_sum")
  return %0 : tensor<4xf32>
}
