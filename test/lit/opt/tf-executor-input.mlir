// RUN: tflx-opt %s -tf-executor-graph-pruning -tf-executor-to-functional-conversion --mlir-print-ir-after-all 2>&1 | filecheck %s

// IR in dialects litert-converter's context does not have (tf_executor, as TF's importer
// produces it) goes to TensorFlow as text when the pipeline starts with a TF pass; IR only TF
// can hold is printed by TF (the first dump), the rest comes back into litert's context.

// CHECK-LABEL: IR Dump After TensorFlow: tf-executor-graph-pruning
// CHECK: tf_executor.graph
// CHECK: tf_executor.island wraps "tf.Relu"(%arg0)
// CHECK-NOT: loc(
// CHECK-LABEL: IR Dump After TensorFlow: tf-executor-to-functional-conversion
// CHECK-NOT: tf_executor
// CHECK: %[[R:.*]] = "tf.Relu"(%arg0)
// CHECK: return %[[R]]
// The output, on stdout:
// CHECK: func.func @main
// CHECK-NOT: tf_executor

module attributes {tf.versions = {bad_consumers = [], min_consumer = 0 : i32, producer = 1987 : i32}} {
  func.func @main(%arg0: tensor<2xf32>) -> tensor<2xf32> {
    %0 = tf_executor.graph {
      %outputs, %control = tf_executor.island wraps "tf.Relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
      tf_executor.fetch %outputs : tensor<2xf32>
    }
    return %0 : tensor<2xf32>
  }
}
