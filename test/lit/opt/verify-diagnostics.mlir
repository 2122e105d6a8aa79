// RUN: tflx-opt %s -split-input-file -verify-diagnostics -canonicalize | filecheck %s

// Errors on bad ops are expected, so the run passes; chunks that fail print nothing, the
// others print as usual.

// expected-error@+2 {{not broadcast compatible}}
func.func @bad_add(%arg0: tensor<2xf32>) -> tensor<3xf32> {
  %0 = "tfl.add"(%arg0, %arg0) {fused_activation_function = "NONE"} : (tensor<2xf32>, tensor<2xf32>) -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

// CHECK-LABEL: func.func @good
// CHECK-NOT: func.func @bad
func.func @good(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 : tensor<2xf32>
}

// -----

func.func @bad_reshape(%arg0: tensor<1x4xf32>) -> tensor<3x3xf32> {
  %shape = arith.constant dense<[3, 3]> : tensor<2xi32>
  %0 = "tfl.reshape"(%arg0, %shape) : (tensor<1x4xf32>, tensor<2xi32>) -> tensor<3x3xf32>
  // expected-error@-1 {{requires 'output' number of elements to match 'input' number of elements, but got 9 and 4}}
  return %0 : tensor<3x3xf32>
}
