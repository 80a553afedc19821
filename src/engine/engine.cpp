// engine.cpp - the shared root: layout, sessions, clock horizon, registry.
// See engine.h for the region layout and the registry's locking.
#include "memopt/engine.h"

#include <new>

#include <sched.h>

namespace memopt {

namespace {

size_t AlignUp(size_t value) { return (value + 63) & ~size_t{63}; }

}  // namespace

size_t Engine::OverheadBytes(const EngineOptions &options) {
  return AlignUp(sizeof(Engine)) + AlignUp(sizeof(TxnSlot) * options.max_sessions) +
         AlignUp(sizeof(std::atomic<Table *>) * kRegistryBuckets);
}

Engine *Engine::Create(void *base, size_t bytes, const EngineOptions &options) {
  if (options.max_sessions == 0 || options.max_sessions > kMaxSlots) return nullptr;
  size_t overhead = OverheadBytes(options);
  if (bytes <= overhead) return nullptr;
  char *cursor = static_cast<char *>(base);
  Engine *engine = new (cursor) Engine();
  cursor += AlignUp(sizeof(Engine));
  engine->clock_.store(kLoadedTimestamp, std::memory_order_relaxed);
  new (&engine->stats_) EngineStats();  // value-initialized: all zero
  engine->max_sessions_ = options.max_sessions;
  engine->registry_lock_.store(0, std::memory_order_relaxed);
  engine->slots_ = reinterpret_cast<TxnSlot *>(cursor);
  for (uint32_t i = 0; i < options.max_sessions; ++i) {
    TxnSlot *slot = new (&engine->slots_[i]) TxnSlot();
    slot->txn_id.store(0, std::memory_order_relaxed);
    slot->status.store(0, std::memory_order_relaxed);
    slot->read_ts.store(kInfinity, std::memory_order_relaxed);
    slot->in_use.store(0, std::memory_order_relaxed);
    slot->process_id.store(0, std::memory_order_relaxed);
    slot->publishing_tag.store(0, std::memory_order_relaxed);
    slot->sequence = 0;
  }
  cursor += AlignUp(sizeof(TxnSlot) * options.max_sessions);
  engine->buckets_ = reinterpret_cast<std::atomic<Table *> *>(cursor);
  for (uint32_t i = 0; i < kRegistryBuckets; ++i)
    new (&engine->buckets_[i]) std::atomic<Table *>(nullptr);
  cursor += AlignUp(sizeof(std::atomic<Table *>) * kRegistryBuckets);
  engine->arena_ = Arena::Create(cursor, bytes - overhead);
  return engine->arena_ != nullptr ? engine : nullptr;
}

TxnSlot *Engine::ClaimSlot(int32_t process_id) {
  for (uint32_t i = 0; i < max_sessions_; ++i) {
    uint32_t expected = 0;
    if (slots_[i].in_use.compare_exchange_strong(expected, 1, std::memory_order_acq_rel)) {
      slots_[i].process_id.store(process_id, std::memory_order_relaxed);
      slots_[i].read_ts.store(kInfinity, std::memory_order_seq_cst);
      return &slots_[i];
    }
  }
  return nullptr;
}

void Engine::ReleaseSlot(TxnSlot *slot) {
  slot->read_ts.store(kInfinity, std::memory_order_seq_cst);
  slot->process_id.store(0, std::memory_order_relaxed);
  slot->in_use.store(0, std::memory_order_release);
}

Timestamp Engine::OldestReadTimestamp() const {
  Timestamp oldest = Now();
  for (uint32_t i = 0; i < max_sessions_; ++i) {
    Timestamp read_ts = slots_[i].read_ts.load(std::memory_order_seq_cst);
    if (read_ts < oldest) oldest = read_ts;
  }
  return oldest;
}

size_t Engine::ReclaimMemory() {
  // Advance the clock so that blocks retired "now" become older than every
  // transaction that starts from here on; an unused timestamp is harmless.
  NextCommitTimestamp();
  return arena_->Reclaim(OldestReadTimestamp());
}

uint32_t Engine::BucketOf(const TableKey &key) {
  uint64_t hash = (static_cast<uint64_t>(key.database) * 0x9e3779b97f4a7c15ULL) ^
                  (static_cast<uint64_t>(key.relation) * 0xc2b2ae3d27d4eb4fULL) ^ key.space;
  return static_cast<uint32_t>((hash ^ (hash >> 29)) % kRegistryBuckets);
}

void Engine::LockRegistry() {
  for (;;) {
    uint32_t expected = 0;
    if (registry_lock_.compare_exchange_weak(expected, 1, std::memory_order_acquire)) return;
    sched_yield();
  }
}

void Engine::UnlockRegistry() { registry_lock_.store(0, std::memory_order_release); }

Table *Engine::FindLocked(const TableKey &key) const {
  Table *table = buckets_[BucketOf(key)].load(std::memory_order_acquire);
  while (table != nullptr && !(table->key() == key)) table = table->next_in_bucket;
  return table;
}

Status Engine::NewTable(const TableKey &key, bool durable, Table **table) {
  void *memory = arena_->Allocate(sizeof(Table), MemoryKind::kTable);
  if (memory == nullptr) return Status::kOutOfMemory;
  *table = new (memory) Table();
  (*table)->Init(key, durable);
  return Status::kOk;
}

Table *Engine::PublishTable(Table *table) {
  LockRegistry();
  Table *existing = FindLocked(table->key());
  if (existing == nullptr) {
    std::atomic<Table *> &bucket = buckets_[BucketOf(table->key())];
    table->next_in_bucket = bucket.load(std::memory_order_relaxed);
    bucket.store(table, std::memory_order_release);
  }
  UnlockRegistry();
  return existing != nullptr ? existing : table;
}

void Engine::DiscardTable(Table *table) {
  RetireContents(table);
  NextCommitTimestamp();
}

Status Engine::OpenTable(const TableKey &key, Table **table, bool durable) {
  if ((*table = FindTable(key)) != nullptr) return Status::kOk;
  Table *created = nullptr;
  Status status = NewTable(key, durable, &created);
  if (status != Status::kOk) return status;
  *table = PublishTable(created);
  if (*table != created) arena_->Free(created);  // another session created it first
  return Status::kOk;
}

Table *Engine::FindTable(const TableKey &key) const {
  Engine *self = const_cast<Engine *>(this);
  self->LockRegistry();
  Table *table = FindLocked(key);
  self->UnlockRegistry();
  return table;
}

void Engine::ForEachTable(const std::function<void(Table *)> &fn) {
  LockRegistry();
  for (uint32_t i = 0; i < kRegistryBuckets; ++i)
    for (Table *table = buckets_[i].load(std::memory_order_acquire); table != nullptr;
         table = table->next_in_bucket)
      fn(table);
  UnlockRegistry();
}

Status Engine::CreateIndex(Table *table, IndexKind kind, uint32_t relation, uint32_t object_id,
                           uint64_t initial_buckets, Index **index) {
  Status status = Index::Create(this, kind, relation, object_id, initial_buckets, index);
  if (status == Status::kOk) table->AddIndex(*index);
  return status;
}

Status Engine::OpenIndex(Table *table, IndexKind kind, uint32_t relation, uint32_t object_id,
                         uint64_t initial_buckets, Index **index) {
  if ((*index = table->FindIndex(relation)) != nullptr) return Status::kOk;
  Index *created = nullptr;
  Status status = Index::Create(this, kind, relation, object_id, initial_buckets, &created);
  if (status != Status::kOk) return status;
  *index = table->AddIndexUnlessPresent(created);
  if (*index != created) created->Destroy(this);  // another session created it first
  return Status::kOk;
}

void Engine::DropIndex(Table *table, Index *index) {
  table->RemoveIndex(index);
  index->Destroy(this);
  NextCommitTimestamp();  // later readers are newer than what we retired
}

void Engine::DropTable(Table *table) {
  LockRegistry();
  std::atomic<Table *> &bucket = buckets_[BucketOf(table->key())];
  Table *previous = nullptr;
  for (Table *cursor = bucket.load(std::memory_order_relaxed); cursor != nullptr;
       previous = cursor, cursor = cursor->next_in_bucket) {
    if (cursor != table) continue;
    if (previous == nullptr)
      bucket.store(cursor->next_in_bucket, std::memory_order_release);
    else
      previous->next_in_bucket = cursor->next_in_bucket;
    break;
  }
  UnlockRegistry();
  RetireContents(table);
  NextCommitTimestamp();  // later readers are newer than what we retired
}

void Engine::RetireContents(Table *table) {
  // Retire every row once (through its newest version) and every version
  // once (through its slot). Readers that started earlier may still hold
  // pointers; retirement waits for them.
  table->LockGc();
  Timestamp now = Now();  // after the unlink from the registry above
  VersionDirectory &directory = table->directory();
  for (uint64_t slot = 0, end = directory.high_water(); slot < end; ++slot) {
    Version *version = directory.Get(slot);
    if (version == nullptr) continue;
    if (version->row->newest.load(std::memory_order_acquire) == version)
      arena_->Retire(version->row, now);
    arena_->Retire(version, now);
  }
  directory.RetireChunks(arena_, now);
  for (Row *row = table->TakeParkedRows(); row != nullptr;) {
    Row *next = row->gc_next.load(std::memory_order_relaxed);
    arena_->Retire(row, now);
    row = next;
  }
  for (Index *index = table->first_index(); index != nullptr;) {
    Index *next = index->next.load(std::memory_order_relaxed);
    index->Destroy(this);
    index = next;
  }
  arena_->Retire(table, now);
}

}  // namespace memopt
