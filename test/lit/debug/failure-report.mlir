// tflx-stage: tfl-opt
// RUN: rm -rf %t && not tflx convert --resume-from %s -o %t/m.tflite --repro-dir %t 2>&1 | filecheck %s
// RUN: filecheck --check-prefix=REPRO %s < %t/repro.mlir
// RUN: not tflx convert --resume-from %t/repro.mlir --stop-after flatbuffer -o %t/again.tflite 2>&1 \
// RUN:   | filecheck --check-prefix=AGAIN %s

// A leftover TF op fails the export. The one-line error comes first, then the report: the
// failing op, the IR before the failing step with the op marked, and the command to rerun.
// CHECK: tflx: error: stage 'flatbuffer', op 'tf.MatrixSquareRoot': no TFLite builtin
// CHECK-NEXT: failure report:
// CHECK-NEXT:   failed in   stage 'flatbuffer'
// CHECK:      failing op(s):
// CHECK-NEXT:   tf.MatrixSquareRoot  at unknown source
// CHECK:      IR right before the failing step (stage 'tfl-opt'):
// CHECK:      > {{ +}}[[LINE:[0-9]+]] | {{.*}}"tf.MatrixSquareRoot"(%arg1)
// CHECK:      reproduce with:
// CHECK-NEXT:   {{.*}}convert --resume-from {{.*}}repro.mlir --stop-after flatbuffer -o {{.*}}repro-out.tflite

// repro.mlir is the module before the export, with its stage header.
// REPRO: // tflx-stage: tfl-opt
// REPRO: "tfl.custom_tf"
// REPRO: "tf.MatrixSquareRoot"

// AGAIN: tflx: error: stage 'flatbuffer', op 'tf.MatrixSquareRoot': no TFLite builtin

func.func @serving_default(%arg0: tensor<3x3xf32>) -> tensor<3x3xf32> attributes {tflx.signature_key = "serving_default", tflx.signature_inputs = ["x"], tflx.signature_outputs = ["y"], tflx.input_tensor_names = ["x:0"], tflx.output_tensor_names = ["y:0"]} {
  %0 = tfl.add %arg0, %arg0 {fused_activation_function = "NONE"} : tensor<3x3xf32>
  %1 = "tfl.custom_tf"(%0) ({
  ^bb0(%arg1: tensor<3x3xf32>):
    %2 = "tf.MatrixSquareRoot"(%arg1) {T = f32} : (tensor<3x3xf32>) -> tensor<3x3xf32>
    "tfl.yield"(%2) : (tensor<3x3xf32>) -> ()
  }) : (tensor<3x3xf32>) -> tensor<3x3xf32>
  return %1 : tensor<3x3xf32>
}
