// RUN: not tflx-opt %s -canonicalize 2>&1 | filecheck %s
// RUN: %python -c "print('import tensorflow as tf')" > %t.py
// RUN: not tflx-opt %t.py 2>&1 | filecheck %s --check-prefix=NOTMLIR

// A syntax error is one line with file:line:col; nothing else is printed.
// CHECK: tflx: error: {{.*}}parse-error.mlir:[[# @LINE + 5]]:{{[0-9]+}}: expected ':'
// CHECK-NOT: module
// NOTMLIR: tflx: error: '{{.*}}.py' is not MLIR text (it starts with 'import'

func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 tensor<2xf32>
}
