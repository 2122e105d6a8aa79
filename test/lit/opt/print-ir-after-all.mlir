// RUN: tflx-opt %s -fold-identity-reshape -tfl-optimize --mlir-print-ir-after-all 2>&1 >/dev/null | filecheck %s

// One dump per pass, on stderr, with mlir-opt's header; tflx passes and litert passes alike.

// CHECK: // -----// IR Dump After FoldIdentityReshape: fold-identity-reshape //----- //
// CHECK-NOT: tfl.reshape
// CHECK: tfl.relu
// CHECK: // -----// IR Dump After {{.*}}tfl-optimize{{.*}} //----- //
// CHECK-NOT: tfl.relu
// CHECK: fused_activation_function = "RELU"

func.func @f(%arg0: tensor<1x4xf32>, %arg1: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %shape = arith.constant dense<[1, 4]> : tensor<2xi32>
  %0 = tfl.add %arg0, %arg1 {fused_activation_function = "NONE"} : tensor<1x4xf32>
  %1 = "tfl.reshape"(%0, %shape) : (tensor<1x4xf32>, tensor<2xi32>) -> tensor<1x4xf32>
  %2 = "tfl.relu"(%1) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %2 : tensor<1x4xf32>
}
