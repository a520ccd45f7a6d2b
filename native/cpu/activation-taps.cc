#include "cpu/activation-taps.h"

#include "common/error.h"

namespace samp::cpu {

const char* tap_name(Tap tap) {
  switch (tap) {
    case Tap::kQkvInput:
      return "attention.qkv.input";
    case Tap::kQuery:
      return "attention.query";
    case Tap::kKey:
      return "attention.key";
    case Tap::kValue:
      return "attention.value";
    case Tap::kScores:
      return "attention.scores";
    case Tap::kProbs:
      return "attention.probs";
    case Tap::kContext:
      return "attention.context";
    case Tap::kFfnIntermediateInput:
      return "ffn.intermediate.input";
    case Tap::kFfnOutputInput:
      return "ffn.output.input";
    case Tap::kCount:
      break;
  }
  return "";
}

bool ObserveRequest::any() const {
  if (embeddings_output)
    return true;
  for (uint32_t bits : layer_taps) {
    if (bits != 0)
      return true;
  }
  return false;
}

ObserveRequest parse_observe(const std::vector<std::string>& names, int layers) {
  ObserveRequest r;
  r.layer_taps.assign(static_cast<std::size_t>(layers), 0u);
  for (const std::string& name : names) {
    if (name == "embeddings.output") {
      r.embeddings_output = true;
      continue;
    }
    const std::string prefix = "layers.";
    bool ok = false;
    if (name.compare(0, prefix.size(), prefix) == 0) {
      std::size_t pos = prefix.size();
      std::size_t end = pos;
      while (end < name.size() && name[end] >= '0' && name[end] <= '9')
        ++end;
      if (end > pos && end - pos < 9 && end < name.size() && name[end] == '.' &&
          !(name[pos] == '0' && end - pos > 1)) {
        const int layer = std::stoi(name.substr(pos, end - pos));
        const std::string tap = name.substr(end + 1);
        for (int t = 0; t < static_cast<int>(Tap::kCount); ++t) {
          if (tap == tap_name(static_cast<Tap>(t))) {
            if (layer >= layers) {
              throw Error(codes::kInvalidArgument,
                          "observe: " + name + " names layer " + std::to_string(layer) +
                              " but the model has " + std::to_string(layers));
            }
            r.layer_taps[static_cast<std::size_t>(layer)] |= 1u << t;
            ok = true;
          }
        }
      }
    }
    if (!ok)
      throw Error(codes::kInvalidArgument, "observe: unknown activation tensor " + name);
  }
  return r;
}

}  // namespace samp::cpu
