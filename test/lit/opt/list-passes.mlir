// RUN: tflx-opt --list-passes | filecheck %s

// The three providers' passes, with stage/description (tflx) or where each may run.

// CHECK: tflx Python passes
// CHECK-DAG: fold-identity-reshape {{.*}}[stage tfl] Remove tfl.reshape
// CHECK-DAG: legalize-shape-to-stablehlo {{.*}}[stage stablehlo]
// CHECK-DAG: raise-sum-mul-to-mean {{.*}}[stage tfl]
// CHECK: litert-converter passes
// CHECK-DAG: canonicalize {{.*}}[builtin.module, func.func]
// CHECK-DAG: tfl-optimize {{.*}}[func.func]
// CHECK-DAG: tfl-legalize-hlo {{.*}}[builtin.module]
// CHECK: TensorFlow passes
// CHECK-DAG: tf-shape-inference {{.*}}[builtin.module]
// CHECK-DAG: tf-executor-to-functional-conversion {{.*}}[func.func]
// CHECK-DAG: tf-stablehlo
