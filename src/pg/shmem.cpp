// shmem.cpp - reserves memopt's shared memory and formats the engine in it.
//
// The region is requested in shmem_request_hook (the only place PostgreSQL 15
// allows it) and formatted in shmem_startup_hook, which also runs after every
// crash-restart on a fresh, zeroed segment: the engine then starts empty.
// It also holds the striped LWLocks of unique checks (index_insert.cpp) and
// the per-table append locks of durable tables (durable_write.cpp).
#include "pg_includes.h"

extern "C" {
#include "storage/ipc.h"
#include "storage/shmem.h"
#include "storage/lwlock.h"
}

#include "guc.h"
#include "hooks.h"
#include "memopt_pg.h"

namespace {

constexpr const char *kUniqueCheckTranche = "memopt unique check";
constexpr int kUniqueCheckLocks = 256;
constexpr const char *kDurableTableTranche = "memopt durable table";
constexpr int kDurableTableLocks = 64;

shmem_request_hook_type previous_shmem_request = nullptr;
shmem_startup_hook_type previous_shmem_startup = nullptr;
memopt::Engine *engine = nullptr;

memopt::EngineOptions EngineOptionsForServer() {
  memopt::EngineOptions options;
  options.max_sessions = static_cast<uint32_t>(MaxBackends);
  return options;
}

Size RegionBytes() {
  return static_cast<Size>(memopt_max_memory_mb) * 1024 * 1024 +
         memopt::Engine::OverheadBytes(EngineOptionsForServer()) + 64;
}

void RequestShmem(void) {
  if (previous_shmem_request) previous_shmem_request();
  RequestAddinShmemSpace(RegionBytes());
  RequestNamedLWLockTranche(kUniqueCheckTranche, kUniqueCheckLocks);
  RequestNamedLWLockTranche(kDurableTableTranche, kDurableTableLocks);
}

void StartupShmem(void) {
  if (previous_shmem_startup) previous_shmem_startup();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found;
  Size bytes = RegionBytes();
  char *region = static_cast<char *>(ShmemInitStruct("memopt engine", bytes, &found));
  char *aligned = reinterpret_cast<char *>(TYPEALIGN(64, reinterpret_cast<uintptr_t>(region)));
  if (!found)
    engine = memopt::Engine::Create(aligned, bytes - (aligned - region), EngineOptionsForServer());
  else
    engine = reinterpret_cast<memopt::Engine *>(aligned);
  LWLockRelease(AddinShmemInitLock);
  if (engine == nullptr)
    ereport(FATAL,
            (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not initialize memopt shared memory")));
}

}  // namespace

void memopt_install_shmem_hooks(void) {
  previous_shmem_request = shmem_request_hook;
  shmem_request_hook = RequestShmem;
  previous_shmem_startup = shmem_startup_hook;
  shmem_startup_hook = StartupShmem;
}

LWLock *memopt_unique_check_lock(uint64 key_hash) {
  static LWLockPadded *locks = nullptr;
  if (locks == nullptr) locks = GetNamedLWLockTranche(kUniqueCheckTranche);
  return &locks[key_hash % kUniqueCheckLocks].lock;
}

LWLock *memopt_durable_table_lock(const memopt::TableKey &key) {
  static LWLockPadded *locks = nullptr;
  if (locks == nullptr) locks = GetNamedLWLockTranche(kDurableTableTranche);
  uint64 mixed = (static_cast<uint64>(key.relation) * 0x9e3779b97f4a7c15ULL) ^
                 (static_cast<uint64>(key.database) << 32) ^ key.space;
  return &locks[(mixed >> 32) % kDurableTableLocks].lock;
}

memopt::Engine *memopt_engine(void) {
  if (engine == nullptr)
    ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                    errmsg("memopt shared memory is not initialized"),
                    errhint("Add memopt to shared_preload_libraries and restart the server.")));
  return engine;
}
