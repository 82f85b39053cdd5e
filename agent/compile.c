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

/* The one copy of the path: its address is what the sandbox lets open(2) use. */
static const char kLibtcc1[] = AG_LIBTCC1_PATH;

const char *ag_libtcc1Path(void) {
  return kLibtcc1;
}

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
    {"sqrt", (anyFn)sqrt},     {"fabs", (anyFn)fabs},         {"fmin", (anyFn)fmin},
    {"fmax", (anyFn)fmax},     {"sin", (anyFn)sin},           {"cos", (anyFn)cos},
    {"tan", (anyFn)tan},       {"asin", (anyFn)asin},         {"acos", (anyFn)acos},
    {"atan", (anyFn)atan},     {"atan2", (anyFn)atan2},       {"pow", (anyFn)pow},
    {"exp", (anyFn)exp},       {"log", (anyFn)log},           {"floor", (anyFn)floor},
    {"ceil", (anyFn)ceil},     {"round", (anyFn)round},       {"fmod", (anyFn)fmod},
    {"hypot", (anyFn)hypot},   {"copysign", (anyFn)copysign}, {"tanh", (anyFn)tanh},
    {"memcpy", (anyFn)memcpy}, {"memmove", (anyFn)memmove},   {"memset", (anyFn)memset},
    {"memcmp", (anyFn)memcmp}, {"strlen", (anyFn)strlen},     {"__builtin_trap", trapNow},
    {"abort", trapNow},
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

/* True when line [p, end) is `#include <...>` or `#include "controller.h"`. */
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

int ag_compile(const char *src, size_t len, size_t max_image, agCompiled **out, int *line,
               char *msg, size_t msgsz) {
  int dummyLine = 0;
  line = line != NULL ? line : &dummyLine;
  *line = 0;
  *out = NULL;
  if (msgsz > 0) {
    msg[0] = '\0';
  }
  if (src == NULL) {
    snprintf(msg, msgsz, "no source");
    return AG_COMPILE_ESOURCE;
  }

  /* Prelude + source, with the user's line numbers */
  int nulLine = 0;
  char *text = assemble(src, len, &nulLine);
  if (text == NULL) {
    if (nulLine > 0) {
      *line = nulLine;
      snprintf(msg, msgsz, "the source contains a NUL byte");
      return AG_COMPILE_ESOURCE;
    }
    snprintf(msg, msgsz, "out of memory assembling the source");
    return AG_COMPILE_EMEMORY;
  }

  /* A compiler that sees no system headers and links nothing by itself */
  TCCState *s = tcc_new();
  if (s == NULL) {
    free(text);
    snprintf(msg, msgsz, "tcc_new failed");
    return AG_COMPILE_EMEMORY;
  }
  diag d = {.have = 0};
  tcc_set_error_func(s, &d, onTccMessage);
  tcc_set_options(s, "-nostdlib -nostdinc");
  tcc_set_output_type(s, TCC_OUTPUT_MEMORY);
  for (size_t i = 0; i < sizeof kSymbols / sizeof kSymbols[0]; i++) {
    void *addr;
    memcpy(&addr, &kSymbols[i].fn, sizeof addr);
    tcc_add_symbol(s, kSymbols[i].name, addr);
  }

  /* Compile; a memory-full error from tcc is a memory fault */
  int rc = tcc_compile_string(s, text);
  free(text);
  if (rc != 0) {
    parseDiag(d.have ? d.first : "error: compilation failed", line, msg, msgsz);
    tcc_delete(s);
    return strstr(msg, "memory full") != NULL ? AG_COMPILE_EMEMORY : AG_COMPILE_ESOURCE;
  }

  /* Runtime helpers, then the image size (before any large allocation) */
  if (tcc_add_file(s, kLibtcc1) != 0) {
    tcc_delete(s);
    snprintf(msg, msgsz, "cannot load tcc's runtime %s (install the tcc package)", kLibtcc1);
    return AG_COMPILE_ESETUP;
  }
  int size = tcc_relocate(s, NULL);
  if (size < 0) {
    parseDiag(d.have ? d.first : "error: link failed", line, msg, msgsz);
    tcc_delete(s);
    return AG_COMPILE_ESOURCE;
  }
  if (max_image > 0 && (size_t)size > max_image) {
    snprintf(msg, msgsz, "the controller image needs %.1f MiB, more than the %.1f MiB allowed",
             size / 1048576.0, max_image / 1048576.0);
    tcc_delete(s);
    return AG_COMPILE_EMEMORY;
  }
  size_t mapped = (size_t)size > 0 ? (size_t)size : 1;
  void *mem = mmap(NULL, mapped, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    snprintf(msg, msgsz, "cannot map %.1f MiB for the controller image", size / 1048576.0);
    tcc_delete(s);
    return AG_COMPILE_EMEMORY;
  }
  if (tcc_relocate(s, mem) < 0) {
    parseDiag(d.have ? d.first : "error: relocation failed", line, msg, msgsz);
    munmap(mem, mapped);
    tcc_delete(s);
    return AG_COMPILE_ESOURCE;
  }

  /* The entry point */
  void *sym = tcc_get_symbol(s, "controller");
  tcc_delete(s);
  if (sym == NULL) {
    munmap(mem, mapped);
    snprintf(msg, msgsz,
             "the source does not define controller (void controller(const obs_t *obs, "
             "double action[4]))");
    return AG_COMPILE_ESOURCE;
  }
  agCompiled *c = malloc(sizeof *c);
  if (c == NULL) {
    munmap(mem, mapped);
    snprintf(msg, msgsz, "out of memory");
    return AG_COMPILE_EMEMORY;
  }
  c->mem = mem;
  c->size = mapped;
  memcpy(&c->entry, &sym, sizeof sym);
  *out = c;
  return AG_COMPILE_OK;
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
