// RUN: tflx-opt %s -split-input-file -fresh-stateful-operands | filecheck %s

// One zero constant as both states of an LSTM (what folding and CSE leave): each slot gets its
// own FILL, computed at every invoke; the constant goes.
// CHECK-LABEL: func.func @shared_constant
// CHECK-NOT: dense<0.000000e+00> : tensor<1x1xf32>
// CHECK: %[[H:.*]] = "tfl.fill"(%{{.*}}, %{{.*}}) : (tensor<2xi32>, tensor<f32>) -> tensor<1x1xf32>
// CHECK: %[[C:.*]] = "tfl.fill"(%{{.*}}, %{{.*}}) : (tensor<2xi32>, tensor<f32>) -> tensor<1x1xf32>
// CHECK: "tfl.unidirectional_sequence_lstm"({{.*}}, %[[H]], %[[C]], %{{.*}}, %{{.*}}, %{{.*}}, %{{.*}})
func.func @shared_constant(%x: tensor<1x3x2xf32>) -> tensor<1x3x1xf32> {
  %wx = arith.constant dense<0.5> : tensor<1x2xf32>
  %wh = arith.constant dense<0.5> : tensor<1x1xf32>
  %b = arith.constant dense<0.5> : tensor<1xf32>
  %s = arith.constant dense<0.0> : tensor<1x1xf32>
  %n = "tfl.no_value"() {value} : () -> none
  %y = "tfl.unidirectional_sequence_lstm"(%x, %wx, %wx, %wx, %wx, %wh, %wh, %wh, %wh, %n, %n, %n, %b, %b, %b, %b, %n, %n, %s, %s, %n, %n, %n, %n) {cell_clip = 0.0 : f32, fused_activation_function = "TANH", proj_clip = 0.0 : f32, time_major = false} : (tensor<1x3x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x2xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, none, none, none, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, none, none, tensor<1x1xf32>, tensor<1x1xf32>, none, none, none, none) -> tensor<1x3x1xf32>
  func.return %y : tensor<1x3x1xf32>
}

// -----

// A run-time FILL shared by two stacked layers: cloned, so the first layer's final state cannot
// become the second layer's initial state.
// CHECK-LABEL: func.func @shared_fill
// CHECK-COUNT-4: "tfl.fill"
// CHECK-NOT: "tfl.fill"
func.func @shared_fill(%x: tensor<?x3x1xf32>, %dims: tensor<2xi32>) -> tensor<?x3x1xf32> {
  %w = arith.constant dense<0.5> : tensor<1x1xf32>
  %b = arith.constant dense<0.5> : tensor<1xf32>
  %z = arith.constant dense<0.0> : tensor<f32>
  %s = "tfl.fill"(%dims, %z) : (tensor<2xi32>, tensor<f32>) -> tensor<?x1xf32>
  %n = "tfl.no_value"() {value} : () -> none
  %y1 = "tfl.unidirectional_sequence_lstm"(%x, %w, %w, %w, %w, %w, %w, %w, %w, %n, %n, %n, %b, %b, %b, %b, %n, %n, %s, %s, %n, %n, %n, %n) {cell_clip = 0.0 : f32, fused_activation_function = "TANH", proj_clip = 0.0 : f32, time_major = false} : (tensor<?x3x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, none, none, none, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, none, none, tensor<?x1xf32>, tensor<?x1xf32>, none, none, none, none) -> tensor<?x3x1xf32>
  %y2 = "tfl.unidirectional_sequence_lstm"(%y1, %w, %w, %w, %w, %w, %w, %w, %w, %n, %n, %n, %b, %b, %b, %b, %n, %n, %s, %s, %n, %n, %n, %n) {cell_clip = 0.0 : f32, fused_activation_function = "TANH", proj_clip = 0.0 : f32, time_major = false} : (tensor<?x3x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, tensor<1x1xf32>, none, none, none, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, tensor<1xf32>, none, none, tensor<?x1xf32>, tensor<?x1xf32>, none, none, none, none) -> tensor<?x3x1xf32>
  func.return %y2 : tensor<?x3x1xf32>
}
