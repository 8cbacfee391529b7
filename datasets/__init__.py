"""Dataset formats, converters, augmentation, targets and synthetic data (installed as ``fairmot.datasets``)."""
