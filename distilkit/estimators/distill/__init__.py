"""Knowledge distillation with pseudo-subclass targets (LELP) and its baselines (Hinton KD, label-only)."""

from distilkit.estimators.distill.distillers import KDDistiller, LELPDistiller
from distilkit.estimators.distill.teachers import TeacherSignal, teacher_signal

__all__ = ["KDDistiller", "LELPDistiller", "TeacherSignal", "teacher_signal"]
