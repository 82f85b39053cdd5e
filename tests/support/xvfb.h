/* xvfb.h: tests that need a display start their own Xvfb (CI has none). */
#ifndef TRACEBOT_TESTS_VIEW_XVFB_H
#define TRACEBOT_TESTS_VIEW_XVFB_H

/* Starts `Xvfb -displayfd` on a free display number and sets DISPLAY to it.
 * Returns 0, or -1 if Xvfb is missing or did not come up (then the caller
 * should fail the test). Call xvfb_stop at the end. */
int xvfb_start(void);

/* Stops the Xvfb started by xvfb_start (no-op if none). */
void xvfb_stop(void);

#endif /* TRACEBOT_TESTS_VIEW_XVFB_H */
