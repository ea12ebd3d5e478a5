// A process-wide pool of worker threads shared by every kernel and every calling thread
// (main thread, libuv pool, worker_threads). The caller always works on its own job too,
// so a job finishes even when every pool thread is busy with other callers' jobs.
#pragma once
#include <cstdint>
#include <functional>

namespace infogain {

// Runs fn(i) once for every i in [0, tasks) on up to threadCount() threads; returns when all are done.
// fn must not throw.
void parallelFor(int64_t tasks, const std::function<void(int64_t)>& fn);

}  // namespace infogain
