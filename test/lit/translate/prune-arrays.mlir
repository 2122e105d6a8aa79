// RUN: tflx-translate -mlir-to-tflite-flatbuffer %s -o %t.tflite
// RUN: tflx-translate -tflite-flatbuffer-to-mlir -output-arrays=sum %t.tflite | filecheck %s --check-prefix=OUT
// RUN: tflx-translate -tflite-flatbuffer-to-mlir -input-arrays=sum -output-arrays=out %t.tflite | filecheck %s --check-prefix=MID
// RUN: not tflx-translate -tflite-flatbuffer-to-mlir -output-arrays=nope %t.tflite 2>&1 | filecheck %s --check-prefix=NOPE
// RUN: not tflx-translate -mlir-to-tflite-flatbuffer -output-arrays=sum %s 2>&1 | filecheck %s --check-prefix=DIR

// -output-arrays keeps what the named tensors need; -input-arrays makes a tensor an argument.
// OUT: func.func @main(%arg0: tensor<4xf32>) -> tensor<4xf32> attributes {tf.entry_function = {inputs = "x", outputs = "sum"}}
// OUT-NEXT: tfl.add
// OUT-NEXT: return
// MID: func.func @main(%arg0: tensor<4xf32>) -> tensor<4xf32> attributes {tf.entry_function = {inputs = "sum", outputs = "out"}}
// MID-NEXT: "tfl.tanh"(%arg0)
// MID-NEXT: return
// NOPE: tflx: error: no tensor named 'nope' in the model (tensor names: {{.*}}sum
// DIR: tflx: error: option '-output-arrays' applies to the other direction
func.func @main(%arg0: tensor<4xf32>) -> tensor<4xf32> attributes {tf.entry_function = {inputs = "x", outputs = "out"}} {
  %0 = tfl.add %arg0, %arg0 {fused_activation_function = "NONE"} : tensor<4xf32> loc("sum")
  %1 = "tfl.tanh"(%0) : (tensor<4xf32>) -> tensor<4xf32> loc("out")
  return %1 : tensor<4xf32>
}
