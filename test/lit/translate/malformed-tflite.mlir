// RUN: tflx-translate -mlir-to-tflite-flatbuffer %s -o %t.tflite
// RUN: %python -c "import sys; d = open(sys.argv[1], 'rb').read(); open(sys.argv[2], 'wb').write(d[:200])" %t.tflite %t.truncated
// RUN: not tflx-translate -tflite-flatbuffer-to-mlir %t.truncated 2>&1 | filecheck %s --check-prefix=TRUNC
// RUN: not tflx-translate -tflite-flatbuffer-to-mlir %s 2>&1 | filecheck %s --check-prefix=TEXT
// RUN: %python -c "import sys; d = bytearray(open(sys.argv[1], 'rb').read()); d[8] = 255; open(sys.argv[2], 'wb').write(d)" %t.tflite %t.corrupt
// RUN: not tflx-translate -tflite-flatbuffer-to-mlir %t.corrupt 2>&1 | filecheck %s --check-prefix=CORRUPT

// A malformed .tflite is one line on stderr and exit status 1 -- never a crashed process
// (`not` fails on a crash). The byte-8 corruption (the root table's vtable) once passed
// tflx.flatbuffer.validate and made litert-converter's native reader abort; whichever catches
// it now, the validator or the forked child tflx-translate reads in, the result is one line.

// TRUNC: tflx: error: '{{.*}}.truncated' is malformed
// TRUNC-NOT: Traceback
// TEXT: tflx: error: '{{.*}}malformed-tflite.mlir' is not a .tflite (file identifier
// CORRUPT: tflx: error: {{.*}}.corrupt{{.*}}
// CORRUPT-NOT: Traceback

func.func @main(%arg0: tensor<1x4xf32>) -> tensor<1x4xf32> {
  %0 = "tfl.tanh"(%arg0) : (tensor<1x4xf32>) -> tensor<1x4xf32>
  return %0 : tensor<1x4xf32>
}
