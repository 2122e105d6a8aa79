// RUN: tflx-opt %s -split-input-file -decompose-bitwise | filecheck %s

// a & b, int32: both operands are split into their 32 bits (arithmetic RightShift by 0..31,
// FloorMod 2: also the bit pattern of negatives), the bit products are weighted by 2^k (bit 31:
// -2^31) and summed over the bit axis.
// CHECK-LABEL: func.func @and_i32
// CHECK-NOT: tf.BitwiseAnd
// CHECK: %[[AXIS:.*]] = "tf.Const"() <{value = dense<-1> : tensor<i32>}>
// CHECK: %[[XA:.*]] = "tf.ExpandDims"(%arg0, %[[AXIS]]) : (tensor<2x6xi32>, tensor<i32>) -> tensor<2x6x1xi32>
// CHECK: %[[SHIFTS:.*]] = "tf.Const"() <{value = dense<[0, 1, 2, {{.*}}, 30, 31]> : tensor<32xi32>}>
// CHECK: %[[SA:.*]] = "tf.RightShift"(%[[XA]], %[[SHIFTS]]) : (tensor<2x6x1xi32>, tensor<32xi32>) -> tensor<2x6x32xi32>
// CHECK: %[[TWO:.*]] = "tf.Const"() <{value = dense<2> : tensor<i32>}>
// CHECK: %[[BA:.*]] = "tf.FloorMod"(%[[SA]], %[[TWO]]) : (tensor<2x6x32xi32>, tensor<i32>) -> tensor<2x6x32xi32>
// CHECK: %[[XB:.*]] = "tf.ExpandDims"(%arg1, %[[AXIS]])
// CHECK: %[[SB:.*]] = "tf.RightShift"(%[[XB]], %[[SHIFTS]])
// CHECK: %[[BB:.*]] = "tf.FloorMod"(%[[SB]], %[[TWO]])
// CHECK: %[[BOTH:.*]] = "tf.Mul"(%[[BA]], %[[BB]]) : (tensor<2x6x32xi32>, tensor<2x6x32xi32>) -> tensor<2x6x32xi32>
// CHECK: %[[W:.*]] = "tf.Const"() <{value = dense<[1, 2, 4, {{.*}}, 1073741824, -2147483648]> : tensor<32xi32>}>
// CHECK: %[[VAL:.*]] = "tf.Mul"(%[[BOTH]], %[[W]]) : (tensor<2x6x32xi32>, tensor<32xi32>) -> tensor<2x6x32xi32>
// CHECK: %[[OUT:.*]] = "tf.Sum"(%[[VAL]], %[[AXIS]]) <{keep_dims = false}> : (tensor<2x6x32xi32>, tensor<i32>) -> tensor<2x6xi32>
// CHECK: return %[[OUT]]
func.func @and_i32(%arg0: tensor<2x6xi32>, %arg1: tensor<2x6xi32>) -> tensor<2x6xi32> {
  %0 = "tf.BitwiseAnd"(%arg0, %arg1) : (tensor<2x6xi32>, tensor<2x6xi32>) -> tensor<2x6xi32>
  return %0 : tensor<2x6xi32>
}

// -----

// a | b with broadcasting ([2,6] | [6]): the bits of a|b are the Maximum of both operands' bits.
// CHECK-LABEL: func.func @or_broadcast
// CHECK-NOT: tf.BitwiseOr
// CHECK: "tf.FloorMod"{{.*}} -> tensor<2x6x32xi32>
// CHECK: "tf.FloorMod"{{.*}} -> tensor<6x32xi32>
// CHECK: %[[BITS:.*]] = "tf.Maximum"(%{{.*}}, %{{.*}}) : (tensor<2x6x32xi32>, tensor<6x32xi32>) -> tensor<2x6x32xi32>
// CHECK: %[[VAL:.*]] = "tf.Mul"(%[[BITS]], %{{.*}}) : (tensor<2x6x32xi32>, tensor<32xi32>) -> tensor<2x6x32xi32>
// CHECK: %[[OUT:.*]] = "tf.Sum"(%[[VAL]], %{{.*}}) <{keep_dims = false}> : (tensor<2x6x32xi32>, tensor<i32>) -> tensor<2x6xi32>
// CHECK: return %[[OUT]]
func.func @or_broadcast(%arg0: tensor<2x6xi32>, %arg1: tensor<6xi32>) -> tensor<2x6xi32> {
  %0 = "tf.BitwiseOr"(%arg0, %arg1) : (tensor<2x6xi32>, tensor<6xi32>) -> tensor<2x6xi32>
  return %0 : tensor<2x6xi32>
}

// -----

// x << y: the shift is clamped to [0, 31] as TF does, picks the row of the 32 x 32 table of
// what bit k is worth after the shift (GatherV2), and the bits of x are weighted by it.
// CHECK-LABEL: func.func @left_shift_i32
// CHECK-NOT: tf.LeftShift
// CHECK: %[[C31:.*]] = "tf.Const"() <{value = dense<31> : tensor<i32>}>
// CHECK: %[[MIN:.*]] = "tf.Minimum"(%arg1, %[[C31]]) : (tensor<6xi32>, tensor<i32>) -> tensor<6xi32>
// CHECK: %[[C0:.*]] = "tf.Const"() <{value = dense<0> : tensor<i32>}>
// CHECK: %[[S:.*]] = "tf.Maximum"(%[[MIN]], %[[C0]]) : (tensor<6xi32>, tensor<i32>) -> tensor<6xi32>
// CHECK: %[[TABLE:.*]] = "tf.Const"() <{value = dense<"0x{{.*}}"> : tensor<32x32xi32>}>
// CHECK: %[[ROWS:.*]] = "tf.GatherV2"(%[[TABLE]], %[[S]], %[[C0]]) <{batch_dims = 0 : i64}> : (tensor<32x32xi32>, tensor<6xi32>, tensor<i32>) -> tensor<6x32xi32>
// CHECK: %[[BITS:.*]] = "tf.FloorMod"{{.*}} -> tensor<2x6x32xi32>
// CHECK: %[[VAL:.*]] = "tf.Mul"(%[[BITS]], %[[ROWS]]) : (tensor<2x6x32xi32>, tensor<6x32xi32>) -> tensor<2x6x32xi32>
// CHECK: %[[OUT:.*]] = "tf.Sum"(%[[VAL]], %{{.*}}) <{keep_dims = false}> {{.*}} -> tensor<2x6xi32>
// CHECK: return %[[OUT]]
func.func @left_shift_i32(%arg0: tensor<2x6xi32>, %arg1: tensor<6xi32>) -> tensor<2x6xi32> {
  %0 = "tf.LeftShift"(%arg0, %arg1) : (tensor<2x6xi32>, tensor<6xi32>) -> tensor<2x6xi32>
  return %0 : tensor<2x6xi32>
}

// -----

// popcount: the sum of the 32 bits, cast to TF's uint8 result.
// CHECK-LABEL: func.func @popcount_i32
// CHECK-NOT: tf.PopulationCount
// CHECK: %[[BITS:.*]] = "tf.FloorMod"{{.*}} -> tensor<2x6x32xi32>
// CHECK: %[[N:.*]] = "tf.Sum"(%[[BITS]], %{{.*}}) <{keep_dims = false}> : (tensor<2x6x32xi32>, tensor<i32>) -> tensor<2x6xi32>
// CHECK: %[[OUT:.*]] = "tf.Cast"(%[[N]]) <{Truncate = false}> : (tensor<2x6xi32>) -> tensor<2x6xui8>
// CHECK: return %[[OUT]]
func.func @popcount_i32(%arg0: tensor<2x6xi32>) -> tensor<2x6xui8> {
  %0 = "tf.PopulationCount"(%arg0) : (tensor<2x6xi32>) -> tensor<2x6xui8>
  return %0 : tensor<2x6xui8>
}

// -----

// uint8 with a dynamic dim: cast to int32 (zero extended), 8 bits worth 1 .. 128 (unsigned:
// no negative top weight), cast back.
// CHECK-LABEL: func.func @and_ui8_dynamic
// CHECK: "tf.Cast"(%arg0) <{Truncate = false}> : (tensor<?x6xui8>) -> tensor<?x6xi32>
// CHECK: "tf.Const"() <{value = dense<[0, 1, 2, 3, 4, 5, 6, 7]> : tensor<8xi32>}>
// CHECK: "tf.FloorMod"{{.*}} -> tensor<?x6x8xi32>
// CHECK: "tf.Cast"(%arg1) <{Truncate = false}> : (tensor<6xui8>) -> tensor<6xi32>
// CHECK: "tf.Mul"{{.*}} : (tensor<?x6x8xi32>, tensor<6x8xi32>) -> tensor<?x6x8xi32>
// CHECK: "tf.Const"() <{value = dense<[1, 2, 4, 8, 16, 32, 64, 128]> : tensor<8xi32>}>
// CHECK: %[[N:.*]] = "tf.Sum"{{.*}} -> tensor<?x6xi32>
// CHECK: %[[OUT:.*]] = "tf.Cast"(%[[N]]) <{Truncate = false}> : (tensor<?x6xi32>) -> tensor<?x6xui8>
// CHECK: return %[[OUT]]
func.func @and_ui8_dynamic(%arg0: tensor<?x6xui8>, %arg1: tensor<6xui8>) -> tensor<?x6xui8> {
  %0 = "tf.BitwiseAnd"(%arg0, %arg1) : (tensor<?x6xui8>, tensor<6xui8>) -> tensor<?x6xui8>
  return %0 : tensor<?x6xui8>
}

// -----

// uint32 shift: read as int32, a shift >= 2^31 is negative and clamps to 31 (Less + SelectV2
// instead of Maximum).
// CHECK-LABEL: func.func @left_shift_ui32
// CHECK: %[[Y:.*]] = "tf.Cast"(%arg1) <{Truncate = false}> : (tensor<4xui32>) -> tensor<4xi32>
// CHECK: %[[MIN:.*]] = "tf.Minimum"(%[[Y]], %{{.*}})
// CHECK: %[[HUGE:.*]] = "tf.Less"(%[[Y]], %{{.*}}) : (tensor<4xi32>, tensor<i32>) -> tensor<4xi1>
// CHECK: %[[S:.*]] = "tf.SelectV2"(%[[HUGE]], %{{.*}}, %[[MIN]])
// CHECK-NOT: "tf.Maximum"
// CHECK: "tf.GatherV2"(%{{.*}}, %[[S]], %{{.*}})
// CHECK: "tf.Cast"{{.*}} -> tensor<4xui32>
func.func @left_shift_ui32(%arg0: tensor<4xui32>, %arg1: tensor<4xui32>) -> tensor<4xui32> {
  %0 = "tf.LeftShift"(%arg0, %arg1) : (tensor<4xui32>, tensor<4xui32>) -> tensor<4xui32>
  return %0 : tensor<4xui32>
}

// -----

// Negative: int64 (no int64 RIGHT_SHIFT in TFLite) and an unranked operand are left alone.
// CHECK-LABEL: func.func @not_rewritten
// CHECK: "tf.BitwiseAnd"(%arg0, %arg0) : (tensor<6xi64>, tensor<6xi64>)
// CHECK: "tf.PopulationCount"(%arg0) : (tensor<6xi64>)
// CHECK: "tf.LeftShift"(%arg1, %arg1) : (tensor<*xi32>, tensor<*xi32>)
// CHECK-NOT: "tf.RightShift"
func.func @not_rewritten(%arg0: tensor<6xi64>, %arg1: tensor<*xi32>) -> (tensor<6xi64>, tensor<6xui8>, tensor<*xi32>) {
  %0 = "tf.BitwiseAnd"(%arg0, %arg0) : (tensor<6xi64>, tensor<6xi64>) -> tensor<6xi64>
  %1 = "tf.PopulationCount"(%arg0) : (tensor<6xi64>) -> tensor<6xui8>
  %2 = "tf.LeftShift"(%arg1, %arg1) : (tensor<*xi32>, tensor<*xi32>) -> tensor<*xi32>
  return %0, %1, %2 : tensor<6xi64>, tensor<6xui8>, tensor<*xi32>
}
