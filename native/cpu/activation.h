// Feed-forward activations, scalar forms (the references the vector kernels are tested against).
#pragma once

#include <cmath>

namespace samp::cpu {

/// `gelu` is the exact erf form, `gelu_new` (kGeluTanh) the tanh approximation, as in transformers.
enum class Activation { kNone = 0, kGelu = 1, kGeluTanh = 2, kRelu = 3 };

inline float gelu_erf(float x) {
  return 0.5f * x * (1.0f + std::erf(x * 0.70710678118654752f));
}

inline float gelu_tanh(float x) {
  const float inner = 0.79788456080286536f * (x + 0.044715f * x * x * x);  // sqrt(2/pi)
  return 0.5f * x * (1.0f + std::tanh(inner));
}

inline float relu(float x) {
  return x > 0.0f ? x : 0.0f;
}

inline float apply_activation(Activation a, float x) {
  switch (a) {
    case Activation::kGelu:
      return gelu_erf(x);
    case Activation::kGeluTanh:
      return gelu_tanh(x);
    case Activation::kRelu:
      return relu(x);
    case Activation::kNone:
      break;
  }
  return x;
}

}  // namespace samp::cpu
