// A fixed-size pool of std::threads that runs one parallel loop at a time. The calling thread
// works too, so a pool of N threads starts N-1 workers. Used by the GEMMs, attention and the
// row-wise kernels; a session owns one pool and runs one batch at a time on it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace samp::cpu {

class ThreadPool {
 public:
  /// `threads` workers including the caller; 0 means std::thread::hardware_concurrency().
  explicit ThreadPool(unsigned threads = 0);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  unsigned size() const { return size_; }

  /// Calls fn(task) for every task in [0, tasks), spread over the pool (dynamic scheduling), and
  /// returns when all are done and every worker has left the loop. The first exception thrown by a
  /// task is rethrown here (the tasks not yet started are skipped). Not reentrant: one loop at a
  /// time per pool (callers serialise).
  void parallel_for(std::size_t tasks, const std::function<void(std::size_t)>& fn);

 private:
  void worker_loop();
  void drain(const std::function<void(std::size_t)>& fn, std::size_t tasks);

  unsigned size_;
  std::vector<std::thread> workers_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  // The loop in progress; written under mutex_ only while no worker is inside a loop.
  const std::function<void(std::size_t)>* job_ = nullptr;
  std::size_t tasks_ = 0;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> generation_{0};
  std::size_t pending_ = 0;  // workers that have not finished the current loop
  bool stop_ = false;
  std::exception_ptr error_;
};

/// The thread count a session uses when none is given.
unsigned default_thread_count();

}  // namespace samp::cpu
