// native_modules.cpp - the machine code of natively compiled routines on
// disk, and the memopt.native_modules view.
//
// One file per routine: $PGDATA/memopt_native/<database oid>_<routine oid>.o,
// mode 0600, a header (magic, fingerprint of what the code was compiled
// from, compile time) and the object file LLVM produced. The backend that
// compiles a routine (CREATE, or a first call) writes it; the first call in
// any other backend loads it when the fingerprint matches (codegen.h
// Fingerprint) instead of compiling. DROP removes it. The code holds
// addresses of this postmaster's process image, so the folder is emptied
// when the postmaster starts: after a restart every routine is compiled again
// from the catalog, never trusted from disk.
//
// Concurrency: files are written under a temporary name and renamed, so a
// reader sees a whole file or none; two writers of one routine write the same
// bytes.
#include "native_internal.h"

#include <string>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

extern "C" {
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_proc.h"
#include "commands/proclang.h"
#include "common/file_perm.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/regproc.h"
#include "utils/syscache.h"

PG_FUNCTION_INFO_V1(memopt_native_modules);
}

namespace {

constexpr const char *kFolder = "memopt_native";
constexpr uint64 kMagic = 0x314d4e54504f4d45ULL;  // "EMOPTNM1"

struct ModuleHeader {
  uint64 magic;
  uint64 fingerprint;
  double compile_ms;
  uint64 object_bytes;
};

std::string ModulePath(Oid fn_oid) {
  return std::string(kFolder) + "/" + std::to_string(MyDatabaseId) + "_" + std::to_string(fn_oid) +
         ".o";
}

bool ReadHeader(int fd, ModuleHeader *header) {
  return read(fd, header, sizeof(*header)) == static_cast<ssize_t>(sizeof(*header)) &&
         header->magic == kMagic;
}

}  // namespace

void memopt_native_modules_reset(void) {
  DIR *dir = AllocateDir(kFolder);
  if (dir != nullptr) {
    struct dirent *entry;
    while ((entry = ReadDir(dir, kFolder)) != nullptr) {
      if (entry->d_name[0] == '.') continue;
      std::string path = std::string(kFolder) + "/" + entry->d_name;
      if (unlink(path.c_str()) != 0 && errno != ENOENT)
        ereport(WARNING, (errcode_for_file_access(),
                          errmsg("could not remove file \"%s\": %m", path.c_str())));
    }
    FreeDir(dir);
  }
  if (MakePGDirectory(kFolder) != 0 && errno != EEXIST)
    ereport(ERROR,
            (errcode_for_file_access(), errmsg("could not create directory \"%s\": %m", kFolder)));
}

bool memopt_native_module_read(Oid fn_oid, uint64 fingerprint, std::string *object,
                               double *compile_ms) {
  std::string path = ModulePath(fn_oid);
  int fd = OpenTransientFile(path.c_str(), O_RDONLY | PG_BINARY);
  if (fd < 0) return false;
  ModuleHeader header;
  bool ok = ReadHeader(fd, &header) && header.fingerprint == fingerprint &&
            header.object_bytes > 0 && header.object_bytes < (1ULL << 30);
  if (ok) {
    object->resize(header.object_bytes);
    ok = read(fd, &(*object)[0], header.object_bytes) == static_cast<ssize_t>(header.object_bytes);
    *compile_ms = header.compile_ms;
  }
  CloseTransientFile(fd);
  return ok;
}

void memopt_native_module_write(Oid fn_oid, uint64 fingerprint, double compile_ms,
                                const std::string &object) {
  std::string path = ModulePath(fn_oid);
  std::string temporary = path + ".tmp." + std::to_string(MyProcPid);
  int fd = OpenTransientFilePerm(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY,
                                 S_IRUSR | S_IWUSR);
  if (fd < 0) {
    ereport(WARNING, (errcode_for_file_access(),
                      errmsg("could not create file \"%s\": %m", temporary.c_str())));
    return;
  }
  ModuleHeader header{kMagic, fingerprint, compile_ms, object.size()};
  bool ok = write(fd, &header, sizeof(header)) == static_cast<ssize_t>(sizeof(header)) &&
            write(fd, object.data(), object.size()) == static_cast<ssize_t>(object.size());
  CloseTransientFile(fd);
  if (!ok || rename(temporary.c_str(), path.c_str()) != 0) {
    ereport(WARNING,
            (errcode_for_file_access(), errmsg("could not write file \"%s\": %m", path.c_str())));
    unlink(temporary.c_str());
  }
}

void memopt_native_module_remove(Oid fn_oid) {
  std::string path = ModulePath(fn_oid);
  if (unlink(path.c_str()) != 0 && errno != ENOENT)
    ereport(WARNING,
            (errcode_for_file_access(), errmsg("could not remove file \"%s\": %m", path.c_str())));
}

// memopt.native_modules: every natively compiled routine of this database,
// its file (NULL until compiled since the server started), the file's size,
// the compile time, and whether this session has the code loaded.
extern "C" Datum memopt_native_modules(PG_FUNCTION_ARGS) {
  ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
  InitMaterializedSRF(fcinfo, 0);
  Oid language = get_language_oid("native_compilation", false);
  Relation procs = table_open(ProcedureRelationId, AccessShareLock);
  TableScanDesc scan = table_beginscan_catalog(procs, 0, nullptr);
  HeapTuple tuple;
  while ((tuple = heap_getnext(scan, ForwardScanDirection)) != nullptr) {
    Form_pg_proc proc = reinterpret_cast<Form_pg_proc>(GETSTRUCT(tuple));
    if (proc->prolang != language) continue;
    Datum values[5];
    bool nulls[5] = {false, true, true, true, false};
    values[0] = ObjectIdGetDatum(proc->oid);
    std::string path = ModulePath(proc->oid);
    int fd = OpenTransientFile(path.c_str(), O_RDONLY | PG_BINARY);
    ModuleHeader header;
    if (fd >= 0 && ReadHeader(fd, &header)) {
      values[1] = CStringGetTextDatum(path.c_str());
      values[2] = Int64GetDatum(static_cast<int64>(sizeof(header) + header.object_bytes));
      values[3] = Float8GetDatum(header.compile_ms);
      nulls[1] = nulls[2] = nulls[3] = false;
    }
    if (fd >= 0) CloseTransientFile(fd);
    values[4] = BoolGetDatum(memopt_native_is_loaded(proc->oid));
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
  }
  table_endscan(scan);
  table_close(procs, AccessShareLock);
  return (Datum)0;
}
