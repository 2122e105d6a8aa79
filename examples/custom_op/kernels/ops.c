/* The library's op table: what tflx registers with the interpreter (see tflite_c_abi.h). */
#include "tflite_c_abi.h"

extern const TfLiteRegistration tflx_scaled_tanh_registration;
extern const TfLiteRegistration tflx_swish_registration;

static const TflxCustomOp kOps[] = {
    {"TflxScaledTanh", 1, &tflx_scaled_tanh_registration},
    {"TflxSwish", 1, &tflx_swish_registration},
};

const TflxCustomOp* tflx_custom_ops(int* count) {
  *count = (int)(sizeof(kOps) / sizeof(kOps[0]));
  return kOps;
}

int tflx_kernel_abi_version(void) { return TFLX_KERNEL_ABI_VERSION; }
