// A CUPTI injection library for kernel timelines on the GPU machine (it has no nsys): loaded with
// CUDA_INJECTION64_PATH, it records every kernel's start, end and name (graph nodes included) and
// writes them (and memsets and copies) as CSV to $TRACE_OUT at exit. Built and used by
// kernel-timeline.sh.
#include <cupti.h>

#include <cstdio>
#include <cstdlib>

namespace {

FILE* out = nullptr;

void CUPTIAPI requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  *size = 8 << 20;
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, *size));
  *max_records = 0;
}

void CUPTIAPI completed(CUcontext, uint32_t, uint8_t* buffer, size_t, size_t valid) {
  CUpti_Activity* record = nullptr;
  while (cuptiActivityGetNextRecord(buffer, valid, &record) == CUPTI_SUCCESS) {
    if (record->kind == CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL) {
      const auto* k = reinterpret_cast<const KERNEL_RECORD*>(record);
      std::fprintf(out, "%llu,%llu,\"%s\"\n", static_cast<unsigned long long>(k->start),
                   static_cast<unsigned long long>(k->end), k->name);
    } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMSET) {
      const auto* m = reinterpret_cast<const MEMSET_RECORD*>(record);
      std::fprintf(
          out, "%llu,%llu,\"[memset %llu bytes]\"\n", static_cast<unsigned long long>(m->start),
          static_cast<unsigned long long>(m->end), static_cast<unsigned long long>(m->bytes));
    } else if (record->kind == CUPTI_ACTIVITY_KIND_MEMCPY) {
      const auto* m = reinterpret_cast<const MEMCPY_RECORD*>(record);
      std::fprintf(
          out, "%llu,%llu,\"[memcpy %llu bytes]\"\n", static_cast<unsigned long long>(m->start),
          static_cast<unsigned long long>(m->end), static_cast<unsigned long long>(m->bytes));
    }
  }
  std::free(buffer);
}

void flush() {
  cuptiActivityFlushAll(1);
  std::fclose(out);
}

}  // namespace

extern "C" int InitializeInjection() {
  const char* path = std::getenv("TRACE_OUT");
  out = std::fopen(path != nullptr ? path : "kernel-trace.csv", "w");
  if (out == nullptr)
    return 0;
  std::fprintf(out, "Start,End,Name\n");
  cuptiActivityRegisterCallbacks(requested, completed);
  cuptiActivityEnable(CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL);
  cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMSET);
  cuptiActivityEnable(CUPTI_ACTIVITY_KIND_MEMCPY);
  std::atexit(flush);
  return 1;
}
