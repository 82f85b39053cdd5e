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

int img_countNear(const unsigned char *rgb, int w, int h, int x0, int y0, int x1, int y1, int r,
                  int g, int b, int tol) {
  int count = 0;
  x0 = clampi(x0, 0, w);
  x1 = clampi(x1, 0, w);
  y0 = clampi(y0, 0, h);
  y1 = clampi(y1, 0, h);
  for (int y = y0; y < y1; y++) {
    for (int x = x0; x < x1; x++) {
      const unsigned char *p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
      if (abs(p[0] - r) <= tol && abs(p[1] - g) <= tol && abs(p[2] - b) <= tol) {
        count++;
      }
    }
  }
  return count;
}

int img_countOrange(const unsigned char *rgb, int w, int h, int x0, int y0, int x1, int y1) {
  int count = 0;
  x0 = clampi(x0, 0, w);
  x1 = clampi(x1, 0, w);
  y0 = clampi(y0, 0, h);
  y1 = clampi(y1, 0, h);
  for (int y = y0; y < y1; y++) {
    for (int x = x0; x < x1; x++) {
      const unsigned char *p = rgb + ((size_t)y * (size_t)w + (size_t)x) * 3;
      int R = p[0];
      int G = p[1];
      int B = p[2];
      /* orange under any lighting: red dominant, green about half of red, little blue */
      if (R >= 90 && B * 3 < R && G * 10 >= R * 35 / 10 && G * 10 <= R * 8) {
        count++;
      }
    }
  }
  return count;
}

static unsigned char *finish(png_image *img, const void *src, size_t len, const char *path, int *w,
                             int *h) {
  int ok = path ? png_image_begin_read_from_file(img, path)
                : png_image_begin_read_from_memory(img, src, len);
  if (!ok) {
    return NULL;
  }
  img->format = PNG_FORMAT_RGB;
  unsigned char *buf = malloc(PNG_IMAGE_SIZE(*img));
  if (!buf || !png_image_finish_read(img, NULL, buf, 0, NULL)) {
    free(buf);
    png_image_free(img);
    return NULL;
  }
  *w = (int)img->width;
  *h = (int)img->height;
  return buf;
}

unsigned char *img_readPng(const char *path, int *w, int *h) {
  png_image img;
  memset(&img, 0, sizeof(img));
  img.version = PNG_IMAGE_VERSION;
  return finish(&img, NULL, 0, path, w, h);
}

unsigned char *img_decodePng(const unsigned char *data, size_t len, int *w, int *h) {
  png_image img;
  memset(&img, 0, sizeof(img));
  img.version = PNG_IMAGE_VERSION;
  return finish(&img, data, len, NULL, w, h);
}
