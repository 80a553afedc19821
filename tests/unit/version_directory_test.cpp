// version_directory_test.cpp - slot numbers: acquire, publish, release,
// reuse, chunk boundaries, garbage slot numbers and concurrent use.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <set>
#include <thread>
#include <vector>

#include "memopt/version_directory.h"
#include "test_engine.h"

namespace memopt {
namespace {

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

class VersionDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const size_t bytes = size_t{64} << 20;
    memory_.reset(std::aligned_alloc(64, bytes));
    ASSERT_NE(memory_, nullptr);
    arena_ = Arena::Create(memory_.get(), bytes);
    ASSERT_NE(arena_, nullptr);
    directory_.reset(new VersionDirectory);
    directory_->Init();
  }
  // Fake, never dereferenced, 8-byte aligned version pointers.
  Version *Fake(uint64_t i) { return reinterpret_cast<Version *>(0x100000 + 8 * i); }
  uint64_t MustAcquire() {
    uint64_t slot = VersionDirectory::kNoSlot;
    EXPECT_EQ(directory_->Acquire(arena_, &slot), Status::kOk);
    return slot;
  }

  std::unique_ptr<void, FreeDeleter> memory_;
  Arena *arena_ = nullptr;
  std::unique_ptr<VersionDirectory> directory_;
};

TEST_F(VersionDirectoryTest, AcquireSetGetRelease) {
  EXPECT_EQ(directory_->high_water(), 0u);
  EXPECT_EQ(directory_->Get(0), nullptr);
  uint64_t a = MustAcquire();
  uint64_t b = MustAcquire();
  EXPECT_EQ(a, 0u);
  EXPECT_EQ(b, 1u);
  EXPECT_EQ(directory_->high_water(), 2u);
  // Acquired but not yet published: nothing there.
  EXPECT_EQ(directory_->Get(a), nullptr);
  directory_->Set(a, Fake(1));
  directory_->Set(b, Fake(2));
  EXPECT_EQ(directory_->Get(a), Fake(1));
  EXPECT_EQ(directory_->Get(b), Fake(2));
  directory_->Set(a, Fake(3));
  EXPECT_EQ(directory_->Get(a), Fake(3));
  directory_->Release(a);
  EXPECT_EQ(directory_->Get(a), nullptr);
  EXPECT_EQ(directory_->Get(b), Fake(2));
  directory_->Release(b);
  EXPECT_EQ(directory_->Get(b), nullptr);
  EXPECT_EQ(directory_->high_water(), 2u);
}

TEST_F(VersionDirectoryTest, ReleasedSlotsAreReusedLastInFirstOut) {
  std::vector<uint64_t> slots;
  for (int i = 0; i < 10; ++i) {
    slots.push_back(MustAcquire());
    directory_->Set(slots.back(), Fake(i));
  }
  directory_->Release(3);
  directory_->Release(7);
  directory_->Release(5);
  EXPECT_EQ(MustAcquire(), 5u);
  EXPECT_EQ(MustAcquire(), 7u);
  EXPECT_EQ(MustAcquire(), 3u);
  EXPECT_EQ(MustAcquire(), 10u);  // free list empty: a fresh slot
  EXPECT_EQ(directory_->high_water(), 11u);
  // A reused slot holds nothing until it is set again.
  EXPECT_EQ(directory_->Get(5), nullptr);
  directory_->Set(5, Fake(55));
  EXPECT_EQ(directory_->Get(5), Fake(55));
  // Untouched slots kept their versions.
  EXPECT_EQ(directory_->Get(4), Fake(4));
  EXPECT_EQ(directory_->Get(9), Fake(9));
}

TEST_F(VersionDirectoryTest, GarbageSlotNumbersReturnNull) {
  for (int i = 0; i < 300; ++i) directory_->Set(MustAcquire(), Fake(i));
  directory_->Release(17);
  const uint64_t garbage[] = {300,
                              301,
                              1000,
                              130815,
                              130816,
                              VersionDirectory::Capacity() - 1,
                              VersionDirectory::Capacity(),
                              VersionDirectory::Capacity() + 1,
                              uint64_t{1} << 40,
                              (uint64_t{1} << 48) - 1,
                              uint64_t{1} << 63,
                              VersionDirectory::kNoSlot - 1,
                              VersionDirectory::kNoSlot,
                              17};
  for (uint64_t slot : garbage) EXPECT_EQ(directory_->Get(slot), nullptr) << "slot " << slot;
  EXPECT_EQ(directory_->Get(299), Fake(299));
}

TEST_F(VersionDirectoryTest, SmallDirectoryStaysSmall) {
  ArenaStats before = arena_->Stats();
  for (int i = 0; i < 1000; ++i) directory_->Set(MustAcquire(), nullptr);
  uint64_t directory_bytes = arena_->Stats().kinds[static_cast<int>(MemoryKind::kDirectory)].bytes -
                             before.kinds[static_cast<int>(MemoryKind::kDirectory)].bytes;
  // Chunks 0..2 (256 + 512 + 1024 slots) and nothing else.
  EXPECT_LE(directory_bytes, (256 + 512 + 1024) * 8u * 5 / 4);
  EXPECT_LT(sizeof(VersionDirectory), 256u);
}

TEST_F(VersionDirectoryTest, ChunkBoundaries) {
  // Chunk 0 holds slots 0..255, chunk 1 256..767, ..., chunk 8 ends at
  // 130815; from 130816 on every chunk holds 65536 slots.
  const uint64_t kCount = 130816 + 65536 + 2;
  std::vector<uint64_t> fakes(kCount);
  ArenaStats before = arena_->Stats();
  for (uint64_t i = 0; i < kCount; ++i) {
    uint64_t slot = MustAcquire();
    ASSERT_EQ(slot, i);
    directory_->Set(slot, reinterpret_cast<Version *>(&fakes[i]));
  }
  EXPECT_EQ(directory_->high_water(), kCount);
  for (uint64_t slot :
       {uint64_t{0}, uint64_t{255}, uint64_t{256}, uint64_t{767}, uint64_t{768}, uint64_t{130815},
        uint64_t{130816}, uint64_t{130816 + 65535}, uint64_t{130816 + 65536}, kCount - 1})
    EXPECT_EQ(directory_->Get(slot), reinterpret_cast<Version *>(&fakes[slot])) << "slot " << slot;
  for (uint64_t i = 0; i < kCount; ++i)
    ASSERT_EQ(directory_->Get(i), reinterpret_cast<Version *>(&fakes[i])) << "slot " << i;
  EXPECT_EQ(directory_->Get(kCount), nullptr);
  // 11 chunks: 256 * (2^9 - 1) + 2 * 65536 slots of 8 bytes, plus the table
  // of large-chunk pointers (4096 of them, allocated with chunk 9), plus headers.
  const uint64_t kPayload = (130816 + 2 * 65536) * 8u + 4096 * 8u;
  uint64_t directory_bytes = arena_->Stats().kinds[static_cast<int>(MemoryKind::kDirectory)].bytes -
                             before.kinds[static_cast<int>(MemoryKind::kDirectory)].bytes;
  EXPECT_GE(directory_bytes, kPayload);
  EXPECT_LE(directory_bytes, kPayload * 5 / 4);
  EXPECT_EQ(arena_->Stats().kinds[static_cast<int>(MemoryKind::kDirectory)].blocks, 12u);

  // Release around the boundaries and get them back.
  for (uint64_t slot : {uint64_t{255}, uint64_t{256}, uint64_t{130815}, uint64_t{130816}})
    directory_->Release(slot);
  for (uint64_t slot : {uint64_t{255}, uint64_t{256}, uint64_t{130815}, uint64_t{130816}})
    EXPECT_EQ(directory_->Get(slot), nullptr) << slot;
  for (uint64_t slot : {uint64_t{254}, uint64_t{257}, uint64_t{130814}, uint64_t{130817}})
    EXPECT_EQ(directory_->Get(slot), reinterpret_cast<Version *>(&fakes[slot])) << slot;
  std::set<uint64_t> back;
  for (int i = 0; i < 4; ++i) back.insert(MustAcquire());
  EXPECT_EQ(back, (std::set<uint64_t>{255, 256, 130815, 130816}));

  directory_->RetireChunks(arena_, 5);
  EXPECT_EQ(arena_->Stats().kinds[static_cast<int>(MemoryKind::kDirectory)].blocks, 0u);
  EXPECT_EQ(arena_->Reclaim(6), 12u);
}

TEST_F(VersionDirectoryTest, CapacityIsLarge) {
  EXPECT_GT(VersionDirectory::Capacity(), uint64_t{1} << 28);
}

TEST_F(VersionDirectoryTest, ConcurrentAcquireReleaseGivesUniqueSlots) {
  const int kThreads = 4;
  const int kOps = test::Scaled(test::kUnderTsan ? 20000 : 100000);
  const size_t kOwners = 1 << 20;
  std::unique_ptr<std::atomic<int>[]> owners(new std::atomic<int>[kOwners]);
  for (size_t i = 0; i < kOwners; ++i) owners[i].store(0);
  std::vector<std::vector<uint64_t>> kept(kThreads);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<uint64_t> live;
      uint64_t seed = 77 + t;
      for (int op = 0; op < kOps; ++op) {
        seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
        if (live.size() < 200 && (live.empty() || (seed >> 33) % 3 != 0)) {
          uint64_t slot;
          if (directory_->Acquire(arena_, &slot) != Status::kOk || slot >= kOwners) {
            errors.fetch_add(1);
            continue;
          }
          if (owners[slot].exchange(t + 1) != 0) errors.fetch_add(1);  // handed out twice
          // Each thread publishes its own marker in its slots.
          Version *mine =
              reinterpret_cast<Version *>(((static_cast<uint64_t>(t) + 1) << 32) | (slot << 3));
          directory_->Set(slot, mine);
          live.push_back(slot);
        } else {
          size_t i = (seed >> 20) % live.size();
          uint64_t slot = live[i];
          Version *mine =
              reinterpret_cast<Version *>(((static_cast<uint64_t>(t) + 1) << 32) | (slot << 3));
          if (directory_->Get(slot) != mine) errors.fetch_add(1);
          if (owners[slot].exchange(0) != t + 1) errors.fetch_add(1);
          directory_->Release(slot);
          live[i] = live.back();
          live.pop_back();
        }
      }
      kept[t] = live;
    });
  }
  for (auto &thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  std::set<uint64_t> all;
  size_t total = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (uint64_t slot : kept[t]) {
      Version *mine =
          reinterpret_cast<Version *>(((static_cast<uint64_t>(t) + 1) << 32) | (slot << 3));
      EXPECT_EQ(directory_->Get(slot), mine);
      all.insert(slot);
    }
    total += kept[t].size();
  }
  EXPECT_EQ(all.size(), total);
  // Slots were reused: the high-water mark stays near the peak live count.
  EXPECT_LE(directory_->high_water(), kThreads * 200u + kThreads);
}

// Many threads on the free-slot stack at once: the tag must keep a stale pop
// (ABA) from handing one slot to two owners.
TEST_F(VersionDirectoryTest, FreeStackUnderHeavyContention) {
  const int kThreads = 8;
  const int kRounds = test::Scaled(test::kUnderTsan ? 20000 : 200000);
  const size_t kOwners = 1 << 16;
  std::unique_ptr<std::atomic<int>[]> owners(new std::atomic<int>[kOwners]);
  for (size_t i = 0; i < kOwners; ++i) owners[i].store(0);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds && errors.load() == 0; ++round) {
        uint64_t slots[3];
        for (uint64_t &slot : slots) {
          if (directory_->Acquire(arena_, &slot) != Status::kOk || slot >= kOwners) {
            errors.fetch_add(1);
            return;
          }
          if (owners[slot].exchange(t + 1) != 0) errors.fetch_add(1);
        }
        for (int i : {1, 0, 2}) {
          if (owners[slots[i]].exchange(0) != t + 1) errors.fetch_add(1);
          directory_->Release(slots[i]);
        }
      }
    });
  }
  for (auto &thread : threads) thread.join();
  EXPECT_EQ(errors.load(), 0);
  EXPECT_LE(directory_->high_water(), kThreads * 3u);
}

}  // namespace
}  // namespace memopt
