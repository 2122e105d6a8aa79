/* Helpers shared by the example kernels: tensors of a node, an elementwise float32 prepare. */
#ifndef TFLX_EXAMPLES_KERNEL_UTIL_H_
#define TFLX_EXAMPLES_KERNEL_UTIL_H_

#include <stdlib.h>

#include "tflite_c_abi.h"

static inline TfLiteTensor* tflx_input(TfLiteContext* context, const TfLiteNode* node, int i) {
  return &context->tensors[node->inputs->data[i]];
}

static inline TfLiteTensor* tflx_output(TfLiteContext* context, const TfLiteNode* node, int i) {
  return &context->tensors[node->outputs->data[i]];
}

static inline size_t tflx_num_elements(const TfLiteIntArray* dims) {
  size_t n = 1;
  for (int i = 0; i < dims->size; ++i) n *= (size_t)dims->data[i];
  return n;
}

/* One float32 input, one float32 output of the same shape. Checks what the kernel will read,
 * which also catches a TfLiteTensor layout that does not match the runtime's. */
static inline TfLiteStatus tflx_prepare_unary_float(TfLiteContext* context, TfLiteNode* node, const char* op) {
  if (node->inputs->size != 1 || node->outputs->size != 1) {
    context->ReportError(context, "%s: expected 1 input and 1 output, got %d and %d\n", op, node->inputs->size,
                         node->outputs->size);
    return kTfLiteError;
  }
  TfLiteTensor* in = tflx_input(context, node, 0);
  TfLiteTensor* out = tflx_output(context, node, 0);
  if (in->type != kTfLiteFloat32 || out->type != kTfLiteFloat32) {
    context->ReportError(context, "%s: expected float32 tensors, got types %d and %d\n", op, (int)in->type,
                         (int)out->type);
    return kTfLiteError;
  }
  if (in->dims == NULL || in->dims->size < 0 || in->dims->size > 16) {
    context->ReportError(context, "%s: input has no valid shape (TfLiteTensor layout mismatch?)\n", op);
    return kTfLiteError;
  }
  TfLiteIntArray* shape = (TfLiteIntArray*)malloc(sizeof(TfLiteIntArray) + sizeof(int) * (size_t)in->dims->size);
  if (shape == NULL) return kTfLiteError;
  shape->size = in->dims->size;
  for (int i = 0; i < in->dims->size; ++i) shape->data[i] = in->dims->data[i];
  return context->ResizeTensor(context, out, shape);
}

/* At invoke: sizes as prepare promised (bytes == 4 * elements). */
static inline TfLiteStatus tflx_check_unary_float(TfLiteContext* context, const TfLiteTensor* in,
                                                  const TfLiteTensor* out, const char* op) {
  size_t n = tflx_num_elements(in->dims);
  if (in->bytes != n * sizeof(float) || out->bytes != in->bytes || in->data == NULL || out->data == NULL) {
    context->ReportError(context, "%s: tensor sizes do not match their shapes (TfLiteTensor layout mismatch?)\n", op);
    return kTfLiteError;
  }
  return kTfLiteOk;
}

#endif /* TFLX_EXAMPLES_KERNEL_UTIL_H_ */
