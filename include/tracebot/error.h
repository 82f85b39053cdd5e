/* tracebot's error codes: one vocabulary for every module.
 *
 * A function that can fail returns an int: 0 (TB_OK) or one of the negative codes below,
 * and writes a one-line message naming the bad thing (file, line, key, value) into the
 * caller's (err, errsz) buffer when err is not NULL. The codes never clash, so a caller
 * can pass a code up through any number of modules and it still says what went wrong;
 * tb_errorName and tb_strerror name it.
 *
 * Append only: codes are printed in logs and compared by tests.
 */
#ifndef TRACEBOT_ERROR_H
#define TRACEBOT_ERROR_H

/* The table: X(NAME, value, description). */
#define TB_ERRORS(X)                                                         \
  X(OK, 0, "ok")                                                             \
  X(EINVAL, -1, "invalid argument")                                          \
  X(ENOMEM, -2, "out of memory or a size limit hit")                         \
  X(EIO, -3, "a file or connection could not be read or written")            \
  X(EFORMAT, -4, "malformed data")                                           \
  X(EMODEL, -5, "the model failed to load or compile")                       \
  X(EPHYSICS, -6, "the simulation diverged")                                 \
  X(EMUJOCO, -7, "MuJoCo raised an error")                                   \
  X(EENV, -8, "the environment failed")                                      \
  X(ESANDBOX, -9, "the sandbox could not be started or broke down")          \
  X(ECOMPILE, -10, "the controller does not compile")                        \
  X(ELOAD, -11, "a plug-in could not be loaded or failed its checks")        \
  X(EOPEN, -12, "a driver failed to open")                                   \
  X(ENOFEEDBACK, -13, "no parameter received feedback")                      \
  X(ELLM, -14, "the LLM call failed")                                        \
  X(EAUTH, -15, "the LLM server refused the credentials")                    \
  X(EREQUEST, -16, "the LLM server rejected the request")                    \
  X(ETRANSIENT, -17, "the LLM server kept failing (retries exhausted)")      \
  X(EPROTOCOL, -18, "the LLM server's answer was not what its API promises") \
  X(EEXEC, -19, "the exec: command failed")                                  \
  X(EEXHAUSTED, -20, "the recorded answers ran out")                         \
  X(ENODISPLAY, -21, "no display")                                           \
  X(EGL, -22, "OpenGL or GLFW failed")                                       \
  X(ETOOL, -23, "an external tool (ffmpeg) is missing or failed")            \
  X(EDRAW, -24, "drawing a figure failed")

enum {
#define TB_ERROR_ENUM(name, value, text) TB_##name = value,
  TB_ERRORS(TB_ERROR_ENUM)
#undef TB_ERROR_ENUM
};

/* The code's name without the prefix ("EINVAL"), or "unknown" for a value not in the
 * table. */
const char *tb_errorName(int code);

/* A short static description of the code ("invalid argument"), or "unknown error". */
const char *tb_strerror(int code);

#endif /* TRACEBOT_ERROR_H */
