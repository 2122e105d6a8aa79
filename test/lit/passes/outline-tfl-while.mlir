// RUN: tflx-opt %s -split-input-file -outline-tfl-while | filecheck %s

// The bound %n comes from outside the loop: it becomes a third loop-carried value that the
// body passes through; the constant 2.0 is copied into the body. Both regions end up as a
// call to a private function, which is what the flatbuffer exporter writes as subgraphs.
// CHECK-LABEL: func.func @loop
// CHECK: %[[W:.*]]:3 = "tfl.while"(%{{.*}}, %arg0, %arg1)
// CHECK: func.call @tflx_while_0_cond
// CHECK: "tfl.yield"
// CHECK: func.call @tflx_while_0_body
// CHECK: return %[[W]]#1
// CHECK: func.func private @tflx_while_0_cond(%{{.*}}: tensor<i32>, %{{.*}}: tensor<3xf32>, %[[N:.*]]: tensor<i32>) -> tensor<i1>
// CHECK: tfl.less(%{{.*}}, %[[N]])
// CHECK: func.func private @tflx_while_0_body(%{{.*}}: tensor<i32>, %{{.*}}: tensor<3xf32>, %[[N2:.*]]: tensor<i32>) -> (tensor<i32>, tensor<3xf32>, tensor<i32>)
// CHECK: arith.constant dense<2.000000e+00>
// CHECK: return %{{.*}}, %{{.*}}, %[[N2]]
func.func @loop(%arg0: tensor<3xf32>, %arg1: tensor<i32>) -> tensor<3xf32> {
  %zero = arith.constant dense<0> : tensor<i32>
  %one = arith.constant dense<1> : tensor<i32>
  %two = arith.constant dense<2.000000e+00> : tensor<f32>
  %0:2 = "tfl.while"(%zero, %arg0) <{is_stateless = true}> ({
  ^bb0(%i: tensor<i32>, %x: tensor<3xf32>):
    %c = tfl.less(%i, %arg1) : (tensor<i32>, tensor<i32>) -> tensor<i1>
    "tfl.yield"(%c) : (tensor<i1>) -> ()
  }, {
  ^bb0(%i: tensor<i32>, %x: tensor<3xf32>):
    %i1 = tfl.add %i, %one {fused_activation_function = "NONE"} : tensor<i32>
    %x2 = tfl.mul(%x, %two) <{fused_activation_function = "NONE"}> : (tensor<3xf32>, tensor<f32>) -> tensor<3xf32>
    "tfl.yield"(%i1, %x2) : (tensor<i32>, tensor<3xf32>) -> ()
  }) : (tensor<i32>, tensor<3xf32>) -> (tensor<i32>, tensor<3xf32>)
  return %0#1 : tensor<3xf32>
}

// -----

// A captured tfl.no_value (a fully connected layer without bias, as an RNN body has) is copied
// into the body like a constant: a 'none' value cannot be a loop operand.
// CHECK-LABEL: func.func @no_bias
// CHECK: %[[W:.*]]:2 = "tfl.while"(%{{.*}}, %arg0)
// CHECK: func.func private @tflx_while_0_body(%{{.*}}: tensor<i32>, %{{.*}}: tensor<1x2xf32>) -> (tensor<i32>, tensor<1x2xf32>)
// CHECK: %[[NONE:.*]] = "tfl.no_value"() <{value}> : () -> none
// CHECK: "tfl.fully_connected"(%{{.*}}, %{{.*}}, %[[NONE]])
func.func @no_bias(%arg0: tensor<1x2xf32>) -> tensor<1x2xf32> {
  %zero = arith.constant dense<0> : tensor<i32>
  %one = arith.constant dense<1> : tensor<i32>
  %n = arith.constant dense<3> : tensor<i32>
  %w = arith.constant dense<0.5> : tensor<2x2xf32>
  %none = "tfl.no_value"() <{value}> : () -> none
  %0:2 = "tfl.while"(%zero, %arg0) <{is_stateless = true}> ({
  ^bb0(%i: tensor<i32>, %x: tensor<1x2xf32>):
    %c = tfl.less(%i, %n) : (tensor<i32>, tensor<i32>) -> tensor<i1>
    "tfl.yield"(%c) : (tensor<i1>) -> ()
  }, {
  ^bb0(%i: tensor<i32>, %x: tensor<1x2xf32>):
    %i1 = tfl.add %i, %one {fused_activation_function = "NONE"} : tensor<i32>
    %y = "tfl.fully_connected"(%x, %w, %none) <{fused_activation_function = "TANH", keep_num_dims = false, weights_format = "DEFAULT"}> : (tensor<1x2xf32>, tensor<2x2xf32>, none) -> tensor<1x2xf32>
    "tfl.yield"(%i1, %y) : (tensor<i32>, tensor<1x2xf32>) -> ()
  }) : (tensor<i32>, tensor<1x2xf32>) -> (tensor<i32>, tensor<1x2xf32>)
  return %0#1 : tensor<1x2xf32>
}
