"""The shipped DDPM (assets/ddpm) against its model card: the weights are the ones the card names
(sha256), its bound's terms add up, and the bound recomputed from the shipped weights on a slice of the
same holdout digits agrees with the card's mean within the sampling error of that slice."""

import json
import math

import pytest

from vae_core.data import load_holdout_binary
from vae_core.ddpm import load_ddpm
from vae_core.train_ddpm import evaluate_bound

CARD = json.loads(open("assets/ddpm/model_card.json", encoding="utf-8").read())
SLICE = 12  # digits: a few seconds of CPU for all 999 denoising steps


def test_the_cards_bound_is_the_sum_of_its_terms():
    b = CARD["holdout_bound"]
    total = -b["reconstruction_L0"] + b["prior_LT"] + b["denoising_sum"]
    assert b["neg_elbo"]["mean"] == pytest.approx(total, rel=1e-6)
    assert b["bits_per_dim"] == pytest.approx(b["neg_elbo"]["mean"] / (784 * math.log(2)), rel=1e-6)
    assert sum(b["denoising_by_steps"].values()) == pytest.approx(b["denoising_sum"], rel=1e-6)


def test_the_shipped_weights_reproduce_the_cards_bound():
    model = load_ddpm(device="cpu")  # raises on a sha256 mismatch with the card
    bits = load_holdout_binary()[:SLICE]
    got = evaluate_bound(model, bits, seed=CARD["holdout_bound"]["seed"])
    b = CARD["holdout_bound"]
    sd = b["neg_elbo"]["se"] * math.sqrt(b["n_images"])  # across digits
    assert abs(got["neg_elbo"]["mean"] - b["neg_elbo"]["mean"]) < 5 * sd / math.sqrt(SLICE), got["neg_elbo"]
    assert got["neg_elbo"]["mean"] < CARD["vae_on_the_same_digits"]["neg_elbo"]["mean"]  # the card's comparison
