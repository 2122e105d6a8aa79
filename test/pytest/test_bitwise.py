"""decompose-bitwise: BitwiseAnd, BitwiseOr, LeftShift and PopulationCount (no TFLite builtins)
convert to builtins only, run in ai-edge-litert and match TensorFlow exactly: negatives, the
int32 extremes, broadcasting, every shift amount, narrower and unsigned types, dynamic dims."""
import numpy as np
import pytest

from tflxtest import run_signature

BUILTINS = {"RESHAPE", "EXPAND_DIMS", "RIGHT_SHIFT", "FLOOR_MOD", "MUL", "MAXIMUM", "MINIMUM", "SUM",
            "GATHER", "CAST", "LESS", "SELECT_V2"}


def _convert_and_run(tf, fn, **inputs):
    import tflx
    r = tflx.convert(fn)
    hist = r.op_histogram()
    assert set(hist) <= BUILTINS, f"unexpected ops: {hist}"   # no CUSTOM / Flex / TF ops left
    got = run_signature(r.flatbuffer, **inputs)
    ref = fn(**{k: tf.constant(v) for k, v in inputs.items()})
    ref = ref if isinstance(ref, (tuple, list)) else [ref]
    for i, want in enumerate(ref):
        want = want.numpy()
        out = got[f"output_{i}"]
        assert out.dtype == want.dtype and out.shape == want.shape, (i, out.dtype, out.shape, want.dtype, want.shape)
        np.testing.assert_array_equal(out, want, err_msg=f"output_{i}")
    return hist


def test_int32_bitwise_ops_are_exact_builtins(tf):
    i32 = tf.int32

    @tf.function(input_signature=[tf.TensorSpec([2, 6], i32, name="a"), tf.TensorSpec([2, 6], i32, name="b"),
                                  tf.TensorSpec([6], i32, name="c"), tf.TensorSpec([2, 6], i32, name="s"),
                                  tf.TensorSpec([6], i32, name="t")])
    def fn(a, b, c, s, t):
        return (tf.bitwise.bitwise_and(a, b), tf.bitwise.bitwise_or(a, b),
                tf.bitwise.bitwise_and(a, c), tf.bitwise.bitwise_or(c, a),        # broadcast [2,6] x [6]
                tf.bitwise.left_shift(a, s), tf.bitwise.left_shift(a, t),
                tf.raw_ops.PopulationCount(x=a))

    lo, hi = np.iinfo(np.int32).min, np.iinfo(np.int32).max
    a = np.array([[lo, hi, -1, 0, 1, -7], [-123456789, 987654321, -2, 255, -256, 0x55555555]], np.int32)
    b = np.array([[-1, lo, hi, 12, -3, 0x0F0F0F0F], [0x7F00FF00, -65536, 3, -1, lo + 1, -0x55555556]], np.int32)
    c = np.array([-1, 0x0000FFFF, lo, 6, -8, hi], np.int32)
    s = np.arange(12, dtype=np.int32).reshape(2, 6) * 3 % 32        # shifts 0 .. 31
    s[1, -1] = 31
    t = np.array([0, 1, 16, 30, 31, 5], np.int32)
    hist = _convert_and_run(tf, fn, a=a, b=b, c=c, s=s, t=t)
    assert hist["RIGHT_SHIFT"] and hist["GATHER"] and "CAST" in hist   # PopulationCount -> uint8


@pytest.mark.parametrize("dtype", ["int8", "uint16", "uint32", "int32"])
def test_other_types_dynamic_dims_and_clamped_shifts(tf, dtype):
    """8/16-bit and unsigned types go through int32; shifts outside [0, B-1] clamp as in TF."""
    dt = tf.as_dtype(dtype)
    nd, bits = np.dtype(dtype), 8 * np.dtype(dtype).itemsize
    info = np.iinfo(nd)
    rs = np.random.RandomState(bits)
    if bits == 8:  # every pair of values
        g = np.arange(info.min, info.max + 1)
        a, b = np.repeat(g, g.size), np.tile(g, g.size)
    else:
        a = rs.randint(info.min, int(info.max) + 1, 4096, dtype=np.int64)
        b = rs.randint(info.min, int(info.max) + 1, a.size, dtype=np.int64)
        a[:4], b[:4] = [info.min, info.max, 0, 1], [info.max, info.min, int(info.max) // 3, 0]
    shifts = np.concatenate([np.arange(bits), rs.randint(info.min, int(info.max) + 1, a.size - bits, dtype=np.int64)])
    a, b, shifts = (v.astype(nd).reshape(-1, 16) for v in (a, b, shifts))

    @tf.function(input_signature=[tf.TensorSpec([None, 16], dt, name="a"), tf.TensorSpec([None, 16], dt, name="b"),
                                  tf.TensorSpec([None, 16], dt, name="s")])
    def fn(a, b, s):
        return (tf.bitwise.bitwise_and(a, b), tf.bitwise.bitwise_or(a, b), tf.bitwise.left_shift(a, s),
                tf.raw_ops.PopulationCount(x=a))

    _convert_and_run(tf, fn, a=a, b=b, s=shifts)
