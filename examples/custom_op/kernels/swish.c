/* TflxSwish v1: y = x * sigmoid(beta * x), float32, any shape.
 * custom_options: FlexBuffer map {beta: float}. */
#include <math.h>
#include <stdlib.h>

#include "flexbuffer_map.h"
#include "kernel_util.h"

static void* swish_init(TfLiteContext* context, const char* buffer, size_t length) {
  float* beta = (float*)malloc(sizeof(float));
  if (beta == NULL) return NULL;
  double v;
  if (!tflx_flexbuffer_map_number(buffer, length, "beta", &v)) {
    context->ReportError(context, "TflxSwish: custom options have no number 'beta'\n");
    free(beta);
    return NULL;
  }
  *beta = (float)v;
  return beta;
}

static void swish_free(TfLiteContext* context, void* data) {
  (void)context;
  free(data);
}

static TfLiteStatus swish_prepare(TfLiteContext* context, TfLiteNode* node) {
  if (node->user_data == NULL) {
    context->ReportError(context, "TflxSwish: no parameters (bad custom options)\n");
    return kTfLiteError;
  }
  return tflx_prepare_unary_float(context, node, "TflxSwish");
}

static TfLiteStatus swish_invoke(TfLiteContext* context, TfLiteNode* node) {
  const float beta = *(const float*)node->user_data;
  const TfLiteTensor* in = tflx_input(context, node, 0);
  TfLiteTensor* out = tflx_output(context, node, 0);
  if (tflx_check_unary_float(context, in, out, "TflxSwish") != kTfLiteOk) return kTfLiteError;
  const float* x = (const float*)in->data;
  float* y = (float*)out->data;
  size_t n = tflx_num_elements(in->dims);
  for (size_t i = 0; i < n; ++i) y[i] = x[i] / (1.0f + expf(-beta * x[i]));
  return kTfLiteOk;
}

const TfLiteRegistration tflx_swish_registration = {
    .init = swish_init,
    .free = swish_free,
    .prepare = swish_prepare,
    .invoke = swish_invoke,
    .builtin_code = kTfLiteBuiltinCustom,
    .custom_name = "TflxSwish",
    .version = 1,
};
