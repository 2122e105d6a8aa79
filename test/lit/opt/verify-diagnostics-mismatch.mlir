// RUN: not tflx-opt %s -verify-diagnostics 2>&1 | filecheck %s

// An expectation that is not met, and an error nobody expected, both fail the run.

// CHECK-DAG: verify-diagnostics-mismatch.mlir:[[# @LINE + 3]]:{{[0-9]+}}: error: unexpected error: 'tfl.add' op result type '3' not broadcast compatible
// CHECK-DAG: verify-diagnostics-mismatch.mlir:[[# @LINE + 3]]: error: expected error "some other message" was not produced
func.func @bad_add(%arg0: tensor<2xf32>) -> tensor<3xf32> {
  %0 = "tfl.add"(%arg0, %arg0) {fused_activation_function = "NONE"} : (tensor<2xf32>, tensor<2xf32>) -> tensor<3xf32>
  // expected-error@-1 {{some other message}}
  return %0 : tensor<3xf32>
}
