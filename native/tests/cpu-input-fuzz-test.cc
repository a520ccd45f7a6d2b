// A deterministic random-input fuzz driver for the native code that JS input reaches (issue 12):
// whatever the N-API layer hands over after its type checks goes through check_config (the model
// shape), check_input (ids, mask, token types, batch and sequence sizes), parse_observe (tensor
// names), build_encoder_weights (the tensors and their sizes, per-channel scales) and then
// Encoder::run. Each target gets inputs drawn around its edges (zero, negative, INT_MIN/INT_MAX,
// one past each limit, wrong lengths, non-finite floats, batches at the token limit) and must
// either accept them or throw samp::Error with an expected code; anything else fails the test. The
// input checks are compared with a reference predicate written here from the spec (differential),
// and every accepted input is run through a real encoder on random weights, whose outputs must have
// the documented sizes and be finite. Built in the ASan+UBSan tree too (`node
// scripts/native-test.mjs --sanitize`), where any out-of-bounds access on these paths aborts the
// test.
//
// clang's libFuzzer is not used: the CI image has only GCC. Runs: SAMP_NATIVE_FUZZ_RUNS (default
// 2000 per check target, a tenth of that encoders built and run); SAMP_NATIVE_FUZZ_SEED (default
// 20240601).
#include <algorithm>
#include <cfloat>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "check.h"
#include "common/error.h"
#include "cpu/activation-taps.h"
#include "cpu/encoder.h"
#include "cpu/int8/int8-gemm.h"

using namespace samp;
using namespace samp::cpu;

namespace {

/// splitmix64: a tiny, seedable generator whose sequence is the same on every platform.
class Random {
 public:
  explicit Random(uint64_t seed) : state_(seed) {}
  uint64_t next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  /// Uniform in [lo, hi] (inclusive).
  int range(int lo, int hi) {
    return lo + static_cast<int>(next() % static_cast<uint64_t>(static_cast<int64_t>(hi) - lo + 1));
  }
  bool chance(int percent) { return range(0, 99) < percent; }
  float uniform(float lo, float hi) {
    return lo + (hi - lo) * static_cast<float>(next() >> 40) / static_cast<float>(1 << 24);
  }
  /// A value near `typical`, or an edge value.
  int edgy(int typical) {
    switch (range(0, 9)) {
      case 0:
        return 0;
      case 1:
        return -1;
      case 2:
        return INT_MIN;
      case 3:
        return INT_MAX;
      case 4:
        return typical == INT_MAX ? INT_MAX : typical + 1;
      case 5:
        return typical == INT_MIN ? INT_MIN : typical - 1;
      default:
        return typical;
    }
  }

 private:
  uint64_t state_;
};

long env_long(const char* name, long fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtol(v, nullptr, 10) : fallback;
}

/// Runs `fn`; returns the samp::Error code it threw, "" when it returned, or "UNEXPECTED: …" for
/// any other exception (a failure on its own).
template <typename F>
std::string outcome(F&& fn) {
  try {
    fn();
    return "";
  } catch (const samp::Error& e) {
    return e.code();
  } catch (const std::exception& e) {
    return std::string("UNEXPECTED: ") + e.what();
  }
}

// ---- configs ------------------------------------------------------------------------------------

EncoderConfig small_config(Random& r) {
  EncoderConfig c;
  c.num_heads = r.range(1, 3);
  c.hidden_size = c.num_heads * r.range(1, 4) * 2;
  c.num_layers = r.range(1, 3);
  c.intermediate_size = r.range(1, 12);
  c.vocab_size = r.range(1, 40);
  c.type_vocab_size = r.range(0, 3);
  c.has_projection = r.chance(25);
  c.embedding_size = c.has_projection ? r.range(1, 10) : c.hidden_size;
  c.padding_aware_positions = r.chance(30);
  c.pad_token_id = r.range(0, c.vocab_size + 1);  // past the vocabulary too
  const int reserved = c.padding_aware_positions ? c.pad_token_id + 1 : 0;
  c.max_positions = reserved + r.range(1, 12);
  c.layer_norm_eps = r.chance(50) ? 1e-12f : 1e-5f;
  c.activation = static_cast<Activation>(r.range(1, 3));  // gelu, gelu_new, relu: what JS can name
  for (int l = 0; l < c.num_layers; ++l)
    c.layer_sources.push_back(r.chance(70) ? l : r.range(0, c.num_layers - 1));  // ALBERT-style
  if (r.chance(50)) {
    for (int l = 0; l < c.num_layers; ++l) {
      LayerQuant q;
      GemmQuant* gemms[4] = {&q.qkv, &q.attention_output, &q.ffn_intermediate, &q.ffn_output};
      for (GemmQuant* g : gemms) {
        const int kind = r.range(0, 2);  // fp32, dynamic int8, static int8
        *g = kind == 0 ? GemmQuant{} : GemmQuant{true, kind == 2 ? r.uniform(0.001f, 0.5f) : 0.0f};
      }
      c.layer_quant.push_back(q);
    }
  }
  return c;
}

/// What check_config must accept, written from its contract (not from its code).
bool config_valid(const EncoderConfig& c) {
  const int64_t reserved = c.padding_aware_positions ? int64_t{c.pad_token_id} + 1 : 0;
  bool ok = c.vocab_size > 0 && c.hidden_size > 0 && c.num_heads > 0 &&
            c.hidden_size % c.num_heads == 0 && c.num_layers > 0 && c.intermediate_size > 0 &&
            c.max_positions > 0 && c.type_vocab_size >= 0 && c.embedding_size > 0 &&
            (c.has_projection || c.embedding_size == c.hidden_size) && c.layer_norm_eps > 0.0f &&
            std::isfinite(c.layer_norm_eps) && c.pad_token_id >= 0 &&
            int64_t{c.max_positions} - reserved > 0 &&
            static_cast<int64_t>(c.layer_sources.size()) == c.num_layers;
  for (int s : c.layer_sources)
    ok = ok && s >= 0 && s < c.num_layers;
  // layerQuant: none, or one per layer; every input scale 0 (dynamic) or positive and finite.
  ok = ok && (c.layer_quant.empty() || static_cast<int64_t>(c.layer_quant.size()) == c.num_layers);
  const auto scale_ok = [](float x) { return x >= 0.0f && x <= FLT_MAX; };
  for (const LayerQuant& q : c.layer_quant) {
    for (const GemmQuant& g : {q.qkv, q.attention_output, q.ffn_intermediate, q.ffn_output})
      ok = ok && (!g.int8 || scale_ok(g.input_scale));
    const AttentionQuant& a = q.attention;
    ok = ok && (!a.int8 || (scale_ok(a.query_scale) && scale_ok(a.key_scale) &&
                            scale_ok(a.value_scale) && scale_ok(a.probs_scale)));
  }
  return ok;
}

/// A bad (or, now and then, a good) quantization scale.
float edgy_scale(Random& r) {
  switch (r.range(0, 6)) {
    case 0:
      return std::nanf("");
    case 1:
      return INFINITY;
    case 2:
      return -INFINITY;
    case 3:
      return -r.uniform(0.001f, 1.0f);
    case 4:
      return FLT_MAX;  // finite: accepted
    case 5:
      return 0.0f;  // dynamic: accepted
    default:
      return r.uniform(0.001f, 0.5f);
  }
}

EncoderConfig mutate_config(EncoderConfig c, Random& r) {
  const int mutations = r.range(1, 3);
  for (int m = 0; m < mutations; ++m) {
    switch (r.range(0, 15)) {
      case 0:
        c.vocab_size = r.edgy(c.vocab_size);
        break;
      case 1:
        c.hidden_size = r.edgy(c.hidden_size);
        break;
      case 2:
        c.num_heads = r.edgy(c.num_heads);
        break;
      case 3:
        c.num_layers = r.edgy(c.num_layers);
        break;
      case 4:
        c.intermediate_size = r.edgy(c.intermediate_size);
        break;
      case 5:
        c.max_positions = r.edgy(c.max_positions);
        break;
      case 6:
        c.type_vocab_size = r.edgy(c.type_vocab_size);
        break;
      case 7:
        c.embedding_size = r.edgy(c.embedding_size);
        break;
      case 8:
        c.pad_token_id = r.edgy(c.pad_token_id);
        break;
      case 9: {
        const float bad[5] = {std::nanf(""), 0.0f, -1e-12f, INFINITY, FLT_MAX};
        c.layer_norm_eps = bad[r.range(0, 4)];
        break;
      }
      case 10:
        if (!c.layer_sources.empty())
          c.layer_sources[static_cast<std::size_t>(
              r.range(0, static_cast<int>(c.layer_sources.size()) - 1))] = r.edgy(c.num_layers);
        break;
      case 11:
        if (r.chance(50))
          c.layer_sources.push_back(0);
        else if (!c.layer_sources.empty())
          c.layer_sources.pop_back();
        break;
      case 12:
        c.has_projection = !c.has_projection;
        break;
      case 13:  // one scale of a layer's GEMMs or attention matmuls
        if (c.layer_quant.empty()) {
          c.layer_quant.resize(static_cast<std::size_t>(std::clamp(c.num_layers, 0, 16)));
        } else {
          LayerQuant& q = c.layer_quant[static_cast<std::size_t>(
              r.range(0, static_cast<int>(c.layer_quant.size()) - 1))];
          if (r.chance(50)) {
            GemmQuant* gemms[4] = {&q.qkv, &q.attention_output, &q.ffn_intermediate, &q.ffn_output};
            // (one draw per statement: the order of draws must not depend on the compiler)
            const int which = r.range(0, 3);
            *gemms[which] = GemmQuant{true, edgy_scale(r)};
          } else {
            q.attention.int8 = true;
            float* scales[4] = {&q.attention.query_scale, &q.attention.key_scale,
                                &q.attention.value_scale, &q.attention.probs_scale};
            const int which = r.range(0, 3);
            *scales[which] = edgy_scale(r);
          }
        }
        break;
      case 14:  // layerQuant one entry short or long
        if (r.chance(50) || c.layer_quant.empty())
          c.layer_quant.push_back(LayerQuant{});
        else
          c.layer_quant.pop_back();
        break;
      default:
        c.padding_aware_positions = !c.padding_aware_positions;
        break;
    }
  }
  return c;
}

void fuzz_check_config(Random& r, long runs) {
  long accepted = 0;
  for (long i = 0; i < runs; ++i) {
    EncoderConfig c = small_config(r);
    if (r.chance(70))
      c = mutate_config(c, r);
    const std::string got = outcome([&] { check_config(c); });
    const bool expected = config_valid(c);
    SAMP_CHECK_MSG(got.empty() == expected && (got.empty() || got == codes::kInvalidArgument),
                   "check_config run " << i << ": got \"" << got << "\", the contract says "
                                       << (expected ? "valid" : "invalid"));
    accepted += got.empty() ? 1 : 0;
  }
  std::printf("check_config: %ld inputs, %ld accepted\n", runs, accepted);
}

// ---- inputs -------------------------------------------------------------------------------------

/// Padded tokens one run may take: @samp/core's MAX_TOKENS_PER_RUN (the spec), not the native
/// constant, which main() checks against it.
constexpr int kTokenLimit = 65536;

EncoderInput random_input(const EncoderConfig& c, Random& r, bool valid) {
  EncoderInput in;
  in.batch = r.range(1, 4);
  in.seq = r.range(1, std::max(1, c.max_sequence_length()));
  const std::size_t size = static_cast<std::size_t>(in.batch) * in.seq;
  in.ids.resize(size);
  in.mask.assign(size, 0);
  for (int b = 0; b < in.batch; ++b) {
    const int len = r.range(1, in.seq);
    for (int j = 0; j < in.seq; ++j) {
      in.ids[static_cast<std::size_t>(b) * in.seq + j] =
          r.chance(20) ? c.pad_token_id % c.vocab_size : r.range(0, c.vocab_size - 1);
      in.mask[static_cast<std::size_t>(b) * in.seq + j] = j < len ? 1 : 0;
    }
  }
  if (r.chance(60)) {
    in.types.resize(size);
    for (int32_t& t : in.types)
      t = r.range(0, std::max(c.type_vocab_size, 1) - 1);
  }
  if (valid)
    return in;
  const int mutations = r.range(1, 3);
  for (int m = 0; m < mutations; ++m) {
    // An index into `v` (which earlier mutations may have shortened), or none.
    const auto pick = [&r](std::vector<int32_t>& v) -> int32_t* {
      return v.empty() ? nullptr
                       : &v[static_cast<std::size_t>(r.range(0, static_cast<int>(v.size()) - 1))];
    };
    switch (r.range(0, 10)) {
      case 0:
        in.batch = r.edgy(in.batch);
        break;
      case 1:
        in.seq = r.chance(50) ? r.edgy(in.seq) : c.max_sequence_length() + r.range(1, 3);
        break;
      case 2:
        if (int32_t* id = pick(in.ids))
          *id = r.chance(50) ? r.edgy(c.vocab_size) : -r.range(1, 5);
        break;
      case 3:
        if (int32_t* bit = pick(in.mask))
          *bit = r.chance(50) ? r.edgy(1) : (*bit == 0 ? 1 : 0);  // a gap or left padding
        break;
      case 4:
        if (int32_t* t = pick(in.types))
          *t = r.edgy(c.type_vocab_size);
        break;
      case 5:
        in.ids.resize(static_cast<std::size_t>(
            std::max(0, static_cast<int>(in.ids.size()) + r.range(-2, 2))));
        break;
      case 6:
        in.mask.resize(static_cast<std::size_t>(
            std::max(0, static_cast<int>(in.mask.size()) + r.range(-2, 2))));
        break;
      case 7:
        in.types.resize(static_cast<std::size_t>(
            std::max(0, static_cast<int>(in.ids.size()) + r.range(-1, 1))));
        break;
      case 8:
        in.mask.assign(in.mask.size(), 0);
        break;
      case 9:
        std::swap(in.batch, in.seq);
        break;
      default:  // rows at or one past the token limit (the arrays keep their size)
        in.batch = kTokenLimit / std::max(1, in.seq) + r.range(0, 1);
        break;
    }
  }
  return in;
}

/// A well-formed batch of kTokenLimit / seq rows, or one row more: at and just past the limit.
EncoderInput limit_input(const EncoderConfig& c, Random& r) {
  EncoderInput in;
  in.seq = r.range(1, std::max(1, c.max_sequence_length()));
  in.batch = kTokenLimit / in.seq + r.range(0, 1);
  const std::size_t size = static_cast<std::size_t>(in.batch) * in.seq;
  in.ids.assign(size, 0);
  in.mask.assign(size, 1);
  return in;
}

/// What check_input must accept: "" or the code it must throw, written from the spec.
std::string input_verdict(const EncoderConfig& c, const EncoderInput& in) {
  if (in.batch < 1 || in.seq < 1)
    return codes::kInvalidArgument;
  if (in.seq > c.max_sequence_length())
    return codes::kInputTooLong;
  if (int64_t{in.batch} * in.seq > kTokenLimit)
    return codes::kInputTooLong;
  const std::size_t size = static_cast<std::size_t>(in.batch) * static_cast<std::size_t>(in.seq);
  if (in.ids.size() != size || in.mask.size() != size ||
      (!in.types.empty() && in.types.size() != size))
    return codes::kInvalidArgument;
  for (std::size_t i = 0; i < size; ++i) {
    if (in.ids[i] < 0 || in.ids[i] >= c.vocab_size || (in.mask[i] != 0 && in.mask[i] != 1))
      return codes::kInvalidArgument;
    if (!in.types.empty() && (in.types[i] < 0 || in.types[i] >= std::max(c.type_vocab_size, 1)))
      return codes::kInvalidArgument;
  }
  for (int b = 0; b < in.batch; ++b) {
    const std::size_t base = static_cast<std::size_t>(b) * static_cast<std::size_t>(in.seq);
    if (in.mask[base] != 1)
      return codes::kInvalidArgument;
    for (int j = 1; j < in.seq; ++j) {
      if (in.mask[base + j] == 1 && in.mask[base + j - 1] == 0)
        return codes::kInvalidArgument;
    }
  }
  return "";
}

void fuzz_check_input(Random& r, long runs) {
  long accepted = 0;
  for (long i = 0; i < runs; ++i) {
    const EncoderConfig c = small_config(r);
    const EncoderInput in = r.chance(1) ? limit_input(c, r) : random_input(c, r, r.chance(30));
    const std::string got = outcome([&] { check_input(c, in); });
    const std::string expected = input_verdict(c, in);
    SAMP_CHECK_MSG(got == expected, "check_input run "
                                        << i << ": got \"" << got << "\", expected \"" << expected
                                        << "\" (batch " << in.batch << ", seq " << in.seq << ")");
    accepted += got.empty() ? 1 : 0;
  }
  std::printf("check_input: %ld inputs, %ld accepted\n", runs, accepted);
}

// ---- observe names ------------------------------------------------------------------------------

const char* const kTaps[] = {"attention.qkv.input", "attention.query",        "attention.key",
                             "attention.value",     "attention.scores",       "attention.probs",
                             "attention.context",   "ffn.intermediate.input", "ffn.output.input"};

std::string random_name(Random& r, int layers) {
  if (r.chance(10))
    return "embeddings.output";
  std::string layer;
  switch (r.range(0, 7)) {
    case 0:
      layer = std::to_string(layers);  // one past the last layer
      break;
    case 1:
      layer = "0" + std::to_string(r.range(0, 9));  // leading zero
      break;
    case 2:
      layer = std::string(static_cast<std::size_t>(r.range(8, 30)), '9');  // past int
      break;
    case 3:
      layer = "";
      break;
    case 4:
      layer = "-1";
      break;
    default:
      layer = std::to_string(r.range(0, std::max(0, layers - 1)));
  }
  std::string name = "layers." + layer + "." + kTaps[r.range(0, 8)];
  if (r.chance(30)) {  // byte-level damage: truncate, flip, insert NUL or a high byte
    const std::size_t at = static_cast<std::size_t>(r.range(0, static_cast<int>(name.size()) - 1));
    switch (r.range(0, 3)) {
      case 0:
        name.resize(at);
        break;
      case 1:
        name[at] = static_cast<char>(name[at] ^ (1 << r.range(0, 7)));
        break;
      case 2:
        name.insert(at, 1, '\0');
        break;
      default:
        name.insert(at, "\xc3\xa9");
    }
  }
  return name;
}

/// The layer a well-formed name observes, or -1 (malformed), from the documented grammar.
int64_t name_layer(const std::string& name) {
  const std::string prefix = "layers.";
  if (name.compare(0, prefix.size(), prefix) != 0)
    return -1;
  std::size_t end = prefix.size();
  while (end < name.size() && name[end] >= '0' && name[end] <= '9')
    ++end;
  const std::string digits = name.substr(prefix.size(), end - prefix.size());
  if (digits.empty() || (digits.size() > 1 && digits[0] == '0') || end >= name.size() ||
      name[end] != '.')
    return -1;
  const std::string tap = name.substr(end + 1);
  if (std::find(std::begin(kTaps), std::end(kTaps), tap) == std::end(kTaps))
    return -1;
  return digits.size() > 12 ? INT64_MAX : std::stoll(digits);
}

void fuzz_parse_observe(Random& r, long runs) {
  long accepted = 0;
  for (long i = 0; i < runs; ++i) {
    const int layers = r.range(1, 12);
    std::vector<std::string> names;
    const int count = r.range(0, 3);
    for (int k = 0; k < count; ++k)
      names.push_back(random_name(r, layers));
    bool valid = true;
    for (const std::string& n : names) {
      const int64_t layer = n == "embeddings.output" ? 0 : name_layer(n);
      valid = valid && layer >= 0 && layer < layers;
    }
    ObserveRequest request;
    const std::string got = outcome([&] { request = parse_observe(names, layers); });
    SAMP_CHECK_MSG(got.empty() == valid && (got.empty() || got == codes::kInvalidArgument),
                   "parse_observe run " << i << ": got \"" << got << "\" for \""
                                        << (names.empty() ? "" : names.back()) << "\"");
    if (got.empty()) {
      ++accepted;
      SAMP_CHECK(request.layer_taps.size() == static_cast<std::size_t>(layers));
    }
  }
  std::printf("parse_observe: %ld lists, %ld accepted\n", runs, accepted);
}

// ---- weights and whole runs ---------------------------------------------------------------------

void put(WeightSet& set, Random& r, const std::string& name, std::size_t n, float scale = 0.2f) {
  std::vector<float> v(n);
  for (float& x : v)
    x = r.uniform(-scale, scale);
  set[name] = std::move(v);
}

WeightSet random_weights(const EncoderConfig& c, Random& r) {
  WeightSet set;
  const std::size_t e = static_cast<std::size_t>(c.embedding_size);
  const std::size_t h = static_cast<std::size_t>(c.hidden_size);
  const std::size_t in = static_cast<std::size_t>(c.intermediate_size);
  put(set, r, "embeddings.word", static_cast<std::size_t>(c.vocab_size) * e, 1.0f);
  put(set, r, "embeddings.position", static_cast<std::size_t>(c.max_positions) * e, 1.0f);
  if (c.type_vocab_size > 0)
    put(set, r, "embeddings.token_type", static_cast<std::size_t>(c.type_vocab_size) * e, 1.0f);
  put(set, r, "embeddings.norm.weight", e, 1.0f);
  put(set, r, "embeddings.norm.bias", e);
  if (c.has_projection) {
    put(set, r, "embeddings.projection.weight", h * e);
    put(set, r, "embeddings.projection.bias", h);
  }
  const std::set<int> sources(c.layer_sources.begin(), c.layer_sources.end());
  for (int s : sources) {
    const std::string at = "layers." + std::to_string(s) + ".";
    const bool scales = r.chance(40);
    const auto linear = [&](const std::string& name, std::size_t out, std::size_t inputs) {
      put(set, r, at + name + ".weight", out * inputs);
      put(set, r, at + name + ".bias", out);
      if (scales) {
        std::vector<float> v(out);
        for (float& x : v)
          x = r.uniform(0.001f, 0.01f);
        set[at + name + ".weight" + kWeightScalesSuffix] = std::move(v);
      }
    };
    for (const char* part :
         {"attention.query", "attention.key", "attention.value", "attention.output"})
      linear(part, h, h);
    linear("ffn.intermediate", in, h);
    linear("ffn.output", h, in);
    for (const char* norm : {"attention.norm", "ffn.norm"}) {
      put(set, r, at + norm + ".weight", h, 1.0f);
      put(set, r, at + norm + ".bias", h);
    }
  }
  return set;
}

/// Damages one tensor: removed, one element short or long, emptied, or scales for one of Q/K/V
/// only.
void mutate_weights(WeightSet& set, Random& r) {
  auto it = set.begin();
  std::advance(it, r.range(0, static_cast<int>(set.size()) - 1));
  switch (r.range(0, 3)) {
    case 0:
      set.erase(it);
      break;
    case 1:
      it->second.resize(it->second.size() + 1);
      break;
    case 2:
      it->second.resize(it->second.empty() ? 0 : it->second.size() - 1);
      break;
    default:
      set[std::string("layers.0.attention.key.weight") + kWeightScalesSuffix] =
          std::vector<float>(static_cast<std::size_t>(r.range(0, 8)), 0.01f);
  }
}

std::vector<Int8Isa> runnable_int8_isas() {
  std::vector<Int8Isa> isas;
  for (int i = 0; i <= static_cast<int>(Int8Isa::kAmxInt8); ++i) {
    if (int8::isa_runnable(static_cast<Int8Isa>(i)))
      isas.push_back(static_cast<Int8Isa>(i));
  }
  return isas;
}

void fuzz_encoder(Random& r, long runs) {
  const std::vector<Int8Isa> int8_isas = runnable_int8_isas();
  const Fp32Isa fp32_isas[2] = {Fp32Isa::kScalar, hardware_fp32_isa()};
  long built = 0, refused = 0, ran = 0;
  for (long i = 0; i < runs; ++i) {
    const EncoderConfig c = small_config(r);
    WeightSet weights = random_weights(c, r);
    const bool damaged = r.chance(25);
    if (damaged)
      mutate_weights(weights, r);
    std::unique_ptr<Encoder> encoder;
    const std::string got = outcome([&] {
      encoder = std::make_unique<Encoder>(
          c, weights, static_cast<unsigned>(r.range(1, 2)), fp32_isas[r.range(0, 1)],
          int8_isas[static_cast<std::size_t>(r.range(0, static_cast<int>(int8_isas.size()) - 1))]);
    });
    // Undamaged weights must build; damaged ones may (scales dropped or added where optional).
    SAMP_CHECK_MSG(got.empty() || (damaged && got == codes::kInvalidArgument),
                   "encoder build " << i << ": got \"" << got << "\"");
    if (!got.empty()) {
      ++refused;
      continue;
    }
    ++built;
    for (int k = 0; k < 3; ++k) {
      const bool valid = r.chance(70);
      const EncoderInput in = random_input(c, r, valid);
      RunOptions options;
      options.hidden_states = r.chance(30);
      options.compute_padding = r.chance(50);
      if (r.chance(30))
        options.observe.push_back(random_name(r, c.num_layers));
      EncoderOutput out;
      const std::string run = outcome([&] { out = encoder->run(in, options); });
      const std::string verdict = input_verdict(c, in);
      if (!verdict.empty()) {
        SAMP_CHECK_MSG(run == verdict, "run " << i << "." << k << ": got \"" << run
                                              << "\", expected \"" << verdict << "\"");
        continue;
      }
      SAMP_CHECK_MSG(run.empty() || run == codes::kInvalidArgument,  // a bad observe name
                     "run " << i << "." << k << ": got \"" << run << "\"");
      if (!run.empty())
        continue;
      ++ran;
      const std::size_t size = static_cast<std::size_t>(in.batch) * in.seq * c.hidden_size;
      SAMP_CHECK(out.last_hidden_state.size() == size);
      SAMP_CHECK(out.hidden_states.size() ==
                 (options.hidden_states ? static_cast<std::size_t>(c.num_layers) + 1 : 0));
      SAMP_CHECK(out.observed.size() == options.observe.size());
      bool finite = true;
      for (float x : out.last_hidden_state)
        finite = finite && std::isfinite(x);
      SAMP_CHECK_MSG(finite, "run " << i << "." << k << ": a non-finite output");
    }
  }
  std::printf("encoder: %ld configs, %ld built, %ld refused (damaged weights), %ld runs\n", runs,
              built, refused, ran);
}

}  // namespace

int main() {
  const long runs = std::max(1L, env_long("SAMP_NATIVE_FUZZ_RUNS", 2000));
  const uint64_t seed = static_cast<uint64_t>(env_long("SAMP_NATIVE_FUZZ_SEED", 20240601));
  std::printf("seed %llu, %ld runs per check target\n", static_cast<unsigned long long>(seed),
              runs);
  Random r(seed);
  SAMP_CHECK(kMaxTokensPerRun == kTokenLimit);
  fuzz_check_config(r, runs);
  fuzz_check_input(r, runs);
  fuzz_parse_observe(r, runs);
  fuzz_encoder(r, std::max(1L, runs / 10));
  return samp::test::result("cpu_input_fuzz");
}
