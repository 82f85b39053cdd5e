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

/* An RGB image (8-bit) decoded from a PNG: rgb is malloc'd, NULL when the PNG could not be
 * read. */
typedef struct imgRgb {
  unsigned char *rgb;
  int w;
  int h;
} imgRgb;

/* Decodes a PNG file or buffer. */
imgRgb img_load(const char *path);
imgRgb img_decode(const unsigned char *data, size_t len);

#endif /* TRACEBOT_TESTS_VIEW_IMGUTIL_H */
