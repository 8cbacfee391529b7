"""Training: configuration, the trainer (one process or torchrun + DDP), losses, distributed helpers."""
