// RUN: tflx-translate -mlir-to-tflite-flatbuffer -emit-select-tf-ops %s -o %t.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir %t.tflite | filecheck %s
// RUN: not tflx-translate -mlir-to-tflite-flatbuffer %s -o %t.no.tflite 2>&1 | filecheck %s --check-prefix=NOFLAG
// RUN: not test -e %t.no.tflite

// A TF op left in TFL IR: with -emit-select-tf-ops it is written as the Flex op FlexDiv
// (options: FlexBuffer [op name, NodeDef]), the builtin stays a builtin.
// CHECK: "tfl.custom"(%arg0, %arg1) <{custom_code = "FlexDiv", custom_option = #tfl<const_bytes : "0x{{[0-9A-F]+}}">}>
// CHECK: tfl.add

// Without it: one line naming the op and the flag.
// NOFLAG: tflx: error: {{.*}}op 'tf.Div': no TFLite builtin for this op.{{.*}}--select-tf-ops keeps tf.Div as Flex ops
// NOFLAG-NOT: Traceback
func.func @main(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32> {
  %0 = "tf.Div"(%arg0, %arg1) : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = tfl.add %0, %arg1 {fused_activation_function = "NONE"} : tensor<4xf32>
  return %1 : tensor<4xf32>
}
