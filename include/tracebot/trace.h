/* tracebot trace module: the OPTO core.
 *
 * A per-episode graph of traced nodes (values, parameters, operators, exceptions),
 * backward (the minimal subgraph between an output and each parameter, plus feedback),
 * graphviz export, and two optimizers that ask an LLM for new parameter values:
 * OptoPrime (reads the execution trace, with a memory of past iterations) and OPRO
 * (reads only the history of values and feedback). Knows nothing about robots.
 *
 * Lifecycle: a trOptimizer owns the parameters and lives for a whole run. A trGraph is
 * an arena for one episode (or a few): nodes are allocated in it and all freed at once by
 * tr_resetGraph / tr_freeGraph. A graph may point at parameters, so parameters (their
 * optimizer) must outlive every graph that uses them.
 *
 * Errors: functions that can fail return an int (0 ok, a negative TB_E* code) and write a
 * one-line message to (err, errsz) when err is not NULL. Graph builders return NULL instead
 * and record the first error in the graph (tr_graphError), so a caller can build a whole
 * episode and check once. Nothing here prints, exits or aborts.
 */
#ifndef TRACEBOT_TRACE_H
#define TRACEBOT_TRACE_H

#include <stddef.h>

#include "tracebot/error.h"
#include "tracebot/llm.h" /* the client interface: trLlm, tr_llmComplete */

#if defined(__GNUC__)
#define TR_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define TR_PRINTF(f, a)
#endif

/* Errors (tracebot/error.h) returned here:
 *   TB_EINVAL: a bad argument (NULL, wrong kind, foreign node, bad name)
 *   TB_ENOMEM: out of memory or a size limit hit
 *   TB_ENOFEEDBACK: no parameter of the optimizer received feedback from tr_backward
 *   TB_ELLM: the LLM call failed (the step log says why)
 *   TB_EFORMAT: saved optimizer state that does not match this optimizer */

/* A short static description of a TB_E* code. */
const char *tb_strerror(int code);

/* Kinds of parameter values. */
typedef enum trKind {
  TR_NUMBER = 0, /* one finite double */
  TR_VECTOR,     /* a fixed-length array of finite doubles */
  TR_TEXT,       /* free text */
  TR_CODE        /* source code (never truncated when rendered) */
} trKind;

/* Kinds of graph nodes. */
typedef enum trNodeKind {
  TR_NODE_VALUE = 0, /* a plain value (an input) */
  TR_NODE_PARAM,     /* a trainable parameter, as seen in one graph */
  TR_NODE_OP,        /* the output of an operator applied to named inputs */
  TR_NODE_EXCEPTION  /* an operator that failed: its inputs and the error text */
} trNodeKind;

typedef struct trGraph trGraph;
typedef struct trNode trNode;
typedef struct trParam trParam;
typedef struct trOptimizer trOptimizer;

/* One named input of an operator: `name=node`. */
typedef struct trArg {
  const char *name;
  trNode *node;
} trArg;

/* ---------------------------------------------------------------------------------------
 * Graph (graph.c, backward.c, dot.c)
 * Node names are base + a per-base counter within the graph: obs0, obs1, action0. Strings
 * passed to builders are copied into the graph's arena.
 */

/* Makes an empty graph. Ownership: caller frees with tr_freeGraph. Errors: NULL (no memory). */
trGraph *tr_makeGraph(void);

/* Frees a graph and every node in it. Nullable. */
void tr_freeGraph(trGraph *g);

/* Forgets every node, name counter, backward result and error, keeping the memory for reuse.
 * Every trNode pointer into g becomes invalid. */
void tr_resetGraph(trGraph *g);

/* The first error a builder met since the last reset, or NULL when there was none.
 * Ownership: points into g, valid until the next reset. */
const char *tr_graphError(const trGraph *g);

/* Number of nodes in the graph. */
int tr_graphNodeCount(const trGraph *g);

/* Adds a root value named base<k>. type labels it in prompts ("(type) name=value");
 * NULL means "text". value is its text form. Errors: NULL, recorded in the graph. */
trNode *tr_value(trGraph *g, const char *base, const char *type, const char *value);

/* tr_value with a printf-style value. */
trNode *tr_valuef(trGraph *g, const char *base, const char *type, const char *fmt, ...)
    TR_PRINTF(4, 5);

/* The node of parameter p in g, made on first use (one node per parameter per graph). Its
 * name is the parameter's name; add parameter nodes before other nodes with the same base.
 * The node reads p's current value whenever it is rendered. Errors: NULL, recorded. */
trNode *tr_paramNode(trGraph *g, trParam *p);

/* Adds the output of operator op applied to args: a node named base<k> (op when base is
 * NULL) holding value (text form, labelled type; NULL type means "text"). doc says what
 * the operator does (shown once per op in #Documentation). Every args[i].node must belong
 * to g; a NULL input makes this return NULL without a new error, so failures propagate.
 * Errors: NULL, recorded in the graph. */
trNode *tr_op(trGraph *g, const char *op, const char *doc, const trArg *args, int nargs,
              const char *base, const char *type, const char *value);

/* Adds an exception node: operator op failed on args with the given error text (for
 * example "(timeout) controller ran longer than 50 ms at step 3"). Named exception_<op><k>.
 * Errors: NULL, recorded in the graph. */
trNode *tr_exception(trGraph *g, const char *op, const char *doc, const trArg *args, int nargs,
                     const char *error);

/* Node accessors. Strings point into the graph's arena (valid until reset). tr_nodeValue
 * of a parameter node is the parameter's current text (NULL for number and vector
 * parameters: use the trParam accessors). tr_nodeParam is NULL for non-parameter nodes. */
const char *tr_nodeName(const trNode *n);
trNodeKind tr_nodeKind(const trNode *n);
const char *tr_nodeValue(const trNode *n);
trParam *tr_nodeParam(const trNode *n);

/* Attaches feedback to output and computes, for every parameter node of g that output
 * depends on, the minimal subgraph between output and that parameter (the nodes on some
 * path from the parameter to output, plus the direct inputs of those nodes). Several calls
 * on one graph merge: subgraphs are united and distinct feedback texts are kept in order.
 * Returns the number of parameters that received feedback (0 or more).
 * Errors: TB_EINVAL (NULL or foreign node), TB_ENOMEM. */
int tr_backward(trGraph *g, trNode *output, const char *feedback, char *err, size_t errsz);

/* Renders g in graphviz DOT: parameters as boxes, other nodes as ellipses, exception
 * nodes filled red, backward outputs bold, edges labelled with argument names.
 * Ownership: caller frees the string with free(). Errors: NULL, message in err. */
char *tr_graphDot(const trGraph *g, char *err, size_t errsz);

/* ---------------------------------------------------------------------------------------
 * Parameters (owned by an optimizer; optimizer.c)
 */

/* Adds a parameter named base<k> (per-base counter within opt) of the given kind, with an
 * optional constraint text shown in #Constraints (for code: the required signature). The
 * initial value is 0, an empty vector, or "". Ownership: opt owns the parameter.
 * Errors: NULL, message in err (bad base name, no memory). */
trParam *tr_addParam(trOptimizer *opt, const char *base, trKind kind, const char *constraint,
                     char *err, size_t errsz);

/* The parameter named name (e.g. "controller0"), or NULL. */
trParam *tr_findParam(const trOptimizer *opt, const char *name);

/* Number of parameters of opt, and the i-th (in the order they were added), or NULL. */
int tr_paramCount(const trOptimizer *opt);
trParam *tr_paramAt(const trOptimizer *opt, int i);

/* Accessors. Strings belong to the parameter and change when it is set. */
const char *tr_paramName(const trParam *p);
trKind tr_paramKind(const trParam *p);
const char *tr_paramConstraint(const trParam *p);       /* Nullable result. */
double tr_paramNumber(const trParam *p);                /* 0 unless TR_NUMBER */
const double *tr_paramVector(const trParam *p, int *n); /* NULL unless TR_VECTOR */
const char *tr_paramText(const trParam *p);             /* NULL unless TR_TEXT or TR_CODE */

/* Setters; each checks the kind and rejects non-finite numbers. Errors: TB_EINVAL, TB_ENOMEM. */
int tr_setNumber(trParam *p, double x, char *err, size_t errsz);
int tr_setVector(trParam *p, const double *x, int n, char *err, size_t errsz);
int tr_setText(trParam *p, const char *text, char *err, size_t errsz);

/* ---------------------------------------------------------------------------------------
 * Optimizers (optimizer.c, render.c, opro.c, step.c)
 */

typedef enum trOptimizerKind {
  TR_OPTOPRIME = 0, /* trace-aware; memory of the last K (variables, feedback) pairs */
  TR_OPRO           /* no trace: objective + history of (variables, feedback) */
} trOptimizerKind;

/* Sections of an OptoPrime problem instance, as bits for a mask. */
enum {
  TR_SEC_INSTRUCTION = 1u << 0,
  TR_SEC_CODE = 1u << 1,
  TR_SEC_DOCUMENTATION = 1u << 2,
  TR_SEC_VARIABLES = 1u << 3,
  TR_SEC_CONSTRAINTS = 1u << 4,
  TR_SEC_INPUTS = 1u << 5,
  TR_SEC_OTHERS = 1u << 6,
  TR_SEC_OUTPUTS = 1u << 7,
  TR_SEC_FEEDBACK = 1u << 8,
  /* The paper's "Masked" ablation. */
  TR_MASK_PAPER = TR_SEC_DOCUMENTATION | TR_SEC_CODE | TR_SEC_INPUTS | TR_SEC_OTHERS
};

/* Parses a comma-separated list of section names ("code,inputs", "#Documentation", case
 * does not matter; "paper" or "masked" means TR_MASK_PAPER; "" or "none" means 0).
 * Errors: TB_EINVAL naming the unknown section. */
int tr_parseMask(const char *text, unsigned *mask, char *err, size_t errsz);

/* How remembered (variables, feedback) pairs are shown. */
typedef enum trMemoryStyle {
  TR_MEMORY_PAPER = 0, /* one JSON line per pair, as the paper's OptoPrime and OPRO */
  TR_MEMORY_LEAN       /* each distinct value once with every feedback it received (a code
                          value as a diff against the current one when shorter), capped at
                          memory_chars (oldest out), saying how many attempts are left out */
} trMemoryStyle;

typedef struct trOptimizerOptions {
  trOptimizerKind kind;       /* default TR_OPTOPRIME */
  int memory;                 /* OptoPrime: pairs remembered, 0 disables (default 0) */
  int history;                /* OPRO: pairs kept, 0 = unbounded as in the reference (default 0) */
  trMemoryStyle memory_style; /* default TR_MEMORY_PAPER */
  size_t memory_chars;        /* TR_MEMORY_LEAN: most characters of memory text (earlier
                                 attempts; OPRO's current attempt is always shown); 0 = no
                                 cap (default 0) */
  unsigned mask;              /* OptoPrime: TR_SEC_* bits whose bodies are blanked (default 0) */
  size_t max_value_chars;     /* non-code values longer than this are cut with a note (default
                                 2000; 0 never cuts) */
  int max_tokens;             /* completion budget sent to the LLM (default 4096) */
  int json_mode;              /* ask the LLM for a JSON-object response format (default 1) */
  const char *objective;      /* #Instruction / OPRO objective; copied; NULL: a generic one */
} trOptimizerOptions;

/* Fills opts with the defaults above. */
void tr_defaultOptimizerOptions(trOptimizerOptions *opts);

/* Makes an optimizer with no parameters. opts may be NULL for the defaults.
 * Ownership: caller frees with tr_freeOptimizer (which frees its parameters).
 * Errors: NULL, message in err. */
trOptimizer *tr_makeOptimizer(const trOptimizerOptions *opts, char *err, size_t errsz);

/* Frees an optimizer and its parameters. Nullable. */
void tr_freeOptimizer(trOptimizer *opt);

/* Steps taken so far (each Apply/Step counts one, whatever its outcome). */
int tr_optimizerIteration(const trOptimizer *opt);

/* The remembered pairs (OptoPrime memory or OPRO history), oldest first, each as one JSON
 * line {"variables": {...}, "feedback": "..."}. Ownership: points into opt, valid until
 * the next step or load. tr_optimizerMemoryAt returns NULL when i is out of range. */
int tr_optimizerMemoryCount(const trOptimizer *opt);
const char *tr_optimizerMemoryAt(const trOptimizer *opt, int i);

/* The two messages of one request. Ownership: heap strings released by tr_promptClose. */
typedef struct trPrompt {
  char *system;
  char *user;
} trPrompt;

/* Releases a prompt's strings. Nullable; safe on a zeroed prompt. */
void tr_promptClose(trPrompt *p);

/* Renders the system and user messages for g without changing any state (no memory push).
 * The variables are the parameters of opt whose nodes in g received feedback.
 * Errors: TB_ENOFEEDBACK (no such parameter: call tr_backward first), TB_EINVAL, TB_ENOMEM;
 * out is left zeroed. */
int tr_optimizerRender(const trOptimizer *opt, const trGraph *g, trPrompt *out, char *err,
                       size_t errsz);

/* What a step did. */
typedef enum trOutcome {
  TR_OUTCOME_NONE = 0,  /* no step was taken (argument error) */
  TR_OUTCOME_UPDATED,   /* at least one parameter changed (see changed) */
  TR_OUTCOME_NO_CHANGE, /* a usable answer that changes nothing (TERMINATE, empty, same values) */
  TR_OUTCOME_UNUSABLE   /* no usable answer (LLM failure, no JSON, wrong names or types) */
} trOutcome;

/* The record of one optimizer step, for the caller to log.
 * Ownership: every pointer is heap memory owned by the log; release with tr_stepLogClose.
 * A log passed to a step is overwritten (close it first if reused). */
typedef struct trStepLog {
  int iteration;  /* 1 for the first step of the optimizer */
  char *system;   /* the system message sent (NULL if rendering failed) */
  char *user;     /* the user message sent */
  char *response; /* the LLM's reply text (NULL when the call failed) */
  long prompt_tokens;
  long completion_tokens;
  int tokens_estimated; /* 1 when the server gave no usage */
  double latency_s;     /* LLM wall time, 0 for tr_optimizerApply */
  int attempts;         /* LLM requests sent */
  trOutcome outcome;
  char reason[512]; /* why: which names, which types, TERMINATE, the LLM error ... */
  int terminate;    /* 1 when the answer was TERMINATE (outcome TR_OUTCOME_NO_CHANGE) */
  int nchanged;
  char **changed;  /* names of the parameters that changed */
  char *reasoning; /* the model's "reasoning" field, NULL when absent */
} trStepLog;

/* Releases a log's strings and zeroes it. Nullable. */
void tr_stepLogClose(trStepLog *log);

/* One step without an LLM: renders the prompt for g, pushes the current (variables,
 * feedback) pair to memory, parses response (len bytes, need not be NUL-terminated) and
 * updates the parameters. The outcome (updated / no change / unusable, with a reason) is
 * in log. Returns 0 whenever a step was taken, whatever its outcome.
 * Nullable: log (then nothing is recorded). Errors: TB_ENOFEEDBACK, TB_EINVAL, TB_ENOMEM
 * with no step taken (log->outcome TR_OUTCOME_NONE, reason set). */
int tr_optimizerApply(trOptimizer *opt, const trGraph *g, const char *response, size_t len,
                      trStepLog *log, char *err, size_t errsz);

/* One full step: render, push memory, one tr_llmComplete call on llm, parse, update. Token
 * usage and latency go to log. A failed LLM call is a step with outcome TR_OUTCOME_UNUSABLE
 * and returns TB_ELLM with the client's message in err (so a caller can stop on auth
 * errors). Errors otherwise as tr_optimizerApply. */
int tr_optimizerStep(trOptimizer *opt, const trGraph *g, trLlm *llm, trStepLog *log, char *err,
                     size_t errsz);

/* Saves the parameters' current values, the iteration count and the memory as one JSON
 * object. Ownership: caller frees with free(). Errors: NULL, message in err. */
char *tr_optimizerSaveJson(const trOptimizer *opt, char *err, size_t errsz);

/* Restores state saved by tr_optimizerSaveJson into an optimizer that has the same
 * parameters (names and kinds; add them first). All or nothing: on error opt is unchanged.
 * Errors: TB_EFORMAT naming the bad key or parameter, TB_ENOMEM. */
int tr_optimizerLoadJson(trOptimizer *opt, const char *json, size_t len, char *err, size_t errsz);

/* ---------------------------------------------------------------------------------------
 * Response parsing (parse.c): pure, no I/O, safe on any byte string.
 */

#define TR_MAX_RESPONSE_BYTES (1u << 20)

typedef enum trJsonType {
  TR_JSON_NULL = 0,
  TR_JSON_BOOL,
  TR_JSON_NUMBER,
  TR_JSON_STRING,
  TR_JSON_ARRAY,
  TR_JSON_OBJECT
} trJsonType;

/* One suggested value, as found. text is the string for TR_JSON_STRING, otherwise the
 * compact JSON of the value ("1.5", "true", "[1,2]"). */
typedef struct trSuggestion {
  char *key;
  trJsonType type;
  char *text;
} trSuggestion;

typedef enum trResponseStatus {
  TR_RESPONSE_SUGGESTION = 0, /* at least one suggested value */
  TR_RESPONSE_TERMINATE,      /* no suggested value, and the text says TERMINATE */
  TR_RESPONSE_EMPTY,          /* a JSON answer with an empty or missing suggestion */
  TR_RESPONSE_INVALID         /* no usable JSON object (see reason) */
} trResponseStatus;

/* A parsed response. Ownership: heap memory released by tr_responseClose. */
typedef struct trResponse {
  trResponseStatus status;
  const char *how; /* static: where the JSON was found ("whole text", "fenced block",
                      "outermost braces", "embedded object", "repaired"), or NULL */
  char *reasoning; /* Nullable */
  char *answer;    /* Nullable */
  int nitems;
  trSuggestion *items;
  char reason[256]; /* one line for EMPTY / INVALID / TERMINATE */
} trResponse;

/* Extracts the JSON answer from an LLM reply: the whole text, a ```json fence, the
 * outermost {...} span, an embedded object, or a repaired copy (raw control characters,
 * bad escapes, trailing commas). The suggestion is the "suggestion" object (also given as
 * a JSON string), or the top-level keys when there is no suggestion/reasoning/answer key.
 * TERMINATE only counts when there is no suggested value. Input over
 * TR_MAX_RESPONSE_BYTES is INVALID. Returns 0, or TB_ENOMEM / TB_EINVAL (out is then
 * INVALID with the reason). Nullable: text when len is 0. */
int tr_parseResponse(const char *text, size_t len, trResponse *out);

/* Releases a parsed response. Nullable; safe on a zeroed struct. */
void tr_responseClose(trResponse *r);

#endif /* TRACEBOT_TRACE_H */
