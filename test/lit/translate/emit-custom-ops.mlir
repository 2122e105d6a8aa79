// RUN: tflx-translate -mlir-to-tflite-flatbuffer -emit-select-tf-ops -emit-custom-ops %s -o %t.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir %t.tflite | filecheck %s
// RUN: not tflx-translate -mlir-to-tflite-flatbuffer -emit-select-tf-ops %s -o %t.no.tflite 2>&1 | filecheck %s --check-prefix=NOCUSTOM

// MatrixSquareRoot is not in TF's Flex allow-list: -emit-custom-ops writes a plain custom op named
// after it, its attributes a FlexBuffer map (T as TFLite's FLOAT32 = 0: the bytes stock writes
// for tf.linalg.sqrtm; an op type TF's dialect does not define keeps its attributes, as imported).
// CHECK: "tfl.custom"(%arg0) <{custom_code = "MatrixSquareRoot", custom_option = #tfl<const_bytes : "0x540001030101010004022401">}>
// CHECK-NOT: FlexMatrixSquareRoot

// NOCUSTOM: tflx: error: {{.*}}op 'tf.MatrixSquareRoot': no TFLite builtin for this op; it is not in the Flex allow-list: -emit-custom-ops writes it
func.func @main(%arg0: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0 = "tf.MatrixSquareRoot"(%arg0) {T = f32} : (tensor<3x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}
