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
  // Deleting the row, or changing its key, would break a key-share lock
  // (Transaction::LockKeyShare): another transaction holds one, or released
  // one after this transaction's snapshot.
  kKeyShareLocked,
  // Another running transaction holds a row lock on the version
  // (Transaction::LockRow), or, for LockRow, is changing it. The host may
  // wait for that transaction (Transaction::blocker) and try again.
  kRowLocked,
  // The version was already changed by this transaction in the current or an
  // earlier command (PostgreSQL's TM_SelfModified).
  kSelfModified,
  // The arena has no block of the requested size left.
  kOutOfMemory,
  // A table directory has no free version slot left.
  kTableFull,
  // The object asked for does not exist (or no longer exists).
  kNotFound,
  // Commit-time validation (Transaction::Prepare): a version this
  // transaction read was replaced or deleted by a transaction that committed
  // (or is committing) before this one's commit timestamp.
  kReadValidationFailed,
  // A scan repeated at commit time found a row that a transaction which
  // committed before this one's commit timestamp added: a phantom.
  kPhantomValidationFailed,
  // A transaction whose uncommitted changes this one read (a commit
  // dependency) aborted.
  kDependencyFailed,
  // Not finished yet: commit dependencies are still being resolved.
  kPending,
};

const char *StatusName(Status status);

}  // namespace memopt
