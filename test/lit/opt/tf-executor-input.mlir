// RUN: tflx-opt %s -tf-executor-to-functional-conversion | filecheck %s
// RUN: tflx-opt %s -tf-executor-graph-pruning | filecheck %s --check-prefix=GRAPH

// IR in dialects litert-converter's context does not have (tf_executor, as TF's importer
// produces it) goes to TensorFlow as text when the pipeline starts with a TF pass; a result
// only TF can hold is printed by TF.

// CHECK-LABEL: func.func @main
// CHECK-NOT: tf_executor
// CHECK: %[[R:.*]] = "tf.Relu"(%arg0)
// CHECK: return %[[R]]

// GRAPH-LABEL: func.func @main
// GRAPH: tf_executor.graph
// GRAPH: tf_executor.island wraps "tf.Relu"(%arg0)
// GRAPH-NOT: loc(

module attributes {tf.versions = {bad_consumers = [], min_consumer = 0 : i32, producer = 1987 : i32}} {
  func.func @main(%arg0: tensor<2xf32>) -> tensor<2xf32> {
    %0 = tf_executor.graph {
      %outputs, %control = tf_executor.island wraps "tf.Relu"(%arg0) : (tensor<2xf32>) -> tensor<2xf32>
      tf_executor.fetch %outputs : tensor<2xf32>
    }
    return %0 : tensor<2xf32>
  }
}
