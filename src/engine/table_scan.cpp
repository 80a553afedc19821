// table_scan.cpp - slot-order scans filtered by visibility (see table_scan.h).
#include "memopt/table_scan.h"

namespace memopt {

namespace {

// One past the last slot a scan may visit.
uint64_t ScanEnd(const VersionDirectory &directory, uint64_t last) {
  uint64_t high_water = directory.high_water();
  return last < high_water ? last + 1 : high_water;
}

}  // namespace

void TableScan::SetRange(uint64_t first, uint64_t last) {
  first_ = first;
  last_ = last;
  Restart();
}

void TableScan::Restart() {
  span_end_ = 0;
  next_ = first_;
  previous_ = ~0ULL;
  started_backward_ = false;
}

Version *TableScan::Next() {
  const VersionDirectory &directory = table_->directory();
  uint64_t end = ScanEnd(directory, last_);
  while (next_ < end) {
    if (next_ < span_first_ || next_ >= span_end_) {
      span_first_ = next_;
      words_ = directory.Span(next_, &span_end_);
    }
    uint64_t stop = span_end_ < end ? span_end_ : end;
    if (words_ == nullptr) {  // a chunk not allocated yet: no versions (do not cache)
      span_end_ = 0;
      next_ = stop;
      continue;
    }
    for (; next_ < stop; ++next_) {
      uint64_t word = words_[next_ - span_first_].load(std::memory_order_acquire);
      if (!VersionDirectory::WordIsVersion(word)) continue;
      Version *version = reinterpret_cast<Version *>(word);
      if (!IsVisible(slots_, version, view_)) continue;
      previous_ = next_++;
      started_backward_ = true;
      return version;
    }
  }
  previous_ = end;  // a backward scan after the end starts from the last slot
  started_backward_ = true;
  return nullptr;
}

Version *TableScan::Previous() {
  const VersionDirectory &directory = table_->directory();
  if (!started_backward_) {
    previous_ = ScanEnd(directory, last_);
    started_backward_ = true;
  }
  while (previous_ > first_) {
    Version *version = directory.Get(--previous_);
    if (version != nullptr && IsVisible(slots_, version, view_)) {
      next_ = previous_ + 1;
      return version;
    }
  }
  next_ = first_;
  return nullptr;
}

uint64_t CountVersions(Table *table, uint64_t first, uint64_t end) {
  uint64_t count = 0;
  for (uint64_t slot = first; slot < end; ++slot)
    if (table->directory().Get(slot) != nullptr) ++count;
  return count;
}

Version *FetchVersion(const Engine *engine, Table *table, uint64_t slot, const ReadView &view,
                      bool any_version) {
  Version *version = table->directory().Get(slot);
  if (version == nullptr) return nullptr;
  if (any_version)
    return version->begin.load(std::memory_order_acquire) != kInfinity ? version : nullptr;
  return IsVisible(engine->slots(), version, view) ? version : nullptr;
}

}  // namespace memopt
