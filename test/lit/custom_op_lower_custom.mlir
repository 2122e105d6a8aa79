// RUN: tflx-opt %s --plugin=%S/../../examples/custom_op/my_ops.py -custom-op-TflxScaledTanh-lower -custom-op-TflxSwish-lower | filecheck %s

// A declared custom op lowers to tfl.custom: custom_code is the declared name, custom_option the
// declared attributes as a FlexBuffer map (floats as float32), defaults filled in.
//
// TflxScaledTanh {alpha = 0.5, beta = 1.0 (default)}:
//   "alpha\0beta\0" | keys vector: 2, width 1 | values: 0x3F000000 (0.5f), 0x3F800000 (1.0f) |
//   value types 0x0E 0x0E (float, 4 bytes) | root: offset 0x0A, type 0x26 (map), width 1
// TflxSwish {beta = 1.5}: 0x3FC00000 (1.5f)

// CHECK-LABEL: func.func @main
// CHECK: %[[SW:.*]] = "tfl.custom"(%arg0) <{custom_code = "TflxSwish", custom_option = #tfl<const_bytes : "0x62657461000106000200000001000000010000000000C03F0E052601">}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: %[[ST:.*]] = "tfl.custom"(%[[SW]]) <{custom_code = "TflxScaledTanh", custom_option = #tfl<const_bytes : "0x616C706861006265746100020C0700000400000001000000020000000000003F0000803F0E0E0A2601">}> : (tensor<2x8xf32>) -> tensor<2x8xf32>
// CHECK: return %[[ST]]
// CHECK-NOT: "tf.
func.func @main(%arg0: tensor<2x8xf32>) -> tensor<2x8xf32> {
  %0 = "tf.TflxSwish"(%arg0) {beta = 1.500000e+00 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %1 = "tf.TflxScaledTanh"(%0) {alpha = 5.000000e-01 : f32} : (tensor<2x8xf32>) -> tensor<2x8xf32>
  return %1 : tensor<2x8xf32>
}

// Attributes given on the op win over defaults: {alpha = 0.25, beta = 3.0}.
// CHECK-LABEL: func.func @explicit
// CHECK: "tfl.custom"(%arg0) <{custom_code = "TflxScaledTanh", custom_option = #tfl<const_bytes : "0x616C706861006265746100020C0700000400000001000000020000000000803E000040400E0E0A2601">}> : (tensor<?x4xf32>) -> tensor<?x4xf32>
func.func @explicit(%arg0: tensor<?x4xf32>) -> tensor<?x4xf32> {
  %0 = "tf.TflxScaledTanh"(%arg0) {alpha = 2.500000e-01 : f32, beta = 3.000000e+00 : f32} : (tensor<?x4xf32>) -> tensor<?x4xf32>
  return %0 : tensor<?x4xf32>
}
