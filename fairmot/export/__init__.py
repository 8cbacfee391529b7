"""Export: the network and its decoding as one ONNX graph (:mod:`.onnx`), checked against PyTorch."""
