// RUN: tflx-opt %s -split-input-file -legalize-shape-to-stablehlo | filecheck %s

// The shape ops `tf-stablehlo` leaves for dynamic dims, in the generic form tflx rewrites them
// to (litert's context has no shape dialect), become StableHLO integer tensors.

// CHECK-LABEL: func.func @const_shape
// CHECK-NOT: shape.
// CHECK: %[[C:.*]] = stablehlo.constant dense<[2, 3]> : tensor<2xi32>
// CHECK: stablehlo.dynamic_broadcast_in_dim %arg0, %[[C]], dims = [1]
func.func @const_shape(%arg0: tensor<3xf32>) -> tensor<2x3xf32> {
  %0 = "shape.const_shape"() {shape = dense<[2, 3]> : tensor<2xindex>} : () -> tensor<2xindex>
  %1 = stablehlo.dynamic_broadcast_in_dim %arg0, %0, dims = [1] : (tensor<3xf32>, tensor<2xindex>) -> tensor<2x3xf32>
  return %1 : tensor<2x3xf32>
}

// -----

// A fully static shape_of is a constant.
// CHECK-LABEL: func.func @static_shape_of
// CHECK-NOT: shape.
// CHECK: %[[C:.*]] = stablehlo.constant dense<[4, 5]> : tensor<2xi32>
// CHECK: stablehlo.dynamic_broadcast_in_dim %arg1, %[[C]], dims = [1]
func.func @static_shape_of(%arg0: tensor<4x5xf32>, %arg1: tensor<5xf32>) -> tensor<4x5xf32> {
  %0 = "shape.shape_of"(%arg0) : (tensor<4x5xf32>) -> tensor<2xindex>
  %1 = stablehlo.dynamic_broadcast_in_dim %arg1, %0, dims = [1] : (tensor<5xf32>, tensor<2xindex>) -> tensor<4x5xf32>
  return %1 : tensor<4x5xf32>
}

// -----

// A shape with a dynamic dim is read at run time with one tfl.shape (TFLite's SHAPE, i32).
// CHECK-LABEL: func.func @dynamic_shape_of
// CHECK-NOT: shape.
// CHECK: %[[SHAPE:.*]] = "tfl.shape"(%arg0) : (tensor<?x3xf32>) -> tensor<2xi32>
// CHECK: stablehlo.dynamic_broadcast_in_dim %arg1, %[[SHAPE]], dims = [1]
func.func @dynamic_shape_of(%arg0: tensor<?x3xf32>, %arg1: tensor<3xf32>) -> tensor<?x3xf32> {
  %0 = "shape.shape_of"(%arg0) : (tensor<?x3xf32>) -> tensor<2xindex>
  %1 = stablehlo.dynamic_broadcast_in_dim %arg1, %0, dims = [1] : (tensor<3xf32>, tensor<2xindex>) -> tensor<?x3xf32>
  return %1 : tensor<?x3xf32>
}

// -----

// What tf-stablehlo emits for a dynamic-batch AddV2: broadcast of two extents takes the other
// side wherever one side is 1.
// CHECK-LABEL: func.func @broadcast
// CHECK-NOT: shape.
// CHECK-DAG: %[[RHS:.*]] = stablehlo.constant dense<[1, 3]> : tensor<2xi32>
// CHECK-DAG: %[[ONES:.*]] = stablehlo.constant dense<1> : tensor<2xi32>
// CHECK-DAG: %[[LHS:.*]] = "tfl.shape"(%arg0)
// CHECK: %[[EQ:.*]] = stablehlo.compare EQ, %[[LHS]], %[[ONES]] : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi1>
// CHECK: %[[B:.*]] = stablehlo.select %[[EQ]], %[[RHS]], %[[LHS]] : tensor<2xi1>, tensor<2xi32>
// CHECK: stablehlo.dynamic_broadcast_in_dim %arg0, %[[B]], dims = [0, 1]
// CHECK: stablehlo.dynamic_broadcast_in_dim %arg1, %[[B]], dims = [0, 1]
func.func @broadcast(%arg0: tensor<?x3xf32>, %arg1: tensor<1x3xf32>) -> tensor<?x3xf32> {
  %0 = "shape.const_shape"() {shape = dense<[1, 3]> : tensor<2xindex>} : () -> tensor<2xindex>
  %1 = "shape.shape_of"(%arg0) : (tensor<?x3xf32>) -> tensor<2xindex>
  %2 = "shape.broadcast"(%1, %0) : (tensor<2xindex>, tensor<2xindex>) -> tensor<2xindex>
  %3 = stablehlo.dynamic_broadcast_in_dim %arg0, %2, dims = [0, 1] : (tensor<?x3xf32>, tensor<2xindex>) -> tensor<?x3xf32>
  %4 = stablehlo.dynamic_broadcast_in_dim %arg1, %2, dims = [0, 1] : (tensor<1x3xf32>, tensor<2xindex>) -> tensor<?x3xf32>
  %5 = stablehlo.add %3, %4 : tensor<?x3xf32>
  return %5 : tensor<?x3xf32>
}

// -----

// shape.broadcast is n-ary: a BERT-style attention mask broadcasts three shapes; folded pairwise
// (regression: "too many values to unpack").
// CHECK-LABEL: func.func @broadcast_three
// CHECK-NOT: shape.
// CHECK: %[[EQ1:.*]] = stablehlo.compare EQ
// CHECK: %[[B1:.*]] = stablehlo.select %[[EQ1]]
// CHECK: %[[EQ2:.*]] = stablehlo.compare EQ, %[[B1]]
// CHECK: %[[B2:.*]] = stablehlo.select %[[EQ2]], %{{.*}}, %[[B1]]
// CHECK: stablehlo.dynamic_broadcast_in_dim %arg0, %[[B2]], dims = [0, 1, 2]
func.func @broadcast_three(%arg0: tensor<?x1x4xf32>, %arg1: tensor<?x3x1xf32>, %arg2: tensor<4xf32>) -> tensor<?x3x4xf32> {
  %0 = "shape.shape_of"(%arg0) : (tensor<?x1x4xf32>) -> tensor<3xindex>
  %1 = "shape.shape_of"(%arg1) : (tensor<?x3x1xf32>) -> tensor<3xindex>
  %2 = "shape.const_shape"() {shape = dense<[4]> : tensor<1xindex>} : () -> tensor<1xindex>
  %3 = "shape.broadcast"(%0, %1, %2) : (tensor<3xindex>, tensor<3xindex>, tensor<1xindex>) -> tensor<3xindex>
  %4 = stablehlo.dynamic_broadcast_in_dim %arg0, %3, dims = [0, 1, 2] : (tensor<?x1x4xf32>, tensor<3xindex>) -> tensor<?x3x4xf32>
  return %4 : tensor<?x3x4xf32>
}

// -----

// A batched matmul with a dynamic batch: split the operand's shape before the last two dims,
// concat the batch with a weight's static dims, and cast a shape for a reshape.
// CHECK-LABEL: func.func @split_concat_cast
// CHECK-NOT: shape.
// CHECK-NOT: arith.index_cast
// CHECK: %[[W:.*]] = stablehlo.constant dense<[4, 5]> : tensor<2xi32>
// CHECK: %[[S:.*]] = "tfl.shape"(%arg0) : (tensor<?x3x4xf32>) -> tensor<3xi32>
// CHECK: %[[HEAD:.*]] = stablehlo.slice %[[S]] [0:1]
// CHECK: %[[CAT:.*]] = stablehlo.concatenate %[[HEAD]], %[[W]], dim = 0 : (tensor<1xi32>, tensor<2xi32>) -> tensor<3xi32>
// CHECK: stablehlo.dynamic_broadcast_in_dim %arg1, %[[CAT]], dims = [1, 2]
// The index_cast to i32 has nothing left to do.
// CHECK: return %{{.*}}, %[[S]] : tensor<?x4x5xf32>, tensor<3xi32>
func.func @split_concat_cast(%arg0: tensor<?x3x4xf32>, %arg1: tensor<4x5xf32>) -> (tensor<?x4x5xf32>, tensor<3xi32>) {
  %w = "shape.const_shape"() {shape = dense<[4, 5]> : tensor<2xindex>} : () -> !shape.shape
  %c-2 = arith.constant -2 : index
  %s = "shape.shape_of"(%arg0) : (tensor<?x3x4xf32>) -> tensor<3xindex>
  %head, %tail = "shape.split_at"(%s, %c-2) : (tensor<3xindex>, index) -> (!shape.shape, !shape.shape)
  %cat = "shape.concat"(%head, %w) : (!shape.shape, !shape.shape) -> !shape.shape
  %ext = "shape.to_extent_tensor"(%cat) : (!shape.shape) -> tensor<3xindex>
  %b = stablehlo.dynamic_broadcast_in_dim %arg1, %ext, dims = [1, 2] : (tensor<4x5xf32>, tensor<3xindex>) -> tensor<?x4x5xf32>
  %i = arith.index_cast %s : tensor<3xindex> to tensor<3xi32>
  return %b, %i : tensor<?x4x5xf32>, tensor<3xi32>
}
