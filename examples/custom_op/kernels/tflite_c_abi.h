/* The part of the TensorFlow Lite C ABI that tflx's example kernels use, declared here from the
 * public API documentation (tensorflow/lite/core/c/common.h, "TfLiteRegistration",
 * "TfLiteContext", "TfLiteNode", "TfLiteTensor"): no wheel ships these headers.
 *
 * Only what a CPU kernel touches is declared. Structs the runtime allocates are declared up to
 * the last field we read (TfLiteContext, TfLiteNode); TfLiteTensor is declared whole because
 * kernels index `context->tensors[i]`. TfLiteRegistration is declared whole plus a zeroed
 * reserve, because the runtime copies it. Kernels check what they read (type, bytes vs dims) in
 * prepare, so a layout drift shows up as an error, not as wrong numbers.
 *
 * Second part: the contract between a kernel library and tflx (`tflx_custom_ops`). */
#ifndef TFLX_EXAMPLES_TFLITE_C_ABI_H_
#define TFLX_EXAMPLES_TFLITE_C_ABI_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum TfLiteStatus { kTfLiteOk = 0, kTfLiteError = 1 } TfLiteStatus;

/* TfLiteType values (schema TensorType + 1 for float32 ...), the ones kernels here check. */
typedef enum TfLiteType {
  kTfLiteNoType = 0,
  kTfLiteFloat32 = 1,
  kTfLiteInt32 = 2,
  kTfLiteUInt8 = 3,
  kTfLiteInt64 = 4,
  kTfLiteBool = 6,
  kTfLiteInt8 = 9,
} TfLiteType;

enum { kTfLiteBuiltinCustom = 32 };

typedef struct TfLiteIntArray {
  int size;
  int data[];
} TfLiteIntArray;

typedef struct TfLiteQuantizationParams {
  float scale;
  int32_t zero_point;
} TfLiteQuantizationParams;

typedef struct TfLiteQuantization {
  int type; /* TfLiteQuantizationType */
  void* params;
} TfLiteQuantization;

typedef struct TfLiteTensor {
  TfLiteType type;
  void* data; /* TfLitePtrUnion: only `.data` is used */
  TfLiteIntArray* dims;
  TfLiteQuantizationParams params;
  int allocation_type; /* TfLiteAllocationType */
  size_t bytes;
  const void* allocation;
  const char* name;
  struct TfLiteDelegate* delegate;
  int buffer_handle; /* TfLiteBufferHandle */
  bool data_is_stale;
  bool is_variable;
  TfLiteQuantization quantization;
  void* sparsity; /* TfLiteSparsity* */
  const TfLiteIntArray* dims_signature;
} TfLiteTensor;

/* Prefix: the runtime owns the node; fields after custom_initial_data_size are not read. */
typedef struct TfLiteNode {
  TfLiteIntArray* inputs;
  TfLiteIntArray* outputs;
  TfLiteIntArray* intermediates;
  TfLiteIntArray* temporaries;
  void* user_data; /* what init returned */
  void* builtin_data;
  const void* custom_initial_data; /* the op's custom_options */
  int custom_initial_data_size;
} TfLiteNode;

/* Prefix: the runtime owns the context; fields after ReportError are not read. */
typedef struct TfLiteContext {
  size_t tensors_size;
  TfLiteStatus (*GetExecutionPlan)(struct TfLiteContext* context, TfLiteIntArray** execution_plan);
  TfLiteTensor* tensors;
  void* impl_;
  /* Takes ownership of new_size, which must come from malloc (TfLiteIntArrayCreate does). */
  TfLiteStatus (*ResizeTensor)(struct TfLiteContext*, TfLiteTensor* tensor, TfLiteIntArray* new_size);
  void (*ReportError)(struct TfLiteContext*, const char* msg, ...);
} TfLiteContext;

typedef struct TfLiteRegistration {
  void* (*init)(TfLiteContext* context, const char* buffer, size_t length);
  void (*free)(TfLiteContext* context, void* buffer);
  TfLiteStatus (*prepare)(TfLiteContext* context, TfLiteNode* node);
  TfLiteStatus (*invoke)(TfLiteContext* context, TfLiteNode* node);
  const char* (*profiling_string)(const TfLiteContext* context, const TfLiteNode* node);
  int32_t builtin_code;
  const char* custom_name;
  int version;
  void* registration_external; /* TfLiteOperator*: unused, NULL */
  void* async_kernel;          /* unused, NULL */
  uint64_t inplace_operator;   /* kTfLiteInplaceOpNone */
  void* reserved_zero[8];      /* later fields a newer runtime may copy: left zero */
} TfLiteRegistration;

/* ---- the tflx kernel-library contract ------------------------------------------------------
 * A library exports `tflx_custom_ops`, returning its ops and their count. tflx loads the library,
 * reads the table and registers each entry with the interpreter's op resolver
 * (MutableOpResolver::AddCustom(name, registration, version)); a model's custom op runs when
 * its custom_code and version match an entry. */
typedef struct TflxCustomOp {
  const char* name; /* custom_code in the .tflite */
  int version;      /* OperatorCode.version */
  const TfLiteRegistration* registration;
} TflxCustomOp;

#define TFLX_KERNEL_ABI_VERSION 1

#if defined(__GNUC__)
#define TFLX_EXPORT __attribute__((visibility("default")))
#else
#define TFLX_EXPORT
#endif

TFLX_EXPORT const TflxCustomOp* tflx_custom_ops(int* count);
TFLX_EXPORT int tflx_kernel_abi_version(void);

#ifdef __cplusplus
}
#endif

#endif /* TFLX_EXAMPLES_TFLITE_C_ABI_H_ */
