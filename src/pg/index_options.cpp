// index_options.cpp - the WITH (...) options of memopt's index access
// methods. memopt_hash takes bucket_count, its starting number of buckets
// (the index grows by itself, so this only saves early splits; Hekaton's
// BUCKET_COUNT); memopt_range takes none. Each AM has its own reloption
// kind, so PostgreSQL validates names and ranges and rejects anything else.
#include "index_internal.h"

extern "C" {
#include "access/reloptions.h"
}

#include "hooks.h"

namespace {

relopt_kind hash_kind;
relopt_kind range_kind;

struct HashOptions {
  int32 vl_len_;  // varlena header (do not touch directly)
  int32 bucket_count;
};

struct RangeOptions {
  int32 vl_len_;
};

}  // namespace

void memopt_define_index_options(void) {
  hash_kind = add_reloption_kind();
  add_int_reloption(hash_kind, "bucket_count", "Starting number of buckets of a memopt_hash index",
                    kMemoptDefaultBuckets, 1, 1 << 30, AccessExclusiveLock);
  range_kind = add_reloption_kind();
}

bytea *memopt_hash_options(Datum reloptions, bool validate) {
  static const relopt_parse_elt table[] = {
      {"bucket_count", RELOPT_TYPE_INT, offsetof(HashOptions, bucket_count)}};
  return static_cast<bytea *>(build_reloptions(reloptions, validate, hash_kind, sizeof(HashOptions),
                                               table, lengthof(table)));
}

bytea *memopt_range_options(Datum reloptions, bool validate) {
  return static_cast<bytea *>(
      build_reloptions(reloptions, validate, range_kind, sizeof(RangeOptions), nullptr, 0));
}

int64 memopt_hash_bucket_option(Relation index) {
  auto *options = reinterpret_cast<HashOptions *>(index->rd_options);
  return options != nullptr ? options->bucket_count : kMemoptDefaultBuckets;
}
