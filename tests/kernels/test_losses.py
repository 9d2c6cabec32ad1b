import math

import pytest
import torch

from kernels.losses import KD_LOSSES, feature_matching, kd_loss

S = torch.tensor([[2.0, 0.0]])
T = torch.tensor([[0.0, 0.0]])
P_S = [math.exp(2) / (math.exp(2) + 1), 1 / (math.exp(2) + 1)]
P_T = [0.5, 0.5]


def _kl(p, q):
    return sum(a * math.log(a / b) for a, b in zip(p, q))


def test_hinton_kl_by_hand():
    assert kd_loss("kl")(S, T, 1.0).item() == pytest.approx(_kl(P_T, P_S), rel=1e-5)


def test_temperature_softens_and_rescales():
    p_s = [math.exp(1) / (math.exp(1) + 1), 1 / (math.exp(1) + 1)]  # logits / 2
    assert kd_loss("kl")(S, T, 2.0).item() == pytest.approx(4 * _kl(P_T, p_s), rel=1e-5)


def test_reverse_kl_by_hand():
    assert kd_loss("reverse_kl")(S, T, 1.0).item() == pytest.approx(_kl(P_S, P_T), rel=1e-5)


def test_jensen_shannon_by_hand():
    m = [(a + b) / 2 for a, b in zip(P_S, P_T)]
    assert kd_loss("js")(S, T, 1.0).item() == pytest.approx(0.5 * _kl(P_S, m) + 0.5 * _kl(P_T, m), rel=1e-5)


def test_logit_mse_by_hand():
    assert kd_loss("mse")(S, T, 1.0).item() == pytest.approx((4 + 0) / 2)


def test_feature_matching_is_zero_for_parallel_vectors():
    h = torch.tensor([[1.0, 2.0]])
    assert feature_matching(h, 3 * h).item() == pytest.approx(0.0, abs=1e-7)
    assert feature_matching(torch.tensor([[1.0, 0.0]]), torch.tensor([[0.0, 1.0]])).item() == pytest.approx(1.0)


@pytest.mark.parametrize("name", KD_LOSSES.names())
def test_every_loss_is_zero_when_student_equals_teacher(name):
    logits = torch.randn(5, 3)
    assert kd_loss(name)(logits, logits.clone(), 2.0).item() == pytest.approx(0.0, abs=1e-6)


def test_unknown_loss_lists_the_choices():
    with pytest.raises(ValueError, match=r"'wasserstein'.*'kl'"):
        kd_loss("wasserstein")


def _softmax(logits):
    exp = [math.exp(v) for v in logits]
    return [v / sum(exp) for v in exp]


def test_logit_standardization_matches_shape_not_scale():
    teacher = torch.tensor([[0.3, 0.0, -0.3]])  # nearly flat soft labels
    sharp_student = 10 * teacher
    assert kd_loss("kl")(sharp_student, teacher, 1.0).item() > 0.1
    assert kd_loss("kl", standardize=True)(sharp_student, teacher, 1.0).item() == pytest.approx(0.0, abs=1e-6)
    # z-scored over classes (sample std): teacher -> [1, 0, -1], [0, 0, 1] -> [-1, -1, 2] / sqrt(3)
    student = torch.tensor([[0.0, 0.0, 1.0]])
    expected = _kl(_softmax([1, 0, -1]), _softmax([-(3 ** -0.5), -(3 ** -0.5), 2 * 3 ** -0.5]))
    assert kd_loss("kl", standardize=True)(student, teacher, 1.0).item() == pytest.approx(expected, rel=1e-5)
