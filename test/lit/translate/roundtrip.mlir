// RUN: tflx-translate -mlir-to-tflite-flatbuffer %s -o %t.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir %t.tflite | filecheck %s
// RUN: tflx-translate -mlir-to-tflite-flatbuffer %s -o - | tflx-translate -tflite-flatbuffer-to-mlir - -o - | filecheck %s
// RUN: tflx-translate -mlir-to-tflite-flatbuffer < %s | tflx-translate -tflite-flatbuffer-to-mlir | filecheck %s

// MLIR (TFL dialect) -> .tflite -> MLIR, through files and through binary pipes.

// CHECK: module attributes {tfl.description = "MLIR Converted."
// CHECK-SAME: tfl.schema_version = 3 : i32
// CHECK: func.func @main(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32>
// CHECK-SAME: tf.entry_function = {inputs = "arg0", outputs = "tfl.tanh"}
// CHECK-NEXT: %[[C:.*]] = "tfl.pseudo_const"() <{value = dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]]> : tensor<1x4xf32>}>
// CHECK-NEXT: %[[A:.*]] = tfl.add %arg0, %[[C]] {fused_activation_function = "RELU6"} : tensor<1x4xf32>
// CHECK-NEXT: %[[T:.*]] = "tfl.tanh"(%[[A]]) : (tensor<1x4xf32>) -> tensor<1x4xf32>
// CHECK-NEXT: return %[[T]] : tensor<1x4xf32>

func.func @main(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %cst = arith.constant dense<[[1.0, 2.0, 3.0, 4.0]]> : tensor<1x4xf32>
  %0 = tfl.add %arg0, %cst {fused_activation_function = "RELU6"} : tensor<1x4xf32>
  %1 = "tfl.tanh"(%0) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %1 : tensor<1x4xf32>
}
