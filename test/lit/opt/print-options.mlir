// RUN: tflx-opt %s --mlir-print-op-generic | filecheck %s --check-prefix=GENERIC
// RUN: tflx-opt %s --mlir-print-debuginfo | filecheck %s --check-prefix=DEBUG
// RUN: tflx-opt < %s --mlir-print-debuginfo | filecheck %s --check-prefix=STDIN

// No passes: parse and print. Generic form; locations naming the input file (or "-" for stdin).

// GENERIC: "func.func"() <{function_type = (tensor<2xf32>) -> tensor<2xf32>, sym_name = "f"}>
// GENERIC: "tfl.relu"(%{{.*}}) : (tensor<2xf32>) -> tensor<2xf32>
// DEBUG: "tfl.relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32> loc(#[[L:loc[0-9]*]])
// DEBUG: #[[L]] = loc("{{.*}}print-options.mlir":[[# @LINE + 5]]:8)
// STDIN: #{{loc[0-9]*}} = loc("-":[[# @LINE + 4]]:8)

// a comment line to keep the arithmetic above honest
func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  %0 = "tfl.relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}
