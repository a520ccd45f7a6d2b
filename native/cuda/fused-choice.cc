#include "fused-choice.h"

#include <map>
#include <mutex>
#include <tuple>

namespace samp::cuda {
namespace {

using Key = std::tuple<int, int, int, int, int, int>;  // site, size class

std::mutex table_mutex;

std::map<Key, bool>& table() {
  static std::map<Key, bool> choices;
  return choices;
}

Key key_of(const FusedSite& s, int tokens) {
  return {s.device, s.kind, s.out_bytes, s.m, s.k, gemm_size_class(tokens)};
}

}  // namespace

FusedMode fused_mode_from(const std::string& setting) {
  if (setting == "0")
    return FusedMode::kNever;
  if (setting == "1")
    return FusedMode::kAlways;
  return FusedMode::kTimed;
}

int fused_choice(const FusedSite& site, int tokens) {
  std::lock_guard<std::mutex> lock(table_mutex);
  const auto it = table().find(key_of(site, tokens));
  return it == table().end() ? -1 : (it->second ? 1 : 0);
}

bool record_fused_choice(const FusedSite& site, int tokens, bool fused) {
  std::lock_guard<std::mutex> lock(table_mutex);
  return table().emplace(key_of(site, tokens), fused).first->second;
}

}  // namespace samp::cuda
