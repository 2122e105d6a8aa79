"""SavedModel -> .tflite: numerics, histogram, signatures and tensor names match stock."""
import numpy as np
import pytest

from tflxtest import random_images, run_signature


@pytest.mark.parametrize("batch", [1, 3])
def test_outputs_match_tf_with_dynamic_batch(tiny_cnn_result, tiny_cnn_tf, batch):
    result, _ = tiny_cnn_result
    x = random_images(batch, seed=batch)
    out = run_signature(result.flatbuffer, image=x)["output_0"]
    ref = tiny_cnn_tf(x)
    assert out.shape == ref.shape == (batch, 10)
    assert np.abs(out - ref).max() <= 1e-5


def test_histogram_equals_stock(tiny_cnn_result, tiny_cnn_stock):
    from tflx.flatbuffer import op_histogram
    result, _ = tiny_cnn_result
    assert result.op_histogram() == dict(op_histogram(tiny_cnn_stock))
    assert result.op_histogram() == {"CONV_2D": 2, "DEPTHWISE_CONV_2D": 1, "MEAN": 1, "FULLY_CONNECTED": 1}


def test_signatures_and_names_match_stock(tiny_cnn_result, tiny_cnn_stock):
    from ai_edge_litert.interpreter import Interpreter
    result, _ = tiny_cnn_result
    ours, stock = Interpreter(model_content=result.flatbuffer), Interpreter(model_content=tiny_cnn_stock)
    assert ours.get_signature_list() == stock.get_signature_list()
    for get in ("get_input_details", "get_output_details"):
        a, b = getattr(ours, get)(), getattr(stock, get)()
        assert [d["name"] for d in a] == [d["name"] for d in b]
        assert [d["shape_signature"].tolist() for d in a] == [d["shape_signature"].tolist() for d in b]
    assert ours.get_input_details()[0]["shape_signature"].tolist() == [-1, 32, 32, 3]


def test_stage_records(tiny_cnn_result):
    import tflx
    result, _ = tiny_cnn_result
    assert list(result.stages) == list(tflx.STAGES)
    assert all(t >= 0 for t in result.timings.values())
    assert result.op_histogram("tf")["tf.Conv2D"] == 2
    # Convolutions take the direct route (stock's legalization): still TF ops at stage stablehlo.
    assert result.op_histogram("stablehlo")["tf.Conv2D"] == 2
    assert result.op_histogram("stablehlo")["tf.DepthwiseConv2dNative"] == 1
    assert result.routes.by_route()["direct"]["Conv2D"] == 2 and not result.routes.by_route()["stablehlo"]
    assert not any(k.startswith("shape.") for k in result.op_histogram("stablehlo"))
    assert result.op_histogram("tfl-opt") == {"tfl.conv_2d": 2, "tfl.depthwise_conv_2d": 1,
                                              "tfl.mean": 1, "tfl.fully_connected": 1}
    assert "tfl.conv_2d" in result.ir("tfl-opt")
    # Later stages rewrite a copy: each stage's IR stays what that stage produced.
    assert '"tf.Conv2D"' in result.ir("stablehlo") and "tfl.conv_2d" not in result.ir("stablehlo")
    assert result.ir("tfl") != result.ir("tfl-opt")  # tfl-optimize's folding is not in the tfl stage's IR


def test_alias_signature_noted(tiny_cnn_result):
    result, _ = tiny_cnn_result
    assert any("'serve'" in n and "serving_default" in n for n in result.notes)


def test_pick_signature(tiny_cnn_dir):
    import tflx
    from ai_edge_litert.interpreter import Interpreter
    r = tflx.convert(tiny_cnn_dir, signatures=["serve"])
    assert list(Interpreter(model_content=r.flatbuffer).get_signature_list()) == ["serve"]


def test_unknown_signature_is_named(tiny_cnn_dir):
    import tflx
    with pytest.raises(tflx.TflxError, match=r"\['nope'\] not in SavedModel"):
        tflx.convert(tiny_cnn_dir, signatures=["nope"])


def test_builtin_passes_give_stock_histogram(tiny_cnn_dir):
    """On the StableHLO route, without tflx's tfl-stage cleanups, legalization leaves SUM+MUL and
    run-time reshapes; the direct route gives stock's ops by itself."""
    import tflx
    hist = tflx.convert(tiny_cnn_dir, builtin_passes=False, route="stablehlo").op_histogram()
    assert "MEAN" not in hist and hist.get("SUM") == 1 and hist.get("RESHAPE", 0) >= 1
    cleaned = tflx.convert(tiny_cnn_dir, route="stablehlo").op_histogram()
    direct = tflx.convert(tiny_cnn_dir, builtin_passes=False).op_histogram()
    assert cleaned == direct == {"CONV_2D": 2, "DEPTHWISE_CONV_2D": 1, "MEAN": 1, "FULLY_CONNECTED": 1}
