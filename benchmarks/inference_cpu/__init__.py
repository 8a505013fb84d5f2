"""Study: ONNX Runtime inference on the CPU against mltu's OnnxInferenceModel, float32 and int8."""
