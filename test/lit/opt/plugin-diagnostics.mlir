// RUN: tflx-opt %s --plugin=%S/Inputs/flag_tanh_plugin.py -test-flag-tanh -verify-diagnostics
// RUN: not tflx-opt %s --plugin=%S/Inputs/flag_tanh_plugin.py -test-flag-tanh 2>&1 | filecheck %s

// A plugin's passes run in tflx-opt. Diagnostics a pass emits without failing reach the
// context's handler: -verify-diagnostics matches them; otherwise they are printed and the
// run fails.

// CHECK: plugin-diagnostics.mlir:[[# @LINE + 6]]:8: error: tfl.tanh is flagged by the test plugin
// CHECK: tflx: error: 1 error reported (the passes themselves did not fail)
// CHECK-NOT: module

func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  // expected-error@+1 {{flagged by the test plugin}}
  %0 = "tfl.tanh"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
