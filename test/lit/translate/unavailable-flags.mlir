// RUN: not tflx-translate -mlir-to-tflite-flatbuffer --use-buffer-offset %s 2>&1 | filecheck %s
// RUN: not tflx-translate -mlir-to-tflite-flatbuffer --serialize-debug-metadata %s 2>&1 | filecheck %s --check-prefix=META

// flatbuffer_translate flags litert-converter's exporter has no option for: a one-line refusal,
// not a silently different file.
// CHECK: tflx: error: option '-use-buffer-offset' is not available: litert-converter 0.5.0's flatbuffer exporter takes no options
// META: tflx: error: option '-serialize-debug-metadata' is not available
func.func @main(%arg0: tensor<4xf32>) -> tensor<4xf32> {
  return %arg0 : tensor<4xf32>
}
