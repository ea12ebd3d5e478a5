#include "parallel.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "cpu.h"

namespace infogain {
namespace {

struct Job {
  const std::function<void(int64_t)>* fn;
  int64_t tasks;
  CpuSettings settings;  // the caller's: its helpers run fn under them too
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done{0};
  std::mutex m;
  std::condition_variable finished;

  // Claims and runs tasks until none are left. Returns after the last claimed one finishes.
  void work() {
    for (int64_t i; (i = next.fetch_add(1)) < tasks;) {
      (*fn)(i);
      if (done.fetch_add(1) + 1 == tasks) {
        std::lock_guard<std::mutex> lock(m);
        finished.notify_all();
      }
    }
  }
};

class Pool {
 public:
  void run(int64_t tasks, const std::function<void(int64_t)>& fn) {
    int helpers = threadCount() - 1;
    if (tasks == 1 || helpers == 0) {
      for (int64_t i = 0; i < tasks; i++) fn(i);
      return;
    }
    auto job = std::make_shared<Job>();
    job->fn = &fn;
    job->tasks = tasks;
    job->settings = cpuSettings();
    {
      std::lock_guard<std::mutex> lock(m_);
      while (int(threads_.size()) < helpers) {
        int id = int(threads_.size());
        threads_.emplace_back([this, id] { loop(id); });
        threads_.back().detach();  // the pool lives for the whole process
      }
      queue_.push_back(job);
    }
    wake_.notify_all();
    job->work();
    std::unique_lock<std::mutex> lock(job->m);
    job->finished.wait(lock, [&] { return job->done.load() == job->tasks; });
  }

 private:
  void loop(int id) {
    for (;;) {
      std::shared_ptr<Job> job;
      {
        std::unique_lock<std::mutex> lock(m_);
        wake_.wait(lock, [&] {
          // drop jobs whose tasks are all claimed; threads above the configured count stay idle
          while (!queue_.empty() && queue_.front()->next.load() >= queue_.front()->tasks) queue_.pop_front();
          return !queue_.empty() && id < threadCount() - 1;
        });
        job = queue_.front();
      }
      UseCpuSettings use(job->settings);
      job->work();
    }
  }

  std::mutex m_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<Job>> queue_;
  std::vector<std::thread> threads_;
};

Pool& pool() {
  static Pool* p = new Pool();  // never destroyed: detached workers may outlive static destructors
  return *p;
}

}  // namespace

void parallelFor(int64_t tasks, const std::function<void(int64_t)>& fn) {
  if (tasks <= 0) return;
  pool().run(tasks, fn);
}

}  // namespace infogain
