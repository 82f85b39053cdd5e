/* imgutil.h: pixel checks shared by the view tests. */
#ifndef TRACEBOT_TESTS_VIEW_IMGUTIL_H
#define TRACEBOT_TESTS_VIEW_IMGUTIL_H

#include <stddef.h>

/* Standard deviation of all channel values of an RGB image. */
double img_stddev(const unsigned char *rgb, int w, int h);

/* Pixels within the box [x0, x1) x [y0, y1) (clipped) whose colour is within
 * tol (per channel) of (r, g, b). */
int img_countNear(const unsigned char *rgb, int w, int h, int x0, int y0, int x1, int y1, int r,
                  int g, int b, int tol);

/* Pixels of the gripper's orange (material "gripper", rgba 0.95 0.55 0.1, shaded) in the box. */
int img_countOrange(const unsigned char *rgb, int w, int h, int x0, int y0, int x1, int y1);

/* Decodes a PNG file or buffer into RGB (8-bit). Returns a malloc'd buffer or NULL. */
unsigned char *img_readPng(const char *path, int *w, int *h);
unsigned char *img_decodePng(const unsigned char *data, size_t len, int *w, int *h);

#endif /* TRACEBOT_TESTS_VIEW_IMGUTIL_H */
