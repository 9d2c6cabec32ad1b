"""How GPU work is marked: the Dagster pool ``gpu`` plus a Kubernetes GPU request.

The pool limits concurrent GPU steps across all runs of an instance (see
``deploy/local/dagster.yaml``); on Kubernetes, ``dagster-k8s/config`` makes the step's pod
request one ``nvidia.com/gpu``. The same assets run on CPU-only machines: ``TorchDevice``
picks the device at run time.
"""

GPU_POOL = "gpu"
GPU_OP_TAGS = {
    "dagster-k8s/config": {
        "container_config": {"resources": {"limits": {"nvidia.com/gpu": "1"}}},
    }
}
