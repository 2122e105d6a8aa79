"""The README's examples stay true: its plugin runs as printed."""
import os
import re

import numpy as np

from tflxtest import REPO, run_signature


def test_readme_plugin_example_runs_verbatim(tf, tmp_path):
    import tflx
    readme = open(os.path.join(REPO, "README.md"), encoding="utf-8").read()
    code = re.search(r"```python\n(# my_plugin\.py\n.*?)```", readme, re.S).group(1)
    plugin = tmp_path / "my_plugin.py"
    plugin.write_text(code)

    @tf.function(input_signature=[tf.TensorSpec([4], tf.float32, name="x"), tf.TensorSpec([4], tf.int32, name="i")])
    def f(x, i):
        return x * x, i * i

    r = tflx.convert(f, plugins=[str(plugin)])
    assert r.op_histogram() == {"SQUARE": 1, "MUL": 1}  # the int multiply is left alone by default
    out = run_signature(r.flatbuffer, x=np.arange(4, dtype=np.float32), i=np.arange(4, dtype=np.int32))
    np.testing.assert_array_equal(out["output_0"], [0, 1, 4, 9])
    np.testing.assert_array_equal(out["output_1"], [0, 1, 4, 9])
