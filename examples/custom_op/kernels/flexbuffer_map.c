#include "flexbuffer_map.h"

#include <stdint.h>
#include <string.h>

/* FlexBuffer value types (the ones read here). */
enum {
  FBT_INT = 1,
  FBT_UINT = 2,
  FBT_FLOAT = 3,
  FBT_KEY = 4,
  FBT_INDIRECT_INT = 6,
  FBT_INDIRECT_UINT = 7,
  FBT_INDIRECT_FLOAT = 8,
  FBT_MAP = 9,
  FBT_BOOL = 26,
};

typedef struct {
  const uint8_t* begin;
  const uint8_t* end;
} Span;

static int in_span(Span s, const uint8_t* p, size_t n) {
  return p >= s.begin && p <= s.end && (size_t)(s.end - p) >= n;
}

static int valid_width(size_t w) { return w == 1 || w == 2 || w == 4 || w == 8; }

/* Little-endian unsigned of `width` bytes at p. */
static int read_uint(Span s, const uint8_t* p, size_t width, uint64_t* out) {
  if (!valid_width(width) || !in_span(s, p, width)) return 0;
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) v |= (uint64_t)p[i] << (8 * i);
  *out = v;
  return 1;
}

static int read_int(Span s, const uint8_t* p, size_t width, int64_t* out) {
  uint64_t u;
  if (!read_uint(s, p, width, &u)) return 0;
  if (width < 8 && (u >> (8 * width - 1)) & 1) u |= ~UINT64_C(0) << (8 * width); /* sign-extend */
  *out = (int64_t)u;
  return 1;
}

static int read_float(Span s, const uint8_t* p, size_t width, double* out) {
  if (!in_span(s, p, width)) return 0;
  if (width == 4) {
    float f;
    memcpy(&f, p, 4);
    *out = f;
    return 1;
  }
  if (width == 8) {
    double d;
    memcpy(&d, p, 8);
    *out = d;
    return 1;
  }
  return 0;
}

/* Offsets in FlexBuffers point backwards: target = p - value. */
static int indirect(Span s, const uint8_t* p, size_t width, const uint8_t** out) {
  uint64_t off;
  if (!read_uint(s, p, width, &off)) return 0;
  if (off > (uint64_t)(p - s.begin)) return 0;
  *out = p - off;
  return 1;
}

/* A value stored in a slot of `parent_width` bytes with packed type byte `packed`. */
static int read_number(Span s, const uint8_t* p, size_t parent_width, uint8_t packed, double* out) {
  int type = packed >> 2;
  size_t width = (size_t)1 << (packed & 3);
  const uint8_t* q;
  switch (type) {
    case FBT_INT: {
      int64_t v;
      if (!read_int(s, p, parent_width, &v)) return 0;
      *out = (double)v;
      return 1;
    }
    case FBT_UINT:
    case FBT_BOOL: {
      uint64_t v;
      if (!read_uint(s, p, parent_width, &v)) return 0;
      *out = type == FBT_BOOL ? (v != 0) : (double)v;
      return 1;
    }
    case FBT_FLOAT:
      return read_float(s, p, parent_width, out);
    case FBT_INDIRECT_INT: {
      int64_t v;
      if (!indirect(s, p, parent_width, &q) || !read_int(s, q, width, &v)) return 0;
      *out = (double)v;
      return 1;
    }
    case FBT_INDIRECT_UINT: {
      uint64_t v;
      if (!indirect(s, p, parent_width, &q) || !read_uint(s, q, width, &v)) return 0;
      *out = (double)v;
      return 1;
    }
    case FBT_INDIRECT_FLOAT:
      return indirect(s, p, parent_width, &q) && read_float(s, q, width, out);
    default:
      return 0;
  }
}

static int key_equals(Span s, const uint8_t* p, const char* key) {
  size_t n = strlen(key);
  if (!in_span(s, p, n + 1)) return 0;
  return memcmp(p, key, n) == 0 && p[n] == 0;
}

int tflx_flexbuffer_map_number(const void* data, size_t size, const char* key, double* out) {
  if (data == NULL || size < 3 || key == NULL || out == NULL) return 0;
  Span s = {(const uint8_t*)data, (const uint8_t*)data + size};
  size_t root_width = s.end[-1];
  uint8_t root_packed = s.end[-2];
  if (!valid_width(root_width) || size < 2 + root_width) return 0;
  if ((root_packed >> 2) != FBT_MAP) return 0;
  const uint8_t* root = s.end - 2 - root_width;
  const uint8_t* map;
  if (!indirect(s, root, root_width, &map)) return 0;
  size_t width = (size_t)1 << (root_packed & 3); /* byte width of the map's slots */
  if ((size_t)(map - s.begin) < 3 * width) return 0;
  uint64_t length, keys_width;
  const uint8_t* keys;
  if (!read_uint(s, map - width, width, &length)) return 0;
  if (!read_uint(s, map - 2 * width, width, &keys_width) || !valid_width((size_t)keys_width)) return 0;
  if (!indirect(s, map - 3 * width, width, &keys)) return 0;
  if (!in_span(s, map, length * width + length) || !in_span(s, keys, length * keys_width)) return 0;
  const uint8_t* types = map + length * width;
  for (uint64_t i = 0; i < length; ++i) {
    const uint8_t* k;
    if (!indirect(s, keys + i * keys_width, (size_t)keys_width, &k)) return 0;
    if (key_equals(s, k, key)) return read_number(s, map + i * width, width, types[i], out);
  }
  return 0;
}
