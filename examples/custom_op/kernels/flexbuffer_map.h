/* Reading scalar attributes out of a custom op's options: a FlexBuffer map {name: value}.
 *
 * A minimal reader written from the FlexBuffers format description
 * (https://flatbuffers.dev/flexbuffers/): the root is described by the buffer's last two bytes
 * (byte width of the root slot, packed type); a map's values are a vector whose length and whose
 * keys vector (offset, byte width) precede it; each value's packed type byte follows the values.
 * Supports int, uint, float and bool values, stored inline or indirectly. */
#ifndef TFLX_EXAMPLES_FLEXBUFFER_MAP_H_
#define TFLX_EXAMPLES_FLEXBUFFER_MAP_H_

#include <stddef.h>

/* 1 and *out set when `key` holds a number (int, uint, float or bool) in the map, else 0.
 * Malformed buffers give 0, never a read outside [data, data + size). */
int tflx_flexbuffer_map_number(const void* data, size_t size, const char* key, double* out);

#endif /* TFLX_EXAMPLES_FLEXBUFFER_MAP_H_ */
