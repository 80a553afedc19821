// pg_includes.h - the one way glue files include PostgreSQL's C headers.
//
// PostgreSQL's headers are C: they must be inside extern "C", and they
// define macros (Min, Max, ...) that clash with C++ code. Every src/pg file
// includes this instead of including postgres.h directly.
#pragma once

extern "C" {
#include "postgres.h"
#include "fmgr.h"
#include "miscadmin.h"
}
