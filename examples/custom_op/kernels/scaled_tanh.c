/* TflxScaledTanh v1: y = alpha * tanh(beta * x), float32, any shape.
 * custom_options: FlexBuffer map {alpha: float, beta: float (default 1.0)}. */
#include <math.h>
#include <stdlib.h>

#include "flexbuffer_map.h"
#include "kernel_util.h"

typedef struct {
  float alpha, beta;
} ScaledTanhParams;

static void* scaled_tanh_init(TfLiteContext* context, const char* buffer, size_t length) {
  ScaledTanhParams* p = (ScaledTanhParams*)malloc(sizeof(ScaledTanhParams));
  if (p == NULL) return NULL;
  double v;
  if (!tflx_flexbuffer_map_number(buffer, length, "alpha", &v)) {
    context->ReportError(context, "TflxScaledTanh: custom options have no number 'alpha'\n");
    free(p);
    return NULL;
  }
  p->alpha = (float)v;
  p->beta = tflx_flexbuffer_map_number(buffer, length, "beta", &v) ? (float)v : 1.0f;
  return p;
}

static void scaled_tanh_free(TfLiteContext* context, void* data) {
  (void)context;
  free(data);
}

static TfLiteStatus scaled_tanh_prepare(TfLiteContext* context, TfLiteNode* node) {
  if (node->user_data == NULL) {
    context->ReportError(context, "TflxScaledTanh: no parameters (bad custom options)\n");
    return kTfLiteError;
  }
  return tflx_prepare_unary_float(context, node, "TflxScaledTanh");
}

static TfLiteStatus scaled_tanh_invoke(TfLiteContext* context, TfLiteNode* node) {
  const ScaledTanhParams* p = (const ScaledTanhParams*)node->user_data;
  const TfLiteTensor* in = tflx_input(context, node, 0);
  TfLiteTensor* out = tflx_output(context, node, 0);
  if (tflx_check_unary_float(context, in, out, "TflxScaledTanh") != kTfLiteOk) return kTfLiteError;
  const float* x = (const float*)in->data;
  float* y = (float*)out->data;
  size_t n = tflx_num_elements(in->dims);
  for (size_t i = 0; i < n; ++i) y[i] = p->alpha * tanhf(p->beta * x[i]);
  return kTfLiteOk;
}

const TfLiteRegistration tflx_scaled_tanh_registration = {
    .init = scaled_tanh_init,
    .free = scaled_tanh_free,
    .prepare = scaled_tanh_prepare,
    .invoke = scaled_tanh_invoke,
    .builtin_code = kTfLiteBuiltinCustom,
    .custom_name = "TflxScaledTanh",
    .version = 1,
};
