/* Controller compilation with libtcc (private to sandbox/).
 *
 * Runs the compiler in the calling process: only the sandbox child
 * (sandbox_main.c) and the unit tests call it. The parent of a rollout never does.
 *
 * The source is compiled against the prelude (include/tracebot/controller.h, embedded at build
 * time) with -nostdlib -nostdinc; `#include <...>` lines and `#include
 * "controller.h"` are blanked (line numbers kept), and a `#line 1` after the prelude
 * makes the compiler's line numbers those of the user's file. Only the prelude's
 * math functions and memcpy/memmove/memset/memcmp/strlen are linked in, plus
 * tcc's runtime helpers (libtcc1.a).
 */
#ifndef TRACEBOT_SANDBOX_COMPILE_H
#define TRACEBOT_SANDBOX_COMPILE_H

#include <stddef.h>

#include "tracebot/error.h"
#include "tracebot/controller.h"

/* Errors (tracebot/error.h) returned here:
 *   TB_ECOMPILE: the source does not compile (line + message)
 *   TB_ENOMEM: the image exceeds the limit or memory ran out
 *   TB_ESANDBOX: the compiler could not be set up (libtcc1.a missing) */

typedef void (*agControllerFn)(const obs_t *obs, double action[4]);

typedef struct agCompiled agCompiled;

/* The prelude text (include/tracebot/controller.h) and its length. */
extern const char ag_prelude[];
extern const size_t ag_prelude_len;

/* A compiler ready for one source: tcc set up with the dialect's symbols and all of
 * tcc's runtime archive (libtcc1.a) already read, so that compiling untrusted source
 * opens no file (the sandbox forbids open(2) before the compiler sees the source). */
typedef struct agCompiler agCompiler;

/* Makes a compiler. Errors: NULL and a one-line message (TB_ESANDBOX: libtcc1.a
 * missing or unreadable). Ownership: ag_compileWith consumes it; ag_freeCompiler
 * frees one that was not used. */
agCompiler *ag_makeCompiler(char *msg, size_t msgsz);

/* Frees a compiler that was not passed to ag_compileWith. Nullable. */
void ag_freeCompiler(agCompiler *c);

/* Compiles and relocates src (len bytes) into executable memory with compiler c,
 * which it consumes (also on error). Errors as ag_compile. */
int ag_compileWith(agCompiler *c, const char *src, size_t len, size_t max_image, agCompiled **out,
                   int *line, char *msg, size_t msgsz);

/* ag_makeCompiler + ag_compileWith.
 * Compiles and relocates src (len bytes) into executable memory.
 * max_image: the largest code+data image accepted, in bytes (0 = no limit).
 * Errors (always with a one-line message in (msg, msgsz)): TB_ECOMPILE for a
 * bad source, with *line the user's line (0 if the compiler gave none);
 * TB_ENOMEM for an image over max_image or an allocation failure;
 * TB_ESANDBOX when the compiler cannot be set up.
 * Ownership: *out is freed with ag_freeCompiled. */
int ag_compile(const char *src, size_t len, size_t max_image, agCompiled **out, int *line,
               char *msg, size_t msgsz);

/* The controller entry point of a compiled image. */
agControllerFn ag_compiledEntry(const agCompiled *c);

/* Bytes of the relocated image. */
size_t ag_compiledSize(const agCompiled *c);

/* Unmaps the image. Nullable. */
void ag_freeCompiled(agCompiled *c);

#endif /* TRACEBOT_SANDBOX_COMPILE_H */
