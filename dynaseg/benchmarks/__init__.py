"""Benchmarks: the engine against the authors' loop, and batched against one image at a time.

Modules: :mod:`.loops` (the authors' loop A and A', the engine doing the same work B, the
plain-loop iteration that is the unit of the speed target), :mod:`.per_iteration` (time per
iteration, agreement of A and B, every config's extractor cost), :mod:`.whole` (time to a
finished image, A against B), :mod:`.time_to_result` (configs end to end on the same pictures),
:mod:`.memory` (peak memory), :mod:`.hierarchy` (the region hierarchy beside its labels);
:mod:`.batched` (small images, one at a time against batches) and :mod:`.batched_full_size`
(the tools' path at full size, batch sizes and precisions). Their
command lines are :mod:`dynaseg.cli.benchmark` (``tools/benchmark.py``) and
:mod:`dynaseg.cli.benchmark_batched` (``tools/benchmark_batched.py``).
"""
