#include "cpu/thread-pool.h"

#include <chrono>

namespace samp::cpu {

unsigned default_thread_count() {
  const unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

ThreadPool::ThreadPool(unsigned threads) : size_(threads == 0 ? default_thread_count() : threads) {
  workers_.reserve(size_ - 1);
  for (unsigned i = 1; i < size_; ++i)
    workers_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  for (auto& t : workers_)
    t.join();
}

void ThreadPool::drain(const std::function<void(std::size_t)>& fn, std::size_t tasks) {
  for (;;) {
    const std::size_t task = next_.fetch_add(1, std::memory_order_relaxed);
    if (task >= tasks)
      return;
    try {
      fn(task);
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (!error_)
        error_ = std::current_exception();
      next_.store(tasks, std::memory_order_relaxed);  // skip what is left
    }
  }
}

void ThreadPool::worker_loop() {
  std::size_t seen = 0;
  for (;;) {
    // Loops come in bursts (a run issues dozens): spin briefly before sleeping.
    const auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(50);
    while (generation_.load(std::memory_order_acquire) == seen &&
           std::chrono::steady_clock::now() < spin_until) {
      std::this_thread::yield();
    }
    const std::function<void(std::size_t)>* job = nullptr;
    std::size_t tasks = 0;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock,
                 [&] { return stop_ || generation_.load(std::memory_order_relaxed) != seen; });
      if (stop_)
        return;
      seen = generation_.load(std::memory_order_relaxed);
      job = job_;
      tasks = tasks_;
    }
    drain(*job, tasks);
    bool last = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      last = --pending_ == 0;
    }
    if (last)
      done_.notify_all();
  }
}

void ThreadPool::parallel_for(std::size_t tasks, const std::function<void(std::size_t)>& fn) {
  if (tasks == 0)
    return;
  if (size_ == 1 || tasks == 1) {
    for (std::size_t i = 0; i < tasks; ++i)
      fn(i);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    job_ = &fn;
    tasks_ = tasks;
    next_.store(0, std::memory_order_relaxed);
    error_ = nullptr;
    pending_ = workers_.size();
    generation_.fetch_add(1, std::memory_order_release);
  }
  wake_.notify_all();
  drain(fn, tasks);
  std::exception_ptr error;
  {
    // Every worker takes part in (and leaves) each loop, so none can read this loop's state later.
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [&] { return pending_ == 0; });
    job_ = nullptr;
    error = error_;
    error_ = nullptr;
  }
  if (error)
    std::rethrow_exception(error);
}

}  // namespace samp::cpu
