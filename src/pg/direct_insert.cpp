// direct_insert.cpp - one row into a memopt table and its indexes without
// the executor's index path, for natively compiled INSERTs
// (native_runtime.cpp).
//
// ExecInsertIndexTuples computes each key through an expression context
// (FormIndexDatum) and calls aminsert through the index AM, which finds the
// new version again by its TID and looks up the engine's table and index.
// When every index of the table is a memopt index on plain columns, with no
// predicate and no exclusion constraint, none of that is needed: the keys
// are columns of the row just written and the version is at hand. The
// entries and uniqueness checks are exactly aminsert's
// (memopt_index_add_entry); tables with other indexes take the executor's
// path, and so do tables with triggers (native_triggers.cpp fires them
// around table_tuple_insert).
#include "index_internal.h"

extern "C" {
#include "nodes/execnodes.h"
#include "utils/rel.h"
}

bool memopt_direct_insert_applies(ResultRelInfo *result_rel) {
  for (int i = 0; i < result_rel->ri_NumIndices; ++i) {
    Relation index = result_rel->ri_IndexRelationDescs[i];
    const IndexInfo *info = result_rel->ri_IndexRelationInfo[i];
    if (index->rd_indam->aminsert != memopt_index_insert) return false;
    if (info->ii_Expressions != NIL || info->ii_Predicate != NIL ||
        info->ii_ExclusionOps != nullptr)
      return false;
    if (index->rd_index->indisunique && !index->rd_index->indimmediate) return false;
  }
  return true;
}

void memopt_direct_insert(ResultRelInfo *result_rel, TupleTableSlot *slot, CommandId cid) {
  Relation rel = result_rel->ri_RelationDesc;
  memopt::Version *version = memopt_insert_row(rel, slot, cid);
  for (int i = 0; i < result_rel->ri_NumIndices; ++i) {
    Relation index = result_rel->ri_IndexRelationDescs[i];
    const IndexInfo *info = result_rel->ri_IndexRelationInfo[i];
    if (!info->ii_ReadyForInserts) continue;  // as ExecInsertIndexTuples: being built
    Datum values[INDEX_MAX_KEYS];
    bool isnull[INDEX_MAX_KEYS];
    for (int k = 0; k < info->ii_NumIndexAttrs; ++k) {
      int column = info->ii_IndexAttrNumbers[k] - 1;
      values[k] = slot->tts_values[column];
      isnull[k] = slot->tts_isnull[column];
    }
    memopt_index_add_entry(rel, index, memopt_index_for(rel, index), nullptr, version, values,
                           isnull, index->rd_index->indisunique, false, true);
  }
}
