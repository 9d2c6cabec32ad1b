import math

import pytest
import torch

from kernels.losses import KD_LOSSES, feature_matching, kd_loss
from kernels.losses.balanced import divergence_weights
from kernels.losses.relational import RELATION_TEMPERATURE, relationship_graph

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


# PLD is a likelihood, not a divergence: its floor is neither zero nor at the teacher's logits.
@pytest.mark.parametrize("name", [name for name in KD_LOSSES.names() if name != "pld"])
def test_every_divergence_is_zero_when_student_equals_teacher(name):
    logits = torch.randn(5, 3)
    assert kd_loss(name)(logits, logits.clone(), 2.0).item() == pytest.approx(0.0, abs=1e-6)


def test_unknown_loss_lists_the_choices():
    with pytest.raises(ValueError, match=r"'wasserstein'.*'bdkd'.*'kl'.*'pld'.*'trg'"):
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


def _entropy(p):
    return -sum(a * math.log(a) for a in p)


def _cosine(u, v):
    return sum(a * b for a, b in zip(u, v)) / math.sqrt(sum(a * a for a in u) * sum(b * b for b in v))


@pytest.mark.parametrize("name", ["bdkd", "pld", "trg"])
@pytest.mark.parametrize("standardize", [False, True])
def test_new_losses_have_finite_gradients(name, standardize):
    generator = torch.Generator().manual_seed(0)
    student = torch.randn(6, 4, generator=generator, requires_grad=True)
    teacher = torch.randn(6, 4, generator=generator)
    value = kd_loss(name, standardize)(student, teacher, 2.0)
    (grad,) = torch.autograd.grad(value, student)
    assert value.isfinite() and grad.isfinite().all() and grad.abs().sum() > 0


def test_bdkd_is_exactly_forward_kl_where_the_student_is_twice_as_uncertain():
    student, teacher = torch.tensor([[0.0, 0.0]]), torch.tensor([[3.0, 0.0]])
    assert _entropy(P_T) >= 2 * _entropy(_softmax([3, 0]))  # H_s = log 2 >= 2 * 0.19
    w_forward, w_reverse = divergence_weights(torch.log_softmax(student, -1), torch.log_softmax(teacher, -1))
    assert w_forward.item() == 1.0 and w_reverse.item() == 0.0
    expected = _kl(_softmax([3, 0]), P_T)  # KL(p_t || p_s), p_s uniform
    assert kd_loss("bdkd")(student, teacher, 1.0).item() == pytest.approx(expected, rel=1e-6)
    bdkd = kd_loss("bdkd")
    assert bdkd(student, teacher, 1.0).item() == pytest.approx(kd_loss("kl")(student, teacher, 1.0).item(), rel=1e-6)
    # the mirror node: a student twice as sharp as its teacher gets exactly reverse KL
    reverse = kd_loss("reverse_kl")(teacher, student, 1.0).item()
    assert bdkd(teacher, student, 1.0).item() == pytest.approx(reverse, rel=1e-6)


def test_bdkd_mixes_by_the_relative_entropy_gap_by_hand():
    p_s, p_t = _softmax([1, 0]), _softmax([2, 0])  # the teacher is sharper: mostly forward KL
    h_s, h_t = _entropy(p_s), _entropy(p_t)
    w_reverse = 0.5 * (1 + max(-1.0, (h_t - h_s) / min(h_s, h_t)))
    expected = (1 - w_reverse) * _kl(p_t, p_s) + w_reverse * _kl(p_s, p_t)
    value = kd_loss("bdkd")(torch.tensor([[1.0, 0.0]]), torch.tensor([[2.0, 0.0]]), 1.0)
    assert 0 < w_reverse < 0.5
    assert value.item() == pytest.approx(expected, rel=1e-5)


def test_bdkd_is_symmetric_and_its_weights_are_detached_and_sum_to_one():
    generator = torch.Generator().manual_seed(1)
    a, b = torch.randn(8, 3, generator=generator), 3 * torch.randn(8, 3, generator=generator)
    assert kd_loss("bdkd")(a, b, 1.5).item() == pytest.approx(kd_loss("bdkd")(b, a, 1.5).item(), rel=1e-6)
    log_p_s = torch.log_softmax(a, -1).requires_grad_()
    w_forward, w_reverse = divergence_weights(log_p_s, torch.log_softmax(b, -1))
    assert torch.allclose(w_forward + w_reverse, torch.ones(8)) and not w_reverse.requires_grad


@pytest.mark.parametrize("temperature", [1.0, 2.0])
def test_pld_by_hand(temperature):
    # teacher [3, 1, 2] ranks classes 0, 2, 1; the student's scores in that order are 1, 0, 2
    weights = _softmax([3 / temperature, 2 / temperature, 1 / temperature])
    first = -1 + math.log(math.exp(1) + math.exp(0) + math.exp(2))
    second = -0 + math.log(math.exp(0) + math.exp(2))
    expected = weights[0] * first + weights[1] * second  # the last rank's term is always 0
    value = kd_loss("pld")(torch.tensor([[1.0, 2.0, 0.0]]), torch.tensor([[3.0, 1.0, 2.0]]), temperature)
    assert value.item() == pytest.approx(expected, rel=1e-5)


def test_pld_prefers_the_teachers_ranking_and_ignores_logit_shifts():
    teacher = torch.tensor([[3.0, 1.0, 2.0], [0.0, 2.0, -1.0]])
    pld = kd_loss("pld")
    assert pld(teacher, teacher, 1.0) < pld(-teacher, teacher, 1.0)
    assert pld(teacher + 5.0, teacher, 1.0).item() == pytest.approx(pld(teacher, teacher, 1.0).item(), rel=1e-6)


def test_trg_by_hand():
    student = [[1.0, 0.0], [0.0, 0.5], [2.0, 1.0]]
    teacher = [[2.0, 0.0], [0.0, 1.0], [1.0, 1.0]]
    p_s, p_t = [_softmax(v) for v in student], [_softmax(v) for v in teacher]

    def rows(probs):  # softmax over each node's similarities to the other nodes
        return [_softmax([_cosine(probs[i], probs[j]) / RELATION_TEMPERATURE for j in range(3) if j != i])
                for i in range(3)]

    def context(probs):
        mean = [sum(p[c] for p in probs) / 3 for c in range(2)]
        return [_cosine(p, mean) for p in probs]

    node_kl = sum(_kl(t, s) for s, t in zip(p_s, p_t)) / 3
    graph = sum(_kl(t, s) for s, t in zip(rows(p_s), rows(p_t))) / 3
    contextual = sum((s - t) ** 2 for s, t in zip(context(p_s), context(p_t))) / 3
    value = kd_loss("trg")(torch.tensor(student), torch.tensor(teacher), 1.0)
    assert value.item() == pytest.approx(node_kl + graph + contextual, rel=1e-5)


def test_trg_grows_when_the_students_similarity_structure_is_shuffled():
    generator = torch.Generator().manual_seed(2)
    teacher = 2 * torch.randn(12, 4, generator=generator)
    close = teacher + 0.01 * torch.randn(12, 4, generator=generator)
    shuffled = teacher[torch.roll(torch.arange(12), 1)]
    trg, kl = kd_loss("trg"), kd_loss("kl")
    assert trg(teacher, teacher, 1.0).item() == pytest.approx(0.0, abs=1e-6)
    def relational(student):  # what TRG adds to the per-node KL
        return trg(student, teacher, 1.0) - kl(student, teacher, 1.0)

    assert relational(shuffled) > 10 * relational(close)


def test_trg_builds_its_graph_on_a_seeded_subset_above_max_nodes():
    generator = torch.Generator().manual_seed(3)
    student, teacher = torch.randn(10, 3, generator=generator), torch.randn(10, 3, generator=generator)
    subset = relationship_graph(student, teacher, 1.0, max_nodes=4)
    assert subset.item() == relationship_graph(student, teacher, 1.0, max_nodes=4).item()
    assert subset.item() != pytest.approx(relationship_graph(student, teacher, 1.0).item())
    assert relationship_graph(teacher, teacher, 1.0, max_nodes=4).item() == pytest.approx(0.0, abs=1e-6)
