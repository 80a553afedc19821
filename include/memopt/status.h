// status.h - the result of every engine operation.
//
// The engine never throws across its API (DESIGN.md, "Layers"): every entry
// point returns a Status and the PostgreSQL glue maps it to an SQLSTATE.
#pragma once

namespace memopt {

enum class Status {
  kOk,
  // Another live (or since committed) transaction already updated or deleted
  // the version this one tried to change: Hekaton's write-write conflict.
  kWriteConflict,
  // The version was already changed by this transaction in the current or an
  // earlier command (PostgreSQL's TM_SelfModified).
  kSelfModified,
  // The arena has no block of the requested size left.
  kOutOfMemory,
  // A table directory has no free version slot left.
  kTableFull,
  // The object asked for does not exist (or no longer exists).
  kNotFound,
};

const char *StatusName(Status status);

}  // namespace memopt
