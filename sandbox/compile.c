#define _DEFAULT_SOURCE /* MAP_ANONYMOUS */
/* Controller compilation with libtcc; see compile.h. */
#include "compile.h"

#include <libtcc.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifndef AG_LIBTCC1_PATH
#define AG_LIBTCC1_PATH "/usr/lib/x86_64-linux-gnu/tcc/libtcc1.a"
#endif

struct agCompiled {
  void *mem;
  size_t size;
  agControllerFn entry;
};

static const char kLibtcc1[] = AG_LIBTCC1_PATH;

/* tcc has no __builtin_trap; a controller that calls it (or abort) traps here,
 * in the sandbox, with SIGILL, as gcc-compiled code would. */
static void trapNow(void) {
  __builtin_trap();
}

/* Functions the dialect links against, by name. */
typedef void (*anyFn)(void);
static const struct {
  const char *name;
  anyFn fn;
} kSymbols[] = {
    {"sqrt", (anyFn)sqrt},
    {"fabs", (anyFn)fabs},
    {"fmin", (anyFn)fmin},
    {"fmax", (anyFn)fmax},
    {"sin", (anyFn)sin},
    {"cos", (anyFn)cos},
    {"tan", (anyFn)tan},
    {"asin", (anyFn)asin},
    {"acos", (anyFn)acos},
    {"atan", (anyFn)atan},
    {"atan2", (anyFn)atan2},
    {"pow", (anyFn)pow},
    {"exp", (anyFn)exp},
    {"log", (anyFn)log},
    {"floor", (anyFn)floor},
    {"ceil", (anyFn)ceil},
    {"round", (anyFn)round},
    {"fmod", (anyFn)fmod},
    {"hypot", (anyFn)hypot},
    {"copysign", (anyFn)copysign},
    {"tanh", (anyFn)tanh},
    {"memcpy", (anyFn)memcpy},
    {"memmove", (anyFn)memmove},
    {"memset", (anyFn)memset},
    {"memcmp", (anyFn)memcmp},
    {"strlen", (anyFn)strlen},
    {"__builtin_trap", trapNow},
    {"abort", trapNow},
    /* referenced by libtcc1.a's bounds-checking alloca, which -b would use (never) */
    {"__bound_new_region", trapNow},
};

/* Compiler messages collected by the error callback: the first error wins. */
typedef struct diag {
  char first[512];
  int have;
} diag;

static void onTccMessage(void *opaque, const char *msg) {
  diag *d = opaque;
  if (d->have || strstr(msg, "error:") == NULL) {
    return;
  }
  snprintf(d->first, sizeof d->first, "%s", msg);
  d->have = 1;
}

/* Splits a tcc message into the user's line and a one-line text. */
static void parseDiag(const char *text, int *line, char *msg, size_t msgsz) {
  const char *at = strstr(text, "<string>:");
  *line = 0;
  if (at != NULL) {
    *line = atoi(at + strlen("<string>:"));
  }
  const char *e = strstr(text, "error:");
  const char *body = e != NULL ? e + strlen("error:") : text;
  while (*body == ' ') {
    body++;
  }
  size_t n = 0;
  for (; body[n] != '\0' && n + 1 < msgsz; n++) {
    unsigned char c = (unsigned char)body[n];
    msg[n] = (c < 0x20 || c > 0x7e) ? ' ' : (char)c;
  }
  if (msgsz > 0) {
    msg[n] = '\0';
  }
}

/* True when line [p, end) is `#include <...>` or `#include "tracebot/controller.h"`. */
static int isHarmlessInclude(const char *p, const char *end) {
  while (p < end && (*p == ' ' || *p == '\t')) {
    p++;
  }
  if (p == end || *p != '#') {
    return 0;
  }
  p++;
  while (p < end && (*p == ' ' || *p == '\t')) {
    p++;
  }
  if ((size_t)(end - p) < 7 || memcmp(p, "include", 7) != 0) {
    return 0;
  }
  p += 7;
  while (p < end && (*p == ' ' || *p == '\t')) {
    p++;
  }
  if (p < end && *p == '<') {
    return 1;
  }
  static const char kOwn[] = "\"controller.h\"";
  return (size_t)(end - p) >= sizeof kOwn - 1 && memcmp(p, kOwn, sizeof kOwn - 1) == 0;
}

/* Builds prelude + #line 1 + the user's source with harmless includes blanked.
 * Returns NULL on a NUL byte (line in *nulLine) or allocation failure. */
static char *assemble(const char *src, size_t len, int *nulLine) {
  static const char kLine[] = "\n#line 1\n";
  size_t total = ag_prelude_len + sizeof kLine - 1 + len + 2;
  char *out = malloc(total);
  *nulLine = 0;
  if (out == NULL) {
    return NULL;
  }
  memcpy(out, ag_prelude, ag_prelude_len);
  memcpy(out + ag_prelude_len, kLine, sizeof kLine - 1);
  char *dst = out + ag_prelude_len + sizeof kLine - 1;
  memcpy(dst, src, len);
  dst[len] = '\n';
  dst[len + 1] = '\0';
  int lineNo = 1;
  for (size_t i = 0; i < len;) {
    size_t j = i;
    while (j < len && src[j] != '\n') {
      if (src[j] == '\0') {
        *nulLine = lineNo;
        free(out);
        return NULL;
      }
      j++;
    }
    if (isHarmlessInclude(src + i, src + j)) {
      memset(dst + i, ' ', j - i);
    }
    lineNo++;
    i = j + 1;
  }
  return out;
}

struct agCompiler {
  TCCState *s;
  diag d;
};

agCompiler *ag_makeCompiler(char *msg, size_t msgsz) {
  agCompiler *c = calloc(1, sizeof *c);
  c = c != NULL && (c->s = tcc_new()) != NULL ? c : (free(c), NULL);
  if (c == NULL) {
    snprintf(msg, msgsz, "out of memory setting up the compiler");
    return NULL;
  }
  /* A compiler that sees no system headers and links nothing by itself */
  tcc_set_error_func(c->s, &c->d, onTccMessage);
  tcc_set_options(c->s, "-nostdlib -nostdinc");
  tcc_set_output_type(c->s, TCC_OUTPUT_MEMORY);
  for (size_t i = 0; i < sizeof kSymbols / sizeof kSymbols[0]; i++) {
    void *addr;
    memcpy(&addr, &kSymbols[i].fn, sizeof addr);
    tcc_add_symbol(c->s, kSymbols[i].name, addr);
  }

  /* tcc's runtime helpers, read now: the whole archive, since no symbol is undefined yet */
  tcc_set_options(c->s, "-Wl,--whole-archive");
  int rc = tcc_add_file(c->s, kLibtcc1);
  tcc_set_options(c->s, "-Wl,--no-whole-archive");
  if (rc != 0) {
    snprintf(msg, msgsz, "cannot load tcc's runtime %s (install the tcc package)", kLibtcc1);
    ag_freeCompiler(c);
    return NULL;
  }
  return c;
}

void ag_freeCompiler(agCompiler *c) {
  if (c != NULL) {
    tcc_delete(c->s);
    free(c);
  }
}

int ag_compile(const char *src, size_t len, size_t max_image, agCompiled **out, int *line,
               char *msg, size_t msgsz) {
  *out = NULL;
  agCompiler *c = ag_makeCompiler(msg, msgsz);
  if (c == NULL) {
    if (line != NULL) {
      *line = 0;
    }
    return TB_ESANDBOX;
  }
  return ag_compileWith(c, src, len, max_image, out, line, msg, msgsz);
}

int ag_compileWith(agCompiler *c, const char *src, size_t len, size_t max_image, agCompiled **out,
                   int *line, char *msg, size_t msgsz) {
  int dummyLine = 0;
  line = line != NULL ? line : &dummyLine;
  *line = 0;
  *out = NULL;
  if (msgsz > 0) {
    msg[0] = '\0';
  }
  if (src == NULL) {
    ag_freeCompiler(c);
    snprintf(msg, msgsz, "no source");
    return TB_ECOMPILE;
  }

  /* Prelude + source, with the user's line numbers */
  int nulLine = 0;
  char *text = assemble(src, len, &nulLine);
  if (text == NULL) {
    ag_freeCompiler(c);
    if (nulLine > 0) {
      *line = nulLine;
      snprintf(msg, msgsz, "the source contains a NUL byte");
      return TB_ECOMPILE;
    }
    snprintf(msg, msgsz, "out of memory assembling the source");
    return TB_ENOMEM;
  }
  TCCState *s = c->s;
  const diag *dp = &c->d;

  /* Compile; a memory-full error from tcc is a memory fault */
  int rc = tcc_compile_string(s, text);
  free(text);
  if (rc != 0) {
    parseDiag(dp->have ? dp->first : "error: compilation failed", line, msg, msgsz);
    ag_freeCompiler(c);
    return strstr(msg, "memory full") != NULL ? TB_ENOMEM : TB_ECOMPILE;
  }

  /* The image size, before any large allocation */
  int size = tcc_relocate(s, NULL);
  if (size < 0) {
    parseDiag(dp->have ? dp->first : "error: link failed", line, msg, msgsz);
    ag_freeCompiler(c);
    return TB_ECOMPILE;
  }
  if (max_image > 0 && (size_t)size > max_image) {
    snprintf(msg, msgsz,
             "the controller image needs %.1f MiB, more than the %.1f MiB allowed (half the "
             "sandbox memory limit, --memory-mib)",
             size / 1048576.0, max_image / 1048576.0);
    ag_freeCompiler(c);
    return TB_ENOMEM;
  }
  size_t mapped = (size_t)size > 0 ? (size_t)size : 1;
  void *mem = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    snprintf(msg, msgsz, "cannot map %.1f MiB for the controller image", size / 1048576.0);
    ag_freeCompiler(c);
    return TB_ENOMEM;
  }
  if (tcc_relocate(s, mem) < 0) {
    parseDiag(dp->have ? dp->first : "error: relocation failed", line, msg, msgsz);
    munmap(mem, mapped);
    ag_freeCompiler(c);
    return TB_ECOMPILE;
  }

  /* The entry point */
  void *sym = tcc_get_symbol(s, "controller");
  ag_freeCompiler(c);
  if (sym == NULL) {
    munmap(mem, mapped);
    snprintf(msg, msgsz,
             "the source does not define controller (void controller(const obs_t *obs, "
             "double action[4]))");
    return TB_ECOMPILE;
  }
  agCompiled *img = malloc(sizeof *img);
  if (img == NULL) {
    munmap(mem, mapped);
    snprintf(msg, msgsz, "out of memory");
    return TB_ENOMEM;
  }
  img->mem = mem;
  img->size = mapped;
  memcpy(&img->entry, &sym, sizeof sym);
  *out = img;
  return TB_OK;
}

agControllerFn ag_compiledEntry(const agCompiled *c) {
  return c->entry;
}

size_t ag_compiledSize(const agCompiled *c) {
  return c->size;
}

void ag_freeCompiled(agCompiled *c) {
  if (c == NULL) {
    return;
  }
  munmap(c->mem, c->size);
  free(c);
}
