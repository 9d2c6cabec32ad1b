"""The hidden representations of any model in the registry, read the same way for all.

Representation-level distillation (feature matching, layer-wise alignment) reads a model's
hidden layers; asking each architecture for them would need one code path per model. A
*layer* here is a message-passing or linear module that no other such module contains (a
``GCNConv``, not the ``Linear`` inside it), in registration order, which is forward order
for every model built in ``kernels.models``. The representation a layer reads is captured by
a forward pre-hook: after the activation (and, in training mode, the dropout) before it, so
gradients flow through it like through the logits.
"""
from __future__ import annotations

from torch import Tensor, nn
from torch_geometric.nn import MessagePassing


def _is_layer(module: nn.Module) -> bool:
    # PyG's own Linear (inside MLP, GATConv, ...) is not a subclass of torch's.
    return isinstance(module, (MessagePassing, nn.Linear)) or type(module).__name__ == "Linear"


def layers_of(net: nn.Module) -> list[nn.Module]:
    """The outermost message-passing and linear modules of ``net``, in registration order."""
    if _is_layer(net):  # a one-layer model, e.g. SGConv
        return [net]
    layers: list[nn.Module] = []
    claimed: list[str] = []
    for name, module in net.named_modules():
        if any(name.startswith(prefix + ".") for prefix in claimed):
            continue
        if _is_layer(module):
            layers.append(module)
            claimed.append(name)
    return layers


def hidden_representations(net: nn.Module, x: Tensor, edge_index: Tensor) -> tuple[Tensor, list[Tensor]]:
    """``net``'s logits and the representation ``[num_nodes, width]`` entering each of its
    layers after the first (empty for a one-layer model such as SGC)."""
    captured: list[Tensor] = []
    hooks = [layer.register_forward_pre_hook(lambda _module, args: captured.append(args[0]))
             for layer in layers_of(net)[1:]]
    try:
        logits = net(x, edge_index)
    finally:
        for hook in hooks:
            hook.remove()
    return logits, captured
