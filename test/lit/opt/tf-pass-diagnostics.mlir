// RUN: tflx-opt %s -tf-verify-for-export -verify-diagnostics
// RUN: not tflx-opt %s -tf-verify-for-export 2>&1 | filecheck %s

// A failing TensorFlow pass: its errors come back as text and are mapped to the input's
// lines, for -verify-diagnostics and for the one-line error alike.

// CHECK: tflx: error: pass 'tf-verify-for-export': {{.*}}tf-pass-diagnostics.mlir:[[# @LINE + 5]]:10: functions must be of a single Graph

module {
  func.func @main(%arg0: tensor<2xf32>) -> tensor<2xf32> {
    // expected-error@+1 {{first op in function is not a tf_executor.graph}}
    %0 = "tf.Relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
    return %0 : tensor<2xf32>
  }
}
