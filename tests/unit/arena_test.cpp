// arena_test.cpp - the size-class allocator: sizes, reuse, accounting, a full
// arena, deferred frees (Retire/Reclaim) and concurrent use.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <thread>
#include <vector>

#include "memopt/arena.h"
#include "test_engine.h"

namespace memopt {
namespace {

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

class ArenaTest : public ::testing::Test {
 protected:
  void Make(size_t bytes) {
    memory_.reset(std::aligned_alloc(64, bytes));
    ASSERT_NE(memory_, nullptr);
    arena_ = Arena::Create(memory_.get(), bytes);
    ASSERT_NE(arena_, nullptr);
  }
  uint64_t KindBytes(MemoryKind kind) const {
    return arena_->Stats().kinds[static_cast<int>(kind)].bytes;
  }
  uint64_t KindBlocks(MemoryKind kind) const {
    return arena_->Stats().kinds[static_cast<int>(kind)].blocks;
  }
  bool InRegion(const void *p, size_t bytes) const {
    const char *begin = static_cast<const char *>(memory_.get());
    const char *c = static_cast<const char *>(p);
    return c >= begin && c + bytes <= begin + arena_->total_bytes();
  }

  std::unique_ptr<void, FreeDeleter> memory_;
  Arena *arena_ = nullptr;
};

TEST_F(ArenaTest, CreateRejectsTinyRegion) {
  alignas(64) static char tiny[256];
  EXPECT_EQ(Arena::Create(tiny, sizeof tiny), nullptr);
}

TEST_F(ArenaTest, ManySizesAreUsableAlignedAndDisjoint) {
  Make(64 << 20);
  const size_t sizes[] = {1,       8,       16,     17,   24,    31,     32,      33,
                          40,      63,      64,     65,   100,   127,    128,     129,
                          1000,    4095,    4096,   4097, 65536, 100000, 1 << 20, (1 << 20) + 1,
                          3 << 20, 5 << 20, 7 << 20};
  struct Block {
    unsigned char *p;
    size_t usable;
    unsigned char pattern;
  };
  std::vector<Block> blocks;
  unsigned char pattern = 1;
  for (size_t size : sizes) {
    void *p = arena_->Allocate(size, MemoryKind::kOther);
    ASSERT_NE(p, nullptr) << "size " << size;
    EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 8, 0u) << "size " << size;
    size_t usable = Arena::UsableSize(p);
    EXPECT_GE(usable, size);
    // At most 25% slack plus the header rounding.
    EXPECT_LE(usable, size + size / 4 + 64) << "size " << size;
    EXPECT_TRUE(InRegion(p, usable));
    std::memset(p, pattern, usable);
    blocks.push_back({static_cast<unsigned char *>(p), usable, pattern});
    ++pattern;
  }
  // No block overwrote another.
  for (const Block &block : blocks)
    for (size_t i = 0; i < block.usable; i += 1 + block.usable / 1024)
      ASSERT_EQ(block.p[i], block.pattern);
  for (const Block &block : blocks) {
    ASSERT_EQ(block.p[block.usable - 1], block.pattern);
    arena_->Free(block.p);
  }
  EXPECT_EQ(KindBlocks(MemoryKind::kOther), 0u);
  EXPECT_EQ(KindBytes(MemoryKind::kOther), 0u);
}

TEST_F(ArenaTest, ImpossibleSizesReturnNull) {
  Make(4 << 20);
  EXPECT_EQ(arena_->Allocate(~size_t{0}, MemoryKind::kOther), nullptr);
  EXPECT_EQ(arena_->Allocate(~size_t{0} - 16, MemoryKind::kOther), nullptr);
  EXPECT_EQ(arena_->Allocate(size_t{1} << 50, MemoryKind::kOther), nullptr);
  EXPECT_EQ(arena_->Allocate(size_t{8} << 20, MemoryKind::kOther), nullptr);  // > region
  // Nothing was carved or counted by the failures.
  ArenaStats stats = arena_->Stats();
  EXPECT_EQ(stats.kinds[static_cast<int>(MemoryKind::kOther)].blocks, 0u);
  EXPECT_NE(arena_->Allocate(64, MemoryKind::kOther), nullptr);
}

TEST_F(ArenaTest, FreedBlocksAreReusedWithoutCarving) {
  Make(8 << 20);
  void *a = arena_->Allocate(100, MemoryKind::kRow);
  void *b = arena_->Allocate(100, MemoryKind::kRow);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_NE(a, b);
  uint64_t bump = arena_->Stats().bump_used_bytes;
  arena_->Free(a);
  EXPECT_GT(arena_->Stats().free_list_bytes, 0u);
  void *c = arena_->Allocate(100, MemoryKind::kVersion);
  EXPECT_EQ(c, a);  // same class: comes back from the free list
  EXPECT_EQ(arena_->Stats().free_list_bytes, 0u);
  EXPECT_EQ(arena_->Stats().bump_used_bytes, bump);

  // Many rounds of allocate/free of mixed sizes do not grow the bump pointer
  // once every class has been used.
  std::vector<size_t> sizes = {16, 48, 200, 1000, 5000, 70000};
  for (size_t size : sizes) arena_->Free(arena_->Allocate(size, MemoryKind::kOther));
  bump = arena_->Stats().bump_used_bytes;
  for (int round = 0; round < 1000; ++round) {
    std::vector<void *> live;
    for (size_t size : sizes) {
      void *p = arena_->Allocate(size, MemoryKind::kOther);
      ASSERT_NE(p, nullptr);
      live.push_back(p);
    }
    for (void *p : live) arena_->Free(p);
  }
  EXPECT_EQ(arena_->Stats().bump_used_bytes, bump);
  arena_->Free(b);
  arena_->Free(c);
}

TEST_F(ArenaTest, StatsCountEachKind) {
  Make(8 << 20);
  ArenaStats before = arena_->Stats();
  for (int k = 0; k < static_cast<int>(MemoryKind::kCount); ++k) {
    EXPECT_EQ(before.kinds[k].bytes, 0u);
    EXPECT_EQ(before.kinds[k].blocks, 0u);
    EXPECT_STRNE(MemoryKindName(static_cast<MemoryKind>(k)), "unknown");
  }
  void *rows[3];
  for (void *&row : rows) row = arena_->Allocate(40, MemoryKind::kRow);
  void *version = arena_->Allocate(1000, MemoryKind::kVersion);
  void *index = arena_->Allocate(70000, MemoryKind::kIndex);

  EXPECT_EQ(KindBlocks(MemoryKind::kRow), 3u);
  EXPECT_EQ(KindBlocks(MemoryKind::kVersion), 1u);
  EXPECT_EQ(KindBlocks(MemoryKind::kIndex), 1u);
  EXPECT_EQ(KindBlocks(MemoryKind::kTable), 0u);
  // Bytes include the header and the class rounding, so they are at least
  // the request and the usable size, and at most 25% + header above it.
  uint64_t row_bytes = KindBytes(MemoryKind::kRow);
  EXPECT_GE(row_bytes, 3 * Arena::UsableSize(rows[0]));
  EXPECT_GT(row_bytes, 3 * 40u);
  EXPECT_LE(row_bytes, 3 * (40u * 5 / 4 + 64));
  EXPECT_GT(KindBytes(MemoryKind::kVersion), Arena::UsableSize(version));
  EXPECT_GT(KindBytes(MemoryKind::kIndex), Arena::UsableSize(index));
  EXPECT_LE(KindBytes(MemoryKind::kIndex), 70000u * 5 / 4 + 64);

  arena_->Free(rows[1]);
  EXPECT_EQ(KindBlocks(MemoryKind::kRow), 2u);
  EXPECT_EQ(KindBytes(MemoryKind::kRow), row_bytes / 3 * 2);
  // A block reused for another kind is counted under the new kind.
  void *other = arena_->Allocate(40, MemoryKind::kOther);
  EXPECT_EQ(other, rows[1]);
  EXPECT_EQ(KindBlocks(MemoryKind::kOther), 1u);
  EXPECT_EQ(KindBytes(MemoryKind::kOther), row_bytes / 3);
  arena_->Free(other);
  arena_->Free(rows[0]);
  arena_->Free(rows[2]);
  arena_->Free(version);
  arena_->Free(index);
  ArenaStats after = arena_->Stats();
  for (int k = 0; k < static_cast<int>(MemoryKind::kCount); ++k) {
    EXPECT_EQ(after.kinds[k].bytes, 0u) << MemoryKindName(static_cast<MemoryKind>(k));
    EXPECT_EQ(after.kinds[k].blocks, 0u);
  }
  EXPECT_EQ(after.free_list_bytes, after.bump_used_bytes - before.bump_used_bytes);
  arena_->Free(nullptr);  // harmless
}

// Memory freed by large values must be able to hold small rows: once the bump
// region is used up, a large free block is cut into blocks of the requested
// class, without overlap, and the accounting still adds up.
TEST_F(ArenaTest, DeferredCountsReachStatsWhenFlushed) {
  Make(1 << 20);
  void *reused = arena_->Allocate(100, MemoryKind::kRow);
  arena_->Free(reused);
  uint64_t free_before = arena_->Stats().free_list_bytes;
  ASSERT_GT(free_before, 0u);

  ArenaCounts counts;
  void *a = arena_->Allocate(100, MemoryKind::kVersion, &counts);  // pops the freed block
  void *b = arena_->Allocate(40, MemoryKind::kVersion, &counts);
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(KindBlocks(MemoryKind::kVersion), 0u);
  EXPECT_EQ(arena_->Stats().free_list_bytes, free_before);

  // Freed before its allocation was counted: the shared counter dips below
  // zero, which Stats() shows as zero, and comes right at the flush.
  arena_->Free(b);
  EXPECT_EQ(KindBlocks(MemoryKind::kVersion), 0u);
  EXPECT_EQ(KindBytes(MemoryKind::kVersion), 0u);
  arena_->Flush(&counts);
  EXPECT_EQ(KindBlocks(MemoryKind::kVersion), 1u);
  EXPECT_EQ(KindBytes(MemoryKind::kVersion), Arena::BlockBytes(a));
  EXPECT_EQ(arena_->Stats().free_list_bytes,
            free_before - Arena::BlockBytes(a) + Arena::BlockBytes(b));
  EXPECT_EQ(counts.allocations, 0);
}

TEST_F(ArenaTest, DeferredCountsFlushThemselvesEveryFewThousandAllocations) {
  Make(4 << 20);
  ArenaCounts counts;
  for (int i = 0; i < ArenaCounts::kFlushEvery - 1; ++i)
    ASSERT_NE(arena_->Allocate(8, MemoryKind::kRow, &counts), nullptr);
  EXPECT_EQ(KindBlocks(MemoryKind::kRow), 0u);
  ASSERT_NE(arena_->Allocate(8, MemoryKind::kRow, &counts), nullptr);
  EXPECT_EQ(KindBlocks(MemoryKind::kRow), static_cast<uint64_t>(ArenaCounts::kFlushEvery));
  EXPECT_EQ(counts.allocations, 0);
}

TEST_F(ArenaTest, FreedLargeBlocksServeSmallRequests) {
  Make(4 << 20);
  std::vector<void *> large;
  for (void *p; (p = arena_->Allocate(64 * 1024, MemoryKind::kOther)) != nullptr;)
    large.push_back(p);
  ASSERT_GT(large.size(), 40u);
  uint64_t large_bytes = 0;
  for (void *p : large) large_bytes += Arena::BlockBytes(p);
  for (void *p : large) arena_->Free(p);

  std::vector<uint64_t *> small;
  for (void *p; (p = arena_->Allocate(100, MemoryKind::kOther)) != nullptr;)
    small.push_back(static_cast<uint64_t *>(p));
  uint64_t small_bytes = 0;
  for (uint64_t *p : small) small_bytes += Arena::BlockBytes(p);
  EXPECT_GE(small_bytes, large_bytes * 9 / 10) << "freed large blocks were not reused";

  for (size_t i = 0; i < small.size(); ++i)
    for (int w = 0; w < 12; ++w) small[i][w] = i * 100 + w;
  for (size_t i = 0; i < small.size(); ++i)
    for (int w = 0; w < 12; ++w) ASSERT_EQ(small[i][w], i * 100 + w) << "blocks overlap";

  ArenaStats stats = arena_->Stats();
  EXPECT_EQ(stats.bump_used_bytes, stats.kinds[static_cast<int>(MemoryKind::kOther)].bytes +
                                       stats.free_list_bytes + stats.split_waste_bytes);
  for (uint64_t *p : small) arena_->Free(p);
  EXPECT_EQ(KindBlocks(MemoryKind::kOther), 0u);
}

// The other way round: once small blocks that fill the arena are all freed
// (a large statement rolled back, say), large requests fit again, because
// adjacent free blocks are merged when a request finds nothing.
TEST_F(ArenaTest, FreedSmallBlocksServeLargeRequests) {
  Make(4 << 20);
  std::vector<void *> small;
  for (void *p; (p = arena_->Allocate(100, MemoryKind::kOther)) != nullptr;) small.push_back(p);
  ASSERT_GT(small.size(), 20000u);
  for (void *p : small) arena_->Free(p);

  std::vector<uint64_t *> large;
  for (void *p; (p = arena_->Allocate(64 * 1024, MemoryKind::kOther)) != nullptr;)
    large.push_back(static_cast<uint64_t *>(p));
  uint64_t large_bytes = 0;
  for (uint64_t *p : large) large_bytes += Arena::BlockBytes(p);
  EXPECT_GE(large_bytes, arena_->total_bytes() * 9 / 10) << "freed small blocks were not merged";
  for (size_t i = 0; i < large.size(); ++i) large[i][0] = large[i][8191] = i;
  for (size_t i = 0; i < large.size(); ++i) {
    ASSERT_EQ(large[i][0], i) << "blocks overlap";
    ASSERT_EQ(large[i][8191], i) << "blocks overlap";
  }
  ArenaStats stats = arena_->Stats();
  EXPECT_EQ(stats.bump_used_bytes, stats.kinds[static_cast<int>(MemoryKind::kOther)].bytes +
                                       stats.free_list_bytes + stats.split_waste_bytes);
  for (void *p : large) arena_->Free(p);
}

TEST_F(ArenaTest, FullArenaReturnsNullAndRecoversAfterFree) {
  Make(1 << 20);
  std::vector<void *> blocks;
  for (;;) {
    void *p = arena_->Allocate(1000, MemoryKind::kOther);
    if (p == nullptr) break;
    std::memset(p, 0xab, 1000);
    blocks.push_back(p);
    ASSERT_LT(blocks.size(), 2000u);
  }
  ASSERT_GT(blocks.size(), 500u);
  // Full: every size that does not fit fails, repeatedly, without damage.
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(arena_->Allocate(1000, MemoryKind::kOther), nullptr);
    EXPECT_EQ(arena_->Allocate(100000, MemoryKind::kOther), nullptr);
  }
  ArenaStats full = arena_->Stats();
  EXPECT_LE(full.bump_used_bytes, full.total_bytes);
  EXPECT_EQ(full.kinds[static_cast<int>(MemoryKind::kOther)].blocks, blocks.size());

  size_t count = blocks.size();
  for (void *p : blocks) arena_->Free(p);
  blocks.clear();
  for (size_t i = 0; i < count; ++i) {
    void *p = arena_->Allocate(1000, MemoryKind::kOther);
    ASSERT_NE(p, nullptr) << "after freeing, allocation " << i << " failed";
    blocks.push_back(p);
  }
  EXPECT_EQ(arena_->Allocate(1000, MemoryKind::kOther), nullptr);
  EXPECT_EQ(arena_->Stats().bump_used_bytes, full.bump_used_bytes);
  // With the bump region exhausted, a slightly smaller request may be served
  // from a larger class's free list.
  arena_->Free(blocks.back());
  blocks.pop_back();
  void *smaller = arena_->Allocate(700, MemoryKind::kOther);
  EXPECT_NE(smaller, nullptr);
  EXPECT_GE(Arena::UsableSize(smaller), 700u);
  arena_->Free(smaller);
  for (void *p : blocks) arena_->Free(p);
}

TEST_F(ArenaTest, ReclaimFreesOnlyBlocksRetiredBeforeOldestReader) {
  Make(4 << 20);
  void *a = arena_->Allocate(256, MemoryKind::kVersion);
  void *b = arena_->Allocate(256, MemoryKind::kVersion);
  void *c = arena_->Allocate(256, MemoryKind::kVersion);
  ASSERT_TRUE(a && b && c);
  std::memset(a, 1, 256);
  std::memset(b, 2, 256);
  uint64_t class_bytes = KindBytes(MemoryKind::kVersion) / 3;

  arena_->Retire(a, 10);
  arena_->Retire(b, 20);
  arena_->Retire(c, 30);
  arena_->Retire(nullptr, 5);  // harmless
  ArenaStats stats = arena_->Stats();
  EXPECT_EQ(stats.retired_bytes, 3 * class_bytes);
  EXPECT_EQ(stats.kinds[static_cast<int>(MemoryKind::kVersion)].blocks, 0u);
  EXPECT_EQ(stats.free_list_bytes, 0u);
  // Retired blocks stay readable until reclaimed.
  EXPECT_EQ(static_cast<unsigned char *>(a)[100], 1);
  EXPECT_EQ(static_cast<unsigned char *>(b)[100], 2);

  EXPECT_EQ(arena_->Reclaim(0), 0u);
  EXPECT_EQ(arena_->Reclaim(10), 0u);  // a reader that started at 10 may hold `a`
  EXPECT_EQ(arena_->Stats().retired_bytes, 3 * class_bytes);
  EXPECT_EQ(arena_->Reclaim(11), 1u);
  EXPECT_EQ(arena_->Stats().retired_bytes, 2 * class_bytes);
  EXPECT_EQ(arena_->Stats().free_list_bytes, class_bytes);
  EXPECT_EQ(arena_->Reclaim(20), 0u);
  EXPECT_EQ(static_cast<unsigned char *>(b)[100], 2);
  // Only `a` is free: the next block of its class is `a`.
  void *again = arena_->Allocate(256, MemoryKind::kVersion);
  EXPECT_EQ(again, a);
  EXPECT_EQ(arena_->Reclaim(31), 2u);
  EXPECT_EQ(arena_->Stats().retired_bytes, 0u);
  EXPECT_EQ(arena_->Reclaim(1000), 0u);
  void *x = arena_->Allocate(256, MemoryKind::kVersion);
  void *y = arena_->Allocate(256, MemoryKind::kVersion);
  EXPECT_TRUE((x == b && y == c) || (x == c && y == b));
  arena_->Free(again);
  arena_->Free(x);
  arena_->Free(y);
}

TEST_F(ArenaTest, ConcurrentAllocateFreeNeverOverlaps) {
  Make(64 << 20);
  const int kThreads = 4;
  const int kOps = test::Scaled(test::kUnderTsan ? 20000 : 100000);
  std::vector<std::thread> threads;
  std::vector<int> errors(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 random(1234 + t);
      struct Live {
        uint64_t *p;
        size_t words;
        uint64_t tag;
      };
      std::vector<Live> live;
      auto check_and_free = [&](size_t i) {
        Live block = live[i];
        for (size_t w = 0; w < block.words; ++w)
          if (block.p[w] != block.tag + w) {
            ++errors[t];
            break;
          }
        // Retire some instead of freeing; reclaim them later.
        if (block.tag % 7 == 0)
          arena_->Retire(block.p, block.tag % 100);
        else
          arena_->Free(block.p);
        live[i] = live.back();
        live.pop_back();
      };
      for (int op = 0; op < kOps; ++op) {
        if (live.size() < 64 && (live.empty() || random() % 2 == 0)) {
          size_t bytes = random() % 8 == 0 ? 1000 + random() % 20000 : 8 + random() % 300;
          auto *p = static_cast<uint64_t *>(arena_->Allocate(bytes, MemoryKind::kOther));
          if (p == nullptr) {
            ++errors[t];
            continue;
          }
          size_t words = bytes / 8;
          uint64_t tag = (static_cast<uint64_t>(t) << 56) | (static_cast<uint64_t>(op) << 20);
          for (size_t w = 0; w < words; ++w) p[w] = tag + w;
          live.push_back({p, words, tag});
        } else {
          check_and_free(random() % live.size());
        }
        if (op % 1000 == 999) arena_->Reclaim(50);
      }
      while (!live.empty()) check_and_free(live.size() - 1);
    });
  }
  for (auto &thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], 0) << "thread " << t;
  arena_->Reclaim(~0ULL);
  ArenaStats stats = arena_->Stats();
  EXPECT_EQ(stats.retired_bytes, 0u);
  EXPECT_EQ(stats.kinds[static_cast<int>(MemoryKind::kOther)].blocks, 0u);
  EXPECT_EQ(stats.kinds[static_cast<int>(MemoryKind::kOther)].bytes, 0u);
  // Every carved byte is back on a free list: only the control block is not.
  uint64_t control = stats.bump_used_bytes - stats.free_list_bytes;
  EXPECT_LT(control, 4096u);
}

// Many threads popping and pushing the same size class: the free-list tag
// must keep a stale pop (ABA) from handing one block to two owners.
TEST_F(ArenaTest, OneSizeClassUnderHeavyContention) {
  Make(8 << 20);
  const int kThreads = 8;
  const int kRounds = test::Scaled(test::kUnderTsan ? 20000 : 200000);
  std::vector<std::thread> threads;
  std::vector<int> errors(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      uint64_t tag = static_cast<uint64_t>(t + 1) << 56;
      for (int round = 0; round < kRounds; ++round) {
        uint64_t *blocks[3];
        for (int i = 0; i < 3; ++i) {
          blocks[i] = static_cast<uint64_t *>(arena_->Allocate(40, MemoryKind::kOther));
          if (blocks[i] == nullptr) {
            ++errors[t];
            return;
          }
          for (int w = 0; w < 5; ++w) blocks[i][w] = tag + round * 16 + i * 5 + w;
        }
        for (int i : {1, 0, 2}) {
          for (int w = 0; w < 5; ++w)
            if (blocks[i][w] != tag + round * 16 + i * 5 + w) ++errors[t];
          arena_->Free(blocks[i]);
        }
      }
    });
  }
  for (auto &thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(errors[t], 0) << "thread " << t;
  EXPECT_EQ(KindBlocks(MemoryKind::kOther), 0u);
  // Never more blocks carved than could be live at once.
  ArenaStats stats = arena_->Stats();
  EXPECT_LE(stats.free_list_bytes, kThreads * 3 * 64u);
}

}  // namespace
}  // namespace memopt
