// RUN: not tflx-opt %s -tfl-optimise 2>&1 | filecheck %s
// RUN: not tflx-opt %s --pass-pipeline='builtin.module(fold-identity-reshap)' 2>&1 | filecheck %s --check-prefix=TFLX

// An unknown pass is one line naming it, with the closest known names; nothing is printed.

// CHECK: tflx: error: unknown pass 'tfl-optimise'; did you mean 'tfl-optimize'
// CHECK-NOT: module
// TFLX: tflx: error: unknown pass 'fold-identity-reshap'; did you mean 'fold-identity-reshape'

func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 : tensor<2xf32>
}
