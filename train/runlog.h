/* Run directories (private to agent/): config.json, iterations.jsonl appended one fsynced
 * line per iteration, and small files replaced atomically (temp file + fsync + rename). */
#ifndef TRACEBOT_AGENT_RUNDIR_H
#define TRACEBOT_AGENT_RUNDIR_H

#include <limits.h>
#include <stddef.h>

typedef struct cJSON cJSON;

typedef struct agRunDir {
  char path[PATH_MAX];
  int fd; /* iterations.jsonl, opened for appending; -1 when closed */
} agRunDir;

/* Creates path (and its parents, and path/episodes) for a new run. Fails when path
 * already holds an iterations.jsonl with content (TB_EINVAL). Errors: TB_EIO, message in
 * err. */
int ag_runDirCreate(agRunDir *d, const char *path, char *err, size_t errsz);

/* Opens an existing run for resuming: parses config.json into *config and every complete
 * line of iterations.jsonl into the array *lines (a partial or unparsable last line is
 * cut off the file). Ownership: caller frees *config and *lines with cJSON_Delete.
 * Errors: TB_EINVAL (no config.json: not a run; a bad line before the last), TB_EIO. */
int ag_runDirResume(agRunDir *d, const char *path, cJSON **config, cJSON **lines, char *err,
                    size_t errsz);

/* Writes path/name atomically. Errors: TB_EIO. */
int ag_runDirWriteFile(const agRunDir *d, const char *name, const char *data, size_t n, char *err,
                       size_t errsz);

/* The path of name inside the run directory. */
void ag_runDirPath(const agRunDir *d, const char *name, char *out, size_t outsz);

/* Appends one line (text must not contain a newline) to iterations.jsonl and fsyncs it.
 * Errors: TB_EIO. */
int ag_runDirAppendLine(agRunDir *d, const char *text, char *err, size_t errsz);

/* Closes the iterations file. Safe to call twice, and on a zeroed struct with fd -1. */
void ag_runDirClose(agRunDir *d);

/* Reads a whole file (at most max bytes) into a NUL-terminated heap buffer.
 * Ownership: caller frees. Errors: NULL, message in err naming the file. */
char *ag_readFile(const char *path, size_t max, size_t *len, char *err, size_t errsz);

#endif /* TRACEBOT_AGENT_RUNDIR_H */
