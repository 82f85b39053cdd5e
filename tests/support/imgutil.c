/* imgutil.c: pixel statistics and PNG decoding for the view tests. */
#include "imgutil.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <png.h>

double img_stddev(const unsigned char *rgb, int w, int h) {
  size_t n = (size_t)w * (size_t)h * 3;
  double sum = 0;
  double sq = 0;
  for (size_t i = 0; i < n; i++) {
    sum += rgb[i];
    sq += (double)rgb[i] * rgb[i];
  }
  double mean = sum / (double)n;
  return sqrt(fmax(0, sq / (double)n - mean * mean));
}

static int clampi(int v, int lo, int hi) {
  return v < lo ? lo : (v > hi ? hi : v);
}

/* Pixels in the box [x0, x1) x [y0, y1), clipped to the image, that match says are in. */
static int countIn(const unsigned char *rgb, int w, int h, int x0, int y0, int x1, int y1,
                   int (*match)(const unsigned char *p, const int *arg), const int *arg) {
  int count = 0;
  for (int y = clampi(y0, 0, h); y < clampi(y1, 0, h); y++) {
    for (int x = clampi(x0, 0, w); x < clampi(x1, 0, w); x++) {
      count += match(rgb + ((size_t)y * (size_t)w + (size_t)x) * 3, arg);
    }
  }
  return count;
}

/* arg: r, g, b, tol. */
static int isNear(const unsigned char *p, const int *arg) {
  return abs(p[0] - arg[0]) <= arg[3] && abs(p[1] - arg[1]) <= arg[3] &&
         abs(p[2] - arg[2]) <= arg[3];
}

/* Orange under any lighting: red dominant, green about half of red, little blue. */
static int isOrange(const unsigned char *p, const int *arg) {
  (void)arg;
  int r = p[0];
  int g = p[1];
  int b = p[2];
  return r >= 90 && b * 3 < r && g * 10 >= r * 35 / 10 && g * 10 <= r * 8;
}

int img_countNear(const unsigned char *rgb, int w, int h, int x0, int y0, int x1, int y1, int r,
                  int g, int b, int tol) {
  const int arg[4] = {r, g, b, tol};
  return countIn(rgb, w, h, x0, y0, x1, y1, isNear, arg);
}

int img_countOrange(const unsigned char *rgb, int w, int h, int x0, int y0, int x1, int y1) {
  return countIn(rgb, w, h, x0, y0, x1, y1, isOrange, NULL);
}

/* The PNG file at path, or else the len bytes at src. */
static imgRgb decode(const char *path, const void *src, size_t len) {
  imgRgb out = {NULL, 0, 0};
  png_image img;
  memset(&img, 0, sizeof(img));
  img.version = PNG_IMAGE_VERSION;
  int ok = path ? png_image_begin_read_from_file(&img, path)
                : png_image_begin_read_from_memory(&img, src, len);
  if (!ok) {
    return out;
  }
  img.format = PNG_FORMAT_RGB;
  out.rgb = malloc(PNG_IMAGE_SIZE(img));
  if (!out.rgb || !png_image_finish_read(&img, NULL, out.rgb, 0, NULL)) {
    free(out.rgb);
    png_image_free(&img);
    out.rgb = NULL;
    return out;
  }
  out.w = (int)img.width;
  out.h = (int)img.height;
  return out;
}

imgRgb img_load(const char *path) {
  return decode(path, NULL, 0);
}

imgRgb img_decode(const unsigned char *data, size_t len) {
  return decode(NULL, data, len);
}
