// RUN: tflx-opt %s -tfl-optimize | filecheck %s
// RUN: tflx-opt %s --pass-pipeline='builtin.module(func.func(tfl-optimize))' | filecheck %s
// RUN: not tflx-opt %s --pass-pipeline='builtin.module(tfl-optimize)' 2>&1 | filecheck %s --check-prefix=NEST
// RUN: not tflx-opt %s --pass-pipeline='builtin.module(chlo-pre-serialization-pipeline)' 2>&1 | filecheck %s --check-prefix=PIPE

// tfl-optimize is a function pass. As a flag it is nested for you; in an explicit pipeline at
// module level it is refused before litert's parser sees it. A mis-nested registered pass
// *pipeline* makes that parser abort the process; tflx-opt refuses it with one line instead.

// NEST: tflx: error: pass 'tfl-optimize' cannot run on 'builtin.module' (it runs on 'func.func'): write func.func(tfl-optimize)
// PIPE: tflx: error: pass 'chlo-pre-serialization-pipeline' cannot run on 'builtin.module' (it runs on 'func.func')

// CHECK-LABEL: func.func @add_relu
// CHECK-NEXT: %[[A:.*]] = tfl.add %arg0, %arg1 {fused_activation_function = "RELU"}
// CHECK-NEXT: return %[[A]]
func.func @add_relu(%arg0: tensor<1x4xf32>, %arg1: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = tfl.add %arg0, %arg1 {fused_activation_function = "NONE"} : tensor<1x4xf32>
  %1 = "tfl.relu"(%0) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %1 : tensor<1x4xf32>
}
