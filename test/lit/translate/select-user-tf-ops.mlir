// RUN: tflx-translate -mlir-to-tflite-flatbuffer -select-user-tf-ops=MatrixSquareRoot %s -o %t.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir %t.tflite | filecheck %s

// -select-user-tf-ops admits an op type the Flex allow-list does not (the app links its kernel).
// CHECK: "tfl.custom"(%arg0) <{custom_code = "FlexMatrixSquareRoot"
func.func @main(%arg0: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %0 = "tf.MatrixSquareRoot"(%arg0) : (tensor<3x3xf32>) -> tensor<3x3xf32>
  return %0 : tensor<3x3xf32>
}
