// RUN: tflx-opt %s -split-input-file -decompose-truncate-mod | filecheck %s

// fmod = floor_mod, minus y where the remainder is nonzero and the signs of x and y differ.
// CHECK-LABEL: func.func @ints
// CHECK: %[[R:.*]] = "tf.FloorMod"(%arg0, %arg1)
// CHECK: %[[FIX:.*]] = "tf.LogicalAnd"
// CHECK: %[[S:.*]] = "tf.Sub"(%[[R]], %arg1)
// CHECK: "tf.SelectV2"(%[[FIX]], %[[S]], %[[R]])
// CHECK-NOT: tf.TruncateMod
func.func @ints(%x: tensor<2x6xi32>, %y: tensor<6xi32>) -> tensor<2x6xi32> {
  %0 = "tf.TruncateMod"(%x, %y) : (tensor<2x6xi32>, tensor<6xi32>) -> tensor<2x6xi32>
  func.return %0 : tensor<2x6xi32>
}

// -----

// int64 is not among the verified dtypes: left alone.
// CHECK-LABEL: func.func @int64
// CHECK: tf.TruncateMod
func.func @int64(%x: tensor<3xi64>, %y: tensor<3xi64>) -> tensor<3xi64> {
  %0 = "tf.TruncateMod"(%x, %y) : (tensor<3xi64>, tensor<3xi64>) -> tensor<3xi64>
  func.return %0 : tensor<3xi64>
}
