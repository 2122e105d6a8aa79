// RUN: tflx-opt %s -split-input-file -canonicalize | filecheck %s
// RUN: not tflx-opt %s -canonicalize 2>&1 | filecheck %s --check-prefix=WHOLE

// Each '// -----' chunk is parsed, processed and printed on its own; outputs are joined with
// the same marker. Both chunks define @f, which only works split.

// CHECK: module {
// CHECK: func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32>
// CHECK-NEXT: return %arg0
// CHECK: // -----
// CHECK-NEXT: module {
// CHECK: func.func @f(%arg0: tensor<3xi32>) -> tensor<3xi32>
// CHECK-NOT: // -----

// WHOLE: tflx: error: {{.*}}split-input-file.mlir:[[# @LINE + 8]]:{{[0-9]+}}: redefinition of symbol named 'f'

func.func @f(%arg0: tensor<2xf32>) -> tensor<2xf32> {
  return %arg0 : tensor<2xf32>
}

// -----

func.func @f(%arg0: tensor<3xi32>) -> tensor<3xi32> {
  return %arg0 : tensor<3xi32>
}
