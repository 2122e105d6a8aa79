// RUN: tflx-opt %s -split-input-file -decompose-segment-scatter | filecheck %s

// SegmentMax: num_segments = max(ids) + 1 at run time; ids no row has (count 0) give 0, not the
// lowest float UnsortedSegmentMax gives them.
// CHECK-LABEL: func.func @segment_max
// CHECK-NOT: tf.SegmentMax
// CHECK: %[[LAST:.*]] = "tf.Max"(%arg1, %{{.*}}) <{keep_dims = false}> : (tensor<6xi32>, tensor<1xi32>) -> tensor<i32>
// CHECK: %[[NUM:.*]] = "tf.AddV2"(%[[LAST]], %{{.*}}) : (tensor<i32>, tensor<i32>) -> tensor<i32>
// CHECK-NOT: "tf.Maximum"
// CHECK: %[[RED:.*]] = "tf.UnsortedSegmentMax"(%arg0, %arg1, %[[NUM]]) : (tensor<6x3xf32>, tensor<6xi32>, tensor<i32>) -> tensor<?x3xf32>
// CHECK: %[[ONES:.*]] = "tf.Const"() <{value = dense<1.000000e+00> : tensor<6xf32>}>
// CHECK: %[[COUNT:.*]] = "tf.UnsortedSegmentSum"(%[[ONES]], %arg1, %[[NUM]]) : (tensor<6xf32>, tensor<6xi32>, tensor<i32>) -> tensor<?xf32>
// CHECK: %[[ZERO:.*]] = "tf.Const"() <{value = dense<0.000000e+00> : tensor<f32>}>
// CHECK: %[[HIT:.*]] = "tf.Greater"(%[[COUNT]], %[[ZERO]])
// CHECK: %[[HIT2:.*]] = "tf.Reshape"(%[[HIT]], %{{.*}}) : (tensor<?xi1>, tensor<2xi64>) -> tensor<?x1xi1>
// CHECK: %[[OUT:.*]] = "tf.SelectV2"(%[[HIT2]], %[[RED]], %[[ZERO]]) : (tensor<?x1xi1>, tensor<?x3xf32>, tensor<f32>) -> tensor<?x3xf32>
// CHECK: return %[[OUT]]
func.func @segment_max(%arg0: tensor<6x3xf32>, %arg1: tensor<6xi32>) -> tensor<?x3xf32> {
  %0 = "tf.SegmentMax"(%arg0, %arg1) : (tensor<6x3xf32>, tensor<6xi32>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// SegmentMin on int32 data: the same form, 0 of the data's type for empty segments.
// CHECK-LABEL: func.func @segment_min_i32
// CHECK: %[[RED:.*]] = "tf.UnsortedSegmentMin"(%arg0, %arg1, %{{.*}}) : (tensor<5x2xi32>, tensor<5xi32>, tensor<i32>) -> tensor<?x2xi32>
// CHECK: %[[ZERO:.*]] = "tf.Const"() <{value = dense<0> : tensor<i32>}>
// CHECK: "tf.SelectV2"(%{{.*}}, %[[RED]], %[[ZERO]]) : (tensor<?x1xi1>, tensor<?x2xi32>, tensor<i32>) -> tensor<?x2xi32>
// CHECK-NOT: tf.SegmentMin
func.func @segment_min_i32(%arg0: tensor<5x2xi32>, %arg1: tensor<5xi32>) -> tensor<?x2xi32> {
  %0 = "tf.SegmentMin"(%arg0, %arg1) : (tensor<5x2xi32>, tensor<5xi32>) -> tensor<?x2xi32>
  return %0 : tensor<?x2xi32>
}

// -----

// SegmentMean with a dynamic row count and int64 ids: ids cast to int32, num_segments clamped at 0
// (no rows), ones built from the ids' shape, sum / max(count, 1).
// CHECK-LABEL: func.func @segment_mean_dynamic
// CHECK: %[[IDS:.*]] = "tf.Cast"(%arg1) <{Truncate = false}> : (tensor<?xi64>) -> tensor<?xi32>
// CHECK: %[[LAST:.*]] = "tf.Max"(%[[IDS]], %{{.*}})
// CHECK: %[[NUM0:.*]] = "tf.AddV2"(%[[LAST]], %{{.*}})
// CHECK: %[[NUM:.*]] = "tf.Maximum"(%[[NUM0]], %{{.*}}) : (tensor<i32>, tensor<i32>) -> tensor<i32>
// CHECK: %[[SUM:.*]] = "tf.UnsortedSegmentSum"(%arg0, %[[IDS]], %[[NUM]]) : (tensor<?x3xf32>, tensor<?xi32>, tensor<i32>) -> tensor<?x3xf32>
// CHECK: %[[SAME:.*]] = "tf.Equal"(%[[IDS]], %[[IDS]])
// CHECK: %[[ONES:.*]] = "tf.Cast"(%[[SAME]]) <{Truncate = false}> : (tensor<?xi1>) -> tensor<?xf32>
// CHECK: %[[COUNT:.*]] = "tf.UnsortedSegmentSum"(%[[ONES]], %[[IDS]], %[[NUM]])
// CHECK: %[[DEN:.*]] = "tf.Maximum"(%[[COUNT]], %{{.*}}) : (tensor<?xf32>, tensor<f32>) -> tensor<?xf32>
// CHECK: %[[DEN2:.*]] = "tf.Reshape"(%[[DEN]], %{{.*}}) : (tensor<?xf32>, tensor<2xi64>) -> tensor<?x1xf32>
// CHECK: %[[OUT:.*]] = "tf.RealDiv"(%[[SUM]], %[[DEN2]]) : (tensor<?x3xf32>, tensor<?x1xf32>) -> tensor<?x3xf32>
// CHECK: return %[[OUT]]
func.func @segment_mean_dynamic(%arg0: tensor<?x3xf32>, %arg1: tensor<?xi64>) -> tensor<?x3xf32> {
  %0 = "tf.SegmentMean"(%arg0, %arg1) : (tensor<?x3xf32>, tensor<?xi64>) -> tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

// SegmentProd: an empty segment is 1 in TF and in UnsortedSegmentProd, no mask.
// CHECK-LABEL: func.func @segment_prod
// CHECK: %[[NUM:.*]] = "tf.AddV2"
// CHECK: %[[OUT:.*]] = "tf.UnsortedSegmentProd"(%arg0, %arg1, %[[NUM]]) : (tensor<4xf32>, tensor<4xi32>, tensor<i32>) -> tensor<?xf32>
// CHECK-NOT: tf.UnsortedSegmentSum
// CHECK: return %[[OUT]]
func.func @segment_prod(%arg0: tensor<4xf32>, %arg1: tensor<4xi32>) -> tensor<?xf32> {
  %0 = "tf.SegmentProd"(%arg0, %arg1) : (tensor<4xf32>, tensor<4xi32>) -> tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Negative: int32 SegmentMean (TF divides integers), f16 data, 2-D ids, a zero-row data and
// SegmentSum (which legalizes to SEGMENT_SUM) are left alone.
// CHECK-LABEL: func.func @segment_not_rewritten
// CHECK: "tf.SegmentMean"(%arg0, %arg1) : (tensor<4x2xi32>
// CHECK: "tf.SegmentMax"(%arg2, %arg1) : (tensor<4xf16>
// CHECK: "tf.SegmentMin"(%arg3, %arg4) : (tensor<2x2xf32>, tensor<2x2xi32>)
// CHECK: "tf.SegmentMax"(%arg5, %arg6) : (tensor<0x3xf32>
// CHECK: "tf.SegmentSum"(%arg3, %{{.*}})
// CHECK-NOT: tf.Unsorted
func.func @segment_not_rewritten(%arg0: tensor<4x2xi32>, %arg1: tensor<4xi32>, %arg2: tensor<4xf16>, %arg3: tensor<2x2xf32>, %arg4: tensor<2x2xi32>, %arg5: tensor<0x3xf32>, %arg6: tensor<0xi32>, %arg7: tensor<2xi32>) -> (tensor<?x2xi32>, tensor<?xf16>, tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x2xf32>) {
  %0 = "tf.SegmentMean"(%arg0, %arg1) : (tensor<4x2xi32>, tensor<4xi32>) -> tensor<?x2xi32>
  %1 = "tf.SegmentMax"(%arg2, %arg1) : (tensor<4xf16>, tensor<4xi32>) -> tensor<?xf16>
  %2 = "tf.SegmentMin"(%arg3, %arg4) : (tensor<2x2xf32>, tensor<2x2xi32>) -> tensor<?x2xf32>
  %3 = "tf.SegmentMax"(%arg5, %arg6) : (tensor<0x3xf32>, tensor<0xi32>) -> tensor<?x3xf32>
  %4 = "tf.SegmentSum"(%arg3, %arg7) : (tensor<2x2xf32>, tensor<2xi32>) -> tensor<?x2xf32>
  return %0, %1, %2, %3, %4 : tensor<?x2xi32>, tensor<?xf16>, tensor<?x2xf32>, tensor<?x3xf32>, tensor<?x2xf32>
}

// -----

// TensorScatterSub: tensor - ScatterNd(indices, updates, shape) (ScatterNd adds repeated indices).
// CHECK-LABEL: func.func @scatter_sub
// CHECK: %[[SHAPE:.*]] = "tf.Const"() <{value = dense<[5, 3]> : tensor<2xi32>}>
// CHECK: %[[S:.*]] = "tf.ScatterNd"(%arg1, %arg2, %[[SHAPE]]) : (tensor<3x1xi32>, tensor<3x3xf32>, tensor<2xi32>) -> tensor<5x3xf32>
// CHECK: %[[OUT:.*]] = "tf.Sub"(%arg0, %[[S]]) : (tensor<5x3xf32>, tensor<5x3xf32>) -> tensor<5x3xf32>
// CHECK: return %[[OUT]]
func.func @scatter_sub(%arg0: tensor<5x3xf32>, %arg1: tensor<3x1xi32>, %arg2: tensor<3x3xf32>) -> tensor<5x3xf32> {
  %0 = "tf.TensorScatterSub"(%arg0, %arg1, %arg2) <{bad_indices_policy = ""}> : (tensor<5x3xf32>, tensor<3x1xi32>, tensor<3x3xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// -----

// TensorScatterMax, one index dim: the indices are the rows; per-row max of the updates
// (UnsortedSegmentMax, repeated indices fine) applied where some index hit the row.
// CHECK-LABEL: func.func @scatter_max_rows
// CHECK-NOT: "tf.Mul"
// CHECK: %[[ROWS:.*]] = "tf.Reshape"(%arg1, %{{.*}}) : (tensor<4x1xi32>, tensor<1xi64>) -> tensor<4xi32>
// CHECK: %[[P:.*]] = "tf.Const"() <{value = dense<5> : tensor<i32>}>
// CHECK: %[[M:.*]] = "tf.UnsortedSegmentMax"(%arg2, %[[ROWS]], %[[P]]) : (tensor<4x3xf32>, tensor<4xi32>, tensor<i32>) -> tensor<5x3xf32>
// CHECK: %[[COUNT:.*]] = "tf.UnsortedSegmentSum"(%{{.*}}, %[[ROWS]], %[[P]]) : (tensor<4xf32>, tensor<4xi32>, tensor<i32>) -> tensor<5xf32>
// CHECK: %[[HIT:.*]] = "tf.Greater"(%[[COUNT]], %{{.*}})
// CHECK: %[[HIT2:.*]] = "tf.Reshape"(%[[HIT]], %{{.*}}) : (tensor<5xi1>, tensor<2xi64>) -> tensor<5x1xi1>
// CHECK: %[[BEST:.*]] = "tf.Maximum"(%arg0, %[[M]]) : (tensor<5x3xf32>, tensor<5x3xf32>) -> tensor<5x3xf32>
// CHECK: %[[OUT:.*]] = "tf.SelectV2"(%[[HIT2]], %[[BEST]], %arg0)
// CHECK: return %[[OUT]]
func.func @scatter_max_rows(%arg0: tensor<5x3xf32>, %arg1: tensor<4x1xi32>, %arg2: tensor<4x3xf32>) -> tensor<5x3xf32> {
  %0 = "tf.TensorScatterMax"(%arg0, %arg1, %arg2) <{bad_indices_policy = ""}> : (tensor<5x3xf32>, tensor<4x1xi32>, tensor<4x3xf32>) -> tensor<5x3xf32>
  return %0 : tensor<5x3xf32>
}

// -----

// TensorScatterMin, batched int64 index pairs into [4, 5, 3]: cast, flattened to rows of the
// [20, 3] view by the strides [5, 1], Minimum, and reshaped back.
// CHECK-LABEL: func.func @scatter_min_pairs
// CHECK: %[[IDX:.*]] = "tf.Cast"(%arg1) <{Truncate = false}> : (tensor<2x2x2xi64>) -> tensor<2x2x2xi32>
// CHECK: %[[TUP:.*]] = "tf.Reshape"(%[[IDX]], %{{.*}}) : (tensor<2x2x2xi32>, tensor<2xi64>) -> tensor<4x2xi32>
// CHECK: %[[STRIDES:.*]] = "tf.Const"() <{value = dense<[5, 1]> : tensor<2xi32>}>
// CHECK: %[[SCALED:.*]] = "tf.Mul"(%[[TUP]], %[[STRIDES]])
// CHECK: %[[ROWS:.*]] = "tf.Sum"(%[[SCALED]], %{{.*}}) <{keep_dims = false}> : (tensor<4x2xi32>, tensor<1xi32>) -> tensor<4xi32>
// CHECK: %[[T:.*]] = "tf.Reshape"(%arg0, %{{.*}}) : (tensor<4x5x3xf32>, tensor<2xi64>) -> tensor<20x3xf32>
// CHECK: %[[U:.*]] = "tf.Reshape"(%arg2, %{{.*}}) : (tensor<2x2x3xf32>, tensor<2xi64>) -> tensor<4x3xf32>
// CHECK: %[[M:.*]] = "tf.UnsortedSegmentMin"(%[[U]], %[[ROWS]], %{{.*}}) : (tensor<4x3xf32>, tensor<4xi32>, tensor<i32>) -> tensor<20x3xf32>
// CHECK: "tf.Minimum"(%[[T]], %[[M]])
// CHECK: %[[SEL:.*]] = "tf.SelectV2"
// CHECK: %[[OUT:.*]] = "tf.Reshape"(%[[SEL]], %{{.*}}) : (tensor<20x3xf32>, tensor<3xi64>) -> tensor<4x5x3xf32>
// CHECK: return %[[OUT]]
func.func @scatter_min_pairs(%arg0: tensor<4x5x3xf32>, %arg1: tensor<2x2x2xi64>, %arg2: tensor<2x2x3xf32>) -> tensor<4x5x3xf32> {
  %0 = "tf.TensorScatterMin"(%arg0, %arg1, %arg2) <{bad_indices_policy = ""}> : (tensor<4x5x3xf32>, tensor<2x2x2xi64>, tensor<2x2x3xf32>) -> tensor<4x5x3xf32>
  return %0 : tensor<4x5x3xf32>
}

// -----

// Negative: bad_indices_policy IGNORE, a dynamic tensor, dynamic indices and f16 are left alone.
// CHECK-LABEL: func.func @scatter_not_rewritten
// CHECK: "tf.TensorScatterMax"(%arg0, %arg1, %arg2) <{bad_indices_policy = "IGNORE"}>
// CHECK: "tf.TensorScatterSub"(%arg3, %arg1, %arg2)
// CHECK: "tf.TensorScatterMin"(%arg0, %arg4, %arg5)
// CHECK: "tf.TensorScatterSub"(%arg6, %arg1, %arg7)
// CHECK-NOT: tf.ScatterNd
// CHECK-NOT: tf.Unsorted
func.func @scatter_not_rewritten(%arg0: tensor<5x3xf32>, %arg1: tensor<3x1xi32>, %arg2: tensor<3x3xf32>, %arg3: tensor<?x3xf32>, %arg4: tensor<?x1xi32>, %arg5: tensor<?x3xf32>, %arg6: tensor<5x3xf16>, %arg7: tensor<3x3xf16>) -> (tensor<5x3xf32>, tensor<?x3xf32>, tensor<5x3xf32>, tensor<5x3xf16>) {
  %0 = "tf.TensorScatterMax"(%arg0, %arg1, %arg2) <{bad_indices_policy = "IGNORE"}> : (tensor<5x3xf32>, tensor<3x1xi32>, tensor<3x3xf32>) -> tensor<5x3xf32>
  %1 = "tf.TensorScatterSub"(%arg3, %arg1, %arg2) <{bad_indices_policy = ""}> : (tensor<?x3xf32>, tensor<3x1xi32>, tensor<3x3xf32>) -> tensor<?x3xf32>
  %2 = "tf.TensorScatterMin"(%arg0, %arg4, %arg5) <{bad_indices_policy = ""}> : (tensor<5x3xf32>, tensor<?x1xi32>, tensor<?x3xf32>) -> tensor<5x3xf32>
  %3 = "tf.TensorScatterSub"(%arg6, %arg1, %arg7) <{bad_indices_policy = ""}> : (tensor<5x3xf16>, tensor<3x1xi32>, tensor<3x3xf16>) -> tensor<5x3xf16>
  return %0, %1, %2, %3 : tensor<5x3xf32>, tensor<?x3xf32>, tensor<5x3xf32>, tensor<5x3xf16>
}
