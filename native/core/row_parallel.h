// Spreads a per-row reduction over the thread pool: across rows when there are many,
// and across pieces of each row when there are few (one long row still uses every thread).
#pragma once
#include <cstdint>
#include <vector>

#include "cpu.h"
#include "parallel.h"

namespace infogain {

// Elements per task below which threading costs more than it saves.
constexpr int64_t kMinTaskElements = 1 << 15;

// piece(row, begin, end) -> Stats reduces row[begin, end); merge(a, b) -> Stats combines two
// pieces of one row; finish(row, stats) consumes a whole row's result.
template <class Stats, class Piece, class Merge, class Finish>
void reduceRows(int64_t rows, int64_t vocab, Piece piece, Merge merge, Finish finish) {
  if (rows <= 0) return;
  const int64_t threads = threadCount();
  const int64_t total = rows * vocab;
  if (threads == 1 || total <= kMinTaskElements) {
    for (int64_t r = 0; r < rows; r++) finish(r, piece(r, 0, vocab));
    return;
  }
  int64_t wantTasks = threads * 4;
  if (rows >= wantTasks || vocab < 2 * kMinTaskElements) {
    // whole rows per task, enough of them to keep every thread busy
    int64_t rowsPerTask = (rows + wantTasks - 1) / wantTasks;
    int64_t minRows = (kMinTaskElements + vocab - 1) / vocab;
    if (rowsPerTask < minRows) rowsPerTask = minRows;
    int64_t tasks = (rows + rowsPerTask - 1) / rowsPerTask;
    parallelFor(tasks, [&](int64_t t) {
      int64_t end = (t + 1) * rowsPerTask < rows ? (t + 1) * rowsPerTask : rows;
      for (int64_t r = t * rowsPerTask; r < end; r++) finish(r, piece(r, 0, vocab));
    });
    return;
  }
  // few long rows: split each into `parts` pieces (multiples of 64 elements), then merge
  int64_t parts = (wantTasks + rows - 1) / rows;
  if (parts > vocab / kMinTaskElements) parts = vocab / kMinTaskElements;
  int64_t partLen = ((vocab + parts - 1) / parts + 63) / 64 * 64;
  parts = (vocab + partLen - 1) / partLen;
  std::vector<Stats> pieces(size_t(rows * parts));
  parallelFor(rows * parts, [&](int64_t t) {
    int64_t r = t / parts, begin = (t % parts) * partLen;
    int64_t end = begin + partLen < vocab ? begin + partLen : vocab;
    pieces[size_t(t)] = piece(r, begin, end);
  });
  for (int64_t r = 0; r < rows; r++) {
    Stats acc = pieces[size_t(r * parts)];
    for (int64_t p = 1; p < parts; p++) acc = merge(acc, pieces[size_t(r * parts + p)]);
    finish(r, acc);
  }
}

}  // namespace infogain
