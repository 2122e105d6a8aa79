// RUN: not tflx-translate -mlir-to-tflite-flatbuffer -emit-builtin-tflite-ops=false %s -o %t.tflite 2>&1 | filecheck %s
// RUN: not test -e %t.tflite
// RUN: tflx-translate -mlir-to-tflite-flatbuffer -emit-builtin-tflite-ops=true %s -o %t.ok.tflite
// RUN: not tflx-translate -mlir-to-tflite-flatbuffer -emit-builtin-tflite-ops=maybe %s 2>&1 | filecheck %s --check-prefix=BAD

// Builtin emission off: a builtin op is an error at its line, as flatbuffer_translate says it.
// CHECK: tflx: error: {{.*}}emit-builtin-tflite-ops.mlir:11:8: 'tfl.add' op is a TFLite builtin op but builtin emission is not enabled
// CHECK-NOT: Traceback
// BAD: tflx: error: option '-emit-builtin-tflite-ops=maybe': expected true or false
func.func @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  %0 = tfl.add %arg0, %arg0 {fused_activation_function = "NONE"} : tensor<4xf32>
  return %0 : tensor<4xf32>
}
