"""SGAN's global pair (Chavdarova & Fleuret, "SGAN: An Alternative Training of GANs"), trained from the local pairs.

    global_step.py     messengers, G_0's and D_0's gradients summed over the locals, the global step
    reduce.py          the one all-reduce per global step that keeps every rank's replica equal
    weight_sharing.py  N-SW-GAN: the locals share their data-side layers
    stepping.py        SganExecutor: the locals by any executor, then the global step

Which members an SGAN run has is the strategy's business (`ganfleet.strategies.sgan`).
"""

from ganfleet.sgan.global_step import LocalView, accumulate_global_gradients, apply_global_step, make_view
from ganfleet.sgan.reduce import GlobalReduction, SumOverRanks
from ganfleet.sgan.stepping import SganExecutor, sgan_executor

__all__ = [
    "GlobalReduction",
    "LocalView",
    "SganExecutor",
    "SumOverRanks",
    "accumulate_global_gradients",
    "apply_global_step",
    "make_view",
    "sgan_executor",
]
