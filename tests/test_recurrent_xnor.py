"""[crnn] and [conv_lstm] build each sub-layer with make_convolutional_layer, passing the layer's xnor:
there, xnor forces groups to 1 and divides the sub-layer's BFLOPs by 32 (convolutional_layer.c), and the
recurrent layer's BFLOPs are the sum of its sub-layers' (crnn_layer.c, conv_lstm_layer.c)."""
from __future__ import annotations

import numpy as np
import pytest

from cfggen.api import analyze_text

BODY = {
    "crnn": "batch_normalize=1\nsize=3\npad=1\noutput=8\nhidden=8\n",
    "conv_lstm": "batch_normalize=1\nsize=3\npad=1\noutput=8\n",
}


def layer(kind: str, extra: str):
    text = f"[net]\nwidth=16\nheight=16\nchannels=4\n[{kind}]\n{BODY[kind]}{extra}"
    return analyze_text(text, "a.cfg", "native").network.layers[0]


@pytest.mark.parametrize("kind", sorted(BODY))
def test_xnor_forces_one_group_in_every_sub_layer(kind):
    grouped = layer(kind, "groups=2\n")
    assert grouped.params.weights < layer(kind, "groups=1\n").params.weights     # groups do count without xnor
    xnor_grouped, xnor_plain = layer(kind, "groups=2\nxnor=1\n"), layer(kind, "groups=1\nxnor=1\n")
    assert xnor_grouped.params == xnor_plain.params == layer(kind, "groups=1\n").params
    assert xnor_grouped.records == xnor_plain.records


def test_xnor_divides_each_sub_layer_bflops_by_32():
    plain, xnor = layer("crnn", "groups=1\n"), layer("crnn", "groups=1\nxnor=1\n")
    f32 = np.float32
    subs = [f32(2.0 * w * 16 * 16 / 1e9) for w in (4 * 8 * 9, 8 * 8 * 9, 8 * 8 * 9)]   # input, self, output
    assert plain.bflops == pytest.approx(float(f32(f32(subs[0] + subs[1]) + subs[2])), rel=1e-6)
    scaled = [f32(s / f32(32)) for s in subs]
    assert xnor.bflops == float(f32(f32(scaled[0] + scaled[1]) + scaled[2]))
