"""Knowledge distillation with pseudo-subclass targets (LELP) and its baselines."""
