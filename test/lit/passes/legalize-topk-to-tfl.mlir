// RUN: tflx-opt %s -legalize-topk-to-tfl | filecheck %s

// tf.math.top_k at the stablehlo stage: mhlo.topk with k < n -> tfl.topk_v2.
// CHECK-LABEL: func.func @topk_largest
// CHECK-NOT: stablehlo.custom_call
// CHECK: %[[K:.*]] = arith.constant dense<3> : tensor<i32>
// CHECK: %[[V:.*]], %[[I:.*]] = "tfl.topk_v2"(%arg0, %[[K]]) : (tensor<2x7xf32>, tensor<i32>) -> (tensor<2x3xf32>, tensor<2x3xi32>)
// CHECK: return %[[V]], %[[I]]
func.func @topk_largest(%arg0: tensor<2x7xf32>) -> (tensor<2x3xf32>, tensor<2x3xi32>) {
  %0:2 = stablehlo.custom_call @mhlo.topk(%arg0) {mhlo.attributes = {k = 3 : i64, largest = true}, mhlo.version = 1 : i64} : (tensor<2x7xf32>) -> (tensor<2x3xf32>, tensor<2x3xi32>)
  return %0#0, %0#1 : tensor<2x3xf32>, tensor<2x3xi32>
}

// A values-only use (what tf.sort leaves) is still TOPK_V2, not a stablehlo.sort.
// CHECK-LABEL: func.func @topk_values_only_int
// CHECK: %[[V:.*]], %{{.*}} = "tfl.topk_v2"(%arg0, %{{.*}}) : (tensor<3x5xi32>, tensor<i32>) -> (tensor<3x5xi32>, tensor<3x5xi32>)
// CHECK: return %[[V]]
func.func @topk_values_only_int(%arg0: tensor<3x5xi32>) -> tensor<3x5xi32> {
  %0:2 = stablehlo.custom_call @mhlo.topk(%arg0) {mhlo.attributes = {k = 5 : i64, largest = true}, mhlo.version = 1 : i64} : (tensor<3x5xi32>) -> (tensor<3x5xi32>, tensor<3x5xi32>)
  return %0#0 : tensor<3x5xi32>
}

// Smallest-k with indices: an order-reversing map around TOPK_V2, -x for floats and
// x xor -1 (= ~x, no overflow) for integers.
// CHECK-LABEL: func.func @topk_smallest
// CHECK: %[[N:.*]] = "tfl.neg"(%arg0)
// CHECK: %[[V:.*]], %[[I:.*]] = "tfl.topk_v2"(%[[N]], %{{.*}}) : (tensor<4x6xf32>, tensor<i32>) -> (tensor<4x2xf32>, tensor<4x2xi32>)
// CHECK: %[[VN:.*]] = "tfl.neg"(%[[V]])
// CHECK: %[[ONES:.*]] = arith.constant dense<-1> : tensor<i8>
// CHECK: %[[X:.*]] = "tfl.bitwise_xor"(%arg1, %[[ONES]])
// CHECK: %[[W:.*]], %[[J:.*]] = "tfl.topk_v2"(%[[X]], %{{.*}}) : (tensor<4x6xi8>, tensor<i32>) -> (tensor<4x2xi8>, tensor<4x2xi32>)
// CHECK: %[[WX:.*]] = "tfl.bitwise_xor"(%[[W]], %{{.*}}) : (tensor<4x2xi8>, tensor<i8>)
// CHECK: return %[[VN]], %[[I]], %[[WX]], %[[J]]
func.func @topk_smallest(%arg0: tensor<4x6xf32>, %arg1: tensor<4x6xi8>) -> (tensor<4x2xf32>, tensor<4x2xi32>, tensor<4x2xi8>, tensor<4x2xi32>) {
  %0:2 = stablehlo.custom_call @mhlo.topk(%arg0) {mhlo.attributes = {k = 2 : i64, largest = false}, mhlo.version = 1 : i64} : (tensor<4x6xf32>) -> (tensor<4x2xf32>, tensor<4x2xi32>)
  %1:2 = stablehlo.custom_call @mhlo.topk(%arg1) {mhlo.attributes = {k = 2 : i64, largest = false}, mhlo.version = 1 : i64} : (tensor<4x6xi8>) -> (tensor<4x2xi8>, tensor<4x2xi32>)
  return %0#0, %0#1, %1#0, %1#1 : tensor<4x2xf32>, tensor<4x2xi32>, tensor<4x2xi8>, tensor<4x2xi32>
}

// stablehlo.sort, descending along the last dim: TOPK_V2 with k = n.
// CHECK-LABEL: func.func @sort_descending
// CHECK-NOT: stablehlo.sort
// CHECK: %[[V:.*]], %{{.*}} = "tfl.topk_v2"(%arg0, %{{.*}}) : (tensor<2x5xf32>, tensor<i32>) -> (tensor<2x5xf32>, tensor<2x5xi32>)
// CHECK: return %[[V]]
func.func @sort_descending(%arg0: tensor<2x5xf32>) -> tensor<2x5xf32> {
  %0 = "stablehlo.sort"(%arg0) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>):
    %c = stablehlo.compare GT, %a, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }) : (tensor<2x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// Ascending values only, along dim 0 of an int64 tensor: transposed last, TOPK_V2, REVERSE_V2
// (exact for every dtype), transposed back.
// CHECK-LABEL: func.func @sort_ascending_dim0
// CHECK: %[[T:.*]] = "tfl.transpose"(%arg0, %{{.*}}) : (tensor<6x2xi64>, tensor<2xi32>) -> tensor<2x6xi64>
// CHECK: %[[V:.*]], %{{.*}} = "tfl.topk_v2"(%[[T]], %{{.*}})
// CHECK: %[[R:.*]] = "tfl.reverse_v2"(%[[V]], %{{.*}}) : (tensor<2x6xi64>, tensor<1xi32>) -> tensor<2x6xi64>
// CHECK: %[[B:.*]] = "tfl.transpose"(%[[R]], %{{.*}}) : (tensor<2x6xi64>, tensor<2xi32>) -> tensor<6x2xi64>
// CHECK: return %[[B]]
func.func @sort_ascending_dim0(%arg0: tensor<6x2xi64>) -> tensor<6x2xi64> {
  %0 = "stablehlo.sort"(%arg0) <{dimension = 0 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<i64>, %b: tensor<i64>):
    %c = stablehlo.compare LT, %a, %b, SIGNED : (tensor<i64>, tensor<i64>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }) : (tensor<6x2xi64>) -> tensor<6x2xi64>
  return %0 : tensor<6x2xi64>
}

// argsort as JAX emits it: (keys, iota) with JAX's NaN/-0 canonicalizing float comparator;
// the iota result is TOPK_V2's indices.
// CHECK-LABEL: func.func @argsort_jax
// CHECK: %[[N:.*]] = "tfl.neg"(%arg0)
// CHECK: %[[V:.*]], %[[I:.*]] = "tfl.topk_v2"(%[[N]], %{{.*}})
// CHECK: %[[VN:.*]] = "tfl.neg"(%[[V]])
// CHECK: return %[[VN]], %[[I]] : tensor<3x7xf32>, tensor<3x7xi32>
func.func @argsort_jax(%arg0: tensor<3x7xf32>) -> (tensor<3x7xf32>, tensor<3x7xi32>) {
  %nan = stablehlo.constant dense<0x7FC00000> : tensor<f32>
  %zero = stablehlo.constant dense<0.000000e+00> : tensor<f32>
  %iota = stablehlo.iota dim = 1 : tensor<3x7xi32>
  %0:2 = "stablehlo.sort"(%arg0, %iota) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>, %ia: tensor<i32>, %ib: tensor<i32>):
    %1 = stablehlo.compare EQ, %a, %zero, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %2 = stablehlo.select %1, %zero, %a : tensor<i1>, tensor<f32>
    %3 = stablehlo.compare NE, %a, %a, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %4 = stablehlo.select %3, %nan, %2 : tensor<i1>, tensor<f32>
    %5 = stablehlo.compare EQ, %b, %zero, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %6 = stablehlo.select %5, %zero, %b : tensor<i1>, tensor<f32>
    %7 = stablehlo.compare NE, %b, %b, FLOAT : (tensor<f32>, tensor<f32>) -> tensor<i1>
    %8 = stablehlo.select %7, %nan, %6 : tensor<i1>, tensor<f32>
    %9 = stablehlo.compare LT, %4, %8, TOTALORDER : (tensor<f32>, tensor<f32>) -> tensor<i1>
    stablehlo.return %9 : tensor<i1>
  }) : (tensor<3x7xf32>, tensor<3x7xi32>) -> (tensor<3x7xf32>, tensor<3x7xi32>)
  return %0#0, %0#1 : tensor<3x7xf32>, tensor<3x7xi32>
}

// A payload that is not an iota is gathered with TOPK_V2's indices.
// CHECK-LABEL: func.func @sort_with_payload
// CHECK: %[[V:.*]], %[[I:.*]] = "tfl.topk_v2"(%arg0, %{{.*}})
// CHECK: %[[P:.*]] = "tfl.gather"(%arg1, %[[I]]) <{axis = 1 : i32, batch_dims = 1 : i32}> : (tensor<2x4xf32>, tensor<2x4xi32>) -> tensor<2x4xf32>
// CHECK: return %[[V]], %[[P]]
func.func @sort_with_payload(%arg0: tensor<2x4xi32>, %arg1: tensor<2x4xf32>) -> (tensor<2x4xi32>, tensor<2x4xf32>) {
  %0:2 = "stablehlo.sort"(%arg0, %arg1) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>, %pa: tensor<f32>, %pb: tensor<f32>):
    %c = stablehlo.compare GT, %a, %b, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }) : (tensor<2x4xi32>, tensor<2x4xf32>) -> (tensor<2x4xi32>, tensor<2x4xf32>)
  return %0#0, %0#1 : tensor<2x4xi32>, tensor<2x4xf32>
}

// Negative: a comparator on the payload, an unsigned comparison of signless ints, a dtype
// TOPK_V2 lacks (f16), and a dynamic dim stay.
// CHECK-LABEL: func.func @not_rewritten
// CHECK-COUNT-3: "stablehlo.sort"
// CHECK: stablehlo.custom_call @mhlo.topk
// CHECK-NOT: tfl.topk_v2
func.func @not_rewritten(%arg0: tensor<2x4xf32>, %arg1: tensor<2x4xi32>, %arg2: tensor<2x4xf16>, %arg3: tensor<?x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xi32>, tensor<2x4xf16>, tensor<?x2xf32>) {
  %0:2 = "stablehlo.sort"(%arg0, %arg1) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<f32>, %b: tensor<f32>, %ia: tensor<i32>, %ib: tensor<i32>):
    %c = stablehlo.compare LT, %ia, %ib, SIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }) : (tensor<2x4xf32>, tensor<2x4xi32>) -> (tensor<2x4xf32>, tensor<2x4xi32>)
  %1 = "stablehlo.sort"(%arg1) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<i32>, %b: tensor<i32>):
    %c = stablehlo.compare LT, %a, %b, UNSIGNED : (tensor<i32>, tensor<i32>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }) : (tensor<2x4xi32>) -> tensor<2x4xi32>
  %2 = "stablehlo.sort"(%arg2) <{dimension = 1 : i64, is_stable = true}> ({
  ^bb0(%a: tensor<f16>, %b: tensor<f16>):
    %c = stablehlo.compare GT, %a, %b, FLOAT : (tensor<f16>, tensor<f16>) -> tensor<i1>
    stablehlo.return %c : tensor<i1>
  }) : (tensor<2x4xf16>) -> tensor<2x4xf16>
  %3:2 = stablehlo.custom_call @mhlo.topk(%arg3) {mhlo.attributes = {k = 2 : i64, largest = true}, mhlo.version = 1 : i64} : (tensor<?x4xf32>) -> (tensor<?x2xf32>, tensor<?x2xi32>)
  return %0#0, %1, %2, %3#0 : tensor<2x4xf32>, tensor<2x4xi32>, tensor<2x4xf16>, tensor<?x2xf32>
}
