// Where each sequence's tokens live in a flat token array, and which of them count.
// Two layouts, one type: padded [rows, columns] row-major (verl's response tensors), or packed
// rows of any length given by offsets. Every token-level kernel of the advantages family uses it.
#pragma once
#include <cstdint>

#include "spans.h"  // checkOffsets
#include "status.h"

namespace infogain {

struct TokenLayout {
  int64_t rows = 0;
  int64_t columns = 0;               // padded: row r holds tokens [r * columns, (r + 1) * columns)
  const int32_t* offsets = nullptr;  // packed (when set): row r holds [offsets[r], offsets[r + 1])
  const uint8_t* mask = nullptr;     // 1 = valid (response) token, 0 = padding or masked; null: all valid

  int64_t begin(int64_t r) const { return offsets ? offsets[r] : r * columns; }
  int64_t end(int64_t r) const { return offsets ? offsets[r + 1] : (r + 1) * columns; }
  int64_t tokens() const { return offsets ? offsets[rows] : rows * columns; }
  bool valid(int64_t t) const { return !mask || mask[t] != 0; }
};

// rows >= 1; the offsets as checkOffsets (spans.h) wants them; mask elements 0 or 1.
Status checkTokenLayout(const TokenLayout& layout);

// Every element finite; the error names the first that is not.
Status checkFinite(const float* values, int64_t n, const char* argument);

// Every valid token (and, with `present`, only those marked present) finite.
Status checkFiniteTokens(const float* values, const TokenLayout& layout, const uint8_t* present, const char* argument);

}  // namespace infogain
