"""Knowledge distillation (centerX's, extended to FairMOT's heads): a student network learns from
frozen teachers' outputs, on labelled or unlabelled frames, one teacher per class if need be."""
